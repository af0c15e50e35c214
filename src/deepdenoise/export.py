"""Export a denoiser to ONNX, with a JSON sidecar that says how to call it.

:func:`export_onnx` writes, for a model ``NAME``, two files into a folder:

``NAME.onnx``
    The network as an ONNX graph (``keras.Model.export(format="onnx")``,
    which converts with ``tf2onnx``). It takes float32 NHWC inputs with a
    dynamic batch, height and width: ``noisy`` of shape (N, H, W, C), the
    image in [0, 1] (nominal), and for models with a noise-level map also
    ``sigma_map`` of shape (N, H, W, 1) holding sigma/255 (sigma on the
    0-255 scale). Its one output, ``denoised``, has the shape of ``noisy``.
``NAME.json``
    What a caller needs to run it without this package (a browser page with
    onnxruntime-web, a C++ program): the input names, shapes and meaning,
    the output name, the number of channels, whether the model needs the
    noise map, the multiple its height and width must be
    (``size_multiple``: the caller pads to it), its receptive-field radius
    (the overlap that makes tiles seamless), the noise range it was trained
    for, the sha256 of ``NAME.onnx`` and the package version.

Both files are written atomically: an existing one is replaced only once the
new one is complete. Every conversion is run with ``onnxruntime`` on a random
probe and compared with Keras before anything is written. Exporting needs the
optional packages ``onnx``, ``tf2onnx`` and ``onnxruntime``
(``pip install "deepdenoise[onnx]"``) and the TensorFlow backend (Keras
converts a traced TensorFlow function); running the file needs only
``onnxruntime``.

Examples
--------
>>> import json, tempfile
>>> from deepdenoise.export import export_onnx
>>> from deepdenoise.models import get_model
>>> folder = tempfile.mkdtemp()
>>> path = export_onnx(get_model("dncnn", depth=3, width=8), folder, name="tiny")
>>> sorted(item.name for item in path.parent.iterdir())
['tiny.json', 'tiny.onnx']
>>> sidecar = json.loads((path.parent / "tiny.json").read_text())
>>> [item["name"] for item in sidecar["inputs"]], sidecar["output"], sidecar["receptive_field"]
(['noisy'], 'denoised', 3)

``export_onnx("ffdnet", "web/models/")`` writes ``ffdnet.onnx`` and ``ffdnet.json``.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import json
import logging
import os
import re
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from deepdenoise._checks import ArgumentTypeError

__all__ = [
    "FORMAT_VERSION",
    "INPUT_NAMES",
    "NOISE_MAP_CONVENTION",
    "OUTPUT_NAME",
    "export_onnx",
    "onnx_metadata",
]

FORMAT_VERSION = 1
"""Version of the sidecar's layout; it changes when a field changes meaning."""

INPUT_NAMES = ("noisy", "sigma_map")
"""Names of the graph's inputs: the image, then (for noise-map models) the noise map."""

OUTPUT_NAME = "denoised"
"""Name of the graph's one output."""

_ONNX_TOLERANCE = 1e-4
"""Largest difference allowed between onnxruntime and Keras on the export's probe."""

_CONVERSION_ATTEMPTS = 5
"""How many wrong conversions :func:`export_onnx` tries before it gives up."""

NOISE_MAP_CONVENTION = "sigma/255, sigma on the 0-255 scale, constant over the image"
"""What ``sigma_map`` holds, as the sidecar says it."""

_DIMENSIONS = ("N", "H", "W")  # the dynamic axes' names in the graph and the sidecar
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _resolve(name_or_model: object, name: str | None) -> tuple[Any, str, dict[str, Any] | None]:
    """The Keras model, the file name and the manifest entry (None for a model object)."""
    import keras

    from deepdenoise import weights

    if isinstance(name_or_model, str):
        shipped = weights.list_pretrained()
        if name_or_model not in shipped:
            raise ValueError(
                f"name_or_model must be a keras.Model or one of the shipped models {shipped}, "
                f"got {name_or_model!r}"
            )
        entry = weights.pretrained_entry(name_or_model)
        return weights.load_pretrained(name_or_model), name or name_or_model, entry
    if isinstance(name_or_model, keras.Model):
        return name_or_model, name or name_or_model.name, None
    raise ArgumentTypeError(
        f"name_or_model must be a shipped model name or a keras.Model, "
        f"got {type(name_or_model).__name__}"
    )


def _check_name(name: object) -> str:
    if not isinstance(name, str):
        raise ArgumentTypeError(f"name must be a str, got {type(name).__name__}")
    if not _NAME_PATTERN.match(name):
        raise ValueError(
            f"name must be letters, digits, '.', '_' or '-' (it names the files), got {name!r}"
        )
    return name


def _check_directory(directory: object) -> Path:
    if not isinstance(directory, str | os.PathLike):
        raise ArgumentTypeError(
            f"directory must be a str or path-like, got {type(directory).__name__}"
        )
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"directory {folder} exists and is not a folder")
    return folder


def _recipe(entry: Mapping[str, Any] | None) -> dict[str, Any]:
    """The training recipe of a manifest entry, registered either way (nested or raw)."""
    recipe = (entry or {}).get("recipe")
    if not isinstance(recipe, dict):
        return {}
    inner = recipe.get("recipe")
    return inner if isinstance(inner, dict) else recipe


def _sigma_range(entry: Mapping[str, Any] | None) -> list[float] | None:
    """[low, high] of the noise levels the model was trained on, if the manifest says."""
    sigma = _recipe(entry).get("data", {}).get("sigma")
    if isinstance(sigma, int | float) and not isinstance(sigma, bool):
        return [float(sigma), float(sigma)]
    if isinstance(sigma, list) and len(sigma) == 2:
        return [float(value) for value in sigma]
    return None


def _description(entry: Mapping[str, Any] | None, model: Any, info: Mapping[str, Any]) -> str:
    text = _recipe(entry).get("output", {}).get("description")
    if isinstance(text, str) and text:
        return text
    kind = "with a noise-level map" if info["needs_noise_map"] else "without a noise map"
    return f"{model.name}: {info['channels']}-channel denoiser {kind}"


def _inputs(info: Mapping[str, Any]) -> list[dict[str, Any]]:
    channels = int(info["channels"])
    inputs = [
        {
            "name": INPUT_NAMES[0],
            "shape": [*_DIMENSIONS, channels],
            "meaning": "the noisy image, float32 NHWC, values in [0, 1] (nominal)",
        }
    ]
    if info["needs_noise_map"]:
        inputs.append(
            {
                "name": INPUT_NAMES[1],
                "shape": [*_DIMENSIONS, 1],
                "meaning": f"the noise level map, float32: {NOISE_MAP_CONVENTION}",
            }
        )
    return inputs


def _set_shape(value_info: Any, channels: int) -> None:
    """Name the dynamic axes N, H, W of a graph input or output; fix its channels."""
    dims = value_info.type.tensor_type.shape.dim
    if len(dims) != 4:
        raise ValueError(f"ONNX tensor {value_info.name!r} has rank {len(dims)}, expected 4")
    for dim, label in zip(dims, _DIMENSIONS, strict=False):
        dim.dim_param = label
    dims[3].dim_value = channels


def _rename(graph: Any, old: str, new: str) -> None:
    """Give the tensor ``old`` the name ``new`` everywhere in ``graph``."""
    if old == new:
        return
    for node in graph.node:
        node.input[:] = [new if tensor == old else tensor for tensor in node.input]
        node.output[:] = [new if tensor == old else tensor for tensor in node.output]
    for value in [*graph.input, *graph.output, *graph.value_info]:
        if value.name == old:
            value.name = new


def _finish_graph(proto: Any, info: Mapping[str, Any], metadata: Mapping[str, str]) -> bytes:
    """Name the inputs, output and axes as the sidecar says; add metadata; check; serialise."""
    import onnx

    graph = proto.graph
    expected = 2 if info["needs_noise_map"] else 1
    if len(graph.input) != expected or len(graph.output) != 1:
        raise ValueError(
            f"the exported graph has inputs {[i.name for i in graph.input]} and outputs "
            f"{[o.name for o in graph.output]}; expected {expected} input(s) and 1 output"
        )
    channels = int(info["channels"])
    # Keras exports the inputs in the order of model.inputs: the image, then the map.
    for value, new, width in zip(graph.input, INPUT_NAMES, (channels, 1), strict=False):
        _rename(graph, value.name, new)
        _set_shape(value, width)
    _rename(graph, graph.output[0].name, OUTPUT_NAME)
    _set_shape(graph.output[0], channels)
    del proto.metadata_props[:]
    for key, text in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, text
    proto.doc_string = metadata.get("description", "")
    onnx.checker.check_model(proto, full_check=True)
    return proto.SerializeToString()


@contextlib.contextmanager
def _converter_quiet() -> Iterator[None]:
    """Silence tf2onnx's INFO logs, Keras's prints and NumPy's FutureWarning while converting."""
    loggers = [logging.getLogger(name) for name in ("tf2onnx", "tensorflow")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            # Keras's tf2onnx patch probes np.object, which NumPy 2 answers with a FutureWarning.
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _converted(model: Any, info: Mapping[str, Any], opset: int | None) -> Any:
    """The model converted by Keras (through tf2onnx), as an ``onnx.ModelProto``."""
    import keras
    import numpy as np
    import onnx

    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(
            f"ONNX export converts a TensorFlow graph; the Keras backend is "
            f"{keras.backend.backend()!r}: set KERAS_BACKEND=tensorflow"
        )
    side = 2 * int(info["size_multiple"])
    zeros = [
        np.zeros((1, side, side, int(tensor.shape[-1])), np.float32) for tensor in model.inputs
    ]
    model(zeros if len(zeros) > 1 else zeros[0], training=False)  # Keras exports called models
    with tempfile.TemporaryDirectory(prefix="deepdenoise-onnx-") as scratch:
        raw = Path(scratch) / "model.onnx"
        with _converter_quiet():
            model.export(str(raw), format="onnx", verbose=False, opset_version=opset)
        return onnx.load(str(raw))


def _disagreement(model: Any, data: bytes, info: Mapping[str, Any]) -> str | None:
    """What onnxruntime on ``data`` gets wrong against Keras on a random probe, or None.

    The probe has a batch of 2 and a height unlike its width, so a graph whose batch,
    height or width is not truly dynamic, or whose output has a stray axis, is caught.
    """
    import numpy as np
    import onnxruntime

    multiple = int(info["size_multiple"])
    shape = (2, 4 * multiple, 6 * multiple)
    rng = np.random.default_rng(0)
    image = rng.random((*shape, int(info["channels"])), dtype=np.float32)
    feeds = {INPUT_NAMES[0]: image}
    if info["needs_noise_map"]:
        feeds[INPUT_NAMES[1]] = np.full((*shape, 1), 25 / 255, np.float32)
    expected = np.asarray(model(list(feeds.values()) if len(feeds) > 1 else image, training=False))
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    (got,) = session.run([OUTPUT_NAME], feeds)
    if got.shape != expected.shape:
        return f"output shape {got.shape} where Keras gives {expected.shape}"
    difference = float(np.abs(got - expected).max())
    if not difference <= _ONNX_TOLERANCE:
        return f"largest difference from Keras {difference:.3g} (allowed {_ONNX_TOLERANCE})"
    return None


def _checked_conversion(
    model: Any, info: Mapping[str, Any], opset: int | None, metadata: Mapping[str, str]
) -> tuple[bytes, int]:
    """The finished ONNX bytes and their opset, checked against Keras with onnxruntime.

    tf2onnx 1.17's graph optimiser is not deterministic: for a one-channel model it
    sometimes drops the final Squeeze, so the output gets a fifth axis. Each conversion
    is therefore run on a probe and compared with Keras; a wrong one is converted
    again, and after :data:`_CONVERSION_ATTEMPTS` wrong ones the export fails.
    """
    problems = []
    for _ in range(_CONVERSION_ATTEMPTS):
        proto = _converted(model, info, opset)
        opset_used = max(
            (item.version for item in proto.opset_import if item.domain in ("", "ai.onnx")),
            default=0,
        )
        try:
            data = _finish_graph(proto, info, metadata)
        except ValueError as error:
            problems.append(str(error))
            continue
        problem = _disagreement(model, data, info)
        if problem is None:
            return data, opset_used
        problems.append(problem)
    raise RuntimeError(
        f"tf2onnx converted model {metadata['name']!r} wrongly {_CONVERSION_ATTEMPTS} times: "
        + "; ".join(problems)
    )


def onnx_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The key-value metadata :func:`export_onnx` stores inside an ONNX file.

    Parameters
    ----------
    path : str or path-like
        An ``.onnx`` file.

    Returns
    -------
    dict of str to str
        ``name``, ``deepdenoise_version``, ``weights_sha256`` (empty for a
        model object) and ``description``, for a file written by
        :func:`export_onnx`.

    Examples
    --------
    >>> import tempfile
    >>> from deepdenoise.models import get_model
    >>> path = export_onnx(get_model("dncnn", depth=2, width=4), tempfile.mkdtemp(), name="tiny")
    >>> metadata = onnx_metadata(path)
    >>> metadata["name"], metadata["weights_sha256"]
    ('tiny', '')
    """
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    return {entry.key: entry.value for entry in proto.metadata_props}


def export_onnx(
    name_or_model: Any,
    directory: str | os.PathLike[str],
    *,
    name: str | None = None,
    opset: int | None = None,
) -> Path:
    """Export a shipped model (or a Keras denoiser) to ``NAME.onnx`` and ``NAME.json``.

    Parameters
    ----------
    name_or_model : str or keras.Model
        A shipped model's name (:func:`deepdenoise.weights.list_pretrained`,
        such as ``"ffdnet"``), or a fully convolutional Keras denoiser built
        by :mod:`deepdenoise.models`.
    directory : str or path-like
        The folder to write into; created when missing.
    name : str, optional
        The files' stem. Defaults to the shipped name, or the model's
        ``name`` for a model object.
    opset : int, optional
        The ONNX opset; Keras's default (15 with tf2onnx 1.17) when None.

    Returns
    -------
    pathlib.Path
        The ``.onnx`` file. The sidecar ``NAME.json`` lies beside it.

    Raises
    ------
    ValueError
        If ``name_or_model`` is not a shipped model (the message lists
        them), ``name`` is not a plain file stem, or the model has a fixed
        input size (the dense autoencoder).
    ArgumentTypeError
        If ``name_or_model`` is neither a str nor a keras.Model, or
        ``directory`` is not a path (a :class:`TypeError` and a
        :class:`ValueError`).
    NotADirectoryError
        If ``directory`` exists and is not a folder.
    ImportError
        If ``onnx``, ``tf2onnx`` or ``onnxruntime`` is not installed.
    RuntimeError
        If the Keras backend is not TensorFlow, or every conversion gave a
        graph whose output on a probe differs from Keras's.

    Notes
    -----
    The sidecar holds ``name``, ``format_version`` (1), ``inputs`` (each
    with ``name``, ``shape`` such as ``["N", "H", "W", 1]`` and
    ``meaning``), ``output`` (the output's name), ``channels``,
    ``needs_noise_map``, ``noise_map_convention``, ``size_multiple``
    (from :func:`deepdenoise.models.model_info`: height and width must be
    multiples of it, and padding to it is the caller's job, as
    :func:`deepdenoise.inference.denoise` pads by reflection),
    ``receptive_field`` (:func:`deepdenoise.inference.estimate_receptive_field`:
    the overlap for seamless tiles), ``sigma_range`` (the training noise
    levels ``[low, high]`` on the 0-255 scale, or null when unknown),
    ``sha256`` (of the ``.onnx`` file), ``weights_sha256`` (of the shipped
    weights, or null), ``opset``, ``deepdenoise_version`` and ``description``.

    Examples
    --------
    >>> export_onnx("nope", "out")
    Traceback (most recent call last):
    ...
    ValueError: name_or_model must be a keras.Model or one of the shipped models [...], got 'nope'
    """
    folder = _check_directory(directory)
    if name is not None:
        _check_name(name)
    missing = [
        package
        for package in ("onnx", "tf2onnx", "onnxruntime")
        if not importlib.util.find_spec(package)
    ]
    if missing:
        raise ImportError(
            "ONNX export needs the packages onnx, tf2onnx and onnxruntime "
            f'({", ".join(missing)} missing): pip install "deepdenoise[onnx]"'
        )
    from deepdenoise import __version__
    from deepdenoise.inference import estimate_receptive_field
    from deepdenoise.models import model_info

    model, stem, entry = _resolve(name_or_model, name)
    stem = _check_name(stem)
    info = model_info(model)
    if info["input_size"] is not None:
        raise ValueError(
            f"model {stem!r} takes a fixed input size {info['input_size']}; only fully "
            "convolutional models (any height and width) can be exported"
        )
    description = _description(entry, model, info)
    weights_sha256 = entry.get("sha256") if entry else None
    metadata = {
        "name": stem,
        "deepdenoise_version": __version__,
        "weights_sha256": weights_sha256 or "",
        "description": description,
    }
    data, opset_used = _checked_conversion(model, info, opset, metadata)
    sidecar = {
        "name": stem,
        "format_version": FORMAT_VERSION,
        "inputs": _inputs(info),
        "output": OUTPUT_NAME,
        "channels": int(info["channels"]),
        "needs_noise_map": bool(info["needs_noise_map"]),
        "noise_map_convention": NOISE_MAP_CONVENTION,
        "size_multiple": int(info["size_multiple"]),
        "receptive_field": int(estimate_receptive_field(model)),
        "sigma_range": _sigma_range(entry),
        "sha256": hashlib.sha256(data).hexdigest(),
        "weights_sha256": weights_sha256,
        "opset": int(opset_used),
        "deepdenoise_version": __version__,
        "description": description,
    }
    from deepdenoise._io import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{stem}.onnx"
    atomic_write(target, data, mode=0o644)
    atomic_write(folder / f"{stem}.json", json.dumps(sidecar, indent=2) + "\n", mode=0o644)
    return target
