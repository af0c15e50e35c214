"""How far the noise estimate is from the true sigma, against scikit-image's plain one.

For each test set and sigma, every image gets Gaussian noise (seed = its index),
either as floats (``float``: the benchmark protocol, values below 0 and above 1
kept) or clipped to [0, 1] and rounded to 8 bits (``clipped8``: a noisy photo
saved to disk). Two estimates of sigma are made of each noisy image:

- **plain**: :func:`skimage.restoration.estimate_sigma`, the median absolute
  deviation of the finest diagonal Daubechies-2 coefficients, times 255 (the
  package's estimator before it chose its coefficients);
- **package**: :func:`deepdenoise.noise.estimate_sigma`, the same estimator over
  the coefficients away from clipped black and white and in the flatter half of
  the image.

The table gives the mean estimate, and the smallest and largest over the images,
for each. Sigma is on the 0-255 scale. Run it with::

    DEEPDENOISE_DATA=../shared/data python benchmarks/noise_estimate.py \\
        [--datasets bsd68,cbsd68,mcmaster] [--out benchmarks/results/noise_estimate.md]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from deepdenoise.data import benchmark
from deepdenoise.noise import add_gaussian_noise, estimate_sigma

SIGMAS = (15, 25, 50)
PROTOCOLS = ("float", "clipped8")


def plain_estimate(image: np.ndarray) -> float:
    """scikit-image's estimator on the 0-255 scale (the mean over channels)."""
    from skimage.restoration import estimate_sigma as skimage_estimate_sigma

    channel_axis = -1 if image.ndim == 3 else None
    return 255 * float(
        skimage_estimate_sigma(image, channel_axis=channel_axis, average_sigmas=True)
    )


def noisy_version(clean: np.ndarray, sigma: float, seed: int, protocol: str) -> np.ndarray:
    """``clean`` with Gaussian noise, as floats or as an 8-bit file holds it."""
    noisy = add_gaussian_noise(clean, sigma, seed=seed)
    if protocol == "clipped8":
        noisy = np.round(np.clip(noisy, 0, 1) * 255) / 255
    return noisy.astype(np.float32)


def _summary(values: Sequence[float]) -> str:
    array = np.asarray(values)
    return f"{array.mean():.2f} ({array.min():.2f}–{array.max():.2f})"


def table(datasets: Sequence[str]) -> str:
    """The Markdown table of mean (smallest–largest) estimates, plain and package."""
    lines = [
        "| set | protocol | σ | plain: mean (min–max) | package: mean (min–max) |",
        "|---|---|---|---|---|",
    ]
    for name in datasets:
        images = [image for _, image in benchmark(name)]
        for protocol in PROTOCOLS:
            for sigma in SIGMAS:
                plain, package = [], []
                for seed, clean in enumerate(images):
                    noisy = noisy_version(clean, sigma, seed, protocol)
                    plain.append(plain_estimate(noisy))
                    package.append(estimate_sigma(noisy))
                cells = [name, protocol, str(sigma), _summary(plain), _summary(package)]
                row = "| " + " | ".join(cells) + " |"
                print(row, flush=True)
                lines.append(row)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="bsd68,cbsd68,mcmaster")
    parser.add_argument("--out", type=Path, default=None, help="write the table here too")
    args = parser.parse_args(argv)
    text = table([name.strip() for name in args.datasets.split(",") if name.strip()])
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            "Noise estimates (σ on the 0-255 scale), from "
            "`python benchmarks/noise_estimate.py`:\n\n" + text,
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
