"""Sampling and the stopping rule of the RANSAC family.

- :func:`draw_samples` draws minimal samples of distinct indices, uniformly.
- :func:`required_trials` is the number of samples that gives the requested
  confidence of having drawn at least one all-inlier sample: with inlier
  ratio ``w`` and sample size ``s``, ``k = log(1 - p) / log(1 - wˢ)`` (H&Z
  §4.7.1, table 4.3). The loop in :mod:`lacv.geometry.robust` uses the exact
  probability of an all-inlier sample drawn without replacement,
  ``q = C(I, s) / C(N, s)``, instead of ``wˢ``.
- :class:`ProgressiveSampler` is PROSAC's sampling and stopping rule for
  correspondences ranked by a quality score (Chum & Matas 2005): samples
  come from the best-ranked points first, and the search may stop as soon
  as a top-ranked subset is explained with the requested confidence.

References
----------
.. [1] R. Hartley and A. Zisserman, *Multiple View Geometry*, 2nd ed., §4.7,
   algorithm 4.5 and table 4.3.
.. [2] O. Chum and J. Matas, "Matching with PROSAC — progressive sample
   consensus", CVPR 2005.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from lacv._validate import as_array, check_int, check_probability
from lacv.errors import InputError

__all__ = ["NEVER", "ProgressiveSampler", "draw_samples", "quality_order", "required_trials"]

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
    return _redraw_repeats(rng, out, np.arange(count), n)


def _redraw_repeats(rng: np.random.Generator, out: np.ndarray, rows: np.ndarray,
                    limit: int | np.ndarray) -> np.ndarray:
    """Draw again, uniformly in ``[0, limit)``, the ``rows`` of ``out`` that repeat an index.

    ``limit`` is one bound for all rows or one per row of ``out``. Conditioned
    on being distinct, every ordered tuple stays equally likely.
    """
    while rows.size:
        srt = np.sort(out[rows], axis=1)
        rows = rows[(srt[:, 1:] == srt[:, :-1]).any(axis=1)]
        if rows.size:
            bound = limit if np.isscalar(limit) else limit[rows, None]
            out[rows] = (rng.random((rows.size, out.shape[1])) * bound).astype(np.intp)
    return out


def _uniform_indices(rng: np.random.Generator, n: int, shape: tuple[int, int]) -> np.ndarray:
    u = rng.random(shape)
    u *= n
    return u.astype(np.intp)


def quality_order(scores: Any, n_points: int) -> np.ndarray | None:
    """The correspondences ranked by ``scores`` (higher is better), for PROSAC; None for None.

    Parameters
    ----------
    scores : (N,) array_like or None
        A quality per correspondence, such as the negated distance ratio of
        a descriptor match (Lowe's ratio test: smaller is better, so pass
        ``-ratio``). Only the order matters; ties keep the input order.
    n_points : int
        ``N``.

    Returns
    -------
    (N,) ndarray of int or None
        Indices, best first.

    Raises
    ------
    InputError
        ``scores`` is not ``N`` finite numbers.
    """
    if scores is None:
        return None
    sc = as_array(scores, "scores", ndim=1, allow_empty=True)
    if sc.shape[0] != n_points:
        raise InputError(f"scores: expected one value per correspondence ({n_points}), "
                         f"got {sc.shape[0]}")
    return np.argsort(-sc, kind="stable")


#: PROSAC's T_N: the number of samples over which the sampled set grows to all N points
#: (Chum & Matas 2005 use 200 000, as does OpenCV's USAC_PROSAC)
PROSAC_GROWTH = 200_000
#: β, the chance that a wrong model is consistent with a point not in its sample, and ψ,
#: the significance of the non-randomness test (both 0.05, as in the paper and OpenCV)
PROSAC_BETA = 0.05
PROSAC_PSI = 0.05


class ProgressiveSampler:
    r"""PROSAC: minimal samples from progressively larger sets of the best-ranked points.

    The points are ranked by a quality score (``order[0]`` best). With
    ``U_n`` the ``n`` best, PROSAC (Chum & Matas 2005, §2) spreads the
    ``T_N`` samples that uniform RANSAC would draw over the growing sets: of
    ``T_N`` uniform samples, ``T_n = T_N C(n, s)/C(N, s)`` would lie inside
    ``U_n``, so sample ``t`` is drawn from ``U_n`` for the least ``n`` with

    .. math:: T'_n \ge t,\qquad T'_s = 1,\quad
              T'_{n+1} = T'_n + \lceil T_{n+1} - T_n \rceil,

    as the point ranked ``n`` together with ``s − 1`` distinct points of
    ``U_{n−1}``; past ``T'_N`` samples are uniform over all ``N`` points.
    Good matches are thus tried first, yet every sample stays possible.

    The stopping rule (:meth:`satisfied`) generalises the exact RANSAC rule
    of :func:`required_trials` to the sets ``U_n``: with ``Iₙ`` the inliers
    of the best model among the ``n`` best points and ``kₙ`` the samples
    drawn so far that lie entirely in ``U_n``, the search may stop when, for
    some ``n``,

    .. math:: k_n \ge \frac{\log(1 - p)}{\log(1 - q_n)},\qquad
              q_n = \prod_{j=0}^{s-1} \frac{I_n - j}{n - j}

    (maximality: an all-inlier sample of ``U_n`` was drawn with probability
    ``p``), and — for ``n < N`` — ``Iₙ`` is more than chance allows
    (non-randomness, PROSAC eq. 7–8: a wrong model is consistent with each
    of the ``n − s`` other points with probability ``β``, and ``Iₙ − s``
    must exceed the binomial's ``1 − ψ`` quantile). At ``n = N`` this is
    exactly the uniform loop's rule, so ranking never stops a search later
    than a uniform one with the same best model would.

    Parameters
    ----------
    order : (N,) ndarray of int
        Point indices, best first.
    size : int
        Points per sample ``s``.
    growth : int
        ``T_N``.
    beta, psi : float
        β and ψ of the non-randomness test.

    Examples
    --------
    >>> sampler = ProgressiveSampler(np.arange(100), 4)   # points already ranked
    >>> first = sampler.draw(np.random.default_rng(0), 3)
    >>> sorted(first[0].tolist()), first.max(axis=1).tolist()   # the best ranks first
    ([0, 1, 2, 3], [3, 4, 5])
    """

    def __init__(self, order: np.ndarray, size: int, *, growth: int = PROSAC_GROWTH,
                 beta: float = PROSAC_BETA, psi: float = PROSAC_PSI) -> None:
        self.order = np.asarray(order, dtype=np.intp)
        n = self.order.size
        s = int(size)
        self.size, self.n_points = s, n
        self._ns = np.arange(s, n + 1)  # the set sizes n = s … N
        self._t_prime, self._i_min = _prosac_tables(n, s, int(growth), float(beta), float(psi))
        self._within = np.zeros(n, dtype=np.int64)  # samples by their worst rank
        self.trials = 0
        self._needed: np.ndarray | None = None

    def draw(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """The next ``count`` samples, ``(count, size)`` point indices (into ``order``'s points)."""
        s = self.size
        t = np.arange(self.trials + 1, self.trials + count + 1, dtype=np.float64)
        self.trials += count
        k = np.searchsorted(self._t_prime, t, side="left")  # n_t = s + k
        late = k >= self._ns.size  # past T'_N: uniform over all points
        ranks = np.empty((count, s), dtype=np.intp)
        if late.any():
            ranks[late] = draw_samples(rng, self.n_points, s, int(np.count_nonzero(late)))
        early = np.flatnonzero(~late)
        if early.size:
            top = k[early] + s  # n_t: the sample holds rank n_t − 1 and s − 1 of the ranks below
            ranks[early, 0] = top - 1
            ranks[early, 1:] = _distinct_below(rng, top - 1, s - 1)
        self._within += np.bincount(ranks.max(axis=1), minlength=self.n_points)
        return self.order[ranks]

    def set_best(self, inlier: np.ndarray, confidence: float) -> None:
        """Take the best model's inlier mask (over the points, not the ranks)."""
        s = self.size
        i_n = np.cumsum(inlier[self.order])[s - 1:].astype(np.float64)  # I_n, n = s … N
        q = np.ones(i_n.size)
        for j in range(s):
            q *= np.maximum(i_n - j, 0.0) / (self._ns - j)
        # k_n as _trials_for: ⌈log(1 − p) / log(1 − q)⌉, at least 1; never where q = 0
        with np.errstate(divide="ignore"):
            k = math.log(1.0 - confidence) / np.log1p(-np.minimum(q, 1.0))
        needed = np.maximum(np.ceil(k - 1e-9), 1.0)
        needed[q <= 0.0] = np.inf
        needed[i_n < self._i_min] = np.inf
        self._needed = needed

    def satisfied(self) -> bool:
        """Whether some ``U_n`` is explained with the confidence (see the class docstring)."""
        if self._needed is None:
            return False
        k_n = np.cumsum(self._within)[self.size - 1:]
        return bool(np.any(k_n >= self._needed - 1e-9))


@functools.lru_cache(maxsize=4)  # (two float arrays of N each: a few sizes at most)
def _prosac_tables(n: int, s: int, growth: int, beta: float, psi: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``T'_n`` and the non-random inlier counts ``I_min(n)`` for ``n = s … N`` (read-only)."""
    from scipy.special import gammaln, ndtri

    ns = np.arange(s, n + 1)
    # T_n = T_N C(n, s) / C(N, s), by log-gamma (C(N, s) overflows quickly)
    log_c = gammaln(ns + 1.0) - gammaln(ns - s + 1.0)
    T = growth * np.exp(log_c - log_c[-1])
    t_prime = np.empty(ns.size)
    t_prime[0] = 1.0
    np.cumsum(np.ceil(np.diff(T)), out=t_prime[1:])
    t_prime[1:] += 1.0
    # non-randomness: I_n ≥ s + 1 + the (1 − ψ) quantile of Binomial(n − s, β), by the
    # Cornish–Fisher expansion with a continuity correction (scipy.stats' exact quantile
    # costs ~1 µs per n): never below the exact quantile, one above it for 0.6 % of n
    # (checked for n ≤ 2·10⁴ in the tests), so never a stop the exact test would refuse
    m = ns - s
    z = ndtri(1.0 - psi)
    quantile = np.ceil(m * beta + z * np.sqrt(m * beta * (1.0 - beta))
                       + (z * z - 1.0) * (1.0 - 2.0 * beta) / 6.0 - 0.5)
    i_min = s + 1.0 + quantile
    i_min[-1] = 0.0  # n = N: the uniform rule needs no such test
    t_prime.setflags(write=False)
    i_min.setflags(write=False)
    return t_prime, i_min


def _distinct_below(rng: np.random.Generator, limit: np.ndarray, size: int) -> np.ndarray:
    """Rows of ``size`` distinct indices, row ``i`` uniform in ``[0, limit[i])`` (limit ≥ size).

    Rows with few indices to choose from (``limit ≤ 8·size``, where repeats
    would be common) take the first ``size`` of a random permutation (the
    order of random keys); the others draw uniformly and redraw the rows
    with a repeat, as :func:`draw_samples`.
    """
    out = np.empty((limit.size, size), dtype=np.intp)
    width = 8 * size
    small = limit <= width
    if small.any():
        rows = np.flatnonzero(small)
        keys = rng.random((rows.size, width))
        keys[np.arange(width) >= limit[rows, None]] = np.inf
        out[rows] = np.argsort(keys, axis=1)[:, :size]
    rest = np.flatnonzero(~small)
    if rest.size:
        out[rest] = (rng.random((rest.size, size)) * limit[rest, None]).astype(np.intp)
        if size > 1:
            _redraw_repeats(rng, out, rest, limit)
    return out
