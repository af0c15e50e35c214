"""Exercise 3.1: the MMSE denoiser E[x | y] for a Gaussian prior is a shrinkage.

Let the clean pixels be independent, x ~ N(m, s^2), and y = x + n with
n ~ N(0, (sigma/255)^2). Then E[x | y] = m + a (y - m) with a = s^2 / (s^2 + v),
v = (sigma/255)^2, and its MSE is a v = s^2 v / (s^2 + v), below both the noisy MSE v
and the prior variance s^2. Check by simulation that least squares (the MSE minimiser
among estimators m + c (y - m)) finds a, that the measured MSE matches, and that every
other factor c does worse.
"""

from __future__ import annotations

import numpy as np

from deepdenoise.metrics import mse
from deepdenoise.noise import add_gaussian_noise

rng = np.random.default_rng(0)
m, s, sigma = 0.5, 0.1, 25
v = (sigma / 255) ** 2
# A "clean image" of independent Gaussian pixels (6 standard deviations inside [0, 1]).
clean = np.clip(rng.normal(m, s, size=(512, 512)), 0, 1).astype(np.float32)
noisy = add_gaussian_noise(clean, sigma, seed=1)

a = s**2 / (s**2 + v)
predicted_mse = a * v
fitted = float(np.polyfit(noisy.ravel() - m, clean.ravel() - m, 1)[0])  # least squares
estimate = m + a * (noisy - m)
print(f"shrinkage factor: predicted {a:.4f}, least squares {fitted:.4f}")
print(
    f"MSE: noisy {mse(clean, noisy):.3e} (v = {v:.3e}), MMSE estimate "
    f"{mse(clean, estimate):.3e} (predicted {predicted_mse:.3e}), prior mean "
    f"{mse(clean, np.full_like(clean, m)):.3e} (s^2 = {s**2:.3e})"
)
assert abs(fitted / a - 1) < 0.01
assert abs(mse(clean, estimate) / predicted_mse - 1) < 0.02
assert mse(clean, estimate) < min(mse(clean, noisy), mse(clean, np.full_like(clean, m)))

# Every other factor c is worse: the MSE is a parabola in c with its minimum at a.
factors = np.linspace(0, 1, 101)
errors = [mse(clean, m + c * (noisy - m)) for c in factors]
best = float(factors[int(np.argmin(errors))])
print(f"best factor on a grid of 0.01: {best:.2f}")
assert abs(best - a) <= 0.01
print("All checks passed.")
