"""patch_dataset: the sampler's batches as tf.data; shapes, crops, noise, files, one pass."""

from __future__ import annotations

import itertools
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from deepdenoise.data import PatchSampler, dead_leaves, load_image, patch_dataset, save_image
from deepdenoise.data.sampler import image_patches, load_training_images


def _distinct_image(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """An image whose pixels all differ, so a patch's position can be found from its values."""
    return (
        (rng.permutation(height * width) / (height * width - 1))
        .astype(np.float32)
        .reshape(height, width)
    )


def _dihedral_variants(patch: np.ndarray) -> list[np.ndarray]:
    variants = []
    for quarter_turns in range(4):
        turned = np.rot90(patch, quarter_turns)
        variants += [turned, turned[:, ::-1]]
    return variants


def _crop_transform(patch: np.ndarray, images: list[np.ndarray]) -> int | None:
    """Index (0 = identity) of the flip/rotation that maps a crop of an image onto ``patch``."""
    size = patch.shape[0]
    for index, variant in enumerate(_dihedral_variants(patch)):
        for image in images:
            for y, x in np.argwhere(image == variant[0, 0]):
                window = image[y : y + size, x : x + size]
                if window.shape == variant.shape and np.array_equal(window, variant):
                    return index
    return None


def _first(dataset):
    return next(iter(dataset))


@pytest.mark.parametrize(
    ("shape", "channels", "patch_size", "noise_map"),
    [
        ((3, 24, 30), 1, 8, False),
        ((3, 24, 30), 1, 24, True),
        ((2, 24, 30, 3), 3, 8, True),
        ((2, 24, 30, 3), 3, 24, False),
    ],
)
def test_shapes_and_element_spec(rng, shape, channels, patch_size, noise_map):
    images = rng.random(shape, dtype=np.float32)
    dataset = patch_dataset(
        images, patch_size=patch_size, batch_size=5, noise_map=noise_map, seed=0
    )
    expected = (5, patch_size, patch_size, channels)
    element = _first(dataset)
    if noise_map:
        (noisy, sigma_map), clean = element
        assert tuple(sigma_map.shape) == (*expected[:3], 1)
        assert tuple(dataset.element_spec[0][1].shape) == (*expected[:3], 1)
    else:
        noisy, clean = element
    assert tuple(noisy.shape) == tuple(clean.shape) == expected
    assert noisy.dtype == clean.dtype == tf.float32
    spec = dataset.element_spec[0][0] if noise_map else dataset.element_spec[0]
    assert tuple(spec.shape) == expected
    one_pass = patch_dataset(images, patch_size=patch_size, batch_size=5, repeat=False, seed=0)
    assert tuple(one_pass.element_spec[0].shape) == (None, *expected[1:])


@pytest.mark.parametrize("augment", [False, True])
def test_clean_patches_are_exact_crops(rng, augment):
    images = np.stack([_distinct_image(rng, 20, 26) for _ in range(3)])
    dataset = patch_dataset(
        images, patch_size=9, batch_size=16, augment=augment, seed=1, patches_per_image=4
    )
    transforms = []
    for _, clean in itertools.islice(dataset, 4):
        for patch in clean.numpy()[..., 0]:
            index = _crop_transform(patch, list(images))
            assert index is not None, "a clean patch is not a (flipped/rotated) crop"
            transforms.append(index)
    if augment:
        assert len(set(transforms)) > 4, "augmentation should use many of the 8 transforms"
    else:
        assert set(transforms) == {0}


@pytest.mark.parametrize("sigma", [5, 25, 50])
def test_noise_std_matches_sigma(sigma):
    images = np.full((2, 48, 48), 0.5, np.float32)
    noisy, clean = _first(patch_dataset(images, patch_size=32, batch_size=32, sigma=sigma, seed=2))
    residual = (noisy - clean).numpy()
    assert abs(residual.std() * 255 / sigma - 1) < 0.03
    assert abs(residual.mean()) < 0.1 * sigma / 255
    np.testing.assert_array_equal(clean.numpy(), 0.5)


def test_noise_is_not_clipped(rng):
    images = np.zeros((2, 16, 16), np.float32)
    noisy, _ = _first(patch_dataset(images, patch_size=16, batch_size=4, sigma=50, seed=0))
    assert noisy.numpy().min() < 0


def test_sigma_range_draws_one_level_per_patch():
    images = np.full((4, 40, 40), 0.5, np.float32)
    dataset = patch_dataset(
        images, patch_size=40, batch_size=64, sigma=(10, 50), noise_map=True, seed=3
    )
    (noisy, sigma_map), clean = _first(dataset)
    maps = sigma_map.numpy()
    levels = maps[:, 0, 0, 0] * 255
    assert np.all(maps == maps[:, :1, :1, :]), "the map is constant over each patch"
    assert levels.min() >= 10 and levels.max() <= 50
    assert levels.max() - levels.min() > 20, "levels should spread over the range"
    measured = (noisy - clean).numpy().std(axis=(1, 2, 3)) * 255
    np.testing.assert_allclose(measured, levels, rtol=0.1)


def test_fixed_sigma_map_value():
    images = np.full((2, 16, 16), 0.5, np.float32)
    dataset = patch_dataset(images, patch_size=8, batch_size=4, sigma=15, noise_map=True)
    (_, sigma_map), _ = _first(dataset)
    np.testing.assert_allclose(sigma_map.numpy(), 15 / 255, rtol=1e-6)


def _batches_equal(first, second) -> bool:
    flat_a, flat_b = tf.nest.flatten(first), tf.nest.flatten(second)
    return all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(flat_a, flat_b, strict=True))


def _assert_same_arrays(element, expected) -> None:
    """A dataset element holds exactly the NumPy arrays ``expected``, same structure and bits."""
    tf.nest.assert_same_structure(element, expected)
    for tensor, array in zip(tf.nest.flatten(element), tf.nest.flatten(expected), strict=True):
        assert tensor.dtype == tf.float32 and array.dtype == np.float32
        assert tensor.shape == array.shape
        # bit for bit: equal bytes, not only equal values
        assert tensor.numpy().tobytes() == np.ascontiguousarray(array).tobytes()


@pytest.mark.parametrize("noise_map", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_batches_are_the_sampler_batches_bit_for_bit(rng, noise_map, dtype):
    images = rng.random((5, 30, 34), dtype=np.float32)
    if dtype == np.uint8:
        images = (images * 255).astype(np.uint8)
    options = {
        "patch_size": 12,
        "batch_size": 6,
        "sigma": (0, 55),
        "noise_map": noise_map,
        "patches_per_image": 4,
        "clipped_fraction": 0.5,
    }
    dataset = patch_dataset(images, seed=11, **options)
    sampler = PatchSampler(images, seed=11, steps=3, **options)
    elements = list(itertools.islice(dataset, 3))
    for k, element in enumerate(elements):
        _assert_same_arrays(element, sampler.batch(k))
    assert not _batches_equal(elements[0], elements[1])


def test_files_give_the_sampler_batches(data_dir):
    files = sorted((data_dir / "set12").glob("*.png"))[:3]
    dataset = patch_dataset(files, patch_size=32, batch_size=8, sigma=(5, 50), seed=3)
    images = load_training_images(files)
    sampler = PatchSampler(images, patch_size=32, batch_size=8, sigma=(5, 50), seed=3, steps=2)
    for k, element in enumerate(itertools.islice(dataset, 2)):
        _assert_same_arrays(element, sampler.batch(k))


@pytest.mark.parametrize("noise_map", [False, True])
def test_one_pass_gives_image_patches_in_batches(rng, noise_map):
    images = rng.random((5, 20, 20), dtype=np.float32)
    options = {"patch_size": 8, "patches_per_image": 3, "sigma": (5, 30), "noise_map": noise_map}
    dataset = patch_dataset(images, batch_size=4, repeat=False, seed=5, **options)
    arrays = image_patches(images, seed=5, **options)
    elements = list(dataset)
    assert len(elements) == 4  # 15 patches in batches of 4
    for k, element in enumerate(elements):
        part = slice(4 * k, 4 * k + 4)
        _assert_same_arrays(element, tf.nest.map_structure(lambda a, p=part: a[p], arrays))
    again = list(dataset)  # a second pass is the same pass
    assert all(_batches_equal(a, b) for a, b in zip(elements, again, strict=True))


def test_clipped_fraction_one_gives_8_bit_values_in_0_1(rng):
    images = rng.random((3, 24, 24), dtype=np.float32)
    noisy, clean = _first(
        patch_dataset(images, patch_size=16, batch_size=8, sigma=50, clipped_fraction=1, seed=0)
    )
    values = noisy.numpy().astype(np.float64)
    assert values.min() >= 0 and values.max() <= 1
    assert values.min() == 0 and values.max() == 1, "sigma 50 on [0, 1] images must clip"
    levels = np.rint(values * 255)
    assert np.abs(values * 255 - levels).max() < 1e-3  # on the grid k / 255
    np.testing.assert_array_equal(noisy.numpy(), (levels / 255).astype(np.float32))
    assert not np.array_equal(noisy.numpy(), clean.numpy())
    unclipped, _ = _first(patch_dataset(images, patch_size=16, batch_size=8, sigma=50, seed=0))
    assert unclipped.numpy().min() < 0  # without clipped_fraction the noise is not clipped


def test_shuffle_buffer_is_deprecated_and_ignored(rng):
    images = rng.random((3, 16, 16), dtype=np.float32)
    with pytest.warns(DeprecationWarning, match=r"shuffle_buffer.*ignored.*next release"):
        with_buffer = patch_dataset(images, patch_size=8, batch_size=4, shuffle_buffer=64, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning without it
        plain = patch_dataset(images, patch_size=8, batch_size=4, seed=0)
    assert _batches_equal(_first(with_buffer), _first(plain))


def test_generator_and_none_seeds(rng):
    images = rng.random((4, 16, 16), dtype=np.float32)

    def first(seed):
        return _first(patch_dataset(images, patch_size=8, batch_size=4, seed=seed))

    assert _batches_equal(first(np.random.default_rng(1)), first(np.random.default_rng(1)))
    assert not _batches_equal(first(np.random.default_rng(1)), first(np.random.default_rng(2)))
    assert not _batches_equal(first(None), first(None))


@pytest.mark.parametrize("noise_map", [False, True])
def test_same_seed_same_batches_from_arrays(rng, noise_map):
    images = rng.random((5, 30, 30), dtype=np.float32)

    def build(seed):
        return patch_dataset(
            images, patch_size=12, batch_size=8, sigma=(0, 55), seed=seed, noise_map=noise_map
        )

    first = list(itertools.islice(build(7), 3))
    again = list(itertools.islice(build(7), 3))
    other = _first(build(8))
    assert all(_batches_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not _batches_equal(first[0], other)


def test_same_seed_same_first_batch_from_files(data_dir):
    files = sorted((data_dir / "set12").glob("*.png"))[:4]

    def build(seed):
        return patch_dataset(files, patch_size=32, batch_size=8, seed=seed)

    assert _batches_equal(_first(build(0)), _first(build(0)))
    assert not _batches_equal(_first(build(0)), _first(build(1)))


def test_reads_a_folder_with_8_and_16_bit_png_and_tiff(tmp_path, rng):
    levels16 = rng.permutation(20 * 22).astype(np.uint16).reshape(20, 22) * 97
    save_image(tmp_path / "a16.png", levels16)
    save_image(tmp_path / "b16.tif", levels16[::-1].copy())
    save_image(tmp_path / "c8.png", rng.integers(0, 256, (20, 22), dtype=np.uint8))
    loaded = [load_image(path) for path in sorted(tmp_path.iterdir())]
    dataset = patch_dataset(tmp_path, patch_size=7, batch_size=12, augment=False, seed=4)
    sources = set()
    for _, clean in itertools.islice(dataset, 3):
        for patch in clean.numpy()[..., 0]:
            matches = [
                index for index, image in enumerate(loaded) if _crop_transform(patch, [image]) == 0
            ]
            assert matches, "each clean patch is an exact crop of one of the files"
            sources.update(matches)
    assert {0, 1} <= sources, "both the 16-bit PNG and the TIFF were used"


def _whole_image_patch(path, channels):
    """The clean patch of a dataset whose patch is the whole (square) image."""
    size = load_image(path).shape[0]
    dataset = patch_dataset(
        [path], patch_size=size, batch_size=1, augment=False, channels=channels
    )
    return _first(dataset)[1].numpy()[0]


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
def test_colour_conversion_matches_load_image(tmp_path, rng, suffix):
    rgb = save_image(tmp_path / f"rgb{suffix}", rng.integers(0, 256, (12, 12, 3), dtype=np.uint8))
    gray = save_image(tmp_path / f"gray{suffix}", rng.integers(0, 256, (12, 12), dtype=np.uint8))
    # The files are read by load_image itself: the patches are its values exactly.
    np.testing.assert_array_equal(
        _whole_image_patch(rgb, 1)[..., 0], load_image(rgb, as_gray=True)
    )
    np.testing.assert_array_equal(_whole_image_patch(rgb, 3), load_image(rgb))
    repeated = np.repeat(load_image(gray)[..., np.newaxis], 3, axis=-1)
    np.testing.assert_array_equal(_whole_image_patch(gray, 3), repeated)
    np.testing.assert_array_equal(_whole_image_patch(gray, 1)[..., 0], load_image(gray))


def test_alpha_is_dropped_with_a_warning(tmp_path, rng):
    rgba = rng.integers(0, 256, (10, 10, 4), dtype=np.uint8)
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    with pytest.warns(UserWarning, match=r"rgba\.png.*alpha"):
        dataset = patch_dataset(tmp_path, patch_size=10, batch_size=1, augment=False, channels=3)
    np.testing.assert_array_equal(np.rint(_first(dataset)[1].numpy()[0] * 255), rgba[..., :3])


def test_bmp_files_are_read(tmp_path, rng):
    levels = rng.integers(0, 256, (10, 10), dtype=np.uint8)
    Image.fromarray(levels).save(tmp_path / "gray.bmp")
    patch = _whole_image_patch(tmp_path / "gray.bmp", 1)[..., 0]
    np.testing.assert_array_equal(np.rint(patch * 255), levels)


def test_one_pass_covers_every_patch_once(rng):
    values = rng.permutation(5 * 16 * 16).astype(np.float32) / (5 * 16 * 16 - 1)
    images = values.reshape(5, 16, 16)  # no pixel value occurs twice
    dataset = patch_dataset(
        images, patch_size=8, batch_size=6, patches_per_image=3, repeat=False, seed=0
    )
    sizes, sources = [], []
    for _, clean in dataset:
        sizes.append(clean.shape[0])
        for patch in clean.numpy()[..., 0]:
            found = [i for i, im in enumerate(images) if _crop_transform(patch, [im]) is not None]
            assert len(found) == 1, "each patch is a crop of exactly one image"
            sources += found
    assert sizes == [6, 6, 3]
    assert sources == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]


def test_uint8_array_is_scaled(rng):
    levels = rng.integers(0, 256, (2, 16, 16), dtype=np.uint8)
    _, clean = _first(patch_dataset(levels, patch_size=16, batch_size=2, augment=False))
    assert np.all(np.isin(np.rint(clean.numpy() * 255), levels))
    assert clean.numpy().max() <= 1.0


def test_dead_leaves_stack_as_source():
    stack = np.stack([dead_leaves(32, seed=i) for i in range(3)])
    _, clean = _first(patch_dataset(stack, patch_size=16, batch_size=4, seed=0))
    assert tuple(clean.shape) == (4, 16, 16, 1)
    assert 0 <= clean.numpy().min() and clean.numpy().max() <= 1


def test_keras_trains_on_it(rng):
    images = rng.random((2, 16, 16), dtype=np.float32)
    model = keras.Sequential(
        [keras.Input((None, None, 1)), keras.layers.Conv2D(1, 3, padding="same")]
    )
    model.compile(optimizer="adam", loss="mse")
    dataset = patch_dataset(images, patch_size=8, batch_size=4, seed=0)
    history = model.fit(dataset, epochs=1, steps_per_epoch=2, verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"][-1])


def test_patch_larger_than_image_is_rejected(rng, tmp_path):
    with pytest.raises(ValueError, match="patch_size"):
        patch_dataset(rng.random((2, 16, 20), dtype=np.float32), patch_size=17)
    save_image(tmp_path / "big.png", np.zeros((40, 40)))
    save_image(tmp_path / "small.png", np.zeros((12, 30)))
    with pytest.raises(ValueError, match=r"patch_size.*small\.png"):
        patch_dataset(tmp_path, patch_size=16)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"patch_size": 0}, "patch_size"),
        ({"batch_size": -1}, "batch_size"),
        ({"patches_per_image": 0}, "patches_per_image"),
        ({"sigma": 300}, "sigma"),
        ({"sigma": 0}, "sigma"),
        ({"sigma": (30, 10)}, "sigma"),
        ({"sigma": (1, 2, 3)}, "sigma"),
        ({"channels": 2}, "channels"),
        ({"channels": 3}, "channels"),
        ({"clipped_fraction": 1.5}, "clipped_fraction"),
        ({"clipped_fraction": -0.1, "repeat": False}, "clipped_fraction"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"seed": -1, "repeat": False}, "seed"),
        ({"patches_per_image": 0, "repeat": False}, "patches_per_image"),
    ],
)
def test_bad_arguments(rng, kwargs, match):
    with pytest.raises(ValueError, match=match):
        patch_dataset(rng.random((2, 16, 16), dtype=np.float32), **kwargs)


@pytest.mark.parametrize(
    "source",
    [np.zeros((16, 16)), np.full((2, 16, 16), 2.0), np.full((2, 16, 16), np.nan)],
)
def test_bad_arrays(source):
    with pytest.raises(ValueError, match="source"):
        patch_dataset(source, patch_size=8)


def test_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent"):
        patch_dataset(tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match=r"gone\.png"):
        patch_dataset([tmp_path / "gone.png"])
    with pytest.raises(ValueError, match="holds no image"):
        patch_dataset(tmp_path)
