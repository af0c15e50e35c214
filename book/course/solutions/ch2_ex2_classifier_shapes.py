"""Exercise 2.2: shapes and parameters of the article's classifier, by hand and by Keras.

A convolution with k x k kernels, C_in input and C_out output channels has
k^2 C_in C_out + C_out parameters, and an input of side `size` gives an output of
side floor((size + 2 pad - k) / s) + 1. Predict every shape and parameter count of
the article's model, Conv2D(32, 3x3) -> MaxPooling2D(2x2) -> Flatten -> Dense(10),
then check with Keras. Show that max pooling maps different images to the same
output, and compare a dense image-to-image layer with a convolution.
"""

from __future__ import annotations

import keras
import numpy as np

import deepdenoise  # noqa: F401  (sets TensorFlow's log level)
from deepdenoise.models import multiply_adds


def conv_output_side(size: int, kernel: int, *, pad: int = 0, stride: int = 1) -> int:
    return (size + 2 * pad - kernel) // stride + 1


# By hand: 28x28x1 -> conv 3x3 "valid" -> pool 2x2 -> flatten -> dense 10.
side = conv_output_side(28, 3)  # 26
pooled = conv_output_side(side, 2, stride=2)  # 13
predicted_shapes = [(side, side, 32), (pooled, pooled, 32), (pooled * pooled * 32,), (10,)]
predicted_params = [3 * 3 * 1 * 32 + 32, 0, 0, pooled * pooled * 32 * 10 + 10]
print("predicted:", predicted_shapes, predicted_params, "total", sum(predicted_params))

model = keras.Sequential(
    [
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
for layer, shape, params in zip(model.layers, predicted_shapes, predicted_params, strict=True):
    print(
        f"{layer.name:>16}: output {tuple(layer.output.shape[1:])}, {layer.count_params()} params"
    )
    assert tuple(layer.output.shape[1:]) == shape
    assert layer.count_params() == params
assert model.count_params() == 54_410

# Its output is ten class probabilities, whatever the input: no image comes out.
digits = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
probabilities = keras.ops.convert_to_numpy(model(digits))
assert probabilities.shape == (3, 10)
assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)

# Max pooling is many-to-one: two different images, one pooled output.
pool = keras.layers.MaxPooling2D(2)
first = np.array([[1, 0], [0, 0]], np.float32).reshape(1, 2, 2, 1)
second = np.array([[0, 0], [0, 1]], np.float32).reshape(1, 2, 2, 1)
assert not np.array_equal(first, second)
assert np.array_equal(
    keras.ops.convert_to_numpy(pool(first)), keras.ops.convert_to_numpy(pool(second))
)

# A dense layer from a 180x180 image to a 180x180 image, against a 3x3 convolution 64 -> 64.
pixels = 180 * 180
dense_weights = pixels * pixels
conv = keras.Sequential(
    [keras.Input((None, None, 64)), keras.layers.Conv2D(64, 3, padding="same")]
)
print(f"dense {dense_weights:.3e} weights, 3x3 conv 64->64 {conv.count_params()} parameters")
assert conv.count_params() == 3 * 3 * 64 * 64 + 64 == 36_928
assert 25_000 < dense_weights / conv.count_params() < 35_000  # "about thirty thousand times"
# Its cost per pixel does not depend on the image size: k^2 C_in C_out multiply-adds.
assert multiply_adds(conv, 180, 180) == pixels * 9 * 64 * 64
print("All checks passed.")
