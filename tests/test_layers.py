"""One harness for every custom Keras layer of deepdenoise.models (in the style of KerasHub's
``run_layer_test``).

The layers are found by scanning the modules of :mod:`deepdenoise.models` for subclasses of
``keras.layers.Layer`` defined there, so a new layer is covered by default: it only needs
an entry in :data:`CASES` (constructor arguments, an input shape and its bad arguments),
and :func:`test_every_custom_layer_has_a_case` fails until it has one.

For each layer the harness checks the config round trip (``get_config``/``from_config``
and ``keras.saving.serialize_keras_object``/``deserialize_keras_object``), the output
shape against ``compute_output_shape`` (eager and symbolic), the output dtype under the
``float32`` and ``mixed_bfloat16`` policies, a ``.keras`` save/load of a small model
holding the layer, the number of weights, and the error a bad constructor argument gives.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

import deepdenoise.models


@dataclass(frozen=True)
class LayerCase:
    """How to exercise one layer.

    Attributes
    ----------
    init : dict
        Constructor arguments other than the defaults, chosen so that the check is not
        trivial (e.g. a block size above 1).
    input_shape : tuple of int
        A batch the layer accepts, batch axis first.
    bad_init : tuple
        ``(kwargs, exception type, regex the message must match)`` for constructor
        arguments the layer must refuse; empty only for a layer that takes none.
    trainable_weights : int
        Number of trainable weights once built.
    """

    init: dict[str, Any]
    input_shape: tuple[int, ...]
    bad_init: tuple[tuple[dict[str, Any], type[Exception], str], ...] = field(default=())
    trainable_weights: int = 0


def _bad_block_sizes() -> tuple[tuple[dict[str, Any], type[Exception], str], ...]:
    return tuple(
        ({"block_size": value}, ValueError, r"block_size must be a positive integer")
        for value in (0, -2, 1.5, "2", True, None)
    )


CASES: dict[str, LayerCase] = {
    "PixelUnshuffle": LayerCase(
        init={"block_size": 2}, input_shape=(2, 6, 4, 3), bad_init=_bad_block_sizes()
    ),
    "PixelShuffle": LayerCase(
        init={"block_size": 2}, input_shape=(2, 3, 2, 12), bad_init=_bad_block_sizes()
    ),
    "ChannelSlice": LayerCase(
        init={"index": 1},
        input_shape=(2, 4, 5, 3),
        bad_init=tuple(
            ({"index": value}, (ValueError, TypeError), "index") for value in (-1, 1.5, "1", None)
        ),
    ),
    "ColourTransform": LayerCase(
        init={"matrix": [[0.5, 0.5, 0.0], [0.0, 1.0, -1.0]], "offset": [0.0, 0.5]},
        input_shape=(2, 4, 5, 3),
        bad_init=(
            ({"offset": [0.0]}, ValueError, "one value per output channel"),
            ({"matrix": [1.0, 2.0]}, ValueError, "2-D table of numbers"),
            ({"matrix": [["a", "b"], ["c", "d"]]}, ValueError, "must hold numbers"),
        ),
    ),
}


def discover_layers() -> dict[str, type[keras.layers.Layer]]:
    """Every ``keras.layers.Layer`` subclass defined in a module of deepdenoise.models.

    Models (``keras.Model`` subclasses) are not layers in this sense and are left out.
    """
    package = deepdenoise.models
    modules = [package] + [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules([str(Path(package.__file__).parent)])
    ]
    found: dict[str, type[keras.layers.Layer]] = {}
    for module in modules:
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, keras.layers.Layer)
                and not issubclass(obj, keras.Model)
                and obj.__module__.startswith(package.__name__)
            ):
                found[name] = obj
    return found


LAYERS = discover_layers()


def sample_input(case: LayerCase, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(case.input_shape).astype(np.float32)


def randomise_weights(layer: keras.layers.Layer) -> None:
    rng = np.random.default_rng(1)
    for variable in layer.weights:
        variable.assign(rng.normal(0.0, 0.5, size=variable.shape).astype(variable.dtype))


def overrides(cls: type) -> bool:
    """Whether the layer defines its own ``compute_output_shape``."""
    return cls.compute_output_shape is not keras.layers.Layer.compute_output_shape


@pytest.fixture(params=sorted(LAYERS), ids=str)
def layer_case(request) -> tuple[type[keras.layers.Layer], LayerCase]:
    name = request.param
    if name not in CASES:
        pytest.fail(f"custom layer {name} has no entry in tests/test_layers.py CASES")
    return LAYERS[name], CASES[name]


def test_discovery_finds_the_known_layers():
    assert {"PixelShuffle", "PixelUnshuffle"} <= set(LAYERS)


def test_every_custom_layer_has_a_case():
    missing = sorted(set(LAYERS) - set(CASES))
    stale = sorted(set(CASES) - set(LAYERS))
    assert not missing, f"add these layers to CASES in tests/test_layers.py: {missing}"
    assert not stale, f"CASES lists layers that no longer exist: {stale}"


def test_config_round_trip(layer_case):
    cls, case = layer_case
    layer = cls(**case.init, name="probe")
    config = layer.get_config()
    for key, value in case.init.items():
        assert config[key] == value, f"get_config() must return {key}"
    clone = cls.from_config(config)
    assert type(clone) is cls and clone.name == "probe"
    assert clone.get_config() == config


def test_keras_serialization_round_trip(layer_case):
    cls, case = layer_case
    layer = cls(**case.init)
    serialized = keras.saving.serialize_keras_object(layer)
    assert serialized["registered_name"] == f"deepdenoise>{cls.__name__}"
    assert keras.saving.get_registered_object(serialized["registered_name"]) is cls
    restored = keras.saving.deserialize_keras_object(serialized)
    assert type(restored) is cls
    assert restored.get_config() == layer.get_config()


def test_output_shape_matches_compute_output_shape(layer_case):
    cls, case = layer_case
    if not overrides(cls):
        pytest.skip(f"{cls.__name__} does not define compute_output_shape")
    layer = cls(**case.init)
    output = layer(sample_input(case))
    assert tuple(output.shape) == tuple(layer.compute_output_shape(case.input_shape))
    # Symbolic, with unknown batch and spatial sizes: the same rule, None where unknown.
    symbolic_shape = (None, None, None, *case.input_shape[3:])
    symbolic = cls(**case.init)(keras.Input(batch_shape=symbolic_shape))
    assert tuple(symbolic.shape) == tuple(layer.compute_output_shape(symbolic_shape))


@pytest.mark.parametrize(
    ("policy", "compute_dtype"), [("float32", "float32"), ("mixed_bfloat16", "bfloat16")]
)
def test_output_dtype_follows_the_policy(layer_case, policy, compute_dtype):
    cls, case = layer_case
    x = sample_input(case)
    reference = np.asarray(cls(**case.init)(x))
    layer = cls(**case.init, dtype=policy)
    assert layer.compute_dtype == compute_dtype
    output = layer(x)
    assert keras.backend.standardize_dtype(output.dtype) == compute_dtype
    assert all(weight.dtype == "float32" for weight in layer.weights)  # variables stay float32
    values = keras.ops.convert_to_numpy(keras.ops.cast(output, "float32"))
    tolerance = 0.0 if compute_dtype == "float32" else 0.02 * max(1.0, np.abs(reference).max())
    np.testing.assert_allclose(values, reference, rtol=0, atol=tolerance)
    # The policy is part of the config.
    assert cls.from_config(layer.get_config()).compute_dtype == compute_dtype


def test_weight_count(layer_case):
    cls, case = layer_case
    layer = cls(**case.init)
    layer(sample_input(case))
    assert len(layer.trainable_weights) == case.trainable_weights


def test_model_with_the_layer_saves_and_loads(layer_case, tmp_path):
    cls, case = layer_case
    inputs = keras.Input(case.input_shape[1:])
    layer = cls(**case.init, name="under_test")
    model = keras.Model(inputs, layer(inputs))
    randomise_weights(layer)
    x = sample_input(case, seed=2)
    expected = model.predict(x, verbose=0)
    path = tmp_path / f"{cls.__name__}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # no custom_objects: the registration suffices
    restored = loaded.get_layer("under_test")
    assert type(restored) is cls and restored.get_config() == layer.get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)


def test_bad_constructor_arguments_fail_clearly(layer_case):
    cls, case = layer_case
    if not case.bad_init:
        if len(inspect.signature(cls.__init__).parameters) > 2:  # self, **kwargs
            pytest.fail(f"{cls.__name__} takes arguments: list bad ones in CASES[...].bad_init")
        pytest.skip(f"{cls.__name__} takes no arguments of its own")
    for kwargs, error, match in case.bad_init:
        with pytest.raises(error, match=match):
            cls(**{**case.init, **kwargs})
