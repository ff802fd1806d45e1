r"""Compositing warped images: gain compensation, three blends, the largest valid rectangle.

- :func:`compensate_gains` — one gain per image so that overlaps agree in
  brightness (Brown & Lowe 2007, §6, eq. 29): minimise

  .. math:: e(g) = \sum_{i<j} N_{ij} \Big( \frac{(g_i \bar I_{ij} - g_j \bar I_{ji})^2}
            {\sigma_N^2} + \frac{(1 - g_i)^2 + (1 - g_j)^2}{\sigma_g^2} \Big),

  a linear least-squares problem in ``g`` solved with
  :func:`lacv.linalg.solve_least_squares` (``N_ij`` overlapping pixels,
  ``Ī_ij`` the mean intensity of image ``i`` there).
- :func:`blend` — ``"feather"``: every pixel is the average of the images
  covering it weighted by distance to each image's border (Szeliski 2006,
  "Image Alignment and Stitching", §6.2); ``"multiband"``: Burt & Adelson's
  Laplacian-pyramid blend (1983) of the images cut along the seams where the
  feathering weights cross, so low frequencies blend smoothly and fine detail
  stays sharp; ``"none"``: each image overwrites the ones before it.
- :func:`largest_valid_rectangle` — the largest axis-aligned rectangle of
  valid pixels (the maximal-rectangle algorithm over column histograms).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from lacv._validate import check_choice
from lacv.errors import InputError
from lacv.imaging.warp import Canvas, Warped

__all__ = ["BLENDS", "blend", "compensate_gains", "largest_valid_rectangle"]

BLENDS = ("feather", "multiband", "none")


def _intensity(image: np.ndarray) -> np.ndarray:
    """The mean of the channels, float32 (one matrix product instead of a reduction)."""
    if image.ndim != 3:
        return image
    third = np.full(image.shape[2], 1.0 / image.shape[2], np.float32)
    return image.astype(np.float32, copy=False) @ third


def compensate_gains(parts: Sequence[Warped], *, sigma_n: float = 4.0 / 255.0,
                     sigma_g: float = 0.1) -> np.ndarray:
    """One gain per warped image that equalises brightness over the overlaps.

    Parameters
    ----------
    parts : sequence of Warped
        Warped images on one canvas, pixel values in [0, 1] (float).
    sigma_n : float
        Standard deviation of the intensity error (in the images' units;
        4 grey levels of 255, tighter than Brown & Lowe's 10 so that the
        overlaps agree closely).
    sigma_g : float
        Standard deviation of the gains about 1 (the prior that keeps them
        from collapsing to 0).

    Returns
    -------
    (n,) ndarray
        The gains; all ones when no two images overlap.
    """
    from lacv.linalg import solve_least_squares

    n = len(parts)
    rows: list[np.ndarray] = []
    grey = [_intensity(p.image) for p in parts]  # once per image, not once per pair
    for i in range(n):
        for j in range(i + 1, n):
            a, b = parts[i], parts[j]
            x0, y0 = max(a.x, b.x), max(a.y, b.y)
            x1 = min(a.x + a.mask.shape[1], b.x + b.mask.shape[1])
            y1 = min(a.y + a.mask.shape[0], b.y + b.mask.shape[0])
            if x1 <= x0 or y1 <= y0:
                continue
            sa = (slice(y0 - a.y, y1 - a.y), slice(x0 - a.x, x1 - a.x))
            sb = (slice(y0 - b.y, y1 - b.y), slice(x0 - b.x, x1 - b.x))
            both = a.mask[sa] & b.mask[sb]
            count = int(both.sum())
            if count < 100:
                continue
            mean_a = float(grey[i][sa][both].sum(dtype=np.float64)) / count
            mean_b = float(grey[j][sb][both].sum(dtype=np.float64)) / count
            w = np.sqrt(count)
            row = np.zeros(n + 1)
            row[i], row[j] = w * mean_a / sigma_n, -w * mean_b / sigma_n
            rows.append(row)
            for k in (i, j):
                prior = np.zeros(n + 1)
                prior[k], prior[n] = w / sigma_g, w / sigma_g
                rows.append(prior)
    if not rows:
        return np.ones(n)
    system = np.array(rows)
    # images with no overlap keep gain 1 (a prior row of unit weight)
    for k in range(n):
        if not np.any(system[:, k]):
            row = np.zeros(n + 1)
            row[k] = row[n] = 1.0
            system = np.vstack([system, row])
    return solve_least_squares(system[:, :n], system[:, n]).x


def blend(parts: Sequence[Warped], canvas: Canvas, method: str = "feather", *,
          levels: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Composite warped images onto the canvas.

    Parameters
    ----------
    parts : sequence of Warped
        Float images (values in [0, 1]) with masks and feathering weights, in
        drawing order (the last is on top for ``"none"``).
    canvas : Canvas
    method : {"feather", "multiband", "none"}
    levels : int, optional
        Pyramid levels for ``"multiband"`` (default: by canvas size, at most 6).

    Returns
    -------
    image : (H, W) or (H, W, 3) float32 ndarray
        Zero where no image covers the canvas.
    mask : (H, W) bool ndarray
        Where some image covers the canvas.
    """
    check_choice(method, "blend", BLENDS)
    if not parts:
        raise InputError("parts: expected at least one warped image")
    extra = parts[0].image.shape[2:]
    out = np.zeros(canvas.shape + extra, np.float32)
    covered = np.zeros(canvas.shape, bool)
    if method == "none":
        for p in parts:
            region = _region(p)
            out[region][p.mask] = p.image[p.mask]
            covered[region] |= p.mask
        return out, covered
    wsum = np.zeros(canvas.shape, np.float32)
    for p in parts:
        region = _region(p)
        covered[region] |= p.mask
        wsum[region] += p.weight
    if method == "feather":
        for p in parts:
            out[_region(p)] += _times(p.image, p.weight)
        norm = np.where(wsum > 0, wsum, np.float32(1.0))
        if extra:
            # OpenCV's per-channel division (NumPy's broadcast over 3 channels is 4x slower)
            return cv2.divide(out, cv2.merge([norm] * out.shape[2])), covered
        out /= norm
        return out, covered
    return _multiband(parts, canvas, covered, levels), covered


def _times(image: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``image * weight`` for a grey or colour float32 image and a (h, w) weight."""
    if image.ndim == 2 or image.dtype != np.float32:
        return image * (weight if image.ndim == 2 else weight[:, :, np.newaxis])
    return cv2.multiply(image, cv2.merge([weight] * image.shape[2]))


def _region(p: Warped) -> tuple[slice, slice]:
    h, w = p.mask.shape
    return slice(p.y, p.y + h), slice(p.x, p.x + w)


def _multiband(parts: Sequence[Warped], canvas: Canvas, covered: np.ndarray,
               levels: int | None) -> np.ndarray:
    # seams: each canvas pixel goes to the image with the largest feathering weight
    best = np.full(canvas.shape, -1, np.int32)
    best_w = np.zeros(canvas.shape, np.float32)
    for k, p in enumerate(parts):
        region = _region(p)
        better = p.weight > best_w[region]
        best[region][better] = k
        best_w[region][better] = p.weight[better]
    if levels is None:
        levels = int(np.clip(np.log2(max(min(canvas.shape), 2)) - 3, 1, 6))
    # pad to a multiple of 2**levels so that pyrDown/pyrUp sizes round-trip
    step = 1 << levels
    H = -(-canvas.height // step) * step
    W = -(-canvas.width // step) * step
    extra = parts[0].image.shape[2:]
    acc = [np.zeros((H >> k, W >> k) + extra, np.float32) for k in range(levels + 1)]
    wacc = [np.zeros((H >> k, W >> k), np.float32) for k in range(levels + 1)]
    for k, p in enumerate(parts):
        region = _region(p)
        img = np.zeros((H, W) + extra, np.float32)
        seam = np.zeros((H, W), np.float32)
        img[region] = p.image
        seam[region] = (best[region] == k).astype(np.float32)
        # pyramids of the image times its seam mask, and of the mask (normalised at the end),
        # so that pixels outside an image never leak into the blend
        g_img = [img * seam[..., np.newaxis] if extra else img * seam]
        g_w = [seam]
        for _ in range(levels):
            g_img.append(cv2.pyrDown(g_img[-1]))
            g_w.append(cv2.pyrDown(g_w[-1]))
        for lev in range(levels + 1):
            if lev < levels:
                up = cv2.pyrUp(g_img[lev + 1], dstsize=g_img[lev].shape[1::-1])
                band = g_img[lev] - up
                up_w = cv2.pyrUp(g_w[lev + 1], dstsize=g_w[lev].shape[1::-1])
                band_w = g_w[lev] - up_w
            else:
                band, band_w = g_img[lev], g_w[lev]
            acc[lev] += band
            wacc[lev] += band_w
    # collapse: rebuild the weighted image and the weight, then divide
    img_sum = acc[levels]
    w_sum = wacc[levels]
    for lev in range(levels - 1, -1, -1):
        img_sum = cv2.pyrUp(img_sum, dstsize=acc[lev].shape[1::-1]) + acc[lev]
        w_sum = cv2.pyrUp(w_sum, dstsize=wacc[lev].shape[1::-1]) + wacc[lev]
    img_sum = img_sum[:canvas.height, :canvas.width]
    w_sum = w_sum[:canvas.height, :canvas.width]
    norm = np.where(w_sum > 1e-4, w_sum, 1.0)
    result = img_sum / (norm[..., np.newaxis] if extra else norm)
    result[~covered] = 0
    return np.clip(result, 0.0, 1.0).astype(np.float32)


def largest_valid_rectangle(mask: np.ndarray) -> tuple[int, int, int, int]:
    """The largest axis-aligned rectangle of true pixels, ``(x, y, width, height)``.

    The classic maximal-rectangle algorithm: for each row, the heights of the
    runs of true pixels ending there form a histogram whose largest rectangle
    is found with a stack, in ``O(H W)``.

    Raises
    ------
    InputError
        The mask has no true pixel.
    """
    m = np.asarray(mask, bool)
    if m.ndim != 2 or not m.any():
        raise InputError("mask: expected a 2-D mask with at least one valid pixel")
    h, w = m.shape
    heights = np.zeros(w + 1, np.int64)
    best = (0, 0, 0, 0)
    best_area = 0
    for row in range(h):
        heights[:w] = np.where(m[row], heights[:w] + 1, 0)
        stack: list[int] = []
        hrow = heights.tolist()
        for col in range(w + 1):
            while stack and hrow[stack[-1]] >= hrow[col]:
                top = stack.pop()
                height = hrow[top]
                left = stack[-1] + 1 if stack else 0
                area = height * (col - left)
                if area > best_area:
                    best_area = area
                    best = (left, row - height + 1, col - left, height)
            stack.append(col)
    return best
