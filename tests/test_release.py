"""A release readers can pin: one version, its tag, a changelog, licences, Colab's floors.

The package version lives in ``deepdenoise.__version__`` alone; ``pyproject.toml``
reads it, ``_config.yml``'s release tag and the README's install line must agree
with it, and the dependency floors must not be above the versions Google Colab
ships (``../shared/colab/requirements-colab.txt``), or ``pip install`` in Colab
would upgrade TensorFlow or NumPy under a running kernel.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from pins import pinned_versions
from setup_cell import install_line, read_release

import deepdenoise
from deepdenoise.denoisers import DEFAULT_MODEL

ROOT = Path(__file__).resolve().parents[1]
COLAB_REQUIREMENTS = ROOT.parent / "shared" / "colab" / "requirements-colab.txt"


def floor_problems(dependencies: list[str], pins: dict[str, str]) -> list[str]:
    """Dependencies whose lower bound is above the pinned version, or that skip a platform."""
    problems = []
    for text in dependencies:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        if requirement.marker is not None and "platform" in str(requirement.marker):
            problems.append(f"{text}: a platform marker leaves some readers without {name}")
        if requirement.marker is not None and not requirement.marker.evaluate(
            {"python_version": "3.13", "python_full_version": "3.13.0"}
        ):
            continue  # not installed on Colab's Python
        pinned = pins.get(name)
        if pinned and not requirement.specifier.contains(Version(pinned), prereleases=True):
            problems.append(f"{text}: Colab's {name} {pinned} does not satisfy it")
    return problems


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_the_version_is_written_once_and_the_release_tag_follows_it():
    meta = project()
    assert "version" not in meta and meta["dynamic"] == ["version"]
    assert Version(deepdenoise.__version__)  # a valid version
    _, release = read_release()
    assert release == f"v{deepdenoise.__version__}"


def test_changelog_has_a_section_for_this_release():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[?v?(\d+\.\d+\.\d+)\]?", changelog, flags=re.MULTILINE)
    assert headings and headings[0] == deepdenoise.__version__, headings


def test_licences_are_stated():
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "WITHOUT WARRANTY" in licence
    assert project()["license"] == {"text": "MIT"}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme  # the text and figures


def test_readme_installs_the_release_from_config():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert install_line() in readme
    url, release = read_release()
    # No other install of the repository that is not pinned to the release.
    for match in re.finditer(r"git\+(\S+?)(@[\w.]+)?[\"\s]", readme):
        assert match.group(1) == url and match.group(2) == f"@{release}", match.group(0)


@pytest.mark.skipif(not COLAB_REQUIREMENTS.is_file(), reason=f"{COLAB_REQUIREMENTS} is missing")
def test_dependency_floors_are_not_above_colab():
    pins = pinned_versions(COLAB_REQUIREMENTS)
    assert {"tensorflow", "keras", "numpy"} <= set(pins)
    assert floor_problems(project()["dependencies"], pins) == []


def test_floor_checker_can_fail():
    pins = {"numpy": "2.1.3", "tensorflow": "2.20.0"}
    assert floor_problems(["numpy>=1.26", "tensorflow>=2.16"], pins) == []
    assert len(floor_problems(["numpy>=2.2"], pins)) == 1
    assert len(floor_problems(["tensorflow>=2.16; platform_machine != 'arm64'"], pins)) == 1
    assert floor_problems(["tomli>=9; python_version < '3.11'"], pins) == []


def test_readme_quotes_the_speed_table_it_names():
    """The README's speed sentence must match src/deepdenoise/weights/speed.md, its source."""
    table = (ROOT / "src" / "deepdenoise" / "weights" / "speed.md").read_text(encoding="utf-8")
    rows = {
        cells[0]: cells
        for line in table.splitlines()
        if line.startswith("| ") and not line.startswith("| method")
        for cells in [[cell.strip() for cell in line.strip("|").split("|")]]
    }
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    ffdnet, default, bm3d = rows["ffdnet"], rows[DEFAULT_MODEL], rows["bm3d"]
    assert f"ffdnet {ffdnet[1]} s per image" in readme, ffdnet
    assert f"{DEFAULT_MODEL} {default[1]} s" in readme, default
    assert f"{DEFAULT_MODEL}, is {default[-1]} faster than BM3D" in readme, default
    assert f"(ffdnet {ffdnet[-1]})" in readme, ffdnet
    assert f"BM3D {float(bm3d[1]):.1f} s" in readme, bm3d
    assert f"dncnn25 {float(rows['dncnn25'][1]):.2f} s" in readme, rows["dncnn25"]
