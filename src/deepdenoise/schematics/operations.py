"""Diagrams of operations on pixels: convolution, pixel unshuffle, tiles, blind spots."""

from __future__ import annotations

import keras
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from deepdenoise._checks import (
    ArgumentTypeError,
    as_generator,
    check_fraction,
    check_image,
    check_non_negative_int,
    check_positive_int,
)
from deepdenoise.inference import tile_layout
from deepdenoise.models import PixelUnshuffle

from ._draw import (
    BLUE,
    GREEN,
    INK,
    PHASE_COLOURS,
    VERMILION,
    YELLOW,
    bare,
    draw_number_grid,
    fit_to_data,
    new_figure,
    outline,
    show_gray,
)

__all__ = ["plot_blind_spot", "plot_convolution", "plot_pixel_unshuffle", "plot_tile_layout"]

_TILE_COLOURS = (BLUE, VERMILION, YELLOW, GREEN)  # neighbouring tiles differ
_MAX_GRID = 10  # a grid of numbers wider than this is unreadable


def _small_grid(values: object, name: str) -> np.ndarray:
    array = np.asarray(values)
    if not np.issubdtype(array.dtype, np.number) or array.dtype == bool:
        raise ArgumentTypeError(f"{name} must be a 2-D array of numbers, got dtype {array.dtype}")
    if array.ndim != 2 or min(array.shape) == 0 or max(array.shape) > _MAX_GRID:
        raise ValueError(
            f"{name} must be a 2-D array of 1 to {_MAX_GRID} rows and columns, got shape "
            f"{array.shape}"
        )
    return check_image(array, name, ndims=(2,)).astype(np.float64)


def _correlate_with_keras(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """What ``keras.layers.Conv2D`` (one filter, no bias, ``"valid"``) computes."""
    layer = keras.layers.Conv2D(1, kernel.shape, padding="valid", use_bias=False)
    layer.build((None, *image.shape, 1))
    layer.set_weights([kernel[:, :, None, None].astype(np.float32)])
    output = layer(image[None, :, :, None].astype(np.float32))
    return np.asarray(keras.ops.convert_to_numpy(output), dtype=np.float64)[0, :, :, 0]


def _label(ax: Axes, x: float, y: float, text: str, size: float = 10) -> None:
    ax.text(x, y, text, ha="center", va="bottom", fontsize=size, color=INK)


def plot_convolution(
    image: np.ndarray, kernel: np.ndarray, *, position: tuple[int, int] = (0, 0)
) -> Figure:
    r"""Show a kernel sliding over an image, with one output computed in full.

    The output is what ``keras.layers.Conv2D`` computes (one filter, no bias,
    ``padding="valid"``): a cross-correlation, the kernel not flipped,

    .. math:: z[i, j] = \sum_{u, v} K[u, v]\, x[i + u, j + v].

    Parameters
    ----------
    image : numpy.ndarray
        A small 2-D array of numbers (at most 10 x 10), written in the cells.
    kernel : numpy.ndarray
        A 2-D kernel no larger than ``image``.
    position : tuple of int, default (0, 0)
        ``(row, column)`` of the output pixel worked out in full; the window
        it reads is outlined, and the next window along the row is dashed.

    Returns
    -------
    matplotlib.figure.Figure
        Cells have gids ``"input:i:j"``, ``"kernel:i:j"`` and ``"output:i:j"``;
        the window is ``"window"`` and the output pixel ``"output_pixel"``.

    Raises
    ------
    ValueError
        If a grid is too large or empty, the kernel is larger than the image,
        or ``position`` lies outside the output.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.arange(25).reshape(5, 5)
    >>> fig = plot_convolution(image, np.ones((3, 3)), position=(1, 1))
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "output:1:1"]
    ['108']
    """
    grid = _small_grid(image, "image")
    weights = _small_grid(kernel, "kernel")
    if weights.shape[0] > grid.shape[0] or weights.shape[1] > grid.shape[1]:
        raise ValueError(f"kernel {weights.shape} must not be larger than image {grid.shape}")
    output = _correlate_with_keras(grid, weights)
    if (
        not isinstance(position, tuple)
        or len(position) != 2
        or not all(isinstance(v, int | np.integer) for v in position)
    ):
        raise ArgumentTypeError(
            f"position must be a (row, column) tuple of ints, got {position!r}"
        )
    row, col = (int(v) for v in position)
    if not (0 <= row < output.shape[0] and 0 <= col < output.shape[1]):
        raise ValueError(
            f"position must lie in the {output.shape[0]}x{output.shape[1]} output, "
            f"got {position!r}"
        )
    k_rows, k_cols = weights.shape
    fig = new_figure(1.0, 1.0)  # resized below, once the drawing's extent is known
    ax = bare(fig.add_subplot())

    def window_colour(i: int, j: int) -> str:
        inside = row <= i < row + k_rows and col <= j < col + k_cols
        return "#fde0c5" if inside else "white"

    draw_number_grid(ax, grid, colours=window_colour, gid="input")
    outline(ax, (col, -row - k_rows), k_cols, k_rows, gid="window")
    if col + 1 < output.shape[1]:
        outline(
            ax,
            (col + 1, -row - k_rows),
            k_cols,
            k_rows,
            colour=BLUE,
            linestyle="--",
            linewidth=1.5,
            gid="next_window",
        )
    _label(ax, grid.shape[1] / 2, 0.25, f"input x ({grid.shape[0]}×{grid.shape[1]})")

    kernel_x = grid.shape[1] + 1.5
    kernel_top = -(grid.shape[0] - k_rows) / 2
    draw_number_grid(
        ax, weights, origin=(kernel_x, kernel_top), gid="kernel", colours=lambda i, j: "#fde0c5"
    )
    _label(ax, kernel_x + k_cols / 2, kernel_top + 0.25, f"kernel K ({k_rows}×{k_cols})")
    ax.text(kernel_x - 0.75, -grid.shape[0] / 2, r"$\star$", ha="center", va="center", fontsize=30)

    out_x = kernel_x + k_cols + 1.5
    out_top = -(grid.shape[0] - output.shape[0]) / 2
    draw_number_grid(
        ax,
        output,
        origin=(out_x, out_top),
        gid="output",
        colours=lambda i, j: "#fde0c5" if (i, j) == (row, col) else "white",
    )
    outline(ax, (out_x + col, out_top - row - 1), 1, 1, gid="output_pixel")
    if col + 1 < output.shape[1]:
        outline(
            ax,
            (out_x + col + 1, out_top - row - 1),
            1,
            1,
            colour=BLUE,
            linestyle="--",
            linewidth=1.5,
        )
    _label(
        ax,
        out_x + output.shape[1] / 2,
        out_top + 0.25,
        f"output z ({output.shape[0]}×{output.shape[1]})",
    )
    ax.text(out_x - 0.75, -grid.shape[0] / 2, "=", ha="center", va="center", fontsize=18)

    products = [
        " + ".join(f"{weights[u, v]:g}·{grid[row + u, col + v]:g}" for v in range(k_cols))
        for u in range(k_rows)
    ]
    formula = f"z[{row}, {col}] = " + "\n          + ".join(products)
    formula += f"\n          = {output[row, col]:g}"
    ax.text(
        0,
        -grid.shape[0] - 0.5,
        formula,
        ha="left",
        va="top",
        fontsize=9,
        family="monospace",
        color=INK,
    )
    ax.set_xlim(-0.2, out_x + output.shape[1] + 0.2)
    ax.set_ylim(-grid.shape[0] - 0.5 - 0.36 * (k_rows + 1), 0.9)
    fit_to_data(fig, ax, 0.42, extra_height=0.1)
    return fig


def plot_pixel_unshuffle(side: int = 4, *, block_size: int = 2) -> Figure:
    """Show :class:`~deepdenoise.models.PixelUnshuffle` folding an image into channels.

    A ``side`` x ``side`` image holding ``0, 1, 2, ...`` goes through the layer;
    each output channel is drawn with the numbers the layer returned. Every
    cell is coloured by where its value sat in its ``block_size`` x
    ``block_size`` block of the input, so each channel turns out to hold one
    position of every block.

    Parameters
    ----------
    side : int, default 4
        Side of the input image, a multiple of ``block_size``, at most 8.
    block_size : int, default 2
        The layer's block size ``r`` (at most 2, so the channels fit a row).

    Returns
    -------
    matplotlib.figure.Figure
        Input cells have gids ``"input:i:j"``, output cells ``"channel<k>:i:j"``.

    Raises
    ------
    ValueError
        If ``side`` is not a multiple of ``block_size`` or is too large.

    Examples
    --------
    >>> fig = plot_pixel_unshuffle(4)
    >>> sorted(t.get_text() for t in fig.axes[0].texts if str(t.get_gid()).startswith("channel0:"))
    ['0', '10', '2', '8']
    """
    side = check_positive_int(side, "side")
    block_size = check_positive_int(block_size, "block_size")
    if block_size > 2:
        raise ValueError(f"block_size must be 1 or 2 for a readable figure, got {block_size}")
    if side % block_size or side > 8:
        raise ValueError(
            f"side must be a multiple of block_size={block_size}, at most 8, got {side}"
        )
    image = np.arange(side * side, dtype=np.float32).reshape(side, side)
    folded = PixelUnshuffle(block_size)(image[None, :, :, None])
    channels = np.asarray(keras.ops.convert_to_numpy(folded))[0]
    fig = new_figure(1.0, 1.0)  # resized below
    ax = bare(fig.add_subplot())

    def phase_colour(value: float) -> str:
        (i, j), *_ = np.argwhere(image == value)
        return PHASE_COLOURS[(i % block_size) * block_size + j % block_size]

    draw_number_grid(
        ax,
        image,
        gid="input",
        colours=lambda i, j: phase_colour(image[i, j]),
        number_format="{:.0f}",
    )
    for i in range(0, side, block_size):
        for j in range(0, side, block_size):
            outline(ax, (j, -i - block_size), block_size, block_size, colour=INK, linewidth=2.0)
    _label(ax, side / 2, 0.25, f"input: {side}×{side}×1")
    small = side // block_size
    x = side + 2.6
    ax.annotate(
        "",
        xy=(x - 0.3, -side / 2),
        xytext=(side + 0.3, -side / 2),
        arrowprops={"arrowstyle": "-|>", "color": INK, "linewidth": 1.5},
    )
    ax.text(
        side + 1.3,
        -side / 2 + 0.2,
        f"PixelUnshuffle({block_size})",
        ha="center",
        va="bottom",
        fontsize=8,
    )
    top = -(side - small) / 2
    first_x = x
    for k in range(channels.shape[-1]):
        values = channels[:, :, k]

        def channel_colour(i: int, j: int, values: np.ndarray = values) -> str:
            return phase_colour(values[i, j])

        draw_number_grid(
            ax,
            values,
            origin=(x, top),
            gid=f"channel{k}",
            number_format="{:.0f}",
            colours=channel_colour,
        )
        ax.text(
            x + small / 2,
            top - small - 0.2,
            f"channel {k}",
            ha="center",
            va="top",
            fontsize=9,
            color=INK,
        )
        x += small + 0.6
    _label(ax, (first_x + x - 0.6) / 2, 0.25, f"output: {small}×{small}×{channels.shape[-1]}")
    ax.set_xlim(-0.2, x - 0.4)
    ax.set_ylim(-side - 0.2, 1.0)
    fit_to_data(fig, ax, 0.42, extra_height=0.1)
    return fig


def plot_tile_layout(image: np.ndarray, *, tile: int, overlap: int) -> Figure:
    """Show how :func:`deepdenoise.inference.denoise` cuts an image into tiles.

    Tiles are placed along each axis by :func:`deepdenoise.inference.tile_layout`.
    The left panel outlines every tile the network runs on; the right panel
    fills the part of each tile that is kept (the tile less an ``overlap``
    margin on every inner side), and these parts cover the image exactly once.

    Parameters
    ----------
    image : numpy.ndarray
        Image in [0, 1], (H, W) or (H, W, 3).
    tile : int
        Tile side in pixels.
    overlap : int
        Margin discarded on each inner side of a tile (at least the
        receptive-field radius for exact results).

    Returns
    -------
    matplotlib.figure.Figure
        Tiles have gids ``"tile:a:b"`` (left panel) and kept parts
        ``"kept:a:b"`` (right panel), ``a`` the tile row and ``b`` the column.

    Raises
    ------
    ValueError
        As :func:`~deepdenoise.inference.tile_layout` does, for a ``tile`` not
        larger than ``2 * overlap``.

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_tile_layout(np.zeros((100, 60)), tile=48, overlap=8)
    >>> sum(str(p.get_gid()).startswith("tile:") for p in fig.axes[0].patches)
    6
    """
    data = check_image(image, "image", channels=(3,))
    rows = tile_layout(data.shape[0], tile, overlap)
    cols = tile_layout(data.shape[1], tile, overlap)
    height, width = min(tile, data.shape[0]), min(tile, data.shape[1])
    ratio = data.shape[0] / data.shape[1]
    fig = new_figure(7.6, 3.6 * ratio + 0.7)
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    show_gray(left, data, f"{len(rows) * len(cols)} overlapping tiles of {height}×{width} pixels")
    show_gray(right, data, f"kept parts: every pixel once\n(margins of {overlap} pixels dropped)")
    for a, (row_start, keep_top, keep_bottom) in enumerate(rows):
        for b, (col_start, keep_left, keep_right) in enumerate(cols):
            colour = _TILE_COLOURS[(a % 2) * 2 + b % 2]
            piece = Rectangle(
                (col_start - 0.5, row_start - 0.5),
                width,
                height,
                facecolor=to_rgba(colour, 0.22),
                edgecolor=colour,
                linewidth=1.8,
            )
            piece.set_gid(f"tile:{a}:{b}")
            left.add_patch(piece)
            kept = Rectangle(
                (keep_left - 0.5, keep_top - 0.5),
                keep_right - keep_left,
                keep_bottom - keep_top,
                facecolor=to_rgba(colour, 0.35),
                edgecolor=colour,
                linewidth=1.0,
            )
            kept.set_gid(f"kept:{a}:{b}")
            right.add_patch(kept)
    return fig


def _blind_spot_mask(
    image: np.ndarray, fraction: float, radius: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Noise2Void's masking: give a random ``fraction`` of pixels a random neighbour's value.

    Returns the masked copy, the boolean mask and, for each masked pixel (in
    the order of ``np.nonzero(mask)``), the ``(row, col)`` it was copied from:
    a pixel of the ``(2 radius + 1)`` square window other than the centre,
    mirrored back into the image at the border.
    """
    height, width = image.shape
    offsets = np.array(
        [
            (dy, dx)
            for dy in range(-radius, radius + 1)
            for dx in range(-radius, radius + 1)
            if (dy, dx) != (0, 0)
        ]
    )
    mask = rng.random(image.shape) < fraction
    rows, cols = np.nonzero(mask)
    dy, dx = offsets[rng.integers(len(offsets), size=rows.size)].T

    def step(index: np.ndarray, offset: np.ndarray, size: int) -> np.ndarray:
        moved = index + offset
        return np.where((moved < 0) | (moved > size - 1), index - offset, moved)

    sources = np.stack([step(rows, dy, height), step(cols, dx, width)], axis=1)
    masked = image.copy()
    masked[rows, cols] = image[sources[:, 0], sources[:, 1]]
    return masked, mask, sources


def plot_blind_spot(
    patch: np.ndarray, *, fraction: float = 0.1, radius: int = 2, seed: int = 0
) -> Figure:
    """Show Noise2Void's blind-spot masking on a small noisy patch.

    A random ``fraction`` of the pixels is replaced by the value of a random
    neighbour at most ``radius`` pixels away (never the pixel itself); the
    network sees this masked input, and the loss compares its output with the
    *unmasked* noisy patch at the masked pixels only. Since the input there no
    longer holds the pixel's own noisy value, copying the input cannot lower
    the loss.

    Parameters
    ----------
    patch : numpy.ndarray
        A small gray noisy patch (H, W), at most 32 x 32 pixels.
    fraction : float, default 0.1
        Fraction of pixels masked, in (0, 1].
    radius : int, default 2
        Largest distance (in rows and in columns) of the copied neighbour.
    seed : int, default 0
        Seed of the mask and of the neighbours.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels: the noisy patch, the masked input with an arrow
        (gid ``"copy:r:c"``) from each copied neighbour to the masked pixel,
        and the mask (white where the loss is computed).

    Raises
    ------
    ValueError
        If ``patch`` is not 2-D or is too large, ``fraction`` is not in (0, 1]
        or ``radius`` is not positive.

    Examples
    --------
    >>> import numpy as np
    >>> patch = np.random.default_rng(0).uniform(size=(12, 12))
    >>> fig = plot_blind_spot(patch, fraction=0.2, seed=1)
    >>> mask = fig.axes[2].images[0].get_array()
    >>> int(mask.sum()) == sum(str(a.get_gid()).startswith("copy:") for a in fig.axes[1].texts)
    True
    """
    data = check_image(patch, "patch", ndims=(2,))
    if max(data.shape) > 32:
        raise ValueError(f"patch must be at most 32x32 pixels to be readable, got {data.shape}")
    fraction = check_fraction(fraction, "fraction")
    if fraction == 0:
        raise ValueError("fraction must be in (0, 1], got 0")
    radius = check_positive_int(radius, "radius")
    seed = check_non_negative_int(seed, "seed")
    masked, mask, sources = _blind_spot_mask(data, fraction, radius, as_generator(seed))
    fig = new_figure(7.6, 3.1)
    noisy_ax, masked_ax, mask_ax = (fig.add_subplot(1, 3, k) for k in (1, 2, 3))
    show_gray(noisy_ax, data, "noisy patch y\n(also the target)", fontsize=9)
    show_gray(
        masked_ax,
        masked,
        f"network input: {int(mask.sum())} pixels take\na neighbour's value (≤ {radius} px away)",
        fontsize=9,
    )
    show_gray(
        mask_ax, mask.astype(np.float32), "mask J: the loss is\ncomputed only here", fontsize=9
    )
    for (row, col), (src_row, src_col) in zip(np.argwhere(mask), sources, strict=True):
        outline(masked_ax, (col - 0.5, row - 0.5), 1, 1, colour=VERMILION, linewidth=1.5)
        arrow = masked_ax.annotate(
            "",
            xy=(col, row),
            xytext=(src_col, src_row),
            arrowprops={
                "arrowstyle": "->",
                "color": YELLOW,
                "linewidth": 1.2,
                "shrinkA": 0,
                "shrinkB": 3,
            },
        )
        arrow.set_gid(f"copy:{row}:{col}")
    return fig
