"""Published PSNR results, quoted from the papers (not measured by this package).

Every number here is **quoted**: it was copied from a table of the cited
paper, under the same protocol as :func:`deepdenoise.bench.run_benchmark`
(additive white Gaussian noise of standard deviation ``sigma / 255`` on
[0, 1] images, average PSNR over the test set; for the colour sets CBSD68 and
McMaster the noise is independent in R, G and B and the PSNR is taken over
the three channels). Nothing in this module
was run here. :func:`deepdenoise.bench.to_markdown` prints these rows next to
the measured ones, labelled "quoted".

Citation keys refer to ``book/references.bib``.

Examples
--------
>>> from deepdenoise.published import published_psnr
>>> published_psnr("DnCNN-S", "bsd68", 25)
29.23
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CITATIONS",
    "DATASET_SIZES",
    "PUBLISHED",
    "PublishedResult",
    "published_psnr",
    "published_results",
]

DATASET_SIZES: dict[str, int] = {"set12": 12, "bsd68": 68, "cbsd68": 68, "mcmaster": 18}
"""Number of images over which the quoted averages were taken."""

CITATIONS: dict[str, str] = {
    "zhang2017dncnn": (
        "K. Zhang, W. Zuo, Y. Chen, D. Meng and L. Zhang, 'Beyond a Gaussian denoiser: "
        "residual learning of deep CNN for image denoising', IEEE TIP 26(7), 2017"
    ),
    "dabov2007bm3d": (
        "K. Dabov, A. Foi, V. Katkovnik and K. Egiazarian, 'Image denoising by sparse 3-D "
        "transform-domain collaborative filtering', IEEE TIP 16(8), 2007"
    ),
    "zhang2018ffdnet": (
        "K. Zhang, W. Zuo and L. Zhang, 'FFDNet: toward a fast and flexible solution for "
        "CNN-based image denoising', IEEE TIP 27(9), 2018"
    ),
    "dabov2007cbm3d": (
        "K. Dabov, A. Foi, V. Katkovnik and K. Egiazarian, 'Color image denoising via sparse 3D "
        "collaborative filtering with grouping constraint in luminance-chrominance space', "
        "IEEE ICIP 2007"
    ),
    "zhang2021drunet": (
        "K. Zhang, Y. Li, W. Zuo, L. Zhang, L. Van Gool and R. Timofte, 'Plug-and-play image "
        "restoration with deep denoiser prior', IEEE TPAMI 44(10), 2022 (online 2021)"
    ),
}
"""Citation key -> reference, for every paper quoted below."""

_SHORT = {
    "zhang2017dncnn": "Zhang et al. 2017",
    "dabov2007bm3d": "Dabov et al. 2007",
    "dabov2007cbm3d": "Dabov et al. 2007",
    "zhang2018ffdnet": "Zhang et al. 2018",
    "zhang2021drunet": "Zhang et al. 2022",
}


@dataclass(frozen=True)
class PublishedResult:
    """One quoted average PSNR.

    Attributes
    ----------
    method : str
        The method as named in the paper (``"DnCNN-S"``, ``"BM3D"``...).
    dataset : str
        ``"set12"``, ``"bsd68"`` (gray), ``"cbsd68"`` or ``"mcmaster"`` (colour):
        the names used by :mod:`deepdenoise.data`.
    sigma : float
        Noise standard deviation on the 0-255 scale.
    psnr : float
        Average PSNR in dB over the test set, as printed in the paper.
    citation : str
        Key (in ``book/references.bib``) of the paper the number is quoted from.
    method_citation : str
        Key of the paper that introduced the method (the same as ``citation``
        unless the number comes from another paper's comparison table).

    Examples
    --------
    >>> row = PUBLISHED[0]
    >>> row.label.endswith("(quoted, Zhang et al. 2017)")
    True
    """

    method: str
    dataset: str
    sigma: float
    psnr: float
    citation: str
    method_citation: str

    @property
    def label(self) -> str:
        """The method name marked as quoted, with the short citation, for tables."""
        return f"{self.method} (quoted, {_SHORT[self.citation]})"


def _rows(
    method: str,
    dataset: str,
    psnrs: tuple[float, float, float],
    citation: str,
    method_citation: str | None = None,
) -> list[PublishedResult]:
    return [
        PublishedResult(method, dataset, sigma, value, citation, method_citation or citation)
        for sigma, value in zip((15.0, 25.0, 50.0), psnrs, strict=True)
    ]


PUBLISHED: tuple[PublishedResult, ...] = (
    # DnCNN paper, Table 2 (BSD68) and Table 3 (Set12, average): DnCNN-S, one model per sigma.
    *_rows("DnCNN-S", "bsd68", (31.73, 29.23, 26.23), "zhang2017dncnn"),
    *_rows("DnCNN-S", "set12", (32.86, 30.44, 27.18), "zhang2017dncnn"),
    # BM3D on BSD68 as reported in the DnCNN paper's Table 2 (BM3D's own paper did not use
    # BSD68).
    *_rows("BM3D", "bsd68", (31.07, 28.57, 25.62), "zhang2017dncnn", "dabov2007bm3d"),
    # FFDNet paper, BSD68 table: one model for all sigmas, noise-level map input.
    *_rows("FFDNet", "bsd68", (31.63, 29.19, 26.29), "zhang2018ffdnet"),
    # DRUNet (plug-and-play paper), BSD68 gray denoising table.
    *_rows("DRUNet", "bsd68", (31.91, 29.48, 26.59), "zhang2021drunet"),
    # Colour (CBSD68, McMaster). CBM3D and colour DnCNN (CDnCNN-B) on CBSD68 as reported in the
    # FFDNet paper's colour table, next to FFDNet's own colour model.
    *_rows("CBM3D", "cbsd68", (33.52, 30.71, 27.38), "zhang2018ffdnet", "dabov2007cbm3d"),
    *_rows("CDnCNN-B", "cbsd68", (33.89, 31.23, 27.92), "zhang2018ffdnet", "zhang2017dncnn"),
    *_rows("FFDNet colour", "cbsd68", (33.87, 31.21, 27.96), "zhang2018ffdnet"),
    *_rows("FFDNet colour", "mcmaster", (34.66, 32.35, 29.18), "zhang2018ffdnet"),
    # DRUNet's colour model, plug-and-play paper's colour denoising table.
    *_rows("DRUNet colour", "cbsd68", (34.30, 31.69, 28.51), "zhang2021drunet"),
    *_rows("DRUNet colour", "mcmaster", (35.40, 33.14, 30.08), "zhang2021drunet"),
)
"""Every quoted result; average PSNR (dB) at sigma 15, 25 and 50 (0-255 scale)."""


def published_results(
    *, dataset: str | None = None, sigma: float | None = None
) -> list[PublishedResult]:
    """Return the quoted results, optionally for one dataset and/or noise level.

    Parameters
    ----------
    dataset : str, optional
        ``"set12"`` or ``"bsd68"`` (case-insensitive); all datasets when None.
    sigma : float, optional
        Noise standard deviation on the 0-255 scale; all levels when None.

    Returns
    -------
    list of PublishedResult
        In the order of :data:`PUBLISHED`; empty when nothing was published
        for that dataset and noise level.

    Examples
    --------
    >>> [row.method for row in published_results(dataset="bsd68", sigma=25)]
    ['DnCNN-S', 'BM3D', 'FFDNet', 'DRUNet']
    >>> published_results(dataset="set12", sigma=10)
    []
    """
    key = None if dataset is None else str(dataset).lower()
    return [
        row
        for row in PUBLISHED
        if (key is None or row.dataset == key) and (sigma is None or row.sigma == float(sigma))
    ]


def published_psnr(method: str, dataset: str, sigma: float) -> float:
    """Return one quoted PSNR in dB.

    Parameters
    ----------
    method : str
        A method as named in :data:`PUBLISHED`: ``"DnCNN-S"``, ``"BM3D"``,
        ``"FFDNet"``, ``"DRUNet"``, ``"CBM3D"``, ``"FFDNet colour"``...
        (case-insensitive).
    dataset : str
        ``"set12"``, ``"bsd68"``, ``"cbsd68"`` or ``"mcmaster"``.
    sigma : float
        15, 25 or 50 (0-255 scale).

    Returns
    -------
    float

    Raises
    ------
    KeyError
        If that method, dataset and sigma were not quoted; the message names
        the three arguments.

    Examples
    --------
    >>> published_psnr("bm3d", "BSD68", 50)
    25.62
    >>> published_psnr("FFDNet colour", "cbsd68", 25)
    31.21
    """
    for row in published_results(dataset=dataset, sigma=sigma):
        if row.method.lower() == str(method).lower():
            return row.psnr
    raise KeyError(f"no quoted PSNR for method={method!r}, dataset={dataset!r}, sigma={sigma!r}")
