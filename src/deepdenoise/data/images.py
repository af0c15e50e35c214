"""Read and write image files as float32 arrays in [0, 1].

Supported files are PNG, JPEG, BMP and TIFF, 8 or 16 bits per sample, gray or
RGB. Pillow decodes PNG, JPEG and BMP; ``tifffile`` decodes TIFF; 16-bit
colour PNGs, which Pillow would silently cut to 8 bits, are decoded by
TensorFlow (imported only then).

Alpha channels
--------------
An image with an alpha channel (RGBA, gray + alpha, or a palette with
transparency) is loaded **without its alpha channel**, with a
:class:`UserWarning` that names the file. The colour values are kept as
stored: they are not composited on a background. Denoisers work on the
colour channels only, so dropping alpha loses nothing they could use.

Every error names the file or folder, so that a bad file in a folder of
hundreds is easy to find.
"""

from __future__ import annotations

import io
import os
import struct
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import numpy as np

from deepdenoise._checks import ArgumentTypeError, check_image
from deepdenoise._dtypes import INTEGER_MAX, from_unit_float, to_unit_float
from deepdenoise._io import atomic_path

__all__ = [
    "IMAGE_SUFFIXES",
    "JPEG_EXIF_MAX",
    "TIFF_EXIF_TAGS",
    "FileMetadata",
    "PngHeader",
    "applies_exif_orientation",
    "image_bit_depth",
    "list_image_files",
    "load_folder",
    "load_image",
    "png_header",
    "save_image",
]

#: File name endings (lower case) that :func:`list_image_files` treats as images.
IMAGE_SUFFIXES = (".bmp", ".jpeg", ".jpg", ".png", ".tif", ".tiff")

_TIFF_SUFFIXES = (".tif", ".tiff")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Pillow modes whose colour channels it can give as they are stored.
_PILLOW_DIRECT_MODES = {"1", "L", "LA", "RGB", "RGBA", "I;16", "I;16L", "I;16B", "I", "F"}


def _check_file(path: str | os.PathLike) -> Path:
    """Return ``path`` as a Path after checking that it is a non-empty file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"image file {str(path)!r} does not exist")
    if not path.is_file():
        raise ValueError(f"{str(path)!r} is not a file (expected an image file)")
    if path.stat().st_size == 0:
        raise ValueError(f"image file {str(path)!r} is empty (0 bytes)")
    return path


class PngHeader(NamedTuple):
    """The image header (IHDR chunk) of a PNG file, as :func:`png_header` reads it."""

    width: int
    height: int
    bit_depth: int
    """Bits per sample (per palette index for colour type 3): 1, 2, 4, 8 or 16."""
    colour_type: int
    """0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA."""


def png_header(path: str | os.PathLike) -> PngHeader | None:
    """Read the header of a PNG file without decoding the image.

    Parameters
    ----------
    path : str or os.PathLike
        Any file.

    Returns
    -------
    PngHeader or None
        Width, height, bits per sample and colour type; None when the file
        does not start with a PNG signature and header.

    Raises
    ------
    OSError
        If the file cannot be opened.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "deep.png"
    >>> _ = save_image(path, np.zeros((3, 4), dtype=np.uint16))
    >>> png_header(path)
    PngHeader(width=4, height=3, bit_depth=16, colour_type=0)
    """
    with Path(path).open("rb") as handle:
        header = handle.read(26)
    if len(header) < 26 or not header.startswith(_PNG_SIGNATURE) or header[12:16] != b"IHDR":
        return None
    return PngHeader(
        width=int.from_bytes(header[16:20], "big"),
        height=int.from_bytes(header[20:24], "big"),
        bit_depth=header[24],
        colour_type=header[25],
    )


def image_bit_depth(path: str | os.PathLike) -> int:
    """Bits per sample an image file stores: 16 for 16-bit PNG and TIFF files, else 8.

    Reads the header only. Use it to write a result at the precision of its
    source (``save_image(..., bit_depth=image_bit_depth(source))``).

    Parameters
    ----------
    path : str or os.PathLike
        An image file.

    Returns
    -------
    int
        16 for a PNG with 16-bit samples or a TIFF whose samples take two
        bytes or more (float TIFFs included); 8 for every other file,
        including files whose header cannot be read (:func:`load_image`
        reports those).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = save_image(folder / "a.png", np.zeros((2, 2), dtype=np.uint16))
    >>> _ = save_image(folder / "b.tif", np.zeros((2, 2)))
    >>> image_bit_depth(folder / "a.png"), image_bit_depth(folder / "b.tif")
    (16, 8)
    """
    path = Path(path)
    if path.suffix.lower() in _TIFF_SUFFIXES:
        import tifffile

        try:
            with tifffile.TiffFile(path) as tif:
                dtype = tif.pages[0].dtype
            return 16 if dtype is not None and dtype.itemsize >= 2 else 8
        except Exception:  # tifffile raises many types; the loader reports them
            return 8
    try:
        header = png_header(path)
    except OSError:
        return 8
    return 16 if header is not None and header.bit_depth == 16 else 8


def _png_is_16bit_colour(path: Path) -> bool:
    """True for a 16-bit RGB or RGBA PNG, which Pillow would cut to 8 bits."""
    header = png_header(path)
    return header is not None and header.bit_depth == 16 and header.colour_type in (2, 6)


def _read_with_tensorflow_png(path: Path) -> np.ndarray:
    """Decode a 16-bit colour PNG to a uint16 array with TensorFlow."""
    try:
        import tensorflow as tf
    except ImportError as exc:  # pragma: no cover - TensorFlow is a dependency
        raise ImportError(
            f"reading the 16-bit colour PNG {str(path)!r} needs TensorFlow "
            "(Pillow cuts such files to 8 bits)"
        ) from exc
    try:
        return tf.io.decode_png(path.read_bytes(), dtype=tf.uint16).numpy()
    except tf.errors.InvalidArgumentError as exc:
        raise ValueError(f"{str(path)!r} is not a readable PNG image: {exc.message}") from exc


def _read_with_pillow(path: Path) -> np.ndarray:
    """Decode a file with Pillow, keeping 8- and 16-bit samples exact."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except UnidentifiedImageError as exc:
        raise ValueError(f"{str(path)!r} is not an image file Pillow can read") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValueError(
            f"{str(path)!r} is not a readable image (truncated or corrupt): {exc}"
        ) from exc
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode == "PA":
        image = image.convert("RGBA")
    elif image.mode not in _PILLOW_DIRECT_MODES:  # CMYK, YCbCr, LAB, HSV, RGBX, ...
        image = image.convert("RGB")
    array = np.asarray(image)
    if image.mode.startswith("I;16"):
        array = array.astype(np.uint16)
    return array


def _read_tiff(path: Path) -> np.ndarray:
    """Decode the first page of a TIFF with tifffile (Pillow when tifffile cannot)."""
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            array = page.asarray()
            planar = getattr(page, "planarconfig", None)  # a TiffFrame has none
            if array.ndim == 3 and planar == tifffile.PLANARCONFIG.SEPARATE:
                array = np.moveaxis(array, 0, -1)
            return array
    except Exception as tiff_error:  # tifffile raises many types; try Pillow
        try:
            return _read_with_pillow(path)
        except ValueError as pillow_error:
            raise ValueError(
                f"{str(path)!r} is not a readable TIFF image: tifffile said {tiff_error}; "
                f"{pillow_error}"
            ) from tiff_error


def _reader(path: Path) -> Callable[[Path], np.ndarray]:
    """The decoder :func:`load_image` uses for ``path``, chosen by suffix and PNG header.

    tifffile for TIFF and TensorFlow for 16-bit colour PNG, which decode the
    pixels as stored; Pillow, which turns them upright, for everything else.
    """
    if path.suffix.lower() in _TIFF_SUFFIXES:
        return _read_tiff
    if _png_is_16bit_colour(path):
        return _read_with_tensorflow_png
    return _read_with_pillow


def applies_exif_orientation(path: str | os.PathLike) -> bool:
    """Whether :func:`load_image` turns this file's pixels upright from its EXIF orientation.

    Files decoded with Pillow are turned (``ImageOps.exif_transpose``); TIFF
    files and 16-bit colour PNGs are decoded as stored, so their orientation
    tag still describes the pixels. A copy of the EXIF written with the
    loaded pixels should therefore have its orientation reset to 1 (upright)
    exactly when this is True, or viewers turn the image a second time.

    Parameters
    ----------
    path : str or os.PathLike
        An image file; only its suffix and, for other suffixes than TIFF,
        its first 26 bytes are read.

    Returns
    -------
    bool
        True when the loader applies the EXIF orientation to the pixels.

    Raises
    ------
    OSError
        If a file other than a TIFF cannot be opened.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = save_image(folder / "photo.jpg", np.zeros((2, 3, 3)))
    >>> _ = save_image(folder / "scan.tif", np.zeros((2, 3, 3)))
    >>> [applies_exif_orientation(folder / name) for name in ("photo.jpg", "scan.tif")]
    [True, False]
    """
    return _reader(Path(path)) is _read_with_pillow


def _to_unit_float(array: np.ndarray, path: Path) -> np.ndarray:
    """Scale 8/16-bit integers to [0, 1]; check that float samples already lie there."""
    if array.dtype == bool or array.dtype in INTEGER_MAX:
        return to_unit_float(array)
    if np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float32)
        if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
            raise ValueError(
                f"{str(path)!r} holds floating-point samples outside [0, 1]; "
                "expected 8- or 16-bit integers or floats in [0, 1]"
            )
        return array
    raise ValueError(
        f"{str(path)!r} holds {array.dtype} samples; expected 8- or 16-bit unsigned integers "
        "or floats in [0, 1]"
    )


def _drop_alpha(array: np.ndarray, path: Path) -> np.ndarray:
    """Return (H, W) or (H, W, 3): squeeze one channel, drop alpha with a warning."""
    if array.ndim == 2:
        return array
    if array.ndim != 3:
        raise ValueError(
            f"{str(path)!r} decodes to shape {array.shape}; expected a 2-D gray or RGB image"
        )
    channels = array.shape[-1]
    if channels == 1:
        return array[..., 0]
    if channels == 3:
        return array
    if channels in (2, 4):
        warnings.warn(
            f"{str(path)!r} has an alpha channel; it was dropped and the "
            f"{'gray' if channels == 2 else 'RGB'} values kept as stored",
            UserWarning,
            stacklevel=3,
        )
        return array[..., 0] if channels == 2 else array[..., :3]
    raise ValueError(f"{str(path)!r} has {channels} channels; expected 1 (gray), 3 (RGB) or 4")


def load_image(path: str | os.PathLike, *, as_gray: bool = False) -> np.ndarray:
    """Load an image file as float32 in [0, 1].

    Parameters
    ----------
    path : str or os.PathLike
        A PNG, JPEG, BMP or TIFF file with 8 or 16 bits per sample, gray or
        RGB. TIFF files may also hold floats in [0, 1]. Only the first page
        or frame of a multi-page file is read.
    as_gray : bool, optional
        Convert colour images to gray with :func:`skimage.color.rgb2gray`.

    Returns
    -------
    numpy.ndarray
        float32 array of shape (H, W) for gray images (or with
        ``as_gray=True``) and (H, W, 3) for colour images. 8-bit samples are
        divided by 255 and 16-bit samples by 65535, so
        ``round(image * 65535)`` gives the stored 16-bit values back exactly.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If ``path`` is a folder, is empty, is not an image, is truncated or
        corrupt, or holds samples of an unsupported type. The message names
        the file.

    Warns
    -----
    UserWarning
        If the image has an alpha channel, which is dropped (see the module
        notes).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> ramp = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    >>> _ = save_image(folder / "ramp.png", ramp)
    >>> image = load_image(folder / "ramp.png")
    >>> image.shape, image.dtype, float(image.max())
    ((3, 4), dtype('float32'), 1.0)
    """
    path = _check_file(path)
    array = _reader(path)(path)
    if array.size == 0:
        raise ValueError(f"image file {str(path)!r} decodes to an empty image {array.shape}")
    image = _to_unit_float(_drop_alpha(array, path), path)
    if as_gray and image.ndim == 3:
        from skimage.color import rgb2gray

        image = rgb2gray(image).astype(np.float32)
    return image


def list_image_files(folder: str | os.PathLike) -> list[Path]:
    """List the image files of a folder, sorted by name.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder. Files whose names end in one of :data:`IMAGE_SUFFIXES`
        (any case) are listed; hidden files (``.name``) and sub-folders are
        skipped.

    Returns
    -------
    list of pathlib.Path

    Raises
    ------
    FileNotFoundError
        If ``folder`` does not exist.
    ValueError
        If ``folder`` is not a folder or holds no image file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ["b.png", "a.tif"]:
    ...     _ = save_image(folder / name, np.zeros((2, 2)))
    >>> [path.name for path in list_image_files(folder)]
    ['a.tif', 'b.png']
    """
    folder = Path(folder)
    if not folder.exists():
        raise FileNotFoundError(f"folder {str(folder)!r} does not exist")
    if not folder.is_dir():
        raise ValueError(f"{str(folder)!r} is not a folder")
    files = sorted(
        (
            path
            for path in folder.iterdir()
            if path.is_file()
            and not path.name.startswith(".")
            and path.suffix.lower() in IMAGE_SUFFIXES
        ),
        key=lambda path: path.name,
    )
    if not files:
        raise ValueError(
            f"folder {str(folder)!r} holds no image file (expected {', '.join(IMAGE_SUFFIXES)})"
        )
    return files


def load_folder(path: str | os.PathLike, *, as_gray: bool = False) -> list[tuple[str, np.ndarray]]:
    """Load every image of a folder, sorted by file name.

    Parameters
    ----------
    path : str or os.PathLike
        The folder; see :func:`list_image_files` for which files count.
    as_gray : bool, optional
        Convert colour images to gray.

    Returns
    -------
    list of (str, numpy.ndarray)
        ``(file name, image)`` pairs, each image as :func:`load_image` gives
        it: float32 in [0, 1].

    Raises
    ------
    FileNotFoundError
        If the folder does not exist.
    ValueError
        If it is not a folder, holds no image, or one of its images cannot be
        read (the message names that file).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = save_image(folder / "gray.png", np.zeros((4, 6)))
    >>> _ = save_image(folder / "rgb.png", np.ones((4, 6, 3)))
    >>> [(name, image.shape) for name, image in load_folder(folder)]
    [('gray.png', (4, 6)), ('rgb.png', (4, 6, 3))]
    """
    return [(file.name, load_image(file, as_gray=as_gray)) for file in list_image_files(path)]


def _quantise(image: object, bit_depth: int | None) -> np.ndarray:
    """Turn ``image`` into uint8 or uint16 samples of shape (H, W) or (H, W, 3)."""
    if bit_depth is not None and (isinstance(bit_depth, bool) or bit_depth not in (8, 16)):
        raise ValueError(f"bit_depth must be 8, 16 or None, got {bit_depth!r}")
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.dtype in INTEGER_MAX:
        if bit_depth in (None, array.dtype.itemsize * 8):
            check_image(array, "image", channels=(3,))
            return array
        array = to_unit_float(array)
    elif np.issubdtype(array.dtype, np.integer):
        raise ArgumentTypeError(
            f"image of dtype {array.dtype} is ambiguous: give floats in [0, 1], uint8 or uint16"
        )
    values = check_image(array, "image", channels=(3,))
    return from_unit_float(values, np.uint16 if bit_depth == 16 else np.uint8)


class FileMetadata(NamedTuple):
    """What an image file carries besides its pixels, for :func:`save_image` to keep.

    Attributes
    ----------
    icc_profile : bytes or None
        The ICC colour profile (its colour space must match the image: gray
        or RGB).
    exif : bytes or None
        EXIF as Pillow reads it (``Image.getexif().tobytes()``, starting with
        ``Exif\0\0`` or the TIFF header). A TIFF output keeps its descriptive
        tags (make, model, date, artist, copyright, orientation).
    """

    icc_profile: bytes | None = None
    exif: bytes | None = None


# A JPEG APP1 segment holds at most 65535 bytes, 2 of them its length.
JPEG_EXIF_MAX = 65533
# Descriptive tags of the first EXIF directory that a TIFF output takes over, with the
# tifffile type of each ("s": ASCII, "H": unsigned short).
TIFF_EXIF_TAGS = {
    0x010F: "s",  # Make
    0x0110: "s",  # Model
    0x0112: "H",  # Orientation
    0x0132: "s",  # DateTime
    0x013B: "s",  # Artist
    0x8298: "s",  # Copyright
}


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _write_png(handle: BinaryIO, data: np.ndarray, metadata: FileMetadata) -> None:
    if data.dtype == np.uint16 and data.ndim == 3:
        # Pillow cannot write 16-bit colour PNGs; TensorFlow's encoder can.
        import tensorflow as tf

        png = bytes(tf.io.encode_png(data).numpy())
    else:
        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(data).save(buffer, format="PNG")
        png = buffer.getvalue()
    chunks = []
    if metadata.icc_profile:
        compressed = zlib.compress(metadata.icc_profile)
        chunks.append(_png_chunk(b"iCCP", b"ICC profile\x00\x00" + compressed))
    if metadata.exif:
        chunks.append(_png_chunk(b"eXIf", metadata.exif.removeprefix(b"Exif\x00\x00")))
    # Right after IHDR (before PLTE and IDAT, as iCCP and eXIf must be).
    end_of_ihdr = len(_PNG_SIGNATURE) + 8 + struct.unpack(">I", png[8:12])[0] + 4
    handle.write(png[:end_of_ihdr] + b"".join(chunks) + png[end_of_ihdr:])


def _write_jpeg(handle: BinaryIO, data: np.ndarray, metadata: FileMetadata) -> None:
    if data.dtype != np.uint8:
        raise ValueError("bit_depth must be 8 for JPEG files (JPEG stores 8-bit samples)")
    from PIL import Image

    options: dict[str, Any] = {"quality": 95}
    if metadata.icc_profile:
        options["icc_profile"] = metadata.icc_profile
    if metadata.exif:
        if len(metadata.exif) > JPEG_EXIF_MAX:
            raise ValueError(f"EXIF of {len(metadata.exif)} bytes does not fit in a JPEG file")
        options["exif"] = metadata.exif
    Image.fromarray(data).save(handle, format="JPEG", **options)


def _write_tiff(handle: BinaryIO, data: np.ndarray, metadata: FileMetadata) -> None:
    import tifffile
    from PIL import Image

    extratags: list[tuple[int, str, int, str | int, bool]] = []
    if metadata.exif:
        exif = Image.Exif()
        exif.load(metadata.exif)
        for tag, kind in TIFF_EXIF_TAGS.items():
            value = exif.get(tag)
            if kind == "s" and value is not None:
                text = str(value).rstrip("\x00")
                if text.isascii() and text:
                    extratags.append((tag, "s", 0, text, True))
            elif isinstance(value, int):
                extratags.append((tag, kind, 1, value, True))
    buffer = io.BytesIO()  # tifffile wants a named file or a seekable buffer
    tifffile.imwrite(
        buffer,
        data,
        photometric="rgb" if data.ndim == 3 else "minisblack",
        iccprofile=metadata.icc_profile,
        extratags=extratags,
    )
    handle.write(buffer.getvalue())


_WRITERS: dict[str, Callable[[BinaryIO, np.ndarray, FileMetadata], None]] = {
    ".png": _write_png,
    ".jpg": _write_jpeg,
    ".jpeg": _write_jpeg,
    ".tif": _write_tiff,
    ".tiff": _write_tiff,
}


def save_image(
    path: str | os.PathLike,
    image: np.ndarray,
    *,
    overwrite: bool = False,
    bit_depth: int | None = None,
    metadata: FileMetadata | None = None,
) -> Path:
    """Write an image file atomically: a finished file or none, never half a file.

    Parameters
    ----------
    path : str or os.PathLike
        Destination ending in ``.png``, ``.tif``/``.tiff`` or
        ``.jpg``/``.jpeg``. Its folder must exist.
    image : numpy.ndarray
        (H, W), (H, W, 1) or (H, W, 3). Floats are taken as [0, 1]: they
        are clipped to [0, 1] and rounded to the nearest integer level.
        ``uint8`` and ``uint16`` arrays are written exactly as they are.
    overwrite : bool, optional
        Replace an existing file. By default an existing file is an error.
    bit_depth : {8, 16, None}, optional
        Bits per sample of the file. None means 16 for ``uint16`` arrays and
        8 otherwise. JPEG files are always 8-bit.
    metadata : FileMetadata, optional
        An ICC colour profile and EXIF to write with the pixels (PNG ``iCCP``
        and ``eXIf`` chunks, JPEG APP segments, TIFF tags); none by default.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    FileNotFoundError
        If the folder of ``path`` does not exist.
    ValueError
        If the suffix, the image shape or ``bit_depth`` is not supported, or
        the image holds NaN or infinite values.
    TypeError
        If the image is not numeric, or holds integers other than uint8 and
        uint16 (whose range would be a guess).

    Notes
    -----
    The file is first written to a hidden temporary file in the same folder,
    flushed to disk, then renamed onto ``path`` with :func:`os.replace`,
    which is atomic on POSIX and Windows. An interrupted save therefore
    never leaves a truncated image behind.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "noise.png"
    >>> levels = np.arange(12, dtype=np.uint8).reshape(3, 4)
    >>> save_image(path, levels).name
    'noise.png'
    >>> bool(np.all(np.rint(load_image(path) * 255) == levels))
    True
    >>> save_image(path, levels)
    Traceback (most recent call last):
    ...
    FileExistsError: ...noise.png' exists; pass overwrite=True to replace it
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _WRITERS:
        raise ValueError(
            f"path {str(path)!r} has an unsupported suffix {suffix!r}; "
            f"expected one of {', '.join(sorted(_WRITERS))}"
        )
    data = _quantise(image, bit_depth)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{str(path)!r} exists; pass overwrite=True to replace it")
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"folder {str(folder)!r} of path {str(path)!r} does not exist")
    # A hidden temporary file, flushed to disk and renamed onto ``path``; the umask
    # applies to its mode, as for open().
    with atomic_path(path) as temporary, temporary.open("xb") as handle:
        _WRITERS[suffix](handle, data, metadata or FileMetadata())
    return path
