"""Seconds per 512x512 image for each denoiser, measured interleaved in one run on this machine.

The five 512x512 images of Set12 (08-12) get Gaussian noise (sigma 25 on the
0-255 scale, seeded per image). With ``--colour`` the images are the first
five of McMaster, RGB, reflect-padded from 500x500 to 512x512, and ``bm3d``
is CBM3D. The shipped models run as ``deepdenoise
denoise`` runs them by default (``tile="auto"``: a 512x512 image is one
pass, no tiles). Every method first denoises one image untimed (graph
tracing, caches); then, for each of ``--repeats`` rounds and each image, every
method denoises it in turn (the order rotated from one image to the next),
timed with ``time.perf_counter``. Each method's figure is the **median** of
its timings, and the last column compares it with BM3D's median from the
same interleaved runs, so a burst of load on the machine hits every method
alike and the ratio does not depend on how busy or fast the machine is.

Run it with::

    python benchmarks/speed.py [--methods ffdnet,dncnn25,bm3d,nl_means] [--repeats 3]
                               [--out FILE.md]
    python benchmarks/speed.py --colour --methods ffdnet_color,ffdnet/per-channel,bm3d
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from deepdenoise.data import benchmark
from deepdenoise.denoisers import get_denoiser
from deepdenoise.weights import describe_machine

SIGMA = 25.0
SIDE = 512


def gray_images() -> tuple[list[np.ndarray], str]:
    """The 512x512 images of Set12, and how the table names them."""
    images = [image for _, image in benchmark("set12") if image.shape == (SIDE, SIDE)]
    return images, f"{len(images)} images of 512x512 (Set12 08-12)"


def colour_images(count: int = 5) -> tuple[list[np.ndarray], str]:
    """The first McMaster images, RGB, reflect-padded to 512x512, and their description."""
    images = []
    for _, image in benchmark("mcmaster")[:count]:
        pad = [(0, SIDE - image.shape[0]), (0, SIDE - image.shape[1]), (0, 0)]
        images.append(np.pad(image, pad, mode="reflect"))
    return images, f"{len(images)} RGB images of 512x512 (McMaster 1-{count}, reflect-padded)"


def interleaved_seconds(
    names: list[str], images: list[np.ndarray], repeats: int
) -> dict[str, list[float]]:
    """Seconds of every call of every method, the methods taking turns on each image."""
    denoisers = {name: get_denoiser(name, tile="auto") for name in names}
    noisy = [
        image + np.random.default_rng(i).standard_normal(image.shape, np.float32) * (SIGMA / 255)
        for i, image in enumerate(images)
    ]
    for denoiser in denoisers.values():
        denoiser(noisy[0], SIGMA)  # warm-up: tracing, caches
    seconds: dict[str, list[float]] = {name: [] for name in names}
    turn = 0
    for _ in range(repeats):
        for image in noisy:
            order = names[turn % len(names) :] + names[: turn % len(names)]
            turn += 1
            for name in order:
                start = time.perf_counter()
                denoisers[name](image, SIGMA)
                seconds[name].append(time.perf_counter() - start)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="ffdnet,dncnn25,nl_means,bm3d")
    parser.add_argument("--repeats", type=int, default=3, help="rounds over the 5 images")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    parser.add_argument("--colour", action="store_true", help="RGB images (bm3d is CBM3D)")
    args = parser.parse_args()

    images, described = colour_images() if args.colour else gray_images()
    names = [name.strip() for name in args.methods.split(",") if name.strip()]
    timings = interleaved_seconds(names, images, args.repeats)
    median = {name: statistics.median(values) for name, values in timings.items()}
    baseline = median.get("bm3d")
    runs = len(next(iter(timings.values())))
    lines = [
        f"Speed on {described}, sigma {SIGMA:g}, "
        f"median of {runs} interleaved runs per method, models as `deepdenoise denoise` "
        f"runs them (tile='auto': one pass), {describe_machine()}",
        "",
        "| method | s/image (median) | min-max | MP/s | speed-up over BM3D |",
        "|---|---|---|---|---|",
    ]
    for name, value in median.items():
        ratio = f"{baseline / value:.1f}x" if baseline else "n/a"
        spread = f"{min(timings[name]):.3f}-{max(timings[name]):.3f}"
        lines.append(
            f"| {name} | {value:.3f} | {spread} | {SIDE * SIDE / value / 1e6:.3f} | {ratio} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(table + "\n")


if __name__ == "__main__":
    main()
