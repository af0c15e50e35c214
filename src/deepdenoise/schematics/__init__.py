"""Figures that explain: diagrams drawn from the numbers the code itself uses.

:mod:`deepdenoise.viz` plots results (comparisons, error maps, loss curves);
this package draws what the book explains. Every figure is computed, never
typed in: an architecture diagram reads a Keras model's layer list, the
receptive field is measured by :func:`deepdenoise.inference.estimate_receptive_field`,
tiles are placed by :func:`deepdenoise.inference.tile_layout`, pixel unshuffle
runs :class:`deepdenoise.models.PixelUnshuffle` on a real array, and noise
comes from :mod:`deepdenoise.noise`. The book's pages are rendered from these
functions when the site is built (``book/_ext/chapter_figures.py``).

As in :mod:`deepdenoise.viz`, every function returns a
:class:`matplotlib.figure.Figure` built without pyplot; save one with
``fig.savefig("name.png", dpi=110)``. Shapes that a test reads back carry a
``gid`` (``artist.get_gid()``), documented in each function's Returns.

Modules
-------
networks
    :func:`plot_architecture`, :func:`plot_receptive_field`, :func:`plot_unet`.
operations
    :func:`plot_convolution`, :func:`plot_pixel_unshuffle`,
    :func:`plot_tile_layout`, :func:`plot_blind_spot`.
noise_figures
    :func:`plot_noise_models`, :func:`plot_noise_against_brightness`,
    :func:`plot_residual_learning`, :func:`plot_noisy_psnr`,
    :func:`plot_opponent_channels`.
training
    :func:`plot_descent_paths`, :func:`plot_learning_rates`,
    :func:`plot_psnr_against_mse`, :func:`plot_batch_norm_lag`.

Examples
--------
>>> from deepdenoise.models import dncnn
>>> from deepdenoise.schematics import plot_architecture
>>> fig = plot_architecture(dncnn(depth=4, width=8))
>>> fig.axes[0].get_title()
'dncnn: 4 convolutions, 1,369 weights'
"""

from __future__ import annotations

from .networks import describe_layer, plot_architecture, plot_receptive_field, plot_unet
from .noise_figures import (
    plot_noise_against_brightness,
    plot_noise_models,
    plot_noisy_psnr,
    plot_opponent_channels,
    plot_residual_learning,
)
from .operations import plot_blind_spot, plot_convolution, plot_pixel_unshuffle, plot_tile_layout
from .training import (
    descent_path,
    least_squares_problem,
    plot_batch_norm_lag,
    plot_descent_paths,
    plot_learning_rates,
    plot_psnr_against_mse,
)

__all__ = [
    "descent_path",
    "describe_layer",
    "least_squares_problem",
    "plot_architecture",
    "plot_batch_norm_lag",
    "plot_blind_spot",
    "plot_convolution",
    "plot_descent_paths",
    "plot_learning_rates",
    "plot_noise_against_brightness",
    "plot_noise_models",
    "plot_noisy_psnr",
    "plot_opponent_channels",
    "plot_pixel_unshuffle",
    "plot_psnr_against_mse",
    "plot_receptive_field",
    "plot_residual_learning",
    "plot_tile_layout",
    "plot_unet",
]
