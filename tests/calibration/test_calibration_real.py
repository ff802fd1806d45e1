"""Agreement with OpenCV on the real chessboard set (skipped where ../shared/data is absent)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from _calib_tol import OPENCV_REL, TARGET_DEG, TARGET_REL

from lacv.geometry.calibration import calibrate_camera, calibrate_stereo
from lacv.imaging.chessboard import board_points

pytestmark = pytest.mark.data

OBJ = board_points((9, 6), 1.0)
SIZE = (640, 512)


def _cv_inputs(corners):
    return [OBJ.astype(np.float32)] * len(corners), [c.astype(np.float32) for c in corners]


@pytest.mark.parametrize("side", ["left", "right"])
def test_mono_agrees_with_opencv(real_corners, side):
    corners = real_corners[side]
    res = calibrate_camera(OBJ, corners, SIZE)
    rms, K, d, *_ = cv2.calibrateCamera(*_cv_inputs(corners), SIZE, None, None)
    # the target is 0.5 %; the same cost and optimum give far closer agreement
    assert res.rms_px <= rms * (1 + TARGET_REL)
    assert abs(res.rms_px - rms) <= OPENCV_REL * rms
    ours = [res.camera.fx, res.camera.fy, res.camera.cx, res.camera.cy]
    assert np.allclose(ours, [K[0, 0], K[1, 1], K[0, 2], K[1, 2]], rtol=OPENCV_REL)
    assert np.allclose(res.camera.dist_coeffs, d.ravel(), rtol=1e-3, atol=1e-6)


def test_measured_reference_values(real_corners):
    # the figures (OpenCV 5.0, default model) for the left camera
    res = calibrate_camera(OBJ, real_corners["left"], SIZE)
    assert res.rms_px == pytest.approx(0.1489, abs=5e-4)
    assert res.camera.fx == pytest.approx(519.40, abs=0.02)
    assert res.camera.cy == pytest.approx(249.73, abs=0.02)


@pytest.mark.parametrize("refine", [False, True])
def test_stereo_rotation_agrees_with_opencv(real_corners, refine):
    left, right = real_corners["left"], real_corners["right"]
    objs, pl = _cv_inputs(left)
    _, pr = _cv_inputs(right)
    _, K1, d1, *_ = cv2.calibrateCamera(objs, pl, SIZE, None, None)
    _, K2, d2, *_ = cv2.calibrateCamera(objs, pr, SIZE, None, None)
    flags = cv2.CALIB_USE_INTRINSIC_GUESS if refine else cv2.CALIB_FIX_INTRINSIC
    crit = (cv2.TERM_CRITERIA_COUNT + cv2.TERM_CRITERIA_EPS, 200, 1e-15)
    out = cv2.stereoCalibrate(objs, pl, pr, K1, d1, K2, d2, SIZE, flags=flags, criteria=crit)
    res = calibrate_stereo(OBJ, left, right, SIZE, refine_intrinsics=refine)
    dR = res.rotation @ out[5].T
    angle = np.degrees(np.arccos(np.clip((np.trace(dR) - 1) / 2, -1, 1)))
    assert angle < TARGET_DEG
    assert angle < 1e-3
    assert np.allclose(res.translation, out[6].ravel(), rtol=1e-4, atol=1e-4)
    assert abs(res.rms_px - out[0]) <= 1e-4 * out[0]
