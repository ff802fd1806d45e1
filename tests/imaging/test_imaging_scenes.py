"""The built-in scenes: exact ground truth, determinism, checks of the arguments."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from lacv.errors import InputError
from lacv.imaging.scenes import (
    corner_errors_px,
    image_corners,
    load_photo,
    panorama_scene,
    planar_scene,
)


def _render_noise_free(scene, k):
    return cv2.warpPerspective(load_photo("china.jpg" if scene.name == "panorama" else
                                          "flower.jpg").astype(np.float32),
                               scene.homographies[k], scene.images[k].shape[1::-1],
                               flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def test_relative_homography_moves_pixels_exactly(pano4):
    # render view 2 from view 1 through the exact relative homography; away
    # from the borders it matches view 2 up to noise, gain and resampling
    H12 = pano4.relative(1, 2)
    clean1 = _render_noise_free(pano4, 1)
    clean2 = _render_noise_free(pano4, 2)
    w, h = pano4.images[2].shape[1::-1]
    from2 = cv2.warpPerspective(clean1, H12, (w, h), flags=cv2.INTER_LINEAR)
    valid = cv2.warpPerspective(np.ones_like(clean1[:, :, 0]), H12, (w, h),
                                flags=cv2.INTER_NEAREST) > 0
    valid = cv2.erode(valid.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert valid.sum() > 0.3 * w * h
    diff = np.abs(from2 - clean2)[valid]
    assert np.median(diff) < 2.0
    # a homography that is off by one pixel is visibly worse
    shifted = np.array([[1, 0, 1.0], [0, 1, 0], [0, 0, 1]]) @ H12
    off = cv2.warpPerspective(clean1, shifted, (w, h), flags=cv2.INTER_LINEAR)
    assert np.median(np.abs(off - clean2)[valid]) > 1.5 * np.median(diff)


def test_relative_composes(pano4):
    H = pano4.relative(2, 3) @ pano4.relative(0, 2)
    np.testing.assert_allclose(H / H[2, 2], pano4.relative(0, 3), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(pano4.relative(1, 1), np.eye(3), atol=1e-12)
    with pytest.raises(InputError, match="view index"):
        pano4.relative(0, 4)


def test_panorama_views_overlap_left_to_right(pano4):
    assert len(pano4) == 4
    for i in range(3):
        # the centre of view i+1 lies to the right of view i's centre, inside the view
        centre = np.array([[119.5, 99.5, 1.0]])
        x = (pano4.relative(i + 1, i) @ centre.T).ravel()
        x = x[:2] / x[2]
        assert 119.5 < x[0] < 239.0


def test_scenes_are_deterministic_and_seeded():
    a, b = panorama_scene(3, rng=5), panorama_scene(3, rng=5)
    c = panorama_scene(3, rng=6)
    assert all(np.array_equal(x, y) for x, y in zip(a.images, b.images, strict=True))
    assert not np.array_equal(a.images[0], c.images[0])


def test_planar_scene_has_perspective(planar3):
    H = planar3.relative(0, 1)
    assert np.abs(H[2, :2]).max() > 1e-4
    assert planar3.images[0].shape == (240, 320, 3)


def test_corner_errors(pano4):
    H = pano4.relative(0, 1)
    np.testing.assert_allclose(corner_errors_px(H, H, (200, 240)), 0, atol=1e-9)
    moved = np.array([[1, 0, 3.0], [0, 1, 4.0], [0, 0, 1]]) @ H
    np.testing.assert_allclose(corner_errors_px(moved, H, (200, 240)), 5.0, rtol=1e-9)
    np.testing.assert_array_equal(image_corners((2, 3)), [[0, 0], [2, 0], [2, 1], [0, 1]])


def test_scene_arguments_are_checked():
    with pytest.raises(InputError, match="n_views"):
        panorama_scene(1)
    with pytest.raises(InputError, match="overlap"):
        panorama_scene(3, overlap=0.95)
    with pytest.raises(InputError, match="photo"):
        planar_scene(2, photo="lena.png")
    with pytest.raises(InputError, match="view_size"):
        planar_scene(2, view_size=(10, 10))
    with pytest.raises(InputError, match="noise_std: expected at most 1e\\+06 grey levels"):
        planar_scene(2, noise_std=1e200)  # overflowed the float32 cast with a warning
