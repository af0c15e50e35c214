"""Exercise 1.2: Poisson noise and the Anscombe transform.

Poisson noise at peak p has variance x / p, so it grows with the brightness x.
Check this on flat images, check the Poisson-Gaussian variance x / p + (sigma/255)^2,
and show that the Anscombe transform 2 sqrt(k + 3/8) of the photon counts k makes
the variance close to 1 at every brightness.
"""

from __future__ import annotations

import numpy as np

from deepdenoise.noise import add_poisson_gaussian_noise, add_poisson_noise

peak = 50.0
sigma = 10.0
levels = np.linspace(0.2, 1.0, 5)
raw_variances, stabilised_variances = [], []
print(f"{'x':>5} {'Var[y]':>9} {'x/peak':>9} {'Var[A]':>7}")
for index, level in enumerate(levels):
    flat = np.full((256, 256), level, dtype=np.float32)
    noisy = add_poisson_noise(flat, peak, seed=index)
    variance = float(noisy.var())
    raw_variances.append(variance)
    assert abs(variance / (level / peak) - 1) < 0.05, (level, variance)

    counts = noisy.astype(np.float64) * peak  # back to photon counts
    stabilised = 2 * np.sqrt(counts + 3 / 8)
    stabilised_variances.append(float(stabilised.var()))
    assert abs(stabilised_variances[-1] - 1) < 0.05, (level, stabilised_variances[-1])

    both = add_poisson_gaussian_noise(flat, peak=peak, sigma=sigma, seed=index)
    expected = level / peak + (sigma / 255) ** 2
    assert abs(float(both.var()) / expected - 1) < 0.05, (level, both.var(), expected)
    print(f"{level:5.2f} {variance:9.5f} {level / peak:9.5f} {stabilised_variances[-1]:7.3f}")

# The raw variance grows five-fold from x = 0.2 to x = 1; the stabilised one does not.
assert raw_variances[-1] / raw_variances[0] > 4
assert max(stabilised_variances) / min(stabilised_variances) < 1.1
print("All checks passed.")
