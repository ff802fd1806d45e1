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


def _cross2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _triangle(p: np.ndarray, i: int, j: int, k: int) -> np.ndarray:
    """Twice the signed area of (p_i, p_j, p_k): det[[p_i 1], [p_j 1], [p_k 1]]."""
    return _cross2(p[:, j] - p[:, i], p[:, k] - p[:, i])


def _adjugate_rows(x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """The 9 entries (row-major) of adj([p₁ p₂ p₃]) for pᵢ = (xᵢ, yᵢ, 1), each (B,).

    Its rows are p₂×p₃, p₃×p₁, p₁×p₂ with pᵢ×pⱼ = (yᵢ − yⱼ, xⱼ − xᵢ, xᵢyⱼ − xⱼyᵢ).
    """
    out = []
    for i, j in ((1, 2), (2, 0), (0, 1)):
        xi, yi, xj, yj = x[:, i], y[:, i], x[:, j], y[:, j]
        out += [yi - yj, xj - xi, xi * yj - xj * yi]
    return out


def homography_4pt(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Homographies through 4 correspondences each; ``valid`` false for degenerate samples.

    A sample is degenerate when any three of its points are collinear in
    either image, or when the four triangle orientations do not all agree
    (or all flip) between the images: such a "folding" homography sends some
    of the sample to the other side of the line at infinity, which no real
    view of a plane does (the oriented test of Chum, Werner & Matas 2004).
    """
    B = src.shape[0]
    x, y = src[..., 0], src[..., 1]  # (B, 4)
    u, v = dst[..., 0], dst[..., 1]
    a = _adjugate_rows(x, y)
    b = _adjugate_rows(u, v)
    # λ = adj(M) p₄ (= det M · M⁻¹ p₄, Cramer) and det M = (p₁ × p₂) · p₃: the four triangle
    # determinants of the sample, with one sign convention shared by both images
    x3, y3, u3, v3 = x[:, 3], y[:, 3], u[:, 3], v[:, 3]
    l1 = a[0] * x3 + a[1] * y3 + a[2]
    l2 = a[3] * x3 + a[4] * y3 + a[5]
    l3 = a[6] * x3 + a[7] * y3 + a[8]
    m1 = b[0] * u3 + b[1] * v3 + b[2]
    m2 = b[3] * u3 + b[4] * v3 + b[5]
    m3 = b[6] * u3 + b[7] * v3 + b[8]
    detm = a[6] * x[:, 2] + a[7] * y[:, 2] + a[8]
    detq = b[6] * u[:, 2] + b[7] * v[:, 2] + b[8]
    cs = np.stack([l1, l2, l3, detm])
    cd = np.stack([m1, m2, m3, detq])
    tol_s = _COLLINEAR_RTOL * _extent_sq(src)
    tol_d = _COLLINEAR_RTOL * _extent_sq(dst)
    orient = (cs > 0) == (cd > 0)
    valid = ((np.abs(cs) > tol_s).all(axis=0) & (np.abs(cd) > tol_d).all(axis=0)
             & (orient.all(axis=0) | ~orient.any(axis=0)))
    # H ∝ Q diag(μ₁λ₂λ₃, μ₂λ₁λ₃, μ₃λ₁λ₂) adj(M), Q = [q₁ q₂ q₃]
    k1, k2, k3 = m1 * l2 * l3, m2 * l1 * l3, m3 * l1 * l2
    one = np.ones(B)
    Qk = np.stack([u[:, 0] * k1, u[:, 1] * k2, u[:, 2] * k3,
                   v[:, 0] * k1, v[:, 1] * k2, v[:, 2] * k3,
                   k1 * one, k2 * one, k3 * one], axis=1).reshape(B, 3, 3)
    H = Qk @ np.stack(a, axis=1).reshape(B, 3, 3)
    # the overall scale is arbitrary: divide by the Frobenius norm for a tame range
    norm = np.sqrt((H * H).reshape(B, 9).sum(axis=1))
    valid &= norm > 0
    H /= np.where(norm > 0, norm, 1.0)[:, None, None]
    return H, valid


def _extent_sq(p: np.ndarray) -> np.ndarray:
    d = p - p.mean(axis=1, keepdims=True)
    return (d * d).reshape(p.shape[0], -1).sum(axis=1) + 1e-300


def affine_3pt(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Affine maps through 3 correspondences: ``A = [D; 1] adj([S; 1]) / det([S; 1])``."""
    B = src.shape[0]
    det_s = _triangle(src, 0, 1, 2)
    det_d = _triangle(dst, 0, 1, 2)
    valid = (np.abs(det_s) > _COLLINEAR_RTOL * _extent_sq(src)) & (
        np.abs(det_d) > _COLLINEAR_RTOL * _extent_sq(dst))
    P = np.concatenate([src, np.ones((B, 3, 1))], axis=2)
    adj = np.stack([np.cross(P[:, 1], P[:, 2]), np.cross(P[:, 2], P[:, 0]),
                    np.cross(P[:, 0], P[:, 1])], axis=1)
    D = np.empty((B, 3, 3))
    D[:, :2, :] = np.swapaxes(dst, 1, 2)
    D[:, 2, :] = 1.0
    A = D @ adj / np.where(valid, det_s, 1.0)[:, None, None]
    A[:, 2, :] = (0.0, 0.0, 1.0)
    return A, valid


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
        Y = H @ src_h  # (B, 3, K): one matmul, 20× faster than einsum here
        w = Y[:, 2]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            inv = 1.0 / w
            ex = Y[:, 0] * inv - dst[0]
            ey = Y[:, 1] * inv - dst[1]
            e = ex * ex + ey * ey
        if not np.all(w):
            e[w == 0] = np.inf
        return e
    Y = H[:, :2] @ src_h
    ex = Y[:, 0] - dst[0]
    ey = Y[:, 1] - dst[1]
    return ex * ex + ey * ey
