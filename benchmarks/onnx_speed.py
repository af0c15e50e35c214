"""Is onnxruntime a faster CPU engine than TensorFlow for ``deepdenoise denoise``? Measured.

Both engines run the same call the CLI makes, ``inference.denoise(model, image,
sigma)`` with the default ``tile="auto"`` (one pass for 512x512; for 2000x3000
the tiles :func:`deepdenoise.inference.auto_tile` plans for the model), on
the same padded planes and tiles: "tensorflow" as the package runs it
(``model.predict_on_batch``), "onnxruntime" with every forward pass sent
instead to an ``onnxruntime.InferenceSession`` (default session options, CPU)
of the file :func:`deepdenoise.export.export_onnx` writes. Padding, tiling
and stitching are the package's own in both, so the ratio is what the CLI
would gain.

Images: the five 512x512 images of Set12 (08-12), and one 2000x3000 image
made by mirroring Set12's 08 (``numpy.pad``, mode ``symmetric``), each with
Gaussian noise of sigma 25 (0-255 scale, seeded), as float32. After one
untimed warm-up per engine and size, each round denoises every image with
both engines, the order swapped from one call to the next, timed with
``time.perf_counter``; each figure is the **median** of an engine's timings
in this one process, so a burst of load on the machine hits both engines
alike. The largest absolute difference between the two engines' outputs is
reported too (the CLI would require 1e-4).

Run it with::

    python benchmarks/onnx_speed.py [--models ffdnet] [--repeats 3] [--large-repeats 5]
                                    [--out src/deepdenoise/weights/onnx_speed.md]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

import numpy as np
from _timing import Timing, emit, model_names

from deepdenoise import inference
from deepdenoise.data import benchmark
from deepdenoise.export import INPUT_NAMES, OUTPUT_NAME, export_onnx
from deepdenoise.weights import describe_machine, load_pretrained

SIGMA = 25.0
LARGE = (2000, 3000)
THRESHOLD = 1.3  # the speed-up that would justify a second engine in the CLI
ENGINES = ("tensorflow", "onnxruntime")


def noisy_images() -> dict[str, list[np.ndarray]]:
    """The 512x512 Set12 images and one 2000x3000 mirrored image, each with seeded noise."""
    clean = [image for _, image in benchmark("set12") if image.shape == (512, 512)]
    large = np.pad(clean[0], ((0, LARGE[0] - 512), (0, LARGE[1] - 512)), mode="symmetric").astype(
        np.float32
    )
    sizes = {"512x512": clean, f"{LARGE[0]}x{LARGE[1]}": [large]}
    return {
        size: [
            image
            + np.random.default_rng(i).standard_normal(image.shape, np.float32) * (SIGMA / 255)
            for i, image in enumerate(images)
        ]
        for size, images in sizes.items()
    }


def onnx_predict(path: Path) -> Callable[..., np.ndarray]:
    """A stand-in for ``inference._predict`` that runs the ONNX file with onnxruntime."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])

    def predict(model: object, batch: np.ndarray, sigma_map_value: float | None) -> np.ndarray:
        feed = {INPUT_NAMES[0]: np.ascontiguousarray(batch, dtype=np.float32)}
        if sigma_map_value is not None:
            feed[INPUT_NAMES[1]] = np.full((*batch.shape[:3], 1), sigma_map_value, np.float32)
        return session.run([OUTPUT_NAME], feed)[0]

    return predict


@contextlib.contextmanager
def engine(name: str, predict: Callable[..., np.ndarray]) -> Iterator[None]:
    """Run ``inference.denoise`` on ``name``'s engine inside the block."""
    if name == "tensorflow":
        yield
    else:
        with mock.patch.object(inference, "_predict", predict):
            yield


def measure(
    model_name: str, images: dict[str, list[np.ndarray]], repeats: dict[str, int], folder: Path
) -> list[dict[str, object]]:
    """One row per size: median seconds of each engine, interleaved, and the outputs' gap."""
    model = load_pretrained(model_name)
    start = time.perf_counter()
    predict = onnx_predict(export_onnx(model_name, folder))
    export_seconds = time.perf_counter() - start
    rows = []
    turn = 0
    for size, noisy in images.items():
        outputs = {}
        for name in ENGINES:  # warm-up: tracing, session arenas
            with engine(name, predict):
                outputs[name] = inference.denoise(model, noisy[0], SIGMA)
        gap = float(np.abs(outputs["tensorflow"] - outputs["onnxruntime"]).max())
        seconds: dict[str, list[float]] = {name: [] for name in ENGINES}
        for _ in range(repeats[size]):
            for image in noisy:
                order = ENGINES if turn % 2 == 0 else ENGINES[::-1]
                turn += 1
                for name in order:
                    with engine(name, predict):
                        began = time.perf_counter()
                        inference.denoise(model, image, SIGMA)
                        seconds[name].append(time.perf_counter() - began)
        timings = {name: Timing.of(values) for name, values in seconds.items()}
        rows.append(
            {
                "model": model_name,
                "size": size,
                "tiles": inference.auto_tile(model, noisy[0].shape),
                "runs": len(seconds["tensorflow"]),
                "timings": timings,
                "speedup": timings["tensorflow"].median / timings["onnxruntime"].median,
                "gap": gap,
                "export_s": export_seconds,
            }
        )
    return rows


def to_markdown(rows: list[dict[str, object]]) -> str:
    import onnxruntime
    import tensorflow

    lines = [
        f"CPU engines for `deepdenoise denoise` (inference.denoise, tile='auto'), sigma "
        f"{SIGMA:g}, float32 input, median of interleaved runs in one process: TensorFlow "
        f"{tensorflow.__version__} (model.predict_on_batch) against onnxruntime "
        f"{onnxruntime.__version__} (CPUExecutionProvider, default options) on the file of "
        f"`deepdenoise export`, {describe_machine()}",
        "",
        "| model | image | passes | runs | tensorflow s (min-max) | onnxruntime s (min-max) "
        "| onnxruntime speed-up | max abs difference |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        timings = row["timings"]
        assert isinstance(timings, dict)
        cells = [f"{timings[name].median:.3f} ({timings[name].spread()})" for name in ENGINES]
        passes = "1" if row["tiles"] is None else f"tiles {row['tiles'][0]}x{row['tiles'][1]}"
        lines.append(
            f"| {row['model']} | {row['size']} | {passes} | {row['runs']} | {cells[0]} | "
            f"{cells[1]} | {row['speedup']:.2f}x | {row['gap']:.1e} |"
        )
    speedups = [float(row["speedup"]) for row in rows]
    fast = min(speedups) >= THRESHOLD
    lines += [
        "",
        f"Verdict: onnxruntime runs at {min(speedups):.2f}x to {max(speedups):.2f}x the speed of "
        f"TensorFlow, {'at or above' if fast else 'below'} the {THRESHOLD}x that would justify a "
        f"second engine, so the CLI {'may use it' if fast else 'keeps TensorFlow'}.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="ffdnet", help="comma-separated shipped models")
    parser.add_argument("--repeats", type=int, default=3, help="rounds over the 5 small images")
    parser.add_argument(
        "--large-repeats", type=int, default=5, help="rounds over the 2000x3000 image"
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()

    images = noisy_images()
    repeats = dict(zip(images, (args.repeats, args.large_repeats), strict=True))
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in model_names(args.models):
            rows += measure(name, images, repeats, Path(folder))
    emit(to_markdown(rows), args.out)


if __name__ == "__main__":
    main()
