"""Keypoints and matches: OpenCV SIFT or ORB, Lowe's ratio test, a mutual check.

OpenCV detects, describes and finds nearest neighbours; lacv filters the
matches and hands the matched points to its own estimators.

- Ratio test (Lowe 2004, "Distinctive Image Features from Scale-Invariant
  Keypoints", IJCV 60(2), §7.1): keep a match when the distance to the
  nearest descriptor is below ``ratio`` times the distance to the second
  nearest, :math:`d_1 < r\\, d_2`.
- Mutual check (cross-check): keep ``a -> b`` only when ``b``'s nearest
  neighbour in the first image is ``a``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from lacv._validate import check_choice, check_int, check_probability, describe
from lacv.errors import InputError
from lacv.imaging.io import to_gray_u8

__all__ = ["Features", "Matches", "detect_features", "match_descriptors", "match_features"]

METHODS = ("sift", "orb", "asift")

#: above this many descriptor pairs (n1 × n2) the nearest neighbours come from FLANN
_EXACT_SEARCH_LIMIT = 16_000_000


@dataclass(frozen=True)
class Features:
    """Keypoints of one image and their descriptors.

    Attributes
    ----------
    points : (N, 2) float64 ndarray
        Keypoint positions (x, y) in pixels.
    descriptors : (N, D) ndarray
        float32 (SIFT, D = 128) or uint8 (ORB, D = 32 bytes).
    sizes : (N,) float64 ndarray
        Keypoint diameters in pixels (the scale of the feature).
    method : str
        ``"sift"`` or ``"orb"``.
    image_shape : tuple of int
        ``(height, width)`` of the image.
    """

    points: np.ndarray
    descriptors: np.ndarray
    sizes: np.ndarray
    method: str
    image_shape: tuple[int, int]

    def __len__(self) -> int:
        return len(self.points)


@dataclass(frozen=True)
class Matches:
    """Matched points of two images, best first.

    Attributes
    ----------
    points1, points2 : (M, 2) float64 ndarray
        ``points1[k]`` in the first image matches ``points2[k]`` in the second.
    ratios : (M,) float64 ndarray
        Lowe's ratio :math:`d_1 / d_2` of each match (lower is more distinctive;
        0 when the second neighbour is missing).
    distances : (M,) float64 ndarray
        Descriptor distance of each match (L2 for SIFT, Hamming for ORB).
    index1, index2 : (M,) int ndarray
        Indices of the matched keypoints in each image's :class:`Features`.
    """

    points1: np.ndarray
    points2: np.ndarray
    ratios: np.ndarray
    distances: np.ndarray
    index1: np.ndarray
    index2: np.ndarray

    def __len__(self) -> int:
        return len(self.points1)


#: the most features OpenCV's detectors accept (their nfeatures is a C int)
_MAX_FEATURES = 2**31 - 1


def detect_features(image: Any, method: str = "sift", *, max_features: int = 4000,
                    mask: Any = None) -> Features:
    """Detect keypoints and compute descriptors with OpenCV.

    Parameters
    ----------
    image : (H, W) or (H, W, 3) array_like
        Grey or RGB, uint8, uint16 or float in [0, 1] (converted to 8-bit grey).
    method : {"sift", "orb", "asift"}
        SIFT (Lowe 2004; float descriptors, L2), ORB (Rublee et al. 2011;
        binary descriptors, Hamming), or affine-simulated SIFT (ASIFT, Morel &
        Yu 2009, "ASIFT: A New Framework for Fully Affine Invariant Image
        Comparison", SIAM J. Imaging Sciences 2(2); OpenCV's
        ``AffineFeature``): SIFT on the image seen under simulated tilts and
        rotations, for strong viewpoint changes, about 20× slower.
    max_features : int
        Keep at most this many keypoints (the strongest; for ASIFT, per
        simulated view).
    mask : (H, W) array_like of bool, optional
        Detect only where the mask is true.

    Returns
    -------
    Features
        Possibly empty (an image without texture has no keypoints).

    Examples
    --------
    >>> from lacv.imaging import panorama_scene
    >>> feats = detect_features(panorama_scene(3).images[1])
    >>> feats.points.shape[1], feats.descriptors.shape[1]
    (2, 128)
    """
    check_choice(method, "method", METHODS)
    check_int(max_features, "max_features", minimum=1)
    if max_features > _MAX_FEATURES:  # OpenCV takes a C int: beyond it, a raw OverflowError
        raise InputError(f"max_features: expected at most {_MAX_FEATURES}, got {max_features}")
    grey = to_gray_u8(image)
    cv_mask = None
    if mask is not None:
        m = np.asarray(mask)
        if m.shape != grey.shape:
            raise InputError(f"mask: expected shape {grey.shape}, got {describe(m)}")
        cv_mask = (m != 0).astype(np.uint8) * 255
    if method == "sift":
        detector = cv2.SIFT_create(nfeatures=max_features)
    elif method == "asift":
        detector = cv2.AffineFeature_create(cv2.SIFT_create(nfeatures=max_features))
    else:
        detector = cv2.ORB_create(nfeatures=max_features)
    keypoints, descriptors = detector.detectAndCompute(grey, cv_mask)
    n = len(keypoints)
    if n == 0 or descriptors is None:
        width = 32 if method == "orb" else 128
        dtype = np.uint8 if method == "orb" else np.float32
        return Features(np.zeros((0, 2)), np.zeros((0, width), dtype), np.zeros(0), method,
                        grey.shape[:2])
    points = cv2.KeyPoint_convert(keypoints).astype(np.float64).reshape(n, 2)
    sizes = np.array([kp.size for kp in keypoints], dtype=np.float64)
    return Features(points, descriptors, sizes, method, grey.shape[:2])


def match_descriptors(features1: Features, features2: Features, *, ratio: float = 0.8,
                      mutual: bool = True) -> Matches:
    """Match two sets of features: nearest neighbours, ratio test, optional mutual check.

    Parameters
    ----------
    features1, features2 : Features
        From :func:`detect_features` with the same method.
    ratio : float
        Lowe's ratio threshold in (0, 1]: keep :math:`d_1 < r\\, d_2`; 1 disables the test.
    mutual : bool
        Keep only matches that are also the nearest neighbour from the second
        image back to the first.

    Notes
    -----
    For float descriptors (SIFT) the search is exact up to 1.6·10⁷
    descriptor pairs (all squared distances from one ``cv2.gemm``), and
    approximate beyond (OpenCV's FLANN, four randomised k-d trees, 64 checks;
    Muja & Lowe 2009). Binary descriptors (ORB) use OpenCV's brute-force
    Hamming search.

    Returns
    -------
    Matches
        Sorted by ratio, best first; empty when nothing matches.
    """
    for name, f in (("features1", features1), ("features2", features2)):
        if not isinstance(f, Features):
            raise InputError(f"{name}: expected Features (from detect_features), "
                             f"got {describe(f)}")
    if features1.method != features2.method:
        raise InputError(f"features1 and features2 use different methods "
                         f"({features1.method!r} and {features2.method!r})")
    if not (isinstance(ratio, (int, float)) and ratio == 1.0):
        check_probability(ratio, "ratio")
    n1, n2 = len(features1), len(features2)
    if n1 == 0 or n2 == 0:
        return _empty_matches()
    binary = features1.method == "orb"
    d1_desc, d2_desc = features1.descriptors, features2.descriptors
    k = 2 if n2 >= 2 else 1
    back: np.ndarray | None = None
    if binary:
        # OpenCV's brute-force Hamming k-nearest-neighbour search, as arrays
        dist, nidx = cv2.batchDistance(d1_desc, d2_desc, cv2.CV_32S,
                                       normType=cv2.NORM_HAMMING, K=k)
        nn, nn_dist = nidx.astype(np.intp), dist.astype(np.float64)
        if mutual:
            back = cv2.batchDistance(d2_desc, d1_desc, cv2.CV_32S, normType=cv2.NORM_HAMMING,
                                     K=1)[1][:, 0].astype(np.intp)
    elif n1 * n2 <= _EXACT_SEARCH_LIMIT:
        nn, nn_dist, back = _exact_knn(d1_desc, d2_desc, k)
    else:
        # OpenCV's FLANN (randomised k-d trees): approximate, for large sets
        nn, nn_dist = _flann_knn(d1_desc, d2_desc, k)
        if mutual:
            back = _flann_knn(d2_desc, d1_desc, 1)[0][:, 0]
    i1 = np.arange(n1, dtype=np.intp)
    i2 = nn[:, 0]
    dist1 = nn_dist[:, 0]
    dist2 = nn_dist[:, 1] if k == 2 else np.full(n1, np.inf)
    keep = (i2 >= 0) & (dist1 < ratio * dist2)
    if ratio == 1.0:
        keep = i2 >= 0
    if mutual and back is not None:
        keep &= back[np.maximum(i2, 0)] == i1
    i1, i2, dist1, dist2 = i1[keep], i2[keep], dist1[keep], dist2[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(np.isfinite(dist2) & (dist2 > 0), dist1 / np.where(dist2 > 0, dist2, 1),
                          0.0)
    order = np.argsort(ratios, kind="stable")
    i1, i2 = i1[order], i2[order]
    return Matches(features1.points[i1], features2.points[i2], ratios[order], dist1[order],
                   i1, i2)


def match_features(image1: Any, image2: Any, method: str = "sift", *, ratio: float = 0.8,
                   mutual: bool = True, max_features: int = 4000) -> Matches:
    """Detect and match features of two images.

    Parameters
    ----------
    image1, image2 : (H, W) or (H, W, 3) array_like
    method : {"sift", "orb", "asift"}
    ratio : float
        Lowe's ratio threshold (0.8 as in Lowe 2004, §7.1).
    mutual : bool
        Keep only mutual nearest neighbours.
    max_features : int
        At most this many keypoints per image.

    Returns
    -------
    Matches
        ``points1`` in ``image1`` and ``points2`` in ``image2``, ``(M, 2)`` each.
    """
    f1 = detect_features(image1, method, max_features=max_features)
    f2 = detect_features(image2, method, max_features=max_features)
    return match_descriptors(f1, f2, ratio=ratio, mutual=mutual)


def _exact_knn(query: np.ndarray, train: np.ndarray, k: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact k nearest neighbours by L2, and each train descriptor's nearest query.

    All squared distances at once, ``‖a‖² + ‖b‖² − 2 a·b``, with the inner
    products from one OpenCV GEMM (``cv2.gemm``): an order of magnitude
    faster than a pairwise loop. Returns ``(idx (n, k), dist (n, k), back (m,))``.
    """
    a = np.ascontiguousarray(query, np.float32)
    b = np.ascontiguousarray(train, np.float32)
    d2 = cv2.gemm(a, b, -2.0, None, 0.0, flags=cv2.GEMM_2_T)  # −2 a·b, then in place
    d2 += np.einsum("ij,ij->i", a, a)[:, None]
    d2 += np.einsum("ij,ij->i", b, b)[None, :]
    np.maximum(d2, 0.0, out=d2)
    back = d2.argmin(axis=0).astype(np.intp)
    rows = np.arange(len(a))
    first = d2.argmin(axis=1)
    d_first = d2[rows, first].astype(np.float64)
    if k == 1:
        return first[:, None].astype(np.intp), np.sqrt(d_first)[:, None], back
    # the second nearest: hide the nearest and search again (faster than a partition)
    d2[rows, first] = np.inf
    second = d2.argmin(axis=1)
    d_second = d2[rows, second].astype(np.float64)
    idx = np.column_stack([first, second]).astype(np.intp)
    return idx, np.sqrt(np.column_stack([d_first, d_second])), back


def _flann_knn(query: np.ndarray, train: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k nearest neighbours (indices, L2 distances) by FLANN, ``(n, k)`` each; -1 where missing."""
    index_params = {"algorithm": 1, "trees": 4}  # FLANN_INDEX_KDTREE
    matcher = cv2.FlannBasedMatcher(index_params, {"checks": 64})
    knn = matcher.knnMatch(np.ascontiguousarray(query, np.float32),
                           np.ascontiguousarray(train, np.float32), k=k)
    idx = np.full((len(query), k), -1, np.intp)
    dist = np.full((len(query), k), np.inf)
    for row, found in enumerate(knn):
        for col, m in enumerate(found[:k]):
            idx[row, col] = m.trainIdx
            dist[row, col] = m.distance
    return idx, dist


def _empty_matches() -> Matches:
    empty = np.zeros((0, 2))
    none = np.zeros(0, dtype=np.intp)
    return Matches(empty, empty.copy(), np.zeros(0), np.zeros(0), none, none.copy())
