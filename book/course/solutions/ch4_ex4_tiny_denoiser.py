"""Exercise 4.4: train a tiny residual CNN and beat the noisy image.

Cut patches from one photograph, add Gaussian noise, and train a three-layer DnCNN
(no batch norm) with mini-batch gradient descent and Adam for a few epochs. Score it
on a different photograph. Even this tiny model, trained for seconds, must gain
several dB over the noisy input.
"""

from __future__ import annotations

import keras
import numpy as np

from deepdenoise.data import sample_images
from deepdenoise.metrics import psnr
from deepdenoise.models import dncnn
from deepdenoise.noise import add_gaussian_noise
from deepdenoise.train import gradient_descent

sigma, patch = 25, 32
photos = sample_images(names=["camera", "coins"])
train_image = photos["camera"]
rng = np.random.default_rng(0)
corners = rng.integers(0, train_image.shape[0] - patch, size=(256, 2))
clean = np.stack([train_image[i : i + patch, j : j + patch] for i, j in corners])[..., None]
noisy = add_gaussian_noise(clean, sigma, seed=1)

keras.utils.set_random_seed(0)
model = dncnn(depth=3, width=16, batch_norm=False)
trace = gradient_descent(
    model,
    noisy,
    clean,
    method="minibatch",
    batch_size=16,
    epochs=5,
    seed=0,
    optimizer=keras.optimizers.Adam(1e-3),
)
print(
    f"training MSE {trace.epoch_loss[0]:.5f} -> {trace.epoch_loss[-1]:.5f} "
    f"in {trace.step_time[-1]:.1f} s"
)
assert trace.epoch_loss[-1] < 0.5 * trace.epoch_loss[0]

test_clean = photos["coins"][:128, :128]  # an image the model never saw
test_noisy = add_gaussian_noise(test_clean, sigma, seed=2)
denoised = keras.ops.convert_to_numpy(model(test_noisy[None, ..., None]))[0, ..., 0]
before, after = psnr(test_clean, test_noisy), psnr(test_clean, denoised)
print(f"test image: noisy {before:.2f} dB -> denoised {after:.2f} dB")
assert after > before + 3
print("All checks passed.")
