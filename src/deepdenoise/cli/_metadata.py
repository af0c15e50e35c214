"""Keep a photograph's EXIF and ICC colour profile in the file ``deepdenoise denoise`` writes.

:func:`read_metadata` reads them from the input (headers only, no pixels);
:func:`save_with_metadata` writes the denoised pixels and them together,
atomically, as :func:`deepdenoise.data.save_image` writes pixels alone (and
calls it when there is nothing to keep).

What is kept, by output format:

* **PNG**: the ICC profile (``iCCP`` chunk) and the whole EXIF block
  (``eXIf`` chunk), 8 and 16 bit, gray and RGB;
* **JPEG**: the ICC profile and the whole EXIF block (APP2/APP1 segments;
  an EXIF block over the 64 KB a segment holds is dropped, with a note);
* **TIFF**: the ICC profile (tag 34675) and the descriptive tags of the
  first EXIF directory (make, model, date, artist, copyright, orientation);
  the camera settings of the EXIF sub-directory are not written (tifffile
  writes no EXIF sub-directory).

An ICC profile is kept only when its colour space is the output's (RGB for
colour, gray for gray): a CMYK JPEG is decoded to RGB, and its CMYK profile
would then be wrong. The EXIF orientation is reset to 1 (upright) when the
loader already turned the pixels upright (files Pillow decodes:
:func:`deepdenoise.data.load_image` applies ``ImageOps.exif_transpose``; see
:func:`deepdenoise.data.images.applies_exif_orientation`), so that viewers do
not turn the image a second time; TIFF and 16-bit colour PNG inputs are
decoded as stored, and keep their orientation tag.

Examples
--------
>>> import io, pathlib, tempfile
>>> import numpy as np
>>> from PIL import Image
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> exif = Image.Exif()
>>> exif[0x0110] = "EOS R5"  # camera model
>>> Image.new("L", (4, 3)).save(folder / "in.jpg", exif=exif)
>>> metadata = read_metadata(folder / "in.jpg")
>>> metadata.kept()
['EXIF']
>>> _ = save_with_metadata(folder / "out.png", np.zeros((3, 4), np.uint8), metadata)
>>> Image.open(folder / "out.png").getexif()[0x0110]
'EOS R5'
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from deepdenoise.data.images import (
    JPEG_EXIF_MAX,
    TIFF_EXIF_TAGS,
    FileMetadata,
    applies_exif_orientation,
    save_image,
)

__all__ = ["ImageMetadata", "read_metadata", "save_with_metadata"]

_ORIENTATION = 0x0112
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_TIFF_SUFFIXES = (".tif", ".tiff")
_JPEG_SUFFIXES = (".jpg", ".jpeg")
# ICC colour-space signatures (bytes 16-19 of the profile header) by number of channels.
_ICC_SPACES = {1: b"GRAY", 3: b"RGB "}


@dataclass
class ImageMetadata:
    """What an input file carries besides its pixels.

    Attributes
    ----------
    icc_profile : bytes or None
        The ICC colour profile, as stored.
    exif : bytes or None
        The EXIF block (``b"Exif\\x00\\x00"`` and a TIFF structure), with the
        orientation already reset where the loader turned the pixels upright.
    notes : list of str
        What could not be kept, for the line the command prints.
    """

    icc_profile: bytes | None = None
    exif: bytes | None = None
    notes: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.icc_profile is not None or self.exif is not None

    def kept(self) -> list[str]:
        """The names of what there is to keep, for the printed line (``["ICC", "EXIF"]``)."""
        return [name for name, value in (("ICC", self.icc_profile), ("EXIF", self.exif)) if value]


def _exif_from_tiff(image: Any) -> bytes | None:
    """The EXIF of a TIFF input: its descriptive tags and EXIF/GPS sub-directories only."""
    from PIL import Image

    source = image.getexif()
    exif = Image.Exif()
    for tag in TIFF_EXIF_TAGS:
        if tag in source:
            exif[tag] = source[tag]
    for pointer in (_EXIF_IFD, _GPS_IFD):
        if pointer in source:
            sub = source.get_ifd(pointer)
            if sub:
                exif[pointer] = dict(sub)
    return exif.tobytes() if len(exif) else None


def read_metadata(path: str | os.PathLike) -> ImageMetadata:
    """Read the ICC profile and EXIF of an image file, without decoding its pixels.

    Parameters
    ----------
    path : str or os.PathLike
        An input image. A file Pillow cannot open gives empty metadata (the
        loader reports the problem itself).

    Returns
    -------
    ImageMetadata
        Empty (false) when the file has neither.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from PIL import Image
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plain.png"
    >>> Image.new("L", (2, 2)).save(path)
    >>> bool(read_metadata(path))
    False
    """
    from PIL import Image

    path = Path(path)
    try:
        with Image.open(path) as image:
            icc = image.info.get("icc_profile") or None
            if path.suffix.lower() in _TIFF_SUFFIXES:
                exif = _exif_from_tiff(image)
            else:
                exif = image.info.get("exif") or None
                if exif is not None and not exif.startswith(b"Exif\x00\x00"):
                    exif = b"Exif\x00\x00" + exif
            if exif is not None and applies_exif_orientation(path):
                parsed = image.getexif()
                if parsed.get(_ORIENTATION, 1) != 1:
                    parsed[_ORIENTATION] = 1
                    exif = parsed.tobytes()
    except Exception:  # unreadable here: the loader says why, this only loses metadata
        return ImageMetadata()
    return ImageMetadata(icc_profile=icc, exif=exif)


def _icc_fits(icc: bytes, channels: int) -> bool:
    return len(icc) >= 20 and icc[16:20] == _ICC_SPACES.get(channels)


def save_with_metadata(
    path: str | os.PathLike,
    image: np.ndarray,
    metadata: ImageMetadata,
    *,
    overwrite: bool = False,
    bit_depth: int | None = None,
) -> Path:
    """Write ``image`` with ``metadata`` atomically (a whole file or none).

    Parameters
    ----------
    path : str or os.PathLike
        Destination ending in ``.png``, ``.jpg``/``.jpeg`` or ``.tif``/``.tiff``;
        its folder must exist.
    image : numpy.ndarray
        (H, W), (H, W, 1) or (H, W, 3): floats in [0, 1] (clipped and
        rounded), or uint8/uint16 written as they are when ``bit_depth``
        matches.
    metadata : ImageMetadata
        From :func:`read_metadata`. When empty, this is exactly
        :func:`deepdenoise.data.save_image`. Its ``notes`` get what could not
        be kept (an ICC profile of another colour space, EXIF too large).
    overwrite : bool, default False
        Replace an existing file.
    bit_depth : {8, 16, None}, optional
        Bits per sample; None means 16 for uint16 arrays, else 8.

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
        For an unsupported suffix, shape or bit depth (16-bit JPEG), or NaN.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plain.png"
    >>> save_with_metadata(path, np.zeros((2, 3)), ImageMetadata()).name
    'plain.png'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    array = np.asarray(image)
    channels = 3 if array.ndim == 3 and array.shape[-1] == 3 else 1
    if metadata.icc_profile and not _icc_fits(metadata.icc_profile, channels):
        space = metadata.icc_profile[16:20].decode("latin-1", "replace").strip()
        metadata.notes.append(
            f"ICC profile ({space or 'unknown'}) not kept: output is "
            + ("RGB" if channels == 3 else "gray")
        )
        metadata.icc_profile = None
    if metadata.exif and suffix in _JPEG_SUFFIXES and len(metadata.exif) > JPEG_EXIF_MAX:
        metadata.notes.append(f"EXIF of {len(metadata.exif)} bytes too large for JPEG, dropped")
        metadata.exif = None
    kept = FileMetadata(metadata.icc_profile, metadata.exif) if metadata else None
    return save_image(path, array, overwrite=overwrite, bit_depth=bit_depth, metadata=kept)
