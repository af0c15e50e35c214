"""Render the README's and the book's results tables from the files the measurements wrote.

One source per number:

* PSNR: ``src/deepdenoise/weights/benchmark.csv``, written by ``deepdenoise bench``
  (one row per dataset, protocol, sigma and method);
* parameters and multiply-adds: the shipped models themselves
  (:func:`deepdenoise.weights.load_pretrained`, :func:`deepdenoise.models.multiply_adds`);
* CPU seconds per 512x512 image: ``src/deepdenoise/weights/speed.md`` and
  ``speed_colour.md``, written by ``benchmarks/speed.py`` (``--colour`` for RGB);
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
from deepdenoise.bench import read_csv, read_speed_table
from deepdenoise.published import published_results

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "src" / "deepdenoise" / "weights"
BENCHMARK_CSV = WEIGHTS / "benchmark.csv"
SPEED_MD = WEIGHTS / "speed.md"
SPEED_COLOUR_MD = WEIGHTS / "speed_colour.md"
README = ROOT / "README.md"
BOOK_TABLES = ROOT / "book" / "tables"
SIGMAS = (15.0, 25.0, 50.0)
GRAY_SETS = ("bsd68", "set12")
COLOUR_SETS = ("cbsd68", "mcmaster")
SET_NAMES = {"bsd68": "BSD68", "set12": "Set12", "cbsd68": "CBSD68", "mcmaster": "McMaster"}
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
    if method.endswith("/per-channel"):
        return f"{label(method.removesuffix('/per-channel'), shipped)}, gray, channel by channel"
    if method.endswith("/opponent"):
        base = label(method.removesuffix("/opponent"), shipped)
        return f"{base}, gray, on brightness and colour differences"
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


def _methods(
    rows: Sequence[Mapping[str, Any]], protocol: str, datasets: Iterable[str] = GRAY_SETS
) -> list[str]:
    """Methods measured under ``protocol`` on any of ``datasets``, in the order they appear."""
    wanted = set(datasets)
    seen: dict[str, None] = {}
    for row in rows:
        if _protocol(row) == protocol and row["dataset"] in wanted:
            seen.setdefault(row["method"], None)
    return list(seen)


def _quoted(datasets: Iterable[str]) -> dict[str, dict[tuple[str, float], float]]:
    """Quoted PSNRs on ``datasets``: ``label -> {(dataset, sigma): PSNR}``."""
    wanted = set(datasets)
    quoted: dict[str, dict[tuple[str, float], float]] = {}
    for result in published_results():
        if result.dataset in wanted:
            quoted.setdefault(result.label, {})[(result.dataset, result.sigma)] = result.psnr
    return quoted


def gray_float_table(rows: Sequence[Mapping[str, Any]], shipped: Sequence[str]) -> str:
    """BSD68 and Set12 at sigma 15/25/50, DnCNN protocol, measured then quoted."""
    return _psnr_table(rows, shipped, GRAY_SETS, {})


def colour_float_table(rows: Sequence[Mapping[str, Any]], shipped: Sequence[str]) -> str:
    """CBSD68 and McMaster at sigma 15/25/50, noise independent in R, G, B; measured, quoted."""
    return _psnr_table(rows, shipped, COLOUR_SETS, {"bm3d": "CBM3D (`bm3d` package)"})


def colour_clipped_table(rows: Sequence[Mapping[str, Any]], shipped: Sequence[str]) -> str:
    """The colour sets with noisy inputs clipped and rounded to 8 bits, as photos on disk are."""
    names = {"bm3d": "CBM3D (`bm3d` package)"}
    return _psnr_table(rows, shipped, COLOUR_SETS, names, protocol="clipped8")


def _psnr_table(
    rows: Sequence[Mapping[str, Any]],
    shipped: Sequence[str],
    datasets: Sequence[str],
    names: Mapping[str, str],
    *,
    protocol: str = "float",
    note: str | None = None,
) -> str:
    """Measured PSNR per dataset and sigma under ``protocol``; quoted rows for ``float``.

    ``note`` follows each column's sigma (by default nothing for float, ", 8-bit" else).
    """
    psnr = psnr_lookup(rows)
    columns = [(dataset, sigma) for dataset in datasets for sigma in SIGMAS]
    if note is None:
        note = "" if protocol == "float" else ", 8-bit"
    header = ["method", *(f"{SET_NAMES[d]} σ={s:g}{note}" for d, s in columns)]
    body = [
        [
            names.get(method) or label(method, shipped),
            *(_cell(psnr.get((protocol, d, method, s))) for d, s in columns),
        ]
        for method in _methods(rows, protocol, datasets)
    ]
    if protocol == "float":  # the papers measured float noise only
        quoted = _quoted(datasets)
        body += [
            [name, *(_cell(values.get(c)) for c in columns)] for name, values in quoted.items()
        ]
    return _table(header, body)


def gray_clipped_table(rows: Sequence[Mapping[str, Any]], shipped: Sequence[str]) -> str:
    """BSD68 with noisy inputs clipped and rounded to 8 bits, as photos on disk are."""
    return _psnr_table(rows, shipped, ("bsd68",), {}, protocol="clipped8", note=", 8-bit clipped")


def _gap(a: float | None, b: float | None) -> str:
    """``a - b`` in dB, signed; the missing mark if either is missing.

    Two decimals, or three for a gap under 0.005 dB that two would print as
    +0.00 or -0.00 and so hide its sign.
    """
    if a is None or b is None:
        return MISSING
    gap = a - b
    return f"{gap:+.{3 if 0 < abs(gap) < 0.005 else 2}f} dB"


def gray_margins(rows: Sequence[Mapping[str, Any]]) -> str:
    """The differences the README's prose discusses, computed from the same rows.

    Each line names the two numbers it subtracts, so a reader can find both in
    the tables above it.
    """
    psnr = psnr_lookup(rows)
    quoted = {(r.method, r.dataset, r.sigma): r.psnr for r in published_results()}

    def float25(method: str) -> float | None:
        return psnr.get(("float", "bsd68", method, 25.0))

    def clipped25(method: str) -> float | None:
        return psnr.get(("clipped8", "bsd68", method, 25.0))

    def by_sigma(method: str, reference: str, protocol: str = "float") -> str:
        gaps = [
            _gap(
                psnr.get((protocol, "bsd68", method, s)),
                psnr.get((protocol, "bsd68", reference, s)),
            )
            for s in SIGMAS
        ]
        return " / ".join(gaps) + "."

    lines = [
        "- BSD68, σ=25, float: ffdnet against BM3D measured here "
        f"{_gap(float25('ffdnet'), float25('bm3d'))}; against DnCNN-S quoted "
        f"{_gap(float25('ffdnet'), quoted.get(('DnCNN-S', 'bsd68', 25.0)))}; dncnn25 against "
        f"DnCNN-S quoted {_gap(float25('dncnn25'), quoted.get(('DnCNN-S', 'bsd68', 25.0)))}.",
        "- BSD68, σ=25, 8-bit files: ffdnet15 against BM3D on the same files "
        f"{_gap(clipped25('ffdnet15'), clipped25('bm3d'))}.",
        "- BSD68, float, ffdnet15 against ffdnet at σ=15 / 25 / 50: "
        + by_sigma("ffdnet15", "ffdnet"),
        "- BSD68, float, ffdnet15 with σ estimated against σ given at σ=15 / 25 / 50: "
        + by_sigma("ffdnet15/blind", "ffdnet15"),
        "- BSD68, 8-bit files, ffdnet15 with σ estimated against σ given at σ=15 / 25 / 50: "
        + by_sigma("ffdnet15/blind", "ffdnet15", "clipped8"),
    ]
    return "\n".join(lines) + "\n"


def speed_seconds(text: str) -> dict[str, float]:
    """Median seconds per image of each method, read from ``benchmarks/speed.py``'s table."""
    return {method: seconds for method, (seconds, _) in read_speed_table(text).items()}


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


def colour_cost_table(models: Mapping[str, Mapping[str, Any]], speed_table: str) -> str:
    """Cost of denoising RGB images: each method timed by ``benchmarks/speed.py --colour``.

    ``models`` maps every shipped model's name to ``{"channels", "params", "gmac"}``;
    a gray model run on each channel (``NAME/per-channel``) costs three times its GMAC.
    Seconds and speed-ups are copied from ``speed_table``, the script's Markdown.
    """
    header = [
        "method",
        "parameters",
        "GMAC per 256² RGB",
        "CPU s per 512² RGB",
        "speed-up over CBM3D",
    ]
    body = []
    for method, (seconds, ratio) in read_speed_table(speed_table).items():
        base = method.removesuffix("/per-channel")
        cost = models.get(base)
        times = 3 if method != base else 1
        shown = f"**{method}**" if method in models else label(method, models)
        if method == "bm3d":
            shown = "CBM3D (`bm3d` package)"
        body.append(
            [
                shown,
                MISSING if cost is None else f"{cost['params']:,}",
                MISSING if cost is None else f"{cost['gmac'] * times:.1f}",
                f"{seconds:.3f}",
                MISSING if ratio is None else ratio,
            ]
        )
    return _table(header, body)


def shipped_models() -> dict[str, dict[str, Any]]:
    """Channels, parameters and GMAC per 256x256 image of every shipped model."""
    from deepdenoise.models import model_info, multiply_adds
    from deepdenoise.weights import list_pretrained, load_pretrained

    costs = {}
    for name in list_pretrained():
        model = load_pretrained(name)
        costs[name] = {
            "channels": model_info(model)["channels"],
            "params": model.count_params(),
            "gmac": multiply_adds(model) / 1e9,
        }
    return costs


def render_all() -> dict[str, str]:
    """Every generated table, by name."""
    rows = read_csv(BENCHMARK_CSV)
    models = shipped_models()
    gray = {name: cost for name, cost in models.items() if cost["channels"] == 1}
    seconds = speed_seconds(SPEED_MD.read_text(encoding="utf-8"))
    return {
        "gray-float": gray_float_table(rows, list(models)),
        "gray-clipped": gray_clipped_table(rows, list(models)),
        "ablation": ablation_table(rows, gray, seconds),
        "gray-margins": gray_margins(rows),
        "colour-float": colour_float_table(rows, list(models)),
        "colour-clipped": colour_clipped_table(rows, list(models)),
        "colour-cost": colour_cost_table(models, SPEED_COLOUR_MD.read_text(encoding="utf-8")),
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
