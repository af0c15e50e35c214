"""Exercise 3.3: full-batch GD, SGD and mini-batch SGD on the same problem.

Train the same linear model from the same start with the three methods of
``deepdenoise.train.gradient_descent``. Check the number of updates per epoch (1, N and
ceil(N/B)) and that, per epoch and at the same learning rate, more updates reach a
lower loss.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from deepdenoise.train import gradient_descent

rng = np.random.default_rng(0)
n_samples, n_features, batch_size = 64, 4, 8
features = rng.uniform(-1, 1, size=(n_samples, n_features)).astype(np.float32)
true_w = np.array([[1.5], [-2.0], [0.5], [1.0]], dtype=np.float32)
targets = features @ true_w + 0.05 * rng.normal(size=(n_samples, 1)).astype(np.float32)


def fresh_model() -> keras.Model:
    keras.utils.set_random_seed(1)  # the same initial weights for every method
    return keras.Sequential([keras.Input((n_features,)), keras.layers.Dense(1)])


expected_updates = {"full": 1, "sgd": n_samples, "minibatch": math.ceil(n_samples / batch_size)}
final_loss = {}
for method, updates in expected_updates.items():
    trace = gradient_descent(
        fresh_model(),
        features,
        targets,
        method=method,
        batch_size=batch_size,
        learning_rate=0.05,
        epochs=3,
        seed=0,
    )
    final_loss[method] = float(trace.epoch_loss[-1])
    print(
        f"{method:>9}: {trace.updates_per_epoch:3d} updates/epoch, loss "
        f"{trace.epoch_loss[0]:.4f} -> {final_loss[method]:.4f} in {trace.step_time[-1]:.2f} s"
    )
    assert trace.updates_per_epoch == updates
    assert len(trace.step_loss) == 3 * updates
    assert trace.epoch_loss[-1] < trace.epoch_loss[0]

# Per epoch, more (noisier, cheaper) updates get further.
assert final_loss["sgd"] < final_loss["minibatch"] < final_loss["full"]
print("All checks passed.")
