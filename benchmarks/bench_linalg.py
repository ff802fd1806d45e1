"""lacv.linalg against NumPy and SciPy: the price of the diagnostics.

lacv's solvers call the same LAPACK routines and add a rank / condition
check; this measures that overhead side by side, one BLAS thread, medians.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg

from benchmarks._common import markdown_table, pinned_threads, save_results, time_call
from lacv import linalg


def main(quick: bool = False) -> None:
    rng = np.random.default_rng(0)
    repeats = 3 if quick else 7
    rows, results = [], []
    cases = [
        ("lstsq 1000×10", rng.normal(size=(1000, 10)), rng.normal(size=1000)),
        ("lstsq 200×200", rng.normal(size=(200, 200)), rng.normal(size=200)),
        ("lstsq 20000×3", rng.normal(size=(20000, 3)), rng.normal(size=20000)),
    ]
    with pinned_threads(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, A, b in cases:
            t_np = time_call(lambda A=A, b=b: np.linalg.lstsq(A, b, rcond=None), repeats=repeats)
            t_sp = time_call(lambda A=A, b=b: scipy.linalg.lstsq(A, b), repeats=repeats)
            times = {}
            for method in ("svd", "qr", "normal"):
                times[method] = time_call(
                    lambda A=A, b=b, m=method: linalg.solve_least_squares(A, b, method=m),
                    repeats=repeats)
            err = np.abs(linalg.solve_least_squares(A, b).x
                         - np.linalg.lstsq(A, b, rcond=None)[0]).max()
            rows.append([name, t_np * 1e3, t_sp * 1e3, times["svd"] * 1e3, times["qr"] * 1e3,
                         times["normal"] * 1e3, times["svd"] / t_np, times["qr"] / t_np, err])
            results.append({"case": name, "numpy_ms": t_np * 1e3, "scipy_ms": t_sp * 1e3,
                            **{f"lacv_{k}_ms": v * 1e3 for k, v in times.items()},
                            "max_abs_diff": err})

        # Ax = 0 for a batch of DLT-sized systems (8×9, as in a homography minimal sample).
        stack = rng.normal(size=(2000, 8, 9))
        t_np_h = time_call(lambda: np.linalg.svd(stack)[2][:, -1], repeats=repeats)
        t_lacv_h = time_call(lambda: linalg.solve_homogeneous(stack), repeats=repeats)
        rows.append(["Ax = 0, 2000 × (8×9)", t_np_h * 1e3, float("nan"), t_lacv_h * 1e3,
                     float("nan"), float("nan"), t_lacv_h / t_np_h, float("nan"), 0.0])
        results.append({"case": "homogeneous 2000x8x9", "numpy_svd_ms": t_np_h * 1e3,
                        "lacv_ms": t_lacv_h * 1e3})

    print(markdown_table(
        ["problem", "numpy lstsq ms", "scipy lstsq ms", "lacv svd ms", "lacv qr ms",
         "lacv normal ms", "svd / numpy", "qr / numpy", "max |Δx| vs numpy"], rows))
    print("\nlacv's svd and qr carry the rank and condition-number diagnostics; "
          "numpy's lstsq (gelsd) returns the rank only.")
    save_results("linalg", results)
