"""Demo step: backpropagation checked against central differences, the lecture's loop, digits."""

from __future__ import annotations

import numpy as np

from lacv import nn
from lacv.cli.demo import DemoContext
from lacv.cli.train import DEFAULTS, _format_confusion, _hidden_sizes, _plot_curves, train_run


def run(ctx: DemoContext) -> None:
    # 1. hand-derived gradients of a 2-layer net against lacv.calculus's central differences
    model = nn.mlp([6, 5, 3], "sigmoid", rng=0)
    x = np.random.default_rng(0).normal(size=(4, 6))
    check = nn.gradcheck(model, x, [0, 2, 1, 1], loss=nn.CrossEntropyLoss())
    ctx.note(f"Gradient check of a 6-5-3 sigmoid net with softmax loss: max relative error "
             f"{check.max_error:.1e} (∂L/∂x, W1, b1, W2, b2 against central differences)")

    # 2. the lecture's numpy loop, built from layers
    iterations = 30 if ctx.quick else 100
    problem = nn.lecture_regression(rng=0)
    net = nn.Sequential(nn.Linear.from_weights(problem.w1.T), nn.Sigmoid(),
                        nn.Linear.from_weights(problem.w2.T))
    loss = nn.L2Loss()
    sgd = nn.SGD(net.parameters(), lr=1e-4)
    losses = []
    for _ in range(iterations):
        sgd.zero_grad()
        value, grad = loss(net.forward(problem.x), problem.y)
        net.backward_params(grad)
        sgd.step()
        losses.append(value)
    ctx.note(f"The lecture's loop (N=64, D_in=1000, H=100, D_out=10, sigmoid, sum of squares, "
             f"lr 1e-4): loss {losses[0]:.1f} → {losses[-1]:.2f} in {iterations} iterations")

    # 3. digits with `lacv train`'s defaults
    d = DEFAULTS["digits"]
    epochs = 15 if ctx.quick else d["epochs"]
    result = train_run(dataset="digits", hidden=_hidden_sizes(d["hidden"]),
                       activation=d["activation"], loss_name=d["loss"],
                       optimizer=d["optimizer"], epochs=epochs, lr=d["lr"],
                       batch_size=d["batch_size"], momentum=0.0,
                       weight_decay=d["weight_decay"], schedule=d["schedule"],
                       dropout=d["dropout"], patience=None, dtype="float64", seed=0,
                       progress=False)
    data, trained, history = result["data"], result["model"], result["history"]
    test = nn.evaluate(trained, result["loss"], data.X_test, data.y_test)
    ctx.note(f"Digits, {result['architecture']} MLP ({d['activation']}, {d['optimizer']}), "
             f"{history.epochs} epochs in {history.seconds:.2f} s: test accuracy "
             f"{100 * test.accuracy:.2f} % on {test.n} images")
    cm = nn.confusion_matrix(data.y_test, nn.predict_classes(trained, data.X_test), 10)
    ctx.echo(_format_confusion(cm))
    trained.metadata = {"dataset": "digits", "split": data.split, "seed": 0,
                        "loss": {"name": d["loss"], **result["loss"].config()},
                        "n_classes": 10, "test": test.to_dict()}
    model_path = trained.save(ctx.out_dir / "digits_mlp.npz")
    plot_path = _plot_curves(history, ctx.out_dir / "digits_curves.png",
                             f"lacv demo: {result['architecture']} on digits")
    ctx.note(f"Saved the model to {model_path} (try `lacv evaluate {model_path}`) and the "
             f"learning curves to {plot_path}")
