"""The chapters' exercises, their hidden solutions and their scripts agree, and the scripts pass.

Every chapter ``book/chN_*.md`` ends with a ``## Exercises`` section (before its closing
``## 本章小结``) of ``{exercise}`` directives labelled ``ex-chN-K`` and titled ``N.K · ...``,
each followed by a ``{solution}`` dropdown. An exercise whose kind (the bold first words
of its text) mentions code or a check has a script ``book/course/solutions/chN_exK_*.py``,
shown in its solution with ``literalinclude``; every script belongs to exactly one
exercise of the same number. ``book/course/exercises.md`` lists every exercise with its
script. The checkers return lists of problems, and the tests at the bottom feed them
broken text to show that each rule can fail.

Each script ends with ``assert`` statements that check its answer, so exit status 0
means the answer still holds for the current package. The scripts run in a subprocess
(through :func:`runpy.run_path`, as ``__main__``) so that one script's TensorFlow state
cannot leak into another's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "book" / "course" / "solutions"
INDEX = ROOT / "book" / "course" / "exercises.md"
CHAPTERS = {int(path.name[2]): path for path in sorted((ROOT / "book").glob("ch[0-9]_*.md"))}
SCRIPTS = sorted(SOLUTIONS.glob("*.py"))
RUNNER = "import runpy, sys; runpy.run_path(sys.argv[1], run_name='__main__')"

MIN_PER_CHAPTER = 4
SUMMARY = "## 本章小结"
KINDS = (
    "Code.",
    "Derivation and code.",
    "Derivation, with a numerical check.",
    "Derivation, with a check in Keras.",
    "Derivation (short answers).",
)
SCRIPT_NAME = re.compile(r"ch(?P<chapter>\d)_ex(?P<number>\d+)_[a-z0-9_]+\.py")
OPENING = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>exercise|solution)\}\s*(?P<arg>.*)$")
INCLUDE = re.compile(r"\{literalinclude\}\s+course/solutions/(\S+)")


@dataclass
class Directive:
    """One ``{exercise}`` or ``{solution}`` block of a chapter."""

    name: str
    argument: str
    options: dict[str, str]
    body: list[str]
    line: int


def directives(text: str) -> list[Directive]:
    """The exercise and solution directives of MyST text, in order (nested fences allowed)."""
    lines = text.splitlines()
    found, i = [], 0
    while i < len(lines):
        opening = OPENING.match(lines[i])
        if not opening:
            i += 1
            continue
        end = next(
            (j for j in range(i + 1, len(lines)) if lines[j].strip() == opening["fence"]),
            len(lines),
        )
        content = lines[i + 1 : end]
        options = {}
        while content and (option := re.match(r"^:(\w+):\s*(.*)$", content[0])):
            options[option[1]] = option[2].strip()
            content = content[1:]
        found.append(Directive(opening["name"], opening["arg"].strip(), options, content, i + 1))
        i = end + 1
    return found


def needs_script(kind: str) -> bool:
    """Coding tasks and derivations with a numerical check have a script."""
    return "code" in kind.lower() or "check" in kind.lower()


def chapter_problems(chapter: int, text: str) -> tuple[list[str], dict[str, list[str]]]:
    """Problems of one chapter's exercises, and the scripts each exercise label shows."""
    where = f"chapter {chapter}"
    problems: list[str] = []
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    if "## Exercises" not in headings:
        return [f"{where}: no '## Exercises' section"], {}
    if headings[-2:] != ["## Exercises", SUMMARY]:
        problems.append(f"{where}: '## Exercises' must come just before the final '{SUMMARY}'")
    start = text.index("\n## Exercises\n")
    stop = text.index(f"\n{SUMMARY}\n") if f"\n{SUMMARY}\n" in text else len(text)
    all_blocks = directives(text)
    blocks = directives(text[start:stop])
    if len(blocks) != len(all_blocks):
        problems.append(f"{where}: exercises or solutions outside the '## Exercises' section")

    exercises = [block for block in blocks if block.name == "exercise"]
    if len(exercises) < MIN_PER_CHAPTER:
        problems.append(
            f"{where}: {len(exercises)} exercises, expected at least {MIN_PER_CHAPTER}"
        )
    shown: dict[str, list[str]] = {}
    for number, exercise in enumerate(exercises, start=1):
        label = f"ex-ch{chapter}-{number}"
        if exercise.options.get("label") != label:
            found = exercise.options.get("label")
            problems.append(
                f"{where}: exercise {number} is labelled {found!r}, expected {label!r}"
            )
            continue
        if not exercise.argument.startswith(f"{chapter}.{number} · "):
            problems.append(
                f"{where}: the title of {label} must start with '{chapter}.{number} · '"
            )
        if "nonumber" not in exercise.options:
            problems.append(f"{where}: {label} needs :nonumber: (Sphinx numbers across the book)")
        first = next((line.strip() for line in exercise.body if line.strip()), "")
        kind = next((kind for kind in KINDS if first.startswith(f"**{kind}**")), None)
        if kind is None:
            problems.append(
                f"{where}: {label} must start with one of " + ", ".join(f"**{k}**" for k in KINDS)
            )
            kind = ""
        solutions = [
            block for block in blocks if block.name == "solution" and block.argument == label
        ]
        if len(solutions) != 1:
            problems.append(f"{where}: {label} has {len(solutions)} solutions, expected 1")
            continue
        solution = solutions[0]
        if solution.line < exercise.line:
            problems.append(f"{where}: the solution of {label} comes before the exercise")
        if "dropdown" not in solution.options.get("class", "").split():
            problems.append(f"{where}: the solution of {label} must be hidden (:class: dropdown)")
        scripts = INCLUDE.findall("\n".join(solution.body))
        shown[label] = scripts
        if needs_script(kind) and not scripts:
            problems.append(f"{where}: {label} ({kind}) shows no solution script")
        for script in scripts:
            match = SCRIPT_NAME.fullmatch(script)
            if not match or (int(match["chapter"]), int(match["number"])) != (chapter, number):
                problems.append(
                    f"{where}: {label} shows {script}, expected ch{chapter}_ex{number}_<topic>.py"
                )
    orphans = [b.argument for b in blocks if b.name == "solution" and b.argument not in shown]
    problems += [f"{where}: a solution for unknown exercise {label!r}" for label in orphans]
    return problems, shown


def script_problems(shown: dict[str, list[str]], on_disk: set[str]) -> list[str]:
    """Every script shown exists, and every script on disk is shown by exactly one exercise."""
    problems = []
    counts: dict[str, int] = {}
    for scripts in shown.values():
        for script in scripts:
            counts[script] = counts.get(script, 0) + 1
    problems += [
        f"{script} is shown but missing from {SOLUTIONS.name}/"
        for script in sorted(set(counts) - on_disk)
    ]
    problems += [
        f"{script} is not shown by any exercise" for script in sorted(on_disk - set(counts))
    ]
    problems += [
        f"{script} is shown by {n} exercises" for script, n in sorted(counts.items()) if n > 1
    ]
    problems += [
        f"{script}: expected chN_exK_<topic>.py"
        for script in sorted(on_disk)
        if not SCRIPT_NAME.fullmatch(script)
    ]
    return problems


def index_problems(index: str, shown: dict[str, list[str]]) -> list[str]:
    """The index lists every exercise once, with its scripts, and nothing else."""
    problems = []
    rows = {}
    for line in index.splitlines():
        match = re.search(r"\{ref\}`[^`<]*<(ex-ch\d-\d+)>`", line)
        if match and line.startswith("|"):
            if match[1] in rows:
                problems.append(f"exercises.md lists {match[1]} twice")
            rows[match[1]] = line
    problems += [f"exercises.md does not list {label}" for label in shown if label not in rows]
    problems += [f"exercises.md lists unknown {label}" for label in rows if label not in shown]
    for label, scripts in shown.items():
        row = rows.get(label, "")
        for script in scripts:
            if label in rows and script not in row:
                problems.append(f"exercises.md: the row of {label} does not name {script}")
        if label in rows and not scripts and "worked answer only" not in row:
            problems.append(f"exercises.md: the row of {label} must say 'worked answer only'")
    return problems


def book_problems() -> tuple[list[str], dict[str, list[str]]]:
    problems: list[str] = []
    shown: dict[str, list[str]] = {}
    for chapter, path in CHAPTERS.items():
        found, scripts = chapter_problems(chapter, path.read_text(encoding="utf-8"))
        problems += found
        shown.update(scripts)
    return problems, shown


# ------------------------------------------------------------------------------- the book
def test_every_chapter_has_exercises():
    assert sorted(CHAPTERS) == [1, 2, 3, 4, 5, 6]
    problems, shown = book_problems()
    assert not problems, "\n".join(problems)
    assert len(shown) >= MIN_PER_CHAPTER * len(CHAPTERS)


def test_every_script_belongs_to_one_exercise_of_its_number():
    _, shown = book_problems()
    problems = script_problems(shown, {path.name for path in SCRIPTS})
    assert not problems, "\n".join(problems)


def test_the_index_lists_every_exercise_and_script():
    _, shown = book_problems()
    problems = index_problems(INDEX.read_text(encoding="utf-8"), shown)
    assert not problems, "\n".join(problems)


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


# ------------------------------------------------------------- the checkers can fail
GOOD_CHAPTER = """# 9. A chapter

Text.

## Exercises

```{exercise} 9.1 · A derivation
:label: ex-ch9-1
:nonumber:

**Derivation and code.** Derive it.
```

````{solution} ex-ch9-1
:class: dropdown

Worked.

```{literalinclude} course/solutions/ch9_ex1_first.py
:language: python
```
````

```{exercise} 9.2 · Short
:label: ex-ch9-2
:nonumber:

**Derivation (short answers).** Say why.
```

```{solution} ex-ch9-2
:class: dropdown

Because.
```

## 本章小结

总结。
"""


def test_checker_accepts_a_good_chapter():
    problems, shown = chapter_problems(9, GOOD_CHAPTER)
    # The example has two exercises, so only the count (checked below) is a problem.
    assert problems == ["chapter 9: 2 exercises, expected at least 4"]
    assert shown == {"ex-ch9-1": ["ch9_ex1_first.py"], "ex-ch9-2": []}
    assert script_problems(shown, {"ch9_ex1_first.py"}) == []
    index = (
        "| {ref}`9.1 <ex-ch9-1>` | A | derivation and code | `ch9_ex1_first.py` |\n"
        "| {ref}`9.2 <ex-ch9-2>` | B | short | — (worked answer only) |\n"
    )
    assert index_problems(index, shown) == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (":label: ex-ch9-2", ":label: ex-ch9-3", "expected 'ex-ch9-2'"),
        ("9.2 · Short", "9.3 · Short", "must start with '9.2 · '"),
        ("ex-ch9-1\n:nonumber:", "ex-ch9-1", "needs :nonumber:"),
        ("````{solution} ex-ch9-1\n:class: dropdown", "````{solution} ex-ch9-1", "must be hidden"),
        ("ch9_ex1_first.py", "ch9_ex2_first.py", "expected ch9_ex1_<topic>.py"),
        ("**Derivation and code.**", "**Derivation and code**", "must start with one of"),
        (
            "```{literalinclude} course/solutions/ch9_ex1_first.py\n:language: python\n```\n",
            "",
            "shows no solution script",
        ),
        ("```{solution} ex-ch9-2", "```{solution} ex-ch9-7", "has 0 solutions"),
        ("## 本章小结", "## Summary", "just before the final"),
        ("## Exercises", "## Problems", "no '## Exercises' section"),
    ],
)
def test_chapter_checker_rejects(old: str, new: str, expected: str):
    assert old in GOOD_CHAPTER
    problems, _ = chapter_problems(9, GOOD_CHAPTER.replace(old, new, 1))
    assert any(expected in problem for problem in problems), problems


def test_script_checker_rejects_orphans_and_missing_files():
    shown = {"ex-ch9-1": ["ch9_ex1_first.py"]}
    assert script_problems(shown, {"ch9_ex1_first.py", "ch9_ex5_orphan.py"}) == [
        "ch9_ex5_orphan.py is not shown by any exercise"
    ]
    assert script_problems(shown, set()) == [
        f"ch9_ex1_first.py is shown but missing from {SOLUTIONS.name}/"
    ]
    assert (
        script_problems(shown, {"ch9_ex1_first.py", "ex01_old.py"})[-1]
        == "ex01_old.py: expected chN_exK_<topic>.py"
    )


def test_index_checker_rejects_missing_rows_and_scripts():
    shown = {"ex-ch9-1": ["ch9_ex1_first.py"], "ex-ch9-2": []}
    assert index_problems("| {ref}`9.1 <ex-ch9-1>` | A | code | — |\n", shown) == [
        "exercises.md does not list ex-ch9-2",
        "exercises.md: the row of ex-ch9-1 does not name ch9_ex1_first.py",
    ]
