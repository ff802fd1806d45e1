"""lacv.calculus: the lecture's worked examples, accuracy, checks that can fail, descent."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lacv import calculus
from lacv.errors import InputError


def camel(x):
    """The six-hump camel function of the lecture."""
    return (4 - 2.1 * x[0] ** 2 + x[0] ** 4 / 3) * x[0] ** 2 + x[0] * x[1] + (
        -4 + 4 * x[1] ** 2) * x[1] ** 2


def camel_grad(x):
    return np.array([2 * x[0] ** 5 - 8.4 * x[0] ** 3 + 8 * x[0] + x[1],
                     16 * x[1] ** 3 - 8 * x[1] + x[0]])


def camel_hess(x):
    return np.array([[10 * x[0] ** 4 - 25.2 * x[0] ** 2 + 8, 1.0], [1.0, 48 * x[1] ** 2 - 8]])


def jac_example(x):
    return np.array([2 * x[0] + x[1] ** 2, -x[0] ** 2 + 3 * x[1], 4 * x[0] * x[1]])


# ----------------------------------------------------------------------------- lecture examples


def test_quadratic_derivative():
    f = lambda x: x**2 - 4 * x + 3  # noqa: E731
    for x in (-3.0, 0.0, 2.0, 7.5):
        assert calculus.derivative(f, x) == pytest.approx(2 * x - 4, abs=1e-8)
    xs = np.linspace(-2, 2, 5)
    np.testing.assert_allclose(calculus.derivative(f, xs), 2 * xs - 4, atol=1e-8)


def test_chain_rule_example():
    f = lambda x: 3 * (2 * x**2 - 1) ** 2 - 2 * (2 * x**2 - 1) + 5  # noqa: E731
    for x in (-1.3, 0.0, 0.4, 2.0):
        assert calculus.derivative(f, x) == pytest.approx(48 * x**3 - 32 * x, rel=1e-8, abs=1e-7)


def test_camel_gradient_and_hessian():
    np.testing.assert_allclose(calculus.gradient(camel, [0.0, 1.0]), camel_grad([0.0, 1.0]),
                               rtol=1e-9, atol=1e-8)
    np.testing.assert_allclose(calculus.hessian(camel, [0.0, 1.0]), [[8, 1], [1, 40]], rtol=1e-6)
    np.testing.assert_allclose(calculus.hessian_from_gradient(camel_grad, [0.0, 1.0]),
                               [[8, 1], [1, 40]], rtol=1e-9)


def test_jacobian_example_numerator_layout():
    J = calculus.jacobian(jac_example, [2.0, 1.0])
    assert J.shape == (3, 2)  # m × d, not the notes' d × m
    np.testing.assert_allclose(J, [[2, 2], [-4, 3], [4, 8]], atol=1e-8)


# ----------------------------------------------------------------------------- accuracy


@settings(max_examples=40, deadline=None)
@given(x=st.lists(st.floats(-1.8, 1.8), min_size=2, max_size=2))
def test_camel_everywhere(x):
    x = np.array(x)
    assume(np.linalg.norm(camel_grad(x)) > 1e-3)  # relative errors mean little where ∇f ≈ 0
    # a component near zero is measured against 1e-3 of the gradient's scale, so central
    # differences' ~1e-10 absolute error can read as ~2e-7 there (seen at x = (-1.125,
    # -0.6222)); a wrong gradient reads as O(1)
    assert calculus.check_gradient(camel, camel_grad, x) < 1e-6
    np.testing.assert_allclose(calculus.hessian_from_gradient(camel_grad, x), camel_hess(x),
                               rtol=1e-7, atol=1e-6)
    np.testing.assert_allclose(calculus.hessian(camel, x), camel_hess(x), rtol=1e-5, atol=1e-4)


def test_steps_scale_with_x():
    """A fixed absolute step fails at |x| = 1e8; steps scaled to x do not."""
    f = lambda x: np.sum(x**2)  # noqa: E731
    x = np.array([1e8, -3e8])
    assert calculus.check_gradient(f, lambda v: 2 * v, x) < 1e-8
    fixed = calculus.gradient(f, x, h=1e-6)
    assert np.max(np.abs(fixed - 2 * x) / np.abs(2 * x)) > 1e-4


def test_gradient_keeps_shape():
    W = np.arange(6.0).reshape(2, 3) / 7
    g = calculus.gradient(lambda w: np.sum(np.sin(w)), W)
    assert g.shape == (2, 3)
    np.testing.assert_allclose(g, np.cos(W), atol=1e-9)


def test_inputs_untouched():
    x = np.array([0.3, 0.4])
    x0 = x.copy()
    calculus.gradient(camel, x)
    calculus.jacobian(jac_example, x)
    calculus.hessian(camel, x)
    np.testing.assert_array_equal(x, x0)


# ----------------------------------------------------------------------------- checkers can fail


def test_check_gradient_flags_wrong_gradient():
    x = np.array([0.3, -0.7])
    good = calculus.check_gradient(camel, camel_grad, x)
    bad = calculus.check_gradient(camel, lambda v: camel_grad(v) * [1.0, 1.001], x)
    swapped = calculus.check_gradient(camel, lambda v: camel_grad(v)[::-1], x)
    assert good < 1e-8
    assert bad > 1e-4
    assert swapped > 0.1


def test_check_jacobian_flags_wrong_jacobian():
    x = np.array([2.0, 1.0])
    right = lambda v: np.array([[2, 2 * v[1]], [-2 * v[0], 3], [4 * v[1], 4 * v[0]]])  # noqa: E731
    wrong = lambda v: right(v).T.reshape(3, 2)  # the d × m layout, reshaped: wrong  # noqa: E731
    assert calculus.check_jacobian(jac_example, right, x) < 1e-8
    assert calculus.check_jacobian(jac_example, wrong, x) > 0.1
    with pytest.raises(InputError, match=r"jac_f: expected a Jacobian of shape \(3, 2\)"):
        calculus.check_jacobian(jac_example, lambda v: right(v).T, x)


def test_relative_error_zero_over_zero():
    assert calculus.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert calculus.relative_error([0.0, 1.0], [1e-12, 1.0]) < 1e-7  # rounding noise near 0
    assert calculus.relative_error([0.0, 0.0], [1e-151, 0.0]) < 1e-7  # a vanishing gradient
    assert calculus.relative_error([0.0, 1.0], [1e-3, 1.0]) > 1e-4  # a real error near 0


# ----------------------------------------------------------------------------- descent


def test_descent_quadratic_minimum():
    r = calculus.gradient_descent(lambda x: x**2 - 4 * x + 3, lambda x: 2 * x - 4, 10.0, lr=0.1)
    assert r.converged and r.x == pytest.approx(2.0, abs=1e-8)
    assert r.fun == pytest.approx(-1.0)
    assert r.path_x.shape == (r.n_steps + 1,) and r.path_f[0] == pytest.approx(63.0)
    assert np.all(np.diff(r.path_f) <= 0)


def test_momentum_is_faster_on_ill_conditioned_quadratic():
    D = np.array([1.0, 50.0])
    f = lambda x: 0.5 * np.sum(D * x**2)  # noqa: E731
    g = lambda x: D * x  # noqa: E731
    plain = calculus.gradient_descent(f, g, [1.0, 1.0], lr=0.019, max_steps=5000, tol=1e-8)
    heavy = calculus.gradient_descent(f, g, [1.0, 1.0], lr=0.019, momentum=0.7, max_steps=5000,
                                      tol=1e-8)
    assert plain.converged and heavy.converged
    assert heavy.n_steps < plain.n_steps / 2


def test_line_search_on_camel():
    r = calculus.gradient_descent(camel, camel_grad, [1.0, 1.0], lr=1.0, line_search=True,
                                  max_steps=500)
    assert r.converged
    assert r.fun == pytest.approx(-1.0316284535, abs=1e-8)
    np.testing.assert_allclose(np.abs(r.x), [0.0898, 0.7126], atol=1e-4)
    assert np.all(np.diff(r.path_f) <= 1e-15)  # Armijo: never an increase


def test_divergence_is_reported_not_nan():
    with np.errstate(over="ignore"):  # the user's f overflows: that is the point
        r = calculus.gradient_descent(lambda x: np.exp(x**2), lambda x: 2 * x * np.exp(x**2),
                                      3.0, lr=10.0, max_steps=50)
    assert not r.converged
    assert "diverged" in r.message or "non-finite" in r.message
    assert np.isfinite(r.x) and np.isfinite(r.fun)
    assert np.all(np.isfinite(r.path_f))


def test_an_infinite_gradient_is_never_in_the_result():
    # the gradient overflows before f does: the last finite iterate is kept (grad_norm was inf)
    grad = lambda x: np.where(np.abs(x) > 1e3, np.inf, 2 * x)  # noqa: E731
    r = calculus.gradient_descent(lambda x: float(np.sum(x**2)), grad, np.array([1.0]),
                                  lr=50.0, max_steps=20)
    assert not r.converged and "gradient became non-finite" in r.message
    assert np.isfinite(r.grad_norm) and np.all(np.isfinite(r.x))
    with pytest.raises(InputError, match="grad_f: the gradient at x0 is not finite"):
        calculus.gradient_descent(lambda x: x**2, lambda x: np.inf, 1.0)
    # an unbounded f with line search: gradients near 1e200 overflowed ‖g‖² (RuntimeWarnings,
    # grad_norm inf); now the line search stops cleanly or f diverges, never a warning
    with np.errstate(over="ignore"):  # the user's f overflows: that is the point
        r = calculus.gradient_descent(lambda x: float(-np.sum(x**2)), lambda x: -2 * x,
                                      np.array([10.0]), lr=1.0, max_steps=2000, line_search=True)
    assert not r.converged and np.isfinite(r.grad_norm) and np.isfinite(r.fun)


def test_functions_that_return_no_numbers():
    # np.asarray(value, dtype=float) raised NumPy's ValueError / TypeError before
    for bad in ("a", None, 1j, {"x": 1}):
        with pytest.raises(InputError, match="f: expected real numbers, got"):
            calculus.gradient(lambda x, bad=bad: bad, [1.0, 2.0])
        with pytest.raises(InputError, match="f: expected real numbers, got"):
            calculus.gradient_descent(lambda x, bad=bad: bad, lambda x: 2 * x, 1.0)
        with pytest.raises(InputError, match="grad_f: expected real numbers, got"):
            calculus.check_gradient(camel, lambda x, bad=bad: bad, [1.0, 2.0])
    with pytest.raises(InputError, match="f: expected a function, got int"):
        calculus.jacobian(3, [1.0])
    with pytest.raises(InputError, match="grad_f: expected a function, got None"):
        calculus.hessian_from_gradient(None, [1.0])


def test_steps_too_small_for_x():
    # x + h == x gave 0 / 0: NaN derivatives with RuntimeWarnings
    with pytest.raises(InputError, match="h: a step of 1e-300 at x = 1 .* does not change x"):
        calculus.gradient(camel, [1.0, 2.0], h=1e-300)
    with pytest.raises(InputError, match="h: a step of 1e-300"):
        calculus.derivative(np.sin, 1.0, h=1e-300)  # a raw ZeroDivisionError
    # second differences divide by 4 h²: 1e-170 squared underflows even where x = 0
    with pytest.raises(InputError, match="underflows the second difference"):
        calculus.hessian(camel, [0.0, 0.0], h=1e-170)


def test_max_steps_reported():
    r = calculus.gradient_descent(lambda x: x**2, lambda x: 2 * x, 1.0, lr=1e-3, max_steps=5)
    assert not r.converged and r.n_steps == 5 and "max_steps" in r.message


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lr": -1.0}, "lr"),
        ({"momentum": 1.0}, "momentum"),
        ({"max_steps": 2.5}, "max_steps"),
        ({"tol": float("nan")}, "tol"),
        ({"armijo_c": None}, "armijo_c: expected a number in"),  # a raw TypeError from '<'
        ({"backtrack": np.ones(2)}, "backtrack: expected a number in"),  # NumPy's ValueError
        ({"lr": 10**400}, "lr: expected a finite number"),
    ],
)
def test_descent_bad_arguments(kwargs, match):
    with pytest.raises(InputError, match=match):
        calculus.gradient_descent(lambda x: x**2, lambda x: 2 * x, 1.0, **kwargs)


def test_bad_inputs():
    with pytest.raises(InputError, match="x: expected finite values, got NaN"):
        calculus.gradient(camel, [np.nan, 1.0])
    with pytest.raises(InputError, match="f: expected a scalar-valued function"):
        calculus.gradient(lambda x: x, [1.0, 2.0])
    with pytest.raises(InputError, match="f: returned a non-finite value"), np.errstate(
            invalid="ignore"):
        calculus.gradient(lambda x: np.log(x[0]), [0.0], h=0.5)
    with pytest.raises(InputError, match="h: expected positive"):
        calculus.gradient(camel, [1.0, 1.0], h=-1.0)
    with pytest.raises(InputError, match="grad_f: expected a gradient of shape"):
        calculus.check_gradient(camel, lambda x: np.ones(3), [1.0, 1.0])
    with pytest.raises(InputError, match="x: expected a 1-D array"):
        calculus.hessian(camel, np.ones((2, 2)))
