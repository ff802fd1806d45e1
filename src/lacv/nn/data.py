"""Built-in data sets and mini-batching.

- :func:`load_digits`: scikit-learn's bundled copy of the UCI 8×8 handwritten
  digits (1797 images, 64 pixel features valued 0–16, 10 classes), split into
  train and test sets with a fixed seed; :func:`standardization` gives the
  training set's per-feature mean and spread.
- :func:`lecture_regression`: the random regression problem of the lecture's
  numpy training loop (``x, y, w1, w2`` from ``randn``).
- :func:`batches`: shuffled mini-batch indices.

References
----------
Lecture notes, "Full implementation of training a 2-layer Neural Network";
Alpaydin & Kaynak, "Optical Recognition of Handwritten Digits", UCI (1998).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from lacv._validate import as_array, as_rng, check_int, check_probability
from lacv.errors import InputError
from lacv.nn.layers import check_dtype

__all__ = [
    "Dataset",
    "LectureProblem",
    "batches",
    "lecture_regression",
    "load_digits",
    "standardization",
]


@dataclass(frozen=True)
class Dataset:
    """A train / test split.

    Attributes
    ----------
    X_train : (N_train, d) ndarray
    y_train : (N_train,) ndarray of int (class indices) or (N_train, k) float
    X_test : (N_test, d) ndarray
    y_test : like ``y_train``
    n_classes : int
        0 for a regression problem.
    name : str
    split : dict
        How the split was made (``test_size``, ``random_state``), so it can be
        made again.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    name: str
    split: dict[str, Any]

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])


def load_digits(*, test_size: float = 0.2, random_state: int = 0,
                dtype: Any = np.float64) -> Dataset:
    """The digits data set, split like ``train_test_split(X, y, test_size, random_state)``.

    The pixels are returned raw (0–16); standardise with the training set's
    statistics (:func:`standardization`, or a
    :class:`~lacv.nn.layers.Standardize` layer first in the model).

    Parameters
    ----------
    test_size : float
        Fraction of the 1797 samples held out for testing, in (0, 1).
    random_state : int
        The shuffling seed (scikit-learn's ``random_state``).
    dtype : float32 or float64
    """
    from sklearn.datasets import load_digits as _load
    from sklearn.model_selection import train_test_split

    frac = check_probability(test_size, "test_size")
    seed = check_int(random_state, "random_state", minimum=0)
    dt = check_dtype(dtype)
    bunch = _load()
    X = bunch.data.astype(dt)
    y = bunch.target.astype(np.intp)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=frac, random_state=seed)
    return Dataset(np.ascontiguousarray(X_tr), y_tr, np.ascontiguousarray(X_te), y_te,
                   n_classes=10, name="digits",
                   split={"test_size": frac, "random_state": seed})


def standardization(X: Any, *, per_feature: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Centring and scale for ``(x − μ) / σ`` from the rows of ``X`` ``(N, d)``.

    μ is always the per-feature mean. With ``per_feature`` σ is each
    feature's population standard deviation (constant features get σ = 1,
    so they map to 0 instead of dividing by zero); without it σ is one number,
    the standard deviation of all centred values, repeated d times. For
    images the single scale is usually the better choice: it keeps the pixels'
    relative contrast, where per-pixel scaling blows up the rarely inked border
    pixels of the digits into large, noisy inputs.

    Returns
    -------
    mean, scale : (d,) ndarray
    """
    arr = as_array(X, "X", ndim=2)
    big = float(np.max(np.abs(arr)))
    if big > _MAX_FEATURE:
        # the squares of the deviations overflowed: σ = inf with a RuntimeWarning
        raise InputError(f"X: values up to {big:.3g} are too large to standardise without "
                         f"overflow (the limit is {_MAX_FEATURE:.0e}); rescale X")
    mean = arr.mean(axis=0)
    if per_feature:
        scale = arr.std(axis=0)
        scale[scale == 0] = 1.0
    else:
        spread = float(np.sqrt(np.mean((arr - mean) ** 2)))
        scale = np.full(arr.shape[1], spread if spread > 0 else 1.0)
    return mean, scale


#: largest accepted magnitude of a feature: squared deviations stay finite in float64
_MAX_FEATURE = 1e150


@dataclass(frozen=True)
class LectureProblem:
    """The lecture's training problem: ``x`` (N, D_in), ``y`` (N, D_out), ``w1``, ``w2``.

    ``w1`` (D_in, H) and ``w2`` (H, D_out) are in the lecture's layout (``h = σ(x w1)``,
    ``y_pred = h w2``); a :class:`~lacv.nn.layers.Linear` layer holds the
    transpose, ``W = w1ᵀ`` of shape (out, in).
    """

    x: np.ndarray
    y: np.ndarray
    w1: np.ndarray
    w2: np.ndarray


def lecture_regression(n: int = 64, d_in: int = 1000, hidden: int = 100, d_out: int = 10, *,
                       rng: Any = None, dtype: Any = np.float64) -> LectureProblem:
    """``x, y = randn(N, D_in), randn(N, D_out)``; ``w1, w2 = randn(D_in, H), randn(H, D_out)``.

    Drawn in that order from ``rng`` (standard normal, float64, then cast to
    ``dtype``), so a seed fixes the whole problem.
    """
    sizes = [check_int(v, name, minimum=1)
             for v, name in ((n, "n"), (d_in, "d_in"), (hidden, "hidden"), (d_out, "d_out"))]
    n, d_in, hidden, d_out = sizes
    gen = as_rng(rng)
    dt = check_dtype(dtype)
    x = gen.standard_normal((n, d_in)).astype(dt)
    y = gen.standard_normal((n, d_out)).astype(dt)
    w1 = gen.standard_normal((d_in, hidden)).astype(dt)
    w2 = gen.standard_normal((hidden, d_out)).astype(dt)
    return LectureProblem(x, y, w1, w2)


def batches(n: int, batch_size: int, *, shuffle: bool = True,
            rng: Any = None) -> Iterator[np.ndarray]:
    """Index arrays of consecutive mini-batches covering ``range(n)`` once.

    With ``shuffle`` the order is a permutation drawn from ``rng``; the last
    batch holds the remainder (it may be smaller).
    """
    n = check_int(n, "n", minimum=1)
    size = check_int(batch_size, "batch_size", minimum=1)
    order = as_rng(rng).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, size):
        yield order[start:start + size]
