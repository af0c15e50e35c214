"""Exercise 7 (chapter 3): gradient descent converges only for learning rates below 2/L.

For linear least squares with the MSE, the Hessian is H = 2/N X^T X and L is its
largest eigenvalue. Run full-batch gradient descent at 0.9 * 2/L and at 1.1 * 2/L,
and a tiny learning rate, and compare.
"""

from __future__ import annotations

import keras
import numpy as np

from deepdenoise.train import gradient_descent

rng = np.random.default_rng(0)
x = rng.normal(size=(128, 3)).astype(np.float32) * np.array([1.0, 2.0, 0.5], np.float32)
y = x @ np.array([[1.0], [-1.0], [2.0]], dtype=np.float32)

hessian = 2.0 / len(x) * x.T.astype(np.float64) @ x
eigenvalues = np.linalg.eigvalsh(hessian)
L = float(eigenvalues.max())
print(f"eigenvalues of H: {np.round(eigenvalues, 3)}, bound 2/L = {2 / L:.4f}")


def run(learning_rate: float, epochs: int = 40) -> np.ndarray:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, use_bias=False)])
    trace = gradient_descent(
        model, x, y, method="full", learning_rate=learning_rate, epochs=epochs, seed=0
    )
    return trace.epoch_loss


below = run(0.9 * 2 / L)
above = run(1.1 * 2 / L)
tiny = run(0.01 * 2 / L)
for name, loss in [("0.9 * 2/L", below), ("1.1 * 2/L", above), ("0.01 * 2/L", tiny)]:
    print(f"lr = {name:>10}: loss {loss[0]:.3g} -> {loss[-1]:.3g}")

assert below[-1] < 1e-3 * below[0]  # converges
assert above[-1] > 10 * above[0]  # diverges: the steepest direction grows by |1 - lr L| > 1
assert tiny[-1] < tiny[0]  # decreases...
assert tiny[-1] > 1000 * below[-1]  # ...but crawls

# The predicted growth factor per step along the steepest direction: |1 - 1.1 * 2| = 1.2,
# so the loss (a square) grows by about 1.2 ** 2 = 1.44 per step in the end.
ratio = above[-1] / above[-2]
print(f"loss ratio per step above the bound: {ratio:.3f} (predicted 1.44)")
assert abs(ratio - 1.44) < 0.02
print("All checks passed.")
