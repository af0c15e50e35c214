"""The book on Google Colab's own software stack, as ``make colab`` sets it up.

Readers open the notebooks in Colab, whose Python, TensorFlow, Keras, JAX and NumPy are
not the ones pinned in ``requirements.txt`` (see ``../shared/colab/README.md``). Two
things break there that the pinned venv cannot show:

- a ``.keras`` file saved by a newer Keras may not load in Colab's older Keras, so the
  shipped pretrained models must load and give the same results on Colab's stack;
- a notebook's setup cell ``pip install``-s the package under the reader's running kernel,
  and if that upgrades TensorFlow, Keras or NumPy the kernel breaks (``make colab`` checks
  this before these tests run, with ``tests/colab/check_freeze.py``).

``make colab`` builds ``.venv-colab`` from ``requirements-colab.txt`` on Python 3.13,
installs the package there as the setup cell does, registers the kernel
``deepdenoise-colab`` and runs this module from the pinned venv with
``DEEPDENOISE_COLAB_VENV`` (the venv) and ``JUPYTER_PATH`` (its kernelspec) set.
Without ``DEEPDENOISE_COLAB_VENV`` every test is skipped.

The tests check that

- the Colab venv holds the pinned TensorFlow, Keras and NumPy, and a non-editable
  ``deepdenoise`` in its site-packages;
- every notebook runs top to bottom on the ``deepdenoise-colab`` kernel (its own asserts
  are the checks; printed digits are not compared);
- every shipped pretrained model gives the same output (to 1e-5) on the pinned venv and
  on the Colab venv with the TensorFlow and with the JAX backend.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pins import pinned_versions

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "deepdenoise-colab"
CELL_TIMEOUT_S = 600
SCRIPT_TIMEOUT_S = 900
TOLERANCE = 1e-5
PINNED_PACKAGES = ("tensorflow", "keras", "numpy")
DENOISE_SCRIPT = ROOT / "tests" / "colab" / "denoise_fixed_input.py"
DEFAULT_REQUIREMENTS = ROOT.parent / "shared" / "colab" / "requirements-colab.txt"

pytestmark = [
    pytest.mark.colab,
    pytest.mark.skipif(
        not os.environ.get("DEEPDENOISE_COLAB_VENV"),
        reason="DEEPDENOISE_COLAB_VENV is not set: these tests run on Colab's stack, "
        "which `make colab` builds (.venv-colab) before running them",
    ),
]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@pytest.fixture(scope="module")
def colab_venv() -> Path:
    """The Colab venv named by DEEPDENOISE_COLAB_VENV (relative to the repository root)."""
    venv = ROOT / os.environ["DEEPDENOISE_COLAB_VENV"]
    if not (venv / "bin" / "python").is_file():
        pytest.fail(f"DEEPDENOISE_COLAB_VENV={venv} holds no bin/python; run `make colab`")
    return venv


def _colab_env(**extra: str) -> dict[str, str]:
    """This process's environment without PYTHONPATH, so src/ cannot shadow the install."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(extra)
    return env


def _run_colab_python(
    venv: Path, args: list[str], cwd: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(venv / "bin" / "python"), *args],
        cwd=cwd,
        env=_colab_env(**env),
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
    )
    assert result.returncode == 0, (
        f"{venv.name}/bin/python {' '.join(args)} failed ({result.returncode}):\n"
        f"{result.stderr[-6000:]}"
    )
    return result


_STACK_PROBE = """
import importlib.metadata as metadata, json, sys
import deepdenoise
dist = metadata.distribution("deepdenoise")
print(json.dumps({
    "versions": {name: metadata.version(name) for name in sys.argv[1:]},
    "python": sys.version.split()[0],
    "module": deepdenoise.__file__,
    "direct_url": json.loads(dist.read_text("direct_url.json") or "{}"),
}))
"""


def test_colab_venv_holds_colab_stack(colab_venv, tmp_path):
    """Pinned TF/Keras/NumPy, and deepdenoise installed (not editable) in site-packages."""
    requirements = Path(os.environ.get("DEEPDENOISE_COLAB_REQUIREMENTS", DEFAULT_REQUIREMENTS))
    pins = pinned_versions(requirements)
    result = _run_colab_python(colab_venv, ["-c", _STACK_PROBE, *PINNED_PACKAGES], tmp_path)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["versions"] == {name: pins[name] for name in PINNED_PACKAGES}, requirements
    module = Path(found["module"]).resolve()
    site_packages = sorted(colab_venv.resolve().glob("lib/python*/site-packages"))
    assert any(module.is_relative_to(folder) for folder in site_packages), (
        f"deepdenoise is imported from {module}, not from {colab_venv}'s site-packages"
    )
    assert not module.is_relative_to(ROOT / "src"), module
    assert not found["direct_url"].get("dir_info", {}).get("editable", False), found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_on_colab_stack(path, colab_venv):
    """Run the notebook top to bottom on the deepdenoise-colab kernel, in notebooks/."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        pytest.fail(f"no kernelspec {KERNEL!r} on JUPYTER_PATH; run `make colab`")
    assert Path(spec.argv[0]).parent.resolve() == (colab_venv / "bin").resolve(), spec.argv

    notebook = nbformat.read(path, as_version=4)  # executed in memory, never written back
    started: list[int] = []
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT_S,
        allow_errors=False,
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
        on_cell_start=lambda cell, cell_index: started.append(cell_index),
    )
    try:
        client.execute()
    except CellExecutionError as error:
        index = started[-1] if started else -1
        source = notebook.cells[index].source.splitlines() if started else []
        # nbclient's traceback repeats the whole cell between two dashed rules: drop it.
        trace = _ANSI.sub("", error.traceback).rsplit("-" * 18 + "\n", 1)[-1]
        trace = trace.strip().splitlines()
        pytest.fail(
            f"{path.name}, cell {index} failed on the Colab stack.\n"
            "--- cell source (tail) ---\n" + "\n".join(source[-15:]) + "\n"
            f"--- error ---\n{error.ename}: {error.evalue}\n" + "\n".join(trace[-30:]),
            pytrace=False,
        )


def _load_denoise_script():
    spec = importlib.util.spec_from_file_location("denoise_fixed_input", DENOISE_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pinned_outputs() -> dict[str, np.ndarray]:
    """The script's outputs in this process: the pinned venv, TensorFlow backend."""
    import keras

    assert keras.backend.backend() == "tensorflow", sys.executable
    return _load_denoise_script().denoise_all()


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_pretrained_outputs_match_pinned_venv(backend, colab_venv, pinned_outputs, tmp_path):
    """Each shipped model gives the pinned venv's output on Colab's stack, to 1e-5."""
    out = tmp_path / f"{backend}.npz"
    _run_colab_python(colab_venv, [str(DENOISE_SCRIPT), str(out)], tmp_path, KERAS_BACKEND=backend)
    with np.load(out) as colab:
        assert sorted(colab.files) == sorted(pinned_outputs)
        np.testing.assert_array_equal(colab["noisy"], pinned_outputs["noisy"])
        for name in sorted(pinned_outputs):
            np.testing.assert_allclose(
                colab[name],
                pinned_outputs[name],
                rtol=0,
                atol=TOLERANCE,
                err_msg=f"{name}: Colab stack ({backend}) vs the pinned venv (tensorflow)",
            )
