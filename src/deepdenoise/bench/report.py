"""Benchmark rows on disk and on the page: the CSV file and the Markdown tables.

:func:`write_csv` and :func:`read_csv` are the public API of the benchmark
CSV (``deepdenoise bench`` writes ``benchmark.csv`` with them);
:func:`to_markdown` prints the rows with the published numbers of
:mod:`deepdenoise.published` next to them, labelled "quoted".

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "results.csv"
>>> row = dict(dataset="set12", sigma=25.0, method="noisy", psnr=20.17, ssim=0.3,
...            seconds_per_image=float("nan"), megapixels_per_second=float("nan"),
...            n_images=12, seed=0)
>>> read_csv(write_csv([row], path))[0]["method"]
'noisy'
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from deepdenoise._io import atomic_write
from deepdenoise.bench.protocol import DEFAULT_PROTOCOL, FIELDS
from deepdenoise.data.benchmarks import BENCHMARK_CHANNELS

__all__ = ["merge_rows", "read_csv", "read_speed_table", "to_markdown", "write_csv"]

_FLOAT_FIELDS = ("sigma", "psnr", "ssim", "seconds_per_image", "megapixels_per_second")
_INT_FIELDS = ("n_images", "seed")

_PROTOCOL_NOTES = {
    "float": (
        "Protocol float: Gaussian noise of std sigma/255 added in float, never clipped, seed "
        "fixed per image; outputs clipped to [0, 1]; PSNR (dB) and SSIM with data_range=1, "
        "mean over the images. The noisy row scores the unclipped input."
    ),
    "clipped8": (
        "Protocol clipped8: the noisy images of the float protocol (same seeds) clipped to "
        "[0, 1] and rounded to 8 bits, as a noisy photo saved to disk; every method is given "
        "the nominal sigma; outputs clipped to [0, 1]; PSNR (dB) and SSIM with data_range=1, "
        "mean over the images. The noisy row scores the stored 8-bit input. The published "
        "numbers use the float protocol and are not quoted here."
    ),
}
_COLOUR_NOTE = (
    "Colour set: noise independent in R, G and B with the same sigma; PSNR over the three "
    "channels, SSIM the mean of the per-channel values; bm3d is CBM3D (bm3d_rgb, opponent "
    "colour space); NAME/per-channel runs a gray method on each channel apart, NAME/opponent "
    "on the brightness and two colour differences, each at its noise level."
)
# Columns a CSV written before they existed may lack, and the value they then take.
_OPTIONAL_FIELDS = {"protocol": DEFAULT_PROTOCOL}


def write_csv(rows: Iterable[Mapping[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write benchmark rows to a CSV file, atomically.

    Parameters
    ----------
    rows : iterable of dict
        Rows as returned by :func:`~deepdenoise.bench.run_benchmark`. Columns
        are :data:`~deepdenoise.bench.FIELDS` first, then any other keys in
        sorted order.
    path : str or path-like
        The file to write; its folder is created. An existing file is replaced.

    Returns
    -------
    pathlib.Path
        ``path``.

    Notes
    -----
    Floats are written with ``repr``, so :func:`read_csv` gives back the
    same numbers. The file is written to a temporary file in the same folder
    and renamed into place (:func:`os.replace`), so an interrupted run never
    leaves half a file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "results.csv"
    >>> rows = [dict(dataset="set12", sigma=25.0, method="noisy", psnr=20.17, ssim=0.3,
    ...              seconds_per_image=float("nan"), megapixels_per_second=float("nan"),
    ...              n_images=12, seed=0)]
    >>> read_csv(write_csv(rows, path))[0]["psnr"]
    20.17
    """
    rows = list(rows)
    extra = sorted({key for row in rows for key in row} - set(FIELDS))
    columns = [*FIELDS, *extra]
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()  # csv ends rows with "\r\n" itself, as in a file opened with newline=""
    writer = csv.DictWriter(text, fieldnames=columns, restval="")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {key: repr(value) if isinstance(value, float) else value for key, value in row.items()}
        )
    return atomic_write(target, text.getvalue())


def read_csv(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read rows written by :func:`write_csv`, with numbers converted back.

    Parameters
    ----------
    path : str or path-like
        A CSV file written by :func:`write_csv`.

    Returns
    -------
    list of dict
        ``sigma``, ``psnr``, ``ssim`` and the timings as float (``nan`` kept),
        ``n_images`` and ``seed`` as int, other columns as str. A file
        written before protocols were named has no ``protocol`` column; its
        rows get ``"float"``, the only protocol there was (as do rows with
        an empty ``protocol`` cell).

    Raises
    ------
    ValueError
        If the file lacks a column of :data:`~deepdenoise.bench.FIELDS`
        other than ``protocol`` (the message names the file).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "empty.csv"
    >>> read_csv(write_csv([], path))
    []
    """
    source = Path(path)
    with open(source, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        missing = [n for n in FIELDS if n not in columns and n not in _OPTIONAL_FIELDS]
        if missing:
            raise ValueError(f"path {source} is not a benchmark CSV: missing columns {missing}")
        rows = []
        for raw in reader:
            row: dict[str, Any] = dict(raw)
            for key, default in _OPTIONAL_FIELDS.items():
                row[key] = row.get(key) or default
            for key in _FLOAT_FIELDS:
                row[key] = float(raw[key])
            for key in _INT_FIELDS:
                row[key] = int(raw[key])
            rows.append(row)
    return rows


def _row_key(row: Mapping[str, Any]) -> tuple[str, str, float, str]:
    return (
        str(row.get("protocol") or DEFAULT_PROTOCOL),
        str(row["dataset"]),
        float(row["sigma"]),
        str(row["method"]),
    )


def merge_rows(
    existing: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Combine two sets of rows; a new row replaces the old one of the same measurement.

    A measurement is a protocol, dataset, sigma and method. Old rows keep
    their order, a replaced row takes its place, and rows never measured
    before follow in their own order.

    Parameters
    ----------
    existing, new : iterable of dict
        Rows as :func:`read_csv` returns them or :func:`~deepdenoise.bench.run_benchmark`
        makes them.

    Returns
    -------
    list of dict

    Examples
    --------
    >>> old = [{"dataset": "set12", "sigma": 25.0, "method": "tv", "psnr": 28.0},
    ...        {"dataset": "set12", "sigma": 25.0, "method": "bm3d", "psnr": 30.0}]
    >>> new = [{"dataset": "set12", "sigma": 25.0, "method": "tv", "psnr": 28.1},
    ...        {"dataset": "set12", "sigma": 50.0, "method": "tv", "psnr": 24.9}]
    >>> [(row["method"], row["sigma"], row["psnr"]) for row in merge_rows(old, new)]
    [('tv', 25.0, 28.1), ('bm3d', 25.0, 30.0), ('tv', 50.0, 24.9)]
    """
    merged = {_row_key(row): dict(row) for row in existing}
    for row in new:
        merged[_row_key(row)] = dict(row)
    return list(merged.values())


def _cell(value: float, digits: int) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _timing(rows: Sequence[Mapping[str, Any]]) -> tuple[float, float]:
    """Mean seconds per image and overall megapixels per second over several rows."""
    timed = [row for row in rows if not math.isnan(row["seconds_per_image"])]
    if not timed:
        return math.nan, math.nan
    seconds = sum(row["seconds_per_image"] * row["n_images"] for row in timed)
    images = sum(row["n_images"] for row in timed)
    megapixels = sum(
        row["megapixels_per_second"] * row["seconds_per_image"] * row["n_images"]
        for row in timed
        if not math.isnan(row["megapixels_per_second"])
    )
    return seconds / images, (megapixels / seconds if seconds > 0 else math.nan)


def _measured_lines(subset: Sequence[Mapping[str, Any]], sigmas: Sequence[float]) -> list[str]:
    """The header, the rule and one line per measured method of one dataset's table."""
    header = ["method"]
    for sigma in sigmas:
        header += [f"σ={sigma:g} PSNR", f"σ={sigma:g} SSIM"]
    header += ["s/image", "MP/s"]
    lines = [_line(header), "|---|" + "---:|" * (len(header) - 1)]
    for method in dict.fromkeys(row["method"] for row in subset):
        mine = [row for row in subset if row["method"] == method]
        cells = [method]
        for sigma in sigmas:
            match = [row for row in mine if float(row["sigma"]) == sigma]
            cells += [
                _cell(match[0]["psnr"], 2) if match else "–",
                _cell(match[0]["ssim"], 4) if match else "–",
            ]
        seconds, speed = _timing(mine)
        cells += [_cell(seconds, 3), _cell(speed, 1)]
        lines.append(_line(cells))
    return lines


def _quoted_lines(dataset: str, sigmas: Sequence[float]) -> tuple[list[str], list[str]]:
    """The quoted rows of one dataset's table, and the citation keys they use (in order)."""
    from deepdenoise.published import published_results

    quoted = [r for s in sigmas for r in published_results(dataset=dataset, sigma=s)]
    cited: dict[str, None] = {}
    lines = []
    for label in dict.fromkeys(r.label for r in quoted):
        cells = [label]
        for sigma in sigmas:
            match = [r for r in quoted if r.label == label and r.sigma == sigma]
            cells += [f"{match[0].psnr:.2f}" if match else "–", "–"]
            for r in match:
                cited[r.citation] = None
                cited[r.method_citation] = None
        cells += ["–", "–"]
        lines.append(_line(cells))
    return lines, list(cited)


def _notes(
    dataset: str, protocol: str, counts: list[int], count_text: str, cited: list[str]
) -> list[str]:
    from deepdenoise.published import CITATIONS, DATASET_SIZES

    notes = ["", _PROTOCOL_NOTES.get(protocol, f"Protocol {protocol}.")]
    if BENCHMARK_CHANNELS.get(dataset) == 3:
        notes.append(_COLOUR_NOTE)
    full = DATASET_SIZES.get(dataset)
    if cited and full is not None and counts != [full]:
        notes.append(
            f"Measured on {count_text} of the {full} images; quoted numbers average all {full}."
        )
    if cited:
        notes.append(
            "Quoted rows are copied from the papers, not measured here: "
            + "; ".join(f"[{key}] {CITATIONS[key]}" for key in cited)
            + "."
        )
    return notes


def to_markdown(rows: Iterable[Mapping[str, Any]], *, include_published: bool = True) -> str:
    """Format benchmark rows as Markdown: one table per dataset and protocol.

    Parameters
    ----------
    rows : iterable of dict
        Rows as returned by :func:`~deepdenoise.bench.run_benchmark` or
        :func:`read_csv`.
    include_published : bool, default True
        Add the numbers published for the same dataset and noise levels
        (:data:`deepdenoise.published.PUBLISHED`), labelled
        ``"(quoted, <source>)"`` and followed by their references, to the
        tables of the ``"float"`` protocol (the papers' protocol) only.

    Returns
    -------
    str
        For each dataset and protocol (rows without ``protocol`` are
        ``"float"``), a heading (``### set12 (12 images)``, or ``### set12,
        clipped8 protocol (12 images)``), then a table whose rows are the
        methods and whose columns are PSNR (dB) and SSIM at each sigma, the
        mean seconds per image and megapixels per second, then notes on the
        protocol; quoted rows have PSNR only. Missing values are shown as
        ``–``.

    Examples
    --------
    >>> row = dict(dataset="bsd68", sigma=25.0, method="gaussian", psnr=26.5, ssim=0.7,
    ...            seconds_per_image=0.01, megapixels_per_second=15.4, n_images=68, seed=0)
    >>> table = to_markdown([row])
    >>> print(table.splitlines()[4])
    | gaussian | 26.50 | 0.7000 | 0.010 | 15.4 |
    >>> "| DnCNN-S (quoted, Zhang et al. 2017) | 29.23 | – | – | – |" in table
    True
    """
    rows = list(rows)
    blocks = []
    tables = dict.fromkeys((row["dataset"], _protocol(row)) for row in rows)
    for dataset, protocol in tables:
        subset = [r for r in rows if r["dataset"] == dataset and _protocol(r) == protocol]
        sigmas = sorted({float(row["sigma"]) for row in subset})
        counts = sorted({int(row["n_images"]) for row in subset})
        count_text = " or ".join(map(str, counts))
        title = dataset if protocol == DEFAULT_PROTOCOL else f"{dataset}, {protocol} protocol"
        lines = [f"### {title} ({count_text} images)", "", *_measured_lines(subset, sigmas)]
        cited: list[str] = []
        if include_published and protocol == DEFAULT_PROTOCOL:
            quoted, cited = _quoted_lines(dataset, sigmas)
            lines += quoted
        blocks.append("\n".join(lines + _notes(dataset, protocol, counts, count_text, cited)))
    return "\n\n".join(blocks) + "\n"


def _protocol(row: Mapping[str, Any]) -> str:
    """The row's protocol; rows made before protocols were named are ``"float"``."""
    return str(row.get("protocol") or DEFAULT_PROTOCOL)


def read_speed_table(text: str) -> dict[str, tuple[float, str | None]]:
    """Read the Markdown table of ``benchmarks/speed.py``: each method's seconds and speed-up.

    Parameters
    ----------
    text : str
        The script's output (``speed.md``, ``speed_colour.md``): a heading line,
        then a table whose first column is the method, the second the median
        seconds per image and the fifth, if any, the speed-up over the baseline.

    Returns
    -------
    dict
        ``{method: (seconds, speed_up)}`` in the table's order; ``speed_up`` is
        the cell as written (``"25.9x"``), or None where the table has none.
        Lines that are not table rows with a number of seconds (the heading,
        the header, the rule) are skipped.

    Examples
    --------
    >>> table = (
    ...     "Speed on 5 images\\n\\n"
    ...     "| method | s/image (median) | min-max | MP/s | speed-up over BM3D |\\n"
    ...     "|---|---|---|---|---|\\n"
    ...     "| ffdnet | 0.105 | 0.101-0.120 | 2.497 | 39.8x |\\n"
    ...     "| bm3d | 4.175 | 4.100-4.300 | 0.063 | 1.0x |\\n"
    ... )
    >>> read_speed_table(table)
    {'ffdnet': (0.105, '39.8x'), 'bm3d': (4.175, '1.0x')}
    """
    rows: dict[str, tuple[float, str | None]] = {}
    for line in text.splitlines():
        if not line.lstrip().startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.fullmatch(r"[0-9]+(\.[0-9]+)?", cells[1]):
            rows[cells[0]] = (float(cells[1]), cells[4] if len(cells) >= 5 else None)
    return rows
