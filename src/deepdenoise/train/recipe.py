"""Training recipes: a TOML file that says how a shipped model was trained.

A recipe has five sections; keys not listed here are errors. Paths are
relative to the recipe file. Sigma is on the 0-255 scale.

.. code-block:: toml

    [model]                 # name, then the builder's keyword arguments
    name = "ffdnet"         # one of deepdenoise.models.list_models()
    depth = 12
    width = 64

    [data]
    source = "train400"     # "train400", "cbsd432" (colour), "dead_leaves" or a folder
    patch_size = 64
    batch_size = 32
    sigma = [0, 75]         # one level, or [low, high] drawn per patch
    noise_map = true        # the model takes a sigma map (FFDNet)
    patches_per_image = 8   # optional, default 8
    augment = true          # optional flips and rotations, default true
    clipped_fraction = 0.5  # optional: share of patches clipped and rounded to 8 bits, default 0
    permute_channels = true # optional, colour only: random order of R, G, B per patch
    saturation = [1, 3]     # optional, colour only: colour differences scaled per patch, default 1
    val_images = 8          # optional: hold out the last N images for validation
    dead_leaves_images = 200  # only with source = "dead_leaves"
    dead_leaves_size = 256    # idem

    [optimizer]             # Adam
    learning_rate = 1e-3
    schedule = "cosine"     # or "constant"

    [train]
    steps = 20000           # a multiple of steps_per_epoch
    steps_per_epoch = 100   # an epoch is also the checkpoint interval
    seed = 0
    early_stopping_patience = 10  # optional

    [output]
    name = "ffdnet"         # name of the weights in the manifest
    description = "..."     # optional
"""

from __future__ import annotations

import inspect
import math
import os
import sys
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from deepdenoise._checks import (
    check_fraction,
    check_non_negative_int,
    check_positive_int,
    check_positive_number,
)
from deepdenoise.data.benchmarks import TRAINING_BENCHMARKS
from deepdenoise.train.fit import SCHEDULES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "TEST_SETS",
    "TRAINING_SETS",
    "DataSection",
    "OptimizerSection",
    "OutputSection",
    "Recipe",
    "TrainSection",
    "list_recipes",
    "load_recipe",
    "recipe_path",
]

#: The recipes of the shipped models, installed with the package.
RECIPES_DIR = Path(__file__).resolve().parents[1] / "recipes"

#: Benchmark sets that must never be trained on.
TEST_SETS = ("set12", "bsd68", "cbsd68", "mcmaster")
#: Named training sets of :func:`deepdenoise.data.benchmark_paths` (gray, colour).
TRAINING_SETS = TRAINING_BENCHMARKS
BUILTIN_SOURCES = (*TRAINING_SETS, "dead_leaves")

_REQUIRED = object()
# section -> key -> kind of value; "model" is checked apart, against the builder.
_KINDS: dict[str, dict[str, str]] = {
    "data": {
        "source": "str",
        "patch_size": "int",
        "batch_size": "int",
        "sigma": "sigma",
        "noise_map": "bool",
        "patches_per_image": "int",
        "augment": "bool",
        "clipped_fraction": "fraction",
        "permute_channels": "bool",
        "saturation": "saturation",
        "val_images": "int0",
        "dead_leaves_images": "int",
        "dead_leaves_size": "int",
    },
    "optimizer": {"learning_rate": "positive", "schedule": "str"},
    "train": {
        "steps": "int",
        "steps_per_epoch": "int",
        "seed": "int0",
        "early_stopping_patience": "int0",
    },
    "output": {"name": "str", "description": "str"},
}


def _schema() -> dict[str, dict[str, tuple[str, Any]]]:
    """section -> key -> (kind, default or _REQUIRED), the defaults from the dataclasses."""
    schema = {}
    for section, kinds in _KINDS.items():
        defaults = {
            f.name: (_REQUIRED if f.default is MISSING else f.default)
            for f in fields(_SECTION_TYPES[section])
        }
        if set(defaults) != set(kinds):
            raise AssertionError(f"[{section}] kinds and dataclass fields differ")
        schema[section] = {key: (kinds[key], defaults[key]) for key in kinds}
    return schema


class _Section:
    """Read access by key as well as by attribute: ``section["sigma"]`` is ``section.sigma``."""

    def __getitem__(self, key: str) -> Any:
        # arg-type: every subclass is a dataclass, which mypy cannot see from the mixin.
        if key not in {f.name for f in fields(self)}:  # type: ignore[arg-type]
            raise KeyError(key)
        return getattr(self, key)


@dataclass(frozen=True)
class DataSection(_Section):
    """``[data]``: where patches come from and how they are corrupted (see the module docs)."""

    source: str
    sigma: float | tuple[float, float]
    patch_size: int = 40
    batch_size: int = 32
    noise_map: bool = False
    patches_per_image: int = 8
    augment: bool = True
    clipped_fraction: float = 0.0
    permute_channels: bool = False
    saturation: float | tuple[float, float] = 1.0
    val_images: int = 0
    dead_leaves_images: int = 200
    dead_leaves_size: int = 256


@dataclass(frozen=True)
class OptimizerSection(_Section):
    """``[optimizer]``: Adam's initial learning rate and its schedule."""

    learning_rate: float = 1e-3
    schedule: str = "cosine"


@dataclass(frozen=True)
class TrainSection(_Section):
    """``[train]``: steps, checkpoint interval (an epoch), seed, early stopping."""

    steps: int
    steps_per_epoch: int = 100
    seed: int = 0
    early_stopping_patience: int | None = None


@dataclass(frozen=True)
class OutputSection(_Section):
    """``[output]``: the name of the weights in the manifest, and a description."""

    name: str
    description: str = ""


_SECTION_TYPES: dict[str, Any] = {  # section name -> its dataclass
    "data": DataSection,
    "optimizer": OptimizerSection,
    "train": TrainSection,
    "output": OutputSection,
}
_SCHEMA = _schema()
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
    data : DataSection
    optimizer : OptimizerSection
    train : TrainSection
    output : OutputSection
        The sections, with defaults filled in. ``data.sigma`` is a float or a
        ``(low, high)`` tuple on the 0-255 scale. Each section also reads by
        key (``data["sigma"]``).
    raw : dict
        The TOML content as read.

    Examples
    --------
    >>> recipe = Recipe(Path("r.toml"), "dncnn", {}, DataSection("train400", 25.0),
    ...                 OptimizerSection(), TrainSection(steps=4, steps_per_epoch=2),
    ...                 OutputSection("tiny"))
    >>> recipe.epochs, recipe.train["seed"]
    (2, 0)
    """

    path: Path
    model: str
    model_kwargs: dict[str, Any]
    data: DataSection
    optimizer: OptimizerSection
    train: TrainSection
    output: OutputSection
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        """Number of epochs: ``steps / steps_per_epoch``."""
        return math.ceil(self.train.steps / self.train.steps_per_epoch)


def list_recipes() -> list[str]:
    """Names of the recipes shipped with the package (one per shipped model).

    Examples
    --------
    >>> "ffdnet" in list_recipes()
    True
    """
    return sorted(path.stem for path in RECIPES_DIR.glob("*.toml"))


def recipe_path(name_or_path: str | os.PathLike[str]) -> Path:
    """The file of a recipe: a shipped recipe's name, or a path to a ``.toml`` file.

    Parameters
    ----------
    name_or_path : str or path-like
        ``"ffdnet"`` (see :func:`list_recipes`), or a file path.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        If it is neither a shipped recipe nor an existing file.

    Examples
    --------
    >>> recipe_path("ffdnet").name
    'ffdnet.toml'
    """
    path = Path(name_or_path)
    if path.is_file():
        return path
    if isinstance(name_or_path, str) and name_or_path in list_recipes():
        return RECIPES_DIR / f"{name_or_path}.toml"
    raise FileNotFoundError(
        f"recipe {str(name_or_path)!r} is neither a file nor a shipped recipe {list_recipes()}"
    )


def load_recipe(path: str | os.PathLike[str]) -> Recipe:
    """Read and validate a TOML training recipe.

    Parameters
    ----------
    path : str or path-like
        The ``.toml`` file, or the name of a shipped recipe
        (:func:`list_recipes`, e.g. ``"ffdnet"``).

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
        key, or the training source is a test set (Set12, BSD68, CBSD68,
        McMaster). The message
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
    path = recipe_path(path)
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
            f"data.source = {source!r} is a test set; {', '.join(TEST_SETS)} are for "
            f"evaluation only, train on one of {list(BUILTIN_SOURCES)} or your own folder"
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
        data=DataSection(**data),
        optimizer=OptimizerSection(**optimizer),
        train=TrainSection(**train),
        output=OutputSection(**sections["output"]),
        raw=raw,
    )


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
    is_real = isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "str":
        if not isinstance(value, str) or not value:
            raise fail(f"{key} must be a non-empty string, got {value!r}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise fail(f"{key} must be true or false, got {value!r}")
        return value
    # Numbers: the package's one set of checks, their message prefixed with the file.
    checks = {
        "int": check_positive_int,
        "int0": check_non_negative_int,
        "fraction": check_fraction,
        "positive": check_positive_number,
    }
    if kind in checks:
        try:
            return checks[kind](value, key)
        except ValueError as error:  # ArgumentTypeError is a ValueError too
            raise fail(str(error)) from None
    if kind == "saturation":
        from deepdenoise.data.sampler import saturation_range

        try:
            low, high = saturation_range(value)
        except ValueError as error:
            raise fail(f"{key}: {error}") from None
        return low if low == high else (low, high)
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
