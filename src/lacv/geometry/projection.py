r"""The 3×4 projection matrix: normalised DLT from 3-D/2-D points, and its RQ decomposition.

A finite camera is ``P = K [R | t]`` (H&Z §6.1). Given ``N ≥ 6`` world
points ``X_i`` and their pixels ``x_i``, each correspondence ``x_i ~ P X_i``
gives two rows of the ``2N × 12`` system ``A p = 0`` (H&Z §7.1, eq. 7.2):

.. math::

    \begin{pmatrix} \tilde X_i^T & 0^T & -x_i \tilde X_i^T \\
    0^T & \tilde X_i^T & -y_i \tilde X_i^T \end{pmatrix}
    \begin{pmatrix} p^1 \\ p^2 \\ p^3 \end{pmatrix} = 0 ,

with ``p^k`` the rows of ``P``; ``p`` is the unit right singular vector of the
smallest singular value (the lecture's homogeneous least squares). Both point
sets are normalised first (H&Z algorithm 7.1): the 2-D points to mean
distance √2 from their centroid, the 3-D points to mean distance √3.

The decomposition splits ``M = P[:, :3] = K R`` by an RQ factorisation
(H&Z §6.2.4) with the signs fixed so that ``K`` has a positive diagonal and
``det R = +1``; then ``t = K⁻¹ p_4``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from lacv._validate import as_array, as_points, check_same_length
from lacv.errors import DegenerateError, InputError
from lacv.geometry.homogeneous import normalize_points
from lacv.linalg import solve_homogeneous

__all__ = ["ProjectionDecomposition", "decompose_projection_matrix", "projection_matrix_dlt"]

#: relative singular-value threshold below which the 3-D points count as coplanar
_COPLANAR_RTOL = 1e-9


def _normalize_points3d(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centroid to the origin, mean distance √3 (H&Z §7.1); returns ``(Xn, T)``, T 4×4."""
    c = X.mean(axis=0)
    d = X - c
    mean_dist = float(np.mean(np.linalg.norm(d, axis=1)))
    if not mean_dist > 1e-12 * max(float(np.abs(X).max()), 1.0):
        raise DegenerateError("points3d: all points coincide, so they determine no camera")
    s = np.sqrt(3.0) / mean_dist
    T = np.diag([s, s, s, 1.0])
    T[:3, 3] = -s * c
    return d * s, T


def projection_matrix_dlt(points3d: Any, points2d: Any) -> np.ndarray:
    """The camera matrix ``P`` (3×4) from ``N ≥ 6`` correspondences by the normalised DLT.

    Parameters
    ----------
    points3d : (N, 3) array_like
        World points, not all on one plane.
    points2d : (N, 2) array_like
        Their pixels.

    Returns
    -------
    (3, 4) ndarray
        ``P`` scaled to unit Frobenius norm, with the sign that puts the
        points in front of the camera (positive depth ``(P X)_3``).

    Raises
    ------
    InputError
        Fewer than 6 points, mismatched lengths, non-finite values.
    DegenerateError
        The 3-D points are coplanar (or collinear): ``P`` is then not unique
        (H&Z §7.1.1, degenerate configurations).

    References
    ----------
    Hartley & Zisserman, *Multiple View Geometry*, 2nd ed., §7.1, algorithm 7.1.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, (8, 3)) + [0, 0, 5]
    >>> P = np.array([[800.0, 0, 320, 0], [0, 800.0, 240, 0], [0, 0, 1, 0]])
    >>> xh = np.c_[X, np.ones(8)] @ P.T
    >>> P_est = projection_matrix_dlt(X, xh[:, :2] / xh[:, 2:])
    >>> np.allclose(P_est / P_est[2, 2], P / P[2, 2])
    True
    """
    X = as_points(points3d, "points3d", dim=3, min_count=6)
    x = as_points(points2d, "points2d", dim=2, min_count=6)
    check_same_length(points3d=X, points2d=x)
    Xn, T3 = _normalize_points3d(X)
    # coplanar points: the centred 3-D cloud has a (numerically) zero singular value
    sv = np.linalg.svd(Xn, compute_uv=False)
    if sv[-1] <= _COPLANAR_RTOL * sv[0]:
        raise DegenerateError(
            "points3d: the points are coplanar (smallest singular value of the centred cloud "
            f"{sv[-1] / sv[0]:.1e} of the largest), so P is not unique; a plane determines "
            "only a homography (use calibrate_camera for planar targets)", singular_values=sv)
    xn, T2 = normalize_points(x)
    n = X.shape[0]
    Xh = np.column_stack([Xn, np.ones(n)])
    A = np.zeros((n, 2, 12))
    A[:, 0, 0:4] = Xh
    A[:, 0, 8:12] = -xn[:, :1] * Xh
    A[:, 1, 4:8] = Xh
    A[:, 1, 8:12] = -xn[:, 1:2] * Xh
    res = solve_homogeneous(A.reshape(2 * n, 12), strict=True)
    Pn = res.x.reshape(3, 4)
    P = np.linalg.solve(T2, Pn @ T3)
    P /= np.linalg.norm(P)
    # the sign of a homogeneous P is free; choose the one with the points in front
    depth = np.column_stack([X, np.ones(n)]) @ P[2]
    if np.sum(depth > 0) < n / 2:
        P = -P
    return P


class ProjectionDecomposition(NamedTuple):
    """``P = λ K [R | t]`` split into its factors (unpacks as ``K, R, t``)."""

    K: np.ndarray
    """(3, 3) upper triangular, positive diagonal, ``K[2, 2] = 1``."""
    R: np.ndarray
    """(3, 3) rotation, ``det R = +1``."""
    t: np.ndarray
    """(3,) translation: the camera centre is ``−Rᵀ t``."""


def decompose_projection_matrix(P: Any) -> ProjectionDecomposition:
    r"""Split a finite camera ``P`` into ``K``, ``R``, ``t`` by an RQ decomposition.

    .. math:: P = \lambda\, K\, [R \mid t], \qquad M = P_{:, :3} = \lambda K R

    ``scipy.linalg.rq`` gives ``M = K' R'`` with ``K'`` upper triangular; with
    ``D = diag(sign K'_{ii})``, ``K = K' D`` and ``R = D R'`` keep the product
    and make the diagonal of ``K`` positive. If then ``det R = −1`` the
    homogeneous scale ``λ`` is negative: ``P`` is replaced by ``−P`` (the
    same camera) and the decomposition repeated. Finally ``K`` is scaled to
    ``K[2, 2] = 1`` and ``t = K^{-1} p_4 / λ`` (H&Z §6.2.4).

    Parameters
    ----------
    P : (3, 4) array_like

    Returns
    -------
    ProjectionDecomposition
        ``K, R, t``.

    Raises
    ------
    DegenerateError
        ``P[:, :3]`` is singular: a camera at infinity, which has no ``K R``
        factorisation of this form.
    """
    from scipy.linalg import rq

    Pm = as_array(P, "P", shape=(3, 4))
    biggest = np.max(np.abs(Pm))
    if biggest == 0:
        raise InputError("P: all zeros is not a camera matrix")
    Pm = Pm / biggest  # P is homogeneous: K, R, t do not depend on its scale (det overflowed)
    M = Pm[:, :3]
    s = np.linalg.svd(M, compute_uv=False)
    if s[-1] <= 1e-12 * s[0]:
        raise DegenerateError("P: the left 3×3 block is singular (a camera at infinity), so "
                              "it has no K R decomposition", singular_values=s)
    if np.linalg.det(M) < 0:
        Pm = -Pm
        M = -M
    Kq, Rq = rq(M)
    D = np.diag(np.sign(np.diag(Kq)))
    K = Kq @ D
    R = D @ Rq  # D = D⁻¹, so K R = Kq Rq = M
    lam = K[2, 2]
    t = np.linalg.solve(K, Pm[:, 3])
    K = K / lam
    if np.linalg.det(R) < 0:  # cannot happen after the sign fix; guard the invariant
        raise DegenerateError("P: could not factor a proper rotation")
    return ProjectionDecomposition(K, R, t)

