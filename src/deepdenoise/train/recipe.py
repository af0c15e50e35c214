"""Training recipes: a TOML file that says how a shipped model was trained.

A recipe has five sections; keys not listed here are errors. Paths are
relative to the recipe file. Sigma is on the 0-255 scale.

.. code-block:: toml

    [model]                 # name, then the builder's keyword arguments
    name = "ffdnet"         # one of deepdenoise.models.list_models()
    depth = 12
    width = 64

    [data]
    source = "train400"     # "train400", "dead_leaves" or a folder of images
    patch_size = 64
    batch_size = 32
    sigma = [0, 75]         # one level, or [low, high] drawn per patch
    noise_map = true        # the model takes a sigma map (FFDNet)
    patches_per_image = 8   # optional, default 8
    augment = true          # optional flips and rotations, default true
    val_images = 8          # optional: hold out the last N images for validation
    dead_leaves_images = 200  # only with source = "dead_leaves"
    dead_leaves_size = 256    # idem

    [optimizer]             # Adam
    learning_rate = 1e-3
    schedule = "cosine"     # or "constant"

    [train]
    steps = 20000           # a multiple of steps_per_epoch
    steps_per_epoch = 100
    seed = 0
    early_stopping_patience = 10  # optional

    [output]
    name = "ffdnet"         # name of the weights in the manifest
    description = "..."     # optional
"""

from __future__ import annotations

import copy
import inspect
import json
import math
import numbers
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from deepdenoise.train.fit import SCHEDULES, fit, read_history

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["TEST_SETS", "Recipe", "load_recipe", "run_recipe"]

#: Benchmark sets that must never be trained on.
TEST_SETS = ("set12", "bsd68")
BUILTIN_SOURCES = ("train400", "dead_leaves")
RUN_FILE = "run.json"

_REQUIRED = object()
# section -> key -> (accepted type, default or _REQUIRED); "model" is checked apart.
_SCHEMA: dict[str, dict[str, tuple[str, Any]]] = {
    "data": {
        "source": ("str", _REQUIRED),
        "patch_size": ("int", 40),
        "batch_size": ("int", 32),
        "sigma": ("sigma", _REQUIRED),
        "noise_map": ("bool", False),
        "patches_per_image": ("int", 8),
        "augment": ("bool", True),
        "val_images": ("int0", 0),
        "dead_leaves_images": ("int", 200),
        "dead_leaves_size": ("int", 256),
    },
    "optimizer": {
        "learning_rate": ("positive", 1e-3),
        "schedule": ("str", "cosine"),
    },
    "train": {
        "steps": ("int", _REQUIRED),
        "steps_per_epoch": ("int", 100),
        "seed": ("int0", 0),
        "early_stopping_patience": ("int0", None),
    },
    "output": {
        "name": ("str", _REQUIRED),
        "description": ("str", ""),
    },
}
_SECTIONS = ("model", *_SCHEMA)


@dataclass(frozen=True)
class Recipe:
    """A validated training recipe (see the module docstring for the keys).

    Attributes
    ----------
    path : pathlib.Path
        The recipe file.
    model : str
        Model name for :func:`deepdenoise.models.get_model`.
    model_kwargs : dict
        Keyword arguments of the model builder.
    data, optimizer, train, output : dict
        The sections, with defaults filled in. ``data["sigma"]`` is a float
        or a ``(low, high)`` tuple on the 0-255 scale.
    raw : dict
        The TOML content as read.

    Examples
    --------
    >>> recipe = Recipe(Path("r.toml"), "dncnn", {}, {}, {}, {"steps": 4, "steps_per_epoch": 2},
    ...                 {"name": "tiny"})
    >>> recipe.epochs
    2
    """

    path: Path
    model: str
    model_kwargs: dict[str, Any]
    data: dict[str, Any]
    optimizer: dict[str, Any]
    train: dict[str, Any]
    output: dict[str, Any]
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        """Number of epochs: ``steps / steps_per_epoch``."""
        return math.ceil(self.train["steps"] / self.train["steps_per_epoch"])


def load_recipe(path: str | os.PathLike[str]) -> Recipe:
    """Read and validate a TOML training recipe.

    Parameters
    ----------
    path : str or path-like
        The ``.toml`` file.

    Returns
    -------
    Recipe

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not valid TOML, a section or key is unknown or missing,
        a value has the wrong type or range, the model builder does not take a
        key, or the training source is a test set (Set12, BSD68). The message
        names the file and the key.

    Examples
    --------
    >>> import tempfile
    >>> text = '''
    ... [model]
    ... name = "dncnn"
    ... depth = 3
    ... [data]
    ... source = "dead_leaves"
    ... sigma = 25
    ... [train]
    ... steps = 10
    ... steps_per_epoch = 5
    ... [output]
    ... name = "tiny"
    ... '''
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = Path(tmp, "tiny.toml").write_text(text)
    ...     recipe = load_recipe(Path(tmp, "tiny.toml"))
    >>> recipe.model, recipe.model_kwargs, recipe.data["sigma"], recipe.epochs
    ('dncnn', {'depth': 3}, 25.0, 2)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"recipe {path} does not exist")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"recipe {path} is not valid TOML: {error}") from None

    def fail(message: str) -> ValueError:
        return ValueError(f"recipe {path}: {message}")

    for section in raw:
        if section not in _SECTIONS:
            raise fail(f"unknown section [{section}]; expected {list(_SECTIONS)}")
    for section in _SECTIONS:
        if section in ("model", "data", "train", "output") and section not in raw:
            raise fail(f"missing section [{section}]")
        if not isinstance(raw.get(section, {}), dict):
            raise fail(f"[{section}] must be a table")

    model_name, model_kwargs = _check_model_section(raw["model"], fail)
    sections = {name: _check_section(name, raw.get(name, {}), fail) for name in _SCHEMA}
    data, optimizer, train = sections["data"], sections["optimizer"], sections["train"]

    source = data["source"]
    if source.lower() in TEST_SETS or Path(source).name.lower() in TEST_SETS:
        raise fail(
            f"data.source = {source!r} is a test set; Set12 and BSD68 are for "
            "evaluation only, train on train400, dead_leaves or your own folder"
        )
    if source not in BUILTIN_SOURCES:
        folder = (path.parent / source).resolve()
        if not folder.is_dir():
            raise fail(
                f"data.source must be one of {list(BUILTIN_SOURCES)} or a folder, "
                f"got {source!r} ({folder} is not a folder)"
            )
        data["source"] = str(folder)
    if optimizer["schedule"] not in SCHEDULES:
        raise fail(
            f"optimizer.schedule must be one of {list(SCHEDULES)}, got {optimizer['schedule']!r}"
        )
    if train["steps"] % train["steps_per_epoch"]:
        raise fail(
            f"train.steps ({train['steps']}) must be a multiple of "
            f"train.steps_per_epoch ({train['steps_per_epoch']})"
        )
    return Recipe(
        path=path,
        model=model_name,
        model_kwargs=model_kwargs,
        data=data,
        optimizer=optimizer,
        train=train,
        output=sections["output"],
        raw=raw,
    )


def run_recipe(
    path: str | os.PathLike[str],
    *,
    workdir: str | os.PathLike[str] | None = None,
    max_steps: int | None = None,
    register: bool = False,
    manifest_path: str | os.PathLike[str] | None = None,
    verbose: int = 0,
) -> tuple[keras.Model, Path]:
    """Train the model a recipe describes; resume if ``workdir`` holds the run.

    Parameters
    ----------
    path : str or path-like
        The TOML recipe (see :func:`load_recipe`).
    workdir : str or path-like, optional
        Folder of the run, ``runs/<output.name>`` by default. Running the
        same recipe again with the same ``workdir`` resumes an interrupted
        run, or returns a finished one without training (see
        :func:`~deepdenoise.train.fit`).
    max_steps : int, optional
        Train at most this many steps (for a quick try or a test). The
        cosine schedule then decays over these steps, and the step count is
        rounded up to whole epochs.
    register : bool
        Copy the final model into the weights folder and record it in the
        manifest under ``output.name``
        (:func:`deepdenoise.weights.register_weights`), with the recipe, the
        steps, the total wall time, this machine, and the last validation
        PSNR if the recipe holds out validation images.
    manifest_path : str or path-like, optional
        Manifest to register into; the package's own by default.
    verbose : {0, 1, 2}
        Keras progress output, as in :func:`~deepdenoise.train.fit`.

    Returns
    -------
    model : keras.Model
        The trained model.
    workdir : pathlib.Path
        The run folder: ``last.keras``, ``best.keras``, ``history.csv``,
        ``backup/`` and ``run.json`` (recipe, steps done, cumulative wall
        time, machine).

    Raises
    ------
    ValueError
        If the recipe is invalid (see :func:`load_recipe`), ``max_steps`` is
        not a positive integer, or ``data.noise_map`` does not match the
        model's inputs.

    Notes
    -----
    The model weights are initialised with ``keras.utils.set_random_seed(seed)``
    and patches are drawn with the same seed. Validation images (``val_images``)
    are cut into a fixed set of noisy patches once, with ``seed + 1``, so that
    every epoch is scored on the same data.

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
    from deepdenoise.models import get_model, model_info

    recipe = load_recipe(path)
    steps = recipe.train["steps"]
    steps_per_epoch = recipe.train["steps_per_epoch"]
    if max_steps is not None:
        if isinstance(max_steps, bool) or not isinstance(max_steps, numbers.Integral):
            raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}")
        if max_steps <= 0:
            raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}")
        steps = min(steps, int(max_steps))
        steps_per_epoch = min(steps_per_epoch, steps)
    epochs = math.ceil(steps / steps_per_epoch)
    workdir = Path(workdir) if workdir is not None else Path("runs") / recipe.output["name"]
    seed = recipe.train["seed"]

    keras.utils.set_random_seed(seed)
    model = get_model(recipe.model, **recipe.model_kwargs)
    if model_info(model)["needs_noise_map"] != recipe.data["noise_map"]:
        raise ValueError(
            f"recipe {recipe.path}: data.noise_map = {recipe.data['noise_map']} but model "
            f"{recipe.model!r} {'takes' if len(model.inputs) > 1 else 'does not take'} "
            "a noise-level map"
        )
    train_data, val_data = _make_datasets(recipe, model_info(model)["channels"])

    run_log = _RunLog(workdir / RUN_FILE, recipe, steps_per_epoch)
    fit(
        model,
        train_data,
        val_data=val_data,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        learning_rate=recipe.optimizer["learning_rate"],
        schedule=recipe.optimizer["schedule"],
        workdir=workdir,
        early_stopping_patience=recipe.train["early_stopping_patience"],
        callbacks=[run_log],
        verbose=verbose,
    )
    run_log.write(int(keras.ops.convert_to_numpy(model.optimizer.iterations)))

    if register:
        _register(model, recipe, workdir, manifest_path)
    return model, workdir


def _check_model_section(section: Mapping[str, Any], fail: Any) -> tuple[str, dict[str, Any]]:
    """Model name and builder kwargs, checked against the builder's signature."""
    from deepdenoise import models

    name = section.get("name")
    if not isinstance(name, str):
        raise fail(f"model.name must be a string, one of {models.list_models()}, got {name!r}")
    if name not in models.list_models():
        raise fail(f"model.name must be one of {models.list_models()}, got {name!r}")
    parameters = inspect.signature(getattr(models, name)).parameters
    kwargs = {key: value for key, value in section.items() if key != "name"}
    for key, value in kwargs.items():
        if key not in parameters:
            raise fail(
                f"unknown key model.{key} for model {name!r}; expected one of "
                f"{['name', *parameters]}"
            )
        default = parameters[key].default
        if default is not inspect.Parameter.empty and default is not None:
            kwargs[key] = _check_like(value, default, f"model.{key}", fail)
    return name, kwargs


def _check_like(value: Any, default: Any, key: str, fail: Any) -> Any:
    """Check ``value`` has the type of the builder's default; lists become tuples."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, tuple):
        ok = isinstance(value, list)
        value = tuple(value) if ok else value
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise fail(f"{key} must be of type {type(default).__name__}, got {value!r}")
    return value


def _check_section(name: str, section: Mapping[str, Any], fail: Any) -> dict[str, Any]:
    schema = _SCHEMA[name]
    for key in section:
        if key not in schema:
            raise fail(f"unknown key {name}.{key}; expected one of {list(schema)}")
    checked = {}
    for key, (kind, default) in schema.items():
        if key not in section:
            if default is _REQUIRED:
                raise fail(f"missing key {name}.{key}")
            checked[key] = default
            continue
        checked[key] = _check_value(section[key], kind, f"{name}.{key}", fail)
    return checked


def _check_value(value: Any, kind: str, key: str, fail: Any) -> Any:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    is_real = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "str":
        if not isinstance(value, str) or not value:
            raise fail(f"{key} must be a non-empty string, got {value!r}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise fail(f"{key} must be true or false, got {value!r}")
        return value
    if kind == "int":
        if not is_int or value <= 0:
            raise fail(f"{key} must be a positive integer, got {value!r}")
        return value
    if kind == "int0":
        if not is_int or value < 0:
            raise fail(f"{key} must be an integer >= 0, got {value!r}")
        return value
    if kind == "positive":
        if not is_real or not (math.isfinite(value) and value > 0):
            raise fail(f"{key} must be a number > 0, got {value!r}")
        return float(value)
    # kind == "sigma": one level in (0, 255], or [low, high] with 0 <= low < high <= 255
    if is_real:
        if not (0 < value <= 255):
            raise fail(f"{key} must lie in (0, 255] on the 0-255 scale, got {value!r}")
        return float(value)
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        and 0 <= value[0] < value[1] <= 255
    ):
        return (float(value[0]), float(value[1]))
    raise fail(
        f"{key} must be a number in (0, 255] or [low, high] with 0 <= low < high <= 255 "
        f"(0-255 scale), got {value!r}"
    )


def _sources(recipe: Recipe) -> list[Any] | np.ndarray:
    """The training images: a list of paths, or an array for dead leaves."""
    data = recipe.data
    if data["source"] == "train400":
        from deepdenoise.data import benchmark_paths

        return [Path(p) for p in benchmark_paths("train400")]
    if data["source"] == "dead_leaves":
        from deepdenoise.data import dead_leaves

        rng = np.random.default_rng(recipe.train["seed"])
        size = (data["dead_leaves_size"], data["dead_leaves_size"])
        return np.stack([dead_leaves(size, seed=rng) for _ in range(data["dead_leaves_images"])])
    from deepdenoise.data.images import list_image_files

    return list_image_files(data["source"])


def _make_datasets(recipe: Recipe, channels: int) -> tuple[Any, Any]:
    """Training dataset (repeating) and validation dataset (fixed, or None)."""
    import tensorflow as tf

    from deepdenoise.data import patch_dataset

    data, seed = recipe.data, recipe.train["seed"]
    sources = _sources(recipe)
    n_val = data["val_images"]
    if n_val >= len(sources):
        raise ValueError(
            f"recipe {recipe.path}: data.val_images ({n_val}) must be smaller than the "
            f"number of training images ({len(sources)})"
        )
    options = {
        "patch_size": data["patch_size"],
        "batch_size": data["batch_size"],
        "sigma": data["sigma"],
        "noise_map": data["noise_map"],
        "patches_per_image": data["patches_per_image"],
        "channels": channels,
    }
    train_sources = sources[: len(sources) - n_val]
    train = patch_dataset(train_sources, augment=data["augment"], seed=seed, **options)
    if n_val == 0:
        return train, None
    val_stream = patch_dataset(
        sources[len(sources) - n_val :], augment=False, seed=seed + 1, repeat=False, **options
    )
    # Materialise once: every epoch is scored on the same noisy patches.
    batches = list(val_stream.as_numpy_iterator())
    if data["noise_map"]:  # batches of ((noisy, sigma_map), clean)
        inputs: Any = tuple(np.concatenate([b[0][i] for b in batches]) for i in range(2))
    else:
        inputs = np.concatenate([b[0] for b in batches])
    clean = np.concatenate([b[1] for b in batches])
    val = tf.data.Dataset.from_tensor_slices((inputs, clean)).batch(data["batch_size"])
    return train, val


class _RunLog(keras.callbacks.Callback):
    """Keep ``run.json`` up to date: recipe, steps done, cumulative wall time, machine."""

    def __init__(self, path: Path, recipe: Recipe, steps_per_epoch: int) -> None:
        super().__init__()
        self.path = path
        self.recipe = recipe
        self.steps_per_epoch = steps_per_epoch
        self.previous = 0.0
        if path.is_file():
            self.previous = float(json.loads(path.read_text()).get("wall_time_s", 0.0))
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.write((epoch + 1) * self.steps_per_epoch)

    def write(self, steps: int) -> None:
        from deepdenoise.weights import describe_machine

        record = {
            "recipe_file": str(self.recipe.path),
            "recipe": self.recipe.raw,
            "steps": int(steps),
            "wall_time_s": self.previous + time.perf_counter() - self.start,
            "machine": describe_machine(),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True))
        os.replace(tmp, self.path)
        # The next write of this run counts from here.
        self.previous, self.start = record["wall_time_s"], time.perf_counter()


def _register(
    model: keras.Model,
    recipe: Recipe,
    workdir: Path,
    manifest_path: str | os.PathLike[str] | None,
) -> dict[str, Any]:
    """Record the final model of a run in the weights manifest."""
    from deepdenoise.weights import register_weights

    run = json.loads((workdir / RUN_FILE).read_text())
    results: dict[str, Any] = {}
    history = read_history(workdir)
    if "val_psnr" in history and np.isfinite(history["val_psnr"]).any():
        results["val_psnr_db"] = float(history["val_psnr"][np.isfinite(history["val_psnr"])][-1])
    return register_weights(
        model,
        recipe.output["name"],
        recipe=copy.deepcopy(recipe.raw),
        steps=int(run["steps"]),
        wall_time_s=float(run["wall_time_s"]),
        results=results,
        config=dict(recipe.model_kwargs),
        machine=run["machine"],
        manifest_path=manifest_path,
    )
