"""Exercise 4.2: pixel unshuffle is a reshape and a transpose, so nothing is lost.

For an image of shape (H, W, C) and block size r, pixel unshuffle puts pixel
(r i + p, r j + q, c) at position (i, j) and channel (p r + q) C + c. Write it with
``numpy.reshape`` and ``numpy.transpose``, check it against
``deepdenoise.models.PixelUnshuffle`` and ``tf.nn.space_to_depth``, and check that
``PixelShuffle`` undoes it exactly.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from deepdenoise.models import PixelShuffle, PixelUnshuffle


def unshuffle(image: np.ndarray, r: int) -> np.ndarray:
    """(H, W, C) -> (H/r, W/r, r*r*C) with a reshape, a transpose and a reshape."""
    height, width, channels = image.shape
    blocks = image.reshape(height // r, r, width // r, r, channels)  # (i, p, j, q, c)
    blocks = blocks.transpose(0, 2, 1, 3, 4)  # (i, j, p, q, c)
    return blocks.reshape(height // r, width // r, r * r * channels)


def shuffle(folded: np.ndarray, r: int) -> np.ndarray:
    """The inverse: undo the last reshape, the transpose and the first reshape."""
    height, width, channels = folded.shape[0] * r, folded.shape[1] * r, folded.shape[2] // (r * r)
    blocks = folded.reshape(height // r, width // r, r, r, channels).transpose(0, 2, 1, 3, 4)
    return blocks.reshape(height, width, channels)


# The 4x4 image of the chapter's figure, holding 0..15.
small = np.arange(16, dtype=np.float32).reshape(4, 4, 1)
folded = unshuffle(small, 2)
print("channel 0:", folded[..., 0].tolist(), " position (0, 0):", folded[0, 0].tolist())
assert folded[..., 0].tolist() == [[0, 2], [8, 10]]  # the top-left pixel of every block
assert folded[0, 0].tolist() == [0, 1, 4, 5]  # the first block, spread over 4 channels

# The index formula, on a random colour image with r = 2 and r = 3.
rng = np.random.default_rng(0)
for r, (height, width, channels) in [(2, (6, 8, 3)), (3, (9, 6, 2))]:
    image = rng.random((height, width, channels), dtype=np.float32)
    folded = unshuffle(image, r)
    for i, p, j, q, c in [(0, 1, 1, 0, 1), (1, r - 1, 0, r - 1, 0), (2, 0, 1, 1, channels - 1)]:
        assert folded[i, j, (p * r + q) * channels + c] == image[r * i + p, r * j + q, c]
    # The package's layer and TensorFlow's space_to_depth agree with the reshape exactly.
    layer = keras.ops.convert_to_numpy(PixelUnshuffle(r)(image[None]))[0]
    assert np.array_equal(layer, folded)
    assert np.array_equal(tf.nn.space_to_depth(image[None], r).numpy()[0], folded)
    # Nothing is lost: the inverse gives every pixel back, bit for bit.
    assert np.array_equal(shuffle(folded, r), image)
    back = keras.ops.convert_to_numpy(PixelShuffle(r)(layer[None]))[0]
    assert np.array_equal(back, image)
    # Unshuffle only moves values: the same multiset of numbers, r^2 times fewer positions.
    assert np.array_equal(np.sort(folded, axis=None), np.sort(image, axis=None))
print("All checks passed.")
