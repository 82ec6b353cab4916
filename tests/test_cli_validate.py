"""Tests of the ``copfactors validate`` command."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from copfactors.cli import app

runner = CliRunner()


def survey() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "respondent_id": ["1", "2", "3"],
            "cop_id": ["A", "A", "B"],
            "responded_t1": [True, True, True],
            "responded_t2": [True, False, True],
            "gender": ["woman", "man", "woman"],
            "imp_learning": [5, 4, 3],
        }
    )


def run(*args: str):
    result = runner.invoke(app, ["validate", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_valid_file_exits_zero_with_summary_and_readiness(tmp_path, suffix, example_survey):
    path = tmp_path / f"survey{suffix}"
    frame = example_survey  # SIMULATED
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path)
    result = run(path)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"survey{suffix}: 180 respondents, 7 CoPs, T1 180 / T2 103, 55 columns recognised, "
        "0 unknown"
    )
    assert "What the survey supports" in result.stdout
    for analysis in ("gender", "reliability", "model", "scoring", "C1", "C13"):
        assert any(line.split()[:1] == [analysis] for line in lines), analysis


def test_a_table_that_supports_nothing_fails(tmp_path):
    path = tmp_path / "survey.csv"
    survey().drop(columns="gender").to_csv(path, index=False)  # C7 needs gender
    result = run(path)
    assert result.exit_code == 1
    assert result.stdout.startswith("survey.csv: 3 respondents, 2 CoPs")
    assert "supports none of copfactors' analyses (the reasons are above)" in result.stderr


def test_an_ids_only_table_fails_and_points_to_map(tmp_path):
    path = tmp_path / "survey.csv"
    survey()[["respondent_id", "cop_id"]].assign(Q1=["a", "b", "c"]).to_csv(path, index=False)
    result = run(path)
    assert result.exit_code == 1
    assert "no column besides the ids was recognised" in result.stderr
    assert "copfactors map" in result.stderr


def test_require_names_what_is_missing(tmp_path, example_survey):
    path = tmp_path / "survey.csv"
    example_survey.drop(columns=[c for c in example_survey if c.startswith("att_")]).to_csv(
        path, index=False
    )
    ok = run(path, "--require", "gender")
    assert ok.exit_code == 0, ok.output
    result = run(path, "--require", "gender", "--require", "model")
    assert result.exit_code == 1
    assert "model" in result.stderr and "gender" not in result.stderr.split("model")[0][-40:]


def test_problems_are_grouped_by_column_with_file_lines(tmp_path):
    path = tmp_path / "survey.csv"
    frame = pd.concat([survey()] * 3, ignore_index=True)
    frame["respondent_id"] = [str(i) for i in range(len(frame))]
    frame.loc[[1, 4, 5, 7, 8], "imp_learning"] = 9
    frame.loc[2, "gender"] = "x"
    frame.to_csv(path, index=False)
    result = run(path, "--problems-out", tmp_path / "problems.csv")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "survey.csv: 6 problems in 2 columns (lines as numbered in the file, the header counted):"
    )
    assert lines[1] == "  gender: not an allowed value; expected one of woman, man"
    assert lines[2] == "    line 4: 'x'"
    assert lines[3] == "  imp_learning, 5 values: out of range; expected an integer from 1 to 5"
    # data rows 2, 5, 6 are lines 3, 6, 7: the header is line 1
    assert lines[4] == "    line 3: '9', line 6: '9', line 7: '9', and 2 more"
    full = pd.read_csv(tmp_path / "problems.csv")
    assert len(full) == 6 and full["line"].tolist() == [4, 3, 6, 7, 9, 10]
    again = run(path, "--problems-out", tmp_path / "problems.csv")
    assert again.exit_code == 1 and "exists" in again.stderr


def test_missing_file(tmp_path):
    result = run(tmp_path / "nope.csv")
    assert result.exit_code == 1
    assert "error:" in result.stderr and "nope.csv: no such file" in result.stderr


def test_wrong_extension(tmp_path):
    path = tmp_path / "survey.txt"
    survey().to_csv(path, index=False)
    result = run(path)
    assert result.exit_code == 1
    assert "survey.txt: unsupported file extension '.txt'" in result.stderr


def test_empty_file(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_bytes(b"")
    result = run(path)
    assert result.exit_code == 1
    assert "the file is empty (0 bytes)" in result.stderr


def test_header_only_file(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("respondent_id,cop_id\n")
    result = run(path)
    assert result.exit_code == 1
    assert "no data rows" in result.stdout


def test_bad_input_is_one_line_without_traceback(tmp_path):
    path = tmp_path / "survey.txt"
    survey().to_csv(path, index=False)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "unsupported file extension '.txt'" in lines[0]


# ---------------------------------------------------------------------------------------------
# raw survey-tool exports: map, then validate and report with --mapping, no hand edits
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    from make_exports import write_all

    return write_all(tmp_path_factory.mktemp("exports"))  # SIMULATED answers


@pytest.mark.parametrize("tool", ["limesurvey", "qualtrics", "surveymonkey", "google_forms"])
def test_a_raw_export_goes_through_map_and_validate(exports, tool, tmp_path):
    export = exports[tool]
    raw = run(export.path)
    assert raw.exit_code == 1  # unmapped: the ids are missing or the headers unknown
    mapping = tmp_path / "mapping.yaml"
    mapped = runner.invoke(app, ["map", str(export.path), "--out", str(mapping)])
    assert mapped.exit_code == 0, mapped.output
    assert f"wrote {mapping}" in mapped.stdout
    result = run(export.path, "--mapping", mapping, "--require", "model")
    assert result.exit_code == 0, result.output
    assert "What the survey supports" in result.stdout
    again = runner.invoke(app, ["map", str(export.path), "--out", str(mapping)])
    assert again.exit_code == 1 and "exists" in again.stderr  # the user's edits are kept


def test_a_raw_export_gets_a_report(exports, tmp_path):
    export = exports["limesurvey"]
    mapping = tmp_path / "mapping.yaml"
    assert runner.invoke(app, ["map", str(export.path), "--out", str(mapping)]).exit_code == 0
    out = tmp_path / "report"
    result = runner.invoke(
        app, ["report", str(export.path), "--mapping", str(mapping), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()


def test_hints_name_the_flag_and_only_for_file_types_that_have_it(tmp_path):
    csv = tmp_path / "h.csv"
    csv.write_text('respondent_id,cop_id,hours_per_week\nr1,A,"1,5"\nr2,A,2\n', encoding="utf-8")
    result = run(csv)
    assert result.exit_code == 1
    assert '(--decimal "," reads decimal commas)' in result.stdout
    assert "read_survey(" not in result.stdout
    xlsx = tmp_path / "h.xlsx"
    pd.DataFrame(
        {"respondent_id": ["r1", "r2"], "cop_id": ["A", "A"], "hours_per_week": ["1,5", "2"]}
    ).to_excel(xlsx, index=False)
    result = run(xlsx)
    assert result.exit_code == 1
    assert "decimal" in result.stdout and "--decimal" not in result.stdout  # no such option
    assert "(sheet rows as numbered in the file, the header counted)" in result.stdout
    assert "sheet row 2: '1,5'" in result.stdout


def test_report_with_an_extra_column_names_it(tmp_path, example_survey):
    import numpy as np

    data = example_survey.copy()
    data["my_var"] = np.random.default_rng(0).normal(size=len(data))
    path = tmp_path / "survey.csv"
    data.to_csv(path, index=False)
    out = tmp_path / "report"
    result = runner.invoke(app, ["report", str(path), "--extra", "my_var", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "my_var" in (out / "report.html").read_text(encoding="utf-8")


def test_report_with_a_formula_names_it(tmp_path, example_survey):
    import html

    import numpy as np

    data = example_survey.copy()
    data["my_var"] = np.random.default_rng(0).normal(size=len(data))
    path = tmp_path / "survey.csv"
    data.to_csv(path, index=False)
    out = tmp_path / "report"
    formula = "commitment * voluntary + np.log1p(hours_per_week) + my_var"
    args = ["report", str(path), "--extra", "my_var", "--formula", formula, "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    page = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    assert formula in page and "commitment:voluntary" in page


def test_version():
    import copfactors

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"copfactors {copfactors.__version__}"
