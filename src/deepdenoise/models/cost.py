"""Multiply-adds of a model: the cost that decides its speed on a CPU."""

from __future__ import annotations

import math

import keras

from .._checks import ArgumentTypeError, check_positive_int
from ._graph import calls, layer_scales

__all__ = ["multiply_adds"]


def _layer_macs(layer: keras.layers.Layer, height: float, width: float) -> float:
    """Multiply-adds of one layer whose output is ``height`` x ``width`` pixels."""
    if isinstance(layer, keras.Model):
        return float(multiply_adds(layer, max(1, round(height)), max(1, round(width))))
    if isinstance(layer, keras.layers.Conv2DTranspose):
        kernel = layer.kernel.shape  # (kh, kw, out, in)
        steps = math.prod(int(step) for step in layer.strides)
        return height * width * math.prod(kernel) / steps
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        return height * width * math.prod(layer.kernel.shape)
    if isinstance(layer, keras.layers.Conv2D):
        return height * width * math.prod(layer.kernel.shape) / max(1, int(layer.groups))
    if isinstance(layer, keras.layers.Dense):
        positions = math.prod(int(d) for d in layer.output.shape[1:-1] if d is not None)
        return positions * math.prod(layer.kernel.shape)
    return 0.0


def multiply_adds(model: keras.Model, height: int = 256, width: int = 256) -> int:
    r"""Count the multiply-adds of one forward pass on a ``height`` x ``width`` image.

    Convolutions cost :math:`H_{out} W_{out} k_h k_w C_{in} C_{out}` (divided
    by the groups), transposed convolutions the same per input pixel, and
    dense layers :math:`C_{in} C_{out}` per position. Element-wise layers
    (activations, additions, batch norm, which folds into the convolution
    before it at inference) and pixel shuffles are free by this count, which
    is the one papers quote as "MACs" or "FLOPs / 2".

    Parameters
    ----------
    model : keras.Model
        A functional model; nested models are counted recursively, once per
        call (a network shared by three colour channels counts three times).
    height, width : int
        Image size. ``"same"`` padding is assumed: a layer at scale ``s``
        (after a total downsampling by ``s``) works on ``height/s`` x
        ``width/s`` pixels.

    Returns
    -------
    int
        Multiply-adds for one image (batch 1). Divide by 1e9 for GMAC.

    Raises
    ------
    TypeError
        If ``model`` is not a keras.Model, or a size is not an integer.
    ValueError
        If a size is not positive.

    Examples
    --------
    A 17-layer, 64-channel DnCNN costs 36.3 GMAC on a 256 x 256 image:

    >>> from deepdenoise.models import dncnn
    >>> round(multiply_adds(dncnn(depth=17, width=64), 256, 256) / 1e9, 1)
    36.3
    """
    if not isinstance(model, keras.Model):
        raise ArgumentTypeError(f"model must be a keras.Model, got {type(model).__name__}")
    height = check_positive_int(height, "height")
    width = check_positive_int(width, "width")
    total = 0.0
    for layer, input_scale, output_scale in layer_scales(model):
        # A nested model counts its own layers from the size of its input.
        scale = input_scale if isinstance(layer, keras.Model) else output_scale
        total += _layer_macs(layer, height / float(scale), width / float(scale)) * calls(
            model, layer
        )
    return round(total)
