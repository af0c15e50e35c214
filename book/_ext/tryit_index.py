"""Write the Try it page's index of models and its sample images (run by `make tryit-assets`).

    python book/_ext/tryit_index.py book/_static/tryit

After ``deepdenoise export --model all -o FOLDER/models``, this writes
``FOLDER/models/models.json`` (the exported models, the CLI's default model and
the samples) and two noisy sample photos made from the package's own sample
images (gray and colour, sigma 25, clipped to 8 bits as a photo on disk is).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from deepdenoise._io import atomic_write
from deepdenoise.data import save_image
from deepdenoise.data.samples import sample_images
from deepdenoise.denoisers import DEFAULT_MODEL
from deepdenoise.noise import add_gaussian_noise

# (sample image, label, top, left) of each 256 x 256 crop
CROPS = [("camera", "camera man, gray", 40, 180), ("astronaut", "astronaut, colour", 20, 150)]


def write_index(folder: Path) -> Path:
    """Write the samples and ``models/models.json`` under ``folder``; return the index's path."""
    (folder / "samples").mkdir(exist_ok=True)
    samples = []
    for seed, (name, label, top, left) in enumerate(CROPS):
        clean = sample_images(names=[name])[name][top : top + 256, left : left + 256]
        file = f"samples/{name}_sigma25.png"
        noisy = add_gaussian_noise(clean, 25, seed=seed, clip=True)
        save_image(folder / file, noisy, overwrite=True)
        samples.append({"file": file, "label": f"{label}, sigma 25"})
    models = sorted(path.stem for path in (folder / "models").glob("*.onnx"))
    if not models:
        raise FileNotFoundError(f"no .onnx files in {folder / 'models'}: export the models first")
    index = {"default": DEFAULT_MODEL, "models": models, "samples": samples}
    return atomic_write(folder / "models" / "models.json", json.dumps(index, indent=1) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python book/_ext/tryit_index.py FOLDER")
    print(f"wrote {write_index(Path(sys.argv[1]))}")
