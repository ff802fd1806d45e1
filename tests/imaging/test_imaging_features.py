"""Features and matches: SIFT and ORB on a rendered pair with known homography."""

from __future__ import annotations

import numpy as np
import pytest

from lacv.errors import InputError
from lacv.imaging.features import detect_features, match_descriptors, match_features
from lacv.imaging.warp import transform_points


def _correct_fraction(scene, i, j, matches, tol=3.0):
    err = np.linalg.norm(transform_points(scene.relative(i, j), matches.points1)
                         - matches.points2, axis=1)
    return float(np.mean(err < tol))


@pytest.mark.parametrize("method", ["sift", "orb"])
def test_matches_agree_with_ground_truth(planar3, method):
    m = match_features(planar3.images[0], planar3.images[1], method)
    assert len(m) >= 50
    assert m.points1.shape == m.points2.shape == (len(m), 2)
    assert _correct_fraction(planar3, 0, 1, m) > 0.85
    assert np.all(np.diff(m.ratios) >= 0)


def test_ratio_test_and_mutual_check_remove_wrong_matches(pano4):
    f1, f2 = detect_features(pano4.images[1]), detect_features(pano4.images[2])
    loose = match_descriptors(f1, f2, ratio=1.0, mutual=False)
    strict = match_descriptors(f1, f2, ratio=0.8, mutual=True)
    assert len(loose) == len(f1)  # no filter: every keypoint keeps its nearest neighbour
    assert len(strict) < len(loose)
    assert _correct_fraction(pano4, 1, 2, strict) > _correct_fraction(pano4, 1, 2, loose) + 0.2
    assert np.all(strict.ratios < 0.8)
    # mutual: no keypoint of the second image is used twice
    assert len(np.unique(strict.index2)) == len(strict)
    mutual_only = match_descriptors(f1, f2, ratio=1.0, mutual=True)
    assert len(np.unique(mutual_only.index2)) == len(mutual_only) < len(loose)


def test_featureless_image_gives_no_matches(pano4):
    flat = np.full((100, 120), 128, np.uint8)
    assert len(detect_features(flat)) == 0
    m = match_features(flat, pano4.images[0])
    assert len(m) == 0 and m.points1.shape == (0, 2)


def test_sixteen_bit_and_grey_inputs(planar3):
    grey16 = (planar3.images[0][:, :, 1].astype(np.uint16) * 257)
    f16 = detect_features(grey16)
    f8 = detect_features(planar3.images[0][:, :, 1])
    assert abs(len(f16) - len(f8)) <= 0.05 * len(f8)


def test_feature_arguments_are_checked(planar3):
    with pytest.raises(InputError, match="method"):
        detect_features(planar3.images[0], "surf")
    with pytest.raises(InputError, match="mask"):
        detect_features(planar3.images[0], mask=np.ones((3, 3), bool))
    with pytest.raises(InputError, match="max_features: expected at most 2147483647"):
        detect_features(planar3.images[0], max_features=2**31)  # cv2's OverflowError
    fs = detect_features(planar3.images[0], "sift", max_features=50)
    fo = detect_features(planar3.images[0], "orb", max_features=50)
    assert len(fs) <= 50
    with pytest.raises(InputError, match="different methods"):
        match_descriptors(fs, fo)
    with pytest.raises(InputError, match="ratio"):
        match_descriptors(fs, fs, ratio=1.5)
    with pytest.raises(InputError, match="features1"):
        match_descriptors(np.zeros((3, 128)), fs)
