"""The report's tables in one Word document, laid out in APA style.

Most researchers in the field write in Word: :func:`tables_docx` writes every table of the
report (:class:`copfactors.htmlreport.ReportTable`) into one ``.docx`` file, ready to copy into
a manuscript, and :func:`copfactors.pipeline.write_report` saves it as ``tables.docx`` beside
``report.html`` and the CSV and LaTeX files.

Each table is laid out as the APA style asks, on a page of its own: its number ("Table 1") in
bold, its title in italics on the line below, the table, and the notes below it starting with
an italic "*Note.*". The table has no vertical rule and three horizontal ones: above the header
row, under it and under the last row. The header row is bold (and repeated on each page of a
long table), numbers are right-aligned, the text is Times New Roman, 10 pt in tables; a table
too wide for a portrait page gets a smaller font (9 pt), then a landscape page (down to 8 pt).
The header facts of a table (e.g. a model's number of observations) go into its note. A
simulated survey is said to be simulated in the document's first paragraph, in a line of its
own below it, and in the note of every table.

The cells are those of each table's HTML rendering (what the report shows), so the document
shows the same formatted numbers as the report. The file is deterministic: its creation and
modification dates are fixed (:data:`FIXED_TIME` unless given) and so are the time stamps of the
ZIP archive it is stored in, so two runs on the same data write the same bytes.

Examples
--------
>>> import io
>>> import pandas as pd
>>> from docx import Document
>>> from copfactors.htmlreport import ReportTable
>>> from copfactors.report import render_table
>>> frame = pd.DataFrame({"driver": ["commitment", "steward"], "coef": [0.712, -0.25]})
>>> html = render_table(frame, title="Drivers of attainment", style="html", digits=2,
...                     header={"Observations": 95}, notes=["Cumulative logit."])
>>> table = ReportTable("drivers", "Drivers", frame, html, "")
>>> doc = Document(io.BytesIO(tables_docx([table], title="Tables", simulated=True)))
>>> for paragraph in doc.paragraphs:
...     print(paragraph.text[:60])
Tables (SIMULATED data)
SIMULATED DATA. Every respondent behind these tables is simu
Table 1
Drivers of attainment
Note. SIMULATED data. Observations: 95. Cumulative logit.
>>> [[cell.text for cell in row.cells] for row in doc.tables[0].rows]
[['driver', 'coef'], ['commitment', '0.71'], ['steward', '-0.25']]
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt, RGBColor

from copfactors._utils.render import neutralise_cell, terminal_safe
from copfactors.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from docx.document import Document as DocumentObject
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    from copfactors.analysis import AnalysisResult
    from copfactors.htmlreport import ReportTable

__all__ = ["DOCX_FILE", "FIXED_TIME", "report_docx", "tables_docx"]

#: Name of the Word file of the report's tables.
DOCX_FILE = "tables.docx"

#: Creation and modification date written into the document when none is given (the earliest
#: time a ZIP archive can store, also used for the archive's entries).
FIXED_TIME = datetime(1980, 1, 1, tzinfo=UTC)

# the title of the report (the heading of report.html)
_REPORT_TITLE = "What drives the attainment of CoP objectives"

_SIMULATED_LINE = (
    "SIMULATED DATA. Every respondent behind these tables is simulated: the tables show what "
    "the analysis does; they are not evidence about real communities of practice."
)

_FONT = "Times New Roman"
_TEXT_SIZE = 12  # points, the text around the tables
_TABLE_SIZES = (10, 9, 8)  # points, the tables' font, largest first
_PAGE = (8.5, 11.0)  # inches: US Letter, portrait
_MARGIN = 1.0  # inches, on every side
_CELL_PADDING = 0.16  # inches of the default left and right cell margins, together
_RULE = 8  # eighths of a point: the top and bottom rules (1 pt)
_HEADER_RULE = 4  # under the header row (0.5 pt)
_MAX_CELL_CHARS = 40  # longer cells wrap
_MAX_HEADER_CHARS = 14  # longer headers wrap


# --------------------------------------------------------------------------------------------
# a table's content, read from its HTML rendering
# --------------------------------------------------------------------------------------------


@dataclass
class _Content:
    caption: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    right: list[bool] = field(default_factory=list)  # right-aligned (numeric) columns
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _TableParser(HTMLParser):
    """The parts of one table rendered by :func:`copfactors.report.render_table`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.content = _Content()
        self._section = ""
        self._row: list[tuple[str, bool]] | None = None
        self._row_class = ""
        self._cell: list[str] | None = None
        self._cell_right = False
        self._caption: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._row, self._row_class = [], values.get("class", "")
        elif tag in ("th", "td") and self._row is not None:
            self._cell = []
            self._cell_right = "text-align:right" in values.get("style", "").replace(" ", "")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None:
            self._caption.append(data)

    def handle_endtag(self, tag: str) -> None:
        content = self.content
        if tag == "caption" and self._caption is not None:
            content.caption = "".join(self._caption).strip()
            self._caption = None
        elif tag in ("th", "td") and self._cell is not None and self._row is not None:
            self._row.append(("".join(self._cell), self._cell_right))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            texts = [text for text, _ in self._row]
            if self._section == "thead" and "header-fact" in self._row_class.split():
                content.facts.append((texts[0], " ".join(texts[1:])))
            elif self._section == "thead":
                content.columns = texts
                content.right = [right for _, right in self._row]
            elif self._section == "tbody":
                content.rows.append(texts)
            elif self._section == "tfoot":
                content.notes.extend(t.removeprefix("Note: ") for t in texts)
            self._row = None


def _content(table: ReportTable) -> _Content:
    parser = _TableParser()
    parser.feed(table.html)
    parser.close()
    content = parser.content
    if not content.columns:
        raise ParameterError(
            f"table {table.name!r} has no header row: its HTML is not a rendered copfactors table"
        )
    content.caption = content.caption or table.title
    return _safe(content)


def _safe(content: _Content) -> _Content:
    """The content with no control character (XML forbids them) and no formula-leading cell.

    A cell that a spreadsheet would run as a formula once pasted into it (``=``, ``+``, ``-``,
    ``@`` first) starts with ``'``, in the header and in the text (left-aligned) columns; the
    numbers of the right-aligned columns are shown as they are.
    """
    text = terminal_safe
    width = len(content.columns)
    right = [*content.right, *[False] * (width - len(content.right))]

    def cells(texts: list[str]) -> list[str]:
        return [
            text(t) if j < width and right[j] else text(neutralise_cell(t))
            for j, t in enumerate(texts)
        ]

    return _Content(
        caption=text(content.caption),
        facts=[(text(key), text(value)) for key, value in content.facts],
        columns=[text(neutralise_cell(c)) for c in content.columns],
        right=right,
        rows=[cells(row) for row in content.rows],
        notes=[text(n) for n in content.notes],
    )


# --------------------------------------------------------------------------------------------
# layout
# --------------------------------------------------------------------------------------------


def _column_inches(content: _Content, size: int) -> list[float]:
    """Natural width of each column at ``size`` points (average glyph: half an em)."""
    per_char = 0.5 * size / 72
    widths = []
    for j, header in enumerate(content.columns):
        chars = min(len(header), _MAX_HEADER_CHARS)
        for row in content.rows:
            if j < len(row):
                chars = max(chars, min(len(row[j]), _MAX_CELL_CHARS))
        widths.append(max(chars, 2) * per_char + _CELL_PADDING)
    return widths


def _layout(content: _Content) -> tuple[bool, int, list[float]]:
    """Landscape or not, font size and column widths (inches) that fit the page.

    Portrait at the two largest sizes first (as a manuscript's pages), then landscape.
    """
    portrait, landscape = (side - 2 * _MARGIN for side in _PAGE)
    tries = [(False, portrait, size) for size in _TABLE_SIZES[:2]]
    tries += [(True, landscape, size) for size in _TABLE_SIZES]
    for wide, room, size in tries:
        widths = _column_inches(content, size)
        if sum(widths) <= room:
            return wide, size, widths
    # too wide even in landscape at the smallest size: shrink the columns, the cells wrap
    size = _TABLE_SIZES[-1]
    widths = _column_inches(content, size)
    scale = landscape / sum(widths)
    return True, size, [w * scale for w in widths]


# --------------------------------------------------------------------------------------------
# Word XML: python-docx has no high-level API for borders, repeated header rows or fixed grid
# widths, so these are set in the table's XML (w:tblBorders, w:tcBorders, w:tblHeader, ...)
# --------------------------------------------------------------------------------------------


def _border(edge: str, size: int | None) -> OxmlElement:
    element = OxmlElement(f"w:{edge}")
    if size is None:
        element.set(qn("w:val"), "nil")
    else:
        element.set(qn("w:val"), "single")
        element.set(qn("w:sz"), str(size))
        element.set(qn("w:space"), "0")
        element.set(qn("w:color"), "000000")
    return element


def _apa_borders(table: Table) -> None:
    """A rule above the table and one below it, none between rows, no vertical rule."""
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(_border(edge, _RULE if edge in ("top", "bottom") else None))
    table._tbl.tblPr.insert_element_before(
        borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption"
    )


def _rule_under(cell_xml: OxmlElement) -> None:
    """The rule under a header cell (a cell border: Word has no border for one row)."""
    borders = OxmlElement("w:tcBorders")
    borders.append(_border("bottom", _HEADER_RULE))
    cell_xml.get_or_add_tcPr().insert_element_before(
        borders, "w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:vAlign"
    )


def _repeat_header(table: Table) -> None:
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _set_widths(table: Table, inches: list[float]) -> None:
    table.autofit = False
    for col, width in zip(table.columns, inches, strict=True):
        col.width = Inches(width)
    for row in table.rows:
        for cell, width in zip(row.cells, inches, strict=True):
            cell.width = Inches(width)


# --------------------------------------------------------------------------------------------
# the document
# --------------------------------------------------------------------------------------------


def _plain(paragraph: Paragraph, space_after: int = 0) -> None:
    fmt = paragraph.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(space_after)
    fmt.line_spacing = 1.0


def _new_page(doc: DocumentObject, landscape: bool) -> bool:
    """Start a new section in the other orientation if the table needs one (True if so)."""
    section = doc.sections[-1]
    if (section.orientation == WD_ORIENT.LANDSCAPE) == landscape:
        return False
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    width, height = (Inches(side) for side in _PAGE)
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    return True


def _note(content: _Content, simulated: bool) -> str:
    parts = ["SIMULATED data."] if simulated else []
    parts += [f"{key}: {value}." for key, value in content.facts]
    parts += [n if n.endswith((".", "!", "?")) else f"{n}." for n in content.notes]
    return " ".join(parts)


def _add_table(doc: DocumentObject, number: int, content: _Content, simulated: bool) -> None:
    landscape, size, inches = _layout(content)
    new_section = _new_page(doc, landscape)

    label = doc.add_paragraph()
    label.add_run(f"Table {number}").bold = True
    _plain(label, space_after=0)
    label.paragraph_format.space_before = Pt(0 if number == 1 else 12)
    label.paragraph_format.keep_with_next = True
    # each table on a page of its own, as in a manuscript (the first one under the title)
    label.paragraph_format.page_break_before = number > 1 and not new_section
    title = doc.add_paragraph()
    title.add_run(content.caption).italic = True
    _plain(title, space_after=6)
    title.paragraph_format.keep_with_next = True

    ncol = len(content.columns)
    table = doc.add_table(rows=1 + len(content.rows), cols=ncol)
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    _apa_borders(table)
    _repeat_header(table)
    _set_widths(table, inches)
    for i, texts in enumerate([content.columns, *content.rows]):
        row = table.rows[i]
        for j, cell in enumerate(row.cells):
            text = texts[j] if j < len(texts) else ""
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(text)
            run.font.size = Pt(size)
            run.bold = i == 0
            paragraph.alignment = (
                WD_ALIGN_PARAGRAPH.RIGHT if content.right[j] else WD_ALIGN_PARAGRAPH.LEFT
            )
            _plain(paragraph)
            if i == 0:
                _rule_under(cell._tc)

    note_text = _note(content, simulated)
    if note_text:
        note = doc.add_paragraph()
        note.add_run("Note.").italic = True
        note.add_run(f" {note_text}")
        for run in note.runs:
            run.font.size = Pt(size)
        _plain(note, space_after=0)
        note.paragraph_format.space_before = Pt(4)


def _deterministic_zip(data: bytes) -> bytes:
    """The same archive with fixed time stamps (python-docx stamps each entry with the clock)."""
    stamp = FIXED_TIME.timetuple()[:6]
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info))
    return out.getvalue()


def tables_docx(
    tables: Iterable[ReportTable],
    *,
    title: str,
    subtitle: str | None = None,
    simulated: bool = False,
    created: datetime | None = None,
) -> bytes:
    """Write tables into one Word document in APA style, and return its bytes.

    Parameters
    ----------
    tables : iterable of ReportTable
        The tables, in order: they are numbered Table 1, Table 2, ... Each is read from its HTML
        rendering (:attr:`~copfactors.htmlreport.ReportTable.html`): its caption (or, without
        one, its title) is the table's title, its header facts and notes form the table's note.
    title : str
        The document's first paragraph.
    subtitle : str, optional
        A paragraph below the title (e.g. where the data come from).
    simulated : bool, default False
        The data are simulated: the title ends with "(SIMULATED data)", a bold line below it
        says that every respondent is simulated, and every table's note starts with
        "SIMULATED data.".
    created : datetime, optional
        The document's creation and modification date; :data:`FIXED_TIME` by default, so that
        the same tables always give the same bytes. A naive datetime is taken as UTC.

    Returns
    -------
    bytes
        The ``.docx`` file. Control characters in the text are written as visible escapes
        (``\\x1b``), and a cell of the header or of a text column that a spreadsheet would run
        as a formula (it starts with ``=``, ``+``, ``-`` or ``@``) starts with ``'``.

    Raises
    ------
    ParameterError
        If a table's HTML has no header row (it is not a rendered copfactors table).

    Examples
    --------
    >>> data = tables_docx([], title="No tables")
    >>> data[:2], data == tables_docx([], title="No tables")
    (b'PK', True)
    """
    contents = [_content(t) for t in tables]
    title = terminal_safe(title)
    subtitle = None if subtitle is None else terminal_safe(subtitle)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = _FONT
    style.font.size = Pt(_TEXT_SIZE)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (Inches(side) for side in _PAGE)

    head = doc.add_paragraph()
    head_run = head.add_run(f"{title} (SIMULATED data)" if simulated else title)
    head_run.bold = True
    head_run.font.size = Pt(14)
    _plain(head, space_after=6)
    if simulated:
        line = doc.add_paragraph()
        run = line.add_run(_SIMULATED_LINE)
        run.bold = True
        run.font.color.rgb = RGBColor(0xB3, 0x1B, 0x1B)
        _plain(line, space_after=6)
    if subtitle:
        _plain(doc.add_paragraph(subtitle), space_after=12)
    for number, content in enumerate(contents, start=1):
        _add_table(doc, number, content, simulated)
    # margins of the sections added for landscape tables
    for s in doc.sections:
        s.left_margin = s.right_margin = s.top_margin = s.bottom_margin = Inches(_MARGIN)

    stamp = FIXED_TIME if created is None else created
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(UTC)
    props = doc.core_properties
    props.title = title
    props.author = props.last_modified_by = "copfactors"
    props.comments = "Tables of a copfactors report" + (" (SIMULATED data)" if simulated else "")
    props.created = props.modified = stamp.replace(tzinfo=None)
    props.revision = 1
    # the template's preview image shows an empty page: leave it out rather than mislead
    rels = doc.part.package.rels
    for rid in [r for r, rel in rels.items() if rel.reltype == RELATIONSHIP_TYPE.THUMBNAIL]:
        del rels[rid]
    buffer = io.BytesIO()
    doc.save(buffer)
    return _deterministic_zip(buffer.getvalue())


def report_docx(result: AnalysisResult, tables: Iterable[ReportTable]) -> bytes:
    """The Word document of a report's tables: :func:`tables_docx` with the report's title.

    Parameters
    ----------
    result : AnalysisResult
        The analysis the tables come from (for its data's label and whether it is simulated).
    tables : iterable of ReportTable
        The report's tables, in order (``copfactors.htmlreport.build(result).tables.values()``).

    Returns
    -------
    bytes
        The ``.docx`` file, written by :func:`copfactors.pipeline.write_report` as
        :data:`DOCX_FILE`.
    """
    from copfactors import __version__

    subtitle = (
        f"Data: {result.source_label}{' (SIMULATED)' if result.simulated else ''}. "
        f"Tables of the report made with copfactors {__version__}; each table is also written "
        "as CSV and LaTeX beside report.html."
    )
    return tables_docx(
        tables,
        title=f"{_REPORT_TITLE}: the report's tables",
        subtitle=subtitle,
        simulated=result.simulated,
    )
