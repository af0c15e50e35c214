"""Autoencoders: the source article's Dense and Conv2D/MaxPooling2D denoisers."""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras

from .._checks import check_positive_int
from ._common import check_channels

__all__ = ["conv_autoencoder", "dense_autoencoder"]


def dense_autoencoder(
    *, input_shape: Sequence[int] = (28, 28, 1), code_size: int = 64
) -> keras.Model:
    r"""Build a fully connected denoising autoencoder for small fixed-size images.

    Parameters
    ----------
    input_shape : sequence of int
        Image shape ``(H, W)`` or ``(H, W, C)``; the model only accepts this
        size. The default fits MNIST digits.
    code_size : int
        Number of units of the code (bottleneck) layer.

    Returns
    -------
    keras.Model
        A model named ``"dense_autoencoder"`` mapping ``(batch, H, W, C)``
        images in [0, 1] to images of the same shape in [0, 1].

    Raises
    ------
    ValueError
        If ``input_shape`` is not 2 or 3 positive integers or ``code_size``
        is not a positive integer.

    Notes
    -----
    With :math:`n = H W C` pixels flattened into :math:`y \in \mathbb{R}^n`,

    .. math:: \hat{x} = \operatorname{sigmoid}\big(W_2\, \operatorname{relu}(W_1 y + b_1)
              + b_2\big),

    with :math:`W_1 \in \mathbb{R}^{k \times n}` and :math:`k` the code size.
    The bottleneck :math:`k < n` forces the network to keep what digits have
    in common and drop the noise. It has :math:`2nk + n + k` parameters and
    sees no spatial structure, so it does not scale to photographs.

    References
    ----------
    .. [1] P. Vincent, H. Larochelle, Y. Bengio and P.-A. Manzagol,
       "Extracting and composing robust features with denoising
       autoencoders", ICML 2008.

    Examples
    --------
    >>> model = dense_autoencoder(code_size=32)
    >>> model.output_shape
    (None, 28, 28, 1)
    >>> model.count_params() == 2 * 784 * 32 + 784 + 32
    True
    """
    shape = tuple(input_shape) if isinstance(input_shape, Sequence) else ()
    if len(shape) not in (2, 3):
        raise ValueError(f"input_shape must be (H, W) or (H, W, C), got {input_shape!r}")
    for value in shape:
        check_positive_int(value, "input_shape")
    if len(shape) == 2:
        shape = (*shape, 1)
    code_size = check_positive_int(code_size, "code_size")
    pixels = math.prod(shape)

    noisy = keras.Input(shape=shape, name="noisy")
    x = keras.layers.Flatten(name="flatten")(noisy)
    code = keras.layers.Dense(code_size, activation="relu", name="code")(x)
    x = keras.layers.Dense(pixels, activation="sigmoid", name="decode")(code)
    denoised = keras.layers.Reshape(shape, name="denoised")(x)
    return keras.Model(noisy, denoised, name="dense_autoencoder")


def conv_autoencoder(*, channels: int = 1, filters: Sequence[int] = (32, 64)) -> keras.Model:
    r"""Build a convolutional encoder-decoder denoiser.

    The encoder is the source article's vocabulary: ``Conv2D`` (3x3, ReLU)
    followed by ``MaxPooling2D`` (2x2), once per entry of ``filters``. The
    decoder mirrors it with stride-2 ``Conv2DTranspose`` layers, and a last
    3x3 ``Conv2D`` with a sigmoid returns an image in [0, 1].

    Parameters
    ----------
    channels : int
        Image channels: 1 (gray) or 3 (RGB).
    filters : sequence of int
        Feature channels of each encoder level; each level halves the
        resolution, so ``H`` and ``W`` must be multiples of
        ``2 ** len(filters)`` (4 by default).

    Returns
    -------
    keras.Model
        A model named ``"conv_autoencoder"`` mapping ``(batch, H, W,
        channels)`` to the same shape.

    Raises
    ------
    ValueError
        If ``channels`` is not 1 or 3 or ``filters`` is empty or holds
        anything but positive integers.

    Notes
    -----
    Each level :math:`\ell` computes

    .. math:: h_{\ell} = \operatorname{maxpool}\big(\operatorname{relu}(k_{\ell} * h_{\ell-1}
              + b_{\ell})\big),

    so after :math:`L` levels a pixel of the code summarises a
    :math:`2^L \times 2^L` block. Unlike DnCNN it predicts the clean image
    directly, and the pooling loses fine detail that the decoder must guess,
    which limits its PSNR on photographs.

    References
    ----------
    .. [1] F. Chollet, "Building autoencoders in Keras", The Keras Blog, 2016.

    Examples
    --------
    >>> import numpy as np
    >>> model = conv_autoencoder(filters=(4, 8))
    >>> model.predict(np.zeros((1, 12, 16, 1), dtype="float32"), verbose=0).shape
    (1, 12, 16, 1)
    """
    channels = check_channels(channels)
    levels = tuple(filters) if isinstance(filters, Sequence) else ()
    if not levels:
        raise ValueError(f"filters must be a non-empty sequence of integers, got {filters!r}")
    levels = tuple(check_positive_int(value, "filters") for value in levels)

    noisy = keras.Input(shape=(None, None, channels), name="noisy")
    x = noisy
    for level, width in enumerate(levels, start=1):
        x = keras.layers.Conv2D(
            width, 3, padding="same", activation="relu", name=f"encode{level}"
        )(x)
        x = keras.layers.MaxPooling2D(2, name=f"pool{level}")(x)
    for level, width in reversed(list(enumerate(levels, start=1))):
        x = keras.layers.Conv2DTranspose(
            width, 3, strides=2, padding="same", activation="relu", name=f"decode{level}"
        )(x)
    denoised = keras.layers.Conv2D(
        channels, 3, padding="same", activation="sigmoid", name="denoised"
    )(x)
    return keras.Model(noisy, denoised, name="conv_autoencoder")
