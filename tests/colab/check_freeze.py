"""Install the package on Colab's stack the way a notebook does, and prove nothing else moved.

Every notebook's setup cell runs ``pip install git+<repository>@<release>`` in Colab: a
plain, non-editable ``pip install`` with dependency resolution (no ``--no-deps``). If the
package's declared ranges forced pip to upgrade or downgrade anything Colab ships
(TensorFlow, Keras, NumPy, JAX...), the reader's *running* kernel would keep the old
modules half-imported and break in confusing ways. So ``make colab`` runs this script:

1. uninstall ``deepdenoise`` from the Colab venv, record ``pip freeze --all`` ("before")
   and check it equals the freeze recorded when the venv was built from
   ``requirements-colab.txt`` (else the venv was changed by an earlier run and is rebuilt);
2. copy the working tree, without virtual environments and build outputs, into a
   temporary folder (pip builds a ``git+`` URL from a fresh clone too, so no stale
   ``build/`` folder can leak files into the wheel) and run ``pip install .`` there;
3. record ``pip freeze --all`` again ("after") and fail, listing every change, unless
   the only difference is the added ``deepdenoise``.

Usage::

    python tests/colab/check_freeze.py --venv .venv-colab --baseline BASELINE SOURCE

The freezes are written next to the baseline as ``freeze-before.txt`` and
``freeze-after.txt``. Exit status 0 when the stack is unchanged, 1 when it changed
(the baseline is then removed so that ``make colab`` rebuilds the venv), 2 on a usage or
pip error.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

PACKAGE = "deepdenoise"

# Left out of the copy that is installed: environments, caches and build outputs.
IGNORED = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".venv-*",
    "_build",
    "build",
    "dist",
    ".jupyter_cache",
    "__pycache__",
    "*.pyc",
    "*.egg-info",
    ".ipynb_checkpoints",
    "runs",
    ".coverage",
    "coverage.xml",
)


def normalise(name: str) -> str:
    """Return a distribution name in PEP 503 normal form.

    Examples
    --------
    >>> normalise("PyWavelets"), normalise("jupyter_client"), normalise("ruamel.yaml")
    ('pywavelets', 'jupyter-client', 'ruamel-yaml')
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_freeze(lines: Iterable[str]) -> dict[str, str]:
    """Map each distribution of a ``pip freeze`` listing to its pin.

    Parameters
    ----------
    lines : iterable of str
        The lines of ``pip freeze`` (``name==version``, ``name @ url``, ``-e url``).

    Returns
    -------
    dict of str to str
        Normalised name to the whole line, so a change of version or of source shows.

    Examples
    --------
    >>> parse_freeze(["Keras==3.13.2", "# a comment", "", "deepdenoise @ file:///tmp/x"])
    {'keras': 'Keras==3.13.2', 'deepdenoise': 'deepdenoise @ file:///tmp/x'}
    >>> parse_freeze(["-e git+https://x/y@abc#egg=my_pkg"])
    {'my-pkg': '-e git+https://x/y@abc#egg=my_pkg'}
    """
    pins: dict[str, str] = {}
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-e "):
            match = re.search(r"#egg=([A-Za-z0-9_.-]+)", line)
            name = match.group(1) if match else line[3:]
        else:
            name = re.split(r"\s*(?:===|==|@)\s*", line, maxsplit=1)[0]
        pins[normalise(name)] = line
    return pins


def diff_freeze(
    before: Mapping[str, str], after: Mapping[str, str], allow_added: Iterable[str] = ()
) -> list[str]:
    """List the changes from ``before`` to ``after`` that are not allowed.

    Parameters
    ----------
    before, after : mapping of str to str
        Results of :func:`parse_freeze`.
    allow_added : iterable of str
        Distributions that may appear (not change or disappear).

    Returns
    -------
    list of str
        One line per change; empty when nothing but the allowed additions changed.

    Examples
    --------
    >>> before = parse_freeze(["numpy==2.1.3", "keras==3.13.2"])
    >>> diff_freeze(before, parse_freeze(["numpy==2.1.3", "keras==3.13.2", "deepdenoise @ x"]),
    ...             allow_added=["deepdenoise"])
    []
    >>> for line in diff_freeze(before, parse_freeze(["numpy==2.4.6", "deepdenoise @ x", "a==1"]),
    ...                         allow_added=["deepdenoise"]):
    ...     print(line)
    added:   a==1
    removed: keras==3.13.2
    changed: numpy==2.1.3 -> numpy==2.4.6
    """
    allowed = {normalise(name) for name in allow_added}
    changes = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if old is None:
            if name not in allowed:
                changes.append(f"added:   {new}")
        elif new is None:
            changes.append(f"removed: {old}")
        else:
            changes.append(f"changed: {old} -> {new}")
    return changes


def freeze(pip: list[str]) -> list[str]:
    """Return ``pip freeze --all`` of the venv as lines."""
    result = subprocess.run(
        [*pip, "freeze", "--all"], capture_output=True, text=True, check=True, timeout=120
    )
    return result.stdout.splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the three steps of the module docstring; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, required=True, help="the Colab venv")
    parser.add_argument(
        "--baseline", type=Path, required=True, help="pip freeze --all of the bare Colab stack"
    )
    parser.add_argument("source", type=Path, help="the project to install (pyproject.toml)")
    args = parser.parse_args(argv)
    python = args.venv / "bin" / "python"
    if not python.is_file() or not args.baseline.is_file():
        print(f"check_freeze: no {python} or no {args.baseline}; build the venv first")
        return 2
    pip = [str(python.absolute()), "-m", "pip", "--disable-pip-version-check"]
    baseline = parse_freeze(args.baseline.read_text(encoding="utf-8").splitlines())
    folder = args.baseline.parent

    subprocess.run(
        [*pip, "uninstall", "--quiet", "--yes", PACKAGE],
        capture_output=True,
        check=False,
        timeout=300,
    )
    before_lines = freeze(pip)
    _write(folder / "freeze-before.txt", before_lines)
    drift = diff_freeze(baseline, parse_freeze(before_lines))
    if drift:
        print(
            f"check_freeze: {args.venv} no longer holds the Colab stack it was built with "
            f"({args.baseline}); an earlier install changed it:\n  " + "\n  ".join(drift)
        )
        args.baseline.unlink()
        print("check_freeze: removed the baseline; `make colab` will rebuild the venv")
        return 1

    with tempfile.TemporaryDirectory(prefix="deepdenoise-colab-") as tmp:
        copy = Path(tmp) / "deepdenoise-book"
        shutil.copytree(args.source, copy, ignore=IGNORED)
        print(f"check_freeze: pip install . (as a notebook's setup cell does), in {copy}")
        env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
        result = subprocess.run(
            [*pip, "install", "--quiet", "."], cwd=copy, env=env, check=False, timeout=900
        )
        if result.returncode != 0:
            print(f"check_freeze: `pip install .` failed with exit status {result.returncode}")
            return 2
    after_lines = freeze(pip)
    _write(folder / "freeze-after.txt", after_lines)
    after = parse_freeze(after_lines)
    if PACKAGE not in after:
        print(f"check_freeze: `pip install .` did not install {PACKAGE}")
        return 2
    changes = diff_freeze(parse_freeze(before_lines), after, allow_added=[PACKAGE])
    if changes:
        print(
            f"check_freeze: FAIL: `pip install .` changed Colab's own packages, besides "
            f"adding {PACKAGE}:\n  " + "\n  ".join(changes) + "\n"
            "In Colab this happens under the reader's running kernel, which keeps the old\n"
            "TensorFlow/Keras/NumPy half-imported and breaks. Widen the ranges in\n"
            "pyproject.toml's dependencies so that Colab's versions satisfy them."
        )
        args.baseline.unlink()
        print("check_freeze: removed the baseline; `make colab` will rebuild the venv")
        return 1
    print(f"check_freeze: OK: only {after[PACKAGE]} was added to Colab's stack")
    return 0


if __name__ == "__main__":
    sys.exit(main())
