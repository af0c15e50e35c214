"""Exercise 3.6: the mini-batch gradient is unbiased, with variance Sigma / B.

For a linear least-squares model (inputs Phi, one row phi_i per sample, weights theta),
compute the per-sample gradients, draw many mini-batches (with replacement) of several
sizes B, and check eq-ch3-variance: the mean of the mini-batch gradients is the full
gradient, and their total variance is trace(Sigma) / B.
"""

from __future__ import annotations

import numpy as np

from deepdenoise.metrics import mse

rng = np.random.default_rng(0)
n_samples, n_weights = 500, 3
Phi = rng.normal(size=(n_samples, n_weights))
targets = Phi @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=n_samples)
theta = np.zeros(n_weights)  # the point where we look at the gradient

# L(theta) = mean((Phi theta - t)^2); per-sample gradient 2 (phi_i . theta - t_i) phi_i.
per_sample = 2 * (Phi @ theta - targets)[:, None] * Phi
full = per_sample.mean(axis=0)

# The full gradient agrees with a finite difference of the package's MSE.
eps = 1e-6
for k in range(n_weights):
    step = np.zeros(n_weights)
    step[k] = eps
    # deepdenoise.metrics.mse scores images, so pass the vectors as 1 x N "images".
    plus, minus = (Phi @ (theta + step))[None, :], (Phi @ (theta - step))[None, :]
    numeric = (mse(targets[None, :], plus) - mse(targets[None, :], minus)) / (2 * eps)
    assert abs(numeric - full[k]) < 1e-4 * max(1.0, abs(full[k])), (k, numeric, full[k])

trace_sigma = float(((per_sample - full) ** 2).sum(axis=1).mean())
draws = 20_000
print(f"trace(Sigma) = {trace_sigma:.3f}")
print(f"{'B':>4} {'|mean - full|':>14} {'total variance':>15} {'trace(Sigma)/B':>15}")
for batch_size in (1, 4, 16, 64):
    index = rng.integers(0, n_samples, size=(draws, batch_size))
    estimates = per_sample[index].mean(axis=1)  # one mini-batch gradient per row
    bias = float(np.linalg.norm(estimates.mean(axis=0) - full))
    variance = float(estimates.var(axis=0).sum())
    predicted = trace_sigma / batch_size
    print(f"{batch_size:>4} {bias:14.4f} {variance:15.4f} {predicted:15.4f}")
    # Unbiased: the mean over draws is within a few standard errors of the full gradient.
    assert bias < 5 * np.sqrt(predicted / draws)
    # Variance proportional to 1/B.
    assert abs(variance / predicted - 1) < 0.05

# Without replacement (a shuffled epoch) the variance is multiplied by (N - B)/(N - 1),
# and a batch of all N samples has no noise at all.
batch_size = 100
batches = np.stack([rng.permutation(n_samples)[:batch_size] for _ in range(draws)])
variance = float(per_sample[batches].mean(axis=1).var(axis=0).sum())
predicted = trace_sigma / batch_size * (n_samples - batch_size) / (n_samples - 1)
print(f"without replacement, B = {batch_size}: {variance:.4f} (predicted {predicted:.4f})")
assert abs(variance / predicted - 1) < 0.05
assert np.allclose(per_sample[rng.permutation(n_samples)].mean(axis=0), full)
print("All checks passed.")
