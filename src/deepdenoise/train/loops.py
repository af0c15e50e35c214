r"""Gradient descent written out with ``tf.GradientTape``.

This is the code of the book's chapter on the mathematics of training. The
blog article it follows calls every gradient-descent variant "SGD" and then
describes a batch method; the three variants differ only in how many samples
give the gradient of one update:

- ``"full"``: all :math:`N` samples (batch gradient descent), one update per
  epoch;
- ``"sgd"``: one sample, in shuffled order (stochastic gradient descent),
  :math:`N` updates per epoch;
- ``"minibatch"``: :math:`B` samples (mini-batch SGD),
  :math:`\lceil N/B \rceil` updates per epoch.

Each update is :math:`\theta \leftarrow \theta - \eta\,\nabla_\theta L`, with
:math:`L` the mean squared error over the samples of the update.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from deepdenoise._checks import (
    ArgumentTypeError,
    as_generator,
    check_positive_int,
    check_positive_number,
)

__all__ = ["METHODS", "TrainingTrace", "gradient_descent"]

METHODS = ("full", "sgd", "minibatch")


@dataclass(frozen=True)
class TrainingTrace:
    """What :func:`gradient_descent` measured, step by step and epoch by epoch.

    Attributes
    ----------
    method : str
        ``"full"``, ``"sgd"`` or ``"minibatch"``.
    step_loss : numpy.ndarray
        MSE of the samples of each update, computed before the update
        (float64, one value per update).
    step_time : numpy.ndarray
        Training wall time in seconds at the end of each update, cumulative
        from the start. Neither the full-data evaluations nor the one-off
        compilation (tracing) of the gradient function are counted.
    step_epoch : numpy.ndarray
        Epoch (0-based) of each update (int64).
    epoch_loss : numpy.ndarray
        MSE over all samples: ``epoch_loss[0]`` with the initial weights,
        ``epoch_loss[k]`` after ``k`` epochs (``epochs + 1`` values).
    epoch_time : numpy.ndarray
        Cumulative training time at the same moments as ``epoch_loss``
        (``epoch_time[0] == 0``).

    Examples
    --------
    >>> trace = TrainingTrace("full", np.array([1.0]), np.array([0.1]), np.array([0]),
    ...                       np.array([1.0, 0.5]), np.array([0.0, 0.1]))
    >>> trace.updates_per_epoch, trace.epochs
    (1, 1)
    """

    method: str
    step_loss: np.ndarray
    step_time: np.ndarray
    step_epoch: np.ndarray
    epoch_loss: np.ndarray
    epoch_time: np.ndarray

    @property
    def epochs(self) -> int:
        """Number of epochs trained."""
        return len(self.epoch_loss) - 1

    @property
    def updates_per_epoch(self) -> int:
        """Number of parameter updates in each epoch."""
        return len(self.step_loss) // max(self.epochs, 1)


def gradient_descent(
    model: keras.Model,
    x: np.ndarray | Sequence[np.ndarray],
    y: np.ndarray,
    *,
    method: str,
    batch_size: int = 32,
    learning_rate: float | None = None,
    epochs: int = 1,
    seed: int | np.random.Generator | None = None,
    optimizer: keras.optimizers.Optimizer | None = None,
    chunk_size: int = 1024,
) -> TrainingTrace:
    r"""Train ``model`` on ``(x, y)`` by full-batch, stochastic or mini-batch descent.

    The weights of ``model`` are updated in place.

    Parameters
    ----------
    model : keras.Model
        The model, trained in place. It is called as ``model(x_batch)``.
    x : numpy.ndarray or sequence of numpy.ndarray
        Inputs, ``N`` samples along the first axis (for a model with several
        inputs, one array per input), for example noisy images in [0, 1].
    y : numpy.ndarray
        Targets, ``N`` samples, for example the clean images.
    method : {"full", "sgd", "minibatch"}
        ``"full"``: one update per epoch from the gradient over all samples;
        ``"sgd"``: one update per sample; ``"minibatch"``: one update per
        ``batch_size`` samples. ``"sgd"`` and ``"minibatch"`` visit the
        samples in a new random order every epoch.
    batch_size : int
        Samples per update for ``"minibatch"`` (the last batch of an epoch may
        be smaller).
    learning_rate : float, optional
        Step size :math:`\eta > 0` of the hand-written update. Required unless
        ``optimizer`` is given.
    epochs : int
        Passes over the data.
    seed : int, numpy.random.Generator or None
        Seed of the shuffling order. The weights are not initialised here:
        seed the model with ``keras.utils.set_random_seed`` for repeatable runs.
    optimizer : keras.optimizers.Optimizer, optional
        Use this optimizer (for example ``keras.optimizers.Adam(1e-3)``)
        instead of the hand-written update, to compare the two. Then
        ``learning_rate`` must be None: the optimizer holds its own.
    chunk_size : int
        Samples per forward pass when the gradient or the loss covers all the
        data; the results do not depend on it, only the memory used does.

    Returns
    -------
    TrainingTrace
        Per-update loss, cumulative wall time and epoch, and per-epoch loss
        over all samples.

    Raises
    ------
    ValueError
        If ``method`` is unknown, ``x`` and ``y`` hold different numbers of
        samples, a count is not a positive integer, or ``learning_rate`` is
        missing, not positive, or given together with ``optimizer``.

    Notes
    -----
    With the mean squared error over a set :math:`S` of samples,

    .. math:: L_S(\theta) = \frac{1}{|S|}\sum_{i \in S} \frac{1}{D}
       \lVert f_\theta(x_i) - y_i \rVert_2^2 ,

    each update is

    .. math:: \theta \leftarrow \theta - \eta\,\nabla_\theta L_S(\theta),

    where :math:`S` is every sample (``"full"``), one sample (``"sgd"``) or
    a batch of :math:`B` samples (``"minibatch"``). ``GradientTape`` computes
    :math:`\nabla_\theta L_S` by reverse-mode automatic differentiation. For
    ``"full"`` the gradient is accumulated over chunks of ``chunk_size``
    samples, weighted by the chunk's share :math:`|C|/N`, which gives exactly
    the gradient over all :math:`N` samples.

    References
    ----------
    .. [1] L. Bottou, F. E. Curtis and J. Nocedal, "Optimization methods for
       large-scale machine learning", SIAM Review 60(2), 2018.
    .. [2] I. Goodfellow, Y. Bengio and A. Courville, *Deep Learning*, MIT
       Press, 2016, section 8.1.3.

    Examples
    --------
    Fit :math:`y = 2x` with one weight:

    >>> keras.utils.set_random_seed(0)
    >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    >>> x = np.linspace(-1, 1, 16, dtype=np.float32)[:, None]
    >>> trace = gradient_descent(model, x, 2 * x, method="minibatch", batch_size=4,
    ...                          learning_rate=0.5, epochs=10, seed=0)
    >>> trace.updates_per_epoch
    4
    >>> bool(trace.epoch_loss[-1] < 1e-3 * trace.epoch_loss[0])
    True
    """
    # Kept whole (about 100 lines): this is the from-scratch loop chapter 3 describes, and
    # its three methods read best side by side, the whole update rule in one place.
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    batch_size = check_positive_int(batch_size, "batch_size")
    epochs = check_positive_int(epochs, "epochs")
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    if optimizer is None:
        learning_rate = _check_learning_rate(learning_rate)
    elif learning_rate is not None:
        raise ValueError(
            "learning_rate must be None when optimizer is given (the optimizer holds its own)"
        )
    inputs, y = _check_data(x, y)
    n = len(y)
    rng = as_generator(seed)

    model(_take(inputs, np.arange(1)))  # create the weights outside tf.function
    weights = model.trainable_variables

    @tf.function(reduce_retracing=True)
    def loss_and_gradients(x_batch, y_batch):
        with tf.GradientTape() as tape:
            loss = mse_loss(y_batch, model(x_batch, training=True))
        grads = tape.gradient(loss, weights)
        # A weight that does not affect the loss gets None: its gradient is zero.
        grads = [tf.zeros_like(w) if g is None else g for w, g in zip(weights, grads, strict=True)]
        return loss, grads

    @tf.function(reduce_retracing=True)
    def predict(x_batch):
        return model(x_batch, training=False)

    def full_gradient():
        """Gradient over all samples, accumulated chunk by chunk."""
        total_loss, total_grads = 0.0, [tf.zeros_like(w) for w in weights]
        for start in range(0, n, chunk_size):
            chunk = np.arange(start, min(start + chunk_size, n))
            loss, grads = loss_and_gradients(_take(inputs, chunk), y[chunk])
            share = len(chunk) / n
            total_loss += share * float(loss)
            total_grads = [t + share * g for t, g in zip(total_grads, grads, strict=True)]
        return total_loss, total_grads

    def full_loss():
        total = 0.0
        for start in range(0, n, chunk_size):
            chunk = np.arange(start, min(start + chunk_size, n))
            total += len(chunk) / n * float(mse_loss(y[chunk], predict(_take(inputs, chunk))))
        return total

    def update(grads):
        if optimizer is not None:
            optimizer.apply_gradients(zip(grads, weights, strict=True))
            return
        for w, grad in zip(weights, grads, strict=True):
            w.assign(w - learning_rate * grad)  # theta <- theta - eta * gradient

    # Compile the gradient function for every batch shape before the clock
    # starts, so that the wall times compare the methods, not the tracing.
    # The state that a training-mode call changes (batch-norm statistics,
    # dropout seeds) is put back afterwards.
    state = [v.numpy() for v in model.variables]
    for size in _batch_sizes(method, n, batch_size, chunk_size):
        loss_and_gradients(_take(inputs, np.arange(size)), y[:size])
    for variable, value in zip(model.variables, state, strict=True):
        variable.assign(value)
    if optimizer is not None and not optimizer.built:
        optimizer.build(weights)

    step_loss: list[float] = []
    step_time: list[float] = []
    step_epoch: list[int] = []
    epoch_loss = [full_loss()]
    epoch_time = [0.0]
    elapsed = 0.0
    for epoch in range(epochs):
        if method == "full":
            batches: list[np.ndarray | None] = [None]
        else:
            size = 1 if method == "sgd" else batch_size
            order = rng.permutation(n)
            batches = [order[start : start + size] for start in range(0, n, size)]
        for batch in batches:
            start_time = time.perf_counter()
            if batch is None:
                loss, grads = full_gradient()
            else:
                loss, grads = loss_and_gradients(_take(inputs, batch), y[batch])
            update(grads)
            elapsed += time.perf_counter() - start_time
            step_loss.append(float(loss))
            step_time.append(elapsed)
            step_epoch.append(epoch)
        epoch_loss.append(full_loss())
        epoch_time.append(elapsed)

    return TrainingTrace(
        method=method,
        step_loss=np.array(step_loss, dtype=np.float64),
        step_time=np.array(step_time, dtype=np.float64),
        step_epoch=np.array(step_epoch, dtype=np.int64),
        epoch_loss=np.array(epoch_loss, dtype=np.float64),
        epoch_time=np.array(epoch_time, dtype=np.float64),
    )


def mse_loss(y_true: Any, y_pred: Any) -> tf.Tensor:
    r"""Mean squared error over every element, as a TensorFlow scalar.

    .. math:: \mathrm{MSE} = \frac{1}{n}\sum_{i=1}^{n} (y_i - \hat y_i)^2

    Examples
    --------
    >>> float(mse_loss(np.zeros(4, np.float32), np.full(4, 0.5, np.float32)))
    0.25
    """
    return tf.reduce_mean(tf.square(tf.cast(y_true, tf.float32) - y_pred))


def _batch_sizes(method: str, n: int, batch_size: int, chunk_size: int) -> set[int]:
    """The distinct numbers of samples that one gradient evaluation will see."""
    size = {"full": chunk_size, "sgd": 1, "minibatch": batch_size}[method]
    sizes = {min(size, n)}
    if n > size and n % size:
        sizes.add(n % size)
    return sizes


def _check_learning_rate(learning_rate: object) -> float:
    if learning_rate is None:
        raise ValueError("learning_rate is required when no optimizer is given")
    return check_positive_number(learning_rate, "learning_rate")


def _check_data(
    x: np.ndarray | Sequence[np.ndarray], y: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """Return the inputs as a list of float32 arrays and ``y`` as float32."""
    arrays = list(x) if isinstance(x, list | tuple) else [x]
    if not arrays:
        raise ValueError("x must hold at least one array")
    inputs = [_as_float_array(a, "x") for a in arrays]
    y = _as_float_array(y, "y")
    for a in inputs:
        if len(a) != len(y):
            raise ValueError(
                f"x and y must hold the same number of samples, got {len(a)} and {len(y)}"
            )
    return inputs, y


def _as_float_array(value: object, name: str) -> np.ndarray:
    array = np.asarray(value)
    if not np.issubdtype(array.dtype, np.number):
        raise ArgumentTypeError(f"{name} must be a numeric array, got dtype {array.dtype}")
    if array.ndim == 0 or len(array) == 0:
        raise ValueError(f"{name} must hold at least one sample, got shape {array.shape}")
    return array.astype(np.float32, copy=False)


def _take(inputs: list[np.ndarray], index: np.ndarray) -> np.ndarray | list[np.ndarray]:
    """The samples ``index`` of every input (a single array for one input)."""
    taken = [a[index] for a in inputs]
    return taken[0] if len(taken) == 1 else taken
