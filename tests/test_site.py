"""The built website in a real browser: headless Chromium driven by Selenium.

Run after `make site` (or `make book`): `pytest -m browser tests/test_site.py`.
The site in _build/html is served on 127.0.0.1 and every HTML page is opened. A page
passes when the browser logs no errors, fetches nothing from another host (the book
must work offline), loads every image, gives content images alt text, and typesets
all of its math with MathJax. Search must find "PSNR". Screenshots of the intro and
of chapter 4 go to _build/screenshots/ for a human to look at.
"""

from __future__ import annotations

import functools
import http.server
import threading
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
import yaml

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_S = 30
HELPER_FOLDERS = {"_static", "_sources", "_images", "_downloads", "_panels_static"}


def site_pages() -> list[str]:
    """Every HTML page of the built site, relative to its root, helpers excluded."""
    if not SITE.is_dir():
        return []
    return sorted(
        path.relative_to(SITE).as_posix()
        for path in SITE.rglob("*.html")
        if not HELPER_FOLDERS & set(path.relative_to(SITE).parts)
    )


PAGES = site_pages()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def base_url():
    """Serve _build/html on a free port of 127.0.0.1 for the whole module."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE} holds no built site; run `make site` or `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    """Headless Debian Chromium with its browser console log enabled."""
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.is_file():
            pytest.fail(
                f"{binary} not found: install the Debian packages chromium and "
                "chromium-driver (`make browser` does)"
            )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    browser.set_page_load_timeout(60)
    try:
        yield browser
    finally:
        browser.quit()


READY_JS = """
const images = Array.from(document.images).every(i => i.complete);
const math = Array.from(document.querySelectorAll('.math'));
const typeset = math.every(m => m.querySelector('mjx-container') !== null);
return document.readyState === 'complete' && images && typeset;
"""


def open_page(driver, url: str) -> None:
    """Load url; wait (at most WAIT_S) for its images and for MathJax to finish.

    A page that never gets there is not an error here: page_problems reports what is
    missing.
    """
    driver.get_log("browser")  # drop messages left by the previous page
    driver.get(url)
    # Lazy images load only near the viewport: make them all load now.
    driver.execute_script(
        "document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')"
    )
    deadline = time.monotonic() + WAIT_S
    while not driver.execute_script(READY_JS) and time.monotonic() < deadline:
        time.sleep(0.1)


def page_problems(driver, base_url: str) -> list[str]:
    """Everything wrong with the page now loaded in driver."""
    problems = []
    for entry in driver.get_log("browser"):
        if entry["level"] == "SEVERE":
            problems.append(f"console error: {entry['message']}")

    foreign = driver.execute_script(
        "return performance.getEntriesByType('resource').map(r => r.name)"
        ".filter(n => !n.startsWith(arguments[0]) && !n.startsWith('data:'))",
        base_url,
    )
    problems += [f"fetched from another host: {name}" for name in foreign]

    for src, loaded, alt, in_content in driver.execute_script(
        "return Array.from(document.images).map(i => [i.currentSrc || i.src,"
        " i.complete && i.naturalWidth > 0, i.getAttribute('alt'),"
        " i.closest('article') !== null])"
    ):
        if not loaded:
            problems.append(f"image did not load: {src}")
        name = src.rsplit("/", 1)[-1]
        if in_content and (not alt or not alt.strip() or alt.strip() == name):
            problems.append(f"image without alt text: {src}")

    n_math, n_typeset, n_errors = driver.execute_script(
        "const math = document.querySelectorAll('.math');"
        "return [math.length,"
        " Array.from(math).filter(m => m.querySelector('mjx-container')"
        "   || m.tagName.toLowerCase() === 'mjx-container').length,"
        " document.querySelectorAll('mjx-merror').length]"
    )
    if n_typeset < n_math:
        problems.append(f"MathJax typeset {n_typeset} of {n_math} math elements")
    if n_errors:
        problems.append(f"{n_errors} TeX errors (mjx-merror)")
    return problems


# ------------------------------------------------------------------------------ tests
def test_site_has_pages():
    assert "index.html" in PAGES, f"no site in {SITE}; run `make site` or `make book` first"
    assert "search.html" in PAGES


@pytest.mark.parametrize("page", PAGES or ["<no site built>"])
def test_page_renders_cleanly(driver, base_url, page):
    url = urljoin(base_url, page)
    open_page(driver, url)
    assert page_problems(driver, base_url) == []


def test_math_is_typeset_from_local_mathjax(driver, base_url):
    """Some page holds math, and MathJax (served from _static, not a CDN) typeset it."""
    pages_with_math = [
        page for page in PAGES if 'class="math' in (SITE / page).read_text(encoding="utf-8")
    ]
    assert pages_with_math, "no page of the book contains math"
    open_page(driver, urljoin(base_url, pages_with_math[0]))
    scripts = driver.execute_script(
        "return Array.from(document.scripts).map(s => s.src).filter(s => /mathjax/i.test(s))"
    )
    assert scripts and all(s.startswith(base_url) for s in scripts), scripts
    assert driver.execute_script("return document.querySelectorAll('mjx-container').length") > 0


def test_index_redirects_to_the_intro(driver, base_url):
    open_page(driver, base_url)
    assert driver.current_url.endswith("book/intro.html")


def search(driver, base_url: str, query: str) -> tuple[str, list[str]]:
    """Run the site's search; return the status line and the result links."""
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(driver, urljoin(base_url, f"search.html?q={query}"))
    summary = "#search-results p.search-summary"
    WebDriverWait(driver, WAIT_S).until(
        lambda d: d.execute_script(
            f"const s = document.querySelector('{summary}'); return s && s.innerText.trim()"
        )
    )
    status = driver.execute_script(f"return document.querySelector('{summary}').innerText")
    links = driver.execute_script(
        "return Array.from(document.querySelectorAll('#search-results ul.search li a'))"
        ".map(a => a.href)"
    )
    return status, links


def test_search_finds_psnr(driver, base_url):
    status, links = search(driver, base_url, "PSNR")
    assert links, status
    assert all(link.startswith(base_url) for link in links)


def test_search_reports_no_match_for_nonsense(driver, base_url):
    status, links = search(driver, base_url, "qwzxvkjplm")
    assert links == []
    assert "did not match" in status


def toc_page(prefix: str) -> str | None:
    """The first page of _toc.yml whose path starts with prefix."""

    def walk(node):
        if isinstance(node, dict):
            if str(node.get("file", "")).startswith(prefix):
                yield node["file"]
            for key in ("parts", "chapters", "sections"):
                yield from walk(node.get(key, []))
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return next(iter(walk(toc)), None)


def save_full_page_screenshot(driver, path: Path) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(int(height), 900), 8000))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(path)), path
    finally:
        driver.set_window_size(1280, 900)


def toc_root() -> str:
    return yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))["root"]


@pytest.mark.parametrize(
    ("name", "page"), [("intro", toc_root), ("chapter4", lambda: toc_page("book/ch4"))]
)
def test_screenshot(driver, base_url, name, page):
    from PIL import Image, ImageStat

    page = page()
    if page is None:
        pytest.skip(f"no chapter 4 page (book/ch4*) in _toc.yml yet: no {name} screenshot")
    open_page(driver, urljoin(base_url, f"{page}.html"))
    assert page_problems(driver, base_url) == []
    path = SCREENSHOTS / f"{name}.png"
    path.unlink(missing_ok=True)
    save_full_page_screenshot(driver, path)
    with Image.open(path) as image:
        assert image.width >= 1000
        # Not a blank page: the pixels vary (text on a background).
        assert max(ImageStat.Stat(image.convert("L")).stddev) > 10
