"""Demo step: calibrate the built-in rendered chessboard sequence, and P by DLT."""

from __future__ import annotations

import time

import numpy as np

from lacv.cli.demo import DemoContext


def run(ctx: DemoContext) -> None:
    from lacv.geometry.calibration import (
        calibrate_camera,
        decompose_projection_matrix,
        projection_matrix_dlt,
    )
    from lacv.imaging.calibration_scene import calibration_sequence
    from lacv.imaging.chessboard import find_chessboard
    from lacv.imaging.io import write_image

    n_views = 8 if ctx.quick else 15
    t0 = time.perf_counter()
    seq = calibration_sequence(n_views, rng=0)
    ctx.note(f"Rendered {seq.description} ({time.perf_counter() - t0:.1f} s).")
    corners = [find_chessboard(img, seq.pattern) for img in seq.images]
    err = np.concatenate([np.linalg.norm(c - t, axis=1)
                          for c, t in zip(corners, seq.image_points, strict=True)])
    ctx.note(f"Chessboard corners found in all {n_views} views; sub-pixel error against the "
             f"truth: mean {err.mean():.3f} px, max {err.max():.3f} px.")
    t0 = time.perf_counter()
    res = calibrate_camera(seq.object_points, corners, seq.image_size)
    dt = time.perf_counter() - t0
    truth, init, cam = seq.camera, res.initial_camera, res.camera
    ctx.note(f"Zhang's closed form (Vb = 0 by SVD, then the linear radial guess): fx = "
             f"{init.fx:.2f}, fy = {init.fy:.2f}, cx = {init.cx:.2f}, cy = {init.cy:.2f}, "
             f"k1 = {init.k1:.4f}, k2 = {init.k2:.4f}.")
    ctx.note(f"After Levenberg–Marquardt ({res.n_iterations} iterations, {dt * 1e3:.0f} ms): "
             f"RMS reprojection error {res.rms_px:.4f} px.")
    ctx.echo(f"  {'':>4} {'estimate':>11} {'± std':>9} {'truth':>10}")
    for name in ("fx", "fy", "cx", "cy", "k1", "k2", "p1", "p2", "k3"):
        ctx.echo(f"  {name:>4} {getattr(cam, name):>11.5g} {res.std[name]:>9.2g} "
                 f"{getattr(truth, name):>10.5g}")
    ctx.summary.append(f"fx {cam.fx:.2f} ± {res.std['fx']:.2f} (truth {truth.fx:g}), fy "
                       f"{cam.fy:.2f} ± {res.std['fy']:.2f} (truth {truth.fy:g}), k1 "
                       f"{cam.k1:.4f} ± {res.std['k1']:.4f} (truth {truth.k1:g})")
    path = write_image(ctx.out_dir / "calibration-undistorted.png",
                       np.hstack([seq.images[0], cam.undistort_image(seq.images[0])]))
    cam.to_opencv_yaml(ctx.out_dir / "calibration-camera.yml")
    ctx.note(f"View 0 and its undistorted image: {path}; the camera in OpenCV's YAML layout: "
             f"{ctx.out_dir / 'calibration-camera.yml'}.")

    # P by the normalised DLT from a non-planar set of points, then K R t by RQ
    from lacv.geometry.calibration import Pose

    rng = np.random.default_rng(0)
    pose = seq.poses[0]
    world = pose.inverse.apply(rng.uniform(-0.3, 0.3, (20, 3)) + [0.0, 0.0, 1.0])
    pinhole = truth.replace(k1=0, k2=0, p1=0, p2=0, k3=0)
    K, R, t = decompose_projection_matrix(projection_matrix_dlt(world, pinhole.project(world,
                                                                                       pose)))
    ctx.note(f"P from 20 non-coplanar points by the normalised DLT, split by RQ: fx = "
             f"{K[0, 0]:.4f}, fy = {K[1, 1]:.4f}, cx = {K[0, 2]:.4f}, cy = {K[1, 2]:.4f}, "
             f"rotation off by {Pose(R, t).angle_to(pose):.1e}° (exact data).")
