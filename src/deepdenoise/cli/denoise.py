"""``deepdenoise denoise``: denoise image files and folders with any registered denoiser.

The inputs are first planned into one job per image (its output
path, or the problem that stops it: a missing file, an output that is an
input, two inputs with the same output); then the denoiser is resolved by
:func:`deepdenoise.denoisers.get_denoiser`; then every image is denoised and
written, and the failures are listed at the end.

Examples
--------
>>> jobs = _plan_jobs(["no-such-file.png"], "out")
>>> jobs[0].problem
'no-such-file.png does not exist'
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deepdenoise.cli._common import (
    UsageError,
    non_negative_int,
    one_line,
    print_error,
    sigma_value,
    tile_size,
)

__all__ = ["DEFAULT_MODEL", "EPILOG", "add_parser", "run"]

DEFAULT_MODEL = "ffdnet"
"""The shipped model ``denoise`` uses by default: FFDNet, fast on a CPU."""

# Outputs keep these formats (lossless); others (.jpg, .bmp) are written as PNG.
_KEPT_SUFFIXES = (".png", ".tif", ".tiff")

# The classical filters need sigma > 0, even for an image estimated noise-free.
_CLASSICAL_MIN_SIGMA = 0.5

EPILOG = """\
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


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``denoise`` subcommand to ``commands`` (from ``add_subparsers``)."""
    parser = commands.add_parser(
        "denoise",
        help="denoise image files or folders",
        description="Denoise image files (PNG, JPEG, BMP, TIFF; 8 or 16 bit; gray or RGB).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("inputs", nargs="+", metavar="IN", help="image files or folders")
    parser.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="output file or folder"
    )
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        metavar="NAME",
        help="a pretrained model name, a .keras file ('model:PATH' or PATH), or a classical "
        f"method (gaussian, median, tv, wavelet, nl_means, bm3d); default {DEFAULT_MODEL}",
    )
    parser.add_argument(
        "--sigma",
        type=sigma_value,
        default=None,
        metavar="S",
        help="noise std on the 0-255 scale; estimated per image when omitted "
        "(used by noise-map models such as FFDNet and by classical methods)",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace existing outputs (never an input)"
    )
    parser.add_argument(
        "--tile",
        type=tile_size,
        default=256,
        metavar="N",
        help="tile side in pixels for models, bounding memory (0: whole image); default 256",
    )
    parser.add_argument(
        "--overlap",
        type=non_negative_int,
        default=32,
        metavar="M",
        help="margin in pixels each tile adds and discards (at least the model's receptive-field "
        "radius for seamless tiles); default 32",
    )
    parser.add_argument(
        "--self-ensemble",
        action="store_true",
        help="average over 8 flips/rotations (8x slower, about +0.1 dB)",
    )
    return parser


# --- planning ----------------------------------------------------------------------------


@dataclass
class _Job:
    """One input image: its output path, or the problem that stops it."""

    source: Path
    target: Path | None = None
    problem: str | None = None


def _output_suffix(source: Path) -> str:
    suffix = source.suffix.lower()
    return source.suffix if suffix in _KEPT_SUFFIXES else ".png"


def _identity(path: Path) -> Path:
    return Path(os.path.normcase(os.path.abspath(path.resolve())))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _expand(inputs: Sequence[str]) -> list[_Job]:
    """One job per input file and per image of an input folder (problems included)."""
    from deepdenoise.data.images import list_image_files

    jobs: list[_Job] = []
    for text in inputs:
        path = Path(text)
        if path.is_dir():
            try:
                jobs += [_Job(file) for file in list_image_files(path)]
            except (OSError, ValueError) as problem:
                jobs.append(_Job(path, problem=one_line(problem)))
        elif path.exists():
            jobs.append(_Job(path))
        else:
            jobs.append(_Job(path, problem=f"{text} does not exist"))
    return jobs


def _refuse_clashes(jobs: list[_Job]) -> None:
    """Give a problem to each job whose output is an input or another job's output."""
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


def _plan_jobs(inputs: Sequence[str], output: str) -> list[_Job]:
    """Expand the inputs into one job per image, with its output path or its problem.

    Parameters
    ----------
    inputs : sequence of str
        Image files and folders, as given on the command line.
    output : str
        ``-o``: a file name when there is one input file and it ends in an
        image suffix, else a folder.

    Returns
    -------
    list of _Job
        In the order of the inputs (a folder's images sorted by name).

    Raises
    ------
    UsageError
        If ``output`` looks like a file name but several images are to be written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> (folder / "a.png").touch()
    >>> [job.problem for job in _plan_jobs([str(folder / "a.png")], str(folder))]
    ['output ... is an input; refusing to overwrite it (even with --force)']
    >>> [job.target.name for job in _plan_jobs([str(folder / "a.png")], str(folder / "out"))]
    ['a.png']
    """
    from deepdenoise.data.images import IMAGE_SUFFIXES

    jobs = _expand(inputs)
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
    _refuse_clashes(jobs)
    return jobs


# --- denoising ---------------------------------------------------------------------------


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
    """Resolve ``--model`` in the registry; raise :class:`UsageError` with the reason.

    Examples
    --------
    >>> _load_denoiser("noisy", tile=None, overlap=0, self_ensemble=False)
    Traceback (most recent call last):
    ...
    deepdenoise.cli._common.UsageError: --model 'noisy' is not a denoiser
    """
    from deepdenoise.denoisers import DenoiserLoadError, UnknownDenoiserError, get_denoiser

    try:
        denoiser = get_denoiser(name, tile=tile, overlap=overlap, self_ensemble=self_ensemble)
    except ImportError as problem:
        raise UsageError(one_line(problem)) from None
    except UnknownDenoiserError:
        from deepdenoise.classical import CLASSICAL_METHODS
        from deepdenoise.weights import list_pretrained

        raise UsageError(
            f"--model {name!r} is unknown: expected a pretrained model {list_pretrained()}, "
            f"a .keras file, or a classical method {sorted(CLASSICAL_METHODS)}"
        ) from None
    except DenoiserLoadError as problem:
        raise UsageError(f"--model {name!r} cannot be loaded: {one_line(problem)}") from None
    if denoiser.kind == "input":
        raise UsageError(f"--model {name!r} is not a denoiser")
    return denoiser


def _load(path: Path) -> tuple[Any, list[str]]:
    """The image, and the notes to print (a dropped alpha channel)."""
    from deepdenoise.data import load_image

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = load_image(path)
    # load_image says so with a plain UserWarning; it has no warning class of its own to test.
    alpha = any("alpha" in str(warning.message) for warning in caught)
    return image, ["alpha channel dropped"] if alpha else []


def _sigma(denoiser: Any, image: Any, given: float | None) -> tuple[float | None, list[str]]:
    """The sigma to pass (given, or estimated when the denoiser needs one), and the note."""
    from deepdenoise.inference import estimate_noise_level

    if not denoiser.needs_sigma:
        return given, []
    if given is not None:
        return given, [f"sigma {given:g}"]
    sigma = estimate_noise_level(image)
    note = f"sigma {sigma:.1f} estimated"
    if denoiser.kind == "classical":
        sigma = max(sigma, _CLASSICAL_MIN_SIGMA)
    return sigma, [note]


def _denoise_one(job: _Job, denoiser: Any, args: argparse.Namespace) -> str:
    """Denoise one file; return the line to print. Raises on any problem with this file."""
    from deepdenoise.data import save_image

    assert job.target is not None
    image, notes = _load(job.source)
    bits = _bit_depth(job.source)
    sigma, sigma_notes = _sigma(denoiser, image, args.sigma)
    start = time.perf_counter()
    result = denoiser(image, sigma)
    seconds = time.perf_counter() - start
    job.target.parent.mkdir(parents=True, exist_ok=True)
    save_image(job.target, result, overwrite=args.force, bit_depth=bits)
    detail = ", ".join([*notes, *sigma_notes, f"{bits}-bit", f"{seconds:.2f} s"])
    return f"{job.source} -> {job.target} ({detail})"


def _report(job: _Job) -> None:
    message = job.problem or "failed"
    print_error(message if str(job.source) in message else f"{job.source}: {message}")


def _attempt(job: _Job, denoiser: Any, args: argparse.Namespace) -> bool:
    """Denoise one planned job; on a problem, record it in the job and return False."""
    assert job.target is not None
    if job.target.exists() and not args.force:
        job.problem = f"output {job.target} exists; use --force to replace it"
        return False
    try:
        print(_denoise_one(job, denoiser, args), flush=True)
        return True
    except FileExistsError:
        job.problem = f"output {job.target} exists; use --force to replace it"
    except (OSError, ValueError, TypeError) as problem:
        job.problem = one_line(problem)
    return False


def run(args: argparse.Namespace) -> int:
    """Run ``deepdenoise denoise``; return the exit status (2 if any input failed)."""
    if args.tile is not None and args.tile <= 2 * args.overlap:
        raise UsageError(
            f"--tile ({args.tile}) must be larger than twice --overlap ({args.overlap})"
        )
    jobs = _plan_jobs(args.inputs, args.output)
    denoiser = _load_denoiser(
        args.model, tile=args.tile, overlap=args.overlap, self_ensemble=args.self_ensemble
    )
    failures = [job for job in jobs if job.problem is not None]
    for job in failures:
        _report(job)
    for job in jobs:
        if job.problem is None and not _attempt(job, denoiser, args):
            failures.append(job)
            _report(job)
    if failures and len(jobs) > 1:
        print_error(
            f"{len(failures)} of {len(jobs)} inputs failed: "
            + ", ".join(str(job.source) for job in failures)
        )
    return 2 if failures else 0
