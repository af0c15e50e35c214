"""Tests of deepdenoise.bench (benchmark protocol, CSV, Markdown) and deepdenoise.published."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from deepdenoise import bench, published
from deepdenoise.data import benchmark
from deepdenoise.denoisers import DenoiserLoadError, UnknownDenoiserError, get_denoiser
from deepdenoise.metrics import psnr

SIGMAS = (15.0, 25.0, 50.0)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def rows(data_dir: Path) -> list[dict]:
    """Two Set12 images, three noise levels, the input and a Gaussian filter."""
    return bench.run_benchmark(
        ["noisy", "gaussian"], "set12", SIGMAS, data_dir=data_dir, max_images=2, progress=False
    )


def _row(rows: list[dict], method: str, sigma: float) -> dict:
    (match,) = [r for r in rows if r["method"] == method and r["sigma"] == sigma]
    return match


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def test_rows_are_complete(rows: list[dict]) -> None:
    assert len(rows) == len(SIGMAS) * 2
    assert {(r["method"], r["sigma"]) for r in rows} == {
        (m, s) for m in ("noisy", "gaussian") for s in SIGMAS
    }
    for row in rows:
        assert tuple(row) == bench.FIELDS
        assert row["dataset"] == "set12"
        assert row["n_images"] == 2
        assert row["seed"] == 0
        assert np.isfinite(row["psnr"]) and 0 < row["ssim"] <= 1


@pytest.mark.parametrize("sigma", SIGMAS)
def test_noisy_psnr_matches_theory(rows: list[dict], sigma: float) -> None:
    # Unclipped Gaussian noise of std sigma/255: MSE = (sigma/255)^2 in expectation.
    expected = 20 * math.log10(255 / sigma)
    assert abs(_row(rows, "noisy", sigma)["psnr"] - expected) < 0.1


@pytest.mark.parametrize("sigma", SIGMAS)
def test_denoiser_beats_noisy(rows: list[dict], sigma: float) -> None:
    noisy, gaussian = _row(rows, "noisy", sigma), _row(rows, "gaussian", sigma)
    assert gaussian["psnr"] > noisy["psnr"] + 1
    assert gaussian["ssim"] > noisy["ssim"]


def test_quality_falls_with_sigma(rows: list[dict]) -> None:
    for method in ("noisy", "gaussian"):
        values = [_row(rows, method, s)["psnr"] for s in SIGMAS]
        assert values == sorted(values, reverse=True)


def test_timings_are_consistent(rows: list[dict], data_dir: Path) -> None:
    pixels = sum(image.size for _, image in benchmark("set12", data_dir=data_dir)[:2])
    for sigma in SIGMAS:
        noisy, gaussian = _row(rows, "noisy", sigma), _row(rows, "gaussian", sigma)
        assert math.isnan(noisy["seconds_per_image"]) and math.isnan(
            noisy["megapixels_per_second"]
        )
        total_seconds = gaussian["seconds_per_image"] * gaussian["n_images"]
        assert total_seconds > 0
        assert gaussian["megapixels_per_second"] * total_seconds == pytest.approx(pixels / 1e6)


def test_noise_is_seeded_per_image(rows: list[dict], data_dir: Path) -> None:
    # Image i gets default_rng(seed + i), whatever max_images is.
    images = benchmark("set12", data_dir=data_dir)[:2]
    expected = [
        psnr(clean, clean + np.random.default_rng(i).normal(0, 25 / 255, clean.shape))
        for i, (_, clean) in enumerate(images)
    ]
    assert _row(rows, "noisy", 25.0)["psnr"] == pytest.approx(np.mean(expected), abs=1e-4)
    first = bench.run_benchmark(
        "noisy", "set12", 25, data_dir=data_dir, max_images=1, progress=False
    )
    assert first[0]["psnr"] == pytest.approx(expected[0], abs=1e-4)
    other = bench.run_benchmark(
        "noisy", "set12", 25, data_dir=data_dir, max_images=1, seed=7, progress=False
    )
    assert other[0]["psnr"] != first[0]["psnr"]
    assert other[0]["seed"] == 7


def test_progress_reports_each_row(data_dir: Path, capsys: pytest.CaptureFixture) -> None:
    seen: list[dict] = []
    result = bench.run_benchmark(
        ["noisy", "median"],
        "set12",
        [25, 50],
        data_dir=data_dir,
        max_images=1,
        progress=seen.append,
    )
    assert seen == result
    bench.run_benchmark("median", "set12", 25, data_dir=data_dir, max_images=1, progress=True)
    err = capsys.readouterr().err
    assert "set12 sigma=25 median: PSNR" in err and "(1 images)" in err


def test_folder_dataset_and_callable_methods(tmp_path: Path) -> None:
    from PIL import Image

    folder = tmp_path / "mine"
    folder.mkdir()
    ramp = np.tile(np.linspace(0, 255, 40).astype(np.uint8), (30, 1))
    Image.fromarray(ramp).save(folder / "ramp.png")
    rows = bench.run_benchmark(
        ["noisy", ("clipped", lambda noisy, sigma: noisy), ("half", lambda n, s: n * 0.5)],
        [str(folder)],
        [25],
        progress=False,
    )
    assert [r["dataset"] for r in rows] == ["mine"] * 3
    noisy, clipped, half = (r["psnr"] for r in rows)
    # Clipping to [0, 1] (applied to every method but the input) can only reduce the error.
    assert clipped >= noisy
    assert half < clipped


def test_keras_model_methods(tmp_path: Path, data_dir: Path) -> None:
    import keras

    inputs = keras.Input((None, None, 1))
    identity = keras.Model(inputs, keras.layers.Identity()(inputs), name="identity")
    path = tmp_path / "identity.keras"
    identity.save(path)
    method = get_denoiser(f"model:{path}", tile=64, overlap=8)
    assert (method.name, method.kind) == ("model:identity", "model")
    assert get_denoiser(str(path)).name == "model:identity"
    rows = bench.run_benchmark(
        ["noisy", method, ("pair", identity)],
        "set12",
        25,
        data_dir=data_dir,
        max_images=1,
        progress=False,
    )
    noisy, from_file, from_pair = rows
    # The identity model returns the noisy input, which is then clipped to [0, 1].
    assert from_file["psnr"] == pytest.approx(from_pair["psnr"], abs=1e-6)
    assert from_file["psnr"] >= noisy["psnr"]
    assert from_file["seconds_per_image"] > 0


def test_any_object_of_the_denoiser_protocol(data_dir: Path) -> None:
    """run_benchmark takes any Denoiser, not only the registry's; it reads kind and name."""

    class Halve:
        name = "halve"
        kind = "classical"
        needs_sigma = False
        channels = None

        def __call__(self, image: np.ndarray, sigma: float | None) -> np.ndarray:
            return image / 2

    rows = bench.run_benchmark(
        ["noisy", Halve(), ("pair", Halve())],
        "set12",
        25,
        data_dir=data_dir,
        max_images=1,
        progress=False,
    )
    assert [row["method"] for row in rows] == ["noisy", "halve", "pair"]
    assert rows[1]["psnr"] == rows[2]["psnr"]
    single = bench.run_benchmark(
        Halve(), "set12", 25, data_dir=data_dir, max_images=1, progress=False
    )
    assert [row["method"] for row in single] == ["halve"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"methods": ["no-such-method"]}, UnknownDenoiserError, "no-such-method"),
        ({"methods": [3]}, TypeError, "methods"),
        ({"methods": []}, ValueError, "methods"),
        ({"methods": ["noisy", "noisy"]}, ValueError, "methods"),
        ({"methods": ["model:/no/such/file.keras"]}, DenoiserLoadError, "model file"),
        ({"sigmas": [0]}, ValueError, "sigmas"),
        ({"sigmas": [300]}, ValueError, "sigmas"),
        ({"sigmas": ["25"]}, TypeError, "sigmas"),
        ({"max_images": 0}, ValueError, "max_images"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"datasets": []}, ValueError, "datasets"),
        ({"datasets": ["no-such-set"]}, ValueError, "no-such-set"),
    ],
)
def test_bad_arguments(kwargs: dict, error: type, match: str, data_dir: Path) -> None:
    arguments = {"methods": ["noisy"], "datasets": ["set12"], "sigmas": [25]} | kwargs
    with pytest.raises(error, match=match):
        bench.run_benchmark(
            arguments.pop("methods"),
            arguments.pop("datasets"),
            arguments.pop("sigmas"),
            data_dir=data_dir,
            progress=False,
            **arguments,
        )


def test_csv_round_trip(rows: list[dict], tmp_path: Path) -> None:
    path = tmp_path / "sub" / "results.csv"
    assert bench.write_csv(rows, path) == path
    back = bench.read_csv(path)
    assert len(back) == len(rows)
    for original, copy in zip(rows, back, strict=True):
        assert original.keys() == copy.keys()
        assert all(_same(original[key], copy[key]) for key in original)
    # Replacing an existing file leaves no temporary file behind.
    bench.write_csv(rows[:1], path)
    assert len(bench.read_csv(path)) == 1
    assert sorted(p.name for p in path.parent.iterdir()) == ["results.csv"]


def test_csv_keeps_extra_columns(tmp_path: Path, rows: list[dict]) -> None:
    extended = [dict(row, note="x") for row in rows[:2]]
    back = bench.read_csv(bench.write_csv(extended, tmp_path / "extra.csv"))
    assert [row["note"] for row in back] == ["x", "x"]


def test_read_csv_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"other\.csv"):
        bench.read_csv(path)


def _table(markdown: str, dataset: str) -> tuple[list[str], dict[str, list[str]]]:
    """The header and the rows (by first cell) of one dataset's table."""
    block = markdown.split(f"### {dataset}")[1].split("###")[0]
    lines = [line for line in block.splitlines() if line.startswith("|")]
    split = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return split[0], {cells[0]: cells for cells in split[2:]}


def test_markdown_tables(rows: list[dict]) -> None:
    markdown = bench.to_markdown(rows)
    assert markdown.startswith("### set12 (2 images)")
    header, table = _table(markdown, "set12")
    assert header == [
        "method",
        *[f"σ={s:g} {m}" for s in SIGMAS for m in ("PSNR", "SSIM")],
        "s/image",
        "MP/s",
    ]
    assert all(len(cells) == len(header) for cells in table.values())
    for row in rows:
        column = header.index(f"σ={row['sigma']:g} PSNR")
        assert table[row["method"]][column] == f"{row['psnr']:.2f}"
        assert table[row["method"]][column + 1] == f"{row['ssim']:.4f}"
    assert table["noisy"][-2:] == ["–", "–"]
    assert float(table["gaussian"][-2]) > 0


def test_markdown_quotes_published_numbers(rows: list[dict]) -> None:
    markdown = bench.to_markdown(rows)
    header, table = _table(markdown, "set12")
    quoted = table["DnCNN-S (quoted, Zhang et al. 2017)"]
    for sigma in SIGMAS:
        expected = published.published_psnr("DnCNN-S", "set12", sigma)
        assert quoted[header.index(f"σ={sigma:g} PSNR")] == f"{expected:.2f}"
    assert "BM3D (quoted" not in markdown  # only BSD68 numbers are quoted for BM3D
    assert "[zhang2017dncnn]" in markdown and "not measured here" in markdown
    assert "2 of the 12 images" in markdown
    plain = bench.to_markdown(rows, include_published=False)
    assert "quoted" not in plain and plain.count("|\n") < markdown.count("|\n")


def test_markdown_bsd68_lists_every_quoted_method() -> None:
    row = dict(
        dataset="bsd68",
        sigma=25.0,
        method="gaussian",
        psnr=26.0,
        ssim=0.7,
        seconds_per_image=0.1,
        megapixels_per_second=1.5,
        n_images=68,
        seed=0,
    )
    markdown = bench.to_markdown([row])
    for label, value in [
        ("DnCNN-S (quoted, Zhang et al. 2017)", "29.23"),
        ("BM3D (quoted, Zhang et al. 2017)", "28.57"),
        ("FFDNet (quoted, Zhang et al. 2018)", "29.19"),
        ("DRUNet (quoted, Zhang et al. 2022)", "29.48"),
    ]:
        assert f"| {label} | {value} |" in markdown
    assert "[dabov2007bm3d]" in markdown
    assert "of the 68 images" not in markdown  # the whole set was measured


def test_published_numbers_are_consistent() -> None:
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"@\w+\{(\w+),", bib))
    assert set(published.CITATIONS) <= keys
    groups: dict[tuple[str, str], list[published.PublishedResult]] = {}
    for entry in published.PUBLISHED:
        assert entry.citation in published.CITATIONS
        assert entry.method_citation in published.CITATIONS
        assert entry.dataset in published.DATASET_SIZES
        assert "quoted" in entry.label
        groups.setdefault((entry.method, entry.dataset), []).append(entry)
    for entries in groups.values():
        by_sigma = sorted(entries, key=lambda e: e.sigma)
        assert [e.sigma for e in by_sigma] == list(SIGMAS)
        psnrs = [e.psnr for e in by_sigma]
        assert psnrs == sorted(psnrs, reverse=True)
    # BSD68 at sigma 25: the ranking the DnCNN, FFDNet and DRUNet papers report.
    bsd = {e.method: e.psnr for e in published.published_results(dataset="bsd68", sigma=25)}
    assert bsd["BM3D"] < bsd["FFDNet"] < bsd["DnCNN-S"] < bsd["DRUNet"]


def test_published_psnr_unknown() -> None:
    with pytest.raises(KeyError, match="method='DnCNN-S'"):
        published.published_psnr("DnCNN-S", "set12", 10)


def test_datasets_and_sigmas_may_be_tuples():
    rows = bench.run_benchmark("noisy", ("set12", "bsd68"), (15, 25), max_images=1, progress=False)
    assert [(r["dataset"], r["sigma"]) for r in rows] == [
        ("set12", 15.0),
        ("set12", 25.0),
        ("bsd68", 15.0),
        ("bsd68", 25.0),
    ]


# --- protocols ------------------------------------------------------------------------------


def _recorder(store: list[np.ndarray]):
    """A method that keeps a copy of every noisy input it is given and returns it unchanged."""

    def record(noisy: np.ndarray, sigma: float) -> np.ndarray:
        store.append(np.array(noisy, copy=True))
        return noisy

    return record


def test_protocols_share_the_noise_and_clipped8_stores_8_bit_values(data_dir: Path) -> None:
    from deepdenoise.noise import quantize

    seen: dict[str, list[np.ndarray]] = {"float": [], "clipped8": []}
    for name, store in seen.items():
        bench.run_benchmark(
            [("record", _recorder(store))],
            "set12",
            50,
            data_dir=data_dir,
            max_images=2,
            protocol=name,
            progress=False,
        )
    assert len(seen["float"]) == len(seen["clipped8"]) == 2
    for floating, stored in zip(seen["float"], seen["clipped8"], strict=True):
        assert floating.min() < 0 and floating.max() > 1  # sigma 50: unclipped float noise
        assert stored.min() >= 0 and stored.max() <= 1
        levels = np.rint(stored.astype(np.float64) * 255)
        np.testing.assert_array_equal(stored, (levels / 255).astype(np.float32))
        np.testing.assert_array_equal(stored, quantize(floating))  # the very same noise
    direct = bench.noisy_input(benchmark("set12", data_dir=data_dir)[1][1], 50, seed=1)
    np.testing.assert_array_equal(direct, seen["float"][1])


def test_rows_csv_and_tables_carry_the_protocol(data_dir: Path, tmp_path: Path) -> None:
    rows = bench.run_benchmark(
        ["noisy", "gaussian"],
        "set12",
        [25, 50],
        data_dir=data_dir,
        max_images=1,
        protocol=("float", "clipped8"),
        progress=False,
    )
    assert [(r["protocol"], r["sigma"], r["method"]) for r in rows] == [
        (p, s, m)
        for p in ("float", "clipped8")
        for s in (25.0, 50.0)
        for m in ("noisy", "gaussian")
    ]
    assert all(tuple(row) == bench.FIELDS for row in rows)
    by_key = {(r["protocol"], r["sigma"], r["method"]): r["psnr"] for r in rows}
    # Clipping removes noise beyond [0, 1]: the stored input is closer to the clean image.
    assert by_key[("clipped8", 50.0, "noisy")] > by_key[("float", 50.0, "noisy")]
    assert bench.run_benchmark("noisy", "set12", 25, max_images=1, progress=False)[0][
        "protocol"
    ] == ("float")

    back = bench.read_csv(bench.write_csv(rows, tmp_path / "rows.csv"))
    assert [row["protocol"] for row in back] == [row["protocol"] for row in rows]

    markdown = bench.to_markdown(rows)
    first, second = markdown.split("### set12, clipped8 protocol (1 images)")
    assert first.startswith("### set12 (1 images)") and "(quoted," in first
    assert "(quoted," not in second and "Protocol clipped8" in second
    header, table = _table(markdown, "set12, clipped8 protocol")
    column = header.index("σ=50 PSNR")
    assert table["noisy"][column] == f"{by_key[('clipped8', 50.0, 'noisy')]:.2f}"


def test_a_csv_without_protocol_column_reads_as_float(rows: list[dict], tmp_path: Path) -> None:
    """Files written before protocols were named hold float-protocol rows."""
    import csv

    old_columns = [name for name in bench.FIELDS if name != "protocol"]
    path = tmp_path / "old.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=old_columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    back = bench.read_csv(path)
    assert [row["protocol"] for row in back] == ["float"] * len(rows)
    assert [row["psnr"] for row in back] == pytest.approx([row["psnr"] for row in rows])
    # Rows made without the key (by hand) are written with an empty cell, read as float too.
    bare = [{key: value for key, value in row.items() if key != "protocol"} for row in rows]
    assert {r["protocol"] for r in bench.read_csv(bench.write_csv(bare, tmp_path / "b.csv"))} == {
        "float"
    }


@pytest.mark.parametrize("protocol", ["clipped", "Float", "", 8, []])
def test_unknown_protocol_is_a_clear_error(protocol: object, data_dir: Path) -> None:
    with pytest.raises(ValueError, match="protocol") as info:
        bench.run_benchmark("noisy", "set12", 25, data_dir=data_dir, protocol=protocol)
    if protocol != []:
        assert "float" in str(info.value) and "clipped8" in str(info.value)
    with pytest.raises(ValueError, match="protocol must be one of"):
        bench.noisy_input(np.zeros((4, 4)), 25, seed=0, protocol="clipped16")


# --- colour sets ------------------------------------------------------------------------------


@pytest.fixture()
def colour_crops(monkeypatch: pytest.MonkeyPatch) -> None:
    """The colour sets cut to 64x64 crops of their first two images (CBM3D is slow)."""
    from deepdenoise import data

    real = data.benchmark

    def cropped(name: str, **kwargs: object) -> list:
        return [(file, image[:64, :64]) for file, image in real(name, **kwargs)[:2]]

    monkeypatch.setattr(data, "benchmark", cropped)


def _tiny_colour_model():
    import keras

    from deepdenoise.denoisers import denoiser_from_model
    from deepdenoise.models import get_model

    keras.utils.set_random_seed(0)
    model = get_model("ffdnet", depth=2, width=4, channels=3)
    return denoiser_from_model("tiny_color", model, tile=None)


def test_colour_sets_with_colour_methods(colour_crops: None, data_dir: Path) -> None:
    methods = ["noisy", "bm3d", "bm3d/per-channel", "ffdnet/per-channel", _tiny_colour_model()]
    rows = bench.run_benchmark(
        methods, "cbsd68", 25, data_dir=data_dir, max_images=1, progress=False
    )
    psnrs = {row["method"]: row["psnr"] for row in rows}
    assert list(psnrs) == ["noisy", "bm3d", "bm3d/per-channel", "ffdnet/per-channel", "tiny_color"]
    assert psnrs["bm3d"] > psnrs["noisy"] + 4 and psnrs["ffdnet/per-channel"] > psnrs["noisy"] + 4
    # CBM3D filters the three channels together and beats gray BM3D run on each channel.
    assert psnrs["bm3d"] > psnrs["bm3d/per-channel"] + 0.3
    assert np.isfinite(psnrs["tiny_color"])
    for row in rows[1:]:  # timing columns kept; an RGB pixel counts once
        total = row["seconds_per_image"] * row["n_images"]
        assert total > 0 and row["megapixels_per_second"] * total == pytest.approx(64 * 64 / 1e6)
    mcmaster = bench.run_benchmark(
        ["noisy", "ffdnet/per-channel"], "mcmaster", 25, data_dir=data_dir, progress=False
    )
    assert [row["n_images"] for row in mcmaster] == [2, 2]
    assert mcmaster[1]["psnr"] > mcmaster[0]["psnr"] + 4
    markdown = bench.to_markdown(rows)
    assert "bm3d is CBM3D" in markdown and "### cbsd68 (1 images)" in markdown


def test_a_gray_model_on_a_colour_set_needs_per_channel(colour_crops: None, data_dir: Path):
    seen: list[dict] = []
    with pytest.raises(ValueError, match=r"'ffdnet' is a gray model.*'ffdnet/per-channel'"):
        bench.run_benchmark(
            ["noisy", "ffdnet"], ["set12", "cbsd68"], 25, data_dir=data_dir, progress=seen.append
        )
    assert seen == [], "every set is checked before anything runs"
    with pytest.raises(ValueError, match=r"'tiny_color' denoises RGB images.*'set12' is a gray"):
        bench.run_benchmark(_tiny_colour_model(), "set12", 25, data_dir=data_dir, progress=False)
