r"""The fundamental matrix from point correspondences: eight-point and seven-point.

Convention (OpenCV's): a point ``x1`` of the first image and its match ``x2``
in the second satisfy

.. math:: \tilde x_2^T F \tilde x_1 = 0, \qquad \tilde x = (x, y, 1)^T .

Each correspondence gives one row of a linear system :math:`A f = 0` in the
nine entries of ``F`` read row by row (H&Z eq. 11.3):

.. math:: a_i = (x_2 x_1,\; x_2 y_1,\; x_2,\; y_2 x_1,\; y_2 y_1,\; y_2,\; x_1,\; y_1,\; 1)

— the lecture's DLT again, ``Ax = 0`` solved by the SVD null vector, plus
the constraint that ``F`` has rank 2.

- :func:`eight_point`: Hartley's normalised eight-point algorithm for
  ``N ≥ 8`` (H&Z algorithm 11.1): normalise both point sets, take the SVD
  null vector, set the smallest singular value of ``F̂`` to zero (the closest
  rank-2 matrix in the Frobenius norm), undo the normalisation
  ``F = T₂ᵀ F̂ T₁``.
- :func:`seven_point`: the minimal solver (H&Z §11.1.2). Seven rows leave a
  two-dimensional null space ``λF₁ + μF₂``; ``det(λF₁ + μF₂) = 0`` is a
  homogeneous cubic with one or three real roots, so up to three solutions.

Both have batched private forms (``_eight_point_batch``,
``_seven_point_batch``) that the robust estimator calls on thousands of
samples at once, without a Python loop over samples.

References
----------
.. [1] R. Hartley and A. Zisserman, *Multiple View Geometry in Computer
   Vision*, 2nd ed., 2003, §9.2 (F), §11.1 (eight- and seven-point), §11.2
   (normalisation), algorithm 11.1.
.. [2] R. Hartley, "In defense of the eight-point algorithm", IEEE TPAMI
   19(6), 1997.
.. [3] O. Chum, T. Werner and J. Matas, "Epipolar geometry estimation via
   RANSAC benefits from the oriented epipolar constraint", ICPR 2004.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lacv._validate import as_array, as_points, check_same_length, describe
from lacv.errors import DegenerateError, InputError
from lacv.geometry.homogeneous import _as_weights, normalize_points

__all__ = ["eight_point", "nearest_rank2", "seven_point"]

#: σ₈/σ₁ of the normalised design matrix below which the null space counts as
#: more than one-dimensional (points on a plane, or on a line, give rank ≤ 7)
_NULLITY_RTOL = 1e-8
#: a cubic whose largest end coefficient is below this fraction of its coefficient
#: norm has no well-defined roots (the null space is itself degenerate)
_CUBIC_RTOL = 1e-12


# --------------------------------------------------------------------------- helpers


def _check_correspondences(x1: Any, x2: Any, min_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Validated ``(N, 2)`` float arrays of equal length with at least ``min_count`` rows."""
    a = as_points(x1, "x1")
    b = as_points(x2, "x2")
    check_same_length(x1=a, x2=b)
    if a.shape[0] < min_count:
        raise InputError(f"x1, x2: expected at least {min_count} correspondences, "
                         f"got {a.shape[0]}")
    return a, b


def _design_rows(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """Rows ``kron(x̃₂, x̃₁)`` of the epipolar system, shape ``(..., N, 9)`` (H&Z eq. 11.3)."""
    shape = x1.shape[:-1]
    A = np.empty((*shape, 9))
    u1, v1 = x1[..., 0], x1[..., 1]
    u2, v2 = x2[..., 0], x2[..., 1]
    A[..., 0] = u2 * u1
    A[..., 1] = u2 * v1
    A[..., 2] = u2
    A[..., 3] = v2 * u1
    A[..., 4] = v2 * v1
    A[..., 5] = v2
    A[..., 6] = u1
    A[..., 7] = v1
    A[..., 8] = 1.0
    return A


def _unit(F: np.ndarray) -> np.ndarray:
    """Scale ``(..., 3, 3)`` matrices to unit Frobenius norm (the scale of F is arbitrary)."""
    n = np.sqrt(np.einsum("...ij,...ij->...", F, F))
    return F / np.where(n > 0, n, 1.0)[..., None, None]


def nearest_rank2(F: Any) -> np.ndarray:
    r"""The closest rank-2 matrix in the Frobenius norm: drop the smallest singular value.

    .. math:: F = U \operatorname{diag}(\sigma_1, \sigma_2, \sigma_3) V^T
              \;\mapsto\; U \operatorname{diag}(\sigma_1, \sigma_2, 0) V^T

    (Eckart–Young; H&Z §11.1.1.)

    Parameters
    ----------
    F : (..., 3, 3) array_like
        A matrix or a stack of them.

    Returns
    -------
    (..., 3, 3) ndarray
    """
    M = as_array(F, "F", min_ndim=2, shape=(3, 3))
    U, s, Vt = np.linalg.svd(M)
    s = s.copy()
    s[..., 2] = 0.0
    return (U * s[..., None, :]) @ Vt


def _denormalize(Fn: np.ndarray, T1: np.ndarray, T2: np.ndarray) -> np.ndarray:
    """``F = T₂ᵀ F̂ T₁`` for a stack, scaled to unit norm."""
    return _unit(T2.T @ Fn @ T1)


# --------------------------------------------------------------------------- eight-point


def eight_point(x1: Any, x2: Any, weights: Any = None) -> np.ndarray:
    r"""Fundamental matrix by Hartley's normalised eight-point algorithm (``x₂ᵀ F x₁ = 0``).

    1. Normalise each image's points: :math:`\hat x_k = T_k \tilde x_k`
       (centroid at the origin, mean distance √2).
    2. Stack one row :math:`\mathrm{kron}(\hat x_2, \hat x_1)^T` per
       correspondence (times :math:`\sqrt{w_i}` when weighted) and take the
       right singular vector of the smallest singular value.
    3. Enforce rank 2 by zeroing the smallest singular value of :math:`\hat F`.
    4. Denormalise: :math:`F = T_2^T \hat F T_1`, scaled to unit Frobenius norm.

    (H&Z §11.2, algorithm 11.1.) The answer minimises the algebraic error
    :math:`\sum_i w_i (\hat x_{2,i}^T \hat F \hat x_{1,i})^2`, not a geometric
    one; :class:`~lacv.geometry.epipolar.Fundamental` refines it on the
    Sampson distance.

    Parameters
    ----------
    x1, x2 : (N, 2) array_like
        Matching pixels of the first and second image, ``N ≥ 8``.
    weights : (N,) array_like, optional
        Non-negative weights of the correspondences (IRLS, local optimisation).

    Returns
    -------
    (3, 3) ndarray
        ``F`` of rank 2 and unit Frobenius norm, with ``x2ᵀ F x1 ≈ 0``.

    Raises
    ------
    InputError
        Fewer than 8 correspondences, mismatched lengths, NaN, bad weights.
    DegenerateError
        The design matrix has a null space of dimension ≥ 2 (e.g. all points
        on one plane in space, or coincident points): ``F`` is not unique.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, (20, 3)) + (0, 0, 5)
    >>> x1 = X[:, :2] / X[:, 2:] * 500 + 320
    >>> Y = X + (1, 0, 0)
    >>> x2 = Y[:, :2] / Y[:, 2:] * 500 + 320
    >>> F = eight_point(x1, x2)
    >>> r = np.einsum("ni,ij,nj->n", np.c_[x2, np.ones(20)], F, np.c_[x1, np.ones(20)])
    >>> bool(np.abs(r).max() < 1e-9)
    True
    """
    a, b = _check_correspondences(x1, x2, 8)
    w = None if weights is None else _as_weights(weights, a.shape[0])
    if w is not None and np.count_nonzero(w) < 8:
        raise InputError(f"weights: expected at least 8 positive weights, got "
                         f"{np.count_nonzero(w)}")
    n1, T1 = normalize_points(a, w)
    n2, T2 = normalize_points(b, w)
    A = _design_rows(n1, n2)
    if w is not None:
        A = A * np.sqrt(w)[:, None]
    _, s, Vt = np.linalg.svd(A, full_matrices=A.shape[0] < 9)
    s_full = np.zeros(9)
    s_full[:s.size] = s
    if not s_full[7] > _NULLITY_RTOL * s_full[0]:
        raise DegenerateError(
            "x1, x2: the eight-point system has a null space of dimension ≥ 2 "
            f"(σ₈/σ₁ = {s_full[7] / s_full[0]:.1e}): the correspondences do not determine F "
            "uniquely (all points on one plane in space, or repeated points)",
            singular_values=s_full)
    Fn = nearest_rank2(Vt[-1].reshape(3, 3))
    return _denormalize(Fn, T1, T2)


def _eight_point_batch(x1n: np.ndarray, x2n: np.ndarray, weights: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Rank-2 eight-point on already normalised points, batched: ``(B, n, 2)`` → ``(B, 3, 3)``.

    Solves through the 9×9 scatter ``AᵀA`` (one batched ``eigh``), which is
    accurate enough on normalised coordinates; ``valid`` is false where the
    null space is more than one-dimensional.
    """
    A = _design_rows(x1n, x2n)
    if weights is not None:
        A = A * np.sqrt(weights)[..., None]
    M = np.swapaxes(A, -1, -2) @ A
    evals, evecs = np.linalg.eigh(M)
    F = evecs[..., :, 0].reshape(*A.shape[:-2], 3, 3)
    # eigenvalues are σ²: the second-smallest must stand clear of rounding
    valid = evals[..., 1] > _NULLITY_RTOL * evals[..., -1]
    U, s, Vt = np.linalg.svd(F)
    s = s.copy()
    s[..., 2] = 0.0
    return (U * s[..., None, :]) @ Vt, valid


# --------------------------------------------------------------------------- seven-point


_THIRDS = (np.arange(3) * (2.0 * np.pi / 3.0))[:, None]


def _real_cubic_roots(p2: np.ndarray, p1: np.ndarray, p0: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    r"""Real roots of the monic cubics :math:`t^3 + p_2 t^2 + p_1 t + p_0`, closed form, batched.

    With :math:`t = y - p_2/3` the cubic becomes :math:`y^3 + P y + Q = 0`.
    When :math:`\Delta = (Q/2)^2 + (P/3)^3 > 0` there is one real root,
    :math:`y = u - P/(3u)` with :math:`u = \sqrt[3]{-Q/2 - \operatorname{sign}(Q)
    \sqrt\Delta}` (the sign avoids cancellation); otherwise three, by the
    trigonometric form :math:`y_k = 2\sqrt{-P/3}\cos(\tfrac13 \arccos(
    \tfrac{3Q}{2P}\sqrt{-3/P}) - \tfrac{2\pi k}{3})`. One Newton step on the
    original cubic polishes each root.

    Returns
    -------
    roots : (B, 3) ndarray
    valid : (B, 3) ndarray of bool
        The second and third roots exist only when ``Δ ≤ 0``.
    """
    t, valid = _real_cubic_roots_t(p2, p1, p0)
    return t.T, valid.T


def _real_cubic_roots_t(p2: np.ndarray, p1: np.ndarray, p0: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_real_cubic_roots` with the roots along the first axis: ``(3, B)`` each.

    (Arrays whose long axis is last: NumPy's element-wise loops are then
    long and contiguous, several times faster than over ``(B, 3)``.)
    """
    # products, not ``**``: integer powers above 2 go through ``pow``, several times slower
    p2_3 = p2 / 3.0
    P = p1 - p2 * p2_3
    Q = (2.0 / 27.0) * (p2 * p2) * p2 - p2_3 * p1 + p0
    half_q = 0.5 * Q
    P3 = P / 3.0
    D = half_q * half_q + P3 * P3 * P3
    one = D > 0
    # safe denominators instead of np.errstate: this runs once per RANSAC batch
    u = np.cbrt(-half_q - np.where(Q >= 0, 1.0, -1.0) * np.sqrt(np.where(one, D, 0.0)))
    u_ok = u != 0
    y_one = np.where(u_ok, u - P / (3.0 * np.where(u_ok, u, 1.0)), 0.0)
    neg = (P < 0) & ~one  # P ≤ 0 on the three-root branch; P = 0 there is a triple root
    Pn = np.where(neg, P, -3.0)
    arg = np.where(neg, 1.5 * Q / Pn * np.sqrt(-3.0 / Pn), 0.0)
    theta = np.arccos(np.clip(arg, -1.0, 1.0)) / 3.0
    m = np.where(neg, 2.0 * np.sqrt(-Pn / 3.0), 0.0)
    y = np.where(one, y_one, m * np.cos(theta - _THIRDS))  # (3, B)
    t = y - p2_3
    # one Newton step on t³ + p2 t² + p1 t + p0
    f = ((t + p2) * t + p1) * t + p0
    df = (3.0 * t + 2.0 * p2) * t + p1
    df_ok = df != 0
    t = np.where(df_ok, t - f / np.where(df_ok, df, 1.0), t)
    valid = np.ones(t.shape, dtype=bool)
    valid[1:] = ~one
    return t, valid


#: a fixed orthogonal change of the nine unknowns before the seven-point null space is read
#: off as ``[-A₁⁻¹A₂; I]``: without it the two free unknowns would be ``F̂₃₂, F̂₃₃``, which
#: vanish together for some rigs (a vertical rectified pair), making ``A₁`` singular
_MIX9 = np.linalg.qr(np.random.default_rng(7).normal(size=(9, 9)))[0]
#: the LU route needs ``log(|det A₁| / Π‖rows of A₁‖)`` above this (Hadamard's ratio; ≈ −37
#: for a singular block in rounding) and no entry of ``A₁⁻¹A₂`` above ``_LU_GROWTH``;
#: other samples go to the Householder QR, which also judges their rank
_LU_LOG_RATIO = np.log(1e-9)
_LU_GROWTH = 1e4
_EYE2 = np.eye(2)[:, :, None]
#: the generic third right-hand side of the determinant-free LU route (unit norm)
_PROBE7 = np.random.default_rng(11).normal(size=7)
_PROBE7 /= np.linalg.norm(_PROBE7)
#: the four values of t at which det(t F₁ + F₂) is evaluated
_T4 = np.array([0.0, 1.0, -1.0, 2.0])[:, None, None]


def _null_space_7x9(Am: np.ndarray, log_rows: np.ndarray | None = None, *,
                    hadamard: bool = True) -> tuple[np.ndarray, np.ndarray]:
    r"""An orthonormal basis of the null space of each 7×9 system, and rank flags.

    The systems come with their unknowns mixed by a fixed orthogonal ``P``
    (:data:`_MIX9`): ``Am = A P = [A₁ | A₂]`` (7×7 and 7×2), whose null space
    is :math:`\begin{bmatrix} -A_1^{-1} A_2 \\ I_2 \end{bmatrix}` whenever
    ``A₁`` is invertible — batched LU (``getrf``, ``gesv``), about twice as
    fast as a batched complete QR — and ``A``'s is ``P`` times it. Samples
    whose ``A₁`` is singular or ill-conditioned (Hadamard's ratio
    ``|det A₁| / Π‖rowsᵢ‖`` below 10⁻⁹, or an entry of ``A₁⁻¹A₂`` above
    :data:`_LU_GROWTH`) are done by the complete QR of ``Amᵀ`` instead
    (Householder QR never fails), whose ``|R₇₇|`` reveals a rank below 7.
    The two vectors are orthonormalised (Gram–Schmidt).

    With ``hadamard=False`` the determinants (a second LU of every ``A₁``,
    a third of the cost) are skipped: ``A₁`` is solved against a third,
    fixed generic right-hand side as well, whose solution is of size
    ``~1/σ_min(A₁)`` whatever ``A₂`` is, so the same growth test sends every
    ill-conditioned ``A₁`` (``σ_min ≲ 10⁻⁴``, a stricter bar than
    Hadamard's) to the QR. An exactly singular ``A₁`` (two identical
    correspondences in the sample) makes the batched solve fail; the batch
    then takes the Hadamard route. (Real pairs with repeated matches do this
    in most batches, so the robust fit asks for it only when its
    correspondences are all distinct.)

    Parameters
    ----------
    Am : (B, 7, 9) ndarray
        Design rows times :data:`_MIX9`.
    log_rows : (B,) ndarray, optional
        ``Σ log‖rowsᵢ of A₁‖`` when the caller has them (precomputed per point).
    hadamard : bool
        Test the determinants first (``False``: the probe right-hand side).
        Batches of :data:`_ELIMINATION_BATCH` samples or more
        (:data:`_ELIMINATION_BATCH_HADAMARD` with ``hadamard``) take neither
        LAPACK route: :func:`_eliminate_samples_last` solves with the probe,
        and a repeated correspondence shows as a zero pivot.

    Returns
    -------
    F : (2, 9, B) ndarray
        The two basis vectors ``vec(F₁)``, ``vec(F₂)`` (row-major ``vec``),
        samples along the last axis.
    rank_ok : (B,) ndarray of bool
    """
    B = Am.shape[0]
    A1 = Am[:, :, :7]
    Xs = None  # the solutions with the samples last, (7, 2 or 3, B)
    if B >= (_ELIMINATION_BATCH_HADAMARD if hadamard else _ELIMINATION_BATCH):
        # (either route: a repeated correspondence gives a zero pivot, flagged like any tiny one)
        Xs, tiny = _eliminate_samples_last(Am)
        redo = tiny | ~(np.abs(Xs).reshape(21, B).max(axis=0) <= _LU_GROWTH)
    elif not hadamard:
        rhs = np.empty((B, 7, 3))
        rhs[:, :, :2] = Am[:, :, 7:]
        rhs[:, :, 2] = _PROBE7
        try:
            X = np.linalg.solve(A1, rhs)  # (B, 7, 3)
        except np.linalg.LinAlgError:
            pass
        else:
            Xs = X.transpose(1, 2, 0)
            # (the growth over the (21, B) block: reductions over a short last axis are slow)
            redo = ~(np.abs(X.transpose(2, 1, 0)).reshape(21, B).max(axis=0) <= _LU_GROWTH)
    if Xs is None:
        # Hadamard: |det A₁| ≤ Π‖rows‖; a ratio near rounding means A₁ (nearly) singular
        sign, logdet = np.linalg.slogdet(A1)
        if log_rows is None:
            log_rows = 0.5 * np.log(np.maximum(np.einsum("bij,bij->bi", A1, A1), 1e-300)).sum(1)
        lu = (sign != 0) & (logdet - log_rows > _LU_LOG_RATIO)
        if not lu.all():
            A1 = np.where(lu[:, None, None], A1, np.eye(7))
        X = np.linalg.solve(A1, Am[:, :, 7:])  # (B, 7, 2)
        Xs = X.transpose(1, 2, 0)
        redo = ~(lu & (np.abs(X.transpose(2, 1, 0)).reshape(14, B).max(axis=0)
                       <= _LU_GROWTH))  # NaN and inf too
    N = np.empty((2, 9, B))  # the two null vectors, mixed coordinates, samples last
    np.negative(Xs[:, :2].transpose(1, 0, 2), out=N[:, :7])
    N[:, 7:] = _EYE2
    rank_ok = np.ones(B, dtype=bool)
    if redo.any():
        k = np.flatnonzero(redo)
        Qm, Rm = np.linalg.qr(np.swapaxes(Am[k], 1, 2), mode="complete")  # Qm (k, 9, 9)
        N[:, :, k] = Qm[:, :, 7:].transpose(2, 1, 0)
        diag = np.abs(np.diagonal(Rm, axis1=1, axis2=2))  # (k, 7)
        rank_ok[k] = diag.min(axis=1) > _NULLITY_RTOL * diag.max(axis=1)
    n1, n2 = N[0], N[1]
    n1 /= np.sqrt((n1 * n1).sum(axis=0))
    n2 -= (n1 * n2).sum(axis=0) * n1
    n2 /= np.sqrt((n2 * n2).sum(axis=0))
    # back to F's own unknowns: one product per vector
    return _MIX9 @ N, rank_ok


#: batches at least this large are solved by :func:`_eliminate_samples_last` (LAPACK's
#: batched gesv costs ~0.85 µs per 7×7 system: 447 µs at B = 512 against 156 µs; below
#: ~110 systems the elimination's fixed ~50 array operations cost more: measured crossover
#: ~110 against the probe route, ~60 against the Hadamard route's extra slogdet)
_ELIMINATION_BATCH = 112
_ELIMINATION_BATCH_HADAMARD = 64
#: a pivot below this fraction of the block's largest entry sends the sample to the QR
_PIVOT_RTOL = 1e-8


def _eliminate_samples_last(Am: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``A₁ X = [A₂ | probe]`` for a batch by Gaussian elimination, samples last.

    The batched LU of ``numpy.linalg.solve`` copies and factors one 7×7
    matrix at a time; here each of the seven elimination steps is one
    element-wise operation over the whole batch (``(7, 10, B)``, samples
    along the contiguous last axis). There is no row pivoting: the unknowns
    were mixed by a random orthogonal matrix (:data:`_MIX9`), so a small
    pivot is an accident of the sample, and a pivot below
    :data:`_PIVOT_RTOL` of the block's largest entry (or a zero one) flags
    the sample for the Householder QR, as the growth test does for an
    ill-conditioned ``A₁``.

    Returns
    -------
    X : (7, 3, B) ndarray
        The solutions (``inf`` or ``nan`` where a pivot vanished).
    tiny : (B,) ndarray of bool
        Samples with a pivot too small to trust.
    """
    B = Am.shape[0]
    M = np.empty((7, 10, B))
    M[:, :9] = Am.transpose(1, 2, 0)
    M[:, 9] = _PROBE7[:, None]
    floor = _PIVOT_RTOL * np.abs(M[:, :7]).reshape(49, B).max(axis=0)
    tiny = np.zeros(B, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for k in range(6):
            piv = M[k, k]
            tiny |= ~(np.abs(piv) > floor)
            f = M[k + 1:, k] / piv
            M[k + 1:, k + 1:] -= f[:, None, :] * M[k, None, k + 1:]
        tiny |= ~(np.abs(M[6, 6]) > floor)
        X = np.empty((7, 3, B))
        X[6] = M[6, 7:] / M[6, 6]
        for k in range(5, -1, -1):
            acc = M[k, 7:] - np.einsum("jb,jmb->mb", M[k, k + 1:7], X[k + 1:])
            X[k] = acc / M[k, k]
    return X, tiny


def _det3_rows(g: np.ndarray) -> np.ndarray:
    """Determinants of 3×3 matrices stored as rows ``g[..., 0:9, :]`` (row-major), batched last."""
    g0, g1, g2, g3, g4, g5, g6, g7, g8 = (g[..., i, :] for i in range(9))
    return g0 * (g4 * g8 - g5 * g7) - g1 * (g3 * g8 - g5 * g6) + g2 * (g3 * g7 - g4 * g6)


def _seven_point_solve(Am: np.ndarray, log_rows: np.ndarray | None = None, *,
                       hadamard: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Seven-point solutions of ``B`` mixed design systems ``Am = A P`` (B, 7, 9).

    Everything after the LU solve works on arrays with the samples along the
    last axis, and only the solutions that exist (a real root of a rank-7
    system with a proper cubic) are built and tested for orientation
    (:func:`_oriented_design`).

    Returns
    -------
    F : (9, M) ndarray
        The valid, oriented unit-norm solutions (``vec`` row-major), sample
        by sample.
    sample, root : (M,) ndarray of int
        Which sample and which root of its cubic each one is.
    """
    (F1, F2), rank_ok = _null_space_7x9(Am, log_rows, hadamard=hadamard)
    # f(t) = det(t F1 + F2) at t = 0, 1, -1, 2, all four in one evaluation
    f0, fp, fm, f2 = _det3_rows(F2 + _T4 * F1)
    c0 = f0
    c2 = 0.5 * (fp + fm) - f0
    odd = 0.5 * (fp - fm)  # c3 + c1
    c3 = (f2 - 4.0 * c2 - c0 - 2.0 * odd) / 6.0
    c1 = odd - c3
    scale = np.sqrt(c0 * c0 + c1 * c1 + c2 * c2 + c3 * c3)
    use_t = np.abs(c3) >= np.abs(c0)
    lead = np.where(use_t, c3, c0)
    cubic_ok = np.abs(lead) > _CUBIC_RTOL * np.where(scale > 0, scale, 1.0)
    inv = 1.0 / np.where(cubic_ok, lead, 1.0)
    # in s = μ/λ the coefficient order reverses
    p2 = np.where(use_t, c2, c1) * inv
    p1 = np.where(use_t, c1, c2) * inv
    p0 = np.where(use_t, c0, c3) * inv
    r, real = _real_cubic_roots_t(p2, p1, p0)  # (3, B)
    valid = real & (rank_ok & cubic_ok)
    # only the existing solutions are built and tested, sample by sample: (9, M)
    b, k = np.nonzero(valid.T)
    use = use_t[b]
    a = np.where(use, r[k, b], 1.0)
    c = np.where(use, 1.0, r[k, b])
    # t-form: F = t F1 + F2;  s-form: F = F1 + s F2
    F = a * F1[:, b] + c * F2[:, b]
    F /= np.sqrt((F * F).sum(axis=0))
    ok = _oriented_design(F, Am[b])
    return F[:, ok], b[ok], k[ok]


def _oriented_design(F: np.ndarray, Am: np.ndarray) -> np.ndarray:
    r"""The oriented epipolar constraint (:func:`_oriented_mask`) from the samples' design rows.

    :math:`(e_2 \times \tilde x_2)\cdot(F\tilde x_1) = -\tilde x_2^T [e_2]_\times F
    \tilde x_1 = -\mathrm{kron}(\tilde x_2, \tilde x_1)\cdot\mathrm{vec}([e_2]_\times F)`,
    so the signs of all seven points are one matrix–vector product with the
    sample's design rows (mixed rows ``Am`` need ``vec(K)ᵀP``). ``e₂`` is the
    largest of the cross products of two columns of ``F`` (all orthogonal to
    it).

    Everything runs on ``(M,)`` rows (the nine entries of ``F``, the seven
    signs as a ``(7, M)`` block): NumPy's reductions over a short last axis,
    ``(M, 7).min(axis=1)``, cost ten times those over the first.

    Parameters
    ----------
    F : (9, M) ndarray
        Rank-2 matrices, ``vec`` row-major, samples last.
    Am : (M, n, 9) ndarray
        Each one's sample: design rows times :data:`_MIX9`.

    Returns
    -------
    (M,) ndarray of bool
    """
    f0, f1, f2, f3, f4, f5, f6, f7, f8 = F
    # the cross products of the column pairs (0, 1), (0, 2), (1, 2), and the largest
    x, y, z = f3 * f7 - f6 * f4, f6 * f1 - f0 * f7, f0 * f4 - f3 * f1
    x2, y2, z2 = f3 * f8 - f6 * f5, f6 * f2 - f0 * f8, f0 * f5 - f3 * f2
    x3, y3, z3 = f4 * f8 - f7 * f5, f7 * f2 - f1 * f8, f1 * f5 - f4 * f2
    n1 = x * x + y * y + z * z
    n2 = x2 * x2 + y2 * y2 + z2 * z2
    n3 = x3 * x3 + y3 * y3 + z3 * z3
    use = n2 > n1
    ex, ey, ez = np.where(use, x2, x), np.where(use, y2, y), np.where(use, z2, z)
    use = n3 > np.maximum(n1, n2)
    ex, ey, ez = np.where(use, x3, ex), np.where(use, y3, ey), np.where(use, z3, ez)
    # K = [e₂]ₓ F row by row, (9, M)
    Fm = F.reshape(3, 3, -1)
    K = np.empty_like(F)
    np.subtract(ey * Fm[2], ez * Fm[1], out=K[0:3])
    np.subtract(ez * Fm[0], ex * Fm[2], out=K[3:6])
    np.subtract(ex * Fm[1], ey * Fm[0], out=K[6:9])
    sig = (Am @ (K.T @ _MIX9)[:, :, None])[:, :, 0].T.copy()  # (n, M): −signs
    lo, hi = sig.min(axis=0), sig.max(axis=0)
    # a point on the epipole itself has no sign; it neither confirms nor breaks the constraint
    tol = 1e-12 * np.maximum(hi, -lo)
    return (lo >= -tol) | (hi <= tol)


def _seven_point_models(Am: np.ndarray, log_rows: np.ndarray | None = None, *,
                        hadamard: bool = True) -> np.ndarray:
    """The valid, oriented seven-point solutions of a batch, stacked: ``(M, 3, 3)``.

    ``Am`` (B, 7, 9) are the samples' design rows times :data:`_MIX9` (the
    robust fit's path; see :func:`_seven_point_solve`).
    """
    F = _seven_point_solve(Am, log_rows, hadamard=hadamard)[0]
    return np.ascontiguousarray(F.T).reshape(-1, 3, 3)


def _seven_point_batch(x1: np.ndarray, x2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Seven-point solutions for ``B`` samples at once.

    Parameters
    ----------
    x1, x2 : (B, 7, 2) ndarray
        Samples, best already normalised (any common similarity per image).

    Returns
    -------
    F : (B, 3, 3, 3) ndarray
        Up to three solutions per sample (unit norm).
    valid : (B, 3) ndarray of bool
        Which solutions exist: real roots of the cubic, of a sample whose 7×9
        system has rank 7, that satisfy the oriented epipolar constraint.

    Notes
    -----
    The null space of the 7×9 system comes from one batched LU solve in
    mixed unknowns, with a complete QR for the samples it cannot serve
    (:func:`_null_space_7x9`).

    With ``F = λF₁ + μF₂`` the determinant is the homogeneous cubic
    :math:`c_3 λ^3 + c_2 λ^2 μ + c_1 λ μ^2 + c_0 μ^3` (H&Z §11.1.2). Its
    coefficients come from four evaluations of :math:`f(t) = \det(tF_1 +
    F_2)` at ``t = 0, ±1, 2``. The roots are taken in ``t = λ/μ`` when
    ``|c₃| ≥ |c₀|`` and in ``s = μ/λ`` otherwise, so a root at infinity of
    one form is a root at zero of the other and no division by a vanishing
    leading coefficient happens; they come in closed form
    (:func:`_real_cubic_roots`).
    """
    B = x1.shape[0]
    F, b, k = _seven_point_solve(_design_rows(x1, x2) @ _MIX9)
    out = np.zeros((B, 3, 3, 3))
    out[b, k] = F.T.reshape(-1, 3, 3)
    valid = np.zeros((B, 3), dtype=bool)
    valid[b, k] = True
    return out, valid


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross products along the last axis (broadcasting); faster than ``np.cross`` here."""
    return np.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
                     a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                     a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], axis=-1)


def _epipole2(F: np.ndarray) -> np.ndarray:
    """Left epipoles ``e₂`` (``Fᵀe₂ = 0``) of a stack of rank-2 matrices, by a cross product.

    ``e₂`` is orthogonal to every column of ``F``, so the cross product of two
    columns is ``e₂`` up to scale; the largest of the three products is used.
    """
    c0, c1, c2 = F[..., :, 0], F[..., :, 1], F[..., :, 2]
    cands = np.stack([_cross(c0, c1), _cross(c0, c2), _cross(c1, c2)], axis=-2)
    norms = np.einsum("...ki,...ki->...k", cands, cands)
    best = np.argmax(norms, axis=-1)
    return np.take_along_axis(cands, best[..., None, None], axis=-2)[..., 0, :]


def _oriented_mask(F: np.ndarray, x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    r"""The oriented epipolar constraint of Chum, Werner & Matas (2004) on each sample.

    For a real scene seen by two cameras, :math:`(e_2 \times \tilde x_{2,i})
    \cdot (F \tilde x_{1,i})` has the same sign for every correspondence; a
    hypothesis whose sample mixes signs cannot come from points in front of
    the cameras and is rejected before scoring.

    ``F`` is ``(..., 3, 3)``, ``x1``, ``x2`` are ``(..., n, 2)`` (the sample of
    each matrix); returns ``(...)``.
    """
    e2 = _epipole2(F)[..., None, :]  # (..., 1, 3)
    u1, v1 = x1[..., 0], x1[..., 1]  # (..., n)
    u2, v2 = x2[..., 0], x2[..., 1]
    # F x1, rows of F applied to (u1, v1, 1): (..., n) per component
    l0 = F[..., 0, 0, None] * u1 + F[..., 0, 1, None] * v1 + F[..., 0, 2, None]
    l1 = F[..., 1, 0, None] * u1 + F[..., 1, 1, None] * v1 + F[..., 1, 2, None]
    l2 = F[..., 2, 0, None] * u1 + F[..., 2, 1, None] * v1 + F[..., 2, 2, None]
    ex, ey, ez = e2[..., 0], e2[..., 1], e2[..., 2]
    # (e2 × x2) with x2 = (u2, v2, 1)
    sig = ((ey - ez * v2) * l0 + (ez * u2 - ex) * l1 + (ex * v2 - ey * u2) * l2)
    # a point on the epipole itself has no sign; it neither confirms nor breaks the constraint
    tol = 1e-12 * np.max(np.abs(sig), axis=-1, keepdims=True)
    pos = np.all(sig >= -tol, axis=-1)
    neg = np.all(sig <= tol, axis=-1)
    return pos | neg


def _oriented_ok(F: np.ndarray, x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """:func:`_oriented_mask` for ``K`` solutions per sample: ``F`` (B, K, 3, 3),
    ``x1``, ``x2`` (B, n, 2); returns ``(B, K)``."""
    return _oriented_mask(F, x1[:, None], x2[:, None])


def seven_point(x1: Any, x2: Any) -> np.ndarray:
    r"""All fundamental matrices through exactly seven correspondences (``x₂ᵀ F x₁ = 0``).

    The seven rows :math:`\mathrm{kron}(\hat x_2, \hat x_1)^T` (on
    Hartley-normalised points) leave a two-dimensional null space
    :math:`\{\lambda F_1 + \mu F_2\}`; imposing :math:`\det F = 0` gives a cubic
    in :math:`\lambda / \mu` with one or three real roots (H&Z §11.1.2).
    Solutions that violate the oriented epipolar constraint (Chum et al. 2004)
    — impossible for points in front of both cameras — are dropped.

    Parameters
    ----------
    x1, x2 : (7, 2) array_like
        Exactly seven correspondences.

    Returns
    -------
    (K, 3, 3) ndarray
        ``K`` ∈ {1, 2, 3} rank-2 solutions, each of unit Frobenius norm.

    Raises
    ------
    InputError
        Not exactly seven correspondences; NaN.
    DegenerateError
        The seven points do not give a two-dimensional null space (e.g. six
        of them on a line or repeated), or no real solution survives.
    """
    a, b = _check_correspondences(x1, x2, 7)
    if a.shape[0] != 7:
        raise InputError(f"x1, x2: expected exactly 7 correspondences, got {a.shape[0]} "
                         "(use eight_point for more)")
    n1, T1 = normalize_points(a)
    n2, T2 = normalize_points(b)
    Fn, valid = _seven_point_batch(n1[None], n2[None])
    if not valid[0].any():
        raise DegenerateError("x1, x2: the seven correspondences give no valid fundamental "
                              "matrix (a degenerate configuration, or no real root consistent "
                              "with points in front of the cameras)")
    return _denormalize(Fn[0][valid[0]], T1, T2)


def _check_fundamental(F: Any, name: str = "F") -> np.ndarray:
    """A finite ``(3, 3)`` matrix that is not all zero, scaled to a largest entry of 1.

    ``F`` (and ``E``) are homogeneous, and every user of this check is
    scale-invariant; the scaling keeps their squares and products finite for
    any representable entries (1e300 overflowed the Sampson denominators).
    """
    M = as_array(F, name)
    if M.shape != (3, 3):
        raise InputError(f"{name}: expected a 3×3 matrix, got {describe(M)}")
    big = np.abs(M).max()
    if not big > 0:
        raise InputError(f"{name}: is all zeros")
    return M / big
