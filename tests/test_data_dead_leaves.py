"""Dead-leaves images: shape, range, determinism and the properties of the model."""

from __future__ import annotations

import numpy as np
import pytest

from deepdenoise.data import dead_leaves


def _flat_fraction(image: np.ndarray) -> float:
    """Fraction of horizontal neighbour pairs with the same value (flat regions)."""
    return float(np.mean(image[:, 1:] == image[:, :-1]))


@pytest.mark.parametrize(("size", "shape"), [(16, (16, 16)), ((20, 35), (20, 35)), (1, (1, 1))])
def test_shape_dtype_range(size, shape):
    image = dead_leaves(size, seed=0)
    assert image.shape == shape and image.dtype == np.float32
    assert image.min() >= 0.0 and image.max() <= 1.0


def test_same_seed_same_image_and_generator_accepted():
    first = dead_leaves(48, seed=5)
    np.testing.assert_array_equal(first, dead_leaves(48, seed=5))
    assert not np.array_equal(first, dead_leaves(48, seed=6))
    rng = np.random.default_rng(5)
    assert not np.array_equal(dead_leaves(48, seed=rng), dead_leaves(48, seed=rng))


def test_piecewise_constant_with_many_leaves():
    image = dead_leaves(96, seed=1)
    assert _flat_fraction(image) > 0.6
    assert np.unique(image).size > 50


def test_larger_leaves_give_flatter_images():
    small = np.mean([_flat_fraction(dead_leaves(64, seed=s, r_min=1)) for s in range(3)])
    large = np.mean([_flat_fraction(dead_leaves(64, seed=s, r_min=8)) for s in range(3)])
    assert large > small


def test_steeper_power_law_gives_more_leaves():
    def levels(alpha):
        return np.mean([np.unique(dead_leaves(64, seed=s, alpha=alpha)).size for s in range(3)])

    assert levels(5.0) > levels(2.0)


def test_first_leaf_stays_on_top():
    # one disk larger than the image covers it all: later leaves are hidden
    image = dead_leaves(32, seed=2, r_min=100, r_max=100)
    assert np.unique(image).size == 1


def test_max_shapes_bounds_the_number_of_levels():
    image = dead_leaves(64, seed=3, max_shapes=3)
    assert np.unique(image).size <= 4  # 3 leaves + the background leaf


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"size": 0}, "size"),
        ({"size": (3,)}, "size"),
        ({"size": (2.5, 3)}, "size"),
        ({"size": "big"}, "size"),
        ({"r_min": 0}, "r_min"),
        ({"r_min": float("nan")}, "r_min"),
        ({"r_min": 5, "r_max": 2}, "r_max"),
        ({"alpha": -1}, "alpha"),
        ({"max_shapes": 0}, "max_shapes"),
        ({"max_shapes": 2.0}, "max_shapes"),
    ],
)
def test_bad_arguments(kwargs, match):
    kwargs = {"size": 8, **kwargs}
    with pytest.raises(ValueError, match=match):
        dead_leaves(**kwargs)
