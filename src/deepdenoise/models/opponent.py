"""Colour denoising in an opponent colour space, with one FFDNet-style network for all channels.

The image is turned into a brightness channel and two colour differences, whose
noise stays independent with a known level in each; one network, shared by the
three channels and told each channel's noise level, denoises each of them with the
noisy brightness as a guide; the result is turned back into RGB.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

from .._checks import check_non_negative_int, check_positive_int
from ._common import check_depth
from .ffdnet import noise_branch
from .layers import PixelShuffle, PixelUnshuffle

__all__ = [
    "OPPONENT",
    "OPPONENT_OFFSET",
    "ChannelSlice",
    "ColourTransform",
    "opponent_ffdnet",
    "opponent_noise_scale",
]

#: RGB -> (brightness, red - blue, red + blue - 2 green): rows ``(R + G + B) / 3``,
#: ``(R - B) / 2`` and ``(R - 2 G + B) / 4``. The rows are orthogonal, so noise that is
#: independent in R, G and B stays independent in the new channels.
OPPONENT: tuple[tuple[float, float, float], ...] = (
    (1 / 3, 1 / 3, 1 / 3),
    (1 / 2, 0.0, -1 / 2),
    (1 / 4, -1 / 2, 1 / 4),
)

#: Added after :data:`OPPONENT` so that each channel of an image in [0, 1] lies in [0, 1].
OPPONENT_OFFSET: tuple[float, float, float] = (0.0, 0.5, 0.5)


def opponent_noise_scale() -> tuple[float, float, float]:
    """Noise standard deviation in each opponent channel, for unit noise in R, G and B.

    Returns
    -------
    tuple of float
        The Euclidean norms of the rows of :data:`OPPONENT`: ``sqrt(1/3)``,
        ``sqrt(1/2)`` and ``sqrt(3/8)``.

    Examples
    --------
    >>> [round(s, 4) for s in opponent_noise_scale()]
    [0.5774, 0.7071, 0.6124]
    """
    return tuple(math.sqrt(sum(w * w for w in row)) for row in OPPONENT)  # type: ignore[return-value]


@keras.saving.register_keras_serializable(package="deepdenoise")
class ColourTransform(keras.layers.Layer):
    """A fixed per-pixel linear map of the channels, plus an offset: ``y = x M^T + b``.

    Parameters
    ----------
    matrix : sequence of sequence of float
        ``M``, shape (C_out, C_in).
    offset : sequence of float
        ``b``, length C_out.
    **kwargs
        Passed on to :class:`keras.layers.Layer` (``name``...).

    Examples
    --------
    >>> import numpy as np
    >>> layer = ColourTransform(OPPONENT, OPPONENT_OFFSET)
    >>> gray = np.full((1, 2, 2, 3), 0.25, dtype="float32")
    >>> np.round(np.asarray(layer(gray))[0, 0, 0], 4).tolist()
    [0.25, 0.5, 0.5]
    """

    def __init__(self, matrix: Any, offset: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        array = np.asarray(matrix, dtype=object)
        if array.ndim != 2 or 0 in array.shape:
            raise ValueError(f"matrix must be a non-empty 2-D table of numbers, got {matrix!r}")
        try:
            self.matrix = [[float(v) for v in row] for row in matrix]
            self.offset = [float(v) for v in offset]
        except (TypeError, ValueError):
            raise ValueError(
                f"matrix and offset must hold numbers, got {matrix!r} and {offset!r}"
            ) from None
        if len(self.offset) != len(self.matrix):
            raise ValueError(
                f"offset must have one value per output channel ({len(self.matrix)}), "
                f"got {len(self.offset)}"
            )

    def call(self, inputs: Any) -> Any:
        matrix = keras.ops.convert_to_tensor(np.asarray(self.matrix, dtype="float32").T)
        offset = keras.ops.convert_to_tensor(np.asarray(self.offset, dtype="float32"))
        return keras.ops.matmul(inputs, keras.ops.cast(matrix, inputs.dtype)) + keras.ops.cast(
            offset, inputs.dtype
        )

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], len(self.matrix))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "matrix": self.matrix, "offset": self.offset}

    def inverse(self, **kwargs: Any) -> ColourTransform:
        """The transform that undoes this one: ``x = (y - b) M^{-1 T}``."""
        inverse = np.linalg.inv(np.asarray(self.matrix, dtype=np.float64))
        offset = -inverse @ np.asarray(self.offset, dtype=np.float64)
        return ColourTransform(inverse.tolist(), offset.tolist(), **kwargs)


@keras.saving.register_keras_serializable(package="deepdenoise")
class ChannelSlice(keras.layers.Layer):
    """Channel ``index`` of a channels-last tensor, kept as a channel axis of size 1.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(6, dtype="float32").reshape(1, 1, 2, 3)
    >>> np.asarray(ChannelSlice(2)(x)).ravel().tolist()
    [2.0, 5.0]
    """

    def __init__(self, index: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.index = check_non_negative_int(index, "index")

    def call(self, inputs: Any) -> Any:
        return inputs[..., self.index : self.index + 1]

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], 1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "index": self.index}


def _shared_core(depth: int, width: int, cross_channel: bool) -> keras.Model:
    """The network every opponent channel goes through: channel, guide, noise map -> noise."""
    channel = keras.Input(shape=(None, None, 1), name="channel")
    sigma_map = keras.Input(shape=(None, None, 1), name="sigma_map")
    guide = keras.Input(shape=(None, None, 1), name="guide")
    inputs = [channel, sigma_map, guide]
    # The first eight inputs are laid out as in the gray ffdnet (image, then noise map), so
    # its weights fit; the guide's four come next, then, if asked for, the context's eight.
    planes = [
        PixelUnshuffle(2, name="unshuffle_image")(channel),
        PixelUnshuffle(2, name="unshuffle_sigma")(sigma_map),
        PixelUnshuffle(2, name="unshuffle_guide")(guide),
    ]
    if cross_channel:
        context = keras.Input(shape=(None, None, 2), name="context")
        inputs.append(context)
        planes.append(PixelUnshuffle(2, name="unshuffle_context")(context))
    x = keras.layers.Concatenate(name="concat")(planes)
    noise = noise_branch(x, depth=depth, width=width, channels=1)
    return keras.Model(inputs, noise, name="shared_ffdnet")


def _mixed_streams(
    streams: list[keras.KerasTensor], *, depth: int, width: int, mix_every: int
) -> list[keras.KerasTensor]:
    """The shared network run on each channel's inputs, its features mixed across channels.

    The convolutions (``conv1``...) are shared by the three streams, as in
    :func:`_shared_core`; after every ``mix_every``-th hidden layer, each stream adds a
    1x1 convolution (``mix<layer>_<channel>``) of the features of all three, whose
    weights start at zero.
    """
    convs = [
        keras.layers.Conv2D(width, 3, padding="same", activation="relu", name=f"conv{index}")
        for index in range(1, depth)
    ]
    convs.append(keras.layers.Conv2D(4, 3, padding="same", name=f"conv{depth}"))
    for index, conv in enumerate(convs[:-1], start=1):
        streams = [conv(stream) for stream in streams]
        if index % mix_every:
            continue
        joined = keras.layers.Concatenate(name=f"join{index}")(streams)
        streams = [
            keras.layers.Add(name=f"with_mix{index}_{c}")(
                [
                    stream,
                    keras.layers.Conv2D(
                        width, 1, kernel_initializer="zeros", name=f"mix{index}_{c}"
                    )(joined),
                ]
            )
            for c, stream in enumerate(streams)
        ]
    return [
        PixelShuffle(2, name=f"noise{c}")(convs[-1](stream)) for c, stream in enumerate(streams)
    ]


def opponent_ffdnet(
    *,
    depth: int = 12,
    width: int = 64,
    channels: int = 3,
    cross_channel: bool = False,
    mix_every: int = 0,
) -> keras.Model:
    r"""Build a colour denoiser: opponent colour space, one shared FFDNet-style network.

    Parameters
    ----------
    depth : int
        Convolution layers of the shared network, at least 2.
    width : int
        Feature channels of its hidden layers.
    channels : int
        Image channels; must be 3 (RGB). The argument exists so that a
        training recipe states it, as for the other builders.
    cross_channel : bool
        If true, each pass of the shared network also sees both noisy colour
        differences, centred on zero, so that every channel's estimate can
        draw on the others: an edge between two colours of equal brightness
        shows in the colour differences, not in the brightness.
    mix_every : int
        If positive, the three passes exchange their features after every
        ``mix_every``-th hidden layer: each adds a 1x1 convolution of all
        three passes' features to its own. 0 (the default) keeps the passes
        apart, meeting only through the guide.

    Returns
    -------
    keras.Model
        A model named ``"opponent_ffdnet"`` with the inputs of the colour
        :func:`~deepdenoise.models.ffdnet.ffdnet`: ``noisy`` of shape
        ``(batch, H, W, 3)`` and ``sigma_map`` of shape ``(batch, H, W, 1)``
        holding :math:`\sigma / 255` for the noise in each RGB channel; one
        output of the shape of ``noisy``. ``H`` and ``W`` must be even.

    Raises
    ------
    ValueError
        If ``depth`` is below 2, ``width`` is not a positive integer,
        ``channels`` is not 3, ``cross_channel`` is not a bool or ``mix_every``
        is negative.

    Notes
    -----
    With :math:`T` the fixed map :data:`OPPONENT` (plus :data:`OPPONENT_OFFSET`),
    :math:`s_c` the norm of its row :math:`c` and :math:`G` the shared network,

    .. math::

        z = T y, \qquad \hat z_c = z_c - G(z_c, s_c M, z_0), \qquad
        \hat x = T^{-1} \hat z .

    Noise independent in R, G and B, of standard deviation :math:`\sigma`,
    stays independent in :math:`z` with standard deviation :math:`s_c \sigma`
    in channel :math:`c`, so the network is told that level. Each channel is
    denoised with the noisy brightness :math:`z_0` as a guide, where edges are
    best seen; the colour differences :math:`z_1, z_2` are smooth almost
    everywhere. The guide's first-layer weights may be zero: the model then
    computes exactly what a gray FFDNet run on each opponent channel computes,
    which is how :func:`deepdenoise.models.grow.colour_from_gray` starts it from
    a trained gray model. It costs three runs of the shared network.

    With ``cross_channel``, :math:`G` also takes the colour differences
    :math:`(z_1, z_2)` without their offset (inputs of mean near zero, so that
    their new weights do not act as a shift of every first-layer bias while
    they train); with their first-layer weights zero it computes what the
    model without them computes, which is how
    :func:`deepdenoise.models.grow.cross_channel_from` starts it from a
    trained one. The extra inputs only widen the first layer.

    With ``mix_every`` :math:`k`, after hidden layer :math:`l` (a multiple of
    :math:`k`) the features :math:`h^l_c` of the three passes become

    .. math:: h^l_c \leftarrow h^l_c + W^l_c [h^l_0, h^l_1, h^l_2] + b^l_c ,

    a 1x1 convolution of all three. The brightness pass's edges then reach the
    colour passes at every depth, not only through the noisy guide, much as
    CBM3D groups the blocks of its colour channels by the brightness. With
    :math:`W` and :math:`b` zero this is the model without mixing, which is how
    :func:`deepdenoise.models.grow.channel_mixing_from` starts it. Each mixing
    step costs a third of one hidden layer run on the three channels.

    Examples
    --------
    >>> import numpy as np
    >>> model = opponent_ffdnet(depth=3, width=8)
    >>> noisy = np.zeros((1, 6, 8, 3), dtype="float32")
    >>> sigma_map = np.full((1, 6, 8, 1), 25 / 255, dtype="float32")
    >>> model.predict([noisy, sigma_map], verbose=0).shape
    (1, 6, 8, 3)
    >>> mixed = opponent_ffdnet(depth=3, width=8, cross_channel=True)
    >>> mixed.predict([noisy, sigma_map], verbose=0).shape
    (1, 6, 8, 3)
    >>> exchanging = opponent_ffdnet(depth=3, width=8, mix_every=1)
    >>> exchanging.predict([noisy, sigma_map], verbose=0).shape
    (1, 6, 8, 3)
    """
    depth = check_depth(depth)
    width = check_positive_int(width, "width")
    if isinstance(channels, bool) or channels != 3:
        raise ValueError(
            f"opponent_ffdnet denoises RGB images: channels must be 3, got {channels!r}"
        )
    if not isinstance(cross_channel, bool):
        raise ValueError(f"cross_channel must be true or false, got {cross_channel!r}")
    mix_every = check_non_negative_int(mix_every, "mix_every")
    noisy = keras.Input(shape=(None, None, 3), name="noisy")
    sigma_map = keras.Input(shape=(None, None, 1), name="sigma_map")
    to_opponent = ColourTransform(OPPONENT, OPPONENT_OFFSET, name="to_opponent")
    opponent = to_opponent(noisy)
    planes = [ChannelSlice(c, name=f"opponent{c}")(opponent) for c in range(3)]
    context = []
    if cross_channel:
        context.append(ColourTransform(OPPONENT[1:], (0.0, 0.0), name="colour_context")(noisy))
    levels = [
        keras.layers.Rescaling(scale, name=f"sigma_map{c}")(sigma_map)
        for c, scale in enumerate(opponent_noise_scale())
    ]
    inputs = [[planes[c], levels[c], planes[0], *context] for c in range(3)]
    if mix_every:
        kinds = ("image", "sigma", "guide", "context")
        streams = [
            keras.layers.Concatenate(name=f"concat{c}")(
                [
                    PixelUnshuffle(2, name=f"unshuffle_{kind}{c}")(tensor)
                    for kind, tensor in zip(kinds, inputs[c], strict=False)
                ]
            )
            for c in range(3)
        ]
        noise = _mixed_streams(streams, depth=depth, width=width, mix_every=mix_every)
    else:
        core = _shared_core(depth, width, cross_channel)
        noise = [core(inputs[c]) for c in range(3)]
    stacked = keras.layers.Concatenate(name="opponent_noise")(noise)
    cleaned = keras.layers.Subtract(name="opponent_denoised")([opponent, stacked])
    denoised = to_opponent.inverse(name="denoised")(cleaned)
    return keras.Model([noisy, sigma_map], denoised, name="opponent_ffdnet")
