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
import os
import re
import warnings
import zipfile
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from copfactors import schema
from copfactors.errors import DataFormatError, ParameterError, ParameterTypeError, SchemaError

__all__ = ["FORMATS", "problems_table", "read_survey", "summarize", "validation_report"]

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


def read_survey(
    path: str | os.PathLike[str],
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    missing_codes: MissingCodes = None,
    validate: bool = True,
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

    Returns
    -------
    pandas.DataFrame
        The survey, typed as :func:`copfactors.schema.validate` describes.

    Raises
    ------
    DataFormatError
        The file is missing, empty (0 bytes), of an unsupported extension, corrupt, in an
        encoding other than UTF-8 or cp1252 (unless ``encoding`` is given), or its delimiter
        cannot be found.
    SchemaError
        The table does not follow the codebook (every problem listed), including a file with a
        header and no data rows.
    ParameterError
        ``encoding``, ``delimiter`` or ``decimal`` given for a file that is not CSV, or
        ``sheet`` for a file that is not Excel.
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
    """
    path = Path(path)
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
    if kind != "csv" and (encoding, delimiter, decimal) != (None, None, None):
        raise ParameterError("encoding, delimiter and decimal apply to CSV files only")
    if kind != "excel" and sheet is not None:
        raise ParameterError("sheet applies to Excel files only")
    codes_for = _missing_codes_lookup(missing_codes)

    if kind == "csv":
        df = _read_csv(path, encoding, delimiter, decimal, codes_for)
    elif kind == "excel":
        df = _apply_missing_codes(_read_excel(path, sheet, codes_for), codes_for)
    elif kind == "spss":
        df = _apply_missing_codes(_read_spss(path), codes_for)
    else:
        df = _apply_missing_codes(_read_parquet(path), codes_for)
    if not validate:
        return df
    return schema.validate(df, source=source)


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
                mask |= is_code.eq(True).to_numpy()
        if mask.any():
            df.isetitem(i, s.mask(mask))
    return df


def _number_in(x: object, nums: list[float]) -> bool:
    if isinstance(x, bool) or not isinstance(x, int | float | np.number):
        return False
    return float(x) in nums


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
                            "UTF-16 text do); expected CSV text in UTF-8 or cp1252 (Latin-1), "
                            "or pass encoding="
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
        "pass encoding= if you know it"
    )


def _header_line(path: Path, encoding: str) -> tuple[str, int]:
    """The header line, and how many blank or ``#`` comment lines come before it."""
    with path.open("rb") as fh:
        head = fh.read(_CHUNK)
    try:
        text = codecs.decode(head, encoding, errors="replace")
    except LookupError:
        raise DataFormatError(f"{path}: unknown encoding {encoding!r}") from None
    for k, line in enumerate(text.lstrip("\ufeff").split("\n")):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return line.rstrip("\r"), k
    raise DataFormatError(
        f"{path}: no header line found; expected a CSV table whose first line names the columns"
    )


def _split(header: str, delimiter: str) -> list[str]:
    return next(csv.reader([header], delimiter=delimiter), [])


def _sniff_delimiter(path: Path, header: str) -> str:
    splits = {d: _split(header, d) for d in _DELIMITERS}
    candidates = [d for d, fields in splits.items() if len(fields) > 1]
    if len(candidates) == 1:
        return candidates[0]
    shown = header if len(header) <= 80 else header[:77] + "..."
    if not candidates:
        if schema.CODEBOOK.match(header.strip().strip('"')):
            return ","
        raise DataFormatError(
            f"{path}: cannot find the delimiter of the header line {shown!r}; tried comma, "
            "semicolon and tab; pass delimiter="
        )
    scores = {d: sum(schema.CODEBOOK.match(f) is not None for f in splits[d]) for d in candidates}
    best = max(scores.values())
    winners = [d for d in candidates if scores[d] == best]
    if best > 0 and len(winners) == 1:
        return winners[0]
    names = " or ".join(_DELIMITERS[d] for d in candidates)
    raise DataFormatError(
        f"{path}: cannot tell whether the delimiter is {names}: each splits the header line "
        f"{shown!r} into fields, and they name equally many codebook columns; pass delimiter="
    )


def _read_csv(
    path: Path,
    encoding: str | None,
    delimiter: str | None,
    decimal: str | None,
    codes_for: Callable[[object], list[object]],
) -> pd.DataFrame:
    enc = encoding or _detect_encoding(path)
    header, skip = _header_line(path, enc)
    if delimiter is None:
        delimiter = _sniff_delimiter(path, header)
    if decimal is None:
        decimal = "," if delimiter == ";" else "."
    fields = _split(header, delimiter)
    common = ["", *schema.MISSING_CODES]
    extra = {field: _code_forms(codes_for(field))[0] for field in fields}
    na_values: list[str] | dict[str, list[str]] = common
    if any(extra.values()):
        na_values = {field: [*common, *codes] for field, codes in extra.items()}
    options = {
        "sep": delimiter,
        "decimal": decimal,
        "encoding": enc,
        "keep_default_na": False,
        "na_values": na_values,
        "skiprows": skip,
    }
    df = _parse_csv(path, options)
    # ids and free text must keep their text as written ("007" is not 7): read again as text
    # the (rare) columns that pandas turned into numbers in whole or in part
    as_text = [
        i
        for i, column in enumerate(df.columns)
        if (name := schema.CODEBOOK.match(column)) is not None
        and schema.CODEBOOK[name].type in ("id", "text")
        and pd.api.types.infer_dtype(df.iloc[:, i], skipna=True) not in ("string", "empty")
    ]
    if as_text:
        again = _parse_csv(path, {**options, "usecols": as_text, "dtype": str})
        for j, i in enumerate(as_text):
            df.isetitem(i, again.iloc[:, j])
    if len(set(fields)) != len(fields) and len(fields) == df.shape[1]:
        # pandas renames repeated headers (gender, gender.1); restore them so that validation
        # reports the repetition instead of an unknown column
        df.columns = pd.Index(fields)
    if decimal == ",":
        _fix_decimal_commas(df)
    return df


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


def _read_excel(
    path: Path, sheet: str | int | None, codes_for: Callable[[object], list[object]]
) -> pd.DataFrame:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as err:
        raise DataFormatError(
            f"{path}: cannot open as an Excel workbook (corrupt, or not .xlsx): {err}"
        ) from None
    with book:
        sheets = list(book.sheet_names)
        if sheet is None:
            sheet = 0
        if (isinstance(sheet, int) and not 0 <= sheet < len(sheets)) or (
            isinstance(sheet, str) and sheet not in sheets
        ):
            raise DataFormatError(
                f"{path}: no sheet {sheet!r}; the workbook has {', '.join(map(repr, sheets))}"
            )
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
        except Exception as err:  # openpyxl raises many types on damaged sheets
            raise DataFormatError(f"{path}: cannot read sheet {sheet!r}: {err}") from None


def _read_spss(path: Path) -> pd.DataFrame:
    import pyreadstat

    try:
        df, meta = pyreadstat.read_sav(str(path), user_missing=True)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError) as err:
        raise DataFormatError(f"{path}: cannot read as an SPSS file: {err}") from None
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


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        raise DataFormatError(f"{path}: reading Parquet needs pyarrow") from None
    try:
        return pd.read_parquet(path, engine="pyarrow")
    except (pyarrow.ArrowException, OSError, ValueError) as err:
        raise DataFormatError(f"{path}: cannot read as a Parquet file: {err}") from None


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
