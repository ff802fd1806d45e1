"""Central differences against PyTorch autograd (float64): the gradient oracle."""

from __future__ import annotations

import numpy as np
import pytest

from lacv import calculus
from lacv_testing import require_oracle
from tolerances import FD_RTOL

#: name -> the function in NumPy; _torch_version gives the same in PyTorch
CASES = {
    "camel": lambda x: (4 - 2.1 * x[0] ** 2 + x[0] ** 4 / 3) * x[0] ** 2 + x[0] * x[1]
    + (-4 + 4 * x[1] ** 2) * x[1] ** 2,
    "logsumexp": lambda x: np.log(np.sum(np.exp(x))),
    "rosenbrock": lambda x: np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2),
    "sin-prod": lambda x: np.sin(x[0] * x[1]) + np.cos(x[2]) * x[0] ** 2,
}


def _torch_version(name, torch):
    return {
        "camel": lambda x: (4 - 2.1 * x[0] ** 2 + x[0] ** 4 / 3) * x[0] ** 2 + x[0] * x[1]
        + (-4 + 4 * x[1] ** 2) * x[1] ** 2,
        "logsumexp": lambda x: torch.logsumexp(x, 0),
        "rosenbrock": lambda x: torch.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2),
        "sin-prod": lambda x: torch.sin(x[0] * x[1]) + torch.cos(x[2]) * x[0] ** 2,
    }[name]


@pytest.mark.oracle
@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_and_hessian_match_autograd(name):
    torch = require_oracle()
    f = CASES[name]
    tf = _torch_version(name, torch)
    rng = np.random.default_rng(0)
    for _trial in range(5):
        x = rng.uniform(-1.5, 1.5, size=3 if name != "camel" else 2)
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        (g_ref,) = torch.autograd.grad(tf(xt), xt)
        H_ref = torch.autograd.functional.hessian(tf, torch.tensor(x, dtype=torch.float64))
        g_ref, H_ref = g_ref.numpy(), H_ref.numpy()
        assert calculus.relative_error(calculus.gradient(f, x), g_ref) < FD_RTOL
        np.testing.assert_allclose(calculus.hessian(f, x), H_ref, rtol=1e-5,
                                   atol=1e-5 * np.abs(H_ref).max())
        np.testing.assert_allclose(
            calculus.hessian_from_gradient(lambda v: calculus.gradient(f, v), x), H_ref,
            rtol=1e-4, atol=1e-4 * np.abs(H_ref).max())


@pytest.mark.oracle
def test_jacobian_matches_autograd():
    torch = require_oracle()

    def f(x):
        return np.array([np.sin(x[0]) * x[1], x[0] ** 2 - x[2], np.exp(0.3 * x[1] * x[2]),
                         x[0] * x[1] * x[2]])

    def tf(x):
        return torch.stack([torch.sin(x[0]) * x[1], x[0] ** 2 - x[2],
                            torch.exp(0.3 * x[1] * x[2]), x[0] * x[1] * x[2]])

    x = np.array([0.7, -1.2, 0.4])
    J_ref = torch.autograd.functional.jacobian(tf, torch.tensor(x, dtype=torch.float64)).numpy()
    J = calculus.jacobian(f, x)
    assert J.shape == J_ref.shape == (4, 3)  # numerator layout, as PyTorch
    assert calculus.relative_error(J, J_ref) < FD_RTOL
