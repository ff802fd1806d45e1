"""Derivatives and gradient descent: the lecture's calculus, numerically.

- :func:`derivative`, :func:`gradient`, :func:`jacobian` (numerator layout,
  ``m × d`` for ``f: ℝᵈ → ℝᵐ``), :func:`hessian` and
  :func:`hessian_from_gradient` — central differences in float64 with steps
  scaled to ``x``;
- :func:`check_gradient`, :func:`check_jacobian` — the maximum relative
  error of an analytic derivative against central differences;
- :func:`gradient_descent` — with momentum and an optional Armijo line search.
"""

from lacv.calculus.check import check_gradient, check_jacobian, relative_error
from lacv.calculus.descent import DescentResult, gradient_descent
from lacv.calculus.differences import derivative, gradient, hessian, hessian_from_gradient, jacobian

__all__ = [
    "DescentResult",
    "check_gradient",
    "check_jacobian",
    "derivative",
    "gradient",
    "gradient_descent",
    "hessian",
    "hessian_from_gradient",
    "jacobian",
    "relative_error",
]
