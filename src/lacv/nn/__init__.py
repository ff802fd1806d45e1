"""Neural networks with hand-derived backpropagation (the second half of the lecture).

Small, exact and fast, in the CS231n spirit: every layer is an explicit
``forward`` / ``backward`` pair with its Jacobian written out, no autograd
engine. A batch is the rows of ``X``; a linear layer is ``s = W x + b`` with
``W`` of shape ``(out, in)`` as in the lecture; Jacobians use the numerator
layout (``∂y/∂x`` is ``len(y) × len(x)``).

- :mod:`~lacv.nn.activations`: Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Softmax, Maxout.
- :mod:`~lacv.nn.losses`: L1, L2 (sum by default, as the lecture), hinge,
  cross-entropy from logits, NLL, binary cross-entropy from logits.
- :mod:`~lacv.nn.layers`: Linear, Maxout, Dropout, Standardize, Parameter.
- :mod:`~lacv.nn.model`: Sequential, :func:`mlp`, save / :func:`load` (``.npz`` + JSON).
- :mod:`~lacv.nn.optim`: SGD (momentum, Nesterov, weight decay), Adam, StepLR, CosineLR.
- :mod:`~lacv.nn.train`: :func:`fit`, :func:`evaluate`, :func:`predict`.
- :mod:`~lacv.nn.data`: the digits data set, the lecture's regression problem, batches.
- :func:`gradcheck`: any layer, loss or model against central differences.

Example
-------
>>> from lacv import nn
>>> data = nn.load_digits()
>>> model = nn.Sequential(nn.Standardize(*nn.standardization(data.X_train)),
...                       *nn.mlp([64, 100, 10], rng=0))
>>> history = nn.fit(model, nn.CrossEntropyLoss(), data.X_train, data.y_train,
...                  epochs=5, rng=0)
>>> nn.evaluate(model, nn.CrossEntropyLoss(), data.X_test, data.y_test).accuracy > 0.9
True
"""

from lacv.nn.activations import (
    ELU,
    Activation,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    log_softmax,
    sigmoid,
    softmax,
)
from lacv.nn.data import (
    Dataset,
    LectureProblem,
    batches,
    lecture_regression,
    load_digits,
    standardization,
)
from lacv.nn.gradcheck import GradcheckResult, gradcheck
from lacv.nn.layers import Dropout, Layer, Linear, Maxout, Parameter, Standardize
from lacv.nn.losses import (
    LOSSES,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HingeLoss,
    L1Loss,
    L2Loss,
    Loss,
    NLLLoss,
)
from lacv.nn.model import ACTIVATIONS, Sequential, load, mlp
from lacv.nn.optim import SGD, Adam, CosineLR, Optimizer, StepLR
from lacv.nn.train import (
    History,
    Metrics,
    confusion_matrix,
    evaluate,
    fit,
    predict,
    predict_classes,
)

__all__ = [
    "ACTIVATIONS",
    "ELU",
    "LOSSES",
    "SGD",
    "Activation",
    "Adam",
    "BCEWithLogitsLoss",
    "CosineLR",
    "CrossEntropyLoss",
    "Dataset",
    "Dropout",
    "GradcheckResult",
    "HingeLoss",
    "History",
    "L1Loss",
    "L2Loss",
    "Layer",
    "LeakyReLU",
    "LectureProblem",
    "Linear",
    "Loss",
    "Maxout",
    "Metrics",
    "NLLLoss",
    "Optimizer",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Standardize",
    "StepLR",
    "Tanh",
    "batches",
    "confusion_matrix",
    "evaluate",
    "fit",
    "gradcheck",
    "lecture_regression",
    "load",
    "load_digits",
    "log_softmax",
    "mlp",
    "predict",
    "predict_classes",
    "sigmoid",
    "softmax",
    "standardization",
]
