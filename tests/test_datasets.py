"""copfactors.datasets: Table 1, the simulator (SIMULATED data) and the example survey."""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from copfactors import datasets
from copfactors.datasets import (
    EFFECT_CLAIMS,
    EXAMPLE_SEED,
    EXTRA_EFFECTS,
    GENERATING_MODEL,
    _sprite,
    calibration_report,
    load_example_survey,
    load_table1,
    load_table1_tests,
    make_survey,
    simulation_design,
)
from copfactors.datasets._simulate import COLUMNS, OBJECTIVES
from copfactors.errors import CopFactorsError, ParameterError
from copfactors.schema import CODEBOOK, validate
from copfactors.schema import OBJECTIVES as SCHEMA_OBJECTIVES

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "copfactors" / "datasets" / "data"
PREFIX = {"importance": "imp", "attainment": "att"}
GENDER = {"men": "man", "women": "woman"}


# --- an independent consistency check of printed cells --------------------------------------
# Written apart from copfactors.datasets._sprite: printed values are compared with Python's
# decimal rounding of both tie rules, sums of squares come from the SD window, and count
# vectors are solved for (c1, c2, c3) given (c4, c5).


def _prints_as(value: float, printed: float) -> bool:
    lo, hi = printed - 0.005, printed + 0.005
    return lo - 1e-9 <= value <= hi + 1e-9


def _counts_exist(n: int, s: int, q: int) -> bool:
    for c5 in range(n + 1):
        for c4 in range(n + 1 - c5):
            a = n - c4 - c5
            b = s - 4 * c4 - 5 * c5
            c = q - 16 * c4 - 25 * c5
            num = c - a - 3 * (b - a)
            if num % 2:
                continue
            c3 = num // 2
            c2 = b - a - 2 * c3
            c1 = a - c2 - c3
            if min(c1, c2, c3) >= 0:
                return True
    return False


def _independent_check(n: int, mean: float, sd: float) -> str:
    """'ok', 'grim' (no sum gives the mean) or 'grimmer' (no answers give the SD too)."""
    sums = [s for s in range(n, 5 * n + 1) if _prints_as(s / n, mean)]
    if not sums:
        return "grim"
    for s in sums:
        lo = (n - 1) * max(sd - 0.005 - 1e-9, 0) ** 2 + s * s / n
        hi = (n - 1) * (sd + 0.005 + 1e-9) ** 2 + s * s / n
        for q in range(math.ceil(lo - 1e-9), math.floor(hi + 1e-9) + 1):
            var = (q - s * s / n) / (n - 1)
            if var >= 0 and _prints_as(math.sqrt(var), sd) and _counts_exist(n, s, q):
                return "ok"
    return "grimmer"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return load_table1()


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return make_survey(seed=0)


@pytest.fixture(scope="module")
def example() -> pd.DataFrame:
    return load_example_survey()


@pytest.fixture(scope="module")
def independent(table: pd.DataFrame) -> dict[tuple[str, str, str], str]:
    groups = table[table["group"] != "total"]
    return {
        (r.objective, r.measure, r.group): _independent_check(int(r.n), r.mean, r.sd)
        for r in groups.itertuples(index=False)
    }


def _mean_attainment(frame: pd.DataFrame) -> pd.Series:
    att = [f"att_{o}" for o in OBJECTIVES]
    return frame[att].astype("Float64").mean(axis=1).astype(float)


# --- Table 1 ------------------------------------------------------------------------------


def test_table1_shape_columns_and_types(table):
    assert table.shape == (90, 7)
    assert list(table.columns) == ["objective", "label", "measure", "group", "mean", "n", "sd"]
    assert table["n"].dtype == np.int64
    assert table["mean"].dtype == np.float64 and table["sd"].dtype == np.float64
    assert tuple(table["objective"].drop_duplicates()) == SCHEMA_OBJECTIVES
    assert set(table["measure"]) == {"importance", "attainment"}
    assert set(table["group"]) == {"men", "women", "total"}
    assert not table.duplicated(["objective", "measure", "group"]).any()


@pytest.mark.parametrize(
    ("objective", "measure", "group", "mean", "n", "sd"),
    [
        ("innovation", "importance", "men", 4.00, 55, 0.82),
        ("information_sharing", "attainment", "women", 4.00, 52, 0.97),
        ("reduce_workforce", "attainment", "men", 2.45, 11, 0.93),
        ("learning", "attainment", "total", 3.79, 81, 0.88),
    ],
)
def test_table1_spot_values(table, objective, measure, group, mean, n, sd):
    row = table.set_index(["objective", "measure", "group"]).loc[(objective, measure, group)]
    assert row["mean"] == pytest.approx(mean)
    assert row["n"] == n
    assert row["sd"] == pytest.approx(sd)


def test_table1_total_n_is_men_plus_women(table):
    wide = table.pivot_table(index=["objective", "measure"], columns="group", values="n")
    np.testing.assert_array_equal(wide["total"], wide["men"] + wide["women"])


def test_table1_tests(table):
    tests = load_table1_tests()
    assert tests.shape == (30, 6)
    assert list(tests.columns) == ["objective", "measure", "t", "df", "stars", "significant"]
    assert set(tests["stars"]) <= {"", "*", "**", "***"}
    assert tests["significant"].dtype == bool
    np.testing.assert_array_equal(tests["significant"], tests["stars"] != "")
    np.testing.assert_array_equal(tests["t"].isna(), ~tests["significant"])
    welch = tests.set_index(["objective", "measure"]).loc[("information_sharing", "importance")]
    assert welch["df"] == pytest.approx(94.58)
    # every printed significant importance t is negative: women rate higher (claim C7)
    imp = tests[(tests["measure"] == "importance") & tests["significant"]]
    assert (imp["t"] < 0).all()


# --- GRIM / GRIMMER / SPRITE --------------------------------------------------------------


def test_consistent_moments_agrees_with_brute_force_for_small_n():
    for n in range(2, 8):
        printed: dict[tuple[float, float], set[tuple[int, int]]] = {}
        achievable = set()
        for answers in itertools.combinations_with_replacement(range(1, 6), n):
            a = np.array(answers)
            pair = (int(a.sum()), int((a**2).sum()))
            achievable.add(pair)
            printed.setdefault((round(a.mean(), 2), round(a.std(ddof=1), 2)), set()).add(pair)
        for (mean, sd), pairs in printed.items():
            found = set(_sprite.consistent_moments(n, mean, sd))
            assert pairs <= found
            for s, q in found:
                assert (s, q) in achievable
                assert _prints_as(s / n, mean)
                assert _prints_as(math.sqrt((q - s * s / n) / (n - 1)), sd)
    # a mean that no 53 answers can have (GRIM): 206/53 = 3.887 and 207/53 = 3.906
    assert _sprite.consistent_moments(53, 3.90, 0.81) == []
    assert _sprite.nearest_moments(53, 3.90, 0.81)[0][0] == 207


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 60), data=st.data())
def test_sprite_hits_sum_and_sum_of_squares(n, data):
    s = data.draw(st.integers(n, 5 * n))
    qs = _sprite.achievable_sumsq(n, s)
    q = int(data.draw(st.sampled_from(qs.tolist())))
    counts = _sprite.sprite(n, s, q, np.random.default_rng(data.draw(st.integers(0, 99))))
    levels = np.arange(1, 6)
    assert counts.min() >= 0
    assert int(counts.sum()) == n
    assert int(counts @ levels) == s
    assert int(counts @ levels**2) == q


def test_sprite_rejects_impossible_moments():
    with pytest.raises(ValueError, match="no 5 answers"):
        _sprite.sprite(5, 15, 46, np.random.default_rng(0))  # 46 < minimum 45 + parity


def test_unreproducible_cells_are_exactly_the_independent_check(survey, independent):
    listed = {
        (c["objective"], c["measure"], c["group"]): c["reason"]
        for c in survey.attrs["unreproducible_cells"]
    }
    failing = {k for k, v in independent.items() if v != "ok"}
    assert failing, "Table 1 has cells no integer answers reproduce"
    assert set(listed) == failing
    for key, reason in listed.items():
        assert reason.startswith(independent[key].upper())


# --- the calibrated simulation -------------------------------------------------------------


def test_calibrated_structure(survey):
    assert len(survey) == 180
    assert survey["respondent_id"].is_unique
    assert survey["cop_id"].nunique() == 7
    assert survey["responded_t1"].all()
    n_t2 = int(survey["responded_t2"].sum())
    assert n_t2 <= 106
    table = load_table1()
    for group, gender in GENDER.items():
        att_n = table[(table["measure"] == "attainment") & (table["group"] == group)]["n"]
        assert int((survey["responded_t2"] & (survey["gender"] == gender)).sum()) >= att_n.max()
    age = survey["age_band"]
    assert int(age.notna().sum()) == 173
    assert int((age == "35_49").sum()) == 105


def test_answers_belong_to_the_right_wave_and_to_respondents_with_a_gender(survey):
    t2 = survey["responded_t2"].to_numpy(dtype=bool)
    no_gender = survey["gender"].isna().to_numpy()
    assert no_gender.any()
    for slug in OBJECTIVES:
        att = survey[f"att_{slug}"].notna().to_numpy()
        imp = survey[f"imp_{slug}"].notna().to_numpy()
        assert not (att & ~t2).any()
        assert not (att & no_gender).any() and not (imp & no_gender).any()


def test_every_cell_n_is_exact_and_reproducible_cells_match(survey, table, independent):
    unreproducible = {
        (c["objective"], c["measure"], c["group"]) for c in survey.attrs["unreproducible_cells"]
    }
    for r in table.itertuples(index=False):
        values = survey[f"{PREFIX[r.measure]}_{r.objective}"]
        if r.group != "total":
            values = values[survey["gender"] == GENDER[r.group]]
        v = values.dropna().astype(float).to_numpy()
        assert len(v) == r.n, (r.objective, r.measure, r.group)
        assert np.isin(v, [1, 2, 3, 4, 5]).all()
        key = (r.objective, r.measure, r.group)
        if key in unreproducible:
            # as close as integers allow: no other sum of n answers is nearer the printed mean
            best = min(abs(s / r.n - r.mean) for s in range(r.n, 5 * r.n + 1))
            assert abs(v.mean() - r.mean) == pytest.approx(best)
            continue
        assert _prints_as(v.mean(), r.mean), key
        assert _prints_as(v.std(ddof=1), r.sd), key


def test_calibration_report(survey):
    report = calibration_report(survey)
    assert report.shape == (90, 15)
    assert report["n_match"].all()
    np.testing.assert_array_equal(report["match"], report["reproducible"])
    assert (report.loc[~report["match"], "reason"].str.len() > 0).all()
    # a survey that does not reproduce Table 1 is reported as such
    shifted = survey.copy()
    shifted["att_learning"] = (shifted["att_learning"] - 1).clip(lower=1)
    bad = calibration_report(shifted)
    rows = bad[(bad["objective"] == "learning") & (bad["measure"] == "attainment")]
    assert not rows["mean_match"].any()


def test_seed_determinism():
    a, b, c = make_survey(seed=5), make_survey(seed=5), make_survey(seed=6)
    pd.testing.assert_frame_equal(a, b)
    assert not a["att_learning"].equals(c["att_learning"])
    assert a.attrs["simulated"] is True and "SIMULATED" in a.attrs["description"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_best_cop_has_highest_mean_attainment(seed):
    s = make_survey(seed=seed)
    best = s[s["sponsor"] == "professional_association"]
    assert best["cop_id"].nunique() == 1
    assert (best["gender"] == "woman").all() and 18 <= len(best) <= 22
    assert best["voluntary"].all() and (best["steward_type"] == "dedicated").all()
    by_cop = _mean_attainment(s).groupby(s["cop_id"]).mean()
    assert by_cop.idxmax() == best["cop_id"].iloc[0]


@pytest.mark.parametrize("seed", [0, 1, 2, EXAMPLE_SEED])
def test_driver_relations_follow_the_generating_model(seed):
    s = make_survey(seed=seed)
    att = _mean_attainment(s)
    x = simulation_design(s)
    ok = att.notna()
    rho_commitment = spearmanr(x.loc[ok, "commitment"], att[ok]).statistic
    rho_training = spearmanr(x.loc[ok, "training_received"], att[ok]).statistic
    assert rho_commitment > 0.3
    assert abs(rho_training) < rho_commitment / 2
    assert spearmanr(x.loc[ok, "steward_active"], att[ok]).statistic > 0.2
    voluntary = s["voluntary"].astype(bool)
    assert att[voluntary].mean() > att[~voluntary].mean()
    older = (s["age_band"] == "50_plus").fillna(False).astype(bool)
    assert att[older].mean() < att[~older].mean()


def test_drivers_match_the_paper_figures(survey):
    hours = survey.groupby("gender", observed=True)["hours_per_week"].mean()
    assert hours["woman"] == pytest.approx(1.0, abs=0.1)
    assert hours["man"] == pytest.approx(0.5, abs=0.1)
    assert (survey["hours_per_week"] >= 0).all()
    employer = survey["employer_recognition"].astype(float).mean()
    assert employer < 2.5
    assert employer < survey["peer_recognition"].astype(float).mean()
    assert survey["training_received"].astype(bool).mean() < 0.5


def test_generating_model_documents_the_claims():
    design = simulation_design(make_survey(seed=3, mode="parametric", n_respondents=30))
    assert list(design.columns) == list(GENERATING_MODEL) == list(EFFECT_CLAIMS)
    for driver in ("commitment", "steward_active", "steward_dedicated", "voluntary"):
        assert GENERATING_MODEL[driver] > 0
    assert GENERATING_MODEL["age_50_plus"] < 0 and GENERATING_MODEL["leader_changes"] < 0
    for driver in (
        "training_received",
        "org_support",
        "tech_mastery",
        "gender_woman",
        "language_en",
        "schooling_university",
    ):
        assert GENERATING_MODEL[driver] == 0
    assert 0 <= GENERATING_MODEL["prior_acquaintance"] < GENERATING_MODEL["commitment"] / 4


def test_simulation_design_names_missing_columns(survey):
    with pytest.raises(CopFactorsError, match="steward_active, steward_type"):
        simulation_design(survey.drop(columns=["steward_active", "steward_type"]))


def test_calibrated_generation_is_fast():
    start = time.perf_counter()
    make_survey(seed=11)
    assert time.perf_counter() - start < 10


# --- the parametric simulation ------------------------------------------------------------


@pytest.fixture(scope="module")
def parametric() -> pd.DataFrame:
    effects = {"commitment": 1.0, "voluntary": 0.8, "age_50_plus": -0.6}
    return make_survey(seed=4, mode="parametric", n_respondents=5000, effects=effects)


def test_parametric_outcome_layout(parametric):
    s = parametric
    assert len(s) == 5000 and s["respondent_id"].is_unique
    att = s[[f"att_{o}" for o in OBJECTIVES]].astype("Float64")
    assert att.notna().all().all()  # t2_rate 1 by default
    first = att.iloc[:, 0]
    for col in att.columns[1:]:
        pd.testing.assert_series_equal(att[col], first, check_names=False)
    assert s.attrs["true_effects"]["commitment"] == 1.0
    assert s.attrs["true_effects"]["steward_active"] == 0.0
    assert len(s.attrs["true_thresholds"]) == 4
    assert np.all(np.diff(s.attrs["true_thresholds"]) > 0)


def test_parametric_follows_the_proportional_odds_model(parametric):
    s = parametric
    beta = pd.Series(s.attrs["true_effects"])
    x = simulation_design(s)
    eta = x[beta.index].to_numpy() @ beta.to_numpy()
    theta = np.asarray(s.attrs["true_thresholds"])
    y = s["att_learning"].astype(int).to_numpy()
    for k in range(4):
        expected = np.mean(1 / (1 + np.exp(-(theta[k] - eta))))
        assert np.mean(y <= k + 1) == pytest.approx(expected, abs=0.02)


def test_parametric_recovers_effects(parametric):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    s = parametric
    x = simulation_design(s)[["commitment", "voluntary", "age_50_plus", "steward_active"]]
    y = s["att_learning"].astype(int).to_numpy()
    fit = OrderedModel(y, x.to_numpy(), distr="logit").fit(method="bfgs", disp=False)
    est, se = fit.params[:4], fit.bse[:4]
    truth = np.array([1.0, 0.8, -0.6, 0.0])
    assert np.all(np.abs(est - truth) < 4 * se)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_parametric_ordering_responds_to_effects(sign):
    s = make_survey(seed=8, mode="parametric", n_respondents=3000, effects={"voluntary": sign})
    y = s["att_quality"].astype(float)
    gap = y[s["voluntary"].astype(bool)].mean() - y[~s["voluntary"].astype(bool)].mean()
    assert np.sign(gap) == sign and abs(gap) > 0.2


def test_parametric_thresholds_and_t2_rate():
    s = make_survey(
        seed=9,
        mode="parametric",
        n_respondents=2000,
        effects={},
        thresholds=[-3, -2, 2, 3],
        t2_rate=0.5,
    )
    assert s.attrs["true_thresholds"] == [-3.0, -2.0, 2.0, 3.0]
    t2 = s["responded_t2"].astype(bool)
    assert 0.4 < t2.mean() < 0.6
    assert s.loc[~t2, "att_learning"].isna().all()
    y = s.loc[t2, "att_learning"].astype(int)
    # with no effects, P(Y = 3) = logistic(2) - logistic(-2)
    assert (y == 3).mean() == pytest.approx(1 / (1 + np.exp(-2)) - 1 / (1 + np.exp(2)), abs=0.04)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mode": "bootstrap"}, "mode"),
        ({"effects": {"charisma": 1.0}}, "charisma"),
        ({"effects": {"commitment": float("nan")}}, "finite"),
        ({"n_respondents": 100}, "calibrated"),
        ({"mode": "parametric", "thresholds": [0, 1, 1, 2]}, "thresholds"),
        ({"mode": "parametric", "thresholds": [0, 1, 2]}, "thresholds"),
        ({"mode": "parametric", "t2_rate": 0.0}, "t2_rate"),
        ({"mode": "parametric", "n_cops": 0}, "n_cops"),
        ({"cop_sd": -1.0}, "cop_sd"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(CopFactorsError, match=match):
        make_survey(**kwargs)


# --- the shipped example and the codebook --------------------------------------------------


def _script():
    path = ROOT / "scripts" / "make_example_survey.py"
    spec = importlib.util.spec_from_file_location("make_example_survey", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_file_is_the_script_output():
    # byte for byte on purpose: the file holds integers, labels and hours in quarter hours drawn
    # from a seeded generator; the one BLAS step (the latent predictor) is cut into integer
    # levels, so another CPU's kernel could change a value only on an exact tie
    shipped = (DATA / "example_survey.csv").read_bytes()
    assert shipped == _script().render_example_survey().encode("utf-8")
    assert shipped.startswith(b"# SIMULATED")


def test_script_writes_the_file(tmp_path):
    path = _script().main([str(tmp_path / "out.csv")])
    assert path.read_bytes() == (DATA / "example_survey.csv").read_bytes()


def test_example_survey_is_the_calibrated_simulation(example):
    assert example.attrs["simulated"] is True
    assert "SIMULATED" in example.attrs["description"]
    assert "SIMULATED" in (load_example_survey.__doc__ or "")
    fresh = make_survey(seed=EXAMPLE_SEED)
    pd.testing.assert_frame_equal(example, fresh, check_like=False)
    assert calibration_report(example)["n_match"].all()


def test_columns_follow_the_codebook(survey, parametric, example):
    assert COLUMNS == CODEBOOK.names
    assert OBJECTIVES == SCHEMA_OBJECTIVES
    for frame in (survey, parametric, example):
        assert tuple(frame.columns) == CODEBOOK.names
        again = validate(frame)
        pd.testing.assert_frame_equal(again, frame)


def test_public_names_are_exported():
    import copfactors

    for name in datasets.__all__:
        assert getattr(datasets, name) is not None
    assert copfactors.calibration_report is calibration_report
    assert copfactors.make_survey is make_survey


# --- the claims' nulls and alternatives (SIMULATED) -----------------------------------------

# Digests of the CSV text of surveys made before the claim parameters existed: with their
# defaults the simulator must give the same surveys, value for value.
_BEFORE = {
    "calibrated_seed_0": ({"seed": 0}, "c555ea5c3c29ec01"),
    "calibrated_effects": (
        {"seed": 7, "effects": {"commitment": 1.2, "schooling_graduate": 0.5}, "cop_sd": 0.1},
        "fa99f714af2e3f7e",
    ),
    "parametric_default": ({"mode": "parametric"}, "84d4f01d3a3686db"),
    "parametric_t2": (
        {
            "seed": 3,
            "mode": "parametric",
            "n_respondents": 500,
            "n_cops": 20,
            "t2_rate": 0.7,
            "cop_sd": 0.5,
        },
        "f0b9ddb19cfd18a2",
    ),
    "parametric_thresholds": (
        {
            "seed": 9,
            "mode": "parametric",
            "n_respondents": 200,
            "effects": {},
            "thresholds": [-3, -2, 2, 3],
        },
        "0a89ea6cef7b41e7",
    ),
}
_EXPLICIT_DEFAULTS = {"hours_ratio": 2.0, "respondent_sd": 0.0, "gender_importance_gap": 0.5}
LARGE = {"mode": "parametric", "n_respondents": 4000, "n_cops": 40}


def _digest(frame: pd.DataFrame) -> str:
    text = frame.to_csv(index=False, lineterminator="\n")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _items(frame: pd.DataFrame, prefix: str) -> pd.DataFrame:
    return frame[[f"{prefix}_{o}" for o in OBJECTIVES]].astype(float)


@pytest.mark.parametrize("name", list(_BEFORE))
def test_defaults_reproduce_the_surveys_made_before_the_claim_parameters(name):
    kwargs, digest = _BEFORE[name]
    assert _digest(make_survey(**kwargs)) == digest
    assert _digest(make_survey(**kwargs, **_EXPLICIT_DEFAULTS)) == digest


def test_hours_ratio_sets_womens_time_against_mens():
    means = {}
    for ratio in (1.0, 3.0):
        s = make_survey(seed=21, hours_ratio=ratio, **LARGE)
        means[ratio] = s.groupby("gender", observed=True)["hours_per_week"].mean()
        assert s.attrs["hours_ratio"] == ratio
    # C8's null: no difference (each gender's mean is matched before quarter-hour rounding)
    assert means[1.0]["woman"] == pytest.approx(means[1.0]["man"], abs=0.03)
    assert means[1.0]["man"] == pytest.approx(0.5, abs=0.03)
    assert means[3.0]["woman"] / means[3.0]["man"] == pytest.approx(3.0, rel=0.05)
    calibrated = make_survey(seed=0, hours_ratio=1.0)
    hours = calibrated.groupby("gender", observed=True)["hours_per_week"].mean()
    assert hours["woman"] == pytest.approx(hours["man"], abs=0.1)


@pytest.mark.parametrize("gap", [0.0, 1.2, -0.5])
def test_importance_gap_sets_importance_minus_attainment(gap):
    s = make_survey(seed=22, importance_gap=gap, respondent_sd=0.8, **LARGE)
    imp, att = _items(s, "imp"), _items(s, "att")
    per_objective = imp.mean() - att.mean().to_numpy()
    assert per_objective.mean() == pytest.approx(gap, abs=0.05)
    assert s.attrs["importance_gap"] == gap


def test_default_importance_gap_is_the_built_in_one():
    s = make_survey(seed=22, **LARGE)
    gap = float(_items(s, "imp").to_numpy().mean() - _items(s, "att").to_numpy().mean())
    assert 0.7 < gap < 1.0
    assert s.attrs["importance_gap"] is None


def test_objective_sd_and_objective_effects_make_objectives_differ():
    tied = make_survey(seed=23, **LARGE)
    assert _items(tied, "att").mean().nunique() == 1  # one level copied: every objective ties
    varied = make_survey(seed=23, objective_sd=0.8, **LARGE)
    means = _items(varied, "att").mean()
    assert means.nunique() == len(OBJECTIVES) and means.std() > 0.15
    shifts = pd.Series(varied.attrs["true_objective_effects"])[list(OBJECTIVES)]
    assert spearmanr(shifts, means).statistic > 0.9
    assert varied.attrs["separate_objectives"] is True
    # objectives are drawn separately even with no shift: equal means, different answers
    separate = make_survey(seed=23, objective_sd=0.0, **LARGE)
    att = _items(separate, "att")
    assert (att["att_learning"] != att["att_quality"]).mean() > 0.3
    assert att.mean().max() - att.mean().min() < 0.1
    # C13: learning and problem solving well attained, rated less important
    c13 = make_survey(
        seed=23,
        objective_effects={"learning": 1.0, "problem_solving": 1.0},
        importance_effects={"learning": -0.8, "problem_solving": -0.8},
        **LARGE,
    )
    att_rank = _items(c13, "att").mean().rank(ascending=False)
    imp_rank = _items(c13, "imp").mean().rank(ascending=False)
    for slug in ("learning", "problem_solving"):
        assert att_rank[f"att_{slug}"] <= 2 and imp_rank[f"imp_{slug}"] >= 14


def _gender_gap(frame: pd.DataFrame, prefix: str) -> float:
    score = _items(frame, prefix).mean(axis=1)
    woman = (frame["gender"] == "woman").to_numpy(dtype=bool)
    return float(score[woman].mean() - score[~woman].mean())


def test_gender_gaps_of_importance_and_attainment():
    null = make_survey(seed=24, gender_importance_gap=0.0, effects={}, **LARGE)
    assert abs(_gender_gap(null, "imp")) < 0.05
    assert abs(_gender_gap(null, "att")) < 0.08
    assert _gender_gap(make_survey(seed=24, effects={}, **LARGE), "imp") > 0.15  # default 0.5
    alt = make_survey(seed=24, gender_importance_gap=1.0, gender_attainment_gap=1.0, **LARGE)
    assert _gender_gap(alt, "imp") > 0.35 and _gender_gap(alt, "att") > 0.35
    assert alt.attrs["true_effects"]["gender_woman"] == 1.0
    assert alt.attrs["gender_importance_gap"] == 1.0


def test_respondent_sd_correlates_a_respondents_objective_answers():
    def mean_correlation(frame: pd.DataFrame) -> float:
        answers = pd.concat([_items(frame, "imp"), _items(frame, "att")], axis=1)
        corr = answers.corr().to_numpy()
        return float(corr[np.triu_indices_from(corr, k=1)].mean())

    plain = make_survey(seed=25, objective_sd=0.0, **LARGE)
    shared = make_survey(seed=25, objective_sd=0.0, respondent_sd=1.5, **LARGE)
    assert mean_correlation(shared) > mean_correlation(plain) + 0.15
    imp_att = np.corrcoef(_items(shared, "imp").mean(axis=1), _items(shared, "att").mean(axis=1))
    assert imp_att[0, 1] > 0.3
    # calibrated mode: Table 1's margins stay exact, the answers become correlated
    calibrated = make_survey(seed=0, respondent_sd=2.0)
    report = calibration_report(calibrated)
    np.testing.assert_array_equal(report["match"], report["reproducible"])
    imp = _items(calibrated, "imp")
    assert np.nanmean(imp.corr().to_numpy()[np.triu_indices(len(OBJECTIVES), k=1)]) > 0.2


def test_effects_reach_platform_category_schooling_and_language():
    s = make_survey(
        seed=26,
        effects={
            "platform_lotus_notes": 1.5,
            "professional_category_nurse": -1.5,
            "schooling_university": 1.0,
            "language_en": 1.0,
        },
        **LARGE,
    )
    att = _items(s, "att").mean(axis=1)
    assert att[s["platform"] == "Lotus Notes"].mean() > att[s["platform"] != "Lotus Notes"].mean()
    nurse = (s["professional_category"] == "nurse").to_numpy(dtype=bool)
    assert att[nurse].mean() < att[~nurse].mean() - 0.3
    university = (s["schooling"] == "university").to_numpy(dtype=bool)
    assert att[university].mean() > att[~university].mean() + 0.2
    assert s.attrs["true_extra_effects"]["platform_lotus_notes"] == 1.5
    assert s.attrs["true_effects"]["language_en"] == 1.0
    assert set(EXTRA_EFFECTS.values()) == {"C6", "C10"}
    assert not set(EXTRA_EFFECTS) & set(GENERATING_MODEL)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"effects": {"charisma": 1.0}}, "platform_lotus_notes"),
        ({"effects": {"platform_lotus_notes": "x"}}, "platform_lotus_notes"),
        ({"hours_ratio": 0.0}, r"hours_ratio must be a finite number > 0"),
        ({"hours_ratio": float("nan")}, "hours_ratio"),
        ({"hours_ratio": "double"}, "hours_ratio"),
        ({"respondent_sd": -0.1}, r"respondent_sd must be a finite number >= 0"),
        ({"mode": "parametric", "importance_gap": 4.0}, r"importance_gap .*\(-4, 4\)"),
        ({"mode": "parametric", "importance_gap": 3.9}, "importance_gap must put"),
        ({"mode": "parametric", "objective_sd": -1.0}, r"objective_sd must be .* >= 0"),
        ({"mode": "parametric", "objective_effects": {"fun": 1.0}}, "fun.*learning"),
        ({"mode": "parametric", "objective_effects": [1.0]}, "objective_effects"),
        ({"mode": "parametric", "importance_effects": {"learning": None}}, "importance_eff"),
        ({"mode": "parametric", "gender_importance_gap": float("inf")}, "gender_importance"),
        ({"mode": "parametric", "gender_attainment_gap": float("nan")}, "gender_attainment"),
        (
            {
                "mode": "parametric",
                "gender_attainment_gap": 1.0,
                "effects": {"gender_woman": 0.5},
            },
            "gender_attainment_gap",
        ),
        ({"importance_gap": 0.0}, "importance_gap apply to mode='parametric'"),
        ({"objective_sd": 1.0, "gender_importance_gap": 0.0}, "objective_sd, gender_imp"),
        ({"gender_attainment_gap": 0.0}, "gender_attainment_gap"),
        ({"mode": "parametric", "t2_rate": 1.5}, r"t2_rate .*\(0, 1\]"),
    ],
)
def test_bad_claim_parameters_are_refused(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        make_survey(**kwargs)
