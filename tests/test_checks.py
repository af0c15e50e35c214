"""The shared argument checks: one exception rule for every check.

A wrong *type* raises ``ArgumentTypeError``, which is both a ``TypeError`` and a
``ValueError``; a value of the right type but out of range raises a plain
``ValueError`` (never a ``TypeError``).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from deepdenoise import _checks
from deepdenoise._checks import (
    ArgumentTypeError,
    as_generator,
    check_fraction,
    check_image,
    check_non_negative_int,
    check_positive_int,
    check_positive_number,
    check_sigma,
)

Check = Callable[[object], Any]

CHECKS: dict[str, Check] = {
    "check_positive_int": lambda value: check_positive_int(value, "arg"),
    "check_non_negative_int": lambda value: check_non_negative_int(value, "arg"),
    "check_positive_number": lambda value: check_positive_number(value, "arg"),
    "check_positive_number_allow_zero": lambda value: check_positive_number(
        value, "arg", allow_zero=True
    ),
    "check_fraction": lambda value: check_fraction(value, "arg"),
    "check_sigma": lambda value: check_sigma(value, "arg"),
    "check_sigma_allow_zero": lambda value: check_sigma(value, "arg", allow_zero=True),
    "check_image": lambda value: check_image(value, "arg"),
    "as_generator": as_generator,
}

WRONG_TYPES: dict[str, list[object]] = {
    "check_positive_int": ["3", 3.0, True, None, [3], np.float32(2)],
    "check_non_negative_int": ["0", 0.0, False, None, (1,)],
    "check_positive_number": ["1", True, None, [1.0], 1j, np.array([1.0])],
    "check_positive_number_allow_zero": ["0", False, None],
    "check_fraction": ["0.5", True, None, [0.5]],
    "check_sigma": ["25", True, None, [25]],
    "check_sigma_allow_zero": ["0", False],
    "check_image": [np.array([["a", "b"]]), [[None, None]]],
    "as_generator": [1.5, "0", [1, 2], True],
}

OUT_OF_RANGE: dict[str, list[object]] = {
    "check_positive_int": [0, -1, np.int64(-5)],
    "check_non_negative_int": [-1, np.int32(-2)],
    "check_positive_number": [0, -1.5, float("nan"), float("inf"), -float("inf")],
    "check_positive_number_allow_zero": [-1e-9, float("nan"), float("inf")],
    "check_fraction": [-0.1, 1.5, float("nan")],
    "check_sigma": [0, -1, 256, float("nan"), float("inf")],
    "check_sigma_allow_zero": [-1, 255.5],
    "check_image": [np.zeros(4), np.zeros((0, 3)), np.full((2, 2), np.nan)],
    "as_generator": [-1],  # numpy refuses negative seeds with a ValueError
}

ACCEPTED: dict[str, list[tuple[object, object]]] = {
    "check_positive_int": [(1, 1), (np.int64(7), 7), (np.uint8(3), 3)],
    "check_non_negative_int": [(0, 0), (np.int64(4), 4)],
    "check_positive_number": [
        (2, 2.0),
        (1e-3, 1e-3),
        (np.float32(0.5), 0.5),
        (Fraction(1, 4), 0.25),
    ],
    "check_positive_number_allow_zero": [(0, 0.0), (0.0, 0.0), (3, 3.0)],
    "check_fraction": [(0, 0.0), (1, 1.0), (np.float64(0.25), 0.25)],
    "check_sigma": [(25, 25.0), (255, 255.0)],
    "check_sigma_allow_zero": [(0, 0.0)],
}


def _cases(table: dict[str, list[Any]]) -> list[Any]:
    return [
        pytest.param(name, value, id=f"{name}-{value!r}")
        for name in table
        for value in table[name]
    ]


def test_every_check_has_cases() -> None:
    assert set(WRONG_TYPES) == set(OUT_OF_RANGE) == set(CHECKS)
    public = {name for name in _checks.__all__ if name != "ArgumentTypeError"}
    assert public <= {name.removesuffix("_allow_zero") for name in CHECKS}


def test_argument_type_error_is_both() -> None:
    assert issubclass(ArgumentTypeError, TypeError)
    assert issubclass(ArgumentTypeError, ValueError)


@pytest.mark.parametrize(("name", "value"), _cases(WRONG_TYPES))
def test_wrong_type_raises_argument_type_error(name: str, value: object) -> None:
    check = CHECKS[name]
    with pytest.raises(ArgumentTypeError):
        check(value)
    with pytest.raises(TypeError):
        check(value)
    with pytest.raises(ValueError):
        check(value)


@pytest.mark.parametrize(("name", "value"), _cases(OUT_OF_RANGE))
def test_out_of_range_raises_value_error_not_type_error(name: str, value: object) -> None:
    with pytest.raises(ValueError) as caught:
        CHECKS[name](value)
    assert not isinstance(caught.value, TypeError), caught.value


@pytest.mark.parametrize(("name", "case"), _cases(ACCEPTED))
def test_valid_values_come_back_as_python_numbers(name: str, case: tuple[object, object]) -> None:
    value, expected = case
    result = CHECKS[name](value)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (check_positive_int, "3", "depth must be a positive integer, got '3'"),
        (check_positive_int, 0, "depth must be a positive integer, got 0"),
        (check_non_negative_int, -1, "depth must be an integer >= 0, got -1"),
        (check_positive_number, float("nan"), "depth must be a finite number > 0, got nan"),
        (check_fraction, 2, "depth must lie in [0, 1], got 2"),
    ],
)
def test_messages_name_the_argument(
    check: Callable[..., Any], value: object, message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        check(value, "depth")
    assert str(caught.value) == message


def test_check_image_keeps_float32_without_a_copy() -> None:
    image = np.zeros((3, 3), np.float32)
    assert check_image(image) is image


# --- the rule holds where the package calls the checks ------------------------------------


def _psnr(data_range: object) -> object:
    from deepdenoise.metrics import psnr

    return psnr(np.zeros((4, 4)), np.full((4, 4), 0.1), data_range=data_range)  # type: ignore[arg-type]


def _poisson(peak: object) -> object:
    from deepdenoise.noise import add_poisson_noise

    return add_poisson_noise(np.zeros((4, 4)), peak, seed=0)  # type: ignore[arg-type]


def _salt(amount: object) -> object:
    from deepdenoise.noise import add_salt_and_pepper_noise

    return add_salt_and_pepper_noise(np.zeros((4, 4)), amount, seed=0)  # type: ignore[arg-type]


def _leaves(r_min: object) -> object:
    from deepdenoise.data import dead_leaves

    return dead_leaves(8, seed=0, r_min=r_min)  # type: ignore[arg-type]


def _leaves_size(size: object) -> object:
    from deepdenoise.data import dead_leaves

    return dead_leaves(size, seed=0)  # type: ignore[arg-type]


def _schedule(learning_rate: object) -> object:
    from deepdenoise.train import make_schedule

    return make_schedule(learning_rate, schedule="constant")  # type: ignore[arg-type]


def _momentum(bn_momentum: object) -> object:
    from deepdenoise.models import get_model

    return get_model("dncnn", depth=3, width=4, bn_momentum=bn_momentum)


def _denoise_dtype(dtype: object) -> object:
    from deepdenoise.inference import denoise
    from deepdenoise.models import get_model

    model = get_model("dncnn", depth=2, width=4, batch_norm=False)
    return denoise(model, np.zeros((8, 8), dtype=dtype), tile=None)  # type: ignore[arg-type]


CALL_SITES: dict[str, tuple[Check, object, object]] = {
    # name: (function of one argument, a value of the wrong type, a value out of range)
    "metrics.psnr(data_range)": (_psnr, "1", 0),
    "noise.add_poisson_noise(peak)": (_poisson, "10", -1.0),
    "noise.add_salt_and_pepper_noise(amount)": (_salt, "0.1", 1.5),
    "data.dead_leaves(r_min)": (_leaves, "1", float("nan")),
    "data.dead_leaves(size)": (_leaves_size, (2.5, 3), (0, 3)),
    "train.make_schedule(learning_rate)": (_schedule, "0.1", float("inf")),
    "models.dncnn(bn_momentum)": (_momentum, "0.9", 1.0),
}


@pytest.mark.parametrize(
    "call",
    [
        lambda: _denoise_dtype(np.int32),
        lambda: __import__("deepdenoise.denoisers").denoisers.get_denoiser(None),
        lambda: __import__("deepdenoise.models").models.model_info("dncnn"),
    ],
    ids=["inference.denoise(int32 image)", "get_denoiser(None)", "model_info(str)"],
)
def test_wrong_types_elsewhere_raise_argument_type_error(call: Callable[[], object]) -> None:
    with pytest.raises(ArgumentTypeError):
        call()


@pytest.mark.parametrize("site", list(CALL_SITES))
def test_call_sites_follow_the_rule(site: str) -> None:
    function, wrong_type, out_of_range = CALL_SITES[site]
    with pytest.raises(ArgumentTypeError):
        function(wrong_type)
    with pytest.raises(ValueError) as caught:
        function(out_of_range)
    assert not isinstance(caught.value, TypeError), caught.value
