"""Shipped pretrained weights: weights-only files, each checked by sha256.

The manifest ``deepdenoise/weights/manifest.json`` records, for each name,
the file, its sha256, the architecture and its builder arguments, the Keras
version that wrote it, the training recipe, the number of steps, the wall
time, the machine and the measured results::

    {"models": {"ffdnet": {"file": "ffdnet.weights.h5", "sha256": "...",
                           "architecture": "ffdnet", "config": {"depth": 12, ...}}}}

The files hold the weights only (``model.save_weights``), no optimizer state
and no serialised layer configuration. The package rebuilds the network with
``models.get_model(architecture, **config)`` and loads the weights into it,
so a file written by one Keras 3 release loads in another (a full ``.keras``
file stores layer configs that an older Keras cannot read) and on either
backend, TensorFlow or JAX.

Training code calls :func:`register_weights`; readers call
:func:`load_pretrained`; scripts that update the recorded results use
:func:`read_manifest` and :func:`write_manifest`.
"""

from __future__ import annotations

import json
import os
import platform
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import keras
import numpy as np

from deepdenoise._checks import check_non_negative_int, check_positive_number
from deepdenoise._io import atomic_path, atomic_write, sha256_file

__all__ = [
    "DEFAULT_MANIFEST",
    "WEIGHTS_SUFFIX",
    "describe_machine",
    "list_pretrained",
    "load_pretrained",
    "load_weights_strict",
    "pretrained_entry",
    "read_manifest",
    "register_weights",
    "sha256_file",
    "training_record",
    "write_manifest",
]

DEFAULT_MANIFEST = Path(__file__).resolve().parent / "weights" / "manifest.json"
WEIGHTS_SUFFIX = ".weights.h5"
"""The suffix of a weights-only file, as ``keras.Model.save_weights`` requires it."""
_FILE_MODE = 0o644  # readable by all, like any installed package file
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def read_manifest(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Read a weights manifest (or a results file of the same layout).

    Parameters
    ----------
    path : str or path-like, optional
        The manifest to read; the one shipped with the package
        (:data:`DEFAULT_MANIFEST`) by default.

    Returns
    -------
    dict
        The parsed JSON, an object whose ``"models"`` object maps each name
        to its entry. ``{"models": {}}`` when the file does not exist yet.

    Raises
    ------
    ValueError
        If the file is not valid JSON, or does not hold an object with a
        ``"models"`` object (the message names the file).

    See Also
    --------
    write_manifest : Write it back, atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> read_manifest(folder / "missing.json")
    {'models': {}}
    >>> "models" in read_manifest()
    True
    """
    manifest_path = Path(path) if path is not None else DEFAULT_MANIFEST
    try:
        text = manifest_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {"models": {}}
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"manifest {manifest_path} is not valid JSON: {error}") from error
    if not isinstance(manifest, dict) or not isinstance(manifest.get("models"), dict):
        raise ValueError(f"manifest {manifest_path} must hold an object with a 'models' object")
    return manifest


def write_manifest(
    manifest: Mapping[str, Any], path: str | os.PathLike[str] | None = None
) -> None:
    """Write a weights manifest atomically: to a temporary file, then renamed into place.

    Parameters
    ----------
    manifest : mapping
        An object with a ``"models"`` mapping, as :func:`read_manifest`
        returns it; it must be JSON-serialisable.
    path : str or path-like, optional
        The file to write (its folder is created if needed); the manifest
        shipped with the package (:data:`DEFAULT_MANIFEST`) by default.

    Raises
    ------
    ValueError
        If ``manifest`` is not a mapping with a ``"models"`` mapping.
    TypeError
        If ``manifest`` holds a value that JSON cannot store; the file on
        disk is then left as it was.

    See Also
    --------
    read_manifest : Read it.

    Notes
    -----
    The JSON is written with sorted keys and an indent of 2 into a
    temporary file in the same folder, made readable by all (like any
    installed package file), and renamed over ``path`` with
    :func:`os.replace`. A reader therefore sees the old file or the new
    one, never a half-written file, even if the writer is interrupted.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "weights" / "manifest.json"
    >>> write_manifest({"models": {"tiny": {"results": {"set12_sigma25_psnr": 30.1}}}}, path)
    >>> read_manifest(path)["models"]["tiny"]["results"]
    {'set12_sigma25_psnr': 30.1}
    >>> write_manifest({"tiny": {}}, path)
    Traceback (most recent call last):
    ...
    ValueError: manifest must be a mapping with a 'models' mapping, got {'tiny': {}}
    """
    if not isinstance(manifest, Mapping) or not isinstance(manifest.get("models"), Mapping):
        raise ValueError(f"manifest must be a mapping with a 'models' mapping, got {manifest!r}")
    manifest_path = Path(path) if path is not None else DEFAULT_MANIFEST
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"  # fails before any write
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(manifest_path, text, mode=_FILE_MODE)  # package data: readable by all


def _paths(
    manifest_path: str | os.PathLike[str] | None, weights_dir: str | os.PathLike[str] | None
) -> tuple[Path, Path]:
    manifest = Path(manifest_path) if manifest_path is not None else DEFAULT_MANIFEST
    folder = Path(weights_dir) if weights_dir is not None else manifest.parent
    return manifest, folder


def list_pretrained(*, manifest_path: str | os.PathLike[str] | None = None) -> list[str]:
    """Return the names of the pretrained models in the manifest, sorted.

    Parameters
    ----------
    manifest_path : str or path-like, optional
        The manifest to read; the one shipped with the package by default.

    Returns
    -------
    list of str
        Empty when no weights have been registered yet.

    Raises
    ------
    ValueError
        If the manifest is not valid JSON or lacks its ``models`` object.

    Examples
    --------
    >>> isinstance(list_pretrained(), list)
    True
    """
    manifest, _ = _paths(manifest_path, None)
    return sorted(read_manifest(manifest)["models"])


def pretrained_entry(
    name: str, *, manifest_path: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """Return the manifest entry of one pretrained model (recipe, results...).

    Parameters
    ----------
    name : str
        One of :func:`list_pretrained`.
    manifest_path : str or path-like, optional
        The manifest to read; the one shipped with the package by default.

    Returns
    -------
    dict
        A copy of the entry: ``file``, ``sha256``, ``architecture``,
        ``config`` (the builder arguments), ``info`` (input contract and
        parameter count), ``keras_version``, ``recipe``, ``steps``,
        ``wall_time_s``, ``machine`` and ``results``.

    Raises
    ------
    ValueError
        If ``name`` is not in the manifest (the message lists those that are).

    Examples
    --------
    >>> pretrained_entry("no-such-model")
    Traceback (most recent call last):
    ...
    ValueError: name must be one of the pretrained models [...], got 'no-such-model'
    """
    manifest, _ = _paths(manifest_path, None)
    models = read_manifest(manifest)["models"]
    if name not in models:
        raise ValueError(
            f"name must be one of the pretrained models {sorted(models)}, got {name!r}"
        )
    return json.loads(json.dumps(models[name]))


def training_record(
    name: str, *, manifest_path: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    """Return how a pretrained model was trained, in one shape for every model.

    Two trainers wrote the manifest. ``deepdenoise train`` logs its run under
    ``training`` (the recipe, and the sessions that ran it); the GPU script that
    trained the first shipped models nested the recipe in ``recipe``, with a line
    per stage. This reads either.

    Parameters
    ----------
    name : str
        One of :func:`list_pretrained`.
    manifest_path : str or path-like, optional
        The manifest to read; the one shipped with the package by default.

    Returns
    -------
    dict
        ``trainer`` (what trained it), ``recipe`` (the recipe's tables:
        ``model``, ``data``, ``optimizer``, ``train``, ``output``),
        ``recipe_file`` and ``stages``: one dict per stage with ``steps``,
        ``batch_size``, ``peak_learning_rate``, ``wall_time_s`` and ``init``
        (``None`` from scratch, else the weights it started from).

    Raises
    ------
    ValueError
        If ``name`` is not in the manifest, or its entry holds neither shape.

    Examples
    --------
    >>> record = training_record("ffdnet15")
    >>> record["trainer"], record["recipe"]["model"]["depth"]
    ('deepdenoise train', 15)
    >>> sorted(training_record("dncnn25")["stages"][0])
    ['batch_size', 'init', 'peak_learning_rate', 'steps', 'wall_time_s']
    """
    entry = pretrained_entry(name, manifest_path=manifest_path)
    if isinstance(entry.get("training"), dict):
        run = entry["training"]
        recipe = run["recipe"]
        sessions = run.get("sessions") or [{}]
        stage = {
            "steps": run["steps"],
            "batch_size": run["batch_size"],
            "peak_learning_rate": recipe["optimizer"]["learning_rate"],
            "wall_time_s": run["wall_time_s"],
            "init": sessions[0].get("options", {}).get("init"),
        }
        return {
            "trainer": run["trainer"],
            "recipe": recipe,
            "recipe_file": run["recipe_file"],
            "stages": [stage],
        }
    nested = entry.get("recipe")
    if isinstance(nested, dict) and isinstance(nested.get("recipe"), dict):
        return {
            "trainer": nested["trainer"],
            "recipe": nested["recipe"],
            "recipe_file": nested["recipe_file"],
            "stages": list(nested.get("stages", [])),
        }
    raise ValueError(
        f"the manifest entry of {name!r} records no training run: expected a 'training' "
        "record or a 'recipe' record with its own 'recipe' and 'stages'"
    )


def load_pretrained(
    name: str,
    *,
    manifest_path: str | os.PathLike[str] | None = None,
    weights_dir: str | os.PathLike[str] | None = None,
) -> keras.Model:
    """Rebuild a shipped pretrained model and load its weights, after checking their sha256.

    Parameters
    ----------
    name : str
        One of :func:`list_pretrained`.
    manifest_path : str or path-like, optional
        The manifest to read; the one shipped with the package by default.
    weights_dir : str or path-like, optional
        Folder holding the weights files; the manifest's folder by default.

    Returns
    -------
    keras.Model
        The model, not compiled (ready for ``predict`` and
        :func:`deepdenoise.inference.denoise`; compile it to train further).

    Raises
    ------
    ValueError
        If ``name`` is unknown (the message lists the available names); the
        entry lacks ``file``, ``sha256``, ``architecture`` or ``config``; the
        file's sha256 does not match the manifest (a corrupt, truncated or
        replaced file; the message names the file and both hashes); or the
        installed Keras cannot read the file into the rebuilt network (the
        message names the Keras version that wrote it and the installed one).
    FileNotFoundError
        If the manifest lists a file that is missing.

    Notes
    -----
    The hash is checked before Keras opens the file, so a damaged download
    fails with a clear message rather than an HDF5 error.

    Examples
    --------
    >>> load_pretrained("no-such-model")
    Traceback (most recent call last):
    ...
    ValueError: name must be one of the pretrained models [...], got 'no-such-model'
    """
    from .models import get_model

    manifest, folder = _paths(manifest_path, weights_dir)
    entry = pretrained_entry(name, manifest_path=manifest)
    missing = [key for key in ("file", "sha256", "architecture", "config") if key not in entry]
    if missing:
        raise ValueError(f"manifest {manifest} entry {name!r} must give {missing}")
    path = folder / entry["file"]
    if not path.is_file():
        raise FileNotFoundError(f"weights file {path} for {name!r} is missing")
    actual = sha256_file(path)
    if actual != entry["sha256"]:
        raise ValueError(
            f"weights file {path} is corrupt or truncated: its sha256 {actual} does not match "
            f"the manifest's {entry['sha256']}"
        )
    model = get_model(entry["architecture"], **entry["config"])
    try:
        load_weights_strict(model, path)
    except Exception as error:  # Keras raises many types for a file it cannot read
        saved = entry.get("keras_version", "an unrecorded version")
        raise ValueError(
            f"weights file {path} for {name!r} was written by Keras {saved} and cannot be "
            f"read by the installed Keras {keras.__version__}: {_first_line(error)}. "
            f"Upgrade Keras (pip install -U keras), restart the runtime, and try again."
        ) from error
    return model


def load_weights_strict(model: keras.Model, path: str | os.PathLike[str]) -> None:
    """Load a ``.weights.h5`` file into ``model``, refusing a partial load.

    Keras skips, with at most a warning, the groups of a weights file that
    match no layer, and leaves such layers at their random initial values.
    Here a warning is an error, and the file must hold exactly the model's
    number of values.

    Parameters
    ----------
    model : keras.Model
        A built model.
    path : str or path-like
        A file written by ``model.save_weights``.

    Raises
    ------
    ValueError
        If the file holds a different number of values than ``model``, or
        Keras warns while loading it (a layer that does not match).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from deepdenoise.models import get_model
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.weights.h5"
    >>> get_model("dncnn", depth=2, width=4).save_weights(path)
    >>> load_weights_strict(get_model("dncnn", depth=2, width=4), path)
    >>> load_weights_strict(get_model("dncnn", depth=3, width=4), path)
    Traceback (most recent call last):
    ...
    ValueError: the file holds 77 values where the network has 237
    """
    import warnings

    import h5py

    sizes: list[int] = []

    def count(_: str, item: object) -> None:
        if isinstance(item, h5py.Dataset):
            sizes.append(int(item.size))

    with h5py.File(path, "r") as handle:
        handle.visititems(count)
    stored = sum(sizes)
    expected = sum(int(np.prod(variable.shape)) for variable in model.weights)
    if stored != expected:
        raise ValueError(f"the file holds {stored} values where the network has {expected}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.load_weights(path)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def describe_machine() -> str:
    """Describe this machine in one line (processor, CPU count, OS, accelerators).

    Returns
    -------
    str

    Examples
    --------
    >>> "CPU" in describe_machine()
    True
    """
    parts = [
        platform.processor() or platform.machine() or "unknown processor",
        f"{os.cpu_count()} CPU cores",
        f"{platform.system()} {platform.release()}",
        f"keras {keras.__version__} ({keras.backend.backend()} backend)",
    ]
    accelerators = [d for d in _devices() if not d.lower().startswith("cpu")]
    if accelerators:
        parts.append(f"{len(accelerators)} x {accelerators[0]}")
    return ", ".join(parts)


def _devices() -> list[str]:
    """Devices the Keras backend sees; on JAX with the accelerator's kind (e.g. a GPU model)."""
    if keras.backend.backend() == "jax":
        import jax

        return [f"{d.platform}:{d.device_kind}" for d in jax.devices()]
    try:
        return list(keras.distribution.list_devices())
    except (NotImplementedError, ValueError, RuntimeError):
        return []


def register_weights(
    model: keras.Model | str | os.PathLike[str],
    name: str,
    *,
    config: Mapping[str, Any],
    recipe: str | Mapping[str, Any],
    steps: int,
    wall_time_s: float,
    results: Mapping[str, Any],
    architecture: str | None = None,
    machine: str | None = None,
    training: Mapping[str, Any] | None = None,
    manifest_path: str | os.PathLike[str] | None = None,
    weights_dir: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Write a trained model's weights into the weights folder and record them in the manifest.

    Parameters
    ----------
    model : keras.Model, str or path-like
        The trained model, or a file saved with ``model.save("....keras")``.
    name : str
        The name under which :func:`load_pretrained` will find it (letters,
        digits, ``_``, ``-`` and ``.``); the file becomes
        ``{name}.weights.h5``. An existing entry of that name is replaced.
    config : mapping
        The builder arguments, so that ``get_model(architecture, **config)``
        rebuilds the network (for a recipe, its ``[model]`` table without
        ``name``). The weights are loaded into that rebuilt network before
        anything is written, so a config that does not match is refused.
    recipe : str or mapping
        The training recipe (a TOML path or the recipe itself).
    steps : int
        Number of optimiser steps trained.
    wall_time_s : float
        Training wall time in seconds.
    results : mapping
        Measured results, e.g. ``{"bsd68_sigma25_psnr": 28.9}``; must be
        JSON-serialisable.
    architecture : str, optional
        A name of :func:`deepdenoise.models.list_models`; the model's own
        name (``model.name``) by default.
    machine : str, optional
        Where it was trained; :func:`describe_machine` by default.
    training : mapping, optional
        The trainer's own run log (``deepdenoise train`` writes it: the
        command, backend, devices, batch size, precision, and every session
        of the run), kept in the entry under ``training``.
    manifest_path, weights_dir : str or path-like, optional
        The manifest and the folder of the weights files; the package's own
        by default (``weights_dir`` defaults to the manifest's folder).

    Returns
    -------
    dict
        The manifest entry written, ``sha256`` included.

    Raises
    ------
    ValueError
        If ``name`` has characters other than those above, ``steps`` is
        negative, ``wall_time_s`` is negative, ``results``, ``recipe`` or
        ``config`` is not JSON-serialisable, ``model`` is not a loadable
        ``.keras`` model, or ``architecture`` and ``config`` do not rebuild
        a network with the model's weights.
    FileNotFoundError
        If ``model`` is a path that does not exist.

    Notes
    -----
    Only the weights are written (``save_weights``): no optimizer state and
    no serialised layer configuration, which an older Keras cannot read.
    Both the weights file and the manifest are written to a temporary file
    and renamed into place, so an interrupted run never leaves a half-written
    file that the manifest points to.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from deepdenoise.models import get_model
    >>> manifest = pathlib.Path(tempfile.mkdtemp()) / "weights" / "manifest.json"
    >>> entry = register_weights(get_model("dncnn", depth=2, width=4), "tiny",
    ...     config={"depth": 2, "width": 4}, recipe="demo", steps=0, wall_time_s=0.0,
    ...     results={}, manifest_path=manifest)
    >>> entry["file"], list_pretrained(manifest_path=manifest)
    ('tiny.weights.h5', ['tiny'])
    >>> load_pretrained("tiny", manifest_path=manifest).count_params()
    77
    """
    from .models import get_model, model_info

    if not isinstance(name, str) or not _NAME_PATTERN.match(name):
        raise ValueError(
            f"name must be letters, digits, '_', '-' or '.', starting with a letter or digit, "
            f"got {name!r}"
        )
    steps = check_non_negative_int(steps, "steps")
    wall_time_s = check_positive_number(wall_time_s, "wall_time_s", allow_zero=True)
    if not isinstance(config, Mapping):
        raise ValueError(f"config must be a mapping of builder arguments, got {config!r}")
    try:
        results = json.loads(json.dumps(dict(results)))
        recipe = json.loads(json.dumps(recipe if isinstance(recipe, str) else dict(recipe)))
        config = json.loads(json.dumps(dict(config)))
        training = None if training is None else json.loads(json.dumps(dict(training)))
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"results, recipe and config must be JSON-serialisable: {error}"
        ) from None

    if not isinstance(model, keras.Model):
        source = Path(model)
        if not source.is_file():
            raise FileNotFoundError(f"model {source} does not exist")
        try:
            model = keras.saving.load_model(source, compile=False)
        except Exception as error:
            raise ValueError(f"model {source} is not a loadable .keras model: {error}") from error
    architecture = model.name if architecture is None else architecture
    try:
        rebuilt = get_model(architecture, **config)
        rebuilt.set_weights(model.get_weights())
    except Exception as error:
        raise ValueError(
            f"architecture {architecture!r} with config {config} does not rebuild the model "
            f"{model.name!r}: {_first_line(error)}"
        ) from error

    manifest_file, folder = _paths(manifest_path, weights_dir)
    manifest = read_manifest(manifest_file)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}{WEIGHTS_SUFFIX}"
    with atomic_path(target, suffix=WEIGHTS_SUFFIX, mode=_FILE_MODE) as temporary:
        rebuilt.save_weights(str(temporary))

    entry = {
        "file": target.name,
        "sha256": sha256_file(target),
        "architecture": architecture,
        "config": config,
        "info": {**model_info(rebuilt), "params": int(rebuilt.count_params())},
        "keras_version": keras.__version__,
        "recipe": recipe,
        "steps": steps,
        "wall_time_s": float(wall_time_s),
        "machine": machine if machine is not None else describe_machine(),
        "results": results,
    }
    if training is not None:
        entry["training"] = training
    manifest["models"][name] = entry
    write_manifest(manifest, manifest_file)
    return json.loads(json.dumps(entry))
