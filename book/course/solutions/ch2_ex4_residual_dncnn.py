"""Exercise 2.4: what makes DnCNN a denoiser.

Build a small DnCNN and check that (1) the output has the input's size for any image
size, (2) the model is residual: with the last convolution set to zero it returns
its input unchanged, (3) its convolution weights number
9 * (C * w + (depth - 2) * w * w + w * C), and (4) a freshly initialised residual model
starts from the noisy image's PSNR, while the same network read as a direct predictor
of the clean image starts near the PSNR of an all-black guess.
"""

from __future__ import annotations

import keras
import numpy as np

from deepdenoise.data import sample_images
from deepdenoise.metrics import psnr
from deepdenoise.models import dncnn
from deepdenoise.noise import add_gaussian_noise

keras.utils.set_random_seed(0)
depth, width, channels = 5, 8, 1
model = dncnn(depth=depth, width=width, channels=channels)

# (4) Before any training: the model's output y - R(y), and R(y) read as an image.
clean = sample_images(names=["camera"])["camera"][:128, :128]
noisy = add_gaussian_noise(clean, 25, seed=0)
output = keras.ops.convert_to_numpy(model(noisy[None, ..., None]))[0, ..., 0]
residual_start = psnr(clean, output)  # x_hat = y - R(y)
direct_start = psnr(clean, noisy - output)  # x_hat = R(y), no residual connection
all_black = psnr(clean, np.zeros_like(clean))  # 10 log10(1 / mean(x^2))
print(
    f"untrained: residual {residual_start:.2f} dB, direct {direct_start:.2f} dB "
    f"(noisy {psnr(clean, noisy):.2f} dB, all black {all_black:.2f} dB)"
)
assert residual_start > psnr(clean, noisy) - 1  # starts at the noisy image
assert residual_start > direct_start + 15  # the direct predictor starts near black

# (1) Same size out as in, even for odd sizes: no pooling, "same" padding.
for height, width_px in [(37, 53), (64, 64), (15, 90)]:
    image = np.random.default_rng(height).random((1, height, width_px, channels), np.float32)
    out = keras.ops.convert_to_numpy(model(image))
    assert out.shape == image.shape, (out.shape, image.shape)

# (3) Count the convolution kernels' weights.
convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
assert len(convs) == depth
kernel_weights = sum(int(np.prod(layer.kernel.shape)) for layer in convs)
expected = 9 * (channels * width + (depth - 2) * width * width + width * channels)
print(
    f"{len(convs)} convolutions, {kernel_weights} kernel weights, {model.count_params()} "
    "parameters in all"
)
assert kernel_weights == expected

# (2) Residual learning: the network predicts the noise R(y), the model returns y - R(y).
last = convs[-1]
last.set_weights([np.zeros_like(w) for w in last.get_weights()])
noisy = np.random.default_rng(1).random((2, 24, 24, channels), np.float32)
assert np.allclose(keras.ops.convert_to_numpy(model(noisy)), noisy, atol=1e-6)
print("With R = 0 the model returns its input: it subtracts a predicted noise.")
print("All checks passed.")
