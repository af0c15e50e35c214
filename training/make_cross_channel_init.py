"""Write the starting weights of a cross-channel colour recipe, grown from a colour model.

The colour model (the shipped ``ffdnet_color`` unless ``--colour`` names another shipped
model or a ``.keras`` file) goes into an opponent_ffdnet with ``cross_channel``
(models.cross_channel_from): each pass of its shared network also sees all three noisy
opponent channels, through first-layer weights that start at zero, so the new model
computes exactly what the old one computes. The script checks that on a random image
before it writes anything.

    python training/make_cross_channel_init.py [OUTPUT] [--colour NAME_OR_PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _checked_save, also when imported
from _checked_save import save_checked

from deepdenoise.denoisers import get_denoiser
from deepdenoise.inference import denoise
from deepdenoise.models.grow import cross_channel_from

DEFAULT_OUTPUT = Path(__file__).parent / "runs" / "ffdnet_color_cross-init.weights.h5"


def main(output: Path = DEFAULT_OUTPUT, source: str = "ffdnet_color") -> None:
    """Grow the colour model into a cross-channel one, check it, and save its weights."""
    # a shipped model by name, or a .keras file that `deepdenoise train` wrote; the
    # loader names the file or lists the shipped models when neither is found
    colour = get_denoiser(source, tile=None).model
    mixed = cross_channel_from(colour)
    rgb = np.random.default_rng(0).random((64, 64, 3), dtype="float32")
    expected = denoise(colour, rgb, 25, tile=None)
    difference = float(np.abs(denoise(mixed, rgb, 25, tile=None) - expected).max())
    save_checked(mixed, output, difference, what=source)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--colour", default="ffdnet_color", help="shipped colour model or .keras file"
    )
    args = parser.parse_args()
    main(args.output, args.colour)
