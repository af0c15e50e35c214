"""The ``deepdenoise`` command line: ``denoise``, ``train`` and ``bench``.

Run ``deepdenoise --help`` (or ``python -m deepdenoise --help``) for the
usage. Each subcommand is a thin layer over the package:
:func:`deepdenoise.inference.denoise` and :mod:`deepdenoise.data` for
``denoise``, :func:`deepdenoise.train.recipe.run_recipe` for ``train`` and
:mod:`deepdenoise.bench` for ``bench``.

Exit status: 0 on success, 2 on bad input or usage (a missing or unreadable
image, an unknown model, an output that exists...), with one line per
problem on stderr and no traceback; 130 when interrupted.

Examples
--------
>>> from deepdenoise.cli import main
>>> main(["denoise", "no-such-file.png", "-o", "out"])  # doctest: +SKIP
2
>>> build_parser().parse_args(["bench", "--sigma", "15,25"]).sigma
[15.0, 25.0]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["build_parser", "main"]

PROG = "deepdenoise"
DEFAULT_MODEL = "ffdnet"
"""The shipped model ``denoise`` uses by default: FFDNet, fast on a CPU."""

# Outputs keep these formats (lossless); others (.jpg, .bmp) are written as PNG.
_KEPT_SUFFIXES = (".png", ".tif", ".tiff")

_EPILOG_MAIN = """\
examples:
  deepdenoise denoise photo.jpg -o clean.png                 # FFDNet, sigma estimated
  deepdenoise denoise scans/ -o denoised/ --sigma 25         # a whole folder
  deepdenoise denoise a.png b.tif -o out/ --model dncnn --force
  deepdenoise train --config ffdnet --workdir runs/ffdnet
  deepdenoise bench --dataset set12 --sigma 15,25,50 --methods noisy,gaussian,bm3d,ffdnet

Sigma is always on the 0-255 scale (--sigma 25 means a standard deviation
of 25/255). Exit status: 0 ok, 2 bad input (one line per problem on stderr).
"""

_EPILOG_DENOISE = """\
examples:
  deepdenoise denoise photo.jpg -o clean.png            # one file -> one file
  deepdenoise denoise photo.jpg -o out/                 # -> out/photo.png
  deepdenoise denoise scans/ extra.tif -o out/          # folders and files -> out/
  deepdenoise denoise noisy.png -o out/ --sigma 25 --model model:runs/x/best.keras
  deepdenoise denoise noisy.png -o out/ --model nl_means  # a classical method

Outputs: OUT is a file when there is one input file and OUT ends in .png,
.tif/.tiff or .jpg; otherwise a folder (created), holding <input stem>.png
(.tif/.tiff inputs keep their suffix). 16-bit inputs give 16-bit outputs.
Images with an alpha channel are denoised without it: the output has no
alpha (a note says so). Inputs are never overwritten, even with --force;
existing outputs only with --force. Each output is written to a temporary
file and renamed into place, so an interrupted run leaves no partial image.
A folder run writes every image it can, then lists the failures (exit 2).
"""

_EPILOG_TRAIN = """\
examples:
  deepdenoise train --config ffdnet
  deepdenoise train --config ffdnet --workdir runs/ffdnet --max-steps 200
  deepdenoise train --config ffdnet --workdir training/runs/ffdnet \\
      --time-budget 3000                     # stop cleanly before 50 min; rerun to go on
  KERAS_BACKEND=jax deepdenoise train --config ffdnet \\
      --batch-size 128 --precision mixed_bfloat16 --register   # on GPUs, no TensorFlow

Running the same command again resumes an interrupted run from its workdir,
from its last checkpoint (one every train.steps_per_epoch steps); a folder
of another recipe or batch size is refused. Every visible GPU takes a share
of each batch (on JAX, TPU cores too). The options are written to the run log
(run.json) and, with --register, to the weights manifest.
"""

_EPILOG_BENCH = """\
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


class UsageError(Exception):
    """Bad input the user can fix; printed as one line, exit status 2."""


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)


def _one_line(error: BaseException) -> str:
    """The message of ``error`` on one line (Keras and TensorFlow messages span several)."""
    return " ".join(str(error).split()) or type(error).__name__


def _comma_list(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return items


def _sigma_value(text: str) -> float:
    from deepdenoise._checks import check_sigma

    try:
        return check_sigma(float(text), "sigma")
    except (TypeError, ValueError) as error:
        raise argparse.ArgumentTypeError(_one_line(error)) from None


def _sigma_list(text: str) -> list[float]:
    return [_sigma_value(item) for item in _comma_list(text)]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    if text.strip() == "0":
        return 0
    return _positive_int(text)


def _tile_size(text: str) -> int | None:
    if text.strip() == "0":
        return None
    return _positive_int(text)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``deepdenoise`` command.

    Returns
    -------
    argparse.ArgumentParser
        With subcommands ``denoise``, ``train`` and ``bench``.

    Examples
    --------
    >>> args = build_parser().parse_args(["denoise", "a.png", "-o", "out"])
    >>> args.command, args.inputs, args.model, args.sigma
    ('denoise', ['a.png'], 'ffdnet', None)
    """
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Deep-learning image denoising: denoise images, train models, benchmark.",
        epilog=_EPILOG_MAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from deepdenoise import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    denoise = commands.add_parser(
        "denoise",
        help="denoise image files or folders",
        description="Denoise image files (PNG, JPEG, BMP, TIFF; 8 or 16 bit; gray or RGB).",
        epilog=_EPILOG_DENOISE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    denoise.add_argument("inputs", nargs="+", metavar="IN", help="image files or folders")
    denoise.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="output file or folder"
    )
    denoise.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        metavar="NAME",
        help="a pretrained model name, a .keras file ('model:PATH' or PATH), or a classical "
        f"method (gaussian, median, tv, wavelet, nl_means, bm3d); default {DEFAULT_MODEL}",
    )
    denoise.add_argument(
        "--sigma",
        type=_sigma_value,
        default=None,
        metavar="S",
        help="noise std on the 0-255 scale; estimated per image when omitted "
        "(used by noise-map models such as FFDNet and by classical methods)",
    )
    denoise.add_argument(
        "--force", action="store_true", help="replace existing outputs (never an input)"
    )
    denoise.add_argument(
        "--tile",
        type=_tile_size,
        default=256,
        metavar="N",
        help="tile side in pixels for models, bounding memory (0: whole image); default 256",
    )
    denoise.add_argument(
        "--overlap",
        type=_non_negative_int,
        default=32,
        metavar="M",
        help="margin in pixels each tile adds and discards (at least the model's receptive-field "
        "radius for seamless tiles); default 32",
    )
    denoise.add_argument(
        "--self-ensemble",
        action="store_true",
        help="average over 8 flips/rotations (8x slower, about +0.1 dB)",
    )

    train = commands.add_parser(
        "train",
        help="train a model from a TOML recipe",
        description="Train the model a TOML recipe describes (resumes an interrupted run).",
        epilog=_EPILOG_TRAIN,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument(
        "--config",
        required=True,
        metavar="RECIPE",
        help="a TOML recipe file, or the name of a shipped one (ffdnet, dncnn25)",
    )
    train.add_argument(
        "--workdir", default=None, metavar="DIR", help="run folder (default runs/<output.name>)"
    )
    train.add_argument(
        "--max-steps", type=_positive_int, default=None, metavar="N", help="train at most N steps"
    )
    train.add_argument(
        "--batch-size",
        type=_positive_int,
        default=None,
        metavar="N",
        help="patches per step instead of the recipe's data.batch_size",
    )
    train.add_argument(
        "--time-budget",
        type=_positive_float,
        default=None,
        metavar="SECONDS",
        help="stop at the last checkpoint that fits in SECONDS; rerun to go on",
    )
    train.add_argument(
        "--precision",
        default="float32",
        choices=("float32", "mixed_float16", "mixed_bfloat16"),
        help="Keras dtype policy (mixed: 16-bit compute, float32 weights)",
    )
    train.add_argument(
        "--one-device",
        action="store_true",
        help="use one device, not every visible GPU/TPU core",
    )
    train.add_argument(
        "--init",
        default=None,
        metavar="FILE",
        help="start from these .weights.h5 instead of random weights",
    )
    train.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        metavar="N",
        help="threads drawing batches while the model trains",
    )
    train.add_argument(
        "--register",
        action="store_true",
        help="record the trained model in the package's weights manifest",
    )

    bench = commands.add_parser(
        "bench",
        help="benchmark methods on Set12/BSD68",
        description="Measure PSNR, SSIM and speed of denoisers on the test sets.",
        epilog=_EPILOG_BENCH,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bench.add_argument(
        "--dataset",
        type=_comma_list,
        default=["set12"],
        metavar="NAMES",
        help="comma-separated: set12, bsd68 or image folders; default set12",
    )
    bench.add_argument(
        "--sigma",
        type=_sigma_list,
        default=[15.0, 25.0, 50.0],
        metavar="LIST",
        help="comma-separated noise levels on the 0-255 scale; default 15,25,50",
    )
    bench.add_argument(
        "--methods",
        type=_comma_list,
        default=["noisy", "gaussian", "median", "tv", "wavelet"],
        metavar="LIST",
        help="comma-separated: noisy, classical methods, pretrained models, model:PATH",
    )
    bench.add_argument(
        "--max-images", type=_positive_int, default=None, metavar="N", help="first N images only"
    )
    bench.add_argument(
        "--out", default="benchmark-results", metavar="DIR", help="folder for the CSV and Markdown"
    )
    bench.add_argument(
        "--data-dir", default=None, metavar="DIR", help="folder holding set12/ and bsd68/"
    )
    bench.add_argument("--seed", type=int, default=0, help="base noise seed (default 0)")
    bench.add_argument(
        "--tile",
        type=_tile_size,
        default=None,
        metavar="N",
        help="tile side in pixels for models; 0 or omitted: the whole image (test images are "
        "at most 512x512, and tiles would only add overlap work to the timings)",
    )
    return parser


# --- denoise -----------------------------------------------------------------------------


@dataclass
class _Job:
    source: Path
    target: Path | None = None
    problem: str | None = None


def _output_suffix(source: Path) -> str:
    suffix = source.suffix.lower()
    return source.suffix if suffix in _KEPT_SUFFIXES else ".png"


def _plan_jobs(inputs: Sequence[str], output: str) -> list[_Job]:
    """Expand the inputs into one job per image, with its output path or its problem."""
    from deepdenoise.data.images import IMAGE_SUFFIXES, list_image_files

    jobs: list[_Job] = []
    for text in inputs:
        path = Path(text)
        if path.is_dir():
            try:
                jobs += [_Job(file) for file in list_image_files(path)]
            except (OSError, ValueError) as error:
                jobs.append(_Job(path, problem=_one_line(error)))
        elif path.exists():
            jobs.append(_Job(path))
        else:
            jobs.append(_Job(path, problem=f"{text} does not exist"))

    out = Path(output)
    looks_like_file = out.suffix.lower() in IMAGE_SUFFIXES and not out.is_dir()
    if looks_like_file and (len(inputs) > 1 or Path(inputs[0]).is_dir()):
        raise UsageError(
            f"-o {output} looks like a file name, but several images are to be written: "
            "give a folder"
        )
    if looks_like_file:
        jobs[0].target = out
    else:
        for job in jobs:
            job.target = out / (job.source.stem + _output_suffix(job.source))

    inputs_seen = {_identity(job.source) for job in jobs}
    claimed: dict[Path, Path] = {}
    for job in jobs:
        if job.problem is not None or job.target is None:
            continue
        key = _identity(job.target)
        if key in inputs_seen or (job.target.exists() and _same_file(job.source, job.target)):
            job.problem = (
                f"output {job.target} is an input; refusing to overwrite it (even with --force)"
            )
        elif key in claimed:
            job.problem = f"output {job.target} is also the output of {claimed[key]}"
        else:
            claimed[key] = job.source
    return jobs


def _identity(path: Path) -> Path:
    return Path(os.path.normcase(os.path.abspath(path.resolve())))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _bit_depth(path: Path) -> int:
    """Bits per sample stored in the file: 16 for 16-bit PNG/TIFF, else 8."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".tif", ".tiff"):
            import tifffile

            with tifffile.TiffFile(path) as tif:
                return 16 if tif.pages[0].dtype.itemsize >= 2 else 8
        with path.open("rb") as handle:
            header = handle.read(26)
        if header.startswith(b"\x89PNG\r\n\x1a\n") and header[12:16] == b"IHDR":
            return 16 if header[24] == 16 else 8
    except Exception:  # the loader reports unreadable files itself
        return 8
    return 8


def _load_denoiser(name: str, *, tile: int | None, overlap: int, self_ensemble: bool) -> Any:
    """Resolve ``--model``: a pretrained name, a .keras file or a classical method."""
    from deepdenoise.bench import UnknownMethodError, get_method

    try:
        method = get_method(name, tile=tile, overlap=overlap, self_ensemble=self_ensemble)
    except ImportError as error:
        raise UsageError(_one_line(error)) from None
    except UnknownMethodError:
        from deepdenoise.classical import CLASSICAL_METHODS
        from deepdenoise.weights import list_pretrained

        raise UsageError(
            f"--model {name!r} is unknown: expected a pretrained model {list_pretrained()}, "
            f"a .keras file, or a classical method {sorted(CLASSICAL_METHODS)}"
        ) from None
    except (TypeError, ValueError, OSError) as error:  # a known model that cannot be loaded
        raise UsageError(f"--model {name!r} cannot be loaded: {_one_line(error)}") from None
    if method.kind == "input":
        raise UsageError(f"--model {name!r} is not a denoiser")
    return method


def _denoise_one(job: _Job, method: Any, args: argparse.Namespace) -> str:
    """Denoise one file; return the line to print. Raises on any problem with this file."""
    from deepdenoise.data import load_image, save_image
    from deepdenoise.noise import estimate_sigma

    assert job.target is not None
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = load_image(job.source)
    if any("alpha" in str(warning.message) for warning in caught):
        notes.append("alpha channel dropped")
    bits = _bit_depth(job.source)

    sigma = args.sigma
    needs_sigma = method.kind == "classical" or (
        method.kind == "model" and _needs_noise_map(method.model)
    )
    if needs_sigma and sigma is None:
        sigma = min(max(float(estimate_sigma(image)), 0.0), 255.0)
        notes.append(f"sigma {sigma:.1f} estimated")
        if method.kind == "classical":
            sigma = max(sigma, 0.5)  # the filters need sigma > 0, even for a clean image
    elif needs_sigma:
        notes.append(f"sigma {sigma:g}")

    start = time.perf_counter()
    result = method.fn(image, sigma)
    seconds = time.perf_counter() - start
    job.target.parent.mkdir(parents=True, exist_ok=True)
    save_image(job.target, result, overwrite=args.force, bit_depth=bits)
    detail = ", ".join([*notes, f"{bits}-bit", f"{seconds:.2f} s"])
    return f"{job.source} -> {job.target} ({detail})"


def _needs_noise_map(model: Any) -> bool:
    from deepdenoise.models import model_info

    return bool(model_info(model)["needs_noise_map"])


def _report(job: _Job) -> None:
    message = job.problem or "failed"
    _error(message if str(job.source) in message else f"{job.source}: {message}")


def _run_denoise(args: argparse.Namespace) -> int:
    if args.tile is not None and args.tile <= 2 * args.overlap:
        raise UsageError(
            f"--tile ({args.tile}) must be larger than twice --overlap ({args.overlap})"
        )
    jobs = _plan_jobs(args.inputs, args.output)
    method = _load_denoiser(
        args.model, tile=args.tile, overlap=args.overlap, self_ensemble=args.self_ensemble
    )
    failures = [job for job in jobs if job.problem is not None]
    for job in failures:
        _report(job)
    for job in jobs:
        if job.problem is not None:
            continue
        assert job.target is not None
        if job.target.exists() and not args.force:
            job.problem = f"output {job.target} exists; use --force to replace it"
        else:
            try:
                print(_denoise_one(job, method, args), flush=True)
                continue
            except FileExistsError:
                job.problem = f"output {job.target} exists; use --force to replace it"
            except (OSError, ValueError, TypeError) as error:
                job.problem = _one_line(error)
        failures.append(job)
        _report(job)
    if failures and len(jobs) > 1:
        _error(
            f"{len(failures)} of {len(jobs)} inputs failed: "
            + ", ".join(str(job.source) for job in failures)
        )
    return 2 if failures else 0


# --- train and bench ---------------------------------------------------------------------


def _run_train(args: argparse.Namespace) -> int:
    config = args.config
    from deepdenoise.train.run import TrainOptions, run_recipe

    start = time.perf_counter()
    try:
        options = TrainOptions(
            batch_size=args.batch_size,
            time_budget_s=args.time_budget,
            precision=args.precision,
            data_parallel=not args.one_device,
            init=args.init,
            max_steps=args.max_steps,
            workers=args.workers,
        )
        model, workdir = run_recipe(
            config,
            workdir=args.workdir,
            options=options,
            register=args.register,
            verbose=1 if sys.stdout.isatty() else 2,
        )
    except (OSError, ValueError) as error:
        raise UsageError(_one_line(error)) from None
    minutes = (time.perf_counter() - start) / 60
    run = json.loads((workdir / "run.json").read_text(encoding="utf-8"))
    state = "finished" if run["finished"] else "stopped; run the same command to go on"
    print(
        f"{model.name}: {run['steps']} of {run['total_steps']} steps ({state}) after "
        f"{minutes:.1f} min in this session; run folder {workdir}"
    )
    return 0


def _run_bench(args: argparse.Namespace) -> int:
    from deepdenoise.bench import run_benchmark, to_markdown, write_csv

    try:
        rows = run_benchmark(
            args.methods,
            args.dataset,
            args.sigma,
            data_dir=args.data_dir,
            max_images=args.max_images,
            seed=args.seed,
            progress=True,
            tile=args.tile,
        )
    except (ImportError, OSError, TypeError, ValueError) as error:
        raise UsageError(_one_line(error)) from None
    markdown = to_markdown(rows)
    out = Path(args.out)
    csv_path = write_csv(rows, out / "benchmark.csv")
    md_path = out / "benchmark.md"
    tmp = md_path.with_name(f".{md_path.name}.tmp")
    tmp.write_text(markdown, encoding="utf-8")
    os.replace(tmp, md_path)
    print(markdown)
    print(f"wrote {csv_path} and {md_path}")
    return 0


_COMMANDS = {"denoise": _run_denoise, "train": _run_train, "bench": _run_bench}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``deepdenoise`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit status: 0 on success, 2 on bad input or usage, 130 when
        interrupted.

    Examples
    --------
    >>> main(["bench", "--sigma", "300"])  # doctest: +SKIP
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version and usage errors
        return int(exit_.code or 0)
    try:
        return _COMMANDS[args.command](args)
    except UsageError as error:
        _error(str(error))
        return 2
    except KeyboardInterrupt:
        _error("interrupted; finished outputs are complete, no partial file was left")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
