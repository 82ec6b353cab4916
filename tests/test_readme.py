"""The README cannot rot: its commands are CI's, its Quick look runs and prints what it shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

INSTALL_AND_DEMO = "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/copfactors demo"
INSTALL_AND_TEST = (
    'python3 -m venv .venv && .venv/bin/pip install ".[test]" && .venv/bin/python -m pytest -q'
)

_FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
#: A number; digits that are part of a name (C13, age_50_plus) are text, compared exactly.
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")


def readme() -> str:
    return README.read_text(encoding="utf-8")


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """The fenced code blocks of a Markdown text: (language, body), in order."""
    return _FENCE.findall(text)


def section(text: str, heading: str) -> str:
    """The text under a ``## heading``, up to the next heading of level two."""
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def quick_look() -> tuple[str, str]:
    """The Quick look's python code and the output block that follows it."""
    blocks = fenced_blocks(section(readme(), "Quick look"))
    langs = [lang for lang, _ in blocks]
    i = langs.index("python")
    assert langs[i + 1] == "text", "the python block is followed by its output"
    return blocks[i][1], blocks[i + 1][1]


# ---------------------------------------------------------------------------------------------
# comparing printed output with the README's shortened copy
# ---------------------------------------------------------------------------------------------
def line_matches(shown: str, printed: str) -> bool:
    """Whether a README line shows a printed line: same text, numbers to the shown precision.

    A number shown with ``d`` decimals matches a printed number within ``10**-d`` (one unit in
    its last digit); spaces between words may differ (table columns widen with their numbers).
    """
    shown_text = _NUMBER.split(shown)
    printed_text = _NUMBER.split(printed)
    if len(shown_text) != len(printed_text):
        return False
    if [" ".join(t.split()) for t in shown_text] != [" ".join(t.split()) for t in printed_text]:
        return False
    for a, b in zip(_NUMBER.findall(shown), _NUMBER.findall(printed), strict=True):
        decimals = len(a.partition(".")[2])
        if abs(float(a) - float(b)) > 10.0**-decimals * (1 + 1e-9):
            return False
    return True


def output_matches(shown: str, printed: str) -> bool:
    """Whether ``shown`` is ``printed`` with runs of lines cut to a ``...`` line.

    The lines between two ``...`` lines are consecutive printed lines, in order; the first
    run starts the output unless ``...`` comes before it, the last run ends it unless ``...``
    comes after it.
    """
    shown_lines = [line.rstrip() for line in shown.strip("\n").splitlines()]
    printed_lines = [line.rstrip() for line in printed.strip("\n").splitlines()]
    runs: list[list[str]] = [[]]
    for line in shown_lines:
        if line.strip() == "...":
            runs.append([])
        else:
            runs[-1].append(line)
    open_start, open_end = not runs[0], not runs[-1]
    runs = [run for run in runs if run]

    def fits(run: list[str], at: int) -> bool:
        return at + len(run) <= len(printed_lines) and all(
            line_matches(s, p) for s, p in zip(run, printed_lines[at : at + len(run)], strict=True)
        )

    def place(k: int, at: int) -> bool:
        if k == len(runs):
            return open_end or at == len(printed_lines)
        starts = [at] if (k == 0 and not open_start) else range(at, len(printed_lines) + 1)
        return any(fits(runs[k], i) and place(k + 1, i + len(runs[k])) for i in starts)

    return place(0, 0)


def test_the_output_comparison():
    printed = "a 1.234\nb 2\nc 3\nd   40%\ne 5\n"
    assert output_matches("a 1.23\n...\nd 40%\ne 5\n", printed)
    assert output_matches("...\nc 3\n...\n", printed)
    assert output_matches("a 1.24\n...\ne 4", printed)  # one unit in the last digit
    assert not output_matches("a 1.22\n...\ne 5", printed)
    assert not output_matches("a 1.23\nc 3\n...\n", printed)  # a line left out without "..."
    assert not output_matches("a 1.23\nb 2\n", printed)  # the output goes on
    assert not output_matches("b 2\n...\n", printed)  # the output starts earlier
    assert not output_matches("a 1.23\n...\nd 40\n...\n", printed)
    assert not output_matches("...\nz 3\n...\n", printed)
    assert output_matches("C13 0.5\n", "C13 0.46\n")
    assert not output_matches("C12 0.5\n", "C13 0.46\n")  # names are not numbers


# ---------------------------------------------------------------------------------------------
# the README
# ---------------------------------------------------------------------------------------------
def test_the_first_two_code_lines_are_the_demo_and_the_test_commands():
    lang, body = fenced_blocks(readme())[0]
    assert lang == "bash"
    assert body.splitlines()[:2] == [INSTALL_AND_DEMO, INSTALL_AND_TEST]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert INSTALL_AND_TEST in [line.strip() for line in ci], ".ci/run runs the README's tests"


def test_the_quick_look_runs_and_prints_what_the_readme_shows(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    code, shown = quick_look()
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "README.md Quick look", "exec"), {"__name__": "__readme__"})
    finally:
        plt.close("all")
    printed = out.getvalue()
    assert output_matches(shown, printed), (
        f"README.md's Quick look output is not what the code prints:\n{printed}"
    )


def test_the_quick_look_is_short_and_says_the_data_are_simulated():
    code, shown = quick_look()
    assert 10 <= len(code.strip().splitlines()) <= 30
    assert "SIMULATED" in code
    assert "..." in shown


@pytest.mark.parametrize(
    "what, words",
    [
        ("models of attainment", ("ordinal", "logistic", "attainment")),
        ("drivers explained", ("drivers", "coefficients", "AME", "SHAP", "relative importance")),
        ("planned CoPs scored", ("plan", "before launch", "uncertainty interval", "levers")),
        ("Table 1 audited", ("Table 1", "audit")),
        ("the paper's claims", ("13 claims", "verdict")),
        ("simulated data", ("example survey is SIMULATED", "reference model")),
    ],
)
def test_the_readme_says_what_copfactors_does(what, words):
    intro = readme().split("\n## ", 1)[0]
    prose = " ".join(line.lstrip("> ") for line in intro.splitlines())  # blockquotes too
    prose = " ".join(prose.split()).lower()
    missing = [w for w in words if w.lower() not in prose]
    assert not missing, f"the README's introduction does not say {what}: {missing}"


def test_the_readme_links_resolve():
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme())
    local = [link for link in links if "://" not in link]
    for page in (
        "docs/getting-started.md",
        "docs/scoring.md",
        "docs/claims-calibration.md",
        "docs/security.md",
        "docs/api.md",
    ):
        assert page in local, f"README.md links to {page}"
    assert any(link.startswith("docs/tutorials/") for link in local)
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing, f"README.md links to missing files: {missing}"
