"""copfactors.demo and the ``copfactors demo`` command (on SIMULATED data)."""

from __future__ import annotations

import time

import pandas as pd
import pytest
from typer.testing import CliRunner

from copfactors.cli import app
from copfactors.datasets import calibration_report, load_example_survey
from copfactors.demo import COMPARISON_FILE, describe_survey, run_demo


@pytest.fixture(scope="module")
def report() -> pd.DataFrame:
    return calibration_report(load_example_survey())


def test_cli_demo_says_simulated_and_shows_the_table(report):
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "SIMULATED" in result.output
    n_match = int(report["match"].sum())
    assert f"{n_match} of {len(report)} cells match" in result.output
    for objective in report["objective"].unique():
        assert objective in result.output
    # the published figures of a cell appear as printed
    first = report.iloc[0]
    assert f"{first.mean_table:.2f} ({first.sd_table:.2f}) {first.n_table}" in result.output
    for r in report[~report["reproducible"]].itertuples(index=False):
        assert f"{r.objective} / {r.measure} / {r.group}" in result.output


def test_cli_demo_writes_the_comparison(tmp_path, report):
    out = tmp_path / "nested" / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out / COMPARISON_FILE, keep_default_na=False, na_values=[""])
    assert list(written.columns) == list(report.columns)
    assert len(written) == 90
    assert written["match"].astype(bool).tolist() == report["match"].tolist()
    assert written["n_survey"].tolist() == report["n_survey"].tolist()
    assert not list(out.glob("*.tmp"))


def test_run_demo_is_fast(capsys):
    start = time.perf_counter()
    run_demo()
    elapsed = time.perf_counter() - start
    assert "SIMULATED" in capsys.readouterr().out
    assert elapsed < 5


def test_describe_survey():
    survey = load_example_survey()
    desc = describe_survey(survey)
    assert desc["t1"].sum() == len(survey)
    assert desc["t2"].sum() == int(survey["responded_t2"].sum())
    assert (desc["women"] + desc["men"] + desc["gender_missing"] == desc["t1"]).all()
    best = desc.loc[desc["mean_attainment"].idxmax()]
    assert best["sponsor"] == "professional_association"
    assert best["voluntary"] == 1.0 and best["men"] == 0
