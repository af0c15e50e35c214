"""``deepdenoise train``: train a recipe's model, on TensorFlow or JAX, resumably.

:func:`run_recipe` is the one trainer of the package; every shipped model is
made by it. It reads a recipe (:func:`~deepdenoise.train.load_recipe`), draws
batches with :class:`~deepdenoise.data.PatchSampler` and trains with
:func:`~deepdenoise.train.fit`, which checkpoints every epoch
(``train.steps_per_epoch`` steps). Nothing in this path imports TensorFlow
when Keras runs on JAX.

What differs on an accelerator is given as :class:`TrainOptions`, never by
editing the recipe, and every option is written into the run log
(``run.json``) and, through it, into the weights manifest.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from deepdenoise._checks import check_positive_int, check_positive_number
from deepdenoise._io import atomic_write
from deepdenoise.train.distribute import data_parallel
from deepdenoise.train.fit import STOPPED_FILE, backed_up_epoch, fit, read_history
from deepdenoise.train.recipe import TRAINING_SETS, Recipe, load_recipe

__all__ = ["PRECISIONS", "RUN_FILE", "TrainOptions", "TrainingPlan", "plan_run", "run_recipe"]

RUN_FILE = "run.json"
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
TRAINER = "deepdenoise train"


@dataclass(frozen=True)
class TrainOptions:
    """What may differ between machines running the same recipe.

    Attributes
    ----------
    batch_size : int, optional
        Patches per step instead of ``data.batch_size`` (a GPU takes larger
        batches). A run folder keeps the batch size it started with.
    time_budget_s : float, optional
        Stop at the end of the last epoch that fits in this many seconds of
        this session; the checkpoint is clean and the run goes on when the
        same command runs again.
    precision : {"float32", "mixed_float16", "mixed_bfloat16"}
        Keras dtype policy: mixed precision computes in 16 bits and keeps
        float32 weights (faster on recent GPUs and TPUs).
    data_parallel : bool
        Split every batch between all visible GPUs (on JAX, also TPU cores);
        False uses one device.
    init : str, optional
        Start from these ``.weights.h5`` instead of random weights (a second
        stage at a lower rate, or a TensorFlow/JAX comparison from the same
        start).
    max_steps : int, optional
        Train this many steps (or the recipe's, if fewer): a quick try or a
        test. The schedule then decays over these steps, and the epoch (the
        checkpoint interval) shrinks to a divisor of them when needed.
    workers : int
        Threads that draw batches while the model trains.
    """

    batch_size: int | None = None
    time_budget_s: float | None = None
    precision: str = "float32"
    data_parallel: bool = True
    init: str | os.PathLike[str] | None = None
    max_steps: int | None = None
    workers: int = 1

    def __post_init__(self) -> None:
        # Checked values are plain Python numbers (a NumPy int would not go into run.json).
        for name in ("batch_size", "max_steps"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, check_positive_int(getattr(self, name), name))
        object.__setattr__(self, "workers", check_positive_int(self.workers, "workers"))
        if self.time_budget_s is not None:
            budget = check_positive_number(self.time_budget_s, "time_budget_s")
            object.__setattr__(self, "time_budget_s", budget)
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if self.init is not None:
            if not Path(self.init).is_file():
                raise FileNotFoundError(f"init weights {self.init} do not exist")
            object.__setattr__(self, "init", str(self.init))  # path-like -> str, for run.json


@dataclass
class TrainingPlan:
    """Everything a run is made of, decided before any training step.

    :func:`plan_run` builds it from a recipe and :class:`TrainOptions`;
    :func:`run_recipe` trains it. Each recipe key ends up in one field.

    Attributes
    ----------
    recipe : Recipe
    options : TrainOptions
    workdir : pathlib.Path
    steps, steps_per_epoch, epochs, batch_size : int
    model_name : str
    model_kwargs : dict
    sampler_kwargs : dict
        Arguments of :class:`~deepdenoise.data.PatchSampler` but ``steps``
        and ``start_step`` (which depend on how far the run has come).
    train_images, val_images : list of numpy.ndarray
    learning_rate : float
    schedule : str
    early_stopping_patience : int or None
    seed : int
    """

    recipe: Recipe
    options: TrainOptions
    workdir: Path
    steps: int
    steps_per_epoch: int
    batch_size: int
    model_name: str
    model_kwargs: dict[str, Any]
    sampler_kwargs: dict[str, Any]
    train_images: list[np.ndarray]
    val_images: list[np.ndarray]
    learning_rate: float
    schedule: str
    early_stopping_patience: int | None
    seed: int
    identity: dict[str, Any] = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        """Epochs of the whole run (an epoch is the checkpoint interval)."""
        return math.ceil(self.steps / self.steps_per_epoch)

    def sampler(self, start_step: int = 0) -> Any:
        """The training batches from global step ``start_step`` to the end of the run."""
        from deepdenoise.data.sampler import PatchSampler

        return PatchSampler(
            self.train_images,
            # At least one batch: fit() trains nothing on a finished run, but wants data.
            steps=max(self.epochs * self.steps_per_epoch - start_step, 1),
            start_step=start_step,
            workers=self.options.workers,
            **self.sampler_kwargs,
        )

    def validation(self) -> Any:
        """Fixed noisy validation patches: ``patches_per_image`` from each validation image."""
        from deepdenoise.data.sampler import image_patches

        if not self.val_images:
            return None
        # Validation patches keep their colours, so that runs with and without colour
        # augmentation are validated on the same patches.
        recolouring = ("batch_size", "permute_channels", "saturation")
        kwargs = {k: v for k, v in self.sampler_kwargs.items() if k not in recolouring}
        return image_patches(
            self.val_images, **{**kwargs, "augment": False, "seed": self.seed + 1}
        )


def plan_run(
    path: str | os.PathLike[str],
    *,
    workdir: str | os.PathLike[str] | None = None,
    options: TrainOptions | None = None,
) -> TrainingPlan:
    """Read a recipe and decide the run: data, model, schedule, folder.

    Parameters
    ----------
    path : str or path-like
        The TOML recipe.
    workdir : str or path-like, optional
        The run folder; ``runs/<output.name>`` by default.
    options : TrainOptions, optional

    Returns
    -------
    TrainingPlan

    Raises
    ------
    ValueError
        If the recipe is invalid, the validation images are as many as the
        training images, or ``workdir`` holds a run of another recipe (or of
        another batch size), or a training state without its ``run.json``.
    FileNotFoundError
        If the recipe or its image folder does not exist.

    Examples
    --------
    >>> import tempfile
    >>> plan = plan_run("ffdnet", workdir=tempfile.mkdtemp(), options=TrainOptions(max_steps=200))
    >>> plan.steps, plan.epochs, plan.batch_size, len(plan.train_images), len(plan.val_images)
    (200, 2, 32, 392, 8)
    >>> (noisy, sigma_map), clean = plan.sampler()[0]
    >>> noisy.shape, sigma_map.shape
    ((32, 64, 64, 1), (32, 64, 64, 1))
    """
    options = options or TrainOptions()
    recipe = load_recipe(path)
    data, train = recipe.data, recipe.train
    steps, steps_per_epoch = train.steps, train.steps_per_epoch
    if options.max_steps is not None and options.max_steps < steps:
        steps = options.max_steps
        # Epochs of whole steps: the largest divisor of max_steps up to the recipe's epoch.
        steps_per_epoch = max(
            d for d in range(1, min(steps_per_epoch, steps) + 1) if steps % d == 0
        )
    batch_size = options.batch_size or data.batch_size
    workdir = Path(workdir) if workdir is not None else Path("runs") / recipe.output.name

    channels = int(recipe.model_kwargs.get("channels", _builder_default(recipe.model, "channels")))
    images = _training_images(recipe, channels)
    n_val = data.val_images
    if n_val >= len(images):
        raise ValueError(
            f"recipe {recipe.path}: data.val_images ({n_val}) must be smaller than the "
            f"number of training images ({len(images)})"
        )
    plan = TrainingPlan(
        recipe=recipe,
        options=options,
        workdir=workdir,
        steps=steps,
        steps_per_epoch=steps_per_epoch,
        batch_size=batch_size,
        model_name=recipe.model,
        model_kwargs=dict(recipe.model_kwargs),
        sampler_kwargs={
            "patch_size": data.patch_size,
            "batch_size": batch_size,
            "sigma": data.sigma,
            "noise_map": data.noise_map,
            "patches_per_image": data.patches_per_image,
            "augment": data.augment,
            "clipped_fraction": data.clipped_fraction,
            "permute_channels": data.permute_channels,
            "saturation": data.saturation,
            "seed": train.seed,
        },
        train_images=images[: len(images) - n_val],
        val_images=images[len(images) - n_val :],
        learning_rate=recipe.optimizer.learning_rate,
        schedule=recipe.optimizer.schedule,
        early_stopping_patience=train.early_stopping_patience,
        seed=train.seed,
    )
    plan.identity = _identity(plan)
    _check_run_folder(plan)
    return plan


def run_recipe(
    path: str | os.PathLike[str],
    *,
    workdir: str | os.PathLike[str] | None = None,
    options: TrainOptions | None = None,
    max_steps: int | None = None,
    register: bool = False,
    manifest_path: str | os.PathLike[str] | None = None,
    verbose: int = 0,
) -> tuple[keras.Model, Path]:
    """Train the model a recipe describes; resume if ``workdir`` holds the run.

    Parameters
    ----------
    path : str or path-like
        The TOML recipe (see :func:`~deepdenoise.train.load_recipe`).
    workdir : str or path-like, optional
        Folder of the run, ``runs/<output.name>`` by default. Running the
        same recipe again with the same ``workdir`` resumes an interrupted
        run, or returns a finished one without training. A folder under
        ``training/runs/`` may be committed, so that a long CPU run goes on
        in the next session (``*.keras`` files there are ignored by git; the
        weights and optimizer state in ``backup/`` are what resuming needs).
    options : TrainOptions, optional
        Batch size, time budget, precision, devices, initial weights.
    max_steps : int, optional
        Shortcut for ``TrainOptions(max_steps=...)``.
    register : bool
        Record the final weights in the manifest under ``output.name``
        (:func:`deepdenoise.weights.register_weights`), with the recipe and
        the run log (command, backend, devices, batch size, precision, steps,
        wall time, machine, every session), and the last validation PSNR.
        Refused while the run is unfinished.
    manifest_path : str or path-like, optional
        Manifest to register into; the package's own by default.
    verbose : {0, 1, 2}
        0 silent, 1 Keras' progress bar, 2 one line per epoch.

    Returns
    -------
    model : keras.Model
        The trained model (its weights are float32 whatever the precision).
    workdir : pathlib.Path
        The run folder: ``backup/`` (the state to resume from),
        ``last.keras``, ``best.keras``, ``history.csv`` and ``run.json``.

    Raises
    ------
    ValueError
        If the recipe, an option or the run folder is invalid (see
        :func:`plan_run`), ``data.noise_map`` does not match the model, the
        ``init`` weights do not fit the model, or ``register`` is asked of an
        unfinished run.

    Notes
    -----
    The weights are initialised by ``keras.utils.set_random_seed(seed)``
    (which differs between backends; use ``init`` for the same start). Batch
    ``k`` of the run depends on ``(seed, k)`` only, so a run resumed from its
    last checkpoint trains on the batches an uninterrupted run would.
    Validation images are cut once into a fixed set of noisy patches with
    ``seed + 1``.

    Examples
    --------
    >>> import tempfile
    >>> text = '''
    ... [model]
    ... name = "dncnn"
    ... depth = 2
    ... width = 4
    ... batch_norm = false
    ... [data]
    ... source = "dead_leaves"
    ... dead_leaves_images = 2
    ... dead_leaves_size = 32
    ... patch_size = 16
    ... batch_size = 4
    ... sigma = 25
    ... [train]
    ... steps = 2
    ... steps_per_epoch = 1
    ... [output]
    ... name = "tiny"
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = Path(tmp, "tiny.toml").write_text(text)
    ...     model, workdir = run_recipe(Path(tmp, "tiny.toml"), workdir=Path(tmp, "run"))
    ...     int(model.optimizer.iterations), read_history(workdir)["epoch"].tolist()
    (2, [0.0, 1.0])
    """
    options = options or TrainOptions()
    if max_steps is not None:
        options = TrainOptions(**{**asdict(options), "max_steps": max_steps})
    plan = plan_run(path, workdir=workdir, options=options)
    previous_policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy(options.precision)
    try:
        model = _train(plan, verbose)
    finally:
        keras.config.set_dtype_policy(previous_policy)
    if register:
        _register(model, plan, manifest_path)
    return model, plan.workdir


def _train(plan: TrainingPlan, verbose: int) -> keras.Model:
    from deepdenoise.models import get_model, model_info

    start_step = backed_up_epoch(plan.workdir) * plan.steps_per_epoch
    log = RunLog(plan, start_step)
    with data_parallel(plan.options.data_parallel, batch_size=plan.batch_size) as parallel:

        def build() -> keras.Model:
            keras.utils.set_random_seed(plan.seed)
            model = get_model(plan.model_name, **plan.model_kwargs)
            if model_info(model)["needs_noise_map"] != plan.sampler_kwargs["noise_map"]:
                raise ValueError(
                    f"recipe {plan.recipe.path}: data.noise_map = "
                    f"{plan.sampler_kwargs['noise_map']} but model {plan.model_name!r} "
                    f"{'takes' if len(model.inputs) > 1 else 'does not take'} a noise-level map"
                )
            if plan.options.init is not None:
                from deepdenoise.weights import load_weights_strict

                try:
                    load_weights_strict(model, plan.options.init)
                except ValueError as error:
                    raise ValueError(
                        f"init weights {plan.options.init} do not fit model {plan.model_name!r} "
                        f"of recipe {plan.recipe.path}: {error}"
                    ) from None
            return model

        log.devices = parallel.devices
        model = fit(
            build if parallel.strategy is not None else build(),
            plan.sampler(start_step),
            val_data=plan.validation(),
            epochs=plan.epochs,
            steps_per_epoch=plan.steps_per_epoch,
            learning_rate=plan.learning_rate,
            schedule=plan.schedule,
            workdir=plan.workdir,
            early_stopping_patience=plan.early_stopping_patience,
            strategy=parallel.strategy,
            callbacks=[log, *_budget(plan.options.time_budget_s)],
            verbose=verbose,
        ).model
    log.end(int(keras.ops.convert_to_numpy(model.optimizer.iterations)))
    return model


class RunLog(keras.callbacks.Callback):
    """Keep ``run.json`` up to date: the recipe, the options, and every session of the run.

    The session is opened when training begins, once the model is built: a
    recipe or ``init`` that fails to build leaves the run folder as it was.

    Parameters
    ----------
    plan : TrainingPlan
    start_step : int
        The global step this session starts from.
    """

    def __init__(self, plan: TrainingPlan, start_step: int = 0) -> None:
        super().__init__()
        self.plan = plan
        self.start_step = start_step
        self.devices: list[str] = []
        self.path = plan.workdir / RUN_FILE
        self.record: dict[str, Any] = {}
        if self.path.is_file():
            self.record = json.loads(self.path.read_text(encoding="utf-8"))
        self.started = time.perf_counter()

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.begin(self.start_step, self.devices)

    def begin(self, start_step: int, devices: list[str]) -> None:
        """Open a session of the run at ``start_step``."""
        from deepdenoise.weights import describe_machine

        plan = self.plan
        sessions = self.record.get("sessions", [])
        sessions.append(
            {
                "start_step": start_step,
                "steps": start_step,
                "wall_time_s": 0.0,
                "backend": keras.backend.backend(),
                "devices": devices,
                "machine": describe_machine(),
                "options": asdict(plan.options),
            }
        )
        self.record = {
            **plan.identity,
            "trainer": TRAINER,
            "recipe_file": str(plan.recipe.path),
            "total_steps": plan.epochs * plan.steps_per_epoch,
            "sessions": sessions,
        }
        self.write(start_step)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.write((epoch + 1) * self.plan.steps_per_epoch)

    def end(self, steps: int) -> None:
        """Close the session after ``steps`` optimizer steps in all."""
        self.write(steps)

    def write(self, steps: int) -> None:
        """Record the steps done and the session's wall time, atomically."""
        session = self.record["sessions"][-1]
        session["steps"] = int(steps)
        session["wall_time_s"] = time.perf_counter() - self.started
        self.record["steps"] = int(steps)
        self.record["wall_time_s"] = sum(s["wall_time_s"] for s in self.record["sessions"])
        stopped_early = (self.plan.workdir / STOPPED_FILE).is_file()
        self.record["finished"] = steps >= self.record["total_steps"] or stopped_early
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, json.dumps(self.record, indent=2, sort_keys=True))


class _TimeBudget(keras.callbacks.Callback):
    """Stop after the last epoch that fits in the budget (seconds since training began)."""

    def __init__(self, budget_s: float) -> None:
        super().__init__()
        self.budget_s = budget_s
        self.started = time.perf_counter()
        self.longest = 0.0
        self.epoch_started = self.started

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.epoch_started)
        if now - self.started + self.longest > self.budget_s:
            self.model.stop_training = True


def _budget(seconds: float | None) -> list[keras.callbacks.Callback]:
    return [] if seconds is None else [_TimeBudget(float(seconds))]


def _identity(plan: TrainingPlan) -> dict[str, Any]:
    """What makes two runs the same run: the recipe (less its description) and batch size."""
    recipe = copy.deepcopy(plan.recipe.raw)
    recipe.get("output", {}).pop("description", None)
    text = json.dumps({"recipe": recipe, "batch_size": plan.batch_size}, sort_keys=True)
    return {
        "recipe": plan.recipe.raw,
        "batch_size": plan.batch_size,
        "steps_planned": plan.steps,
        "identity_sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def _check_run_folder(plan: TrainingPlan) -> None:
    """Refuse a folder that holds another recipe's run, or a state without its log."""
    run_file = plan.workdir / RUN_FILE
    if not run_file.is_file():
        if (plan.workdir / "backup").exists():
            raise ValueError(
                f"run folder {plan.workdir} holds a training state (backup/) but no {RUN_FILE}; "
                "it was not made by deepdenoise train for this recipe: choose another --workdir"
            )
        return
    try:
        previous = json.loads(run_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"run folder {plan.workdir}: {RUN_FILE} is unreadable: {error}") from None
    if previous.get("identity_sha256") == plan.identity["identity_sha256"]:
        return
    differences = _differences(
        {"recipe": previous.get("recipe", {}), "batch_size": previous.get("batch_size")},
        {"recipe": plan.recipe.raw, "batch_size": plan.batch_size},
    )
    raise ValueError(
        f"run folder {plan.workdir} belongs to a different run ({previous.get('recipe_file')}): "
        f"{'; '.join(differences[:3]) or 'the recipe differs'}. Use another --workdir, "
        "or the same recipe and batch size"
    )


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(set(old) | set(new)):
            if prefix == "recipe.output." and key == "description":
                continue
            found += _differences(old.get(key), new.get(key), f"{prefix}{key}.")
        return found
    if old != new:
        return [f"{prefix.rstrip('.').removeprefix('recipe.')} was {old!r}, now {new!r}"]
    return []


def _builder_default(model: str, key: str) -> Any:
    import inspect

    from deepdenoise import models

    parameter = inspect.signature(getattr(models, model)).parameters.get(key)
    return 1 if parameter is None else parameter.default


def _training_images(recipe: Recipe, channels: int) -> list[np.ndarray]:
    """The training images (validation ones last), at their stored precision."""
    from deepdenoise.data.sampler import load_training_images

    data = recipe.data
    if data.source == "dead_leaves":
        from deepdenoise.data import dead_leaves

        rng = np.random.default_rng(recipe.train.seed)
        size = (data.dead_leaves_size, data.dead_leaves_size)
        stack = np.stack([dead_leaves(size, seed=rng) for _ in range(data.dead_leaves_images)])
        if channels == 3:
            stack = np.repeat(stack[..., np.newaxis], 3, axis=-1)
        return load_training_images(stack)
    if data.source in TRAINING_SETS:
        from deepdenoise.data import benchmark_paths

        return load_training_images(benchmark_paths(data.source), channels=channels)
    return load_training_images(data.source, channels=channels)


def _register(
    model: keras.Model, plan: TrainingPlan, manifest_path: str | os.PathLike[str] | None
) -> dict[str, Any]:
    """Record the final model of a finished run in the weights manifest."""
    from deepdenoise.weights import register_weights

    run = json.loads((plan.workdir / RUN_FILE).read_text(encoding="utf-8"))
    if not run.get("finished"):
        raise ValueError(
            f"run {plan.workdir} is unfinished ({run['steps']} of {run['total_steps']} steps): "
            "train it to the end before registering it"
        )
    results: dict[str, Any] = {}
    history = read_history(plan.workdir)
    if "val_psnr" in history and np.isfinite(history["val_psnr"]).any():
        results["val_psnr_db"] = float(history["val_psnr"][np.isfinite(history["val_psnr"])][-1])
    return register_weights(
        model,
        plan.recipe.output.name,
        recipe=copy.deepcopy(plan.recipe.raw),
        steps=int(run["steps"]),
        wall_time_s=float(run["wall_time_s"]),
        results=results,
        config=dict(plan.model_kwargs),
        architecture=plan.model_name,
        machine=run["sessions"][-1]["machine"],
        training=run,
        manifest_path=manifest_path,
    )
