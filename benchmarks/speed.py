"""Seconds per 512x512 image for each denoiser, measured in one run on this machine.

The five 512x512 images of Set12 (08-12) get Gaussian noise (sigma 25 on the
0-255 scale, seeded per image), and each method denoises each image in turn.
The shipped models run on the whole image in one pass (no tiles, as in
``deepdenoise bench``); they first denoise one image untimed (graph tracing), then
every image is timed with ``time.perf_counter``. The last column compares
each method with BM3D measured in the same run, so the ratio does not depend
on how busy or fast the machine is that day.

Run it with::

    python benchmarks/speed.py [--methods ffdnet,dncnn25,bm3d,nl_means] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from deepdenoise.data import benchmark
from deepdenoise.denoisers import get_denoiser
from deepdenoise.weights import describe_machine

SIGMA = 25.0


def time_method(name: str, images: list[np.ndarray]) -> float:
    """Mean seconds per image of method ``name`` over ``images`` (after one warm-up)."""
    denoiser = get_denoiser(name, tile=None)  # one pass: a 512x512 image fits in memory
    noisy = [
        image + np.random.default_rng(i).standard_normal(image.shape, np.float32) * (SIGMA / 255)
        for i, image in enumerate(images)
    ]
    denoiser(noisy[0], SIGMA)  # warm-up: tracing, caches
    start = time.perf_counter()
    for image in noisy:
        denoiser(image, SIGMA)
    return (time.perf_counter() - start) / len(noisy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="ffdnet,dncnn25,nl_means,bm3d")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()

    images = [image for _, image in benchmark("set12") if image.shape == (512, 512)]
    names = [name.strip() for name in args.methods.split(",") if name.strip()]
    seconds = {name: time_method(name, images) for name in names}
    baseline = seconds.get("bm3d")
    lines = [
        f"Speed on {len(images)} images of 512x512 (Set12 08-12), sigma {SIGMA:g}, "
        f"{describe_machine()}",
        "",
        "| method | s/image | MP/s | speed-up over BM3D |",
        "|---|---|---|---|",
    ]
    for name, value in seconds.items():
        ratio = f"{baseline / value:.1f}x" if baseline else "n/a"
        lines.append(f"| {name} | {value:.3f} | {512 * 512 / value / 1e6:.3f} | {ratio} |")
    table = "\n".join(lines)
    print(table)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n")


if __name__ == "__main__":
    main()
