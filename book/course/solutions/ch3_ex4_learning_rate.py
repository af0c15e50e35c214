"""Exercise 3.4: gradient descent converges only for learning rates below 2/ell.

For a model that is linear in its weights, trained with the MSE on N rows of inputs
Phi, the Hessian is H = (2/N) Phi^T Phi and the smoothness constant ell is its largest
eigenvalue. Run full-batch gradient descent at 0.9 * 2/ell, at 1.1 * 2/ell and at a
tiny learning rate, and compare the loss curves with the prediction of
eq-ch3-quadratic: the error along the steepest direction is multiplied by
1 - eta * ell at every step.
"""

from __future__ import annotations

import keras
import numpy as np

from deepdenoise.train import gradient_descent

rng = np.random.default_rng(0)
features = rng.normal(size=(128, 3)).astype(np.float32) * np.array([1.0, 2.0, 0.5], np.float32)
targets = features @ np.array([[1.0], [-1.0], [2.0]], dtype=np.float32)

hessian = 2.0 / len(features) * features.T.astype(np.float64) @ features
eigenvalues = np.linalg.eigvalsh(hessian)
ell = float(eigenvalues.max())
print(f"eigenvalues of H: {np.round(eigenvalues, 3)}, bound 2/ell = {2 / ell:.4f}")


def run(learning_rate: float, epochs: int = 40) -> np.ndarray:
    """Per-epoch loss of full-batch descent from the same initial weights."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, use_bias=False)])
    trace = gradient_descent(
        model, features, targets, method="full", learning_rate=learning_rate, epochs=epochs
    )
    return trace.epoch_loss


below = run(0.9 * 2 / ell)
above = run(1.1 * 2 / ell)
tiny = run(0.01 * 2 / ell)
for name, loss in [("0.9 * 2/ell", below), ("1.1 * 2/ell", above), ("0.01 * 2/ell", tiny)]:
    print(f"eta = {name:>12}: loss {loss[0]:.3g} -> {loss[-1]:.3g}")

assert below[-1] < 1e-3 * below[0]  # converges
assert above[-1] > 10 * above[0]  # diverges: the steepest direction grows by |1 - eta ell| > 1
assert tiny[-1] < tiny[0]  # decreases...
assert tiny[-1] > 1000 * below[-1]  # ...but crawls

# The predicted growth factor per step along the steepest direction: |1 - 1.1 * 2| = 1.2,
# so the loss (a square) grows by about 1.2 ** 2 = 1.44 per step in the end.
ratio = above[-1] / above[-2]
print(f"loss ratio per step above the bound: {ratio:.3f} (predicted 1.44)")
assert abs(ratio - 1.44) < 0.02
print("All checks passed.")
