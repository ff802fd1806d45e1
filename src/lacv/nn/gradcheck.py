"""Gradient checks of layers, losses and models against central differences (float64).

A layer's ``backward`` is a vector-Jacobian product; to check it, reduce the
output to a scalar with a fixed random upstream gradient ``G``:
``L(x, θ) = Σ G ⊙ f(x; θ)``, whose exact gradients are ``backward(G)`` (for
``x``) and the accumulated ``grad`` of each parameter ``θ``. (With a loss,
``L`` is the loss of the output instead.) Each is compared with the central
differences of :func:`lacv.calculus.check_gradient`, which returns the largest
relative error; below 1e-7 in float64 the gradient is right.

The object is copied and converted to float64 first, so checking never
changes the caller's model, and a float32 model is checked in float64.
Dropout is checked in evaluation mode (its random mask would make ``L``
change from call to call). Keep the inputs away from kinks (ReLU at 0, a
Maxout tie, the hinge's margin): a difference step that crosses one
measures the jump, not the derivative.

References
----------
CS231n, "Neural Networks Part 3: gradient checks"; lecture notes, "Derivative
of Neural Net using Chain Rules".
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lacv import calculus
from lacv._validate import as_array, as_rng, describe
from lacv.errors import InputError
from lacv.nn.layers import Layer
from lacv.nn.losses import Loss

__all__ = ["GradcheckResult", "gradcheck"]


@dataclass(frozen=True)
class GradcheckResult:
    """Largest relative errors, by what was differentiated.

    Attributes
    ----------
    errors : dict of str to float
        ``"input"`` for ∂L/∂x, ``"<layer>.<param>"`` (e.g. ``"0.W"``) for each parameter.
    """

    errors: dict[str, float]

    @property
    def max_error(self) -> float:
        return max(self.errors.values())

    @property
    def worst(self) -> str:
        """Which gradient has the largest error."""
        return max(self.errors, key=self.errors.__getitem__)

    def passed(self, tol: float = 1e-7) -> bool:
        """Whether every relative error is at most ``tol``."""
        return self.max_error <= tol

    def __str__(self) -> str:
        parts = ", ".join(f"{k}: {v:.2e}" for k, v in self.errors.items())
        return f"gradcheck max relative error {self.max_error:.2e} ({parts})"


def gradcheck(obj: Layer | Loss, x: Any, target: Any = None, *, loss: Loss | None = None,
              rng: Any = 0, params: bool = True, floor: float | None = None) -> GradcheckResult:
    """Check the hand-derived gradients of a layer, a model or a loss.

    Parameters
    ----------
    obj : Layer or Loss
        A layer (activation, Linear, Maxout, ...), a ``Sequential`` model, or a loss.
    x : array_like
        The input: ``(N, d)`` for a layer or model, scores ``(N, C)`` for a loss.
    target : array_like, optional
        The target, for a loss or with ``loss=``.
    loss : Loss, optional
        For a layer or model: reduce its output with this loss (and ``target``)
        instead of a random upstream gradient.
    rng : numpy.random.Generator, int or None
        Draws the upstream gradient ``G``.
    params : bool
        Check the parameter gradients too (not only ∂L/∂x).
    floor : float, optional
        Least denominator of the relative error (see
        :func:`lacv.calculus.relative_error`).

    Returns
    -------
    GradcheckResult

    Examples
    --------
    >>> import numpy as np
    >>> from lacv.nn import Linear, gradcheck
    >>> r = gradcheck(Linear(4, 3, rng=0), np.ones((2, 4)))
    >>> r.passed()
    True
    """
    x_arr = as_array(x, "x")
    if isinstance(obj, Loss):
        if target is None:
            raise InputError("target: a loss needs a target to be checked")
        lo = obj
        tgt = target

        def f_loss(s: np.ndarray) -> float:
            return lo.value(s, tgt)

        def g_loss(s: np.ndarray) -> np.ndarray:
            return lo(s, tgt)[1]

        return GradcheckResult({"input": calculus.check_gradient(f_loss, g_loss, x_arr,
                                                                 floor=floor)})
    if not isinstance(obj, Layer):
        raise InputError(f"obj: expected a lacv.nn layer, model or loss, got {describe(obj)}")
    if loss is not None and not isinstance(loss, Loss):
        raise InputError(f"loss: expected a lacv.nn loss, got {describe(loss)}")
    if loss is not None and target is None:
        raise InputError("target: checking through a loss needs a target")
    layer = copy.deepcopy(obj)
    layer.astype(np.float64)

    out0 = layer.forward(x_arr.copy(), training=False)
    if loss is None:
        upstream = as_rng(rng).standard_normal(out0.shape)

        def scalar(out: np.ndarray) -> tuple[float, np.ndarray]:
            return float(np.sum(upstream * out)), upstream
    else:
        lo2 = loss

        def scalar(out: np.ndarray) -> tuple[float, np.ndarray]:
            return lo2(out, target)

    def f_input(v: np.ndarray) -> float:
        return scalar(layer.forward(v, training=False))[0]

    def g_input(v: np.ndarray) -> np.ndarray:
        _, G = scalar(layer.forward(v, training=False))
        layer.zero_grad()
        return layer.backward(G)

    errors = {"input": calculus.check_gradient(f_input, g_input, x_arr, floor=floor)}
    if params:
        named = (layer.named_parameters() if hasattr(layer, "named_parameters") else [])
        for name, p in named:
            errors[name] = _check_param(layer, p, x_arr, scalar, floor)
    return GradcheckResult(errors)


def _check_param(layer: Layer, p: Any, x: np.ndarray,
                 scalar: Callable[[np.ndarray], tuple[float, np.ndarray]],
                 floor: float | None) -> float:
    original = p.value.copy()

    def f(v: np.ndarray) -> float:
        p.value[...] = v
        return scalar(layer.forward(x, training=False))[0]

    def g(v: np.ndarray) -> np.ndarray:
        p.value[...] = v
        _, G = scalar(layer.forward(x, training=False))
        layer.zero_grad()
        layer.backward(G)
        return p.grad.copy()

    try:
        return calculus.check_gradient(f, g, original, floor=floor)
    finally:
        p.value[...] = original
