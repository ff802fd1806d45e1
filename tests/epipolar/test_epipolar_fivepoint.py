"""The five-point solver: noise-free recovery, essential constraints, degeneracy, robust use."""

from __future__ import annotations

import numpy as np
import pytest

from lacv.errors import InputError
from lacv.geometry.epipolar import Essential, calibrate_points
from lacv.geometry.epipolar.fivepoint import _T11, _T21, five_point_batch
from lacv.imaging.twoview_scene import twoview_points


def _samples(count, rng0=0):
    x1s, x2s, Es = [], [], []
    for seed in range(rng0, rng0 + count):
        s = twoview_points(5, noise_px=0.0, rng=seed)
        x1s.append(calibrate_points(s.x1, s.K1))
        x2s.append(calibrate_points(s.x2, s.K2))
        Es.append(s.E / np.linalg.norm(s.E))
    return np.array(x1s), np.array(x2s), Es


def test_multiplication_tables():
    # (x + 2)(y + 3) = xy + 3x + 2y + 6 in the basis x², xy, xz, y², yz, z², x, y, z, 1
    p = np.array([1.0, 0.0, 0.0, 2.0])
    q = np.array([0.0, 1.0, 0.0, 3.0])
    np.testing.assert_array_equal(np.einsum("a,b,abc->c", p, q, _T11),
                                  [0, 1, 0, 0, 0, 0, 3, 2, 0, 6])
    # x² · z = x²z, the third cubic monomial
    sq = np.zeros(10)
    sq[0] = 1.0
    z = np.array([0.0, 0.0, 1.0, 0.0])
    assert np.flatnonzero(np.einsum("a,b,abc->c", sq, z, _T21)).tolist() == [2]


def test_recovers_the_true_essential_matrix():
    x1, x2, Es = _samples(30)
    E, ok = five_point_batch(x1, x2)
    assert E.shape == (30, 10, 3, 3)
    for b in range(30):
        d = [min(np.abs(E[b, k] - Es[b]).max(), np.abs(E[b, k] + Es[b]).max())
             for k in np.flatnonzero(ok[b])]
        assert d and min(d) < 1e-8
    h1 = np.concatenate([x1, np.ones((30, 5, 1))], axis=2)
    h2 = np.concatenate([x2, np.ones((30, 5, 1))], axis=2)
    res = np.einsum("bni,bkij,bnj->bkn", h2, E, h1)
    assert np.abs(res[ok]).max() < 1e-10
    sv = np.linalg.svd(E[ok], compute_uv=False)
    assert np.abs(sv[:, 0] - sv[:, 1]).max() < 1e-9 and sv[:, 2].max() < 1e-9


def test_degenerate_sample_is_flagged_not_fatal():
    x1, x2, _ = _samples(4, 10)
    x1[2] = x1[2, :1]  # all five points of sample 2 coincide
    x2[2] = x2[2, :1]
    E, ok = five_point_batch(x1, x2)
    assert not ok[2].any()
    assert ok[[0, 1, 3]].any(axis=1).all()
    assert np.isfinite(E).all()


def test_robust_five_point_pose():
    s = twoview_points(200, noise_px=0.5, outlier_ratio=0.4, rng=21)
    res = Essential.robust_fit(s.x1, s.x2, s.K1, s.K2, rng=0, solver="five-point")
    pose = res.model.recover_pose(s.x1, s.x2, s.K1, s.K2, mask=res.inliers)
    angle = np.degrees(2 * np.arcsin(np.linalg.norm(pose.R - s.R) / (2 * np.sqrt(2))))
    assert angle < 0.5
    assert np.count_nonzero(res.inliers & ~s.inliers) <= 4
    with pytest.raises(InputError, match="solver"):
        Essential.robust_fit(s.x1, s.x2, s.K1, s.K2, solver="six-point")
