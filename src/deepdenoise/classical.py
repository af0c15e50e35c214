"""Classical (non-learned) denoisers behind one signature, ``fn(noisy, sigma)``.

Every denoiser here takes a noisy float image in [0, 1], gray ``(H, W)``, or
``(H, W, 1)``, or RGB ``(H, W, 3)``, and the noise level ``sigma`` **on the
0-255 scale** (``sigma=25`` means a standard deviation of 25/255), and returns
a float32 image of the same shape. The parameters of each filter are set from
``sigma`` by the rules given in each docstring; they were calibrated by
average PSNR on crops of Set12 and BSD68 at sigma 5, 15, 25 and 50, and the
tests check that the rule stays close to the best value of a small grid.

So a classical method can stand wherever a trained model stands: in
:func:`deepdenoise.bench.run_benchmark`, in the figures of
:mod:`deepdenoise.viz`, and in the notebooks.

Examples
--------
>>> import numpy as np
>>> from deepdenoise.classical import CLASSICAL_METHODS, get_classical
>>> sorted(CLASSICAL_METHODS)
['bm3d', 'gaussian', 'median', 'nl_means', 'tv', 'wavelet']
>>> noisy = np.random.default_rng(0).uniform(size=(16, 16)).astype(np.float32)
>>> get_classical("tv")(noisy, 25).shape
(16, 16)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pywt
from scipy import ndimage
from skimage.restoration import denoise_nl_means as _sk_nl_means
from skimage.restoration import denoise_tv_chambolle as _sk_tv_chambolle
from skimage.restoration import denoise_wavelet as _sk_wavelet

from deepdenoise._checks import check_image, check_sigma

__all__ = [
    "BM3D_COLOR_SPACES",
    "CLASSICAL_METHODS",
    "denoise_bm3d",
    "denoise_gaussian_filter",
    "denoise_median",
    "denoise_nl_means",
    "denoise_tv",
    "denoise_wavelet",
    "gaussian_filter_width",
    "get_classical",
    "median_size",
    "nl_means_h",
    "tv_weight",
]

Denoiser = Callable[[np.ndarray, float], np.ndarray]


def _prepare(noisy: object, sigma: object) -> tuple[np.ndarray, float, tuple[int, ...]]:
    """Validate the shared arguments; drop a singleton channel axis."""
    image = check_image(noisy, "noisy", ndims=(2, 3), channels=(1, 3))
    value = check_sigma(sigma, "sigma")
    shape = image.shape
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    return image, value, shape


def _finish(result: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Return float32 in the caller's shape."""
    return np.asarray(result, dtype=np.float32).reshape(shape)


def gaussian_filter_width(sigma: float) -> float:
    r"""Width (pixels) of the Gaussian blur used for noise level ``sigma``.

    Parameters
    ----------
    sigma : float
        Noise standard deviation on the 0-255 scale.

    Returns
    -------
    float
        :math:`s = 0.3 + \sigma / 50` pixels.

    Examples
    --------
    >>> gaussian_filter_width(25)
    0.8
    """
    return 0.3 + check_sigma(sigma, "sigma") / 50.0


def denoise_gaussian_filter(noisy: np.ndarray, sigma: float) -> np.ndarray:
    r"""Blur with a Gaussian kernel whose width grows with the noise level.

    Parameters
    ----------
    noisy : numpy.ndarray
        Noisy image in [0, 1], shape (H, W), (H, W, 1) or (H, W, 3).
    sigma : float
        Noise standard deviation on the 0-255 scale.

    Returns
    -------
    numpy.ndarray
        float32 image of the same shape.

    Raises
    ------
    ValueError
        If ``noisy`` has the wrong shape or ``sigma`` is not in (0, 255].

    Notes
    -----
    The image is convolved with
    :math:`g(x, y) = \frac{1}{2\pi s^2} e^{-(x^2 + y^2) / 2 s^2}` of width
    :math:`s = 0.3 + \sigma / 50` pixels (0.6 at :math:`\sigma=15`, 0.8 at 25,
    1.3 at 50), each colour channel separately, with reflected borders.
    Averaging :math:`n` pixels divides the noise variance by :math:`n` but
    also blurs edges; this is the trade-off every later method improves on.

    Examples
    --------
    >>> import numpy as np
    >>> flat = np.full((8, 8), 0.5, dtype=np.float32)
    >>> bool(np.allclose(denoise_gaussian_filter(flat, 25), 0.5))
    True
    """
    image, value, shape = _prepare(noisy, sigma)
    width = gaussian_filter_width(value)
    widths = (width, width) if image.ndim == 2 else (width, width, 0.0)
    return _finish(ndimage.gaussian_filter(image, sigma=widths, mode="reflect"), shape)


def median_size(sigma: float) -> int:
    """Side of the square median window used for noise level ``sigma``.

    Parameters
    ----------
    sigma : float
        Noise standard deviation on the 0-255 scale.

    Returns
    -------
    int
        3 below sigma 35, 5 from 35 on.

    Examples
    --------
    >>> median_size(25), median_size(50)
    (3, 5)
    """
    return 3 if check_sigma(sigma, "sigma") < 35 else 5


def denoise_median(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """Median filter over a square window of 3 or 5 pixels.

    Parameters
    ----------
    noisy : numpy.ndarray
        Noisy image in [0, 1], shape (H, W), (H, W, 1) or (H, W, 3).
    sigma : float
        Noise standard deviation on the 0-255 scale; it picks the window
        (see :func:`median_size`).

    Returns
    -------
    numpy.ndarray
        float32 image of the same shape.

    Raises
    ------
    ValueError
        If ``noisy`` has the wrong shape or ``sigma`` is not in (0, 255].

    Notes
    -----
    The median is the filter for impulse (salt-and-pepper) noise, which it
    removes without blurring edges much. For Gaussian noise it is weaker than
    the Gaussian filter and, at low noise (sigma about 5), even lowers the
    PSNR of the noisy image: it is in the list as a baseline, not as advice.
    Each colour channel is filtered separately, with reflected borders.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((5, 5), dtype=np.float32)
    >>> image[2, 2] = 1.0  # one "salt" pixel
    >>> float(denoise_median(image, 25).max())
    0.0
    """
    image, value, shape = _prepare(noisy, sigma)
    size = median_size(value)
    sizes = (size, size) if image.ndim == 2 else (size, size, 1)
    return _finish(ndimage.median_filter(image, size=sizes, mode="reflect"), shape)


def tv_weight(sigma: float) -> float:
    r"""Weight of the total-variation term used for noise level ``sigma``.

    Parameters
    ----------
    sigma : float
        Noise standard deviation on the 0-255 scale.

    Returns
    -------
    float
        :math:`\lambda = 1.4\,(\sigma / 255)^{1.3}`.

    Examples
    --------
    >>> round(tv_weight(25), 4)
    0.0684
    """
    return 1.4 * (check_sigma(sigma, "sigma") / 255.0) ** 1.3


def denoise_tv(noisy: np.ndarray, sigma: float) -> np.ndarray:
    r"""Total-variation denoising (Chambolle's projection algorithm).

    Parameters
    ----------
    noisy : numpy.ndarray
        Noisy image in [0, 1], shape (H, W), (H, W, 1) or (H, W, 3).
    sigma : float
        Noise standard deviation on the 0-255 scale.

    Returns
    -------
    numpy.ndarray
        float32 image of the same shape.

    Raises
    ------
    ValueError
        If ``noisy`` has the wrong shape or ``sigma`` is not in (0, 255].

    Notes
    -----
    Solves :math:`\min_u \tfrac12\|u - y\|_2^2 + \lambda\,\mathrm{TV}(u)` with
    :func:`skimage.restoration.denoise_tv_chambolle`, where the weight
    :math:`\lambda = 1.4\,(\sigma/255)^{1.3}` (:func:`tv_weight`) was fitted
    to the best weight per noise level: it grows a little faster than
    :math:`\sigma` because stronger noise also calls for a flatter image.
    Colour images are regularised jointly over the channels.

    References
    ----------
    .. [1] A. Chambolle, "An algorithm for total variation minimization and
       applications", J. Math. Imaging Vis. 20 (2004), 89-97.

    Examples
    --------
    >>> import numpy as np
    >>> noisy = np.random.default_rng(0).normal(0.5, 0.1, (32, 32)).astype(np.float32)
    >>> bool(denoise_tv(noisy, 25).std() < noisy.std())
    True
    """
    image, value, shape = _prepare(noisy, sigma)
    channel_axis = None if image.ndim == 2 else -1
    result = _sk_tv_chambolle(image, weight=tv_weight(value), channel_axis=channel_axis)
    return _finish(result, shape)


_WAVELET = "sym8"
_WAVELET_LEVELS = 4


def denoise_wavelet(noisy: np.ndarray, sigma: float) -> np.ndarray:
    r"""Wavelet soft thresholding with BayesShrink thresholds.

    Parameters
    ----------
    noisy : numpy.ndarray
        Noisy image in [0, 1], shape (H, W), (H, W, 1) or (H, W, 3).
    sigma : float
        Noise standard deviation on the 0-255 scale (passed on as
        ``sigma / 255``, so the thresholds use the true noise level instead of
        an estimate).

    Returns
    -------
    numpy.ndarray
        float32 image of the same shape.

    Raises
    ------
    ValueError
        If ``noisy`` has the wrong shape or ``sigma`` is not in (0, 255].

    Notes
    -----
    Uses :func:`skimage.restoration.denoise_wavelet` with the ``sym8`` wavelet
    over 4 levels (fewer when the image is too small). In each detail sub-band
    BayesShrink sets the soft threshold
    :math:`T = \sigma^2 / \sigma_x`, with
    :math:`\sigma_x = \sqrt{\max(\hat\sigma_y^2 - \sigma^2, 0)}` the estimated
    signal deviation of that band. Colour images are denoised in YCbCr.

    References
    ----------
    .. [1] S. G. Chang, B. Yu and M. Vetterli, "Adaptive wavelet thresholding
       for image denoising and compression", IEEE Trans. Image Process. 9
       (2000), 1532-1546.

    Examples
    --------
    >>> import numpy as np
    >>> noisy = np.random.default_rng(0).normal(0.5, 0.1, (32, 32)).astype(np.float32)
    >>> bool(denoise_wavelet(noisy, 25).std() < noisy.std())
    True
    """
    image, value, shape = _prepare(noisy, sigma)
    max_level = pywt.dwtn_max_level(image.shape[:2], _WAVELET)
    levels = max(1, min(_WAVELET_LEVELS, max_level))
    rgb = image.ndim == 3
    result = _sk_wavelet(
        image,
        sigma=value / 255.0,
        wavelet=_WAVELET,
        mode="soft",
        wavelet_levels=levels,
        convert2ycbcr=rgb,
        method="BayesShrink",
        rescale_sigma=True,
        channel_axis=-1 if rgb else None,
    )
    return _finish(result, shape)


def nl_means_h(sigma: float) -> float:
    r"""Filtering parameter ``h`` (on [0, 1]) used for noise level ``sigma``.

    Parameters
    ----------
    sigma : float
        Noise standard deviation on the 0-255 scale.

    Returns
    -------
    float
        :math:`h = 0.8\,\sigma / 255`.

    Examples
    --------
    >>> round(nl_means_h(25), 4)
    0.0784
    """
    return 0.8 * check_sigma(sigma, "sigma") / 255.0


def denoise_nl_means(noisy: np.ndarray, sigma: float) -> np.ndarray:
    r"""Non-local means: average the pixels whose surrounding patches look alike.

    Parameters
    ----------
    noisy : numpy.ndarray
        Noisy image in [0, 1], shape (H, W), (H, W, 1) or (H, W, 3).
    sigma : float
        Noise standard deviation on the 0-255 scale.

    Returns
    -------
    numpy.ndarray
        float32 image of the same shape.

    Raises
    ------
    ValueError
        If ``noisy`` has the wrong shape or ``sigma`` is not in (0, 255].

    Notes
    -----
    Each pixel becomes the weighted mean
    :math:`\hat u(i) = \sum_j w_{ij}\, y(j) / \sum_j w_{ij}` over a
    :math:`13 \times 13` search window (``patch_distance=6``), with weights
    :math:`w_{ij} = \exp(-\max(d_{ij}^2 - 2\sigma^2, 0) / h^2)` from the mean
    squared distance :math:`d_{ij}^2` between the :math:`5 \times 5` patches
    around :math:`i` and :math:`j`. Here :math:`h = 0.8\,\sigma/255`
    (:func:`nl_means_h`), the value scikit-image recommends for its fast mode
    (:func:`skimage.restoration.denoise_nl_means` with ``fast_mode=True``),
    and the known ``sigma`` removes the noise's share of the distance.

    References
    ----------
    .. [1] A. Buades, B. Coll and J.-M. Morel, "A non-local algorithm for image
       denoising", CVPR 2005.

    Examples
    --------
    >>> import numpy as np
    >>> noisy = np.random.default_rng(0).normal(0.5, 0.1, (24, 24)).astype(np.float32)
    >>> bool(denoise_nl_means(noisy, 25).std() < noisy.std())
    True
    """
    image, value, shape = _prepare(noisy, sigma)
    result = _sk_nl_means(
        image,
        h=nl_means_h(value),
        sigma=value / 255.0,
        patch_size=5,
        patch_distance=6,
        fast_mode=True,
        channel_axis=None if image.ndim == 2 else -1,
    )
    return _finish(result, shape)


#: Colour spaces of ``bm3d.bm3d_rgb`` (CBM3D): opponent (its default) or YCbCr.
BM3D_COLOR_SPACES = ("opp", "YCbCr")


def denoise_bm3d(noisy: np.ndarray, sigma: float, *, colorspace: str = "opp") -> np.ndarray:
    r"""BM3D: collaborative filtering of groups of similar blocks; CBM3D for RGB images.

    Needs the optional ``bm3d`` package (``pip install deepdenoise[bm3d]`` or
    ``pip install bm3d``). **Its licence allows only non-commercial use**
    (research, teaching, evaluation); check it before using BM3D in a product.

    Parameters
    ----------
    noisy : numpy.ndarray
        Noisy image in [0, 1], shape (H, W), (H, W, 1) or (H, W, 3).
    sigma : float
        Noise standard deviation on the 0-255 scale (passed on as
        ``sigma_psd = sigma / 255``, the standard deviation on the [0, 1]
        scale of the image, the same in each RGB channel).
    colorspace : {"opp", "YCbCr"}, default "opp"
        For RGB images only: the luminance-chrominance space in which CBM3D
        (``bm3d.bm3d_rgb``) matches blocks and filters, the opponent colour
        space of the reference CBM3D code by default.

    Returns
    -------
    numpy.ndarray
        float32 image of the same shape.

    Raises
    ------
    ImportError
        If the ``bm3d`` package is not installed.
    ValueError
        If ``noisy`` has the wrong shape, ``sigma`` is not in (0, 255] or
        ``colorspace`` is not one of :data:`BM3D_COLOR_SPACES`.

    Notes
    -----
    BM3D groups similar :math:`8 \times 8` blocks into 3-D stacks, shrinks
    their 3-D transform coefficients (hard thresholding, then a Wiener filter
    guided by the first estimate) and averages the overlapping estimates. It
    was the state of the art before learned denoisers and remains the
    classical baseline of the DnCNN paper (28.57 dB on BSD68 at sigma 25).
    Gray images use ``bm3d.bm3d``. RGB images use CBM3D [3]_,
    ``bm3d.bm3d_rgb``: it turns the image into a luminance and two
    chrominance channels, finds the groups of similar blocks on the
    luminance alone, and filters all three channels with those groups
    (the noise, independent in R, G and B, has a known standard deviation in
    each new channel). It takes about 10 s per 512x512 gray image on one
    CPU core, and 30-60 s per 768x512 RGB image.

    References
    ----------
    .. [1] K. Dabov, A. Foi, V. Katkovnik and K. Egiazarian, "Image denoising
       by sparse 3-D transform-domain collaborative filtering", IEEE Trans.
       Image Process. 16 (2007), 2080-2095.
    .. [2] Y. Mäkinen, L. Azzari and A. Foi, "Collaborative filtering of
       correlated noise", IEEE Trans. Image Process. 29 (2020), 8339-8354.
    .. [3] K. Dabov, A. Foi, V. Katkovnik and K. Egiazarian, "Color image
       denoising via sparse 3D collaborative filtering with grouping
       constraint in luminance-chrominance space", ICIP 2007.

    Examples
    --------
    >>> import numpy as np
    >>> noisy = np.random.default_rng(0).normal(0.5, 0.1, (32, 32)).astype(np.float32)
    >>> denoise_bm3d(noisy, 25).dtype
    dtype('float32')
    """
    image, value, shape = _prepare(noisy, sigma)
    if colorspace not in BM3D_COLOR_SPACES:
        raise ValueError(f"colorspace must be one of {BM3D_COLOR_SPACES}, got {colorspace!r}")
    try:
        import bm3d
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "denoise_bm3d needs the optional 'bm3d' package (non-commercial licence): "
            "pip install deepdenoise[bm3d]  or  pip install bm3d"
        ) from error
    if image.ndim == 2:
        result = bm3d.bm3d(image, sigma_psd=value / 255.0)
    else:
        result = bm3d.bm3d_rgb(image, value / 255.0, colorspace=colorspace)
    return _finish(result, shape)


CLASSICAL_METHODS: dict[str, Denoiser] = {
    "gaussian": denoise_gaussian_filter,
    "median": denoise_median,
    "tv": denoise_tv,
    "wavelet": denoise_wavelet,
    "nl_means": denoise_nl_means,
    "bm3d": denoise_bm3d,
}
"""Every classical denoiser by short name; each is ``fn(noisy, sigma) -> image``."""


def get_classical(name: str) -> Denoiser:
    """Return the classical denoiser called ``name``.

    Parameters
    ----------
    name : str
        One of the keys of :data:`CLASSICAL_METHODS`: ``"gaussian"``,
        ``"median"``, ``"tv"``, ``"wavelet"``, ``"nl_means"``, ``"bm3d"``.

    Returns
    -------
    callable
        ``fn(noisy, sigma) -> image`` with ``sigma`` on the 0-255 scale.

    Raises
    ------
    ValueError
        If ``name`` is unknown; the message lists the known names.

    Examples
    --------
    >>> get_classical("median") is denoise_median
    True
    """
    try:
        return CLASSICAL_METHODS[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(CLASSICAL_METHODS))
        raise ValueError(f"name must be one of {known}; got {name!r}") from None
