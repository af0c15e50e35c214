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
    register_weights,
    sha256_file,
)

ENTRY_KEYS = {
    "file",
    "sha256",
    "architecture",
    "config",
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
    for name, entry in data["models"].items():
        assert ENTRY_KEYS <= set(entry), name
        path = weights.DEFAULT_MANIFEST.parent / entry["file"]
        assert sha256_file(path) == entry["sha256"], name
    assert list_pretrained() == sorted(data["models"])


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
    assert copied.is_file() and entry["sha256"] == sha256_file(path) == sha256_file(copied)
    assert entry["architecture"] == "ffdnet"
    assert entry["config"]["params"] == model.count_params()
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
    register(path, manifest, "b", config={"depth": 2, "width": 4})
    register(path, manifest, "a", steps=20)
    assert list_pretrained(manifest_path=manifest) == ["a", "b"]
    assert pretrained_entry("a", manifest_path=manifest)["steps"] == 20
    assert pretrained_entry("b", manifest_path=manifest)["config"] == {"depth": 2, "width": 4}
    assert not [p for p in manifest.parent.iterdir() if p.suffix == ".tmp"]


def test_config_rebuilds_the_architecture(saved_model, manifest):
    path, model = saved_model
    entry = register(path, manifest, config={"depth": 2, "width": 4})
    rebuilt = get_model(entry["architecture"], **entry["config"])
    assert rebuilt.count_params() == model.count_params()


def test_separate_weights_dir(saved_model, tmp_path):
    path, _ = saved_model
    manifest_path, folder = tmp_path / "m" / "manifest.json", tmp_path / "w"
    register(path, manifest_path, weights_dir=folder)
    assert (folder / "tiny.keras").is_file()
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
        get_model("ffdnet", depth=2, width=4).save(target)
    with pytest.raises(ValueError, match="sha256") as info:
        load_pretrained("tiny", manifest_path=manifest)
    assert str(target) in str(info.value)
    assert "does not match" in str(info.value)


def test_missing_weights_file(saved_model, manifest):
    path, _ = saved_model
    entry = register(path, manifest)
    (manifest.parent / entry["file"]).unlink()
    with pytest.raises(FileNotFoundError, match=r"tiny\.keras"):
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
    path.write_text(json.dumps({"models": {"x": {"file": "x.keras"}}}))
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
    ],
)
def test_register_rejects_bad_arguments(saved_model, manifest, name, overrides, argument):
    path, _ = saved_model
    with pytest.raises(ValueError, match=argument):
        register(path, manifest, name, **overrides)
    assert not manifest.exists()


def test_register_rejects_missing_or_unloadable_model(tmp_path, manifest):
    with pytest.raises(FileNotFoundError, match="model_path"):
        register(tmp_path / "absent.keras", manifest)
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="model_path"):
        register(junk, manifest)
    assert not manifest.exists()
