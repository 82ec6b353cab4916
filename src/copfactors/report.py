"""Rendering of result tables to plain text, HTML and LaTeX.

Results in copfactors are tidy DataFrames; this module turns one of them, with a title, a
header of ``key: value`` facts and footnotes, into a string. It computes nothing: numbers
are only formatted. It is pure string building (no rich, no jinja2, no matplotlib), so that
importing it is instant, and every result type can reuse :func:`render_table`.

- ``"text"``: aligned plain text (numbers right-aligned, text left-aligned).
- ``"html"``: one ``<table>`` with a caption, the header facts, the data and the notes; every
  value is HTML-escaped and no external resource (CSS, font, script) is referenced.
- ``"latex"``: one ``tabular`` environment with the header facts and notes as full-width rows;
  every value is escaped for LaTeX, and only standard LaTeX (``\\hline``) is used.

What leaves copfactors for a spreadsheet or a terminal is made harmless here too:
:func:`safe_csv` (and :func:`neutralise_cell`, :func:`neutralise_frame`) against spreadsheet
formula injection, :func:`terminal_safe` against terminal escape sequences.

Examples
--------
>>> import pandas as pd
>>> from copfactors.report import render_table
>>> df = pd.DataFrame({"term": ["steward_present"], "coef": [0.71234], "p": [0.0004]})
>>> print(render_table(df, title="Drivers", header={"n": 120}, digits=3))
Drivers
n: 120
----------------------------
term             coef      p
----------------------------
steward_present 0.712 <0.001
----------------------------
"""

from __future__ import annotations

from copfactors._utils.render import (
    STYLES,
    Result,
    escape_latex,
    format_number,
    format_p,
    neutralise_cell,
    neutralise_frame,
    render_table,
    safe_csv,
    terminal_safe,
)

__all__ = [
    "STYLES",
    "Result",
    "escape_latex",
    "format_number",
    "format_p",
    "neutralise_cell",
    "neutralise_frame",
    "render_table",
    "safe_csv",
    "terminal_safe",
]
