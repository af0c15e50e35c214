"""Write the starting weights of the ffdnet_color recipe: the gray ffdnet, made colour.

The shipped gray ffdnet goes into an opponent_ffdnet (models.colour_from_gray):
the colour model then computes exactly what ffdnet computes on each opponent
channel (brightness and two colour differences) at that channel's noise level;
the script checks that on a random image before it writes anything.

    python training/make_ffdnet_color_init.py [OUTPUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from deepdenoise._io import atomic_path
from deepdenoise.models.grow import colour_from_gray
from deepdenoise.models.opponent import OPPONENT, OPPONENT_OFFSET, opponent_noise_scale
from deepdenoise.weights import load_pretrained

DEFAULT_OUTPUT = Path(__file__).parent / "runs" / "ffdnet_color-init.weights.h5"


def main(output: Path = DEFAULT_OUTPUT) -> None:
    """Turn the shipped gray ffdnet into a colour model, check it, and save its weights."""
    gray = load_pretrained("ffdnet")
    colour = colour_from_gray(gray)
    rgb = np.random.default_rng(0).random((1, 64, 64, 3), dtype="float32")
    level = np.full((1, 64, 64, 1), 25 / 255, dtype="float32")
    matrix = np.asarray(OPPONENT, dtype="float32")
    opponent = rgb @ matrix.T + np.asarray(OPPONENT_OFFSET, dtype="float32")
    expected = np.concatenate(
        [
            gray.predict([opponent[..., c : c + 1], level * scale], verbose=0)
            for c, scale in enumerate(opponent_noise_scale())
        ],
        axis=-1,
    )
    got = colour.predict([rgb, level], verbose=0) @ matrix.T + np.asarray(OPPONENT_OFFSET)
    difference = float(np.abs(got - expected).max())
    if difference > 1e-4:
        raise RuntimeError(f"the colour model differs from ffdnet per channel by {difference}")
    output.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(output, suffix=".weights.h5") as path:
        colour.save_weights(path)
    print(f"wrote {output} (max difference from ffdnet per opponent channel {difference:.1e})")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT)
