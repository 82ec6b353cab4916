"""Tests of copfactors.report: the text, HTML and LaTeX table renderer."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copfactors.report import escape_latex, format_number, format_p, render_table


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "term": ["1|2", "steward_present", "hours & <more>"],
            "coef": [-1.25, 0.5, 12.0],
            "p": [0.5, 0.00001, np.nan],
        }
    )


class _Cells(HTMLParser):
    """Collects the rows of an HTML table, and any tag that could load an external resource."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.external: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = []
        if tag in ("link", "script", "img", "style", "iframe") or any(
            k in ("src", "href") for k, _ in attrs
        ):
            self.external.append(tag)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_text_layout(table):
    text = render_table(
        table, title="Drivers", header={"n": 120, "link": "logit"}, digits=2, notes=["simulated"]
    )
    lines = text.splitlines()
    assert lines[0] == "Drivers"
    assert lines[1] == "n   : 120"
    assert lines[2] == "link: logit"
    assert lines[-1] == "Note: simulated"
    body = [line for line in lines if line.startswith(("1|2", "steward", "hours"))]
    assert len(body) == 3
    # numbers are right-aligned: the coefficient column ends at the same position on every row
    header = next(line for line in lines if line.startswith("term"))
    end = header.index("coef") + len("coef")
    assert all(line[:end].endswith(("-1.25", "0.50", "12.00")) for line in body)
    # p-values: resolution of `digits`, missing values blank
    assert "<0.01" in body[1]
    assert body[2].rstrip().endswith("12.00")


def test_html_is_escaped_and_self_contained(table):
    out = render_table(table, title="A <b> title", header={"n": "1 & 2"}, style="html")
    assert "<b>" not in out and "&lt;b&gt;" in out
    assert "hours &amp; &lt;more&gt;" in out
    parser = _Cells()
    parser.feed(out)
    assert parser.external == []
    data_rows = [r for r in parser.rows if len(r) == 3]
    assert data_rows[0] == ["term", "coef", "p"]
    assert data_rows[1] == ["1|2", "-1.2500", "0.5000"]
    assert data_rows[3][0] == "hours & <more>"  # escaped, and decodes back to the original
    assert data_rows[3][2] == ""
    assert ["n", "1 & 2"] in parser.rows


def test_latex_is_escaped_and_rectangular(table):
    out = render_table(
        table, title="50% of CoPs", header={"model": "x_1"}, style="latex", notes=["a#b"]
    )
    lines = out.splitlines()
    assert lines[0] == "\\begin{tabular}{lrr}" and lines[-1] == "\\end{tabular}"
    assert "50\\% of CoPs" in out and "x\\_1" in out and "a\\#b" in out
    assert "hours \\& \\textless{}more\\textgreater{}" in out
    rows = [line for line in lines if line.endswith("\\\\") and "multicolumn" not in line]
    assert len(rows) == 4  # column names and three rows
    assert all(line.count(" & ") == 2 for line in rows)


def test_formatters_and_float_format(table):
    out = render_table(
        table,
        float_format=lambda v: f"{v:+.1f}",
        formatters={"p": lambda v: "sig" if v < 0.05 else "ns"},
    )
    assert "+12.0" in out and "-1.2" in out
    assert "sig" in out and "ns" in out


@pytest.mark.parametrize("style", ["text", "latex"])
def test_line_breaks_in_cells_do_not_break_rows(style):
    df = pd.DataFrame({"term": ["two\nlines", "para\u2029graph"], "coef": [1.0, 2.0]})
    out = render_table(df, style=style, header={"k": "a\r\nb"}, notes=["x\ny"])
    assert "two lines" in out and "para graph" in out
    n_lines = {"text": 1 + 3 + 2 + 1 + 1, "latex": 3 + 3 + 2 + 3}[style]
    assert len(out.splitlines()) == n_lines


def test_invalid_style(table):
    with pytest.raises(ValueError, match="style"):
        render_table(table, style="markdown")


def test_format_number_edge_cases():
    assert format_number(float("nan")) == ""
    assert format_number(None) == ""
    assert format_number(pd.NA) == ""
    assert format_number(float("inf")) == "inf"
    assert format_number(3) == "3"
    assert format_number(True) == "True"
    assert format_number(1.23456e-8, 3) == "1.235e-08"
    assert format_number(2.5e16, 2) == "2.50e+16"
    assert format_number(0.0, 2) == "0.00"
    assert format_number("text") == "text"


def test_format_p():
    assert format_p(0.04567, 3) == "0.046"
    assert format_p(0.0, 4) == "<0.0001"
    assert format_p(np.nan) == ""


def test_escape_latex_all_specials():
    assert escape_latex("\\&%$#_{}~^") == (
        "\\textbackslash{}\\&\\%\\$\\#\\_\\{\\}\\textasciitilde{}\\textasciicircum{}"
    )


text_cells = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    labels=st.lists(text_cells, min_size=1, max_size=5),
    values=st.lists(
        st.floats(allow_nan=True, allow_infinity=False, width=64), min_size=5, max_size=5
    ),
)
def test_property_every_style_keeps_the_shape(labels, values):
    df = pd.DataFrame({"label": labels, "value": values[: len(labels)]})
    parser = _Cells()
    parser.feed(render_table(df, style="html", header={"h": "v"}))
    data_rows = [r for r in parser.rows if len(r) == 2 and r != ["h", "v"]]
    assert [r[0] for r in data_rows[1:]] == labels
    latex = render_table(df, style="latex")
    body = [line for line in latex.splitlines() if line.endswith("\\\\")]
    assert len(body) == len(labels) + 1
    for line in body:
        # one column separator per row: no label can inject an unescaped &
        assert line.replace("\\&", "").count("&") == 1
    text = render_table(df, style="text")
    assert len(text.splitlines()) == len(labels) + 4


def test_import_is_light():
    code = (
        "import sys, copfactors.report; "
        "print(','.join(m for m in ('pandas', 'numpy', 'rich', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
