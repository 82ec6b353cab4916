"""Tests of copfactors.io: reading CSV, Excel, SPSS and Parquet surveys, and the CLI report."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import copfactors
from copfactors.errors import DataFormatError, ParameterError, ParameterTypeError, SchemaError
from copfactors.io import (
    ReadLimits,
    problems_table,
    read_survey,
    read_table,
    summarize,
    validation_report,
)
from copfactors.schema import CODEBOOK, validate

HEADER = "respondent_id,cop_id,gender,professional_category,platform,hours_per_week,imp_quality"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def small_survey() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "respondent_id": ["001", "002", "003", "004"],
            "cop_id": ["A", "A", "B", "B"],
            "responded_t1": [True, True, True, True],
            "responded_t2": [True, False, True, None],
            "gender": ["woman", "man", None, "woman"],
            "age_band": ["35_49", "under_35", "50_plus", None],
            "commitment_1": [5, 4, None, 1],
            "hours_per_week": [1.0, 0.5, None, 2.25],
            "leader_changes": [0, 0, 2, 2],
            "platform": ["Knowledge Forum", "Knowledge Forum", "Lotus Notes", "Lotus Notes"],
            "att_learning": [4, None, 3, None],
        }
    )


# --------------------------------------------------------------------------------------------
# CSV


def test_csv_utf8(tmp_path):
    path = write(
        tmp_path / "s.csv", f"{HEADER}\n1,A,Woman,infirmière,Forum Café,1.5,4\n2,A,man,,,0,5\n"
    )
    out = read_survey(path)
    assert out["professional_category"].tolist()[0] == "infirmière"
    assert out["platform"].tolist()[0] == "Forum Café"
    assert out["hours_per_week"].tolist() == [1.5, 0.0]
    assert out["imp_quality"].tolist() == [4, 5]
    assert str(out["respondent_id"].dtype) == "string"


def test_csv_utf8_bom(tmp_path):
    path = write(tmp_path / "s.csv", f"\ufeff{HEADER}\n1,A,femme,éducatrice,Réseau,1,3\n", "utf-8")
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    out = read_survey(path)
    assert out.columns[0] == "respondent_id"
    assert out["gender"].astype(object).tolist() == ["woman"]
    assert out["professional_category"].tolist() == ["éducatrice"]


def test_csv_latin1_with_accents(tmp_path):
    text = (
        f"{HEADER}\n"
        "1,A,Femme,infirmière en santé,Forum Cœur-Santé,2,4\n"
        "2,B,homme,ingénieur,Élan,,\n"
    )
    path = write(tmp_path / "s.csv", text, "cp1252")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    out = read_survey(path)
    assert out["professional_category"].tolist() == ["infirmière en santé", "ingénieur"]
    assert out["platform"].tolist() == ["Forum Cœur-Santé", "Élan"]
    assert out["gender"].astype(object).tolist() == ["woman", "man"]


def test_csv_explicit_encoding(tmp_path):
    path = write(tmp_path / "s.csv", "respondent_id,cop_id,platform\n1,A,Forum Café\n", "utf-16")
    with pytest.raises(DataFormatError, match="not a text file"):
        read_survey(path)
    assert read_survey(path, encoding="utf-16")["platform"].tolist() == ["Forum Café"]


def test_csv_undecodable(tmp_path):
    path = write(tmp_path / "bad.csv", "respondent_id,cop_id\n1,A")
    path.write_bytes(path.read_bytes() + b"\x81\x8d\n")
    with pytest.raises(DataFormatError) as info:
        read_survey(path)
    message = str(info.value)
    assert "bad.csv" in message and "utf-8-sig" in message and "cp1252" in message


def test_csv_semicolon_decimal_comma(tmp_path):
    text = (
        "respondent_id;cop_id;hours_per_week;imp_quality;platform\n"
        "1;A;1,5;4;Forum, version 2\n"
        "2;A;0,25;3;x\n"
        "3;B;2;5;y\n"
    )
    out = read_survey(write(tmp_path / "s.csv", text))
    assert out["hours_per_week"].tolist() == [1.5, 0.25, 2.0]
    assert out["platform"].tolist()[0] == "Forum, version 2"


def test_csv_semicolon_mixed_decimal_marks_in_hours(tmp_path):
    text = "respondent_id;cop_id;hours_per_week\n1;A;1,5\n2;A;1.5\n3;A;\n"
    out = read_survey(write(tmp_path / "s.csv", text))
    assert out["hours_per_week"].tolist()[:2] == [1.5, 1.5]


def test_csv_decimal_comma_in_likert_is_a_problem(tmp_path):
    text = "respondent_id;cop_id;imp_quality;att_quality\n1;A;3,5;4\n2;A;4;x,5\n"
    with pytest.raises(SchemaError) as info:
        read_survey(write(tmp_path / "s.csv", text))
    problems = info.value.problems
    assert problems[["column", "row"]].values.tolist() == [["imp_quality", 1], ["att_quality", 2]]
    assert problems.loc[0, "problem"].startswith("not an integer")
    assert info.value.source.endswith("s.csv")


def test_csv_comment_lines_before_header(tmp_path):
    text = (
        "# simulated data, seed 1\n\n#another note; with, delimiters\n"
        "respondent_id,cop_id,platform\n1,A,C#\n"
    )
    out = read_survey(write(tmp_path / "s.csv", text))
    assert out[["respondent_id", "platform"]].values.tolist() == [["1", "C#"]]


def test_example_survey_file_reads():
    from importlib import resources

    path = resources.files("copfactors.datasets").joinpath("data/example_survey.csv")
    survey = read_survey(Path(str(path)))
    assert len(survey) == 180
    assert survey.attrs["unknown_columns"] == []


def test_csv_tab_delimited(tmp_path):
    out = read_survey(write(tmp_path / "s.csv", "respondent_id\tcop_id\n1\tA\n"))
    assert out["cop_id"].tolist() == ["A"]


def test_csv_delimiter_undecidable(tmp_path):
    path = write(tmp_path / "odd.csv", "a,b;c\n1,2;3\n")
    with pytest.raises(DataFormatError) as info:
        read_survey(path)
    message = str(info.value)
    assert "odd.csv" in message and "comma or semicolon" in message and "delimiter=" in message
    out = read_survey(path, delimiter=";", validate=False)
    assert list(out.columns) == ["a,b", "c"]


def test_csv_no_delimiter_found(tmp_path):
    with pytest.raises(DataFormatError, match="tried comma, semicolon and tab"):
        read_survey(write(tmp_path / "s.csv", "respondent_id|cop_id\n1|A\n"))


def test_csv_delimiter_chosen_by_codebook_names(tmp_path):
    text = "respondent_id;cop_id;platform\n1;A;Forum, v2\n"
    path = write(tmp_path / "s.csv", text)
    assert read_survey(path)["platform"].tolist() == ["Forum, v2"]


def test_csv_text_in_numeric_column(tmp_path):
    text = 'respondent_id,cop_id,imp_quality,att_quality\n1,A," 3",n/a\n2,A,4,"3,5"\n'
    with pytest.raises(SchemaError) as info:
        read_survey(write(tmp_path / "s.csv", text))
    problems = info.value.problems
    assert problems[["column", "row", "value"]].values.tolist() == [
        ["att_quality", 1, "n/a"],
        ["att_quality", 2, "3,5"],
    ]


def test_csv_ids_keep_leading_zeros(tmp_path):
    text = "respondent_id,cop_id,platform\n001,7,1.10\n002,7,2\n010,8,x\n"
    out = read_survey(write(tmp_path / "s.csv", text))
    assert out["respondent_id"].tolist() == ["001", "002", "010"]
    assert out["cop_id"].tolist() == ["7", "7", "8"]
    assert out["platform"].tolist() == ["1.10", "2", "x"]


def test_csv_missing_codes(tmp_path):
    text = "respondent_id,cop_id,imp_quality,hours_per_week,platform\n1,A,9,99,n/a\n2,A,4,1,x\n"
    path = write(tmp_path / "s.csv", text)
    with pytest.raises(SchemaError):
        read_survey(path)
    out = read_survey(path, missing_codes=[9, 99, "n/a"])
    assert out["imp_quality"].isna().tolist() == [True, False]
    assert out["hours_per_week"].isna().tolist() == [True, False]
    assert out["platform"].isna().tolist() == [True, False]
    out = read_survey(
        path, missing_codes={"imp_quality": [9], "Hours_per_week": 99, "platform": ["n/a"]}
    )
    assert out["hours_per_week"].isna().tolist() == [True, False]
    with pytest.raises(TypeError, match="not a string"):
        read_survey(path, missing_codes="n/a")


def test_csv_na_written_by_r_is_missing(tmp_path):
    out = read_survey(write(tmp_path / "s.csv", "respondent_id,cop_id,imp_quality\n1,A,NA\n"))
    assert out["imp_quality"].isna().all()


def test_csv_repeated_header_is_a_problem(tmp_path):
    path = write(tmp_path / "s.csv", "respondent_id,cop_id,gender,Gender\n1,A,woman,man\n")
    with pytest.raises(SchemaError, match="given 2 times"):
        read_survey(path)


def test_csv_ragged_rows(tmp_path):
    path = write(tmp_path / "rag.csv", "respondent_id,cop_id\n1,A\n2,B,extra,more\n")
    with pytest.raises(DataFormatError, match=r"rag\.csv.*line 3"):
        read_survey(path)


def test_empty_file(tmp_path):
    for name in ("empty.csv", "empty.xlsx", "empty.sav", "empty.parquet"):
        path = tmp_path / name
        path.write_bytes(b"")
        with pytest.raises(DataFormatError, match=rf"{name}: the file is empty \(0 bytes\)"):
            read_survey(path)


def test_blank_lines_only(tmp_path):
    with pytest.raises(DataFormatError, match="no header line"):
        read_survey(write(tmp_path / "s.csv", "\n\n\n"))


def test_header_only_is_a_schema_error(tmp_path):
    path = write(tmp_path / "s.csv", HEADER + "\n")
    with pytest.raises(SchemaError) as info:
        read_survey(path)
    assert info.value.problems["problem"].tolist() == [
        "the survey has no data rows; expected one row per respondent"
    ]
    raw = read_survey(path, validate=False)
    assert raw.shape == (0, 7)


def test_wrong_extension(tmp_path):
    for name in ("survey.txt", "survey", "survey.xls", "survey.json"):
        path = write(tmp_path / name, f"{HEADER}\n1,A,woman,x,y,1,4\n")
        with pytest.raises(DataFormatError) as info:
            read_survey(path)
        assert name in str(info.value) and ".csv, .xlsx" in str(info.value)
    with pytest.raises(DataFormatError, match=r"save old \.xls workbooks as \.xlsx"):
        read_survey(tmp_path / "survey.xls")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataFormatError, match="nope.csv: no such file"):
        read_survey(tmp_path / "nope.csv")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(DataFormatError, match="is a folder"):
        read_survey(tmp_path / "folder.csv")


def test_options_for_another_format_are_refused(tmp_path):
    path = tmp_path / "s.parquet"
    small_survey().to_parquet(path)
    with pytest.raises(ValueError, match="CSV files only"):
        read_survey(path, delimiter=";")
    with pytest.raises(ValueError, match="Excel files only"):
        read_survey(path, sheet=0)


# --------------------------------------------------------------------------------------------
# Excel, SPSS, Parquet


def test_excel_sheets(tmp_path):
    path = tmp_path / "s.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"note": ["read me"]}).to_excel(writer, sheet_name="about", index=False)
        small_survey().to_excel(writer, sheet_name="data", index=False)
    with pytest.raises(SchemaError, match="required column is missing"):
        read_survey(path)
    out = read_survey(path, sheet="data")
    pd.testing.assert_frame_equal(out, validate(small_survey()))
    assert read_survey(path, sheet=1).shape == out.shape
    with pytest.raises(DataFormatError, match="no sheet 'other'; the workbook has 'about', 'data'"):
        read_survey(path, sheet="other")
    with pytest.raises(DataFormatError, match="no sheet 5"):
        read_survey(path, sheet=5)


def test_excel_corrupt(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    with pytest.raises(DataFormatError, match=r"broken\.xlsx: cannot open as an Excel workbook"):
        read_survey(path)


def write_spss(path: Path) -> Path:
    df = pd.DataFrame(
        {
            "respondent_id": [1.0, 2.0, 3.0, 4.0, 5.0],
            "cop_id": ["A", "A", "B", "B", "B"],
            "gender": [1.0, 2.0, 9.0, np.nan, 1.0],
            "language": [1.0, 2.0, 1.0, 2.0, 8.0],
            "voluntary": [1.0, 2.0, 1.0, 2.0, 1.0],
            "training_received": [1.0, 0.0, 0.0, 1.0, 0.0],
            "professional_category": [1.0, 2.0, 1.0, 2.0, 1.0],
            "commitment_1": [3.0, 99.0, 5.0, 1.0, 97.0],
            "att_quality": [1.0, 2.0, 5.0, 4.0, 9.0],
            "platform": ["Forum", "Forum", "zz", "Notes", "Notes"],
        }
    )
    pyreadstat.write_sav(
        df,
        str(path),
        variable_value_labels={
            "gender": {1: "Femme", 2: "Man", 9: "No answer"},
            "language": {1: "Français", 2: "English"},
            "voluntary": {1: "Oui", 2: "Non"},
            "training_received": {1: "Received", 0: "Not received"},
            "professional_category": {1: "Infirmière", 2: "Ingénieur"},
            "att_quality": {1: "Not attained at all", 5: "Perfectly attained"},
        },
        missing_ranges={
            "gender": [9],
            "language": [8],
            "commitment_1": [{"lo": 90, "hi": 99}],
            "att_quality": [9],
            "platform": ["zz"],
        },
    )
    return path


def test_spss_labels_and_user_missing(tmp_path):
    out = read_survey(write_spss(tmp_path / "s.sav"))
    assert out["respondent_id"].tolist() == ["1", "2", "3", "4", "5"]
    gender = out["gender"].astype(object)
    assert gender.tolist()[:2] == ["woman", "man"] and gender.isna().tolist()[2:4] == [True, True]
    assert out["language"].astype(object).tolist()[:4] == ["fr", "en", "fr", "en"]
    assert pd.isna(out["language"].iloc[4])
    assert out["voluntary"].tolist() == [True, False, True, False, True]
    # labels that are not yes/no words leave the 0/1 codes, which are unambiguous
    assert out["training_received"].tolist() == [True, False, False, True, False]
    assert out["professional_category"].tolist() == ["Infirmière", "Ingénieur"] * 2 + ["Infirmière"]
    assert out["commitment_1"].isna().tolist() == [False, True, False, False, True]
    assert out["att_quality"].tolist()[:4] == [1, 2, 5, 4] and pd.isna(out["att_quality"].iloc[4])
    assert out["platform"].isna().tolist() == [False, False, True, False, False]


def test_spss_unlabelled_code_is_a_problem(tmp_path):
    df = pd.DataFrame({"respondent_id": [1.0, 2.0], "cop_id": [1.0, 1.0], "gender": [1.0, 3.0]})
    path = tmp_path / "s.sav"
    pyreadstat.write_sav(df, str(path), variable_value_labels={"gender": {1: "Woman", 3: "Other"}})
    with pytest.raises(SchemaError) as info:
        read_survey(path)
    assert info.value.problems[["column", "row", "value"]].values.tolist() == [
        ["gender", 2, "Other"]
    ]


def test_spss_corrupt(tmp_path):
    path = tmp_path / "broken.sav"
    path.write_bytes(b"$FL2 not really spss" * 10)
    with pytest.raises(DataFormatError, match=r"broken\.sav: cannot read as an SPSS file"):
        read_survey(path)


def test_parquet(tmp_path):
    path = tmp_path / "s.parquet"
    small_survey().to_parquet(path)
    pd.testing.assert_frame_equal(read_survey(path), validate(small_survey()))


def test_parquet_corrupt(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 not really parquet")
    with pytest.raises(DataFormatError, match=r"broken\.parquet: cannot read as a Parquet file"):
        read_survey(path)


def test_top_level_name():
    assert copfactors.read_survey is read_survey


# --------------------------------------------------------------------------------------------
# round trips

_TEXT = st.text(alphabet=list("abcéèçôÉ XYZ-',;\"019"), min_size=1, max_size=8)
_IDS = st.text(alphabet=list("abcXYZé0123456789_-"), min_size=1, max_size=6)


def _column(var, n: int) -> st.SearchStrategy:
    if var.type == "boolean":
        value = st.booleans()
    elif var.type == "category":
        value = st.sampled_from(var.categories)
    elif var.type == "likert":
        value = st.integers(1, 5)
    elif var.type == "integer":
        value = st.integers(0, 12)
    elif var.type == "float":
        value = st.integers(0, 160).map(lambda k: k / 4)
    else:
        value = _TEXT
    return st.lists(st.one_of(st.none(), value), min_size=n, max_size=n)


@st.composite
def valid_surveys(draw):
    n = draw(st.integers(1, 12))
    ids = draw(st.lists(_IDS.filter(lambda s: s != "NA"), min_size=n, max_size=n, unique=True))
    data: dict[str, object] = {
        "respondent_id": ids,
        "cop_id": draw(st.lists(st.sampled_from(["A", "B", "007", "7"]), min_size=n, max_size=n)),
    }
    others = [v for v in CODEBOOK if v.type != "id"]
    chosen = draw(st.lists(st.sampled_from(others), unique=True, min_size=1, max_size=12))
    for var in sorted(chosen, key=lambda v: CODEBOOK.names.index(v.name)):
        data[var.name] = draw(_column(var, n))
    return validate(pd.DataFrame(data))


def _write(survey: pd.DataFrame, path: Path, how: str) -> None:
    if how == "csv":
        survey.to_csv(path, index=False)
    elif how == "csv-semicolon":
        survey.to_csv(path, index=False, sep=";", decimal=",", encoding="cp1252")
    elif how == "xlsx":
        survey.to_excel(path, index=False)
    else:
        survey.to_parquet(path, index=False)


@pytest.mark.parametrize(
    ("how", "suffix"),
    [("csv", ".csv"), ("csv-semicolon", ".csv"), ("xlsx", ".xlsx"), ("parquet", ".parquet")],
)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(survey=valid_surveys())
def test_valid_surveys_round_trip(tmp_path, how, suffix, survey):
    path = tmp_path / f"survey{suffix}"
    _write(survey, path, how)
    pd.testing.assert_frame_equal(read_survey(path), survey)


# --------------------------------------------------------------------------------------------
# the report behind the ``validate`` command


def test_validation_report_success(tmp_path):
    path = tmp_path / "survey.csv"
    small_survey().assign(foo=1).to_csv(path, index=False)
    text, ok = validation_report(path)
    assert ok
    assert text == (
        "survey.csv: 4 respondents, 2 CoPs, T1 4 / T2 2, 11 columns recognised, 1 unknown (foo)"
    )


def test_validation_report_problems(tmp_path):
    path = tmp_path / "survey.csv"
    small_survey().assign(gender=["woman", "robot", None, "man"], commitment_1=[1, 2, 7, 0]).to_csv(
        path, index=False
    )
    text, ok = validation_report(path)
    assert not ok
    lines = text.splitlines()
    assert lines[0] == "survey.csv: 3 problems"
    assert lines[1].split() == ["column", "row", "value", "problem"]
    assert lines[2].split()[:3] == ["gender", "2", "'robot'"]
    assert "commitment_1" in lines[3] and "'7'" in lines[3] and "out of range" in lines[3]
    assert "Traceback" not in text


def test_validation_report_unreadable_file_raises(tmp_path):
    with pytest.raises(DataFormatError):
        validation_report(tmp_path / "missing.csv")


def test_summary_and_problem_table_helpers():
    survey = validate(small_survey().drop(columns=["responded_t2"]).assign(platform=None))
    assert summarize(survey, "x.parquet") == (
        "x.parquet: 4 respondents, 2 CoPs, T1 4 / T2 n/a, 10 columns recognised, 0 unknown, "
        "1 empty (platform)"
    )
    table = pd.DataFrame(
        {
            "column": ["cop_id"],
            "row": [None],
            "value": [None],
            "problem": ["column is entirely empty"],
        }
    )
    assert problems_table(table).splitlines()[1].split() == [
        "cop_id",
        "column",
        "is",
        "entirely",
        "empty",
    ]


# --------------------------------------------------------------------------------------------
# raw tables: header rows of survey tools, and the lines problems stand on


QUALTRICS = (
    "StartDate,ResponseId,Q1,Q2_1,Q2_2\n"
    'Start Date,Response ID,Community of practice identifier,"How important is each\n'
    'objective? - Value innovation","How important is each objective? - Favor learning"\n'
    '"{""ImportId"":""startDate"",""timeZone"":""America/Toronto""}","{""ImportId"":'
    '""_recordId""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2_1""}",'
    '"{""ImportId"":""QID2_2""}"\n'
    "2024-03-01,R_1,A,Very important,Important\n"
    "2024-03-02,R_2,A,Slightly important,Very important\n"
)


def test_read_table_qualtrics_three_header_rows(tmp_path):
    from copfactors.io import read_table

    table = read_table(write(tmp_path / "q.csv", QUALTRICS))
    assert list(table.columns) == [
        "StartDate",
        "ResponseId",
        "Q1 - Community of practice identifier",
        "Q2_1 - How important is each objective? - Value innovation",
        "Q2_2 - How important is each objective? - Favor learning",
    ]
    assert table.attrs["header_rows"] == 3
    assert table.attrs["first_data_line"] == 5  # a header cell spans two lines
    assert table.attrs["source"] == str(tmp_path / "q.csv")
    assert table.iloc[:, 3].tolist() == ["Very important", "Slightly important"]


def test_read_table_surveymonkey_two_header_rows_and_comments(tmp_path):
    from copfactors.io import read_table

    text = (
        "# exported 2024-03-04\n\n"
        "Respondent ID,Gender,How important is it?,,Gender\n"
        ",Response,Value innovation,Favor learning,Response\n"
        "1,Woman,Important,Very important,x\n"
    )
    table = read_table(write(tmp_path / "m.csv", text))
    assert list(table.columns) == [
        "Respondent ID",
        "Gender - Response",
        "How important is it? - Value innovation",
        "How important is it? - Favor learning",
        "Gender - Response (2)",
    ]
    assert (table.attrs["header_rows"], table.attrs["first_data_line"]) == (2, 5)
    assert table["Respondent ID"].tolist() == ["1"]  # an id header: read as text
    forced = read_table(tmp_path / "m.csv", header_rows=1)
    assert forced.attrs["first_data_line"] == 4 and len(forced) == 2
    assert list(forced.columns)[2:4] == ["How important is it?", "Unnamed 4"]


def test_read_table_plain_file_and_other_formats(tmp_path):
    from copfactors.errors import ParameterError
    from copfactors.io import read_table

    table = read_table(write(tmp_path / "s.csv", "#note\nrespondent_id,cop_id\n007,A\n"))
    assert table["respondent_id"].tolist() == ["007"]
    assert (table.attrs["header_rows"], table.attrs["first_data_line"]) == (1, 3)
    path = tmp_path / "s.parquet"
    small_survey().to_parquet(path)
    table = read_table(path)
    assert (table.attrs["header_rows"], table.attrs["first_data_line"]) == (1, None)
    with pytest.raises(ParameterError, match=r"header_rows=2 applies to CSV and Excel files only"):
        read_table(path, header_rows=2)
    for bad in (0, "2", True):
        with pytest.raises(ParameterError, match="header_rows must be a whole number"):
            read_table(tmp_path / "s.csv", header_rows=bad)
    with pytest.raises(ParameterError, match=r'decimal="," applies to CSV files only'):
        read_table(path, decimal=",")


def test_read_table_excel_rows_above_the_header(tmp_path):
    import openpyxl

    from copfactors.io import read_table

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([])
    sheet.append(["Respondent ID", "How important is it?", None])
    sheet.append([None, "Value innovation", "Favor learning"])
    sheet.append([11, "Important", "Very important"])
    sheet.append([12, "Important", None])
    book.save(tmp_path / "m.xlsx")
    table = read_table(tmp_path / "m.xlsx")
    assert list(table.columns) == [
        "Respondent ID",
        "How important is it? - Value innovation",
        "How important is it? - Favor learning",
    ]
    assert (table.attrs["header_rows"], table.attrs["first_data_line"]) == (2, 4)
    assert table["Respondent ID"].tolist() == ["11", "12"]


def test_problems_name_the_line_of_the_file(tmp_path):
    text = "# note\nrespondent_id,cop_id,imp_quality\n1,A,4\n2,A,7\n"
    with pytest.raises(SchemaError) as info:
        read_survey(write(tmp_path / "s.csv", text))
    problems = info.value.problems
    assert problems[["column", "row", "line"]].values.tolist() == [["imp_quality", 2, 4]]
    assert "column 'imp_quality', row 2 (line 4), value '7'" in str(info.value)
    # a quoted cell over two lines moves the lines of the rows after it
    text = 'respondent_id,cop_id,platform,imp_quality\n1,A,"two\nlines",4\n2,A,x,9\n'
    with pytest.raises(SchemaError) as info:
        read_survey(write(tmp_path / "q.csv", text))
    assert info.value.problems[["row", "line"]].values.tolist() == [[2, 4]]


def test_problems_name_the_sheet_row_or_no_line(tmp_path):
    frame = small_survey().assign(commitment_1=[5, 9, None, 1])
    frame.to_excel(tmp_path / "s.xlsx", index=False)
    with pytest.raises(SchemaError) as info:
        read_survey(tmp_path / "s.xlsx")
    assert info.value.problems[["row", "line"]].values.tolist() == [[2, 3]]
    assert "row 2 (sheet row 3)" in str(info.value)
    frame.to_parquet(tmp_path / "s.parquet")
    with pytest.raises(SchemaError) as info:
        read_survey(tmp_path / "s.parquet")
    assert info.value.problems[["row", "line"]].values.tolist() == [[2, None]]
    assert "row 2, value" in str(info.value)


def test_hints_name_only_options_of_the_file_type(tmp_path):
    path = write(tmp_path / "s.csv", 'respondent_id,cop_id,hours_per_week\n1,A,"1,5"\n')
    with pytest.raises(SchemaError) as info:
        read_survey(path)
    assert 'read_survey(..., decimal=",")' in info.value.problems.loc[0, "problem"]
    pd.DataFrame({"respondent_id": ["1"], "cop_id": ["A"], "hours_per_week": ["1,5"]}).to_excel(
        tmp_path / "s.xlsx", index=False
    )
    with pytest.raises(SchemaError) as info:
        read_survey(tmp_path / "s.xlsx")
    problem = info.value.problems.loc[0, "problem"]
    assert problem.startswith("decimal comma") and "decimal=" not in problem
    utf16 = write(tmp_path / "u.csv", "respondent_id,cop_id\n1,A\n", "utf-16")
    with pytest.raises(DataFormatError, match=r'read_survey\(\.\.\., encoding="utf-16"\)'):
        read_survey(utf16)
    with pytest.raises(DataFormatError, match=r'delimiter=","\) or read_survey\(\.\.\., delimi'):
        read_survey(write(tmp_path / "odd.csv", "a,b;c\n1,2;3\n"))


def test_an_export_without_a_mapping_is_pointed_to_one(tmp_path):
    with pytest.raises(SchemaError) as info:
        read_survey(write(tmp_path / "q.csv", QUALTRICS))
    assert 'read_survey(..., mapping="mapping.yaml")' in str(info.value)


def test_read_survey_with_a_mapping(tmp_path):
    from copfactors.io import read_table
    from copfactors.mapping import propose_mapping

    path = write(tmp_path / "q.csv", QUALTRICS)
    mapping = propose_mapping(read_table(path))
    survey = read_survey(path, mapping=mapping)
    assert list(survey.columns) == ["respondent_id", "cop_id", "imp_innovation", "imp_learning"]
    assert survey["imp_innovation"].tolist() == [5, 2]
    assert survey.attrs["header_rows"] == 3 and survey.attrs["first_data_line"] == 5
    file = mapping.save(tmp_path / "mapping.yaml")
    out = read_survey(path, mapping=file, missing_codes={"imp_learning": [5]})
    assert out["imp_learning"].tolist() == [4, pd.NA]
    mapping.entry("Q1 - Community of practice identifier").target = "ignore"
    with pytest.raises(SchemaError) as info:
        read_survey(path, mapping=mapping)
    assert info.value.problems["problem"].str.contains("required column is missing").all()
    assert "mapping=" not in str(info.value)  # a mapping was given: no hint to make one


def test_read_table_spss_names_carry_the_question_labels(tmp_path):
    from copfactors.io import read_table
    from copfactors.mapping import propose_mapping

    path = tmp_path / "s.sav"
    frame = pd.DataFrame({"id": ["r1", "r2"], "Q1": ["A", "B"], "Q2": [4.0, 99.0]})
    pyreadstat.write_sav(
        frame,
        str(path),
        column_labels={
            "Q1": "Community of practice identifier",
            "Q2": "Importance at T1: Efficiency",
        },
        missing_ranges={"Q2": [99.0]},
    )
    table = read_table(path)
    assert list(table.columns) == [
        "id",
        "Q1 - Community of practice identifier",
        "Q2 - Importance at T1: Efficiency",
    ]
    survey = read_survey(path, mapping=propose_mapping(table))
    assert survey["imp_efficiency"].tolist() == [4, pd.NA]
    assert survey["respondent_id"].tolist() == ["r1", "r2"]
    assert "column_labels" not in read_survey(path, validate=False).attrs


# --------------------------------------------------------------------------------------------
# hostile files: bounded work, and only copfactors errors

SHEET = "xl/worksheets/sheet1.xml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def small_workbook(path: Path, rows: int = 2) -> Path:
    frame = pd.DataFrame(
        {"respondent_id": [str(i) for i in range(1, rows + 1)], "cop_id": ["A"] * rows}
    )
    frame.to_excel(path, index=False)
    return path


def rewrite_zip(path: Path, change=None, add: dict[str, bytes] | None = None) -> Path:
    """Rewrite a workbook's parts: ``change(name, data)`` returns the new data of a part."""
    with zipfile.ZipFile(path) as old:
        parts = [(info.filename, old.read(info.filename)) for info in old.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for name, data in parts:
            new.writestr(name, change(name, data) if change else data)
        for name, data in (add or {}).items():
            new.writestr(name, data)
    return path


def add_to_sheet(rows_xml: bytes, dimension: bytes | None = None):
    def change(name: str, data: bytes) -> bytes:
        if name != SHEET:
            return data
        data = data.replace(b"</sheetData>", rows_xml + b"</sheetData>")
        if dimension is not None:
            data = re.sub(
                rb'<dimension ref="[^"]*"/>', b'<dimension ref="' + dimension + b'"/>', data
            )
        return data

    return change


def test_xlsx_cell_far_from_the_table_is_refused_before_reading(tmp_path):
    # 5 KB on disk; pandas would fill 1,048,576 rows of 16,384 cells
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    path = rewrite_zip(small_workbook(tmp_path / "bomb.xlsx"), add_to_sheet(far, b"A1:XFD1048576"))
    assert path.stat().st_size < 10_000
    for read in (read_survey, read_table):
        with pytest.raises(DataFormatError) as info:
            read(path)
        message = str(info.value)
        assert "bomb.xlsx: part 'xl/worksheets/sheet1.xml'" in message
        assert "row 1_048_576 and column 16_384 (XFD)" in message
        assert "more than the 10_000_000 allowed" in message
        assert "limits=ReadLimits(max_cells=17_179_869_184)" in message


def test_xlsx_rows_without_cells_and_cells_without_references_count(tmp_path):
    # no r attributes: openpyxl numbers rows and cells one after the other
    rows = b"<row/>" * 300 + b"<row>" + b"<c/>" * 39 + b"<c><v>7</v></c></row>"
    path = rewrite_zip(small_workbook(tmp_path / "implicit.xlsx"), add_to_sheet(rows))
    with pytest.raises(DataFormatError, match=r"reaches row 304 and column 33 \(AG\) at least"):
        read_table(path, limits=ReadLimits(max_cells=10_000))
    table = read_table(path, limits=ReadLimits(max_cells=304 * 40))
    assert table.shape == (303, 3) and table.iloc[-1, -1] == 7


def test_xlsx_larger_legitimate_sheet_reads_when_the_limit_is_raised(tmp_path):
    path = small_workbook(tmp_path / "large.xlsx", rows=300)  # 301 rows of 2 columns
    with pytest.raises(DataFormatError, match=r"cells once read, more than the 500 allowed"):
        read_survey(path, limits=ReadLimits(max_cells=500))
    assert len(read_survey(path, limits=ReadLimits(max_cells=602))) == 300
    assert len(read_survey(path)) == 300


def test_xlsx_compression_ratio_and_unpacked_size(tmp_path):
    filler = b'<?xml version="1.0"?><root>' + b"<a/>" * 500_000 + b"</root>"  # 2 MB of XML
    path = rewrite_zip(small_workbook(tmp_path / "ratio.xlsx"), add={"customXml/item1.xml": filler})
    assert path.stat().st_size < 20_000
    with pytest.raises(DataFormatError) as info:
        read_survey(path)
    message = str(info.value)
    assert "ratio.xlsx: part 'customXml/item1.xml' of the workbook unpacks" in message
    assert "more than the 100 allowed" in message and "max_compression_ratio=" in message
    high_ratio = ReadLimits(max_compression_ratio=1e6)
    assert len(read_survey(path, limits=high_ratio)) == 2
    with pytest.raises(DataFormatError, match=r"unpacks to [\d_]+ bytes, more than the 1_000_000"):
        read_survey(path, limits=ReadLimits(max_compression_ratio=1e6, max_unpacked_bytes=10**6))


def shared_strings_workbook(path: Path, entries: int) -> Path:
    """A workbook whose cells are shared strings, as Excel writes them (the entries past the
    first four all alike, so that they compress as a bomb does)."""
    small_workbook(path)
    texts = ["respondent_id", "cop_id", "1", "A"] + ["t"] * (entries - 4)
    sst = (
        f'<sst xmlns="{MAIN_NS}" count="{entries}" uniqueCount="{entries}">'.encode()
        + b"".join(f"<si><t>{t}</t></si>".encode() for t in texts)
        + b"</sst>"
    )

    def change(name: str, data: bytes) -> bytes:
        if name == SHEET:
            for i, ref in enumerate((b"A1", b"B1", b"A2", b"B2")):
                data = re.sub(
                    rb'<c r="' + ref + rb'"[^>]*>.*?</c>',
                    b'<c r="' + ref + b'" t="s"><v>' + str(i).encode() + b"</v></c>",
                    data,
                )
        elif name == "[Content_Types].xml":
            data = data.replace(
                b"</Types>",
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
            )
        elif name == "xl/_rels/workbook.xml.rels":
            data = data.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/'
                b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                b"</Relationships>",
            )
        return data

    return rewrite_zip(path, change, add={"xl/sharedStrings.xml": sst})


def test_xlsx_shared_strings_are_counted(tmp_path):
    path = shared_strings_workbook(tmp_path / "strings.xlsx", 30)
    assert read_survey(path)["cop_id"].tolist() == ["A", "A"]
    with pytest.raises(DataFormatError) as info:
        read_survey(path, limits=ReadLimits(max_shared_strings=20))
    message = str(info.value)
    assert "strings.xlsx: part 'xl/sharedStrings.xml' of the workbook" in message
    assert "more than 20 entries" in message and "max_shared_strings=" in message
    # a bomb: 300,000 tiny entries in a few kilobytes (the declared count is not trusted)
    bomb = shared_strings_workbook(tmp_path / "sst_bomb.xlsx", 300_000)
    assert bomb.stat().st_size < 50_000
    with pytest.raises(DataFormatError, match="sharedStrings.xml' of the workbook unpacks"):
        read_survey(bomb)
    with pytest.raises(DataFormatError, match="more than 200_000 entries"):
        read_survey(bomb, limits=ReadLimits(max_compression_ratio=1e6, max_shared_strings=200_000))


def test_xlsx_corrupt_compressed_part(tmp_path):
    path = small_workbook(tmp_path / "deflate.xlsx", rows=200)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(SHEET)
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    data[middle : middle + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))
    for read in (read_survey, read_table):
        with pytest.raises(
            DataFormatError, match=r"deflate\.xlsx: part 'xl/worksheets/sheet1\.xml"
        ):
            read(path)


def test_xlsx_numbers_too_large_for_a_float(tmp_path):
    huge = "9" * 400

    def put_huge(name: str, data: bytes) -> bytes:
        if name != SHEET:
            return data
        return re.sub(rb'<c r="C3"[^>]*>.*?</c>', f'<c r="C3"><v>{huge}</v></c>'.encode(), data)

    path = tmp_path / "huge.xlsx"
    pd.DataFrame(
        {"respondent_id": ["1", "2"], "cop_id": ["A", "A"], "imp_quality": [3, 4]}
    ).to_excel(path, index=False)
    rewrite_zip(path, put_huge)
    for read in (read_survey, read_table):
        with pytest.raises(DataFormatError) as info:
            read(path)
        message = str(info.value)
        assert "huge.xlsx: sheet 0, column 'imp_quality', sheet row 3: the number 9999" in message
        assert "(400 digits) is too large" in message and len(message) < 300
    with pytest.raises(DataFormatError, match="column 'imp_quality', sheet row 3"):
        read_survey(path, missing_codes=[9])
    # in an id column, a long number is its digits
    ids = tmp_path / "ids.xlsx"
    pd.DataFrame({"respondent_id": [1, 2], "cop_id": ["A", "A"]}).to_excel(ids, index=False)
    rewrite_zip(
        ids,
        lambda name, data: (
            data
            if name != SHEET
            else re.sub(rb'<c r="A3"[^>]*>.*?</c>', f'<c r="A3"><v>{huge}</v></c>'.encode(), data)
        ),
    )
    assert read_survey(ids)["respondent_id"].tolist() == ["1", huge]


def test_csv_cr_only_line_endings(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(b"# exported\rrespondent_id,cop_id,imp_quality\r1,A,3\r2,A,9\r")
    with pytest.raises(SchemaError) as info:
        read_survey(path)
    assert info.value.problems[["column", "row", "line"]].values.tolist() == [["imp_quality", 2, 4]]
    assert read_table(path)["imp_quality"].tolist() == [3, 9]


def test_csv_long_header_and_fields(tmp_path):
    # a header line beyond the csv module's default 131,072 characters, of 2,001 columns
    names = [f"Q{i} - " + "how much do you agree " * 4 for i in range(2_000)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(["respondent_id", *names]) + "\n1," + "3," * 1_999 + "3\n")
    assert len(path.read_text().splitlines()[0]) > 150_000
    assert read_table(path).columns[-1] == names[-1].strip()
    # one column name of 200,000 characters is no survey's header
    named = tmp_path / "named.csv"
    named.write_text("# note\nrespondent_id,cop_id," + "x" * 200_000 + "\n1,A,3\n")
    for read in (read_survey, read_table):
        with pytest.raises(DataFormatError) as info:
            read(named)
        message = str(info.value)
        assert "named.csv, line 2: the name of column 3 is 200_000 characters long" in message
        assert len(message) < 400
    field = tmp_path / "field.csv"
    field.write_text("respondent_id,cop_id,professional_category\n1,A,ok\n2,A," + "y" * 300 + "\n")
    for read in (read_survey, read_table):
        with pytest.raises(DataFormatError) as info:
            read(field, limits=ReadLimits(max_field_chars=100))
        message = str(info.value)
        assert "field.csv, line 3: a field is longer than 100 characters" in message
        assert "limits=ReadLimits(max_field_chars=" in message
    assert len(read_survey(field, limits=ReadLimits(max_field_chars=300))) == 2
    with pytest.raises(DataFormatError, match=r"wide\.csv, line 1: a field is longer than 50 "):
        read_table(path, limits=ReadLimits(max_field_chars=50))


def test_csv_numbers_too_large_are_problems_of_their_row(tmp_path):
    path = write(
        tmp_path / "s.csv", "respondent_id,cop_id,imp_quality\n1,A,3\n2,A,99999999999999999999999\n"
    )
    with pytest.raises(SchemaError) as info:
        read_survey(path, missing_codes=[99999999999999999999999.0, 9])
    assert info.value.problems[["column", "row", "line"]].values.tolist() == [["imp_quality", 2, 3]]


def test_csv_numbers_of_thousands_of_digits_are_refused(tmp_path):
    lines = ["respondent_id,cop_id,imp_quality,leader_changes,voluntary"]
    lines += ["1,A,3,0,yes", '2,A,"4\n",0,yes', f"3,A,3,{'9' * 5_000},no"]
    path = write(tmp_path / "digits.csv", "\n".join(lines) + "\n")
    with pytest.raises(DataFormatError) as info:
        read_survey(path)
    message = str(info.value)
    assert "digits.csv: column 'leader_changes', row 3 (line 5): the number 9999" in message
    assert "has 5_000 digits" in message and len(message) < 300
    for column in ("imp_quality", "voluntary"):
        # a text cell beside keeps the column as text (else pandas reads a float)
        values = ["x", "7" * 400]
        frame = pd.DataFrame({"respondent_id": ["1", "2"], "cop_id": ["A", "A"], column: values})
        frame.to_csv(tmp_path / "one.csv", index=False)
        with pytest.raises(DataFormatError, match=f"column '{column}', row 2 \\(line 3\\)"):
            read_survey(tmp_path / "one.csv")
    assert read_survey(path, validate=False).shape == (3, 5)


def invalid_utf8_parquet(path: Path) -> Path:
    text = pa.Array.from_buffers(
        pa.string(),
        2,
        [None, pa.py_buffer(np.array([0, 1, 3], np.int32).tobytes()), pa.py_buffer(b"1\xff2")],
    )
    pq.write_table(pa.table({"respondent_id": text, "cop_id": pa.array(["A", "B"])}), path)
    return path


def test_parquet_invalid_utf8_truncated_and_too_large(tmp_path):
    path = invalid_utf8_parquet(tmp_path / "bad.parquet")
    for read in (read_survey, read_table):
        with pytest.raises(DataFormatError) as info:
            read(path)
        assert "bad.parquet: column 'respondent_id', row 2, value b'\\xff2'" in str(info.value)
        assert "not valid UTF-8" in str(info.value)
    good = tmp_path / "good.parquet"
    small_survey().to_parquet(good)
    for cut in (len(good.read_bytes()) // 2, len(good.read_bytes()) - 3, 10):
        short = tmp_path / f"short{cut}.parquet"
        short.write_bytes(good.read_bytes()[:cut])
        with pytest.raises(
            DataFormatError, match=rf"short{cut}\.parquet: cannot read as a Parquet"
        ):
            read_survey(short)
    with pytest.raises(DataFormatError, match=r"declares 4 rows of 11 columns, 44 cells, more"):
        read_survey(good, limits=ReadLimits(max_cells=40))
    assert len(read_survey(good, limits=ReadLimits(max_cells=44))) == 4


def test_spss_truncated_and_too_large(tmp_path):
    good = write_spss(tmp_path / "s.sav")
    data = good.read_bytes()
    for cut in (len(data) // 2, len(data) - 5, 8):
        short = tmp_path / f"short{cut}.sav"
        short.write_bytes(data[:cut])
        with pytest.raises(DataFormatError, match=rf"short{cut}\.sav: cannot read as an SPSS file"):
            read_survey(short)
    with pytest.raises(DataFormatError, match=r"declares 5 rows of 10 columns, 50 cells, more"):
        read_survey(good, limits=ReadLimits(max_cells=49))
    assert len(read_survey(good, limits=ReadLimits(max_cells=50))) == 5


def test_read_limits_are_checked():
    with pytest.raises(ParameterError, match=r"ReadLimits\(max_cells=0\): expected a whole"):
        ReadLimits(max_cells=0)
    with pytest.raises(ParameterTypeError, match="max_field_chars='big'"):
        ReadLimits(max_field_chars="big")
    with pytest.raises(ParameterError, match="max_compression_ratio=0.5"):
        ReadLimits(max_compression_ratio=0.5)
    with pytest.raises(ParameterTypeError, match="limits must be a copfactors.io.ReadLimits"):
        read_table("survey.csv", limits={"max_cells": 10})
