"""F and E are homogeneous: any representable scale gives the same distances and lines."""

import warnings

import numpy as np
import pytest

from lacv.errors import InputError
from lacv.geometry.epipolar import (
    epipolar_lines,
    essential_from_fundamental,
    sampson_distance,
    symmetric_epipolar_distance,
)
from lacv.imaging.twoview_scene import twoview_points


@pytest.mark.parametrize("k", [1e300, 1e-300, -3.0])
def test_distances_and_lines_do_not_depend_on_the_scale_of_F(k):
    s = twoview_points(50, noise_px=0.5, rng=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or underflow on the way
        for f in (sampson_distance, symmetric_epipolar_distance):
            np.testing.assert_allclose(f(s.F * k, s.x1, s.x2), f(s.F, s.x1, s.x2), rtol=1e-9)
        lines = epipolar_lines(s.F * k, s.x1)
        ref = epipolar_lines(s.F, s.x1)
        np.testing.assert_allclose(lines * np.sign(k), ref, rtol=1e-9, atol=1e-12)
        E = essential_from_fundamental(s.F * k, s.K1, s.K2)
    ref_E = essential_from_fundamental(s.F, s.K1, s.K2)
    assert min(np.abs(E - ref_E).max(), np.abs(E + ref_E).max()) < 1e-9
    with pytest.raises(InputError, match="F: is all zeros"):
        sampson_distance(np.zeros((3, 3)), s.x1, s.x2)
