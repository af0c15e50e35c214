"""models.opponent: colour denoising in an opponent colour space, started from a gray model."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from deepdenoise.models import (
    channel_mixing_from,
    colour_from_gray,
    cross_channel_from,
    dncnn,
    ffdnet,
    multiply_adds,
    opponent_ffdnet,
)
from deepdenoise.models.opponent import (
    OPPONENT,
    OPPONENT_OFFSET,
    ChannelSlice,
    ColourTransform,
    opponent_noise_scale,
)


def _trained_like(model: keras.Model, seed: int = 7) -> keras.Model:
    """Random non-zero weights everywhere, so that no property holds by accident."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.2, w.shape).astype("float32") for w in model.get_weights()])
    return model


def test_opponent_rows_are_orthogonal_and_the_noise_scales_are_their_norms():
    matrix = np.asarray(OPPONENT)
    gram = matrix @ matrix.T
    np.testing.assert_allclose(gram, np.diag(np.diag(gram)), atol=1e-12)
    np.testing.assert_allclose(np.sqrt(np.diag(gram)), opponent_noise_scale())
    # independent unit noise in R, G, B: measured spread in each opponent channel
    noise = np.random.default_rng(0).standard_normal((200_000, 3))
    np.testing.assert_allclose((noise @ matrix.T).std(axis=0), opponent_noise_scale(), rtol=0.01)


def test_colour_transform_and_its_inverse_round_trip():
    rgb = np.random.default_rng(1).random((2, 5, 4, 3), dtype="float32")
    forward = ColourTransform(OPPONENT, OPPONENT_OFFSET)
    opponent = np.asarray(forward(rgb))
    assert opponent.min() >= 0 and opponent.max() <= 1  # the offsets keep [0, 1] images there
    np.testing.assert_allclose(np.asarray(forward.inverse()(opponent)), rgb, atol=1e-6)
    np.testing.assert_allclose(np.asarray(ChannelSlice(1)(opponent)), opponent[..., 1:2])
    with pytest.raises(ValueError, match="one value per output channel"):
        ColourTransform(OPPONENT, (0.0, 0.5))


def test_colour_model_from_gray_is_the_gray_model_on_each_opponent_channel():
    gray = _trained_like(ffdnet(depth=4, width=6))
    colour = colour_from_gray(gray)
    rng = np.random.default_rng(2)
    rgb = rng.random((2, 10, 12, 3), dtype="float32")
    level = np.full((2, 10, 12, 1), 20 / 255, dtype="float32")
    level[1] = 60 / 255
    matrix = np.asarray(OPPONENT, dtype="float32")
    opponent = rgb @ matrix.T + np.asarray(OPPONENT_OFFSET, dtype="float32")
    expected = np.concatenate(
        [
            gray.predict([opponent[..., c : c + 1], level * scale], verbose=0)
            for c, scale in enumerate(opponent_noise_scale())
        ],
        axis=-1,
    )
    got = colour.predict([rgb, level], verbose=0) @ matrix.T + np.asarray(OPPONENT_OFFSET)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    # training that changes the guide's weights changes the output: the guide is wired in
    first = colour.get_layer("shared_ffdnet").get_layer("conv1")
    kernel, bias = first.get_weights()
    assert not kernel[:, :, 8:].any()
    kernel[:, :, 8:] = 0.3
    first.set_weights([kernel, bias])
    moved = colour.predict([rgb, level], verbose=0) @ matrix.T + np.asarray(OPPONENT_OFFSET)
    assert np.abs(moved - expected).max() > 1e-3


def test_colour_from_gray_names_what_it_cannot_grow():
    with pytest.raises(ValueError, match="one-channel ffdnet"):
        colour_from_gray(ffdnet(depth=3, width=4, channels=3))
    with pytest.raises(ValueError, match="one-channel ffdnet, got 'dncnn'"):
        colour_from_gray(dncnn(depth=3, width=4))
    with pytest.raises(TypeError, match=r"keras\.Model"):
        colour_from_gray("ffdnet")


def test_opponent_ffdnet_is_rgb_only():
    with pytest.raises(ValueError, match="channels must be 3, got 1"):
        opponent_ffdnet(depth=3, width=4, channels=1)


def test_cross_channel_model_starts_as_the_model_it_grew_from_then_mixes_channels():
    plain = _trained_like(opponent_ffdnet(depth=4, width=6))
    mixed = cross_channel_from(plain)
    assert mixed.count_params() == plain.count_params() + 3 * 3 * 8 * 6  # first layer only
    rng = np.random.default_rng(4)
    rgb = rng.random((2, 10, 12, 3), dtype="float32")
    level = np.full((2, 10, 12, 1), 30 / 255, dtype="float32")
    expected = plain.predict([rgb, level], verbose=0)
    np.testing.assert_allclose(mixed.predict([rgb, level], verbose=0), expected, atol=1e-5)

    # once the context weights move, changing only the colour differences of the input
    # changes the brightness of the output: the channels are mixed
    first = mixed.get_layer("shared_ffdnet").get_layer("conv1")
    kernel, bias = first.get_weights()
    assert kernel.shape[2] == 20 and not kernel[:, :, 12:].any()
    kernel[:, :, 12:] = rng.normal(0, 0.3, kernel[:, :, 12:].shape)
    first.set_weights([kernel, bias])
    matrix = np.asarray(OPPONENT, dtype="float32")
    recoloured = rgb @ matrix.T
    recoloured[..., 1:] = rng.random(recoloured[..., 1:].shape) - 0.5
    recoloured = recoloured @ np.linalg.inv(matrix).T
    brightness = [
        mixed.predict([image, level], verbose=0) @ matrix[0] for image in (rgb, recoloured)
    ]
    assert np.abs(brightness[0] - brightness[1]).max() > 1e-3
    # and the same change cannot reach the brightness of the plain model
    plain_brightness = [
        plain.predict([image, level], verbose=0) @ matrix[0] for image in (rgb, recoloured)
    ]
    np.testing.assert_allclose(plain_brightness[0], plain_brightness[1], atol=1e-5)


@pytest.mark.parametrize("grown", [{"cross_channel": True}, {"mix_every": 2}])
def test_a_colour_model_whose_channels_meet_saves_and_loads(tmp_path, grown):
    model = _trained_like(opponent_ffdnet(depth=4, width=4, **grown))
    path = tmp_path / "mixed.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    rgb = np.random.default_rng(5).random((1, 6, 8, 3), dtype="float32")
    level = np.full((1, 6, 8, 1), 0.1, dtype="float32")
    np.testing.assert_allclose(
        loaded.predict([rgb, level], verbose=0), model.predict([rgb, level], verbose=0), atol=1e-6
    )


def test_cross_channel_from_names_what_it_cannot_grow():
    with pytest.raises(ValueError, match="without cross_channel"):
        cross_channel_from(opponent_ffdnet(depth=3, width=4, cross_channel=True))
    with pytest.raises(ValueError, match="opponent_ffdnet, got 'ffdnet'"):
        cross_channel_from(ffdnet(depth=3, width=4, channels=3))
    with pytest.raises(TypeError, match=r"keras\.Model"):
        cross_channel_from(None)
    with pytest.raises(ValueError, match="cross_channel must be true or false, got 'yes'"):
        opponent_ffdnet(depth=3, width=4, cross_channel="yes")


def _brightness_after_recolouring(model, rgb, level, rng):
    """The output brightness for ``rgb`` and for ``rgb`` with new colour differences."""
    matrix = np.asarray(OPPONENT, dtype="float32")
    recoloured = rgb @ matrix.T
    recoloured[..., 1:] = rng.random(recoloured[..., 1:].shape) - 0.5
    recoloured = recoloured @ np.linalg.inv(matrix).T
    return [model.predict([image, level], verbose=0) @ matrix[0] for image in (rgb, recoloured)]


def test_channel_mixing_model_starts_as_the_model_it_grew_from_then_mixes_features():
    plain = _trained_like(opponent_ffdnet(depth=4, width=6))
    mixed = channel_mixing_from(plain, mix_every=1)
    # after each of the 3 hidden layers, 3 channels each add a 1x1 conv of all 3 x 6 features
    mixes = [layer for layer in mixed.layers if layer.name.startswith("mix")]
    assert len(mixes) == 3 * 3
    assert mixed.count_params() == plain.count_params() + 9 * (18 * 6 + 6)
    assert multiply_adds(mixed) - multiply_adds(plain) == 9 * 18 * 6 * 128 * 128
    rng = np.random.default_rng(6)
    rgb = rng.random((2, 10, 12, 3), dtype="float32")
    level = np.full((2, 10, 12, 1), 30 / 255, dtype="float32")
    level[1] = 55 / 255
    expected = plain.predict([rgb, level], verbose=0)
    np.testing.assert_allclose(mixed.predict([rgb, level], verbose=0), expected, atol=1e-5)
    # in the plain model the colour differences cannot reach the output brightness: its
    # pass sees the brightness twice (as its channel and as the guide) and nothing else
    mixed = channel_mixing_from(plain, mix_every=2)
    before = _brightness_after_recolouring(plain, rgb, level, np.random.default_rng(8))
    np.testing.assert_allclose(before[0], before[1], atol=1e-5)
    # once one mixing layer's weights move, they can
    mix = mixed.get_layer("mix2_0")
    mix.set_weights([rng.normal(0, 0.3, w.shape).astype("float32") for w in mix.get_weights()])
    after = _brightness_after_recolouring(mixed, rgb, level, np.random.default_rng(8))
    assert np.abs(after[0] - after[1]).max() > 1e-3


def test_channel_mixing_from_names_what_it_cannot_grow():
    with pytest.raises(ValueError, match="without mix_every"):
        channel_mixing_from(opponent_ffdnet(depth=3, width=4, mix_every=1))
    with pytest.raises(ValueError, match="without mix_every"):
        cross_channel_from(opponent_ffdnet(depth=3, width=4, mix_every=1))
    with pytest.raises(ValueError, match="without cross_channel"):
        channel_mixing_from(opponent_ffdnet(depth=3, width=4, cross_channel=True))
    with pytest.raises(ValueError, match="mix_every must be a positive integer"):
        channel_mixing_from(opponent_ffdnet(depth=3, width=4), mix_every=0)
    with pytest.raises(ValueError, match="mix_every"):
        opponent_ffdnet(depth=3, width=4, mix_every=-1)
