"""lacv.nn against plain NumPy, PyTorch (hand-written and autograd) and scikit-learn.

1. The lecture's training loop (N=64, D_in=1000, H=100, D_out=10, sigmoid
   hidden layer, sum-of-squares loss, plain gradient descent, lr 1e-4) built
   from lacv.nn layers, against the plain NumPy loop of the notes and PyTorch
   CPU with hand-written gradients and with autograd + ``torch.optim.SGD``, in
   float32 and float64, all with the same thread count. lacv's losses must
   equal the NumPy loop's to 1e-9 relative over 2000 iterations (float64).
   The machine's large-matrix-product rate is measured in the same run: one
   iteration is 25.98 MFLOP of matrix products.
2. Digits (80/20 split, random_state 0): ``lacv train``'s defaults against
   scikit-learn's ``MLPClassifier(hidden_layer_sizes=(100,), random_state=0)``
   and a PyTorch 64-100-10 MLP trained with the same hyper-parameters as lacv
   (AdamW, cosine schedule, same epochs and batch size), all on the same
   standardised inputs. Times are training only (no imports, no data loading).
"""

from __future__ import annotations

import os
import time
import warnings
from typing import Any

import numpy as np

from benchmarks._common import markdown_table, pinned_threads, save_results

N, D_IN, H, D_OUT = 64, 1000, 100, 10
LR = 1e-4
#: matrix-product FLOPs of one iteration: x@w1, h@w2, h.T@g, g@w2.T, x.T@(...)
FLOP_PER_ITER = 2 * (2 * N * D_IN * H) + 3 * (2 * N * H * D_OUT)


# --------------------------------------------------------------------------- loop 1
def _numpy_loop(x, y, w1, w2):
    w1, w2 = w1.copy(), w2.copy()

    def step() -> float:
        nonlocal w1, w2
        with np.errstate(over="ignore"):  # the notes' sigmoid overflows in float32
            h = 1 / (1 + np.exp(-x.dot(w1)))
        y_pred = h.dot(w2)
        loss = np.square(y_pred - y).sum()
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h.T.dot(grad_y_pred)
        grad_h = grad_y_pred.dot(w2.T)
        grad_w1 = x.T.dot(grad_h * h * (1 - h))
        w1 -= LR * grad_w1
        w2 -= LR * grad_w2
        return float(loss)

    return step


def _lacv_loop(x, y, w1, w2):
    from lacv import nn

    net = nn.Sequential(nn.Linear.from_weights(w1.T), nn.Sigmoid(), nn.Linear.from_weights(w2.T))
    loss = nn.L2Loss()
    opt = nn.SGD(net.parameters(), lr=LR)

    def step() -> float:
        opt.zero_grad()
        value, grad = loss(net.forward(x), y)
        net.backward_params(grad)
        opt.step()
        return value

    return step


def _torch_hand_loop(torch, x, y, w1, w2):
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    w1, w2 = torch.from_numpy(w1.copy()), torch.from_numpy(w2.copy())

    def step() -> float:
        h = 1 / (1 + torch.exp(-x.mm(w1)))
        y_pred = h.mm(w2)
        loss = (y_pred - y).pow(2).sum()
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h.t().mm(grad_y_pred)
        grad_h = grad_y_pred.mm(w2.t())
        grad_w1 = x.t().mm(grad_h * h * (1 - h))
        w1.sub_(LR * grad_w1)
        w2.sub_(LR * grad_w2)
        return loss.item()

    return step


def _torch_autograd_loop(torch, x, y, w1, w2):
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    w1 = torch.from_numpy(w1.copy()).requires_grad_()
    w2 = torch.from_numpy(w2.copy()).requires_grad_()
    opt = torch.optim.SGD([w1, w2], lr=LR)

    def step() -> float:
        opt.zero_grad()
        y_pred = torch.sigmoid(x.mm(w1)).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def _interleaved_seconds(steps: dict[str, Any], quick: bool) -> dict[str, float]:
    """Median seconds per iteration of each step function, timed in alternating blocks.

    Round-robin blocks put every implementation under the same machine load
    (this matters on a shared machine), and the median discards the outliers.
    """
    block = 20 if quick else 50
    repeats = 5 if quick else 11
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for step in steps.values():
        for _ in range(block):
            step()  # warm-up
    for _ in range(repeats):
        for name, step in steps.items():
            t0 = time.perf_counter()
            for _ in range(block):
                step()
            samples[name].append((time.perf_counter() - t0) / block)
    return {name: float(np.median(v)) for name, v in samples.items()}


def _gemm_rate(dtype: Any, n: int, repeats: int) -> float:
    """The machine's matrix-product rate: the best of ``repeats`` n×n products (FLOP/s)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n**3 / best


def _max_rel(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.abs(b)))


def bench_loop(quick: bool, threads: int) -> dict[str, Any]:
    from lacv import nn

    try:
        import torch
    except ImportError:  # pragma: no cover - the peers are installed by `make bench`
        torch = None
    iterations = 300 if quick else 2000
    results: dict[str, Any] = {"threads": threads, "iterations": iterations, "rows": []}
    with pinned_threads(threads):
        rate = {np.dtype(dt).name: _gemm_rate(dt, 2000, 3 if quick else 7)
                for dt in (np.float64, np.float32)}
        results["gemm_gflops"] = {k: v / 1e9 for k, v in rate.items()}
        for dt in (np.float64, np.float32):
            name = np.dtype(dt).name
            p = nn.lecture_regression(rng=0, dtype=dt)
            args = (p.x, p.y, p.w1, p.w2)
            # correctness: the whole run, lacv against the notes' loop
            ref_step, lacv_step = _numpy_loop(*args), _lacv_loop(*args)
            ref = [ref_step() for _ in range(iterations)]
            ours = [lacv_step() for _ in range(iterations)]
            results[f"max_rel_loss_diff_{name}"] = _max_rel(ours, ref)
            results[f"loss_first_last_{name}"] = [ref[0], ref[-1]]
            impls = [("NumPy loop of the notes", _numpy_loop(*args)),
                     ("lacv.nn layers + SGD", _lacv_loop(*args))]
            if torch is not None:
                impls += [("PyTorch hand-written", _torch_hand_loop(torch, *args)),
                          ("PyTorch autograd + optim.SGD", _torch_autograd_loop(torch, *args))]
                th = _torch_hand_loop(torch, *args)
                results[f"torch_hand_max_rel_loss_diff_{name}"] = _max_rel(
                    [th() for _ in range(iterations)], ref)
            timings = _interleaved_seconds(dict(impls), quick)
            for label, _ in impls:
                t = timings[label]
                results["rows"].append({"impl": label, "dtype": name, "us_per_iter": t * 1e6,
                                        "gflops": FLOP_PER_ITER / t / 1e9,
                                        "fraction_of_gemm": FLOP_PER_ITER / t / rate[name]})
    return results


def _print_loop(res: dict[str, Any]) -> None:
    threads = res["threads"]
    print(f"\n## 1. The lecture's loop ({N}×{D_IN} → {H} → {D_OUT}, sigmoid, sum of squares, "
          f"lr {LR:g}), {threads} thread{'s' if threads > 1 else ''}\n")
    g = res["gemm_gflops"]
    print(f"Large matrix product: float64 {g['float64']:.1f} GFLOP/s, float32 "
          f"{g['float32']:.1f} GFLOP/s; one iteration = {FLOP_PER_ITER / 1e6:.2f} MFLOP.\n")
    hand = {r["dtype"]: r["us_per_iter"] for r in res["rows"]
            if r["impl"] == "PyTorch hand-written"}
    rows = []
    for r in res["rows"]:
        ratio = r["us_per_iter"] / hand[r["dtype"]] if r["dtype"] in hand else float("nan")
        rows.append([r["impl"], r["dtype"], r["us_per_iter"], ratio, r["gflops"],
                     f"{100 * r['fraction_of_gemm']:.0f} %"])
    print(markdown_table(["implementation", "dtype", "µs / iteration", "× PyTorch hand-written",
                          "GFLOP/s", "of large-GEMM rate"], rows))
    print(f"\nlacv's losses vs the NumPy loop over {res['iterations']} iterations: max relative "
          f"difference {res['max_rel_loss_diff_float64']:.1e} (float64; target ≤ 1e-9), "
          f"{res['max_rel_loss_diff_float32']:.1e} (float32). Loss "
          f"{res['loss_first_last_float64'][0]:.4g} → {res['loss_first_last_float64'][1]:.4g}.")


# --------------------------------------------------------------------------- digits
def bench_digits(quick: bool) -> dict[str, Any]:
    from lacv import nn
    from lacv.cli.train import DEFAULTS, _hidden_sizes, train_run

    d = DEFAULTS["digits"]
    data = nn.load_digits()
    # every peer sees what lacv's model sees after its Standardize layer
    mean, scale = nn.standardization(data.X_train, per_feature=False)
    Xtr, Xte = (data.X_train - mean) / scale, (data.X_test - mean) / scale
    seeds = [0] if quick else [0, 1, 2, 3, 4]
    out: dict[str, Any] = {"defaults": d, "rows": []}

    def add(impl: str, seed: int, seconds: float, acc: float) -> None:
        out["rows"].append({"impl": impl, "seed": seed, "seconds": seconds, "accuracy": acc})

    with pinned_threads(1):
        for dtype in ("float64", "float32"):
            for seed in seeds:
                r = train_run(dataset="digits", hidden=_hidden_sizes(d["hidden"]),
                              activation=d["activation"], loss_name=d["loss"],
                              optimizer=d["optimizer"], epochs=d["epochs"], lr=d["lr"],
                              batch_size=d["batch_size"], momentum=0.0,
                              weight_decay=d["weight_decay"], schedule=d["schedule"],
                              dropout=d["dropout"], patience=None, dtype=dtype, seed=seed,
                              progress=False)
                # the fit() time includes per-epoch test-set evaluation (the learning curve)
                acc = nn.evaluate(r["model"], r["loss"], data.X_test, data.y_test).accuracy
                add(f"lacv train (defaults, {dtype})", seed, r["history"].seconds, acc)
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        for seed in seeds:
            clf = MLPClassifier(hidden_layer_sizes=(100,), random_state=seed)
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(Xtr, data.y_train)
            add("scikit-learn MLPClassifier((100,))", seed, time.perf_counter() - t0,
                float(clf.score(Xte, data.y_test)))
        try:
            import torch
        except ImportError:  # pragma: no cover
            torch = None
        if torch is not None:
            for seed in seeds:
                secs, acc = _torch_digits(torch, Xtr, data.y_train, Xte, data.y_test, d, seed)
                add("PyTorch 64-100-10 MLP (same hyper-parameters, float32)", seed, secs, acc)
    return out


def _torch_digits(torch, Xtr, ytr, Xte, yte, d, seed) -> tuple[float, float]:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, 100), torch.nn.ReLU(),
                                torch.nn.Linear(100, 10))
    opt = torch.optim.AdamW(model.parameters(), lr=d["lr"], weight_decay=d["weight_decay"])
    epochs, bs = d["epochs"], d["batch_size"]
    sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
             if d["schedule"] == "cosine" else None)
    X = torch.tensor(Xtr, dtype=torch.float32)
    y = torch.tensor(ytr)
    gen = torch.Generator().manual_seed(seed)
    lossf = torch.nn.CrossEntropyLoss()
    t0 = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=gen)
        for start in range(0, len(X), bs):
            idx = order[start:start + bs]
            opt.zero_grad()
            loss = lossf(model(X[idx]), y[idx])
            loss.backward()
            opt.step()
        if sched is not None:
            sched.step()
    secs = time.perf_counter() - t0
    with torch.no_grad():
        pred = model(torch.tensor(Xte, dtype=torch.float32)).argmax(1).numpy()
    return secs, float(np.mean(pred == yte))


def _print_digits(res: dict[str, Any]) -> None:
    d = res["defaults"]
    extras = []
    if d["weight_decay"]:
        extras.append(f"decoupled weight decay {d['weight_decay']:g}")
    if d["schedule"] != "none":
        extras.append(f"{d['schedule']} learning-rate schedule")
    print(f"\n## 2. Digits (80/20 split, random_state 0), 1 thread\n\nlacv train defaults: "
          f"64-{d['hidden']}-10 {d['activation']}, {d['optimizer']} lr {d['lr']:g}, "
          f"{d['epochs']} epochs of batch {d['batch_size']}"
          + "".join(f", {e}" for e in extras) + ". Inputs: each pixel centred, one global "
          "scale, for every implementation. lacv's time includes evaluating the test set "
          "after every epoch (its learning curve).\n")
    impls: dict[str, list[dict[str, Any]]] = {}
    for r in res["rows"]:
        impls.setdefault(r["impl"], []).append(r)
    lacv_t = np.median([r["seconds"] for r in impls["lacv train (defaults, float64)"]])
    rows = []
    for impl, rs in impls.items():
        seed0 = next(r for r in rs if r["seed"] == 0)
        secs = float(np.median([r["seconds"] for r in rs]))
        accs = [r["accuracy"] for r in rs]
        rows.append([impl, f"{100 * seed0['accuracy']:.2f} %",
                     f"{100 * np.mean(accs):.2f} % ({100 * min(accs):.1f}–{100 * max(accs):.1f})",
                     secs, secs / lacv_t])
    print(markdown_table(["implementation", "test accuracy, seed 0",
                          f"mean (min–max) over {len(rs)} seeds", "train s (median)",
                          "× lacv time"], rows))


def main(quick: bool) -> None:
    # thread counts for the loop benchmark: 1 by default (comparable on a shared machine);
    # e.g. LACV_BENCH_THREADS=1,8 adds an 8-thread table
    counts = [int(v) for v in os.environ.get("LACV_BENCH_THREADS", "1").split(",") if v]
    results: dict[str, Any] = {}
    for threads in counts:
        results[f"loop_{threads}_thread"] = bench_loop(quick, threads)
        _print_loop(results[f"loop_{threads}_thread"])
    results["digits"] = bench_digits(quick)
    _print_digits(results["digits"])
    path = save_results("nn", results)
    print(f"\nResults saved to {path}")
