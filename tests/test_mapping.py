"""Tests of copfactors.mapping: survey-tool exports mapped to the codebook.

The exports are written by ``tests/make_exports.py`` from a SIMULATED survey
(``copfactors.make_survey``, parametric mode) into a temporary folder: LimeSurvey (French
.xlsx), Qualtrics (CSV, three header rows), SurveyMonkey (CSV, two header rows) and Google
Forms (CSV). The generator knows which column holds which variable: the proposed mappings are
held against that truth.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

from copfactors.errors import (
    CopFactorsWarning,
    MappingError,
    OutputExistsError,
    ParameterTypeError,
    SchemaError,
)
from copfactors.io import read_survey, read_table
from copfactors.mapping import (
    IGNORE,
    MappingEntry,
    SurveyMapping,
    load_mapping,
    normalise,
    propose_mapping,
)
from copfactors.schema import CODEBOOK
from make_exports import EXPORTS, NEAR_PLATFORM, Export

TOOLS = list(EXPORTS)


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Export]:
    """The four exports (SIMULATED answers), written once for the module."""
    folder = tmp_path_factory.mktemp("exports")
    return {tool: make(folder) for tool, make in EXPORTS.items()}


@pytest.fixture(scope="module")
def proposed(exports) -> dict[str, SurveyMapping]:
    return {tool: propose_mapping(read_table(e.path)) for tool, e in exports.items()}


def quiet_load(source):
    """load_mapping without its warning about entries left for review."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CopFactorsWarning)
        return load_mapping(source)


# --------------------------------------------------------------------------------------------
# the four exports


@pytest.mark.parametrize("tool", TOOLS)
def test_proposed_mapping_is_right_and_never_wrong(tool, exports, proposed):
    export, mapping = exports[tool], proposed[tool]
    assert [e.source for e in mapping.entries] == list(export.truth)
    right = wrong = 0
    for entry in mapping.entries:
        truth = export.truth[entry.source]
        if entry.used:
            if entry.target == truth:
                right += 1
            else:
                wrong += 1
    assert wrong == 0
    assert len(export.variables) == len(CODEBOOK)
    assert right / len(export.variables) >= 0.95
    # the survey tool's own columns are ignored (its response id may be respondent_id)
    for entry in mapping.entries:
        if export.truth[entry.source] is None and entry.source != NEAR_PLATFORM:
            assert (entry.target, entry.method) == (IGNORE, "metadata"), entry


@pytest.mark.parametrize("tool", TOOLS)
def test_read_survey_with_the_proposed_mapping_gives_the_survey_back(tool, exports, proposed):
    export = exports[tool]
    survey = read_survey(export.path, mapping=proposed[tool])
    columns = export.variables
    assert list(survey.columns) == columns
    pd.testing.assert_frame_equal(survey[columns], export.survey[columns])
    assert survey.attrs["source"] == str(export.path)
    assert survey.attrs["unknown_columns"] == []


@pytest.mark.parametrize("tool", TOOLS)
def test_yaml_round_trip_is_identity(tool, proposed, tmp_path):
    mapping = proposed[tool]
    path = mapping.save(tmp_path / "mapping.yaml")
    again = quiet_load(path)
    assert again == mapping
    assert again.to_yaml() == mapping.to_yaml()
    assert quiet_load(yaml.safe_load(mapping.to_yaml())) == mapping
    assert quiet_load(mapping.to_yaml()) == mapping  # YAML text
    # and the file reads the export as the mapping object does
    if tool == "surveymonkey":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CopFactorsWarning)
            from_file = read_survey(mapping.source or "", mapping=path)
        pd.testing.assert_frame_equal(from_file, read_survey(mapping.source, mapping=mapping))


def test_limesurvey_french_answers_and_missing_codes(exports, proposed):
    mapping = proposed["limesurvey"]
    by_target = {e.target: e for e in mapping.entries if e.used}
    assert by_target["gender"].values == {"Femme": "woman", "Homme": "man"}
    assert by_target["commitment_2"].values["Plutôt d'accord"] == 4
    assert by_target["commitment_2"].values["Sans réponse"] is None
    assert by_target["imp_innovation"].values["Très important"] == 5
    assert by_target["att_quality"].values.get("Atteint") == 4
    assert by_target["gender"].method == "label_fr"
    assert by_target["imp_innovation"].method == "objective_stem"
    # the LimeSurvey response id is ignored: a column holds respondent_id
    assert mapping.entry("id").target == IGNORE
    assert by_target["respondent_id"].source.startswith("G01Q")


def test_qualtrics_response_id_and_numeric_missing_code(exports, proposed):
    mapping = proposed["qualtrics"]
    entry = mapping.entry("ResponseId")
    assert (entry.target, entry.method) == ("respondent_id", "response_id")
    tech = next(e for e in mapping.entries if e.target == "tech_mastery")
    assert tech.values == {"99": None}
    survey = read_survey(exports["qualtrics"].path, mapping=mapping)
    expected = exports["qualtrics"].survey["tech_mastery"]
    assert survey["tech_mastery"].isna().sum() == expected.isna().sum() > 0
    attained = next(e for e in mapping.entries if e.target == "att_efficiency")
    assert attained.values.get("Don't know", "absent") is None


def test_google_forms_doubtful_column_is_left_out(exports, proposed):
    entry = proposed["google_forms"].entry(NEAR_PLATFORM)
    assert entry.review and entry.target is None and not entry.used
    assert entry.suggestion == "platform" and entry.method == "fuzzy"
    assert 0.75 <= entry.confidence < 0.9
    assert NEAR_PLATFORM in proposed["google_forms"].review_columns
    text = proposed["google_forms"].to_yaml()
    assert "# REVIEW: it may hold platform" in text


def test_summary_counts(proposed):
    text = proposed["google_forms"].summary()
    assert text.splitlines()[0] == (
        "58 columns: 55 mapped (55 exact), 1 to review, 2 ignored, 0 not recognised"
    )
    assert "to review: Knowledge-sharing platform you used before" in text
    assert text.endswith("required variables: all found")


# --------------------------------------------------------------------------------------------
# headers


@pytest.mark.parametrize(
    ("header", "target", "method"),
    [
        ("G02Q03. Genre", "gender", "label_fr"),
        ("G2Q3: Genre", "gender", "label_fr"),
        ("3. Gender", "gender", "name"),
        ("Q6 - Gender - Response", "gender", "name"),
        ("Genre [SQ001]", "gender", "label_fr"),
        ("  TRANCHE D’ÂGE ", "age_band", "label_fr"),
        ("hours-per-week", "hours_per_week", "name"),
        (
            "Q12_2 - Please rate - Taking part in this community motivates me",
            "commitment_2",
            "label_en",
        ),
        ("Importance at T1: Favor learning", "imp_learning", "label_en"),
        ("How IMPORTANT is it? [Stimuler la créativité]", "imp_creativity", "objective_stem"),
        ("Q9_3 - Was this objective attained? - Better quality", "att_quality", "objective_stem"),
        (
            "G06Q21[SQ014]. Objectifs atteints [Stimuler la créativité]",
            "att_creativity",
            "objective_stem",
        ),
        (
            "Importance des objectifs : Meilleure relation avec le(s) client(s)",
            "imp_client_relations",
            "objective_stem",
        ),
        ("Hours per week spent on comunity activities", "hours_per_week", "fuzzy"),
    ],
)
def test_headers_are_recognised(header, target, method):
    entry = propose_mapping(pd.DataFrame({header: ["1"]})).entries[0]
    assert (entry.target, entry.method, entry.review) == (target, method, False)
    # an objective label inside a longer text is not quite an exact match
    inside = header.startswith("Importance des objectifs")
    assert entry.confidence == (0.95 if inside else 1.0) or method == "fuzzy"


@pytest.mark.parametrize(
    "header",
    [
        "submitdate",
        "lastpage",
        "startlanguage",
        "seed",
        "datestamp",
        "ipaddr",
        "refurl",
        "token",
        "StartDate - Start Date",
        "Duration (in seconds)",
        "Finished",
        "RecordedDate",
        "RecipientLastName",
        "LocationLatitude",
        "UserLanguage",
        "DistributionChannel",
        "Collector ID",
        "IP Address",
        "Email Address",
        "First Name",
        "Last Name",
        "Custom Data 1",
        "Timestamp",
        "Horodateur",
        "Status - Response Type",
    ],
)
def test_metadata_columns_are_ignored(header):
    entry = propose_mapping(pd.DataFrame({header: ["x"]})).entries[0]
    assert (entry.target, entry.method) == (IGNORE, "metadata")


def test_response_id_only_without_a_respondent_id_column():
    table = pd.DataFrame({"id": [1, 2], "Respondent ID": [11, 12], "ResponseId": ["R_a", "R_b"]})
    targets = [e.target for e in propose_mapping(table).entries]
    assert targets == [IGNORE, IGNORE, "respondent_id"]
    table["respondent_id"] = ["a", "b"]
    assert [e.target for e in propose_mapping(table).entries] == [IGNORE] * 3 + ["respondent_id"]
    table = pd.DataFrame({"id": [1, 2], "Genre": ["Femme", "Homme"]})
    assert propose_mapping(table).entries[0].target == "respondent_id"


def test_doubtful_matches_are_marked_for_review_and_left_out():
    table = pd.DataFrame(
        {
            "Hours per week spent on activities": ["1", "2"],  # 87/100: review
            "Value innovation": ["4", "5"],  # an objective, but importance or attainment?
            "Genre [Autre]": ["x", "y"],  # LimeSurvey's "other" field of a question
            "Favourite colour": ["red", "blue"],
        }
    )
    mapping = propose_mapping(table)
    hours, objective, other, colour = mapping.entries
    assert (hours.target, hours.review, hours.suggestion) == (None, True, "hours_per_week")
    assert "near match" in hours.note
    assert (objective.target, objective.review, objective.method) == (None, True, "objective_stem")
    assert "imp_innovation" in objective.note and "att_innovation" in objective.note
    assert (other.target, other.method, other.review) == (None, "unmatched", False)
    assert (colour.target, colour.method) == (None, "unmatched")
    assert mapping.unmatched_columns == ["Genre [Autre]", "Favourite colour"]
    assert mapping.review_columns == ["Hours per week spent on activities", "Value innovation"]
    assert mapping.apply(table).shape == (2, 0)


def test_near_match_whose_answers_do_not_fit_is_reviewed():
    table = pd.DataFrame({"Hours per week spent on comunity activities": ["a lot", "little"]})
    entry = propose_mapping(table).entries[0]
    assert (entry.target, entry.review, entry.suggestion) == (None, True, "hours_per_week")
    assert "do not fit" in entry.note


def test_two_columns_on_one_variable_keep_the_surer():
    table = pd.DataFrame(
        {
            "Hours per week spent on comunity activities": ["1", "2"],
            "Q7 - Hours per week spent on community activities": ["1", "2"],
            "Gender": ["Woman", "Man"],
            "Genre": ["Femme", "Homme"],
        }
    )
    near, exact, gender, genre = propose_mapping(table).entries
    assert exact.target == "hours_per_week" and exact.confidence == 1.0
    assert (near.target, near.review, near.suggestion) == (None, True, "hours_per_week")
    assert gender.target == "gender"  # the first of two exact matches
    assert (genre.target, genre.review, genre.suggestion) == (None, True, "gender")
    assert "'Gender'" in genre.note


# --------------------------------------------------------------------------------------------
# answers


def test_answers_recoded_in_both_languages():
    table = pd.DataFrame(
        {
            "respondent_id": ["1", "2", "3", "4", "5"],
            "cop_id": ["A"] * 5,
            "Mon organisation soutient ma participation": [
                "Plutôt d’accord",
                "STRONGLY AGREE",
                "Neither agree nor disagree",
                "2 - Disagree",
                "Ne s'applique pas",
            ],
            "Importance at T1: Better quality": [
                "Très important",
                "not at all important",
                "Important (4)",
                "Je ne sais pas",
                "N/A",
            ],
            "Attainment at T2: Better quality": [
                "Parfaitement atteint",
                "attained",
                "Plus ou moins atteint",
                "-99",
                99,
            ],
            "Gender": ["Femme", "man", "woman", "Prefer not to say", "HOMME"],
            "Age band": ["35 à 49 ans", "Under 35", "50 and over", "Pas de réponse", ""],
            "Joined the community by choice (not designated)": ["Oui", "No", "vrai", "FAUX", "1"],
            "Hours per week spent on community activities": ["1,5", "0.25", 2, "-9", "Don't know"],
            "Number of changes of leader during the study": [0, 1, 99, 2, -1],
        }
    )
    mapping = propose_mapping(table)
    assert mapping.unrecognised_values == {}
    survey = read_survey_table(mapping, table)
    assert survey["org_support"].tolist() == [4, 5, 3, 2, pd.NA]
    assert survey["imp_quality"].tolist() == [5, 1, 4, pd.NA, pd.NA]
    assert survey["att_quality"].tolist() == [5, 4, 3, pd.NA, pd.NA]
    assert survey["gender"].astype(object).tolist()[:3] == ["woman", "man", "woman"]
    assert pd.isna(survey["gender"].iloc[3]) and survey["gender"].iloc[4] == "man"
    assert survey["age_band"].astype(object).tolist()[:3] == ["35_49", "under_35", "50_plus"]
    assert survey["voluntary"].tolist() == [True, False, True, False, True]
    assert survey["hours_per_week"].tolist()[:3] == [1.5, 0.25, 2.0]
    assert survey["hours_per_week"].isna().tolist()[3:] == [True, True]
    # 99 is a count in range for leader changes (no maximum): kept; -1 is a missing code
    assert survey["leader_changes"].tolist() == [0, 1, 99, 2, pd.NA]


def read_survey_table(mapping: SurveyMapping, table: pd.DataFrame) -> pd.DataFrame:
    from copfactors.schema import validate

    return validate(mapping.apply(table))


def test_unrecognised_answers_are_listed_and_left_for_validation():
    table = pd.DataFrame(
        {
            "respondent_id": ["1", "2", "3"],
            "cop_id": ["A", "A", "A"],
            "Gender": ["Woman", "Robot", "Other"],
            "Mon organisation soutient ma participation": ["Plutôt", "Agree", "6"],
        }
    )
    mapping = propose_mapping(table)
    assert mapping.unrecognised_values == {
        "Gender": ["Robot", "Other"],
        "Mon organisation soutient ma participation": ["Plutôt", "6"],
    }
    text = mapping.to_yaml()
    assert "unrecognised_values:" in text
    assert "# fill in: gender: one of woman, man, or null for missing" in text
    assert "summary" not in text and "2 answers" not in text
    assert "4 answers not recognised, in 2 columns" in mapping.summary()
    from copfactors.schema import validate

    with pytest.raises(SchemaError) as info:
        validate(mapping.apply(table))
    assert info.value.problems[["column", "row", "value"]].values.tolist() == [
        ["gender", 2, "Robot"],
        ["gender", 3, "Other"],
        ["org_support", 1, "Plutôt"],
        ["org_support", 3, "6"],
    ]
    # filled in by the user: the answers are recoded and no longer listed
    data = yaml.safe_load(text)
    data["columns"][2]["values"].update({"Robot": None, "Other": None})
    data["columns"][3]["values"].update({"Plutôt": 4, "6": None})
    filled = load_mapping(data)
    assert filled.unrecognised_values == {}
    assert validate(filled.apply(table))["org_support"].tolist() == [4, 4, pd.NA]


def test_numeric_missing_codes_in_a_numeric_column():
    table = pd.DataFrame(
        {"respondent_id": [1, 2, 3, 4], "cop_id": ["A"] * 4, "tech_mastery": [1, 99, 5, -99]}
    )
    mapping = propose_mapping(table)
    assert mapping.entry("tech_mastery").values == {"99": None, "-99": None}
    out = mapping.apply(table)
    assert out["tech_mastery"].isna().tolist() == [False, True, False, True]


def test_normalise():
    assert normalise("Plutôt d’accord") == normalise("plutot d'accord") == "plutot d accord"
    assert normalise("  Très   IMPORTANT!! ") == "tres important"


# --------------------------------------------------------------------------------------------
# mapping files


def good_mapping() -> dict:
    return {
        "version": 1,
        "columns": [
            {"source": "id", "target": "respondent_id"},
            {"source": "Q1", "target": "cop_id"},
            {"source": "Q2", "target": "gender", "values": {"F": "woman", "H": "man"}},
            {"source": "Q3", "target": "imp_quality", "values": {"Very important": 5}},
            {"source": "submitdate", "target": "ignore"},
        ],
    }


def test_load_mapping_from_dict_file_and_object(tmp_path):
    mapping = load_mapping(good_mapping())
    assert mapping.targets == {
        "id": "respondent_id",
        "Q1": "cop_id",
        "Q2": "gender",
        "Q3": "imp_quality",
    }
    assert mapping.entry("Q1").method == "manual" and mapping.entry("Q1").confidence == 1.0
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(good_mapping()), encoding="utf-8")
    assert load_mapping(path) == mapping
    assert load_mapping(str(path)) == mapping
    assert load_mapping(mapping) == mapping


def problems_of(data) -> str:
    with pytest.raises(MappingError) as info:
        load_mapping(data)
    return str(info.value)


def test_unknown_target_names_the_entry():
    data = good_mapping()
    data["columns"][2]["target"] = "gendre"
    text = problems_of(data)
    assert "entry 'Q2': target 'gendre' is not a codebook variable" in text
    assert "did you mean 'gender'?" in text


def test_two_columns_on_one_variable_is_refused():
    data = good_mapping()
    data["columns"].append({"source": "Q9", "target": "gender"})
    text = problems_of(data)
    assert "entry 'Q9': target 'gender' is also the target of 'Q2'" in text


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        ("Q3", {"Very important": 6}, "'Very important' is recoded to 6; expected an integer"),
        ("Q3", {"Very important": "5"}, "expected an integer from 1 to 5"),
        ("Q3", {"Very important": 4.5}, "expected an integer from 1 to 5"),
        ("Q2", {"F": "female"}, "'F' is recoded to 'female'; expected one of woman, man"),
    ],
)
def test_bad_recoding_value_names_the_entry(source, values, expected):
    data = good_mapping()
    next(c for c in data["columns"] if c["source"] == source)["values"] = values
    text = problems_of(data)
    assert f"entry {source!r}: values: " in text and expected in text


def test_every_problem_at_once_and_wrong_types():
    data = good_mapping()
    data["columns"][0]["tagret"] = "x"
    data["columns"][1]["confidence"] = "high"
    data["columns"][2]["review"] = "sure"
    data["columns"][3]["values"] = ["Very important", 5]
    data["columns"].append("not an entry")
    data["columns"].append({"source": "submitdate", "target": "platform"})
    data["colums"] = []
    text = problems_of(data)
    assert text.startswith("7 problems with the mapping:")
    assert "entry 'id': unknown field 'tagret'" in text
    assert "entry 'Q1': confidence 'high'; expected a number from 0 to 1" in text
    assert "entry 'Q2': review 'sure'; expected true or false" in text
    assert "entry 'Q3': values" in text
    assert "entry 6: 'not an entry' (str); expected source, target and values" in text
    assert "entry 'submitdate': given twice (entries 5 and 7)" in text
    assert "unknown field 'colums'" in text


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("columns: [", "is not valid YAML"),
        ("- just\n- a list\n", "expected a mapping with a 'columns' list, got list"),
        ("columns: 3\n", "columns: 3 (int); expected a list of entries"),
        ("!!python/object/apply:os.system ['echo hacked']\n", "is not valid YAML"),
        ("version: 2\ncolumns: []\n", "version 2; expected 1"),
    ],
)
def test_hostile_or_broken_files(tmp_path, content, expected):
    path = tmp_path / "mapping.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(MappingError, match="mapping") as info:
        load_mapping(path)
    assert expected in str(info.value) and str(path) in str(info.value)


def test_missing_file_and_wrong_type(tmp_path):
    with pytest.raises(MappingError, match="no such file"):
        load_mapping(tmp_path / "nope.yaml")
    with pytest.raises(MappingError, match="not int"):
        load_mapping(3)


def test_entry_left_for_review_is_kept_out_with_a_warning():
    data = good_mapping()
    data["columns"][2].update(review=True)  # a target set, but not confirmed
    with pytest.warns(CopFactorsWarning, match="1 mapping entry marked review left out.*Q2"):
        mapping = load_mapping(data)
    assert "Q2" not in mapping.targets
    table = pd.DataFrame({"id": ["1"], "Q1": ["A"], "Q2": ["F"], "Q3": ["5"], "submitdate": [1]})
    assert list(mapping.apply(table).columns) == ["respondent_id", "cop_id", "imp_quality"]


def test_apply_refuses_a_mapping_for_another_export():
    mapping = load_mapping(good_mapping())
    table = pd.DataFrame({"id": ["1"], "Q1": ["A"], "Q2 renamed": ["F"], "Q3": ["5"]})
    table.attrs["source"] = "other.csv"
    with pytest.raises(MappingError, match=r"other\.csv: entry 'Q2': the table has no such column"):
        mapping.apply(table)
    with pytest.raises(ParameterTypeError):
        mapping.apply({"id": [1]})
    with pytest.raises(ParameterTypeError):
        propose_mapping([["id"]])


def test_apply_keeps_rows_index_and_attrs():
    mapping = load_mapping(good_mapping())
    table = pd.DataFrame(
        {"Q1": ["A", "B"], "extra": [1, 2], "id": ["1", "2"], "Q2": ["F", "h"], "Q3": [5, 4]},
        index=[10, 11],
    )
    table.attrs.update(source="x.csv", first_data_line=4, header_rows=3)
    out = mapping.apply(table)
    assert list(out.columns) == ["cop_id", "respondent_id", "gender", "imp_quality"]
    assert out.index.tolist() == [10, 11]
    assert out["gender"].astype(object).tolist() == ["woman", "man"]
    assert out.attrs["first_data_line"] == 4 and out.attrs["source"] == "x.csv"
    assert out.attrs["dropped_columns"] == ["extra"]


def test_save_is_atomic_and_does_not_overwrite(tmp_path):
    mapping = load_mapping(good_mapping())
    path = mapping.save(tmp_path / "m.yaml")
    with pytest.raises(OutputExistsError):
        mapping.save(path)
    mapping.entries[1].target = "platform"
    mapping.save(path, overwrite=True)
    assert load_mapping(path).targets["Q1"] == "platform"
    assert [p.name for p in tmp_path.iterdir()] == ["m.yaml"]


def test_entry_to_dict_leaves_out_empty_fields():
    entry = MappingEntry("Q1", "cop_id", "label_en", 1.0)
    assert entry.to_dict() == {
        "source": "Q1",
        "target": "cop_id",
        "method": "label_en",
        "confidence": 1.0,
        "review": False,
    }


# --------------------------------------------------------------------------------------------
# speed


def test_propose_mapping_on_a_wide_table_is_quick(exports):
    table = read_table(exports["qualtrics"].path)
    rng = np.random.default_rng(0)
    columns = {c: table[c].to_numpy()[rng.integers(0, len(table), 10_000)] for c in table}
    k = 0
    while len(columns) < 200:
        k += 1
        columns[f"Q{100 + k} - Another question, number {k}"] = rng.choice(
            [f"answer {j}" for j in range(500)], 10_000
        )
    wide = pd.DataFrame(columns)
    start = time.perf_counter()
    mapping = propose_mapping(wide)
    assert time.perf_counter() - start < 5.0
    assert len(mapping.entries) == 200


# ---------------------------------------------------------------------------------------------
# hostile mapping files: bounded work, short messages, MappingError only
def test_alias_expansion_is_refused_with_a_short_message(tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]")
    path = tmp_path / "mapping.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    message = str(info.value)
    assert message.startswith(f"mapping in {path}, line 1: the anchor &a is not allowed")
    assert len(message) < 300
    with pytest.raises(MappingError, match="line 2: the alias"):
        load_mapping("columns: []\nsource: *x\n")


def test_duplicate_keys_deep_nesting_and_huge_integers_are_refused():
    text = "columns:\n  - source: Genre\n    target: gender\n    target: age_band\n"
    with pytest.raises(MappingError, match="line 4: the key 'target' is given twice"):
        load_mapping(text)
    with pytest.raises(MappingError, match="nested more than 50 levels"):
        load_mapping("columns:\n" + "- " * 60 + "x\n")
    with pytest.raises(MappingError, match="integer of 400 characters is too large"):
        load_mapping("columns: []\nversion: " + "1" * 400 + "\n")


def test_size_is_capped_and_the_cap_can_be_raised(tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text("columns: []\n" + "# padding\n" * 600_000, encoding="utf-8")
    with pytest.raises(MappingError, match="more than the 5000000 allowed"):
        load_mapping(path)
    assert load_mapping(path, max_bytes=10_000_000).targets == {}
    with pytest.raises(MappingError, match="more than the 10 allowed"):
        load_mapping("columns: []\nsource: x\n", max_bytes=10)


def test_long_values_are_cut_in_messages():
    data = {"columns": [{"source": "s" * 100_000, "target": "t" * 100_000, "method": "m" * 10**5}]}
    with pytest.raises(MappingError) as info:
        load_mapping(data)
    message = str(info.value)
    assert message.startswith("2 problems with the mapping")
    assert "(100002 characters)" in message and len(message) < 1000
