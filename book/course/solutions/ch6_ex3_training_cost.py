"""Exercise 6.3: how long would DnCNN-S take to train on a CPU?

One training step of DnCNN-S at the paper's batch of 128 patches of 40 x 40 pixels
runs the forward pass on 128 * 1600 pixels; the backward pass costs about twice the
forward pass, so a step costs about 3 forward passes, and each multiply-add is two
floating-point operations. At a sustained 1e11 operations per second, how long is a
step, and how long are the steps the shipped DnCNN-S took (read from the manifest)?
"""

from __future__ import annotations

from deepdenoise.models import dncnn, multiply_adds
from deepdenoise.weights import pretrained_entry

batch, patch, speed = 128, 40, 1e11  # patches, pixels per side, operations per second
forward = multiply_adds(dncnn(depth=17, width=64), patch, patch) * batch
step_macs = 3 * forward  # forward + backward (about twice the forward)
step_flops = 2 * step_macs
seconds_per_step = step_flops / speed
print(f"forward {forward / 1e9:.0f} GMAC, step {step_macs / 1e9:.0f} GMAC", end=" ")
print(f"= {step_flops / 1e12:.2f} TFLOP")
print(f"at {speed:.0e} FLOP/s: {seconds_per_step:.1f} s per step")
assert round(forward / 1e9) == 113
assert 335e9 < step_macs < 345e9  # "about 340 GMAC"
assert 6.5 < seconds_per_step < 7.0  # "about 7 s"

steps = int(pretrained_entry("dncnn25")["steps"])
days = steps * seconds_per_step / 86_400
print(f"the shipped DnCNN-S trained for {steps} steps: {days:.1f} days at that speed")
assert 3.5 < days < 4.5  # "about four days"
hours = 10_000 * seconds_per_step / 3600
print(f"10,000 steps: {hours:.0f} hours")
assert 16 < hours < 24  # "most of a day"
print("All checks passed.")
