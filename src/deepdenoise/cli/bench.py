"""``deepdenoise bench``: PSNR, SSIM and speed of denoisers on the test sets.

A thin layer over :mod:`deepdenoise.bench`: :func:`~deepdenoise.bench.run_benchmark`,
then :func:`~deepdenoise.bench.write_csv` and :func:`~deepdenoise.bench.to_markdown`.

Examples
--------
>>> import argparse
>>> commands = argparse.ArgumentParser().add_subparsers(dest="command")
>>> add_parser(commands).parse_args(["--sigma", "15,25"]).sigma
[15.0, 25.0]
>>> commands.choices["bench"].parse_args(["--protocol", "float,clipped8"]).protocol
['float', 'clipped8']
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
  deepdenoise bench --dataset cbsd68 --sigma 25 --protocol float,clipped8 \\
      --methods noisy,bm3d,ffdnet/per-channel --max-images 2      # colour

Protocols: float (default; DnCNN/KAIR): Gaussian noise of std sigma/255 added
in float, never clipped; clipped8: the same noisy images clipped to [0, 1] and
rounded to 8 bits, as a noisy photo saved to disk. Image i gets noise from
numpy.random.default_rng(seed + i) in both; outputs clipped to [0, 1]; PSNR
and SSIM with data_range=1. Colour sets (cbsd68, mcmaster) are scored in RGB:
bm3d is CBM3D there, and a gray model runs on each channel only when named
NAME/per-channel (or on the brightness and two colour differences, each at its
noise level, when named NAME/opponent). Writes OUT/benchmark.csv and OUT/benchmark.md (replacing
earlier ones) and prints the Markdown tables, one per set and protocol, with
the published numbers (float protocol only), marked "quoted".
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``bench`` subcommand to ``commands`` (from ``add_subparsers``)."""
    parser = commands.add_parser(
        "bench",
        help="benchmark methods on Set12/BSD68, CBSD68/McMaster",
        description="Measure PSNR, SSIM and speed of denoisers on the test sets.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--dataset",
        type=comma_list,
        default=["set12"],
        metavar="NAMES",
        help="comma-separated: set12, bsd68 (gray), cbsd68, mcmaster (colour) or image "
        "folders (read as gray); default set12",
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
        help="comma-separated: noisy, classical methods, pretrained models, model:PATH; "
        "NAME/per-channel runs a gray method on each channel of a colour set, "
        "NAME/opponent on its brightness and two colour differences",
    )
    parser.add_argument(
        "--protocol",
        type=_protocol_list,
        default=["float"],
        metavar="LIST",
        help="comma-separated: float (noise added in float, unclipped: the published "
        "numbers' protocol), clipped8 (the same noisy images clipped and rounded to 8 bits); "
        "default float",
    )
    parser.add_argument(
        "--max-images", type=positive_int, default=None, metavar="N", help="first N images only"
    )
    parser.add_argument(
        "--out", default="benchmark-results", metavar="DIR", help="folder for the CSV and Markdown"
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the rows already in OUT/benchmark.csv; a new row replaces the old one of "
        "the same protocol, dataset, sigma and method (to add a model to a committed table)",
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


def _protocol_list(text: str) -> list[str]:
    """Argument type of ``--protocol``: names of :data:`deepdenoise.bench.PROTOCOLS`.

    Examples
    --------
    >>> _protocol_list("clipped8")
    ['clipped8']
    """
    from deepdenoise.bench.protocol import PROTOCOLS

    names = comma_list(text)
    unknown = [name for name in names if name not in PROTOCOLS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown protocol {', '.join(unknown)}; expected one of {', '.join(PROTOCOLS)}"
        )
    return names


def run(args: argparse.Namespace) -> int:
    """Run ``deepdenoise bench``; return the exit status."""
    # Looked up on the package at call time, so tests can replace them there.
    from deepdenoise import bench
    from deepdenoise._io import atomic_write

    out = Path(args.out)
    csv_path = out / "benchmark.csv"
    try:
        # read before the (long) run, so an unreadable file costs nothing
        kept = bench.read_csv(csv_path) if args.merge and csv_path.exists() else []
    except (OSError, ValueError) as problem:
        raise UsageError(f"--merge: {one_line(problem)}") from None
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
            protocol=args.protocol,
        )
    except (ImportError, OSError, TypeError, ValueError) as problem:
        raise UsageError(one_line(problem)) from None
    table = bench.merge_rows(kept, rows) if args.merge else rows
    markdown = bench.to_markdown(table)
    csv_path = bench.write_csv(table, csv_path)
    md_path = out / "benchmark.md"
    atomic_write(md_path, markdown)
    print(markdown)
    print(f"wrote {csv_path} and {md_path}")
    return 0
