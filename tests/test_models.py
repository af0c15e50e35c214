"""Shape contracts, residual structure, serialisation and argument checks of the models."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from deepdenoise.models import get_model, list_models, model_info
from deepdenoise.models.layers import PixelShuffle, PixelUnshuffle

# Tiny configurations keep every test fast; the architecture is the same.
TINY = {
    "dense_autoencoder": {"input_shape": (12, 8, 1), "code_size": 6},
    "conv_autoencoder": {"filters": (4, 8)},
    "dncnn": {"depth": 3, "width": 8},
    "ffdnet": {"depth": 3, "width": 8},
    "opponent_ffdnet": {"depth": 3, "width": 8},
}
COLOUR_ONLY = {"opponent_ffdnet"}
RESIDUAL = ["dncnn", "ffdnet"]


def tiny(name: str, **overrides: object) -> keras.Model:
    if name in COLOUR_ONLY:
        overrides = {"channels": 3, **overrides}
    return get_model(name, **{**TINY[name], **overrides})


def model_inputs(model: keras.Model, height: int, width: int, *, seed: int = 0):
    """Random inputs for ``model``: an image batch, plus a sigma map if it takes one."""
    info = model_info(model)
    rng = np.random.default_rng(seed)
    noisy = rng.random((2, height, width, info["channels"]), dtype=np.float32)
    if not info["needs_noise_map"]:
        return noisy
    sigma_map = np.full((2, height, width, 1), 25 / 255, dtype=np.float32)
    sigma_map[1] = 50 / 255
    return [noisy, sigma_map]


def allowed_sizes(model: keras.Model) -> list[tuple[int, int]]:
    info = model_info(model)
    if info["input_size"] is not None:
        return [info["input_size"]]
    m = info["size_multiple"]
    sizes = [(3 * m, 5 * m), (4 * m, 2 * m), (6 * m, 6 * m)]
    if m == 1:
        sizes.append((17, 23))
    return sizes


def randomise_weights(model: keras.Model, seed: int = 0) -> None:
    """Give every variable (batch-norm statistics included) a random non-default value."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        values = rng.normal(0.0, 0.2, size=variable.shape)
        if "variance" in variable.path:
            values = np.abs(values) + 0.5
        variable.assign(values.astype(np.float32))


def test_list_models_is_sorted_and_complete():
    names = list_models()
    assert names == sorted(names)
    assert set(names) == {
        "dense_autoencoder",
        "conv_autoencoder",
        "dncnn",
        "ffdnet",
        "opponent_ffdnet",
    }


@pytest.mark.parametrize("name", list_models())
def test_get_model_builds_a_model_named_after_its_registry_name(name):
    model = tiny(name)
    assert isinstance(model, keras.Model)
    assert model.name == name


def test_get_model_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match="name") as info:
        get_model("unet")
    for known in list_models():
        assert known in str(info.value)


@pytest.mark.parametrize("name", list_models())
@pytest.mark.parametrize("channels", [1, 3])
def test_output_shape_and_dtype_match_input(name, channels):
    if name == "dense_autoencoder":
        model = tiny(name, input_shape=(12, 8, channels))
    elif name in COLOUR_ONLY and channels != 3:
        with pytest.raises(ValueError, match="channels must be 3, got 1"):
            tiny(name, channels=channels)
        return
    else:
        model = tiny(name, channels=channels)
    assert model_info(model)["channels"] == channels
    for height, width in allowed_sizes(model):
        inputs = model_inputs(model, height, width)
        output = model.predict(inputs, verbose=0)
        assert output.shape == (2, height, width, channels)
        assert output.dtype == np.float32
        assert np.all(np.isfinite(output))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dense_autoencoder", (False, 1, (12, 8))),
        ("conv_autoencoder", (False, 4, None)),
        ("dncnn", (False, 1, None)),
        ("ffdnet", (True, 2, None)),
    ],
)
def test_model_info_reads_the_structure(name, expected):
    info = model_info(tiny(name))
    assert (info["needs_noise_map"], info["size_multiple"], info["input_size"]) == expected
    assert info["channels"] == 1


def test_model_info_size_multiple_follows_depth_of_pooling():
    assert model_info(get_model("conv_autoencoder", filters=(2, 2, 2)))["size_multiple"] == 8
    assert model_info(get_model("conv_autoencoder", filters=(2,)))["size_multiple"] == 2


def test_model_info_of_a_hand_built_model():
    inputs = keras.Input((None, None, 1))
    x = keras.layers.Conv2D(2, 3, strides=2, padding="same")(inputs)
    x = PixelUnshuffle(3)(x)
    x = keras.layers.UpSampling2D(6)(x)
    info = model_info(keras.Model(inputs, x))
    assert info == {
        "needs_noise_map": False,
        "size_multiple": 6,
        "channels": 1,
        "input_size": None,
    }


def test_model_info_rejects_non_models():
    with pytest.raises(TypeError, match="model"):
        model_info("dncnn")


@pytest.mark.parametrize("name", list_models())
def test_size_multiple_is_needed(name):
    """Off-multiple sizes break the shape contract: an error or a different output shape."""
    model = tiny(name)
    info = model_info(model)
    if info["size_multiple"] == 1 and info["input_size"] is None:
        pytest.skip("accepts any size")
    height, width = info["input_size"] or (info["size_multiple"] * 3, info["size_multiple"] * 3)
    inputs = model_inputs(model, height + 1, width)
    try:
        output = model.predict(inputs, verbose=0)
    # A wrong size fails the shape checks (ValueError) or the reshape of PixelUnshuffle
    # (ValueError on TensorFlow, TypeError on JAX); any other error is a bug.
    except (ValueError, TypeError) as error:
        # Keras appends the call's arguments (their shapes too) to errors raised in a layer:
        # judge only the error's own text.
        message = str(error).lower().split("arguments received by")[0]
        assert re.search(r"shape|divisible|divide", message), message
        # ... and names the offending size: (H, W), or the values of an image or the batch.
        n, h, w, c = (inputs[0] if isinstance(inputs, list) else inputs).shape
        size = rf"\b{h},\s*{w}\b|\b{h * w * c}\b|\b{n * h * w * c}\b"
        assert re.search(size, message), message
    else:
        assert output.shape[1:3] != (height + 1, width)


@pytest.mark.parametrize("name", list_models())
def test_save_load_round_trip_is_exact(name, tmp_path):
    model = tiny(name)
    randomise_weights(model)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.name == name
    assert model_info(loaded) == model_info(model)
    assert len(loaded.weights) == len(model.weights)
    for before, after in zip(model.weights, loaded.weights, strict=True):
        assert before.path == after.path
        np.testing.assert_array_equal(np.asarray(before), np.asarray(after))
    height, width = allowed_sizes(model)[0]
    inputs = model_inputs(model, height, width, seed=1)
    expected = model.predict(inputs, verbose=0)
    np.testing.assert_array_equal(loaded.predict(inputs, verbose=0), expected)


@pytest.mark.parametrize("name", RESIDUAL)
def test_residual_models_return_the_input_when_the_noise_branch_is_zero(name):
    model = tiny(name)
    randomise_weights(model)
    inputs = model_inputs(model, 8, 12)
    noisy = inputs[0] if isinstance(inputs, list) else inputs
    assert not np.allclose(model.predict(inputs, verbose=0), noisy)
    last = model.get_layer(f"conv{TINY[name]['depth']}")
    last.set_weights([np.zeros_like(w) for w in last.get_weights()])
    np.testing.assert_array_equal(model.predict(inputs, verbose=0), noisy)


@pytest.mark.parametrize("name", RESIDUAL)
def test_residual_output_is_input_minus_noise_branch(name):
    model = tiny(name)
    randomise_weights(model)
    inputs = model_inputs(model, 8, 12)
    noisy = inputs[0] if isinstance(inputs, list) else inputs
    branch = keras.Model(model.inputs, model.get_layer("denoised").input[1])
    np.testing.assert_allclose(
        model.predict(inputs, verbose=0), noisy - branch.predict(inputs, verbose=0), atol=1e-6
    )


def test_ffdnet_uses_the_noise_map():
    model = tiny("ffdnet")
    randomise_weights(model)
    noisy, sigma_map = model_inputs(model, 8, 8)
    low = model.predict([noisy, sigma_map * 0], verbose=0)
    high = model.predict([noisy, sigma_map * 0 + 50 / 255], verbose=0)
    assert not np.allclose(low, high)


def ffdnet_param_count(depth: int, width: int, channels: int) -> int:
    first = 9 * (4 * channels + 4) * width + width
    middle = (depth - 2) * (9 * width * width + width)
    last = 9 * width * 4 * channels + 4 * channels
    return first + middle + last


@pytest.mark.parametrize("channels", [1, 3])
def test_ffdnet_parameter_count(channels):
    model = get_model("ffdnet", channels=channels)
    assert model.count_params() == ffdnet_param_count(12, 64, channels)
    assert 350_000 < model.count_params() < 400_000


@pytest.mark.parametrize("batch_norm", [True, False])
def test_dncnn_parameter_count_and_batch_norm(batch_norm):
    depth, width = 5, 16
    model = get_model("dncnn", depth=depth, width=width, batch_norm=batch_norm, bn_momentum=0.5)
    per_middle = 9 * width * width + (4 * width if batch_norm else width)
    expected = (9 * width + width) + (depth - 2) * per_middle + (9 * width + 1)
    assert model.count_params() == expected
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(norms) == (depth - 2 if batch_norm else 0)
    assert all(layer.momentum == 0.5 for layer in norms)


def test_dncnn_default_momentum_avoids_the_keras_default():
    model = get_model("dncnn", depth=3, width=4)
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and all(layer.momentum < 0.99 for layer in norms)


def test_dense_autoencoder_parameter_count_and_range():
    model = get_model("dense_autoencoder", code_size=16)
    assert model.count_params() == 2 * 784 * 16 + 784 + 16
    out = model.predict(np.random.default_rng(0).random((3, 28, 28, 1)), verbose=0)
    assert out.min() >= 0 and out.max() <= 1


def test_dense_autoencoder_accepts_two_dimensional_shape():
    assert model_info(get_model("dense_autoencoder", input_shape=(6, 4)))["input_size"] == (6, 4)


@pytest.mark.parametrize(
    ("name", "kwargs", "argument"),
    [
        ("dncnn", {"depth": 0}, "depth"),
        ("dncnn", {"depth": 1}, "depth"),
        ("dncnn", {"depth": 2.5}, "depth"),
        ("dncnn", {"width": -1}, "width"),
        ("dncnn", {"width": True}, "width"),
        ("dncnn", {"channels": 2}, "channels"),
        ("dncnn", {"channels": 0}, "channels"),
        ("dncnn", {"bn_momentum": 1.0}, "bn_momentum"),
        ("dncnn", {"bn_momentum": -0.1}, "bn_momentum"),
        ("dncnn", {"bn_momentum": "0.9"}, "bn_momentum"),
        ("ffdnet", {"depth": 0}, "depth"),
        ("ffdnet", {"depth": 1}, "depth"),
        ("ffdnet", {"width": -1}, "width"),
        ("ffdnet", {"channels": 2}, "channels"),
        ("conv_autoencoder", {"channels": 2}, "channels"),
        ("conv_autoencoder", {"filters": ()}, "filters"),
        ("conv_autoencoder", {"filters": (4, -1)}, "filters"),
        ("conv_autoencoder", {"filters": 4}, "filters"),
        ("dense_autoencoder", {"input_shape": (28,)}, "input_shape"),
        ("dense_autoencoder", {"input_shape": (28, 0)}, "input_shape"),
        ("dense_autoencoder", {"input_shape": 28}, "input_shape"),
        ("dense_autoencoder", {"code_size": 0}, "code_size"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(name, kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        get_model(name, **kwargs)


def test_unknown_keyword_is_rejected():
    with pytest.raises(TypeError, match="depht"):
        get_model("dncnn", depht=3)


# --- PixelShuffle / PixelUnshuffle -------------------------------------------------------


@pytest.mark.parametrize("block_size", [2, 3])
@pytest.mark.parametrize("channels", [1, 3])
def test_pixel_unshuffle_matches_space_to_depth(block_size, channels):
    x = np.random.default_rng(0).random((2, 6 * block_size, 4 * block_size, channels))
    x = x.astype(np.float32)
    expected = tf.nn.space_to_depth(x, block_size).numpy()
    np.testing.assert_array_equal(np.asarray(PixelUnshuffle(block_size)(x)), expected)


@pytest.mark.parametrize("block_size", [2, 3])
@pytest.mark.parametrize("channels", [1, 3])
def test_pixel_shuffle_matches_depth_to_space(block_size, channels):
    x = np.random.default_rng(1).random((2, 5, 3, channels * block_size**2)).astype(np.float32)
    expected = tf.nn.depth_to_space(x, block_size).numpy()
    np.testing.assert_array_equal(np.asarray(PixelShuffle(block_size)(x)), expected)


def test_block_size_one_is_the_identity():
    x = np.random.default_rng(4).random((1, 3, 5, 2)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(PixelUnshuffle(1)(x)), x)
    np.testing.assert_array_equal(np.asarray(PixelShuffle(1)(x)), x)


@pytest.mark.parametrize("block_size", [2, 4])
def test_pixel_shuffle_inverts_pixel_unshuffle(block_size):
    x = np.random.default_rng(2).random((3, 8, 16, 3)).astype(np.float32)
    y = PixelShuffle(block_size)(PixelUnshuffle(block_size)(x))
    np.testing.assert_array_equal(np.asarray(y), x)
    z = np.random.default_rng(3).random((3, 2, 4, 3 * block_size**2)).astype(np.float32)
    np.testing.assert_array_equal(
        np.asarray(PixelUnshuffle(block_size)(PixelShuffle(block_size)(z))), z
    )


def test_pixel_layers_work_with_unknown_height_and_width_in_a_graph():
    spec = tf.TensorSpec((None, None, None, 2), tf.float32)
    unshuffle, shuffle = PixelUnshuffle(2), PixelShuffle(2)

    @tf.function(input_signature=[spec])
    def round_trip(x):
        folded = unshuffle(x)
        return folded, shuffle(folded)

    for height, width in [(4, 6), (10, 2)]:
        x = np.random.default_rng(0).random((1, height, width, 2)).astype(np.float32)
        folded, restored = round_trip(x)
        assert folded.shape == (1, height // 2, width // 2, 8)
        np.testing.assert_array_equal(restored.numpy(), x)


def test_pixel_layers_symbolic_shapes():
    inputs = keras.Input((None, 6, 3))
    folded = PixelUnshuffle(2)(inputs)
    assert tuple(folded.shape) == (None, None, 3, 12)
    assert tuple(PixelShuffle(2)(folded).shape) == (None, None, 6, 3)


def test_pixel_shuffle_rejects_channels_not_divisible():
    with pytest.raises(ValueError, match="block_size"):
        PixelShuffle(2)(keras.Input((4, 4, 6)))


@pytest.mark.parametrize("layer_class", [PixelShuffle, PixelUnshuffle])
def test_pixel_layers_config_round_trip(layer_class):
    layer = layer_class(3, name="fold")
    config = layer.get_config()
    assert config["block_size"] == 3
    clone = layer_class.from_config(config)
    assert (clone.block_size, clone.name) == (3, "fold")
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(restored, layer_class) and restored.block_size == 3


@pytest.mark.parametrize("layer_class", [PixelShuffle, PixelUnshuffle])
@pytest.mark.parametrize("block_size", [0, -2, 1.5, True])
def test_pixel_layers_reject_bad_block_size(layer_class, block_size):
    with pytest.raises(ValueError, match="block_size"):
        layer_class(block_size)


# --- training smoke test and other backends ---------------------------------------------


def test_ffdnet_trains_on_noisy_sigma_map_pairs():
    """One fit on ((noisy, sigma_map), clean) batches, the format patch_dataset yields."""
    rng = np.random.default_rng(0)
    clean = rng.random((16, 16, 16, 1)).astype(np.float32)
    sigma = rng.uniform(0, 75, size=(16, 1, 1, 1)).astype(np.float32)
    noisy = clean + rng.normal(size=clean.shape).astype(np.float32) * sigma / 255
    sigma_map = np.broadcast_to(sigma / 255, clean.shape).astype(np.float32)
    data = tf.data.Dataset.from_tensor_slices(((noisy, sigma_map), clean)).batch(8)
    keras.utils.set_random_seed(0)
    model = tiny("ffdnet")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    before = model.evaluate(data, verbose=0)
    model.fit(data, epochs=15, shuffle=False, verbose=0)
    assert model.evaluate(data, verbose=0) < before


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_models_build_and_run_under_the_jax_backend(tmp_path):
    script = textwrap.dedent(
        """
        import numpy as np, keras
        assert keras.backend.backend() == "jax"
        from deepdenoise.models import get_model, model_info
        x = np.random.default_rng(0).random((1, 8, 12, 1)).astype("float32")
        for name, kwargs in [("ffdnet", {"depth": 3, "width": 8}),
                             ("dncnn", {"depth": 3, "width": 8}),
                             ("conv_autoencoder", {"filters": (4, 8)})]:
            model = get_model(name, **kwargs)
            inputs = [x, np.full_like(x, 0.1)] if model_info(model)["needs_noise_map"] else x
            assert model.predict(inputs, verbose=0).shape == x.shape
        print("ok")
        """
    )
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("ok")


def test_multiply_adds_count_convolutions_by_hand():
    from deepdenoise.models import multiply_adds

    # DnCNN: 3x3 convs 1->8, 8->8, 8->1 at full resolution on 10 x 6 pixels
    assert multiply_adds(get_model("dncnn", depth=3, width=8), 10, 6) == 60 * 9 * (8 + 64 + 8)
    # FFDNet works at half resolution on 4 image + 4 noise-map channels
    half = 5 * 3
    expected = half * 9 * ((4 + 4) * 8 + 8 * 8 + 8 * 4)
    assert multiply_adds(get_model("ffdnet", depth=3, width=8), 10, 6) == expected


def test_multiply_adds_count_a_shared_network_once_per_call():
    from deepdenoise.models import multiply_adds

    colour = get_model("opponent_ffdnet", depth=3, width=8)
    # three calls of the shared network, whose first layer also reads 4 guide channels
    half = 5 * 3
    per_call = half * 9 * ((4 + 4 + 4) * 8 + 8 * 8 + 8 * 4)
    assert multiply_adds(colour, 10, 6) == 3 * per_call
    assert model_info(colour) == {
        "needs_noise_map": True,
        "size_multiple": 2,
        "channels": 3,
        "input_size": None,
    }


def test_multiply_adds_of_the_published_sizes():
    from deepdenoise.models import multiply_adds

    # DnCNN-S (17 x 64) is quoted at 36.3 GMAC per 256 x 256 image
    assert round(multiply_adds(get_model("dncnn", depth=17, width=64)) / 1e9, 1) == 36.3
    # twice the size, four times the cost
    small = multiply_adds(get_model("ffdnet", depth=4, width=8), 64, 64)
    assert multiply_adds(get_model("ffdnet", depth=4, width=8), 128, 128) == 4 * small


def test_multiply_adds_rejects_bad_arguments():
    from deepdenoise.models import multiply_adds

    with pytest.raises(TypeError, match=r"model must be a keras\.Model"):
        multiply_adds("dncnn")
    with pytest.raises(ValueError, match="height"):
        multiply_adds(get_model("dncnn", depth=3, width=8), 0, 8)
