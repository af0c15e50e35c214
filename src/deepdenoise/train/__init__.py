"""Training: resumable ``fit``, the from-scratch gradient-descent loop, TOML recipes.

- :func:`fit` wraps ``keras.Model.fit`` with checkpoints that resume, a CSV
  history, a learning-rate schedule and optional early stopping/distribution.
- :func:`gradient_descent` is the book's GradientTape loop: full-batch,
  stochastic (one sample) and mini-batch gradient descent.
- :func:`load_recipe` and :func:`run_recipe` turn a TOML recipe into a run.
"""

from __future__ import annotations

from deepdenoise.train.fit import SCHEDULES, fit, make_schedule, read_history
from deepdenoise.train.loops import METHODS, TrainingTrace, gradient_descent, mse_loss
from deepdenoise.train.recipe import TEST_SETS, Recipe, load_recipe, run_recipe

__all__ = [
    "METHODS",
    "SCHEDULES",
    "TEST_SETS",
    "Recipe",
    "TrainingTrace",
    "fit",
    "gradient_descent",
    "load_recipe",
    "make_schedule",
    "mse_loss",
    "read_history",
    "run_recipe",
]
