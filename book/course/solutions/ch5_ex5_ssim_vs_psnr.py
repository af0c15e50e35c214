"""Exercise 5.5: same PSNR, different SSIM.

Make two distorted copies of a photograph with the same MSE c^2: one brighter by a
constant c, one with Gaussian noise of standard deviation c. Their PSNRs are both
-20 log10(c). SSIM (eq-ch5-ssim) sees the difference: a constant shift leaves every
local variance and covariance unchanged, so only the luminance term falls below 1, a
little; noise adds variance that is not shared with the clean image.
"""

from __future__ import annotations

import numpy as np

from deepdenoise.data import sample_images
from deepdenoise.metrics import mse, psnr, ssim

clean = sample_images(names=["camera"])["camera"].astype(np.float64)
c = 0.05
shifted = clean + c  # not clipped: the error is exactly c everywhere
rng = np.random.default_rng(0)
noisy = clean + rng.normal(0, c, clean.shape)

predicted = -20 * np.log10(c)
for name, image in [("shifted", shifted), ("noisy", noisy)]:
    print(
        f"{name:>8}: MSE {mse(clean, image):.5f}, PSNR {psnr(clean, image):.2f} dB "
        f"(predicted {predicted:.2f}), SSIM {ssim(clean, image):.3f}"
    )
assert abs(psnr(clean, shifted) - predicted) < 1e-6
assert abs(psnr(clean, noisy) - predicted) < 0.05

# The luminance term of a window with local mean mu is
# 1 - c^2 / (mu^2 + (mu + c)^2 + C1): close to 1 except in dark windows.
assert ssim(clean, shifted) > 0.95
assert ssim(clean, noisy) < 0.8
assert ssim(clean, shifted) - ssim(clean, noisy) > 0.2
print("All checks passed.")
