"""Camera model: projection against OpenCV, distortion round trips, Jacobians, SO(3), I/O."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from _calib_data import calib_data
from _calib_tol import EXACT_REL, JAC_RTOL, ROUND_TRIP_PX

from lacv.calculus import jacobian
from lacv.errors import DegenerateError, InputError
from lacv.geometry._bundle import pose_jacobian, project_with_jacobian, update_poses
from lacv.geometry.calibration import _left_jacobian
from lacv.geometry.camera import (
    Camera,
    Pose,
    project_to_rotation,
    rotation_from_rvec,
    rvec_from_rotation,
)

CAM = Camera(812.0, 806.0, 324.5, 236.0, skew=0.0, k1=-0.12, k2=0.08, p1=0.0008, p2=-0.0005,
             k3=0.01, image_size=(640, 480))


def random_points(rng, n=40):
    X = rng.uniform(-0.3, 0.3, (n, 3))
    X[:, 2] += 1.0
    return X


def rel_err(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def test_project_matches_opencv():
    rng = np.random.default_rng(0)
    X = random_points(rng)
    rvec, tvec = np.array([0.2, -0.3, 0.1]), np.array([0.01, 0.02, 0.3])
    ours = CAM.project(X, Pose.from_rvec(rvec, tvec))
    ref, _ = cv2.projectPoints(X, rvec, tvec, CAM.K, CAM.dist_coeffs)
    assert np.max(np.abs(ours - ref.reshape(-1, 2))) < 1e-9


def test_project_without_pose_and_behind_camera():
    assert np.allclose(CAM.replace(k1=0, k2=0, p1=0, p2=0, k3=0).project([[0.0, 0.0, 2.0]]),
                       [[324.5, 236.0]])
    with pytest.raises(DegenerateError, match="behind the camera"):
        CAM.project([[0.0, 0.0, 1.0], [0.1, 0.0, -1.0]])
    with pytest.raises(InputError, match="pose"):
        CAM.project([[0.0, 0.0, 1.0]], pose=np.eye(4))


def test_distort_undistort_inverse_inside_image():
    u, v = np.meshgrid(np.linspace(0, 639, 33), np.linspace(0, 479, 25))
    grid = np.column_stack([u.ravel(), v.ravel()])
    back = CAM.distort_points(CAM.undistort_points(grid))
    assert np.max(np.abs(back - grid)) < ROUND_TRIP_PX
    again = CAM.undistort_points(CAM.distort_points(grid))
    assert np.max(np.abs(again - grid)) < ROUND_TRIP_PX
    # and it really moves points (a test that cannot pass with an identity)
    assert np.max(np.abs(CAM.distort_points(grid) - grid)) > 5.0


def test_undistort_points_matches_opencv():
    u, v = np.meshgrid(np.linspace(20, 620, 11), np.linspace(20, 460, 9))
    grid = np.column_stack([u.ravel(), v.ravel()])
    ref = cv2.undistortPoints(grid.reshape(-1, 1, 2), CAM.K, CAM.dist_coeffs, None, None, CAM.K,
                                  (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-14))
    assert np.max(np.abs(CAM.undistort_points(grid) - ref.reshape(-1, 2))) < 1e-6


def test_undistort_points_reports_fold_over():
    strong = CAM.replace(k1=-0.9, k2=0.0, k3=0.0)  # the model folds beyond r ≈ 0.6
    with pytest.raises(DegenerateError, match="cannot be inverted"):
        strong.undistort_points([[324.5 + 5000.0, 236.0]])
    # r⁶ of points near 1e70 overflowed: inf with RuntimeWarnings, both ways
    with pytest.raises(DegenerateError, match="distortion polynomial overflows at 1 point"):
        CAM.distort_points([[1e70, 1e70]])
    with pytest.raises(DegenerateError, match="cannot be inverted"):
        CAM.undistort_points([[1e70, 1e70]])


def test_undistort_image_matches_opencv():
    rng = np.random.default_rng(1)
    img = cv2.GaussianBlur(rng.uniform(0, 255, (480, 640)).astype(np.float32), (0, 0), 3.0)
    img = img.astype(np.uint8)
    ours = CAM.undistort_image(img)
    ref = cv2.undistort(img, CAM.K, CAM.dist_coeffs)
    inner = (slice(40, -40), slice(40, -40))
    diff = np.abs(ours[inner].astype(int) - ref[inner].astype(int))
    assert ours.shape == img.shape and ours.dtype == img.dtype
    assert np.mean(diff) < 0.5 and np.max(diff) <= 3
    with pytest.raises(InputError, match="interpolation"):
        CAM.undistort_image(img, interpolation="lanczos9")


def test_projection_jacobians_against_central_differences():
    rng = np.random.default_rng(2)
    X = random_points(rng, 6)
    intr = np.array([800, 790, 320, 240, 1.5, -0.1, 0.02, 0.001, -0.002, 0.003])
    _, Ji, JX = project_with_jacobian(X, intr)
    for k in range(len(X)):
        Jn = jacobian(lambda p, k=k: project_with_jacobian(X[k:k + 1], p, False)[0].ravel(),
                      intr)
        assert rel_err(Ji[k], Jn) < JAC_RTOL
        Jn = jacobian(lambda x: project_with_jacobian(x[None], intr, False)[0].ravel(), X[k])
        assert rel_err(JX[k], Jn) < JAC_RTOL


def _pose_project(X, R, t, intr):
    def f(d):
        Rn, tn = update_poses(R[None], t[None], d[None])
        return project_with_jacobian(X @ Rn[0].T + tn[0], intr, False)[0].ravel()
    return f


def test_pose_jacobian_against_central_differences():
    rng = np.random.default_rng(3)
    X = rng.uniform(-0.2, 0.2, (5, 3))
    R, t = rotation_from_rvec([0.3, -0.2, 0.4]), np.array([0.05, -0.02, 1.2])
    intr = np.array([800, 790, 320, 240, 0.0, -0.1, 0.02, 0.001, -0.002, 0.0])
    RX = X @ R.T
    _, _, JX = project_with_jacobian(RX + t, intr)
    Jp = pose_jacobian(JX, RX)
    Jn = jacobian(_pose_project(X, R, t, intr), np.zeros(6))
    assert rel_err(Jp.reshape(-1, 6), Jn) < JAC_RTOL
    # negative: the rotation part with the wrong sign is caught by the same comparison
    wrong = Jp.copy()
    wrong[:, :, :3] *= -1
    assert rel_err(wrong.reshape(-1, 6), Jn) > 0.1


def test_left_jacobian_of_so3():
    Y = np.array([0.3, 0.1, 1.0])
    for w in (np.array([0.4, -0.7, 0.2]), np.array([4e-9, -7e-9, 2e-9])):
        Jn = jacobian(lambda v: rotation_from_rvec(v) @ Y, w)
        RY = rotation_from_rvec(w) @ Y
        skew = np.array([[0, -RY[2], RY[1]], [RY[2], 0, -RY[0]], [-RY[1], RY[0], 0]])
        assert rel_err(-skew @ _left_jacobian(w), Jn) < JAC_RTOL
    # negative: without J_l (the w = 0 Jacobian used at w ≠ 0) the error is large
    w = np.array([0.4, -0.7, 0.2])
    RY = rotation_from_rvec(w) @ Y
    skew = np.array([[0, -RY[2], RY[1]], [RY[2], 0, -RY[0]], [-RY[1], RY[0], 0]])
    assert rel_err(-skew, jacobian(lambda v: rotation_from_rvec(v) @ Y, w)) > 0.05


@pytest.mark.parametrize("angle", [0.0, 1e-10, 0.3, 2.0, np.pi - 1e-6, np.pi])
def test_rvec_round_trip(angle):
    axis = np.array([1.0, -2.0, 0.5]) / np.linalg.norm([1.0, -2.0, 0.5])
    R = rotation_from_rvec(axis * angle)
    assert np.allclose(R @ R.T, np.eye(3), atol=1e-14) and np.isclose(np.linalg.det(R), 1)
    ref, _ = cv2.Rodrigues(axis * angle)
    assert np.max(np.abs(R - ref)) < 1e-12
    back = rotation_from_rvec(rvec_from_rotation(R))
    assert np.max(np.abs(back - R)) < 1e-9


def test_rotation_checks_and_projection():
    with pytest.raises(InputError, match="rotation matrix"):
        rvec_from_rotation(np.diag([1.0, 1.0, -1.0]))
    with pytest.raises(InputError, match="rotation matrix"):
        rvec_from_rotation(np.eye(3) * 1e200)  # M Mᵀ overflowed with RuntimeWarnings
    noisy = rotation_from_rvec([0.1, 0.2, 0.3]) + 0.01
    R = project_to_rotation(noisy)
    assert np.allclose(R @ R.T, np.eye(3)) and np.isclose(np.linalg.det(R), 1.0)
    assert np.linalg.norm(R - rotation_from_rvec([0.1, 0.2, 0.3])) < 0.05
    assert np.isclose(np.linalg.det(project_to_rotation(np.diag([1.0, 1.0, -1.0]))), 1.0)


def test_pose_algebra():
    a = Pose.from_rvec([0.1, 0.2, -0.3], [1.0, 2.0, 3.0])
    b = Pose.from_rvec([-0.4, 0.0, 0.2], [0.5, -1.0, 0.0])
    X = np.random.default_rng(4).normal(size=(5, 3))
    assert np.allclose((a @ b).apply(X), a.apply(b.apply(X)))
    assert np.allclose(a.inverse.apply(a.apply(X)), X)
    assert np.allclose(a.center, -a.rotation.T @ a.translation)
    assert a.angle_to(a) < 1e-6 and abs(a.angle_to(Pose.identity()) - np.degrees(
        np.linalg.norm(a.rvec))) < 1e-9
    with pytest.raises(InputError, match="rotation"):
        Pose(np.eye(3) * 2, np.zeros(3))
    with pytest.raises(InputError, match="translation"):
        Pose(np.eye(3), [1.0, 2.0])
    # R near 1e200 overflowed R Rᵀ (RuntimeWarnings); an rvec that long made math.sin(inf) fail
    with pytest.raises(InputError, match="rotation: expected a rotation matrix"):
        Pose(np.eye(3) * 1e200, np.zeros(3))
    with pytest.raises(InputError, match="rvec: a rotation angle of about 1e\\+200 rad"):
        Pose.from_rvec([1e200, 0.0, 0.0], [0.0, 0.0, 0.0])
    with pytest.raises(InputError, match="rvec: a rotation angle"):
        rotation_from_rvec([0.0, -1e200, 0.0])
    with pytest.raises(InputError, match="other: expected a Pose, got int"):
        a.angle_to(3)  # was AttributeError: 'int' object has no attribute 'rotation'


def test_camera_validation():
    with pytest.raises(InputError, match="fx"):
        Camera(0.0, 800.0, 320.0, 240.0)
    with pytest.raises(InputError, match="cy"):
        Camera(800.0, 800.0, 320.0, float("nan"))
    with pytest.raises(InputError, match="image_size"):
        Camera(800.0, 800.0, 320.0, 240.0, image_size=(640, -1))
    # a dict raised KeyError, inf OverflowError, a complex array warned and was accepted
    for size in ({}, (np.inf, 480), np.array([640 + 0j, 480]), (True, 480), "64"):
        with pytest.raises(InputError, match="image_size: expected"):
            Camera(800.0, 800.0, 320.0, 240.0, image_size=size)
    assert Camera(800.0, 800.0, 320.0, 240.0, image_size=(640.0, 480)).image_size == (640, 480)
    with pytest.raises(InputError, match="unknown"):
        CAM.replace(focal=3.0)


def test_from_matrix_and_params_round_trip():
    again = Camera.from_matrix(CAM.K, CAM.dist_coeffs, image_size=(640, 480))
    assert again == CAM
    assert Camera.from_params(CAM.params, image_size=(640, 480)) == CAM
    assert Camera.from_matrix(CAM.K, np.r_[CAM.dist_coeffs, np.zeros(9)]) == CAM.replace(
        image_size=None)
    with pytest.raises(InputError, match="rational"):
        Camera.from_matrix(CAM.K, [0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.2])
    with pytest.raises(InputError, match="upper-triangular"):
        Camera.from_matrix(np.ones((3, 3)))
    with pytest.raises(InputError, match="coefficients"):
        Camera.from_matrix(CAM.K, [0.1, 0.2, 0.3])


def test_dict_round_trip():
    assert Camera.from_dict(CAM.to_dict()) == CAM
    assert Camera.from_dict({"fx": 1.0, "fy": 2.0, "cx": 3.0, "cy": 4.0}).k1 == 0.0
    with pytest.raises(InputError, match="missing"):
        Camera.from_dict({"fx": 1.0})
    with pytest.raises(InputError, match="dict"):
        Camera.from_dict([1, 2, 3])


def test_opencv_yaml_round_trip(tmp_path):
    path = tmp_path / "camera.yml"
    CAM.to_opencv_yaml(path)
    assert Camera.from_opencv_yaml(path) == CAM
    fs = cv2.FileStorage(str(path), cv2.FILE_STORAGE_READ)
    assert np.allclose(fs.getNode("camera_matrix").mat(), CAM.K, rtol=EXACT_REL)
    assert np.allclose(fs.getNode("distortion_coefficients").mat().ravel(), CAM.dist_coeffs)
    fs.release()
    with pytest.raises(InputError, match="no such file"):
        Camera.from_opencv_yaml(tmp_path / "missing.yml")
    with pytest.raises(InputError, match="no matrix node"):
        Camera.from_opencv_yaml(path, matrix_key="M1")
    garbage = tmp_path / "garbage.yml"
    garbage.write_text("root:x:0:0:root:/root:/bin/bash\n")  # cv2 raised a SystemError
    with pytest.raises(InputError, match="not an OpenCV YAML/XML file"):
        Camera.from_opencv_yaml(garbage)


def test_opencv_yaml_of_the_stereo_sample():
    path = calib_data() / "reference-stereo-intrinsics.yml"
    # the sample's 14-term rational model has k6 != 0: refused rather than truncated
    with pytest.raises(InputError, match="rational"):
        Camera.from_opencv_yaml(path, matrix_key="M1", dist_key="D1")

