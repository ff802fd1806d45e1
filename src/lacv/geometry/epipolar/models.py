r"""``Fundamental`` and ``Essential``: epipolar geometries as values, with robust estimation.

Convention (OpenCV's): ``x2ᵀ F x1 = 0`` in pixels and ``x̂2ᵀ E x̂1 = 0`` in
calibrated coordinates ``x̂ = K⁻¹ x̃``, ``E = [t]ₓR = K₂ᵀ F K₁``.

Both are immutable values holding a 3×3 matrix of unit Frobenius norm, like
the transforms of :mod:`lacv.geometry.transforms`, with classmethod
constructors that return new values:

- ``from_points`` — all correspondences, no outliers: the normalised
  eight-point algorithm (``Essential``: on calibrated points, projected on the
  essential manifold), optionally refined by Levenberg–Marquardt on the
  Sampson error over a minimal parametrisation
  (:mod:`~lacv.geometry.epipolar.refinement`).
- ``robust_fit`` — correspondences with outliers, through the project's
  vectorised RANSAC loop (:func:`lacv.geometry.robust.run_ransac`) with the
  estimator below; ``ransac(x1, x2, model=Fundamental, threshold_px=1.0)``
  calls it.

The robust estimator (:class:`_TwoViewEstimator`, in
:mod:`lacv.geometry.epipolar.robust_fit`) works in a *working frame*
``x̂ = A x̃`` (Hartley normalisation for F, ``K⁻¹`` for E) and provides:

- minimal samples of 7 solved by the batched seven-point algorithm (up to
  three hypotheses each; samples whose 7×9 system has rank < 7, whose cubic
  degenerates, or whose solutions violate the oriented epipolar constraint
  are dropped — Chum, Werner & Matas 2004); for E each solution is projected
  on the essential manifold;
- squared Sampson distances in pixels for scoring (MSAC);
- non-minimal fits for local optimisation: the eight-point algorithm
  reweighted once by the inverse Sampson denominators, which turns its
  algebraic error into the Sampson error (iteratively reweighted least
  squares; Torr & Murray 1997; H&Z §11.4.3);
- a final refinement of the Sampson error over rank-2 (or essential)
  matrices, on the correspondences within ``2θ``: Gauss–Newton from the
  reweighted eight-point start, which is close enough for one or two steps
  (:func:`~lacv.geometry.epipolar.refinement.gauss_newton_polish`), and
  Levenberg–Marquardt where its first step does not lower the cost or with
  the optional Cauchy loss;
- when at least half of the inliers lie on one plane, plane-and-parallax
  hypotheses ``F = [e₂]ₓH`` (H&Z result 13.3, the idea of DEGENSAC) compete
  with the winner on inlier count;
- with fewer than 100 correspondences, three independent searches, the one
  with the lowest truncated cost kept: with so few points a noisy minimal
  sample seldom lands in the right basin, and the stopping rule (which
  assumes an all-inlier sample is enough) stops a single search too early.

When the final inliers are consistent with a single homography (a plane, or
a camera that only rotates), ``F`` is not determined by them; ``robust_fit``
then warns with :class:`~lacv.errors.RankDeficientWarning` (H&Z §11.9).

References
----------
.. [1] R. Hartley and A. Zisserman, *Multiple View Geometry in Computer
   Vision*, 2nd ed., 2003, §11.1–11.6, §11.9 (degeneracies), §9.6.
.. [2] P. H. S. Torr and D. W. Murray, "The development and comparison of
   robust methods for estimating the fundamental matrix", IJCV 24(3), 1997.
.. [3] O. Chum, T. Werner and J. Matas, "Two-view geometry estimation
   unaffected by a dominant plane", CVPR 2005 (the homography degeneracy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from lacv._validate import as_array, describe
from lacv.errors import InputError
from lacv.geometry.epipolar.distances import epipolar_lines, sampson_distance
from lacv.geometry.epipolar.essential import (
    _inv_K,
    check_intrinsics,
    essential_from_pose,
)
from lacv.geometry.epipolar.fundamental import (
    _check_correspondences,
    _check_fundamental,
    _unit,
    eight_point,
)
from lacv.geometry.epipolar.pose import PoseResult, decompose_essential, recover_pose
from lacv.geometry.epipolar.robust_fit import _robust, _TwoViewEstimator

__all__ = ["Essential", "Fundamental"]

#: σ₃/σ₁ above which a matrix given by the user is not accepted as rank 2
_RANK2_RTOL = 1e-6


# --------------------------------------------------------------------------- values


class _EpipolarMatrix:
    """Shared behaviour: an immutable 3×3 matrix of unit Frobenius norm."""

    kind: ClassVar[str]
    min_samples: ClassVar[int] = 7
    dof: ClassVar[int]
    __slots__ = ("_matrix",)
    _matrix: np.ndarray

    @classmethod
    def _trusted(cls, matrix: np.ndarray) -> Any:
        obj = object.__new__(cls)
        m = _unit(np.array(matrix, dtype=np.float64))
        # fix the sign so that equal matrices compare equal: largest entry positive
        k = np.unravel_index(np.argmax(np.abs(m)), m.shape)
        if m[k] < 0:
            m = -m
        m.setflags(write=False)
        object.__setattr__(obj, "_matrix", m)
        return obj

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; build a new one instead")

    @property
    def matrix(self) -> np.ndarray:
        """(3, 3) ndarray: the matrix (read-only, unit Frobenius norm, largest entry positive)."""
        return self._matrix

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.array(self._matrix, dtype=dtype)

    def __repr__(self) -> str:
        body = np.array2string(self._matrix, precision=6, separator=", ", prefix="    ")
        return f"{type(self).__name__}(\n    {body})"


class Fundamental(_EpipolarMatrix):
    r"""A fundamental matrix: ``x2ᵀ F x1 = 0`` for matching pixels (7 dof, rank 2).

    Parameters
    ----------
    matrix : (3, 3) array_like
        Any scale; must have rank 2 (``σ₃ ≤ 10⁻⁶ σ₁``; use
        :func:`~lacv.geometry.epipolar.nearest_rank2` to make one).

    Attributes
    ----------
    matrix : (3, 3) ndarray
        Unit Frobenius norm, sign fixed (largest-magnitude entry positive).
    epipoles : tuple of (3,) ndarray
        ``(e1, e2)``: ``F e1 = 0`` and ``Fᵀ e2 = 0`` (unit homogeneous vectors).

    Examples
    --------
    >>> F = Fundamental([[0.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    >>> F.residuals([[10.0, 20.0]], [[15.0, 20.0]])   # same row: on the epipolar line
    array([0.])
    """

    kind: ClassVar[str] = "fundamental"
    dof: ClassVar[int] = 7
    __slots__ = ()

    def __init__(self, matrix: Any):
        m = _check_fundamental(matrix, "matrix")  # (scaled to a largest entry of 1)
        s = np.linalg.svd(m, compute_uv=False)
        if not s[1] > 0:
            raise InputError(f"matrix: rank below 2 (singular values {s.tolist()}); not a "
                             "fundamental matrix")
        if s[2] > _RANK2_RTOL * s[0]:
            raise InputError(f"matrix: not of rank 2 (σ₃/σ₁ = {s[2] / s[0]:.2e}); use "
                             "lacv.geometry.epipolar.nearest_rank2 first")
        object.__setattr__(self, "_matrix", self._trusted(m)._matrix)

    @property
    def epipoles(self) -> tuple[np.ndarray, np.ndarray]:
        U, _, Vt = np.linalg.svd(self._matrix)
        return Vt[2].copy(), U[:, 2].copy()

    def residuals(self, x1: Any, x2: Any) -> np.ndarray:
        """Sampson distances in pixels, (N,) (:func:`~lacv.geometry.epipolar.sampson_distance`)."""
        return sampson_distance(self._matrix, x1, x2)

    def epipolar_lines(self, points: Any, image: int = 1) -> np.ndarray:
        """Lines in the other image with ``a² + b² = 1`` (:func:`.epipolar_lines`)."""
        return epipolar_lines(self._matrix, points, image)

    @classmethod
    def from_points(cls, x1: Any, x2: Any, weights: Any = None, *,
                    refine: bool = False) -> Fundamental:
        r"""``F`` from ``N ≥ 8`` correspondences without outliers.

        The normalised eight-point algorithm with the rank-2 constraint
        (:func:`~lacv.geometry.epipolar.eight_point`); with ``refine=True``
        the Sampson error is then minimised over rank-2 matrices by
        Levenberg–Marquardt (:func:`~lacv.geometry.epipolar.refine_fundamental`).

        Parameters
        ----------
        x1, x2 : (N, 2) array_like
        weights : (N,) array_like, optional
            Weights of the linear fit.
        refine : bool

        Returns
        -------
        Fundamental

        Raises
        ------
        InputError
            Fewer than 8 correspondences, NaN, mismatched lengths.
        DegenerateError
            ``F`` is not determined (e.g. all points on one plane).
        """
        F = eight_point(x1, x2, weights)
        if refine:
            from lacv.geometry.epipolar.refinement import refine_fundamental

            F = refine_fundamental(F, x1, x2).F
        return cls._trusted(F)

    @classmethod
    def robust_fit(cls, x1: Any, x2: Any, threshold_px: float = 1.0, confidence: float = 0.999,
                   max_trials: int = 10000, rng: Any = None, *, local_optimization: bool = True,
                   refine: bool = True, batch_size: int = 256, preemptive_points: int = 256,
                   min_inliers: int | None = None, scores: Any = None) -> Any:
        r"""``F`` from correspondences with outliers (RANSAC, see the module docstring).

        Parameters
        ----------
        x1, x2 : (N, 2) array_like
            Tentative matches, ``N ≥ 8``.
        threshold_px : float
            Inlier threshold on the Sampson distance, pixels.
        confidence, max_trials, rng, local_optimization, refine : optional
        batch_size, preemptive_points, min_inliers : optional
            As :func:`lacv.geometry.ransac` (``min_inliers`` defaults to 8 and
            ``batch_size`` to 256: seven-point batches amortise numpy's per-call cost; larger ones
            pay more in page faults of their temporaries than they save).
        scores : (N,) array_like, optional
            Match quality, higher is better: PROSAC's progressive sampling, as
            :func:`lacv.geometry.ransac`.

        Returns
        -------
        lacv.geometry.robust.RobustResult
            ``model`` a :class:`Fundamental`, ``residuals_px`` the Sampson
            distances, ``stats["homography_fraction"]`` the share of the
            inliers one homography explains.

        Raises
        ------
        InputError
            Bad points or options.
        EstimationError
            No model found.

        Warns
        -----
        RankDeficientWarning
            The inliers are consistent with one homography: ``F`` is not unique.
        """
        a, b = _check_correspondences(x1, x2, 8)
        return _robust(_TwoViewEstimator.fundamental(a, b), a, b, threshold_px, confidence,
                       max_trials, rng, local_optimization, refine, batch_size,
                       preemptive_points, min_inliers, scores=scores)


class Essential(_EpipolarMatrix):
    r"""An essential matrix: ``x̂2ᵀ E x̂1 = 0`` for calibrated points, ``E = [t]ₓ R`` (5 dof).

    Parameters
    ----------
    matrix : (3, 3) array_like
        Singular values ``(s, s, 0)`` to ``10⁻⁶`` relative (use
        :func:`~lacv.geometry.epipolar.project_to_essential` to make one).

    Examples
    --------
    >>> E = Essential.from_pose(np.eye(3), [1.0, 0.0, 0.0])
    >>> Rs, ts = E.decompose()
    >>> len(Rs)
    4
    """

    kind: ClassVar[str] = "essential"
    dof: ClassVar[int] = 5
    __slots__ = ()

    def __init__(self, matrix: Any):
        m = _check_fundamental(matrix, "matrix")  # (scaled to a largest entry of 1)
        s = np.linalg.svd(m, compute_uv=False)
        if not s[0] > 0 or abs(s[0] - s[1]) > _RANK2_RTOL * s[0] or s[2] > _RANK2_RTOL * s[0]:
            raise InputError(f"matrix: singular values {np.round(s, 8).tolist()} are not of the "
                             "form (s, s, 0); use lacv.geometry.epipolar.project_to_essential")
        object.__setattr__(self, "_matrix", self._trusted(m)._matrix)

    @classmethod
    def from_pose(cls, R: Any, t: Any) -> Essential:
        """``E = [t]ₓ R`` for the second camera ``[R | t]`` (first at ``[I | 0]``)."""
        return cls._trusted(essential_from_pose(R, t))

    @classmethod
    def from_points(cls, x1: Any, x2: Any, K1: Any, K2: Any, weights: Any = None, *,
                    refine: bool = False) -> Essential:
        r"""``E`` from ``N ≥ 8`` correspondences without outliers, cameras known.

        Eight-point on calibrated points, projected on the essential manifold
        (:func:`~lacv.geometry.epipolar.essential_from_points`); ``refine``
        then minimises the Sampson error in pixels over the five degrees of
        freedom of ``E``.
        """
        a, b = _check_correspondences(x1, x2, 8)
        est = _TwoViewEstimator.essential(a, b, K1, K2)
        idx = np.arange(len(a))
        w = None if weights is None else as_array(weights, "weights", ndim=1)
        if w is not None and (w.shape != (len(a),) or np.any(w < 0)):
            raise InputError(f"weights: expected {len(a)} non-negative weights, got "
                             f"{describe(w)}")
        E = est.fit_nonminimal(idx, w, irls=False)
        if refine:
            E = est.refine(E, idx)
        return cls._trusted(E)

    @classmethod
    def robust_fit(cls, x1: Any, x2: Any, K1: Any, K2: Any, threshold_px: float = 1.0,
                   confidence: float = 0.999, max_trials: int = 10000, rng: Any = None, *,
                   local_optimization: bool = True, refine: bool = True, batch_size: int = 256,
                   preemptive_points: int = 256, min_inliers: int | None = None,
                   solver: str = "seven-point", scores: Any = None) -> Any:
        r"""``E`` from correspondences with outliers, cameras known (RANSAC).

        The search is :meth:`Fundamental.robust_fit`'s (seven-point samples in
        pixels); its answer is carried to calibrated coordinates,
        :math:`E = K_2^T F K_1`, projected on the essential manifold and
        refined on the inliers by Levenberg–Marquardt over the five degrees of
        freedom of ``E`` (the Sampson error in pixels), re-selecting the
        inliers twice. (Projecting seven-point hypotheses one by one instead
        was tried and lands in the wrong one of the two poses of a nearly
        planar scene.) With ``solver="five-point"`` the hypotheses come from
        the five-point solver on calibrated points
        (:mod:`~lacv.geometry.epipolar.fivepoint`) and the whole search stays
        on the essential manifold: fewer samples at high outlier ratios, but
        each batch costs a 10×10 eigen-decomposition per sample. On the
        synthetic protocol the two are equally accurate (each wins some
        cells); on the rendered scene the seven-point route was closer to
        the truth, hence the default. The threshold is on the Sampson
        distance in pixels.

        Parameters
        ----------
        x1, x2 : (N, 2) array_like
        K1, K2 : (3, 3) array_like
        threshold_px, confidence, max_trials, rng : optional
        local_optimization, refine, batch_size, preemptive_points, min_inliers : optional
            As :meth:`Fundamental.robust_fit`.
        solver : {"seven-point", "five-point"}
            The minimal solver of the search.
        scores : (N,) array_like, optional
            Match quality, higher is better (PROSAC, as :meth:`Fundamental.robust_fit`).

        Returns
        -------
        lacv.geometry.robust.RobustResult
            ``model`` an :class:`Essential`.
        """
        from lacv._validate import check_choice

        a, b = _check_correspondences(x1, x2, 8)
        check_choice(solver, "solver", ("seven-point", "five-point"))
        est_e = _TwoViewEstimator.essential(a, b, K1, K2)
        if solver == "five-point":
            est_e.sample_size = 5
            return _robust(est_e, a, b, threshold_px, confidence, max_trials, rng,
                           local_optimization, refine, batch_size, preemptive_points,
                           min_inliers, scores=scores)
        return _robust(_TwoViewEstimator.fundamental(a, b), a, b, threshold_px, confidence,
                       max_trials, rng, local_optimization, refine, batch_size,
                       preemptive_points, min_inliers, essential=est_e, scores=scores)

    @classmethod
    def calibrated(cls, K1: Any, K2: Any) -> CalibratedEssential:
        """The essential-matrix model for known cameras, for ``ransac(..., model=...)``."""
        return CalibratedEssential(check_intrinsics(K1, "K1"), check_intrinsics(K2, "K2"))

    def fundamental(self, K1: Any, K2: Any) -> Fundamental:
        """``F = K₂⁻ᵀ E K₁⁻¹`` for pixels."""
        A1 = _inv_K(check_intrinsics(K1, "K1"))
        A2 = _inv_K(check_intrinsics(K2, "K2"))
        return Fundamental._trusted(A2.T @ self._matrix @ A1)

    def residuals(self, x1: Any, x2: Any, K1: Any, K2: Any) -> np.ndarray:
        """Sampson distances in pixels of pixel correspondences, (N,)."""
        return sampson_distance(self.fundamental(K1, K2).matrix, x1, x2)

    def decompose(self) -> tuple[np.ndarray, np.ndarray]:
        """The four ``(R, t)`` candidates (:func:`~lacv.geometry.epipolar.decompose_essential`)."""
        return decompose_essential(self._matrix)

    def recover_pose(self, x1: Any, x2: Any, K1: Any, K2: Any, *, mask: Any = None
                     ) -> PoseResult:
        """The pose chosen by cheirality (:func:`~lacv.geometry.epipolar.recover_pose`)."""
        return recover_pose(self._matrix, x1, x2, K1, K2, mask=mask)


@dataclass(frozen=True)
class CalibratedEssential:
    """The essential-matrix model with its two cameras, as ``ransac``'s ``model`` argument.

    ``ransac(x1, x2, model=Essential.calibrated(K1, K2), threshold_px=1.0)``.
    """

    K1: np.ndarray
    K2: np.ndarray
    min_samples: ClassVar[int] = 7
    kind: ClassVar[str] = "essential"

    def robust_fit(self, x1: Any, x2: Any, threshold_px: float = 1.0, confidence: float = 0.999,
                   max_trials: int = 10000, rng: Any = None, **options: Any) -> Any:
        """:meth:`Essential.robust_fit` with this model's cameras."""
        return Essential.robust_fit(x1, x2, self.K1, self.K2, threshold_px, confidence,
                                    max_trials, rng, **options)
