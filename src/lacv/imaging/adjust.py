r"""Joint refinement of a panorama's transforms over all pairs of images.

Every image ``k`` has a transform ``T_k`` into the reference image's pixels
(the reference's is the identity: the gauge). Given the inlier
correspondences of every linked pair ``(i, j)``, the transforms are refined
together by Levenberg–Marquardt (:func:`lacv.geometry.refine.levenberg_marquardt`)
on the symmetric transfer error (H&Z §4.2.2, eq. 4.7):

.. math:: E = \sum_{(i,j)} \sum_m
          \lVert \pi(T_j^{-1} T_i \tilde x_{im}) - x_{jm} \rVert^2 +
          \lVert \pi(T_i^{-1} T_j \tilde x_{jm}) - x_{im} \rVert^2 .

Its Jacobian is analytic: with :math:`q = G_j T_i \tilde x` (:math:`G_j =
T_j^{-1}`), :math:`dq = G_j (dT_i\, \tilde x - dT_j\, q)`, and for
:math:`u = q_1/q_3`, :math:`du = a_u \cdot (dT_i\, \tilde x - dT_j\, q)` with
:math:`a_u = (G_{j,1} - u\, G_{j,3}) / q_3` (rows of ``G_j``); likewise for
``v``. Coordinates are normalised per image (centre at the origin, the longer
side of length 2; H&Z §4.4.4) and residuals are reported in pixels.

Two parametrisations of the transforms:

- :class:`FreeTransforms` — each transform is a free member of its family
  (a homography's eight entries other than its largest, fixed for the scale;
  the linear coordinates of an affine, similarity or translation; the angle
  and translation of a Euclidean transform).
- :class:`RotatingCamera` — the images come from one camera rotating about
  its centre (a hand-held panorama): ``T_k = K_r R_k K_k^{-1}`` with a shared
  focal length ``f`` and principal points at the image centres (Brown & Lowe
  2007, §4; Szeliski 2006, §2.1.5). Three parameters per image and one focal
  length instead of eight: far less variance where overlaps are narrow. The
  starting focal length comes from the pairwise homographies (Szeliski &
  Shum 1997, as in OpenCV's ``focalsFromHomography``).

References
----------
.. [1] R. Hartley and A. Zisserman, *Multiple View Geometry*, 2nd ed., 2003.
.. [2] M. Brown and D. G. Lowe, "Automatic Panoramic Image Stitching using
   Invariant Features", IJCV 74(1), 2007.
.. [3] R. Szeliski and H.-Y. Shum, "Creating full view panoramic image mosaics
   and environment maps", SIGGRAPH 1997.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from lacv.errors import DegenerateError

__all__ = [
    "Adjustment",
    "FreeTransforms",
    "RotatingCamera",
    "adjust_transforms",
    "focal_from_homography",
    "normaliser",
    "transfer_rms_px",
]


def normaliser(shape: tuple[int, ...]) -> np.ndarray:
    """The similarity taking an image's pixels to [-1, 1] along its longer side, centred."""
    h, w = shape[:2]
    s = 2.0 / max(h, w)
    return np.array([[s, 0.0, -s * (w - 1) / 2.0], [0.0, s, -s * (h - 1) / 2.0],
                     [0.0, 0.0, 1.0]])


def _transfer(Ti: np.ndarray, Tj: np.ndarray, pi: np.ndarray, pj: np.ndarray,
              Gj: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Residuals ``π(T_j⁻¹ T_i x̃_i) − x_j`` (N, 2), the rows ``a_u, a_v`` (N, 2, 3), and ``q``.

    ``Gj`` is ``T_j⁻¹`` when the caller has it already.
    """
    if Gj is None:
        Gj = np.linalg.inv(Tj)
    M = Gj @ Ti
    q = pi @ M[:, :2].T + M[:, 2]
    if np.any(np.abs(q[:, 2]) < 1e-12):
        raise DegenerateError("a correspondence is sent to infinity by the transforms")
    u = q[:, 0] / q[:, 2]
    v = q[:, 1] / q[:, 2]
    res = np.column_stack([u - pj[:, 0], v - pj[:, 1]])
    inv_q2 = 1.0 / q[:, 2]
    a_u = (Gj[0][None, :] - u[:, None] * Gj[2][None, :]) * inv_q2[:, None]
    a_v = (Gj[1][None, :] - v[:, None] * Gj[2][None, :]) * inv_q2[:, None]
    return res, np.stack([a_u, a_v], axis=1), q


def _chain_rule(A: np.ndarray, D: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Jacobian rows ``a_c · (D_k x_n)``, ``(2n, k)``, for ``A`` (n, 2, 3), ``D`` (k, 3, 3), ``x``.

    ``x`` is ``(n, 3)``.

    Two matrix products (``D_k x`` for every parameter ``k``, then ``A`` times
    those columns) instead of a three-operand ``einsum``, whose contraction
    path search costs more than the products themselves at these sizes.
    """
    Dx = x @ D.reshape(-1, 3).T  # (n, 3k): column (k, a) is [D_k x]_a
    Dx = Dx.reshape(len(x), -1, 3).transpose(0, 2, 1)  # (n, 3, k)
    return np.matmul(A, Dx).reshape(2 * len(x), -1)


#: initial LM damping relative to max diag(JᵀJ): the chained pairwise estimates start near
#: the optimum, where nearly Gauss–Newton steps converge in 4–5 iterations instead of 8
#: (the same optimum to 1e-6 of the focal length on the built-in scenes)
_MU0 = 1e-5


def _rows2(points: np.ndarray) -> np.ndarray:
    """The residual rows ``2p, 2p + 1`` of the correspondences ``p``."""
    return (2 * points[:, np.newaxis] + np.arange(2)).ravel()


def transfer_rms_px(transforms: dict[int, np.ndarray],
                    links: Sequence[tuple[int, int, np.ndarray, np.ndarray]]) -> float:
    """RMS (per point) of the symmetric transfer errors of ``links`` ``(i, j, x_i, x_j)``, px."""
    sq, count = 0.0, 0
    for i, j, pi, pj in links:
        if i not in transforms or j not in transforms or len(pi) == 0:
            continue
        r1, _, _ = _transfer(transforms[i], transforms[j], pi, pj)
        r2, _, _ = _transfer(transforms[j], transforms[i], pj, pi)
        sq += float((r1 ** 2).sum() + (r2 ** 2).sum())
        count += 2 * len(pi)
    return float(np.sqrt(sq / count)) if count else 0.0


class FreeTransforms:
    """Each non-reference transform free within its family (normalised coordinates).

    ``T̂_k = N_r T_k N_k⁻¹``. Homographies vary the eight entries of ``T̂_k``
    other than its largest; the affine families vary ``T̂_k = T̂_k⁰ + Σ p B``
    over the lifted basis of their pixel-space parameters; the Euclidean
    family rebuilds ``[R(θ) | t]`` in pixels.
    """

    name = "free"

    def __init__(self, kind: str, reference: int, transforms: dict[int, np.ndarray],
                 N: dict[int, np.ndarray]) -> None:
        self.kind = kind
        self.reference = reference
        self.N = N
        Nr = N[reference]
        self.start: dict[int, np.ndarray] = {}
        self.basis: dict[int, np.ndarray] = {}
        self.columns: dict[int, np.ndarray] = {}
        self.euclid: dict[int, tuple[float, np.ndarray]] = {}
        d = 0
        for k in sorted(transforms):
            if k == reference:
                continue
            Ni_inv = np.linalg.inv(N[k])
            T0 = Nr @ transforms[k] @ Ni_inv
            self.start[k] = T0 / T0[2, 2] if kind != "homography" else T0 / np.abs(T0).max()
            if kind == "homography":
                fixed = int(np.argmax(np.abs(T0)))
                basis = np.array([np.eye(9)[m].reshape(3, 3) for m in range(9) if m != fixed])
            elif kind == "euclidean":
                M0 = transforms[k] / transforms[k][2, 2]
                self.euclid[k] = (float(np.arctan2(M0[1, 0], M0[0, 0])), M0[:2, 2].copy())
                basis = np.zeros((3, 3, 3))
            else:
                basis = np.array([Nr @ E @ Ni_inv for E in _LINEAR_BASES[kind]])
            self.basis[k] = basis
            self.columns[k] = np.arange(d, d + len(basis))
            d += len(basis)
        self.size = d

    def x0(self) -> np.ndarray:
        return np.zeros(self.size)

    def _euclid_matrix(self, k: int, p: np.ndarray, derivative: bool) -> np.ndarray:
        theta0, t0 = self.euclid[k]
        c, s = np.cos(theta0 + p[0]), np.sin(theta0 + p[0])
        Nr, Ni_inv = self.N[self.reference], np.linalg.inv(self.N[k])
        if not derivative:
            M = np.array([[c, -s, t0[0] + p[1]], [s, c, t0[1] + p[2]], [0.0, 0.0, 1.0]])
            return Nr @ M @ Ni_inv
        dR = np.array([[-s, -c, 0.0], [c, -s, 0.0], [0.0, 0.0, 0.0]])
        dx = np.zeros((3, 3))
        dx[0, 2] = 1.0
        dy = np.zeros((3, 3))
        dy[1, 2] = 1.0
        return np.array([Nr @ D @ Ni_inv for D in (dR, dx, dy)])

    def matrices(self, x: np.ndarray) -> dict[int, np.ndarray]:
        mats = {self.reference: np.eye(3)}
        for k, cols in self.columns.items():
            if self.kind == "euclidean":
                mats[k] = self._euclid_matrix(k, x[cols], False)
            else:
                mats[k] = self.start[k] + np.tensordot(x[cols], self.basis[k], axes=1)
        return mats

    def derivatives(self, x: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        out = {}
        for k, cols in self.columns.items():
            if self.kind == "euclidean":
                out[k] = (cols, self._euclid_matrix(k, x[cols], True))
            else:
                out[k] = (cols, self.basis[k])
        return out


def _unit(i: int, j: int) -> np.ndarray:
    E = np.zeros((3, 3))
    E[i, j] = 1.0
    return E


_LINEAR_BASES = {
    "affine": [_unit(0, 0), _unit(0, 1), _unit(0, 2), _unit(1, 0), _unit(1, 1), _unit(1, 2)],
    "similarity": [_unit(0, 0) + _unit(1, 1), _unit(1, 0) - _unit(0, 1), _unit(0, 2),
                   _unit(1, 2)],
    "translation": [_unit(0, 2), _unit(1, 2)],
}


def focal_from_homography(H: np.ndarray) -> float | None:
    """A focal length (px) consistent with a homography between two views of a rotating camera.

    ``H`` maps centred pixel coordinates of one view to the other's; for
    ``H = K R K⁻¹`` with ``K = diag(f, f, 1)`` the orthogonality of ``R``'s
    columns (and rows) gives two estimates of ``f²`` each (Szeliski & Shum
    1997, §4.1); this returns ``√(f₀ f₁)`` from the better-conditioned ones,
    or ``None`` when neither is positive.
    """
    h = (H / H[2, 2]).ravel()

    def solve(d1: float, d2: float, v1: float, v2: float) -> float | None:
        v1, v2 = max(v1, v2), min(v1, v2)
        if v1 > 0 and v2 > 0:
            return float(np.sqrt(v1 if abs(d1) > abs(d2) else v2))
        if v1 > 0:
            return float(np.sqrt(v1))
        return None

    with np.errstate(divide="ignore", invalid="ignore"):
        d1, d2 = h[6] * h[7], (h[7] - h[6]) * (h[7] + h[6])
        f1 = solve(d1, d2, -(h[0] * h[1] + h[3] * h[4]) / d1,
                   (h[0] ** 2 + h[3] ** 2 - h[1] ** 2 - h[4] ** 2) / d2)
        d1, d2 = h[0] * h[3] + h[1] * h[4], h[0] ** 2 + h[1] ** 2 - h[3] ** 2 - h[4] ** 2
        f0 = solve(d1, d2, -h[2] * h[5] / d1, (h[5] ** 2 - h[2] ** 2) / d2)
    if f0 is None or f1 is None or not np.isfinite(f0 * f1):
        return None
    return float(np.sqrt(f0 * f1))


def _nearest_rotation(M: np.ndarray) -> np.ndarray:
    U, _, Vt = np.linalg.svd(M)
    R = U @ Vt
    if np.linalg.det(R) < 0:
        R = U @ np.diag([1.0, 1.0, -1.0]) @ Vt
    return R


class RotatingCamera:
    """``T_k = K_r R_k K_k⁻¹``: one camera with focal length ``f`` rotating about its centre.

    Parameters: a rotation vector per non-reference image (a left update
    ``R_k = Rod(ω_k) R_k⁰``, Jacobian from OpenCV's ``Rodrigues``) and
    ``φ = log(f / f₀)`` shared by all images. ``R_k⁰`` is the rotation
    nearest to ``K_r⁻¹ T_k K_k`` of the chained transforms.
    """

    name = "rotating"

    def __init__(self, reference: int, transforms: dict[int, np.ndarray],
                 shapes: dict[int, tuple[int, ...]], N: dict[int, np.ndarray],
                 focal_px: float) -> None:
        self.reference = reference
        self.N = N
        self.N_inv = {k: np.linalg.inv(Nk) for k, Nk in N.items()}
        self.f0 = float(focal_px)
        self.centres = {k: ((s[1] - 1) / 2.0, (s[0] - 1) / 2.0) for k, s in shapes.items()}
        self.R0: dict[int, np.ndarray] = {}
        self.columns: dict[int, np.ndarray] = {}
        d = 0
        for k in sorted(transforms):
            if k == reference:
                continue
            M = np.linalg.inv(self._K(reference, self.f0)) @ transforms[k] @ self._K(k, self.f0)
            M = M / np.cbrt(np.linalg.det(M))
            self.R0[k] = _nearest_rotation(M)
            self.columns[k] = np.arange(d, d + 3)
            d += 3
        self.focal_column = d
        self.size = d + 1

    def _K(self, k: int, f: float) -> np.ndarray:
        cx, cy = self.centres[k]
        return np.array([[f, 0.0, cx], [0.0, f, cy], [0.0, 0.0, 1.0]])

    def _K_inv(self, k: int, f: float) -> np.ndarray:
        cx, cy = self.centres[k]
        return np.array([[1.0 / f, 0.0, -cx / f], [0.0, 1.0 / f, -cy / f], [0.0, 0.0, 1.0]])

    def x0(self) -> np.ndarray:
        return np.zeros(self.size)

    def focal(self, x: np.ndarray) -> float:
        return self.f0 * float(np.exp(x[self.focal_column]))

    def pixel_matrices(self, x: np.ndarray) -> dict[int, np.ndarray]:
        f = self.focal(x)
        Kr = self._K(self.reference, f)
        mats = {self.reference: np.eye(3)}
        for k, cols in self.columns.items():
            R = cv2.Rodrigues(x[cols])[0] @ self.R0[k]
            mats[k] = Kr @ R @ self._K_inv(k, f)
        return mats

    def matrices(self, x: np.ndarray) -> dict[int, np.ndarray]:
        Nr = self.N[self.reference]
        return {k: Nr @ T @ self.N_inv[k] for k, T in self.pixel_matrices(x).items()}

    def derivatives(self, x: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        f = self.focal(x)
        Nr = self.N[self.reference]
        Kr = self._K(self.reference, f)
        dK = np.diag([1.0, 1.0, 0.0])
        out = {}
        for k, cols in self.columns.items():
            Rod, jac = cv2.Rodrigues(x[cols])
            R = Rod @ self.R0[k]
            Ki_inv = self._K_inv(k, f)
            Nk_inv = self.N_inv[k]
            lift = lambda D, Nk_inv=Nk_inv: Nr @ D @ Nk_inv  # noqa: E731
            d_rot = [lift(Kr @ (jac[m].reshape(3, 3) @ self.R0[k]) @ Ki_inv) for m in range(3)]
            # d/dφ of K_r R K_k⁻¹ with f = f₀ e^φ: f (dK R K⁻¹ − K R K⁻¹ dK K⁻¹)
            dT = f * (dK @ R @ Ki_inv - Kr @ R @ Ki_inv @ dK @ Ki_inv)
            out[k] = (np.append(cols, self.focal_column), np.array(d_rot + [lift(dT)]))
        return out


@dataclass(frozen=True)
class Adjustment:
    """The outcome of :func:`adjust_transforms`.

    Attributes
    ----------
    transforms : dict of int to (3, 3) ndarray
        Refined transforms into the reference's pixels (``T[2, 2] = 1`` where possible).
    rms_before_px, rms_after_px : float
        RMS symmetric transfer error per point before and after.
    iterations : int
    converged : bool
    model : str
        ``"free"`` or ``"rotating"``.
    focal_px : float or None
        The focal length of the rotating camera.
    """

    transforms: dict[int, np.ndarray]
    rms_before_px: float
    rms_after_px: float
    iterations: int
    converged: bool
    model: str
    focal_px: float | None


def adjust_transforms(parametrisation: Any, links: Sequence[tuple[int, int, np.ndarray,
                                                                  np.ndarray]],
                      *, max_iterations: int = 50) -> Adjustment:
    """Refine all transforms jointly (see the module notes).

    Parameters
    ----------
    parametrisation : FreeTransforms or RotatingCamera
    links : sequence of ``(i, j, x_i, x_j)``
        Inlier correspondences of each linked pair, pixels, ``(M, 2)`` each.
    max_iterations : int

    Returns
    -------
    Adjustment
    """
    from lacv.geometry.refine import levenberg_marquardt

    P = parametrisation
    N = P.N
    # every correspondence in both directions, stacked once: source x̃ (normalised,
    # homogeneous), target (normalised), source and target images, the target's pixel
    # scale; the order (link by link, i -> j then j -> i) is that of the residual vector
    src, dst, a_img_k, b_img_k = [], [], [], []
    for i, j, pi, pj in links:
        if len(pi) == 0:
            continue
        hi = np.column_stack([pi, np.ones(len(pi))]) @ N[i].T
        hj = np.column_stack([pj, np.ones(len(pj))]) @ N[j].T
        for a, b, ha, hb in ((i, j, hi, hj), (j, i, hj, hi)):
            src.append(ha)
            dst.append(hb[:, :2])
            a_img_k.append(a)
            b_img_k.append(b)
    if not src:
        raise DegenerateError("no correspondences to refine the transforms on")
    X = np.vstack(src)
    target = np.vstack(dst)
    ia = np.repeat(a_img_k, [len(h) for h in src])
    ib = np.repeat(b_img_k, [len(h) for h in src])
    images = sorted(N)
    scale = np.concatenate([np.full(len(h), 1.0 / N[k][0, 0]) for h, k in zip(dst, b_img_k,
                                                                             strict=True)])
    bounds = np.cumsum([0] + [len(h) for h in src])
    blocks = [(a, b, slice(bounds[d], bounds[d + 1]))
              for d, (a, b) in enumerate(zip(a_img_k, b_img_k, strict=True))]
    m = 2 * len(X)
    # for each image, its correspondences as source and as target, and their residual rows
    by_source = {k: (r, _rows2(r)) for k in images for r in [np.flatnonzero(ia == k)]}
    by_target = {k: (r, _rows2(r)) for k in images for r in [np.flatnonzero(ib == k)]}

    def transfer(x: np.ndarray, full: bool) -> tuple[np.ndarray, ...]:
        """Residuals (m,); with ``full``, also ``(u, v)``, ``q = G_b T_a x̃`` and ``G_b / q_3``."""
        mats = P.matrices(x)
        inv = dict(zip(images, np.linalg.inv(np.array([mats[k] for k in images])),
                       strict=True))
        q = np.empty_like(X)
        G = np.empty((len(X), 3, 3)) if full else None
        for a, b, rows in blocks:  # one direction of one link: G_b T_a for all its points
            q[rows] = X[rows] @ (inv[b] @ mats[a]).T
            if G is not None:
                G[rows] = inv[b]
        if np.any(np.abs(q[:, 2]) < 1e-12):
            raise DegenerateError("a correspondence is sent to infinity by the transforms")
        inv_q2 = 1.0 / q[:, 2]
        uv = q[:, :2] * inv_q2[:, np.newaxis]
        res = ((uv - target) * scale[:, np.newaxis]).ravel()
        if G is None:
            return (res,)
        G *= inv_q2[:, np.newaxis, np.newaxis]
        return res, uv, q, G

    def residuals(x: np.ndarray) -> np.ndarray:
        return transfer(x, False)[0]

    def jacobian(x: np.ndarray) -> np.ndarray:
        _, uv, q, Gq = transfer(x, True)
        # a_u = (G_1 − u G_3) / q_3, a_v = (G_2 − v G_3) / q_3
        A = Gq[:, :2, :] - uv[:, :, np.newaxis] * Gq[:, 2:3, :]
        A *= scale[:, np.newaxis, np.newaxis]
        J = np.zeros((m, P.size))
        for k, (cols, D) in P.derivatives(x).items():
            points, rows = by_source[k]  # ∂r/∂p = a · (∂T_a/∂p x̃)
            if len(points):
                J[rows[:, np.newaxis], cols] += _chain_rule(A[points], D, X[points])
            points, rows = by_target[k]  # ∂r/∂p = −a · (∂T_b/∂p q)
            if len(points):
                J[rows[:, np.newaxis], cols] -= _chain_rule(A[points], D, q[points])
        return J

    x0 = P.x0()
    r0 = residuals(x0)
    before = float(np.sqrt(2.0 * np.mean(r0 ** 2)))
    result = levenberg_marquardt(residuals, jacobian, x0, max_iterations=max_iterations,
                                 ftol=1e-10, xtol=1e-12, gtol=1e-12, mu0=_MU0)
    after = float(np.sqrt(2.0 * np.mean(result.residuals ** 2)))
    Nr_inv = np.linalg.inv(N[P.reference])
    refined = {}
    for k, T_hat in P.matrices(result.x).items():
        T = Nr_inv @ T_hat @ N[k]
        refined[k] = T / T[2, 2] if abs(T[2, 2]) > 1e-12 else T / np.linalg.norm(T)
    focal = P.focal(result.x) if isinstance(P, RotatingCamera) else None
    return Adjustment(refined, before, after, int(result.iterations), bool(result.converged),
                      P.name, focal)
