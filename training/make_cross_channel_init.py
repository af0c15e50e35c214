"""Write the starting weights of a colour model whose channels see each other, grown from one.

The colour model (the shipped ``ffdnet_color`` unless ``--colour`` names another shipped
model or a ``.keras`` file) grows into an opponent_ffdnet whose channels' passes see each
other, in one of two ways:

- by default, ``cross_channel`` (models.cross_channel_from): each pass of the shared
  network also sees both noisy colour differences at its input;
- with ``--mix-every N``, ``mix_every`` (models.channel_mixing_from): the three passes
  exchange their features after every N-th hidden layer.

Either way the new weights start at zero, so the new model computes exactly what the
old one computes. The script checks that on a random image before it writes anything.

    python training/make_cross_channel_init.py [OUTPUT] [--colour NAME_OR_PATH] [--mix-every N]
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
from deepdenoise.models.grow import channel_mixing_from, cross_channel_from

RUNS = Path(__file__).parent / "runs"


def main(output: Path | None = None, source: str = "ffdnet_color", mix_every: int = 0) -> None:
    """Grow the colour model, check that it computes the same, and save its weights.

    Without ``output`` the weights go where the recipe of that kind expects them:
    ``runs/ffdnet_color_mix-init.weights.h5`` with ``mix_every``, else
    ``runs/ffdnet_color_cross-init.weights.h5``.
    """
    if output is None:
        recipe = "ffdnet_color_mix" if mix_every else "ffdnet_color_cross"
        output = RUNS / f"{recipe}-init.weights.h5"
    # a shipped model by name, or a .keras file that `deepdenoise train` wrote; the
    # loader names the file or lists the shipped models when neither is found
    colour = get_denoiser(source, tile=None).model
    grown = channel_mixing_from(colour, mix_every) if mix_every else cross_channel_from(colour)
    rgb = np.random.default_rng(0).random((64, 64, 3), dtype="float32")
    expected = denoise(colour, rgb, 25, tile=None)
    difference = float(np.abs(denoise(grown, rgb, 25, tile=None) - expected).max())
    save_checked(grown, output, difference, what=source)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=None)
    parser.add_argument(
        "--colour", default="ffdnet_color", help="shipped colour model or .keras file"
    )
    parser.add_argument(
        "--mix-every",
        type=int,
        default=0,
        metavar="N",
        help="exchange the channels' features after every N-th hidden layer "
        "(default 0: colour differences at the input instead)",
    )
    args = parser.parse_args()
    main(args.output, args.colour, args.mix_every)
