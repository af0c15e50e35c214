"""Exercise 5.4: the Anscombe transform, its variance, and the bias of its plain inverse.

For Poisson counts q with mean mu, A(q) = 2 sqrt(q + 3/8) has variance close to 1
(delta method: A'(mu)^2 mu = mu / (mu + 3/8)). A denoiser aims at E[A(q)], and
E[A(q)] < 2 sqrt(mu + 3/8) because the square root is concave (Jensen), so the plain
algebraic inverse (a/2)^2 - 3/8 underestimates mu, by about 1/4 for large mu; the
asymptotically unbiased inverse (a/2)^2 - 1/8 removes that. Check the three claims
with exact sums over the Poisson distribution, and the variance by simulation with
``deepdenoise.noise.add_poisson_noise``.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import poisson

from deepdenoise.noise import add_poisson_noise


def anscombe(counts: np.ndarray) -> np.ndarray:
    return 2 * np.sqrt(counts + 3 / 8)


def exact_moments(mu: float) -> tuple[float, float]:
    """E[A(q)] and Var[A(q)] for q ~ Poisson(mu), summed over the whole distribution."""
    counts = np.arange(0, int(mu + 40 * np.sqrt(mu) + 40))
    weights = poisson.pmf(counts, mu)
    mean = float(np.sum(weights * anscombe(counts)))
    return mean, float(np.sum(weights * (anscombe(counts) - mean) ** 2))


print(f"{'mu':>6} {'Var[A]':>7} {'plain inverse - mu':>19} {'(a/2)^2 - 1/8 - mu':>19}")
for mu in (0.5, 1, 2, 5, 20, 100, 1000):
    mean, variance = exact_moments(mu)
    plain = (mean / 2) ** 2 - 3 / 8 - mu
    asymptotic = (mean / 2) ** 2 - 1 / 8 - mu
    print(f"{mu:6g} {variance:7.3f} {plain:19.4f} {asymptotic:19.4f}")
    assert mean < anscombe(mu)  # Jensen: E[sqrt] < sqrt(E)
    assert plain < 0  # the plain inverse always underestimates
    if mu >= 20:
        assert abs(variance - 1) < 0.01  # stabilised
        assert abs(plain + 0.25) < 0.02  # biased by about -1/4 count
        assert abs(asymptotic) < 0.02  # the asymptotic inverse is not
    if mu <= 1:
        assert variance < 0.8  # at very low counts the variance is not stabilised

# The same variance by simulation, from the package's Poisson noise (y = q / peak).
peak = 20.0
flat = np.full((256, 256), 0.5, dtype=np.float32)
counts = add_poisson_noise(flat, peak, seed=0).astype(np.float64) * peak
assert np.allclose(counts, np.round(counts), atol=1e-3)  # whole photon counts
simulated = float(anscombe(counts).var())
print(
    f"simulated Var[A] at mu = {peak * 0.5:g}: {simulated:.3f} (exact {exact_moments(10)[1]:.3f})"
)
assert abs(simulated - exact_moments(10)[1]) < 0.03
print("All checks passed.")
