"""Levenberg–Marquardt core and transform refinement: Jacobians, convergence, covariance."""

from __future__ import annotations

import numpy as np
import pytest
from _geom_tol import JAC_RTOL

from lacv.calculus import check_jacobian
from lacv.errors import DegenerateError, InputError
from lacv.geometry import Affine, Euclidean, Homography, Similarity, Translation
from lacv.geometry.refine import _problem, levenberg_marquardt, refine_transform

MODELS = [
    Homography([[1.0, 0.1, 5.0], [0.02, 0.9, -3.0], [1e-4, -5e-5, 1.0]]),
    Affine([[1.1, 0.1, 3.0], [0.2, 0.9, 1.0]]),
    Similarity(1.2, 0.3, (1.0, 2.0)),
    Euclidean(0.3, (1.0, 2.0)),
    Translation((1.0, 2.0)),
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.kind)
def test_analytic_jacobians_match_central_differences(model):
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 640, (30, 2))
    dst = model(src) + rng.normal(0, 0.5, (30, 2))
    prob = _problem(model, src, dst, np.sqrt(rng.uniform(0.5, 2.0, 30)))
    x = prob.x0()
    assert check_jacobian(prob.residuals, prob.jacobian, x) < JAC_RTOL
    # negative check: a wrong Jacobian is caught
    wrong = lambda p: prob.jacobian(p) * 1.01  # noqa: E731
    assert check_jacobian(prob.residuals, wrong, x) > 1e-3


def test_lm_fits_an_exponential_and_rosenbrock():
    t = np.linspace(0, 1, 20)
    y = 2.0 * np.exp(-1.5 * t)
    res = levenberg_marquardt(lambda p: p[0] * np.exp(p[1] * t) - y,
                              lambda p: np.stack([np.exp(p[1] * t),
                                                  p[0] * t * np.exp(p[1] * t)], axis=1),
                              [1.0, 0.0])
    np.testing.assert_allclose(res.x, [2.0, -1.5], atol=1e-9)
    assert res.converged and res.cost < 1e-20
    # Rosenbrock as a least-squares problem: r = (10 (y − x²), 1 − x)
    res = levenberg_marquardt(lambda p: np.array([10 * (p[1] - p[0] ** 2), 1 - p[0]]),
                              lambda p: np.array([[-20 * p[0], 10.0], [-1.0, 0.0]]),
                              [-1.2, 1.0])
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-8)
    assert res.converged and res.iterations < 100


def test_lm_rejects_bad_input():
    with pytest.raises(InputError, match="x0"):
        levenberg_marquardt(lambda p: p, lambda p: np.eye(2), [[1.0, 2.0]])
    with pytest.raises(InputError, match="jacobian_fn"):
        levenberg_marquardt(lambda p: p, lambda p: np.eye(3), [1.0, 2.0])
    with pytest.raises(InputError, match="residual_fn"):
        levenberg_marquardt(lambda p: p * np.nan, lambda p: np.eye(2), [1.0, 2.0])
    with pytest.raises(InputError, match="overflows float64"):  # (it used to warn, cost inf)
        levenberg_marquardt(lambda p: p ** 2, lambda p: np.diag(2 * p), [5e99, 5e99])
    # a step whose cost overflows is rejected quietly and the descent goes on
    res = levenberg_marquardt(lambda p: p ** 2 - 4, lambda p: np.diag(2 * p), [1e3, 30.0])
    np.testing.assert_allclose(res.x, [2.0, 2.0], rtol=1e-8)


def test_homography_refinement_lowers_the_transfer_error():
    rng = np.random.default_rng(3)
    H = MODELS[0]
    src = rng.uniform(0, 640, (200, 2))
    dst = H(src) + rng.normal(0, 1.0, (200, 2))
    dlt = Homography.from_points(src, dst)
    ref = refine_transform(dlt, src, dst)
    assert ref.converged
    assert ref.rms_px < ref.initial_rms_px
    # LM reaches a stationary point of the geometric cost
    g = ref.lm.jacobian.T @ ref.lm.residuals
    assert np.max(np.abs(g)) < 1e-6 * np.linalg.norm(ref.lm.jacobian) * np.linalg.norm(
        ref.lm.residuals)
    # from_points(refine=True) runs the same LM with moment-built normal equations
    np.testing.assert_allclose(Homography.from_points(src, dst, refine=True).matrix,
                               ref.model.matrix, rtol=1e-7, atol=1e-10)
    w = rng.uniform(0.2, 2.0, 200)
    ref_w = refine_transform(Homography.from_points(src, dst, w), src, dst, weights=w)
    np.testing.assert_allclose(Homography.from_points(src, dst, w, refine=True).matrix,
                               ref_w.model.matrix, rtol=1e-7, atol=1e-10)
    assert not np.allclose(ref_w.model.matrix, ref.model.matrix, rtol=1e-7, atol=1e-10)


def test_covariance_matches_monte_carlo():
    rng = np.random.default_rng(4)
    H = MODELS[0]
    src = rng.uniform(0, 640, (60, 2))
    sigma = 1.0
    estimates = []
    for _ in range(300):
        dst = H(src) + rng.normal(0, sigma, (60, 2))
        estimates.append(Homography.from_points(src, dst, refine=True).params)
    empirical = np.std(estimates, axis=0)
    dst = H(src) + rng.normal(0, sigma, (60, 2))
    ref = refine_transform(Homography.from_points(src, dst), src, dst)
    predicted = ref.standard_errors
    # 300 samples: the standard deviation itself is known to about ±4 %; σ̂ adds a few %
    np.testing.assert_allclose(predicted, empirical, rtol=0.2)


def test_covariance_needs_redundancy():
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, (4, 2))
    H = MODELS[0]
    ref = refine_transform(Homography.from_points(src, H(src)), src, H(src))
    with pytest.raises(DegenerateError, match="redundancy"):
        _ = ref.covariance
    assert ref.lm.covariance_for(1.0).shape == (8, 8)


def test_fast_lm_predicted_stop_saves_a_pass_but_not_accuracy():
    from lacv.geometry.homogeneous import _hartley
    from lacv.geometry.refine import _refine_homography_fast

    rng = np.random.default_rng(8)
    H = MODELS[0]
    src = rng.uniform(0, 640, (300, 2))
    dst = H(src) + rng.normal(0, 1.0, (300, 2))
    sn, Ts = _hartley(src)
    dn, Td = _hartley(dst)
    X, D = np.vstack([sn.T, np.ones(300)]), dn.T
    H0 = Td @ Homography.from_points(src, dst).matrix @ np.linalg.inv(Ts)

    def cost(Hn):
        p = Hn @ X
        return float(np.sum((p[:2] / p[2] - D) ** 2))

    full = _refine_homography_fast(H0, X, D, ftol=1e-12, max_iterations=50)
    quick = _refine_homography_fast(H0, X, D, ftol=1e-6, predicted_stop=True)
    assert cost(full) <= cost(quick) <= cost(full) * (1 + 2e-6)
    assert cost(quick) < cost(H0 / H0.flat[np.argmax(np.abs(H0))]) * (1 - 1e-6)
