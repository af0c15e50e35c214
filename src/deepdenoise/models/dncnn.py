"""DnCNN: a deep residual CNN that predicts the noise and subtracts it."""

from __future__ import annotations

import keras

from .._checks import check_fraction, check_positive_int
from ._common import check_channels, check_depth

__all__ = ["dncnn"]


def _check_momentum(bn_momentum: object) -> float:
    value = check_fraction(bn_momentum, "bn_momentum")  # ArgumentTypeError for a wrong type
    if value == 1.0:  # a momentum of 1 would never update the statistics
        raise ValueError(f"bn_momentum must lie in [0, 1), got {bn_momentum!r}")
    return value


def dncnn(
    *,
    depth: int = 17,
    width: int = 64,
    channels: int = 1,
    batch_norm: bool = True,
    bn_momentum: float = 0.9,
) -> keras.Model:
    r"""Build a DnCNN residual denoiser.

    Parameters
    ----------
    depth : int
        Number of convolution layers, at least 2: one Conv+ReLU, ``depth - 2``
        Conv+BN+ReLU, one final Conv. The paper uses 17 for a known sigma
        and 20 for blind denoising.
    width : int
        Number of feature channels of the hidden layers (64 in the paper).
    channels : int
        Image channels: 1 (gray) or 3 (RGB).
    batch_norm : bool
        Put batch normalisation after each middle convolution (the paper
        does). Without it the middle convolutions get a bias.
    bn_momentum : float
        Momentum of the batch-norm moving statistics, in [0, 1). The default
        0.9 differs from Keras's 0.99 on purpose, see Notes.

    Returns
    -------
    keras.Model
        A model named ``"dncnn"`` mapping a noisy batch of shape
        ``(batch, H, W, channels)``, any ``H`` and ``W``, to a denoised batch
        of the same shape.

    Raises
    ------
    ValueError
        If ``depth`` is below 2, ``width`` is not a positive integer,
        ``channels`` is not 1 or 3, or ``bn_momentum`` is not in [0, 1).

    Notes
    -----
    Residual learning: the network :math:`R` is trained to predict the noise
    :math:`v = y - x` of a noisy image :math:`y = x + v`, and the model
    returns

    .. math:: \hat{x} = y - R(y),

    so minimising :math:`\lVert \hat{x} - x \rVert^2` is the same as
    minimising :math:`\lVert R(y) - v \rVert^2`. Predicting the small,
    structureless residual is easier than predicting the image.

    The batch-norm trap: at inference batch norm uses moving averages
    :math:`\mu \leftarrow m\,\mu + (1 - m)\,\mu_{\text{batch}}` with momentum
    :math:`m`. With Keras's default :math:`m = 0.99` they still lag far
    behind the batch statistics after a few hundred steps, and a model that
    trains well scores badly in ``predict`` (22.4 dB instead of about 28 dB
    after ten CPU minutes here). A momentum of 0.9 forgets the start of
    training in tens of steps; the authors' Keras code used 0.0 (the last
    batch's statistics). For short runs, ``batch_norm=False`` also works.

    References
    ----------
    .. [1] K. Zhang, W. Zuo, Y. Chen, D. Meng and L. Zhang, "Beyond a Gaussian
       denoiser: Residual learning of deep CNN for image denoising", IEEE
       Transactions on Image Processing 26(7), 3142-3155, 2017.
       doi:10.1109/TIP.2017.2662206

    Examples
    --------
    >>> import numpy as np
    >>> model = dncnn(depth=3, width=8)
    >>> model.predict(np.zeros((1, 17, 23, 1), dtype="float32"), verbose=0).shape
    (1, 17, 23, 1)
    """
    depth = check_depth(depth)
    width = check_positive_int(width, "width")
    channels = check_channels(channels)
    bn_momentum = _check_momentum(bn_momentum)

    noisy = keras.Input(shape=(None, None, channels), name="noisy")
    x = keras.layers.Conv2D(width, 3, padding="same", activation="relu", name="conv1")(noisy)
    for index in range(2, depth):
        x = keras.layers.Conv2D(
            width, 3, padding="same", use_bias=not batch_norm, name=f"conv{index}"
        )(x)
        if batch_norm:
            x = keras.layers.BatchNormalization(momentum=bn_momentum, name=f"bn{index}")(x)
        x = keras.layers.ReLU(name=f"relu{index}")(x)
    noise = keras.layers.Conv2D(channels, 3, padding="same", name=f"conv{depth}")(x)
    denoised = keras.layers.Subtract(name="denoised")([noisy, noise])
    return keras.Model(noisy, denoised, name="dncnn")
