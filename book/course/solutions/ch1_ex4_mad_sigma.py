"""Exercise 1.4: estimate sigma from one noisy image with the MAD estimator.

The finest diagonal Haar wavelet coefficient of a 2x2 block [[a, b], [c, d]] is
(a - b - c + d) / 2. On a flat image it is pure noise with standard deviation sigma,
and the median of |Z| for a standard normal Z is 0.6745, so
sigma ~ median(|d|) / 0.6745. Compare this estimate, written by hand, with
scikit-image's ``restoration.estimate_sigma`` (the same estimator on the
Daubechies-2 wavelet), on a flat image and on a photograph. Then clip and round the
noisy photograph to 8 bits, as a PNG holds it, and compare the plain estimate with
``deepdenoise.noise.estimate_sigma``, which leaves out the coefficients near clipped
black and white.
"""

from __future__ import annotations

import numpy as np
import pywt
from scipy.stats import norm
from skimage.restoration import estimate_sigma as skimage_estimate_sigma

from deepdenoise.data import sample_images
from deepdenoise.noise import add_gaussian_noise, estimate_sigma

# The constant: the median of |Z| is the 75th percentile of Z.
assert abs(norm.ppf(0.75) - 0.6745) < 1e-4


def haar_mad_sigma(image: np.ndarray) -> float:
    """Median absolute deviation of the finest diagonal Haar coefficients, 0-255 scale."""
    height, width = (image.shape[0] // 2) * 2, (image.shape[1] // 2) * 2
    a = image[0:height:2, 0:width:2].astype(np.float64)
    b = image[0:height:2, 1:width:2]
    c = image[1:height:2, 0:width:2]
    d = image[1:height:2, 1:width:2]
    diagonal = (a - b - c + d) / 2
    return 255 * float(np.median(np.abs(diagonal))) / 0.6745


def db2_mad_sigma(image: np.ndarray) -> float:
    """The same estimator on the Daubechies-2 coefficients, as scikit-image computes it."""
    diagonal = pywt.dwtn(image.astype(np.float64), "db2")["dd"]
    return 255 * float(np.median(np.abs(diagonal))) / norm.ppf(0.75)


flat = np.full((256, 256), 0.5, dtype=np.float32)
camera = sample_images(names=["camera"])["camera"]
print(f"{'image':>7} {'sigma':>5} {'Haar':>6} {'db2':>6} {'skimage':>7}")
for name, clean in [("flat", flat), ("camera", camera)]:
    for sigma in (2, 10, 25, 50):
        noisy = add_gaussian_noise(clean, sigma, seed=sigma)
        haar, db2 = haar_mad_sigma(noisy), db2_mad_sigma(noisy)
        library = 255 * float(skimage_estimate_sigma(noisy))
        print(f"{name:>7} {sigma:5d} {haar:6.2f} {db2:6.2f} {library:7.2f}")
        # scikit-image's estimator is this formula on the db2 coefficients.
        assert abs(library - db2) < 1e-3 * sigma, (name, sigma, library, db2)
        if name == "flat":
            # Pure noise: both wavelets give sigma within a few percent.
            assert abs(haar / sigma - 1) < 0.05, (sigma, haar)
            assert abs(db2 / sigma - 1) < 0.05, (sigma, db2)
        else:
            # Edges also make large coefficients: never an underestimate beyond sampling
            # error, and at sigma = 2 the image's own detail dominates.
            assert haar > 0.95 * sigma and db2 > 0.95 * sigma, (sigma, haar, db2)
    if name == "camera":
        low = add_gaussian_noise(camera, 2, seed=2)
        assert db2_mad_sigma(low) > 1.2 * 2  # biased upwards at a low noise level

# Part 4: the photograph as an 8-bit file holds it, clipped to [0, 1] and rounded.
print(f"{'sigma':>5} {'clipped':>8} {'float':>6} {'db2':>6} {'package':>7}")
for sigma in (10, 25, 50):
    noisy = add_gaussian_noise(camera, sigma, seed=sigma)
    on_disk = (np.round(np.clip(noisy, 0, 1) * 255) / 255).astype(np.float32)
    share = float(np.mean((on_disk == 0) | (on_disk == 1)))
    plain, package = db2_mad_sigma(on_disk), estimate_sigma(on_disk)
    print(f"{sigma:5d} {share:8.1%} {db2_mad_sigma(noisy):6.2f} {plain:6.2f} {package:7.2f}")
    # Clipping squeezes the noise in dark and bright parts: the plain estimate drops ...
    assert plain < db2_mad_sigma(noisy), (sigma, plain)
    # ... while the package's, which leaves those parts out, stays nearer sigma.
    assert abs(package - sigma) < abs(plain - sigma), (sigma, package, plain)
noisy = add_gaussian_noise(camera, 50, seed=50)
on_disk = (np.round(np.clip(noisy, 0, 1) * 255) / 255).astype(np.float32)
assert db2_mad_sigma(on_disk) < 0.9 * 50  # more than a tenth low at sigma 50
assert abs(estimate_sigma(on_disk) / 50 - 1) < 0.05
print("All checks passed.")
