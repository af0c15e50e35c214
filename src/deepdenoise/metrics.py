r"""Image quality metrics written from their formulas: MSE, PSNR and SSIM.

The book derives these three metrics, so they are written here in NumPy from
the formulas (and tested against ``tf.image`` and ``skimage.metrics``). This
module imports neither Keras nor TensorFlow. The Keras metric that reports
PSNR during training lives beside the training code, as
:class:`deepdenoise.train.metrics.PSNRMetric`; the old name
``deepdenoise.metrics.PSNRMetric`` still works for one release, with a
``DeprecationWarning``.

Images are float in [0, 1] (``data_range=1``) by convention: gray (H, W) or
channels-last (H, W, C). Metrics are computed in float64.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np

from deepdenoise._checks import check_image, check_positive_number

__all__ = ["mse", "psnr", "ssim"]

# Names that moved out of this module: old name -> (new module, name there).
_MOVED = {"PSNRMetric": ("deepdenoise.train.metrics", "PSNRMetric")}

# SSIM constants of Wang et al. (2004): an 11x11 Gaussian window of standard
# deviation 1.5 and the stabilising constants K1, K2.
SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03


def _check_pair(reference: object, estimate: object) -> tuple[np.ndarray, np.ndarray]:
    """Validate two images of the same shape and return them as float64.

    ``check_image`` validates (and would round to float32); the metrics use the
    full precision of the inputs.
    """
    check_image(reference, "reference", ndims=(2, 3))
    check_image(estimate, "estimate", ndims=(2, 3))
    ref = np.asarray(reference, dtype=np.float64)
    est = np.asarray(estimate, dtype=np.float64)
    if ref.shape != est.shape:
        raise ValueError(
            f"reference and estimate must have the same shape, "
            f"got reference {ref.shape} and estimate {est.shape}"
        )
    return ref, est


def mse(reference: np.ndarray, estimate: np.ndarray) -> float:
    r"""Mean squared error between two images.

    Parameters
    ----------
    reference : numpy.ndarray
        Ground-truth image, (H, W) or (H, W, C), float in [0, 1].
    estimate : numpy.ndarray
        Image to score, same shape as ``reference``.

    Returns
    -------
    float
        The MSE, on the squared scale of the inputs (for [0, 1] images an
        MSE of :math:`(25/255)^2 \approx 0.0096` is noise of ``sigma=25`` on
        the 0-255 scale).

    Raises
    ------
    ValueError
        If the shapes differ (the message names ``reference`` and
        ``estimate``), the rank is not 2 or 3, or an image holds NaN/inf.

    Notes
    -----
    For :math:`N` values,

    .. math::

        \mathrm{MSE}(x, \hat x) = \frac{1}{N} \sum_{i=1}^{N} (x_i - \hat x_i)^2 .

    Examples
    --------
    >>> import numpy as np
    >>> mse(np.zeros((2, 2)), np.full((2, 2), 0.5))
    0.25
    """
    ref, est = _check_pair(reference, estimate)
    return float(np.mean((ref - est) ** 2))


def psnr(reference: np.ndarray, estimate: np.ndarray, *, data_range: float = 1.0) -> float:
    r"""Peak signal-to-noise ratio in decibels.

    Parameters
    ----------
    reference : numpy.ndarray
        Ground-truth image, (H, W) or (H, W, C), float in [0, 1].
    estimate : numpy.ndarray
        Image to score, same shape as ``reference``.
    data_range : float, optional
        Peak value minus lowest value of the image scale: 1 for [0, 1]
        images (the benchmark protocol), 255 for 8-bit values.

    Returns
    -------
    float
        PSNR in dB; ``inf`` when the images are identical.

    Raises
    ------
    ValueError
        If the shapes differ (the message names ``reference`` and
        ``estimate``), the rank is not 2 or 3, an image holds NaN/inf, or
        ``data_range <= 0``.

    Notes
    -----
    With :math:`R` = ``data_range``,

    .. math::

        \mathrm{PSNR}(x, \hat x) = 10 \log_{10} \frac{R^2}{\mathrm{MSE}(x, \hat x)} .

    Unclipped Gaussian noise of level :math:`\sigma` (0-255 scale) has
    :math:`\mathrm{MSE} \approx (\sigma/255)^2`, hence a PSNR of about
    :math:`20 \log_{10}(255/\sigma)`: 20.17 dB at :math:`\sigma = 25`. Each
    halving of the RMSE adds 6.02 dB.

    References
    ----------
    .. [1] Z. Wang, A. C. Bovik, "Mean squared error: Love it or leave it?",
       IEEE Signal Processing Magazine 26(1), 2009.

    Examples
    --------
    >>> import numpy as np
    >>> psnr(np.zeros((4, 4)), np.full((4, 4), 0.1))
    20.0
    >>> psnr(np.ones((4, 4)), np.ones((4, 4)))
    inf
    """
    data_range = check_positive_number(data_range, "data_range")
    error = mse(reference, estimate)
    if error == 0.0:
        return float("inf")
    return float(10.0 * np.log10(data_range**2 / error))


def _gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA) -> np.ndarray:
    """Normalised 1-D Gaussian taps; the 2-D window is their outer product."""
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    taps = np.exp(-(x**2) / (2.0 * sigma**2))
    return taps / taps.sum()


def _filter_valid(image: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Correlate a 2-D image with the separable window, keeping only 'valid' positions."""
    size = taps.size
    rows = np.lib.stride_tricks.sliding_window_view(image, size, axis=0) @ taps
    return np.lib.stride_tricks.sliding_window_view(rows, size, axis=1) @ taps


def _ssim_map(x: np.ndarray, y: np.ndarray, data_range: float) -> np.ndarray:
    """Local SSIM of two 2-D float64 images at every 'valid' window position."""
    taps = _gaussian_window()
    mu_x = _filter_valid(x, taps)
    mu_y = _filter_valid(y, taps)
    # Weighted (population) variances and covariance: E[x^2] - E[x]^2.
    var_x = _filter_valid(x * x, taps) - mu_x**2
    var_y = _filter_valid(y * y, taps) - mu_y**2
    cov_xy = _filter_valid(x * y, taps) - mu_x * mu_y
    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    return ((2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )


def ssim(reference: np.ndarray, estimate: np.ndarray, *, data_range: float = 1.0) -> float:
    r"""Structural similarity index (Wang et al., 2004), mean over the image.

    Parameters
    ----------
    reference : numpy.ndarray
        Ground-truth image, gray (H, W) or channels-last (H, W, C), float in
        [0, 1], with H and W at least 11 (the window size).
    estimate : numpy.ndarray
        Image to score, same shape as ``reference``.
    data_range : float, optional
        Peak value minus lowest value of the image scale (1 for [0, 1]).

    Returns
    -------
    float
        Mean SSIM, at most 1 (for identical images); for several channels the
        mean of the per-channel values.

    Raises
    ------
    ValueError
        If the shapes differ (the message names ``reference`` and
        ``estimate``), an image is smaller than 11x11, has a wrong rank or
        holds NaN/inf, or ``data_range <= 0``.

    Notes
    -----
    Around each pixel, a Gaussian window :math:`w` (11x11, standard deviation
    1.5, weights summing to one) gives local means, variances and covariance

    .. math::

        \mu_x = \sum_j w_j x_j, \quad
        \sigma_x^2 = \sum_j w_j x_j^2 - \mu_x^2, \quad
        \sigma_{xy} = \sum_j w_j x_j y_j - \mu_x \mu_y,

    and the local index

    .. math::

        \mathrm{SSIM}(x, y) = \frac{(2 \mu_x \mu_y + C_1)(2 \sigma_{xy} + C_2)}
                                   {(\mu_x^2 + \mu_y^2 + C_1)(\sigma_x^2 + \sigma_y^2 + C_2)},
        \quad C_1 = (K_1 R)^2,\ C_2 = (K_2 R)^2,

    with :math:`K_1 = 0.01`, :math:`K_2 = 0.03` and :math:`R` = ``data_range``.
    The result is the mean of the local index over the windows that lie fully
    inside the image (no padding). This equals
    ``skimage.metrics.structural_similarity(..., gaussian_weights=True,
    sigma=1.5, use_sample_covariance=False, data_range=R)``, which filters with
    padding and then crops the 5-pixel border, and ``tf.image.ssim`` with its
    defaults, which filters with 'VALID' padding.

    References
    ----------
    .. [1] Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli, "Image quality
       assessment: from error visibility to structural similarity", IEEE TIP
       13(4), 2004.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.linspace(0, 1, 16 * 16).reshape(16, 16)
    >>> ssim(image, image)
    1.0
    >>> bool(ssim(image, image + 0.1 * np.eye(16)) < 1.0)
    True
    """
    data_range = check_positive_number(data_range, "data_range")
    ref, est = _check_pair(reference, estimate)
    if min(ref.shape[:2]) < SSIM_WINDOW:
        raise ValueError(
            f"reference and estimate must be at least {SSIM_WINDOW}x{SSIM_WINDOW} for SSIM "
            f"(its Gaussian window), got shape {ref.shape}"
        )
    if ref.ndim == 2:
        ref, est = ref[..., np.newaxis], est[..., np.newaxis]
    per_channel = [
        _ssim_map(ref[..., c], est[..., c], data_range).mean() for c in range(ref.shape[-1])
    ]
    return float(np.mean(per_channel))


def __getattr__(name: str) -> object:
    """Serve the names that moved elsewhere, with a ``DeprecationWarning``.

    ``deepdenoise.metrics.PSNRMetric`` is now
    :class:`deepdenoise.train.metrics.PSNRMetric`; the old name works for one
    release. Keras (and the training code) is imported only on that first use.

    Parameters
    ----------
    name : str
        The attribute looked up.

    Returns
    -------
    object
        The object under its new home.

    Raises
    ------
    AttributeError
        If ``name`` is not a name of this module.

    Examples
    --------
    >>> import warnings
    >>> import deepdenoise.metrics
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     cls = deepdenoise.metrics.PSNRMetric
    >>> cls.__module__, caught[0].category.__name__
    ('deepdenoise.train.metrics', 'DeprecationWarning')
    """
    if name in _MOVED:
        module, new_name = _MOVED[name]
        warnings.warn(
            f"deepdenoise.metrics.{name} is deprecated and will be removed in the next "
            f"release; import it from its new home: from {module} import {new_name}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(importlib.import_module(module), new_name)
    raise AttributeError(f"module 'deepdenoise.metrics' has no attribute {name!r}")
