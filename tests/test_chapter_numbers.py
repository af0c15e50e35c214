"""No measured number is typed into the chapters: each is glued, read or cited.

A measured number in the chapter prose (a PSNR, an accuracy, a time) drifts as soon as a
notebook, a model or a benchmark is run again. So the chapters take each one from where
it was measured:

* ``{glue:text}`/notebooks/NAME.ipynb::key:.2f``` pastes a value a notebook glued with
  ``myst_nb.glue`` into its committed outputs;
* ``{result}`bsd68/float/ffdnet/25``` reads a number from the package's results files
  (``book/_ext/results_numbers.py``: benchmark CSV, speed table, manifest);
* a results table is included from ``book/tables/`` (written by
  ``benchmarks/render_results.py``).

:func:`untraced_numbers` finds every decimal number followed by a unit (dB, s, ms,
seconds, minutes, hours, MB, GB, GMAC, %) in a page's prose, ignoring code, math,
directive options, glued or read values and included files, and reports those that are
neither in the same sentence as a ``{cite}`` (a published number, quoted) nor on
:data:`DERIVED`, the short list of numbers that follow from a formula rather than a
measurement. Integers are not checked: in the chapters they are round figures or the
bounds a notebook's ``assert`` checks ("more than 1 dB").

The other tests check that every glue key a chapter pastes is defined in the committed
outputs of the notebook it names, and that every ``{result}`` key resolves. The checker
is fed broken paragraphs at the bottom, to show that each rule can fail.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [*sorted((ROOT / "book").glob("ch*.md")), ROOT / "book/intro.md", ROOT / "book/try_it.md"]

# Numbers that follow from a formula, not from a measurement. Each key is a phrase of the
# prose (after math and roles are taken out) that holds the number with its unit; a
# number is allowed where its phrase occurs in its sentence. The formulas are checked in
# test_the_derived_numbers_follow_from_their_formulas.
DERIVED: dict[str, str] = {
    # The PSNR gain of each halving of the MSE, in ch3's text and figure.
    "3.01 dB": "10 log10 2",
    # The noisy PSNR of unclipped Gaussian noise at sigma 15, 25 and 50 (ch1, exercise 1.1).
    "24.61 dB": "20 log10(255/15)",
    "20.17 dB": "20 log10(255/25)",
    "14.15 dB": "20 log10(255/50)",
    "24.61, 20.17 and 14.15 dB": "20 log10(255/sigma) for sigma 15, 25, 50",
    # A gain of 0.1 dB divides the MSE by 10^0.01: a reduction of 2.3 % (ch3).
    "a gain of 0.1 dB": "the example gain of the sentence",
    "MSE reduction of 2.3 %": "1 - 10^-0.01",
    # Rounding to 8 bits adds an error of variance 1/(12 * 255^2), which lowers a PSNR
    # near 30 dB (MSE 1e-3) by 10 log10(1 + 1.3e-6 / 1e-3), about 0.005 dB (ch4, ch6).
    "about 0.005 dB": "10 log10(1 + 1/(12 * 255^2 * 1e-3))",
    # The relative standard deviation sqrt(2/P) of the MSE of P = 65,536 noisy pixels,
    # and the PSNR fluctuation 10/ln 10 * sqrt(2/P) it causes (exercises 1.1 and 6.4).
    "0.55 %": "sqrt(2/65536)",
    "about 0.02 dB": "10 / ln 10 * sqrt(2/65536)",
    # The PSNR 10 log10(p/x) of Poisson noise on a flat image (exercise 1.2).
    "16.99 dB for a white": "10 log10(50/1)",
    "23.98 dB at": "10 log10(50/0.2)",
    # 54,090 of the 54,410 parameters of the article's classifier (exercise 2.x).
    "99.4 % of them in the dense layer": "54,090 / 54,410",
    # The MSE of the best shrinkage estimator, half the noisy MSE (exercise 3.x).
    "(23.1 dB instead of 20.2 dB)": "10 log10(1/0.0049) and 20 log10(255/25)",
    # Multiply-adds of DnCNN-17 and of the FFDNet-style model counted by hand (exercise 4.1).
    "pixels: 36.31 GMAC": "9 * 61,568 * 256^2",
    "positions: 6.15 GMAC": "9 * 41,728 * 128^2",
    # The PSNR -20 log10 c of a constant error c = 0.05 (exercise 5.5).
    "26.02 dB for": "-20 log10 0.05",
    "Both copies score 26.0 dB": "-20 log10 0.05",
    # 0.68 trillion operations at 10^11 per second (exercise 6.3).
    "about 6.8 s per step": "0.68e12 / 1e11",
    # The noisy PSNR scored with data_range=255 on [0, 1] images (exercise 6.4).
    "68.30 dB": "20.17 + 20 log10 255",
    "exactly 48.13 dB": "20 log10 255",
    # Exercise 6.4 states made-up student reports to diagnose; they are not measurements.
    "20.19 dB on the first Set12 image, and 20.15 dB": "made-up reports of exercise 6.4",
    "scores 0.3 dB less than a classmate's": "a made-up report of exercise 6.4",
    # The tolerance tests/test_tryit_page.py asserts between the page and Python.
    "the same to 0.05 dB": "the tolerance of tests/test_tryit_page.py",
}

UNIT = r"(?:dB|ms|s|seconds|minutes|hours|MB|GB|GMAC|%)(?![\w])"
NUMBER = r"(?<![\w.,])\d+(?:\.\d+)?"
SEPARATOR = r"\s*(?:/|,|–|-|to|and|or)\s*"
NUMBERS_WITH_UNIT = re.compile(
    rf"(?P<numbers>{NUMBER}(?:{SEPARATOR}{NUMBER})*)\s*(?P<unit>{UNIT})"
)
CITE = "\x00CITE\x00"  # what a {cite} role becomes; survives in the sentence it was in
VALUE = "\x00VALUE\x00"  # what a glued or read value becomes

# Fences whose body is not prose: code, math, raw output, included files.
CODE_FENCE_INFO = re.compile(
    r"^(?:$|[\w+.-]+$|\{(?:code|code-block|code-cell|sourcecode|literalinclude|math|"
    r"raw|include|glue|glue:\w*|tableofcontents|bibliography)\})"
)
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
OPTION = re.compile(r"^\s*:[\w-]+:")
ROLE = re.compile(r"\{(?P<name>[\w:.-]+)\}(?P<ticks>`+)(?P<content>.*?)(?P=ticks)", re.DOTALL)
MATH = re.compile(
    # $$display$$, $inline$ (may wrap lines, not paragraphs), \begin{env}...\end{env}
    r"\$\$.*?\$\$|(?<!\\)\$(?:[^$\n]|\n(?![ \t]*\n))+?(?<!\\)\$"
    r"|\\begin\{(?P<env>[\w*]+)\}.*?\\end\{(?P=env)\}",
    re.DOTALL,
)
INLINE_CODE = re.compile(r"(?P<ticks>`+).+?(?P=ticks)", re.DOTALL)
HTML = re.compile(r"<!--.*?-->|<[^>\n]+>", re.DOTALL)
# A sentence ends at . ! ? followed by white space (a decimal point has none), or at 。！？.
SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bcf)(?<!\bal)[.!?](?=\s)|[。！？]")
BLOCK_START = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|:\s|\|)")  # list item, definition, table row


@dataclass(frozen=True)
class Finding:
    """A decimal number with a unit that is neither glued, read, cited nor derived."""

    line: int
    text: str
    sentence: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.text!r} in {self.sentence!r}"


def _blank(text: str) -> str:
    """The same text with every character but newlines turned into a space."""
    return re.sub(r"[^\n]", " ", text)


def _same_length(marker: str, original: str) -> str:
    """marker padded with spaces (and the original's newlines) to the original's length."""
    blank = _blank(original)
    if len(marker) > len(blank):
        return blank
    return marker + blank[len(marker) :]


def prose_only(text: str) -> str:
    """Blank out everything of a MyST page that is not prose, keeping every offset.

    Code and math fences, directive options, math, inline code, HTML and MyST comments
    become spaces; a ``{cite}`` role becomes :data:`CITE`, a glue or ``{result}`` role
    :data:`VALUE`, and any other role spaces.
    """
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    stack: list[tuple[str, bool]] = []  # open fences: (fence, body is prose)
    at_options = False
    for line in lines:
        opening = FENCE.match(line.rstrip("\n"))
        if stack and opening and opening["fence"][0] == stack[-1][0][0]:
            fence, _ = stack[-1]
            if len(opening["fence"]) >= len(fence) and not opening["info"].strip():
                stack.pop()
                kept.append(_blank(line))
                at_options = False
                continue
        if stack and not stack[-1][1]:  # inside code or math
            kept.append(_blank(line))
            continue
        if opening:
            is_prose = not CODE_FENCE_INFO.match(opening["info"].strip())
            stack.append((opening["fence"], is_prose))
            kept.append(_blank(line))
            at_options = is_prose
            continue
        if at_options and OPTION.match(line):
            kept.append(_blank(line))
            continue
        at_options = False
        if line.startswith("%"):  # a MyST comment
            kept.append(_blank(line))
            continue
        kept.append(line)
    prose = "".join(kept)

    def role(match: re.Match[str]) -> str:
        name = match["name"]
        if name.startswith("cite"):
            return _same_length(CITE, match.group(0))
        if name == "result" or name.startswith("glue"):
            return _same_length(VALUE, match.group(0))
        return _blank(match.group(0))

    prose = ROLE.sub(role, prose)
    prose = MATH.sub(lambda m: _blank(m.group(0)), prose)
    prose = INLINE_CODE.sub(lambda m: _blank(m.group(0)), prose)
    return HTML.sub(lambda m: _blank(m.group(0)), prose)


def sentences(prose: str) -> list[tuple[int, str]]:
    """(offset, sentence) of every sentence; list items and table rows start new ones."""
    found: list[tuple[int, str]] = []
    offset = 0
    for paragraph in re.split(r"(\n[ \t]*\n)", prose):
        start = offset
        lines = paragraph.splitlines(keepends=True)
        blocks: list[tuple[int, str]] = []
        position = start
        for line in lines:
            if not blocks or BLOCK_START.match(line):
                blocks.append((position, line))
            else:
                blocks[-1] = (blocks[-1][0], blocks[-1][1] + line)
            position += len(line)
        for block_start, block in blocks:
            cut = 0
            for end in SENTENCE_END.finditer(block):
                found.append((block_start + cut, block[cut : end.end()]))
                cut = end.end()
            found.append((block_start + cut, block[cut:]))
        offset += len(paragraph)
    return [(start, sentence) for start, sentence in found if sentence.strip()]


def _derived(value: str, unit: str, sentence: str, derived: dict[str, str]) -> bool:
    """Whether a phrase of ``derived`` that holds ``value`` and ``unit`` is in ``sentence``."""
    flat = " ".join(sentence.split())
    number = re.compile(rf"(?<![\d.]){re.escape(value)}(?![\d])")
    return any(number.search(phrase) and unit in phrase and phrase in flat for phrase in derived)


def untraced_numbers(text: str, derived: dict[str, str] | None = None) -> list[Finding]:
    """Decimal numbers with a unit in a MyST page that nothing traces to a source.

    Parameters
    ----------
    text : str
        The page's MyST Markdown.
    derived : dict, optional
        Phrases of the prose (``"a gain of 0.1 dB"``) whose number a formula gives, not a
        measurement; :data:`DERIVED` by default. A number is allowed in a sentence that
        holds a phrase with that number and its unit.

    Returns
    -------
    list of Finding
        One per number, in page order; empty when every number is glued, read from a
        results file, in a sentence with a citation, or derived.

    Examples
    --------
    >>> [f.text for f in untraced_numbers("The model scores 28.86 dB on BSD68.")]
    ['28.86 dB']
    >>> untraced_numbers("DnCNN was reported at 29.23 dB {cite}`zhang2017dncnn`.")
    []
    """
    derived = DERIVED if derived is None else derived
    prose = prose_only(text)
    findings = []
    for start, sentence in sentences(prose):
        if CITE in sentence:
            continue
        for match in NUMBERS_WITH_UNIT.finditer(sentence):
            unit = match["unit"]
            for number in re.finditer(NUMBER, match["numbers"]):
                value = number.group(0)
                if "." not in value or _derived(value, unit, sentence, derived):
                    continue
                offset = start + match.start() + number.start()
                findings.append(
                    Finding(
                        line=text.count("\n", 0, offset) + 1,
                        text=f"{value} {unit}",
                        sentence=" ".join(sentence.replace(VALUE, "…").split()),
                    )
                )
    return findings


# ------------------------------------------------------------------ glue and result keys
GLUE_ROLE = re.compile(r"\{glue(?::\w*)?\}`(?P<content>[^`]+)`")
RESULT_ROLE = re.compile(r"\{result\}`(?P<key>[^`]+)`")


def glue_references(text: str) -> list[tuple[str, str]]:
    """(notebook path as written, key) of every glue role of a page."""
    found = []
    for match in GLUE_ROLE.finditer(text):
        content = match["content"]
        if "::" not in content:
            found.append(("", content))
            continue
        path, key = content.split("::", 1)
        found.append((path, key.split(":", 1)[0]))
    return found


def glued_names(notebook: Path) -> set[str]:
    """Every name ``myst_nb.glue`` recorded in a notebook's committed outputs."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    names = set()
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            scrapbook = output.get("metadata", {}).get("scrapbook", {})
            data = output.get("data", {})
            if "name" in scrapbook and any(
                mime.startswith(scrapbook.get("mime_prefix", "")) for mime in data
            ):
                names.add(scrapbook["name"])
    return names


def resolve_notebook(page: Path, written: str) -> Path:
    """The notebook a glue path names: from the source root if it starts with /."""
    base = ROOT if written.startswith("/") else page.parent
    return (base / written.lstrip("/")).resolve()


@pytest.fixture(scope="module")
def results_numbers():
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    try:
        import results_numbers
    finally:
        sys.path.remove(str(ROOT / "book" / "_ext"))
    return results_numbers


# ---------------------------------------------------------------------------- the pages
@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_no_measured_number_is_typed(page):
    findings = untraced_numbers(page.read_text(encoding="utf-8"))
    assert findings == [], (
        f"{page.relative_to(ROOT)}: numbers with a unit that are neither glued from a "
        "notebook ({glue:text}), read from a results file ({result}), cited in the same "
        "sentence, nor on DERIVED in this test:\n" + "\n".join(map(str, findings))
    )


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_glued_value_is_in_a_notebooks_outputs(page):
    problems = []
    for written, key in glue_references(page.read_text(encoding="utf-8")):
        if not written:
            problems.append(
                f"{key}: a page has no glue of its own; write /notebooks/NAME.ipynb::key"
            )
            continue
        notebook = resolve_notebook(page, written)
        if not notebook.is_file():
            problems.append(f"{written}::{key}: no notebook {notebook}")
        elif key not in glued_names(notebook):
            problems.append(
                f"{written}::{key}: not glued in the committed outputs of {notebook.name}; "
                "execute it with tests/refresh_notebooks.py"
            )
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_result_key_resolves(page, results_numbers):
    problems = []
    for match in RESULT_ROLE.finditer(page.read_text(encoding="utf-8")):
        try:
            results_numbers.resolve(match["key"])
        except (KeyError, ValueError) as error:
            problems.append(f"{match['key']}: {error}")
    assert problems == [], "\n".join(problems)


def _computed() -> dict[str, list[float]]:
    """Each phrase of DERIVED with the values its formula gives, in the phrase's order."""
    import math

    rel_sd = math.sqrt(2 / 65_536)  # relative standard deviation of the MSE of 256 x 256 pixels
    return {
        "3.01 dB": [10 * math.log10(2)],
        "24.61 dB": [20 * math.log10(255 / 15)],
        "20.17 dB": [20 * math.log10(255 / 25)],
        "14.15 dB": [20 * math.log10(255 / 50)],
        "24.61, 20.17 and 14.15 dB": [20 * math.log10(255 / s) for s in (15, 25, 50)],
        "a gain of 0.1 dB": [0.1],
        "MSE reduction of 2.3 %": [100 * (1 - 10**-0.01)],
        "about 0.005 dB": [10 * math.log10(1 + 1 / (12 * 255**2) / 1e-3)],
        "0.55 %": [100 * rel_sd],
        "about 0.02 dB": [10 / math.log(10) * rel_sd],
        "16.99 dB for a white": [10 * math.log10(50)],
        "23.98 dB at": [10 * math.log10(50 / 0.2)],
        "99.4 % of them in the dense layer": [100 * 54_090 / 54_410],
        "(23.1 dB instead of 20.2 dB)": [10 * math.log10(1 / 0.0049), 20 * math.log10(255 / 25)],
        "pixels: 36.31 GMAC": [9 * 61_568 * 256**2 / 1e9],
        "positions: 6.15 GMAC": [9 * 41_728 * 128**2 / 1e9],
        "26.02 dB for": [-20 * math.log10(0.05)],
        "Both copies score 26.0 dB": [-20 * math.log10(0.05)],
        "about 6.8 s per step": [0.68e12 / 1e11],
        "68.30 dB": [20 * math.log10(255 / 25) + 20 * math.log10(255)],
        "exactly 48.13 dB": [20 * math.log10(255)],
    }


@pytest.mark.parametrize("phrase", sorted(DERIVED))
def test_each_derived_number_follows_from_its_formula(phrase):
    computed = _computed()
    if phrase not in computed:  # no formula: the made-up reports and the test tolerance
        assert "exercise 6.4" in DERIVED[phrase] or "test_tryit_page" in DERIVED[phrase]
        return
    written = re.findall(r"\d+\.\d+", phrase)
    assert len(written) == len(computed[phrase]), phrase
    for text, value in zip(written, computed[phrase], strict=True):
        decimals = len(text.split(".")[1])
        # "about 0.005 dB" is 0.0056 rounded down in the prose; allow half a unit more.
        assert abs(value - float(text)) <= 10**-decimals, (phrase, text, value)


def test_the_page_tolerance_is_the_one_the_page_test_asserts():
    source = (ROOT / "tests" / "test_tryit_page.py").read_text(encoding="utf-8")
    assert re.search(r"<= 0\.05\b", source)


def test_every_derived_phrase_is_used():
    texts = [prose_only(page.read_text(encoding="utf-8")) for page in PAGES]
    flat = [" ".join(sentence.split()) for text in texts for _, sentence in sentences(text)]
    unused = [phrase for phrase in DERIVED if not any(phrase in sentence for sentence in flat)]
    assert unused == [], f"DERIVED lists phrases no page has any more: {unused}"


# ----------------------------------------------------------------- the checker can fail
@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("The shipped model scores 28.86 dB on BSD68 at $\\sigma = 25$.", ["28.86 dB"]),
        ("It scores 32.42 / 30.02 / 26.77 dB on Set12.", ["32.42 dB", "30.02 dB", "26.77 dB"]),
        (
            "From 20.16 to 30.84\ndB in 0.3 s, and 91.6 % right.",
            ["20.16 dB", "30.84 dB", "0.3 s", "91.6 %"],
        ),
        ("It took 15.6 minutes.", ["15.6 minutes"]),
        ("A table row | ffdnet | 28.86 dB |", ["28.86 dB"]),
        ("Reported at 29.23 dB {cite}`zhang2017dncnn`. We measured 28.86 dB.", ["28.86 dB"]),
        ("- a list item with 28.86 dB\n- and one with a source {cite}`x`", ["28.86 dB"]),
        ("Reported at 29.23 dB {cite:p}`zhang2017dncnn`, on BSD68.", []),
        ("It scores {result}`bsd68/float/ffdnet/25` dB.", []),
        ("It scores {glue:text}`/notebooks/a.ipynb::psnr:.2f` dB.", []),
        ("Each halving adds 3.01 dB.", []),
        ("More than 1 dB, about 7 s, 10 % of the pixels.", []),
        ("$\\mathrm{PSNR} = 28.86$ dB in math.", []),
        ("The call `psnr(x) == 28.86 dB` in code.", []),
        ("```python\nprint('28.86 dB')\n```\n", []),
        ("```{math}\n28.86 \\text{ dB}\n```\n", []),
        ("```{figure} a.png\n:width: 80.5%\n\nA caption with 28.86 dB.\n```\n", ["28.86 dB"]),
        ("% a comment with 28.86 dB\nText.", []),
        ("```{admonition} Note\nInside a box, 28.86 dB.\n```\n", ["28.86 dB"]),
    ],
)
def test_checker(markdown, expected):
    assert [finding.text for finding in untraced_numbers(markdown)] == expected


def test_a_finding_names_its_line():
    text = "Intro.\n\nSecond paragraph,\nwith 28.86 dB on its second line."
    [finding] = untraced_numbers(text)
    assert finding.line == 4
    assert "28.86 dB" in str(finding)


def test_a_derived_number_is_allowed_only_when_listed():
    text = "Each halving adds 3.01 dB."
    assert untraced_numbers(text, derived={}) != []
    assert untraced_numbers(text, derived={"3.01 dB": "10 log10 2"}) == []


def test_glue_references_are_parsed():
    text = (
        "{glue:text}`/notebooks/a.ipynb::psnr:.2f` and {glue}`../notebooks/b.ipynb::n` "
        "and {glue:text}`local`"
    )
    assert glue_references(text) == [
        ("/notebooks/a.ipynb", "psnr"),
        ("../notebooks/b.ipynb", "n"),
        ("", "local"),
    ]


def test_glued_names_come_from_outputs_only(tmp_path):
    notebook = tmp_path / "a.ipynb"
    glued = {
        "output_type": "display_data",
        "data": {"application/papermill.record/text/plain": "28.86"},
        "metadata": {
            "scrapbook": {"name": "psnr", "mime_prefix": "application/papermill.record/"}
        },
    }
    source_only = {"cell_type": "code", "source": "glue('accuracy', 0.9)", "outputs": []}
    cells = [{"cell_type": "code", "source": "glue('psnr', x)", "outputs": [glued]}, source_only]
    notebook.write_text(json.dumps({"cells": cells}), encoding="utf-8")
    assert glued_names(notebook) == {"psnr"}


def test_an_unknown_result_key_is_refused(results_numbers):
    for key in ["bsd68/float/no-such-method/25", "speed/no-such-method", "nonsense"]:
        with pytest.raises((KeyError, ValueError)):
            results_numbers.resolve(key)
