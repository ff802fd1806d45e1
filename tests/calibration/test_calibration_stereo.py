"""calibrate_stereo: exact recovery of a synthetic rig, E and F, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from _calib_data import SYNTH_CAMERA, synthetic_views

from lacv.errors import InputError
from lacv.geometry.calibration import Pose, calibrate_stereo

RIGHT = SYNTH_CAMERA.replace(fx=790.0, fy=792.0, cx=330.0, cy=236.0, k1=-0.08, k2=0.02,
                             p1=-0.0004, p2=0.0002)
RIG = Pose.from_rvec([0.01, -0.05, 0.02], [-0.12, 0.003, 0.004])


@pytest.fixture(scope="module")
def rig_views():
    obj, left, poses = synthetic_views(n_views=8, seed=3)
    right = [RIGHT.project(obj, RIG @ p) for p in poses]
    return obj, left, right, poses


@pytest.mark.parametrize("refine", [True, False])
def test_exact_rig_recovery(rig_views, refine):
    obj, left, right, poses = rig_views
    kwargs = {} if refine else {"camera_left": SYNTH_CAMERA, "camera_right": RIGHT,
                                "refine_intrinsics": False}
    res = calibrate_stereo(obj, left, right, (640, 480), **kwargs)
    assert res.rms_px < 1e-7
    assert res.relative_pose.angle_to(RIG) < 1e-6
    assert np.allclose(res.translation, RIG.translation, atol=1e-8)
    assert res.baseline == pytest.approx(np.linalg.norm(RIG.translation))
    assert np.allclose(res.camera_right.params, RIGHT.params, rtol=1e-6, atol=1e-8)
    assert res.view_rms_px.shape == (8, 2)
    assert (res.left is None) == (not refine)
    # epipolar constraint on the ideal (undistorted) pixels of a view
    xl = SYNTH_CAMERA.undistort_points(left[0])
    xr = RIGHT.undistort_points(right[0])
    h = np.ones((len(xl), 1))
    assert np.max(np.abs(np.sum((np.hstack([xr, h]) @ res.fundamental) * np.hstack([xl, h]),
                                axis=1))) < 1e-6
    nl = np.hstack([xl, h]) @ np.linalg.inv(SYNTH_CAMERA.K).T
    nr = np.hstack([xr, h]) @ np.linalg.inv(RIGHT.K).T
    assert np.max(np.abs(np.sum((nr @ res.essential) * nl, axis=1))) < 1e-9
    assert set(res.to_dict()) >= {"R", "T", "E", "F", "rms_px"}


def test_noisy_rig_standard_deviations(rig_views):
    obj, left, right, _ = rig_views
    rng = np.random.default_rng(7)
    res = calibrate_stereo(obj, [p + rng.normal(0, 0.2, p.shape) for p in left],
                           [p + rng.normal(0, 0.2, p.shape) for p in right], (640, 480))
    angle = res.relative_pose.angle_to(RIG)
    assert angle < 4 * np.linalg.norm(res.rotation_std_deg)
    assert np.all(res.rotation_std_deg > 0) and np.all(res.translation_std > 0)


def test_bad_input(rig_views):
    obj, left, right, _ = rig_views
    with pytest.raises(InputError, match="same moments"):
        calibrate_stereo(obj, left, right[:5], (640, 480))
    with pytest.raises(InputError, match="image_points_right"):
        calibrate_stereo(obj, left, right[:2], (640, 480))
    with pytest.raises(InputError, match="camera_left"):
        calibrate_stereo(obj, left, right, (640, 480), camera_left="cam")
