"""copfactors.formula: cumulative link models from R-style formulas (checked against R's clm)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import copfactors as cf
from copfactors.datasets import load_housing
from copfactors.errors import ModelFormatError, ModelInputError, NotFittedError, ParameterError
from copfactors.formula import (
    check_formula,
    design_matrix,
    formula_state,
    ordinal,
    predict_proba_frame,
)
from copfactors.models import MixedOrdinalRegression, OrdinalRegression

RESULTS = Path(__file__).parent / "results"

R_LEVELS = {
    "Infl": ["Low", "Medium", "High"],
    "Type": ["Tower", "Apartment", "Atrium", "Terrace"],
    "Cont": ["Low", "High"],
}


@pytest.fixture(scope="module")
def housing() -> pd.DataFrame:
    raw = pd.read_csv(RESULTS / "housing.csv")
    data = pd.DataFrame(
        {
            "Sat": pd.Categorical(
                raw["Sat_label"], categories=["Low", "Medium", "High"], ordered=True
            ),
            "Freq": raw["Freq"],
        }
    )
    for col, levels in R_LEVELS.items():
        data[col] = pd.Categorical(raw[col], categories=levels)
    return data


@pytest.fixture(scope="module")
def fit(housing) -> OrdinalRegression:
    return ordinal("Sat ~ Infl + Type + Cont", data=housing, weights="Freq")


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads((RESULTS / "ordinal_housing.json").read_text(encoding="utf-8"))


def _r_name(column: str) -> str:
    """``Infl[T.Medium]`` (formulaic) -> ``InflMedium`` (R)."""
    match = re.fullmatch(r"(\w+)\[T\.(\w+)\]", column)
    assert match, column
    return match.group(1) + match.group(2)


def test_housing_reproduces_r_clm(fit, reference):
    assert isinstance(fit, OrdinalRegression)
    coef = {_r_name(k): v for k, v in fit.coef_.items()}
    assert list(coef) == list(reference["coef"])
    for name, value in reference["coef"].items():
        assert coef[name] == pytest.approx(value, abs=1e-4)
    for name, value in reference["thresholds"].items():
        assert fit.thresholds_[name] == pytest.approx(value, abs=1e-4)
    se = {(_r_name(k) if "[" in k else k): v for k, v in fit.se_.items()}
    for name, value in reference["se"].items():
        assert se[name] == pytest.approx(value, rel=1e-3)
    assert fit.loglik_ == pytest.approx(reference["loglik"], abs=1e-4)


def test_design_attributes(fit):
    assert fit.formula_ == "Sat ~ Infl + Type + Cont"
    assert fit.terms_ == {
        "Infl": ["Infl[T.Medium]", "Infl[T.High]"],
        "Type": ["Type[T.Apartment]", "Type[T.Atrium]", "Type[T.Terrace]"],
        "Cont": ["Cont[T.High]"],
    }
    assert fit.response_ == "Sat" and fit.group_column_ is None
    assert list(fit.classes_) == ["Low", "Medium", "High"]


def test_the_shipped_housing_is_the_reference_data(housing):
    shipped = load_housing()
    assert len(shipped) == 72 and int(shipped["Freq"].sum()) == 1681
    for col in ("Sat", "Infl", "Type", "Cont"):
        assert list(shipped[col].cat.categories) == list(housing[col].cat.categories)
        assert shipped[col].astype(str).tolist() == housing[col].astype(str).tolist()


def test_levels_override_and_text_columns_are_sorted(housing):
    text = housing.assign(**{c: housing[c].astype(str) for c in R_LEVELS})
    m = ordinal("Sat ~ Infl + Type", data=text, weights="Freq")
    # text columns: sorted levels, the first sorted level the reference
    assert m.terms_["Infl"] == ["Infl[T.Low]", "Infl[T.Medium]"]
    assert m.terms_["Type"] == ["Type[T.Atrium]", "Type[T.Terrace]", "Type[T.Tower]"]
    ordered = ordinal("Sat ~ C(Infl, levels=['Low', 'Medium', 'High'])", data=text, weights="Freq")
    assert ordered.terms_ == {
        "C(Infl, levels=['Low', 'Medium', 'High'])": [
            "C(Infl, levels=['Low', 'Medium', 'High'])[T.Medium]",
            "C(Infl, levels=['Low', 'Medium', 'High'])[T.High]",
        ]
    }


def test_interactions_and_transforms(housing):
    m = ordinal("Sat ~ Infl * Cont", data=housing, weights="Freq")
    assert list(m.coef_.index) == [
        "Infl[T.Medium]",
        "Infl[T.High]",
        "Cont[T.High]",
        "Infl[T.Medium]:Cont[T.High]",
        "Infl[T.High]:Cont[T.High]",
    ]
    only = ordinal("Sat ~ Infl:Cont", data=housing, weights="Freq")
    assert "Infl:Cont" in only.terms_
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"x": rng.uniform(1, 5, 300), "z": rng.normal(size=300)})
    d["y"] = np.digitize(np.log(d.x) + d.z + rng.logistic(size=300), [0.0, 1.5])
    t = ordinal("y ~ np.log(x) + center(z) + scale(x) + I(z ** 2)", data=d)
    assert list(t.coef_.index) == ["np.log(x)", "center(z)", "scale(x)", "I(z ** 2)"]
    X = design_matrix(t, d)
    np.testing.assert_allclose(X["np.log(x)"], np.log(d.x))
    np.testing.assert_allclose(X["center(z)"], d.z - d.z.mean())
    np.testing.assert_allclose(X["scale(x)"], (d.x - d.x.mean()) / d.x.std(ddof=1))
    # on new rows, center and scale keep the training mean and SD
    new = pd.DataFrame({"x": [2.0], "z": [0.5]})
    assert design_matrix(t, new)["center(z)"].iloc[0] == pytest.approx(0.5 - d.z.mean())


def test_raw_predictions_equal_design_predictions(fit, housing):
    new = pd.DataFrame(
        {"Infl": ["High", "Low"], "Type": ["Atrium", "Tower"], "Cont": ["Low", "High"]},
        index=["a", "b"],
    )
    p = predict_proba_frame(fit, new)
    assert list(p.columns) == ["Low", "Medium", "High"] and list(p.index) == ["a", "b"]
    X = design_matrix(fit, new)
    np.testing.assert_array_equal(p.to_numpy(), fit.predict_proba(X))
    # the same rows inside the training data predict as the training design
    train = design_matrix(fit, housing)
    np.testing.assert_array_equal(
        predict_proba_frame(fit, housing).to_numpy(), fit.predict_proba(train)
    )


def test_predictions_survive_save_and_load(fit, housing, tmp_path):
    path = cf.save_model(fit, tmp_path / "housing.json")
    again = cf.load_model(path)
    assert again.formula_ == fit.formula_ and again.terms_ == fit.terms_
    np.testing.assert_array_equal(
        predict_proba_frame(again, housing).to_numpy(),
        predict_proba_frame(fit, housing).to_numpy(),
    )
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["formula"]["text"] == "Sat ~ Infl + Type + Cont"
    infl = next(f for f in doc["formula"]["factors"] if f["expr"] == "Infl")
    assert infl["categories"] == ["Low", "Medium", "High"]


def test_transform_state_survives_save_and_load(tmp_path):
    rng = np.random.default_rng(5)
    d = pd.DataFrame({"x": rng.uniform(1, 5, 200), "g": rng.choice(["u", "v", "w"], 200)})
    d["y"] = np.digitize(d.x + (d.g == "v") + rng.logistic(size=200), [2.0, 4.0])
    m = ordinal("y ~ scale(x) * g + center(np.log(x))", data=d)
    again = cf.load_model(cf.save_model(m, tmp_path / "t.json"))
    new = pd.DataFrame({"x": [1.5, 4.5], "g": ["w", "u"]})
    np.testing.assert_array_equal(
        predict_proba_frame(again, new).to_numpy(), predict_proba_frame(m, new).to_numpy()
    )
    assert formula_state(again) == formula_state(m)


def test_random_intercept_equals_the_direct_fit(tmp_path):
    rng = np.random.default_rng(11)
    n, k = 240, 8
    g = np.repeat([f"cop_{i}" for i in range(k)], n // k)
    u = np.repeat(rng.normal(scale=0.8, size=k), n // k)
    d = pd.DataFrame({"x": rng.normal(size=n), "cop": g})
    d["y"] = np.digitize(d.x + u + rng.logistic(size=n), [-0.5, 1.0])
    m = ordinal("y ~ x + (1 | cop)", data=d)
    assert isinstance(m, MixedOrdinalRegression) and m.group_column_ == "cop"
    direct = MixedOrdinalRegression().fit(d[["x"]], d.y, groups=d.cop)
    np.testing.assert_allclose(m.coef_.to_numpy(), direct.coef_.to_numpy())
    np.testing.assert_allclose(m.thresholds_.to_numpy(), direct.thresholds_.to_numpy())
    assert m.sigma_ == pytest.approx(direct.sigma_)
    marginal = predict_proba_frame(m, d.head(5))
    np.testing.assert_allclose(marginal.to_numpy(), direct.predict_proba(d[["x"]].head(5)))
    conditional = predict_proba_frame(m, d.head(5), groups="cop")
    np.testing.assert_allclose(
        conditional.to_numpy(), direct.predict_proba(d[["x"]].head(5), groups=d.cop.head(5))
    )
    again = cf.load_model(cf.save_model(m, tmp_path / "mixed.json"))
    np.testing.assert_array_equal(
        predict_proba_frame(again, d.head(5), groups="cop").to_numpy(), conditional.to_numpy()
    )


def test_binary_outcome_is_logistic_regression():
    rng = np.random.default_rng(2)
    d = pd.DataFrame({"x": rng.normal(size=400)})
    d["y"] = (0.5 + d.x + rng.logistic(size=400) > 0).astype(int)
    m = ordinal("y ~ x", data=d)
    assert isinstance(m, OrdinalRegression) and len(m.thresholds_) == 1
    import statsmodels.api as sm

    glm = sm.Logit(d.y, sm.add_constant(d[["x"]])).fit(disp=0)
    assert m.thresholds_.iloc[0] == pytest.approx(-glm.params["const"], abs=1e-5)
    assert m.coef_["x"] == pytest.approx(glm.params["x"], abs=1e-5)


@pytest.mark.parametrize(
    "new, message",
    [
        (
            {"Infl": ["Huge"], "Type": ["Tower"], "Cont": ["Low"]},
            r"column 'Infl' has level\(s\) 'Huge'",
        ),
        ({"Infl": ["Low"], "Type": ["Tower"]}, r"column\(s\) 'Cont' .* not in the data"),
        ({"Infl": ["Low"], "Type": ["Castle"], "Cont": ["Low"]}, r"'Type' .* 'Castle'"),
    ],
)
def test_bad_rows_are_named(fit, new, message):
    with pytest.raises(ModelInputError, match=message):
        predict_proba_frame(fit, pd.DataFrame(new))


@pytest.mark.parametrize(
    "formula, message",
    [
        ("Sat ~ Infl + __import__('os').system('true')", "'__import__'"),
        ("Sat ~ Infl + open('x')", "'open'"),
        ("Sat ~ I(np.log(Freq))", r"inside I\(\)"),
        ("Sat ~ Infl + (1 | Type) + (1 | Cont)", "2 random-intercept terms"),
        ("Sat ~ Infl + (Cont | Type)", "only a random intercept"),
        ("Sat ~ Infl - 1", "removes the intercept"),
        ("Sat Infl", "one '~'"),
        ("Sat ~ Infl.__class__", "not allowed"),
    ],
)
def test_bad_formulas_are_refused(housing, formula, message):
    with pytest.raises(ParameterError, match=message):
        ordinal(formula, data=housing, weights="Freq")


def test_missing_columns_and_options(housing):
    with pytest.raises(ModelInputError, match="'Nope'"):
        ordinal("Sat ~ Infl + Nope", data=housing)
    with pytest.raises(ModelInputError, match="weights column 'W'"):
        ordinal("Sat ~ Infl", data=housing, weights="W")
    with pytest.raises(ParameterError, match="nominal 'Zzz'"):
        ordinal("Sat ~ Infl", data=housing, nominal="Zzz")
    nom = ordinal("Sat ~ Infl + Cont", data=housing, weights="Freq", nominal="Cont")
    assert nom.nominal == ["Cont[T.High]"]
    with pytest.raises(NotFittedError):
        design_matrix(OrdinalRegression(), housing)


def test_check_formula_names_the_columns():
    assert check_formula("y ~ a * b + scale(c) + (1 | g)") == {"y", "a", "b", "c", "g"}
    with pytest.raises(ParameterError, match="'eval'"):
        check_formula("y ~ eval('1')")


def test_hostile_formula_in_a_model_file_is_refused(fit, tmp_path, monkeypatch):
    from copfactors.persist import _checksum, _format_json

    path = cf.save_model(fit, tmp_path / "m.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    hostile = "Sat ~ Infl + __import__('os').system('touch pwned')"
    doc["formula"]["text"] = hostile
    doc.pop("checksum")
    doc["checksum"] = {"algorithm": "sha256", "value": _checksum(doc)}
    path.write_text(_format_json(doc) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelFormatError, match="'__import__'"):
        cf.load_model(path)
    assert not (tmp_path / "pwned").exists()


def test_two_level_outcome_summary_reads_as_glm():
    # a K = 2 formula fit is a logistic regression: its summary shows glm's (Intercept)
    from copfactors.formula import ordinal

    rng = np.random.default_rng(5)
    d = pd.DataFrame({"dose": rng.uniform(1, 10, 300)})
    d["ok"] = (0.3 * d["dose"] - 1.5 + rng.logistic(size=300)) > 0
    model = ordinal("ok ~ dose", d)
    table = model.summary()
    assert table["term"].tolist() == ["(Intercept)", "dose"]
    assert table["kind"].tolist() == ["intercept", "coef"]
    assert table["coef"].iloc[0] == -model.thresholds_.iloc[0]
    assert table["z"].iloc[0] == -model.params_.iloc[0] / model.se_.iloc[0]
