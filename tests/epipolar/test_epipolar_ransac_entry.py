"""`lacv.geometry.ransac` hands two-view models to their own robust fit (issue 7's entry point)."""

from __future__ import annotations

import numpy as np
import pytest

from lacv.errors import InputError
from lacv.geometry import Essential, Fundamental, ransac
from lacv.geometry.epipolar import symmetric_epipolar_distance
from lacv.imaging.twoview_scene import twoview_points


def test_ransac_with_fundamental_model():
    scene = twoview_points(200, outlier_ratio=0.3, rng=1)
    res = ransac(scene.x1, scene.x2, model=Fundamental, threshold_px=1.0, rng=0)
    assert isinstance(res.model, Fundamental)
    # same seed, same answer, whichever entry point
    direct = Fundamental.robust_fit(scene.x1, scene.x2, threshold_px=1.0, rng=0)
    np.testing.assert_array_equal(res.inliers, direct.inliers)
    np.testing.assert_allclose(res.model.matrix, direct.model.matrix)
    true_in = scene.inliers
    assert np.count_nonzero(res.inliers & ~true_in) <= 2
    err = symmetric_epipolar_distance(res.model.matrix, scene.x1_true, scene.x2_true)
    assert np.mean(err) < 0.5


def test_ransac_with_calibrated_essential():
    scene = twoview_points(200, outlier_ratio=0.3, rng=2)
    res = ransac(scene.x1, scene.x2, model=Essential.calibrated(scene.K1, scene.K2),
                 threshold_px=1.0, rng=0)
    E = res.model.matrix / np.linalg.norm(res.model.matrix)
    E_true = scene.E / np.linalg.norm(scene.E)
    assert min(np.linalg.norm(E - E_true), np.linalg.norm(E + E_true)) < 0.05


def test_two_view_fits_take_match_scores_prosac():
    # seven-point samples at 50 % outliers: ~1000 uniform samples; with scores that rank the
    # inliers higher (as a descriptor ratio does) the progressive search stops far earlier
    scene = twoview_points(200, noise_px=0.5, outlier_ratio=0.5, rng=1001)
    r = np.random.default_rng(0)
    scores = np.where(scene.inliers, r.normal(1.0, 1.0, 200), r.normal(0.0, 1.0, 200))
    uniform = Fundamental.robust_fit(scene.x1, scene.x2, rng=1)
    ranked = ransac(scene.x1, scene.x2, model=Fundamental, threshold_px=1.0, rng=1,
                    scores=scores)
    assert ranked.n_trials * 5 <= uniform.n_trials
    assert (uniform.stats["sampling"], ranked.stats["sampling"]) == ("uniform", "PROSAC")
    for res in (uniform, ranked):
        err = symmetric_epipolar_distance(res.model.matrix, scene.x1_true, scene.x2_true)
        assert np.mean(err) < 0.3
        assert np.count_nonzero(res.inliers & ~scene.inliers) <= 2
    for solver in ("seven-point", "five-point"):
        calibrated = Essential.robust_fit(scene.x1, scene.x2, scene.K1, scene.K2, rng=1,
                                          scores=scores, solver=solver)
        assert calibrated.n_trials * 5 <= uniform.n_trials
        assert np.count_nonzero(calibrated.inliers != scene.inliers) <= 8


def test_two_view_scores_are_validated():
    scene = twoview_points(50, rng=3)
    with pytest.raises(InputError, match="scores: expected one value per correspondence"):
        Fundamental.robust_fit(scene.x1, scene.x2, scores=np.ones(3))
