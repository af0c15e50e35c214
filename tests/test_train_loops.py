"""Tests of the from-scratch gradient-descent loop (deepdenoise.train.loops)."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from deepdenoise.train import METHODS, TrainingTrace, gradient_descent, mse_loss


def linear_denoiser(seed: int = 0, dim: int = 8) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((dim,)), keras.layers.Dense(dim)])


def denoising_problem(n: int = 24, dim: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Smooth clean signals and their noisy versions."""
    rng = np.random.default_rng(0)
    t = np.linspace(0, 1, dim, dtype=np.float32)
    clean = np.sin(2 * np.pi * (t[None, :] + rng.random((n, 1)))).astype(np.float32) * 0.5 + 0.5
    noisy = clean + rng.normal(0, 0.1, clean.shape).astype(np.float32)
    return noisy, clean


def copy_weights(source: keras.Model, target: keras.Model) -> None:
    target.set_weights(source.get_weights())


@pytest.mark.parametrize("method", METHODS)
def test_loss_decreases(method: str) -> None:
    noisy, clean = denoising_problem()
    trace = gradient_descent(
        linear_denoiser(),
        noisy,
        clean,
        method=method,
        batch_size=4,
        learning_rate=0.1,
        epochs=4,
        seed=0,
    )
    assert trace.epoch_loss[-1] < 0.8 * trace.epoch_loss[0]
    assert np.all(np.diff(trace.step_time) >= 0) and np.all(trace.step_time >= 0)
    assert trace.epoch_time[0] == 0 and trace.epoch_time[-1] == trace.step_time[-1]


@pytest.mark.parametrize(("n", "batch_size"), [(10, 4), (8, 4), (5, 32)])
@pytest.mark.parametrize("method", METHODS)
def test_updates_per_epoch(method: str, n: int, batch_size: int) -> None:
    noisy, clean = denoising_problem(n)
    epochs = 2
    trace = gradient_descent(
        linear_denoiser(),
        noisy,
        clean,
        method=method,
        batch_size=batch_size,
        learning_rate=0.01,
        epochs=epochs,
    )
    expected = {"full": 1, "sgd": n, "minibatch": math.ceil(n / batch_size)}[method]
    assert trace.updates_per_epoch == expected
    assert len(trace.step_loss) == len(trace.step_time) == epochs * expected
    np.testing.assert_array_equal(trace.step_epoch, np.repeat(np.arange(epochs), expected))
    assert len(trace.epoch_loss) == epochs + 1


def test_hand_written_update_equals_keras_sgd() -> None:
    noisy, clean = denoising_problem()
    hand = linear_denoiser()
    with_optimizer, compiled = linear_denoiser(1), linear_denoiser(2)
    copy_weights(hand, with_optimizer)
    copy_weights(hand, compiled)
    before = hand.get_weights()

    gradient_descent(hand, noisy, clean, method="full", learning_rate=0.3, epochs=1)
    gradient_descent(
        with_optimizer,
        noisy,
        clean,
        method="full",
        epochs=1,
        optimizer=keras.optimizers.SGD(learning_rate=0.3),
    )
    compiled.compile(optimizer=keras.optimizers.SGD(learning_rate=0.3), loss="mse")
    compiled.train_on_batch(noisy, clean)

    for a, b, c, w0 in zip(
        hand.get_weights(),
        with_optimizer.get_weights(),
        compiled.get_weights(),
        before,
        strict=True,
    ):
        assert not np.allclose(a, w0)  # the step did something
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)


def test_hand_written_step_matches_analytic_gradient() -> None:
    # y = w x with MSE: dL/dw = 2 mean(x (w x - y)).
    x = np.array([[1.0], [2.0], [-1.0]], dtype=np.float32)
    y = 3 * x
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    model.set_weights([np.array([[0.5]], dtype=np.float32)])
    gradient_descent(model, x, y, method="full", learning_rate=0.1, epochs=1)
    gradient = 2 * np.mean(x * (0.5 * x - y))
    assert model.get_weights()[0][0, 0] == pytest.approx(0.5 - 0.1 * gradient, rel=1e-6)


def test_full_batch_gradient_does_not_depend_on_chunks() -> None:
    noisy, clean = denoising_problem(10)
    whole, chunked = linear_denoiser(), linear_denoiser(1)
    copy_weights(whole, chunked)
    a = gradient_descent(whole, noisy, clean, method="full", learning_rate=0.2, epochs=3)
    b = gradient_descent(
        chunked, noisy, clean, method="full", learning_rate=0.2, epochs=3, chunk_size=3
    )
    np.testing.assert_allclose(a.step_loss, b.step_loss, rtol=1e-5)
    np.testing.assert_allclose(a.epoch_loss, b.epoch_loss, rtol=1e-5)
    for wa, wb in zip(whole.get_weights(), chunked.get_weights(), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("method", ["sgd", "minibatch"])
def test_same_seed_same_trace(method: str) -> None:
    noisy, clean = denoising_problem(12)

    def run(seed: int) -> TrainingTrace:
        return gradient_descent(
            linear_denoiser(),
            noisy,
            clean,
            method=method,
            batch_size=4,
            learning_rate=0.1,
            epochs=2,
            seed=seed,
        )

    first, second, other = run(3), run(3), run(4)
    np.testing.assert_array_equal(first.step_loss, second.step_loss)
    np.testing.assert_array_equal(first.epoch_loss, second.epoch_loss)
    assert not np.array_equal(first.step_loss, other.step_loss)


def test_epoch_loss_is_the_full_data_mse() -> None:
    noisy, clean = denoising_problem(6)
    model = linear_denoiser()
    trace = gradient_descent(
        model,
        noisy,
        clean,
        method="minibatch",
        batch_size=4,
        learning_rate=0.1,
        epochs=1,
        chunk_size=4,
    )
    final = np.mean((model.predict(noisy, verbose=0) - clean) ** 2)
    assert trace.epoch_loss[-1] == pytest.approx(final, rel=1e-5)


def test_adam_optimizer_and_multiple_inputs() -> None:
    noisy, clean = denoising_problem(16)
    level = np.full((16, 1), 0.1, dtype=np.float32)
    keras.utils.set_random_seed(0)
    x_in, s_in = keras.Input((8,)), keras.Input((1,))
    out = keras.layers.Dense(8)(keras.layers.Concatenate()([x_in, s_in]))
    model = keras.Model([x_in, s_in], out)
    trace = gradient_descent(
        model,
        [noisy, level],
        clean,
        method="minibatch",
        batch_size=4,
        epochs=3,
        seed=0,
        optimizer=keras.optimizers.Adam(0.05),
    )
    assert trace.epoch_loss[-1] < trace.epoch_loss[0]


def test_mse_loss_formula() -> None:
    a = np.array([0.0, 1.0, 2.0], dtype=np.float32)
    b = np.array([1.0, 1.0, 0.0], dtype=np.float32)
    assert float(mse_loss(a, b)) == pytest.approx((1 + 0 + 4) / 3)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "batch"}, ValueError, "method"),
        ({"method": "SGD"}, ValueError, "method"),
        ({"learning_rate": None}, ValueError, "learning_rate"),
        ({"learning_rate": 0.0}, ValueError, "learning_rate"),
        ({"learning_rate": True}, ValueError, "learning_rate"),
        ({"optimizer": keras.optimizers.SGD(0.1)}, ValueError, "learning_rate"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"epochs": 0}, ValueError, "epochs"),
        ({"chunk_size": -2}, ValueError, "chunk_size"),
        ({"seed": "zero"}, TypeError, "seed"),
        ({"x": np.zeros((5, 8), np.float32)}, ValueError, "x and y"),
        ({"x": []}, ValueError, "x"),
        ({"y": np.array(["a"] * 24)}, TypeError, "y"),
    ],
)
def test_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    noisy, clean = denoising_problem()
    arguments = {"x": noisy, "y": clean, "method": "full", "learning_rate": 0.1, **kwargs}
    with pytest.raises(error, match=match):
        gradient_descent(linear_denoiser(), **arguments)


def test_batch_norm_statistics_change_only_through_training_steps() -> None:
    # Compiling before the clock starts must not move batch-norm statistics:
    # one full-batch step moves them exactly as one Keras training call does.
    noisy, clean = denoising_problem(8)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(8), keras.layers.BatchNormalization(momentum=0.5)]
    )
    reference = keras.models.clone_model(model)
    reference.set_weights(model.get_weights())
    gradient_descent(model, noisy, clean, method="full", learning_rate=0.1, epochs=1)
    reference(noisy, training=True)
    moving = [v for v in model.non_trainable_variables if "moving" in v.path]
    expected = [v for v in reference.non_trainable_variables if "moving" in v.path]
    assert len(moving) == 2
    for a, b in zip(moving, expected, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
