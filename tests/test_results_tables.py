"""benchmarks/render_results.py: the README's and the book's tables come from the result files."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def render():
    spec = importlib.util.spec_from_file_location(
        "render_results", ROOT / "benchmarks/render_results.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tables(render):
    return render.render_all()


def test_committed_tables_match_the_result_files(render, tables):
    stale = render.out_of_date(render.targets(tables))
    assert not stale, f"run python benchmarks/render_results.py; out of date: {stale}"


def test_readme_carries_every_block_it_marks(render, tables):
    names = render.readme_block_names(render.README.read_text(encoding="utf-8"))
    assert "gray-float" in names
    assert set(names) <= set(tables)


def test_an_edited_number_is_caught(render, tables, tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    text = render.README.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("| **ffdnet** (shipped)"))
    readme.write_text(text.replace(line, re.sub(r"\d+\.\d\d", "99.99", line, count=1)))
    monkeypatch.setattr(render, "README", readme)
    monkeypatch.setattr(render, "BOOK_TABLES", tmp_path / "tables")
    expected = render.targets(tables)
    assert readme in render.out_of_date(expected)
    assert render.main(["--check"], render=lambda: tables) == 1
    assert render.main([], render=lambda: tables) == 0  # rewrites them
    assert render.main(["--check"], render=lambda: tables) == 0
    assert "99.99" not in readme.read_text(encoding="utf-8")


def test_each_cell_comes_from_its_row(render):
    rows = [
        {"dataset": "bsd68", "sigma": 25.0, "method": "m", "psnr": 28.123, "protocol": "float"},
        {"dataset": "bsd68", "sigma": 25.0, "method": "m", "psnr": 27.5, "protocol": "clipped8"},
        {"dataset": "set12", "sigma": 15.0, "method": "m", "psnr": 31.0},  # no protocol: float
    ]
    table = render.gray_float_table(rows, shipped=["m"])
    row = next(line for line in table.splitlines() if line.startswith("| **m**"))
    assert row == "| **m** (shipped) | – | 28.12 | – | 31.00 | – | – |"
    clipped = render.gray_clipped_table(rows, shipped=[])
    assert "| m | – | 27.50 | – |" in clipped
    ablation = render.ablation_table(rows, {"m": {"params": 1234, "gmac": 7.96}}, {"m": 0.25})
    assert "| **m** | 1,234 | 8.0 | – | 28.12 | – | – | 27.50 | – | 0.250 |" in ablation


def test_speed_is_read_from_the_speed_table(render):
    text = (
        "| method | s/image (median) |\n|---|---|\n| ffdnet | 0.105 | x |\n| bm3d | 4.175 | y |\n"
    )
    assert render.speed_seconds(text) == {"ffdnet": 0.105, "bm3d": 4.175}
