"""The scripts outside the package: the manifest updater, the ffdnet15 init, the noise table."""

from __future__ import annotations

import ast
import importlib.util
import json
from pathlib import Path

import pytest

from deepdenoise.bench import write_csv

ROOT = Path(__file__).resolve().parents[1]


def load_script(relative: str):
    spec = importlib.util.spec_from_file_location(Path(relative).stem, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_manifest_results_copies_only_shipped_models(tmp_path, monkeypatch):
    updater = load_script("benchmarks/manifest_results.py")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"models": {"tiny": {"results": {"val_psnr_db": 20.0}}}}))
    monkeypatch.setattr(updater, "MANIFEST", manifest)
    row = dict(seconds_per_image=0.1, megapixels_per_second=1.0, n_images=12, seed=0)
    rows = [
        dict(row, dataset="set12", sigma=25.0, method="tiny", psnr=29.123456, ssim=0.81),
        dict(row, dataset="set12", sigma=25.0, method="tv", psnr=28.0, ssim=0.77),
    ]
    updater.write_from_csv(write_csv(rows, tmp_path / "bench.csv"))
    results = json.loads(manifest.read_text())["models"]["tiny"]["results"]
    assert results == {
        "val_psnr_db": 20.0,
        "set12_sigma25_psnr": 29.1235,
        "set12_sigma25_ssim": 0.81,
        "set12_sigma25_n_images": 12,
    }
    assert list(json.loads(manifest.read_text())["models"]) == ["tiny"]


def test_manifest_results_uses_only_public_package_names(tmp_path, monkeypatch):
    """The script reads and writes through weights.read_manifest/write_manifest, not privates."""
    path = ROOT / "benchmarks/manifest_results.py"
    private = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("deepdenoise")
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert private == []
    updater = load_script("benchmarks/manifest_results.py")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"models": {"tiny": {"results": {}}}}))
    monkeypatch.setattr(updater, "MANIFEST", manifest)
    written = []
    monkeypatch.setattr(
        updater, "write_manifest", lambda data, where: written.append((data, where))
    )
    row = dict(seconds_per_image=0.1, megapixels_per_second=1.0, n_images=12, seed=0)
    rows = [dict(row, dataset="bsd68", sigma=50.0, method="tiny", psnr=25.0, ssim=0.7)]
    updater.write_from_csv(write_csv(rows, tmp_path / "bench.csv"))
    assert len(written) == 1 and written[0][1] == manifest
    assert written[0][0]["models"]["tiny"]["results"]["bsd68_sigma50_psnr"] == 25.0


def test_ffdnet15_init_weights_reproduce_the_shipped_ffdnet(tmp_path):
    import numpy as np

    from deepdenoise.models import ffdnet
    from deepdenoise.weights import load_pretrained

    script = load_script("training/make_ffdnet15_init.py")
    output = tmp_path / "init.weights.h5"
    script.main(output)
    deep = ffdnet(depth=15, width=64, channels=1)
    deep.load_weights(output)
    rng = np.random.default_rng(1)
    noisy = rng.random((1, 32, 48, 1), dtype="float32")
    sigma_map = np.full((1, 32, 48, 1), 40 / 255, dtype="float32")
    expected = load_pretrained("ffdnet").predict([noisy, sigma_map], verbose=0)
    np.testing.assert_allclose(deep.predict([noisy, sigma_map], verbose=0), expected, atol=1e-5)


def test_colour_init_grows_the_named_gray_model(tmp_path):
    """--gray ffdnet15 gives a 15-layer colour model: ffdnet15 on each opponent channel."""
    import numpy as np

    from deepdenoise.denoisers import denoiser_from_model, opponent
    from deepdenoise.inference import denoise
    from deepdenoise.models import opponent_ffdnet
    from deepdenoise.weights import load_pretrained

    script = load_script("training/make_ffdnet_color_init.py")
    output = tmp_path / "colour-init.weights.h5"
    script.main(output, "ffdnet15")
    colour = opponent_ffdnet(depth=15, width=64, channels=3)
    colour.load_weights(output)
    rgb = np.random.default_rng(2).random((24, 32, 3), dtype="float32")
    gray = load_pretrained("ffdnet15")
    expected = opponent(denoiser_from_model("ffdnet15", gray, tile=None))(rgb, 30)
    np.testing.assert_allclose(denoise(colour, rgb, 30, tile=None), expected, atol=1e-4)
    with np.testing.assert_raises(ValueError):  # a 12-layer colour model cannot take them
        opponent_ffdnet(depth=12, width=64, channels=3).load_weights(output)


def test_manifest_results_skips_rows_of_the_clipped8_protocol(tmp_path, monkeypatch):
    """The manifest's results are float-protocol numbers: clipped8 rows must not replace them."""
    updater = load_script("benchmarks/manifest_results.py")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"models": {"tiny": {"results": {}}}}))
    monkeypatch.setattr(updater, "MANIFEST", manifest)
    row = dict(seconds_per_image=0.1, megapixels_per_second=1.0, n_images=12, seed=0)
    rows = [
        dict(row, dataset="set12", sigma=25.0, method="tiny", psnr=29.5, ssim=0.8, protocol=p)
        for p in ("float", "clipped8")
    ]
    rows[1]["psnr"] = 28.0
    updater.write_from_csv(write_csv(rows, tmp_path / "bench.csv"))
    results = json.loads(manifest.read_text())["models"]["tiny"]["results"]
    assert results["set12_sigma25_psnr"] == 29.5


def test_noise_estimate_table_shows_the_clipping_correction(monkeypatch):
    """benchmarks/noise_estimate.py on two photographs: one row per protocol and sigma."""
    from deepdenoise.data.samples import sample_images

    script = load_script("benchmarks/noise_estimate.py")
    photos = sample_images(names=["camera", "astronaut"], as_gray=True)
    monkeypatch.setattr(script, "benchmark", lambda name: list(photos.items()))
    text = script.table(["two"])
    rows = [line.split(" | ") for line in text.splitlines()[2:]]
    assert [(row[1], row[2]) for row in rows] == [
        (protocol, str(sigma)) for protocol in script.PROTOCOLS for sigma in script.SIGMAS
    ]
    plain, package = (float(cell.split()[0]) for cell in rows[-1][3:5])  # clipped8, sigma 50
    assert plain < 0.92 * 50 < package < 1.05 * 50


def test_cross_channel_init_reproduces_the_colour_model_it_grows(tmp_path):
    """The shipped colour model, grown to see every channel, computes the same at first."""
    import numpy as np

    from deepdenoise.inference import denoise
    from deepdenoise.models import opponent_ffdnet
    from deepdenoise.weights import load_pretrained, pretrained_entry

    script = load_script("training/make_cross_channel_init.py")
    output = tmp_path / "cross-init.weights.h5"
    script.main(output, "ffdnet_color")
    config = pretrained_entry("ffdnet_color")["config"]
    mixed = opponent_ffdnet(depth=config["depth"], width=config["width"], cross_channel=True)
    mixed.load_weights(output)
    rgb = np.random.default_rng(3).random((24, 32, 3), dtype="float32")
    expected = denoise(load_pretrained("ffdnet_color"), rgb, 30, tile=None)
    np.testing.assert_allclose(denoise(mixed, rgb, 30, tile=None), expected, atol=1e-4)
    from deepdenoise.denoisers import DenoiserLoadError

    missing = tmp_path / "missing.keras"
    with pytest.raises(DenoiserLoadError, match=r"missing\.keras does not exist"):
        script.main(tmp_path / "other.weights.h5", str(missing))
    with pytest.raises(ValueError, match="opponent_ffdnet, got 'ffdnet'"):  # a gray model
        script.main(tmp_path / "other.weights.h5", "ffdnet15")
    assert not (tmp_path / "other.weights.h5").exists()
    # grown the other way, with feature mixing, it also starts as the shipped model
    script.main(output, "ffdnet_color", mix_every=3)
    mixing = opponent_ffdnet(depth=config["depth"], width=config["width"], mix_every=3)
    mixing.load_weights(output)
    np.testing.assert_allclose(denoise(mixing, rgb, 30, tile=None), expected, atol=1e-4)
