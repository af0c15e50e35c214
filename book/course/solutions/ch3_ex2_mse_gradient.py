"""Exercise 3.2: the gradient of the MSE, by hand and by GradientTape.

For a linear layer X_hat = U W + 1 b^T (inputs U, one sample per row; targets X) and
L = mean((X_hat - X)^2) over its P = B * C_out values, check eq-ch3-grad-linear:
G = dL/dX_hat = (2/P) (X_hat - X), dL/dW = U^T G, dL/db = G^T 1 and dL/dU = G W^T,
against TensorFlow's automatic differentiation. Check that PSNR = 10 log10(1 / MSE)
on images in [0, 1].
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from deepdenoise.metrics import mse, psnr

rng = np.random.default_rng(0)
batch, c_in, c_out = 8, 5, 3
U = rng.normal(size=(batch, c_in))
W = rng.normal(size=(c_in, c_out))
b = rng.normal(size=c_out)
X = rng.normal(size=(batch, c_out))

# By hand.
X_hat = U @ W + b
P = X_hat.size
G = 2.0 / P * (X_hat - X)
grad_W, grad_b, grad_U = U.T @ G, G.sum(axis=0), G @ W.T

# By GradientTape (float64, so the comparison is tight).
U_t, W_t, b_t = (tf.Variable(a) for a in (U, W, b))
with tf.GradientTape() as tape:
    loss = tf.reduce_mean((U_t @ W_t + b_t - X) ** 2)
tape_W, tape_b, tape_U = tape.gradient(loss, [W_t, b_t, U_t])

assert np.isclose(float(loss), np.mean((X_hat - X) ** 2))
for name, mine, auto in [("W", grad_W, tape_W), ("b", grad_b, tape_b), ("U", grad_U, tape_U)]:
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
