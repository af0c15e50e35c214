"""The gray and colour benchmark sets: counts, shapes, sha256 checks, the pooch download."""

from __future__ import annotations

import collections
import functools
import hashlib
import http.server
import logging
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from deepdenoise.data import BENCHMARK_CHANNELS, BENCHMARKS, benchmark, benchmark_paths
from deepdenoise.data import benchmarks as benchmarks_module

# Sizes (H, W) from shared/data/README.md; the colour sets' split counted from the files.
EXPECTED_SHAPES = {
    "set12": {(256, 256): 7, (512, 512): 5},
    "bsd68": {(321, 481): 53, (481, 321): 15},
    "train400": {(180, 180): 400},
    "cbsd432": {(321, 481, 3): 295, (481, 321, 3): 137},
    "cbsd68": {(321, 481, 3): 53, (481, 321, 3): 15},
    "mcmaster": {(500, 500, 3): 18},
}
FIRST_NAMES = {
    "set12": "01.png",
    "bsd68": "test001.png",
    "train400": "test_001.png",
    "cbsd432": "100007.jpg",
    "cbsd68": "101085.png",
    "mcmaster": "1.tif",
}


@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_counts_shapes_and_range(data_dir, name):
    images = benchmark(name, data_dir=data_dir)
    assert len(images) == BENCHMARKS[name]
    names = [file_name for file_name, _ in images]
    assert names == sorted(set(names)) and names[0] == FIRST_NAMES[name]
    shapes = collections.Counter(image.shape for _, image in images)
    assert dict(shapes) == EXPECTED_SHAPES[name]
    for _, image in images:
        assert image.dtype == np.float32
        assert image.min() >= 0.0 and image.max() <= 1.0
    # README: the pixel values of every set span 0 to 255
    assert min(image.min() for _, image in images) == 0.0
    assert max(image.max() for _, image in images) == 1.0


def test_environment_variable_is_the_default(data_dir, monkeypatch):
    monkeypatch.setenv("DEEPDENOISE_DATA", str(data_dir))
    assert benchmark_paths("set12") == benchmark_paths("set12", data_dir=data_dir)
    assert benchmark_paths("set12")[0].parent == data_dir / "set12"


def test_as_dict(data_dir):
    pairs = benchmark("set12", data_dir=data_dir)
    mapping = benchmark("set12", data_dir=data_dir, as_list=False)
    assert list(mapping) == [name for name, _ in pairs]
    np.testing.assert_array_equal(mapping["01.png"], pairs[0][1])


def test_registry_matches_the_sha256sums_and_upstream_layout(data_dir):
    sums = {}
    for line in (data_dir / "SHA256SUMS").read_text().splitlines():
        digest, relative = line.split()
        sums[relative] = digest
    registry = benchmarks_module._registry()
    assert {name: digest for name, (digest, _) in registry.items()} == sums
    ffdnet = (
        "https://raw.githubusercontent.com/cszn/FFDNet/e787f46df2f374ff3591186706229cb9a0591fea/"
    )
    sure = (
        "https://raw.githubusercontent.com/Magauiya/Extended_SURE/"
        "1bcec3b61d7c3687f0fc906d684cc7d29e59aab4/"
    )
    upstream = {
        "set12": benchmarks_module.UPSTREAM_URL + "testsets/Set12/",
        "bsd68": benchmarks_module.UPSTREAM_URL + "testsets/BSD68/",
        "train400": benchmarks_module.UPSTREAM_URL
        + "TrainingCodes/DnCNN_TrainingCodes_v1.0/data/Train400/",
        "cbsd432": sure + "Dataset/CBSD432/",
        "cbsd68": ffdnet + "testsets/CBSD68/",
        "mcmaster": ffdnet + "testsets/McMaster/",
    }
    for relative, (_, url) in registry.items():
        folder, file_name = relative.split("/")
        assert url == upstream[folder] + file_name
    assert collections.Counter(name.split("/")[0] for name in registry) == BENCHMARKS
    assert set(BENCHMARK_CHANNELS) == set(BENCHMARKS)


def test_colour_training_and_test_sets_share_no_image(data_dir):
    """CBSD432 trains, CBSD68 tests: no BSDS image id is in both."""
    training = {path.stem for path in benchmark_paths("cbsd432", data_dir=data_dir)}
    test = {path.stem for path in benchmark_paths("cbsd68", data_dir=data_dir)}
    assert len(training) == 432 and len(test) == 68
    assert not training & test


def test_gray_bsd68_is_the_luminance_of_cbsd68(data_dir):
    """The colour set is the gray one in colour: same images, loaded as RGB, not as gray."""
    gray = [image for _, image in benchmark("bsd68", data_dir=data_dir)[:3]]
    colour = [image for _, image in benchmark("cbsd68", data_dir=data_dir)[:3]]
    weights = np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601, as MATLAB's rgb2gray
    for luminance, rgb in zip(gray, colour, strict=True):
        assert rgb.shape == (*luminance.shape, 3)
        assert not np.array_equal(rgb[..., 0], rgb[..., 1])
        assert np.abs(rgb @ weights - luminance).max() <= 0.6 / 255  # rounding to 8 bits


@pytest.fixture()
def set12_copy(data_dir, tmp_path) -> Path:
    root = tmp_path / "copy"
    shutil.copytree(data_dir / "set12", root / "set12")
    return root


def _flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_corrupted_local_file_is_named(set12_copy):
    assert len(benchmark_paths("set12", data_dir=set12_copy)) == 12  # verified and cached
    _flip_a_byte(set12_copy / "set12" / "05.png")
    with pytest.raises(ValueError, match=r"05\.png.*sha256"):
        benchmark("set12", data_dir=set12_copy)


def test_missing_local_file_is_named(set12_copy):
    (set12_copy / "set12" / "07.png").unlink()
    with pytest.raises(FileNotFoundError, match=r"07\.png"):
        benchmark_paths("set12", data_dir=set12_copy)


def test_local_copy_lacking_a_set(set12_copy):
    with pytest.raises(FileNotFoundError, match=r"test001\.png"):
        benchmark_paths("bsd68", data_dir=set12_copy)


def test_data_dir_must_be_a_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="data_dir"):
        benchmark_paths("set12", data_dir=tmp_path / "nowhere")


@pytest.mark.parametrize("name", ["Set12", "bsd100", "cbsd100", "kodak24", "", None])
def test_unknown_name(name, data_dir):
    with pytest.raises(ValueError, match="name") as info:
        benchmark(name, data_dir=data_dir)
    assert all(known in str(info.value) for known in BENCHMARKS), "lists the known names"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture()
def mirror(set12_copy, monkeypatch, tmp_path):
    """Serve the copy over loopback HTTP and point the pooch fetcher at it."""
    handler = functools.partial(_QuietHandler, directory=str(set12_copy))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.delenv("DEEPDENOISE_DATA", raising=False)
    monkeypatch.setenv("DEEPDENOISE_DATA_URL", f"http://127.0.0.1:{server.server_port}/")
    monkeypatch.setenv("DEEPDENOISE_CACHE", str(tmp_path / "cache"))
    logging.getLogger("pooch").setLevel(logging.WARNING)
    yield set12_copy
    server.shutdown()
    server.server_close()


def test_pooch_downloads_and_verifies(mirror, tmp_path, data_dir):
    paths = benchmark_paths("set12")
    assert len(paths) == 12
    for path in paths:
        assert path.is_relative_to(tmp_path / "cache")
        assert path.read_bytes() == (data_dir / "set12" / path.name).read_bytes()
    # a second call uses the cache: it works with the server's files gone
    shutil.rmtree(mirror / "set12")
    assert benchmark_paths("set12") == paths


def test_pooch_rejects_a_corrupted_download(mirror):
    _flip_a_byte(mirror / "set12" / "03.png")
    with pytest.raises(ValueError, match="hash"):
        benchmark_paths("set12")


def test_local_hash_check_is_real(set12_copy):
    """The check compares against the registry, not against a hash of the file itself."""
    path = set12_copy / "set12" / "01.png"
    expected = benchmarks_module._registry()["set12/01.png"][0]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == expected
    shutil.copy(set12_copy / "set12" / "02.png", path)
    with pytest.raises(ValueError, match=r"01\.png"):
        benchmark_paths("set12", data_dir=set12_copy)


def test_unreachable_data_names_the_variables_that_fix_it(monkeypatch, tmp_path):
    """No network and no local copy: the error says which environment variables help."""
    monkeypatch.delenv("DEEPDENOISE_DATA", raising=False)
    monkeypatch.setenv("DEEPDENOISE_DATA_URL", "http://127.0.0.1:9/")  # a closed port
    monkeypatch.setenv("DEEPDENOISE_CACHE", str(tmp_path / "cache"))
    logging.getLogger("pooch").setLevel(logging.WARNING)
    with pytest.raises(ConnectionError) as info:
        benchmark_paths("set12")
    message = str(info.value)
    assert "set12/01.png" in message and "http://127.0.0.1:9/set12/01.png" in message
    assert "DEEPDENOISE_DATA " in message and "DEEPDENOISE_DATA_URL" in message
