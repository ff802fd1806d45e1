"""``lacv calibrate``: calibrate a camera from chessboard images (or the built-in sequence)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import numpy as np

from lacv.cli._common import echo_json, write_json
from lacv.errors import InputError

_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}
_YAML_SUFFIXES = {".yml", ".yaml", ".xml"}


def _expand(paths: tuple[str, ...]) -> list[Path]:
    """Files as given; a folder stands for the images in it (sorted by name)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.suffix.lower() in _IMAGE_SUFFIXES)
            if not found:
                raise InputError(f"IMAGES: the folder {raw!r} holds no images")
            out += found
        else:
            out.append(p)
    return out


def _table(result: Any, truth: Any | None) -> list[str]:
    from lacv.geometry.calibration import PARAM_NAMES

    cam = result.camera
    head = f"{'parameter':<10} {'estimate':>12} {'± std':>10}"
    if truth is not None:
        head += f" {'truth':>12} {'error':>10}"
    lines = [head]
    for name in PARAM_NAMES:
        value = getattr(cam, name)
        std = result.std[name]
        fixed = name in result.fixed
        line = f"{name:<10} {value:>12.6g} {'(fixed)' if fixed else f'{std:.3g}':>10}"
        if truth is not None:
            t = getattr(truth, name)
            line += f" {t:>12.6g} {value - t:>+10.3g}"
        lines.append(line)
    return lines


@click.command()
@click.argument("images", nargs=-1, type=click.Path(path_type=str))
@click.option("--board", default="9x6", show_default=True,
              help="Inner corners of the chessboard, COLSxROWS.")
@click.option("--square", type=float, default=0.025, show_default=True,
              help="Side of a square (the unit of the poses, e.g. metres).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Write the camera: .json (lacv) or .yml/.yaml/.xml (OpenCV's layout).")
@click.option("--undistort", "undistort_path", type=click.Path(dir_okay=False, path_type=str),
              default=None, help="An image to undistort with the calibrated camera.")
@click.option("--preview", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Where to write the undistorted image (with no --undistort: the first "
                   "calibration image).")
@click.option("--fix-aspect", is_flag=True, help="Keep fy/fx = 1.")
@click.option("--zero-tangent", is_flag=True, help="p1 = p2 = 0.")
@click.option("--fix-k3", is_flag=True, help="k3 = 0.")
@click.option("--fix-principal-point", is_flag=True, help="Principal point at the centre.")
@click.option("--views", type=int, default=15, show_default=True,
              help="Views of the built-in sequence (no IMAGES).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the built-in sequence.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def calibrate(images: tuple[str, ...], board: str, square: float, output: str | None,
              undistort_path: str | None, preview: str | None, fix_aspect: bool,
              zero_tangent: bool, fix_k3: bool, fix_principal_point: bool, views: int,
              seed: int, as_json: bool) -> None:
    """Calibrate a camera from images of a chessboard (Zhang's method + LM).

    Finds the board in every image (listing those where it is not found),
    calibrates intrinsics and OpenCV's k1 k2 p1 p2 k3 distortion, and prints
    each parameter with its standard deviation and the RMS reprojection
    error of every view. With no IMAGES it calibrates the built-in rendered
    sequence and prints the estimate beside the ground truth.

    \b
    Examples:
      lacv calibrate
      lacv calibrate shots/*.jpg --board 9x6 --square 0.025 -o camera.yml
      lacv calibrate shots/ --undistort shots/a.jpg --preview a-undistorted.png
    """
    from lacv._fileio import check_not_input
    from lacv.geometry.calibration import calibrate_camera
    from lacv.imaging.chessboard import (
        BoardNotFoundError,
        board_points,
        find_chessboard,
        parse_pattern,
    )
    from lacv.imaging.io import read_image, write_image

    pattern = parse_pattern(board, "--board")
    if not (np.isfinite(square) and square > 0):
        raise InputError(f"--square: expected a length > 0, got {square}")
    if undistort_path is not None and preview is None:
        raise InputError("--undistort: also give --preview OUT.png for the undistorted image")
    options = dict(fix_aspect=fix_aspect, zero_tangential=zero_tangent, fix_k3=fix_k3,
                   fix_principal_point=fix_principal_point)
    truth = None
    names: list[str] = []
    not_found: list[str] = []
    paths = _expand(images)
    for out in (output, preview):
        if out is not None:
            check_not_input(out, paths + ([Path(undistort_path)] if undistort_path else []))
    if not paths:
        from lacv.imaging.calibration_scene import calibration_sequence

        seq = calibration_sequence(views, rng=seed)
        truth = seq.camera
        corners, frames = [], list(seq.images)
        for k, img in enumerate(seq.images):
            names.append(f"view {k:02d}")
            corners.append(find_chessboard(img, seq.pattern))
        obj = seq.object_points
        size = seq.image_size
        source = f"the built-in sequence: {seq.description}"
    else:
        obj = board_points(pattern, square)
        corners, frames, size = [], [], None
        for p in paths:
            img = read_image(p, grey=True)
            shape = (img.shape[1], img.shape[0])
            if size is None:
                size = shape
            elif shape != size:
                raise InputError(f"image {str(p)!r}: {shape[0]}×{shape[1]} differs from the "
                                 f"first image's {size[0]}×{size[1]}; one camera, one size")
            try:
                corners.append(find_chessboard(img, pattern))
            except BoardNotFoundError:
                not_found.append(str(p))
                continue
            names.append(p.name)
            frames.append(img)
        if len(corners) < 3:
            raise InputError(f"the {pattern[0]}×{pattern[1]} board was found in "
                             f"{len(corners)} of {len(paths)} images; calibration needs at "
                             "least 3 (not found: " + ", ".join(not_found) + ")")
        source = f"{len(corners)} of {len(paths)} images"
    result = calibrate_camera(obj, corners, size, **options)

    if output is not None:
        if Path(output).suffix.lower() in _YAML_SUFFIXES:
            result.camera.to_opencv_yaml(output)
        else:
            write_json(output, result.to_dict())
    if preview is not None:
        source_img = read_image(undistort_path) if undistort_path else frames[0]
        write_image(preview, result.camera.undistort_image(source_img))

    if as_json:
        data = result.to_dict()
        data["views"] = names
        data["not_found"] = not_found
        if truth is not None:
            data["truth"] = truth.to_dict()
        echo_json(data)
        return
    click.echo(f"Calibrated from {source}; board {pattern[0]}×{pattern[1]}"
               + ("" if truth is not None else f", square {square:g}") + ".")
    if not_found:
        click.echo(f"Board not found in {len(not_found)} image(s): " + ", ".join(not_found))
    click.echo("\n".join(_table(result, truth)))
    click.echo(f"RMS reprojection error: {result.rms_px:.4f} px over {len(names)} views "
               f"({result.n_iterations} LM iterations, {result.message}).")
    click.echo("Per-view RMS (px):")
    cells = [f"{n:>14} {e:.3f}" for n, e in zip(names, result.view_rms_px, strict=True)]
    for k in range(0, len(cells), 4):
        click.echo("  ".join(cells[k:k + 4]))
    if output is not None:
        click.echo(f"Camera written to {output}")
    if preview is not None:
        click.echo(f"Undistorted image written to {preview}")
