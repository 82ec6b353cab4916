"""copfactors.instrument: the survey instrument written from the codebook."""

from __future__ import annotations

import io
import math
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from copfactors import instrument as qmod
from copfactors.datasets import load_example_survey
from copfactors.errors import ParameterError
from copfactors.instrument import (
    FORMATS,
    LANGUAGES,
    QUESTIONNAIRE_COLUMNS,
    RESPONDENT_ROLES,
    questionnaire,
    questionnaire_table,
)
from copfactors.schema import (
    CODEBOOK,
    FALSE_WORDS,
    OBJECTIVE_LABELS,
    OBJECTIVE_LABELS_FR,
    OBJECTIVES,
    TRUE_WORDS,
    validate,
)

ASKED = [v.name for v in CODEBOOK if v.role in RESPONDENT_ROLES]
IDS = [v.name for v in CODEBOOK.by_role("id")]
NOT_ASKED = [v.name for v in CODEBOOK if v.role in ("wave", "cop")]


def _pairs(answers: str) -> dict[str, str]:
    """``"1 = a | 2 = b"`` as ``{"1": "a", "2": "b"}``."""
    out = {}
    for part in answers.split(" | "):
        value, label = part.split(" = ", 1)
        out[value] = label
    return out


# ---------------------------------------------------------------------------------------------
# the items
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_respondent_item_appears_once_with_its_code(lang):
    table = questionnaire_table(lang)
    assert tuple(table.columns) == QUESTIONNAIRE_COLUMNS
    assert table["code"].tolist() == IDS + ASKED
    assert table["code"].is_unique
    assert not set(NOT_ASKED) & set(table["code"])
    assert len(table) == 2 + 5 + 12 + 15 + 15


@pytest.mark.parametrize("lang", LANGUAGES)
def test_waves_and_sections(lang):
    table = questionnaire_table(lang).set_index("code")
    assert (table.loc[IDS, "wave"] == "T1, T2").all()
    t1 = [v.name for v in CODEBOOK if v.role in ("demographic", "driver", "importance")]
    assert (table.loc[t1, "wave"] == "T1").all()
    assert (table.loc[[f"att_{o}" for o in OBJECTIVES], "wave"] == "T2").all()
    sections = table["section"].unique().tolist()
    assert len(sections) == 5  # study, demographics, drivers, importance, attainment
    for role in RESPONDENT_ROLES:
        names = [v.name for v in CODEBOOK.by_role(role)]
        assert table.loc[names, "section"].nunique() == 1, role


@pytest.mark.parametrize("lang", LANGUAGES)
def test_answers_are_the_codebook_anchors_labels_and_words(lang):
    table = questionnaire_table(lang).set_index("code")
    for name in ASKED:
        var = CODEBOOK[name]
        answers = table.loc[name, "answers"]
        if var.type == "likert":
            assert _pairs(answers) == {str(k): v for k, v in var.anchors(lang).items()}, name
        elif var.type == "category":
            assert _pairs(answers) == var.category_labels(lang), name
        elif var.type == "boolean":
            pairs = _pairs(answers)
            assert set(pairs) == {"true", "false"}
            assert pairs["true"] in TRUE_WORDS and pairs["false"] in FALSE_WORDS
        else:
            assert " = " not in answers and answers, name
    assert (
        _pairs(table.loc["imp_learning", "answers"])["5"]
        == CODEBOOK["imp_learning"].anchors(lang)[5]
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_questions_and_headers_follow_the_codebook_labels(lang):
    table = questionnaire_table(lang).set_index("code")
    labels = OBJECTIVE_LABELS if lang == "en" else OBJECTIVE_LABELS_FR
    assert table["header"].is_unique
    for name in ASKED:
        var = CODEBOOK[name]
        label = var.label_en if lang == "en" else var.label_fr
        header = table.loc[name, "header"]
        if var.role in ("importance", "attainment"):
            objective = labels[name.split("_", 1)[1]]
            assert table.loc[name, "question"] == objective
            stem, item = re.fullmatch(r"(.+) \[(.+)\]", header).groups()
            assert item == objective
            assert label.startswith(stem) and label.endswith(objective)
            assert label[len(stem) : -len(objective)].strip() == ":"
        else:
            assert table.loc[name, "question"] == label
            assert header == label
    for name in IDS:
        assert table.loc[name, "header"] == name


def test_english_and_french_differ_where_the_codebook_does():
    en = questionnaire_table("en").set_index("code")
    fr = questionnaire_table("fr").set_index("code")
    assert en.loc["imp_learning", "header"] == "Importance at T1 [Favor learning]"
    assert fr.loc["imp_learning", "header"] == "Importance au T1 [Favoriser l'apprentissage]"
    assert en.loc["att_learning", "header"] == "Attainment at T2 [Favor learning]"
    assert fr.loc["att_learning", "header"] == "Atteinte au T2 [Favoriser l'apprentissage]"
    assert fr.loc["voluntary", "answers"] == "true = oui | false = non"
    assert en.loc["voluntary", "answers"] == "true = yes | false = no"
    assert fr.loc["gender", "answers"] == "woman = Femme | man = Homme"
    assert (en["section"] != fr["section"]).all()
    assert questionnaire("en") != questionnaire("fr")
    assert "Vague T2" in questionnaire("fr") and "Wave T2" in questionnaire("en")


# ---------------------------------------------------------------------------------------------
# the three forms
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGUAGES)
def test_csv_parses_with_pandas_and_equals_the_table(lang):
    text = questionnaire(lang, format="csv")
    assert text.endswith("\n") and "\r" not in text
    parsed = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    expected = questionnaire_table(lang)
    assert parsed.columns.tolist() == list(QUESTIONNAIRE_COLUMNS)
    pd.testing.assert_frame_equal(parsed, expected.astype(str))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_markdown_lists_every_item_once(lang):
    text = questionnaire(lang, format="md")
    assert text.startswith("# ")
    for name in IDS + ASKED:
        assert len(re.findall(rf"^\| `{name}` \|", text, flags=re.M)) == 1, name
    for name in NOT_ASKED:
        assert name in text  # named in the note, not asked
        assert f"| `{name}` |" not in text
    table = questionnaire_table(lang)
    for header in table["header"]:
        assert f"`{header}`" in text


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.chunks.append(data)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_html_is_a_self_contained_escaped_page(lang):
    page = questionnaire(lang, format="html")
    assert page.startswith("<!DOCTYPE html>")
    assert f'<html lang="{lang}">' in page and '<meta charset="utf-8">' in page
    for bad in ("<script", "<link", "src=", "http://", "https://", "@import", "url("):
        assert bad not in page
    parser = _Text()
    parser.feed(page)
    text = "\n".join(parser.chunks)
    table = questionnaire_table(lang)
    for rec in table.itertuples(index=False):
        assert rec.code in text
        assert rec.question in text
        assert rec.header in text
    # apostrophes of the codebook are escaped in the source and restored by a parser
    assert "&#x27;" in page
    assert "'" not in re.sub(r"<[^>]*>", "", page)


def test_html_escapes_markup(monkeypatch):
    monkeypatch.setitem(qmod._TEXT["en"], "title", "<b>CoPs</b> & <script>x</script>")
    page = questionnaire("en", format="html")
    assert "&lt;b&gt;CoPs&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;" in page
    assert "<script>" not in page and "<b>" not in page


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lang": "de"}, "lang must be one of"),
        ({"lang": None}, "lang must be one of"),
        ({"format": "pdf"}, "format must be one of"),
        ({"format": "CSV"}, "format must be one of"),
    ],
)
def test_bad_lang_or_format_raise(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        questionnaire(**kwargs)


def test_bad_lang_of_the_table_raises():
    with pytest.raises(ParameterError, match="lang must be one of"):
        questionnaire_table("EN")
    assert FORMATS == ("md", "html", "csv")


# ---------------------------------------------------------------------------------------------
# an export made with the instrument holds everything the codebook needs
# ---------------------------------------------------------------------------------------------
def _as_export(survey: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The survey as a survey tool would export it: header texts and answer labels."""
    table = questionnaire_table(lang).set_index("code")
    export = {}
    for code, rec in table.iterrows():
        values = survey[code].astype(object)
        var = CODEBOOK[code]
        if var.type in ("likert", "category", "boolean"):
            pairs = _pairs(rec["answers"])
            values = values.map(
                lambda v, pairs=pairs: (
                    None
                    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
                    else pairs[str(v).lower()]
                )
            )
        export[rec["header"]] = values.tolist()
    return pd.DataFrame(export), table


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_export_with_the_headers_and_labels_recodes_to_the_survey(lang):
    survey = load_example_survey()
    export, table = _as_export(survey, lang)
    # what a mapping does: headers to codes, answer labels to values, from the instrument alone
    code_of = {rec["header"]: code for code, rec in table.iterrows()}
    recoded = {}
    for header in export.columns:
        code = code_of[header]
        var = CODEBOOK[code]
        column = export[header]
        if var.type in ("likert", "category", "boolean"):
            value_of = {label: value for value, label in _pairs(table.loc[code, "answers"]).items()}
            column = column.map(value_of.get)
        recoded[code] = column
    back = validate(pd.DataFrame(recoded))
    expected = survey[list(table.index)]
    for code in table.index:
        pd.testing.assert_series_equal(
            back[code].reset_index(drop=True),
            expected[code].reset_index(drop=True),
            check_names=False,
        )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_propose_mapping_reads_an_export_made_with_the_instrument(lang):
    from copfactors.mapping import propose_mapping

    survey = load_example_survey()
    export, table = _as_export(survey, lang)
    code_of = {rec["header"]: code for code, rec in table.iterrows()}
    mapping = propose_mapping(export)
    assert [e.source for e in mapping.entries] == list(export.columns)
    for entry in mapping.entries:
        assert entry.target == code_of[entry.source], (entry.source, entry.target, entry.note)
        assert not entry.review, entry.source
    assert mapping.unrecognised_values == {}
    back = validate(mapping.apply(export))
    for code in table.index:
        pd.testing.assert_series_equal(
            back[code].reset_index(drop=True),
            survey[code].reset_index(drop=True),
            check_names=False,
        )
