"""What the report and the command line write cannot harm the user who opens it.

- Spreadsheets: a text cell of a CSV or of the Word tables that starts with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return gets a leading ``'`` (OWASP's advice against CSV
  injection); numbers are written as numbers.
- Terminals: an escape sequence in a file name, a column name, a value or a plan name is
  printed as a visible ``\\x1b``, never sent raw to stdout or stderr.
- Folders: a report never replaces files that copfactors did not write, unless --overwrite.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pandas as pd
import pytest
from docx import Document
from typer.testing import CliRunner

from copfactors import htmlreport, pipeline
from copfactors.cli import app
from copfactors.datasets import load_example_survey
from copfactors.pipeline import MARKER_FILE
from report_helpers import example_bundle, example_result

#: a terminal title change, a bell and a colour: none may reach a terminal raw
ESCAPES = "\x1b]0;pwned\x07x\x1b[31mred"
#: cop ids a spreadsheet would run as formulas, and one with escapes and rich markup
HOSTILE_IDS = [
    '=HYPERLINK("http://example.invalid","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "-@cmd",
    ESCAPES,
    "[bold]cop[/bold]",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]")


def raw_control(text: str) -> list[str]:
    """The control characters (but tab and newline) in a text: none may be printed raw."""
    return re.findall(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)


def is_number(cell: str) -> bool:
    """A number as written: ``-0.5``, ``-inf`` (an infinite estimate), or a lone dash."""
    try:
        float(cell)
    except ValueError:
        return bool(PLAIN_NUMBER.fullmatch(cell))
    return True


def runs_as_formula(cell: str) -> bool:
    return cell.startswith(FORMULA_START) and not is_number(cell)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """``copfactors report`` (the whole pipeline) on a survey with hostile ids and names."""
    folder = tmp_path_factory.mktemp("hostile")
    survey = load_example_survey()
    ids = sorted(survey["cop_id"].astype(str).unique())
    assert len(ids) == len(HOSTILE_IDS)
    survey["cop_id"] = survey["cop_id"].astype(str).map(dict(zip(ids, HOSTILE_IDS, strict=True)))
    survey[f"note{ESCAPES}"] = "=1+2"  # a column of the user's own, unknown to the codebook
    path = folder / f"survey{ESCAPES}.csv"
    survey.to_csv(path, index=False)
    out = folder / "report"
    result = CliRunner().invoke(app, ["report", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result, out


def test_no_escape_sequence_reaches_the_terminal(hostile):
    result, _ = hostile
    assert raw_control(result.stdout) == [] and raw_control(result.stderr) == []
    # the file name is shown, its escapes visible
    assert "Data: survey\\x1b]0;pwned\\x07x\\x1b[31mred.csv" in result.stdout


def test_every_csv_of_the_report_is_safe_in_a_spreadsheet(hostile):
    _, out = hostile
    files = sorted(out.glob("*.csv"))
    assert len(files) >= 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows, path.name
        bad = [cell for row in rows for cell in row if runs_as_formula(cell)]
        assert bad == [], (path.name, bad[:3])
    cops = pd.read_csv(out / "data_cops.csv", keep_default_na=False)
    neutralised = {"'" + cop for cop in HOSTILE_IDS if runs_as_formula(cop)}
    assert neutralised <= set(cops["cop_id"]) and len(neutralised) == 5
    assert ESCAPES in set(cops["cop_id"])  # not a formula: the user's value, as it is
    # the numbers stay numbers, negative ones too
    assert all(pd.api.types.is_numeric_dtype(cops[c]) for c in ("t1", "t2", "women", "men"))
    model = pd.read_csv(out / "ordinal_model.csv")
    assert pd.api.types.is_float_dtype(model["coef"]) and (model["coef"] < 0).any()
    assert re.search(r",-\d", (out / "ordinal_model.csv").read_text(encoding="utf-8"))


def test_every_text_cell_is_quoted_so_a_separator_stays_inside(hostile):
    _, out = hostile
    text = (out / "data_cops.csv").read_text(encoding="utf-8")
    # Excel with ';' as its separator reads a quoted cell whole
    assert "\"'+cmd|' /C calc'!A0\"" in text
    assert '"\'=HYPERLINK(""http://example.invalid"",""y"")"' in text


def test_the_word_tables_are_safe_too(hostile):
    _, out = hostile
    cells = [
        cell.text
        for table in Document(out / "tables.docx").tables
        for row in table.rows
        for cell in row.cells
    ]
    assert [c for c in cells if runs_as_formula(c)] == []
    assert "'@SUM(1+1)" in cells
    assert any(c.startswith("-") and PLAIN_NUMBER.fullmatch(c) for c in cells)  # numbers kept
    # XML cannot hold control characters: they are written as visible escapes
    assert "\\x1b]0;pwned\\x07x\\x1b[31mred" in cells


def test_validate_prints_no_escape_and_writes_a_safe_problems_file(tmp_path):
    path = tmp_path / "survey.csv"
    pd.DataFrame(
        {
            "respondent_id": ["1", "2"],
            "cop_id": [ESCAPES, "=cmd"],
            "commitment_1": ["=1+2", f"9{ESCAPES}"],
            f"extra{ESCAPES}": ["a", "b"],
        }
    ).to_csv(path, index=False)
    problems = tmp_path / "problems.csv"
    result = CliRunner().invoke(app, ["validate", str(path), "--problems-out", str(problems)])
    assert result.exit_code == 1
    assert raw_control(result.stdout) == [] and raw_control(result.stderr) == []
    assert "\\x1b" in result.stdout
    rows = list(csv.reader(io.StringIO(problems.read_text(encoding="utf-8"))))
    cells = [cell for row in rows for cell in row]
    assert "'=1+2" in cells and [c for c in cells if runs_as_formula(c)] == []


def test_validate_of_a_valid_survey_with_escapes_in_its_names(tmp_path):
    path = tmp_path / "survey.csv"
    survey = load_example_survey()
    survey["cop_id"] = survey["cop_id"].astype(str) + ESCAPES
    survey[f"mine{ESCAPES}"] = 1
    survey.to_csv(path, index=False)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert raw_control(result.stdout) == [] and raw_control(result.stderr) == []
    assert "mine\\x1b]0;pwned" in result.stdout


@pytest.mark.parametrize("format", ["text", "json"])
def test_score_prints_a_plan_name_with_escapes_safely(tmp_path, format):
    source = pipeline.example_plan_files()[0].read_text(encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    name = json.dumps(ESCAPES + "\x9b2J")  # YAML reads a JSON string
    plan.write_text(re.sub(r"(?m)^name: .*$", lambda _: f"name: {name}", source), encoding="utf-8")
    result = CliRunner().invoke(app, ["score", str(plan), "--draws", "0", "--format", format])
    assert raw_control(result.stdout) == [] and raw_control(result.stderr) == []
    shown = result.stdout + result.stderr
    # the name is shown (or named by an error), its escapes visible
    assert re.search(r"\\(x|u00)1b\]0;pwned", shown), shown
    if format == "json" and result.exit_code == 0:
        # JSON's own escapes: still valid JSON, and the name is read back as it was
        assert "\\u009b2J" in result.stdout
        assert json.loads(result.stdout)["plan"] == ESCAPES + "\x9b2J"


def test_warnings_of_a_command_are_printed_safely(monkeypatch):
    import warnings

    from copfactors import replicate

    def noisy(*args, **kwargs):
        warnings.warn(f"column {ESCAPES}", UserWarning, stacklevel=1)
        return "done\n"

    monkeypatch.setattr(replicate, "replication_report", noisy)
    result = CliRunner().invoke(app, ["replicate"])
    assert result.exit_code == 0, result.output
    assert raw_control(result.stderr) == []
    assert "column \\x1b]0;pwned\\x07x\\x1b[31mred" in result.stderr


# -- the report's folder ---------------------------------------------------------------------


@pytest.fixture
def shared_analysis(monkeypatch):
    """The commands run on the shared analysis of the example survey, rendered once."""
    calls = []
    result = example_result()
    bundle = example_bundle()

    def fake_run_analysis(survey, **kwargs):
        calls.append(kwargs)
        return result

    monkeypatch.setattr(pipeline, "run_analysis", fake_run_analysis)
    monkeypatch.setattr(htmlreport, "build", lambda _result: bundle)
    return calls


def user_folder(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    mine = {"report.html": "my page", "plans.csv": "my,plans\n", "notes.txt": "mine"}
    for name, text in mine.items():
        (out / name).write_text(text, encoding="utf-8")
    return out, mine


@pytest.mark.parametrize("command", ["demo", "report"])
def test_a_folder_of_the_users_is_refused(tmp_path, shared_analysis, command):
    out, mine = user_folder(tmp_path)
    survey = tmp_path / "survey.csv"
    load_example_survey().to_csv(survey, index=False)
    args = [command, *([str(survey)] if command == "report" else []), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "--overwrite" in result.stderr
    assert shared_analysis == []  # refused before the analysis ran
    assert {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()} == mine


def test_overwrite_replaces_only_the_reports_files(tmp_path, shared_analysis):
    out, _ = user_folder(tmp_path)
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--overwrite"])
    assert result.exit_code == 0, result.output
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert (out / "plans.csv").read_text(encoding="utf-8") != "my,plans\n"
    assert (out / MARKER_FILE).is_file()
    # a report's folder is written again without --overwrite; the user's file stays
    again = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_out_with_dot_dot_leaves_no_stray_folder(tmp_path, shared_analysis):
    result = CliRunner().invoke(app, ["demo", "--out", f"{tmp_path}/base/x/../y"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "base").iterdir()] == ["y"]
    assert (tmp_path / "base" / "y" / "report.html").is_file()
