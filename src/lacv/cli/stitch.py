"""``lacv stitch``: a panorama from overlapping images (or the built-in scene)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
import numpy as np

from lacv.cli._common import write_json
from lacv.errors import InputError


@click.command()
@click.argument("images", nargs=-1, type=click.Path(path_type=str))
@click.option("-o", "--output", default="panorama.jpg", show_default=True,
              type=click.Path(dir_okay=False, path_type=str), help="The panorama's file.")
@click.option("--matches", "matches_path", default=None,
              type=click.Path(dir_okay=False, path_type=str),
              help="Also write a picture of the matches (inliers green, outliers red).")
@click.option("--outlines", "outlines_path", default=None,
              type=click.Path(dir_okay=False, path_type=str),
              help="Also write the panorama with each image's outline.")
@click.option("--features", type=click.Choice(["sift", "orb", "asift"]), default="sift",
              show_default=True,
              help="Keypoint detector and descriptor (OpenCV); asift for strong viewpoint "
                   "changes (slow).")
@click.option("--model", type=click.Choice(["homography", "affine", "similarity", "euclidean",
                                            "translation"]),
              default="homography", show_default=True, help="Transform family.")
@click.option("--camera", type=click.Choice(["auto", "rotating", "free"]), default="auto",
              show_default=True,
              help="Joint refinement: a rotating camera (K R K⁻¹), free homographies, or auto.")
@click.option("--blend", "blend_method", type=click.Choice(["feather", "multiband", "none"]),
              default="feather", show_default=True, help="How overlaps are blended.")
@click.option("--crop", is_flag=True, help="Crop to the largest fully covered rectangle.")
@click.option("--partial", is_flag=True,
              help="Stitch the largest connected group when some images connect to nothing.")
@click.option("-t", "--threshold", type=float, default=3.0, show_default=True,
              help="RANSAC inlier threshold, pixels.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (RANSAC).")
@click.option("--json", "json_path", default=None, type=click.Path(dir_okay=False, path_type=str),
              help="Write a JSON report (pairs, transforms, errors).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def stitch(images: tuple[str, ...], output: str, matches_path: str | None,
           outlines_path: str | None, features: str, model: str, camera: str,
           blend_method: str, crop: bool, partial: bool, threshold: float, seed: int,
           json_path: str | None, quiet: bool) -> None:
    """Stitch overlapping IMAGES into a panorama.

    With no IMAGES, stitches the built-in scene: views of a real photograph
    rendered through a virtual camera panning about its centre, and compares
    the result with the exact ground truth. Each pair is matched (SIFT or
    ORB), estimated by lacv's RANSAC, chained from the most central image and
    refined jointly.

    \b
    Examples:
      lacv stitch                                # the built-in scene
      lacv stitch a.jpg b.jpg c.jpg -o pano.jpg --matches matches.png
      lacv stitch scans/*.png --model affine --blend multiband --crop
    """
    from lacv.imaging.draw import draw_outlines, draw_pair_matches
    from lacv.imaging.io import check_output, read_image, write_image
    from lacv.imaging.scenes import corner_errors_px, panorama_scene
    from lacv.imaging.stitch import stitch as run_stitch

    if len(images) == 1:
        raise InputError(f"IMAGES: expected at least two images to stitch, got one "
                         f"({images[0]!r}); give none to stitch the built-in scene")
    scene = None
    if images:
        pictures = [read_image(path) for path in images]
        names = [Path(p).name for p in images]
    else:
        scene = panorama_scene()
        pictures = list(scene.images)
        names = [f"view{k}" for k in range(len(pictures))]
        click.echo(f"No images given: stitching the built-in scene ({scene.description}).")
    outputs = [p for p in (output, matches_path, outlines_path, json_path) if p is not None]
    if len({str(Path(p).resolve()) for p in outputs}) != len(outputs):
        raise InputError("-o, --matches, --outlines, --json: two outputs name the same file")
    for path in (output, matches_path, outlines_path):
        if path is not None:
            check_output(path, images)
    if json_path is not None:
        from lacv._fileio import check_not_input

        check_not_input(json_path, images, name="--json")

    bar: Any = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if quiet:
            return
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, desc="matching pairs", unit="pair", leave=False,
                       disable=None)
        bar.update(done - bar.n)

    started = time.perf_counter()
    try:
        pano = run_stitch(pictures, model, features=features, threshold_px=threshold,
                          camera=camera, blend_method=blend_method, crop=crop,
                          allow_partial=partial, names=names, rng=seed, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    elapsed = time.perf_counter() - started

    click.echo(f"{'pair':>12}  {'matches':>7}  {'inliers':>7}  {'RMS px':>6}  verdict")
    for p in pano.pairs:
        rms = f"{p.inlier_rms_px:6.3f}" if np.isfinite(p.inlier_rms_px) else "     —"
        verdict = "linked" if p.accepted else p.reason
        if (p.i, p.j) in pano.tree or (p.j, p.i) in pano.tree:
            verdict += " (tree)"
        click.echo(f"{p.i:>5} - {p.j:<4}  {p.n_matches:>7}  {p.n_inliers:>7}  {rms}  {verdict}")
    click.echo(f"reference image {pano.reference} ({names[pano.reference]}); order "
               f"{list(pano.order)}")
    refined = (f"joint refinement ({pano.camera} camera"
               + (f", f = {pano.focal_px:.1f} px" if pano.focal_px else "")
               + f", {pano.refine_iterations} iterations): transfer RMS "
               f"{pano.refined_rms_px:.3f} px (the chained pairwise estimates: "
               f"{pano.chained_rms_px:.3f} px"
               + (", with more parameters" if pano.camera == "rotating" else "") + ")")
    click.echo(refined if pano.camera != "none" else
               f"transfer RMS {pano.chained_rms_px:.3f} px (no joint refinement)")
    if pano.excluded:
        click.echo("left out (connected to nothing): "
                   + ", ".join(f"{k} ({names[k]})" for k in pano.excluded))

    report: dict[str, Any] = {
        "images": names,
        "output": output,
        "size": [int(pano.image.shape[1]), int(pano.image.shape[0])],
        "reference": pano.reference,
        "order": list(pano.order),
        "excluded": list(pano.excluded),
        "camera": pano.camera,
        "focal_px": pano.focal_px,
        "chained_rms_px": pano.chained_rms_px,
        "refined_rms_px": pano.refined_rms_px,
        "seconds": elapsed,
        "pairs": [{"i": p.i, "j": p.j, "matches": p.n_matches, "inliers": p.n_inliers,
                   "inlier_rms_px": p.inlier_rms_px, "accepted": p.accepted,
                   "reason": p.reason} for p in pano.pairs],
        "transforms": {str(k): np.asarray(T.matrix) for k, T in pano.transforms.items()},
        "gains": {str(k): g for k, g in pano.gains.items()},
    }
    if scene is not None:
        to_ref = np.linalg.inv(pano.transforms[pano.reference].matrix)
        errors = {k: corner_errors_px(to_ref @ pano.transforms[k].matrix,
                                      scene.relative(k, pano.reference), scene.images[k].shape)
                  for k in pano.order}
        worst = max(float(e.max()) for e in errors.values())
        mean = float(np.mean([e.mean() for k, e in errors.items() if k != pano.reference]))
        click.echo(f"ground truth: corner error mean {mean:.3f} px, worst {worst:.3f} px "
                   f"(every view against the exact homography)")
        report["ground_truth_corner_error_px"] = {"mean": mean, "worst": worst}

    write_image(output, pano.image, inputs=images)
    click.echo(f"wrote {output} ({pano.image.shape[1]}×{pano.image.shape[0]}, "
               f"{len(pano.order)} images, {elapsed:.2f} s)")
    if matches_path is not None:
        linked = [p for p in pano.pairs if (p.i, p.j) in pano.tree or (p.j, p.i) in pano.tree]
        write_image(matches_path, draw_pair_matches(pictures, linked or list(pano.pairs)),
                    inputs=images)
        click.echo(f"wrote {matches_path} (the matches of the {len(linked)} tree pairs)")
    if outlines_path is not None:
        order = list(pano.order)
        picture = draw_outlines(pano.image, [pictures[k].shape for k in order],
                                [pano.transforms[k] for k in order],
                                labels=[str(k) for k in order])
        write_image(outlines_path, picture, inputs=images)
        click.echo(f"wrote {outlines_path}")
    if json_path is not None:
        write_json(json_path, report)
        click.echo(f"wrote {json_path}")
