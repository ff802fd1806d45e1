r"""Robust estimation: a vectorised RANSAC loop (MSAC scoring, preemption, LO, sigma consensus).

:func:`ransac` fits a transform to correspondences contaminated by outliers:

1. **Batched hypotheses.** Minimal samples (``s`` distinct indices each) are
   drawn ``B`` at a time and solved together by closed-form batched solvers
   (:mod:`lacv.geometry._minimal`); degenerate samples (collinear triples,
   orientation-flipping homographies) are rejected by their determinants.
2. **Preemptive MSAC scoring.** Every hypothesis of the batch is scored on
   a fixed random subset of ``m`` points (one ``matmul`` for all of them),
   with the truncated quadratic (MSAC) cost ``Σ min(eᵢ², θ²)`` (Torr &
   Zisserman 2000). Only the few best — and only those that beat the current
   best on the same subset — are scored on all ``N`` points (Nistér's
   preemptive RANSAC, 2005): at N = 10⁴ this is what makes the loop fast.
3. **Local optimisation.** Each new best is improved before the stopping
   rule sees its inlier count (the "LO" step of Chum, Matas & Kittler 2003).
   By default (``sigma_consensus=True`` in :func:`ransac`) it is up to three
   weighted least-squares fits with MAGSAC++'s marginalised weights
   (:func:`sigma_weights`, ``σ_max = θ``; Barath et al. 2020), kept while the
   MSAC cost falls: the weights reach out to 3.64θ, so a hypothesis from a
   noisy minimal sample still pulls in the inliers it puts beyond θ. With
   ``sigma_consensus=False`` it is iterated least squares on the inliers
   within 2θ and then θ (the shrinking threshold of Lebeda et al. 2012).
4. **Exact stopping rule.** The loop stops after ``k`` samples, the least
   number that contains an all-inlier sample with probability ``confidence``:
   ``k = ⌈log(1 − p) / log(1 − q)⌉`` with ``q = C(I, s)/C(N, s)`` the exact
   probability that ``s`` points drawn without replacement are all among the
   ``I`` inliers found (H&Z §4.7.1 uses the with-replacement ``q = (I/N)^s``;
   see :func:`required_trials`). Batches start at 32 samples and grow to
   4× ``batch_size`` while many samples remain. With a quality ranking of
   the points (``scores`` in :func:`ransac`), samples come from the
   best-ranked points first and the rule extends to the top-ranked subsets
   (PROSAC, :class:`~lacv.geometry.sampling.ProgressiveSampler`).
5. **Runners-up.** Near-best hypotheses (MSAC cost within 1.35× the best)
   whose inliers are mostly not the best's may belong to another structure —
   a second plane — that a noisy minimal fit undersells; the cheapest few
   distinct ones are locally optimised after the loop too. With sigma
   consensus a near-tie on the MSAC cost (within 1 %) is broken by
   MAGSAC++'s marginal loss (:func:`sigma_loss`), which tells apart two
   structures that the truncated cost cannot.
6. **Final fit.** With sigma consensus: iteratively reweighted least squares
   with the MAGSAC++ weights (σ-consensus++), one weighted Gauss–Newton step
   on the transfer error per round for the homography (a weighted closed
   form for the linear families), kept while the marginal loss falls, until
   it falls by less than 10⁻⁴ of itself (six rounds at most). Without: the
   model is refined on the points within 1.5θ (clipping at θ the residuals
   of the estimate itself would drop the inliers that disagree with it most,
   a self-selection bias measured at 2–5 % of accuracy) by
   Levenberg–Marquardt on the transfer error (:mod:`lacv.geometry.refine`),
   and the selection is redone (twice at most). Either way the returned
   inliers are the points within θ of the final model.

The same ``rng`` gives the same result; no model raises
:class:`~lacv.errors.EstimationError` carrying the statistics.

The model interface (for new model families)
--------------------------------------------
:func:`run_ransac` is the loop itself, independent of the geometry. It
drives any object with these members (a *robust estimator*; a fundamental
matrix estimator plugs in by providing them — its minimal solver may return
up to three models per sample, and ``errors_sq`` would be the squared
Sampson distance):

``sample_size : int``
    Points per minimal sample (4 for a homography, 7 for F).
``n_points : int``
    ``N``, the number of data points (correspondences).
``solve_minimal(samples) -> models``
    ``samples`` is ``(B, sample_size)`` int; return an array ``(M, ...)`` of
    the models of the non-degenerate samples (``M`` may differ from ``B``:
    degenerate samples give none, multi-solution solvers several).
``errors_sq(models, idx) -> (M, K) ndarray``
    Squared residuals (in the units of ``threshold²``) of ``M`` models on the
    points ``idx`` (an int array), or on all ``N`` points when ``idx`` is
    ``None``. ``inf`` or ``nan`` count as outliers.
``fit_nonminimal(idx, weights) -> model``
    A least-squares model (shape ``models.shape[1:]``) from the points
    ``idx`` (more than ``sample_size``), with optional weights; raise
    :class:`~lacv.errors.DegenerateError` when they do not determine one.
``refine(model, idx) -> model``
    The final fit on the points ``idx`` (those within 1.5θ of ``model``),
    started from ``model``: the model's best least-squares estimate on them
    (``fit_nonminimal`` followed by a non-linear polish, or either alone).
``refine_weighted(model, idx, weights) -> model`` (optional)
    One round of the sigma-consensus IRLS: a weighted least-squares step
    from ``model`` on the points ``idx``; without it the rounds use
    ``fit_nonminimal(idx, weights)``.
``fit_nonminimal_batch(W) -> (models, valid)`` (optional)
    ``K`` weighted fits at once, ``W`` (K, N) with zero for an unused point:
    row ``k`` is ``fit_nonminimal(idx, W[k, idx])`` for its non-zero ``idx``,
    and ``valid[k]`` is False where that would raise. With it the runners-up
    are optimised together, one batched fit per step (worth it where a fit
    costs many array operations, as the eight-point fit of F does).

References
----------
.. [1] M. A. Fischler and R. C. Bolles, "Random sample consensus", CACM 24(6), 1981.
.. [2] P. H. S. Torr and A. Zisserman, "MLESAC: a new robust estimator with
   application to estimating image geometry", CVIU 78(1), 2000 (MSAC).
.. [3] O. Chum, J. Matas and J. Kittler, "Locally optimized RANSAC", DAGM 2003.
.. [4] D. Nistér, "Preemptive RANSAC for live structure and motion
   estimation", MVA 16(5), 2005.
.. [5] R. Hartley and A. Zisserman, *Multiple View Geometry*, 2nd ed., §4.7,
   algorithm 4.5 and table 4.3.
.. [6] D. Barath, J. Noskova, M. Ivashechkin and J. Matas, "MAGSAC++, a fast,
   reliable and accurate robust estimator", CVPR 2020.
.. [7] K. Lebeda, J. Matas and O. Chum, "Fixing the locally optimized
   RANSAC", BMVC 2012.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from lacv._validate import (
    as_points,
    as_rng,
    check_int,
    check_probability,
    check_same_length,
    check_threshold,
)
from lacv.errors import DegenerateError, EstimationError, InputError
from lacv.geometry._transform_estimator import _TransformEstimator
from lacv.geometry.sampling import (
    NEVER,
    ProgressiveSampler,
    _exact_q,
    _trials_for,
    draw_samples,
    quality_order,
    required_trials,
)
from lacv.geometry.sigma_consensus import (
    _SIGMA_RHO,
    _SIGMA_W,
    _sigma_index,
    sigma_loss,
    sigma_weights,
)
from lacv.geometry.transforms import (
    Homography,
    Transform,
    transform_class,
)

__all__ = [
    "LoopResult",
    "RobustEstimator",
    "RobustResult",
    "draw_samples",
    "ransac",
    "required_trials",
    "run_ransac",
    "sigma_loss",
    "sigma_weights",
]

#: inlier-threshold multipliers of the local optimisation's least-squares steps
_LO_SCHEDULE = (2.0, 1.0)

#: hypotheses whose MSAC cost is within this factor of the best are runners-up (a minimal-
#: sample hypothesis of a competing plane costs up to ~1.3× the locally optimised best) ...
_RUNNER_UP = 1.35
#: ... of which at most this many are optimised after the loop ...
_POOL = 8
#: ... when at most this share (intersection over union) of their inliers are the best's
_OVERLAP = 0.8

#: batches grow up to this multiple of batch_size while many samples remain
_BATCH_GROWTH = 4

#: MSAC costs within this fraction of each other are a tie (broken by the marginal loss)
_TIE = 0.01

#: the final least squares uses the points within this multiple of the threshold
_FINAL_SCALE = 1.5

#: least-squares steps of the sigma local optimisation, and the most IRLS rounds at the end
_SIGMA_LO_STEPS = 3
_SIGMA_FINAL_ROUNDS = 6
#: the local optimisation stops after a step that lowers the MSAC cost by less than this
_SIGMA_LO_GAIN = 0.01
#: the IRLS polish stops when the marginal loss falls by less than this fraction
_SIGMA_FTOL = 1e-4


# --------------------------------------------------------------------------- the generic loop


class RobustEstimator(Protocol):
    """The interface :func:`run_ransac` drives (see the module docstring)."""

    sample_size: int
    n_points: int

    def solve_minimal(self, samples: np.ndarray) -> np.ndarray: ...

    def errors_sq(self, models: np.ndarray, idx: np.ndarray | None) -> np.ndarray: ...

    def fit_nonminimal(self, idx: np.ndarray, weights: np.ndarray | None) -> np.ndarray: ...

    def refine(self, model: np.ndarray, idx: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class LoopResult:
    """What :func:`run_ransac` found (models in the estimator's own representation)."""

    model: np.ndarray
    inliers: np.ndarray
    errors_sq: np.ndarray
    n_trials: int
    n_hypotheses: int
    n_full_scores: int
    n_local_optimizations: int
    stopped: str
    trials_needed: int


def _flatnonzero(mask: np.ndarray) -> np.ndarray:
    # np.flatnonzero for a 1-D array without its Python wrappers (the hot loops call it
    # a dozen times per fit, where the wrappers cost more than the search itself)
    return mask.nonzero()[0]


def _msac(e: np.ndarray, thr2: float) -> np.ndarray:
    # fmin ignores NaN: a point sent to infinity costs the full θ²
    return np.fmin(e, thr2).sum(axis=-1)


def _sigma_cost(e: np.ndarray, thr2: float) -> np.ndarray:
    # MAGSAC++'s marginal loss with σ_max = θ, in pixels² like the MSAC cost
    return sigma_loss(e, math.sqrt(thr2)).sum(axis=-1) * thr2


def run_ransac(est: RobustEstimator, threshold: float, *, confidence: float = 0.999,
               max_trials: int = 10000, rng: Any = None, batch_size: int = 64,
               preemptive_points: int = 256, top_k: int = 3, lo_iterations: int = 4,
               final_rounds: int = 2, min_inliers: int | None = None,
               sigma_consensus: bool = False, order: np.ndarray | None = None) -> LoopResult:
    """The RANSAC loop over any :class:`RobustEstimator` (see the module docstring).

    Parameters
    ----------
    est : RobustEstimator
    threshold : float
        Inlier threshold θ on the error (``errors_sq ≤ θ²``).
    confidence : float
        Probability of having drawn an all-inlier sample when stopping.
    max_trials : int
        Most minimal samples drawn.
    rng : numpy.random.Generator, int or None
    batch_size : int
        Samples solved and scored together.
    preemptive_points : int
        Size ``m`` of the random subset hypotheses are first scored on; all
        points are used when ``N < 2 m``.
    top_k : int
        Hypotheses per batch scored on all points.
    lo_iterations : int
        Least-squares steps per local optimisation: the first
        ``lo_iterations`` of the threshold schedule (2θ, θ); 0 disables LO
        (and the runners-up).
    final_rounds : int
        Refine / re-select rounds on the points within 1.5θ (0: none).
    min_inliers : int, optional
        Fewest inliers of an acceptable model (default ``sample_size``).
    sigma_consensus : bool
        Local optimisation and final fit by MAGSAC++'s marginalised weights
        (:func:`sigma_weights`, ``σ_max = θ``) instead of the 2θ/θ least
        squares and the 1.5θ refinement: the local optimisation takes
        ``min(lo_iterations, 3)`` weighted least-squares steps, and the final
        fit at most 6 IRLS rounds, none when ``final_rounds`` is 0 (``est.refine_weighted``
        when the estimator has it, else weighted ``fit_nonminimal``) while the
        marginal loss (:func:`sigma_loss`) falls.
    order : (N,) ndarray of int, optional
        The points ranked by quality, best first: PROSAC's progressive
        sampling and stopping rule (:class:`~lacv.geometry.sampling.ProgressiveSampler`)
        instead of uniform samples.

    Returns
    -------
    LoopResult

    Raises
    ------
    EstimationError
        Every sample was degenerate, or the best model has fewer than
        ``min_inliers`` inliers; ``.stats`` holds the search statistics.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _run(est, float(threshold), confidence, max_trials, as_rng(rng), batch_size,
                    preemptive_points, top_k, lo_iterations, final_rounds, min_inliers,
                    bool(sigma_consensus), order)


def _run(est: RobustEstimator, threshold: float, confidence: float, max_trials: int,
         rng: np.random.Generator, batch_size: int, preemptive_points: int, top_k: int,
         lo_iterations: int, final_rounds: int, min_inliers: int | None,
         sigma: bool = False, order: np.ndarray | None = None) -> LoopResult:
    n, s = int(est.n_points), int(est.sample_size)
    thr2 = float(threshold) ** 2
    min_inl = s if min_inliers is None else int(min_inliers)
    if n < s:
        raise InputError(f"expected at least {s} correspondences for a minimal sample, got {n}")

    subset = None
    if n >= 2 * preemptive_points:
        # a random subset without replacement; past a few thousand points a full permutation
        # costs ~10x choice's partial shuffle (100 against 9 us at N = 10⁴)
        subset = (rng.choice(n, preemptive_points, replace=False, shuffle=False)
                  if n > 4000 else rng.permutation(n)[:preemptive_points])
    lo: Callable[..., tuple[np.ndarray, np.ndarray, float, int]]
    if sigma:
        lo, lo_arg = _sigma_local_optimization, min(lo_iterations, _SIGMA_LO_STEPS)
    else:
        lo, lo_arg = _local_optimization, _LO_SCHEDULE[:lo_iterations]
    best: np.ndarray | None = None
    best_cost = np.inf
    best_sub_cost = np.inf
    best_sub_stale = False
    best_e: np.ndarray | None = None
    n_best_inl = 0
    pool: list[tuple[float, int, np.ndarray, np.ndarray]] = []
    trials = hyps = full_scores = n_lo = 0
    needed = max_trials
    prosac = None if order is None else ProgressiveSampler(order, s)
    prosac_stop = False
    # the first batch is small: with few outliers a handful of samples suffice (32 covers
    # 30 % outliers in one batch at confidence 0.999)
    batch = min(batch_size, 32)
    while trials < min(needed, max_trials):
        if prosac is not None and prosac.satisfied():
            prosac_stop = True
            break
        b = min(batch, max_trials - trials, max(needed - trials, 8))
        samples = draw_samples(rng, n, s, b) if prosac is None else prosac.draw(rng, b)
        trials += b
        # then full batches, growing to 4× while many samples remain: at high outlier
        # ratios the per-batch overhead (the solver's ~50 array operations) dominates
        batch = batch_size if batch < batch_size else min(2 * batch, _BATCH_GROWTH * batch_size)
        models = est.solve_minimal(samples)
        m = models.shape[0]
        if m == 0:
            continue
        hyps += m
        if subset is not None:
            sub_cost = _msac(est.errors_sq(models, subset), thr2)
            order = np.argsort(sub_cost, kind="stable")[:top_k]
            if best_sub_stale:  # the best's subset cost, once a batch needs it
                best_sub_cost = float(_msac(best_e[subset], thr2))
                best_sub_stale = False
            order = order[sub_cost[order] < best_sub_cost]
            if order.size == 0:
                continue
            cand = models[order]
        else:
            cand = models
        e = est.errors_sq(cand, None)
        full_scores += cand.shape[0]
        cost = _msac(e, thr2)
        j = int(np.argmin(cost))
        if lo_iterations > 0:
            # runners-up: near-best hypotheses, kept for a second look after the loop
            bar = _RUNNER_UP * min(best_cost, float(cost[j]))
            near = np.flatnonzero(cost < bar)
            if near.size > _POOL:  # at high outlier ratios nearly all are "near": the cheapest
                near = near[np.argsort(cost[near], kind="stable")[:_POOL]]
            for i in near:
                if i != j or not cost[j] < best_cost:
                    pool.append((float(cost[i]), len(pool), cand[i], e[i]))
            if len(pool) > 2 * _POOL and best_e is not None:
                pool = _prune(pool, best_e <= thr2, thr2)
        if not cost[j] < best_cost:
            continue
        model, e_j, c_j = cand[j], e[j], float(cost[j])
        if lo_iterations > 0:
            model, e_j, c_j, did = lo(est, model, e_j, c_j, thr2, lo_arg)
            n_lo += did
        best, best_e, best_cost = model, e_j, c_j
        best_sub_stale = subset is not None
        best_in = e_j <= thr2
        n_best_inl = int(np.count_nonzero(best_in))
        needed = _trials_for(_exact_q(n_best_inl, n, s), confidence)
        if prosac is not None:
            prosac.set_best(best_in, confidence)

    stats = {"n_points": n, "n_trials": trials, "n_hypotheses": hyps,
             "best_inliers": n_best_inl, "min_inliers": min_inl, "threshold": threshold}
    if best is None or best_e is None:
        raise EstimationError(f"no model found: all {trials} minimal samples of {n} points were "
                              "degenerate (collinear or coincident points?)", stats=stats)
    if n_best_inl < min_inl:
        raise EstimationError(f"no model found: the best of {hyps} hypotheses has {n_best_inl} "
                              f"inliers, fewer than min_inliers = {min_inl}", stats=stats)

    # A near-best hypothesis whose inliers differ from the best's may be another
    # structure (a second plane) that local optimisation would lift above the best:
    # optimise the few such runners-up too (Kornia keeps its 8 best minimal models
    # for the same reason). One structure's hypotheses overlap and are skipped.
    # With sigma consensus a near-tie on the MSAC cost (within _TIE) between the best and
    # an optimised runner-up is broken by MAGSAC++'s marginal loss: two structures that
    # tie on the truncated cost (a second plane with one inlier fewer but looser
    # residuals) are told apart by it, while a clear MSAC margin still decides.
    # An estimator with ``fit_nonminimal_batch`` optimises all the runners-up at once (the
    # same steps, one batched fit per step instead of one fit per runner-up and step).
    if pool and lo_iterations > 0:
        best_in = best_e <= thr2
        best_rank: float | None = None  # the best's marginal loss, once a tie needs it
        runners = []
        for item in _prune(pool, best_in, thr2):
            if not item[0] < _RUNNER_UP * best_cost:
                break
            runners.append(item)
        optimised: Iterable[tuple[np.ndarray, np.ndarray, float, int]]
        if len(runners) > 1 and hasattr(est, "fit_nonminimal_batch"):
            optimised = _local_optimization_batch(est, runners, thr2, lo_arg, sigma)
        else:  # lazily, so that a runner-up cut off below is never optimised
            optimised = (lo(est, m, e, c, thr2, lo_arg) for c, _, m, e in runners)
        for (c, *_), (m2, e2, c2, did) in zip(runners, optimised, strict=False):
            # (the best may have improved since the list was made: the same cut-off again)
            if not c < _RUNNER_UP * best_cost:
                break
            n_lo += did
            if sigma and abs(c2 - best_cost) <= _TIE * best_cost:
                if best_rank is None:
                    best_rank = float(_sigma_cost(best_e, thr2))
                rank2: float | None = float(_sigma_cost(e2, thr2))
                better = rank2 < best_rank
            else:
                rank2 = None
                better = c2 < best_cost
            if better:
                best, best_e, best_cost, best_rank = m2, e2, c2, rank2
                best_in = best_e <= thr2
        n_best_inl = int(np.count_nonzero(best_in))

    if sigma:
        rounds = _SIGMA_FINAL_ROUNDS if final_rounds > 0 else 0
        model, e_best = _sigma_polish(est, best, best_e, threshold, rounds)
    else:
        model, e_best = _least_squares_polish(est, best, best_e, thr2, final_rounds)
    inliers = e_best <= thr2
    if np.count_nonzero(inliers) < min_inl:
        raise EstimationError("no model found: after refinement the model keeps "
                              f"{int(np.count_nonzero(inliers))} inliers, fewer than "
                              f"min_inliers = {min_inl}", stats=stats)
    stopped = ("confidence reached" if trials >= needed or prosac_stop
               else "max_trials reached")
    return LoopResult(model, inliers, e_best, trials, hyps, full_scores, n_lo, stopped,
                      trials if prosac_stop else int(min(needed, NEVER)))


def _least_squares_polish(est: RobustEstimator, model: np.ndarray, e_best: np.ndarray,
                          thr2: float, rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """Refine on the points within 1.5θ, re-select, at most ``rounds`` times."""
    s = est.sample_size
    # the final fit takes the points within 1.5 θ: clipping at θ the residuals measured
    # from the estimate itself drops the inliers that disagree with it most, a
    # self-selection bias that costs 2–5 % of accuracy (measured on synthetic scenes)
    fin2 = thr2 * _FINAL_SCALE ** 2
    for _ in range(rounds):
        sel = e_best <= fin2
        inl = _flatnonzero(sel)
        if inl.size <= s:
            break
        try:
            refined = est.refine(model, inl)
        except DegenerateError:
            break
        e_new = est.errors_sq(refined[None], None)[0]
        model, e_best = refined, e_new
        # another round only when the selection changed by more than 0.1 %
        if np.count_nonzero((e_new <= fin2) != sel) <= 0.001 * inl.size:
            break
    return model, e_best


def _sigma_polish(est: RobustEstimator, model: np.ndarray, e: np.ndarray, sigma_max: float,
                  rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """Iteratively reweighted least squares with MAGSAC++'s weights (σ-consensus++).

    Each round weights every point by :func:`sigma_weights` of its residual
    under the current model and re-fits (``est.refine_weighted`` when the
    estimator has one, else weighted ``fit_nonminimal``); a round is kept
    when it lowers the marginal loss ``Σ ρ(rᵢ)`` (:func:`sigma_loss`), and
    the rounds stop once it falls by less than ``_SIGMA_FTOL`` of itself.
    """
    s = est.sample_size
    fit = getattr(est, "refine_weighted", None)
    t = _sigma_index(e, sigma_max)  # one table index for the weights and the loss
    loss = float(_SIGMA_RHO[t].sum())
    for _ in range(rounds):
        w = _SIGMA_W[t]
        idx = _flatnonzero(w)
        if idx.size <= s:
            break
        if idx.size < w.size:  # (no copy when every point has weight: no outliers)
            w = w[idx]
        try:
            cand = fit(model, idx, w) if fit is not None else est.fit_nonminimal(idx, w)
        except DegenerateError:
            break
        e_new = est.errors_sq(cand[None], None)[0]
        t_new = _sigma_index(e_new, sigma_max)
        loss_new = float(_SIGMA_RHO[t_new].sum())
        if not loss_new < loss:
            break
        done = loss - loss_new <= _SIGMA_FTOL * loss
        model, e, loss, t = cand, e_new, loss_new, t_new
        if done:
            break
    return model, e


def _sigma_local_optimization(est: RobustEstimator, model: np.ndarray, e: np.ndarray,
                              cost: float, thr2: float, steps: int
                              ) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Weighted least squares with MAGSAC++'s weights (``σ_max = θ``), kept while MSAC falls.

    The weights reach out to ``k·θ`` (``k`` = 3.64), so a hypothesis from a
    noisy minimal sample still pulls in the inliers it puts beyond θ, and
    each point counts by how likely it is an inlier at some σ ≤ θ rather
    than all-or-nothing. It stops early after a step that gains less than
    1 % of the cost.
    """
    s = est.sample_size
    sigma_max = math.sqrt(thr2)
    did = 0
    for _ in range(steps):
        w = sigma_weights(e, sigma_max)
        idx = _flatnonzero(w)
        if idx.size <= s:
            break
        if idx.size < w.size:
            w = w[idx]
        try:
            cand = est.fit_nonminimal(idx, w)
        except DegenerateError:
            break
        did = 1
        e_new = est.errors_sq(cand[None], None)[0]
        c_new = float(_msac(e_new, thr2))
        if not c_new < cost:
            break
        # a step that gains less than 1 % leaves the next one next to nothing (measured:
        # ~0.01 %): stop there
        small = cost - c_new < _SIGMA_LO_GAIN * cost
        model, e, cost = cand, e_new, c_new
        if small:
            break
    return model, e, cost, did


def _local_optimization_batch(est: Any, items: list[tuple[float, int, np.ndarray, np.ndarray]],
                              thr2: float, lo_arg: Any, sigma: bool
                              ) -> list[tuple[np.ndarray, np.ndarray, float, int]]:
    """:func:`_local_optimization` (or the σ version) of several hypotheses at once.

    The same steps and the same acceptance rules as the one-at-a-time
    functions, hypothesis by hypothesis, with one call of the estimator's
    ``fit_nonminimal_batch(W) -> (models, valid)`` per step for all that are
    still running (``W`` (K, N): each one's weights on all points, zero for
    a point it does not use; ``valid`` False where a fit is degenerate, as
    ``fit_nonminimal`` would raise) and one ``errors_sq`` for their results.
    """
    models = np.stack([it[2] for it in items])
    E = np.stack([it[3] for it in items])
    costs = np.array([it[0] for it in items], dtype=np.float64)
    k = len(items)
    s = est.sample_size
    did = np.zeros(k, dtype=bool)
    active = np.ones(k, dtype=bool)
    sigma_max = math.sqrt(thr2)
    for mult in (range(lo_arg) if sigma else lo_arg):
        a = _flatnonzero(active)
        if a.size == 0:
            break
        W = sigma_weights(E[a], sigma_max) if sigma else (E[a] <= thr2 * mult * mult) * 1.0
        enough = np.count_nonzero(W, axis=1) > s
        if sigma:  # too few points stops the σ optimisation; the other skips the step
            active[a[~enough]] = False
        a, W = a[enough], W[enough]
        if a.size == 0:
            continue
        cand, valid = est.fit_nonminimal_batch(W)
        if sigma:
            active[a[~valid]] = False
        a, cand = a[valid], cand[valid]
        if a.size == 0:
            continue
        did[a] = True
        e_new = est.errors_sq(cand, None)
        c_new = _msac(e_new, thr2)
        better = c_new < costs[a]
        if sigma:
            small = costs[a] - c_new < _SIGMA_LO_GAIN * costs[a]
            active[a[~better | small]] = False
        elif mult <= 1.0:
            active[a[~better]] = False
        acc = a[better]
        models[acc], E[acc], costs[acc] = cand[better], e_new[better], c_new[better]
    return [(models[i], E[i], float(costs[i]), int(did[i])) for i in range(k)]


def _prune(pool: list[tuple[float, int, np.ndarray, np.ndarray]], best_in: np.ndarray,
           thr2: float) -> list[tuple[float, int, np.ndarray, np.ndarray]]:
    """The cheapest runners-up, one per distinct inlier set, none mostly the best's.

    Two hypotheses whose inlier sets overlap by more than ``_OVERLAP``
    (intersection over union) count as one structure; only the cheapest of
    each is kept, ``_POOL`` at most. All the intersections come from one
    product of the stacked inlier masks (the greedy choice then reads them).
    """
    items = sorted(pool, key=lambda t: t[:2])
    if not items:
        return []
    # row 0 the best; float32 counts are exact below 2²⁴ points
    X = np.empty((len(items) + 1, best_in.size),
                 dtype=np.float32 if best_in.size < 1 << 24 else np.float64)
    X[0] = best_in
    for i, item in enumerate(items, 1):
        np.less_equal(item[3], thr2, out=X[i])  # (NaN: not an inlier)
    inter = (X @ X.T).tolist()
    size = [row[i] for i, row in enumerate(inter)]
    kept: list[tuple[float, int, np.ndarray, np.ndarray]] = []
    sets = [0]
    for i, item in enumerate(items, 1):
        row = inter[i]
        for j in sets:
            union = size[i] + size[j] - row[j]
            if union and row[j] > _OVERLAP * union:
                break
        else:
            kept.append(item)
            sets.append(i)
            if len(kept) == _POOL:
                break
    return kept


def _local_optimization(est: RobustEstimator, model: np.ndarray, e: np.ndarray, cost: float,
                        thr2: float, schedule: tuple[float, ...]
                        ) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Iterated least squares on the inliers, with a shrinking inlier threshold.

    Step ``k`` re-fits on the points within ``schedule[k]·θ`` and keeps the
    fit when it lowers the MSAC cost at θ. A first step with a wider
    threshold recovers inliers that a hypothesis from a noisy minimal sample
    puts just outside θ (Chum et al. 2003; Lebeda et al. 2012, "LO+").
    """
    s = est.sample_size
    did = 0
    for mult in schedule:
        inl = _flatnonzero(e <= thr2 * mult * mult)
        if inl.size <= s:
            continue
        try:
            cand = est.fit_nonminimal(inl, None)
        except DegenerateError:
            continue
        did = 1
        e_new = est.errors_sq(cand[None], None)[0]
        c_new = float(_msac(e_new, thr2))
        if c_new < cost:
            model, e, cost = cand, e_new, c_new
        elif mult <= 1.0:
            break
    return model, e, cost, did


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class RobustResult:
    """The outcome of :func:`ransac`.

    Attributes
    ----------
    model : Transform
        The estimated transform.
    inliers : (N,) ndarray of bool
        Correspondences whose transfer error is at most ``threshold_px``.
    n_inliers : int
    n_trials : int
        Minimal samples drawn.
    inlier_rms_px : float
        RMS transfer error over the inliers, in pixels.
    residuals_px : (N,) ndarray
        Transfer error of every correspondence under ``model`` (``inf`` for a
        point sent to infinity).
    threshold_px : float
    confidence : float
    trials_needed : int
        The stopping rule's count for the final inlier ratio.
    stopped : str
        ``"confidence reached"`` or ``"max_trials reached"`` (``"all points"``
        for a non-robust fit).
    stats : dict
        Hypotheses scored, full scorings, local optimisations.
    """

    model: Transform
    inliers: np.ndarray
    n_inliers: int
    n_trials: int
    inlier_rms_px: float
    residuals_px: np.ndarray
    threshold_px: float
    confidence: float
    trials_needed: int
    stopped: str
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def inlier_ratio(self) -> float:
        """``n_inliers / N``."""
        return self.n_inliers / self.inliers.size

    def summary(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the result (matrix, counts, errors)."""
        return {
            "model": self.model.kind,
            "matrix": np.asarray(self.model.matrix).tolist(),
            "n_points": int(self.inliers.size),
            "n_inliers": self.n_inliers,
            "inlier_ratio": self.inlier_ratio,
            "inlier_rms_px": self.inlier_rms_px,
            "threshold_px": self.threshold_px,
            "n_trials": self.n_trials,
            "trials_needed": self.trials_needed,
            "confidence": self.confidence,
            "stopped": self.stopped,
            **{k: v for k, v in self.stats.items()},
        }


def ransac(src: Any, dst: Any, model: Any = Homography, threshold_px: float = 3.0,
           confidence: float = 0.999, max_trials: int = 10000, rng: Any = None, *,
           local_optimization: bool = True, refine: bool = True, batch_size: int | None = None,
           preemptive_points: int = 256, min_inliers: int | None = None,
           sigma_consensus: bool = True, scores: Any = None) -> RobustResult:
    """Robustly estimate a transform from correspondences with outliers.

    See the module docstring for the algorithm: batched minimal samples,
    preemptive MSAC scoring, local optimisation, the exact stopping rule and
    a final fit — by default MAGSAC++'s σ-consensus (iteratively reweighted
    least squares with marginalised weights, ``σ_max = threshold_px``).

    Parameters
    ----------
    src, dst : (N, 2) array_like
        Tentative correspondences ``srcᵢ ↔ dstᵢ``.
    model : Transform class, str, or a two-view model
        :class:`Homography` (default), :class:`Affine`, :class:`Similarity`,
        :class:`Euclidean`, :class:`Translation`, or their names; or any
        model with a ``robust_fit`` classmethod or method taking these
        arguments, such as :class:`~lacv.geometry.epipolar.Fundamental` or a
        calibrated ``Essential.calibrated(K1, K2)`` (threshold on the Sampson
        distance), to which the call is handed.
    threshold_px : float
        Inlier threshold on the transfer error ``|T(srcᵢ) − dstᵢ|``, pixels.
    confidence : float
        Probability, in (0, 1), of having drawn an all-inlier sample.
    max_trials : int
        Most minimal samples drawn.
    rng : numpy.random.Generator, int or None
        The same seed gives the same result.
    local_optimization : bool
        Improve each new best hypothesis by (weighted) iterated least squares.
    refine : bool
        Finish with the final fit (IRLS with sigma consensus, else least
        squares and LM on the points within 1.5 ``threshold_px``).
    batch_size : int, optional
        Samples solved and scored per batch; default 128 for the transforms
        (a two-view model uses its own default).
    preemptive_points : int
        Size of the random subset for the first scoring (used when N ≥ twice it).
    min_inliers : int, optional
        Fewest inliers of an acceptable model. Default ``model.min_samples + 1``:
        a model whose only inliers are the points of its own minimal sample fits
        any data exactly, so it is no evidence of a transform (pure noise then
        raises :class:`~lacv.errors.EstimationError` instead of returning it).
    sigma_consensus : bool
        Local optimisation and final fit with MAGSAC++'s marginalised weights
        (``σ_max = threshold_px``; see :func:`run_ransac`); ``False`` for the
        2θ/θ least squares and the 1.5θ Levenberg–Marquardt refinement.
        Ignored by two-view models.
    scores : (N,) array_like, optional
        A quality per correspondence, higher is better (for descriptor
        matches, the negated ratio of Lowe's test). Samples are then drawn
        from the best-scored correspondences first and the search stops as
        soon as a top-ranked subset is explained with ``confidence`` (PROSAC;
        :class:`~lacv.geometry.sampling.ProgressiveSampler`): with a useful
        ranking it needs far fewer samples, and with a useless one it is
        still RANSAC.

    Returns
    -------
    RobustResult

    Raises
    ------
    InputError
        Bad points, too few of them, or bad options.
    EstimationError
        No model found (all samples degenerate, too few inliers); the
        exception's ``stats`` hold the search statistics.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> H = Homography([[1.0, 0.05, 10.0], [0.02, 0.95, -5.0], [1e-4, 0.0, 1.0]])
    >>> src = rng.uniform(0, 640, (200, 2))
    >>> dst = H(src) + rng.normal(0, 0.5, (200, 2))
    >>> dst[:60] = rng.uniform(0, 640, (60, 2))            # 30 % outliers
    >>> res = ransac(src, dst, Homography, threshold_px=3.0, rng=1)
    >>> res.n_inliers >= 138, bool(res.inliers[:60].sum() <= 2)
    (True, True)
    """
    if not isinstance(model, str) and hasattr(model, "robust_fit"):
        # a model with its own minimal solvers and scoring (F, E) runs the same loop
        return model.robust_fit(src, dst, threshold_px, confidence, max_trials, rng,
                                local_optimization=local_optimization, refine=refine,
                                preemptive_points=preemptive_points, min_inliers=min_inliers,
                                scores=scores,
                                **({} if batch_size is None else {"batch_size": batch_size}))
    cls = transform_class(model)
    s = as_points(src, "src", min_count=cls.min_samples)
    d = as_points(dst, "dst", min_count=cls.min_samples)
    check_same_length(src=s, dst=d)
    thr = check_threshold(threshold_px, "threshold_px")
    conf = check_probability(confidence, "confidence")
    max_trials = check_int(max_trials, "max_trials", minimum=1)
    batch_size = 128 if batch_size is None else check_int(batch_size, "batch_size", minimum=1)
    preemptive_points = check_int(preemptive_points, "preemptive_points", minimum=cls.min_samples)
    if min_inliers is None:
        min_inliers = cls.min_samples + 1
    else:
        min_inliers = check_int(min_inliers, "min_inliers", minimum=cls.min_samples)
    order = quality_order(scores, s.shape[0])
    generator = as_rng(rng)
    try:
        est = _TransformEstimator(cls, s, d)
    except DegenerateError as exc:
        raise EstimationError(f"no model found: {exc}", stats={"n_points": s.shape[0]}) from exc
    loop = run_ransac(est, thr, confidence=conf, max_trials=max_trials, rng=generator,
                      batch_size=batch_size, preemptive_points=preemptive_points,
                      lo_iterations=4 if local_optimization else 0,
                      final_rounds=2 if refine else 0, min_inliers=min_inliers,
                      sigma_consensus=sigma_consensus, order=order)
    T = est.to_pixels(loop.model)
    # the loop's errors are those of T (normalisation is a similarity: distances scale)
    resid = np.sqrt(loop.errors_sq)
    inliers = loop.inliers
    n_in = int(np.count_nonzero(inliers))
    rms = math.sqrt(float(np.mean(loop.errors_sq[inliers]))) if n_in else float("inf")
    stats = {"n_hypotheses": loop.n_hypotheses, "n_full_scores": loop.n_full_scores,
             "n_local_optimizations": loop.n_local_optimizations,
             "sampling": "uniform" if order is None else "PROSAC"}
    return RobustResult(T, inliers, n_in, loop.n_trials, rms, resid, thr, conf,
                        loop.trials_needed, loop.stopped, stats)
