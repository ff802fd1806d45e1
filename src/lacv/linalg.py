"""The lecture's linear algebra, with diagnostics.

- ``Ax = b``: :func:`solve_least_squares` minimises ``||Ax - b||²`` by SVD,
  QR or the normal equations ``(AᵀA)⁻¹Aᵀb`` taught in the lecture, and says
  when the problem is ill-posed.
- ``Ax = 0``: :func:`solve_homogeneous` minimises ``||Ax||`` subject to
  ``||x|| = 1``; the answer is the right singular vector of the smallest
  singular value (equivalently the eigenvector of ``AᵀA`` with the smallest
  eigenvalue, the minimiser of the Rayleigh quotient).
- The SVD toolkit of the lecture's properties 1–6: :func:`rank`,
  :func:`condition_number`, :func:`pinv`, :func:`null_space`,
  :func:`range_space`, :func:`frobenius_norm`, :func:`rayleigh_quotient` and
  :func:`svd_report`.

Singular values are those of LAPACK (``numpy.linalg.svd``); nothing here
re-implements a factorisation. Where the lecture notes slip, the correct
statement is implemented: rank counts non-zero *singular* values (not
eigenvalues), ``A vₖ = σₖ uₖ`` and ``Aᵀ uₖ = σₖ vₖ``, and the homogeneous
solution is the column of V for the *smallest* singular value.

Functions accept stacks ``(..., m, n)`` wherever NumPy's ``linalg`` does
(:func:`null_space` and :func:`range_space`, whose output size depends on the
rank, take one matrix).

References
----------
.. [1] G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., 2013,
   §5.3 (least squares), §2.4 (the SVD), §5.5 (rank deficiency).
.. [2] R. Hartley and A. Zisserman, *Multiple View Geometry in Computer
   Vision*, 2nd ed., 2003, §A5.3 (least-squares solution of homogeneous
   equations).
.. [3] D. Min, "Basic Linear Algebra for AI and Computer Vision", lecture
   notes (the project's ``reference/lecture-notes.md``).
"""

from __future__ import annotations

import textwrap
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.linalg

from lacv._validate import as_array, check_choice, check_positive, describe
from lacv.errors import DegenerateError, IllConditionedWarning, InputError, RankDeficientWarning

__all__ = [
    "ILL_CONDITIONED",
    "MODERATELY_CONDITIONED",
    "HomogeneousResult",
    "LeastSquaresResult",
    "SVDReport",
    "condition_number",
    "frobenius_norm",
    "null_space",
    "pinv",
    "range_space",
    "rank",
    "rayleigh_quotient",
    "singular_values",
    "solve_homogeneous",
    "solve_least_squares",
    "svd_report",
]

_EPS = float(np.finfo(np.float64).eps)

#: Condition number above which a solve may lose more than half of float64's
#: ~16 significant digits (the relative error bound is about κ·ε).
ILL_CONDITIONED: float = 1.0 / np.sqrt(_EPS)
#: Condition number above which the normal equations (κ²) lose more than half
#: of the digits, though SVD and QR are still fine.
MODERATELY_CONDITIONED: float = np.sqrt(ILL_CONDITIONED)


# --------------------------------------------------------------------------- helpers


def _matrix(A: Any, name: str = "A") -> np.ndarray:
    return as_array(A, name, min_ndim=2)


def singular_values(A: Any) -> np.ndarray:
    """The singular values ``σ₁ ≥ … ≥ σₖ ≥ 0`` of ``A``, ``k = min(m, n)``.

    Parameters
    ----------
    A : (..., m, n) array_like

    Returns
    -------
    (..., min(m, n)) ndarray
    """
    return np.linalg.svd(_matrix(A), compute_uv=False)


def _default_tol(s: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """NumPy's ``matrix_rank`` tolerance: ``σ_max · max(m, n) · ε``."""
    smax = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
    return smax * max(shape[-2:]) * _EPS


def _tolerance(s: np.ndarray, shape: tuple[int, ...], tol: float | None, rcond: float | None
               ) -> np.ndarray:
    if tol is not None and rcond is not None:
        raise InputError("tol, rcond: give at most one of an absolute and a relative tolerance")
    if tol is not None:
        check_positive(tol, "tol", allow_zero=True)
        return np.full(s.shape[:-1] + (1,), float(tol))
    if rcond is not None:
        check_positive(rcond, "rcond", allow_zero=True)
        smax = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
        return smax * float(rcond)
    return _default_tol(s, shape)


def _cond_from_s(s: np.ndarray) -> np.ndarray:
    """``σ_max / σ_min`` per matrix, ``inf`` where ``σ_min == 0``."""
    if s.shape[-1] == 0:
        return np.full(s.shape[:-1], np.inf)
    smax, smin = s[..., 0], s[..., -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(smin > 0, smax / np.where(smin > 0, smin, 1.0), np.inf)
    # the zero matrix: every singular value zero
    return np.where(smax == 0, np.inf, kappa)


def _norm_from_s(s: np.ndarray) -> np.ndarray:
    """``sqrt(Σ σₖ²)`` per matrix, scaled by ``σ_max`` so that squares neither over- nor underflow.

    Singular values come back from LAPACK for entries up to float64's limit;
    squaring them directly overflowed from about 1e154 (inf and a RuntimeWarning)
    and underflowed below 1e-162 (a zero norm for a non-zero matrix).
    """
    smax = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
    safe = np.where(smax > 0, smax, 1.0)
    with np.errstate(over="ignore"):
        norm = smax[..., 0] * np.sqrt(np.sum((s / safe) ** 2, axis=-1))
    if not np.all(np.isfinite(norm)):
        raise InputError("A: its Frobenius norm exceeds float64's range (about 1.8e308); "
                         "rescale A")
    return norm


def _scalar(a: np.ndarray) -> Any:
    """A 0-d array as a Python scalar; anything else unchanged."""
    return a.item() if isinstance(a, np.ndarray) and a.ndim == 0 else a


def _fix_sign(v: np.ndarray, axis: int = -1) -> np.ndarray:
    """Flip each vector so its largest-magnitude entry is positive (deterministic sign)."""
    idx = np.argmax(np.abs(v), axis=axis)
    pivot = np.take_along_axis(v, np.expand_dims(idx, axis), axis=axis)
    sign = np.where(pivot < 0, -1.0, 1.0)
    return v * sign


# --------------------------------------------------------------------------- Ax = b


@dataclass(frozen=True)
class LeastSquaresResult:
    """The least-squares solution of ``Ax = b`` and its diagnostics.

    Attributes
    ----------
    x : (..., n) or (..., n, k) ndarray
        The minimiser of ``||Ax - b||₂`` (the minimum-norm one when ``A`` is
        rank-deficient).
    residuals : (..., m) or (..., m, k) ndarray
        The residual vector ``b - Ax`` (not its squared norm).
    residual_norm : float or ndarray
        ``||b - Ax||₂`` — per column of ``b`` when ``b`` is ``(m, k)``.
    rank : int or ndarray of int
        The numerical rank of ``A``: singular values above the tolerance.
    singular_values : (..., min(m, n)) ndarray
        The singular values of ``A``, largest first.
    condition_number : float or ndarray
        ``σ_max / σ_min`` of ``A`` (``inf`` when singular). The normal
        equations work with ``AᵀA``, whose condition number is its square.
    method : {"svd", "qr", "normal"}
        The method that produced ``x``.
    """

    x: np.ndarray
    residuals: np.ndarray
    residual_norm: Any
    rank: Any
    singular_values: np.ndarray
    condition_number: Any
    method: str

    @property
    def unique(self) -> bool:
        """Whether the least-squares solution is unique (``A`` has full column rank)."""
        n = self.x.shape[-1] if self.x.ndim == self.residuals.ndim else self.x.shape[-2]
        return bool(np.all(np.asarray(self.rank) == n))


def _check_rhs(A: np.ndarray, b: Any) -> tuple[np.ndarray, bool]:
    """Validate ``b`` against ``A``; return ``b`` as ``(..., m, k)`` and whether it was a vector."""
    barr = as_array(b, "b", min_ndim=1, allow_empty=True)
    m = A.shape[-2]
    vector = barr.ndim == A.ndim - 1
    if vector:
        if barr.shape != A.shape[:-1]:
            raise InputError(
                f"b: expected shape {A.shape[:-1]} to match A of shape {A.shape} "
                f"(or {A.shape[:-1] + ('k',)} for several right-hand sides), got {describe(barr)}"
            )
        return barr[..., np.newaxis], True
    if barr.ndim != A.ndim or barr.shape[:-2] != A.shape[:-2] or barr.shape[-2] != m:
        raise InputError(
            f"b: expected shape {A.shape[:-1]} or {A.shape[:-1] + ('k',)} to match A of "
            f"shape {A.shape}, got {describe(barr)}"
        )
    if barr.shape[-1] == 0:
        raise InputError(f"b: expected at least one right-hand side, got {describe(barr)}")
    return barr, False


def _svd_solve(U: np.ndarray, s: np.ndarray, Vt: np.ndarray, B: np.ndarray, cutoff: np.ndarray
               ) -> np.ndarray:
    """``x = V D₀⁻¹ Uᵀ b`` (the lecture's property 3), singular values below ``cutoff`` dropped."""
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is checked by the caller
        inv = _inverse_singular_values(s, cutoff)
        return np.swapaxes(Vt, -1, -2) @ (inv[..., :, np.newaxis] * (np.swapaxes(U, -1, -2) @ B))


def _inverse_singular_values(s: np.ndarray, cutoff: np.ndarray) -> np.ndarray:
    """``D₀⁻¹``: ``1/σ`` for the singular values above ``cutoff``, 0 for the rest."""
    keep = s > cutoff
    return np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)


def solve_least_squares(
    A: Any,
    b: Any,
    method: Literal["svd", "qr", "normal"] = "svd",
    rcond: float | None = None,
    *,
    strict: bool = False,
) -> LeastSquaresResult:
    r"""Solve ``Ax = b`` in the least-squares sense, with diagnostics.

    Minimises :math:`\|A x - b\|_2^2`. For ``A`` of full column rank the
    minimiser is unique and satisfies the normal equations
    :math:`A^T A x = A^T b`, so :math:`x = (A^T A)^{-1} A^T b` — the formula of
    the lecture. Three methods compute it:

    ``"svd"`` (default)
        :math:`x = V D_0^{-1} U^T b` with singular values below
        ``rcond · σ_max`` treated as zero (the lecture's property 3). It is the
        most stable, and for a rank-deficient ``A`` gives the minimum-norm
        solution, like MATLAB's ``pinv(A)*b`` and ``numpy.linalg.lstsq``.
    ``"qr"``
        :math:`A = QR`, :math:`R x = Q^T b`. As accurate as the SVD for a
        full-rank ``A`` (its error grows like κ(A)) and cheaper.
    ``"normal"``
        Solves :math:`(A^T A) x = A^T b` as the lecture writes it. Forming
        :math:`A^T A` squares the condition number, κ(AᵀA) = κ(A)², so the
        relative error grows like κ(A)²·ε instead of κ(A)·ε: with κ(A) = 10⁶
        the SVD keeps ten significant digits and the normal equations about
        four. It is offered for teaching and for small, well-conditioned
        problems.

    A rank-deficient system (the solution is not unique) raises a
    :class:`~lacv.errors.RankDeficientWarning` and returns the minimum-norm
    solution, computed by SVD whatever ``method`` was asked for (``method``
    in the result says so). A system whose effective condition number (κ, or
    κ² for ``"normal"``) exceeds :data:`ILL_CONDITIONED` (1/√ε ≈ 6.7·10⁷, past
    which more than half the digits can be lost) raises an
    :class:`~lacv.errors.IllConditionedWarning`. With ``strict=True`` both
    raise :class:`~lacv.errors.DegenerateError` instead. Messages state the
    condition number.

    Parameters
    ----------
    A : (..., m, n) array_like
        The design matrix, or a stack of them.
    b : (..., m) or (..., m, k) array_like
        One right-hand side per matrix, or ``k`` of them as columns.
    method : {"svd", "qr", "normal"}
        How to solve; see above.
    rcond : float, optional
        Relative cut-off for small singular values (rank decisions). Default
        ``max(m, n) · ε``, as ``numpy.linalg.matrix_rank``.
    strict : bool
        Raise :class:`~lacv.errors.DegenerateError` instead of warning.

    Returns
    -------
    LeastSquaresResult

    Raises
    ------
    InputError
        ``A`` not at least 2-D, ``b`` not matching, NaN or infinite entries.
    DegenerateError
        With ``strict=True``, for a rank-deficient or ill-conditioned system;
        always, when the solution is too large for float64 (never a silent inf).

    References
    ----------
    Golub & Van Loan, *Matrix Computations*, 4th ed., §5.3.

    Examples
    --------
    >>> import numpy as np
    >>> from lacv.linalg import solve_least_squares
    >>> A = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> b = np.array([1.0, 2.0, 4.0])
    >>> r = solve_least_squares(A, b)
    >>> np.round(r.x, 4)
    array([0.8333, 1.5   ])
    >>> r.rank, round(r.condition_number, 3)
    (2, 2.924)
    """
    A_arr = _matrix(A)
    method = check_choice(method, "method", ("svd", "qr", "normal"))
    B, vector = _check_rhs(A_arr, b)
    m, n = A_arr.shape[-2:]
    if m == 0 or n == 0:
        raise InputError(f"A: expected a matrix with at least one row and column, got shape "
                         f"{A_arr.shape}")

    X = None
    if method == "svd" and A_arr.ndim == 2:
        # one matrix: LAPACK's gelsd solves by SVD and returns the singular values too
        rc = rcond if rcond is not None else max(m, n) * _EPS
        check_positive(rc, "rcond", allow_zero=True)
        with np.errstate(over="ignore", invalid="ignore"):
            X, _, _, s = np.linalg.lstsq(A_arr, B, rcond=rc)
    elif method == "svd":
        U, s, Vt = np.linalg.svd(A_arr, full_matrices=False)
    elif method == "qr":
        Q, R = np.linalg.qr(A_arr, mode="reduced")
        # A = QR with orthonormal Q: R has A's singular values, at a fraction of the cost
        s = np.linalg.svd(R, compute_uv=False)
    else:
        s = np.linalg.svd(A_arr, compute_uv=False)
    cutoff = _tolerance(s, A_arr.shape, None, rcond)
    ranks = np.sum(s > cutoff, axis=-1)
    kappa = _cond_from_s(s)
    deficient = ranks < n
    used = method

    effective = kappa**2 if method == "normal" else kappa
    if np.any(deficient):
        worst = int(np.min(ranks))
        msg = (
            f"A is rank-deficient (rank {worst} < {n} unknowns, condition number "
            f"{_fmt(np.max(kappa))}): the least-squares solution is not unique"
        )
        if strict:
            raise DegenerateError(msg, singular_values=s)
        warnings.warn(msg + "; returning the minimum-norm solution (SVD)",
                      RankDeficientWarning, stacklevel=2)
        used = "svd"
        if X is None or method != "svd":
            U, s, Vt = np.linalg.svd(A_arr, full_matrices=False)
            X = _svd_solve(U, s, Vt, B, cutoff)
    else:
        if np.any(effective > ILL_CONDITIONED):
            worst_k = float(np.max(kappa))
            what = (f"κ(AᵀA) = κ(A)² = {_fmt(worst_k**2)}" if method == "normal"
                    else f"κ(A) = {_fmt(worst_k)}")
            msg = (f"A is ill-conditioned for method {method!r} ({what}); the solution may "
                   f"have lost about {int(np.log10(float(np.max(effective))))} of its 16 digits")
            if method == "normal":
                msg += "; method='svd' or 'qr' squares nothing"
            if strict:
                raise DegenerateError(msg, singular_values=s)
            warnings.warn(msg, IllConditionedWarning, stacklevel=2)
        if method == "svd":
            if X is None:
                X = _svd_solve(U, s, Vt, B, cutoff)
        elif method == "qr":
            rhs = np.swapaxes(Q, -1, -2) @ B
            with np.errstate(over="ignore", invalid="ignore"):
                if R.ndim == 2:
                    X = scipy.linalg.solve_triangular(R, rhs, check_finite=False)
                else:  # stacks: LAPACK's triangular solver takes one matrix at a time
                    X = np.linalg.solve(R, rhs)
        else:
            At = np.swapaxes(A_arr, -1, -2)
            with np.errstate(over="ignore", under="ignore", invalid="ignore"):
                AtA = At @ A_arr
                X = _solve_spd(AtA, At @ B)

    if not np.all(np.isfinite(X)):
        raise DegenerateError(
            f"the least-squares solution overflows float64 (smallest singular value "
            f"{_fmt(np.min(s))} against |b| up to {_fmt(np.max(np.abs(B)))}); rescale A or b",
            singular_values=s)
    with np.errstate(over="ignore", invalid="ignore"):
        R_vec = B - A_arr @ X
        norms = np.linalg.norm(R_vec, axis=-2)
    if not np.all(np.isfinite(norms)):
        raise DegenerateError(
            "the residual b - Ax overflows float64 (|b| up to "
            f"{_fmt(np.max(np.abs(B)))}, |x| up to {_fmt(np.max(np.abs(X)))}); rescale A or b",
            singular_values=s)
    if vector:
        X, R_vec, norms = X[..., 0], R_vec[..., 0], norms[..., 0]
    return LeastSquaresResult(
        x=X,
        residuals=R_vec,
        residual_norm=_scalar(np.asarray(norms)),
        rank=_scalar(np.asarray(ranks)),
        singular_values=s,
        condition_number=_scalar(np.asarray(kappa)),
        method=used,
    )


def _solve_spd(M: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve ``M x = rhs`` for symmetric positive-definite ``M`` by Cholesky (LU if that fails)."""
    try:
        L = np.linalg.cholesky(M)
    except np.linalg.LinAlgError:
        # numerically indefinite (κ² beyond 1/ε): LU still gives an answer
        try:
            return np.linalg.solve(M, rhs)
        except np.linalg.LinAlgError:
            raise DegenerateError(
                "the normal equations AᵀA x = Aᵀb are singular in floating point although A "
                "has full rank (the entries of AᵀA under- or overflow: |AᵀA| up to "
                f"{_fmt(np.max(np.abs(M)))}); use method='svd' or 'qr', or rescale A"
            ) from None
    y = np.linalg.solve(L, rhs)
    return np.linalg.solve(np.swapaxes(L, -1, -2), y)


def _fmt(x: float) -> str:
    x = float(x)
    if not np.isfinite(x):
        return "inf"
    return f"{x:.3g}"


# --------------------------------------------------------------------------- Ax = 0


@dataclass(frozen=True)
class HomogeneousResult:
    """The unit vector minimising ``||Ax||``, and how well it is determined.

    Attributes
    ----------
    x : (..., n) ndarray
        Unit vector, sign fixed so its largest-magnitude entry is positive.
    singular_values : (..., min(m, n)) ndarray
        Singular values of ``A``, largest first (from ``eigh(AᵀA)`` for
        ``method="eig"``: square roots of its eigenvalues, less accurate).
    residual : float or ndarray
        ``||Ax||`` — the smallest singular value for exact arithmetic; zero
        for exact data.
    nullity : int or ndarray of int
        Dimension of the numerical null space, ``n - rank(A)``. ``0``: no
        exact null vector (noisy data), ``x`` is the least-squares answer;
        ``1``: a unique exact solution up to scale; ``≥ 2``: not unique —
        any unit vector of the null space solves the problem.
    method : {"svd", "eig"}
    """

    x: np.ndarray
    singular_values: np.ndarray
    residual: Any
    nullity: Any
    method: str

    @property
    def unique(self) -> bool:
        """Whether ``x`` is unique up to sign (the null space has dimension ≤ 1)."""
        return bool(np.all(np.asarray(self.nullity) <= 1))


def solve_homogeneous(
    A: Any,
    method: Literal["svd", "eig"] = "svd",
    *,
    tol: float | None = None,
    strict: bool = False,
) -> HomogeneousResult:
    r"""Solve ``Ax = 0``: the unit vector minimising ``||Ax||``.

    .. math:: \hat x = \arg\min_{\|x\| = 1} \|A x\|^2

    With a Lagrange multiplier the minimiser satisfies :math:`A^T A x =
    \lambda x`, and the objective equals λ, so :math:`\hat x` is the
    eigenvector of :math:`A^T A` of the *smallest* eigenvalue — the
    minimiser of the Rayleigh quotient — which is the right singular vector
    of ``A`` for the smallest singular value, the last column of V in
    :math:`A = U D V^T` (lecture notes; H&Z §A5.3). The minimum is
    :math:`\|A\hat x\| = \sigma_n`: zero for exact data.

    ``method="svd"`` (default) takes the vector from the SVD of ``A``;
    ``method="eig"`` from ``eigh(AᵀA)`` as the lecture writes it, which
    squares the condition number and loses accuracy for nearly degenerate
    problems (an eigenvalue ``σ²`` below ``ε·σ₁²`` is noise).

    When the numerical null space has dimension two or more the answer is not
    unique: a :class:`~lacv.errors.RankDeficientWarning` is raised (or, with
    ``strict=True``, :class:`~lacv.errors.DegenerateError`), and ``nullity``
    in the result says so.

    Parameters
    ----------
    A : (..., m, n) array_like
        The matrix, or a stack of them. ``m < n - 1`` rows always leave a
        null space of dimension ≥ 2.
    method : {"svd", "eig"}
    tol : float, optional
        Absolute threshold below which a singular value counts as zero.
        Default ``σ_max · max(m, n) · ε``.
    strict : bool
        Raise :class:`~lacv.errors.DegenerateError` when the answer is not unique.

    Returns
    -------
    HomogeneousResult

    Raises
    ------
    InputError
        ``A`` not at least 2-D, empty, or with non-finite entries; ``A`` all zero.
    DegenerateError
        With ``strict=True``, when the null space has dimension ≥ 2.

    References
    ----------
    Hartley & Zisserman, *Multiple View Geometry*, 2nd ed., §A5.3, algorithm A5.4.

    Examples
    --------
    >>> import numpy as np
    >>> from lacv.linalg import solve_homogeneous
    >>> A = np.array([[1.0, 1.0, -2.0], [2.0, -1.0, -1.0]])   # x = (1, 1, 1)/√3
    >>> r = solve_homogeneous(A)
    >>> np.round(r.x * np.sqrt(3), 6), r.nullity
    (array([1., 1., 1.]), 1)
    """
    A_arr = _matrix(A)
    method = check_choice(method, "method", ("svd", "eig"))
    m, n = A_arr.shape[-2:]
    if m == 0 or n == 0:
        raise InputError(f"A: expected a matrix with at least one row and column, got shape "
                         f"{A_arr.shape}")
    if n == 1:
        raise InputError("A: expected at least 2 columns for a non-trivial homogeneous "
                         f"solution, got shape {A_arr.shape}")
    if not np.all(np.any(A_arr != 0, axis=(-2, -1))):
        raise InputError("A: is all zeros; every unit vector solves Ax = 0")

    k = min(m, n)
    # x does not change when A is scaled: dividing by the largest |entry| keeps AᵀA and the
    # SVD's sums of squares in range for any representable A (entries near 1e±300 included)
    scale = np.max(np.abs(A_arr), axis=(-2, -1), keepdims=True)
    A_n = A_arr / scale
    if method == "svd":
        # full V is needed when m < n: the null vectors are not among the first m rows
        _, s, Vt = np.linalg.svd(A_n, full_matrices=m < n)
        x = Vt[..., -1, :]
    else:
        At = np.swapaxes(A_n, -1, -2)
        evals, evecs = np.linalg.eigh(At @ A_n)  # ascending
        x = evecs[..., :, 0]
        s = np.sqrt(np.clip(evals[..., ::-1][..., :k], 0.0, None))
    x = _fix_sign(x)
    with np.errstate(over="ignore"):
        s = s * scale[..., 0]  # A's own singular values (inf only beyond float64's range)

    cutoff = _tolerance(s, A_arr.shape, tol, None)
    if method == "eig":
        # AᵀA carries σ², so σ below √ε·σ₁ is indistinguishable from zero
        cutoff = np.maximum(cutoff, s[..., :1] * np.sqrt(_EPS) * np.sqrt(max(m, n)))
    ranks = np.sum(s > cutoff, axis=-1)
    nullity = n - ranks
    residual = np.linalg.norm(A_n @ x[..., np.newaxis], axis=(-2, -1)) * scale[..., 0, 0]

    if np.any(nullity > 1):
        msg = (f"the null space of A has dimension {int(np.max(nullity))} (rank "
               f"{int(np.min(ranks))} of {n} columns): Ax = 0 has no unique solution up to scale")
        if strict:
            raise DegenerateError(msg, singular_values=s)
        warnings.warn(msg + "; returning one unit vector of it", RankDeficientWarning,
                      stacklevel=2)
    return HomogeneousResult(
        x=x,
        singular_values=s,
        residual=_scalar(np.asarray(residual)),
        nullity=_scalar(np.asarray(nullity)),
        method=method,
    )


# --------------------------------------------------------------------------- SVD toolkit


def rank(A: Any, tol: float | None = None) -> Any:
    """The numerical rank: the number of singular values above ``tol`` (lecture, property 2).

    Counts singular values, not eigenvalues: "rank = number of non-zero
    eigenvalues" holds only for diagonalisable matrices such as ``AᵀA``.

    Parameters
    ----------
    A : (..., m, n) array_like
    tol : float, optional
        Absolute threshold. Default ``σ_max · max(m, n) · ε`` (NumPy's
        ``matrix_rank``); the lecture's fixed ``ε ≈ 10⁻⁶`` suits data of
        magnitude about one.

    Returns
    -------
    int, or ndarray of int for a stack
    """
    A_arr = _matrix(A)
    s = np.linalg.svd(A_arr, compute_uv=False)
    return _scalar(np.asarray(np.sum(s > _tolerance(s, A_arr.shape, tol, None), axis=-1)))


def condition_number(A: Any) -> Any:
    """The 2-norm condition number ``σ_max / σ_min`` (lecture, property 1); ``inf`` if singular.

    For a rectangular ``A`` the smallest of its ``min(m, n)`` singular values
    is used. A least-squares solution loses about ``log10(κ)`` significant
    digits; through the normal equations about ``2·log10(κ)``.

    Parameters
    ----------
    A : (..., m, n) array_like

    Returns
    -------
    float, or ndarray for a stack
    """
    return _scalar(np.asarray(_cond_from_s(singular_values(A))))


def pinv(A: Any, rcond: float | None = None) -> np.ndarray:
    """The Moore–Penrose pseudo-inverse ``A⁺ = V D₀⁻¹ Uᵀ`` (lecture, property 3).

    ``D₀⁻¹`` inverts the singular values above ``rcond · σ_max`` and zeroes
    the rest; for a square nonsingular ``A`` this is ``A⁻¹``.

    Parameters
    ----------
    A : (..., m, n) array_like
    rcond : float, optional
        Relative cut-off; default ``max(m, n) · ε``.

    Returns
    -------
    (..., n, m) ndarray

    Raises
    ------
    DegenerateError
        When ``A⁺`` is too large for float64 (a singular value near the
        underflow limit); never a silent inf.
    """
    A_arr = _matrix(A)
    U, s, Vt = np.linalg.svd(A_arr, full_matrices=False)
    cutoff = _tolerance(s, A_arr.shape, None, rcond)
    with np.errstate(over="ignore", invalid="ignore"):
        inv = _inverse_singular_values(s, cutoff)
        P = np.swapaxes(Vt, -1, -2) @ (inv[..., :, np.newaxis] * np.swapaxes(U, -1, -2))
    if not np.all(np.isfinite(P)):
        raise DegenerateError(
            f"the pseudo-inverse overflows float64 (smallest kept singular value "
            f"{_fmt(np.min(np.where(s > cutoff, s, np.inf)))}); rescale A", singular_values=s)
    return P


def _single(A: Any) -> np.ndarray:
    return as_array(A, "A", ndim=2)


def null_space(A: Any, tol: float | None = None) -> np.ndarray:
    """An orthonormal basis of the null space ``{x : Ax = 0}`` (lecture, property 4).

    The columns of V whose singular values are at most ``tol`` (zero rows of
    D included when ``m < n``), signs fixed so each column's
    largest-magnitude entry is positive.

    Parameters
    ----------
    A : (m, n) array_like
    tol : float, optional
        Absolute threshold; default ``σ_max · max(m, n) · ε``.

    Returns
    -------
    (n, n - rank) ndarray
        Possibly with zero columns.
    """
    A_arr = _single(A)
    _, s, Vt = np.linalg.svd(A_arr, full_matrices=True)
    r = int(np.sum(s > _tolerance(s, A_arr.shape, tol, None)))
    basis = Vt[r:].T
    return _fix_sign(basis, axis=0) if basis.shape[1] else basis


def range_space(A: Any, tol: float | None = None) -> np.ndarray:
    """An orthonormal basis of the range (column space) of ``A`` (lecture, property 4).

    The columns of U whose singular values exceed ``tol``, signs fixed so
    each column's largest-magnitude entry is positive.

    Parameters
    ----------
    A : (m, n) array_like
    tol : float, optional
        Absolute threshold; default ``σ_max · max(m, n) · ε``.

    Returns
    -------
    (m, rank) ndarray
    """
    A_arr = _single(A)
    U, s, _ = np.linalg.svd(A_arr, full_matrices=False)
    r = int(np.sum(s > _tolerance(s, A_arr.shape, tol, None)))
    basis = U[:, :r]
    return _fix_sign(basis, axis=0) if r else basis


def frobenius_norm(A: Any) -> Any:
    """``||A||_F = sqrt(Σ σₖ²)``, which equals ``sqrt(Σ aᵢⱼ²)`` (lecture, property 6).

    Parameters
    ----------
    A : (..., m, n) array_like

    Returns
    -------
    float, or ndarray for a stack
    """
    return _scalar(np.asarray(_norm_from_s(singular_values(A))))


def rayleigh_quotient(M: Any, x: Any, *, symmetric_tol: float = 1e-10) -> Any:
    r"""The Rayleigh quotient :math:`R(M, x) = x^T M x / x^T x`.

    For a symmetric ``M`` it lies between the smallest and the largest
    eigenvalue and equals λᵢ at the eigenvector vᵢ; with :math:`M = A^T A`
    it is :math:`\|Ax\|^2 / \|x\|^2`, whose minimiser solves ``Ax = 0``
    (lecture, "Rayleigh quotient").

    Parameters
    ----------
    M : (..., n, n) array_like
        Symmetric (real Hermitian) matrix.
    x : (..., n) array_like
        Non-zero vector(s); broadcast against ``M``.
    symmetric_tol : float
        Relative tolerance of the symmetry check ``|M - Mᵀ| ≤ tol · |M|``.

    Returns
    -------
    float, or ndarray for a stack

    Raises
    ------
    InputError
        ``M`` not square or not symmetric, ``x`` of the wrong length or zero.
    """
    M_arr = as_array(M, "M", min_ndim=2)
    if M_arr.shape[-1] != M_arr.shape[-2]:
        raise InputError(f"M: expected a square matrix (..., n, n), got {describe(M_arr)}")
    check_positive(symmetric_tol, "symmetric_tol", allow_zero=True)
    asym = np.max(np.abs(M_arr - np.swapaxes(M_arr, -1, -2)))
    scale = np.max(np.abs(M_arr))
    if asym > symmetric_tol * max(scale, np.finfo(float).tiny):
        raise InputError(
            f"M: expected a symmetric matrix (the Rayleigh quotient is defined for Hermitian "
            f"M), got max |M - Mᵀ| = {asym:.3g}"
        )
    x_arr = as_array(x, "x", min_ndim=1)
    n = M_arr.shape[-1]
    if x_arr.shape[-1] != n:
        raise InputError(f"x: expected vectors of length {n} to match M, got {describe(x_arr)}")
    # R(M, x) is invariant to the scale of x: unit-max x keeps xᵀx and xᵀMx in range
    x_max = np.max(np.abs(x_arr), axis=-1, keepdims=True)
    if np.any(x_max == 0):
        raise InputError("x: expected a non-zero vector, got the zero vector")
    x_arr = x_arr / x_max
    xx = np.sum(x_arr * x_arr, axis=-1)
    with np.errstate(over="ignore", invalid="ignore"):
        xMx = np.einsum("...i,...ij,...j->...", x_arr, M_arr, x_arr)
    if not np.all(np.isfinite(xMx)):
        raise InputError("M: xᵀMx overflows float64 (entries of M up to "
                         f"{np.max(np.abs(M_arr)):.3g}); rescale M")
    return _scalar(np.asarray(xMx / xx))


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class SVDReport:
    """What the SVD says about a matrix, with a verdict; ``str()`` prints a summary.

    Attributes
    ----------
    shape : tuple of int
    singular_values : ndarray
    rank : int
    condition_number : float
    nullity : int
        ``n - rank``: dimension of the null space.
    tolerance : float
        The threshold used for the rank decision.
    frobenius_norm : float
    verdict : str
        One of ``"well-conditioned"``, ``"moderately conditioned"`` (κ above
        :data:`MODERATELY_CONDITIONED` ≈ 8·10³: avoid the normal equations),
        ``"ill-conditioned"`` (κ above :data:`ILL_CONDITIONED`),
        ``"rank-deficient"`` or ``"zero matrix"``.
    explanation : str
        What the verdict means for ``Ax = b`` and ``Ax = 0``.
    """

    shape: tuple[int, int]
    singular_values: np.ndarray
    rank: int
    condition_number: float
    nullity: int
    tolerance: float
    frobenius_norm: float
    verdict: str
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (an infinite condition number is the string ``"inf"``,
        as everywhere in lacv's JSON: JSON has no infinity, and null would read as missing)."""
        kappa = self.condition_number
        return {
            "shape": list(self.shape),
            "singular_values": [float(v) for v in self.singular_values],
            "rank": self.rank,
            "condition_number": float(kappa) if np.isfinite(kappa) else "inf",
            "nullity": self.nullity,
            "tolerance": self.tolerance,
            "frobenius_norm": self.frobenius_norm,
            "verdict": self.verdict,
            "explanation": self.explanation,
        }

    def __str__(self) -> str:
        m, n = self.shape
        sv = np.array2string(self.singular_values, precision=6, max_line_width=58,
                             separator=", ", threshold=12).replace("\n", "\n" + " " * 20)
        lines = [
            f"SVD report for a {m}×{n} matrix",
            f"  singular values   {sv}",
            f"  rank              {self.rank} of {min(m, n)}  (tolerance {self.tolerance:.3g})",
            f"  condition number  {_fmt(self.condition_number)}",
            f"  null space        dimension {self.nullity}",
            f"  Frobenius norm    {self.frobenius_norm:.6g}",
        ]
        lines += textwrap.wrap(f"{self.verdict}: {self.explanation}", width=78,
                               initial_indent="  verdict           ",
                               subsequent_indent=" " * 20)
        return "\n".join(lines)


def svd_report(A: Any, tol: float | None = None) -> SVDReport:
    """Summarise the SVD of one matrix: rank, condition number, null space and a verdict.

    Parameters
    ----------
    A : (m, n) array_like
    tol : float, optional
        Absolute rank threshold; default ``σ_max · max(m, n) · ε``.

    Returns
    -------
    SVDReport

    Examples
    --------
    >>> from lacv.linalg import svd_report
    >>> print(svd_report([[1.0, 2.0], [2.0, 4.0]]).verdict)
    rank-deficient
    """
    A_arr = _single(A)
    m, n = A_arr.shape
    s = np.linalg.svd(A_arr, compute_uv=False)
    cutoff = float(_tolerance(s, A_arr.shape, tol, None)[0])
    r = int(np.sum(s > cutoff))
    kappa = float(_cond_from_s(s))
    nullity = n - r
    if r == 0:
        verdict = "zero matrix"
        explanation = "every x solves Ax = 0 and every x is a least-squares solution of Ax = b"
    elif r < n:
        verdict = "rank-deficient"
        explanation = (f"rank {r} < {n} columns: Ax = b has infinitely many least-squares "
                       f"solutions (the minimum-norm one is reported) and the solutions of "
                       f"Ax = 0 form a {nullity}-dimensional space")
        if r < min(m, n):
            explanation += "; the matrix is singular"
    elif kappa > ILL_CONDITIONED:
        verdict = "ill-conditioned"
        explanation = (f"κ = {_fmt(kappa)}: a least-squares solution may lose about "
                       f"{int(np.log10(kappa))} of 16 significant digits, the normal "
                       f"equations all of them")
    elif kappa > MODERATELY_CONDITIONED:
        verdict = "moderately conditioned"
        explanation = (f"full column rank, κ = {_fmt(kappa)}: SVD or QR lose about "
                       f"{int(np.log10(kappa))} digits, the normal equations (κ² = "
                       f"{_fmt(kappa**2)}) about {min(16, int(2 * np.log10(kappa)))}")
    else:
        verdict = "well-conditioned"
        explanation = (f"full column rank, κ = {_fmt(kappa)}: Ax = b has a unique, stable "
                       f"least-squares solution")
    if r == n and m >= n:
        explanation += ("; Ax = 0 has only x = 0 exactly (the best unit vector is the last "
                        "right singular vector)")
    return SVDReport(
        shape=(m, n),
        singular_values=s,
        rank=r,
        condition_number=kappa,
        nullity=nullity,
        tolerance=cutoff,
        frobenius_norm=float(_norm_from_s(s)),
        verdict=verdict,
        explanation=explanation,
    )
