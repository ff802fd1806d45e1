"""Batched minimal solvers and batched transfer errors (private kernels of the robust loop).

Every solver takes ``B`` samples at once, ``src`` and ``dst`` of shape
``(B, s, 2)`` (``s`` = the family's minimal sample size), and returns
``(matrices (B, 3, 3), valid (B,) bool)``. Degenerate samples are flagged in
``valid`` from the determinants of the sample's point triples (never by a
failed LAPACK call), and their matrices are left finite but meaningless.
Everything is closed form in elementwise array operations — no Python loop
over samples and no batched ``solve`` that one singular sample could break.

The homography solver uses the projective-basis construction (H&Z §4.1,
exercise; Heckbert 1989): the 3×3 ``A = M diag(λ)`` with ``M = [p₁ p₂ p₃]``
and ``λ = M⁻¹ p₄`` maps the canonical basis ``e₁, e₂, e₃, (1, 1, 1)`` to the
four source points, so ``H = B A⁻¹``. Written with adjugates (Cramer's
rule), ``λᵢ`` are triple determinants and no division is needed:

.. math:: H \\propto Q\\,\\mathrm{diag}(\\mu_1\\lambda_2\\lambda_3,
          \\mu_2\\lambda_1\\lambda_3, \\mu_3\\lambda_1\\lambda_2)\\,\\mathrm{adj}(M)

where ``Q``, ``μ`` are the same for the destination points.
"""

from __future__ import annotations

import numpy as np

#: a triangle of a sample whose doubled area is below this fraction of the sample's
#: squared extent counts as collinear
_COLLINEAR_RTOL = 1e-9
#: the same, absolute, for Hartley-normalised points (mean distance √2 from the origin)
_COLLINEAR_TOL = 1e-9


_I = np.array([1, 2, 0])
_J = np.array([2, 0, 1])


def homography_4pt(src: np.ndarray, dst: np.ndarray, *, only_valid: bool = False
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Homographies through 4 correspondences each; ``valid`` false for degenerate samples.

    The points are expected Hartley-normalised (mean distance √2 from the
    origin), which makes an absolute tolerance on the triangle determinants
    meaningful. A sample is degenerate when any three of its points are
    collinear in either image (a determinant below ``1e-9``), or when the
    four triangle orientations do not all agree (or all flip) between the
    images: such a "folding" homography sends part of the sample across the
    line at infinity, which no real view of a plane does (the oriented test
    of Chum, Werner & Matas 2004).

    With ``only_valid`` the matrices of the valid samples alone come back,
    ``(M, 3, 3)``, with their sample indices ``(M,)`` instead of the mask: the
    orientation test rejects most samples at high outlier ratios (about 80 %
    at 80 % outliers), and the matrices are then built for the others only.
    """
    B = src.shape[0]
    pts = np.concatenate([src, dst])  # both images in one pass: (2B, 4, 2)
    x, y = pts[..., 0], pts[..., 1]
    # adj([p₁ p₂ p₃]) has rows p₂×p₃, p₃×p₁, p₁×p₂ with
    # pᵢ×pⱼ = (yᵢ − yⱼ, xⱼ − xᵢ, xᵢyⱼ − xⱼyᵢ): row r uses (i, j) = (_I[r], _J[r])
    xi, yi, xj, yj = x[:, _I], y[:, _I], x[:, _J], y[:, _J]
    a0, a1, a2 = yi - yj, xj - xi, xi * yj - xj * yi  # (2B, 3) each: column c of adj
    # λ = adj(M) p₄ (Cramer: det M · M⁻¹ p₄) and det M = (p₁ × p₂) · p₃ — the four
    # triangle determinants of the sample, with one sign convention for both images
    lam = a0 * x[:, 3:4] + a1 * y[:, 3:4] + a2
    detm = a0[:, 2] * x[:, 2] + a1[:, 2] * y[:, 2] + a2[:, 2]
    dets = np.concatenate([lam, detm[:, None]], axis=1)  # (2B, 4)
    ds, dd = dets[:B], dets[B:]
    orient = (ds > 0) == (dd > 0)
    valid = ((np.abs(dets) > _COLLINEAR_TOL).all(axis=1).reshape(2, B).all(axis=0)
             & (orient.all(axis=1) | ~orient.any(axis=1)))
    # H ∝ Q diag(μ₁λ₂λ₃, μ₂λ₁λ₃, μ₃λ₁λ₂) adj(M), Q = [q₁ q₂ q₃] (the dst points)
    ls, mu = lam[:B], lam[B:]
    qx, qy = x[B:, :3], y[B:, :3]
    a0, a1, a2 = a0[:B], a1[:B], a2[:B]
    keep = None
    if only_valid:
        keep = valid.nonzero()[0]
        if keep.size < 0.75 * B:  # building the rejected ones costs more than selecting
            ls, mu, qx, qy, a0, a1, a2 = (v[keep] for v in (ls, mu, qx, qy, a0, a1, a2))
            valid = valid[keep]
        else:
            keep = None
    m = ls.shape[0]
    k = mu * ls[:, [1, 0, 0]] * ls[:, [2, 2, 1]]
    Q = np.empty((m, 3, 3))
    Q[:, 0] = qx * k
    Q[:, 1] = qy * k
    Q[:, 2] = k
    adj = np.stack([a0, a1, a2], axis=2)  # adj[b, r, c]
    H = Q @ adj
    # the overall scale is arbitrary: divide by the Frobenius norm for a tame range
    norm = np.sqrt((H * H).reshape(m, 9).sum(axis=1))
    valid &= norm > 0
    H /= np.where(norm > 0, norm, 1.0)[:, None, None]
    if only_valid:
        index = np.arange(B) if keep is None else keep
        return H[valid], index[valid]
    return H, valid


def affine_3pt(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Affine maps through 3 correspondences: ``L = D S⁻¹``, ``t = q₀ − L p₀``.

    ``S = [p₁ − p₀, p₂ − p₀]`` and ``D = [q₁ − q₀, q₂ − q₀]`` (2×2), with
    ``S⁻¹ = adj(S) / det S`` written out per sample, samples along the last
    axis (contiguous element-wise loops, no per-matrix products). Points are
    expected Hartley-normalised; a triangle with a determinant below
    ``1e-9`` in either image is degenerate.
    """
    B = src.shape[0]
    (p0x, p1x, p2x), (p0y, p1y, p2y) = src.transpose(2, 1, 0)  # (coordinate, point, sample)
    (q0x, q1x, q2x), (q0y, q1y, q2y) = dst.transpose(2, 1, 0)
    s1x, s1y, s2x, s2y = p1x - p0x, p1y - p0y, p2x - p0x, p2y - p0y
    d1x, d1y, d2x, d2y = q1x - q0x, q1y - q0y, q2x - q0x, q2y - q0y
    det_s = s1x * s2y - s2x * s1y
    det_d = d1x * d2y - d2x * d1y
    valid = (np.abs(det_s) > _COLLINEAR_TOL) & (np.abs(det_d) > _COLLINEAR_TOL)
    inv = 1.0 / np.where(valid, det_s, 1.0)
    A = np.empty((3, 3, B))
    A[0, 0] = (d1x * s2y - d2x * s1y) * inv
    A[0, 1] = (d2x * s1x - d1x * s2x) * inv
    A[1, 0] = (d1y * s2y - d2y * s1y) * inv
    A[1, 1] = (d2y * s1x - d1y * s2x) * inv
    A[0, 2] = q0x - A[0, 0] * p0x - A[0, 1] * p0y
    A[1, 2] = q0y - A[1, 0] * p0x - A[1, 1] * p0y
    A[2] = ((0.0,), (0.0,), (1.0,))
    return A.transpose(2, 0, 1), valid


def _similar_2pt(src: np.ndarray, dst: np.ndarray, rigid: bool
                 ) -> tuple[np.ndarray, np.ndarray]:
    z = src[..., 0] + 1j * src[..., 1]
    w = dst[..., 0] + 1j * dst[..., 1]
    dz = z[:, 0] - z[:, 1]
    dw = w[:, 0] - w[:, 1]
    ext = np.abs(dz) ** 2 + np.abs(dw) ** 2 + 1e-300
    valid = (np.abs(dz) ** 2 > _COLLINEAR_RTOL * ext) & (np.abs(dw) ** 2 > _COLLINEAR_RTOL * ext)
    a = dw / np.where(valid, dz, 1.0)
    if rigid:
        a = a / np.where(valid, np.abs(a), 1.0)
    # the least-squares translation for the chosen linear part: centroid to centroid
    b = w.mean(axis=1) - a * z.mean(axis=1)
    M = np.zeros((src.shape[0], 3, 3))
    M[:, 0, 0] = a.real
    M[:, 0, 1] = -a.imag
    M[:, 1, 0] = a.imag
    M[:, 1, 1] = a.real
    M[:, 0, 2] = b.real
    M[:, 1, 2] = b.imag
    M[:, 2, 2] = 1.0
    return M, valid


def similarity_2pt(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Similarities through 2 correspondences: ``w = a z + b`` in complex numbers."""
    return _similar_2pt(src, dst, rigid=False)


def euclidean_2pt(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rigid motions from 2 correspondences (Umeyama's answer for two points)."""
    return _similar_2pt(src, dst, rigid=True)


def translation_1pt(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Translations from 1 correspondence: ``t = dst − src``."""
    B = src.shape[0]
    M = np.zeros((B, 3, 3))
    M[:, 0, 0] = M[:, 1, 1] = M[:, 2, 2] = 1.0
    M[:, :2, 2] = dst[:, 0] - src[:, 0]
    return M, np.ones(B, dtype=bool)


def transfer_errors_sq(H: np.ndarray, src_h: np.ndarray, dst: np.ndarray, projective: bool
                       ) -> np.ndarray:
    """Squared transfer errors ``|H(x) − x'|²`` of ``B`` models on ``K`` points.

    Parameters
    ----------
    H : (B, 3, 3) ndarray
    src_h : (3, K) ndarray
        Homogeneous source points as columns.
    dst : (2, K) ndarray
    projective : bool
        Divide by ``w`` (homographies); affine families skip the division.

    Returns
    -------
    (B, K) ndarray
        A point that a model sends to infinity (``w == 0``) has error ``inf``.
    """
    if projective:
        # callers hold np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # one context for a whole RANSAC run instead of one per call
        # Everything happens in place in the one (B, 3, K) product: large temporaries are
        # fresh pages from the kernel each time, and those page faults, not the
        # arithmetic, dominated the time (5× at B·K = 3·10⁴).
        Y = H @ src_h  # (B, 3, K): one matmul, 20× faster than einsum here
        w = Y[:, 2]
        at_inf = np.count_nonzero(w) != w.size
        inv = np.reciprocal(w, out=w)
        ex, ey = Y[:, 0], Y[:, 1]
        ex *= inv
        ex -= dst[0]
        ex *= ex
        ey *= inv
        ey -= dst[1]
        ey *= ey
        ex += ey
        if at_inf:
            ex[np.isinf(inv)] = np.inf
        return ex
    # affine: subtract and square the whole contiguous (B, 2, K) block at once (2× faster
    # than row by row on the strided (B, K) views at B = 32)
    Y = H[:, :2] @ src_h
    Y -= dst
    Y *= Y
    return np.add(Y[:, 0], Y[:, 1])
