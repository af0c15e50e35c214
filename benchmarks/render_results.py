"""Render the README's and the book's results tables from the files the measurements wrote.

One source per number:

* PSNR: ``src/deepdenoise/weights/benchmark.csv``, written by ``deepdenoise bench``
  (one row per dataset, protocol, sigma and method);
* parameters and multiply-adds: the shipped models themselves
  (:func:`deepdenoise.weights.load_pretrained`, :func:`deepdenoise.models.multiply_adds`);
* CPU seconds per 512x512 image: ``src/deepdenoise/weights/speed.md``, written by
  ``benchmarks/speed.py``;
* quoted numbers: :mod:`deepdenoise.published`.

Each table is written between two marker lines in ``README.md``
(``<!-- generated: NAME ... -->`` and ``<!-- end generated: NAME -->``) and as
``book/tables/NAME.md``, which the chapters include. ``tests/test_results_tables.py``
fails when a file no longer matches what this script renders.

Run it with::

    python benchmarks/render_results.py           # rewrite the tables
    python benchmarks/render_results.py --check   # exit 1 if any table is out of date
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from deepdenoise._io import atomic_write
from deepdenoise.bench import read_csv
from deepdenoise.published import published_results

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "src" / "deepdenoise" / "weights"
BENCHMARK_CSV = WEIGHTS / "benchmark.csv"
SPEED_MD = WEIGHTS / "speed.md"
README = ROOT / "README.md"
BOOK_TABLES = ROOT / "book" / "tables"
SIGMAS = (15.0, 25.0, 50.0)
MISSING = "–"

LABELS = {
    "noisy": "noisy input",
    "gaussian": "Gaussian blur",
    "median": "median filter",
    "tv": "total variation (scikit-image)",
    "wavelet": "wavelet thresholding (scikit-image)",
    "nl_means": "non-local means (scikit-image)",
    "bm3d": "BM3D (`bm3d` package)",
}


def label(method: str, shipped: Iterable[str]) -> str:
    """How a method is named in a table: shipped models in bold."""
    if method.endswith("/blind"):
        return f"{label(method.removesuffix('/blind'), shipped)}, σ estimated"
    if method in shipped:
        return f"**{method}** (shipped)"
    return LABELS.get(method, method)


def _protocol(row: Mapping[str, Any]) -> str:
    return str(row.get("protocol") or "float")


def psnr_lookup(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str, float], float]:
    """``(protocol, dataset, method, sigma) -> PSNR`` for every measured row."""
    return {
        (_protocol(row), row["dataset"], row["method"], float(row["sigma"])): float(row["psnr"])
        for row in rows
    }


def _cell(value: float | None) -> str:
    return MISSING if value is None or not math.isfinite(value) else f"{value:.2f}"


def _table(header: Sequence[str], body: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines) + "\n"


def _methods(rows: Sequence[Mapping[str, Any]], protocol: str) -> list[str]:
    """Methods measured under ``protocol``, in the order they first appear."""
    seen: dict[str, None] = {}
    for row in rows:
        if _protocol(row) == protocol:
            seen.setdefault(row["method"], None)
    return list(seen)


def gray_float_table(rows: Sequence[Mapping[str, Any]], shipped: Sequence[str]) -> str:
    """BSD68 and Set12 at sigma 15/25/50, DnCNN protocol, measured then quoted."""
    psnr = psnr_lookup(rows)
    columns = [(dataset, sigma) for dataset in ("bsd68", "set12") for sigma in SIGMAS]
    header = ["method", *(f"{'BSD68' if d == 'bsd68' else 'Set12'} σ={s:g}" for d, s in columns)]
    body = [
        [label(method, shipped), *(_cell(psnr.get(("float", d, method, s))) for d, s in columns)]
        for method in _methods(rows, "float")
    ]
    quoted: dict[str, dict[tuple[str, float], float]] = {}
    for result in published_results():
        quoted.setdefault(result.label, {})[(result.dataset, result.sigma)] = result.psnr
    body += [[name, *(_cell(values.get(c)) for c in columns)] for name, values in quoted.items()]
    return _table(header, body)


def gray_clipped_table(rows: Sequence[Mapping[str, Any]], shipped: Sequence[str]) -> str:
    """BSD68 with noisy inputs clipped and rounded to 8 bits, as photos on disk are."""
    psnr = psnr_lookup(rows)
    header = ["method", *(f"BSD68 σ={s:g}, 8-bit clipped" for s in SIGMAS)]
    body = [
        [
            label(method, shipped),
            *(_cell(psnr.get(("clipped8", "bsd68", method, s))) for s in SIGMAS),
        ]
        for method in _methods(rows, "clipped8")
    ]
    return _table(header, body)


def speed_seconds(text: str) -> dict[str, float]:
    """Median seconds per image of each method, read from ``benchmarks/speed.py``'s table."""
    seconds = {}
    for line in text.splitlines():
        match = re.match(r"\|\s*([\w.-]+)\s*\|\s*([0-9.]+)\s*\|", line)
        if match:
            seconds[match.group(1)] = float(match.group(2))
    return seconds


def ablation_table(
    rows: Sequence[Mapping[str, Any]],
    models: Mapping[str, Mapping[str, Any]],
    seconds: Mapping[str, float],
) -> str:
    """Cost against quality for each shipped gray model.

    ``models`` maps a model's name to ``{"params": int, "gmac": float}``.
    """
    psnr = psnr_lookup(rows)
    header = [
        "model",
        "parameters",
        "GMAC per 256²",
        *(f"BSD68 σ={s:g}" for s in SIGMAS),
        *(f"8-bit σ={s:g}" for s in SIGMAS),
        "CPU s per 512²",
    ]
    body = []
    for name, cost in models.items():
        body.append(
            [
                f"**{name}**",
                f"{cost['params']:,}",
                f"{cost['gmac']:.1f}",
                *(_cell(psnr.get(("float", "bsd68", name, s))) for s in SIGMAS),
                *(_cell(psnr.get(("clipped8", "bsd68", name, s))) for s in SIGMAS),
                MISSING if name not in seconds else f"{seconds[name]:.3f}",
            ]
        )
    return _table(header, body)


def shipped_gray_models() -> dict[str, dict[str, Any]]:
    """Parameters and GMAC per 256x256 image of every shipped gray model."""
    from deepdenoise.models import model_info, multiply_adds
    from deepdenoise.weights import list_pretrained, load_pretrained

    costs = {}
    for name in list_pretrained():
        model = load_pretrained(name)
        if model_info(model)["channels"] == 1:
            costs[name] = {"params": model.count_params(), "gmac": multiply_adds(model) / 1e9}
    return costs


def render_all() -> dict[str, str]:
    """Every generated table, by name."""
    rows = read_csv(BENCHMARK_CSV)
    models = shipped_gray_models()
    seconds = speed_seconds(SPEED_MD.read_text(encoding="utf-8"))
    return {
        "gray-float": gray_float_table(rows, list(models)),
        "gray-clipped": gray_clipped_table(rows, list(models)),
        "ablation": ablation_table(rows, models, seconds),
    }


def _block_pattern(name: str) -> re.Pattern[str]:
    start = rf"<!-- generated: {re.escape(name)} [^\n]*-->\n"
    end = rf"<!-- end generated: {re.escape(name)} -->"
    return re.compile(f"({start})(.*?)({end})", re.DOTALL)


def replace_blocks(text: str, tables: Mapping[str, str]) -> str:
    """Put each table between its markers in ``text``; markers absent from it are skipped."""
    for name, table in tables.items():
        text = _block_pattern(name).sub(lambda m, t=table: m.group(1) + t + m.group(3), text)
    return text


def readme_block_names(text: str) -> list[str]:
    """The generated blocks a text contains."""
    return re.findall(r"<!-- generated: ([\w-]+) ", text)


def targets(tables: Mapping[str, str]) -> dict[Path, str]:
    """Every file this script writes, with the content it should have."""
    expected = {BOOK_TABLES / f"{name}.md": table for name, table in tables.items()}
    expected[README] = replace_blocks(README.read_text(encoding="utf-8"), tables)
    return expected


def out_of_date(expected: Mapping[Path, str]) -> list[Path]:
    """The files whose content differs from ``expected``."""
    return [
        path
        for path, text in expected.items()
        if not path.is_file() or path.read_text(encoding="utf-8") != text
    ]


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None, render: Callable[[], dict[str, str]] = render_all) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if any table is out of date")
    args = parser.parse_args(argv)
    expected = targets(render())
    stale = out_of_date(expected)
    if args.check:
        for path in stale:
            print(f"out of date: {_shown(path)} (run python benchmarks/render_results.py)")
        return 1 if stale else 0
    BOOK_TABLES.mkdir(parents=True, exist_ok=True)
    for path in stale:
        atomic_write(path, expected[path])
        print(f"wrote {_shown(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
