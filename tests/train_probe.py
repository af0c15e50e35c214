"""Run the package's trainer in a fresh process on one Keras backend (test_train_backends.py).

Usage::

    KERAS_BACKEND=jax python tests/train_probe.py MODE RECIPE WORKDIR OUT.npz [options]

Under ``KERAS_BACKEND=jax`` importing TensorFlow is made to fail first, as on
a GPU machine that has JAX only, so any TensorFlow import on the training
path ends the probe with an ImportError.

Modes:

- ``batches``: train with ``run_eagerly`` and save every batch that
  ``train_step`` received (``noisy_k``, ``clean_k``, ``map_k``);
- ``train``: train and save the per-epoch losses and the final weights;
- ``interrupted``: train with a tiny time budget (one epoch), then run the
  same command again to the end, and save as ``train`` does.

``--devices N`` asks for N logical CPU devices (data-parallel training);
``--init FILE`` starts from saved weights.
"""

from __future__ import annotations

import argparse
import os
import sys

if os.environ.get("KERAS_BACKEND") == "jax":
    sys.modules["tensorflow"] = None  # type: ignore[assignment]  # "import tensorflow" fails


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("batches", "train", "interrupted"))
    parser.add_argument("recipe")
    parser.add_argument("workdir")
    parser.add_argument("out")
    parser.add_argument("--init", default=None)
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--one-device", action="store_true")
    args = parser.parse_args()

    if args.devices > 1 and os.environ.get("KERAS_BACKEND") == "jax":
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = f"{flags} --xla_force_host_platform_device_count={args.devices}"
    import keras
    import numpy as np

    if args.devices > 1 and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * args.devices
        )

    import importlib

    from deepdenoise.train import TrainOptions, read_history, run_recipe

    fit_module = importlib.import_module("deepdenoise.train.fit")

    seen: list[dict[str, np.ndarray]] = []
    if args.mode == "batches":
        original_compile = fit_module._compile

        def eager_compile(model: keras.Model, learning_rate: object) -> None:
            original_compile(model, learning_rate)
            model.run_eagerly = True

        fit_module._compile = eager_compile
        trainer = next(c for c in keras.Model.__mro__ if "train_step" in vars(c))
        original_step = trainer.train_step

        def recording_step(self: keras.Model, *step_args: object) -> object:
            inputs, clean = step_args[-1][:2]
            record = {"clean": np.array(clean)}
            if isinstance(inputs, (tuple, list)):
                record["noisy"], record["map"] = np.array(inputs[0]), np.array(inputs[1])
            else:
                record["noisy"] = np.array(inputs)
            seen.append(record)
            return original_step(self, *step_args)

        trainer.train_step = recording_step

    options = TrainOptions(init=args.init, data_parallel=not args.one_device)
    if args.mode == "interrupted":
        budget = TrainOptions(init=args.init, time_budget_s=1e-3, data_parallel=False)
        run_recipe(args.recipe, workdir=args.workdir, options=budget)
        assert read_history(args.workdir)["epoch"].tolist() == [0], "the budget stops at epoch 0"
    model, workdir = run_recipe(args.recipe, workdir=args.workdir, options=options)

    arrays: dict[str, np.ndarray] = {}
    for k, record in enumerate(seen):
        arrays.update({f"{key}_{k}": value for key, value in record.items()})
    history = read_history(workdir)
    arrays["loss"] = history["loss"]
    for i, weight in enumerate(model.get_weights()):
        arrays[f"weight_{i}"] = np.asarray(weight)
    arrays["steps"] = np.array(int(keras.ops.convert_to_numpy(model.optimizer.iterations)))
    imported = "tensorflow" in sys.modules and sys.modules["tensorflow"] is not None
    arrays["tensorflow_imported"] = np.array(imported)
    np.savez(args.out, **arrays)


if __name__ == "__main__":
    main()
