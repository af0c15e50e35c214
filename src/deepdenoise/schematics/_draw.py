"""Drawing helpers shared by the schematics: figures, colours, grids of numbers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from deepdenoise.viz import _show

# Colour-blind-safe colours (Okabe-Ito) on a white page.
BLUE = "#0072b2"
ORANGE = "#e69f00"
GREEN = "#009e73"
VERMILION = "#d55e00"
PURPLE = "#cc79a7"
SKY = "#56b4e9"
YELLOW = "#f0e442"
GRAY = "#999999"
INK = "#222222"
PALE = "#f2f2f2"
#: One colour per position of a 2x2 block, for pixel-unshuffle and phases.
PHASE_COLOURS = ("#9ecae1", "#fdae6b", "#a1d99b", "#d4b9da", "#fdd0a2", "#c7e9c0", "#dadaeb")


def new_figure(width: float, height: float) -> Figure:
    """A white, constrained-layout figure of ``width`` x ``height`` inches, without pyplot."""
    return Figure(figsize=(width, height), layout="constrained", facecolor="white")


def bare(ax: Axes) -> Axes:
    """Equal aspect, no ticks, no frame: an axes to draw shapes on."""
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def draw_number_grid(
    ax: Axes,
    values: np.ndarray,
    *,
    origin: tuple[float, float] = (0.0, 0.0),
    colours: Callable[[int, int], str] | None = None,
    number_format: str = "{:g}",
    gid: str = "cell",
    fontsize: float = 10.0,
) -> None:
    """Draw a 2-D array as a grid of unit squares with its numbers written in.

    Row 0 is drawn at the top: cell ``(i, j)`` covers
    ``[x0 + j, x0 + j + 1] x [y0 - i - 1, y0 - i]`` with ``(x0, y0) = origin``.
    Each square gets the gid ``f"{gid}:{i}:{j}"`` and each number the same gid,
    so a test can read the grid back from the artists.
    """
    x0, y0 = origin
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            face = "white" if colours is None else colours(i, j)
            square = Rectangle(
                (x0 + j, y0 - i - 1), 1, 1, facecolor=face, edgecolor=INK, linewidth=0.8
            )
            square.set_gid(f"{gid}:{i}:{j}")
            ax.add_patch(square)
            text = ax.text(
                x0 + j + 0.5,
                y0 - i - 0.5,
                number_format.format(values[i, j]),
                ha="center",
                va="center",
                fontsize=fontsize,
                color=INK,
            )
            text.set_gid(f"{gid}:{i}:{j}")


def outline(
    ax: Axes,
    xy: tuple[float, float],
    width: float,
    height: float,
    *,
    colour: str = VERMILION,
    gid: str | None = None,
    linewidth: float = 2.5,
    linestyle: str = "-",
) -> Rectangle:
    """Add an unfilled rectangle with lower-left corner ``xy``; return it."""
    patch = Rectangle(
        xy,
        width,
        height,
        fill=False,
        edgecolor=colour,
        linewidth=linewidth,
        linestyle=linestyle,
        zorder=5,
    )
    if gid is not None:
        patch.set_gid(gid)
    ax.add_patch(patch)
    return patch


def show_gray(
    ax: Axes, image: np.ndarray, title: str | None = None, *, fontsize: float = 10.0
) -> None:
    """Show an image in [0, 1] (clipped for display) without ticks."""
    _show(ax, image, title, fontsize=fontsize)


def fit_to_data(
    fig: Figure, ax: Axes, unit_inches: float, *, extra_height: float, min_width: float = 5.0
) -> None:
    """Size ``fig`` so one data unit of ``ax`` is about ``unit_inches`` on paper.

    ``extra_height`` (inches) leaves room for a title and a legend; the figure
    is at least ``min_width`` inches wide, so they fit.
    """
    left, right = ax.get_xlim()
    bottom, top = ax.get_ylim()
    width = max(abs(right - left) * unit_inches + 0.2, min_width)
    fig.set_size_inches(width, abs(top - bottom) * unit_inches + extra_height)


def fit_label(
    label: str, length_points: float, width_points: float, *, largest: float = 8.0
) -> tuple[str, float]:
    """Choose one or two lines and a font size so ``label`` fits in a box.

    ``length_points`` is the room along the text, ``width_points`` across it.
    DejaVu Sans characters are about 0.6 of the font size wide on average.
    """

    def size_for(lines: list[str]) -> float:
        along = length_points / (0.62 * max(len(line) for line in lines))
        across = width_points / (1.25 * len(lines))
        return min(largest, along, across)

    best = (label, size_for([label]))
    spaces = [i for i, char in enumerate(label) if char == " "]
    for index in spaces:
        first, second = label[:index].rstrip(":,"), label[index + 1 :]
        size = size_for([first, second])
        if size > best[1] + 0.25:
            best = (f"{first}\n{second}", size)
    return best
