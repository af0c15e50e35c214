#!/usr/bin/env bash
# Train a recipe on the GPU machine: Keras 3 on JAX, through the package's own trainer.
#
# Run by the `device` tool in the repository root, after training/device/prepare.sh
# has written .whl/ and .devdata/ here; the call carries them (and the run folder,
# when it goes on from an earlier call):
#
#   bash training/device/train.sh RECIPE WORKDIR SECONDS [deepdenoise train options]
#
# It installs the wheels into /tmp/site, trains with `deepdenoise train --time-budget
# SECONDS` (which stops at the last checkpoint that fits), and copies what resuming and
# registering need into $OUT: run.json, history.csv and the backup's weights and
# metadata. Back here, put them into WORKDIR (run.json and history.csv) and
# WORKDIR/backup (the other two); the same command then goes on from there, on this
# machine or the GPU one. Without $OUT (a check on this machine) nothing is copied.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: bash training/device/train.sh RECIPE WORKDIR SECONDS [options]" >&2
    exit 2
fi
recipe=$1 workdir=$2 budget=$3
shift 3
cd "$(dirname "$0")/../.."
python=${PYTHON:-python3}

if [ -d .whl ] && [ -z "${SKIP_WHEELS:-}" ]; then
    "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site:$PWD/src
fi
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1
export DEEPDENOISE_DATA=${DEEPDENOISE_DATA:-$PWD/.devdata}
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader

status=0
"$python" -m deepdenoise train --config "$recipe" --workdir "$workdir" \
    --time-budget "$budget" "$@" || status=$?

if [ -n "${OUT:-}" ]; then
    for file in "$workdir/run.json" "$workdir/history.csv" \
        "$workdir/backup/latest.weights.h5" "$workdir/backup/training_metadata.json"; do
        [ ! -f "$file" ] || cp "$file" "$OUT/"
    done
fi
exit $status
