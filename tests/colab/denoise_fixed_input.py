"""Denoise one fixed noisy crop with every shipped pretrained model.

``tests/test_colab_stack.py`` runs this same file twice: imported in the pinned venv
(TensorFlow backend) and as a script with the Colab venv's Python, once with
``KERAS_BACKEND=tensorflow`` and once with ``KERAS_BACKEND=jax``; then it compares the
outputs. Identical code on both sides means any difference comes from the stacks.

Usage::

    KERAS_BACKEND=jax python tests/colab/denoise_fixed_input.py OUT.npz

``OUT.npz`` holds ``noisy`` and ``noisy_rgb`` (the gray and the colour input) and one
array per name of ``deepdenoise.weights.list_pretrained()``: a gray model's output for
``noisy``, a colour model's for ``noisy_rgb``.
"""

from __future__ import annotations

import sys

import numpy as np

SIGMA = 25  # noise level on the 0-255 scale
CROP = (slice(200, 248), slice(220, 268))  # 48x48 pixels of the camera man: face and coat
RGB_CROP = (slice(30, 78), slice(160, 208))  # 48x48 pixels of the astronaut: face and suit


def noisy_input(name: str = "camera", crop: tuple[slice, slice] = CROP) -> np.ndarray:
    """A 48x48 crop of a sample image plus Gaussian noise of ``SIGMA``, seeded, float32."""
    from deepdenoise.data import sample_images

    clean = sample_images(names=[name])[name][crop]
    noise = np.random.default_rng(0).normal(0.0, SIGMA / 255.0, clean.shape)
    return (clean + noise).astype(np.float32)


def denoise_all() -> dict[str, np.ndarray]:
    """Return the two inputs and each pretrained model's float32 output for its own."""
    from deepdenoise.inference import denoise
    from deepdenoise.models import model_info
    from deepdenoise.weights import list_pretrained, load_pretrained

    names = list_pretrained()
    if not names:
        raise RuntimeError("deepdenoise.weights.list_pretrained() is empty")
    inputs = {"noisy": noisy_input(), "noisy_rgb": noisy_input("astronaut", RGB_CROP)}
    outputs = dict(inputs)
    for name in names:
        model = load_pretrained(name)
        noisy = inputs["noisy_rgb" if model_info(model)["channels"] == 3 else "noisy"]
        outputs[name] = np.asarray(denoise(model, noisy, sigma=SIGMA), dtype=np.float32)
    return outputs


def main(argv: list[str]) -> int:
    """Write :func:`denoise_all` to the .npz file ``argv[0]``; print the stack used."""
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    import keras

    import deepdenoise

    outputs = denoise_all()
    np.savez(argv[0], **outputs)
    print(
        f"python {sys.version.split()[0]}, keras {keras.__version__} "
        f"({keras.backend.backend()}), numpy {np.__version__}, deepdenoise from "
        f"{deepdenoise.__file__}: {', '.join(sorted(outputs))}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
