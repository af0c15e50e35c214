"""Train a recipe's model on an accelerator with Keras 3 and the JAX backend.

``deepdenoise train --config`` feeds Keras through ``tf.data``, which needs
TensorFlow. A machine with a GPU but no TensorFlow (JAX only) runs this
script instead: the same recipe file, the same model builder, the same patch
sampling and noise model, written in numpy so that no TensorFlow is needed.
The step count is fitted to a wall-clock budget and written to the run log,
and the cosine learning-rate schedule is laid over that count.

Run it with::

    KERAS_BACKEND=jax python training/train_accelerated.py \\
        --config configs/ffdnet.toml --train-dir path/to/train400 \\
        --budget-s 450 --out runs/ffdnet

It writes ``OUT/NAME.keras`` (loadable under TensorFlow too) and
``OUT/run.json``. Sigma is on the 0-255 scale.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tomllib
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from deepdenoise.models import get_model


def load_gray_folder(folder: Path) -> np.ndarray:
    """Read every PNG of ``folder`` (sorted) into a float32 stack in [0, 1]."""
    files = sorted(folder.glob("*.png"))
    if not files:
        raise ValueError(f"--train-dir {folder} holds no PNG file")
    return np.stack([np.asarray(Image.open(f).convert("L"), np.float32) / 255 for f in files])


def sample_batch(images, batch, patch, sigma, rng):
    """Random patches with the 8 flips/rotations and per-patch Gaussian noise."""
    n, h, w = images.shape
    idx = rng.integers(0, n, batch)
    ys = rng.integers(0, h - patch + 1, batch)
    xs = rng.integers(0, w - patch + 1, batch)
    rows = ys[:, None] + np.arange(patch)[None, :]
    cols = xs[:, None] + np.arange(patch)[None, :]
    clean = images[idx[:, None, None], rows[:, :, None], cols[:, None, :]]
    modes = rng.integers(0, 8, batch)
    for mode in range(8):
        sel = modes == mode
        block = np.rot90(clean[sel], k=mode % 4, axes=(1, 2))
        clean[sel] = block[:, :, ::-1] if mode >= 4 else block
    clean = clean[..., None]
    if isinstance(sigma, (list, tuple)):
        levels = rng.uniform(sigma[0], sigma[1], (batch, 1, 1, 1)).astype(np.float32)
    else:
        levels = np.full((batch, 1, 1, 1), float(sigma), np.float32)
    noisy = clean + rng.standard_normal(clean.shape).astype(np.float32) * levels / 255
    return noisy, np.broadcast_to(levels / 255, clean.shape).copy(), clean


class Patches(keras.utils.PyDataset):
    """One epoch of freshly drawn batches, seeded by (seed, epoch, batch index)."""

    def __init__(self, images, steps, batch, patch, sigma, noise_map, seed, **kwargs):
        super().__init__(**kwargs)
        self.images, self.steps, self.batch, self.patch = images, steps, batch, patch
        self.sigma, self.noise_map, self.seed, self.epoch = sigma, noise_map, seed, 0

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        rng = np.random.default_rng([self.seed, self.epoch, index])
        noisy, level_map, clean = sample_batch(
            self.images, self.batch, self.patch, self.sigma, rng
        )
        return ((noisy, level_map) if self.noise_map else noisy), clean


def describe_device() -> str:
    devices = keras.distribution.list_devices()
    try:
        import jax

        kind = jax.devices()[0].device_kind
    except Exception:
        kind = devices[0]
    return f"{platform.machine()}, {kind}, keras {keras.__version__} ({keras.backend.backend()})"


def psnr_of(model, images, sigma, noise_map, seed=0):
    rng = np.random.default_rng(seed)
    scores = []
    for image in images:
        clean = image[None, ..., None]
        noisy = clean + rng.standard_normal(clean.shape).astype(np.float32) * sigma / 255
        inputs = (noisy, np.full_like(noisy, sigma / 255)) if noise_map else noisy
        out = np.asarray(model(inputs, training=False))
        scores.append(10 * np.log10(1 / np.mean((out - clean) ** 2)))
    return float(np.mean(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--train-dir", type=Path, required=True)
    parser.add_argument("--budget-s", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument(
        "--init", type=Path, default=None, help="start from this .keras model (a later stage)"
    )
    parser.add_argument(
        "--learning-rate", type=float, default=None, help="peak rate; the recipe's by default"
    )
    parser.add_argument("--workers", type=int, default=8, help="threads that draw batches")
    args = parser.parse_args()

    recipe = tomllib.loads(args.config.read_text())
    model_kw = dict(recipe["model"])
    name = model_kw.pop("name")
    data = recipe["data"]
    batch = args.batch_size or data["batch_size"]
    patch, sigma, noise_map = data["patch_size"], data["sigma"], data["noise_map"]
    seed = recipe["train"]["seed"]
    peak = args.learning_rate or recipe["optimizer"]["learning_rate"]
    steps_per_epoch = recipe["train"]["steps_per_epoch"]

    images = load_gray_folder(args.train_dir)
    val_n = data.get("val_images", 0)
    train, val = (images[:-val_n], images[-val_n:]) if val_n else (images, images[:0])
    keras.utils.set_random_seed(seed)
    model = get_model(name, **model_kw)
    if args.init is not None:
        model.set_weights(keras.saving.load_model(args.init, compile=False).get_weights())
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=peak), loss="mse")
    patches = Patches(
        train, steps_per_epoch, batch, patch, sigma, noise_map, seed, workers=args.workers
    )
    args.out.mkdir(parents=True, exist_ok=True)
    val_sigma = 25.0 if isinstance(sigma, list) else float(sigma)
    done = {"epochs": 0}

    def run_epoch(learning_rate: float) -> None:
        # The learning rate is set between fit calls: under JAX, Keras keeps the
        # optimizer state inside the compiled step during an epoch.
        model.optimizer.learning_rate.assign(learning_rate)
        patches.epoch = done["epochs"]
        model.fit(patches, epochs=1, verbose=0)
        done["epochs"] += 1

    start = time.perf_counter()
    run_epoch(peak)  # compile and warm up
    warm = time.perf_counter()
    run_epoch(peak)
    per_step = (time.perf_counter() - warm) / steps_per_epoch
    left = args.budget_s - (time.perf_counter() - start)
    epochs = max(int(left / per_step) // steps_per_epoch, 1)
    print(f"{name}: {per_step * 1e3:.1f} ms/step, {epochs} more epochs", flush=True)
    history = []
    for epoch in range(epochs):
        run_epoch(peak * 0.5 * (1 + math.cos(math.pi * epoch / epochs)))
        if (epoch + 1) % max(epochs // 10, 1) == 0 or epoch == epochs - 1:
            val_psnr = psnr_of(model, val, val_sigma, noise_map)
            steps = done["epochs"] * steps_per_epoch
            history.append({"step": steps, "val_psnr": val_psnr})
            print(f"{name}: step {steps} val PSNR {val_psnr:.2f} dB", flush=True)
            model.save(args.out / f"{name}.keras")
    wall = time.perf_counter() - start
    run = {
        "recipe": recipe,
        "recipe_file": str(args.config),
        "batch_size": batch,
        "init": None if args.init is None else str(args.init),
        "peak_learning_rate": peak,
        "steps": done["epochs"] * steps_per_epoch,
        "wall_time_s": wall,
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "machine": describe_device(),
        "val_sigma": val_sigma,
        "history": history,
    }
    (args.out / "run.json").write_text(json.dumps(run, indent=2))


if __name__ == "__main__":
    main()
