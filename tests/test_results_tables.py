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


def test_colour_rows_go_to_the_colour_table_only(render):
    rows = [
        {"dataset": "cbsd68", "sigma": 25.0, "method": "bm3d", "psnr": 30.66, "protocol": "float"},
        {"dataset": "mcmaster", "sigma": 15.0, "method": "c", "psnr": 33.0, "protocol": "float"},
        {"dataset": "cbsd68", "sigma": 25.0, "method": "g/per-channel", "psnr": 29.1},
        {"dataset": "bsd68", "sigma": 25.0, "method": "g", "psnr": 28.9, "protocol": "float"},
    ]
    colour = render.colour_float_table(rows, shipped=["c", "g"])
    assert "| CBM3D (`bm3d` package) | – | 30.66 | – | – | – | – |" in colour
    assert "| **c** (shipped) | – | – | – | 33.00 | – | – |" in colour
    assert "| **g** (shipped), gray, channel by channel | – | 29.10 | – |" in colour
    assert "| CBM3D (quoted, Zhang et al. 2018) | 33.52 | 30.71 | 27.38 | – | – | – |" in colour
    assert "| **g** (shipped) |" not in colour  # measured on gray sets only
    gray = render.gray_float_table(rows, shipped=["c", "g"])
    assert "CBM3D" not in gray and "colour" not in gray and "**c**" not in gray


def test_margins_subtract_the_rows_they_name(render):
    rows = [
        {
            "dataset": "bsd68",
            "sigma": 25.0,
            "method": "ffdnet",
            "psnr": 28.864,
            "protocol": "float",
        },
        {"dataset": "bsd68", "sigma": 25.0, "method": "bm3d", "psnr": 28.626, "protocol": "float"},
        {
            "dataset": "bsd68",
            "sigma": 25.0,
            "method": "ffdnet15",
            "psnr": 28.80,
            "protocol": "clipped8",
        },
        {
            "dataset": "bsd68",
            "sigma": 25.0,
            "method": "bm3d",
            "psnr": 28.37,
            "protocol": "clipped8",
        },
        {
            "dataset": "bsd68",
            "sigma": 25.0,
            "method": "ffdnet15/blind",
            "psnr": 28.60,
            "protocol": "clipped8",
        },
    ]
    text = render.gray_margins(rows)
    assert "ffdnet against BM3D measured here +0.24 dB" in text  # unrounded, not 28.86 - 28.63
    assert "against DnCNN-S quoted -0.37 dB" in text  # 28.864 - 29.23
    assert "ffdnet15 against BM3D on the same files +0.43 dB" in text
    assert "σ=15 / 25 / 50: – / – / –." in text  # rows absent: no number is made up
    assert "8-bit files, ffdnet15 with σ estimated against σ given at σ=15 / 25 / 50: " in text
    assert "– / -0.20 dB / –." in text  # the clipped rows, not the float ones


def test_a_gap_too_small_for_two_decimals_keeps_its_sign(render):
    assert render._gap(28.8636, 28.8630) == "+0.001 dB"
    assert render._gap(25.9382, 25.9542) == "-0.02 dB"
    assert render._gap(28.0, 28.0) == "+0.00 dB"
    assert render._gap(None, 28.0) == render.MISSING


def test_colour_clipped_table_has_only_clipped_rows_and_no_quotes(render):
    rows = [
        {
            "dataset": "cbsd68",
            "sigma": 25.0,
            "method": "bm3d",
            "psnr": 30.1,
            "protocol": "clipped8",
        },
        {"dataset": "cbsd68", "sigma": 25.0, "method": "bm3d", "psnr": 30.8, "protocol": "float"},
    ]
    clipped = render.colour_clipped_table(rows, shipped=[])
    assert "| CBM3D (`bm3d` package) | – | 30.10 | – | – | – | – |" in clipped
    assert "30.80" not in clipped and "quoted" not in clipped
    assert "CBSD68 σ=25, 8-bit" in clipped


def test_colour_cost_copies_seconds_and_speed_ups_from_the_speed_table(render):
    text = (
        "Speed on ...\n\n| method | s/image (median) | min-max | MP/s | speed-up over BM3D |\n"
        "|---|---|---|---|---|\n| c | 0.344 | 0.3-0.4 | 0.763 | 32.3x |\n"
        "| g/per-channel | 0.321 | 0.3-0.4 | 0.818 | 34.6x |\n"
        "| bm3d | 11.094 | 11-12 | 0.024 | 1.0x |\n"
    )
    models = {"c": {"params": 10, "gmac": 18.56}, "g": {"params": 5, "gmac": 6.15}}
    table = render.colour_cost_table(models, text)
    assert "| **c** | 10 | 18.6 | 0.344 | 32.3x |" in table
    assert "| **g** (shipped), gray, channel by channel | 5 | 18.5 | 0.321 | 34.6x |" in table
    assert "| CBM3D (`bm3d` package) | – | – | 11.094 | 1.0x |" in table
