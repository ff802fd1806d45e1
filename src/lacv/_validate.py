"""Shared input checks: array-likes in, float64 arrays out, clear errors.

Every public function of lacv passes its array arguments through these
helpers, so a bad input fails at the boundary with an :class:`InputError`
whose message names the argument, states what was received (shape, dtype, a
non-finite value and where it is) and what was expected — never a NumPy
traceback from deep inside an algorithm.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from lacv.errors import InputError

__all__ = [
    "as_array",
    "as_image",
    "as_matrix",
    "as_points",
    "as_rng",
    "check_choice",
    "check_finite",
    "check_int",
    "check_positive",
    "check_probability",
    "check_same_length",
    "check_threshold",
    "describe",
]


def describe(value: Any) -> str:
    """A short description of what was received, for error messages."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError):
            return f"a ragged {type(value).__name__} of length {len(value)}"
        if arr.dtype == object:
            return f"a ragged {type(value).__name__} of length {len(value)}"
        return f"a {type(value).__name__} of shape {arr.shape}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _to_float_array(value: Any, name: str) -> np.ndarray:
    if value is None:
        raise InputError(f"{name}: expected an array of numbers, got None")
    if isinstance(value, (str, bytes)):
        raise InputError(f"{name}: expected an array of numbers, got {describe(value)}")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"{name}: expected a rectangular array of numbers, got {describe(value)} ({exc})"
        ) from None
    if arr.dtype == object:
        raise InputError(
            f"{name}: expected a rectangular array of numbers, got {describe(value)}"
        )
    if arr.dtype.kind == "c":
        raise InputError(f"{name}: expected real numbers, got complex dtype {arr.dtype}")
    if arr.dtype.kind not in "biuf":
        raise InputError(
            f"{name}: expected an array of real numbers, got dtype {arr.dtype} "
            f"(shape {arr.shape})"
        )
    return arr.astype(np.float64, copy=False)


def check_finite(arr: np.ndarray, name: str) -> np.ndarray:
    """Raise :class:`InputError` naming the first NaN or infinity in ``arr``."""
    finite = np.isfinite(arr)
    if not finite.all():
        bad = np.argwhere(~finite)
        where = tuple(int(i) for i in bad[0])
        where_text = str(where[0]) if len(where) == 1 else str(where)
        value = arr[tuple(bad[0])]
        kind = "NaN" if np.isnan(value) else ("+inf" if value > 0 else "-inf")
        raise InputError(
            f"{name}: expected finite values, got {kind} at index {where_text} "
            f"({len(bad)} non-finite value{'s' if len(bad) != 1 else ''} "
            f"in an array of shape {arr.shape})"
        )
    return arr


def as_array(
    value: Any,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    min_ndim: int | None = None,
    shape: Sequence[int | None] | None = None,
    allow_empty: bool = False,
    finite: bool = True,
    copy: bool = False,
) -> np.ndarray:
    """Convert ``value`` to a float64 array and check it.

    Parameters
    ----------
    value : array_like
        What the caller passed.
    name : str
        The argument's name, used in error messages.
    ndim : int or sequence of int, optional
        Allowed numbers of dimensions.
    min_ndim : int, optional
        The least number of dimensions (for stacked inputs ``(..., m, n)``).
    shape : sequence of int or None, optional
        Required trailing shape; ``None`` entries match any size. With
        ``min_ndim`` the shape is matched against the trailing axes.
    allow_empty : bool
        Whether an array with no elements is acceptable.
    finite : bool
        Whether NaN and infinities are rejected.
    copy : bool
        Return a copy even when the input already is a float64 array.

    Returns
    -------
    ndarray of float64

    Raises
    ------
    InputError
        When any check fails; the message names ``name``.
    """
    arr = _to_float_array(value, name)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise InputError(f"{name}: expected a {want} array, got {describe(arr)}")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise InputError(
            f"{name}: expected an array with at least {min_ndim} dimensions, "
            f"got {describe(arr)}"
        )
    if shape is not None:
        trailing = arr.shape[len(arr.shape) - len(shape):] if arr.ndim >= len(shape) else None
        ok = trailing is not None and all(
            want is None or want == got for want, got in zip(shape, trailing, strict=True)
        )
        if min_ndim is None and arr.ndim != len(shape):
            ok = False
        if not ok:
            pretty = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
            if min_ndim is not None:
                pretty = "(..., " + pretty[1:]
            raise InputError(f"{name}: expected shape {pretty}, got {describe(arr)}")
    if not allow_empty and arr.size == 0:
        raise InputError(f"{name}: expected a non-empty array, got {describe(arr)}")
    if finite:
        check_finite(arr, name)
    if copy:
        arr = arr.copy()
    return arr


def as_matrix(value: Any, name: str, *, stacked: bool = False, finite: bool = True) -> np.ndarray:
    """A float64 matrix ``(m, n)``, or a stack ``(..., m, n)`` when ``stacked``."""
    if stacked:
        return as_array(value, name, min_ndim=2, finite=finite)
    return as_array(value, name, ndim=2, finite=finite)


def as_points(value: Any, name: str, *, dim: int = 2, min_count: int = 1) -> np.ndarray:
    """Points as a float64 ``(N, dim)`` array with at least ``min_count`` rows.

    A single point of shape ``(dim,)`` is accepted and returned as ``(1, dim)``.
    """
    arr = _to_float_array(value, name)
    if arr.ndim == 1 and arr.shape[0] == dim:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise InputError(f"{name}: expected points of shape (N, {dim}), got {describe(arr)}")
    if arr.shape[0] < min_count:
        raise InputError(
            f"{name}: expected at least {min_count} point{'s' if min_count != 1 else ''}, "
            f"got {arr.shape[0]}"
        )
    # one pass for both tests: NaN fails the comparison too and gets check_finite's message
    biggest = np.abs(arr).max(initial=0.0)
    if not biggest <= _MAX_COORDINATE:
        check_finite(arr, name)
        raise InputError(f"{name}: coordinates up to {biggest:.3g} are too large to square "
                         f"without overflow (the limit is {_MAX_COORDINATE:.0e}); rescale them")
    return arr


#: largest accepted magnitude of a point coordinate: products of four of them stay finite
_MAX_COORDINATE = 1e75


def check_same_length(**arrays: np.ndarray) -> int:
    """Check that the arrays have the same first dimension; return it."""
    lengths = {name: len(arr) for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        text = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise InputError(f"expected the same number of rows: {text}")
    return next(iter(lengths.values()))


def check_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """Check that ``value`` is one of ``choices``; return it."""
    options = tuple(choices)
    if not isinstance(value, str) or value not in options:
        listed = ", ".join(repr(c) for c in options)
        raise InputError(f"{name}: expected one of {listed}, got {value!r}")
    return value


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_finite_real(value: Any) -> bool:
    """A real number (not a bool) that float64 holds finitely (a huge Python int is not)."""
    if not _is_real(value):
        return False
    try:
        return bool(np.isfinite(float(value)))
    except OverflowError:
        return False


def check_positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """A finite real number > 0 (or >= 0 with ``allow_zero``)."""
    if not _is_finite_real(value):
        raise InputError(f"{name}: expected a finite number, got {describe(value)}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise InputError(f"{name}: expected a number {bound}, got {value!r}")
    return float(value)


def check_probability(value: Any, name: str, *, open_interval: bool = True) -> float:
    """A number in (0, 1) (or [0, 1] with ``open_interval=False``)."""
    if not _is_finite_real(value):
        raise InputError(f"{name}: expected a number in (0, 1), got {describe(value)}")
    if open_interval and not 0 < value < 1:
        raise InputError(f"{name}: expected a number strictly between 0 and 1, got {value!r}")
    if not open_interval and not 0 <= value <= 1:
        raise InputError(f"{name}: expected a number in [0, 1], got {value!r}")
    return float(value)


#: least and largest accepted threshold: its square stays a positive, normal, finite float64
_MIN_THRESHOLD = 1e-150
_MAX_THRESHOLD = 1e150


def check_threshold(value: Any, name: str) -> float:
    """An inlier threshold: a number > 0 whose square neither underflows nor overflows.

    Robust estimators compare squared errors with ``threshold²`` and divide by
    it, so a threshold of 1e-300 (square 0) or 1e200 (square inf) has no
    meaning in float64; both are refused here with the bounds in the message.
    """
    thr = check_positive(value, name)
    if not _MIN_THRESHOLD <= thr <= _MAX_THRESHOLD:
        raise InputError(f"{name}: expected a threshold between {_MIN_THRESHOLD:.0e} and "
                         f"{_MAX_THRESHOLD:.0e} (it is squared), got {thr:.3g}")
    return thr


def check_int(value: Any, name: str, *, minimum: int | None = None) -> int:
    """An integer (not a bool), at least ``minimum`` when given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name}: expected an integer, got {describe(value)}")
    if minimum is not None and value < minimum:
        raise InputError(f"{name}: expected an integer >= {minimum}, got {value}")
    return int(value)


def as_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    """A ``numpy.random.Generator`` from a Generator, an integer seed, or None."""
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        if isinstance(rng, bool):
            raise InputError(f"{name}: expected a Generator, an integer seed or None, got bool")
        if isinstance(rng, numbers.Integral) and rng < 0:
            raise InputError(f"{name}: expected a non-negative integer seed, got {rng}")
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise InputError(
        f"{name}: expected a numpy.random.Generator, an integer seed or None, got {describe(rng)}"
    )


def as_image(image: Any, name: str = "image") -> np.ndarray:
    """Check an image argument: ``(H, W)`` or ``(H, W, 3)``, uint8 / uint16 / float, finite.

    Returns the array itself (no copy, no conversion); raises
    :class:`InputError` naming ``name`` otherwise.
    """
    if isinstance(image, (str, os.PathLike)):
        raise InputError(f"{name}: expected an image array, got the path {str(image)!r} "
                         "(read it with lacv.imaging.read_image)")
    try:
        arr = np.asarray(image)
    except (ValueError, TypeError):
        raise InputError(f"{name}: expected an image array, got {describe(image)}") from None
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    if arr.dtype.kind not in "uif" or arr.dtype.itemsize > 8:
        raise InputError(f"{name}: expected an image of numbers, got {describe(image)}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise InputError(f"{name}: expected shape (H, W) or (H, W, 3), got {describe(arr)}")
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        raise InputError(f"{name}: expected an image of at least 2×2 pixels, got {describe(arr)}")
    if arr.dtype.kind in "iu" and arr.dtype not in (np.uint8, np.uint16):
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi > 65535:
            raise InputError(f"{name}: integer values must lie in [0, 65535], got [{lo}, {hi}]")
        arr = arr.astype(np.uint8 if hi <= 255 else np.uint16)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise InputError(f"{name}: expected finite pixel values, got NaN or infinity")
        biggest = float(np.max(np.abs(arr)))
        if biggest > _FLOAT32_MAX:
            raise InputError(f"{name}: pixel values up to {biggest:.3g} exceed float32's range "
                             f"({_FLOAT32_MAX:.3g}); rescale the image")
        arr = arr.astype(np.float32, copy=False)
    return arr


#: the largest float32: float images are processed in single precision
_FLOAT32_MAX = float(np.finfo(np.float32).max)
