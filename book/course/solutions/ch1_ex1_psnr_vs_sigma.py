"""Exercise 1.1: the PSNR of a noisy image depends only on sigma.

Add white Gaussian noise to two different photographs at several noise levels,
measure the PSNR of the noisy images and compare it with 20 log10(255 / sigma).
Then clip the noisy image to [0, 1] and see the PSNR rise.
"""

from __future__ import annotations

import numpy as np

from deepdenoise.data import sample_images
from deepdenoise.metrics import psnr
from deepdenoise.noise import add_gaussian_noise

images = sample_images(names=["camera", "moon"])
sigmas = (5, 10, 15, 25, 50)

measured: dict[str, list[float]] = {name: [] for name in images}
print(f"{'sigma':>5} {'formula':>8} " + " ".join(f"{name:>8}" for name in images))
for sigma in sigmas:
    formula = 20 * np.log10(255 / sigma)
    row = []
    for index, (name, clean) in enumerate(images.items()):
        noisy = add_gaussian_noise(clean, sigma, seed=index)
        value = psnr(clean, noisy)
        measured[name].append(value)
        row.append(value)
        # The noisy PSNR matches the formula, whatever the image.
        assert abs(value - formula) < 0.05, (name, sigma, value, formula)
        # Clipping to [0, 1] can only move a noisy pixel towards its clean value.
        clipped = add_gaussian_noise(clean, sigma, seed=index, clip=True)
        assert psnr(clean, clipped) > value
    print(f"{sigma:>5} {formula:8.2f} " + " ".join(f"{value:8.2f}" for value in row))

# Doubling sigma costs 20 log10(2) = 6.02 dB.
for name in images:
    drop = measured[name][sigmas.index(25)] - measured[name][sigmas.index(50)]
    assert abs(drop - 20 * np.log10(2)) < 0.05, (name, drop)
print("All checks passed.")
