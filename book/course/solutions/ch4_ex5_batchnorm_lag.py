"""Exercise 4.5: the batch-normalisation trap, with one layer.

Feed a BatchNormalization layer 100 training batches whose mean is 0.5 and standard
deviation 0.1. Its moving mean follows mu <- m mu + (1 - m) mu_batch from 0, so after
k steps it has only reached about 0.5 (1 - m^k). With Keras's default m = 0.99 the
layer then normalises differently in inference than in training; with m = 0.9 (the
default of ``deepdenoise.models.dncnn``) it has caught up. (A smaller momentum
averages fewer batches, so its statistics are noisier: that is the trade-off.)
"""

from __future__ import annotations

import keras
import numpy as np

from deepdenoise.models import dncnn

steps = 100
rng = np.random.default_rng(0)
batches = [(0.5 + 0.1 * rng.normal(size=(256, 4))).astype(np.float32) for _ in range(steps)]

results = {}
for momentum in (0.99, 0.9):
    layer = keras.layers.BatchNormalization(momentum=momentum)
    layer.build((None, 4))
    expected_mean = np.zeros(4)  # Keras starts the moving mean at 0 and the variance at 1
    for batch in batches:
        layer(batch, training=True)
        expected_mean = momentum * expected_mean + (1 - momentum) * batch.mean(axis=0)
    moving_mean = keras.ops.convert_to_numpy(layer.moving_mean)
    assert np.allclose(moving_mean, expected_mean, atol=1e-5)

    test = (0.5 + 0.1 * rng.normal(size=(4096, 4))).astype(np.float32)
    infer_mode = keras.ops.convert_to_numpy(layer(test, training=False))  # moving stats
    train_mode = keras.ops.convert_to_numpy(layer(test, training=True))  # batch stats
    gap = float(np.abs(infer_mode.mean() - train_mode.mean()))
    results[momentum] = gap
    print(
        f"momentum {momentum}: moving mean {moving_mean.mean():.3f} "
        f"(0.5 * (1 - m^k) = {0.5 * (1 - momentum**steps):.3f}), "
        f"train/inference output gap {gap:.3f}"
    )

assert abs(0.5 * (1 - 0.99**steps) - 0.317) < 1e-3  # still a third short of 0.5
assert results[0.99] > 0.2  # the layer behaves differently in predict()
assert results[0.9] < 0.05  # caught up

# The package's DnCNN uses momentum 0.9 in its batch-norm layers.
model = dncnn(depth=4, width=8)
momenta = {
    layer.momentum for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)
}
assert momenta == {0.9}, momenta
print("All checks passed.")
