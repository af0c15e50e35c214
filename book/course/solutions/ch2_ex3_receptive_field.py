"""Exercise 2.3: the receptive field of D stacked 3x3 convolutions is 2D + 1.

Measure the receptive field by changing one input pixel and looking for the output
pixels that change (``deepdenoise.inference.estimate_receptive_field`` returns the
radius, so the side is 2 * radius + 1). Compare plain stacks, DnCNN, and the
half-resolution FFDNet-style model.
"""

from __future__ import annotations

import keras

from deepdenoise.inference import estimate_receptive_field
from deepdenoise.models import dncnn, ffdnet

keras.utils.set_random_seed(0)


def conv_stack(layers: int) -> keras.Model:
    """``layers`` 3x3 convolutions with one channel, stride 1, "same" padding."""
    inputs = keras.Input((None, None, 1))
    x = inputs
    for _ in range(layers):
        x = keras.layers.Conv2D(1, 3, padding="same")(x)
    return keras.Model(inputs, x)


for layers in (1, 2, 3, 5, 8):
    side = 2 * estimate_receptive_field(conv_stack(layers), size=33) + 1
    print(f"{layers} conv layers: receptive field {side}x{side}")
    assert side == 2 * layers + 1

# DnCNN with 6 layers (without batch norm, so that the freshly built model is exact).
side = 2 * estimate_receptive_field(dncnn(depth=6, width=8, batch_norm=False), size=33) + 1
print(f"DnCNN, depth 6: {side}x{side}")
assert side == 2 * 6 + 1

# The half-resolution model: each 3x3 convolution on the 2x2-folded image reaches two
# full-resolution pixels further, so 4 layers reach a radius of 2 * 4 + 1 = 9 pixels.
radius = estimate_receptive_field(ffdnet(depth=4, width=8), size=34)
print(f"FFDNet-style, depth 4: radius {radius} pixels")
assert radius == 2 * 4 + 1
print("All checks passed.")
