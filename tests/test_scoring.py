"""copfactors.scoring: scores of planned CoPs, their intervals, flags and levers."""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import copfactors as cf
from copfactors import scoring
from copfactors.errors import (
    CopFactorsError,
    ModelInputError,
    PerfectSeparationWarning,
    PlanError,
)
from copfactors.persist import AttainmentModel, fit_attainment_model
from copfactors.plans import PlannedCoP
from helpers import assert_json_close, assert_text_close

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def model() -> AttainmentModel:
    return scoring.reference_model()


@pytest.fixture(scope="module")
def fixed(survey) -> AttainmentModel:
    """The ordinal logit without random intercept (HC0 covariance), the previous reference."""
    return fit_attainment_model(
        survey, builder=cf.CoPFeatureBuilder(exclude="sponsor"), cov_type="robust", cluster=None
    )


def _plan(**overrides) -> PlannedCoP:
    data = {
        "name": "pilot",
        "steward_type": "designated",
        "composition": {
            "n_members": 17,
            "share_women": 0.6,
            "share_voluntary": 0.4,
            "hours_per_week": 0.8,
            "commitment": 3.6,
            "age_mix": {"50_plus": 0.3, "under_35": 0.3, "35_49": 0.4},
        },
    }
    data.update(overrides)
    return PlannedCoP.from_dict(data)


def _direct(model: AttainmentModel, plan: PlannedCoP, level: int = 4) -> tuple[float, float]:
    """The plan's probability and expected score from to_members and the model, no shortcut."""
    proba = model.predict_proba(plan.to_members())
    ge = proba.loc[:, [c for c in proba.columns if c >= level]].sum(axis=1)
    return float(ge.mean()), float((proba.to_numpy() @ proba.columns.to_numpy()).mean())


compositions = st.fixed_dictionaries(
    {
        "n_members": st.integers(1, 60),
        "share_women": st.floats(0, 1),
        "share_voluntary": st.floats(0, 1),
        "hours_per_week": st.floats(0, 3),
        "commitment": st.floats(1, 5),
        "prior_acquaintance": st.floats(1, 5),
        "age_mix": st.permutations(["under_35", "35_49", "50_plus"]).flatmap(
            lambda keys: st.integers(1, 3).map(
                lambda k: (
                    {key: 1.0 / k for key in keys[:k]} if k != 3 else dict.fromkeys(keys[:3], 1 / 3)
                )
            )
        ),
    }
)
cop_fields = st.fixed_dictionaries(
    {
        "steward_type": st.sampled_from(["none", "designated", "dedicated"]),
        "sponsor": st.sampled_from(["employer", "professional_association"]),
        "leader_changes": st.integers(0, 3),
        "training_planned": st.booleans(),
        "org_support": st.floats(1, 5),
    }
)


# ---------------------------------------------------------------------------------------------
# members and features
# ---------------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None, derandomize=True)
@given(comp=compositions, cop=cop_fields)
def test_profiles_expand_to_the_plans_members(comp, cop):
    plan = PlannedCoP.from_dict({"name": "p", **cop, "composition": comp})
    columns, weights = scoring._composition_profiles([plan])
    profiles = pd.DataFrame(columns).drop(columns=["_plan"])
    expanded = profiles.loc[profiles.index.repeat(weights.astype(int))].reset_index(drop=True)
    members = plan.to_members().drop(columns=["respondent_id"])
    assert sorted(expanded.columns) == sorted(members.columns)
    for col in members.columns:
        assert expanded[col].tolist() == members[col].tolist(), col


def test_many_plans_are_expanded_in_order(model):
    plans = [
        _plan(name="a"),
        PlannedCoP.from_dict({"name": "b", "members": [{"gender": "man", "age_band": "35_49"}]}),
        _plan(name="c", steward_type="none"),
    ]
    batch = scoring._batch(model, plans)
    assert batch.starts.tolist()[0] == 0
    ends = np.append(batch.starts[1:], len(batch.frame))
    for plan, lo, hi in zip(plans, batch.starts, ends, strict=True):
        assert set(batch.frame["cop_id"].iloc[lo:hi]) == {plan.name}
        assert batch.weights[lo:hi].sum() == plan.n_members


@pytest.mark.parametrize(
    "settings_",
    [
        {"exclude": "sponsor"},
        {"exclude": "sponsor", "hours_log1p": True},
        {"exclude": "sponsor", "commitment": "items"},
        {"exclude": "sponsor", "missing": "impute"},
    ],
)
def test_fast_encoding_is_the_builders_transform(survey, settings_):
    builder = cf.CoPFeatureBuilder(**settings_).fit(survey)
    plans = [
        _plan(name=f"p{i}", steward_type=s, leader_changes=i % 3, training_planned=bool(i % 2))
        for i, s in enumerate(["none", "designated", "dedicated"] * 4)
    ]
    columns, _ = scoring._composition_profiles(plans)
    frame = pd.DataFrame(columns).drop(columns=["_plan"])
    fast = scoring._encode_clean(builder, frame)
    slow = builder.transform(frame)
    assert fast is not None
    assert fast.columns.equals(slow.columns) and fast.index.equals(slow.index)
    assert np.array_equal(fast.to_numpy(), slow.to_numpy())


def test_fast_encoding_defers_incomplete_rows_to_the_builder(model):
    frame = pd.DataFrame(scoring._composition_profiles([_plan()])[0]).drop(columns=["_plan"])
    frame.loc[0, "gender"] = None
    assert scoring._encode_clean(model.builder, frame) is None
    frame = pd.DataFrame(scoring._composition_profiles([_plan()])[0]).drop(columns=["_plan"])
    frame.loc[0, "org_support"] = 7.0
    assert scoring._encode_clean(model.builder, frame) is None


# ---------------------------------------------------------------------------------------------
# scores
# ---------------------------------------------------------------------------------------------
def test_score_is_the_mean_member_prediction(model):
    plan = _plan()
    result = cf.score(plan, n_draws=0)
    p, e = _direct(model, plan)
    assert result.probability == pytest.approx(p, abs=1e-12)
    assert result.expected == pytest.approx(e, abs=1e-12)
    dist = model.predict_proba(plan.to_members()).mean()
    np.testing.assert_allclose(result.distribution.to_numpy(), dist.to_numpy(), atol=1e-12)
    assert result.distribution.index.tolist() == [2, 3, 4, 5]
    assert result.n_members == 17 and result.level == 4
    assert math.isnan(result.probability_low) and math.isnan(result.expected_high)
    three = cf.score(plan, n_draws=0, level=3)
    assert three.probability == pytest.approx(_direct(model, plan, 3)[0], abs=1e-12)
    assert three.probability > result.probability


def test_member_list_plans_and_row_order(model):
    members = [
        {"gender": "woman", "age_band": "under_35", "voluntary": True, "hours_per_week": 1.5},
        {"gender": "man", "age_band": "50_plus", "commitment": 2},
        {"gender": "woman", "age_band": "35_49", "commitment": 4.5, "schooling": "graduate"},
    ]
    plan = PlannedCoP.from_dict({"steward_type": "dedicated", "members": members})
    flipped = PlannedCoP.from_dict({"steward_type": "dedicated", "members": members[::-1]})
    a, b = cf.score(plan, n_draws=50), cf.score(flipped, n_draws=50)
    assert a.probability == pytest.approx(_direct(model, plan)[0], abs=1e-12)
    assert a.probability == pytest.approx(b.probability, abs=1e-12)
    assert a.probability_low == pytest.approx(b.probability_low, abs=1e-12)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(comp=compositions, cop=cop_fields)
def test_scores_are_probabilities(model, comp, cop):
    result = cf.score({"name": "p", **cop, "composition": comp}, n_draws=40)
    assert 0 <= result.probability_low <= result.probability_high <= 1
    assert 0 <= result.probability <= 1
    assert result.distribution.sum() == pytest.approx(1, abs=1e-12)
    assert 2 <= result.expected_low <= result.expected_high <= 5


def test_intervals_come_from_the_parameter_draws(model):
    plan = _plan()
    wide = cf.score(plan, n_draws=400, random_state=1)
    assert wide.probability_low < wide.probability < wide.probability_high
    assert wide.expected_low < wide.expected < wide.expected_high
    again = cf.score(plan, n_draws=400, random_state=1)
    assert (again.probability_low, again.probability_high) == (
        wide.probability_low,
        wide.probability_high,
    )
    other = cf.score(plan, n_draws=400, random_state=2)
    assert other.probability_low != wide.probability_low
    narrow = cf.score(plan, n_draws=400, random_state=1, interval=0.5)
    assert wide.probability_low < narrow.probability_low < narrow.probability_high
    assert narrow.probability_high < wide.probability_high


def test_draw_arithmetic_at_the_estimates_is_the_models(fixed):
    # a model without random intercept (the reference model has one: see the mixed tests below)
    plan = _plan()
    batch = scoring._batch(fixed, [plan])
    engine = scoring._Engine(fixed, level=4, n_draws=3, random_state=0, interval=0.9)
    assert engine.sigma is None
    reg = fixed.regression
    engine.theta = np.tile(reg.thresholds_.to_numpy(), (3, 1))
    engine.beta_t = np.tile(reg.coef_.to_numpy()[:, None], (1, 3))
    p_ge, expected = scoring._member_draws(engine.kernel(), batch.X.to_numpy())
    proba = reg.predict_proba(batch.X)
    np.testing.assert_allclose(p_ge[:, 0], proba[:, 2:].sum(axis=1), atol=1e-12)
    np.testing.assert_allclose(expected[:, 1], reg.predict_expected(batch.X), atol=1e-12)


def test_draws_are_the_same_in_one_block_many_blocks_and_two_processes(model, monkeypatch):
    plans = [_plan()] + [
        {"name": f"plan {i}", "steward_type": "dedicated", "composition": {"n_members": 5 + i}}
        for i in range(9)
    ]
    serial = cf.score_many(plans, model, n_draws=40, random_state=2)
    # blocks of a few plans each (the block size bounds member rows x draws)
    monkeypatch.setattr(scoring, "_BLOCK", 40 * 30)
    blocked = cf.score_many(plans, model, n_draws=40, random_state=2)
    two = cf.score_many(plans, model, n_draws=40, random_state=2, n_jobs=2)
    # the same seeds and draws whatever the blocks or processes; the matrix products run on
    # blocks of other shapes, which BLAS may sum in another order: equal to rounding
    pd.testing.assert_frame_equal(blocked, serial, check_exact=False, rtol=1e-12, atol=1e-14)
    pd.testing.assert_frame_equal(two, serial, check_exact=False, rtol=1e-12, atol=1e-14)
    assert serial["probability_low"].notna().all()
    with pytest.raises(CopFactorsError, match="n_jobs must be None or a non-zero integer"):
        cf.score_many(plans, model, n_draws=40, n_jobs=0)


def test_crossing_thresholds_are_sorted(model):
    wobbly = copy.deepcopy(model)
    cov = wobbly.regression.cov_.to_numpy().copy()
    cov[:3, :3] += np.eye(3) * 40.0
    wobbly.regression.cov_ = pd.DataFrame(
        cov, index=wobbly.regression.cov_.index, columns=wobbly.regression.cov_.columns
    )
    result = cf.score(_plan(), wobbly, n_draws=300)
    assert result.n_draws_sorted > 0
    assert "sorted" in result.to_text(levers=0)
    engine = scoring._Engine(wobbly, level=3, n_draws=300, random_state=0, interval=0.9)
    assert np.all(np.diff(engine.theta, axis=1) >= 0)
    assert 0 <= result.probability_low <= result.probability_high <= 1


def test_score_many_equals_score(model):
    plans = [
        _plan(name="a"),
        _plan(name="b", steward_type="none", leader_changes=2),
        PlannedCoP.from_dict(
            {"name": "c", "members": [{"gender": "man", "age_band": "35_49", "voluntary": True}]}
        ),
        _plan(name="d", steward_type="dedicated", sponsor="professional_association"),
    ]
    table = cf.score_many(plans, n_draws=200, random_state=3)
    assert table["plan"].tolist() == ["a", "b", "c", "d"]
    assert table["n_members"].tolist() == [17, 17, 1, 17]
    for plan, row in zip(plans, table.itertuples(index=False), strict=True):
        one = cf.score(plan, n_draws=200, random_state=3)
        assert row.probability == pytest.approx(one.probability, abs=1e-12)
        assert row.expected == pytest.approx(one.expected, abs=1e-12)
        assert row.probability_low == pytest.approx(one.probability_low, abs=1e-12)
        assert row.expected_high == pytest.approx(one.expected_high, abs=1e-12)
        assert row.p_5 == pytest.approx(one.distribution[5], abs=1e-12)
        assert row.n_flags == len(one.flags)
        assert row.flags == "; ".join(one.flags)
    assert "SIMULATED" in table.attrs["model_note"] and table.attrs["simulated"] is True
    fast = cf.score_many(plans)
    assert fast["probability_low"].isna().all()
    np.testing.assert_array_equal(fast["probability"], table["probability"])
    assert cf.score_many([]).empty


# ---------------------------------------------------------------------------------------------
# flags, notes and levers
# ---------------------------------------------------------------------------------------------
def test_flags_in_words():
    risky = cf.score(
        {
            "steward_type": "designated",
            "leader_changes": 3,
            "employer_recognition": 1,
            "composition": {
                "n_members": 10,
                "share_voluntary": 0.1,
                "hours_per_week": 0.25,
                "commitment": 2,
                "steward_active": 2,
            },
        },
        n_draws=0,
    )
    heads = [f.split(":")[0] for f in risky.flags]
    assert heads == [
        "mostly designated members",
        "little protected time",
        "frequent leader changes",
        "low commitment",
        "a steward with little activity",
        "little employer recognition",
    ]
    assert "10% take part voluntarily" in risky.flags[0]
    far = cf.score({"composition": {"n_members": 5, "hours_per_week": 9}}, n_draws=0)
    assert far.flags[0].startswith("no steward")
    assert "hours_per_week 9 (training data 0 to 3.5)" in far.flags[-1]


def test_model_note_says_what_the_model_was_fitted_on(survey):
    ref = cf.score(_plan(), n_draws=0)
    assert ref.model_note.startswith("reference model fitted on SIMULATED data calibrated")
    assert "refit on your own survey" in ref.model_note
    assert "(95 respondents in 7 CoPs)" in ref.model_note
    real = survey.copy()
    real.attrs = {}
    own = fit_attainment_model(
        real, builder=cf.CoPFeatureBuilder(exclude="sponsor"), cov_type="robust", cluster=None
    )
    note = cf.score(_plan(), own, n_draws=0).model_note
    assert "SIMULATED" not in note and note.startswith("model fitted on 95 respondents in 7 CoPs")
    sim = fit_attainment_model(survey, builder=cf.CoPFeatureBuilder(exclude="sponsor"))
    assert cf.score(_plan(), sim, n_draws=0).model_note.startswith(
        "model fitted on SIMULATED data (example_survey.csv)"
    )


def test_levers_are_ranked_with_paired_intervals():
    result = cf.score(_plan(steward_type="none", leader_changes=2), n_draws=500)
    levers = result.levers()
    assert list(levers.columns) == list(scoring.LEVER_COLUMNS)
    assert levers["change_pp"].is_monotonic_decreasing
    by_name = levers.set_index("lever")
    assert {"steward_designated", "steward_dedicated", "voluntary", "leader_changes"} <= set(
        by_name.index
    )
    # changes in percentage points: 100 x the difference of probabilities
    np.testing.assert_allclose(
        by_name["change_pp"], 100 * (by_name["probability"] - result.probability), atol=1e-10
    )
    steward = by_name.loc["steward_designated"]
    assert (steward["from"], steward["to"]) == ("none", "designated")
    assert by_name.loc["voluntary", "to"] == "100%"
    assert by_name.loc["leader_changes", ["from", "to"]].tolist() == ["2", "0"]
    clear = levers[levers["change_pp"] > 1]
    assert len(clear) >= 2
    assert (clear["change_pp_low"] <= clear["change_pp"]).all() and (
        clear["change_pp"] <= clear["change_pp_high"]
    ).all()
    # paired: the interval of the difference is narrower than the two intervals combined
    changed = cf.score(_plan(steward_type="designated", leader_changes=2), n_draws=500)
    assert changed.probability == pytest.approx(steward["probability"], abs=1e-12)
    unpaired = (changed.probability_high - changed.probability_low) + (
        result.probability_high - result.probability_low
    )
    assert (steward["change_pp_high"] - steward["change_pp_low"]) / 100 < unpaired
    assert result.levers() is not result.levers()  # copies: callers cannot change the cache


def test_levers_that_do_not_apply_are_left_out(survey):
    best = cf.score(
        {
            "steward_type": "dedicated",
            "training_planned": True,
            "org_support": 5,
            "employer_recognition": 5,
            "composition": {
                "n_members": 8,
                "share_voluntary": 1,
                "commitment": 5,
                "steward_active": 5,
                "prior_acquaintance": 5,
            },
        },
        n_draws=0,
    )
    assert best.levers()["lever"].tolist() == ["hours_per_week"]
    no_training = fit_attainment_model(
        survey, builder=cf.CoPFeatureBuilder(exclude=["sponsor", "training_received"])
    )
    names = cf.score(_plan(), no_training, n_draws=0).levers()["lever"].tolist()
    assert "training" not in names and "commitment" in names
    members = PlannedCoP.from_dict(
        {"members": [{"gender": "man", "age_band": "35_49", "voluntary": False}] * 3}
    )
    assert "voluntary" in cf.score(members, n_draws=0).levers()["lever"].tolist()


def test_output_formats():
    result = cf.score(_plan(steward_type="none"), n_draws=100)
    record = result.to_dict(levers=True)
    assert list(record) == [
        "plan",
        "n_members",
        "simulated",
        "model",
        "level",
        "interval",
        "probability",
        "expected",
        "distribution",
        "scale",
        "defaults_used",
        "flags",
        "model_note",
        "notes",
        "n_draws",
        "n_draws_sorted",
        "random_state",
        "levers",
    ]
    text = json.dumps(record, allow_nan=False)
    assert json.loads(text)["probability"]["estimate"] == result.probability
    assert record["levers"][0]["lever"] == result.levers()["lever"].iloc[0]
    assert cf.score(_plan(), n_draws=0).to_dict()["probability"]["low"] is None
    shown = result.to_text(levers=3)
    assert shown.splitlines()[0] == (
        'Planned CoP "pilot" (17 members), scored with copfactors\' reference model, fitted on '
        "SIMULATED data"
    )
    assert "Plausible range" in shown and "90% of 100 draws" in shown
    assert "Risk flags:\n  - no steward" in shown
    assert "What-if levers (3 of" in shown and "change (percentage points)" in shown
    assert str(result) == result.to_text(levers=0)


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------
def test_bad_arguments(fixed, survey):
    plan = _plan()
    with pytest.raises(CopFactorsError, match="level 2 is the lowest level"):
        cf.score(plan, level=2)
    with pytest.raises(CopFactorsError, match="level 7 is not a level.*3, 4, 5"):
        cf.score(plan, level=7)
    with pytest.raises(CopFactorsError, match="interval must be between 0 and 1"):
        cf.score(plan, interval=1.5)
    with pytest.raises(CopFactorsError, match="n_draws must be an integer >= 0"):
        cf.score(plan, n_draws=-1)
    with pytest.raises(CopFactorsError, match="bare OrdinalRegression"):
        cf.score(plan, fixed.regression)  # a bare MixedOrdinalRegression: see the mixed tests
    with pytest.raises(PlanError, match="exactly one of"):
        cf.score({"name": "empty"})
    with pytest.raises(PlanError, match="must be a PlannedCoP"):
        cf.score(42)


def test_plans_lacking_what_the_model_needs(model, survey):
    no_age = PlannedCoP.from_dict({"members": [{"gender": "man"}, {"gender": "woman"}]})
    with pytest.raises(PlanError, match=r"member\(s\) 1, 2 lack age_band, which the model needs"):
        cf.score(no_age)
    schooled = fit_attainment_model(
        survey, builder=cf.CoPFeatureBuilder(exclude="sponsor", include="schooling")
    )
    with pytest.raises(PlanError, match="the model uses schooling, which the plan does not give"):
        cf.score(_plan(), schooled)
    imputing = fit_attainment_model(
        survey,
        builder=cf.CoPFeatureBuilder(exclude="sponsor", include="schooling", missing="impute"),
    )
    result = cf.score(_plan(), imputing, n_draws=0)
    assert result.notes == [
        "schooling not given by the plan: filled with the training data's typical value"
    ]
    # listed once, with the defaults, with the value the feature builder fills in
    fill = imputing.builder.fill_values_["schooling"]
    assert result.defaults_used["schooling"] == (
        fill,
        "the training data's typical value (filled in by the model's feature builder)",
    )
    text = result.to_text(levers=0)
    assert f"  - schooling = {fill}: the training data's typical value" in text
    assert "Note: schooling not given" not in text


# ---------------------------------------------------------------------------------------------
# the example plans, the reference model and the scoring page
# ---------------------------------------------------------------------------------------------
def test_example_plans_load_and_the_association_cop_scores_higher():
    heart = PlannedCoP.from_yaml(EXAMPLES / "heart-health-association.yaml")
    designated = PlannedCoP.from_yaml(EXAMPLES / "designated-no-steward.yaml")
    assert heart.n_members == 20 and heart.cop["steward_type"] == "dedicated"
    assert designated.cop["steward_type"] == "none"
    a, b = cf.score(heart, n_draws=300), cf.score(designated, n_draws=300)
    assert a.probability > b.probability
    assert a.probability_low > b.probability_high
    assert a.flags == []
    assert [f.split(":")[0] for f in b.flags][:3] == [
        "no steward",
        "mostly designated members",
        "little protected time",
    ]


def test_packaged_reference_model_is_the_models_folder_copy(model):
    packaged = Path(cf.__file__).parent / "data" / scoring.REFERENCE_MODEL_FILE
    assert packaged.read_bytes() == (ROOT / "models" / scoring.REFERENCE_MODEL_FILE).read_bytes()
    assert model.training["reference"] is True and model.simulated
    assert scoring.reference_model() is model
    # a random intercept per CoP (Laplace), written as format version 2
    assert json.loads(packaged.read_text(encoding="utf-8"))["format_version"] == 2
    assert model.random_intercept and model.training["n_quad"] == 1
    assert model.training["cov_type"] == "model-based"
    assert model.regression.n_groups_ == 7 and model.regression.converged_


#: Fields of the random-intercept regression computed from its Hessian, which is a central
#: difference of the exact gradient: rounding in the gradient is divided by the step, so these
#: fields move far more across BLAS kernels than the estimates do.
_HESSIAN_FIELDS = ("cov", "se", "sigma_se", "sigma_ci")


def _split_hessian(doc: dict) -> tuple[dict, dict]:
    doc = copy.deepcopy(doc)
    reg = doc["regression"]
    return doc, {k: reg.pop(k) for k in _HESSIAN_FIELDS}


def test_reference_model_files_are_reproducible(tmp_path):
    # The fit goes through LAPACK and Newton's method, whose last digits depend on the CPU's
    # BLAS kernel: the model files are compared parsed (numbers to 1e-10 relative, far below any
    # printed digit and far above the 1e-16 kernel noise; 1e-9 absolute for values that are
    # round-off themselves, such as the converged gradients of about 1e-11 and 3e-7), the card
    # as text (words exactly, numbers to one printed unit). The regenerated files must still
    # load. The random-intercept model's covariance is a finite difference of its gradient:
    # two runs on one machine write the same bytes, but across OpenBLAS kernels
    # (OPENBLAS_CORETYPE Haswell, Zen, Sandybridge, Nehalem, Core2, Atom, Prescott) its
    # entries moved by up to 7.2e-8 relative (2.2e-10 absolute) and se, sigma_se and sigma_ci
    # by up to 7e-10, while every estimate stayed within 1e-13: the Hessian fields are held to
    # 1e-6 relative (a margin of 14 over the largest difference measured), the rest to 1e-10.
    written = _script("make_reference_model").write(tmp_path)
    for path in written:
        rel = path.relative_to(tmp_path)
        shipped = ROOT / rel
        if path.suffix == ".json":
            new, new_hessian = _split_hessian(json.loads(path.read_text(encoding="utf-8")))
            old, old_hessian = _split_hessian(json.loads(shipped.read_text(encoding="utf-8")))
            assert_json_close(new, old, rtol=1e-10, atol=1e-9)
            assert_json_close(new_hessian, old_hessian, rtol=1e-6, atol=1e-9)
            cf.load_model(path)
        else:
            assert_text_close(
                path.read_text(encoding="utf-8"), shipped.read_text(encoding="utf-8"), name=str(rel)
            )


def test_scoring_page_is_current():
    page = ROOT / "docs" / "scoring.md"
    # the page prints scores of the reference model: numbers to one printed unit (see above)
    assert_text_close(
        _script("make_scoring_doc").render(),
        page.read_text(encoding="utf-8"),
        name="docs/scoring.md (run python scripts/make_scoring_doc.py)",
    )


def test_a_separated_model_is_refused_naming_the_infinite_estimates(survey):
    # on the example survey every respondent without a steward is "not attained": the binary
    # model's steward estimates are infinite, so some members' probabilities are undefined
    with pytest.warns(PerfectSeparationWarning):
        binary = fit_attainment_model(
            survey, kind="binary", builder=cf.CoPFeatureBuilder(exclude="sponsor")
        )
    assert binary.regression.separated_.any()
    with pytest.raises(ModelInputError, match="steward_designated, steward_dedicated"):
        cf.score(_plan(), binary, n_draws=0)


def test_binary_models_score_the_probability_of_attainment(survey):
    # without the steward drivers the binary model is not separated
    binary = fit_attainment_model(
        survey, kind="binary", builder=cf.CoPFeatureBuilder(exclude=["sponsor", "steward_type"])
    )
    assert not binary.regression.separated_.any()
    plan = _plan()
    result = cf.score(plan, binary, n_draws=100, level=99)  # the level is not used
    proba = binary.predict_proba(plan.to_members())
    assert result.probability == pytest.approx(proba[True].mean(), abs=1e-12)
    assert result.expected == pytest.approx(result.probability, abs=1e-12)
    assert result.level is True
    text = result.to_text(levers=0)
    lines = text.splitlines()
    assert lines[1].startswith(
        'Chance that a typical member rates the objectives "attained" or better on average '
        "(4 or more of 5): "
    )
    assert lines[1].endswith(f": {100 * result.probability:.0f}%")
    assert "Expected" not in text and "False" not in text
    at = lines.index("Outcomes, with the chance of each for a typical member:")
    assert lines[at + 1].split()[:2] == ["not", "attained"]
    assert lines[at + 2].split() == ["attained", f"{100 * result.probability:.0f}%"]
    assert result.model_info["threshold"] == 4.0
    assert result.to_dict()["distribution"][1] == {
        "level": True,
        "label": "attained",
        "probability": result.distribution[True],
    }
    assert cf.score_many([plan], binary).columns.tolist()[8:10] == ["p_False", "p_True"]


# ---------------------------------------------------------------------------------------------
# random-intercept models: a planned CoP is a new CoP
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mixed(survey) -> AttainmentModel:
    """A random intercept per CoP, fitted on the example survey (SIMULATED, 7 CoPs)."""
    return fit_attainment_model(
        survey, builder=cf.CoPFeatureBuilder(exclude="sponsor"), random_intercept=True
    )


def _marginal_by_hand(model: AttainmentModel, plan: PlannedCoP, level: int = 4):
    """Mean over the members of P(attainment >= level) for a new CoP, by adaptive quadrature."""
    from scipy import integrate, special, stats

    reg = model.regression
    X = model.features(plan.to_members()).to_numpy(dtype=float)
    eta = X @ reg.coef_.to_numpy()
    theta = reg.thresholds_.to_numpy()
    k = reg.classes_.tolist().index(level)
    sd = reg.sigma_

    def p_ge(e: float) -> float:
        def f(u):
            return special.expit(-(theta[k - 1] - e - u)) * stats.norm.pdf(u, scale=sd)

        return integrate.quad(f, -15 * sd, 15 * sd, epsabs=1e-14, epsrel=1e-13)[0]

    return float(np.mean([p_ge(e) for e in eta]))


def test_mixed_model_scores_the_marginal_probability_of_a_new_cop(mixed):
    plan = _plan()
    result = cf.score(plan, mixed, n_draws=0)
    assert result.probability == pytest.approx(_marginal_by_hand(mixed, plan), abs=1e-10)
    assert result.probability == pytest.approx(_direct(mixed, plan)[0], abs=1e-12)
    three = cf.score(plan, mixed, n_draws=0, level=3)
    assert three.probability == pytest.approx(_marginal_by_hand(mixed, plan, 3), abs=1e-10)
    # not conditional on a training CoP, even one of the same name
    reg = mixed.regression
    X = mixed.features(plan.to_members())
    best = reg.random_effects_["mode"].idxmax()
    conditional = reg.predict_proba(X, groups=np.full(len(X), best))[:, 2:].sum(axis=1).mean()
    assert conditional > result.probability + 1e-3
    named = cf.score(_plan(name=best), mixed, n_draws=0)
    assert named.probability == result.probability


def test_mixed_draw_arithmetic_at_the_estimates_is_the_models(mixed):
    plan = _plan()
    batch = scoring._batch(mixed, [plan])
    engine = scoring._Engine(mixed, level=4, n_draws=3, random_state=0, interval=0.9)
    reg = mixed.regression
    assert engine.sigma.shape == (3,) and engine.beta_t.shape == (len(reg.coef_), 3)
    engine.theta = np.tile(reg.thresholds_.to_numpy(), (3, 1))
    engine.beta_t = np.tile(reg.coef_.to_numpy()[:, None], (1, 3))
    engine.sigma = np.full(3, reg.sigma_)
    p_ge, expected = scoring._member_draws(engine.kernel(), batch.X.to_numpy())
    proba = reg.predict_proba(batch.X)  # marginal: a new CoP
    np.testing.assert_allclose(p_ge[:, 0], proba[:, 2:].sum(axis=1), atol=1e-12)
    np.testing.assert_allclose(expected[:, 1], reg.predict_expected(batch.X), atol=1e-12)


def _sigma_fixed_at(model: AttainmentModel, log_sigma: float | None) -> AttainmentModel:
    """The model with log_sigma not drawn (its variance zero), at its estimate or another value."""
    out = copy.deepcopy(model)
    reg = out.regression
    if log_sigma is not None:
        reg.params_["log_sigma"] = log_sigma
        reg.sigma_ = math.exp(log_sigma)
    cov = reg.cov_.copy()
    cov.loc["log_sigma", :] = 0.0
    cov.loc[:, "log_sigma"] = 0.0
    reg.cov_ = cov
    return out


def test_mixed_intervals_draw_log_sigma(mixed):
    plan = _plan()
    result = cf.score(plan, mixed, n_draws=1000, random_state=0)
    engine = scoring._Engine(mixed, level=4, n_draws=1000, random_state=0, interval=0.9)
    log_sd = mixed.regression.se_["log_sigma"]
    assert np.std(np.log(engine.sigma)) == pytest.approx(log_sd, rel=0.1)
    assert result.probability_low < result.probability < result.probability_high

    def width(r):
        return r.probability_high - r.probability_low

    # with 7 CoPs sigma is uncertain: drawing it widens the interval, compared with sigma held
    # at its estimate and with sigma ~0 (no between-CoP variance), the same draws otherwise
    held = cf.score(plan, _sigma_fixed_at(mixed, None), n_draws=1000, random_state=0)
    none = cf.score(plan, _sigma_fixed_at(mixed, -30.0), n_draws=1000, random_state=0)
    assert held.probability == result.probability
    assert width(result) > width(held) > 0
    assert width(result) > width(none) > 0
    # sigma ~0: the marginal probability is the conditional one at u = 0
    X = mixed.features(plan.to_members())
    reg = mixed.regression
    eta = X.to_numpy() @ reg.coef_.to_numpy()
    at_zero = 1.0 / (1.0 + np.exp(reg.thresholds_.iloc[1] - eta))  # 1 - expit(theta_1 - eta)
    assert none.probability == pytest.approx(float(at_zero.mean()), abs=1e-12)


def test_mixed_score_says_random_intercept_and_new_cop(mixed, fixed):
    result = cf.score(_plan(), mixed, n_draws=50)
    text = result.to_text(levers=0)
    data = json.loads(json.dumps(result.to_dict()))
    for note in (text, data["model_note"], result.to_html(levers=0)):
        assert "random-intercept model" in note
        assert "the probability is for a new CoP, population-averaged" in note
    assert f"sigma = {mixed.regression.sigma_:.2f}" in data["model_note"]
    fixed_note = cf.score(_plan(), fixed, n_draws=0).model_note
    assert "random-intercept" not in fixed_note and "new CoP" not in fixed_note
    # the reference model has a random intercept: its note says so after the SIMULATED warning
    ref_note = cf.score(_plan(), n_draws=0).model_note
    assert ref_note.startswith("reference model fitted on SIMULATED data")
    assert "random-intercept model" in ref_note and "for a new CoP" in ref_note


def test_mixed_model_wherever_an_attainment_model_is_accepted(mixed, tmp_path, monkeypatch):
    plans = [_plan(name="a"), _plan(name="b", steward_type="none"), _plan(name="c")]
    plans[2] = PlannedCoP.from_dict(
        {"name": "c", "members": [{"gender": "man", "age_band": "35_49", "voluntary": True}]}
    )
    table = cf.score_many(plans, mixed, n_draws=100, random_state=4)
    for plan, row in zip(plans, table.itertuples(index=False), strict=True):
        one = cf.score(plan, mixed, n_draws=100, random_state=4)
        assert row.probability == pytest.approx(one.probability, abs=1e-12)
        assert row.probability_low == pytest.approx(one.probability_low, abs=1e-12)
        assert row.expected_high == pytest.approx(one.expected_high, abs=1e-12)
    assert "random-intercept model" in table.attrs["model_note"]
    monkeypatch.setattr(scoring, "_BLOCK", 100 * 3)
    blocked = cf.score_many(plans, mixed, n_draws=100, random_state=4)
    # other blocks are other matrix shapes, which BLAS may sum in another order (seen with
    # the SkylakeX kernel on 2 threads): equal to rounding, not bit for bit
    pd.testing.assert_frame_equal(blocked, table, check_exact=False, rtol=1e-12, atol=1e-14)
    # from a model file (format version 2): the same scores, levers included
    path = cf.save_model(mixed, tmp_path / "mixed.json")
    a = cf.score(plans[0], mixed, n_draws=100)
    b = cf.score(plans[0], path, n_draws=100)
    assert a.to_dict(levers=True) == b.to_dict(levers=True)
    assert len(a.levers()) > 0
    with pytest.raises(CopFactorsError, match="bare MixedOrdinalRegression"):
        cf.score(plans[0], mixed.regression)


def test_public_names():
    assert cf.score is scoring.score and cf.score_many is scoring.score_many
    assert cf.ScoreResult is scoring.ScoreResult and cf.PlannedCoP is PlannedCoP


# ---------------------------------------------------------------------------------------------
# the output a practitioner reads: what was scored with what, in words, defaults, levers in pp
# ---------------------------------------------------------------------------------------------
def _complete_plan(**overrides) -> PlannedCoP:
    """A plan that gives every field (no default is taken)."""
    data = {
        "name": "complete",
        "steward_type": "dedicated",
        "sponsor": "employer",
        "leader_changes": 1,
        "training_planned": True,
        "org_support": 3,
        "employer_recognition": 3,
        "peer_recognition": 3,
        "tech_mastery": 3,
        "composition": {
            "n_members": 12,
            "share_women": 0.5,
            "age_mix": {"under_35": 0.3, "35_49": 0.4, "50_plus": 0.3},
            "share_voluntary": 0.5,
            "hours_per_week": 1.0,
            "prior_acquaintance": 3,
            "commitment": 3.5,
            "steward_active": 4,
        },
    }
    data.update(overrides)
    return PlannedCoP.from_dict(data)


def _pct(p: float) -> str:
    """A probability as the text prints it: whole percentages, <1% and >99% at the ends."""
    v = 100 * p
    return "<1%" if 0 < v < 0.5 else ">99%" if 99.5 < v < 100 else f"{v:.0f}%"


def test_first_line_names_the_plan_and_the_model(survey, fixed):
    ref = cf.score(_plan(), n_draws=0).to_text(levers=0).splitlines()[0]
    assert ref == (
        'Planned CoP "pilot" (17 members), scored with copfactors\' reference model, fitted on '
        "SIMULATED data"
    )
    sim = cf.score(_plan(), fixed, n_draws=0).to_text(levers=0).splitlines()[0]
    assert sim.endswith(
        "scored with a model fitted on SIMULATED data (example_survey.csv, 95 respondents in 7 "
        "CoPs)"
    )
    real = survey.copy()
    real.attrs = {"source": "my-survey.sav"}
    own = fit_attainment_model(
        real, builder=cf.CoPFeatureBuilder(exclude="sponsor"), cov_type="robust", cluster=None
    )
    result = cf.score(_plan(), own, n_draws=0)
    text = result.to_text(levers=2)
    assert text.splitlines()[0] == (
        'Planned CoP "pilot" (17 members), scored with the model fitted on my-survey.sav (95 '
        "respondents in 7 CoPs)"
    )
    assert "SIMULATED" not in text and result.simulated is False
    assert "fitted on observational (survey) data, not tested" in " ".join(text.split())
    single = cf.score({"name": "solo", "members": [{"gender": "man", "age_band": "35_49"}]})
    assert single.to_text(levers=0).startswith('Planned CoP "solo" (1 member), scored with')


def test_the_chance_in_words_matches_the_numbers():
    result = cf.score(_plan(), n_draws=200)
    lines = result.to_text(levers=0).splitlines()
    assert lines[1] == (
        'Chance that a typical member rates the CoP\'s objectives "attained" or better (4 or 5 '
        f"of 5): {_pct(result.probability)}"
    )
    explained = " ".join(lines[2:4])
    low, high = _pct(result.probability_low), _pct(result.probability_high)
    assert f"Plausible range {low} to {high}: 90% of 200 draws" in explained
    assert "average over the 17 planned members" in explained
    # another level: the words follow it
    three = cf.score(_plan(), n_draws=0, level=3)
    line = three.to_text(levers=0).splitlines()[1]
    assert line.startswith("Chance that a typical member rates the CoP's objectives \"more or less")
    assert line.endswith(f'attained" or better (3, 4 or 5 of 5): {_pct(three.probability)}')
    assert "No plausible range" in three.to_text(levers=0)
    # two decimals of percentages with digits=4
    assert f": {100 * result.probability:.2f}%" in result.to_text(digits=4, levers=0)


def test_the_rating_scale_has_the_codebook_labels_and_the_chances():
    result = cf.score(_plan(), n_draws=0)
    lines = result.to_text(levers=0).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Ratings of the attainment"))
    rows = [line.split() for line in lines[at + 1 : at + 6]]
    labels = cf.CODEBOOK["att_learning"].anchors()
    assert [int(r[0]) for r in rows] == [1, 2, 3, 4, 5]
    assert [" ".join(r[1:-1]) for r in rows] == [labels[k] for k in range(1, 6)]
    assert rows[0][-1] == "-"  # nobody in the training data rated 1
    for r in rows[1:]:
        p = float(result.distribution[int(r[0])])
        assert r[-1] == _pct(p)
    assert "Rating 1 never occurs in the model" in lines[at + 6]
    assert lines[at + 7].startswith(f"Expected rating: {result.expected:.2f} of 5")
    assert result.level_labels == {2: labels[2], 3: labels[3], 4: labels[4], 5: labels[5]}
    # levels without labels: the numbers
    bare = dataclasses.replace(result, level_labels=dict.fromkeys(result.level_labels))
    line = bare.to_text(levers=0).splitlines()[1]
    assert line.startswith(
        "Chance that a typical member rates the CoP's objectives 4 or higher (4 or 5): "
    )
    assert '"' not in line


def test_defaults_are_listed_exactly():
    plan = _plan()
    result = cf.score(plan, n_draws=0)
    assert result.defaults_used == plan.defaults_used
    text = result.to_text(levers=0)
    block = text.split("Defaults used (the plan leaves these out; the chance depends on them):\n")
    block = block[1].split("Risk flags")[0].splitlines()
    assert [line[4:].split(" = ")[0] for line in block] == list(plan.defaults_used)
    assert "  - org_support = 3: copfactors' default for plans" in block
    assert (
        "  - composition.steward_active = 3: copfactors' default for plans with a designated "
        "steward" in block
    )
    record = result.to_dict()
    assert [d["field"] for d in record["defaults_used"]] == list(plan.defaults_used)
    assert record["defaults_used"][0] == {
        "field": "sponsor",
        "value": "employer",
        "source": "copfactors' default for plans",
    }
    complete = cf.score(_complete_plan(), n_draws=0)
    assert complete.defaults_used == {} and complete.to_dict()["defaults_used"] == []
    assert "Defaults used: none" in complete.to_text(levers=0)
    assert 'Defaults used</th><td colspan="2" style="text-align:left">none' in (
        complete.to_html(levers=0)
    )


def test_defaults_of_your_own_variables_are_listed(survey):
    s = survey.copy()
    rng = np.random.default_rng(1)
    s["team"] = rng.choice(["a", "b", "b"], len(s))
    model = fit_attainment_model(s, builder=cf.CoPFeatureBuilder(exclude="sponsor", extra="team"))
    typical = model.builder.extra_groups_["team"]["typical"]
    result = cf.score(_complete_plan(), model, n_draws=0)
    assert result.defaults_used == {
        "team": (
            typical,
            "the training data's typical value (a variable of your own, not part of a plan)",
        )
    }
    text = result.to_text(levers=0)
    assert f"  - team = {typical}: the training data's typical value" in text
    assert "Note: your own variable" not in text  # listed once, with the defaults


def test_json_says_what_the_model_is_and_what_it_was_fitted_on(fixed):
    record = json.loads(json.dumps(cf.score(_plan(), n_draws=50).to_dict(levers=True)))
    assert record["simulated"] is True
    assert record["model"] == {
        "kind": "random-intercept",
        "outcome": "ordinal",
        "link": "logit",
        "reference": True,
        "data": {
            "source": "example_survey.csv",
            "n_respondents": 95,
            "n_cops": 7,
            "simulated": True,
        },
        "covariance": {
            "type": "model-based",
            "description": "model-based (the inverse of the information matrix)",
        },
    }
    assert record["scale"]["levels"][0] == {
        "level": 1,
        "label": "not attained at all",
        "in_model": False,
    }
    assert [d["label"] for d in record["distribution"]] == [
        "slightly attained",
        "more or less attained",
        "attained",
        "perfectly attained",
    ]
    assert all(isinstance(d["probability"], float) for d in record["distribution"])
    own = cf.score(_plan(), fixed, n_draws=0).to_dict()
    assert own["model"]["kind"] == "fixed-effects" and own["model"]["reference"] is False
    assert own["model"]["covariance"]["type"] == "robust"
    assert own["simulated"] is True  # the example survey is SIMULATED


def test_levers_are_in_percentage_points_with_the_caveat():
    result = cf.score(_plan(steward_type="none"), n_draws=300)
    levers = result.levers()
    record = result.to_dict(levers=True)["levers"]
    assert [r["lever"] for r in record] == levers["lever"].tolist()
    for r, (_, row) in zip(record, levers.iterrows(), strict=True):
        assert r["delta"] == pytest.approx(r["probability"] - result.probability, abs=1e-12)
        for key in ("delta", "delta_low", "delta_high"):
            pp = key.replace("delta", "delta_pp")
            assert r[pp] == pytest.approx(100 * r[key], rel=1e-12, abs=1e-12)
            assert row[key.replace("delta", "change_pp")] == pytest.approx(r[pp], abs=1e-10)
    text = result.to_text(levers=3)
    table = text.split("What-if levers (3 of")[1]
    assert "change (percentage points)" in table and "plausible range" in table
    for rec in levers.head(3).itertuples(index=False):
        row = next(line for line in table.splitlines() if line.startswith(rec.lever + " "))
        shown = f"{rec.change_pp:+.0f}" if round(rec.change_pp) else "0"
        assert f" {shown} " in row
    flat = " ".join(text.split())
    assert (
        "The levers are associations in the model, fitted on observational (here SIMULATED) "
        "data, not tested interventions" in flat
    )
    assert "points)" not in flat.replace("(percentage points)", "")  # one unit only
    html = result.to_html(levers=3)
    assert "change (percentage points)" in html and "not tested interventions" in html
    assert "SIMULATED" in html.split("</caption>")[0]


# ---------------------------------------------------------------------------------------------
# draws and seeds: checked before anything is read or drawn
def test_draws_are_capped_before_the_plan_or_model_is_read(tmp_path):
    from copfactors.errors import ParameterError

    missing = tmp_path / "missing.json"  # never read: the draws are checked first
    with pytest.raises(ParameterError, match="n_draws is 1000000000, more than the 100000"):
        cf.score(missing, missing, n_draws=10**9)
    with pytest.raises(ParameterError, match="pass max_draws=100001"):
        cf.score_many([missing], missing, n_draws=scoring.MAX_DRAWS + 1)
    with pytest.raises(ParameterError, match="n_draws is 11, more than the 10 allowed"):
        cf.score(_plan(), n_draws=11, max_draws=10)
    assert cf.score(_plan(), n_draws=10, max_draws=10).n_draws == 10
    with pytest.raises(ParameterError, match="max_draws must be an integer >= 0"):
        cf.score(_plan(), max_draws=-5)


@pytest.mark.parametrize("seed", [-1, 2**32, 10**100, True, 1.5, "0"])
def test_seeds_outside_what_numpy_accepts_are_parameter_errors(tmp_path, seed):
    from copfactors.errors import ParameterError

    with pytest.raises(ParameterError, match=r"random_state must be an integer from 0 to 429"):
        cf.score(tmp_path / "missing.yaml", random_state=seed)
    with pytest.raises(ParameterError, match="random_state"):
        cf.score_many([tmp_path / "missing.yaml"], random_state=seed)


def test_the_edges_of_the_seed_range_and_none_are_accepted():
    top = cf.score(_plan(), n_draws=20, random_state=2**32 - 1)
    assert top.random_state == 2**32 - 1 and top.n_draws == 20
    assert cf.score(_plan(), n_draws=20, random_state=np.int64(0)).random_state == 0
    assert cf.score(_plan(), n_draws=20, random_state=None).random_state is None
