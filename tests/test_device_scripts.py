"""The prepared GPU-machine script, training/device/train.sh, checked on this CPU.

On the GPU machine it installs carried wheels first; here the project's venv has
them, so ``SKIP_WHEELS`` leaves that step out and ``PYTHON`` names this interpreter.
The rest is what runs there: Keras on JAX, ``deepdenoise train`` with a time
budget, and the files that resuming needs copied to ``$OUT``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deepdenoise.train.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "training" / "device" / "train.sh"

TINY_COLOUR_RECIPE = """\
[model]
name = "ffdnet"
depth = 2
width = 8
channels = 3

[data]
source = "cbsd432"
patch_size = 32
batch_size = 2
sigma = [0, 75]
noise_map = true
patches_per_image = 1
clipped_fraction = 0.2
val_images = 2

[train]
steps = 4
steps_per_epoch = 2
seed = 0

[output]
name = "tiny_colour"
"""


def run_script(*args: str, out: Path | None) -> subprocess.CompletedProcess:
    env = dict(os.environ, SKIP_WHEELS="1", PYTHON=sys.executable)
    env.pop("OUT", None)
    if out is not None:
        env["OUT"] = str(out)
    return subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_device_script_trains_on_jax_and_returns_what_resuming_needs(tmp_path: Path) -> None:
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(TINY_COLOUR_RECIPE)
    workdir, out = tmp_path / "run", tmp_path / "out"
    out.mkdir()

    # a budget shorter than one epoch: it stops at the first checkpoint, half way
    first = run_script(str(recipe), str(workdir), "0.01", out=out)
    assert first.returncode == 0, first.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == [
        "history.csv",
        "latest.weights.h5",
        "run.json",
        "training_metadata.json",
    ]
    record = json.loads((out / "run.json").read_text())
    assert record["steps"] == 2 and not record["finished"], record
    assert record["sessions"][-1]["backend"] == "jax"

    # the same command goes on from the checkpoint to the end of the recipe
    second = run_script(str(recipe), str(workdir), "600", out=None)
    assert second.returncode == 0, second.stderr[-2000:]
    record = json.loads((workdir / "run.json").read_text())
    assert record["steps"] == 4 and record["finished"], record
    assert [s["start_step"] for s in record["sessions"]] == [0, 2]


def test_device_script_names_its_arguments_when_some_are_missing() -> None:
    result = run_script("only-a-recipe.toml", out=None)
    assert result.returncode == 2
    assert "usage: bash training/device/train.sh RECIPE WORKDIR SECONDS" in result.stderr


@pytest.mark.parametrize("name", ["ffdnet_color_joint.toml"])
def test_gpu_recipe_is_a_joint_colour_model_never_shown_the_test_sets(name: str) -> None:
    recipe = load_recipe(ROOT / "training" / "recipes" / name)
    assert recipe.model == "ffdnet" and recipe.model_kwargs["channels"] == 3
    assert recipe.data.source == "cbsd432" and recipe.data.sigma == (0.0, 75.0)
    assert recipe.epochs * recipe.train.steps_per_epoch == recipe.train.steps
