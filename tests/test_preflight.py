"""copfactors.preflight: what a survey table supports, and why not."""

from __future__ import annotations

import pandas as pd
import pytest

from copfactors.claims import compare_with_paper
from copfactors.datasets import load_example_survey
from copfactors.errors import ParameterError, ParameterTypeError, ReadinessError, SchemaError
from copfactors.features import attainment
from copfactors.preflight import (
    ANALYSES,
    MIN_MODEL_RESPONDENTS,
    MIN_RELIABILITY_ROWS,
    READINESS_COLUMNS,
    Readiness,
    readiness,
)

CLAIM_IDS = [f"C{i}" for i in range(1, 14)]


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return load_example_survey()


@pytest.fixture(scope="module")
def ready(survey) -> Readiness:
    return readiness(survey)


def _att(survey: pd.DataFrame) -> list[str]:
    return [c for c in survey.columns if c.startswith("att_")]


def _ids(n: int = 4) -> pd.DataFrame:
    return pd.DataFrame(
        {"respondent_id": [f"r{i}" for i in range(n)], "cop_id": ["A", "A", "B", "B"][:n]}
    )


def _claims_testable(table: pd.DataFrame) -> dict[str, bool]:
    res = compare_with_paper(table, n_permutations=19)
    return dict(zip(res.table["id"], res.table["verdict"] != "not testable", strict=True))


# ---------------------------------------------------------------------------------------------
# the example survey
# ---------------------------------------------------------------------------------------------
def test_example_survey_supports_everything(ready):
    frame = ready.to_frame()
    assert tuple(frame.columns) == READINESS_COLUMNS
    assert frame["analysis"].tolist() == list(ANALYSES)
    assert frame["supported"].dtype == bool
    assert frame["supported"].all(), frame.loc[~frame["supported"]].to_dict("records")
    assert not ready.nothing_beyond_ids
    assert ready.supported == ANALYSES
    assert ready.n_respondents == 180 and ready.n_cops == 7 and ready.simulated


def test_example_survey_reasons_say_what_the_analyses_rest_on(ready, survey):
    n = int(attainment(survey).notna().sum())
    assert ready.reason("model").startswith(f"{n} respondents with attainment at T2 in 7 CoPs")
    assert "women" in ready.reason("gender") and "men" in ready.reason("gender")
    assert "Cronbach's alpha" in ready.reason("reliability")
    assert "cluster-robust by CoP" in ready.reason("scoring")
    assert ready.reason("claims").startswith("13 of 13 claims testable")
    assert ready.reason("C3") == "rests on voluntary, 15 att_ columns"


def test_every_claim_is_an_analysis():
    from copfactors.claims import paper_claims

    assert list(ANALYSES[5:]) == paper_claims()["id"].tolist() == CLAIM_IDS


def test_example_survey_claims_agree_with_compare_with_paper(ready, survey):
    testable = _claims_testable(survey)
    assert {cid: ready.supports(cid) for cid in CLAIM_IDS} == testable


# ---------------------------------------------------------------------------------------------
# reduced tables: the claims' verdicts are compare_with_paper's
# ---------------------------------------------------------------------------------------------
def _reduced(survey: pd.DataFrame, name: str) -> pd.DataFrame:
    if name == "no_att":
        return survey.drop(columns=_att(survey))
    if name == "first_25_rows":  # C9's driver is then constant: testable only by the model
        return survey.head(25)
    if name == "women_only":  # C7 and C8 need both genders
        return survey[survey["gender"].astype("string").eq("woman").fillna(False)]
    if name == "few_drivers":
        return survey.drop(
            columns=["voluntary", "steward_active", "steward_type", "platform", "age_band"]
        )
    raise AssertionError(name)


@pytest.mark.parametrize("name", ["no_att", "first_25_rows", "women_only", "few_drivers"])
def test_claims_agree_with_compare_with_paper_on_reduced_tables(survey, name):
    table = _reduced(survey, name)
    ready = readiness(table)
    testable = _claims_testable(table)
    assert {cid: ready.supports(cid) for cid in CLAIM_IDS} == testable
    assert ready.supports("claims") == any(testable.values())
    for cid, ok in testable.items():
        if not ok:
            assert ready.reason(cid), cid


def test_reduced_tables_lose_what_they_should(survey):
    few = readiness(_reduced(survey, "few_drivers"))
    assert not few.supports("C3") and "voluntary" in few.reason("C3")
    assert few.supports("C1") and few.supports("model")
    women = readiness(_reduced(survey, "women_only"))
    assert not women.supports("gender") and "both women and men" in women.reason("gender")
    assert not women.supports("C7") and not women.supports("C8")


# ---------------------------------------------------------------------------------------------
# tables that support little or nothing
# ---------------------------------------------------------------------------------------------
def test_ids_only_supports_nothing():
    ready = readiness(_ids())
    assert ready.nothing_beyond_ids
    assert not ready.to_frame()["supported"].any()
    assert ready.supported == ()
    assert ready.reason("claims") == "none of the 13 claims is testable"
    assert ready.reason("model").startswith("the survey has no att_ column")
    assert "nothing" in repr(ready)


def test_a_table_with_one_useless_column_is_also_nothing_beyond_ids():
    table = _ids().assign(gender=["woman", "woman", "man", None])
    assert readiness(table).nothing_beyond_ids


def test_without_att_columns_the_model_is_not_supported(survey):
    ready = readiness(survey.drop(columns=_att(survey)))
    assert not ready.supports("model")
    assert "att_" in ready.reason("model")
    assert not ready.supports("scoring")
    assert ready.reason("scoring").startswith("needs the model: ")
    assert ready.supports("gender") and ready.supports("reliability") and ready.supports("C8")
    assert not ready.nothing_beyond_ids


def test_att_columns_without_any_answer_count_as_absent(survey):
    table = survey.copy()
    table[_att(survey)] = pd.NA
    ready = readiness(table)
    assert not ready.supports("model")
    assert "att_" in ready.reason("model")


def test_model_threshold_on_respondents_with_attainment(survey):
    answered = attainment(survey).notna().to_numpy()
    keep = survey.index[answered]
    for n, expected in [(MIN_MODEL_RESPONDENTS - 1, False), (MIN_MODEL_RESPONDENTS, True)]:
        table = survey.loc[keep[:n]]
        ready = readiness(table)
        assert ready.supports("model") is expected, ready.reason("model")
        if not expected:
            assert f"only {n} respondents with attainment at T2" in ready.reason("model")
            assert str(MIN_MODEL_RESPONDENTS) in ready.reason("model")


def test_model_needs_two_levels_and_a_driver(survey):
    one_level = survey.copy()
    one_level[_att(survey)] = 4
    ready = readiness(one_level)
    assert not ready.supports("model")
    assert "at least 2 levels" in ready.reason("model")
    no_driver = survey[["respondent_id", "cop_id", *_att(survey), "gender", "sponsor"]]
    ready = readiness(no_driver)
    assert not ready.supports("model")
    assert "no driver column" in ready.reason("model")


def test_scoring_needs_enough_rows_complete_in_the_drivers(survey):
    table = survey.copy()
    answered = attainment(table).notna().to_numpy()
    sparse = table.index[answered][10:]
    table.loc[sparse, "hours_per_week"] = float("nan")
    ready = readiness(table)
    assert ready.supports("model")
    assert not ready.supports("scoring")
    assert "complete in every driver" in ready.reason("scoring")
    assert "hours_per_week" in ready.reason("scoring")


def test_scoring_with_few_cops_uses_robust_errors(survey):
    table = survey[survey["cop_id"].isin(survey["cop_id"].unique()[:3])]
    ready = readiness(table)
    assert ready.supports("scoring")
    assert "robust standard errors (only 3 CoPs, fewer than 5)" in ready.reason("scoring")


def test_reliability_needs_two_items_and_enough_complete_rows(survey):
    one = readiness(survey.drop(columns=["commitment_2", "commitment_3"]))
    assert not one.supports("reliability")
    assert "only 1 commitment item (commitment_1)" in one.reason("reliability")
    two = readiness(survey.drop(columns=["commitment_3"]))
    assert two.supports("reliability")
    assert "2 commitment items" in two.reason("reliability")
    few = survey.copy()
    few.loc[few.index[MIN_RELIABILITY_ROWS - 1 :], "commitment_1"] = pd.NA
    ready = readiness(few)
    assert not ready.supports("reliability")
    assert f"only {MIN_RELIABILITY_ROWS - 1} rows" in ready.reason("reliability")


def test_gender_needs_objective_columns(survey):
    table = survey[["respondent_id", "cop_id", "gender", "hours_per_week"]]
    ready = readiness(table)
    assert not ready.supports("gender")
    assert "no imp_ or att_" in ready.reason("gender")
    assert ready.supports("C8")


def test_an_unvalidated_table_is_validated_first():
    table = _ids().assign(gender=["Femme", " man ", "Woman", "Homme"], imp_learning=["5", 4, 3, 2])
    ready = readiness(table)
    assert ready.supports("gender"), ready.reason("gender")
    with pytest.raises(SchemaError):
        readiness(_ids().assign(gender=["x", "man", "woman", "man"]))
    with pytest.raises(ParameterTypeError):
        readiness([1, 2, 3])  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# require, supports and rendering
# ---------------------------------------------------------------------------------------------
def test_require_names_each_unsupported_analysis_and_why(survey):
    ready = readiness(survey.drop(columns=[*_att(survey), "voluntary"]))
    assert ready.require(["gender", "reliability", "C8"]) is ready
    assert ready.require("claims") is ready
    with pytest.raises(ReadinessError) as info:
        ready.require(["gender", "model", "C3", "scoring"])
    text = str(info.value)
    assert text.startswith("the survey does not support 3 required analyses:")
    assert "  - model: the survey has no att_ column" in text
    assert "  - C3: the survey lacks voluntary; att_*" in text
    assert "  - scoring: needs the model" in text
    assert "gender" not in text
    assert isinstance(info.value, ValueError)


def test_require_and_supports_reject_unknown_names(ready):
    with pytest.raises(ParameterError, match="unknown analysis 'C14'"):
        ready.require(["C14"])
    with pytest.raises(ParameterError, match="unknown analysis 'table1'"):
        ready.supports("table1")
    with pytest.raises(ParameterError, match="empty"):
        ready.require([])
    with pytest.raises(ParameterTypeError):
        ready.supports(3)  # type: ignore[arg-type]
    with pytest.raises(ParameterTypeError):
        ready.require({"gender"})  # type: ignore[arg-type]


def test_readiness_is_a_result(ready):
    text = ready.to_text()
    assert text == str(ready)
    assert text.startswith("What the survey supports")
    assert "SIMULATED" in text and "Respondents: 180" in text
    assert "gender      yes" in text
    html = ready.to_html()
    assert html.startswith("<table") and "Cronbach&#x27;s alpha" in html
    assert "<script" not in html and "http" not in html
    assert ready.to_latex().startswith("\\begin{tabular}")
    frame = ready.to_frame()
    frame.loc[0, "supported"] = False
    assert ready.supports("gender")  # to_frame is a copy
