r"""The five-point essential-matrix solver (Nistér 2004, in Stewénius' Gröbner-basis form).

Five calibrated correspondences ``x̂2ᵀ E x̂1 = 0`` give five rows
``kron(x̂2, x̂1)`` of a linear system in the nine entries of ``E``; its null
space is four-dimensional,

.. math:: E = x X + y Y + z Z + W .

``E`` is essential exactly when (H&Z result 9.17; Nistér 2004, eq. 3–4)

.. math:: \det E = 0, \qquad 2 E E^T E - \operatorname{tr}(E E^T) E = 0,

ten cubic equations in ``(x, y, z)``. Written over the twenty monomials of
degree ≤ 3 they form a 10×20 matrix ``A``, ordered

.. math:: x^3, x^2y, x^2z, xy^2, xyz, xz^2, y^3, y^2z, yz^2, z^3 \mid
          x^2, xy, xz, y^2, yz, z^2, x, y, z, 1 .

Gauss–Jordan elimination of the first ten columns, ``A = [I | B]`` after
solving, expresses each leading cubic in the ten monomials after the bar —
a basis of the quotient ring, which has ten elements because the system has
ten (complex) solutions. Multiplication by ``x`` maps that basis into itself
(``x·x² = x³``, ``x·xy = x²y``, ..., ``x·1 = x``), and its 10×10 matrix ``M``
satisfies :math:`M v = x v` with ``v`` the basis monomials evaluated at a
solution: the eigenvectors give ``(x, y, z) = (v₇, v₈, v₉)/v₁₀``
(Stewénius, Engels & Nistér 2006). Everything is batched over samples:
the polynomial products are contractions with fixed 0/1 multiplication
tables, the elimination one batched ``solve``, the roots one batched ``eig``.

References
----------
.. [1] D. Nistér, "An efficient solution to the five-point relative pose
   problem", IEEE TPAMI 26(6), 2004.
.. [2] H. Stewénius, C. Engels and D. Nistér, "Recent developments on direct
   relative orientation", ISPRS J. Photogrammetry and Remote Sensing 60, 2006.
"""

from __future__ import annotations

from itertools import product

import numpy as np

from lacv.geometry.epipolar.fundamental import _design_rows, _oriented_ok, _unit

__all__: list[str] = []

#: monomials as exponents (of x, y, z): degree ≤ 1, degree ≤ 2 (the quotient basis), degree ≤ 3
_MONO1 = [(1, 0, 0), (0, 1, 0), (0, 0, 1), (0, 0, 0)]
_MONO2 = [(2, 0, 0), (1, 1, 0), (1, 0, 1), (0, 2, 0), (0, 1, 1), (0, 0, 2),
          (1, 0, 0), (0, 1, 0), (0, 0, 1), (0, 0, 0)]
_MONO3 = [(3, 0, 0), (2, 1, 0), (2, 0, 1), (1, 2, 0), (1, 1, 1), (1, 0, 2), (0, 3, 0),
          (0, 2, 1), (0, 1, 2), (0, 0, 3)] + _MONO2


def _table(left: list[tuple[int, int, int]], right: list[tuple[int, int, int]],
           out: list[tuple[int, int, int]]) -> np.ndarray:
    """The 0/1 tensor ``T[a, b, c] = [left_a · right_b == out_c]`` of polynomial multiplication."""
    index = {m: k for k, m in enumerate(out)}
    T = np.zeros((len(left), len(right), len(out)))
    for (a, ma), (b, mb) in product(enumerate(left), enumerate(right)):
        T[a, b, index[tuple(i + j for i, j in zip(ma, mb, strict=True))]] = 1.0
    return T


_T11 = _table(_MONO1, _MONO1, _MONO2)  # (4, 4, 10)
_T21 = _table(_MONO2, _MONO1, _MONO3)  # (10, 4, 20)
_T11R = _T11.reshape(16, 10)
_T21R = _T21.reshape(40, 20)
#: |imaginary part| / (1 + |real part|) of an eigenvalue still taken as a real root
_IMAG_RTOL = 1e-8


def _action_matrix(Bm: np.ndarray) -> np.ndarray:
    """Multiplication by ``x`` on the basis ``x², xy, xz, y², yz, z², x, y, z, 1``."""
    n = Bm.shape[0]
    M = np.zeros((n, 10, 10))
    # x·{x², xy, xz, y², yz, z²} = {x³, x²y, x²z, xy², xyz, xz²}: rows 0..5 of the reduced
    # system, x³ + Σ B₀ⱼ bⱼ = 0 and so on
    M[:, :6, :] = -Bm[:, :6, :]
    # x·x = x², x·y = xy, x·z = xz, x·1 = x
    M[:, 6, 0] = 1.0
    M[:, 7, 1] = 1.0
    M[:, 8, 2] = 1.0
    M[:, 9, 6] = 1.0
    return M


def five_point_batch(x1: np.ndarray, x2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Essential matrices through five calibrated correspondences, for ``B`` samples at once.

    Parameters
    ----------
    x1, x2 : (B, 5, 2) ndarray
        Calibrated coordinates ``K⁻¹ x̃`` (inhomogeneous).

    Returns
    -------
    E : (B, 10, 3, 3) ndarray
        Up to ten solutions per sample, unit Frobenius norm.
    valid : (B, 10) ndarray of bool
        Real solutions of non-degenerate samples that satisfy the oriented
        epipolar constraint.
    """
    n = x1.shape[0]
    A5 = _design_rows(x1, x2)  # (B, 5, 9)
    Q, R = np.linalg.qr(np.swapaxes(A5, 1, 2), mode="complete")  # Q (B, 9, 9)
    diag = np.abs(np.diagonal(R, axis1=1, axis2=2))
    ok = diag.min(axis=1) > 1e-10 * diag.max(axis=1)
    basis = np.swapaxes(Q[:, :, 5:], 1, 2).reshape(n, 4, 3, 3)  # X, Y, Z, W
    Ec = np.moveaxis(basis, 1, -1)  # (B, 3, 3, 4): E_ij as a polynomial in (x, y, z, 1)
    # products as outer products of coefficient vectors, then one matmul with the 0/1 table
    # (a three-operand einsum is ten times slower here)
    outer = (Ec[:, :, None, :, :, None] * Ec[:, None, :, :, None, :]).sum(axis=3)
    EEt = outer.reshape(n, 3, 3, 16) @ _T11R  # (B, 3, 3, 10)
    trace = EEt[:, 0, 0] + EEt[:, 1, 1] + EEt[:, 2, 2]  # (B, 10)
    prod = (EEt[:, :, :, None, :, None] * Ec[:, None, :, :, None, :]).sum(axis=2)
    EEtE = prod.reshape(n, 3, 3, 40) @ _T21R  # (B, 3, 3, 20)
    trE = (trace[:, None, None, :, None] * Ec[:, :, :, None, :]).reshape(n, 3, 3, 40) @ _T21R
    C = (2.0 * EEtE - trE).reshape(n, 9, 20)

    def mul11(p: np.ndarray, q: np.ndarray) -> np.ndarray:
        return (p[:, :, None] * q[:, None, :]).reshape(n, 16) @ _T11R

    # det E by the first row: E₀ⱼ times the cofactors (2×2 minors of rows 1, 2)
    minors = np.stack([
        mul11(Ec[:, 1, 1], Ec[:, 2, 2]) - mul11(Ec[:, 1, 2], Ec[:, 2, 1]),
        mul11(Ec[:, 1, 2], Ec[:, 2, 0]) - mul11(Ec[:, 1, 0], Ec[:, 2, 2]),
        mul11(Ec[:, 1, 0], Ec[:, 2, 1]) - mul11(Ec[:, 1, 1], Ec[:, 2, 0]),
    ], axis=1)  # (B, 3, 10)
    det = (minors[:, :, :, None] * Ec[:, 0, :, None, :]).sum(axis=1).reshape(n, 40) @ _T21R
    A = np.concatenate([det[:, None, :], C], axis=1)  # (B, 10, 20)
    lead, rest = A[:, :, :10], A[:, :, 10:]
    try:
        Bm = np.linalg.solve(lead, rest)
    except np.linalg.LinAlgError:
        # an exactly singular 10×10 block (a degenerate sample) must not break the batch:
        # find them by the LU log-determinant against the rows' norms (Hadamard's bound)
        sign, logdet = np.linalg.slogdet(lead)
        bound = np.log(np.linalg.norm(lead, axis=2) + 1e-300).sum(axis=1)
        ok &= (sign != 0) & (logdet - bound > np.log(1e-13))
        Bm = np.linalg.solve(np.where(ok[:, None, None], lead, np.eye(10)), rest)
    evals, evecs = np.linalg.eig(_action_matrix(Bm))  # eigenvectors are columns
    real = np.abs(evals.imag) <= _IMAG_RTOL * (1.0 + np.abs(evals.real))
    v = evecs.real  # (B, 10 monomials, 10 solutions)
    w = v[:, 9, :]
    good = real & (np.abs(w) > 1e-12 * np.abs(v).max(axis=1))
    w = np.where(good, w, 1.0)
    x, y, z = v[:, 6] / w, v[:, 7] / w, v[:, 8] / w  # (B, 10)
    E = (x[:, :, None, None] * basis[:, None, 0] + y[:, :, None, None] * basis[:, None, 1]
         + z[:, :, None, None] * basis[:, None, 2] + basis[:, None, 3])
    E = _unit(E)
    valid = good & ok[:, None] & np.isfinite(E).all(axis=(2, 3))
    E = np.where(valid[:, :, None, None], E, 0.0)
    valid &= _oriented_ok(E, x1, x2)
    return E, valid
