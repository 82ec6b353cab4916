"""Tests of copfactors.models.OrdinalRegression: estimation, inference, contract, failures.

Comparisons with R live in ``test_models_reference.py``; here the model is checked against
simulated truth, against statsmodels, against its own invariances and on bad input.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.utils.estimator_checks import estimator_checks_generator

from copfactors.errors import (
    ConvergenceWarning,
    CopFactorsError,
    CopFactorsWarning,
    NotFittedError,
    PerfectSeparationWarning,
)
from copfactors.models import ModelInputError, OrdinalRegression
from helpers import assert_valid_proba, simulate_ordinal, wald_covers

BETA = {"hours_per_week": 0.6, "steward_present": -0.9, "members": 0.25}
THRESHOLDS = [-1.0, 0.3, 1.6]


def fit_quietly(model: OrdinalRegression, X, y, **kwargs) -> OrdinalRegression:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(X, y, **kwargs)


# ---------------------------------------------------------------------------------------------
# estimation against known truth


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
def test_recovers_simulated_parameters(link):
    X, y = simulate_ordinal(4000, BETA, THRESHOLDS, link=link, seed=11)
    model = OrdinalRegression(link=link).fit(X, y)
    assert model.converged_
    for name, truth in BETA.items():
        assert wald_covers(model.coef_[name], model.se_[name], truth), name
    for name, truth in zip(model.thresholds_.index, THRESHOLDS, strict=True):
        assert wald_covers(model.thresholds_[name], model.se_[name], truth), name
    # the estimates are informative, not just wide
    assert model.se_.max() < 0.1


def test_signs_follow_r_parameterisation():
    # a positive coefficient moves the outcome up: higher expected level for larger x
    X, y = simulate_ordinal(2000, {"x": 1.0}, [-0.5, 0.5], seed=3)
    model = OrdinalRegression().fit(X, y)
    assert model.coef_["x"] > 0
    assert (
        model.predict_expected(pd.DataFrame({"x": [2.0]}))[0]
        > model.predict_expected(pd.DataFrame({"x": [-2.0]}))[0]
    )


# ---------------------------------------------------------------------------------------------
# against statsmodels (imported lazily: the library itself must not need it)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_matches_statsmodels_ordered_model(link):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    X, y = simulate_ordinal(500, BETA, THRESHOLDS, link=link, seed=5)
    codes = y.cat.codes.to_numpy()
    sm_model = OrderedModel(codes, X, distr=link)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # BFGS stops just short of its gtol
        res = sm_model.fit(method="bfgs", disp=False, maxiter=5000, gtol=1e-10)
    ours = OrdinalRegression(link=link).fit(X, y)
    assert_allclose(ours.coef_.to_numpy(), res.params[: len(BETA)], atol=1e-4)
    thresholds = sm_model.transform_threshold_params(res.params)[1:-1]
    assert_allclose(ours.thresholds_.to_numpy(), thresholds, atol=1e-4)
    assert_allclose(ours.loglik_, res.llf, atol=1e-6, rtol=0)


@pytest.fixture(scope="module")
def binary_data():
    X, y = simulate_ordinal(600, BETA, [0.2], seed=21)
    groups = np.random.default_rng(21).integers(0, 25, size=len(y))
    return X, y.cat.codes.to_numpy(), groups


def _sm_logit(X, y, **fit_kwargs):
    import statsmodels.api as sm

    return sm.Logit(y.astype(float), sm.add_constant(X)).fit(disp=False, tol=1e-12, **fit_kwargs)


def test_binary_matches_statsmodels_logit(binary_data):
    X, y, _ = binary_data
    ref = _sm_logit(X, y)
    ours = OrdinalRegression().fit(X, y)
    # P(Y <= 0) = F(theta - x'b): the threshold is minus the logit intercept
    assert_allclose(ours.thresholds_.iloc[0], -ref.params["const"], atol=1e-6)
    assert_allclose(ours.coef_.to_numpy(), ref.params[X.columns], atol=1e-6)
    assert_allclose(ours.se_.to_numpy(), ref.bse.to_numpy(), rtol=1e-4)
    assert_allclose(ours.loglik_, ref.llf, atol=1e-8, rtol=0)
    # statsmodels fits the null model iteratively; ours is the closed form
    assert_allclose(ours.loglik_null_, ref.llnull, atol=1e-6, rtol=0)
    assert_allclose(ours.r2_mcfadden_, ref.prsquared, rtol=1e-8)


def test_binary_robust_matches_statsmodels_hc0(binary_data):
    X, y, _ = binary_data
    ref = _sm_logit(X, y, cov_type="HC0")
    ours = OrdinalRegression(cov_type="robust").fit(X, y)
    assert_allclose(ours.se_.to_numpy(), ref.bse.to_numpy(), rtol=1e-4)


def test_binary_cluster_is_statsmodels_uncorrected_times_g_over_g_minus_1(binary_data):
    # statsmodels' cluster covariance with use_correction=False has no small-sample factor;
    # ours (as sandwich::vcovCL's default) multiplies it by G / (G - 1) and by nothing else.
    X, y, groups = binary_data
    ref = _sm_logit(X, y, cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    ours = OrdinalRegression(cov_type="cluster").fit(X, y, groups=groups)
    G = len(np.unique(groups))
    assert ours.n_clusters_ == G
    assert_allclose(
        ours.cov_.to_numpy()[1:, 1:],
        ref.cov_params().to_numpy()[1:, 1:] * G / (G - 1),
        rtol=1e-4,
        atol=1e-12,
    )
    assert_allclose(ours.se_.to_numpy(), ref.bse.to_numpy() * np.sqrt(G / (G - 1)), rtol=1e-4)
    # statsmodels' default correction also has (N - 1) / (N - k): not what we do
    default = _sm_logit(X, y, cov_type="cluster", cov_kwds={"groups": groups})
    assert not np.allclose(ours.se_.to_numpy(), default.bse.to_numpy(), rtol=1e-4)


# ---------------------------------------------------------------------------------------------
# the solver's analytic derivatives and its large-data paths


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
def test_analytic_derivatives_match_finite_differences(link):
    from copfactors.models import _solver
    from copfactors.models._core import build_design
    from copfactors.models._links import get_link

    rng = np.random.default_rng(40)
    n = 200
    X = pd.DataFrame(
        {"hours": rng.normal(size=n), "steward": rng.integers(0, 2, n), "size": rng.normal(size=n)}
    )
    y = np.digitize(X["hours"] - 0.5 * X["steward"] + rng.logistic(size=n), [-1, 0, 1])
    w = rng.integers(1, 4, n).astype(float)
    model = OrdinalRegression(link=link, nominal=["steward"]).fit(X, y, sample_weight=w)
    design = build_design(model._data, model._loc_idx, model._nominal_idx)
    F = get_link(link)
    params = model.params_.to_numpy()
    _, grad, info = _solver.derivatives(design, F, params, ordered=False)
    scores = _solver.scores(design, F, params)
    assert_allclose(scores.sum(axis=0), grad, atol=1e-10)
    h = 1e-6
    for k in range(len(params)):
        step = np.zeros(len(params))
        step[k] = h
        up, _, _ = _solver.row_terms(design, F, params + step)
        down, _, _ = _solver.row_terms(design, F, params - step)
        numeric = design.w * (np.log(up) - np.log(down)) / (2 * h)
        assert_allclose(scores[:, k], numeric, atol=1e-7)
        g_up = _solver.derivatives(design, F, params + 100 * step, ordered=False)[1]
        g_down = _solver.derivatives(design, F, params - 100 * step, ordered=False)[1]
        assert_allclose(-(g_up - g_down) / (200 * h), info[:, k], rtol=1e-6, atol=1e-6)


def test_large_data_paths_reach_the_same_optimum(monkeypatch):
    # 250,000 x 8 predictors: above the thresholds for threads over blocks of rows and for the
    # subsample start; neither may change the result beyond the convergence tolerance
    from copfactors.models import _solver

    rng = np.random.default_rng(41)
    n, p = 250_000, 8
    X = rng.normal(size=(n, p))
    y = np.digitize(X @ rng.normal(scale=0.4, size=p) + rng.logistic(size=n), [-1.5, 0.0, 1.5])
    fast = OrdinalRegression().fit(X, y)
    monkeypatch.setattr(_solver, "_SUBSAMPLE_MIN_ROWS", 10**12)
    monkeypatch.setattr(_solver, "_PARALLEL_MIN_CELLS", 10**12)
    plain = OrdinalRegression().fit(X, y)
    assert fast.converged_ and plain.converged_
    assert fast.n_iter_ < plain.n_iter_
    assert_allclose(fast.params_, plain.params_, rtol=0, atol=1e-7)
    assert_allclose(fast.se_, plain.se_, rtol=1e-6)
    assert_allclose(fast.loglik_, plain.loglik_, rtol=1e-12)


def test_threads_do_not_change_results(monkeypatch):
    from copfactors.models import _solver

    rng = np.random.default_rng(42)
    X = rng.normal(size=(300_000, 7))
    y = np.digitize(X @ rng.normal(scale=0.4, size=7) + rng.logistic(size=300_000), [-1, 1])
    threaded = OrdinalRegression().fit(X, y)
    monkeypatch.setattr(_solver.os, "cpu_count", lambda: 1)
    sequential = OrdinalRegression().fit(X, y)
    # exact: the solver's threads sum fixed blocks of rows, combined in block order
    assert_array_equal(threaded.params_.to_numpy(), sequential.params_.to_numpy())
    assert_array_equal(threaded.cov_.to_numpy(), sequential.cov_.to_numpy())


# ---------------------------------------------------------------------------------------------
# weights


def test_frequency_weights_equal_repeated_rows():
    X, y = simulate_ordinal(300, BETA, THRESHOLDS, seed=8)
    w = np.random.default_rng(8).integers(0, 4, size=len(y))
    weighted = OrdinalRegression().fit(X, y, sample_weight=w)
    repeated = OrdinalRegression().fit(X.loc[X.index.repeat(w)], y.repeat(w))
    assert_allclose(weighted.params_, repeated.params_, atol=1e-8)
    assert_allclose(weighted.cov_, repeated.cov_, rtol=1e-6, atol=1e-12)
    assert_allclose(weighted.loglik_, repeated.loglik_, rtol=1e-12)
    assert weighted.nobs_ == w.sum() == repeated.nobs_
    assert_allclose(weighted.bic_, repeated.bic_, rtol=1e-12)


def test_zero_weight_rows_are_dropped():
    X, y = simulate_ordinal(300, BETA, THRESHOLDS, seed=9)
    w = np.ones(len(y))
    w[:40] = 0
    weighted = OrdinalRegression().fit(X, y, sample_weight=w)
    dropped = OrdinalRegression().fit(X.iloc[40:], y.iloc[40:])
    assert_allclose(weighted.params_, dropped.params_, atol=1e-10)


def test_frequency_weights_of_two_are_the_data_twice_for_the_robust_covariance():
    # frequency weights: weight 2 is two identical respondents, so the HC0 covariance halves,
    # as for the data expanded to one row per respondent (sandwich::estfun on a weighted
    # polr/clm instead multiplies each row's score by its weight and gives the unweighted HC0:
    # it reads weights as scaling, not as counts)
    X, y = simulate_ordinal(300, BETA, THRESHOLDS, seed=10)
    once = OrdinalRegression(cov_type="robust").fit(X, y)
    twice = OrdinalRegression(cov_type="robust").fit(X, y, sample_weight=np.full(len(y), 2.0))
    assert_allclose(twice.cov_, once.cov_ / 2, rtol=1e-8)


# ---------------------------------------------------------------------------------------------
# inference and tidy output


@pytest.fixture(scope="module")
def fitted():
    X, y = simulate_ordinal(800, BETA, THRESHOLDS, seed=2, labels=["none", "some", "most", "all"])
    return X, y, OrdinalRegression().fit(X, y)


def test_learned_attributes(fitted):
    _, y, model = fitted
    assert list(model.classes_) == ["none", "some", "most", "all"]
    assert list(model.thresholds_.index) == ["none|some", "some|most", "most|all"]
    assert list(model.coef_.index) == list(BETA)
    assert list(model.feature_names_in_) == list(BETA)
    assert model.n_features_in_ == 3
    assert list(model.cov_.index) == [*model.thresholds_.index, *BETA]
    assert model.nobs_ == len(y)
    assert model.df_model_ == 3
    assert model.n_iter_ >= 1
    assert model.separation_ == []
    assert model.nominal_coef_.shape == (3, 0)


def test_information_criteria_and_pseudo_r2(fitted):
    _, y, model = fitted
    k = len(model.params_)
    assert_allclose(model.aic_, -2 * model.loglik_ + 2 * k)
    assert_allclose(model.bic_, -2 * model.loglik_ + np.log(len(y)) * k)
    assert_allclose(model.r2_mcfadden_, 1 - model.loglik_ / model.loglik_null_)
    n = len(y)
    cox_snell = 1 - np.exp(2 * (model.loglik_null_ - model.loglik_) / n)
    assert_allclose(model.r2_nagelkerke_, cox_snell / (1 - np.exp(2 * model.loglik_null_ / n)))
    assert model.pseudo_r2("mcfadden") == model.r2_mcfadden_
    with pytest.raises(ModelInputError, match="kind"):
        model.pseudo_r2("efron")


def test_null_loglik_is_thresholds_only_fit(fitted):
    _, y, model = fitted
    proportions = y.value_counts(normalize=True, sort=False).to_numpy()
    assert_allclose(model.loglik_null_, len(y) * np.sum(proportions * np.log(proportions)))


def test_lr_test(fitted):
    _, _, model = fitted
    test = model.lr_test()
    assert_allclose(test["chi2"], 2 * (model.loglik_ - model.loglik_null_))
    assert test["df"] == 3
    assert_allclose(test["p"], stats.chi2.sf(test["chi2"], 3))


def test_summary_table(fitted):
    _, _, model = fitted
    table = model.summary()
    assert list(table.columns) == [
        "term", "kind", "coef", "se", "z", "p", "ci_low", "ci_high",
        "odds_ratio", "or_ci_low", "or_ci_high",
    ]  # fmt: skip
    assert table["kind"].tolist() == ["threshold"] * 3 + ["coef"] * 3
    assert_allclose(table["z"], table["coef"] / table["se"])
    assert_allclose(table["p"], 2 * stats.norm.sf(np.abs(table["z"])))
    crit = stats.norm.ppf(0.975)
    assert_allclose(table["ci_low"], table["coef"] - crit * table["se"])
    coefs = table[table["kind"] == "coef"]
    assert_allclose(coefs["odds_ratio"], np.exp(coefs["coef"]))
    assert_allclose(coefs["or_ci_high"], np.exp(coefs["ci_high"]))
    assert table.loc[table["kind"] == "threshold", "odds_ratio"].isna().all()
    assert table.attrs["converged"] is True
    assert table.attrs["separation"] == []


def test_alpha_sets_interval_level():
    X, y = simulate_ordinal(300, BETA, THRESHOLDS, seed=4)
    table = OrdinalRegression(alpha=0.1).fit(X, y).summary()
    assert_allclose(table["ci_high"], table["coef"] + stats.norm.ppf(0.95) * table["se"])


def test_no_odds_ratios_for_probit():
    X, y = simulate_ordinal(300, BETA, THRESHOLDS, link="probit", seed=4)
    table = OrdinalRegression(link="probit").fit(X, y).summary()
    assert table[["odds_ratio", "or_ci_low", "or_ci_high"]].isna().all().all()


@pytest.mark.parametrize("style", ["text", "html", "latex"])
def test_print_summary_prints_and_returns(fitted, style, capsys):
    _, _, model = fitted
    text = model.render_summary(style=style)
    assert capsys.readouterr().out == ""
    assert model.print_summary(style=style) is None
    assert capsys.readouterr().out.strip() == text.strip()
    for fact in [
        "Observations",
        "Outcome levels",
        "Link",
        "Covariance",
        "Log-likelihood",
        "AIC",
        "BIC",
        "McFadden",
        "Nagelkerke",
        "LR test",
        "Convergence",
    ]:
        assert fact in text
    assert f"{model.loglik_:.4f}" in text
    if style == "html":
        assert text.startswith("<table") and "most|all" in text
    if style == "latex":
        assert "\\begin{tabular}" in text and "hours\\_per\\_week" in text


def test_predictions(fitted):
    X, y, model = fitted
    proba = model.predict_proba(X)
    assert_valid_proba(proba, 4)
    assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    # text labels: expected score on 1..K
    assert_allclose(model.predict_expected(X), proba @ np.arange(1, 5))
    assert_allclose(model.predict_linear(X), X.to_numpy() @ model.coef_.to_numpy())
    # cumulative probabilities are F(theta_j - x'b)
    cum = stats.logistic.cdf(
        model.thresholds_.to_numpy()[None, :] - model.predict_linear(X)[:, None]
    )
    assert_allclose(np.cumsum(proba, axis=1)[:, :-1], cum, atol=1e-12)
    assert 0 <= model.score(X, y.to_numpy()) <= 1


def test_expected_score_uses_numeric_levels():
    X, y = simulate_ordinal(400, BETA, THRESHOLDS, seed=6)
    y_int = y.cat.codes.to_numpy() * 10  # levels 0, 10, 20, 30
    model = OrdinalRegression().fit(X, y_int)
    assert list(model.classes_) == [0, 10, 20, 30]
    assert_allclose(model.predict_expected(X), model.predict_proba(X) @ [0, 10, 20, 30])


def test_boolean_outcome_is_binary_model():
    X, y = simulate_ordinal(300, BETA, [0.0], seed=7)
    model = OrdinalRegression().fit(X, y.cat.codes.to_numpy() == 1)
    assert list(model.classes_) == [False, True]
    assert list(model.thresholds_.index) == ["False|True"]
    assert model.predict(X).dtype == bool


def test_numpy_input_uses_display_names_only():
    X, y = simulate_ordinal(300, BETA, THRESHOLDS, seed=12)
    model = OrdinalRegression().fit(X.to_numpy(), y)
    assert not hasattr(model, "feature_names_in_")
    assert list(model.coef_.index) == ["x0", "x1", "x2"]
    df_model = OrdinalRegression().fit(X, y)
    assert_allclose(model.params_.to_numpy(), df_model.params_.to_numpy(), atol=1e-12)


# ---------------------------------------------------------------------------------------------
# partial proportional odds and tests of the proportional-odds assumption


def non_parallel_data(seed: int = 0, n: int = 1500):
    """steward_present has a different slope at each cut (violates proportional odds)."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {"hours_per_week": rng.normal(size=n), "steward_present": rng.integers(0, 2, n)}
    )
    slopes = np.array([1.5, 0.5, -0.5])
    cuts = np.array([-1.0, 0.2, 1.4])
    eta = cuts[None, :] - 0.7 * X["hours_per_week"].to_numpy()[:, None]
    eta -= X["steward_present"].to_numpy()[:, None] * slopes[None, :]
    cum = stats.logistic.cdf(eta)
    cum = np.maximum.accumulate(cum, axis=1)
    u = rng.random(n)
    y = (u[:, None] > cum).sum(axis=1)
    return X, y


def test_nominal_model_formula_and_sign():
    X, y = non_parallel_data()
    model = OrdinalRegression(nominal=["steward_present"]).fit(X, y)
    assert list(model.coef_.index) == ["hours_per_week"]
    assert model.nominal_coef_.shape == (3, 1)
    # R's sign: the nominal effect is added to the threshold, so it is minus the per-cut slope
    assert_allclose(model.nominal_coef_["steward_present"], [-1.5, -0.5, 0.5], atol=0.35)
    names = list(model.params_.index)
    assert names[3:6] == ["0|1.steward_present", "1|2.steward_present", "2|3.steward_present"]
    assert model.summary()["kind"].tolist() == ["threshold"] * 3 + ["nominal"] * 3 + ["coef"]
    # P(Y <= j) = F(theta_j + w gamma_j - x beta)
    row = pd.DataFrame({"hours_per_week": [0.3], "steward_present": [1.0]})
    cut = model.thresholds_ + model.nominal_coef_["steward_present"] - 0.3 * model.coef_.iloc[0]
    assert_allclose(np.cumsum(model.predict_proba(row)[0])[:-1], stats.logistic.cdf(cut))


def test_nominal_model_nests_proportional_odds():
    X, y = simulate_ordinal(600, BETA, THRESHOLDS, seed=13)
    po = OrdinalRegression().fit(X, y)
    partial = OrdinalRegression(nominal=["members"]).fit(X, y)
    assert partial.loglik_ >= po.loglik_ - 1e-9
    # data generated with parallel slopes: the nominal effects are all close to -beta
    assert_allclose(partial.nominal_coef_["members"], -po.coef_["members"], atol=0.3)
    assert partial.df_model_ == po.df_model_ + 2


def test_nominal_test_detects_non_parallel_predictor():
    X, y = non_parallel_data()
    model = OrdinalRegression().fit(X, y)
    table = model.nominal_test().set_index("term")
    assert list(table.index) == ["hours_per_week", "steward_present"]
    assert (table["df"] == 2).all()
    assert table.loc["steward_present", "p"] < 1e-6
    assert table.loc["hours_per_week", "p"] > 1e-3
    refit = OrdinalRegression(nominal=["steward_present"]).fit(X, y)
    assert_allclose(table.loc["steward_present", "loglik"], refit.loglik_, atol=1e-8)
    assert_allclose(table.loc["steward_present", "lr_stat"], 2 * (refit.loglik_ - model.loglik_))


def test_brant_test_detects_non_parallel_predictor():
    X, y = non_parallel_data()
    table = OrdinalRegression().fit(X, y).brant_test().set_index("term")
    assert list(table.index) == ["omnibus", "hours_per_week", "steward_present"]
    assert table.loc["omnibus", "df"] == 4
    assert table.loc["steward_present", "df"] == 2
    assert table.loc["steward_present", "p"] < 1e-6
    assert table.loc["hours_per_week", "p"] > 1e-3


def test_brant_symmetric_changes_only_the_omnibus_row():
    X, y = simulate_ordinal(800, BETA, THRESHOLDS, seed=14)
    model = OrdinalRegression().fit(X, y)
    package, paper = model.brant_test(), model.brant_test(symmetric=True)
    assert_allclose(package["chi2"].iloc[1:], paper["chi2"].iloc[1:], rtol=1e-10)
    assert not np.isclose(package["chi2"].iloc[0], paper["chi2"].iloc[0], rtol=1e-8, atol=0)
    assert_allclose(package["chi2"].iloc[0], paper["chi2"].iloc[0], rtol=0.05)


def test_brant_needs_logit_three_levels_and_no_nominal():
    X, y = simulate_ordinal(300, BETA, THRESHOLDS, seed=15)
    with pytest.raises(ModelInputError, match="logit"):
        OrdinalRegression(link="probit").fit(X, y).brant_test()
    with pytest.raises(ModelInputError, match="nominal"):
        OrdinalRegression(nominal=["members"]).fit(X, y).brant_test()
    with pytest.raises(ModelInputError, match="3 outcome levels"):
        OrdinalRegression().fit(X, y.cat.codes.to_numpy() > 1).brant_test()


# ---------------------------------------------------------------------------------------------
# properties (hypothesis)


@st.composite
def ordinal_problems(draw):
    seed = draw(st.integers(0, 2**31 - 1))
    n = draw(st.integers(60, 300))
    p = draw(st.integers(1, 4))
    K = draw(st.integers(2, 5))
    link = draw(st.sampled_from(["logit", "probit", "cloglog"]))
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"driver_{j}" for j in range(p)])
    beta = rng.normal(scale=0.7, size=p)
    latent = X.to_numpy() @ beta + rng.logistic(size=n)
    cuts = np.quantile(latent, np.linspace(0, 1, K + 1)[1:-1])
    y = np.searchsorted(cuts, latent)
    return X, y, link, rng


@settings(max_examples=25, deadline=None, derandomize=True)
@given(ordinal_problems())
def test_property_probabilities_and_order(problem):
    X, y, link, _ = problem
    model = fit_quietly(OrdinalRegression(link=link), X, y)
    K = len(np.unique(y))
    assert_valid_proba(model.predict_proba(X), K)
    assert np.all(np.diff(model.thresholds_.to_numpy()) > 0)
    # far outside the data the probabilities stay valid
    assert_valid_proba(model.predict_proba(X * 50), K)


@settings(max_examples=20, deadline=None, derandomize=True)
@given(ordinal_problems())
def test_property_invariant_to_row_and_column_order(problem):
    X, y, link, rng = problem
    model = fit_quietly(OrdinalRegression(link=link), X, y)
    rows = rng.permutation(len(y))
    cols = list(rng.permutation(X.columns))
    shuffled = fit_quietly(OrdinalRegression(link=link), X.iloc[rows][cols], y[rows])
    assert_allclose(shuffled.coef_[model.coef_.index], model.coef_, rtol=1e-7, atol=1e-9)
    assert_allclose(shuffled.thresholds_, model.thresholds_, rtol=1e-7, atol=1e-9)
    assert_allclose(shuffled.loglik_, model.loglik_, rtol=1e-10)
    # columns are matched by name when predicting
    assert_allclose(shuffled.predict_proba(X), model.predict_proba(X), atol=1e-8)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(ordinal_problems())
def test_property_refit_is_identical(problem):
    X, y, link, _ = problem
    model = OrdinalRegression(link=link)
    first = fit_quietly(model, X, y).params_.copy()
    second = fit_quietly(model, X, y).params_
    assert_array_equal(first.to_numpy(), second.to_numpy())
    third = fit_quietly(clone(model), X, y).params_
    assert_array_equal(first.to_numpy(), third.to_numpy())


# ---------------------------------------------------------------------------------------------
# failure modes


def test_constant_predictor_is_named():
    X, y = simulate_ordinal(200, BETA, THRESHOLDS, seed=16)
    X["always_one"] = 1.0
    with pytest.raises(ModelInputError, match="always_one.*constant"):
        OrdinalRegression().fit(X, y)


def test_collinear_predictors_are_named():
    X, y = simulate_ordinal(200, BETA, THRESHOLDS, seed=17)
    X["total"] = X["hours_per_week"] + 2 * X["members"] + 3
    with pytest.raises(ModelInputError, match="collinear") as info:
        OrdinalRegression().fit(X, y)
    message = str(info.value)
    for name in ["total", "hours_per_week", "members"]:
        assert name in message
    assert "steward_present" not in message


def test_nearly_collinear_predictor_is_accepted_exactly_collinear_refused():
    # residual variance (given the other columns) ~1e-9 relative: below the fast check's
    # margin, so the column-by-column check decides, and accepts it; an exact combination
    # (up to rounding) is refused with the same message as always
    X, y = simulate_ordinal(300, BETA, THRESHOLDS, seed=19)
    noise = np.random.default_rng(19).normal(size=len(X))
    base = X["hours_per_week"] + X["members"]
    scale = float(base.std())
    X["near"] = base + 3e-5 * scale * noise
    others = np.column_stack([np.ones(len(X)), X.drop(columns="near").to_numpy()])
    fitted_near = others @ np.linalg.lstsq(others, X["near"].to_numpy(), rcond=None)[0]
    residual = np.var(X["near"].to_numpy() - fitted_near) / np.var(X["near"].to_numpy())
    assert 1e-10 < residual < 1e-8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)  # huge opposite coefficients
        fitted = OrdinalRegression().fit(X, y)
    assert "near" in fitted.params_.index
    X["near"] = base * 1.0
    with pytest.raises(ModelInputError, match="'near' is perfectly collinear"):
        OrdinalRegression().fit(X, y)


@pytest.mark.parametrize(
    ("link", "weighted", "nominal"),
    [("logit", False, None), ("probit", True, None), ("cloglog", False, [1]), ("logit", True, [0])],
)
def test_point_fit_gives_the_estimates_of_fit_bit_for_bit(link, weighted, nominal):
    from copfactors.models import point_fit

    X, y = simulate_ordinal(250, BETA, THRESHOLDS, seed=20)
    w = np.random.default_rng(20).integers(1, 4, len(X)).astype(float) if weighted else None
    full = OrdinalRegression(link=link, nominal=nominal).fit(X, y, sample_weight=w)
    codes = np.asarray(y.cat.codes, dtype=np.int64)
    light = point_fit(
        np.ascontiguousarray(X.to_numpy(float)),
        codes,
        len(full.classes_),
        sample_weight=w,
        link=link,
        nominal=nominal or (),
    )
    assert_array_equal(light.params, full.params_.to_numpy())
    assert light.loglik == full.loglik_
    assert light.converged and light.n_iter == full.n_iter_
    assert light.separation == []


def test_point_fit_reports_separation_by_position():
    from copfactors.models import point_fit

    X, y = simulate_ordinal(200, BETA, THRESHOLDS, seed=21)
    codes = np.asarray(y.cat.codes, dtype=np.int64)
    x = np.column_stack([X["hours_per_week"].to_numpy(), codes.astype(float)])  # separates
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = OrdinalRegression().fit(x, codes)
        light = point_fit(x, codes, 4)
    # complete separation (x1 orders the levels with gaps): x0 can be added to the separating
    # direction too, so its estimate is infinite as well
    assert full.separation_ == ["x0", "x1"] and light.separation == ["x0", "x1"]
    # a single quasi-separating dummy (the top level only) is named alone
    top = ((codes == 3) & (np.arange(len(codes)) % 2 == 0)).astype(float)
    x = np.column_stack([X["hours_per_week"].to_numpy(), top])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = OrdinalRegression().fit(x, codes)
        light = point_fit(x, codes, 4)
    assert full.separation_ == ["x1"] and light.separation == ["x1"]
    assert point_fit(x, codes, 4, separation=False).separation is None


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
@pytest.mark.parametrize(("K", "weighted"), [(2, False), (3, True), (6, False)])
def test_vectorised_small_design_derivatives_match_the_level_blocks(monkeypatch, link, K, weighted):
    # designs up to _SMALL_MAX_ROWS rows take one vectorised pass; larger ones go level by
    # level in blocks: the two must agree (up to summation order) on every quantity
    from copfactors.models import _solver
    from copfactors.models._links import get_link

    rng = np.random.default_rng(K)
    n, p = 300, 4
    X = rng.normal(size=(n, p))
    codes = np.concatenate([np.arange(K), rng.integers(0, K, n - K)])
    w = rng.integers(1, 4, n).astype(float) if weighted else None
    design, _ = _solver.make_design(X, codes, K, w=w)
    lk = get_link(link)
    params = _solver.start_values(design, lk)
    params[K - 1 :] = rng.normal(scale=0.3, size=p)
    small = _solver.derivatives(design, lk, params)
    monkeypatch.setattr(_solver, "_SMALL_MAX_ROWS", 0)
    blocks = _solver.derivatives(design, lk, params)
    assert small is not None and blocks is not None
    assert small[0] == pytest.approx(blocks[0], rel=1e-13)
    assert_allclose(small[1], blocks[1], rtol=1e-10, atol=1e-11)
    assert_allclose(small[2], blocks[2], rtol=1e-12, atol=1e-12)
    # an invalid point (a row with probability zero) is refused by both
    bad = params.copy()
    bad[K - 1 :] = 1e4
    assert _solver.derivatives(design, lk, bad) is None
    monkeypatch.setattr(_solver, "_SMALL_MAX_ROWS", 10**6)
    assert _solver.derivatives(design, lk, bad) is None


def test_unused_categorical_level_is_named():
    X, y = simulate_ordinal(200, BETA, THRESHOLDS, seed=18)
    y = y.cat.add_categories([5])
    with pytest.raises(ModelInputError, match=r"no row takes: \[5\]"):
        OrdinalRegression().fit(X, y)


@pytest.mark.parametrize(
    "make_y",
    [
        lambda codes: np.array(["low", "mid", "high"], dtype=object)[codes],
        lambda codes: np.array(["low", "mid", "high"])[codes],
        lambda codes: pd.Series(pd.Categorical(np.array(["low", "mid", "high"])[codes])),
    ],
    ids=["object", "str", "unordered-categorical"],
)
def test_text_outcome_without_order_is_refused(make_y):
    X, y = simulate_ordinal(200, BETA, [-0.5, 0.5], seed=19)
    with pytest.raises(ModelInputError, match="order") as info:
        OrdinalRegression().fit(X, make_y(y.cat.codes.to_numpy()))
    assert "ordered=True" in str(info.value)


def test_ordered_text_outcome_keeps_its_order():
    X, y = simulate_ordinal(300, BETA, [-0.5, 0.5], seed=19, labels=["low", "mid", "high"])
    model = OrdinalRegression().fit(X, y)
    assert list(model.classes_) == ["low", "mid", "high"]  # not alphabetical


def test_non_convergence_warns():
    X, y = simulate_ordinal(300, BETA, THRESHOLDS, seed=20)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        model = OrdinalRegression(max_iter=1).fit(X, y)
    assert model.converged_ is False
    assert model.n_iter_ == 1
    assert model.summary().attrs["converged"] is False
    assert "did not converge" in model.render_summary()


def test_complete_separation_warns_and_marks_summary():
    rng = np.random.default_rng(22)
    X = pd.DataFrame(
        {"hours_per_week": rng.normal(size=150), "steward_present": rng.integers(0, 2, 150)}
    )
    y = X["steward_present"].to_numpy()  # steward_present decides the outcome
    with pytest.warns(PerfectSeparationWarning, match="hours_per_week, steward_present"):
        model = OrdinalRegression().fit(X, y)
    # complete separation: hours_per_week can join the separating direction, so its estimate
    # is infinite too (of either sign), as is the intercept
    assert model.separation_ == ["hours_per_week", "steward_present"]
    table = model.summary()
    assert table.attrs["separation"] == ["hours_per_week", "steward_present"]
    assert table["separated"].tolist() == [True, True, True]
    assert table[["se", "z", "p", "ci_low", "ci_high"]].isna().all().all()
    assert any("separation" in note for note in table.attrs["notes"])
    assert "hours_per_week, steward_present and the intercept are infinite" in (
        model.render_summary()
    )


def test_ordinal_separation_by_monotone_predictor_warns():
    rng = np.random.default_rng(23)
    X = pd.DataFrame({"hours_per_week": rng.normal(size=200), "members": rng.normal(size=200)})
    y = np.digitize(X["hours_per_week"], [-0.5, 0.5])
    with pytest.warns(PerfectSeparationWarning, match="hours_per_week"):
        model = OrdinalRegression().fit(X, y)
    # hours_per_week orders the levels with gaps (complete separation), so members can join
    # the separating direction and is infinite too
    assert model.separation_ == ["hours_per_week", "members"]


def test_strong_but_finite_effect_is_not_separation():
    X, y = simulate_ordinal(400, {"hours_per_week": 3.0, "members": 0.2}, THRESHOLDS, seed=24)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        model = OrdinalRegression().fit(X, y)
    assert model.separation_ == []


@pytest.mark.parametrize("bad, word", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_predictors_are_named_with_counts(bad, word):
    X, y = simulate_ordinal(200, BETA, THRESHOLDS, seed=25)
    X.loc[[3, 7, 9], "members"] = bad
    with pytest.raises(ModelInputError, match=word) as info:
        OrdinalRegression().fit(X, y)
    assert "'members'" in str(info.value) and "3 " in str(info.value)
    model = OrdinalRegression().fit(X.dropna().replace(np.inf, 0.0), y.loc[X.dropna().index])
    with pytest.raises(ModelInputError, match=word):
        model.predict(X)


def test_missing_outcome_is_counted():
    X, y = simulate_ordinal(200, BETA, THRESHOLDS, seed=26)
    y_float = y.cat.codes.to_numpy().astype(float)
    y_float[[1, 2]] = np.nan
    with pytest.raises(ModelInputError, match="2 missing"):
        OrdinalRegression().fit(X, y_float)
    y_cat = y.copy()
    y_cat.iloc[[4, 5, 6]] = np.nan
    with pytest.raises(ModelInputError, match="3 missing"):
        OrdinalRegression().fit(X, y_cat)


def test_continuous_and_single_level_outcomes_are_refused():
    X, _ = simulate_ordinal(100, BETA, THRESHOLDS, seed=27)
    with pytest.raises(ModelInputError, match="Unknown label type"):
        OrdinalRegression().fit(X, np.linspace(0, 1, 100))
    with pytest.raises(ModelInputError, match="only 1 class"):
        OrdinalRegression().fit(X, np.ones(100, dtype=int))


def test_non_numeric_predictor_is_named():
    X, y = simulate_ordinal(100, BETA, THRESHOLDS, seed=28)
    X["region"] = "north"
    with pytest.raises(ModelInputError, match="region.*not numeric"):
        OrdinalRegression().fit(X, y)


def test_predict_matches_columns_by_name(fitted):
    X, _, model = fitted
    reordered = X[list(reversed(X.columns))]
    assert_allclose(model.predict_proba(reordered), model.predict_proba(X))
    with pytest.raises(ModelInputError, match=r"missing column\(s\) \['members'\]"):
        model.predict(X.drop(columns="members"))
    with pytest.raises(ModelInputError, match=r"unexpected column\(s\) \['extra'\]"):
        model.predict(X.assign(extra=1.0))


def test_failed_fit_leaves_the_estimator_unchanged(fitted):
    X, y, _ = fitted
    model = OrdinalRegression().fit(X, y)
    before = model.params_.copy()
    with pytest.raises(ModelInputError, match="constant"):
        model.fit(X.assign(extra=1.0), y)
    assert list(model.feature_names_in_) == list(X.columns)
    assert_array_equal(model.params_, before)
    assert_allclose(model.predict_proba(X), OrdinalRegression().fit(X, y).predict_proba(X))


def test_changing_parameters_after_fit_does_not_change_the_fit(fitted):
    X, y, model = fitted
    model = clone(model).fit(X, y)
    proba = model.predict_proba(X)
    model.set_params(link="cloglog", cov_type="robust")
    assert_allclose(model.predict_proba(X), proba)
    assert model.summary().attrs["link"] == "logit"
    assert model.summary()["odds_ratio"].notna().any()


def test_predict_before_fit():
    model = OrdinalRegression()
    with pytest.raises(NotFittedError):
        model.predict_proba(np.zeros((2, 3)))
    with pytest.raises(SklearnNotFittedError):
        model.predict(np.zeros((2, 3)))
    with pytest.raises(CopFactorsError):
        model.summary()


@pytest.mark.parametrize(
    "params, match",
    [
        ({"link": "logistic"}, "link"),
        ({"cov_type": "HC3"}, "cov_type"),
        ({"alpha": 1.5}, "alpha"),
        ({"max_iter": -1}, "max_iter"),
        ({"tol": 0.0}, "tol"),
        ({"nominal": ["absent"]}, "absent"),
    ],
)
def test_invalid_parameters(params, match):
    X, y = simulate_ordinal(100, BETA, THRESHOLDS, seed=29)
    with pytest.raises(ModelInputError, match=match):
        OrdinalRegression(**params).fit(X, y)


def test_cluster_needs_groups_and_groups_need_cluster():
    X, y = simulate_ordinal(100, BETA, THRESHOLDS, seed=30)
    with pytest.raises(ModelInputError, match="groups"):
        OrdinalRegression(cov_type="cluster").fit(X, y)
    with pytest.warns(CopFactorsWarning, match="cov_type='nonrobust'"):
        OrdinalRegression().fit(X, y, groups=np.arange(100) % 5)
    with pytest.raises(ModelInputError, match="missing label"):
        OrdinalRegression(cov_type="cluster").fit(X, y, groups=[None] * 3 + [1] * 97)


def test_bad_sample_weights():
    X, y = simulate_ordinal(100, BETA, THRESHOLDS, seed=31)
    with pytest.raises(ModelInputError, match="negative"):
        OrdinalRegression().fit(X, y, sample_weight=np.r_[-1.0, np.ones(99)])
    with pytest.raises(ModelInputError, match="shape"):
        OrdinalRegression().fit(X, y, sample_weight=np.ones(50))


# ---------------------------------------------------------------------------------------------
# scikit-learn contract

# Checks the model fails on purpose, with the reason; each is asserted to fail with exactly
# that error below. check_array_api_input is left out: it tests array-API inputs, which the
# model does not take (it converts to NumPy), and it skips itself unless SCIPY_ARRAY_API is set.
EXPECTED_FAILED_CHECKS = {
    "check_classifiers_classes": (
        "uses unordered text labels ('one', 'two', ...): an ordinal outcome's order is never "
        "guessed, so fit refuses them"
    ),
    "check_sample_weight_equivalence_on_dense_data": (
        "fits 30 predictors on 15 rows: the predictors are collinear, which fit refuses "
        "(test_frequency_weights_equal_repeated_rows checks the equivalence on identifiable data)"
    ),
}
EXPECTED_ERRORS = {
    "check_classifiers_classes": "text labels .* without an order",
    "check_sample_weight_equivalence_on_dense_data": "perfectly collinear",
}


def _check_name(check) -> str:
    return getattr(check, "func", check).__name__


def _sklearn_checks():
    generator = estimator_checks_generator(
        OrdinalRegression(), legacy=True, expected_failed_checks=EXPECTED_FAILED_CHECKS
    )
    for estimator, check in generator:
        name = _check_name(check)
        if name != "check_array_api_input":
            yield pytest.param(estimator, check, id=name)


@pytest.mark.parametrize("estimator, check", list(_sklearn_checks()))
def test_sklearn_estimator_checks(estimator, check):
    name = _check_name(check)
    with warnings.catch_warnings():
        # the generic toy data are often separable; the warnings are right but beside the point
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        if name in EXPECTED_FAILED_CHECKS:
            with pytest.raises(ModelInputError, match=EXPECTED_ERRORS[name]):
                check(estimator)
        else:
            check(estimator)


def test_every_sklearn_check_is_run():
    names = {_check_name(check) for _, check in _sklearn_checks_raw()}
    assert set(EXPECTED_FAILED_CHECKS) <= names
    assert "check_estimators_nan_inf" in names and "check_fit_idempotent" in names


def _sklearn_checks_raw():
    return estimator_checks_generator(OrdinalRegression(), legacy=True)


def test_import_is_light():
    code = (
        "import sys, copfactors.models; "
        "heavy = [m for m in ('statsmodels', 'shap', 'matplotlib') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_brant_on_a_singular_split_is_a_copfactors_error():
    import warnings

    import copfactors as cf
    from copfactors.errors import CopFactorsError

    # the example survey: CoP-level drivers are constant within some binary splits
    survey = cf.load_example_survey()
    y = cf.attainment(survey)
    keep = y.notna()
    X = cf.CoPFeatureBuilder(exclude="sponsor").fit_transform(survey[keep])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = OrdinalRegression().fit(X, y[keep].loc[X.index].astype(int))
        with pytest.raises(CopFactorsError, match="singular.*nominal_test"):
            model.brant_test()


# ---------------------------------------------------------------------------------------------
# the summary's reference distribution with a cluster-robust covariance
def _few_clusters(G: int = 7, per: int = 30, seed: int = 11):
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    g = np.repeat(np.arange(G), per)
    X = pd.DataFrame({"x": rng.normal(size=G * per), "w": rng.normal(size=G)[g]})
    latent = 0.6 * X["x"] - 0.3 * X["w"] + rng.normal(0, 0.5, G)[g] + rng.logistic(size=G * per)
    return X, np.digitize(latent, [-1.0, 0.5, 2.0]), g


def test_cluster_summary_uses_student_t_on_g_minus_1_df():
    X, y, g = _few_clusters()
    model = OrdinalRegression(cov_type="cluster", alpha=0.1).fit(X, y, groups=g)
    table = model.summary()
    # by hand: the Wald ratio against Student's t with G - 1 = 6 df
    coef, se = model.params_.to_numpy(), model.se_.to_numpy()
    ratio = coef / se
    q = stats.t.ppf(0.95, 6)
    assert model.t_df_ == 6.0 and table.attrs["df"] == 6.0
    assert_allclose(table["z"], ratio, rtol=1e-12)
    assert_allclose(table["p"], 2 * stats.t.sf(np.abs(ratio), 6), rtol=1e-10)
    assert_allclose(table["ci_low"], coef - q * se, rtol=1e-10)
    assert_allclose(table["ci_high"], coef + q * se, rtol=1e-10)
    # wider than the normal's, and said in the header and the notes
    assert (table["p"] > 2 * stats.norm.sf(np.abs(ratio))).all()
    text = model.render_summary()
    assert "p and CI from t with 6 df" in text
    assert any("Student's t with G - 1 = 6 df" in n for n in table.attrs["notes"])


@pytest.mark.parametrize("cov_type", ["nonrobust", "robust"])
def test_other_summaries_keep_the_normal(cov_type):
    X, y, _ = _few_clusters()
    model = OrdinalRegression(cov_type=cov_type).fit(X, y)
    table = model.summary()
    ratio = (model.params_ / model.se_).to_numpy()
    assert model.t_df_ is None and table.attrs["df"] is None
    assert_allclose(table["p"], 2 * stats.norm.sf(np.abs(ratio)), rtol=1e-10)
    assert not any("Student" in n for n in table.attrs["notes"])
