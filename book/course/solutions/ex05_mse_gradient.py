"""Exercise 5 (chapter 3): the gradient of the MSE, by hand and by GradientTape.

For a linear layer Y_hat = X W + b and L = mean((Y_hat - Y)^2), check
dL/dY_hat = 2/n (Y_hat - Y), dL/dW = X^T G, dL/db = G^T 1 and dL/dX = G W^T against
TensorFlow's automatic differentiation. Check that PSNR = 10 log10(1 / MSE) on [0, 1].
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from deepdenoise.metrics import mse, psnr

rng = np.random.default_rng(0)
batch, d_in, d_out = 8, 5, 3
X = rng.normal(size=(batch, d_in))
W = rng.normal(size=(d_in, d_out))
b = rng.normal(size=d_out)
Y = rng.normal(size=(batch, d_out))

# By hand.
Y_hat = X @ W + b
n = Y_hat.size
G = 2.0 / n * (Y_hat - Y)
grad_W, grad_b, grad_X = X.T @ G, G.sum(axis=0), G @ W.T

# By GradientTape (float64, so the comparison is tight).
X_t, W_t, b_t = (tf.Variable(a) for a in (X, W, b))
with tf.GradientTape() as tape:
    loss = tf.reduce_mean((X_t @ W_t + b_t - Y) ** 2)
tape_W, tape_b, tape_X = tape.gradient(loss, [W_t, b_t, X_t])

assert np.isclose(float(loss), np.mean((Y_hat - Y) ** 2))
for name, mine, auto in [("W", grad_W, tape_W), ("b", grad_b, tape_b), ("X", grad_X, tape_X)]:
    error = float(np.abs(mine - auto.numpy()).max())
    print(f"dL/d{name}: largest difference {error:.1e}")
    assert error < 1e-12

# The package's MSE and PSNR on images in [0, 1].
clean = rng.random((32, 32)).astype(np.float32)
estimate = np.clip(clean + rng.normal(0, 0.05, clean.shape), 0, 1).astype(np.float32)
value = mse(clean, estimate)
assert np.isclose(value, np.mean((clean.astype(np.float64) - estimate) ** 2), rtol=1e-6)
assert np.isclose(psnr(clean, estimate), 10 * np.log10(1 / value), atol=1e-4)
print(f"MSE {value:.5f} -> PSNR {psnr(clean, estimate):.2f} dB")
print("All checks passed.")
