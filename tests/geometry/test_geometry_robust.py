"""Robust estimation: stopping rule, sampling, the generic loop (mock model), recovery, data."""

from __future__ import annotations

import numpy as np
import pytest

from lacv.errors import DegenerateError, EstimationError, InputError
from lacv.geometry import (
    Affine,
    Euclidean,
    Homography,
    Similarity,
    Translation,
    estimate_transform,
    ransac,
    required_trials,
    run_ransac,
)
from lacv.geometry.robust import draw_samples, sigma_loss, sigma_weights
from lacv.geometry.synthetic import make_correspondences
from lacv_testing import shared_data

# Hartley & Zisserman, 2nd ed., table 4.3: samples for p = 0.99, by sample size s (rows)
# and proportion of outliers (columns)
HZ_OUTLIERS = [0.05, 0.10, 0.20, 0.25, 0.30, 0.40, 0.50]
HZ_TABLE_4_3 = {
    2: [2, 3, 5, 6, 7, 11, 17],
    3: [3, 4, 7, 9, 11, 19, 35],
    4: [3, 5, 9, 13, 17, 34, 72],
    5: [4, 6, 12, 17, 26, 57, 146],
    6: [4, 7, 16, 24, 37, 97, 293],
    7: [4, 8, 20, 33, 54, 163, 588],
    8: [5, 9, 26, 44, 78, 272, 1177],
}


# --------------------------------------------------------------------------- stopping rule


@pytest.mark.parametrize("s", sorted(HZ_TABLE_4_3))
def test_stopping_rule_reproduces_hz_table_4_3(s):
    got = [required_trials(1.0 - e, s, 0.99) for e in HZ_OUTLIERS]
    assert got == HZ_TABLE_4_3[s]


def test_exact_stopping_rule_draws_without_replacement():
    # q = C(I, s) / C(N, s): 10 inliers of 20, s = 4 -> q = 210 / 4845
    q = (10 * 9 * 8 * 7) / (20 * 19 * 18 * 17)
    expected = int(np.ceil(np.log(0.01) / np.log(1 - q)))
    assert required_trials(0.5, 4, 0.99, n_points=20) == expected
    assert expected > required_trials(0.5, 4, 0.99)  # more than with replacement: q is smaller
    assert required_trials(1.0, 4, 0.99) == 1
    assert required_trials(0.0, 4, 0.99) == np.iinfo(np.int64).max
    with pytest.raises(InputError, match="confidence"):
        required_trials(0.5, 4, 1.0)


def test_draw_samples_distinct_and_uniform():
    rng = np.random.default_rng(0)
    s = draw_samples(rng, 6, 3, 60000)
    assert s.shape == (60000, 3)
    srt = np.sort(s, axis=1)
    assert np.all(srt[:, 1:] != srt[:, :-1])
    counts = np.bincount(s.ravel(), minlength=6) / s.size
    np.testing.assert_allclose(counts, 1 / 6, atol=0.01)
    # N == s: the only subset, in some order
    assert np.all(np.sort(draw_samples(rng, 4, 4, 10), axis=1) == np.arange(4))


def test_homography_4pt_exact_degenerate_and_only_valid():
    from lacv.geometry._minimal import homography_4pt

    rng = np.random.default_rng(8)
    B = 400
    src = rng.normal(size=(B, 4, 2))
    H_true = np.eye(3) + 0.1 * rng.normal(size=(B, 3, 3))
    p = np.concatenate([src, np.ones((B, 4, 1))], axis=2) @ np.swapaxes(H_true, 1, 2)
    dst = p[..., :2] / p[..., 2:]
    dst[:150] = rng.normal(size=(150, 4, 2))  # random targets: many fold (orientation flips)
    src[150:160, 2] = 0.5 * (src[150:160, 0] + src[150:160, 1])  # a collinear triple
    H, valid = homography_4pt(src, dst)
    assert not valid[150:160].any() and 0 < valid[:150].sum() < 120
    # every valid homography maps its four points exactly
    q = np.concatenate([src, np.ones((B, 4, 1))], axis=2)[valid] @ np.swapaxes(H[valid], 1, 2)
    assert np.abs(q[..., :2] / q[..., 2:] - dst[valid]).max() < 1e-9
    # the valid ones alone, with their indices: the same matrices
    Hv, idx = homography_4pt(src, dst, only_valid=True)
    np.testing.assert_array_equal(idx, np.flatnonzero(valid))
    np.testing.assert_array_equal(Hv, H[valid])
    # (mostly rejected batches take the compacting branch)
    Hv, idx = homography_4pt(src[:150], dst[:150], only_valid=True)
    np.testing.assert_array_equal(idx, np.flatnonzero(valid[:150]))
    np.testing.assert_array_equal(Hv, H[:150][valid[:150]])


def test_affine_3pt_exact_and_degenerate():
    from lacv.geometry._minimal import affine_3pt

    rng = np.random.default_rng(9)
    B = 300
    src = rng.normal(size=(B, 3, 2))
    A_true = np.zeros((B, 3, 3))
    A_true[:, :2] = rng.normal(size=(B, 2, 3))
    A_true[:, 2, 2] = 1.0
    dst = np.einsum("bij,bkj->bki", A_true[:, :2, :2], src) + A_true[:, None, :2, 2]
    src[:10, 2] = 0.3 * src[:10, 0] + 0.7 * src[:10, 1]  # collinear source triangles
    dst[10:20, 2] = dst[10:20, 0]  # a degenerate destination triangle
    A, valid = affine_3pt(src, dst)
    assert not valid[:20].any() and valid[20:].all()
    np.testing.assert_allclose(A[20:], A_true[20:], atol=1e-9)
    # the checker sees a wrong map
    assert np.abs(A[21] - A_true[20]).max() > 1e-3


# --------------------------------------------------------------------------- the generic loop


class LineEstimator:
    """A mock model for run_ransac: 2D lines a x + b y + c = 0 through point pairs."""

    sample_size = 2

    def __init__(self, pts):
        self.pts = pts
        self.n_points = len(pts)
        self.calls = {"solve_minimal": 0, "errors_sq": 0, "fit_nonminimal": 0, "refine": 0}

    def _line(self, p, q):
        d = q - p
        n = np.stack([-d[..., 1], d[..., 0]], axis=-1)
        norm = np.linalg.norm(n, axis=-1, keepdims=True)
        n = n / np.where(norm > 0, norm, 1.0)
        return np.concatenate([n, -(n * p).sum(-1, keepdims=True)], axis=-1), norm[..., 0] > 0

    def solve_minimal(self, samples):
        self.calls["solve_minimal"] += 1
        lines, ok = self._line(self.pts[samples[:, 0]], self.pts[samples[:, 1]])
        return lines[ok]

    def errors_sq(self, models, idx):
        self.calls["errors_sq"] += 1
        p = self.pts if idx is None else self.pts[idx]
        return (models[:, :2] @ p.T + models[:, 2:]) ** 2

    def fit_nonminimal(self, idx, weights):
        self.calls["fit_nonminimal"] += 1
        p = self.pts[idx]
        c = p.mean(axis=0)
        n = np.linalg.svd(p - c)[2][-1]
        return np.r_[n, -n @ c]

    def refine(self, model, idx):
        self.calls["refine"] += 1
        return self.fit_nonminimal(idx, None)


def _line_data(rng, n_in=60, n_out=40):
    t = rng.uniform(-10, 10, n_in)
    inl = np.c_[t, 0.5 * t + 2.0] + rng.normal(0, 0.01, (n_in, 2))
    out = rng.uniform(-10, 10, (n_out, 2))
    out = out[np.abs(out[:, 1] - 0.5 * out[:, 0] - 2.0) > 1.0]
    return np.r_[out, inl], len(out)


def test_generic_loop_with_a_mock_model():
    rng = np.random.default_rng(1)
    pts, n_out = _line_data(rng)
    est = LineEstimator(pts)
    res = run_ransac(est, 0.05, confidence=0.99, rng=2, preemptive_points=16)
    a, b, c = res.model / -res.model[1]
    assert a == pytest.approx(0.5, abs=0.01) and c == pytest.approx(2.0, abs=0.05)
    assert not res.inliers[:n_out].any() and res.inliers[n_out:].all()
    assert res.stopped == "confidence reached"
    assert res.n_trials >= res.trials_needed
    assert all(v > 0 for v in est.calls.values())
    # determinism: the same seed, the same hypotheses and answer
    again = run_ransac(LineEstimator(pts), 0.05, confidence=0.99, rng=2, preemptive_points=16)
    np.testing.assert_array_equal(again.model, res.model)
    assert again.n_trials == res.n_trials


def test_generic_loop_raises_with_statistics():
    pts = np.zeros((10, 2))  # every pair of points coincides: every sample degenerate
    with pytest.raises(EstimationError, match="degenerate") as info:
        run_ransac(LineEstimator(pts), 0.1, max_trials=50, rng=0)
    assert info.value.stats["n_trials"] == 50 and info.value.stats["n_hypotheses"] == 0
    rng = np.random.default_rng(0)
    with pytest.raises(EstimationError, match="min_inliers") as info:
        run_ransac(LineEstimator(rng.uniform(0, 100, (30, 2))), 1e-6, max_trials=100, rng=0,
                   min_inliers=5)
    assert info.value.stats["best_inliers"] < 5


def test_generic_loop_sigma_consensus_without_refine_weighted():
    # a model without refine_weighted: the IRLS rounds use weighted fit_nonminimal
    rng = np.random.default_rng(1)
    pts, n_out = _line_data(rng)
    est = LineEstimator(pts)
    res = run_ransac(est, 0.05, confidence=0.99, rng=2, preemptive_points=16,
                     sigma_consensus=True)
    a, b, c = res.model / -res.model[1]
    assert a == pytest.approx(0.5, abs=0.01) and c == pytest.approx(2.0, abs=0.05)
    assert not res.inliers[:n_out].any() and res.inliers[n_out:].all()
    assert est.calls["refine"] == 0 and est.calls["fit_nonminimal"] > 0


class WeightedLineEstimator(LineEstimator):
    """The mock with weighted fits (weighted centroid and scatter)."""

    def fit_nonminimal(self, idx, weights):
        self.calls["fit_nonminimal"] += 1
        p = self.pts[idx]
        w = np.ones(len(idx)) if weights is None else np.asarray(weights, float)
        c = w @ p / w.sum()
        n = np.linalg.svd((p - c) * np.sqrt(w)[:, None])[2][-1]
        return np.r_[n, -n @ c]


class BatchedLineEstimator(WeightedLineEstimator):
    """... which also fits several weight vectors at once (the runners-up path)."""

    def fit_nonminimal_batch(self, W):
        self.calls["fit_nonminimal_batch"] = self.calls.get("fit_nonminimal_batch", 0) + 1
        out = np.empty((len(W), 3))
        valid = np.ones(len(W), dtype=bool)
        for k, w in enumerate(W):
            idx = np.flatnonzero(w)
            out[k] = self.fit_nonminimal(idx, w[idx])
        return out, valid


@pytest.mark.parametrize("sigma", [False, True])
def test_runners_up_optimised_in_one_batch_as_one_at_a_time(sigma):
    # three lines (three structures) of about the same size: near-best hypotheses of the
    # other two are runners-up; the batched path must reach the sequential path's answer
    rng = np.random.default_rng(5)
    t = rng.uniform(-10, 10, 100)
    pts = np.r_[np.c_[t[:36], 0.5 * t[:36] + 2.0], np.c_[t[36:68], -0.8 * t[36:68] - 1.0],
                np.c_[t[68:], 0.1 * t[68:] - 6.0]] + rng.normal(0, 0.02, (100, 2))
    kw = dict(confidence=0.99, preemptive_points=64, sigma_consensus=sigma)  # all scored
    seq_est, bat_est = WeightedLineEstimator(pts), BatchedLineEstimator(pts)
    for seed in range(6):
        seq = run_ransac(seq_est, 0.1, rng=seed, **kw)
        bat = run_ransac(bat_est, 0.1, rng=seed, **kw)
        np.testing.assert_allclose(bat.model, seq.model, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(bat.inliers, seq.inliers)
    assert bat_est.calls.get("fit_nonminimal_batch", 0) > 0


# --------------------------------------------------------------------------- sigma consensus


def test_sigma_weights_are_the_marginal_density_of_magsac_plus_plus():
    from math import gamma

    from scipy.integrate import quad

    from lacv.geometry.sigma_consensus import _SIGMA_DOF, _SIGMA_K

    # k is the 0.99 quantile of the chi distribution with 4 degrees of freedom
    assert _SIGMA_DOF == 4 and _SIGMA_K == pytest.approx(3.6437, abs=1e-4)
    nu, k, smax = _SIGMA_DOF, _SIGMA_K, 2.0
    c = 1.0 / (2 ** (nu / 2) * gamma(nu / 2))

    def marginal(r):  # (1/σmax) ∫_{r/k}^{σmax} g(r | σ) dσ, g the chi density at σ
        g = lambda s: 2 * c * s ** -nu * r ** (nu - 1) * np.exp(-r * r / (2 * s * s))  # noqa: E731
        return quad(g, r / k, smax)[0] / smax

    r = np.array([0.3, 1.0, 2.0, 4.0, 6.0])
    expected = np.array([marginal(x) for x in r])
    w = sigma_weights(r ** 2, smax)
    # proportional to the marginal density, 1 at zero, to 2e-4 (table resolution)
    np.testing.assert_allclose(w / w[0], expected / expected[0], rtol=1e-3, atol=2e-4)
    assert sigma_weights(np.zeros(1), smax)[0] == 1.0
    assert np.all(np.diff(w) < 0)
    # zero from k σmax on, and for points at infinity or undefined
    beyond = np.array([(k * smax) ** 2 * 1.001, 1e30, np.inf, np.nan])
    np.testing.assert_array_equal(sigma_weights(beyond, smax), 0.0)
    # a checker that cannot pass by accident: a Gaussian weight is not this density
    assert not np.allclose(w / w[0], np.exp(-r ** 2 / (2 * smax ** 2)), rtol=1e-2)


def test_sigma_loss_is_the_integral_of_the_weights():
    # IRLS weight of a loss: w(r) = ρ'(r) / r, with ρ in units of σmax²
    smax = 3.0
    r = np.linspace(1.0, 10.0, 12)
    h = 0.1  # the tables are nearest-entry: steps well above their 0.007 px² spacing
    d = (sigma_loss((r + h) ** 2, smax) - sigma_loss((r - h) ** 2, smax)) / (2 * h)
    np.testing.assert_allclose(d * smax ** 2, r * sigma_weights(r ** 2, smax), rtol=2e-2,
                               atol=2e-3)
    # constant (the plateau) beyond k σmax, zero at zero, and nan counts as the plateau
    far = sigma_loss(np.array([1e4, np.inf, np.nan]), smax)
    assert far[0] == far[1] == far[2] > sigma_loss(np.array([81.0]), smax)[0] > 0
    assert sigma_loss(np.zeros(1), smax)[0] == 0.0


def test_sigma_consensus_lowers_the_marginal_loss_and_keeps_ml_accuracy():
    scene = make_correspondences("homography", 600, 0.5, rng=11)
    on = ransac(scene.src, scene.dst, rng=3)
    off = ransac(scene.src, scene.dst, rng=3, sigma_consensus=False)
    loss_on = sigma_loss(on.residuals_px ** 2, 3.0).sum()
    loss_off = sigma_loss(off.residuals_px ** 2, 3.0).sum()
    assert loss_on < loss_off
    # on Gaussian noise both are within a few per cent of the ML fit on the true inliers
    tr = scene.is_inlier
    ml = Homography.from_points(scene.src[tr], scene.dst[tr], refine=True)
    assert scene.corner_error(on.model) < 1.15 * scene.corner_error(ml) + 0.02
    assert scene.corner_error(off.model) < 1.15 * scene.corner_error(ml) + 0.02
    np.testing.assert_array_equal(on.inliers, on.residuals_px <= 3.0)


# --------------------------------------------------------------------------- transforms


@pytest.mark.parametrize("cls", [Translation, Euclidean, Similarity, Affine, Homography])
def test_planted_outliers_are_recovered_exactly(cls):
    rng = np.random.default_rng(3)
    scene = make_correspondences(cls.kind, 300, 0.4, noise_px=0.0, rng=rng)
    res = ransac(scene.src, scene.dst, cls, threshold_px=1.0, rng=0)
    assert type(res.model) is cls
    np.testing.assert_array_equal(res.inliers, scene.is_inlier)
    assert scene.corner_error(res.model) < 1e-6
    assert res.inlier_rms_px < 1e-6


@pytest.mark.parametrize("n, ratio", [(100, 0.5), (1000, 0.8), (2000, 0.3)])
def test_noisy_homography_recall_precision_and_accuracy(n, ratio):
    scene = make_correspondences("homography", n, ratio, rng=n)
    res = ransac(scene.src, scene.dst, rng=1)
    tp = np.count_nonzero(res.inliers & scene.is_inlier)
    assert tp / scene.is_inlier.sum() > 0.97 and tp / res.n_inliers > 0.99
    # ML accuracy with 1 px noise: well under a pixel at the corners
    bound = 2.0 if n == 100 else 0.6
    assert scene.corner_error(res.model) < bound
    assert res.stopped == "confidence reached"


def test_same_seed_same_result_and_different_seed_runs():
    scene = make_correspondences("homography", 500, 0.5, rng=9)
    a = ransac(scene.src, scene.dst, rng=42)
    b = ransac(scene.src, scene.dst, rng=np.random.default_rng(42))
    assert a.model == b.model and np.array_equal(a.inliers, b.inliers)
    assert a.n_trials == b.n_trials


def test_no_model_raises_estimation_error():
    t = np.linspace(0, 100, 50)
    line = np.c_[t, 2 * t]
    with pytest.raises(EstimationError, match="no model") as info:
        ransac(line, line + 1.0, Homography, max_trials=200, rng=0)
    assert "n_trials" in info.value.stats or "n_points" in info.value.stats


def test_bad_input_raises_input_error():
    scene = make_correspondences("homography", 50, 0.2, rng=0)
    with pytest.raises(InputError, match="at least 4"):
        ransac(scene.src[:3], scene.dst[:3])
    with pytest.raises(InputError, match="same number"):
        ransac(scene.src, scene.dst[:40])
    bad = scene.src.copy()
    bad[5, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        ransac(bad, scene.dst)
    for threshold in (-1.0, 1e200, 1e-300):  # (the square of the last two leaves float64)
        with pytest.raises(InputError, match="threshold_px"):
            ransac(scene.src, scene.dst, threshold_px=threshold)
    with pytest.raises(InputError, match="confidence"):
        ransac(scene.src, scene.dst, confidence=1.5)
    with pytest.raises(InputError, match="kind"):
        ransac(scene.src, scene.dst, model="conformal")


def test_estimate_transform_same_type_both_ways():
    scene = make_correspondences("affine", 200, 0.0, rng=4)
    plain = estimate_transform("affine", scene.src, scene.dst)
    robust = estimate_transform("affine", scene.src, scene.dst, robust=True, rng=0)
    assert type(plain) is type(robust)
    assert plain.n_trials == 0 and plain.inliers.all()
    assert scene.corner_error(plain.model) < 0.5 and scene.corner_error(robust.model) < 0.5
    with pytest.raises(InputError, match="threshold_px"):
        estimate_transform("affine", scene.src, scene.dst, threshold_px=2.0)
    # the robust options reach ransac, sigma_consensus included
    plain_ls = estimate_transform("affine", scene.src, scene.dst, robust=True, rng=0,
                                  sigma_consensus=False)
    assert scene.corner_error(plain_ls.model) < 0.5
    with pytest.raises(InputError, match="sigma_consensus"):
        estimate_transform("affine", scene.src, scene.dst, sigma_consensus=False)
    with pytest.raises(DegenerateError):
        estimate_transform("homography", np.c_[np.arange(6.0), np.arange(6.0)],
                           scene.dst[:6])


# --------------------------------------------------------------------------- real data


def _pair(name):
    rows = np.loadtxt(shared_data("homography", f"{name}_pts.txt"))
    fit, val = rows[rows[:, 6] == 0], rows[rows[:, 6] == 1]
    return fit[:, 0:2], fit[:, 3:5], val[:, 0:2], val[:, 3:5]


@pytest.mark.data
@pytest.mark.parametrize("name, bound_px", [("graf", 1.6), ("LePoint2", 2.4)])
def test_real_pairs_validation_error(name, bound_px):
    src, dst, vs, vd = _pair(name)
    res = ransac(src, dst, Homography, threshold_px=3.0, rng=0)
    # the hand-annotated label-1 points: OpenCV USAC_MAGSAC measures 1.46 and 1.92 px here
    assert np.mean(res.model.residuals(vs, vd)) < bound_px
    assert res.inlier_ratio > 0.5


def test_pure_noise_supported_only_by_its_sample_is_no_model():
    """Four random points always fit a homography exactly: that is no evidence, so no model."""
    rng = np.random.default_rng(1)
    src, dst = rng.random((30, 2)) * 100, rng.random((30, 2)) * 100
    with pytest.raises(EstimationError, match="min_inliers = 5") as info:
        ransac(src, dst, threshold_px=0.001, rng=0)
    assert info.value.stats["best_inliers"] == 4
    # asking explicitly for the old behaviour still works
    assert ransac(src, dst, threshold_px=0.001, rng=0, min_inliers=4).n_inliers == 4


# --------------------------------------------------------------------------- PROSAC


def test_progressive_sampler_follows_the_growth_function():
    from scipy.special import comb

    from lacv.geometry.sampling import PROSAC_GROWTH, ProgressiveSampler

    n, s = 60, 4
    order = np.random.default_rng(3).permutation(n)  # ranks -> point indices
    sampler = ProgressiveSampler(order, s)
    # T'_n from its definition (Chum & Matas 2005, eq. 3-4), one n at a time
    T = [PROSAC_GROWTH * comb(k, s, exact=True) / comb(n, s, exact=True) for k in range(s, n + 1)]
    t_prime = [1]
    for k in range(1, len(T)):
        t_prime.append(t_prime[-1] + int(np.ceil(T[k] - T[k - 1])))
    np.testing.assert_array_equal(sampler._t_prime, t_prime)
    rank = np.argsort(order)  # point index -> rank
    rng = np.random.default_rng(0)
    drawn = np.concatenate([sampler.draw(rng, b) for b in (1, 7, 32, 100)])
    r = rank[drawn]
    assert np.all(np.sort(r, axis=1)[:, 1:] != np.sort(r, axis=1)[:, :-1])  # distinct
    for t, row in enumerate(r, start=1):
        top = s + int(np.searchsorted(t_prime, t))  # the set U_n of sample t
        assert row[0] == top - 1 and row[1:].max() < top - 1
    # the histogram of worst ranks counts the samples inside each U_n
    within = np.cumsum(sampler._within)
    assert within[-1] == sampler.trials == len(r)
    assert within[9] == np.count_nonzero(r.max(axis=1) <= 9)


def test_progressive_sampler_past_the_growth_is_uniform():
    from lacv.geometry.sampling import ProgressiveSampler

    sampler = ProgressiveSampler(np.arange(6), 3, growth=20)
    rng = np.random.default_rng(1)
    sampler.draw(rng, int(sampler._t_prime[-1]))  # through U_N
    late = sampler.draw(rng, 30000)
    assert np.all(np.sort(late, axis=1)[:, 1:] != np.sort(late, axis=1)[:, :-1])
    np.testing.assert_allclose(np.bincount(late.ravel(), minlength=6) / late.size, 1 / 6,
                               atol=0.01)


def test_prosac_non_randomness_bound_is_never_below_the_binomial_quantile():
    from scipy.stats import binom

    from lacv.geometry.sampling import PROSAC_BETA, PROSAC_PSI, _prosac_tables

    n, s = 20000, 4
    _, i_min = _prosac_tables(n, s, 200_000, PROSAC_BETA, PROSAC_PSI)
    m = np.arange(0, n - s)  # n − s for the sets n = s … N − 1 (N has no test)
    exact = s + 1 + binom.isf(PROSAC_PSI, m, PROSAC_BETA)
    gap = i_min[:-1] - exact
    assert gap.min() == 0 and gap.max() <= 1 and np.mean(gap > 0) < 0.01
    assert i_min[-1] == 0


def test_prosac_stopping_rule_at_n_equals_N_is_the_uniform_rule():
    from lacv.geometry.sampling import ProgressiveSampler, _exact_q, _trials_for

    n, s = 200, 4
    sampler = ProgressiveSampler(np.arange(n), s)
    inlier = np.zeros(n, dtype=bool)
    inlier[np.random.default_rng(2).choice(n, 120, replace=False)] = True
    sampler.set_best(inlier, 0.99)
    assert sampler._needed[-1] == _trials_for(_exact_q(120, n, s), 0.99)
    # no ranking information: the smaller sets never beat the whole (their q is no larger
    # on average, and the non-randomness bound must hold as well)
    sampler.draw(np.random.default_rng(0), 10)
    assert not sampler.satisfied()


@pytest.mark.parametrize("ratio", [0.5, 0.8])
def test_prosac_with_informative_scores_needs_far_fewer_samples(ratio):
    n = 1000
    uniform, ranked = [], []
    for i in range(3):
        scene = make_correspondences("homography", n, ratio, rng=500 + i)
        r = np.random.default_rng(i)
        scores = np.where(scene.is_inlier, r.normal(1.0, 1.0, n), r.normal(0.0, 1.0, n))
        a = ransac(scene.src, scene.dst, rng=i)
        b = ransac(scene.src, scene.dst, rng=i, scores=scores)
        assert b.stopped == "confidence reached" and b.trials_needed == b.n_trials
        assert (a.summary()["sampling"], b.summary()["sampling"]) == ("uniform", "PROSAC")
        # the same answer, as accurate
        assert np.count_nonzero(b.inliers != scene.is_inlier) <= 0.02 * n
        assert scene.corner_error(b.model) <= 1.5 * scene.corner_error(a.model) + 0.05
        uniform.append(a.n_trials)
        ranked.append(b.n_trials)
    assert np.median(ranked) * (2 if ratio == 0.5 else 10) <= np.median(uniform)


def test_prosac_with_useless_scores_is_still_ransac():
    scene = make_correspondences("homography", 300, 0.5, rng=7)
    scores = np.random.default_rng(0).normal(size=300)  # unrelated to the inliers
    res = ransac(scene.src, scene.dst, rng=1, scores=scores)
    assert np.count_nonzero(res.inliers != scene.is_inlier) <= 6
    assert scene.corner_error(res.model) < 1.0
    # constant scores: the input order, then uniform growth; same seed, same result
    again = ransac(scene.src, scene.dst, rng=1, scores=scores)
    assert again.model == res.model and again.n_trials == res.n_trials


def test_prosac_scores_are_validated():
    scene = make_correspondences("homography", 50, 0.2, rng=0)
    ranked = estimate_transform("homography", scene.src, scene.dst, robust=True, rng=0,
                                scores=scene.is_inlier * 1.0)
    assert ranked.n_inliers >= 38
    with pytest.raises(InputError, match="scores: expected one value per correspondence"):
        ransac(scene.src, scene.dst, scores=np.ones(49))
    with pytest.raises(InputError, match="scores"):
        ransac(scene.src, scene.dst, scores=np.r_[np.ones(49), np.nan])
    with pytest.raises(InputError, match="scores"):
        ransac(scene.src, scene.dst, scores="best first")
