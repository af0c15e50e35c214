"""The notebooks' setup cell, run for real in a bare virtual environment with no network.

A failed install must stop the notebook with a message that says what failed and
what to do, not let the next line fail with a bare ``ImportError``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from setup_cell import read_release, setup_cell_source


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with pip and nothing else: what a fresh Colab-like runtime lacks."""
    folder = tmp_path_factory.mktemp("bare-venv")
    venv.EnvBuilder(with_pip=True, symlinks=True).create(folder)
    return folder / "bin" / "python"


def no_network_env(tmp_path: Path) -> dict[str, str]:
    """Every route out goes to a closed local port, so pip and git fail at once."""
    dead = "http://127.0.0.1:9"
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "http_proxy": dead,
        "https_proxy": dead,
        "HTTP_PROXY": dead,
        "HTTPS_PROXY": dead,
        "ALL_PROXY": dead,
        "PIP_INDEX_URL": f"{dead}/simple",
        "PIP_RETRIES": "0",
        "PIP_TIMEOUT": "5",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "GIT_TERMINAL_PROMPT": "0",
    }


def test_a_failed_install_stops_with_a_clear_message(bare_python: Path, tmp_path: Path) -> None:
    cell = tmp_path / "setup_cell.py"
    cell.write_text(setup_cell_source(), encoding="utf-8")
    result = subprocess.run(
        [str(bare_python), str(cell)],
        capture_output=True,
        text=True,
        env=no_network_env(tmp_path),
        cwd=tmp_path,
        timeout=300,
    )
    url, release = read_release()
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()
    error = next(line for line in last if line.startswith("RuntimeError"))
    assert f"could not install deepdenoise {release} from {url}" in error
    assert "internet" in result.stderr and ".whl" in result.stderr  # what to do
    assert "pip said" in result.stderr
    assert "ModuleNotFoundError" not in result.stderr and "ImportError" not in result.stderr


def test_the_cell_does_nothing_where_the_package_is_installed(tmp_path: Path) -> None:
    """Under `make test` the package is there: no pip, no network, just the import."""
    result = subprocess.run(
        [sys.executable, "-c", setup_cell_source() + "\nprint(deepdenoise.__version__)"],
        capture_output=True,
        text=True,
        env={**no_network_env(tmp_path), "PIP_INDEX_URL": "invalid"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    _, release = read_release()
    assert f"v{result.stdout.strip()}" == release
