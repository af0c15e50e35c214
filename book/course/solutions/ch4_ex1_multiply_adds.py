"""Exercise 4.1: the multiply-adds of DnCNN-S and of the FFDNet-style model.

A k x k convolution from C_in to C_out channels costs k^2 C_in C_out multiply-adds per
output pixel. DnCNN-S (17 layers, 64 channels) works at full resolution; the
FFDNet-style model (12 layers, 64 channels) works at half resolution on the 4 folded
image channels plus the 4 folded noise-map channels. Count both by hand for a
256 x 256 image and check with ``deepdenoise.models.multiply_adds``.
"""

from __future__ import annotations

from deepdenoise.models import dncnn, ffdnet, multiply_adds

side = 256
pixels = side * side

# DnCNN-S: 1 -> 64, fifteen 64 -> 64, 64 -> 1, all 3x3, on every pixel.
dncnn_per_pixel = 9 * (1 * 64 + 15 * 64 * 64 + 64 * 1)
dncnn_by_hand = dncnn_per_pixel * pixels
# FFDNet-style: (4 + 4) -> 64, ten 64 -> 64, 64 -> 4, all 3x3, on (side/2)^2 positions.
ffdnet_per_position = 9 * (8 * 64 + 10 * 64 * 64 + 64 * 4)
ffdnet_by_hand = ffdnet_per_position * (side // 2) ** 2

dncnn_counted = multiply_adds(dncnn(depth=17, width=64), side, side)
ffdnet_counted = multiply_adds(ffdnet(depth=12, width=64), side, side)
print(f"DnCNN-S:      {dncnn_by_hand / 1e9:.2f} GMAC by hand, {dncnn_counted / 1e9:.2f} counted")
print(f"FFDNet-style: {ffdnet_by_hand / 1e9:.2f} GMAC by hand, {ffdnet_counted / 1e9:.2f} counted")
print(f"ratio {dncnn_counted / ffdnet_counted:.2f}")
assert dncnn_counted == dncnn_by_hand
assert ffdnet_counted == ffdnet_by_hand
assert round(dncnn_by_hand / 1e9, 1) == 36.3
assert 5.8 < dncnn_by_hand / ffdnet_by_hand < 6.1  # "a sixth"

# A 64 -> 64 layer at half resolution costs a quarter of the same layer at full resolution.
assert 9 * 64 * 64 * (side // 2) ** 2 * 4 == 9 * 64 * 64 * pixels

# The cost grows with the number of pixels: twice the side, four times the work.
assert multiply_adds(dncnn(depth=17, width=64), 2 * side, 2 * side) == 4 * dncnn_counted
print("All checks passed.")
