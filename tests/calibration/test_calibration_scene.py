"""The rendered calibration sequence, chessboard detection, and calibration from the images."""

from __future__ import annotations

import numpy as np
import pytest

from lacv.errors import InputError
from lacv.geometry.calibration import Camera, calibrate_camera
from lacv.imaging.calibration_scene import (
    DEFAULT_CAMERA,
    calibration_poses,
    calibration_sequence,
)
from lacv.imaging.chessboard import (
    BoardNotFoundError,
    board_points,
    find_chessboard,
    parse_pattern,
)


def test_sequence_ground_truth_is_consistent(sequence):
    assert len(sequence) == 12 and sequence.image_size == (640, 480)
    assert sequence.camera == DEFAULT_CAMERA
    for img, pose, pts in zip(sequence.images, sequence.poses, sequence.image_points,
                              strict=True):
        assert img.shape == (480, 640) and img.dtype == np.uint8
        assert np.allclose(sequence.camera.project(sequence.object_points, pose), pts)
        assert pts.min() > 0 and pts[:, 0].max() < 639 and pts[:, 1].max() < 479
    # the views differ in tilt: Zhang's method needs that
    normals = np.array([p.rotation[:, 2] for p in sequence.poses])
    assert np.degrees(np.arccos(np.clip(normals @ normals.T, -1, 1))).max() > 20


def test_sequence_is_reproducible():
    a = calibration_sequence(3, rng=5, noise_std=1.0)
    b = calibration_sequence(3, rng=5, noise_std=1.0)
    assert all(np.array_equal(x, y) for x, y in zip(a.images, b.images, strict=True))


def test_detected_corners_match_the_truth(sequence):
    errors = []
    for img, truth in zip(sequence.images, sequence.image_points, strict=True):
        corners = find_chessboard(img, sequence.pattern)
        assert corners.shape == (54, 2)
        errors.append(np.linalg.norm(corners - truth, axis=1))
    errors = np.concatenate(errors)
    assert errors.mean() < 0.1 and errors.max() < 0.4


def test_recovers_the_ground_truth_from_the_images(sequence):
    corners = [find_chessboard(img, sequence.pattern) for img in sequence.images]
    res = calibrate_camera(sequence.object_points, corners, sequence.image_size)
    truth = sequence.camera
    assert res.rms_px < 0.15
    for name in ("fx", "fy"):
        assert abs(getattr(res.camera, name) / getattr(truth, name) - 1) < 0.003
    for name in ("cx", "cy"):
        assert abs(getattr(res.camera, name) - getattr(truth, name)) < 2.0
    assert abs(res.camera.k1 - truth.k1) < 0.02
    for est, true in zip(res.poses, sequence.poses, strict=True):
        assert est.angle_to(true) < 0.3


def test_corner_order_is_fixed_under_a_half_turn(sequence):
    img = sequence.images[0]
    a = find_chessboard(img)
    b = find_chessboard(img[::-1, ::-1])  # the same board upside down
    h, w = img.shape
    b_back = np.column_stack([w - 1 - b[:, 0], h - 1 - b[:, 1]])
    # the half turn swaps the two valid orders, and find_chessboard swaps them back
    assert a[0].sum() < a[-1].sum() and b[0].sum() < b[-1].sum()
    assert np.max(np.abs(b_back[::-1] - a)) < 0.05


def test_not_found_and_bad_input():
    with pytest.raises(BoardNotFoundError, match="9×6 not found"):
        find_chessboard(np.full((120, 160), 128, np.uint8))
    with pytest.raises(InputError, match="image"):
        find_chessboard("board.png")
    with pytest.raises(InputError, match="pattern"):
        find_chessboard(np.zeros((50, 50), np.uint8), pattern=(1, 6))
    # OpenCV's adaptive threshold asserted on images under 15 pixels a side (a raw cv2.error)
    with pytest.raises(BoardNotFoundError, match="only 160×14 pixels"):
        find_chessboard(np.full((14, 160), 128, np.uint8))
    assert parse_pattern("9x6") == (9, 6) and parse_pattern("7×5") == (7, 5)
    with pytest.raises(InputError, match="COLSxROWS"):
        parse_pattern("nine by six")


def test_board_points():
    pts = board_points((3, 2), 0.5)
    assert np.array_equal(pts, [[0, 0, 0], [0.5, 0, 0], [1, 0, 0], [0, 0.5, 0], [0.5, 0.5, 0],
                                [1, 0.5, 0]])
    with pytest.raises(InputError, match="square_size"):
        board_points((3, 2), -1.0)


def test_poses_and_sequence_bad_input():
    with pytest.raises(InputError, match="image_size"):
        calibration_poses(Camera(800, 800, 320, 240))
    with pytest.raises(InputError, match="could not fit"):
        calibration_poses(DEFAULT_CAMERA, distance=(0.05, 0.06), n_views=2)
    with pytest.raises(InputError, match="n_views"):
        calibration_sequence(2)
    with pytest.raises(InputError, match="noise_std: expected at most"):
        calibration_sequence(3, noise_std=1e200)  # overflowed the float32 cast with a warning
    with pytest.raises(InputError, match="blur_sigma: expected at most the image's larger side"):
        calibration_sequence(3, blur_sigma=1e10)  # OpenCV's kernel size assertion
    with pytest.raises(InputError, match="distance"):
        calibration_poses(DEFAULT_CAMERA, distance=(0.8, 0.5))
