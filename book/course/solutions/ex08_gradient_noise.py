"""Exercise 8 (chapter 3): the mini-batch gradient is unbiased, with variance Sigma / B.

For linear least squares, compute the per-sample gradients, draw many mini-batches
(with replacement) of several sizes B, and check that the mean of the mini-batch
gradients is the full gradient and that their total variance is trace(Sigma) / B.
"""

from __future__ import annotations

import numpy as np

from deepdenoise.metrics import mse

rng = np.random.default_rng(0)
n_samples, n_features = 500, 3
X = rng.normal(size=(n_samples, n_features))
y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=n_samples)
w = np.zeros(n_features)  # the point where we look at the gradient

# Loss L(w) = mean((X w - y)^2); per-sample gradient 2 (x_i . w - y_i) x_i.
per_sample = 2 * (X @ w - y)[:, None] * X
full = per_sample.mean(axis=0)

# The full gradient agrees with a finite difference of the package's MSE.
eps = 1e-6
for k in range(n_features):
    step = np.zeros(n_features)
    step[k] = eps
    # deepdenoise.metrics.mse scores images, so pass the vectors as 1 x N "images".
    plus, minus = (X @ (w + step))[None, :], (X @ (w - step))[None, :]
    numeric = (mse(y[None, :], plus) - mse(y[None, :], minus)) / (2 * eps)
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
print("All checks passed.")
