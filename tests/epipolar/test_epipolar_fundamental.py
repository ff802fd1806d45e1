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
from lacv.geometry.epipolar.fundamental import (
    _MIX9,
    _design_rows,
    _null_space_7x9,
    _oriented_design,
    _oriented_mask,
    _real_cubic_roots,
    _seven_point_batch,
    _seven_point_models,
)
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


def _span_gap(F, ref):
    """Largest distance between the projectors onto the rows of ``F`` (2, 9, B) and of ``ref``."""
    N = F.transpose(2, 0, 1)  # (B, 2, 9)
    P = np.swapaxes(N, 1, 2) @ N
    return np.abs(P - np.swapaxes(ref, 1, 2) @ ref).max(axis=(1, 2))


def test_null_space_7x9_matches_svd_including_the_qr_fallback():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(40, 7, 9))
    Am = A @ _MIX9
    # samples 0-4: the leading 7×7 block of the mixed system is singular (two equal
    # columns) although the system has rank 7, so the LU route cannot serve them
    Am[:5, :, 1] = Am[:5, :, 0]
    A = Am @ _MIX9.T
    F, ok = _null_space_7x9(Am)
    assert ok.all()
    ref = np.linalg.svd(A)[2][:, 7:]  # (B, 2, 9): the SVD's null space
    assert _span_gap(F, ref).max() < 1e-10
    # orthonormal basis
    n = F.transpose(2, 0, 1)
    assert np.abs(n @ np.swapaxes(n, 1, 2) - np.eye(2)).max() < 1e-12
    # the checker sees a wrong span
    assert _span_gap(np.roll(F, 1, axis=2), ref).max() > 1e-3


@pytest.mark.parametrize("case", ["generic", "ill-conditioned", "singular", "rank six"])
@pytest.mark.parametrize("batch", [60, 200])  # 200: the batched elimination, not LAPACK's LU
def test_null_space_7x9_probe_route_agrees_with_the_hadamard_route(case, batch):
    rng = np.random.default_rng(8)
    A = rng.normal(size=(batch, 7, 9))
    if case == "ill-conditioned":  # A₁ near-singular in 5 samples, the system of rank 7
        Am = A @ _MIX9
        Am[:5, :, 1] = Am[:5, :, 0] + 1e-7 * rng.normal(size=(5, 7))
        A = Am @ _MIX9.T
    elif case == "singular":  # a repeated row: the batched LU fails, the batch falls back
        A[3, 6] = A[3, 0]
    elif case == "rank six":
        A[:4, 6] = A[:4, 0] + 2.0 * A[:4, 1]
    F_h, ok_h = _null_space_7x9(A @ _MIX9)
    F_p, ok_p = _null_space_7x9(A @ _MIX9, hadamard=False)
    np.testing.assert_array_equal(ok_p, ok_h)
    ref = np.linalg.svd(A)[2][:, 7:]
    assert _span_gap(F_p[:, :, ok_p], ref[ok_p]).max() < 1e-8
    if case in ("singular", "rank six"):
        assert not ok_p.all()
    else:
        assert ok_p.all()


def test_null_space_7x9_flags_rank_six():
    rng = np.random.default_rng(4)
    A = rng.normal(size=(6, 7, 9))
    A[:, 6] = A[:, 0] + 2.0 * A[:, 1]  # rank 6: a three-dimensional null space
    _, ok = _null_space_7x9(A @ _MIX9)
    assert not ok.any()


def test_seven_point_vertical_rectified_rig():
    # F = [[0,0,1],[0,0,0],[-1,0,0]] up to the normalisation: F̂₃₂ = F̂₃₃ ≈ 0, so without the
    # mixing of the unknowns every sample of this rig would need the QR fallback
    rng = np.random.default_rng(5)
    X = rng.uniform(-1, 1, (7, 3)) + (0.0, 0.0, 5.0)
    x1 = X[:, :2] / X[:, 2:] * 500 + 320
    Y = X + (0.0, 0.4, 0.0)
    x2 = Y[:, :2] / Y[:, 2:] * 500 + 320
    Fs = seven_point(x1, x2)
    h1, h2 = np.c_[x1, np.ones(7)], np.c_[x2, np.ones(7)]
    for F in Fs:
        assert np.abs(np.einsum("ni,ij,nj->n", h2, F, h1)).max() < 1e-9
    K = np.array([[500.0, 0, 320], [0, 500.0, 320], [0, 0, 1]])
    Ki = np.linalg.inv(K)
    ref = Ki.T @ np.array([[0.0, 0, 0.4], [0, 0, 0], [-0.4, 0, 0]]) @ Ki
    assert min(same_up_to_sign(F, ref) for F in Fs) < 1e-6


def test_oriented_design_agrees_with_oriented_mask():
    rng = np.random.default_rng(6)
    # random rank-2 matrices against samples of a real scene: some pass, most do not
    U = np.linalg.qr(rng.normal(size=(400, 3, 3)))[0]
    V = np.linalg.qr(rng.normal(size=(400, 3, 3)))[0]
    F = U @ np.diag([1.0, 0.5, 0.0]) @ np.swapaxes(V, 1, 2)
    s = twoview_points(140, noise_px=0.0, rng=7)
    n1, _ = normalize_points(s.x1)
    n2, _ = normalize_points(s.x2)
    smp = np.stack([rng.choice(140, 7, replace=False) for _ in range(400)])
    slow = _oriented_mask(F, n1[smp], n2[smp])  # the reference
    fast = _oriented_design(F.reshape(400, 9).T, _design_rows(n1[smp], n2[smp]) @ _MIX9)
    np.testing.assert_array_equal(fast, slow)
    assert 0.02 < slow.mean() < 0.98  # the test keeps some and rejects others
    # the solver's solutions are all oriented, and the models path returns exactly them
    smp = np.stack([rng.choice(140, 7, replace=False) for _ in range(300)])
    Fs, valid = _seven_point_batch(n1[smp], n2[smp])
    owner = np.nonzero(valid)[0]
    assert valid.any() and _oriented_mask(Fs[valid], n1[smp][owner], n2[smp][owner]).all()
    Am = _design_rows(n1[smp], n2[smp]) @ _MIX9
    M = _seven_point_models(Am)
    np.testing.assert_allclose(M, Fs[valid], atol=1e-15)
