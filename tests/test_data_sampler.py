"""PatchSampler and image_patches: determinism, exact crops, noise levels, memory, errors."""

from __future__ import annotations

import numpy as np
import pytest

from deepdenoise.data import save_image
from deepdenoise.data.sampler import (
    PatchSampler,
    image_patches,
    load_training_images,
    sample_batch,
    saturation_range,
)


def _distinct_images(rng: np.random.Generator, count: int, height: int, width: int) -> np.ndarray:
    """``count`` images in which no pixel value occurs twice, across all of them."""
    size = count * height * width
    return (rng.permutation(size) / (size - 1)).astype(np.float32).reshape(count, height, width)


def _source(patch: np.ndarray, images: np.ndarray) -> tuple[int, int, int, int] | None:
    """(image, top, left, transform) of the crop that ``patch`` is; transform 0 is identity.

    Transform ``t`` is ``t % 4`` quarter turns, mirrored if ``t >= 4``, as the sampler does.
    """
    size = patch.shape[0]
    for transform in range(8):
        # undo the mirror, then the turns: the variant is the crop as stored in the image
        variant = patch[:, ::-1] if transform >= 4 else patch
        variant = np.rot90(variant, -(transform % 4))
        for number, image in enumerate(images):
            for top, left in np.argwhere(image == variant[0, 0]):
                window = image[top : top + size, left : left + size]
                if window.shape == variant.shape and np.array_equal(window, variant):
                    return number, int(top), int(left), transform
    return None


def _same(first, second) -> bool:
    """Two batches (nested tuples of arrays) hold exactly the same arrays."""
    if isinstance(first, tuple):
        return len(first) == len(second) and all(
            _same(a, b) for a, b in zip(first, second, strict=True)
        )
    return first.dtype == second.dtype and np.array_equal(first, second)


# --- PatchSampler -------------------------------------------------------------------------


@pytest.mark.parametrize("noise_map", [False, True])
def test_batch_depends_on_seed_and_step_only(rng, noise_map):
    images = rng.random((6, 24, 24), dtype=np.float32)
    options = {"patch_size": 8, "batch_size": 5, "sigma": (0, 50), "noise_map": noise_map}
    sampler = PatchSampler(images, seed=3, steps=4, **options)
    twin = PatchSampler(images, seed=3, steps=4, **options)
    other_seed = PatchSampler(images, seed=4, steps=4, **options)
    # in any order, from another object: the same batches
    assert _same(sampler[2], twin[2]) and _same(sampler[0], twin[0])
    assert _same(sampler[1], sampler.batch(1))
    assert not _same(sampler[0], sampler[1])
    assert not _same(sampler[0], other_seed[0])
    # the documented recipe: one generator seeded with (seed, step)
    noisy, levels, clean = sample_batch(
        sampler.images, np.random.default_rng([3, 2]), batch_size=5, patch_size=8, sigma=(0, 50)
    )
    batch = sampler[2]
    np.testing.assert_array_equal(batch[1], clean)
    np.testing.assert_array_equal(batch[0][0] if noise_map else batch[0], noisy)
    if noise_map:
        level_map = (levels / np.float32(255)).reshape(-1, 1, 1, 1)
        np.testing.assert_array_equal(batch[0][1], np.broadcast_to(level_map, (5, 8, 8, 1)))


def test_start_step_offsets_the_batches(rng):
    images = rng.random((4, 20, 20), dtype=np.float32)
    whole = PatchSampler(images, patch_size=8, batch_size=4, seed=1, steps=10)
    resumed = PatchSampler(images, patch_size=8, batch_size=4, seed=1, steps=4, start_step=6)
    assert len(resumed) == 4
    for k in range(4):
        assert _same(resumed[k], whole[6 + k])
    assert not _same(resumed[0], whole[0])


@pytest.mark.parametrize("augment", [False, True])
def test_clean_patches_are_exact_crops(rng, augment):
    images = _distinct_images(rng, 3, 20, 26)
    sampler = PatchSampler(
        images, patch_size=9, batch_size=16, patches_per_image=4, augment=augment, seed=2, steps=4
    )
    transforms = []
    for k in range(4):
        for patch in sampler[k][1][..., 0]:
            found = _source(patch, images)
            assert found is not None, "a clean patch is not a (flipped/rotated) crop"
            transforms.append(found[3])
    if augment:
        assert len(set(transforms)) > 4, "augmentation should use many of the 8 transforms"
    else:
        assert set(transforms) == {0}, "without augment every patch is an exact sub-array"


def test_without_augment_crops_are_sub_arrays_at_random_places(rng):
    images = rng.random((2, 30, 30), dtype=np.float32)
    sampler = PatchSampler(
        images, patch_size=10, batch_size=8, patches_per_image=4, augment=False, seed=0, steps=3
    )
    places = set()
    for k in range(3):
        for patch in sampler[k][1][..., 0]:
            hits = [
                (n, top, left)
                for n in range(2)
                for top in range(21)
                for left in range(21)
                if np.array_equal(images[n, top : top + 10, left : left + 10], patch)
            ]
            assert len(hits) == 1
            places.update(hits)
    assert len(places) > 12, "crops are spread over the images"


def test_noise_levels_per_patch_lie_in_the_range():
    images = np.full((4, 32, 32), 0.5, np.float32)
    sampler = PatchSampler(
        images, patch_size=32, batch_size=64, sigma=(10, 50), noise_map=True, seed=5, steps=1
    )
    (noisy, level_map), clean = sampler[0]
    levels = level_map[:, 0, 0, 0] * 255
    assert np.all(level_map == level_map[:, :1, :1, :]), "one level per patch"
    assert levels.min() >= 10 and levels.max() <= 50
    assert levels.max() - levels.min() > 20, "levels spread over the range"
    measured = (noisy - clean).std(axis=(1, 2, 3)) * 255
    np.testing.assert_allclose(measured, levels, rtol=0.1)
    fixed = PatchSampler(images, patch_size=16, batch_size=4, sigma=15, noise_map=True, steps=1)
    np.testing.assert_allclose(fixed[0][0][1], 15 / 255, rtol=1e-6)


def test_colour_patches_get_independent_noise_of_one_level_per_patch():
    """RGB: three noisy channels, one sigma and one map per patch, independent noise."""
    images = np.full((4, 48, 48, 3), 0.5, np.float32)
    sampler = PatchSampler(
        images, patch_size=48, batch_size=32, sigma=(10, 50), noise_map=True, seed=3, steps=1
    )
    (noisy, level_map), clean = sampler[0]
    assert noisy.shape == clean.shape == (32, 48, 48, 3) and level_map.shape == (32, 48, 48, 1)
    levels = level_map[:, 0, 0, 0] * 255
    residual = (noisy - clean).astype(np.float64)
    per_channel = residual.std(axis=(1, 2)) * 255  # (B, 3)
    np.testing.assert_allclose(per_channel, np.repeat(levels[:, None], 3, axis=1), rtol=0.1)
    # Normalised by each patch's level, the 73728 noise triples are uncorrelated across
    # channels (sampling error of a correlation ~ 0.004; the same noise in all three gives 1).
    unit = (residual / levels.reshape(-1, 1, 1, 1)).reshape(-1, 3)
    correlation = np.corrcoef(unit.T)[np.triu_indices(3, 1)]
    assert np.abs(correlation).max() < 0.02, f"channels share noise: {correlation}"


def test_colour_clipped_patches_are_8_bit_values_in_range(rng):
    images = rng.random((3, 32, 32, 3), dtype=np.float32)
    sampler = PatchSampler(
        images, patch_size=16, batch_size=16, sigma=60, clipped_fraction=1, seed=0, steps=1
    )
    noisy, _ = sampler[0]
    assert noisy.shape == (16, 16, 16, 3)
    assert noisy.min() == 0 and noisy.max() == 1
    grid = np.rint(noisy.astype(np.float64) * 255)
    np.testing.assert_array_equal(noisy, (grid / 255).astype(np.float32))
    half = PatchSampler(
        images, patch_size=16, batch_size=64, sigma=60, clipped_fraction=0.5, seed=0, steps=1
    )
    noisy, _ = half[0]
    outside = ((noisy < 0) | (noisy > 1)).any(axis=(1, 2, 3))
    assert 16 < outside.sum() < 48, "about half of the patches keep their unclipped noise"


def _three_colours(height: int = 16, width: int = 16) -> list[np.ndarray]:
    """One RGB image whose channels are three different constants."""
    image = np.empty((height, width, 3), np.float32)
    image[...] = (0.2, 0.5, 0.7)
    return [image]


def test_permute_channels_puts_each_patch_in_a_random_one_of_six_orders():
    images = _three_colours()
    kwargs = {"batch_size": 600, "patch_size": 8, "sigma": (0.0, 0.0)}
    _, _, clean = sample_batch(images, np.random.default_rng(0), permute_channels=True, **kwargs)
    orders = {tuple(patch[0, 0]) for patch in clean}
    # every patch is the image with its channels in some order, and all 6 orders occur
    assert np.all(clean == clean[:, :1, :1, :])
    assert {tuple(sorted(order)) for order in orders} == {tuple(np.float32((0.2, 0.5, 0.7)))}
    assert len(orders) == 6
    _, _, kept = sample_batch(images, np.random.default_rng(0), **kwargs)
    assert {tuple(patch[0, 0]) for patch in kept} == {tuple(np.float32((0.2, 0.5, 0.7)))}


def test_saturation_scales_colour_differences_and_keeps_the_brightness(rng):
    images = [(0.4 + 0.2 * rng.random((24, 24, 3))).astype(np.float32)]  # far from 0 and 1
    kwargs = {"batch_size": 64, "patch_size": 8, "sigma": (0.0, 0.0), "augment": False}
    _, _, plain = sample_batch(images, np.random.default_rng(5), **kwargs)
    _, _, vivid = sample_batch(images, np.random.default_rng(5), saturation=(1.5, 2.0), **kwargs)
    np.testing.assert_allclose(vivid.mean(axis=-1), plain.mean(axis=-1), atol=1e-6)
    plain_colour = plain - plain.mean(axis=-1, keepdims=True)
    vivid_colour = vivid - vivid.mean(axis=-1, keepdims=True)
    factors = np.abs(vivid_colour).sum(axis=(1, 2, 3)) / np.abs(plain_colour).sum(axis=(1, 2, 3))
    assert factors.min() >= 1.5 - 1e-4 and factors.max() <= 2.0 + 1e-4
    assert factors.max() - factors.min() > 0.2  # one factor per patch, not one per batch
    # a factor that pushes a pixel past 1 is clipped there
    _, _, blown = sample_batch(images, np.random.default_rng(5), saturation=(40, 40), **kwargs)
    assert blown.min() == 0 and blown.max() == 1 and blown.dtype == np.float32


def test_colour_augmentation_off_draws_nothing(rng):
    """Recipes without it get exactly the batches they got before it existed."""
    images = [rng.random((24, 24, 3), dtype=np.float32)]
    kwargs = {"batch_size": 6, "patch_size": 8, "sigma": (0.0, 50.0), "clipped_fraction": 0.5}
    before = sample_batch(images, np.random.default_rng(9), **kwargs)
    after = sample_batch(
        images, np.random.default_rng(9), permute_channels=False, saturation=(1.0, 1.0), **kwargs
    )
    assert _same(before, after)


def test_colour_augmentation_needs_colour_images(rng):
    gray = rng.random((2, 16, 16), dtype=np.float32)
    for option in ({"permute_channels": True}, {"saturation": (1, 2)}):
        with pytest.raises(ValueError, match=r"need RGB training images.*1 channel"):
            PatchSampler(gray, patch_size=8, steps=1, **option)
    assert saturation_range(2) == (2.0, 2.0)
    for bad in (0, -1, (2, 1), (1, 2, 3), "x"):
        with pytest.raises(ValueError, match="saturation"):
            saturation_range(bad)


def test_named_colour_training_set_loads_as_rgb(data_dir):
    images = load_training_images("cbsd432")
    assert len(images) == 432
    assert all(image.dtype == np.uint8 and image.shape[-1] == 3 for image in images)
    assert not np.array_equal(images[0][..., 0], images[0][..., 1]), "colour, not gray repeated"
    sampler = PatchSampler(images[:4], patch_size=32, batch_size=8, noise_map=True, steps=1)
    assert sampler.channels == 3 and sampler[0][0][0].shape == (8, 32, 32, 3)
    gray = load_training_images("cbsd432", channels=1)
    assert gray[0].shape == (*images[0].shape[:2], 1)
    assert load_training_images("train400")[0].shape == (180, 180, 1)


@pytest.mark.parametrize("name", ["set12", "bsd68", "cbsd68", "mcmaster"])
def test_named_test_sets_are_refused_as_training_data(name):
    with pytest.raises(ValueError, match=f"{name}.*test set"):
        load_training_images(name)


def test_patch_dataset_reads_a_named_colour_set(data_dir):
    from deepdenoise.data import patch_dataset

    dataset = patch_dataset("cbsd432", patch_size=32, batch_size=4, sigma=(0, 50), seed=0)
    noisy, clean = next(iter(dataset))
    assert noisy.shape == clean.shape == (4, 32, 32, 3)
    with pytest.raises(ValueError, match="test set"):
        patch_dataset("mcmaster", patch_size=32, batch_size=4)


def test_patches_per_image_sets_how_many_images_a_batch_draws(rng):
    images = _distinct_images(rng, 40, 12, 12)

    def sources(patches_per_image):
        sampler = PatchSampler(
            images,
            patch_size=6,
            batch_size=8,
            patches_per_image=patches_per_image,
            augment=False,
            seed=9,
            steps=3,
        )
        return [{_source(p, images)[0] for p in sampler[k][1][..., 0]} for k in range(3)]

    assert all(len(found) == 1 for found in sources(8)), "8 patches of one image per batch"
    assert all(len(found) <= 2 for found in sources(4))
    assert max(len(found) for found in sources(1)) >= 5, "one patch per drawn image"


def test_uint8_images_stay_uint8_in_memory(rng, tmp_path):
    levels = rng.integers(0, 256, (3, 16, 16), dtype=np.uint8)
    sampler = PatchSampler(levels, patch_size=16, batch_size=3, augment=False, seed=0, steps=1)
    assert all(image.dtype == np.uint8 for image in sampler.images)
    clean = sampler[0][1]
    assert clean.dtype == np.float32
    np.testing.assert_array_equal(np.rint(clean * 255), clean * np.float32(255))
    assert np.all(np.isin(np.rint(clean * 255).astype(np.uint8), levels))
    # files: 8-bit stays uint8, 16-bit becomes float32 in [0, 1]
    save_image(tmp_path / "a8.png", levels[0])
    save_image(tmp_path / "b16.png", levels[1].astype(np.uint16) * 257 + 1)
    loaded = load_training_images(tmp_path)
    assert [image.dtype for image in loaded] == [np.uint8, np.float32]
    np.testing.assert_array_equal(loaded[0][..., 0], levels[0])
    assert loaded[1].max() <= 1


def test_indexing_past_the_end_raises(rng):
    sampler = PatchSampler(rng.random((2, 16, 16)), patch_size=8, batch_size=2, steps=3)
    sampler[2]
    with pytest.raises(IndexError, match="batch 3"):
        sampler[3]
    with pytest.raises(IndexError):
        sampler[-1]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"patch_size": 0}, "patch_size"),
        ({"patch_size": 17}, r"patch_size=17.*training image 1"),
        ({"batch_size": 0}, "batch_size"),
        ({"patches_per_image": -2}, "patches_per_image"),
        ({"sigma": 300}, "sigma"),
        ({"sigma": (40, 20)}, "sigma"),
        ({"clipped_fraction": 2}, "clipped_fraction"),
        ({"clipped_fraction": True}, "clipped_fraction"),
        ({"seed": -1}, "seed"),
        ({"seed": 0.5}, "seed"),
        ({"steps": 0}, "steps"),
        ({"start_step": -1}, "start_step"),
    ],
)
def test_sampler_bad_arguments(kwargs, match):
    images = [np.zeros((20, 20, 1), np.float32), np.zeros((16, 24, 1), np.float32)]
    options = {"patch_size": 8, "steps": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        PatchSampler(images, **options)


def test_sampler_needs_images():
    with pytest.raises(ValueError, match="images is empty"):
        PatchSampler([], steps=1)


# --- image_patches ------------------------------------------------------------------------


@pytest.mark.parametrize("augment", [False, True])
def test_image_patches_cuts_each_image_exactly_patches_per_image_times(rng, augment):
    images = _distinct_images(rng, 5, 18, 20)
    noisy, clean = image_patches(
        images, patch_size=7, patches_per_image=3, sigma=20, augment=augment, seed=4
    )
    assert noisy.shape == clean.shape == (15, 7, 7, 1)
    assert noisy.dtype == clean.dtype == np.float32
    found = [_source(patch, images) for patch in clean[..., 0]]
    assert all(item is not None for item in found), "each patch is an exact crop"
    assert [item[0] for item in found] == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    transforms = {item[3] for item in found}
    if augment:
        assert len(transforms) > 2
    else:
        assert transforms == {0}
    residual = (noisy - clean).astype(np.float64)
    assert abs(residual.std() * 255 / 20 - 1) < 0.1


def test_image_patches_is_deterministic_per_seed_and_image(rng):
    images = rng.random((4, 20, 20), dtype=np.float32)
    options = {"patch_size": 8, "patches_per_image": 2, "sigma": (0, 50), "noise_map": True}
    first = image_patches(images, seed=1, **options)
    assert _same(first, image_patches(images, seed=1, **options))
    assert not _same(first, image_patches(images, seed=2, **options))
    # the patches of image i depend on (seed, i) only, not on the images after it
    head = image_patches(images[:2], seed=1, **options)
    assert _same(head, ((first[0][0][:4], first[0][1][:4]), first[1][:4]))


def test_image_patches_do_not_reuse_the_training_random_numbers():
    # Flat images: identical noise draws would give identical noisy values.
    images = np.full((4, 16, 16), 0.5, np.float32)
    options = {"patch_size": 8, "patches_per_image": 2, "sigma": 25, "augment": False}
    noisy, _ = image_patches(images, seed=1, **options)
    sampler = PatchSampler(images, seed=1, batch_size=8, steps=2, **options)
    training = np.concatenate([sampler[0][0], sampler[1][0]])
    shared = np.intersect1d(noisy, training)
    assert shared.size < 10, f"{shared.size} noisy values also occur in training batches"


def test_image_patches_noise_map_and_clipping(rng):
    images = rng.random((3, 16, 16), dtype=np.float32)
    (noisy, level_map), _ = image_patches(
        images, patch_size=8, patches_per_image=4, sigma=(5, 60), noise_map=True, seed=0
    )
    assert level_map.shape == (12, 8, 8, 1)
    levels = level_map[:, 0, 0, 0] * 255
    assert np.all(level_map == level_map[:, :1, :1, :])
    assert levels.min() >= 5 and levels.max() <= 60 and len(set(levels.tolist())) == 12
    (_, fixed_map), _ = image_patches(
        images, patch_size=8, patches_per_image=1, sigma=15, noise_map=True, seed=0
    )
    np.testing.assert_array_equal(fixed_map, np.float32(15) / np.float32(255))
    clipped, _ = image_patches(
        images, patch_size=8, patches_per_image=4, sigma=60, clipped_fraction=1, seed=0
    )
    assert clipped.min() == 0 and clipped.max() == 1
    grid = np.rint(clipped.astype(np.float64) * 255)
    np.testing.assert_array_equal(clipped, (grid / 255).astype(np.float32))
    assert noisy.min() < 0 or noisy.max() > 1  # not clipped by default


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"patches_per_image": 0}, "patches_per_image"),
        ({"patch_size": 0}, "patch_size"),
        ({"patch_size": 17}, r"patch_size=17.*training image 1"),
        ({"sigma": -1}, "sigma"),
        ({"clipped_fraction": -0.5}, "clipped_fraction"),
        ({"seed": -3}, "seed"),
    ],
)
def test_image_patches_bad_arguments(kwargs, match):
    images = [np.zeros((20, 20, 1), np.float32), np.zeros((16, 24, 1), np.float32)]
    with pytest.raises(ValueError, match=match):
        image_patches(images, **{"patch_size": 8, **kwargs})
