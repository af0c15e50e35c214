"""FFDNet-style denoiser: half resolution, noise-level map input, one model for all sigma."""

from __future__ import annotations

import keras

from .._checks import check_positive_int
from ._common import check_channels, check_depth
from .layers import PixelShuffle, PixelUnshuffle

__all__ = ["ffdnet", "noise_branch"]


def noise_branch(
    x: keras.KerasTensor, *, depth: int, width: int, channels: int
) -> keras.KerasTensor:
    """FFDNet's convolution stack at half resolution, unfolded into a noise estimate.

    ``depth - 1`` 3x3 convolutions of ``width`` channels with ReLU (``conv1``,
    ``conv2``...), a last 3x3 convolution to ``4 * channels`` (``conv<depth>``)
    and a :class:`~deepdenoise.models.layers.PixelShuffle` back to full
    resolution (``noise``), with ``channels`` channels.
    """
    for index in range(1, depth):
        x = keras.layers.Conv2D(width, 3, padding="same", activation="relu", name=f"conv{index}")(
            x
        )
    x = keras.layers.Conv2D(4 * channels, 3, padding="same", name=f"conv{depth}")(x)
    return PixelShuffle(2, name="noise")(x)


def ffdnet(*, depth: int = 12, width: int = 64, channels: int = 1) -> keras.Model:
    r"""Build an FFDNet-style residual denoiser that takes a noise-level map.

    The noisy image and a map of its noise level are folded to half
    resolution with :class:`~deepdenoise.models.layers.PixelUnshuffle`,
    concatenated, passed through ``depth`` 3x3 convolutions (ReLU after all
    but the last, no batch norm) and unfolded with
    :class:`~deepdenoise.models.layers.PixelShuffle` into a noise estimate,
    which is subtracted from the input.

    Parameters
    ----------
    depth : int
        Number of convolution layers, at least 2 (the first and the last
        included). The default 12 with ``width=64`` gives about 376K
        parameters for gray images.
    width : int
        Number of feature channels of the hidden layers.
    channels : int
        Image channels: 1 (gray) or 3 (RGB).

    Returns
    -------
    keras.Model
        A model named ``"ffdnet"`` with two inputs, ``noisy`` of shape
        ``(batch, H, W, channels)`` and ``sigma_map`` of shape
        ``(batch, H, W, 1)`` holding :math:`\sigma / 255` (sigma on the 0-255
        scale), and one output of the shape of ``noisy``. ``H`` and ``W`` must
        be even; :func:`deepdenoise.inference.denoise` pads odd sizes.

    Raises
    ------
    ValueError
        If ``depth`` is below 2, ``width`` is not a positive integer or
        ``channels`` is not 1 or 3.

    Notes
    -----
    With :math:`S` the 2x2 space-to-depth fold, :math:`F` the convolution
    stack and :math:`M` the noise-level map,

    .. math:: \hat{x} = y - S^{-1}\big(F([S(y), S(M)])\big).

    Working at half resolution makes each layer four times cheaper than a
    full-resolution DnCNN layer of the same width, and gives each 3x3 kernel
    the receptive field of a 6x6 one. Because the noise level is an input,
    one model trained on :math:`\sigma \in [0, 75]` covers that whole range,
    and a spatially varying map handles non-uniform noise.

    Two deviations from the paper: the network predicts the noise and
    subtracts it (residual learning as in DnCNN), which trains faster in
    short CPU runs; and it has no batch norm, whose moving statistics lag
    behind the batch statistics in short runs (see
    :func:`~deepdenoise.models.dncnn.dncnn`). The paper uses depth 15 and
    width 64 for gray images, depth 12 and width 96 for colour.

    References
    ----------
    .. [1] K. Zhang, W. Zuo and L. Zhang, "FFDNet: Toward a fast and flexible
       solution for CNN-based image denoising", IEEE Transactions on Image
       Processing 27(9), 4608-4622, 2018. doi:10.1109/TIP.2018.2839891

    Examples
    --------
    >>> import numpy as np
    >>> model = ffdnet(depth=3, width=8)
    >>> noisy = np.zeros((1, 6, 8, 1), dtype="float32")
    >>> sigma_map = np.full((1, 6, 8, 1), 25 / 255, dtype="float32")
    >>> model.predict([noisy, sigma_map], verbose=0).shape
    (1, 6, 8, 1)
    """
    depth = check_depth(depth)
    width = check_positive_int(width, "width")
    channels = check_channels(channels)

    noisy = keras.Input(shape=(None, None, channels), name="noisy")
    sigma_map = keras.Input(shape=(None, None, 1), name="sigma_map")
    x = keras.layers.Concatenate(name="concat")(
        [
            PixelUnshuffle(2, name="unshuffle_image")(noisy),
            PixelUnshuffle(2, name="unshuffle_sigma")(sigma_map),
        ]
    )
    noise = noise_branch(x, depth=depth, width=width, channels=channels)
    denoised = keras.layers.Subtract(name="denoised")([noisy, noise])
    return keras.Model([noisy, sigma_map], denoised, name="ffdnet")
