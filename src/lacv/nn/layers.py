"""Layers: explicit forward / backward pairs with caches (CS231n style, no autograd).

A batch is the rows of ``X``: ``X`` is ``(N, in_features)`` and a layer's
output is ``(N, out_features)``. Each layer's ``forward`` stores what its
``backward`` needs; ``backward(grad_out)`` takes ``∂L/∂(output)`` and returns
``∂L/∂(input)`` — the vector-Jacobian product — and *adds* ``∂L/∂θ`` into the
``grad`` of each of its parameters, so a parameter used in several places (a
value that fans out) receives the sum of its gradients.

Reference: the lecture notes, "Partial Derivative (Jacobian Matrix) of Linear
Equation" and "Derivative of Neural Net using Chain Rules"; Stanford CS231n,
"Backpropagation, Intuitions".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np

from lacv._validate import as_array, as_rng, check_int, check_probability, describe
from lacv.errors import InputError

__all__ = [
    "Dropout",
    "Layer",
    "Linear",
    "Maxout",
    "Parameter",
    "Standardize",
    "check_dtype",
    "check_grad",
    "init_weights",
]

_DTYPES = {"float32": np.float32, "float64": np.float64}
_INITS = ("he", "xavier", "normal", "zeros")


def check_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """float32 or float64 (as a NumPy dtype); anything else raises :class:`InputError`."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise InputError(f"{name}: expected float32 or float64, got {describe(dtype)}") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise InputError(f"{name}: expected float32 or float64, got {dt}")
    return dt


class Parameter:
    """A trainable array and the gradient accumulated into it.

    ``zero_grad()`` marks the gradient empty without touching memory; the next
    :meth:`accumulate` writes instead of adding, so clearing costs nothing and
    accumulation stays exact (PyTorch's ``set_to_none`` without the ``None``).
    Reading :attr:`grad` after ``zero_grad()`` gives zeros.

    Parameters
    ----------
    value : ndarray
        The initial value (float32 or float64), owned by the parameter.
    name : str
        A short name (``"W"``, ``"b"``) for messages and file keys.
    """

    __slots__ = ("_fresh", "_grad", "name", "value")

    def __init__(self, value: np.ndarray, name: str) -> None:
        if not isinstance(value, np.ndarray) or value.dtype not in (np.float32, np.float64):
            raise InputError(f"value: expected a float32 or float64 ndarray, got "
                             f"{describe(value)}")  # .flags of a list: AttributeError
        # row-major unless the value is column-major (Linear keeps W that way)
        self.value = value if _is_f_only(value) else np.ascontiguousarray(value)
        self.name = name
        self._grad = np.zeros_like(self.value)
        self._fresh = True

    @property
    def grad(self) -> np.ndarray:
        """``∂L/∂value`` accumulated since the last :meth:`zero_grad` (same shape as value)."""
        if self._fresh:
            self._grad.fill(0)
            self._fresh = False
        return self._grad

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def size(self) -> int:
        return int(self.value.size)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (O(1): the next accumulation overwrites)."""
        self._fresh = True

    def accumulate(self, g: np.ndarray) -> None:
        """``grad += g`` (``g`` broadcastable to the parameter's shape)."""
        if self._fresh:
            np.copyto(self._grad, g)
            self._fresh = False
        else:
            self._grad += g

    def accumulate_matmul(self, a: np.ndarray, b: np.ndarray) -> None:
        """``grad += a @ b``, written straight into the gradient's memory when it is empty.

        A column-major gradient is filled as ``gradᵀ = bᵀ aᵀ`` so that the
        product lands in row-major memory without a copy.
        """
        target = self._grad
        if _is_f_only(target):
            a, b, target = b.T, a.T, target.T
        if self._fresh:
            np.matmul(a, b, out=target)
            self._fresh = False
        else:
            target += a @ b

    def astype(self, dtype: Any) -> None:
        """Convert the value (and gradient storage) to ``dtype`` in place (layout kept)."""
        dt = check_dtype(dtype)
        if self.value.dtype != dt:
            self.value = self.value.astype(dt, order="K")
            self._grad = np.zeros_like(self.value)
            self._fresh = True

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, shape={self.value.shape}, dtype={self.value.dtype})"


def _is_f_only(a: np.ndarray) -> bool:
    """Column-major and not also row-major (a 2-D array with both dimensions > 1)."""
    return bool(a.flags.f_contiguous and not a.flags.c_contiguous)


class Layer:
    """Base class: ``forward(x, training=False) -> y`` and ``backward(∂L/∂y) -> ∂L/∂x``.

    Subclasses list their trainable :class:`Parameter` objects in
    ``_param_names`` (attribute names) and describe themselves with
    :meth:`config` so a model can be saved as JSON plus arrays.
    """

    #: attribute names of the trainable parameters, in a fixed order
    _param_names: ClassVar[tuple[str, ...]] = ()
    #: attribute names of non-trainable arrays that are saved with the model
    _buffer_names: ClassVar[tuple[str, ...]] = ()
    #: registry of layer classes by name, for loading saved models
    registry: ClassVar[dict[str, type[Layer]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Layer.registry[cls.__name__] = cls

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward_params(self, grad_out: np.ndarray) -> None:
        """Accumulate the parameter gradients only (the input gradient is not needed).

        Used for the first layer of a model, whose input is data: the lecture's
        "x is input data that is fixed during training", which saves a matrix
        product per step.
        """
        self.backward(grad_out)

    def __call__(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        return self.forward(x, training=training)

    def parameters(self) -> list[Parameter]:
        return [getattr(self, name) for name in self._param_names]

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        for name in self._param_names:
            yield name, getattr(self, name)

    def buffers(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self._buffer_names}

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-ready) that rebuild this layer's shape."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        return cls(**config)

    def astype(self, dtype: Any) -> None:
        """Convert the parameters and buffers to ``dtype`` in place."""
        dt = check_dtype(dtype)
        for p in self.parameters():
            p.astype(dt)
        for name in self._buffer_names:
            setattr(self, name, getattr(self, name).astype(dt))

    def _need_cache(self, cache: Any) -> Any:
        if cache is None:
            raise InputError(
                f"{type(self).__name__}.backward: call forward first (no cached input)")
        return cache

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


def init_weights(shape: tuple[int, ...], fan_in: int, fan_out: int, init: str,
                 rng: np.random.Generator, dtype: np.dtype) -> np.ndarray:
    """Initial weights drawn from N(0, s²).

    ``"he"``: s = √(2 / fan_in) (He et al. 2015, for ReLU-like activations);
    ``"xavier"``: s = √(2 / (fan_in + fan_out)) (Glorot & Bengio 2010, for
    sigmoid / tanh); ``"normal"``: s = 1 (the lecture's ``randn``);
    ``"zeros"``: all zero.
    """
    if init == "zeros":
        return np.zeros(shape, dtype=dtype)
    scale = {"he": np.sqrt(2.0 / fan_in), "xavier": np.sqrt(2.0 / (fan_in + fan_out)),
             "normal": 1.0}[init]
    return (rng.standard_normal(shape) * scale).astype(dtype)


def _check_init(init: Any) -> str:
    if not isinstance(init, str) or init not in _INITS:
        raise InputError(f"init: expected one of {', '.join(map(repr, _INITS))}, got {init!r}")
    return init


def check_grad(layer: Layer, grad_out: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``grad_out`` of a ``backward``: a float array of the forward output's ``shape``.

    No finiteness scan for float arrays (the training loop's hot path); a list
    or a wrong shape raised NumPy's broadcasting errors or AttributeError.
    """
    if not isinstance(grad_out, np.ndarray) or grad_out.dtype.kind != "f":
        grad_out = as_array(grad_out, "grad_out", allow_empty=True)
    if grad_out.shape != tuple(shape):
        raise InputError(f"{type(layer).__name__}.backward: expected grad_out of shape "
                         f"{tuple(shape)}, got {describe(grad_out)}")
    return grad_out


def _check_input(layer: Layer, x: Any, features: int) -> np.ndarray:
    """Shape check for a layer input: ``(N, features)`` with N ≥ 1 (no copy, no finiteness scan)."""
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        x = as_array(x, "x")
    if x.ndim != 2 or x.shape[1] != features:
        raise InputError(
            f"{type(layer).__name__}: expected input of shape (N, {features}), got {describe(x)}")
    return x


class Linear(Layer):
    r"""The affine layer ``s = W x + b`` of the lecture, applied to each row of ``X``.

    For a batch ``X`` (rows are samples): ``S = X Wᵀ + 1 bᵀ``. Backward, with
    ``G = ∂L/∂S``:

    .. math:: ∂L/∂W = Gᵀ X, \quad ∂L/∂b = Gᵀ 1, \quad ∂L/∂X = G W,

    the batch form of the lecture's ``∂L/∂W = (∂L/∂s) xᵀ``, ``∂L/∂b = ∂L/∂s``
    and ``∂L/∂x = Wᵀ ∂L/∂s``.

    Parameters
    ----------
    in_features, out_features : int
        Input size d and output size n; ``W`` is ``(n, d)`` as in the lecture.
    bias : bool
        Whether the layer has ``b``.
    init : {"he", "xavier", "normal", "zeros"}
        Weight initialisation (see :func:`init_weights`); biases start at 0.
    rng : numpy.random.Generator, int or None
        Randomness for the initial weights.
    dtype : float32 or float64

    References
    ----------
    Lecture notes, "Partial Derivative (Jacobian Matrix) of Linear Equation".
    """

    _param_names = ("W", "b")

    def __init__(self, in_features: int, out_features: int, *, bias: bool = True,
                 init: str = "he", rng: Any = None, dtype: Any = np.float64) -> None:
        self.in_features = check_int(in_features, "in_features", minimum=1)
        self.out_features = check_int(out_features, "out_features", minimum=1)
        self.init = _check_init(init)
        dt = check_dtype(dtype)
        gen = as_rng(rng)
        # W is (out, in) as in the lecture, stored column-major: Wᵀ is then the notes'
        # row-major w1 (in, out), and X Wᵀ is their x.dot(w1), the same BLAS call
        self.W = Parameter(np.asfortranarray(init_weights(
            (self.out_features, self.in_features), self.in_features, self.out_features, init,
            gen, dt)), "W")
        self.bias = bool(bias)
        self._param_names = ("W", "b") if self.bias else ("W",)
        if self.bias:
            self.b = Parameter(np.zeros(self.out_features, dtype=dt), "b")
        self._x: np.ndarray | None = None

    @classmethod
    def from_weights(cls, W: Any, b: Any = None) -> Linear:
        """A Linear layer with the given ``W`` ``(out, in)`` and optional ``b`` ``(out,)``.

        A :class:`Parameter` may be passed instead of an array to share it
        between layers (tied weights); its gradient then accumulates from both.
        """
        if isinstance(W, Parameter):
            w_param = W
        else:
            w_arr = W if isinstance(W, np.ndarray) and W.dtype.kind == "f" else as_array(W, "W")
            w_param = Parameter(np.array(w_arr, dtype=check_dtype(w_arr.dtype, "W.dtype"),
                                         order="F"), "W")
        if w_param.value.ndim != 2:
            raise InputError(f"W: expected a 2-D (out, in) array, got {describe(w_param.value)}")
        out_f, in_f = w_param.value.shape
        layer = cls(in_f, out_f, bias=b is not None, init="zeros", dtype=w_param.value.dtype)
        layer.W = w_param
        if b is not None:
            if isinstance(b, Parameter):
                b_param = b
            else:
                b_arr = as_array(b, "b", ndim=1).astype(w_param.value.dtype)
                b_param = Parameter(b_arr, "b")
            if b_param.value.shape != (out_f,):
                raise InputError(f"b: expected shape ({out_f},), got {describe(b_param.value)}")
            layer.b = b_param
        return layer

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        x = _check_input(self, x, self.in_features)
        self._x = x
        out = x @ self.W.value.T
        if self.bias:
            out += self.b.value
        return out

    def _backward_params(self, grad_out: np.ndarray) -> np.ndarray:
        x = self._need_cache(self._x)
        grad_out = check_grad(self, grad_out, (x.shape[0], self.out_features))
        self.W.accumulate_matmul(grad_out.T, x)
        if self.bias:
            self.b.accumulate(grad_out.sum(axis=0))
        return grad_out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_out = self._backward_params(grad_out)
        return grad_out @ self.W.value

    def backward_params(self, grad_out: np.ndarray) -> None:
        self._backward_params(grad_out)

    def jacobian(self, x: Any) -> np.ndarray:
        """``∂s/∂x = W`` for one input vector (numerator layout, ``(out, in)``)."""
        as_array(x, "x", shape=(self.in_features,))
        return self.W.value.copy()

    def config(self) -> dict[str, Any]:
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias}


class Maxout(Layer):
    r"""Maxout: ``y_j = max_k (w_{k,j}ᵀ x + b_{k,j})`` over ``k`` linear pieces.

    The lecture's ``max(w₁ᵀx + b₁, w₂ᵀx + b₂)`` with ``pieces=2``, for each of
    ``out_features`` outputs. Backward routes ``∂L/∂y_j`` to the winning piece
    only (a subgradient: on a tie the first piece wins, as ``argmax``).

    Parameters
    ----------
    in_features, out_features : int
    pieces : int
        Number of linear pieces k ≥ 2. ``W`` is ``(k, out, in)``, ``b`` is ``(k, out)``.
    init, rng, dtype
        As for :class:`Linear`.

    References
    ----------
    Goodfellow et al., "Maxout Networks", ICML 2013; lecture notes,
    "Activation Functions".
    """

    _param_names = ("W", "b")

    def __init__(self, in_features: int, out_features: int, pieces: int = 2, *,
                 init: str = "xavier", rng: Any = None, dtype: Any = np.float64) -> None:
        self.in_features = check_int(in_features, "in_features", minimum=1)
        self.out_features = check_int(out_features, "out_features", minimum=1)
        self.pieces = check_int(pieces, "pieces", minimum=2)
        self.init = _check_init(init)
        dt = check_dtype(dtype)
        gen = as_rng(rng)
        self.W = Parameter(init_weights((self.pieces, self.out_features, self.in_features),
                                        self.in_features, self.out_features, init, gen, dt), "W")
        # distinct biases so the pieces differ even from a zero weight start
        self.b = Parameter(np.zeros((self.pieces, self.out_features), dtype=dt), "b")
        self._cache: tuple[np.ndarray, np.ndarray] | None = None

    def _scores(self, x: np.ndarray) -> np.ndarray:
        k, m, d = self.W.value.shape
        z = x @ self.W.value.reshape(k * m, d).T
        z += self.b.value.reshape(-1)
        return z.reshape(x.shape[0], k, m)

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        x = _check_input(self, x, self.in_features)
        z = self._scores(x)
        winner = np.argmax(z, axis=1)  # (N, m)
        self._cache = (x, winner)
        return np.take_along_axis(z, winner[:, np.newaxis, :], axis=1)[:, 0, :]

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x, winner = self._need_cache(self._cache)
        n = x.shape[0]
        k, m, d = self.W.value.shape
        grad_out = check_grad(self, grad_out, (n, m))
        gz = np.zeros((n, k, m), dtype=grad_out.dtype)
        np.put_along_axis(gz, winner[:, np.newaxis, :], grad_out[:, np.newaxis, :], axis=1)
        gz2 = gz.reshape(n, k * m)
        self.W.accumulate((gz2.T @ x).reshape(k, m, d))
        self.b.accumulate(gz2.sum(axis=0).reshape(k, m))
        return gz2 @ self.W.value.reshape(k * m, d)

    def jacobian(self, x: Any) -> np.ndarray:
        """``∂y/∂x`` for one input vector: row j is the winning piece's ``w_{k*,j}``."""
        xv = as_array(x, "x", shape=(self.in_features,))
        z = self._scores(xv[np.newaxis].astype(self.W.value.dtype))[0]  # (k, m)
        winner = np.argmax(z, axis=0)
        return self.W.value[winner, np.arange(self.out_features), :].copy()

    def config(self) -> dict[str, Any]:
        return {"in_features": self.in_features, "out_features": self.out_features,
                "pieces": self.pieces}


class Dropout(Layer):
    """Inverted dropout: in training, zero each value with probability ``p`` and scale by 1/(1−p).

    At evaluation (``training=False``) it is the identity, so no rescaling is
    needed at test time. Backward multiplies by the same mask.

    Parameters
    ----------
    p : float
        Drop probability in [0, 1).
    rng : numpy.random.Generator, int or None
        Randomness for the masks.

    References
    ----------
    Srivastava et al., "Dropout", JMLR 15 (2014); CS231n, "Neural Networks Part 2".
    """

    def __init__(self, p: float = 0.5, *, rng: Any = None) -> None:
        self.p = check_probability(p, "p", open_interval=False)
        if self.p >= 1.0:
            raise InputError(f"p: expected a drop probability in [0, 1), got {p!r}")
        self._rng = as_rng(rng)
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        if not training or self.p == 0.0:
            self._mask = None
            return x
        keep = self._rng.random(x.shape) >= self.p
        self._mask = keep.astype(x.dtype) / x.dtype.type(1.0 - self.p)
        return x * self._mask

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        if self._mask is None:
            return grad_out
        return check_grad(self, grad_out, self._mask.shape) * self._mask

    def config(self) -> dict[str, Any]:
        return {"p": self.p}


class Standardize(Layer):
    """Fixed input standardisation ``(x − μ) / σ`` (no trainable parameters).

    Putting it first in a model makes the model work on raw data and saves the
    statistics with it. Features with zero spread get σ = 1 (they stay 0
    after centring rather than dividing by zero).

    Parameters
    ----------
    mean, scale : (d,) array_like
        μ and σ, e.g. from :meth:`from_data`.
    """

    _buffer_names = ("mean", "scale")

    def __init__(self, mean: Any, scale: Any, *, dtype: Any = np.float64) -> None:
        dt = check_dtype(dtype)
        mean_arr = as_array(mean, "mean", ndim=1)
        scale_arr = as_array(scale, "scale", shape=mean_arr.shape)
        if np.any(scale_arr <= 0):
            raise InputError(f"scale: expected positive values, got minimum {scale_arr.min()!r}")
        self.mean = mean_arr.astype(dt)
        self.scale = scale_arr.astype(dt)

    @classmethod
    def from_data(cls, X: Any, *, dtype: Any = np.float64) -> Standardize:
        """μ and σ (population standard deviation) of the columns of ``X`` ``(N, d)``."""
        from lacv.nn.data import standardization

        return cls(*standardization(X), dtype=dtype)

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        x = _check_input(self, x, self.mean.shape[0])
        return (x - self.mean) / self.scale

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        rows = np.shape(grad_out)[0] if np.ndim(grad_out) == 2 else 0
        return check_grad(self, grad_out, (rows, self.mean.shape[0])) / self.scale

    def backward_params(self, grad_out: np.ndarray) -> None:
        return None

    def config(self) -> dict[str, Any]:
        return {"features": int(self.mean.shape[0])}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Standardize:
        n = check_int(config["features"], "features", minimum=1)
        return cls(np.zeros(n), np.ones(n))

    def __repr__(self) -> str:
        return f"Standardize(features={self.mean.shape[0]})"
