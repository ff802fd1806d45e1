"""Pictures: colours of inliers and outliers, outlines on a panorama."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from lacv.errors import InputError
from lacv.imaging.draw import (
    INLIER_COLOUR,
    OUTLIER_COLOUR,
    draw_matches,
    draw_outlines,
    draw_pair_matches,
)


def _has_colour(img, colour):
    return bool(np.any(np.all(img == np.array(colour, np.uint8), axis=2)))


def test_draw_matches_colours_inliers_and_outliers():
    a = np.zeros((40, 50), np.uint8)
    b = np.zeros((30, 60, 3), np.uint8)
    p1 = np.array([[10.0, 10], [20, 30]])
    p2 = np.array([[15.0, 12], [40, 5]])
    both = draw_matches(a, b, p1, p2, np.array([True, False]))
    assert both.shape == (40, 110, 3) and both.dtype == np.uint8
    assert _has_colour(both, INLIER_COLOUR) and _has_colour(both, OUTLIER_COLOUR)
    only_in = draw_matches(a, b, p1, p2, np.array([True, True]))
    assert not _has_colour(only_in, OUTLIER_COLOUR)
    empty = draw_matches(a, b, np.zeros((0, 2)), np.zeros((0, 2)))
    assert empty.max() == 0
    with pytest.raises(InputError, match="inliers"):
        draw_matches(a, b, p1, p2, np.array([1, 0]))
    with pytest.raises(InputError, match="same number of rows"):
        draw_matches(a, b, p1, p2[:1])
    # NumPy's ValueError / TypeError for these, cv2's for a thickness beyond a C long
    with pytest.raises(InputError, match="points1: expected a rectangular array"):
        draw_matches(a, b, [[1.0, 2.0], [3.0]], p2)
    with pytest.raises(InputError, match="points2: expected a rectangular array of numbers"):
        draw_matches(a, b, p1, {"x": 1})
    with pytest.raises(InputError, match="thickness: expected at most 32767"):
        draw_matches(a, b, p1, p2, thickness=10**30)
    with pytest.raises(InputError, match=r"pairs\[0\]: expected a PairMatch"):
        draw_pair_matches([a, b], [None])
    with pytest.raises(InputError, match="pairs: expected a sequence, got None"):
        draw_pair_matches([a, b], None)
    pair = SimpleNamespace(i=0, j=2, points_i=p1, points_j=p2, inliers=None, n_inliers=2,
                           n_matches=2)
    with pytest.raises(InputError, match=r"pairs\[0\]: images 0 and 2, but there are 2 images"):
        draw_pair_matches([a, b], [pair])  # images[2]: a raw IndexError


def test_draw_outlines_marks_each_image():
    pano = np.zeros((60, 80), np.uint8)
    out = draw_outlines(pano, [(20, 30), (20, 30)],
                        [np.eye(3), np.array([[1, 0, 40.0], [0, 1, 30], [0, 0, 1]])])
    assert out.shape == (60, 80, 3)
    assert out[0:3, 0:30].any() and out[28:33, 40:70].any()
    assert not out[45:55, 5:25].any()
    with pytest.raises(InputError, match="one transform per shape"):
        draw_outlines(pano, [(20, 30)], [])
    with pytest.raises(InputError, match="shapes: expected a sequence"):
        draw_outlines(pano, None, [np.eye(3)])  # len(None): a raw TypeError
    with pytest.raises(InputError, match="shape: expected an image shape"):
        draw_outlines(pano, [(np.nan, 30)], [np.eye(3)])
