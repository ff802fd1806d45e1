"""`lacv train`, `lacv evaluate` and the demo step, through the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lacv import nn
from lacv.cli import main


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_train_saves_model_and_plot_then_evaluate(capsys, tmp_path):
    model_path, plot_path = tmp_path / "digits.npz", tmp_path / "curves.png"
    code, out, err = run(capsys, "train", "--epochs", "3", "--hidden", "32",
                         "--out", model_path, "--plot", plot_path)
    assert code == 0, err
    assert "64-32-10 MLP" in out and "test: loss" in out and "Confusion matrix" in out
    assert plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model = nn.load(model_path)
    assert model.metadata["dataset"] == "digits" and model.metadata["epochs_run"] == 3
    code, out2, err = run(capsys, "evaluate", model_path, "--json")
    assert code == 0, err
    result = json.loads(out2)
    assert result["n"] == 360
    assert result["accuracy"] == pytest.approx(model.metadata["test"]["accuracy"])
    assert np.array(result["confusion_matrix"]).sum() == 360


def test_train_json_and_seed_reproducibility(capsys):
    results = []
    for _ in range(2):
        code, out, err = run(capsys, "train", "--epochs", "2", "--hidden", "16", "--seed", "4",
                             "--json")
        assert code == 0, err
        results.append(json.loads(out))
    assert results[0]["test"] == results[1]["test"]
    assert len(results[0]["history"]["train_loss"]) == 2


def test_train_regression_is_the_lecture_loop(capsys, tmp_path):
    code, out, err = run(capsys, "train", "--dataset", "regression", "--epochs", "30", "--json",
                         "--seed", "3", "--out", tmp_path / "reg.npz")
    assert code == 0, err
    result = json.loads(out)
    assert result["architecture"] == "1000-100-10" and "test" not in result
    # the plain numpy loop of the lecture on the same draws
    p = nn.lecture_regression(rng=3)
    x, y, w1, w2 = p.x, p.y, p.w1.copy(), p.w2.copy()
    expected = []
    for _ in range(30):
        h = 1 / (1 + np.exp(-x.dot(w1)))
        y_pred = h.dot(w2)
        expected.append(np.square(y_pred - y).sum())
        grad_y_pred = 2.0 * (y_pred - y)
        w1 -= 1e-4 * x.T.dot(grad_y_pred.dot(w2.T) * h * (1 - h))
        w2 -= 1e-4 * h.T.dot(grad_y_pred)
    np.testing.assert_allclose(result["history"]["train_loss"], expected, rtol=1e-9)
    code, out, err = run(capsys, "evaluate", tmp_path / "reg.npz", "--json")
    assert code == 0, err
    final = json.loads(out)["loss"]
    assert final == pytest.approx(result["train"]["loss"], rel=1e-12) and final < expected[-1]


def test_evaluate_on_a_data_file(capsys, tmp_path):
    model_path = tmp_path / "m.npz"
    assert run(capsys, "train", "--epochs", "2", "--hidden", "16", "--out", model_path)[0] == 0
    data = nn.load_digits()
    np.savez(tmp_path / "d.npz", X=data.X_test[:50], y=data.y_test[:50])
    code, out, err = run(capsys, "evaluate", model_path, "--data", tmp_path / "d.npz")
    assert code == 0 and "(50 rows)" in out, err
    np.savetxt(tmp_path / "d.csv", np.column_stack([data.X_test[:20], data.y_test[:20]]),
               delimiter=",")
    code, out, err = run(capsys, "evaluate", model_path, "--data", tmp_path / "d.csv")
    assert code == 0 and "(20 rows)" in out, err


def test_cli_errors_are_one_line(capsys, tmp_path):
    code, _, err = run(capsys, "train", "--dataset", "regression", "--loss", "cross-entropy")
    assert code == 2 and "needs class labels" in err
    code, _, err = run(capsys, "train", "--hidden", "abc")
    assert code == 2 and "--hidden" in err
    code, _, err = run(capsys, "train", "--out", tmp_path / "nope" / "m.npz")
    assert code == 2 and "does not exist" in err
    # checked before training: matplotlib's ValueError after the run was an 'internal error'
    code, _, err = run(capsys, "train", "--plot", tmp_path / "curves.xyz")
    assert code == 2 and "--plot: matplotlib cannot write the format '.xyz'" in err
    code, _, err = run(capsys, "evaluate", tmp_path / "missing.npz")
    assert code == 2 and "no such file" in err
    (tmp_path / "bad.npz").write_text("junk")
    code, _, err = run(capsys, "evaluate", tmp_path / "bad.npz")
    assert code == 2 and "not a model saved by lacv" in err
    assert err.endswith("\n") and err.count("\n") == 1


def test_demo_step_runs_quick(tmp_path, capsys):
    from lacv.cli._demo_nn import run as demo_run
    from lacv.cli.demo import DemoContext

    ctx = DemoContext(out_dir=tmp_path, quick=True)
    demo_run(ctx)
    text = "\n".join(ctx.summary)
    assert "max relative error" in text and "test accuracy" in text
    assert (tmp_path / "digits_mlp.npz").exists() and (tmp_path / "digits_curves.png").exists()


def test_train_patience_and_regression_plot(capsys, tmp_path):
    code, out, err = run(capsys, "train", "--epochs", "200", "--lr", "0.05", "--patience", "2",
                         "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["stopped_early"] and result["epochs_run"] < 200
    # early stopping watched 10 % of the training rows, not the test set
    assert result["train"]["n"] == 1437 and result["test"]["n"] == 360
    code, out, err = run(capsys, "train", "--dataset", "regression", "--epochs", "5",
                         "--hidden", "20", "--plot", tmp_path / "reg.svg")
    assert code == 0, err
    assert (tmp_path / "reg.svg").read_text().lstrip().startswith("<?xml")


def test_evaluate_needs_data_for_a_model_without_dataset(capsys, tmp_path):
    path = nn.mlp([64, 10], rng=0).save(tmp_path / "bare.npz")
    code, _, err = run(capsys, "evaluate", path)
    assert code == 2 and "--data" in err
