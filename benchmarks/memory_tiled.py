"""Peak memory of denoising a 6000x4000 photograph through tiling, against a baseline.

Each measurement runs in a fresh Python process, and the kernel's own count
of that process's peak resident memory (``ru_maxrss`` from
``resource.getrusage``, the number ``/usr/bin/time -v`` prints) is read at
its end. Three processes, in one run:

1. **baseline**: import the package, load the model, make the 6000x4000
   noisy image (float32, 96 MB), denoise one 256x256 tile; no full denoising;
2. **tiled**: the same, then ``inference.denoise`` of the whole image with
   256x256 tiles (the default);
3. **untiled** (only with ``--untiled``): the whole image in one call, for
   contrast; it may need many GB.

The extra memory that tiling costs is ``tiled - baseline``. The goal is a
tiled peak under 2 GB. Sigma is on the 0-255 scale.

Run it with::

    python benchmarks/memory_tiled.py [--model ffdnet] [--height 6000 --width 4000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

CHILD = r"""
import json, resource, sys, time
import numpy as np
from deepdenoise import inference, weights
mode, name, height, width = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
model = weights.load_pretrained(name)
rng = np.random.default_rng(0)
clean = np.linspace(0, 1, height * width, dtype=np.float32).reshape(height, width)
noisy = clean + rng.standard_normal((height, width), dtype=np.float32) * (25 / 255)
inference.denoise(model, noisy[:256, :256], sigma=25)
start = time.perf_counter()
if mode == "tiled":
    out = inference.denoise(model, noisy, sigma=25, tile=256, overlap=32)
elif mode == "untiled":
    out = inference.denoise(model, noisy, sigma=25, tile=None)
else:
    out = noisy
seconds = time.perf_counter() - start
assert out.shape == noisy.shape
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"mode": mode, "peak_mb": peak_mb, "seconds": seconds}))
"""


def measure(mode: str, model: str, height: int, width: int) -> dict:
    """Run one child process and return its JSON report (peak MB, seconds)."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode, model, str(height), str(width)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return {"mode": mode, "error": result.stderr.strip().splitlines()[-1:]}
    report = json.loads(result.stdout.strip().splitlines()[-1])
    report["process_seconds"] = time.perf_counter() - start
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="ffdnet")
    parser.add_argument("--height", type=int, default=6000)
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--untiled", action="store_true", help="also measure one untiled call")
    args = parser.parse_args()

    modes = ["baseline", "tiled"] + (["untiled"] if args.untiled else [])
    reports = {mode: measure(mode, args.model, args.height, args.width) for mode in modes}
    for report in reports.values():
        print(json.dumps(report))
    base, tiled = reports["baseline"], reports["tiled"]
    if "error" in tiled or "error" in base:
        raise SystemExit("a measurement failed; see the lines above")
    megapixels = args.height * args.width / 1e6
    print(
        f"{args.model} on {args.height}x{args.width} ({megapixels:.0f} MP), 256x256 tiles: "
        f"peak {tiled['peak_mb']:.0f} MB (baseline {base['peak_mb']:.0f} MB, "
        f"+{tiled['peak_mb'] - base['peak_mb']:.0f} MB for denoising), "
        f"{tiled['seconds']:.1f} s, {megapixels / tiled['seconds']:.2f} MP/s; "
        f"goal: peak under 2048 MB -> {'met' if tiled['peak_mb'] < 2048 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
