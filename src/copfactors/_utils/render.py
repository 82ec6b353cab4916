"""Rendering of result tables to plain text, HTML and LaTeX, and the one result protocol.

Results in copfactors are tidy DataFrames; :func:`render_table` turns one of them, with a title,
a header of ``key: value`` facts and footnotes, into a string. It computes nothing: numbers are
only formatted. It is pure string building (no rich, no jinja2, no matplotlib), so that
importing it is instant.

- ``"text"``: aligned plain text (numbers right-aligned, text left-aligned).
- ``"html"``: one ``<table>`` with a caption, the header facts, the data and the notes; every
  value is HTML-escaped and no external resource (CSS, font, script) is referenced.
- ``"latex"``: one ``tabular`` environment with the header facts and notes as full-width rows;
  every value is escaped for LaTeX, and only standard LaTeX (``\\hline``) is used.

:class:`Result` is the protocol every result class follows (as statsmodels' ``Summary`` and
lifelines' printer): a subclass implements :meth:`Result.render` and :meth:`Result.to_frame`
and gets ``to_text``, ``to_html``, ``to_latex``, ``__str__``, ``_repr_html_`` and
``_repr_latex_`` (notebooks), and ``print_summary``, which prints and returns None.

The public names are re-exported by :mod:`copfactors.report`.

Output that leaves copfactors for a spreadsheet or a terminal is made harmless here too:

- :func:`neutralise_cell`, :func:`neutralise_frame` and :func:`safe_csv`: a text cell that a
  spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return) gets a leading ``'``, as OWASP recommends against CSV injection; numbers
  stay numbers, and :func:`safe_csv` quotes every text cell, so that a separator inside one
  cannot start a new cell.
- :func:`terminal_safe`: control characters (escape sequences, bell, backspace, carriage
  return, ...) become visible escapes such as ``\\x1b``, so that text from a user's file
  cannot drive the terminal it is printed on.
"""

from __future__ import annotations

import csv
import html
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from copfactors.errors import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

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

#: Output styles understood by :func:`render_table`.
STYLES = ("text", "html", "latex")

# columns formatted as p-values unless the caller passes formatters
_P_COLUMNS = frozenset({"p", "p_value", "p_val", "pvalue", "Pr(>|z|)"})

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def escape_latex(text: str) -> str:
    r"""Escape the characters that LaTeX treats specially.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The text with ``\ & % $ # _ { } ~ ^ < >`` replaced by their LaTeX commands.

    Examples
    --------
    >>> escape_latex("50% of CoPs & more_than_x")
    '50\\% of CoPs \\& more\\_than\\_x'
    """
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


#: first characters that make a spreadsheet read a text cell as a formula (OWASP)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# a plain decimal number written as text ("-0.5", "+3", "1e-3") or a lone dash (an empty
# cell's placeholder): a spreadsheet reads it as that number or text, never as a formula
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]")

# C0 controls except tab and newline, DEL and the C1 controls (0x9b is a one-byte CSI)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def neutralise_cell(value: Any) -> Any:
    """A cell that a spreadsheet cannot run as a formula.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading single quote (OWASP's advice against CSV injection), unless it is a plain number
    such as ``-0.5`` or a lone ``-`` (a placeholder). Anything that is not text (numbers,
    missing values, booleans) is returned unchanged.

    Parameters
    ----------
    value : object
        One cell.

    Returns
    -------
    object
        ``value``, or ``"'" + value`` for a formula-leading text.

    Examples
    --------
    >>> neutralise_cell("=1+2"), neutralise_cell("@SUM(A1)")
    ("'=1+2", "'@SUM(A1)")
    >>> neutralise_cell("-2+3"), neutralise_cell("-0.5"), neutralise_cell(-0.5)
    ("'-2+3", '-0.5', -0.5)
    >>> neutralise_cell("\\tcmd"), neutralise_cell("-")
    ("'\\tcmd", '-')
    """
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a table whose text cells and column names a spreadsheet cannot run.

    Every text cell and column name goes through :func:`neutralise_cell`; numeric, boolean and
    date columns are left as they are (same dtype, same values).

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        A new frame; ``frame`` is not changed.

    Examples
    --------
    >>> import pandas as pd
    >>> safe = neutralise_frame(pd.DataFrame({"=x": ["+cmd", "ok"], "b": [-1.5, 2.0]}))
    >>> list(safe.columns), safe.iloc[:, 0].tolist(), safe["b"].tolist()
    (["'=x", 'b'], ["'+cmd", 'ok'], [-1.5, 2.0])
    """
    import pandas as pd

    out = frame.copy()
    for j in range(out.shape[1]):
        column = out.iloc[:, j]
        if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_datetime64_any_dtype(
            column.dtype
        ):
            continue
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object)
        out.isetitem(j, column.map(neutralise_cell, na_action="ignore"))
    out.columns = [neutralise_cell(c) for c in out.columns]
    return out


def safe_csv(frame: pd.DataFrame, *, index: bool = False) -> str:
    """A table as CSV text that is safe to open in a spreadsheet.

    Text cells and column names are neutralised (:func:`neutralise_frame`) and every text cell
    is quoted, so that a separator (``,`` or ``;``) or a line break inside one stays inside it;
    numbers are written unquoted, as numbers. Lines end with ``\\n``.

    Parameters
    ----------
    frame : pandas.DataFrame
    index : bool, default False
        Write the index as the first column.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> print(safe_csv(pd.DataFrame({"cop": ["=1+2", "a;b"], "coef": [-0.5, 1.25]})), end="")
    "cop","coef"
    "'=1+2",-0.5
    "a;b",1.25
    """
    return neutralise_frame(frame).to_csv(
        index=index, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\n"
    )


def terminal_safe(text: Any, *, json: bool = False) -> str:
    r"""Text with its control characters shown as escapes, safe to print on a terminal.

    Every C0 control character but tab and newline (escape ``\x1b``, bell, backspace,
    carriage return, ...), DEL and every C1 control character (``\x9b`` starts a sequence
    on its own) becomes a visible escape, so text from a user's file can neither change the
    terminal's title, colours or cursor nor hide what is printed before it.

    Parameters
    ----------
    text : object
        Anything; it is converted with ``str``.
    json : bool, default False
        Write the escapes as JSON's ``\u001b`` (valid inside a JSON string) instead of
        ``\x1b``.

    Returns
    -------
    str

    Examples
    --------
    >>> print(terminal_safe("plan \x1b]0;pwned\x07\x1b[31mred\rhidden\nnext line"))
    plan \x1b]0;pwned\x07\x1b[31mred\x0dhidden
    next line
    >>> print(terminal_safe("\x9b2J", json=True))
    \u009b2J
    """
    form = "\\u{:04x}" if json else "\\x{:02x}"
    return _CONTROL.sub(lambda m: form.format(ord(m[0])), str(text))


def _one_line(text: Any) -> str:
    """Text with its line breaks (any of Unicode's) turned into spaces."""
    return " ".join(str(text).splitlines())


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, pandas NA (raises) and NaT
    except (TypeError, ValueError):
        return True


def format_number(value: Any, digits: int = 4) -> str:
    """Format one number with ``digits`` decimals; missing values become an empty string.

    Very large or very small non-zero magnitudes switch to scientific notation so that no
    value is shown as ``0.0000`` or as a 20-digit integer.

    Examples
    --------
    >>> format_number(3.14159, 2), format_number(float("nan")), format_number(1.2e-9, 3)
    ('3.14', '', '1.200e-09')
    """
    if _is_missing(value):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if x != 0 and (abs(x) < 0.5 * 10.0**-digits or abs(x) >= 1e15):
            return f"{x:.{digits}e}"
        return f"{x:.{digits}f}"
    return str(value)


def format_p(value: Any, digits: int = 4) -> str:
    """Format a p-value: ``digits`` decimals, and ``<0.001``-style below that resolution.

    Examples
    --------
    >>> format_p(0.04567, 3), format_p(1e-12, 3), format_p(float("nan"))
    ('0.046', '<0.001', '')
    """
    if _is_missing(value):
        return ""
    x = float(value)
    floor = 10.0**-digits
    if x < floor:
        return f"<{floor:.{digits}f}"
    return f"{x:.{digits}f}"


def _is_numeric_column(values: Sequence[Any]) -> bool:
    present = [v for v in values if not _is_missing(v)]
    return bool(present) and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in present
    )


def _format_cells(
    df: Any,
    digits: int,
    float_format: Callable[[Any], str] | None,
    formatters: Mapping[str, Callable[[Any], str]] | None,
) -> tuple[list[str], list[list[str]], list[bool]]:
    columns = [str(c) for c in df.columns]
    formatters = dict(formatters or {})
    cells: list[list[str]] = [[] for _ in range(len(df))]
    numeric: list[bool] = []
    for j, col in enumerate(df.columns):
        values = df.iloc[:, j].tolist()
        is_num = _is_numeric_column(values)
        numeric.append(is_num)
        if str(col) in formatters:
            fmt = formatters[str(col)]
        elif is_num and str(col) in _P_COLUMNS:
            fmt = lambda v: format_p(v, digits)  # noqa: E731
        elif is_num and float_format is not None:
            fmt = lambda v: "" if _is_missing(v) else float_format(v)  # noqa: E731
        else:
            fmt = lambda v: format_number(v, digits)  # noqa: E731
        for i, v in enumerate(values):
            cells[i].append(fmt(v))
    return columns, cells, numeric


def _render_text(
    title: str | None,
    header: Mapping[str, Any],
    columns: list[str],
    cells: list[list[str]],
    numeric: list[bool],
    notes: Sequence[str],
) -> str:
    widths = [len(c) for c in columns]
    for row in cells:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]

    def line(values: list[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return " ".join(parts).rstrip()

    table_width = sum(widths) + max(len(widths) - 1, 0)
    out: list[str] = []
    if title:
        out.append(str(title))
    if header:
        key_width = max(len(str(k)) for k in header)
        out.extend(f"{str(key).ljust(key_width)}: {value}" for key, value in header.items())
    rule = "-" * max(table_width, 1)
    out.append(rule)
    out.append(line(columns))
    out.append(rule)
    out.extend(line(row) for row in cells)
    out.append(rule)
    out.extend(f"Note: {n}" for n in notes)
    return "\n".join(out)


def _render_html(
    title: str | None,
    header: Mapping[str, Any],
    columns: list[str],
    cells: list[list[str]],
    numeric: list[bool],
    notes: Sequence[str],
) -> str:
    esc = html.escape
    ncol = max(len(columns), 1)
    out = ['<table class="copfactors-table">']
    if title:
        out.append(f"<caption>{esc(str(title))}</caption>")
    out.append("<thead>")
    for key, value in header.items():
        out.append(
            f'<tr class="header-fact"><th scope="row" style="text-align:left">'
            f"{esc(str(key))}</th>"
            f'<td colspan="{max(ncol - 1, 1)}" style="text-align:left">{esc(str(value))}</td>'
            "</tr>"
        )
    out.append(
        "<tr>"
        + "".join(
            f'<th style="text-align:{"right" if num else "left"}">{esc(c)}</th>'
            for c, num in zip(columns, numeric, strict=True)
        )
        + "</tr>"
    )
    out.append("</thead>")
    out.append("<tbody>")
    for row in cells:
        out.append(
            "<tr>"
            + "".join(
                f'<td style="text-align:{"right" if num else "left"}">{esc(v)}</td>'
                for v, num in zip(row, numeric, strict=True)
            )
            + "</tr>"
        )
    out.append("</tbody>")
    if notes:
        out.append("<tfoot>")
        for n in notes:
            out.append(f'<tr><td colspan="{ncol}">Note: {esc(str(n))}</td></tr>')
        out.append("</tfoot>")
    out.append("</table>")
    return "\n".join(out)


def _render_latex(
    title: str | None,
    header: Mapping[str, Any],
    columns: list[str],
    cells: list[list[str]],
    numeric: list[bool],
    notes: Sequence[str],
) -> str:
    ncol = max(len(columns), 1)
    spec = "".join("r" if num else "l" for num in numeric) or "l"
    out = [f"\\begin{{tabular}}{{{spec}}}", "\\hline"]
    if title:
        out.append(f"\\multicolumn{{{ncol}}}{{l}}{{\\textbf{{{escape_latex(title)}}}}} \\\\")
    for key, value in header.items():
        out.append(
            f"\\multicolumn{{{ncol}}}{{l}}{{{escape_latex(key)}: {escape_latex(value)}}} \\\\"
        )
    if title or header:
        out.append("\\hline")
    out.append(" & ".join(escape_latex(c) for c in columns) + " \\\\")
    out.append("\\hline")
    for row in cells:
        out.append(" & ".join(escape_latex(v) for v in row) + " \\\\")
    out.append("\\hline")
    for n in notes:
        out.append(f"\\multicolumn{{{ncol}}}{{l}}{{Note: {escape_latex(n)}}} \\\\")
    out.append("\\end{tabular}")
    return "\n".join(out)


def render_table(
    df: Any,
    *,
    title: str | None = None,
    header: Mapping[str, Any] | None = None,
    style: str = "text",
    digits: int = 4,
    float_format: Callable[[Any], str] | None = None,
    formatters: Mapping[str, Callable[[Any], str]] | None = None,
    notes: Sequence[str] | None = None,
) -> str:
    """Render a table with a title, header facts and notes as text, HTML or LaTeX.

    Parameters
    ----------
    df : pandas.DataFrame
        The table; its columns are shown in order and its index is not shown (reset it first
        to show it).
    title : str, optional
        A title line (text), caption (HTML) or bold first row (LaTeX).
    header : mapping, optional
        Facts shown above the table as ``key: value`` lines, in order.
    style : {"text", "html", "latex"}
        Output format.
    digits : int, default 4
        Decimals for numbers (and resolution of p-values: smaller ones show as ``<0.0001``).
        Columns named ``p`` or ``p_value`` are formatted as p-values.
    float_format : callable, optional
        Formats every number in numeric columns instead of ``digits``.
    formatters : mapping of column name to callable, optional
        Per-column formatters; they win over ``float_format`` and ``digits``.
    notes : sequence of str, optional
        Footnotes shown below the table, each prefixed with ``Note:``.

    Returns
    -------
    str
        The rendered table. Missing values are shown as empty cells.

    Raises
    ------
    ParameterError
        If ``style`` is not one of :data:`STYLES` (also a ``ValueError``).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"term": ["a_b"], "coef": [1.5]})
    >>> print(render_table(df, style="latex", digits=1))
    \\begin{tabular}{lr}
    \\hline
    term & coef \\\\
    \\hline
    a\\_b & 1.5 \\\\
    \\hline
    \\end{tabular}
    """
    if style not in STYLES:
        raise ParameterError(f"style must be one of {STYLES}, got {style!r}")
    columns, cells, numeric = _format_cells(df, digits, float_format, formatters)
    # a line break inside a cell would break the text layout and end a LaTeX row or paragraph
    title = None if title is None else _one_line(title)
    header = {_one_line(k): _one_line(v) for k, v in (header or {}).items()}
    notes = [_one_line(n) for n in (notes or [])]
    columns = [_one_line(c) for c in columns]
    cells = [[_one_line(v) for v in row] for row in cells]
    render = {"text": _render_text, "html": _render_html, "latex": _render_latex}[style]
    return render(title, header, columns, cells, numeric, notes)


class Result:
    """The one rendering protocol of copfactors' result classes.

    A subclass implements :meth:`render` (one string per style) and :meth:`to_frame` (the
    result as a tidy DataFrame); everything else follows from them. Keyword options of
    :meth:`render` beyond ``style`` and ``digits`` (e.g. ``levers=`` of a score) pass through
    ``to_text``, ``to_html``, ``to_latex`` and ``print_summary``.

    Examples
    --------
    >>> import pandas as pd
    >>> from copfactors.report import Result, render_table
    >>> class Means(Result):
    ...     def __init__(self, frame):
    ...         self.frame = frame
    ...     def to_frame(self):
    ...         return self.frame
    ...     def render(self, style="text", digits=3):
    ...         return render_table(self.frame, title="Means", style=style, digits=digits)
    >>> means = Means(pd.DataFrame({"group": ["women"], "mean": [4.25]}))
    >>> print(means.to_text(digits=1))
    Means
    ----------
    group mean
    ----------
    women  4.2
    ----------
    >>> means.to_html().startswith("<table")
    True
    >>> means.print_summary(digits=2)
    Means
    ----------
    group mean
    ----------
    women 4.25
    ----------
    """

    #: decimals when none are asked for
    default_digits: int = 3

    def render(self, style: str = "text", digits: int | None = None, **options: Any) -> str:
        """The result as one string in ``style`` ("text", "html" or "latex")."""
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:
        """The result as a tidy DataFrame (what :meth:`render` shows)."""
        raise NotImplementedError

    def _digits(self, digits: int | None) -> int:
        return self.default_digits if digits is None else digits

    def to_text(self, digits: int | None = None, **options: Any) -> str:
        """Plain-text rendering (see :meth:`render`)."""
        return self.render("text", self._digits(digits), **options)

    def to_html(self, digits: int | None = None, **options: Any) -> str:
        """HTML rendering: one self-contained ``<table>`` (see :meth:`render`)."""
        return self.render("html", self._digits(digits), **options)

    def to_latex(self, digits: int | None = None, **options: Any) -> str:
        """LaTeX rendering: one ``tabular`` environment (see :meth:`render`)."""
        return self.render("latex", self._digits(digits), **options)

    def print_summary(self, style: str = "text", digits: int | None = None, **options: Any) -> None:
        """Print the rendering in ``style``; returns None (a notebook shows it once)."""
        print(self.render(style, self._digits(digits), **options))

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_latex_(self) -> str:
        return self.to_latex()
