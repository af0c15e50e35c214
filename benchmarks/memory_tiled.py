"""Peak memory of denoising a 6000x4000 photograph, by each path, against a baseline.

Each measurement runs in a fresh Python process, and the kernel's own count
of that process's peak resident memory (``ru_maxrss`` from
``resource.getrusage``, the number ``/usr/bin/time -v`` prints) is read at
its end. In one run:

1. **baseline**: import the package, load the model, make the 6000x4000
   noisy image (float32; gray, 96 MB, or RGB for a colour model, 288 MB),
   denoise one 256x256 tile; no full denoising;
2. **tiled**: the same, then ``inference.denoise`` of the whole image with
   forced 256x256 tiles (``tile=256``, the default before ``"auto"``);
3. **auto**: the same, then ``inference.denoise`` with its default
   ``tile="auto"``: one pass if it fits ``inference.PASS_MEMORY_BYTES``,
   else the fewest tiles that do;
4. **cli**: ``deepdenoise denoise photo.jpg -o out.png --sigma 25`` run
   in-process (``deepdenoise.cli.main``) on a 6000x4000 RGB JPEG that this
   script writes first: the command's default path (load, auto tiles, keep
   EXIF/ICC, save), for the same model (a gray model per channel);
5. **untiled** (only with ``--untiled``): the whole image in one call, for
   contrast; it may need many GB.

The extra memory a path costs is ``peak - baseline``. The goal is every
peak under 2 GB. Sigma is on the 0-255 scale.

Run it with::

    python benchmarks/memory_tiled.py [--model ffdnet15] [--height 6000 --width 4000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deepdenoise.denoisers import DEFAULT_MODEL

CHILD = r"""
import json, resource, sys, time
import numpy as np
from deepdenoise import inference, weights
from deepdenoise.models import model_info
mode, name, height, width = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
model = weights.load_pretrained(name)
channels = model_info(model)["channels"]
rng = np.random.default_rng(0)
clean = np.linspace(0, 1, height * width, dtype=np.float32).reshape(height, width)
if channels == 3:  # a colour model: the same ramp in R, G and B
    clean = np.repeat(clean[..., None], 3, axis=-1)
noisy = clean + rng.standard_normal(clean.shape, dtype=np.float32) * (25 / 255)
inference.denoise(model, noisy[:256, :256], sigma=25)
start = time.perf_counter()
if mode == "tiled":
    out = inference.denoise(model, noisy, sigma=25, tile=256, overlap=32)
elif mode == "auto":
    out = inference.denoise(model, noisy, sigma=25)
elif mode == "untiled":
    out = inference.denoise(model, noisy, sigma=25, tile=None)
else:
    out = noisy
seconds = time.perf_counter() - start
assert out.shape == noisy.shape
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
tiles = inference.auto_tile(model, noisy.shape) if mode == "auto" else None
print(json.dumps({"mode": mode, "peak_mb": peak_mb, "seconds": seconds, "tiles": tiles,
                  "channels": channels}))
"""

CLI_CHILD = r"""
import json, resource, sys, time
from deepdenoise.cli import main
photo, out, name = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.perf_counter()
status = main(["denoise", photo, "-o", out, "--model", name, "--sigma", "25", "--force"])
seconds = time.perf_counter() - start
assert status == 0, status
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"mode": "cli", "peak_mb": peak_mb, "seconds": seconds}))
"""


def write_photo(folder: Path, height: int, width: int) -> Path:
    """A noisy 8-bit RGB JPEG of ``height`` x ``width`` (a smooth gradient, sigma 25)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(1)
    ramp = np.linspace(40, 215, width, dtype=np.float32)[None, :, None]
    rows = np.linspace(0.8, 1.2, height, dtype=np.float32)[:, None, None]
    photo = np.empty((height, width, 3), np.uint8)
    for channel in range(3):  # one channel at a time: this process stays small too
        plane = ramp[..., 0] * rows[..., 0] + rng.standard_normal((height, width), np.float32) * 25
        photo[..., channel] = np.clip(np.rint(plane), 0, 255)
    path = folder / "photo.jpg"
    Image.fromarray(photo).save(path, quality=95)
    return path


def measure(command: list[str], mode: str) -> dict:
    """Run one child process and return its JSON report (peak MB, seconds)."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", *command], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        return {"mode": mode, "error": result.stderr.strip().splitlines()[-1:]}
    report = json.loads(result.stdout.strip().splitlines()[-1])
    report["process_seconds"] = time.perf_counter() - start
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"shipped model name (default {DEFAULT_MODEL})"
    )
    parser.add_argument("--height", type=int, default=6000)
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--untiled", action="store_true", help="also measure one untiled call")
    args = parser.parse_args()

    size = [args.model, str(args.height), str(args.width)]
    modes = ["baseline", "tiled", "auto"] + (["untiled"] if args.untiled else [])
    reports = {mode: measure([CHILD, mode, *size], mode) for mode in modes}
    with tempfile.TemporaryDirectory() as folder:
        photo = write_photo(Path(folder), args.height, args.width)
        out = str(Path(folder) / "out.png")
        reports["cli"] = measure([CLI_CHILD, str(photo), out, args.model], "cli")
    for report in reports.values():
        print(json.dumps(report))
    if any("error" in report for report in reports.values()):
        raise SystemExit("a measurement failed; see the lines above")
    base = reports["baseline"]["peak_mb"]
    megapixels = args.height * args.width / 1e6
    kind = "RGB" if reports["auto"].get("channels") == 3 else "gray"
    labels = {
        "tiled": f"{kind}, 256x256 tiles (tile=256)",
        "auto": f"{kind}, tile='auto' (tiles {reports['auto'].get('tiles') or 'none: one pass'})",
        "untiled": f"{kind}, one pass (tile=None)",
        "cli": "RGB JPEG, deepdenoise denoise (default path)",
    }
    print(
        f"{args.model} on {args.height}x{args.width} ({megapixels:.0f} MP); "
        f"baseline peak {base:.0f} MB; goal: every peak under 2048 MB"
    )
    for mode, report in reports.items():
        if mode == "baseline":
            continue
        peak, seconds = report["peak_mb"], report["seconds"]
        verdict = "met" if peak < 2048 else "MISSED"
        print(
            f"  {mode:8s} {labels[mode]}: peak {peak:.0f} MB (+{peak - base:.0f} MB), "
            f"{seconds:.1f} s, {megapixels / seconds:.2f} MP/s -> {verdict}"
        )


if __name__ == "__main__":
    main()
