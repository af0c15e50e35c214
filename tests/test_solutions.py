"""The course's exercise solutions run, pass their own asserts, and all appear in the book.

Each script in ``book/course/solutions/`` ends with ``assert`` statements that check
its answer, so exit status 0 means the answer still holds for the current package.
The scripts run in a subprocess (through :func:`runpy.run_path`, as ``__main__``)
so that one script's TensorFlow state cannot leak into another's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "book" / "course" / "solutions"
EXERCISES = ROOT / "book" / "course" / "exercises.md"
SCRIPTS = sorted(SOLUTIONS.glob("ex*.py"))
RUNNER = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"


def test_there_are_solutions() -> None:
    assert len(SCRIPTS) >= 8, f"expected at least 8 solution scripts in {SOLUTIONS}"


def test_every_solution_is_shown_and_every_include_exists() -> None:
    included = set(re.findall(r"literalinclude\}\s+solutions/(\S+\.py)", EXERCISES.read_text()))
    on_disk = {path.name for path in SCRIPTS}
    assert included == on_disk, (
        f"not shown in exercises.md: {sorted(on_disk - included)}; "
        f"included but missing: {sorted(included - on_disk)}"
    )


@pytest.mark.parametrize("script", SCRIPTS, ids=[path.stem for path in SCRIPTS])
def test_solution_runs_and_its_asserts_pass(script: Path, tmp_path: Path) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(script)],
        cwd=tmp_path,  # a script must not depend on the working directory
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, (
        f"{script.name} exited with {result.returncode}\n"
        f"--- stdout ---\n{result.stdout[-3000:]}\n--- stderr ---\n{result.stderr[-3000:]}"
    )
    assert "All checks passed." in result.stdout
