"""Layers and models: the lecture's hand-derived 2-layer gradients, gradchecks, fan-out, PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from _nn_helpers import assert_close_rel, away_from_zero

from lacv.errors import InputError
from lacv.nn import (
    ELU,
    CrossEntropyLoss,
    Dropout,
    L2Loss,
    LeakyReLU,
    Linear,
    Maxout,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Standardize,
    Tanh,
    gradcheck,
    mlp,
)
from tolerances import FD_RTOL

RNG = np.random.default_rng(20)


def sigma(v):
    return 1.0 / (1.0 + np.exp(-v))


def _two_layer(d=5, h=4, n=3, last_sigmoid=True):
    l1, l2 = Linear(d, h, init="xavier", rng=1), Linear(h, n, init="xavier", rng=2)
    l1.b.value[:] = RNG.normal(size=h)
    l2.b.value[:] = RNG.normal(size=n)
    layers = [l1, Sigmoid(), l2] + ([Sigmoid()] if last_sigmoid else [])
    return Sequential(*layers), l1, l2


def test_lecture_two_layer_l2_gradients_equal_layer_composition():
    """Example 2 of the lecture: p1 = σ(W1x + b1), p2 = σ(W2p1 + b2), L = (z − p2)²."""
    model, l1, l2 = _two_layer()
    x = RNG.normal(size=5)
    z = RNG.normal(size=3)
    W1, b1, W2, b2 = l1.W.value, l1.b.value, l2.W.value, l2.b.value
    # the lecture's equations, one column vector at a time
    s1 = W1 @ x + b1
    p1 = sigma(s1)
    s2 = W2 @ p1 + b2
    p2 = sigma(s2)
    dL_dp2 = -2 * (z - p2)
    dL_ds2 = np.diag((1 - sigma(s2)) * sigma(s2)) @ dL_dp2
    dL_dW2 = np.outer(dL_ds2, p1)
    dL_dp1 = W2.T @ dL_ds2
    dL_ds1 = np.diag((1 - sigma(s1)) * sigma(s1)) @ dL_dp1
    dL_dW1 = np.outer(dL_ds1, x)
    dL_dx = W1.T @ dL_ds1

    value, G = L2Loss()(model.forward(x[np.newaxis]), z[np.newaxis])
    assert value == pytest.approx(np.sum((z - p2) ** 2), rel=1e-14)
    model.zero_grad()
    gx = model.backward(G)
    np.testing.assert_allclose(l2.W.grad, dL_dW2, rtol=1e-13)
    np.testing.assert_allclose(l2.b.grad, dL_ds2, rtol=1e-13)
    np.testing.assert_allclose(l1.W.grad, dL_dW1, rtol=1e-13)
    np.testing.assert_allclose(l1.b.grad, dL_ds1, rtol=1e-13)
    np.testing.assert_allclose(gx[0], dL_dx, rtol=1e-13)


def test_lecture_two_layer_softmax_gradients_equal_layer_composition():
    """Example 4: s2 = W2 σ(W1x + b1) + b2, p2 = softmax(s2), L = −log p_y; D ∂L/∂p2 = p − z."""
    model, l1, l2 = _two_layer(last_sigmoid=False)
    x = RNG.normal(size=5)
    y = 2
    z = np.eye(3)[y]
    W1, b1, W2, b2 = l1.W.value, l1.b.value, l2.W.value, l2.b.value
    s1 = W1 @ x + b1
    p1 = sigma(s1)
    s2 = W2 @ p1 + b2
    p2 = np.exp(s2) / np.exp(s2).sum()
    dL_dp2 = np.where(np.arange(3) == y, -1 / p2[y], 0.0)
    D = np.array([[p2[a] * ((a == b) - p2[b]) for b in range(3)] for a in range(3)])
    dL_ds2 = D @ dL_dp2
    np.testing.assert_allclose(dL_ds2, p2 - z, atol=1e-15)  # the lecture's p − z
    dL_dW2 = np.outer(dL_ds2, p1)
    dL_ds1 = np.diag((1 - sigma(s1)) * sigma(s1)) @ (W2.T @ dL_ds2)
    dL_dW1 = np.outer(dL_ds1, x)

    value, G = CrossEntropyLoss(reduction="sum")(model.forward(x[np.newaxis]), [y])
    assert value == pytest.approx(-np.log(p2[y]), rel=1e-14)
    model.zero_grad()
    model.backward_params(G)
    np.testing.assert_allclose(l2.W.grad, dL_dW2, rtol=1e-13)
    np.testing.assert_allclose(l2.b.grad, dL_ds2, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(l1.W.grad, dL_dW1, rtol=1e-13)
    np.testing.assert_allclose(l1.b.grad, dL_ds1, rtol=1e-13)


def test_linear_jacobian_is_W():
    layer = Linear(3, 2, rng=0)
    np.testing.assert_array_equal(layer.jacobian([1.0, 2.0, 3.0]), layer.W.value)


@pytest.mark.parametrize("layer", [
    Linear(5, 4, rng=0),
    Linear(5, 4, bias=False, rng=0),
    Maxout(5, 3, pieces=2, rng=0),
    Dropout(0.5, rng=0),
    Standardize(np.arange(5.0), np.arange(1.0, 6.0)),
], ids=["linear", "linear-nobias", "maxout", "dropout-eval", "standardize"])
def test_layers_pass_gradcheck(layer):
    result = gradcheck(layer, RNG.normal(size=(3, 5)))
    assert result.passed(FD_RTOL), str(result)


@pytest.mark.parametrize("activation", ["relu", "leaky-relu", "elu", "tanh", "sigmoid"])
def test_mlp_passes_gradcheck(activation):
    model = mlp([4, 6, 5, 3], activation, rng=1)
    for layer in model.layers[::2]:
        layer.b.value[:] = RNG.normal(size=layer.b.value.shape)
    x = away_from_zero(RNG, (3, 4), low=0.2)
    result = gradcheck(model, x, [0, 2, 1], loss=CrossEntropyLoss())
    assert result.passed(FD_RTOL), str(result)
    assert set(result.errors) == {"input", "0.W", "0.b", "2.W", "2.b", "4.W", "4.b"}


class _WrongSigmoid(Sigmoid):
    """σ'(x) written as σ(x) — a typical slip."""

    def _df(self, x, y):
        return y.copy()


class _WrongLinear(Linear):
    """∂L/∂b assigned from the first row only instead of summed over the batch."""

    def _backward_params(self, grad_out):
        self.W.accumulate_matmul(grad_out.T, self._x)
        self.b.accumulate(grad_out[0])
        return grad_out


def test_gradcheck_catches_a_wrong_backward():
    x = RNG.normal(size=(4, 3))
    bad = gradcheck(_WrongSigmoid(), x)
    assert not bad.passed(1e-3) and bad.worst == "input"
    good = gradcheck(Sigmoid(), x)
    assert good.passed(FD_RTOL)
    bad_model = Sequential(_WrongLinear(3, 2, rng=0), Tanh())
    result = gradcheck(bad_model, x)
    assert result.errors["0.b"] > 1e-2 and result.errors["0.W"] < FD_RTOL


def test_shared_parameter_accumulates_from_both_uses():
    """Tied weights: one W used by two layers gets the sum of both gradients (fan-out)."""
    W = Parameter(RNG.normal(size=(4, 4)) * 0.5, "W")
    model = Sequential(Linear.from_weights(W, np.zeros(4)), Tanh(),
                       Linear.from_weights(W), ELU())
    assert len(model.parameters()) == 2  # W once, plus the first bias
    result = gradcheck(model, RNG.normal(size=(3, 4)))
    assert result.passed(FD_RTOL), str(result)


def test_gradients_accumulate_until_zero_grad():
    model = mlp([3, 4, 2], rng=0)
    x = RNG.normal(size=(5, 3))
    G = RNG.normal(size=(5, 2))
    model.zero_grad()
    model.forward(x)
    model.backward(G)
    once = [p.grad.copy() for p in model.parameters()]
    model.forward(x)
    model.backward(G)
    for p, g in zip(model.parameters(), once, strict=True):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-15)
    model.zero_grad()
    assert all(np.all(p.grad == 0) for p in model.parameters())


def test_backward_params_skips_only_the_input_gradient():
    model = mlp([3, 4, 2], rng=0)
    x, G = RNG.normal(size=(5, 3)), RNG.normal(size=(5, 2))
    model.forward(x)
    model.zero_grad()
    model.backward(G)
    full = [p.grad.copy() for p in model.parameters()]
    model.forward(x)
    model.zero_grad()
    model.backward_params(G)
    for p, g in zip(model.parameters(), full, strict=True):
        np.testing.assert_array_equal(p.grad, g)


def test_dropout_training_mask_and_evaluation_identity():
    layer = Dropout(0.25, rng=0)
    x = np.ones((200, 50))
    np.testing.assert_array_equal(layer.forward(x), x)
    y = layer.forward(x, training=True)
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.75)
    g = RNG.normal(size=x.shape)
    np.testing.assert_allclose(layer.backward(g), np.where(kept, g / 0.75, 0.0))


def test_same_seed_same_model():
    a, b, c = mlp([8, 5, 3], rng=7), mlp([8, 5, 3], rng=7), mlp([8, 5, 3], rng=8)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(pa.value, pb.value)
    assert not np.array_equal(a.parameters()[0].value, c.parameters()[0].value)


def test_float32_model_forward_backward_stays_float32():
    model = mlp([6, 5, 3], "tanh", rng=0, dtype=np.float32)
    out = model.forward(RNG.normal(size=(4, 6)))
    assert out.dtype == np.float32
    model.zero_grad()
    gx = model.backward(np.ones_like(out))
    assert gx.dtype == np.float32 and all(p.grad.dtype == np.float32
                                          for p in model.parameters())
    # gradcheck converts a copy to float64; the model itself is untouched
    before = model.parameters()[0].value.copy()
    assert gradcheck(model, RNG.normal(size=(2, 6))).passed(FD_RTOL)
    np.testing.assert_array_equal(model.parameters()[0].value, before)
    assert model.dtype == np.float32


def test_bad_layer_input_raises_input_error():
    layer = Linear(3, 2)
    with pytest.raises(InputError, match=r"\(N, 3\)"):
        layer.forward(np.ones((4, 5)))
    with pytest.raises(InputError, match="forward first"):
        Linear(3, 2).backward(np.ones((1, 2)))
    layer.forward(np.ones((4, 3)))
    with pytest.raises(InputError, match="grad_out"):
        layer.backward(np.ones((4, 3)))
    with pytest.raises(InputError, match="grad_out: expected a rectangular array"):
        layer.backward([[1.0, 2.0], [3.0]])  # grad_out.shape of a list: AttributeError
    std = Standardize(np.zeros(3), np.ones(3))
    with pytest.raises(InputError, match=r"Standardize.backward: expected grad_out"):
        std.backward(np.ones((4, 2)))
    with pytest.raises(InputError, match="value: expected a float32 or float64 ndarray"):
        Parameter([1.0, 2.0], "w")  # .flags of a list: AttributeError
    with pytest.raises(InputError, match="sizes"):
        mlp([10])
    with pytest.raises(InputError, match="activation"):
        mlp([3, 2], "swish")
    with pytest.raises(InputError, match="twice"):
        relu = ReLU()
        Sequential(Linear(2, 2), relu, relu)
    with pytest.raises(InputError, match="dtype"):
        Linear(2, 2, dtype=np.int32)
    with pytest.raises(InputError, match="p"):
        Dropout(1.0)
    with pytest.raises(InputError, match="x"):
        mlp([3, 2]).forward([[1.0, "a", 2.0]])


@pytest.mark.oracle
def test_mlp_gradients_against_pytorch(torch_oracle):
    torch = torch_oracle
    model = mlp([6, 8, 7, 4], "elu", rng=3)
    layers = [model[0], model[2], model[4]]
    for layer in layers:
        layer.b.value[:] = RNG.normal(size=layer.b.value.shape)
    x = RNG.normal(size=(9, 6))
    y = RNG.integers(0, 4, size=9)
    value, G = CrossEntropyLoss()(model.forward(x), y)
    model.zero_grad()
    gx = model.backward(G)

    xt = torch.tensor(x, requires_grad=True)
    params = [(torch.tensor(lay.W.value, requires_grad=True),
               torch.tensor(lay.b.value, requires_grad=True)) for lay in layers]
    h = xt
    for i, (W, b) in enumerate(params):
        h = torch.nn.functional.linear(h, W, b)
        if i < 2:
            h = torch.nn.functional.elu(h)
    lt = torch.nn.functional.cross_entropy(h, torch.tensor(y))
    lt.backward()
    assert_close_rel(value, lt.item())
    assert_close_rel(gx, xt.grad.numpy())
    for lay, (W, b) in zip(layers, params, strict=True):
        assert_close_rel(lay.W.grad, W.grad.numpy())
        assert_close_rel(lay.b.grad, b.grad.numpy())


@pytest.mark.oracle
def test_leaky_relu_and_sigmoid_net_against_pytorch(torch_oracle):
    torch = torch_oracle
    l1, l2 = Linear(5, 6, rng=4), Linear(6, 3, rng=5)
    model = Sequential(l1, LeakyReLU(), l2, Sigmoid())
    x, z = RNG.normal(size=(7, 5)), RNG.normal(size=(7, 3))
    value, G = L2Loss()(model.forward(x), z)
    model.zero_grad()
    model.backward_params(G)
    W1 = torch.tensor(l1.W.value, requires_grad=True)
    W2 = torch.tensor(l2.W.value, requires_grad=True)
    h = torch.nn.functional.leaky_relu(torch.tensor(x) @ W1.T, 0.1) @ W2.T
    lt = ((torch.sigmoid(h) - torch.tensor(z)) ** 2).sum()
    lt.backward()
    assert_close_rel(value, lt.item())
    assert_close_rel(l1.W.grad, W1.grad.numpy())
    assert_close_rel(l2.W.grad, W2.grad.numpy())
