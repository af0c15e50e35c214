"""Seconds for one 512x512 gray image on the Try it page (browser) and in Python, one run.

The camera man (512x512, scikit-image's sample) gets Gaussian noise (sigma 25,
seed 0) and is saved as an 8-bit PNG. Each shipped model then denoises it
with sigma 25, in turn:

- **browser**: the built site's Try it page (``book/try_it.html`` in
  ``_build/html``, served on 127.0.0.1) in headless Chromium, through
  onnxruntime-web's WebAssembly backend on one thread (the page is not
  cross-origin isolated, so it cannot start threads). The figure is the page's
  own timing of the run (``performance.now()`` around tiling, inference and
  rounding to 8 bits), which the page also reports to the reader; loading the
  model is not counted.
- **Python**: ``deepdenoise.inference.denoise`` in this process on the same
  8-bit pixels, as ``deepdenoise denoise`` runs it (``tile="auto"``: one pass),
  without reading and writing the files; Keras on its default backend, with
  every CPU core.

Each model first runs once untimed on both sides (WebAssembly compilation,
graph tracing); then, for each of ``--repeats`` rounds, the two sides take
turns, the order swapped every round. Each figure is the **median** of its
runs, and the last column is their ratio, so a burst of load on the machine
hits both alike. Run it after ``make site`` (or ``make book``) with::

    python benchmarks/browser_speed.py [--models ffdnet,dncnn25] [--repeats 7]
                                       [--out benchmarks/results/browser_speed.md]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from _timing import Timing, emit, model_names

from deepdenoise import inference, weights
from deepdenoise.data import save_image
from deepdenoise.data.samples import sample_images
from deepdenoise.noise import add_gaussian_noise

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
PAGE = "book/try_it.html"
SIGMA = 25
RUN_TIMEOUT_S = 600


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@contextmanager
def served_site() -> Iterator[str]:
    """Serve _build/html on a free port of 127.0.0.1; yield its base URL."""
    if not (SITE / PAGE).is_file():
        raise SystemExit(f"{SITE / PAGE} not found: build the site first (make site)")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def chromium(profile: Path) -> Iterator[object]:
    """Headless Debian Chromium, as tests/test_site.py starts it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver, script: str, timeout: float, *args: object) -> object:
    """Poll ``script`` (with ``args``) until it returns something true; return that."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script, *args)
        if value:
            return value
        time.sleep(0.05)
    status = driver.execute_script("return document.getElementById('tryit-status').textContent")
    raise RuntimeError(f"the page did not finish within {timeout} s: {status!r}")


def open_with_image(driver, base_url: str, image: Path) -> None:
    driver.get(base_url + PAGE)
    wait_for(driver, "return window.deepdenoiseTryIt && window.deepdenoiseTryIt.ready", 60)
    driver.find_element("id", "tryit-file").send_keys(str(image))
    wait_for(driver, "return window.deepdenoiseTryIt.image", 60)
    driver.execute_script(
        "const box = document.getElementById('tryit-estimate');"
        "if (box.checked) box.click();"
        "const slider = document.getElementById('tryit-sigma');"
        "slider.value = arguments[0]; slider.dispatchEvent(new Event('input'));",
        SIGMA,
    )


def browser_seconds(driver, model: str) -> float:
    """Denoise the loaded image with `model` on the page; the page's own timing."""
    driver.execute_script(
        "const select = document.getElementById('tryit-model');"
        "select.value = arguments[0]; select.dispatchEvent(new Event('change'));"
        "document.getElementById('tryit-run').click();",
        model,
    )
    result = wait_for(
        driver,
        "const t = window.deepdenoiseTryIt;"
        "if (!t.running && !document.getElementById('tryit-message').hidden)"
        "  return {error: document.getElementById('tryit-message').textContent};"
        "return !t.running && t.result && t.result.model === arguments[0] && t.result",
        RUN_TIMEOUT_S,
        model,
    )
    if "error" in result:
        raise RuntimeError(result["error"])
    return float(result["seconds"])


def python_seconds(model, noisy: np.ndarray) -> float:
    start = time.perf_counter()
    inference.denoise(model, noisy, SIGMA)
    return time.perf_counter() - start


def measure(models: list[str], repeats: int, base_url: str, workdir: Path):
    clean = sample_images(names=["camera"])["camera"]
    path = save_image(workdir / "camera_sigma25.png", add_gaussian_noise(clean, SIGMA, seed=0))
    from PIL import Image

    with Image.open(path) as image:
        noisy = np.asarray(image)
    keras_models = {name: weights.load_pretrained(name) for name in models}
    seconds = {(name, side): [] for name in models for side in ("browser", "python")}
    with chromium(workdir / "profile") as driver:
        open_with_image(driver, base_url, path)
        version = driver.capabilities.get("browserVersion", "?")
        for name in models:  # warm-up: WebAssembly compilation, session, graph tracing
            browser_seconds(driver, name)
            python_seconds(keras_models[name], noisy)
        for round_ in range(repeats):
            for name in models:
                sides = ("browser", "python") if round_ % 2 == 0 else ("python", "browser")
                for side in sides:
                    if side == "browser":
                        value = browser_seconds(driver, name)
                    else:
                        value = python_seconds(keras_models[name], noisy)
                    seconds[(name, side)].append(value)
    return seconds, version


def table(seconds, models: list[str], repeats: int, chromium_version: str, load: float) -> str:
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    ort_version = lock["packages"]["node_modules/onnxruntime-web"]["version"]
    lines = [
        f"One 512x512 gray image (camera, sigma {SIGMA}), median of {repeats} interleaved "
        f"runs per side, {weights.describe_machine()}; browser: headless Chromium "
        f"{chromium_version}, onnxruntime-web {ort_version}, WebAssembly, 1 thread; "
        f"Python: `inference.denoise` in-process, all cores; load average {load:.1f} at the "
        "start (other jobs shared the machine)",
        "",
        "| model | browser s (median) | min-max | Python s (median) | min-max "
        "| browser time / Python time |",
        "|---|---|---|---|---|---|",
    ]
    for name in models:
        browser, python = (Timing.of(seconds[(name, side)]) for side in ("browser", "python"))
        lines.append(
            f"| {name} | {browser.median:.3f} | {browser.spread()} | {python.median:.3f} "
            f"| {python.spread()} | {browser.median / python.median:.1f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(weights.list_pretrained()))
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per side and model")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args()
    models = model_names(args.models)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder, served_site() as base_url:
        seconds, version = measure(models, args.repeats, base_url, Path(folder))
    emit(table(seconds, models, args.repeats, version, load), args.out)


if __name__ == "__main__":
    main()
