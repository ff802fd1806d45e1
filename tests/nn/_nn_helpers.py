"""Helpers shared by the lacv.nn tests."""

from __future__ import annotations

import numpy as np

from tolerances import ORACLE_RTOL


def assert_close_rel(actual, expected, rtol: float = ORACLE_RTOL) -> None:
    """max|a − e| ≤ rtol · max|e| (a norm-wise relative error, safe for entries near 0)."""
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    assert a.shape == e.shape, f"shape {a.shape} != expected {e.shape}"
    scale = max(float(np.max(np.abs(e))), 1e-300) if e.size else 1.0
    err = float(np.max(np.abs(a - e))) / scale if e.size else 0.0
    assert err <= rtol, f"relative error {err:.3e} > {rtol:.1e}"


def away_from_zero(rng: np.random.Generator, shape, low: float = 0.05, high: float = 3.0):
    """Random values with |x| in [low, high]: no difference step crosses a kink at 0."""
    mag = rng.uniform(low, high, size=shape)
    return mag * rng.choice([-1.0, 1.0], size=shape)
