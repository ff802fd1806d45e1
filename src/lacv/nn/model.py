"""Models: a :class:`Sequential` stack of layers, the :func:`mlp` builder, save and load.

A saved model is one ``.npz`` file (read with ``allow_pickle=False``, never
pickle): an ``architecture`` entry holding JSON (the layer types, their
constructor arguments, which array holds each parameter, and free-form
metadata) and one array per parameter or buffer. Parameters shared between
layers are stored once and shared again after loading. Files are written
atomically.

References
----------
Lecture notes, "Neural Networks: Architectures" (f = W₂ max(0, W₁x + b₁) + b₂).
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lacv._fileio import atomic_path
from lacv._validate import as_array, as_rng, check_choice, check_int, check_probability, describe
from lacv.errors import InputError
from lacv.nn.activations import ELU, LeakyReLU, ReLU, Sigmoid, Tanh
from lacv.nn.layers import Dropout, Layer, Linear, Parameter, check_dtype

__all__ = ["ACTIVATIONS", "Sequential", "load", "mlp"]

FORMAT = "lacv.nn/1"

#: activation names accepted by :func:`mlp` and the command line
ACTIVATIONS: dict[str, type[Layer]] = {
    "relu": ReLU,
    "leaky-relu": LeakyReLU,
    "elu": ELU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
}


class Sequential(Layer):
    """Layers applied in order; backward runs them in reverse (the chain rule).

    ``forward(X)`` computes ``f_L(… f_1(X))``; ``backward(G)`` returns
    ``∂L/∂X`` from ``G = ∂L/∂(output)``, accumulating every parameter's
    gradient on the way. :meth:`backward_params` skips the input gradient of
    the first layer (the data need none).

    Parameters
    ----------
    *layers : Layer
        The layers; the same layer object may not appear twice (its cache
        would be overwritten) — share a :class:`Parameter` instead.
    metadata : dict, optional
        JSON-ready information saved with the model (data set, metrics, ...).
    """

    def __init__(self, *layers: Layer, metadata: dict[str, Any] | None = None) -> None:
        if not layers:
            raise InputError("layers: a Sequential model needs at least one layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise InputError(f"layers[{i}]: expected a Layer, got {describe(layer)}")
        seen: set[int] = set()
        for i, layer in enumerate(layers):
            if id(layer) in seen:
                raise InputError(f"layers[{i}]: the same layer object appears twice; "
                                 "share its Parameter objects instead")
            seen.add(id(layer))
        self.layers: list[Layer] = list(layers)
        self.metadata: dict[str, Any] = dict(metadata or {})

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i: int) -> Layer:
        return self.layers[i]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the parameters (float64 for a model without any)."""
        for layer in self.layers:
            for p in layer.parameters():
                return p.value.dtype
        return np.dtype(np.float64)

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        """Outputs ``(N, out)`` for inputs ``(N, in)``; ``training`` turns dropout on."""
        dt = self.dtype
        if not isinstance(x, np.ndarray) or x.dtype != dt:
            x = as_array(x, "x").astype(dt, copy=False)
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def backward_params(self, grad_out: np.ndarray) -> None:
        for layer in reversed(self.layers[1:]):
            grad_out = layer.backward(grad_out)
        self.layers[0].backward_params(grad_out)

    def parameters(self) -> list[Parameter]:
        """Every trainable parameter once (shared ones are not repeated), in layer order."""
        out: list[Parameter] = []
        seen: set[int] = set()
        for layer in self.layers:
            for p in layer.parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append(p)
        return out

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        seen: set[int] = set()
        for i, layer in enumerate(self.layers):
            for name, p in layer.named_parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield f"{i}.{name}", p

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def astype(self, dtype: Any) -> Sequential:
        """Convert every parameter and buffer to ``dtype`` in place; returns the model."""
        dt = check_dtype(dtype)
        for layer in self.layers:
            layer.astype(dt)
        return self

    def n_parameters(self) -> int:
        return sum(p.size for p in self.parameters())

    def config(self) -> dict[str, Any]:
        return {"layers": [{"type": type(layer).__name__, "config": layer.config()}
                           for layer in self.layers]}

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential(\n  {inner}\n)"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model to ``path`` (``.npz``) atomically; returns the path.

        Raises
        ------
        InputError
            The path does not end in ``.npz``, its folder does not exist, or
            the metadata is not JSON-serialisable.
        """
        if not isinstance(path, (str, os.PathLike)) or (isinstance(path, str) and not path):
            raise InputError(f"path: expected a file path, got {describe(path)}")
        dest = Path(path)
        if dest.suffix != ".npz":
            raise InputError(f"path: a model is saved as .npz, got {str(dest)!r}")
        arrays: dict[str, np.ndarray] = {}
        keys: dict[int, str] = {}
        layers_spec = []
        for i, layer in enumerate(self.layers):
            params = {}
            for name, p in layer.named_parameters():
                if id(p) not in keys:
                    keys[id(p)] = f"param{len(keys)}"
                    arrays[keys[id(p)]] = p.value
                params[name] = keys[id(p)]
            buffers = {}
            for name, value in layer.buffers().items():
                key = f"buffer{i}.{name}"
                arrays[key] = value
                buffers[name] = key
            if isinstance(layer, Sequential):
                raise InputError("save: nested Sequential models are not supported; "
                                 "flatten the layers into one Sequential")
            layers_spec.append({"type": type(layer).__name__, "config": layer.config(),
                                "params": params, "buffers": buffers})
        spec = {"format": FORMAT, "dtype": str(self.dtype), "layers": layers_spec,
                "metadata": self.metadata}
        try:
            text = json.dumps(spec)
        except TypeError as exc:
            raise InputError(f"metadata: not JSON-serialisable ({exc})") from None
        arrays["architecture"] = np.array(text)
        with atomic_path(dest) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        return dest


def load(path: str | os.PathLike[str]) -> Sequential:
    """Read a model written by :meth:`Sequential.save` (never unpickles anything).

    Raises
    ------
    InputError
        Missing or unreadable file, not a lacv model, or arrays that do not
        match the architecture.
    """
    if not isinstance(path, (str, os.PathLike)) or (isinstance(path, str) and not path):
        raise InputError(f"path: expected a file path, got {describe(path)}")  # Path(None)
    src = Path(path)
    label = f"model ({str(src)!r})"
    if not src.is_file():
        raise InputError(f"{label}: no such file")
    try:
        data = np.load(src, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array (.npy), not a saved model")
        with data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        # NumPy reads anything that is not .npy/.npz as a pickle, which lacv never loads:
        # say what the file is not, rather than suggesting allow_pickle
        reason = ("not a NumPy file" if "pickle" in str(exc) else str(exc))
        raise InputError(f"{label}: not a model saved by lacv (.npz): {reason}") from None
    if "architecture" not in arrays:
        raise InputError(f"{label}: not a lacv model (no 'architecture' entry)")
    try:
        spec = json.loads(str(arrays["architecture"]))
    except json.JSONDecodeError as exc:
        raise InputError(f"{label}: the architecture is not valid JSON ({exc})") from None
    if not isinstance(spec, dict) or spec.get("format") != FORMAT:
        found = spec.get("format") if isinstance(spec, dict) else None
        raise InputError(f"{label}: unknown format {found!r}, expected {FORMAT!r}")
    dtype = check_dtype(spec.get("dtype", "float64"), f"{label}: dtype")
    shared: dict[str, Parameter] = {}
    layers: list[Layer] = []
    for i, entry in enumerate(spec["layers"]):
        cls = Layer.registry.get(entry.get("type"))
        if cls is None or cls is Sequential:
            raise InputError(f"{label}: layer {i} has unknown type {entry.get('type')!r}")
        try:
            layer = cls.from_config(dict(entry.get("config", {})))
        except TypeError as exc:
            raise InputError(f"{label}: layer {i} ({cls.__name__}): bad config ({exc})") from None
        layer.astype(dtype)
        for name, key in entry.get("params", {}).items():
            if key not in arrays:
                raise InputError(f"{label}: missing array {key!r} for layer {i} {name}")
            current = getattr(layer, name, None)
            if not isinstance(current, Parameter) or current.shape != arrays[key].shape:
                raise InputError(f"{label}: array {key!r} has shape {arrays[key].shape}, layer {i} "
                                 f"({cls.__name__}) expects {name} of shape "
                                 f"{getattr(current, 'shape', None)}")
            if key not in shared:
                shared[key] = Parameter(arrays[key].astype(dtype), name)
            setattr(layer, name, shared[key])
        for name, key in entry.get("buffers", {}).items():
            if key not in arrays:
                raise InputError(f"{label}: missing array {key!r} for layer {i} {name}")
            expected = getattr(layer, name)
            if expected.shape != arrays[key].shape:
                raise InputError(f"{label}: array {key!r} has shape {arrays[key].shape}, "
                                 f"expected {expected.shape}")
            setattr(layer, name, arrays[key].astype(dtype))
        layers.append(layer)
    return Sequential(*layers, metadata=spec.get("metadata") or {})


def mlp(sizes: Sequence[int], activation: str = "relu", *, dropout: float = 0.0,
        bias: bool = True, init: str | None = None, rng: Any = None,
        dtype: Any = np.float64) -> Sequential:
    """A multi-layer perceptron ``Linear → act → … → Linear`` (no activation on the output).

    ``mlp([64, 100, 10])`` is the lecture's 2-layer net
    ``f = W₂ max(0, W₁x + b₁) + b₂``.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths, input first, output last (at least two).
    activation : {"relu", "leaky-relu", "elu", "tanh", "sigmoid"}
        The hidden activation.
    dropout : float
        Dropout probability after each hidden activation (0: none).
    bias : bool
        Whether the Linear layers have biases.
    init : {"he", "xavier", "normal", "zeros"}, optional
        Weight initialisation; default ``"he"`` for the ReLU family and
        ``"xavier"`` for tanh and sigmoid.
    rng : numpy.random.Generator, int or None
        The same seed gives the same model.
    dtype : float32 or float64
    """
    widths = list(sizes) if isinstance(sizes, (list, tuple)) else None
    if widths is None or len(widths) < 2:
        raise InputError(f"sizes: expected at least two layer widths (input and output), "
                         f"got {describe(sizes)}")
    widths = [check_int(w, f"sizes[{i}]", minimum=1) for i, w in enumerate(widths)]
    check_choice(activation, "activation", ACTIVATIONS)
    p = check_probability(dropout, "dropout", open_interval=False)
    if p >= 1:
        raise InputError(f"dropout: expected a probability in [0, 1), got {dropout!r}")
    if init is None:
        init = "xavier" if activation in ("tanh", "sigmoid") else "he"
    gen = as_rng(rng)
    layers: list[Layer] = []
    for i, (d_in, d_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        layers.append(Linear(d_in, d_out, bias=bias, init=init, rng=gen, dtype=dtype))
        if i < len(widths) - 2:
            layers.append(ACTIVATIONS[activation]())
            if p > 0:
                layers.append(Dropout(p, rng=gen))
    return Sequential(*layers)
