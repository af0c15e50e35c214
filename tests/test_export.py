"""ONNX export (deepdenoise.export, ``deepdenoise export``): the file runs as the model does.

Each shipped model is exported once per session (a module-scoped fixture, a few
seconds each) and run with onnxruntime on a crop of a Set12 image with Gaussian
noise; its output must match the Keras model's to 1e-4. The sidecar must agree
with the model, the manifest and the file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("tf2onnx")
onnxruntime = pytest.importorskip("onnxruntime")

from deepdenoise import __version__, inference, noise  # noqa: E402
from deepdenoise._io import sha256_file  # noqa: E402
from deepdenoise.cli import main  # noqa: E402
from deepdenoise.cli.export import _names  # noqa: E402
from deepdenoise.data import benchmark  # noqa: E402
from deepdenoise.export import (  # noqa: E402
    INPUT_NAMES,
    NOISE_MAP_CONVENTION,
    OUTPUT_NAME,
    export_onnx,
    onnx_metadata,
)
from deepdenoise.models import get_model, model_info  # noqa: E402
from deepdenoise.weights import list_pretrained, load_pretrained, pretrained_entry  # noqa: E402

SHIPPED = list_pretrained()
SIGMA = 25.0
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every shipped model exported once: name -> its .onnx file."""
    folder = tmp_path_factory.mktemp("onnx")
    return {name: export_onnx(name, folder) for name in SHIPPED}


@pytest.fixture(scope="module")
def models() -> dict[str, object]:
    return {name: load_pretrained(name) for name in SHIPPED}


@pytest.fixture(scope="module")
def crops() -> list[np.ndarray]:
    """96x128 crops of three Set12 images (the channels of a colour test image)."""
    images = [image for _, image in benchmark("set12")[:3]]
    return [image[100:196, 120:248] for image in images]


def noisy_batch(crops: list[np.ndarray], channels: int, shape: tuple[int, int]) -> np.ndarray:
    """A (1, H, W, C) noisy image: Set12 crops, Gaussian noise of sigma 25, seed 0."""
    clean = np.stack([crop[: shape[0], : shape[1]] for crop in crops[:channels]], axis=-1)
    return noise.add_gaussian_noise(clean, SIGMA, seed=0)[None].astype(np.float32)


def run_onnx(path: Path, batch: np.ndarray, sigma: float | None) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feed = {INPUT_NAMES[0]: batch}
    if sigma is not None:
        feed[INPUT_NAMES[1]] = np.full((*batch.shape[:3], 1), sigma / 255, np.float32)
    (output,) = session.run(None, feed)
    return output


def run_keras(model: object, batch: np.ndarray, sigma: float | None) -> np.ndarray:
    return inference._predict(model, batch, None if sigma is None else sigma / 255)


def sidecar(path: Path) -> dict:
    return json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", SHIPPED)
def test_onnx_matches_keras_on_a_noisy_set12_crop(name, exported, models, crops):
    model = models[name]
    info = model_info(model)
    batch = noisy_batch(crops, info["channels"], (96, 128))
    sigma = SIGMA if info["needs_noise_map"] else None
    expected = run_keras(model, batch, sigma)
    got = run_onnx(exported[name], batch, sigma)
    assert got.shape == batch.shape and got.dtype == np.float32
    assert np.abs(got - expected).max() <= TOLERANCE
    assert np.abs(got - batch).mean() > 0.01  # it denoised: not the identity


@pytest.mark.parametrize("name", SHIPPED)
def test_batch_height_and_width_are_dynamic(name, exported, models, crops):
    model = models[name]
    info = model_info(model)
    side = 8 * info["size_multiple"]
    batch = np.concatenate([noisy_batch(crops, info["channels"], (side, 2 * side))] * 2)
    batch[1] = batch[1, ::-1]  # two different images in one batch
    sigma = SIGMA if info["needs_noise_map"] else None
    got = run_onnx(exported[name], batch, sigma)
    assert got.shape == batch.shape
    assert np.abs(got - run_keras(model, batch, sigma)).max() <= TOLERANCE


@pytest.mark.parametrize("name", SHIPPED)
def test_sidecar_agrees_with_the_model_the_manifest_and_the_file(name, exported, models):
    path, model = exported[name], models[name]
    info = model_info(model)
    meta = sidecar(path)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert meta["name"] == name and path.name == f"{name}.onnx"
    assert meta["format_version"] == 1
    assert meta["sha256"] == sha256_file(path)
    assert meta["weights_sha256"] == pretrained_entry(name)["sha256"]
    assert meta["deepdenoise_version"] == __version__
    assert meta["channels"] == info["channels"]
    assert meta["needs_noise_map"] is info["needs_noise_map"]
    assert meta["size_multiple"] == info["size_multiple"]
    assert meta["receptive_field"] == inference.estimate_receptive_field(model)
    assert meta["noise_map_convention"] == NOISE_MAP_CONVENTION
    assert isinstance(meta["description"], str) and meta["description"]
    # The inputs and the output are named and shaped as the sidecar says.
    graph_inputs = [(item.name, item.shape) for item in session.get_inputs()]
    assert graph_inputs == [(item["name"], item["shape"]) for item in meta["inputs"]]
    expected_names = list(INPUT_NAMES[: 1 + info["needs_noise_map"]])
    assert [item["name"] for item in meta["inputs"]] == expected_names
    assert meta["inputs"][0]["shape"] == ["N", "H", "W", info["channels"]]
    assert [item.name for item in session.get_outputs()] == [meta["output"]] == [OUTPUT_NAME]
    assert session.get_outputs()[0].shape == ["N", "H", "W", info["channels"]]
    assert onnx_metadata(path)["name"] == name


def test_sigma_range_comes_from_the_recipe(exported):
    if "ffdnet" in exported:
        assert sidecar(exported["ffdnet"])["sigma_range"] == [0.0, 75.0]
    if "dncnn25" in exported:
        assert sidecar(exported["dncnn25"])["sigma_range"] == [25.0, 25.0]
    for path in exported.values():
        low, high = sidecar(path)["sigma_range"]
        assert 0 <= low <= high <= 255


@pytest.mark.parametrize("name", SHIPPED)
def test_odd_sizes_are_padded_by_the_caller(name, exported, models, crops):
    """Sizes that are not multiples of size_multiple fail; padded as denoise pads, they match."""
    model = models[name]
    info = model_info(model)
    multiple = info["size_multiple"]
    batch = noisy_batch(crops, info["channels"], (95, 127))
    sigma = SIGMA if info["needs_noise_map"] else None
    if multiple > 1:
        with pytest.raises(Exception, match=r"(?i)reshape|shape|dimension"):
            run_onnx(exported[name], batch, sigma)
    pad = ((0, 0), (0, -95 % multiple), (0, -127 % multiple), (0, 0))
    got = run_onnx(exported[name], np.pad(batch, pad, mode="reflect"), sigma)[:, :95, :127]
    expected = inference.denoise(model, batch[0], SIGMA, tile=None)
    assert np.abs(got[0] - expected).max() <= TOLERANCE


def test_a_model_object_exports_and_replaces_the_old_files(tmp_path, crops):
    model = get_model("dncnn", depth=3, width=8)
    (tmp_path / "tiny.onnx").write_bytes(b"an old file")
    (tmp_path / "tiny.json").write_text("{}")
    path = export_onnx(model, tmp_path, name="tiny")
    assert sorted(item.name for item in tmp_path.iterdir()) == ["tiny.json", "tiny.onnx"]
    meta = sidecar(path)
    assert meta["sha256"] == sha256_file(path)
    assert meta["sigma_range"] is None and meta["weights_sha256"] is None
    assert meta["receptive_field"] == 3
    batch = noisy_batch(crops, 1, (32, 48))
    assert np.abs(run_onnx(path, batch, None) - run_keras(model, batch, None)).max() <= TOLERANCE


@pytest.mark.parametrize("grown", [{"cross_channel": True}, {"mix_every": 1}])
def test_a_colour_model_whose_channels_meet_exports_and_agrees(tmp_path, crops, grown):
    """The colour-difference context (cross_channel) and the feature mixing (mix_every) convert."""
    model = get_model("opponent_ffdnet", depth=3, width=8, **grown)
    rng = np.random.default_rng(4)
    model.set_weights([rng.normal(0, 0.2, w.shape).astype("float32") for w in model.weights])
    path = export_onnx(model, tmp_path, name="mixed")
    assert sidecar(path)["channels"] == 3
    batch = noisy_batch(crops, 3, (32, 48))
    assert np.abs(run_onnx(path, batch, 25) - run_keras(model, batch, 25)).max() <= TOLERANCE


def doubled_output(proto: object) -> object:
    """``proto`` with its output multiplied by 2: a wrong conversion of the same shape."""
    import onnx

    graph = proto.graph
    old = graph.output[0].name
    graph.initializer.append(onnx.numpy_helper.from_array(np.float32(2.0), "two"))
    graph.node.append(onnx.helper.make_node("Mul", [old, "two"], ["doubled"]))
    graph.output[0].name = "doubled"
    return proto


def test_a_conversion_that_disagrees_with_keras_is_redone(tmp_path, monkeypatch, crops):
    from deepdenoise import export

    real = export._converted
    calls = []

    def wrong_first(*args):
        calls.append(args)
        proto = real(*args)
        return doubled_output(proto) if len(calls) == 1 else proto

    monkeypatch.setattr(export, "_converted", wrong_first)
    model = get_model("dncnn", depth=3, width=8)
    path = export_onnx(model, tmp_path, name="tiny")
    assert len(calls) >= 2  # the first was refused (tf2onnx may also fail a later one itself)
    batch = noisy_batch(crops, 1, (32, 48))
    assert np.abs(run_onnx(path, batch, None) - run_keras(model, batch, None)).max() <= TOLERANCE


def test_a_conversion_that_is_always_wrong_fails_and_writes_nothing(tmp_path, monkeypatch):
    from deepdenoise import export

    real = export._converted
    monkeypatch.setattr(export, "_converted", lambda *args: doubled_output(real(*args)))
    with pytest.raises(RuntimeError, match=r"'tiny' wrongly 5 times"):
        export_onnx(get_model("dncnn", depth=3, width=8), tmp_path, name="tiny")
    assert list(tmp_path.iterdir()) == []


def test_the_probe_catches_a_stray_axis():
    """The check that catches tf2onnx's dropped Squeeze: output (1, N, H, W, C)."""
    import onnx

    from deepdenoise import export

    model = get_model("dncnn", depth=2, width=4)
    info = model_info(model)
    good, _ = export._checked_conversion(model, info, None, {"name": "tiny"})
    assert export._disagreement(model, good, info) is None
    proto = onnx.load_from_string(good)
    graph = proto.graph  # the output is named "denoised"; move that name last
    for node in graph.node:
        node.output[:] = ["inner" if name == OUTPUT_NAME else name for name in node.output]
    graph.initializer.append(onnx.numpy_helper.from_array(np.array([0], np.int64), "axis0"))
    graph.node.append(onnx.helper.make_node("Unsqueeze", ["inner", "axis0"], [OUTPUT_NAME]))
    del graph.output[0].type.tensor_type.shape.dim[:]
    stray = proto.SerializeToString()
    assert "output shape (1, 2," in export._disagreement(model, stray, info)


def test_bad_inputs_raise_and_write_nothing(tmp_path):
    with pytest.raises(ValueError, match="'no-such-model'"):
        export_onnx("no-such-model", tmp_path)
    with pytest.raises(TypeError, match="name_or_model"):
        export_onnx(3, tmp_path)
    with pytest.raises(TypeError, match="directory"):
        export_onnx("ffdnet", 3)
    with pytest.raises(ValueError, match="name must be"):
        export_onnx("ffdnet", tmp_path, name="../escape")
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    with pytest.raises(NotADirectoryError, match="afile"):
        export_onnx("ffdnet", afile)
    with pytest.raises(ValueError, match="fixed input size"):
        export_onnx(get_model("dense_autoencoder"), tmp_path)
    assert sorted(item.name for item in tmp_path.iterdir()) == ["afile"]
    assert afile.read_text() == "keep me"


def test_a_missing_converter_is_named_with_the_extra(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "tf2onnx" else real(name, *a)
    )
    with pytest.raises(ImportError, match=r"tf2onnx missing.*deepdenoise\[onnx\]"):
        export_onnx(SHIPPED[0], tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- the command line --------------------------------------------------------------------


def test_cli_names_expand_all_and_repeats():
    assert _names(["all"]) == SHIPPED
    assert _names([SHIPPED[-1], "all", SHIPPED[-1]]) == [SHIPPED[-1], *SHIPPED[:-1]]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--model", "nope"], "--model 'nope' is not a shipped model"),
        (["--model", "ffdnet", "--format", "tflite"], "invalid choice"),
    ],
)
def test_cli_bad_model_or_format(arguments, message, tmp_path, capsys):
    assert main(["export", *arguments, "-o", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_refuses_a_file_as_output(tmp_path, capsys):
    afile = tmp_path / "afile.onnx"
    afile.write_text("keep me")
    assert main(["export", "--model", SHIPPED[0], "-o", str(afile)]) == 2
    assert f"-o {afile} exists and is not a folder" in capsys.readouterr().err
    assert afile.read_text() == "keep me"


def test_cli_exports_quietly_in_a_subprocess(tmp_path, exported):
    """``python -m deepdenoise export`` writes both files; no TensorFlow log lines on stderr."""
    name = SHIPPED[0]
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-m", "deepdenoise", "export", "--model", name, "-o", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if line.strip()] == []
    assert f"{name} -> {tmp_path / name}.onnx" in result.stdout
    meta = sidecar(tmp_path / f"{name}.onnx")
    assert meta["sha256"] == sha256_file(tmp_path / f"{name}.onnx")
    assert {key: value for key, value in meta.items() if key != "sha256"} == {
        key: value for key, value in sidecar(exported[name]).items() if key != "sha256"
    }


# --- the measured CPU speed ----------------------------------------------------------------


def test_readme_quotes_the_onnx_speed_table_and_its_verdict():
    """The README's onnxruntime sentence matches onnx_speed.md, whose rows all fall short."""
    root = Path(__file__).resolve().parents[1]
    table = (root / "src" / "deepdenoise" / "weights" / "onnx_speed.md").read_text("utf-8")
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in table.splitlines()
        if line.startswith("| ffdnet ")
    ]
    assert [row[1] for row in rows] == ["512x512", "2000x3000"]
    readme = " ".join((root / "README.md").read_text(encoding="utf-8").split())
    assert "onnxruntime is not a faster CPU path, so the CLI keeps TensorFlow" in readme
    for row in rows:
        tensorflow_s, onnx_s = (cell.split()[0] for cell in row[4:6])
        speedup, gap = row[6], float(row[7])
        assert float(speedup.rstrip("x")) < 1.3, row  # else the CLI should use onnxruntime
        assert gap <= TOLERANCE, row
        onnx_s, tensorflow_s = re.escape(onnx_s), re.escape(tensorflow_s)
        quoted = rf"{re.escape(speedup)} (TensorFlow's speed )?on {row[1]} \({onnx_s} s against "
        quoted += rf"{tensorflow_s} s\)"
        assert re.search(quoted, readme), row
