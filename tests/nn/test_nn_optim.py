"""Optimisers and schedules against torch.optim, and their argument checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _nn_helpers import assert_close_rel

from lacv.errors import InputError
from lacv.nn import SGD, Adam, CosineLR, Parameter, StepLR

RNG = np.random.default_rng(40)
W0 = RNG.normal(size=(4, 3))
GRADS = [RNG.normal(size=(4, 3)) for _ in range(6)]


def _run(make):
    p = Parameter(W0.copy(), "W")
    opt = make([p])
    for g in GRADS:
        opt.zero_grad()
        p.accumulate(g)
        opt.step()
    return p.value


def test_plain_sgd_is_gradient_descent():
    expected = W0 - 0.1 * sum(GRADS)
    np.testing.assert_allclose(_run(lambda ps: SGD(ps, lr=0.1)), expected, rtol=1e-14)


OPTIMISERS = [
    ("sgd", dict(lr=0.1)),
    ("sgd", dict(lr=0.1, momentum=0.9)),
    ("sgd", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
    ("adam", dict(lr=0.01)),
    ("adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("adamw", dict(lr=0.02, weight_decay=0.1)),
]


@pytest.mark.oracle
@pytest.mark.parametrize("kind, kwargs", OPTIMISERS, ids=lambda v: str(v))
def test_optimisers_against_pytorch(torch_oracle, kind, kwargs):
    torch = torch_oracle
    t = torch.nn.Parameter(torch.tensor(W0.copy()))
    if kind == "sgd":
        topt = torch.optim.SGD([t], **kwargs)
        ours = _run(lambda ps: SGD(ps, **kwargs))
    elif kind == "adam":
        topt = torch.optim.Adam([t], **kwargs)
        ours = _run(lambda ps: Adam(ps, **kwargs))
    else:
        topt = torch.optim.AdamW([t], **kwargs)
        ours = _run(lambda ps: Adam(ps, decoupled_weight_decay=True, **kwargs))
    for g in GRADS:
        topt.zero_grad()
        t.grad = torch.tensor(g)
        topt.step()
    assert_close_rel(ours, t.detach().numpy())


def test_schedules():
    opt = SGD([Parameter(np.zeros(2), "w")], lr=1.0)
    step = StepLR(opt, step_size=2, gamma=0.5)
    assert [step.step() for _ in range(5)] == [1.0, 0.5, 0.5, 0.25, 0.25]
    opt2 = Adam([Parameter(np.zeros(2), "w")], lr=1.0)
    cos = CosineLR(opt2, total_epochs=4, min_lr=0.1)
    lrs = [cos.step() for _ in range(6)]
    assert lrs[1] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi / 2)))
    assert lrs[3:] == [pytest.approx(0.1)] * 3
    assert opt2.lr == pytest.approx(0.1)


def test_bad_hyper_parameters_raise_input_error():
    ps = [Parameter(np.zeros(2), "w")]
    with pytest.raises(InputError, match="lr"):
        SGD(ps, lr=-1.0)
    with pytest.raises(InputError, match="momentum"):
        SGD(ps, lr=0.1, momentum=1.0)
    with pytest.raises(InputError, match="nesterov"):
        SGD(ps, lr=0.1, nesterov=True)
    with pytest.raises(InputError, match="betas"):
        Adam(ps, betas=(0.9, 1.0))
    with pytest.raises(InputError, match="no parameters"):
        Adam([])
    with pytest.raises(InputError, match="params"):
        Adam([np.zeros(2)])
    with pytest.raises(InputError, match="params: expected Parameters"):
        SGD(None, lr=0.1)  # list(None): a raw TypeError
    with pytest.raises(InputError, match="step_size"):
        StepLR(SGD(ps, lr=0.1), step_size=0)
