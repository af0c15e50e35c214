"""Exercise 3.7: mini-batch SGD with momentum, written by hand.

Learn a 3x3 linear denoiser (nine weights and a bias) on a noisy photograph with a
hand-written loop: shuffle, cut mini-batches, compute the gradient of the MSE by
eq-ch3-grad-linear, update with momentum (eq-ch3-momentum). Check (a) that the update
equals ``keras.optimizers.SGD(learning_rate, momentum)`` fed the same gradients, and
(b) that with a learning rate decaying to zero the loop reaches, within a few hundredths
of a dB, the PSNR of the least-squares filter, the exact minimiser of the same loss,
while a constant rate keeps bouncing around it.
"""

from __future__ import annotations

import keras
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from deepdenoise.data import sample_images
from deepdenoise.metrics import psnr
from deepdenoise.noise import add_gaussian_noise

sigma, size = 25, 3
clean = sample_images(names=["camera"])["camera"][64:192, 64:192].astype(np.float64)
noisy = add_gaussian_noise(clean, sigma, seed=0).astype(np.float64)
r = size // 2
windows = sliding_window_view(noisy, (size, size)).reshape(-1, size * size)
Phi = np.hstack([windows, np.ones((len(windows), 1))])  # one row per output pixel
targets = clean[r:-r, r:-r].reshape(-1)
reference = clean[r:-r, r:-r]


def batch_gradient(theta: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Gradient of mean((Phi theta - t)^2) over the given rows: (2/B) Phi^T (Phi theta - t)."""
    residual = Phi[rows] @ theta - targets[rows]
    return 2.0 / len(rows) * Phi[rows].T @ residual


def score(theta: np.ndarray) -> float:
    return psnr(reference, (Phi @ theta).reshape(reference.shape))


# Learning rate from the smoothness constant: ell = lambda_max(H), H = (2/N) Phi^T Phi.
ell = float(np.linalg.eigvalsh(2.0 / len(Phi) * Phi.T @ Phi).max())
# Keras stores the learning rate and the momentum in float32: use values that float32
# holds exactly, so that both updates below use the very same constants.
eta, beta = float(np.float32(0.5 / ell)), float(np.float32(0.9))
batch_size, epochs = 128, 30
rng = np.random.default_rng(0)

# (a) Twenty updates by hand and by Keras's SGD with momentum, on the same gradients.
theta_hand = np.zeros(Phi.shape[1])
velocity = np.zeros_like(theta_hand)
variable = keras.Variable(np.zeros(Phi.shape[1]), dtype="float64")
keras_sgd = keras.optimizers.SGD(learning_rate=eta, momentum=beta)
for _ in range(20):
    rows = rng.choice(len(Phi), batch_size, replace=False)
    velocity = beta * velocity + batch_gradient(theta_hand, rows)  # m <- beta m + g
    theta_hand = theta_hand - eta * velocity  # theta <- theta - eta m
    gradient = batch_gradient(keras.ops.convert_to_numpy(variable), rows)
    keras_sgd.apply_gradients([(keras.ops.convert_to_tensor(gradient), variable)])
difference = float(np.abs(theta_hand - keras.ops.convert_to_numpy(variable)).max())
print(f"hand-written momentum vs keras.optimizers.SGD: largest difference {difference:.1e}")
assert difference < 1e-9


# (b) The full loop: a new random order every epoch, then consecutive mini-batches.
def train(decay: bool) -> list[float]:
    """PSNR after each epoch, at a constant rate or one that falls to 0 along a cosine."""
    theta = np.zeros(Phi.shape[1])
    velocity = np.zeros_like(theta)
    history = []
    for epoch in range(epochs):
        rate = eta * 0.5 * (1 + np.cos(np.pi * epoch / epochs)) if decay else eta
        order = rng.permutation(len(Phi))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            velocity = beta * velocity + batch_gradient(theta, rows)
            theta = theta - rate * velocity
        history.append(score(theta))
    return history


constant, cosine = train(decay=False), train(decay=True)
best = score(np.linalg.lstsq(Phi, targets, rcond=None)[0])
noisy_psnr = psnr(reference, noisy[r:-r, r:-r])
print(f"noisy {noisy_psnr:.2f} dB, least-squares filter {best:.2f} dB")
for name, history in [("constant rate", constant), ("cosine decay", cosine)]:
    print(f"{name:>13}: last five epochs " + ", ".join(f"{v:.2f}" for v in history[-5:]) + " dB")
assert cosine[-1] > noisy_psnr + 2  # it denoises
assert best >= max(constant + cosine) - 1e-9  # the least-squares filter is the best possible
assert best - cosine[-1] < 0.05  # with a decaying rate SGD gets there
# At a constant rate the gradient noise keeps it bouncing around the minimum, further away.
assert best - np.mean(constant[-5:]) > 2 * (best - cosine[-1])
print("All checks passed.")
