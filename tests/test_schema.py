"""Tests of copfactors.schema: the codebook, validate() and the codebook document."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import copfactors
from copfactors.errors import SchemaError
from copfactors.schema import (
    CODEBOOK,
    OBJECTIVE_LABELS,
    OBJECTIVES,
    Codebook,
    Variable,
    codebook_markdown,
    describe_columns,
    validate,
)

ROOT = Path(__file__).resolve().parents[1]


def valid_survey(n: int = 12, seed: int = 7) -> pd.DataFrame:
    """A small survey with every codebook column and valid, tidy values."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for var in CODEBOOK:
        if var.name == "respondent_id":
            data[var.name] = [f"r{i:03d}" for i in range(n)]
        elif var.name == "cop_id":
            data[var.name] = [f"cop{k}" for k in rng.integers(0, 3, n)]
        elif var.type == "boolean":
            data[var.name] = (rng.random(n) < 0.5).tolist()
        elif var.type == "category":
            data[var.name] = [var.categories[k] for k in rng.integers(0, len(var.categories), n)]
        elif var.type == "likert":
            data[var.name] = rng.integers(1, 6, n).tolist()
        elif var.type == "integer":
            data[var.name] = rng.integers(0, 4, n).tolist()
        elif var.type == "float":
            data[var.name] = (np.round(rng.gamma(2.0, 0.5, n) * 4) / 4).tolist()
        else:
            data[var.name] = [
                ["Knowledge Forum", "Lotus Notes", "infirmière"][k % 3] for k in range(n)
            ]
    return pd.DataFrame(data)


def problems_of(df: pd.DataFrame) -> pd.DataFrame:
    with pytest.raises(SchemaError) as info:
        validate(df)
    return info.value.problems


def base(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame({"respondent_id": [f"r{i}" for i in range(n)], "cop_id": ["A"] * n})


# --------------------------------------------------------------------------------------------
# the codebook


def test_codebook_columns_in_order():
    names = CODEBOOK.names
    assert names[:2] == ("respondent_id", "cop_id")
    assert len(names) == 2 + 2 + 5 + 12 + 4 + 2 * 15
    assert [n for n in names if n.startswith("imp_")] == [f"imp_{s}" for s in OBJECTIVES]
    assert [n for n in names if n.startswith("att_")] == [f"att_{s}" for s in OBJECTIVES]
    assert CODEBOOK.required == ("respondent_id", "cop_id")


def test_objective_labels_match_table1():
    text = resources.files("copfactors.datasets").joinpath("data/table1.csv").read_text("utf-8")
    table = pd.read_csv(pd.io.common.StringIO(text), comment="#")
    in_table = table.drop_duplicates("objective")[["objective", "label"]]
    assert tuple(in_table["objective"]) == OBJECTIVES
    assert dict(zip(in_table["objective"], in_table["label"], strict=True)) == OBJECTIVE_LABELS


def test_variable_types_and_anchors():
    assert CODEBOOK["imp_quality"].anchors("en") == {
        1: "not at all important",
        2: "slightly important",
        3: "moderately important",
        4: "important",
        5: "very important",
    }
    att = CODEBOOK["att_quality"]
    assert att.anchors("en") == {
        1: "not attained at all",
        2: "slightly attained",
        3: "more or less attained",
        4: "attained",
        5: "perfectly attained",
    }
    assert att.anchors("fr")[5] == "parfaitement atteint"
    assert CODEBOOK["steward_active"].anchors("en")[5] == "strongly agree"
    assert CODEBOOK["hours_per_week"].anchors("en") == {}
    assert CODEBOOK["age_band"].ordered and CODEBOOK["schooling"].ordered
    assert not CODEBOOK["gender"].ordered
    assert CODEBOOK["gender"].category_labels("fr") == {"woman": "Femme", "man": "Homme"}
    assert CODEBOOK["sponsor"].categories == (
        "employer",
        "professional_association",
        "inter_organisational",
    )
    for var in CODEBOOK:
        assert var.label_en and var.label_fr
        if var.type == "likert":
            assert (var.minimum, var.maximum) == (1, 5)
            assert len(var.anchors_en) == len(var.anchors_fr) == 5
    with pytest.raises(ValueError, match="language"):
        att.anchors("de")


def test_to_frame_one_row_per_variable():
    frame = CODEBOOK.to_frame()
    assert len(frame) == len(CODEBOOK)
    assert frame["name"].tolist() == list(CODEBOOK.names)
    assert {"name", "role", "type", "allowed", "label_en", "label_fr", "anchors_en"} <= set(
        frame.columns
    )
    row = frame.set_index("name").loc["age_band"]
    assert row["allowed"] == "under_35, 35_49, 50_plus (ordered)"
    assert frame.set_index("name").loc["imp_learning", "anchors_en"][0] == "not at all important"


def test_codebook_lookup():
    assert CODEBOOK.match("  Cop ID ") == "cop_id"
    assert CODEBOOK.match("HOURS-PER-WEEK") == "hours_per_week"
    assert CODEBOOK.match(3) is None
    assert [v.name for v in CODEBOOK.by_role("wave")] == ["responded_t1", "responded_t2"]
    with pytest.raises(KeyError, match="not a codebook variable"):
        CODEBOOK["nope"]
    with pytest.raises(ValueError, match="role"):
        CODEBOOK.by_role("nope")


def test_bad_variable_definitions_rejected():
    with pytest.raises(ValueError, match="role"):
        Variable("x", "weird", "text", "x", "x")
    with pytest.raises(ValueError, match="type"):
        Variable("x", "driver", "complex", "x", "x")
    with pytest.raises(ValueError, match="align"):
        Variable("x", "driver", "category", "x", "x", categories=("a",))
    with pytest.raises(ValueError, match="unique"):
        Codebook([CODEBOOK["gender"], CODEBOOK["gender"]])


def test_lazy_top_level_names():
    assert copfactors.CODEBOOK is CODEBOOK
    assert copfactors.validate is validate
    assert copfactors.OBJECTIVES == OBJECTIVES


# --------------------------------------------------------------------------------------------
# validate: valid and messy input


def test_valid_survey_typed():
    raw = valid_survey()
    out = validate(raw)
    assert out.shape == raw.shape
    for var in CODEBOOK:
        assert out[var.name].dtype == var.dtype, var.name
    assert out["age_band"].cat.ordered
    assert list(out["gender"].cat.categories) == ["woman", "man"]
    assert str(out["respondent_id"].dtype) == "string"
    assert out.attrs["unknown_columns"] == []
    assert out.attrs["empty_columns"] == []
    assert out["imp_quality"].tolist() == raw["imp_quality"].tolist()


def test_validate_does_not_change_input():
    raw = base(2).assign(gender=[" Woman ", "man"], imp_quality=["3", "4"])
    before = raw.copy()
    validate(raw)
    pd.testing.assert_frame_equal(raw, before)


def test_output_is_a_copy():
    raw = valid_survey(5)
    before = raw.copy()
    out = validate(raw)
    out.loc[0, "imp_quality"] = 5 if before.loc[0, "imp_quality"] != 5 else 4
    out.loc[0, "hours_per_week"] = before.loc[0, "hours_per_week"] + 1
    out.loc[0, "voluntary"] = not before.loc[0, "voluntary"]
    out.loc[0, "respondent_id"] = "changed"
    pd.testing.assert_frame_equal(raw, before)


def test_messy_but_unambiguous_values_accepted():
    raw = pd.DataFrame(
        {
            " Respondent_ID ": [1, 2, 3, 4],
            "COP_ID": ["A ", "A", " B", "B"],
            "gender": [" Woman ", "FEMME", "", None],
            "age_band": ["35-49", "Under 35", "50 ans et plus", np.nan],
            "schooling": ["Universitaire", "college", "COLLÉGIAL", "graduate"],
            "voluntary": ["oui", "NO", 1, True],
            "training_received": ["true", "False", "0", "non"],
            "commitment_1": [" 3", 4.0, "5", "NA"],
            "commitment_2": [3.0, 2.0, np.nan, 1.0],
            "hours_per_week": ["1.5", 2, None, "0"],
            "leader_changes": ["0", 1, 2.0, " 3 "],
            "platform": ["Knowledge Forum", " Lotus Notes", "", "  "],
        }
    )
    out = validate(raw)
    assert list(out.columns[:2]) == ["respondent_id", "cop_id"]
    assert out["respondent_id"].tolist() == ["1", "2", "3", "4"]
    assert out["cop_id"].tolist() == ["A", "A", "B", "B"]
    assert out["gender"].astype(object).tolist()[:2] == ["woman", "woman"]
    assert out["gender"].isna().tolist() == [False, False, True, True]
    assert out["age_band"].astype(object).tolist()[:3] == ["35_49", "under_35", "50_plus"]
    assert out["schooling"].astype(object).tolist() == [
        "university",
        "college",
        "college",
        "graduate",
    ]
    assert out["voluntary"].tolist() == [True, False, True, True]
    assert out["training_received"].tolist() == [True, False, False, False]
    assert out["commitment_1"].tolist()[:3] == [3, 4, 5]
    assert out["commitment_1"].isna().tolist() == [False, False, False, True]
    assert str(out["commitment_2"].dtype) == "Int64"
    assert out["hours_per_week"].tolist()[:2] == [1.5, 2.0]
    assert np.isnan(out["hours_per_week"].iloc[2])
    assert out["leader_changes"].tolist() == [0, 1, 2, 3]
    assert out["platform"].tolist()[:2] == ["Knowledge Forum", "Lotus Notes"]
    assert out["platform"].isna().tolist() == [False, False, True, True]


def test_nullable_and_arrow_inputs_accepted():
    raw = base(3).assign(
        imp_quality=pd.array([1, None, 5], dtype="Int64"),
        att_quality=pd.array([1.0, None, 2.0], dtype="Float64"),
        voluntary=pd.array([True, None, False], dtype="boolean"),
        gender=pd.Categorical(["woman", None, "man"]),
        leader_changes=pd.array([1, 2, 3], dtype="int64[pyarrow]"),
    )
    out = validate(raw)
    assert out["imp_quality"].tolist()[::2] == [1, 5]
    assert out["att_quality"].tolist()[::2] == [1, 2]
    assert out["voluntary"].isna().tolist() == [False, True, False]
    assert str(out["leader_changes"].dtype) == "Int64"


def test_unknown_columns_kept_and_reported():
    raw = base(2).assign(foo=[1.5, 2.5], bar=["x", "y"])
    out = validate(raw)
    assert out.attrs["unknown_columns"] == ["foo", "bar"]
    pd.testing.assert_series_equal(out["foo"], raw["foo"])
    summary = describe_columns(out)
    assert summary.set_index("column").loc["foo", "status"] == "unknown"
    assert summary.set_index("column").loc["cop_id", "role"] == "id"


def test_entirely_empty_column_is_kept_and_noted_not_a_problem():
    raw = base(3).assign(att_quality=[None, None, None], platform=["", " ", np.nan])
    out = validate(raw)
    assert out["att_quality"].isna().all()
    assert str(out["att_quality"].dtype) == "Int64"
    assert out["platform"].isna().all()
    assert out.attrs["empty_columns"] == ["att_quality", "platform"]
    assert describe_columns(raw).set_index("column").loc["platform", "status"] == "empty"


def test_index_is_kept():
    raw = base(3).set_axis([10, 20, 30])
    assert validate(raw).index.tolist() == [10, 20, 30]


def test_threaded_checks_give_the_same_result(monkeypatch):
    from copfactors import schema

    raw = valid_survey(30, seed=11)
    bad = raw.assign(gender=["robot"] + ["woman"] * 29, imp_quality=[0] + [3] * 29)
    serial = validate(raw)
    with pytest.raises(SchemaError) as serial_error:
        validate(bad)
    monkeypatch.setattr(schema, "_PARALLEL_CELLS", 0)
    monkeypatch.setattr(schema, "_cpu_count", lambda: 4)
    pd.testing.assert_frame_equal(validate(raw), serial)
    with pytest.raises(SchemaError) as threaded_error:
        validate(bad)
    pd.testing.assert_frame_equal(threaded_error.value.problems, serial_error.value.problems)


def test_row_order_does_not_matter():
    raw = valid_survey(20, seed=3)
    order = np.random.default_rng(5).permutation(len(raw))
    pd.testing.assert_frame_equal(validate(raw.iloc[order]), validate(raw).iloc[order])


# --------------------------------------------------------------------------------------------
# validate: problems


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (0, "out of range; expected an integer from 1 to 5"),
        (6, "out of range; expected an integer from 1 to 5"),
        (3.5, "not an integer; expected an integer from 1 to 5"),
        ("3,5", "not an integer (decimal comma); expected an integer from 1 to 5"),
        ("n/a", "not a number; expected an integer from 1 to 5"),
        ("three", "not a number; expected an integer from 1 to 5"),
        (True, "a true/false value, not a number; expected an integer from 1 to 5"),
        (float("inf"), "not a finite number; expected an integer from 1 to 5"),
    ],
)
def test_bad_likert_value(value, problem):
    raw = base(3).assign(att_learning=pd.Series([4, value, " 3"], dtype=object))
    problems = problems_of(raw)
    assert problems.to_dict("records") == [
        {"column": "att_learning", "row": 2, "value": str(value), "problem": problem}
    ]


def test_out_of_range_in_integer_column_read_as_numbers():
    raw = base(4).assign(commitment_2=[1, 0, 6, 5], leader_changes=[0, -1, 2, 3])
    problems = problems_of(raw)
    assert problems[["column", "row"]].values.tolist() == [
        ["commitment_2", 2],
        ["commitment_2", 3],
        ["leader_changes", 2],
    ]
    assert problems.loc[2, "problem"] == "out of range; expected an integer >= 0"


def test_float_column_problems():
    raw = base(4).assign(hours_per_week=[-0.5, "1,5", "n/a", 2])
    problems = problems_of(raw)
    assert problems["row"].tolist() == [1, 2, 3]
    assert problems.loc[0, "problem"] == "negative; expected a number >= 0"
    assert problems.loc[1, "problem"].startswith("decimal comma")
    assert problems.loc[2, "problem"] == "not a number; expected a number >= 0"


def test_missing_respondent_id_column():
    problems = problems_of(pd.DataFrame({"cop_id": ["A"], "gender": ["woman"]}))
    assert problems.to_dict("records")[0]["column"] == "respondent_id"
    assert pd.isna(problems.loc[0, "row"])
    assert "required column is missing" in problems.loc[0, "problem"]


def test_missing_id_values_and_duplicates_every_row():
    raw = pd.DataFrame(
        {"respondent_id": ["a", "b", "a", "", None, "b", "c"], "cop_id": ["A"] * 6 + [" "]}
    )
    problems = problems_of(raw)
    ids = problems[problems["column"] == "respondent_id"]
    assert ids["row"].tolist() == [1, 2, 3, 4, 5, 6]
    dup = ids[ids["problem"].str.startswith("duplicate")]
    assert dup["row"].tolist() == [1, 2, 3, 6]
    assert dup["problem"].iloc[0] == (
        "duplicate respondent_id: 'a' is on 2 rows; expected each respondent_id once"
    )
    missing = ids[ids["problem"].str.startswith("missing")]
    assert missing["row"].tolist() == [4, 5]
    cop = problems[problems["column"] == "cop_id"]
    assert cop[["row", "value"]].values.tolist() == [[7, " "]]


def test_entirely_empty_id_column_is_one_problem():
    raw = pd.DataFrame({"respondent_id": ["1", "2"], "cop_id": [None, ""]})
    problems = problems_of(raw)
    assert len(problems) == 1
    assert problems.loc[0, "column"] == "cop_id"
    assert "entirely empty" in problems.loc[0, "problem"]


def test_unknown_category():
    raw = base(3).assign(gender=["woman", "W", "other"], language=["fr", "EN", "de"])
    problems = problems_of(raw)
    assert problems[["column", "row", "value"]].values.tolist() == [
        ["gender", 2, "W"],
        ["gender", 3, "other"],
        ["language", 3, "de"],
    ]
    assert problems.loc[0, "problem"] == "not an allowed value; expected one of woman, man"


def test_bad_booleans():
    raw = base(3).assign(voluntary=["maybe", 2, "yes"])
    problems = problems_of(raw)
    assert problems["row"].tolist() == [1, 2]
    assert problems.loc[0, "problem"].startswith("not a yes/no value; expected true or false")


def test_empty_frame_is_a_problem():
    problems = problems_of(base(0))
    assert problems["problem"].str.contains("no data rows").any()
    assert problems_of(pd.DataFrame())["column"].tolist() == [
        "respondent_id",
        "cop_id",
        "(all columns)",
    ]


def test_column_given_twice():
    raw = pd.concat(
        [base(2), pd.DataFrame({"Gender": ["woman", "man"], "gender": ["man", "x"]})], axis=1
    )
    problems = problems_of(raw)
    assert problems.to_dict("records") == [
        {
            "column": "gender",
            "row": None,
            "value": None,
            "problem": "column given 2 times (as 'Gender', 'gender'); expected it once",
        }
    ]


def test_every_problem_reported_at_once():
    raw = pd.DataFrame(
        {
            "respondent_id": ["1", "1", "3"],
            "cop_id": ["A", "A", "B"],
            "gender": ["woman", "robot", "man"],
            "imp_innovation": [6, 3, 2],
            "hours_per_week": [1.0, 2.0, -3.0],
        }
    )
    with pytest.raises(SchemaError) as info:
        validate(raw, source="survey.csv")
    problems = info.value.problems
    assert list(problems.columns) == ["column", "row", "value", "problem"]
    assert problems[["column", "row"]].values.tolist() == [
        ["respondent_id", 1],
        ["respondent_id", 2],
        ["gender", 2],
        ["imp_innovation", 1],
        ["hours_per_week", 3],
    ]
    message = str(info.value)
    assert "5 problems with the survey in survey.csv" in message
    assert "column 'gender', row 2, value 'robot'" in message


def test_not_a_dataframe():
    with pytest.raises(TypeError, match="DataFrame"):
        validate([{"respondent_id": "1"}])


# --------------------------------------------------------------------------------------------
# properties

_NAMES = [v.name for v in CODEBOOK if v.type != "id"]


def _cell(var: Variable) -> st.SearchStrategy:
    good: list[object] = list(var.categories) + list(var.category_labels_fr)
    good += [1, 2, 5, "3", " 4 ", 0.0, 2.5, True, False, "yes", "non"]
    return st.one_of(
        st.none(),
        st.just(np.nan),
        st.just(pd.NA),
        st.sampled_from(good),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=6),
        st.booleans(),
    )


@st.composite
def arbitrary_frames(draw):
    n = draw(st.integers(0, 6))
    names = draw(st.lists(st.sampled_from(_NAMES), unique=True, max_size=8))
    data = {}
    for id_name in ("respondent_id", "cop_id"):
        if draw(st.booleans()) or draw(st.booleans()):
            data[id_name] = draw(
                st.lists(
                    st.one_of(st.none(), st.text(max_size=3), st.integers(0, 5)),
                    min_size=n,
                    max_size=n,
                )
            )
    for name in names:
        data[name] = draw(st.lists(_cell(CODEBOOK[name]), min_size=n, max_size=n))
    if draw(st.booleans()):
        data["extra column"] = draw(st.lists(st.integers(), min_size=n, max_size=n))
    frame = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()})
    how = draw(st.sampled_from(["object", "infer", "str"]))
    if how == "infer":
        frame = frame.infer_objects()
    elif how == "str":
        frame = frame.astype(str)
    return frame


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arbitrary_frames())
def test_validate_returns_or_raises_schema_error(frame):
    try:
        out = validate(frame)
    except SchemaError as err:
        assert len(err.problems) > 0
        assert list(err.problems.columns) == ["column", "row", "value", "problem"]
        return
    for column in out.columns:
        if column in CODEBOOK:
            assert out[column].dtype == CODEBOOK[column].dtype


# --------------------------------------------------------------------------------------------
# the codebook document


def test_codebook_doc_is_current():
    text = codebook_markdown()
    assert (ROOT / "docs" / "codebook.md").read_text(encoding="utf-8") == text, (
        "docs/codebook.md is out of date: run python scripts/make_codebook_doc.py"
    )


def test_codebook_markdown_content():
    text = codebook_markdown()
    for var in CODEBOOK:
        assert f"| `{var.name}` |" in text
    assert "| 3 | more or less attained | plus ou moins atteint |" in text
    assert "| `woman` | Woman | Femme |" in text
