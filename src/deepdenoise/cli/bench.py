"""``deepdenoise bench``: PSNR, SSIM and speed of denoisers on the test sets.

A thin layer over :mod:`deepdenoise.bench`: :func:`~deepdenoise.bench.run_benchmark`,
then :func:`~deepdenoise.bench.write_csv` and :func:`~deepdenoise.bench.to_markdown`.

Examples
--------
>>> import argparse
>>> commands = argparse.ArgumentParser().add_subparsers(dest="command")
>>> add_parser(commands).parse_args(["--sigma", "15,25"]).sigma
[15.0, 25.0]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from deepdenoise.cli._common import (
    UsageError,
    comma_list,
    one_line,
    positive_int,
    sigma_list,
    tile_size,
)

__all__ = ["EPILOG", "add_parser", "run"]

EPILOG = """\
examples:
  deepdenoise bench --dataset set12 --sigma 25 --methods noisy,gaussian,tv --max-images 2
  deepdenoise bench --dataset set12,bsd68 --sigma 15,25,50 \\
      --methods noisy,gaussian,median,tv,wavelet,nl_means,bm3d,ffdnet --out results/

Protocol (DnCNN/KAIR): Gaussian noise of std sigma/255 added in float, never
clipped; image i gets noise from numpy.random.default_rng(seed + i); outputs
clipped to [0, 1]; PSNR and SSIM with data_range=1. Writes OUT/benchmark.csv
and OUT/benchmark.md (replacing earlier ones) and prints the Markdown tables
with the published numbers, marked "quoted".
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``bench`` subcommand to ``commands`` (from ``add_subparsers``)."""
    parser = commands.add_parser(
        "bench",
        help="benchmark methods on Set12/BSD68",
        description="Measure PSNR, SSIM and speed of denoisers on the test sets.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--dataset",
        type=comma_list,
        default=["set12"],
        metavar="NAMES",
        help="comma-separated: set12, bsd68 or image folders; default set12",
    )
    parser.add_argument(
        "--sigma",
        type=sigma_list,
        default=[15.0, 25.0, 50.0],
        metavar="LIST",
        help="comma-separated noise levels on the 0-255 scale; default 15,25,50",
    )
    parser.add_argument(
        "--methods",
        type=comma_list,
        default=["noisy", "gaussian", "median", "tv", "wavelet"],
        metavar="LIST",
        help="comma-separated: noisy, classical methods, pretrained models, model:PATH",
    )
    parser.add_argument(
        "--max-images", type=positive_int, default=None, metavar="N", help="first N images only"
    )
    parser.add_argument(
        "--out", default="benchmark-results", metavar="DIR", help="folder for the CSV and Markdown"
    )
    parser.add_argument(
        "--data-dir", default=None, metavar="DIR", help="folder holding set12/ and bsd68/"
    )
    parser.add_argument("--seed", type=int, default=0, help="base noise seed (default 0)")
    parser.add_argument(
        "--tile",
        type=tile_size,
        default=None,
        metavar="N",
        help="tile side in pixels for models; 0 or omitted: the whole image (test images are "
        "at most 512x512, and tiles would only add overlap work to the timings)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``deepdenoise bench``; return the exit status."""
    # Looked up on the package at call time, so tests can replace them there.
    from deepdenoise import bench
    from deepdenoise._io import atomic_write

    try:
        rows = bench.run_benchmark(
            args.methods,
            args.dataset,
            args.sigma,
            data_dir=args.data_dir,
            max_images=args.max_images,
            seed=args.seed,
            progress=True,
            tile=args.tile,
        )
    except (ImportError, OSError, TypeError, ValueError) as problem:
        raise UsageError(one_line(problem)) from None
    markdown = bench.to_markdown(rows)
    out = Path(args.out)
    csv_path = bench.write_csv(rows, out / "benchmark.csv")
    md_path = out / "benchmark.md"
    atomic_write(md_path, markdown)
    print(markdown)
    print(f"wrote {csv_path} and {md_path}")
    return 0
