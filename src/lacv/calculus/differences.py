"""Central-difference derivatives in float64, with steps scaled to ``x``.

For a smooth ``f`` the central difference

.. math:: f'(x) \\approx \\frac{f(x + h) - f(x - h)}{2h}

has truncation error ``O(h²)`` and rounding error ``O(ε/h)``; the two balance
at ``h ≈ ε^{1/3}``, about 6·10⁻⁶, scaled by ``max(1, |x|)`` so the step is
relative for large arguments. Second differences balance at ``h ≈ ε^{1/4}``.
The step is rounded so that ``x + h`` is exactly representable, which removes
one source of error (Press et al., *Numerical Recipes*, 3rd ed., §5.7).

Layouts: :func:`gradient` returns an array of ``x``'s shape; :func:`jacobian`
uses the numerator layout, ``m × d`` for ``f: ℝᵈ → ℝᵐ`` (the lecture's
example writes the transpose; NumPy, JAX and PyTorch use this one).

References
----------
.. [1] J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., 2006,
   §8.1 (finite-difference derivative approximations).
.. [2] W. H. Press et al., *Numerical Recipes*, 3rd ed., 2007, §5.7.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lacv._validate import as_array, describe
from lacv.errors import InputError

__all__ = [
    "derivative",
    "gradient",
    "hessian",
    "hessian_from_gradient",
    "jacobian",
]

_EPS = float(np.finfo(np.float64).eps)
#: relative step of first central differences, ε^(1/3)
STEP_FIRST = _EPS ** (1.0 / 3.0)
#: relative step of second differences, ε^(1/4)
STEP_SECOND = _EPS ** (1.0 / 4.0)


def _point(x: Any, name: str = "x") -> np.ndarray:
    return as_array(x, name, allow_empty=False, copy=True)


def _numbers(value: Any, who: str, what: str) -> np.ndarray:
    """What a user's function returned, as float64; InputError naming ``who`` if not numbers.

    ``np.asarray(value, dtype=float)`` raised NumPy's ValueError for a string,
    TypeError for None or a complex scalar, and dropped a complex array's
    imaginary part with only a warning.
    """
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        arr = np.asarray(None, dtype=object)
    if arr.dtype.kind not in "biuf":
        raise InputError(f"{who}: expected real numbers, got {describe(value)} during {what}")
    return arr.astype(np.float64, copy=False)


def _check_callable(fn: Any, name: str) -> None:
    if not callable(fn):
        raise InputError(f"{name}: expected a function, got {describe(fn)}")


def _steps(x: np.ndarray, h: Any, rel: float, *, second: bool = False) -> np.ndarray:
    """Per-entry steps: ``h`` if given (scalar or x-shaped), else ``rel · max(1, |x|)``.

    Steps too small to change ``x`` in float64 (``h = 1e-300``: ``x + h == x``)
    would divide 0 by 0; with ``second`` the products ``4 hᵢ hⱼ`` of the
    second differences must stay positive and finite too.
    """
    if h is None:
        steps = rel * np.maximum(1.0, np.abs(x))
    else:
        steps = as_array(h, "h", allow_empty=False)
        if steps.ndim and steps.shape != x.shape:
            raise InputError(f"h: expected a scalar or shape {x.shape}, got {describe(steps)}")
        if np.any(steps <= 0):
            raise InputError("h: expected positive step sizes")
        steps = np.broadcast_to(steps, x.shape).astype(np.float64)
    # make x + h exactly representable: h is then the step actually taken
    with np.errstate(over="ignore", invalid="ignore"):
        taken = (x + steps) - x
        products = 4.0 * taken * taken if second else taken
    if not (np.all(taken > 0) and np.all(np.isfinite(products)) and np.all(products > 0)):
        where = int(np.argmax(~((taken > 0) & np.isfinite(products) & (products > 0))))
        raise InputError(f"h: a step of {np.ravel(steps)[where]:.3g} at x = "
                         f"{np.ravel(x)[where]:.3g} (entry {where}) "
                         + ("does not change x in float64" if not np.ravel(taken)[where] > 0
                            else "over- or underflows the second difference's 4·h²")
                         + "; choose a step about 1e-5 · max(1, |x|)")
    return taken


def _scalar_value(value: Any, what: str) -> float:
    arr = _numbers(value, "f", what)
    if arr.size != 1:
        raise InputError(f"f: expected a scalar-valued function for {what}, "
                         f"got a value of shape {arr.shape}")
    v = float(arr.reshape(()))
    if not np.isfinite(v):
        raise InputError(f"f: returned a non-finite value ({v}) during {what}")
    return v


def _vector_value(value: Any, what: str, who: str = "f") -> np.ndarray:
    arr = _numbers(value, who, what)
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{who}: returned a non-finite value during {what}")
    return arr


def derivative(f: Callable[[Any], Any], x: Any, *, h: Any = None) -> Any:
    """The derivative of a scalar function of one variable by central differences.

    .. math:: f'(x) \\approx \\frac{f(x + h) - f(x - h)}{2h}

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for a float ``x``.
    x : float or array_like
        Where to differentiate. An array is taken point by point (``f`` is
        called on each element), and an array of derivatives returned.
    h : float, optional
        The step; default ``ε^{1/3} · max(1, |x|)``.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from lacv.calculus import derivative
    >>> round(derivative(lambda x: x**2 - 4*x + 3, 3.0), 8)   # f'(x) = 2x - 4
    2.0
    """
    _check_callable(f, "f")
    x_arr = _point(x)
    steps = _steps(x_arr, h, STEP_FIRST)
    out = np.empty_like(x_arr)
    for i in np.ndindex(x_arr.shape):
        xi, hi = float(x_arr[i]), float(steps[i])
        out[i] = (_scalar_value(f(xi + hi), "derivative")
                  - _scalar_value(f(xi - hi), "derivative")) / (2.0 * hi)
    return float(out) if out.ndim == 0 else out


def gradient(f: Callable[[np.ndarray], Any], x: Any, *, h: Any = None) -> np.ndarray:
    """The gradient ``∇f`` of a scalar function by central differences.

    .. math:: (\\nabla f)_i \\approx \\frac{f(x + h_i e_i) - f(x - h_i e_i)}{2 h_i}

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for an array ``x`` of ``x``'s shape.
    x : array_like, any shape
        Where to differentiate (a weight matrix is fine).
    h : float or array_like, optional
        Steps; default ``ε^{1/3} · max(1, |xᵢ|)`` per entry.

    Returns
    -------
    ndarray of ``x``'s shape

    Examples
    --------
    >>> import numpy as np
    >>> from lacv.calculus import gradient
    >>> camel = lambda x: ((4 - 2.1*x[0]**2 + x[0]**4/3)*x[0]**2 + x[0]*x[1]
    ...                    + (-4 + 4*x[1]**2)*x[1]**2)
    >>> np.round(gradient(camel, [1.0, 1.0]), 6)      # (2 - 8.4 + 8 + 1, 16 - 8 + 1)
    array([2.6, 9. ])
    """
    _check_callable(f, "f")
    x_arr = _point(x)
    steps = _steps(x_arr, h, STEP_FIRST)
    grad = np.empty_like(x_arr)
    work = x_arr.copy()
    flat_w, flat_x, flat_h, flat_g = (work.reshape(-1), x_arr.reshape(-1), steps.reshape(-1),
                                      grad.reshape(-1))
    for i in range(flat_x.size):
        flat_w[i] = flat_x[i] + flat_h[i]
        f_plus = _scalar_value(f(work), "gradient")
        flat_w[i] = flat_x[i] - flat_h[i]
        f_minus = _scalar_value(f(work), "gradient")
        flat_w[i] = flat_x[i]
        flat_g[i] = (f_plus - f_minus) / (2.0 * flat_h[i])
    return grad


def jacobian(f: Callable[[np.ndarray], Any], x: Any, *, h: Any = None) -> np.ndarray:
    """The Jacobian of ``f: ℝᵈ → ℝᵐ`` by central differences, numerator layout (m × d).

    .. math:: J_{ij} = \\frac{\\partial f_i}{\\partial x_j}
              \\approx \\frac{f_i(x + h_j e_j) - f_i(x - h_j e_j)}{2 h_j}

    Parameters
    ----------
    f : callable
        ``f(x) -> array`` of any fixed shape (flattened to ``m`` entries).
    x : array_like, any shape
        Flattened to ``d`` entries.
    h : float or array_like, optional
        Steps; default ``ε^{1/3} · max(1, |xⱼ|)``.

    Returns
    -------
    (m, d) ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from lacv.calculus import jacobian
    >>> f = lambda x: np.array([2*x[0] + x[1]**2, -x[0]**2 + 3*x[1], 4*x[0]*x[1]])
    >>> np.round(jacobian(f, [2.0, 1.0]), 6)            # the lecture's example
    array([[ 2.,  2.],
           [-4.,  3.],
           [ 4.,  8.]])
    """
    _check_callable(f, "f")
    x_arr = _point(x)
    steps = _steps(x_arr, h, STEP_FIRST)
    f0 = _vector_value(f(x_arr.copy()), "jacobian")
    m, d = f0.size, x_arr.size
    J = np.empty((m, d))
    work = x_arr.copy()
    flat_w, flat_x, flat_h = work.reshape(-1), x_arr.reshape(-1), steps.reshape(-1)
    for j in range(d):
        flat_w[j] = flat_x[j] + flat_h[j]
        f_plus = _vector_value(f(work), "jacobian").reshape(-1)
        flat_w[j] = flat_x[j] - flat_h[j]
        f_minus = _vector_value(f(work), "jacobian").reshape(-1)
        flat_w[j] = flat_x[j]
        if f_plus.size != m or f_minus.size != m:
            raise InputError(f"f: returned values of varying size ({m}, then "
                             f"{f_plus.size}) during jacobian")
        J[:, j] = (f_plus - f_minus) / (2.0 * flat_h[j])
    return J


def hessian(f: Callable[[np.ndarray], Any], x: Any, *, h: Any = None) -> np.ndarray:
    """The Hessian of a scalar function by second central differences.

    .. math:: H_{ij} \\approx \\frac{f(x + h_i e_i + h_j e_j) - f(x + h_i e_i - h_j e_j)
              - f(x - h_i e_i + h_j e_j) + f(x - h_i e_i - h_j e_j)}{4 h_i h_j}

    and :math:`H_{ii} \\approx (f(x + 2h_i e_i) - 2 f(x) + f(x - 2h_i e_i)) / 4h_i^2`
    (the same stencil with ``i = j``), so the result is exactly symmetric.
    Accuracy is about ``ε^{1/2}`` relative; when an analytic gradient is
    available, :func:`hessian_from_gradient` is more accurate.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    x : (d,) array_like
    h : float or array_like, optional
        Steps; default ``ε^{1/4} · max(1, |xᵢ|)``.

    Returns
    -------
    (d, d) ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from lacv.calculus import hessian
    >>> camel = lambda x: ((4 - 2.1*x[0]**2 + x[0]**4/3)*x[0]**2 + x[0]*x[1]
    ...                    + (-4 + 4*x[1]**2)*x[1]**2)
    >>> np.round(hessian(camel, [0.0, 1.0]), 5)          # the lecture's example
    array([[ 8.,  1.],
           [ 1., 40.]])
    """
    _check_callable(f, "f")
    x_arr = as_array(x, "x", ndim=1, copy=True)
    steps = _steps(x_arr, h, STEP_SECOND, second=True)
    d = x_arr.size
    H = np.empty((d, d))

    def at(di: int, si: float, dj: int, sj: float) -> float:
        work = x_arr.copy()
        work[di] += si
        work[dj] += sj
        return _scalar_value(f(work), "hessian")

    for i in range(d):
        hi = steps[i]
        for j in range(i, d):
            hj = steps[j]
            value = (at(i, hi, j, hj) - at(i, hi, j, -hj) - at(i, -hi, j, hj)
                     + at(i, -hi, j, -hj)) / (4.0 * hi * hj)
            H[i, j] = H[j, i] = value
    return H


def hessian_from_gradient(grad_f: Callable[[np.ndarray], Any], x: Any, *, h: Any = None
                          ) -> np.ndarray:
    """The Hessian from an analytic gradient: central differences of ``∇f``, symmetrised.

    .. math:: H \\approx \\tfrac12 (J + J^T),\\quad
              J_{:, j} = \\frac{\\nabla f(x + h_j e_j) - \\nabla f(x - h_j e_j)}{2 h_j}

    One differentiation instead of two: the error is about ``ε^{2/3}``
    relative instead of ``ε^{1/2}``.

    Parameters
    ----------
    grad_f : callable
        ``grad_f(x) -> (d,) array``.
    x : (d,) array_like
    h : float or array_like, optional
        Steps; default ``ε^{1/3} · max(1, |xᵢ|)``.

    Returns
    -------
    (d, d) ndarray
    """
    _check_callable(grad_f, "grad_f")
    x_arr = as_array(x, "x", ndim=1, copy=True)
    d = x_arr.size

    def g(v: np.ndarray) -> np.ndarray:
        out = _vector_value(grad_f(v), "hessian_from_gradient", "grad_f").reshape(-1)
        if out.size != d:
            raise InputError(f"grad_f: expected a gradient of length {d}, got {out.size} values")
        return out

    J = jacobian(g, x_arr, h=h)
    return 0.5 * (J + J.T)

