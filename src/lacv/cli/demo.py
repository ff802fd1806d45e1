"""``lacv demo``: a tour of the library on built-in data.

Each area of lacv contributes one step: a module with a function
``run(ctx: DemoContext) -> None`` listed in ``STEPS``. A step prints what it
computes, may write files into ``ctx.out_dir``, and adds lines to the summary
that the demo writes at the end (``summary.txt`` in the output folder).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click

from lacv._fileio import atomic_write

#: (title, "module:function") of each step, in the order they run
STEPS: list[tuple[str, str]] = [
    ("Linear algebra: least squares and Ax = 0", "lacv.cli._demo_linalg:run"),
    ("Calculus: derivatives and gradient descent", "lacv.cli._demo_calculus:run"),
    ("Geometry: a homography from matches with outliers", "lacv.cli._demo_geometry:run"),
    ("Imaging: a panorama stitched from rendered views", "lacv.cli._demo_imaging:run"),
    ("Camera calibration: Zhang's method on a chessboard", "lacv.cli._demo_calibration:run"),
    ("Two-view geometry: F, E, pose and triangulation", "lacv.cli._demo_twoview:run"),
    ("Neural networks: hand-derived backpropagation on digits", "lacv.cli._demo_nn:run"),
]


@dataclass
class DemoContext:
    """What a demo step gets: where to write, and the summary to add to."""

    out_dir: Path
    summary: list[str] = field(default_factory=list)
    quick: bool = False

    def echo(self, text: str = "") -> None:
        click.echo(text)

    def note(self, text: str) -> None:
        """Print ``text`` and add it to the summary."""
        click.echo(text)
        self.summary.append(text)


def _load(target: str) -> Callable[[DemoContext], None]:
    module_name, attr = target.split(":")
    return getattr(importlib.import_module(module_name), attr)


@click.command()
@click.option("-o", "--out", "out_dir", default="lacv-demo", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the demo's outputs (created if missing).")
@click.option("--quick", is_flag=True, help="Smaller problems, for a fast look.")
def demo(out_dir: Path, quick: bool) -> None:
    """Run every part of lacv on built-in example data and summarise what it found."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = DemoContext(out_dir=out_dir, quick=quick)
    started = time.perf_counter()
    for number, (title, target) in enumerate(STEPS, start=1):
        click.secho(f"\n[{number}/{len(STEPS)}] {title}", bold=True)
        ctx.summary.append(f"\n## {title}")
        _load(target)(ctx)
    elapsed = time.perf_counter() - started
    summary = "# lacv demo\n" + "\n".join(ctx.summary) + f"\n\nTotal time: {elapsed:.1f} s\n"
    path = atomic_write(out_dir / "summary.txt", lambda fh: fh.write(summary))
    click.echo(f"\nDone in {elapsed:.1f} s. Outputs and a summary are in {out_dir}/ "
               f"(summary: {path}).")
