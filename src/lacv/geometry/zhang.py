r"""Zhang's closed-form steps: homographies, intrinsics from ``V b = 0``, poses, radial guess.

The linear half of Zhang's method (Zhang 2000, §3.1 and §3.3), whose
answers start the Levenberg–Marquardt refinement of
:func:`lacv.geometry.calibration.calibrate_camera`; also the validation of
calibration views shared by the mono and stereo calibrations.

References
----------
.. [1] Z. Zhang, "A flexible new technique for camera calibration", IEEE
   TPAMI 22(11), 2000, §3.1, §3.3 and appendices B, C.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lacv._validate import as_array, check_int, describe
from lacv.errors import DegenerateError, InputError
from lacv.geometry.camera import Pose, project_to_rotation
from lacv.linalg import solve_homogeneous

__all__ = ["extrinsics_from_homography", "intrinsics_from_homographies"]


# ----------------------------------------------------------------------------- input


@dataclass(frozen=True)
class _Views:
    """Validated views: object points (board plane) and pixels, concatenated by view."""

    object_points: tuple[np.ndarray, ...]  # (n_i, 3), Z = 0
    image_points: tuple[np.ndarray, ...]  # (n_i, 2)
    image_size: tuple[int, int]

    @property
    def starts(self) -> np.ndarray:
        counts = [len(p) for p in self.image_points]
        return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)

    @property
    def view_index(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.image_points)),
                         [len(p) for p in self.image_points])


def _check_size(image_size: Any, name: str = "image_size") -> tuple[int, int]:
    try:
        w, h = image_size
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected (width, height), got {describe(image_size)}") from None
    check_int(w, f"{name}[0]", minimum=1)
    check_int(h, f"{name}[1]", minimum=1)
    return int(w), int(h)


def _as_view_list(value: Any, name: str) -> list[Any]:
    if isinstance(value, np.ndarray):
        return [value[i] for i in range(value.shape[0])] if value.ndim == 3 else [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise InputError(f"{name}: expected a sequence of point arrays (one per view), "
                     f"got {describe(value)}")


def _check_views(object_points: Any, image_points: Any, image_size: Any,
                 name: str = "image_points") -> _Views:
    size = _check_size(image_size)
    imgs = _as_view_list(image_points, name)
    if len(imgs) < 3:
        raise InputError(f"{name}: expected at least 3 views of the target, got {len(imgs)}")
    single = isinstance(object_points, np.ndarray) and object_points.ndim == 2
    if not single and not isinstance(object_points, np.ndarray):
        try:
            single = np.asarray(object_points, dtype=np.float64).ndim == 2
        except (ValueError, TypeError):
            single = False
    objs = [object_points] * len(imgs) if single else _as_view_list(object_points,
                                                                    "object_points")
    if len(objs) != len(imgs):
        raise InputError(f"object_points: {len(objs)} views, but {name} has {len(imgs)}; give "
                         "one array per view (or a single array for the same target in all)")
    out_o, out_i = [], []
    for i, (o, x) in enumerate(zip(objs, imgs, strict=True)):
        oa = as_array(o, f"object_points[{i}]", ndim=2)
        if oa.shape[1] == 2:
            oa = np.column_stack([oa, np.zeros(len(oa))])
        if oa.shape[1] != 3:
            raise InputError(f"object_points[{i}]: expected points of shape (N, 3) or (N, 2), "
                             f"got {describe(oa)}")
        xa = as_array(x, f"{name}[{i}]", ndim=(2, 3))
        if xa.ndim == 3 and xa.shape[1] == 1:
            xa = xa[:, 0, :]  # OpenCV's (N, 1, 2)
        if xa.ndim != 2 or xa.shape[1] != 2:
            raise InputError(f"{name}[{i}]: expected points of shape (N, 2), got {describe(xa)}")
        if len(xa) != len(oa):
            raise InputError(f"view {i}: object_points has {len(oa)} points but {name} has "
                             f"{len(xa)}; they must correspond one to one")
        if len(xa) < 4:
            raise InputError(f"view {i}: expected at least 4 points, got {len(xa)}")
        scale = max(float(np.abs(oa[:, :2]).max()), 1e-300)
        if np.any(np.abs(oa[:, 2]) > 1e-9 * scale):
            raise InputError(f"object_points[{i}]: a planar target must lie on Z = 0 (largest "
                             f"|Z| = {np.abs(oa[:, 2]).max():.3g})")
        out_o.append(np.column_stack([oa[:, :2], np.zeros(len(oa))]))
        out_i.append(xa)
    return _Views(tuple(out_o), tuple(out_i), size)


# ------------------------------------------------------------------- closed-form steps


def _homographies(views: _Views, name: str = "image_points") -> list[np.ndarray]:
    from lacv.geometry.transforms import Homography

    Hs = []
    for i, (o, x) in enumerate(zip(views.object_points, views.image_points, strict=True)):
        try:
            Hs.append(Homography.from_points(o[:, :2], x).matrix)
        except DegenerateError as exc:
            raise DegenerateError(f"view {i}: {exc} (are the target points collinear?)",
                                  singular_values=exc.singular_values) from None
    return Hs


def _unit_homography(H: Any, name: str) -> np.ndarray:
    """A (3, 3) homography scaled to a largest entry of 1 (its scale is arbitrary).

    Entries near 1e200 overflowed the norms below (a misleading 'A is all zeros'),
    entries near 1e-300 underflowed them (NaN).
    """
    Hm = as_array(H, name, shape=(3, 3))
    biggest = np.max(np.abs(Hm))
    if biggest == 0:
        raise InputError(f"{name}: all zeros is not a homography")
    return Hm / biggest


def _v(H: np.ndarray, i: int, j: int) -> np.ndarray:
    hi, hj = H[:, i], H[:, j]
    return np.array([hi[0] * hj[0], hi[0] * hj[1] + hi[1] * hj[0], hi[1] * hj[1],
                     hi[2] * hj[0] + hi[0] * hj[2], hi[2] * hj[1] + hi[1] * hj[2],
                     hi[2] * hj[2]])


def _image_normalizer(size: tuple[int, int]) -> np.ndarray:
    """Pixels → about [−1, 1]: conditions V (Zhang's b mixes entries of order 1 and f⁻²)."""
    w, h = size
    s = 2.0 / (w + h)
    return np.array([[s, 0.0, -s * (w - 1) / 2.0], [0.0, s, -s * (h - 1) / 2.0],
                     [0.0, 0.0, 1.0]])


def intrinsics_from_homographies(homographies: Sequence[Any], image_size: Any, *,
                                 zero_skew: bool = True) -> np.ndarray:
    r"""Zhang's closed-form ``K`` from three or more plane-to-image homographies.

    Solves ``V b = 0`` (module docstring, step 2) by SVD on homographies
    pre-multiplied by an image normalisation ``N`` (so ``K = N^{-1} K_N``),
    and factors ``B = L Lᵀ`` (Cholesky): ``K ∝ (Lᵀ)^{-1}``.

    Parameters
    ----------
    homographies : sequence of (3, 3) array_like
        Board plane ``(X, Y, 1)`` to pixels, one per view.
    image_size : (int, int)
        ``(width, height)``, for the normalisation.
    zero_skew : bool
        Impose ``B12 = 0`` (no skew): drop that unknown.

    Returns
    -------
    (3, 3) ndarray
        ``K`` with ``K[2, 2] = 1``.

    Raises
    ------
    DegenerateError
        ``V`` has a null space of dimension ≥ 2 (too few views, or the views
        are related by pure translation / rotation about the optical axis),
        or ``B`` is not definite (noise too large for the closed form).
    """
    size = _check_size(image_size)
    N = _image_normalizer(size)
    if isinstance(homographies, (str, bytes)) or not hasattr(homographies, "__iter__"):
        raise InputError(f"homographies: expected a sequence of (3, 3) matrices, got "
                         f"{describe(homographies)}")
    homographies = list(homographies)
    rows = []
    for k, H in enumerate(homographies):
        Hm = _unit_homography(H, f"homographies[{k}]")
        Hn = N @ Hm
        Hn /= np.linalg.norm(Hn)
        rows += [_v(Hn, 0, 1), _v(Hn, 0, 0) - _v(Hn, 1, 1)]
    A = np.array(rows)
    cols = [0, 2, 3, 4, 5] if zero_skew else list(range(6))
    if A.shape[0] < len(cols) - 1:
        raise DegenerateError(f"homographies: {len(homographies)} views give {A.shape[0]} "
                              f"equations for {len(cols)} unknowns of B up to scale")
    try:
        res = solve_homogeneous(A[:, cols], strict=True)
    except DegenerateError as exc:
        raise DegenerateError("homographies: the views do not determine the intrinsics (the "
                              "board must be tilted differently between views)",
                              singular_values=exc.singular_values) from None
    b = np.zeros(6)
    b[cols] = res.x
    B = np.array([[b[0], b[1], b[3]], [b[1], b[2], b[4]], [b[3], b[4], b[5]]])
    if B[0, 0] < 0:
        B = -B
    try:
        L = np.linalg.cholesky(B)
    except np.linalg.LinAlgError:
        raise DegenerateError("homographies: the closed-form B = K⁻ᵀK⁻¹ is not positive "
                              "definite (too much noise or too little tilt between views)"
                              ) from None
    Kn = np.linalg.inv(L.T)
    K = np.linalg.solve(N, Kn)
    return K / K[2, 2]


def _intrinsics_fixed_center(homographies: Sequence[np.ndarray], cx: float, cy: float
                             ) -> tuple[float, float]:
    r"""Focal lengths with a known principal point (OpenCV's initialisation).

    With ``K = diag(f_x, f_y, 1)`` after moving ``(c_x, c_y)`` to the origin,
    ``h_1ᵀ B h_2 = 0`` and ``h_1ᵀ B h_1 = h_2ᵀ B h_2`` are linear in
    ``(1/f_x², 1/f_y²)``: a 2-unknown least-squares problem.
    """
    T = np.array([[1.0, 0.0, -cx], [0.0, 1.0, -cy], [0.0, 0.0, 1.0]])
    A, rhs = [], []
    for H in homographies:
        h = T @ H
        h = h / np.linalg.norm(h)
        h1, h2 = h[:, 0], h[:, 1]
        A += [[h1[0] * h2[0], h1[1] * h2[1]], [h1[0] ** 2 - h2[0] ** 2, h1[1] ** 2 - h2[1] ** 2]]
        rhs += [-h1[2] * h2[2], -(h1[2] ** 2 - h2[2] ** 2)]
    sol, *_ = np.linalg.lstsq(np.array(A), np.array(rhs), rcond=None)
    if not np.all(sol > 0):
        raise DegenerateError("the views do not determine the focal length (is the board "
                              "tilted between views?)")
    return float(1.0 / np.sqrt(sol[0])), float(1.0 / np.sqrt(sol[1]))


def extrinsics_from_homography(K: Any, H: Any) -> Pose:
    r"""The pose of the plane ``Z = 0`` from its homography: ``[r_1 r_2 t] = λ K^{-1} H``.

    ``λ = 2 / (‖K^{-1}h_1‖ + ‖K^{-1}h_2‖)`` with the sign that puts the plane
    in front of the camera (``t_z > 0``), ``r_3 = r_1 × r_2``, and the
    matrix ``[r_1 r_2 r_3]`` (not exactly orthonormal with noisy data) replaced
    by the nearest rotation (Zhang 2000, §3.1 and appendix C).

    Parameters
    ----------
    K : (3, 3) array_like
    H : (3, 3) array_like

    Returns
    -------
    Pose
    """
    Km = as_array(K, "K", shape=(3, 3))
    if Km[2, 2] == 0:
        raise InputError(f"K: expected a camera matrix with K[2, 2] != 0, got "
                         f"{np.array2string(Km, precision=6)}")
    Km = Km / Km[2, 2]  # the pose does not depend on the scales of K and H: fix both
    Hm = _unit_homography(H, "H")
    try:
        A = np.linalg.solve(Km, Hm)
    except np.linalg.LinAlgError:
        raise InputError(f"K: singular (not a camera matrix), got "
                         f"{np.array2string(Km, precision=6)}") from None
    n1, n2 = np.linalg.norm(A[:, 0]), np.linalg.norm(A[:, 1])
    if not (np.isfinite(n1 + n2) and n1 > 0 and n2 > 0):
        raise DegenerateError("H: K⁻¹H has a vanishing or non-finite first or second column "
                              "(H is not the homography of a plane in front of the camera)")
    lam = 2.0 / (n1 + n2)
    if A[2, 2] < 0:
        lam = -lam
    r1, r2, t = lam * A[:, 0], lam * A[:, 1], lam * A[:, 2]
    R = project_to_rotation(np.column_stack([r1, r2, np.cross(r1, r2)]))
    return Pose._trusted(R, t)


def _radial_guess(views: _Views, K: np.ndarray, poses: Sequence[Pose]) -> np.ndarray:
    """Zhang §3.3 in normalised coordinates: ``x_obs − x = x (k1 r² + k2 r⁴)``."""
    Kinv = np.linalg.inv(K)
    rows, rhs = [], []
    for o, x, p in zip(views.object_points, views.image_points, poses, strict=True):
        Xc = p.apply(o)
        xi = Xc[:, :2] / Xc[:, 2:]
        xo = (np.column_stack([x, np.ones(len(x))]) @ Kinv.T)[:, :2]
        r2 = np.sum(xi * xi, axis=1)
        for k in range(2):
            rows.append(np.column_stack([xi[:, k] * r2, xi[:, k] * r2 * r2]))
            rhs.append(xo[:, k] - xi[:, k])
    A, b = np.concatenate(rows), np.concatenate(rhs)
    return np.linalg.lstsq(A, b, rcond=None)[0]
