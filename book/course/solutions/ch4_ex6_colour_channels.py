"""Exercise 4.6: what the correlation between colour channels is worth to a denoiser.

Three noisy channels of one gray scene are three measurements of the same values, so their
mean has a third of the noise variance: 10 log10(3) dB more PSNR without blurring anything.
With correlation rho between the channels' noise the variance of the mean is
sigma^2 (1 + 2 rho) / 3. A photograph's channels are strongly, not perfectly, correlated,
and the transform to a brightness and two colour differences keeps noise of known
variance in each new channel.
"""

from __future__ import annotations

import numpy as np

from deepdenoise.data import sample_images
from deepdenoise.metrics import psnr
from deepdenoise.noise import add_gaussian_noise

SIGMA = 25

# 1. A gray scene seen through three channels: averaging them gains 10 log10(3) dB.
camera = sample_images(names=["camera"])["camera"]
gray_scene = np.stack([camera] * 3, axis=-1)
noisy = add_gaussian_noise(gray_scene, SIGMA, seed=0)
mean = np.repeat(noisy.mean(axis=-1, keepdims=True), 3, axis=-1)
gain = psnr(gray_scene, mean) - psnr(gray_scene, noisy)
print(f"gray scene: averaging the three channels gains {gain:.2f} dB (10 log10 3 = 4.77)")
assert abs(gain - 10 * np.log10(3)) < 0.05, gain

# 2. Correlated noise: the variance of the mean is sigma^2 (1 + 2 rho) / 3.
rng = np.random.default_rng(1)
for rho in (0.0, 0.5, 0.9):
    covariance = (SIGMA / 255) ** 2 * ((1 - rho) * np.eye(3) + rho * np.ones((3, 3)))
    noise = rng.multivariate_normal(np.zeros(3), covariance, size=400_000)
    measured = noise.mean(axis=1).var()
    predicted = (SIGMA / 255) ** 2 * (1 + 2 * rho) / 3
    print(f"rho {rho:.1f}: variance of the mean {measured:.3e}, predicted {predicted:.3e}")
    assert abs(measured / predicted - 1) < 0.02, (rho, measured, predicted)

# 3. Brightness and colour differences: Y = (R + G + B) / 3, C1 = (R - B) / 2,
#    C2 = (R - 2 G + B) / 4. The rows are orthogonal, so independent noise in R, G, B
#    stays independent in Y, C1, C2, with variances sigma^2 times the squared row norms.
transform = np.array([[1 / 3, 1 / 3, 1 / 3], [1 / 2, 0, -1 / 2], [1 / 4, -1 / 2, 1 / 4]])
gram = transform @ transform.T
assert np.allclose(gram, np.diag(np.diag(gram)))  # orthogonal rows
print("noise variance in Y, C1, C2, in units of sigma^2:", np.round(np.diag(gram), 4))
assert np.allclose(np.diag(gram), [1 / 3, 1 / 2, 3 / 8])

# 4. Photographs: channels strongly correlated, and the colour differences carry little
#    of the image's variation, while the noise in them is as strong as in brightness.
for name, photo in sample_images(names=["astronaut", "chelsea", "coffee"]).items():
    pixels = photo.reshape(-1, 3).astype(np.float64)
    correlation = np.corrcoef(pixels.T)[np.triu_indices(3, k=1)]
    y, c1, c2 = (pixels @ transform.T).T
    share = (c1.var() + c2.var()) / (y.var() + c1.var() + c2.var())
    print(
        f"{name:>9}: channel correlations {np.round(correlation, 3)}, "
        f"colour differences hold {share:.1%} of the variance"
    )
    assert correlation.min() > 0.5, (name, correlation)
    assert share < 0.25, (name, share)
print("All checks passed.")
