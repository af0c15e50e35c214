"""Manifest handling, sha256 checks and registration of pretrained weights."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import keras
import numpy as np
import pytest

from deepdenoise import weights
from deepdenoise.models import get_model, model_info
from deepdenoise.weights import (
    list_pretrained,
    load_pretrained,
    pretrained_entry,
    read_manifest,
    register_weights,
    sha256_file,
    write_manifest,
)

# The models the package ships: every check over the manifest must cover at least these,
# so that an empty (or emptied) manifest fails instead of passing without checking anything.
SHIPPED = {"ffdnet", "ffdnet15", "dncnn25", "ffdnet_color"}

ENTRY_KEYS = {
    "file",
    "sha256",
    "architecture",
    "config",
    "info",
    "keras_version",
    "recipe",
    "steps",
    "wall_time_s",
    "machine",
    "results",
}


@pytest.fixture()
def saved_model(tmp_path: Path) -> tuple[Path, keras.Model]:
    model = get_model("ffdnet", depth=2, width=4)
    rng = np.random.default_rng(0)
    for variable in model.weights:
        variable.assign(rng.normal(0, 0.1, size=variable.shape).astype(np.float32))
    path = tmp_path / "trained" / "model.keras"
    path.parent.mkdir()
    model.save(path)
    return path, model


@pytest.fixture()
def manifest(tmp_path: Path) -> Path:
    return tmp_path / "weights" / "manifest.json"


def register(path: Path, manifest: Path, name: str = "tiny", **overrides) -> dict:
    options = {
        "config": {"depth": 2, "width": 4},
        "recipe": {"sigma": [0, 75], "patch_size": 16},
        "steps": 10,
        "wall_time_s": 1.5,
        "results": {"set12_sigma25_psnr": 20.0},
        "manifest_path": manifest,
    }
    return register_weights(path, name, **{**options, **overrides})


def test_shipped_manifest_is_valid_and_its_files_match():
    data = json.loads(weights.DEFAULT_MANIFEST.read_text())
    assert isinstance(data["models"], dict)
    checked = set()
    for name, entry in data["models"].items():
        assert ENTRY_KEYS <= set(entry), name
        assert entry["file"] == f"{name}{weights.WEIGHTS_SUFFIX}", name
        path = weights.DEFAULT_MANIFEST.parent / entry["file"]
        assert sha256_file(path) == entry["sha256"], name
        # The config is the recipe's own model table, so the recipe rebuilds the network.
        # `deepdenoise train --register` stores the recipe itself and the run log beside it
        # ("training"); the 0.2.0 entries, from a retired script, nest it under "recipe".
        recipe = entry["recipe"] if "training" in entry else entry["recipe"]["recipe"]
        model_table = dict(recipe["model"])
        assert model_table.pop("name") == entry["architecture"], name
        assert entry["config"] == model_table, name
        checked.add(name)
    assert checked >= SHIPPED, f"the loop checked only {sorted(checked)}"
    assert list_pretrained() == sorted(data["models"])
    # Weights only: nothing but .weights.h5 files and the results beside the manifest.
    folder = weights.DEFAULT_MANIFEST.parent
    assert not list(folder.glob("*.keras"))


# The union: a shipped model missing from the manifest fails here rather than vanishing
# from the parameter list.
@pytest.mark.parametrize("name", sorted(SHIPPED | set(list_pretrained())))
def test_shipped_model_rebuilds_from_its_entry_and_loads(name):
    entry = pretrained_entry(name)
    model = load_pretrained(name)
    assert model.count_params() == entry["info"]["params"]
    assert model_info(model) == {k: v for k, v in entry["info"].items() if k != "params"}


def test_sha256_file_matches_hashlib(tmp_path):
    path = tmp_path / "blob"
    payload = np.random.default_rng(0).bytes(3 << 20)  # spans several read chunks
    path.write_bytes(payload)
    assert sha256_file(path) == hashlib.sha256(payload).hexdigest()


def test_register_then_load_gives_the_same_model(saved_model, manifest):
    path, model = saved_model
    entry = register(path, manifest)
    assert set(entry) == ENTRY_KEYS
    copied = manifest.parent / entry["file"]
    assert copied.name == "tiny.weights.h5"
    assert copied.is_file() and entry["sha256"] == sha256_file(copied)
    assert entry["architecture"] == "ffdnet"
    assert entry["info"]["params"] == model.count_params()
    assert entry["keras_version"] == keras.__version__
    assert json.loads(manifest.read_text())["models"]["tiny"] == entry
    assert pretrained_entry("tiny", manifest_path=manifest) == entry
    assert list_pretrained(manifest_path=manifest) == ["tiny"]

    loaded = load_pretrained("tiny", manifest_path=manifest)
    assert model_info(loaded) == model_info(model)
    x = np.random.default_rng(1).random((1, 8, 6, 1)).astype(np.float32)
    inputs = [x, np.full_like(x, 0.1)]
    np.testing.assert_array_equal(
        loaded.predict(inputs, verbose=0), model.predict(inputs, verbose=0)
    )


def test_register_keeps_other_entries_and_replaces_same_name(saved_model, manifest):
    path, _ = saved_model
    register(path, manifest, "a")
    register(path, manifest, "b", config={"depth": 2, "width": 4, "channels": 1})
    register(path, manifest, "a", steps=20)
    assert list_pretrained(manifest_path=manifest) == ["a", "b"]
    assert pretrained_entry("a", manifest_path=manifest)["steps"] == 20
    assert pretrained_entry("b", manifest_path=manifest)["config"] == {
        "depth": 2,
        "width": 4,
        "channels": 1,
    }
    assert sorted(p.name for p in manifest.parent.iterdir()) == [
        "a.weights.h5",
        "b.weights.h5",
        "manifest.json",
    ]


def test_register_accepts_a_model_object_and_keeps_no_optimizer_state(manifest):
    model = get_model("dncnn", depth=2, width=4)
    model.compile(optimizer="adam", loss="mse")
    x = np.zeros((2, 8, 8, 1), np.float32)
    model.fit(x, x, epochs=1, verbose=0)  # the optimizer now holds moment estimates
    entry = register(model, manifest, config={"depth": 2, "width": 4})
    import h5py

    with h5py.File(manifest.parent / entry["file"]) as handle:
        stored = []
        handle.visit(stored.append)
    assert not [key for key in stored if "optimizer" in key]
    loaded = load_pretrained("tiny", manifest_path=manifest)
    assert model.get_weights(), "the comparison below must compare something"
    for a, b in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "config", [{"depth": 3, "width": 4}, {"depth": 2, "width": 8}, {"depth": 2, "wide": 4}]
)
def test_register_refuses_a_config_that_does_not_rebuild_the_model(saved_model, manifest, config):
    path, _ = saved_model
    with pytest.raises(ValueError, match="config") as info:
        register(path, manifest, config=config)
    assert "'ffdnet'" in str(info.value)
    assert not manifest.exists() and not manifest.parent.exists()


def test_unreadable_weights_name_both_keras_versions(saved_model, manifest):
    path, _ = saved_model
    entry = register(path, manifest)
    # Weights of another shape under the right hash: what a Keras that lays out the file
    # differently would meet. The message must name the writer's and the reader's Keras.
    target = manifest.parent / entry["file"]
    get_model("ffdnet", depth=3, width=4).save_weights(target)
    data = json.loads(manifest.read_text())
    data["models"]["tiny"].update(sha256=sha256_file(target), keras_version="9.9.9")
    manifest.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"Keras 9\.9\.9") as info:
        load_pretrained("tiny", manifest_path=manifest)
    assert f"installed Keras {keras.__version__}" in str(info.value)
    assert str(target) in str(info.value)


def test_config_rebuilds_the_architecture(saved_model, manifest):
    path, model = saved_model
    entry = register(path, manifest, config={"depth": 2, "width": 4})
    rebuilt = get_model(entry["architecture"], **entry["config"])
    assert rebuilt.count_params() == model.count_params()
    assert load_pretrained("tiny", manifest_path=manifest).count_params() == model.count_params()


def test_separate_weights_dir(saved_model, tmp_path):
    path, _ = saved_model
    manifest_path, folder = tmp_path / "m" / "manifest.json", tmp_path / "w"
    register(path, manifest_path, weights_dir=folder)
    assert (folder / "tiny.weights.h5").is_file()
    assert (
        load_pretrained("tiny", manifest_path=manifest_path, weights_dir=folder).name == "ffdnet"
    )


@pytest.mark.parametrize("damage", ["truncate", "flip", "replace"])
def test_corrupt_weights_are_rejected_before_loading(saved_model, manifest, damage):
    path, _ = saved_model
    entry = register(path, manifest)
    target = manifest.parent / entry["file"]
    data = target.read_bytes()
    if damage == "truncate":
        target.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        target.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    else:
        get_model("ffdnet", depth=2, width=4).save_weights(target)
    with pytest.raises(ValueError, match="sha256") as info:
        load_pretrained("tiny", manifest_path=manifest)
    assert str(target) in str(info.value)
    assert "does not match" in str(info.value)


def test_missing_weights_file(saved_model, manifest):
    path, _ = saved_model
    entry = register(path, manifest)
    (manifest.parent / entry["file"]).unlink()
    with pytest.raises(FileNotFoundError, match=r"tiny\.weights\.h5"):
        load_pretrained("tiny", manifest_path=manifest)


def test_unknown_name_lists_available(saved_model, manifest):
    path, _ = saved_model
    register(path, manifest, "ffdnet_gray")
    with pytest.raises(ValueError, match="name") as info:
        load_pretrained("dncnn_gray", manifest_path=manifest)
    assert "ffdnet_gray" in str(info.value)


def test_missing_manifest_means_no_models(tmp_path):
    assert list_pretrained(manifest_path=tmp_path / "nothing.json") == []


@pytest.mark.parametrize("text", ["{not json", '{"models": []}', "[]"])
def test_broken_manifest_is_named(tmp_path, text):
    path = tmp_path / "manifest.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="manifest"):
        list_pretrained(manifest_path=path)


def test_entry_without_hash_is_rejected(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"models": {"x": {"file": "x.weights.h5"}}}))
    with pytest.raises(ValueError, match="sha256"):
        load_pretrained("x", manifest_path=path)


@pytest.mark.parametrize(
    ("name", "overrides", "argument"),
    [
        ("../escape", {}, "name"),
        ("", {}, "name"),
        ("a/b", {}, "name"),
        ("ok", {"steps": -1}, "steps"),
        ("ok", {"steps": 1.5}, "steps"),
        ("ok", {"wall_time_s": -2.0}, "wall_time_s"),
        ("ok", {"wall_time_s": float("nan")}, "wall_time_s"),
        ("ok", {"wall_time_s": "1"}, "wall_time_s"),
        ("ok", {"results": {"psnr": object()}}, "results"),
        ("ok", {"config": None}, "config"),
        ("ok", {"config": {"depth": object()}}, "config"),
    ],
)
def test_register_rejects_bad_arguments(saved_model, manifest, name, overrides, argument):
    path, _ = saved_model
    with pytest.raises(ValueError, match=argument):
        register(path, manifest, name, **overrides)
    assert not manifest.exists()


def test_register_rejects_missing_or_unloadable_model(tmp_path, manifest):
    with pytest.raises(FileNotFoundError, match="model"):
        register(tmp_path / "absent.keras", manifest)
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="model"):
        register(junk, manifest)
    assert not manifest.exists()


# --- read_manifest / write_manifest ---------------------------------------------------


def test_read_manifest_defaults_to_the_shipped_one():
    assert read_manifest() == json.loads(weights.DEFAULT_MANIFEST.read_text())
    assert set(read_manifest()["models"]) >= SHIPPED


def test_read_manifest_of_a_missing_file_is_empty(tmp_path):
    assert read_manifest(tmp_path / "nothing.json") == {"models": {}}
    assert read_manifest(str(tmp_path / "nothing.json")) == {"models": {}}


@pytest.mark.parametrize("text", ["{not json", '{"models": []}', "[]", '{"other": {}}'])
def test_read_manifest_rejects_a_bad_file_and_names_it(tmp_path, text):
    path = tmp_path / "manifest.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"manifest\.json"):
        read_manifest(path)


def test_write_then_read_manifest_round_trips(tmp_path):
    path = tmp_path / "new" / "folder" / "manifest.json"  # the folders are created
    data = {"models": {"b": {"results": {"x": 1.5}}, "a": {"steps": 3}}, "note": "kept"}
    write_manifest(data, str(path))
    assert read_manifest(path) == data
    text = path.read_text()
    assert text.endswith("}\n") and text.index('"a"') < text.index('"b"')  # sorted keys
    assert path.stat().st_mode & 0o777 == 0o644  # readable by all, like package data
    assert sorted(p.name for p in path.parent.iterdir()) == ["manifest.json"]


def test_write_manifest_is_atomic_on_failure(tmp_path):
    """A value JSON cannot store fails the write and leaves the old file, and no temp file."""
    path = tmp_path / "manifest.json"
    write_manifest({"models": {"kept": {}}}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        write_manifest({"models": {"new": {"results": {"psnr": object()}}}}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]


@pytest.mark.parametrize("bad", [{"tiny": {}}, {"models": []}, [("models", {})]])
def test_write_manifest_refuses_what_read_manifest_would_reject(tmp_path, bad):
    path = tmp_path / "manifest.json"
    with pytest.raises(ValueError, match="'models'"):
        write_manifest(bad, path)
    assert not path.exists()


def test_manifest_helpers_are_public():
    assert {"read_manifest", "write_manifest"} <= set(weights.__all__)


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_training_record_has_one_shape_for_every_shipped_model(name):
    record = weights.training_record(name)
    entry = pretrained_entry(name)
    assert set(record) == {"trainer", "recipe", "recipe_file", "stages"}
    assert {"model", "data", "output"} <= set(record["recipe"])
    assert record["stages"], "every shipped model was trained in at least one stage"
    for stage in record["stages"]:
        assert set(stage) == {"steps", "batch_size", "peak_learning_rate", "wall_time_s", "init"}
        assert stage["steps"] > 0 and stage["batch_size"] > 0
        assert 0 < stage["peak_learning_rate"] < 1
    if "training" in entry:  # `deepdenoise train` logs one stage: the last
        assert record["stages"][0]["steps"] == entry["training"]["steps"]
    else:  # the nested GPU record's stages add up to the entry's step count
        assert sum(stage["steps"] for stage in record["stages"]) == entry["steps"]


def test_training_record_of_an_entry_without_one_is_a_clear_error(saved_model, manifest):
    path, _ = saved_model
    register(path, manifest)  # the recipe here is a bare table, not a training record
    with pytest.raises(ValueError, match="'tiny' records no training run"):
        weights.training_record("tiny", manifest_path=manifest)
    with pytest.raises(ValueError, match="pretrained models"):
        weights.training_record("nothing", manifest_path=manifest)
