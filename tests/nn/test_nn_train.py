"""The training loop: learning, reproducibility, early stopping, divergence, metrics, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from lacv.errors import EstimationError, InputError
from lacv.nn import (
    SGD,
    Adam,
    CosineLR,
    CrossEntropyLoss,
    HingeLoss,
    L2Loss,
    Linear,
    Sequential,
    Sigmoid,
    Standardize,
    batches,
    confusion_matrix,
    evaluate,
    fit,
    lecture_regression,
    load_digits,
    mlp,
    predict,
    predict_classes,
    standardization,
)


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def _digits_model(data, seed=0, **kwargs):
    return Sequential(Standardize(*standardization(data.X_train)),
                      *mlp([64, 32, 10], rng=seed, **kwargs))


def test_digits_split_is_sklearn_80_20(digits):
    assert digits.X_train.shape == (1437, 64) and digits.X_test.shape == (360, 64)
    assert digits.n_classes == 10 and digits.split == {"test_size": 0.2, "random_state": 0}
    from sklearn.datasets import load_digits as sk_load
    from sklearn.model_selection import train_test_split

    b = sk_load()
    _, X_te, _, y_te = train_test_split(b.data, b.target, test_size=0.2, random_state=0)
    np.testing.assert_array_equal(digits.X_test, X_te)
    np.testing.assert_array_equal(digits.y_test, y_te)


def test_standardization_per_feature_and_global():
    X = np.array([[0.0, 1.0, 5.0], [2.0, 1.0, 7.0], [4.0, 1.0, 9.0]])
    mean, scale = standardization(X)
    np.testing.assert_allclose(mean, [2.0, 1.0, 7.0])
    np.testing.assert_allclose(scale, [np.sqrt(8 / 3), 1.0, np.sqrt(8 / 3)])  # constant -> 1
    mean_g, scale_g = standardization(X, per_feature=False)
    np.testing.assert_allclose(mean_g, mean)
    np.testing.assert_allclose(scale_g, np.full(3, np.sqrt(16 / 9)))
    _, flat = standardization(np.ones((4, 2)), per_feature=False)
    np.testing.assert_array_equal(flat, [1.0, 1.0])
    with pytest.raises(InputError, match="X: values up to 9e\\+200 are too large"):
        standardization(X * 1e200)  # σ overflowed to inf with a RuntimeWarning


def test_lacv_train_defaults_on_digits(digits):
    """A guard on the command's defaults: seed 0 reaches 98.06 % here; 97 % allows BLAS noise."""
    from lacv.cli.train import DEFAULTS, _hidden_sizes, train_run

    d = DEFAULTS["digits"]
    run = train_run(dataset="digits", hidden=_hidden_sizes(d["hidden"]),
                    activation=d["activation"], loss_name=d["loss"], optimizer=d["optimizer"],
                    epochs=d["epochs"], lr=d["lr"], batch_size=d["batch_size"], momentum=0.0,
                    weight_decay=d["weight_decay"], schedule=d["schedule"],
                    dropout=d["dropout"], patience=None, dtype="float64", seed=0,
                    progress=False)
    test = evaluate(run["model"], run["loss"], digits.X_test, digits.y_test)
    assert test.accuracy >= 0.97
    assert run["history"].val_accuracy[-1] == test.accuracy


def test_fit_learns_digits_and_records_history(digits):
    model = _digits_model(digits)
    loss = CrossEntropyLoss()
    history = fit(model, loss, digits.X_train, digits.y_train, epochs=8, batch_size=32,
                  optimizer=Adam(model.parameters(), lr=3e-3),
                  validation=(digits.X_test, digits.y_test), rng=0)
    assert history.epochs == 8 and len(history.val_accuracy) == 8
    assert history.train_loss[-1] < history.train_loss[0] / 3
    test = evaluate(model, loss, digits.X_test, digits.y_test)
    assert test.accuracy > 0.93 and test.n == 360
    assert test.accuracy == pytest.approx(history.val_accuracy[-1])
    assert np.mean(predict_classes(model, digits.X_test) == digits.y_test) == test.accuracy
    cm = confusion_matrix(digits.y_test, predict_classes(model, digits.X_test), 10)
    assert cm.sum() == 360 and np.trace(cm) == round(test.accuracy * 360)


def test_same_seed_same_training(digits):
    runs = []
    for _ in range(2):
        model = _digits_model(digits, seed=3, dropout=0.1)
        fit(model, CrossEntropyLoss(), digits.X_train[:300], digits.y_train[:300], epochs=2,
            rng=5)
        runs.append(predict(model, digits.X_test[:20]))
    np.testing.assert_array_equal(runs[0], runs[1])
    other = _digits_model(digits, seed=3, dropout=0.1)
    fit(other, CrossEntropyLoss(), digits.X_train[:300], digits.y_train[:300], epochs=2, rng=6)
    assert not np.array_equal(predict(other, digits.X_test[:20]), runs[0])


def test_lecture_loop_through_layers_equals_plain_numpy():
    """The lecture's 2-layer loop built from Linear / Sigmoid / L2Loss / SGD: the same losses."""
    p = lecture_regression(n=16, d_in=50, hidden=20, d_out=5, rng=0)
    x, y, w1, w2 = p.x, p.y, p.w1.copy(), p.w2.copy()
    expected = []
    for _ in range(100):
        h = 1 / (1 + np.exp(-x.dot(w1)))
        y_pred = h.dot(w2)
        expected.append(np.square(y_pred - y).sum())
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h.T.dot(grad_y_pred)
        grad_h = grad_y_pred.dot(w2.T)
        grad_w1 = x.T.dot(grad_h * h * (1 - h))
        w1 -= 1e-4 * grad_w1
        w2 -= 1e-4 * grad_w2
    net = Sequential(Linear.from_weights(p.w1.T), Sigmoid(), Linear.from_weights(p.w2.T))
    loss, opt = L2Loss(), SGD(net.parameters(), lr=1e-4)
    got = []
    for _ in range(100):
        opt.zero_grad()
        value, grad = loss(net.forward(x), y)
        net.backward_params(grad)
        opt.step()
        got.append(value)
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    # and fit() with one full batch per epoch is the same loop
    net2 = Sequential(Linear.from_weights(p.w1.T), Sigmoid(), Linear.from_weights(p.w2.T))
    h = fit(net2, L2Loss(), x, y, epochs=100, batch_size=16, shuffle=False,
            optimizer=SGD(net2.parameters(), lr=1e-4))
    np.testing.assert_allclose(h.train_loss, expected, rtol=1e-9)
    assert h.train_accuracy == [None] * 100


def test_early_stopping_restores_the_best_epoch(digits):
    model = _digits_model(digits)
    opt = Adam(model.parameters(), lr=0.05)  # too large: validation loss soon gets worse
    h = fit(model, CrossEntropyLoss(), digits.X_train, digits.y_train, epochs=60,
            optimizer=opt, validation=(digits.X_test, digits.y_test), patience=3, rng=0)
    assert h.stopped_early and h.epochs < 60
    assert h.epochs - h.best_epoch == 3
    final = evaluate(model, CrossEntropyLoss(), digits.X_test, digits.y_test)
    assert final.loss == pytest.approx(min(h.val_loss), rel=1e-12)


def test_scheduler_sets_learning_rate_per_epoch(digits):
    model = _digits_model(digits)
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    h = fit(model, HingeLoss(), digits.X_train[:200], digits.y_train[:200], epochs=4,
            optimizer=opt, scheduler=CosineLR(opt, total_epochs=4), rng=0)
    np.testing.assert_allclose(h.lr, [0.1, 0.1 * (1 + np.cos(np.pi / 4)) / 2, 0.05,
                                      0.1 * (1 + np.cos(3 * np.pi / 4)) / 2])


def test_divergence_raises_estimation_error():
    p = lecture_regression(n=8, d_in=5, hidden=4, d_out=2, rng=0)
    net = mlp([5, 4, 2], rng=0)
    with pytest.raises(EstimationError, match="diverged") as info:
        fit(net, L2Loss(), p.x * 1e3, p.y, epochs=50, optimizer=SGD(net.parameters(), lr=1e3))
    assert info.value.stats["lr"] == 1e3


def test_float32_training(digits):
    model = _digits_model(digits)
    model.astype(np.float32)
    h = fit(model, CrossEntropyLoss(), digits.X_train, digits.y_train, epochs=3, rng=0)
    assert predict(model, digits.X_test).dtype == np.float32
    assert h.train_loss[-1] < h.train_loss[0]


def test_batches_cover_every_row_once():
    got = np.concatenate(list(batches(10, 3, rng=0)))
    assert sorted(got) == list(range(10))
    assert [len(b) for b in batches(10, 3, shuffle=False)] == [3, 3, 3, 1]


def test_bad_input_raises_input_error(digits):
    model = _digits_model(digits)
    ce = CrossEntropyLoss()
    X, y = digits.X_train[:50], digits.y_train[:50]
    with pytest.raises(InputError, match="out of range"):
        fit(model, ce, X, np.where(y == 3, 10, y))
    with pytest.raises(InputError, match=r"\(N, 64\), got an array of shape \(50, 10\)"):
        fit(model, ce, X[:, :10], y)  # the message described a probe row, shape (1, 10)
    with pytest.raises(InputError, match="50 targets"):
        fit(model, ce, X, y[:40])
    Xn = X.copy()
    Xn[3, 7] = np.nan
    with pytest.raises(InputError, match="NaN"):
        fit(model, ce, Xn, y)
    with pytest.raises(InputError, match="NaN"):
        predict(model, Xn)
    with pytest.raises(InputError, match="validation y"):
        fit(model, ce, X, y, validation=(X, y[:3]))
    with pytest.raises(InputError, match="epochs"):
        fit(model, ce, X, y, epochs=0)
    with pytest.raises(InputError, match="loss"):
        fit(model, "cross-entropy", X, y)
    with pytest.raises(InputError, match="model"):
        evaluate(None, ce, X, y)
    with pytest.raises(InputError, match="does not update"):
        fit(model, ce, X, y, optimizer=Adam(_digits_model(digits).parameters()))
    with pytest.raises(InputError, match="scheduler: expected a StepLR or CosineLR, got int"):
        fit(model, ce, X, y, scheduler=3)  # AttributeError: 'int' object has no attribute ...
    with pytest.raises(InputError, match="n_classes: expected at most 100000 classes"):
        confusion_matrix([0, 1], [0, 1], 10**30)  # NumPy's OverflowError in the comparison
    with pytest.raises(InputError, match="y_pred"):
        confusion_matrix([0, 1], [0, 5], 3)


def test_progress_bar_only_when_asked(digits, capsys):
    model = _digits_model(digits)
    fit(model, CrossEntropyLoss(), digits.X_train[:100], digits.y_train[:100], epochs=2, rng=0)
    assert capsys.readouterr().err == ""
    fit(model, CrossEntropyLoss(), digits.X_train[:100], digits.y_train[:100], epochs=2, rng=0,
        progress=True)
    err = capsys.readouterr().err
    assert "training:" in err and "/2 " in err
