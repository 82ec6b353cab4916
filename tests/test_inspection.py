"""Tests of copfactors.inspection: the driver table, SHAP explanations and the model comparison.

Reference numbers from R are in ``results/drivers_clustered.json``, written by
``results/drivers_clustered.R`` (average marginal effects on the expected score by finite
differences of ``predict.clm``, delta-method SEs with a numerical Jacobian, and general
dominance by refitting ``clm`` on every subset).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import copfactors as cf
from copfactors.errors import CopFactorsError, CopFactorsWarning, FeatureError, NotFittedError
from copfactors.inspection import (
    COMPARE_COLUMNS,
    DRIVER_COLUMNS,
    DriverTable,
    _expected_ame,
    compare_models,
    drivers,
    explain,
)
from copfactors.models import OrdinalRegression
from helpers import assert_shap_additive, simulate_ordinal

RESULTS = Path(__file__).parent / "results"

#: Drivers of the example survey used here: individual-level ones (the CoP-level attributes of
#: its 7 CoPs are collinear among themselves).
EXAMPLE_DRIVERS = [
    "commitment",
    "steward_active",
    "voluntary",
    "age_50_plus",
    "hours_per_week",
    "gender_woman",
]


@pytest.fixture(scope="module")
def example():
    """The example survey (SIMULATED): drivers, ordinal attainment and the logit fit."""
    survey = cf.load_example_survey()
    X = cf.CoPFeatureBuilder().fit_transform(survey)
    y = cf.attainment(survey, kind="ordinal").loc[X.index]
    keep = y.notna().to_numpy()
    X = X.loc[keep, EXAMPLE_DRIVERS]
    y = y[keep].astype("int64")
    return X, y, OrdinalRegression().fit(X, y)


@pytest.fixture(scope="module")
def example_table(example):
    X, y, model = example
    return drivers(model, X, y=y)


@pytest.fixture(scope="module")
def clustered():
    data = pd.read_csv(RESULTS / "clustered.csv")
    X = data[["hours_per_week", "steward_present", "members"]]
    return X, data["attainment"]


@pytest.fixture(scope="module")
def small():
    """Simulated data: two continuous drivers and a 0/1 driver, 4 levels."""
    X, y = simulate_ordinal(400, {"a": 0.8, "b": -0.5, "c": 0.3}, [-1.0, 0.0, 1.2], seed=3)
    X["c"] = (X["c"] > 0).astype(float)
    return X, y.astype("int64") + 1


# ------------------------------------------------------------------------------ driver table
def test_driver_table_has_the_columns_and_one_row_per_driver(example, example_table):
    _, _, model = example
    table = example_table.table
    assert tuple(table.columns) == DRIVER_COLUMNS
    assert sorted(table["driver"]) == sorted(EXAMPLE_DRIVERS)
    weights = table["importance_r2"].to_numpy()
    assert np.all(np.diff(weights) <= 0)
    row = table.set_index("driver").loc["commitment"]
    summary = model.summary().set_index("term").loc["commitment"]
    for col in ("coef", "se", "p", "ci_low", "ci_high", "odds_ratio"):
        assert row[col] == pytest.approx(summary[col], rel=1e-12)
    assert row["odds_ratio"] == pytest.approx(math.exp(row["coef"]))
    assert example_table.info["importance_method"] == "exact"
    assert example_table.info["n_subset_fits"] == 2 ** len(EXAMPLE_DRIVERS) - 1
    assert table["po_test_p"].between(0, 1).all()


def test_importance_r2_sums_to_the_full_mcfadden_r2_and_pct_to_100(example, example_table):
    _, _, model = example
    weights = example_table.table["importance_r2"]
    assert_allclose(weights.sum(), model.r2_mcfadden_, rtol=1e-10)
    assert_allclose(weights.sum(), model.pseudo_r2("mcfadden"), rtol=1e-10)
    assert (weights > 0).all()
    pct = example_table.table["importance_pct"]
    assert_allclose(pct.sum(), 100.0, rtol=1e-10)
    # the same weights as a percentage of the R2: same order, same ratios
    assert_allclose(pct, 100 * weights / model.r2_mcfadden_, rtol=1e-10)
    notes = example_table.notes
    assert any(n.startswith("importance_pct: importance_r2 as a percentage") for n in notes)


def test_two_driver_dominance_by_hand(small):
    X, y = small
    X = X[["a", "b"]]
    model = OrdinalRegression().fit(X, y)
    ll0 = model.loglik_null_

    def r2(cols):
        return 1 - OrdinalRegression().fit(X[cols], y).loglik_ / ll0

    # general dominance of a: its R2 alone and its increment over b, averaged
    expected_a = (r2(["a"]) + (model.r2_mcfadden_ - r2(["b"]))) / 2
    expected_b = (r2(["b"]) + (model.r2_mcfadden_ - r2(["a"]))) / 2
    got = drivers(model, X, y=y, po_test=None).table.set_index("driver")["importance_r2"]
    assert_allclose(got["a"], expected_a, rtol=1e-10)
    assert_allclose(got["b"], expected_b, rtol=1e-10)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_against_r_clm(clustered, link):
    # R: see results/drivers_clustered.R (clm, finite-difference AMEs, subset refits)
    ref = json.loads((RESULTS / "drivers_clustered.json").read_text())[link]
    X, y = clustered
    model = OrdinalRegression(link=link).fit(X, y)
    table = drivers(model, X, y=y, po_test=None).table.set_index("driver")
    names = list(ref["coef"])
    assert_allclose(table.loc[names, "coef"], list(ref["coef"].values()), rtol=1e-5)
    assert_allclose(table.loc[names, "ame_expected"], list(ref["ame"].values()), rtol=1e-6)
    assert_allclose(table.loc[names, "ame_se"], list(ref["ame_se"].values()), rtol=1e-4)
    gd = ref["general_dominance"]
    assert_allclose(table.loc[list(gd), "importance_r2"], list(gd.values()), rtol=1e-6)
    if link == "logit":
        assert_allclose(table["odds_ratio"], np.exp(table["coef"]), rtol=1e-12)
    else:
        assert table["odds_ratio"].isna().all()


def test_sampled_importance_estimates_the_exact_shares(example):
    X, y, _ = example
    X4 = X[EXAMPLE_DRIVERS[:4]]
    model = OrdinalRegression().fit(X4, y)
    exact = drivers(model, X4, y=y, po_test=None)
    sampled = drivers(model, X4, y=y, importance="sampled", n_samples=300, po_test=None)
    e = exact.table.set_index("driver")["importance_r2"]
    s = sampled.table.set_index("driver")["importance_r2"]
    se = sampled.info["importance_mc_se"]
    assert sampled.info["importance_method"] == "sampled"
    # orderings telescope: every sampled estimate sums exactly to the full R2
    assert_allclose(s.sum(), model.r2_mcfadden_, rtol=1e-10)
    assert_allclose(sampled.table["importance_pct"].sum(), 100.0, rtol=1e-10)
    assert (se > 0).all()
    assert np.all(np.abs(s - e[s.index]) <= 4 * se[s.index] + 1e-12)
    assert any("ESTIMATED" in n for n in sampled.notes)
    again = drivers(model, X4, y=y, importance="sampled", n_samples=300, po_test=None)
    assert_array_equal(again.table["importance_r2"], sampled.table["importance_r2"])


def test_auto_importance_samples_above_max_exact(example):
    X, y, model = example
    table = drivers(model, X, y=y, max_exact=3, n_samples=20, po_test=None)
    assert table.info["importance_method"] == "sampled"
    assert table.info["n_permutations"] == 20
    assert_allclose(table.table["importance_r2"].sum(), model.r2_mcfadden_, rtol=1e-10)


def test_importance_does_not_depend_on_n_jobs(example, example_table):
    X, y, model = example
    parallel = drivers(model, X, y=y, n_jobs=2)
    # exact: each subset fit is the same computation (single-threaded BLAS) in whichever process
    assert_array_equal(parallel.table["importance_r2"], example_table.table["importance_r2"])
    assert_array_equal(parallel.table["driver"], example_table.table["driver"])


def test_without_y_importance_is_missing_and_said(example):
    X, _, model = example
    table = drivers(model, X, po_test=None)
    assert table.table["importance_r2"].isna().all()
    assert table.table["importance_pct"].isna().all()
    assert any("pass y" in n for n in table.notes)
    assert table.info["sorted_by"] == "mean_abs_shap"
    assert np.all(np.diff(table.table["mean_abs_shap"]) <= 0)
    columns = [line for line in table.to_text().splitlines() if line.startswith("driver ")]
    assert columns and "importance_" not in columns[0] and "mean_abs_shap" in columns[0]


def test_refit_on_other_data_warns(example):
    X, y, model = example
    shuffled = pd.Series(np.random.default_rng(0).permutation(y.to_numpy()), index=y.index)
    with pytest.warns(CopFactorsWarning, match="not its training data"):
        table = drivers(model, X, y=shuffled, po_test=None)
    assert any("not its training data" in n for n in table.notes)


# ------------------------------------------------------------------------- marginal effects
def _numeric_jacobian(model, frame, step=1e-6):
    params = model.params_.to_numpy()
    cols = []
    for i in range(len(params)):
        up, down = params.copy(), params.copy()
        up[i] += step
        down[i] -= step
        cols.append(_expected_ame(model, frame, up)[0] - _expected_ame(model, frame, down)[0])
    return np.column_stack(cols) / (2 * step)


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
def test_ame_is_the_average_derivative_of_predict_expected(small, link):
    X, y = small
    model = OrdinalRegression(link=link).fit(X, y)
    table = drivers(model, X, y=y, importance=None, po_test=None).table.set_index("driver")
    h = 1e-5
    for col in ("a", "b"):
        up, down = X.copy(), X.copy()
        up[col] += h
        down[col] -= h
        numeric = np.mean((model.predict_expected(up) - model.predict_expected(down)) / (2 * h))
        assert table.loc[col, "ame_expected"] == pytest.approx(numeric, rel=1e-6)
    one, zero = X.assign(c=1.0), X.assign(c=0.0)
    change = np.mean(model.predict_expected(one) - model.predict_expected(zero))
    assert table.loc["c", "ame_expected"] == pytest.approx(change, rel=1e-12)
    # delta method with the analytic Jacobian = with a numerical one
    _, jac, binary = _expected_ame(model, X)
    assert binary.tolist() == [False, False, True]
    assert_allclose(jac, _numeric_jacobian(model, X), rtol=1e-5, atol=1e-8)
    se = np.sqrt(np.diag(jac @ model.cov_.to_numpy() @ jac.T))
    assert_allclose(table.loc[["a", "b", "c"], "ame_se"], se, rtol=1e-12)


def test_nominal_model_tabulates_the_proportional_odds_part(small):
    X, y = small
    model = OrdinalRegression(nominal=["b"]).fit(X, y)
    table = drivers(model, X, y=y, po_test=None)
    assert sorted(table.table["driver"]) == ["a", "c"]
    assert any("nominal" in n and "b" in n for n in table.notes)
    # AMEs hold the nominal effects at their observed values: same as predict_expected
    one, zero = X.assign(c=1.0), X.assign(c=0.0)
    change = np.mean(model.predict_expected(one) - model.predict_expected(zero))
    assert table.table.set_index("driver").loc["c", "ame_expected"] == pytest.approx(change)
    _, jac, _ = _expected_ame(model, X)
    assert_allclose(jac, _numeric_jacobian(model, X), rtol=1e-5, atol=1e-8)
    # the nominal predictor is in every subset fit, so the shares add up to the gain over it
    base = OrdinalRegression(nominal=["b"]).fit(X[["b"]], y)
    gain = model.r2_mcfadden_ - base.r2_mcfadden_
    assert_allclose(table.table["importance_r2"].sum(), gain, rtol=1e-10)
    assert_allclose(table.table["importance_pct"].sum(), 100.0, rtol=1e-10)


# ------------------------------------------------------------------ proportional-odds tests
def test_po_test_p_values_come_from_the_model_tests(clustered):
    X, y = clustered
    model = OrdinalRegression().fit(X, y)
    nominal = drivers(model, X, importance=None, po_test="nominal").table.set_index("driver")
    brant = drivers(model, X, importance=None, po_test="brant").table.set_index("driver")
    ref_n = model.nominal_test().set_index("term")["p"]
    ref_b = model.brant_test().set_index("term")["p"]
    assert_allclose(nominal["po_test_p"], ref_n[nominal.index], rtol=1e-12)
    assert_allclose(brant["po_test_p"], ref_b[brant.index], rtol=1e-12)
    none = drivers(model, X, importance=None, po_test=None)
    assert none.table["po_test_p"].isna().all()


def test_po_test_is_undefined_for_a_binary_outcome(small):
    X, y = small
    binary = (y >= 3).astype("int64")
    model = OrdinalRegression().fit(X, binary)
    table = drivers(model, X, y=binary)
    assert table.table["po_test_p"].isna().all()
    assert any("two outcome levels" in n for n in table.notes)
    assert_allclose(table.table["importance_r2"].sum(), model.r2_mcfadden_, rtol=1e-10)


# ----------------------------------------------------------------------------- rendering
def test_rendering_text_html_latex(example_table):
    text = example_table.to_text()
    assert text.startswith("Driver table (cumulative logit)")
    assert repr(example_table) == text
    for name in EXAMPLE_DRIVERS:
        assert name in text
    html = example_table.to_html()
    assert html.startswith('<table class="copfactors-table">') and "steward_active" in html
    assert example_table._repr_html_() == html
    latex = example_table.to_latex()
    assert latex.startswith("\\begin{tabular}") and "steward\\_active" in latex
    assert "Note: importance_r2" in text and "Note: importance_pct" in text


def test_probit_rendering_leaves_out_odds_ratios(clustered):
    X, y = clustered
    table = drivers(OrdinalRegression(link="probit").fit(X, y), X, importance=None)
    assert "odds_ratio" in table.table.columns
    columns = [line for line in table.to_text().splitlines() if line.startswith("driver ")]
    assert columns and "odds_ratio" not in columns[0] and "ame_expected" in columns[0]
    assert isinstance(table, DriverTable)


# ------------------------------------------------------------------------------ bad input
def test_unfitted_model_raises_not_fitted(example):
    X, y, _ = example
    with pytest.raises(NotFittedError, match="not fitted"):
        drivers(OrdinalRegression(), X, y=y)
    with pytest.raises(NotFittedError, match="not fitted"):
        explain(OrdinalRegression(), X)


def test_columns_not_matching_the_model_are_named(example):
    X, y, model = example
    other = X.rename(columns={"voluntary": "volunteer"})
    with pytest.raises(CopFactorsError, match="missing column.*'voluntary'.*unexpected.*volunteer"):
        drivers(model, other, y=y)
    with pytest.raises(CopFactorsError, match="missing column.*'gender_woman'"):
        drivers(model, X.drop(columns="gender_woman"))
    with pytest.raises(CopFactorsError, match="does not match the model"):
        explain(model, other)
    with pytest.raises(CopFactorsError, match="5 column"):
        drivers(model, X.to_numpy()[:, :5])
    # reordered columns are matched by name
    reordered = drivers(model, X[X.columns[::-1]], importance=None, po_test=None).table
    plain = drivers(model, X, importance=None, po_test=None).table
    pd.testing.assert_frame_equal(reordered, plain)


def test_bad_values_and_outcomes_are_refused(example):
    X, y, model = example
    with pytest.raises(FeatureError, match="commitment"):
        drivers(model, X.assign(commitment=np.nan))
    with pytest.raises(FeatureError, match="not numeric"):
        drivers(model, X.assign(voluntary="yes"))
    with pytest.raises(CopFactorsError, match="levels"):
        drivers(model, X, y=y.clip(upper=4))
    with pytest.raises(CopFactorsError, match="rows"):
        drivers(model, X, y=y.to_numpy()[:-1])
    with pytest.raises(CopFactorsError, match="importance"):
        drivers(model, X, y=y, importance="shapley")
    with pytest.raises(CopFactorsError, match="po_test"):
        drivers(model, X, po_test="score")
    with pytest.raises(CopFactorsError, match="OrdinalRegression"):
        drivers(object(), X)


# --------------------------------------------------------------------------- correctness
RECOVERY_EFFECTS = {
    "commitment": 0.8,
    "steward_active": 0.35,
    "voluntary": 0.6,
    "prior_acquaintance": 0.1,
    "hours_per_week": 0.3,
    "training_received": -0.3,
    "org_support": 0.0,
    "gender_woman": 0.2,
    "age_under_35": 0.25,
    "age_50_plus": -0.7,
}


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_parameter_recovery_on_simulated_surveys(seed):
    survey = cf.make_survey(
        seed=seed, mode="parametric", n_respondents=5000, effects=RECOVERY_EFFECTS
    )
    X = cf.simulation_design(survey)[list(RECOVERY_EFFECTS)]
    y = cf.attainment(survey, kind="ordinal").astype("int64")
    model = OrdinalRegression().fit(X, y)
    table = drivers(model, X, importance=None, po_test=None).table.set_index("driver")
    truth = pd.Series(survey.attrs["true_effects"])[table.index]
    covered = (table["ci_low"] <= truth) & (truth <= table["ci_high"])
    assert covered.sum() >= 9, covered[~covered].index.tolist()
    # the marginal effects have the sign of the true effects where these are not zero
    nonzero = truth != 0
    assert (np.sign(table.loc[nonzero, "ame_expected"]) == np.sign(truth[nonzero])).all()


def test_example_survey_signs_follow_the_generating_model(example_table):
    table = example_table.table.set_index("driver")
    for name in ("commitment", "steward_active", "voluntary", "age_50_plus"):
        truth = cf.GENERATING_MODEL[name]
        assert np.sign(table.loc[name, "coef"]) == np.sign(truth), name
        assert np.sign(table.loc[name, "ame_expected"]) == np.sign(truth), name


# ---------------------------------------------------------------------------------- SHAP
def test_latent_shap_equals_linear_explainer(example):
    import shap

    X, _, model = example
    ex = explain(model, X, max_background=40, random_state=5)
    rows = np.sort(np.random.default_rng(5).choice(len(X), 40, replace=False))
    background = X.iloc[rows].to_numpy()
    linear = shap.LinearExplainer((model.coef_.to_numpy(), 0.0), background)
    ref = linear(X.to_numpy())
    assert_allclose(ex.values, ref.values, rtol=0, atol=1e-10)
    assert_allclose(ex.base_values, ref.base_values, rtol=0, atol=1e-10)
    assert_allclose(ex.base_values, np.mean(background @ model.coef_.to_numpy()), atol=1e-12)
    assert_shap_additive(ex, model.predict_linear(X), rtol=0, atol=1e-10)
    assert list(ex.feature_names) == EXAMPLE_DRIVERS
    assert_array_equal(ex.data, X.to_numpy())


def test_background_is_a_seeded_sample(example):
    X, _, model = example
    a = explain(model, X, max_background=30, random_state=1)
    b = explain(model, X, max_background=30, random_state=1)
    c = explain(model, X, max_background=30, random_state=2)
    full = explain(model, X, max_background=1000)
    assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.base_values, c.base_values)
    assert_allclose(full.base_values, model.predict_linear(X).mean(), atol=1e-12)
    given = explain(model, X, background=X.iloc[:10])
    assert_allclose(given.base_values, model.predict_linear(X.iloc[:10]).mean(), atol=1e-12)


@pytest.mark.parametrize(
    ("scale", "level", "algorithm"),
    [
        ("expected", None, "exact"),
        ("expected", None, "permutation"),
        ("probability", None, "exact"),
        ("probability", 5, "exact"),
        ("probability", "all", "exact"),
    ],
)
def test_nonlinear_scales_are_additive(example, scale, level, algorithm):
    X, _, model = example
    rows = X.iloc[:12]
    ex = explain(
        model, rows, scale, background=X, level=level, max_background=20, algorithm=algorithm
    )
    proba = model.predict_proba(rows)
    if scale == "expected":
        output = model.predict_expected(rows)
    elif level == "all":
        output = proba
        assert ex.values.shape == (12, len(EXAMPLE_DRIVERS), 4)
        assert list(ex.output_names) == ["P(Y = 2)", "P(Y = 3)", "P(Y = 4)", "P(Y = 5)"]
    elif level == 5:
        output = proba[:, 3]
    else:
        # default level: 4 ("attained") is a level, so P(Y >= 4)
        output = proba[:, 2:].sum(axis=1)
    assert_shap_additive(ex, output, rtol=0, atol=1e-10)


def test_one_driver_shap_is_the_change_from_the_background_mean():
    # with one driver the Shapley value is f(x) - mean f(background) exactly
    X, y = simulate_ordinal(200, {"commitment": 1.0}, [-1.0, 1.0], seed=2)
    model = OrdinalRegression().fit(X, y)
    ex = explain(model, X.iloc[:5], "expected", background=X.iloc[:50])
    expected_bg = model.predict_expected(X.iloc[:50]).mean()
    assert_allclose(ex.base_values, expected_bg, atol=1e-12)
    assert_allclose(ex.values[:, 0], model.predict_expected(X.iloc[:5]) - expected_bg, atol=1e-12)


def test_explain_refuses_what_it_cannot_do(example, small):
    X, _, model = example
    with pytest.raises(CopFactorsError, match="level 7"):
        explain(model, X.iloc[:3], "probability", level=7)
    with pytest.raises(CopFactorsError, match="scale"):
        explain(model, X, "odds")
    Xs, ys = small
    nominal = OrdinalRegression(nominal=["b"]).fit(Xs, ys)
    with pytest.raises(CopFactorsError, match="nominal"):
        explain(nominal, Xs)
    ex = explain(nominal, Xs.iloc[:5], "expected", background=Xs.iloc[:20])
    assert_shap_additive(ex, nominal.predict_expected(Xs.iloc[:5]), rtol=0, atol=1e-10)
    with pytest.raises(CopFactorsError, match="explain needs"):
        explain(object(), X)


@pytest.fixture(scope="module")
def boosting(example):
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y, _ = example
    multi = HistGradientBoostingClassifier(random_state=0, max_iter=30).fit(X, y)
    binary = HistGradientBoostingClassifier(random_state=0, max_iter=30).fit(X, y >= 4)
    return multi, binary


def test_tree_models_raw_margin(example, boosting):
    X, _, _ = example
    multi, binary = boosting
    ex = explain(multi, X)
    assert ex.values.shape == (len(X), len(EXAMPLE_DRIVERS), 4)
    assert list(ex.output_names) == [f"raw margin of {k}" for k in (2, 3, 4, 5)]
    assert_shap_additive(ex, multi.decision_function(X), rtol=0, atol=1e-8)
    exb = explain(binary, X)
    assert exb.values.shape == (len(X), len(EXAMPLE_DRIVERS))
    assert_shap_additive(exb, binary.decision_function(X), rtol=0, atol=1e-8)
    with pytest.raises(CopFactorsError, match="scale"):
        explain(multi, X, "latent")
    with pytest.raises(CopFactorsError, match="does not match"):
        explain(multi, X.rename(columns={"voluntary": "v"}))


def test_tree_models_probability(example, boosting):
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, _, _ = example
    multi, binary = boosting
    rows = X.iloc[:10]
    ex = explain(multi, rows, "probability", background=X, max_background=20)
    assert_shap_additive(ex, multi.predict_proba(rows)[:, 2:].sum(axis=1), rtol=0, atol=1e-10)
    exb = explain(binary, rows, "probability", level=True, background=X, max_background=20)
    assert_shap_additive(exb, binary.predict_proba(rows)[:, 1], rtol=0, atol=1e-10)
    with pytest.raises(NotFittedError):
        explain(HistGradientBoostingClassifier(), X)


def test_explanations_work_with_shap_plots(example, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import shap

    X, _, model = example
    ex = explain(model, X)
    shap.plots.beeswarm(ex, show=False)
    plt.savefig(tmp_path / "beeswarm.png")
    plt.close("all")
    shap.plots.waterfall(ex[0], show=False)
    plt.savefig(tmp_path / "waterfall.png")
    plt.close("all")
    for name in ("beeswarm.png", "waterfall.png"):
        content = (tmp_path / name).read_bytes()
        assert content[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(content) > 5000


# ----------------------------------------------------------------------- model comparison
def test_compare_models_table(example):
    X, y, _ = example
    res = compare_models(X, y, cv=3)
    assert tuple(res.columns) == COMPARE_COLUMNS
    assert set(res["model"]) == {
        "ordinal_logit",
        "ordinal_probit",
        "binary_logit",
        "gradient_boosting",
    }
    assert set(res.loc[res["model"] == "binary_logit", "outcome"]) == {"binary"}
    assert set(res.loc[res["model"] == "ordinal_logit", "outcome"]) == {"ordinal", "binary"}
    assert len(res) == 4 * (3 * 2 + 1)
    assert (res["n_folds"] == 3).all()
    folds = res.attrs["folds"]
    assert len(folds) == 3 * len(res)
    one = folds.query("model == 'ordinal_logit' and outcome == 'ordinal' and metric == 'log_loss'")
    row = res.query("model == 'ordinal_logit' and outcome == 'ordinal' and metric == 'log_loss'")
    assert row["mean"].item() == pytest.approx(one["value"].mean())
    assert row["sd"].item() == pytest.approx(one["value"].std(ddof=1))
    acc = res.query("metric == 'accuracy'")["mean"]
    assert acc.between(0, 1).all()
    assert (res.query("metric == 'log_loss'")["mean"] > 0).all()


def test_compare_models_metrics_of_one_fold_by_hand(example):
    from sklearn.metrics import cohen_kappa_score, log_loss
    from sklearn.model_selection import StratifiedKFold

    X, y, _ = example
    res = compare_models(X, y, models=["ordinal_logit"], cv=3, random_state=4)
    folds = res.attrs["folds"].query("outcome == 'ordinal'").set_index(["fold", "metric"])
    train, test = next(StratifiedKFold(3, shuffle=True, random_state=4).split(X, y))
    model = OrdinalRegression().fit(X.iloc[train], y.iloc[train])
    proba = model.predict_proba(X.iloc[test])
    yt = y.iloc[test].to_numpy()
    pred = model.classes_[proba.argmax(axis=1)]
    onehot = (yt[:, None] == model.classes_[None, :]).astype(float)
    assert folds.loc[(0, "log_loss"), "value"] == pytest.approx(
        log_loss(yt, proba, labels=model.classes_)
    )
    assert folds.loc[(0, "brier"), "value"] == pytest.approx(
        np.mean(np.sum((proba - onehot) ** 2, axis=1))
    )
    assert folds.loc[(0, "kappa"), "value"] == pytest.approx(
        cohen_kappa_score(yt, pred, weights="quadratic")
    )
    assert folds.loc[(0, "accuracy"), "value"] == pytest.approx(np.mean(pred == yt))


def test_compare_models_does_not_depend_on_n_jobs(example):
    X, y, _ = example
    models = ["ordinal_logit", "gradient_boosting"]
    serial = compare_models(X, y, models=models, cv=3, n_jobs=1)
    parallel = compare_models(X, y, models=models, cv=3, n_jobs=2)
    # exact: fixed folds, each fold's fit single-threaded on this machine whatever n_jobs is
    pd.testing.assert_frame_equal(serial, parallel, check_exact=True)


def test_compare_models_with_groups_keeps_groups_together():
    survey = cf.make_survey(seed=4, mode="parametric", n_respondents=600, n_cops=12)
    X = cf.simulation_design(survey)[["commitment", "steward_active", "voluntary"]]
    y = cf.attainment(survey, kind="ordinal").astype("int64")
    res = compare_models(
        X, y, models=["ordinal_logit", "binary_logit"], cv=4, groups=survey["cop_id"]
    )
    assert "GroupKFold" in res.attrs["cv"]
    assert (res["n_folds"] == 4).all()


def test_compare_models_bad_input(example):
    X, y, _ = example
    with pytest.raises(CopFactorsError, match="unknown model"):
        compare_models(X, y, models=["random_forest"])
    with pytest.raises(CopFactorsError, match="single class"):
        compare_models(X, y, threshold=1)
    with pytest.raises(CopFactorsError, match="cv"):
        compare_models(X, y, cv=1)
    with pytest.raises(CopFactorsError, match="rows"):
        compare_models(X, y.iloc[:-3].to_numpy())
    with pytest.raises(CopFactorsError, match="fewer than cv"):
        compare_models(X, y, cv=10)


# ---------------------------------------------------------------------------------- imports
def test_importing_the_module_does_not_import_shap():
    code = (
        "import sys, copfactors.inspection, copfactors; copfactors.drivers; copfactors.explain; "
        "print(','.join(m for m in ('shap', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_names_are_exported(example):
    for name in ("drivers", "compare_models", "DriverTable", "explain"):
        assert getattr(cf, name) is getattr(cf.inspection, name)
    X, _, model = example
    assert_array_equal(cf.explain(model, X).values, explain(model, X).values)


def test_explain_is_a_plain_function_whatever_is_imported_first():
    code = (
        "import copfactors as cf; f = cf.explain; import copfactors.inspection as m; "
        "import inspect, pickle, types; "
        "print(f is m.explain is cf.explain, isinstance(f, types.FunctionType), "
        "pickle.loads(pickle.dumps(cf.explain)) is f, "
        "list(inspect.signature(cf.explain).parameters)[:2])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True True True ['model', 'X']"


def test_a_failing_subset_fit_is_recorded_not_raised(small):
    from copfactors.inspection import _fit_subset_chunk

    X, y = small
    data = np.column_stack([X["a"], X["a"] * 2.0, X["b"]])
    out = _fit_subset_chunk(data, y.to_numpy() - 1, None, "logit", 0, [(0,), (0, 1), (0, 2)])
    assert out[1][1] is False and math.isnan(out[1][0])
    assert out[0][1] and out[2][1]
    assert out[2][0] == pytest.approx(OrdinalRegression().fit(X[["a", "b"]], y).loglik_)


def test_n_jobs_zero_is_refused_by_name(small):
    X, y = small
    model = OrdinalRegression().fit(X, y)
    with pytest.raises(CopFactorsError, match=r"n_jobs must be None or a non-zero integer .*got 0"):
        drivers(model, X, y=y, n_jobs=0)
    with pytest.raises(CopFactorsError, match="n_jobs must be None or a non-zero integer"):
        compare_models(X, y, n_jobs=0)


# ------------------------------------------------------------------- mixed (random intercept)
@pytest.fixture(scope="module")
def mixed_survey():
    """A SIMULATED clustered survey (600 respondents in 30 CoPs) and its mixed logit fit."""
    from copfactors.models import MixedOrdinalRegression

    survey = cf.make_survey(seed=5, mode="parametric", n_respondents=600, n_cops=30)
    X = cf.simulation_design(survey)[["commitment", "steward_active", "voluntary"]]
    y = cf.attainment(survey, kind="ordinal").astype("int64")
    groups = survey["cop_id"]
    return X, y, groups, MixedOrdinalRegression().fit(X, y, groups=groups)


@pytest.fixture(scope="module")
def mixed_table(mixed_survey):
    X, y, _, model = mixed_survey
    return drivers(model, X, y=y)


def test_mixed_driver_table_takes_the_conditional_inference_from_the_summary(
    mixed_survey, mixed_table
):
    X, _, _, model = mixed_survey
    table = mixed_table.table.set_index("driver")
    assert tuple(mixed_table.table.columns) == DRIVER_COLUMNS
    assert sorted(table.index) == sorted(X.columns)
    assert_array_equal(table.loc[model.coef_.index, "coef"], model.coef_.to_numpy())
    assert_array_equal(table.loc[model.coef_.index, "se"], model.se_[model.coef_.index])
    summary = model.summary().set_index("term")
    for col in ("p", "ci_low", "ci_high", "odds_ratio"):
        assert_allclose(table.loc[model.coef_.index, col], summary.loc[model.coef_.index, col])
    assert_allclose(table["odds_ratio"], np.exp(table["coef"]), rtol=1e-12)
    info = mixed_table.info
    assert info["model"] == "mixed"
    assert info["sigma"] == model.sigma_ and info["icc"] == model.icc_
    assert info["n_groups"] == 30
    assert "r2_mcfadden" not in info
    # latent SHAP is conditional: the coefficients times the centred drivers
    assert_allclose(
        table.loc[X.columns, "mean_abs_shap"],
        np.mean(np.abs((X - X.mean()) * model.coef_[X.columns]), axis=0),
        rtol=1e-12,
    )
    # proportional odds: the fixed part's test, said in the notes
    po = model.fixed_.nominal_test().set_index("term")["p"]
    assert_allclose(table.loc[X.columns, "po_test_p"], po[X.columns], rtol=1e-12)
    assert any("model.fixed_" in n and "po_test_p" in n for n in mixed_table.notes)


def test_mixed_ame_is_the_average_derivative_of_the_marginal_expected_score(
    mixed_survey, mixed_table
):
    X, _, groups, model = mixed_survey
    table = mixed_table.table.set_index("driver")
    h = 1e-5
    for col in ("commitment", "steward_active"):
        up, down = X.copy(), X.copy()
        up[col] += h
        down[col] -= h
        numeric = np.mean((model.predict_expected(up) - model.predict_expected(down)) / (2 * h))
        assert table.loc[col, "ame_expected"] == pytest.approx(numeric, rel=1e-6)
    assert set(X["voluntary"].unique()) == {0.0, 1.0}  # a 0/1 driver: the change from 0 to 1
    change = np.mean(
        model.predict_expected(X.assign(voluntary=1.0))
        - model.predict_expected(X.assign(voluntary=0.0))
    )
    assert table.loc["voluntary", "ame_expected"] == pytest.approx(change, rel=1e-9)
    # marginal, not conditional on the CoPs' modes
    up = X.assign(commitment=X["commitment"] + h)
    conditional = np.mean(
        (model.predict_expected(up, groups) - model.predict_expected(X, groups)) / h
    )
    assert abs(table.loc["commitment", "ame_expected"] - conditional) > 1e-4
    notes = " ".join(mixed_table.notes)
    assert "CONDITIONAL (subject-specific" in notes and "MARGINAL (population-averaged" in notes
    assert "ame_expected: average marginal effect on the MARGINAL expected" in notes


def test_mixed_ame_se_matches_draws_from_the_estimates_distribution(mixed_survey, mixed_table):
    from copfactors.inspection import _marginal_ame

    X, _, _, model = mixed_survey
    rng = np.random.default_rng(0)
    draws = rng.multivariate_normal(model.params_.to_numpy(), model.cov_.to_numpy(), size=1500)
    ames = np.array([_marginal_ame(model, X, d) for d in draws])
    table = mixed_table.table.set_index("driver").loc[list(model.coef_.index)]
    # delta method = simulation SD (1500 draws: about 2% Monte Carlo error)
    assert_allclose(table["ame_se"], ames.std(axis=0, ddof=1), rtol=0.08)
    assert_allclose(_marginal_ame(model, X), table["ame_expected"], rtol=1e-12)
    assert (table["ame_se"] > 0).all()


def test_mixed_importance_is_missing_and_said(mixed_survey, mixed_table):
    X, y, _, model = mixed_survey
    assert mixed_table.table["importance_r2"].isna().all()
    assert mixed_table.table["importance_pct"].isna().all()
    assert mixed_table.info["importance_method"] is None
    assert mixed_table.info["sorted_by"] == "mean_abs_shap"
    assert any(
        "importance_r2 and importance_pct not computed for a mixed model" in n
        for n in mixed_table.notes
    )
    for method in ("exact", "sampled"):
        with pytest.raises(CopFactorsError, match=f"importance='{method}' is not available"):
            drivers(model, X, y=y, importance=method)
    plain = drivers(model, X, importance=None, po_test=None, ame_se=None).table
    assert plain["ame_se"].isna().all() and plain["po_test_p"].isna().all()
    assert_allclose(
        plain.set_index("driver")["ame_expected"],
        mixed_table.table.set_index("driver")["ame_expected"],
        rtol=1e-12,
    )


def test_mixed_driver_table_renders(mixed_table):
    text = mixed_table.to_text()
    assert text.startswith("Driver table (cumulative logit, random intercept)")
    assert "Groups (random intercept): 30" in text
    assert "Random intercept SD" in text and "ICC" in text
    assert "importance_" not in text.split("Note:")[0]  # all NaN: left out
    assert mixed_table.to_html().startswith("<table")


def test_explain_mixed_latent_is_the_conditional_linear_predictor(mixed_survey):
    X, _, _, model = mixed_survey
    rows = X.iloc[:40]
    ex = explain(model, rows, background=X, max_background=len(X))
    assert_shap_additive(ex, rows.to_numpy() @ model.coef_[X.columns].to_numpy())
    assert_allclose(ex.values, (rows - X.mean()).to_numpy() * model.coef_[X.columns].to_numpy())


@pytest.mark.parametrize(("scale", "level"), [("expected", None), ("probability", None)])
def test_explain_mixed_nonlinear_scales_are_marginal(mixed_survey, scale, level):
    X, _, groups, model = mixed_survey
    rows = X.iloc[:10]
    ex = explain(model, rows, scale, background=X, max_background=25, level=level)
    if scale == "expected":
        output = model.predict_expected(rows)  # no groups: marginal, a new CoP
        conditional = model.predict_expected(rows, groups.iloc[:10])
    else:
        output = model.predict_proba(rows)[:, 3:].sum(axis=1)  # P(Y >= 4)
        conditional = model.predict_proba(rows, groups.iloc[:10])[:, 3:].sum(axis=1)
    assert_shap_additive(ex, output, rtol=0, atol=1e-10)
    assert not np.allclose(output, conditional, atol=1e-3)


def test_compare_models_with_the_mixed_model(mixed_survey):
    from sklearn.model_selection import GroupKFold

    from copfactors.inspection import GROUPED_MODEL_NAMES
    from copfactors.models import MixedOrdinalRegression

    X, y, groups, _ = mixed_survey
    assert "ordinal_mixed" in GROUPED_MODEL_NAMES
    res = compare_models(X, y, models=["ordinal_logit", "ordinal_mixed"], cv=3, groups=groups)
    assert tuple(res.columns) == COMPARE_COLUMNS
    assert res["model"].unique().tolist() == ["ordinal_logit", "ordinal_mixed"]
    assert set(res.loc[res["model"] == "ordinal_mixed", "outcome"]) == {"ordinal", "binary"}
    assert (res["n_folds"] == 3).all() and np.isfinite(res["mean"]).all()
    assert "GroupKFold(3) on 30 groups" in res.attrs["cv"]
    assert any("ordinal_mixed" in n and "MARGINAL" in n for n in res.attrs["notes"])
    # one fold by hand: fitted with the training CoPs, predicted marginally for the new ones
    from sklearn.metrics import log_loss

    train, test = next(GroupKFold(3).split(X, y, groups))
    model = MixedOrdinalRegression().fit(X.iloc[train], y.iloc[train], groups=groups.iloc[train])
    proba = model.predict_proba(X.iloc[test])
    folds = res.attrs["folds"].query("model == 'ordinal_mixed' and outcome == 'ordinal'")
    value = folds.set_index(["fold", "metric"]).loc[(0, "log_loss"), "value"]
    assert value == pytest.approx(log_loss(y.iloc[test], proba, labels=model.classes_))


def test_mixed_bad_input_is_refused(mixed_survey):
    from copfactors.models import MixedOrdinalRegression

    X, y, groups, model = mixed_survey
    with pytest.raises(NotFittedError, match=r"MixedOrdinalRegression is not fitted.*groups="):
        drivers(MixedOrdinalRegression(), X)
    with pytest.raises(NotFittedError, match="not fitted"):
        explain(MixedOrdinalRegression(), X)
    with pytest.raises(CopFactorsError, match="missing column.*'voluntary'"):
        drivers(model, X.drop(columns="voluntary"))
    with pytest.raises(CopFactorsError, match="scale must be one of .* MixedOrdinalRegression"):
        explain(model, X, "odds")
    with pytest.raises(CopFactorsError, match=r"\['ordinal_mixed'\] need groups="):
        compare_models(X, y, models=["ordinal_mixed"], cv=3)
    with pytest.raises(CopFactorsError, match="groups has 1 missing value"):
        compare_models(X, y, models=["ordinal_mixed"], cv=3, groups=groups.where(X.index != 7))
    two = np.repeat([0, 1], len(X) // 2)
    with pytest.raises(CopFactorsError, match="a training fold has a single group"):
        compare_models(X, y, models=["ordinal_mixed"], cv=2, groups=two)
    with pytest.raises(CopFactorsError, match="unknown model"):
        compare_models(X, y, models=["ordinal_mixed_probit"], groups=groups)
