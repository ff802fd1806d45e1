"""The shared input checks: every message names the argument and what was wrong."""

from __future__ import annotations

import numpy as np
import pytest

from lacv import _validate as v
from lacv.errors import InputError


def test_as_array_converts_to_float64():
    out = v.as_array([[1, 2], [3, 4]], "A", ndim=2)
    assert out.dtype == np.float64 and out.shape == (2, 2)


@pytest.mark.parametrize(
    ("value", "kwargs", "match"),
    [
        ([1.0, np.nan], {}, r"x: expected finite values, got NaN at index 1 \(1 non-finite"),
        ([[1.0, -np.inf]], {}, r"x: expected finite values, got -inf at index \(0, 1\)"),
        ([], {}, r"x: expected a non-empty array"),
        ([[1.0, 2.0]], {"ndim": 1}, r"x: expected a 1-D array, got an array of shape \(1, 2\)"),
        ([1.0, 2.0], {"shape": (None, 2)}, r"x: expected shape \(N, 2\)"),
        ([1 + 2j], {}, r"x: expected real numbers, got complex"),
        ("abc", {}, r"x: expected an array of numbers, got str"),
        ([[1.0], [1.0, 2.0]], {}, r"x: expected a rectangular array"),
    ],
)
def test_as_array_errors(value, kwargs, match):
    with pytest.raises(InputError, match=match):
        v.as_array(value, "x", **kwargs)


def test_input_error_is_value_error():
    with pytest.raises(ValueError):
        v.as_array(None, "x")


def test_as_points():
    assert v.as_points([1.0, 2.0], "src").shape == (1, 2)
    with pytest.raises(InputError, match=r"src: expected points of shape \(N, 2\), got an array "
                                         r"of shape \(3, 3\)"):
        v.as_points(np.ones((3, 3)), "src")
    with pytest.raises(InputError, match=r"src: expected at least 4 points, got 3"):
        v.as_points(np.ones((3, 2)), "src", min_count=4)
    # coordinates whose squares would overflow are refused by name, NaN by its own message
    with pytest.raises(InputError, match=r"dst: coordinates up to 1e\+200 are too large"):
        v.as_points(np.full((3, 2), -1e200), "dst")
    with pytest.raises(InputError, match=r"src: expected finite values, got NaN at index \(1, 0\)"):
        v.as_points([[1.0, 2.0], [np.nan, 1.0]], "src")
    big = np.full((2, 2), 1e75)
    assert v.as_points(big, "src").shape == (2, 2)


def test_same_length_and_scalars():
    with pytest.raises(InputError, match="src has 3, dst has 4"):
        v.check_same_length(src=np.ones((3, 2)), dst=np.ones((4, 2)))
    assert v.check_positive(2, "lr") == 2.0
    with pytest.raises(InputError, match=r"lr: expected a number > 0, got 0"):
        v.check_positive(0, "lr")
    with pytest.raises(InputError, match="threshold_px: expected a finite number"):
        v.check_positive(float("nan"), "threshold_px")
    with pytest.raises(InputError, match="confidence: expected a number strictly between"):
        v.check_probability(1.0, "confidence")
    with pytest.raises(InputError, match="max_trials: expected an integer >= 1, got 0"):
        v.check_int(0, "max_trials", minimum=1)
    with pytest.raises(InputError, match="max_trials: expected an integer, got bool"):
        v.check_int(True, "max_trials")
    with pytest.raises(InputError, match="kind: expected one of 'a', 'b', got 'c'"):
        v.check_choice("c", "kind", ["a", "b"])


def test_scalar_checks_refuse_integers_beyond_float64():
    # a Python int too large for float64 made np.isfinite raise a raw TypeError
    with pytest.raises(InputError, match="tol: expected a finite number, got int"):
        v.check_positive(10**400, "tol")
    with pytest.raises(InputError, match="confidence: expected a number in"):
        v.check_probability(10**400, "confidence")
    assert v.check_positive(10**30, "max_pixels") == 1e30


def test_check_threshold_bounds_its_square():
    assert v.check_threshold(3, "threshold_px") == 3.0
    for bad in (1e-300, 1e200):
        with pytest.raises(InputError, match="threshold_px: expected a threshold between"):
            v.check_threshold(bad, "threshold_px")
    with pytest.raises(InputError, match="threshold_px: expected a number > 0"):
        v.check_threshold(0.0, "threshold_px")


def test_as_image_refuses_floats_beyond_float32():
    # float images are processed in float32: 1e100 became inf with a RuntimeWarning
    with pytest.raises(InputError, match="image: pixel values up to 1e\\+100 exceed float32"):
        v.as_image(np.full((4, 4), 1e100))
    assert v.as_image(np.full((4, 4), 0.5)).dtype == np.float32


def test_as_rng_is_deterministic():
    assert v.as_rng(3).random() == v.as_rng(3).random()
    g = np.random.default_rng(0)
    assert v.as_rng(g) is g
    with pytest.raises(InputError, match="rng: expected a numpy.random.Generator"):
        v.as_rng("seed")
    with pytest.raises(InputError, match="rng: expected a non-negative integer seed"):
        v.as_rng(-1)
