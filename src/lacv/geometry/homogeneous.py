"""Homogeneous coordinates and Hartley normalisation.

A point ``(x, y)`` of the plane is the homogeneous vector ``(x, y, 1)``, and a
homogeneous vector ``(u, v, w)`` with ``w != 0`` is the point ``(u/w, v/w)``.
Vectors with ``w == 0`` are *points at infinity* (directions): they have no
pixel position, and :func:`from_homogeneous` reports them instead of hiding
them behind a ``w + eps`` denominator, which would silently turn them into
huge finite coordinates (Kornia issue #3938).

:func:`normalize_points` is Hartley's conditioning step: translate the
centroid to the origin and scale so that the mean distance from it is √2.
Every DLT in :mod:`lacv.geometry` runs on normalised points; without it the
design matrix mixes entries of order 1 and 10⁶ and the answer loses most of
its digits (Hartley 1997; H&Z §4.4.4).

References
----------
.. [1] R. Hartley, "In defense of the eight-point algorithm", IEEE TPAMI 19(6),
   1997.
.. [2] R. Hartley and A. Zisserman, *Multiple View Geometry in Computer
   Vision*, 2nd ed., 2003, §2.2 (homogeneous coordinates), §4.4.4
   (normalisation).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lacv._validate import as_array, as_points, describe
from lacv.errors import DegenerateError, InputError

__all__ = ["from_homogeneous", "normalize_points", "to_homogeneous"]


def to_homogeneous(points: Any) -> np.ndarray:
    """Append ``w = 1``: ``(x, y) -> (x, y, 1)``.

    Parameters
    ----------
    points : (N, d) array_like
        Points in ``d`` dimensions (a single point ``(d,)`` is accepted).

    Returns
    -------
    (N, d + 1) ndarray
        The same points with a last coordinate of 1.

    Examples
    --------
    >>> to_homogeneous([[2.0, 3.0]])
    array([[2., 3., 1.]])
    """
    arr = as_array(points, "points", ndim=(1, 2))
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    out = np.empty((arr.shape[0], arr.shape[1] + 1))
    out[:, :-1] = arr
    out[:, -1] = 1.0
    return out


def from_homogeneous(points_h: Any, *, return_mask: bool = False
                     ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Divide by the last coordinate: ``(u, v, w) -> (u/w, v/w)``.

    A row with ``w == 0`` is a point at infinity and has no finite position.
    By default that is an error that names the rows; with ``return_mask=True``
    those rows come back as ``inf`` together with a boolean mask that marks
    them, so the caller decides what they mean. No ``eps`` is ever added to
    ``w``.

    Parameters
    ----------
    points_h : (N, d + 1) array_like
        Homogeneous points (a single point ``(d + 1,)`` is accepted).
    return_mask : bool
        Return ``(points, at_infinity)`` instead of raising for ``w == 0``.

    Returns
    -------
    points : (N, d) ndarray
        ``points_h[:, :-1] / points_h[:, -1:]``; rows at infinity are ``inf``
        (only with ``return_mask=True``).
    at_infinity : (N,) ndarray of bool
        Only with ``return_mask=True``: where ``w == 0``, or where ``w`` is so
        small that ``u / w`` overflows float64.

    Raises
    ------
    DegenerateError
        Some point is at infinity and ``return_mask`` is false; the message
        lists the rows.

    Examples
    --------
    >>> from_homogeneous([[4.0, 6.0, 2.0]])
    array([[2., 3.]])
    >>> pts, inf = from_homogeneous([[1.0, 0.0, 0.0], [2.0, 2.0, 2.0]], return_mask=True)
    >>> pts, inf
    (array([[inf, inf],
           [ 1.,  1.]]), array([ True, False]))
    """
    arr = as_array(points_h, "points_h", ndim=(1, 2), allow_empty=True)
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.shape[1] < 2:
        raise InputError(f"points_h: expected at least 2 columns (coordinates and w), "
                         f"got {describe(arr)}")
    w = arr[:, -1]
    at_inf = w == 0
    out = np.full((arr.shape[0], arr.shape[1] - 1), np.inf)
    finite = ~at_inf
    with np.errstate(over="ignore"):
        out[finite] = arr[finite, :-1] / w[finite, np.newaxis]
    # a w so small that u / w overflows (1e300 / 1e-300) is as far as float64 reaches: infinity
    overflowed = ~np.all(np.isfinite(out), axis=1) & finite
    if overflowed.any():
        out[overflowed] = np.inf
        at_inf = at_inf | overflowed
    if at_inf.any() and not return_mask:
        rows = np.flatnonzero(at_inf)
        shown = ", ".join(str(int(i)) for i in rows[:10]) + (", ..." if rows.size > 10 else "")
        why = "w == 0" if not overflowed.any() else "w == 0 or |u / w| beyond float64"
        raise DegenerateError(
            f"points_h: {rows.size} point{'s' if rows.size != 1 else ''} at infinity ({why}) "
            f"at row{'s' if rows.size != 1 else ''} {shown}; they have no finite position "
            "(pass return_mask=True to get them marked instead)")
    if return_mask:
        return out, at_inf
    return out


def normalize_points(points: Any, weights: Any = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Hartley normalisation: centroid to the origin, mean distance √2.

    .. math::

        T = \begin{pmatrix} s & 0 & -s\,c_x \\ 0 & s & -s\,c_y \\ 0 & 0 & 1
        \end{pmatrix}, \qquad s = \frac{\sqrt 2}{\frac1N\sum_i \|x_i - c\|},
        \qquad \hat x_i = T \tilde x_i

    (H&Z §4.4.4, algorithm 4.2). With ``weights`` the centroid and the mean
    distance are weighted averages.

    Parameters
    ----------
    points : (N, 2) array_like
    weights : (N,) array_like, optional
        Non-negative weights, not all zero.

    Returns
    -------
    normalized : (N, 2) ndarray
        The points ``T x`` (inhomogeneous).
    T : (3, 3) ndarray
        The normalising similarity; ``inv(T)`` undoes it.

    Raises
    ------
    DegenerateError
        All points coincide: there is no scale to normalise.

    Examples
    --------
    >>> pts, T = normalize_points([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]])
    >>> np.round(pts, 4)
    array([[-1., -1.],
           [ 1., -1.],
           [ 1.,  1.],
           [-1.,  1.]])
    """
    pts = as_points(points, "points")
    return _hartley(pts, weights)


def _hartley(pts: np.ndarray, weights: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`normalize_points` for an already validated ``(N, 2)`` float array.

    Works on the two coordinate columns: NumPy's reductions along axis 0 of
    an ``(N, 2)`` array are ~10× slower than two 1-D ones (a small-``N``
    robust fit pays this twice per call).
    """
    x, y = pts[:, 0], pts[:, 1]
    n = pts.shape[0]
    if weights is None:
        cx, cy = float(x.sum()) / n, float(y.sum()) / n
        dx, dy = x - cx, y - cy
        mean_dist = float(np.sqrt(dx * dx + dy * dy).sum()) / n if n else 0.0
    else:
        w = _as_weights(weights, n)
        wsum = float(w.sum())
        cx, cy = float(w @ x) / wsum, float(w @ y) / wsum
        dx, dy = x - cx, y - cy
        mean_dist = float(w @ np.sqrt(dx * dx + dy * dy)) / wsum
    # all points coincide when the mean distance is rounding next to the coordinates'
    # size; max|p| ≤ |c| + N·mean_dist, so a mean distance above 10⁻⁶ max(1, |c|) passes
    # the test below without computing max|p| (one pass over the points fewer)
    if mean_dist > 1e-6 * max(1.0, abs(cx), abs(cy)):
        spread = 0.0
    else:
        spread = float(np.abs(pts).max()) if n else 0.0
    if not mean_dist > 1e-12 * max(spread, 1.0):
        raise DegenerateError("points: all points coincide, so they have no scale to normalise "
                              f"(mean distance from the centroid {mean_dist:.3g})")
    s = np.sqrt(2.0) / mean_dist
    T = np.array([[s, 0.0, -s * cx], [0.0, s, -s * cy], [0.0, 0.0, 1.0]])
    out = np.empty((n, 2))
    np.multiply(dx, s, out=out[:, 0])
    np.multiply(dy, s, out=out[:, 1])
    return out, T


def _as_weights(weights: Any, n: int, name: str = "weights") -> np.ndarray:
    """Validated non-negative weights of length ``n`` with a positive sum."""
    w = as_array(weights, name, ndim=1)
    if w.shape[0] != n:
        raise InputError(f"{name}: expected {n} weights (one per point), got {w.shape[0]}")
    if np.any(w < 0):
        raise InputError(f"{name}: expected non-negative weights, got a minimum of {w.min():g}")
    biggest = float(w.max())
    if not biggest > 0:
        raise InputError(f"{name}: all weights are zero")
    if not 1e-100 <= biggest <= 1e100:
        # only their ratios matter: subnormal weights (1e-320) gave NaN in the weighted
        # least squares, huge ones overflowed; normal ones are left exactly as they are
        w = w / biggest
    return w
