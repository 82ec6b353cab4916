"""copfactors.pipeline: one analysis of a survey, and its report written whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import copfactors
from copfactors import htmlreport, pipeline
from copfactors.datasets import load_example_survey
from copfactors.errors import CopFactorsError, OutputExistsError, SchemaError
from copfactors.models import MixedOrdinalRegression
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


def test_models_on_the_same_respondents(result):
    ordinal, binary = result.ordinal_model, result.binary_model
    # the models without random intercept (driver table, SHAP, plans): over 7 CoPs their
    # cluster-robust covariance has rank 6, so it is not used
    assert ordinal.cov_type == "robust" and binary.cov_type == "robust"
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
    # the inference shown: a random intercept per CoP on the same respondents and drivers
    mixed = result.ordinal_inference
    assert isinstance(mixed, MixedOrdinalRegression) and mixed.converged_
    assert mixed.n_groups_ == 7 and mixed.nobs_ == 95
    assert list(mixed.coef_.index) == list(result.X.columns)
    assert result.inference_model("ordinal") is mixed


def test_the_example_says_which_model_and_why(result):
    choice = result.model_choice["ordinal"]
    assert choice.mixed and choice.covariance == "model-based" and choice.n_cops == 7
    # the rank-deficient cluster-robust covariance is named and set aside
    assert choice.cluster_rank == 6 and choice.n_params == 19 and choice.cluster_rank_deficient
    text = " ".join(choice.lines())
    assert "random intercept per CoP" in text and "nested in 7 CoPs" in text
    assert "rank 6 for 19 parameters" in text and "not used" in text
    assert "Few CoPs (7, fewer than 10)" in text and "imprecisely" in text
    assert "at most 6 degrees of freedom" in text
    # the binary model's random-intercept SD goes to its boundary on this survey: said so
    binary = result.model_choice["binary"]
    assert binary.mixed and binary.sigma_at_zero
    assert result.binary_inference.cov_type == "nonrobust"
    assert "estimated at 0" in binary.reason
    # the driver table says its intervals are not the model's inference
    assert any("robust (HC0" in n and "rank 6" in n for n in result.notes["drivers"])


def test_the_example_flags_its_confounded_cop_level_drivers(result):
    check = result.cop_level
    assert check.n_cops == 7 and check.df_between == 3
    assert set(check.in_model) == {"steward_designated", "steward_dedicated", "leader_changes"}
    table = check.table.set_index("driver")
    # the professional-association sponsor is the dedicated-steward CoP (cop_1)
    assert table.loc["sponsor_professional_association", "combination_of"] == ("steward_dedicated",)
    assert table.loc["steward_dedicated", "singles_out"] == "cop_1"
    assert table.loc["steward_dedicated", "role"] == "cop"
    assert {"sponsor_professional_association", "steward_dedicated"} <= set(check.confounded)
    lines = " ".join(check.lines())
    assert (
        "sponsor_professional_association has the same pattern over the 7 CoPs as "
        "steward_dedicated" in lines
    )
    assert "steward_dedicated singles out one CoP (cop_1)" in lines


def _or_text(model, name):
    row = model.summary().set_index("term").loc[name]
    return f"{row['odds_ratio']:.2f} [{row['or_ci_low']:.2f}, {row['or_ci_high']:.2f}]"


def test_the_rank_deficient_cluster_covariance_is_not_the_headline(result):
    from copfactors.models import OrdinalRegression

    groups = result.groups.astype(str).to_numpy()
    clustered = OrdinalRegression(cov_type="cluster").fit(result.X, result.y, groups=groups)
    assert np.linalg.matrix_rank(clustered.cov_.to_numpy()) == 6  # of 19 parameters
    headline = result.inference_model("ordinal")
    shown = example_bundle().html
    for name in ("voluntary", "commitment", "leader_changes"):
        assert _or_text(headline, name) != _or_text(clustered, name)
        # neither the cluster-robust interval nor its standard error is in the report
        low, high = (
            f"{v:.3f}"
            for v in clustered.summary().set_index("term").loc[name, ["or_ci_low", "or_ci_high"]]
        )
        # (as a pair: one bound alone can match another cell's number by chance)
        assert not (f">{low}<" in shown and f">{high}<" in shown)
        # while the mixed model's are
        mixed = headline.summary().set_index("term").loc[name]
        assert f">{mixed['or_ci_low']:.3f}<" in shown and f">{mixed['or_ci_high']:.3f}<" in shown
    model_table = example_bundle().tables["ordinal_model"].frame
    assert "sigma" in model_table["term"].tolist()
    np.testing.assert_allclose(
        model_table.set_index("term").loc["voluntary", "se"], headline.se_["voluntary"]
    )


def test_many_cops_use_the_mixed_model():
    survey = copfactors.make_survey(
        seed=5, mode="parametric", n_respondents=400, n_cops=30, cop_sd=0.8
    )
    res = run_analysis(survey, source_label="30 CoPs", simulated=True, steps=["models"])
    choice = res.model_choice["ordinal"]
    assert choice.mixed and not choice.sigma_at_zero and choice.n_cops == 30
    assert isinstance(res.ordinal_inference, MixedOrdinalRegression)
    assert res.ordinal_inference.n_groups_ == 30
    text = " ".join(choice.lines())
    assert "30 CoPs (at least 10)" in text and "Few CoPs" not in text
    # of full rank over 30 CoPs, the cluster-robust covariance stays on the model without
    # random intercept, but the inference shown is the mixed model's
    assert not choice.cluster_rank_deficient and res.ordinal_model.cov_type == "cluster"
    assert res.cop_level.df_between == 30 - res.cop_level.rank > 20


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
    # relative importance: dominance weights summing to McFadden's R2, and as % of it
    r2 = result.drivers.info["r2_mcfadden_refit"]
    np.testing.assert_allclose(table["importance_r2"].sum(), r2, rtol=1e-10)
    np.testing.assert_allclose(r2, result.ordinal_model.r2_mcfadden_, rtol=1e-6)
    np.testing.assert_allclose(table["importance_pct"].sum(), 100.0, rtol=1e-10)
    # the one section not read from the model shown says why, in one line
    why = [n for n in result.notes["drivers"] if "model without random intercept" in n]
    assert len(why) == 1 and "relative-importance refits need" in why[0]


def test_claims(result):
    assert result.claims.table["id"].tolist() == [f"C{i}" for i in range(1, 14)]
    assert result.claims.simulated


def _assert_claims_read_the_report_model(res):
    """The claims' model is the report's ordinal model: same fit, drivers and respondents."""
    model, claims = res.ordinal_inference, res.claims
    assert claims.model is model
    n, p = len(res.X), res.X.shape[1]
    assert list(claims.model.coef_.index) == list(res.X.columns)
    assert int(claims.model.nobs_) == n
    assert f"on {p} drivers, n = {n}," in claims.model_description
    # the claims' estimates are the coefficients the Ordinal model section shows
    est = claims.table.set_index("id")["estimate"]
    for cid, name in (("C1", "commitment"), ("C3", "voluntary"), ("C9", "age_50_plus")):
        np.testing.assert_allclose(est[cid], model.coef_[name], rtol=1e-10)
    said = "The driver claims read the model of the Ordinal model section (the same fit"
    assert any(said in n for n in claims.notes)


def test_the_claims_read_the_model_of_the_report(result):
    _assert_claims_read_the_report_model(result)
    # on the example survey, the claims fitted on their own find the same model (two fits by
    # the same optimiser on the same respondents and drivers)
    from copfactors.claims import compare_with_paper

    own = compare_with_paper(result.survey, claims=["C1"])
    assert list(own.model.coef_.index) == list(result.ordinal_inference.coef_.index)
    np.testing.assert_allclose(
        own.model.coef_.to_numpy(), result.ordinal_inference.coef_.to_numpy(), rtol=1e-6
    )


def _level_only_without_attainment(s):
    # "under_35" only among respondents without an attainment answer
    answered = copfactors.attainment(s).notna()
    s.loc[answered & (s["age_band"] == "under_35"), "age_band"] = "35_49"
    return s


def _missing_driver_values(s):
    answered = s.index[copfactors.attainment(s).notna()]
    s.loc[answered[:9], "hours_per_week"] = np.nan
    s.loc[answered[20:24], "commitment_2"] = np.nan
    return s


@pytest.mark.parametrize("change", [_level_only_without_attainment, _missing_driver_values])
def test_the_claims_read_the_report_model_where_a_model_of_their_own_would_differ(change):
    from copfactors.claims import compare_with_paper

    survey = change(load_example_survey())  # SIMULATED
    res = run_analysis(
        survey, source_label="changed", simulated=True, steps=("models", "claims", "plans")
    )
    assert "ordinal" not in res.skipped and "claims" not in res.skipped
    _assert_claims_read_the_report_model(res)
    assert res.attainment_model.regression is res.ordinal_inference
    own = compare_with_paper(res.survey, claims=["C9"])
    if change is _level_only_without_attainment:
        # a model of the claims' own builds age_under_35 from every respondent: all zero among
        # those with an attainment answer, it takes the age group out, and C9 with it
        assert len(own.model.coef_) == res.X.shape[1] - 1
        assert own.table.loc[0, "verdict"] == "not testable"
        assert res.claims.table.set_index("id").loc["C9", "verdict"] != "not testable"
    else:
        assert len(res.X) < 95  # respondents missing a driver value are left out
        assert res.X["hours_per_week"].notna().all()
    # not the example survey: the plans say they were not scored with the reference model
    assert any("not copfactors' reference model" in n for n in res.notes["plans"])


def test_plans_are_scored_with_the_survey_model(result):
    assert [p.file for p in result.plans] == [p.name for p in example_plan_files()]
    by_name = {p.name: p for p in result.plans}
    heart = by_name["Heart-health website"].result
    designated = by_name["Designated employees, no steward"].result
    assert heart.probability > designated.probability
    for ps in result.plans:
        assert 0 <= ps.result.probability_low <= ps.result.probability <= ps.result.probability_high
        assert list(ps.levers.columns[:2]) == ["lever", "description"]
        assert ps.levers["change_pp"].is_monotonic_decreasing
    assert "SIMULATED" in heart.model_note
    # a plan is a new CoP: scored with the random-intercept model, the very inference shown
    scoring = result.attainment_model
    assert scoring.random_intercept and "random-intercept" in heart.model_note
    assert scoring.regression is result.ordinal_inference
    assert scoring.feature_names == list(result.X.columns)
    assert scoring.training["n"] == len(result.X) and scoring.training["random_intercept"]


def test_with_a_formula_the_claims_fit_their_own_model_and_say_why():
    res = run_analysis(
        load_example_survey(),  # SIMULATED
        source_label="formula",
        simulated=True,
        steps=("models", "claims"),
        formula="commitment * voluntary + steward_active",
    )
    assert "commitment:voluntary" in res.X.columns
    # the claims are about the paper's drivers' main effects, not the formula's design
    assert res.claims.model is not res.ordinal_inference
    assert "commitment:voluntary" not in res.claims.model.coef_.index
    (line,) = res.notes["claims"]
    assert line.startswith("The driver claims read their own attainment model on the paper's")
    assert "not the formula's model" in line


def _score_cli(plan, *options):
    import json

    from typer.testing import CliRunner

    from copfactors.cli import app

    out = CliRunner().invoke(app, ["score", str(plan), *options, "--format", "json"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.stdout)["probability"]
    return [got["estimate"], got["low"], got["high"]]


def test_the_report_plan_scores_are_what_copfactors_score_gives(result, tmp_path):
    from copfactors.persist import load_model, save_model

    path = save_model(result.attainment_model, tmp_path / "report-model.json")
    assert load_model(path).random_intercept
    files = {p.name: p for p in example_plan_files()}
    for ps in result.plans:
        shown = [ps.result.probability, ps.result.probability_low, ps.result.probability_high]
        # the report's model, saved and read back, scores the plan as the report did
        got = _score_cli(files[ps.file], "--model", str(path), "--seed", "0")
        np.testing.assert_allclose(got, shown, rtol=1e-9)
        # the example survey's model is the same fit as the reference model that
        # `copfactors score` uses without --model, and the report says so
        np.testing.assert_allclose(_score_cli(files[ps.file]), shown, rtol=1e-9)
    assert (
        "Scored with the model of the Ordinal model section, which is the same fit as "
        "copfactors' reference model: `copfactors score <plan>` gives these numbers."
    ) in result.notes["plans"]


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
    # and the tables in one Word document, and the marker of the files copfactors wrote
    assert names == {*bundle.files(), "tables.docx", pipeline.MARKER_FILE}
    assert sorted(pipeline.read_report_marker(out)) == sorted(names - {pipeline.MARKER_FILE})
    marker = json.loads((out / pipeline.MARKER_FILE).read_text(encoding="utf-8"))
    assert marker["version"] == copfactors.__version__
    # the effect display and the Likert bars, with their numbers as CSV
    assert {"ordinal_effects.png", "ordinal_effects.csv"} <= names
    assert {"gender_importance_likert.png", "gender_importance_likert.csv"} <= names
    for name in bundle.figures:
        data = (out / f"{name}.png").read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 20_000
    for name, table in bundle.tables.items():
        csv = pd.read_csv(out / f"{name}.csv")
        assert len(csv) == len(table.frame)
        assert "\\begin{tabular}" in (out / f"{name}.tex").read_text(encoding="utf-8")
    # nothing is left beside the report
    assert [p.name for p in out.parent.iterdir()] == ["report"]


def _user_folder(tmp_path):
    """A folder of the user's own, with files named as the report's."""
    out = tmp_path / "report"
    out.mkdir()
    mine = {"notes.txt": "mine", "report.html": "my page", "plans.csv": "my,plans\n"}
    for name, text in mine.items():
        (out / name).write_text(text, encoding="utf-8")
    return out, mine


def test_write_report_refuses_a_folder_it_did_not_write(tmp_path, result, cached_build):
    out, mine = _user_folder(tmp_path)
    with pytest.raises(OutputExistsError, match="not empty .*--overwrite"):
        write_report(result, out)
    # nothing was touched, nothing was added
    assert {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()} == mine


def test_write_report_overwrite_replaces_only_its_own_files(tmp_path, result, cached_build):
    out, _ = _user_folder(tmp_path)
    write_report(result, out, overwrite=True)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert (out / "plans.csv").read_text(encoding="utf-8") != "my,plans\n"
    assert "notes.txt" not in pipeline.read_report_marker(out)
    # the folder is now a report's: it is written again without overwrite, the user's file kept
    write_report(result, out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not [p for p in out.iterdir() if p.name.startswith(".copfactors-tmp")]


def test_an_empty_existing_folder_is_fine(tmp_path, result, cached_build):
    out = tmp_path / "report"
    out.mkdir()
    assert write_report(result, out) == out / "report.html"


def test_a_report_folder_is_refreshed_and_its_stale_files_removed(tmp_path, result, cached_build):
    out = tmp_path / "report"
    write_report(result, out)
    # a file of the earlier report that this one does not write, and one of the user's
    marker = json.loads((out / pipeline.MARKER_FILE).read_text(encoding="utf-8"))
    marker["files"].append("old_table.csv")
    (out / pipeline.MARKER_FILE).write_text(json.dumps(marker), encoding="utf-8")
    (out / "old_table.csv").write_text("stale", encoding="utf-8")
    (out / "mine.csv").write_text("mine", encoding="utf-8")
    write_report(result, out)
    assert not (out / "old_table.csv").exists()
    assert (out / "mine.csv").read_text(encoding="utf-8") == "mine"
    assert "old_table.csv" not in pipeline.read_report_marker(out)


def test_a_report_folder_with_a_user_file_of_a_new_name_is_refused(tmp_path, result, cached_build):
    out = tmp_path / "report"
    write_report(result, out)
    marker = json.loads((out / pipeline.MARKER_FILE).read_text(encoding="utf-8"))
    marker["files"].remove("plans.csv")  # the earlier report did not write plans.csv ...
    (out / pipeline.MARKER_FILE).write_text(json.dumps(marker), encoding="utf-8")
    (out / "plans.csv").write_text("my,plans\n", encoding="utf-8")  # ... the user did
    with pytest.raises(OutputExistsError, match="plans.csv"):
        write_report(result, out)
    assert (out / "plans.csv").read_text(encoding="utf-8") == "my,plans\n"


def test_a_marker_cannot_make_it_remove_files_outside_the_folder(tmp_path, result, cached_build):
    out = tmp_path / "report"
    write_report(result, out)
    outside = tmp_path / "precious.txt"
    outside.write_text("keep", encoding="utf-8")
    marker = json.loads((out / pipeline.MARKER_FILE).read_text(encoding="utf-8"))
    marker["files"] += ["../precious.txt", str(outside), ".hidden"]
    (out / pipeline.MARKER_FILE).write_text(json.dumps(marker), encoding="utf-8")
    (out / ".hidden").write_text("mine", encoding="utf-8")
    write_report(result, out)
    assert outside.read_text(encoding="utf-8") == "keep"
    assert (out / ".hidden").read_text(encoding="utf-8") == "mine"


def test_dot_dot_in_the_path_leaves_no_stray_folder(tmp_path, result, cached_build):
    path = write_report(result, f"{tmp_path}/base/x/../y")
    assert path == tmp_path / "base" / "y" / "report.html" and path.is_file()
    assert [p.name for p in (tmp_path / "base").iterdir()] == ["y"]


def test_the_temporary_folder_is_made_inside_the_report_folder(
    tmp_path, monkeypatch, result, cached_build
):
    import os
    import tempfile

    made = []
    mkdtemp = tempfile.mkdtemp

    def recording(*args, **kwargs):
        made.append(mkdtemp(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", recording)
    parent = tmp_path / "locked"
    out = parent / "report"
    out.mkdir(parents=True)
    parent.chmod(0o555)  # the parent is read-only, the report's folder is writable
    try:
        restricted = not os.access(parent, os.W_OK)  # root is not restricted by the mode
        write_report(result, out)
    finally:
        parent.chmod(0o755)
    assert restricted or os.geteuid() == 0
    assert (out / "report.html").is_file()
    assert [os.path.dirname(m) for m in made] == [str(out)]
    assert os.path.basename(made[0]).startswith(".copfactors-tmp-") and not Path(made[0]).exists()
    assert [p.name for p in parent.iterdir()] == ["report"]


class _Broken:
    tables = ()  # no table: no Word document

    def files(self):
        return {"drivers.csv": "driver\n", "figure.png": object(), "report.html": "<html>"}


def test_a_failure_writes_nothing(tmp_path, monkeypatch, result):
    monkeypatch.setattr(htmlreport, "build", lambda _result: _Broken())
    out = tmp_path / "report"
    with pytest.raises(TypeError):
        write_report(result, out)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
    # nor the folders made for it
    with pytest.raises(TypeError):
        write_report(result, tmp_path / "a" / "b" / "report")
    assert list(tmp_path.iterdir()) == []
    # an existing report is left as it was
    out.mkdir()
    (out / "report.html").write_text("old", encoding="utf-8")
    with pytest.raises(TypeError):
        write_report(result, out, overwrite=True)
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


def test_run_analysis_with_extra_columns_uses_and_names_them():
    import numpy as np

    from copfactors.datasets import load_example_survey
    from copfactors.errors import CopFactorsError

    s = load_example_survey()  # SIMULATED
    s["team"] = np.random.default_rng(0).choice(["b", "a"], len(s))
    result = run_analysis(s, source_label="x", simulated=True, steps=("models",), extra=["team"])
    assert "team_b" in result.X.columns
    assert "team_b" in result.attainment_model.feature_names
    notes = " ".join(str(n) for n in result.notes.get("ordinal", []))
    assert "team (text, reference 'a')" in notes
    with pytest.raises(CopFactorsError, match="nope"):
        run_analysis(s, source_label="x", simulated=True, steps=("data",), extra=["nope"])


def test_plans_are_scored_with_the_typical_value_of_your_own_variables():
    import numpy as np

    from copfactors.datasets import load_example_survey

    s = load_example_survey()  # SIMULATED
    rng = np.random.default_rng(1)
    s["team"] = rng.choice(["b", "a", "b"], len(s))
    s["size"] = rng.integers(3, 30, len(s)).astype(float)
    result = run_analysis(
        s, source_label="x", simulated=True, steps=("models", "claims", "plans"),
        extra=["team", "size"],
    )  # fmt: skip
    assert "plans" not in result.skipped and len(result.plans) == 2
    typical = result.attainment_model.builder.extra_groups_
    from copfactors.features import attainment

    fitted = s[attainment(s).notna()]  # the model's builder is fitted on these respondents
    assert typical["team"]["typical"] == fitted["team"].value_counts().idxmax()
    assert typical["size"]["typical"] == float(np.median(fitted["size"]))
    notes = " ".join(result.plans[0].result.notes)
    assert "your own variable(s) team, size not given by the plan" in notes
    # the claims' model is adjusted for them too: it is the report's model, with them
    assert "adjusted for your own variable(s) team, size" in " ".join(result.claims.notes)
    _assert_claims_read_the_report_model(result)
    assert {"team_b", "size"} <= set(result.claims.model.coef_.index)
    assert result.attainment_model.regression is result.ordinal_inference
