r"""Panoramas from two or more images: match, estimate, chain, refine jointly, blend.

The pipeline of Brown & Lowe (2007), with lacv's own estimation:

1. Features in every image (OpenCV SIFT or ORB) and matches for every pair
   (or neighbouring pairs of a long sequence), Lowe's ratio test and a mutual
   check (:mod:`lacv.imaging.features`).
2. Each pair's transform by :func:`lacv.geometry.ransac`; a pair is kept when
   its inliers pass Brown & Lowe's verification, :math:`n_i > \alpha + \beta
   n_f` with :math:`\alpha = 8, \beta = 0.3` (``n_f`` matches), and
   ``n_i >= min_inliers``. RANSAC draws at most the samples that would find a
   model with that many inliers (miss probability 10⁻⁵), so pairs that do not
   overlap are rejected quickly.
3. The reference image is the centre of the maximum spanning tree of inlier
   counts (the image with the fewest hops to the farthest one); each other
   image is chained to it along the tree, :math:`T_c = T_p H_{c \to p}`.
4. All transforms are refined jointly by Levenberg–Marquardt over the
   inliers of *every* kept pair, loops included, on the symmetric transfer
   error, with the reference held at the identity
   (:mod:`lacv.imaging.adjust`), so the error of a long chain is spread over
   all pairs instead of accumulating. Homographies are refined as one
   rotating camera (``T_k = K R_k K⁻¹``, a shared focal length) when that
   explains the matches, as free homographies otherwise.
5. Gains equalise the exposure over the overlaps; the images are warped onto
   a canvas that holds them all and blended (:mod:`lacv.imaging.blend`).

References
----------
.. [1] M. Brown and D. G. Lowe, "Automatic Panoramic Image Stitching using
   Invariant Features", IJCV 74(1), 2007.
.. [2] R. Hartley and A. Zisserman, *Multiple View Geometry*, 2nd ed., 2003,
   §4.2.2, §A6.2.
.. [3] R. Szeliski, "Image Alignment and Stitching: A Tutorial", 2006, §5–6.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lacv._validate import as_rng, check_choice, check_int, check_threshold, describe
from lacv.errors import DegenerateError, EstimationError, InputError
from lacv.imaging.adjust import (
    Adjustment,
    FreeTransforms,
    RotatingCamera,
    adjust_transforms,
    focal_from_homography,
    normaliser,
    transfer_rms_px,
)
from lacv.imaging.blend import BLENDS, blend, compensate_gains, largest_valid_rectangle
from lacv.imaging.features import METHODS, Features, detect_features, match_descriptors
from lacv.imaging.io import as_image
from lacv.imaging.warp import canvas_bounds, warp_region

__all__ = ["PairMatch", "Panorama", "match_pairs", "register_pair", "stitch"]

#: Brown & Lowe's verification constants (n_inliers > ALPHA + BETA * n_matches)
ALPHA = 8.0
BETA = 0.3
#: "auto" matches every pair up to this many images, neighbours beyond
_ALL_PAIRS_UP_TO = 8


@dataclass(frozen=True)
class PairMatch:
    """The matching and estimation of one pair of images.

    Attributes
    ----------
    i, j : int
        The images (``i < j``).
    n_matches : int
        Matches after the ratio test and mutual check.
    n_inliers : int
        RANSAC inliers (0 when no model was found).
    inlier_rms_px : float
        RMS transfer error of the inliers in image ``j`` (NaN when no model).
    accepted : bool
        Whether the pair links the two images in the panorama.
    reason : str
        Why it was accepted or rejected.
    transform : Transform or None
        Maps image ``i`` to image ``j`` (None when no model was found).
    points_i, points_j : (M, 2) ndarray
        The matched points.
    inliers : (M,) bool ndarray
        RANSAC's inliers among them.
    """

    i: int
    j: int
    n_matches: int
    n_inliers: int
    inlier_rms_px: float
    accepted: bool
    reason: str
    transform: Any = field(repr=False)
    points_i: np.ndarray = field(repr=False)
    points_j: np.ndarray = field(repr=False)
    inliers: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class Panorama:
    """A stitched panorama and how it was made.

    Attributes
    ----------
    image : (H, W) or (H, W, 3) ndarray
        The panorama, dtype of the inputs; zero where no image covers it.
    mask : (H, W) bool ndarray
        Where some image covers the panorama.
    transforms : dict of int to Transform
        For each stitched input, the transform (of the requested family) that
        maps its pixels to panorama pixels, ``x' ~ T x``.
    pairs : tuple of PairMatch
        Every pair that was matched.
    order : tuple of int
        The stitched inputs: the reference first, then in the order the
        spanning tree reached them.
    reference : int
        The reference image (the centre of the spanning tree).
    tree : tuple of (int, int)
        The spanning tree's edges ``(child, parent)``.
    excluded : tuple of int
        Inputs left out (only with ``allow_partial=True``).
    chained_rms_px : float
        RMS symmetric transfer error over all kept pairs' inliers with the
        chained transforms (before joint refinement).
    refined_rms_px : float
        The same after joint refinement (equal when there was none).
    refine_iterations : int
        Levenberg–Marquardt iterations (0 when there was no refinement).
    camera : str
        The model of the joint refinement: ``"rotating"`` (one camera turning
        about its centre), ``"free"`` (every transform free in its family) or
        ``"none"`` (no refinement).
    focal_px : float or None
        The focal length found by the rotating-camera model.
    gains : dict of int to float
        Exposure gain applied to each stitched input.
    crop : tuple of int or None
        ``(x, y, width, height)`` of the crop taken from the full canvas, or
        None when not cropped.
    """

    image: np.ndarray
    mask: np.ndarray
    transforms: dict[int, Any]
    pairs: tuple[PairMatch, ...]
    order: tuple[int, ...]
    reference: int
    tree: tuple[tuple[int, int], ...]
    excluded: tuple[int, ...]
    chained_rms_px: float
    refined_rms_px: float
    refine_iterations: int
    camera: str
    focal_px: float | None
    gains: dict[int, float]
    crop: tuple[int, int, int, int] | None

    def accepted_pairs(self) -> tuple[PairMatch, ...]:
        """The pairs that link images of the panorama."""
        return tuple(p for p in self.pairs if p.accepted)


# --------------------------------------------------------------------------- matching


def _pair_list(n: int, pairs: str) -> list[tuple[int, int]]:
    if pairs == "all" or (pairs == "auto" and n <= _ALL_PAIRS_UP_TO):
        return [(i, j) for i in range(n) for j in range(i + 1, n)]
    # neighbours in the given order (a sequence): each image with the next two
    return [(i, j) for i in range(n) for j in (i + 1, i + 2) if j < n]


def match_pairs(images: Sequence[Any], model: Any = "homography", *, features: str = "sift",
                max_features: int = 4000, ratio: float = 0.8, mutual: bool = True,
                pairs: str = "auto", threshold_px: float = 3.0, min_inliers: int = 15,
                rng: np.random.Generator | int | None = 0,
                progress: Callable[[int, int], None] | None = None) -> list[PairMatch]:
    """Match and estimate every pair of images (steps 1 and 2 of :func:`stitch`).

    Parameters are those of :func:`stitch`.

    Returns
    -------
    list of PairMatch
        One per pair examined, accepted or not.
    """
    from lacv.geometry import transform_class

    cls = transform_class(model)
    check_choice(features, "features", METHODS)
    check_choice(pairs, "pairs", ("auto", "all", "neighbours"))
    check_threshold(threshold_px, "threshold_px")
    check_int(min_inliers, "min_inliers", minimum=cls.min_samples)
    gen = as_rng(rng)
    imgs = [as_image(im, f"images[{k}]") for k, im in enumerate(images)]
    feats = [_detect(im, features, max_features) for im in imgs]
    todo = _pair_list(len(imgs), pairs)
    results = []
    for done, (i, j) in enumerate(todo, start=1):
        results.append(_match_pair(feats, i, j, cls, ratio, mutual, threshold_px,
                                   min_inliers, gen))
        if progress is not None:
            progress(done, len(todo))
    return results


def _match_pair(feats: list[Features], i: int, j: int, cls: Any, ratio: float, mutual: bool,
                threshold_px: float, min_inliers: int, gen: np.random.Generator,
                bounded: bool = True) -> PairMatch:
    """Match and verify one pair; ``bounded``: RANSAC stops once the pair cannot be accepted.

    ``register_pair`` passes ``bounded=False``: it may return (and compare) the
    best model of a pair that fails the verification.
    """
    from lacv.geometry import ransac

    m = match_descriptors(feats[i], feats[j], ratio=ratio, mutual=mutual)
    n = len(m)
    none = np.zeros(n, bool)
    if n < max(min_inliers, cls.min_samples + 1):
        return PairMatch(i, j, n, 0, float("nan"), False,
                         f"too few matches ({n} < {max(min_inliers, cls.min_samples + 1)})",
                         None, m.points1, m.points2, none)
    needed = max(min_inliers, int(np.floor(ALPHA + BETA * n)) + 1)
    try:
        trials = _verification_trials(needed, n, cls.min_samples) if bounded else _MAX_TRIALS
        # Unbounded, the matches are ranked by Lowe's ratio (PROSAC tries the distinctive ones
        # first). The bounded verification keeps uniform samples: its trial bound guarantees
        # finding a model with the needed inliers wherever they are, which samples crowded onto
        # the best-ranked matches would not (a pair whose inliers rank low would be rejected).
        result = ransac(m.points1, m.points2, model=cls, threshold_px=threshold_px, rng=gen,
                        max_trials=trials, scores=None if bounded else -m.ratios)
    except (EstimationError, DegenerateError) as exc:
        return PairMatch(i, j, n, 0, float("nan"), False, f"no model: {exc}", None,
                         m.points1, m.points2, none)
    n_in = int(result.n_inliers)
    inliers = np.asarray(result.inliers, bool)
    accepted = n_in >= needed
    reason = (f"{n_in} inliers of {n} matches" if accepted else
              f"too few inliers ({n_in} of {n} matches; needs {needed})")
    return PairMatch(i, j, n, n_in, float(result.inlier_rms_px), accepted, reason,
                     result.model, m.points1, m.points2, inliers)


#: the chance of missing a model that has the inliers a pair needs (see _verification_trials)
_MISS_PROBABILITY = 1e-5
#: the fewest RANSAC trials of a verification (two of RANSAC's batches)
_MIN_TRIALS = 128
#: RANSAC's own cap on the trials
_MAX_TRIALS = 10_000


def _verification_trials(needed: int, n_matches: int, sample_size: int) -> int:
    r"""The RANSAC trials that find a model with ``needed`` of ``n_matches`` inliers if one exists.

    A pair is accepted only with at least ``needed`` inliers, i.e. an inlier
    ratio :math:`w \ge n_{needed} / n`. If such a model exists, ``k`` random
    minimal samples of size ``s`` all miss its inlier set with probability
    :math:`(1 - w^s)^k`; ``k = ⌈\log p / \log(1 - w^s)⌉`` makes that at most
    ``p = 10⁻⁵`` (Fischler & Bolles 1981; H&Z §4.7.1, eq. 4.18). More trials
    cannot turn a rejected pair into an accepted one, so a pair without
    overlap (few, random matches) stops there instead of running to RANSAC's
    cap of 10 000; a true pair stops much earlier on its own adaptive rule.
    """
    w = min(1.0, needed / max(n_matches, 1))
    p_good = w ** sample_size
    if p_good >= 1.0:
        return _MIN_TRIALS
    k = int(np.ceil(np.log(_MISS_PROBABILITY) / np.log1p(-p_good)))
    return int(np.clip(k, _MIN_TRIALS, _MAX_TRIALS))


def register_pair(image1: Any, image2: Any, model: Any = "homography", *,
                  features: str = "auto", max_features: int = 8000, ratio: float = 0.8,
                  mutual: bool = True, threshold_px: float = 3.0, min_inliers: int = 15,
                  weak_inliers: int = 50,
                  rng: np.random.Generator | int | None = 0) -> PairMatch:
    """Match two images and estimate the transform from the first to the second.

    Parameters
    ----------
    image1, image2 : (H, W) or (H, W, 3) array_like
    model : str or Transform class
        The family (default a homography).
    features : {"auto", "sift", "orb", "asift"}
        ``"auto"``: SIFT first, then affine-simulated SIFT (ASIFT, for strong
        viewpoint changes, much slower) when SIFT's result is weak — not
        verified, or fewer than ``weak_inliers`` inliers — keeping the result
        with more inliers. ASIFT runs on the images reduced to 1000 pixels on
        their longer side.
    max_features, ratio, mutual, threshold_px, min_inliers
        As in :func:`stitch`.
    weak_inliers : int
        Below this many inliers ``"auto"`` also tries ASIFT.
    rng : numpy.random.Generator, int or None

    Returns
    -------
    PairMatch
        With ``i = 0`` (``image1``) and ``j = 1``; ``transform`` maps
        ``image1`` to ``image2``.
    """
    from lacv.geometry import transform_class

    cls = transform_class(model)
    check_choice(features, "features", ("auto", *METHODS))
    check_threshold(threshold_px, "threshold_px")
    check_int(min_inliers, "min_inliers", minimum=cls.min_samples)
    check_int(weak_inliers, "weak_inliers", minimum=0)
    gen = as_rng(rng)
    imgs = [as_image(image1, "image1"), as_image(image2, "image2")]
    best = None
    for method in (("sift", "asift") if features == "auto" else (features,)):
        feats = [_detect(im, method, max_features) for im in imgs]
        result = _match_pair(feats, 0, 1, cls, ratio, mutual, threshold_px, min_inliers, gen,
                             bounded=False)
        if best is None or result.n_inliers > best.n_inliers:
            best = result
        if best.accepted and best.n_inliers >= weak_inliers:
            break
    assert best is not None
    return best


#: ASIFT runs on images reduced to at most this many pixels on the longer side
_ASIFT_MAX_SIDE = 1000


def _detect(image: np.ndarray, method: str, max_features: int) -> Features:
    """Features; ASIFT on a reduced image (its cost grows with ~40 simulated views)."""
    import cv2

    if method != "asift":
        return detect_features(image, method, max_features=max_features)
    # ~40 simulated views: the cap applies per view, so share it out
    max_features = max(200, max_features // 16)
    scale = _ASIFT_MAX_SIDE / max(image.shape[:2])
    if scale >= 1.0:
        return detect_features(image, method, max_features=max_features)
    small = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                       interpolation=cv2.INTER_AREA)
    sx = image.shape[1] / small.shape[1]
    sy = image.shape[0] / small.shape[0]
    f = detect_features(small, method, max_features=max_features)
    # pixel centres: x_full + 0.5 = (x_small + 0.5) * s
    points = (f.points + 0.5) * np.array([sx, sy]) - 0.5
    return Features(points, f.descriptors, f.sizes * (sx + sy) / 2.0, f.method,
                    image.shape[:2])


# --------------------------------------------------------------------------- the tree


def _components(n: int, accepted: list[PairMatch]) -> list[list[int]]:
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for p in accepted:
        parent[find(p.i)] = find(p.j)
    groups: dict[int, list[int]] = {}
    for k in range(n):
        groups.setdefault(find(k), []).append(k)
    return list(groups.values())


def _spanning_tree(nodes: list[int], accepted: list[PairMatch]) -> dict[int, list[tuple[int, Any]]]:
    """Kruskal's maximum spanning tree of inlier counts: adjacency with edge pairs."""
    parent = {k: k for k in nodes}

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    adjacency: dict[int, list[tuple[int, Any]]] = {k: [] for k in nodes}
    for p in sorted(accepted, key=lambda q: (-q.n_inliers, q.i, q.j)):
        if p.i not in parent or p.j not in parent:
            continue
        a, b = find(p.i), find(p.j)
        if a != b:
            parent[a] = b
            adjacency[p.i].append((p.j, p))
            adjacency[p.j].append((p.i, p))
    return adjacency


def _hops_from(start: int, adjacency: dict[int, list[tuple[int, Any]]]) -> dict[int, int]:
    hops = {start: 0}
    frontier = [start]
    while frontier:
        nxt = []
        for a in frontier:
            for b, _ in adjacency[a]:
                if b not in hops:
                    hops[b] = hops[a] + 1
                    nxt.append(b)
        frontier = nxt
    return hops


def _tree_centre(adjacency: dict[int, list[tuple[int, Any]]]) -> int:
    def key(k: int) -> tuple[int, int, int]:
        eccentricity = max(_hops_from(k, adjacency).values())
        strength = sum(p.n_inliers for _, p in adjacency[k])
        return eccentricity, -strength, k

    return min(adjacency, key=key)


def _chain(reference: int, adjacency: dict[int, list[tuple[int, Any]]]
           ) -> tuple[dict[int, np.ndarray], list[int], list[tuple[int, int]]]:
    """Transforms to the reference's frame along the tree (breadth first)."""
    transforms = {reference: np.eye(3)}
    order = [reference]
    edges = []
    frontier = [reference]
    while frontier:
        nxt = []
        for parent in frontier:
            for child, pair in adjacency[parent]:
                if child in transforms:
                    continue
                H = np.asarray(pair.transform.matrix, float)  # maps pair.i -> pair.j
                child_to_parent = H if pair.i == child else np.linalg.inv(H)
                T = transforms[parent] @ child_to_parent
                transforms[child] = T / _scale(T)
                order.append(child)
                edges.append((child, parent))
                nxt.append(child)
        frontier = nxt
    return transforms, order, edges


def _scale(T: np.ndarray) -> float:
    return float(T[2, 2]) if abs(T[2, 2]) > 1e-12 else float(np.linalg.norm(T))


# --------------------------------------------------------------------------- stitch


def _label(k: int, names: Sequence[str] | None) -> str:
    return f"{k} ({names[k]!r})" if names is not None else str(k)


def _as_float01(image: np.ndarray) -> np.ndarray:
    # in place on one float32 copy (no float64 or second full-size temporary)
    out = image.astype(np.float32)
    if image.dtype == np.uint8:
        out /= np.float32(255.0)
    elif image.dtype == np.uint16:
        out /= np.float32(65535.0)
    return out


def _from_float01(image: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype not in (np.uint8, np.uint16):
        return image.astype(np.float32)
    top = np.float32(255.0 if dtype == np.uint8 else 65535.0)
    scaled = image * top  # float32 throughout
    np.rint(scaled, out=scaled)
    np.clip(scaled, 0, top, out=scaled)
    return scaled.astype(dtype)


def stitch(images: Sequence[Any], model: Any = "homography", *, features: str = "sift",
           max_features: int = 4000, ratio: float = 0.8, mutual: bool = True,
           pairs: str = "auto", threshold_px: float = 3.0, min_inliers: int = 15,
           refine: bool = True, camera: str = "auto", blend_method: str = "feather",
           gain_compensation: bool = True,
           crop: bool = False, allow_partial: bool = False,
           names: Sequence[str] | None = None, rng: np.random.Generator | int | None = 0,
           progress: Callable[[int, int], None] | None = None) -> Panorama:
    """Stitch two or more overlapping images into a panorama.

    Parameters
    ----------
    images : sequence of (H, W) or (H, W, 3) array_like
        Grey or RGB, uint8 / uint16 / float in [0, 1]; any order.
    model : {"homography", "affine", "similarity", "euclidean", "translation"} or Transform class
        The family of every transform (a homography for a rotating camera or a
        planar scene; affine and below for scans and flat-bed captures).
    features : {"sift", "orb", "asift"}
        OpenCV's detector and descriptor; ASIFT (affine-simulated SIFT) for
        strong viewpoint changes, on images reduced to 1000 px, much slower.
    max_features : int
        Keypoints per image.
    ratio : float
        Lowe's ratio threshold.
    mutual : bool
        Keep only mutual nearest neighbours.
    pairs : {"auto", "all", "neighbours"}
        Which pairs to match: every pair, or each image with the next two of
        the sequence (``"auto"``: every pair up to 8 images).
    threshold_px : float
        RANSAC inlier threshold, in pixels.
    min_inliers : int
        The fewest inliers that link two images.
    refine : bool
        Refine all transforms jointly over every linked pair.
    camera : {"auto", "rotating", "free"}
        The model of the joint refinement of homographies: ``"rotating"``,
        one camera turning about its centre (``T_k = K R_k K⁻¹``, a shared
        focal length; see :mod:`lacv.imaging.adjust`); ``"free"``, eight free
        entries per homography (planar scenes, scans); ``"auto"`` keeps the
        rotating camera unless it fits the matches clearly worse than the
        chained free homographies (RMS over ``1.2 ×`` theirs ``+ 0.1 px``),
        and refines free homographies then. Other families are always
        refined ``"free"``.
    blend_method : {"feather", "multiband", "none"}
    gain_compensation : bool
        Equalise exposure between images.
    crop : bool
        Crop to the largest rectangle that every pixel of is covered.
    allow_partial : bool
        When some images connect to nothing, stitch the largest connected
        group and list the rest in :attr:`Panorama.excluded` instead of
        raising.
    names : sequence of str, optional
        Names of the images (file names) for error messages.
    rng : numpy.random.Generator, int or None
        Randomness of RANSAC.
    progress : callable ``(done, total)``, optional
        Called after each pair is matched.

    Returns
    -------
    Panorama

    Raises
    ------
    InputError
        Fewer than two images, or a bad image or option.
    EstimationError
        Some images connect to no other (named in the message; see
        ``allow_partial``), or no pair connects at all.
    DegenerateError
        The transforms send an image to infinity or make the canvas too large.

    Examples
    --------
    >>> from lacv.imaging import panorama_scene
    >>> pano = stitch(panorama_scene(3).images)
    >>> pano.reference, len(pano.transforms)
    (1, 3)
    """
    from lacv.geometry import transform_class

    if isinstance(images, np.ndarray) and images.ndim in (2, 3) and images.dtype != object:
        raise InputError(f"images: expected a sequence of images, got one image {describe(images)}")
    try:
        items = list(images)
    except TypeError:
        raise InputError(f"images: expected a sequence of images, got {describe(images)}") from None
    if len(items) < 2:
        raise InputError(f"images: expected at least two images to stitch, got {len(items)}")
    if names is not None and len(names) != len(items):
        raise InputError(f"names: expected {len(items)} names, got {len(names)}")
    cls = transform_class(model)
    check_choice(blend_method, "blend_method", BLENDS)
    check_choice(camera, "camera", ("auto", "rotating", "free"))
    if camera == "rotating" and cls.kind != "homography":
        raise InputError(f"camera: 'rotating' needs model='homography', got {cls.kind!r}")
    imgs = [as_image(im, f"images[{k}]") for k, im in enumerate(items)]
    colour = any(im.ndim == 3 for im in imgs)
    dtypes = {im.dtype for im in imgs}
    out_dtype = dtypes.pop() if len(dtypes) == 1 else np.dtype(np.float32)

    results = match_pairs(imgs, cls, features=features, max_features=max_features, ratio=ratio,
                          mutual=mutual, pairs=pairs, threshold_px=threshold_px,
                          min_inliers=min_inliers, rng=rng, progress=progress)
    accepted = [p for p in results if p.accepted]
    groups = _components(len(imgs), accepted)
    groups.sort(key=lambda g: (-len(g), -sum(p.n_inliers for p in accepted if p.i in g), g[0]))
    main = groups[0]
    if len(main) < 2:
        best = max(results, key=lambda p: p.n_inliers)
        raise EstimationError(
            f"no two images overlap enough to stitch: the best pair, {_label(best.i, names)} and "
            f"{_label(best.j, names)}, has {best.n_matches} matches and {best.n_inliers} "
            f"inliers ({best.reason})", stats={"pairs": [p.reason for p in results]})
    left_out = sorted(k for g in groups[1:] for k in g)
    if left_out and not allow_partial:
        details = []
        for k in left_out:
            mine = [p for p in results if k in (p.i, p.j)]
            top = max(mine, key=lambda p: p.n_inliers) if mine else None
            details.append(f"{_label(k, names)}" + (
                f" (best: {top.n_inliers} inliers with image "
                f"{top.j if top.i == k else top.i})" if top else ""))
        raise EstimationError(
            f"{len(left_out)} image(s) connect to none of the largest group "
            f"{sorted(main)}: " + ", ".join(details)
            + "; pass allow_partial=True (--partial) to stitch the largest group only",
            stats={"excluded": left_out})

    adjacency = _spanning_tree(main, accepted)
    reference = _tree_centre(adjacency)
    transforms, order, edges = _chain(reference, adjacency)
    links = [(p.i, p.j, p.points_i[p.inliers], p.points_j[p.inliers]) for p in accepted
             if p.i in transforms and p.j in transforms]
    chained_rms = transfer_rms_px(transforms, links)
    adjustment = None
    if refine:
        shapes = {k: imgs[k].shape for k in transforms}
        adjustment = _adjust(cls.kind, camera, reference, transforms, shapes, links,
                             chained_rms)
        transforms = adjustment.transforms

    canvas = canvas_bounds([imgs[k].shape for k in order], [transforms[k] for k in order])
    floats = {}
    for k in order:
        f = _as_float01(imgs[k])
        if colour and f.ndim == 2:
            f = np.repeat(f[:, :, np.newaxis], 3, axis=2)
        floats[k] = f
    parts = [warp_region(floats[k], transforms[k], canvas) for k in order]
    gains = np.ones(len(order))
    if gain_compensation and len(order) >= 2:
        gains = compensate_gains(parts)
        for p, g in zip(parts, gains, strict=True):
            np.multiply(p.image, np.float32(g), out=p.image)  # our own copies: in place
    # draw the reference last so that it is on top for blend "none"
    drawing = list(range(1, len(parts))) + [0]
    image, mask = blend([parts[k] for k in drawing], canvas, blend_method)
    crop_box = None
    final = {k: canvas.offset @ transforms[k] for k in order}
    if crop:
        crop_box = _crop_box(mask)
        x, y, w, h = crop_box
        image, mask = image[y:y + h, x:x + w], mask[y:y + h, x:x + w]
        shift = np.array([[1.0, 0, -x], [0, 1, -y], [0, 0, 1]])
        final = {k: shift @ T for k, T in final.items()}
    out = {k: _as_family(cls, final[k]) for k in order}
    return Panorama(
        image=_from_float01(image, out_dtype),
        mask=mask,
        transforms=out,
        pairs=tuple(results),
        order=tuple(order),
        reference=reference,
        tree=tuple(edges),
        excluded=tuple(left_out),
        chained_rms_px=chained_rms,
        refined_rms_px=adjustment.rms_after_px if adjustment else chained_rms,
        refine_iterations=adjustment.iterations if adjustment else 0,
        camera=adjustment.model if adjustment else "none",
        focal_px=adjustment.focal_px if adjustment else None,
        gains={k: float(g) for k, g in zip(order, gains, strict=True)},
        crop=crop_box,
    )


def _adjust(kind: str, camera: str, reference: int, transforms: dict[int, np.ndarray],
            shapes: dict[int, tuple[int, ...]], links: list[Any],
            chained_rms_px: float) -> Adjustment:
    """The joint refinement: the free family, the rotating camera, or (auto) the first that fits.

    ``"auto"`` tries the rotating camera first and keeps it when its RMS is at
    most ``1.2 ×`` the chained free transforms' ``+ 0.1 px`` (the free
    refinement can only lower the chained RMS, so this bounds how much worse
    the rotating camera fits); otherwise it refines the free family.
    """
    N = {k: normaliser(shapes[k]) for k in transforms}

    def free() -> Adjustment:
        return adjust_transforms(FreeTransforms(kind, reference, transforms, N), links)

    if camera == "free" or kind != "homography":
        return free()
    focal = _initial_focal(transforms, shapes, links)
    rotating = None
    if focal is not None:
        try:
            rotating = adjust_transforms(
                RotatingCamera(reference, transforms, shapes, N, focal), links)
        except (DegenerateError, np.linalg.LinAlgError):
            if camera == "rotating":
                raise
    if camera == "rotating":
        if rotating is None:
            raise EstimationError("camera='rotating': no focal length is consistent with the "
                                  "pairwise homographies (is the camera really rotating?)")
        return rotating
    if rotating is not None and rotating.rms_after_px <= 1.2 * chained_rms_px + 0.1:
        return rotating
    return free()


def _initial_focal(transforms: dict[int, np.ndarray], shapes: dict[int, tuple[int, ...]],
                   links: list[Any]) -> float | None:
    """The median focal length over the linked pairs' homographies (centred coordinates)."""
    focals = []
    for i, j, _, _ in links:
        Ci = _centring(shapes[i])
        Cj = _centring(shapes[j])
        # the homography i -> j implied by the chained transforms, in centred coordinates
        H = Cj @ np.linalg.inv(transforms[j]) @ transforms[i] @ np.linalg.inv(Ci)
        f = focal_from_homography(H)
        if f is not None and f > 0:
            focals.append(f)
    return float(np.median(focals)) if focals else None


def _centring(shape: tuple[int, ...]) -> np.ndarray:
    h, w = shape[:2]
    return np.array([[1.0, 0, -(w - 1) / 2.0], [0, 1.0, -(h - 1) / 2.0], [0, 0, 1.0]])


def _as_family(cls: Any, T: np.ndarray) -> Any:
    T = T / _scale(T)
    if cls.kind != "homography":
        T = T.copy()
        T[2] = (0.0, 0.0, 1.0)
    return cls.from_matrix(T)


def _crop_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    import cv2

    h, w = mask.shape
    factor = max(1, int(np.ceil(max(h, w) / 400)))
    if factor == 1:
        return largest_valid_rectangle(mask)
    # on a reduced mask (a reduced pixel is valid only when all its pixels are)
    small = cv2.resize(mask.astype(np.float32), (-(-w // factor), -(-h // factor)),
                       interpolation=cv2.INTER_AREA)
    x, y, cw, ch = largest_valid_rectangle(small >= 1.0 - 1e-6)
    x0, y0 = x * factor, y * factor
    x1, y1 = min((x + cw) * factor, w), min((y + ch) * factor, h)
    # shrink until every pixel is valid (the reduction may have rounded at the borders)
    while x1 > x0 and y1 > y0 and not mask[y0:y1, x0:x1].all():
        x0, y0, x1, y1 = x0 + 1, y0 + 1, x1 - 1, y1 - 1
    return x0, y0, x1 - x0, y1 - y0
