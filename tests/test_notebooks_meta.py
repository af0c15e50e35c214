"""The book's structure: table of contents, notebook conventions, references, alt text.

These checks read files only; nothing is executed (nbval runs the notebooks). Each
checker returns a list of problems, and the tests at the bottom feed the checkers
deliberately broken input to show that every rule can fail.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat
import pytest
import yaml
from setup_cell import HIDE_TAG, setup_cell_source

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "_config.yml"
TOC = ROOT / "_toc.yml"
BIB = ROOT / "book" / "references.bib"
NOTEBOOK_DIRS = ("notebooks", "book")


# --------------------------------------------------------------------------- helpers
def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def repository_url(config_path: Path = CONFIG) -> str:
    """The repository URL, written once in _config.yml under repository.url."""
    url = load_yaml(config_path)["repository"]["url"]
    assert isinstance(url, str) and url.startswith("https://"), url
    return url.rstrip("/")


def toc_entries(toc: dict) -> list[str]:
    """Every ``file`` of a jb-book/jb-article toc, root first, in reading order."""
    entries = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                entries.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                walk(node.get(key, []))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return entries


def resolve_entry(entry: str) -> Path | None:
    """The source file of a toc entry (written without suffix), or None if missing."""
    base = ROOT / entry
    for candidate in (base, base.with_suffix(".md"), base.with_suffix(".ipynb")):
        if candidate.is_file() and candidate.suffix in {".md", ".ipynb"}:
            return candidate
    return None


def all_notebooks() -> list[Path]:
    found = []
    for folder in NOTEBOOK_DIRS:
        found += [
            path
            for path in (ROOT / folder).rglob("*.ipynb")
            if ".ipynb_checkpoints" not in path.parts
        ]
    return sorted(found)


def toc_sources(toc_path: Path = TOC) -> list[Path]:
    return [p for p in map(resolve_entry, toc_entries(load_yaml(toc_path))) if p]


def code_without_magics(source: str) -> str:
    """Cell source with IPython magics and shell escapes blanked, so ast can parse it."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )


def has_assert(source: str) -> bool:
    try:
        tree = ast.parse(code_without_magics(source))
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Assert) for node in ast.walk(tree))


def is_parameters_cell(cell: dict) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    first_line = cell["source"].lstrip().splitlines()[0] if cell["source"].strip() else ""
    return "parameters" in tags or first_line.lower().startswith("# parameters")


# ------------------------------------------------------------------- markdown checks
MD_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)[^)]*\)")
HTML_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
HTML_ALT = re.compile(r"\balt\s*=\s*(\"[^\"]+\"|'[^']+')", re.IGNORECASE)
DIRECTIVE_OPEN = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>figure|image)\}\s*(?P<arg>.*)$")


def markdown_image_problems(text: str, where: str) -> list[str]:
    """Images in MyST Markdown without alt text: ![](...), <img>, {figure}, {image}."""
    problems = []
    for match in MD_IMAGE.finditer(text):
        if not match["alt"].strip():
            problems.append(f"{where}: image {match['src']} has no alt text")
    for match in HTML_IMG.finditer(text):
        if not HTML_ALT.search(match.group(0)):
            problems.append(f"{where}: {match.group(0)} has no alt text")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        opening = DIRECTIVE_OPEN.match(line.strip())
        if not opening:
            continue
        options = []
        for following in lines[i + 1 :]:
            if following.strip().startswith(opening["fence"]):
                break
            options.append(following.strip())
        if not any(re.match(r":alt:\s*\S", option) for option in options):
            problems.append(f"{where}: {{{opening['name']}}} {opening['arg']} has no :alt: option")
    return problems


# ------------------------------------------------------------------- notebook checks
def notebook_problems(nb: dict, setup: str, where: str = "notebook") -> list[str]:
    """Every rule a book notebook must follow; an empty list means it follows them all.

    ``setup`` is the setup cell every notebook opens with (``setup_cell.setup_cell_source``).
    """
    problems: list[str] = []
    code = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    if not code:
        return [f"{where}: has no code cells"]

    # 1. The setup cell installs the book's release from _config.yml's repository.
    if code[0]["source"] != setup:
        problems.append(
            f"{where}: the first code cell must be the setup cell made from _config.yml's "
            "repository url and release; run `python tests/setup_cell.py`"
        )
    if HIDE_TAG not in code[0].get("metadata", {}).get("tags", []):
        problems.append(f"{where}: the setup cell must carry the tag {HIDE_TAG!r}")

    # 2. One parameters cell holds the numbers a reader may change.
    if not any(is_parameters_cell(cell) for cell in code):
        problems.append(
            f"{where}: no parameters cell (tag a cell 'parameters' or start it "
            "with '# Parameters')"
        )

    # 3. Committed with outputs, executed once from top to bottom without errors.
    counts = [cell.get("execution_count") for cell in code]
    if counts != list(range(1, len(code) + 1)):
        problems.append(
            f"{where}: execution counts are {counts}; run the notebook from a fresh kernel, "
            "top to bottom, and commit it with its outputs"
        )
    for index, cell in enumerate(code):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                problems.append(f"{where}: code cell {index + 1} has an error output")

    # 4. The notebook ends by checking what it showed.
    if not has_assert(code[-1]["source"]):
        problems.append(f"{where}: the last code cell has no assert statement")

    # 5. Every figure has alt text (rendered into <img alt> by myst-nb).
    for index, cell in enumerate(code):
        images = [
            mime
            for output in cell.get("outputs", [])
            for mime in output.get("data", {})
            if mime.startswith("image/")
        ]
        alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt", "")
        if images and not str(alt).strip():
            problems.append(
                f"{where}: code cell {index + 1} shows an image without alt text; set the "
                'cell metadata {"mystnb": {"image": {"alt": "..."}}}'
            )
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown":
            problems += markdown_image_problems(cell["source"], f"{where} cell {index + 1}")
    return problems


# -------------------------------------------------------------------- repository tests
def test_repository_url_is_written_once_in_config():
    url = repository_url()
    assert CONFIG.read_text(encoding="utf-8").count(url) == 1


def test_config_is_valid_for_jupyter_book():
    from jupyter_book.config import validate_yaml

    config = load_yaml(CONFIG)
    validate_yaml(config, raise_on_errors=True)
    assert config["execute"]["execute_notebooks"] == "cache"
    extensions = config["sphinx"]["extra_extensions"]
    for extension in ("sphinx_exercise", "sphinxcontrib.bibtex", "sphinx-mathjax-offline"):
        assert extension in extensions
    for bibfile in config["sphinx"]["config"]["bibtex_bibfiles"]:
        assert (ROOT / bibfile).is_file(), bibfile
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"


def test_toc_is_well_formed(toc_path=TOC):
    from sphinx_external_toc.parsing import parse_toc_yaml

    site_map = parse_toc_yaml(toc_path)
    entries = toc_entries(load_yaml(toc_path))
    assert site_map.root.docname == entries[0] == "book/intro"
    assert len(entries) == len(set(entries)), "a page is listed twice"


def test_every_toc_entry_exists():
    missing = [entry for entry in toc_entries(load_yaml(TOC)) if resolve_entry(entry) is None]
    assert missing == [], f"_toc.yml lists files that do not exist: {missing}"


def test_no_orphan_notebooks():
    listed = {path.resolve() for path in toc_sources()}
    orphans = [str(p.relative_to(ROOT)) for p in all_notebooks() if p.resolve() not in listed]
    assert orphans == [], f"notebooks missing from _toc.yml: {orphans}"


NOTEBOOKS = all_notebooks()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_follows_book_rules(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert notebook_problems(nb, setup_cell_source(), str(path.relative_to(ROOT))) == []


def book_markdown() -> list[Path]:
    """Every Markdown page under book/, in the toc or not yet."""
    return sorted((ROOT / "book").rglob("*.md"))


def test_book_markdown_images_have_alt_text():
    pages = book_markdown()
    assert pages, "no Markdown pages under book/"
    problems = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        problems += markdown_image_problems(text, str(page.relative_to(ROOT)))
    assert problems == []


# -------------------------------------------------------------------------- references
REQUIRED_REFERENCES = (
    "zhang2017dncnn",
    "zhang2018ffdnet",
    "dabov2007bm3d",
    "lehtinen2018noise2noise",
    "krull2019noise2void",
    "batson2019noise2self",
    "zhang2021drunet",
    "liang2021swinir",
    "zamir2022restormer",
    "martin2001bsds",
    "lecun1998mnist",
    "chen2017tnrd",
    "wang2004ssim",
    "rudin1992tv",
    "buades2005nlm",
    "chambolle2004tv",
    "kingma2015adam",
)
CITE = re.compile(r"\{(?:foot)?cite(?::[a-z]+)?\}`([^`]+)`")


def bibliography() -> dict:
    from pybtex.database import parse_file

    return parse_file(str(BIB), bib_format="bibtex").entries


def test_references_are_complete():
    entries = bibliography()
    for key in REQUIRED_REFERENCES:
        assert key in entries, key
    for key, entry in entries.items():
        year = int(entry.fields["year"])
        assert 1900 < year < 2100, key
        assert str(year)[2:] in key or str(year - 1)[2:] in key, f"{key}: year {year}"
        assert entry.persons.get("author"), key
        assert entry.fields.get("title"), key
        assert "doi" in entry.fields or "url" in entry.fields, key
        venue = {"article": "journal", "inproceedings": "booktitle"}[entry.type]
        assert entry.fields.get(venue), f"{key} has no {venue}"


def test_every_citation_is_in_the_bibliography():
    keys = set(bibliography())
    texts = {p.name: p.read_text(encoding="utf-8") for p in book_markdown()}
    for path in all_notebooks():
        nb = nbformat.read(path, as_version=4)
        texts[path.name] = "\n".join(c["source"] for c in nb.cells if c.cell_type == "markdown")
    unknown = {
        key.strip(): name
        for name, text in texts.items()
        for match in CITE.finditer(text)
        for key in match.group(1).split(",")
        if key.strip() not in keys
    }
    assert unknown == {}


# ----------------------------------------------------- the checkers catch broken input
SETUP = setup_cell_source()


def good_notebook() -> dict:
    """A minimal notebook that follows every rule."""
    cells = [
        nbformat.v4.new_markdown_cell("# Title\n\n![A grey square](square.png)"),
        nbformat.v4.new_code_cell(SETUP, execution_count=1, metadata={"tags": [HIDE_TAG]}),
        nbformat.v4.new_code_cell(
            "SEED = 0", execution_count=2, metadata={"tags": ["parameters"]}
        ),
        nbformat.v4.new_code_cell(
            "show()",
            execution_count=3,
            outputs=[
                nbformat.v4.new_output(
                    "display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}
                )
            ],
            metadata={"mystnb": {"image": {"alt": "A grey square"}}},
        ),
        nbformat.v4.new_code_cell("assert SEED == 0", execution_count=4),
    ]
    return nbformat.v4.new_notebook(cells=cells)


def _set_source(index, text):
    def mutate(nb):
        nb["cells"][index]["source"] = text

    return mutate


def _show_setup(nb):
    nb["cells"][1]["metadata"] = {}


def _drop_parameters_tag(nb):
    nb["cells"][2]["metadata"] = {}


def _unexecuted(nb):
    nb["cells"][3]["execution_count"] = None


def _out_of_order(nb):
    nb["cells"][2]["execution_count"], nb["cells"][3]["execution_count"] = 3, 2


def _error_output(nb):
    nb["cells"][4]["outputs"] = [
        nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=[])
    ]


def _no_image_alt(nb):
    nb["cells"][3]["metadata"] = {}


def _markdown_image_without_alt(nb):
    nb["cells"][0]["source"] = "# Title\n\n![](square.png)"


BROKEN = {
    "no setup cell": (_set_source(1, "import numpy as np"), "first code cell must be"),
    "other repository": (
        _set_source(1, SETUP.replace('deepdenoise-book"', 'deepdenoise-fork"')),
        "first code cell must be",
    ),
    "other release": (
        _set_source(1, SETUP.replace('RELEASE = "v', 'RELEASE = "v9')),
        "first code cell must be",
    ),
    "setup cell shown": (_show_setup, "must carry the tag"),
    "no parameters cell": (_drop_parameters_tag, "no parameters cell"),
    "unexecuted cell": (_unexecuted, "execution counts"),
    "executed out of order": (_out_of_order, "execution counts"),
    "error output": (_error_output, "error output"),
    "no final assert": (_set_source(4, "print('assert')  # assert"), "no assert statement"),
    "figure without alt": (_no_image_alt, "without alt text"),
    "markdown image without alt": (_markdown_image_without_alt, "has no alt text"),
}


def test_checker_accepts_a_good_notebook():
    nb = good_notebook()
    nbformat.validate(nb)
    assert notebook_problems(nb, SETUP) == []


@pytest.mark.parametrize("defect", list(BROKEN))
def test_checker_rejects_a_broken_notebook(defect):
    mutate, message = BROKEN[defect]
    nb = copy.deepcopy(good_notebook())
    mutate(nb)
    problems = notebook_problems(nb, SETUP)
    assert any(message in problem for problem in problems), problems


def test_parameters_comment_counts_as_parameters_cell():
    nb = good_notebook()
    nb["cells"][2]["metadata"] = {}
    nb["cells"][2]["source"] = "# Parameters\nSEED = 0"
    assert notebook_problems(nb, SETUP) == []


@pytest.mark.parametrize(
    ("markdown", "n_problems"),
    [
        ("![alt text](a.png)", 0),
        ("![](a.png)", 1),
        ("![ ](a.png) and ![b](b.png)", 1),
        ('<img src="a.png" alt="a cat">', 0),
        ('<img src="a.png">', 1),
        ("```{figure} a.png\n:alt: a cat\n:name: fig-a\n\nCaption.\n```", 0),
        ("```{figure} a.png\n:name: fig-a\n\nCaption.\n```", 1),
        (":::{image} a.png\n:width: 50%\n:::", 1),
        (":::{image} a.png\n:alt: a cat\n:::", 0),
    ],
)
def test_markdown_checker(markdown, n_problems):
    assert len(markdown_image_problems(markdown, "page.md")) == n_problems


def test_toc_walker_finds_nested_sections():
    toc = {
        "root": "intro",
        "parts": [
            {"caption": "A", "chapters": [{"file": "a", "sections": [{"file": "a1"}]}]},
            {"caption": "B", "chapters": [{"file": "b"}]},
        ],
    }
    assert toc_entries(toc) == ["intro", "a", "a1", "b"]


def test_dedupe_scripts_keeps_the_first_of_identical_scripts():
    import sys

    from sphinx.builders.html._assets import _JavaScript

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    try:
        from dedupe_scripts import drop_repeated_scripts
    finally:
        sys.path.remove(str(ROOT / "book" / "_ext"))
    inline = 'const THEBE_JS_URL = "x"'
    scripts = [
        _JavaScript("_static/doctools.js", priority=200),
        _JavaScript(None, body=inline),
        _JavaScript("", body=inline),
        _JavaScript("", body="const other = 1"),
        _JavaScript("_static/doctools.js", priority=200),
    ]
    context = {"script_files": list(scripts)}
    drop_repeated_scripts(None, "page", "page.html", context, None)
    assert context["script_files"] == [scripts[0], scripts[1], scripts[3]]
