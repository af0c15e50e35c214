"""``deepdenoise denoise``: denoise image files and folders with any registered denoiser.

The inputs are first planned into one job per image (its output
path, or the problem that stops it: a missing file, an output that is an
input, two inputs with the same output); then the denoiser is resolved by
:func:`deepdenoise.denoisers.get_denoiser`; then every image is denoised and
written, and the failures are listed at the end.

Models run through :func:`deepdenoise.inference.denoise` with ``tile="auto"``
by default: the whole image in one pass when it fits the memory budget, tiles
only when it does not. Outputs keep the input's EXIF and ICC colour profile
(:mod:`deepdenoise.cli._metadata`). A progress bar (``keras.utils.Progbar``,
on stderr) follows the tiles of a large image and the files of a folder when
stderr is a terminal, or with ``--progress``.

Examples
--------
>>> jobs = _plan_jobs(["no-such-file.png"], "out")
>>> jobs[0].problem
'no-such-file.png does not exist'
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from deepdenoise.cli._common import (
    UsageError,
    non_negative_int,
    one_line,
    print_error,
    sigma_value,
    tile_size,
)
from deepdenoise.denoisers import DEFAULT_MODEL

__all__ = ["DEFAULT_MODEL", "DESCRIPTION", "EPILOG", "add_parser", "run"]

# DEFAULT_MODEL, "ffdnet15", is the shipped model ``denoise`` uses by default for gray
# images; RGB images get a shipped colour model of its architecture once there is one
# (deepdenoise.denoisers.default_model_name), else it too, one channel at a time.

# Outputs keep these formats (lossless); others (.jpg, .bmp) are written as PNG.
_KEPT_SUFFIXES = (".png", ".tif", ".tiff")

# The classical filters need sigma > 0, even for an image estimated noise-free.
_CLASSICAL_MIN_SIGMA = 0.5

# Without --progress, the bar appears only once a run has lasted this long (seconds).
_PROGRESS_DELAY = 2.0

DESCRIPTION = """\
Denoise image files (PNG, JPEG, BMP, TIFF; 8 or 16 bit; gray or RGB).

The shipped models (ffdnet15, ffdnet, ffdnet_color, dncnn25) were trained on
synthetic additive white Gaussian noise. Real camera noise differs: it depends
on the signal (photon shot noise), is spatially correlated by demosaicing, and
has been sharpened, denoised and JPEG-compressed by the camera. On a phone or
camera photo the models remove less than on the book's benchmarks, and --sigma
may need tuning. Chapter 1 of the book, "Background: where image noise comes
from" (book/ch1_background.md), explains the difference."""

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
The EXIF (orientation reset to upright when the pixels were turned) and the
ICC colour profile are kept. Images with an alpha channel are denoised
without it: the output has no alpha (a note says so). Inputs are never
overwritten, even with --force; existing outputs only with --force. Each
output is written to a temporary file and renamed into place, so an
interrupted run leaves no partial image. A folder run writes every image it
can, then lists the failures (exit 2).

Memory: a model runs on the whole image at once when that fits in about
512 MiB (up to ~2.8 megapixels for the ffdnet models), else on the fewest tiles that
fit; --tile N forces N x N tiles. A 24-megapixel photo stays under 2 GB.
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``denoise`` subcommand to ``commands`` (from ``add_subparsers``)."""
    parser = commands.add_parser(
        "denoise",
        help="denoise image files or folders",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("inputs", nargs="+", metavar="IN", help="image files or folders")
    parser.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="output file or folder"
    )
    parser.add_argument(
        "--model",
        default=None,
        metavar="NAME",
        help="a pretrained model name, a .keras file ('model:PATH' or PATH), or a classical "
        "method (gaussian, median, tv, wavelet, nl_means, bm3d); NAME/per-channel runs a gray "
        f"method on each channel of an RGB image. Default: {DEFAULT_MODEL} for gray images; "
        "for RGB images a shipped colour model when there is one, else "
        f"{DEFAULT_MODEL} channel by channel",
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
        type=_tile_option,
        default="auto",
        metavar="N",
        help="tile side in pixels for models (0: whole image in one pass, whatever its size); "
        "default auto: one pass when the image fits the memory budget, else the fewest tiles "
        "that do",
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
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on stderr (tiles of a large image, files of a folder); "
        "default: when stderr is a terminal and the run takes more than a few seconds",
    )
    return parser


def _tile_option(text: str) -> int | str | None:
    """Argument type of ``--tile``: ``auto``, 0 (None: one pass) or a side in pixels.

    Examples
    --------
    >>> _tile_option("auto"), _tile_option("0"), _tile_option("512")
    ('auto', None, 512)
    """
    if text.strip().lower() == "auto":
        return "auto"
    return tile_size(text)


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


# --- progress ----------------------------------------------------------------------------


class _Progress:
    """One transient ``keras.utils.Progbar`` on stderr for the whole run.

    With several images it counts images (a fraction for the tiles of the
    current one); with one image it counts that image's forward passes.
    Nothing is drawn when disabled, nor before ``delay`` seconds, so quick
    runs stay quiet. :meth:`clear` erases the bar before a result line is
    printed on stdout, so that the two never share a line on a terminal.
    """

    def __init__(self, images: int, *, enabled: bool, delay: float, stream: TextIO) -> None:
        self.images = images
        self.enabled = enabled
        self.delay = delay
        self.stream = stream
        self.start = time.monotonic()
        self.done_images = 0
        self._bar: Any = None
        self._drawn = False

    def _show(self, current: float, target: int, unit: str) -> None:
        if not self.enabled:
            return
        import keras

        with contextlib.redirect_stdout(self.stream):  # Progbar writes to sys.stdout
            if self._bar is None or self._bar.target != target:
                # Silent (verbose 0) until the delay is over: it still times the steps,
                # so the first estimate it shows is already a good one.
                self._bar = keras.utils.Progbar(target, verbose=0, interval=0.0, unit_name=unit)
            if not self._bar.verbose and time.monotonic() - self.start >= self.delay:
                self._bar.verbose = 1
            self._bar.update(current, finalize=False)
        self._drawn = self._drawn or bool(self._bar.verbose)

    def passes(self, done: int, total: int) -> None:
        """Callback of :func:`deepdenoise.inference.denoise`: ``done`` of ``total`` passes."""
        if self.images > 1:
            self._show(self.done_images + done / total, self.images, "image")
        elif total > 1:
            self._show(done, total, "pass")

    def image_done(self) -> None:
        """One more image written (or failed)."""
        self.done_images += 1
        if self.images > 1:
            self._show(self.done_images, self.images, "image")

    def clear(self) -> None:
        """Erase the bar from its line (it comes back at the next update)."""
        if self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._drawn = False


# --- denoising ---------------------------------------------------------------------------


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


class _Choice:
    """``--model``'s denoiser, or without ``--model`` the default one for each image.

    Denoisers are loaded once, on first use; ``--model`` (or the gray
    default) is loaded at once, so a bad name stops the run before any file.
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.loaded: dict[str, Any] = {}
        self.get(args.model or DEFAULT_MODEL)

    def get(self, name: str) -> Any:
        if name not in self.loaded:
            self.loaded[name] = _load_denoiser(
                name,
                tile=self.args.tile,
                overlap=self.args.overlap,
                self_ensemble=self.args.self_ensemble,
            )
        return self.loaded[name]

    def __call__(self, image: Any) -> tuple[Any, list[str]]:
        """The denoiser for ``image``, and a note naming a model the default rule chose."""
        from deepdenoise.denoisers import check_image_channels, default_model_name

        if self.args.model is not None:
            denoiser = self.get(self.args.model)
            if denoiser.channels not in (None, 1):  # a colour model asked for by name
                check_image_channels(denoiser.name, denoiser.channels, image)
            return denoiser, []
        name = default_model_name(image.shape[2] if image.ndim == 3 else 1)
        return self.get(name), ([] if name == DEFAULT_MODEL else [f"model {name}"])


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


def _as_integers(image: Any, bits: int) -> Any:
    """The float image in [0, 1] back as the file's uint8/uint16 samples (in place, no copy).

    The loader divides the stored integers by 255 or 65535; rounding undoes
    that exactly. A model run on integers returns integers, so a 24-megapixel
    RGB result takes 72 MB instead of 288 MB, and the saved file is the same.
    """
    import numpy as np

    top = np.float32(255 if bits == 8 else 65535)
    image *= top
    np.rint(image, out=image)
    np.clip(image, 0, top, out=image)
    return image.astype(np.uint8 if bits == 8 else np.uint16)


def _run_denoiser(
    denoiser: Any,
    image: Any,
    sigma: float | None,
    bits: int,
    args: argparse.Namespace,
    progress: _Progress,
) -> Any:
    """Apply the denoiser; a Keras model runs through inference.denoise, with progress."""
    model = getattr(denoiser, "model", None)
    if denoiser.kind != "model" or model is None:
        return denoiser(image, sigma)
    from deepdenoise.inference import denoise

    return denoise(
        model,
        _as_integers(image, bits),
        sigma,
        tile=args.tile,
        overlap=args.overlap,
        self_ensemble=args.self_ensemble,
        progress=progress.passes,
    )


def _denoise_one(job: _Job, choose: _Choice, args: argparse.Namespace, progress: _Progress) -> str:
    """Denoise one file; return the line to print. Raises on any problem with this file."""
    from deepdenoise.cli._metadata import read_metadata, save_with_metadata
    from deepdenoise.data.images import image_bit_depth

    assert job.target is not None
    image, notes = _load(job.source)
    denoiser, model_notes = choose(image)
    notes += model_notes
    bits = image_bit_depth(job.source)
    metadata = read_metadata(job.source)
    sigma, sigma_notes = _sigma(denoiser, image, args.sigma)
    start = time.perf_counter()
    result = _run_denoiser(denoiser, image, sigma, bits, args, progress)
    seconds = time.perf_counter() - start
    del image
    job.target.parent.mkdir(parents=True, exist_ok=True)
    save_with_metadata(job.target, result, metadata, overwrite=args.force, bit_depth=bits)
    kept = [f"{' and '.join(metadata.kept())} kept"] if metadata else []
    detail = ", ".join(
        [*notes, *sigma_notes, f"{bits}-bit", *kept, *metadata.notes, f"{seconds:.2f} s"]
    )
    return f"{job.source} -> {job.target} ({detail})"


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False


def _report(job: _Job) -> None:
    message = job.problem or "failed"
    print_error(message if str(job.source) in message else f"{job.source}: {message}")


def _attempt(job: _Job, choose: _Choice, args: argparse.Namespace, progress: _Progress) -> bool:
    """Denoise one planned job; on a problem, record it in the job and return False."""
    assert job.target is not None
    if job.target.exists() and not args.force:
        job.problem = f"output {job.target} exists; use --force to replace it"
        return False
    try:
        line = _denoise_one(job, choose, args, progress)
        progress.clear()
        print(line, flush=True)
        return True
    except FileExistsError:
        job.problem = f"output {job.target} exists; use --force to replace it"
    except (OSError, ValueError, TypeError) as problem:
        job.problem = one_line(problem)
    return False


def run(args: argparse.Namespace) -> int:
    """Run ``deepdenoise denoise``; return the exit status (2 if any input failed)."""
    if isinstance(args.tile, int) and args.tile <= 2 * args.overlap:
        raise UsageError(
            f"--tile ({args.tile}) must be larger than twice --overlap ({args.overlap})"
        )
    jobs = _plan_jobs(args.inputs, args.output)
    choose = _Choice(args)
    failures = [job for job in jobs if job.problem is not None]
    for job in failures:
        _report(job)
    todo = [job for job in jobs if job.problem is None]
    asked = getattr(args, "progress", None)
    progress = _Progress(
        len(todo),
        enabled=asked if asked is not None else _is_terminal(sys.stderr),
        delay=0.0 if asked else _PROGRESS_DELAY,
        stream=sys.stderr,
    )
    try:
        for job in todo:
            if not _attempt(job, choose, args, progress):
                failures.append(job)
                progress.clear()
                _report(job)
            progress.image_done()
    finally:
        progress.clear()
    if failures and len(jobs) > 1:
        print_error(
            f"{len(failures)} of {len(jobs)} inputs failed: "
            + ", ".join(str(job.source) for job in failures)
        )
    return 2 if failures else 0
