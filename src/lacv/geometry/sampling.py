"""Sampling and the stopping rule of the RANSAC family.

- :func:`draw_samples` draws minimal samples of distinct indices, uniformly.
- :func:`required_trials` is the number of samples that gives the requested
  confidence of having drawn at least one all-inlier sample: with inlier
  ratio ``w`` and sample size ``s``, ``k = log(1 - p) / log(1 - wˢ)`` (H&Z
  §4.7.1, table 4.3). The loop in :mod:`lacv.geometry.robust` uses the exact
  probability of an all-inlier sample drawn without replacement,
  ``q = C(I, s) / C(N, s)``, instead of ``wˢ``.

References
----------
.. [1] R. Hartley and A. Zisserman, *Multiple View Geometry*, 2nd ed., §4.7,
   algorithm 4.5 and table 4.3.
"""

from __future__ import annotations

import math

import numpy as np

from lacv._validate import check_int, check_probability

__all__ = ["NEVER", "draw_samples", "required_trials"]

#: stands for "never": the trial count when no all-inlier sample can be drawn
NEVER = np.iinfo(np.int64).max


def required_trials(inlier_ratio: float, sample_size: int, confidence: float = 0.99, *,
                    n_points: int | None = None) -> int:
    r"""Samples needed to draw an all-inlier one with probability ``confidence``.

    .. math:: k = \left\lceil \frac{\log(1 - p)}{\log(1 - q)} \right\rceil,\qquad
              q = \varepsilon^s \;\text{or}\; q = \prod_{j=0}^{s-1} \frac{I - j}{N - j}

    With ``n_points=None`` the textbook ``q = εˢ`` (drawing with replacement;
    H&Z §4.7.1, eq. 4.18, table 4.3). With ``n_points = N`` the exact
    probability for ``s`` distinct points drawn from ``N`` of which
    ``I = round(ε N)`` are inliers, which is what :func:`ransac` draws.

    Parameters
    ----------
    inlier_ratio : float
        ``ε`` in [0, 1].
    sample_size : int
        ``s`` ≥ 1.
    confidence : float
        ``p`` in (0, 1).
    n_points : int, optional
        ``N`` for the exact rule.

    Returns
    -------
    int
        ``k`` ≥ 1; :data:`NEVER` (``2⁶³ − 1``) when ``q == 0``.

    Examples
    --------
    >>> required_trials(0.5, 4, 0.99)        # H&Z table 4.3: s = 4, 50 % outliers
    72
    >>> required_trials(0.5, 4, 0.99, n_points=20)   # 10 inliers of 20: q is smaller
    104
    """
    eps = check_probability(inlier_ratio, "inlier_ratio", open_interval=False)
    s = check_int(sample_size, "sample_size", minimum=1)
    p = check_probability(confidence, "confidence")
    if n_points is None:
        q = eps ** s
    else:
        n = check_int(n_points, "n_points", minimum=s)
        inl = round(eps * n)
        q = 1.0
        for j in range(s):
            q *= max(inl - j, 0) / (n - j)
    return _trials_for(q, p)


def _trials_for(q: float, p: float) -> int:
    if q <= 0.0:
        return int(NEVER)
    if q >= 1.0:
        return 1
    k = math.log(1.0 - p) / math.log1p(-q)
    return max(1, min(int(NEVER), math.ceil(k - 1e-9)))


def _exact_q(n_inliers: int, n: int, s: int) -> float:
    q = 1.0
    for j in range(s):
        q *= max(n_inliers - j, 0) / (n - j)
    return q


def draw_samples(rng: np.random.Generator, n: int, size: int, count: int) -> np.ndarray:
    """``count`` uniform samples of ``size`` distinct indices in ``[0, n)``, (count, size) int.

    Rows are drawn uniformly from ``[0, n)^size`` and the rows with a repeated
    index are drawn again: conditioned on being distinct, every ordered
    ``size``-tuple is equally likely, so the samples are uniform. An index
    is ``⌊u n⌋`` of a uniform double ``u`` (53 random bits: the bias is below
    ``n / 2⁵³``), which costs a third of ``Generator.integers``' call.
    """
    out = _uniform_indices(rng, n, (count, size))
    if size == 1:
        return out
    bad = np.arange(count)
    while bad.size:
        srt = np.sort(out[bad], axis=1)
        bad = bad[(srt[:, 1:] == srt[:, :-1]).any(axis=1)]
        if bad.size:
            out[bad] = _uniform_indices(rng, n, (bad.size, size))
    return out


def _uniform_indices(rng: np.random.Generator, n: int, shape: tuple[int, int]) -> np.ndarray:
    u = rng.random(shape)
    u *= n
    return u.astype(np.intp)
