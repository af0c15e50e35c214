"""The ``deepdenoise`` command line: ``denoise``, ``train``, ``bench`` and ``export``.

Run ``deepdenoise --help`` (or ``python -m deepdenoise --help``) for the
usage. Each subcommand is a thin layer over the package, in a module of its
own: :mod:`deepdenoise.cli.denoise` (over
:func:`deepdenoise.denoisers.get_denoiser`, :mod:`deepdenoise.data` and
:func:`deepdenoise.inference.estimate_noise_level`),
:mod:`deepdenoise.cli.train` (over :func:`deepdenoise.train.run.run_recipe`),
:mod:`deepdenoise.cli.bench` (over :mod:`deepdenoise.bench`) and
:mod:`deepdenoise.cli.export` (over :func:`deepdenoise.export.export_onnx`).
Each defines ``add_parser(commands)`` and ``run(args)``.

Exit status: 0 on success, 2 on bad input or usage (a missing or unreadable
image, an unknown model, an output that exists...), with one line per
problem on stderr and no traceback; 130 when interrupted.

TensorFlow's C++ runtime writes a few lines to file descriptor 2 when it is
imported (``WARNING: All log messages before absl::InitializeLog() ...``,
``I0000 ... port.cc:153] oneDNN custom operations are on ...``), before
Python's logging exists and whatever ``TF_CPP_MIN_LOG_LEVEL`` says. While a
command runs, the first import of TensorFlow (or JAX) goes through
:func:`_native_stderr_filtered`: descriptor 2 points to a temporary file for
the import only, then is restored, and what was written there is replayed
on stderr without those start-up log lines (errors are kept).

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
import contextlib
import importlib.abc
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from deepdenoise.cli import bench, denoise, export, train
from deepdenoise.cli._common import PROG, UsageError, print_error
from deepdenoise.cli.denoise import DEFAULT_MODEL

__all__ = ["DEFAULT_MODEL", "PROG", "UsageError", "build_parser", "main"]

_EPILOG = """\
examples:
  deepdenoise denoise photo.jpg -o clean.png                 # FFDNet, sigma estimated
  deepdenoise denoise scans/ -o denoised/ --sigma 25         # a whole folder
  deepdenoise denoise a.png b.tif -o out/ --model dncnn --force
  deepdenoise train --config ffdnet --workdir runs/ffdnet
  deepdenoise bench --dataset set12 --sigma 15,25,50 --methods noisy,gaussian,bm3d,ffdnet
  deepdenoise export --model all --format onnx -o exported/

Sigma is always on the 0-255 scale (--sigma 25 means a standard deviation
of 25/255). Exit status: 0 ok, 2 bad input (one line per problem on stderr).
"""

_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "denoise": denoise.run,
    "train": train.run,
    "bench": bench.run,
    "export": export.run,
}


# What the native runtimes log at import: absl's notice, then INFO (I) and WARNING (W)
# lines such as "I0000 00:00:1796003983.256536    5645 port.cc:153] oneDNN custom ...".
_ABSL_NOTICE = "WARNING: All log messages before absl::InitializeLog() is called"
_LOG_LINE = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [^ \]]+:\d+\] ")
_PYTHON_LINE = re.compile(r"^(Traceback |  File |\S.*:\d+: \w*(Warning|Error): )")
# Top-level packages whose import loads a native runtime that logs this way.
_NATIVE_PACKAGES = frozenset({"tensorflow", "jax", "jaxlib"})


def _startup_noise_removed(text: str) -> str:
    """``text`` without absl's notice and the INFO/WARNING log lines (and their continuations).

    Examples
    --------
    >>> _startup_noise_removed(
    ...     "WARNING: All log messages before absl::InitializeLog() is called are written "
    ...     "to STDERR\\nI0000 00:00:1.5    12 port.cc:153] oneDNN custom operations are on.\\n"
    ...     "E0000 00:00:1.6    12 cuda.cc:1] failed\\nreal error\\n"
    ... )
    'E0000 00:00:1.6    12 cuda.cc:1] failed\\nreal error\\n'
    """
    kept = []
    dropping = False
    for line in text.splitlines(keepends=True):
        match = _LOG_LINE.match(line)
        if line.startswith(_ABSL_NOTICE):
            dropping = False
            continue
        if match:
            dropping = match.group(1) in "IW"
        elif _PYTHON_LINE.match(line):
            dropping = False
        if not dropping:
            kept.append(line)
    return "".join(kept)


@contextlib.contextmanager
def _native_stderr_filtered() -> Iterator[None]:
    """Point file descriptor 2 at a temporary file, then restore it and replay the text.

    Everything written to descriptor 2 inside the block (by C++ code, or by
    Python through ``sys.stderr``) is written back to the real stderr when
    the block ends, without the start-up log lines of
    :func:`_startup_noise_removed`; if the block raises, the text is replayed
    before the exception goes on. If descriptor 2 cannot be duplicated, the
    block runs unfiltered.
    """
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        capture = tempfile.TemporaryFile()
    except OSError:
        os.close(saved)
        yield
        return
    with capture:
        _flush_stderr()
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            _flush_stderr()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = _startup_noise_removed(capture.read().decode("utf-8", "replace"))
            if text:
                sys.stderr.write(text)
                _flush_stderr()


def _flush_stderr() -> None:
    with contextlib.suppress(Exception):
        sys.stderr.flush()


class _QuietLoader(importlib.abc.Loader):
    """Wrap a package's loader so that executing the package filters its native logs."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        try:
            with _native_stderr_filtered():
                self._loader.exec_module(module)
        finally:  # leave no trace of the wrapper on the module
            module.__loader__ = self._loader
            if getattr(module, "__spec__", None) is not None:
                module.__spec__.loader = self._loader

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _QuietNativeImports(importlib.abc.MetaPathFinder):
    """A finder that gives the native packages' first import a :class:`_QuietLoader`."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in _NATIVE_PACKAGES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _QuietLoader(spec.loader)
                return spec
        return None


@contextlib.contextmanager
def _quiet_native_imports() -> Iterator[None]:
    """Filter the start-up logs of TensorFlow and JAX when they are first imported in the block.

    Examples
    --------
    >>> with _quiet_native_imports():
    ...     import json  # any import; only tensorflow, jax and jaxlib are wrapped
    """
    finder = _QuietNativeImports()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(finder)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``deepdenoise`` command.

    Returns
    -------
    argparse.ArgumentParser
        With subcommands ``denoise``, ``train``, ``bench`` and ``export``.

    Examples
    --------
    >>> args = build_parser().parse_args(["denoise", "a.png", "-o", "out"])
    >>> args.command, args.inputs, args.model, args.sigma   # model None: the default rule
    ('denoise', ['a.png'], None, None)
    """
    from deepdenoise import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Deep-learning image denoising: denoise images, train models, benchmark.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (denoise, train, bench, export):
        module.add_parser(commands)
    return parser


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
        with _quiet_native_imports():
            return _COMMANDS[args.command](args)
    except UsageError as error:
        print_error(str(error))
        return 2
    except KeyboardInterrupt:
        print_error("interrupted; finished outputs are complete, no partial file was left")
        return 130
