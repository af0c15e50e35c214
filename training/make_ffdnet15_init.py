"""Write the starting weights of the ffdnet15 recipe: ffdnet made deeper.

The shipped 12-layer ffdnet gets three identity layers (models.deepen_ffdnet),
so the 15-layer model computes exactly what ffdnet computes; the script checks
that on a random image before it writes anything.

    python training/make_ffdnet15_init.py [OUTPUT]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _checked_save, also when imported
from _checked_save import save_checked

from deepdenoise.models.grow import deepen_ffdnet
from deepdenoise.weights import load_pretrained

DEFAULT_OUTPUT = Path(__file__).parent / "runs" / "ffdnet15-init.weights.h5"


def main(output: Path = DEFAULT_OUTPUT) -> None:
    """Deepen the shipped ffdnet to 15 layers, check it, and save its weights."""
    shallow = load_pretrained("ffdnet")
    deep = deepen_ffdnet(shallow, depth=15)
    rng = np.random.default_rng(0)
    noisy = rng.random((1, 64, 64, 1), dtype="float32")
    sigma_map = np.full((1, 64, 64, 1), 25 / 255, dtype="float32")
    inputs = [noisy, sigma_map]
    difference = np.abs(shallow.predict(inputs, verbose=0) - deep.predict(inputs, verbose=0)).max()
    save_checked(deep, output, float(difference), what="ffdnet")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUTPUT)
