"""Optimisers (SGD with momentum / Nesterov / weight decay, Adam) and learning-rate schedules.

An optimiser holds a list of :class:`~lacv.nn.layers.Parameter` objects and
updates their values in place from their accumulated gradients on each
:meth:`step`. The update rules follow PyTorch's ``torch.optim.SGD`` and
``torch.optim.Adam`` exactly (the tests compare them), with every
hyper-parameter an explicit keyword.

References
----------
Lecture notes, "Gradient descent" (x ← x − α ∇f); Sutskever et al., "On the
importance of initialization and momentum in deep learning", ICML 2013;
Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015;
Loshchilov & Hutter, "SGDR" (cosine schedule), ICLR 2017.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from lacv._validate import check_int, check_positive, check_probability, describe
from lacv.errors import InputError
from lacv.nn.layers import Parameter

__all__ = ["SGD", "Adam", "CosineLR", "Optimizer", "StepLR"]


class Optimizer:
    """Base class: ``lr`` (the current learning rate), ``step()``, ``zero_grad()``.

    The parameters' values and gradients are moved into two contiguous flat
    buffers (each :class:`Parameter` keeps a view of its slice), so an update
    is a handful of vector operations over all parameters at once rather than
    per parameter. Layers always read ``param.value``, so they see the moved
    arrays; if a parameter is given new storage later (``astype``), the next
    step packs again.
    """

    def __init__(self, params: Iterable[Parameter], lr: float) -> None:
        if isinstance(params, (str, bytes)) or not (isinstance(params, Parameter)
                                                     or hasattr(params, "__iter__")):
            raise InputError(f"params: expected Parameters (model.parameters()), got "
                             f"{describe(params)}")  # list(None) raised a raw TypeError
        plist = list(params) if not isinstance(params, Parameter) else [params]
        if not plist:
            raise InputError("params: the optimiser got no parameters")
        for i, p in enumerate(plist):
            if not isinstance(p, Parameter):
                raise InputError(f"params[{i}]: expected a Parameter, got {describe(p)}")
        unique: dict[int, Parameter] = {id(p): p for p in plist}
        self.params: list[Parameter] = list(unique.values())
        dtypes = {p.value.dtype for p in self.params}
        if len(dtypes) > 1:
            raise InputError(f"params: expected one dtype for all parameters, got "
                             f"{sorted(str(d) for d in dtypes)}")
        self.lr = check_positive(lr, "lr")
        self.base_lr = self.lr
        self.steps = 0
        self._value = np.empty(0)
        self._grad = np.empty(0)
        self._pack()

    def _pack(self) -> None:
        """Copy every value and gradient into flat buffers and point the parameters at views."""
        dtype = self.params[0].value.dtype
        total = sum(p.size for p in self.params)
        value = np.empty(total, dtype=dtype)
        grad = np.zeros(total, dtype=dtype)
        offset = 0
        for p in self.params:
            n = p.size
            shape = p.value.shape
            # a column-major parameter (Linear's W) stays column-major: pack its transpose
            column_major = p.value.flags.f_contiguous and not p.value.flags.c_contiguous
            v_src, g_src = (p.value.T, p._grad.T) if column_major else (p.value, p._grad)
            value[offset:offset + n] = v_src.reshape(-1)
            if not p._fresh:
                grad[offset:offset + n] = g_src.reshape(-1)
            if column_major:
                p.value = value[offset:offset + n].reshape(shape[::-1]).T
                p._grad = grad[offset:offset + n].reshape(shape[::-1]).T
            else:
                p.value = value[offset:offset + n].reshape(shape)
                p._grad = grad[offset:offset + n].reshape(shape)
            offset += n
        self._value, self._grad = value, grad

    def _buffers(self) -> tuple[np.ndarray, np.ndarray]:
        """The flat value and gradient buffers, repacked if a parameter moved; gradients
        that were cleared and never accumulated read as zero."""
        value, grad = self._value, self._grad
        for p in self.params:
            if p.value.base is not value or p._grad.base is not grad:
                if len({q.value.dtype for q in self.params}) > 1:
                    raise InputError("params: the parameters no longer share one dtype")
                self._pack()
                self._on_repack()
                return self._buffers()
            if p._fresh:
                p._grad.fill(0)
                p._fresh = False
        return value, grad

    def _on_repack(self) -> None:
        """Adjust optimiser state after the buffers were rebuilt (dtype changes)."""

    def zero_grad(self) -> None:
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        return {"lr": self.base_lr}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Stochastic gradient descent: w ← w − lr · u.

    With g = ∇w + λ w (weight decay λ) and velocity v ← μ v + g:
    u = g (μ = 0), u = v (momentum) or u = g + μ v (Nesterov).

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        Learning rate (the lecture's α).
    momentum : float
        μ in [0, 1).
    nesterov : bool
        Nesterov's look-ahead form (needs momentum > 0).
    weight_decay : float
        λ ≥ 0, an L2 penalty ½λ‖w‖² added to the loss.
    """

    def __init__(self, params: Iterable[Parameter], *, lr: float, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = check_probability(momentum, "momentum", open_interval=False)
        if self.momentum >= 1:
            raise InputError(f"momentum: expected a number in [0, 1), got {momentum!r}")
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise InputError("nesterov: Nesterov momentum needs momentum > 0")
        self.weight_decay = check_positive(weight_decay, "weight_decay", allow_zero=True)
        self._velocity: np.ndarray | None = None
        self._scratch = np.empty_like(self._value)

    def _on_repack(self) -> None:
        self._scratch = np.empty_like(self._value)
        if self._velocity is not None:
            self._velocity = self._velocity.astype(self._value.dtype)

    def step(self) -> None:
        w, g = self._buffers()
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        if wd:
            g = g + wd * w
        if mu:
            v = self._velocity
            if v is None:
                v = self._velocity = g.copy()
            else:
                v *= mu
                v += g
            g = g + mu * v if self.nesterov else v
        # w ← w − lr·g through a reused scratch buffer: no allocation, and no BLAS call
        # (a threaded axpy here made the next matrix products slower on a busy machine)
        scratch = self._scratch
        np.multiply(g, lr, out=scratch)
        w -= scratch
        self.steps += 1

    def config(self) -> dict[str, Any]:
        return {"lr": self.base_lr, "momentum": self.momentum, "nesterov": self.nesterov,
                "weight_decay": self.weight_decay}


class Adam(Optimizer):
    """Adam: per-parameter steps from bias-corrected moment estimates.

    g = ∇w + λw; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
    w ← w − lr · m̂ / (√v̂ + ε) with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
    With ``decoupled_weight_decay=True`` (AdamW) the decay is applied to w
    directly, w ← w(1 − lr λ), instead of being added to g.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
    betas : (float, float)
        β₁, β₂ in [0, 1).
    eps : float
    weight_decay : float
    decoupled_weight_decay : bool
    """

    def __init__(self, params: Iterable[Parameter], *, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise InputError(f"betas: expected two numbers (beta1, beta2), got {describe(betas)}")
        b1 = check_probability(betas[0], "betas[0]", open_interval=False)
        b2 = check_probability(betas[1], "betas[1]", open_interval=False)
        if b1 >= 1 or b2 >= 1:
            raise InputError(f"betas: expected numbers in [0, 1), got {tuple(betas)!r}")
        self.betas = (b1, b2)
        self.eps = check_positive(eps, "eps")
        self.weight_decay = check_positive(weight_decay, "weight_decay", allow_zero=True)
        self.decoupled_weight_decay = bool(decoupled_weight_decay)
        self._m = np.zeros_like(self._value)
        self._v = np.zeros_like(self._value)

    def _on_repack(self) -> None:
        self._m = self._m.astype(self._value.dtype)
        self._v = self._v.astype(self._value.dtype)

    def step(self) -> None:
        w, g = self._buffers()
        self.steps += 1
        t = self.steps
        b1, b2 = self.betas
        lr, wd, eps = self.lr, self.weight_decay, self.eps
        m, v = self._m, self._v
        if wd and self.decoupled_weight_decay:
            w *= 1.0 - lr * wd
        elif wd:
            g = g + wd * w
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * (g * g)
        # w -= lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε), as torch.optim.Adam
        denom = np.sqrt(v)
        denom /= math.sqrt(1.0 - b2**t)
        denom += eps
        np.divide(m, denom, out=denom)
        denom *= lr / (1.0 - b1**t)
        w -= denom

    def config(self) -> dict[str, Any]:
        return {"lr": self.base_lr, "betas": list(self.betas), "eps": self.eps,
                "weight_decay": self.weight_decay,
                "decoupled_weight_decay": self.decoupled_weight_decay}


class _Schedule:
    """Sets ``optimizer.lr`` from the epoch count; call :meth:`step` once per epoch."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise InputError(f"optimizer: expected an Optimizer, got {describe(optimizer)}")
        self.optimizer = optimizer
        self.epoch = 0

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> float:
        """Advance one epoch; set and return the new learning rate."""
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)
        return self.optimizer.lr


class StepLR(_Schedule):
    """lr = lr₀ · γ^⌊epoch / step_size⌋."""

    def __init__(self, optimizer: Optimizer, *, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        self.step_size = check_int(step_size, "step_size", minimum=1)
        self.gamma = check_positive(gamma, "gamma")

    def lr_at(self, epoch: int) -> float:
        return self.optimizer.base_lr * self.gamma ** (epoch // self.step_size)


class CosineLR(_Schedule):
    """lr = lr_min + ½(lr₀ − lr_min)(1 + cos(π · epoch / total_epochs)), lr_min after the end."""

    def __init__(self, optimizer: Optimizer, *, total_epochs: int, min_lr: float = 0.0) -> None:
        super().__init__(optimizer)
        self.total_epochs = check_int(total_epochs, "total_epochs", minimum=1)
        self.min_lr = check_positive(min_lr, "min_lr", allow_zero=True)

    def lr_at(self, epoch: int) -> float:
        e = min(epoch, self.total_epochs)
        cos = 0.5 * (1.0 + math.cos(math.pi * e / self.total_epochs))
        return self.min_lr + (self.optimizer.base_lr - self.min_lr) * cos
