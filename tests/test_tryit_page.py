"""The Try it page (book/try_it.md) in headless Chromium: it denoises as Python does.

Run after `make site` (or `make book`): `pytest -m browser tests/test_tryit_page.py`.
The built site is served on 127.0.0.1 (the fixtures of tests/test_site.py). A noisy
8-bit crop of the camera man goes in through the page's file input; the page's result,
read back as the PNG it offers for download, must equal
:func:`deepdenoise.inference.denoise` with the same model and sigma on the same 8-bit
file to one level, with the same PSNR gain to 0.05 dB. Bad files must get a clear
message, a 16-bit PNG and a 12-megapixel photo must be handled, and the browser console
must stay free of errors. Screenshots before and after denoising go to _build/screenshots/.
"""

from __future__ import annotations

import base64
import io
import math
import time
from pathlib import Path
from urllib.parse import urljoin

import numpy as np
import pytest
import test_site
from test_site import SCREENSHOTS, SITE, open_page, page_problems, save_full_page_screenshot

pytestmark = pytest.mark.browser

# The site's server and the headless Chromium of tests/test_site.py, for this module.
base_url = test_site.base_url
driver = test_site.driver

PAGE = "book/try_it.html"
RUN_TIMEOUT_S = 180
SIGMA = 25


# --------------------------------------------------------------------------- helpers
def text(driver, name: str) -> str:
    return driver.execute_script(
        "const e = document.getElementById(arguments[0]); return e.hidden ? '' : e.textContent",
        f"tryit-{name}",
    )


def wait_for(driver, script: str, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(
        f"timed out after {timeout} s waiting for {what}; status {text(driver, 'status')!r}, "
        f"message {text(driver, 'message')!r}"
    )


def open_tryit(driver, base_url: str) -> None:
    """Open the page (fresh state) and wait until its models are listed."""
    open_page(driver, urljoin(base_url, PAGE))
    wait_for(
        driver,
        "return (window.deepdenoiseTryIt && window.deepdenoiseTryIt.ready)"
        " || !document.getElementById('tryit-message').hidden",
        60,
        "the page to load its models",
    )
    assert text(driver, "message") == "", "the page could not load its models"


def choose_file(driver, path: Path) -> None:
    """Give the page a file through its file input; wait until it is read or refused."""
    driver.execute_script("document.getElementById('tryit-status').textContent = ''")
    driver.find_element("id", "tryit-file").send_keys(str(path))
    wait_for(
        driver,
        "const m = document.getElementById('tryit-message');"
        "return /Press Denoise/.test(document.getElementById('tryit-status').textContent)"
        " || (!m.hidden && m.textContent)",
        60,
        f"the page to read {path.name}",
    )


def set_controls(driver, *, estimate: bool, sigma: float = SIGMA, tile: int = 512) -> None:
    driver.execute_script(
        "const [estimate, sigma, tile] = arguments;"
        "const box = document.getElementById('tryit-estimate');"
        "if (box.checked !== estimate) box.click();"
        "const slider = document.getElementById('tryit-sigma');"
        "slider.value = sigma; slider.dispatchEvent(new Event('input'));"
        "document.getElementById('tryit-tile').value = tile;",
        estimate,
        sigma,
        tile,
    )


def run_page(driver) -> dict:
    """Press Denoise; wait for the result; return the page's description of it."""
    driver.find_element("id", "tryit-run").click()
    wait_for(
        driver,
        "const t = window.deepdenoiseTryIt;"
        "return !t.running && (t.result || !document.getElementById('tryit-message').hidden)",
        RUN_TIMEOUT_S,
        "the page to denoise",
    )
    assert text(driver, "message") == ""
    return driver.execute_script("return window.deepdenoiseTryIt.result")


def result_pixels(driver) -> np.ndarray:
    """The PNG the page offers for download, as an (H, W, 4) uint8 array."""
    from PIL import Image

    url = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "window.deepdenoiseTryIt.resultDataURL().then(done, e => done('error: ' + e.message));"
    )
    assert url.startswith("data:image/png;base64,"), url[:80]
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as image:
        return np.asarray(image.convert("RGBA"))


def gray_of(rgba: np.ndarray) -> np.ndarray:
    assert (rgba[..., 0] == rgba[..., 1]).all() and (rgba[..., 0] == rgba[..., 2]).all()
    return rgba[..., 0]


def assert_clean_console(driver, base_url: str) -> None:
    assert page_problems(driver, base_url) == []


@pytest.fixture(scope="module")
def camera_case(tmp_path_factory):
    """A clean crop of the camera man, its noisy 8-bit PNG (sigma 25) and the PNG's pixels."""
    from PIL import Image

    from deepdenoise.data import save_image
    from deepdenoise.data.samples import sample_images
    from deepdenoise.noise import add_gaussian_noise

    # 190 x 203: odd sizes, so the page pads to FFDNet's multiple of 2 and crops back.
    clean = sample_images(names=["camera"])["camera"][180:370, 140:343]
    path = save_image(
        tmp_path_factory.mktemp("tryit") / "camera_noisy.png",
        add_gaussian_noise(clean, SIGMA, seed=0),
    )
    with Image.open(path) as image:
        noisy = np.asarray(image)
    assert noisy.dtype == np.uint8 and noisy.shape == clean.shape
    return clean, path, noisy


def python_denoise(model_name: str, noisy: np.ndarray, sigma: float | None) -> np.ndarray:
    from deepdenoise import inference, weights

    return inference.denoise(weights.load_pretrained(model_name), noisy, sigma)


def psnr_gain(clean: np.ndarray, noisy: np.ndarray, denoised: np.ndarray) -> float:
    from deepdenoise.metrics import psnr

    return psnr(clean, denoised / np.float32(255)) - psnr(clean, noisy / np.float32(255))


# ----------------------------------------------------------------------------- tests
def test_page_denoises_as_python(driver, base_url, camera_case):
    """Default model, sigma 25 chosen: one pass; the same pixels and gain as Python."""
    clean, path, noisy = camera_case
    open_tryit(driver, base_url)
    choose_file(driver, path)
    assert text(driver, "message") == ""
    set_controls(driver, estimate=False)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    save_full_page_screenshot(driver, SCREENSHOTS / "tryit_before.png")

    result = run_page(driver)
    assert result["sigma"] == SIGMA and not result["estimated"]
    assert result["tiles"] == 1
    page = gray_of(result_pixels(driver))
    expected = python_denoise(result["model"], noisy, SIGMA)
    assert page.shape == expected.shape == noisy.shape
    difference = np.abs(page.astype(int) - expected.astype(int))
    assert difference.max() <= 1, f"{(difference > 1).sum()} pixels differ by more than 1"
    page_gain, python_gain = psnr_gain(clean, noisy, page), psnr_gain(clean, noisy, expected)
    assert python_gain > 5, python_gain  # the model does denoise: the comparison means something
    assert abs(page_gain - python_gain) <= 0.05, (page_gain, python_gain)

    status = text(driver, "status")
    for word in (result["model"], "sigma 25.0", "1 tile", "nothing was uploaded"):
        assert word in status, status
    # The view shows the result: the zoomed crops differ (noisy vs denoised).
    crops = driver.execute_script(
        "return ['before', 'after'].map(n => Array.from(document.getElementById('tryit-crop-' + n)"
        ".getContext('2d').getImageData(0, 0, 64, 64).data.filter((_, i) => i % 4 === 0)))"
    )
    assert crops[0] != crops[1]
    save_full_page_screenshot(driver, SCREENSHOTS / "tryit_after.png")
    assert_clean_console(driver, base_url)


def test_estimated_sigma_and_small_tiles_match_python(driver, base_url, camera_case):
    """Sigma estimated as the command line estimates it; 96-pixel tiles cut, not blended."""
    from deepdenoise.inference import estimate_noise_level

    clean, path, noisy = camera_case
    open_tryit(driver, base_url)
    choose_file(driver, path)
    set_controls(driver, estimate=True, tile=96)
    result = run_page(driver)
    python_sigma = estimate_noise_level(noisy)
    assert result["estimated"]
    assert math.isclose(result["sigma"], python_sigma, rel_tol=1e-4), (result, python_sigma)
    assert result["tiles"] > 4
    page = gray_of(result_pixels(driver))
    expected = python_denoise(result["model"], noisy, python_sigma)  # one pass
    assert np.abs(page.astype(int) - expected.astype(int)).max() <= 1
    assert abs(psnr_gain(clean, noisy, page) - psnr_gain(clean, noisy, expected)) <= 0.05
    assert_clean_console(driver, base_url)


def test_colour_sample_goes_through_the_colour_model(driver, base_url):
    """The astronaut sample (colour): the shipped colour model by default, as in Python."""
    from PIL import Image

    open_tryit(driver, base_url)
    buttons = driver.find_elements("css selector", "#tryit-samples button")
    colour = [button for button in buttons if "colour" in button.text]
    assert colour, [button.text for button in buttons]
    colour[0].click()
    wait_for(
        driver,
        "return window.deepdenoiseTryIt.image && window.deepdenoiseTryIt.image.channels",
        60,
        "the sample",
    )
    set_controls(driver, estimate=False)
    result = run_page(driver)
    sample = (
        SITE
        / "_static"
        / "tryit"
        / "samples"
        / driver.execute_script("return window.deepdenoiseTryIt.image.name")
    )
    with Image.open(sample) as image:
        noisy = np.asarray(image.convert("RGB"))
    page = result_pixels(driver)[..., :3]
    model_channels = driver.execute_script(
        "return document.getElementById('tryit-model').selectedOptions[0].textContent"
    )
    assert "(colour)" in model_channels, model_channels  # the default for a colour photo
    assert result["passes"] == 1  # the three channels at once
    expected = python_denoise(result["model"], noisy, SIGMA)
    assert np.abs(page.astype(int) - expected.astype(int)).max() <= 1
    assert_clean_console(driver, base_url)


def test_bad_files_get_a_clear_message(driver, base_url, tmp_path):
    from PIL import Image

    open_tryit(driver, base_url)
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("these are notes, not pixels\n")
    choose_file(driver, not_an_image)
    assert "notes.png is not an image" in text(driver, "message")
    assert driver.find_element("id", "tryit-run").get_attribute("disabled") is not None

    tiny = tmp_path / "one_pixel.png"
    Image.new("L", (1, 1), 128).save(tiny)
    choose_file(driver, tiny)
    message = text(driver, "message")
    assert "one_pixel.png is 1 x 1 pixels: too small" in message, message
    assert driver.find_element("id", "tryit-run").get_attribute("disabled") is not None
    assert_clean_console(driver, base_url)


def test_16_bit_png_is_denoised_in_8_bits(driver, base_url, camera_case, tmp_path):
    from deepdenoise.data import save_image

    _, _, noisy = camera_case
    path = save_image(tmp_path / "sixteen.png", noisy.astype(np.uint16) * 257, bit_depth=16)
    open_tryit(driver, base_url)
    choose_file(driver, path)
    assert text(driver, "message") == ""
    assert "16 bits" in text(driver, "status")
    set_controls(driver, estimate=False)
    result = run_page(driver)
    assert "16 bits" in text(driver, "status")
    page = gray_of(result_pixels(driver))
    # The browser's 8 bits of v * 257 are v: the result is the 8-bit file's.
    expected = python_denoise(result["model"], noisy, SIGMA)
    assert np.abs(page.astype(int) - expected.astype(int)).max() <= 1
    assert_clean_console(driver, base_url)


def test_large_photo_runs_tile_by_tile_with_progress(driver, base_url, tmp_path):
    """4000 x 3000 pixels in 256-pixel tiles: the progress bar counts them; Cancel stops."""
    from PIL import Image

    from deepdenoise import inference

    rng = np.random.default_rng(0)
    ramp = np.add.outer(np.linspace(40, 200, 3000), np.linspace(0, 15, 4000))
    large = np.clip(ramp + rng.normal(0, 10, ramp.shape), 0, 255).astype(np.uint8)
    path = tmp_path / "large.png"
    Image.fromarray(large).save(path, compress_level=1)
    open_tryit(driver, base_url)
    choose_file(driver, path)
    assert "4000 × 3000" in text(driver, "status")
    tile = 256
    set_controls(driver, estimate=True, tile=tile)
    driver.find_element("id", "tryit-run").click()
    done = wait_for(
        driver,
        "const p = document.getElementById('tryit-progress');"
        "return !p.hidden && p.hasAttribute('value') && p.value >= 3 && [p.value, p.max]",
        RUN_TIMEOUT_S,
        "three tiles",
    )
    # FFDNet-like models pad to 2 and overlap by 32: the tiles denoise() would cut.
    meta = driver.execute_script(
        "return fetch('../_static/tryit/models/' + document.getElementById('tryit-model').value"
        " + '.json').then(r => r.json())"
    )
    multiple = meta["size_multiple"]
    overlap = math.ceil(max(32, meta["receptive_field"]) / multiple) * multiple
    side = tile // multiple * multiple
    rows = inference.tile_layout(3000 + -3000 % multiple, side, overlap)
    cols = inference.tile_layout(4000 + -4000 % multiple, side, overlap)
    assert done[1] == len(rows) * len(cols) > 100
    assert f"of {done[1]} tiles" in text(driver, "status")
    driver.find_element("id", "tryit-cancel").click()
    wait_for(driver, "return !window.deepdenoiseTryIt.running", 60, "the run to stop")
    assert text(driver, "status").startswith("Cancelled"), text(driver, "status")
    assert text(driver, "message") == ""
    assert_clean_console(driver, base_url)
