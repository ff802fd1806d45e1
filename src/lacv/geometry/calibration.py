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

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lacv._validate import check_int, describe
from lacv.errors import DegenerateError, InputError
from lacv.geometry._bundle import block_lm, pose_jacobian, project_with_jacobian
from lacv.geometry.camera import Camera, Pose, project_to_rotation
from lacv.geometry.projection import decompose_projection_matrix, projection_matrix_dlt
from lacv.geometry.rotations import _exp_so3, _left_jacobian, _log_so3, _skew
from lacv.geometry.zhang import (
    _check_views,
    _homographies,
    _intrinsics_fixed_center,
    _radial_guess,
    _Views,
    extrinsics_from_homography,
    intrinsics_from_homographies,
)

__all__ = [
    "PARAM_NAMES",
    "CalibrationResult",
    "Camera",
    "Pose",
    "StereoResult",
    "calibrate_camera",
    "calibrate_stereo",
    "decompose_projection_matrix",
    "extrinsics_from_homography",
    "intrinsics_from_homographies",
    "projection_matrix_dlt",
]

#: the ten camera parameters in the order of :attr:`Camera.params`
PARAM_NAMES = ("fx", "fy", "cx", "cy", "skew", "k1", "k2", "p1", "p2", "k3")


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


def _camera_evaluate(views: _Views, T: np.ndarray, c: np.ndarray):
    X = np.concatenate(views.object_points)
    obs = np.concatenate(views.image_points)
    vidx = views.view_index
    counts = {len(p) for p in views.image_points}
    # the same number of points in every view (the usual case): rotate with one batched matmul
    Xv = X.reshape(len(views.image_points), -1, 3) if len(counts) == 1 else None

    def evaluate(g: np.ndarray, R: np.ndarray, t: np.ndarray, jac: bool):
        intr = T @ g + c
        if Xv is not None:
            RX = (Xv @ np.swapaxes(R, 1, 2)).reshape(-1, 3)
            Xc = (RX.reshape(Xv.shape) + t[:, None, :]).reshape(-1, 3)
        else:
            Rv = R[vidx]
            RX = np.einsum("nij,nj->ni", Rv, X)
            Xc = RX + t[vidx]
        uv, Ji, JX = project_with_jacobian(Xc, intr, jac)
        if uv is None or not np.all(np.isfinite(uv)):
            return None, None, None
        r = uv - obs
        if not jac:
            return r, None, None
        return r, Ji @ T, pose_jacobian(JX, RX)

    return evaluate


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
    T, c, names = _param_map(base, fix_aspect=fix_aspect,
                             fix_principal_point=fix_principal_point,
                             zero_tangential=zero_tangential, fix_k3=fix_k3, fix_skew=fix_skew)
    R0 = np.array([p.rotation for p in poses])
    t0 = np.array([p.translation for p in poses])
    evaluate = _camera_evaluate(views, T, c)
    g0 = np.linalg.lstsq(T, base - c, rcond=None)[0]
    if initial_camera is None:
        # Zhang's linear radial guess helps when K and the poses are good; with a poor closed
        # form it can be worse than no distortion at all, so keep whichever reprojects better
        guess = base.copy()
        guess[5:7] = _radial_guess(views, K, poses)
        g1 = np.linalg.lstsq(T, guess - c, rcond=None)[0]
        r0, r1 = evaluate(g0, R0, t0, False)[0], evaluate(g1, R0, t0, False)[0]
        if r1 is not None and (r0 is None or np.sum(r1 * r1) < np.sum(r0 * r0)):
            base, g0 = guess, g1
    initial = Camera.from_params(base, image_size=views.image_size)
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
        poses=tuple(Pose._trusted(R, t) for R, t in zip(res.R, res.t, strict=True)),
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


# ----------------------------------------------------------------------------- stereo


@dataclass(frozen=True)
class StereoResult:
    """What :func:`calibrate_stereo` found.

    Attributes
    ----------
    camera_left, camera_right : Camera
    rotation : (3, 3) ndarray
        ``R`` of ``X_right = R X_left + T`` (OpenCV's ``R``).
    translation : (3,) ndarray
        ``T`` (OpenCV's ``T``), in the target's units.
    essential : (3, 3) ndarray
        ``E = [T]× R``: ``x̂_rᵀ E x̂_l = 0`` for normalised image points.
    fundamental : (3, 3) ndarray
        ``F = K_r^{-T} E K_l^{-1}`` scaled to ``F[2, 2] = 1``: ``x_rᵀ F x_l = 0``
        for (undistorted) pixels.
    poses : tuple of Pose
        Target to left camera, per view.
    rms_px : float
        Over all points of both cameras.
    view_rms_px : (V, 2) ndarray
        Per view, left and right.
    rotation_std_deg : (3,) ndarray
        Standard deviations of the rotation vector of ``R``, degrees.
    translation_std : (3,) ndarray
    left, right : CalibrationResult or None
        The separate calibrations that started the joint one (None for a
        camera passed in).
    n_iterations : int
    converged : bool
    message : str
    """

    camera_left: Camera
    camera_right: Camera
    rotation: np.ndarray
    translation: np.ndarray
    essential: np.ndarray
    fundamental: np.ndarray
    poses: tuple[Pose, ...]
    rms_px: float
    view_rms_px: np.ndarray
    rotation_std_deg: np.ndarray
    translation_std: np.ndarray
    left: CalibrationResult | None
    right: CalibrationResult | None
    n_iterations: int
    converged: bool
    message: str

    @property
    def relative_pose(self) -> Pose:
        """Left camera frame to right camera frame."""
        return Pose._trusted(self.rotation, self.translation)

    @property
    def baseline(self) -> float:
        """``‖T‖``: the distance between the camera centres."""
        return float(np.linalg.norm(self.translation))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "camera_left": self.camera_left.to_dict(),
            "camera_right": self.camera_right.to_dict(),
            "R": self.rotation.tolist(), "T": self.translation.tolist(),
            "E": self.essential.tolist(), "F": self.fundamental.tolist(),
            "rms_px": self.rms_px, "view_rms_px": self.view_rms_px.tolist(),
            "rotation_std_deg": self.rotation_std_deg.tolist(),
            "translation_std": self.translation_std.tolist(),
            "n_iterations": self.n_iterations, "converged": self.converged,
            "message": self.message,
        }


def _poses_for_camera(camera: Camera, views: _Views) -> list[Pose]:
    """Per-view poses of a known camera: homographies of undistorted points, Zhang §3.1."""
    from lacv.geometry.transforms import Homography

    poses = []
    # one Newton solve for all views' points
    ideal = np.split(camera.undistort_points(np.concatenate(views.image_points)),
                     views.starts[1:])
    for i, (o, x) in enumerate(zip(views.object_points, ideal, strict=True)):
        try:
            H = Homography.from_points(o[:, :2], x).matrix
        except DegenerateError as exc:
            raise DegenerateError(f"view {i}: {exc}") from None
        poses.append(extrinsics_from_homography(camera.K, H))
    return poses


def calibrate_stereo(object_points: Any, image_points_left: Any, image_points_right: Any,
                     image_size: Any, *, image_size_right: Any = None,
                     camera_left: Camera | None = None, camera_right: Camera | None = None,
                     refine_intrinsics: bool = True, fix_aspect: bool = False,
                     zero_tangential: bool = False, fix_k3: bool = False,
                     fix_principal_point: bool = False, max_iter: int = 100) -> StereoResult:
    r"""Calibrate a stereo rig from simultaneous views of a planar target.

    1. Each camera alone by :func:`calibrate_camera` (or its given
       ``camera_*`` and poses from homographies).
    2. The rig's motion ``X_r = R X_l + T`` from every view,
       ``R_i = R_{r,i} R_{l,i}^T``, ``T_i = t_{r,i} − R_i t_{l,i}``, averaged
       (the chordal mean of the ``R_i`` projected onto SO(3), the mean of the
       ``T_i``).
    3. Levenberg–Marquardt over ``R, T`` (rotation vector, with SO(3)'s left
       Jacobian), the left poses and — with ``refine_intrinsics`` — both
       cameras' intrinsics and distortion, minimising the reprojection error
       in both images; the same Schur-complement solver as the mono case
       (the rig's parameters are global, each left pose is a block).

    Then ``E = [T]× R`` and ``F = K_r^{-T} E K_l^{-1}`` (H&Z §9.6, result 9.19).

    Parameters
    ----------
    object_points : (N, 3) array_like, or a sequence of them
    image_points_left, image_points_right : sequence of (N_i, 2) array_like
        The same target points seen by each camera at the same moments.
    image_size : (int, int)
        ``(width, height)`` of the left images (and of the right ones unless
        ``image_size_right`` is given).
    image_size_right : (int, int), optional
    camera_left, camera_right : Camera, optional
        Known cameras; with ``refine_intrinsics=False`` they stay fixed
        (OpenCV's ``CALIB_FIX_INTRINSIC``).
    refine_intrinsics : bool
        Refine both cameras jointly with the rig (OpenCV's
        ``CALIB_USE_INTRINSIC_GUESS``).
    fix_aspect, zero_tangential, fix_k3, fix_principal_point : bool
        As in :func:`calibrate_camera`, for both cameras.
    max_iter : int

    Returns
    -------
    StereoResult

    Raises
    ------
    InputError
        Bad views (as :func:`calibrate_camera`), or the two cameras' views do
        not correspond (different numbers of views or points).
    DegenerateError
        As :func:`calibrate_camera`.
    """
    size_l = image_size
    size_r = image_size if image_size_right is None else image_size_right
    views_l = _check_views(object_points, image_points_left, size_l, "image_points_left")
    views_r = _check_views(object_points, image_points_right, size_r, "image_points_right")
    if len(views_l.image_points) != len(views_r.image_points):
        raise InputError(f"image_points_left has {len(views_l.image_points)} views but "
                         f"image_points_right has {len(views_r.image_points)}; a stereo "
                         "calibration needs the same moments seen by both cameras")
    check_int(max_iter, "max_iter", minimum=1)
    options = dict(fix_aspect=fix_aspect, zero_tangential=zero_tangential, fix_k3=fix_k3,
                   fix_principal_point=fix_principal_point)
    results: list[CalibrationResult | None] = []
    cams, poses = [], []
    for name, cam, views in (("camera_left", camera_left, views_l),
                             ("camera_right", camera_right, views_r)):
        if cam is None:
            res = calibrate_camera(views.object_points, views.image_points, views.image_size,
                                   max_iter=max_iter, **options)
            results.append(res)
            cams.append(res.camera)
            poses.append(list(res.poses))
        else:
            if not isinstance(cam, Camera):
                raise InputError(f"{name}: expected a Camera, got {describe(cam)}")
            results.append(None)
            cams.append(cam.replace(image_size=views.image_size))
            poses.append(_poses_for_camera(cam, views))
    Rl = np.array([p.rotation for p in poses[0]])
    tl = np.array([p.translation for p in poses[0]])
    Rr = np.array([p.rotation for p in poses[1]])
    tr = np.array([p.translation for p in poses[1]])
    Ri = Rr @ np.swapaxes(Rl, 1, 2)
    R0 = project_to_rotation(Ri.mean(axis=0))
    T0 = np.mean(tr - np.einsum("ij,vj->vi", R0, tl), axis=0)

    maps = []
    for cam in cams:
        if refine_intrinsics:
            maps.append(_param_map(cam.params, fix_aspect=fix_aspect,
                                   fix_principal_point=fix_principal_point,
                                   zero_tangential=zero_tangential, fix_k3=fix_k3,
                                   fix_skew=True))
        else:
            maps.append((np.zeros((10, 0)), cam.params.copy(), ()))
    (TL, cL, namesL), (TR, cR, namesR) = maps
    mL, mR = TL.shape[1], TR.shape[1]
    gL = np.linalg.lstsq(TL, cams[0].params - cL, rcond=None)[0] if mL else np.zeros(0)
    gR = np.linalg.lstsq(TR, cams[1].params - cR, rcond=None)[0] if mR else np.zeros(0)
    if mL:
        cL = cams[0].params - TL @ gL
    if mR:
        cR = cams[1].params - TR @ gR
    g0 = np.concatenate([gL, gR, _log_so3(R0), T0])
    names = (tuple(f"left {n}" for n in namesL) + tuple(f"right {n}" for n in namesR)
             + ("rx", "ry", "rz", "Tx", "Ty", "Tz"))
    X = np.concatenate(views_l.object_points)
    obs = np.concatenate([np.concatenate(views_l.image_points),
                          np.concatenate(views_r.image_points)])
    n = len(X)
    vidx = views_l.view_index
    # rows grouped by view: view i's left points, then its right points
    perm = np.concatenate([np.concatenate([np.flatnonzero(vidx == i),
                                           n + np.flatnonzero(vidx == i)])
                           for i in range(len(views_l.image_points))])
    starts = np.concatenate([[0], np.cumsum(2 * np.bincount(vidx))[:-1]]).astype(np.intp)
    m = mL + mR + 6
    n_views = len(views_l.image_points)
    uniform = len({len(p) for p in views_l.image_points}) == 1
    Xv = X.reshape(n_views, -1, 3) if uniform else None

    def by_view(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Left and right rows, regrouped view by view (left points, then right points)."""
        if uniform:
            shape = (n_views, -1) + left.shape[1:]
            return np.concatenate([left.reshape(shape), right.reshape(shape)],
                                  axis=1).reshape((-1,) + left.shape[1:])
        return np.concatenate([left, right])[perm]

    def evaluate(g: np.ndarray, R: np.ndarray, t: np.ndarray, jac: bool):
        intr_l = TL @ g[:mL] + cL
        intr_r = TR @ g[mL:mL + mR] + cR
        w, T = g[m - 6:m - 3], g[m - 3:]
        Rrel = _exp_so3(w)
        if Xv is not None:
            RX = (Xv @ np.swapaxes(R, 1, 2)).reshape(-1, 3)
        else:
            RX = np.einsum("nij,nj->ni", R[vidx], X)
        Xl = RX + t[vidx]
        RXl = Xl @ Rrel.T
        uv_l, Ji_l, JX_l = project_with_jacobian(Xl, intr_l, jac)
        uv_r, Ji_r, JX_r = project_with_jacobian(RXl + T, intr_r, jac)
        if uv_l is None or uv_r is None:
            return None, None, None
        r = by_view(uv_l - obs[:n], uv_r - obs[n:])
        if not np.all(np.isfinite(r)):
            return None, None, None
        if not jac:
            return r, None, None
        Jg_l = np.zeros((n, 2, m))
        Jg_r = np.zeros((n, 2, m))
        Jg_l[:, :, :mL] = Ji_l @ TL
        Jg_r[:, :, mL:mL + mR] = Ji_r @ TR
        # ∂(Rrel Xl)/∂w = −[Rrel Xl]× J_l(w): the pose Jacobian's rotation part times J_l
        Jrel = pose_jacobian(JX_r, RXl)
        Jg_r[:, :, m - 6:m - 3] = Jrel[:, :, :3] @ _left_jacobian(w)
        Jg_r[:, :, m - 3:] = JX_r
        Jp = by_view(pose_jacobian(JX_l, RX), pose_jacobian(JX_r @ Rrel, RX))
        return r, by_view(Jg_l, Jg_r), Jp

    res = block_lm(evaluate, g0, Rl, tl, starts, max_iter=max_iter, names=names)
    cam_l = Camera.from_params(TL @ res.g[:mL] + cL, image_size=views_l.image_size)
    cam_r = Camera.from_params(TR @ res.g[mL:mL + mR] + cR, image_size=views_r.image_size)
    w, T = res.g[m - 6:m - 3], res.g[m - 3:]
    R = _exp_so3(w)
    E = _skew(T) @ R
    F = np.linalg.solve(cam_r.K.T, E) @ np.linalg.inv(cam_l.K)
    F = F / F[2, 2] if abs(F[2, 2]) > 1e-12 * np.linalg.norm(F) else F / np.linalg.norm(F)
    r = res.residuals
    per_point = np.sum(r * r, axis=1)
    bounds = np.append(starts, len(r))
    view_rms = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        half = (b - a) // 2
        view_rms.append([np.sqrt(np.mean(per_point[a:a + half])),
                         np.sqrt(np.mean(per_point[a + half:b]))])
    return StereoResult(
        camera_left=cam_l, camera_right=cam_r, rotation=R, translation=T.copy(),
        essential=E, fundamental=F,
        poses=tuple(Pose._trusted(Rk, tk) for Rk, tk in zip(res.R, res.t, strict=True)),
        rms_px=float(np.sqrt(np.mean(per_point))), view_rms_px=np.array(view_rms),
        rotation_std_deg=np.degrees(res.g_std[m - 6:m - 3]),
        translation_std=res.g_std[m - 3:], left=results[0], right=results[1],
        n_iterations=res.n_iterations, converged=res.converged, message=res.message)

