r"""The essential matrix: calibrated epipolar geometry.

Convention (OpenCV's): the first camera is ``K₁[I | 0]``, the second
``K₂[R | t]``, so a scene point ``X`` in the first camera's frame is
``R X + t`` in the second's. Then (H&Z §9.6, eq. 9.12)

.. math:: E = [t]_\times R, \qquad \hat x_2^T E \hat x_1 = 0, \qquad
          F = K_2^{-T} E K_1^{-1}, \qquad E = K_2^T F K_1,

where :math:`\hat x = K^{-1} \tilde x` are calibrated (normalised) image
coordinates and ``x2ᵀ F x1 = 0`` in pixels. A 3×3 matrix is essential exactly
when its singular values are ``(s, s, 0)`` (H&Z result 9.17);
:func:`project_to_essential` returns the nearest such matrix in the Frobenius
norm, :math:`U \operatorname{diag}(1, 1, 0) V^T`.

References
----------
.. [1] R. Hartley and A. Zisserman, *Multiple View Geometry in Computer
   Vision*, 2nd ed., 2003, §9.6 (the essential matrix), §11.7.3.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lacv._validate import as_array, describe
from lacv.errors import DegenerateError, InputError
from lacv.geometry.epipolar.fundamental import (
    _check_correspondences,
    _check_fundamental,
    _unit,
    eight_point,
)
from lacv.geometry.rotations import skew  # public here too: E = [t]ₓ R

__all__ = [
    "calibrate_points",
    "essential_from_fundamental",
    "essential_from_points",
    "essential_from_pose",
    "fundamental_from_essential",
    "fundamental_from_pose",
    "project_to_essential",
    "skew",
]


def check_intrinsics(K: Any, name: str = "K") -> np.ndarray:
    """A camera matrix: 3×3, finite, upper triangular with ``K[2, 2] = 1`` after scaling.

    Raises
    ------
    InputError
        Wrong shape, NaN, not upper triangular, or singular.
    """
    M = as_array(K, name)
    if M.shape != (3, 3):
        raise InputError(f"{name}: expected a 3×3 camera matrix, got {describe(M)}")
    if M[2, 2] == 0:
        raise InputError(f"{name}: K[2, 2] must be non-zero (got the matrix {M.tolist()})")
    M = M / M[2, 2]
    scale = max(1.0, float(np.abs(M).max()))
    if abs(M[1, 0]) + abs(M[2, 0]) + abs(M[2, 1]) > 1e-9 * scale:
        raise InputError(f"{name}: expected an upper-triangular camera matrix "
                         f"[[fx, s, cx], [0, fy, cy], [0, 0, 1]], got {M.tolist()}")
    if not (M[0, 0] != 0 and M[1, 1] != 0):
        raise InputError(f"{name}: singular camera matrix (fx = {M[0, 0]:g}, fy = {M[1, 1]:g})")
    return M


def _inv_K(K: np.ndarray) -> np.ndarray:
    """Closed-form inverse of an upper-triangular camera matrix with ``K[2, 2] = 1``."""
    fx, s, cx = K[0]
    fy, cy = K[1, 1], K[1, 2]
    return np.array([[1 / fx, -s / (fx * fy), (s * cy - cx * fy) / (fx * fy)],
                     [0.0, 1 / fy, -cy / fy],
                     [0.0, 0.0, 1.0]])


def calibrate_points(points: Any, K: Any, name: str = "points") -> np.ndarray:
    r"""Calibrated (normalised) coordinates :math:`\hat x = K^{-1} \tilde x`, as ``(N, 2)``.

    Parameters
    ----------
    points : (N, 2) array_like
        Pixels.
    K : (3, 3) array_like
        The camera matrix.
    name : str
        The argument name for error messages.

    Returns
    -------
    (N, 2) ndarray
    """
    from lacv._validate import as_points

    p = as_points(points, name)
    Ki = _inv_K(check_intrinsics(K))
    return p @ Ki[:2, :2].T + Ki[:2, 2]


def _check_rotation(R: Any, name: str = "R") -> np.ndarray:
    M = as_array(R, name)
    if M.shape != (3, 3):
        raise InputError(f"{name}: expected a 3×3 rotation matrix, got {describe(M)}")
    # entries of a rotation are at most 1; larger ones overflowed RᵀR (RuntimeWarnings at 1e200)
    with np.errstate(over="ignore", invalid="ignore"):
        err = float(np.abs(M.T @ M - np.eye(3)).max())
        det = float(np.linalg.det(M))
    if not err <= 1e-6 or det <= 0:
        raise InputError(f"{name}: not a rotation matrix (|RᵀR − I| = {err:.2e}, "
                         f"det = {det:.4g})")
    return M


def essential_from_pose(R: Any, t: Any) -> np.ndarray:
    r"""``E = [t]ₓ R`` for the second camera ``[R | t]`` (first at ``[I | 0]``), H&Z eq. 9.12.

    Parameters
    ----------
    R : (3, 3) array_like
        Rotation from the first camera's frame to the second's.
    t : (3,) array_like
        Translation (second camera frame): ``X₂ = R X₁ + t``.

    Returns
    -------
    (3, 3) ndarray
        ``E`` as is (not rescaled), so ``‖E‖_F = √2 ‖t‖``.
    """
    Rm = _check_rotation(R)
    tv = as_array(t, "t")
    if tv.shape != (3,):
        raise InputError(f"t: expected a 3-vector, got {describe(tv)}")
    if not np.any(tv):
        raise DegenerateError("t: zero translation has no epipolar geometry (E = 0)")
    return skew(tv) @ Rm


def fundamental_from_essential(E: Any, K1: Any, K2: Any) -> np.ndarray:
    r"""``F = K₂⁻ᵀ E K₁⁻¹`` (so that ``x2ᵀ F x1 = 0`` in pixels), unit Frobenius norm.

    Parameters
    ----------
    E : (3, 3) array_like
    K1, K2 : (3, 3) array_like
        Camera matrices of the first and second image.

    Returns
    -------
    (3, 3) ndarray
    """
    M = _check_fundamental(E, "E")
    A1 = _inv_K(check_intrinsics(K1, "K1"))
    A2 = _inv_K(check_intrinsics(K2, "K2"))
    return _unit(A2.T @ M @ A1)


def fundamental_from_pose(R: Any, t: Any, K1: Any, K2: Any) -> np.ndarray:
    r"""The fundamental matrix of a calibrated rig, ``F = K₂⁻ᵀ [t]ₓ R K₁⁻¹`` (H&Z eq. 9.2).

    Parameters
    ----------
    R : (3, 3) array_like
    t : (3,) array_like
        Second camera ``[R | t]``, first ``[I | 0]``.
    K1, K2 : (3, 3) array_like

    Returns
    -------
    (3, 3) ndarray
        Unit Frobenius norm, ``x2ᵀ F x1 = 0``.
    """
    return fundamental_from_essential(essential_from_pose(R, t), K1, K2)


def essential_from_fundamental(F: Any, K1: Any, K2: Any, *, project: bool = True
                               ) -> np.ndarray:
    r"""``E = K₂ᵀ F K₁`` (H&Z eq. 9.12), projected onto the essential manifold by default.

    Parameters
    ----------
    F : (3, 3) array_like
        ``x2ᵀ F x1 = 0`` in pixels.
    K1, K2 : (3, 3) array_like
    project : bool
        Replace the result by the nearest essential matrix
        (:func:`project_to_essential`). With noisy ``F`` the singular values
        of ``K₂ᵀ F K₁`` are not exactly ``(s, s, 0)``.

    Returns
    -------
    (3, 3) ndarray
        Unit Frobenius norm (singular values ``(1/√2, 1/√2, 0)`` when projected).
    """
    M = _check_fundamental(F)
    Ka = check_intrinsics(K1, "K1")
    Kb = check_intrinsics(K2, "K2")
    E = Kb.T @ M @ Ka
    return project_to_essential(E) if project else _unit(E)


def project_to_essential(E: Any) -> np.ndarray:
    r"""The nearest essential matrix in the Frobenius norm, ``U diag(1, 1, 0) Vᵀ / √2``.

    With :math:`E = U \operatorname{diag}(\sigma_1, \sigma_2, \sigma_3) V^T`
    the closest matrix with singular values ``(s, s, 0)`` has
    :math:`s = (\sigma_1 + \sigma_2)/2` (H&Z §11.7.3); the scale is
    arbitrary, so it is returned with unit Frobenius norm.

    Parameters
    ----------
    E : (..., 3, 3) array_like

    Returns
    -------
    (..., 3, 3) ndarray
    """
    M = as_array(E, "E", min_ndim=2, shape=(3, 3))
    U, _, Vt = np.linalg.svd(M)
    return (U[..., :, :2] @ Vt[..., :2, :]) / np.sqrt(2.0)


def essential_from_points(x1: Any, x2: Any, K1: Any, K2: Any, weights: Any = None
                          ) -> np.ndarray:
    r"""Essential matrix from ``N ≥ 8`` correspondences with known cameras.

    The points are calibrated, :math:`\hat x = K^{-1}\tilde x`; the normalised
    eight-point algorithm (:func:`~lacv.geometry.epipolar.eight_point`) runs
    on them, and the answer is projected onto the essential manifold
    (singular values ``(s, s, 0)``, :func:`project_to_essential`; H&Z
    §11.7.3).

    Parameters
    ----------
    x1, x2 : (N, 2) array_like
        Matching pixels of the first and second image.
    K1, K2 : (3, 3) array_like
        Camera matrices.
    weights : (N,) array_like, optional

    Returns
    -------
    (3, 3) ndarray
        ``E`` with ``x̂2ᵀ E x̂1 ≈ 0``, singular values ``(1/√2, 1/√2, 0)``.

    Raises
    ------
    InputError, DegenerateError
        As :func:`~lacv.geometry.epipolar.eight_point`.
    """
    a, b = _check_correspondences(x1, x2, 8)
    c1 = calibrate_points(a, check_intrinsics(K1, "K1"), "x1")
    c2 = calibrate_points(b, check_intrinsics(K2, "K2"), "x2")
    return project_to_essential(eight_point(c1, c2, weights))
