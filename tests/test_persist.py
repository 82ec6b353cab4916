"""copfactors.persist: attainment models, model files that load without running code."""

from __future__ import annotations

import ast
import json
import os
import pickle
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
from copfactors.models import OrdinalRegression
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
    assert doc["format"] == FORMAT and doc["format_version"] == FORMAT_VERSION == 1
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
    odd.regression.cov_.iloc[0, 1] = np.nan
    odd.regression.se_.iloc[0] = np.inf
    path = save_model(odd, tmp_path / "odd.json")
    text = path.read_text(encoding="utf-8")
    assert '"NaN"' in text and '"Infinity"' in text
    again = load_model(path)
    assert np.isnan(again.regression.cov_.iloc[0, 1])
    assert again.regression.se_.iloc[0] == np.inf
    pd.testing.assert_frame_equal(again.regression.cov_, odd.regression.cov_)


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
    with pytest.raises(CopFactorsError, match="AttainmentModel or an OrdinalRegression"):
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
    _rewrite(saved, lambda d: d.update(format_version=2, library_version="9.0"))
    with pytest.raises(
        ModelFormatError, match=r"format version 2 by copfactors 9\.0.*up to 1: upgrade"
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
