"""Gradient and Jacobian checks: analytic derivatives against central differences.

The error measure is the maximum over entries of the relative error

.. math:: e_i = \\frac{|a_i - n_i|}{\\max(|a_i|, |n_i|, \\text{floor})}

between the analytic value ``a`` and the numerical ``n``. The floor keeps
0/0 from happening and stops rounding noise in near-zero entries from
dominating: by default it is ``1e-3 · max(max|a|, max|n|)`` (and at least
``1e-12``, for gradients that vanish), so an entry is
judged relative to itself when it is within three orders of magnitude of the
largest, and relative to a thousandth of the largest when it is smaller.
Central differences carry an absolute error of about ``ε^{2/3} ≈ 4·10⁻¹¹``
times the scale of ``f``; without the floor that noise alone would read as a
100 % error in an entry that should be zero. A wrong entry is still caught:
one that is off by its own size reads as ``|a_i| / floor``. At a stationary
point (every entry near zero) relative errors say little: pass ``floor``.
In float64 a correct derivative typically gives errors of 1e-9 or less;
1e-7 is a strict pass mark (CS231n's notes use 1e-7 for "probably right",
1e-2 for "probably wrong").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lacv._validate import as_array, check_positive, describe
from lacv.calculus.differences import _check_callable, _numbers, gradient, jacobian
from lacv.errors import InputError

__all__ = ["check_gradient", "check_jacobian", "relative_error"]


def relative_error(analytic: Any, numeric: Any, *, floor: float | None = None) -> float:
    """The largest entry-wise relative error between two arrays of the same shape.

    Parameters
    ----------
    analytic, numeric : array_like
        Same shape.
    floor : float, optional
        Least denominator; default ``max(1e-3 · max(max|analytic|, max|numeric|), 1e-12)``.

    Returns
    -------
    float
        ``max_i |a_i - n_i| / max(|a_i|, |n_i|, floor)``; ``0.0`` for empty arrays.
    """
    a = as_array(analytic, "analytic", allow_empty=True)
    n = as_array(numeric, "numeric", allow_empty=True)
    if a.shape != n.shape:
        raise InputError(f"analytic: expected shape {n.shape} to match the numerical "
                         f"derivative, got {describe(a)}")
    if a.size == 0:
        return 0.0
    if floor is None:
        scale = max(float(np.max(np.abs(n))), float(np.max(np.abs(a))))
        floor = max(1e-3 * scale, 1e-12)
    else:
        floor = check_positive(floor, "floor")
    denom = np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)
    return float(np.max(np.abs(a - n) / denom))


def check_gradient(f: Callable[[np.ndarray], Any], grad_f: Callable[[np.ndarray], Any],
                   x: Any, *, h: Any = None, floor: float | None = None) -> float:
    """Compare an analytic gradient with central differences; return the max relative error.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    grad_f : callable
        ``grad_f(x) -> array`` of ``x``'s shape: the gradient to check.
    x : array_like, any shape
        Where to check.
    h : float or array_like, optional
        Finite-difference steps (see :func:`lacv.calculus.gradient`).
    floor : float, optional
        Least denominator of the relative error (see :func:`relative_error`).

    Returns
    -------
    float
        The maximum relative error; below about 1e-7 means the gradient is right.

    Examples
    --------
    >>> import numpy as np
    >>> from lacv.calculus import check_gradient
    >>> f = lambda x: np.sum(x**3)
    >>> check_gradient(f, lambda x: 3 * x**2, np.array([1.0, -2.0])) < 1e-8
    True
    >>> check_gradient(f, lambda x: 2 * x**2, np.array([1.0, -2.0])) > 0.1   # wrong
    True
    """
    _check_callable(f, "f")
    _check_callable(grad_f, "grad_f")
    x_arr = as_array(x, "x", copy=True)
    analytic = _numbers(grad_f(x_arr.copy()), "grad_f", "check_gradient")
    if analytic.shape != x_arr.shape and analytic.size == x_arr.size:
        analytic = analytic.reshape(x_arr.shape)
    if analytic.shape != x_arr.shape:
        raise InputError(f"grad_f: expected a gradient of shape {x_arr.shape} (the shape of x), "
                         f"got {describe(analytic)}")
    numeric = gradient(f, x_arr, h=h)
    return relative_error(analytic, numeric, floor=floor)


def check_jacobian(f: Callable[[np.ndarray], Any], jac_f: Callable[[np.ndarray], Any],
                   x: Any, *, h: Any = None, floor: float | None = None) -> float:
    """Compare an analytic Jacobian (m × d, numerator layout) with central differences.

    Parameters
    ----------
    f : callable
        ``f(x) -> array`` with ``m`` entries.
    jac_f : callable
        ``jac_f(x) -> (m, d) array``: the Jacobian to check.
    x : array_like
        Where to check (``d`` entries).
    h, floor : optional
        As for :func:`check_gradient`.

    Returns
    -------
    float
        The maximum relative error.
    """
    _check_callable(jac_f, "jac_f")
    x_arr = as_array(x, "x", copy=True)
    numeric = jacobian(f, x_arr, h=h)
    analytic = _numbers(jac_f(x_arr.copy()), "jac_f", "check_jacobian")
    if analytic.shape != numeric.shape:
        if analytic.size == numeric.size and analytic.ndim != 2:
            analytic = analytic.reshape(numeric.shape)
        else:
            raise InputError(f"jac_f: expected a Jacobian of shape {numeric.shape} "
                             f"(m outputs × d inputs, numerator layout), got {describe(analytic)}")
    return relative_error(analytic, numeric, floor=floor)
