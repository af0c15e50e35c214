"""Tests of TOML training recipes (deepdenoise.train.recipe)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from deepdenoise.models import get_model, model_info
from deepdenoise.train import TEST_SETS, load_recipe, read_history, run_recipe
from deepdenoise.train.recipe import OptimizerSection

CONFIGS = Path(__file__).resolve().parents[1] / "src" / "deepdenoise" / "recipes"

TINY: dict[str, dict[str, Any]] = {
    "model": {"name": "ffdnet", "depth": 2, "width": 4},
    "data": {
        "source": "dead_leaves",
        "dead_leaves_images": 3,
        "dead_leaves_size": 32,
        "patch_size": 16,
        "batch_size": 4,
        "patches_per_image": 2,
        "sigma": [0, 50],
        "noise_map": True,
        "val_images": 1,
    },
    "optimizer": {"learning_rate": 1e-3, "schedule": "cosine"},
    "train": {"steps": 4, "steps_per_epoch": 2, "seed": 0},
    "output": {"name": "tiny"},
}


def to_toml(recipe: dict[str, dict[str, Any]]) -> str:
    """Write the simple recipes of these tests as TOML (JSON scalars are valid TOML)."""
    lines = []
    for section, table in recipe.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in table.items())
    return "\n".join(lines) + "\n"


def write_recipe(folder: Path, recipe: dict[str, dict[str, Any]], name: str = "r.toml") -> Path:
    path = folder / name
    path.write_text(to_toml(recipe))
    return path


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_configs_are_valid(path: Path) -> None:
    recipe = load_recipe(path)
    model = get_model(recipe.model, **recipe.model_kwargs)
    assert model_info(model)["needs_noise_map"] == recipe.data.noise_map
    assert recipe.data.source.lower() not in TEST_SETS
    assert recipe.epochs * recipe.train.steps_per_epoch == recipe.train.steps


@pytest.mark.parametrize(
    "path",
    sorted((CONFIGS.parents[2] / "training" / "recipes").glob("*.toml")),
    ids=lambda p: p.name,
)
def test_training_stage_recipes_are_valid(path: Path) -> None:
    """The recipes of runs under training/ (later stages, GPU runs) are checked as the shipped."""
    test_shipped_configs_are_valid(path)


def test_shipped_configs_exist() -> None:
    assert {p.name for p in CONFIGS.glob("*.toml")} >= {
        "ffdnet.toml",
        "dncnn25.toml",
        "ffdnet_color.toml",
    }


def test_colour_recipe_trains_a_colour_model_on_cbsd432() -> None:
    recipe = load_recipe("ffdnet_color")
    assert recipe.data.source == "cbsd432" and recipe.model_kwargs["channels"] == 3
    assert recipe.data.sigma == (0.0, 75.0) and recipe.data.clipped_fraction == 0.3
    assert recipe.model == "opponent_ffdnet"  # started from the gray ffdnet
    assert recipe.data.val_images == 8 and recipe.output.name == "ffdnet_color"
    assert model_info(get_model(recipe.model, **recipe.model_kwargs))["channels"] == 3


def test_load_recipe_fills_defaults(tmp_path: Path) -> None:
    recipe = copy.deepcopy(TINY)
    del recipe["optimizer"]
    del recipe["data"]["val_images"]
    loaded = load_recipe(write_recipe(tmp_path, recipe))
    assert loaded.optimizer == OptimizerSection(learning_rate=1e-3, schedule="cosine")
    assert loaded.data.val_images == 0 and loaded.data.clipped_fraction == 0.0
    assert loaded.data.sigma == (0.0, 50.0)
    assert loaded.train.early_stopping_patience is None
    # Sections also read by key, as the notebooks do; an unknown key is a KeyError.
    assert loaded.data["sigma"] == loaded.data.sigma
    with pytest.raises(KeyError):
        loaded.data["colour"]


def change(section: str, key: str, value: Any = None, *, delete: bool = False) -> Any:
    def apply(recipe: dict[str, dict[str, Any]]) -> None:
        if delete:
            del recipe[section][key]
        else:
            recipe.setdefault(section, {})[key] = value

    return apply


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (change("extra", "key", 1), r"\[extra\]"),
        (change("data", "colour", True), "data.colour"),
        (change("model", "depht", 3), "model.depht"),
        (change("model", "name", "unet"), "model.name"),
        (change("model", "name", 3), "model.name"),
        (change("model", "depth", "3"), "model.depth"),
        (change("model", "depth", 2.5), "model.depth"),
        (change("data", "patch_size", "64"), "data.patch_size"),
        (change("data", "patch_size", 0), "data.patch_size"),
        (change("data", "batch_size", True), "data.batch_size"),
        (change("data", "noise_map", "yes"), "data.noise_map"),
        (change("data", "sigma", 300), "data.sigma"),
        (change("data", "sigma", 0), "data.sigma"),
        (change("data", "sigma", [50, 10]), "data.sigma"),
        (change("data", "sigma", [0, 10, 20]), "data.sigma"),
        (change("data", "sigma", "25"), "data.sigma"),
        (change("data", "sigma", delete=True), "data.sigma"),
        (change("data", "source", "no/such/folder"), "data.source"),
        (change("data", "val_images", -1), "data.val_images"),
        (change("data", "saturation", [3, 1]), "data.saturation.*low <= high"),
        (change("data", "saturation", 0), "data.saturation"),
        (change("data", "permute_channels", 1), "data.permute_channels"),
        (change("optimizer", "learning_rate", 0), "optimizer.learning_rate"),
        (change("optimizer", "schedule", "step"), "optimizer.schedule"),
        (change("train", "steps", 5), "train.steps"),
        (change("train", "steps", delete=True), "train.steps"),
        (change("train", "seed", -1), "train.seed"),
        (change("output", "name", ""), "output.name"),
        (change("output", "name", delete=True), "output.name"),
    ],
)
def test_bad_recipe_names_key_and_file(tmp_path: Path, mutate: Any, match: str) -> None:
    recipe = copy.deepcopy(TINY)
    mutate(recipe)
    path = write_recipe(tmp_path, recipe)
    with pytest.raises(ValueError, match=re.escape(str(path))) as info:
        load_recipe(path)
    assert re.search(match, str(info.value)), str(info.value)


@pytest.mark.parametrize(
    "source",
    ["set12", "BSD68", "data/Set12", "/somewhere/bsd68", "cbsd68", "McMaster", "data/CBSD68"],
)
def test_test_sets_are_refused_as_training_data(tmp_path: Path, source: str) -> None:
    recipe = copy.deepcopy(TINY)
    recipe["data"]["source"] = source
    with pytest.raises(ValueError, match="test set"):
        load_recipe(write_recipe(tmp_path, recipe))


@pytest.mark.parametrize("missing", ["model", "data", "train", "output"])
def test_missing_section(tmp_path: Path, missing: str) -> None:
    recipe = copy.deepcopy(TINY)
    del recipe[missing]
    with pytest.raises(ValueError, match=re.escape(f"[{missing}]")):
        load_recipe(write_recipe(tmp_path, recipe))


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[model\nname = ")
    with pytest.raises(ValueError, match=r"broken\.toml"):
        load_recipe(path)
    with pytest.raises(FileNotFoundError, match=r"absent\.toml"):
        load_recipe(tmp_path / "absent.toml")


def test_run_recipe_trains_resumes_and_registers(tmp_path: Path) -> None:
    from deepdenoise.weights import list_pretrained, load_pretrained

    path = write_recipe(tmp_path, TINY)
    workdir = tmp_path / "run"
    model, returned = run_recipe(path, workdir=workdir)
    assert returned == workdir
    assert int(model.optimizer.iterations) == TINY["train"]["steps"]
    history = read_history(workdir)
    assert history["epoch"].tolist() == [0, 1]
    assert np.all(np.isfinite(history["val_psnr"]))
    run = json.loads((workdir / "run.json").read_text())
    assert run["steps"] == TINY["train"]["steps"] and run["wall_time_s"] > 0

    # A finished run is restored, not trained again; registering records it.
    manifest = tmp_path / "weights" / "manifest.json"
    again, _ = run_recipe(path, workdir=workdir, register=True, manifest_path=manifest)
    assert int(again.optimizer.iterations) == TINY["train"]["steps"]
    assert read_history(workdir)["epoch"].tolist() == [0, 1]
    for a, b in zip(model.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert list_pretrained(manifest_path=manifest) == ["tiny"]
    loaded = load_pretrained("tiny", manifest_path=manifest)
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    entry = json.loads(manifest.read_text())["models"]["tiny"]
    assert entry["steps"] == TINY["train"]["steps"]
    assert entry["config"] == {"depth": 2, "width": 4}
    assert entry["results"]["val_psnr_db"] == pytest.approx(history["val_psnr"][-1])


def test_run_recipe_max_steps_and_folder_source(tmp_path: Path) -> None:
    from deepdenoise.data import save_image

    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        save_image(images / f"{i}.png", rng.random((24, 20), dtype=np.float32))
    recipe = copy.deepcopy(TINY)
    recipe["model"] = {"name": "dncnn", "depth": 2, "width": 4, "batch_norm": False}
    recipe["data"].update(source="images", noise_map=False, sigma=25, val_images=0)
    recipe["train"].update(steps=10, steps_per_epoch=5)
    model, workdir = run_recipe(
        write_recipe(tmp_path, recipe), workdir=tmp_path / "run", max_steps=6
    )
    # Exactly max_steps, in epochs that divide it (the recipe's epoch is 5 steps).
    assert int(model.optimizer.iterations) == 6
    assert read_history(workdir)["epoch"].tolist() == [0, 1]
    assert read_history(workdir)["learning_rate"][-1] == pytest.approx(0.0, abs=1e-9)


def test_run_recipe_noise_map_must_match_model(tmp_path: Path) -> None:
    recipe = copy.deepcopy(TINY)
    recipe["data"]["noise_map"] = False
    with pytest.raises(ValueError, match="noise_map"):
        run_recipe(write_recipe(tmp_path, recipe), workdir=tmp_path / "run")


@pytest.mark.parametrize("max_steps", [0, -3, 1.5, True])
def test_run_recipe_bad_max_steps(tmp_path: Path, max_steps: Any) -> None:
    with pytest.raises(ValueError, match="max_steps"):
        run_recipe(write_recipe(tmp_path, TINY), workdir=tmp_path / "run", max_steps=max_steps)


def test_colour_recipe_on_cbsd432_trains_on_rgb_patches(tmp_path: Path, data_dir: Path) -> None:
    """A tiny colour FFDNet on the named colour set: RGB batches reach the model."""
    recipe = copy.deepcopy(TINY)
    recipe["model"]["channels"] = 3
    recipe["data"].update(source="cbsd432", patch_size=16, val_images=2)
    for key in ("dead_leaves_images", "dead_leaves_size"):
        del recipe["data"][key]
    recipe["train"] = {"steps": 2, "steps_per_epoch": 2, "seed": 0}
    model, workdir = run_recipe(write_recipe(tmp_path, recipe), workdir=tmp_path / "run")
    assert model.input_shape[0][-1] == 3 and int(model.optimizer.iterations) == 2
    assert np.isfinite(read_history(workdir)["val_psnr"][0])


def test_shipped_ffdnet_recipe_runs_one_step_on_train400(tmp_path: Path, data_dir: Path) -> None:
    model, workdir = run_recipe(CONFIGS / "ffdnet.toml", workdir=tmp_path / "run", max_steps=1)
    assert int(model.optimizer.iterations) == 1
    history = read_history(workdir)
    assert history["epoch"].tolist() == [0]
    assert np.isfinite(history["val_psnr"][0])
