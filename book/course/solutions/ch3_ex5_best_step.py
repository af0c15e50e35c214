"""Exercise 3.5: the best constant learning rate is 2 / (lambda_max + lambda_min).

On a quadratic with Hessian H, full-batch descent multiplies the error along an
eigenvector with eigenvalue lambda by 1 - eta lambda. The worst direction is the
steepest or the flattest one, and max(|1 - eta lambda_min|, |1 - eta lambda_max|) is
smallest where the two are equal: eta* = 2 / (lambda_max + lambda_min) (optimisation
texts write 2 / (L + mu)), with rate (kappa - 1) / (kappa + 1). With two weights both
directions then shrink by exactly that factor, so the loss (a square) falls by
((kappa - 1) / (kappa + 1))^2 at every step. Check it with
``deepdenoise.train.gradient_descent``.
"""

from __future__ import annotations

import keras
import numpy as np

from deepdenoise.train import gradient_descent

rng = np.random.default_rng(0)
features = (rng.normal(size=(256, 2)) * np.array([3.0, 1.0])).astype(np.float32)
targets = features @ np.array([[1.0], [-2.0]], dtype=np.float32)  # exact fit: minimum 0

hessian = 2.0 / len(features) * features.T.astype(np.float64) @ features
lambda_min, lambda_max = np.linalg.eigvalsh(hessian)
kappa = lambda_max / lambda_min
best_eta = 2 / (lambda_max + lambda_min)
rate = (kappa - 1) / (kappa + 1)
print(f"lambda = {lambda_min:.3f}, {lambda_max:.3f}; kappa = {kappa:.2f}")
print(f"eta* = {best_eta:.4f}, predicted rate {rate:.4f} per step")


def worst_factor(eta: float) -> float:
    return max(abs(1 - eta * lambda_min), abs(1 - eta * lambda_max))


# eta* minimises the worst-case factor over a fine grid of learning rates below 2/ell.
grid = np.linspace(0.001, 2 / lambda_max, 2000)
best_on_grid = grid[int(np.argmin([worst_factor(eta) for eta in grid]))]
assert abs(best_on_grid - best_eta) < 2 * (grid[1] - grid[0])
assert np.isclose(worst_factor(best_eta), rate)


def losses(eta: float, start: np.ndarray | None = None, epochs: int = 12) -> np.ndarray:
    """Per-epoch loss of full-batch descent, from Keras's initial weights or from ``start``."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
    if start is not None:
        model.set_weights([start.reshape(2, 1).astype(np.float32)])
    return gradient_descent(
        model, features, targets, method="full", learning_rate=eta, epochs=epochs
    ).epoch_loss


curve = losses(best_eta)
ratios = curve[1:] / curve[:-1]
print("loss ratio per step:", np.round(ratios, 4), f"(predicted {rate**2:.4f})")
assert np.allclose(ratios, rate**2, rtol=1e-3)

# Any other constant rate has a worse worst case: started along one of the two
# eigenvectors, its loss falls more slowly than rate^2 per step.
optimum = np.array([1.0, -2.0])
eigenvectors = np.linalg.eigh(hessian)[1].T
for factor in (0.8, 1.1):  # both below the bound 2/lambda_max
    worst = max(
        float(np.mean(np.diff(np.log(losses(factor * best_eta, optimum + v)))))
        for v in eigenvectors
    )
    print(f"eta = {factor} eta*: worst loss ratio per step {np.exp(worst):.4f}")
    assert np.exp(worst) > rate**2 * 1.05
print("All checks passed.")
