"""lacv.geometry against OpenCV, scikit-image and Kornia: transform estimation, side by side.

The protocol of issue 3, in one run, one thread for everyone (``pinned_threads(1)``):

1. Synthetic homographies (and affine maps, and similarities for
   ``estimateAffinePartial2D``): a 640×480 image; corners displaced by
   U(−80, 80) px (affine: rotation ±30°, scale 0.8–1.2, shear ±0.1); source
   points uniform; inliers ``T(src) + N(0, 1 px)``; outliers uniform and at
   least 10 px from ``T(src)``; threshold 3 px; N ∈ {100, 1000, 10000};
   outlier ratio ∈ {0, 0.3, 0.5, 0.8}; accuracy and time over 30 scenes per
   cell (3 with ``--quick``). Accuracy: mean over the four image corners of
   ``|T_est(c) − T_true(c)|``; failures (> 10 px, or no model); inlier recall
   and precision. Time: median of repeated calls per scene — the fast
   methods timed in interleaved blocks, so a change of machine load hits
   them alike — then the median over scenes. Times are CPU time of the
   calling thread (``benchmarks._common.thread_clock``): every method runs
   single-threaded in it, so descheduling by other processes on the shared
   machine does not count.
2. All-points DLT without outliers (N = 1000, 10000) against
   ``findHomography(method=0)``.
3. The 16 real pairs of ``../shared/data/homography``: estimate on the
   ``label == 0`` rows, mean transfer error on the ``label == 1`` rows,
   averaged over 5 seeds per method (2 with ``--quick``).
4. Ranked matches (PROSAC): the synthetic homography protocol at N = 1000
   with 50 % and 80 % outliers, each correspondence carrying a quality score
   drawn from N(1, 1) for inliers and N(0, 1) for outliers (a moderately
   informative ranking, like a descriptor ratio's): lacv's ``ransac(...,
   scores=...)`` against ``findHomography(USAC_PROSAC)`` on the points sorted
   by that score, and both against their uniform searches.

Every peer gets the same threshold (3 px), confidence (0.999) and sample
budget (10 000) where it takes them. scikit-image is capped at 2 000 trials
and, like Kornia, timed by single calls on 3 scenes per cell (it is slow).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import (
    markdown_table,
    pinned_threads,
    ranked_scores,
    save_results,
    thread_clock,
    time_call,
)
from lacv.geometry import Affine, Homography, Similarity, ransac
from lacv.geometry.synthetic import SyntheticScene, make_correspondences

THRESHOLD = 3.0
CONFIDENCE = 0.999
MAX_TRIALS = 10000
FAIL_PX = 10.0
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "homography"

# a method: (name, fit(src, dst, seed) -> (3x3 matrix or None, mask or None), slow?)
Method = tuple[str, Callable[[np.ndarray, np.ndarray, int], tuple[Any, Any]], bool]


# --------------------------------------------------------------------------- the methods


def _lacv(cls: type) -> Callable[[np.ndarray, np.ndarray, int], tuple[Any, Any]]:
    def fit(src: np.ndarray, dst: np.ndarray, seed: int) -> tuple[Any, Any]:
        res = ransac(src, dst, cls, threshold_px=THRESHOLD, confidence=CONFIDENCE,
                     max_trials=MAX_TRIALS, rng=seed)
        return np.asarray(res.model.matrix), res.inliers
    return fit


def _cv2_homography(method: int) -> Callable[[np.ndarray, np.ndarray, int], tuple[Any, Any]]:
    import cv2

    def fit(src: np.ndarray, dst: np.ndarray, seed: int) -> tuple[Any, Any]:
        H, mask = cv2.findHomography(src, dst, method, THRESHOLD, maxIters=MAX_TRIALS,
                                     confidence=CONFIDENCE)
        return H, (None if mask is None else mask.ravel().astype(bool))
    return fit


def _cv2_affine(method: int, partial: bool) -> Callable[[np.ndarray, np.ndarray, int],
                                                         tuple[Any, Any]]:
    import cv2

    fn = cv2.estimateAffinePartial2D if partial else cv2.estimateAffine2D

    def fit(src: np.ndarray, dst: np.ndarray, seed: int) -> tuple[Any, Any]:
        A, mask = fn(src, dst, method=method, ransacReprojThreshold=THRESHOLD,
                     maxIters=MAX_TRIALS, confidence=CONFIDENCE)
        if A is None:
            return None, None
        return np.vstack([A, [0.0, 0.0, 1.0]]), mask.ravel().astype(bool)
    return fit


def _skimage(kind: str) -> Callable[[np.ndarray, np.ndarray, int], tuple[Any, Any]]:
    from skimage.measure import ransac as sk_ransac
    from skimage.transform import AffineTransform, ProjectiveTransform, SimilarityTransform

    model_class = {"homography": ProjectiveTransform, "affine": AffineTransform,
                   "similarity": SimilarityTransform}[kind]
    min_samples = {"homography": 4, "affine": 3, "similarity": 2}[kind]

    def fit(src: np.ndarray, dst: np.ndarray, seed: int) -> tuple[Any, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model, inl = sk_ransac((src, dst), model_class, min_samples=min_samples,
                                   residual_threshold=THRESHOLD, max_trials=2000,
                                   stop_probability=CONFIDENCE, rng=seed)
        if model is None or inl is None:
            return None, None
        return np.asarray(model.params), np.asarray(inl, bool)
    return fit


def _kornia(kind: str) -> Callable[[np.ndarray, np.ndarray, int], tuple[Any, Any]] | None:
    try:
        import torch
        from kornia.geometry.ransac import RANSAC
    except ImportError:
        return None

    def fit(src: np.ndarray, dst: np.ndarray, seed: int) -> tuple[Any, Any]:
        est = RANSAC(kind, inl_th=THRESHOLD, confidence=CONFIDENCE, seed=seed)
        with torch.no_grad():
            H, mask = est(torch.from_numpy(src), torch.from_numpy(dst))
        H = H.numpy()
        if not np.any(H):
            return None, None
        return H, mask.numpy().astype(bool)
    return fit


def homography_methods(full: bool = True) -> list[Method]:
    import cv2

    methods: list[Method] = [
        ("lacv", _lacv(Homography), False),
        ("cv2 USAC_MAGSAC", _cv2_homography(cv2.USAC_MAGSAC), False),
        ("cv2 RANSAC", _cv2_homography(cv2.RANSAC), False),
        ("cv2 RHO", _cv2_homography(cv2.RHO), False),
        ("cv2 method 0", _cv2_homography(0), False),
    ]
    if full:
        methods.append(("skimage", _skimage("homography"), True))
        k = _kornia("homography")
        if k is not None:
            methods.append(("kornia", k, True))
    return methods


def affine_methods() -> list[Method]:
    import cv2

    methods: list[Method] = [
        ("lacv", _lacv(Affine), False),
        ("cv2 USAC_MAGSAC", _cv2_affine(cv2.USAC_MAGSAC, False), False),
        ("cv2 RANSAC", _cv2_affine(cv2.RANSAC, False), False),
        ("skimage", _skimage("affine"), True),
    ]
    k = _kornia("affine")
    if k is not None:
        methods.append(("kornia", k, True))
    return methods


def similarity_methods() -> list[Method]:
    import cv2

    # estimateAffinePartial2D accepts RANSAC and LMEDS only (no USAC in OpenCV 5.0)
    return [
        ("lacv", _lacv(Similarity), False),
        ("cv2 partial RANSAC", _cv2_affine(cv2.RANSAC, True), False),
        ("cv2 partial LMEDS", _cv2_affine(cv2.LMEDS, True), False),
        ("skimage", _skimage("similarity"), True),
    ]


# --------------------------------------------------------------------------- measuring


def _corner_error(scene: SyntheticScene, M: Any) -> float:
    if M is None or not np.all(np.isfinite(M)):
        return float("inf")
    c = np.c_[scene.corners, np.ones(4)] @ np.asarray(M, float).T
    if np.any(c[:, 2] == 0):
        return float("inf")
    est = c[:, :2] / c[:, 2:]
    return float(np.mean(np.linalg.norm(est - scene.model(scene.corners), axis=1)))


def _inputs(method: Method, scene: SyntheticScene) -> tuple[np.ndarray, np.ndarray]:
    # OpenCV converts to float32 anyway: everyone gets the same float32-representable values
    src, dst = scene.src.astype(np.float32), scene.dst.astype(np.float32)
    if not method[0].startswith("cv2"):
        src, dst = src.astype(np.float64), dst.astype(np.float64)
    return src, dst


def _measure(method: Method, scene: SyntheticScene, seed: int, repeats: int,
             timed: bool = True) -> dict[str, Any]:
    """Accuracy of one method on one scene; time by a single call for a slow method, or
    by :func:`time_call` when ``timed`` (fast methods are timed together by
    :func:`_interleaved_times` in :func:`synthetic_block`)."""
    name, fit, slow = method
    src, dst = _inputs(method, scene)
    M, mask = fit(src, dst, seed)
    if not timed:
        t = float("nan")
    elif slow:
        t0 = thread_clock()
        fit(src, dst, seed)
        t = thread_clock() - t0
    else:
        t = time_call(lambda: fit(src, dst, seed), repeats=repeats, min_time=0.02,
                      clock=thread_clock)
    err = _corner_error(scene, M)
    out = {"error_px": err, "time_s": t, "recall": np.nan, "precision": np.nan}
    if mask is not None and mask.size == scene.is_inlier.size:
        tp = np.count_nonzero(mask & scene.is_inlier)
        out["recall"] = tp / max(np.count_nonzero(scene.is_inlier), 1)
        out["precision"] = tp / max(np.count_nonzero(mask), 1)
    return out


def _interleaved_times(calls: dict[str, Callable[[], Any]], repeats: int,
                       min_time: float = 0.02) -> dict[str, float]:
    """Median seconds per call of each function, timed in interleaved blocks.

    Each repeat times one block (enough loops to last ``min_time``) of every
    function in turn, so a change of machine load during the measurement
    hits all of them alike instead of whichever happened to run then (the
    machine is shared: sequential timing moved the lacv / OpenCV ratios by
    up to 40 % between runs).
    """
    loops = {}
    for name, fn in calls.items():
        fn()
        t0 = thread_clock()
        fn()
        loops[name] = max(1, int(min_time / max(thread_clock() - t0, 1e-7)))
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, fn in calls.items():
            t0 = thread_clock()
            for _ in range(loops[name]):
                fn()
            samples[name].append((thread_clock() - t0) / loops[name])
    return {name: float(np.median(v)) for name, v in samples.items()}


def _summarise(per_scene: list[dict[str, Any]]) -> dict[str, Any]:
    err = np.array([r["error_px"] for r in per_scene])
    return {
        "median_error_px": float(np.median(err)),
        "failures": int(np.count_nonzero(~(err <= FAIL_PX))),
        "recall": float(np.nanmean([r["recall"] for r in per_scene])),
        "precision": float(np.nanmean([r["precision"] for r in per_scene])),
        "median_time_ms": float(np.nanmedian([r["time_s"] for r in per_scene]) * 1e3),
        "scenes": len(per_scene),
        "timed_scenes": int(np.count_nonzero(np.isfinite([r["time_s"] for r in per_scene]))),
    }


def synthetic_block(kind: str, methods: list[Method], sizes: list[int], ratios: list[float],
                    n_scenes: int, n_slow: int, repeats: int, slow_max_n: int,
                    reference: str, n_timed: int) -> list[dict[str, Any]]:
    """Accuracy on ``n_scenes`` scenes per cell, time on the first ``n_timed`` of them."""
    cells = []
    for n in sizes:
        for ratio in ratios:
            scenes = [make_correspondences(kind, n, ratio, rng=1000 * n + int(100 * ratio) + i)
                      for i in range(n_scenes)]
            row: dict[str, Any] = {"kind": kind, "n": n, "outlier_ratio": ratio, "methods": {}}
            use = [m for m in methods if not (m[2] and n > slow_max_n)]
            per: dict[str, list[dict[str, Any]]] = {m[0]: [] for m in use}
            for i, sc in enumerate(scenes):
                fast: dict[str, Callable[[], Any]] = {}
                for method in use:
                    name, fit, slow = method
                    if slow and i >= n_slow:
                        continue
                    per[name].append(_measure(method, sc, i, repeats, timed=slow))
                    if not slow and i < n_timed:
                        src, dst = _inputs(method, sc)
                        fast[name] = (lambda fit=fit, s=src, d=dst, i=i: fit(s, d, i))
                # the fast methods' times on this scene, interleaved block by block
                for name, t in _interleaved_times(fast, repeats).items():
                    per[name][-1]["time_s"] = t
            for name, results in per.items():
                row["methods"][name] = _summarise(results)
            ref = row["methods"][reference]
            for s in row["methods"].values():
                s["time_ratio_vs_ref"] = s["median_time_ms"] / ref["median_time_ms"]
            cells.append(row)
            lv = row["methods"]["lacv"]
            print(f"  {kind} N={n} outliers={ratio:.0%}: lacv {lv['median_error_px']:.3f} px "
                  f"{lv['median_time_ms']:.2f} ms; {reference} {ref['median_error_px']:.3f} px "
                  f"{ref['median_time_ms']:.2f} ms", flush=True)
    return cells


def dlt_block(n_scenes: int, repeats: int) -> list[dict[str, Any]]:
    import cv2

    rows = []
    for n in (1000, 10000):
        scenes = [make_correspondences("homography", n, 0.0, rng=77 + i) for i in range(n_scenes)]
        fits: dict[str, Callable[[np.ndarray, np.ndarray], Any]] = {
            "lacv DLT": lambda s, d: Homography.from_points(s, d).matrix,
            "lacv DLT + LM": lambda s, d: Homography.from_points(s, d, refine=True).matrix,
            "cv2 method 0": lambda s, d: cv2.findHomography(s, d, 0)[0],
        }
        row: dict[str, Any] = {"n": n, "methods": {}}
        for name, fit in fits.items():
            errs, times = [], []
            for sc in scenes:
                s32, d32 = sc.src.astype(np.float32), sc.dst.astype(np.float32)
                errs.append(_corner_error(sc, fit(s32, d32)))
                times.append(time_call(lambda fit=fit, s=s32, d=d32: fit(s, d), repeats=repeats,
                                       min_time=0.02, clock=thread_clock))
            row["methods"][name] = {"median_error_px": float(np.median(errs)),
                                    "median_time_ms": float(np.median(times) * 1e3)}
        ref = row["methods"]["cv2 method 0"]["median_time_ms"]
        for s in row["methods"].values():
            s["time_ratio_vs_ref"] = s["median_time_ms"] / ref
        rows.append(row)
    return rows


def _ranked_calls(scene: SyntheticScene, scores: np.ndarray, seed: int
                  ) -> dict[str, Callable[[], Any]]:
    """The four fits of one ranked-matches scene (OpenCV's PROSAC takes the points sorted)."""
    import functools

    import cv2

    order = np.argsort(-scores, kind="stable")
    lacv_fit = functools.partial(ransac, scene.src, scene.dst, Homography,
                                 threshold_px=THRESHOLD, confidence=CONFIDENCE,
                                 max_trials=MAX_TRIALS, rng=seed)

    def cv_fit(method: int, s: np.ndarray, d: np.ndarray) -> Any:
        return cv2.findHomography(s.astype(np.float32), d.astype(np.float32), method,
                                  THRESHOLD, maxIters=MAX_TRIALS, confidence=CONFIDENCE)[0]

    return {
        "lacv PROSAC (scores)": functools.partial(lacv_fit, scores=scores),
        "lacv uniform": lacv_fit,
        "cv2 USAC_PROSAC": functools.partial(cv_fit, cv2.USAC_PROSAC, scene.src[order],
                                             scene.dst[order]),
        "cv2 USAC_MAGSAC": functools.partial(cv_fit, cv2.USAC_MAGSAC, scene.src, scene.dst),
    }


def ranked_block(n_scenes: int, repeats: int) -> list[dict[str, Any]]:
    """PROSAC: lacv with ``scores`` against OpenCV's USAC_PROSAC on score-sorted points."""
    cells = []
    n = 1000
    for ratio in (0.5, 0.8):
        per: dict[str, list[dict[str, Any]]] = {}
        for i in range(n_scenes):
            sc = make_correspondences("homography", n, ratio, rng=5000 + int(100 * ratio) + i)
            calls = _ranked_calls(sc, ranked_scores(sc.is_inlier, i), i)
            times = _interleaved_times(calls, repeats)
            for name, call in calls.items():
                out = call()
                trials = float("nan")
                if name.startswith("lacv"):
                    trials, out = out.n_trials, out.model.matrix
                per.setdefault(name, []).append({"error_px": _corner_error(sc, out),
                                                 "time_s": times[name], "trials": trials})
        row: dict[str, Any] = {"n": n, "outlier_ratio": ratio, "methods": {}}
        for name, results in per.items():
            err = np.array([r["error_px"] for r in results])
            row["methods"][name] = {
                "median_error_px": float(np.median(err)),
                "failures": int(np.count_nonzero(~(err <= FAIL_PX))),
                "median_time_ms": float(np.median([r["time_s"] for r in results]) * 1e3),
                "median_trials": float(np.median([r["trials"] for r in results])),
            }
        ref = row["methods"]["cv2 USAC_PROSAC"]["median_time_ms"]
        for v in row["methods"].values():
            v["time_ratio_vs_prosac"] = v["median_time_ms"] / ref
        cells.append(row)
        lv = row["methods"]["lacv PROSAC (scores)"]
        print(f"  ranked N={n} outliers={ratio:.0%}: lacv {lv['median_error_px']:.3f} px "
              f"{lv['median_time_ms']:.2f} ms {lv['median_trials']:.0f} samples; USAC_PROSAC "
              f"{row['methods']['cv2 USAC_PROSAC']['median_error_px']:.3f} px {ref:.2f} ms",
              flush=True)
    return cells


def real_block(methods: list[Method], seeds: int) -> dict[str, Any]:
    """Mean validation error per pair and method, averaged over ``seeds`` random seeds.

    A single draw is a lottery on the small pairs (47 matches, 20 inliers): every
    method runs with seeds 0 … seeds−1 (``cv2.setRNGSeed`` for OpenCV) and the
    mean over seeds is reported.
    """
    import cv2

    names = sorted(p.name[: -len("_pts.txt")] for p in DATA.glob("*_pts.txt"))
    pairs = {}
    for name in names:
        rows = np.loadtxt(DATA / f"{name}_pts.txt")
        fit_rows, val = rows[rows[:, 6] == 0], rows[rows[:, 6] == 1]
        src, dst = fit_rows[:, 0:2], fit_rows[:, 3:5]
        out = {}
        for mname, fit, _slow in methods:
            s, d = src.astype(np.float32), dst.astype(np.float32)
            if not mname.startswith("cv2"):
                s, d = s.astype(np.float64), d.astype(np.float64)
            errs, times = [], []
            for seed in range(seeds):
                cv2.setRNGSeed(seed)
                t0 = thread_clock()
                M, _ = fit(s, d, seed)
                times.append(thread_clock() - t0)
                if M is None:
                    errs.append(float("inf"))
                    continue
                p = np.c_[val[:, 0:2], np.ones(len(val))] @ np.asarray(M, float).T
                errs.append(float(np.mean(np.linalg.norm(p[:, :2] / p[:, 2:] - val[:, 3:5],
                                                         axis=1))))
            out[mname] = {"mean_error_px": float(np.mean(errs)),
                          "per_seed_px": errs, "median_time_ms": float(np.median(times) * 1e3)}
        pairs[name] = out
    return pairs


# --------------------------------------------------------------------------- report


def _cell_table(cells: list[dict[str, Any]], reference: str) -> str:
    rows = []
    for c in cells:
        for name, s in c["methods"].items():
            rows.append([c["n"], f"{c['outlier_ratio']:.0%}", name, s["median_error_px"],
                         s["failures"], s["recall"], s["precision"], s["median_time_ms"],
                         s["time_ratio_vs_ref"]])
    return markdown_table(["N", "outliers", "method", "median corner err px", "failures",
                           "recall", "precision", "median ms", f"time / {reference}"], rows)


def _targets(cells: list[dict[str, Any]], reference: str) -> tuple[str, list[dict[str, Any]]]:
    rows, checks = [], []
    for c in cells:
        lv, ref = c["methods"]["lacv"], c["methods"][reference]
        acc_ratio = lv["median_error_px"] / ref["median_error_px"]
        acc_ok = acc_ratio <= 1.05 and not (ref["failures"] == 0 and lv["failures"] > 0)
        speed_need = None
        if c["outlier_ratio"] <= 0.5:
            speed_need = {10000: 1.0, 1000: 1.5}.get(c["n"])
        speed_ok = None if speed_need is None else lv["time_ratio_vs_ref"] <= speed_need
        sk = c["methods"].get("skimage")
        sk_ratio = None if sk is None else sk["median_time_ms"] / lv["median_time_ms"]
        checks.append({"n": c["n"], "outlier_ratio": c["outlier_ratio"],
                       "accuracy_ratio": acc_ratio, "accuracy_ok": acc_ok,
                       "time_ratio": lv["time_ratio_vs_ref"], "time_target": speed_need,
                       "time_ok": speed_ok, "skimage_speedup": sk_ratio,
                       "skimage_ok": None if sk_ratio is None else sk_ratio >= 20})
        rows.append([c["n"], f"{c['outlier_ratio']:.0%}", acc_ratio,
                     "met" if acc_ok else "MISSED",
                     lv["time_ratio_vs_ref"],
                     "—" if speed_need is None else (f"≤ {speed_need}: met" if speed_ok
                                                    else f"≤ {speed_need}: MISSED"),
                     "—" if sk_ratio is None else sk_ratio,
                     "—" if sk_ratio is None else ("met" if sk_ratio >= 20 else "MISSED")])
    table = markdown_table(["N", "outliers", f"err lacv / {reference}", "accuracy target",
                            f"time lacv / {reference}", "speed target", "skimage / lacv time",
                            "≥ 20×"], rows)
    return table, checks


def main(quick: bool = False) -> None:
    # accuracy on 30 scenes: at 10 the median corner error of two ML-grade estimators
    # differs by up to ±10 % from scene sampling alone; time on all 30 too: on the first 10
    # only, the N = 1000 time ratios moved by ±20 % between runs of the same code
    n_scenes = 3 if quick else 30
    n_timed = n_scenes
    n_slow = 2 if quick else 3
    repeats = 3 if quick else 5
    sizes = [100, 1000, 10000]
    ratios = [0.0, 0.3, 0.5, 0.8]
    results: dict[str, Any] = {"protocol": {"threshold_px": THRESHOLD, "confidence": CONFIDENCE,
                                            "max_trials": MAX_TRIALS, "scenes": n_scenes,
                                            "timed_scenes": n_timed,
                                            "slow_scenes": n_slow}}
    with pinned_threads(1):
        print("## Homography, synthetic", flush=True)
        h = synthetic_block("homography", homography_methods(), sizes, ratios, n_scenes, n_slow,
                            repeats, 1000 if quick else 10000, "cv2 USAC_MAGSAC", n_timed)
        print("## Affine, synthetic", flush=True)
        a = synthetic_block("affine", affine_methods(), sizes, ratios, n_scenes, n_slow, repeats,
                            1000 if quick else 10000, "cv2 USAC_MAGSAC", n_timed)
        print("## Similarity, synthetic (estimateAffinePartial2D)", flush=True)
        s = synthetic_block("similarity", similarity_methods(), [1000, 10000], [0.0, 0.5],
                            n_scenes, n_slow, repeats, 1000, "cv2 partial RANSAC", n_timed)
        print("## All-points DLT", flush=True)
        dlt = dlt_block(n_timed, repeats)
        print("## Ranked matches (PROSAC)", flush=True)
        ranked = ranked_block(n_scenes, repeats)
        real = real_block(homography_methods(), 2 if quick else 5) if DATA.exists() else {}
    results.update(homography=h, affine=a, similarity=s, dlt=dlt, ranked=ranked, real=real)

    print("\n### Homography: accuracy and time (synthetic protocol)\n")
    print(_cell_table(h, "USAC_MAGSAC"))
    h_tab, h_checks = _targets(h, "cv2 USAC_MAGSAC")
    print("\n### Homography targets\n")
    print(h_tab)
    print("\n### Affine: accuracy and time\n")
    print(_cell_table(a, "USAC_MAGSAC"))
    a_tab, a_checks = _targets(a, "cv2 USAC_MAGSAC")
    print("\n### Affine targets (against estimateAffine2D USAC_MAGSAC)\n")
    print(a_tab)
    print("\n### Similarity against estimateAffinePartial2D\n")
    print(_cell_table(s, "partial RANSAC"))
    print("\n### All-points DLT, no outliers (target: time ≤ 1.0 × method 0, equal accuracy)\n")
    print(markdown_table(["N", "method", "median corner err px", "median ms", "time / method 0"],
                         [[r["n"], k, v["median_error_px"], v["median_time_ms"],
                           v["time_ratio_vs_ref"]] for r in dlt for k, v in r["methods"].items()]))
    print("\n### Ranked matches: PROSAC (scores N(1, 1) for inliers, N(0, 1) for outliers)\n")
    print(markdown_table(
        ["N", "outliers", "method", "median corner err px", "failures", "median samples",
         "median ms", "time / USAC_PROSAC"],
        [[r["n"], f"{r['outlier_ratio']:.0%}", k, v["median_error_px"], v["failures"],
          "—" if np.isnan(v["median_trials"]) else int(v["median_trials"]), v["median_time_ms"],
          v["time_ratio_vs_prosac"]] for r in ranked for k, v in r["methods"].items()]))
    if real:
        names = list(next(iter(real.values())))
        rows = [[pair] + [real[pair][m]["mean_error_px"] for m in names] for pair in real]
        means = [float(np.mean([real[p][m]["mean_error_px"] for p in real])) for m in names]
        wins = sum(real[p]["lacv"]["mean_error_px"] <= real[p]["cv2 USAC_MAGSAC"]["mean_error_px"]
                   for p in real)
        rows.append(["**mean**"] + means)
        print("\n### Real pairs: mean transfer error on the label-1 points (px), mean over "
              f"{2 if quick else 5} seeds\n")
        print(markdown_table(["pair"] + names, rows))
        print(f"\nlacv ≤ USAC_MAGSAC on {wins} of {len(real)} pairs (target ≥ 12); mean "
              f"{means[0]:.3f} px against {means[1]:.3f} px (target: ≤)")
        results["real_summary"] = {"wins_vs_magsac": int(wins), "pairs": len(real),
                                   "mean_lacv_px": means[0], "mean_magsac_px": means[1]}
    results["targets"] = {"homography": h_checks, "affine": a_checks}
    path = save_results("geometry", results)
    print(f"\nsaved {path}")
