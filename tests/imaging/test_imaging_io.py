"""read_image / write_image: round trips, bit depths, and every error path."""

from __future__ import annotations

import struct

import cv2
import numpy as np
import pytest

from lacv.errors import InputError
from lacv.imaging import read_image, write_image
from lacv.imaging.io import as_image, to_gray_u8


@pytest.fixture
def rgb() -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)


def test_png_round_trip_keeps_rgb_order(tmp_path, rgb):
    path = write_image(tmp_path / "a.png", rgb)
    back = read_image(path)
    assert back.dtype == np.uint8 and back.shape == rgb.shape
    np.testing.assert_array_equal(back, rgb)
    # on disk it is BGR, as every other program expects
    np.testing.assert_array_equal(cv2.imread(str(path))[:, :, ::-1], rgb)


def test_sixteen_bit_grey_and_colour_are_kept(tmp_path):
    grey = (np.arange(20 * 30, dtype=np.uint16).reshape(20, 30) * 97) % 65535
    colour = np.stack([grey, grey[::-1], 65535 - grey], axis=2).astype(np.uint16)
    for name, img in (("g.png", grey), ("c.tif", colour)):
        back = read_image(write_image(tmp_path / name, img))
        assert back.dtype == np.uint16
        np.testing.assert_array_equal(back, img)


def test_grey_option_and_jpeg(tmp_path, rgb):
    back = read_image(write_image(tmp_path / "a.jpg", rgb, quality=100), grey=True)
    assert back.shape == rgb.shape[:2] and back.dtype == np.uint8
    expected = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(int)
    assert np.abs(back.astype(int) - expected).mean() < 6


def test_alpha_channel_is_dropped(tmp_path, rgb):
    bgra = np.dstack([rgb[:, :, ::-1], np.full(rgb.shape[:2], 128, np.uint8)])
    cv2.imwrite(str(tmp_path / "a.png"), bgra)
    np.testing.assert_array_equal(read_image(tmp_path / "a.png"), rgb)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_image(tmp_path / "nothing.png")


def test_folder(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        read_image(tmp_path)


def test_empty_file(tmp_path):
    (tmp_path / "e.png").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_image(tmp_path / "e.png")


def test_not_an_image(tmp_path):
    (tmp_path / "notes.png").write_text("this is text, not a picture\n")
    with pytest.raises(InputError, match="not an image file"):
        read_image(tmp_path / "notes.png")


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_truncated_image(tmp_path, rgb, suffix):
    big = np.kron(rgb, np.ones((8, 8, 1), np.uint8))
    data = (write_image(tmp_path / f"full{suffix}", big)).read_bytes()
    (tmp_path / f"cut{suffix}").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        read_image(tmp_path / f"cut{suffix}")


def test_too_large_png_header_is_refused_before_decoding(tmp_path, rgb):
    data = bytearray(write_image(tmp_path / "small.png", rgb).read_bytes())
    data[16:24] = struct.pack(">II", 100_000, 100_000)  # IHDR width, height
    (tmp_path / "huge.png").write_bytes(bytes(data))
    with pytest.raises(InputError, match="max_pixels"):
        read_image(tmp_path / "huge.png")


def test_too_large_jpeg_header_and_max_pixels(tmp_path, rgb):
    path = write_image(tmp_path / "small.jpg", rgb)
    with pytest.raises(InputError, match="768 pixels is more than max_pixels"):
        read_image(path, max_pixels=500)
    assert read_image(path, max_pixels=768).shape == rgb.shape
    with pytest.raises(InputError, match="max_pixels"):
        read_image(path, max_pixels=0)


def test_write_refuses_to_overwrite_an_input(tmp_path, rgb):
    src = write_image(tmp_path / "in.png", rgb)
    before = src.read_bytes()
    read_image(src)
    with pytest.raises(InputError, match="refusing to overwrite the input"):
        write_image(src, rgb[::-1])
    assert src.read_bytes() == before
    other = write_image(tmp_path / "other.png", rgb)
    with pytest.raises(InputError, match="refusing to overwrite"):
        write_image(other, rgb, inputs=[other])


def test_write_leaves_no_partial_file_on_failure(tmp_path, rgb):
    with pytest.raises(InputError, match="cannot write the format"):
        write_image(tmp_path / "out.xyz", rgb)
    with pytest.raises(InputError, match="expected shape"):
        write_image(tmp_path / "out.png", np.zeros((5, 5, 7)))
    with pytest.raises(InputError, match="does not exist"):
        write_image(tmp_path / "no" / "out.png", rgb)
    # int(quality) raised ValueError / OverflowError / TypeError for these
    for quality in ("abc", float("nan"), float("inf"), None, 0, 101, 2.5):
        with pytest.raises(InputError, match="quality: expected an integer in 1..100"):
            write_image(tmp_path / "out.jpg", rgb, quality=quality)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert write_image(tmp_path / "q.jpg", rgb, quality=80.0).exists()


def test_paths_that_are_not_paths(tmp_path, rgb):
    # Path(None) raised a raw TypeError
    for path in (None, 3, b"x.png", ""):
        with pytest.raises(InputError, match="path: expected a file path"):
            read_image(path)
        with pytest.raises(InputError, match="path: expected a file path"):
            write_image(path, rgb)


def test_write_float_image_and_existing_file_replaced(tmp_path):
    img = np.linspace(0, 1, 12 * 10).reshape(12, 10)
    path = write_image(tmp_path / "f.png", 1 - img)
    write_image(path, img)  # an existing output (not an input) is replaced
    np.testing.assert_array_equal(read_image(path), np.rint(img * 255).astype(np.uint8))


def test_as_image_errors():
    with pytest.raises(InputError, match="read it with"):
        as_image("photo.png")
    with pytest.raises(InputError, match="finite"):
        as_image(np.full((4, 4), np.nan))
    with pytest.raises(InputError, match="2×2"):
        as_image(np.zeros((1, 5)))
    with pytest.raises(InputError, match="65535"):
        as_image(np.full((4, 4), -3))
    assert to_gray_u8(np.full((3, 3), 65535, np.uint16)).max() == 255
