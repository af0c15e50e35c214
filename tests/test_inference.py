"""Tests for tiled inference: exactness, dtypes, channels, self-ensemble, sigma, auto tiles."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from deepdenoise import inference, noise
from deepdenoise.denoisers import DEFAULT_MODEL
from deepdenoise.inference import auto_tile, denoise, estimate_receptive_field, tile_layout
from deepdenoise.models import get_model


def conv_stack(depth: int, *, channels: int = 1, width: int = 4, seed: int = 0) -> keras.Model:
    """A DnCNN-like stack of ``depth`` 3x3 convolutions: receptive-field radius ``depth``."""
    inputs = keras.Input((None, None, channels))
    x = inputs
    for index in range(depth):
        last = index == depth - 1
        x = keras.layers.Conv2D(
            channels if last else width,
            3,
            padding="same",
            activation=None if last else "relu",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed + index),
            bias_initializer=keras.initializers.RandomUniform(-0.1, 0.1, seed=seed + 100 + index),
        )(x)
    return keras.Model(inputs, x)


def identity_model(channels: int = 1) -> keras.Model:
    inputs = keras.Input((None, None, channels))
    return keras.Model(inputs, keras.layers.Identity()(inputs))


def affine_model(scale: float, offset: float) -> keras.Model:
    inputs = keras.Input((None, None, 1))
    return keras.Model(inputs, keras.layers.Rescaling(scale, offset)(inputs))


def sigma_echo_model() -> keras.Model:
    """A two-input (noise-map) model whose output is its sigma map."""
    noisy = keras.Input((None, None, 1))
    sigma_map = keras.Input((None, None, 1))
    ignored = keras.layers.Rescaling(0.0)(noisy)
    return keras.Model([noisy, sigma_map], keras.layers.Add()([ignored, sigma_map]))


def noise_map_conv(seed: int = 0) -> keras.Model:
    """A two-input model that mixes image and map through 3x3 convolutions."""
    noisy = keras.Input((None, None, 1))
    sigma_map = keras.Input((None, None, 1))
    x = keras.layers.Concatenate()([noisy, sigma_map])
    x = keras.layers.Conv2D(
        4, 3, padding="same", activation="relu", kernel_initializer=_init(seed)
    )(x)
    x = keras.layers.Conv2D(1, 3, padding="same", kernel_initializer=_init(seed + 1))(x)
    return keras.Model([noisy, sigma_map], x)


def _init(seed: int) -> keras.initializers.Initializer:
    return keras.initializers.GlorotUniform(seed=seed)


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    """An odd-sized float image: 301 x 257."""
    return np.random.default_rng(0).uniform(size=(301, 257)).astype(np.float32)


@pytest.fixture(scope="module")
def dncnn5() -> keras.Model:
    return conv_stack(5)


# --- tile_layout ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "tile", "overlap"),
    [(301, 64, 16), (257, 64, 16), (64, 64, 16), (10, 64, 16), (100, 33, 16), (7, 3, 1)],
)
def test_tile_layout_partitions_with_full_context(length: int, tile: int, overlap: int) -> None:
    layout = tile_layout(length, tile, overlap)
    size = min(tile, length)
    assert layout[0][1] == 0
    assert layout[-1][2] == length
    for (start, keep_start, keep_stop), following in zip(layout, [*layout[1:], None], strict=True):
        assert 0 <= start and start + size <= length
        assert start <= keep_start < keep_stop <= start + size
        assert keep_start - start >= overlap or start == 0
        assert start + size - keep_stop >= overlap or start + size == length
        if following is not None:
            assert following[1] == keep_stop


def test_tile_layout_rejects_small_tile() -> None:
    with pytest.raises(ValueError, match="tile"):
        tile_layout(100, 32, 16)


# --- exactness of tiling -------------------------------------------------------------------


def test_receptive_field_of_conv_stack(dncnn5: keras.Model) -> None:
    assert estimate_receptive_field(dncnn5) == 5


def test_tiled_equals_untiled_dncnn_depth5(dncnn5: keras.Model, image: np.ndarray) -> None:
    untiled = denoise(dncnn5, image, tile=None)
    tiled = denoise(dncnn5, image, tile=64, overlap=8, batch_size=3)
    np.testing.assert_allclose(tiled, untiled, atol=1e-4)


def test_untiled_equals_model_call(dncnn5: keras.Model, image: np.ndarray) -> None:
    direct = keras.ops.convert_to_numpy(dncnn5(image[None, ..., None]))[0, ..., 0]
    np.testing.assert_allclose(denoise(dncnn5, image, tile=None), direct, atol=1e-6)


def test_too_small_overlap_breaks_exactness(dncnn5: keras.Model, image: np.ndarray) -> None:
    """The overlap requirement is real: a margin below the radius changes the output."""
    untiled = denoise(dncnn5, image, tile=None)
    tiled = denoise(dncnn5, image, tile=64, overlap=2)
    assert np.abs(tiled - untiled).max() > 1e-4


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("dncnn", {"depth": 5, "width": 8, "batch_norm": False}),
        ("ffdnet", {"depth": 3, "width": 8}),
        ("conv_autoencoder", {"filters": (4, 8)}),
    ],
)
def test_tiled_equals_untiled_library_models(name: str, kwargs: dict, image: np.ndarray) -> None:
    model = get_model(name, **kwargs)
    radius = estimate_receptive_field(model)
    untiled = denoise(model, image, 25, tile=None)
    tiled = denoise(model, image, 25, tile=96, overlap=radius, batch_size=4)
    assert tiled.shape == image.shape
    np.testing.assert_allclose(tiled, untiled, atol=1e-4)


def test_batch_size_does_not_change_result(dncnn5: keras.Model, image: np.ndarray) -> None:
    one = denoise(dncnn5, image, tile=64, overlap=8, batch_size=1)
    many = denoise(dncnn5, image, tile=64, overlap=8, batch_size=7)
    np.testing.assert_allclose(one, many, atol=1e-6)


# --- tile="auto": one pass when it fits, tiles only when it does not -----------------------


def record_passes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ...]]:
    """Record the shape of every batch :func:`denoise` sends to the model."""
    shapes: list[tuple[int, ...]] = []
    real = inference._predict

    def spy(model: keras.Model, batch: np.ndarray, sigma_map_value: float | None) -> np.ndarray:
        shapes.append(batch.shape)
        return real(model, batch, sigma_map_value)

    monkeypatch.setattr(inference, "_predict", spy)
    return shapes


def test_auto_runs_an_image_that_fits_in_one_pass(
    dncnn5: keras.Model, image: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    shapes = record_passes(monkeypatch)
    auto = denoise(dncnn5, image)  # tile="auto" is the default
    assert shapes == [(1, 301, 257, 1)]
    np.testing.assert_array_equal(auto, denoise(dncnn5, image, tile=None))


def test_auto_tiles_within_the_budget_and_equals_one_pass(
    dncnn5: keras.Model, image: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    # conv_stack(5) is 4 channels wide: 48 bytes per pixel, so 9600 pixels per pass here.
    monkeypatch.setattr(inference, "PASS_MEMORY_BYTES", 48 * 9600)
    assert auto_tile(dncnn5, image.shape, overlap=8) is not None
    shapes = record_passes(monkeypatch)
    tiled = denoise(dncnn5, image, overlap=8)
    assert len(shapes) > 1
    assert all(n * h * w <= 9600 for n, h, w, _ in shapes)
    np.testing.assert_allclose(tiled, denoise(dncnn5, image, tile=None), atol=1e-4)


@pytest.mark.parametrize("name", ["ffdnet15", "ffdnet", "dncnn25"])
def test_auto_tile_of_the_shipped_models(name: str) -> None:
    """512x512 in one pass (no 256-pixel tiles); a 24-megapixel photo in tiles within budget."""
    from deepdenoise import weights

    model = weights.load_pretrained(name)
    assert auto_tile(model, (512, 512)) is None
    tile_h, tile_w = auto_tile(model, (6000, 4000, 3))
    widest = 16 if name.startswith("ffdnet") else 64  # floats per pixel of the widest activation
    assert tile_h * tile_w <= inference.PASS_MEMORY_BYTES // (12 * widest)
    assert min(tile_h, tile_w) > 2 * 32


def test_auto_tile_uses_the_fewest_balanced_tiles() -> None:
    model = conv_stack(2, width=64)  # 64 floats per pixel: 699050 pixels per pass
    pixels = inference.PASS_MEMORY_BYTES // (12 * 64)
    tile_h, tile_w = auto_tile(model, (6000, 4000))
    assert tile_h * tile_w <= pixels
    side = math.isqrt(pixels)
    squares = len(tile_layout(6000, side, 32)) * len(tile_layout(4000, side, 32))
    assert len(tile_layout(6000, tile_h, 32)) * len(tile_layout(4000, tile_w, 32)) <= squares
    # Balanced: 1000x700 is just over the budget (a 998-pixel limit on the long side); it
    # gets two tiles of 532 rows, not one of 998 and one almost all overlap.
    assert auto_tile(model, (1000, 700)) == (532, 700)


def test_auto_tile_keeps_fixed_size_models_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inference, "PASS_MEMORY_BYTES", 1000)  # a few pixels per pass
    model = get_model("dense_autoencoder")
    assert auto_tile(model, (28, 28)) is None
    assert denoise(model, np.zeros((28, 28), dtype=np.float32)).shape == (28, 28)
    assert auto_tile(conv_stack(2), (28, 28)) is not None


def test_bad_tile_string_names_tile(dncnn5: keras.Model) -> None:
    with pytest.raises(ValueError, match="tile"):
        denoise(dncnn5, np.zeros((10, 10), dtype=np.float32), tile="whole")


def test_many_models_give_no_retracing_warning(tmp_path) -> None:
    """Each model traces its own predict function; TensorFlow must not warn about it.

    In a fresh process: TensorFlow warns at most twice per process, so an earlier
    test could have used up its warnings.
    """
    import subprocess
    import sys

    script = """
import numpy as np, keras
from deepdenoise.inference import denoise
for seed in range(8):
    inputs = keras.Input((None, None, 1))
    model = keras.Model(inputs, keras.layers.Conv2D(1, 3, padding="same")(inputs))
    for side in (20 + seed, 30 + seed):
        denoise(model, np.zeros((side, side), np.float32), tile=None)
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "retracing" not in result.stderr


# --- progress ------------------------------------------------------------------------------


def test_progress_counts_every_pass(dncnn5: keras.Model) -> None:
    rgb = np.random.default_rng(12).uniform(size=(70, 51, 3)).astype(np.float32)
    calls: list[tuple[int, int]] = []
    denoise(
        dncnn5,
        rgb,
        tile=32,
        overlap=8,
        batch_size=2,
        self_ensemble=True,
        progress=lambda done, total: calls.append((done, total)),
    )
    # 70x51 in 32-pixel tiles with 8 of overlap: 4 x 3 windows, 6 batches of 2, either way
    # round; times 8 transforms, times 3 channels through a gray model.
    total = 6 * 8 * 3
    assert calls == [(done, total) for done in range(1, total + 1)]


def test_progress_counts_the_auto_tiles_of_turned_views(
    dncnn5: keras.Model, image: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Auto tiles are not square; a quarter turn of the image turns them too."""
    monkeypatch.setattr(inference, "PASS_MEMORY_BYTES", 48 * 9600)
    tile_h, tile_w = auto_tile(dncnn5, image.shape, overlap=8)
    assert tile_h != tile_w
    shapes = record_passes(monkeypatch)
    calls: list[tuple[int, int]] = []
    progress = lambda done, total: calls.append((done, total))  # noqa: E731
    denoise(dncnn5, image, overlap=8, self_ensemble=True, progress=progress)
    assert calls == [(done, len(shapes)) for done in range(1, len(shapes) + 1)]
    assert {shape[1:3] for shape in shapes} == {(tile_h, tile_w), (tile_w, tile_h)}


# --- dtypes and ranges ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_integer_roundtrip_through_identity(dtype: type) -> None:
    top = np.iinfo(dtype).max
    image = np.random.default_rng(1).integers(0, top + 1, (45, 38), dtype=dtype)
    out = denoise(identity_model(), image, tile=32, overlap=4)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, image)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_integer_output_is_rounded_and_clipped(dtype: type) -> None:
    top = float(np.iinfo(dtype).max)
    image = np.random.default_rng(2).integers(0, int(top) + 1, (20, 30), dtype=dtype)
    out = denoise(affine_model(3.0, -1.0), image, tile=None)
    expected = np.clip(np.rint((image / top * 3.0 - 1.0) * top), 0, top)
    assert out.dtype == dtype
    assert out.min() == 0 and out.max() == top
    assert np.abs(out.astype(np.float64) - expected).max() <= 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_float_output_is_float32_and_not_clipped(dtype: type) -> None:
    image = np.random.default_rng(3).uniform(size=(20, 30)).astype(dtype)
    out = denoise(affine_model(3.0, -1.0), image, tile=None)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, image.astype(np.float32) * 3 - 1, atol=1e-5)
    assert out.min() < 0 and out.max() > 1


# --- channels ------------------------------------------------------------------------------


def test_rgb_through_gray_model_is_per_channel(dncnn5: keras.Model) -> None:
    rgb = np.random.default_rng(4).uniform(size=(70, 51, 3)).astype(np.float32)
    out = denoise(dncnn5, rgb, tile=32, overlap=8)
    stacked = np.stack([denoise(dncnn5, rgb[..., c], tile=None) for c in range(3)], axis=-1)
    assert out.shape == rgb.shape
    np.testing.assert_allclose(out, stacked, atol=1e-4)


def test_rgb_model_sees_all_channels() -> None:
    model = conv_stack(3, channels=3)
    rgb = np.random.default_rng(5).uniform(size=(70, 51, 3)).astype(np.float32)
    direct = keras.ops.convert_to_numpy(model(rgb[None]))[0]
    np.testing.assert_allclose(denoise(model, rgb, tile=32, overlap=4), direct, atol=1e-4)


def test_single_channel_axis_is_kept(dncnn5: keras.Model) -> None:
    gray = np.random.default_rng(6).uniform(size=(33, 40)).astype(np.float32)
    out = denoise(dncnn5, gray[..., None], tile=None)
    assert out.shape == (33, 40, 1)
    np.testing.assert_allclose(out[..., 0], denoise(dncnn5, gray, tile=None), atol=1e-6)


# --- self-ensemble -------------------------------------------------------------------------


def test_self_ensemble_of_identity_returns_input(image: np.ndarray) -> None:
    out = denoise(identity_model(), image, tile=64, overlap=8, self_ensemble=True)
    np.testing.assert_allclose(out, image, atol=1e-6)


def test_self_ensemble_averages_the_eight_transforms(dncnn5: keras.Model) -> None:
    gray = np.random.default_rng(7).uniform(size=(40, 29)).astype(np.float32)
    results = []
    for turns in range(4):
        for flip in (False, True):
            view = np.rot90(gray, turns)
            view = view[:, ::-1] if flip else view
            out = denoise(dncnn5, np.ascontiguousarray(view), tile=None)
            out = out[:, ::-1] if flip else out
            results.append(np.rot90(out, -turns))
    expected = np.mean(results, axis=0)
    ensemble = denoise(dncnn5, gray, tile=32, overlap=8, self_ensemble=True)
    np.testing.assert_allclose(ensemble, expected, atol=1e-4)
    # The model is not equivariant, so the ensemble differs from a single pass.
    assert np.abs(ensemble - denoise(dncnn5, gray, tile=None)).max() > 1e-3


# --- sigma and noise maps ------------------------------------------------------------------


def test_sigma_reaches_noise_map_model() -> None:
    gray = np.random.default_rng(8).uniform(size=(31, 22)).astype(np.float32)
    out = denoise(sigma_echo_model(), gray, 30, tile=16, overlap=2)
    np.testing.assert_allclose(out, 30 / 255, atol=1e-6)


@pytest.mark.parametrize("shape", [(48, 40), (48, 40, 3)])
def test_sigma_none_uses_estimate(shape: tuple[int, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    clean = np.full(shape, 0.5, dtype=np.float32)
    noisy = clean + np.random.default_rng(9).normal(0, 20 / 255, shape).astype(np.float32)
    calls = []

    def spy(image: np.ndarray) -> float:
        calls.append(image.shape)
        return real(image)

    real = noise.estimate_sigma
    monkeypatch.setattr(noise, "estimate_sigma", spy)
    out = denoise(sigma_echo_model(), noisy, tile=None)
    assert calls == [shape]
    np.testing.assert_allclose(out, real(noisy) / 255, atol=1e-6)
    assert abs(real(noisy) - 20) < 3


def test_sigma_none_on_flat_image_means_no_noise() -> None:
    """skimage's estimator gives NaN on an all-zero image; denoise reads it as sigma 0."""
    flat = np.zeros((24, 24), dtype=np.float32)
    out = denoise(sigma_echo_model(), flat, tile=None)
    np.testing.assert_array_equal(out, 0.0)


def test_sigma_none_not_estimated_without_noise_map(
    dncnn5: keras.Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(image: np.ndarray) -> float:
        raise AssertionError("estimate_sigma must not be called")

    monkeypatch.setattr(noise, "estimate_sigma", fail)
    gray = np.random.default_rng(10).uniform(size=(20, 20)).astype(np.float32)
    np.testing.assert_allclose(
        denoise(dncnn5, gray, tile=None), denoise(dncnn5, gray, 50, tile=None), atol=0
    )


def test_noise_map_model_tiled_equals_untiled() -> None:
    model = noise_map_conv()
    gray = np.random.default_rng(11).uniform(size=(75, 61)).astype(np.float32)
    untiled = denoise(model, gray, 15, tile=None)
    np.testing.assert_allclose(denoise(model, gray, 15, tile=32, overlap=2), untiled, atol=1e-4)
    assert np.abs(denoise(model, gray, 50, tile=None) - untiled).max() > 1e-3


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(10,), (2, 10, 10, 1), (10, 10, 2), (10, 10, 4), (0, 10)])
def test_bad_image_shape_names_image(shape: tuple[int, ...], dncnn5: keras.Model) -> None:
    with pytest.raises(ValueError, match="image"):
        denoise(dncnn5, np.zeros(shape, dtype=np.float32))


@pytest.mark.parametrize("dtype", [np.int32, np.int8, bool, object])
def test_bad_image_dtype_names_image(dtype: type, dncnn5: keras.Model) -> None:
    with pytest.raises(TypeError, match="image"):
        denoise(dncnn5, np.zeros((10, 10), dtype=dtype))


def test_non_finite_image_names_image(dncnn5: keras.Model) -> None:
    bad = np.zeros((10, 10), dtype=np.float32)
    bad[3, 3] = np.nan
    with pytest.raises(ValueError, match="image"):
        denoise(dncnn5, bad)


def test_gray_image_for_rgb_model_names_image() -> None:
    with pytest.raises(ValueError, match="image"):
        denoise(conv_stack(2, channels=3), np.zeros((10, 10), dtype=np.float32))


def test_fixed_size_model_needs_its_size() -> None:
    model = get_model("dense_autoencoder")
    with pytest.raises(ValueError, match="image"):
        denoise(model, np.zeros((30, 28), dtype=np.float32))
    assert denoise(model, np.zeros((28, 28), dtype=np.float32)).shape == (28, 28)


@pytest.mark.parametrize("sigma", [-1, 256, float("nan"), float("inf")])
def test_bad_sigma_names_sigma(sigma: float, dncnn5: keras.Model) -> None:
    with pytest.raises(ValueError, match="sigma"):
        denoise(dncnn5, np.zeros((10, 10), dtype=np.float32), sigma)


@pytest.mark.parametrize(("tile", "overlap"), [(16, 8), (10, 8), (0, 0), (-4, 1)])
def test_bad_tile_names_tile(tile: int, overlap: int, dncnn5: keras.Model) -> None:
    with pytest.raises(ValueError, match="tile"):
        denoise(dncnn5, np.zeros((40, 40), dtype=np.float32), tile=tile, overlap=overlap)


def test_tile_rounded_to_size_multiple_names_tile() -> None:
    model = get_model("ffdnet", depth=2, width=4)
    with pytest.raises(ValueError, match="tile"):
        denoise(model, np.zeros((40, 40), dtype=np.float32), 25, tile=17, overlap=8)


@pytest.mark.parametrize(("name", "value"), [("overlap", -1), ("batch_size", 0)])
def test_bad_options_are_named(name: str, value: int, dncnn5: keras.Model) -> None:
    with pytest.raises(ValueError, match=name):
        denoise(dncnn5, np.zeros((40, 40), dtype=np.float32), **{name: value})


# --- shipped models by name: "auto" picks a colour model for RGB once one ships ------------


def _spy_on_loading(monkeypatch) -> list[str]:
    from deepdenoise import weights

    loaded: list[str] = []
    real = weights.load_pretrained

    def spy(name, **kwargs):
        loaded.append(name)
        return real(name, **kwargs)

    monkeypatch.setattr(weights, "load_pretrained", spy)
    return loaded


def test_auto_uses_a_shipped_colour_model_for_rgb(tmp_path, monkeypatch, tiny_manifest) -> None:
    models = tiny_manifest({DEFAULT_MODEL: 1, "ffdnet_color": 3})
    loaded = _spy_on_loading(monkeypatch)
    rgb = np.random.default_rng(10).uniform(size=(20, 22, 3)).astype(np.float32)
    out = denoise("auto", rgb, 25, tile=None)
    np.testing.assert_allclose(out, denoise(models["ffdnet_color"], rgb, 25, tile=None), atol=1e-6)
    gray = rgb[..., 0]
    np.testing.assert_allclose(
        denoise("auto", gray, 25, tile=None), denoise(models[DEFAULT_MODEL], gray, 25, tile=None)
    )
    assert loaded == ["ffdnet_color", DEFAULT_MODEL]
    # the gray model stays available by name, one channel at a time
    per_channel = denoise(DEFAULT_MODEL, rgb, 25, tile=None)
    expected = np.stack([denoise(models[DEFAULT_MODEL], rgb[..., c], 25) for c in range(3)], -1)
    np.testing.assert_allclose(per_channel, expected, atol=1e-6)
    assert not np.allclose(per_channel, out)


def test_auto_is_the_gray_model_per_channel_until_a_colour_one_ships(
    tmp_path, monkeypatch, tiny_manifest
):
    models = tiny_manifest({DEFAULT_MODEL: 1})
    loaded = _spy_on_loading(monkeypatch)
    rgb = np.random.default_rng(11).uniform(size=(16, 18, 3)).astype(np.float32)
    expected = np.stack([denoise(models[DEFAULT_MODEL], rgb[..., c], 25) for c in range(3)], -1)
    np.testing.assert_allclose(denoise("auto", rgb, 25), expected, atol=1e-6)
    assert loaded == [DEFAULT_MODEL]


def test_a_colour_model_by_name_refuses_a_gray_image(tmp_path, monkeypatch, tiny_manifest) -> None:
    tiny_manifest({"ffdnet": 1, "ffdnet_color": 3})
    with pytest.raises(ValueError, match=r"'ffdnet_color' denoises RGB.*has 1 channel"):
        denoise("ffdnet_color", np.zeros((12, 12), np.float32), 25)
    with pytest.raises(ValueError, match="no-such-model"):
        denoise("no-such-model", np.zeros((12, 12), np.float32), 25)
