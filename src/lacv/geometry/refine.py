r"""Levenberg–Marquardt with analytic Jacobians, and the refinement of 2D transforms.

Two layers:

- :func:`levenberg_marquardt` — a generic, dependency-free LM core for any
  least-squares problem ``min_x ½‖r(x)‖²`` given the residual function and its
  Jacobian (numerator layout, ``m × d``). Calibration (reprojection error) and
  epipolar geometry (Sampson error) reuse it; it returns an :class:`LMResult`
  with the solution, the cost, the iteration count, whether it converged, and
  the parameter covariance.
- :func:`refine_transform` — minimises the geometric transfer error of a
  :class:`~lacv.geometry.transforms.Transform`,

  .. math:: \min_\theta \sum_i w_i \,\|T_\theta(x_i) - x'_i\|^2,

  with the analytic Jacobian of each family, and reports the covariance of
  the family's :attr:`~lacv.geometry.transforms.Transform.params`.

The algorithm (Madsen, Nielsen & Tingleff 2004, algorithm 3.16, with
Marquardt's diagonal scaling): at ``x`` solve

.. math:: (J^T J + \mu\, \mathrm{diag}(J^T J))\, h = -J^T r,

accept ``x + h`` when the gain ratio ``ρ`` (actual over predicted decrease
of the cost) is positive and shrink ``μ`` by ``max(1/3, 1 − (2ρ − 1)³)``;
otherwise grow ``μ`` by ``ν`` and double ``ν``. The diagonal scaling makes the
step independent of the units of each parameter (pixels against rotations),
which matters for transforms whose parameters span six orders of magnitude.

Covariance: at the minimum, with ``m`` residuals and ``d`` parameters, the
residual variance is estimated by ``σ̂² = ‖r‖² / (m − d)`` and the covariance
of the estimate is ``σ̂² (JᵀJ)⁻¹`` (H&Z §5.2.3, result 5.10; the Gauss–Newton
approximation of the inverse Hessian), with ``J`` the Jacobian of the
(weighted) residuals.

Homographies are refined in Hartley-normalised coordinates with the largest
entry of the normalised matrix held fixed (the other eight vary), which is
well conditioned for every homography — unlike fixing ``h33 = 1`` in pixels,
which fails when the image origin maps near infinity; residuals stay in
pixels. The covariance is then carried to ``params`` (``h33 = 1`` in pixels)
by the Jacobian of that change of parameters.

References
----------
.. [1] K. Madsen, H. B. Nielsen and O. Tingleff, *Methods for Non-Linear
   Least Squares Problems*, 2nd ed., DTU, 2004, §3.2.
.. [2] R. Hartley and A. Zisserman, *Multiple View Geometry*, 2nd ed., §4.2.2
   (geometric transfer error), §5.2 (covariance), §A6.2 (LM).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from lacv._validate import as_array, as_points, check_int, check_positive, check_same_length
from lacv.errors import DegenerateError, InputError
from lacv.geometry.homogeneous import _as_weights, normalize_points
from lacv.geometry.transforms import (
    Affine,
    Euclidean,
    Homography,
    Similarity,
    Transform,
    Translation,
    _assemble_dlt_normal,
    _moment_rows,
)

__all__ = ["LMResult", "Refinement", "levenberg_marquardt", "refine_transform"]


# --------------------------------------------------------------------------- generic LM


@dataclass(frozen=True)
class LMResult:
    """The outcome of :func:`levenberg_marquardt`.

    Attributes
    ----------
    x : (d,) ndarray
        The parameters at the end.
    cost : float
        ``½‖r(x)‖²`` (half the sum of squares, as in SciPy's ``least_squares``).
    residuals : (m,) ndarray
        ``r(x)``.
    jacobian : (m, d) ndarray
        ``∂r/∂x`` at ``x``.
    iterations : int
        Outer iterations (Jacobian evaluations − 1).
    n_evaluations : int
        Residual evaluations.
    converged : bool
        Whether a tolerance was met (rather than ``max_iterations``).
    message : str
        Which criterion stopped the iteration.
    """

    x: np.ndarray
    cost: float
    residuals: np.ndarray
    jacobian: np.ndarray
    iterations: int
    n_evaluations: int
    converged: bool
    message: str
    initial_cost: float = field(default=np.nan)

    @property
    def rms(self) -> float:
        """Root mean square of the residuals, ``√(‖r‖²/m)``."""
        return float(np.sqrt(2.0 * self.cost / self.residuals.size))

    @property
    def dof_residual(self) -> int:
        """Redundancy ``m − d``."""
        return int(self.residuals.size - self.x.size)

    @cached_property
    def covariance(self) -> np.ndarray:
        """``σ̂² (JᵀJ)⁻¹`` with ``σ̂² = ‖r‖²/(m − d)``: the covariance of ``x``, (d, d).

        Raises
        ------
        DegenerateError
            No redundancy (``m ≤ d``) to estimate the noise from (use
            :meth:`covariance_for` with a known noise level), or ``JᵀJ`` singular
            (some parameter is not determined by the data).
        """
        if self.dof_residual <= 0:
            raise DegenerateError(
                f"covariance: {self.residuals.size} residuals for {self.x.size} parameters leave "
                "no redundancy to estimate the noise from; use covariance_for(sigma)")
        return self.covariance_for(np.sqrt(2.0 * self.cost / self.dof_residual))

    def covariance_for(self, sigma: float) -> np.ndarray:
        """``σ² (JᵀJ)⁻¹`` for a known residual standard deviation ``σ``, (d, d)."""
        sigma = check_positive(sigma, "sigma", allow_zero=True)
        JtJ = self.jacobian.T @ self.jacobian
        # scale to unit diagonal first so that the conditioning test is unit-free
        dg = np.sqrt(np.diag(JtJ))
        if np.any(dg == 0):
            raise DegenerateError("covariance: a parameter has no effect on the residuals "
                                  f"(zero Jacobian column {int(np.argmin(dg))})")
        C = JtJ / np.outer(dg, dg)
        s = np.linalg.svd(C, compute_uv=False)
        if s[-1] <= 1e-12 * s[0]:
            raise DegenerateError(f"covariance: JᵀJ is singular (σ_min/σ_max = "
                                  f"{s[-1] / s[0]:.2e}); the parameters are not all determined",
                                  singular_values=s)
        return sigma ** 2 * np.linalg.inv(C) / np.outer(dg, dg)

    @property
    def standard_errors(self) -> np.ndarray:
        """(d,) ndarray: the square roots of the covariance's diagonal."""
        return np.sqrt(np.diag(self.covariance))


def levenberg_marquardt(
    residual_fn: Callable[[np.ndarray], np.ndarray],
    jacobian_fn: Callable[[np.ndarray], np.ndarray],
    x0: Any,
    *,
    max_iterations: int = 100,
    ftol: float = 1e-12,
    xtol: float = 1e-12,
    gtol: float = 1e-12,
    mu0: float = 1e-3,
) -> LMResult:
    r"""Minimise ``½‖r(x)‖²`` by Levenberg–Marquardt with Marquardt's scaling.

    Parameters
    ----------
    residual_fn : callable ``(d,) -> (m,)``
        The residual vector ``r(x)``.
    jacobian_fn : callable ``(d,) -> (m, d)``
        Its Jacobian ``∂r/∂x`` in numerator layout (one row per residual).
    x0 : (d,) array_like
        Starting point.
    max_iterations : int
        Most outer iterations (Jacobian evaluations).
    ftol : float
        Stop when an accepted step lowers the cost by less than ``ftol·cost``.
    xtol : float
        Stop when the step is shorter than ``xtol·(‖x‖ + xtol)``.
    gtol : float
        Stop when ``‖Jᵀr‖∞ ≤ gtol`` (a stationary point).
    mu0 : float
        Initial damping relative to ``max diag(JᵀJ)``.

    Returns
    -------
    LMResult

    Raises
    ------
    InputError
        ``x0`` not a finite 1-D vector, or ``r`` / ``J`` of the wrong shape or
        not finite at ``x0``.

    Notes
    -----
    The step solves ``(JᵀJ + μ D) h = −Jᵀr`` with ``D = diag(JᵀJ)``; the gain
    ratio ``ρ = (F(x) − F(x + h)) / (½ hᵀ(μ D h − Jᵀr))`` decides acceptance
    (Madsen, Nielsen & Tingleff 2004, algorithm 3.16). A step whose residuals
    are not finite is rejected like an uphill one.

    Examples
    --------
    Fit ``y = a·exp(b·t)``:

    >>> t = np.linspace(0, 1, 20); y = 2.0 * np.exp(-1.5 * t)
    >>> r = lambda p: p[0] * np.exp(p[1] * t) - y
    >>> J = lambda p: np.stack([np.exp(p[1] * t), p[0] * t * np.exp(p[1] * t)], axis=1)
    >>> res = levenberg_marquardt(r, J, [1.0, 0.0])
    >>> np.round(res.x, 8), res.converged
    (array([ 2. , -1.5]), True)
    """
    x = as_array(x0, "x0", ndim=1, copy=True)
    max_iterations = check_int(max_iterations, "max_iterations", minimum=0)
    for name, val in (("ftol", ftol), ("xtol", xtol), ("gtol", gtol), ("mu0", mu0)):
        check_positive(val, name, allow_zero=name != "mu0")
    r = np.asarray(residual_fn(x), dtype=np.float64)
    if r.ndim != 1 or not np.all(np.isfinite(r)):
        raise InputError(f"residual_fn: expected a finite 1-D residual vector at x0, got shape "
                         f"{r.shape}" + ("" if r.ndim != 1 else " with non-finite entries"))
    J = np.asarray(jacobian_fn(x), dtype=np.float64)
    if J.shape != (r.size, x.size) or not np.all(np.isfinite(J)):
        raise InputError(f"jacobian_fn: expected a finite ({r.size}, {x.size}) Jacobian at x0, "
                         f"got shape {J.shape}")
    with np.errstate(over="ignore"):
        scale = float(r @ r), float(np.abs(J).max(initial=0.0)) ** 2 * max(r.size, x.size)
    if not (np.isfinite(scale[0]) and np.isfinite(scale[1])):
        raise InputError("residual_fn, jacobian_fn: the cost ½‖r‖² or JᵀJ at x0 overflows "
                         f"float64 (largest |r| {np.abs(r).max():.3g}, largest |J| "
                         f"{np.abs(J).max(initial=0.0):.3g}): rescale the problem")
    return _lm_core(residual_fn, jacobian_fn, x, r, J, max_iterations, ftol, xtol, gtol, mu0)


def _lm_core(residual_fn: Callable[[np.ndarray], np.ndarray],
             jacobian_fn: Callable[[np.ndarray], np.ndarray],
             x: np.ndarray, r: np.ndarray, J: np.ndarray, max_iterations: int,
             ftol: float, xtol: float, gtol: float, mu0: float) -> LMResult:
    cost = 0.5 * float(r @ r)
    initial = cost
    A = J.T @ J
    g = J.T @ r
    diag_floor = 1e-12 * max(float(np.max(np.diag(A))), 1e-300)
    mu = mu0
    nu = 2.0
    n_eval = 1
    it = 0
    converged = False
    message = "max_iterations reached"
    if float(np.max(np.abs(g), initial=0.0)) <= gtol or cost == 0.0:
        return LMResult(x, cost, r, J, 0, 1, True, "gradient below gtol at x0", initial)
    while it < max_iterations:
        D = np.maximum(np.diag(A), diag_floor)
        try:
            h = np.linalg.solve(A + mu * np.diag(D), -g)
        except np.linalg.LinAlgError:
            mu *= nu
            nu *= 2.0
            it += 1
            continue
        if np.linalg.norm(h) <= xtol * (np.linalg.norm(x) + xtol):
            converged, message = True, "step below xtol"
            break
        x_new = x + h
        r_new = np.asarray(residual_fn(x_new), dtype=np.float64)
        n_eval += 1
        predicted = 0.5 * float(h @ (mu * D * h - g))
        if np.all(np.isfinite(r_new)):
            with np.errstate(over="ignore"):  # an overflowing cost is a rejected step
                cost_new = 0.5 * float(r_new @ r_new)
            rho = (cost - cost_new) / predicted if predicted > 0 else -1.0
        else:
            rho = -1.0
        it += 1
        if rho > 0:
            decrease = cost - cost_new
            x, r, cost = x_new, r_new, cost_new
            J = np.asarray(jacobian_fn(x), dtype=np.float64)
            A = J.T @ J
            g = J.T @ r
            mu *= max(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
            nu = 2.0
            if float(np.max(np.abs(g))) <= gtol:
                converged, message = True, "gradient below gtol"
                break
            if decrease <= ftol * cost or cost == 0.0:
                converged, message = True, "relative cost decrease below ftol"
                break
        else:
            mu *= nu
            nu *= 2.0
    return LMResult(x, cost, r, J, it, n_eval, converged, message, initial)


# --------------------------------------------------------------------------- transforms


@dataclass(frozen=True)
class Refinement:
    """A transform refined by :func:`refine_transform`, with its uncertainty.

    Attributes
    ----------
    model : Transform
        The refined transform (same family as the input).
    rms_px : float
        RMS transfer error ``√(Σ wᵢ|T(xᵢ) − x'ᵢ|² / Σ wᵢ)`` in pixels after refinement.
    initial_rms_px : float
        The same before refinement.
    lm : LMResult
        The optimiser's record (in the internal parameterisation).
    covariance : (dof, dof) ndarray
        Covariance of ``model.params`` (see each family's ``params``); raises
        :class:`~lacv.errors.DegenerateError` on access when it cannot be
        estimated (no redundancy, undetermined parameters).
    """

    model: Transform
    rms_px: float
    initial_rms_px: float
    lm: LMResult
    _problem: Any = field(repr=False)

    @property
    def iterations(self) -> int:
        return self.lm.iterations

    @property
    def converged(self) -> bool:
        return self.lm.converged

    @cached_property
    def covariance(self) -> np.ndarray:
        G = self._problem.to_params(self.lm.x)
        return G @ self.lm.covariance @ G.T

    @property
    def standard_errors(self) -> np.ndarray:
        """(dof,) ndarray: standard errors of ``model.params``."""
        return np.sqrt(np.diag(self.covariance))


class _Problem:
    """Residuals and analytic Jacobian of one family; params ↔ internal parameters."""

    def __init__(self, model: Transform, s: np.ndarray, d: np.ndarray, sw: np.ndarray | None):
        self.s, self.d, self.sw = s, d, sw
        self.model = model

    def weigh(self, r: np.ndarray, J: np.ndarray | None = None) -> Any:
        if self.sw is None:
            return r if J is None else J
        sw2 = np.concatenate([self.sw, self.sw])
        return r * sw2 if J is None else J * sw2[:, None]


class _AffineFamily(_Problem):
    """Affine-type families parameterised by their own ``params`` in pixels."""

    def x0(self) -> np.ndarray:
        return self.model.params

    def build(self, p: np.ndarray) -> Transform:
        return type(self.model).from_params(p)

    def residuals(self, p: np.ndarray) -> np.ndarray:
        m = self._matrix(p)
        e = self.s @ m[:2, :2].T + m[:2, 2] - self.d
        return self.weigh(np.concatenate([e[:, 0], e[:, 1]]))

    def jacobian(self, p: np.ndarray) -> np.ndarray:
        return self.weigh(None, self._jac(p))

    def to_params(self, p: np.ndarray) -> np.ndarray:
        return np.eye(p.size)


class _TranslationProblem(_AffineFamily):
    def _matrix(self, p: np.ndarray) -> np.ndarray:
        m = np.eye(3)
        m[:2, 2] = p
        return m

    def _jac(self, p: np.ndarray) -> np.ndarray:
        n = self.s.shape[0]
        J = np.zeros((2 * n, 2))
        J[:n, 0] = 1.0
        J[n:, 1] = 1.0
        return J


class _SimilarityProblem(_AffineFamily):
    """params (scale, angle, tx, ty), or (angle, tx, ty) when rigid."""

    def __init__(self, *args: Any, rigid: bool):
        super().__init__(*args)
        self.rigid = rigid

    def _split(self, p: np.ndarray) -> tuple[float, float, np.ndarray]:
        return (1.0, p[0], p[1:]) if self.rigid else (p[0], p[1], p[2:])

    def _matrix(self, p: np.ndarray) -> np.ndarray:
        sc, th, t = self._split(p)
        c, s = np.cos(th), np.sin(th)
        return np.array([[sc * c, -sc * s, t[0]], [sc * s, sc * c, t[1]], [0, 0, 1.0]])

    def _jac(self, p: np.ndarray) -> np.ndarray:
        sc, th, _ = self._split(p)
        c, s = np.cos(th), np.sin(th)
        x, y = self.s[:, 0], self.s[:, 1]
        n = x.size
        rx, ry = c * x - s * y, s * x + c * y  # R x
        cols = []
        if not self.rigid:
            cols.append(np.concatenate([rx, ry]))  # ∂/∂scale = R x
        cols.append(np.concatenate([-sc * ry, sc * rx]))  # ∂/∂θ = s R' x
        cols.append(np.concatenate([np.ones(n), np.zeros(n)]))
        cols.append(np.concatenate([np.zeros(n), np.ones(n)]))
        return np.stack(cols, axis=1)


class _AffineProblem(_AffineFamily):
    def _matrix(self, p: np.ndarray) -> np.ndarray:
        return np.vstack([p.reshape(2, 3), [0.0, 0.0, 1.0]])

    def _jac(self, p: np.ndarray) -> np.ndarray:
        n = self.s.shape[0]
        X = np.column_stack([self.s, np.ones(n)])
        J = np.zeros((2 * n, 6))
        J[:n, :3] = X
        J[n:, 3:] = X
        return J


class _HomographyProblem(_Problem):
    """Eight free entries of the normalised ``Ĥ = T' H T⁻¹``, the largest held at 1."""

    def __init__(self, model: Transform, s: np.ndarray, d: np.ndarray, sw: np.ndarray | None,
                 normalized: bool = False):
        super().__init__(model, s, d, sw)
        if normalized:  # the caller's points are already well scaled
            sn, dn, self.Ts, self.Td = s, d, np.eye(3), np.eye(3)
        else:
            sn, self.Ts = normalize_points(s)
            dn, self.Td = normalize_points(d)
        self.sd = self.Td[0, 0]  # normalised = s_d · pixels (+ shift)
        self.sn, self.dn = sn, dn
        Hn = self.Td @ model.matrix @ np.linalg.inv(self.Ts)
        self.k = int(np.argmax(np.abs(Hn)))
        self.Hn0 = Hn / Hn.flat[self.k]
        self.free = np.delete(np.arange(9), self.k)

    def x0(self) -> np.ndarray:
        return self.Hn0.ravel()[self.free].copy()

    def _h(self, p: np.ndarray) -> np.ndarray:
        h = np.empty(9)
        h[self.free] = p
        h[self.k] = 1.0
        return h

    def _project(self, h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x, y = self.sn[:, 0], self.sn[:, 1]
        p0 = h[0] * x + h[1] * y + h[2]
        p1 = h[3] * x + h[4] * y + h[5]
        p2 = h[6] * x + h[7] * y + h[8]
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / p2
        return p0 * inv, p1 * inv, inv

    def residuals(self, p: np.ndarray) -> np.ndarray:
        u, v, _ = self._project(self._h(p))
        r = np.concatenate([u - self.dn[:, 0], v - self.dn[:, 1]]) / self.sd
        return self.weigh(r)

    def jacobian(self, p: np.ndarray) -> np.ndarray:
        u, v, inv = self._project(self._h(p))
        x, y = self.sn[:, 0], self.sn[:, 1]
        n = x.size
        # built transposed (one contiguous row per parameter), returned as a view
        Jt = np.zeros((9, 2 * n))
        a, b = x * inv, y * inv
        Jt[0, :n], Jt[1, :n], Jt[2, :n] = a, b, inv
        Jt[3, n:], Jt[4, n:], Jt[5, n:] = a, b, inv
        Jt[6, :n], Jt[7, :n], Jt[8, :n] = -u * a, -u * b, -u * inv
        Jt[6, n:], Jt[7, n:], Jt[8, n:] = -v * a, -v * b, -v * inv
        Jt = Jt[self.free]
        if self.sd != 1.0:
            Jt /= self.sd
        if self.sw is not None:
            Jt *= np.concatenate([self.sw, self.sw])
        return Jt.T

    def build(self, p: np.ndarray) -> Transform:
        Hn = self._h(p).reshape(3, 3)
        return Homography._trusted(np.linalg.solve(self.Td, Hn @ self.Ts))

    def to_params(self, p: np.ndarray) -> np.ndarray:
        # vec_r(Td⁻¹ Ĥ Ts) = (Td⁻¹ ⊗ Tsᵀ) vec_r(Ĥ); then params = v[:8] / v[8]
        M = np.kron(np.linalg.inv(self.Td), self.Ts.T)
        v = M @ self._h(p)
        if v[8] == 0:
            raise DegenerateError("H[2, 2] == 0: no covariance for params with h33 = 1")
        dpdv = np.hstack([np.eye(8), -v[:8, None] / v[8]]) / v[8]
        return dpdv @ M[:, self.free]


def _problem(model: Transform, s: np.ndarray, d: np.ndarray, sw: np.ndarray | None,
             normalized: bool = False) -> Any:
    if isinstance(model, Homography):
        return _HomographyProblem(model, s, d, sw, normalized)
    if isinstance(model, Affine):
        return _AffineProblem(model, s, d, sw)
    if isinstance(model, Similarity):
        return _SimilarityProblem(model, s, d, sw, rigid=False)
    if isinstance(model, Euclidean):
        return _SimilarityProblem(model, s, d, sw, rigid=True)
    if isinstance(model, Translation):
        return _TranslationProblem(model, s, d, sw)
    raise InputError(f"model: expected a Transform of one of the five families, got "
                     f"{type(model).__name__}")


def refine_transform(model: Transform, src: Any, dst: Any, weights: Any = None, *,
                     max_iterations: int = 30) -> Refinement:
    r"""Minimise the geometric transfer error of ``model`` on the correspondences.

    .. math:: \hat\theta = \arg\min_\theta \sum_i w_i \|T_\theta(x_i) - x'_i\|^2

    (H&Z §4.2.2, eq. 4.6), by :func:`levenberg_marquardt` with the family's
    analytic Jacobian, started from ``model``. For the translation and the
    affine map the problem is linear and one step reaches the minimum; the
    point of refining them is the covariance. With noise only on ``dst``
    (Gaussian, equal variance) this is the maximum-likelihood estimate.

    Parameters
    ----------
    model : Transform
        The starting point, e.g. the closed-form ``from_points`` answer.
    src, dst : (N, 2) array_like
        Correspondences, ``N >= model.min_samples``.
    weights : (N,) array_like, optional
        Non-negative weights.
    max_iterations : int

    Returns
    -------
    Refinement
        ``model`` (same family), ``rms_px``, ``covariance`` of ``model.params``, ...

    Raises
    ------
    InputError
        Bad points or weights.

    Examples
    --------
    >>> from lacv.geometry import Homography
    >>> rng = np.random.default_rng(0)
    >>> src = rng.uniform(0, 640, (100, 2))
    >>> H = Homography([[1.0, 0.1, 5.0], [0.0, 0.9, -3.0], [1e-4, 0.0, 1.0]])
    >>> dst = H(src) + rng.normal(0, 0.5, (100, 2))
    >>> ref = refine_transform(Homography.from_points(src, dst), src, dst)
    >>> bool(ref.rms_px <= 0.75), ref.covariance.shape
    (True, (8, 8))
    """
    if not isinstance(model, Transform):
        raise InputError(f"model: expected a Transform, got {type(model).__name__}")
    s = as_points(src, "src", min_count=model.min_samples)
    d = as_points(dst, "dst", min_count=model.min_samples)
    check_same_length(src=s, dst=d)
    w = None if weights is None else _as_weights(weights, s.shape[0])
    max_iterations = check_int(max_iterations, "max_iterations", minimum=0)
    return _refine(model, s, d, w, max_iterations)


def _refine(model: Transform, s: np.ndarray, d: np.ndarray, w: np.ndarray | None,
            max_iterations: int, *, normalized: bool = False, ftol: float = 1e-10) -> Refinement:
    sw = None if w is None else np.sqrt(w)
    prob = _problem(model, s, d, sw, normalized)
    x0 = prob.x0()
    r0 = prob.residuals(x0)
    J0 = prob.jacobian(x0)
    if not (np.all(np.isfinite(r0)) and np.all(np.isfinite(J0))):
        raise DegenerateError("model: sends some src points to infinity; cannot refine from it")
    lm = _lm_core(prob.residuals, prob.jacobian, x0.copy(), r0, J0, max_iterations,
                  ftol, 1e-12, 1e-12, 1e-3)
    wsum = s.shape[0] if w is None else float(w.sum())
    rms = float(np.sqrt(2.0 * lm.cost / wsum))
    rms0 = float(np.sqrt(2.0 * lm.initial_cost / wsum))
    return Refinement(prob.build(lm.x), rms, rms0, lm, prob)


# --------------------------------------------------------------------------- fast path


def _homography_normal_equations(h: np.ndarray, X: np.ndarray, dst: np.ndarray,
                                 Z: np.ndarray, buf: np.ndarray,
                                 wt: np.ndarray | None = None
                                 ) -> tuple[float, np.ndarray, np.ndarray]:
    """Cost, ``JᵀJ`` (9×9) and ``Jᵀr`` (9) of the transfer error, without forming ``J``.

    With ``p = H x``, ``ω = 1/p₃`` and ``(u, v) = ω (p₁, p₂)`` the Jacobian rows
    are ``ω (X, 0, −uX)`` and ``ω (0, X, −vX)`` for ``X = (x, y, 1)``, so ``JᵀJ``
    has the DLT's block structure with the weights ``ω², ω²u, ω²v, ω²(u²+v²)``
    — moments ``Z Wᵀ`` of the six monomials ``Z`` (:func:`_moment_rows`) —
    and ``Jᵀr`` is ``Xᵀ`` times ``ωrₓ``, ``ωr_y`` and ``−ω(u rₓ + v r_y)``
    (``X`` is among the monomials, so one product ``Z Bᵀ`` with the seven
    weight rows ``B`` gives both). ``X`` is (3, N) homogeneous, ``dst`` (2, N);
    ``buf`` a (9, N) work array reused across iterations; ``wt`` optional
    weights of the correspondences.
    """
    P = h.reshape(3, 3) @ X  # (3, N)
    w = np.reciprocal(P[2], out=P[2])
    u, v = P[0], P[1]
    u *= w
    v *= w
    rx, ry = buf[7], buf[8]
    np.subtract(u, dst[0], out=rx)
    np.subtract(v, dst[1], out=ry)
    if wt is None:
        cost = 0.5 * float(rx @ rx + ry @ ry)
        np.multiply(w, w, out=buf[0])
    else:
        cost = 0.5 * float(wt @ (rx * rx + ry * ry))
        np.multiply(w, w, out=buf[0])
        buf[0] *= wt
        w = w * wt
    np.multiply(buf[0], u, out=buf[1])
    np.multiply(buf[0], v, out=buf[2])
    np.multiply(buf[1], u, out=buf[3])
    buf[3] += buf[2] * v
    np.multiply(w, rx, out=buf[4])  # (times the weight, when there are weights)
    np.multiply(w, ry, out=buf[5])
    np.multiply(u, buf[4], out=buf[6])
    buf[6] += v * buf[5]
    buf[6] *= -1.0
    Mo = Z @ buf[:7].T  # (6, 7)
    A = _assemble_dlt_normal(Mo[:, :4])
    # rows 2, 4, 5 of Z are x, y, 1: columns Xᵀ(ωrₓ), Xᵀ(ωr_y), −Xᵀ(ω(u rₓ + v r_y))
    g = Mo[_X_ROWS, 4:]
    return cost, A, g.T.ravel()


_X_ROWS = np.array([2, 4, 5])
#: the eight free entries of h when entry k is held fixed, and their 8×8 block of JᵀJ
_FREE = [np.delete(np.arange(9), k) for k in range(9)]
_FREE_BLOCK = [np.ix_(f, f) for f in _FREE]


def _refine_homography_fast(H0: np.ndarray, X: np.ndarray, dst: np.ndarray, *,
                            max_iterations: int = 10, ftol: float = 1e-8,
                            weights: np.ndarray | None = None,
                            predicted_stop: bool = False) -> np.ndarray:
    """LM on the transfer error of a homography between well-scaled points; returns H.

    The same algorithm as :func:`levenberg_marquardt` with the normal
    equations assembled from moments (:func:`_homography_normal_equations`),
    for the robust estimator's final refinement, where no covariance is
    needed. ``X`` is (3, N) homogeneous source points, ``dst`` (2, N). The
    largest entry of ``H0`` is held fixed. With ``predicted_stop`` it also
    stops, besides the usual test on the achieved decrease, before evaluating
    an undamped-enough step (``μ ≤ 10⁻³``) whose *predicted* decrease (the
    quadratic model's) is below ``ftol`` times the cost: near the optimum
    that saves one pass over the points and leaves the cost within about
    ``ftol`` of where the extra step would take it.
    """
    k = int(np.argmax(np.abs(H0)))
    h = H0.ravel() / H0.flat[k]
    free = np.delete(np.arange(9), k)
    Z = _moment_rows(X[0], X[1])
    buf = np.empty((9, X.shape[1]))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        cost, A9, g9 = _homography_normal_equations(h, X, dst, Z, buf, weights)
        if not np.isfinite(cost):
            return H0
        sub = np.ix_(free, free)
        A, g = A9[sub], g9[free]
        mu, nu = 1e-3, 2.0
        for _ in range(max_iterations):
            D = np.diag(A).copy()
            np.maximum(D, 1e-12 * D.max(), out=D)
            Ad = A.copy()
            Ad.flat[::9] += mu * D
            try:
                step = np.linalg.solve(Ad, -g)
            except np.linalg.LinAlgError:
                break
            predicted = 0.5 * float(step @ (mu * D * step - g))
            if predicted_stop and mu <= 1e-3 and 0.0 <= predicted <= ftol * cost:
                break
            h_new = h.copy()
            h_new[free] += step
            c_new, A9n, g9n = _homography_normal_equations(h_new, X, dst, Z, buf, weights)
            rho = (cost - c_new) / predicted if predicted > 0 and np.isfinite(c_new) else -1.0
            if rho > 0:
                decrease = cost - c_new
                h, cost, A, g = h_new, c_new, A9n[sub], g9n[free]
                mu *= max(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
                nu = 2.0
                if decrease <= ftol * cost:
                    break
            else:
                mu *= nu
                nu *= 2.0
    return h.reshape(3, 3)


def _homography_gauss_newton_step(H0: np.ndarray, X: np.ndarray, dst: np.ndarray,
                                  weights: np.ndarray | None = None,
                                  Z: np.ndarray | None = None) -> np.ndarray:
    """One (weighted) Gauss–Newton step on the transfer error from ``H0``; returns H.

    ``(JᵀWJ + εD) δ = −JᵀWr`` with the normal equations of
    :func:`_homography_normal_equations` (``X`` (3, N) homogeneous, ``dst``
    (2, N)) and a tiny diagonal ``εD`` (``ε = 10⁻⁹``) against an exactly
    singular system; the largest entry of ``H0`` is held fixed. The step is
    not verified here: the robust estimator's IRLS rounds keep it only when
    the robust loss falls. ``H0`` comes back when the system cannot be solved.
    ``Z`` is ``_moment_rows(X[0], X[1])`` when the caller already has it.
    """
    k = int(abs(H0).argmax())
    h = H0.ravel() / H0.flat[k]
    free = _FREE[k]
    if Z is None:
        Z = _moment_rows(X[0], X[1])
    buf = np.empty((9, X.shape[1]))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        cost, A9, g9 = _homography_normal_equations(h, X, dst, Z, buf, weights)
        if not np.isfinite(cost):
            return H0
        A, g = A9[_FREE_BLOCK[k]], g9[free]
        A.flat[::9] += 1e-9 * np.diag(A)
        try:
            step = np.linalg.solve(A, -g)
        except np.linalg.LinAlgError:
            return H0
    out = h.copy()
    out[free] += step
    return out.reshape(3, 3)
