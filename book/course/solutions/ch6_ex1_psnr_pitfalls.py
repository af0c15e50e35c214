"""Exercise 6.1: why your PSNR differs from the paper's.

Reproduce, on one photograph, the effect of each departure from the benchmark
protocol: the wrong data range, clipping, 8-bit rounding of the noisy image, another
seed, and averaging MSEs instead of PSNRs.
"""

from __future__ import annotations

import numpy as np

from deepdenoise.data import sample_images
from deepdenoise.metrics import mse, psnr
from deepdenoise.noise import add_gaussian_noise

images = sample_images(names=["camera", "coins", "moon", "page"])
clean = images["camera"]
sigma = 25
noisy = add_gaussian_noise(clean, sigma, seed=0)  # the protocol: float, not clipped
protocol = psnr(clean, noisy)
print(f"protocol (float noise, not clipped, data_range=1): {protocol:.2f} dB")

# 1. Wrong data range: scoring [0, 1] images with data_range=255 adds 20 log10(255) dB.
wrong_range = psnr(clean, noisy, data_range=255)
print(f"data_range=255 on [0, 1] images:                  {wrong_range:.2f} dB")
assert abs(wrong_range - protocol - 20 * np.log10(255)) < 1e-6

# 2. Clipping the noisy image to [0, 1] removes part of the noise: a higher noisy PSNR.
clipped = np.clip(noisy, 0, 1)
print(f"noisy image clipped to [0, 1]:                    {psnr(clean, clipped):.2f} dB")
assert psnr(clean, clipped) > protocol

# 3. Saving the noisy image as 8-bit PNG clips and rounds it.
as_uint8 = np.round(clipped * 255) / 255
print(f"clipped and rounded to 8 bits:                    {psnr(clean, as_uint8):.2f} dB")
assert not np.isclose(psnr(clean, as_uint8), protocol, atol=1e-3)

# 4. Another seed gives another noise realisation and a slightly different PSNR.
other_seed = psnr(clean, add_gaussian_noise(clean, sigma, seed=1))
print(f"seed 1 instead of seed 0:                         {other_seed:.2f} dB")
assert other_seed != protocol
assert abs(other_seed - protocol) < 0.1

# 5. The sigma scale: sigma is on the 0-255 scale; the standard deviation on [0, 1] is
# sigma / 255, not sigma.
assert abs(np.std(noisy - clean) - sigma / 255) < 1e-3

# 6. Averaging: mean of per-image PSNRs (what papers report) >= PSNR of the mean MSE.
errors, scores = [], []
for index, image in enumerate(images.values()):
    estimate = add_gaussian_noise(image, sigma if index % 2 else 2 * sigma, seed=index)
    errors.append(mse(image, estimate))
    scores.append(psnr(image, estimate))
mean_of_psnr = float(np.mean(scores))
psnr_of_mean = float(10 * np.log10(1 / np.mean(errors)))
print(f"mean of PSNRs {mean_of_psnr:.2f} dB >= PSNR of mean MSE {psnr_of_mean:.2f} dB")
assert mean_of_psnr > psnr_of_mean
print("All checks passed.")
