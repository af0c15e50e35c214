"""Training: the recipe trainer, resumable ``fit``, and the from-scratch gradient-descent loop.

- :func:`run_recipe` (``deepdenoise train``) trains a TOML recipe's model on
  TensorFlow or JAX, on one device or data-parallel over many, resumably;
  :func:`load_recipe` reads and checks a recipe, :class:`TrainOptions` holds
  what differs between machines.
- :func:`fit` wraps ``keras.Model.fit`` with checkpoints that resume, a CSV
  history, a learning-rate schedule and optional early stopping/distribution.
- :func:`gradient_descent` is the book's GradientTape loop: full-batch,
  stochastic (one sample) and mini-batch gradient descent. It needs
  TensorFlow, and is imported on first use, so that the rest runs on JAX.
"""

from __future__ import annotations

import importlib

from deepdenoise.train.fit import SCHEDULES, backed_up_epoch, fit, make_schedule, read_history
from deepdenoise.train.metrics import PSNRMetric
from deepdenoise.train.recipe import (
    TEST_SETS,
    TRAINING_SETS,
    Recipe,
    list_recipes,
    load_recipe,
    recipe_path,
)
from deepdenoise.train.run import TrainingPlan, TrainOptions, plan_run, run_recipe

_LOOPS = ("METHODS", "TrainingTrace", "gradient_descent", "mse_loss")

__all__ = [
    "METHODS",
    "SCHEDULES",
    "TEST_SETS",
    "TRAINING_SETS",
    "PSNRMetric",
    "Recipe",
    "TrainOptions",
    "TrainingPlan",
    "TrainingTrace",
    "backed_up_epoch",
    "fit",
    "gradient_descent",
    "list_recipes",
    "load_recipe",
    "make_schedule",
    "mse_loss",
    "plan_run",
    "read_history",
    "recipe_path",
    "run_recipe",
]


def __getattr__(name: str):
    """Import the GradientTape loop (and TensorFlow) on first use."""
    if name in _LOOPS:
        return getattr(importlib.import_module("deepdenoise.train.loops"), name)
    raise AttributeError(f"module 'deepdenoise.train' has no attribute {name!r}")
