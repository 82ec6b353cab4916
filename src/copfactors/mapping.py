"""Mapping a survey tool's export to the codebook: which column holds which variable, and how
its answers are recoded.

Survey tools (LimeSurvey, Qualtrics, SurveyMonkey, Google Forms) export the questions as they
were asked: headers are question codes and texts (``G03Q05[SQ001]. Quelle est l'importance
... [Valoriser l'innovation]``), answers are the choices' words (``Plutôt d'accord``, ``Very
important``), and the tool adds columns of its own (``submitdate``, ``ResponseId``).
:func:`propose_mapping` reads such a table (see :func:`copfactors.io.read_table`) and proposes a
:class:`SurveyMapping`: for every column, the codebook variable it holds (or ``ignore``), how it
was recognised and how sure that is, and a table recoding its answers into codebook values.

How columns are recognised
--------------------------
Headers are compared with the codebook's names and its English and French labels
(:data:`copfactors.schema.CODEBOOK`) after question codes and numbering are taken off
(``G02Q03.``, ``G2Q3:``, ``Q6_1``, ``3.``, ``[SQ001]``) and case, accents, typographic
apostrophes, punctuation and spacing are normalised (:func:`normalise`). A matrix question's
header (``Question - Statement`` or ``Question [Statement]``) is matched by its statement. The
30 objective items are recognised from the question's stem (*important*/*importance* for the
importance at T1, *attained*/*atteint* for the attainment at T2, in English or French) and the
objective's label (:data:`~copfactors.schema.OBJECTIVE_LABELS`,
:data:`~copfactors.schema.OBJECTIVE_LABELS_FR`). Near matches are scored with ``rapidfuzz``:
above :data:`ACCEPT` they are taken, from :data:`REVIEW` to :data:`ACCEPT` they are marked
``review`` and left out (target None, with a ``suggestion``) until someone confirms them, so
that no column is mapped to a wrong variable silently. Columns the survey tool adds
(:data:`METADATA_COLUMNS`) are ignored; the tool's response id becomes ``respondent_id`` when no
column holds it.

How answers are recoded
-----------------------
Likert anchors of the variable (both languages: ``Plutôt d'accord`` is 4, ``Very important``
is 5), yes/no words of booleans and the labels of categories (both languages) are recoded;
:data:`MISSING_ANSWERS` (``Sans réponse``, ``Don't know``, ``N/A``, ...) and numeric codes
outside a variable's range (99, -99, 999, ...) become missing; decimal commas are read in
numeric columns. Answers not recognised are listed (:attr:`SurveyMapping.unrecognised_values`)
for the user to fill in; left as they are, validation reports them with their rows.

A mapping is saved as YAML (:meth:`SurveyMapping.save`) for people to check and edit, read
back with :func:`load_mapping`, and used by ``read_survey(path, mapping=...)``.

Examples
--------
>>> import pandas as pd
>>> from copfactors.mapping import propose_mapping
>>> export = pd.DataFrame(
...     {
...         "id": [1, 2],
...         "submitdate": ["2024-03-01", "2024-03-02"],
...         "G01Q01. Identifiant de la communauté de pratique": ["A", "A"],
...         "G01Q02. Genre": ["Femme", "Sans réponse"],
...         "G02Q03[SQ001]. Quelle est l'importance des objectifs ? [Favoriser l'apprentissage]": [
...             "Très important", "Important"],
...     }
... )
>>> mapping = propose_mapping(export)
>>> [(e.source[:14], e.target, e.method) for e in mapping.entries]  # doctest: +NORMALIZE_WHITESPACE
[('id', 'respondent_id', 'response_id'), ('submitdate', 'ignore', 'metadata'),
 ('G01Q01. Identi', 'cop_id', 'label_fr'), ('G01Q02. Genre', 'gender', 'label_fr'),
 ('G02Q03[SQ001].', 'imp_learning', 'objective_stem')]
>>> survey = mapping.apply(export)
>>> survey["gender"].tolist(), survey["imp_learning"].tolist()
(['woman', nan], [5.0, 4.0])
"""

from __future__ import annotations

import math
import numbers
import os
import re
import tempfile
import unicodedata
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from copfactors import schema
from copfactors._utils.safeyaml import load_yaml, read_limited, short
from copfactors.errors import (
    CopFactorsWarning,
    MappingError,
    OutputExistsError,
    ParameterTypeError,
)

__all__ = [
    "ACCEPT",
    "IGNORE",
    "MAX_MAPPING_BYTES",
    "METADATA_COLUMNS",
    "METHODS",
    "MISSING_ANSWERS",
    "REVIEW",
    "MappingEntry",
    "SurveyMapping",
    "load_mapping",
    "normalise",
    "propose_mapping",
]

#: The target of a column that is left out on purpose.
IGNORE = "ignore"
#: Largest mapping file (or YAML text) read by default, in bytes (``max_bytes`` of
#: :func:`load_mapping` raises it): far above the mapping of any real survey export.
MAX_MAPPING_BYTES = 5_000_000
#: Problems listed in one MappingError (the count of the others follows).
_MAX_PROBLEMS = 50
#: Fuzzy scores (0-100) from which a near match is taken...
ACCEPT = 90.0
#: ...and from which, below ACCEPT, it is proposed for review (left out until confirmed).
REVIEW = 75.0
#: How an entry was matched.
METHODS = (
    "name",
    "label_en",
    "label_fr",
    "objective_stem",
    "fuzzy",
    "metadata",
    "response_id",
    "unmatched",
    "manual",
)

#: Columns that survey tools add to their exports (LimeSurvey, Qualtrics, SurveyMonkey, Google
#: Forms), compared without case, spaces or punctuation. They are ignored.
METADATA_COLUMNS = (
    # LimeSurvey
    "id",
    "token",
    "submitdate",
    "lastpage",
    "startlanguage",
    "seed",
    "startdate",
    "datestamp",
    "ipaddr",
    "refurl",
    "interviewtime",
    # Qualtrics
    "StartDate",
    "EndDate",
    "Status",
    "Response Type",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "ResponseId",
    "_recordId",
    "RecipientLastName",
    "RecipientFirstName",
    "RecipientEmail",
    "ExternalReference",
    "ExternalDataReference",
    "LocationLatitude",
    "LocationLongitude",
    "DistributionChannel",
    "UserLanguage",
    "Q_RecaptchaScore",
    "Q_RelevantIDDuplicate",
    "Q_RelevantIDDuplicateScore",
    "Q_RelevantIDFraudScore",
    "Q_RelevantIDLastStartDate",
    # SurveyMonkey
    "Respondent ID",
    "Collector ID",
    "Start Date",
    "End Date",
    "IP Address",
    "Email Address",
    "First Name",
    "Last Name",
    "Custom Data 1",
    "Custom Data 2",
    "Custom Data 3",
    "Custom Data 4",
    "Custom Data 5",
    # Google Forms
    "Timestamp",
    "Horodateur",
    "Horodatage",
    "Adresse e-mail",
    "Adresse courriel",
    "Score",
)
#: Metadata columns holding the tool's response id, best first.
_RESPONSE_IDS = ("responseid", "respondentid", "recordid", "id")

#: Answers that mean missing in every column (compared after :func:`normalise`).
MISSING_ANSWERS = (
    "Sans réponse",
    "Pas de réponse",
    "Aucune réponse",
    "Je ne sais pas",
    "Ne sait pas",
    "NSP",
    "Ne s'applique pas",
    "Sans objet",
    "Je préfère ne pas répondre",
    "Préfère ne pas répondre",
    "Don't know",
    "Do not know",
    "Dont know",
    "N/A",
    "Not applicable",
    "Prefer not to say",
    "Prefer not to answer",
    "I prefer not to answer",
    "No answer",
    "No response",
    "Refused",
)
#: Numeric codes read as missing where they fall outside a variable's range.
_MISSING_NUMBERS = frozenset(
    {9, 99, 999, 9999, 98, 998, 88, 888, -1, -7, -8, -9, -77, -88, -98, -99, -999, -9999}
)

#: Words of an objective item's question stem: importance (T1) or attainment (T2).
_IMPORTANCE_WORDS = frozenset(
    {"important", "importance", "importants", "importante", "importantes"}
)
_ATTAINMENT_WORDS = frozenset(
    {
        "attained",
        "attainment",
        "attain",
        "achieved",
        "achievement",
        "atteint",
        "atteinte",
        "atteints",
        "atteintes",
        "atteindre",
    }
)
#: Bracketed items that are not the question itself (LimeSurvey's "other" and comment fields).
_SIDE_ITEMS = frozenset({"other", "autre", "comment", "commentaire", "comments", "commentaires"})
#: SurveyMonkey's second header row under a single-answer or open question.
_DECORATIONS = frozenset(
    {"response", "open ended response", "reponse", "reponse ouverte", "other please specify"}
)

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'", "′": "'"})
_NON_WORD = re.compile(r"[\W_]+")
_CODE_PREFIX = re.compile(r"^\s*[A-Za-z]{1,4}\d+[A-Za-z0-9_]*(?:\s*\[[^\[\]]*\])*\s*[.:)]\s*")
_NUMBERING = re.compile(r"^\s*\d+(?:\.\d+)*\s*[.):]\s+")
_CODE_ONLY = re.compile(r"^\s*(?:QID)?[A-Za-z]{0,4}\d+[A-Za-z0-9_]*(?:\s*\[[^\[\]]*\])*\s*$")
_ITEM_CODE = re.compile(r"\s*\[[A-Za-z]{0,4}\d+[A-Za-z0-9_]*\]")
_BRACKET = re.compile(r"^(.*?)\s*\[([^\[\]]+)\]\s*$")
_SCALE_POINT = re.compile(r"^\s*([+-]?\d+)\s*[-=:.)]\s*(.+)$|^(.+?)\s*\(\s*([+-]?\d+)\s*\)\s*$")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")

#: The most unrecognised answers listed per column.
_MAX_UNRECOGNISED = 50
_FORMAT_VERSION = 1


def normalise(text: object) -> str:
    """Text as compared when matching: casefolded, accents and punctuation taken off.

    Typographic apostrophes count as apostrophes, every run of punctuation or spaces is one
    space.

    Examples
    --------
    >>> normalise("  Plutôt d’accord ")
    'plutot d accord'
    >>> normalise("Meilleure relation avec le(s) client(s)")
    'meilleure relation avec le s client s'
    """
    text = unicodedata.normalize("NFKD", str(text).translate(_APOSTROPHES).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", text).split())


def _squash(text: object) -> str:
    return normalise(text).replace(" ", "")


_METADATA_KEYS = frozenset(_squash(c) for c in METADATA_COLUMNS)
_MISSING_KEYS = frozenset(normalise(a) for a in MISSING_ANSWERS)


# --------------------------------------------------------------------------------------------
# the mapping


@dataclass
class MappingEntry:
    """What one column of an export holds, and how its answers are recoded.

    Parameters
    ----------
    source : str
        The column's header, as read (:func:`copfactors.io.read_table`).
    target : str or None
        The codebook variable, :data:`IGNORE` (left out on purpose), or None (not used: not
        recognised, or a doubtful match awaiting review).
    method : str
        How it was matched, one of :data:`METHODS`.
    confidence : float
        From 0 to 1: 1.0 for exact matches, the fuzzy score / 100 for near ones.
    review : bool
        A doubtful match, left out until someone confirms it (sets ``target`` and
        ``review: false``).
    values : dict
        Answer as written -> codebook value (None: missing). Answers the codebook reads as they
        are (numbers in range, codes) are not listed.
    suggestion : str, optional
        For an entry to review, the variable it may hold.
    note : str, optional
        Why the entry is as it is, for the reader of the mapping file.

    Examples
    --------
    >>> from copfactors.mapping import MappingEntry
    >>> entry = MappingEntry("G01Q02. Genre", "gender", "label_fr", 1.0, values={"Femme": "woman"})
    >>> entry.used
    True
    """

    source: str
    target: str | None
    method: str
    confidence: float
    review: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    suggestion: str | None = None
    note: str | None = None

    @property
    def used(self) -> bool:
        """Whether the column goes into the survey (a confirmed codebook target)."""
        return not self.review and self.target not in (None, IGNORE)

    def to_dict(self) -> dict[str, Any]:
        """The entry as written in a mapping file (empty optional fields left out)."""
        out: dict[str, Any] = {
            "source": self.source,
            "target": self.target,
            "method": self.method,
            "confidence": self.confidence,
            "review": self.review,
        }
        if self.suggestion is not None:
            out["suggestion"] = self.suggestion
        if self.note is not None:
            out["note"] = self.note
        if self.values:
            out["values"] = dict(self.values)
        return out


@dataclass
class SurveyMapping:
    """How the columns of a survey tool's export map to the codebook.

    Made by :func:`propose_mapping`, read by :func:`load_mapping`, used by :meth:`apply` and
    ``read_survey(path, mapping=...)``.

    Parameters
    ----------
    entries : list of MappingEntry
        One per column of the export, in order.
    unrecognised_values : dict
        Column -> answers found in it that the mapping does not recode and the codebook does
        not read (for the user to add to the column's ``values``).
    source : str, optional
        The file the mapping was proposed from.

    Examples
    --------
    >>> import pandas as pd
    >>> from copfactors.mapping import propose_mapping
    >>> export = pd.DataFrame({"Respondent identifier": ["r1"], "Gender": ["Robot"],
    ...                        "Favourite colour": ["red"]})
    >>> mapping = propose_mapping(export)
    >>> mapping.unmatched_columns, mapping.unrecognised_values
    (['Favourite colour'], {'Gender': ['Robot']})
    """

    entries: list[MappingEntry]
    unrecognised_values: dict[str, list[str]] = field(default_factory=dict)
    source: str | None = None

    # -- views ------------------------------------------------------------------------------
    @property
    def unmatched_columns(self) -> list[str]:
        """Columns not recognised (target None, not awaiting review)."""
        return [e.source for e in self.entries if e.target is None and not e.review]

    @property
    def review_columns(self) -> list[str]:
        """Columns with a doubtful match, left out until confirmed."""
        return [e.source for e in self.entries if e.review]

    @property
    def targets(self) -> dict[str, str]:
        """Source column -> codebook variable, for the columns used."""
        return {e.source: str(e.target) for e in self.entries if e.used}

    def entry(self, source: str) -> MappingEntry:
        """The entry of a source column.

        Raises
        ------
        MappingError
            If the mapping has no entry for that column.
        """
        for e in self.entries:
            if e.source == source:
                return e
        raise MappingError(f"the mapping has no entry for the column {source!r}")

    def reads_as_text(self, column: object) -> bool:
        """Whether a source column maps to an id or free-text variable (read as text)."""
        for e in self.entries:
            if e.source == column and e.used:
                return schema.CODEBOOK[str(e.target)].type in ("id", "text")
        return False

    # -- applying ----------------------------------------------------------------------------
    def apply(self, table: pd.DataFrame) -> pd.DataFrame:
        """The export as a survey table: mapped columns renamed and recoded, others dropped.

        Columns mapped to a codebook variable are renamed to it and their answers recoded
        (the ``values`` tables, compared after :func:`normalise`; decimal commas in numeric
        columns). Ignored, unmatched and review columns are dropped, and so are columns the
        mapping does not know. Answers neither recoded nor readable are left as they are, for
        :func:`copfactors.schema.validate` to report with their rows. The result is not
        validated; ``attrs`` are kept (``source``, ``first_data_line``, ...).

        Parameters
        ----------
        table : pandas.DataFrame
            The export as read by :func:`copfactors.io.read_table`.

        Returns
        -------
        pandas.DataFrame
            Same rows and index; one column per entry used, in the export's order.

        Raises
        ------
        MappingError
            A column the mapping uses is not in the table (the mapping is for another export).
        ParameterTypeError
            ``table`` is not a DataFrame.

        Examples
        --------
        >>> import pandas as pd
        >>> from copfactors.mapping import load_mapping
        >>> mapping = load_mapping({"columns": [
        ...     {"source": "Q1 - Satisfied?", "target": "org_support",
        ...      "values": {"Agree": 4, "Sans réponse": None}},
        ...     {"source": "StartDate", "target": "ignore"}]})
        >>> table = pd.DataFrame({"StartDate": ["x", "y", "z"],
        ...                       "Q1 - Satisfied?": ["agree", "Sans reponse", 5]})
        >>> mapping.apply(table)["org_support"].tolist()
        [4.0, nan, 5.0]
        """
        if not isinstance(table, pd.DataFrame):
            raise ParameterTypeError(
                f"apply expects a pandas DataFrame, not {type(table).__name__}"
            )
        where: dict[str, int] = {}
        for i, column in enumerate(table.columns):
            where.setdefault(str(column), i)
        for i, column in enumerate(table.columns):
            where.setdefault(" ".join(str(column).split()), i)
        missing = [
            e.source
            for e in self.entries
            if e.used and e.source not in where and " ".join(e.source.split()) not in where
        ]
        if missing:
            shown = ", ".join(repr(m) for m in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise MappingError(
                f"{self._where(table)}entry {shown}{more}: the table has no such column; "
                "expected a column headed exactly as the entry's source (is the mapping for "
                "another export?)"
            )
        picked: list[tuple[int, MappingEntry]] = []
        for e in self.entries:
            if e.used:
                i = where.get(e.source, where.get(" ".join(e.source.split())))
                picked.append((int(i), e))  # type: ignore[arg-type]
        picked.sort(key=lambda p: p[0])
        series = []
        for i, e in picked:
            var = schema.CODEBOOK[str(e.target)]
            values = _recode_column(table.iloc[:, i], var, e.values)
            if isinstance(values, pd.Series):
                values = values.array
            # Series side by side, not a frame built from a dict: no copy into 2-D blocks
            series.append(pd.Series(values, index=table.index, name=var.name, copy=False))
        out = pd.concat(series, axis=1) if series else pd.DataFrame(index=table.index)
        out.attrs = {
            **table.attrs,
            "mapped_columns": {e.source: e.target for _, e in picked},
            "dropped_columns": [
                str(c) for j, c in enumerate(table.columns) if j not in {i for i, _ in picked}
            ],
        }
        return out

    def _where(self, table: pd.DataFrame | None = None) -> str:
        source = table.attrs.get("source") if table is not None else None
        return f"{source}: " if source else ""

    # -- text --------------------------------------------------------------------------------
    def summary(self) -> str:
        """A short account: columns matched by confidence band, ignored, unmatched, values.

        Examples
        --------
        >>> import pandas as pd
        >>> from copfactors.mapping import propose_mapping
        >>> export = pd.DataFrame({"Timestamp": ["t"], "Respondent identifier": ["r1"],
        ...                        "Community of practice identifier": ["A"], "Genre": ["x"]})
        >>> print(propose_mapping(export).summary())
        4 columns: 3 mapped (3 exact), 0 to review, 1 ignored, 0 not recognised
        1 answer not recognised, in 1 column (Genre)
        required variables: all found
        """
        used = [e for e in self.entries if e.used]
        exact = sum(e.confidence >= 1.0 for e in used)
        high = sum(0.9 <= e.confidence < 1.0 for e in used)
        low = len(used) - exact - high
        bands = [f"{exact} exact"]
        if high:
            bands.append(f"{high} near (0.90-0.99)")
        if low:
            bands.append(f"{low} below 0.90")
        ignored = sum(e.target == IGNORE and not e.review for e in self.entries)
        lines = [
            f"{len(self.entries)} column{'s' if len(self.entries) != 1 else ''}: "
            f"{len(used)} mapped ({', '.join(bands)}), {len(self.review_columns)} to review, "
            f"{ignored} ignored, {len(self.unmatched_columns)} not recognised"
        ]
        if self.review_columns:
            lines.append("to review: " + _short_list(self.review_columns))
        if self.unmatched_columns:
            lines.append("not recognised: " + _short_list(self.unmatched_columns))
        n_values = sum(len(v) for v in self.unrecognised_values.values())
        if n_values:
            cols = list(self.unrecognised_values)
            lines.append(
                f"{n_values} answer{'s' if n_values != 1 else ''} not recognised, in "
                f"{len(cols)} column{'s' if len(cols) != 1 else ''} ({_short_list(cols)})"
            )
        found = {e.target for e in used}
        lacking = [name for name in schema.CODEBOOK.required if name not in found]
        lines.append(
            "required variables: "
            + ("all found" if not lacking else "not found: " + ", ".join(lacking))
        )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The mapping as plain data (what :meth:`to_yaml` writes, without the comments)."""
        return {
            "version": _FORMAT_VERSION,
            "source": self.source,
            "columns": [e.to_dict() for e in self.entries],
            "unmatched_columns": self.unmatched_columns,
            "unrecognised_values": {k: list(v) for k, v in self.unrecognised_values.items()},
        }

    def to_yaml(self) -> str:
        """The mapping as a commented YAML document, for people to check and edit.

        One entry per source column with its target (or ``ignore``), how it was matched,
        the confidence and, where needed, the table recoding its answers. Entries to review
        are preceded by a comment saying what to confirm; at the end come the columns and
        answers not recognised, each with a comment saying what to fill in.

        Examples
        --------
        >>> import pandas as pd
        >>> from copfactors.mapping import propose_mapping
        >>> export = pd.DataFrame({"Respondent identifier": ["r1"], "Genre": ["Femme"]})
        >>> text = propose_mapping(export).to_yaml()
        >>> print(text[text.index("columns:"):])  # doctest: +ELLIPSIS
        columns:
        - source: Respondent identifier
          target: respondent_id
          method: label_en
          confidence: 1.0
          review: false
        - source: Genre
          target: gender
          method: label_fr
          confidence: 1.0
          review: false
          values:
            Femme: woman
        ...
        """
        import yaml

        def dump(data: Any) -> str:
            return yaml.safe_dump(
                data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=4096
            )

        lines = [
            "# Survey mapping for copfactors: read_survey(path, mapping=<this file>).",
            "# One entry per column of the export:",
            "#   target      the codebook variable the column holds; ignore: leave it out;",
            "#               null: not used (not recognised, or a doubtful match to review).",
            "#   method      how it was matched; confidence: 1.0 exact, less for a near match.",
            "#   review      true: a doubtful match, left out until you confirm it: set target",
            "#               (see suggestion) and review: false.",
            "#   values      how answers are recoded: answer as written: codebook value",
            "#               (null: missing). Answers read as they are (numbers, codes) are not",
            "#               listed.",
            "# The codebook's variables: copfactors.schema.CODEBOOK (docs/codebook.md).",
        ]
        lines.append(dump({"version": _FORMAT_VERSION, "source": self.source}).rstrip())
        lines.append("columns:")
        for e in self.entries:
            if e.review:
                what = f"it may hold {e.suggestion}" if e.suggestion else "check what it holds"
                lines.append(
                    f"# REVIEW: {what}; to use it, set target and review: false "
                    "(or target: ignore)."
                )
            lines.append(dump([e.to_dict()]).rstrip())
        lines.append("# Columns not recognised: to use one, set the target of its entry above to a")
        lines.append("# codebook variable (or to ignore, to silence it). This list is for reading;")
        lines.append("# it is made again from the entries.")
        unmatched = self.unmatched_columns
        if unmatched:
            lines.append("unmatched_columns:")
            for column in unmatched:
                lines.append("# fill in: the target of this column's entry above")
                lines.append(dump([column]).rstrip())
        else:
            lines.append("unmatched_columns: []")
        lines.append(
            "# Answers not recognised: add each to the values of its column's entry above,"
        )
        lines.append("# with the codebook value it means (null if it means missing).")
        if self.unrecognised_values:
            lines.append("unrecognised_values:")
            for column, values in self.unrecognised_values.items():
                lines.append(f"  # fill in: {self._expected_for(column)}")
                block = dump({column: list(values)}).rstrip()
                lines.extend("  " + line for line in block.splitlines())
        else:
            lines.append("unrecognised_values: {}")
        return "\n".join(lines) + "\n"

    def _expected_for(self, column: str) -> str:
        for e in self.entries:
            if e.source == column:
                name = e.target if e.target not in (None, IGNORE) else e.suggestion
                if name in schema.CODEBOOK:
                    var = schema.CODEBOOK[str(name)]
                    return f"{var.name}: {_allowed_values(var)}, or null for missing"
        return "the codebook value of each answer, or null for missing"

    def save(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write :meth:`to_yaml` to a file, atomically (a temporary file, then a rename).

        Parameters
        ----------
        path : str or path-like
            The mapping file (``.yaml``).
        overwrite : bool, default False
            Whether to replace an existing file (a mapping may hold someone's edits).

        Returns
        -------
        pathlib.Path
            The file written.

        Raises
        ------
        OutputExistsError
            The file exists and ``overwrite`` is False.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import pandas as pd
        >>> from copfactors.mapping import load_mapping, propose_mapping
        >>> mapping = propose_mapping(pd.DataFrame({"Genre": ["Homme"]}))
        >>> path = mapping.save(pathlib.Path(tempfile.mkdtemp()) / "mapping.yaml")
        >>> load_mapping(path) == mapping
        True
        """
        path = Path(path)
        if path.exists() and not overwrite:
            raise OutputExistsError(
                f"{path} exists; pass overwrite=True to replace it (it may hold edits)"
            )
        text = self.to_yaml()
        folder = path.parent if str(path.parent) else Path(".")
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        return path


def _short_list(items: Sequence[str], n: int = 5) -> str:
    shown = ", ".join(items[:n])
    return shown + (f", ... ({len(items) - n} more)" if len(items) > n else "")


def _allowed_values(var: schema.Variable) -> str:
    if var.type == "likert":
        return ", ".join(f"{v} ({label})" for v, label in var.anchors("en").items())
    if var.type == "category":
        return "one of " + ", ".join(var.categories)
    if var.type == "boolean":
        return "true or false"
    return var.expected


# --------------------------------------------------------------------------------------------
# answers


def _number_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def _as_number(text: str) -> float | None:
    """A number written as text (decimal point or comma), or None."""
    t = text.strip()
    if not _NUMBER.fullmatch(t) or ("," in t and "." in t):
        return None
    try:
        return float(t.replace(",", "."))
    except ValueError:  # pragma: no cover - the pattern admits only numbers
        return None


def _value_key(x: object) -> str | None:
    """The key an answer is looked up by: numbers in one spelling, text normalised."""
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, bool | np.bool_):
        return "true" if x else "false"
    if isinstance(x, numbers.Real):
        value = float(x)
        return None if math.isnan(value) else _number_text(value)
    text = str(x)
    if not text.strip():
        return None
    number = _as_number(text)
    if number is not None:
        return _number_text(number)
    return normalise(text)


def _display(x: object) -> str:
    """An answer as listed in a mapping file."""
    if isinstance(x, numbers.Real) and not isinstance(x, bool | np.bool_):
        return _number_text(float(x))
    return str(x).strip()


def _known_answers(var: schema.Variable) -> dict[str, Any]:
    """Normalised answer -> codebook value, for the words of a variable."""
    known: dict[str, Any] = {}
    if var.type == "likert":
        for language in ("en", "fr"):
            for value, label in var.anchors(language).items():
                known[normalise(label)] = value
    elif var.type == "boolean":
        known.update({normalise(w): True for w in schema.TRUE_WORDS})
        known.update({normalise(w): False for w in schema.FALSE_WORDS})
    elif var.type == "category":
        for code, en, fr in zip(
            var.categories, var.category_labels_en, var.category_labels_fr, strict=True
        ):
            for word in (code, en, fr):
                known[normalise(word)] = code
    return known


def _in_range(var: schema.Variable, value: float) -> bool:
    if var.minimum is not None and value < var.minimum:
        return False
    return not (var.maximum is not None and value > var.maximum)


def _recode_answers(
    var: schema.Variable, uniques: Iterable[object]
) -> tuple[dict[str, Any], list[str], int, int]:
    """The recoding table of a column's distinct answers for a variable.

    Returns the table (answer as written -> value, None for missing), the answers neither
    recoded nor readable, and how many distinct answers were recognised out of how many.
    """
    known = _known_answers(var)
    words = {w.casefold() for w in (*schema.TRUE_WORDS, *schema.FALSE_WORDS)}
    table: dict[str, Any] = {}
    unknown: list[str] = []
    recognised = total = 0
    for u in uniques:
        key = _value_key(u)
        if key is None:
            continue
        total += 1
        shown = _display(u)
        if key in _MISSING_KEYS and var.type != "id":
            table[shown] = None
            recognised += 1
            continue
        ok = True
        numeric = not isinstance(u, bool | np.bool_) and (
            isinstance(u, numbers.Real) or (isinstance(u, str) and _as_number(u) is not None)
        )
        if var.type in ("id", "text"):
            pass
        elif numeric:
            value = float(key)
            if var.type in ("likert", "integer"):
                if not (value.is_integer() and _in_range(var, value)):
                    ok = _missing_number(var, value, table, shown)
            elif var.type == "float":
                if not _in_range(var, value):
                    ok = _missing_number(var, value, table, shown)
            elif var.type == "boolean":
                ok = value in (0.0, 1.0) or _missing_number(var, value, table, shown)
            else:  # a category has no numeric codes
                ok = _missing_number(var, value, table, shown)
        elif isinstance(u, bool | np.bool_):
            ok = var.type == "boolean"
        elif key in known:
            value = known[key]
            readable = (var.type == "boolean" and str(u).strip().casefold() in words) or (
                var.type == "category" and str(u).strip() == value
            )
            if not readable:
                table[shown] = value
        elif var.type == "likert" and (point := _scale_point(var, str(u))) is not None:
            table[shown] = point
        else:
            ok = False
        if ok:
            recognised += 1
        elif len(unknown) < _MAX_UNRECOGNISED:
            unknown.append(shown)
    return table, unknown, recognised, total


def _missing_number(var: schema.Variable, value: float, table: dict[str, Any], shown: str) -> bool:
    """Record a conventional missing code outside the variable's range; False if not one."""
    if value.is_integer() and int(value) in _MISSING_NUMBERS and not _in_range(var, value):
        table[shown] = None
        return True
    return False


def _scale_point(var: schema.Variable, text: str) -> int | None:
    """The value of an answer written with its scale point: ``4 - Agree``, ``Agree (4)``."""
    m = _SCALE_POINT.match(text)
    if not m:
        return None
    number, label = (m[1], m[2]) if m[1] is not None else (m[4], m[3])
    value = int(number)
    if not _in_range(var, value):
        return None
    anchors = {normalise(a) for a in (var.anchors("en")[value], var.anchors("fr")[value])}
    known = _known_answers(var)
    if normalise(label) in anchors or normalise(label) not in known:
        return value
    return None  # "4 - Strongly agree": the number and the words disagree


def _recode_column(s: pd.Series, var: schema.Variable, values: Mapping[str, Any]) -> object:
    """A column's answers recoded for a variable, over its distinct values (the column, or a
    new array of its length)."""
    lookup = {}
    for k, v in values.items():
        key = _value_key(k)
        if key is not None:
            lookup[key] = v
    decimal_comma = var.type == "float"
    dtype = s.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        codes = {float(k): v for k, v in lookup.items() if _as_number(k) is not None}
        if not codes:
            return s
        if all(v is None or _is_plain_number(v) for v in codes.values()):
            numbers_ = s.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
            original = numbers_.copy()
            for code, new in codes.items():
                numbers_[original == code] = np.nan if new is None else float(new)
            return numbers_
        return s.map(lambda x: codes.get(float(x), x), na_action="ignore").to_numpy()
    if var.type in ("id",) and not lookup:
        return s
    try:
        codes_arr, uniques = pd.factorize(s, use_na_sentinel=True)
    except TypeError:  # unhashable cells: leave them to validation
        return s
    out: list[object] = []
    changed = False
    for u in uniques:
        key = _value_key(u)
        if key is not None and key in lookup:
            new = lookup[key]
            out.append(np.nan if new is None else new)
            changed = True
        elif decimal_comma and isinstance(u, str) and (n := _as_number(u)) is not None:
            out.append(n)
            changed = True
        else:
            out.append(u)
    if not changed:
        return s
    codes_arr = np.asarray(codes_arr)
    missing = [v is None or (isinstance(v, float) and math.isnan(v)) for v in out]
    if var.type == "category" and all(
        m or (isinstance(v, str) and v in var.categories) for v, m in zip(out, missing, strict=True)
    ):
        # codes of the codebook's categories: no column of text to build
        position = {c: k for k, c in enumerate(var.categories)}
        ucodes = [-1 if m else position[v] for v, m in zip(out, missing, strict=True)]
        cat_codes = np.append(np.asarray(ucodes, dtype=np.int64), -1)[codes_arr]
        return pd.Categorical.from_codes(cat_codes, dtype=var.dtype)
    if var.type == "boolean" and all(
        m or isinstance(v, bool | np.bool_) for v, m in zip(out, missing, strict=True)
    ):
        ubool = np.array([bool(v) if not m else False for v, m in zip(out, missing, strict=True)])
        umask = np.array(missing, dtype=bool)
        return pd.arrays.BooleanArray(
            np.append(ubool, False)[codes_arr], np.append(umask, True)[codes_arr]
        )
    if all(_is_plain_number(v) for v in out):
        # numbers as float64 throughout: validation is quickest on those
        arr = np.append(np.asarray(out, dtype=np.float64), np.nan)
    else:
        arr = np.empty(len(out) + 1, dtype=object)
        arr[: len(out)] = out
        arr[len(out)] = np.nan
    return arr[codes_arr]


def _is_plain_number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool | np.bool_)


# --------------------------------------------------------------------------------------------
# headers


@dataclass
class _Header:
    """A header taken apart: its pieces of text without codes, and what they suggest."""

    raw: str
    parts: list[str]  # stem(s) first, statement last
    side_item: bool = False

    @property
    def whole(self) -> str:
        return " ".join(self.parts)

    def candidates(self) -> list[str]:
        """Texts to compare with labels, the most specific first: whole, statement, stem."""
        out = [self.whole]
        for part in reversed(self.parts):
            if part not in out:
                out.append(part)
        return [c for c in out if c]


def _split_header(header: str) -> _Header:
    text = " ".join(str(header).split())
    parts: list[str] = []
    side = False
    for chunk in re.split(r"\s+[-–—]\s+", text):
        chunk = _CODE_PREFIX.sub("", chunk, count=1)
        chunk = _NUMBERING.sub("", chunk, count=1)
        chunk = _ITEM_CODE.sub("", chunk).strip()
        if not chunk or _CODE_ONLY.fullmatch(chunk) or normalise(chunk) in _DECORATIONS:
            continue
        m = _BRACKET.match(chunk)
        if m and m[1].strip():
            item = m[2].strip()
            if normalise(item) in _SIDE_ITEMS:
                side = True
            parts.extend([m[1].strip(), item])
        else:
            parts.append(chunk)
    return _Header(text, parts, side)


class _Matcher:
    """The codebook's names and labels, normalised once, to match headers against."""

    def __init__(self) -> None:
        self.labels: dict[str, tuple[str, str]] = {}
        for var in schema.CODEBOOK:
            self.labels.setdefault(normalise(var.label_en), (var.name, "label_en"))
            self.labels.setdefault(normalise(var.label_fr), (var.name, "label_fr"))
        self.names = {normalise(v.name): v.name for v in schema.CODEBOOK}
        self.label_choices = list(self.labels)
        self.objectives: dict[str, str] = {}
        for slug in schema.OBJECTIVES:
            self.objectives[normalise(schema.OBJECTIVE_LABELS[slug])] = slug
            self.objectives[normalise(schema.OBJECTIVE_LABELS_FR[slug])] = slug
        self.objective_choices = sorted(self.objectives, key=len, reverse=True)

    def match(self, header: str) -> MappingEntry:
        from rapidfuzz import fuzz, process

        h = _split_header(header)
        if header.strip() in schema.CODEBOOK:  # a codebook name as written: not a tool's column
            return MappingEntry(header, header.strip(), "name", 1.0)
        raw_key = _squash(header)
        if raw_key in _METADATA_KEYS or any(
            _squash(chunk) in _METADATA_KEYS for chunk in re.split(r"\s+-\s+", h.raw)[:1]
        ):
            return MappingEntry(header, IGNORE, "metadata", 1.0)
        if h.side_item:
            return MappingEntry(
                header, None, "unmatched", 0.0, note="an 'other' or comment field of a question"
            )
        if not h.parts:
            return MappingEntry(header, None, "unmatched", 0.0)
        # codebook names
        for text in [header, *h.candidates()]:
            name = schema.CODEBOOK.match(text) or self.names.get(normalise(text))
            if name is not None:
                return MappingEntry(header, name, "name", 1.0)
        # labels, exactly
        for text in h.candidates():
            hit = self.labels.get(normalise(text))
            if hit is not None:
                return MappingEntry(header, hit[0], hit[1], 1.0)
        # objective items: the stem says importance or attainment, a part names the objective
        objective = self._objective(h, fuzz, process)
        if objective is not None:
            return objective
        # near matches of labels
        best: tuple[float, str] | None = None
        for text in h.candidates():
            found = process.extractOne(
                normalise(text), self.label_choices, scorer=fuzz.ratio, score_cutoff=REVIEW
            )
            if found is not None and (best is None or found[1] > best[0]):
                best = (float(found[1]), found[0])
        if best is None:
            return MappingEntry(header, None, "unmatched", 0.0)
        score, label = best
        name = self.labels[label][0]
        var = schema.CODEBOOK[name]
        confidence = round(score / 100.0, 3)
        if score >= ACCEPT:
            return MappingEntry(header, name, "fuzzy", confidence)
        return MappingEntry(
            header,
            None,
            "fuzzy",
            confidence,
            review=True,
            suggestion=name,
            note=f"near match ({score:.0f}/100) of {name!r}: {var.label_en!r}",
        )

    def _objective(self, h: _Header, fuzz: Any, process: Any) -> MappingEntry | None:
        whole = normalise(h.whole)
        words = set(whole.split())
        importance = bool(words & _IMPORTANCE_WORDS)
        attainment = bool(words & _ATTAINMENT_WORDS)
        slug = None
        score = 0.0
        for text in reversed(h.parts):  # the statement first
            slug = self.objectives.get(normalise(text))
            if slug is not None:
                score = 100.0
                break
        if slug is None:
            padded = f" {whole} "
            for label in self.objective_choices:  # the longest label contained
                if f" {label} " in padded:
                    # inside a longer text rather than a part of its own: not quite exact
                    slug, score = self.objectives[label], 95.0
                    break
        if slug is None and (importance or attainment):
            for text in reversed(h.parts):
                found = process.extractOne(
                    normalise(text),
                    self.objective_choices,
                    scorer=fuzz.ratio,
                    score_cutoff=REVIEW,
                )
                if found is not None and found[1] > score:
                    slug, score = self.objectives[found[0]], float(found[1])
        if slug is None:
            return None
        label = schema.OBJECTIVE_LABELS[slug]
        if importance == attainment:
            what = "both importance and attainment" if importance else "neither importance nor"
            what += " words" if importance else " attainment words"
            return MappingEntry(
                h.raw,
                None,
                "objective_stem",
                round(score / 100.0, 3),
                review=True,
                note=(
                    f"objective {label!r} found, but the question has {what}: "
                    f"imp_{slug} (importance at T1) or att_{slug} (attainment at T2)?"
                ),
            )
        name = f"{'imp' if importance else 'att'}_{slug}"
        confidence = round(score / 100.0, 3)
        if score >= ACCEPT:
            return MappingEntry(h.raw, name, "objective_stem", confidence)
        return MappingEntry(
            h.raw,
            None,
            "objective_stem",
            confidence,
            review=True,
            suggestion=name,
            note=f"near match ({score:.0f}/100) of the objective {label!r}",
        )


_MATCHER: _Matcher | None = None


def _matcher() -> _Matcher:
    global _MATCHER
    if _MATCHER is None:
        _MATCHER = _Matcher()
    return _MATCHER


# --------------------------------------------------------------------------------------------
# proposing


def propose_mapping(table: pd.DataFrame) -> SurveyMapping:
    """Propose how the columns of a survey tool's export map to the codebook.

    Every column gets an entry: its codebook variable (or ``ignore`` for the tool's own
    columns), how it was matched, a confidence, and a table recoding its answers. Doubtful
    matches are marked ``review`` and left out (target None, with a ``suggestion``); of two
    columns on one variable the better is kept and the other marked for review. Answers not
    recognised are listed per column. Nothing is guessed silently: check the proposal
    (:meth:`SurveyMapping.summary`, :meth:`SurveyMapping.to_yaml`) before using it.

    Parameters
    ----------
    table : pandas.DataFrame
        The export as read by :func:`copfactors.io.read_table` (headers combined).

    Returns
    -------
    SurveyMapping

    Raises
    ------
    ParameterTypeError
        ``table`` is not a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> from copfactors.mapping import propose_mapping
    >>> export = pd.DataFrame(
    ...     {
    ...         "ResponseId": ["R_1", "R_2"],
    ...         "Q1 - Community of practice identifier": ["A", "B"],
    ...         "Q6_1 - How important is each objective? - Better quality": [
    ...             "Very important", "Don't know"],
    ...         "Q7 - Hours per week spent on community activity": ["1,5", "2"],
    ...         "Q8 - Knowledge sharing tools": ["x", "y"],
    ...     }
    ... )
    >>> mapping = propose_mapping(export)
    >>> for e in mapping.entries:
    ...     print(e.target, e.method, e.confidence, e.review)
    respondent_id response_id 1.0 False
    cop_id label_en 1.0 False
    imp_quality objective_stem 1.0 False
    hours_per_week fuzzy 0.953 False
    None fuzzy 0.778 True
    >>> mapping.entries[4].suggestion  # a doubtful match: left out until confirmed
    'platform'
    >>> mapping.entries[2].values
    {'Very important': 5, "Don't know": None}
    """
    if not isinstance(table, pd.DataFrame):
        raise ParameterTypeError(
            f"propose_mapping expects a pandas DataFrame, not {type(table).__name__}"
        )
    matcher = _matcher()
    entries: list[MappingEntry] = []
    unrecognised: dict[str, list[str]] = {}
    uniques_of: dict[int, list[object]] = {}
    for i, column in enumerate(table.columns):
        entry = matcher.match(str(column))
        entry.source = str(column)
        name = entry.target if entry.used else entry.suggestion
        if name in schema.CODEBOOK:
            var = schema.CODEBOOK[str(name)]
            uniques = uniques_of.setdefault(i, _distinct(table.iloc[:, i]))
            values, unknown, recognised, total = _recode_answers(var, uniques)
            entry.values = _in_scale_order(var, values)
            if entry.used and entry.confidence < 1.0 and total and recognised < 0.5 * total:
                # a near match whose answers do not fit the variable: not taken silently
                entry.note = (
                    f"near match of {name!r}, but {total - recognised} of its {total} distinct "
                    "answers do not fit it"
                )
                entry.review, entry.suggestion, entry.target = True, name, None
            if unknown and entry.used:
                unrecognised[entry.source] = unknown
        entries.append(entry)
    _settle_duplicates(entries, unrecognised)
    _response_id(entries)
    source = table.attrs.get("source")
    return SurveyMapping(entries, unrecognised, str(source) if source else None)


def _in_scale_order(var: schema.Variable, values: dict[str, Any]) -> dict[str, Any]:
    """A recoding table in the order of the variable's values (missing last), for reading."""

    def rank(item: tuple[str, Any]) -> tuple[int, float]:
        value = item[1]
        if value is None:
            return (1, 0.0)
        if var.type == "category" and value in var.categories:
            return (0, float(var.categories.index(value)))
        if isinstance(value, bool):
            return (0, 0.0 if value else 1.0)
        return (0, float(value)) if _is_plain_number(value) else (0, 0.0)

    return dict(sorted(values.items(), key=rank))


def _distinct(s: pd.Series) -> list[object]:
    try:
        return list(pd.unique(s.dropna()))
    except TypeError:  # unhashable cells
        return list({repr(x): x for x in s.dropna()}.values())


def _settle_duplicates(entries: list[MappingEntry], unrecognised: dict[str, list[str]]) -> None:
    """Of two columns on one variable keep the surer (the first on a tie); review the other."""
    by_target: dict[str, list[MappingEntry]] = {}
    for e in entries:
        if e.used:
            by_target.setdefault(str(e.target), []).append(e)
    for target, group in by_target.items():
        if len(group) < 2:
            continue
        keep = max(group, key=lambda e: e.confidence)  # max keeps the first of equals
        for e in group:
            if e is keep:
                continue
            e.note = (
                f"also matches {target!r}, which column {keep.source!r} holds "
                f"(confidence {keep.confidence}); two columns cannot hold one variable"
            )
            e.review, e.suggestion, e.target = True, target, None
            unrecognised.pop(e.source, None)


def _response_id(entries: list[MappingEntry]) -> None:
    """The tool's response id as respondent_id, when no column holds respondent_id."""
    if any(e.used and e.target == "respondent_id" for e in entries):
        return
    for key in _RESPONSE_IDS:
        for e in entries:
            if e.method == "metadata" and _squash(e.source.split(" - ")[0]) == key:
                e.target, e.method, e.confidence = "respondent_id", "response_id", 1.0
                e.note = "the survey tool's response id (no column holds respondent_id)"
                return


# --------------------------------------------------------------------------------------------
# loading

_ENTRY_FIELDS = (
    "source",
    "target",
    "method",
    "confidence",
    "review",
    "values",
    "suggestion",
    "note",
)
_TOP_FIELDS = ("version", "source", "columns", "unmatched_columns", "unrecognised_values")


def load_mapping(
    mapping: str | os.PathLike[str] | Mapping[str, Any] | SurveyMapping,
    *,
    max_bytes: int = MAX_MAPPING_BYTES,
) -> SurveyMapping:
    """Read and check a survey mapping (a YAML file, its content as a dict, or a mapping).

    Every problem is collected and raised at once: an unknown target, two columns on one
    variable, a recoded value the variable does not allow, a field of the wrong type, a column
    given twice. An entry marked ``review`` is kept out (whatever its target) and named in a
    warning; confirm it by setting ``review: false``.

    Parameters
    ----------
    mapping : str, path-like, dict or SurveyMapping
        A mapping file (YAML, as :meth:`SurveyMapping.save` writes it), YAML text (a string
        with a line break), its content as a dict (``columns``: a list of entries with
        ``source`` and ``target``, and optionally ``values``, ``method``, ``confidence``,
        ``review``, ``suggestion``, ``note``), or a :class:`SurveyMapping` (checked again).
        A file or text is read safely: at most ``max_bytes`` bytes (checked before reading),
        no YAML anchors or aliases, no key given twice in a mapping, at most 50 levels of
        nesting and no integer beyond 2**53; each refusal names the line.
    max_bytes : int, default 5_000_000
        Largest mapping file or text read, in bytes.

    Returns
    -------
    SurveyMapping

    Raises
    ------
    MappingError
        Naming each entry (source column) at fault and what was expected.

    Warns
    -----
    CopFactorsWarning
        Entries marked for review, left out.

    Examples
    --------
    >>> from copfactors.errors import MappingError
    >>> from copfactors.mapping import load_mapping
    >>> mapping = load_mapping({"columns": [
    ...     {"source": "Genre", "target": "gender", "values": {"F": "woman", "H": "man"}}]})
    >>> mapping.targets
    {'Genre': 'gender'}
    >>> try:
    ...     load_mapping({"columns": [{"source": "Genre", "target": "gendre"},
    ...                               {"source": "Q2", "target": "imp_quality",
    ...                                "values": {"Very important": 6}}]})
    ... except MappingError as err:
    ...     print(err)
    2 problems with the mapping:
      - entry 'Genre': target 'gendre' is not a codebook variable; expected a codebook name (did you mean 'gender'?), ignore or null
      - entry 'Q2': values: 'Very important' is recoded to 6; expected an integer from 1 to 5, or null for missing
    """  # noqa: E501
    where = ""
    if isinstance(mapping, SurveyMapping):
        data: Any = mapping.to_dict()
    elif isinstance(mapping, Mapping):
        data = mapping
    elif isinstance(mapping, str | os.PathLike):
        text_given = isinstance(mapping, str) and "\n" in mapping
        text: str | bytes
        if text_given:
            text = str(mapping)
        else:
            path = Path(mapping)
            where = f" in {path}"
            if not path.exists():
                raise MappingError(f"mapping file {path}: no such file")
            text = read_limited(path, max_bytes=max_bytes, error=MappingError, what="mapping file")
        data = load_yaml(text, error=MappingError, source=f"mapping{where}", max_bytes=max_bytes)
    else:
        raise MappingError(
            f"a mapping must be a file, YAML text, a dict or a SurveyMapping, "
            f"not {type(mapping).__name__}"
        )
    return _from_data(data, where)


def _from_data(data: Any, where: str) -> SurveyMapping:
    if not isinstance(data, Mapping):
        raise MappingError(
            f"mapping{where}: expected a mapping with a 'columns' list, got {type(data).__name__}"
        )
    problems: list[str] = []
    for key in data:
        if key not in _TOP_FIELDS:
            problems.append(f"unknown field {short(key)}; expected one of {', '.join(_TOP_FIELDS)}")
    version = data.get("version", _FORMAT_VERSION)
    if version != _FORMAT_VERSION:
        problems.append(f"version {short(version)}; expected {_FORMAT_VERSION}")
    source = data.get("source")
    if source is not None and not isinstance(source, str):
        problems.append(f"source {short(source)}; expected the file name as text")
    columns = data.get("columns")
    if not isinstance(columns, list):
        problems.append(f"columns: {_kind(columns)}; expected a list of entries")
        columns = []
    entries: list[MappingEntry] = []
    seen: dict[str, int] = {}
    for k, item in enumerate(columns, start=1):
        entry = _entry(item, k, problems)
        if entry is None:
            continue
        if entry.source in seen:
            problems.append(
                f"entry {short(entry.source)}: given twice (entries {seen[entry.source]} and {k}); "
                "expected one entry per column"
            )
            continue
        seen[entry.source] = k
        entries.append(entry)
    holders: dict[str, list[str]] = {}
    for e in entries:
        if e.used:
            holders.setdefault(str(e.target), []).append(e.source)
    for target, sources in holders.items():
        if len(sources) > 1:
            problems.append(
                f"entry {short(sources[1])}: target {short(target)} is also the target of "
                + ", ".join(repr(s) for s in sources[:1] + sources[2:])
                + "; expected one column per variable (set the others to ignore)"
            )
    unrecognised: dict[str, list[str]] = {}
    raw_unrecognised = data.get("unrecognised_values") or {}
    if not isinstance(raw_unrecognised, Mapping):
        problems.append(
            f"unrecognised_values: {_kind(raw_unrecognised)}; expected column: list of answers"
        )
    else:
        by_source = {e.source: e for e in entries}
        for column, values in raw_unrecognised.items():
            if not isinstance(values, list):
                problems.append(
                    f"unrecognised_values of {short(column)}: {_kind(values)}; expected a list"
                )
                continue
            entry = by_source.get(str(column))
            filled = {_value_key(v) for v in entry.values} if entry is not None else set()
            left = [_display(v) for v in values if _value_key(v) not in filled]
            if left:
                unrecognised[str(column)] = left
    unmatched = data.get("unmatched_columns")
    if unmatched is not None and not isinstance(unmatched, list):
        problems.append(f"unmatched_columns: {_kind(unmatched)}; expected a list of columns")
    if problems:
        n = len(problems)
        head = f"{n} problem{'s' if n != 1 else ''} with the mapping{where}:"
        lines = ["  - " + p for p in problems[:_MAX_PROBLEMS]]
        if n > _MAX_PROBLEMS:
            lines.append(f"  ... and {n - _MAX_PROBLEMS} more")
        raise MappingError("\n".join([head, *lines]))
    review = [e.source for e in entries if e.review]
    if review:
        warnings.warn(
            f"{len(review)} mapping entr{'ies' if len(review) != 1 else 'y'} marked review "
            f"left out until confirmed (set review: false): {_short_list(review)}",
            CopFactorsWarning,
            stacklevel=3,
        )
    return SurveyMapping(entries, unrecognised, source)


def _kind(value: object) -> str:
    return "missing" if value is None else f"{short(value)} ({type(value).__name__})"


def _entry(item: Any, k: int, problems: list[str]) -> MappingEntry | None:
    """One entry, checked; its problems appended, None if it cannot be read at all."""
    if not isinstance(item, Mapping):
        problems.append(f"entry {k}: {_kind(item)}; expected source, target and values")
        return None
    source = item.get("source")
    if isinstance(source, int | float) and not isinstance(source, bool):
        source = _display(source)
    if not isinstance(source, str) or not source.strip():
        problems.append(f"entry {k}: source {_kind(source)}; expected the column's header")
        return None
    name = f"entry {short(source)}"
    before = len(problems)
    for key in item:
        if key not in _ENTRY_FIELDS:
            problems.append(
                f"{name}: unknown field {short(key)}; expected {', '.join(_ENTRY_FIELDS)}"
            )
    target = item.get("target")
    if target is not None and (
        not isinstance(target, str) or (target != IGNORE and target not in schema.CODEBOOK)
    ):
        problems.append(
            f"{name}: target {short(target)} is not a codebook variable; expected a codebook name"
            + _did_you_mean(target)
            + ", ignore or null"
        )
        target = None
    method = item.get("method", "manual")
    if method not in METHODS:
        problems.append(f"{name}: method {short(method)}; expected one of {', '.join(METHODS)}")
    confidence = item.get("confidence", 1.0)
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float)
        or not 0.0 <= float(confidence) <= 1.0
    ):
        problems.append(f"{name}: confidence {short(confidence)}; expected a number from 0 to 1")
        confidence = 0.0
    review = item.get("review", False)
    if not isinstance(review, bool):
        problems.append(f"{name}: review {short(review)}; expected true or false")
        review = True
    suggestion = item.get("suggestion")
    if suggestion is not None and suggestion not in schema.CODEBOOK:
        problems.append(
            f"{name}: suggestion {short(suggestion)} is not a codebook variable; expected a "
            "codebook name or nothing"
        )
    note = item.get("note")
    if note is not None and not isinstance(note, str):
        problems.append(f"{name}: note {short(note)}; expected text")
    values = item.get("values") or {}
    checked: dict[str, Any] = {}
    if not isinstance(values, Mapping):
        problems.append(f"{name}: values {_kind(values)}; expected answer: codebook value pairs")
    else:
        var_name = target if target not in (None, IGNORE) else suggestion
        var = schema.CODEBOOK[var_name] if var_name in schema.CODEBOOK else None
        for answer, value in values.items():
            answer_text = _display(answer) if answer is not None else ""
            if answer is None or not answer_text:
                problems.append(f"{name}: values: an empty answer; expected the answer as written")
                continue
            if var is not None:
                expected = _check_value(var, value)
                if expected is not None:
                    problems.append(
                        f"{name}: values: {short(answer_text)} is recoded to {short(value)}; "
                        f"expected {expected}, or null for missing"
                    )
                    continue
            checked[answer_text] = value
    if len(problems) > before:
        return None
    return MappingEntry(
        source=source,
        target=target,
        method=str(method),
        confidence=float(confidence) if not isinstance(confidence, bool) else 0.0,
        review=review,
        values=checked,
        suggestion=suggestion,
        note=note,
    )


def _did_you_mean(target: object) -> str:
    if not isinstance(target, str) or not target.strip():
        return ""
    from rapidfuzz import fuzz, process

    found = process.extractOne(
        normalise(target),
        {v.name: normalise(v.name) for v in schema.CODEBOOK},
        scorer=fuzz.ratio,
        score_cutoff=60,
    )
    return f" (did you mean {found[2]!r}?)" if found else ""


def _check_value(var: schema.Variable, value: object) -> str | None:
    """None if a recoded value is allowed for the variable, else what is expected."""
    if value is None:
        return None
    expected = var.expected
    if var.type == "category":
        return None if value in var.categories else expected
    if var.type == "boolean":
        return None if isinstance(value, bool) else "true or false"
    if var.type in ("likert", "integer", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return expected
        number = float(value)
        if not math.isfinite(number) or not _in_range(var, number):
            return expected
        if var.type != "float" and not number.is_integer():
            return expected
        return None
    return None if isinstance(value, str | int) and not isinstance(value, bool) else "text"
