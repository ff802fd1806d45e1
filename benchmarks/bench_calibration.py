"""Camera calibration: lacv (Zhang + Schur-complement LM) against OpenCV, side by side.

1. Synthetic (the issue's protocol): a 9×6 board with 30 mm squares, 15
   poses 450–750 mm away, tilts up to ±35°, 0.2 px noise per coordinate,
   fx = fy = 800, cx = 320, cy = 240, k1 = −0.1, k2 = 0.01; several scenes.
   The error of every parameter against the truth and the RMS, for lacv's
   ``calibrate_camera`` and ``cv2.calibrateCamera`` with the same (OpenCV's
   default five-coefficient) model.
2. Real: the 25 left and 25 right images of ``../shared/data/calibration``,
   corners found once (OpenCV's detector, an 11-pixel refinement window as in
   OpenCV's sample) and given to both.
3. Stereo on the real set: the rotation between the cameras against
   ``cv2.stereoCalibrate`` (intrinsics fixed, and refined jointly).

One thread everywhere (``pinned_threads(1)``); times are medians.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from benchmarks._common import markdown_table, pinned_threads, save_results, time_call
from lacv.geometry.calibration import Camera, calibrate_camera, calibrate_stereo
from lacv.geometry.camera import _log_so3
from lacv.imaging.calibration_scene import calibration_poses
from lacv.imaging.chessboard import board_points, find_chessboard
from lacv.imaging.io import read_image

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "calibration"
TRUTH = Camera(800.0, 800.0, 320.0, 240.0, k1=-0.1, k2=0.01, image_size=(640, 480))
NAMES = ("fx", "fy", "cx", "cy", "k1", "k2", "p1", "p2", "k3")


def _cv_params(K: np.ndarray, d: np.ndarray) -> np.ndarray:
    d = d.ravel()
    return np.array([K[0, 0], K[1, 1], K[0, 2], K[1, 2], *d[:5]])


def _lacv_params(cam: Camera) -> np.ndarray:
    return np.array([getattr(cam, n) for n in NAMES])


def _opencv(obj: np.ndarray, pts: list[np.ndarray], size: tuple[int, int]):
    o = [obj.astype(np.float32)] * len(pts)
    p = [x.astype(np.float32) for x in pts]
    # OpenCV's default criteria (30 iterations at most), as a user calls it
    return lambda: cv2.calibrateCamera(o, p, size, None, None)


def synthetic(n_scenes: int, repeats: int) -> dict:
    obj = board_points((9, 6), 0.03)
    err_l, err_c, rms_l, rms_c, t_l, t_c = [], [], [], [], [], []
    truth = _lacv_params(TRUTH)
    for seed in range(n_scenes):
        rng = np.random.default_rng(100 + seed)
        poses = calibration_poses(TRUTH, (9, 6), 0.03, 15, distance=(0.45, 0.75),
                                  max_tilt_deg=35.0, rng=rng)
        pts = [TRUTH.project(obj, p) + rng.normal(0.0, 0.2, (54, 2)) for p in poses]
        run_c = _opencv(obj, pts, (640, 480))

        def run_l(pts=pts):
            return calibrate_camera(obj, pts, (640, 480))

        res, out = run_l(), run_c()
        err_l.append(np.abs(_lacv_params(res.camera) - truth))
        err_c.append(np.abs(_cv_params(out[1], out[2]) - truth))
        rms_l.append(res.rms_px)
        rms_c.append(out[0])
        t_c.append(time_call(run_c, repeats=repeats))
        t_l.append(time_call(run_l, repeats=repeats))
    el, ec = np.mean(err_l, axis=0), np.mean(err_c, axis=0)
    rows = [[n, float(a), float(b), float(a / b) if b > 0 else float("nan")]
            for n, a, b in zip(NAMES, el, ec, strict=True)]
    rows.append(["RMS px", float(np.mean(rms_l)), float(np.mean(rms_c)),
                 float(np.mean(rms_l) / np.mean(rms_c))])
    rows.append(["time ms", float(np.median(t_l) * 1e3), float(np.median(t_c) * 1e3),
                 float(np.median(t_l) / np.median(t_c))])
    print(f"## 1. Synthetic: {n_scenes} scenes, 15 views each, 0.2 px noise "
          "(mean |error| against the truth)\n")
    print(markdown_table(["parameter", "lacv", "OpenCV", "lacv / OpenCV"], rows))
    worse = [n for n, a, b in zip(NAMES, el, ec, strict=True) if a > b * (1 + 1e-3) + 1e-12]
    print(f"\nTarget (errors no larger than OpenCV's): "
          f"{'met' if not worse else 'not met for ' + ', '.join(worse)}\n")
    return {"n_scenes": n_scenes, "mean_abs_error_lacv": dict(zip(NAMES, el.tolist(),
                                                                  strict=True)),
            "mean_abs_error_opencv": dict(zip(NAMES, ec.tolist(), strict=True)),
            "rms_lacv": float(np.mean(rms_l)), "rms_opencv": float(np.mean(rms_c)),
            "time_lacv_ms": float(np.median(t_l) * 1e3),
            "time_opencv_ms": float(np.median(t_c) * 1e3), "worse": worse}


def _real_corners() -> dict[str, list[np.ndarray]]:
    return {side: [find_chessboard(read_image(DATA / f"{side}{k:02d}.jpg", grey=True), (9, 6),
                                   window=11) for k in range(1, 26)]
            for side in ("left", "right")}


def real(corners: dict[str, list[np.ndarray]], repeats: int) -> dict:
    obj = board_points((9, 6), 1.0)
    size = (640, 512)
    rows, out = [], {}
    checks = []
    for side in ("left", "right"):
        pts = corners[side]
        run_c = _opencv(obj, pts, size)

        def run_l(pts=pts):
            return calibrate_camera(obj, pts, size)

        res, cv = run_l(), run_c()
        t_c = time_call(run_c, repeats=repeats)
        t_l = time_call(run_l, repeats=repeats)
        pl, pc = _lacv_params(res.camera), _cv_params(cv[1], cv[2])
        rel = np.abs(pl[:4] / pc[:4] - 1)
        rows.append([f"{side} lacv", res.rms_px, *pl[:5], t_l * 1e3])
        rows.append([f"{side} OpenCV", cv[0], *pc[:5], t_c * 1e3])
        checks.append((side, res.rms_px <= cv[0] * 1.005, float(rel.max()),
                       float(t_l / t_c)))
        out[side] = {"lacv": {"rms_px": res.rms_px, **dict(zip(NAMES, pl.tolist(),
                                                                strict=True)),
                              "time_ms": t_l * 1e3, "iterations": res.n_iterations},
                     "opencv": {"rms_px": cv[0], **dict(zip(NAMES, pc.tolist(), strict=True)),
                                "time_ms": t_c * 1e3},
                     "max_rel_intrinsics_diff": float(rel.max()),
                     "time_ratio": float(t_l / t_c)}
    print("## 2. Real: 25 views per camera, the same corners for both\n")
    print(markdown_table(["camera", "RMS px", "fx", "fy", "cx", "cy", "k1", "time ms"], rows))
    print()
    for side, rms_ok, rel, ratio in checks:
        print(f"- {side}: RMS within 0.5 % of OpenCV's or lower: {'met' if rms_ok else 'NOT met'}"
              f"; intrinsics within 0.5 %: {'met' if rel <= 5e-3 else 'NOT met'} (largest "
              f"relative difference {rel:.1e}); time ≤ 1.5 × OpenCV: "
              f"{'met' if ratio <= 1.5 else 'NOT met'} ({ratio:.2f} ×)")
    print()
    return out


def stereo(corners: dict[str, list[np.ndarray]], repeats: int) -> dict:
    obj = board_points((9, 6), 1.0)
    size = (640, 512)
    o = [obj.astype(np.float32)] * 25
    pl = [x.astype(np.float32) for x in corners["left"]]
    pr = [x.astype(np.float32) for x in corners["right"]]
    _, K1, d1, *_ = cv2.calibrateCamera(o, pl, size, None, None)
    _, K2, d2, *_ = cv2.calibrateCamera(o, pr, size, None, None)
    cam_l = Camera.from_matrix(K1, d1, size)
    cam_r = Camera.from_matrix(K2, d2, size)
    rows, out = [], {}
    for label, refine in (("intrinsics fixed", False), ("joint refinement", True)):
        flags = cv2.CALIB_USE_INTRINSIC_GUESS if refine else cv2.CALIB_FIX_INTRINSIC

        def run_c(flags=flags):
            return cv2.stereoCalibrate(o, pl, pr, K1, d1, K2, d2, size, flags=flags)

        def run_l(refine=refine):
            return calibrate_stereo(obj, corners["left"], corners["right"], size,
                                    camera_left=cam_l, camera_right=cam_r,
                                    refine_intrinsics=refine)

        cv, res = run_c(), run_l()
        t_c = time_call(run_c, repeats=repeats)
        t_l = time_call(run_l, repeats=repeats)
        angle = float(np.degrees(np.linalg.norm(_log_so3(res.rotation @ cv[5].T))))
        dT = float(np.linalg.norm(res.translation - cv[6].ravel()))
        rows.append([label, res.rms_px, cv[0], angle, dT, t_l * 1e3, t_c * 1e3, t_l / t_c])
        out[label] = {"rms_lacv": res.rms_px, "rms_opencv": cv[0], "rotation_diff_deg": angle,
                      "translation_diff": dT, "time_lacv_ms": t_l * 1e3,
                      "time_opencv_ms": t_c * 1e3}
    print("## 3. Stereo on the real set (both start from the same per-camera calibrations)\n")
    print(markdown_table(["mode", "RMS lacv", "RMS OpenCV", "ΔR deg", "‖ΔT‖ (squares)",
                          "lacv ms", "OpenCV ms", "ratio"], rows))
    worst = max(v["rotation_diff_deg"] for v in out.values())
    print(f"\nTarget (rotation within 0.1° of cv2.stereoCalibrate): "
          f"{'met' if worst <= 0.1 else 'NOT met'} (largest difference {worst:.1e}°)")
    return out


def main(quick: bool = False) -> None:
    repeats = 3 if quick else 7
    data: dict = {}
    with pinned_threads(1):
        data["synthetic"] = synthetic(5 if quick else 10, repeats)
        if DATA.is_dir():
            corners = _real_corners()
            data["real"] = real(corners, repeats)
            data["stereo"] = stereo(corners, repeats)
        else:
            print(f"(real data not found at {DATA}: sections 2 and 3 skipped)")
    save_results("calibration", data)
