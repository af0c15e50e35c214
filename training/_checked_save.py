"""Save starting weights only after checking that they compute what they should.

Shared by the ``make_*_init.py`` scripts, which run as files
(``python training/make_ffdnet15_init.py``), so they import this module as a sibling.
"""

from __future__ import annotations

from pathlib import Path

import keras

from deepdenoise._io import atomic_path


def save_checked(model: keras.Model, output: Path, difference: float, *, what: str) -> None:
    """Write ``model``'s weights to ``output`` if ``difference`` is at most 1e-4, else raise.

    ``difference`` is the largest absolute difference between the new model's
    output and the output it must reproduce (``what`` names that).
    """
    if not difference <= 1e-4:
        raise RuntimeError(f"the new model differs from {what} by {difference}; nothing written")
    output.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(output, suffix=".weights.h5") as path:
        model.save_weights(path)
    print(f"wrote {output} (max difference from {what} {difference:.1e})")
