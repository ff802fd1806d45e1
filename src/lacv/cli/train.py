"""``lacv train`` and ``lacv evaluate``: train a small network on built-in data; measure one."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click
import numpy as np

from lacv._fileio import atomic_path
from lacv.cli._common import echo_json, read_matrix_file
from lacv.errors import InputError

#: per-dataset defaults: the digits classifier, and the lecture's regression loop
DEFAULTS: dict[str, dict[str, Any]] = {
    # chosen by 5-fold cross-validation on the training rows only (never the test set)
    "digits": {"hidden": "100", "activation": "relu", "loss": "cross-entropy",
               "optimizer": "adam", "epochs": 40, "lr": 3e-3, "batch_size": 64,
               "weight_decay": 0.0, "schedule": "none", "dropout": 0.0},
    "regression": {"hidden": "100", "activation": "sigmoid", "loss": "l2", "optimizer": "sgd",
                   "epochs": 2000, "lr": 1e-4, "batch_size": 64, "weight_decay": 0.0,
                   "schedule": "none", "dropout": 0.0},
}


def _hidden_sizes(text: str) -> list[int]:
    try:
        sizes = [int(v) for v in text.replace(" ", "").split(",") if v]
    except ValueError:
        raise InputError(f"--hidden: expected widths like 100 or 128,64, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise InputError(f"--hidden: widths must be positive, got {text!r}")
    return sizes


def _check_plot_format(path: Path) -> None:
    """Refuse a --plot suffix matplotlib cannot write before training, not after."""
    from matplotlib.backend_bases import FigureCanvasBase

    ext = path.suffix.lower().lstrip(".")
    formats = FigureCanvasBase.get_supported_filetypes()
    if ext and ext not in formats:
        raise InputError(f"--plot: matplotlib cannot write the format '.{ext}'; use "
                         f"{', '.join('.' + f for f in ('png', 'pdf', 'svg'))}, ...")


def _plot_curves(history: Any, path: Path, title: str, val_label: str = "test") -> Path:
    """Loss and accuracy against epoch (train and validation), written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, history.epochs + 1)
    has_acc = history.train_accuracy[0] is not None
    fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(10 if has_acc else 5.5, 4),
                             squeeze=False)
    ax = axes[0, 0]
    ax.plot(epochs, history.train_loss, label="train")
    if history.val_loss[0] is not None:
        ax.plot(epochs, history.val_loss, label=val_label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3)
    if has_acc:
        ax2 = axes[0, 1]
        ax2.plot(epochs, history.train_accuracy, label="train")
        if history.val_accuracy[0] is not None:
            ax2.plot(epochs, history.val_accuracy, label=val_label)
        ax2.set_xlabel("epoch")
        ax2.set_ylabel("accuracy")
        ax2.legend()
        ax2.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=100)
    finally:
        plt.close(fig)
    return path


def _format_confusion(cm: np.ndarray) -> str:
    k = cm.shape[0]
    width = max(3, len(str(int(cm.max()))) + 1)
    head = "true\\pred" + "".join(f"{j:>{width}}" for j in range(k))
    rows = [f"{i:>9}" + "".join(f"{int(v):>{width}}" for v in cm[i]) for i in range(k)]
    return "\n".join([head, *rows])


def train_run(*, dataset: str, hidden: list[int], activation: str, loss_name: str,
              optimizer: str, epochs: int, lr: float, batch_size: int, momentum: float,
              weight_decay: float, schedule: str, dropout: float, patience: int | None,
              dtype: str, seed: int, progress: bool,
              announce: Any = None) -> dict[str, Any]:
    """Build the model and optimiser from command-line choices and train it (also the demo's)."""
    from lacv import nn

    rng = np.random.default_rng(seed)
    if dataset == "regression":
        # the lecture's problem and net: x, y, w1, w2 from randn, no biases
        problem = nn.lecture_regression(hidden=hidden[0], rng=rng, dtype=dtype)
        data = nn.Dataset(problem.x, problem.y, problem.x[:0], problem.y[:0], n_classes=0,
                          name="regression", split={"seed": seed, "hidden": hidden[0]})
        sizes = [data.n_features, *hidden, data.y_train.shape[1]]
        if len(hidden) == 1:
            layers: list[Any] = [nn.Linear.from_weights(problem.w1.T),
                                 nn.ACTIVATIONS[activation](),
                                 nn.Linear.from_weights(problem.w2.T)]
            if dropout:
                layers.insert(2, nn.Dropout(dropout, rng=rng))
            model = nn.Sequential(*layers)
        else:
            model = nn.mlp(sizes, activation, bias=False, init="normal", rng=rng,
                           dropout=dropout, dtype=dtype)
    else:
        data = nn.load_digits(dtype=dtype)
        sizes = [data.n_features, *hidden, data.n_classes]
        body = nn.mlp(sizes, activation, rng=rng, dropout=dropout, dtype=dtype)
        # centre each pixel, one scale for all: keeps the pixels' relative contrast
        mean, scale = nn.standardization(data.X_train, per_feature=False)
        model = nn.Sequential(nn.Standardize(mean, scale, dtype=dtype), *body.layers)
    loss = nn.LOSSES[loss_name]()
    if optimizer == "adam":
        opt: nn.Optimizer = nn.Adam(model.parameters(), lr=lr, weight_decay=weight_decay,
                                    decoupled_weight_decay=True)
    else:
        opt = nn.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    scheduler = None
    if schedule == "cosine":
        scheduler = nn.CosineLR(opt, total_epochs=epochs)
    elif schedule == "step":
        scheduler = nn.StepLR(opt, step_size=max(1, epochs // 3), gamma=0.1)
    X_fit, y_fit = data.X_train, data.y_train
    # the test set is only watched (learning curves); it never steers training
    validation = (data.X_test, data.y_test) if len(data.X_test) else None
    if patience is not None:
        if validation is None:
            raise InputError("--patience: early stopping needs held-out data; the regression "
                             "data set has none")
        # early stopping watches 10 % of the training rows, never the test set
        order = np.random.default_rng(seed).permutation(len(X_fit))
        n_val = max(1, len(X_fit) // 10)
        validation = (X_fit[order[:n_val]], y_fit[order[:n_val]])
        X_fit, y_fit = X_fit[order[n_val:]], y_fit[order[n_val:]]
    arch = "-".join(str(s) for s in sizes)
    if announce is not None:
        announce(f"Training a {arch} MLP ({activation}, {model.n_parameters()} parameters) on "
                 f"{dataset} ({len(X_fit)} training rows) with {loss_name} loss and "
                 f"{optimizer} (lr {lr:g}), {epochs} epochs of batch {batch_size}, seed {seed}")
    history = nn.fit(model, loss, X_fit, y_fit, epochs=epochs,
                     batch_size=batch_size, optimizer=opt, validation=validation, rng=rng,
                     scheduler=scheduler, patience=patience, progress=progress)
    return {"model": model, "loss": loss, "data": data, "history": history, "optimizer": opt,
            "architecture": arch, "validation_is_test": patience is None}


@click.command()
@click.option("--dataset", type=click.Choice(["digits", "regression"]), default="digits",
              show_default=True,
              help="digits: scikit-learn's 8×8 digits, 80/20 split (random_state 0); "
                   "regression: the lecture's random problem (N=64, D_in=1000, D_out=10).")
@click.option("--hidden", default=None, metavar="W[,W...]",
              help="Hidden layer widths [digits: 100; regression: 100].")
@click.option("--activation", type=click.Choice(["relu", "leaky-relu", "elu", "tanh", "sigmoid"]),
              default=None, help="Hidden activation [digits: relu; regression: sigmoid].")
@click.option("--loss", "loss_name",
              type=click.Choice(["cross-entropy", "hinge", "l2", "l1"]), default=None,
              help="Loss [digits: cross-entropy; regression: l2 (sum, as the lecture)].")
@click.option("--optimizer", type=click.Choice(["adam", "sgd"]), default=None,
              help="Optimiser [digits: adam; regression: sgd].")
@click.option("--epochs", type=click.IntRange(min=1), default=None,
              help="Passes over the data [digits: 40; regression: 2000].")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Learning rate [digits: 3e-3; regression: 1e-4].")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Rows per step [64].")
@click.option("--momentum", type=click.FloatRange(0, 1, max_open=True), default=0.0,
              show_default=True, help="SGD momentum.")
@click.option("--weight-decay", type=click.FloatRange(min=0), default=None,
              help="Weight decay (decoupled for Adam) [0].")
@click.option("--schedule", type=click.Choice(["none", "cosine", "step"]), default=None,
              help="Learning-rate schedule [none].")
@click.option("--dropout", type=click.FloatRange(0, 1, max_open=True), default=None,
              help="Dropout after each hidden layer [0].")
@click.option("--patience", type=click.IntRange(min=1), default=None,
              help="Early stopping: hold out 10 % of the training rows and stop after this "
                   "many epochs without a better loss on them (the test set is never used).")
@click.option("--dtype", type=click.Choice(["float64", "float32"]), default="float64",
              show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the weights, the shuffling (and the regression data).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Save the trained model here (.npz).")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Save the learning curves here (.png, .pdf, .svg).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def train(dataset: str, hidden: str | None, activation: str | None, loss_name: str | None,
          optimizer: str | None, epochs: int | None, lr: float | None, batch_size: int | None,
          momentum: float, weight_decay: float | None, schedule: str | None,
          dropout: float | None, patience: int | None, dtype: str, seed: int,
          out_path: Path | None, plot_path: Path | None, as_json: bool, quiet: bool) -> None:
    """Train a multi-layer perceptron with hand-derived backpropagation.

    Prints the final metrics (with a confusion matrix for digits); saves the
    model and the learning curves on request. The progress bar appears only
    on a terminal.

    \b
    Examples:
      lacv train                                  # digits, 64-100-10 ReLU, Adam
      lacv train --hidden 128,64 --epochs 30 --out digits.npz --plot curves.png
      lacv train --dataset regression             # the lecture's numpy loop
    """
    from lacv import nn

    d = DEFAULTS[dataset]
    hidden_sizes = _hidden_sizes(hidden if hidden is not None else d["hidden"])
    activation = activation or d["activation"]
    loss_name = loss_name or d["loss"]
    optimizer = optimizer or d["optimizer"]
    epochs = epochs or d["epochs"]
    lr = lr or d["lr"]
    batch_size = batch_size or d["batch_size"]
    weight_decay = d["weight_decay"] if weight_decay is None else weight_decay
    schedule = schedule or d["schedule"]
    dropout = d["dropout"] if dropout is None else dropout
    classification = loss_name in ("cross-entropy", "hinge")
    if dataset == "regression" and classification:
        raise InputError(f"--loss: {loss_name} needs class labels; the regression data set "
                         "has real-valued targets (use l2 or l1)")
    if dataset == "digits" and not classification:
        raise InputError(f"--loss: {loss_name} is a regression loss; digits needs "
                         "cross-entropy or hinge")
    for path, what in ((out_path, "--out"), (plot_path, "--plot")):
        if path is not None and not (path.parent if str(path.parent) else Path(".")).is_dir():
            raise InputError(f"{what}: the folder {str(path.parent)!r} does not exist")
    if out_path is not None and out_path.suffix != ".npz":
        raise InputError(f"--out: a model is saved as .npz, got {str(out_path)!r}")
    if plot_path is not None:
        _check_plot_format(plot_path)

    started = time.perf_counter()
    progress = not quiet and not as_json and sys.stderr.isatty()
    run = train_run(dataset=dataset, hidden=hidden_sizes, activation=activation,
                    loss_name=loss_name, optimizer=optimizer, epochs=epochs, lr=lr,
                    batch_size=batch_size, momentum=momentum, weight_decay=weight_decay,
                    schedule=schedule, dropout=dropout, patience=patience, dtype=dtype,
                    seed=seed, progress=progress,
                    announce=None if as_json else click.echo)
    model, loss, data, history, opt = (run["model"], run["loss"], run["data"],
                                       run["history"], run["optimizer"])
    has_test = len(data.X_test) > 0
    arch = run["architecture"]
    train_metrics = nn.evaluate(model, loss, data.X_train, data.y_train)
    result: dict[str, Any] = {
        "dataset": dataset, "architecture": arch, "activation": activation, "loss": loss_name,
        "optimizer": repr(opt), "epochs_run": history.epochs, "stopped_early":
        history.stopped_early, "train_seconds": history.seconds,
        "train": train_metrics.to_dict(),
    }
    if has_test:
        test_metrics = nn.evaluate(model, loss, data.X_test, data.y_test)
        result["test"] = test_metrics.to_dict()
        cm = nn.confusion_matrix(data.y_test, nn.predict_classes(model, data.X_test),
                                 data.n_classes)
        result["confusion_matrix"] = cm
    model.metadata = {"dataset": dataset, "split": data.split, "seed": seed,
                      "loss": {"name": loss_name, **loss.config()},
                      "n_classes": data.n_classes, "train": train_metrics.to_dict(),
                      "test": result.get("test"), "epochs_run": history.epochs}
    if out_path is not None:
        result["model"] = str(model.save(out_path))
    if plot_path is not None:
        title = f"lacv train: {arch} on {dataset}"
        val_label = "test" if run["validation_is_test"] else "validation"
        result["plot"] = str(_plot_curves(history, plot_path, title, val_label))
    result["total_seconds"] = time.perf_counter() - started
    if as_json:
        result["history"] = history.to_dict()
        echo_json(result)
        return
    click.echo(f"{history.epochs} epochs in {history.seconds:.2f} s"
               + (" (stopped early)" if history.stopped_early else ""))
    _echo_metrics("train", train_metrics)
    if has_test:
        _echo_metrics("test", test_metrics)
        click.echo("\nConfusion matrix (test set; rows: true digit, columns: predicted):")
        click.echo(_format_confusion(cm))
    if out_path is not None:
        click.echo(f"\nModel saved to {out_path}")
    if plot_path is not None:
        click.echo(f"Learning curves saved to {plot_path}")


def _echo_metrics(label: str, m: Any) -> None:
    acc = f", accuracy {100 * m.accuracy:.2f} %" if m.accuracy is not None else ""
    prefix = f"{label:>5}: " if label else ""
    click.echo(f"{prefix}loss {m.loss:.6g}{acc}  ({m.n} rows)")


def _data_file(path: str, n_features: int) -> tuple[np.ndarray, np.ndarray]:
    p = Path(path)
    if p.suffix == ".npz":
        if not p.is_file():
            raise InputError(f"--data ({path!r}): no such file")
        try:
            with np.load(p, allow_pickle=False) as f:
                if "X" not in f.files or "y" not in f.files:
                    raise InputError(f"--data ({path!r}): expected arrays 'X' and 'y', found "
                                     f"{sorted(f.files)}")
                return f["X"], f["y"]
        except (OSError, ValueError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"--data ({path!r}): not a readable .npz file ({exc})") from None
    table = read_matrix_file(path, "--data")
    if table.ndim != 2 or table.shape[1] <= n_features:
        raise InputError(f"--data ({path!r}): expected {n_features} feature columns followed "
                         f"by the target column(s), got shape {table.shape}")
    return table[:, :n_features], table[:, n_features:].squeeze(axis=1) \
        if table.shape[1] == n_features + 1 else table[:, n_features:]


@click.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(dir_okay=False, path_type=str))
@click.option("--data", "data_path", default=None, metavar="FILE",
              help="Evaluate on FILE instead of the model's test set: .npz with arrays X and "
                   "y, or CSV/text rows of features followed by the label.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def evaluate(model_path: str, data_path: str | None, as_json: bool) -> None:
    """Evaluate a model saved by `lacv train --out` on its test set (or on --data).

    \b
    Example:
      lacv train --out digits.npz && lacv evaluate digits.npz
    """
    from lacv import nn

    model = nn.load(model_path)
    meta = model.metadata
    loss_meta = dict(meta.get("loss") or {"name": "cross-entropy"})
    name = loss_meta.pop("name")
    if name not in nn.LOSSES:
        raise InputError(f"model ({model_path!r}): unknown loss {name!r} in its metadata")
    loss = nn.LOSSES[name](**loss_meta)
    n_classes = int(meta.get("n_classes", 0))
    first = model.layers[0]
    n_features = int(getattr(first, "in_features", None) or first.mean.shape[0])
    if data_path is not None:
        X, y = _data_file(data_path, n_features)
        source = data_path
    else:
        dataset = meta.get("dataset")
        if dataset == "digits":
            split = meta.get("split", {})
            data = nn.load_digits(test_size=split.get("test_size", 0.2),
                                  random_state=split.get("random_state", 0))
            X, y = data.X_test, data.y_test
            source = "the digits test set"
        elif dataset == "regression":
            split = meta.get("split", {})
            problem = nn.lecture_regression(hidden=int(split.get("hidden", 100)),
                                            rng=int(split.get("seed", 0)))
            X, y = problem.x, problem.y
            source = "the lecture's regression problem (its training data)"
        else:
            raise InputError(f"model ({model_path!r}): no built-in data set recorded; "
                             "pass --data FILE")
    metrics = nn.evaluate(model, loss, X, y)
    result: dict[str, Any] = {"model": model_path, "data": source, **metrics.to_dict()}
    if loss.classification and n_classes:
        cm = nn.confusion_matrix(y, nn.predict_classes(model, X), n_classes)
        result["confusion_matrix"] = cm
    if as_json:
        echo_json(result)
        return
    arch = " → ".join(type(layer).__name__ for layer in model.layers)
    click.echo(f"Model {model_path}: {arch} ({model.n_parameters()} parameters)")
    click.echo(f"Evaluated on {source}:")
    _echo_metrics("", metrics)
    if "confusion_matrix" in result:
        click.echo("\nConfusion matrix (rows: true class, columns: predicted):")
        click.echo(_format_confusion(result["confusion_matrix"]))
