"""Image files: exact round trips, shapes, atomic saves and errors naming the file."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import tifffile
from PIL import Image
from skimage.color import rgb2gray

from deepdenoise.data import images as images_module
from deepdenoise.data import list_image_files, load_folder, load_image, save_image

SHAPES = [(9, 13), (9, 13, 3)]


@pytest.mark.parametrize("suffix", [".png", ".tif", ".tiff"])
@pytest.mark.parametrize("shape", SHAPES)
def test_uint8_round_trip_is_exact(tmp_path, rng, suffix, shape):
    levels = rng.integers(0, 256, shape, dtype=np.uint8)
    path = save_image(tmp_path / f"image{suffix}", levels)
    image = load_image(path)
    assert image.dtype == np.float32 and image.shape == shape
    np.testing.assert_array_equal(np.rint(image * 255).astype(np.uint8), levels)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
@pytest.mark.parametrize("shape", SHAPES)
def test_uint16_round_trip_is_exact(tmp_path, rng, suffix, shape):
    levels = rng.integers(0, 65536, shape, dtype=np.uint16)
    path = save_image(tmp_path / f"image{suffix}", levels)
    image = load_image(path)
    assert image.dtype == np.float32 and image.shape == shape
    np.testing.assert_array_equal(np.rint(image * 65535).astype(np.uint16), levels)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_16bit_file_keeps_every_level(tmp_path, suffix):
    levels = np.arange(65536, dtype=np.uint16).reshape(256, 256)
    path = save_image(tmp_path / f"ramp{suffix}", levels)
    image = load_image(path)
    assert np.unique(image).size == 65536
    assert image.min() == 0.0 and image.max() == 1.0
    np.testing.assert_allclose(image, levels / 65535.0, atol=1e-7, rtol=0)


def test_16bit_tiff_written_by_tifffile_loads_to_unit_range(tmp_path, rng):
    levels = rng.integers(0, 65536, (12, 10), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "external.tif", levels)
    np.testing.assert_array_equal(
        np.rint(load_image(tmp_path / "external.tif") * 65535).astype(np.uint16), levels
    )


def test_planar_rgb_tiff_is_channels_last(tmp_path, rng):
    levels = rng.integers(0, 65536, (3, 8, 6), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "planar.tif", levels, photometric="rgb", planarconfig="separate")
    image = load_image(tmp_path / "planar.tif")
    assert image.shape == (8, 6, 3)
    np.testing.assert_array_equal(
        np.rint(image * 65535).astype(np.uint16), np.moveaxis(levels, 0, -1)
    )


def test_float_tiff_in_unit_range_is_kept(tmp_path, rng):
    values = rng.random((7, 5)).astype(np.float32)
    tifffile.imwrite(tmp_path / "float.tif", values)
    np.testing.assert_array_equal(load_image(tmp_path / "float.tif"), values)
    tifffile.imwrite(tmp_path / "wide.tif", values * 3)
    with pytest.raises(ValueError, match=r"wide\.tif"):
        load_image(tmp_path / "wide.tif")


def test_uint8_saved_as_16bit_scales_exactly(tmp_path, rng):
    levels = rng.integers(0, 256, (6, 6), dtype=np.uint8)
    path = save_image(tmp_path / "deep.png", levels, bit_depth=16)
    assert Image.open(path).mode.startswith("I;16")
    np.testing.assert_array_equal(load_image(path), levels / np.float32(255))


@pytest.mark.parametrize("shape", SHAPES)
def test_float_images_are_clipped_and_rounded(tmp_path, rng, shape):
    values = rng.uniform(-0.3, 1.3, shape).astype(np.float32)
    image = load_image(save_image(tmp_path / "float.png", values))
    expected = np.rint(np.clip(values, 0, 1) * 255) / 255
    np.testing.assert_allclose(image, expected, atol=1e-6)


def test_single_channel_axis_is_saved_as_gray(tmp_path, rng):
    values = rng.random((5, 4, 1))
    assert load_image(save_image(tmp_path / "one.png", values)).shape == (5, 4)


def test_jpeg_is_lossy_but_close(tmp_path, camera):
    for shape_image in [camera, np.stack([camera] * 3, axis=-1)]:
        path = save_image(tmp_path / "photo.jpg", shape_image, overwrite=True)
        image = load_image(path)
        assert image.shape == shape_image.shape
        assert np.abs(image - shape_image).mean() < 0.02


def test_as_gray_matches_skimage(tmp_path, rng):
    levels = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    path = save_image(tmp_path / "rgb.png", levels)
    gray = load_image(path, as_gray=True)
    assert gray.shape == (8, 8) and gray.dtype == np.float32
    np.testing.assert_allclose(gray, rgb2gray(levels / 255.0), atol=1e-6)
    gray_file = save_image(tmp_path / "gray.png", levels[..., 0])
    np.testing.assert_array_equal(load_image(gray_file, as_gray=True), load_image(gray_file))


def test_rgba_drops_alpha_with_warning(tmp_path, rng):
    rgba = rng.integers(0, 256, (6, 7, 4), dtype=np.uint8)
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    with pytest.warns(UserWarning, match=r"alpha\.png.*alpha"):
        image = load_image(tmp_path / "alpha.png")
    np.testing.assert_array_equal(np.rint(image * 255), rgba[..., :3])


def test_gray_alpha_drops_alpha_with_warning(tmp_path, rng):
    gray_alpha = rng.integers(0, 256, (6, 7, 2), dtype=np.uint8)
    Image.fromarray(gray_alpha).save(tmp_path / "la.png")
    with pytest.warns(UserWarning, match="alpha"):
        image = load_image(tmp_path / "la.png")
    np.testing.assert_array_equal(np.rint(image * 255), gray_alpha[..., 0])


def test_palette_image_loads_as_rgb(tmp_path, rng):
    levels = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    palette = Image.fromarray(levels).quantize(colors=8)
    palette.save(tmp_path / "palette.png")
    image = load_image(tmp_path / "palette.png")
    expected = np.asarray(palette.convert("RGB"))
    np.testing.assert_array_equal(np.rint(image * 255), expected)


def test_16bit_gray_png_from_pillow(tmp_path, rng):
    levels = rng.integers(0, 65536, (5, 9), dtype=np.uint16)
    Image.fromarray(levels).save(tmp_path / "g16.png")
    np.testing.assert_array_equal(
        np.rint(load_image(tmp_path / "g16.png") * 65535).astype(np.uint16), levels
    )


def test_save_refuses_to_overwrite(tmp_path):
    path = save_image(tmp_path / "keep.png", np.zeros((3, 3)))
    with pytest.raises(FileExistsError, match=r"keep\.png"):
        save_image(path, np.ones((3, 3)))
    assert load_image(path).max() == 0
    save_image(path, np.ones((3, 3)), overwrite=True)
    assert load_image(path).min() == 1


def test_save_leaves_no_temporary_file_and_respects_umask(tmp_path):
    save_image(tmp_path / "a.png", np.zeros((3, 3)))
    save_image(tmp_path / "a.png", np.ones((3, 3)), overwrite=True)
    assert sorted(os.listdir(tmp_path)) == ["a.png"]
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a.png").stat().st_mode & 0o777 == 0o666 & ~umask


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = save_image(tmp_path / "old.png", np.zeros((4, 4)))
    before = path.read_bytes()

    def broken_writer(handle, data, metadata):
        handle.write(b"\x89PNG half a file")
        raise RuntimeError("disk full")

    monkeypatch.setitem(images_module._WRITERS, ".png", broken_writer)
    with pytest.raises(RuntimeError, match="disk full"):
        save_image(path, np.ones((4, 4)), overwrite=True)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["old.png"]


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
def test_save_image_writes_icc_profile_and_exif(tmp_path, suffix):
    from PIL import Image, ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    exif = Image.Exif()
    exif[0x0110] = "Test camera"  # Model
    metadata = images_module.FileMetadata(icc_profile=icc, exif=exif.tobytes())
    path = save_image(tmp_path / f"tagged{suffix}", np.zeros((8, 8, 3)), metadata=metadata)
    with Image.open(path) as written:
        assert written.info.get("icc_profile") == icc
        assert written.getexif().get(0x0110) == "Test camera"
    plain = save_image(tmp_path / f"plain{suffix}", np.zeros((8, 8, 3)))
    with Image.open(plain) as written:
        assert not written.info.get("icc_profile") and 0x0110 not in written.getexif()


@pytest.mark.parametrize(
    ("name", "image", "kwargs", "error", "match"),
    [
        ("x.gif", np.zeros((3, 3)), {}, ValueError, "suffix"),
        ("x.png", np.zeros((3, 3, 4)), {}, ValueError, "image"),
        ("x.png", np.zeros((3, 3, 3, 3)), {}, ValueError, "image"),
        ("x.png", np.array([[0.0, np.nan]]), {}, ValueError, "image"),
        ("x.png", np.zeros((3, 3), dtype=np.int64), {}, TypeError, "image"),
        ("x.png", np.array([["a"]]), {}, TypeError, "image"),
        ("x.png", np.zeros((3, 3)), {"bit_depth": 12}, ValueError, "bit_depth"),
        ("x.jpg", np.zeros((3, 3)), {"bit_depth": 16}, ValueError, "bit_depth"),
        ("x.png", np.zeros((0, 3)), {}, ValueError, "image"),
    ],
)
def test_save_rejects_bad_input(tmp_path, name, image, kwargs, error, match):
    with pytest.raises(error, match=match):
        save_image(tmp_path / name, image, **kwargs)
    assert not (tmp_path / name).exists()


def test_save_into_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing"):
        save_image(tmp_path / "missing" / "x.png", np.zeros((2, 2)))


def _valid_png(tmp_path, rng, name="valid.png"):
    levels = rng.integers(0, 256, (64, 64), dtype=np.uint8)
    return save_image(tmp_path / name, levels)


def test_load_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nothing\.png"):
        load_image(tmp_path / "nothing.png")


def test_load_folder_as_image_fails(tmp_path):
    with pytest.raises(ValueError, match="not a file"):
        load_image(tmp_path)


def test_load_empty_file_names_it(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ValueError, match=r"empty\.png.*empty"):
        load_image(tmp_path / "empty.png")


@pytest.mark.parametrize("name", ["text.png", "text.jpg", "text.tif"])
def test_load_non_image_names_it(tmp_path, name):
    (tmp_path / name).write_text("this is not an image\n")
    with pytest.raises(ValueError, match=name.replace(".", r"\.")):
        load_image(tmp_path / name)


@pytest.mark.parametrize(
    ("name", "levels"),
    [
        ("cut8.png", np.arange(64 * 64).reshape(64, 64) % 251),
        ("cut16rgb.png", np.arange(32 * 32 * 3).reshape(32, 32, 3) * 61),
        ("cut.tif", np.arange(64 * 64).reshape(64, 64) % 251),
    ],
)
def test_truncated_file_is_detected(tmp_path, name, levels):
    dtype = np.uint16 if "16" in name else np.uint8
    path = save_image(tmp_path / name, levels.astype(dtype))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=name.replace(".", r"\.")):
        load_image(path)


def test_list_image_files_sorts_and_filters(tmp_path):
    for name in ["b.png", "a.TIF", "c.jpeg", ".hidden.png"]:
        save_image(tmp_path / name, np.zeros((2, 2)))
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "sub.png").mkdir()
    assert [path.name for path in list_image_files(tmp_path)] == ["a.TIF", "b.png", "c.jpeg"]


def test_load_folder_gray_and_rgb(tmp_path, rng):
    gray = rng.integers(0, 256, (5, 6), dtype=np.uint8)
    rgb = rng.integers(0, 256, (5, 6, 3), dtype=np.uint8)
    save_image(tmp_path / "2_rgb.png", rgb)
    save_image(tmp_path / "1_gray.png", gray)
    loaded = load_folder(tmp_path)
    assert [name for name, _ in loaded] == ["1_gray.png", "2_rgb.png"]
    assert [image.shape for _, image in loaded] == [(5, 6), (5, 6, 3)]
    assert all(image.dtype == np.float32 for _, image in loaded)
    assert [image.shape for _, image in load_folder(tmp_path, as_gray=True)] == [(5, 6)] * 2


def test_load_folder_errors_name_the_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "only_text").mkdir()
    (tmp_path / "only_text" / "a.txt").write_text("x")
    with pytest.raises(ValueError, match="empty"):
        load_folder(tmp_path / "empty")
    with pytest.raises(ValueError, match="only_text"):
        load_folder(tmp_path / "only_text")
    with pytest.raises(FileNotFoundError, match="absent"):
        load_folder(tmp_path / "absent")
    save_image(tmp_path / "file.png", np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"file\.png"):
        load_folder(tmp_path / "file.png")


def test_load_folder_names_the_bad_file(tmp_path, rng):
    _valid_png(tmp_path, rng, "a.png")
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"b\.png"):
            load_folder(tmp_path)


@pytest.mark.parametrize(
    ("name", "levels", "expected"),
    [
        ("gray8.png", np.zeros((3, 5), np.uint8), (5, 3, 8, 0)),
        ("gray16.png", np.zeros((3, 5), np.uint16), (5, 3, 16, 0)),
        ("rgb8.png", np.zeros((3, 5, 3), np.uint8), (5, 3, 8, 2)),
        ("rgb16.png", np.zeros((3, 5, 3), np.uint16), (5, 3, 16, 2)),
    ],
)
def test_png_header_and_bit_depth(tmp_path, name, levels, expected):
    path = save_image(tmp_path / name, levels)
    header = images_module.png_header(path)
    assert tuple(header) == expected
    assert (header.width, header.height) == (5, 3)
    assert images_module.image_bit_depth(path) == expected[2]


@pytest.mark.parametrize(
    ("name", "levels", "expected"),
    [
        ("a.tif", np.zeros((3, 5), np.uint8), 8),
        ("a.tiff", np.zeros((3, 5, 3), np.uint16), 16),
        ("a.jpg", np.zeros((3, 5), np.uint8), 8),
    ],
)
def test_bit_depth_of_other_files(tmp_path, name, levels, expected):
    path = save_image(tmp_path / name, levels)
    assert images_module.png_header(path) is None
    assert images_module.image_bit_depth(path) == expected


@pytest.mark.parametrize("name", ["junk.png", "junk.tif", "short.png"])
def test_bit_depth_of_an_unreadable_file_is_8(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" if name == "short.png" else b"not an image")
    assert images_module.png_header(path) is None
    assert images_module.image_bit_depth(path) == 8
    assert images_module.image_bit_depth(tmp_path / "missing.png") == 8


def test_float_tiff_counts_as_16_bit(tmp_path):
    path = tmp_path / "float.tif"
    tifffile.imwrite(path, np.zeros((3, 5), np.float32))
    assert images_module.image_bit_depth(path) == 16


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_unit_float_conversion_round_trips_every_level(dtype):
    from deepdenoise._dtypes import INTEGER_MAX, from_unit_float, to_unit_float

    top = INTEGER_MAX[np.dtype(dtype)]
    levels = np.arange(top + 1).astype(dtype)
    scaled = to_unit_float(levels)
    assert scaled.dtype == np.float32
    np.testing.assert_array_equal(scaled, levels.astype(np.float32) / np.float32(top))
    np.testing.assert_array_equal(from_unit_float(scaled, dtype), levels)


def test_from_unit_float_clips_rounds_and_refuses_other_types():
    from deepdenoise._dtypes import from_unit_float, to_unit_float

    values = np.array([-0.5, 0.0, 0.5 / 255, 1.5 / 255, 1.0, 2.0])
    np.testing.assert_array_equal(from_unit_float(values, np.uint8), [0, 0, 0, 2, 255, 255])
    floats = np.ones(3, np.float32)
    assert to_unit_float(floats) is floats  # no copy
    with pytest.raises(ValueError, match="uint8 or uint16"):
        from_unit_float(values, np.int32)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint32])
def test_ambiguous_integer_images_are_a_type_error_and_a_value_error(tmp_path, dtype):
    from deepdenoise._checks import ArgumentTypeError

    with pytest.raises(ArgumentTypeError, match="ambiguous"):
        save_image(tmp_path / "x.png", np.zeros((2, 2), dtype))
    assert not list(tmp_path.iterdir())
