"""Reading and writing images: every format OpenCV decodes, clear errors, atomic writes.

Images are NumPy arrays in the layout of scikit-image and matplotlib: grey
``(H, W)`` or colour ``(H, W, 3)`` in **RGB** order, ``uint8`` or ``uint16``
(the depth of the file is kept). OpenCV stores colour as BGR; the conversion
happens here, once, so the rest of lacv never sees BGR.

Reading fails with an :class:`~lacv.errors.InputError` that names the file for
a missing file, a folder, a file that is not an image, a truncated or corrupt
image, and an image whose header announces more pixels than ``max_pixels``
(checked from the header, before anything is decoded). Writing goes to a
temporary file beside the destination that is renamed over it only once
complete, so no partial file is ever left, and it refuses to overwrite a file
this process has read as an input.
"""

from __future__ import annotations

import math
import numbers
import os
import struct
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from lacv._fileio import atomic_path, check_not_input
from lacv._validate import as_image, describe
from lacv.errors import InputError

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "as_image",
    "check_output",
    "read_image",
    "read_inputs",
    "to_gray_u8",
    "write_image",
]

#: the default limit on width × height for :func:`read_image` (100 megapixels)
DEFAULT_MAX_PIXELS = 100_000_000

#: the largest file :func:`read_image` loads into memory (2 GiB)
_MAX_FILE_BYTES = 2 << 30

def _new_file_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


#: permissions of a new file under the process's umask
_NEW_FILE_MODE = _new_file_mode()

#: resolved paths read by :func:`read_image` in this process (never overwritten)
_INPUTS: set[Path] = set()


def read_inputs() -> tuple[Path, ...]:
    """The files :func:`read_image` has read in this process (resolved paths)."""
    return tuple(sorted(_INPUTS))


def read_image(path: str | os.PathLike[str], *, grey: bool = False,
               max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Read an image file into an RGB (or grey) array, keeping its bit depth.

    Parameters
    ----------
    path : str or path-like
        Any format OpenCV decodes (PNG, JPEG, TIFF, BMP, WebP, PNM, ...).
    grey : bool
        Convert colour to grey (ITU-R BT.601 luma, OpenCV's weights).
    max_pixels : int
        Refuse images whose header announces more than ``max_pixels`` pixels
        (width × height), before decoding them.

    Returns
    -------
    image : (H, W) or (H, W, 3) ndarray of uint8 or uint16 (float32 for HDR formats)
        Colour in RGB order; an alpha channel is dropped.

    Raises
    ------
    InputError
        The file is missing, a folder, not an image, truncated or corrupt, or
        too large; the message names the file.
    """
    p = Path(_check_path(path))
    label = f"image {str(p)!r}"
    if not p.exists():
        raise InputError(f"{label}: no such file")
    if p.is_dir():
        raise InputError(f"{label}: is a folder, expected an image file")
    if not isinstance(max_pixels, int) or isinstance(max_pixels, bool) or max_pixels < 1:
        raise InputError(f"max_pixels: expected a positive integer, got {describe(max_pixels)}")
    size = p.stat().st_size
    if size == 0:
        raise InputError(f"{label}: the file is empty")
    if size > _MAX_FILE_BYTES:
        raise InputError(f"{label}: the file is {size / 2**30:.1f} GiB, too large to read safely")
    try:
        data = np.fromfile(p, dtype=np.uint8)
    except OSError as exc:
        raise InputError(f"{label}: cannot be read ({exc.strerror or exc})") from None
    head = data[:64].tobytes()
    if not cv2.haveImageReader(str(p)):
        raise InputError(f"{label}: not an image file OpenCV can decode "
                         f"(starts with {head[:8]!r})")
    dims = _header_dimensions(data.tobytes() if data.size < (1 << 20) else _prefix(p))
    if dims is not None and dims[0] * dims[1] > max_pixels:
        raise InputError(f"{label}: {dims[0]}×{dims[1]} = {dims[0] * dims[1]:,} pixels is more "
                         f"than max_pixels = {max_pixels:,}; refusing to decode it")
    if head.startswith(b"\xff\xd8") and not _jpeg_complete(data):
        raise InputError(f"{label}: truncated JPEG (no end-of-image marker)")
    try:
        image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    except cv2.error as exc:
        raise InputError(f"{label}: cannot be decoded ({_cv_message(exc)})") from None
    if image is None or image.size == 0:
        raise InputError(f"{label}: truncated or corrupt image (OpenCV could not decode it)")
    if dims is None and image.shape[0] * image.shape[1] > max_pixels:
        raise InputError(f"{label}: {image.shape[1]}×{image.shape[0]} pixels is more than "
                         f"max_pixels = {max_pixels:,}")
    image = _to_rgb(image)
    if grey and image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    _INPUTS.add(p.resolve())
    return np.ascontiguousarray(image)


def write_image(path: str | os.PathLike[str], image: Any, *,
                inputs: tuple[str | os.PathLike[str], ...] | list[Any] = (),
                quality: int = 95) -> Path:
    """Write an image atomically, in the format of the file's extension.

    The image is encoded into a temporary file in the destination folder and
    renamed onto ``path`` only once complete: an error leaves no partial file
    and an existing file untouched.

    Parameters
    ----------
    path : str or path-like
        The destination; its extension picks the format (``.png``, ``.jpg``, ...).
    image : (H, W) or (H, W, 3) array_like
        Grey or RGB; ``uint8`` or ``uint16`` (where the format allows), or
        float in [0, 1] (written as ``uint8``).
    inputs : sequence of path-like
        Files that must not be overwritten, in addition to every file
        :func:`read_image` has read in this process.
    quality : int
        JPEG / WebP quality, 1..100.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        ``path`` is an input, has no format OpenCV can write, its folder does
        not exist, or ``image`` is not an image.
    """
    dest = check_output(path, inputs)
    img = as_image(image, "image")
    if img.dtype.kind == "f":
        img = np.clip(np.rint(img * 255.0), 0, 255).astype(np.uint8)
    if img.dtype == np.uint16 and dest.suffix.lower() in (".jpg", ".jpeg", ".bmp", ".webp"):
        img = (img >> 8).astype(np.uint8)
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    # int() of None, 'abc', NaN or inf raised NumPy/Python errors before
    if isinstance(quality, bool) or not isinstance(quality, numbers.Real) \
            or not (math.isfinite(quality) and quality == int(quality) and 1 <= quality <= 100):
        raise InputError(f"quality: expected an integer in 1..100, got {describe(quality)}")
    quality = int(quality)
    suffix = dest.suffix.lower()
    params: list[int] = []
    if suffix in (".jpg", ".jpeg", ".jpe"):
        params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    elif suffix == ".webp":
        params = [cv2.IMWRITE_WEBP_QUALITY, quality]
    with atomic_path(dest) as tmp:
        try:
            ok = cv2.imwrite(str(tmp), img, params)
        except cv2.error as exc:
            raise InputError(f"output {str(dest)!r}: cannot be encoded "
                             f"({_cv_message(exc)})") from None
        if not ok:
            raise InputError(f"output {str(dest)!r}: OpenCV could not write the image")
        # mkstemp creates 0600 files; give the image the permissions of a normal new file
        os.chmod(tmp, _NEW_FILE_MODE)
    return dest


def _check_path(path: Any, name: str = "path") -> str | os.PathLike[str]:
    if not isinstance(path, (str, os.PathLike)) or (isinstance(path, str) and not path):
        raise InputError(f"{name}: expected a file path, got {describe(path)}")
    return path


def check_output(path: str | os.PathLike[str],
                 inputs: tuple[str | os.PathLike[str], ...] | list[Any] = ()) -> Path:
    """Check, before any work, that :func:`write_image` can write ``path``.

    Raises :class:`InputError` when ``path`` is an input (of ``inputs`` or
    read by :func:`read_image`), its format cannot be written, or its folder
    does not exist.
    """
    dest = Path(_check_path(path))
    check_not_input(dest, [*inputs, *_INPUTS], name=f"output {str(dest)!r}")
    if not cv2.haveImageWriter(str(dest)):
        raise InputError(f"output {str(dest)!r}: OpenCV cannot write the format "
                         f"{dest.suffix or '(no extension)'!r}; use .png, .jpg, .tif, ...")
    folder = dest.parent if str(dest.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"output {str(dest)!r}: the folder {str(folder)!r} does not exist")
    if dest.is_dir():
        raise InputError(f"output {str(dest)!r}: is a folder")
    return dest


def to_gray_u8(image: Any, name: str = "image") -> np.ndarray:
    """An 8-bit grey copy of an image (for feature detection).

    uint16 is scaled by 1/257 and float by 255 (assumed in [0, 1]).
    """
    img = as_image(image, name)
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    if img.dtype == np.uint16:
        return (img.astype(np.float32) / 257.0 + 0.5).astype(np.uint8)
    if img.dtype.kind == "f":
        return np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(img)


def _to_rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        if image.shape[2] == 1:
            return image[:, :, 0]
        if image.shape[2] == 4:
            return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
        if image.shape[2] == 3:
            return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        raise InputError(f"image: unsupported number of channels {image.shape[2]}")
    return image


def _prefix(path: Path, n: int = 1 << 20) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


def _header_dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, JPEG, BMP, GIF or PNM header; None for other formats."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if data.startswith(b"BM") and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(width), abs(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] in (b"P1", b"P2", b"P3", b"P4", b"P5", b"P6"):
        fields = []
        for line in data[2:256].split(b"\n"):
            fields += line.split(b"#", 1)[0].split()
            if len(fields) >= 2:
                break
        try:
            return int(fields[0]), int(fields[1])
        except (IndexError, ValueError):
            return None
    if data.startswith(b"\xff\xd8"):
        return _jpeg_dimensions(data)
    return None


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    # walk the marker segments to the first start-of-frame (SOF0..SOF15 but DHT, JPG, DAC)
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    return None


def _jpeg_complete(data: np.ndarray) -> bool:
    # the end-of-image marker FFD9, possibly followed by padding
    tail = data[-4096:].tobytes()
    return b"\xff\xd9" in tail


def _cv_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__
