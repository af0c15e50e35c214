r"""Benchmark denoisers on the gray and colour test sets: PSNR, SSIM, speed.

:func:`run_benchmark` scores every combination of denoiser, test set
(Set12, BSD68; CBSD68, McMaster in colour), protocol and noise level and
returns one row per combination; :func:`write_csv` saves the rows,
:func:`read_csv` reads them back, and :func:`to_markdown` prints one table
per test set and protocol with the published numbers of
:mod:`deepdenoise.published` next to the measured ones, labelled "quoted".
Denoisers are named as in :func:`deepdenoise.denoisers.get_denoiser`.

The package has one module per job: :mod:`deepdenoise.bench.protocol` (the
benchmark loop) and :mod:`deepdenoise.bench.report` (CSV and Markdown).

Protocols
---------
Two protocols (:data:`PROTOCOLS`), named in every row. ``"float"``, the
default, is the protocol of the DnCNN/KAIR test scripts and of the published
numbers:

* the clean image ``x`` is a float in [0, 1]; noise is added in float,
  ``y = x + n`` with ``n ~ N(0, (sigma/255)^2)``, and ``y`` is **never
  clipped or quantised**;
* the noise of image number ``i`` (0-based, in the sorted order of the test
  set) comes from ``numpy.random.default_rng(seed + i)``, ``seed=0`` by
  default, so it does not depend on ``max_images``, on the other methods or
  on the order of the runs; the same standard-normal draw is scaled by
  ``sigma / 255`` for every noise level, and every method sees the very same
  noisy image;
* every method is given the true ``sigma`` (non-blind);
* each denoised output is clipped to [0, 1] (in float) and scored against
  ``x`` with PSNR and SSIM at ``data_range=1`` (:mod:`deepdenoise.metrics`);
  the row's value is the mean over the images;
* the ``"noisy"`` row scores the input itself, **unclipped**, so its PSNR is
  the input signal-to-noise ratio, :math:`20 \log_{10}(255/\sigma)` dB in
  expectation (20.17 dB at sigma 25).

KAIR differs in two details that move averages by about 0.01 dB: it seeds
NumPy's legacy generator with ``np.random.seed(0)`` before every image, and
it rounds the output to uint8 before computing PSNR (we clip in float).

``"clipped8"`` takes the very same noisy images and clips them to [0, 1] and
rounds them to multiples of 1/255 (:func:`deepdenoise.noise.quantize`), as a
noisy photo saved to an 8-bit file holds them; everything else is as above,
including the nominal ``sigma`` given to each method (the noise left after
clipping is a little weaker near black and white). Its ``"noisy"`` row
scores that stored input. No published numbers are quoted next to it.

Colour sets (CBSD68, McMaster) are scored in RGB: the noise is independent
in each channel with the same ``sigma``, PSNR is over all three channels
and SSIM the mean of the per-channel values. A gray model must be named
``"<name>/per-channel"`` there (a plain gray model name is an error, so that
no table mixes the two silently); ``"bm3d"`` runs CBM3D.

Deprecated
----------
``get_method``, ``list_methods``, ``Method`` and ``UnknownMethodError`` are
the registry's :func:`~deepdenoise.denoisers.get_denoiser`,
:func:`~deepdenoise.denoisers.list_denoisers`,
:class:`~deepdenoise.denoisers.FunctionDenoiser` and
:class:`~deepdenoise.denoisers.UnknownDenoiserError` under their old names;
they still work for one release and emit a ``DeprecationWarning``.

Examples
--------
>>> from deepdenoise.bench import to_markdown
>>> row = dict(dataset="set12", sigma=25.0, method="noisy", psnr=20.17, ssim=0.3,
...            seconds_per_image=float("nan"), megapixels_per_second=float("nan"),
...            n_images=12, seed=0)
>>> print(to_markdown([row], include_published=False).splitlines()[0])
### set12 (12 images)
"""

from __future__ import annotations

import warnings
from typing import Any

from deepdenoise.bench.protocol import (
    DEFAULT_PROTOCOL,
    FIELDS,
    PROTOCOLS,
    BenchRow,
    noisy_input,
    run_benchmark,
)
from deepdenoise.bench.report import (
    merge_rows,
    read_csv,
    read_speed_table,
    to_markdown,
    write_csv,
)

__all__ = [
    "DEFAULT_PROTOCOL",
    "FIELDS",
    "PROTOCOLS",
    "BenchRow",
    "merge_rows",
    "noisy_input",
    "read_csv",
    "read_speed_table",
    "run_benchmark",
    "to_markdown",
    "write_csv",
]

_DEPRECATED = {
    "get_method": "get_denoiser",
    "list_methods": "list_denoisers",
    "Method": "FunctionDenoiser",
    "UnknownMethodError": "UnknownDenoiserError",
}


def __getattr__(name: str) -> Any:
    """Serve the deprecated registry names of this module, with a ``DeprecationWarning``."""
    if name in _DEPRECATED:
        new = _DEPRECATED[name]
        warnings.warn(
            f"deepdenoise.bench.{name} is deprecated and will be removed in the next release; "
            f"use deepdenoise.denoisers.{new}",
            DeprecationWarning,
            stacklevel=2,
        )
        from deepdenoise import denoisers

        return getattr(denoisers, new)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
