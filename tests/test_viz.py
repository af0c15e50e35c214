"""Tests for the figures: structure, titles with correctly computed PSNR, bad input."""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")

import keras
import numpy as np
import pytest
from matplotlib.colorbar import Colorbar
from matplotlib.figure import Figure

from deepdenoise import metrics, viz

PSNR_IN_TITLE = re.compile(r"PSNR (-?\d+\.\d\d|inf) dB")


def title_psnr(title: str) -> float:
    match = PSNR_IN_TITLE.search(title)
    assert match is not None, f"no PSNR in title {title!r}"
    return float(match.group(1))


def renders(fig: Figure) -> bool:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=40)
    return buffer.tell() > 0


@pytest.fixture()
def trio(camera: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    clean = camera[:48, :64]
    rng = np.random.default_rng(0)
    noisy = (clean + rng.normal(0, 25 / 255, clean.shape)).astype(np.float32)
    denoised = {"blend": (clean + noisy) / 2, "mild": 0.9 * clean + 0.1 * noisy}
    return clean, noisy, denoised


@pytest.mark.parametrize("n_methods", [0, 1, 2])
def test_comparison_titles_carry_correct_psnr(
    trio: tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]], n_methods: int
) -> None:
    clean, noisy, denoised = trio
    chosen = dict(list(denoised.items())[:n_methods])
    fig = viz.plot_comparison(clean, noisy, chosen)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2 + n_methods
    titles = [ax.get_title() for ax in fig.axes]
    assert "reference" in titles[0].lower()
    for title, image in zip(titles[1:], [noisy, *chosen.values()], strict=True):
        assert "dB" in title
        assert title_psnr(title) == pytest.approx(metrics.psnr(clean, image), abs=0.006)
    for title, name in zip(titles[2:], chosen, strict=True):
        assert title.startswith(name)
    assert renders(fig)


def test_comparison_zoom_row_shows_the_crops(
    trio: tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]],
) -> None:
    clean, noisy, denoised = trio
    box = (10, 20, 16, 24)
    fig = viz.plot_comparison(clean, noisy, denoised, zoom=box)
    ncols = 2 + len(denoised)
    assert len(fig.axes) == 2 * ncols
    top_row, zoom_row = fig.axes[:ncols], fig.axes[ncols:]
    for ax in top_row:
        assert len(ax.patches) == 1  # the outline of the zoomed region
    expected = [clean, noisy, *denoised.values()]
    for ax, image in zip(zoom_row, expected, strict=True):
        shown = np.asarray(ax.images[0].get_array())
        np.testing.assert_allclose(shown, np.clip(image[10:26, 20:44], 0, 1))
    assert renders(fig)


def test_comparison_accepts_rgb_and_uint8() -> None:
    rng = np.random.default_rng(1)
    clean = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
    noisy = np.clip(clean.astype(int) + rng.integers(-20, 21, clean.shape), 0, 255).astype(
        np.uint8
    )
    fig = viz.plot_comparison(clean, noisy)
    expected = metrics.psnr(clean / 255.0, noisy / 255.0)
    assert title_psnr(fig.axes[1].get_title()) == pytest.approx(expected, abs=0.006)
    assert fig.axes[0].images[0].get_array().shape == (20, 24, 3)


def test_comparison_identical_images_say_inf(camera: np.ndarray) -> None:
    fig = viz.plot_comparison(camera, camera)
    assert "PSNR inf dB" in fig.axes[1].get_title()


def test_comparison_rejects_shape_mismatch(
    trio: tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]],
) -> None:
    clean, noisy, _ = trio
    with pytest.raises(ValueError, match="noisy"):
        viz.plot_comparison(clean, noisy[:-1])
    with pytest.raises(ValueError, match="denoised"):
        viz.plot_comparison(clean, noisy, {"bad": noisy[:, :-1]})


@pytest.mark.parametrize(
    "zoom", [(0, 0, 100, 8), (-1, 0, 4, 4), (0, 0, 0, 4), (0, 0, 4), (0.5, 0, 4, 4), "box"]
)
def test_comparison_rejects_bad_zoom(
    trio: tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]], zoom: object
) -> None:
    clean, noisy, _ = trio
    with pytest.raises(ValueError, match="zoom"):
        viz.plot_comparison(clean, noisy, zoom=zoom)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [np.zeros((4, 4, 4)), np.zeros((4,)), np.zeros((4, 4), dtype=int)])
def test_comparison_rejects_bad_images(bad: np.ndarray) -> None:
    with pytest.raises((ValueError, TypeError), match="clean"):
        viz.plot_comparison(bad, bad)


def test_zoom_inset_magnifies_the_box(camera: np.ndarray) -> None:
    fig = Figure()
    ax = fig.add_subplot()
    ax.imshow(camera, cmap="gray")
    inset = viz.add_zoom_inset(ax, camera, (5, 7, 10, 12), loc="upper left")
    np.testing.assert_allclose(np.asarray(inset.images[0].get_array()), camera[5:15, 7:19])
    assert inset in ax.child_axes
    assert len(ax.patches) == 1
    assert renders(fig)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"box": (0, 0, 500, 5)}, "box"), ({"loc": "middle"}, "loc"), ({"size": 0.9}, "size")],
)
def test_zoom_inset_bad_arguments(camera: np.ndarray, kwargs: dict, name: str) -> None:
    ax = Figure().add_subplot()
    arguments = {"box": (0, 0, 8, 8), **kwargs}
    with pytest.raises(ValueError, match=name):
        viz.add_zoom_inset(ax, camera, **arguments)


def test_error_map_shows_absolute_error_with_colorbar(
    trio: tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]],
) -> None:
    clean, noisy, denoised = trio
    fig = viz.plot_error_map(clean, {"noisy": noisy, **denoised})
    panels = 1 + len(denoised)
    assert len(fig.axes) == panels + 1  # one colour bar shared by all panels
    colorbars = [ax for ax in fig.axes if isinstance(getattr(ax, "_colorbar", None), Colorbar)]
    assert len(colorbars) == 1
    assert "error" in colorbars[0].get_ylabel()
    for ax, image in zip(fig.axes[:panels], [noisy, *denoised.values()], strict=True):
        np.testing.assert_allclose(
            np.asarray(ax.images[0].get_array()), np.abs(image - clean), atol=1e-6
        )
        assert title_psnr(ax.get_title()) == pytest.approx(metrics.psnr(clean, image), abs=0.006)
    limits = {ax.images[0].get_clim() for ax in fig.axes[:panels]}
    assert len(limits) == 1  # shared colour scale
    assert renders(fig)


def test_error_map_rgb_is_mean_over_channels() -> None:
    clean = np.zeros((8, 8, 3), dtype=np.float32)
    estimate = clean.copy()
    estimate[..., 0] = 0.3
    fig = viz.plot_error_map(clean, estimate, vmax=0.5)
    np.testing.assert_allclose(np.asarray(fig.axes[0].images[0].get_array()), 0.1, atol=1e-6)
    assert fig.axes[0].images[0].get_clim() == (0.0, 0.5)


@pytest.mark.parametrize("vmax", [0, -1.0, "big"])
def test_error_map_bad_vmax(vmax: object) -> None:
    with pytest.raises(ValueError, match="vmax"):
        viz.plot_error_map(np.zeros((4, 4)), np.ones((4, 4)), vmax=vmax)  # type: ignore[arg-type]


def test_error_map_shape_mismatch_names_estimate() -> None:
    with pytest.raises(ValueError, match="estimate"):
        viz.plot_error_map(np.zeros((4, 4)), np.ones((4, 5)))


def test_loss_curves_from_mapping_per_epoch() -> None:
    curves = {"full batch": [1.0, 0.6, 0.4], "SGD": [1.0, 0.5, 0.45]}
    fig = viz.plot_loss_curves(curves, title="MSE")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == list(curves)
    for line, values in zip(ax.get_lines(), curves.values(), strict=True):
        np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3])
        np.testing.assert_array_equal(line.get_ydata(), values)
    assert ax.get_xlabel() == "epoch"
    assert ax.get_ylabel()
    assert ax.get_yscale() == "log"
    assert ax.get_title() == "MSE"
    assert ax.get_legend() is not None
    assert renders(fig)


def test_loss_curves_against_seconds_per_curve() -> None:
    curves = {"full batch": [1.0, 0.6], "SGD": [1.0, 0.5, 0.45]}
    seconds = {"full batch": [2.0, 4.0], "SGD": [0.1, 0.2, 0.3]}
    fig = viz.plot_loss_curves(curves, x="seconds", seconds=seconds)
    ax = fig.axes[0]
    for line, name in zip(ax.get_lines(), curves, strict=True):
        np.testing.assert_array_equal(line.get_xdata(), seconds[name])
    assert "(s)" in ax.get_xlabel()


def test_loss_curves_from_keras_history() -> None:
    history = keras.callbacks.History()
    history.history = {"loss": [0.1, 0.05], "val_loss": [0.2, 0.1], "psnr": [20.0, 23.0]}
    fig = viz.plot_loss_curves(history, x="step")
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == ["loss", "val_loss"]
    assert fig.axes[0].get_xlabel() == "step"


def test_loss_curves_linear_scale_for_non_positive_values() -> None:
    fig = viz.plot_loss_curves({"psnr gain": [-1.0, 0.5, 2.0]})
    assert fig.axes[0].get_yscale() == "linear"


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"x": "minutes"}, "x"),
        ({"x": "seconds"}, "seconds"),
        ({"x": "seconds", "seconds": [1.0]}, "seconds"),
        ({"x": "seconds", "seconds": {"other": [1.0, 2.0]}}, "seconds"),
    ],
)
def test_loss_curves_bad_arguments(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        viz.plot_loss_curves({"loss": [1.0, 0.5]}, **kwargs)


@pytest.mark.parametrize("history", [[1.0, 2.0], {"loss": []}, {"loss": [[1.0], [2.0]]}])
def test_loss_curves_bad_history(history: object) -> None:
    with pytest.raises((ValueError, TypeError), match="history"):
        viz.plot_loss_curves(history)


def test_noise_histogram_reports_std_and_density() -> None:
    clean = np.full((96, 96), 0.5, dtype=np.float32)
    noise = np.random.default_rng(2).normal(0, 25 / 255, clean.shape)
    fig = viz.plot_noise_histogram(clean + noise, clean, sigma=25)
    ax = fig.axes[0]
    match = re.search(r"std (\d+\.\d\d)", ax.get_title())
    assert match is not None
    assert float(match.group(1)) == pytest.approx(np.std(noise * 255), abs=0.01)
    heights = np.array([patch.get_height() for patch in ax.patches])
    widths = np.array([patch.get_width() for patch in ax.patches])
    assert float(np.sum(heights * widths)) == pytest.approx(1.0, abs=1e-6)  # a density
    assert len(ax.get_lines()) == 1  # the Gaussian overlay
    assert ax.get_xlabel() and ax.get_ylabel()


@pytest.mark.parametrize(("kwargs", "name"), [({"sigma": -3}, "sigma"), ({"bins": 0}, "bins")])
def test_noise_histogram_bad_arguments(kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        viz.plot_noise_histogram(np.zeros((4, 4)), np.zeros((4, 4)), **kwargs)


def test_show_grid_layout_and_titles() -> None:
    images = {f"image {i}": np.full((6, 6), i / 7) for i in range(7)}
    fig = viz.show_grid(images, ncols=3)
    assert len(fig.axes) == 7
    assert [ax.get_title() for ax in fig.axes] == list(images)
    assert fig.axes[0].get_subplotspec().get_gridspec().get_geometry() == (3, 3)


@pytest.mark.parametrize(
    ("args", "kwargs", "name"),
    [(([],), {}, "images"), (([np.zeros((4, 4))], ["a", "b"]), {}, "titles")],
)
def test_show_grid_bad_arguments(args: tuple, kwargs: dict, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        viz.show_grid(*args, **kwargs)


def test_show_grid_bad_ncols() -> None:
    with pytest.raises(ValueError, match="ncols"):
        viz.show_grid([np.zeros((4, 4))], ncols=0)
