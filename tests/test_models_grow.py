"""models.deepen_ffdnet: a deeper FFDNet that starts out computing the same function."""

from __future__ import annotations

import numpy as np
import pytest

from deepdenoise.models import dncnn, ffdnet
from deepdenoise.models.grow import deepen_ffdnet


def _inputs(channels: int) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    noisy = rng.random((2, 12, 10, channels), dtype="float32")
    sigma_map = np.full((2, 12, 10, 1), 30 / 255, dtype="float32")
    return [noisy, sigma_map]


def _kernels(model) -> list[np.ndarray]:
    return [layer.get_weights()[0] for layer in model.layers if layer.name.startswith("conv")]


def _trained_like(model):
    """Give every layer random non-zero weights, so identity is not trivially kept."""
    rng = np.random.default_rng(7)
    model.set_weights([rng.normal(0, 0.2, w.shape).astype("float32") for w in model.get_weights()])
    return model


@pytest.mark.parametrize(
    ("channels", "old", "new"), [(1, 3, 3), (1, 3, 6), (3, 4, 7), (1, 12, 15)]
)
def test_deeper_model_computes_the_same_function(channels, old, new):
    small = _trained_like(ffdnet(depth=old, width=6, channels=channels))
    deep = deepen_ffdnet(small, depth=new)
    assert len([layer for layer in deep.layers if layer.name.startswith("conv")]) == new
    inputs = _inputs(channels)
    np.testing.assert_allclose(
        small.predict(inputs, verbose=0), deep.predict(inputs, verbose=0), atol=1e-5
    )


def test_trained_layers_keep_their_order_and_new_ones_are_identities():
    small = _trained_like(ffdnet(depth=4, width=5))
    deep = deepen_ffdnet(small, depth=6)
    small_kernels = [
        layer.get_weights()[0] for layer in small.layers if layer.name.startswith("conv")
    ]
    deep_kernels = [
        layer.get_weights()[0] for layer in deep.layers if layer.name.startswith("conv")
    ]
    identity = np.zeros((3, 3, 5, 5), dtype="float32")
    identity[1, 1] = np.eye(5)
    copied = [k for k in deep_kernels if not np.array_equal(k, identity)]
    assert len(copied) == 4
    for ours, theirs in zip(copied, small_kernels, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert np.array_equal(deep_kernels[0], small_kernels[0])
    assert np.array_equal(deep_kernels[-1], small_kernels[-1])


def test_a_model_changed_after_deepening_is_not_shared():
    small = _trained_like(ffdnet(depth=3, width=4))
    deep = deepen_ffdnet(small, depth=4)
    before = small.get_weights()
    deep.set_weights([w + 1 for w in deep.get_weights()])
    for a, b in zip(before, small.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="model must be an ffdnet"):
        deepen_ffdnet(dncnn(depth=3, width=4), depth=5)
    with pytest.raises(ValueError, match="depth must be an integer of at least the model's 4"):
        deepen_ffdnet(ffdnet(depth=4, width=4), depth=3)
    with pytest.raises(ValueError, match="depth"):
        deepen_ffdnet(ffdnet(depth=4, width=4), depth=5.0)
