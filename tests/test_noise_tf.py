"""Property tests for deepdenoise.noise_tf: statistics, per-item sigma, tf.data, seeds."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from deepdenoise.noise_tf import tf_add_gaussian_noise, tf_add_poisson_gaussian_noise

SIGMAS = [5, 15, 25, 50]


def flat(value: float = 0.5, shape: tuple[int, ...] = (256, 256)) -> tf.Tensor:
    return tf.fill(shape, tf.constant(value, tf.float32))


NOISES = {
    "gaussian": lambda im, seed: tf_add_gaussian_noise(im, 25.0, seed=seed),
    "poisson_gaussian": lambda im, seed: tf_add_poisson_gaussian_noise(
        im, peak=30.0, sigma=10.0, seed=seed
    ),
}


@pytest.mark.parametrize("sigma", SIGMAS)
def test_gaussian_std_is_sigma_over_255(sigma: float) -> None:
    clean = flat(0.5, (512, 512))
    noise = (tf_add_gaussian_noise(clean, sigma, seed=0) - clean).numpy().astype(np.float64)
    # 5 relative standard errors of a sample std: 0.7% for 512x512 values.
    assert noise.std() == pytest.approx(sigma / 255, rel=5 / np.sqrt(2 * noise.size))
    assert abs(noise.mean()) < 5 * (sigma / 255) / np.sqrt(noise.size)


def test_gaussian_not_clipped_by_default_clip_option_clips() -> None:
    clean = tf.zeros([64, 64, 1])
    noisy = tf_add_gaussian_noise(clean, 25.0, seed=0)
    assert float(tf.reduce_min(noisy)) < 0
    clipped = tf_add_gaussian_noise(clean, 25.0, seed=0, clip=True)
    np.testing.assert_array_equal(clipped.numpy(), np.clip(noisy.numpy(), 0, 1))


@pytest.mark.parametrize("make_sigma", [tf.constant, np.asarray, list], ids=["tf", "np", "list"])
def test_per_item_sigma_in_a_batch(make_sigma) -> None:
    sigmas = [5.0, 15.0, 25.0, 50.0]
    clean = flat(0.5, (4, 128, 128, 1))
    noisy = tf_add_gaussian_noise(clean, make_sigma(sigmas), seed=3)
    assert noisy.shape == clean.shape and noisy.dtype == tf.float32
    std = tf.math.reduce_std(noisy - clean, axis=[1, 2, 3]).numpy() * 255
    np.testing.assert_allclose(std, sigmas, rtol=0.03)


def test_per_pixel_sigma_map() -> None:
    sigma_map = tf.concat([tf.fill([1, 128, 64, 1], 10.0), tf.fill([1, 128, 64, 1], 40.0)], 2)
    clean = flat(0.5, (1, 128, 128, 1))
    noise = (tf_add_gaussian_noise(clean, sigma_map, seed=0) - clean).numpy()
    assert noise[..., :64, :].std() * 255 == pytest.approx(10, rel=0.03)
    assert noise[..., 64:, :].std() * 255 == pytest.approx(40, rel=0.03)


@pytest.mark.parametrize(("peak", "sigma"), [(10.0, 5.0), (50.0, 25.0), (200.0, 15.0)])
def test_poisson_gaussian_mean_and_variance(peak: float, sigma: float) -> None:
    level = 0.4
    noisy = tf_add_poisson_gaussian_noise(flat(level), peak=peak, sigma=sigma, seed=0)
    values = noisy.numpy().astype(np.float64)
    assert values.var() == pytest.approx(level / peak + (sigma / 255) ** 2, rel=0.05)
    assert values.mean() == pytest.approx(level, abs=0.005)


def test_poisson_gaussian_per_item_peak() -> None:
    peaks = tf.constant([5.0, 500.0])
    clean = flat(0.5, (2, 128, 128, 1))
    noisy = tf_add_poisson_gaussian_noise(clean, peak=peaks, sigma=1.0, seed=0)
    var = tf.math.reduce_variance(noisy, axis=[1, 2, 3]).numpy()
    expected = 0.5 / peaks.numpy() + (1 / 255) ** 2
    np.testing.assert_allclose(var, expected, rtol=0.06)


@pytest.mark.parametrize("name", sorted(NOISES))
@pytest.mark.parametrize("seed", [0, 12345, (4, 5), np.array([6, 7])])
def test_same_seed_same_noise_different_seed_different(name: str, seed: object) -> None:
    clean = flat(0.5, (32, 32, 1))
    first, again = NOISES[name](clean, seed), NOISES[name](clean, seed)
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    other_seed = 99 if isinstance(seed, int) else np.asarray(seed) + 1
    assert not np.array_equal(first.numpy(), NOISES[name](clean, other_seed).numpy())


@pytest.mark.parametrize("name", sorted(NOISES))
def test_no_seed_gives_fresh_noise(name: str) -> None:
    clean = flat(0.5, (32, 32))
    assert not np.array_equal(NOISES[name](clean, None).numpy(), NOISES[name](clean, None).numpy())


@pytest.mark.parametrize("name", sorted(NOISES))
@pytest.mark.parametrize("kind", ["tf", "numpy"])
def test_generator_seed_reproduces_from_its_own_seed(name: str, kind: str) -> None:
    def make():
        if kind == "tf":
            return tf.random.Generator.from_seed(11)
        return np.random.default_rng(11)

    clean = flat(0.5, (32, 32))
    gen = make()
    first, second = NOISES[name](clean, gen), NOISES[name](clean, gen)
    assert not np.array_equal(first.numpy(), second.numpy())
    gen_again = make()
    np.testing.assert_array_equal(first.numpy(), NOISES[name](clean, gen_again).numpy())
    np.testing.assert_array_equal(second.numpy(), NOISES[name](clean, gen_again).numpy())


@pytest.mark.parametrize("name", sorted(NOISES))
def test_in_tf_data_with_per_element_seeds(name: str) -> None:
    """Inside Dataset.map: reproducible per run, and each element gets its own noise."""
    clean = np.full((4, 16, 16, 1), 0.5, np.float32)

    def add_noise(index, image):
        seed = tf.stack([tf.constant(2024, tf.int64), index])
        return NOISES[name](image, seed), image

    dataset = tf.data.Dataset.from_tensor_slices(clean).enumerate().map(add_noise).batch(4)
    first = next(iter(dataset))[0].numpy()
    again = next(iter(dataset))[0].numpy()
    np.testing.assert_array_equal(first, again)
    for i in range(1, 4):
        assert not np.array_equal(first[0], first[i])


def test_in_tf_data_with_sigma_drawn_per_element() -> None:
    """A blind-denoiser pipeline: sigma is a tensor drawn per element inside the graph."""
    clean = np.full((64, 32, 32, 1), 0.5, np.float32)
    gen = tf.random.Generator.from_seed(5)

    def add_noise(image):
        sigma = gen.uniform([], 0.0, 55.0) + 1e-3
        return tf_add_gaussian_noise(image, sigma, seed=gen), image, sigma

    noisy, image, sigma = next(
        iter(tf.data.Dataset.from_tensor_slices(clean).map(add_noise).batch(64))
    )
    std = tf.math.reduce_std(noisy - image, axis=[1, 2, 3]).numpy() * 255
    assert len(np.unique(sigma.numpy())) == 64
    # 1024 pixels per image: the sample std is within 5 relative standard errors.
    np.testing.assert_allclose(std, sigma.numpy(), rtol=5 / np.sqrt(2 * 1024))


def test_in_tf_function_batched_sigma() -> None:
    @tf.function
    def noisy_batch(clean, sigma):
        return tf_add_gaussian_noise(clean, sigma, seed=(1, 2))

    clean = flat(0.5, (2, 64, 64, 1))
    out = noisy_batch(clean, tf.constant([10.0, 30.0]))
    std = tf.math.reduce_std(out - clean, axis=[1, 2, 3]).numpy() * 255
    np.testing.assert_allclose(std, [10, 30], rtol=0.05)
    eager = tf_add_gaussian_noise(clean, tf.constant([10.0, 30.0]), seed=(1, 2))
    # Same seed, same noise; graph and eager may round the multiply-add differently.
    np.testing.assert_allclose(out.numpy(), eager.numpy(), rtol=0, atol=1e-6)


# --- bad input ---------------------------------------------------------------------

BAD_SIGMAS = [
    (0, ValueError),
    (300, ValueError),
    (-1, ValueError),
    (float("nan"), ValueError),
    ("a", TypeError),
    (True, TypeError),
    (tf.constant(0.0), ValueError),
    (tf.constant([10.0, 300.0]), ValueError),
    (tf.constant([10.0, float("nan")]), ValueError),
    (tf.constant(["a"]), TypeError),
]


@pytest.mark.parametrize(("sigma", "error"), BAD_SIGMAS)
@pytest.mark.parametrize(
    "func",
    [
        lambda im, s: tf_add_gaussian_noise(im, s, seed=0),
        lambda im, s: tf_add_poisson_gaussian_noise(im, peak=10.0, sigma=s, seed=0),
    ],
    ids=["gaussian", "poisson_gaussian"],
)
def test_bad_sigma_names_sigma(func, sigma: object, error: type) -> None:
    with pytest.raises(error, match="sigma"):
        func(flat(0.5, (2, 8, 8, 1)), sigma)


@pytest.mark.parametrize(
    ("peak", "error"),
    [
        (0, ValueError),
        (-1.0, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        ("a", TypeError),
        (tf.constant([1.0, 0.0]), ValueError),
    ],
)
def test_bad_peak_names_peak(peak: object, error: type) -> None:
    with pytest.raises(error, match="peak"):
        tf_add_poisson_gaussian_noise(flat(0.5, (2, 8, 8, 1)), peak=peak, sigma=5.0, seed=0)


def test_sigma_with_wrong_shape_names_sigma() -> None:
    with pytest.raises(ValueError, match="sigma"):
        tf_add_gaussian_noise(flat(0.5, (2, 8, 8, 1)), tf.fill([2, 8], 25.0), seed=0)


def test_graph_mode_checks_raise_with_the_argument_name() -> None:
    @tf.function
    def noisy(clean, sigma):
        return tf_add_gaussian_noise(clean, sigma, seed=0)

    clean = flat(0.5, (2, 8, 8, 1))
    noisy(clean, tf.constant([5.0, 25.0]))  # traced with a tensor sigma: fine
    with pytest.raises(tf.errors.InvalidArgumentError, match="sigma"):
        noisy(clean, tf.constant([5.0, 300.0]))


def test_tf_data_checks_raise_with_the_argument_name() -> None:
    clean = tf.data.Dataset.from_tensor_slices(np.full((2, 8, 8, 1), 0.5, np.float32))
    sigmas = tf.data.Dataset.from_tensor_slices(tf.constant([25.0, 300.0]))
    noisy = tf.data.Dataset.zip((clean, sigmas)).map(
        lambda image, sigma: tf_add_gaussian_noise(image, sigma, seed=0)
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match="sigma"):
        list(noisy)


@pytest.mark.parametrize(
    "func",
    [
        lambda im: tf_add_gaussian_noise(im, 25.0, seed=0),
        lambda im: tf_add_poisson_gaussian_noise(im, peak=10.0, sigma=5.0, seed=0),
    ],
    ids=["gaussian", "poisson_gaussian"],
)
class TestBadClean:
    @pytest.mark.parametrize("shape", [(8,), (1, 1, 8, 8, 1)])
    def test_wrong_rank(self, func, shape: tuple[int, ...]) -> None:
        with pytest.raises(ValueError, match="clean"):
            func(tf.fill(shape, 0.5))

    @pytest.mark.parametrize("bad", [np.nan, np.inf])
    def test_non_finite(self, func, bad: float) -> None:
        image = np.full((8, 8), 0.5, np.float32)
        image[2, 3] = bad
        with pytest.raises(ValueError, match="clean"):
            func(image)

    @pytest.mark.parametrize("dtype", [tf.string, tf.uint8, tf.int32, tf.bool])
    def test_non_float(self, func, dtype) -> None:
        value = {tf.string: "a", tf.bool: True}.get(dtype, 1)
        with pytest.raises(TypeError, match="clean"):
            func(tf.fill([8, 8], tf.constant(value, dtype)))


def test_poisson_rejects_negative_clean() -> None:
    image = np.full((8, 8), 0.5, np.float32)
    image[0, 0] = -0.5
    with pytest.raises(ValueError, match="clean"):
        tf_add_poisson_gaussian_noise(image, peak=10.0, sigma=5.0, seed=0)


@pytest.mark.parametrize(
    ("seed", "error"),
    [
        (1.5, TypeError),
        ("0", TypeError),
        (tf.constant([1, 2, 3]), TypeError),
        (tf.constant([1.0, 2.0]), TypeError),
        (2**70, ValueError),
    ],
)
def test_bad_seed_names_seed(seed: object, error: type) -> None:
    with pytest.raises(error, match="seed"):
        tf_add_gaussian_noise(flat(0.5, (8, 8)), 25.0, seed=seed)
