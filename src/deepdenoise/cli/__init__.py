"""The ``deepdenoise`` command line: ``denoise``, ``train`` and ``bench``.

Run ``deepdenoise --help`` (or ``python -m deepdenoise --help``) for the
usage. Each subcommand is a thin layer over the package, in a module of its
own: :mod:`deepdenoise.cli.denoise` (over
:func:`deepdenoise.denoisers.get_denoiser`, :mod:`deepdenoise.data` and
:func:`deepdenoise.inference.estimate_noise_level`),
:mod:`deepdenoise.cli.train` (over :func:`deepdenoise.train.run.run_recipe`)
and :mod:`deepdenoise.cli.bench` (over :mod:`deepdenoise.bench`). Each
defines ``add_parser(commands)`` and ``run(args)``.

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
from collections.abc import Callable, Sequence

from deepdenoise.cli import bench, denoise, train
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

Sigma is always on the 0-255 scale (--sigma 25 means a standard deviation
of 25/255). Exit status: 0 ok, 2 bad input (one line per problem on stderr).
"""

_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "denoise": denoise.run,
    "train": train.run,
    "bench": bench.run,
}


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
    from deepdenoise import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Deep-learning image denoising: denoise images, train models, benchmark.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (denoise, train, bench):
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
        return _COMMANDS[args.command](args)
    except UsageError as error:
        print_error(str(error))
        return 2
    except KeyboardInterrupt:
        print_error("interrupted; finished outputs are complete, no partial file was left")
        return 130
