"""Tests of deepdenoise.denoisers: the one registry of denoisers, and its deprecated aliases."""

from __future__ import annotations

import warnings
from pathlib import Path

import keras
import numpy as np
import pytest

from deepdenoise import bench, denoisers, inference
from deepdenoise.classical import CLASSICAL_METHODS
from deepdenoise.denoisers import (
    KINDS,
    Denoiser,
    DenoiserLoadError,
    FunctionDenoiser,
    UnknownDenoiserError,
    get_denoiser,
    list_denoisers,
)


@pytest.fixture(scope="module")
def noisy() -> np.ndarray:
    return np.random.default_rng(0).uniform(size=(32, 32)).astype(np.float32)


@pytest.fixture(scope="module")
def model_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny saved models: a gray FFDNet (noise map), a gray and an RGB DnCNN."""
    from deepdenoise.models import get_model

    folder = tmp_path_factory.mktemp("models")
    models = {
        "ffdnet": get_model("ffdnet", depth=2, width=4),
        "dncnn": get_model("dncnn", depth=2, width=4),
        "dncnn_rgb": get_model("dncnn", depth=2, width=4, channels=3),
    }
    paths = {}
    for name, model in models.items():
        paths[name] = folder / f"{name}.keras"
        model.save(paths[name])
    return paths


def _check_protocol(denoiser: object, name: str, kind: str) -> None:
    assert isinstance(denoiser, Denoiser)
    assert isinstance(denoiser, FunctionDenoiser)
    assert denoiser.name == name
    assert denoiser.kind == kind
    assert isinstance(denoiser.needs_sigma, bool)
    assert denoiser.channels is None or denoiser.channels in (1, 3)


# --- names --------------------------------------------------------------------------------


def test_list_denoisers_order_and_kinds() -> None:
    names = list_denoisers()
    assert names[0] == "noisy"
    assert names[1:3] == ["gaussian", "median"]
    assert len(names) == len(set(names))
    by_kind = [name for kind in KINDS for name in list_denoisers(kind=kind)]
    assert by_kind == names  # the kinds partition the names, in the same order
    assert list_denoisers(kind="input") == ["noisy"]
    assert set(list_denoisers(kind="classical")) <= set(CLASSICAL_METHODS)
    from deepdenoise.weights import list_pretrained

    assert list_denoisers(kind="model") == list_pretrained()


def test_list_denoisers_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        list_denoisers(kind="deep")


@pytest.mark.parametrize("kind", KINDS)
def test_every_listed_name_resolves_and_denoises(kind: str, noisy: np.ndarray) -> None:
    for name in list_denoisers(kind=kind):
        denoiser = get_denoiser(name, tile=None)
        _check_protocol(denoiser, name, kind)
        image = np.repeat(noisy[..., None], 3, axis=-1) if denoiser.channels == 3 else noisy
        result = denoiser(image, 25.0)
        assert result.shape == image.shape and np.isfinite(result).all()


def test_pretrained_models_are_also_model_colon_names() -> None:
    name = list_denoisers(kind="model")[0]
    denoiser = get_denoiser(f"model:{name}")
    _check_protocol(denoiser, name, "model")


# --- the protocol, kind by kind ------------------------------------------------------------


def test_noisy_is_the_identity(noisy: np.ndarray) -> None:
    denoiser = get_denoiser("noisy")
    _check_protocol(denoiser, "noisy", "input")
    assert not denoiser.needs_sigma and denoiser.channels is None
    assert denoiser.model is None
    assert np.array_equal(denoiser(noisy, None), noisy)
    assert denoiser(noisy.astype(np.float64), 25).dtype == np.float32


def test_classical_denoisers_take_gray_and_rgb(noisy: np.ndarray) -> None:
    for name in ("gaussian", "median", "tv", "wavelet", "nl_means"):
        denoiser = get_denoiser(name)
        _check_protocol(denoiser, name, "classical")
        assert denoiser.needs_sigma and denoiser.channels is None and denoiser.model is None
        assert denoiser.fn is CLASSICAL_METHODS[name]
        rgb = np.stack([noisy] * 3, axis=-1)
        assert denoiser(rgb, 25).shape == rgb.shape


def test_bm3d() -> None:
    pytest.importorskip("bm3d")
    assert get_denoiser("bm3d").kind == "classical"
    assert "bm3d" in list_denoisers()


def test_pretrained_models_describe_themselves() -> None:
    from deepdenoise.models import model_info

    for name in list_denoisers(kind="model"):
        denoiser = get_denoiser(name)
        info = model_info(denoiser.model)
        assert denoiser.needs_sigma == info["needs_noise_map"]
        assert denoiser.channels == (None if info["channels"] == 1 else info["channels"])


def test_model_files(model_files: dict[str, Path], noisy: np.ndarray) -> None:
    ffdnet = get_denoiser(f"model:{model_files['ffdnet']}", tile=16, overlap=4)
    _check_protocol(ffdnet, "model:ffdnet", "model")
    assert ffdnet.needs_sigma and ffdnet.channels is None
    assert ffdnet(noisy, 25).shape == noisy.shape
    # A path alone works too, and RGB images go through a gray model channel by channel.
    dncnn = get_denoiser(str(model_files["dncnn"]))
    _check_protocol(dncnn, "model:dncnn", "model")
    assert not dncnn.needs_sigma and dncnn.channels is None
    assert dncnn(np.stack([noisy] * 3, axis=-1), None).shape == (32, 32, 3)
    rgb = get_denoiser(str(model_files["dncnn_rgb"]))
    assert rgb.channels == 3 and not rgb.needs_sigma


def test_model_options_reach_inference(model_files: dict[str, Path], noisy: np.ndarray) -> None:
    from deepdenoise.inference import denoise

    path = str(model_files["ffdnet"])
    denoiser = get_denoiser(path, tile=16, overlap=4, self_ensemble=True)
    expected = denoise(denoiser.model, noisy, 25, tile=16, overlap=4, self_ensemble=True)
    assert np.array_equal(denoiser(noisy, 25), expected)


def test_function_denoiser_keeps_the_method_fields() -> None:
    def halve(image: np.ndarray, sigma: float | None) -> np.ndarray:
        return image / 2

    positional = FunctionDenoiser("halve", "classical", halve)
    assert (positional.name, positional.kind, positional.fn, positional.model) == (
        "halve",
        "classical",
        halve,
        None,
    )
    assert positional.needs_sigma is True
    assert FunctionDenoiser("same", "input", halve).needs_sigma is False
    with pytest.raises(ValueError, match="kind"):
        FunctionDenoiser("x", "deep", halve)
    wrapped = denoisers.denoiser_from_function("halve", halve, needs_sigma=False, channels=1)
    assert isinstance(wrapped, Denoiser) and wrapped.channels == 1 and not wrapped.needs_sigma


def test_model_kind_resolves_needs_sigma_from_the_model(model_files: dict[str, Path]) -> None:
    import keras

    model = keras.saving.load_model(model_files["ffdnet"], compile=False)
    assert FunctionDenoiser("m", "model", lambda image, sigma: image, model).needs_sigma is True


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["nope", "model:nope", "model:gaussian", "model:noisy", ""])
def test_unknown_names(name: str) -> None:
    with pytest.raises(UnknownDenoiserError) as caught:
        get_denoiser(name)
    error = caught.value
    assert isinstance(error, ValueError)
    assert repr(name) in str(error)
    assert error.name == name
    assert error.choices == list_denoisers()
    assert all(choice in str(error) for choice in error.choices)


def test_non_strings_are_type_errors() -> None:
    with pytest.raises(TypeError, match="string"):
        get_denoiser(None)  # type: ignore[arg-type]


def test_missing_model_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.keras"
    with pytest.raises(DenoiserLoadError, match=r"model file .*missing\.keras does not exist"):
        get_denoiser(f"model:{path}")


def test_unreadable_model_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.keras"
    path.write_text("not a model")
    with pytest.raises(DenoiserLoadError, match=r"broken\.keras is not a loadable") as caught:
        get_denoiser(str(path))
    assert isinstance(caught.value, ValueError)
    assert not isinstance(caught.value, UnknownDenoiserError)
    assert caught.value.__cause__ is not None


@pytest.mark.parametrize(
    "problem",
    [
        ValueError("weights file x.weights.h5 is corrupt or truncated"),
        FileNotFoundError("weights file x.weights.h5 for 'ffdnet' is missing"),
    ],
)
def test_pretrained_model_that_cannot_load(
    problem: Exception, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deepdenoise import weights

    def unreadable(name: str, **_: object) -> None:
        raise problem

    monkeypatch.setattr(weights, "load_pretrained", unreadable)
    name = list_denoisers(kind="model")[0]
    with pytest.raises(DenoiserLoadError, match=r"weights file x\.weights\.h5") as caught:
        get_denoiser(name)
    assert caught.value.__cause__ is problem


def test_a_damaged_manifest_is_a_load_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from deepdenoise import weights

    def damaged(**_: object) -> list[str]:
        raise ValueError("manifest m.json is not valid JSON")

    monkeypatch.setattr(weights, "list_pretrained", damaged)
    with pytest.raises(DenoiserLoadError, match=r"m\.json"):
        get_denoiser("ffdnet")
    assert get_denoiser("tv").kind == "classical"  # names that need no manifest still resolve


def test_bm3d_missing_is_an_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "bm3d" else real(name, *a)
    )
    assert "bm3d" not in list_denoisers()
    with pytest.raises(ImportError, match="pip install"):
        get_denoiser("bm3d")


# --- the deprecated names of deepdenoise.bench ---------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("get_method", "get_denoiser"),
        ("list_methods", "list_denoisers"),
        ("Method", "FunctionDenoiser"),
        ("UnknownMethodError", "UnknownDenoiserError"),
    ],
)
def test_deprecated_bench_names_warn_and_are_the_registry(old: str, new: str) -> None:
    with pytest.warns(DeprecationWarning, match=f"bench.{old} is deprecated.*denoisers.{new}"):
        value = getattr(bench, old)
    assert value is getattr(denoisers, new)


def test_deprecated_bench_names_still_work(data_dir: Path) -> None:
    with pytest.warns(DeprecationWarning):
        from deepdenoise.bench import Method, UnknownMethodError, get_method, list_methods
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        method = get_method("tv")
        assert isinstance(method, Method)
        assert method.kind == "classical" and method.fn is CLASSICAL_METHODS["tv"]
        assert list_methods() == list_denoisers()
        with pytest.raises(UnknownMethodError, match="'nope'"):
            get_method("nope")
        hand_made = Method("halve", "classical", lambda image, sigma: image / 2)
        rows = bench.run_benchmark(
            [hand_made], "set12", 25, max_images=1, progress=False, data_dir=data_dir
        )
    assert rows[0]["method"] == "halve"


def test_bench_has_no_other_attributes() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        bench.no_such_name  # noqa: B018
    assert "get_method" not in bench.__all__


def test_the_registry_is_a_lazy_submodule() -> None:
    import deepdenoise

    assert "denoisers" in deepdenoise.__all__
    assert deepdenoise.denoisers is denoisers


# --- per channel, and the default model for a number of channels -------------------------


def test_per_channel_runs_the_gray_denoiser_on_each_channel() -> None:
    rgb = np.random.default_rng(1).uniform(size=(24, 20, 3)).astype(np.float32)
    median = get_denoiser("median")
    split = get_denoiser("median/per-channel")
    assert (split.name, split.kind, split.needs_sigma, split.channels) == (
        "median/per-channel",
        "classical",
        True,
        None,
    )
    out = split(rgb, 30)
    for channel in range(3):
        np.testing.assert_array_equal(out[..., channel], median(rgb[..., channel], 30))
    gray = rgb[..., 0]
    np.testing.assert_array_equal(split(gray, 30), median(gray, 30))


def test_per_channel_of_a_model_file_and_its_refusals(model_files: dict[str, Path]) -> None:
    gray = get_denoiser(f"model:{model_files['ffdnet']}/per-channel", tile=None)
    assert gray.name == "model:ffdnet/per-channel" and gray.kind == "model"
    assert gray.needs_sigma and gray.model is None
    rgb = np.random.default_rng(2).uniform(size=(16, 16, 3)).astype(np.float32)
    whole = get_denoiser(f"model:{model_files['ffdnet']}", tile=None)
    np.testing.assert_allclose(gray(rgb, 25), whole(rgb, 25), atol=1e-6)  # inference splits too
    with pytest.raises(ValueError, match="colour model"):
        get_denoiser(f"{model_files['dncnn_rgb']}/per-channel")
    for name in ("noisy/per-channel", "/per-channel"):
        with pytest.raises(UnknownDenoiserError, match="per-channel"):
            get_denoiser(name)


def test_a_colour_model_names_itself_when_given_a_gray_image(model_files: dict[str, Path]):
    rgb_model = get_denoiser(f"model:{model_files['dncnn_rgb']}", tile=None)
    assert rgb_model.channels == 3
    with pytest.raises(ValueError, match=r"'model:dncnn_rgb'.*RGB.*has 1 channel"):
        rgb_model(np.zeros((8, 8), np.float32), 25)
    assert rgb_model(np.zeros((8, 8, 3), np.float32), 25).shape == (8, 8, 3)


def test_default_model_picks_up_a_shipped_colour_model(tmp_path: Path, tiny_manifest) -> None:
    gray_only = tmp_path / "a" / "manifest.json"
    tiny_manifest({"ffdnet": 1, "dncnn_rgb": ("dncnn", 3)}, manifest_path=gray_only)
    assert denoisers.default_model_name(1, manifest_path=gray_only) == "ffdnet15"
    # a colour model without a noise-level map is not the default: the gray one per channel
    assert denoisers.default_model_name(3, manifest_path=gray_only) == "ffdnet15"
    both = tmp_path / "b" / "manifest.json"
    tiny_manifest({"ffdnet": 1, "ffdnet_color": 3, "dncnn_rgb": ("dncnn", 3)}, manifest_path=both)
    assert denoisers.default_model_name(3, manifest_path=both) == "ffdnet_color"
    opponent = tmp_path / "c" / "manifest.json"
    tiny_manifest(
        {"ffdnet": 1, "dncnn_rgb": ("dncnn", 3), "opp": ("opponent_ffdnet", 3)},
        manifest_path=opponent,
    )
    assert denoisers.default_model_name(3, manifest_path=opponent) == "opp"
    assert denoisers.default_model_name(1, manifest_path=both) == "ffdnet15"
    assert denoisers.DEFAULT_MODEL == "ffdnet15"
    for bad in (2, 4, True, "3"):
        with pytest.raises(ValueError, match="channels"):
            denoisers.default_model_name(bad, manifest_path=both)


def test_the_shipped_colour_default_is_the_colour_model() -> None:
    """RGB images go to the shipped colour model, which takes a noise-level map."""
    from deepdenoise.weights import pretrained_entry

    name = denoisers.default_model_name(3)
    assert name == "ffdnet_color"
    assert pretrained_entry(name)["info"]["channels"] == 3
    assert pretrained_entry(name)["info"]["needs_noise_map"]


def test_blind_suffix_estimates_sigma_whatever_sigma_is_given():
    import numpy as np

    from deepdenoise.denoisers import blind, denoiser_from_model
    from deepdenoise.inference import denoise, estimate_noise_level
    from deepdenoise.models import get_model

    model = get_model("ffdnet", depth=2, width=4)
    tiny = denoiser_from_model("tiny", model, tile=None)
    rng = np.random.default_rng(0)
    noisy = (0.5 + rng.normal(0, 20 / 255, (32, 32))).astype(np.float32)
    blind_tiny = blind(tiny)
    assert blind_tiny.name == "tiny/blind" and not blind_tiny.needs_sigma
    estimated = estimate_noise_level(noisy)
    expected = denoise(model, noisy, estimated, tile=None)
    np.testing.assert_allclose(blind_tiny(noisy, 70), expected, atol=1e-6)
    assert not np.allclose(tiny(noisy, 70), expected, atol=1e-4)


def test_blind_suffix_by_name_and_its_errors():
    from deepdenoise.denoisers import get_denoiser

    assert get_denoiser("ffdnet/blind").name == "ffdnet/blind"
    with pytest.raises(ValueError, match="not a model with a noise-level map"):
        get_denoiser("dncnn25/blind")
    with pytest.raises(ValueError, match="not a model with a noise-level map"):
        get_denoiser("tv/blind")


def test_opponent_suffix_is_the_colour_model_before_colour_training():
    from deepdenoise.models import colour_from_gray, get_model

    keras.utils.set_random_seed(4)
    gray_model = get_model("ffdnet", depth=3, width=6)
    gray = denoisers.denoiser_from_model("tiny", gray_model, tile=None)
    colour = denoisers.opponent(gray)
    assert (colour.name, colour.kind, colour.needs_sigma) == ("tiny/opponent", "model", True)
    rgb = np.random.default_rng(5).uniform(0.2, 0.8, size=(12, 10, 3)).astype(np.float32)
    expected = inference.denoise(colour_from_gray(gray_model), rgb, 30, tile=None)
    np.testing.assert_allclose(colour(rgb, 30), expected, atol=1e-5)
    # sigma=None: the RGB noise level is estimated first, as the command line does
    estimated = inference.estimate_noise_level(rgb)
    np.testing.assert_allclose(colour(rgb, None), colour(rgb, estimated), atol=1e-6)
    plane = rgb[..., 0]  # a gray image goes through the gray denoiser unchanged
    np.testing.assert_array_equal(colour(plane, 30), gray(plane, 30))


def test_opponent_suffix_names_what_it_cannot_wrap():
    from deepdenoise.models import get_model

    fixed_sigma = denoisers.denoiser_from_model("dn", get_model("dncnn", depth=2, width=4))
    with pytest.raises(ValueError, match="'dn' does not use sigma"):
        denoisers.opponent(fixed_sigma)
    rgb_model = denoisers.denoiser_from_model(
        "c", get_model("ffdnet", depth=2, width=4, channels=3)
    )
    with pytest.raises(ValueError, match="'c' is a colour model"):
        denoisers.opponent(rgb_model)
    with pytest.raises(denoisers.UnknownDenoiserError, match="'/opponent' follows"):
        denoisers.get_denoiser("noisy/opponent")
    assert denoisers.get_denoiser("gaussian/opponent").name == "gaussian/opponent"
