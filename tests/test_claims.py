"""Tests of copfactors.claims: the paper's claims as data and their verdicts on a survey.

The expected verdicts on simulated surveys are derived from the simulator's documented
generating model (``GENERATING_MODEL``, ``EFFECT_CLAIMS``) and from the published Table 1 the
calibrated simulation reproduces, never copied from a run. The statistics behind the verdicts
are checked against scipy and against refits of the ordinal model.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

import copfactors
from copfactors.claims import (
    CLAIM_COLUMNS,
    MIN_CLUSTERS,
    RESULT_COLUMNS,
    VERDICTS,
    ClaimsResult,
    _fit_model,
    _holm,
    _ModelFit,
    _p_text,
    _permutation_block_test,
    _score_residuals,
    compare_with_paper,
    paper_claims,
)
from copfactors.cli import app
from copfactors.datasets import (
    EFFECT_CLAIMS,
    GENERATING_MODEL,
    load_example_survey,
    load_table1,
    load_table1_tests,
    make_survey,
)
from copfactors.datasets._simulate import _HOURS
from copfactors.errors import CopFactorsError, FeatureError
from copfactors.features import CoPFeatureBuilder, attainment
from copfactors.models import MixedOrdinalRegression, OrdinalRegression
from copfactors.schema import CODEBOOK, OBJECTIVES

IDS = [f"C{i}" for i in range(1, 14)]
PERMUTATIONS = 199  # enough for p-values near 0.05 to be read, and fast

# The paper's claimed sign of each driver whose direction a claim asserts.
CLAIMED_SIGN = {
    "commitment": +1,  # C1 key driver
    "steward_active": +1,  # C2 a (dynamic) steward is essential
    "steward_dedicated": +1,
    "steward_designated": +1,
    "leader_changes": -1,  # C2 frequent leader changes hurt
    "voluntary": +1,  # C3
    "age_50_plus": -1,  # C9
}

# Reversed drivers: every effect the paper claims, the other way round, and the "not key"
# factors made stronger than commitment.
REVERSED = {
    "commitment": -0.8,
    "voluntary": -0.6,
    "steward_active": -0.35,
    "steward_dedicated": -0.5,
    "steward_designated": -0.2,
    "leader_changes": 0.25,
    "age_50_plus": 0.7,
    "prior_acquaintance": 1.2,
    "training_received": 1.5,
    "tech_mastery": 1.2,
    "schooling_graduate": 1.0,
}


def _drivers_of(claim: str) -> list[str]:
    return [d for d, c in EFFECT_CLAIMS.items() if c == claim]


def _direction(effects: dict[str, float], driver: str) -> str:
    s = np.sign(effects[driver])
    if s == 0:
        return "inconclusive"
    return "supports" if s == CLAIMED_SIGN[driver] else "contradicts"


def expected_from_model(effects: dict[str, float]) -> dict[str, str]:
    """Verdicts the generating model implies for the driver claims (C1-C6, C9-C11)."""
    exp = {c: _direction(effects, d) for c, d in (("C1", "commitment"), ("C3", "voluntary"))}
    exp["C9"] = _direction(effects, "age_50_plus")
    # C2: the steward's activity decides, leader changes can only contradict
    c2 = [d for d in _drivers_of("C2")]
    assert set(c2) == {
        "steward_active",
        "steward_dedicated",
        "steward_designated",
        "leader_changes",
    }
    exp["C2"] = (
        "contradicts"
        if _direction(effects, "leader_changes") == "contradicts"
        else _direction(effects, "steward_active")
    )
    # "not a key factor": an effect at most a fraction of commitment's, per unit
    for claim in ("C4", "C5", "C6"):
        drivers = _drivers_of(claim)
        assert drivers, claim
        small = all(0 <= effects[d] < effects["commitment"] for d in drivers)
        exp[claim] = "supports" if small else "contradicts"
    # C10: no effect of schooling or language at all
    exp["C10"] = "supports" if all(effects[d] == 0 for d in _drivers_of("C10")) else "contradicts"
    # C11: employer recognition is low by design (centre 2.1 or 1.8, below the midpoint 3)
    # and more hours raise attainment
    exp["C11"] = "supports" if effects["hours_per_week"] > 0 else "inconclusive"
    return exp


def expected_from_table1() -> dict[str, str]:
    """Verdicts the published Table 1 implies (the calibrated simulation reproduces it)."""
    table = load_table1()
    tests = load_table1_tests()
    wide = table.pivot_table(index=["objective", "measure"], columns="group", values="mean")
    imp = wide.xs("importance", level="measure")
    att = wide.xs("attainment", level="measure")
    exp = {}
    women_higher = (imp["women"] > imp["men"]).mean()
    att_sig = tests.loc[tests["measure"] == "attainment", "significant"].mean()
    exp["C7"] = "supports" if women_higher == 1 and att_sig <= 0.2 else "inconclusive"
    below = (att["total"] < imp["total"]).mean()
    exp["C12"] = "supports" if below >= 0.8 else "inconclusive"
    a_rank = att["total"].rank(ascending=False, method="min")
    i_rank = imp["total"].rank(ascending=False, method="min")
    well = all(a_rank[o] <= 5 and a_rank[o] < i_rank[o] for o in ("learning", "problem_solving"))
    exp["C13"] = "supports" if well else "inconclusive"
    # the simulator scales hours so that women average _HOURS["woman"] and men _HOURS["man"]
    ratio = _HOURS["woman"] / _HOURS["man"]
    exp["C8"] = "supports" if 1.5 <= ratio <= 2.5 else "contradicts"
    return exp


# With about 95 respondents at T2 in 7 CoPs some true effects are too small to detect: the
# rules then say "inconclusive", never the opposite of the generating model.
# C4: prior acquaintance (+0.1 per point) against commitment (+0.8): the difference of their
#     standardised effects has a wide cluster-robust interval over 7 CoPs.
# C11: +0.1 logit per weekly hour, i.e. about +0.06 per SD of hours: undetectable.
# C5, C6, C7 (attainment part), C10: "does not matter" needs an equivalence interval inside the
#     odds-ratio margin [0.8, 1.25]; with ~95 respondents every interval is wider than that.
# C13: learning's and problem solving's ranks are not stable in the respondent bootstrap.
POWER_LIMITED = {"C4", "C5", "C6", "C7", "C10", "C11", "C13"}


@pytest.fixture(scope="module")
def example() -> ClaimsResult:
    return compare_with_paper(load_example_survey(), n_permutations=PERMUTATIONS)


@pytest.fixture(scope="module")
def large_default() -> ClaimsResult:
    survey = make_survey(seed=3, mode="parametric", n_respondents=1500, n_cops=20)
    return compare_with_paper(
        survey, claims=["C1", "C2", "C3", "C4", "C5", "C6", "C9"], n_permutations=PERMUTATIONS
    )


@pytest.fixture(scope="module")
def reversed_survey() -> pd.DataFrame:
    return make_survey(seed=3, mode="parametric", n_respondents=2000, n_cops=20, effects=REVERSED)


@pytest.fixture(scope="module")
def reversed_result(reversed_survey: pd.DataFrame) -> ClaimsResult:
    return compare_with_paper(reversed_survey, n_permutations=PERMUTATIONS)


def _verdicts(res: ClaimsResult) -> dict[str, str]:
    return dict(zip(res.table["id"], res.table["verdict"], strict=True))


# ---------------------------------------------------------------------------------------------
# the claims as data
# ---------------------------------------------------------------------------------------------
def test_paper_claims_lists_the_thirteen_claims_in_order():
    claims = paper_claims()
    assert list(claims.columns) == list(CLAIM_COLUMNS)
    assert claims["id"].tolist() == IDS
    assert claims["statement"].str.len().min() > 20
    assert claims["where"].str.len().min() > 0


def test_every_rule_says_when_it_supports_and_every_variable_is_in_the_codebook():
    for rec in paper_claims().itertuples(index=False):
        assert "Supports" in rec.rule, rec.id
        assert "contradicts" in rec.rule, rec.id
        assert isinstance(rec.variables, tuple) and rec.variables, rec.id
        for v in rec.variables:
            assert v in ("att_*", "imp_*") or v in CODEBOOK, (rec.id, v)


def test_paper_claims_returns_a_fresh_frame():
    first = paper_claims()
    first.loc[0, "statement"] = "changed"
    assert paper_claims().loc[0, "statement"] != "changed"


# ---------------------------------------------------------------------------------------------
# verdicts on the example survey (SIMULATED, calibrated to Table 1)
# ---------------------------------------------------------------------------------------------
def test_example_verdicts_follow_the_generating_model(example):
    expected = expected_from_model(GENERATING_MODEL) | expected_from_table1()
    assert set(expected) == set(IDS)
    got = _verdicts(example)
    for cid in IDS:
        if cid in POWER_LIMITED:
            assert got[cid] in (expected[cid], "inconclusive"), (cid, got[cid])
        else:
            assert got[cid] == expected[cid], (
                cid,
                got[cid],
                example.table.set_index("id").loc[cid, "evidence"],
            )


def test_example_verdicts_as_they_stand(example):
    # the power-limited claims are inconclusive on this draw; everything else supports. (C4:
    # prior acquaintance is not shown to help; the equivalence claims' intervals are wider than
    # the margin; C13's ranks are not stable in the bootstrap.)
    got = _verdicts(example)
    assert [c for c in IDS if got[c] == "inconclusive"] == sorted(POWER_LIMITED, key=IDS.index)
    assert all(got[c] == "supports" for c in IDS if c not in POWER_LIMITED)


def test_power_limited_claims_are_supported_with_enough_data(large_default):
    # the same generating model with 1500 respondents in 20 CoPs; C4-C6 may still be
    # inconclusive (a +0.1 effect; a yes/no driver's interval against the equivalence margin;
    # the platform cycles with the steward type over the CoPs), never contradicted
    expected = expected_from_model(GENERATING_MODEL)
    got = _verdicts(large_default)
    for cid in ("C1", "C2", "C3", "C9"):
        assert got[cid] == expected[cid] == "supports", (cid, got[cid])
    for cid in ("C4", "C5", "C6"):
        assert got[cid] in (expected[cid], "inconclusive"), (cid, got[cid])


def test_example_header_says_simulated(example):
    assert example.simulated is True
    assert example.header()["Data"].startswith("SIMULATED")
    assert "SIMULATED" in example.to_text()
    assert any("SIMULATED" in n for n in example.notes)


def test_result_table_columns_and_types(example):
    table = example.table
    assert list(table.columns) == list(RESULT_COLUMNS)
    assert table["id"].tolist() == IDS
    assert set(table["verdict"]) <= set(VERDICTS)
    assert table["rule"].tolist() == paper_claims()["rule"].tolist()
    for col in ("estimate", "ci_low", "ci_high", "p"):
        assert table[col].dtype == float
    with_ci = table.dropna(subset=["ci_low", "ci_high"])
    assert len(with_ci) >= 8
    assert (with_ci["ci_low"] <= with_ci["estimate"]).all()
    assert (with_ci["estimate"] <= with_ci["ci_high"]).all()
    p = table["p"].dropna()
    assert ((p >= 0) & (p <= 1)).all()
    assert all(m == () for m in table["missing_columns"])


# ---------------------------------------------------------------------------------------------
# the statistics behind the verdicts, recomputed independently
# ---------------------------------------------------------------------------------------------
def _example_mixed_model():
    survey = load_example_survey()
    y = attainment(survey, kind="ordinal")
    sub = survey.loc[y.notna().to_numpy()]
    X = CoPFeatureBuilder(missing="drop").fit_transform(sub)
    # with 7 CoPs the professional-association sponsor is the dedicated-steward CoP: the
    # sponsor group goes whole
    X = X.drop(columns=["sponsor_professional_association", "sponsor_inter_organisational"])
    yy = y.loc[X.index].astype(int)
    groups = survey.loc[X.index, "cop_id"].astype(str).to_numpy()
    return MixedOrdinalRegression().fit(X, yy, groups=groups), X


def test_driver_estimates_come_from_one_mixed_model_with_normal_reference(example):
    model, X = _example_mixed_model()
    row = example.table.set_index("id").loc["C1"]
    b, se = model.coef_["commitment"], model.se_["commitment"]
    q = stats.norm.ppf(0.975)  # a respondent-level driver: the model's Wald z
    np.testing.assert_allclose(row["estimate"], b, rtol=1e-8)
    np.testing.assert_allclose([row["ci_low"], row["ci_high"]], [b - q * se, b + q * se], rtol=1e-6)
    np.testing.assert_allclose(row["p"], 2 * stats.norm.sf(abs(b / se)), rtol=1e-6)
    assert isinstance(example.model, MixedOrdinalRegression)
    assert list(example.model.coef_.index) == list(X.columns)
    assert example.model_choice.mixed and example.model_choice.n_cops == 7
    assert "random intercept per cop_id (7 CoPs)" in example.header()["Attainment model"]
    assert any("sponsor_professional_association" in n for n in example.notes)
    # the rank-deficient cluster-robust covariance is named, and not used
    assert any("rank 6 for 19 parameters" in n and "not used" in n for n in example.notes)
    assert "cluster-robust" not in example.header()["Attainment model"]


def test_cop_level_drivers_use_the_between_cop_degrees_of_freedom(example):
    # 7 CoPs, the intercept and 3 CoP-level drivers (designated and dedicated steward, leader
    # changes) independent over them: 3 df are left between CoPs
    fit = _fit_model(load_example_survey(), link="logit", cluster="cop_id", alpha=0.05)
    assert fit.cop_df == 3
    assert set(fit.cop_drivers) == {"steward_designated", "steward_dedicated", "leader_changes"}
    b, se = fit.model.coef_["leader_changes"], fit.model.se_["leader_changes"]
    t = fit.coef("leader_changes")
    np.testing.assert_allclose(t.p, 2 * stats.t.sf(abs(b / se), 3), rtol=1e-10)
    np.testing.assert_allclose(t.ci_high - t.estimate, stats.t.ppf(0.975, 3) * se, rtol=1e-10)
    # a respondent-level driver keeps the normal reference
    c = fit.coef("commitment")
    np.testing.assert_allclose(
        c.p, 2 * stats.norm.sf(abs(c.estimate) / fit.model.se_["commitment"])
    )
    assert "leader_changes coefficient" in example.table.set_index("id").loc["C2", "evidence"]
    # the confounded CoP-level drivers are said
    check = example.model_choice.cop_level
    table = check.table.set_index("driver")
    assert table.loc["sponsor_professional_association", "combination_of"] == ("steward_dedicated",)
    assert table.loc["steward_dedicated", "singles_out"] == "cop_1"
    assert any(
        "sponsor_professional_association has the same pattern over the 7 CoPs as "
        "steward_dedicated" in n
        for n in example.notes
    )


def test_standardised_difference_matches_its_definition(example):
    fit_model = example.model
    survey = load_example_survey()
    y = attainment(survey, kind="ordinal")
    X = CoPFeatureBuilder().fit_transform(survey.loc[y.notna().to_numpy()])
    sd_p, sd_c = X["prior_acquaintance"].std(), X["commitment"].std()
    w = np.array([sd_p, -sd_c])
    names = ["prior_acquaintance", "commitment"]
    est = float(w @ fit_model.coef_[names])
    se = math.sqrt(w @ fit_model.cov_.loc[names, names].to_numpy() @ w)
    row = example.table.set_index("id").loc["C4"]
    # two respondent-level drivers: normal reference; the "not sufficient" half is one-sided
    assert f"its standardised effect minus commitment's {est:.2f}" in row["evidence"]
    assert f"one-sided {_p_text(stats.norm.cdf(est / se))} for < 0" in row["evidence"]
    # the table shows the "helps" half: the coefficient, one-sided p for > 0
    b = float(fit_model.coef_["prior_acquaintance"])
    se_b = math.sqrt(fit_model.cov_.loc["prior_acquaintance", "prior_acquaintance"])
    np.testing.assert_allclose(row["estimate"], b, rtol=1e-10)
    np.testing.assert_allclose(row["p"], stats.norm.sf(b / se_b), rtol=1e-8)


def test_generalized_residuals_solve_the_score_equations(example):
    # at the maximum likelihood estimate every coefficient's score sum_i x_ij g_i is zero,
    # and so is the score of a common shift of the thresholds, sum_i g_i
    survey = load_example_survey()
    y = attainment(survey, kind="ordinal")
    X = CoPFeatureBuilder().fit_transform(survey.loc[y.notna().to_numpy()])
    X = X[list(example.model.coef_.index)]
    # the score equations of a model without random intercept (the claims' model has one)
    model = OrdinalRegression().fit(X, y.loc[X.index].astype(int))
    fit = _ModelFit(model, X, y.loc[X.index].astype(int), None, "", None, [], [], 95.0)
    g = _score_residuals(fit)
    assert np.abs(g).max() > 0.1
    np.testing.assert_allclose(X.to_numpy().T @ g, 0.0, atol=1e-6)
    np.testing.assert_allclose(g.sum(), 0.0, atol=1e-6)


def test_score_statistic_is_close_to_the_likelihood_ratio(reversed_survey, reversed_result):
    # a block with a real effect (schooling_graduate = 1.0): the score statistic, within CoPs,
    # is the LR statistic to first order
    res = reversed_result
    model = res.model
    y = attainment(reversed_survey, kind="ordinal")
    X = CoPFeatureBuilder().fit_transform(reversed_survey.loc[y.notna().to_numpy()])
    X = X[list(model.coef_.index)]
    yy = y.loc[X.index].astype(int)
    cop = pd.get_dummies(reversed_survey.loc[X.index, "cop_id"], drop_first=True, dtype=float)
    school = pd.get_dummies(reversed_survey.loc[X.index, "schooling"].astype(str), dtype=float)
    school = school.drop(columns=school.sum().idxmax())
    base = pd.concat([X, cop], axis=1)
    # CoP-level drivers are spanned by the CoP dummies: keep the dummies' independent part
    base = base.loc[
        :,
        ~base.columns.isin(
            [
                "steward_designated",
                "steward_dedicated",
                "leader_changes",
                "sponsor_professional_association",
                "sponsor_inter_organisational",
            ]
        ),
    ]
    small = OrdinalRegression().fit(base, yy)
    big = OrdinalRegression().fit(pd.concat([base, school], axis=1), yy)
    lr = 2 * (big.loglik_ - small.loglik_)
    row = res.table.set_index("id").loc["C10"]
    score = float(row["evidence"].split("schooling: score statistic ")[1].split(" ")[0])
    assert lr > 30
    assert score == pytest.approx(lr, rel=0.1)
    assert row["verdict"] == "contradicts"


def test_permutation_test_finds_a_planted_block_and_not_a_random_one(example):
    survey = load_example_survey()
    y = attainment(survey, kind="ordinal")
    X = CoPFeatureBuilder().fit_transform(survey.loc[y.notna().to_numpy()])
    X = X[list(example.model.coef_.index)]
    yy = y.loc[X.index].astype(int)
    fit = _ModelFit(example.model, X, yy, None, "", None, [], [], 95.0)
    rng = np.random.default_rng(5)
    noise = pd.Series(rng.choice(["a", "b", "c"], len(survey)), index=survey.index)
    planted = pd.Series(
        np.where(survey.index.isin(yy.index[yy >= 4]), "high", "low"), index=survey.index
    )
    clusters = survey["cop_id"].astype(str)
    kw = {"clusters": clusters, "within": True, "n_permutations": 99, "seed": 0}
    random_block = _permutation_block_test(fit, noise, **kw)
    planted_block = _permutation_block_test(fit, planted, **kw)
    assert random_block["df"] == 2 and random_block["p"] > 0.05
    assert planted_block["df"] == 1 and planted_block["p"] == pytest.approx(1 / 100)
    # the same seed gives the same p
    assert _permutation_block_test(fit, noise, **kw)["p"] == random_block["p"]


@pytest.mark.parametrize("plan", ["within", "units", "all"])
def test_permutation_p_is_the_same_serially_and_in_two_processes(example, plan):
    from copfactors.claims import _permuted_labels

    survey = load_example_survey()
    y = attainment(survey, kind="ordinal")
    X = CoPFeatureBuilder().fit_transform(survey.loc[y.notna().to_numpy()])
    X = X[list(example.model.coef_.index)]
    fit = _ModelFit(example.model, X, y.loc[X.index].astype(int), None, "", None, [], [], 95.0)
    rng = np.random.default_rng(8)
    clusters = survey["cop_id"].astype(str)
    if plan == "units":  # an attribute of the CoP: permuted among the CoPs
        label_of = {c: rng.choice(["a", "b"]) for c in clusters.unique()}
        labels = clusters.map(label_of)
    else:
        labels = pd.Series(rng.choice(["a", "b", "c"], len(survey)), index=survey.index)
    kw = {
        "clusters": None if plan == "all" else clusters,
        "within": plan == "within",
        "n_permutations": 59,
        "seed": 3,
    }
    serial = _permutation_block_test(fit, labels, **kw)
    two = _permutation_block_test(fit, labels, n_jobs=2, **kw)
    assert serial == two and 0 < serial["p"] <= 1
    # each permutation keeps the label counts (within each CoP for "within")
    lab = labels.to_numpy(dtype=object)
    perm_plan = ("all",) if plan != "within" else ("within", [np.arange(len(lab))])
    permuted = _permuted_labels(lab, perm_plan, np.random.default_rng(0))
    assert sorted(permuted) == sorted(lab)


def test_the_claims_table_is_the_same_with_n_jobs():
    survey = load_example_survey()
    serial = compare_with_paper(survey, claims=["C6", "C10"], n_permutations=59)
    two = compare_with_paper(survey, claims=["C6", "C10"], n_permutations=59, n_jobs=2)
    # exact: per-permutation seeds and single-threaded refits, so the process does not matter
    pd.testing.assert_frame_equal(two.table, serial.table, check_exact=True)


def test_seed_must_be_a_non_negative_integer():
    with pytest.raises(CopFactorsError, match="seed must be a non-negative integer"):
        compare_with_paper(load_example_survey(), claims=["C1"], seed=-1)
    with pytest.raises(CopFactorsError, match="n_jobs must be None or a non-zero integer"):
        compare_with_paper(load_example_survey(), claims=["C1"], n_jobs=0)


def test_holm_adjustment_by_hand():
    # p = (0.01, 0.04, 0.03): sorted 0.01*3, 0.03*2, 0.04*1 -> 0.03, 0.06, 0.06 (monotone)
    assert _holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert _holm([0.5]) == [0.5]
    assert _holm([0.6, 0.7]) == pytest.approx([1.0, 1.0])


# ---------------------------------------------------------------------------------------------
# reversed effects contradict
# ---------------------------------------------------------------------------------------------
def test_reversed_effects_contradict_the_driver_claims(reversed_result):
    # make_survey sets the drivers left out of effects to 0
    expected = expected_from_model({k: REVERSED.get(k, 0.0) for k in GENERATING_MODEL})
    got = _verdicts(reversed_result)
    for cid in ("C1", "C2", "C3", "C4", "C5", "C6", "C9", "C10"):
        assert expected[cid] == "contradicts", cid
        assert got[cid] == "contradicts", (cid, got[cid])


def test_reversed_survey_keeps_what_does_not_depend_on_the_drivers(reversed_result):
    got = _verdicts(reversed_result)
    assert got["C8"] == "supports"  # hours by gender are not drivers of attainment
    assert got["C12"] == "supports"  # importance is drawn above attainment in both runs


# ---------------------------------------------------------------------------------------------
# missing columns, clusters, options
# ---------------------------------------------------------------------------------------------
def test_missing_column_makes_its_claim_not_testable():
    survey = load_example_survey().drop(columns=["voluntary", "gender"])
    res = compare_with_paper(survey, claims=["C3", "C7", "C8", "C1"], n_permutations=99)
    table = res.table.set_index("id")
    assert table.loc["C3", "verdict"] == "not testable"
    assert table.loc["C3", "missing_columns"] == ("voluntary",)
    assert "voluntary" in table.loc["C3", "evidence"]
    for cid in ("C7", "C8"):
        assert table.loc[cid, "verdict"] == "not testable"
        assert "gender" in table.loc[cid, "missing_columns"]
    assert table.loc["C1", "verdict"] == "supports"  # the model is fitted without them
    assert math.isnan(table.loc["C3", "p"])


def test_no_attainment_columns_leaves_the_driver_claims_untestable():
    survey = load_example_survey()
    survey = survey.drop(columns=[c for c in survey.columns if c.startswith("att_")])
    res = compare_with_paper(survey, n_permutations=99)
    table = res.table.set_index("id")
    for cid in ("C1", "C2", "C3", "C4", "C5", "C6", "C9", "C10", "C12", "C13"):
        assert table.loc[cid, "verdict"] == "not testable", cid
        assert "att_*" in table.loc[cid, "missing_columns"], cid
    assert table.loc["C8", "verdict"] == "supports"
    assert res.model is None
    # C11's time part needs attainment: without it the claim cannot be fully supported
    assert table.loc["C11", "verdict"] == "inconclusive"
    assert "time part not tested" in table.loc["C11", "evidence"]


def test_c2_without_steward_activity_tests_the_steward_types_jointly(example_survey):
    survey = make_survey(seed=3, mode="parametric", n_respondents=1500, n_cops=20)
    res = compare_with_paper(survey.drop(columns=["steward_active"]), claims=["C2"])
    row = res.table.iloc[0]
    assert row["verdict"] == "supports"  # dedicated +0.5 and designated +0.2 against none
    # CoP-level drivers: F with the between-CoP df, 20 CoPs less the intercept and 5 CoP-level
    # drivers (steward types, leader changes, sponsors)
    assert res.model_choice.mixed and res.model_choice.cop_level.df_between == 14
    assert "joint Wald test" in row["evidence"] and "F on (2, 14) df" in row["evidence"]
    model = res.model
    names = ["steward_designated", "steward_dedicated"]
    b = model.coef_[names].to_numpy()
    W = b @ np.linalg.solve(model.cov_.loc[names, names].to_numpy(), b)
    assert row["estimate"] == pytest.approx(W / 2)
    assert row["p"] == pytest.approx(stats.f.sf(W / 2, 2, 14))


def test_too_few_t2_respondents_leave_the_model_claims_untestable(example_survey):
    survey = example_survey.copy()
    survey["responded_t2"] = survey["responded_t2"] & (np.arange(len(survey)) < 12)
    res = compare_with_paper(survey, claims=["C1", "C9"])
    assert res.table["verdict"].tolist() == ["not testable", "not testable"]
    assert "cannot be fitted" in res.table.loc[0, "evidence"]
    assert res.table.loc[0, "missing_columns"] == ()
    assert any("not fitted" in n for n in res.notes)


def test_an_all_missing_column_counts_as_missing():
    survey = load_example_survey()
    survey["voluntary"] = pd.array([pd.NA] * len(survey), dtype="boolean")
    res = compare_with_paper(survey, claims=["C3"], n_permutations=99)
    assert res.table.loc[0, "verdict"] == "not testable"
    assert res.table.loc[0, "missing_columns"] == ("voluntary",)


def test_partial_columns_are_named_and_the_claim_still_tested():
    survey = load_example_survey().drop(columns=["platform"])
    res = compare_with_paper(survey, claims=["C6"], n_permutations=99)
    row = res.table.iloc[0]
    assert row["verdict"] == "inconclusive"  # tech_mastery alone, not shown inside the margin
    assert "tech_mastery per SD" in row["evidence"]
    assert row["missing_columns"] == ("platform",)
    assert "platform" not in row["evidence"]


def test_few_cops_say_what_they_can_tell_and_one_cop_falls_back_to_robust():
    # 3 CoPs: still nested, never cluster-robust; the CoP-level drivers (steward types, leader
    # changes, sponsors) saturate the 3 CoPs, so no test of them is possible
    survey = make_survey(seed=2, mode="parametric", n_respondents=400, n_cops=MIN_CLUSTERS - 2)
    res = compare_with_paper(survey, claims=["C1", "C2"], n_permutations=99)
    choice = res.model_choice
    assert choice.n_cops == 3 and choice.covariance == "model-based"
    assert "cluster-robust" not in res.header()["Attainment model"]
    assert choice.cop_level.df_between == 0
    assert any("confounded with the CoP itself" in n for n in res.notes)
    fit = _fit_model(survey, link="logit", cluster="cop_id", alpha=0.05)
    assert fit.cop_df == 0 and fit.cop_drivers
    assert all(math.isnan(fit.coef(name).p) for name in fit.cop_drivers)
    # a single CoP: no random intercept, robust (HC0) standard errors, said
    one = survey.assign(cop_id="only")
    one.attrs = survey.attrs
    res = compare_with_paper(one, claims=["C1"], n_permutations=99)
    assert "robust (HC0)" in res.header()["Attainment model"]
    assert any("only 1 cop_id" in n for n in res.notes)
    assert res.model.cov_type == "robust" and not res.model_choice.mixed


def test_without_cluster_column_or_with_cluster_none():
    survey = load_example_survey()
    res = compare_with_paper(survey.drop(columns=["cop_id"]), claims=["C1"], n_permutations=99)
    assert any("no 'cop_id' column" in n for n in res.notes)
    res = compare_with_paper(survey, claims=["C1"], cluster=None, n_permutations=99)
    assert "robust (HC0)" in res.header()["Attainment model"]
    assert not any("cop_id" in n for n in res.notes)


def test_claims_subset_keeps_the_requested_order():
    res = compare_with_paper(load_example_survey(), claims=["C12", "C8"], n_permutations=99)
    assert res.table["id"].tolist() == ["C12", "C8"]
    assert res.model is None  # neither needs the attainment model


def test_alpha_changes_the_interval_level(example):
    res = compare_with_paper(load_example_survey(), claims=["C1"], alpha=0.01)
    wide = res.table.iloc[0]
    narrow = example.table.iloc[0]
    assert wide["ci_low"] < narrow["ci_low"] and wide["ci_high"] > narrow["ci_high"]
    assert "99% CI" in wide["evidence"]


def test_probit_link_gives_the_same_directions():
    res = compare_with_paper(load_example_survey(), claims=["C1", "C3"], link="probit")
    assert res.table["verdict"].tolist() == ["supports", "supports"]
    assert res.model.link == "probit"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"alpha": 0}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": True}, "alpha"),
        ({"link": "logistic"}, "link"),
        ({"claims": ["C1", "C14"]}, "C14"),
        ({"claims": []}, "empty"),
        ({"cluster": 3}, "cluster"),
        ({"n_permutations": 5}, "n_permutations"),
        ({"seed": 1.5}, "seed"),
    ],
)
def test_bad_options_raise(example_survey, kwargs, match):
    with pytest.raises(CopFactorsError, match=match):
        compare_with_paper(example_survey, **kwargs)


def test_not_a_dataframe_raises():
    with pytest.raises(CopFactorsError, match="DataFrame"):
        compare_with_paper([[1, 2]])


def test_values_outside_the_codebook_raise_naming_the_column(example_survey):
    survey = example_survey.copy()
    # a respondent who did not answer at T2: every row is checked, not only the modelled ones
    row = survey.index[~survey["responded_t2"].astype(bool)][0]
    survey.loc[row, "commitment_1"] = 9
    with pytest.raises(FeatureError, match="commitment_1"):
        compare_with_paper(survey, claims=["C1"])


def test_input_survey_is_not_modified():
    survey = load_example_survey()
    before = survey.copy()
    compare_with_paper(survey, claims=["C1", "C7", "C10"], n_permutations=99)
    pd.testing.assert_frame_equal(survey, before)


# ---------------------------------------------------------------------------------------------
# rendering and records
# ---------------------------------------------------------------------------------------------
def test_records_are_json_with_stable_names(example):
    records = example.to_records()
    assert len(records) == 13
    for rec in records:
        assert list(rec) == list(RESULT_COLUMNS)
        assert isinstance(rec["missing_columns"], list)
    assert records[12]["p"] is None  # C13 has a rank and its bootstrap interval, no p
    assert json.loads(json.dumps(records)) == records


def test_json_document(example):
    doc = json.loads(example.to_json())
    assert doc["simulated"] is True
    assert doc["alpha"] == 0.05
    assert [c["id"] for c in doc["claims"]] == IDS
    assert doc["header"]["Data"].startswith("SIMULATED")


def test_text_html_latex(example):
    text = example.to_text()
    assert "C13" in text and "Evidence" in text
    assert (
        max(len(line) for line in text.splitlines()[text.splitlines().index("Evidence") :]) <= 100
    )
    html = example.to_html()
    assert html.startswith("<table") and "SIMULATED" in html and "<script" not in html
    latex = example.to_latex()
    assert "\\begin{tabular}" in latex and "cop\\_id" in latex


def test_a_survey_not_marked_simulated_says_so():
    survey = load_example_survey()
    survey.attrs = {}
    res = compare_with_paper(survey, claims=["C8"])
    assert res.simulated is False
    assert res.header()["Data"] == "survey not marked as simulated"
    assert "SIMULATED" not in res.to_text()
    assert "ClaimsResult(C8=supports)" == repr(res)


# ---------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------
runner = CliRunner()


def test_cli_claims_on_the_example_survey():
    result = runner.invoke(app, ["claims"])
    assert result.exit_code == 0, result.output
    assert "SIMULATED" in result.stderr
    assert "C13" in result.stdout and "SIMULATED" in result.stdout


def test_cli_claims_json_on_a_file(tmp_path):
    path = tmp_path / "survey.csv"
    load_example_survey().to_csv(path, index=False)
    result = runner.invoke(app, ["claims", str(path), "--format", "json", "--permutations", "99"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    args = ["claims", str(path), "-f", "json", "--permutations", "99", "--jobs", "2", "--seed", "0"]
    assert runner.invoke(app, args).stdout == result.stdout
    assert doc["simulated"] is False  # a file carries no such mark
    assert doc["source"] == str(path)
    assert [c["id"] for c in doc["claims"]] == IDS


@pytest.mark.parametrize("fmt", ["latex", "html"])
def test_cli_claims_other_formats(fmt):
    result = runner.invoke(app, ["claims", "--format", fmt, "--permutations", "99"])
    assert result.exit_code == 0, result.output
    assert ("tabular" if fmt == "latex" else "<table") in result.stdout


def test_cli_claims_errors_without_traceback(tmp_path):
    result = runner.invoke(app, ["claims", str(tmp_path / "absent.csv")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error:") and "no such file" in result.stderr
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["claims", "--format", "xml"])
    # a choice typer checks itself: a usage error (exit 2) naming the value and the choices
    assert result.exit_code == 2 and "'xml' is not one of" in result.stderr
    result = runner.invoke(app, ["claims", "--seed", "-3"])
    assert result.exit_code == 1 and "seed must be a non-negative integer" in result.stderr
    result = runner.invoke(app, ["claims", "--permutations", "3"])
    assert result.exit_code == 1 and "n_permutations" in result.stderr
    bad = tmp_path / "bad.csv"
    survey = load_example_survey()
    survey["commitment_1"] = survey["commitment_1"].astype(object)
    survey.loc[survey.index[0], "commitment_1"] = "often"
    survey.to_csv(bad, index=False)
    result = runner.invoke(app, ["claims", str(bad)])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error:") and "commitment_1" in result.stderr


def test_top_level_names():
    assert copfactors.compare_with_paper is compare_with_paper
    assert copfactors.paper_claims is paper_claims
    assert copfactors.ClaimsResult is ClaimsResult
    assert copfactors.claims.VERDICTS == VERDICTS


def test_the_claims_model_can_be_adjusted_for_your_own_variables():
    survey = load_example_survey()  # SIMULATED
    rng = np.random.default_rng(0)
    survey = survey.assign(team_size=rng.integers(3, 30, len(survey)).astype(float))
    plain = compare_with_paper(survey, claims=["C1", "C3"], n_permutations=19)
    adjusted = compare_with_paper(
        survey, claims=["C1", "C3"], n_permutations=19, extra=["team_size"]
    )
    notes = " ".join(adjusted.notes)
    assert "adjusted for your own variable(s) team_size" in notes
    assert "team_size" not in " ".join(plain.notes)
    # an unrelated noise variable moves the estimates, but only a little
    assert adjusted.table["estimate"].to_numpy() == pytest.approx(
        plain.table["estimate"].to_numpy(), rel=0.2
    )
    assert not np.allclose(adjusted.table["estimate"], plain.table["estimate"], rtol=1e-12)
    with pytest.raises(CopFactorsError, match="not in the survey"):
        compare_with_paper(survey, claims=["C1"], extra=["nope"])


# ---------------------------------------------------------------- a model fitted elsewhere
@pytest.fixture(scope="module")
def given_fit():
    from copfactors.claims import AttainmentFit, fit_cop_model
    from copfactors.features import CoPFeatureBuilder, attainment

    survey = copfactors.make_survey(seed=1, mode="parametric", n_respondents=300, n_cops=12)
    y = attainment(survey, kind="ordinal").dropna().astype("int64")
    X = CoPFeatureBuilder().fit_transform(survey.loc[y.index])
    X = X[["commitment", "voluntary", "age_50_plus"]]
    groups = survey.loc[X.index, "cop_id"].astype(str)
    model, choice = fit_cop_model(X, y.loc[X.index], groups=groups)
    return survey, AttainmentFit(model, choice, X, y.loc[X.index], groups, notes=("given",))


def test_a_given_fit_is_the_model_the_claims_read(given_fit):
    survey, fit = given_fit
    res = compare_with_paper(survey, claims=["C1", "C3", "C9", "C8"], fit=fit)
    assert res.model is fit.model and res.model_choice is fit.choice
    est = res.table.set_index("id")["estimate"]
    for cid, name in (("C1", "commitment"), ("C3", "voluntary"), ("C9", "age_50_plus")):
        np.testing.assert_allclose(est[cid], fit.model.coef_[name], rtol=1e-10)
    assert f"on 3 drivers, n = {len(fit.X)}," in res.model_description
    assert "given" in res.notes
    # a claim about a driver the fit does not have is not testable, and says why
    c4 = compare_with_paper(survey, claims=["C4"], fit=fit).table.loc[0]
    assert c4["verdict"] == "not testable" and "prior_acquaintance is not in" in c4["evidence"]


def test_a_given_fit_is_checked(given_fit):
    from copfactors.claims import AttainmentFit

    survey, fit = given_fit
    model, choice, X, y, groups = fit.model, fit.choice, fit.X, fit.y, fit.groups
    with pytest.raises(CopFactorsError, match="fit must be an AttainmentFit"):
        compare_with_paper(survey, fit=model)
    with pytest.raises(CopFactorsError, match="give extra or fit, not both"):
        compare_with_paper(survey, fit=fit, extra=["hours_per_week"])
    with pytest.raises(CopFactorsError, match="logit link, but link='probit'"):
        compare_with_paper(survey, fit=fit, link="probit")
    shifted = X.index + 10_000
    moved = AttainmentFit(
        model, choice, X.set_axis(shifted), y.set_axis(shifted), groups.set_axis(shifted)
    )
    with pytest.raises(CopFactorsError, match="not rows of the survey"):
        compare_with_paper(survey, fit=moved)
    with pytest.raises(CopFactorsError, match="model's coefficients are"):
        AttainmentFit(model, choice, X[["voluntary", "commitment", "age_50_plus"]], y, groups)
    with pytest.raises(CopFactorsError, match="y must have the index of X"):
        AttainmentFit(model, choice, X, y.iloc[1:], groups)
    with pytest.raises(CopFactorsError, match="groups is needed"):
        AttainmentFit(model, choice, X, y, None)
    with pytest.raises(CopFactorsError, match="choice must be the ModelChoice"):
        AttainmentFit(model, "mixed", X, y, groups)
    with pytest.raises(CopFactorsError, match="model must be a copfactors"):
        AttainmentFit(object(), choice, X, y, groups)
    with pytest.raises(CopFactorsError, match="levels"):
        AttainmentFit(model, choice, X, y.where(y != y.iloc[0], 99), groups)
    with pytest.raises(CopFactorsError, match="describes"):
        AttainmentFit(model, choice, X.iloc[:-1], y.iloc[:-1], groups.iloc[:-1])


# ---------------------------------------------------------------------------------------------
# CoP-level drivers with too few between-CoP degrees of freedom: no test, and why
def _seven_cops(**kw):
    # 7 CoPs: steward types, leader changes and two sponsor contrasts are CoP-level, so with
    # the intercept they take 6 of the 7 CoPs and leave 1 degree of freedom between CoPs
    return make_survey(seed=5, mode="parametric", n_respondents=180, n_cops=7, **kw)


def test_too_few_between_cop_df_withholds_the_cop_level_tests():
    from copfactors.claims import COP_LEVEL_MIN_DF

    survey = _seven_cops()
    fit = _fit_model(survey, link="logit", cluster="cop_id", alpha=0.05)
    assert fit.choice.cop_level.df_between == 1 < COP_LEVEL_MIN_DF
    assert {"steward_designated", "steward_dedicated", "leader_changes"} <= set(fit.cop_drivers)
    for name in fit.cop_drivers:
        t = fit.coef(name)
        assert np.isfinite(t.estimate) and math.isnan(t.p)
        assert math.isnan(t.ci_low) and math.isnan(t.ci_high)
        assert "1 degree(s) of freedom between the 7 CoPs" in fit.coef_text(name)
    assert math.isnan(fit.joint(["steward_designated", "steward_dedicated"])[2])
    # a contrast with a CoP-level driver in it is withheld too; respondent-level ones are not
    assert math.isnan(fit.contrast({"commitment": 1.0, "leader_changes": -1.0}).p)
    assert np.isfinite(fit.coef("commitment").p) and fit.withheld_text(["commitment"]) == ""
    assert "CoP-level drivers: no test, 1 df between CoPs" in fit.cov_label


def test_cop_level_claim_is_inconclusive_with_the_reason():
    # without steward_active, C2 rests on the steward types: CoP-level, so no verdict either
    # way with 1 df between the 7 CoPs, whatever the estimates
    survey = _seven_cops(effects={**GENERATING_MODEL, "leader_changes": 3.0})
    survey = survey.drop(columns=["steward_active"])
    row = compare_with_paper(survey, claims=["C2"], n_permutations=99).table.iloc[0]
    assert row["verdict"] == "inconclusive"
    assert math.isnan(row["p"])
    evidence = row["evidence"]
    assert "steward types against none" in evidence and "no test or interval" in evidence
    assert "fewer than the 3 a valid test of a CoP-level driver needs" in evidence
    # a strong harmful-looking leader effect cannot make it 'contradicts' either
    assert "leader_changes coefficient" in evidence and "p n/a" in evidence


def test_enough_between_cop_df_keeps_student_t_on_them():
    from copfactors.claims import COP_LEVEL_MIN_DF

    survey = make_survey(seed=5, mode="parametric", n_respondents=250, n_cops=10, cop_sd=0.5)
    fit = _fit_model(survey, link="logit", cluster="cop_id", alpha=0.05)
    df = fit.choice.cop_level.df_between
    assert df == 4 >= COP_LEVEL_MIN_DF and fit.cop_withheld == ""
    b, se = fit.model.coef_["leader_changes"], fit.model.se_["leader_changes"]
    t = fit.coef("leader_changes")
    np.testing.assert_allclose(t.p, 2 * stats.t.sf(abs(b / se), df), rtol=1e-10)
    np.testing.assert_allclose(t.ci_high - t.estimate, stats.t.ppf(0.975, df) * se, rtol=1e-10)
    assert fit.withheld_text(["leader_changes"]) == ""


def test_robust_fallback_withholds_cop_level_tests():
    # a covariance that treats respondents as independent says nothing valid about a driver
    # that is the same for all respondents of a CoP
    from copfactors.claims import AttainmentFit, ModelChoice, _model_fit, cop_level_drivers

    survey = make_survey(seed=6, mode="parametric", n_respondents=400, n_cops=20)
    y = attainment(survey, kind="ordinal").dropna().astype("int64")
    X = CoPFeatureBuilder().fit_transform(survey.loc[y.index])[
        ["commitment", "voluntary", "leader_changes"]
    ]
    y, groups = y.loc[X.index], survey.loc[X.index, "cop_id"]
    model = OrdinalRegression(cov_type="robust").fit(X, y)
    check = cop_level_drivers(survey, X, in_model=list(X.columns))
    assert check.in_model == ["leader_changes"] and check.df_between == 18
    choice = ModelChoice("fixed", "robust", "test", "logit", len(X), 20, 7, cop_level=check)
    fit = _model_fit(AttainmentFit(model, choice, X, y, groups), cluster="cop_id", level=95.0)
    assert math.isnan(fit.coef("leader_changes").p)
    assert "treats the respondents of a CoP as independent" in fit.coef_text("leader_changes")
    assert np.isfinite(fit.coef("commitment").p)


# ---------------------------------------------------------------------------------------------
# absence of evidence is not evidence of absence: equivalence, both halves of C4, respondents
# ---------------------------------------------------------------------------------------------
def test_equivalence_rule_by_hand():
    from copfactors.claims import SESOI_ODDS_RATIO, _Effect, _equivalence

    m = math.log(SESOI_ODDS_RATIO)
    inside = _Effect("a", 0.02, 0.05)  # 90% CI 0.02 +/- 0.08: inside +/-0.22
    wide = _Effect("b", 0.0, 0.3)  # 90% CI +/-0.49: wider than the margin
    outside = _Effect("c", 1.0, 0.1)  # 95% CI 0.80 to 1.20: outside
    assert _equivalence([inside], 0.05)[0] == "supports"
    verdict, text, test = _equivalence([inside, wide], 0.05)
    assert verdict == "inconclusive" and "cannot show equivalence" in text
    assert test.estimate == 0.0 and test.ci_high == pytest.approx(stats.norm.ppf(0.95) * 0.3)
    assert _equivalence([inside, outside], 0.05)[0] == "contradicts"
    assert _equivalence([inside, _Effect("d")], 0.05)[0] == "inconclusive"  # no interval
    # TOST p: the larger one-sided p; at the margin it is 1/2
    assert _Effect("e", m, 0.1).p_tost(m) == pytest.approx(0.5)
    assert inside.p_tost(m) == pytest.approx(stats.norm.cdf((0.02 - m) / 0.05))


def test_equivalence_and_contradiction_keep_their_error_rates():
    from copfactors.claims import SESOI_ODDS_RATIO, _Effect, _equivalence

    # an effect exactly at the margin is "supported" (shown inside) at most alpha of the time;
    # three effects exactly at the margin are "contradicted" at most alpha of the time
    m = math.log(SESOI_ODDS_RATIO)
    rng = np.random.default_rng(0)
    se = 0.05
    draws = rng.normal(m, se, size=(1000, 3))
    supported = np.mean(
        [_equivalence([_Effect("x", d[0], se)], 0.05)[0] == "supports" for d in draws]
    )
    contradicted = np.mean(
        [
            _equivalence([_Effect(str(i), v, se) for i, v in enumerate(d)], 0.05)[0]
            == "contradicts"
            for d in draws
        ]
    )
    assert supported <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 1000)
    assert contradicted <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 1000)
    assert supported > 0.02  # and the rule is not needlessly conservative for one effect


@pytest.fixture(scope="module")
def no_effect_large() -> pd.DataFrame:
    # SIMULATED: 4000 respondents in 20 CoPs, training, org support, technology, schooling,
    # language and gender without effect on attainment; schooling and language balanced, and
    # the columns whose levels are rare or confounded with the CoPs left out
    survey = make_survey(seed=5, mode="parametric", n_respondents=4000, n_cops=20, hours_ratio=1.0)
    rng = np.random.default_rng(5)
    survey["schooling"] = rng.choice(["college", "university"], len(survey))
    survey["language"] = rng.choice(["fr", "en"], len(survey))
    return survey.drop(columns=["professional_category", "platform", "training_received"])


def test_not_mattering_is_supported_when_equivalence_is_shown(no_effect_large):
    res = compare_with_paper(no_effect_large, claims=["C5", "C6", "C7", "C10"], n_permutations=99)
    got = _verdicts(res)
    assert got == dict.fromkeys(["C5", "C6", "C7", "C10"], "supports"), res.table["evidence"]
    ev = res.table.set_index("id")["evidence"]
    assert "90% CI" in ev["C5"] and "every one inside the equivalence margin" in ev["C5"]
    assert "language fr against en" in ev["C10"] or "language en against fr" in ev["C10"]
    c5 = res.table.set_index("id").loc["C5"]
    assert c5["p"] < 0.05 and -0.22 < c5["ci_low"] <= c5["estimate"] <= c5["ci_high"] < 0.22


def test_real_effects_are_not_read_as_no_effect():
    # SIMULATED: technology OR 1.8 per SD, university schooling and English OR 2.7, women's
    # attainment +0.8 logit: never "supports", at the paper's size or with 40 CoPs
    effects = dict(GENERATING_MODEL) | {
        "tech_mastery": 0.6,
        "schooling_university": 1.0,
        "language_en": 1.0,
        "gender_woman": 0.8,
    }
    for n, cops in ((180, 7), (1000, 40)):
        survey = make_survey(
            seed=2, mode="parametric", n_respondents=n, n_cops=cops, effects=effects
        )
        got = _verdicts(compare_with_paper(survey, claims=["C6", "C7", "C10"], n_permutations=99))
        assert "supports" not in got.values(), (n, got)
        if cops == 40:
            assert got == dict.fromkeys(["C6", "C7", "C10"], "contradicts")


def test_wide_intervals_are_inconclusive_and_say_why(example):
    ev = example.table.set_index("id")["evidence"]
    for cid in ("C5", "C7", "C10"):
        assert _verdicts(example)[cid] == "inconclusive"
        assert "cannot show equivalence" in ev[cid] or "reaches beyond the margin" in ev[cid]
    assert "wider than the margin itself" in ev["C5"]


def test_a_category_nested_in_cops_cannot_be_shown_not_to_matter(example_survey):
    # one schooling level per CoP: no two levels meet within a CoP, nothing can be compared
    survey = example_survey.drop(columns=["professional_category", "language"])
    cops = sorted(survey["cop_id"].unique())
    levels = ["secondary", "college", "university", "graduate"]
    survey["schooling"] = survey["cop_id"].map({c: levels[i % 4] for i, c in enumerate(cops)})
    row = compare_with_paper(survey, claims=["C10"], n_permutations=99).table.iloc[0]
    assert row["verdict"] == "inconclusive"
    assert "no level can be compared with another within CoPs" in row["evidence"]


@pytest.mark.parametrize(
    ("prior", "verdict", "says"),
    [
        (0.0, "inconclusive", "not shown: that it helps"),  # no effect: "helps" is not shown
        (0.25, "supports", "one-sided p < 0.001 for > 0"),  # helps, and less than commitment
        (-0.5, "contradicts", "does not help"),
        (1.5, "contradicts", "larger than commitment"),
    ],
)
def test_c4_tests_both_halves(prior, verdict, says):
    effects = dict(GENERATING_MODEL) | {"prior_acquaintance": prior}
    survey = make_survey(seed=2, mode="parametric", n_respondents=1000, n_cops=40, effects=effects)
    row = compare_with_paper(survey, claims=["C4"]).table.iloc[0]
    assert row["verdict"] == verdict, row["evidence"]
    assert says in row["evidence"]


def _shared_shift_survey(seed: int) -> pd.DataFrame:
    """SIMULATED: no gap between importance and attainment on any objective, but every
    attainment answer of a respondent shares that respondent's shift."""
    rng = np.random.default_rng(seed)
    n = 100
    survey = pd.DataFrame({"cop_id": [f"cop_{i % 7}" for i in range(n)]})
    shift = rng.normal(0.0, 1.0, n)
    for o in OBJECTIVES:
        survey[f"imp_{o}"] = 3.0 + rng.normal(0.0, 0.3, n)
        survey[f"att_{o}"] = 3.0 + shift + rng.normal(0.0, 0.3, n)
    survey.attrs["simulated"] = True
    return survey


def test_c12_a_shared_respondent_effect_is_not_a_gap():
    # a seed where the sample's mean shift is negative: every objective's attainment mean is
    # below its importance mean, so a sign test over the 15 objectives would "support"
    survey = _shared_shift_survey(3)
    means = [survey[f"att_{o}"].mean() - survey[f"imp_{o}"].mean() for o in OBJECTIVES]
    assert all(g < 0 for g in means)
    assert stats.binomtest(15, 15, 0.5).pvalue < 0.05
    row = compare_with_paper(survey, claims=["C12"], n_permutations=199).table.iloc[0]
    assert row["verdict"] == "inconclusive", row["evidence"]
    assert row["estimate"] == 1.0 and row["ci_low"] < 0.8
    assert "within each of the 7 CoPs" in row["evidence"]
    # and from the simulator (respondent effect shared by all objectives, no gap)
    survey = make_survey(
        seed=4, mode="parametric", n_respondents=180, n_cops=7, t2_rate=0.57,
        importance_gap=0.0, respondent_sd=1.0, objective_sd=0.0,
    )  # fmt: skip
    assert (
        compare_with_paper(survey, claims=["C12"], n_permutations=199).table.loc[0, "verdict"]
        != "supports"
    )


def test_c12_a_real_gap_is_supported_with_cops_resampled():
    survey = make_survey(seed=4, mode="parametric", n_respondents=500, n_cops=20, respondent_sd=1.0)
    row = compare_with_paper(survey, claims=["C12"], n_permutations=199).table.iloc[0]
    assert row["verdict"] == "supports", row["evidence"]
    assert row["ci_low"] >= 0.8 and "resamples of the 20 CoPs" in row["evidence"]


def test_c13_ties_do_not_support():
    # parametric default: one attainment level copied into every objective, all tied
    survey = make_survey(seed=1, mode="parametric", n_respondents=300, n_cops=10)
    row = compare_with_paper(survey, claims=["C13"], n_permutations=99).table.iloc[0]
    assert row["verdict"] == "inconclusive"
    assert "attainment rank 8.0" in row["evidence"] and "tied with 14" in row["evidence"]


def test_c13_supported_when_learning_and_problem_solving_stand_out():
    survey = make_survey(
        seed=4, mode="parametric", n_respondents=1000, n_cops=40, objective_sd=0.0,
        objective_effects={"learning": 1.0, "problem_solving": 1.0},
        importance_effects={"learning": -0.5, "problem_solving": -0.5},
    )  # fmt: skip
    row = compare_with_paper(survey, claims=["C13"], n_permutations=99).table.iloc[0]
    assert row["verdict"] == "supports", row["evidence"]
    assert row["ci_low"] <= row["estimate"] <= row["ci_high"] <= 5
