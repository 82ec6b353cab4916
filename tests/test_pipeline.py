"""copfactors.pipeline: one analysis of a survey, and its report written whole or not at all."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from copfactors import htmlreport, pipeline
from copfactors.datasets import load_example_survey
from copfactors.errors import CopFactorsError, SchemaError
from copfactors.pipeline import (
    STEPS,
    describe_survey,
    example_plan_files,
    run_analysis,
    write_report,
)
from report_helpers import example_bundle, example_result


@pytest.fixture(scope="module")
def result():
    return example_result()


def test_every_section_is_produced(result):
    assert result.skipped == {}
    assert result.simulated
    assert result.overview["Respondents"] == 180 and result.overview["CoPs"] == 7
    assert result.overview["Answered at T2"] == 103


def test_table1_replication_and_audit(result):
    assert len(result.table1) == 30
    assert len(result.published_table1) == 90
    # the audit of the published table: the same 4 failed checks the replication page lists
    assert int((~result.audit["passed"]).sum()) == 4
    # the simulated survey against Table 1: every cell except the 2 no integers can produce
    assert len(result.calibration) == 90
    assert int(result.calibration["match"].sum()) == 88


def test_gender_comparison(result):
    assert result.comparison.groups == ("man", "woman")
    assert set(result.comparison.table["group"]) == {"man", "woman", "total"}


def test_models_are_cluster_robust_on_the_same_respondents(result):
    ordinal, binary = result.ordinal_model, result.binary_model
    assert ordinal.summary().attrs["cov_type"] == "cluster"
    assert ordinal.n_clusters_ == 7 and binary.n_clusters_ == 7
    assert ordinal.nobs_ == binary.nobs_ == len(result.X) == 95
    assert list(ordinal.classes_) == [2, 3, 4, 5]
    assert len(binary.classes_) == 2
    # the outcomes are those of copfactors.attainment, on the models' rows
    assert result.y.between(1, 5).all()
    # attained (mean >= 4) implies a rounded level of at least 4, and level 5 is attained
    assert (result.y[result.y_binary] >= 4).all()
    assert result.y_binary[result.y == 5].all()
    # the inseparable sponsor group is left out whole, and said so
    assert "sponsor_professional_association" in result.dropped_features
    assert not any(c.startswith("sponsor_") for c in result.X.columns)
    assert any("sponsor" in n for n in result.notes["ordinal"])


def test_drivers_and_shap_describe_the_ordinal_model(result):
    table = result.drivers.table
    assert sorted(table["driver"]) == sorted(result.X.columns)
    coef = result.ordinal_model.coef_
    np.testing.assert_allclose(table.set_index("driver")["coef"].loc[coef.index], coef.values)
    shap_values = result.shap_values
    assert shap_values.values.shape == result.X.shape
    # latent-scale SHAP values add up to the linear predictor
    total = shap_values.values.sum(axis=1) + np.asarray(shap_values.base_values)
    np.testing.assert_allclose(total, result.ordinal_model.predict_linear(result.X), atol=1e-8)
    assert table["importance_share"].notna().all()


def test_claims(result):
    assert result.claims.table["id"].tolist() == [f"C{i}" for i in range(1, 14)]
    assert result.claims.simulated


def test_plans_are_scored_with_the_survey_model(result):
    assert [p.file for p in result.plans] == [p.name for p in example_plan_files()]
    by_name = {p.name: p for p in result.plans}
    heart = by_name["Heart-health website"].result
    designated = by_name["Designated employees, no steward"].result
    assert heart.probability > designated.probability
    for ps in result.plans:
        assert 0 <= ps.result.probability_low <= ps.result.probability <= ps.result.probability_high
        assert list(ps.levers.columns[:2]) == ["lever", "description"]
        assert ps.levers["delta"].is_monotonic_decreasing
    assert "SIMULATED" in heart.model_note


def test_example_plans_shipped_are_the_documented_ones():
    from pathlib import Path

    docs = Path(__file__).resolve().parents[1] / "docs" / "examples"
    shipped = {p.name: p.read_text(encoding="utf-8") for p in example_plan_files()}
    documented = {p.name: p.read_text(encoding="utf-8") for p in sorted(docs.glob("*.yaml"))}
    assert shipped == documented and len(shipped) == 2


def test_steps_and_progress():
    calls = []
    res = run_analysis(
        load_example_survey(),
        source_label="example",
        simulated=True,
        steps=["gender"],
        progress=lambda text, done, total: calls.append((text, done, total)),
    )
    assert [c[1] for c in calls] == [0, 1, 2]
    assert all(c[2] == 2 for c in calls) and calls[-1][0] == "Done"
    assert res.comparison is not None and res.ordinal_model is None
    assert set(res.skipped) == set(STEPS) - {"data", "gender"} | {"ordinal", "binary"}
    with pytest.raises(CopFactorsError, match="unknown step"):
        run_analysis(load_example_survey(), source_label="x", simulated=True, steps=["nope"])


def test_a_survey_without_attainment_is_reported_with_reasons():
    survey = load_example_survey()
    survey = survey.drop(columns=[c for c in survey.columns if c.startswith("att_")])
    survey.attrs = {}
    res = run_analysis(
        survey,
        source_label="no-attainment.csv",
        simulated=False,
        steps=["table1", "gender", "models", "drivers"],
    )
    assert not res.simulated
    assert "att_" in res.skipped["ordinal"] and res.ordinal_model is None
    assert "ordinal model" in res.skipped["drivers"]  # follows from the missing model
    # the gender comparison is made on the importance answers alone
    assert set(res.comparison.table["measure"]) == {"importance"}
    assert "gender" not in res.skipped
    assert res.table1 is not None  # importance columns: Table 1 is still recomputed


def test_a_survey_without_objectives_leaves_table1_out():
    survey = load_example_survey()[["respondent_id", "cop_id", "gender", "hours_per_week"]]
    survey.attrs = {}
    res = run_analysis(survey, source_label="small.csv", simulated=False, steps=["table1"])
    assert res.table1 is None and "table1" in res.skipped


def test_an_invalid_survey_is_refused():
    bad = pd.DataFrame({"respondent_id": ["a", "a"], "cop_id": ["x", "y"], "commitment_1": [9, 1]})
    with pytest.raises(SchemaError, match="commitment_1"):
        run_analysis(bad, source_label="bad.csv", simulated=False)
    with pytest.raises(CopFactorsError, match="DataFrame"):
        run_analysis([1, 2], source_label="x", simulated=False)


def test_describe_survey_without_optional_columns():
    survey = load_example_survey()[["respondent_id", "cop_id"]]
    d = describe_survey(survey)
    assert d["t1"].sum() == 180 and (d["sponsor"] == "").all()


# -- writing ---------------------------------------------------------------------------------


@pytest.fixture
def cached_build(monkeypatch):
    """The report of the shared analysis, rendered once (rendering is tested elsewhere)."""
    bundle = example_bundle()
    monkeypatch.setattr(htmlreport, "build", lambda _result: bundle)
    return bundle


def test_write_report_writes_every_file(tmp_path, result, cached_build):
    out = tmp_path / "nested" / "report"
    path = write_report(result, out)
    assert path == out / "report.html"
    bundle = cached_build
    names = {p.name for p in out.iterdir()}
    assert names == set(bundle.files())
    for name in bundle.figures:
        data = (out / f"{name}.png").read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 20_000
    for name, table in bundle.tables.items():
        csv = pd.read_csv(out / f"{name}.csv")
        assert len(csv) == len(table.frame)
        assert "\\begin{tabular}" in (out / f"{name}.tex").read_text(encoding="utf-8")
    # nothing is left beside the report
    assert [p.name for p in out.parent.iterdir()] == ["report"]


def test_write_report_keeps_other_files_and_replaces_its_own(tmp_path, result, cached_build):
    out = tmp_path / "report"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "report.html").write_text("old", encoding="utf-8")
    write_report(result, out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


class _Broken:
    def files(self):
        return {"drivers.csv": "driver\n", "figure.png": object(), "report.html": "<html>"}


def test_a_failure_writes_nothing(tmp_path, monkeypatch, result):
    monkeypatch.setattr(htmlreport, "build", lambda _result: _Broken())
    out = tmp_path / "report"
    with pytest.raises(TypeError):
        write_report(result, out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    # an existing report is left as it was
    out.mkdir()
    (out / "report.html").write_text("old", encoding="utf-8")
    with pytest.raises(TypeError):
        write_report(result, out)
    assert (out / "report.html").read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    assert [p.name for p in out.iterdir()] == ["report.html"]


def test_write_report_refuses_a_file_as_folder(tmp_path, result):
    target = tmp_path / "report"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(CopFactorsError, match="not a folder"):
        write_report(result, target)


def test_pipeline_module_is_light():
    # importing the pipeline does not import matplotlib or shap: the report does, when drawn
    import subprocess
    import sys

    code = (
        "import sys, copfactors.pipeline, copfactors.htmlreport, copfactors.demo; "
        "print(','.join(m for m in ('shap', 'matplotlib', 'statsmodels') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    assert pipeline.REPORT_FILE == "report.html"
