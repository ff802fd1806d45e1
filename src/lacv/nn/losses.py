"""Losses: each returns the loss and its gradient with respect to its input.

``loss(s, target) -> (value, ∂L/∂s)`` where ``s`` is ``(N, C)`` (a batch of
score rows). ``loss.value(s, target)`` gives the value alone. Classification
targets are class indices ``(N,)`` (0-based integers) or one-hot rows
``(N, C)``; regression targets have the shape of ``s``.

Reductions: ``"sum"`` adds the per-sample losses L_i, ``"mean"`` averages
them over the batch. The L1 / L2 regression losses default to ``"sum"``, as
in the lecture (its loss sums over outputs and its training loop sums over the
batch); the classification losses default to ``"mean"``, the convention of
every ML library.

References
----------
Lecture notes, "Loss function", "Loss Function: Log Likelihood Loss",
"Softmax + Log Likelihood Loss", "Loss Function: Regression Loss"; CS231n,
"Linear classification" (multiclass SVM / hinge loss).
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

import numpy as np
from scipy.special import expit

from lacv._validate import as_array, check_choice, check_positive, describe
from lacv.errors import InputError
from lacv.nn.activations import _log_softmax_and_softmax

__all__ = [
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HingeLoss",
    "L1Loss",
    "L2Loss",
    "Loss",
    "NLLLoss",
    "labels_from_target",
]

_REDUCTIONS = ("sum", "mean")


def _as_scores(s: Any, name: str = "scores") -> np.ndarray:
    if isinstance(s, np.ndarray) and s.dtype.kind == "f":
        arr = s
        if arr.size == 0:
            raise InputError(f"{name}: expected a non-empty array, got {describe(arr)}")
        if not np.isfinite(arr).all():
            as_array(arr, name)  # raises, naming the first non-finite value
    else:
        arr = as_array(s, name)
    if arr.ndim != 2:
        raise InputError(f"{name}: expected a 2-D (N, C) array of scores, got {describe(arr)}")
    return arr


def labels_from_target(target: Any, n: int, n_classes: int, name: str = "target") -> np.ndarray:
    """Class indices ``(n,)`` from indices or one-hot rows; checks the range.

    Raises
    ------
    InputError
        Wrong shape, non-integers, an index outside ``[0, n_classes)``, or a
        row that is not one-hot.
    """
    t = np.asarray(target)
    if t.dtype == object or t.dtype.kind not in "biuf":
        raise InputError(f"{name}: expected class indices or one-hot rows, got {describe(target)}")
    if t.ndim == 2:
        if t.shape != (n, n_classes):
            raise InputError(f"{name}: one-hot targets must have shape ({n}, {n_classes}), "
                             f"got {describe(t)}")
        ok = np.all((t == 0) | (t == 1), axis=1) & (t.sum(axis=1) == 1)
        if not ok.all():
            bad = int(np.argmin(ok))
            raise InputError(f"{name}: row {bad} is not one-hot (exactly one 1, the rest 0): "
                             f"{t[bad].tolist()}")
        return np.argmax(t, axis=1)
    if t.ndim != 1 or t.shape[0] != n:
        raise InputError(f"{name}: expected {n} class indices (shape ({n},)) or one-hot rows "
                         f"({n}, {n_classes}), got {describe(t)}")
    if t.dtype.kind == "f":
        if not np.all(np.isfinite(t)) or not np.all(t == np.round(t)):
            raise InputError(f"{name}: class indices must be integers, got {describe(t)}")
    # the range test before the cast: 1e200 (an integral float) cast to a garbage negative label
    out_of_range = (t < 0) | (t >= n_classes)
    if out_of_range.any():
        bad = int(np.argmax(out_of_range))
        value = t[bad]
        shown = f"{int(value)}" if t.dtype.kind != "f" or abs(value) < 2**53 else f"{value:g}"
        raise InputError(f"{name}: label {shown} at index {bad} is out of range: "
                         f"expected 0 <= label < {n_classes} (the number of scores per row)")
    return t.astype(np.intp)


class Loss:
    """Base class: ``loss(s, target) -> (value, ∂L/∂s)``.

    Subclasses implement ``prepare(s, target)`` (validate, return the target
    in canonical form) and ``_compute(s, target, want_grad)``; :mod:`train`
    prepares the whole target once and then calls ``_compute`` per batch.
    """

    #: whether the outputs are class scores (accuracy is meaningful)
    classification: ClassVar[bool] = False
    #: a short name used in files and messages
    name: ClassVar[str] = ""

    def __init__(self, reduction: str = "mean") -> None:
        self.reduction = check_choice(reduction, "reduction", _REDUCTIONS)

    def __call__(self, s: Any, target: Any) -> tuple[float, np.ndarray]:
        """The loss value and ``∂L/∂s`` (same shape and dtype as ``s``)."""
        s_arr = _as_scores(s, "scores")
        t = self.prepare(s_arr, target)
        value, grad = self._checked(s_arr, t, want_grad=True)
        return value, cast(np.ndarray, grad)

    def value(self, s: Any, target: Any) -> float:
        """The loss value only."""
        s_arr = _as_scores(s, "scores")
        return self._checked(s_arr, self.prepare(s_arr, target), want_grad=False)[0]

    def _checked(self, s: np.ndarray, t: np.ndarray, want_grad: bool
                 ) -> tuple[float, np.ndarray | None]:
        # finite scores can still give a loss beyond float64 (a sum of squares of 1e200):
        # say so instead of returning inf with a RuntimeWarning
        with np.errstate(over="ignore", invalid="ignore"):
            value, grad = self._compute(s, t, want_grad)
        if not (np.isfinite(value) and (grad is None or np.all(np.isfinite(grad)))):
            raise InputError(f"scores, target: the {self.name or 'loss'} loss or its gradient "
                             "overflows float64 (scores or targets too large); rescale them")
        return value, grad

    def prepare(self, s: np.ndarray, target: Any) -> np.ndarray:
        raise NotImplementedError

    def _compute(self, s: np.ndarray, t: np.ndarray,
                 want_grad: bool) -> tuple[float, np.ndarray | None]:
        raise NotImplementedError

    def _scale(self, n: int) -> float:
        return 1.0 / n if self.reduction == "mean" else 1.0

    def predict(self, s: np.ndarray) -> np.ndarray:
        """Class indices from scores (classification losses only)."""
        return np.argmax(s, axis=1)

    def correct(self, s: np.ndarray, t: np.ndarray) -> int:
        """How many rows of ``s`` are classified correctly (``t`` as from :meth:`prepare`)."""
        labels = t if t.ndim == 1 else np.argmax(t, axis=1)
        return int(np.count_nonzero(self.predict(s) == labels))

    def config(self) -> dict[str, Any]:
        return {"reduction": self.reduction}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


def _regression_target(s: np.ndarray, target: Any) -> np.ndarray:
    t = target if isinstance(target, np.ndarray) and target.dtype.kind == "f" else None
    if t is None or not np.isfinite(t).all():
        t = as_array(target, "target")
    if t.shape != s.shape:
        if t.ndim == 1 and s.ndim == 2 and s.shape[1] == 1 and t.shape[0] == s.shape[0]:
            t = t[:, np.newaxis]
        else:
            raise InputError(f"target: expected the shape of the outputs {s.shape}, "
                             f"got {describe(t)}")
    return t.astype(s.dtype, copy=False)


class L2Loss(Loss):
    """L = Σ_i Σ_j (s_ij − y_ij)², the lecture's regression loss; ∂L/∂s = 2(s − y).

    With ``reduction="mean"`` the sum over the batch becomes a mean (still
    summed over outputs, L_i as in the lecture), and the gradient is divided by N.
    """

    name = "l2"

    def __init__(self, reduction: str = "sum") -> None:
        super().__init__(reduction)

    def prepare(self, s: np.ndarray, target: Any) -> np.ndarray:
        return _regression_target(s, target)

    def _compute(self, s, t, want_grad):
        diff = s - t
        flat = diff.reshape(-1)
        c = self._scale(s.shape[0])
        value = float(flat @ flat) * c
        if not want_grad:
            return value, None
        diff *= 2.0 * c
        return value, diff


class L1Loss(Loss):
    """L = Σ_i Σ_j |s_ij − y_ij|; ∂L/∂s = sign(s − y) with sign(0) = 0 (a subgradient)."""

    name = "l1"

    def __init__(self, reduction: str = "sum") -> None:
        super().__init__(reduction)

    def prepare(self, s: np.ndarray, target: Any) -> np.ndarray:
        return _regression_target(s, target)

    def _compute(self, s, t, want_grad):
        diff = s - t
        c = self._scale(s.shape[0])
        value = float(np.abs(diff).sum()) * c
        if not want_grad:
            return value, None
        g = np.sign(diff)
        g *= c
        return value, g


def _class_target(s: np.ndarray, target: Any, soft: bool) -> np.ndarray:
    """Indices (N,) or, when ``soft`` and a 2-D float target is given, probability rows."""
    n, c = s.shape
    t = np.asarray(target)
    if soft and t.ndim == 2 and t.dtype.kind == "f":
        tv = as_array(t, "target", shape=(n, c))
        if np.any(tv < 0) or not np.allclose(tv.sum(axis=1), 1.0, rtol=0, atol=1e-6):
            raise InputError("target: 2-D targets must be one-hot or probability rows "
                             "(non-negative, each summing to 1)")
        return tv.astype(s.dtype, copy=False)
    return labels_from_target(target, n, c)


class CrossEntropyLoss(Loss):
    """Softmax + log-likelihood from logits: L_i = −log p_{y_i} = log Σ_j e^(s_ij) − s_{i,y_i}.

    Computed with the log-sum-exp (no overflow for any logits). The gradient
    is the lecture's ``∂L/∂s = p − z`` (divided by N for the mean). Targets:
    class indices, one-hot rows, or probability rows (soft labels, where
    L_i = −Σ_j z_ij log p_ij).
    """

    classification = True
    name = "cross-entropy"

    def prepare(self, s: np.ndarray, target: Any) -> np.ndarray:
        return _class_target(s, target, soft=True)

    def _compute(self, s, t, want_grad):
        n = s.shape[0]
        logp, p = _log_softmax_and_softmax(s, axis=1)
        c = self._scale(n)
        if t.ndim == 1:
            rows = np.arange(n)
            value = -float(logp[rows, t].sum()) * c
        else:
            value = -float(np.sum(t * logp)) * c
        if not want_grad:
            return value, None
        g = p
        if t.ndim == 1:
            g[rows, t] -= 1.0
        else:
            g -= t
        g *= c
        return value, g


class NLLLoss(Loss):
    """Negative log-likelihood from log-probabilities: L_i = −log p_{y_i}; ∂L/∂(log p) = −z.

    The input is ``log p`` (e.g. the output of :func:`log_softmax`); rows are
    not checked to be normalised.
    """

    classification = True
    name = "nll"

    def prepare(self, s: np.ndarray, target: Any) -> np.ndarray:
        return labels_from_target(target, s.shape[0], s.shape[1])

    def _compute(self, s, t, want_grad):
        n = s.shape[0]
        rows = np.arange(n)
        c = self._scale(n)
        value = -float(s[rows, t].sum()) * c
        if not want_grad:
            return value, None
        g = np.zeros_like(s)
        g[rows, t] = -c
        return value, g


class HingeLoss(Loss):
    """Multiclass hinge (SVM) loss: L_i = Σ_{j ≠ y_i} max(0, s_j − s_{y_i} + Δ), Δ = 1.

    Subgradient: a margin term counts when s_j − s_{y_i} + Δ > 0 (a term
    exactly at 0 contributes nothing), giving +1 to s_j and −1 to s_{y_i}.
    """

    classification = True
    name = "hinge"

    def __init__(self, reduction: str = "mean", margin: float = 1.0) -> None:
        super().__init__(reduction)
        self.margin = check_positive(margin, "margin")

    def prepare(self, s: np.ndarray, target: Any) -> np.ndarray:
        return labels_from_target(target, s.shape[0], s.shape[1])

    def _compute(self, s, t, want_grad):
        n = s.shape[0]
        rows = np.arange(n)
        margins = s - s[rows, t][:, np.newaxis] + self.margin
        margins[rows, t] = 0.0
        active = margins > 0
        c = self._scale(n)
        value = float(np.sum(margins, where=active)) * c
        if not want_grad:
            return value, None
        g = active.astype(s.dtype)
        g[rows, t] = -active.sum(axis=1)
        g *= c
        return value, g

    def config(self) -> dict[str, Any]:
        return {"reduction": self.reduction, "margin": self.margin}


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy from logits: L = −z log σ(s) − (1 − z) log(1 − σ(s)).

    Evaluated stably as ``max(s, 0) − s z + log(1 + e^(−|s|))``; ∂L/∂s = σ(s) − z.
    Targets ``z`` in [0, 1] with the shape of ``s`` (one column per binary
    label); the loss sums over the columns of a row.
    """

    classification = True
    name = "bce"

    def prepare(self, s: np.ndarray, target: Any) -> np.ndarray:
        t = _regression_target(s, target)
        if np.any((t < 0) | (t > 1)):
            raise InputError("target: binary targets must lie in [0, 1]")
        return t

    def _compute(self, s, t, want_grad):
        c = self._scale(s.shape[0])
        elem = np.maximum(s, 0) - s * t + np.log1p(np.exp(-np.abs(s)))
        value = float(elem.sum()) * c
        if not want_grad:
            return value, None
        g = expit(s) - t
        g *= c
        return value, g

    def predict(self, s: np.ndarray) -> np.ndarray:
        return (s > 0).astype(np.intp)

    def correct(self, s: np.ndarray, t: np.ndarray) -> int:
        """Rows whose every binary label is predicted right (σ(s) > ½ ⇔ z > ½)."""
        return int(np.count_nonzero(np.all((s > 0) == (t > 0.5), axis=1)))


#: loss names for the command line and for saved models
LOSSES: dict[str, type[Loss]] = {
    cls.name: cls for cls in (L2Loss, L1Loss, CrossEntropyLoss, NLLLoss, HingeLoss,
                              BCEWithLogitsLoss)
}
