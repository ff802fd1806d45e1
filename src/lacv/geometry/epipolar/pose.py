r"""Relative pose from the essential matrix: the four-fold ambiguity and cheirality.

Convention (OpenCV's): the first camera is ``[I | 0]`` and the second
``[R | t]``, so ``X₂ = R X₁ + t`` and :math:`E = [t]_\times R`.

With :math:`E = U \operatorname{diag}(1, 1, 0) V^T` (``det U = det V = +1``)
and

.. math:: W = \begin{pmatrix} 0 & -1 & 0 \\ 1 & 0 & 0 \\ 0 & 0 & 1 \end{pmatrix},

the second camera is one of four (H&Z result 9.19):

.. math:: [U W V^T \mid +u_3], \; [U W V^T \mid -u_3], \;
          [U W^T V^T \mid +u_3], \; [U W^T V^T \mid -u_3],

with :math:`u_3` the last column of ``U`` (``‖t‖ = 1``: the scale of a
two-view reconstruction is unknowable). Only one places the scene in front
of both cameras; :func:`recover_pose` triangulates the correspondences under
each candidate and keeps the one with the most points of positive depth in
both (the cheirality test, H&Z §9.6.3, §21).

References
----------
.. [1] R. Hartley and A. Zisserman, *Multiple View Geometry in Computer
   Vision*, 2nd ed., 2003, §9.6.2 (result 9.19), §9.6.3, chapter 21
   (cheirality).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from lacv._validate import as_array, check_positive
from lacv.errors import DegenerateError, InputError
from lacv.geometry.epipolar.essential import calibrate_points, check_intrinsics
from lacv.geometry.epipolar.fundamental import _check_correspondences, _check_fundamental
from lacv.geometry.epipolar.triangulation import _triangulate_h

__all__ = ["PoseResult", "decompose_essential", "recover_pose"]

_W = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


def decompose_essential(E: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""The four ``(R, t)`` candidates of an essential matrix (H&Z result 9.19).

    Parameters
    ----------
    E : (3, 3) array_like
        ``x̂2ᵀ E x̂1 = 0`` on calibrated coordinates; any scale.

    Returns
    -------
    rotations : (4, 3, 3) ndarray
        ``UWVᵀ, UWVᵀ, UWᵀVᵀ, UWᵀVᵀ`` — proper rotations (det +1).
    translations : (4, 3) ndarray
        ``+u₃, −u₃, +u₃, −u₃``, unit vectors.

    Raises
    ------
    DegenerateError
        ``E`` has rank below 2 (``σ₂ ≈ 0``): it is not an essential matrix.

    Examples
    --------
    >>> from lacv.geometry.epipolar import essential_from_pose
    >>> Rs, ts = decompose_essential(essential_from_pose(np.eye(3), [1.0, 0.0, 0.0]))
    >>> any(np.allclose(R, np.eye(3)) and np.allclose(t, [1, 0, 0]) for R, t in zip(Rs, ts))
    True
    """
    M = _check_fundamental(E, "E")
    U, s, Vt = np.linalg.svd(M)
    if not s[1] > 1e-9 * s[0]:
        raise DegenerateError(f"E: rank below 2 (singular values {s[0]:.3g}, {s[1]:.3g}, "
                              f"{s[2]:.3g}): not an essential matrix", singular_values=s)
    # E is defined up to sign, so flipping U or V keeps it valid and makes R proper
    if np.linalg.det(U) < 0:
        U = -U
    if np.linalg.det(Vt) < 0:
        Vt = -Vt
    Ra = U @ _W @ Vt
    Rb = U @ _W.T @ Vt
    u3 = U[:, 2]
    return np.stack([Ra, Ra, Rb, Rb]), np.stack([u3, -u3, u3, -u3])


@dataclass(frozen=True)
class PoseResult:
    """The relative pose chosen by cheirality, and the triangulated scene.

    Attributes
    ----------
    R : (3, 3) ndarray
        Rotation of the second camera (``X₂ = R X₁ + t``).
    t : (3,) ndarray
        Unit translation of the second camera.
    points : (N, 3) ndarray
        Every correspondence triangulated under ``[I | 0]`` and ``[R | t]``
        (first camera's frame, baseline ``‖t‖ = 1``). Points whose rays are
        parallel (homogeneous ``w = 0``) are ``inf``.
    in_front : (N,) ndarray of bool
        Points in front of both cameras and nearer than ``max_depth``.
    n_in_front : int
        ``in_front.sum()``.
    candidate_counts : (4,) ndarray of int
        How many (voting) points each of the four candidates of
        :func:`decompose_essential` puts in front of both cameras.
    """

    R: np.ndarray
    t: np.ndarray
    points: np.ndarray
    in_front: np.ndarray
    n_in_front: int
    candidate_counts: np.ndarray


def _cheirality(R: np.ndarray, t: np.ndarray, c1: np.ndarray, c2: np.ndarray,
                max_depth: float) -> tuple[np.ndarray, np.ndarray]:
    """Triangulate under ``[I|0]``, ``[R|t]``; return homogeneous points and the in-front mask."""
    P1 = np.c_[np.eye(3), np.zeros(3)]
    P2 = np.c_[R, t]
    Xh = _triangulate_h(P1, P2, c1, c2)
    w = Xh[:, 3]
    z1w = Xh[:, 2] * w  # sign of the depth in camera 1, without dividing by w
    z2w = (Xh[:, :3] @ R[2] + t[2] * w) * w
    near = np.abs(Xh[:, 2]) < max_depth * np.abs(w)
    return Xh, (z1w > 0) & (z2w > 0) & near


def recover_pose(E: Any, x1: Any, x2: Any, K1: Any, K2: Any, *, mask: Any = None,
                 max_depth: float = 100.0) -> PoseResult:
    r"""Relative pose ``[R | t]`` of the second camera from ``E`` and correspondences.

    Each of the four candidates of :func:`decompose_essential` triangulates
    the correspondences (linear DLT on calibrated coordinates,
    :math:`\hat x = K^{-1} \tilde x`); the one with the most points in front of
    both cameras wins (H&Z §9.6.3). Points farther than ``max_depth``
    baselines are nearly at infinity, where the sign of the depth is noise:
    they do not vote (as in OpenCV's ``recoverPose``).

    Parameters
    ----------
    E : (3, 3) array_like
        ``x̂2ᵀ E x̂1 = 0``.
    x1, x2 : (N, 2) array_like
        Matching pixels of the first and second image.
    K1, K2 : (3, 3) array_like
        Camera matrices.
    mask : (N,) array_like of bool, optional
        Only these correspondences vote (e.g. the inliers of a robust fit);
        all are triangulated.
    max_depth : float
        Depth (in units of the baseline) beyond which a point does not vote.

    Returns
    -------
    PoseResult

    Raises
    ------
    InputError
        Bad shapes, NaN, a mask of the wrong shape.
    DegenerateError
        ``E`` is not of rank 2, or no candidate puts any voting point in front
        of both cameras.
    """
    a, b = _check_correspondences(x1, x2, 1)
    Rs, ts = decompose_essential(E)
    max_depth = check_positive(max_depth, "max_depth")
    c1 = calibrate_points(a, check_intrinsics(K1, "K1"), "x1")
    c2 = calibrate_points(b, check_intrinsics(K2, "K2"), "x2")
    if mask is None:
        vote = np.ones(len(a), dtype=bool)
    else:
        vote = np.asarray(mask)
        if vote.dtype != bool or vote.shape != (len(a),):
            raise InputError(f"mask: expected a boolean array of shape ({len(a)},), got "
                             f"{as_array(vote, 'mask', allow_empty=True).shape}")
    results = [_cheirality(R, t, c1, c2, max_depth) for R, t in zip(Rs, ts, strict=True)]
    counts = np.array([np.count_nonzero(front & vote) for _, front in results])
    best = int(np.argmax(counts))
    if counts[best] == 0:
        raise DegenerateError("x1, x2: no candidate pose puts any correspondence in front of "
                              "both cameras (wrong E, wrong K, or no translation)")
    Xh, front = results[best]
    w = Xh[:, 3]
    pts = np.full((len(a), 3), np.inf)
    ok = w != 0
    pts[ok] = Xh[ok, :3] / w[ok, None]
    return PoseResult(R=Rs[best], t=ts[best], points=pts, in_front=front,
                      n_in_front=int(front.sum()), candidate_counts=counts)
