"""Register a model trained by ``train_accelerated.py`` (one or more stages) as shipped weights.

Each stage's ``run.json`` gives its steps, wall time, machine and settings;
the manifest entry sums steps and wall time over the stages and keeps every
stage's settings under ``recipe``. The results are filled in afterwards by
``benchmarks/manifest_results.py --from-csv``.

Run it with::

    python training/register_accelerated.py NAME FINAL.keras STAGE1/run.json [STAGE2/run.json ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from deepdenoise.weights import register_weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("model", type=Path)
    parser.add_argument("runs", type=Path, nargs="+")
    args = parser.parse_args()

    stages = [json.loads(path.read_text(encoding="utf-8")) for path in args.runs]
    recipe = {
        "recipe_file": stages[0]["recipe_file"],
        "trainer": "training/train_accelerated.py",
        "stages": [
            {
                key: stage.get(key)
                for key in ("batch_size", "init", "peak_learning_rate", "steps", "wall_time_s")
            }
            for stage in stages
        ],
        "recipe": stages[0]["recipe"],
    }
    entry = register_weights(
        args.model,
        args.name,
        recipe=recipe,
        steps=sum(stage["steps"] for stage in stages),
        wall_time_s=sum(stage["wall_time_s"] for stage in stages),
        config={k: v for k, v in stages[0]["recipe"]["model"].items() if k != "name"},
        machine=stages[-1]["machine"],
        results={"val_psnr_db": stages[-1]["history"][-1]["val_psnr"]},
    )
    print(json.dumps({k: entry[k] for k in ("file", "sha256", "steps", "wall_time_s")}))


if __name__ == "__main__":
    main()
