"""``estimate_transform``: one entry point for the five families, plain or robust."""

from __future__ import annotations

from typing import Any

import numpy as np

from lacv._validate import check_threshold
from lacv.errors import InputError
from lacv.geometry.robust import RobustResult, ransac
from lacv.geometry.transforms import TRANSFORMS, transform_class

__all__ = ["KINDS", "estimate_transform"]

#: the family names ``estimate_transform`` accepts
KINDS: tuple[str, ...] = tuple(TRANSFORMS)

_PLAIN_OPTIONS = {"weights", "refine"}
_ROBUST_OPTIONS = {"threshold_px", "confidence", "max_trials", "rng", "local_optimization",
                   "refine", "batch_size", "preemptive_points", "min_inliers", "sigma_consensus",
                   "scores"}


def estimate_transform(kind: str, src: Any, dst: Any, robust: bool = False,
                       **options: Any) -> RobustResult:
    """Estimate a transform of family ``kind`` mapping ``src`` onto ``dst``.

    Parameters
    ----------
    kind : {"translation", "euclidean", "similarity", "affine", "homography"}
    src, dst : (N, 2) array_like
        Corresponding points.
    robust : bool
        ``False``: least squares on all points (``Transform.from_points``;
        options ``weights``, ``refine``). ``True``: :func:`lacv.geometry.ransac`
        (options ``threshold_px``, ``confidence``, ``max_trials``, ``rng``,
        ``local_optimization``, ``refine``, ``batch_size``,
        ``preemptive_points``, ``min_inliers``, ``sigma_consensus``, ``scores``).
    **options
        Passed on as above; an unknown option raises :class:`InputError`.

    Returns
    -------
    RobustResult
        The same type either way, so code can switch between the two: for
        ``robust=False`` every point is an inlier, ``n_trials`` is 0 and
        ``threshold_px`` is ``inf``.

    Raises
    ------
    InputError
        Unknown kind or option, bad points.
    DegenerateError
        (``robust=False``) the points do not determine the transform.
    EstimationError
        (``robust=True``) no model found.

    Examples
    --------
    >>> src = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> res = estimate_transform("similarity", src, 2.0 * src + 1.0)
    >>> res.model
    Similarity(scale=2, angle=0, translation=(1, 1))
    """
    cls = transform_class(kind)
    allowed = _ROBUST_OPTIONS if robust else _PLAIN_OPTIONS
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise InputError(f"options: {', '.join(map(repr, unknown))} not understood with "
                         f"robust={robust}; expected any of {sorted(allowed)}")
    if robust:
        if "threshold_px" in options:  # its square must stay a normal float64 (see check_threshold)
            check_threshold(options["threshold_px"], "threshold_px")
        return ransac(src, dst, cls, **options)
    model = cls.from_points(src, dst, options.get("weights"), refine=options.get("refine", False))
    resid = model.residuals(src, dst)
    n = resid.size
    rms = float(np.sqrt(np.mean(resid ** 2)))
    return RobustResult(model, np.ones(n, dtype=bool), n, 0, rms, resid, float("inf"), 1.0, 0,
                        "all points (not robust)", {})
