"""Exercise 5.2: why blind-spot training works and plain self-training does not.

With a single noisy image, learn a 5x5 linear filter that predicts the noisy image
itself. If the filter sees the centre pixel, it learns the identity and removes no
noise. If the centre is left out (a J-invariant "blind-spot" filter), the noisy target
gives the same filter as the clean target would, so it denoises. The reason,
eq-ch5-jinv: for a J-invariant filter the self-supervised loss is the supervised loss
plus the noise variance; for a filter that sees its centre it is not.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from deepdenoise.data import sample_images
from deepdenoise.metrics import psnr
from deepdenoise.noise import add_gaussian_noise

sigma, size = 25, 5
clean = sample_images(names=["camera"])["camera"].astype(np.float64)
noisy = add_gaussian_noise(clean, sigma, seed=0).astype(np.float64)
r = size // 2
patches = sliding_window_view(noisy, (size, size)).reshape(-1, size * size)
target_noisy = noisy[r:-r, r:-r].reshape(-1)
target_clean = clean[r:-r, r:-r].reshape(-1)
reference = clean[r:-r, r:-r]
middle = (size * size) // 2


def fit_and_score(features: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float]:
    weights = np.linalg.lstsq(features, target, rcond=None)[0]
    return weights, psnr(reference, (features @ weights).reshape(reference.shape))


noisy_psnr = psnr(reference, noisy[r:-r, r:-r])
with_centre, psnr_with_centre = fit_and_score(patches, target_noisy)
blind = np.delete(patches, middle, axis=1)  # the blind spot: drop the centre pixel
blind_weights, psnr_blind = fit_and_score(blind, target_noisy)
_, psnr_blind_clean = fit_and_score(blind, target_clean)

print(f"noisy image:                          {noisy_psnr:.2f} dB")
print(
    f"sees its centre, noisy target:        {psnr_with_centre:.2f} dB "
    f"(centre weight {with_centre[middle]:.3f})"
)
print(f"blind spot, noisy target:             {psnr_blind:.2f} dB")
print(f"blind spot, clean target (reference): {psnr_blind_clean:.2f} dB")

# eq-ch5-jinv: self-supervised loss - supervised loss = (sigma/255)^2 for the J-invariant
# filter, but not for the filter that sees the pixel it predicts.
variance = (sigma / 255) ** 2
for name, prediction in [
    ("blind spot", blind @ blind_weights),
    ("sees centre", patches @ with_centre),
]:
    gap = float(
        np.mean((prediction - target_noisy) ** 2) - np.mean((prediction - target_clean) ** 2)
    )
    print(
        f"{name:>11}: self-supervised loss - supervised loss = {gap:.6f} (sigma^2 {variance:.6f})"
    )
    if name == "blind spot":
        assert abs(gap / variance - 1) < 0.02
    else:
        assert gap < -0.5 * variance  # the identity: self loss 0, supervised loss sigma^2

assert abs(with_centre[middle] - 1) < 1e-6  # the identity
assert abs(psnr_with_centre - noisy_psnr) < 1e-3  # so no denoising at all
assert psnr_blind > noisy_psnr + 3  # the blind spot denoises...
assert abs(psnr_blind - psnr_blind_clean) < 0.05  # ...as well as with clean targets
print("All checks passed.")
