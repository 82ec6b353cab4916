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
def test_valid_file_exits_zero_with_summary(tmp_path, suffix):
    path = tmp_path / f"survey{suffix}"
    frame = survey()
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path)
    result = run(path)
    assert result.exit_code == 0
    assert result.stdout.strip() == (
        f"survey{suffix}: 3 respondents, 2 CoPs, T1 3 / T2 2, 6 columns recognised, 0 unknown"
    )


def test_problems_exit_non_zero_with_table(tmp_path):
    path = tmp_path / "survey.csv"
    survey().assign(gender=["woman", "x", "man"], imp_learning=[5, 4, 9]).to_csv(path, index=False)
    result = run(path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "survey.csv: 2 problems"
    assert lines[1].split() == ["column", "row", "value", "problem"]
    assert lines[2].split()[:3] == ["gender", "2", "'x'"]
    assert lines[3].split()[:3] == ["imp_learning", "3", "'9'"]


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
