"""Write the starting weights of a colour recipe: a shipped gray FFDNet, made colour.

The shipped gray model (``ffdnet`` unless ``--gray`` names another) goes into an
opponent_ffdnet (models.colour_from_gray): the colour model then computes exactly
what the gray one computes on each opponent channel (brightness and two colour
differences) at that channel's noise level, which
``deepdenoise.denoisers.opponent`` computes another way; the script checks that the
two agree on a random image before it writes anything.

    python training/make_ffdnet_color_init.py [OUTPUT] [--gray NAME]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _checked_save, also when imported
from _checked_save import save_checked

from deepdenoise.denoisers import denoiser_from_model, opponent
from deepdenoise.inference import denoise
from deepdenoise.models.grow import colour_from_gray
from deepdenoise.weights import load_pretrained

DEFAULT_OUTPUT = Path(__file__).parent / "runs" / "ffdnet_color-init.weights.h5"


def main(output: Path = DEFAULT_OUTPUT, gray_name: str = "ffdnet") -> None:
    """Turn a shipped gray model into a colour model, check it, and save its weights."""
    gray = load_pretrained(gray_name)
    colour = colour_from_gray(gray)
    rgb = np.random.default_rng(0).random((64, 64, 3), dtype="float32")
    expected = opponent(denoiser_from_model(gray_name, gray, tile=None))(rgb, 25)
    difference = float(np.abs(denoise(colour, rgb, 25, tile=None) - expected).max())
    save_checked(colour, output, difference, what=f"{gray_name} on each opponent channel")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--gray", default="ffdnet", help="shipped gray model (default ffdnet)")
    args = parser.parse_args()
    main(args.output, args.gray)
