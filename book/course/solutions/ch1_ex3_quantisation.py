"""Exercise 1.3: the error of rounding to 8 bits, Delta^2 / 12.

Rounding to a step Delta adds an error that is close to uniform on
[-Delta/2, Delta/2], with variance Delta^2 / 12. On the [0, 1] scale an 8-bit file has
Delta = 1/255. Check the variance on an image whose values are not already multiples
of 1/255 (a denoised image), the PSNR of the rounding error alone,
10 log10(12 * 255^2) = 58.92 dB, and how much rounding lowers the PSNR of a denoised
image.
"""

from __future__ import annotations

import numpy as np

from deepdenoise.classical import CLASSICAL_METHODS
from deepdenoise.data import sample_images
from deepdenoise.metrics import mse, psnr
from deepdenoise.noise import add_gaussian_noise, quantize

clean = sample_images(names=["camera"])["camera"]
noisy = add_gaussian_noise(clean, 25, seed=0)
# A denoised image: float values, clipped to [0, 1] as the benchmark protocol does.
denoised = np.clip(CLASSICAL_METHODS["gaussian"](noisy, 25), 0, 1)
rounded = quantize(denoised, bits=8)

step = 1 / 255
error = rounded.astype(np.float64) - denoised
predicted_variance = step**2 / 12
print(
    f"rounding error: largest {np.abs(error).max() * 255:.3f} / 255, "
    f"variance {error.var():.3e} (predicted {predicted_variance:.3e})"
)
assert np.abs(error).max() <= step / 2 + 1e-7  # never more than half a step
assert abs(error.mean()) < 0.02 * step  # zero mean
assert abs(error.var() / predicted_variance - 1) < 0.02

# The PSNR of the rounding error alone.
alone = psnr(denoised, rounded)
print(f"PSNR of rounding alone: {alone:.2f} dB (predicted {10 * np.log10(12 * 255**2):.2f} dB)")
assert abs(alone - 10 * np.log10(12 * 255**2)) < 0.1

# The cost of rounding a denoised image: its MSE grows by about Delta^2 / 12, because the
# rounding error is nearly uncorrelated with the denoising error.
before, after = psnr(clean, denoised), psnr(clean, rounded)
predicted_drop = 10 * np.log10(1 + predicted_variance / mse(clean, denoised))
print(
    f"denoised {before:.4f} dB, rounded {after:.4f} dB: drop {before - after:.4f} dB "
    f"(predicted {predicted_drop:.4f} dB)"
)
assert 0 < before - after
assert abs((before - after) / predicted_drop - 1) < 0.2

# Near 30 dB (MSE 1e-3) the predicted drop is 10 log10(1 + 1 / (12 * 255^2 * 1e-3)).
assert abs(10 * np.log10(1 + 1 / (12 * 255**2 * 1e-3)) - 0.0056) < 1e-4
print("All checks passed.")
