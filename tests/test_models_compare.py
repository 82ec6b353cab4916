"""Nested-model and per-term tests (copfactors.models._compare, nominal_test by term).

Reference values from R (tests/results/ordinal_anova.R -> ordinal_anova.json):
``anova(clm_small, clm_large)``, ``drop1(clm_fit, test = "Chi")``,
``car::Anova(polr_fit, type = "II")``, ``car::linearHypothesis(clm_fit, ...)`` (Wald) and
``ordinal::nominal_test`` on ``ordinal::wine`` and ``MASS::housing`` (weights Freq).
"""

from __future__ import annotations

import json
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from copfactors.errors import CopFactorsError, ModelInputError, PerfectSeparationWarning
from copfactors.models import (
    MixedOrdinalRegression,
    OrdinalRegression,
    anova,
    lr_test,
    nominal_test,
)

RESULTS = Path(__file__).parent / "results"
ATOL_STAT = 1e-4
HOUSING_TERMS = {
    "Infl": ["InflMedium", "InflHigh"],
    "Type": ["TypeApartment", "TypeAtrium", "TypeTerrace"],
    "Cont": ["ContHigh"],
}
WINE_TERMS = {"temp": ["tempwarm"], "contact": ["contactyes"]}


@cache
def ref() -> dict:
    return json.loads((RESULTS / "ordinal_anova.json").read_text())


@cache
def _wine() -> tuple[pd.DataFrame, pd.Categorical]:
    w = pd.read_csv(RESULTS / "wine.csv")
    w["tempwarm:contactyes"] = w["tempwarm"] * w["contactyes"]
    return w, pd.Categorical(w["rating"], categories=[1, 2, 3, 4, 5], ordered=True)


@cache
def _housing() -> tuple[pd.DataFrame, pd.Categorical]:
    h = pd.read_csv(RESULTS / "housing.csv")
    return h, pd.Categorical(h["Sat"], categories=[1, 2, 3], ordered=True)


def wine_fit(columns, **kwargs) -> OrdinalRegression:
    w, y = _wine()
    return OrdinalRegression(**kwargs).fit(w[columns], y)


def housing_fit(columns) -> OrdinalRegression:
    h, y = _housing()
    return OrdinalRegression().fit(h[columns], y, sample_weight=h["Freq"])


HOUSING_COLUMNS = [c for cols in HOUSING_TERMS.values() for c in cols]


# ------------------------------------------------------------------------------ lr_test
@pytest.mark.parametrize(
    ("key", "small", "large", "kwargs"),
    [
        ("anova_temp_vs_main", ["tempwarm"], ["tempwarm", "contactyes"], {}),
        (
            "anova_main_vs_interaction",
            ["tempwarm", "contactyes"],
            ["tempwarm", "contactyes", "tempwarm:contactyes"],
            {},
        ),
        ("anova_probit", ["tempwarm"], ["tempwarm", "contactyes"], {"link": "probit"}),
    ],
)
def test_lr_test_matches_r_anova_on_wine(key, small, large, kwargs):
    expected = ref()["wine"][key]
    got = lr_test(wine_fit(small, **kwargs), wine_fit(large, **kwargs))
    assert_allclose(got["statistic"], expected["lr_stat"][1], atol=ATOL_STAT)
    assert got["df"] == expected["df"][1]
    assert_allclose(got["p"], expected["p"][1], rtol=1e-4)
    assert_allclose([got["loglik_smaller"], got["loglik_larger"]], expected["loglik"], atol=1e-6)
    assert not got["boundary"]


def test_lr_test_location_in_nominal_matches_r():
    # anova(clm(rating ~ temp + contact), clm(rating ~ temp, nominal = ~contact))
    expected = ref()["wine"]["anova_main_vs_nominal"]
    small = wine_fit(["tempwarm", "contactyes"])
    large = wine_fit(["tempwarm", "contactyes"], nominal=["contactyes"])
    got = lr_test(small, large)
    assert got["df"] == 3
    assert_allclose(got["statistic"], expected["lr_stat"][1], atol=ATOL_STAT)


def test_lr_test_matches_r_anova_on_weighted_housing():
    expected = ref()["housing"]["anova"]
    small = housing_fit(HOUSING_TERMS["Infl"] + HOUSING_TERMS["Type"])
    got = lr_test(small, housing_fit(HOUSING_COLUMNS))
    assert got["df"] == expected["df"][1]
    assert_allclose(got["statistic"], expected["lr_stat"][1], atol=ATOL_STAT)
    assert_allclose(got["p"], expected["p"][1], rtol=1e-4)


def test_lr_test_fixed_in_mixed_is_the_boundary_test():
    w, y = _wine()
    fixed = wine_fit(["tempwarm", "contactyes"])
    mixed = MixedOrdinalRegression().fit(w[["tempwarm", "contactyes"]], y, groups=w["judge"])
    got = lr_test(fixed, mixed)
    expected = mixed.test_random_effect()
    assert got["boundary"]
    assert got["df"] == 1
    assert_allclose(got["statistic"], expected["statistic"], rtol=1e-10)
    assert_allclose(got["p"], expected["p"], rtol=1e-10)
    with pytest.raises(ModelInputError, match="swap"):
        lr_test(mixed, fixed)


def test_lr_test_errors_name_what_differs():
    w, y = _wine()
    small, large = wine_fit(["tempwarm"]), wine_fit(["tempwarm", "contactyes"])
    with pytest.raises(ModelInputError, match="arguments swapped"):
        lr_test(large, small)
    with pytest.raises(ModelInputError, match="links differ"):
        lr_test(small, wine_fit(["tempwarm", "contactyes"], link="probit"))
    with pytest.raises(ModelInputError, match=r"\['contactyes'\].*not nested"):
        lr_test(wine_fit(["contactyes"]), wine_fit(["tempwarm", "tempwarm:contactyes"]))
    with pytest.raises(ModelInputError, match="nominal in the smaller"):
        h, ys = _housing()
        lr_test(
            OrdinalRegression(nominal=["ContHigh"]).fit(
                h[["InflMedium", "InflHigh", "ContHigh"]], ys, sample_weight=h["Freq"]
            ),
            housing_fit(HOUSING_COLUMNS),
        )
    fewer = OrdinalRegression().fit(w[["tempwarm", "contactyes"]].iloc[:60], y[:60])
    with pytest.raises(ModelInputError, match="different rows"):
        lr_test(small, fewer)
    weighted = OrdinalRegression().fit(
        w[["tempwarm", "contactyes"]], y, sample_weight=np.r_[2.0, np.ones(71)]
    )
    heavier = OrdinalRegression().fit(w[["tempwarm"]], y, sample_weight=np.r_[np.ones(71), 2.0])
    with pytest.raises(ModelInputError, match="sample_weight"):
        lr_test(heavier, weighted)
    merged = pd.Categorical(np.minimum(y.codes, 3) + 1, ordered=True)
    with pytest.raises(ModelInputError, match="outcome levels differ"):
        lr_test(small, OrdinalRegression().fit(w[["tempwarm", "contactyes"]], merged))
    with pytest.raises(CopFactorsError, match="not a fitted"):
        lr_test(small, OrdinalRegression())


# ------------------------------------------------------------------------------ anova
def test_anova_lr_matches_drop1_on_wine():
    w, y = _wine()
    expected = ref()["wine"]["drop1"]
    got = anova(wine_fit(["tempwarm", "contactyes"]), w, y, terms=WINE_TERMS)
    assert got["term"].tolist() == expected["term"]
    assert got["df"].tolist() == expected["df"]
    assert_allclose(got["statistic"], expected["lr_stat"], atol=ATOL_STAT)
    assert_allclose(got["p"], expected["p"], rtol=1e-4)


def test_anova_defaults_to_one_term_per_column():
    w, y = _wine()
    got = anova(wine_fit(["tempwarm", "contactyes"]), w, y)
    assert got["term"].tolist() == ["tempwarm", "contactyes"]
    assert_allclose(got["statistic"], ref()["wine"]["drop1"]["lr_stat"], atol=ATOL_STAT)


def test_anova_uses_model_terms_when_set():
    w, y = _wine()
    model = wine_fit(["tempwarm", "contactyes"])
    model.terms_ = WINE_TERMS
    assert anova(model, w, y)["term"].tolist() == ["temp", "contact"]


@pytest.mark.parametrize("key", ["car_lr", "drop1"])
def test_anova_lr_matches_car_type_ii_on_housing(key):
    h, y = _housing()
    expected = ref()["housing"][key]
    got = anova(housing_fit(HOUSING_COLUMNS), h, y, terms=HOUSING_TERMS, sample_weight=h["Freq"])
    assert got["term"].tolist() == expected["term"]
    assert got["df"].tolist() == expected["df"]
    stat = expected["statistic"] if "statistic" in expected else expected["lr_stat"]
    assert_allclose(got["statistic"], stat, atol=ATOL_STAT)


def test_anova_lr_type_ii_respects_marginality():
    # car::Anova(polr(rating ~ temp * contact), type = "II")
    w, y = _wine()
    expected = ref()["wine"]["car_interaction"]
    terms = {**WINE_TERMS, "temp:contact": ["tempwarm:contactyes"]}
    model = wine_fit(["tempwarm", "contactyes", "tempwarm:contactyes"])
    got = anova(model, w, y, terms=terms)
    assert got["term"].tolist() == expected["term"]
    assert_allclose(got["statistic"], expected["statistic"], atol=ATOL_STAT)
    wald = anova(model, terms=terms, test="Wald")
    assert "not Type II" in wald.attrs["notes"][0]


@pytest.mark.parametrize(
    ("data", "columns", "terms"),
    [("wine", ["tempwarm", "contactyes"], WINE_TERMS), ("housing", HOUSING_COLUMNS, HOUSING_TERMS)],
)
def test_anova_wald_matches_car_linear_hypothesis(data, columns, terms):
    expected = ref()[data]["wald"]
    model = wine_fit(columns) if data == "wine" else housing_fit(columns)
    got = anova(model, terms=terms, test="Wald")
    assert got["term"].tolist() == expected["term"]
    assert got["df"].tolist() == expected["df"]
    assert_allclose(got["statistic"], expected["statistic"], atol=ATOL_STAT)
    assert_allclose(got["p"], expected["p"], rtol=1e-4)


def test_anova_errors():
    w, y = _wine()
    model = wine_fit(["tempwarm", "contactyes"])
    with pytest.raises(ModelInputError, match="test must be"):
        anova(model, w, y, test="F")
    with pytest.raises(ModelInputError, match="pass the X and y"):
        anova(model)
    with pytest.raises(ModelInputError, match=r"\['nope'\] of term 'temp'"):
        anova(model, w, y, terms={"temp": ["nope"]})
    with pytest.raises(ModelInputError, match="has no columns"):
        anova(model, w, y, terms={"temp": []})
    with pytest.raises(ModelInputError, match="not the model's"):
        anova(model, w, y, sample_weight=np.r_[3.0, np.ones(71)])
    with pytest.raises(ModelInputError, match="lacks"):
        anova(model, w[["tempwarm"]], y)


# ------------------------------------------------------------------------------ nominal_test
def test_nominal_test_per_term_matches_r_on_housing():
    expected = ref()["housing"]["nominal_test"]
    model = housing_fit(HOUSING_COLUMNS)
    got = nominal_test(model, HOUSING_TERMS)
    assert got["term"].tolist() == expected["term"]
    assert got["df"].tolist() == expected["df"]  # Infl: 2 columns x (K - 2) = 2
    assert_allclose(got["loglik"], expected["loglik"], atol=1e-5)
    assert_allclose(got["lr_stat"], expected["lr_stat"], atol=ATOL_STAT)
    assert_allclose(got["p"], expected["p"], rtol=1e-4)
    model.terms_ = HOUSING_TERMS
    assert model.nominal_test()["term"].tolist() == expected["term"]
    per_column = nominal_test(model, per_column=True)
    assert per_column["term"].tolist() == HOUSING_COLUMNS
    assert per_column["df"].tolist() == [1] * 6


def test_nominal_test_skips_terms_already_nominal():
    model = wine_fit(["tempwarm", "contactyes"], nominal=["contactyes"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        got = nominal_test(model, WINE_TERMS)
    assert got["term"].tolist() == ["temp"]


def test_nominal_test_warns_on_separated_refit():
    # wine: no warm wine is rated 1, so temp made nominal separates at the cut 1|2 (R fits it
    # silently); the log-likelihood still matches R's
    expected = ref()["wine"]["nominal_test"]
    model = wine_fit(["tempwarm", "contactyes"])
    with pytest.warns(PerfectSeparationWarning, match="'temp' nominal.*'tempwarm'"):
        got = nominal_test(model, WINE_TERMS)
    assert_allclose(got["lr_stat"], expected["lr_stat"], atol=2e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nominal_test(model, {"contact": ["contactyes"]})


def test_likelihood_ratio_tests_refuse_probability_weights():
    h, y = _housing()
    try:
        model = OrdinalRegression(weight_kind="probability", cov_type="robust")
    except TypeError:
        pytest.skip("OrdinalRegression has no weight_kind")
    model.fit(h[HOUSING_COLUMNS], y, sample_weight=h["Freq"])
    small = OrdinalRegression(weight_kind="probability", cov_type="robust").fit(
        h[["ContHigh"]], y, sample_weight=h["Freq"]
    )
    with pytest.raises(ModelInputError, match="probability"):
        lr_test(small, model)
    with pytest.raises(ModelInputError, match="probability"):
        anova(model, h, y, sample_weight=h["Freq"])
    with pytest.raises(ModelInputError, match="probability"):
        nominal_test(model)
    wald = anova(model, terms=HOUSING_TERMS, test="Wald")
    assert wald["df"].tolist() == [2, 3, 1]
