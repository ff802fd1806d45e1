"""Stitching and pairwise registration: lacv against OpenCV, side by side in one run.

1. The built-in rendered panorama (exact ground truth): the error of every
   recovered transform at the image corners (each view mapped into the
   central view ``(n - 1) // 2``, against the exact homography) and the end-to-end time of
   ``lacv.imaging.stitch`` against ``cv2.Stitcher`` in PANORAMA and SCANS
   modes on the same images. OpenCV's transforms come from its cameras:
   ``K_r R_r⁻¹ R_i K_i⁻¹`` (PANORAMA) and ``R_r R_i⁻¹`` (SCANS, affine).
2. The real pairs of ``../shared/data/homography``, from the images: lacv's
   matching and estimation (``register_pair``: SIFT, ratio 0.8, mutual check,
   lacv RANSAC; ASIFT when SIFT's result is weak) against OpenCV's pipeline
   (SIFT, ratio 0.8, ``findHomography(USAC_MAGSAC, 3 px)``), both scored by
   the mean transfer error of the hand-made ``label == 1`` correspondences.

Everything runs with one thread (``pinned_threads(1)``). The panorama timings
are interleaved: each round calls lacv, Stitcher PANORAMA and Stitcher SCANS in
turn, so all three see the same machine load; the table gives the medians and
the median of the per-round ratios.
"""

from __future__ import annotations

import glob
import os
import time
from pathlib import Path

import cv2
import numpy as np

from benchmarks._common import markdown_table, pinned_threads, save_results

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "homography"


def _corner_errors(estimated: dict[int, np.ndarray], scene, reference: int) -> np.ndarray:
    from lacv.imaging.scenes import corner_errors_px

    return np.array([corner_errors_px(estimated[k], scene.relative(k, reference),
                                      scene.images[k].shape)
                     for k in sorted(estimated) if k != reference])


def _lacv_panorama(scene):
    from lacv.imaging.stitch import stitch

    pano = stitch(scene.images)
    ref = (len(scene) - 1) // 2
    to_ref = np.linalg.inv(pano.transforms[ref].matrix)
    est = {k: to_ref @ pano.transforms[k].matrix for k in pano.order}
    errors = _corner_errors(est, scene, ref)
    if len(pano.order) < len(scene):
        errors = np.vstack([errors, np.full((len(scene) - len(pano.order), 4), np.inf)])
    return pano, errors


def _opencv_panorama(scene, mode: int):
    bgr = [np.ascontiguousarray(im[:, :, ::-1]) for im in scene.images]
    stitcher = cv2.Stitcher_create(mode)
    status, pano = stitcher.stitch(bgr)
    if status != cv2.Stitcher_OK:
        return None, None, status
    comp = [int(k) for k in stitcher.component()]
    cams = dict(zip(comp, stitcher.cameras(), strict=True))
    # errors are measured in the frame of the same central view for both libraries
    ref = (len(scene) - 1) // 2
    if ref not in cams:
        return None, None, status

    def K(k):
        return cams[k].K().astype(float)

    def R(k):
        return np.asarray(cams[k].R, float)

    if mode == cv2.Stitcher_PANORAMA:
        est = {k: K(ref) @ np.linalg.inv(R(ref)) @ R(k) @ np.linalg.inv(K(k)) for k in comp}
    else:
        est = {k: R(ref) @ np.linalg.inv(R(k)) for k in comp}
    errors = _corner_errors(est, scene, ref)
    if len(comp) < len(scene):
        errors = np.vstack([errors, np.full((len(scene) - len(comp), 4), np.inf)])
    return pano, errors, status


def _interleaved(fns: dict, repeats: int) -> dict[str, np.ndarray]:
    """Wall times of each function, one call of each per round (same load for all), seconds."""
    for fn in fns.values():
        fn()  # warm-up
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {k: np.array(v) for k, v in times.items()}


def bench_panorama(quick: bool) -> list[dict]:
    from lacv.imaging.scenes import panorama_scene

    cases = [(4, 0)] if quick else [(4, 0), (4, 1), (4, 2), (3, 0), (5, 0)]
    repeats = 5 if quick else 15
    rows, results = [], []
    for n_views, seed in cases:
        scene = panorama_scene(n_views, rng=seed)
        _, lacv_err = _lacv_panorama(scene)
        modes = (("PANORAMA", cv2.Stitcher_PANORAMA), ("SCANS", cv2.Stitcher_SCANS))
        # lacv and both Stitcher modes called in turn, round after round
        times = _interleaved({"lacv": lambda scene=scene: _lacv_panorama(scene),
                              **{label: lambda scene=scene, mode=mode: _opencv_panorama(scene, mode)
                                 for label, mode in modes}}, repeats)
        t_lacv = float(np.median(times["lacv"]))
        entry = {"views": n_views, "seed": seed,
                 "lacv": {"mean_corner_px": float(lacv_err.mean()),
                          "worst_corner_px": float(lacv_err.max()), "seconds": t_lacv}}
        row = [f"{n_views} views, seed {seed}", float(lacv_err.mean()), float(lacv_err.max()),
               t_lacv * 1e3]
        for label, mode in modes:
            _, err, status = _opencv_panorama(scene, mode)
            t_cv = float(np.median(times[label]))
            if err is None:
                entry[label] = {"status": int(status), "seconds": t_cv}
                row += ["failed", "failed", t_cv * 1e3]
            else:
                entry[label] = {"mean_corner_px": float(err[np.isfinite(err)].mean()),
                                "worst_corner_px": float(err.max()), "seconds": t_cv}
                row += [float(err[np.isfinite(err)].mean()), float(err.max()), t_cv * 1e3]
            entry[label]["time_ratio_lacv_over_opencv"] = t_lacv / t_cv
            # the ratio within each round (same load), its median and worst
            per_round = times["lacv"] / times[label]
            entry[label]["round_ratio_median"] = float(np.median(per_round))
            entry[label]["round_ratio_max"] = float(per_round.max())
        row += [t_lacv / entry["PANORAMA"]["seconds"], entry["PANORAMA"]["round_ratio_median"]]
        rows.append(row)
        results.append(entry)
    print("## Built-in panorama: corner error against the exact homographies, time\n")
    print(f"(medians of {repeats} rounds; each round calls lacv, Stitcher PANORAMA and "
          "Stitcher SCANS in turn)\n")
    print(markdown_table(
        ["scene", "lacv mean px", "lacv worst px", "lacv ms",
         "Stitcher PANORAMA mean px", "worst px", "ms", "Stitcher SCANS mean px", "worst px",
         "ms", "time lacv / PANORAMA", "median per-round ratio"], rows))
    return results


def _read_pair(name: str):
    from lacv.imaging.io import read_image

    a = read_image(glob.glob(str(DATA / f"{name}A.*"))[0], grey=True)
    b = read_image(glob.glob(str(DATA / f"{name}B.*"))[0], grey=True)
    pts = np.loadtxt(DATA / f"{name}_pts.txt")
    return a, b, pts[pts[:, 6] == 1]


def _transfer_error(H: np.ndarray, val: np.ndarray) -> float:
    xh = np.column_stack([val[:, 0:2], np.ones(len(val))]) @ H.T
    return float(np.linalg.norm(xh[:, :2] / xh[:, 2:3] - val[:, 3:5], axis=1).mean())


def _opencv_pair(a: np.ndarray, b: np.ndarray):
    sift = cv2.SIFT_create()
    ka, da = sift.detectAndCompute(a, None)
    kb, db = sift.detectAndCompute(b, None)
    if da is None or db is None or len(kb) < 2:
        return None, 0
    knn = cv2.BFMatcher(cv2.NORM_L2).knnMatch(da, db, k=2)
    good = [p[0] for p in knn if len(p) == 2 and p[0].distance < 0.8 * p[1].distance]
    if len(good) < 4:
        return None, len(good)
    src = np.float32([ka[g.queryIdx].pt for g in good])
    dst = np.float32([kb[g.trainIdx].pt for g in good])
    H, mask = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, 3.0)
    return H, int(mask.sum()) if mask is not None else 0


def bench_real_pairs(quick: bool) -> list[dict]:
    from lacv.imaging.stitch import register_pair

    if not DATA.is_dir():
        print(f"\n(real pairs skipped: {DATA} not found)")
        return []
    names = sorted({os.path.basename(p)[: -len("_pts.txt")]
                    for p in glob.glob(str(DATA / "*_pts.txt"))})
    if quick:
        names = [n for n in names if n in ("adam", "city", "boat", "LePoint3", "graf")]
    rows, results = [], []
    for name in names:
        a, b, val = _read_pair(name)
        t0 = time.perf_counter()
        pair = register_pair(a, b)
        t_lacv = time.perf_counter() - t0
        e_lacv = _transfer_error(np.asarray(pair.transform.matrix), val) \
            if pair.transform is not None else float("inf")
        t0 = time.perf_counter()
        H, n_cv = _opencv_pair(a, b)
        t_cv = time.perf_counter() - t0
        e_cv = _transfer_error(H, val) if H is not None else float("inf")
        results.append({"pair": name, "size": list(a.shape), "lacv_px": e_lacv,
                        "lacv_inliers": pair.n_inliers, "lacv_seconds": t_lacv,
                        "opencv_px": e_cv, "opencv_inliers": n_cv, "opencv_seconds": t_cv})
        rows.append([name, f"{a.shape[1]}×{a.shape[0]}", e_lacv, pair.n_inliers, t_lacv,
                     e_cv, n_cv, t_cv])
    lacv_e = np.array([r["lacv_px"] for r in results])
    cv_e = np.array([r["opencv_px"] for r in results])
    print("\n## Real pairs: mean transfer error of the label-1 correspondences (px)\n")
    print(markdown_table(["pair", "size", "lacv px", "lacv inliers", "lacv s",
                          "OpenCV px", "OpenCV inliers", "OpenCV s"], rows))
    worse = [r["pair"] for r in results if r["lacv_px"] > 5 and r["opencv_px"] < 5]
    print(f"\nmean over {len(results)} pairs: lacv {lacv_e.mean():.3f} px, OpenCV "
          f"{cv_e.mean():.3f} px; median lacv {np.median(lacv_e):.3f}, OpenCV "
          f"{np.median(cv_e):.3f}; under 5 px: lacv {int((lacv_e < 5).sum())}, OpenCV "
          f"{int((cv_e < 5).sum())}; pairs over 5 px for lacv where OpenCV is under 5: "
          f"{worse or 'none'}")
    return results


def main(quick: bool) -> None:
    with pinned_threads(1):
        pano = bench_panorama(quick)
        pairs = bench_real_pairs(quick)
    path = save_results("imaging", {"panorama": pano, "real_pairs": pairs})
    print(f"\nsaved {path}")
