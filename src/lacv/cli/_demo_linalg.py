"""Demo step: the lecture's linear algebra on a line fit and a nearly degenerate system."""

from __future__ import annotations

import warnings

import numpy as np

from lacv import linalg
from lacv.cli.demo import DemoContext
from lacv.errors import IllConditionedWarning


def run(ctx: DemoContext) -> None:
    rng = np.random.default_rng(0)
    # A straight-line fit y = a + b t by least squares (the lecture's Ax = b).
    t = np.linspace(0.0, 10.0, 50)
    y = 1.5 + 0.8 * t + rng.normal(0.0, 0.3, t.size)
    A = np.column_stack([np.ones_like(t), t])
    fit = linalg.solve_least_squares(A, y)
    ctx.note(f"Line fit to 50 noisy points (truth a = 1.5, b = 0.8): "
             f"a = {fit.x[0]:.4f}, b = {fit.x[1]:.4f}, |Ax - b| = {fit.residual_norm:.4f}, "
             f"κ(A) = {fit.condition_number:.1f}")

    # Ax = 0: the plane through the origin containing noisy points, normal n.
    normal = np.array([1.0, -2.0, 2.0]) / 3.0
    basis = np.linalg.svd(normal[np.newaxis])[2][1:]
    pts = rng.normal(size=(40, 2)) @ basis + rng.normal(0.0, 0.01, (40, 3))
    hom = linalg.solve_homogeneous(pts)
    angle = np.degrees(np.arccos(min(1.0, abs(float(hom.x @ normal)))))
    ctx.note(f"Plane normal from Ax = 0 on 40 noisy points: {np.round(hom.x, 4)} "
             f"({angle:.3f}° from the truth), |Ax| = {hom.residual:.4f}")

    # The normal equations square the condition number: a polynomial fit shows it.
    s = np.linspace(0.0, 1.0, 30)
    V = np.vander(s, 10, increasing=True)
    truth = np.ones(10)
    b = V @ truth
    errors = {}
    for method in ("svd", "qr", "normal"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IllConditionedWarning)
            x = linalg.solve_least_squares(V, b, method=method).x
        errors[method] = float(np.max(np.abs(x - truth)))
    kappa = linalg.condition_number(V)
    ctx.note(f"Degree-9 polynomial fit, κ(A) = {kappa:.2e}: max error of x by "
             + ", ".join(f"{m} {e:.1e}" for m, e in errors.items())
             + "  (normal equations: κ² lost digits)")
    ctx.echo()
    ctx.echo(str(linalg.svd_report(V)))
