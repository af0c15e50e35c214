"""``deepdenoise export``: write shipped models as ONNX files with a JSON sidecar.

A thin layer over :func:`deepdenoise.export.export_onnx`: for each model
NAME, ``DIR/NAME.onnx`` and ``DIR/NAME.json``.

Examples
--------
>>> import argparse
>>> commands = argparse.ArgumentParser().add_subparsers(dest="command")
>>> args = add_parser(commands).parse_args(["--model", "ffdnet", "--model", "dncnn25", "-o", "d"])
>>> args.model, args.format, args.output
(['ffdnet', 'dncnn25'], 'onnx', 'd')
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from deepdenoise.cli._common import UsageError, one_line

__all__ = ["EPILOG", "FORMATS", "add_parser", "run"]

FORMATS = ("onnx",)
"""The formats ``--format`` accepts."""

EPILOG = """\
examples:
  deepdenoise export --model ffdnet -o web/models/
  deepdenoise export --model all --format onnx -o exported/

For each model NAME, writes DIR/NAME.onnx and DIR/NAME.json (DIR is created).
The ONNX graph takes float32 NHWC inputs of any batch, height and width:
'noisy' (N, H, W, C) in [0, 1], and for noise-map models (ffdnet) also
'sigma_map' (N, H, W, 1) holding sigma/255; its output 'denoised' has the
shape of 'noisy'. Height and width must be multiples of the sidecar's
size_multiple (pad first). The sidecar also gives the receptive field, the
training noise range and the file's sha256. Existing files are replaced,
each only once its new version is complete. Needs the optional packages
onnx, tf2onnx and onnxruntime: pip install "deepdenoise[onnx]".
"""


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``export`` subcommand to ``commands`` (from ``add_subparsers``)."""
    parser = commands.add_parser(
        "export",
        help="export shipped models to ONNX (for a browser or onnxruntime)",
        description="Export shipped models as ONNX files, each with a JSON sidecar.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model",
        action="append",
        required=True,
        metavar="NAME",
        help="a shipped model (ffdnet, dncnn25...) or 'all'; may be given more than once",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="onnx", help="the file format (default onnx)"
    )
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="output folder")
    return parser


def _names(asked: list[str]) -> list[str]:
    """The shipped models named by ``--model`` (``all`` for every one), in order, once each.

    Examples
    --------
    >>> _names(["all"]) == sorted(_names(["all"]))
    True
    >>> _names(["nope"])
    Traceback (most recent call last):
    ...
    deepdenoise.cli._common.UsageError: --model 'nope' is not a shipped model: expected ...
    """
    from deepdenoise.weights import list_pretrained

    shipped = list_pretrained()
    names: list[str] = []
    for name in asked:
        if name == "all":
            chosen = shipped
        elif name in shipped:
            chosen = [name]
        else:
            raise UsageError(
                f"--model {name!r} is not a shipped model: expected one of {shipped} or 'all'"
            )
        names += [item for item in chosen if item not in names]
    return names


def run(args: argparse.Namespace) -> int:
    """Run ``deepdenoise export``; return the exit status."""
    names = _names(args.model)
    folder = Path(args.output)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"-o {args.output} exists and is not a folder")
    from deepdenoise.export import export_onnx

    for name in names:
        try:
            path = export_onnx(name, folder)
        except (ImportError, OSError, RuntimeError, TypeError, ValueError) as problem:
            raise UsageError(f"cannot export {name!r}: {one_line(problem)}") from None
        print(f"{name} -> {path} and {path.with_suffix('.json')}", flush=True)
    return 0
