"""Frequency and probability (survey) weights of OrdinalRegression.

Frequency weights must give exactly the results of the data expanded to one row per
respondent, covariances included. Probability weights are checked against R's
``survey::svyolr`` (``tests/results/ordinal_weights.R`` writes ``ordinal_weights.json``; R is
not needed to run these tests). Tolerances against R: estimates 1e-4 absolute, standard errors
and covariances 1e-3 relative (svyolr's bread is a finite-difference Hessian).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from copfactors.errors import ModelInputError
from copfactors.models import OrdinalRegression

RESULTS = Path(__file__).parent / "results"
HOUSING_COLUMNS = [
    "InflMedium",
    "InflHigh",
    "TypeApartment",
    "TypeAtrium",
    "TypeTerrace",
    "ContHigh",
]
CLUSTERED_COLUMNS = ["hours_per_week", "steward_present", "members"]
ATOL_PARAMS = 1e-4
RTOL_SE = 1e-3
RTOL_EXPANDED = 1e-8
TOL = 1e-12  # tight convergence, so that weighted and expanded fits meet at rtol 1e-8


@cache
def reference() -> dict:
    return json.loads((RESULTS / "ordinal_weights.json").read_text())


@cache
def housing() -> tuple[pd.DataFrame, pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    data = pd.read_csv(RESULTS / "housing.csv")
    ref = reference()
    y = pd.Series(pd.Categorical(data["Sat_label"], categories=ref["levels"], ordered=True))
    return (
        data[HOUSING_COLUMNS],
        y,
        data["Freq"].to_numpy(),
        np.asarray(ref["w"], dtype=float),
        np.asarray(ref["cl"]),
    )


def ref_params(block: dict) -> pd.Series:
    return pd.Series({**block["thresholds"], **block["coef"]})


def ref_matrix(block: dict) -> pd.DataFrame:
    names = block["vcov"]["names"]
    return pd.DataFrame(np.asarray(block["vcov"]["matrix"], dtype=float), names, names)


def assert_cov_close(model: OrdinalRegression, block: dict, rtol: float = RTOL_SE) -> None:
    expected = ref_matrix(block)
    got = model.cov_.loc[expected.index, expected.columns]
    se = np.sqrt(np.diag(expected.to_numpy()))
    assert_allclose(model.se_[expected.index], se, rtol=rtol)
    # entries scaled by the SEs (correlations), so that small covariances are not over-tested
    assert_allclose(
        got.to_numpy() / np.outer(se, se), expected.to_numpy() / np.outer(se, se), atol=rtol
    )


# ---------------------------------------------------------------------------------------------
# frequency weights: exactly the expanded data


def expand(X: pd.DataFrame, y: pd.Series, w: np.ndarray, groups=None):
    rows = np.repeat(np.arange(len(y)), w.astype(int))
    Xe = X.iloc[rows].reset_index(drop=True)
    ye = y.iloc[rows].reset_index(drop=True)
    ge = None if groups is None else np.asarray(groups)[rows]
    return Xe, ye, ge


def assert_same_fit(a: OrdinalRegression, b: OrdinalRegression) -> None:
    assert_allclose(a.params_, b.params_, rtol=RTOL_EXPANDED, atol=1e-10)
    assert_allclose(a.loglik_, b.loglik_, rtol=RTOL_EXPANDED)
    assert_allclose(a.cov_, b.cov_, rtol=RTOL_EXPANDED, atol=1e-14)
    assert a.nobs_ == b.nobs_
    assert_allclose(a.aic_, b.aic_, rtol=RTOL_EXPANDED)
    assert_allclose(a.bic_, b.bic_, rtol=RTOL_EXPANDED)


@pytest.mark.parametrize("cov_type", ["nonrobust", "robust", "cluster"])
def test_frequency_weights_equal_expanded_housing(cov_type):
    X, y, freq, _, cl = housing()
    groups = cl if cov_type == "cluster" else None
    weighted = OrdinalRegression(cov_type=cov_type, tol=TOL).fit(
        X, y, sample_weight=freq, groups=groups
    )
    Xe, ye, ge = expand(X, y, freq, groups)
    expanded = OrdinalRegression(cov_type=cov_type, tol=TOL).fit(Xe, ye, groups=ge)
    assert weighted.nobs_ == 1681
    assert_same_fit(weighted, expanded)
    if cov_type == "cluster":
        assert weighted.n_clusters_ == expanded.n_clusters_ == 20


@pytest.mark.parametrize("cov_type", ["nonrobust", "robust", "cluster"])
def test_frequency_weights_equal_expanded_simulated_clusters(cov_type):
    data = pd.read_csv(RESULTS / "clustered.csv")
    X, y, cop = data[CLUSTERED_COLUMNS], data["attainment"], data["cop_id"].to_numpy()
    w = np.random.default_rng(42).integers(1, 5, size=len(y))
    groups = cop if cov_type == "cluster" else None
    weighted = OrdinalRegression(cov_type=cov_type, tol=TOL).fit(
        X, y, sample_weight=w, groups=groups
    )
    Xe, ye, ge = expand(X, y, w, groups)
    expanded = OrdinalRegression(cov_type=cov_type, tol=TOL).fit(Xe, ye, groups=ge)
    assert_same_fit(weighted, expanded)


def test_frequency_weights_of_two_halve_the_robust_covariance():
    # two identical respondents per row: twice the data, half the HC0 covariance
    data = pd.read_csv(RESULTS / "clustered.csv")
    X, y = data[CLUSTERED_COLUMNS], data["attainment"]
    once = OrdinalRegression(cov_type="robust", tol=TOL).fit(X, y)
    twice = OrdinalRegression(cov_type="robust", tol=TOL).fit(
        X, y, sample_weight=np.full(len(y), 2.0)
    )
    assert_allclose(twice.cov_, once.cov_ / 2.0, rtol=1e-8)


@pytest.mark.parametrize("cov_type", ["nonrobust", "robust", "cluster"])
def test_frequency_weights_match_clm_on_expanded_housing(cov_type):
    # R: clm on the 1681 expanded rows; vcov, sandwich(fit), vcovCL(fit, cluster = cl)
    ref = reference()["frequency"]
    X, y, freq, _, cl = housing()
    groups = cl if cov_type == "cluster" else None
    model = OrdinalRegression(cov_type=cov_type).fit(X, y, sample_weight=freq, groups=groups)
    expected = ref_params(ref)
    assert_allclose(model.params_[expected.index], expected, atol=ATOL_PARAMS)
    assert_allclose(model.loglik_, ref["loglik"], atol=1e-6)
    assert model.nobs_ == ref["nobs"]
    assert_cov_close(model, ref[cov_type])


def test_frequency_robust_is_not_the_probability_sandwich():
    # the issue: HC0 on Freq-weighted housing was ~5x the expanded data's SEs
    X, y, freq, _, _ = housing()
    freq_fit = OrdinalRegression(cov_type="robust").fit(X, y, sample_weight=freq)
    prob_fit = OrdinalRegression(cov_type="robust", weight_kind="probability").fit(
        X, y, sample_weight=freq
    )
    assert_allclose(freq_fit.params_, prob_fit.params_, atol=1e-10)
    assert (prob_fit.se_ / freq_fit.se_).min() > 3


# ---------------------------------------------------------------------------------------------
# probability weights: survey::svyolr


@pytest.mark.parametrize(
    ("key", "cov_type"), [("probability", "robust"), ("probability_cluster", "cluster")]
)
def test_probability_weights_match_svyolr(key, cov_type):
    ref = reference()[key]
    X, y, _, w, cl = housing()
    groups = cl if cov_type == "cluster" else None
    model = OrdinalRegression(cov_type=cov_type, weight_kind="probability").fit(
        X, y, sample_weight=w, groups=groups
    )
    expected = ref_params(ref)
    assert_allclose(model.params_[expected.index], expected, atol=ATOL_PARAMS)
    assert_cov_close(model, ref)
    # clm's analytic Hessian in the same sandwich: much closer
    assert_cov_close(model, ref["manual"], rtol=1e-6)
    assert_allclose(model.params_[expected.index], ref_params(ref["manual"]), atol=1e-6)
    assert_allclose(model.loglik_, ref["pseudo_loglik"], atol=1e-6)
    assert model.nobs_ == len(y) == 72
    if cov_type == "cluster":
        assert model.n_clusters_ == ref["n_psu"] == 20


def test_probability_weights_give_no_likelihood_quantities():
    X, y, _, w, _ = housing()
    model = OrdinalRegression(cov_type="robust", weight_kind="probability").fit(
        X, y, sample_weight=w
    )
    assert np.isnan(model.aic_) and np.isnan(model.bic_)
    assert np.isnan(model.r2_nagelkerke_)
    assert 0 < model.r2_mcfadden_ < 1
    lr = model.lr_test()
    assert np.isnan(lr["chi2"]) and np.isnan(lr["p"]) and lr["df"] == 6
    with pytest.raises(ModelInputError, match="probability"):
        model.nominal_test()
    with pytest.raises(ModelInputError, match="probability"):
        model.brant_test()
    notes = " ".join(model.summary().attrs["notes"])
    assert "probability (survey) weights" in notes and "svyolr" in notes
    text = model.render_summary()
    header = {line.split(":")[0].strip() for line in text.splitlines() if ":" in line}
    assert not header & {"AIC", "BIC", "Nagelkerke R2", "LR test vs null"}
    assert "72 (probability-weighted)" in text and "pseudo" in text


def test_probability_weights_are_scale_free():
    X, y, _, w, cl = housing()
    a = OrdinalRegression(cov_type="cluster", weight_kind="probability").fit(
        X, y, sample_weight=w, groups=cl
    )
    b = OrdinalRegression(cov_type="cluster", weight_kind="probability").fit(
        X, y, sample_weight=w / w.mean(), groups=cl
    )
    assert_allclose(a.params_, b.params_, atol=1e-8)
    assert_allclose(a.cov_, b.cov_, rtol=1e-6, atol=1e-12)


def test_probability_weights_refuse_nonrobust():
    X, y, _, w, _ = housing()
    model = OrdinalRegression(weight_kind="probability")
    with pytest.raises(ModelInputError, match='cov_type="robust"'):
        model.fit(X, y, sample_weight=w)
    assert not hasattr(model, "coef_")


def test_weight_kind_without_weights_changes_nothing():
    X, y, _, _, _ = housing()
    a = OrdinalRegression(cov_type="robust").fit(X, y)
    b = OrdinalRegression(cov_type="robust", weight_kind="probability").fit(X, y)
    assert_allclose(a.cov_, b.cov_, rtol=1e-12)
    assert a.aic_ == b.aic_


@pytest.mark.parametrize("bad", ["pweight", "Frequency", None, 1])
def test_weight_kind_is_validated(bad):
    X, y, freq, _, _ = housing()
    with pytest.raises(ModelInputError, match="weight_kind must be one of") as info:
        OrdinalRegression(weight_kind=bad).fit(X, y, sample_weight=freq)
    assert "'frequency'" in str(info.value) and "'probability'" in str(info.value)


def test_weight_kind_is_a_parameter():
    from sklearn.base import clone

    model = OrdinalRegression(weight_kind="probability")
    assert model.get_params()["weight_kind"] == "probability"
    assert clone(model).weight_kind == "probability"
