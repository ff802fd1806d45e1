"""Gain compensation, the three blends and the largest valid rectangle."""

from __future__ import annotations

import numpy as np
import pytest

from lacv.errors import InputError
from lacv.imaging.blend import blend, compensate_gains, largest_valid_rectangle
from lacv.imaging.warp import Canvas, canvas_bounds, warp_region


def _two_parts(gain_b=1.0):
    rng = np.random.default_rng(0)
    base = rng.uniform(0.2, 0.8, (40, 90)).astype(np.float32)
    a, b = base[:, :60], base[:, 30:] * np.float32(gain_b)
    shift = np.array([[1.0, 0, 30], [0, 1, 0], [0, 0, 1]])
    canvas = canvas_bounds([a.shape, b.shape], [np.eye(3), shift])
    return base, canvas, [warp_region(a, np.eye(3), canvas), warp_region(b, shift, canvas)]


def test_gains_equalise_the_overlap():
    _, _, parts = _two_parts(gain_b=1.25)
    g = compensate_gains(parts)
    # the prior on the gains leaves a little of the 25 % mismatch
    assert abs(g[1] * 1.25 / g[0] - 1.0) < 0.05
    assert 0.85 < g.mean() < 1.15  # the prior keeps the gains near one
    _, _, same = _two_parts()
    np.testing.assert_allclose(compensate_gains(same), 1.0, atol=1e-6)


@pytest.mark.parametrize("method", ["feather", "multiband", "none"])
def test_blends_reproduce_consistent_images(method):
    base, canvas, parts = _two_parts()
    out, mask = blend(parts, canvas, method)
    assert mask.all() and out.shape == base.shape
    tol = 0.06 if method == "multiband" else 1e-5
    assert np.abs(out - base).mean() < tol / 3 and np.abs(out - base).max() < 0.3


def test_feather_weights_favour_the_nearer_centre():
    _, canvas, parts = _two_parts()
    bright = [type(p)(np.full_like(p.image, v), p.mask, p.weight, p.x, p.y)
              for p, v in zip(parts, (0.0, 1.0), strict=True)]
    out, _ = blend(bright, canvas, "feather")
    row = out[20]
    assert row[31] < 0.2 and row[58] > 0.8 and np.all(np.diff(row[30:60]) >= -1e-6)
    with pytest.raises(InputError, match="blend"):
        blend(parts, canvas, "poisson")
    assert isinstance(canvas, Canvas)


def test_largest_valid_rectangle():
    mask = np.zeros((10, 12), bool)
    mask[2:8, 1:11] = True
    mask[0:10, 4:6] = True
    assert largest_valid_rectangle(mask) == (1, 2, 10, 6)
    tall = np.zeros((10, 12), bool)
    tall[:, 4:6] = True
    assert largest_valid_rectangle(tall) == (4, 0, 2, 10)
    with pytest.raises(InputError, match="valid pixel"):
        largest_valid_rectangle(np.zeros((3, 3), bool))


def test_stitch_crop_is_fully_covered(pano4):
    from lacv.imaging.stitch import stitch

    p = stitch(pano4.images[:3], crop=True, blend_method="multiband")
    assert p.mask.all() and p.crop is not None
    x, y, w, h = p.crop
    assert p.image.shape[:2] == (h, w) and w > 300
