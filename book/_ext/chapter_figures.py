"""Sphinx extension: draw the chapters' figures from the package before the pages are read.

The figures of book/ch*.md are not committed. On ``builder-inited`` this extension
renders every entry of :data:`FIGURES` to ``book/images/generated/<name>.png`` (ignored
by git) with :mod:`deepdenoise.schematics`, so a figure always shows what the code
does now. The chapters include them with ``{figure}`` directives.

Rendering runs in a child Python process (TensorFlow stays out of the Sphinx process)
and only when needed: a stamp file holds the sha256 of the package's sources and
shipped weights and of this file, and the figures are redrawn when it differs or a
PNG is missing. Run ``python book/_ext/chapter_figures.py`` to redraw them by hand.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "deepdenoise"
OUTPUT = ROOT / "book" / "images" / "generated"
STAMP = OUTPUT / ".stamp"
DPI = 110  # modest: a figure of 8 inches is 880 pixels wide, about the page's width
SEED = 0


def _camera() -> Any:
    from deepdenoise.data import sample_images

    return sample_images(names=["camera"])["camera"]


def _noise_models() -> Any:
    from deepdenoise.schematics import plot_noise_models

    return plot_noise_models(_camera()[30:286, 120:376], sigma=25, peak=50, seed=SEED)


def _noise_against_brightness() -> Any:
    from deepdenoise.schematics import plot_noise_against_brightness

    return plot_noise_against_brightness(sigma=25, peak=50, seed=SEED)


def _convolution() -> Any:
    import numpy as np

    from deepdenoise.schematics import plot_convolution

    image = np.array(
        [
            [1, 2, 0, 3, 1, 2],
            [0, 1, 3, 2, 0, 1],
            [2, 3, 1, 0, 2, 3],
            [1, 0, 2, 3, 1, 0],
            [3, 1, 0, 1, 2, 2],
            [0, 2, 1, 3, 0, 1],
        ]
    )
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])  # responds to vertical edges
    return plot_convolution(image, sobel, position=(1, 1))


def _receptive_field() -> Any:
    import keras

    from deepdenoise.models import dncnn, ffdnet
    from deepdenoise.schematics import plot_receptive_field

    keras.utils.set_random_seed(SEED)
    models = {f"DnCNN, depth {depth}": dncnn(depth=depth, width=16) for depth in (2, 4, 8)}
    models["FFDNet-style, depth 4"] = ffdnet(depth=4, width=16)
    return plot_receptive_field(models)


def _residual_learning() -> Any:
    from deepdenoise.schematics import plot_residual_learning
    from deepdenoise.weights import load_pretrained

    clean = _camera()[60:188, 200:328]
    return plot_residual_learning(load_pretrained("dncnn25"), clean, sigma=25, seed=SEED)


def _descent_paths() -> Any:
    from deepdenoise.schematics import plot_descent_paths

    return plot_descent_paths(samples=64, batch_sizes=(64, 8, 1), learning_rate=0.15, epochs=5)


def _psnr_against_mse() -> Any:
    from deepdenoise.schematics import plot_psnr_against_mse

    return plot_psnr_against_mse(first_mse=(25 / 255) ** 2, halvings=6)


def _learning_rates() -> Any:
    from deepdenoise.schematics import plot_learning_rates

    return plot_learning_rates(factors=(0.5, 0.9, 1.1), steps=25)


def _architecture(name: str) -> Any:
    from deepdenoise.models import get_model
    from deepdenoise.schematics import plot_architecture

    return plot_architecture(get_model(name))  # the defaults: the shipped shapes


def _pixel_unshuffle() -> Any:
    from deepdenoise.schematics import plot_pixel_unshuffle

    return plot_pixel_unshuffle(4, block_size=2)


def _tiles() -> Any:
    from deepdenoise.inference import estimate_receptive_field
    from deepdenoise.schematics import plot_tile_layout
    from deepdenoise.weights import load_pretrained

    overlap = estimate_receptive_field(load_pretrained("ffdnet"))
    return plot_tile_layout(_camera(), tile=224, overlap=overlap)


def _blind_spot() -> Any:
    from deepdenoise.noise import add_gaussian_noise
    from deepdenoise.schematics import plot_blind_spot

    patch = add_gaussian_noise(_camera()[200:216, 240:256], 25, seed=SEED)
    return plot_blind_spot(patch, fraction=0.1, radius=2, seed=SEED)


def _unet() -> Any:
    from deepdenoise.schematics import plot_unet

    return plot_unet((64, 128, 256, 512), blocks=4)


def _noisy_psnr() -> Any:
    from deepdenoise.schematics import plot_noisy_psnr

    return plot_noisy_psnr(_camera(), seed=SEED)


def _opponent_channels() -> Any:
    from deepdenoise.data import sample_images
    from deepdenoise.schematics import plot_opponent_channels

    return plot_opponent_channels(sample_images(names=["chelsea"])["chelsea"], seed=SEED)


def _batch_norm_lag() -> Any:
    from deepdenoise.schematics import plot_batch_norm_lag

    return plot_batch_norm_lag(steps=300, mark=(100, 240))


#: File name (without .png) -> function that draws it. Chapters refer to these names.
FIGURES: dict[str, Callable[[], Any]] = {
    "ch1_noise_models": _noise_models,
    "ch1_noise_against_brightness": _noise_against_brightness,
    "ch2_convolution": _convolution,
    "ch2_receptive_field": _receptive_field,
    "ch2_residual_learning": _residual_learning,
    "ch3_descent_paths": _descent_paths,
    "ch3_psnr_against_mse": _psnr_against_mse,
    "ch3_learning_rates": _learning_rates,
    "ch4_dncnn": lambda: _architecture("dncnn"),
    "ch4_ffdnet": lambda: _architecture("ffdnet"),
    "ch4_pixel_unshuffle": _pixel_unshuffle,
    "ch4_tiles": _tiles,
    "ch4_opponent_channels": _opponent_channels,
    "ch5_blind_spot": _blind_spot,
    "ch5_unet": _unet,
    "ch6_noisy_psnr": _noisy_psnr,
    "ch6_batch_norm_lag": _batch_norm_lag,
}


def source_hash() -> str:
    """sha256 of everything a figure depends on: package sources, shipped weights, this file."""
    digest = hashlib.sha256()
    inputs = sorted(PACKAGE.rglob("*.py")) + sorted((PACKAGE / "weights").glob("*"))
    for path in [Path(__file__).resolve(), *inputs]:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def up_to_date() -> bool:
    """True when every figure exists and was drawn from the current sources."""
    if not STAMP.is_file() or STAMP.read_text(encoding="utf-8").strip() != source_hash():
        return False
    return all((OUTPUT / f"{name}.png").is_file() for name in FIGURES)


def render_all(output: Path = OUTPUT) -> list[Path]:
    """Draw every figure of :data:`FIGURES` into ``output``; return the files written."""
    from deepdenoise._io import atomic_path, atomic_write

    output.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in FIGURES.items():
        figure = draw()
        target = output / f"{name}.png"
        with atomic_path(target, suffix=".png") as temporary:
            figure.savefig(
                temporary, dpi=DPI, facecolor="white", bbox_inches="tight", pad_inches=0.08
            )
        written.append(target)
    if output == OUTPUT:
        atomic_write(STAMP, source_hash() + "\n")
    return written


def render_figures(app: Any) -> None:
    """``builder-inited``: redraw the figures in a child process when they are out of date."""
    from sphinx.errors import ExtensionError
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    if up_to_date():
        logger.info("chapter_figures: %d figures up to date", len(FIGURES))
        return
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve())],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise ExtensionError(
            f"chapter_figures: drawing the figures failed:\n{result.stderr[-4000:]}"
        )
    logger.info(
        "chapter_figures: drew %d figures in %.1f s", len(FIGURES), time.monotonic() - start
    )


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", render_figures)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    for path in render_all():
        print(path.relative_to(ROOT))
