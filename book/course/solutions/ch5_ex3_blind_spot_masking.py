"""Exercise 5.3: Noise2Void's blind-spot masking, written by hand.

Give a random fraction of the pixels of a noisy image the value of a random neighbour
at most ``radius`` pixels away (not itself), and score a denoiser's output against the
noisy image only at those pixels. Check the mask, check that the loss ignores every
other pixel (zero gradient there), and show why masking is needed: without it the
identity has loss 0 and wins; with it, copying the input loses to a smoothing filter.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from deepdenoise.classical import CLASSICAL_METHODS
from deepdenoise.data import sample_images
from deepdenoise.noise import add_gaussian_noise

sigma, fraction, radius = 25, 0.1, 2
clean = sample_images(names=["camera"])["camera"][:128, :128]
noisy = add_gaussian_noise(clean, sigma, seed=0)
rng = np.random.default_rng(0)
OFFSETS = np.array(
    [(dy, dx) for dy in range(-radius, radius + 1) for dx in range(-radius, radius + 1)]
)
OFFSETS = OFFSETS[np.any(OFFSETS != 0, axis=1)]  # every neighbour, not the pixel itself


def blind_spot_mask(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The masked copy of ``image`` and the boolean mask of the replaced pixels."""
    height, width = image.shape
    mask = rng.random(image.shape) < fraction
    rows, cols = np.nonzero(mask)
    dy, dx = OFFSETS[rng.integers(len(OFFSETS), size=rows.size)].T
    # A neighbour that would fall outside the image is mirrored back inside.
    source_rows = np.where((rows + dy < 0) | (rows + dy >= height), rows - dy, rows + dy)
    source_cols = np.where((cols + dx < 0) | (cols + dx >= width), cols - dx, cols + dx)
    masked = image.copy()
    masked[rows, cols] = image[source_rows, source_cols]
    return masked, mask


def masked_mse(output: tf.Tensor, target: np.ndarray, mask: np.ndarray) -> tf.Tensor:
    """Mean squared error over the masked pixels only."""
    weights = tf.constant(mask, dtype=output.dtype)
    return tf.reduce_sum(weights * (output - target) ** 2) / tf.reduce_sum(weights)


masked, mask = blind_spot_mask(noisy)
print(f"masked {mask.mean():.1%} of the pixels")
assert abs(mask.mean() - fraction) < 0.01
assert np.array_equal(masked[~mask], noisy[~mask])  # the rest is untouched
assert np.all(masked[mask] != noisy[mask])  # no masked pixel keeps its own value
# Every masked value is the value of a pixel of its window (NaN outside matches nothing).
padded = np.pad(noisy, radius, constant_values=np.nan)
height, width = noisy.shape
window = np.stack(
    [
        padded[radius + dy : radius + dy + height, radius + dx : radius + dx + width]
        for dy, dx in OFFSETS
    ]
)
assert np.all(np.any(window == masked, axis=0)[mask])

# The loss ignores every pixel outside the mask: zero gradient there, nonzero inside.
output = tf.Variable(CLASSICAL_METHODS["gaussian"](masked, sigma).astype(np.float64))
with tf.GradientTape() as tape:
    loss = masked_mse(output, noisy, mask)
gradient = tape.gradient(loss, output).numpy()
assert np.all(gradient[~mask] == 0) and np.all(gradient[mask] != 0)

# Without the mask, copying the input is perfect: loss 0, and nothing is denoised.
assert float(np.mean((noisy - noisy) ** 2)) == 0.0
# With the mask, copying the masked input scores about 2 (sigma/255)^2 plus the
# neighbour's difference at the masked pixels, while a smoothing filter does better.
copy_loss = float(masked_mse(tf.constant(masked, tf.float64), noisy, mask))
smooth_loss = float(masked_mse(output, noisy, mask))
variance = (sigma / 255) ** 2
print(
    f"masked loss: copy the input {copy_loss:.5f} (> 2 sigma^2 = {2 * variance:.5f}), "
    f"Gaussian filter {smooth_loss:.5f} (>= sigma^2 = {variance:.5f})"
)
assert copy_loss > 1.9 * variance
assert variance * 0.95 < smooth_loss < copy_loss
print("All checks passed.")
