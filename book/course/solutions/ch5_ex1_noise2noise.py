"""Exercise 5.1: Noise2Noise with a linear denoiser.

Learn the best 5x5 linear filter (least squares) that maps a noisy image to (a) the
clean image and (b) a second, independently noisy copy. Because the second noise has
mean zero and is independent of the input, both targets give (nearly) the same
filter and the same PSNR, and no clean image is needed for (b). The reason,
eq-ch5-n2n: for every filter f, the noisy-target loss is the clean-target loss plus
the same constant, the noise variance (sigma/255)^2.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from deepdenoise.data import sample_images
from deepdenoise.metrics import psnr
from deepdenoise.noise import add_gaussian_noise

sigma, size = 25, 5
clean = sample_images(names=["camera"])["camera"].astype(np.float64)
noisy_1 = add_gaussian_noise(clean, sigma, seed=1).astype(np.float64)
noisy_2 = add_gaussian_noise(clean, sigma, seed=2).astype(np.float64)

r = size // 2
patches = sliding_window_view(noisy_1, (size, size)).reshape(-1, size * size)
features = np.hstack([patches, np.ones((len(patches), 1))])  # weights and a bias


def centre(image: np.ndarray) -> np.ndarray:
    return image[r:-r, r:-r].reshape(-1)


def fit(target: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(features, centre(target), rcond=None)[0]


supervised = fit(clean)  # needs the clean image
noise2noise = fit(noisy_2)  # needs only a second noisy image
reference = clean[r:-r, r:-r]
noisy_psnr = psnr(reference, noisy_1[r:-r, r:-r])
psnr_supervised = psnr(reference, (features @ supervised).reshape(reference.shape))
psnr_n2n = psnr(reference, (features @ noise2noise).reshape(reference.shape))
difference = np.linalg.norm(supervised - noise2noise) / np.linalg.norm(supervised)
print(
    f"noisy {noisy_psnr:.2f} dB, clean targets {psnr_supervised:.2f} dB, "
    f"noisy targets {psnr_n2n:.2f} dB; filters differ by {100 * difference:.1f} %"
)
print("Noise2Noise filter (without bias):")
print(np.round(noise2noise[:-1].reshape(size, size), 3))

# eq-ch5-n2n for several fixed filters: noisy-target loss - clean-target loss = (sigma/255)^2.
identity = np.zeros(size * size + 1)
identity[(size * size) // 2] = 1.0
box = np.append(np.full(size * size, 1 / (size * size)), 0.0)
variance = (sigma / 255) ** 2
print(f"noise variance (sigma/255)^2 = {variance:.6f}")
for name, weights in [("supervised", supervised), ("identity", identity), ("box", box)]:
    prediction = features @ weights
    loss_noisy = float(np.mean((prediction - centre(noisy_2)) ** 2))
    loss_clean = float(np.mean((prediction - centre(clean)) ** 2))
    print(f"{name:>10}: noisy-target loss - clean-target loss = {loss_noisy - loss_clean:.6f}")
    assert abs((loss_noisy - loss_clean) / variance - 1) < 0.02, name

assert psnr_supervised > noisy_psnr + 3
assert abs(psnr_supervised - psnr_n2n) < 0.05
assert difference < 0.05
print("All checks passed.")
