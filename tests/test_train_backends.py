"""The one trainer on TensorFlow and on JAX: same batches, same losses, resumable, data-parallel.

Each run is a fresh process (tests/train_probe.py) with ``KERAS_BACKEND`` set;
under JAX, importing TensorFlow fails there, as on a GPU machine with JAX only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from test_train_recipe import TINY, write_recipe

PROBE = Path(__file__).with_name("train_probe.py")
pytest.importorskip("jax")

# Six steps of a tiny FFDNet on 2 devices' worth of batch (4 patches), two epochs.
RECIPE = {
    **TINY,
    "data": {**TINY["data"], "batch_size": 4, "val_images": 1},
    "train": {"steps": 6, "steps_per_epoch": 3, "seed": 3},
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("backends")
    write_recipe(folder, RECIPE, "tiny.toml")
    from deepdenoise.models import get_model

    # One start for every run: the backends' random initialisers differ.
    get_model("ffdnet", **{k: v for k, v in TINY["model"].items() if k != "name"}).save_weights(
        folder / "init.weights.h5"
    )
    return folder


@cache
def _probe(folder: Path, backend: str, mode: str, *extra: str) -> dict[str, np.ndarray]:
    name = "-".join((backend, mode, *extra)).replace("--", "")
    workdir, out = folder / name, folder / f"{name}.npz"
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, str(PROBE), mode, str(folder / "tiny.toml"), str(workdir), str(out)]
    command += ["--init", str(folder / "init.weights.h5"), *extra]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    with np.load(out) as arrays:
        loaded = dict(arrays)
    loaded["run"] = json.loads((workdir / "run.json").read_text())  # type: ignore[assignment]
    return loaded


def probe(folder: Path, backend: str, mode: str, *extra: str) -> dict[str, np.ndarray]:
    return _probe(folder, backend, mode, *extra)


def weights(result: dict[str, np.ndarray]) -> list[np.ndarray]:
    return [result[f"weight_{i}"] for i in range(sum(k.startswith("weight_") for k in result))]


def test_jax_training_imports_no_tensorflow(folder: Path) -> None:
    result = probe(folder, "jax", "train")
    assert not bool(result["tensorflow_imported"])
    assert int(result["steps"]) == RECIPE["train"]["steps"]
    session = result["run"]["sessions"][-1]  # type: ignore[index]
    assert session["backend"] == "jax"


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_train_step_receives_the_samplers_batches(folder: Path, backend: str) -> None:
    from deepdenoise.train import plan_run

    result = probe(folder, backend, "batches")
    sampler = plan_run(folder / "tiny.toml", workdir=folder / "unused").sampler()
    steps = RECIPE["train"]["steps"]
    assert sum(key.startswith("clean_") for key in result) == steps
    for k in range(steps):
        (noisy, level_map), clean = sampler.batch(k)
        np.testing.assert_array_equal(result[f"clean_{k}"], clean)
        np.testing.assert_array_equal(result[f"noisy_{k}"], noisy)
        np.testing.assert_array_equal(result[f"map_{k}"], level_map)


def test_tensorflow_and_jax_give_the_same_losses_and_weights(folder: Path) -> None:
    tf_run, jax_run = probe(folder, "tensorflow", "train"), probe(folder, "jax", "train")
    # Measured: the losses agree to about 1e-7 relative; float32 sums in another order.
    np.testing.assert_allclose(tf_run["loss"], jax_run["loss"], rtol=1e-4)
    for a, b in zip(weights(tf_run), weights(jax_run), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert not np.allclose(weights(tf_run)[0], _initial(folder)[0]), "training changed nothing"


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_resumed_run_reaches_the_uninterrupted_weights(folder: Path, backend: str) -> None:
    whole, resumed = probe(folder, backend, "train"), probe(folder, backend, "interrupted")
    assert len(resumed["run"]["sessions"]) == 2  # type: ignore[index]
    np.testing.assert_allclose(whole["loss"], resumed["loss"], rtol=1e-6)
    for a, b in zip(weights(whole), weights(resumed), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_data_parallel_on_two_devices_matches_one(folder: Path, backend: str) -> None:
    one, two = probe(folder, backend, "train"), probe(folder, backend, "train", "--devices", "2")
    assert len(two["run"]["sessions"][-1]["devices"]) == 2  # type: ignore[index]
    np.testing.assert_allclose(one["loss"], two["loss"], rtol=1e-4)
    for a, b in zip(weights(one), weights(two), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def _initial(folder: Path) -> list[np.ndarray]:
    from deepdenoise.models import get_model

    model = get_model("ffdnet", **{k: v for k, v in TINY["model"].items() if k != "name"})
    model.load_weights(folder / "init.weights.h5")
    return model.get_weights()
