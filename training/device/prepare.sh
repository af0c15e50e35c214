#!/usr/bin/env bash
# Prepare, on this machine, what a training run on the GPU machine needs to carry.
#
# The GPU machine has JAX, NumPy, SciPy, scikit-image, h5py and Pillow but no Keras and
# no network, and the shared data folder does not travel with the working tree. This
# script writes two ignored folders in the repository root, which the `device` tool's
# `carry` then names:
#
#   .whl/      wheels of Keras and the few packages the training path needs beside it
#   .devdata/  the training set a recipe reads (default cbsd432) and the checksum file
#
#   bash training/device/prepare.sh [DATASET ...]
#
# It reads the datasets from $DEEPDENOISE_DATA (default ../shared/data) and takes the
# Keras version of the project's venv, so both machines run the same Keras. The wheels
# are built for the GPU machine's Python, DEVICE_PYTHON_VERSION (default 3.12).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${DEEPDENOISE_DATA:-../shared/data}
sets=("$@")
[ ${#sets[@]} -gt 0 ] || sets=(cbsd432)
python=${PYTHON:-.venv/bin/python}
keras_version=$("$python" -c "from importlib.metadata import version; print(version('keras'))")

for ignored in /.whl/ /.devdata/; do
    grep -qxF "$ignored" .git/info/exclude 2>/dev/null || echo "$ignored" >> .git/info/exclude
done

rm -rf .whl && mkdir .whl
"$python" -m pip download -q --no-deps --only-binary=:all: --python-version "${DEVICE_PYTHON_VERSION:-3.12}" \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
    "keras==$keras_version" namex optree PyWavelets pooch platformdirs

rm -rf .devdata && mkdir .devdata
for name in "${sets[@]}"; do
    if [ ! -d "$data/$name" ]; then
        echo "prepare.sh: no dataset folder $data/$name (DEEPDENOISE_DATA=$data)" >&2
        exit 2
    fi
    cp -r "$data/$name" .devdata/
done
[ ! -f "$data/SHA256SUMS" ] || cp "$data/SHA256SUMS" .devdata/
du -sh .whl .devdata
