"""Losses: values, gradients (central differences and PyTorch), extreme logits, bad targets."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from _nn_helpers import assert_close_rel

from lacv.errors import InputError
from lacv.nn import (
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HingeLoss,
    L1Loss,
    L2Loss,
    NLLLoss,
    gradcheck,
    log_softmax,
    softmax,
)
from tolerances import FD_RTOL

RNG = np.random.default_rng(10)
S = RNG.normal(size=(5, 4))
LABELS = np.array([0, 3, 1, 1, 2])
ONE_HOT = np.eye(4)[LABELS]
Y_REG = RNG.normal(size=(5, 4))
Z_BIN = (RNG.random((5, 4)) > 0.5).astype(float)


def test_log_likelihood_lecture_example():
    # the scores of the cat image, true class "cat": −ln(0.13) = 2.04 (the notes' 0.89 is log10)
    value = CrossEntropyLoss().value(np.array([[3.2, 5.1, -1.7]]), [0])
    assert value == pytest.approx(2.04, abs=0.005)
    assert value / np.log(10) == pytest.approx(0.89, abs=0.005)
    # L_i = −log 0.7 for p = (0.1, 0.7, 0, ..., 0.2) and class 2 (index 1)
    p = np.array([[0.1, 0.7, 1e-300, 0.2]])
    assert NLLLoss().value(np.log(p), [1]) == pytest.approx(-np.log(0.7), rel=1e-15)


def test_cross_entropy_gradient_is_p_minus_z():
    value, grad = CrossEntropyLoss(reduction="sum")(S, LABELS)
    np.testing.assert_allclose(grad, softmax(S) - ONE_HOT, atol=1e-15)
    assert value == pytest.approx(-np.sum(log_softmax(S) * ONE_HOT), rel=1e-14)
    _, grad_mean = CrossEntropyLoss()(S, ONE_HOT)
    np.testing.assert_allclose(grad_mean, (softmax(S) - ONE_HOT) / 5, atol=1e-15)


def test_l1_lecture_example():
    y = np.array([[0.0, 1.0, 0.0, 0.0]])
    s = np.array([[0.1, 0.7, 0.0, 0.2]])
    assert L1Loss().value(s, y) == pytest.approx(0.1 + 0.3 + 0.2, rel=1e-14)


def test_l2_sum_is_lecture_default_and_mean_divides_by_n():
    value, grad = L2Loss()(S, Y_REG)
    assert value == pytest.approx(np.sum((S - Y_REG) ** 2), rel=1e-14)
    np.testing.assert_allclose(grad, 2 * (S - Y_REG), rtol=1e-15)
    value_m, grad_m = L2Loss(reduction="mean")(S, Y_REG)
    assert value_m == pytest.approx(value / 5, rel=1e-14)
    np.testing.assert_allclose(grad_m, grad / 5, rtol=1e-15)


def test_hinge_value():
    s = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
    # CS231n's example: losses 2.9, 0, 12.9 for classes cat, car, frog
    value = HingeLoss(reduction="sum").value(s, [0, 1, 2])  # rows are images
    assert value == pytest.approx(2.9 + 0.0 + 12.9, abs=1e-12)


CASES = [
    (L2Loss(), Y_REG),
    (L2Loss(reduction="mean"), Y_REG),
    (L1Loss(), Y_REG),
    (CrossEntropyLoss(), LABELS),
    (CrossEntropyLoss(reduction="sum"), ONE_HOT),
    (CrossEntropyLoss(), softmax(RNG.normal(size=(5, 4)))),
    (NLLLoss(), LABELS),
    (HingeLoss(), LABELS),
    (BCEWithLogitsLoss(), Z_BIN),
]


@pytest.mark.parametrize("loss, target", CASES, ids=lambda c: repr(c)[:30])
def test_gradients_pass_gradcheck(loss, target):
    result = gradcheck(loss, S, target)
    assert result.passed(FD_RTOL), str(result)


@pytest.mark.parametrize("loss, target", CASES, ids=lambda c: repr(c)[:30])
def test_extreme_logits_no_nan_inf_or_warning(loss, target):
    s = np.array([[1000.0, -1000.0, 0.0, 500.0]] * 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, grad = loss(s, target)
    assert np.isfinite(value) and np.all(np.isfinite(grad))


def test_cross_entropy_float32_extreme():
    s = np.array([[1000.0, -1000.0]], dtype=np.float32)
    value, grad = CrossEntropyLoss()(s, [1])
    assert value == pytest.approx(2000.0) and grad.dtype == np.float32
    np.testing.assert_allclose(grad, [[1.0, -1.0]])


def test_bad_targets_raise_input_error():
    ce = CrossEntropyLoss()
    with pytest.raises(InputError, match="out of range"):
        ce(S, [0, 1, 2, 3, 4])
    with pytest.raises(InputError, match="out of range"):
        HingeLoss()(S, [0, 1, 2, -1, 0])
    # an integral float beyond intp was cast to a garbage label with a RuntimeWarning
    with pytest.raises(InputError, match="label 1e\\+200 at index 0 is out of range"):
        ce(S, [1e200, 1, 2, 3, 0])
    # finite scores whose squares overflow: inf with a RuntimeWarning before
    with pytest.raises(InputError, match="l2 loss or its gradient overflows float64"):
        L2Loss()(S * 1e200, Y_REG)
    with pytest.raises(InputError, match="5 class indices"):
        ce(S, [0, 1])
    with pytest.raises(InputError, match="integers"):
        NLLLoss()(S, [0.5, 1, 2, 3, 0])
    with pytest.raises(InputError, match="not one-hot"):
        HingeLoss()(S, ONE_HOT * 2)
    with pytest.raises(InputError, match="probability rows"):
        ce(S, ONE_HOT * 2)
    with pytest.raises(InputError, match="shape"):
        L2Loss()(S, Y_REG[:, :3])
    with pytest.raises(InputError, match="NaN"):
        L2Loss()(np.where(S == S.max(), np.nan, S), Y_REG)
    with pytest.raises(InputError, match="target"):
        L1Loss()(S, np.full_like(S, np.inf))
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        BCEWithLogitsLoss()(S, Z_BIN * 2)
    with pytest.raises(InputError, match="reduction"):
        L2Loss(reduction="average")
    with pytest.raises(InputError, match="2-D"):
        ce(np.ones(4), [0])


@pytest.mark.oracle
def test_losses_against_pytorch(torch_oracle):
    torch = torch_oracle
    F = torch.nn.functional
    labels_t = torch.tensor(LABELS)
    cases = [
        (L2Loss(), Y_REG, lambda s: F.mse_loss(s, torch.tensor(Y_REG), reduction="sum")),
        (L2Loss(reduction="mean"), Y_REG,
         lambda s: F.mse_loss(s, torch.tensor(Y_REG), reduction="sum") / 5),
        (L1Loss(), Y_REG, lambda s: F.l1_loss(s, torch.tensor(Y_REG), reduction="sum")),
        (CrossEntropyLoss(), LABELS, lambda s: F.cross_entropy(s, labels_t)),
        (CrossEntropyLoss(reduction="sum"), ONE_HOT,
         lambda s: F.cross_entropy(s, torch.tensor(ONE_HOT), reduction="sum")),
        (NLLLoss(), LABELS, lambda s: F.nll_loss(s, labels_t)),
        # torch divides the multiclass hinge by the number of classes
        (HingeLoss(reduction="sum"), LABELS,
         lambda s: 4 * F.multi_margin_loss(s, labels_t, reduction="sum")),
        (BCEWithLogitsLoss(reduction="sum"), Z_BIN,
         lambda s: F.binary_cross_entropy_with_logits(s, torch.tensor(Z_BIN), reduction="sum")),
    ]
    for loss, target, theirs in cases:
        s = 3 * S
        st = torch.tensor(s, requires_grad=True)
        vt = theirs(st)
        vt.backward()
        value, grad = loss(s, target)
        assert_close_rel(value, vt.item())
        assert_close_rel(grad, st.grad.numpy())
