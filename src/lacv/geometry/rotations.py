r"""Rotations in 3D: the Lie group SO(3), its exponential, logarithm and Jacobians.

One place for the rotation kernels that the camera model, calibration and the
epipolar refinement all use. A rotation vector ``w = θ n`` (axis ``n``, angle
``θ = ‖w‖``, OpenCV's ``rvec``) maps to a rotation matrix by the exponential
of its cross-product matrix (Rodrigues' formula),

.. math::

    [w]_\times = \begin{pmatrix} 0 & -w_3 & w_2 \\ w_3 & 0 & -w_1 \\
                                 -w_2 & w_1 & 0 \end{pmatrix}, \qquad
    \exp([w]_\times) = I + A(\theta)\,[w]_\times + B(\theta)\,[w]_\times^2,

    A = \frac{\sin\theta}{\theta}, \qquad
    B = \frac{1 - \cos\theta}{\theta^2}
      = \frac12 \left(\frac{\sin(\theta/2)}{\theta/2}\right)^2, \qquad
    C = \frac{\theta - \sin\theta}{\theta^3},

and the Jacobians that carry a perturbation of ``w`` to the group are

.. math::

    J_l(w) = I + B\,[w]_\times + C\,[w]_\times^2, \qquad
    J_r(w) = J_l(-w) = J_l(w)^T,

    \exp([w + \delta]_\times) \approx \exp([J_l(w)\,\delta]_\times) \exp([w]_\times)
                              \approx \exp([w]_\times) \exp([J_r(w)\,\delta]_\times).

Numerics: ``B`` is evaluated by its half-angle form, which has no
cancellation (``1 − cos θ`` loses all its digits below ``θ ≈ 1e-8``); ``A``
and ``B`` switch to their Taylor series only below ``θ = 1e-4`` (to avoid
``0/0``), ``C`` — whose numerator ``θ − sin θ`` does cancel — below
``θ = 0.1``, with enough terms that the series is exact to rounding there.
The logarithm reads the angle from ``atan2(‖v‖, (tr R − 1)/2)`` (accurate at
both ends, unlike ``acos``) and, near ``θ = π`` where the antisymmetric part
vanishes, the axis from the symmetric part ``(R + Rᵀ)/2 − cos θ I =
(1 − cos θ) n nᵀ``.

Every function takes stacks ``(..., 3)`` / ``(..., 3, 3)``; a single vector
takes a scalar fast path (the same formulas) because the refinements call
these once per iteration.

References
----------
.. [1] T. D. Barfoot, *State Estimation for Robotics*, Cambridge University
   Press, 2017, §7.1 (eqs. 7.14, 7.77 for the exponential and ``J_l``;
   §7.1.3 for the logarithm).
.. [2] J. Solà, J. Deray and D. Atchuthan, "A micro Lie theory for state
   estimation in robotics", arXiv:1812.01537, 2018, §IV and appendix B
   (eqs. 143, 145).
.. [3] R. Hartley and A. Zisserman, *Multiple View Geometry in Computer
   Vision*, 2nd ed., 2003, §A4.3.2 (Rodrigues), §A4.1.2 (nearest orthogonal
   matrix).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lacv._validate import as_array, describe
from lacv.errors import InputError

__all__ = [
    "SO3_GENERATORS",
    "exp_so3",
    "exp_so3_derivatives",
    "left_jacobian",
    "log_so3",
    "nearest_rotation",
    "right_jacobian",
    "skew",
]

#: below this angle (rad) A and B use their series (only to avoid 0/0: both forms are exact)
_SERIES_AB = 1e-4
#: below this angle (rad) C = (θ − sin θ)/θ³ uses its series (the closed form cancels)
_SERIES_C = 0.1
#: below this angle (rad) the logarithm returns the antisymmetric part itself (θ/sin θ = 1)
_LOG_SMALL = 1e-8
#: cos θ below which the logarithm reads the axis from the symmetric part (near π)
_LOG_NEAR_PI_COS = -0.9


# ----------------------------------------------------------------------------- kernels


def _skew(v: np.ndarray) -> np.ndarray:
    """``[v]×`` for ``v`` of shape ``(..., 3)`` (no checks)."""
    if v.ndim == 1:
        return np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])
    z = np.zeros(v.shape[:-1])
    return np.stack([np.stack([z, -v[..., 2], v[..., 1]], -1),
                     np.stack([v[..., 2], z, -v[..., 0]], -1),
                     np.stack([-v[..., 1], v[..., 0], z], -1)], -2)


#: the generators ``[e_k]ₓ`` of so(3), (3, 3, 3): ``SO3_GENERATORS[k] = skew(e_k)``
SO3_GENERATORS = _skew(np.eye(3))
SO3_GENERATORS.setflags(write=False)


def _ab(th2: float) -> tuple[float, float]:
    """``A, B`` of the module docstring for one squared angle ``θ²``."""
    if th2 < _SERIES_AB * _SERIES_AB:
        return 1.0 - th2 * (1.0 / 6.0 - th2 / 120.0), 0.5 - th2 * (1.0 / 24.0 - th2 / 720.0)
    th = math.sqrt(th2)
    half = math.sin(0.5 * th) / (0.5 * th)
    return math.sin(th) / th, 0.5 * half * half


def _c(th2: float) -> float:
    """``C`` of the module docstring for one squared angle ``θ²``."""
    if th2 < _SERIES_C * _SERIES_C:
        return 1.0 / 6.0 - th2 * (1.0 / 120.0 - th2 * (1.0 / 5040.0 - th2 * (
            1.0 / 362880.0 - th2 / 39916800.0)))
    th = math.sqrt(th2)
    return (th - math.sin(th)) / (th2 * th)


def _coefficients_ab(th2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``A, B`` for a stack of squared angles (the same formulas as :func:`_ab`)."""
    small = th2 < _SERIES_AB * _SERIES_AB
    th = np.sqrt(np.where(small, 1.0, th2))
    a = np.where(small, 1.0 - th2 * (1.0 / 6.0 - th2 / 120.0), np.sin(th) / th)
    half = np.sin(0.5 * th) / (0.5 * th)
    b = np.where(small, 0.5 - th2 * (1.0 / 24.0 - th2 / 720.0), 0.5 * half * half)
    return a, b


def _coefficient_c(th2: np.ndarray) -> np.ndarray:
    """``C`` for a stack of squared angles."""
    small = th2 < _SERIES_C * _SERIES_C
    th = np.sqrt(np.where(small, 1.0, th2))
    series = 1.0 / 6.0 - th2 * (1.0 / 120.0 - th2 * (1.0 / 5040.0 - th2 * (
        1.0 / 362880.0 - th2 / 39916800.0)))
    return np.where(small, series, (th - np.sin(th)) / (th * th * th))


def _add_identity(M: np.ndarray) -> np.ndarray:
    M[..., 0, 0] += 1.0
    M[..., 1, 1] += 1.0
    M[..., 2, 2] += 1.0
    return M


def _exp_so3(w: np.ndarray) -> np.ndarray:
    """Rodrigues for ``w`` of shape ``(..., 3)`` → ``(..., 3, 3)`` (no checks)."""
    W = _skew(w)
    if w.ndim == 1:  # the refinements' per-iteration call: scalar coefficients
        a, b = _ab(float(w @ w))
        R = a * W + b * (W @ W)
        R[0, 0] += 1.0
        R[1, 1] += 1.0
        R[2, 2] += 1.0
        return R
    a, b = _coefficients_ab(np.sum(w * w, axis=-1))
    return _add_identity(a[..., None, None] * W + b[..., None, None] * (W @ W))


def _left_jacobian(w: np.ndarray) -> np.ndarray:
    """``J_l(w)`` for ``w`` of shape ``(..., 3)`` → ``(..., 3, 3)`` (no checks)."""
    W = _skew(w)
    if w.ndim == 1:
        th2 = float(w @ w)
        b, c = _ab(th2)[1], _c(th2)
    else:
        th2 = np.sum(w * w, axis=-1)
        b = _coefficients_ab(th2)[1][..., None, None]
        c = _coefficient_c(th2)[..., None, None]
    return _add_identity(b * W + c * (W @ W))


def _exp_so3_derivatives(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``R = exp([w]ₓ)`` (..., 3, 3) and ``∂R/∂w_k = [J_l(w) e_k]ₓ R`` (..., 3, 3, 3)."""
    W = _skew(w)
    W2 = W @ W
    if w.ndim == 1:
        th2 = float(w @ w)
        (a, b), c = _ab(th2), _c(th2)
    else:
        th2 = np.sum(w * w, axis=-1)
        a, b = (x[..., None, None] for x in _coefficients_ab(th2))
        c = _coefficient_c(th2)[..., None, None]
    R = _add_identity(a * W + b * W2)
    Jl = _add_identity(b * W + c * W2)
    # [J_l e_k]ₓ = Σ_m (J_l)_{mk} [e_m]ₓ, for all k at once
    dR = np.einsum("...mk,mij->...kij", Jl, SO3_GENERATORS) @ R[..., None, :, :]
    return R, dR


def _log_so3(M: np.ndarray) -> np.ndarray:
    """The rotation vector of ``M`` (..., 3, 3) → (..., 3), ``θ ∈ [0, π]`` (no checks)."""
    c = (M[..., 0, 0] + M[..., 1, 1] + M[..., 2, 2] - 1.0) / 2.0
    v = np.stack([M[..., 2, 1] - M[..., 1, 2], M[..., 0, 2] - M[..., 2, 0],
                  M[..., 1, 0] - M[..., 0, 1]], -1) / 2.0  # n sin θ
    s = np.sqrt(np.sum(v * v, axis=-1))
    theta = np.arctan2(s, c)  # accurate at both ends, unlike arccos(c)
    # sin θ ≈ θ below _LOG_SMALL: the vector part is the rotation vector
    small = theta < _LOG_SMALL
    near_pi = c <= _LOG_NEAR_PI_COS
    plain = ~(small | near_pi)
    out = v * np.where(plain, theta / np.where(plain, s, 1.0), 1.0)[..., None]
    if np.any(near_pi):
        # sin θ → 0 near π: the axis from the symmetric part,
        # (R + Rᵀ)/2 − cos θ I = (1 − cos θ) n nᵀ; its largest diagonal entry picks a column
        Mp, cp, vp = M[near_pi], c[near_pi], v[near_pi]
        S = (Mp + np.swapaxes(Mp, -1, -2)) / 2.0 - cp[:, None, None] * np.eye(3)
        k = np.argmax(np.diagonal(S, axis1=-2, axis2=-1), axis=-1)
        n = np.take_along_axis(S, k[:, None, None], axis=-1)[..., 0]
        n = n / np.linalg.norm(n, axis=-1, keepdims=True)
        # the sign of the axis follows the (small) antisymmetric part
        n = np.where((np.sum(n * vp, axis=-1) < 0)[:, None], -n, n)
        out[near_pi] = n * theta[near_pi][:, None]
    return out


def _nearest_rotation(M: np.ndarray) -> np.ndarray:
    """``U diag(1, 1, det UVᵀ) Vᵀ`` for ``M`` (..., 3, 3) (no checks)."""
    U, _, Vt = np.linalg.svd(M)
    d = np.where(np.linalg.det(U @ Vt) < 0, -1.0, 1.0)
    return (U * np.stack([np.ones_like(d), np.ones_like(d), d], -1)[..., None, :]) @ Vt


# ----------------------------------------------------------------------------- public


def _vectors(w: Any, name: str) -> np.ndarray:
    a = as_array(w, name, min_ndim=1)
    if a.shape[-1] != 3:
        raise InputError(f"{name}: expected shape (3,) or (..., 3), got {describe(a)}")
    return _check_angles(a, name)


#: largest accepted rotation angle |w| in radians: θ² and [w]ₓ² stay finite in float64
_MAX_ANGLE = 1e150


def _check_angles(w: np.ndarray, name: str) -> np.ndarray:
    """Refuse rotation vectors so long that θ² overflows (``math.sin(inf)``: a domain error)."""
    biggest = float(np.max(np.abs(w), initial=0.0))
    if biggest > _MAX_ANGLE:
        raise InputError(f"{name}: a rotation angle of about {biggest:.3g} rad is beyond "
                         f"{_MAX_ANGLE:.0e} (its square overflows); reduce it modulo 2π")
    return w


def _matrices(M: Any, name: str) -> np.ndarray:
    a = as_array(M, name, min_ndim=2)
    if a.shape[-2:] != (3, 3):
        raise InputError(f"{name}: expected shape (3, 3) or (..., 3, 3), got {describe(a)}")
    return a


def skew(v: Any) -> np.ndarray:
    r"""The cross-product matrix :math:`[v]_\times`, with :math:`[v]_\times w = v \times w`.

    .. math:: [v]_\times = \begin{pmatrix} 0 & -v_3 & v_2 \\ v_3 & 0 & -v_1 \\
              -v_2 & v_1 & 0 \end{pmatrix}

    (H&Z §A4.5; the hat operator of so(3), Barfoot §7.1.1.)

    Parameters
    ----------
    v : (3,) or (..., 3) array_like

    Returns
    -------
    (3, 3) or (..., 3, 3) ndarray

    Raises
    ------
    InputError
        ``v`` not finite or its last axis not of length 3.

    Examples
    --------
    >>> skew([1.0, 2.0, 3.0]) @ np.array([4.0, 5.0, 6.0])
    array([-3.,  6., -3.])
    """
    return _skew(_vectors(v, "v"))


def exp_so3(w: Any) -> np.ndarray:
    r"""The rotation matrix of a rotation vector: the SO(3) exponential (Rodrigues).

    .. math:: R = \exp([w]_\times) = I + \frac{\sin\theta}{\theta}[w]_\times
              + \frac{1 - \cos\theta}{\theta^2}[w]_\times^2, \qquad \theta = \|w\|

    (Barfoot §7.1.3, eq. 7.14; Solà et al. 2018, eq. 143.)

    Parameters
    ----------
    w : (3,) or (..., 3) array_like
        Axis × angle in radians.

    Returns
    -------
    (3, 3) or (..., 3, 3) ndarray
        Orthonormal with determinant +1 to rounding.

    Raises
    ------
    InputError
        ``w`` not finite or its last axis not of length 3.

    Examples
    --------
    >>> np.round(exp_so3([0.0, 0.0, np.pi / 2]), 12) + 0.0
    array([[ 0., -1.,  0.],
           [ 1.,  0.,  0.],
           [ 0.,  0.,  1.]])
    """
    return _exp_so3(_vectors(w, "w"))


def log_so3(R: Any) -> np.ndarray:
    r"""The rotation vector of a rotation matrix: the SO(3) logarithm, ``θ ∈ [0, π]``.

    .. math:: \theta = \operatorname{atan2}\!\left(\|v\|,\ \tfrac12(\operatorname{tr} R - 1)\right),
              \qquad v = \tfrac12 (R_{32} - R_{23},\ R_{13} - R_{31},\ R_{21} - R_{12}),
              \qquad w = \frac{\theta}{\sin\theta}\, v

    Near ``θ = π`` (``cos θ ≤ −0.9``), where ``v = n sin θ`` vanishes, the axis
    is the largest column of ``(R + Rᵀ)/2 − cos θ I = (1 − cos θ) n nᵀ``,
    signed like ``v`` (Barfoot §7.1.3; Solà et al. 2018, eq. 145).

    Parameters
    ----------
    R : (3, 3) or (..., 3, 3) array_like
        Rotation matrices (orthonormal with determinant +1 to 1e-6).

    Returns
    -------
    (3,) or (..., 3) ndarray

    Raises
    ------
    InputError
        ``R`` of the wrong shape, not finite, or not a rotation (use
        :func:`nearest_rotation` first for a noisy one).
    """
    M = _matrices(R, "R")
    with np.errstate(over="ignore", invalid="ignore"):  # entries near 1e200 overflowed R Rᵀ
        err = np.abs(M @ np.swapaxes(M, -1, -2) - np.eye(3)).max(initial=0.0)
        det = np.linalg.det(M)
    if not err <= 1e-6 or np.any(det < 0):
        raise InputError(f"R: expected rotation matrices (orthonormal, det +1), got |RRᵀ − I| = "
                         f"{err:.2e}, smallest det {np.min(det):.4g}; use "
                         "nearest_rotation first for a noisy one")
    return _log_so3(M)


def left_jacobian(w: Any) -> np.ndarray:
    r"""The left Jacobian of SO(3): ``exp([w + δ]×) ≈ exp([J_l(w) δ]×) exp([w]×)``.

    .. math:: J_l(w) = I + \frac{1 - \cos\theta}{\theta^2}[w]_\times
              + \frac{\theta - \sin\theta}{\theta^3}[w]_\times^2

    (Barfoot §7.1.5, eq. 7.77a; Solà et al. 2018, eq. 145.)

    Parameters
    ----------
    w : (3,) or (..., 3) array_like

    Returns
    -------
    (3, 3) or (..., 3, 3) ndarray
    """
    return _left_jacobian(_vectors(w, "w"))


def right_jacobian(w: Any) -> np.ndarray:
    r"""The right Jacobian of SO(3): ``exp([w + δ]×) ≈ exp([w]×) exp([J_r(w) δ]×)``.

    .. math:: J_r(w) = J_l(-w) = I - \frac{1 - \cos\theta}{\theta^2}[w]_\times
              + \frac{\theta - \sin\theta}{\theta^3}[w]_\times^2

    (Barfoot §7.1.5; Solà et al. 2018, eq. 143.)

    Parameters
    ----------
    w : (3,) or (..., 3) array_like

    Returns
    -------
    (3, 3) or (..., 3, 3) ndarray
    """
    return _left_jacobian(-_vectors(w, "w"))


def exp_so3_derivatives(w: Any) -> tuple[np.ndarray, np.ndarray]:
    r"""``R = exp([w]×)`` and its partial derivatives ``∂R/∂w_k``.

    .. math:: \frac{\partial R}{\partial w_k} = [J_l(w)\, e_k]_\times\, R
              = R\, [J_r(w)\, e_k]_\times

    (Barfoot §7.1.5; at ``w = 0`` this is the generator ``[e_k]ₓ``.)

    Parameters
    ----------
    w : (3,) or (..., 3) array_like

    Returns
    -------
    R : (3, 3) or (..., 3, 3) ndarray
    dR : (3, 3, 3) or (..., 3, 3, 3) ndarray
        ``dR[..., k, :, :] = ∂R/∂w_k``.
    """
    return _exp_so3_derivatives(_vectors(w, "w"))


def nearest_rotation(M: Any) -> np.ndarray:
    r"""The rotation nearest to ``M`` in the Frobenius norm: ``U diag(1, 1, det UVᵀ) Vᵀ``.

    With ``M = U Σ Vᵀ`` the closest orthogonal matrix is ``U Vᵀ`` (orthogonal
    Procrustes; H&Z §A4.1.2, Zhang 2000 appendix C); the last sign flip keeps
    the determinant at +1.

    Parameters
    ----------
    M : (3, 3) or (..., 3, 3) array_like

    Returns
    -------
    (3, 3) or (..., 3, 3) ndarray
    """
    return _nearest_rotation(_matrices(M, "M"))
