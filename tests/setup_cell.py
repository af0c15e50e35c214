"""The one setup cell that opens every notebook, made from ``_config.yml``.

``_config.yml`` is the only place where the repository URL (``repository.url``)
and the release the book is built from (``repository.branch``, a tag such as
``v0.2.0``) are written. Every notebook's first code cell, and the README's
install line, are made from them here; ``tests/test_notebooks_meta.py`` checks
that the committed copies match, and ``tests/test_setup_cell.py`` runs the cell
in a bare virtual environment with no network.

Run ``python tests/setup_cell.py`` after changing the release or the URL: it
rewrites the first code cell of every notebook (keeping the rest).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "_config.yml"

SETUP_TEMPLATE = """\
# Setup: Colab installs the release of deepdenoise that this book was built with.
import importlib.util
import subprocess
import sys

RELEASE = "{release}"
REPOSITORY = "{url}"
if importlib.util.find_spec("deepdenoise") is None:
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", f"git+{{REPOSITORY}}@{{RELEASE}}"],
        capture_output=True,
        text=True,
    )
    if pip.returncode != 0:
        raise RuntimeError(
            f"pip could not install deepdenoise {{RELEASE}} from {{REPOSITORY}}.\\n"
            "Check that this runtime is connected to the internet and run this cell again. "
            "Without access to GitHub, download the release's wheel file, upload it and run "
            "`pip install deepdenoise-*.whl` (see the README: 'Offline and mirrors').\\n"
            f"pip said:\\n{{pip.stderr.strip()[-1500:]}}"
        )
    importlib.invalidate_caches()
import deepdenoise
"""


def read_release(config_path: Path = CONFIG) -> tuple[str, str]:
    """Return ``(repository URL, release tag)`` from ``_config.yml``."""
    repository = yaml.safe_load(config_path.read_text(encoding="utf-8"))["repository"]
    url, release = str(repository["url"]).rstrip("/"), str(repository["branch"])
    if not url.startswith("https://"):
        raise ValueError(f"{config_path}: repository.url must be an https URL, got {url!r}")
    if not release.startswith("v"):
        raise ValueError(
            f"{config_path}: repository.branch must be a tag v<version>, got {release!r}"
        )
    return url, release


def setup_cell_source(config_path: Path = CONFIG) -> str:
    """The source of the first code cell of every notebook."""
    url, release = read_release(config_path)
    return SETUP_TEMPLATE.format(url=url, release=release).rstrip("\n")


def install_line(config_path: Path = CONFIG) -> str:
    """The README's install command for the same release."""
    url, release = read_release(config_path)
    return f'pip install "deepdenoise[bm3d] @ git+{url}@{release}"'


HIDE_TAG = "hide-input"  # the website folds the cell away; Colab shows it as it is


def rewrite_notebooks(paths: list[Path], config_path: Path = CONFIG) -> list[Path]:
    """Put the current setup cell first in each notebook; return those that changed."""
    source = setup_cell_source(config_path)
    changed = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        cell = next(cell for cell in nb.cells if cell.cell_type == "code")
        tags = cell.metadata.setdefault("tags", [])
        if cell.source != source or HIDE_TAG not in tags:
            cell.source, cell.outputs = source, []
            if HIDE_TAG not in tags:
                tags.append(HIDE_TAG)
            nbformat.write(nb, path)
            changed.append(path)
    return changed


if __name__ == "__main__":
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in rewrite_notebooks(notebooks):
        print(f"rewrote the setup cell of {path.relative_to(ROOT)}", file=sys.stderr)
