"""Exercise 2.5: convolutions are translation equivariant; pooling and dense layers are not.

Shift an image by a few pixels. A convolution (and a whole fully convolutional denoiser
such as DnCNN) gives the shifted output, except within its receptive field of the
border. Max pooling with stride 2 does so only for shifts by a multiple of 2, and a
dense layer does not at all.
"""

from __future__ import annotations

import keras
import numpy as np

from deepdenoise.models import dncnn

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
image = rng.random((1, 40, 40, 1), dtype=np.float32)


def shift(batch: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Move the image content down by ``rows`` and right by ``cols`` (wrapping around)."""
    return np.roll(batch, (rows, cols), axis=(1, 2))


def run(model: keras.Model | keras.layers.Layer, batch: np.ndarray) -> np.ndarray:
    return keras.ops.convert_to_numpy(model(batch))


def interior(batch: np.ndarray, margin: int) -> np.ndarray:
    return batch[:, margin:-margin, margin:-margin]


# A 3x3 convolution: conv(shift(u)) = shift(conv(u)) away from the border (margin covers
# the wrapped-around rows plus the kernel radius).
conv = keras.layers.Conv2D(4, 3, padding="same")
moved = run(conv, shift(image, 3, 2))
expected = shift(run(conv, image), 3, 2)
error = float(np.abs(interior(moved, 4) - interior(expected, 4)).max())
print(f"Conv2D: largest difference after a (3, 2) shift {error:.1e}")
assert error < 1e-5

# A whole DnCNN of depth 4: receptive-field radius 4, so stay 4 + 3 pixels from the border.
model = dncnn(depth=4, width=8, batch_norm=False)
moved = run(model, shift(image, 3, 2))
expected = shift(run(model, image), 3, 2)
error = float(np.abs(interior(moved, 7) - interior(expected, 7)).max())
print(f"DnCNN: largest difference after a (3, 2) shift {error:.1e}")
assert error < 1e-5

# Max pooling 2x2, stride 2: a shift by 2 input pixels is a shift by 1 output pixel...
pool = keras.layers.MaxPooling2D(2)
by_two = run(pool, shift(image, 2, 2))
assert np.allclose(interior(by_two, 2), interior(shift(run(pool, image), 1, 1), 2))
# ...but a shift by 1 pixel is no shift of the output at all.
by_one = run(pool, shift(image, 1, 1))
base = run(pool, image)
assert not any(
    np.allclose(interior(by_one, 2), interior(shift(base, r, c), 2))
    for r in (0, 1)
    for c in (0, 1)
)

# A dense layer from the flattened image to an image of the same size: no equivariance.
dense = keras.Sequential(
    [keras.Input((40, 40, 1)), keras.layers.Flatten(), keras.layers.Dense(40 * 40)]
)
out = run(dense, shift(image, 3, 2)).reshape(1, 40, 40, 1)
expected = shift(run(dense, image).reshape(1, 40, 40, 1), 3, 2)
assert not np.allclose(interior(out, 7), interior(expected, 7), atol=1e-2)
print("All checks passed.")
