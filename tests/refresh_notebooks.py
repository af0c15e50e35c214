"""Execute notebooks in place, top to bottom, and keep their outputs clean for committing.

Run it (``make outputs``, or ``python tests/refresh_notebooks.py notebooks/04c*.ipynb``)
after changing a notebook or what it calls; commit the notebooks with the outputs it
leaves. Each notebook runs in a fresh kernel in its own folder, with the same
environment as under nbval (``notebooks/conftest.py``).

TensorFlow prints two C++ lines on stderr when it is first imported ("All log messages
before absl::InitializeLog()..." and the oneDNN notice). They come before its logging
starts, so ``TF_CPP_MIN_LOG_LEVEL`` cannot silence them, and turning oneDNN off to hide
the notice makes training about 1.8 times slower on this CPU. They are removed from the
committed outputs here, line by line; every other stderr line (warnings that teach)
stays. ``tests/test_notebook_outputs.py`` checks the result.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]

# TensorFlow's start-up lines: absl's C++ log prefix (I0000 00:00:... file.cc:123]) and
# the messages it prints before logging starts or when it looks for a GPU.
TF_STARTUP = re.compile(
    r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [\w.]+:\d+\]"
    r"|oneDNN custom operations|absl::InitializeLog|TF_ENABLE_ONEDNN_OPTS"
    r"|Unable to register cu(?:DNN|FFT|BLAS)|computation placer|\bcuda|cuInit"
    r"|This TensorFlow binary is optimized|rebuild TensorFlow with the appropriate",
    re.MULTILINE,
)


def drop_tf_startup_lines(nb: nbformat.NotebookNode) -> int:
    """Remove TensorFlow start-up lines from stderr outputs; return how many went."""
    removed = 0
    for cell in nb.cells:
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                lines = output["text"].splitlines(keepends=True)
                clean = [line for line in lines if not TF_STARTUP.search(line)]
                removed += len(lines) - len(clean)
                if not clean:
                    continue
                output["text"] = "".join(clean)
            kept.append(output)
        if cell.cell_type == "code":
            cell.outputs = kept
    return removed


def refresh(path: Path, *, timeout: int = 600) -> float:
    """Execute one notebook in place; return its wall time in seconds."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": path.parent}}
    ).execute()
    seconds = time.perf_counter() - start
    drop_tf_startup_lines(nb)
    nbformat.write(nb, path)
    return seconds


def main(paths: list[str]) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("DEEPDENOISE_DATA", str((ROOT.parent / "shared" / "data").resolve()))
    for name in paths:
        path = Path(name).resolve()
        print(f"{path.relative_to(ROOT)}: {refresh(path):.0f} s", flush=True)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python tests/refresh_notebooks.py NOTEBOOK.ipynb [...]")
    main(sys.argv[1:])
