"""Sphinx extension: the ``{result}`` role, one measured number read from the results files.

The chapters never type a measured number (``tests/test_chapter_numbers.py`` checks it):
a number that a notebook computes is glued from it, and a number that the package's
result files hold is read from them by this role when the page is built::

    The shipped model scores {result}`bsd68/float/ffdnet/25` dB on BSD68.

Keys, and the file each one reads:

``DATASET/PROTOCOL/METHOD/SIGMA``
    mean PSNR in dB, two decimals, from ``src/deepdenoise/weights/benchmark.csv``
    (:func:`deepdenoise.bench.read_csv`), e.g. ``bsd68/float/ffdnet/25``; METHOD may
    hold a slash (``cbsd68/float/ffdnet/per-channel/25``).
``speed/METHOD``, ``speed-colour/METHOD``
    median CPU seconds per 512x512 gray or RGB image, from
    ``src/deepdenoise/weights/speed.md`` or ``speed_colour.md`` (written by
    ``benchmarks/speed.py`` and ``benchmarks/speed.py --colour``).
``params/MODEL``, ``steps/MODEL``, ``train-minutes/MODEL``
    a shipped model's parameters, training steps and training wall time in minutes,
    from ``src/deepdenoise/weights/manifest.json``.
``gmac/MODEL``
    a shipped model's multiply-adds per 256x256 image, in billions, from
    ``book/tables/ablation.md`` (gray models) or ``book/tables/colour-cost.md`` (colour
    models); ``benchmarks/render_results.py`` computes it from the model, and
    ``tests/test_results_tables.py`` fails when a table is out of date.

A key may end in ``:FORMAT``, a Python format specification that replaces the default
one (``speed/ffdnet:.2f``). An unknown key is a build warning (an error under ``-W``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from docutils import nodes

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "src" / "deepdenoise" / "weights"
BENCHMARK_CSV = WEIGHTS / "benchmark.csv"
SPEED_MD = WEIGHTS / "speed.md"
SPEED_COLOUR_MD = WEIGHTS / "speed_colour.md"
MANIFEST = WEIGHTS / "manifest.json"
ABLATION_MD = ROOT / "book" / "tables" / "ablation.md"
COLOUR_COST_MD = ROOT / "book" / "tables" / "colour-cost.md"
SOURCES = (BENCHMARK_CSV, SPEED_MD, SPEED_COLOUR_MD, MANIFEST, ABLATION_MD, COLOUR_COST_MD)


def _psnr(dataset: str, protocol: str, method: str, sigma: str) -> float:
    from deepdenoise.bench import read_csv

    try:
        wanted = float(sigma)
    except ValueError:
        raise ValueError(f"sigma {sigma!r} is not a number") from None
    for row in read_csv(BENCHMARK_CSV):
        if (row["dataset"], row["protocol"], row["method"]) == (dataset, protocol, method) and (
            float(row["sigma"]) == wanted
        ):
            if not math.isfinite(row["psnr"]):
                raise ValueError(f"{BENCHMARK_CSV.name} has no PSNR for this row")
            return float(row["psnr"])
    raise KeyError(f"no row {dataset}/{protocol}/{method}/sigma {sigma} in {BENCHMARK_CSV.name}")


def _speed(method: str, table: Path = SPEED_MD) -> float:
    from deepdenoise.bench import read_speed_table

    rows = read_speed_table(table.read_text(encoding="utf-8"))
    if method not in rows:
        raise KeyError(f"no method {method!r} in {table.name}")
    return rows[method][0]


def _manifest_entry(model: str) -> dict[str, Any]:
    models = json.loads(MANIFEST.read_text(encoding="utf-8"))["models"]
    if model not in models:
        raise KeyError(f"no model {model!r} in {MANIFEST.name} (it has {sorted(models)})")
    return models[model]


def _gmac(model: str) -> float:
    for table in (ABLATION_MD, COLOUR_COST_MD):
        if not table.is_file():
            continue
        lines = [line for line in table.read_text(encoding="utf-8").splitlines() if line]
        header = [cell.strip() for cell in lines[0].strip("|").split("|")]
        column = next((i for i, name in enumerate(header) if name.startswith("GMAC")), None)
        if column is None:
            raise ValueError(f"{table.name} has no GMAC column")
        for line in lines[2:]:
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if cells[0].strip("*") == model:
                return float(cells[column])
    raise KeyError(f"no model {model!r} in {ABLATION_MD.name} or {COLOUR_COST_MD.name}")


def lookup(key: str) -> tuple[float, str]:
    """The value a key names, and its default format specification.

    Examples
    --------
    >>> value, spec = lookup("params/ffdnet")
    >>> value > 0, spec
    (True, ',')
    """
    parts = key.split("/")
    kind, rest = parts[0], parts[1:]
    if kind == "speed" and rest:
        return _speed("/".join(rest)), ".3f"
    if kind == "speed-colour" and rest:
        return _speed("/".join(rest), SPEED_COLOUR_MD), ".3f"
    if len(parts) >= 4:
        dataset, protocol, *method, sigma = parts
        return _psnr(dataset, protocol, "/".join(method), sigma), ".2f"
    if kind == "gmac" and len(rest) == 1:
        return _gmac(rest[0]), ".1f"
    if kind in ("params", "steps", "train-minutes") and len(rest) == 1:
        entry = _manifest_entry(rest[0])
        if kind == "params":
            return int(entry["info"]["params"]), ","
        if kind == "steps":
            return int(entry["steps"]), ","
        return float(entry["wall_time_s"]) / 60, ".0f"
    raise ValueError(
        f"unknown key {key!r}: expected DATASET/PROTOCOL/METHOD/SIGMA, speed/METHOD, "
        "speed-colour/METHOD, gmac/MODEL, params/MODEL, steps/MODEL or train-minutes/MODEL"
    )


def resolve(text: str) -> str:
    """The text a ``{result}`` role shows: ``KEY`` or ``KEY:FORMAT``.

    Examples
    --------
    >>> resolve("params/ffdnet") == f"{lookup('params/ffdnet')[0]:,}"
    True
    """
    key, _, spec = text.partition(":")
    value, default = lookup(key.strip())
    return format(value, spec or default)


def result_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``{result}`KEY``` -> the number, as plain inline text."""
    try:
        shown = resolve(text)
    except (KeyError, ValueError, OSError) as error:
        message = inliner.reporter.error(f"{{result}}`{text}`: {error}", line=lineno)
        problem = inliner.problematic(rawtext, rawtext, message)
        return [problem], [message]
    env = getattr(inliner.document.settings, "env", None)
    if env is not None:
        for source in SOURCES:
            env.note_dependency(str(source))
    return [nodes.inline(rawtext, shown, classes=["result-number"])], []


def setup(app: Any) -> dict[str, Any]:
    app.add_role("result", result_role)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
