"""Keras denoising models, one module per architecture, and a registry.

Every builder returns a functional :class:`keras.Model` built from Keras 3
public APIs only, so it runs under the TensorFlow and JAX backends.

Examples
--------
>>> from deepdenoise.models import get_model, list_models, model_info
>>> list_models()
['conv_autoencoder', 'dense_autoencoder', 'dncnn', 'ffdnet', 'opponent_ffdnet']
>>> model_info(get_model("ffdnet", depth=3, width=8))
{'needs_noise_map': True, 'size_multiple': 2, 'channels': 1, 'input_size': None}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from .._checks import ArgumentTypeError
from ._graph import size_multiple as _size_multiple
from .autoencoders import conv_autoencoder, dense_autoencoder
from .cost import multiply_adds
from .dncnn import dncnn
from .ffdnet import ffdnet
from .grow import channel_mixing_from, colour_from_gray, cross_channel_from, deepen_ffdnet
from .layers import PixelShuffle, PixelUnshuffle
from .opponent import opponent_ffdnet

__all__ = [
    "PixelShuffle",
    "PixelUnshuffle",
    "channel_mixing_from",
    "colour_from_gray",
    "conv_autoencoder",
    "cross_channel_from",
    "deepen_ffdnet",
    "dense_autoencoder",
    "dncnn",
    "ffdnet",
    "get_model",
    "list_models",
    "model_info",
    "multiply_adds",
    "opponent_ffdnet",
]

_BUILDERS: dict[str, Callable[..., keras.Model]] = {
    "conv_autoencoder": conv_autoencoder,
    "dense_autoencoder": dense_autoencoder,
    "dncnn": dncnn,
    "ffdnet": ffdnet,
    "opponent_ffdnet": opponent_ffdnet,
}


def list_models() -> list[str]:
    """Return the names accepted by :func:`get_model`, sorted.

    Returns
    -------
    list of str

    Examples
    --------
    >>> "dncnn" in list_models()
    True
    """
    return sorted(_BUILDERS)


def get_model(name: str, **kwargs: Any) -> keras.Model:
    """Build a model by name.

    Parameters
    ----------
    name : str
        One of :func:`list_models`.
    **kwargs
        Keyword arguments of the builder (for example ``depth`` and
        ``width`` for ``"dncnn"``).

    Returns
    -------
    keras.Model
        A fresh, untrained model.

    Raises
    ------
    ValueError
        If ``name`` is unknown (the message lists the known names) or the
        builder rejects an argument.

    Examples
    --------
    >>> get_model("dncnn", depth=3, width=8).name
    'dncnn'
    """
    if name not in _BUILDERS:
        raise ValueError(f"name must be one of {list_models()}, got {name!r}")
    return _BUILDERS[name](**kwargs)


def model_info(model: keras.Model) -> dict[str, Any]:
    """Describe what a model needs from its input, read from its structure.

    Parameters
    ----------
    model : keras.Model
        A built model, for example from :func:`get_model` or
        :func:`deepdenoise.weights.load_pretrained`.

    Returns
    -------
    dict
        ``needs_noise_map`` (bool): the model takes a second input, a map of
        sigma/255 (sigma on the 0-255 scale), as FFDNet does.
        ``size_multiple`` (int): input height and width must be multiples of
        it: the largest downsampling factor (PixelUnshuffle, pooling,
        strided convolution) accumulated along any path from an input.
        ``channels`` (int): image channels of the first input.
        ``input_size`` (tuple of int or None): the fixed ``(H, W)`` the model
        accepts, or None when any size works.

    Raises
    ------
    TypeError
        If ``model`` is not a keras.Model.

    Examples
    --------
    >>> model_info(get_model("conv_autoencoder", filters=(4, 8)))["size_multiple"]
    4
    >>> model_info(get_model("dense_autoencoder"))["input_size"]
    (28, 28)
    """
    if not isinstance(model, keras.Model):
        raise ArgumentTypeError(f"model must be a keras.Model, got {type(model).__name__}")
    multiple = _size_multiple(model)
    shape = tuple(model.inputs[0].shape)
    height, width = shape[1], shape[2]
    return {
        "needs_noise_map": len(model.inputs) > 1,
        "size_multiple": multiple,
        "channels": int(shape[-1]),
        "input_size": None if height is None or width is None else (int(height), int(width)),
    }
