"""Saving and loading models: round trip, shared parameters, no pickle, clear errors."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from lacv.errors import InputError
from lacv.nn import (
    ELU,
    Dropout,
    LeakyReLU,
    Linear,
    Maxout,
    Parameter,
    ReLU,
    Sequential,
    Standardize,
    Tanh,
    load,
    mlp,
)

RNG = np.random.default_rng(30)


def _model():
    return Sequential(
        Standardize(RNG.normal(size=6), RNG.uniform(0.5, 2.0, size=6)),
        Linear(6, 8, rng=0), LeakyReLU(0.2), Dropout(0.3, rng=0),
        Maxout(8, 5, pieces=3, rng=1), ELU(0.5),
        Linear(5, 4, bias=False, rng=2), ReLU(),
        metadata={"dataset": "synthetic", "accuracy": 0.5},
    )


def test_round_trip_gives_the_same_model(tmp_path):
    model = _model()
    path = model.save(tmp_path / "m.npz")
    loaded = load(path)
    x = RNG.normal(size=(10, 6))
    np.testing.assert_array_equal(loaded.forward(x), model.forward(x))
    assert loaded.metadata == {"dataset": "synthetic", "accuracy": 0.5}
    assert repr(loaded) == repr(model)
    assert [type(a) for a in loaded] == [type(b) for b in model]
    assert loaded[3].p == 0.3 and loaded[2].negative_slope == 0.2 and loaded[5].alpha == 0.5


def test_file_is_plain_npz_without_pickle(tmp_path):
    path = mlp([3, 4, 2], rng=0).save(tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as data:
        assert all(data[k].dtype != object for k in data.files)
        spec = json.loads(str(data["architecture"]))
    assert spec["format"] == "lacv.nn/1"
    assert [layer["type"] for layer in spec["layers"]] == ["Linear", "ReLU", "Linear"]
    assert not list(tmp_path.glob(".m.npz*"))  # no temporary left behind


def test_float32_round_trip(tmp_path):
    model = mlp([3, 4, 2], "tanh", rng=0, dtype=np.float32)
    loaded = load(model.save(tmp_path / "m.npz"))
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded[0].W.value, model[0].W.value)


def test_shared_parameters_stay_shared(tmp_path):
    W = Parameter(RNG.normal(size=(3, 3)), "W")
    model = Sequential(Linear.from_weights(W), Tanh(), Linear.from_weights(W, np.ones(3)))
    loaded = load(model.save(tmp_path / "tied.npz"))
    assert loaded[0].W is loaded[2].W
    assert len(loaded.parameters()) == 2


def test_save_errors(tmp_path):
    model = mlp([3, 2])
    with pytest.raises(InputError, match=".npz"):
        model.save(tmp_path / "m.pkl")
    with pytest.raises(InputError, match="does not exist"):
        model.save(tmp_path / "missing" / "m.npz")
    with pytest.raises(InputError, match="path: expected a file path, got None"):
        model.save(None)  # Path(None): a raw TypeError
    model.metadata["bad"] = object()
    with pytest.raises(InputError, match="metadata"):
        model.save(tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_load_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load(tmp_path / "none.npz")
    with pytest.raises(InputError, match="path: expected a file path, got None"):
        load(None)  # Path(None): a raw TypeError
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file at all")
    with pytest.raises(InputError, match="not a model saved by lacv"):
        load(junk)
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.ones(3))
    with pytest.raises(InputError, match="not a lacv model"):
        load(plain)
    # arrays that do not match the architecture
    good = mlp([3, 4, 2], rng=0).save(tmp_path / "good.npz")
    with np.load(good) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["param0"] = np.ones((5, 5))
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(InputError, match="shape"):
        load(bad)
    with zipfile.ZipFile(tmp_path / "objs.npz", "w") as zf:
        zf.writestr("architecture.npy", b"\x93NUMPY garbage")
    with pytest.raises(InputError):
        load(tmp_path / "objs.npz")


def test_load_rejects_non_model_files_clearly(tmp_path):
    from lacv.errors import InputError
    from lacv.nn import load

    text = tmp_path / "model.npz"
    text.write_text("garbage")
    with pytest.raises(InputError, match="not a model saved by lacv") as info:
        load(text)
    assert "allow_pickle" not in str(info.value)
    single = tmp_path / "array.npy"
    np.save(single, np.ones(3))
    with pytest.raises(InputError, match="single array"):
        load(single)
