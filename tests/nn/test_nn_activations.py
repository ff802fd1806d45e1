"""Activations: the lecture's worked examples, Jacobians and gradients, extreme inputs, PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _nn_helpers import assert_close_rel, away_from_zero

from lacv import calculus
from lacv.errors import InputError
from lacv.nn import (
    ELU,
    LeakyReLU,
    Maxout,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    gradcheck,
    log_softmax,
    sigmoid,
    softmax,
)
from tolerances import FD_RTOL

ELEMENTWISE = [Sigmoid(), Tanh(), ReLU(), LeakyReLU(), LeakyReLU(0.2), ELU(), ELU(0.5)]
IDS = ["sigmoid", "tanh", "relu", "leaky", "leaky0.2", "elu", "elu0.5"]


def test_softmax_lecture_example():
    # cat / car / frog scores (3.2, 5.1, -1.7) -> probabilities (0.13, 0.87, 0.00)
    p = softmax(np.array([3.2, 5.1, -1.7]))
    np.testing.assert_allclose(p, [0.13, 0.87, 0.00], atol=0.005)
    assert p.sum() == pytest.approx(1.0, abs=1e-15)


def test_sigmoid_derivative_is_sigma_one_minus_sigma():
    x = np.linspace(-6, 6, 25)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(Sigmoid().derivative(x), s * (1 - s), rtol=1e-14)
    # the lecture's Jacobian diag(σ(1 − σ))
    np.testing.assert_allclose(Sigmoid().jacobian(x[:4]), np.diag(s[:4] * (1 - s[:4])))


def test_softmax_jacobian_is_lecture_formula():
    s = np.array([3.2, 5.1, -1.7, 0.4])
    p = softmax(s)
    D = Softmax().jacobian(s)
    expected = np.array([[p[a] * ((a == b) - p[b]) for b in range(4)] for a in range(4)])
    np.testing.assert_allclose(D, expected, atol=1e-16)
    err = calculus.check_jacobian(softmax, lambda v: Softmax().jacobian(v), s)
    assert err < FD_RTOL


def test_kink_conventions():
    x = np.array([0.0])
    assert ReLU().derivative(x)[0] == 0.0
    assert LeakyReLU().derivative(x)[0] == pytest.approx(0.1)
    assert ELU(0.5).derivative(x)[0] == 1.0
    np.testing.assert_array_equal(LeakyReLU().forward(np.array([-2.0, 3.0])), [-0.2, 3.0])


@pytest.mark.parametrize("act", ELEMENTWISE, ids=IDS)
def test_elementwise_jacobian_matches_central_differences(act):
    x = away_from_zero(np.random.default_rng(1), 6)
    err = calculus.check_jacobian(lambda v: act.forward(v), act.jacobian, x)
    assert err < FD_RTOL


@pytest.mark.parametrize("act", [*ELEMENTWISE, Softmax()], ids=[*IDS, "softmax"])
def test_backward_passes_gradcheck(act):
    x = away_from_zero(np.random.default_rng(2), (4, 5))
    result = gradcheck(act, x)
    assert result.passed(FD_RTOL), str(result)


def test_maxout_jacobian_and_gradcheck():
    layer = Maxout(5, 3, pieces=3, rng=0)
    x = np.random.default_rng(3).normal(size=(4, 5))
    result = gradcheck(layer, x)
    assert result.passed(FD_RTOL), str(result)
    err = calculus.check_jacobian(lambda v: layer.forward(v[np.newaxis])[0], layer.jacobian, x[0])
    assert err < FD_RTOL


def test_maxout_two_pieces_is_lecture_formula():
    layer = Maxout(3, 1, pieces=2, rng=0)
    layer.b.value[:] = [[0.5], [-0.25]]
    x = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, 3.0]])
    w1, w2 = layer.W.value[0, 0], layer.W.value[1, 0]
    expected = np.maximum(x @ w1 + 0.5, x @ w2 - 0.25)
    np.testing.assert_allclose(layer.forward(x)[:, 0], expected, rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act", [*ELEMENTWISE, Softmax()], ids=[*IDS, "softmax"])
def test_extreme_inputs_no_nan_inf_or_warning(act, dtype):
    x = np.array([[-1000.0, -100.0, 0.0, 100.0, 1000.0]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = act.forward(x)
        g = act.backward(np.ones_like(y))
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(g))
    assert y.dtype == dtype and g.dtype == dtype


def test_sigmoid_saturates_without_overflow():
    y = Sigmoid().forward(np.array([-1000.0, -700.0, 1000.0]))
    assert 0 < y[0] < 1e-300 and y[2] == 1.0
    assert y[1] == pytest.approx(np.exp(-700.0), rel=1e-13)
    y32 = Sigmoid().forward(np.array([-1000.0, -80.0, 1000.0], dtype=np.float32))
    assert 0 < y32[0] < 1e-37 and y32[2] == 1.0
    assert y32[1] == pytest.approx(np.exp(-80.0), rel=1e-6)


def test_sigmoid_matches_the_lecture_formula_where_it_does_not_overflow():
    x = np.linspace(-700, 700, 2001)
    np.testing.assert_allclose(Sigmoid().forward(x), 1 / (1 + np.exp(-x)), rtol=4e-16)


def test_bad_input_raises_input_error():
    with pytest.raises(InputError, match="x"):
        ReLU().forward([[1.0, np.nan]])
    with pytest.raises(InputError, match="1-D"):
        Softmax().jacobian(np.ones((2, 2)))
    with pytest.raises(InputError, match="forward first"):
        Tanh().backward(np.ones(3))
    with pytest.raises(InputError, match="alpha"):
        ELU(alpha=-1.0)


def test_public_functions_check_their_input():
    # strings, None, empty and ragged scores reached NumPy's own errors; integer logits failed in
    # the in-place exp; a scalar failed in sigmoid's out=; inf gave NaN with a RuntimeWarning
    np.testing.assert_allclose(softmax([1, 2, 3]), softmax([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(log_softmax(np.array([1, 2])), np.log(softmax([1.0, 2.0])))
    assert float(sigmoid(0.0)) == 0.5 and sigmoid(np.float32(1.0)).dtype == np.float32
    for bad, match in (("abc", "expected an array of numbers"), (None, "got None"),
                       ([], "non-empty"), ([[1.0], [1.0, 2.0]], "rectangular"),
                       ([np.inf, 1.0], "finite")):
        with pytest.raises(InputError, match=f"s: .*{match}"):
            softmax(bad)
        with pytest.raises(InputError, match=f"s: .*{match}"):
            log_softmax(bad)
    with pytest.raises(InputError, match="x: expected finite values, got NaN"):
        sigmoid(np.array([0.0, np.nan]))
    with pytest.raises(InputError, match="axis: expected an axis of a 2-D array, got 2"):
        softmax(np.ones((2, 3)), axis=2)
    with pytest.raises(InputError, match="axis: expected an integer"):
        softmax(np.ones(3), axis=0.5)


@pytest.mark.parametrize("act", [Sigmoid(), ReLU(), ELU(), Softmax()], ids=type)
def test_backward_checks_grad_out(act):
    # a wrong shape raised NumPy's broadcasting error, a list of the right shape worked only
    # for some activations
    act.forward(np.ones((4, 3)))
    with pytest.raises(InputError, match=r"backward: expected grad_out of shape \(4, 3\)"):
        act.backward(np.ones((3, 4)))
    with pytest.raises(InputError, match="grad_out: expected an array of numbers"):
        act.backward("grad")
    assert act.backward(np.ones((4, 3)).tolist()).shape == (4, 3)


@pytest.mark.oracle
def test_activations_against_pytorch(torch_oracle):
    torch = torch_oracle
    F = torch.nn.functional
    rng = np.random.default_rng(4)
    x = rng.normal(scale=3.0, size=(6, 7))
    g = rng.normal(size=(6, 7))
    cases = [
        (Sigmoid(), torch.sigmoid),
        (Tanh(), torch.tanh),
        (ReLU(), F.relu),
        (LeakyReLU(), lambda t: F.leaky_relu(t, 0.1)),
        (ELU(0.7), lambda t: F.elu(t, alpha=0.7)),
        (Softmax(), lambda t: torch.softmax(t, dim=1)),
    ]
    for ours, theirs in cases:
        xt = torch.tensor(x, requires_grad=True)
        yt = theirs(xt)
        yt.backward(torch.tensor(g))
        assert_close_rel(ours.forward(x), yt.detach().numpy())
        assert_close_rel(ours.backward(g), xt.grad.numpy())


@pytest.mark.oracle
def test_maxout_against_pytorch(torch_oracle):
    torch = torch_oracle
    layer = Maxout(5, 4, pieces=3, rng=5)
    rng = np.random.default_rng(6)
    x, g = rng.normal(size=(8, 5)), rng.normal(size=(8, 4))
    xt = torch.tensor(x, requires_grad=True)
    W = torch.tensor(layer.W.value, requires_grad=True)
    b = torch.tensor(layer.b.value, requires_grad=True)
    z = torch.einsum("nd,kmd->nkm", xt, W) + b
    y = z.max(dim=1).values
    y.backward(torch.tensor(g))
    assert_close_rel(layer.forward(x), y.detach().numpy())
    assert_close_rel(layer.backward(g), xt.grad.numpy())
    assert_close_rel(layer.W.grad, W.grad.numpy())
    assert_close_rel(layer.b.grad, b.grad.numpy())
