"""(Quasi-)complete separation: every infinite estimate is named and reported as infinite.

Small made-up data sets (SIMULATED) with known separation:

* ``top``: a 0/1 column ``d`` that is 1 only for some rows of the top level (quasi-complete
  separation of one split). Only ``d`` is infinite; the likelihood of the others tends to that
  of the rows with ``d = 0`` without ``d``, so their estimates and standard errors must be
  those of that fit.
* ``complete``: ``x1`` orders the levels with gaps (complete separation): every predictor can
  join the separating direction, so every estimate is infinite.
* ``combination``: ``x1`` weakly orders the levels (ties at the boundaries) and ``x4 - x5``
  separates the top level, while neither ``x4`` nor ``x5`` does alone; ``noise`` stays finite.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from copfactors.datasets import load_example_survey
from copfactors.errors import PerfectSeparationWarning
from copfactors.features import CoPFeatureBuilder, attainment
from copfactors.inspection import DRIVER_COLUMNS, drivers
from copfactors.models import MixedOrdinalRegression, OrdinalRegression, point_fit
from copfactors.models._core import solve_core
from copfactors.models._links import get_link
from copfactors.models._separation import find_separation

RESULTS = Path(__file__).parent / "results"


def _top_data(n: int = 150, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 2)), columns=["a", "b"])
    y = np.digitize(X["a"] + rng.logistic(size=n), [-1.0, 1.0])
    X["d"] = ((y == 2) & (rng.random(n) < 0.4)).astype(float)
    return X, y


def _complete_data(n: int = 60, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    y = np.digitize(x1, [-0.5, 0.5])
    X = pd.DataFrame({"x1": x1, "x2": rng.normal(size=n), "x3": rng.normal(size=n)})
    return X, y


def _combination_data(n: int = 150, seed: int = 2) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x1 = np.where(y == 0, rng.integers(0, 2, n), np.where(y == 1, rng.integers(1, 3, n), 0))
    x1 = np.where(y == 2, rng.integers(2, 4, n), x1).astype(float)
    x5 = rng.integers(0, 2, n).astype(float)
    x4 = x5 + ((y == 2) & (rng.random(n) < 0.5))
    X = pd.DataFrame({"x1": x1, "x4": x4, "x5": x5, "noise": rng.normal(size=n)})
    return X, y


def _fit(X, y, **kwargs) -> OrdinalRegression:
    groups = kwargs.pop("groups", None)
    with pytest.warns(PerfectSeparationWarning) as record:
        model = OrdinalRegression(**kwargs).fit(X, y, groups=groups)
    assert len([w for w in record if w.category is PerfectSeparationWarning]) == 1
    return model


def _table_rows(text: str, terms: list[str]) -> dict[str, str]:
    """The rendered table lines of ``terms`` (first word of a line)."""
    lines = {}
    for line in text.splitlines():
        words = line.split()
        if words and words[0] in terms:
            lines[words[0]] = line
    assert set(lines) == set(terms)
    return lines


# ---------------------------------------------------------------------------------------------
# the fixed model


@pytest.mark.parametrize("cov_type", ["nonrobust", "robust", "cluster"])
def test_quasi_separation_names_the_column_and_keeps_valid_inference_for_the_rest(cov_type):
    X, y = _top_data()
    groups = np.arange(len(y)) % 10
    model = _fit(X, y, cov_type=cov_type, groups=groups if cov_type == "cluster" else None)
    assert model.separation_ == ["d"]
    table = model.summary().set_index("term")
    assert table["separated"].to_dict() == {"0|1": False, "1|2": False, "a": False, "b": False,
                                            "d": True}  # fmt: skip
    d = table.loc["d"]
    assert d["coef"] == np.inf and d["odds_ratio"] == np.inf
    assert d[["se", "z", "p", "ci_low", "ci_high", "or_ci_low", "or_ci_high"]].isna().all()
    assert np.isnan(model.se_["d"])
    assert model.cov_.loc["d"].isna().all() and model.cov_["d"].isna().all()
    # the others: the fit of the rows the separation leaves, without d
    keep = X["d"].to_numpy() == 0
    reduced = OrdinalRegression(cov_type=cov_type).fit(
        X.loc[keep, ["a", "b"]], y[keep], groups=groups[keep] if cov_type == "cluster" else None
    )
    expected = reduced.summary().set_index("term")
    terms = ["0|1", "1|2", "a", "b"]
    assert_allclose(table.loc[terms, "coef"], expected.loc[terms, "coef"], rtol=1e-6)
    assert_allclose(table.loc[terms, "se"], expected.loc[terms, "se"], rtol=1e-6)
    assert_allclose(table.loc[terms, "p"], expected.loc[terms, "p"], rtol=1e-5, atol=1e-12)
    text = model.render_summary()
    assert "<0." not in _table_rows(text, ["d"])["d"]
    assert "the estimates of d are infinite" in text
    assert "a, b are the estimates of the model given the separation" in text


def test_complete_separation_names_every_predictor_and_gives_no_inference():
    X, y = _complete_data()
    model = _fit(X, y)
    assert model.separation_ == ["x1", "x2", "x3"]
    table = model.summary().set_index("term")
    assert table["separated"].all()
    assert table[["se", "z", "p", "ci_low", "ci_high"]].isna().all().all()
    # x1 can only run to +inf; x2 and x3 to either side (undefined)
    assert table.loc["x1", "coef"] == np.inf
    assert table.loc[["x2", "x3"], "coef"].isna().all()
    assert model.se_.isna().all()
    text = model.render_summary()
    rows = _table_rows(text, ["x1", "x2", "x3"])
    assert all("<0." not in line and "***" not in line for line in rows.values())
    assert "x1, x2, x3 and the thresholds are infinite" in text


def test_separation_by_a_combination_is_named_next_to_a_single_separator():
    X, y = _combination_data()
    model = _fit(X, y)
    assert model.separation_ == ["x1", "x4", "x5"]
    table = model.summary().set_index("term")
    assert table.loc["x1", "coef"] == np.inf
    assert table.loc["x4", "coef"] == np.inf and table.loc["x5", "coef"] == -np.inf
    assert not table.loc["noise", "separated"]
    assert 0 < table.loc["noise", "se"] < 1 and 0 <= table.loc["noise", "p"] <= 1
    assert table.loc[["x1", "x4", "x5"], ["se", "p"]].isna().all().all()


def test_binary_quasi_separation_matches_the_fit_without_the_separated_rows():
    rng = np.random.default_rng(3)
    n = 200
    X = pd.DataFrame({"a": rng.normal(size=n), "d": (rng.random(n) < 0.2).astype(float)})
    y = np.where(X["d"] == 1, 1, (X["a"] + rng.logistic(size=n) > 0).astype(int))
    model = _fit(X, y, cov_type="robust")
    assert model.separation_ == ["d"]
    table = model.summary().set_index("term")
    assert table["separated"].to_dict() == {"(Intercept)": False, "a": False, "d": True}
    assert table.loc["d", "coef"] == np.inf and np.isnan(table.loc["d", "p"])
    keep = X["d"].to_numpy() == 0
    reduced = OrdinalRegression(cov_type="robust").fit(X.loc[keep, ["a"]], y[keep]).summary()
    expected = reduced.set_index("term")
    for term in ["(Intercept)", "a"]:
        got = table.loc[term, ["coef", "se"]].to_numpy(dtype=float)
        assert_allclose(got, expected.loc[term, ["coef", "se"]].to_numpy(dtype=float), rtol=1e-6)


def test_nominal_effect_separating_one_cut_is_infinite_at_that_cut_only():
    rng = np.random.default_rng(4)
    n = 240
    a = rng.normal(size=n)
    y = np.digitize(a + rng.logistic(size=n), [-1.0, 1.0])
    z = np.where(y == 0, 0.0, (rng.random(n) < 0.5).astype(float))  # never at level 0
    X = pd.DataFrame({"a": a, "z": z})
    model = _fit(X, y, nominal=["z"])
    assert model.separation_ == ["z"]
    table = model.summary().set_index("term")
    # gamma enters the threshold: the cut 0|1 runs off to -inf for z = 1
    assert table.loc["0|1.z", "separated"] and table.loc["0|1.z", "coef"] == -np.inf
    assert not table.loc["1|2.z", "separated"] and np.isfinite(table.loc["1|2.z", "se"])
    assert not table.loc["a", "separated"] and table.loc["a", "se"] > 0


def test_point_fit_names_the_same_predictors_as_fit():
    for X, y in (_top_data(), _complete_data(), _combination_data()):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PerfectSeparationWarning)
            full = OrdinalRegression().fit(X, y)
        light = point_fit(X.to_numpy(), y, 3)
        positions = [f"x{list(X.columns).index(c)}" for c in full.separation_]
        assert light.separation == positions


def test_no_separation_is_certified_without_a_linear_programme(monkeypatch):
    from copfactors.models import _separation

    def refuse(*args, **kwargs):
        raise AssertionError("the linear programme ran")

    monkeypatch.setattr(_separation, "_strict_terms", refuse)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(500, 3))
    y = np.digitize(x @ [1.0, -0.5, 0.2] + rng.logistic(size=500), [-1.0, 0.0, 1.0])
    core = solve_core(x, y, 4, None, [], ["x0", "x1", "x2"], get_link("logit"), max_iter=100,
                      tol=1e-8)  # fmt: skip
    sep = find_separation(core.design, get_link("logit"), core.res.params)
    assert sep is not None and not sep.separated and sep.basis.shape == (6, 0)


# ---------------------------------------------------------------------------------------------
# the mixed model


def test_mixed_model_reports_the_separation_of_its_fixed_part():
    X, y = _top_data()
    groups = np.repeat(np.arange(15), 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        model = MixedOrdinalRegression().fit(X, y, groups=groups)
        keep = X["d"].to_numpy() == 0
        reduced = MixedOrdinalRegression().fit(
            X.loc[keep, ["a", "b"]], y[keep], groups=groups[keep]
        )
    assert model.separation_ == ["d"]
    table = model.summary().set_index("term")
    assert table["separated"].tolist() == [False, False, False, False, True, False]
    assert table.loc["d", "coef"] == np.inf
    assert table.loc["d", ["se", "z", "p", "ci_low", "ci_high"]].isna().all()
    assert model.cov_.loc["d"].isna().all() and np.isfinite(model.se_["log_sigma"])
    expected = reduced.summary().set_index("term")
    terms = ["0|1", "1|2", "a", "b", "sigma"]
    assert_allclose(table.loc[terms, "coef"], expected.loc[terms, "coef"], rtol=2e-3)
    assert_allclose(table.loc[terms, "se"], expected.loc[terms, "se"], rtol=2e-2)
    text = model.render_summary()
    assert "<0." not in _table_rows(text, ["d"])["d"]
    assert "the estimates of d are infinite" in text


# ---------------------------------------------------------------------------------------------
# the driver table


def test_driver_table_flags_separated_drivers_and_computes_no_importance():
    X, y = _top_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        model = OrdinalRegression().fit(X, y)
        result = drivers(model, X, y=y)
    table = result.table.set_index("driver")
    assert list(result.table.columns) == [*DRIVER_COLUMNS, "separated"]
    assert table["separated"].to_dict() == {"a": False, "b": False, "d": True}
    d = table.loc["d"]
    assert d["coef"] == np.inf and d["odds_ratio"] == np.inf and d["mean_abs_shap"] == np.inf
    assert d[["se", "p", "ci_low", "ci_high", "ame_expected", "ame_se", "po_test_p"]].isna().all()
    assert table[["importance_r2", "importance_pct"]].isna().all().all()
    assert result.info["importance_method"] is None and result.info["separated"] == ["d"]
    assert table.loc[["a", "b"], ["se", "ame_se"]].notna().all().all()
    assert any("importance_r2 and importance_pct not computed" in n and "(by d)" in n
               for n in result.notes)  # fmt: skip
    rows = _table_rows(result.to_text(), ["a", "b", "d"])
    assert "<0.001" not in rows["d"] and "True" in rows["d"]


def test_driver_table_of_a_complete_separation_flags_every_driver():
    X, y = _complete_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        result = drivers(OrdinalRegression().fit(X, y), X, y=y)
    assert result.table["separated"].all()
    assert result.table[["se", "p", "importance_r2", "importance_pct"]].isna().all().all()


# ---------------------------------------------------------------------------------------------
# no false alarms, and numbers unchanged


def _survey_model_data() -> tuple[pd.DataFrame, pd.Series, np.ndarray]:
    survey = load_example_survey()
    y_all = attainment(survey, kind="ordinal")
    answered = y_all.notna().to_numpy()
    X = CoPFeatureBuilder(missing="drop").fit(survey).transform(survey.loc[answered])
    # collinear with steward_dedicated in the example survey
    X = X.drop(columns=["sponsor_professional_association"])
    return X, y_all.loc[X.index], survey.loc[X.index, "cop_id"].to_numpy()


def test_example_survey_is_not_flagged():
    X, y, groups = _survey_model_data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        model = OrdinalRegression(cov_type="cluster").fit(X, y, groups=groups)
        mixed = MixedOrdinalRegression().fit(X, y, groups=groups)
    assert model.separation_ == [] and mixed.separation_ == []
    assert "separated" not in model.summary().columns
    assert "separated" not in mixed.summary().columns
    assert model.se_.notna().all() and (model.se_ > 0).all()


def test_non_separated_fits_keep_their_numbers():
    """The estimates before the exact check (tests/results/separation_unchanged.json)."""
    stored = json.loads((RESULTS / "separation_unchanged.json").read_text())
    X, y, groups = _survey_model_data()
    for key, kwargs in [
        ("ordinal_nonrobust", {}),
        ("ordinal_robust", {"cov_type": "robust"}),
        ("ordinal_cluster", {"cov_type": "cluster"}),
        ("ordinal_probit", {"link": "probit"}),
    ]:
        fit_groups = groups if kwargs.get("cov_type") == "cluster" else None
        table = OrdinalRegression(**kwargs).fit(X, y, groups=fit_groups).summary()
        expected = dict(stored[key])
        if key == "ordinal_cluster":
            # stored with normal p-values; the cluster summary now uses t on G - 1 df
            ratio = np.abs(np.asarray(expected["coef"]) / np.asarray(expected["se"]))
            expected["p"] = 2 * stats.t.sf(ratio, len(np.unique(groups)) - 1)
        assert table["term"].tolist() == expected["term"]
        for column in ["coef", "se", "p"]:
            assert_allclose(table[column], expected[column], rtol=1e-10, err_msg=key)
    result = drivers(OrdinalRegression().fit(X, y), X, y=y).table
    expected = stored["drivers"]
    assert result["driver"].tolist() == expected["driver"]
    for column, values in expected.items():
        if column != "driver":
            assert_allclose(result[column], values, rtol=1e-10, err_msg=column)


def test_separated_flags_follow_the_parameters_and_survive_a_refit():
    X, y = _top_data()
    model = _fit(X, y)
    assert model.separated_.index.tolist() == model.params_.index.tolist()
    assert model.separated_.tolist() == [False, False, False, False, True]
    # the estimate where the fit stopped stays usable for prediction
    assert np.isfinite(model.params_).all()
    assert np.isfinite(model.predict_proba(X)).all()
    model.fit(X[["a", "b"]], y)
    assert not model.separated_.any() and model.separation_ == []
    assert "separated" not in model.summary().columns


def test_a_failed_linear_programme_falls_back_on_the_cruder_check(monkeypatch):
    from copfactors.models import _separation

    monkeypatch.setattr(_separation, "_strict_terms", lambda A: None)
    X, y = _top_data()
    model = _fit(X, y)
    # the cruder check names the column that orders the levels; its sign is then unknown
    assert model.separation_ == ["d"]
    table = model.summary().set_index("term")
    assert table.loc["d", "separated"] and np.isnan(table.loc["d", "coef"])
    assert np.isnan(table.loc["d", "se"]) and table.loc[["a", "b"], "se"].notna().all()
