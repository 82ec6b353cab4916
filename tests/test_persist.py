"""copfactors.persist: attainment models, model files that load without running code."""

from __future__ import annotations

import ast
import json
import os
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import copfactors as cf
from copfactors.errors import (
    CopFactorsError,
    FeatureError,
    ModelFormatError,
    NotFittedError,
    OutputExistsError,
)
from copfactors.models import MixedOrdinalRegression, OrdinalRegression
from copfactors.persist import (
    FORMAT,
    FORMAT_VERSION,
    AttainmentModel,
    _checksum,
    _format_json,
    fit_attainment_model,
    load_model,
    save_model,
)


@pytest.fixture(scope="module")
def model(survey) -> AttainmentModel:
    return fit_attainment_model(survey, builder=cf.CoPFeatureBuilder(exclude="sponsor"))


@pytest.fixture
def saved(model, tmp_path) -> Path:
    return save_model(model, tmp_path / "model.json")


def _rewrite(path: Path, edit) -> None:
    """Apply ``edit`` to the decoded document and write it back with a valid checksum."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc)
    doc.pop("checksum", None)
    doc["checksum"] = {"algorithm": "sha256", "value": _checksum(doc)}
    path.write_text(_format_json(doc) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# fitting
# ---------------------------------------------------------------------------------------------
def test_fit_uses_respondents_with_an_outcome(model, survey):
    t = model.training
    has_outcome = cf.attainment(survey).notna()
    assert t["n_survey_rows"] == len(survey)
    assert t["n_without_outcome"] == int((~has_outcome).sum())
    assert t["n"] + t["n_dropped_missing"] == int(has_outcome.sum())
    assert t["n"] == model.regression.nobs_ == 95
    assert t["n_cops"] == model.regression.n_clusters_ == 7
    assert t["simulated"] is True and t["source"] == "example_survey.csv"
    assert sum(t["outcome_counts"].values()) == t["n"]
    assert model.feature_names == list(model.regression.feature_names_in_)
    assert "sponsor_professional_association" not in model.feature_names


def test_predictions_are_the_regression_on_the_builder(model, survey):
    X = model.builder.transform(survey)
    proba = model.predict_proba(survey)
    assert proba.index.equals(X.index)
    assert proba.columns.tolist() == [2, 3, 4, 5]
    assert np.array_equal(proba.to_numpy(), model.regression.predict_proba(X))
    assert np.allclose(
        model.predict_expected(survey).to_numpy(), proba.to_numpy() @ [2, 3, 4, 5], atol=1e-12
    )


def test_fit_options_and_errors(survey):
    real = survey.copy()
    real.attrs = {}
    binary = fit_attainment_model(
        real,
        kind="binary",
        cov_type="robust",
        cluster=None,
        builder=cf.CoPFeatureBuilder(exclude=["sponsor", "steward_type"]),
        source="my-survey.sav",
    )
    assert binary.training["simulated"] is False
    assert binary.training["source"] == "my-survey.sav"
    assert binary.classes.tolist() == [False, True]
    assert binary.training["n_cops"] == 7  # counted from cop_id even when not clustering
    with pytest.raises(FeatureError, match="kind must be"):
        fit_attainment_model(survey, kind="index")
    with pytest.raises(FeatureError, match="no column 'team'"):
        fit_attainment_model(survey, cluster="team")
    with pytest.raises(FeatureError, match="no respondent .* attainment answer"):
        fit_attainment_model(survey[~survey["responded_t2"].astype(bool)])
    # the default builder keeps the sponsor, which the example survey cannot separate
    with pytest.raises(CopFactorsError, match="collinear"):
        fit_attainment_model(survey)


def test_builder_argument_is_not_changed(survey):
    builder = cf.CoPFeatureBuilder(exclude="sponsor")
    fit_attainment_model(survey, builder=builder)
    assert not hasattr(builder, "feature_names_out_")


# ---------------------------------------------------------------------------------------------
# round trips
# ---------------------------------------------------------------------------------------------
def test_attainment_model_round_trip_is_exact(model, survey, saved):
    again = load_model(saved)
    assert isinstance(again, AttainmentModel)
    assert np.array_equal(again.predict_proba(survey), model.predict_proba(survey))
    assert again.predict_proba(survey).index.equals(model.predict_proba(survey).index)
    a, b = model.summary(), again.summary()
    pd.testing.assert_frame_equal(a, b)
    assert a.attrs == b.attrs
    assert again.describe() == model.describe()
    assert again.builder.describe() == model.builder.describe()
    assert again.training == model.training
    assert again.builder.get_params() == model.builder.get_params()
    assert again.regression.get_params() == model.regression.get_params()
    pd.testing.assert_frame_equal(again.builder.report_, model.builder.report_)
    pd.testing.assert_frame_equal(again.builder.missing_report_, model.builder.missing_report_)
    pd.testing.assert_frame_equal(again.regression.cov_, model.regression.cov_)
    for attr in ("loglik_", "aic_", "bic_", "r2_mcfadden_", "r2_nagelkerke_", "nobs_"):
        assert getattr(again.regression, attr) == getattr(model.regression, attr), attr


def test_file_layout(saved):
    doc = json.loads(saved.read_text(encoding="utf-8"))
    assert list(doc)[:5] == ["format", "format_version", "library_version", "created", "kind"]
    # a model without random intercept is still written in version 1 (older copfactors read it)
    assert doc["format"] == FORMAT and doc["format_version"] == 1 and FORMAT_VERSION == 2
    assert doc["kind"] == "attainment-model"
    assert doc["training"]["simulated"] is True
    assert doc["builder"]["feature_names_out"] == doc["regression"]["feature_names_in"]
    assert doc["checksum"]["algorithm"] == "sha256"
    assert doc["checksum"]["value"] == _checksum(doc)


def test_saving_twice_with_a_fixed_stamp_gives_the_same_bytes(model, tmp_path):
    a = save_model(model, tmp_path / "a.json", created="2026-01-01T00:00:00Z")
    b = save_model(model, tmp_path / "b.json", created="2026-01-01T00:00:00Z")
    # exact: the same fitted numbers written twice by one process (no arithmetic in between)
    assert a.read_bytes() == b.read_bytes()


def test_bare_regression_round_trip_with_nominal_effects_and_labels(tmp_path):
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"])
    latent = X @ [1.0, -0.5, 0.3] + rng.logistic(size=400)
    labels = ["low", "mid", "high", "top"]
    y = pd.Categorical.from_codes(np.digitize(latent, [-1, 0.5, 2]), labels, ordered=True)
    m = OrdinalRegression(link="probit", cov_type="robust", nominal=["b"]).fit(X, y)
    again = load_model(save_model(m, tmp_path / "m.json"))
    assert type(again) is OrdinalRegression
    assert again.classes_.tolist() == labels and again.classes_.dtype == m.classes_.dtype
    assert np.array_equal(again.predict_proba(X), m.predict_proba(X))
    assert np.array_equal(again.predict(X), m.predict(X))
    assert np.array_equal(again.predict_expected(X), m.predict_expected(X))
    pd.testing.assert_frame_equal(again.nominal_coef_, m.nominal_coef_)
    pd.testing.assert_frame_equal(again.summary(), m.summary())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert again.render_summary() == m.render_summary()


def test_array_fit_without_feature_names(tmp_path):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 2))
    y = np.digitize(x @ [1.0, 0.5] + rng.logistic(size=300), [-1.0, 1.0])
    m = OrdinalRegression().fit(x, y)
    again = load_model(save_model(m, tmp_path / "m.json"))
    assert not hasattr(again, "feature_names_in_")
    assert np.array_equal(again.predict_proba(x), m.predict_proba(x))


@settings(max_examples=20, deadline=None, derandomize=True)
@given(
    n=st.integers(60, 300),
    p=st.integers(1, 4),
    k=st.integers(2, 5),
    link=st.sampled_from(["logit", "probit", "cloglog"]),
    cov_type=st.sampled_from(["nonrobust", "robust", "cluster"]),
    seed=st.integers(0, 10_000),
)
def test_round_trip_predicts_exactly(tmp_path_factory, n, p, k, link, cov_type, seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"x{j}_name" for j in range(p)])
    latent = X.to_numpy() @ rng.normal(size=p) + rng.logistic(size=n)
    cuts = np.quantile(latent, np.linspace(0, 1, k + 1)[1:-1])
    y = np.digitize(latent, cuts) + 1
    groups = rng.integers(0, 8, size=n)
    m = OrdinalRegression(link=link, cov_type=cov_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if cov_type == "cluster":
            m.fit(X, y, groups=groups)
        else:
            m.fit(X, y)
    path = save_model(m, tmp_path_factory.mktemp("rt") / "m.json")
    again = load_model(path)
    new = pd.DataFrame(rng.normal(scale=3, size=(50, p)), columns=X.columns)
    assert np.array_equal(again.predict_proba(new), m.predict_proba(new))
    assert np.array_equal(again.predict_proba(X), m.predict_proba(X))
    pd.testing.assert_frame_equal(again.summary(), m.summary())


@settings(max_examples=12, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 10_000),
    missing=st.sampled_from(["drop", "impute"]),
    hours_log1p=st.booleans(),
    commitment=st.sampled_from(["mean", "items"]),
    include=st.sampled_from([None, "language", ["schooling", "language"]]),
    link=st.sampled_from(["logit", "probit"]),
)
def test_attainment_model_round_trip_over_settings_and_resamples(
    survey, tmp_path_factory, seed, missing, hours_log1p, commitment, include, link
):
    rng = np.random.default_rng(seed)
    sample = survey.iloc[rng.integers(0, len(survey), len(survey))].reset_index(drop=True)
    builder = cf.CoPFeatureBuilder(
        missing=missing,
        hours_log1p=hours_log1p,
        commitment=commitment,
        include=include,
        exclude=["sponsor", "steward_type"],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            m = fit_attainment_model(sample, builder=builder, link=link, cov_type="robust")
        except CopFactorsError:
            return  # a resample the model cannot be fitted on (collinear, separated, ...)
    again = load_model(save_model(m, tmp_path_factory.mktemp("am") / "m.json"))
    assert np.array_equal(again.predict_proba(survey), m.predict_proba(survey))
    assert again.predict_proba(survey).index.equals(m.predict_proba(survey).index)
    pd.testing.assert_frame_equal(again.summary(), m.summary())
    assert again.builder.describe() == m.builder.describe()


def test_non_finite_numbers_are_written_as_text(model, tmp_path):
    import copy

    odd = copy.deepcopy(model)
    # a fit whose information could not be inverted: no covariance, no standard errors
    odd.regression.cov_.iloc[:, :] = np.nan
    odd.regression.se_.iloc[:] = np.nan
    odd.regression.aic_ = np.inf
    path = save_model(odd, tmp_path / "odd.json")
    text = path.read_text(encoding="utf-8")
    assert '"NaN"' in text and '"Infinity"' in text
    again = load_model(path)
    assert np.isnan(again.regression.cov_.to_numpy()).all()
    assert np.isnan(again.regression.se_.to_numpy()).all()
    assert again.regression.aic_ == np.inf
    pd.testing.assert_frame_equal(again.regression.cov_, odd.regression.cov_)
    # a covariance that is NaN in part is no covariance at all: refused
    odd.regression.cov_.iloc[:, :] = model.regression.cov_.to_numpy()
    odd.regression.cov_.iloc[0, 1] = np.nan
    odd.regression.se_.iloc[:] = model.regression.se_.to_numpy()
    path = save_model(odd, tmp_path / "odd.json", overwrite=True)
    with pytest.raises(ModelFormatError, match=r"regression\.cov\.matrix\[0\]\[1\]: expected a fi"):
        load_model(path)


def test_loaded_model_cannot_refit_what_the_file_does_not_hold(saved):
    reg = load_model(saved).regression
    with pytest.raises(CopFactorsError, match="does not store the training rows"):
        reg.nominal_test()
    with pytest.raises(CopFactorsError, match="does not store the training rows"):
        reg.brant_test()
    assert reg.render_summary().startswith("Ordinal regression (cumulative logit)")


# ---------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------
def test_existing_file_is_only_replaced_with_overwrite(model, saved):
    before = saved.read_bytes()
    with pytest.raises(OutputExistsError, match=r"model\.json exists.*overwrite=True"):
        save_model(model, saved)
    assert isinstance(OutputExistsError("x"), FileExistsError)
    assert saved.read_bytes() == before
    save_model(model, saved, overwrite=True, created="2000-01-01T00:00:00Z")
    assert json.loads(saved.read_text(encoding="utf-8"))["created"] == "2000-01-01T00:00:00Z"
    assert sorted(p.name for p in saved.parent.iterdir()) == ["model.json"]


def test_failed_write_leaves_nothing(model, tmp_path):
    import copy

    bad = copy.deepcopy(model)
    bad.training["when"] = pd.Timestamp("2024-01-01")
    with pytest.raises(CopFactorsError, match=r"training\.when is a Timestamp"):
        save_model(bad, tmp_path / "bad.json")
    bad.training["when"] = float("nan")
    with pytest.raises(CopFactorsError, match=r"training\.when is nan"):
        save_model(bad, tmp_path / "bad.json")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(CopFactorsError, match="does not exist"):
        save_model(model, tmp_path / "no" / "such" / "folder.json")


def test_only_fitted_models_are_saved(tmp_path):
    with pytest.raises(NotFittedError):
        save_model(OrdinalRegression(), tmp_path / "m.json")
    with pytest.raises(NotFittedError, match="MixedOrdinalRegression is not fitted"):
        save_model(MixedOrdinalRegression(), tmp_path / "m.json")
    with pytest.raises(
        CopFactorsError, match="AttainmentModel, an OrdinalRegression or a MixedOrdinalRegression"
    ):
        save_model({"coef": [1.0]}, tmp_path / "m.json")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# refusing bad files
# ---------------------------------------------------------------------------------------------
class _Exploit:
    """Unpickling this would create a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _ExploitWrite:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('x')",))


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
@pytest.mark.parametrize("payload", [_Exploit, _ExploitWrite])
def test_pickle_is_refused_without_being_unpickled(tmp_path, protocol, payload):
    marker = tmp_path / "marker"
    path = tmp_path / "model.json"
    path.write_bytes(pickle.dumps(payload(marker), protocol=protocol))
    with pytest.raises(ModelFormatError, match="not a copfactors model file.*pickle"):
        load_model(path)
    assert not marker.exists()


def test_the_loader_uses_no_code_loading_functions():
    source = Path(cf.persist.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source)
    banned_modules = {"pickle", "joblib", "marshal", "shelve", "dill", "cloudpickle", "importlib"}
    banned_names = {"eval", "exec", "__import__", "import_module", "compile", "getattr"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not {a.name.split(".")[0] for a in node.names} & banned_modules
        if isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in banned_modules
        if isinstance(node, ast.Name):
            assert node.id not in banned_names - {"getattr"}, node.id
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "getattr":
                # getattr only reads fixed attribute names of our own objects
                assert isinstance(node.args[1], ast.Constant)


def test_truncated_file(saved):
    text = saved.read_text(encoding="utf-8")
    saved.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(ModelFormatError, match="is truncated"):
        load_model(saved)


def test_edited_file_fails_its_checksum(saved):
    doc = json.loads(saved.read_text(encoding="utf-8"))
    doc["regression"]["coef"]["values"][0] += 1.0
    saved.write_text(_format_json(doc), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="checksum mismatch"):
        load_model(saved)
    doc["regression"]["coef"]["values"][0] -= 1.0
    doc["training"]["simulated"] = False
    saved.write_text(_format_json(doc), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="checksum mismatch"):
        load_model(saved)
    del doc["checksum"]
    saved.write_text(_format_json(doc), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="no valid checksum"):
        load_model(saved)


def test_whitespace_does_not_matter_to_the_checksum(model, survey, saved):
    doc = json.loads(saved.read_text(encoding="utf-8"))
    saved.write_text(json.dumps(doc), encoding="utf-8")
    assert np.array_equal(load_model(saved).predict_proba(survey), model.predict_proba(survey))


def test_foreign_files(tmp_path):
    cases = {
        "other.json": ('{"format": "sklearn-model"}', "its 'format' is 'sklearn-model'"),
        "noformat.json": ('{"coef": [1]}', "no 'format' key"),
        "list.json": ("[1, 2, 3]", "holds a list of 3, not an object"),
        "text.json": ("hello", "not valid JSON"),
        "empty.json": ("", "is empty"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(ModelFormatError, match=message):
            load_model(tmp_path / name)
    (tmp_path / "latin.json").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ModelFormatError, match="not UTF-8"):
        load_model(tmp_path / "latin.json")
    with pytest.raises(ModelFormatError, match="does not exist"):
        load_model(tmp_path / "missing.json")


def test_newer_format_version(saved):
    _rewrite(saved, lambda d: d.update(format_version=3, library_version="9.0"))
    with pytest.raises(
        ModelFormatError, match=r"format version 3 by copfactors 9\.0.*up to 2: upgrade"
    ):
        load_model(saved)


def test_non_json_tokens_and_duplicate_keys(saved):
    text = saved.read_text(encoding="utf-8")
    saved.write_text(text.replace('"loglik": ', '"loglik": NaN, "x": ', 1), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="bare token NaN"):
        load_model(saved)
    saved.write_text(text.replace('"kind": ', '"kind": "x", "kind": ', 1), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="key 'kind' repeated"):
        load_model(saved)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["regression"]["coef"]["names"].reverse(), r"regression\.coef\.names"),
        (lambda d: d["regression"]["coef"]["values"].pop(), r"regression\.coef\.values"),
        (
            lambda d: d["regression"]["coef"]["values"].__setitem__(0, "1.5"),
            r"regression\.coef\.values\[0\]: expected a number",
        ),
        (lambda d: d["regression"]["params"].update(link="tanh"), "'tanh'; expected one of"),
        (lambda d: d["regression"]["cov"]["matrix"].pop(), r"regression\.cov\.matrix"),
        (lambda d: d.update(kind="forest"), "kind is 'forest'"),
        (lambda d: d["builder"]["groups"][2].update(reference="wizard"), "not a level"),
        (lambda d: d["builder"].update(feature_names_out=["x"]), "feature_names_out"),
        (lambda d: d["builder"]["params"].update(exclude=["planets"]), "unknown feature group"),
        (lambda d: d.pop("training"), "training: expected an object"),
        (lambda d: d["regression"].pop("loglik"), r"regression\.loglik is missing"),
    ],
)
def test_inconsistent_content_is_named(saved, edit, message):
    _rewrite(saved, edit)
    with pytest.raises(ModelFormatError, match=message):
        load_model(saved)


def test_public_names():
    assert cf.save_model is save_model and cf.load_model is load_model
    assert cf.AttainmentModel is AttainmentModel
    assert cf.fit_attainment_model is fit_attainment_model


# ---------------------------------------------------------------------------------------------
# random-intercept models (format_version 2)
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mixed(survey) -> AttainmentModel:
    return fit_attainment_model(
        survey, builder=cf.CoPFeatureBuilder(exclude="sponsor"), random_intercept=True
    )


@pytest.fixture
def mixed_saved(mixed, tmp_path) -> Path:
    return save_model(mixed, tmp_path / "mixed.json")


def _rows_and_cops(model: AttainmentModel, survey: pd.DataFrame):
    X = model.features(survey)
    return X, survey.loc[X.index, "cop_id"].astype(str).to_numpy()


def test_fit_with_a_random_intercept_per_cop(mixed, model, survey):
    reg = mixed.regression
    assert isinstance(reg, MixedOrdinalRegression) and mixed.random_intercept
    assert not model.random_intercept
    assert reg.n_groups_ == mixed.training["n_cops"] == 7 and reg.nobs_ == 95
    assert list(reg.random_effects_.index) == sorted(survey["cop_id"].astype(str).unique())
    assert reg.link == "logit" and reg.n_quad == 1 and reg.converged_
    t = mixed.training
    assert t["random_intercept"] is True and t["n_quad"] == 1 and t["cov_type"] == "model-based"
    assert "random_intercept" not in model.training  # fixed models' summaries are unchanged
    assert mixed.feature_names == model.feature_names == list(reg.feature_names_in_)
    # the attainment model predicts marginally: a new CoP, whatever the rows' cop_id
    X, _ = _rows_and_cops(mixed, survey)
    assert np.array_equal(mixed.predict_proba(survey).to_numpy(), reg.predict_proba(X))
    assert mixed.describe().splitlines()[0] == (
        "Attainment model (ordinal, cumulative logit, random intercept per CoP): 95 "
        "respondents in 7 CoPs"
    )
    assert "random_intercept=True" in repr(mixed)
    assert "sigma" in mixed.summary()["term"].tolist()


def test_random_intercept_options_and_errors(survey):
    builder = cf.CoPFeatureBuilder(exclude=["sponsor", "steward_type"])
    # SIMULATED, parametric, 20 CoPs whose intercepts differ (SD 1)
    many = cf.make_survey(seed=3, mode="parametric", n_respondents=400, n_cops=20, cop_sd=1.0)
    binary = fit_attainment_model(
        many, kind="binary", builder=builder, random_intercept=True, n_quad=3, link="probit"
    )
    assert binary.classes.tolist() == [False, True]
    assert binary.regression.n_quad == 3 and binary.training["n_quad"] == 3
    assert binary.regression.n_groups_ == binary.training["n_cops"] == 20
    assert binary.regression.converged_ and binary.regression.sigma_ > 0.1
    with pytest.raises(FeatureError, match="needs each respondent's CoP.*no column 'cop_id'"):
        fit_attainment_model(survey.drop(columns="cop_id"), builder=builder, random_intercept=True)
    with pytest.raises(FeatureError, match="needs the column of each respondent's CoP"):
        fit_attainment_model(survey, builder=builder, random_intercept=True, cluster=None)
    one = survey[survey["cop_id"] == survey["cop_id"].iloc[0]]
    with pytest.raises(FeatureError, match="at least 2 CoPs"):
        fit_attainment_model(one, builder=builder, random_intercept=True)
    with pytest.raises(FeatureError, match="n_quad .* needs random_intercept=True"):
        fit_attainment_model(survey, builder=builder, n_quad=5)
    with pytest.raises(FeatureError, match="n_quad must be an integer >= 1"):
        fit_attainment_model(survey, builder=builder, random_intercept=True, n_quad=0)
    with pytest.raises(FeatureError, match="random_intercept must be True or False"):
        fit_attainment_model(survey, builder=builder, random_intercept="yes")


def test_mixed_round_trip_is_exact(mixed, survey, mixed_saved, tmp_path):
    doc = json.loads(mixed_saved.read_text(encoding="utf-8"))
    assert doc["format_version"] == 2 and doc["kind"] == "attainment-model"
    assert doc["regression"]["type"] == "mixed-ordinal-regression"
    assert doc["regression"]["cov"]["names"][-1] == "log_sigma"
    assert doc["regression"]["params"]["n_quad"] == 1
    again = load_model(mixed_saved)
    assert isinstance(again, AttainmentModel) and again.random_intercept
    a, b = again.regression, mixed.regression
    X, cops = _rows_and_cops(mixed, survey)
    # marginal (a new CoP), conditional on each training CoP's mode, and a mix with unknown CoPs
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    assert np.array_equal(a.predict_proba(X, groups=cops), b.predict_proba(X, groups=cops))
    mixed_cops = np.where(np.arange(len(cops)) % 3 == 0, "a new CoP", cops)
    assert np.array_equal(
        a.predict_proba(X, groups=mixed_cops), b.predict_proba(X, groups=mixed_cops)
    )
    assert not np.array_equal(a.predict_proba(X, groups=cops), a.predict_proba(X))
    assert np.array_equal(a.predict_expected(X, cops), b.predict_expected(X, cops))
    assert np.array_equal(again.predict_proba(survey), mixed.predict_proba(survey))
    pd.testing.assert_frame_equal(a.random_effects_, b.random_effects_)
    pd.testing.assert_frame_equal(a.cov_, b.cov_)
    pd.testing.assert_series_equal(a.params_, b.params_)
    pd.testing.assert_series_equal(a.se_, b.se_)
    pd.testing.assert_frame_equal(again.summary(), mixed.summary())
    assert a._levels == b._levels and a.get_params() == b.get_params()
    for attr in ("sigma_", "sigma_se_", "sigma_ci_", "icc_", "loglik_", "aic_", "bic_"):
        assert getattr(a, attr) == getattr(b, attr), attr
    assert (a.n_groups_, a.nobs_, a.converged_) == (b.n_groups_, b.nobs_, b.converged_)
    assert np.array_equal(a.fixed_.predict_proba(X), b.fixed_.predict_proba(X))
    assert a.test_random_effect().equals(b.test_random_effect())
    assert again.describe() == mixed.describe()
    assert again.training == mixed.training
    # a loaded model saves to the same bytes
    stamp = doc["created"]
    first = save_model(mixed, tmp_path / "first.json", created=stamp)
    second = save_model(again, tmp_path / "second.json", created=stamp)
    assert first.read_bytes() == second.read_bytes()


def test_bare_mixed_regression_round_trip_with_number_groups(tmp_path):
    rng = np.random.default_rng(7)
    groups = np.repeat(np.arange(12) * 10, 25)
    x = rng.normal(size=(300, 2))
    latent = x @ [1.0, -0.5] + rng.normal(0, 1.0, 12)[groups // 10] + rng.normal(size=300)
    y = np.digitize(latent, [-1.0, 0.0, 1.2])
    m = MixedOrdinalRegression(link="probit", n_quad=3).fit(x, y, groups=groups)
    path = save_model(m, tmp_path / "m.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["kind"] == "mixed-ordinal-regression" and doc["format_version"] == 2
    assert doc["regression"]["random_effects"]["groups"][:3] == [0, 10, 20]
    again = load_model(path)
    assert type(again) is MixedOrdinalRegression and not hasattr(again, "feature_names_in_")
    new = rng.normal(scale=2, size=(40, 2))
    known = rng.choice(groups, size=40)
    assert np.array_equal(again.predict_proba(new), m.predict_proba(new))
    assert np.array_equal(again.predict_proba(new, known), m.predict_proba(new, known))
    assert np.array_equal(again.predict(new, known + 1), m.predict(new, known + 1))
    pd.testing.assert_frame_equal(again.random_effects_, m.random_effects_)
    assert again.render_summary() == m.render_summary()


def test_old_version_1_files_still_load(survey, tmp_path):
    # The shipped reference model is now a random-intercept model (version 2). The previous
    # one, the ordinal logit with HC0 covariance, was a version 1 file; models without random
    # intercept are still written in version 1 byte for byte, so writing it again gives that
    # file (up to the training notes the reference script adds).
    shipped = Path(__file__).resolve().parents[1] / "models" / "reference-ordinal.json"
    assert json.loads(shipped.read_text(encoding="utf-8"))["format_version"] == 2
    previous = fit_attainment_model(
        survey, builder=cf.CoPFeatureBuilder(exclude=["sponsor"]), cov_type="robust", cluster=None
    )
    previous.training.update(reference=True, name="reference-ordinal")
    path = save_model(previous, tmp_path / "reference-ordinal.json", created="2026-01-01T00:00:00Z")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format_version"] == 1 and "type" not in doc["regression"]
    assert doc["regression"]["params"]["cov_type"] == "robust"
    loaded = load_model(path)
    assert isinstance(loaded, AttainmentModel) and not loaded.random_intercept
    assert np.array_equal(loaded.predict_proba(survey), previous.predict_proba(survey))


def _set(path: list, value):
    def edit(d):
        for key in path[:-1]:
            d = d[key]
        d[path[-1]] = value

    return edit


_RE = ["regression", "random_effects"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_set(["regression", "sigma"], -0.5), r"regression\.sigma: expected a positive finite"),
        (_set(["regression", "sigma"], 0), r"regression\.sigma: expected a positive finite"),
        (_set(["regression", "sigma"], "Infinity"), r"regression\.sigma: expected a positive"),
        (_set(["regression", "sigma"], 2.0), r"regression\.sigma \(2\.0\) is not exp\(log_s"),
        (_set(["regression", "log_sigma"], "NaN"), r"regression\.log_sigma: expected a finite"),
        (lambda d: d["regression"].pop("sigma"), r"regression\.sigma is missing"),
        (_set([*_RE, "mode", 2], "NaN"), r"random_effects\.mode\[2\]: expected a finite"),
        (_set([*_RE, "mode", 0], "x"), r"random_effects\.mode\[0\]: expected a number"),
        (_set([*_RE, "sd", 1], 0.0), r"random_effects\.sd\[1\]: expected a positive finite"),
        (lambda d: d["regression"]["random_effects"]["mode"].pop(), r"mode: expected 7 numbers"),
        (lambda d: d["regression"]["random_effects"]["groups"].pop(), r"groups: expected a list"),
        (_set([*_RE, "groups", 1], "cop_1"), r"random_effects\.groups: a label is listed twice"),
        (_set([*_RE, "groups", 0], None), r"random_effects\.groups\[0\]: expected text or a"),
        (_set(["regression", "n_groups"], 1), r"regression\.n_groups: expected an integer >= 2"),
        (_set(["regression", "params", "n_quad"], 0), r"params\.n_quad: expected an integer"),
        (_set(["regression", "params", "link"], "tanh"), "'tanh'; expected one of"),
        (_set(["regression", "fit_link"], "probit"), r"fit_link 'probit' differs"),
        (lambda d: d["regression"]["cov"]["names"].pop(), r"regression\.cov\.names"),
        (lambda d: d["regression"]["cov"]["matrix"].pop(), r"regression\.cov\.matrix"),
        (lambda d: d["regression"]["se"].pop(), r"regression\.se: expected 20 numbers"),
        (lambda d: d["regression"]["coef"]["names"].reverse(), r"regression\.coef\.names"),
        (
            _set(["regression", "thresholds", "values", 0], 99.0),
            r"thresholds\.values: expected strictly inc",
        ),
        (lambda d: d["regression"]["fixed"].pop("cov"), r"regression\.fixed\.cov is missing"),
        (
            lambda d: d["regression"]["fixed"].update(type="mixed-ordinal-regression"),
            r"regression\.fixed: expected a regression without a random intercept",
        ),
        (_set(["regression", "type"], "forest"), r"regression\.type is the text 'forest'"),
        (_set(["format_version"], 1), r"random-intercept model, which needs format_version 2"),
        (_set(["regression", "icc"], 1.5), r"regression\.icc: expected a number in \[0, 1\)"),
    ],
)
def test_tampered_mixed_fields_are_named(mixed_saved, edit, message):
    _rewrite(mixed_saved, edit)
    with pytest.raises(ModelFormatError, match=message):
        load_model(mixed_saved)


def test_kind_and_regression_must_agree(mixed, model, tmp_path):
    bare = save_model(mixed.regression, tmp_path / "bare.json")
    _rewrite(bare, _set(["kind"], "ordinal-regression"))
    with pytest.raises(ModelFormatError, match="kind is 'ordinal-regression' but .* random-int"):
        load_model(bare)
    fixed = save_model(model.regression, tmp_path / "fixed.json")
    _rewrite(fixed, lambda d: d.update(kind="mixed-ordinal-regression", format_version=2))
    with pytest.raises(ModelFormatError, match="kind is 'mixed-ordinal-regression' but"):
        load_model(fixed)


def test_mixed_file_is_refused_when_edited_or_a_pickle(mixed, mixed_saved, tmp_path):
    doc = json.loads(mixed_saved.read_text(encoding="utf-8"))
    doc["regression"]["random_effects"]["mode"][0] += 1.0
    mixed_saved.write_text(_format_json(doc), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="checksum mismatch"):
        load_model(mixed_saved)
    pickled = tmp_path / "mixed.pkl"
    pickled.write_bytes(pickle.dumps(mixed.regression))
    with pytest.raises(ModelFormatError, match="pickle"):
        load_model(pickled)


# ---------------------------------------------------------------------------------------------
# formula models (copfactors.formula.ordinal)
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def formula_saved(tmp_path) -> Path:
    from copfactors.datasets import load_housing
    from copfactors.formula import ordinal

    fitted = ordinal("Sat ~ Infl + scale(Freq)", data=load_housing())
    return save_model(fitted, tmp_path / "formula.json")


def test_formula_model_file_holds_the_design_as_data(formula_saved):
    doc = json.loads(formula_saved.read_text(encoding="utf-8"))
    assert doc["kind"] == "ordinal-regression" and doc["format_version"] == 1
    state = doc["formula"]
    assert state["text"] == "Sat ~ Infl + scale(Freq)" and state["group"] is None
    (scale,) = state["transforms"]
    assert scale["expr"] == "scale(Freq)" and set(scale["state"]) == {"center", "ddof", "scale"}
    assert load_model(formula_saved).terms_ == state["terms"]


@pytest.mark.parametrize(
    "text, name",
    [
        ("Sat ~ Infl + __import__('os').system('echo hacked')", "__import__"),
        ("Sat ~ Infl + getattr(Infl, 'x')", "getattr"),
        ("Sat ~ I(Freq.__class__)", "__class__"),
    ],
)
def test_formula_outside_the_allow_list_is_refused_at_load(formula_saved, text, name):
    _rewrite(formula_saved, lambda d: d["formula"].update(text=text))
    with pytest.raises(ModelFormatError, match=re.escape(name)):
        load_model(formula_saved)


def test_malformed_formula_state_is_refused(formula_saved):
    _rewrite(formula_saved, lambda d: d["formula"]["factors"][0].update(categories="Low"))
    with pytest.raises(ModelFormatError, match=r"formula\.factors\[0\]\.categories"):
        load_model(formula_saved)


def test_probability_weights_survive_the_round_trip(tmp_path):
    from copfactors.errors import ModelInputError
    from copfactors.models import lr_test

    rng = np.random.default_rng(11)
    X = pd.DataFrame(rng.normal(size=(300, 2)), columns=["a", "b"])
    y = np.digitize(X @ [1.0, -0.5] + rng.logistic(size=300), [-1.0, 1.0])
    w = rng.uniform(0.5, 3.0, size=300)
    m = OrdinalRegression(cov_type="robust", weight_kind="probability").fit(X, y, sample_weight=w)
    path = save_model(m, tmp_path / "m.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["regression"]["params"]["weight_kind"] == "probability"
    assert doc["regression"]["fit_weight_kind"] == "probability"
    again = load_model(path)
    assert again.get_params()["weight_kind"] == "probability"
    assert again._fit_weight_kind == "probability"
    # no likelihood-ratio test of a pseudo-likelihood, after loading as before
    lr = again.lr_test()
    assert np.isnan(lr["chi2"]) and np.isnan(lr["p"])
    smaller = OrdinalRegression(cov_type="robust", weight_kind="probability").fit(
        X[["a"]], y, sample_weight=w
    )
    with pytest.raises(ModelInputError, match="probability"):
        lr_test(smaller, again)
    pd.testing.assert_frame_equal(again.summary(), m.summary())
    assert "probability (survey) weights" in " ".join(again.summary().attrs["notes"])
    assert again.render_summary() == m.render_summary()
    # frequency weights are not written (files stay as before weight_kind existed), and a file
    # without them reads as frequency-weighted
    frequency = OrdinalRegression().fit(X, y)
    old = save_model(frequency, tmp_path / "old.json")
    doc = json.loads(old.read_text(encoding="utf-8"))
    assert "weight_kind" not in doc["regression"]["params"]
    assert "fit_weight_kind" not in doc["regression"]
    loaded = load_model(old)
    assert loaded.get_params()["weight_kind"] == "frequency"
    assert loaded._fit_weight_kind == "frequency"
    assert loaded.render_summary() == frequency.render_summary()
    # an unknown kind is named
    _rewrite(old, lambda d: d["regression"].__setitem__("fit_weight_kind", "analytic"))
    with pytest.raises(ModelFormatError, match=r"regression\.fit_weight_kind"):
        load_model(old)


def test_builder_extra_columns_round_trip_and_score_identically(tmp_path):
    import copfactors as cf
    from copfactors.persist import fit_attainment_model, load_model, save_model

    s = cf.load_example_survey()  # SIMULATED
    rng = np.random.default_rng(3)
    s["my_var"] = rng.normal(size=len(s))
    s["team"] = rng.choice(["red", "blue", "green"], len(s))
    builder = cf.CoPFeatureBuilder(missing="impute", exclude="sponsor", extra=["my_var", "team"])
    model = fit_attainment_model(s, builder=builder)
    path = tmp_path / "extra.json"
    save_model(model, path)
    again = load_model(path)
    assert again.builder.get_params()["extra"] == ["my_var", "team"]
    assert again.builder.extra_groups_ == model.builder.extra_groups_
    assert again.feature_names == model.feature_names
    rows = s.head(6)
    pd.testing.assert_frame_equal(again.features(rows), model.features(rows))
    pd.testing.assert_frame_equal(again.predict_proba(rows), model.predict_proba(rows))
    # a text extra is scored for a plan that lacks it: the training data's typical value
    text_only = fit_attainment_model(
        s, builder=cf.CoPFeatureBuilder(missing="impute", exclude="sponsor", extra="team")
    )
    save_model(text_only, tmp_path / "team.json")
    loaded = load_model(tmp_path / "team.json")
    from copfactors.pipeline import example_plan_files

    plan = cf.PlannedCoP.from_yaml(example_plan_files()[0])
    a, b = cf.score(plan, model=text_only), cf.score(plan, model=loaded)
    assert a.to_frame().equals(b.to_frame())
    assert any("team" in n and "typical value" in n for n in a.notes)


# ---------------------------------------------------------------------------------------------
# builders with a formula (CoPFeatureBuilder(formula=...))
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def formula_builder_model():
    s = cf.load_example_survey()  # SIMULATED
    rng = np.random.default_rng(5)
    s["team"] = rng.choice(["red", "blue", "green"], len(s))
    builder = cf.CoPFeatureBuilder(
        missing="impute",
        extra="team",
        formula="commitment * voluntary + np.log1p(hours_per_week) + C(team) + scale(org_support)",
    )
    return s, fit_attainment_model(s, builder=builder)


def test_builder_formula_round_trip_scores_a_plan_identically(formula_builder_model, tmp_path):
    from copfactors.pipeline import example_plan_files

    s, model = formula_builder_model
    path = save_model(model, tmp_path / "formula_builder.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    state = doc["builder"]["formula"]
    assert doc["builder"]["params"]["formula"] == state["text"]
    assert state["design"] == doc["builder"]["feature_names_out"] == model.feature_names
    (scale,) = state["transforms"]
    assert scale["expr"] == "scale(org_support)"
    again = load_model(path)
    assert again.feature_names == model.feature_names
    assert "commitment:voluntary" in again.feature_names
    rows = s.head(8)
    pd.testing.assert_frame_equal(again.features(rows), model.features(rows))
    pd.testing.assert_frame_equal(again.predict_proba(rows), model.predict_proba(rows))
    plan = cf.PlannedCoP.from_yaml(example_plan_files()[0])
    a, b = cf.score(plan, model=model), cf.score(plan, model=again)
    assert a.to_frame().equals(b.to_frame())


@pytest.mark.parametrize(
    "text, name",
    [
        ("commitment + __import__('os').system('echo hacked')", "__import__"),
        ("commitment + getattr(voluntary, 'x')", "getattr"),
    ],
)
def test_builder_formula_outside_the_allow_list_is_refused_at_load(
    formula_builder_model, tmp_path, text, name
):
    path = save_model(formula_builder_model[1], tmp_path / "hostile.json")

    def edit(d):
        d["builder"]["params"]["formula"] = text
        d["builder"]["formula"]["text"] = text

    _rewrite(path, edit)
    with pytest.raises(ModelFormatError, match=re.escape(name)):
        load_model(path)


def test_builder_formula_malformed_state_is_refused(formula_builder_model, tmp_path):
    path = save_model(formula_builder_model[1], tmp_path / "bad.json")
    _rewrite(path, lambda d: d["builder"]["formula"]["transforms"][0].update(state=[1]))
    with pytest.raises(ModelFormatError, match=r"builder\.formula\.transforms\[0\]"):
        load_model(path)


def test_a_tampered_typical_value_of_an_extra_column_is_refused(tmp_path):
    import copfactors as cf
    from copfactors.persist import fit_attainment_model, load_model, save_model

    s = cf.load_example_survey()  # SIMULATED
    s["team"] = np.random.default_rng(4).choice(["red", "blue"], len(s))
    model = fit_attainment_model(s, builder=cf.CoPFeatureBuilder(exclude="sponsor", extra="team"))
    path = save_model(model, tmp_path / "team.json")
    assert load_model(path).builder.extra_groups_["team"]["typical"] in ("red", "blue")
    _rewrite(path, lambda d: d["builder"]["extra_groups"]["team"].__setitem__("typical", "pink"))
    with pytest.raises(ModelFormatError, match=r"extra_groups\.team\.typical"):
        load_model(path)


# ---------------------------------------------------------------------------------------------
# invariants: a file whose checksum was recomputed is still held to what a fitted model is
_REG = ["regression"]


def _swap_diagonal_sign(d):
    cov = d["regression"]["cov"]["matrix"]
    cov[0][0] = -cov[0][0]


def _shift_off_diagonal(d):
    cov = d["regression"]["cov"]["matrix"]
    cov[0][1] = cov[0][1] + 1.0


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["regression"]["thresholds"]["values"].reverse(),
            r"regression\.thresholds\.values: expected strictly increasing numbers, but \[1\]",
        ),
        (
            _set([*_REG, "thresholds", "values", 1], "NaN"),
            r"regression\.thresholds\.values\[1\]: expected a finite number",
        ),
        (
            lambda d: d["regression"]["classes"]["values"].reverse(),
            r"regression\.classes\.values: expected the outcome levels in increasing order",
        ),
        (
            _set([*_REG, "classes", "values", 1], 2),
            r"regression\.classes\.values: an outcome level is listed twice",
        ),
        (
            lambda d: d["regression"]["classes"].update(dtype="int8", values=[2, 3, 4, 300]),
            r"regression\.classes\.values do not fit dtype int8",
        ),
        (
            lambda d: d["regression"]["classes"].update(dtype="uint8", values=[-1, 3, 4, 5]),
            r"regression\.classes\.values do not fit dtype uint8",
        ),
        (
            lambda d: d["regression"]["class_scores"].reverse(),
            r"regression\.class_scores: expected strictly increasing",
        ),
        (
            _set([*_REG, "coef", "values", 0], "Infinity"),
            r"regression\.coef\.values\[0\]: expected a finite number",
        ),
        (
            _set([*_REG, "cov", "matrix", 0, 1], "Infinity"),
            r"regression\.cov\.matrix\[0\]\[1\]: expected a finite number",
        ),
        (_shift_off_diagonal, r"regression\.cov\.matrix: expected a symmetric matrix"),
        (_swap_diagonal_sign, r"regression\.cov\.matrix: expected a positive semi-definite"),
        (
            lambda d: d["regression"]["se"].__setitem__(0, -d["regression"]["se"][0]),
            r"regression\.se\[0\]: expected a finite number >= 0",
        ),
        (
            lambda d: d["regression"]["se"].__setitem__(2, 2 * d["regression"]["se"][2]),
            r"regression\.se\[2\]: .* is not the square root of the covariance's diagonal",
        ),
        (
            _set([*_REG, "cov", "matrix", 2], [1.0]),
            r"regression\.cov\.matrix\[2\]: expected \d+ numbers, got 1",
        ),
    ],
)
def test_a_broken_invariant_is_refused_even_with_a_recomputed_checksum(saved, edit, message):
    _rewrite(saved, edit)
    doc = json.loads(saved.read_text(encoding="utf-8"))
    assert doc["checksum"]["value"] == _checksum(doc)  # the checksum alone would pass
    with pytest.raises(ModelFormatError, match=message) as info:
        load_model(saved)
    assert str(saved) in str(info.value) and len(str(info.value)) < 400


def test_reversed_thresholds_never_score_an_impossible_probability(saved):
    _rewrite(saved, lambda d: d["regression"]["thresholds"]["values"].reverse())
    with pytest.raises(ModelFormatError, match="thresholds"):
        cf.score({"composition": {"n_members": 10}}, model=saved, n_draws=0)


def test_a_claimed_billion_features_is_a_dimension_mismatch(saved):
    def claim(d):
        d["kind"] = "ordinal-regression"
        d["regression"]["feature_names_in"] = None
        d["regression"]["n_features_in"] = 10**9

    _rewrite(saved, claim)
    with pytest.raises(ModelFormatError) as info:
        load_model(saved)
    message = str(info.value)
    assert "regression.n_features_in is 1000000000 but loc_idx and nominal_idx list" in message
    assert "(dimension mismatch)" in message


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_set(["regression", "sigma_se"], -1.0), r"regression\.sigma_se: expected a finite"),
        (_set(["regression", "sigma_ci"], [2.0, 1.0]), r"regression\.sigma_ci: expected \[low"),
        (_swap_diagonal_sign, r"regression\.cov\.matrix: expected a positive semi-definite"),
        (
            lambda d: d["regression"]["se"].__setitem__(1, -d["regression"]["se"][1]),
            r"regression\.se\[1\]: expected a finite number >= 0",
        ),
        (
            lambda d: d["regression"]["fixed"]["thresholds"]["values"].reverse(),
            r"regression\.fixed\.thresholds\.values: expected strictly increasing",
        ),
    ],
)
def test_broken_invariants_of_a_random_intercept_model_are_refused(mixed_saved, edit, message):
    _rewrite(mixed_saved, edit)
    with pytest.raises(ModelFormatError, match=message):
        load_model(mixed_saved)


def test_file_size_is_capped_before_reading(saved):
    size = saved.stat().st_size
    with pytest.raises(ModelFormatError, match=rf"is {size} bytes, more than the 1000 allowed"):
        load_model(saved, max_bytes=1000)
    assert isinstance(load_model(saved, max_bytes=size), AttainmentModel)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"n_rows": ', '"n_rows": 1' + "0" * 400 + ', "x": ', "an integer of 401 digits"),
        ('"loglik": ', '"loglik": 1e999, "x": ', "the number 1e999 is too large for a float"),
    ],
)
def test_huge_numbers_are_refused_while_parsing(saved, old, new, message):
    text = saved.read_text(encoding="utf-8")
    saved.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ModelFormatError, match=message) as info:
        load_model(saved)
    assert len(str(info.value)) < 300


def test_deep_nesting_and_long_values_are_refused_with_short_messages(saved, tmp_path):
    nested: list = []
    for _ in range(40):
        nested = [nested]
    _rewrite(saved, _set(["training", "description"], nested))
    with pytest.raises(ModelFormatError, match="nested more than 32 levels deep"):
        load_model(saved)
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps({"format": "x" * 1_000_000}), encoding="utf-8")
    with pytest.raises(ModelFormatError, match="its 'format' is 'xxx") as info:
        load_model(foreign)
    assert len(str(info.value)) < 300


def test_an_estimate_without_covariance_has_a_nan_row_column_and_standard_error(model, tmp_path):
    import copy

    odd = copy.deepcopy(model)
    cov = odd.regression.cov_.to_numpy().copy()
    cov[1, :] = cov[:, 1] = np.nan  # as for an infinite estimate of a separated fit
    odd.regression.cov_.iloc[:, :] = cov
    odd.regression.se_.iloc[1] = np.nan
    path = save_model(odd, tmp_path / "masked.json")
    again = load_model(path)
    assert np.isnan(again.regression.se_.iloc[1]) and np.isfinite(again.regression.se_.iloc[0])
    _rewrite(path, _set(["regression", "se", 1], 0.5))
    with pytest.raises(ModelFormatError, match=r"regression\.se\[1\]: expected NaN"):
        load_model(path)
    _rewrite(path, lambda d: d["regression"]["cov"]["matrix"][1].__setitem__(1, 0.25))
    with pytest.raises(ModelFormatError, match=r"regression\.cov\.matrix\[0\]\[1\]: expected a"):
        load_model(path)
