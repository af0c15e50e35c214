"""Tests for the explaining figures: each one is read back and checked against the code."""

from __future__ import annotations

import importlib.util
import io
import itertools
import math
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import keras
import numpy as np
import pytest
from matplotlib.figure import Figure
from scipy.signal import correlate2d

from deepdenoise import metrics, schematics
from deepdenoise.inference import estimate_receptive_field, tile_layout
from deepdenoise.models import PixelUnshuffle, conv_autoencoder, dncnn, ffdnet

ROOT = Path(__file__).resolve().parents[1]


def renders(fig: Figure) -> bool:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=30)
    return buffer.tell() > 0


def by_gid(artists, prefix: str) -> dict[str, object]:
    """Artists whose gid starts with prefix, by gid (each gid must be unique)."""
    found = {}
    for artist in artists:
        gid = artist.get_gid()
        if gid is not None and str(gid).startswith(prefix):
            assert gid not in found, f"gid {gid!r} used twice"
            found[gid] = artist
    return found


def grid_numbers(ax, prefix: str) -> np.ndarray:
    """Read back a grid drawn by the schematics: texts whose gid is '<prefix>:i:j'."""
    cells = {}
    for text in ax.texts:
        match = re.fullmatch(rf"{prefix}:(\d+):(\d+)", str(text.get_gid()))
        if match:
            cells[int(match[1]), int(match[2])] = float(text.get_text())
    rows = 1 + max(i for i, _ in cells)
    cols = 1 + max(j for _, j in cells)
    assert len(cells) == rows * cols
    values = np.empty((rows, cols))
    for (i, j), value in cells.items():
        values[i, j] = value
    return values


def linear_stack(kernel_sizes: list[int]) -> keras.Model:
    inputs = keras.Input((None, None, 1))
    x = inputs
    for size in kernel_sizes:
        x = keras.layers.Conv2D(2, size, padding="same")(x)
    return keras.Model(inputs, x)


# ------------------------------------------------------------------------ architecture
@pytest.mark.parametrize(
    "build",
    [
        lambda: dncnn(depth=4, width=8),
        lambda: dncnn(depth=3, width=8, batch_norm=False),
        lambda: ffdnet(depth=3, width=8),
        conv_autoencoder,
    ],
)
def test_architecture_has_one_box_per_layer(build):
    model = build()
    fig = schematics.plot_architecture(model)
    boxes = by_gid(fig.axes[0].patches, "layer:")
    assert sorted(boxes) == sorted(f"layer:{layer.name}" for layer in model.layers)
    assert renders(fig)


def test_architecture_labels_carry_kernel_sizes_and_filter_counts():
    model = dncnn(depth=4, width=13)
    fig = schematics.plot_architecture(model)
    labels = {gid: text.get_text() for gid, text in by_gid(fig.axes[0].texts, "label:").items()}
    convolutions = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convolutions) == 4
    for layer in convolutions:
        words = re.split(r"[\s,]+", labels[f"label:{layer.name}"])
        assert str(layer.filters) in words, labels[f"label:{layer.name}"]
        assert "3×3" in words
    assert f"{model.count_params():,}" in fig.axes[0].get_title()


def inbound_names(model: keras.Model) -> list[tuple[str, str]]:
    """(source, target) layer names of every connection, from the model's saved config."""

    def histories(value):
        if isinstance(value, dict):
            if "keras_history" in value.get("config", {}):
                yield value["config"]["keras_history"][0]
            else:
                for item in value.values():
                    yield from histories(item)
        elif isinstance(value, list | tuple):
            for item in value:
                yield from histories(item)

    return [
        (source, entry["name"])
        for entry in model.get_config()["layers"]
        for source in histories(entry["inbound_nodes"])
    ]


def test_architecture_bands_sit_on_the_convolution_they_follow():
    model = dncnn(depth=5, width=8)
    fig = schematics.plot_architecture(model)
    boxes = by_gid(fig.axes[0].patches, "layer:")
    columns = {gid.removeprefix("layer:"): box.get_x() for gid, box in boxes.items()}
    kinds = {layer.name: type(layer).__name__ for layer in model.layers}
    followed = 0
    for source, target in inbound_names(model):
        if kinds[target] in ("BatchNormalization", "ReLU"):
            assert columns[target] == columns[source], (source, target)
            followed += 1
    assert followed == 2 * (5 - 2)  # a BN and a ReLU after each middle convolution
    assert len(set(columns.values())) == 5 + 2  # the convolutions, the input, the subtraction


def test_architecture_draws_every_connection_of_ffdnet():
    model = ffdnet(depth=3, width=8)
    fig = schematics.plot_architecture(model)
    ax = fig.axes[0]
    drawn = {
        str(a.get_gid()) for a in [*ax.texts, *ax.lines] if str(a.get_gid()).startswith("edge:")
    }
    expected = {f"edge:{source}->{target}" for source, target in inbound_names(model)}
    assert drawn == expected
    skips = [line for line in ax.lines if line.get_gid() == "edge:noisy->denoised"]
    assert len(skips) == 1  # the skip connection runs over the top


def test_architecture_rejects_what_is_not_a_model():
    with pytest.raises(TypeError, match=r"model must be a keras\.Model"):
        schematics.plot_architecture("dncnn")


# ---------------------------------------------------------------------- receptive field
def receptive_squares(fig: Figure) -> list[tuple[float, float, float]]:
    """(side, centre x, centre y) of the square in each panel; and the centre pixel."""
    result = []
    for ax in fig.axes:
        (square,) = by_gid(ax.patches, "receptive_field").values()
        (centre,) = by_gid(ax.patches, "centre").values()
        assert square.get_width() == square.get_height()
        assert square.get_x() + square.get_width() / 2 == centre.get_x() + 0.5
        assert square.get_y() + square.get_height() / 2 == centre.get_y() + 0.5
        result.append(square.get_width())
    return result


def test_receptive_field_of_linear_stacks_is_the_sum_of_kernel_radii():
    models = {"three 3x3": linear_stack([3, 3, 3]), "3x3 and 5x5": linear_stack([3, 5])}
    fig = schematics.plot_receptive_field(models)
    assert receptive_squares(fig) == [2 * 3 + 1, 2 * (1 + 2) + 1]
    assert [ax.get_title().splitlines()[0] for ax in fig.axes] == list(models)


def test_receptive_field_agrees_with_estimate_receptive_field():
    keras.utils.set_random_seed(0)
    models = {"dncnn": dncnn(depth=3, width=8), "ffdnet": ffdnet(depth=3, width=8)}
    fig = schematics.plot_receptive_field(models)
    expected = [2 * estimate_receptive_field(model) + 1 for model in models.values()]
    assert receptive_squares(fig) == expected
    assert expected[1] > expected[0]  # half resolution: a wider field for as many layers
    assert "at 1/2 res." in fig.axes[1].get_title()


@pytest.mark.parametrize(
    ("models", "error", "message"),
    [
        ({}, ValueError, "at least one model"),
        ("dncnn", TypeError, "models must be a keras.Model"),
        ({"a": 3}, TypeError, r"models\['a'\] must be a keras.Model"),
    ],
)
def test_receptive_field_rejects_bad_models(models, error, message):
    with pytest.raises(error, match=message):
        schematics.plot_receptive_field(models)


# --------------------------------------------------------------------------- U-Net
def test_unet_draws_each_scale_and_skip():
    channels = (16, 32, 64, 128, 256)
    fig = schematics.plot_unet(channels, blocks=2)
    ax = fig.axes[0]
    boxes = by_gid(ax.patches, "")
    encoders = sorted(gid for gid in boxes if gid.startswith("encoder:"))
    assert len(encoders) == len(by_gid(ax.patches, "decoder:")) == len(channels) - 1
    assert "bottleneck" in boxes
    assert len(by_gid(ax.texts, "skip:")) == len(channels) - 1
    written = " ".join(text.get_text() for text in ax.texts)
    for count in channels:
        assert f"{count} ch" in written
    assert "2 residual blocks" in ax.get_title()


@pytest.mark.parametrize(
    ("channels", "error"), [((64,), ValueError), ("64", TypeError), ((64, 0), ValueError)]
)
def test_unet_rejects_bad_channels(channels, error):
    with pytest.raises(error, match="channels"):
        schematics.plot_unet(channels)


# ------------------------------------------------------------------------ convolution
def test_convolution_shows_the_cross_correlation_of_keras():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 5, (6, 7))
    kernel = rng.integers(-2, 3, (3, 3))
    fig = schematics.plot_convolution(image, kernel, position=(2, 3))
    ax = fig.axes[0]
    np.testing.assert_array_equal(grid_numbers(ax, "input"), image)
    np.testing.assert_array_equal(grid_numbers(ax, "kernel"), kernel)
    expected = correlate2d(image, kernel, mode="valid")  # not flipped, as Conv2D
    np.testing.assert_allclose(grid_numbers(ax, "output"), expected, atol=1e-5)
    (window,) = by_gid(ax.patches, "window").values()
    assert (window.get_width(), window.get_height()) == (3, 3)
    assert (window.get_x(), -window.get_y() - 3) == (3, 2)  # top-left cell (row 2, col 3)
    formula = next(t.get_text() for t in ax.texts if t.get_text().startswith("z[2, 3]"))
    assert float(formula.rsplit("=", 1)[1]) == pytest.approx(expected[2, 3])


@pytest.mark.parametrize(
    ("image", "kernel", "position", "error", "message"),
    [
        (np.ones((3, 3)), np.ones((4, 4)), (0, 0), ValueError, "kernel"),
        (np.ones((12, 12)), np.ones((3, 3)), (0, 0), ValueError, "image"),
        (np.ones((5, 5)), np.ones((3, 3)), (3, 0), ValueError, "position"),
        (np.ones((5, 5)), np.ones((3, 3)), [0, 0], TypeError, "position"),
        (np.array([["a"]]), np.ones((1, 1)), (0, 0), TypeError, "image"),
    ],
)
def test_convolution_rejects_bad_input(image, kernel, position, error, message):
    with pytest.raises(error, match=message):
        schematics.plot_convolution(image, kernel, position=position)


# --------------------------------------------------------------------- pixel unshuffle
def test_pixel_unshuffle_panels_hold_the_layer_output():
    fig = schematics.plot_pixel_unshuffle(4, block_size=2)
    ax = fig.axes[0]
    image = grid_numbers(ax, "input")
    np.testing.assert_array_equal(image, np.arange(16).reshape(4, 4))
    output = np.asarray(PixelUnshuffle(2)(image[None, :, :, None].astype("float32")))[0]
    input_colours = {
        image[i, j]: cell.get_facecolor()
        for (i, j), cell in np.ndenumerate(np.empty((4, 4)))
        for cell in [by_gid(ax.patches, f"input:{i}:{j}")[f"input:{i}:{j}"]]
    }
    for k in range(4):
        panel = grid_numbers(ax, f"channel{k}")
        np.testing.assert_array_equal(panel, output[:, :, k])
        # Independent of the layer: channel (p, q) holds x[p::2, q::2] (space_to_depth order).
        np.testing.assert_array_equal(panel, image[k // 2 :: 2, k % 2 :: 2])
        for (i, j), value in np.ndenumerate(panel):
            cell = by_gid(ax.patches, f"channel{k}:{i}:{j}")[f"channel{k}:{i}:{j}"]
            assert cell.get_facecolor() == input_colours[value]


@pytest.mark.parametrize(
    ("side", "block_size", "message"),
    [(5, 2, "side"), (10, 2, "side"), (6, 3, "block_size"), (0, 2, "side")],
)
def test_pixel_unshuffle_rejects_bad_sizes(side, block_size, message):
    with pytest.raises(ValueError, match=message):
        schematics.plot_pixel_unshuffle(side, block_size=block_size)


# ---------------------------------------------------------------------------- tiles
def test_tile_figure_draws_exactly_the_tiles_of_tile_layout():
    image = np.zeros((100, 70), dtype=np.float32)
    fig = schematics.plot_tile_layout(image, tile=48, overlap=8)
    tiles_ax, kept_ax = fig.axes
    rows, cols = tile_layout(100, 48, 8), tile_layout(70, 48, 8)
    expected = {(col - 0.5, row - 0.5, 48, 48) for row, _, _ in rows for col, _, _ in cols}
    drawn = {
        (p.get_x(), p.get_y(), p.get_width(), p.get_height())
        for p in by_gid(tiles_ax.patches, "tile:").values()
    }
    assert drawn == expected
    assert len(drawn) == len(rows) * len(cols) > 1
    coverage = np.zeros(image.shape, dtype=int)
    for patch in by_gid(kept_ax.patches, "kept:").values():
        left, top = round(patch.get_x() + 0.5), round(patch.get_y() + 0.5)
        coverage[
            top : top + round(patch.get_height()), left : left + round(patch.get_width())
        ] += 1
    assert np.all(coverage == 1)  # the kept parts cover every pixel exactly once


def test_tile_figure_rejects_a_tile_smaller_than_its_margins():
    with pytest.raises(ValueError, match="tile must be larger than 2 \\* overlap"):
        schematics.plot_tile_layout(np.zeros((64, 64)), tile=16, overlap=8)


# ------------------------------------------------------------------------ blind spot
def test_blind_spot_copies_a_neighbour_into_each_masked_pixel():
    patch = np.random.default_rng(3).uniform(size=(32, 32)).astype(np.float32)
    radius = 2
    fig = schematics.plot_blind_spot(patch, fraction=0.1, radius=radius, seed=5)
    noisy_ax, masked_ax, mask_ax = fig.axes
    shown = noisy_ax.images[0].get_array()
    masked = masked_ax.images[0].get_array()
    mask = mask_ax.images[0].get_array() > 0
    np.testing.assert_array_equal(shown, patch)
    assert np.all(masked[~mask] == patch[~mask])  # only masked pixels change
    assert 60 <= mask.sum() <= 150  # about 10% of 1024 pixels
    arrows = by_gid(masked_ax.texts, "copy:")
    assert len(arrows) == mask.sum()
    for gid, arrow in arrows.items():
        _, row, col = gid.split(":")
        row, col = int(row), int(col)
        assert mask[row, col]
        src_col, src_row = (round(v) for v in arrow.xyann)
        assert 0 < max(abs(src_row - row), abs(src_col - col)) <= radius
        assert masked[row, col] == patch[src_row, src_col]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"patch": np.zeros((4, 4, 3))}, "patch"),
        ({"patch": np.zeros((40, 40))}, "32x32"),
        ({"fraction": 0}, "fraction"),
        ({"radius": 0}, "radius"),
    ],
)
def test_blind_spot_rejects_bad_input(kwargs, message):
    arguments = {"patch": np.zeros((8, 8))} | kwargs
    with pytest.raises(ValueError, match=message):
        schematics.plot_blind_spot(arguments.pop("patch"), **arguments)


# ---------------------------------------------------------------------- noise figures
def test_noise_against_brightness_matches_each_noise_model():
    fig = schematics.plot_noise_against_brightness(sigma=20, peak=40, levels=11, samples=8000)
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    intensity = lines["measured: Gaussian"].get_xdata()
    expected = {
        "Gaussian": np.full_like(intensity, 20.0),
        "Poisson": 255 * np.sqrt(intensity / 40),
        "speckle": 20 * intensity,
    }
    bright = intensity >= 0.1
    for name, values in expected.items():
        measured = np.asarray(lines[f"measured: {name}"].get_ydata())
        np.testing.assert_allclose(measured[bright], values[bright], rtol=0.06)


def test_noise_models_titles_give_the_psnr_and_noise_std(camera):
    fig = schematics.plot_noise_models(camera, sigma=25, peak=50, seed=0)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("clean")
    gaussian_std = float(re.search(r"std (\d+\.\d)", titles[2])[1])
    assert gaussian_std == pytest.approx(25, abs=1.0)
    noisy = fig.axes[1].images[0].get_array()  # clipped for display: PSNR is lower or equal
    assert metrics.psnr(camera, noisy) >= float(re.search(r"PSNR (\d+\.\d+)", titles[1])[1])


def test_noisy_psnr_follows_the_formula_only_without_clipping(camera):
    sigmas = [10, 25, 50]
    fig = schematics.plot_noisy_psnr(camera, sigmas=sigmas, seed=1)
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    formula = 20 * np.log10(255 / np.asarray(sigmas))
    floated = np.asarray(lines["float noise (protocol)"].get_ydata())
    clipped = np.asarray(lines["clipped to [0, 1]"].get_ydata())
    np.testing.assert_allclose(floated, formula, atol=0.15)
    assert np.all(clipped >= floated)
    assert clipped[-1] - floated[-1] > 0.2  # at sigma 50 clipping is visible


def test_residual_learning_panels_add_up(camera):
    keras.utils.set_random_seed(0)
    model = dncnn(depth=2, width=4, batch_norm=False)
    fig = schematics.plot_residual_learning(model, camera, sigma=25, seed=0)
    noisy, residual, result = (np.asarray(ax.images[0].get_array()) for ax in fig.axes[:3])
    span = 6 * 25 / 255
    unclipped = (noisy > 0) & (noisy < 1) & (result > 0) & (result < 1)
    unclipped &= (residual > 0) & (residual < 1)
    assert unclipped.mean() > 0.5
    np.testing.assert_allclose(
        (residual[unclipped] - 0.5) * span, (noisy - result)[unclipped], atol=1e-5
    )


def test_noise_figures_reject_colour_or_out_of_range_images():
    with pytest.raises(ValueError, match="image"):
        schematics.plot_noise_models(np.zeros((8, 8, 3)))
    with pytest.raises(ValueError, match=r"image must hold values in \[0, 1\]"):
        schematics.plot_noisy_psnr(np.full((8, 8), 2.0))
    with pytest.raises(TypeError, match="sigmas"):
        schematics.plot_noisy_psnr(np.zeros((8, 8)), sigmas=25)


# --------------------------------------------------------------------------- training
def test_full_batch_path_contracts_by_one_minus_eta_hessian():
    x, y = schematics.least_squares_problem(32, seed=2)
    eta = 0.05
    path = schematics.descent_path(
        x, y, np.array([3.0, -2.0]), learning_rate=eta, batch_size=32, epochs=5
    )
    best = np.linalg.lstsq(x, y, rcond=None)[0]
    hessian = 2 / len(x) * x.T @ x
    for before, after in itertools.pairwise(path):
        np.testing.assert_allclose(after - best, (np.eye(2) - eta * hessian) @ (before - best))


def test_descent_figure_draws_every_update():
    fig = schematics.plot_descent_paths(samples=16, batch_sizes=(16, 4, 1), epochs=2)
    lines = [line for line in fig.axes[0].get_lines() if line.get_label() != "minimum"]
    assert [len(line.get_xdata()) for line in lines] == [1 + 2, 1 + 2 * 4, 1 + 2 * 16]
    starts = {(line.get_xdata()[0], line.get_ydata()[0]) for line in lines}
    assert len(starts) == 1  # one common start
    assert lines[2].get_label() == "SGD (B = 1): 32 updates"


def test_learning_rate_above_two_over_l_diverges():
    fig = schematics.plot_learning_rates(factors=(0.9, 1.1), steps=30)
    below, above = (np.asarray(line.get_ydata()) for line in fig.axes[0].get_lines())
    assert below[-1] < below[0] / 10
    assert above[-1] > above[0] * 10


def test_psnr_gain_per_halving_is_ten_log_two():
    fig = schematics.plot_psnr_against_mse(first_mse=0.01, halvings=4)
    gains = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "gain"]
    assert gains == [f"+{10 * math.log10(2):.2f} dB"] * 4
    points = next(line for line in fig.axes[0].get_lines() if line.get_label() == "metrics.psnr")
    np.testing.assert_allclose(np.diff(points.get_ydata()), 10 * math.log10(2), atol=1e-9)


def test_batch_norm_lag_is_measured_from_keras():
    fig = schematics.plot_batch_norm_lag(steps=50, mark=[10])
    measured = [
        line for line in fig.axes[0].get_lines() if line.get_label().startswith("momentum")
    ]
    labels = [line.get_label() for line in measured]
    keras_momentum = keras.layers.BatchNormalization().momentum
    assert labels[0] == f"momentum {keras_momentum:g} (Keras default)"
    ours = dncnn(depth=3, width=4).get_layer("bn2").momentum
    assert labels[1] == f"momentum {ours:g} (dncnn default)"
    for line, momentum in zip(measured, [keras_momentum, ours], strict=True):
        np.testing.assert_allclose(line.get_ydata(), momentum ** np.arange(51.0), rtol=1e-4)


def test_training_figures_reject_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        schematics.descent_path(
            np.ones((4, 2)), np.ones(4), np.zeros(2), learning_rate=0.1, batch_size=5, epochs=1
        )
    with pytest.raises(ValueError, match="first_mse"):
        schematics.plot_psnr_against_mse(first_mse=2.0)
    with pytest.raises(ValueError, match=r"momenta\[0\]"):
        schematics.plot_batch_norm_lag([1.5])


# ------------------------------------------------------------- the book's figure list
def load_extension():
    path = ROOT / "book" / "_ext" / "chapter_figures.py"
    spec = importlib.util.spec_from_file_location("chapter_figures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIGURE_DIRECTIVE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{figure\} images/generated/(?P<name>[\w-]+)\.png\n"
    r"(?P<options>(?::[\w-]+:.*\n)*)",
    re.MULTILINE,
)


def test_every_chapter_shows_at_least_two_generated_figures_with_alt_text():
    extension = load_extension()
    used = set()
    for chapter in sorted((ROOT / "book").glob("ch[1-6]_*.md")):
        figures = list(FIGURE_DIRECTIVE.finditer(chapter.read_text(encoding="utf-8")))
        assert len(figures) >= 2, f"{chapter.name} shows {len(figures)} generated figures"
        for figure in figures:
            assert figure["name"] in extension.FIGURES, (chapter.name, figure["name"])
            assert re.search(r"^:alt: \S", figure["options"], re.MULTILINE), figure["name"]
            used.add(figure["name"])
    assert used == set(extension.FIGURES), "a figure is drawn but no chapter shows it"


def test_extension_renders_atomically_and_tracks_its_sources(tmp_path, monkeypatch):
    extension = load_extension()
    monkeypatch.setattr(extension, "FIGURES", {"unet": extension.FIGURES["ch5_unet"]})
    (written,) = extension.render_all(tmp_path)
    assert written == tmp_path / "unet.png"
    assert written.read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["unet.png"]  # no temporary left
    monkeypatch.setattr(extension, "OUTPUT", tmp_path)
    monkeypatch.setattr(extension, "STAMP", tmp_path / ".stamp")
    assert not extension.up_to_date()  # no stamp yet
    (tmp_path / ".stamp").write_text(extension.source_hash() + "\n")
    assert extension.up_to_date()
    written.unlink()
    assert not extension.up_to_date()  # a figure is missing


def test_opponent_channels_show_the_transform_and_its_noise_levels():
    from deepdenoise.data import sample_images
    from deepdenoise.models.opponent import OPPONENT, OPPONENT_OFFSET, opponent_noise_scale

    photo = sample_images(names=["chelsea"])["chelsea"][:96, :128]
    fig = schematics.plot_opponent_channels(photo, sigma=30, seed=3)
    shown = [np.asarray(ax.images[0].get_array()) for ax in fig.axes]
    expected = photo.astype(np.float64) @ np.asarray(OPPONENT).T + np.asarray(OPPONENT_OFFSET)
    for c in range(3):
        np.testing.assert_allclose(shown[1 + c], np.clip(expected[..., c], 0, 1), atol=1e-6)
    for c, scale in enumerate(opponent_noise_scale()):
        title = fig.axes[5 + c].get_title()
        measured = float(re.search(r"noise std (\d+\.\d)", title)[1])
        assert abs(measured - 30 * scale) < 0.05 * 30 * scale, (title, scale)
    # the detail is in the brightness: its clean spread beats both colour differences
    spreads = [
        float(re.search(r"image std (\d+\.\d)", fig.axes[1 + c].get_title())[1]) for c in range(3)
    ]
    assert spreads[0] > max(spreads[1:])
    with pytest.raises(ValueError, match="RGB"):
        schematics.plot_opponent_channels(photo[..., :2])
