r"""Triangulation: 3-D points from two views, and their reprojection error.

A camera ``P`` (3×4) maps a scene point :math:`\tilde X = (X, Y, Z, 1)` to
the pixel :math:`\tilde x \sim P \tilde X`. Given the pixels ``x1``, ``x2`` of
one point in two cameras, :math:`x \times (P \tilde X) = 0` gives two
independent linear equations per view (H&Z §12.2):

.. math::

    A \tilde X = 0, \qquad
    A = \begin{pmatrix} x_1 p_1^{3T} - p_1^{1T} \\ y_1 p_1^{3T} - p_1^{2T} \\
                        x_2 p_2^{3T} - p_2^{1T} \\ y_2 p_2^{3T} - p_2^{2T} \end{pmatrix}

(:math:`p^{kT}` the rows of ``P``), solved — the lecture's ``Ax = 0`` once
more — by the SVD null vector, for all points at once as one batched SVD of
``(N, 4, 4)`` matrices. Each image is first Hartley-normalised (``P ← T P``,
``x ← T x``) so the rows are of comparable size. The linear answer minimises
an algebraic error; ``refine=True`` then minimises the reprojection error
:math:`\sum_k \|\pi(P_k \tilde X) - x_k\|^2` of each point by
Levenberg–Marquardt, vectorised over the points (3 unknowns each).

References
----------
.. [1] R. Hartley and A. Zisserman, *Multiple View Geometry in Computer
   Vision*, 2nd ed., 2003, §12.2 (linear triangulation), §12.1 (the
   reprojection error), §6.1 (the camera matrix).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lacv._validate import as_array, as_points, check_int, check_same_length, describe
from lacv.errors import DegenerateError, InputError
from lacv.geometry.homogeneous import normalize_points

__all__ = ["projection_matrix", "reprojection_error", "triangulate_points"]


def _check_camera(P: Any, name: str) -> np.ndarray:
    M = as_array(P, name)
    if M.shape != (3, 4):
        raise InputError(f"{name}: expected a 3×4 camera matrix, got {describe(M)}")
    if np.linalg.matrix_rank(M[:, :3]) < 3:
        raise InputError(f"{name}: the left 3×3 block of a finite camera must be invertible")
    return M


def projection_matrix(K: Any, R: Any, t: Any) -> np.ndarray:
    r"""The camera matrix :math:`P = K [R \mid t]` (H&Z eq. 6.8).

    Parameters
    ----------
    K : (3, 3) array_like
    R : (3, 3) array_like
        World-to-camera rotation.
    t : (3,) array_like
        World-to-camera translation: a world point ``X`` is ``R X + t`` in the
        camera's frame.

    Returns
    -------
    (3, 4) ndarray
    """
    from lacv.geometry.epipolar.essential import _check_rotation, check_intrinsics

    Km = check_intrinsics(K)
    Rm = _check_rotation(R)
    tv = as_array(t, "t")
    if tv.shape != (3,):
        raise InputError(f"t: expected a 3-vector, got {describe(tv)}")
    return Km @ np.c_[Rm, tv]


def _triangulate_h(P1: np.ndarray, P2: np.ndarray, x1: np.ndarray, x2: np.ndarray,
                   return_sv: bool = False) -> Any:
    """Linear DLT triangulation, homogeneous unit 4-vectors ``(N, 4)``, no validation."""
    n1, T1 = normalize_points(x1) if len(x1) > 1 else (x1, np.eye(3))
    n2, T2 = normalize_points(x2) if len(x2) > 1 else (x2, np.eye(3))
    Q1 = T1 @ P1
    Q2 = T2 @ P2
    A = np.empty((len(x1), 4, 4))
    A[:, 0] = n1[:, :1] * Q1[2] - Q1[0]
    A[:, 1] = n1[:, 1:] * Q1[2] - Q1[1]
    A[:, 2] = n2[:, :1] * Q2[2] - Q2[0]
    A[:, 3] = n2[:, 1:] * Q2[2] - Q2[1]
    _, sv, Vt = np.linalg.svd(A)
    if return_sv:
        return Vt[:, -1, :], sv
    return Vt[:, -1, :]


def _project(P: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``P X̃`` for Euclidean ``X`` ``(N, 3)``: returns ``(y (N, 3), depth-like y₃ (N,))``."""
    y = X @ P[:, :3].T + P[:, 3]
    return y, y[:, 2]


def _refine(Ps: tuple[np.ndarray, ...], xs: tuple[np.ndarray, ...], X: np.ndarray,
            iterations: int) -> np.ndarray:
    """Per-point Levenberg–Marquardt on the reprojection error, vectorised over points."""

    def residuals(Xc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rs, Js = [], []
        for P, x in zip(Ps, xs, strict=True):
            y, w = _project(P, Xc)
            with np.errstate(divide="ignore", invalid="ignore"):
                u = y[:, :2] / w[:, None]
                # d(u)/dX = (P_row_k − u_k P_row_3) / w   (H&Z §A6.2 style chain rule)
                J = (P[None, :2, :3] - u[:, :, None] * P[None, 2:3, :3]) / w[:, None, None]
            rs.append(u - x)
            Js.append(J)
        return np.concatenate(rs, axis=1), np.concatenate(Js, axis=1)  # (N, 4), (N, 4, 3)

    lam = np.full(len(X), 1e-3)
    r, J = residuals(X)
    cost = np.einsum("ni,ni->n", r, r)
    for _ in range(iterations):
        JtJ = np.swapaxes(J, 1, 2) @ J
        g = np.einsum("nki,nk->ni", J, r)
        diag = np.einsum("nii->ni", JtJ)
        Aug = JtJ + (lam[:, None] * np.maximum(diag, 1e-12))[:, :, None] * np.eye(3)
        ok = np.isfinite(Aug).all(axis=(1, 2)) & np.isfinite(g).all(axis=1)
        step = np.zeros_like(X)
        if ok.any():
            try:
                step[ok] = np.linalg.solve(Aug[ok], -g[ok][:, :, None])[:, :, 0]
            except np.linalg.LinAlgError:  # pragma: no cover - damping keeps Aug definite
                break
        Xn = X + step
        rn, Jn = residuals(Xn)
        cn = np.einsum("ni,ni->n", rn, rn)
        better = np.isfinite(cn) & (cn < cost)
        X = np.where(better[:, None], Xn, X)
        r = np.where(better[:, None], rn, r)
        J = np.where(better[:, None, None], Jn, J)
        cost = np.where(better, cn, cost)
        lam = np.where(better, lam * 0.1, lam * 10.0)
        if np.all(np.abs(step) <= 1e-12 * (1.0 + np.abs(X))):
            break
    return X


def triangulate_points(P1: Any, P2: Any, x1: Any, x2: Any, *, refine: bool = False,
                       iterations: int = 10) -> np.ndarray:
    r"""Scene points from their pixels in two cameras: linear DLT, optionally refined.

    Solves :math:`A \tilde X = 0` (rows :math:`x p^{3T} - p^{1T}`,
    :math:`y p^{3T} - p^{2T}` for each camera, H&Z §12.2) by one batched SVD
    over all points, on Hartley-normalised image coordinates. With
    ``refine=True`` each point is then moved to minimise its reprojection
    error :math:`\sum_{k=1,2} \|\pi(P_k \tilde X) - x_k\|^2` by
    Levenberg–Marquardt (a step is kept only when it lowers that point's error).

    Parameters
    ----------
    P1, P2 : (3, 4) array_like
        Camera matrices of the two images.
    x1, x2 : (N, 2) array_like
        The pixels of each point in the two images.
    refine : bool
        Minimise the reprojection error after the linear solution.
    iterations : int
        The most Levenberg–Marquardt iterations (with ``refine``).

    Returns
    -------
    (N, 3) ndarray
        The points in the frame in which ``P1``, ``P2`` are expressed.

    Raises
    ------
    InputError
        Bad shapes or NaN.
    DegenerateError
        A point triangulates to infinity (``w = 0``: its rays are parallel),
        or its two rays coincide so that its depth is undetermined (e.g. the
        same camera twice).

    Examples
    --------
    >>> P1 = np.c_[np.eye(3), np.zeros(3)]
    >>> P2 = np.c_[np.eye(3), [-1.0, 0.0, 0.0]]
    >>> triangulate_points(P1, P2, [[0.2, 0.1]], [[0.0, 0.1]])
    array([[1. , 0.5, 5. ]])
    """
    A1 = _check_camera(P1, "P1")
    A2 = _check_camera(P2, "P2")
    a = as_points(x1, "x1")
    b = as_points(x2, "x2")
    check_same_length(x1=a, x2=b)
    iterations = check_int(iterations, "iterations", minimum=0)
    Xh, sv = _triangulate_h(A1, A2, a, b, return_sv=True)
    loose = sv[:, 2] <= 1e-12 * sv[:, 0]
    if loose.any():
        raise DegenerateError(f"x1, x2: {int(loose.sum())} point(s) are not determined (first "
                              f"at row {int(np.flatnonzero(loose)[0])}): their two rays "
                              "coincide (the cameras share a centre on that ray)",
                              singular_values=sv[loose][0])
    w = Xh[:, 3]
    scale = np.abs(Xh[:, :3]).max(axis=1)
    far = np.abs(w) <= 1e-14 * scale
    if far.any():
        raise DegenerateError(f"x1, x2: {int(far.sum())} point(s) triangulate to infinity "
                              f"(first at row {int(np.flatnonzero(far)[0])}): their rays are "
                              "parallel, so the depth is undetermined")
    X = Xh[:, :3] / w[:, None]
    if refine and iterations:
        X = _refine((A1, A2), (a, b), X, iterations)
    return X


def reprojection_error(P: Any, X: Any, x: Any) -> np.ndarray:
    r"""Distance in pixels between the projection of each point and its observed pixel.

    .. math:: e_i = \left\| \pi(P \tilde X_i) - x_i \right\|, \qquad
              \pi(u, v, w) = (u / w, v / w)

    (H&Z §12.1.) A point on the camera's principal plane (``w = 0``) has no
    image: its error is ``inf``.

    Parameters
    ----------
    P : (3, 4) array_like
    X : (N, 3) array_like
        Scene points.
    x : (N, 2) array_like
        Observed pixels.

    Returns
    -------
    (N,) ndarray
    """
    M = _check_camera(P, "P")
    pts = as_points(X, "X", dim=3)
    obs = as_points(x, "x")
    check_same_length(X=pts, x=obs)
    y, w = _project(M, pts)
    out = np.full(len(pts), np.inf)
    ok = w != 0
    d = y[ok, :2] / w[ok, None] - obs[ok]
    out[ok] = np.hypot(d[:, 0], d[:, 1])
    return out
