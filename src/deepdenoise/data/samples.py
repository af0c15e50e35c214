"""Photographs bundled with scikit-image, usable offline.

Only images that ship inside the scikit-image wheel are offered here; other
``skimage.data`` images (``eagle``, ``lily``, ``skin``, ...) are downloaded
on first use and would fail without a network.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from deepdenoise._checks import ArgumentTypeError

__all__ = ["SAMPLE_NAMES", "sample_images"]

#: Natural photographs shipped inside the scikit-image package (no download).
SAMPLE_NAMES = (
    "astronaut",
    "brick",
    "camera",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "grass",
    "gravel",
    "moon",
    "page",
    "rocket",
    "text",
)


def sample_images(
    *, names: Iterable[str] | None = None, as_gray: bool = False
) -> dict[str, np.ndarray]:
    """Load scikit-image's bundled photographs as float32 in [0, 1].

    Parameters
    ----------
    names : iterable of str, optional
        Which images, from :data:`SAMPLE_NAMES`; all of them by default.
        Gray photographs: brick, camera, clock, coins, grass, gravel, moon,
        page, text. Colour (RGB): astronaut, chelsea, coffee, rocket.
    as_gray : bool, optional
        Convert the colour ones to gray with :func:`skimage.color.rgb2gray`.

    Returns
    -------
    dict of str to numpy.ndarray
        Name to image, in the order asked, each float32 of shape (H, W) or
        (H, W, 3) with values in [0, 1] (8-bit values divided by 255).

    Raises
    ------
    ValueError
        If a name is not in :data:`SAMPLE_NAMES`.
    TypeError
        If ``names`` is a single string rather than a list of names.

    Notes
    -----
    Licences: see scikit-image's ``skimage/data/README.txt``; the camera man
    and most others are public domain or CC0.

    Examples
    --------
    >>> images = sample_images(names=["camera", "astronaut"])
    >>> {name: image.shape for name, image in images.items()}
    {'camera': (512, 512), 'astronaut': (512, 512, 3)}
    >>> images["camera"].dtype, float(images["camera"].max())
    (dtype('float32'), 1.0)
    """
    if isinstance(names, str):
        raise ArgumentTypeError(f"names must be a list of names, not the string {names!r}")
    chosen = list(SAMPLE_NAMES if names is None else names)
    unknown = [name for name in chosen if name not in SAMPLE_NAMES]
    if unknown:
        raise ValueError(
            f"names holds unknown sample images {unknown}; choose from {', '.join(SAMPLE_NAMES)}"
        )
    from skimage import data
    from skimage.color import rgb2gray
    from skimage.util import img_as_float32

    images: dict[str, np.ndarray] = {}
    for name in chosen:
        image = img_as_float32(getattr(data, name)())
        if as_gray and image.ndim == 3:
            image = rgb2gray(image).astype(np.float32)
        images[name] = image
    return images
