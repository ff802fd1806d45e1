r"""Levenberg–Marquardt for calibration problems: shared parameters plus one pose per view.

Every calibration cost has the same shape: a few *global* parameters
``g`` (intrinsics, distortion, a rig's relative pose) touch every residual,
while the pose ``(R_i, t_i)`` of view ``i`` touches only the residuals of
that view. The Gauss–Newton matrix is then an arrowhead,

.. math::

    J^T J = \begin{pmatrix} U & W_1 & \cdots & W_V \\ W_1^T & V_1 & & \\
    \vdots & & \ddots & \\ W_V^T & & & V_V \end{pmatrix},
    \qquad U = \sum_k J_{g,k}^T J_{g,k},\; V_i = J_{p_i}^T J_{p_i},\;
    W_i = J_{g}^T J_{p_i},

and the damped normal equations are solved through the Schur complement of
the 6×6 pose blocks (Triggs et al. 2000, §6.1; H&Z §A6.3):

.. math::

    S = U^* - \sum_i W_i V_i^{*-1} W_i^T, \qquad
    S\,\delta_g = -\Big(e_g - \sum_i W_i V_i^{*-1} e_{p_i}\Big), \qquad
    \delta_{p_i} = -V_i^{*-1}(e_{p_i} + W_i^T \delta_g),

with ``e = Jᵀr`` and ``*`` marking Marquardt's damping ``A + λ diag(A)``.
The cost of a step is one ``m × m`` solve plus ``V`` batched 6×6 solves,
instead of one dense ``(m + 6V)``-square solve.

Poses are updated on the manifold, ``R ← exp([δω]×) R``, ``t ← t + δt``
(left perturbation in the camera frame), so ``∂X_c/∂δω = −[R X]×`` and
``∂X_c/∂δt = I``. The damping follows Nielsen (1999): ``λ`` shrinks by
``max(1/3, 1 − (2ρ − 1)³)`` after a step with gain ratio ``ρ`` and doubles
(then quadruples, ...) after a rejected one.

This solver lives beside the calibration code rather than in
:mod:`lacv.geometry.refine` because it needs the block structure (the pose
blocks and the manifold update); a dense generic solver would form the full
``(m + 6V)``-square matrix.

References
----------
.. [1] B. Triggs, P. McLauchlan, R. Hartley, A. Fitzgibbon, "Bundle
   adjustment — a modern synthesis", Vision Algorithms 2000, §6.1.
.. [2] R. Hartley and A. Zisserman, *Multiple View Geometry*, 2nd ed.,
   §A6.3 (sparse Levenberg–Marquardt).
.. [3] H. B. Nielsen, "Damping parameter in Marquardt's method", IMM-REP
   1999-05, DTU.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lacv.errors import DegenerateError
from lacv.geometry.camera import _distort, _distort_jacobian
from lacv.geometry.rotations import _exp_so3

#: evaluate(g, R, t, jacobian) -> (r (n, 2), Jg (n, 2, m) | None, Jp (n, 2, 6) | None),
#: r = None when the parameters are infeasible (a point behind a camera)
Evaluate = Callable[[np.ndarray, np.ndarray, np.ndarray, bool],
                    tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]]


def project_with_jacobian(Xc: np.ndarray, intr: np.ndarray, jacobian: bool = True
                          ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    r"""Pixels of camera-frame points and their analytic derivatives.

    Parameters
    ----------
    Xc : (n, 3) ndarray
        Points in the camera frame.
    intr : (10,) ndarray
        ``(fx, fy, cx, cy, skew, k1, k2, p1, p2, k3)``.
    jacobian : bool

    Returns
    -------
    uv : (n, 2) ndarray or None
        None when a point has ``Z ≤ 0`` (no image).
    J_intr : (n, 2, 10) ndarray or None
        ``∂(u, v)/∂intr``.
    J_X : (n, 2, 3) ndarray or None
        ``∂(u, v)/∂X_c = [[fx, s], [0, fy]] · ∂(x_d, y_d)/∂(x, y) · ∂(x, y)/∂X_c``.
    """
    fx, fy, cx, cy, s = intr[:5]
    d = intr[5:]
    Z = Xc[:, 2]
    if not np.all(Z > 0):
        return None, None, None
    iz = 1.0 / Z
    x = Xc[:, 0] * iz
    y = Xc[:, 1] * iz
    xd, yd = _distort(x, y, d)
    n = Xc.shape[0]
    uv = np.empty((n, 2))
    uv[:, 0] = fx * xd + s * yd + cx
    uv[:, 1] = fy * yd + cy
    if not jacobian:
        return uv, None, None
    xx, yy, xy = x * x, y * y, x * y
    r2 = xx + yy
    r4 = r2 * r2
    Ji = np.zeros((n, 2, 10))
    Ji[:, 0, 0] = xd
    Ji[:, 1, 1] = yd
    Ji[:, 0, 2] = 1.0
    Ji[:, 1, 3] = 1.0
    Ji[:, 0, 4] = yd
    # ∂(x_d, y_d)/∂(k1, k2, k3) = (x, y)·(r², r⁴, r⁶);
    # ∂/∂p1 = (2xy, r² + 2y²); ∂/∂p2 = (r² + 2x², 2xy)
    for col, rk in ((5, r2), (6, r4), (9, r4 * r2)):
        Ji[:, 0, col] = (fx * x + s * y) * rk
        Ji[:, 1, col] = fy * y * rk
    a1, b1 = 2.0 * xy, r2 + 2.0 * yy
    Ji[:, 0, 7] = fx * a1 + s * b1
    Ji[:, 1, 7] = fy * b1
    a2, b2 = r2 + 2.0 * xx, 2.0 * xy
    Ji[:, 0, 8] = fx * a2 + s * b2
    Ji[:, 1, 8] = fy * b2
    a, b, c, e = _distort_jacobian(x, y, d)
    # rows of ∂(u, v)/∂(x, y): K's 2×2 block times the distortion Jacobian
    du_dx, du_dy = fx * a + s * c, fx * b + s * e
    dv_dx, dv_dy = fy * c, fy * e
    JX = np.empty((n, 2, 3))
    JX[:, 0, 0] = du_dx * iz
    JX[:, 0, 1] = du_dy * iz
    JX[:, 0, 2] = -(du_dx * x + du_dy * y) * iz
    JX[:, 1, 0] = dv_dx * iz
    JX[:, 1, 1] = dv_dy * iz
    JX[:, 1, 2] = -(dv_dx * x + dv_dy * y) * iz
    return uv, Ji, JX


def pose_jacobian(JX: np.ndarray, RX: np.ndarray) -> np.ndarray:
    """``∂(u, v)/∂(δω, δt)`` (n, 2, 6) from ``∂(u, v)/∂X_c`` and ``R X`` (left perturbation)."""
    Jp = np.empty(JX.shape[:2] + (6,))
    # J_X · (−[RX]×), column j = J_X (e_j × RX): written out, no n 3×3 matrices
    Jp[:, :, 0] = JX[:, :, 2] * RX[:, None, 1] - JX[:, :, 1] * RX[:, None, 2]
    Jp[:, :, 1] = JX[:, :, 0] * RX[:, None, 2] - JX[:, :, 2] * RX[:, None, 0]
    Jp[:, :, 2] = JX[:, :, 1] * RX[:, None, 0] - JX[:, :, 0] * RX[:, None, 1]
    Jp[:, :, 3:] = JX
    return Jp


def update_poses(R: np.ndarray, t: np.ndarray, dp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``R ← exp([δω]×) R``, ``t ← t + δt`` for a stack of poses."""
    return _exp_so3(dp[:, :3]) @ R, t + dp[:, 3:]


@dataclass
class BlockLMResult:
    """The optimum of :func:`block_lm` and its statistics."""

    g: np.ndarray
    R: np.ndarray
    t: np.ndarray
    residuals: np.ndarray
    cost: float
    n_iterations: int
    converged: bool
    message: str
    g_std: np.ndarray
    pose_std: np.ndarray
    g_cov: np.ndarray


class _Layout:
    """Rows grouped by view, scattered into a zero-padded ``(V, n_max, ...)`` stack.

    With every view's rows side by side, the per-view sums ``J_pᵀJ_p``,
    ``J_gᵀJ_p`` and ``J_pᵀr`` are single batched matrix products; when all
    views have the same number of points the padding is a free reshape.
    """

    def __init__(self, starts: np.ndarray, n_rows: int) -> None:
        counts = np.diff(np.append(starts, n_rows))
        self.n_views = len(starts)
        self.n_max = int(counts.max())
        self.uniform = bool(np.all(counts == self.n_max))
        self.view = np.repeat(np.arange(self.n_views), counts)
        self.local = np.arange(n_rows) - np.repeat(starts, counts)

    def stack(self, a: np.ndarray) -> np.ndarray:
        """``(n, 2, k)`` or ``(n, 2)`` rows → ``(V, 2 n_max, k)`` or ``(V, 2 n_max)``."""
        tail = a.shape[2:]
        if self.uniform:
            return a.reshape((self.n_views, 2 * self.n_max) + tail)
        out = np.zeros((self.n_views, self.n_max) + a.shape[1:])
        out[self.view, self.local] = a
        return out.reshape((self.n_views, 2 * self.n_max) + tail)


def _normal_blocks(r: np.ndarray, Jg: np.ndarray, Jp: np.ndarray, layout: _Layout
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    m = Jg.shape[2]
    Jg2 = Jg.reshape(-1, m)
    U = Jg2.T @ Jg2
    eg = Jg2.T @ r.ravel()
    P = layout.stack(Jp)  # (V, 2n, 6)
    Pt = np.swapaxes(P, 1, 2)
    V = Pt @ P
    W = np.swapaxes(layout.stack(Jg), 1, 2) @ P  # (V, m, 6)
    ep = (Pt @ layout.stack(r)[:, :, None])[:, :, 0]
    return U, eg, V, W, ep


def _flat(A: np.ndarray) -> np.ndarray:
    """``(V, m, 6)`` → ``(m, 6V)``: the row of blocks ``[A_1 … A_V]``."""
    return np.swapaxes(A, 0, 1).reshape(A.shape[1], -1)


def _schur_solve(U: np.ndarray, eg: np.ndarray, V: np.ndarray, W: np.ndarray, ep: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    Vinv = np.linalg.inv(V)  # (V, 6, 6): batched, each block is small and well conditioned
    WVi = W @ Vinv  # (V, m, 6)
    WVi_f = _flat(WVi)
    S = U - WVi_f @ _flat(W).T
    rhs = eg - WVi_f @ ep.ravel()
    dg = -np.linalg.solve(S, rhs) if U.shape[0] else np.zeros(0)
    dp = -(Vinv @ (ep + (_flat(W).T @ dg).reshape(-1, 6))[:, :, None])[:, :, 0]
    return dg, dp


def block_lm(evaluate: Evaluate, g0: np.ndarray, R0: np.ndarray, t0: np.ndarray,
             starts: np.ndarray, *, max_iter: int = 100, ftol: float = 1e-12,
             xtol: float = 1e-12, names: tuple[str, ...] = ()) -> BlockLMResult:
    """Minimise ``½‖r(g, poses)‖²`` by Levenberg–Marquardt with a Schur-complement step.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(g, R, t, jacobian)`` → ``(r, Jg, Jp)`` as documented in
        :data:`Evaluate`; residual rows grouped by view, view ``i`` starting
        at row ``starts[i]``.
    g0 : (m,) ndarray
    R0 : (V, 3, 3) ndarray
    t0 : (V, 3) ndarray
    starts : (V,) ndarray of int
    max_iter : int
    ftol, xtol : float
        Stop when an accepted step lowers the cost by less than ``ftol``
        relative, or changes no parameter by more than ``xtol`` relative.
    names : tuple of str
        Names of ``g``'s entries, for the message of a degenerate problem.

    Returns
    -------
    BlockLMResult
        With standard deviations from ``σ² (JᵀJ)⁻¹``,
        ``σ² = ‖r‖² / (2n − m − 6V)`` (H&Z §5.2.3).

    Raises
    ------
    DegenerateError
        The start is infeasible, or ``JᵀJ`` is singular at the optimum (a
        parameter that the data do not determine).
    """
    g, R, t = g0.astype(np.float64).copy(), R0.copy(), t0.copy()
    r, Jg, Jp = evaluate(g, R, t, True)
    if r is None:
        raise DegenerateError("the initial estimate puts points behind a camera")
    layout = _Layout(np.asarray(starts), r.shape[0])
    cost = 0.5 * float(np.sum(r * r))
    lam, nu = 1e-3, 2.0
    converged, message, it = False, f"stopped after {max_iter} iterations", 0
    U, eg, V, W, ep = _normal_blocks(r, Jg, Jp, layout)
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        dU = np.maximum(np.diag(U), 1e-12 * max(float(np.max(np.diag(U), initial=0.0)), 1.0))
        dV = np.maximum(np.einsum("vii->vi", V), 1e-12)
        Ud = U + lam * np.diag(dU)
        Vd = V + lam * (dV[:, :, None] * np.eye(6))
        dg, dp = _schur_solve(Ud, eg, Vd, W, ep)
        g_new = g + dg
        R_new, t_new = update_poses(R, t, dp)
        r_new, _, _ = evaluate(g_new, R_new, t_new, False)
        new_cost = np.inf if r_new is None else 0.5 * float(np.sum(r_new * r_new))
        predicted = 0.5 * (dg @ (lam * dU * dg - eg)
                           + float(np.sum(dp * (lam * dV * dp - ep))))
        if np.isfinite(new_cost) and new_cost < cost and predicted > 0:
            rho = (cost - new_cost) / predicted
            small_step = (np.all(np.abs(dg) <= xtol * (np.abs(g) + xtol))
                          and np.all(np.abs(dp) <= xtol * (1.0 + np.abs(
                              np.concatenate([np.zeros((len(t), 3)), t], axis=1)))))
            rel_drop = (cost - new_cost) / max(cost, 1e-300)
            g, R, t, cost = g_new, R_new, t_new, new_cost
            lam *= max(1.0 / 3.0, 1.0 - (2.0 * rho - 1.0) ** 3)
            nu = 2.0
            r, Jg, Jp = evaluate(g, R, t, True)
            U, eg, V, W, ep = _normal_blocks(r, Jg, Jp, layout)
            if rel_drop < ftol or small_step:
                converged, message = True, "converged (relative cost change below tolerance)"
                break
        else:
            lam *= nu
            nu *= 2.0
            if lam > 1e16:
                converged, message = True, "converged (no step lowers the cost)"
                break
    g_std, pose_std, g_cov = _covariance(r, U, V, W, g.size, len(starts), names)
    return BlockLMResult(g=g, R=R, t=t, residuals=r, cost=cost, n_iterations=it,
                         converged=converged, message=message, g_std=g_std,
                         pose_std=pose_std, g_cov=g_cov)


def _covariance(r: np.ndarray, U: np.ndarray, V: np.ndarray, W: np.ndarray, m: int,
                n_views: int, names: tuple[str, ...]
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standard deviations from ``σ² (JᵀJ)⁻¹`` through the same Schur complement."""
    dof = r.size - m - 6 * n_views
    sigma2 = float(np.sum(r * r)) / dof if dof > 0 else 0.0
    Vinv = np.linalg.inv(V)
    WVi = W @ Vinv
    S = U - _flat(WVi) @ _flat(W).T
    if m:
        scale = np.sqrt(np.abs(np.diag(S))) + 1e-300
        Sn = S / np.outer(scale, scale)
        ev, evec = np.linalg.eigh(Sn)
        if ev[0] <= 1e-13 * ev[-1]:
            k = int(np.argmax(np.abs(evec[:, 0])))
            name = names[k] if k < len(names) else f"parameter {k}"
            raise DegenerateError(
                f"the views do not determine {name} (the normal matrix is singular, "
                f"λ_min/λ_max = {ev[0] / ev[-1]:.1e}); use more views at more varied tilts, "
                "or fix that parameter", singular_values=np.sqrt(np.clip(ev[::-1], 0, None)))
        Sinv = np.linalg.inv(Sn) / np.outer(scale, scale)
    else:
        Sinv = np.zeros((0, 0))
    cov_g = sigma2 * Sinv
    # pose block of (JᵀJ)⁻¹: V⁻¹ + V⁻¹ Wᵀ S⁻¹ W V⁻¹
    pose_cov_diag = np.einsum("vii->vi", Vinv) + np.einsum("vji,jk,vki->vi", WVi, Sinv, WVi)
    return (np.sqrt(np.clip(np.diag(cov_g), 0, None)),
            np.sqrt(np.clip(sigma2 * pose_cov_diag, 0, None)), cov_g)
