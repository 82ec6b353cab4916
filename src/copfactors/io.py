"""Reading survey files (CSV, Excel, SPSS, Parquet) into validated survey tables.

:func:`read_survey` reads a file by its extension and checks it with
:func:`copfactors.schema.validate`. It does not guess silently: a file it cannot read raises
:class:`~copfactors.errors.DataFormatError` naming the file and what was tried, and a table that
does not follow the codebook raises :class:`~copfactors.errors.SchemaError` listing every problem.

What is read how
----------------
- **CSV** (``.csv``): encoding UTF-8 (with or without BOM), else cp1252 (Windows Latin-1, which
  covers French accents); delimiter comma, semicolon or tab, found from the header line;
  decimal comma by default in semicolon-delimited files (``1,5`` hours is 1.5; ``3,5`` in a
  Likert column is reported as not an integer). Only empty cells and ``NA`` are missing. Blank
  lines and lines starting with ``#`` before the header (a provenance note, say) are skipped.
- **Excel** (``.xlsx``, ``.xlsm``): the first sheet, or ``sheet=``.
- **SPSS** (``.sav``, ``.zsav``): user-missing codes declared in the file (discrete values and
  ranges, such as 9 or 99) are missing; value labels of category, boolean and free-text columns
  are mapped to the codebook's values (``1 = "Femme"`` becomes ``woman``); Likert and other
  numeric columns keep their codes.
- **Parquet** (``.parquet``, ``.pq``).

Exports of survey tools
-----------------------
:func:`read_table` reads a file as it is, without validation, and finds multi-row headers:
Qualtrics CSV exports (question codes, question text, and a row of ``{"ImportId": ...}`` cells,
which is dropped) and SurveyMonkey exports (question text, then the statement or choice). The
header rows are combined into one name per column (``Q6_1 - How important ... - Value
innovation``). :func:`copfactors.mapping.propose_mapping` proposes, from such a table, which
column holds which codebook variable and how its answers are recoded; ``read_survey(...,
mapping=...)`` reads the export with that mapping and validates the result.

Limits
------
A file is checked against :class:`ReadLimits` before the expensive work: the cells of the table
(an Excel sheet up to its last row and column, or the rows and columns a Parquet or SPSS file
declares), the bytes an Excel workbook, Parquet or SPSS file unpacks to, the compression ratio
of a workbook's parts, the entries of its shared-strings table, and the characters of a CSV
field. A file over a limit raises a :class:`DataFormatError` naming the file, the part at fault
and the limit to raise (``read_survey(path, limits=ReadLimits(max_cells=50_000_000))``) if the
file is trusted. Damaged files (a corrupt zip or deflate stream, a truncated Parquet or SPSS
file, text that is not UTF-8 in a Parquet string column, a number beyond any float in a sheet)
raise a :class:`DataFormatError` too, never the reader library's own exception.

Line numbers
------------
The ``row`` of a problem is the data row (1 for the first respondent); its ``line`` is the line
of a CSV file or the row of an Excel sheet that the user sees, header rows and skipped lines
counted (missing for SPSS and Parquet files, which have no lines).

An empty file (0 bytes) is a :class:`DataFormatError`; a file with a header line and no data
rows is read, and then fails validation with a :class:`SchemaError` ("no data rows"), because the
file itself is well-formed.

Examples
--------
>>> import tempfile, pathlib
>>> from copfactors.io import read_survey
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "survey.csv").write_text(
...     "respondent_id;cop_id;gender;hours_per_week\\nr1;A;Femme;1,5\\nr2;A;man;\\n",
...     encoding="cp1252",
... )
>>> survey = read_survey(folder / "survey.csv")
>>> survey["gender"].tolist(), survey["hours_per_week"].tolist()
(['woman', 'man'], [1.5, nan])
"""

from __future__ import annotations

import codecs
import csv
import math
import os
import re
import threading
import warnings
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from io import StringIO
from pathlib import Path
from typing import Any
from xml.parsers import expat

import numpy as np
import pandas as pd

from copfactors import schema
from copfactors.errors import DataFormatError, ParameterError, ParameterTypeError, SchemaError
from copfactors.mapping import SurveyMapping, load_mapping

__all__ = [
    "FORMATS",
    "ReadLimits",
    "problems_by_column",
    "problems_table",
    "read_survey",
    "read_table",
    "summarize",
    "validation_report",
]

#: File extensions read by :func:`read_survey`, and the format of each.
FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".xlsx": "excel",
    ".xlsm": "excel",
    ".sav": "spss",
    ".zsav": "spss",
    ".parquet": "parquet",
    ".pq": "parquet",
}

_ENCODINGS = ("utf-8-sig", "cp1252")
_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_CHUNK = 1 << 20

MissingCodes = Sequence[str | float] | Mapping[str, Sequence[str | float]] | None
MappingLike = str | os.PathLike[str] | Mapping[str, Any] | SurveyMapping | None

#: the cells of Qualtrics' third header row: {"ImportId":"QID6_1"}
_IMPORT_ID = re.compile(r"""^\s*\{\s*["']?ImportId["']?\s*:""", re.IGNORECASE)
#: SurveyMonkey's second header row under single-answer and open questions
_SECOND_ROW_WORDS = frozenset(
    {"response", "open-ended response", "other (please specify)", "réponse", "réponse ouverte"}
)
#: how many records at the top of a file are looked at to find the header rows
_HEAD_RECORDS = 4


@dataclass(frozen=True)
class ReadLimits:
    """How much a survey file may make the readers do, checked before the work is done.

    A few kilobytes of a compressed format can declare gigabytes: an ``.xlsx`` whose only cell
    is at ``XFD1048576`` (pandas fills every row up to the last column, 17 billion cells), a
    shared-strings table of millions of entries, a Parquet or ``.zsav`` file of a billion
    repeated values. The readers refuse such files with a
    :class:`~copfactors.errors.DataFormatError` that names the file, the part at fault, the
    size found and the limit; pass larger limits for a trusted file that needs them
    (``read_survey(path, limits=ReadLimits(max_cells=50_000_000))``).

    Parameters
    ----------
    max_cells : int, default 10_000_000
        Cells of the table read (rows times columns): the area of the Excel sheet up to its
        last row and last column (empty cells count: pandas fills the rectangle), or the rows
        times columns that a Parquet or SPSS file declares.
    max_unpacked_bytes : int, default 200_000_000
        Excel: bytes of all parts of the workbook once decompressed (as the zip declares them;
        a part that decompresses to more is corrupt). Parquet and SPSS: bytes of the data once
        decompressed, as the file declares them.
    max_compression_ratio : float, default 100.0
        Excel: decompressed over compressed size of any part larger than 1 MB (text such as a
        survey compresses about 5 to 20 times; a bomb thousands of times).
    max_shared_strings : int, default 1_000_000
        Excel: entries of the shared-strings table (the distinct texts of the workbook), which
        openpyxl reads whole when it opens the file.
    max_zip_members : int, default 10_000
        Excel: parts (files) in the workbook's zip archive.
    max_field_chars : int, default 10_000_000
        CSV: characters in one field (Python's csv module stops at 131,072). A column name
        (a cell of the header rows) may have at most 10,000 characters, a fixed bound.

    Raises
    ------
    ParameterTypeError
        A limit is not a number (``max_compression_ratio``) or a whole number (the others).
    ParameterError
        A limit is not positive.

    Examples
    --------
    >>> from copfactors.io import ReadLimits
    >>> ReadLimits().max_cells
    10000000
    >>> ReadLimits(max_cells=50_000_000).max_cells
    50000000
    >>> ReadLimits(max_cells=0)
    Traceback (most recent call last):
    ...
    copfactors.errors.ParameterError: ReadLimits(max_cells=0): expected a whole number >= 1
    """

    max_cells: int = 10_000_000
    max_unpacked_bytes: int = 200_000_000
    max_compression_ratio: float = 100.0
    max_shared_strings: int = 1_000_000
    max_zip_members: int = 10_000
    max_field_chars: int = 10_000_000

    def __post_init__(self) -> None:
        for name in (
            "max_cells",
            "max_unpacked_bytes",
            "max_shared_strings",
            "max_zip_members",
            "max_field_chars",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ParameterTypeError(
                    f"ReadLimits({name}={value!r}): expected a whole number, "
                    f"not {type(value).__name__}"
                )
            if value < 1:
                raise ParameterError(f"ReadLimits({name}={value!r}): expected a whole number >= 1")
        ratio = self.max_compression_ratio
        if isinstance(ratio, bool) or not isinstance(ratio, int | float | np.number):
            raise ParameterTypeError(
                f"ReadLimits(max_compression_ratio={ratio!r}): expected a number, "
                f"not {type(ratio).__name__}"
            )
        if not ratio >= 1:  # also refuses NaN
            raise ParameterError(
                f"ReadLimits(max_compression_ratio={ratio!r}): expected a number >= 1"
            )


_DEFAULT_LIMITS = ReadLimits()


def _limit_hint(name: str, needed: float) -> str:
    """How to pass a limit raised to ``needed``, for messages.

    >>> _limit_hint("max_cells", 12_345_678)
    'if the file is trusted, pass limits=ReadLimits(max_cells=12_345_678) or more'
    """
    value = math.ceil(needed) if name != "max_compression_ratio" else round(needed, 1)
    return f"if the file is trusted, pass limits=ReadLimits({name}={value:_}) or more"


def _limits_of(limits: object) -> ReadLimits:
    if limits is None:
        return _DEFAULT_LIMITS
    if not isinstance(limits, ReadLimits):
        raise ParameterTypeError(
            f"limits must be a copfactors.io.ReadLimits, not {type(limits).__name__}"
        )
    return limits


def _shorten(value: object, width: int = 60) -> str:
    """A value as repr, at most about ``width`` characters (a long number keeps its length).

    >>> _shorten(10**100)
    '1000000000000000000000000000000000000000... (101 digits)'
    >>> _shorten("abc")
    "'abc'"
    """
    if isinstance(value, int) and not isinstance(value, bool):
        digits = str(abs(value))
        if len(digits) > width - 20:
            sign = "-" if value < 0 else ""
            return f"{sign}{digits[:40]}... ({len(digits)} digits)"
        return str(value)
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def read_survey(
    path: str | os.PathLike[str],
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    missing_codes: MissingCodes = None,
    validate: bool = True,
    header_rows: int | None = None,
    mapping: MappingLike = None,
    limits: ReadLimits | None = None,
) -> pd.DataFrame:
    """Read a survey file and validate it against the codebook.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.xlsx``/``.xlsm``, ``.sav``/``.zsav`` or ``.parquet``/``.pq`` file.
    sheet : str or int, optional
        Excel only: the sheet name or 0-based position (default: the first sheet).
    encoding : str, optional
        CSV only: the text encoding (default: UTF-8, with or without BOM, else cp1252).
    delimiter : str, optional
        CSV only: the field delimiter (default: comma, semicolon or tab, from the header line).
    decimal : str, optional
        CSV only: the decimal mark (default: ``","`` in semicolon-delimited files, else ``"."``).
    missing_codes : sequence or mapping, optional
        Values that mean missing besides empty cells and ``NA``: a sequence for every column
        (``[9, 99, "n/a"]``), or a mapping from column name to such a sequence
        (``{"hours_per_week": [-1]}``).
    validate : bool, default True
        Whether to validate; if False, return the table as read.
    header_rows : int, optional
        CSV and Excel only: how many rows the header has. By default one, or, with
        ``mapping``, found as :func:`read_table` does (survey-tool exports).
    mapping : str, path-like, dict or SurveyMapping, optional
        The mapping of a survey tool's export to the codebook (a mapping YAML file as written
        by :meth:`copfactors.mapping.SurveyMapping.save`, its content as a dict, or a
        :class:`~copfactors.mapping.SurveyMapping`). The file is read with
        :func:`read_table`, the mapping applied (columns renamed, ignored ones dropped,
        answers recoded, missing codes made missing), and the result validated.
    limits : ReadLimits, optional
        How large a file may unpack to (cells of the table, decompressed bytes, shared strings
        of a workbook, characters of a CSV field); the defaults of :class:`ReadLimits` when
        left out. A file over a limit is refused before it is read.

    Returns
    -------
    pandas.DataFrame
        The survey, typed as :func:`copfactors.schema.validate` describes. ``attrs`` holds
        ``source`` (the file), ``header_rows`` and ``first_data_line`` (the line or sheet row
        of the first data row; None for SPSS and Parquet).

    Raises
    ------
    DataFormatError
        The file is missing, empty (0 bytes), of an unsupported extension, corrupt, in an
        encoding other than UTF-8 or cp1252 (unless ``encoding`` is given), its delimiter
        cannot be found, it holds a number too large for a float, or it is larger than
        ``limits`` allow.
    SchemaError
        The table does not follow the codebook (every problem listed, with its data ``row``
        and the ``line`` of the file), including a file with a header and no data rows.
    MappingError
        ``mapping`` is invalid, or names a mapped column the file lacks.
    ParameterError
        ``encoding``, ``delimiter`` or ``decimal`` given for a file that is not CSV,
        ``sheet`` for a file that is not Excel, ``header_rows`` for a file that is neither.
    ParameterTypeError
        ``missing_codes`` is a string (also a ``TypeError``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "survey.parquet"
    >>> pd.DataFrame({"respondent_id": ["1", "2"], "cop_id": ["A", "B"],
    ...               "imp_quality": [4, 9]}).to_parquet(path)
    >>> read_survey(path, missing_codes={"imp_quality": [9]})["imp_quality"].tolist()
    [4, <NA>]

    A survey tool's export, read through a mapping (here proposed, and used unedited):

    >>> from copfactors.mapping import propose_mapping
    >>> export = path.with_name("export.csv")
    >>> _ = export.write_text(
    ...     "Respondent identifier,Community of practice identifier,Gender,Timestamp\\n"
    ...     "r1,A,Woman,2024-03-01 10:00\\nr2,A,Prefer not to say,2024-03-01 11:00\\n"
    ... )
    >>> mapping = propose_mapping(read_table(export))
    >>> read_survey(export, mapping=mapping)["gender"].tolist()
    ['woman', nan]
    """
    path = Path(path)
    source = str(path)
    limits = _limits_of(limits)
    kind = _check_file(path, sheet, encoding, delimiter, decimal, header_rows)
    codes_for = _missing_codes_lookup(missing_codes)
    survey_mapping = None
    if mapping is not None:
        survey_mapping = mapping if isinstance(mapping, SurveyMapping) else load_mapping(mapping)

    if survey_mapping is not None or header_rows is not None:
        is_text = survey_mapping.reads_as_text if survey_mapping is not None else _codebook_text
        df = _read_table(
            path, kind, sheet, encoding, delimiter, decimal, header_rows, is_text, limits
        )
        if survey_mapping is not None:
            df = survey_mapping.apply(df)
        df = _apply_missing_codes(df, codes_for)
    elif kind == "csv":
        df = _read_csv(path, encoding, delimiter, decimal, codes_for, limits=limits)
    elif kind == "excel":
        df = _apply_missing_codes(_read_excel(path, sheet, codes_for, limits), codes_for)
        df.attrs.update(header_rows=1, first_data_line=2)
    elif kind == "spss":
        df = _apply_missing_codes(_read_spss(path, limits), codes_for)
        df.attrs.pop("column_labels", None)
        df.attrs.update(header_rows=1, first_data_line=None)
    else:
        df = _apply_missing_codes(_read_parquet(path, limits), codes_for)
        df.attrs.update(header_rows=1, first_data_line=None)
    df.attrs["source"] = source
    layout = df.attrs.pop("csv_layout", None)  # only to count lines again, below
    if not validate:
        return df
    first_line = df.attrs.get("first_data_line")
    _check_long_numbers(df, path, kind, layout, limits)
    try:
        return schema.validate(df, source=source, first_data_line=first_line)
    except SchemaError as err:
        problems = _problems_for_file(
            err.problems,
            path,
            kind,
            {**df.attrs, "csv_layout": layout},
            mapped=mapping is not None,
            limits=limits,
        )
        line_name = "sheet row" if kind == "excel" else "line"
        raise SchemaError(problems, source=source, line_name=line_name) from None


def read_table(
    path: str | os.PathLike[str],
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    header_rows: int | None = None,
    limits: ReadLimits | None = None,
) -> pd.DataFrame:
    """Read a file as a raw table, without validation: a survey tool's export as it is.

    The file is read as :func:`read_survey` reads it (encoding, delimiter and decimal marks of
    CSV files found the same way), but nothing is checked against the codebook and cells are
    kept as read. Headers of more than one row are found and combined: Qualtrics CSV exports
    (row 1 question codes such as ``Q6_1``, row 2 the question text, row 3 cells such as
    ``{"ImportId":"QID6_1"}``, which is dropped) and SurveyMonkey exports (row 1 the question,
    blank over the later columns of a matrix question; row 2 the statement, or ``Response``).
    Blanks of the upper rows are filled from the left, and the distinct parts of each column
    are joined with ``" - "`` (``Q6_1 - How important ... - Value innovation``). Runs of
    spaces and line breaks in a header become one space; repeated names get `` (2)``,
    `` (3)``.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.xlsx``/``.xlsm``, ``.sav``/``.zsav`` or ``.parquet``/``.pq`` file.
    sheet, encoding, delimiter, decimal, limits
        As for :func:`read_survey`.
    header_rows : int, optional
        CSV and Excel only: the number of header rows; by default found from the first rows.

    Returns
    -------
    pandas.DataFrame
        One column per column of the file. ``attrs["header_rows"]`` is the number of header
        rows, ``attrs["first_data_line"]`` the 1-based line (CSV) or sheet row (Excel) of the
        first data row, skipped comment lines and header rows counted (None for SPSS and
        Parquet), and ``attrs["source"]`` the file.

    Raises
    ------
    DataFormatError
        The file cannot be read (see :func:`read_survey`).
    ParameterError
        An option that does not apply to the file type, or ``header_rows`` below 1.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "export.csv"
    >>> _ = path.write_text(
    ...     "Respondent ID,How important is it?,\\n"
    ...     ",Value innovation,Better quality\\n"
    ...     "11,Very important,Important\\n"
    ... )
    >>> table = read_table(path)
    >>> for name in table.columns:
    ...     print(name)
    Respondent ID
    How important is it? - Value innovation
    How important is it? - Better quality
    >>> table.attrs["header_rows"], table.attrs["first_data_line"]
    (2, 3)
    """
    path = Path(path)
    limits = _limits_of(limits)
    kind = _check_file(path, sheet, encoding, delimiter, decimal, header_rows)
    df = _read_table(
        path, kind, sheet, encoding, delimiter, decimal, header_rows, _codebook_text, limits
    )
    df.attrs.pop("csv_layout", None)
    df.attrs["source"] = str(path)
    return df


#: a cell written as a number of more digits than the largest float has (308)
_LONG_NUMBER = re.compile(r"\s*[+-]?\d{309,}")
#: the codebook types whose answers are read as numbers
_NUMBER_TYPES = ("likert", "integer", "float", "boolean")


def _check_long_numbers(
    df: pd.DataFrame,
    path: Path,
    kind: str,
    layout: Mapping[str, Any] | None,
    limits: ReadLimits,
) -> None:
    """Refuse a text cell of a numeric codebook column that is a number of more than 308
    digits (beyond any float; Python will not even convert one of 4,300), naming its column,
    row and line, as a sheet's cell of such a number is refused (see _check_numbers)."""
    for i, column in enumerate(df.columns):
        name = schema.CODEBOOK.match(column)
        if name is None or schema.CODEBOOK[name].type not in _NUMBER_TYPES:
            continue
        s = df.iloc[:, i]
        if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)):
            continue
        long = s.map(
            lambda x: isinstance(x, str) and len(x) > 308 and bool(_LONG_NUMBER.match(x)),
            na_action="ignore",
        )
        hits = np.flatnonzero(long.eq(True).to_numpy(dtype=bool, na_value=False))
        if not hits.size:
            continue
        row = int(hits[0]) + 1
        value = str(s.iloc[hits[0]]).strip()
        digits = sum(ch.isdigit() for ch in value)
        where = f"column {_shorten(column)}, row {row}"
        first = df.attrs.get("first_data_line")
        if kind == "csv" and layout:
            lines = _data_record_lines(path, layout, limits)
            if row <= len(lines):
                where += f" (line {lines[row - 1]})"
        elif first is not None:
            where += f" ({'sheet row' if kind == 'excel' else 'line'} {first + row - 1})"
        raise DataFormatError(
            f"{path}: {where}: the number {value[:40]}... has {digits:_} digits, more than "
            f"the 308 of the largest float; expected a survey answer"
        )


def _check_file(
    path: Path,
    sheet: object,
    encoding: object,
    delimiter: object,
    decimal: object,
    header_rows: object,
) -> str:
    """The format of a file that exists and is not empty, and options that fit it."""
    source = str(path)
    kind = _format_of(path)
    if not path.exists():
        raise DataFormatError(f"{source}: no such file")
    if path.is_dir():
        raise DataFormatError(f"{source}: is a folder, expected a survey file")
    if path.stat().st_size == 0:
        raise DataFormatError(
            f"{source}: the file is empty (0 bytes); expected a survey table with a header line"
        )
    what = {"excel": "an Excel workbook", "spss": "an SPSS file", "parquet": "a Parquet file"}
    for name, value in (("encoding", encoding), ("delimiter", delimiter), ("decimal", decimal)):
        if kind != "csv" and value is not None:
            raise ParameterError(
                f"{_argument(name, value)} applies to CSV files only; {path.name} is "
                f"{what[kind]}, expected encoding, delimiter and decimal left out"
            )
    if kind != "excel" and sheet is not None:
        raise ParameterError(
            f"{_argument('sheet', sheet)} applies to Excel files only; expected it left out "
            f"for {path.name}"
        )
    if header_rows is not None:
        if kind not in ("csv", "excel"):
            raise ParameterError(
                f"{_argument('header_rows', header_rows)} applies to CSV and Excel files only; "
                f"{path.name} is {what[kind]}, whose columns have one name each"
            )
        if isinstance(header_rows, bool) or not isinstance(header_rows, int) or header_rows < 1:
            raise ParameterError(
                f"header_rows must be a whole number >= 1 (the rows of the header), "
                f"not {header_rows!r}"
            )
    return kind


def _argument(name: str, value: object) -> str:
    """An argument as the hints of messages write it: ``decimal=","``, ``header_rows=2``."""
    if isinstance(value, str):
        return f'{name}="{value}"'
    return f"{name}={value!r}"


def _codebook_text(column: object) -> bool:
    """Whether a column is read as text: its header names a codebook id or text variable."""
    name = schema.CODEBOOK.match(column)
    return name is not None and schema.CODEBOOK[name].type in ("id", "text")


def _read_table(
    path: Path,
    kind: str,
    sheet: str | int | None,
    encoding: str | None,
    delimiter: str | None,
    decimal: str | None,
    header_rows: int | None,
    is_text: Callable[[str], bool],
    limits: ReadLimits,
) -> pd.DataFrame:
    """The raw table of a file, header rows found (if not given) and combined."""
    if kind == "csv":
        no_codes: Callable[[object], list[object]] = lambda column: []  # noqa: E731
        return _read_csv(
            path,
            encoding,
            delimiter,
            decimal,
            no_codes,
            header_rows=header_rows,
            is_text=is_text,
            limits=limits,
        )
    if kind == "excel":
        return _read_excel_table(path, sheet, header_rows, is_text, limits)
    df = _read_spss(path, limits) if kind == "spss" else _read_parquet(path, limits)
    labels = df.attrs.pop("column_labels", None) or {}
    # an SPSS variable's label is its question: "Q1 - Community of practice identifier"
    df.columns = pd.Index(
        _combine_headers([list(df.columns), [labels.get(c) for c in df.columns]], df.shape[1])
    )
    df.attrs.update(header_rows=1, first_data_line=None)
    return df


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    known = ", ".join(FORMATS)
    hint = " (save old .xls workbooks as .xlsx)" if suffix == ".xls" else ""
    raise DataFormatError(
        f"{path}: unsupported file extension {suffix or '(none)'!r}; expected one of {known}{hint}"
    )


def _missing_codes_lookup(missing_codes: MissingCodes) -> Callable[[object], list[object]]:
    """A function from column header to the extra missing codes of that column."""
    if missing_codes is None:
        return lambda column: []
    if isinstance(missing_codes, str | bytes):
        raise ParameterTypeError(
            "missing_codes must be a sequence of codes or a mapping, not a string"
        )
    if isinstance(missing_codes, Mapping):
        by_name: dict[str, list[object]] = {}
        for column, codes in missing_codes.items():
            if isinstance(codes, str | bytes) or not isinstance(codes, Sequence):
                codes = [codes]
            by_name[schema.CODEBOOK.match(column) or str(column)] = list(codes)

        def lookup(column: object) -> list[object]:
            name = schema.CODEBOOK.match(column) or str(column)
            return by_name.get(name, [])

        return lookup
    everywhere = list(missing_codes)
    return lambda column: everywhere


def _code_forms(codes: Sequence[object]) -> tuple[list[str], list[float]]:
    """Codes as stripped text and, where they are numbers, as floats."""
    texts, nums = [], []
    for code in codes:
        text = str(code).strip()
        texts.append(text)
        try:
            nums.append(float(text))
        except ValueError:
            pass
        if isinstance(code, float) and code.is_integer():
            texts.append(str(int(code)))
    return texts, nums


def _apply_missing_codes(
    df: pd.DataFrame, codes_for: Callable[[object], list[object]]
) -> pd.DataFrame:
    for i, column in enumerate(df.columns):
        codes = codes_for(column)
        if not codes:
            continue
        texts, nums = _code_forms(codes)
        s = df.iloc[:, i]
        if schema._is_real_dtype(s.dtype):
            mask = s.isin(nums).to_numpy(dtype=bool)
        else:
            as_text = s.map(
                lambda x: x.strip() if isinstance(x, str) else str(x), na_action="ignore"
            )
            mask = as_text.isin(texts).to_numpy(dtype=bool)
            if nums:
                is_code = s.map(partial(_number_in, nums=nums), na_action="ignore")
                mask = mask | is_code.eq(True).to_numpy()  # to_numpy() may be read-only
        if mask.any():
            df.isetitem(i, s.mask(mask))
    return df


def _number_in(x: object, nums: list[float]) -> bool:
    if isinstance(x, bool) or not isinstance(x, int | float | np.number):
        return False
    try:
        return float(x) in nums
    except OverflowError:  # an integer beyond any float is no missing code
        return False


# --------------------------------------------------------------------------------------------
# CSV


def _detect_encoding(path: Path) -> str:
    tried = []
    for enc in _ENCODINGS:
        decoder = codecs.getincrementaldecoder(enc)()
        offset = 0
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(_CHUNK):
                    if b"\x00" in chunk:
                        raise DataFormatError(
                            f"{path}: not a text file (it holds NUL bytes, as binary files and "
                            "UTF-16 text do); expected CSV text in UTF-8 or cp1252 (Latin-1); "
                            'if it is UTF-16 text, pass read_survey(..., encoding="utf-16")'
                        )
                    decoder.decode(chunk)
                    offset += len(chunk)
                decoder.decode(b"", final=True)
            return enc
        except UnicodeDecodeError as err:
            tried.append(
                f"{enc} (byte {err.object[err.start]:#04x} at offset {offset + err.start})"
            )
    raise DataFormatError(
        f"{path}: cannot decode the file as text; tried {' and '.join(tried)}; "
        'pass the encoding if you know it, e.g. read_survey(..., encoding="latin-1")'
    )


def _header_line(path: Path, encoding: str) -> tuple[str, int]:
    """The header line, and how many blank or ``#`` comment lines come before it."""
    with path.open("rb") as fh:
        head = fh.read(_CHUNK)
    try:
        text = codecs.decode(head, encoding, errors="replace")
    except LookupError:
        raise DataFormatError(f"{path}: unknown encoding {encoding!r}") from None
    for k, line in enumerate(_LINE_BREAK.split(text.lstrip("\ufeff"))):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return line, k
    raise DataFormatError(
        f"{path}: no header line found; expected a CSV table whose first line names the columns"
    )


#: line breaks as pandas and the csv module (reading with ``newline=""``) see them: CR LF, LF
#: and a lone CR (old Mac files)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: the csv module's field size limit is one setting for the whole process: changed under a lock
_CSV_LOCK = threading.RLock()


@contextmanager
def _csv_module(path: Path, limits: ReadLimits, line: Callable[[], int]) -> Iterator[None]:
    """The csv module reading fields of up to ``limits.max_field_chars`` characters (not
    131,072), its errors raised as a DataFormatError naming the file and ``line()``."""
    with _CSV_LOCK:
        before = csv.field_size_limit(limits.max_field_chars)
        try:
            yield
        except csv.Error as err:
            where = f"{path}, line {line()}"
            if "field limit" in str(err):
                raise DataFormatError(
                    f"{where}: a field is longer than {limits.max_field_chars:_} characters; "
                    f"expected survey answers; "
                    f"{_limit_hint('max_field_chars', path.stat().st_size)}"
                ) from None
            raise DataFormatError(f"{where}: cannot read as CSV: {err}") from None
        finally:
            csv.field_size_limit(before)


def _split(
    header: str, delimiter: str, path: Path, line: int, limits: ReadLimits = _DEFAULT_LIMITS
) -> list[str]:
    with _csv_module(path, limits, lambda: line):
        return next(csv.reader([header], delimiter=delimiter), [])


def _sniff_delimiter(path: Path, header: str, line: int, limits: ReadLimits) -> str:
    splits = {d: _split(header, d, path, line, limits) for d in _DELIMITERS}
    candidates = [d for d, fields in splits.items() if len(fields) > 1]
    if len(candidates) == 1:
        return candidates[0]
    shown = header if len(header) <= 80 else header[:77] + "..."
    if not candidates:
        if schema.CODEBOOK.match(header.strip().strip('"')):
            return ","
        raise DataFormatError(
            f"{path}: cannot find the delimiter of the header line {shown!r}; tried comma, "
            'semicolon and tab; pass it, e.g. read_survey(..., delimiter="|")'
        )
    scores = {d: sum(schema.CODEBOOK.match(f) is not None for f in splits[d]) for d in candidates}
    best = max(scores.values())
    winners = [d for d in candidates if scores[d] == best]
    if best > 0 and len(winners) == 1:
        return winners[0]
    names = " or ".join(_DELIMITERS[d] for d in candidates)
    shown_marks = {",": ",", ";": ";", "\t": "\\t"}
    hints = " or ".join(
        f"read_survey(..., {_argument('delimiter', shown_marks[d])})" for d in candidates
    )
    raise DataFormatError(
        f"{path}: cannot tell whether the delimiter is {names}: each splits the header line "
        f"{shown!r} into fields, and they name equally many codebook columns; pass {hints}"
    )


def _read_csv(
    path: Path,
    encoding: str | None,
    delimiter: str | None,
    decimal: str | None,
    codes_for: Callable[[object], list[object]],
    *,
    header_rows: int | None = 1,
    is_text: Callable[[str], bool] | None = None,
    limits: ReadLimits = _DEFAULT_LIMITS,
) -> pd.DataFrame:
    """A CSV file as read (``header_rows=1``: the survey layout read_survey has always read).

    With ``header_rows`` other than 1 (None: found from the first records), the header rows
    are combined into unique names (:func:`_combine_headers`). ``attrs`` gets ``header_rows``,
    ``first_data_line`` and what is needed to count lines again (``csv_layout``).
    """
    enc = encoding or _detect_encoding(path)
    header, skip = _header_line(path, enc)
    if delimiter is None:
        delimiter = _sniff_delimiter(path, header, skip + 1, limits)
    if decimal is None:
        decimal = "," if delimiter == ";" else "."
    records, ends = _head_records(path, enc, delimiter, skip, limits)
    k = header_rows if header_rows is not None else _detect_header_rows(records)
    if k > len(records):
        raise DataFormatError(
            f"{path}: the file has {len(records)} record(s) after skipped lines, fewer than "
            f"the {k} header rows expected; pass read_survey(..., header_rows=1)"
        )
    fields = _split(header, delimiter, path, skip + 1, limits)
    for n, record in enumerate([fields, *records[1:k]]):
        _check_header_names(path, record, skip + (ends[n - 1] + 1 if n else 1))
    common = ["", *schema.MISSING_CODES]
    na_values: list[str] | dict[str, list[str]] = common
    if k == 1:
        extra = {field: _code_forms(codes_for(field))[0] for field in fields}
        if any(extra.values()):
            na_values = {field: [*common, *codes] for field, codes in extra.items()}
    options = {
        "sep": delimiter,
        "decimal": decimal,
        "encoding": enc,
        "keep_default_na": False,
        "na_values": na_values,
        # pandas counts records here, not lines: a header cell may span lines
        "skiprows": skip + k - 1,
    }
    df = _parse_csv(path, options)
    names: list[str] | None = None
    if header_rows != 1 or is_text is not None:
        # read_table: one clean, unique name per column
        names = _combine_headers(records[:k], df.shape[1])
        df.columns = pd.Index(names)
    text = is_text or _codebook_text
    # ids and free text must keep their text as written ("007" is not 7): read again as text
    # the (rare) columns that pandas turned into numbers in whole or in part
    as_text = [
        i
        for i, column in enumerate(df.columns)
        if text(column)
        and pd.api.types.infer_dtype(df.iloc[:, i], skipna=True) not in ("string", "empty")
    ]
    if as_text:
        again = _parse_csv(path, {**options, "usecols": as_text, "dtype": str})
        for j, i in enumerate(as_text):
            df.isetitem(i, again.iloc[:, j])
    if names is None and len(set(fields)) != len(fields) and len(fields) == df.shape[1]:
        # pandas renames repeated headers (gender, gender.1); restore them so that validation
        # reports the repetition instead of an unknown column
        df.columns = pd.Index(fields)
    if decimal == ",":
        _fix_decimal_commas(df)
    layout = {"encoding": enc, "delimiter": delimiter, "skip": skip, "header_rows": k}
    if path.stat().st_size > limits.max_field_chars:  # else no field can be longer
        _check_field_lengths(df, path, layout, limits)
    df.attrs.update(header_rows=k, first_data_line=skip + ends[k - 1] + 1, csv_layout=layout)
    return df


#: the longest column name (header cell) read: a question's full text fits many times over
_MAX_HEADER_CHARS = 10_000


def _check_header_names(path: Path, names: Sequence[str], line: int) -> None:
    """Refuse a header cell longer than ``_MAX_HEADER_CHARS``: no survey names a column so,
    and the name would be repeated in every message about the column."""
    for j, name in enumerate(names):
        if len(name) > _MAX_HEADER_CHARS:
            raise DataFormatError(
                f"{path}, line {line}: the name of column {j + 1} is {len(name):_} characters "
                f"long ({_shorten(name, 40)}), more than the {_MAX_HEADER_CHARS:_} a column "
                "name may have; expected a header line naming the survey's columns"
            )


def _check_field_lengths(
    df: pd.DataFrame, path: Path, layout: Mapping[str, Any], limits: ReadLimits
) -> None:
    """Refuse a text cell longer than ``limits.max_field_chars``, naming its line."""
    for i, column in enumerate(df.columns):
        s = df.iloc[:, i]
        if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)):
            continue
        lengths = s.map(lambda x: len(x) if isinstance(x, str) else 0, na_action="ignore")
        too_long = np.flatnonzero(lengths.fillna(0).to_numpy(dtype=float) > limits.max_field_chars)
        if too_long.size:
            _data_record_lines(path, layout, limits)  # names the line of the field
            raise DataFormatError(
                f"{path}: column {_shorten(column)}, row {too_long[0] + 1}: a field is longer "
                f"than {limits.max_field_chars:_} characters; expected survey answers; "
                f"{_limit_hint('max_field_chars', path.stat().st_size)}"
            )


def _head_records(
    path: Path, encoding: str, delimiter: str, skip: int, limits: ReadLimits = _DEFAULT_LIMITS
) -> tuple[list, list]:
    """The first records after the ``skip`` lines before the header, as lists of cells, and
    the number of lines read at the end of each (a quoted cell may hold line breaks)."""
    with path.open("rb") as fh:
        head = fh.read(_CHUNK)
    text = codecs.decode(head, encoding, errors="replace").lstrip("\ufeff")
    # lines split as _header_line splits them, so that ``skip`` counts the same lines
    rest = "\n".join(_LINE_BREAK.split(text)[skip:])
    reader = csv.reader(StringIO(rest, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    ends: list[int] = []
    with _csv_module(path, limits, lambda: skip + reader.line_num):
        for record in reader:
            if not record:  # a blank line: pandas skips it too
                continue
            records.append(record)
            ends.append(reader.line_num)
            if len(records) == _HEAD_RECORDS:
                break
    return records, ends


def _detect_header_rows(records: Sequence[Sequence[str]]) -> int:
    """How many of the first records are header rows (1 unless a survey tool's layout)."""
    if len(records) >= 3 and any(_IMPORT_ID.match(str(c)) for c in records[2]):
        return 3  # Qualtrics: codes, question text, {"ImportId": ...}
    if len(records) >= 2 and any(_IMPORT_ID.match(str(c)) for c in records[1]):
        return 2
    if len(records) < 2:
        return 1
    first = [str(c).strip() for c in records[0]]
    second = [str(c).strip() for c in records[1]]
    if any(c.casefold() in _SECOND_ROW_WORDS for c in second):
        return 2  # SurveyMonkey: "Response", "Open-Ended Response"
    if any(_squash(c) == "responseid" for c in first) and any(
        c.casefold() == "response id" for c in second
    ):
        return 2  # Qualtrics legacy: codes, question text
    blanks = [j for j, c in enumerate(first) if j > 0 and not c]
    if (
        blanks
        and all(j < len(second) and second[j] for j in blanks)
        and not any(_is_number(c) for c in second if c)
        and not any(_is_number(c) for c in first if c)
    ):
        return 2  # a question over the blank columns of its statements (SurveyMonkey)
    return 1


def _squash(text: str) -> str:
    return re.sub(r"[\s_]+", "", text.casefold())


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def _clean_header(cell: object) -> str:
    """A header cell as one line of text: runs of spaces and line breaks become one space."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return " ".join(str(cell).split())


def _combine_headers(records: Sequence[Sequence[object]], width: int) -> list[str]:
    """One unique name per column from the header rows (ImportId rows dropped).

    >>> _combine_headers([["Q1", "Q2_1", "Q2_2"], ["Gender", "How? - A", "How? - B"]], 3)
    ['Q1 - Gender', 'Q2_1 - How? - A', 'Q2_2 - How? - B']
    >>> _combine_headers([["ID", "How important?", ""], ["", "Quality", "Learning"]], 3)
    ['ID', 'How important? - Quality', 'How important? - Learning']
    """
    rows = [
        [_clean_header(c) for c in record]
        for record in records
        if not any(_IMPORT_ID.match(str(c)) for c in record)
    ] or [[]]
    rows = [(row + [""] * width)[:width] for row in rows]
    for row in rows[:-1]:  # a question's text stands over the first of its columns
        last = ""
        for j, cell in enumerate(row):
            if cell:
                last = cell
            else:
                row[j] = last
    names = []
    for j in range(width):
        parts: list[str] = []
        seen: set[str] = set()
        for row in rows:
            key = _squash(row[j])
            if row[j] and key not in seen:
                seen.add(key)
                parts.append(row[j])
        names.append(" - ".join(parts) or f"Unnamed {j + 1}")
    return _unique_names(names)


def _unique_names(names: Sequence[str]) -> list[str]:
    """Repeated names made unique: ``x``, ``x (2)``, ``x (3)``.

    >>> _unique_names(["a", "b", "a", "a"])
    ['a', 'b', 'a (2)', 'a (3)']
    """
    seen: set[str] = set()
    out = []
    for name in names:
        new, n = name, 1
        while new in seen:
            n += 1
            new = f"{name} ({n})"
        seen.add(new)
        out.append(new)
    return out


def _data_record_lines(
    path: Path, layout: Mapping[str, Any], limits: ReadLimits = _DEFAULT_LIMITS
) -> list[int]:
    """The line on which each data record of a CSV file starts (blank lines skipped, as
    pandas skips them; a record whose quoted cells hold line breaks spans several lines)."""
    with path.open(encoding=layout["encoding"], errors="replace", newline="") as fh:
        for _ in range(layout["skip"]):
            fh.readline()
        reader = csv.reader(fh, delimiter=layout["delimiter"])
        lines: list[int] = []
        headers = layout["header_rows"]
        before = 0
        with _csv_module(path, limits, lambda: layout["skip"] + reader.line_num):
            for record in reader:
                if record:
                    if headers:
                        headers -= 1
                    else:
                        lines.append(layout["skip"] + before + 1)
                before = reader.line_num
    return lines


def _parse_csv(path: Path, options: dict[str, object]) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            # mixed types in a column are sorted out by validation, cell by cell
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            return pd.read_csv(path, **options)
    except pd.errors.EmptyDataError:
        raise DataFormatError(
            f"{path}: no header line found; expected a CSV table whose first line names the columns"
        ) from None
    except pd.errors.ParserError as err:
        delimiter = options["sep"]
        raise DataFormatError(
            f"{path}: cannot read as CSV with {_DELIMITERS.get(delimiter, repr(delimiter))} "
            f"delimiter: {str(err).strip()}"
        ) from None
    except UnicodeDecodeError as err:
        raise DataFormatError(
            f"{path}: cannot decode the file as {options['encoding']}: {err}"
        ) from None
    except LookupError:
        raise DataFormatError(f"{path}: unknown encoding {options['encoding']!r}") from None
    except (ValueError, OverflowError, MemoryError, csv.Error) as err:
        # pandas' parser on a damaged file (a line too long for memory, ...)
        raise DataFormatError(f"{path}: cannot read as CSV: {str(err)[:200]}") from None


def _fix_decimal_commas(df: pd.DataFrame) -> None:
    """Decimal commas in float columns that pandas left as text (mixed with points)."""
    for i, column in enumerate(df.columns):
        name = schema.CODEBOOK.match(column)
        if name is None or schema.CODEBOOK[name].type != "float":
            continue
        s = df.iloc[:, i]
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            fixed = s.map(
                lambda x: (
                    re.sub(r"^(\s*[+-]?\d*),(\d+\s*)$", r"\1.\2", x) if isinstance(x, str) else x
                ),
                na_action="ignore",
            )
            df.isetitem(i, fixed)


# --------------------------------------------------------------------------------------------
# Excel, SPSS, Parquet


def _open_workbook(path: Path, limits: ReadLimits = _DEFAULT_LIMITS) -> pd.ExcelFile:
    """The workbook, or a DataFormatError naming the file (corrupt, not .xlsx, or larger than
    ``limits`` allow: checked by :func:`_check_workbook` before openpyxl reads anything)."""
    _check_workbook(path, limits)
    try:
        return pd.ExcelFile(path, engine="openpyxl")
    except Exception as err:  # openpyxl raises many types on damaged workbooks
        raise DataFormatError(
            f"{path}: cannot open as an Excel workbook (corrupt, or not .xlsx): "
            f"{type(err).__name__}: {str(err)[:200]}"
        ) from None


#: SpreadsheetML namespaces (transitional, as Excel writes, and strict)
_SHEET_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
_ROW_TAGS = frozenset(f"{ns} row" for ns in _SHEET_NAMESPACES)
_CELL_TAGS = frozenset(f"{ns} c" for ns in _SHEET_NAMESPACES)
_STRING_TAGS = frozenset(f"{ns} si" for ns in _SHEET_NAMESPACES)
#: a cell reference as openpyxl reads it: column letters, row digits
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
#: parts smaller than this may compress by any ratio: they cannot unpack to much
_RATIO_FLOOR = 1 << 20


class _OverLimit(Exception):
    """Raised inside the XML scan to stop it at the first limit passed."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _check_workbook(path: Path, limits: ReadLimits) -> None:
    """Refuse a workbook that would unpack beyond ``limits`` before openpyxl opens it.

    The zip archive's declared sizes bound what each part decompresses to (Python's zipfile
    stops there and a part that holds more fails its checksum), so they are checked first:
    the number of parts, their total size and each part's compression ratio. Then every part
    is decompressed once and its XML scanned with expat (the parser openpyxl uses, so entities
    and encodings are read alike) without building a tree: a worksheet's rows and columns up
    to its last cell, ``<row>`` elements without cells counted (pandas fills the whole
    rectangle, whatever the ``<dimension>`` element says), and the entries of a shared-strings
    table. A part that is not XML is left to openpyxl; a corrupt compressed stream is a
    DataFormatError naming the part.
    """
    try:
        archive = zipfile.ZipFile(path)
    except Exception as err:  # BadZipFile, NotImplementedError (zip version), OSError, ...
        raise DataFormatError(
            f"{path}: cannot open as an Excel workbook (corrupt, or not .xlsx): not a zip "
            f"archive ({str(err)[:120]}); expected an .xlsx file saved by Excel or LibreOffice"
        ) from None
    with archive:
        if any(not m.filename for m in archive.infolist()):
            # no spreadsheet writes one (and ZipInfo.is_dir fails on it)
            raise DataFormatError(
                f"{path}: the workbook's zip archive holds a part without a name; expected an "
                ".xlsx file saved by Excel or LibreOffice"
            )
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > limits.max_zip_members:
            raise DataFormatError(
                f"{path}: the workbook's zip archive holds {len(members):_} parts, more than "
                f"the {limits.max_zip_members:_} allowed; "
                f"{_limit_hint('max_zip_members', len(members))}"
            )
        total = sum(m.file_size for m in members)
        if total > limits.max_unpacked_bytes:
            raise DataFormatError(
                f"{path}: the workbook unpacks to {total:_} bytes, more than the "
                f"{limits.max_unpacked_bytes:_} allowed; "
                f"{_limit_hint('max_unpacked_bytes', total)}"
            )
        for m in members:
            ratio = m.file_size / max(m.compress_size, 1)
            if m.file_size > _RATIO_FLOOR and ratio > limits.max_compression_ratio:
                raise DataFormatError(
                    f"{path}: part {_shorten(m.filename)} of the workbook unpacks "
                    f"{ratio:.0f} times its compressed size ({m.file_size:_} bytes), more than "
                    f"the {limits.max_compression_ratio:g} allowed (a zip bomb?); "
                    f"{_limit_hint('max_compression_ratio', ratio + 1)}"
                )
        for m in members:
            try:
                _scan_part(archive, m, limits)
            except _OverLimit as err:
                raise DataFormatError(
                    f"{path}: part {_shorten(m.filename)} of the workbook: {err.message}"
                ) from None
            except Exception as err:  # zlib.error, bad CRC, truncated or encrypted part, ...
                raise DataFormatError(
                    f"{path}: part {_shorten(m.filename)} of the workbook cannot be "
                    f"decompressed (corrupt): {type(err).__name__}: {str(err)[:120]}"
                ) from None


def _scan_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: ReadLimits) -> None:
    """Count the extent of a worksheet part and the entries of a shared-strings part.

    Raises :class:`_OverLimit` at the first limit passed. Rows and columns are counted as
    openpyxl counts them (``r`` attributes, else one more than the previous row or cell), the
    largest ever seen: a sheet cannot make pandas fill more than ``rows * columns`` cells.
    """
    state = {"row": 0, "col": 0, "rows": 0, "cols": 0, "strings": 0}
    max_cells, max_strings = limits.max_cells, limits.max_shared_strings

    def start(name: str, attrs: dict[str, str]) -> None:
        if name in _CELL_TAGS:
            ref = _CELL_REF.match(attrs.get("r", ""))
            if ref:
                state["col"] = _column_number(ref.group(1))
                state["rows"] = max(state["rows"], int(ref.group(2)))
            else:
                state["col"] += 1
            if state["col"] > state["cols"]:
                state["cols"] = state["col"]
                _check_area(state, max_cells)
        elif name in _ROW_TAGS:
            state["row"] = _row_number(attrs.get("r"), state["row"])
            state["col"] = 0
            if state["row"] > state["rows"]:
                state["rows"] = state["row"]
                _check_area(state, max_cells)
        elif name in _STRING_TAGS:
            state["strings"] += 1
            if state["strings"] > max_strings:
                raise _OverLimit(
                    f"the shared-strings table holds more than {max_strings:_} entries; "
                    f"{_limit_hint('max_shared_strings', max_strings * 10)}"
                )

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    with archive.open(member) as fh:
        while chunk := fh.read(1 << 16):
            try:
                parser.Parse(chunk, False)
            except expat.ExpatError:
                return  # not XML, or broken: openpyxl fails on it where this scan stopped
    try:
        parser.Parse(b"", True)
    except expat.ExpatError:
        return


def _check_area(state: dict[str, int], max_cells: int) -> None:
    rows, cols = state["rows"], max(state["cols"], 1)
    if rows * cols > max_cells:
        raise _OverLimit(
            f"the sheet reaches row {rows:_} and column {cols:_} ({_column_letters(cols)}) "
            f"at least, {rows * cols:_} cells once read, more than the {max_cells:_} allowed "
            f"(a cell far from the table makes every row as wide and every row above it "
            f"count); "
            f"{_limit_hint('max_cells', rows * cols)}"
        )


def _row_number(r: str | None, previous: int) -> int:
    """A ``<row r=...>`` number as openpyxl reads it (0 if unreadable: openpyxl fails)."""
    if r is None:
        return previous + 1
    try:
        return int(r)
    except ValueError:
        pass
    try:
        number = float(r)
    except ValueError:
        return 0
    return int(number) if number.is_integer() else 0


def _column_number(letters: str) -> int:
    """>>> _column_number("A"), _column_number("AA"), _column_number("XFD")
    (1, 27, 16384)
    """
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _column_letters(n: int) -> str:
    """>>> _column_letters(1), _column_letters(27), _column_letters(16384)
    ('A', 'AA', 'XFD')
    """
    letters = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _read_excel(
    path: Path,
    sheet: str | int | None,
    codes_for: Callable[[object], list[object]],
    limits: ReadLimits = _DEFAULT_LIMITS,
) -> pd.DataFrame:
    with _open_workbook(path, limits) as book:
        sheet = _sheet_of(path, book, sheet)
        try:
            options = {"keep_default_na": False, "na_values": ["", *schema.MISSING_CODES]}
            header = pd.read_excel(book, sheet_name=sheet, nrows=0).columns
            # ids and free text keep their text as written ("007" is not 7)
            as_text = {
                column: str
                for column in header
                if (name := schema.CODEBOOK.match(column)) is not None
                and schema.CODEBOOK[name].type in ("id", "text")
            }
            return pd.read_excel(book, sheet_name=sheet, dtype=as_text, **options)
        except OverflowError:  # a number beyond any float, which pandas cannot hold
            try:
                raw = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
            except Exception as err:  # openpyxl raises many types on damaged sheets
                raise _sheet_error(path, sheet, err) from None
            filled = raw.notna().any(axis=1).to_numpy()
            top = int(np.argmax(filled)) if filled.any() else 0
            data = raw.iloc[top + 1 :]
            data.columns = pd.Index([_clean_header(c) for c in raw.iloc[top]] if len(raw) else [])
            _check_numbers(path, sheet, data, top + 2, _codebook_text, infinite=True)
            raise _sheet_error(path, sheet, OverflowError("a number too large")) from None
        except Exception as err:  # openpyxl raises many types on damaged sheets
            raise _sheet_error(path, sheet, err) from None


def _sheet_error(path: Path, sheet: str | int, err: BaseException) -> DataFormatError:
    return DataFormatError(
        f"{path}: cannot read sheet {sheet!r}: {type(err).__name__}: {str(err)[:200]}"
    )


#: the largest float; openpyxl reads a cell's digits as a Python int of any size
_FLOAT_MAX = float(np.finfo(float).max)


def _check_numbers(
    path: Path,
    sheet: str | int,
    frame: pd.DataFrame,
    first_row: int,
    is_text: Callable[[str], bool],
    infinite: bool = False,
) -> None:
    """Refuse a cell holding a number too large for a float (``9`` repeated 400 times) in a
    column not read as text, and with ``infinite`` an infinite float (``1e400``) in a column
    read as text, naming its column and sheet row. ``frame`` holds the data rows of the sheet
    as openpyxl read them (``dtype=object``), the first at sheet row ``first_row``."""
    for j, name in enumerate(frame.columns):
        text = is_text(str(name))
        if text and not infinite:
            continue  # a long integer is written out as its digits
        for i, x in enumerate(frame.iloc[:, j].to_numpy(dtype=object)):
            if text:
                bad = isinstance(x, float) and math.isinf(x)
            else:
                bad = type(x) is int and (x > _FLOAT_MAX or x < -_FLOAT_MAX)
            if bad:
                raise DataFormatError(
                    f"{path}: sheet {sheet!r}, column {_shorten(name)}, sheet row "
                    f"{first_row + i}: the number {_shorten(x)} is too large; expected a "
                    f"number of at most {_FLOAT_MAX:.3g} in size (a survey answer)"
                )


def _read_excel_table(
    path: Path,
    sheet: str | int | None,
    header_rows: int | None,
    is_text: Callable[[str], bool],
    limits: ReadLimits = _DEFAULT_LIMITS,
) -> pd.DataFrame:
    """A sheet as read, header rows found (if not given) and combined (see read_table)."""
    with _open_workbook(path, limits) as book:
        sheet = _sheet_of(path, book, sheet)
        try:
            raw = pd.read_excel(
                book,
                sheet_name=sheet,
                header=None,
                dtype=object,
                keep_default_na=False,
                na_values=["", *schema.MISSING_CODES],
            )
        except Exception as err:  # openpyxl raises many types on damaged sheets
            raise _sheet_error(path, sheet, err) from None
    filled = raw.notna().any(axis=1).to_numpy()
    if not filled.any():
        raise DataFormatError(
            f"{path}: sheet {sheet!r} is empty; expected a table whose first row names the columns"
        )
    top = int(np.argmax(filled))  # rows above the header are blank (row index = sheet row - 1)
    records = raw.iloc[top : top + _HEAD_RECORDS].to_numpy().tolist()
    records = [[_clean_header(c) for c in record] for record in records]
    k = header_rows if header_rows is not None else _detect_header_rows(records)
    if k > len(records):
        raise DataFormatError(
            f"{path}: sheet {sheet!r} has {len(records)} row(s), fewer than the {k} header rows "
            "expected; pass read_survey(..., header_rows=1)"
        )
    df = raw.iloc[top + k :].reset_index(drop=True)
    names = _combine_headers(records[:k], raw.shape[1])
    df.columns = pd.Index(names)
    # columns without a header or a value (left over from the sheet's formatting) go
    keep = [
        i
        for i, name in enumerate(names)
        if not name.startswith("Unnamed ") or df.iloc[:, i].notna().any()
    ]
    df = df.iloc[:, keep]
    _check_numbers(path, sheet, df, top + k + 1, is_text)
    df = df.infer_objects()
    for i, column in enumerate(df.columns):
        s = df.iloc[:, i]
        if is_text(column) and not pd.api.types.is_string_dtype(s.dtype):
            df.isetitem(i, s.map(_cell_text, na_action="ignore").astype(object))
    df.attrs.update(header_rows=k, first_data_line=top + k + 1)
    return df


def _cell_text(x: object) -> str:
    """A cell as text, whole numbers without a decimal point (12.0 is "12")."""
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def _sheet_of(path: Path, book: pd.ExcelFile, sheet: str | int | None) -> str | int:
    """The sheet asked for (default: the first), checked to exist."""
    sheets = list(book.sheet_names)
    if sheet is None:
        return 0
    if (isinstance(sheet, int) and not 0 <= sheet < len(sheets)) or (
        isinstance(sheet, str) and sheet not in sheets
    ):
        raise DataFormatError(
            f"{path}: no sheet {sheet!r}; the workbook has {', '.join(map(repr, sheets))}; "
            f"pass one of them, e.g. read_survey(..., {_argument('sheet', sheets[0])})"
        )
    return sheet


def _read_spss(path: Path, limits: ReadLimits = _DEFAULT_LIMITS) -> pd.DataFrame:
    """An SPSS file, its size checked against ``limits`` from its header first: at most
    ``max_cells`` rows times columns and ``max_unpacked_bytes`` of data (a ``.zsav`` file
    is compressed; the rows read are bounded too, for a header that does not say)."""
    import pyreadstat

    try:
        _, head = pyreadstat.read_sav(str(path), metadataonly=True)
    except Exception as err:  # pyreadstat raises many types on damaged files
        raise _spss_error(path, err) from None
    cols = max(int(head.number_columns or 0), 1)
    widths = getattr(head, "variable_storage_width", None) or {}
    row_bytes = max(sum(int(w or 0) for w in widths.values()), 8 * cols)
    max_rows = min(limits.max_cells // cols, limits.max_unpacked_bytes // row_bytes)
    declared = head.number_rows if head.number_rows is not None and head.number_rows >= 0 else 0
    rows = max(declared, 1)
    if cols > limits.max_cells or row_bytes > limits.max_unpacked_bytes or declared > max_rows:
        raise _too_large(path, "the SPSS file declares", rows, cols, row_bytes, limits)
    try:
        df, meta = pyreadstat.read_sav(str(path), user_missing=True, row_limit=max_rows + 1)
    except Exception as err:  # pyreadstat raises many types on damaged files
        raise _spss_error(path, err) from None
    if len(df) > max_rows:
        raise _too_large(path, "the SPSS file holds more than", len(df), cols, row_bytes, limits)
    df.attrs["column_labels"] = dict(getattr(meta, "column_names_to_labels", None) or {})
    ranges = getattr(meta, "missing_ranges", None) or {}
    discrete = getattr(meta, "missing_user_values", None) or {}
    labels = getattr(meta, "variable_value_labels", None) or {}
    for i, column in enumerate(df.columns):
        s = df.iloc[:, i]
        mask = np.zeros(len(s), dtype=bool)
        for rng in ranges.get(column, []):
            lo, hi = rng.get("lo"), rng.get("hi")
            if isinstance(lo, str) or isinstance(hi, str):
                mask |= s.isin([lo, hi]).to_numpy(dtype=bool)
            elif schema._is_real_dtype(s.dtype):
                with np.errstate(invalid="ignore"):
                    mask |= ((s >= lo) & (s <= hi)).to_numpy(dtype=bool, na_value=False)
        if discrete.get(column):
            mask |= s.isin(list(discrete[column])).to_numpy(dtype=bool)
        if mask.any():
            s = s.mask(mask)
        name = schema.CODEBOOK.match(column)
        if name is not None and labels.get(column):
            s = _apply_value_labels(s, schema.CODEBOOK[name], labels[column])
        df.isetitem(i, s)
    return df


def _apply_value_labels(s: pd.Series, var: schema.Variable, labels: dict) -> pd.Series:
    """Map SPSS value labels to codebook values where the codebook needs text."""
    if var.type == "boolean":
        words = set(schema.TRUE_WORDS) | set(schema.FALSE_WORDS)
        labels = {k: v for k, v in labels.items() if str(v).strip().casefold() in words}
    elif var.type not in ("category", "text"):
        return s
    if not labels:
        return s
    mapped = s.map(labels)
    return mapped.where(mapped.notna(), s.astype(object))


def _spss_error(path: Path, err: BaseException) -> DataFormatError:
    return DataFormatError(
        f"{path}: cannot read as an SPSS file (corrupt, truncated, or not .sav): "
        f"{type(err).__name__}: {str(err)[:200]}"
    )


def _too_large(
    path: Path, what: str, rows: int, cols: int, row_bytes: int, limits: ReadLimits
) -> DataFormatError:
    """The error for a table of ``rows`` by ``cols`` over ``limits`` (cells or bytes)."""
    cells, size = rows * cols, rows * row_bytes
    if cells > limits.max_cells:
        over = f"{cells:_} cells, more than the {limits.max_cells:_} allowed"
        hint = _limit_hint("max_cells", cells)
    else:
        over = f"{size:_} bytes of data, more than the {limits.max_unpacked_bytes:_} allowed"
        hint = _limit_hint("max_unpacked_bytes", size)
    return DataFormatError(f"{path}: {what} {rows:_} rows of {cols:_} columns, {over}; {hint}")


def _read_parquet(path: Path, limits: ReadLimits = _DEFAULT_LIMITS) -> pd.DataFrame:
    """A Parquet file, its size checked against ``limits`` from its footer first (rows times
    columns, and the bytes of its data once decompressed) and its text checked to be UTF-8."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        raise DataFormatError(f"{path}: reading Parquet needs pyarrow") from None
    try:
        meta = pyarrow.parquet.read_metadata(path)
        rows, cols = int(meta.num_rows), max(int(meta.num_columns), 1)
        size = sum(int(meta.row_group(i).total_byte_size) for i in range(meta.num_row_groups))
    except Exception as err:  # pyarrow raises many types on damaged files
        raise _parquet_error(path, err) from None
    if rows * cols > limits.max_cells or size > limits.max_unpacked_bytes:
        row_bytes = math.ceil(size / rows) if rows else size
        raise _too_large(path, "the Parquet file declares", max(rows, 1), cols, row_bytes, limits)
    try:
        df = pd.read_parquet(path, engine="pyarrow")
    except Exception as err:  # pyarrow raises many types on damaged files
        raise _parquet_error(path, err) from None
    for i, column in enumerate(df.columns):
        s = df.iloc[:, i]
        values = s.cat.categories.array if isinstance(s.dtype, pd.CategoricalDtype) else s.array
        if not hasattr(values, "__arrow_array__"):
            continue  # numbers, or Python objects (str objects are valid text)
        array = pyarrow.array(values)
        try:
            array.validate(full=True)
        except pyarrow.ArrowInvalid:
            raise _invalid_text(path, column, array) from None
    return df


def _parquet_error(path: Path, err: BaseException) -> DataFormatError:
    return DataFormatError(
        f"{path}: cannot read as a Parquet file (corrupt, truncated, or not Parquet): "
        f"{type(err).__name__}: {str(err)[:200]}"
    )


def _invalid_text(path: Path, column: object, array: Any) -> DataFormatError:
    """The error for a Parquet text column holding bytes that are not UTF-8, naming the first
    row at fault (a row of the categories for a categorical column)."""
    import pyarrow

    where = f"column {_shorten(column)}"
    try:
        raw = array.cast(pyarrow.large_binary()).to_pylist()
    except pyarrow.ArrowException:  # pragma: no cover - strings always cast to bytes
        raw = []
    for row, value in enumerate(raw, start=1):
        try:
            if value is not None:
                value.decode("utf-8")
        except UnicodeDecodeError:
            where += f", row {row}, value {_shorten(value)}"
            break
    return DataFormatError(
        f"{path}: {where}: text that is not valid UTF-8; expected UTF-8 text, as Parquet "
        "string columns hold"
    )


# --------------------------------------------------------------------------------------------
# problems, in the terms of the file read

_DECIMAL_HINT = ' (read_survey(..., decimal=",") reads decimal commas)'


def _problems_for_file(
    problems: pd.DataFrame,
    path: Path,
    kind: str,
    attrs: Mapping[str, Any],
    mapped: bool,
    limits: ReadLimits = _DEFAULT_LIMITS,
) -> pd.DataFrame:
    """Problems of a file's table with exact lines and only the hints that fit the file.

    The lines of a CSV file are counted again when a record spans several lines or blank
    lines stand between records; hints name only options of the file's type (no decimal
    option for Excel, SPSS or Parquet); a table without either id column, read without a
    mapping, is pointed to one.
    """
    problems = problems.copy()
    if "line" not in problems.columns:  # SPSS and Parquet files have no lines
        problems.insert(2, "line", pd.Series([None] * len(problems), dtype=object))
    texts = problems["problem"].astype(str)
    if kind != "csv":
        texts = texts.str.replace(_DECIMAL_HINT, "", regex=False)
    required = texts.str.startswith("required column is missing")
    if not mapped and required.sum() == len(schema.CODEBOOK.required):
        hint = (
            "; if the file is a survey tool's export, propose a mapping with "
            "copfactors.mapping.propose_mapping(read_table(path)), check it, and pass "
            'read_survey(..., mapping="mapping.yaml")'
        )
        texts = texts.where(~required, texts + hint)
    problems["problem"] = texts
    layout = attrs.get("csv_layout")
    if kind == "csv" and layout and "line" in problems.columns:
        has_row = problems["row"].map(lambda r: r is not None and r == r)
        if has_row.any():
            lines = _data_record_lines(path, layout, limits)
            first = attrs.get("first_data_line")
            regular = bool(lines) and lines[0] == first and lines[-1] - first == len(lines) - 1
            if not regular:
                problems["line"] = [
                    lines[int(r) - 1] if ok and 0 < int(r) <= len(lines) else line
                    for r, ok, line in zip(problems["row"], has_row, problems["line"], strict=True)
                ]
    return problems


# --------------------------------------------------------------------------------------------
# summaries for the command line


def summarize(survey: pd.DataFrame, name: str = "survey") -> str:
    """One line describing a validated survey.

    Examples
    --------
    >>> import pandas as pd
    >>> from copfactors.schema import validate
    >>> survey = validate(pd.DataFrame({"respondent_id": ["1", "2"], "cop_id": ["A", "A"],
    ...                                 "responded_t1": [True, True], "foo": [0, 1]}))
    >>> summarize(survey, "survey.csv")
    'survey.csv: 2 respondents, 1 CoP, T1 2 / T2 n/a, 3 columns recognised, 1 unknown (foo)'
    """
    n = len(survey)
    cops = survey["cop_id"].nunique() if "cop_id" in survey else 0
    waves = []
    for col, label in (("responded_t1", "T1"), ("responded_t2", "T2")):
        if col in survey:
            waves.append(f"{label} {int(survey[col].fillna(False).astype(bool).sum())}")
        else:
            waves.append(f"{label} n/a")
    unknown = list(survey.attrs.get("unknown_columns", []))
    empty = list(survey.attrs.get("empty_columns", []))
    recognised = survey.shape[1] - len(unknown)
    parts = [
        f"{n} respondent{'s' if n != 1 else ''}",
        f"{cops} CoP{'s' if cops != 1 else ''}",
        " / ".join(waves),
        f"{recognised} column{'s' if recognised != 1 else ''} recognised",
        f"{len(unknown)} unknown" + (f" ({', '.join(unknown)})" if unknown else ""),
    ]
    if empty:
        parts.append(f"{len(empty)} empty ({', '.join(empty)})")
    return f"{name}: " + ", ".join(parts)


def problems_table(problems: pd.DataFrame) -> str:
    """Every problem as a plain-text table with columns column, row, value, problem.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"column": ["gender"], "row": [3], "value": ["x"],
    ...                       "problem": ["not an allowed value; expected one of woman, man"]})
    >>> print(problems_table(table))
    column  row  value  problem
    gender  3    'x'    not an allowed value; expected one of woman, man
    """
    rows = [("column", "row", "value", "problem")]
    for rec in problems.itertuples(index=False):
        row = "" if pd.isna(rec.row) else str(int(rec.row))
        value = "" if rec.value is None or pd.isna(rec.value) else repr(str(rec.value))
        rows.append((str(rec.column), row, value, str(rec.problem)))
    widths = [max(len(r[j]) for r in rows) for j in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r[:3], widths, strict=True)) + "  " + r[3]
        for r in rows
    )


def problems_by_column(problems: pd.DataFrame, *, limit: int = 3, line_name: str = "line") -> str:
    """Problems grouped by column and kind: how many, the first few places, what was expected.

    What a person can act on: one block per column and kind of problem instead of one line per
    cell. Places are file lines (CSV) or sheet rows (Excel) when the table has them (the
    ``line`` column of :attr:`SchemaError.problems`, the header counted), else data rows.

    Parameters
    ----------
    problems : pandas.DataFrame
        :attr:`copfactors.errors.SchemaError.problems`.
    limit : int, default 3
        Places shown per group.
    line_name : str, default "line"
        What a place is called: ``"line"`` in a CSV file, ``"sheet row"`` in an Excel sheet
        (:attr:`SchemaError.line_name`).

    Examples
    --------
    >>> import pandas as pd
    >>> problems = pd.DataFrame({
    ...     "column": ["imp_quality"] * 4, "row": [2, 3, 5, 6], "line": [3, 4, 6, 7],
    ...     "value": ["7", "9", "0", "8"],
    ...     "problem": ["out of range; expected an integer from 1 to 5"] * 4})
    >>> print(problems_by_column(problems))
    4 problems in 1 column (lines as numbered in the file, the header counted):
      imp_quality, 4 values: out of range; expected an integer from 1 to 5
        line 3: '7', line 4: '9', line 6: '0', and 1 more
    """
    if problems.empty:
        return "no problems"
    by_line = "line" in problems.columns and problems["line"].notna().any()
    place, word = ("line", line_name) if by_line else ("row", "row")
    groups = problems.groupby(["column", "problem"], sort=False, dropna=False)
    n, n_cols = len(problems), problems["column"].nunique()
    if not by_line:
        where = "rows are data rows, the first is row 1"
    elif line_name == "line":
        where = "lines as numbered in the file, the header counted"
    else:
        where = f"{line_name}s as numbered in the file, the header counted"
    lines = [
        f"{n} problem{'s' if n != 1 else ''} in {n_cols} column{'s' if n_cols != 1 else ''} "
        f"({where}):"
    ]
    for (column, problem), group in groups:
        k = len(group)
        has_cells = group[place].notna().any()
        lines.append(
            f"  {column}" + (f", {k} values" if has_cells and k > 1 else "") + f": {problem}"
        )
        if not has_cells:
            continue
        shown = []
        for rec in group.head(limit).itertuples(index=False):
            at = getattr(rec, place)
            value = rec.value
            text = "" if value is None or pd.isna(value) else f": {str(value)!r}"
            shown.append(f"{word} {int(at)}{text}" if pd.notna(at) else text.lstrip(": "))
        more = f", and {k - limit} more" if k > limit else ""
        lines.append("    " + ", ".join(shown) + more)
    return "\n".join(lines)


def validation_report(path: str | os.PathLike[str]) -> tuple[str, bool]:
    """Validate a survey file and describe the outcome, for the ``validate`` command.

    Returns
    -------
    tuple of (str, bool)
        On success, a one-line summary (respondents, CoPs, wave counts, recognised and
        unknown columns) and True; on a :class:`SchemaError`, a plain-text table of every
        problem and False.

    Raises
    ------
    DataFormatError
        If the file cannot be read at all.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "survey.csv"
    >>> _ = path.write_text("respondent_id,cop_id,imp_quality\\n1,A,4\\n2,A,7\\n")
    >>> text, ok = validation_report(path)
    >>> ok
    False
    >>> print(text)
    survey.csv: 1 problem
    column       row  value  problem
    imp_quality  2    '7'    out of range; expected an integer from 1 to 5
    """
    name = Path(path).name
    try:
        survey = read_survey(path)
    except SchemaError as err:
        n = len(err.problems)
        head = f"{name}: {n} problem{'s' if n != 1 else ''}"
        return head + "\n" + problems_table(err.problems), False
    return summarize(survey, name), True
