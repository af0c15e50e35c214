"""Exercise 4.7: grow a trained network without changing what it computes.

A convolution is linear in its input channels, so new input channels with zero weights
add nothing to its output, whatever they hold: that is how the colour model gets its
guide (models.colour_from_gray) and its cross-channel inputs (models.cross_channel_from).
A 3x3 convolution whose centre tap is the identity matrix, followed by a ReLU, returns a
non-negative input unchanged: that is how models.deepen_ffdnet adds layers between the
hidden layers, whose inputs have already been through a ReLU. Training then goes on
from the grown model, which at step 0 is exactly the trained one.
"""

from __future__ import annotations

import keras
import numpy as np

from deepdenoise.models import cross_channel_from, deepen_ffdnet, ffdnet, opponent_ffdnet

rng = np.random.default_rng(0)


def randomised(model: keras.Model) -> keras.Model:
    """Random non-zero weights everywhere, standing in for a trained model."""
    model.set_weights([rng.normal(0, 0.2, w.shape).astype("float32") for w in model.weights])
    return model


# 1. New inputs with zero weights: the colour model that also sees both colour
#    differences computes what the model it grew from computes.
plain = randomised(opponent_ffdnet(depth=4, width=8))
mixed = cross_channel_from(plain)
rgb = rng.random((2, 16, 24, 3), dtype="float32")
level = np.full((2, 16, 24, 1), 25 / 255, dtype="float32")
before = plain.predict([rgb, level], verbose=0)
difference = np.abs(mixed.predict([rgb, level], verbose=0) - before).max()
print(f"cross-channel model grown from the plain one: largest difference {difference:.1e}")
assert difference < 1e-5, difference

first = mixed.get_layer("shared_ffdnet").get_layer("conv1")
kernel, bias = first.get_weights()
print(f"first-layer kernel {kernel.shape}: inputs 12 to {kernel.shape[2] - 1} are new, all zero")
assert kernel.shape[2] == 20 and not kernel[:, :, 12:].any()

# ... and once training moves those weights, the output can change: the grown model can
# learn what the plain one could not.
kernel[:, :, 12:] = rng.normal(0, 0.1, kernel[:, :, 12:].shape)
first.set_weights([kernel, bias])
moved = np.abs(mixed.predict([rgb, level], verbose=0) - before).max()
print(f"with the new weights moved, the output changes by up to {moved:.3f}")
assert moved > 1e-3, moved

# 2. Identity layers after a ReLU: a deeper FFDNet that computes the same.
small = randomised(ffdnet(depth=4, width=8))
deep = deepen_ffdnet(small, depth=6)
gray = rng.random((2, 16, 24, 1), dtype="float32")
gray_level = np.full((2, 16, 24, 1), 25 / 255, dtype="float32")
difference = np.abs(
    deep.predict([gray, gray_level], verbose=0) - small.predict([gray, gray_level], verbose=0)
).max()
print(f"ffdnet deepened from 4 to 6 layers: largest difference {difference:.1e}")
assert difference < 1e-5, difference

# The same identity layer, ReLU and all, is the identity only on non-negative inputs:
# placed right after the image input (which noise makes negative in places) it would not be.
identity = keras.layers.Conv2D(3, 3, padding="same", activation="relu")
identity.build((None, None, None, 3))
centre = np.zeros((3, 3, 3, 3), dtype="float32")
centre[1, 1] = np.eye(3)
identity.set_weights([centre, np.zeros(3, dtype="float32")])
features = rng.random((1, 8, 8, 3), dtype="float32")  # after a ReLU: non-negative
signed = features - 0.5  # a noisy image, centred: negative in places
after_relu = np.abs(np.asarray(identity(features)) - features).max()
signed_error = np.abs(np.asarray(identity(signed)) - signed).max()
print(
    f"identity layer on non-negative input: {after_relu:.1e}; on signed input: {signed_error:.2f}"
)
assert after_relu < 1e-6 and signed_error > 0.1
print("All checks passed.")
