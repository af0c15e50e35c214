"""Tests for deepdenoise.train.metrics.PSNRMetric: the per-image PSNR during Keras training."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

import deepdenoise.train
from deepdenoise.metrics import psnr
from deepdenoise.noise import add_gaussian_noise
from deepdenoise.train.metrics import PSNRMetric


def test_psnr_metric_is_mean_of_per_image_psnr() -> None:
    rng = np.random.default_rng(0)
    clean = rng.uniform(size=(5, 16, 16, 1)).astype(np.float32)
    sigmas = [5, 10, 25, 50, 75]
    noisy = np.stack(
        [add_gaussian_noise(c, s, seed=s) for c, s in zip(clean, sigmas, strict=True)]
    )
    metric = PSNRMetric()
    metric.update_state(clean[:2], noisy[:2])
    metric.update_state(clean[2:], noisy[2:])
    per_image = [psnr(c, n) for c, n in zip(clean, noisy, strict=True)]
    assert float(metric.result()) == pytest.approx(np.mean(per_image), abs=1e-3)
    # ... which is not the PSNR of the pooled MSE, nor the mean of per-batch PSNRs.
    assert abs(float(metric.result()) - psnr(clean.reshape(-1, 16), noisy.reshape(-1, 16))) > 0.5
    metric.reset_state()
    assert float(metric.result()) == 0.0


def test_psnr_metric_sample_weight_and_data_range() -> None:
    clean = np.zeros((2, 8, 8, 1), np.float32)
    noisy = np.stack([np.full((8, 8, 1), 0.1), np.full((8, 8, 1), 0.01)]).astype(np.float32)
    metric = PSNRMetric()
    metric.update_state(clean, noisy, sample_weight=np.array([1.0, 3.0]))
    assert float(metric.result()) == pytest.approx((20 + 3 * 40) / 4, abs=1e-3)
    scaled = PSNRMetric(data_range=255.0)
    scaled.update_state(clean * 255, noisy * 255)
    assert float(scaled.result()) == pytest.approx(30.0, abs=1e-3)


@pytest.mark.parametrize(
    ("data_range", "error"), [(0, ValueError), (-3.0, ValueError), ("a", TypeError)]
)
def test_psnr_metric_bad_data_range(data_range: object, error: type) -> None:
    with pytest.raises(error, match="data_range"):
        PSNRMetric(data_range=data_range)


def test_psnr_metric_serialization_roundtrip() -> None:
    metric = PSNRMetric(name="val_quality", data_range=2.0)
    config = keras.saving.serialize_keras_object(metric)
    assert config["registered_name"] == "deepdenoise>PSNRMetric"
    restored = keras.saving.deserialize_keras_object(config)
    assert isinstance(restored, PSNRMetric)
    assert restored.name == "val_quality" and restored.data_range == 2.0


def test_psnr_metric_in_fit_and_evaluate() -> None:
    """In model.compile: evaluate reports the mean over images of the per-image PSNR."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    clean = rng.uniform(0.2, 0.8, size=(10, 8, 8, 1)).astype(np.float32)
    sigmas = np.linspace(5, 75, 10)  # very different per-image PSNRs
    noisy = np.stack(
        [
            add_gaussian_noise(c, s, seed=i)
            for i, (c, s) in enumerate(zip(clean, sigmas, strict=True))
        ]
    )
    # Residual model starting at the identity, so per-image PSNRs stay far apart.
    inputs = keras.Input((None, None, 1))
    correction = keras.layers.Conv2D(1, 3, padding="same", kernel_initializer="zeros")(inputs)
    outputs = keras.layers.Add()([inputs, correction])
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", metrics=[PSNRMetric()])
    history = model.fit(noisy, clean, batch_size=4, epochs=2, verbose=0)
    assert len(history.history["psnr"]) == 2
    assert np.all(np.isfinite(history.history["psnr"]))
    # batch_size 4 over 10 images leaves a last batch of 2: the mean must weight images,
    # not batches.
    results = model.evaluate(noisy, clean, batch_size=4, verbose=0, return_dict=True)
    predictions = model.predict(noisy, batch_size=4, verbose=0)
    expected = np.mean([psnr(c, p) for c, p in zip(clean, predictions, strict=True)])
    assert results["psnr"] == pytest.approx(expected, abs=1e-3)
    per_batch = np.mean(
        [
            np.mean(
                [psnr(c, p) for c, p in zip(clean[i : i + 4], predictions[i : i + 4], strict=True)]
            )
            for i in range(0, 10, 4)
        ]
    )
    assert abs(per_batch - expected) > 0.05  # the check above can tell the two apart


def test_exported_from_deepdenoise_train() -> None:
    assert deepdenoise.train.PSNRMetric is PSNRMetric
    assert "PSNRMetric" in deepdenoise.train.__all__


def _as_written_before_the_move(archive: Path) -> int:
    """Make a .keras file's PSNRMetric entries read as the old code wrote them; return how many.

    Before the move the class lived in ``deepdenoise.metrics`` and was registered as
    ``deepdenoise>PSNRMetric``: those two entries are set whatever the current code wrote.
    """
    with zipfile.ZipFile(archive) as source:
        members = {name: source.read(name) for name in source.namelist()}
    rewritten = 0

    def walk(node: object) -> None:
        nonlocal rewritten
        if isinstance(node, dict):
            if node.get("class_name") == "PSNRMetric":
                node["module"] = "deepdenoise.metrics"
                node["registered_name"] = "deepdenoise>PSNRMetric"
                rewritten += 1
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    config = json.loads(members["config.json"])
    walk(config)
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(archive, "w") as target:
        for name, payload in members.items():
            target.writestr(name, payload)
    return rewritten


def test_keras_file_saved_under_the_old_module_still_loads(tmp_path) -> None:
    """A .keras file written when the class lived in deepdenoise.metrics loads the new class.

    Keras finds registered classes by their registered name, ``deepdenoise>PSNRMetric``,
    which the move must keep; the file's ``module`` entry names the old home.
    """
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, keras.layers.Conv2D(1, 3, padding="same")(inputs))
    model.compile(optimizer="adam", loss="mse", metrics=[PSNRMetric(data_range=2.0)])
    x = np.random.default_rng(0).random((4, 8, 8, 1)).astype(np.float32)
    model.fit(x, x, epochs=1, verbose=0)  # builds the compiled metrics
    path = tmp_path / "old.keras"
    model.save(path)
    assert _as_written_before_the_move(path) == 1
    loaded = keras.saving.load_model(path)
    expected = model.evaluate(x, x, verbose=0, return_dict=True)
    restored = loaded.evaluate(x, x, verbose=0, return_dict=True)
    # The metric came back, with its data_range (2: 6.02 dB above the PSNR at range 1).
    assert restored["psnr"] == pytest.approx(expected["psnr"], abs=1e-4)
    unit = PSNRMetric()
    unit.update_state(x, loaded.predict(x, verbose=0))
    assert restored["psnr"] == pytest.approx(float(unit.result()) + 20 * np.log10(2), abs=1e-3)
