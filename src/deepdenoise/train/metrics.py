r"""Keras metrics for training: :class:`PSNRMetric`, the PSNR in dB during ``fit``.

The NumPy formulas (:func:`deepdenoise.metrics.psnr` and friends) stay in
:mod:`deepdenoise.metrics`, which imports no Keras; the metric that Keras
updates batch by batch lives here, beside the trainer that compiles it
(:func:`deepdenoise.train.fit`). It was ``deepdenoise.metrics.PSNRMetric``
before; that name still works for one release, with a ``DeprecationWarning``.

It is registered for Keras serialisation as ``"deepdenoise>PSNRMetric"``, the
name it has always had, so ``.keras`` files saved with it load again once this
module (or :mod:`deepdenoise.train`) is imported.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from deepdenoise._checks import check_positive_number

__all__ = ["PSNRMetric"]


@keras.saving.register_keras_serializable(package="deepdenoise")
class PSNRMetric(keras.metrics.Metric):
    r"""Keras metric: mean over images of the per-image PSNR, in dB.

    Use it in ``model.compile(metrics=[PSNRMetric()])``. Each image of each
    batch (the first axis) gets its own PSNR, as :func:`deepdenoise.metrics.psnr`
    would give, and the metric reports their mean over every image seen since
    the last reset (an epoch, or one ``evaluate`` call), not the PSNR of the
    mean MSE and not a mean over batches. Written with ``keras.ops`` only, so
    it runs under every Keras backend.

    Parameters
    ----------
    name : str, optional
        Name shown in logs and history, ``"psnr"`` by default.
    data_range : float, optional
        Peak value minus lowest value of the image scale (1 for [0, 1]).
    dtype : str, optional
        dtype of the computation and state (float32 by default).

    Raises
    ------
    TypeError
        If ``data_range`` is not a real number.
    ValueError
        If ``data_range <= 0`` or is not finite.

    Notes
    -----
    For a stream of images :math:`(x_b, \hat x_b)` with weights :math:`s_b`
    (``sample_weight``, 1 by default),

    .. math::

        \mathrm{PSNR} = \frac{1}{\sum_b s_b} \sum_b s_b\,
                        10 \log_{10} \frac{R^2}{\mathrm{MSE}(x_b, \hat x_b)} .

    An image identical to its target has infinite PSNR, and so does the mean.

    Examples
    --------
    >>> import numpy as np
    >>> from deepdenoise.train.metrics import PSNRMetric
    >>> metric = PSNRMetric()
    >>> metric.update_state(np.zeros((2, 4, 4, 1)), np.full((2, 4, 4, 1), 0.1))
    >>> metric.update_state(np.zeros((1, 4, 4, 1)), np.full((1, 4, 4, 1), 0.01))
    >>> round(float(metric.result()), 4)  # (20 + 20 + 40) / 3
    26.6667
    """

    def __init__(
        self, name: str = "psnr", *, data_range: float = 1.0, dtype: str | None = None
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.data_range = check_positive_number(data_range, "data_range")
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Add the per-image PSNR of a batch (first axis = images)."""
        y_true = ops.cast(ops.convert_to_tensor(y_true), self.dtype)
        y_pred = ops.cast(ops.convert_to_tensor(y_pred), self.dtype)
        axes = tuple(range(1, len(y_true.shape)))
        per_image_mse = ops.mean(ops.square(y_true - y_pred), axis=axes)
        values = 10.0 * ops.log10(self.data_range**2 / per_image_mse)
        if sample_weight is None:
            weights = ops.ones_like(values)
        else:
            weights = ops.cast(ops.convert_to_tensor(sample_weight), self.dtype)
            if len(weights.shape) == 0:
                weights = ops.broadcast_to(weights, ops.shape(values))
            else:  # one weight per image; extra axes (per-pixel weights) are averaged
                weights = ops.mean(ops.reshape(weights, (ops.shape(values)[0], -1)), axis=1)
        self.total.assign_add(ops.sum(values * weights))
        self.count.assign_add(ops.sum(weights))

    def result(self) -> Any:
        """Mean PSNR over the images seen (0 before any update)."""
        return ops.divide_no_nan(self.total, self.count)

    def get_config(self) -> dict[str, Any]:
        """Return the config; ``PSNRMetric.from_config`` rebuilds the metric."""
        return {**super().get_config(), "data_range": self.data_range}
