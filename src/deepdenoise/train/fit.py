"""Resumable training with ``keras.Model.fit``.

:func:`fit` is the one training entry point of the book. It adds to
``keras.Model.fit`` what a long run on a laptop or in Colab needs: a
validation PSNR, checkpoints that let an interrupted run go on where it
stopped, a CSV history that survives restarts, a learning-rate schedule,
optional early stopping and an optional ``tf.distribute`` strategy.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from deepdenoise._checks import (
    ArgumentTypeError,
    check_non_negative_int,
    check_positive_int,
    check_positive_number,
)
from deepdenoise._io import atomic_write
from deepdenoise.train.metrics import PSNRMetric

__all__ = ["SCHEDULES", "backed_up_epoch", "fit", "make_schedule", "read_history"]

SCHEDULES = ("cosine", "constant")

BACKUP_DIR = "backup"
HISTORY_FILE = "history.csv"
LAST_MODEL = "last.keras"
BEST_MODEL = "best.keras"
STOPPED_FILE = "stopped.json"


def make_schedule(
    learning_rate: float, *, schedule: str = "cosine", total_steps: int | None = None
) -> float | keras.optimizers.schedules.LearningRateSchedule:
    r"""Learning rate, or learning-rate schedule, for the optimizer.

    Parameters
    ----------
    learning_rate : float
        Initial (``"cosine"``) or fixed (``"constant"``) learning rate
        :math:`\eta_0 > 0`.
    schedule : {"cosine", "constant"}
        ``"cosine"`` decays the rate to zero over ``total_steps`` updates;
        ``"constant"`` keeps it fixed.
    total_steps : int, optional
        Number of optimizer updates of the whole run; required for
        ``"cosine"``.

    Returns
    -------
    float or keras.optimizers.schedules.CosineDecay
        What ``keras.optimizers.Adam(learning_rate=...)`` accepts.

    Raises
    ------
    ValueError
        If ``learning_rate`` is not a positive finite number, ``schedule`` is
        unknown, or ``total_steps`` is missing for ``"cosine"``.

    Notes
    -----
    Cosine decay (Loshchilov and Hutter, 2017) without restarts sets, at update
    :math:`t` of :math:`T`,

    .. math:: \eta_t = \frac{\eta_0}{2}\left(1 + \cos\frac{\pi t}{T}\right),

    so it starts at :math:`\eta_0` and ends at 0.

    References
    ----------
    .. [1] I. Loshchilov and F. Hutter, "SGDR: Stochastic gradient descent
       with warm restarts", ICLR 2017.

    Examples
    --------
    >>> lr = make_schedule(1e-3, schedule="cosine", total_steps=100)
    >>> round(float(lr(0)), 6), round(float(lr(50)), 6), round(float(lr(100)), 6)
    (0.001, 0.0005, 0.0)
    >>> make_schedule(1e-3, schedule="constant")
    0.001
    """
    learning_rate = check_positive_number(learning_rate, "learning_rate")
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    if schedule == "constant":
        return learning_rate
    if total_steps is None:
        raise ValueError("total_steps is required when schedule='cosine'")
    total_steps = check_positive_int(total_steps, "total_steps")
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=learning_rate, decay_steps=total_steps, alpha=0.0
    )


def read_history(workdir: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read the per-epoch history that :func:`fit` wrote to ``workdir``.

    Parameters
    ----------
    workdir : str or path-like
        The ``workdir`` given to :func:`fit`.

    Returns
    -------
    dict of str to numpy.ndarray
        One float64 array per column of ``workdir/history.csv`` (``epoch``,
        ``loss``, ``psnr``, ``learning_rate``, ``val_loss``, ...), one value per
        finished epoch, across every resumed run. Missing values ("NA") are NaN.

    Raises
    ------
    FileNotFoundError
        If ``workdir`` holds no ``history.csv``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = Path(tmp, "history.csv").write_text("epoch,loss\\n0,0.5\\n1,0.25\\n")
    ...     read_history(tmp)["loss"]
    array([0.5 , 0.25])
    """
    path = Path(workdir) / HISTORY_FILE
    if not path.is_file():
        raise FileNotFoundError(f"workdir {str(workdir)!r} holds no {HISTORY_FILE}")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = list(rows[0]) if rows else ["epoch"]
    return {key: np.array([_as_float(row.get(key)) for row in rows]) for key in columns}


def fit(
    model: keras.Model | Callable[[], keras.Model],
    train_data: Any,
    *,
    val_data: Any = None,
    epochs: int,
    steps_per_epoch: int,
    learning_rate: float = 1e-3,
    schedule: str = "cosine",
    workdir: str | os.PathLike[str],
    early_stopping_patience: int | None = None,
    strategy: Any = None,
    validation_steps: int | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int = 0,
) -> keras.callbacks.History:
    r"""Train a denoiser with MSE and Adam; resume if ``workdir`` holds a run.

    Parameters
    ----------
    model : keras.Model or callable
        The model to train, already built (functional models are), or a
        zero-argument function that builds it. With a ``strategy`` pass the
        function: the model must be created inside ``strategy.scope()``.
        The model is compiled here (Adam, MSE loss, :class:`PSNRMetric`), so
        any previous compile settings are replaced.
    train_data : tf.data.Dataset or keras.utils.PyDataset
        Batches of ``(noisy, clean)`` or ``((noisy, sigma_map), clean)``,
        images in [0, 1], for example from :func:`deepdenoise.data.patch_dataset`.
        It should repeat (``repeat=True``): each epoch takes ``steps_per_epoch``
        batches from it.
    val_data : tf.data.Dataset or tuple of arrays, optional
        Validation batches, scored at the end of every epoch as ``val_loss``
        and ``val_psnr`` (mean PSNR in dB, data range 1). Give a finite
        dataset, or a repeating one together with ``validation_steps``.
    epochs : int
        Number of epochs of the whole run, counting epochs already done by an
        interrupted run in the same ``workdir``.
    steps_per_epoch : int
        Optimizer updates per epoch.
    learning_rate : float
        Initial Adam learning rate.
    schedule : {"cosine", "constant"}
        ``"cosine"`` decays the learning rate to 0 over
        ``epochs * steps_per_epoch`` updates (see :func:`make_schedule`).
    workdir : str or path-like
        Folder of the run (created if needed). It receives
        ``backup/`` (the state to resume from), ``last.keras`` (the model after
        the latest epoch), ``best.keras`` (the model with the best
        ``val_psnr``, or the lowest training ``loss`` without ``val_data``) and
        ``history.csv`` (one row per finished epoch). Use one ``workdir`` per
        run.
    early_stopping_patience : int, optional
        Stop when ``val_loss`` (or ``loss`` without ``val_data``) has not
        improved for this many epochs. None (the default) never stops early.
    strategy : tf.distribute.Strategy, optional
        Distribute training, for example over GPUs with ``MirroredStrategy``
        or over a Colab TPU with ``TPUStrategy`` (see Notes).
    validation_steps : int, optional
        Number of validation batches per epoch; None uses all of ``val_data``.
    callbacks : sequence of keras.callbacks.Callback
        Extra callbacks. They run after the history row of the epoch is
        written and before the run state is backed up.
    verbose : {0, 1, 2}
        0 (default) trains silently, 1 shows Keras' progress bar, 2 prints one
        line per epoch.

    Returns
    -------
    keras.callbacks.History
        The epochs trained by this call only (empty when ``workdir`` holds a
        finished run). The whole history, across restarts, is in
        ``workdir/history.csv``; read it with :func:`read_history`.

    Raises
    ------
    ValueError
        If an argument is invalid (the message names it), if ``model`` is not
        built, or if a ``strategy`` is given with a model created outside
        ``strategy.scope()``.

    Notes
    -----
    Training minimises the mean squared error of the batch,

    .. math:: L(\theta) = \frac{1}{B\,HWC}\sum_{b=1}^{B}
       \lVert f_\theta(y_b) - x_b \rVert_2^2 ,

    with Adam (Kingma and Ba, 2015), one update per batch, that is mini-batch
    stochastic gradient descent with adaptive steps.

    **Resuming.** At the end of every epoch
    ``keras.callbacks.BackupAndRestore`` saves the weights, the optimizer
    state (Adam moments and the step counter, hence the position in the
    learning-rate schedule) and the epoch number in ``workdir/backup``. If the
    process dies, call :func:`fit` again with the same arguments: it restores
    that state and trains the remaining epochs only (the previous epoch's
    state is kept as well, in case the process dies while saving). The backup
    is kept when training ends, so calling :func:`fit` again on a finished run
    restores the final weights and trains nothing; a run stopped early stays stopped (see
    ``workdir/stopped.json``). Rows that ``history.csv`` received for an epoch
    that was not backed up are dropped before resuming, so every finished
    epoch appears exactly once. The epoch interrupted by the failure is
    trained again from its start. The data pipeline is not part of the state:
    a resumed run draws new batches, and early stopping counts its patience
    from the restart.

    **Strategies.** Variables must be created in the strategy's scope, so pass
    a function that builds the model; :func:`fit` calls it, and compiles,
    inside ``strategy.scope()``. Batches of ``train_data`` are global batches,
    split between the replicas. In Google Colab with a TPU runtime::

        import tensorflow as tf
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        strategy = tf.distribute.TPUStrategy(resolver)
        fit(lambda: get_model("ffdnet"), dataset, epochs=..., steps_per_epoch=...,
            workdir="run", strategy=strategy)

    On a TPU, give ``train_data`` a fixed batch shape
    (``drop_remainder=True``) and a batch size divisible by the number of
    cores (8). Strategies need the TensorFlow backend.

    References
    ----------
    .. [1] D. P. Kingma and J. Ba, "Adam: A method for stochastic
       optimization", ICLR 2015.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> import tensorflow as tf
    >>> inputs = keras.Input((8, 8, 1))
    >>> model = keras.Model(inputs, keras.layers.Conv2D(1, 3, padding="same")(inputs))
    >>> clean = np.random.default_rng(0).random((8, 8, 8, 1), dtype=np.float32)
    >>> data = tf.data.Dataset.from_tensor_slices((clean + 0.1, clean)).batch(4).repeat()
    >>> with tempfile.TemporaryDirectory() as workdir:
    ...     history = fit(model, data, epochs=2, steps_per_epoch=2, workdir=workdir)
    ...     sorted(history.history)
    ['learning_rate', 'loss', 'psnr']
    """
    epochs = check_positive_int(epochs, "epochs")
    steps_per_epoch = check_positive_int(steps_per_epoch, "steps_per_epoch")
    if validation_steps is not None:
        validation_steps = check_positive_int(validation_steps, "validation_steps")
    if early_stopping_patience is not None:
        early_stopping_patience = check_non_negative_int(
            early_stopping_patience, "early_stopping_patience"
        )
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    for callback in callbacks:
        if not isinstance(callback, keras.callbacks.Callback):
            raise ArgumentTypeError(
                f"callbacks must hold keras.callbacks.Callback objects, got {callback!r}"
            )
    lr = make_schedule(learning_rate, schedule=schedule, total_steps=epochs * steps_per_epoch)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)

    model = _build_and_compile(model, lr, strategy)

    # BackupAndRestore stores the next epoch to train; the history keeps the
    # epochs before it only (a row written before a crash is trained again).
    resume_epoch = backed_up_epoch(workdir)
    _truncate_history(workdir / HISTORY_FILE, resume_epoch)
    stopped = _stopped_epoch(workdir)
    if stopped is not None:
        epochs = min(epochs, stopped + 1)
    # Keras keeps the epoch restored by a previous fit() on the model object.
    model._initial_epoch = None

    monitor, mode = ("val_psnr", "max") if val_data is not None else ("loss", "min")
    early_monitor = "val_loss" if val_data is not None else "loss"
    early_stopping = None
    all_callbacks: list[keras.callbacks.Callback] = [
        _LogLearningRate(),
        keras.callbacks.CSVLogger(str(workdir / HISTORY_FILE), append=True),
        keras.callbacks.ModelCheckpoint(str(workdir / LAST_MODEL)),
        keras.callbacks.ModelCheckpoint(
            str(workdir / BEST_MODEL),
            monitor=monitor,
            mode=mode,
            save_best_only=True,
            initial_value_threshold=_best_so_far(workdir / HISTORY_FILE, monitor, mode),
        ),
    ]
    if early_stopping_patience is not None:
        early_stopping = keras.callbacks.EarlyStopping(
            monitor=early_monitor, mode="min", patience=early_stopping_patience
        )
        all_callbacks.append(early_stopping)
    all_callbacks.extend(callbacks)
    # Last, so that the state is saved once everything else is done with the epoch.
    # double_checkpoint keeps the previous state too, for a kill in the middle of a save.
    all_callbacks.append(
        keras.callbacks.BackupAndRestore(
            str(workdir / BACKUP_DIR), double_checkpoint=True, delete_checkpoint=False
        )
    )

    history = model.fit(
        train_data,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        validation_data=val_data,
        validation_steps=validation_steps,
        callbacks=all_callbacks,
        shuffle=False,  # the data pipeline shuffles
        verbose=verbose,
    )
    if early_stopping is not None and early_stopping.stopped_epoch > 0:
        atomic_write(
            workdir / STOPPED_FILE,
            json.dumps({"stopped_epoch": int(early_stopping.stopped_epoch)}),
        )
    return history


class _LogLearningRate(keras.callbacks.Callback):
    """Add the learning rate at the end of each epoch to the epoch logs."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = float(
                keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
            )


def _build_and_compile(
    model: keras.Model | Callable[[], keras.Model], learning_rate: Any, strategy: Any
) -> keras.Model:
    """Build (if given a function) and compile the model, in the strategy scope."""
    if strategy is None:
        built: Any = model() if _is_builder(model) else model
        _check_model(built)
        _compile(built, learning_rate)
        return built
    if not hasattr(strategy, "scope"):
        raise ArgumentTypeError(f"strategy must be a tf.distribute.Strategy, got {strategy!r}")
    with strategy.scope():
        built = model() if _is_builder(model) else model
        _check_model(built)
        outside = [v.path for v in built.weights if not _created_in_scope(strategy, v)]
        if outside:
            raise ValueError(
                "model was created outside strategy.scope() (variable "
                f"{outside[0]!r}); pass a zero-argument function that builds the model"
            )
        _compile(built, learning_rate)
    return built


def _is_builder(model: object) -> bool:
    return callable(model) and not isinstance(model, keras.Model)


def _check_model(model: object) -> None:
    if not isinstance(model, keras.Model):
        raise ArgumentTypeError(
            f"model must be a keras.Model or a function returning one, got {type(model).__name__}"
        )
    if not model.built:
        raise ValueError(
            f"model {model.name!r} is not built; give it a keras.Input or call it on a batch first"
        )


def _created_in_scope(strategy: Any, variable: keras.Variable) -> bool:
    value = getattr(variable, "value", variable)
    return bool(strategy.extended.variable_created_in_scope(value))


def _compile(model: keras.Model, learning_rate: Any) -> None:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="mse",
        metrics=[PSNRMetric(name="psnr")],
    )


def _as_float(text: str | None) -> float:
    try:
        return float(text)  # type: ignore[arg-type]  # None ("NA" cells) raises TypeError
    except (TypeError, ValueError):
        return float("nan")


def backed_up_epoch(workdir: str | os.PathLike[str]) -> int:
    """The epoch a run in ``workdir`` resumes from: 0 for a new run.

    Parameters
    ----------
    workdir : str or path-like
        The ``workdir`` given to :func:`fit`.

    Returns
    -------
    int
        The number of epochs finished and saved in ``workdir/backup``.

    Examples
    --------
    >>> backed_up_epoch("a-folder-that-does-not-exist")
    0
    """
    metadata = Path(workdir) / BACKUP_DIR / "training_metadata.json"
    if not metadata.is_file():
        return 0
    return int(json.loads(metadata.read_text())["epoch"])


def _stopped_epoch(workdir: Path) -> int | None:
    path = workdir / STOPPED_FILE
    if not path.is_file():
        return None
    return int(json.loads(path.read_text())["stopped_epoch"])


def _truncate_history(path: Path, epoch: int) -> None:
    """Keep the rows of epochs ``< epoch`` (atomically); remove the file if none."""
    if not path.is_file():
        return
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        rows = [row for row in reader if row and int(row[0]) < epoch]
    if header is None or not rows:
        path.unlink()
        return
    text = io.StringIO()  # csv ends rows with "\r\n" itself, as in a file opened with newline=""
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    atomic_write(path, text.getvalue())


def _best_so_far(path: Path, monitor: str, mode: str) -> float | None:
    """Best ``monitor`` value of the epochs already in the history, if any."""
    if not path.is_file():
        return None
    values = read_history(path.parent).get(monitor)
    if values is None or not np.isfinite(values).any():
        return None
    finite = values[np.isfinite(values)]
    return float(finite.max() if mode == "max" else finite.min())
