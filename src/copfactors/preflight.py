"""What a survey table supports: which analyses can run on it, and why not.

:func:`readiness` looks at a survey (validated against the codebook first) and returns a
:class:`Readiness`, one row per analysis with ``supported`` and a ``reason``: what the
analysis rests on when it can run ("103 respondents with attainment at T2 in 7 CoPs"), or
what it lacks when it cannot ("the survey has no att_ column").

The analyses
------------
``gender``
    Table 1's layout rebuilt by gender (:func:`copfactors.replicate.group_comparison`). Needs
    a ``gender`` column with women and men, and at least one ``imp_``/``att_`` objective
    column answered by at least :data:`MIN_PER_GENDER` women and as many men (a t-test needs
    two answers per group).
``reliability``
    Reliability of the commitment scale (:func:`copfactors.features.reliability`). Needs at
    least two of ``commitment_1..3`` and :data:`MIN_RELIABILITY_ROWS` rows answering every
    item present, the items varying over them.
``model``
    The ordinal model of attainment (the attainment level at T2 of
    :func:`copfactors.features.attainment` on the driver features). Needs ``att_`` columns
    giving an attainment level to at least :data:`MIN_MODEL_RESPONDENTS` respondents, at
    least two levels observed among them, and at least one driver column (codebook role
    ``driver``) answered by one of them.
``scoring``
    A refit of the attainment model for scoring planned CoPs
    (:func:`copfactors.fit_attainment_model` with the default
    :class:`~copfactors.features.CoPFeatureBuilder`). Needs what ``model`` needs, plus: the
    feature builder, fitted on the respondents with an attainment level, builds at least one
    feature, and at least :data:`MIN_MODEL_RESPONDENTS` of them are complete in every feature
    built (the refit drops incomplete rows), with two levels or more.
``C1`` ... ``C13``
    Each of the paper's claims is testable or not exactly as
    :func:`copfactors.claims.compare_with_paper` decides (it is run, with the fewest
    permutations it allows, and only its "not testable" verdicts are kept). Its reason names
    the columns it rests on (:func:`copfactors.claims.claim_requirements`) or why it cannot be
    tested. The claims fit their attainment model from 10 respondents, so a claim can be
    testable on a survey too small for ``model``.
``claims``
    At least one claim is testable.

Thresholds
----------
:data:`MIN_MODEL_RESPONDENTS` (30): a cumulative link model of five attainment levels has
up to four thresholds besides one coefficient per driver; under about thirty respondents the
estimates and their standard errors are mostly noise and a level is easily separated. The
pipeline and the claims can fit from ten respondents; readiness asks for more before calling
the model supported. :data:`MIN_RELIABILITY_ROWS` (10): reliability itself needs three
complete rows, but with fewer than ten the Feldt interval of Cronbach's alpha for three items
spans about half of [0, 1].

Examples
--------
>>> import pandas as pd
>>> from copfactors.preflight import readiness
>>> ready = readiness(pd.DataFrame({"respondent_id": ["r1", "r2"], "cop_id": ["A", "A"]}))
>>> ready.nothing_beyond_ids, ready.supports("model")
(True, False)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import pandas as pd

from copfactors._utils.render import Result, render_table
from copfactors.claims import claim_requirements
from copfactors.errors import CopFactorsError, ParameterError, ParameterTypeError, ReadinessError

__all__ = [
    "ANALYSES",
    "MIN_MODEL_RESPONDENTS",
    "MIN_PER_GENDER",
    "MIN_RELIABILITY_ROWS",
    "READINESS_COLUMNS",
    "Readiness",
    "readiness",
]

#: Fewest respondents with an attainment level at T2 for ``model`` and ``scoring``.
MIN_MODEL_RESPONDENTS = 30
#: Fewest rows answering every commitment item present for ``reliability``.
MIN_RELIABILITY_ROWS = 10
#: Fewest answers of women, and of men, to one objective column for ``gender``.
MIN_PER_GENDER = 2

_CLAIM_IDS: tuple[str, ...] = tuple(claim_requirements())

#: The analyses, in the order of :attr:`Readiness.table` (and the names :meth:`Readiness.require`
#: accepts).
ANALYSES: tuple[str, ...] = ("gender", "reliability", "model", "scoring", "claims", *_CLAIM_IDS)

#: Columns of :attr:`Readiness.table`.
READINESS_COLUMNS: tuple[str, ...] = ("analysis", "supported", "reason")

_WHAT = {
    "gender": "Table 1's layout by gender",
    "reliability": "reliability of the commitment scale",
    "model": "ordinal model of attainment",
    "scoring": "refit of the attainment model for scoring planned CoPs",
    "claims": "at least one of the paper's claims C1-C13",
}
_COMMITMENT = ("commitment_1", "commitment_2", "commitment_3")


# ---------------------------------------------------------------------------------------------
# the result
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Readiness(Result):
    """What one survey supports (see :func:`readiness`).

    A :class:`~copfactors.report.Result`: ``to_text``, ``to_html``, ``to_latex`` and
    ``print_summary`` come from :meth:`render`; :meth:`to_frame` is a copy of :attr:`table`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per analysis of :data:`ANALYSES`, with ``analysis``, ``supported`` (bool) and
        ``reason`` (what it rests on, or why it cannot run).
    n_respondents, n_cops : int
        Rows and distinct ``cop_id`` of the survey.
    simulated : bool
        Whether the survey is marked simulated (``survey.attrs["simulated"]``).
    source : str
        Where the survey came from, as far as known.

    Examples
    --------
    >>> from copfactors.datasets import load_example_survey
    >>> ready = readiness(load_example_survey())
    >>> ready.supports("gender"), ready.supports("C3"), ready.nothing_beyond_ids
    (True, True, False)
    >>> ready.to_frame().columns.tolist()
    ['analysis', 'supported', 'reason']
    >>> ready.to_html().startswith("<table"), "tabular" in ready.to_latex()
    (True, True)
    """

    table: pd.DataFrame
    n_respondents: int
    n_cops: int
    simulated: bool = False
    source: str = "a DataFrame"

    @property
    def supported(self) -> tuple[str, ...]:
        """Names of the supported analyses, in table order."""
        return tuple(self.table.loc[self.table["supported"], "analysis"])

    @property
    def nothing_beyond_ids(self) -> bool:
        """True when the survey supports no analysis at all (as a table of ids only).

        Examples
        --------
        >>> import pandas as pd
        >>> ids = pd.DataFrame({"respondent_id": ["1"], "cop_id": ["A"], "gender": ["woman"]})
        >>> readiness(ids).nothing_beyond_ids
        True
        """
        return not bool(self.table["supported"].any())

    def _row(self, name: str) -> pd.Series:
        if not isinstance(name, str):
            raise ParameterTypeError(
                f"an analysis name must be a string, got {type(name).__name__}"
            )
        if name not in ANALYSES:
            raise ParameterError(f"unknown analysis {name!r}; known: {', '.join(ANALYSES)}")
        return self.table.loc[self.table["analysis"] == name].iloc[0]

    def supports(self, name: str) -> bool:
        """Whether the survey supports one analysis.

        Parameters
        ----------
        name : str
            One of :data:`ANALYSES`: ``"gender"``, ``"reliability"``, ``"model"``,
            ``"scoring"``, ``"claims"`` (at least one claim testable) or ``"C1"`` ... ``"C13"``.

        Raises
        ------
        ParameterError
            For an unknown name.

        Examples
        --------
        >>> import pandas as pd
        >>> readiness(pd.DataFrame({"respondent_id": ["1"], "cop_id": ["A"]})).supports("C8")
        False
        """
        return bool(self._row(name)["supported"])

    def reason(self, name: str) -> str:
        """What one analysis rests on, or why the survey does not support it.

        Examples
        --------
        >>> import pandas as pd
        >>> readiness(pd.DataFrame({"respondent_id": ["1"], "cop_id": ["A"]})).reason("gender")
        'the survey has no gender column'
        """
        return str(self._row(name)["reason"])

    def require(self, names: list[str] | str) -> Readiness:
        """Raise unless the survey supports every named analysis.

        Parameters
        ----------
        names : list of str
            Names of :data:`ANALYSES` (a single name is accepted too).

        Returns
        -------
        Readiness
            ``self``, when everything required is supported.

        Raises
        ------
        ReadinessError
            Naming each required analysis that is not supported, with its reason.
        ParameterError
            For an unknown name or an empty list.

        Examples
        --------
        >>> import pandas as pd
        >>> from copfactors.errors import ReadinessError
        >>> ready = readiness(pd.DataFrame({"respondent_id": ["1"], "cop_id": ["A"]}))
        >>> try:
        ...     ready.require(["gender", "C8"])
        ... except ReadinessError as err:
        ...     print(err)
        the survey does not support 2 required analyses:
          - gender: the survey has no gender column
          - C8: the survey lacks gender; hours_per_week
        """
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list | tuple):
            raise ParameterTypeError(
                f"names must be a list of analysis names, got {type(names).__name__}"
            )
        if not names:
            raise ParameterError(f"names is empty; give at least one of {', '.join(ANALYSES)}")
        missing = [
            (name, self.reason(name)) for name in dict.fromkeys(names) if not self.supports(name)
        ]
        if missing:
            n = len(missing)
            lines = [
                f"the survey does not support {n} required analys{'es' if n != 1 else 'is'}:",
                *(f"  - {name}: {why}" for name, why in missing),
            ]
            raise ReadinessError("\n".join(lines))
        return self

    def header(self) -> dict[str, str]:
        """The facts shown above the table."""
        n_yes = int(self.table["supported"].sum())
        return {
            "Data": ("SIMULATED survey" if self.simulated else "survey not marked as simulated"),
            "Source": self.source,
            "Respondents": str(self.n_respondents),
            "CoPs": str(self.n_cops),
            "Supported": f"{n_yes} of {len(self.table)} analyses",
        }

    def to_frame(self) -> pd.DataFrame:
        """The readiness table (a copy of :attr:`table`), one row per analysis.

        Examples
        --------
        >>> import pandas as pd
        >>> ready = readiness(pd.DataFrame({"respondent_id": ["1"], "cop_id": ["A"]}))
        >>> ready.to_frame()["analysis"].tolist()[:5]
        ['gender', 'reliability', 'model', 'scoring', 'claims']
        """
        return self.table.copy()

    def render(self, style: str = "text", digits: int | None = None, **options: Any) -> str:
        """Render the table with its header facts and a legend of the analyses.

        Parameters
        ----------
        style : {"text", "html", "latex"}
            Output format.
        digits : int, optional
            Decimals of numbers (the table holds text; accepted for the protocol).
        **options
            None are used (accepted for the :class:`~copfactors.report.Result` protocol).

        Returns
        -------
        str
        """
        notes = [f"{name}: {what}" for name, what in _WHAT.items()]
        notes.append("C1-C13: the paper's claims, testable as copfactors.claims decides")
        return render_table(
            self.table,
            title="What the survey supports",
            header=self.header(),
            style=style,
            digits=self._digits(digits),
            formatters={"supported": lambda v: "yes" if v else "no"},
            notes=notes,
        )

    def __repr__(self) -> str:
        yes = ", ".join(self.supported) or "nothing"
        return f"Readiness(n={self.n_respondents}, supports: {yes})"


# ---------------------------------------------------------------------------------------------
# the checks
# ---------------------------------------------------------------------------------------------
def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _objective_columns(survey: pd.DataFrame, prefix: str) -> list[str]:
    from copfactors.schema import OBJECTIVES

    return [f"{prefix}{o}" for o in OBJECTIVES if f"{prefix}{o}" in survey.columns]


def _gender(survey: pd.DataFrame) -> tuple[bool, str]:
    if "gender" not in survey.columns:
        return False, "the survey has no gender column"
    gender = survey["gender"].astype("string")
    women = gender.eq("woman").fillna(False).to_numpy(dtype=bool)
    men = gender.eq("man").fillna(False).to_numpy(dtype=bool)
    if not women.any() or not men.any():
        lacking = "no woman" if not women.any() else "no man"
        return False, f"gender has {lacking}; the comparison needs both women and men"
    imp, att = _objective_columns(survey, "imp_"), _objective_columns(survey, "att_")
    if not imp and not att:
        return False, "the survey has no imp_ or att_ objective column"
    testable = 0
    for column in imp + att:
        answered = survey[column].notna().to_numpy(dtype=bool)
        if (answered & women).sum() >= MIN_PER_GENDER and (answered & men).sum() >= MIN_PER_GENDER:
            testable += 1
    columns = f"{len(imp)} imp_ and {len(att)} att_ columns"
    if testable == 0:
        return False, (
            f"{columns}, but none is answered by at least {MIN_PER_GENDER} women and "
            f"{MIN_PER_GENDER} men"
        )
    return True, (
        f"{_plural(int(women.sum()), 'woman', 'women')} and "
        f"{_plural(int(men.sum()), 'man', 'men')}; "
        f"{columns}, {testable} answered by at least {MIN_PER_GENDER} women and "
        f"{MIN_PER_GENDER} men"
    )


def _reliability(survey: pd.DataFrame) -> tuple[bool, str]:
    from copfactors.errors import ScaleError
    from copfactors.features import reliability

    items = [c for c in _COMMITMENT if c in survey.columns]
    if len(items) < 2:
        have = f"only 1 commitment item ({items[0]})" if items else "no commitment item"
        return False, f"{have}; the scale needs at least 2 of {', '.join(_COMMITMENT)}"
    complete = int(survey[items].notna().all(axis=1).sum())
    if complete < MIN_RELIABILITY_ROWS:
        return False, (
            f"only {_plural(complete, 'row')} answer every commitment item "
            f"({', '.join(items)}); needs at least {MIN_RELIABILITY_ROWS}"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = reliability(survey[items].astype("Float64"))
        except ScaleError as err:
            return False, str(err)
    return True, (
        f"{len(items)} commitment items ({', '.join(items)}), {complete} complete rows; "
        f"Cronbach's alpha {res.alpha:.2f}"
    )


@dataclass
class _Outcome:
    """Attainment levels at T2 (or why there are none)."""

    level: pd.Series | None
    why: str = ""


def _attainment(survey: pd.DataFrame) -> _Outcome:
    from copfactors.features import attainment

    if not _objective_columns(survey, "att_"):
        return _Outcome(None, "the survey has no att_ column (attainment at T2 is the outcome)")
    level = attainment(survey, kind="ordinal")
    return _Outcome(level[level.notna()].astype("int64"))


def _cops(survey: pd.DataFrame, index: pd.Index) -> int:
    if "cop_id" not in survey.columns:
        return 0
    return int(survey.loc[index, "cop_id"].nunique(dropna=True))


def _levels_text(y: pd.Series) -> str:
    levels = sorted(int(v) for v in pd.unique(y))
    return f"level{'s' if len(levels) != 1 else ''} {', '.join(map(str, levels))}"


def _model(survey: pd.DataFrame, outcome: _Outcome) -> tuple[bool, str]:
    from copfactors.schema import CODEBOOK

    if outcome.level is None:
        return False, outcome.why
    y = outcome.level
    n = len(y)
    if n < MIN_MODEL_RESPONDENTS:
        return False, (
            f"only {_plural(n, 'respondent')} with attainment at T2; the model needs at least "
            f"{MIN_MODEL_RESPONDENTS}"
        )
    if y.nunique() < 2:
        return False, (
            f"every one of the {n} respondents with attainment at T2 is at {_levels_text(y)}; "
            "the model needs at least 2 levels"
        )
    drivers = [
        v.name
        for v in CODEBOOK.by_role("driver")
        if v.name in survey.columns and survey.loc[y.index, v.name].notna().any()
    ]
    if not drivers:
        return False, (
            f"{_plural(n, 'respondent')} with attainment at T2, but no driver column answered "
            f"by them (one of {', '.join(v.name for v in CODEBOOK.by_role('driver'))})"
        )
    return True, (
        f"{_plural(n, 'respondent')} with attainment at T2 in "
        f"{_plural(_cops(survey, y.index), 'CoP')} ({_levels_text(y)}); "
        f"{_plural(len(drivers), 'driver column')}"
    )


def _scoring(survey: pd.DataFrame, outcome: _Outcome, model: tuple[bool, str]) -> tuple[bool, str]:
    from copfactors.claims import MIN_CLUSTERS
    from copfactors.features import CoPFeatureBuilder

    if not model[0]:
        return False, f"needs the model: {model[1]}"
    assert outcome.level is not None
    y_all = outcome.level
    rows = survey.loc[y_all.index]
    builder = CoPFeatureBuilder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            X = builder.fit(rows).transform(rows)
        except CopFactorsError as err:
            return False, f"the feature builder cannot build the drivers: {err}"
    if X.shape[1] == 0:
        return False, (
            "the feature builder builds no feature: every column it reads is absent, empty or "
            "constant among the respondents with attainment at T2"
        )
    y = y_all.loc[X.index]
    n = len(y)
    if n < MIN_MODEL_RESPONDENTS:
        return False, (
            f"only {n} of the {len(y_all)} respondents with attainment at T2 are complete in "
            f"every driver the feature builder uses ({', '.join(X.columns)}); the refit needs at "
            f"least {MIN_MODEL_RESPONDENTS} (leave out sparse columns, or impute)"
        )
    if y.nunique() < 2:
        return False, (
            f"the {n} respondents complete in every driver are all at {_levels_text(y)}; the "
            "refit needs at least 2 levels"
        )
    n_cops = _cops(survey, X.index)
    cov = (
        f"cluster-robust by CoP ({n_cops} CoPs)"
        if n_cops >= MIN_CLUSTERS
        else f"robust standard errors (only {_plural(n_cops, 'CoP')}, fewer than {MIN_CLUSTERS})"
    )
    return True, (
        f"{_plural(X.shape[1], 'feature')} from the default feature builder, complete for {n} of "
        f"the {len(y_all)} respondents with attainment at T2; {cov}"
    )


def _rests_on(survey: pd.DataFrame, variables: tuple[str, ...]) -> str:
    parts = []
    for name in variables:
        if name in ("att_*", "imp_*") and any(
            v.startswith(name[:4]) for v in variables if v != name
        ):
            continue  # the claim names its objective columns (C13)
        if name in ("att_*", "imp_*"):
            k = len(_objective_columns(survey, name[:4]))
            if k:
                parts.append(f"{k} {name[:4]} column{'s' if k != 1 else ''}")
        elif name in survey.columns:
            parts.append(name)
    return "rests on " + ", ".join(parts)


def _claims(survey: pd.DataFrame) -> list[tuple[str, bool, str]]:
    from copfactors.claims import compare_with_paper, paper_claims

    requirements = claim_requirements()
    variables = dict(zip(paper_claims()["id"], paper_claims()["variables"], strict=True))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # only "not testable" is read: the fewest permutations the rules allow will do
            verdicts = compare_with_paper(survey, n_permutations=19).table
    except CopFactorsError as err:
        why = " ".join(f"the claims could not be evaluated: {err}".split())
        return [(cid, False, why) for cid in requirements]
    out = []
    for rec in verdicts.itertuples(index=False):
        if rec.verdict == "not testable":
            out.append((rec.id, False, str(rec.evidence)))
        else:
            out.append((rec.id, True, _rests_on(survey, variables[rec.id])))
    return out


def readiness(survey: pd.DataFrame) -> Readiness:
    """Say which analyses a survey table supports, and why or why not.

    Parameters
    ----------
    survey : pandas.DataFrame
        A survey table with the codebook's columns (only ``respondent_id`` and ``cop_id`` are
        required). It is validated against the codebook first
        (:func:`copfactors.schema.validate`); a column without any answer counts as absent.

    Returns
    -------
    Readiness
        One row per analysis of :data:`ANALYSES` (see the module's notes for what each one
        needs), with :meth:`~Readiness.supports`, :meth:`~Readiness.require` and
        :attr:`~Readiness.nothing_beyond_ids`.

    Raises
    ------
    copfactors.errors.SchemaError
        If the table does not follow the codebook.
    copfactors.errors.ParameterTypeError
        If ``survey`` is not a DataFrame.

    Notes
    -----
    The claims are held against the survey by :func:`copfactors.claims.compare_with_paper`
    (with 19 permutations, the fewest it allows; only whether each claim is testable is kept),
    so the verdict "testable" here is exactly theirs; on a large survey this is the slowest
    part.

    Examples
    --------
    >>> from copfactors.datasets import load_example_survey
    >>> survey = load_example_survey().drop(columns=[c for c in load_example_survey().columns
    ...                                              if c.startswith("att_")])
    >>> ready = readiness(survey)
    >>> ready.supports("model"), ready.reason("model")
    (False, 'the survey has no att_ column (attainment at T2 is the outcome)')
    >>> ready.supports("gender"), ready.supports("C8"), ready.supports("C1")
    (True, True, False)
    """
    from copfactors.schema import validate

    if not isinstance(survey, pd.DataFrame):
        raise ParameterTypeError(
            f"readiness expects a survey DataFrame, not {type(survey).__name__}"
        )
    attrs = dict(survey.attrs)
    survey = validate(survey, source=str(attrs["source"]) if attrs.get("source") else None)
    empty = [c for c in survey.columns if survey[c].isna().all()]
    if empty:
        survey = survey.drop(columns=empty)
    survey.attrs = attrs

    rows: list[tuple[str, bool, str]] = []
    rows.append(("gender", *_gender(survey)))
    rows.append(("reliability", *_reliability(survey)))
    outcome = _attainment(survey)
    model = _model(survey, outcome)
    rows.append(("model", *model))
    rows.append(("scoring", *_scoring(survey, outcome, model)))
    claims = _claims(survey)
    n_testable = sum(ok for _, ok, _ in claims)
    if n_testable:
        ids = ", ".join(cid for cid, ok, _ in claims if ok)
        rows.append(("claims", True, f"{n_testable} of {len(claims)} claims testable ({ids})"))
    else:
        rows.append(("claims", False, f"none of the {len(claims)} claims is testable"))
    rows.extend(claims)
    table = pd.DataFrame(rows, columns=list(READINESS_COLUMNS))
    table["supported"] = table["supported"].astype(bool)
    order = {name: i for i, name in enumerate(ANALYSES)}
    table = table.sort_values("analysis", key=lambda s: s.map(order)).reset_index(drop=True)
    source = str(attrs.get("source") or attrs.get("mode") or "a DataFrame")
    return Readiness(
        table=table,
        n_respondents=len(survey),
        n_cops=int(survey["cop_id"].nunique(dropna=True)),
        simulated=bool(attrs.get("simulated", False)),
        source=source,
    )
