"""Grow a trained FFDNet-style model without changing what it computes: deeper, or colour."""

from __future__ import annotations

import keras
import numpy as np

from .._checks import ArgumentTypeError, check_positive_int
from .ffdnet import ffdnet
from .opponent import opponent_ffdnet

__all__ = ["channel_mixing_from", "colour_from_gray", "cross_channel_from", "deepen_ffdnet"]


def _conv_layers(model: keras.Model) -> list[keras.layers.Conv2D]:
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def _copy_with_new_inputs(
    sources: list[keras.layers.Conv2D], targets: list[keras.layers.Conv2D]
) -> None:
    """Copy trained convolutions into their targets; extra first-layer inputs get zero weights.

    The first target may take more input channels than its source (a guide, a context);
    those come last, and with zero weights they change nothing: a convolution is linear
    in its inputs.
    """
    for index, (source, target) in enumerate(zip(sources, targets, strict=True)):
        kernel, bias = source.get_weights()
        if index == 0:
            extra = int(target.kernel.shape[2]) - kernel.shape[2]
            zeros = np.zeros((*kernel.shape[:2], extra, kernel.shape[3]), dtype=kernel.dtype)
            kernel = np.concatenate([kernel, zeros], axis=2)
        target.set_weights([kernel, bias])


def _plain_opponent_convs(model: keras.Model) -> list[keras.layers.Conv2D]:
    """The shared convolutions of an opponent_ffdnet built without cross_channel or mix_every."""
    if not isinstance(model, keras.Model):
        raise ArgumentTypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if model.name != "opponent_ffdnet":
        raise ValueError(f"model must be an opponent_ffdnet, got {model.name!r}")
    if "shared_ffdnet" not in [layer.name for layer in model.layers]:
        raise ValueError("model must be an opponent_ffdnet without mix_every")
    source = _conv_layers(model.get_layer("shared_ffdnet"))
    inputs = int(source[0].kernel.shape[2])
    if inputs != 12:
        raise ValueError(
            "model must be an opponent_ffdnet without cross_channel (12 first-layer inputs), "
            f"got {inputs} first-layer inputs"
        )
    return source


def deepen_ffdnet(model: keras.Model, depth: int) -> keras.Model:
    r"""Return a deeper :func:`~deepdenoise.models.ffdnet` that computes the same function.

    New hidden layers are 3x3 convolutions initialised to the identity (the
    centre tap is the identity matrix, every other tap and the bias are
    zero) and spread evenly between the trained hidden layers. A hidden
    layer's input has already been through a ReLU, so it is non-negative,
    and ``relu(identity(h)) = h``: the deeper model's output equals the
    trained model's at the start, and training goes on from there. This is
    the "Net2DeeperNet" operation of Chen, Goodfellow and Shlens [1]_.

    Parameters
    ----------
    model : keras.Model
        A model built by :func:`~deepdenoise.models.ffdnet`, with its weights.
    depth : int
        Convolution layers of the new model, at least the model's own.

    Returns
    -------
    keras.Model
        A new ``ffdnet`` of the same width and channels, and ``depth`` layers.

    Raises
    ------
    TypeError
        If ``model`` is not an ``ffdnet`` model.
    ValueError
        If ``depth`` is below the model's depth.

    References
    ----------
    .. [1] T. Chen, I. Goodfellow and J. Shlens, "Net2Net: Accelerating
       learning via knowledge transfer", ICLR 2016. arXiv:1511.05641

    Examples
    --------
    >>> import numpy as np
    >>> small = ffdnet(depth=3, width=4)
    >>> deep = deepen_ffdnet(small, depth=5)
    >>> noisy = np.random.default_rng(0).random((1, 8, 8, 1), dtype="float32")
    >>> sigma_map = np.full((1, 8, 8, 1), 0.1, dtype="float32")
    >>> bool(np.allclose(small.predict([noisy, sigma_map], verbose=0),
    ...                  deep.predict([noisy, sigma_map], verbose=0), atol=1e-6))
    True
    """
    if not isinstance(model, keras.Model) or model.name != "ffdnet":
        raise ArgumentTypeError(f"model must be an ffdnet keras.Model, got {model!r}")
    convs = _conv_layers(model)
    old_depth = len(convs)
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < old_depth:
        raise ValueError(
            f"depth must be an integer of at least the model's {old_depth}, got {depth!r}"
        )
    width = int(convs[0].filters)
    channels = int(model.inputs[0].shape[-1])
    deeper = ffdnet(depth=depth, width=width, channels=channels)

    hidden = old_depth - 2  # trained layers between the first and the last
    extra = depth - old_depth
    # after which trained hidden layer (0 = after the first conv) each identity goes
    slots = [min(hidden, round((k + 1) * (hidden + 1) / (extra + 1))) for k in range(extra)]
    plan: list[keras.layers.Conv2D | None] = [convs[0]]
    for index in range(hidden + 1):
        if index > 0:
            plan.append(convs[index])
        plan.extend(None for slot in slots if slot == index)
    plan.append(convs[-1])

    identity = np.zeros((3, 3, width, width), dtype="float32")
    identity[1, 1] = np.eye(width, dtype="float32")
    for target, source in zip(_conv_layers(deeper), plan, strict=True):
        if source is None:
            target.set_weights([identity, np.zeros(width, dtype="float32")])
        else:
            target.set_weights(source.get_weights())
    return deeper


def colour_from_gray(model: keras.Model) -> keras.Model:
    r"""Return an :func:`~deepdenoise.models.opponent.opponent_ffdnet` started from a gray model.

    The shared network gets the gray model's weights; the first-layer weights
    of its extra input, the brightness guide, are zero. The colour model then
    computes exactly the gray model run on each opponent channel (brightness
    and two colour differences) at that channel's noise level, and training
    on colour images goes on from there, learning to use the guide.

    Parameters
    ----------
    model : keras.Model
        A one-channel model built by :func:`~deepdenoise.models.ffdnet`, with
        its weights.

    Returns
    -------
    keras.Model
        A new ``opponent_ffdnet`` of the model's depth and width.

    Raises
    ------
    TypeError
        If ``model`` is not a keras.Model.
    ValueError
        If ``model`` is not a one-channel FFDNet-style model.

    Examples
    --------
    >>> import numpy as np
    >>> from deepdenoise.models.opponent import OPPONENT, opponent_noise_scale
    >>> gray = ffdnet(depth=3, width=8)
    >>> colour = colour_from_gray(gray)
    >>> rgb = np.random.default_rng(0).random((1, 8, 8, 3), dtype="float32")
    >>> level = np.full((1, 8, 8, 1), 0.1, dtype="float32")
    >>> brightness = rgb @ np.asarray(OPPONENT[0], dtype="float32")[:, None]
    >>> scale = opponent_noise_scale()[0]
    >>> expected = gray.predict([brightness, level * scale], verbose=0)
    >>> got = colour.predict([rgb, level], verbose=0) @ np.asarray(OPPONENT[0], "float32")
    >>> bool(np.allclose(got[..., None], expected, atol=1e-5))
    True
    """
    if not isinstance(model, keras.Model):
        raise ArgumentTypeError(f"model must be a keras.Model, got {type(model).__name__}")
    convs = _conv_layers(model)
    if model.name != "ffdnet" or int(model.inputs[0].shape[-1]) != 1 or len(convs) < 2:
        raise ValueError(
            f"model must be a one-channel ffdnet, got {model.name!r} with input "
            f"{tuple(model.inputs[0].shape)}"
        )
    colour = opponent_ffdnet(depth=len(convs), width=int(convs[0].filters))
    _copy_with_new_inputs(convs, _conv_layers(colour.get_layer("shared_ffdnet")))
    return colour


def cross_channel_from(model: keras.Model) -> keras.Model:
    r"""Return an opponent_ffdnet that computes the same, and also sees every channel in each pass.

    The new model's shared network also sees both noisy colour differences
    in each pass (see ``cross_channel`` in
    :func:`~deepdenoise.models.opponent.opponent_ffdnet`). Every weight is
    copied; the first-layer weights of those new inputs are zero, so the new
    model computes exactly what ``model`` computes, and training goes on from
    there, learning what the other channels tell each one.

    Parameters
    ----------
    model : keras.Model
        An ``opponent_ffdnet`` built without ``cross_channel``, with its weights.

    Returns
    -------
    keras.Model
        A new ``opponent_ffdnet`` of the model's depth and width, with
        ``cross_channel=True``.

    Raises
    ------
    TypeError
        If ``model`` is not a keras.Model.
    ValueError
        If ``model`` is not an ``opponent_ffdnet`` without ``cross_channel``.

    Examples
    --------
    >>> import numpy as np
    >>> plain = opponent_ffdnet(depth=3, width=8)
    >>> mixed = cross_channel_from(plain)
    >>> rgb = np.random.default_rng(0).random((1, 8, 8, 3), dtype="float32")
    >>> level = np.full((1, 8, 8, 1), 0.1, dtype="float32")
    >>> bool(np.allclose(plain.predict([rgb, level], verbose=0),
    ...                  mixed.predict([rgb, level], verbose=0), atol=1e-6))
    True
    """
    source = _plain_opponent_convs(model)
    mixed = opponent_ffdnet(depth=len(source), width=int(source[0].filters), cross_channel=True)
    _copy_with_new_inputs(source, _conv_layers(mixed.get_layer("shared_ffdnet")))
    return mixed


def channel_mixing_from(model: keras.Model, mix_every: int = 2) -> keras.Model:
    r"""Return an opponent_ffdnet that computes the same, and mixes its channels' features.

    In the new model the three channels' passes exchange their features every
    ``mix_every`` layers (see ``mix_every`` in
    :func:`~deepdenoise.models.opponent.opponent_ffdnet`): the brightness
    pass's edges reach the colour passes, and the colour passes' reach the
    brightness pass, in every part of the network, not only at its input.
    The shared convolutions are copied; the mixing weights start at zero, so
    the new model computes exactly what ``model`` computes, and training goes
    on from there.

    Parameters
    ----------
    model : keras.Model
        An ``opponent_ffdnet`` built with neither ``cross_channel`` nor
        ``mix_every``, with its weights.
    mix_every : int
        Mix after every ``mix_every``-th hidden layer, at least 1.

    Returns
    -------
    keras.Model
        A new ``opponent_ffdnet`` of the model's depth and width, with ``mix_every``.

    Raises
    ------
    TypeError
        If ``model`` is not a keras.Model.
    ValueError
        If ``model`` is not a plain ``opponent_ffdnet``, or ``mix_every`` is
        not a positive integer.

    Examples
    --------
    Two mixing steps (after each hidden layer), each of three 1x1 convolutions from the
    3 x 8 features of all passes to the 8 of one:

    >>> import numpy as np
    >>> plain = opponent_ffdnet(depth=3, width=8)
    >>> grown = channel_mixing_from(plain, mix_every=1)
    >>> grown.count_params() - plain.count_params() == 2 * 3 * (24 * 8 + 8)
    True
    >>> photo = np.random.default_rng(1).random((2, 10, 10, 3), dtype="float32")
    >>> levels = np.full((2, 10, 10, 1), 0.2, dtype="float32")
    >>> before = plain.predict([photo, levels], verbose=0)
    >>> float(np.abs(grown.predict([photo, levels], verbose=0) - before).max()) < 1e-6
    True
    """
    source = _plain_opponent_convs(model)
    mix_every = check_positive_int(mix_every, "mix_every")
    mixed = opponent_ffdnet(depth=len(source), width=int(source[0].filters), mix_every=mix_every)
    targets = [mixed.get_layer(f"conv{index}") for index in range(1, len(source) + 1)]
    _copy_with_new_inputs(source, targets)
    return mixed
