"""``lacv two-view``: epipolar geometry of two images (or the built-in two-view scene)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import click
import numpy as np

from lacv._validate import check_threshold
from lacv.cli._common import echo_json, read_matrix_file
from lacv.errors import InputError, RankDeficientWarning


def _read_camera(path: str) -> Any:
    """A :class:`lacv.geometry.camera.Camera` from lacv's JSON or OpenCV's YAML / XML."""
    from lacv.geometry.camera import Camera

    p = Path(path)
    if not p.is_file():
        raise InputError(f"--camera ({path!r}): no such file")
    if p.suffix.lower() in (".yml", ".yaml", ".xml"):
        return Camera.from_opencv_yaml(p)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"--camera ({path!r}): not a JSON file ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("camera"), dict):
        data = data["camera"]  # what `lacv calibrate -o camera.json` writes
    return Camera.from_dict(data)


def _angle_deg(Ra: np.ndarray, Rb: np.ndarray) -> float:
    chord = float(np.linalg.norm(Ra - Rb))
    return float(np.degrees(2.0 * np.arcsin(min(chord / (2.0 * np.sqrt(2.0)), 1.0))))


def _fmt(M: np.ndarray) -> str:
    return np.array2string(np.asarray(M), precision=6, separator=", ", suppress_small=False,
                           max_line_width=100)


@click.command("two-view")
@click.argument("image1", required=False, type=click.Path(path_type=str))
@click.argument("image2", required=False, type=click.Path(path_type=str))
@click.option("--camera", "camera_path", default=None, type=click.Path(path_type=str),
              help="Intrinsics of both images: lacv's camera .json (from `lacv calibrate`) or "
                   "OpenCV's .yml/.xml; matched points are undistorted first.")
@click.option("--K", "k_path", default=None, type=click.Path(path_type=str),
              help="A 3×3 camera matrix for both images (text or .npy).")
@click.option("--K2", "k2_path", default=None, type=click.Path(path_type=str),
              help="The second image's camera matrix, when it differs from --K.")
@click.option("--lines", "lines_path", default=None,
              type=click.Path(dir_okay=False, path_type=str),
              help="Write a picture of both images with epipolar lines.")
@click.option("--features", type=click.Choice(["sift", "orb"]), default="sift",
              show_default=True, help="Keypoint detector and descriptor (OpenCV).")
@click.option("-t", "--threshold", type=float, default=1.0, show_default=True,
              help="Inlier threshold on the Sampson distance, pixels.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (RANSAC).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def twoview(image1: str | None, image2: str | None, camera_path: str | None,
            k_path: str | None, k2_path: str | None, lines_path: str | None, features: str,
            threshold: float, seed: int, as_json: bool) -> None:
    """Fundamental matrix (and, with cameras, E, R, t and 3-D points) of two images.

    Features are matched (SIFT or ORB), F is estimated by lacv's RANSAC
    (seven-point samples, Sampson distance, local optimisation, a Gauss–Newton
    polish of the Sampson error over rank-2 matrices), with the convention
    x2ᵀ F x1 = 0. With --camera or --K the
    essential matrix E = K2ᵀ F K1 follows, the pose (R, t) of the second
    camera is chosen by cheirality and the inliers are triangulated.

    With no images, runs the built-in two-view scene — a curved surface
    textured with a real photograph, rendered by two calibrated cameras — and
    compares the result with its exact ground truth.

    \b
    Examples:
      lacv two-view                                  # the built-in scene
      lacv two-view left.jpg right.jpg --lines lines.png
      lacv two-view a.jpg b.jpg --camera camera.json --json
    """
    from lacv.geometry.epipolar import Essential, Fundamental, symmetric_epipolar_distance
    from lacv.imaging.features import match_features
    from lacv.imaging.io import check_output, read_image, write_image

    if (image1 is None) != (image2 is None):
        raise InputError("IMAGE1 IMAGE2: expected two images, got one; give none to run the "
                         "built-in two-view scene")
    if camera_path is not None and k_path is not None:
        raise InputError("--camera, --K: give one of them, not both")
    if k2_path is not None and k_path is None:
        raise InputError("--K2: needs --K for the first image")
    if not threshold > 0:
        raise InputError(f"--threshold: expected a number > 0, got {threshold}")
    check_threshold(threshold, "--threshold")  # 1e300 overflowed RANSAC's threshold²
    inputs = [p for p in (image1, image2) if p is not None]
    if lines_path is not None:
        check_output(lines_path, inputs)

    scene = None
    if image1 is not None and image2 is not None:
        pictures = (read_image(image1), read_image(image2))
        names = (Path(image1).name, Path(image2).name)
    else:
        from lacv.imaging.twoview_scene import twoview_scene

        scene = twoview_scene()
        pictures = scene.images
        names = ("view1", "view2")
        if not as_json:
            click.echo(f"No images given: the built-in two-view scene ({scene.description}).")

    camera = None
    K1 = K2 = None
    if camera_path is not None:
        camera = _read_camera(camera_path)
        K1 = K2 = camera.K
    elif k_path is not None:
        K1 = read_matrix_file(k_path, "--K")
        K2 = K1 if k2_path is None else read_matrix_file(k2_path, "--K2")
        for name, K in (("--K", K1), ("--K2", K2)):
            if K.shape != (3, 3):
                raise InputError(f"{name}: expected a 3×3 camera matrix, got shape {K.shape}")
    elif scene is not None:
        K1, K2 = scene.K1, scene.K2

    matches = match_features(pictures[0], pictures[1], features)
    if len(matches) < 8:
        raise InputError(f"IMAGE1, IMAGE2: only {len(matches)} feature matches between "
                         f"{names[0]} and {names[1]}; at least 8 are needed for F")
    x1, x2 = matches.points1, matches.points2
    if camera is not None and camera.has_distortion:
        x1, x2 = camera.undistort_points(x1), camera.undistort_points(x2)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RankDeficientWarning)
        # the matches' ratio-test scores rank them for PROSAC's progressive sampling
        scores = -matches.ratios
        fit = Fundamental.robust_fit(x1, x2, threshold_px=threshold, rng=seed, scores=scores)
        efit = None
        if K1 is not None:
            efit = Essential.robust_fit(x1, x2, K1, K2, threshold_px=threshold, rng=seed,
                                        scores=scores)
    notes = list(dict.fromkeys(str(w.message) for w in caught))

    data: dict[str, Any] = {
        "images": list(names),
        "convention": "x2^T F x1 = 0",
        "n_matches": len(matches),
        "F": fit.model.matrix,
        "n_inliers": fit.n_inliers,
        "inlier_ratio": fit.inlier_ratio,
        "inlier_rms_sampson_px": fit.inlier_rms_px,
        "threshold_px": threshold,
        "n_trials": fit.n_trials,
        "sampling": fit.stats["sampling"],
        "homography_fraction": fit.stats["homography_fraction"],
        "warnings": notes,
    }
    pose = None
    if efit is not None:
        pose = efit.model.recover_pose(x1, x2, K1, K2, mask=efit.inliers)
        front = pose.in_front & efit.inliers
        data.update({
            "K1": np.asarray(K1), "K2": np.asarray(K2),
            "E": efit.model.matrix,
            "E_n_inliers": efit.n_inliers,
            "E_inlier_rms_sampson_px": efit.inlier_rms_px,
            "R": pose.R, "t": pose.t,
            "rotation_deg": _angle_deg(pose.R, np.eye(3)),
            "n_triangulated": int(np.count_nonzero(front)),
        })
    if scene is not None:
        truth: dict[str, Any] = {
            "F": scene.F,
            "sym_epipolar_px_of_true_points": float(
                symmetric_epipolar_distance(fit.model.matrix, scene.x1_true,
                                            scene.x2_true).mean()),
        }
        if pose is not None:
            truth["R"] = scene.R
            truth["t"] = scene.t_unit
            truth["rotation_error_deg"] = _angle_deg(pose.R, scene.R)
            truth["translation_error_deg"] = float(np.degrees(np.arccos(
                np.clip(pose.t @ scene.t_unit, -1.0, 1.0))))
        data["ground_truth"] = truth

    if lines_path is not None:
        from lacv.imaging.draw_epipolar import draw_epipolar_lines

        figure = draw_epipolar_lines(pictures[0], pictures[1], fit.model.matrix, x1, x2,
                                     inliers=fit.inliers, rng=seed)
        write_image(lines_path, figure, inputs=inputs)
        data["lines"] = lines_path

    if as_json:
        echo_json(data)
        return
    click.echo(f"{len(matches)} matches ({features}); RANSAC (samples ranked by Lowe's ratio, "
               f"PROSAC): {fit.n_inliers} inliers ({100 * fit.inlier_ratio:.0f} %) within "
               f"{threshold:g} px, {fit.n_trials} samples, inlier RMS Sampson distance "
               f"{fit.inlier_rms_px:.3f} px")
    click.echo("F (x2ᵀ F x1 = 0) =")
    click.echo(_fmt(fit.model.matrix))
    if pose is not None:
        click.echo(f"E = K2ᵀ F K1 on the essential manifold ({efit.n_inliers} inliers, RMS "
                   f"{efit.inlier_rms_px:.3f} px) =")
        click.echo(_fmt(efit.model.matrix))
        click.echo(f"R (rotation {data['rotation_deg']:.3f}°) =")
        click.echo(_fmt(pose.R))
        click.echo(f"t (unit) = {_fmt(pose.t)}")
        click.echo(f"{data['n_triangulated']} inliers triangulated in front of both cameras")
    else:
        click.echo("(no cameras given: --camera or --K adds E, R, t and the 3-D points)")
    if scene is not None:
        t = data["ground_truth"]
        line = (f"ground truth: true correspondences lie {t['sym_epipolar_px_of_true_points']:.3f}"
                " px (mean symmetric epipolar distance) from the estimated lines")
        if pose is not None:
            line += (f"; rotation error {t['rotation_error_deg']:.3f}°, translation direction "
                     f"error {t['translation_error_deg']:.3f}°")
        click.echo(line)
    for note in notes:
        click.echo(f"warning: {note}")
    if lines_path is not None:
        click.echo(f"epipolar lines: {lines_path}")
