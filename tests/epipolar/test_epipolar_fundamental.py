"""Eight- and seven-point algorithms: noise-free recovery, rank 2, degeneracy, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from _epi_tol import ALGEBRAIC, EXACT_PX, EXACT_REL

from lacv.errors import DegenerateError, InputError
from lacv.geometry.epipolar import (
    eight_point,
    fundamental_from_pose,
    nearest_rank2,
    sampson_distance,
    seven_point,
)
from lacv.geometry.epipolar.fundamental import _real_cubic_roots, _seven_point_batch
from lacv.geometry.homogeneous import normalize_points
from lacv.imaging.twoview_scene import twoview_points


def algebraic_normalized(F, x1, x2):
    """|x̂2ᵀ F̂ x̂1| on Hartley-normalised points with ‖F̂‖ = 1."""
    n1, T1 = normalize_points(x1)
    n2, T2 = normalize_points(x2)
    Fn = np.linalg.solve(T2.T, F) @ np.linalg.inv(T1)
    Fn /= np.linalg.norm(Fn)
    h1 = np.c_[n1, np.ones(len(n1))]
    h2 = np.c_[n2, np.ones(len(n2))]
    return np.abs(np.einsum("ni,ij,nj->n", h2, Fn, h1))


def same_up_to_sign(A, B):
    A = A / np.linalg.norm(A)
    B = B / np.linalg.norm(B)
    return min(np.abs(A - B).max(), np.abs(A + B).max())


@pytest.mark.parametrize("seed", range(5))
def test_eight_point_noise_free(seed):
    s = twoview_points(60, noise_px=0.0, rng=seed)
    F = eight_point(s.x1, s.x2)
    assert algebraic_normalized(F, s.x1, s.x2).max() < ALGEBRAIC
    sv = np.linalg.svd(F, compute_uv=False)
    assert sv[2] < 1e-12 * sv[0]
    assert np.isclose(np.linalg.norm(F), 1.0)
    # the calibrated rig's K2⁻ᵀ[t]ₓRK1⁻¹
    assert same_up_to_sign(F, s.F) < EXACT_REL
    assert sampson_distance(F, s.x1, s.x2).max() < EXACT_PX


def test_checker_detects_a_wrong_matrix():
    # negative test of the checker above: a perturbed F must fail it
    s = twoview_points(60, noise_px=0.0, rng=1)
    F = s.F + 1e-4 * np.random.default_rng(0).normal(size=(3, 3))
    assert algebraic_normalized(F, s.x1, s.x2).max() > ALGEBRAIC
    assert same_up_to_sign(F, s.F) > EXACT_REL


def test_eight_point_weights_select_points():
    s = twoview_points(40, noise_px=0.0, rng=2, outlier_ratio=0.25)
    w = s.inliers.astype(float)
    F = eight_point(s.x1, s.x2, weights=w)
    assert same_up_to_sign(F, s.F) < 1e-7
    with pytest.raises(InputError, match="weights"):
        eight_point(s.x1, s.x2, weights=-w)


def test_eight_point_with_noise_is_rank_two_and_close():
    s = twoview_points(300, noise_px=0.5, rng=3)
    F = eight_point(s.x1, s.x2)
    assert np.linalg.svd(F, compute_uv=False)[2] < 1e-12
    assert np.sqrt(np.mean(sampson_distance(F, s.x1, s.x2) ** 2)) < 0.6


@pytest.mark.parametrize("seed", range(8))
def test_seven_point_solutions_satisfy_the_samples(seed):
    s = twoview_points(7, noise_px=0.0, rng=seed)
    Fs = seven_point(s.x1, s.x2)
    assert 1 <= len(Fs) <= 3
    for F in Fs:
        assert sampson_distance(F, s.x1, s.x2).max() < 1e-7
        sv = np.linalg.svd(F, compute_uv=False)
        assert sv[2] < 1e-10 * sv[0]
    # the true F is among them
    assert min(same_up_to_sign(F, s.F) for F in Fs) < 1e-6


def test_seven_point_batch_matches_single_and_flags_degenerate():
    rng = np.random.default_rng(0)
    s = twoview_points(70, noise_px=0.0, rng=4)
    x1 = s.x1.reshape(10, 7, 2) / 640
    x2 = s.x2.reshape(10, 7, 2) / 640
    x2[3] = x2[3, :1]  # every point of sample 3 coincides: rank-deficient
    F, ok = _seven_point_batch(x1, x2)
    assert F.shape == (10, 3, 3, 3) and ok.shape == (10, 3)
    assert not ok[3].any()
    assert ok[np.arange(10) != 3].any(axis=1).all()
    h1 = np.concatenate([x1, np.ones((10, 7, 1))], axis=2)
    h2 = np.concatenate([x2, np.ones((10, 7, 1))], axis=2)
    res = np.einsum("bni,bkij,bnj->bkn", h2, F, h1)
    assert np.abs(res[ok]).max() < 1e-10
    del rng


def test_real_cubic_roots_against_numpy():
    rng = np.random.default_rng(1)
    c = rng.normal(size=(500, 3)) * rng.choice([1e-2, 1.0, 1e2], size=(500, 3))
    roots, valid = _real_cubic_roots(c[:, 0], c[:, 1], c[:, 2])
    for k in range(500):
        ref = np.roots([1.0, *c[k]])
        real = np.sort(ref[np.abs(ref.imag) < 1e-7 * (1 + np.abs(ref.real))].real)
        mine = np.sort(roots[k][valid[k]])
        assert len(mine) == len(real)
        np.testing.assert_allclose(mine, real, rtol=1e-7, atol=1e-9)


def test_nearest_rank2():
    M = np.random.default_rng(2).normal(size=(3, 3))
    R2 = nearest_rank2(M)
    U, s, Vt = np.linalg.svd(M)
    np.testing.assert_allclose(R2, U @ np.diag([s[0], s[1], 0]) @ Vt, atol=1e-14)
    assert np.linalg.matrix_rank(R2) == 2


def test_planar_points_are_degenerate():
    s = twoview_points(50, noise_px=0.0, rng=5, planar=True)
    with pytest.raises(DegenerateError, match="plane"):
        eight_point(s.x1, s.x2)


def test_fundamental_from_pose_matches_rig():
    s = twoview_points(10, noise_px=0.0, rng=6)
    F = fundamental_from_pose(s.R, s.t, s.K1, s.K2)
    Kinv = np.linalg.inv(s.K1)
    tx = np.array([[0, -s.t[2], s.t[1]], [s.t[2], 0, -s.t[0]], [-s.t[1], s.t[0], 0]])
    ref = Kinv.T @ tx @ s.R @ Kinv
    assert same_up_to_sign(F, ref) < 1e-12


@pytest.mark.parametrize("bad, match", [
    (lambda x: (x[:7], x[:7]), "at least 8"),
    (lambda x: (x, x[:-1]), "same number"),
    (lambda x: (np.where(np.arange(len(x))[:, None] == 3, np.nan, x), x), "NaN"),
    (lambda x: (x[:, :1], x), "shape"),
])
def test_eight_point_bad_input(bad, match):
    x = twoview_points(20, rng=0).x1
    a, b = bad(x)
    with pytest.raises(InputError, match=match):
        eight_point(a, b)


def test_seven_point_bad_input():
    s = twoview_points(8, rng=0)
    with pytest.raises(InputError, match="exactly 7"):
        seven_point(s.x1, s.x2)
    with pytest.raises(InputError, match="at least 7"):
        seven_point(s.x1[:6], s.x2[:6])
