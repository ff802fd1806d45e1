"""Synthetic calibration views (projected board corners, no rendering) for the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lacv.geometry.camera import Camera
from lacv.imaging.calibration_scene import calibration_poses
from lacv.imaging.chessboard import board_points

#: the issue's synthetic camera (benchmark 1) with a little tangential distortion
SYNTH_CAMERA = Camera(800.0, 800.0, 320.0, 240.0, k1=-0.1, k2=0.01, p1=0.0005, p2=-0.0003,
                      image_size=(640, 480))

#: ../shared/data/calibration beside the project
CALIB_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "calibration"


def synthetic_views(camera=SYNTH_CAMERA, n_views=15, noise_px=0.0, seed=0, pattern=(9, 6),
                    square=0.03):
    """Projected board corners: object points (N, 3), image points per view, true poses."""
    rng = np.random.default_rng(seed)
    obj = board_points(pattern, square)
    poses = calibration_poses(camera, pattern, square, n_views, rng=rng)
    pts = [camera.project(obj, p) + rng.normal(0.0, noise_px, (len(obj), 2)) for p in poses]
    return obj, pts, poses


def calib_data() -> Path:
    """The real chessboard set, skipping the test where it is absent."""
    if not CALIB_DATA.is_dir():
        pytest.skip(f"shared test data not found: {CALIB_DATA}")
    return CALIB_DATA
