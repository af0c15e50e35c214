"""Exercise 4.8: is the colour test set like the training set?

The colour model trains on CBSD432 and is tested on CBSD68 and McMaster. Per image, the
spread of the brightness and of the two colour differences (models.opponent.OPPONENT, on
the 0-255 scale) and the mean correlation between R, G and B say how colourful a set is.
Then the same statistics on 64 x 64 training patches, drawn as the trainer draws them,
with and without the colour augmentation of data.sampler.sample_batch.
"""

from __future__ import annotations

import numpy as np

from deepdenoise.data import benchmark
from deepdenoise.data.sampler import load_training_images, sample_batch
from deepdenoise.models.opponent import OPPONENT

TRANSFORM = np.asarray(OPPONENT)


def colour_statistics(images: list[np.ndarray]) -> tuple[np.ndarray, float]:
    """Mean spread (0-255) of brightness and colour differences, and mean channel correlation."""
    spreads, correlations = [], []
    for image in images:
        pixels = image.reshape(-1, 3).astype(np.float64)
        spreads.append((pixels @ TRANSFORM.T).std(axis=0) * 255)
        if pixels.std(axis=0).min() > 0:  # a flat channel has no correlation
            correlations.append(np.corrcoef(pixels.T)[np.triu_indices(3, k=1)].mean())
    return np.mean(spreads, axis=0), float(np.mean(correlations))


# 1. Whole images of each set.
found = {}
for name in ("cbsd432", "cbsd68", "mcmaster"):
    spread, correlation = colour_statistics([image for _, image in benchmark(name)])
    found[name] = spread, correlation
    print(
        f"{name:>8}: spread of brightness, colour differences {np.round(spread, 1)}, "
        f"channel correlation {correlation:.3f}"
    )
train_spread, train_correlation = found["cbsd432"]
# CBSD68 is cut from the same photo collection as CBSD432: alike within 20%.
assert np.all(np.abs(found["cbsd68"][0] / train_spread - 1) < 0.2), found["cbsd68"]
# McMaster's colour differences spread far wider, and its channels correlate less.
assert np.all(found["mcmaster"][0][1:] > 1.5 * train_spread[1:]), found["mcmaster"]
assert found["mcmaster"][1] < train_correlation - 0.1, found["mcmaster"]

# 3. Training patches as the trainer draws them, plain and recoloured, against McMaster's.
patches = {"cbsd432": {}, "cbsd432 recoloured": {"permute_channels": True, "saturation": (1, 3)}}
training = load_training_images("cbsd432")
drawn = {}
for label, options in patches.items():
    rng = np.random.default_rng(0)
    _, _, clean = sample_batch(
        training, rng, batch_size=512, patch_size=64, sigma=(0.0, 0.0), **options
    )
    drawn[label] = colour_statistics(list(clean))
mcmaster = [image for _, image in benchmark("mcmaster")]
_, _, mcmaster_patches = sample_batch(
    [image.astype(np.float32) for image in mcmaster],
    np.random.default_rng(0),
    batch_size=512,
    patch_size=64,
    sigma=(0.0, 0.0),
)
drawn["mcmaster"] = colour_statistics(list(mcmaster_patches))
for label, (spread, correlation) in drawn.items():
    print(
        f"{label:>18} patches: spread {np.round(spread, 1)}, channel correlation {correlation:.3f}"
    )
plain, recoloured = drawn["cbsd432"][0], drawn["cbsd432 recoloured"][0]
# The recolouring keeps the brightness and widens the colour differences...
assert abs(recoloured[0] / plain[0] - 1) < 0.1, (plain, recoloured)
assert np.all(recoloured[1:] > 1.2 * plain[1:]), (plain, recoloured)
assert drawn["cbsd432 recoloured"][1] < drawn["cbsd432"][1] - 0.05, drawn
# ...toward McMaster's: the recoloured patches are closer to McMaster's in both.
target = drawn["mcmaster"][0][1:]
assert np.all(np.abs(recoloured[1:] - target) < np.abs(plain[1:] - target)), drawn
print("All checks passed.")
