"""Demo step: the lecture's worked examples of derivatives and gradient descent."""

from __future__ import annotations

import numpy as np

from lacv import calculus
from lacv.cli.demo import DemoContext


def _camel(x: np.ndarray) -> float:
    return float((4 - 2.1 * x[0] ** 2 + x[0] ** 4 / 3) * x[0] ** 2 + x[0] * x[1]
                 + (-4 + 4 * x[1] ** 2) * x[1] ** 2)


def _camel_grad(x: np.ndarray) -> np.ndarray:
    return np.array([2 * x[0] ** 5 - 8.4 * x[0] ** 3 + 8 * x[0] + x[1],
                     16 * x[1] ** 3 - 8 * x[1] + x[0]])


def run(ctx: DemoContext) -> None:
    descent = calculus.gradient_descent(lambda x: x**2 - 4 * x + 3, lambda x: 2 * x - 4, 0.0,
                                        lr=0.1)
    ctx.note(f"f(x) = x² - 4x + 3 by gradient descent from 0 (lr 0.1): x = {descent.x:.6f} "
             f"after {descent.n_steps} steps ({descent.message})")
    chain = calculus.derivative(lambda x: 3 * (2 * x**2 - 1) ** 2 - 2 * (2 * x**2 - 1) + 5, 1.5)
    ctx.note(f"Chain rule: f'(1.5) = {chain:.6f} numerically, 48x³ - 32x = "
             f"{48 * 1.5**3 - 32 * 1.5:.6f}")
    H = calculus.hessian_from_gradient(_camel_grad, [0.0, 1.0])
    err = calculus.check_gradient(_camel, _camel_grad, np.array([0.3, -0.7]))
    ctx.note(f"Six-hump camel: Hessian at (0, 1) = {np.round(H, 6).tolist()} (lecture: "
             f"[[8, 1], [1, 40]]); analytic gradient vs central differences: max relative "
             f"error {err:.1e}")
    ls = calculus.gradient_descent(_camel, _camel_grad, np.array([1.0, 1.0]), lr=1.0,
                                   line_search=True, max_steps=500)
    ctx.note(f"Six-hump camel from (1, 1) with an Armijo line search: minimum near "
             f"{np.round(ls.x, 4).tolist()}, f = {ls.fun:.6f} in {ls.n_steps} steps "
             f"(global minima ±(0.0898, -0.7126), f = -1.0316)")
    f = lambda x: np.array([2 * x[0] + x[1] ** 2, -x[0] ** 2 + 3 * x[1], 4 * x[0] * x[1]])  # noqa: E731
    J = calculus.jacobian(f, [2.0, 1.0])
    ctx.note(f"Jacobian of (2x₁ + x₂², -x₁² + 3x₂, 4x₁x₂) at (2, 1), numerator layout 3×2: "
             f"{np.round(J, 6).tolist()}")
