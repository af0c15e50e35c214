"""How each layer of a functional model rescales height and width."""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction

import keras

from .layers import PixelShuffle, PixelUnshuffle


def scale_change(layer: keras.layers.Layer) -> Fraction:
    """How much ``layer`` shrinks height and width (2 for a 2x2 pooling, 1/2 for x2 upsampling)."""
    if isinstance(layer, keras.Model):
        return output_scale(layer)
    if isinstance(layer, PixelUnshuffle):
        return Fraction(layer.block_size)
    if isinstance(layer, PixelShuffle):
        return Fraction(1, layer.block_size)
    if isinstance(layer, keras.layers.UpSampling2D):
        return Fraction(1, math.lcm(*(int(size) for size in layer.size)))
    if isinstance(layer, keras.layers.Conv2DTranspose):
        return Fraction(1, math.lcm(*(int(step) for step in layer.strides)))
    if isinstance(layer, keras.layers.MaxPooling2D | keras.layers.AveragePooling2D):
        return Fraction(math.lcm(*(int(step) for step in layer.strides)))
    if isinstance(layer, keras.layers.Conv2D):
        return Fraction(math.lcm(*(int(step) for step in layer.strides)))
    return Fraction(1)


def layer_scales(model: keras.Model) -> Iterator[tuple[keras.layers.Layer, Fraction, Fraction]]:
    """Yield ``(layer, input_scale, output_scale)`` for each layer, in graph order.

    A scale is how many times smaller than the model's input the layer's
    tensor is along height and width (2 after a 2x2 pooling); where several
    tensors meet, the smallest (largest scale) is taken.
    """
    scale = {id(tensor): Fraction(1) for tensor in model.inputs}
    largest = Fraction(1)
    for layer in model.layers:  # functional models list layers in topological order
        if isinstance(layer, keras.layers.InputLayer):
            continue
        try:
            inputs, outputs = keras.tree.flatten(layer.input), keras.tree.flatten(layer.output)
        except (AttributeError, ValueError):  # a shared layer: assume a chain
            inputs, outputs = [], []
        known = [scale[id(tensor)] for tensor in inputs if id(tensor) in scale]
        before = max(known) if known else largest
        current = before * scale_change(layer)
        largest = max(largest, current)
        for tensor in outputs:
            scale[id(tensor)] = current
        yield layer, before, current


def output_scale(model: keras.Model) -> Fraction:
    """How many times smaller than its input a model's output is (1 for a denoiser)."""
    final = Fraction(1)
    for _, _, out in layer_scales(model):
        final = out  # the last layer in topological order
    return final


def size_multiple(model: keras.Model) -> int:
    """Largest cumulative downsampling factor along any path of the layer graph.

    Inside a nested model, the factor reached within it counts, from the scale
    of its input.
    """
    largest = Fraction(1)
    for layer, before, out in layer_scales(model):
        inner = before * size_multiple(layer) if isinstance(layer, keras.Model) else out
        largest = max(largest, inner)
    return math.ceil(largest)


def calls(model: keras.Model, layer: keras.layers.Layer) -> int:
    """How many times ``model``'s graph calls ``layer`` (a shared layer more than once)."""
    nodes = getattr(model, "_nodes", None)
    inbound = getattr(layer, "_inbound_nodes", [])
    if not nodes or not inbound:
        return 1
    count = sum(f"{id(layer)}_ib-{index}" in nodes for index in range(len(inbound)))
    return max(1, count)
