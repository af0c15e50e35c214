"""Write measured PSNR/SSIM into the weights manifest, or check that a new run reproduces them.

The manifest (``src/deepdenoise/weights/manifest.json``) records, per shipped
model, its PSNR and SSIM on Set12 and BSD68 (gray models) or CBSD68 and
McMaster (colour models) at sigma 15, 25 and 50 (0-255 scale) under the
DnCNN protocol of :mod:`deepdenoise.bench`, as ``results["bsd68_sigma25_psnr"]``
and so on.

* ``--from-csv FILE`` copies the rows of a ``deepdenoise bench`` CSV whose
  method is a shipped model into that model's ``results``.
* ``--check`` runs the benchmark again for every shipped model (or those of
  ``--models``) and exits with status 1 if any PSNR differs from the
  manifest by more than ``--tolerance`` dB (0.01 by default).

Run it with::

    deepdenoise bench --dataset set12,bsd68 --sigma 15,25,50 --methods ffdnet,dncnn25 --out R
    python benchmarks/manifest_results.py --from-csv R/benchmark.csv
    python benchmarks/manifest_results.py --check
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from deepdenoise.bench import read_csv, run_benchmark
from deepdenoise.weights import list_pretrained, read_manifest, write_manifest

MANIFEST = Path(__file__).resolve().parents[1] / "src/deepdenoise/weights/manifest.json"
DATASETS = {1: ("set12", "bsd68"), 3: ("cbsd68", "mcmaster")}  # by the model's channels
SIGMAS = (15.0, 25.0, 50.0)


def result_key(dataset: str, sigma: float, metric: str) -> str:
    """The manifest key of one measurement, e.g. ``bsd68_sigma25_psnr``."""
    return f"{dataset}_sigma{sigma:g}_{metric}"


def write_from_csv(csv_path: Path) -> list[str]:
    """Copy the shipped models' rows of a bench CSV into the manifest; return the keys set."""
    manifest = read_manifest(MANIFEST)
    written = []
    for row in read_csv(csv_path):
        entry = manifest["models"].get(row["method"])
        if entry is None or row["protocol"] != "float":  # results are float-protocol numbers
            continue
        for metric in ("psnr", "ssim"):
            key = result_key(row["dataset"], row["sigma"], metric)
            entry["results"][key] = round(float(row[metric]), 4)
            written.append(f"{row['method']}.{key}")
        entry["results"][result_key(row["dataset"], row["sigma"], "n_images")] = row["n_images"]
    write_manifest(manifest, MANIFEST)  # atomic: temporary file, then rename
    return written


def model_channels(manifest: dict, name: str) -> int:
    """Channels of a shipped model (1 or 3), as its manifest entry records them."""
    entry = manifest["models"][name]
    return int(entry.get("info", {}).get("channels", 1))


def check(models: list[str], tolerance: float) -> int:
    """Rerun the benchmark and compare with the manifest; return the number of mismatches."""
    manifest = read_manifest(MANIFEST)
    rows = []
    for channels, datasets in DATASETS.items():
        ours = [name for name in models if model_channels(manifest, name) == channels]
        if ours:
            rows += run_benchmark(ours, datasets, SIGMAS, progress=True)
    mismatches = 0
    for row in rows:
        key = result_key(row["dataset"], row["sigma"], "psnr")
        recorded = manifest["models"][row["method"]]["results"].get(key)
        diff = float("nan") if recorded is None else row["psnr"] - recorded
        ok = recorded is not None and abs(diff) <= tolerance
        mismatches += not ok
        print(
            f"{row['method']:>10} {key:<22} manifest {recorded} measured {row['psnr']:.4f} "
            f"diff {diff:+.4f} dB {'ok' if ok else 'MISMATCH'}"
        )
    return mismatches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--from-csv", type=Path)
    group.add_argument("--check", action="store_true")
    parser.add_argument("--models", default=None, help="comma-separated; all shipped by default")
    parser.add_argument("--tolerance", type=float, default=0.01, help="dB")
    args = parser.parse_args()
    if args.from_csv is not None:
        for key in write_from_csv(args.from_csv):
            print("set", key)
        return
    models = args.models.split(",") if args.models else list_pretrained()
    sys.exit(1 if check(models, args.tolerance) else 0)


if __name__ == "__main__":
    main()
