"""Illustrations of training: descent paths, learning rates, PSNR per MSE, batch-norm lag."""

from __future__ import annotations

import inspect
import math
from collections.abc import Sequence

import keras
import numpy as np
from matplotlib.figure import Figure

from deepdenoise import metrics
from deepdenoise._checks import (
    ArgumentTypeError,
    as_generator,
    check_fraction,
    check_non_negative_int,
    check_positive_int,
    check_positive_number,
)
from deepdenoise.models import dncnn

from ._draw import BLUE, GRAY, GREEN, INK, ORANGE, VERMILION, new_figure

__all__ = [
    "descent_path",
    "least_squares_problem",
    "plot_batch_norm_lag",
    "plot_descent_paths",
    "plot_learning_rates",
    "plot_psnr_against_mse",
]

_START_OFFSET = np.array([-1.6, 2.2])  # where descent starts, relative to the minimum


def least_squares_problem(samples: int = 64, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A two-weight linear regression whose MSE has elongated, tilted contours.

    Parameters
    ----------
    samples : int, default 64
        Number of samples ``N``.
    seed : int, default 0

    Returns
    -------
    x : numpy.ndarray
        Inputs, shape ``(N, 2)``, correlated and of unequal scale.
    y : numpy.ndarray
        Targets ``x @ (1, -0.5) + noise``, shape ``(N,)``.

    Examples
    --------
    >>> x, y = least_squares_problem(8)
    >>> x.shape, y.shape
    ((8, 2), (8,))
    """
    samples = check_positive_int(samples, "samples")
    rng = as_generator(check_non_negative_int(seed, "seed"))
    x = rng.normal(size=(samples, 2)) @ np.array([[1.0, 0.0], [0.7, 0.35]])
    y = x @ np.array([1.0, -0.5]) + 0.3 * rng.normal(size=samples)
    return x, y


def _mse(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """MSE of the linear model for weights of shape (..., 2)."""
    residual = weights @ x.T - y
    return np.mean(residual**2, axis=-1)


def descent_path(
    x: np.ndarray,
    y: np.ndarray,
    start: np.ndarray,
    *,
    learning_rate: float,
    batch_size: int,
    epochs: int,
    seed: int = 0,
) -> np.ndarray:
    r"""Run mini-batch gradient descent on the MSE of ``x @ w ≈ y``; return every iterate.

    Each update is :math:`w \leftarrow w - \eta \frac{2}{B} X_B^\top (X_B w - y_B)`
    over a batch of ``batch_size`` samples, visited in a new random order
    every epoch. ``batch_size=1`` is SGD and ``batch_size=len(x)`` full-batch
    gradient descent (one update per epoch).

    Parameters
    ----------
    x : numpy.ndarray
        Inputs, shape ``(N, d)``.
    y : numpy.ndarray
        Targets, shape ``(N,)``.
    start : numpy.ndarray
        Initial weights, shape ``(d,)``.
    learning_rate : float
        Step size :math:`\eta`.
    batch_size : int
        Samples per update (at most ``N``).
    epochs : int
        Passes over the data.
    seed : int, default 0
        Seed of the visiting order.

    Returns
    -------
    numpy.ndarray
        Shape ``(1 + epochs * ceil(N / batch_size), d)``: the start and the
        weights after each update.

    Examples
    --------
    >>> x, y = least_squares_problem(8)
    >>> descent_path(x, y, np.zeros(2), learning_rate=0.1, batch_size=8, epochs=3).shape
    (4, 2)
    """
    samples = len(x)
    batch_size = check_positive_int(batch_size, "batch_size")
    if batch_size > samples:
        raise ValueError(f"batch_size must be at most the {samples} samples, got {batch_size}")
    epochs = check_positive_int(epochs, "epochs")
    eta = check_positive_number(learning_rate, "learning_rate")
    rng = as_generator(check_non_negative_int(seed, "seed"))
    weights = np.asarray(start, dtype=np.float64).copy()
    path = [weights.copy()]
    for _ in range(epochs):
        order = rng.permutation(samples) if batch_size < samples else np.arange(samples)
        for first in range(0, samples, batch_size):
            batch = order[first : first + batch_size]
            gradient = 2 / len(batch) * x[batch].T @ (x[batch] @ weights - y[batch])
            weights = weights - eta * gradient
            path.append(weights.copy())
    return np.array(path)


def plot_descent_paths(
    *,
    samples: int = 64,
    batch_sizes: Sequence[int] = (64, 8, 1),
    learning_rate: float = 0.15,
    epochs: int = 5,
    seed: int = 0,
) -> Figure:
    """Draw full-batch, mini-batch and stochastic descent on the contours of one MSE.

    All methods start from the same weights, use the same learning rate and
    see every sample ``epochs`` times (:func:`descent_path` on
    :func:`least_squares_problem`). A dot marks the end of each epoch.

    Parameters
    ----------
    samples : int, default 64
    batch_sizes : sequence of int, default (64, 8, 1)
        Batch sizes to compare; ``samples`` is full batch, 1 is SGD.
    learning_rate : float, default 0.15
    epochs : int, default 5
    seed : int, default 0

    Returns
    -------
    matplotlib.figure.Figure
        One line per batch size, labelled with its number of updates; the
        line holds every iterate of :func:`descent_path`.

    Examples
    --------
    >>> fig = plot_descent_paths(epochs=1)
    >>> [line.get_label() for line in fig.axes[0].get_lines()][:1]
    ['full batch (B = 64): 1 update']
    """
    x, y = least_squares_problem(samples, seed=seed)
    if not isinstance(batch_sizes, Sequence) or isinstance(batch_sizes, str) or not batch_sizes:
        raise ArgumentTypeError(f"batch_sizes must be a sequence of ints, got {batch_sizes!r}")
    best = np.linalg.lstsq(x, y, rcond=None)[0]
    start = best + _START_OFFSET
    fig = new_figure(5.6, 5.6)
    ax = fig.add_subplot()
    w1, w2 = np.meshgrid(
        np.linspace(best[0] - 2.4, best[0] + 1.2, 240),
        np.linspace(best[1] - 1.2, best[1] + 2.8, 240),
    )
    loss = _mse(x, y, np.stack([w1, w2], axis=-1))
    levels = _mse(x, y, best) + np.geomspace(0.02, loss.max(), 12)
    ax.contour(w1, w2, loss, levels=levels, colors=GRAY, linewidths=0.7)
    colours = (BLUE, ORANGE, VERMILION, GREEN, INK)
    for index, size in enumerate(batch_sizes):
        size = check_positive_int(size, f"batch_sizes[{index}]")
        path = descent_path(
            x, y, start, learning_rate=learning_rate, batch_size=size, epochs=epochs, seed=seed + 1
        )
        per_epoch = math.ceil(samples / size)
        updates = epochs * per_epoch
        name = "full batch" if size == samples else ("SGD" if size == 1 else "mini-batch")
        label = f"{name} (B = {size}): {updates} update{'s' * (updates != 1)}"
        ax.plot(
            path[:, 0],
            path[:, 1],
            color=colours[index % len(colours)],
            linewidth=1.0 if size < samples else 2.0,
            marker="o",
            markevery=list(range(0, updates + 1, per_epoch)),
            markersize=5,
            label=label,
            zorder=3 + len(batch_sizes) - index,
        )
    ax.plot(
        *best,
        marker="*",
        color=INK,
        markeredgecolor="white",
        markersize=16,
        linestyle="none",
        label="minimum",
        zorder=10,
    )
    ax.set_xlabel("weight w₁")
    ax.set_ylabel("weight w₂")
    ax.set_aspect("equal")
    ax.legend(fontsize=8, loc="lower left", framealpha=0.95)
    ax.set_title(
        f"{epochs} epoch{'s' * (epochs != 1)} each, η = {learning_rate:g}; "
        "dots: end of each epoch",
        fontsize=10,
    )
    return fig


def plot_learning_rates(
    *,
    factors: Sequence[float] = (0.5, 0.9, 1.1),
    steps: int = 25,
    samples: int = 64,
    seed: int = 0,
) -> Figure:
    r"""Plot full-batch descent at learning rates around the limit :math:`2/\ell`.

    On the MSE of :func:`least_squares_problem` the Hessian is
    :math:`H = \frac{2}{N} X^\top X` and :math:`\ell = \lambda_{\max}(H)` (the
    smoothness constant); each curve runs :func:`descent_path` (full batch) at
    ``factor * 2 / ℓ`` and plots the distance of the loss from its minimum.

    Parameters
    ----------
    factors : sequence of float, default (0.5, 0.9, 1.1)
        Learning rates as multiples of :math:`2/\ell`.
    steps : int, default 25
    samples : int, default 64
    seed : int, default 0

    Returns
    -------
    matplotlib.figure.Figure
        One line per factor, labelled ``"η = <factor> · 2/ℓ"``.

    Examples
    --------
    >>> fig = plot_learning_rates(steps=3)
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['η = 0.5 · 2/ℓ', 'η = 0.9 · 2/ℓ', 'η = 1.1 · 2/ℓ']
    """
    x, y = least_squares_problem(samples, seed=seed)
    steps = check_positive_int(steps, "steps")
    if not isinstance(factors, Sequence) or isinstance(factors, str) or not factors:
        raise ArgumentTypeError(f"factors must be a sequence of numbers, got {factors!r}")
    hessian = 2 / len(x) * x.T @ x
    curvature = float(np.linalg.eigvalsh(hessian).max())
    best = np.linalg.lstsq(x, y, rcond=None)[0]
    floor = float(_mse(x, y, best))
    fig = new_figure(6.4, 3.8)
    ax = fig.add_subplot()
    for index, factor in enumerate(factors):
        factor = check_positive_number(factor, f"factors[{index}]")
        path = descent_path(
            x,
            y,
            best + _START_OFFSET,
            learning_rate=factor * 2 / curvature,
            batch_size=len(x),
            epochs=steps,
        )
        excess = _mse(x, y, path) - floor
        ax.plot(
            np.arange(steps + 1),
            excess,
            marker="o",
            markersize=3,
            color=(BLUE, ORANGE, VERMILION, GREEN)[index % 4],
            label=f"η = {factor:g} · 2/ℓ",
        )
    ax.set_yscale("log")
    ax.set_xlabel("update (full batch)")
    ax.set_ylabel("loss − minimum loss")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    ax.set_title(f"ℓ = λmax(H) = {curvature:.2f}, so 2/ℓ = {2 / curvature:.2f}", fontsize=10)
    return fig


def plot_psnr_against_mse(*, first_mse: float = (25 / 255) ** 2, halvings: int = 6) -> Figure:
    r"""Plot PSNR against MSE: each halving of the MSE adds :math:`10 \log_{10} 2` dB.

    Each point is :func:`deepdenoise.metrics.psnr` of a black image against
    a flat one whose squared error is the MSE shown; the gain from one point
    to the next is written between them.

    Parameters
    ----------
    first_mse : float, default (25/255)**2
        The largest MSE, on the [0, 1] scale (the default is the MSE of
        Gaussian noise of :math:`\sigma = 25`).
    halvings : int, default 6
        How many times the MSE is halved.

    Returns
    -------
    matplotlib.figure.Figure
        The gains are texts whose gid is ``"gain"``.

    Examples
    --------
    >>> fig = plot_psnr_against_mse(halvings=2)
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "gain"]
    ['+3.01 dB', '+3.01 dB']
    """
    first_mse = check_positive_number(first_mse, "first_mse")
    if first_mse > 1:
        raise ValueError(f"first_mse must be at most 1 on the [0, 1] scale, got {first_mse}")
    halvings = check_positive_int(halvings, "halvings")
    errors = first_mse / 2.0 ** np.arange(halvings + 1)
    black = np.zeros((8, 8), dtype=np.float64)
    psnrs = [metrics.psnr(black, np.full_like(black, math.sqrt(e))) for e in errors]
    fig = new_figure(6.4, 3.8)
    ax = fig.add_subplot()
    curve = np.geomspace(errors[-1], errors[0], 200)
    ax.plot(
        curve,
        10 * np.log10(1 / curve),
        color=GRAY,
        linewidth=3,
        alpha=0.6,
        label="10·log10(1 / MSE)",
    )
    ax.plot(errors, psnrs, "o", color=BLUE, label="metrics.psnr")
    for k in range(halvings):
        gain = ax.text(
            math.sqrt(errors[k] * errors[k + 1]),
            (psnrs[k] + psnrs[k + 1]) / 2 + 0.4,
            f"+{psnrs[k + 1] - psnrs[k]:.2f} dB",
            ha="left",
            va="bottom",
            fontsize=8,
            color=INK,
        )
        gain.set_gid("gain")
    ax.set_xscale("log", base=2)
    ax.invert_xaxis()
    ax.set_xticks(errors, [f"{e:.2g}" for e in errors], fontsize=8)
    ax.minorticks_off()
    ax.set_xlabel("MSE on the [0, 1] scale (halved at each step)")
    ax.set_ylabel("PSNR (dB)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="lower right")
    return fig


def _default_momentum(callable_: object) -> float:
    return float(inspect.signature(callable_).parameters["momentum"].default)  # type: ignore[arg-type]


def plot_batch_norm_lag(
    momenta: Sequence[float] | None = None, *, steps: int = 300, mark: Sequence[int] = (100, 240)
) -> Figure:
    r"""Plot how long batch norm's moving mean remembers the start of training.

    A :class:`keras.layers.BatchNormalization` layer starts with a moving mean
    of 0; it is then called in training mode on batches whose mean is 1, as
    a network's statistics move away from their start. After :math:`k` steps
    the moving mean is :math:`1 - m^k`: the weight :math:`m^k` of the start,
    drawn here as measured from the layer, with the formula dashed.

    Parameters
    ----------
    momenta : sequence of float, optional
        Momenta to compare. By default Keras's default (read from
        ``BatchNormalization``'s signature) and the default of
        :func:`deepdenoise.models.dncnn`.
    steps : int, default 300
    mark : sequence of int, default (100, 240)
        Steps at which the first momentum's weight is written out.

    Returns
    -------
    matplotlib.figure.Figure
        Measured lines are labelled ``"momentum <m>..."``.

    Examples
    --------
    >>> fig = plot_batch_norm_lag([0.5], steps=3, mark=[])
    >>> [round(float(v), 3) for v in fig.axes[0].get_lines()[0].get_ydata()]
    [1.0, 0.5, 0.25, 0.125]
    """
    if momenta is None:
        keras_default = _default_momentum(keras.layers.BatchNormalization)
        ours = float(inspect.signature(dncnn).parameters["bn_momentum"].default)
        labelled = {keras_default: "Keras default", ours: "dncnn default"}
    else:
        if not isinstance(momenta, Sequence) or isinstance(momenta, str) or not momenta:
            raise ArgumentTypeError(f"momenta must be a sequence of numbers, got {momenta!r}")
        labelled = {check_fraction(m, f"momenta[{i}]"): "" for i, m in enumerate(momenta)}
    steps = check_positive_int(steps, "steps")
    batch = np.ones((4, 1), dtype=np.float32)
    fig = new_figure(6.4, 3.8)
    ax = fig.add_subplot()
    for index, (momentum, note) in enumerate(labelled.items()):
        layer = keras.layers.BatchNormalization(momentum=momentum)
        layer.build(batch.shape)
        weights = [1.0]
        for _ in range(steps):
            layer(batch, training=True)
            weights.append(1.0 - float(keras.ops.convert_to_numpy(layer.moving_mean)[0]))
        colour = (VERMILION, BLUE, GREEN, ORANGE)[index % 4]
        label = f"momentum {momentum:g}" + (f" ({note})" if note else "")
        ax.plot(np.arange(steps + 1), weights, color=colour, linewidth=2, label=label)
        ax.plot(
            np.arange(steps + 1),
            momentum ** np.arange(steps + 1.0),
            color=INK,
            linestyle=":",
            linewidth=1.0,
        )
        if index == 0:
            for k in mark:
                if 0 < k <= steps:
                    ax.plot(k, weights[k], "o", color=colour)
                    ax.annotate(
                        f"${momentum:g}^{{{k}}}$ = {weights[k]:.2f}",
                        (k, weights[k]),
                        xytext=(8, 6),
                        textcoords="offset points",
                        fontsize=8,
                    )
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 1.5)
    ax.set_xlabel("training step k")
    ax.set_ylabel("weight of the start, mᵏ")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    ax.set_title("Batch norm's moving mean: measured (lines), mᵏ (dotted)", fontsize=10)
    return fig
