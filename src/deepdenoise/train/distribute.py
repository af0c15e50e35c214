"""Data-parallel training over every visible device, on TensorFlow or JAX.

The same recipe runs on one CPU, on several GPUs, or on a TPU: each batch is
split between the devices, each computes the gradient of its share, and the
gradients are averaged before one update, so the result is that of one
device with the whole batch (up to the order of floating-point sums).

- TensorFlow: ``tf.distribute.MirroredStrategy`` over the visible GPUs (or
  several logical CPU devices); the model is built in the strategy's scope.
  TPUs are left out: they need ``TPUStrategy``, which :func:`deepdenoise.train.fit`
  takes from the caller.
- JAX: ``keras.distribution.DataParallel`` over ``jax.devices()`` (GPUs, TPU
  cores or CPU devices); it is set while the model is built and trained,
  then unset.

No TensorFlow is imported on the JAX backend.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import keras

__all__ = ["Parallelism", "data_parallel", "visible_devices"]


def visible_devices() -> list[str]:
    """The devices a data-parallel run would use: accelerators, or else the CPU devices.

    Returns
    -------
    list of str
        Device names as the backend spells them (``"/device:GPU:0"``,
        ``"gpu:0"``, ``"cpu:0"``...). One entry on an ordinary CPU machine.

    Examples
    --------
    >>> len(visible_devices()) >= 1
    True
    """
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return [f"{d.platform}:{d.id}" for d in jax.devices()]
    if backend == "tensorflow":
        import tensorflow as tf

        # Not TPUs: they need TPUStrategy, set up by the caller (see train.fit).
        for kind in ("GPU", "CPU"):
            devices = tf.config.list_logical_devices(kind)
            if devices:
                return [device.name for device in devices]
    return ["cpu:0"]


@dataclass(frozen=True)
class Parallelism:
    """How a run is spread over devices.

    Attributes
    ----------
    devices : list of str
        The devices used (one: no data parallelism).
    strategy : object
        The ``tf.distribute`` strategy on TensorFlow with several devices,
        else None.
    """

    devices: list[str]
    strategy: Any = None

    @property
    def replicas(self) -> int:
        """Number of devices a batch is split between."""
        return len(self.devices)


@contextlib.contextmanager
def data_parallel(enabled: bool = True, *, batch_size: int | None = None) -> Iterator[Parallelism]:
    """Spread training over every visible device while the context is open.

    Parameters
    ----------
    enabled : bool
        False keeps everything on the default device.
    batch_size : int, optional
        The global batch size; with several devices it must be a multiple of
        their number.

    Yields
    ------
    Parallelism
        The devices, and on TensorFlow the strategy to build and compile the
        model in (pass it to :func:`deepdenoise.train.fit`).

    Raises
    ------
    ValueError
        If ``batch_size`` does not divide evenly between the devices.

    Examples
    --------
    >>> with data_parallel(batch_size=8) as parallel:
    ...     parallel.replicas >= 1
    True
    """
    devices = visible_devices() if enabled else visible_devices()[:1]
    if len(devices) > 1 and batch_size is not None and batch_size % len(devices):
        raise ValueError(
            f"batch size {batch_size} must be a multiple of the number of devices "
            f"({len(devices)}: {', '.join(devices)}); set --batch-size"
        )
    if len(devices) == 1:
        yield Parallelism(devices)
        return
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        yield Parallelism(devices, tf.distribute.MirroredStrategy(devices=devices))
        return
    if backend != "jax":
        raise ValueError(f"data-parallel training needs TensorFlow or JAX, not {backend}")
    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(
        keras.distribution.DataParallel(devices=keras.distribution.list_devices())
    )
    try:
        yield Parallelism(devices)
    finally:
        keras.distribution.set_distribution(previous)
