"""Gradient descent, with momentum and an optional Armijo backtracking line search.

The lecture's update ``θ ← θ - η f'(θ)`` ("the minima may exist in the
direction of -f'(x)"), with heavy-ball momentum (Polyak, 1964)

.. math:: v_{k+1} = \\mu v_k - \\eta \\nabla f(x_k), \\qquad x_{k+1} = x_k + v_{k+1}

and, with ``line_search=True``, a backtracking search along the direction
``d = μ v_k - ∇f(x_k)`` for a step ``t`` satisfying Armijo's sufficient
decrease condition ``f(x + t d) ≤ f(x) + c t ∇f(x)ᵀd`` (Nocedal & Wright,
*Numerical Optimization*, 2nd ed., §3.1, algorithm 3.1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lacv._validate import as_array, check_int, check_positive, describe
from lacv.errors import InputError

__all__ = ["DescentResult", "gradient_descent"]


@dataclass(frozen=True)
class DescentResult:
    """The outcome of :func:`gradient_descent`.

    Attributes
    ----------
    x : ndarray (or float for a scalar start)
        The last iterate (the last finite one if the iteration diverged).
    fun : float
        ``f(x)``.
    grad_norm : float
        ``||∇f(x)||`` at the last iterate.
    path_x : (n_steps + 1, ...) ndarray
        Every iterate, the start included.
    path_f : (n_steps + 1,) ndarray
        ``f`` at every iterate.
    n_steps : int
        Steps taken.
    converged : bool
        Whether ``||∇f|| ≤ tol`` was reached.
    message : str
        Why the iteration stopped.
    """

    x: Any
    fun: float
    grad_norm: float
    path_x: np.ndarray
    path_f: np.ndarray
    n_steps: int
    converged: bool
    message: str


def _value(f: Callable[[Any], Any], x: Any) -> float:
    out = np.asarray(f(x), dtype=np.float64)
    if out.size != 1:
        raise InputError(f"f: expected a scalar value, got shape {out.shape}")
    return float(out.reshape(()))


def gradient_descent(
    f: Callable[[Any], Any],
    grad_f: Callable[[Any], Any],
    x0: Any,
    *,
    lr: float = 0.1,
    momentum: float = 0.0,
    max_steps: int = 1000,
    tol: float = 1e-8,
    line_search: bool = False,
    armijo_c: float = 1e-4,
    backtrack: float = 0.5,
) -> DescentResult:
    """Minimise ``f`` by gradient descent from ``x0``.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    grad_f : callable
        ``grad_f(x) -> array`` of ``x``'s shape.
    x0 : float or array_like
        The start.
    lr : float
        Learning rate η (with ``line_search``: the first step tried each time).
    momentum : float
        Momentum μ in ``[0, 1)``; 0 is plain gradient descent.
    max_steps : int
        Upper bound on the number of steps.
    tol : float
        Stop when ``||∇f(x)|| ≤ tol``.
    line_search : bool
        Backtrack from ``lr`` until Armijo's condition holds.
    armijo_c : float
        Sufficient-decrease constant ``c`` in ``(0, 1)``.
    backtrack : float
        Step shrink factor in ``(0, 1)``.

    Returns
    -------
    DescentResult
        ``converged`` is False when ``max_steps`` ran out or ``f`` diverged
        (became non-finite); ``message`` says which. Never NaN: a
        non-finite iterate is not kept.

    Examples
    --------
    >>> from lacv.calculus import gradient_descent
    >>> r = gradient_descent(lambda x: x**2 - 4*x + 3, lambda x: 2*x - 4, 0.0, lr=0.1)
    >>> round(float(r.x), 6), r.converged          # the minimum of the lecture's example
    (2.0, True)
    """
    x = as_array(x0, "x0", copy=True)
    scalar = x.ndim == 0
    check_positive(lr, "lr")
    if not (isinstance(momentum, (int, float)) and 0.0 <= momentum < 1.0):
        raise InputError(f"momentum: expected a number in [0, 1), got {describe(momentum)}")
    check_int(max_steps, "max_steps", minimum=0)
    check_positive(tol, "tol", allow_zero=True)
    if not 0.0 < armijo_c < 1.0:
        raise InputError(f"armijo_c: expected a number in (0, 1), got {armijo_c!r}")
    if not 0.0 < backtrack < 1.0:
        raise InputError(f"backtrack: expected a number in (0, 1), got {backtrack!r}")

    def unwrap(v: np.ndarray) -> Any:
        return float(v) if scalar else v.copy()

    def grad_at(v: np.ndarray) -> np.ndarray:
        g = np.asarray(grad_f(unwrap(v)), dtype=np.float64)
        if g.shape != x.shape:
            if g.size == x.size:
                g = g.reshape(x.shape)
            else:
                raise InputError(f"grad_f: expected a gradient of shape {x.shape}, "
                                 f"got {describe(g)}")
        return g

    fx = _value(f, unwrap(x))
    if not np.isfinite(fx):
        raise InputError(f"x0: f(x0) is not finite ({fx})")
    g = grad_at(x)
    velocity = np.zeros_like(x)
    path_x, path_f = [x.copy()], [fx]
    converged, message = False, f"reached max_steps = {max_steps}"
    steps = 0
    for _ in range(max_steps):
        gnorm = float(np.linalg.norm(g))
        if not np.isfinite(gnorm):
            message = f"the gradient became non-finite at step {steps}"
            break
        if gnorm <= tol:
            converged, message = True, f"|grad f| = {gnorm:.3g} <= tol = {tol:.3g}"
            break
        if line_search:
            direction = momentum * velocity - g
            slope = float(np.sum(g * direction))
            if slope >= 0:  # momentum points uphill: restart from steepest descent
                direction, slope = -g, -gnorm**2
            t = lr
            while True:
                trial = x + t * direction
                f_trial = _value(f, unwrap(trial))
                if np.isfinite(f_trial) and f_trial <= fx + armijo_c * t * slope:
                    break
                t *= backtrack
                if t * float(np.linalg.norm(direction)) <= np.finfo(float).eps * max(
                        1.0, float(np.linalg.norm(x))):
                    trial, f_trial = None, fx
                    break
            if trial is None:
                message = "the line search found no decrease (a stationary point to precision)"
                converged = gnorm <= max(tol, 1e-6 * max(1.0, abs(fx)))
                break
            velocity = t * direction
        else:
            velocity = momentum * velocity - lr * g
            trial = x + velocity
            f_trial = _value(f, unwrap(trial))
        if not np.isfinite(f_trial):
            message = (f"diverged: f became non-finite at step {steps + 1} "
                       f"(try a smaller lr than {lr:g})")
            break
        x, fx = trial, f_trial
        g = grad_at(x)
        steps += 1
        path_x.append(x.copy())
        path_f.append(fx)
    else:
        gnorm = float(np.linalg.norm(g))
        if gnorm <= tol:
            converged, message = True, f"|grad f| = {gnorm:.3g} <= tol = {tol:.3g}"
    return DescentResult(
        x=unwrap(x),
        fun=fx,
        grad_norm=float(np.linalg.norm(g)),
        path_x=np.array(path_x),
        path_f=np.array(path_f),
        n_steps=steps,
        converged=converged,
        message=message,
    )
