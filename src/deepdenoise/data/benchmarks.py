"""The benchmark sets, gray and colour, checked by sha256.

============  ========  ======  ==========================================
set           channels  images  role
============  ========  ======  ==========================================
``set12``     1         12      test (Set12)
``bsd68``     1         68      test (BSD68)
``train400``  1         400     training (Train400)
``cbsd432``   3         432     training (the BSDS500 images not in CBSD68)
``cbsd68``    3         68      test (CBSD68, the colour BSD68)
``mcmaster``  3         18      test (McMaster, 500x500 crops)
============  ========  ======  ==========================================

The gray files come from the official DnCNN repository (cszn/DnCNN, commit
``e93b278``), the copy every paper since 2017 reports on; CBSD68 and McMaster
from cszn/FFDNet (commit ``e787f46``); CBSD432, the original BSDS JPEGs, from
Magauiya/Extended_SURE (commit ``1bcec3b``). ``registry.txt``, next to this
module, lists each file's path, sha256 and upstream URL.

Where the files come from, in order:

1. ``data_dir=``, or the folder in the environment variable
   ``DEEPDENOISE_DATA``: a local copy laid out as ``set12/01.png``,
   ``bsd68/test001.png``, ``cbsd68/101085.png``. It is never written to,
   but every file is checked against the registry.
2. Otherwise the files are downloaded with :mod:`pooch` into its cache
   (``pooch.os_cache("deepdenoise")``, or ``DEEPDENOISE_CACHE``), from
   GitHub or from the mirror in ``DEEPDENOISE_DATA_URL`` (a base URL with the
   layout above, for a classroom server). Pooch checks the sha256 of each
   download.

Licence: research and education use only (DnCNN's README; BSDS terms;
McMaster states none). Cite DnCNN (Zhang et al., 2017), FFDNet (Zhang et al.,
2018), BSDS (Martin et al., 2001) and McMaster (Zhang et al., 2011).
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path

import numpy as np

from deepdenoise._io import sha256_file
from deepdenoise.data.images import load_image

__all__ = [
    "BENCHMARKS",
    "BENCHMARK_CHANNELS",
    "TRAINING_BENCHMARKS",
    "UPSTREAM_URL",
    "benchmark",
    "benchmark_paths",
]

#: Number of images in each benchmark set.
BENCHMARKS = {
    "set12": 12,
    "bsd68": 68,
    "train400": 400,
    "cbsd432": 432,
    "cbsd68": 68,
    "mcmaster": 18,
}
#: Channels of each set's images: 1 gray, 3 RGB.
BENCHMARK_CHANNELS = {
    "set12": 1,
    "bsd68": 1,
    "train400": 1,
    "cbsd432": 3,
    "cbsd68": 3,
    "mcmaster": 3,
}
#: The sets made for training; the others are test sets, never trained on.
TRAINING_BENCHMARKS = ("train400", "cbsd432")

#: The cszn/DnCNN snapshot the gray sets' URLs point into (each file has its own URL).
UPSTREAM_URL = (
    "https://raw.githubusercontent.com/cszn/DnCNN/e93b27812d3ff523a3a79d19e5e50d233d7a8d0a/"
)

# (path, size, mtime) -> sha256 of local files already checked in this process.
_VERIFIED: dict[tuple[str, int, int], str] = {}


@functools.cache
def _registry() -> dict[str, tuple[str, str]]:
    """Read ``registry.txt``: relative path -> (sha256, upstream URL)."""
    text = resources.files("deepdenoise.data").joinpath("registry.txt").read_text("utf-8")
    entries: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, digest, url = line.split()
        entries[name] = (digest.removeprefix("sha256:"), url)
    return entries


def _check_name(name: object) -> str:
    if name not in BENCHMARKS:
        raise ValueError(f"name must be one of {', '.join(BENCHMARKS)}, got {name!r}")
    return str(name)


def _sha256(path: Path) -> str:
    """:func:`~deepdenoise._io.sha256_file`, computed once per file version in a process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _VERIFIED:
        _VERIFIED[key] = sha256_file(path)
    return _VERIFIED[key]


def _local_paths(files: list[str], root: Path) -> list[Path]:
    if not root.is_dir():
        raise FileNotFoundError(
            f"data_dir {str(root)!r} (from data_dir= or DEEPDENOISE_DATA) is not a folder"
        )
    registry = _registry()
    paths = []
    for relative in files:
        path = root / relative
        if not path.is_file():
            raise FileNotFoundError(
                f"{str(path)!r} is missing: data_dir {str(root)!r} must hold {relative}"
            )
        expected = registry[relative][0]
        actual = _sha256(path)
        if actual != expected:
            raise ValueError(
                f"{str(path)!r} is corrupt or not the registered copy: its sha256 is {actual}, "
                f"the registry expects {expected}"
            )
        paths.append(path)
    return paths


def _fetcher():
    """A pooch.Pooch for the registry (mirror from ``DEEPDENOISE_DATA_URL`` if set)."""
    import pooch

    registry = _registry()
    mirror = os.environ.get("DEEPDENOISE_DATA_URL")
    if mirror:
        urls = {name: mirror.rstrip("/") + "/" + name for name in registry}
    else:
        urls = {name: url for name, (_, url) in registry.items()}
    return pooch.create(
        path=pooch.os_cache("deepdenoise"),
        base_url=UPSTREAM_URL,
        env="DEEPDENOISE_CACHE",
        registry={name: f"sha256:{digest}" for name, (digest, _) in registry.items()},
        urls=urls,
        retry_if_failed=2,
    )


def benchmark_paths(name: str, *, data_dir: str | os.PathLike | None = None) -> list[Path]:
    """Paths of a benchmark set's files, checked against their sha256.

    Parameters
    ----------
    name : {"set12", "bsd68", "train400", "cbsd432", "cbsd68", "mcmaster"}
        The set (see :data:`BENCHMARKS`).
    data_dir : str or os.PathLike, optional
        A local copy holding ``<name>/...`` files. Defaults to the
        ``DEEPDENOISE_DATA`` environment variable; when neither is set, the
        files are downloaded with pooch (see the module notes).

    Returns
    -------
    list of pathlib.Path
        Sorted by file name (McMaster's ``1.tif``, ``10.tif``, ... as
        strings sort): :data:`BENCHMARKS` gives the count.

    Raises
    ------
    ValueError
        If ``name`` is unknown, or a file's sha256 differs from the registry
        (the message names the file).
    FileNotFoundError
        If ``data_dir`` is not a folder or lacks a file (named).
    ConnectionError
        If a download fails; the message names the URL and the environment
        variables that fix it (``DEEPDENOISE_DATA``, ``DEEPDENOISE_DATA_URL``).

    Examples
    --------
    With ``DEEPDENOISE_DATA`` pointing at a local copy (as in CI):

    >>> paths = benchmark_paths("set12")
    >>> len(paths), paths[0].name
    (12, '01.png')
    """
    name = _check_name(name)
    files = sorted(relative for relative in _registry() if relative.split("/")[0] == name)
    root = data_dir if data_dir is not None else os.environ.get("DEEPDENOISE_DATA") or None
    if root is not None:
        return _local_paths(files, Path(root))
    fetcher = _fetcher()
    paths = []
    for relative in files:
        try:
            paths.append(Path(fetcher.fetch(relative)))
        except ValueError:  # pooch's sha256 mismatch, which names the file
            raise
        except Exception as error:  # requests' many network errors
            raise ConnectionError(
                f"could not download {relative} for {name!r} from {fetcher.get_url(relative)}: "
                f"{type(error).__name__}. Set DEEPDENOISE_DATA to a folder holding a copy "
                f"(<folder>/{name}/...), or DEEPDENOISE_DATA_URL to a mirror with the same "
                "layout, and run again"
            ) from error
    return paths


def benchmark(
    name: str, *, data_dir: str | os.PathLike | None = None, as_list: bool = True
) -> list[tuple[str, np.ndarray]] | dict[str, np.ndarray]:
    """Load a benchmark set as float32 images in [0, 1], gray or RGB.

    Parameters
    ----------
    name : {"set12", "bsd68", "train400", "cbsd432", "cbsd68", "mcmaster"}
        The set. Gray: Set12 (12 test images, 256x256 or 512x512), BSD68 (68
        test images, 321x481 or 481x321), Train400 (400 training images,
        180x180). Colour: CBSD432 (432 training images, 321x481 or
        481x321), CBSD68 (68 test images, the colour BSD68) and McMaster (18
        test images, 500x500).
    data_dir : str or os.PathLike, optional
        A local copy; see :func:`benchmark_paths`.
    as_list : bool, optional
        Return a list of ``(file name, image)`` pairs (default), or a dict
        from file name to image.

    Returns
    -------
    list of (str, numpy.ndarray) or dict
        Sorted by file name; each image float32 of shape (H, W) for a gray
        set and (H, W, 3) for a colour set (:data:`BENCHMARK_CHANNELS`), the
        8-bit values divided by 255.

    Raises
    ------
    ValueError
        If ``name`` is unknown or a file fails its sha256 check.
    FileNotFoundError
        If ``data_dir`` lacks a file.

    Notes
    -----
    The DnCNN protocol adds Gaussian noise to these images in float, with a
    fixed seed per image, never clipping; PSNR is computed on [0, 1].

    References
    ----------
    .. [1] K. Zhang, W. Zuo, Y. Chen, D. Meng, L. Zhang, "Beyond a Gaussian
       Denoiser: Residual Learning of Deep CNN for Image Denoising", IEEE TIP
       26(7), 2017.
    .. [2] D. Martin, C. Fowlkes, D. Tal, J. Malik, "A Database of Human
       Segmented Natural Images...", ICCV 2001.
    .. [3] K. Zhang, W. Zuo, L. Zhang, "FFDNet: Toward a Fast and Flexible
       Solution for CNN-Based Image Denoising", IEEE TIP 27(9), 2018.
    .. [4] L. Zhang, X. Wu, A. Buades, X. Li, "Color demosaicking by local
       directional interpolation and nonlocal adaptive thresholding", J.
       Electron. Imaging 20(2), 2011 (McMaster).

    Examples
    --------
    >>> images = benchmark("set12")
    >>> name, image = images[0]
    >>> name, image.shape, image.dtype
    ('01.png', (256, 256), dtype('float32'))
    >>> benchmark("mcmaster")[0][1].shape
    (500, 500, 3)
    """
    name = _check_name(name)
    paths = benchmark_paths(name, data_dir=data_dir)
    gray = BENCHMARK_CHANNELS[name] == 1
    pairs = [(path.name, _load_checked(path, gray=gray)) for path in paths]
    return pairs if as_list else dict(pairs)


def _load_checked(path: Path, *, gray: bool) -> np.ndarray:
    """A set's image: (H, W) for a gray set, (H, W, 3) for a colour set, else an error."""
    image = load_image(path, as_gray=gray)
    if not gray and image.ndim != 3:
        raise ValueError(f"{str(path)!r} of a colour set holds a gray image; expected RGB")
    return image
