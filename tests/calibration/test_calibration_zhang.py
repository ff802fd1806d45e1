"""calibrate_camera: exact recovery, noise, the options against OpenCV's flags, bad input."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from _calib_data import SYNTH_CAMERA, synthetic_views
from _calib_tol import EXACT_REL, OPENCV_REL

from lacv.errors import DegenerateError, InputError
from lacv.geometry.calibration import (
    PARAM_NAMES,
    Camera,
    Pose,
    calibrate_camera,
    extrinsics_from_homography,
    intrinsics_from_homographies,
)
from lacv.geometry.transforms import Homography


@pytest.fixture(scope="module")
def exact_views():
    return synthetic_views(noise_px=0.0, n_views=10)


@pytest.fixture(scope="module")
def noisy_views():
    return synthetic_views(noise_px=0.2, n_views=15, seed=1)


def test_exact_recovery(exact_views):
    obj, pts, poses = exact_views
    res = calibrate_camera(obj, pts, (640, 480))
    assert res.rms_px < 1e-8
    assert np.allclose(res.camera.params[:4], SYNTH_CAMERA.params[:4], rtol=EXACT_REL)
    assert np.allclose(res.camera.dist_coeffs, SYNTH_CAMERA.dist_coeffs, atol=1e-7)
    for est, true in zip(res.poses, poses, strict=True):
        assert est.angle_to(true) < 1e-6
        assert np.allclose(est.translation, true.translation, atol=1e-8)
    assert res.converged and res.camera.image_size == (640, 480)
    assert len(res.view_rms_px) == 10 and len(res.residuals) == 10


def test_closed_form_is_exact_without_distortion():
    cam = SYNTH_CAMERA.replace(k1=0.0, k2=0.0, p1=0.0, p2=0.0, skew=2.0)
    obj, pts, poses = synthetic_views(camera=cam, n_views=5)
    Hs = [Homography.from_points(obj[:, :2], p).matrix for p in pts]
    K = intrinsics_from_homographies(Hs, (640, 480), zero_skew=False)
    assert np.allclose(K, cam.K, rtol=1e-8, atol=1e-6)
    pose = extrinsics_from_homography(K, Hs[0])
    assert pose.angle_to(poses[0]) < 1e-6 and np.allclose(pose.translation,
                                                           poses[0].translation, atol=1e-8)


def test_closed_form_ignores_the_scales_of_k_and_h():
    # homographies near 1e200 overflowed the norms ('A: is all zeros' with RuntimeWarnings), near
    # 1e-300 gave NaN; K near 1e200 made λ infinite; a singular K raised a raw LinAlgError
    cam = SYNTH_CAMERA.replace(k1=0.0, k2=0.0, p1=0.0, p2=0.0)
    obj, pts, _ = synthetic_views(camera=cam, n_views=5)
    Hs = [Homography.from_points(obj[:, :2], p).matrix for p in pts]
    K = intrinsics_from_homographies(Hs, (640, 480))
    ref = extrinsics_from_homography(K, Hs[0])
    for k in (1e200, 1e-300):
        np.testing.assert_allclose(intrinsics_from_homographies([H * k for H in Hs], (640, 480)),
                                   K, rtol=1e-12)
        pose = extrinsics_from_homography(K * k, Hs[0] * k)
        assert pose.angle_to(ref) < 1e-9
        np.testing.assert_allclose(pose.translation, ref.translation, rtol=1e-12)
    with pytest.raises(InputError, match="K: singular"):
        extrinsics_from_homography(np.diag([1.0, 0.0, 1.0]), Hs[0])
    with pytest.raises(InputError, match=r"K: expected a camera matrix with K\[2, 2\] != 0"):
        extrinsics_from_homography(np.zeros((3, 3)), Hs[0])
    with pytest.raises(InputError, match="H: all zeros"):
        extrinsics_from_homography(K, np.zeros((3, 3)))
    with pytest.raises(InputError, match="homographies: expected a sequence"):
        intrinsics_from_homographies(None, (640, 480))
    with pytest.raises(InputError, match=r"homographies\[1\]: all zeros"):
        intrinsics_from_homographies([Hs[0], np.zeros((3, 3)), Hs[2]], (640, 480))


def test_fronto_parallel_views_are_degenerate():
    # the board parallel to the image plane in every view: the focal length is undetermined
    cam = SYNTH_CAMERA.replace(k1=0.0, k2=0.0, p1=0.0, p2=0.0)
    obj = synthetic_views(camera=cam, n_views=3)[0]
    poses = [Pose.from_rvec([0.0, 0.0, roll], [dx, dy, 0.6])
             for roll, dx, dy in ((0.0, -0.1, -0.05), (0.3, -0.05, 0.0), (-0.2, -0.12, -0.1))]
    pts = [cam.project(obj, p) for p in poses]
    Hs = [Homography.from_points(obj[:, :2], p).matrix for p in pts]
    with pytest.raises(DegenerateError, match="do not determine"):
        intrinsics_from_homographies(Hs, (640, 480))
    with pytest.raises(DegenerateError, match="focal length"):
        calibrate_camera(obj, pts, (640, 480))


def test_noisy_recovery_and_standard_deviations(noisy_views):
    obj, pts, _ = noisy_views
    res = calibrate_camera(obj, pts, (640, 480))
    # 0.2 px per coordinate: the RMS distance is about 0.2·√2
    assert 0.24 < res.rms_px < 0.32
    for name in ("fx", "fy", "cx", "cy", "k1", "k2", "p1", "p2"):
        err = abs(getattr(res.camera, name) - getattr(SYNTH_CAMERA, name))
        assert err < 4 * res.std[name] + 1e-12, name
    assert res.std["skew"] == 0.0 and "skew" in res.fixed
    assert res.pose_std.shape == (15, 6) and np.all(res.pose_std > 0)


def _opencv(obj, pts, flags, K0=None):
    o = [obj.astype(np.float32)] * len(pts)
    p = [x.astype(np.float32) for x in pts]
    crit = (cv2.TERM_CRITERIA_COUNT + cv2.TERM_CRITERIA_EPS, 200, 1e-15)
    rms, K, d, *_ = cv2.calibrateCamera(o, p, (640, 480), K0, None, flags=flags, criteria=crit)
    return rms, K, d.ravel()


@pytest.mark.parametrize("option, flag", [
    ({}, 0),
    ({"fix_aspect": True}, cv2.CALIB_FIX_ASPECT_RATIO),
    ({"zero_tangential": True}, cv2.CALIB_ZERO_TANGENT_DIST),
    ({"fix_k3": True}, cv2.CALIB_FIX_K3),
    ({"fix_principal_point": True}, cv2.CALIB_FIX_PRINCIPAL_POINT),
])
def test_options_agree_with_opencv_flags(noisy_views, option, flag):
    obj, pts, _ = noisy_views
    res = calibrate_camera(obj, pts, (640, 480), **option)
    # OpenCV reads the aspect ratio from (and, with FIX_PRINCIPAL_POINT, the centre from) K
    K0 = np.array([[1.0, 0, 319.5], [0, 1.0, 239.5], [0, 0, 1]]) if flag else None
    rms, K, d = _opencv(obj, pts, flag, K0)
    assert abs(res.rms_px - rms) <= OPENCV_REL * rms
    ours = res.camera
    assert np.allclose([ours.fx, ours.fy, ours.cx, ours.cy], [K[0, 0], K[1, 1], K[0, 2], K[1, 2]],
                       rtol=OPENCV_REL)
    # k3 lies in a flat valley with k2: compare relative to each coefficient
    assert np.allclose(ours.dist_coeffs, d, rtol=1e-3, atol=1e-6)
    if option.get("fix_aspect"):
        assert ours.fx == pytest.approx(ours.fy, rel=1e-12)
    if option.get("zero_tangential"):
        assert ours.p1 == 0.0 and ours.p2 == 0.0 and res.std["p1"] == 0.0
    if option.get("fix_k3"):
        assert ours.k3 == 0.0 and "k3" in res.fixed
    if option.get("fix_principal_point"):
        assert (ours.cx, ours.cy) == (319.5, 239.5)


def test_standard_deviations_agree_with_opencv(noisy_views):
    obj, pts, _ = noisy_views
    res = calibrate_camera(obj, pts, (640, 480))
    o = [obj.astype(np.float32)] * len(pts)
    p = [x.astype(np.float32) for x in pts]
    crit = (cv2.TERM_CRITERIA_COUNT + cv2.TERM_CRITERIA_EPS, 200, 1e-15)
    out = cv2.calibrateCameraExtended(o, p, (640, 480), None, None, criteria=crit)
    std_cv = out[5].ravel()
    ours = [res.std[n] for n in ("fx", "fy", "cx", "cy", "k1", "k2", "p1", "p2", "k3")]
    assert np.allclose(ours, std_cv[:9], rtol=1e-3)


def test_initial_camera_and_result_dict(noisy_views):
    obj, pts, _ = noisy_views
    start = SYNTH_CAMERA.replace(fx=780.0, fy=820.0, k1=0.0)
    res = calibrate_camera(obj, pts, (640, 480), initial_camera=start)
    ref = calibrate_camera(obj, pts, (640, 480))
    assert np.allclose(res.camera.params, ref.camera.params, rtol=1e-6, atol=1e-8)
    data = res.to_dict()
    assert set(data["std"]) == set(PARAM_NAMES) and len(data["poses"]) == 15
    assert Camera.from_dict(data["camera"]) == res.camera


def test_view_arrays_in_opencv_layout(exact_views):
    obj, pts, _ = exact_views
    res = calibrate_camera([obj.astype(np.float32)] * 10,
                           [p.reshape(-1, 1, 2).astype(np.float32) for p in pts], (640, 480))
    assert res.rms_px < 1e-3  # float32 corners
    two_d = calibrate_camera(obj[:, :2], pts, (640, 480))
    assert two_d.rms_px < 1e-8


def test_bad_input(exact_views):
    obj, pts, _ = exact_views
    with pytest.raises(InputError, match="at least 3 views"):
        calibrate_camera(obj, pts[:2], (640, 480))
    short = list(pts)
    short[4] = pts[4][:3]
    with pytest.raises(InputError, match="view 4"):
        calibrate_camera([obj] * 3 + [obj] + [obj[:3]] + [obj] * 5, short, (640, 480))
    with pytest.raises(InputError, match="view 2: object_points has 54 points"):
        calibrate_camera(obj, pts[:2] + [pts[2][:50]] + pts[3:], (640, 480))
    with pytest.raises(InputError, match="object_points: 5 views"):
        calibrate_camera([obj] * 5, pts, (640, 480))
    lifted = obj.copy()
    lifted[:, 2] = 0.01 * lifted[:, 0]
    with pytest.raises(InputError, match="Z = 0"):
        calibrate_camera(lifted, pts, (640, 480))
    with pytest.raises(InputError, match="image_size"):
        calibrate_camera(obj, pts, 640)
    with pytest.raises(InputError, match="expected finite"):
        calibrate_camera(obj, [p.copy() for p in pts[:3]] + [np.full((54, 2), np.nan)],
                         (640, 480))
    with pytest.raises(InputError, match="initial_camera"):
        calibrate_camera(obj, pts, (640, 480), initial_camera=np.eye(3))
    with pytest.raises(InputError, match="sequence"):
        calibrate_camera(obj, "points", (640, 480))


def test_collinear_view_is_named(exact_views):
    obj, pts, _ = exact_views
    line = obj[:9]  # one row of the board: collinear
    objs = [obj] * 3 + [line] + [obj] * 6
    views = list(pts[:3]) + [pts[3][:9]] + list(pts[4:])
    with pytest.raises(DegenerateError, match="view 3"):
        calibrate_camera(objs, views, (640, 480))
