"""scikit-image's bundled photographs, loaded offline as float32 in [0, 1]."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from skimage import data

from deepdenoise.data import SAMPLE_NAMES, sample_images


@pytest.fixture()
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_every_sample_loads_offline(no_network):
    images = sample_images()
    assert list(images) == list(SAMPLE_NAMES)
    for name, image in images.items():
        assert image.dtype == np.float32, name
        assert image.ndim == 2 or (image.ndim == 3 and image.shape[-1] == 3), name
        assert 0.0 <= image.min() and image.max() <= 1.0, name
        assert image.max() > image.min(), name


@pytest.mark.parametrize("name", ["camera", "coffee"])
def test_values_are_the_8bit_levels_over_255(name):
    image = sample_images(names=[name])[name]
    original = getattr(data, name)()
    np.testing.assert_allclose(image, original / 255.0, atol=1e-7)


def test_as_gray_gives_2d_images():
    images = sample_images(names=["astronaut", "camera"], as_gray=True)
    assert images["astronaut"].shape == (512, 512)
    assert images["astronaut"].dtype == np.float32
    np.testing.assert_array_equal(images["camera"], sample_images(names=["camera"])["camera"])


def test_order_follows_names():
    assert list(sample_images(names=["moon", "camera"])) == ["moon", "camera"]


@pytest.mark.parametrize(
    ("names", "error"), [(["camera", "eagle"], ValueError), ("camera", TypeError)]
)
def test_bad_names(names, error):
    with pytest.raises(error, match="names"):
        sample_images(names=names)
