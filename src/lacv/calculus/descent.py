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

import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lacv._validate import as_array, check_int, check_positive, describe
from lacv.calculus.differences import _check_callable, _numbers
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


def _norm(v: np.ndarray) -> float:
    """``‖v‖₂`` scaled by ``max|vᵢ|``: no overflow warning for entries near 1e200.

    ``inf`` only where the norm itself exceeds float64 (or ``v`` is not finite).
    """
    big = float(np.max(np.abs(v), initial=0.0))
    if big == 0.0 or not np.isfinite(big):
        return big
    if 1e-150 < big < 1e150:  # the common case, exactly as before
        return float(np.linalg.norm(v))
    with np.errstate(over="ignore"):
        return big * float(np.sqrt(np.sum((v / big) ** 2)))


def _unit_interval(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 < value < 1.0:
        raise InputError(f"{name}: expected a number in (0, 1), got {describe(value)}")


def _value(f: Callable[[Any], Any], x: Any) -> float:
    out = _numbers(f(x), "f", "gradient_descent")
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
    _check_callable(f, "f")
    _check_callable(grad_f, "grad_f")
    x = as_array(x0, "x0", copy=True)
    scalar = x.ndim == 0
    check_positive(lr, "lr")
    if not (isinstance(momentum, (int, float)) and 0.0 <= momentum < 1.0):
        raise InputError(f"momentum: expected a number in [0, 1), got {describe(momentum)}")
    check_int(max_steps, "max_steps", minimum=0)
    check_positive(tol, "tol", allow_zero=True)
    _unit_interval(armijo_c, "armijo_c")
    _unit_interval(backtrack, "backtrack")

    def unwrap(v: np.ndarray) -> Any:
        return float(v) if scalar else v.copy()

    def grad_at(v: np.ndarray) -> np.ndarray:
        g = _numbers(grad_f(unwrap(v)), "grad_f", "gradient_descent")
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
    if not np.all(np.isfinite(g)):
        raise InputError("grad_f: the gradient at x0 is not finite")
    velocity = np.zeros_like(x)
    path_x, path_f = [x.copy()], [fx]
    converged, message = False, f"reached max_steps = {max_steps}"
    steps = 0
    for _ in range(max_steps):
        gnorm = _norm(g)
        if gnorm <= tol:
            converged, message = True, f"|grad f| = {gnorm:.3g} <= tol = {tol:.3g}"
            break
        if line_search:
            direction = momentum * velocity - g
            with np.errstate(over="ignore", invalid="ignore"):  # huge gradients: slope -inf
                slope = float(np.sum(g * direction))
                if slope >= 0:  # momentum points uphill: restart from steepest descent
                    direction, slope = -g, -gnorm * gnorm
            if not np.isfinite(slope):  # |∇f|² beyond float64: Armijo's test cannot be made
                message = (f"diverged: the slope ∇f·d overflows float64 at step {steps + 1} "
                           "(is f unbounded below?)")
                break
            t = lr
            while True:
                with np.errstate(over="ignore", invalid="ignore"):
                    trial = x + t * direction
                    decrease = fx + armijo_c * t * slope
                f_trial = _value(f, unwrap(trial)) if np.all(np.isfinite(trial)) else np.inf
                if np.isfinite(f_trial) and f_trial <= decrease:
                    break
                t *= backtrack
                if t * _norm(direction) <= np.finfo(float).eps * max(1.0, _norm(x)):
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
        g_trial = grad_at(trial)
        if not (np.all(np.isfinite(g_trial)) and np.isfinite(_norm(g_trial))):
            # keep the last finite iterate: the result never carries an infinite gradient norm
            message = (f"diverged: the gradient became non-finite at step {steps + 1} "
                       f"(try a smaller lr than {lr:g})")
            break
        x, fx, g = trial, f_trial, g_trial
        steps += 1
        path_x.append(x.copy())
        path_f.append(fx)
    else:
        gnorm = _norm(g)
        if gnorm <= tol:
            converged, message = True, f"|grad f| = {gnorm:.3g} <= tol = {tol:.3g}"
    return DescentResult(
        x=unwrap(x),
        fun=fx,
        grad_norm=_norm(g),
        path_x=np.array(path_x),
        path_f=np.array(path_f),
        n_steps=steps,
        converged=converged,
        message=message,
    )
