"""Tests of the ``deepdenoise`` command line.

The user-facing cases run ``python -m deepdenoise`` in a subprocess, as a user
would. TensorFlow takes seconds to import, so the cases are batched into a
few runs: one folder run holds every kind of bad file. Cheaper checks of the
argument handling call :func:`deepdenoise.cli.main` in-process.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from deepdenoise.bench import read_csv
from deepdenoise.cli import DEFAULT_MODEL, main

# TensorFlow's C++ runtime logs a few lines at import, whatever TF_CPP_MIN_LOG_LEVEL says.
_TF_LOG = re.compile(r"^(WARNING: All log messages before absl|[IWE]\d{4} )")
GOOD = ("gray8.png", "rgb8.jpg", "gray16.tif", "gray16.png", "rgba.png")
BAD = ("truncated.png", "not_an_image.png", "empty.png", "zero_size.tif")


def run_cli(*args: str, cwd: Path, tf_log_level: str | None = "3") -> subprocess.CompletedProcess:
    """Run ``python -m deepdenoise``; ``tf_log_level=None`` leaves TF_CPP_MIN_LOG_LEVEL unset."""
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    if tf_log_level is not None:
        env["TF_CPP_MIN_LOG_LEVEL"] = tf_log_level
    return subprocess.run(
        [sys.executable, "-m", "deepdenoise", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def messages(stderr: str) -> list[str]:
    """The lines the CLI itself wrote to stderr (TensorFlow's start-up logs removed)."""
    return [line for line in stderr.splitlines() if line.strip() and not _TF_LOG.match(line)]


def errors(stderr: str) -> list[str]:
    return [line for line in messages(stderr) if line.startswith("deepdenoise: error:")]


def digest(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
        if path.is_file()
    }


def _smooth(shape: tuple[int, ...], seed: int, noise: float = 0.1) -> np.ndarray:
    """A smooth gradient plus Gaussian noise of std ``noise``, in [0, 1]."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.2, 0.8, shape[1])[None, :] * np.ones(shape[:2])
    if len(shape) == 3:
        ramp = ramp[..., None] * np.ones(shape[2])
    return np.clip(ramp + rng.normal(0, noise, shape), 0, 1)


def _png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def make_inputs(folder: Path) -> None:
    """Good images of every supported kind and one bad file of each kind."""
    folder.mkdir(parents=True)
    gray8 = (_smooth((37, 50), 0) * 255).astype(np.uint8)  # odd size: FFDNet pads
    (folder / "gray8.png").write_bytes(_png_bytes(gray8))
    Image.fromarray((_smooth((32, 40, 3), 1) * 255).astype(np.uint8)).save(folder / "rgb8.jpg")
    tifffile.imwrite(folder / "gray16.tif", (_smooth((36, 44), 2) * 65535).astype(np.uint16))
    Image.fromarray((_smooth((30, 34), 3) * 65535).astype(np.uint16)).save(folder / "gray16.png")
    rgba = (_smooth((30, 30, 4), 4) * 255).astype(np.uint8)
    Image.fromarray(rgba).save(folder / "rgba.png")
    whole = _png_bytes(gray8)
    (folder / "truncated.png").write_bytes(whole[: len(whole) // 2])
    (folder / "not_an_image.png").write_text("this is not a PNG\n")
    (folder / "empty.png").write_bytes(b"")
    with pytest.warns(UserWarning):
        tifffile.imwrite(folder / "zero_size.tif", np.zeros((0, 5), np.uint16))
    (folder / "notes.txt").write_text("not an image suffix: ignored in folder runs\n")


RECIPE = """
[model]
name = "dncnn"
depth = 2
width = 4
batch_norm = false
[data]
source = "dead_leaves"
dead_leaves_images = 2
dead_leaves_size = 32
patch_size = 16
batch_size = 4
sigma = 25
[train]
steps = 10
steps_per_epoch = 1
[output]
name = "tiny"
"""

PLACEHOLDER = _png_bytes(np.zeros((8, 8), np.uint8))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Input images, a tiny untrained FFDNet (``tiny.keras``) and a tiny training recipe."""
    from deepdenoise.models import get_model

    root = tmp_path_factory.mktemp("cli")
    make_inputs(root / "in")
    get_model("ffdnet", depth=2, width=4).save(root / "tiny.keras")
    (root / "tiny.toml").write_text(RECIPE, encoding="utf-8")
    for folder, name in (("outB", "gray8.png"), ("outC", "result.png")):
        (root / folder).mkdir()
        (root / folder / name).write_bytes(PLACEHOLDER)
    (root / "inD").mkdir()
    for name in ("gray8.png", "rgb8.jpg"):
        (root / "inD" / name).write_bytes((root / "in" / name).read_bytes())
    return root


@pytest.fixture(scope="module")
def runs(workspace: Path, data_dir: Path) -> dict[str, subprocess.CompletedProcess]:
    """Every subprocess run, started a few at a time (each spends seconds importing TensorFlow).

    Each run has its own output folder, so they do not depend on one another.
    """
    from concurrent.futures import ThreadPoolExecutor

    tiny = ("--model", "tiny.keras")
    commands = {
        # Every kind of bad input in one folder run, plus a missing file.
        "folder": ("denoise", "in", "missing.png", "-o", "outA", *tiny),
        # outB/gray8.png exists: refused without --force; rgb8 still written.
        "no_force": ("denoise", "in/gray8.png", "in/rgb8.jpg", "-o", "outB", *tiny,
                     "--sigma", "25"),
        # One file to one file, replacing outC/result.png.
        "force": ("denoise", "in/gray8.png", "-o", "outC/result.png", "--model",
                  "model:tiny.keras", "--sigma", "50", "--tile", "32", "--overlap", "8",
                  "--self-ensemble", "--force"),
        # Output folder = input folder: gray8.png would overwrite its input, even with --force.
        "onto_input": ("denoise", "inD", "-o", "inD", "--force", *tiny),
        "unknown_model": ("denoise", "in/gray8.png", "-o", "outE", "--model", "nope"),
        "bench": ("bench", "--dataset", "set12", "--sigma", "25", "--methods", "noisy,gaussian",
                  "--max-images", "1", "--out", "results", "--data-dir", str(data_dir)),
        "train": ("train", "--config", "tiny.toml", "--workdir", "run", "--max-steps", "2"),
        # The default path (shipped FFDNet, auto tiles), TF_CPP_MIN_LOG_LEVEL unset, one error.
        "quiet": ("denoise", "in/gray8.png", "missing.png", "-o", "outQ"),
    }  # fmt: skip
    inputs = {"in": digest(workspace / "in"), "inD": digest(workspace / "inD")}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            name: pool.submit(
                run_cli, *args, cwd=workspace, tf_log_level=None if name == "quiet" else "3"
            )
            for name, args in commands.items()
        }
        results = {name: future.result() for name, future in futures.items()}
    results["inputs_before"] = inputs  # type: ignore[assignment]
    return results


# --- subprocess runs -------------------------------------------------------------------


def test_folder_run_writes_good_files_and_lists_bad_ones(runs: dict) -> None:
    result = runs["folder"]
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = errors(result.stderr)
    for name in (*BAD, "missing.png"):
        assert sum(name in line for line in lines[:-1]) == 1, (name, lines)
    assert len(lines) == len(BAD) + 2  # one per bad input, then the summary
    assert lines[-1].startswith(f"deepdenoise: error: {len(BAD) + 1} of {len(GOOD) + 5} inputs")
    assert "does not exist" in next(line for line in lines if "missing.png" in line)
    assert "truncated" in next(line for line in lines if "truncated.png" in line)


def test_folder_run_outputs(runs: dict, workspace: Path) -> None:
    result = runs["folder"]
    out = workspace / "outA"
    # Only finished images: no temporary file, nothing for bad inputs or notes.txt.
    expected = {"gray8.png", "rgb8.png", "gray16.tif", "gray16.png", "rgba.png"}
    assert {path.name for path in out.iterdir()} == expected
    assert digest(workspace / "in") == runs["inputs_before"]["in"]  # inputs untouched
    assert len(result.stdout.strip().splitlines()) == len(GOOD)

    gray8 = np.asarray(Image.open(out / "gray8.png"))
    assert gray8.dtype == np.uint8 and gray8.shape == (37, 50)
    rgb = np.asarray(Image.open(out / "rgb8.png"))
    assert rgb.dtype == np.uint8 and rgb.shape == (32, 40, 3)


def test_folder_run_keeps_16_bits(runs: dict, workspace: Path) -> None:
    assert runs["folder"].returncode == 2
    out = workspace / "outA"
    tif = tifffile.imread(out / "gray16.tif")
    png = np.asarray(Image.open(out / "gray16.png"))
    for image, shape in ((tif, (36, 44)), (png, (30, 34))):
        assert image.dtype == np.uint16 and image.shape == shape
        # A 16-bit result is not an 8-bit one scaled up (those are multiples of 257).
        assert np.any(image % 257 != 0)


def test_folder_run_drops_alpha_with_a_note(runs: dict, workspace: Path) -> None:
    rgba = Image.open(workspace / "outA" / "rgba.png")
    assert rgba.mode == "RGB" and rgba.size == (30, 30)
    (line,) = [line for line in runs["folder"].stdout.splitlines() if "rgba.png" in line]
    assert "alpha channel dropped" in line


def test_existing_outputs_need_force(runs: dict, workspace: Path) -> None:
    result = runs["no_force"]
    assert result.returncode == 2
    *problems, summary = errors(result.stderr)
    assert "1 of 2 inputs failed" in summary
    (line,) = problems
    assert "gray8.png" in line and "exists" in line and "--force" in line
    assert (workspace / "outB" / "gray8.png").read_bytes() == PLACEHOLDER
    assert (workspace / "outB" / "rgb8.png").is_file()  # the other input still went through


def test_force_replaces_an_output_file(runs: dict, workspace: Path) -> None:
    result = runs["force"]
    out = workspace / "outC"
    assert result.returncode == 0, result.stderr
    assert messages(result.stderr) == []
    assert "sigma 50" in result.stdout
    assert np.asarray(Image.open(out / "result.png")).shape == (37, 50)
    assert sorted(path.name for path in out.iterdir()) == ["result.png"]


def test_an_input_is_never_overwritten(runs: dict, workspace: Path) -> None:
    result = runs["onto_input"]
    assert result.returncode == 2
    line = errors(result.stderr)[0]
    assert "gray8.png" in line and "input" in line
    before = runs["inputs_before"]["inD"]
    after = digest(workspace / "inD")
    assert {name: after[name] for name in before} == before
    assert set(after) == {*before, "rgb8.png"}  # the JPEG's output has a new name


def test_unknown_model_is_one_line(runs: dict, workspace: Path) -> None:
    result = runs["unknown_model"]
    assert result.returncode == 2
    assert messages(result.stderr) == errors(result.stderr)
    (line,) = errors(result.stderr)
    assert "'nope'" in line and "pretrained" in line
    assert not (workspace / "outE").exists()


def test_bench_prints_and_saves(runs: dict, workspace: Path) -> None:
    result = runs["bench"]
    assert result.returncode == 0, result.stderr
    rows = read_csv(workspace / "results" / "benchmark.csv")
    assert [(row["method"], row["sigma"], row["n_images"]) for row in rows] == [
        ("noisy", 25.0, 1),
        ("gaussian", 25.0, 1),
    ]
    markdown = (workspace / "results" / "benchmark.md").read_text(encoding="utf-8")
    assert markdown.strip() in result.stdout
    assert f"| gaussian | {rows[1]['psnr']:.2f} |" in markdown
    assert "DnCNN-S (quoted, Zhang et al. 2017) | 30.44" in markdown
    assert sum("set12 sigma=25" in line for line in messages(result.stderr)) == 2


def test_train_runs_a_recipe(runs: dict, workspace: Path) -> None:
    result = runs["train"]
    assert result.returncode == 0, result.stderr
    assert (workspace / "run" / "last.keras").is_file()
    assert "(finished)" in result.stdout
    run = json.loads((workspace / "run" / "run.json").read_text(encoding="utf-8"))
    assert run["trainer"] == "deepdenoise train" and run["finished"]


def test_no_tensorflow_startup_lines_reach_stderr(runs: dict, workspace: Path) -> None:
    """TensorFlow's C++ start-up logs are filtered out; the CLI's own errors still show."""
    result = runs["quiet"]
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if _TF_LOG.match(line)] == []
    first, summary = result.stderr.splitlines()
    assert first == "deepdenoise: error: missing.png does not exist"
    assert summary.startswith("deepdenoise: error: 1 of 2 inputs failed")
    assert (workspace / "outQ" / "gray8.png").is_file()  # the model did run
    assert "gray8.png -> outQ" in result.stdout
    for name, other in runs.items():  # and no other command shows them either
        if isinstance(other, subprocess.CompletedProcess):
            assert not [line for line in other.stderr.splitlines() if _TF_LOG.match(line)], name


@pytest.mark.parametrize("command", [["--help"], ["denoise", "--help"]])
def test_help_is_quiet_in_a_subprocess(command: list[str], tmp_path: Path) -> None:
    result = run_cli(*command, cwd=tmp_path, tf_log_level=None)
    assert result.returncode == 0
    assert result.stderr == ""
    assert "usage:" in result.stdout


def test_native_stderr_filter_keeps_real_errors(capfd: pytest.CaptureFixture) -> None:
    """Only start-up log lines are dropped, and descriptor 2 is restored afterwards."""
    from deepdenoise.cli import _native_stderr_filtered

    notice = b"WARNING: All log messages before absl::InitializeLog() is called are written\n"
    info = b"I0000 00:00:1796003983.256536    5645 port.cc:153] oneDNN custom operations\n"
    error = b"E0000 00:00:1796003983.256536    5645 cuda.cc:12] failed to load CUDA\n"
    with _native_stderr_filtered():
        os.write(2, notice + info + b"To enable the following instructions: AVX2\n")
        os.write(2, error + b"a real problem\n")
    os.write(2, b"after the block\n")
    err = capfd.readouterr().err
    assert err == error.decode() + "a real problem\nafter the block\n"


def test_native_stderr_filter_replays_when_the_import_fails(capfd: pytest.CaptureFixture) -> None:
    from deepdenoise.cli import _native_stderr_filtered

    with pytest.raises(ImportError), _native_stderr_filtered():
        os.write(2, b"libfoo.so: cannot open shared object file\n")
        raise ImportError("no libfoo")
    assert capfd.readouterr().err == "libfoo.so: cannot open shared object file\n"


# --- in-process checks of the argument handling -----------------------------------------


@pytest.mark.parametrize("command", [[], ["denoise"], ["train"], ["bench", "--sigma", "300"]])
def test_usage_errors(command: list[str], capsys: pytest.CaptureFixture) -> None:
    assert main(command) == 2
    assert "usage:" in capsys.readouterr().err


def test_help_lists_commands_and_examples(capsys: pytest.CaptureFixture) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for word in ("denoise", "train", "bench", "examples:", "0-255"):
        assert word in text


@pytest.mark.parametrize("command", ["denoise", "train", "bench"])
def test_subcommand_help(command: str, capsys: pytest.CaptureFixture) -> None:
    assert main([command, "--help"]) == 0
    assert "examples:" in capsys.readouterr().out


def test_denoise_help_is_honest_about_real_noise(capsys: pytest.CaptureFixture) -> None:
    assert main(["denoise", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for words in ("Gaussian noise", "Real camera noise differs", "spatially correlated",
                  "depends on the signal", "book/ch1_background.md", "--progress"):  # fmt: skip
        assert words in text, words


def test_version(capsys: pytest.CaptureFixture) -> None:
    import deepdenoise

    assert main(["--version"]) == 0
    assert deepdenoise.__version__ in capsys.readouterr().out


def test_bench_sigma_error_names_sigma(capsys: pytest.CaptureFixture) -> None:
    assert main(["bench", "--sigma", "15,abc"]) == 2
    assert "--sigma" in capsys.readouterr().err


def test_bench_tile_is_whole_image_unless_given(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    import deepdenoise.bench

    seen = []

    def fake_run_benchmark(*args, **kwargs):
        seen.append(kwargs["tile"])
        return []

    monkeypatch.setattr(deepdenoise.bench, "run_benchmark", fake_run_benchmark)

    def fake_write_csv(rows, path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return Path(path)

    monkeypatch.setattr(deepdenoise.bench, "write_csv", fake_write_csv)
    monkeypatch.setattr(deepdenoise.bench, "to_markdown", lambda rows: "")
    for extra in ([], ["--tile", "0"], ["--tile", "128"]):
        assert main(["bench", "--out", str(tmp_path / "r"), *extra]) == 0
    assert seen == [None, None, 128]
    assert main(["bench", "--tile", "-3"]) == 2


def test_bench_unknown_method(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    status = main(["bench", "--methods", "noisy,nope", "--out", str(tmp_path / "r")])
    assert status == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("deepdenoise: error:") and "'nope'" in line
    assert not (tmp_path / "r").exists()


def test_train_missing_config(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["train", "--config", str(tmp_path / "missing.toml")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "missing.toml" in line and "neither a file nor a shipped recipe" in line


def test_train_invalid_config(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[model\nname = ", encoding="utf-8")
    assert main(["train", "--config", str(config)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "bad.toml" in line and "TOML" in line


def test_denoise_with_a_classical_method(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "in"
    make_inputs(folder)
    status = main(
        ["denoise", str(folder / "gray8.png"), "-o", str(tmp_path / "out"), "--model", "median"]
    )
    assert status == 0
    assert "estimated" in capsys.readouterr().out
    clean = _smooth((37, 50), 0, noise=0.0)
    noisy = np.asarray(Image.open(folder / "gray8.png")) / 255
    denoised = np.asarray(Image.open(tmp_path / "out" / "gray8.png")) / 255
    assert np.mean((denoised - clean) ** 2) < np.mean((noisy - clean) ** 2)


def test_denoise_refuses_clashing_outputs(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "in"
    make_inputs(folder)
    (folder / "gray8.jpg").write_bytes((folder / "rgb8.jpg").read_bytes())
    args = [str(folder / "gray8.png"), str(folder / "gray8.jpg"), "-o", str(tmp_path / "out")]
    assert main(["denoise", *args, "--model", "gaussian", "--sigma", "10"]) == 2
    err = capsys.readouterr().err
    assert "also the output of" in err
    assert [path.name for path in (tmp_path / "out").iterdir()] == ["gray8.png"]


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["b.png", "-o", "x.png", "--model", "gaussian"], "looks like a file"),
        (["-o", "out", "--tile", "64", "--overlap", "32"], "--overlap"),
        (["-o", "out", "--model", "noisy"], "not a denoiser"),
        (["-o", "out", "--model", "missing.keras"], "missing.keras"),
    ],
)
def test_denoise_usage_problems(
    extra: list[str], match: str, tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.png").write_bytes(_png_bytes(np.zeros((8, 8), np.uint8)))
    (tmp_path / "b.png").write_bytes(_png_bytes(np.zeros((8, 8), np.uint8)))
    assert main(["denoise", "a.png", *extra]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert match in line
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.png", "b.png"]


def test_a_pretrained_model_that_cannot_load_is_not_called_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch
) -> None:
    """The cause reaches the reader (here a Keras that cannot read the file), not 'unknown'."""
    from deepdenoise import weights

    def unreadable(name: str, **_: object) -> None:
        raise ValueError(f"weights file {name}.weights.h5 was written by Keras 9.9 and cannot")

    monkeypatch.setattr(weights, "load_pretrained", unreadable)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.png").write_bytes(_png_bytes(np.zeros((8, 8), np.uint8)))
    name = weights.list_pretrained()[0]
    assert main(["denoise", "a.png", "-o", "out", "--model", name]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "cannot be loaded" in line and "Keras 9.9" in line and "unknown" not in line
    assert not (tmp_path / "out").exists()


def test_denoise_estimates_sigma_as_inference_does(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch
) -> None:
    """One sigma-estimation policy: the CLI asks deepdenoise.inference.estimate_noise_level."""
    from deepdenoise import inference

    seen = []

    def estimate(image: np.ndarray) -> float:
        seen.append(image.shape)
        return 12.34

    monkeypatch.setattr(inference, "estimate_noise_level", estimate)
    folder = tmp_path / "in"
    make_inputs(folder)
    image = str(folder / "gray8.png")
    assert main(["denoise", image, "-o", str(tmp_path / "out"), "--model", "gaussian"]) == 0
    assert seen == [(37, 50)]
    assert "sigma 12.3 estimated" in capsys.readouterr().out


def test_denoise_a_flat_image_with_a_classical_method(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A black image has no wavelet detail: sigma 0 (not NaN), raised to the filters' minimum."""
    (tmp_path / "black.png").write_bytes(_png_bytes(np.zeros((16, 16), np.uint8)))
    out = tmp_path / "out"
    assert main(["denoise", str(tmp_path / "black.png"), "-o", str(out), "--model", "tv"]) == 0
    captured = capsys.readouterr()
    assert "sigma 0.0 estimated" in captured.out and captured.err == ""
    assert not np.asarray(Image.open(out / "black.png")).any()


def test_the_cli_package_runs_as_a_module(tmp_path: Path) -> None:
    import deepdenoise

    result = subprocess.run(
        [sys.executable, "-m", "deepdenoise.cli", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and deepdenoise.__version__ in result.stdout


# --- tiles, progress and metadata of `deepdenoise denoise` -------------------------------


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from deepdenoise.models import get_model

    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    get_model("ffdnet", depth=2, width=4).save(path)
    return path


@pytest.mark.parametrize(
    ("extra", "expected"), [([], "auto"), (["--tile", "0"], None), (["--tile", "96"], 96)]
)
def test_denoise_tiles_only_when_needed_by_default(
    extra: list[str], expected: object, tmp_path: Path, tiny_model: Path, monkeypatch
) -> None:
    """The CLI passes tile="auto" (one pass unless over budget) unless --tile forces a size."""
    from deepdenoise import inference

    seen = []
    real = inference.denoise

    def spy(*args, **kwargs):
        seen.append(kwargs["tile"])
        return real(*args, **kwargs)

    monkeypatch.setattr(inference, "denoise", spy)
    (tmp_path / "a.png").write_bytes(_png_bytes((_smooth((40, 52), 5) * 255).astype(np.uint8)))
    args = ["denoise", str(tmp_path / "a.png"), "-o", str(tmp_path / "out")]
    assert main([*args, "--model", str(tiny_model), "--sigma", "20", *extra]) == 0
    assert seen == [expected]


def test_denoise_output_equals_inference(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture
) -> None:
    """The file the CLI writes is inference.denoise of the 8-bit samples, in one pass."""
    import keras

    from deepdenoise.inference import denoise

    noisy = (_smooth((37, 50, 3), 6) * 255).astype(np.uint8)
    (tmp_path / "a.png").write_bytes(_png_bytes(noisy))
    out = tmp_path / "out"
    args = [str(tmp_path / "a.png"), "-o", str(out), "--model", str(tiny_model), "--sigma", "25"]
    assert main(["denoise", *args]) == 0
    expected = denoise(keras.saving.load_model(tiny_model), noisy, 25, tile=None)
    np.testing.assert_array_equal(np.asarray(Image.open(out / "a.png")), expected)


def test_progress_bar_only_when_asked(
    tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture, monkeypatch
) -> None:
    from deepdenoise.cli import denoise as denoise_command

    monkeypatch.setattr(denoise_command, "_PROGRESS_DELAY", 0.0)  # show even quick runs
    folder = tmp_path / "in"
    folder.mkdir()
    for index in range(2):
        image = (_smooth((40, 40), index) * 255).astype(np.uint8)
        (folder / f"{index}.png").write_bytes(_png_bytes(image))
    common = ["denoise", str(folder), "--model", str(tiny_model), "--sigma", "25"]

    assert main([*common, "-o", str(tmp_path / "quiet")]) == 0  # stderr is not a terminal
    captured = capsys.readouterr()
    assert captured.err == ""
    assert len(captured.out.splitlines()) == 2

    assert main([*common, "-o", str(tmp_path / "bar"), "--progress"]) == 0
    captured = capsys.readouterr()
    assert "2/2" in captured.err and "image" in captured.err  # a Keras Progbar, in images
    assert captured.err.endswith("\r\x1b[2K")  # erased at the end
    assert "\x1b" not in captured.out and len(captured.out.splitlines()) == 2

    one = ["denoise", str(folder / "0.png"), "--model", str(tiny_model), "--sigma", "25"]
    tiles = ["--tile", "16", "--overlap", "4", "--progress"]
    assert main([*one, "-o", str(tmp_path / "tiles"), *tiles]) == 0
    err = capsys.readouterr().err  # one image: 4 x 4 tiles, in 4 batches of 4
    assert "4/4" in err and "pass" in err

    assert main([*one, "-o", str(tmp_path / "no"), "--no-progress"]) == 0
    assert capsys.readouterr().err == ""

    # On a terminal the bar needs no flag (stderr is captured here: pretend it is a TTY).
    monkeypatch.setattr(denoise_command, "_is_terminal", lambda stream: True)
    assert main([*common, "-o", str(tmp_path / "tty")]) == 0
    assert "2/2" in capsys.readouterr().err
    assert main([*common, "-o", str(tmp_path / "tty_no"), "--no-progress"]) == 0
    assert capsys.readouterr().err == ""


@functools.cache
def _icc(space: str) -> bytes:
    """A profile of ``space``, made once: its header holds the second it was made in, so
    two profiles made a second apart differ, and a test comparing them would flake."""
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile(space)).tobytes()


def _exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "EOS R5"
    exif[0x0112] = orientation
    return exif


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    import struct
    import zlib

    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def make_photos(folder: Path) -> None:
    """Photos with an ICC profile and EXIF (camera model, orientation) in each output format."""
    import tensorflow as tf

    folder.mkdir()
    srgb = _icc("sRGB")
    rgb = (_smooth((30, 40, 3), 7) * 255).astype(np.uint8)
    # JPEG, turned a quarter turn by its orientation tag: the loader turns the pixels.
    Image.fromarray(rgb).save(folder / "a.jpg", exif=_exif(6), icc_profile=srgb, quality=95)
    Image.fromarray(rgb).save(folder / "b.png", exif=_exif(3), icc_profile=srgb)
    # A 16-bit colour PNG (TensorFlow writes it; Pillow cannot) with an iCCP chunk.
    png = tf.io.encode_png((_smooth((20, 24, 3), 8) * 65535).astype(np.uint16)).numpy()
    iccp = _png_chunk(b"iCCP", b"sRGB\x00\x00" + __import__("zlib").compress(srgb))
    (folder / "c.png").write_bytes(png[:33] + iccp + png[33:])
    # A 16-bit colour TIFF, read as stored: its orientation tag stays.
    tags = [(271, "s", 0, "Canon", True), (272, "s", 0, "EOS R5", True), (274, "H", 1, 6, True)]
    rgb16 = (_smooth((22, 26, 3), 9) * 65535).astype(np.uint16)
    tifffile.imwrite(folder / "d.tif", rgb16, photometric="rgb", iccprofile=srgb, extratags=tags)


def test_denoise_keeps_exif_and_icc(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    make_photos(tmp_path / "in")
    out = tmp_path / "out"
    base = ["--model", "gaussian", "--sigma", "10"]
    assert main(["denoise", str(tmp_path / "in"), "-o", str(out), *base]) == 0
    assert (
        main(["denoise", str(tmp_path / "in" / "a.jpg"), "-o", str(tmp_path / "a.jpg"), *base])
        == 0
    )
    out_text = capsys.readouterr().out
    assert out_text.count("ICC and EXIF kept") == 4 and out_text.count("ICC kept") == 1
    srgb = _icc("sRGB")

    for path, size, orientation in (
        (out / "a.png", (30, 40), 1),  # the JPEG's pixels were turned: now upright
        (tmp_path / "a.jpg", (30, 40), 1),
        (out / "b.png", (40, 30), 1),
    ):
        with Image.open(path) as image:
            assert image.size == size, path
            assert image.info.get("icc_profile") == srgb, path
            exif = image.getexif()
            assert (exif[0x010F], exif[0x0110], exif[0x0112]) == ("Canon", "EOS R5", orientation)

    with Image.open(out / "c.png") as image:
        assert image.info.get("icc_profile") == srgb
    assert (out / "c.png").read_bytes()[24] == 16  # still 16 bits per sample

    with tifffile.TiffFile(out / "d.tif") as tif:
        page = tif.pages[0]
        assert page.dtype == np.uint16 and page.shape == (22, 26, 3)
        assert page.tags[34675].value == srgb
        assert page.tags[272].value == "EOS R5" and page.tags[274].value == 6


def test_denoise_drops_an_icc_profile_of_another_colour_space(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A gray image whose profile is RGB: writing it would make viewers misread the file."""
    rgb_profile = _icc("sRGB")
    Image.fromarray((_smooth((16, 16), 1) * 255).astype(np.uint8)).save(
        tmp_path / "g.png", icc_profile=rgb_profile
    )
    args = [str(tmp_path / "g.png"), "-o", str(tmp_path / "out"), "--model", "median"]
    assert main(["denoise", *args, "--sigma", "10"]) == 0
    assert "ICC profile (RGB) not kept: output is gray" in capsys.readouterr().out
    with Image.open(tmp_path / "out" / "g.png") as image:
        assert "icc_profile" not in image.info


# --- colour: the default model for RGB, colour models by name, 16-bit colour PNGs ---------


def test_denoise_sends_rgb_to_a_shipped_colour_model_by_default(
    tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture, tiny_manifest
) -> None:
    from deepdenoise.inference import denoise

    models = tiny_manifest({DEFAULT_MODEL: 1, "ffdnet_color": 3})
    rgb = (_smooth((30, 36, 3), 7) * 255).astype(np.uint8)
    gray = (_smooth((30, 36), 8) * 255).astype(np.uint8)
    (tmp_path / "rgb.png").write_bytes(_png_bytes(rgb))
    (tmp_path / "gray.png").write_bytes(_png_bytes(gray))
    inputs = [str(tmp_path / "rgb.png"), str(tmp_path / "gray.png")]
    assert main(["denoise", *inputs, "-o", str(tmp_path / "out"), "--sigma", "25"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "model ffdnet_color" in lines[0] and "model" not in lines[1].split("(")[1]
    expected = denoise(models["ffdnet_color"], rgb, 25, tile=None)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out" / "rgb.png")), expected)
    expected = denoise(models[DEFAULT_MODEL], gray, 25, tile=None)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out" / "gray.png")), expected)

    # By name, the gray model still denoises RGB, one channel at a time.
    args = [
        inputs[0],
        "-o",
        str(tmp_path / "gray_model"),
        "--sigma",
        "25",
        "--model",
        DEFAULT_MODEL,
    ]
    assert main(["denoise", *args]) == 0
    expected = denoise(models[DEFAULT_MODEL], rgb, 25, tile=None)
    written = np.asarray(Image.open(tmp_path / "gray_model" / "rgb.png"))
    np.testing.assert_array_equal(written, expected)


def test_denoise_colour_model_by_name_refuses_a_gray_image(
    tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture, tiny_manifest
) -> None:
    tiny_manifest({"ffdnet": 1, "ffdnet_color": 3})
    (tmp_path / "gray.png").write_bytes(_png_bytes((_smooth((20, 20), 9) * 255).astype(np.uint8)))
    args = [str(tmp_path / "gray.png"), "-o", str(tmp_path / "out"), "--model", "ffdnet_color"]
    assert main(["denoise", *args]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "gray.png" in line and "'ffdnet_color'" in line and "1 channel" in line
    assert not (tmp_path / "out" / "gray.png").exists()


@pytest.mark.parametrize("channels", [3, 1])
def test_denoise_keeps_16_bit_colour_pngs(tmp_path: Path, channels: int) -> None:
    """A 16-bit RGB PNG comes out 16-bit RGB, through a colour model or a gray one per channel."""
    import keras

    from deepdenoise.data import load_image, save_image
    from deepdenoise.data.images import png_header
    from deepdenoise.inference import denoise
    from deepdenoise.models import get_model

    keras.utils.set_random_seed(3)
    model = get_model("ffdnet", depth=2, width=4, channels=channels)
    model.save(tmp_path / "tiny.keras")
    samples = (_smooth((26, 30, 3), 10) * 65535).astype(np.uint16)
    save_image(tmp_path / "deep.png", samples)
    assert png_header(tmp_path / "deep.png").bit_depth == 16
    args = [str(tmp_path / "deep.png"), "-o", str(tmp_path / "out"), "--sigma", "20"]
    assert main(["denoise", *args, "--model", str(tmp_path / "tiny.keras")]) == 0
    header = png_header(tmp_path / "out" / "deep.png")
    assert (header.bit_depth, header.colour_type) == (16, 2)  # 16-bit RGB
    written = np.rint(load_image(tmp_path / "out" / "deep.png") * 65535).astype(np.uint16)
    np.testing.assert_array_equal(written, denoise(model, samples, 20, tile=None))
    assert np.any(written % 257), "values between the 8-bit levels: not cut to 8 bits"


def test_bench_merge_keeps_other_rows_and_replaces_the_same_measurement(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import deepdenoise.bench
    from deepdenoise.bench import write_csv

    def row(method: str, sigma: float, psnr: float, protocol: str = "float") -> dict:
        return dict(
            dataset="set12", sigma=sigma, method=method, psnr=psnr, ssim=0.5,
            seconds_per_image=0.1, megapixels_per_second=1.0, n_images=12, seed=0,
            protocol=protocol,
        )  # fmt: skip

    out = tmp_path / "r"
    write_csv([row("tv", 25.0, 28.0), row("bm3d", 25.0, 30.0)], out / "benchmark.csv")
    new = [row("tv", 25.0, 28.5), row("tv", 25.0, 27.0, "clipped8")]
    monkeypatch.setattr(deepdenoise.bench, "run_benchmark", lambda *a, **k: new)
    assert main(["bench", "--methods", "tv", "--sigma", "25", "--out", str(out), "--merge"]) == 0
    rows = read_csv(out / "benchmark.csv")
    assert [(r["method"], r["protocol"], r["psnr"]) for r in rows] == [
        ("tv", "float", 28.5),
        ("bm3d", "float", 30.0),
        ("tv", "clipped8", 27.0),
    ]
    # without --merge the folder holds this run alone
    assert main(["bench", "--methods", "tv", "--sigma", "25", "--out", str(out)]) == 0
    assert len(read_csv(out / "benchmark.csv")) == 2


def test_bench_merge_refuses_a_file_that_is_not_a_benchmark_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "r"
    out.mkdir()
    (out / "benchmark.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["bench", "--methods", "noisy", "--out", str(out), "--merge"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "--merge" in line and "benchmark.csv" in line and "missing columns" in line
    assert (out / "benchmark.csv").read_text(encoding="utf-8") == "a,b\n1,2\n"
