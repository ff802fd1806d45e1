"""The two-view estimator's batched non-minimal fit (the robust loop's runners-up path)."""

import numpy as np
import pytest

from lacv.errors import DegenerateError
from lacv.geometry.epipolar.robust_fit import _TwoViewEstimator
from lacv.imaging.twoview_scene import twoview_points


def _same_up_to_sign(a, b):
    return np.abs(a - np.sign((a * b).sum()) * b).max()


@pytest.mark.parametrize("essential", [False, True])
def test_fit_nonminimal_batch_is_fit_nonminimal_row_by_row(essential):
    s = twoview_points(200, noise_px=0.5, outlier_ratio=0.3, rng=11)
    est = (_TwoViewEstimator.essential(s.x1, s.x2, s.K1, s.K2) if essential
           else _TwoViewEstimator.fundamental(s.x1, s.x2))
    rng = np.random.default_rng(0)
    W = (rng.uniform(size=(6, 200)) < 0.6) * rng.uniform(0.2, 1.0, (6, 200))
    W[1] = W[1] > 0  # plain least squares on a subset
    W[2, 5:] = 0.0  # five points: the eight-point system is degenerate
    M, valid = est.fit_nonminimal_batch(W)
    assert M.shape == (6, 3, 3) and valid.tolist() == [True, True, False, True, True, True]
    for k in np.flatnonzero(valid):
        idx = np.flatnonzero(W[k])
        assert _same_up_to_sign(est.fit_nonminimal(idx, W[k, idx]), M[k]) < 1e-10
    with pytest.raises(DegenerateError):
        est.fit_nonminimal(np.arange(5), W[2, :5])
    # the checker sees a different fit
    assert _same_up_to_sign(est.fit_nonminimal(np.arange(200), None), M[0]) > 1e-6
