"""``deepdenoise train``: train the model a TOML recipe describes (resuming a stopped run).

A thin layer over :func:`deepdenoise.train.run.run_recipe`.

Examples
--------
>>> import argparse
>>> commands = argparse.ArgumentParser().add_subparsers(dest="command")
>>> add_parser(commands).parse_args(["--config", "ffdnet"]).precision
'float32'
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from deepdenoise.cli._common import UsageError, one_line, positive_float, positive_int

__all__ = ["EPILOG", "add_parser", "run"]

EPILOG = """\
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


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add the ``train`` subcommand to ``commands`` (from ``add_subparsers``)."""
    parser = commands.add_parser(
        "train",
        help="train a model from a TOML recipe",
        description="Train the model a TOML recipe describes (resumes an interrupted run).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        required=True,
        metavar="RECIPE",
        help="a TOML recipe file, or the name of a shipped one (ffdnet, dncnn25)",
    )
    parser.add_argument(
        "--workdir", default=None, metavar="DIR", help="run folder (default runs/<output.name>)"
    )
    parser.add_argument(
        "--max-steps", type=positive_int, default=None, metavar="N", help="train at most N steps"
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        metavar="N",
        help="patches per step instead of the recipe's data.batch_size",
    )
    parser.add_argument(
        "--time-budget",
        type=positive_float,
        default=None,
        metavar="SECONDS",
        help="stop at the last checkpoint that fits in SECONDS; rerun to go on",
    )
    parser.add_argument(
        "--precision",
        default="float32",
        choices=("float32", "mixed_float16", "mixed_bfloat16"),
        help="Keras dtype policy (mixed: 16-bit compute, float32 weights)",
    )
    parser.add_argument(
        "--one-device",
        action="store_true",
        help="use one device, not every visible GPU/TPU core",
    )
    parser.add_argument(
        "--init",
        default=None,
        metavar="FILE",
        help="start from these .weights.h5 instead of random weights",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        metavar="N",
        help="threads drawing batches while the model trains",
    )
    parser.add_argument(
        "--register",
        action="store_true",
        help="record the trained model in the package's weights manifest",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``deepdenoise train``; return the exit status."""
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
            args.config,
            workdir=args.workdir,
            options=options,
            register=args.register,
            verbose=1 if sys.stdout.isatty() else 2,
        )
    except (OSError, ValueError) as problem:
        raise UsageError(one_line(problem)) from None
    minutes = (time.perf_counter() - start) / 60
    record = json.loads((workdir / "run.json").read_text(encoding="utf-8"))
    state = "finished" if record["finished"] else "stopped; run the same command to go on"
    print(
        f"{model.name}: {record['steps']} of {record['total_steps']} steps ({state}) after "
        f"{minutes:.1f} min in this session; run folder {workdir}"
    )
    return 0
