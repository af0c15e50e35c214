"""Write the starting weights of the ffdnet_color recipe: the gray ffdnet, made colour.

The shipped gray ffdnet goes into an opponent_ffdnet (models.colour_from_gray):
the colour model then computes exactly what ffdnet computes on each opponent
channel (brightness and two colour differences) at that channel's noise level,
which ``deepdenoise.denoisers.opponent`` computes another way; the script checks
that the two agree on a random image before it writes anything.

    python training/make_ffdnet_color_init.py [OUTPUT]
"""

from __future__ import annotations

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


def main(output: Path = DEFAULT_OUTPUT) -> None:
    """Turn the shipped gray ffdnet into a colour model, check it, and save its weights."""
    gray = load_pretrained("ffdnet")
    colour = colour_from_gray(gray)
    rgb = np.random.default_rng(0).random((64, 64, 3), dtype="float32")
    expected = opponent(denoiser_from_model("ffdnet", gray, tile=None))(rgb, 25)
    difference = float(np.abs(denoise(colour, rgb, 25, tile=None) - expected).max())
    save_checked(colour, output, difference, what="ffdnet on each opponent channel")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT)
