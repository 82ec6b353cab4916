"""copfactors.demo and the ``copfactors demo`` / ``copfactors report`` commands."""

from __future__ import annotations

import pandas as pd
import pytest
from docx import Document
from typer.testing import CliRunner

from copfactors import htmlreport, pipeline
from copfactors.cli import app
from copfactors.datasets import calibration_report, load_example_survey
from copfactors.demo import COMPARISON_FILE, comparison_table, describe_survey
from report_helpers import example_bundle, example_result


@pytest.fixture
def shared_analysis(monkeypatch):
    """The commands run on the shared analysis of the example survey, rendered once.

    The fake records how the command called the pipeline and drives its progress callback.
    """
    calls = []
    result = example_result()
    bundle = example_bundle()

    def fake_run_analysis(survey, **kwargs):
        calls.append({"survey": survey, **kwargs})
        kwargs["progress"]("Fitting", 1, 2)
        return result

    monkeypatch.setattr(pipeline, "run_analysis", fake_run_analysis)
    monkeypatch.setattr(htmlreport, "build", lambda _result: bundle)
    return calls


def test_cli_demo_writes_the_report_and_summarises(tmp_path, shared_analysis):
    out = tmp_path / "nested" / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    call = shared_analysis[0]
    assert call["simulated"] is True and call["survey"].attrs["simulated"]
    stdout = result.stdout
    assert "SIMULATED" in stdout
    assert "88 of 90 cells match" in stdout
    # which model, why, its random intercept, and what the 7 CoPs cannot tell apart
    assert (
        "Ordinal model (attainment 1-5): cumulative logit model with a random intercept per CoP"
        in stdout
    )
    assert "n = 95" in stdout and "Why: The 95 respondents are nested in 7 CoPs" in stdout
    model = example_result().ordinal_inference
    assert f"between-CoP SD (sigma) {model.sigma_:.2f}" in stdout
    assert f"ICC {model.icc_:.2f}" in stdout
    assert "rank 6 for 19 parameters" in stdout and "not used" in stdout
    assert "sponsor_professional_association has the same pattern" in stdout
    assert "Binary model (attained)" in stdout
    # the top drivers' odds ratios come from the mixed model, never from the rank-deficient
    # cluster-robust covariance
    from copfactors.models import OrdinalRegression

    res = example_result()
    groups = res.groups.astype(str).to_numpy()
    clustered = OrdinalRegression(cov_type="cluster").fit(res.X, res.y, groups=groups)

    def or_text(m, name):
        row = m.summary().set_index("term").loc[name]
        return f"{row['odds_ratio']:.2f} [{row['or_ci_low']:.2f}, {row['or_ci_high']:.2f}]"

    for name in res.drivers.table["driver"].head(5):
        assert or_text(model, name) in stdout, name
        assert or_text(clustered, name) not in stdout, name
    assert "Commitment (scale 1-5)" in stdout  # top drivers, in words
    # their relative importance: importance_pct, the percentage of McFadden's R2 (as in the
    # report's drivers.csv and figure), under a header that says so
    assert "% of R²" in stdout and "percentage of McFadden's R²" in " ".join(stdout.split())
    for r in res.drivers.table.head(5).itertuples(index=False):
        row = next(line for line in stdout.splitlines() if or_text(model, r.driver) in line)
        assert row.rstrip().endswith(f" {r.importance_pct:.0f}%"), row
    for cid in ("C1", "C13"):
        assert cid in stdout
    assert "Heart-health website" in stdout and "Designated employees, no steward" in stdout
    # the summary ends with the report's path
    last = stdout.strip().splitlines()[-1]
    assert last == f"Report: {(out / 'report.html').resolve()}"
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    # and every table of the report (one .tex each) in one Word document beside it
    assert len(Document(out / "tables.docx").tables) == len(list(out.glob("*.tex"))) >= 10
    written = pd.read_csv(out / COMPARISON_FILE, keep_default_na=False, na_values=[""])
    report = calibration_report(load_example_survey())
    assert list(written.columns) == list(report.columns)
    assert written["match"].astype(bool).tolist() == report["match"].tolist()


def test_cli_demo_default_folder(tmp_path, monkeypatch, shared_analysis):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "copfactors-demo" / "report.html").is_file()


def test_cli_report_on_a_survey_file(tmp_path, shared_analysis):
    survey = tmp_path / "my-survey.csv"
    data = load_example_survey()
    data.to_csv(survey, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["report", str(survey), "--out", str(out)])
    assert result.exit_code == 0, result.output
    call = shared_analysis[0]
    assert call["source_label"] == "my-survey.csv"
    assert call["simulated"] is False  # a file says nothing about being simulated
    assert len(call["survey"]) == len(data)
    assert result.stdout.strip().splitlines()[-1].endswith("report.html")
    assert (out / "report.html").is_file()


def test_cli_report_errors_without_traceback(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(app, ["report", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 1
    assert missing.output.startswith("error: ") and "Traceback" not in missing.output
    bad = tmp_path / "bad.csv"
    bad.write_text("respondent_id,cop_id,commitment_1\nr1,A,9\n", encoding="utf-8")
    invalid = runner.invoke(app, ["report", str(bad)])
    assert invalid.exit_code == 1
    assert "error: " in invalid.output and "commitment_1" in invalid.output
    assert "Traceback" not in invalid.output


def test_cli_demo_refuses_a_file_as_folder(tmp_path, shared_analysis):
    target = tmp_path / "taken"
    target.write_text("x", encoding="utf-8")
    result = CliRunner().invoke(app, ["demo", "--out", str(target)])
    assert result.exit_code == 1
    assert "error: " in result.output and "not a folder" in result.output


def test_comparison_table():
    assert comparison_table(load_example_survey()).shape == (90, 15)


def test_describe_survey():
    survey = load_example_survey()
    desc = describe_survey(survey)
    assert desc["t1"].sum() == len(survey)
    assert desc["t2"].sum() == int(survey["responded_t2"].sum())
    assert (desc["women"] + desc["men"] + desc["gender_missing"] == desc["t1"]).all()
    best = desc.loc[desc["mean_attainment"].idxmax()]
    assert best["sponsor"] == "professional_association"
    assert best["voluntary"] == 1.0 and best["men"] == 0
