"""Exercise 4.3: run the benchmark on two images and reproduce its numbers by hand.

Run ``deepdenoise bench`` on the first two Set12 images at sigma = 25 for the noisy
input, the Gaussian filter and the shipped FFDNet-style model. Then follow the
protocol by hand (noise from seed 0 + image index, added in float and not clipped;
outputs clipped to [0, 1]; PSNR with data_range=1 per image, then the mean) and
check that you get the table's numbers.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from deepdenoise.classical import CLASSICAL_METHODS
from deepdenoise.data import benchmark
from deepdenoise.metrics import psnr
from deepdenoise.noise import add_gaussian_noise

sigma, seed, count = 25, 0, 2
with tempfile.TemporaryDirectory() as folder:
    command = [
        sys.executable, "-m", "deepdenoise", "bench",
        "--dataset", "set12", "--sigma", str(sigma), "--seed", str(seed),
        "--methods", "noisy,gaussian,ffdnet", "--max-images", str(count), "--out", folder,
    ]  # fmt: skip
    print("$", " ".join(command[1:]))
    subprocess.run(command, check=True)
    with open(Path(folder) / "benchmark.csv", newline="") as handle:
        rows = {row["method"]: row for row in csv.DictReader(handle)}

table = {method: float(row["psnr"]) for method, row in rows.items()}
assert all(int(row["n_images"]) == count for row in rows.values())

# The protocol by hand.
by_hand: dict[str, list[float]] = {"noisy": [], "gaussian": []}
for index, (name, clean) in enumerate(benchmark("set12")[:count]):
    noisy = add_gaussian_noise(clean, sigma, seed=seed + index)  # float, not clipped
    assert noisy.min() < 0 or noisy.max() > 1  # really unclipped
    by_hand["noisy"].append(psnr(clean, noisy, data_range=1))
    filtered = np.clip(CLASSICAL_METHODS["gaussian"](noisy, sigma), 0, 1)
    by_hand["gaussian"].append(psnr(clean, filtered, data_range=1))
    noisy_db, filtered_db = by_hand["noisy"][-1], by_hand["gaussian"][-1]
    print(f"{name}: noisy {noisy_db:.2f} dB, Gaussian filter {filtered_db:.2f} dB")

for method, values in by_hand.items():
    mean = float(np.mean(values))  # the mean of per-image PSNRs
    print(f"{method:>9}: table {table[method]:.4f} dB, by hand {mean:.4f} dB")
    assert abs(table[method] - mean) < 1e-4

# The noisy row is close to 20 log10(255 / sigma), and the ranking is the expected one.
assert abs(table["noisy"] - 20 * np.log10(255 / sigma)) < 0.1
assert table["ffdnet"] > table["gaussian"] + 2 > table["noisy"] + 2
print("All checks passed.")
