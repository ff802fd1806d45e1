"""Fundamental / Essential values, Sampson LM refinement, robust fits, a real pair."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lacv import calculus
from lacv.errors import DegenerateError, EstimationError, InputError, RankDeficientWarning
from lacv.geometry.epipolar import (
    Essential,
    Fundamental,
    refine_fundamental,
    sampson_distance,
    symmetric_epipolar_distance,
)
from lacv.geometry.epipolar.refinement import (
    _local_dF,
    _Rank2,
    _sampson_J,
    _sampson_r,
    gauss_newton_polish,
    padded_metric,
    pixel_metric,
    refine_working,
    sampson_jacobian_F,
    sampson_residuals,
)
from lacv.geometry.homogeneous import normalize_points
from lacv.geometry.refine import levenberg_marquardt
from lacv.geometry.rotations import exp_so3
from lacv.imaging.twoview_scene import twoview_points


def fresh_error(F, scene):
    """Mean symmetric epipolar distance of 2000 fresh noise-free correspondences of ``scene``."""
    rng = np.random.default_rng(99)
    X = np.c_[rng.uniform(-1.5, 1.5, 2000), rng.uniform(-1.1, 1.1, 2000), rng.uniform(4, 8, 2000)]
    Y = X @ scene.R.T + scene.t
    x1 = X[:, :2] / X[:, 2:] @ scene.K1[:2, :2].T + scene.K1[:2, 2]
    x2 = Y[:, :2] / Y[:, 2:] @ scene.K2[:2, :2].T + scene.K2[:2, 2]
    return float(symmetric_epipolar_distance(F, x1, x2).mean())


# --------------------------------------------------------------------------- refinement


def _normalised_problem(seed=0, essential=False):
    s = twoview_points(60, noise_px=0.7, rng=seed)
    n1, T1 = normalize_points(s.x1)
    n2, T2 = normalize_points(s.x2)
    Fn = np.linalg.solve(T2.T, s.F) @ np.linalg.inv(T1)
    h1 = np.c_[n1, np.ones(60)]
    h2 = np.c_[n2, np.ones(60)]
    return s, Fn, h1, h2, pixel_metric(T1), pixel_metric(T2)


def test_sampson_residuals_in_working_frame_are_pixels():
    s, Fn, h1, h2, Q1, Q2 = _normalised_problem()
    r = sampson_residuals(Fn, h1, h2, Q1, Q2)
    np.testing.assert_allclose(np.abs(r), sampson_distance(s.F, s.x1, s.x2), rtol=1e-10)


@pytest.mark.parametrize("essential", [False, True])
def test_analytic_jacobian_against_central_differences(essential):
    s, Fn, h1, h2, Q1, Q2 = _normalised_problem(1)
    if essential:
        U, _, Vt = np.linalg.svd(Fn)
        Fn = U @ np.diag([1, 1, 0]) @ Vt
    p = _Rank2(Fn, essential=essential)
    x = p.x0 + np.random.default_rng(0).normal(0, 0.05, p.x0.size)

    def f(v):
        return sampson_residuals(p.matrix(v), h1, h2, Q1, Q2)

    def jac(v):
        F, dF = p.matrix_and_jacobian(v)
        return sampson_jacobian_F(F, h1, h2, Q1, Q2)[1] @ dF

    assert calculus.check_jacobian(f, jac, x) < 1e-6

    def wrong(v):  # negative test: a Jacobian with one column scaled must be caught
        J = jac(v)
        J[:, 0] *= 1.01
        return J

    assert calculus.check_jacobian(f, wrong, x) > 1e-3


@pytest.mark.parametrize("essential", [False, True])
def test_recentred_jacobian_against_central_differences(essential):
    # the solver's Jacobian: F(p) = U R(ω_u) diag(1, s, 0) R(ω_v)ᵀ Vᵀ differentiated at ω = 0
    s, Fn, h1, h2, Q1, Q2 = _normalised_problem(2)
    U, sv, Vt = np.linalg.svd(Fn)
    sc = 1.0 if essential else sv[1] / sv[0]
    rows = (h2[:, :, None] * h1[:, None, :]).reshape(len(h1), 9)
    d = 5 if essential else 7

    def matrix(p):
        wv = np.array([p[3], p[4], 0.0]) if essential else p[3:6]
        ss = sc if essential else sc + p[6]
        return U @ exp_so3(p[:3]) @ np.diag([1.0, ss, 0.0]) @ exp_so3(wv).T @ Vt

    def f(p):
        return _sampson_r(matrix(p), h1, h2, Q1, Q2, rows)[0]

    def jac(p):  # exact at p = 0 only: the solver re-centres before every linearisation
        r, a, b, D = _sampson_r(matrix(p), h1, h2, Q1, Q2, rows)
        return _sampson_J(r, a, b, D, h1, h2, Q1, Q2, rows, _local_dF(U, Vt.T, sc, essential))

    x0 = np.zeros(d)
    assert calculus.check_jacobian(f, jac, x0) < 1e-6
    assert calculus.check_jacobian(f, lambda p: jac(p)[:, ::-1], x0) > 1e-3  # negative test


@pytest.mark.parametrize("essential", [False, True])
def test_recentred_lm_reaches_the_generic_lm_minimum(essential):
    s, Fn, h1, h2, Q1, Q2 = _normalised_problem(3)
    if essential:
        U, _, Vt = np.linalg.svd(Fn)
        Fn = U @ np.diag([1, 1, 0]) @ Vt
    F0 = Fn + 0.01 * np.random.default_rng(1).normal(size=(3, 3))
    F0 = F0 / np.linalg.norm(F0)
    F, res = refine_working(F0, h1, h2, Q1, Q2, 50, essential=essential, ftol=1e-12)
    p = _Rank2(F0, essential=essential)
    ref = levenberg_marquardt(lambda v: sampson_residuals(p.matrix(v), h1, h2, Q1, Q2),
                              lambda v: sampson_jacobian_F(*p.matrix_and_jacobian(v)[:1], h1,
                                                           h2, Q1, Q2)[1]
                              @ p.matrix_and_jacobian(v)[1],
                              p.x0, max_iterations=50, ftol=1e-12)
    assert res.converged and res.cost < res.initial_cost
    assert res.cost == pytest.approx(ref.cost, rel=1e-9)
    F_ref = p.matrix(ref.x)
    F, F_ref = F / np.linalg.norm(F), F_ref / np.linalg.norm(F_ref)
    assert min(np.abs(F - F_ref).max(), np.abs(F + F_ref).max()) < 1e-6
    sv = np.linalg.svd(F, compute_uv=False)
    assert sv[2] < 1e-12
    if essential:
        assert sv[0] == pytest.approx(sv[1], rel=1e-12)


@pytest.mark.parametrize("essential", [False, True])
def test_gauss_newton_polish_reaches_the_lm_minimum_from_a_close_start(essential):
    s, Fn, h1, h2, Q1, Q2 = _normalised_problem(4)
    if essential:
        U, _, Vt = np.linalg.svd(Fn)
        Fn = U @ np.diag([1, 1, 0]) @ Vt
    F0 = Fn + 0.003 * np.random.default_rng(2).normal(size=(3, 3))
    F0 = F0 / np.linalg.norm(F0)
    rows = (h2[:, :, None] * h1[:, None, :]).reshape(len(h1), 9)
    Q1e, Q2e = padded_metric(Q1), padded_metric(Q2)
    F_lm, res = refine_working(F0, h1, h2, Q1, Q2, 50, essential=essential, ftol=1e-12)

    def cost(F):
        r = sampson_residuals(F, h1, h2, Q1, Q2)
        return 0.5 * float(r @ r)

    # the default stops after a step that gains < 10 %: within 10⁻⁶ of the minimum ...
    F = gauss_newton_polish(F0, h1, h2, rows, Q1e, Q2e, essential=essential)
    assert cost(F) == pytest.approx(res.cost, rel=1e-6)
    # ... and run on, it converges to it
    F = gauss_newton_polish(F0, h1, h2, rows, Q1e, Q2e, essential=essential, gain=0.0)
    assert cost(F) == pytest.approx(res.cost, rel=1e-10)
    sv = np.linalg.svd(F, compute_uv=False)
    assert sv[2] < 1e-12 * sv[0]
    if essential:
        assert sv[0] == pytest.approx(sv[1], rel=1e-12)
    # negative test: no step leaves the start's cost, well above the minimum
    F_none = gauss_newton_polish(F0, h1, h2, rows, Q1e, Q2e, essential=essential, max_steps=0)
    assert cost(F_none) > 1.01 * res.cost
    # the step count tells the robust fit when to fall back on Levenberg–Marquardt
    assert gauss_newton_polish(F0, h1, h2, rows, Q1e, Q2e, essential=essential,
                               max_steps=0, with_steps=True)[1] == 0
    assert gauss_newton_polish(F0, h1, h2, rows, Q1e, Q2e, essential=essential,
                               with_steps=True)[1] >= 1


def test_robust_polish_falls_back_on_lm_when_gauss_newton_takes_no_step(monkeypatch):
    import lacv.geometry.epipolar.robust_fit as robust_fit

    s = twoview_points(150, noise_px=0.5, rng=6)
    est = robust_fit._TwoViewEstimator.fundamental(s.x1, s.x2)
    est.configure(1.0)
    idx = np.arange(150)
    start = est.fit_nonminimal(idx, None)
    ref = est.refine(start, idx)
    calls = []
    real_lm = robust_fit.refine_working

    def lm(*a, **k):
        calls.append(1)
        return real_lm(*a, **k)

    monkeypatch.setattr(robust_fit, "refine_working", lm)
    monkeypatch.setattr(robust_fit, "gauss_newton_polish",
                        lambda F, *a, **k: (F, 0) if k.get("with_steps") else F)
    out = est.refine(start, idx)

    def cost(M):
        return float(est.sampson_sq(M[None], None)[0].sum())

    assert calls and cost(out) < cost(start) and cost(out) == pytest.approx(cost(ref), rel=1e-3)


def test_refine_fundamental_lowers_sampson_and_keeps_rank_two():
    s = twoview_points(150, noise_px=1.0, rng=2)
    F0 = Fundamental.from_points(s.x1, s.x2).matrix
    res = refine_fundamental(F0, s.x1, s.x2)
    assert res.final_rms_px < res.initial_rms_px
    sv = np.linalg.svd(res.F, compute_uv=False)
    assert sv[2] < 1e-14
    rms = np.sqrt(np.mean(sampson_distance(res.F, s.x1, s.x2) ** 2))
    assert np.isclose(rms, res.final_rms_px)
    # closer to the truth than the linear estimate on fresh points
    assert fresh_error(res.F, s) < fresh_error(F0, s)


def test_refine_fundamental_refuses_a_rank_one_start_and_bad_options():
    s = twoview_points(60, rng=3)
    with pytest.raises(DegenerateError, match="rank 1"):
        refine_fundamental(np.diag([0.0, 0.0, 1.0]), s.x1, s.x2)  # a rounded F, say
    with pytest.raises(InputError, match="max_iterations"):
        refine_fundamental(s.F, s.x1, s.x2, max_iterations=None)
    for threshold in (1e-300, 1e200):  # their squares leave float64
        with pytest.raises(InputError, match="threshold_px"):
            Fundamental.robust_fit(s.x1, s.x2, threshold_px=threshold)


# --------------------------------------------------------------------------- values


def test_fundamental_value():
    s = twoview_points(20, noise_px=0.0, rng=3)
    F = Fundamental(5.0 * s.F)
    assert np.isclose(np.linalg.norm(F.matrix), 1.0)
    with pytest.raises(ValueError):
        F.matrix[0, 0] = 1.0
    with pytest.raises(AttributeError):
        F.foo = 1
    e1, e2 = F.epipoles
    assert np.abs(F.matrix @ e1).max() < 1e-12 and np.abs(F.matrix.T @ e2).max() < 1e-12
    assert F.residuals(s.x1, s.x2).max() < 1e-9
    assert np.asarray(F).shape == (3, 3)
    with pytest.raises(InputError, match="rank 2"):
        Fundamental(np.eye(3))
    with pytest.raises(InputError, match="3×3"):
        Fundamental(np.eye(2))


def test_from_points_refine():
    s = twoview_points(100, noise_px=0.8, rng=4)
    lin = Fundamental.from_points(s.x1, s.x2)
    ref = Fundamental.from_points(s.x1, s.x2, refine=True)
    assert np.sum(ref.residuals(s.x1, s.x2) ** 2) < np.sum(lin.residuals(s.x1, s.x2) ** 2)


def test_essential_from_points_refine():
    s = twoview_points(100, noise_px=0.8, rng=5)
    lin = Essential.from_points(s.x1, s.x2, s.K1, s.K2)
    ref = Essential.from_points(s.x1, s.x2, s.K1, s.K2, refine=True)
    r_lin = np.sum(lin.residuals(s.x1, s.x2, s.K1, s.K2) ** 2)
    r_ref = np.sum(ref.residuals(s.x1, s.x2, s.K1, s.K2) ** 2)
    assert r_ref < r_lin
    sv = np.linalg.svd(ref.matrix, compute_uv=False)
    np.testing.assert_allclose(sv, [2 ** -0.5, 2 ** -0.5, 0], atol=1e-12)


# --------------------------------------------------------------------------- robust


@pytest.mark.parametrize("ratio", [0.0, 0.3, 0.5])
def test_robust_fundamental_finds_the_inliers(ratio):
    s = twoview_points(200, noise_px=0.5, outlier_ratio=ratio, rng=10)
    res = Fundamental.robust_fit(s.x1, s.x2, threshold_px=1.0, rng=0)
    assert isinstance(res.model, Fundamental)
    # planted outliers rejected (a few fall near their epipolar line by chance); most true
    # inliers kept (1 px ≈ 2σ of the Sampson distance)
    assert np.count_nonzero(res.inliers & ~s.inliers) <= max(2, 0.05 * np.sum(~s.inliers))
    assert np.count_nonzero(res.inliers & s.inliers) >= 0.85 * s.inliers.sum()
    assert fresh_error(res.model.matrix, s) < 0.5
    assert res.residuals_px.shape == (200,)
    # the residuals (taken from the loop's scores) are the model's Sampson distances
    np.testing.assert_allclose(res.residuals_px, res.model.residuals(s.x1, s.x2), rtol=1e-6,
                               atol=1e-9)
    np.testing.assert_array_equal(res.inliers, res.residuals_px <= 1.0)
    assert res.inlier_rms_px < 1.0


def test_robust_fit_is_deterministic():
    s = twoview_points(150, noise_px=0.5, outlier_ratio=0.4, rng=11)
    a = Fundamental.robust_fit(s.x1, s.x2, rng=5)
    b = Fundamental.robust_fit(s.x1, s.x2, rng=5)
    np.testing.assert_array_equal(a.model.matrix, b.model.matrix)
    np.testing.assert_array_equal(a.inliers, b.inliers)


def test_robust_essential_recovers_pose():
    s = twoview_points(200, noise_px=0.5, outlier_ratio=0.3, rng=12)
    res = Essential.robust_fit(s.x1, s.x2, s.K1, s.K2, threshold_px=1.0, rng=0)
    pose = res.model.recover_pose(s.x1, s.x2, s.K1, s.K2, mask=res.inliers)
    angle = np.degrees(2 * np.arcsin(np.linalg.norm(pose.R - s.R) / (2 * np.sqrt(2))))
    assert angle < 0.5
    assert np.degrees(np.arccos(np.clip(pose.t @ s.t_unit, -1, 1))) < 2.0
    cal = Essential.calibrated(s.K1, s.K2).robust_fit(s.x1, s.x2, rng=0)
    np.testing.assert_array_equal(cal.model.matrix, res.model.matrix)


def test_planar_scene_warns_of_homography():
    s = twoview_points(120, noise_px=0.3, rng=13, planar=True)
    with pytest.warns(RankDeficientWarning, match="homography"):
        res = Fundamental.robust_fit(s.x1, s.x2, rng=0)
    assert res.stats["homography_fraction"] >= 0.9
    general = twoview_points(120, noise_px=0.3, rng=13)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RankDeficientWarning)
        res = Fundamental.robust_fit(general.x1, general.x2, rng=0)
    assert res.stats["homography_fraction"] < 0.9


def test_robust_errors():
    s = twoview_points(30, rng=0)
    with pytest.raises(InputError, match="at least 8"):
        Fundamental.robust_fit(s.x1[:7], s.x2[:7])
    with pytest.raises(InputError, match="threshold_px"):
        Fundamental.robust_fit(s.x1, s.x2, threshold_px=-1.0)
    rng = np.random.default_rng(0)
    noise1 = rng.uniform(0, 640, (40, 2))
    noise2 = rng.uniform(0, 640, (40, 2))
    with pytest.raises(EstimationError):
        Fundamental.robust_fit(noise1, noise2, threshold_px=0.01, min_inliers=30, rng=0)
    with pytest.raises(DegenerateError):
        Fundamental.from_points(s.x1[:10] * 0 + 1, s.x2[:10])


# --------------------------------------------------------------------------- real data


def _load_pts(path):
    rows = np.loadtxt(path)
    return rows[:, 0:2], rows[:, 3:5], rows[:, 6].astype(int)


@pytest.mark.data
def test_real_pair_booksh():
    from lacv_testing import shared_data

    x1, x2, label = _load_pts(shared_data("fundamental", "booksh_pts.txt"))
    train = label == 0
    res = Fundamental.robust_fit(x1[train], x2[train], threshold_px=1.0, rng=0)
    val = sampson_distance(res.model.matrix, x1[~train], x2[~train]).mean()
    assert val < 1.0


@pytest.mark.data
def test_real_pair_plant_is_stable_across_seeds():
    # 30 tentative matches: a single search ended 17-45 px off on two of five seeds
    from lacv_testing import shared_data

    x1, x2, label = _load_pts(shared_data("fundamental", "plant_pts.txt"))
    train = label == 0
    vals = [sampson_distance(Fundamental.robust_fit(x1[train], x2[train], threshold_px=1.0,
                                                    rng=seed).model.matrix,
                             x1[~train], x2[~train]).mean() for seed in range(5)]
    assert max(vals) < 3.0


#: the kusvod2 pairs of issue 7's 1 px target that the robust fit meets (validation error of
#: every seed 0-4 at or under 0.70 px, measured); box, leafs and plant are guarded below
_KUSVOD2_UNDER_1PX = ("Kyoto booksh castle corr graff head rotunda shout wall wash "
                      "zoom").split()


def _kusvod2_validation(name, seeds):
    """Mean Sampson distance of the label-1 rows under the fit on the label-0 rows, per seed."""
    from lacv_testing import shared_data

    x1, x2, label = _load_pts(shared_data("fundamental", f"{name}_pts.txt"))
    train = label == 0
    out = []
    for seed in seeds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RankDeficientWarning)
            F = Fundamental.robust_fit(x1[train], x2[train], threshold_px=1.0,
                                       rng=seed).model.matrix
        out.append(float(sampson_distance(F, x1[~train], x2[~train]).mean()))
    return out


@pytest.mark.data
@pytest.mark.parametrize("name", _KUSVOD2_UNDER_1PX)
def test_real_kusvod2_target_pairs_under_one_pixel_for_every_seed(name):
    assert max(_kusvod2_validation(name, range(5))) < 1.0


@pytest.mark.data
@pytest.mark.parametrize(("name", "bound"), [("kampa", 2.0), ("box", 1.4), ("leafs", 2.5),
                                             ("plant", 2.5)])
def test_real_kusvod2_hard_pairs_stay_bounded(name, bound):
    # issue 7's targets: kampa < 2 px (met); box, leafs, plant < 1 px are not met (seed 0:
    # 1.35, 1.08, 2.24 px; OpenCV's best 1.32, 1.99, 2.31 px). The bounds catch a regression.
    assert _kusvod2_validation(name, [0])[0] < bound


@pytest.mark.data
def test_real_fountain_pose_agrees_with_opencv():
    import cv2

    from lacv_testing import shared_data

    folder = shared_data("essential")
    rows = np.loadtxt(folder / "fountain_pts.txt", skiprows=1)
    K1 = np.loadtxt(folder / "fountain1.K")
    K2 = np.loadtxt(folder / "fountain2.K")
    x1, x2 = rows[:, :2], rows[:, 2:4]
    res = Essential.robust_fit(x1, x2, K1, K2, threshold_px=1.0, rng=0)
    pose = res.model.recover_pose(x1, x2, K1, K2, mask=res.inliers)
    # OpenCV on calibrated coordinates (its recoverPose takes one K)
    c1 = cv2.undistortPoints(x1.reshape(-1, 1, 2), K1, None).reshape(-1, 2)
    c2 = cv2.undistortPoints(x2.reshape(-1, 1, 2), K2, None).reshape(-1, 2)
    E, mask = cv2.findEssentialMat(c1, c2, np.eye(3), cv2.RANSAC, 0.999, 1.0 / K1[0, 0])
    _, R, t, _ = cv2.recoverPose(E, c1, c2, np.eye(3), mask=mask)
    angle = np.degrees(2 * np.arcsin(np.linalg.norm(pose.R - R) / (2 * np.sqrt(2))))
    assert angle < 1.0
    assert np.degrees(np.arccos(np.clip(pose.t @ t.ravel(), -1, 1))) < 3.0


def test_repeated_correspondences_take_the_hadamard_route_with_the_same_result():
    from lacv.geometry.epipolar.robust_fit import _TwoViewEstimator

    s = twoview_points(120, noise_px=0.5, outlier_ratio=0.3, rng=21)
    assert _TwoViewEstimator.fundamental(s.x1, s.x2).distinct
    x1 = np.r_[s.x1, s.x1[:10]]  # ten matches listed twice
    x2 = np.r_[s.x2, s.x2[:10]]
    est = _TwoViewEstimator.fundamental(x1, x2)
    assert not est.distinct
    x2b = x2.copy()
    x2b[-1, 0] += 1e-3  # the same point in image 1 but another match: distinct
    assert _TwoViewEstimator.fundamental(x1[-11:], x2b[-11:]).distinct
    # the two routes give the same hypotheses on samples without a repeat
    from lacv.geometry.sampling import draw_samples

    smp = draw_samples(np.random.default_rng(0), 120, 7, 200)
    fast = est.solve_minimal(smp)
    est.distinct = True
    np.testing.assert_allclose(est.solve_minimal(smp), fast, rtol=0, atol=1e-12)


def test_all_distinct_compares_exactly_when_the_sort_key_ties():
    from lacv.geometry.epipolar.robust_fit import _all_distinct

    x1 = np.array([[0.0, 0.0], [np.sqrt(2.0), -1.0], [3.0, 4.0]])
    x2 = np.zeros((3, 2))
    # rows 0 and 1 differ but have the same key x1·(1, √2) + x2·(π, e) = 0
    assert _all_distinct(x1, x2)
    assert not _all_distinct(np.r_[x1, x1[2:]], np.r_[x2, x2[2:]])
