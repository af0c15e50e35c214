"""The recipe trainer (deepdenoise.train.run): each key honoured or refused; run folders."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_train_recipe import TINY, write_recipe

from deepdenoise.cli import main
from deepdenoise.models import get_model
from deepdenoise.train import TrainOptions, plan_run, read_history, run_recipe
from deepdenoise.train.recipe import _SCHEMA


def digest(value: Any) -> str:
    """A hash of nested arrays/tuples/dicts, to tell two plans' data apart."""
    hasher = hashlib.sha256()

    def feed(item: Any) -> None:
        if isinstance(item, dict):
            for key in sorted(item):
                hasher.update(str(key).encode())
                feed(item[key])
        elif isinstance(item, (list, tuple)):
            hasher.update(b"[")
            for element in item:
                feed(element)
        elif isinstance(item, np.ndarray):
            hasher.update(str(item.shape).encode() + np.ascontiguousarray(item).tobytes())
        else:
            hasher.update(repr(item).encode())

    feed(value)
    return hasher.hexdigest()


def observe(plan: Any) -> dict[str, Any]:
    """What a run is made of: model, data, first batch, validation, schedule, stopping, output."""
    model = get_model(plan.model_name, **plan.model_kwargs)
    return {
        "model": (plan.model_name, model.count_params(), sorted(plan.model_kwargs.items())),
        "images": digest(plan.train_images),
        "first batch": digest(plan.sampler().batch(0)),
        "validation": digest(plan.validation()),
        "schedule": (plan.learning_rate, plan.schedule, plan.steps, plan.epochs),
        "stopping": plan.early_stopping_patience,
        "output": plan.recipe.output,
    }


# Every key of the recipe schema, and a value for it that must change the run.
# (data.noise_map is refused for this model: see test_noise_map_must_match_the_model.)
CHANGES: dict[str, Any] = {
    "model.depth": 3,
    "model.width": 8,
    "data.source": "folder",
    "data.patch_size": 12,
    "data.batch_size": 6,
    "data.sigma": 30,
    "data.patches_per_image": 1,
    "data.augment": False,
    "data.clipped_fraction": 1.0,
    "data.val_images": 2,
    "data.dead_leaves_images": 5,
    "data.dead_leaves_size": 40,
    "optimizer.learning_rate": 1e-2,
    "optimizer.schedule": "constant",
    "train.steps": 8,
    "train.steps_per_epoch": 1,
    "train.seed": 7,
    "train.early_stopping_patience": 2,
    "output.name": "other",
    "output.description": "another run",
}


# Keys that only colour training images allow: test_colour_augmentation_changes_the_batches...
COLOUR_CHANGES: dict[str, Any] = {"data.permute_channels": True, "data.saturation": [1, 3]}


def test_every_schema_key_has_a_change() -> None:
    keys = {f"{section}.{key}" for section, table in _SCHEMA.items() for key in table}
    changed = {k for k in (*CHANGES, *COLOUR_CHANGES) if not k.startswith("model.")}
    assert keys - {"data.noise_map"} == changed


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    from deepdenoise.data import save_image

    folder = tmp_path / "folder"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        save_image(folder / f"{i}.png", rng.random((40, 36), dtype=np.float32))
    return folder


@pytest.mark.parametrize("key", sorted(CHANGES))
def test_each_recipe_key_changes_the_run(tmp_path: Path, image_folder: Path, key: str) -> None:
    baseline = observe(plan_run(write_recipe(tmp_path, TINY, "base.toml"), workdir=tmp_path / "a"))
    recipe = copy.deepcopy(TINY)
    section, name = key.split(".")
    recipe[section][name] = CHANGES[key]
    changed = observe(plan_run(write_recipe(tmp_path, recipe), workdir=tmp_path / "b"))
    differing = [part for part in baseline if baseline[part] != changed[part]]
    assert differing, f"{key} = {CHANGES[key]!r} changed nothing in the run"


@pytest.mark.parametrize("key", sorted(COLOUR_CHANGES))
def test_colour_augmentation_changes_the_batches_but_not_the_validation(
    tmp_path: Path, key: str
) -> None:
    from deepdenoise.data import save_image

    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for i in range(3):
        save_image(folder / f"{i}.png", rng.random((40, 36, 3), dtype=np.float32))
    colour = copy.deepcopy(TINY)
    colour["model"]["channels"] = 3
    colour["data"] = {
        k: v for k, v in colour["data"].items() if not k.startswith("dead_leaves")
    } | {"source": str(folder)}
    baseline = observe(
        plan_run(write_recipe(tmp_path, colour, "base.toml"), workdir=tmp_path / "a")
    )
    section, name = key.split(".")
    colour[section][name] = COLOUR_CHANGES[key]
    changed = observe(plan_run(write_recipe(tmp_path, colour), workdir=tmp_path / "b"))
    assert changed["first batch"] != baseline["first batch"]
    # validation patches keep their colours: runs with and without it validate alike
    assert changed["validation"] == baseline["validation"]


def test_noise_map_must_match_the_model(tmp_path: Path) -> None:
    recipe = copy.deepcopy(TINY)
    recipe["data"]["noise_map"] = False
    with pytest.raises(ValueError, match=r"data\.noise_map = False"):
        run_recipe(write_recipe(tmp_path, recipe), workdir=tmp_path / "run")
    assert not (tmp_path / "run" / "run.json").exists(), "a failed build writes no run log"


def test_clipped_fraction_puts_noisy_patches_on_the_8_bit_grid(tmp_path: Path) -> None:
    recipe = copy.deepcopy(TINY)
    recipe["data"]["clipped_fraction"] = 1.0
    (noisy, _), _ = plan_run(write_recipe(tmp_path, recipe), workdir=tmp_path / "r").sampler()[0]
    assert noisy.min() >= 0 and noisy.max() <= 1
    np.testing.assert_allclose(noisy * 255, np.rint(noisy * 255), atol=1e-4)


@pytest.mark.parametrize("source", ["cbsd68", "McMaster", "/data/Set12"])
def test_colour_and_gray_test_sets_are_refused(tmp_path: Path, source: str) -> None:
    recipe = copy.deepcopy(TINY)
    recipe["data"]["source"] = source
    with pytest.raises(ValueError, match=r"data\.source .* is a test set"):
        plan_run(write_recipe(tmp_path, recipe), workdir=tmp_path / "r")


def test_a_run_folder_of_another_recipe_is_refused(tmp_path: Path) -> None:
    workdir = tmp_path / "run"
    run_recipe(write_recipe(tmp_path, TINY, "first.toml"), workdir=workdir, max_steps=2)
    before = {p: p.read_bytes() for p in sorted(workdir.rglob("*")) if p.is_file()}
    recipe = copy.deepcopy(TINY)
    recipe["data"]["sigma"] = 30
    with pytest.raises(ValueError, match=r"belongs to a different run .*data\.sigma was"):
        run_recipe(write_recipe(tmp_path, recipe), workdir=workdir)
    with pytest.raises(ValueError, match="batch_size was 4, now 8"):
        run_recipe(tmp_path / "first.toml", workdir=workdir, options=TrainOptions(batch_size=8))
    after = {p: p.read_bytes() for p in sorted(workdir.rglob("*")) if p.is_file()}
    assert after == before, "a refused run must leave the folder untouched"


def test_a_training_state_without_its_run_log_is_refused(tmp_path: Path) -> None:
    (tmp_path / "run" / "backup").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"backup/\) but no run\.json"):
        plan_run(write_recipe(tmp_path, TINY), workdir=tmp_path / "run")


def test_init_weights_of_another_model_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.weights.h5"
    get_model("ffdnet", depth=3, width=4).save_weights(other)
    with pytest.raises(ValueError, match=r"init weights .*other\.weights\.h5 do not fit"):
        run_recipe(
            write_recipe(tmp_path, TINY), workdir=tmp_path / "r", options=TrainOptions(init=other)
        )
    # Nothing was written, so the same folder takes the corrected run.
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())
    with pytest.raises(FileNotFoundError, match="absent"):
        TrainOptions(init=str(tmp_path / "absent.weights.h5"))


def test_init_weights_are_the_start(tmp_path: Path) -> None:
    start = get_model("ffdnet", depth=2, width=4)
    start.set_weights([w + 0.5 for w in start.get_weights()])
    start.save_weights(tmp_path / "start.weights.h5")
    recipe = copy.deepcopy(TINY)
    recipe["optimizer"]["learning_rate"] = 1e-9
    model, _ = run_recipe(
        write_recipe(tmp_path, recipe),
        workdir=tmp_path / "r",
        options=TrainOptions(init=str(tmp_path / "start.weights.h5")),
    )
    for a, b in zip(model.get_weights(), start.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"batch_size": 0}, "batch_size"),
        ({"time_budget_s": -1}, "time_budget_s"),
        ({"time_budget_s": float("nan")}, "time_budget_s"),
        ({"precision": "float16"}, "precision"),
        ({"workers": 0}, "workers"),
        ({"max_steps": 1.5}, "max_steps"),
    ],
)
def test_bad_options_are_named(options: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TrainOptions(**options)


def test_numpy_numbers_become_plain_numbers_for_the_run_log() -> None:
    options = TrainOptions(batch_size=np.int64(8), max_steps=np.int32(4), workers=np.int64(2))
    values = (options.batch_size, options.max_steps, options.workers)
    assert values == (8, 4, 2) and all(type(v) is int for v in values)
    assert json.loads(json.dumps(dataclasses.asdict(options)))["batch_size"] == 8


def test_time_budget_stops_cleanly_and_the_run_goes_on(tmp_path: Path) -> None:
    recipe = copy.deepcopy(TINY)
    recipe["train"]["steps"] = 6
    path, workdir = write_recipe(tmp_path, recipe), tmp_path / "run"
    budget = TrainOptions(time_budget_s=1e-3)  # one epoch (2 steps) per session
    run_recipe(path, workdir=workdir, options=budget)
    run = json.loads((workdir / "run.json").read_text())
    assert (run["steps"], run["finished"]) == (2, False)
    manifest = tmp_path / "weights" / "manifest.json"
    with pytest.raises(ValueError, match=r"unfinished \(4 of 6 steps\)"):
        run_recipe(path, workdir=workdir, register=True, options=budget, manifest_path=manifest)
    assert not manifest.exists()
    model, _ = run_recipe(path, workdir=workdir)
    run = json.loads((workdir / "run.json").read_text())
    assert (run["steps"], run["finished"], len(run["sessions"])) == (6, True, 3)
    assert [s["start_step"] for s in run["sessions"]] == [0, 2, 4]
    assert read_history(workdir)["epoch"].tolist() == [0, 1, 2]
    assert int(model.optimizer.iterations) == 6


def test_mixed_precision_trains_and_is_recorded(tmp_path: Path) -> None:
    import keras

    model, workdir = run_recipe(
        write_recipe(tmp_path, TINY),
        workdir=tmp_path / "run",
        options=TrainOptions(precision="mixed_bfloat16"),
    )
    assert keras.config.dtype_policy().name == "float32", "the global policy is restored"
    assert model.dtype_policy.name == "mixed_bfloat16"
    assert all(w.dtype == "float32" for w in model.weights)
    assert np.isfinite(read_history(workdir)["loss"]).all()
    session = json.loads((workdir / "run.json").read_text())["sessions"][-1]
    assert session["options"]["precision"] == "mixed_bfloat16"


def test_registered_entry_carries_the_trainers_run_log(tmp_path: Path) -> None:
    manifest = tmp_path / "weights" / "manifest.json"
    run_recipe(
        write_recipe(tmp_path, TINY),
        workdir=tmp_path / "run",
        options=TrainOptions(batch_size=2, workers=2),
        register=True,
        manifest_path=manifest,
    )
    entry = json.loads(manifest.read_text())["models"]["tiny"]
    training = entry["training"]
    assert training["trainer"] == "deepdenoise train"
    assert training["batch_size"] == 2 and training["steps"] == entry["steps"] == 4
    (session,) = training["sessions"]
    assert session["backend"] == "tensorflow" and session["options"]["workers"] == 2
    assert session["devices"] and "CPU cores" in session["machine"]


def test_cli_train_options_reach_the_run_log(tmp_path: Path, capsys: Any) -> None:
    path = write_recipe(tmp_path, TINY)
    argv = ["train", "--config", str(path), "--workdir", str(tmp_path / "run")]
    assert main([*argv, "--batch-size", "2", "--one-device", "--max-steps", "2"]) == 0
    assert "2 of 2 steps (finished)" in capsys.readouterr().out
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    options = run["sessions"][-1]["options"]
    assert (options["batch_size"], options["data_parallel"], options["max_steps"]) == (2, False, 2)
    assert main([*argv, "--time-budget", "0"]) == 2
    assert "--time-budget" in capsys.readouterr().err
