"""Exercise 2.1: a dense layer and a convolution by hand, checked against Keras.

Write the forward pass of ``keras.layers.Dense`` and of ``keras.layers.Conv2D``
(``padding="same"``, several input and output channels) with NumPy, and check that
Keras computes a cross-correlation, not a flipped-kernel convolution.
"""

from __future__ import annotations

import keras
import numpy as np
from scipy.signal import convolve2d, correlate2d

import deepdenoise  # noqa: F401  (sets TensorFlow's log level)

rng = np.random.default_rng(0)


def dense_by_hand(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """ReLU(x W + b) for a batch x of shape (B, n) and W of shape (n, m)."""
    return np.maximum(x @ kernel + bias, 0.0)


def conv2d_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Cross-correlation of one image x (H, W, Cin) with kernel (k, k, Cin, Cout)."""
    k = kernel.shape[0]
    r = k // 2
    padded = np.pad(x, ((r, r), (r, r), (0, 0)))  # zero padding: "same" output size
    height, width, _ = x.shape
    out = np.empty((height, width, kernel.shape[3]))
    for i in range(height):
        for j in range(width):
            window = padded[i : i + k, j : j + k, :]
            out[i, j] = np.tensordot(window, kernel, axes=([0, 1, 2], [0, 1, 2])) + bias
    return out


# Dense layer.
x = rng.normal(size=(4, 5)).astype(np.float32)
dense = keras.layers.Dense(3, activation="relu")
dense.build(x.shape)
kernel, bias = (w.astype(np.float32) for w in (rng.normal(size=(5, 3)), rng.normal(size=3)))
dense.set_weights([kernel, bias])
assert np.allclose(dense_by_hand(x, kernel, bias), keras.ops.convert_to_numpy(dense(x)), atol=1e-5)

# Convolution layer: 2 input channels, 3 output channels, odd image size.
image = rng.random((1, 11, 9, 2), dtype=np.float32)
conv = keras.layers.Conv2D(3, 3, padding="same")
conv.build(image.shape)
kernel = rng.normal(size=(3, 3, 2, 3)).astype(np.float32)
bias = rng.normal(size=3).astype(np.float32)
conv.set_weights([kernel, bias])
by_hand = conv2d_same(image[0], kernel, bias)
by_keras = keras.ops.convert_to_numpy(conv(image))[0]
print("largest difference, Conv2D vs by hand:", float(np.abs(by_hand - by_keras).max()))
assert by_hand.shape == by_keras.shape == (11, 9, 3)
assert np.allclose(by_hand, by_keras, atol=1e-5)

# Keras "convolution" is scipy's correlate2d; convolve2d flips the kernel.
one = rng.random((7, 7))
k = rng.normal(size=(3, 3))
assert np.allclose(
    conv2d_same(one[..., None], k[:, :, None, None], np.zeros(1))[..., 0],
    correlate2d(one, k, mode="same"),
)
assert np.allclose(correlate2d(one, k, mode="same"), convolve2d(one, k[::-1, ::-1], mode="same"))
assert not np.allclose(correlate2d(one, k, mode="same"), convolve2d(one, k, mode="same"))

# Parameters: k*k*Cin*Cout + Cout.
assert conv.count_params() == 3 * 3 * 2 * 3 + 3
print("All checks passed.")
