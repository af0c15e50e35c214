"""Tests of deepdenoise.train.fit: resume after a kill, schedules, early stopping, strategies."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from deepdenoise.train import fit, make_schedule, read_history

# A tiny residual conv net and a fixed dataset of exactly STEPS batches, so
# that every epoch sees the same batches in the same order: an interrupted and
# resumed run must then end with the weights of an uninterrupted one.
COMMON = textwrap.dedent(
    """
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    import keras
    import tensorflow as tf
    from deepdenoise.train import fit

    STEPS = 2

    def build():
        keras.utils.set_random_seed(0)
        noisy = keras.Input((8, 8, 1))
        h = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(noisy)
        h = keras.layers.Conv2D(1, 3, padding="same")(h)
        return keras.Model(noisy, keras.layers.Subtract()([noisy, h]))

    def datasets():
        rng = np.random.default_rng(0)
        clean = rng.random((16, 8, 8, 1), dtype=np.float32)
        noisy = clean + rng.normal(0, 0.1, clean.shape).astype(np.float32)
        train = tf.data.Dataset.from_tensor_slices((noisy[:8], clean[:8])).batch(4).repeat()
        val = tf.data.Dataset.from_tensor_slices((noisy[8:], clean[8:])).batch(4)
        return train, val
    """
)

RUN = COMMON + textwrap.dedent(
    """
    workdir, epochs, kill_epoch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

    class Kill(keras.callbacks.Callback):
        # os._exit: no clean-up, no on_train_end, like a killed Colab runtime.
        # fit() runs user callbacks after the history row, before the backup.
        def on_epoch_end(self, epoch, logs=None):
            if epoch == kill_epoch:
                os._exit(17)

    train, val = datasets()
    model = build()
    history = fit(model, train, val_data=val, epochs=epochs, steps_per_epoch=STEPS,
                  learning_rate=1e-2, workdir=workdir, callbacks=[Kill()])
    reference = build()
    fit(reference, train, val_data=val, epochs=epochs, steps_per_epoch=STEPS,
        learning_rate=1e-2, workdir=workdir + "-reference")
    diff = max(float(np.max(np.abs(a - b)))
               for a, b in zip(model.get_weights(), reference.get_weights()))
    print(json.dumps({
        "trained": history.epoch,
        "iterations": int(model.optimizer.iterations),
        "max_weight_diff": diff,
    }))
    """
)


def run_script(script: str, *args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def history_epochs(workdir: Path) -> list[int]:
    with (workdir / "history.csv").open(newline="") as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


def test_resume_after_kill_loses_and_repeats_no_epoch(tmp_path: Path) -> None:
    workdir = tmp_path / "run"
    # Killed at the end of epoch 2, after its history row was written but
    # before it was backed up: epochs 0 and 1 are safe, epoch 2 must be
    # trained again, and appear once in the history.
    first = run_script(RUN, workdir, 6, 2, cwd=tmp_path)
    assert first.returncode == 17, first.stderr
    assert history_epochs(workdir) == [0, 1, 2]
    assert json.loads((workdir / "backup" / "training_metadata.json").read_text())["epoch"] == 2
    # Resumed to the end.
    second = run_script(RUN, workdir, 6, -1, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    result = json.loads(second.stdout.strip().splitlines()[-1])

    assert result["trained"] == [2, 3, 4, 5]
    assert history_epochs(workdir) == list(range(6))
    assert result["iterations"] == 6 * 2  # every epoch's updates, once
    assert result["max_weight_diff"] < 1e-5  # the same weights as without a kill
    reference = read_history(tmp_path / "run-reference")
    resumed = read_history(workdir)
    np.testing.assert_allclose(resumed["loss"], reference["loss"], rtol=1e-4)
    np.testing.assert_allclose(resumed["val_psnr"], reference["val_psnr"], rtol=1e-4)
    for name in ("last.keras", "best.keras"):
        assert (workdir / name).is_file()
    best = keras.saving.load_model(workdir / "best.keras", compile=False)
    assert len(best.get_weights()) == 4


STRATEGY = (
    textwrap.dedent(
        """
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        """
    )
    + COMMON
    + textwrap.dedent(
        """
        workdir = sys.argv[1]
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        train, val = datasets()
        built = {}
        def builder():
            built["model"] = build()
            return built["model"]
        history = fit(builder, train, val_data=val, epochs=2, steps_per_epoch=STEPS,
                      workdir=workdir + "/mirrored", strategy=strategy)
        model = built["model"]
        single = build()
        fit(single, train, val_data=val, epochs=2, steps_per_epoch=STEPS,
            workdir=workdir + "/single")
        try:
            fit(build(), train, epochs=1, steps_per_epoch=STEPS, workdir=workdir + "/bad",
                strategy=strategy)
            outside = ""
        except ValueError as error:
            outside = str(error)
        diff = max(float(np.max(np.abs(a - b)))
                   for a, b in zip(model.get_weights(), single.get_weights()))
        print(json.dumps({
            "replicas": strategy.num_replicas_in_sync,
            "variable_type": type(model.weights[0].value).__name__,
            "loss": history.history["loss"],
            "val_psnr": history.history["val_psnr"],
            "max_weight_diff": diff,
            "outside_error": outside,
        }))
        """
    )
)


def test_mirrored_strategy_on_two_cpu_devices_matches_one_device(tmp_path: Path) -> None:
    result = run_script(STRATEGY, tmp_path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["replicas"] == 2
    assert "Mirrored" in out["variable_type"]
    assert len(out["loss"]) == 2 and all(np.isfinite(out["loss"]))
    assert all(np.isfinite(out["val_psnr"]))
    # The all-reduced gradient of two half batches is the gradient of the batch.
    assert out["max_weight_diff"] < 1e-4
    assert "model" in out["outside_error"] and "strategy.scope()" in out["outside_error"]


def tiny_model(*, frozen: bool = False) -> keras.Model:
    """Residual conv net; ``frozen`` multiplies the residual by 0 so nothing can improve."""
    noisy = keras.Input((8, 8, 1))
    residual = keras.layers.Conv2D(2, 3, padding="same")(noisy)
    residual = keras.layers.Conv2D(1, 3, padding="same")(residual)
    if frozen:
        residual = keras.layers.Rescaling(0.0)(residual)
    return keras.Model(noisy, keras.layers.Subtract()([noisy, residual]))


def tiny_data(n: int = 8) -> tf.data.Dataset:
    rng = np.random.default_rng(1)
    clean = rng.random((n, 8, 8, 1), dtype=np.float32)
    noisy = clean + rng.normal(0, 0.1, clean.shape).astype(np.float32)
    return tf.data.Dataset.from_tensor_slices((noisy, clean)).batch(4).repeat()


@pytest.mark.parametrize("schedule", ["cosine", "constant"])
def test_schedule_learning_rate_at_end(tmp_path: Path, schedule: str) -> None:
    model = tiny_model()
    fit(
        model,
        tiny_data(),
        epochs=3,
        steps_per_epoch=2,
        learning_rate=1e-2,
        schedule=schedule,
        workdir=tmp_path,
    )
    final = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    logged = read_history(tmp_path)["learning_rate"]
    assert len(logged) == 3
    if schedule == "cosine":
        assert final == pytest.approx(0.0, abs=1e-9)
        assert np.all(np.diff(logged) < 0)
        assert logged[-1] == pytest.approx(0.0, abs=1e-9)
    else:
        assert final == pytest.approx(1e-2)
        np.testing.assert_allclose(logged, 1e-2)


def test_make_schedule_follows_cosine_formula() -> None:
    schedule = make_schedule(0.1, schedule="cosine", total_steps=40)
    for step in (0, 7, 20, 33, 40):
        expected = 0.05 * (1 + np.cos(np.pi * step / 40))
        assert float(schedule(step)) == pytest.approx(expected, abs=1e-7)


def test_early_stopping_stops_and_stays_stopped(tmp_path: Path) -> None:
    model = tiny_model(frozen=True)  # zero gradients: the loss never improves
    history = fit(
        model,
        tiny_data(),
        epochs=20,
        steps_per_epoch=1,
        workdir=tmp_path,
        early_stopping_patience=2,
    )
    assert history.epoch == [0, 1, 2]  # the best epoch, then `patience` without progress
    assert history_epochs(tmp_path) == [0, 1, 2]
    again = fit(
        model,
        tiny_data(),
        epochs=20,
        steps_per_epoch=1,
        workdir=tmp_path,
        early_stopping_patience=2,
    )
    assert again.epoch == []
    assert history_epochs(tmp_path) == [0, 1, 2]


def test_without_early_stopping_all_epochs_run(tmp_path: Path) -> None:
    history = fit(
        tiny_model(frozen=True), tiny_data(), epochs=5, steps_per_epoch=1, workdir=tmp_path
    )
    assert history.epoch == [0, 1, 2, 3, 4]


def test_finished_run_is_not_trained_again(tmp_path: Path) -> None:
    model = tiny_model()
    fit(model, tiny_data(), epochs=2, steps_per_epoch=2, workdir=tmp_path)
    weights = model.get_weights()
    rows = (tmp_path / "history.csv").read_text()
    fresh = tiny_model()
    history = fit(fresh, tiny_data(), epochs=2, steps_per_epoch=2, workdir=tmp_path)
    assert history.epoch == []
    assert (tmp_path / "history.csv").read_text() == rows
    for restored, trained in zip(fresh.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(restored, trained)


def test_stale_history_without_backup_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "history.csv").write_text("epoch,loss\n0,1.0\n1,0.5\n7,0.1\n")
    fit(tiny_model(), tiny_data(), epochs=2, steps_per_epoch=1, workdir=tmp_path)
    assert history_epochs(tmp_path) == [0, 1]


def test_validation_psnr_and_best_model(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    clean = rng.random((4, 8, 8, 1), dtype=np.float32)
    val = tf.data.Dataset.from_tensor_slices((clean + 0.05, clean)).batch(2)
    history = fit(
        tiny_model(), tiny_data(), val_data=val, epochs=2, steps_per_epoch=2, workdir=tmp_path
    )
    logged = read_history(tmp_path)
    assert set(history.history) >= {"loss", "psnr", "val_loss", "val_psnr", "learning_rate"}
    # PSNR of a mean-squared error e is -10 log10(e) for each image; the
    # metric averages per-image PSNR, which is at least the PSNR of the mean MSE.
    assert np.all(logged["val_psnr"] >= -10 * np.log10(logged["val_loss"]) - 1e-3)
    best = keras.saving.load_model(tmp_path / "best.keras", compile=False)
    assert best.count_params() == tiny_model().count_params()


def test_read_history_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"history\.csv"):
        read_history(tmp_path)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epochs": 0}, ValueError, "epochs"),
        ({"steps_per_epoch": 1.5}, ValueError, "steps_per_epoch"),
        ({"learning_rate": -1.0}, ValueError, "learning_rate"),
        ({"learning_rate": float("nan")}, ValueError, "learning_rate"),
        ({"schedule": "linear"}, ValueError, "schedule"),
        ({"early_stopping_patience": -1}, ValueError, "early_stopping_patience"),
        ({"validation_steps": 0}, ValueError, "validation_steps"),
        ({"verbose": 3}, ValueError, "verbose"),
        ({"callbacks": [print]}, TypeError, "callbacks"),
        ({"strategy": "mirrored"}, TypeError, "strategy"),
        ({"model": "dncnn"}, TypeError, "model"),
        ({"model": lambda: 3}, TypeError, "model"),
        ({"model": keras.Sequential([keras.layers.Dense(1)])}, ValueError, "model"),
    ],
)
def test_bad_arguments(tmp_path: Path, kwargs: dict, error: type, match: str) -> None:
    arguments = {"epochs": 1, "steps_per_epoch": 1, "workdir": tmp_path, **kwargs}
    model = arguments.pop("model", None) or tiny_model()
    with pytest.raises(error, match=match):
        fit(model, tiny_data(), **arguments)


def test_make_schedule_cosine_needs_total_steps() -> None:
    with pytest.raises(ValueError, match="total_steps"):
        make_schedule(1e-3, schedule="cosine")
