"""copfactors.wordtables: the report's tables in one Word document, in APA style.

The document is read back with python-docx and held against each table's HTML rendering (read
here with regular expressions, independently of the module's own reader) and its CSV frame.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from copfactors.datasets import load_example_survey
from copfactors.errors import ParameterError
from copfactors.htmlreport import ReportTable
from copfactors.pipeline import run_analysis, write_report
from copfactors.wordtables import DOCX_FILE, FIXED_TIME, report_docx, tables_docx
from report_helpers import example_bundle, example_result

TITLE = "What drives the attainment of CoP objectives: the report's tables"

#: tables whose header is the CSV's columns as they are (the others relabel or select columns)
AS_IN_THE_CSV = ("gender_comparison", "ordinal_effects", "drivers")


@dataclass
class Html:
    """A table as the HTML report shows it."""

    caption: str
    facts: list[tuple[str, str]]
    columns: list[str]
    right: list[bool]
    rows: list[list[str]]
    notes: list[str]


def read_html(text: str) -> Html:
    def part(tag: str) -> str:
        found = re.search(rf"<{tag}>(.*?)</{tag}>", text, re.S)
        return found.group(1) if found else ""

    head = part("thead")
    facts = re.findall(
        r'<tr class="header-fact"><th[^>]*>(.*?)</th><td[^>]*>(.*?)</td></tr>', head, re.S
    )
    header = re.findall(r"<tr>(.*?)</tr>", head, re.S)[-1]
    rows = [
        [html.unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", part("tbody"), re.S)
    ]
    return Html(
        caption=html.unescape(part("caption")),
        facts=[(html.unescape(k), html.unescape(v)) for k, v in facts],
        columns=[html.unescape(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", header, re.S)],
        right=["text-align:right" in a for a in re.findall(r"<th([^>]*)>", header)],
        rows=rows,
        notes=[html.unescape(n) for n in re.findall(r"<td[^>]*>Note: (.*?)</td>", part("tfoot"))],
    )


def blocks(doc) -> list[Paragraph | Table]:
    """The paragraphs and tables of a document's body, in order."""
    out: list[Paragraph | Table] = []
    for child in doc.element.body.iterchildren():
        if child.tag == qn("w:p"):
            out.append(Paragraph(child, doc._body))
        elif child.tag == qn("w:tbl"):
            out.append(Table(child, doc._body))
    return out


def placed(doc) -> list[tuple[Paragraph, Paragraph, Table, Paragraph | None]]:
    """Each table with the two paragraphs above it and the one below it."""
    items = blocks(doc)
    out = []
    for i, item in enumerate(items):
        if isinstance(item, Table):
            below = items[i + 1] if i + 1 < len(items) else None
            out.append((items[i - 2], items[i - 1], item, below))
    return out


def cell_texts(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


@pytest.fixture(scope="module")
def bundle():
    return example_bundle()


@pytest.fixture(scope="module")
def data(bundle) -> bytes:
    return report_docx(example_result(), bundle.tables.values())


@pytest.fixture(scope="module")
def doc(data):
    return Document(io.BytesIO(data))


@pytest.fixture(scope="module")
def report(bundle) -> list[tuple[str, ReportTable, Html]]:
    return [(name, t, read_html(t.html)) for name, t in bundle.tables.items()]


def test_one_word_table_per_report_table_in_order(doc, report):
    assert len(report) >= 10
    found = placed(doc)
    assert len(doc.tables) == len(found) == len(report)
    for number, ((label, title, _, _), (name, table, shown)) in enumerate(
        zip(found, report, strict=True), start=1
    ):
        assert label.text == f"Table {number}", name
        assert [r.bold for r in label.runs] == [True], name
        assert title.text == (shown.caption or table.title), name
        assert title.runs and all(r.italic for r in title.runs), name


def test_header_and_cells_are_the_reports(doc, report):
    for word, (name, table, shown) in zip(doc.tables, report, strict=True):
        texts = cell_texts(word)
        assert texts[0] == shown.columns, name
        assert texts[1:] == shown.rows, name
        if name in AS_IN_THE_CSV:
            assert texts[0] == [str(c) for c in table.frame.columns], name
            assert len(texts) - 1 == len(table.frame), name


def test_numbers_are_the_csvs(doc, report):
    names = [name for name, _, _ in report]
    for name, columns in {
        "ordinal_effects": ["value", "probability", "expected", "expected_low"],
        "ordinal_model": ["coef", "se", "ci_low", "odds_ratio"],
        "data_cops": ["T1", "T2", "women", "men"],
    }.items():
        word = cell_texts(doc.tables[names.index(name)])
        frame = dict(zip(names, report, strict=True))[name][1].frame
        csv_columns = {"T1": "t1", "T2": "t2"}
        for column in columns:
            j = word[0].index(column)
            values = frame[csv_columns.get(column, column)].tolist()
            cells = [row[j] for row in word[1:]]
            assert [c == "" for c in cells] == [v != v for v in values], (name, column)
            present = [(float(c), v) for c, v in zip(cells, values, strict=True) if c]
            assert len(present) >= 2, (name, column)
            shown, expected = zip(*present, strict=True)
            assert shown == pytest.approx(expected, abs=5e-4, rel=5e-3), (name, column)


def test_notes_are_below_each_table(doc, report):
    for (_, _, _, below), (name, _, shown) in zip(placed(doc), report, strict=True):
        assert below is not None and below.text.startswith("Note. SIMULATED data."), name
        first = below.runs[0]
        assert first.text == "Note." and first.italic, name
        assert not any(r.italic for r in below.runs[1:]), name
        for note in shown.notes:
            assert note in below.text, (name, note)
        for key, value in shown.facts:
            assert f"{key}: {value}" in below.text, (name, key)


def test_header_row_bold_and_numbers_right_aligned(doc, report):
    for word, (name, _, shown) in zip(doc.tables, report, strict=True):
        assert any(shown.right) or name in ("table1_replication", "table1_audit", "claims")
        for i, row in enumerate(word.rows):
            for cell, right in zip(row.cells, shown.right, strict=True):
                paragraph = cell.paragraphs[0]
                expected = WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT
                assert paragraph.alignment == expected, (name, i, cell.text)
                assert all(bool(r.bold) == (i == 0) for r in paragraph.runs), (name, i)
                assert all(r.font.size.pt >= 8 for r in paragraph.runs), name
        # the header row repeats on each page of a long table
        assert word.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None, name


def _edges(borders) -> dict[str, str]:
    return {} if borders is None else {qn_local(e.tag): e.get(qn("w:val")) for e in borders}


def qn_local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def test_only_three_horizontal_rules(doc, report):
    for word, (name, _, _) in zip(doc.tables, report, strict=True):
        tbl_pr = word._tbl.tblPr
        assert tbl_pr.find(qn("w:tblStyle")) is None, name  # no style bringing its own grid
        table_edges = _edges(tbl_pr.find(qn("w:tblBorders")))
        assert table_edges["top"] == table_edges["bottom"] == "single", name
        for edge in ("left", "right", "insideV", "insideH"):
            assert table_edges.get(edge, "nil") == "nil", (name, edge)
        for i, row in enumerate(word.rows):
            for cell in row.cells:
                tc_pr = cell._tc.tcPr
                edges = _edges(None if tc_pr is None else tc_pr.find(qn("w:tcBorders")))
                for edge in ("left", "right", "start", "end", "insideV"):
                    assert edges.get(edge, "nil") == "nil", (name, i, edge)
                # the rule under the header row, and no other cell border
                assert edges == ({"bottom": "single"} if i == 0 else {}), (name, i)


def _orientations(doc) -> list[WD_ORIENT]:
    """The orientation of each table's page (a section's sectPr closes it)."""
    out: list[WD_ORIENT] = []
    pending = 0
    for child in doc.element.body.iterchildren():
        if child.tag == qn("w:tbl"):
            pending += 1
        sect = (
            child if child.tag == qn("w:sectPr") else child.find(f"{qn('w:pPr')}/{qn('w:sectPr')}")
        )
        if sect is not None:
            size = sect.find(qn("w:pgSz"))
            wide = int(size.get(qn("w:w"))) > int(size.get(qn("w:h")))
            out += [WD_ORIENT.LANDSCAPE if wide else WD_ORIENT.PORTRAIT] * pending
            pending = 0
    return out


def test_wide_tables_get_a_landscape_page_and_every_table_fits(doc, report):
    names = [name for name, _, _ in report]
    orientation = dict(zip(names, _orientations(doc), strict=True))
    assert orientation["gender_comparison"] == WD_ORIENT.LANDSCAPE  # 20 columns
    assert orientation["plans"] == WD_ORIENT.PORTRAIT
    for word, name in zip(doc.tables, names, strict=True):
        room = 9.0 if orientation[name] == WD_ORIENT.LANDSCAPE else 6.5
        widths = [col.width.inches for col in word.columns]
        assert sum(widths) <= room + 0.01, name


def test_first_paragraphs_say_simulated(doc):
    first, second, third = doc.paragraphs[:3]
    assert first.text == f"{TITLE} (SIMULATED data)"
    assert first.runs[0].bold
    assert second.text.startswith("SIMULATED DATA. Every respondent")
    assert all(r.bold for r in second.runs)
    assert example_result().source_label in third.text
    assert doc.core_properties.comments.endswith("(SIMULATED data)")


def test_the_same_tables_give_the_same_bytes(bundle, data):
    again = report_docx(example_result(), bundle.tables.values())
    assert again == data
    doc = Document(io.BytesIO(data))
    assert doc.core_properties.created == doc.core_properties.modified == FIXED_TIME
    assert doc.core_properties.author == "copfactors"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert not [n for n in archive.namelist() if "thumbnail" in n]  # no stale preview
    some = list(bundle.tables.values())[:2]
    dated = tables_docx(some, title="t", created=datetime(2024, 5, 6, 9, 30, tzinfo=UTC))
    created = Document(io.BytesIO(dated)).core_properties.created
    assert created == datetime(2024, 5, 6, 9, 30, tzinfo=UTC)


def test_a_table_that_is_not_a_rendered_table_is_refused(bundle):
    frame = next(iter(bundle.tables.values())).frame
    with pytest.raises(ParameterError, match="no header row"):
        tables_docx([ReportTable("odd", "Odd", frame, "<p>not a table</p>", "")], title="t")


def test_write_report_writes_it_for_a_survey_that_is_not_simulated(tmp_path):
    survey = load_example_survey()
    survey.attrs.clear()  # as a survey read from a file: nothing says it is simulated
    result = run_analysis(survey, source_label="a real survey", simulated=False, steps=["gender"])
    assert not result.simulated
    path = write_report(result, tmp_path / "report")
    page = path.read_text(encoding="utf-8")
    assert '<a href="tables.docx">tables.docx</a>' in page
    doc = Document(path.parent / DOCX_FILE)
    stems = sorted(p.stem for p in path.parent.glob("*.tex"))
    assert len(stems) >= 2 and len(doc.tables) == len(stems)
    assert doc.paragraphs[0].text == TITLE
    texts = [p.text for p in doc.paragraphs] + [
        cell.text for table in doc.tables for row in table.rows for cell in row.cells
    ]
    assert all("SIMULATED" not in t for t in texts)
    assert "a real survey" in doc.paragraphs[1].text
    notes = [below for _, _, _, below in placed(doc) if below is not None]
    assert all(not n.text.startswith("Note. SIMULATED") for n in notes)
