"""Sampson and symmetric epipolar distances, epipolar lines: hand values and OpenCV."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from _epi_tol import OPENCV_REL

from lacv.errors import DegenerateError, InputError
from lacv.geometry.epipolar import epipolar_lines, sampson_distance, symmetric_epipolar_distance
from lacv.imaging.twoview_scene import twoview_points

#: a pure horizontal shift: epipolar lines are the image rows (x2ᵀ F x1 = y1 − y2)
F_SHIFT = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])


def test_hand_values_for_a_horizontal_shift():
    x1 = np.array([[10.0, 20.0], [5.0, 7.0]])
    x2 = np.array([[15.0, 22.0], [9.0, 7.0]])
    # each point is 2 px from the other's row: symmetric distance 2, Sampson 2/√2
    np.testing.assert_allclose(symmetric_epipolar_distance(F_SHIFT, x1, x2), [2.0, 0.0])
    np.testing.assert_allclose(sampson_distance(F_SHIFT, x1, x2), [np.sqrt(2.0), 0.0])
    np.testing.assert_allclose(epipolar_lines(F_SHIFT, x1), [[0, -1, 20], [0, -1, 7]])
    np.testing.assert_allclose(epipolar_lines(F_SHIFT, x2, image=2), [[0, 1, -22], [0, 1, -7]])


def test_sampson_against_opencv():
    s = twoview_points(100, noise_px=2.0, rng=1)
    F = s.F
    h1 = np.c_[s.x1, np.ones(100)]
    h2 = np.c_[s.x2, np.ones(100)]
    ref = np.array([cv2.sampsonDistance(a.reshape(3, 1), b.reshape(3, 1), F)
                    for a, b in zip(h1, h2, strict=True)])
    np.testing.assert_allclose(sampson_distance(F, s.x1, s.x2) ** 2, ref, rtol=1e-10)


def test_lines_against_opencv():
    s = twoview_points(50, noise_px=1.0, rng=2)
    for image in (1, 2):
        pts = s.x1 if image == 1 else s.x2
        ref = cv2.computeCorrespondEpilines(pts.reshape(-1, 1, 2).astype(np.float32), image,
                                            s.F).reshape(-1, 3)
        mine = epipolar_lines(s.F, pts, image=image)
        # OpenCV normalises a² + b² = 1 too; the sign may differ
        sign = np.sign(np.sum(mine * ref, axis=1))[:, None]
        np.testing.assert_allclose(mine, sign * ref, rtol=0, atol=OPENCV_REL * 1e3)


def test_symmetric_is_mean_of_point_line_distances():
    s = twoview_points(30, noise_px=1.5, rng=3)
    l2 = epipolar_lines(s.F, s.x1, 1)
    l1 = epipolar_lines(s.F, s.x2, 2)
    d2 = np.abs(np.sum(l2[:, :2] * s.x2, axis=1) + l2[:, 2])
    d1 = np.abs(np.sum(l1[:, :2] * s.x1, axis=1) + l1[:, 2])
    np.testing.assert_allclose(symmetric_epipolar_distance(s.F, s.x1, s.x2), (d1 + d2) / 2,
                               rtol=1e-10)
    # and it fails for a different matrix (negative test of the identity)
    other = s.F + 1e-3
    assert not np.allclose(symmetric_epipolar_distance(other, s.x1, s.x2), (d1 + d2) / 2)


def test_point_at_the_epipole():
    # F_SHIFT's epipole in image 2 is the point at infinity (1, 0, 0); use a finite one
    e = np.array([100.0, 50.0, 1.0])
    F = np.array([[0.0, -e[2], e[1]], [e[2], 0.0, -e[0]], [-e[1], e[0], 0.0]])  # [e]ₓ
    with pytest.raises(DegenerateError, match="epipole"):
        epipolar_lines(F, [[100.0, 50.0]])


def test_bad_input():
    with pytest.raises(InputError, match="F"):
        sampson_distance(np.zeros((3, 3)), [[0, 0]], [[0, 0]])
    with pytest.raises(InputError, match="F"):
        sampson_distance(np.eye(4), [[0, 0]], [[0, 0]])
    with pytest.raises(InputError, match="same number"):
        sampson_distance(F_SHIFT, [[0, 0], [1, 1]], [[0, 0]])
    with pytest.raises(InputError, match="image"):
        epipolar_lines(F_SHIFT, [[0, 0]], image=3)
    with pytest.raises(InputError, match="x1"):
        symmetric_epipolar_distance(F_SHIFT, [[np.nan, 0]], [[0, 0]])
