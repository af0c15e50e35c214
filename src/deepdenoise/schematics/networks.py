"""Diagrams of networks: layer graphs, receptive fields and the U-Net shape."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch, Rectangle

from deepdenoise._checks import ArgumentTypeError, check_non_negative_int, check_positive_int
from deepdenoise.inference import estimate_receptive_field
from deepdenoise.models import PixelShuffle, PixelUnshuffle, model_info
from deepdenoise.models._graph import layer_scales

from ._draw import (
    BLUE,
    GRAY,
    INK,
    ORANGE,
    PALE,
    PURPLE,
    SKY,
    VERMILION,
    YELLOW,
    bare,
    fit_label,
    fit_to_data,
    new_figure,
)

__all__ = ["plot_architecture", "plot_receptive_field", "plot_unet"]

_UNIT = 0.42  # inches per unit of the layer-graph drawing
_PITCH = 1.0  # distance between the centres of two columns of the layer graph
_BOX_WIDTH = 0.62
_HEIGHT = 3.2  # height of a column that holds one box
_ROW_GAP = 0.3
_BAND = 0.5  # height of a batch-norm or activation band stacked on a convolution
_ACTIVATIONS = (keras.layers.ReLU, keras.layers.Activation, keras.layers.LeakyReLU)
_CONVOLUTIONS = (keras.layers.Conv2D, keras.layers.Conv2DTranspose)
_KIND_COLOURS = {
    "input": PALE,
    "convolution": SKY,
    "batch norm": "#66c2a5",
    "activation": ORANGE,
    "pixel (un)shuffle": PURPLE,
    "merge": YELLOW,
    "subtract": "#f4a582",
    "other": GRAY,
}


def _kind(layer: keras.layers.Layer) -> str:
    if isinstance(layer, keras.layers.InputLayer):
        return "input"
    if isinstance(layer, _CONVOLUTIONS):
        return "convolution"
    if isinstance(layer, keras.layers.BatchNormalization):
        return "batch norm"
    if isinstance(layer, _ACTIVATIONS):
        return "activation"
    if isinstance(layer, PixelShuffle | PixelUnshuffle):
        return "pixel (un)shuffle"
    if isinstance(layer, keras.layers.Subtract):
        return "subtract"
    if isinstance(layer, keras.layers.Concatenate | keras.layers.Add):
        return "merge"
    return "other"


def _pair(value: Any) -> str:
    first, second = (int(v) for v in value)
    return f"{first}×{second}"


def _size(dimension: Any, letter: str) -> str:
    return letter if dimension is None else str(int(dimension))


def describe_layer(layer: keras.layers.Layer) -> str:
    """A short label for a layer: what it does and its numbers.

    Parameters
    ----------
    layer : keras.layers.Layer

    Returns
    -------
    str
        For example ``"3×3 conv, 64"`` for ``Conv2D(64, 3)``, ``"unshuffle 2×2"``
        for ``PixelUnshuffle(2)``, ``"noisy: H×W×1"`` for an input.

    Examples
    --------
    >>> import keras
    >>> describe_layer(keras.layers.Conv2D(64, 3, strides=2))
    '3×3 conv, 64, stride 2'
    """
    if isinstance(layer, keras.layers.InputLayer):
        _, height, width, channels = layer.output.shape
        return f"{layer.name}: {_size(height, 'H')}×{_size(width, 'W')}×{channels}"
    if isinstance(layer, _CONVOLUTIONS):
        kind = "transposed conv" if isinstance(layer, keras.layers.Conv2DTranspose) else "conv"
        label = f"{_pair(layer.kernel_size)} {kind}, {layer.filters}"
        strides = tuple(int(s) for s in layer.strides)
        return label if strides == (1, 1) else f"{label}, stride {strides[0]}"
    if isinstance(layer, keras.layers.BatchNormalization):
        return "BN"
    if isinstance(layer, keras.layers.ReLU):
        return "ReLU"
    if isinstance(layer, keras.layers.Activation):
        return str(getattr(layer.activation, "__name__", "activation"))
    if isinstance(layer, PixelUnshuffle):
        return f"unshuffle {layer.block_size}×{layer.block_size}"
    if isinstance(layer, PixelShuffle):
        return f"shuffle {layer.block_size}×{layer.block_size}"
    if isinstance(layer, keras.layers.Subtract):
        return "subtract"
    if isinstance(layer, keras.layers.Concatenate):
        return "concatenate"
    if isinstance(layer, keras.layers.Add):
        return "add"
    if isinstance(layer, keras.layers.MaxPooling2D):
        return f"max pool {_pair(layer.pool_size)}"
    if isinstance(layer, keras.layers.Dense):
        return f"dense, {layer.units}"
    return type(layer).__name__


def _fused_activation(layer: keras.layers.Layer) -> str | None:
    """The activation a convolution applies itself (``activation="relu"``), if any."""
    if not isinstance(layer, _CONVOLUTIONS):
        return None
    name = str(getattr(layer.activation, "__name__", "linear"))
    return None if name == "linear" else name


@dataclass(eq=False)
class _Stack:
    """One box of the diagram: a layer with the BN and activation layers applied after it."""

    layers: list[keras.layers.Layer]
    column: int
    row: int = 0
    rows: int = 1
    sources: list[_Stack] = field(default_factory=list)

    @property
    def x(self) -> float:
        return self.column * _PITCH

    @property
    def height(self) -> float:
        return (_HEIGHT - (self.rows - 1) * _ROW_GAP) / self.rows

    @property
    def bottom(self) -> float:
        return _HEIGHT / 2 - (self.row + 1) * self.height - self.row * _ROW_GAP

    @property
    def centre_y(self) -> float:
        return self.bottom + self.height / 2


def _check_model(model: object) -> keras.Model:
    if not isinstance(model, keras.Model):
        raise ArgumentTypeError(f"model must be a keras.Model, got {type(model).__name__}")
    if not model.layers or not hasattr(model, "inputs") or not model.inputs:
        raise ValueError(
            f"model must be a built functional keras.Model with inputs, got {model.name!r}"
        )
    return model


def _stacks(model: keras.Model) -> list[_Stack]:
    """Group the model's layers into boxes and place them in columns by graph depth."""
    producer: dict[int, _Stack] = {}
    last_layer: dict[int, keras.layers.Layer] = {}
    stacks: list[_Stack] = []
    for layer in model.layers:  # functional models list layers in topological order
        inputs = (
            [] if isinstance(layer, keras.layers.InputLayer) else keras.tree.flatten(layer.input)
        )
        sources = [producer[id(t)] for t in inputs if id(t) in producer]
        merges_into = (
            len(inputs) == 1
            and len(sources) == 1
            and isinstance(layer, (keras.layers.BatchNormalization, *_ACTIVATIONS))
            and isinstance(sources[0].layers[0], _CONVOLUTIONS)
            and last_layer.get(id(inputs[0])) is sources[0].layers[-1]
        )
        if merges_into:
            stack = sources[0]
            stack.layers.append(layer)
        else:
            column = 1 + max((s.column for s in sources), default=-1)
            stack = _Stack([layer], column, sources=list(dict.fromkeys(sources)))
            stacks.append(stack)
        for tensor in keras.tree.flatten(layer.output):
            producer[id(tensor)] = stack
            last_layer[id(tensor)] = layer
    by_column: dict[int, list[_Stack]] = {}
    for stack in stacks:
        by_column.setdefault(stack.column, []).append(stack)
    for same_column in by_column.values():
        for row, member in enumerate(same_column):
            member.row, member.rows = row, len(same_column)
    return stacks


def _draw_stack(ax: Axes, stack: _Stack) -> None:
    left = stack.x - _BOX_WIDTH / 2
    base, *extras = stack.layers
    fused = _fused_activation(base)
    n_bands = len(extras) + (fused is not None)
    band = min(_BAND, stack.height / 4)
    base_height = stack.height - n_bands * band
    y = stack.bottom
    box = Rectangle(
        (left, y), _BOX_WIDTH, base_height, facecolor=_KIND_COLOURS[_kind(base)], edgecolor=INK
    )
    box.set_gid(f"layer:{base.name}")
    ax.add_patch(box)
    label, size = fit_label(
        describe_layer(base), 0.92 * base_height * _UNIT * 72, _BOX_WIDTH * _UNIT * 72
    )
    text = ax.text(
        stack.x,
        y + base_height / 2,
        label,
        rotation=90,
        ha="center",
        va="center",
        fontsize=size,
        color=INK,
        linespacing=1.0,
    )
    text.set_gid(f"label:{base.name}")
    y += base_height
    bands: list[tuple[str, str, str]] = []
    if fused is not None:
        bands.append(
            (f"activation:{base.name}", "activation", "ReLU" if fused == "relu" else fused)
        )
    bands += [(f"layer:{layer.name}", _kind(layer), describe_layer(layer)) for layer in extras]
    for gid, kind, label in bands:
        patch = Rectangle(
            (left, y), _BOX_WIDTH, band, facecolor=_KIND_COLOURS[kind], edgecolor=INK
        )
        patch.set_gid(gid)
        ax.add_patch(patch)
        ax.text(stack.x, y + band / 2, label, ha="center", va="center", fontsize=5.5, color=INK)
        y += band


def _draw_edge(ax: Axes, source: _Stack, target: _Stack, lift: float) -> None:
    gid = f"edge:{source.layers[0].name}->{target.layers[0].name}"
    style = {"arrowstyle": "-|>", "color": INK, "linewidth": 1.0, "shrinkA": 0, "shrinkB": 0}
    if target.column == source.column + 1:
        arrow = ax.annotate(
            "",
            xy=(target.x - _BOX_WIDTH / 2, target.centre_y),
            xytext=(source.x + _BOX_WIDTH / 2, source.centre_y),
            arrowprops=style,
        )
        arrow.set_gid(gid)
        return
    # A skip connection: over the top of the boxes in between.
    top = _HEIGHT / 2 + lift
    start_top = source.bottom + source.height
    line = Line2D(
        [source.x, source.x, target.x],
        [start_top, top, top],
        color=VERMILION,
        linewidth=1.5,
    )
    line.set_gid(gid)
    ax.add_line(line)
    arrow = ax.annotate(
        "",
        xy=(target.x, target.bottom + target.height),
        xytext=(target.x, top),
        arrowprops={**style, "color": VERMILION, "linewidth": 1.5},
    )
    arrow.set_gid(gid)
    ax.text(
        (source.x + target.x) / 2,
        top + 0.08,
        f"skip: {source.layers[0].name} input" if source.column == 0 else "skip",
        ha="center",
        va="bottom",
        fontsize=8,
        color=VERMILION,
    )


def _shade_scales(ax: Axes, model: keras.Model, stacks: list[_Stack]) -> None:
    """Shade the columns that work below full resolution, with the factor."""
    scale = {layer.name: out for layer, _, out in layer_scales(model)}
    reduced = [s for s in stacks if scale.get(s.layers[0].name, 1) > 1]
    if not reduced:
        return
    factor = max(scale[s.layers[0].name] for s in reduced)
    first = min(s.column for s in reduced)
    last = max(s.column for s in reduced)
    ax.add_patch(
        Rectangle(
            (first - 0.5, -_HEIGHT / 2 - 0.55),
            last - first + 1,
            _HEIGHT + 0.7,
            facecolor="#e8eef7",
            edgecolor="none",
            zorder=0,
        )
    )
    ax.text(
        (first + last) / 2,
        -_HEIGHT / 2 - 0.45,
        f"at 1/{factor} resolution: (H/{factor})×(W/{factor}) pixels",
        ha="center",
        va="bottom",
        fontsize=8,
        color=BLUE,
    )


def plot_architecture(model: keras.Model, *, title: str | None = None) -> Figure:
    """Draw a functional Keras model from its layer list, one box per layer.

    Each convolution is a column, labelled with its kernel size and number of
    filters; the batch normalisation and activation layers that follow it
    (and an activation the convolution applies itself) are bands stacked on
    top of it, as in the DnCNN paper's figure. Other layers (inputs, pixel
    (un)shuffle, concatenation, subtraction) are columns of their own, placed
    by their depth in the layer graph; arrows follow the graph, and a skip
    connection (the noisy input carried to the final subtraction) runs over
    the top. Columns that work below full resolution are shaded.

    Parameters
    ----------
    model : keras.Model
        A functional model, such as :func:`deepdenoise.models.dncnn` or
        :func:`deepdenoise.models.ffdnet`.
    title : str, optional
        By default the model's name, its number of convolutions and of weights.

    Returns
    -------
    matplotlib.figure.Figure
        Every layer of ``model.layers`` is one rectangle whose gid is
        ``"layer:<name>"``; every connection between boxes carries the gid
        ``"edge:<source>-><target>"``.

    Raises
    ------
    TypeError
        If ``model`` is not a :class:`keras.Model`.

    Examples
    --------
    >>> from deepdenoise.models import dncnn
    >>> model = dncnn(depth=3, width=8)
    >>> fig = plot_architecture(model)
    >>> boxes = [p.get_gid() for p in fig.axes[0].patches if str(p.get_gid()).startswith("layer:")]
    >>> len(boxes) == len(model.layers)
    True
    """
    model = _check_model(model)
    stacks = _stacks(model)
    columns = 1 + max(s.column for s in stacks)
    skips = [s for t in stacks for s in t.sources if t.column != s.column + 1]
    fig = new_figure(1.0, 1.0)  # resized below, once the drawing's extent is known
    ax = bare(fig.add_subplot())
    _shade_scales(ax, model, stacks)
    for stack in stacks:
        _draw_stack(ax, stack)
    lift = 0.35
    for target in stacks:
        for source in target.sources:
            is_skip = target.column != source.column + 1
            _draw_edge(ax, source, target, lift)
            lift += 0.35 if is_skip else 0.0
    ax.set_xlim(-0.6, (columns - 1) * _PITCH + 0.6)
    ax.set_ylim(-_HEIGHT / 2 - 0.6, _HEIGHT / 2 + lift - 0.1 + 0.35 * bool(skips))
    fit_to_data(fig, ax, _UNIT, extra_height=0.75)
    if title is None:
        n_conv = sum(isinstance(layer, _CONVOLUTIONS) for layer in model.layers)
        title = f"{model.name}: {n_conv} convolutions, {model.count_params():,} weights"
    ax.set_title(title, fontsize=10)
    kinds = dict.fromkeys(_kind(layer) for layer in model.layers)
    if any(_fused_activation(layer) for layer in model.layers):
        kinds["activation"] = None
    fig.legend(
        handles=[Patch(facecolor=_KIND_COLOURS[k], edgecolor=INK, label=k) for k in kinds],
        loc="outside lower center",
        ncols=min(len(kinds), 7),
        fontsize=8,
        frameon=False,
    )
    return fig


def _check_models(models: object) -> dict[str, keras.Model]:
    if isinstance(models, keras.Model):
        return {models.name: models}
    if not isinstance(models, Mapping):
        raise ArgumentTypeError(
            "models must be a keras.Model or a mapping of title to keras.Model, "
            f"got {type(models).__name__}"
        )
    if not models:
        raise ValueError("models must hold at least one model")
    for name, model in models.items():
        if not isinstance(model, keras.Model):
            raise ArgumentTypeError(
                f"models[{name!r}] must be a keras.Model, got {type(model).__name__}"
            )
    return {str(name): model for name, model in models.items()}


def plot_receptive_field(
    models: keras.Model | Mapping[str, keras.Model], *, margin: int = 2
) -> Figure:
    """Show the receptive field of models, measured, one panel per model.

    Each panel is a grid of input pixels. The output pixel at the centre
    (filled) depends on the highlighted square of input pixels: its radius is
    what :func:`deepdenoise.inference.estimate_receptive_field` measures by
    changing one input pixel. All panels share one grid, so the squares can
    be compared.

    Parameters
    ----------
    models : keras.Model or mapping of str to keras.Model
        A model, or models by panel title (for example DnCNNs of growing
        depth).
    margin : int, default 2
        Pixels of grid drawn around the largest receptive field.

    Returns
    -------
    matplotlib.figure.Figure
        In each panel the square has the gid ``"receptive_field"`` and the
        centre pixel ``"centre"``.

    Raises
    ------
    TypeError
        If ``models`` holds something other than Keras models.
    ValueError
        If ``models`` is empty or ``margin`` is negative.

    Examples
    --------
    >>> import keras
    >>> inputs = keras.Input((None, None, 1))
    >>> x = keras.layers.Conv2D(1, 3, padding="same")(inputs)
    >>> fig = plot_receptive_field({"one 3x3 conv": keras.Model(inputs, x)})
    >>> [p.get_width() for p in fig.axes[0].patches if p.get_gid() == "receptive_field"]
    [3]
    """
    models = _check_models(models)
    margin = check_non_negative_int(margin, "margin")
    radii = {name: estimate_receptive_field(model) for name, model in models.items()}
    side = 2 * max(radii.values()) + 1 + 2 * margin
    centre = side // 2
    fig = new_figure(1.95 * len(models) + 0.1, 2.75)
    for index, (name, model) in enumerate(models.items()):
        ax = bare(fig.add_subplot(1, len(models), index + 1))
        ax.add_patch(Rectangle((0, 0), side, side, facecolor=PALE, edgecolor=GRAY))
        lines = [[(k, 0), (k, side)] for k in range(side + 1)]
        lines += [[(0, k), (side, k)] for k in range(side + 1)]
        ax.add_collection(LineCollection(lines, colors="#cfcfcf", linewidths=0.4))
        radius = radii[name]
        square = Rectangle(
            (centre - radius, centre - radius),
            2 * radius + 1,
            2 * radius + 1,
            facecolor=SKY,
            edgecolor=BLUE,
            linewidth=1.5,
            alpha=0.8,
        )
        square.set_gid("receptive_field")
        ax.add_patch(square)
        pixel = Rectangle((centre, centre), 1, 1, facecolor=VERMILION, edgecolor=INK)
        pixel.set_gid("centre")
        ax.add_patch(pixel)
        ax.set_xlim(-0.5, side + 0.5)
        ax.set_ylim(side + 0.5, -0.5)
        n_conv = sum(isinstance(layer, _CONVOLUTIONS) for layer in model.layers)
        scale = model_info(model)["size_multiple"]
        where = "" if scale == 1 else f" at 1/{scale} res."
        ax.set_title(
            f"{name}\n{n_conv} convolutions{where}\nsees {2 * radius + 1}×{2 * radius + 1} pixels",
            fontsize=9,
        )
    return fig


def _check_channels(channels: object) -> tuple[int, ...]:
    if not isinstance(channels, Sequence) or isinstance(channels, str):
        raise ArgumentTypeError(
            f"channels must be a sequence of positive integers, got {channels!r}"
        )
    values = tuple(check_positive_int(c, f"channels[{i}]") for i, c in enumerate(channels))
    if len(values) < 2:
        raise ValueError(f"channels must give at least 2 scales, got {channels!r}")
    return values


def _unet_box(ax: Axes, x: float, y: float, label: str, gid: str, colour: str) -> None:
    box = FancyBboxPatch(
        (x - 0.42, y - 0.3),
        0.84,
        0.6,
        boxstyle="round,pad=0.02",
        facecolor=colour,
        edgecolor=INK,
    )
    box.set_gid(gid)
    ax.add_patch(box)
    ax.text(x, y, label, ha="center", va="center", fontsize=9, color=INK)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], **style: Any) -> Any:
    props = {"arrowstyle": "-|>", "color": INK, "linewidth": 1.2, "shrinkA": 0, "shrinkB": 0}
    return ax.annotate("", xy=end, xytext=start, arrowprops={**props, **style})


def plot_unet(channels: Sequence[int] = (64, 128, 256, 512), *, blocks: int = 4) -> Figure:
    """Draw the U-Net shape of DRUNet: encoder, bottleneck, decoder, skip connections.

    Parameters
    ----------
    channels : sequence of int, default (64, 128, 256, 512)
        Feature channels at each scale, from full resolution down to the
        bottleneck (DRUNet's numbers).
    blocks : int, default 4
        Residual blocks per scale (DRUNet uses 4).

    Returns
    -------
    matplotlib.figure.Figure
        Boxes have the gids ``"encoder:<i>"``, ``"bottleneck"`` and
        ``"decoder:<i>"``; skip connections ``"skip:<i>"``.

    Raises
    ------
    ValueError
        If fewer than two scales are given or a count is not positive.

    Examples
    --------
    >>> fig = plot_unet((16, 32, 64))
    >>> sorted(str(p.get_gid()) for p in fig.axes[0].patches if ":" in str(p.get_gid()))
    ['decoder:0', 'decoder:1', 'encoder:0', 'encoder:1']
    """
    widths = _check_channels(channels)
    blocks = check_positive_int(blocks, "blocks")
    levels = len(widths)
    bottom = levels - 1
    fig = new_figure(1.0, 1.0)  # resized below, once the drawing's extent is known
    ax = bare(fig.add_subplot())
    scale = ["H×W"] + [f"H/{2**i}×W/{2**i}" for i in range(1, levels)]
    for i in range(bottom):
        _unet_box(ax, i, -i, f"{widths[i]} ch\n{scale[i]}", f"encoder:{i}", SKY)
        _unet_box(ax, 2 * bottom - i, -i, f"{widths[i]} ch\n{scale[i]}", f"decoder:{i}", SKY)
        skip = _arrow(ax, (i + 0.45, -i), (2 * bottom - i - 0.45, -i), color=VERMILION)
        skip.set_gid(f"skip:{i}")
        _arrow(ax, (i + 0.2, -i - 0.32), (i + 0.8, -i - 0.68))
        _arrow(ax, (2 * bottom - i - 0.8, -i - 0.68), (2 * bottom - i - 0.2, -i - 0.32))
    _unet_box(ax, bottom, -bottom, f"{widths[-1]} ch\n{scale[-1]}", "bottleneck", "#a1d99b")
    ax.text(
        bottom,
        0.04,
        "skip connections: add the encoder's features",
        color=VERMILION,
        ha="center",
        va="bottom",
        fontsize=9,
    )
    ax.text(0.35, -0.55, "down: 2×2 conv,\nstride 2", fontsize=9, ha="right", va="center")
    ax.text(
        2 * bottom - 0.35,
        -0.55,
        "up: 2×2 transposed\nconv, stride 2",
        fontsize=9,
        ha="left",
        va="center",
    )
    _unet_box(ax, -1.25, 0, "noisy y\n+ σ map", "input", PALE)
    _unet_box(ax, 2 * bottom + 1.25, 0, "denoised\nx̂", "output", PALE)
    _arrow(ax, (-0.82, 0), (-0.45, 0))
    _arrow(ax, (2 * bottom + 0.45, 0), (2 * bottom + 0.82, 0))
    ax.set_xlim(-1.75, 2 * bottom + 1.75)
    ax.set_ylim(-bottom - 0.4, 0.4)
    fit_to_data(fig, ax, 0.85, extra_height=0.4)
    ax.set_title(
        f"U-Net as in DRUNet: {levels} scales, {blocks} residual blocks per box", fontsize=10
    )
    return fig
