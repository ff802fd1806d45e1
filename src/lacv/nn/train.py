"""The training loop: mini-batch gradient descent with history, early stopping and metrics.

One step is the lecture's loop body: forward, loss, backward (hand-derived
gradients, layer by layer), update. :func:`fit` runs epochs of shuffled
mini-batches and records a per-epoch :class:`History`; :func:`evaluate`,
:func:`predict`, :func:`predict_classes` and :func:`confusion_matrix` measure a
trained model.

References
----------
Lecture notes, "Full implementation of training a 2-layer Neural Network";
Goodfellow, Bengio & Courville, *Deep Learning* (2016), §7.8 (early stopping)
and §8.1.3 (mini-batch algorithms).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from lacv._validate import as_array, as_rng, check_int, describe
from lacv.errors import EstimationError, InputError
from lacv.nn.layers import Layer
from lacv.nn.losses import Loss, labels_from_target
from lacv.nn.optim import Adam, Optimizer, _Schedule

__all__ = [
    "History",
    "Metrics",
    "confusion_matrix",
    "evaluate",
    "fit",
    "predict",
    "predict_classes",
]


@dataclass
class History:
    """Per-epoch record of a :func:`fit` run (lists have one entry per epoch run).

    ``train_loss`` and ``train_accuracy`` are accumulated over the epoch's
    mini-batches as they are trained (dropout active); ``val_*`` are measured
    on the validation set after the epoch. Accuracies are ``None`` for a
    regression loss, ``val_*`` when there is no validation set. Loss values
    follow the loss's reduction (a mean over samples, or a sum over the set).
    """

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float | None] = field(default_factory=list)
    val_loss: list[float | None] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    seconds: float = 0.0
    best_epoch: int | None = None
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Metrics:
    """Loss (with the loss's reduction), accuracy (``None`` for regression) and sample count."""

    loss: float
    accuracy: float | None
    n: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_model(model: Any) -> Layer:
    if not isinstance(model, Layer):
        raise InputError(f"model: expected a lacv.nn model or layer, got {describe(model)}")
    return model


def _check_loss(loss: Any) -> Loss:
    if not isinstance(loss, Loss):
        raise InputError(f"loss: expected a lacv.nn loss (e.g. CrossEntropyLoss()), "
                         f"got {describe(loss)}")
    return loss


def _model_dtype(model: Layer) -> np.dtype:
    params = model.parameters()
    return params[0].value.dtype if params else np.dtype(np.float64)


def _inputs(model: Layer, X: Any, name: str) -> np.ndarray:
    """Validate ``X`` once (2-D, finite) and cast it to the model's dtype."""
    dt = _model_dtype(model)
    if isinstance(X, np.ndarray) and X.dtype == dt and X.ndim == 2 and X.size:
        if not np.isfinite(X).all():
            as_array(X, name)  # raises, naming the first non-finite value
        return np.ascontiguousarray(X)
    return np.ascontiguousarray(as_array(X, name, ndim=2).astype(dt, copy=False))


def _prepare_target(model: Layer, loss: Loss, X: np.ndarray, y: Any, name: str) -> np.ndarray:
    """Validate the whole target once, in the loss's canonical form."""
    try:
        out = model.forward(X[:1])  # one row: the output width, cheaply
    except InputError as exc:
        # the message described the probe row, 'shape (1, 5)', not the caller's X
        raise InputError(str(exc).replace(describe(X[:1]), describe(X), 1)) from None
    shaped = np.broadcast_to(np.zeros((), dtype=out.dtype), (X.shape[0], out.shape[1]))
    yv = y
    if not isinstance(y, np.ndarray):
        yv = np.asarray(y)
    if yv.ndim == 0 or yv.shape[0] != X.shape[0]:
        raise InputError(f"{name}: expected {X.shape[0]} targets (one per row of the inputs), "
                         f"got {describe(y)}")
    try:
        return loss.prepare(shaped, yv)
    except InputError as exc:
        raise InputError(str(exc).replace("target:", f"{name}:", 1)) from None


def fit(model: Layer, loss: Loss, X: Any, y: Any, *, epochs: int = 10, batch_size: int = 64,
        optimizer: Optimizer | None = None, validation: tuple[Any, Any] | None = None,
        rng: Any = None, scheduler: _Schedule | None = None, patience: int | None = None,
        restore_best: bool = True, shuffle: bool = True, progress: bool = False) -> History:
    """Train ``model`` on ``(X, y)`` by mini-batch gradient descent; returns the history.

    Each step: ``out = model.forward(X_b, training=True)``;
    ``L, G = loss(out, y_b)``; ``model.backward_params(G)``;
    ``optimizer.step()`` — then, after each epoch, the validation metrics, the
    learning-rate schedule and the early-stopping test.

    Parameters
    ----------
    model : Layer
        Usually a :class:`~lacv.nn.model.Sequential`; trained in place.
    loss : Loss
    X : (N, d) array_like
        Inputs (cast to the model's dtype once).
    y : (N,) or (N, k) array_like
        Targets in a form the loss accepts (class indices, one-hot, values).
    epochs : int
        Passes over the data (at most, with early stopping).
    batch_size : int
        Rows per step (the last batch of an epoch may be smaller).
    optimizer : Optimizer, optional
        Default ``Adam(model.parameters(), lr=1e-3)``.
    validation : (X_val, y_val), optional
        Held-out data measured after each epoch.
    rng : numpy.random.Generator, int or None
        Shuffling randomness; the same seed gives the same run.
    scheduler : StepLR or CosineLR, optional
        Stepped once per epoch.
    patience : int, optional
        Stop after this many epochs without a new best validation loss (the
        training loss when there is no validation set).
    restore_best : bool
        With ``patience``, put the best epoch's parameters back at the end.
    shuffle : bool
        Reshuffle the rows every epoch.
    progress : bool
        Show a progress bar on stderr (off by default: the library is silent).

    Returns
    -------
    History

    Raises
    ------
    InputError
        Bad data, shapes that do not fit the model, labels out of range.
    EstimationError
        The loss became NaN or infinite (training diverged: lower the
        learning rate); ``stats`` tells when.
    """
    model = _check_model(model)
    loss = _check_loss(loss)
    n_epochs = check_int(epochs, "epochs", minimum=1)
    bs = check_int(batch_size, "batch_size", minimum=1)
    gen = as_rng(rng)
    Xv = _inputs(model, X, "X")
    target = _prepare_target(model, loss, Xv, y, "y")
    n = Xv.shape[0]
    val = None
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise InputError(f"validation: expected a pair (X_val, y_val), got "
                             f"{describe(validation)}")
        Xval = _inputs(model, validation[0], "validation X")
        val = (Xval, _prepare_target(model, loss, Xval, validation[1], "validation y"))
    if patience is not None:
        patience = check_int(patience, "patience", minimum=1)
    params = model.parameters()
    if optimizer is None:
        optimizer = Adam(params, lr=1e-3)
    elif not isinstance(optimizer, Optimizer):
        raise InputError(f"optimizer: expected a lacv.nn optimiser, got {describe(optimizer)}")
    else:
        owned = {id(p) for p in optimizer.params}
        missing = [i for i, p in enumerate(params) if id(p) not in owned]
        if missing:
            raise InputError(f"optimizer: it does not update {len(missing)} of the model's "
                             f"{len(params)} parameters; build it from model.parameters()")
    if scheduler is not None and not hasattr(scheduler, "optimizer"):
        raise InputError(f"scheduler: expected a StepLR or CosineLR, got {describe(scheduler)}")
    if scheduler is not None and scheduler.optimizer is not optimizer:
        raise InputError("scheduler: it schedules a different optimiser than the one given")

    history = History()
    best = math.inf
    best_values: list[np.ndarray] | None = None
    since_best = 0
    mean_reduction = loss.reduction == "mean"
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_epochs, desc="training", unit="epoch", file=sys.stderr,
                   dynamic_ncols=True, leave=False)
    started = time.perf_counter()
    try:
        for epoch in range(n_epochs):
            if shuffle:
                order = gen.permutation(n)
                Xe, te = Xv[order], target[order]
            else:
                Xe, te = Xv, target
            total = 0.0
            correct = 0
            lr_now = optimizer.lr
            for start in range(0, n, bs):
                xb = Xe[start:start + bs]
                tb = te[start:start + bs]
                optimizer.zero_grad()
                # every kernel is overflow-free on finite input (stable sigmoid, shifted
                # softmax), so an overflow or NaN here means the weights have diverged
                try:
                    with np.errstate(over="raise", invalid="raise", divide="raise"):
                        out = model.forward(xb, training=True)
                        value, grad = loss._compute(out, tb, want_grad=True)
                        if not math.isfinite(value):
                            raise FloatingPointError(f"the loss is {value}")
                        model.backward_params(grad)
                        optimizer.step()
                except FloatingPointError as exc:
                    raise EstimationError(
                        f"training diverged at epoch {epoch + 1}, rows {start}.."
                        f"{start + len(xb) - 1} ({exc}); lower the learning rate "
                        f"(now {optimizer.lr:g})",
                        stats={"epoch": epoch + 1, "row": start, "lr": optimizer.lr}) from None
                total += value * len(xb) if mean_reduction else value
                if loss.classification:
                    correct += loss.correct(out, tb)
            history.train_loss.append(total / n if mean_reduction else total)
            history.train_accuracy.append(correct / n if loss.classification else None)
            history.lr.append(lr_now)
            if val is not None:
                m = _evaluate(model, loss, *val)
                history.val_loss.append(m.loss)
                history.val_accuracy.append(m.accuracy)
                monitored = m.loss
            else:
                history.val_loss.append(None)
                history.val_accuracy.append(None)
                monitored = history.train_loss[-1]
            if monitored < best:
                best = monitored
                history.best_epoch = epoch + 1
                since_best = 0
                if patience is not None and restore_best:
                    best_values = [p.value.copy() for p in params]
            else:
                since_best += 1
            if scheduler is not None:
                scheduler.step()
            if bar is not None:
                post = {"loss": f"{history.train_loss[-1]:.4g}"}
                if history.val_accuracy[-1] is not None:
                    post["val_acc"] = f"{history.val_accuracy[-1]:.3f}"
                bar.set_postfix(post, refresh=False)
                bar.update(1)
            if patience is not None and since_best >= patience:
                history.stopped_early = True
                break
    finally:
        if bar is not None:
            bar.close()
    if best_values is not None and history.best_epoch != history.epochs:
        for p, v in zip(params, best_values, strict=True):
            p.value[...] = v
    history.seconds = time.perf_counter() - started
    return history


def _evaluate(model: Layer, loss: Loss, X: np.ndarray, target: np.ndarray) -> Metrics:
    out = model.forward(X, training=False)
    value, _ = loss._compute(out, target, want_grad=False)
    acc = loss.correct(out, target) / X.shape[0] if loss.classification else None
    return Metrics(loss=value, accuracy=acc, n=int(X.shape[0]))


def evaluate(model: Layer, loss: Loss, X: Any, y: Any) -> Metrics:
    """The loss (with the loss's reduction) and, for classification, the accuracy on ``(X, y)``."""
    model = _check_model(model)
    loss = _check_loss(loss)
    Xv = _inputs(model, X, "X")
    return _evaluate(model, loss, Xv, _prepare_target(model, loss, Xv, y, "y"))


def predict(model: Layer, X: Any) -> np.ndarray:
    """The model's outputs ``(N, out)`` for inputs ``(N, d)`` (evaluation mode: no dropout)."""
    model = _check_model(model)
    return model.forward(_inputs(model, X, "X"), training=False)


def predict_classes(model: Layer, X: Any) -> np.ndarray:
    """Class indices ``(N,)``: the arg-max of each output row."""
    return np.argmax(predict(model, X), axis=1)


#: most classes of a confusion matrix: 10⁵ classes are already 10¹⁰ counts
_MAX_CLASSES = 100_000


def confusion_matrix(y_true: Any, y_pred: Any, n_classes: int) -> np.ndarray:
    """``C[i, j]``: how many samples of true class i were predicted as class j.

    Returns an ``(n_classes, n_classes)`` integer array (rows: truth, columns: prediction).
    """
    k = check_int(n_classes, "n_classes", minimum=1)
    if k > _MAX_CLASSES:  # 10**30 raised NumPy's OverflowError in the label comparison
        raise InputError(f"n_classes: expected at most {_MAX_CLASSES} classes (the matrix has "
                         f"n_classes² entries), got {k}")
    t = np.asarray(y_true)
    yt = labels_from_target(t, t.shape[0] if t.ndim else 0, k, "y_true")
    yp = labels_from_target(y_pred, yt.shape[0], k, "y_pred")
    return np.bincount(yt * k + yp, minlength=k * k).reshape(k, k)
