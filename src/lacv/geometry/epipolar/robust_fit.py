r"""The robust estimator of ``Fundamental`` and ``Essential``: the RANSAC loop's model interface.

:class:`_TwoViewEstimator` plugs two-view geometry into the project's
vectorised RANSAC loop (:func:`lacv.geometry.robust.run_ransac`), and
:func:`_robust` runs it for :meth:`Fundamental.robust_fit
<lacv.geometry.epipolar.Fundamental.robust_fit>` and :meth:`Essential.robust_fit
<lacv.geometry.epipolar.Essential.robust_fit>` (see :mod:`lacv.geometry.epipolar.models`
for the algorithm and its references): seven-point (or five-point) minimal
samples, Sampson scoring, reweighted eight-point local optimisation, the
Gauss–Newton polish, the plane-and-parallax alternative and the homography
degeneracy warning.

Convention (OpenCV's): ``x2ᵀ F x1 = 0`` in pixels and ``x̂2ᵀ E x̂1 = 0`` in
calibrated coordinates ``x̂ = K⁻¹ x̃``.
"""


from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from lacv.errors import DegenerateError, EstimationError, RankDeficientWarning
from lacv.geometry._minimal import homography_4pt
from lacv.geometry.epipolar.essential import (
    _inv_K,
    check_intrinsics,
    project_to_essential,
)
from lacv.geometry.epipolar.fivepoint import five_point_batch
from lacv.geometry.epipolar.fundamental import (
    _MIX9,
    _NULLITY_RTOL,
    _design_rows,
    _seven_point_models,
    _unit,
)
from lacv.geometry.epipolar.refinement import (
    gauss_newton_polish,
    padded_metric,
    pixel_metric,
    refine_working,
)
from lacv.geometry.homogeneous import _hartley, normalize_points
from lacv.geometry.sampling import draw_samples

if TYPE_CHECKING:
    from lacv.geometry.epipolar.models import Essential, Fundamental

#: fraction of the inliers a single homography must explain for the degeneracy warning
_PLANE_FRACTION = 0.9
#: fraction of the inliers on one homography above which plane + parallax is tried
_PARALLAX_FRACTION = 0.5
#: ... and wins when it adds more than this fraction of inliers (and at least 3)
_PARALLAX_GAIN = 0.01
#: the final polish uses correspondences within this many thresholds (Sampson distance) ...
_POLISH_BAND = 2.0
#: ... with plain least squares (None), or the Cauchy loss of this many thresholds
_POLISH_CAUCHY: float | None = None
#: relative cost decrease at which the robust fit's final LM stops (Cauchy polish, fallback)
_POLISH_FTOL = 1e-4
#: below this many correspondences the search runs this many times and keeps the result with
#: the lowest truncated cost (a search costs 1–3 ms there, and one alone is unreliable: on
#: kusvod2 ``plant``, N = 30, seeds 0–4 gave 45, 1.3, 1.3, 17, 1.3 px, best of 3: ≤ 2.3 px)
_RESTART_BELOW = 100
_RESTARTS = 3
#: IRLS reweightings inside a non-minimal fit
_IRLS_STEPS = 1


# --------------------------------------------------------------------------- the estimator


def _homogeneous(x: np.ndarray) -> np.ndarray:
    """``(N, 3)`` rows ``(x, y, 1)`` (``np.c_`` costs ten times as much)."""
    h = np.empty((len(x), 3))
    h[:, :2] = x
    h[:, 2] = 1.0
    return h


def _all_distinct(x1: np.ndarray, x2: np.ndarray) -> bool:
    """No correspondence ``(x1ᵢ, x2ᵢ)`` occurs twice (exactly).

    A generic linear key sorts first (identical rows have identical keys);
    only when two keys tie are the rows compared exactly.
    """
    key = np.sort(x1 @ _KEY2[:2] + x2 @ _KEY2[2:])
    if np.all(key[1:] != key[:-1]):
        return True
    order = np.lexsort((x2[:, 1], x2[:, 0], x1[:, 1], x1[:, 0]))
    s1, s2 = x1[order], x2[order]
    return not bool(np.any((s1[1:, 0] == s1[:-1, 0]) & (s1[1:, 1] == s1[:-1, 1])
                           & (s2[1:, 0] == s2[:-1, 0]) & (s2[1:, 1] == s2[:-1, 1])))


_ONES4 = np.ones(4)
#: the generic weights of _all_distinct's sort key
_KEY2 = np.array([1.0, np.sqrt(2.0), np.pi, np.e])


class _TwoViewEstimator:
    """A :class:`lacv.geometry.robust.RobustEstimator` for F or E (module docstring)."""

    sample_size = 7

    def __init__(self, x1: np.ndarray, x2: np.ndarray, A1: np.ndarray, A2: np.ndarray,
                 essential: bool):
        self.n_points = len(x1)
        self.essential = essential
        self.A1, self.A2 = A1, A2
        self.h1 = _homogeneous(x1) @ A1.T  # working-frame points, rows (N, 3)
        self.h2 = _homogeneous(x2) @ A2.T
        self.h12 = np.concatenate([self.h1, self.h2], axis=1)  # (N, 6)
        self.w1 = np.ascontiguousarray(self.h1[:, :2])
        self.w2 = np.ascontiguousarray(self.h2[:, :2])
        self.c1 = np.ascontiguousarray(self.h1.T)  # columns (3, N) for batched scoring
        self.c2 = np.ascontiguousarray(self.h2.T)
        self.rows = _design_rows(self.w1, self.w2)  # (N, 9): x̂2ᵀ F x̂1 = rows · vec(F)
        self.rows_t = np.ascontiguousarray(self.rows.T)  # (9, N) for batched scoring
        self.rows_mixed = self.rows @ _MIX9  # the seven-point solver's mixed unknowns
        # no correspondence repeated: the seven-point LU can skip its determinant test
        # (_null_space_7x9's hadamard=False; a repeated one makes a sample's block singular)
        self.distinct = _all_distinct(x1, x2)
        self._log_rows7: np.ndarray | None = None
        # pixel lines from working-frame ones: (F_px x1)₁,₂ = B₂ (F x̂1)₁,₂, B = A[:2, :2]ᵀ
        self.B1 = np.ascontiguousarray(A1[:2, :2].T)
        self.B2 = np.ascontiguousarray(A2[:2, :2].T)
        self.Q1, self.Q2 = pixel_metric(A1), pixel_metric(A2)
        self.Q1e, self.Q2e = padded_metric(self.Q1), padded_metric(self.Q2)
        self._sub_idx: np.ndarray | None = None
        self._sub = (self.c1, self.c2, self.rows_t)
        #: (band_px, cauchy_px) of the final polish, or None for plain least squares on inliers
        self.polish: tuple[float, float] | None = None
        self.score_power = 2.0
        self.thr2 = 1.0

    @property
    def log_rows7(self) -> np.ndarray:
        """log‖row‖ over the first seven mixed unknowns (the seven-point solver's rank test)."""
        if self._log_rows7 is None:
            r7 = self.rows_mixed[:, :7]
            self._log_rows7 = 0.5 * np.log(np.maximum(np.einsum("ni,ni->n", r7, r7), 1e-300))
        return self._log_rows7

    def configure(self, threshold: float) -> None:
        """Robust scoring and polishing for the inlier threshold θ (pixels).

        - Scores: the loop's truncated cost ``Σ min(g(eᵢ²), θ²)`` sees
          ``g(e²) = θ·e`` instead of ``e²`` (the same inliers, ``e ≤ θ``): a
          truncated L1 cost, closer to counting inliers, which on real pairs
          chose the right model where the quadratic cost preferred one that
          fits a dominant plane very closely and little else.
        - Polish: the final Gauss–Newton polish runs on every correspondence
          within ``2θ`` of the current model, not only on the inliers:
          clipping at θ the residuals of the estimate itself drops the true
          inliers that disagree with it most and biases the fit. On the
          synthetic benchmark this beat a Cauchy loss over ``3θ`` (which
          down-weights good points) by 5–10 %; on kusvod2 the two tie.
        """
        self.thr2 = threshold * threshold
        self.score_power = 1.0
        self.polish = (_POLISH_BAND * threshold,
                       None if _POLISH_CAUCHY is None else _POLISH_CAUCHY * threshold)

    @classmethod
    def fundamental(cls, x1: np.ndarray, x2: np.ndarray) -> _TwoViewEstimator:
        _, T1 = normalize_points(x1)
        _, T2 = normalize_points(x2)
        return cls(x1, x2, T1, T2, essential=False)

    @classmethod
    def essential(cls, x1: np.ndarray, x2: np.ndarray, K1: Any, K2: Any) -> _TwoViewEstimator:
        A1 = _inv_K(check_intrinsics(K1, "K1"))
        A2 = _inv_K(check_intrinsics(K2, "K2"))
        return cls(x1, x2, A1, A2, essential=True)

    def to_pixels(self, M: np.ndarray) -> np.ndarray:
        """``F_px = A₂ᵀ M A₁`` (for E: the fundamental matrix; see :meth:`model`)."""
        return self.A2.T @ M @ self.A1

    def model(self, M: np.ndarray) -> Fundamental | Essential:
        from lacv.geometry.epipolar.models import Essential, Fundamental

        return Essential._trusted(M) if self.essential else Fundamental._trusted(self.to_pixels(M))

    # -- the RobustEstimator interface ----------------------------------------------

    def solve_minimal(self, samples: np.ndarray) -> np.ndarray:
        if self.sample_size == 5:
            E, ok = five_point_batch(self.w1[samples], self.w2[samples])
            return E[ok]
        if self.distinct:
            M = _seven_point_models(self.rows_mixed[samples], hadamard=False)
        else:
            M = _seven_point_models(self.rows_mixed[samples], self.log_rows7[samples].sum(axis=1))
        if self.essential and M.shape[0]:
            M = project_to_essential(M)
        return M

    def errors_sq(self, models: np.ndarray, idx: np.ndarray | None) -> np.ndarray:
        if self.score_power == 1.0:
            # the reshaping of configure(), g = θ² (e/θ) = θ·|x̂2ᵀFx̂1|/√D, without squaring
            e, den = self._sampson_terms(models, idx)
            np.abs(e, out=e)
            e *= np.sqrt(self.thr2)
            return self._divide(e, np.sqrt(den, out=den))
        out = self.sampson_sq(models, idx)
        if self.score_power != 2.0:
            # a monotone reshaping that keeps e² ≤ θ² ⇔ g ≤ θ²: g = θ² (e/θ)^p
            out = self.thr2 * (out / self.thr2) ** (0.5 * self.score_power)
        return out

    def sampson_sq(self, models: np.ndarray, idx: np.ndarray | None) -> np.ndarray:
        """Squared Sampson distances in pixels² of ``M`` models on the points ``idx`` (or all)."""
        e, den = self._sampson_terms(models, idx)
        return self._divide(np.multiply(e, e, out=e), den)

    @staticmethod
    def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        """``num / den`` in place, 0 where ``den = 0`` (a point at both epipoles)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(num, den, out=num)
        if not np.all(den):
            num[den == 0] = 0.0
        return num

    def _sampson_terms(self, models: np.ndarray, idx: np.ndarray | None
                       ) -> tuple[np.ndarray, np.ndarray]:
        r"""``e = x̂2ᵀ F x̂1`` and the Sampson denominator ``D`` in pixels, both (M, K).

        Three matrix products for all models at once: ``e`` from the design
        rows (``vec(F) · kron(x̂2, x̂1)``), and the first two entries of both
        epipolar lines in pixels from the stacked ``B₂ F[:2]`` and
        ``B₁ F[:, :2]ᵀ`` (``D = aᵀQ₂a + bᵀQ₁b = |B₂a|² + |B₁b|²``).
        """
        if idx is None:
            c1, c2, rt = self.c1, self.c2, self.rows_t
        else:
            if idx is not self._sub_idx:
                self._sub_idx = idx
                self._sub = (np.ascontiguousarray(self.c1[:, idx]),
                             np.ascontiguousarray(self.c2[:, idx]),
                             np.ascontiguousarray(self.rows_t[:, idx]))
            c1, c2, rt = self._sub
        m = models.shape[0]
        e = models.reshape(m, 9) @ rt
        # the line coefficients grouped by component, (2, M, 3): each component of every
        # model's lines is then one contiguous (M, K) block
        g1 = (self.B2 @ models[:, :2, :]).transpose(1, 0, 2).reshape(2 * m, 3)
        g2 = (self.B1 @ np.swapaxes(models[:, :, :2], 1, 2)).transpose(1, 0, 2).reshape(2 * m, 3)
        a = (g1 @ c1).reshape(2, m, -1)
        b = (g2 @ c2).reshape(2, m, -1)
        # squares and sums in place, D in a[0]: at M = 181 models two
        # einsum("mjk,mjk->mk") took 3.5× as long, and a strided D made the sqrt 2× slower
        a *= a
        b *= b
        den = a[0]
        den += a[1]
        den += b[0]
        den += b[1]
        return e, den

    def fit_nonminimal(self, idx: np.ndarray, weights: np.ndarray | None, *,
                       irls: bool = True) -> np.ndarray:
        rows = self.rows[idx]
        v = self._linear(rows, weights)
        if irls:
            h12 = self.h12[idx]
            for _ in range(_IRLS_STEPS):
                # weights 1/D turn the algebraic error e² into the Sampson error e²/D (their
                # scale does not matter: the null vector and the rank test are scale-free);
                # D from the null vector itself (its rank-2 projection changed no result on
                # the benchmark or kusvod2, and costs a third of a step)
                D = self._denominators(v, h12)
                if not np.all(D > 0):
                    break
                ww = np.reciprocal(D, out=D)
                if weights is not None:
                    ww *= weights
                v = self._linear(rows, ww)
        return self._project(v[None])[0]

    def _denominators(self, M: np.ndarray, h12: np.ndarray) -> np.ndarray:
        """Sampson denominators ``D = |B₂(F x̂1)₁,₂|² + |B₁(Fᵀ x̂2)₁,₂|²`` in pixels², (k,).

        One product of the stacked points ``[x̂1 | x̂2]`` (k, 6) with the block
        matrix of both images' line coefficients (6, 4).
        """
        G = np.zeros((6, 4))
        G[:3, :2] = (self.B2 @ M[:2]).T
        G[3:, 2:] = M[:, :2] @ self.B1.T
        L = h12 @ G
        L *= L
        return L @ _ONES4  # (row sums by a product: faster than a short-axis reduction)

    @staticmethod
    def _linear(rows: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        """The (weighted) eight-point fit from design rows: the 9×9 scatter's null vector.

        ``Σ wᵢ aᵢaᵢᵀ`` (``aᵢ`` the rows, already in the normalised working
        frame) has the smallest eigenvector ``vec(F)``, returned as a (3, 3)
        matrix of unit norm (not yet of rank 2: :meth:`_project`); its
        second-smallest eigenvalue must stand clear of rounding (a null space
        of dimension ≥ 2 is degenerate).
        """
        S = rows.T @ (rows if w is None else rows * w[:, None])
        evals, evecs = np.linalg.eigh(S)
        if not evals[1] > _NULLITY_RTOL * evals[-1]:
            raise DegenerateError("the inliers do not determine the epipolar geometry (the "
                                  "eight-point system has a null space of dimension ≥ 2)")
        return evecs[:, 0].reshape(3, 3)

    def _project(self, V: np.ndarray) -> np.ndarray:
        """Rank 2 (or, for E, singular values ``(1, 1, 0)``) and unit norm for (K, 3, 3), by SVD."""
        U, sv, Vt = np.linalg.svd(V)
        if self.essential:
            return (U[:, :, :2] @ Vt[:, :2]) / np.sqrt(2.0)
        M = (U[:, :, :2] * sv[:, None, :2]) @ Vt[:, :2]
        M /= np.sqrt(sv[:, 0] ** 2 + sv[:, 1] ** 2)[:, None, None]
        return M

    def fit_nonminimal_batch(self, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`fit_nonminimal` for ``K`` weight vectors at once (the loop's runners-up).

        Row ``k`` of ``W`` (K, N) weighs every correspondence (0: not used), so
        ``fit_nonminimal(idx, w)`` is row ``W[k, idx] = w``: the same weighted
        eight-point scatter, one Sampson reweighting, and the rank-2 (or
        essential) projection, with batched ``eigh`` and ``svd``. Returns the
        models (K, 3, 3) and ``valid`` (K,), False where ``fit_nonminimal``
        would raise :class:`~lacv.errors.DegenerateError`.
        """
        pos = W > 0
        S = (self.rows_t * W[:, None, :]) @ self.rows  # (K, 9, 9) = Σ wᵢ aᵢaᵢᵀ
        V, ok = self._linear_batch(S)
        for _ in range(_IRLS_STEPS):
            _, D = self._sampson_terms(V, None)  # (K, N): the Sampson denominators
            run = ok & np.all(D > 0, axis=1, where=pos)
            if not run.any():
                break
            r = np.flatnonzero(run)
            ww = np.divide(1.0, D[r], out=np.zeros((r.size, W.shape[1])), where=pos[r])
            ww *= W[r]
            V[r], ok_r = self._linear_batch((self.rows_t * ww[:, None, :]) @ self.rows)
            ok[r] &= ok_r
        return self._project(V), ok

    @staticmethod
    def _linear_batch(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_linear` of stacked scatters ``S`` (K, 9, 9): null vectors and rank flags."""
        evals, evecs = np.linalg.eigh(S)
        ok = evals[:, 1] > _NULLITY_RTOL * evals[:, -1]
        return evecs[:, :, 0].reshape(-1, 3, 3), ok

    def refine(self, model: np.ndarray, idx: np.ndarray) -> np.ndarray:
        if self.polish is not None:
            # the polish chooses its own points: those within the band of the raw Sampson
            # distance (the loop's ``idx`` is measured on the reshaped score)
            band, scale = self.polish
            near = np.flatnonzero(self.sampson_sq(model[None], None)[0] <= band * band)
            if near.size >= 8:
                idx = near
        if idx.size < 8:
            return model
        scale = None if self.polish is None else self.polish[1]
        steps = 0
        if scale is None:
            # least squares from a start within a few per cent of the optimum: Gauss–Newton
            # converges in one or two steps (LM with ftol = 10⁻⁴ took 3.8 linearisations and
            # stopped short of the minimum; same accuracy on the benchmark and kusvod2)
            M, steps = gauss_newton_polish(model, self.h1[idx], self.h2[idx], self.rows[idx],
                                           self.Q1e, self.Q2e, essential=self.essential,
                                           with_steps=True)
        if steps == 0:
            # the Cauchy loss, or a start not close enough for an undamped step: LM from it
            M, _ = refine_working(model, self.h1[idx], self.h2[idx], self.Q1, self.Q2, 10,
                                  essential=self.essential, cauchy_px=scale,
                                  ftol=_POLISH_FTOL, predicted_stop=True)
        return _unit(M)


# --------------------------------------------------------------------------- robust fit


def _homography_fraction(est: _TwoViewEstimator, a: np.ndarray, b: np.ndarray,
                         mask: np.ndarray, threshold: float, rng: np.random.Generator,
                         draws: int = 80) -> float:
    """Share of the correspondences ``mask`` that one homography maps within ``threshold`` px.

    ``draws`` minimal samples of 4, solved and scored in one batch (the
    batched four-point solver of :mod:`lacv.geometry._minimal` on
    Hartley-normalised points, transfer errors in pixels); the best count
    wins. A plane holding half the points gives an all-inlier sample with
    probability 1/16 per draw: 80 draws miss it with probability
    ``(15/16)⁸⁰ ≈ 6·10⁻³``. (A full RANSAC call cost five times as much for
    the same count.)

    The points are those of ``est``'s working frame when it is a Hartley
    normalisation (of all the correspondences: a similarity, so transfer
    errors are pixels times its scale), else ``a``, ``b`` normalised here.
    The test ``|x' − H(x)|² ≤ θ²`` is scored as ``|w x' − (Hx)₁,₂|² ≤ θ² w²``
    (``w = (Hx)₃``), without a division, from one ``(3·draws, 3) × (3, n)``
    product whose rows are grouped by coordinate (contiguous blocks: 2.5× faster
    than the per-model ``(draws, 3, n)`` layout).
    """
    n = int(np.count_nonzero(mask))
    if n < 8:
        return 0.0
    if est.essential:
        try:
            s1, _ = _hartley(a[mask])
            s2, T2 = _hartley(b[mask])
        except DegenerateError:
            return 0.0
        scale = T2[0, 0]
    else:
        s1, s2, scale = est.w1[mask], est.w2[mask], est.A2[0, 0]
    samples = draw_samples(rng, n, 4, draws)
    H, ok = homography_4pt(s1[samples], s2[samples])
    m = int(np.count_nonzero(ok))
    if m == 0:
        return 0.0
    src = np.empty((3, n))
    src[:2] = s1.T
    src[2] = 1.0
    # rows of H grouped by coordinate, so that each of (Hx)₁, (Hx)₂, w is a contiguous block
    ex, ey, w = (H[ok].transpose(1, 0, 2).reshape(3 * m, 3) @ src).reshape(3, m, n)
    ex -= w * s2[:, 0]
    ex *= ex
    ey -= w * s2[:, 1]
    ey *= ey
    ex += ey
    w *= w
    w *= (threshold * scale) ** 2
    return int(np.count_nonzero(ex <= w, axis=1).max()) / n


def _plane_and_parallax(est: _TwoViewEstimator, a: np.ndarray, b: np.ndarray, thr: float,
                        rng: np.random.Generator, max_pairs: int = 2048) -> np.ndarray | None:
    r"""A fundamental matrix through a dominant plane's homography and two off-plane points.

    When most inliers lie on one plane, seven-point samples drawn from the
    plane give a wrong ``F`` that still explains the plane (H&Z §11.9.2).
    Given the plane's homography ``H``, every ``F`` compatible with it is
    :math:`F = [e_2]_\times H` (H&Z result 13.3), and the epipole is where
    the lines :math:`l_i = (H \tilde x_{1i}) \times \tilde x_{2i}` of the
    off-plane correspondences meet: two of them fix it,
    :math:`e_2 = l_i \times l_j` (plane plus parallax, H&Z algorithm 13.2;
    the idea of DEGENSAC, Chum, Werner & Matas 2005). Pairs of off-plane
    points are tried in one batch and the best is polished like any
    hypothesis. Returns the model in ``est``'s working frame, or ``None``.
    """
    from lacv.geometry.robust import ransac
    from lacv.geometry.transforms import Homography

    try:
        hres = ransac(a, b, Homography, threshold_px=thr, rng=rng, max_trials=1024)
    except (EstimationError, DegenerateError):
        return None
    off = np.flatnonzero(~hres.inliers)
    if off.size < 2:
        return None
    Hw = est.A2 @ np.asarray(hres.model.matrix) @ np.linalg.inv(est.A1)
    lines = np.cross(est.h1[off] @ Hw.T, est.h2[off])  # (n_off, 3)
    n = off.size
    if n * (n - 1) // 2 <= max_pairs:
        i, j = np.triu_indices(n, 1)
    else:
        i = rng.integers(0, n, max_pairs)
        j = (i + rng.integers(1, n, max_pairs)) % n
    e2 = np.cross(lines[i], lines[j])
    norm = np.linalg.norm(e2, axis=1)
    keep = norm > 0
    if not keep.any():
        return None
    e2 = e2[keep] / norm[keep, None]
    ex = np.zeros((len(e2), 3, 3))
    ex[:, 0, 1], ex[:, 0, 2], ex[:, 1, 2] = -e2[:, 2], e2[:, 1], -e2[:, 0]
    ex[:, 1, 0], ex[:, 2, 0], ex[:, 2, 1] = e2[:, 2], -e2[:, 1], e2[:, 0]
    models = _unit(ex @ Hw)
    if est.essential:
        models = project_to_essential(models)
    e = est.errors_sq(models, None)
    # most inliers first (the comparison the caller makes), the truncated cost breaking ties
    count = np.count_nonzero(e <= thr * thr, axis=1)
    cost = np.minimum(e, thr * thr).sum(axis=1) / (thr * thr * e.shape[1] + 1.0)
    best = models[int(np.argmax(count - cost))]
    inl = np.flatnonzero(est.errors_sq(best[None], None)[0] <= thr * thr)
    if inl.size < 8:
        return None
    try:
        return est.refine(est.fit_nonminimal(inl, None), inl)
    except DegenerateError:
        return best


def _robust(est: _TwoViewEstimator, a: np.ndarray, b: np.ndarray, threshold_px: float,
            confidence: float, max_trials: int, rng: Any, local_optimization: bool,
            refine: bool, batch_size: int, preemptive_points: int,
            min_inliers: int | None, essential: _TwoViewEstimator | None = None,
            scores: Any = None) -> Any:
    """Run the RANSAC loop with ``est``; with ``essential``, finish on the essential manifold."""
    from lacv._validate import as_rng, check_int, check_probability, check_threshold
    from lacv.geometry.robust import RobustResult, run_ransac
    from lacv.geometry.sampling import quality_order

    thr = check_threshold(threshold_px, "threshold_px")
    conf = check_probability(confidence, "confidence")
    max_trials = check_int(max_trials, "max_trials", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    preemptive_points = check_int(preemptive_points, "preemptive_points", minimum=7)
    min_inl = 8 if min_inliers is None else check_int(min_inliers, "min_inliers", minimum=8)
    order = quality_order(scores, len(a))
    generator = as_rng(rng)
    for e in (est, essential):
        if e is not None:
            e.configure(thr)
    def search() -> Any:
        return run_ransac(est, thr, confidence=conf, max_trials=max_trials, rng=generator,
                          batch_size=batch_size, preemptive_points=preemptive_points,
                          lo_iterations=4 if local_optimization else 0,
                          final_rounds=2 if refine else 0, min_inliers=min_inl, order=order)

    loop = search()
    if est.n_points < _RESTART_BELOW:
        thr2 = thr * thr
        best_cost = float(np.minimum(loop.errors_sq, thr2).sum())
        for _ in range(_RESTARTS - 1):
            try:
                other = search()
            except EstimationError:
                continue
            c = float(np.minimum(other.errors_sq, thr2).sum())
            if c < best_cost:
                loop, best_cost = other, c
    final, M = est, loop.model
    if essential is not None:
        # E = K₂ᵀ F K₁ on the essential manifold, then refined over its 5 dof on the inliers
        final = essential
        F_px = est.to_pixels(M)
        M = project_to_essential(np.linalg.solve(essential.A2.T, F_px)
                                 @ np.linalg.inv(essential.A1))
        # the projection moves the epipolar lines by ~‖ΔE‖·f pixels, so the first refinement
        # runs to convergence on the inliers of F (not on the projection's own, which can be
        # few), and the later rounds are the usual polish
        inl = np.flatnonzero(loop.inliers)
        if refine and inl.size >= 8:
            M, _ = refine_working(M, final.h1[inl], final.h2[inl], final.Q1, final.Q2, 30,
                                  essential=True)
            M = _unit(M)
            for _ in range(2):
                inl = np.flatnonzero(final.sampson_sq(M[None], None)[0] <= thr * thr)
                if inl.size < 8:
                    break
                M = final.refine(M, inl)
    if final is est and est.score_power == 1.0:
        # the loop's errors of its model are θ·d (configure()): the Sampson distances d
        resid = loop.errors_sq / thr
    else:
        resid = np.sqrt(final.sampson_sq(M[None], None)[0])  # pixels, as sampson_distance
    inliers = resid <= thr
    plane = _homography_fraction(est, a, b, inliers, 2.0 * thr, generator)
    parallax = False
    if plane >= _PARALLAX_FRACTION:
        # a dominant plane: try plane + parallax, keep it if it explains more correspondences
        alt = _plane_and_parallax(final, a, b, thr, generator)
        if alt is not None:
            r_alt = np.sqrt(final.sampson_sq(alt[None], None)[0])
            n_now = np.count_nonzero(inliers)
            # a clear gain only: one or two extra inliers are noise, not a missed structure
            if np.count_nonzero(r_alt <= thr) > n_now + max(2, _PARALLAX_GAIN * n_now):
                M, resid, inliers, parallax = alt, r_alt, r_alt <= thr, True
                plane = _homography_fraction(est, a, b, inliers, 2.0 * thr, generator)
    model = final.model(M)
    n_in = int(np.count_nonzero(inliers))
    if n_in < min_inl:
        raise EstimationError(f"no model found: the final model keeps {n_in} inliers, fewer "
                              f"than min_inliers = {min_inl}",
                              stats={"n_points": len(a), "n_trials": loop.n_trials})
    rms = float(np.sqrt(np.mean(resid[inliers] ** 2)))
    if plane >= _PLANE_FRACTION:
        warnings.warn(
            f"{plane:.0%} of the {n_in} inliers are consistent with one homography (a plane, or "
            "a camera that only rotates): the epipolar geometry is not determined by them and "
            f"this {model.kind} matrix is one of many", RankDeficientWarning, stacklevel=3)
    stats = {"n_hypotheses": loop.n_hypotheses, "n_full_scores": loop.n_full_scores,
             "n_local_optimizations": loop.n_local_optimizations,
             "sampling": "uniform" if order is None else "PROSAC",
             "homography_fraction": plane, "plane_and_parallax": parallax}
    return RobustResult(model, inliers, n_in, loop.n_trials, rms, resid, thr, conf,
                        loop.trials_needed, loop.stopped, stats)
