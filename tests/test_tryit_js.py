"""The Try it page's JavaScript ports against the Python functions they copy.

``book/_static/tryit/tiles.js`` ports the tile layout of
:func:`deepdenoise.inference.denoise` and ``sigma.js`` the noise estimator
:func:`deepdenoise.noise.estimate_sigma` (and the whole-photo policy of
:func:`deepdenoise.inference.estimate_noise_level`). Node.js runs the modules
on the same inputs as Python: tile layouts must be identical, and sigma
estimates equal to 1e-4 relative. The port does the float32 arithmetic of
PyWavelets in the same order, so on x86-64 the two agree to the last bit; the
tolerance leaves room for a PyWavelets build that fuses multiply-adds (FMA),
which changes the last bits of the wavelet coefficients.

Inputs go to Node as raw float32/uint8 files described by a JSON manifest; the
answers come back as JSON on stdout.
"""

from __future__ import annotations

import itertools
import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from deepdenoise import inference
from deepdenoise.data.samples import sample_images
from deepdenoise.noise import add_gaussian_noise, estimate_sigma

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node (Node.js) is not installed")

TRYIT = Path(__file__).resolve().parents[1] / "book" / "_static" / "tryit"
SIGMA_RTOL = 1e-4


def run_node(tmp_path: Path, body: str, imports: str) -> object:
    """Run an ES module that imports from the page's modules and prints JSON; parse it."""
    script = tmp_path / "run.mjs"
    script.write_text(
        f"{imports}\nimport fs from 'node:fs';\n{body}\n",
        encoding="utf-8",
    )
    completed = subprocess.run(
        [NODE, str(script)], capture_output=True, text=True, timeout=300, check=False
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def module(name: str) -> str:
    return (TRYIT / name).as_uri()


# ------------------------------------------------------------------------ tile layout
LAYOUT_CASES = [
    (10, 6, 1),
    (4, 6, 1),
    (1, 1, 0),
    (512, 512, 32),
    (513, 512, 32),
    (1000, 256, 32),
    (3000, 512, 32),
    (4000, 256, 32),
    (37, 16, 2),
    (100, 7, 3),
    *(
        (length, tile, overlap)
        for length, tile, overlap in itertools.product(range(1, 41), range(1, 19), range(0, 9))
        if tile > 2 * overlap
    ),
]


def test_tile_layout_equals_python(tmp_path):
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps(LAYOUT_CASES))
    got = run_node(
        tmp_path,
        f"const cases = JSON.parse(fs.readFileSync({json.dumps(str(cases))}, 'utf8'));\n"
        "console.log(JSON.stringify(cases.map(([n, t, o]) => tileLayout(n, t, o))));",
        f"import {{ tileLayout }} from '{module('tiles.js')}';",
    )
    expected = [[list(window) for window in inference.tile_layout(*case)] for case in LAYOUT_CASES]
    assert len(got) == len(expected) > 1000
    mismatches = [
        (case, js, py)
        for case, js, py in zip(LAYOUT_CASES, got, expected, strict=True)
        if js != py
    ]
    assert mismatches == []


@pytest.mark.parametrize(
    ("length", "tile", "overlap"), [(10, 6, 3), (10, 4, 2), (0, 6, 1), (10, 0, 0), (10, 6, -1)]
)
def test_tile_layout_refuses_what_python_refuses(tmp_path, length, tile, overlap):
    with pytest.raises(ValueError) as refused:
        inference.tile_layout(length, tile, overlap)
    got = run_node(
        tmp_path,
        f"try {{ tileLayout({length}, {tile}, {overlap}); console.log('null'); }}"
        " catch (error) { console.log(JSON.stringify(error.message)); }",
        f"import {{ tileLayout }} from '{module('tiles.js')}';",
    )
    assert got is not None, "tileLayout accepted it"
    # The message names the same argument first.
    assert got.split()[0] == str(refused.value).split()[0], (got, str(refused.value))


PLAN_CASES = [
    # height, width, tile, overlap, size multiple
    (256, 256, 512, 32, 2),
    (255, 257, 128, 32, 2),
    (3000, 4000, 256, 32, 2),
    (1001, 999, 512, 25, 2),
    (37, 41, 16, 2, 1),
    (50, 70, 32, 4, 4),
    (9, 9, 100, 32, 1),
]


def python_plan(height, width, tile, overlap, multiple):
    """What denoise does with an integer tile (inference.denoise, _plan_tiles, _windows)."""
    padded = (height + -height % multiple, width + -width % multiple)
    overlap = math.ceil(overlap / multiple) * multiple
    info = {"size_multiple": multiple}
    tiles = inference._plan_tiles(None, info, tile, padded, overlap)
    windows = inference._windows(padded, tiles, overlap)
    return {
        "padded": list(padded),
        "tile": tiles[0],
        "overlap": overlap,
        "windows": [[list(row), list(col)] for row, col in windows],
    }


def test_plan_tiles_equals_denoise(tmp_path):
    got = run_node(
        tmp_path,
        f"const cases = {json.dumps(PLAN_CASES)};\n"
        "console.log(JSON.stringify(cases.map(([h, w, tile, overlap, multiple]) => {\n"
        "  const plan = planTiles(h, w, { tile, overlap, multiple });\n"
        "  return { padded: [plan.paddedHeight, plan.paddedWidth], tile: plan.tile,\n"
        "    overlap: plan.overlap, windows: plan.windows.map(w => [w.row, w.col]) };\n"
        "})));",
        f"import {{ planTiles }} from '{module('tiles.js')}';",
    )
    assert got == [python_plan(*case) for case in PLAN_CASES]


def test_pad_index_equals_numpy_pad(tmp_path):
    cases = [(n, pad, edge) for n in range(1, 10) for pad in range(8) for edge in (False, True)]
    got = run_node(
        tmp_path,
        f"const cases = {json.dumps(cases)};\n"
        "console.log(JSON.stringify(cases.map(([n, pad, edge]) =>\n"
        "  Array.from({ length: n + pad }, (_, i) => padIndex(i, n, edge)))));",
        f"import {{ padIndex }} from '{module('tiles.js')}';",
    )
    expected = [
        np.pad(np.arange(n), (0, pad), mode="edge" if edge or n == 1 else "reflect").tolist()
        for n, pad, edge in cases
    ]
    assert got == expected


# ------------------------------------------------------------------------------ sigma
def noisy_images() -> list[tuple[str, np.ndarray]]:
    """Real photographs (gray and colour, several sizes) with noise of several sigma."""
    photos = sample_images(names=["camera", "coins", "astronaut", "coffee"])
    crops = {
        "camera": photos["camera"][100:356, 50:306],
        "coins": photos["coins"][:63, :97],
        "astronaut": photos["astronaut"][:128, 200:392],
        "coffee": photos["coffee"][50:59, 100:113],  # 9 x 13: the wavelet's border cases
    }
    images = []
    for index, ((name, clean), sigma) in enumerate(
        itertools.product(crops.items(), (5, 15, 25, 50))
    ):
        images.append((f"{name} sigma {sigma}", add_gaussian_noise(clean, sigma, seed=index)))
    return images


def write_arrays(tmp_path: Path, arrays: list[tuple[str, np.ndarray]]) -> Path:
    manifest = []
    for index, (name, array) in enumerate(arrays):
        path = tmp_path / f"array{index}.raw"
        array.tofile(path)
        manifest.append({"name": name, "path": str(path), "shape": list(array.shape)})
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    return path


def assert_close(got: list[float], expected: list[float], names: list[str]) -> None:
    assert len(got) == len(expected) == len(names)
    for name, js, py in zip(names, got, expected, strict=True):
        assert math.isfinite(py), name
        assert abs(js - py) <= SIGMA_RTOL * abs(py), f"{name}: js {js!r} python {py!r}"


def test_estimate_sigma_equals_python(tmp_path):
    """noise.estimate_sigma on float images (noise not clipped: values below 0 and above 1)."""
    images = noisy_images()
    manifest = write_arrays(tmp_path, [(name, image.astype(np.float32)) for name, image in images])
    got = run_node(
        tmp_path,
        f"const items = JSON.parse(fs.readFileSync({json.dumps(str(manifest))}, 'utf8'));\n"
        "console.log(JSON.stringify(items.map(({ path, shape }) => {\n"
        "  const [h, w, c = 1] = shape;\n"
        "  const data = new Float32Array(new Uint8Array(fs.readFileSync(path)).buffer);\n"
        "  const planes = Array.from({ length: c }, (_, k) =>\n"
        "    Float32Array.from({ length: h * w }, (_, i) => data[i * c + k]));\n"
        "  return estimateSigma(planes, h, w);\n"
        "})));",
        f"import {{ estimateSigma }} from '{module('sigma.js')}';",
    )
    expected = [estimate_sigma(image) for _, image in images]
    assert_close(got, expected, [name for name, _ in images])
    # The estimates are near the true sigma: the inputs are what the test says.
    assert abs(expected[2] - 25) < 2.5  # camera, sigma 25


def quantised(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)


def test_estimate_noise_level_equals_python(tmp_path):
    """inference.estimate_noise_level on 8-bit files, including the central 2048 crop."""
    images = [(name, quantised(image)) for name, image in noisy_images()]
    # Larger than 2048 on both sides, so only the central crop counts.
    large = np.tile(sample_images(names=["camera"])["camera"], (5, 5))[:2101, :2061]
    images.append(("tiled camera 2101 x 2061", quantised(add_gaussian_noise(large, 20, seed=7))))
    # Constant gray: float32 round-off leaves wavelet coefficients of about 1e-15, the
    # same in both. All black: every coefficient is exactly 0, the estimate undefined.
    images.append(("constant gray", np.full((32, 48), 128, np.uint8)))
    images.append(("all black", np.zeros((32, 48), np.uint8)))
    manifest = write_arrays(tmp_path, images)
    got = run_node(
        tmp_path,
        f"const items = JSON.parse(fs.readFileSync({json.dumps(str(manifest))}, 'utf8'));\n"
        "console.log(JSON.stringify(items.map(({ path, shape }) => {\n"
        "  const [h, w, c = 1] = shape;\n"
        "  return estimateNoiseLevel(new Uint8Array(fs.readFileSync(path)), h, w, c);\n"
        "})));",
        f"import {{ estimateNoiseLevel }} from '{module('sigma.js')}';",
    )
    expected = [inference.estimate_noise_level(image) for _, image in images]
    assert got[-1] == expected[-1] == 0.0  # undefined: no noise
    assert_close(got[:-1], expected[:-1], [name for name, _ in images[:-1]])


# -------------------------------------------------------------- rounding, model choice
def test_rounding_to_8_bits_equals_python(tmp_path):
    """denoise.js's toByte rounds as inference._from_float: float32 * 255, half to even."""
    rng = np.random.default_rng(0)
    halves = (np.arange(-2, 258) + 0.5) / 255  # ties, where rounding modes differ
    values = np.concatenate([halves, rng.uniform(-0.2, 1.2, 2000)]).astype(np.float32)
    got = run_node(
        tmp_path,
        f"const values = {json.dumps(values.tolist())};\n"
        "console.log(JSON.stringify(values.map(v => toByte(Math.fround(v)))));",
        f"import {{ toByte }} from '{module('denoise.js')}';",
    )
    expected = inference._from_float(values.copy(), np.dtype(np.uint8))
    assert got == expected.tolist()


def test_colour_photos_get_a_colour_model_when_one_exists(tmp_path):
    models = [
        {"name": "dncnn25", "channels": 1},
        {"name": "ffdnet", "channels": 1},
        {"name": "ffdnet_color", "channels": 3},
    ]
    cases = [(models, 1), (models, 3), (models[:2], 3), (models[:2], 1)]
    got = run_node(
        tmp_path,
        f"const cases = {json.dumps(cases)};\n"
        "console.log(JSON.stringify(cases.map(([m, c]) => [chooseModel(m, 'ffdnet', c).name,"
        " channelGroups(c, chooseModel(m, 'ffdnet', c).channels)])));",
        f"import {{ chooseModel }} from '{module('models.js')}';\n"
        f"import {{ channelGroups }} from '{module('denoise.js')}';",
    )
    assert got == [
        ["ffdnet", [[0]]],
        ["ffdnet_color", [[0, 1, 2]]],
        ["ffdnet", [[0], [1], [2]]],  # a gray model, one channel at a time
        ["ffdnet", [[0]]],
    ]
