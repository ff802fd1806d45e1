r"""Camera calibration from views of a planar target: Zhang's method, then Levenberg–Marquardt.

Every step is one of the lecture's two linear problems, followed by a
nonlinear refinement (Zhang 2000):

1. **Homographies** — for each view, the DLT homography ``H_i`` from the
   board plane ``(X, Y)`` to the image (:meth:`Homography.from_points`,
   Hartley-normalised, ``A h = 0`` by SVD).
2. **Closed-form intrinsics** — with ``B = K^{-T} K^{-1}`` (the image of the
   absolute conic), the columns ``h_1, h_2`` of each ``H_i`` satisfy
   ``h_1ᵀ B h_2 = 0`` and ``h_1ᵀ B h_1 = h_2ᵀ B h_2``: two rows of

   .. math:: V b = 0,\quad
      v_{ij} = (h_{1i}h_{1j},\; h_{1i}h_{2j} + h_{2i}h_{1j},\; h_{2i}h_{2j},\;
      h_{3i}h_{1j} + h_{1i}h_{3j},\; h_{3i}h_{2j} + h_{2i}h_{3j},\; h_{3i}h_{3j}),

   rows ``v_{12}`` and ``v_{11} − v_{22}`` per view, ``b = (B11, B12, B22,
   B13, B23, B33)`` solved by :func:`lacv.linalg.solve_homogeneous`
   (Zhang §3.1; with zero skew the ``B12`` column is dropped). ``K`` comes
   from the Cholesky factor of ``B`` (``B = L Lᵀ``, ``K ∝ L^{-T}``).
3. **Extrinsics** — ``[r_1\; r_2\; t] = λ K^{-1} H_i``, ``r_3 = r_1 × r_2``,
   and ``[r_1 r_2 r_3]`` projected onto SO(3) by the SVD (Zhang §3.1, appendix C).
4. **Radial distortion** — a linear least-squares guess of ``k_1, k_2``
   from ``x_obs − x = x (k_1 r^2 + k_2 r^4)`` (Zhang §3.3).
5. **Refinement** — Levenberg–Marquardt over intrinsics, distortion and all
   poses with analytic Jacobians and a Schur-complement step
   (:mod:`lacv.geometry._bundle`), which minimises the reprojection error
   ``Σ ‖x_ij − π(K, d, R_i, t_i, X_j)‖²`` (Zhang §3.2).

The same cost with OpenCV's default model is what ``cv2.calibrateCamera``
minimises, so the answers agree to the optimiser's tolerance.

References
----------
.. [1] Z. Zhang, "A flexible new technique for camera calibration", IEEE
   TPAMI 22(11), 2000.
.. [2] R. Hartley and A. Zisserman, *Multiple View Geometry*, 2nd ed., §8.8
   (calibration from the image of the absolute conic), §A6 (LM).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lacv._validate import as_array, check_int, describe
from lacv.errors import DegenerateError, InputError
from lacv.geometry._bundle import block_lm, pose_jacobian, project_with_jacobian
from lacv.geometry.camera import Camera, Pose, project_to_rotation
from lacv.linalg import solve_homogeneous

__all__ = [
    "PARAM_NAMES",
    "CalibrationResult",
    "calibrate_camera",
    "extrinsics_from_homography",
    "intrinsics_from_homographies",
]

#: the ten camera parameters in the order of :attr:`Camera.params`
PARAM_NAMES = ("fx", "fy", "cx", "cy", "skew", "k1", "k2", "p1", "p2", "k3")


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
    rows = []
    for k, H in enumerate(homographies):
        Hm = as_array(H, f"homographies[{k}]", shape=(3, 3))
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
    Hm = as_array(H, "H", shape=(3, 3))
    A = np.linalg.solve(Km, Hm)
    lam = 2.0 / (np.linalg.norm(A[:, 0]) + np.linalg.norm(A[:, 1]))
    if A[2, 2] < 0:
        lam = -lam
    r1, r2, t = lam * A[:, 0], lam * A[:, 1], lam * A[:, 2]
    R = project_to_rotation(np.column_stack([r1, r2, np.cross(r1, r2)]))
    return Pose(R, t)


# -------------------------------------------------------------- parameterisation / LM


def _param_map(base: np.ndarray, *, fix_aspect: bool, fix_principal_point: bool,
               zero_tangential: bool, fix_k3: bool, fix_skew: bool
               ) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """``full(10) = T @ free + c``: the free parameters and their map to the ten."""
    cols, names = [], []

    def unit(*entries: tuple[int, float]) -> np.ndarray:
        col = np.zeros(10)
        for k, v in entries:
            col[k] = v
        return col

    if fix_aspect:
        ratio = base[1] / base[0]  # fy / fx, kept
        cols.append(unit((0, 1.0), (1, ratio)))
        names.append("fx (fy = fx · aspect)")
    else:
        cols += [unit((0, 1.0)), unit((1, 1.0))]
        names += ["fx", "fy"]
    if not fix_principal_point:
        cols += [unit((2, 1.0)), unit((3, 1.0))]
        names += ["cx", "cy"]
    if not fix_skew:
        cols.append(unit((4, 1.0)))
        names.append("skew")
    cols += [unit((5, 1.0)), unit((6, 1.0))]
    names += ["k1", "k2"]
    if not zero_tangential:
        cols += [unit((7, 1.0)), unit((8, 1.0))]
        names += ["p1", "p2"]
    if not fix_k3:
        cols.append(unit((9, 1.0)))
        names.append("k3")
    T = np.column_stack(cols)
    free = np.linalg.lstsq(T, base, rcond=None)[0]
    c = base - T @ free
    return T, c, tuple(names)


def _camera_evaluate(views: _Views, T: np.ndarray, c: np.ndarray):  # noqa: ANN202
    X = np.concatenate(views.object_points)
    obs = np.concatenate(views.image_points)
    vidx = views.view_index

    def evaluate(g: np.ndarray, R: np.ndarray, t: np.ndarray, jac: bool):  # noqa: ANN202
        intr = T @ g + c
        RX = np.einsum("nij,nj->ni", R[vidx], X)
        uv, Ji, JX = project_with_jacobian(RX + t[vidx], intr, jac)
        if uv is None or not np.all(np.isfinite(uv)):
            return None, None, None
        r = uv - obs
        if not jac:
            return r, None, None
        return r, Ji @ T, pose_jacobian(JX, RX)

    return evaluate


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


@dataclass(frozen=True)
class CalibrationResult:
    """What :func:`calibrate_camera` found.

    Attributes
    ----------
    camera : Camera
        The refined intrinsics and distortion.
    poses : tuple of Pose
        World (target) to camera, one per view (OpenCV's ``rvecs``, ``tvecs``).
    rms_px : float
        ``sqrt(Σ‖residual‖² / n_points)`` over all views — the figure
        ``cv2.calibrateCamera`` returns.
    view_rms_px : (V,) ndarray
        The same per view.
    std : dict of str to float
        Standard deviation of each of the ten camera parameters from the
        covariance ``σ²(JᵀJ)⁻¹`` (0 for a fixed parameter).
    pose_std : (V, 6) ndarray
        Standard deviations of each pose: rotation (radians, about the camera
        axes) and translation (target units).
    residuals : tuple of (n_i, 2) ndarray
        Reprojected minus observed pixels, per view.
    initial_camera : Camera
        The closed-form estimate (Zhang's ``K`` and the linear radial guess).
    fixed : tuple of str
        The parameters held fixed.
    n_iterations : int
    converged : bool
    message : str
    """

    camera: Camera
    poses: tuple[Pose, ...]
    rms_px: float
    view_rms_px: np.ndarray
    std: dict[str, float]
    pose_std: np.ndarray
    residuals: tuple[np.ndarray, ...]
    initial_camera: Camera
    fixed: tuple[str, ...] = field(default=())
    n_iterations: int = 0
    converged: bool = True
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (camera, standard deviations, per-view RMS and poses)."""
        return {
            "camera": self.camera.to_dict(),
            "std": dict(self.std),
            "fixed": list(self.fixed),
            "rms_px": self.rms_px,
            "view_rms_px": self.view_rms_px.tolist(),
            "poses": [{"rvec": p.rvec.tolist(), "tvec": p.translation.tolist()}
                      for p in self.poses],
            "n_iterations": self.n_iterations,
            "converged": self.converged,
            "message": self.message,
        }


def calibrate_camera(object_points: Any, image_points: Any, image_size: Any, *,
                     fix_aspect: bool = False, zero_tangential: bool = False,
                     fix_k3: bool = False, fix_principal_point: bool = False,
                     fix_skew: bool = True, initial_camera: Camera | None = None,
                     max_iter: int = 100) -> CalibrationResult:
    """Calibrate a camera from three or more views of a planar target (Zhang's method).

    Parameters
    ----------
    object_points : (N, 3) or (N, 2) array_like, or a sequence of them
        The target's points on its plane ``Z = 0`` (one array for all views,
        or one per view).
    image_points : sequence of (N_i, 2) array_like
        The detected pixels, one array per view, in the order of the object
        points. OpenCV's ``(N, 1, 2)`` is accepted.
    image_size : (int, int)
        ``(width, height)`` in pixels.
    fix_aspect : bool
        Keep ``fy / fx`` at its initial value (1, or ``initial_camera``'s):
        OpenCV's ``CALIB_FIX_ASPECT_RATIO``.
    zero_tangential : bool
        ``p1 = p2 = 0`` (``CALIB_ZERO_TANGENT_DIST``).
    fix_k3 : bool
        Keep ``k3`` at 0 or at ``initial_camera``'s (``CALIB_FIX_K3``).
    fix_principal_point : bool
        Keep ``(cx, cy)`` at the image centre ``((w − 1)/2, (h − 1)/2)`` or at
        ``initial_camera``'s (``CALIB_FIX_PRINCIPAL_POINT``).
    fix_skew : bool
        Keep the skew at 0 (OpenCV's model has none).
    initial_camera : Camera, optional
        Start from these intrinsics instead of the closed form
        (``CALIB_USE_INTRINSIC_GUESS``).
    max_iter : int
        Levenberg–Marquardt iterations at most.

    Returns
    -------
    CalibrationResult

    Raises
    ------
    InputError
        Fewer than 3 views, a view with fewer than 4 points, mismatched
        arrays, non-planar object points; the message names the view.
    DegenerateError
        A view whose points are collinear (named), or views that do not
        determine the intrinsics.

    References
    ----------
    Z. Zhang, "A flexible new technique for camera calibration", IEEE TPAMI
    22(11), 2000, §3.
    """
    views = _check_views(object_points, image_points, image_size)
    check_int(max_iter, "max_iter", minimum=1)
    if initial_camera is not None and not isinstance(initial_camera, Camera):
        raise InputError(f"initial_camera: expected a Camera, got {describe(initial_camera)}")
    w, h = views.image_size
    Hs = _homographies(views)
    if initial_camera is not None:
        base = initial_camera.params.copy()
    else:
        base = np.zeros(10)
        if fix_principal_point:
            cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
            fx, fy = _intrinsics_fixed_center(Hs, cx, cy)
            base[:4] = fx, fy, cx, cy
        else:
            try:
                K0 = intrinsics_from_homographies(Hs, views.image_size, zero_skew=fix_skew)
                base[:5] = K0[0, 0], K0[1, 1], K0[0, 2], K0[1, 2], K0[0, 1]
            except DegenerateError:
                # noisy or weakly tilted views: fall back to the principal point at the centre
                cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
                fx, fy = _intrinsics_fixed_center(Hs, cx, cy)
                base[:4] = fx, fy, cx, cy
        if fix_aspect:
            f = np.sqrt(base[0] * base[1])
            base[0] = base[1] = f
    if fix_skew and initial_camera is None:
        base[4] = 0.0
    K = Camera.from_params(base).K
    poses = [extrinsics_from_homography(K, H) for H in Hs]
    if initial_camera is None:
        base[5:7] = _radial_guess(views, K, poses)
    initial = Camera.from_params(base, image_size=views.image_size)
    T, c, names = _param_map(base, fix_aspect=fix_aspect,
                             fix_principal_point=fix_principal_point,
                             zero_tangential=zero_tangential, fix_k3=fix_k3, fix_skew=fix_skew)
    g0 = np.linalg.lstsq(T, base - c, rcond=None)[0]
    R0 = np.array([p.rotation for p in poses])
    t0 = np.array([p.translation for p in poses])
    evaluate = _camera_evaluate(views, T, c)
    if evaluate(g0, R0, t0, False)[0] is None and initial_camera is None:
        # the radial guess folded some points over: start without it
        base[5:7] = 0.0
        initial = Camera.from_params(base, image_size=views.image_size)
        g0 = np.linalg.lstsq(T, base - c, rcond=None)[0]
    res = block_lm(evaluate, g0, R0, t0, views.starts, max_iter=max_iter, names=names)
    params = T @ res.g + c
    camera = Camera.from_params(params, image_size=views.image_size)
    full_std = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", T, res.g_cov, T), 0, None))
    free = np.any(T != 0, axis=1)
    std = {n: float(full_std[k]) for k, n in enumerate(PARAM_NAMES)}
    fixed = tuple(n for k, n in enumerate(PARAM_NAMES) if not free[k])
    if fix_aspect:
        fixed = (*fixed, "fy/fx")
    return _result(camera, res, views, std, initial, fixed)


def _result(camera: Camera, res: Any, views: _Views, std: dict[str, float],
            initial: Camera, fixed: tuple[str, ...]) -> CalibrationResult:
    r = res.residuals
    per_point = np.sum(r * r, axis=1)
    bounds = np.append(views.starts, len(r))
    view_rms = np.array([np.sqrt(np.mean(per_point[a:b]))
                         for a, b in zip(bounds[:-1], bounds[1:], strict=True)])
    return CalibrationResult(
        camera=camera,
        poses=tuple(Pose(R, t) for R, t in zip(res.R, res.t, strict=True)),
        rms_px=float(np.sqrt(np.mean(per_point))),
        view_rms_px=view_rms,
        std=std,
        pose_std=res.pose_std,
        residuals=tuple(r[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)),
        initial_camera=initial,
        fixed=fixed,
        n_iterations=res.n_iterations,
        converged=res.converged,
        message=res.message,
    )
