"""Warping: canvas bounds, validity masks, feathering weights, degenerate transforms."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from lacv.errors import DegenerateError, InputError
from lacv.imaging.warp import (
    Canvas,
    as_homography,
    canvas_bounds,
    transform_points,
    warp_image,
    warp_region,
    warped_corners,
)


class _Shift:
    """A stand-in for a lacv transform: anything with a 3×3 ``.matrix``."""

    def __init__(self, dx, dy):
        self.matrix = np.array([[1.0, 0, dx], [0, 1, dy], [0, 0, 1]])


def test_translation_by_whole_pixels_is_exact():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 255, (10, 14, 3), dtype=np.uint8)
    canvas = canvas_bounds([img.shape, img.shape], [np.eye(3), _Shift(5, -3)])
    assert canvas == Canvas(0, -3, 19, 13)
    out = warp_image(img, _Shift(5, -3), canvas)
    np.testing.assert_array_equal(out.image[0:10, 5:19], img)
    assert out.mask.sum() == img.shape[0] * img.shape[1]
    assert not out.mask[10:, :].any() and not out.mask[:, :5].any()
    assert np.all(out.image[~out.mask] == 0)


def test_weights_are_distance_to_the_border_plus_one():
    img = np.full((9, 11), 7, np.uint8)
    out = warp_image(img, np.eye(3))
    assert out.weight[0, 0] == 1 and out.weight[4, 5] == 5 and out.weight[4, 0] == 1


def test_no_content_is_cropped_under_perspective(planar3):
    H = planar3.relative(1, 0)
    img = planar3.images[1]
    canvas = canvas_bounds([img.shape], [H])
    out = warp_region(img, H, canvas)
    corners = warped_corners(img.shape, H) - [canvas.x0, canvas.y0]
    assert corners.min() >= 0
    assert np.all(corners[:, 0] <= canvas.width - 1) and np.all(corners[:, 1] <= canvas.height - 1)
    # the mask's area equals the warped quadrilateral's area (within its perimeter)
    quad = cv2.contourArea(corners.astype(np.float32))
    perimeter = cv2.arcLength(corners.astype(np.float32), True)
    assert abs(out.mask.sum() - quad) < perimeter


def test_warp_agrees_with_opencv_warpPerspective(planar3):
    H = planar3.relative(0, 2)
    img = planar3.images[0]
    canvas = canvas_bounds([img.shape], [H])
    out = warp_image(img, H, canvas)
    ref = cv2.warpPerspective(img, canvas.offset @ H, (canvas.width, canvas.height))
    inner = cv2.erode(out.mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    diff = np.abs(out.image.astype(int) - ref.astype(int))[inner]
    assert diff.max() <= 2


def test_transform_points_and_inverse_round_trip():
    H = np.array([[1.1, 0.05, 3], [-0.02, 0.9, -4], [1e-4, 2e-4, 1]])
    pts = np.array([[0.0, 0], [100, 50], [30.5, 70.25]])
    back = transform_points(np.linalg.inv(H), transform_points(H, pts))
    np.testing.assert_allclose(back, pts, atol=1e-10)


def test_degenerate_and_bad_transforms():
    horizon = np.array([[1.0, 0, 0], [0, 1, 0], [-0.02, 0, 1]])  # w = 0 at x = 50
    with pytest.raises(DegenerateError, match="infinity"):
        warped_corners((20, 100), horizon)
    with pytest.raises(DegenerateError, match="infinity"):
        transform_points(horizon, [[50.0, 3.0]])
    with pytest.raises(DegenerateError, match="canvas would be"):
        canvas_bounds([(10, 10)], [np.diag([1e4, 1e4, 1])])
    with pytest.raises(InputError, match="singular"):
        as_homography(np.zeros((3, 3)))
    with pytest.raises(InputError, match="3×3"):
        as_homography(np.eye(2))
    with pytest.raises(InputError, match="finite"):
        as_homography(np.full((3, 3), np.nan))
    with pytest.raises(InputError, match="one transform per image"):
        canvas_bounds([(3, 3)], [])
    # raw IndexError / KeyError / OverflowError / TypeError and a ComplexWarning before
    for shape in ([], {}, (20,), (np.inf, 20), (0, 20), "ab", None):
        with pytest.raises(InputError, match="shape: expected an image shape"):
            warped_corners(shape, np.eye(3))
    with pytest.raises(InputError, match="shapes: expected a sequence"):
        canvas_bounds(None, [np.eye(3)])
    with pytest.raises(InputError, match="max_pixels: expected a number > 0"):
        canvas_bounds([(3, 3)], [np.eye(3)], max_pixels=None)
    with pytest.raises(InputError, match="transform: expected a transform or a 3×3 matrix"):
        as_homography(np.eye(3) + 0j)
    # a negative width reached NumPy's 'negative dimensions are not allowed' in warp_image
    with pytest.raises(InputError, match="width: expected a canvas of at least 1 pixel, got -5"):
        Canvas(0, 0, -5, 10)
    with pytest.raises(InputError, match="x0: expected an integer, got float"):
        Canvas(0.5, 0, 10, 10)
    assert Canvas(np.int64(-3), 0, 1, 1).shape == (1, 1)
    with pytest.raises(InputError, match="Canvas"):
        warp_region(np.zeros((4, 4)), np.eye(3), (0, 0, 4, 4))


def test_box_beyond_the_horizon_is_masked_out():
    # the image stays in front (w > 0 at its corners), but the box of its warped
    # corners reaches past the horizon: those canvas pixels come from no source pixel
    H = np.array([[1.0, 0.3159, 0.0], [-0.4973, 1.0, 0.0], [0.0026, 0.0261, 1.0]])
    img = np.full((40, 60), 200, np.uint8)
    canvas = canvas_bounds([img.shape], [H])
    Hinv = np.linalg.inv(canvas.offset @ H)
    ys, xs = np.mgrid[0:canvas.height, 0:canvas.width]
    behind = (Hinv[2, 0] * xs + Hinv[2, 1] * ys + Hinv[2, 2]) <= 0
    assert behind.any()  # the case under test
    out = warp_image(img, H, canvas)
    assert not out.mask[behind].any() and np.all(out.weight[behind] == 0)
    corners = warped_corners(img.shape, H) - [canvas.x0, canvas.y0]
    quad = cv2.contourArea(corners.astype(np.float32))
    assert abs(out.mask.sum() - quad) < cv2.arcLength(corners.astype(np.float32), True)
    assert np.all(out.image[out.mask] == 200) and np.all(out.image[~out.mask] == 0)


def test_interpolated_weights_agree_with_explicit_maps(planar3):
    # warpPerspective of the border-distance map against the distances computed from
    # the source positions themselves (the path taken beyond a horizon)
    from lacv.imaging.warp import _warp_by_maps

    H = planar3.relative(0, 2)
    img = planar3.images[0]
    canvas = canvas_bounds([img.shape], [H])
    fast = warp_image(img, H, canvas)
    image, mask, weight = _warp_by_maps(img, np.linalg.inv(canvas.offset @ H),
                                        canvas.width, canvas.height, cv2.INTER_LINEAR)
    # masks differ at most on the outline (source positions within 1/32 px of the border)
    assert (fast.mask != mask).sum() < 0.02 * mask.sum()
    both = fast.mask & mask
    assert np.abs(fast.weight[both] - weight[both]).max() < 0.5
    assert np.abs(fast.image[both].astype(int) - image[both].astype(int)).max() <= 1
