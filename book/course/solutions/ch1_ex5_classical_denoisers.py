"""Exercise 1.5: the right classical denoiser depends on the noise model.

Apply the classical denoisers to Gaussian noise and to salt-and-pepper noise. Every
one of them beats the noisy image on Gaussian noise; on impulse noise the median
filter beats the Gaussian filter by a wide margin.
"""

from __future__ import annotations

from deepdenoise.classical import CLASSICAL_METHODS
from deepdenoise.data import sample_images
from deepdenoise.metrics import psnr
from deepdenoise.noise import add_gaussian_noise, add_salt_and_pepper_noise

clean = sample_images(names=["camera"])["camera"][128:256, 192:320]  # 128 x 128 crop
sigma = 25
noisy = add_gaussian_noise(clean, sigma, seed=0)
noisy_psnr = psnr(clean, noisy)
print(f"Gaussian noise, sigma={sigma}: noisy {noisy_psnr:.2f} dB")
for name in ("gaussian", "median", "tv", "wavelet", "nl_means"):
    denoised = CLASSICAL_METHODS[name](noisy, sigma)
    value = psnr(clean, denoised)
    print(f"  {name:>9}: {value:.2f} dB")
    assert denoised.shape == clean.shape
    assert value > noisy_psnr + 2, name

impulse = add_salt_and_pepper_noise(clean, 0.1, seed=0)
# Impulse noise has no sigma; both filters get the same strength setting.
gaussian = psnr(clean, CLASSICAL_METHODS["gaussian"](impulse, 25))
median = psnr(clean, CLASSICAL_METHODS["median"](impulse, 25))
print(
    f"Salt and pepper (10 %): noisy {psnr(clean, impulse):.2f} dB, "
    f"Gaussian filter {gaussian:.2f} dB, median {median:.2f} dB"
)
assert median > gaussian + 3
print("All checks passed.")
