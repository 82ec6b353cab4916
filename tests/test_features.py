"""copfactors.features: driver features, attainment outcomes and scale reliability."""

from __future__ import annotations

import math
import pickle
import re
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from copfactors.errors import (
    CopFactorsError,
    CopFactorsWarning,
    FeatureError,
    NotFittedError,
    ScaleError,
)
from copfactors.features import (
    DEFAULT_GROUPS,
    FEATURE_GROUPS,
    OBJECTIVE_SLUGS,
    REFERENCE_LEVELS,
    CoPFeatureBuilder,
    ReliabilityResult,
    attainment,
    attainment_long,
    reliability,
)

RESULTS = Path(__file__).parent / "results"

DEFAULT_NAMES = [
    "commitment",
    "steward_active",
    "steward_designated",
    "steward_dedicated",
    "leader_changes",
    "voluntary",
    "prior_acquaintance",
    "hours_per_week",
    "training_received",
    "org_support",
    "employer_recognition",
    "peer_recognition",
    "tech_mastery",
    "sponsor_professional_association",
    "sponsor_inter_organisational",
    "gender_woman",
    "age_under_35",
    "age_50_plus",
]


def _survey() -> pd.DataFrame:
    """Twelve respondents with every codebook driver column, complete, plain dtypes."""
    return pd.DataFrame(
        {
            "respondent_id": [f"r{i:02d}" for i in range(1, 13)],
            "cop_id": ["A"] * 4 + ["B"] * 4 + ["C"] * 4,
            "responded_t1": [True] * 12,
            "responded_t2": [True] * 10 + [False, False],
            "gender": ["woman", "man"] * 6,
            "age_band": ["under_35", "35_49", "50_plus", "35_49"] * 3,
            "schooling": ["secondary", "college", "university", "graduate"] * 3,
            "professional_category": ["nurse"] * 12,
            "language": ["fr", "fr", "en"] * 4,
            "commitment_1": [4, 5, 2, 3, 4, 5, 1, 2, 3, 4, 5, 3],
            "commitment_2": [4, 4, 3, 3, 5, 5, 2, 1, 3, 4, 4, 2],
            "commitment_3": [5, 4, 2, 4, 4, 5, 1, 2, 2, 3, 5, 3],
            "voluntary": [True, True, False, True, True, False] * 2,
            "prior_acquaintance": [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2],
            "hours_per_week": [1.0, 0.5, 0.0, 2.0, 1.5, 0.25, 3.0, 1.0, 0.5, 0.0, 4.0, 1.0],
            "training_received": [False, True] * 6,
            "org_support": [3, 4, 2, 5, 3, 4, 2, 5, 3, 4, 2, 5],
            "employer_recognition": [2, 2, 3, 3, 4, 4, 1, 1, 5, 5, 3, 2],
            "peer_recognition": [5, 4, 3, 2, 1, 2, 3, 4, 5, 4, 3, 2],
            "tech_mastery": [4, 4, 4, 5, 5, 5, 3, 3, 3, 2, 2, 2],
            "steward_active": [5, 5, 5, 5, 3, 3, 3, 3, 1, 1, 1, 1],
            "sponsor": ["employer"] * 4
            + ["professional_association"] * 4
            + ["inter_organisational"] * 4,
            "steward_type": ["dedicated"] * 4 + ["designated"] * 4 + ["none"] * 4,
            "leader_changes": [0] * 4 + [1] * 4 + [3] * 4,
            "platform": ["Knowledge Forum"] * 12,
            "imp_quality": [5, 4, 4, 5, 3, 4, 5, 5, 4, 3, 4, 4],
            "att_quality": [4, 3, 2, 5, 3, 4, None, 2, 3, 3, 4, 4],
            "imp_learning": [4, None, 3, 5, 4, 4, 5, 2, 4, 3, 2, 5],
            "att_learning": [5, 4, 3, None, 3, 4, None, 3, 4, 2, 3, 5],
            "att_creativity": [3, 4, 4, 3, None, 4, None, 3, 3, 5, 1, 2],
        },
        index=pd.Index([f"row{i}" for i in range(12)], name="label"),
    )


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """The same survey with the dtypes of a validated survey (Int64, boolean, category)."""
    out = df.copy()
    for c in out.columns:
        if c.startswith(("commitment_", "imp_", "att_")) or c in (
            "prior_acquaintance",
            "org_support",
            "employer_recognition",
            "peer_recognition",
            "tech_mastery",
            "steward_active",
            "leader_changes",
        ):
            out[c] = out[c].astype("Int64")
        elif c in ("voluntary", "training_received", "responded_t1", "responded_t2"):
            out[c] = out[c].astype("boolean")
        elif c in ("gender", "age_band", "schooling", "language", "sponsor", "steward_type"):
            out[c] = out[c].astype("category")
        elif c in ("respondent_id", "cop_id", "professional_category", "platform"):
            out[c] = out[c].astype("string")
    return out


def _no_warnings(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return func(*args, **kwargs)


# --------------------------------------------------------------------------------------------
# CoPFeatureBuilder: names, references, encodings
# --------------------------------------------------------------------------------------------
def test_default_feature_names_in_the_users_words():
    fb = CoPFeatureBuilder().fit(_survey())
    assert fb.get_feature_names_out().tolist() == DEFAULT_NAMES
    assert set(DEFAULT_GROUPS) == set(FEATURE_GROUPS) - {"schooling", "language"}


def test_reference_levels_are_the_documented_ones():
    fb = CoPFeatureBuilder(include=["schooling", "language"]).fit(_survey())
    assert fb.reference_levels_ == {
        "steward_type": "none",
        "sponsor": "employer",
        "gender": "man",
        "age_band": "35_49",
        "schooling": "secondary",
        "language": "fr",
    }
    assert fb.reference_levels_ == REFERENCE_LEVELS
    names = fb.get_feature_names_out().tolist()
    assert names[-4:] == [
        "schooling_college",
        "schooling_university",
        "schooling_graduate",
        "language_en",
    ]
    for ref in ("steward_none", "sponsor_employer", "gender_man", "age_35_49"):
        assert ref not in names


def test_one_hot_columns_match_the_levels_and_reference_rows_are_zero():
    df = _survey()
    X = CoPFeatureBuilder(include="all").fit_transform(df)
    for prefix, column, reference in [
        ("steward", "steward_type", "none"),
        ("sponsor", "sponsor", "employer"),
        ("gender", "gender", "man"),
        ("age", "age_band", "35_49"),
        ("schooling", "schooling", "secondary"),
        ("language", "language", "fr"),
    ]:
        dummies = [c for c in X.columns if c.startswith(prefix + "_") and c != "steward_active"]
        assert dummies, prefix
        for name in dummies:
            level = name[len(prefix) + 1 :]
            np.testing.assert_array_equal(X[name].to_numpy(), (df[column] == level).to_numpy())
        at_reference = (df[column] == reference).to_numpy()
        assert (X.loc[at_reference, dummies].to_numpy() == 0).all()
        assert (X.loc[~at_reference, dummies].sum(axis=1) == 1).all()


def test_numeric_and_boolean_features_copy_the_survey():
    df = _survey()
    X = CoPFeatureBuilder().fit_transform(df)
    for c in ("steward_active", "leader_changes", "prior_acquaintance", "hours_per_week"):
        np.testing.assert_array_equal(X[c].to_numpy(), df[c].to_numpy(dtype=float))
    np.testing.assert_array_equal(X["voluntary"].to_numpy(), df["voluntary"].astype(float))
    assert set(X["training_received"]) == {0.0, 1.0}
    assert (X.dtypes == "float64").all()


def test_commitment_is_the_mean_of_the_answered_items():
    df = _survey()
    df.loc["row0", "commitment_2"] = np.nan  # items 4, -, 5
    X = CoPFeatureBuilder().fit_transform(df)
    assert X.loc["row0", "commitment"] == pytest.approx(4.5)
    assert X.loc["row1", "commitment"] == pytest.approx((5 + 4 + 4) / 3)
    fb = CoPFeatureBuilder().fit(df)
    partial = fb.missing_report_.set_index("column")
    assert partial.loc["commitment_2", "n_missing"] == 1
    fb.transform(df.iloc[:3])
    assert fb.transform_missing_report_.set_index("column").loc["commitment_2", "n_missing"] == 1
    assert partial.loc["commitment_2", "action"] == "commitment scored from the answered items"
    assert partial.loc["commitment", "n_missing"] == 0


def test_commitment_items_option_keeps_each_item():
    X = CoPFeatureBuilder(commitment="items").fit_transform(_survey())
    assert X.columns[:3].tolist() == ["commitment_1", "commitment_2", "commitment_3"]
    assert "commitment" not in X.columns


def test_hours_log1p():
    df = _survey()
    plain = CoPFeatureBuilder().fit_transform(df)["hours_per_week"]
    fb = CoPFeatureBuilder(hours_log1p=True).fit(df)
    names = fb.get_feature_names_out().tolist()
    assert "log1p_hours_per_week" in names and "hours_per_week" not in names
    logged = fb.transform(df)["log1p_hours_per_week"]
    np.testing.assert_allclose(logged.to_numpy(), np.log1p(plain.to_numpy()), rtol=1e-15)
    assert logged.loc["row2"] == 0.0
    assert "log1p_hours_per_week is log1p(hours_per_week)" in fb.describe()


def test_typed_survey_gives_the_same_features_as_a_raw_one():
    df = _survey()
    raw = CoPFeatureBuilder(include="all").fit_transform(df)
    typed = CoPFeatureBuilder(include="all").fit_transform(_typed(df))
    pd.testing.assert_frame_equal(raw, typed)


def test_validated_survey_gives_the_same_results():
    from copfactors.schema import validate

    df = _survey()
    valid = validate(df)
    pd.testing.assert_frame_equal(
        CoPFeatureBuilder(include="all").fit_transform(valid),
        CoPFeatureBuilder(include="all").fit_transform(df),
    )
    pd.testing.assert_series_equal(attainment(valid), attainment(df))
    assert (
        attainment_long(valid)["attainment"].tolist() == attainment_long(df)["attainment"].tolist()
    )


def test_index_is_preserved_and_row_order_does_not_matter():
    df = _survey()
    fb = CoPFeatureBuilder().fit(df)
    shuffled = df.sample(frac=1.0, random_state=3)
    X = fb.transform(shuffled)
    assert X.index.tolist() == shuffled.index.tolist()
    pd.testing.assert_frame_equal(X.loc[df.index], fb.transform(df))


def test_include_and_exclude():
    df = _survey()
    names = CoPFeatureBuilder(exclude=["gender", "age_band", "sponsor"]).fit(df)
    assert not any(
        n.startswith(("gender", "age", "sponsor")) for n in names.get_feature_names_out()
    )
    only_lang = CoPFeatureBuilder(include="language", exclude="commitment").fit(df)
    names = only_lang.get_feature_names_out().tolist()
    assert "language_en" in names and "commitment" not in names
    assert "schooling_college" not in names


# --------------------------------------------------------------------------------------------
# CoPFeatureBuilder: absent and constant columns, reports
# --------------------------------------------------------------------------------------------
def test_absent_columns_are_not_built_and_are_reported():
    df = _survey().drop(columns=["tech_mastery", "sponsor", "commitment_3"])
    fb = _no_warnings(CoPFeatureBuilder().fit, df)
    names = fb.get_feature_names_out().tolist()
    assert "tech_mastery" not in names and not any(n.startswith("sponsor") for n in names)
    report = fb.report_.set_index("group")
    assert report.loc["tech_mastery", "status"] == "absent"
    assert report.loc["sponsor", "status"] == "absent"
    assert report.loc["commitment", "columns"] == "commitment_1, commitment_2"
    assert "not built (absent): tech_mastery, sponsor" in fb.describe()


def test_constant_features_are_dropped_and_reported():
    df = _survey()
    df["voluntary"] = True
    df["steward_type"] = ["none", "designated"] * 6  # no dedicated steward
    fb = _no_warnings(CoPFeatureBuilder().fit, df)
    names = fb.get_feature_names_out().tolist()
    assert "voluntary" not in names
    assert "steward_dedicated" not in names and "steward_designated" in names
    report = fb.report_.set_index("group")
    assert report.loc["voluntary", "status"] == "constant"
    assert "steward_dedicated" in report.loc["steward_type", "note"]
    # the dropped column is not needed any more, but a fitted one is
    X = fb.transform(df.drop(columns=["voluntary"]))
    assert X.shape == (12, len(names))


def test_absent_reference_level_is_replaced_and_reported():
    df = _survey()
    df["sponsor"] = ["professional_association"] * 8 + ["inter_organisational"] * 4
    fb = CoPFeatureBuilder().fit(df)
    assert fb.reference_levels_["sponsor"] == "professional_association"
    assert "sponsor_inter_organisational" in fb.get_feature_names_out()
    assert "sponsor_professional_association" not in fb.get_feature_names_out()
    note = fb.report_.set_index("group").loc["sponsor", "note"]
    assert "reference level 'employer' absent" in note


def test_absent_reference_level_tie_goes_to_the_first_level_in_codebook_order():
    # professional_association precedes inter_organisational in the codebook but not in the
    # data, and both are observed 6 times: the codebook's order breaks the tie
    df = _survey()
    df["sponsor"] = ["inter_organisational"] * 6 + ["professional_association"] * 6
    fb = CoPFeatureBuilder().fit(df)
    assert fb.reference_levels_["sponsor"] == "professional_association"
    assert "sponsor_inter_organisational" in fb.get_feature_names_out()
    note = fb.report_.set_index("group").loc["sponsor", "note"]
    assert "reference is 'professional_association'" in note


def test_all_missing_column_is_reported_not_built():
    df = _survey()
    df["org_support"] = np.nan
    fb = CoPFeatureBuilder().fit(df)
    assert fb.report_.set_index("group").loc["org_support", "status"] == "all missing"
    assert "org_support" not in fb.get_feature_names_out()
    assert len(fb.transform(df)) == 12


def test_commitment_reliability_is_computed_at_fit():
    fb = CoPFeatureBuilder().fit(_survey())
    rel = fb.scale_reliability_["commitment"]
    assert isinstance(rel, ReliabilityResult)
    expected = reliability(_survey()[["commitment_1", "commitment_2", "commitment_3"]])
    assert rel.alpha == pytest.approx(expected.alpha, abs=1e-12)
    assert "commitment scale: alpha" in fb.describe()
    items_mode = CoPFeatureBuilder(commitment="items").fit(_survey())
    assert items_mode.scale_reliability_["commitment"].alpha == pytest.approx(rel.alpha)


def test_a_reversed_commitment_item_is_reported_quietly():
    df = _survey()
    df["commitment_3"] = 6 - df["commitment_3"]
    fb = _no_warnings(CoPFeatureBuilder().fit, df)
    note = fb.report_.set_index("group").loc["commitment", "note"]
    assert "correlate negatively" in note and "'commitment_3'" in note
    assert "commitment: " in fb.describe()


# --------------------------------------------------------------------------------------------
# CoPFeatureBuilder: missing values
# --------------------------------------------------------------------------------------------
def _with_holes() -> pd.DataFrame:
    df = _survey().astype({"voluntary": object})
    df.loc["row1", "hours_per_week"] = np.nan
    df.loc["row4", "hours_per_week"] = np.nan
    df.loc["row5", "gender"] = None
    df.loc["row7", "voluntary"] = None
    df.loc["row9", ["commitment_1", "commitment_2", "commitment_3"]] = np.nan
    df.loc["row10", "steward_type"] = None
    return df


def test_missing_drop_returns_complete_rows_and_reports_counts():
    df = _with_holes()
    fb = CoPFeatureBuilder(missing="drop")
    X = _no_warnings(fb.fit_transform, df)
    assert X.index.tolist() == [f"row{i}" for i in (0, 2, 3, 6, 8, 11)]
    assert not X.isna().any().any()
    assert fb.n_rows_dropped_ == 6
    rep = fb.missing_report_.set_index("column")
    assert rep.loc["hours_per_week", "n_missing"] == 2
    assert rep.loc["gender", "n_missing"] == 1
    assert rep.loc["voluntary", "n_missing"] == 1
    assert rep.loc["commitment", "n_missing"] == 1
    assert rep.loc["steward_type", "n_missing"] == 1
    assert rep.loc["hours_per_week", "action"] == "rows dropped"
    assert rep.loc["org_support", "action"] == "none"
    assert fb.transform_missing_report_.set_index("column").loc["hours_per_week", "n_missing"] == 2
    assert "rows dropped at fit: 6" in fb.describe()


def test_missing_impute_fills_with_fitted_median_and_mode():
    df = _with_holes()
    fb = CoPFeatureBuilder(missing="impute")
    X = _no_warnings(fb.fit_transform, df)
    assert X.index.tolist() == df.index.tolist()
    assert not X.isna().any().any()
    hours = df["hours_per_week"].dropna()
    assert X.loc["row1", "hours_per_week"] == pytest.approx(hours.median())
    assert X.loc["row5", "gender_woman"] == 1.0  # 6 women vs 5 men answered
    assert X.loc["row7", "voluntary"] == 1.0  # mostly True
    score = df[["commitment_1", "commitment_2", "commitment_3"]].mean(axis=1).dropna()
    assert X.loc["row9", "commitment"] == pytest.approx(score.median())
    assert X.loc["row10", ["steward_designated", "steward_dedicated"]].tolist() == [1.0, 0.0]
    rep = fb.missing_report_.set_index("column")
    assert rep.loc["hours_per_week", "n_missing"] == 2
    assert rep.loc["hours_per_week", "action"] == "imputed with the median"
    assert rep.loc["hours_per_week", "fill_value"] == pytest.approx(hours.median())
    assert rep.loc["gender", "fill_value"] == "woman"
    assert rep.loc["steward_type", "fill_value"] == "designated"
    # new data are filled with what fit learned, not with their own medians
    new = _survey().iloc[:2].copy()
    new["hours_per_week"] = [np.nan, 10.0]
    Xn = fb.transform(new)
    assert Xn["hours_per_week"].tolist() == [pytest.approx(hours.median()), 10.0]
    assert fb.transform_missing_report_.set_index("column").loc["hours_per_week", "n_missing"] == 1


def test_missing_impute_ties_go_to_the_first_level_false_before_true():
    df = _survey().astype({"voluntary": object})
    # 5 True and 5 False answered, True first in the data: the tie goes to False
    df["voluntary"] = [True, True, True, False, False, False, True, True, False, False, None, None]
    # designated and dedicated 5 times each, dedicated first in the data: the tie goes to
    # designated, which comes first in the codebook (none, designated, dedicated)
    df["steward_type"] = ["dedicated"] * 5 + ["designated"] * 5 + ["none", None]
    fb = CoPFeatureBuilder(missing="impute")
    X = _no_warnings(fb.fit_transform, df)
    assert fb.fill_values_["voluntary"] is False
    assert fb.fill_values_["steward_type"] == "designated"
    assert X.loc[["row10", "row11"], "voluntary"].tolist() == [0.0, 0.0]
    assert X.loc["row11", ["steward_designated", "steward_dedicated"]].tolist() == [1.0, 0.0]
    rep = fb.missing_report_.set_index("column")
    assert rep.loc["voluntary", "fill_value"] is False
    assert rep.loc["steward_type", "fill_value"] == "designated"


def test_extra_boolean_column_ties_go_to_false():
    df = _survey()
    df["my_flag"] = [True] * 5 + [False] * 5 + [None] * 2
    fb = CoPFeatureBuilder(missing="impute", extra="my_flag").fit(df)
    # both the fill value and the typical value a plan is scored with
    assert fb.fill_values_["my_flag"] is False
    assert fb.extra_groups_["my_flag"]["kind"] == "boolean"
    assert fb.extra_groups_["my_flag"]["typical"] is False
    assert fb.transform(df).loc[["row10", "row11"], "my_flag"].tolist() == [0.0, 0.0]


def test_drop_with_no_complete_row_is_an_error():
    df = _survey()
    df["hours_per_week"] = [np.nan] * 6 + [1.0] * 6
    df["tech_mastery"] = [3] * 6 + [np.nan] * 6
    with pytest.raises(FeatureError, match="no row of the training data is complete"):
        CoPFeatureBuilder().fit(df)
    assert CoPFeatureBuilder(missing="impute").fit_transform(df).shape[0] == 12


# --------------------------------------------------------------------------------------------
# CoPFeatureBuilder: errors
# --------------------------------------------------------------------------------------------
def test_transform_names_every_missing_fitted_column():
    fb = CoPFeatureBuilder().fit(_survey())
    with pytest.raises(FeatureError, match=r"lacks column\(s\) \['hours_per_week', 'gender'\]"):
        fb.transform(_survey().drop(columns=["gender", "hours_per_week"]))


def test_transform_before_fit():
    with pytest.raises(NotFittedError, match="not fitted"):
        CoPFeatureBuilder().transform(_survey())


def test_unseen_level_at_transform_is_an_error_not_the_reference():
    df = _survey()
    df["steward_type"] = ["none", "designated"] * 6
    fb = CoPFeatureBuilder().fit(df)
    new = _survey().iloc[:3]  # rows with a dedicated steward
    with pytest.raises(FeatureError, match="'dedicated'.*did not contain"):
        fb.transform(new)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("org_support", 7, "org_support.*outside.*7"),
        ("hours_per_week", -1.0, "hours_per_week.*outside"),
        ("leader_changes", 1.5, "leader_changes.*whole number"),
        ("sponsor", "government", "sponsor.*'government'.*allowed: employer"),
        ("voluntary", "maybe", "voluntary.*not boolean"),
        ("tech_mastery", "high", "tech_mastery.*not numeric"),
    ],
)
def test_bad_values_name_column_value_and_row(column, value, message):
    df = _survey().astype({column: object})
    df.loc["row5", column] = value
    with pytest.raises(FeatureError, match=message) as info:
        CoPFeatureBuilder().fit(df)
    assert "row5" in str(info.value)


@pytest.mark.parametrize(
    "params",
    [
        {"missing": "mean"},
        {"commitment": "sum"},
        {"include": ["age"]},
        {"exclude": "steward"},
        {"include": ["schooling"], "exclude": ["schooling"]},
        {"hours_log1p": "yes"},
    ],
)
def test_bad_parameters_fail_at_fit(params):
    fb = CoPFeatureBuilder(**params)  # __init__ only stores
    with pytest.raises(FeatureError):
        fb.fit(_survey())


def test_arrays_and_empty_surveys_are_refused():
    with pytest.raises(FeatureError, match="needs a pandas DataFrame"):
        CoPFeatureBuilder().fit(np.ones((3, 2)))
    with pytest.raises(FeatureError, match="no rows"):
        CoPFeatureBuilder(missing="impute").fit(_survey().iloc[:0])


def test_errors_are_copfactors_and_value_errors():
    assert issubclass(FeatureError, CopFactorsError) and issubclass(FeatureError, ValueError)
    assert issubclass(ScaleError, FeatureError)


# --------------------------------------------------------------------------------------------
# CoPFeatureBuilder: scikit-learn contract
# --------------------------------------------------------------------------------------------
def test_get_params_clone_and_set_params():
    fb = CoPFeatureBuilder(missing="impute", hours_log1p=True, include=["language"])
    assert fb.get_params() == {
        "commitment": "mean",
        "exclude": None,
        "extra": None,
        "formula": None,
        "hours_log1p": True,
        "include": ["language"],
        "missing": "impute",
    }
    twin = clone(fb)
    assert twin.get_params() == fb.get_params() and twin is not fb
    twin.set_params(missing="drop")
    assert twin.missing == "drop" and fb.missing == "impute"
    assert "hours_log1p=True" in repr(fb)


def test_fit_does_not_mutate_input_and_refit_is_identical():
    df = _with_holes()
    before = df.copy()
    fb = CoPFeatureBuilder(missing="impute")
    first = fb.fit_transform(df)
    second = fb.fit(df).transform(df)
    pd.testing.assert_frame_equal(df, before)
    pd.testing.assert_frame_equal(first, second)


def test_pickle_round_trip():
    fb = CoPFeatureBuilder(missing="impute").fit(_with_holes())
    again = pickle.loads(pickle.dumps(fb))
    pd.testing.assert_frame_equal(again.transform(_survey()), fb.transform(_survey()))


def test_pipeline_with_a_sklearn_estimator():
    df = _survey()
    y = (df["commitment_1"] >= 4).to_numpy()
    pipe = Pipeline(
        [
            ("features", CoPFeatureBuilder(missing="impute")),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=0.5, max_iter=1000)),
        ]
    ).set_output(transform="pandas")
    pipe.fit(df, y)
    proba = pipe.predict_proba(df)
    assert proba.shape == (12, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert pipe[:-1].get_feature_names_out().tolist() == DEFAULT_NAMES
    assert list(pipe[:-1].transform(df).columns) == DEFAULT_NAMES


def test_set_output_pandas_keeps_names_and_index():
    df = _survey()
    fb = CoPFeatureBuilder().set_output(transform="pandas").fit(df)
    X = fb.transform(df)
    assert X.columns.tolist() == DEFAULT_NAMES
    assert X.index.equals(df.index)


def test_fit_and_transform_are_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fb = CoPFeatureBuilder(missing="impute").fit(_with_holes())
        fb.transform(_with_holes())


# --------------------------------------------------------------------------------------------
# attainment
# --------------------------------------------------------------------------------------------
def _att(values: dict[str, list], **extra) -> pd.DataFrame:
    return pd.DataFrame({**{f"att_{k}": v for k, v in values.items()}, **extra})


def test_ordinal_rounds_halves_up_not_to_even():
    df = _att({"quality": [1, 2, 3, 4, 1, 5], "learning": [2, 3, 4, 5, 1, 5]})
    y = attainment(df)
    # means 1.5, 2.5, 3.5, 4.5, 1, 5; Python's round() would give 2, 2, 4, 4
    assert y.tolist() == [2, 3, 4, 5, 1, 5]
    assert str(y.dtype) == "Int64" and y.name == "attainment"


def test_ordinal_rounding_of_thirds():
    df = _att({"quality": [4, 2], "learning": [4, 2], "creativity": [5, 3]})
    assert attainment(df).tolist() == [4, 2]  # 4.33 -> 4, 2.33 -> 2
    assert attainment(df, kind="index").tolist() == pytest.approx([13 / 3, 7 / 3])


def test_binary_uses_the_unrounded_mean():
    df = _att({"quality": [3, 4, 5, None], "learning": [4, 4, 2, None]})
    y = attainment(df, kind="binary")
    assert y.tolist()[:3] == [False, True, False]  # 3.5 rounds to 4 but is below 4
    assert y.isna().tolist() == [False, False, False, True]
    assert str(y.dtype) == "boolean"
    assert attainment(df, kind="binary", threshold=3.5).tolist()[:3] == [True, True, True]


def test_missing_answers_and_t2_non_respondents_are_missing():
    df = _att(
        {"quality": [4, None, 3, 5], "learning": [None, None, 3, 5]},
        responded_t2=[True, True, False, None],
    )
    for kind in ("ordinal", "binary", "index"):
        y = attainment(df, kind=kind)
        assert y.isna().tolist() == [False, True, True, False], kind
    assert attainment(df).tolist()[0] == 4
    assert math.isnan(attainment(df, kind="index").iloc[2])


def test_attainment_on_the_survey_and_objective_selection():
    df = _survey()
    y = attainment(df)
    assert y.index.equals(df.index)
    # row0: 4, 5, 3 -> 4; rows 10-11 did not answer T2; row6 answered nothing
    assert y.loc["row0"] == 4
    assert y.loc[["row6", "row10", "row11"]].isna().all()
    only = attainment(df, objectives=["att_quality", "learning"], kind="index")
    assert only.loc["row0"] == pytest.approx(4.5)
    pd.testing.assert_series_equal(attainment(_typed(df)), y)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "mean"}, "kind must be"),
        ({"threshold": 6}, "threshold"),
        ({"objectives": ["innovation"]}, r"lacks attainment column\(s\) \['att_innovation'\]"),
        ({"objectives": []}, "objectives is empty"),
    ],
)
def test_attainment_bad_arguments(kwargs, message):
    with pytest.raises(FeatureError, match=message):
        attainment(_survey(), **kwargs)


def test_attainment_bad_values():
    with pytest.raises(FeatureError, match="att_quality.*3.5"):
        attainment(_att({"quality": [3.5, 4.0]}))
    with pytest.raises(FeatureError, match="no att_<objective> column"):
        attainment(pd.DataFrame({"x": [1]}))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=4, max_size=4),
        min_size=1,
        max_size=20,
    )
)
def test_ordinal_is_exact_half_up_rounding_of_the_mean(rows):
    slugs = OBJECTIVE_SLUGS[:4]
    df = pd.DataFrame(rows, columns=[f"att_{s}" for s in slugs], dtype="Float64")
    y = attainment(df)
    for got, row in zip(y, rows, strict=True):
        answered = [v for v in row if v is not None]
        if not answered:
            assert got is pd.NA
            continue
        mean = Fraction(sum(answered), len(answered))
        assert got == math.floor(mean + Fraction(1, 2))
        assert 1 <= got <= 5


# --------------------------------------------------------------------------------------------
# attainment_long
# --------------------------------------------------------------------------------------------
def test_attainment_long_shape_and_columns():
    df = _survey()
    long = attainment_long(df)
    assert long.columns.tolist() == [
        "respondent_id",
        "cop_id",
        "objective",
        "importance",
        "attainment",
    ]
    t2 = df[df["responded_t2"]]
    answered = int(t2[["att_quality", "att_learning", "att_creativity"]].notna().sum().sum())
    assert len(long) == answered == 25
    assert long.index.tolist() == list(range(25))
    assert list(long["objective"].cat.categories) == ["quality", "creativity", "learning"]
    assert str(long["attainment"].dtype) == "Int64" and str(long["importance"].dtype) == "Int64"
    first = long[long["respondent_id"] == "r01"]
    assert first["objective"].tolist() == ["quality", "creativity", "learning"]
    assert first["attainment"].tolist() == [4, 3, 5]
    assert first["importance"].tolist()[0] == 5
    assert first["importance"].isna().tolist() == [False, True, False]  # no imp_creativity
    r02 = long[(long["respondent_id"] == "r02") & (long["objective"] == "learning")]
    assert r02["importance"].isna().all()  # imp_learning not answered
    assert not long["respondent_id"].isin(["r11", "r12"]).any()
    assert set(long.groupby("respondent_id")["cop_id"].nunique()) == {1}


def test_attainment_long_keeps_id_dtypes_and_needs_ids():
    long = attainment_long(_typed(_survey()), objectives=["quality"])
    assert str(long["respondent_id"].dtype) == "string"
    assert len(long) == 9
    with pytest.raises(FeatureError, match=r"\['cop_id'\]"):
        attainment_long(_survey().drop(columns=["cop_id"]))


# --------------------------------------------------------------------------------------------
# reliability against R's psych (tests/results/reliability.R)
# --------------------------------------------------------------------------------------------
R_SUMMARY = pd.read_csv(RESULTS / "reliability_summary.csv").set_index("dataset")
R_ITEMS = pd.read_csv(RESULTS / "reliability_items.csv")
DATASETS = {
    # R: x <- bfi[, A1..A5]; x$A1 <- 7 - x$A1; x <- x[complete.cases(x), ]
    "bfi_agreeableness": ("reliability_bfi_agreeableness.csv", {"reverse": ["A1"]}),
    # R: datasets::attitude (30 x 7, complete)
    "attitude": ("reliability_attitude.csv", {}),
    # R: simulated 3-item Likert scale, set.seed(20240501), 5 missing cells
    "commitment": ("reliability_commitment.csv", {}),
}


def _r_reliability(name: str) -> tuple[ReliabilityResult, pd.DataFrame]:
    file, kwargs = DATASETS[name]
    data = pd.read_csv(RESULTS / file)
    return reliability(data, **kwargs), data


@pytest.mark.parametrize("name", list(DATASETS))
def test_alpha_matches_psych_alpha(name):
    # R: a <- psych::alpha(x); a$total; a$feldt; a$item.stats; a$alpha.drop
    res, data = _r_reliability(name)
    got, ref = res.summary.iloc[0], R_SUMMARY.loc[name]
    for col in ("alpha", "alpha_std", "alpha_ci_low", "alpha_ci_high", "alpha_se", "mean", "sd"):
        assert got[col] == pytest.approx(ref[col], abs=1e-6), col
    assert got["n"] == ref["n"] and got["k"] == ref["k"]
    assert res.n_incomplete == len(data) - ref["n"]
    items = R_ITEMS[R_ITEMS["dataset"] == name].reset_index(drop=True)
    assert res.items["item"].tolist() == items["item"].tolist()
    for col in ("r", "r_drop", "alpha_if_deleted", "mean", "sd"):
        np.testing.assert_allclose(res.items[col], items[col], rtol=0, atol=1e-6, err_msg=col)


@pytest.mark.parametrize("name", list(DATASETS))
def test_omega_total_matches_psych_omega(name):
    # R: psych::omega(x, nfactors = 1, fm = "minres")$omega.tot; psych::fa(x, 1)$loadings
    res, _ = _r_reliability(name)
    assert res.omega_total == pytest.approx(R_SUMMARY.loc[name, "omega_total"], abs=1e-4)
    items = R_ITEMS[R_ITEMS["dataset"] == name]
    np.testing.assert_allclose(res.items["loading"], items["loading"], rtol=0, atol=1e-4)


def test_three_item_loadings_are_the_exact_one_factor_solution():
    # with three items the one-factor model fits exactly: loading_1^2 = r12 r13 / r23
    res, data = _r_reliability("commitment")
    r = data.dropna().corr().to_numpy()
    exact = np.sqrt(
        [r[0, 1] * r[0, 2] / r[1, 2], r[0, 1] * r[1, 2] / r[0, 2], r[0, 2] * r[1, 2] / r[0, 1]]
    )
    np.testing.assert_allclose(res.items["loading"], exact, rtol=1e-9)


def test_reverse_keying_options_agree():
    data = pd.read_csv(RESULTS / "reliability_bfi_agreeableness.csv")
    by_observed = reliability(data, reverse=["A1"])
    by_scale = reliability(data, reverse="A1", scale=(1, 6))
    by_hand = reliability(data.assign(A1=7 - data["A1"]))
    pd.testing.assert_frame_equal(by_observed.summary, by_hand.summary)
    pd.testing.assert_frame_equal(by_scale.items, by_hand.items)
    assert by_observed.reversed == ("A1",)


def test_unreversed_item_warns():
    data = pd.read_csv(RESULTS / "reliability_bfi_agreeableness.csv")
    with pytest.warns(CopFactorsWarning, match=r"\['A1'\] correlate negatively"):
        reliability(data)


def test_scores_and_listwise_policy():
    res, data = _r_reliability("commitment")
    complete = data.notna().all(axis=1)
    assert res.scores.index.equals(data.index)
    assert res.scores[~complete].isna().all()
    np.testing.assert_allclose(res.scores[complete], data[complete].mean(axis=1))
    assert res.summary.loc[0, "n"] == complete.sum() == 146


def test_two_items_alpha_and_undefined_omega():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(60, 1)) + rng.normal(size=(60, 2))
    res = reliability(pd.DataFrame(x, columns=["a", "b"]))
    c = np.cov(x, rowvar=False)
    assert res.alpha == pytest.approx(4 * c[0, 1] / c.sum(), rel=1e-12)
    assert math.isnan(res.omega_total)
    assert res.items["alpha_if_deleted"].isna().all()


def test_repr_is_a_one_line_summary():
    res, _ = _r_reliability("attitude")
    text = repr(res)
    assert text.startswith("ReliabilityResult(k=7, n=30, alpha=0.843 [95% CI 0.739, 0.916]")


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(-10, 10), st.floats(0.1, 10))
def test_alpha_properties(seed, shift, factor):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.normal(size=(40, 1)) + rng.normal(size=(40, 4)), columns=list("abcd"))
    base = reliability(x)
    moved = reliability(x.assign(a=x["a"] + shift))  # raw alpha: covariances only
    assert moved.alpha == pytest.approx(base.alpha, abs=1e-9)
    scaled = reliability(x.assign(b=x["b"] * factor))  # standardised alpha, omega: correlations
    assert scaled.summary.loc[0, "alpha_std"] == pytest.approx(base.summary.loc[0, "alpha_std"])
    assert scaled.omega_total == pytest.approx(base.omega_total, abs=1e-8)
    shuffled = reliability(x.sample(frac=1.0, random_state=seed % 1000))
    assert shuffled.alpha == pytest.approx(base.alpha, abs=1e-12)
    low, high = base.summary.loc[0, ["alpha_ci_low", "alpha_ci_high"]]
    assert low < base.alpha < high


# --------------------------------------------------------------------------------------------
# reliability: bad input
# --------------------------------------------------------------------------------------------
def test_one_item_is_an_error():
    with pytest.raises(ScaleError, match="at least two items.*got 1 \\(commitment_1\\)"):
        reliability(_survey()[["commitment_1"]])


def test_all_missing_items_are_named():
    df = _survey()[["commitment_1", "commitment_2", "commitment_3"]].astype(float)
    df["commitment_2"] = np.nan
    df["commitment_3"] = np.nan
    with pytest.raises(ScaleError, match=r"\['commitment_2', 'commitment_3'\] have no answered"):
        reliability(df)


def test_non_numeric_items_are_named():
    df = _survey()[["commitment_1", "commitment_2", "gender"]]
    with pytest.raises(ScaleError, match=r"\['gender'\] are not numeric"):
        reliability(df)


def test_constant_item_and_too_few_rows():
    df = _survey()[["commitment_1", "commitment_2"]].assign(commitment_3=3)
    with pytest.raises(ScaleError, match=r"\['commitment_3'\] do not vary"):
        reliability(df)
    with pytest.raises(ScaleError, match="at least three rows"):
        reliability(_survey()[["commitment_1", "commitment_2"]].iloc[:2])
    with pytest.raises(ScaleError, match="not among"):
        reliability(_survey()[["commitment_1", "commitment_2"]], reverse=["commitment_9"])
    with pytest.raises(ScaleError, match="DataFrame"):
        reliability([[1, 2], [3, 4]])


# --------------------------------------------------------------------------------------------
# on simulated surveys (copfactors.datasets)
# --------------------------------------------------------------------------------------------
def test_features_match_the_simulators_design():
    from copfactors.datasets import make_survey, simulation_design

    survey = make_survey(seed=5, mode="parametric", n_respondents=240, n_cops=6, t2_rate=0.8)
    X = CoPFeatureBuilder(include="all").fit_transform(survey)
    design = simulation_design(survey)
    assert set(X.columns) == set(design.columns)
    pd.testing.assert_frame_equal(X, design[X.columns.tolist()], check_names=False)


def test_attainment_of_a_parametric_survey_is_the_simulated_level():
    from copfactors.datasets import make_survey

    survey = make_survey(seed=6, mode="parametric", n_respondents=200, t2_rate=0.7)
    y = attainment(survey)
    t2 = survey["responded_t2"].to_numpy(dtype=bool)
    assert y[~t2].isna().all()
    assert y[t2].tolist() == survey.loc[t2, "att_learning"].tolist()
    long = attainment_long(survey)
    assert len(long) == 15 * int(t2.sum())
    assert list(long["objective"].cat.categories) == list(OBJECTIVE_SLUGS)


def test_calibrated_survey_missing_values_are_counted():
    from copfactors.datasets import make_survey

    survey = make_survey(seed=0)
    drop = CoPFeatureBuilder().fit(survey)
    impute = CoPFeatureBuilder(missing="impute").fit(survey)
    for fb in (drop, impute):
        rep = fb.missing_report_.set_index("column")
        for column in ("gender", "age_band", "hours_per_week"):
            assert rep.loc[column, "n_missing"] == survey[column].isna().sum()
    assert drop.n_rows_dropped_ == len(survey) - len(drop.transform(survey))
    assert len(impute.transform(survey)) == len(survey)
    att = [f"att_{s}" for s in OBJECTIVE_SLUGS]
    t2 = survey["responded_t2"].to_numpy(dtype=bool)
    assert len(attainment_long(survey)) == int(survey.loc[t2, att].notna().sum().sum())
    rel = impute.scale_reliability_["commitment"]
    assert 0 < rel.alpha < 1 and rel.summary.loc[0, "k"] == 3


# --- your own variables (extra=) -------------------------------------------------------------
def _survey_with_extras() -> pd.DataFrame:
    from copfactors.datasets import load_example_survey

    s = load_example_survey()  # SIMULATED
    rng = np.random.default_rng(7)
    s["my_var"] = rng.normal(size=len(s))
    s.loc[s.index[:3], "my_var"] = np.nan
    s["team"] = rng.choice(["red", "blue", "green"], len(s))
    return s


def test_extra_adds_numeric_and_text_columns_with_sorted_first_reference():
    s = _survey_with_extras()
    fb = CoPFeatureBuilder(missing="impute", extra=["my_var", "team"]).fit(s)
    names = fb.get_feature_names_out().tolist()
    assert names[-3:] == ["my_var", "team_green", "team_red"]
    assert fb.reference_levels_["team"] == "blue"
    typical = s["team"].value_counts().idxmax()  # what a plan without the column is scored with
    assert fb.extra_groups_["team"] == {
        "kind": "category",
        "levels": ["blue", "green", "red"],
        "typical": typical,
    }
    assert fb.extra_groups_["my_var"]["typical"] == pytest.approx(float(s["my_var"].median()))
    report = fb.report_.set_index("group")
    assert report.loc["team", "status"] == "built"
    assert "reference 'blue'" in report.loc["team", "note"]
    miss = fb.missing_report_.set_index("column")
    assert miss.loc["my_var", "n_missing"] == 3
    assert miss.loc["my_var", "fill_value"] == pytest.approx(np.nanmedian(s["my_var"]))
    assert "extra columns: my_var (number), team (text, reference 'blue')" in fb.describe()
    new = s.tail(4).copy()
    new.loc[new.index[0], "my_var"] = np.nan
    X = fb.transform(new)
    assert X.loc[new.index[0], "my_var"] == pytest.approx(fb.fill_values_["my_var"])
    assert X.loc[new.index[1:], "my_var"].tolist() == new["my_var"].iloc[1:].tolist()
    assert X["team_red"].tolist() == (new["team"] == "red").astype(float).tolist()


def test_extra_categorical_keeps_its_order_and_unknown_level_is_refused():
    s = _survey_with_extras()
    s["team"] = pd.Categorical(s["team"], categories=["red", "green", "blue"])
    fb = CoPFeatureBuilder(extra="team").fit(s)
    assert fb.reference_levels_["team"] == "red"
    bad = s.head(2).copy()
    bad["team"] = ["purple", "red"]
    with pytest.raises(FeatureError, match="purple"):
        fb.transform(bad)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["steward_type"], "already built"),
        (["att_learning"], "attainment outcomes"),
        (["my_var", "my_var"], "more than once"),
        (["nope"], "not in the survey"),
    ],
)
def test_extra_bad_columns_are_refused(extra, message):
    with pytest.raises(FeatureError, match=message):
        CoPFeatureBuilder(extra=extra).fit(_survey_with_extras())


def test_extra_unused_codebook_column_and_attainment_model_driver_table():
    from copfactors.inspection import drivers
    from copfactors.persist import fit_attainment_model

    s = _survey_with_extras()
    fb = CoPFeatureBuilder(extra=["language"]).fit(s)  # a codebook group not built by default
    # a Categorical keeps its order: its first category is the reference
    first = str(s["language"].cat.categories[0]) if hasattr(s["language"], "cat") else "en"
    assert fb.reference_levels_["language"] == first
    model = fit_attainment_model(
        s, builder=CoPFeatureBuilder(missing="impute", exclude="sponsor", extra=["my_var", "team"])
    )
    assert {"my_var", "team_green", "team_red"} <= set(model.feature_names)
    y = attainment(s)
    X = model.features(s.loc[y.notna()])
    table = drivers(model.regression, X, y=y.loc[X.index].astype("int64"), importance=None)
    listed = " ".join(map(str, table.to_frame().index)) + " ".join(
        map(str, table.to_frame().iloc[:, 0])
    )
    assert all(f in listed for f in ("my_var", "team_green", "team_red"))


# --- your own model (formula=) ---------------------------------------------------------------
def test_formula_design_replaces_the_output_with_an_interaction():
    s = _survey_with_extras()
    fb = CoPFeatureBuilder(
        missing="impute",
        extra=["my_var", "team"],
        formula="commitment * voluntary + np.log1p(hours_per_week) + C(team) + scale(my_var)",
    ).fit(s)
    names = fb.get_feature_names_out().tolist()
    assert names == [
        "commitment",
        "voluntary",
        "np.log1p(hours_per_week)",
        "C(team)[T.green]",
        "C(team)[T.red]",
        "scale(my_var)",
        "commitment:voluntary",
    ]
    X = fb.transform(s)
    assert list(X.columns) == names and X.index.equals(s.index)
    np.testing.assert_allclose(X["commitment:voluntary"], X["commitment"] * X["voluntary"])
    np.testing.assert_allclose(
        X["np.log1p(hours_per_week)"],
        np.log1p(CoPFeatureBuilder(missing="impute").fit(s).transform(s)["hours_per_week"]),
    )
    assert fb.formula_columns_ == ["commitment", "hours_per_week", "my_var", "team", "voluntary"]
    report = fb.report_.set_index("group")
    assert report.loc["formula", "features"] == ", ".join(names)
    assert "formula: commitment * voluntary" in fb.describe()
    # stateful transforms keep the training state: scale() of new rows uses the fit's mean/SD
    new = s.tail(5)
    filled = s["my_var"].fillna(fb.fill_values_["my_var"])
    expected = (new["my_var"] - filled.mean()) / filled.std()
    np.testing.assert_allclose(fb.transform(new)["scale(my_var)"], expected)
    bad = new.copy()
    bad["team"] = "purple"
    with pytest.raises(FeatureError, match="purple"):
        fb.transform(bad)


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("commitment + __import__('os').system('echo hacked')", "__import__"),
        ("commitment + getattr(voluntary, 'x')", "getattr"),
        ("y ~ commitment", "right-hand side only"),
        ("commitment + team", "neither built features nor extra columns"),
        (3, "formula must be text"),
    ],
)
def test_formula_bad_or_hostile_is_refused_at_fit(formula, message):
    with pytest.raises(FeatureError, match=re.escape(message)):
        CoPFeatureBuilder(formula=formula).fit(_survey_with_extras())
