"""Driver features, attainment outcomes and scale reliability from a CoP survey.

Three things turn a survey (one row per respondent, the codebook's column names) into what the
models need:

* :class:`CoPFeatureBuilder`, a scikit-learn transformer that builds the driver columns ``X``
  (commitment scale score, steward, voluntary participation, hours per week, support,
  recognition, sponsor, demographics, ...) with explicit reference levels and an explicit
  missing-value policy, and reports what it built, dropped and imputed;
* :func:`attainment` and :func:`attainment_long`, the outcome ``y``: a respondent's attainment
  of the CoP's objectives at T2 (ordinal 1-5, binary or a mean index), or one row per
  respondent and objective;
* :func:`reliability`, the reliability of a multi-item scale (Cronbach's alpha with Feldt's
  confidence interval, McDonald's omega total, item statistics), checked against R's ``psych``.

Examples
--------
>>> import pandas as pd
>>> from copfactors.features import CoPFeatureBuilder, attainment
>>> survey = pd.DataFrame(
...     {
...         "commitment_1": [4, 5, 2, 3],
...         "commitment_2": [4, 4, 3, None],
...         "steward_type": ["dedicated", "none", "designated", "none"],
...         "voluntary": [True, True, False, True],
...         "att_learning": [4, 5, 2, 3],
...         "att_quality": [5, 4, 2, 4],
...     }
... )
>>> X = CoPFeatureBuilder().fit_transform(survey)
>>> list(X.columns)
['commitment', 'steward_designated', 'steward_dedicated', 'voluntary']
>>> attainment(survey).tolist()
[5, 5, 2, 4]
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats
from sklearn.base import BaseEstimator, TransformerMixin

from copfactors import schema as _schema
from copfactors._utils import formulas as _formulas
from copfactors._utils.render import Result, format_number, render_table
from copfactors.errors import (
    CopFactorsError,
    CopFactorsWarning,
    FeatureError,
    NotFittedError,
    ScaleError,
)

__all__ = [
    "DEFAULT_GROUPS",
    "FEATURE_GROUPS",
    "OBJECTIVE_SLUGS",
    "REFERENCE_LEVELS",
    "CoPFeatureBuilder",
    "ReliabilityResult",
    "attainment",
    "attainment_long",
    "reliability",
]

#: The 15 objectives of the paper's Table 1, in table order (``imp_<slug>``, ``att_<slug>``).
OBJECTIVE_SLUGS: tuple[str, ...] = _schema.OBJECTIVES

_COMMITMENT_ITEMS = ("commitment_1", "commitment_2", "commitment_3")


@dataclass(frozen=True)
class _Group:
    """One feature group: the codebook column(s) it reads and how it encodes them."""

    name: str
    kind: Literal["scale", "likert", "count", "hours", "boolean", "category", "number"]
    columns: tuple[str, ...]
    levels: tuple[str, ...] = ()
    reference: str | None = None
    prefix: str | None = None
    default: bool = True


_GROUPS: tuple[_Group, ...] = (
    _Group("commitment", "scale", _COMMITMENT_ITEMS),
    _Group("steward_active", "likert", ("steward_active",)),
    _Group(
        "steward_type",
        "category",
        ("steward_type",),
        ("none", "designated", "dedicated"),
        "none",
        "steward",
    ),
    _Group("leader_changes", "count", ("leader_changes",)),
    _Group("voluntary", "boolean", ("voluntary",)),
    _Group("prior_acquaintance", "likert", ("prior_acquaintance",)),
    _Group("hours_per_week", "hours", ("hours_per_week",)),
    _Group("training_received", "boolean", ("training_received",)),
    _Group("org_support", "likert", ("org_support",)),
    _Group("employer_recognition", "likert", ("employer_recognition",)),
    _Group("peer_recognition", "likert", ("peer_recognition",)),
    _Group("tech_mastery", "likert", ("tech_mastery",)),
    _Group(
        "sponsor",
        "category",
        ("sponsor",),
        ("employer", "professional_association", "inter_organisational"),
        "employer",
        "sponsor",
    ),
    _Group("gender", "category", ("gender",), ("woman", "man"), "man", "gender"),
    _Group("age_band", "category", ("age_band",), ("under_35", "35_49", "50_plus"), "35_49", "age"),
    _Group(
        "schooling",
        "category",
        ("schooling",),
        ("secondary", "college", "university", "graduate"),
        "secondary",
        "schooling",
        default=False,
    ),
    _Group("language", "category", ("language",), ("fr", "en"), "fr", "language", default=False),
)
_GROUP_BY_NAME = {g.name: g for g in _GROUPS}

#: Every feature group the builder knows, in output order.
FEATURE_GROUPS: tuple[str, ...] = tuple(g.name for g in _GROUPS)
#: Groups built by default (``schooling`` and ``language`` are opt-in through ``include``).
DEFAULT_GROUPS: tuple[str, ...] = tuple(g.name for g in _GROUPS if g.default)
#: Reference (left-out) level of each categorical group.
REFERENCE_LEVELS: dict[str, str] = {
    g.name: g.reference for g in _GROUPS if g.kind == "category" and g.reference is not None
}

_TRUE_STRINGS = {"true", "1", "yes"}
_FALSE_STRINGS = {"false", "0", "no"}


# ---------------------------------------------------------------------------------------------
# cleaning helpers
# ---------------------------------------------------------------------------------------------
def _rows_of(index: pd.Index, mask: np.ndarray, limit: int = 5) -> str:
    labels = [repr(v) if isinstance(v, str) else str(v) for v in index[mask][:limit]]
    more = int(mask.sum()) - len(labels)
    return ", ".join(labels) + (f" and {more} more" if more > 0 else "")


def _values_of(values: Iterable[Any], limit: int = 5) -> str:
    uniq = list(dict.fromkeys(values))
    shown = ", ".join(repr(v) for v in uniq[:limit])
    return shown + (f" and {len(uniq) - limit} more" if len(uniq) > limit else "")


def _is_missing(series: pd.Series) -> np.ndarray:
    return series.isna().to_numpy(dtype=bool)


def _as_numeric(
    series: pd.Series,
    column: str,
    *,
    low: float | None = None,
    high: float | None = None,
    integer: bool = False,
    what: str = "a number",
) -> np.ndarray:
    """Float array of a numeric column (NaN where missing); raise naming bad values and rows."""
    s = series
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if pd.api.types.is_bool_dtype(s.dtype):
        raise FeatureError(f"column {column!r} holds booleans where {what} is expected")
    missing = _is_missing(s)
    if pd.api.types.is_numeric_dtype(s.dtype):
        out = s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    else:
        ok = np.array(
            [
                m or (isinstance(v, numbers.Real) and not isinstance(v, bool))
                for v, m in zip(s.to_numpy(dtype=object), missing, strict=True)
            ],
            dtype=bool,
        )
        if not ok.all():
            bad = s.to_numpy(dtype=object)[~ok]
            raise FeatureError(
                f"column {column!r} is not numeric: values {_values_of(bad)} "
                f"in rows {_rows_of(s.index, ~ok)}; expected {what}"
            )
        out = np.array([np.nan if m else float(v) for v, m in zip(s, missing, strict=True)])
    out = out.astype(float, copy=False)
    finite = np.isfinite(out) | missing
    bad = ~finite
    if low is not None:
        bad |= ~missing & (out < low)
    if high is not None:
        bad |= ~missing & (out > high)
    if integer:
        with np.errstate(invalid="ignore"):
            bad |= ~missing & np.isfinite(out) & (out != np.round(out))
    if bad.any():
        raise FeatureError(
            f"column {column!r} has values outside what the codebook allows "
            f"({what}): {_values_of(out[bad].tolist())} in rows {_rows_of(s.index, bad)}"
        )
    return out


def _as_boolean(series: pd.Series, column: str) -> np.ndarray:
    """0.0/1.0 array of a boolean column (NaN where missing)."""
    s = series
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    missing = _is_missing(s)
    out = np.full(len(s), np.nan)
    bad = np.zeros(len(s), dtype=bool)
    for i, (v, m) in enumerate(zip(s.to_numpy(dtype=object), missing, strict=True)):
        if m:
            continue
        if isinstance(v, bool | np.bool_):
            out[i] = float(v)
        elif isinstance(v, numbers.Real) and float(v) in (0.0, 1.0):
            out[i] = float(v)
        elif isinstance(v, str) and v.strip().lower() in _TRUE_STRINGS | _FALSE_STRINGS:
            out[i] = float(v.strip().lower() in _TRUE_STRINGS)
        else:
            bad[i] = True
    if bad.any():
        raise FeatureError(
            f"column {column!r} is not boolean: values "
            f"{_values_of(s.to_numpy(dtype=object)[bad])} in rows {_rows_of(s.index, bad)}; "
            "expected True/False (or 1/0)"
        )
    return out


def _as_category(series: pd.Series, column: str, levels: Sequence[str]) -> np.ndarray:
    """Object array of level strings (None where missing); raise on levels the codebook lacks."""
    missing = _is_missing(series)
    raw = series.astype(object).to_numpy(dtype=object)
    out = np.array([None if m else str(v) for v, m in zip(raw, missing, strict=True)], dtype=object)
    bad = np.array([v is not None and v not in levels for v in out], dtype=bool)
    if bad.any():
        raise FeatureError(
            f"column {column!r} has values the codebook does not allow: "
            f"{_values_of(out[bad])} in rows {_rows_of(series.index, bad)}; "
            f"allowed: {', '.join(levels)}"
        )
    return out


def _require_frame(X: Any, what: str) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise FeatureError(
            f"{what} needs a pandas DataFrame with the codebook's column names, "
            f"got {type(X).__name__}"
        )
    if X.columns.has_duplicates:
        dup = X.columns[X.columns.duplicated()].unique().tolist()
        raise FeatureError(f"{what}: duplicated column names {dup}")
    return X


# ---------------------------------------------------------------------------------------------
# CoPFeatureBuilder
# ---------------------------------------------------------------------------------------------
def _group_names(value: str | Iterable[str] | None, param: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        if value == "all":
            return list(FEATURE_GROUPS)
        value = [value]
    names = list(value)
    unknown = [n for n in names if n not in _GROUP_BY_NAME]
    if unknown:
        raise FeatureError(
            f"{param}: unknown feature group(s) {unknown}; "
            f"known groups: {', '.join(FEATURE_GROUPS)}"
        )
    return names


class CoPFeatureBuilder(TransformerMixin, BaseEstimator):
    """Build the driver columns of a CoP survey, with explicit references and missing policy.

    From the codebook's columns that are present, in this order (feature group, as named by
    ``include`` and ``exclude``, then the features built):

    * ``commitment``: ``commitment``, the mean of the answered ``commitment_1..3`` items (with
      ``commitment="items"``, the items ``commitment_1..3`` themselves);
    * ``steward_active``: the Likert rating 1-5;
    * ``steward_type``: ``steward_designated``, ``steward_dedicated``; reference ``none`` (no
      steward);
    * ``leader_changes``: the count;
    * ``voluntary``: 0/1;
    * ``prior_acquaintance``: the Likert rating;
    * ``hours_per_week``: hours per week (``log1p_hours_per_week`` with ``hours_log1p=True``);
    * ``training_received``: 0/1;
    * ``org_support``, ``employer_recognition``, ``peer_recognition``, ``tech_mastery``: the
      Likert ratings;
    * ``sponsor``: ``sponsor_professional_association``, ``sponsor_inter_organisational``;
      reference ``employer``;
    * ``gender``: ``gender_woman``; reference ``man``;
    * ``age_band``: ``age_under_35``, ``age_50_plus``; reference ``35_49``, the largest band
      in the paper (60 % of respondents);
    * ``schooling`` (opt-in): ``schooling_college``, ``schooling_university``,
      ``schooling_graduate``; reference ``secondary``, the lowest level, so each coefficient
      compares a higher level with it;
    * ``language`` (opt-in): ``language_en``; reference ``fr``.

    The free-text columns ``professional_category`` and ``platform`` are not encoded (unless
    named in ``extra``).

    Your own variables: every column named in ``extra`` (a survey column the codebook does not
    know, or a codebook column that no built group reads) is added after these, in the order
    given, feature group named as the column:

    * a numeric column as it is (a number, no range check), named as the column; missing values
      follow ``missing`` like the other numeric drivers (``"impute"``: the median);
    * a boolean column as 0/1 (``"impute"``: the most frequent value);
    * any other column (text, or a pandas Categorical) as treatment dummies
      ``<column>_<level>``, as the codebook's categories. The reference (left-out) level is
      the **first** level: the first category of a pandas Categorical (its order kept),
      otherwise the first in sorted (alphabetical) order of the values as text, the rule of
      :mod:`copfactors.formula` (R's ``factor``). Make the column a Categorical to choose.

    The kind and levels learned at fit are in :attr:`extra_groups_` (and written to model
    files), so :meth:`transform` of new rows encodes them the same way.

    Your own model: ``formula`` is a right-hand side such as ``"commitment * voluntary +
    np.log1p(hours_per_week)"`` (the rules and allow-list of :mod:`copfactors.formula`, checked
    before anything is evaluated), evaluated on the features built above plus the raw
    ``extra`` columns (so ``C(team)`` reads the text column ``team``). Its design columns
    (without an intercept) **replace** the builder's output: the formula chooses the drivers,
    interactions included. Factor levels and the state of ``center``/``scale`` are learned at
    :meth:`fit` and reused by :meth:`transform` (and written to model files as data).

    Parameters
    ----------
    missing : {"drop", "impute"}, default "drop"
        ``"drop"``: :meth:`transform` returns only the rows complete in every input it uses (the
        index tells which rows remain, so align ``y`` with ``y.loc[X.index]``). ``"impute"``:
        missing values are filled with what :meth:`fit` learned, the median for numbers and
        Likert ratings (and the commitment score) and the most frequent value for booleans and
        categories (ties go to the first level in codebook order, ``False`` before ``True``).
        Either way the counts are in :attr:`missing_report_` (fit) and
        :attr:`transform_missing_report_` (last transform).
    hours_log1p : bool, default False
        Use ``log1p(hours_per_week)``, named ``log1p_hours_per_week`` so that a coefficient
        table says which scale it is on.
    commitment : {"mean", "items"}, default "mean"
        ``"mean"``: one ``commitment`` feature, the mean of the answered items (missing only when
        no item is answered). ``"items"``: each item as its own feature.
    include : str or list of str, optional
        Feature groups to build on top of :data:`DEFAULT_GROUPS`, e.g. ``["schooling",
        "language"]``; ``"all"`` builds every group.
    exclude : str or list of str, optional
        Feature groups not to build.
    extra : str or list of str, optional
        Your own survey columns to add as drivers (see above). Not allowed: a column that a
        built group reads (``steward_type``, ``commitment_1``, ...), an attainment outcome
        (``att_*``), a name twice, or a column that would give a feature name already built.
    formula : str, optional
        A formula right-hand side (``"a * b + np.log1p(c)"``; a leading ``~`` is allowed)
        over the built features and the ``extra`` columns; its design columns are the output.

    Attributes
    ----------
    feature_names_out_ : numpy.ndarray of str
        Names of the built features, in output order.
    reference_levels_ : dict
        Reference level of each categorical group built.
    report_ : pandas.DataFrame
        One row per requested feature group: ``group``, ``columns`` (inputs read), ``status``
        (``built``, ``absent``, ``all missing``, ``constant``), ``features`` (built) and ``note``
        (for example the features dropped because they were constant in the training data: a
        model cannot estimate them).
    missing_report_ : pandas.DataFrame
        Missing values at fit: ``column``, ``n_missing``, ``action``, ``fill_value``.
    transform_missing_report_ : pandas.DataFrame
        The same for the last call of :meth:`transform`.
    n_rows_dropped_ : int
        Rows that ``missing="drop"`` left out of the training data.
    scale_reliability_ : dict
        ``{"commitment": ReliabilityResult}`` when at least two commitment items are present
        and the reliability can be computed on the training data.
    extra_groups_ : dict
        For each ``extra`` column, ``{"kind": "number" | "boolean" | "category", "levels":
        [...]}`` (the levels, reference first, for a category; empty otherwise).
    formula_columns_ : list of str
        The columns the ``formula`` reads (empty without a formula).

    Notes
    -----
    A feature that is constant in the training data (for example ``voluntary`` when every
    respondent volunteered, or ``steward_dedicated`` when no CoP has a dedicated steward) is
    dropped and listed in :attr:`report_`; its column is then not needed by :meth:`transform`.
    When a categorical reference level is absent from the training data, the most frequent
    observed level becomes the reference (ties go to the first level in codebook order; the
    report says so). At :meth:`transform`, a categorical level that has no feature and is not
    the reference (it was not seen at fit) raises :class:`~copfactors.errors.FeatureError`
    rather than being encoded as the reference.

    Nothing is printed or warned by default: call :meth:`describe` for a readable summary.
    The output is always a float DataFrame with the input's index; ``set_output`` works as in
    scikit-learn. Because the builder reads named survey columns, it needs a DataFrame and does
    not accept bare arrays.

    Examples
    --------
    >>> import pandas as pd
    >>> from copfactors.features import CoPFeatureBuilder
    >>> survey = pd.DataFrame(
    ...     {
    ...         "commitment_1": [4, 5, 2, 3, 4],
    ...         "hours_per_week": [1.0, 0.5, None, 2.0, 1.0],
    ...         "sponsor": ["employer", "professional_association", "employer", "employer",
    ...                     "inter_organisational"],
    ...         "gender": ["woman", "man", "woman", "man", "woman"],
    ...     }
    ... )
    >>> fb = CoPFeatureBuilder(missing="impute").fit(survey)
    >>> fb.get_feature_names_out().tolist()
    ['commitment', 'hours_per_week', 'sponsor_professional_association', \
'sponsor_inter_organisational', 'gender_woman']
    >>> fb.transform(survey).loc[2, "hours_per_week"]
    np.float64(1.0)
    >>> fb.missing_report_.loc[fb.missing_report_["column"] == "hours_per_week", "n_missing"].item()
    1
    """

    def __init__(
        self,
        missing: Literal["drop", "impute"] = "drop",
        hours_log1p: bool = False,
        commitment: Literal["mean", "items"] = "mean",
        include: str | Sequence[str] | None = None,
        exclude: str | Sequence[str] | None = None,
        extra: str | Sequence[str] | None = None,
        formula: str | None = None,
    ) -> None:
        self.missing = missing
        self.hours_log1p = hours_log1p
        self.commitment = commitment
        self.include = include
        self.exclude = exclude
        self.extra = extra
        self.formula = formula

    # -- parameters ------------------------------------------------------------------------------
    def _selected_groups(self) -> list[_Group]:
        if self.missing not in ("drop", "impute"):
            raise FeatureError(f"missing must be 'drop' or 'impute', got {self.missing!r}")
        if self.commitment not in ("mean", "items"):
            raise FeatureError(f"commitment must be 'mean' or 'items', got {self.commitment!r}")
        if not isinstance(self.hours_log1p, bool | np.bool_):
            raise FeatureError(f"hours_log1p must be True or False, got {self.hours_log1p!r}")
        include = _group_names(self.include, "include")
        exclude = _group_names(self.exclude, "exclude")
        both = sorted(set(include) & set(exclude))
        if both and not (self.include == "all"):
            raise FeatureError(f"feature group(s) {both} are both included and excluded")
        wanted = (set(DEFAULT_GROUPS) | set(include)) - set(exclude)
        groups = []
        for g in _GROUPS:
            if g.name not in wanted:
                continue
            if g.kind == "scale" and self.commitment == "items":
                groups.extend(_Group(c, "likert", (c,)) for c in g.columns)
            else:
                groups.append(g)
        return groups

    def _extra_names(self, groups: Sequence[_Group]) -> list[str]:
        """The ``extra`` columns, checked against each other and the groups to build."""
        value = self.extra
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            names = list(value)
        except TypeError:
            raise FeatureError(
                f"extra must be a column name or a list of column names, got {value!r}"
            ) from None
        bad = [n for n in names if not isinstance(n, str) or not n.strip()]
        if bad:
            raise FeatureError(f"extra must list column names (text), got {bad}")
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise FeatureError(f"extra names column(s) {twice} more than once")
        used = {c: g.name for g in groups for c in g.columns}
        taken = [f"{n} (read by feature group {used[n]!r})" for n in names if n in used]
        taken += [
            f"{n} (the name of feature group {n!r})"
            for n in names
            if n not in used and n in {g.name for g in groups}
        ]
        if taken:
            raise FeatureError(
                f"extra column(s) {', '.join(taken)} are already built by the builder; "
                "exclude the group first to use the column your own way"
            )
        outcome = [n for n in names if n.startswith("att_")]
        if outcome:
            raise FeatureError(
                f"extra column(s) {outcome} are attainment outcomes (att_*), not drivers"
            )
        return names

    @staticmethod
    def _extra_group(name: str, kind: str, levels: Sequence[str] = ()) -> _Group:
        """The feature group of one ``extra`` column, from its kind and (category) levels."""
        if kind == "category":
            lv = tuple(str(v) for v in levels)
            return _Group(name, "category", (name,), lv, lv[0] if lv else None, name, False)
        if kind not in ("number", "boolean"):
            raise FeatureError(f"extra column {name!r}: unknown kind {kind!r}")
        return _Group(name, kind, (name,), default=False)  # type: ignore[arg-type]

    @staticmethod
    def _extra_kind(series: pd.Series, name: str) -> tuple[str, list[str]]:
        """Kind and levels (reference first) of an ``extra`` column at fit."""
        dtype = series.dtype
        if pd.api.types.is_bool_dtype(dtype):
            return "boolean", []
        if isinstance(dtype, pd.CategoricalDtype):
            observed = {str(v) for v in series.dropna().astype(object)}
            return "category", [str(c) for c in dtype.categories if str(c) in observed]
        if pd.api.types.is_numeric_dtype(dtype):
            return "number", []
        values = series.dropna().astype(object)
        if len(values) and all(isinstance(v, bool | np.bool_) for v in values):
            return "boolean", []
        if len(values) and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_) for v in values
        ):
            return "number", []
        return "category", sorted({str(v) for v in values})

    # -- reading one group -----------------------------------------------------------------------
    def _read(self, group: _Group, X: pd.DataFrame, columns: Sequence[str]) -> dict[str, Any]:
        """Clean inputs of one group: numeric arrays, or level strings for a category."""
        if group.kind == "scale":
            items = {
                c: _as_numeric(X[c], c, low=1, high=5, what="a rating from 1 to 5") for c in columns
            }
            return {"items": items}
        column = columns[0]
        s = X[column]
        if group.kind == "likert":
            values = _as_numeric(s, column, low=1, high=5, what="a rating from 1 to 5")
        elif group.kind == "count":
            values = _as_numeric(
                s, column, low=0, integer=True, what="a whole number of at least 0"
            )
        elif group.kind == "hours":
            values = _as_numeric(s, column, low=0, what="a number of hours of at least 0")
        elif group.kind == "number":
            values = _as_numeric(s, column, what="a number")
        elif group.kind == "boolean":
            values = _as_boolean(s, column)
        else:
            values = _as_category(s, column, group.levels)
        return {"values": values}

    def _group_value(self, group: _Group, read: dict[str, Any]) -> np.ndarray:
        """The one value per row of a group that is missing or imputed (not the items)."""
        if group.kind == "scale":
            stacked = np.column_stack(list(read["items"].values()))
            answered = ~np.isnan(stacked)
            count = answered.sum(axis=1)
            total = np.where(answered, stacked, 0.0).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(count > 0, total / np.maximum(count, 1), np.nan)
        return read["values"]

    @staticmethod
    def _missing_of(group: _Group, value: np.ndarray) -> np.ndarray:
        if group.kind == "category":
            return np.array([v is None for v in value], dtype=bool)
        return np.isnan(value)

    # -- fit --------------------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: Any = None) -> CoPFeatureBuilder:
        """Learn which features to build, their references and fill values.

        Parameters
        ----------
        X : pandas.DataFrame
            A survey with (some of) the codebook's columns.
        y : ignored

        Returns
        -------
        CoPFeatureBuilder
            ``self``.
        """
        X = _require_frame(X, "CoPFeatureBuilder.fit")
        groups = self._selected_groups()
        extra = self._extra_names(groups)
        rhs, formula_names = self._formula_rhs()
        if len(X) == 0:
            raise FeatureError("CoPFeatureBuilder.fit: the survey has no rows")
        absent = [c for c in extra if c not in X.columns]
        if absent:
            raise FeatureError(
                f"extra column(s) {absent} are not in the survey (columns: "
                f"{', '.join(map(str, X.columns))})"
            )
        extra_groups: dict[str, dict[str, Any]] = {}
        for name in extra:
            kind, levels = self._extra_kind(X[name], name)
            extra_groups[name] = {
                "kind": kind,
                "levels": levels,
                "typical": _typical_value(X[name], kind, levels),
            }
            groups.append(self._extra_group(name, kind, levels))
        report: list[dict[str, Any]] = []
        missing_rows: list[dict[str, Any]] = []
        present: list[tuple[_Group, tuple[str, ...], dict[str, Any], np.ndarray]] = []
        for g in groups:
            cols = tuple(c for c in g.columns if c in X.columns)
            if not cols:
                report.append(
                    _report_row(g, g.columns, "absent", [], "column(s) not in the survey")
                )
                continue
            read = self._read(g, X, cols)
            value = self._group_value(g, read)
            miss = self._missing_of(g, value)
            if miss.all():
                report.append(_report_row(g, cols, "all missing", [], "every value is missing"))
                continue
            present.append((g, cols, read, value))

        n = len(X)
        complete = np.ones(n, dtype=bool)
        fills: dict[str, Any] = {}
        for g, cols, read, value in present:
            miss = self._missing_of(g, value)
            missing_rows.extend(_partial_rows(g, read, miss))
            name = g.name if g.kind == "scale" else cols[0]
            if self.missing == "drop":
                complete &= ~miss
                action = "rows dropped" if miss.any() else "none"
                fill = None
            else:
                fill = _fill_value(g, value[~miss])
                fills[g.name] = fill
                how = "median" if g.kind in _MEDIAN_KINDS else "mode"
                action = f"imputed with the {how}" if miss.any() else "none"
            missing_rows.append(
                {
                    "column": name,
                    "n_missing": int(miss.sum()),
                    "action": action,
                    "fill_value": fill if miss.any() else None,
                }
            )
        if self.missing == "drop" and present and not complete.any():
            raise FeatureError(
                "no row of the training data is complete in the columns used "
                f"({', '.join(c for _, cols, _, _ in present for c in cols)}); "
                "use missing='impute' or exclude the sparse groups"
            )

        specs: dict[str, dict[str, Any]] = {}
        references: dict[str, str] = {}
        feature_names: list[str] = []
        for g, cols, _read, value in present:
            keep = complete if self.missing == "drop" else np.ones(n, dtype=bool)
            filled = _fill(g, value, fills.get(g.name))
            note = ""
            reference = g.reference
            if g.name in extra_groups:
                what = {"number": "numeric", "boolean": "boolean (0/1)"}.get(g.kind, "")
                if g.kind == "category":
                    what = f"text; reference {g.reference!r}, its first level"
                note = f"extra column ({what}). "
            if g.kind == "category":
                seen = [lv for lv in g.levels if np.any(filled[keep] == lv)]
                if reference not in seen:
                    counts = {lv: int(np.sum(filled[keep] == lv)) for lv in seen}
                    reference = max(seen, key=lambda lv: (counts[lv], -seen.index(lv)))
                    note += (
                        f"reference level {g.reference!r} absent from the training data; "
                        f"reference is {reference!r}. "
                    )
                candidates = {
                    f"{g.prefix}_{lv}": (filled == lv).astype(float)
                    for lv in g.levels
                    if lv != reference
                }
            else:
                fname = "log1p_" + g.name if g.kind == "hours" and self.hours_log1p else g.name
                candidates = {fname: self._numeric_feature(g, filled)}
            built, constant = [], []
            for fname, col in candidates.items():
                used = col[keep]
                used = used[~np.isnan(used)]
                if used.size == 0 or np.all(used == used[0]):
                    constant.append(fname)
                else:
                    built.append(fname)
            if constant:
                note += f"constant in the training data, dropped: {', '.join(constant)}"
            status = "built" if built else "constant"
            report.append(_report_row(g, cols, status, built, note.strip()))
            if built:
                clash = [f for f in built if f in feature_names]
                if clash:
                    raise FeatureError(
                        f"extra column {g.name!r} gives feature(s) {clash}, which another "
                        "feature group already builds; rename the column"
                    )
                specs[g.name] = {"columns": cols, "features": built, "reference": reference}
                if g.kind == "category":
                    references[g.name] = reference
                feature_names.extend(built)

        self.scale_reliability_ = {}
        scale_items = [c for c in _COMMITMENT_ITEMS if c in X.columns]
        built_items = any(g.kind == "scale" or g.name in _COMMITMENT_ITEMS for g in groups)
        if built_items and len(scale_items) >= 2:
            items = X.loc[complete, scale_items] if self.missing == "drop" else X[scale_items]
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", CopFactorsWarning)
                try:
                    self.scale_reliability_["commitment"] = reliability(items)
                    problem = "; ".join(str(w.message) for w in caught)
                except ScaleError as err:
                    problem = f"reliability not computed: {err}"
            if problem:
                for row in report:
                    if row["group"] in ("commitment", *scale_items):
                        row["note"] = f"{row['note']} {problem}".strip()
                        break
        order = {g.name: i for i, g in enumerate(groups)}
        report.sort(key=lambda r: order[r["group"]])
        self.report_ = pd.DataFrame(
            report, columns=["group", "columns", "status", "features", "note"]
        )
        self.missing_report_ = missing_frame(missing_rows)
        self.n_rows_dropped_ = int((~complete).sum()) if self.missing == "drop" else 0
        self.fill_values_ = {k: v for k, v in fills.items() if k in specs}
        self.reference_levels_ = references
        self.feature_names_out_ = np.asarray(feature_names, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        self.extra_groups_ = extra_groups
        self._specs = specs
        self._groups = [g for g in groups if g.name in specs]
        self._formula_spec = None
        self.formula_columns_ = []
        if rhs is not None:
            self._fit_formula(X, rhs, formula_names)
        self.transform_missing_report_ = missing_frame([])
        return self

    # -- formula ----------------------------------------------------------------------------------
    def _formula_rhs(self, text: Any = None) -> tuple[str | None, list[str]]:
        """The checked right-hand side of ``formula`` (or None) and the columns it reads."""
        text = self.formula if text is None else text
        if text is None:
            return None, []
        if not isinstance(text, str):
            raise FeatureError(f"formula must be text, got {type(text).__name__}")
        rhs = text.strip()
        if rhs.startswith("~"):
            rhs = rhs[1:].strip()
        if not rhs:
            raise FeatureError("formula is empty: give a right-hand side such as 'a * b + c'")
        if "~" in rhs or "|" in rhs:
            raise FeatureError(
                f"formula {text!r}: give the right-hand side only (the drivers, e.g. 'a * b + "
                "c'), without a response, '~' or '(1 | g)'"
            )
        try:
            names = _formulas.check_formula(f"~ {rhs}")
        except CopFactorsError as err:
            raise FeatureError(str(err)) from None
        names.discard("")
        return rhs, sorted(names)

    def _base_names(self) -> list[str]:
        """The features built before a formula (the groups' features, in output order)."""
        return [f for g in self._groups for f in self._specs[g.name]["features"]]

    def _formula_data(self, X: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
        """The columns the formula reads: built features, then raw ``extra`` columns."""
        data = {}
        for name in self.formula_columns_:
            if name in base.columns:
                data[name] = base[name].to_numpy()
                continue
            if name not in X.columns:
                raise FeatureError(
                    f"the survey lacks column {name!r}, which the formula {self.formula!r} reads"
                )
            values = X.loc[base.index, name]
            fill = self.fill_values_.get(name) if self.missing == "impute" else None
            if fill is not None:
                values = values.where(values.notna(), fill)
            data[name] = values.to_numpy()
        return pd.DataFrame(data, index=pd.RangeIndex(len(base)))

    def _fit_formula(self, X: pd.DataFrame, rhs: str, names: list[str]) -> None:
        available = [*self._base_names(), *(n for n in self.extra_groups_ if n in X.columns)]
        unknown = [n for n in names if n not in available]
        if unknown:
            raise FeatureError(
                f"formula {self.formula!r} reads column(s) {unknown}, which are neither built "
                f"features nor extra columns (available: {', '.join(available) or '(none)'}); "
                "name a survey column of your own in extra= to use it"
            )
        self.formula_columns_ = list(names)
        base = self._base_transform(X)
        data = self._formula_data(X, base)
        try:
            matrix = _formulas.materialize(f"~ {rhs}", data, rhs, na_action="raise")
            spec = matrix.model_spec
            design = _formulas.plain_frame(matrix, rhs, require_intercept=False)
        except CopFactorsError as err:
            raise FeatureError(str(err)) from None
        if design.shape[1] == 0:
            raise FeatureError(f"formula {self.formula!r} gives no design column")
        self._formula_spec = spec
        columns = [str(c) for c in design.columns]
        self.feature_names_out_ = np.asarray(columns, dtype=object)
        row = {
            "group": "formula",
            "columns": ", ".join(names),
            "status": "built",
            "features": ", ".join(columns),
            "note": "its design columns replace the features above",
        }
        self.report_ = pd.concat([self.report_, pd.DataFrame([row])], ignore_index=True)

    def formula_state(self) -> dict[str, Any]:
        """The fitted formula as plain data (for model files): ``text``, ``columns`` (read),
        ``design`` (the design columns), ``factors`` and ``transforms`` (levels and the state of
        ``center``/``scale``); no code."""
        self._check_fitted()
        if getattr(self, "_formula_spec", None) is None:
            raise NotFittedError("this CoPFeatureBuilder has no formula")
        factors, transforms = _formulas.spec_state(self._formula_spec)
        return {
            "text": str(self.formula),
            "columns": list(self.formula_columns_),
            "design": [str(c) for c in self.feature_names_out_],
            "factors": factors,
            "transforms": transforms,
        }

    def _restore_formula(self, state: Any) -> None:
        """Give a builder rebuilt from a file its formula design (:meth:`formula_state`'s data);
        the formula is checked against the allow-list first. Raises FeatureError."""
        if not isinstance(state, dict):
            raise FeatureError(f"formula: expected an object, got {type(state).__name__}")
        if state.get("text") != self.formula:
            raise FeatureError("formula.text does not match params.formula")
        rhs, names = self._formula_rhs()
        if state.get("columns") != names:
            raise FeatureError(f"formula.columns: expected the columns it reads, {names}")
        design = state.get("design")
        if not isinstance(design, list) or not all(isinstance(c, str) for c in design):
            raise FeatureError("formula.design: expected a list of column names")
        try:
            spec = _formulas.spec_from_state(
                rhs, state.get("factors"), state.get("transforms"), where="formula"
            )
        except CopFactorsError as err:
            raise FeatureError(str(err)) from None
        self._formula_spec = spec
        self.formula_columns_ = list(names)
        self.feature_names_out_ = np.asarray(design, dtype=object)

    def _numeric_feature(self, group: _Group, values: np.ndarray) -> np.ndarray:
        if group.kind == "hours" and self.hours_log1p:
            return np.log1p(values)
        return values.astype(float)

    # -- transform --------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "feature_names_out_"):
            raise NotFittedError(
                "this CoPFeatureBuilder is not fitted yet; call fit(survey) before transform"
            )

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Build the fitted features for a survey.

        Parameters
        ----------
        X : pandas.DataFrame
            A survey with every column the fitted features are built from.

        Returns
        -------
        pandas.DataFrame
            Float features named :attr:`feature_names_out_`, with ``X``'s index (only the
            complete rows when ``missing="drop"``).

        Raises
        ------
        copfactors.errors.NotFittedError
            Before :meth:`fit`.
        copfactors.errors.FeatureError
            When a column the features need is missing (all are named), a value is outside the
            codebook, or a categorical level was not seen at fit.
        """
        self._check_fitted()
        X = _require_frame(X, "CoPFeatureBuilder.transform")
        base = self._base_transform(X)
        spec = getattr(self, "_formula_spec", None)
        if spec is None:
            return base
        data = self._formula_data(X, base)
        rhs = self._formula_rhs()[0]
        try:
            _formulas.check_levels(spec, data)
            matrix = _formulas.materialize(spec, data, rhs, na_action="raise")
            design = _formulas.plain_frame(matrix, rhs, require_intercept=False)
        except CopFactorsError as err:
            raise FeatureError(str(err)) from None
        expected = [str(c) for c in self.feature_names_out_]
        if [str(c) for c in design.columns] != expected:
            raise FeatureError(
                f"the formula's design of these rows has columns {list(design.columns)}, the "
                f"fitted builder has {expected}"
            )
        design.index = base.index
        return design

    def _base_transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """The features of the groups (before a formula), as :meth:`transform` without one."""
        needed = [c for g in self._groups for c in self._specs[g.name]["columns"]]
        absent = [c for c in needed if c not in X.columns]
        if absent:
            raise FeatureError(
                f"the survey lacks column(s) {absent}, which the fitted features "
                f"{self._base_names()} are built from"
            )
        n = len(X)
        complete = np.ones(n, dtype=bool)
        out: dict[str, np.ndarray] = {}
        missing_rows: list[dict[str, Any]] = []
        built: list[tuple[_Group, dict[str, Any], np.ndarray]] = []
        for g in self._groups:
            spec = self._specs[g.name]
            cols = spec["columns"]
            read = self._read(g, X, cols)
            value = self._group_value(g, read)
            miss = self._missing_of(g, value)
            missing_rows.extend(_partial_rows(g, read, miss))
            if self.missing == "drop":
                complete &= ~miss
                action = "rows dropped" if miss.any() else "none"
                fill = None
            else:
                fill = self.fill_values_[g.name]
                action = "imputed with the fitted value" if miss.any() else "none"
            missing_rows.append(
                {
                    "column": g.name if g.kind == "scale" else cols[0],
                    "n_missing": int(miss.sum()),
                    "action": action,
                    "fill_value": fill if miss.any() else None,
                }
            )
            built.append((g, spec, _fill(g, value, fill)))
        for g, spec, filled in built:
            if g.kind == "category":
                known = {spec["reference"], *(f[len(g.prefix) + 1 :] for f in spec["features"])}
                # Rows that missing="drop" leaves out cannot be misencoded, so they pass.
                unseen = complete & np.array(
                    [v is not None and v not in known for v in filled], dtype=bool
                )
                if unseen.any():
                    raise FeatureError(
                        f"column {spec['columns'][0]!r} has level(s) "
                        f"{_values_of(filled[unseen])} that the training data did not contain "
                        f"(rows {_rows_of(X.index, unseen)}); the fitted features cannot "
                        "represent them"
                    )
                for fname in spec["features"]:
                    level = fname[len(g.prefix) + 1 :]
                    out[fname] = np.array(
                        [np.nan if v is None else float(v == level) for v in filled], dtype=float
                    )
            else:
                out[spec["features"][0]] = self._numeric_feature(g, filled)
        self.transform_missing_report_ = missing_frame(missing_rows)
        frame = pd.DataFrame(out, index=X.index, columns=self._base_names())
        frame = frame.astype(float)
        if self.missing == "drop":
            frame = frame.loc[complete]
        return frame

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the built features.

        Parameters
        ----------
        input_features : ignored
            Accepted for scikit-learn compatibility.

        Returns
        -------
        numpy.ndarray of str
        """
        self._check_fitted()
        return self.feature_names_out_.copy()

    def describe(self) -> str:
        """A readable summary of what was built, dropped, referenced and imputed.

        Returns
        -------
        str

        Examples
        --------
        >>> import pandas as pd
        >>> from copfactors.features import CoPFeatureBuilder
        >>> survey = pd.DataFrame({"voluntary": [True, True], "tech_mastery": [3, 4]})
        >>> print(CoPFeatureBuilder().fit(survey).describe().splitlines()[1])
        features (1): tech_mastery
        """
        self._check_fitted()
        lines = [f"CoPFeatureBuilder(missing={self.missing!r}) fitted"]
        names = self.feature_names_out_.tolist()
        lines.append(f"features ({len(names)}): {', '.join(names) if names else '(none)'}")
        if self.reference_levels_:
            refs = ", ".join(f"{k}={v}" for k, v in self.reference_levels_.items())
            lines.append(f"reference levels: {refs}")
        if self.hours_log1p and "hours_per_week" in self._specs:
            lines.append("log1p_hours_per_week is log1p(hours_per_week)")
        extra_groups = getattr(self, "extra_groups_", {})
        if extra_groups:
            parts = []
            for name, info in extra_groups.items():
                kind = info["kind"]
                if kind == "category" and info["levels"]:
                    kind = f"text, reference {info['levels'][0]!r}"
                parts.append(f"{name} ({kind})")
            lines.append(f"extra columns: {', '.join(parts)}")
        if getattr(self, "_formula_spec", None) is not None:
            lines.append(
                f"formula: {self.formula} (its design columns are the features; it reads "
                f"{', '.join(self.formula_columns_)})"
            )
        for status in ("absent", "all missing", "constant"):
            rows = self.report_[self.report_["status"] == status]
            if len(rows):
                lines.append(f"not built ({status}): {', '.join(rows['group'])}")
        notes = self.report_[(self.report_["status"] == "built") & (self.report_["note"] != "")]
        for rec in notes.itertuples(index=False):
            lines.append(f"{rec.group}: {rec.note}")
        rep = self.missing_report_[self.missing_report_["n_missing"] > 0]
        for rec in rep.itertuples(index=False):
            fill = "" if rec.fill_value is None else f" ({rec.fill_value!r})"
            lines.append(f"missing at fit: {rec.column} {rec.n_missing}: {rec.action}{fill}")
        if self.missing == "drop":
            lines.append(f"rows dropped at fit: {self.n_rows_dropped_}")
        if "commitment" in self.scale_reliability_:
            s = self.scale_reliability_["commitment"].summary.iloc[0]
            lines.append(
                f"commitment scale: alpha {s['alpha']:.3f}, omega total {s['omega_total']:.3f}, "
                f"n {int(s['n'])}"
            )
        return "\n".join(lines)


def _report_row(
    group: _Group, columns: Sequence[str], status: str, features: list[str], note: str
) -> dict[str, Any]:
    return {
        "group": group.name,
        "columns": ", ".join(columns),
        "status": status,
        "features": ", ".join(features),
        "note": note,
    }


def _partial_rows(group: _Group, read: dict[str, Any], miss: np.ndarray) -> list[dict[str, Any]]:
    """Report rows for scale items left unanswered by respondents who answered another item."""
    if group.kind != "scale":
        return []
    rows = []
    for c, item in read["items"].items():
        partial = np.isnan(item) & ~miss
        if partial.any():
            rows.append(
                {
                    "column": c,
                    "n_missing": int(partial.sum()),
                    "action": f"{group.name} scored from the answered items",
                    "fill_value": None,
                }
            )
    return rows


def _typical_value(values: pd.Series, kind: str, levels: list[str]) -> Any:
    """The typical answer of an extra column (median, majority or most frequent level).

    What a plan that cannot know the researcher's own variable is scored with (the score's
    notes say so); ties go to the first level.
    """
    observed = values.dropna()
    if observed.empty:
        return None
    if kind == "number":
        return float(np.median(observed.to_numpy(dtype=float)))
    if kind == "boolean":
        truth = observed.map(lambda v: str(v).strip().lower() in ("true", "1", "1.0", "yes", "oui"))
        return bool(truth.sum() > len(truth) - truth.sum())
    counts = observed.astype(str).value_counts()
    return max(levels, key=lambda lv: (int(counts.get(lv, 0)), -levels.index(lv)))


def missing_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The missing-value report of a feature builder from its rows (typed, fixed columns)."""
    frame = pd.DataFrame(rows, columns=["column", "n_missing", "action", "fill_value"])
    frame["n_missing"] = frame["n_missing"].astype("int64")
    frame["fill_value"] = frame["fill_value"].astype(object)
    return frame


def _median(values: np.ndarray) -> float:
    return float(np.median(values))


_MEDIAN_KINDS = ("scale", "likert", "count", "hours", "number")


def _fill_value(group: _Group, observed: np.ndarray) -> Any:
    if group.kind in _MEDIAN_KINDS:
        return _median(observed)
    if group.kind == "boolean":
        ones = int(np.sum(observed == 1.0))
        return bool(ones > observed.size - ones)
    counts = {lv: int(np.sum(observed == lv)) for lv in group.levels}
    return max(group.levels, key=lambda lv: (counts[lv], -group.levels.index(lv)))


def _fill(group: _Group, value: np.ndarray, fill: Any) -> np.ndarray:
    if fill is None:
        return value
    if group.kind == "category":
        return np.array([fill if v is None else v for v in value], dtype=object)
    return np.where(np.isnan(value), float(fill), value)


# ---------------------------------------------------------------------------------------------
# attainment
# ---------------------------------------------------------------------------------------------
def _objective_columns(
    survey: pd.DataFrame, objectives: Sequence[str] | None, prefix: str = "att_"
) -> list[str]:
    if objectives is None:
        slugs = [s for s in OBJECTIVE_SLUGS if f"{prefix}{s}" in survey.columns]
        if not slugs:
            raise FeatureError(
                f"the survey has no {prefix}<objective> column (expected for example "
                f"{prefix}learning); objectives: {', '.join(OBJECTIVE_SLUGS)}"
            )
        return slugs
    if isinstance(objectives, str):
        objectives = [objectives]
    slugs = [o[4:] if o.startswith(("att_", "imp_")) else o for o in objectives]
    if not slugs:
        raise FeatureError("objectives is empty; give at least one objective")
    if len(set(slugs)) != len(slugs):
        raise FeatureError(f"objectives lists an objective twice: {list(objectives)}")
    absent = [f"{prefix}{s}" for s in slugs if f"{prefix}{s}" not in survey.columns]
    if absent:
        raise FeatureError(f"the survey lacks attainment column(s) {absent}")
    return slugs


def _t2_mask(survey: pd.DataFrame) -> np.ndarray:
    """True for respondents known not to have answered T2."""
    if "responded_t2" not in survey.columns:
        return np.zeros(len(survey), dtype=bool)
    flag = _as_boolean(survey["responded_t2"], "responded_t2")
    return flag == 0.0


def attainment(
    survey: pd.DataFrame,
    kind: Literal["ordinal", "binary", "index"] = "ordinal",
    objectives: Sequence[str] | None = None,
    threshold: float = 4,
) -> pd.Series:
    """A respondent's attainment of the CoP's objectives at T2.

    The attainment index is the mean of the respondent's answered ``att_<objective>`` ratings
    (1 not attained at all ... 5 perfectly attained).

    Parameters
    ----------
    survey : pandas.DataFrame
        A survey with ``att_<objective>`` columns (integer ratings 1-5, missing allowed).
    kind : {"ordinal", "binary", "index"}, default "ordinal"
        ``"ordinal"``: the index rounded to a level 1-5, with halves rounded **up** (3.5 -> 4,
        not banker's rounding), as nullable ``Int64`` (plain integers suit
        :class:`~copfactors.models.OrdinalRegression`, which rejects unused levels of an ordered
        categorical). ``"binary"``: whether the (unrounded) index is at least ``threshold``, as
        nullable ``boolean``. ``"index"``: the mean itself, ``float64``.
    objectives : list of str, optional
        Objective slugs (``"learning"``) or column names (``"att_learning"``); by default every
        one of the 15 objectives whose column is present.
    threshold : float, default 4
        Cut-off for ``kind="binary"`` (4 = "attained").

    Returns
    -------
    pandas.Series
        Named ``attainment``, with the survey's index. Missing (``<NA>``/``NaN``) for
        respondents with no answered objective and for those who did not answer T2
        (``responded_t2`` False, whatever their ``att_*`` cells hold).

    Examples
    --------
    >>> import pandas as pd
    >>> from copfactors.features import attainment
    >>> s = pd.DataFrame({"att_quality": [3, 4, None, 5], "att_learning": [4, 4, None, 2]})
    >>> attainment(s).tolist()
    [4, 4, <NA>, 4]
    >>> attainment(s, kind="index").tolist()
    [3.5, 4.0, nan, 3.5]
    >>> attainment(s, kind="binary").tolist()
    [False, True, <NA>, False]
    """
    survey = _require_frame(survey, "attainment")
    if kind not in ("ordinal", "binary", "index"):
        raise FeatureError(f"kind must be 'ordinal', 'binary' or 'index', got {kind!r}")
    if (
        not isinstance(threshold, numbers.Real)
        or isinstance(threshold, bool)
        or not 1 <= threshold <= 5
    ):
        raise FeatureError(f"threshold must be a number from 1 to 5, got {threshold!r}")
    slugs = _objective_columns(survey, objectives)
    ratings = np.column_stack(
        [
            _as_numeric(
                survey[f"att_{s}"],
                f"att_{s}",
                low=1,
                high=5,
                integer=True,
                what="a whole rating from 1 to 5",
            )
            for s in slugs
        ]
    )
    answered = ~np.isnan(ratings)
    count = answered.sum(axis=1)
    total = np.where(answered, ratings, 0.0).sum(axis=1)
    gone = (count == 0) | _t2_mask(survey)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = np.where(gone, np.nan, total / np.maximum(count, 1))
    if kind == "index":
        return pd.Series(index, index=survey.index, name="attainment", dtype="float64")
    if kind == "binary":
        values = pd.array(index >= threshold, dtype="boolean")
        values[gone] = pd.NA
        return pd.Series(values, index=survey.index, name="attainment")
    # Exact half-up rounding on the integer sums: floor((2 * total + count) / (2 * count)).
    safe = np.maximum(count, 1)
    level = np.floor_divide(2 * total.astype(np.int64) + safe, 2 * safe)
    values = pd.array(level, dtype="Int64")
    values[gone] = pd.NA
    return pd.Series(values, index=survey.index, name="attainment")


def attainment_long(survey: pd.DataFrame, objectives: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per respondent and answered objective, for models with objective effects.

    Parameters
    ----------
    survey : pandas.DataFrame
        A survey with ``respondent_id``, ``cop_id`` and ``att_<objective>`` columns; the
        matching ``imp_<objective>`` columns are used when present.
    objectives : list of str, optional
        Objective slugs or ``att_`` column names; by default every objective present.

    Returns
    -------
    pandas.DataFrame
        Columns ``respondent_id``, ``cop_id``, ``objective`` (categorical, the objectives in
        table order that have at least one answer), ``importance`` (``Int64``, the T1 rating;
        missing when not answered or when the survey has no ``imp_`` column) and ``attainment``
        (``Int64``). Respondents who did not answer T2 (``responded_t2`` False) and unanswered
        objectives have no row. Rows are ordered by respondent (survey order), then objective;
        the index is 0..n-1.

    Examples
    --------
    >>> import pandas as pd
    >>> from copfactors.features import attainment_long
    >>> s = pd.DataFrame(
    ...     {
    ...         "respondent_id": ["r1", "r2"],
    ...         "cop_id": ["c1", "c1"],
    ...         "imp_quality": [5, 4],
    ...         "att_quality": [3, None],
    ...         "att_learning": [4, 5],
    ...     }
    ... )
    >>> attainment_long(s)[["respondent_id", "objective", "attainment"]].values.tolist()
    [['r1', 'quality', 3], ['r1', 'learning', 4], ['r2', 'learning', 5]]
    """
    survey = _require_frame(survey, "attainment_long")
    absent = [c for c in ("respondent_id", "cop_id") if c not in survey.columns]
    if absent:
        raise FeatureError(f"attainment_long needs column(s) {absent}, absent from the survey")
    slugs = _objective_columns(survey, objectives)
    gone = _t2_mask(survey)
    keep_rows = np.flatnonzero(~gone)
    pieces = []
    for j, s in enumerate(slugs):
        att = _as_numeric(
            survey[f"att_{s}"],
            f"att_{s}",
            low=1,
            high=5,
            integer=True,
            what="a whole rating from 1 to 5",
        )
        if f"imp_{s}" in survey.columns:
            imp = _as_numeric(
                survey[f"imp_{s}"],
                f"imp_{s}",
                low=1,
                high=5,
                integer=True,
                what="a whole rating from 1 to 5",
            )
        else:
            imp = np.full(len(survey), np.nan)
        rows = keep_rows[~np.isnan(att[keep_rows])]
        pieces.append(
            pd.DataFrame(
                {
                    "_row": rows,
                    "_order": j,
                    "objective": s,
                    "importance": imp[rows],
                    "attainment": att[rows],
                }
            )
        )
    long = pd.concat(pieces, ignore_index=True).sort_values(["_row", "_order"], kind="stable")
    used = [s for s in slugs if (long["objective"] == s).any()]
    out = pd.DataFrame(
        {
            "respondent_id": survey["respondent_id"].to_numpy()[long["_row"].to_numpy()],
            "cop_id": survey["cop_id"].to_numpy()[long["_row"].to_numpy()],
            "objective": pd.Categorical(long["objective"].to_numpy(), categories=used),
            "importance": pd.array(
                [pd.NA if math.isnan(v) else int(v) for v in long["importance"]], dtype="Int64"
            ),
            "attainment": pd.array(long["attainment"].to_numpy().astype(np.int64), dtype="Int64"),
        }
    )
    for c in ("respondent_id", "cop_id"):
        if isinstance(
            survey[c].dtype, pd.CategoricalDtype
        ) or pd.api.types.is_extension_array_dtype(survey[c].dtype):
            out[c] = out[c].astype(survey[c].dtype)
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# reliability
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ReliabilityResult(Result):
    """Reliability of a multi-item scale (see :func:`reliability`).

    A :class:`~copfactors.report.Result`: ``to_text``, ``to_html``, ``to_latex`` (3 decimals
    unless ``digits`` is given), ``print_summary`` and the notebook displays show the summary
    as header facts above the item table (see :meth:`render`); :meth:`to_frame` is the item
    table. ``repr()`` stays one line.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row: ``alpha`` (raw Cronbach's alpha), ``alpha_std`` (standardised alpha, from the
        correlations), ``alpha_ci_low``, ``alpha_ci_high`` (Feldt's interval), ``alpha_se``
        (Duhachek's asymptotic standard error, psych's ``ase``), ``omega_total``, ``n``
        (complete rows used), ``k`` (items), ``mean`` and ``sd`` (of the scale score, the
        mean of the items).
    items : pandas.DataFrame
        One row per item: ``item``, ``r`` (correlation with the scale score), ``r_drop``
        (correlation with the mean of the other items), ``alpha_if_deleted``, ``loading``
        (one-factor minres loading), ``mean``, ``sd``.
    scores : pandas.Series
        Scale score (mean of the items, after reverse-keying) of each complete row, with the
        input's index; ``NaN`` for the rows left out.
    n_incomplete : int
        Rows left out because an item was missing.
    reversed : tuple of str
        Items reverse-keyed before anything was computed.
    level : float
        Confidence level of the interval.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 4, 3],
    ...                       "c": [1, 3, 3, 4, 5, 2]})
    >>> print(reliability(items).to_text().splitlines()[1])
    Cronbach's alpha  : 0.932 (95% CI 0.711 to 0.990; ASE 0.047)
    """

    #: decimals when none are asked for
    default_digits = 3

    summary: pd.DataFrame
    items: pd.DataFrame
    scores: pd.Series
    n_incomplete: int
    reversed: tuple[str, ...] = field(default=())
    level: float = 0.95

    @property
    def alpha(self) -> float:
        """Raw Cronbach's alpha."""
        return float(self.summary["alpha"].iloc[0])

    @property
    def omega_total(self) -> float:
        """McDonald's omega total (one-factor minres model)."""
        return float(self.summary["omega_total"].iloc[0])

    def to_frame(self) -> pd.DataFrame:
        """The item table (a copy of :attr:`items`), one row per item; the scale's figures are
        :attr:`summary`."""
        return self.items.copy()

    def render(self, style: str = "text", digits: int | None = None, **options: Any) -> str:
        """The item table, headed by the scale's alpha, omega, rows and score.

        Parameters
        ----------
        style : {"text", "html", "latex"}
            Output format, as :func:`copfactors.report.render_table`.
        digits : int, optional
            Decimals shown (default :attr:`default_digits`, 3).
        **options
            None are used (accepted for the :class:`~copfactors.report.Result` protocol).

        Returns
        -------
        str
        """
        d = self._digits(digits)
        s = self.summary.iloc[0]

        def num(v: Any) -> str:
            return format_number(v, d) or "n/a"

        pct = f"{100 * self.level:g}%"
        rows = f"{int(s['n'])}"
        if self.n_incomplete:
            rows += f" ({self.n_incomplete} with a missing item left out)"
        header = {
            "Cronbach's alpha": f"{num(s['alpha'])} ({pct} CI {num(s['alpha_ci_low'])} to "
            f"{num(s['alpha_ci_high'])}; ASE {num(s['alpha_se'])})",
            "Standardised alpha": num(s["alpha_std"]),
            "Omega total": num(s["omega_total"]),
            "Complete rows": rows,
            "Scale score": f"mean {num(s['mean'])}, SD {num(s['sd'])} (mean of the items)",
        }
        if self.reversed:
            header["Reverse-keyed"] = ", ".join(self.reversed)
        return render_table(
            self.items,
            title=f"Reliability of a {int(s['k'])}-item scale",
            header=header,
            style=style,
            digits=d,
        )

    def __repr__(self) -> str:
        s = self.summary.iloc[0]
        pct = f"{100 * self.level:g}%"
        return (
            f"ReliabilityResult(k={int(s['k'])}, n={int(s['n'])}, alpha={s['alpha']:.3f} "
            f"[{pct} CI {s['alpha_ci_low']:.3f}, {s['alpha_ci_high']:.3f}], "
            f"alpha_std={s['alpha_std']:.3f}, omega_total={s['omega_total']:.3f})"
        )


def _alpha_raw(cov: np.ndarray) -> float:
    k = cov.shape[0]
    return float(k / (k - 1) * (1 - np.trace(cov) / cov.sum()))


def _minres_one_factor(corr: np.ndarray) -> np.ndarray:
    """One-factor minres (unweighted least squares) loadings, as ``psych::fa(fm="minres")``.

    Minimises the sum of squared off-diagonal residuals over the uniquenesses, bounded to
    [0.005, 1] as psych does, with the loadings the leading eigenvector of the reduced matrix;
    the sign is chosen so the loadings sum to a non-negative number.
    """
    k = corr.shape[0]

    def loadings(psi: np.ndarray) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
        vals, vecs = np.linalg.eigh(corr - np.diag(psi))
        lam, v = vals[-1], vecs[:, -1]
        return np.sqrt(max(lam, 0.0)) * v, lam, vals, vecs

    off = ~np.eye(k, dtype=bool)

    def objective(psi: np.ndarray) -> tuple[float, np.ndarray]:
        load, lam, vals, vecs = loadings(psi)
        resid = np.where(off, corr - np.outer(load, load), 0.0)
        f = 0.5 * float(np.sum(resid**2))
        # d(lambda)/d(psi_j) = -v_j^2; d(v)/d(psi_j) = -sum_m v_m v_mj v_j / (lam - lam_m).
        v = vecs[:, -1]
        gaps = lam - vals[:-1]
        gaps = np.where(np.abs(gaps) < 1e-12, 1e-12, gaps)
        others = vecs[:, :-1]
        ev = resid @ v
        dlam = -(v**2)
        # dv[:, j] = -others @ (others[j, :] * v[j] / gaps)
        dv = -others @ ((others * v[:, None]).T / gaps[:, None])
        grad = -(dlam * float(v @ ev) + 2 * max(lam, 0.0) * (ev @ dv))
        return f, grad

    smc = 1 - 1 / np.diag(np.linalg.pinv(corr))
    start = np.clip(1 - smc, 0.005, 1.0)
    res = optimize.minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.005, 1.0)] * k,
        options={"ftol": 1e-16, "gtol": 1e-12, "maxiter": 10_000},
    )
    psi = res.x
    interior = np.all((psi > 0.005 + 1e-9) & (psi < 1 - 1e-9))
    if interior:
        # At an interior optimum the communalities equal the squared loadings: iterate that
        # fixed point (principal axis) to polish the solution beyond the optimiser's tolerance.
        for _ in range(5000):
            load = loadings(psi)[0]
            new = 1 - load**2
            if not np.all((new > 0.005) & (new < 1)):
                break
            done = np.max(np.abs(new - psi)) < 1e-14
            psi = new
            if done:
                break
    load = loadings(psi)[0]
    return -load if load.sum() < 0 else load


def reliability(
    items: pd.DataFrame,
    reverse: Sequence[str] | None = None,
    scale: tuple[float, float] | None = None,
    level: float = 0.95,
) -> ReliabilityResult:
    """Reliability of a multi-item scale: Cronbach's alpha, omega total, item statistics.

    Parameters
    ----------
    items : pandas.DataFrame
        One numeric column per item (at least two), one row per respondent. A 2-D NumPy array
        is accepted too, its items named ``item_1``, ``item_2``, ...
    reverse : list of str, optional
        Items to reverse-key first, as ``low + high - x``.
    scale : (float, float), optional
        ``(low, high)`` of the response scale for reverse-keying; by default the lowest and
        highest value observed over all items (as ``psych::reverse.code``).
    level : float, default 0.95
        Confidence level of the interval for alpha.

    Returns
    -------
    ReliabilityResult
        ``.summary`` (one row) and ``.items`` (one row per item); see
        :class:`ReliabilityResult`.

    Raises
    ------
    copfactors.errors.ScaleError
        Fewer than two items; items that are not numeric, entirely missing or constant (all
        named); fewer than three complete rows; unknown names in ``reverse``.

    Notes
    -----
    Missing values: only the rows complete in every item are used (listwise deletion; ``n``
    and :attr:`ReliabilityResult.n_incomplete` say how many), so every statistic rests on the
    same respondents. With complete data the results equal ``psych::alpha(x)`` and
    ``psych::omega(x, nfactors=1)``; with missing data they equal psych's on
    ``x[complete.cases(x), ]`` (psych itself defaults to pairwise correlations). Checked in the
    tests against psych 2.2.9 on three data sets (``tests/results/reliability.R``):

    * ``alpha`` (raw, from the covariances), ``alpha_std`` (from the correlations), ``r``
      (psych's ``raw.r``), ``r_drop`` (``r.drop``), ``alpha_if_deleted``
      (``alpha.drop$raw_alpha``), item and scale ``mean``/``sd``, ``alpha_se`` (``ase``);
    * ``alpha_ci_low``/``alpha_ci_high``: Feldt's (1987) F-based interval,
      ``1 - (1 - alpha) * F_{1 - p/2 | p/2}(n - 1, (n - 1)(k - 1))``, the "95% confidence
      boundaries (Feldt)" of ``psych::alpha``; the Duhachek interval psych also prints is
      ``alpha +/- 1.96 * alpha_se``;
    * ``omega_total``: ``omega.tot`` of ``psych::omega(x, nfactors=1, fm="minres")``, i.e.
      ``(sum(R) - sum(1 - loading^2)) / sum(R)`` with ``R`` the item correlations (items with
      a negative loading sign-flipped, as psych does) and the loadings of a one-factor minres
      fit (``psych::fa(x, 1, fm="minres")``, uniquenesses bounded to [0.005, 1]). For two
      items the one-factor model is not identified and ``omega_total`` and ``loading`` are
      ``NaN``; so is ``alpha_if_deleted``, a one-item alpha.

    A :class:`~copfactors.errors.CopFactorsWarning` names items that correlate negatively with
    the rest of the scale (probably in need of reverse-keying).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from copfactors.features import reliability
    >>> rng = np.random.default_rng(0)
    >>> latent = rng.normal(size=200)
    >>> items = pd.DataFrame(
    ...     {f"item_{i}": np.round(3 + latent + rng.normal(size=200)).clip(1, 5) for i in (1, 2, 3)}
    ... )
    >>> res = reliability(items)
    >>> list(res.summary.columns)
    ['alpha', 'alpha_std', 'alpha_ci_low', 'alpha_ci_high', 'alpha_se', 'omega_total', 'n', \
'k', 'mean', 'sd']
    >>> bool(res.summary.loc[0, "alpha_ci_low"] < res.alpha < res.summary.loc[0, "alpha_ci_high"])
    True
    """
    if isinstance(items, np.ndarray):
        if items.ndim != 2:
            raise ScaleError(
                f"items must be a two-dimensional table, got {items.ndim} dimension(s)"
            )
        items = pd.DataFrame(items, columns=[f"item_{i + 1}" for i in range(items.shape[1])])
    if not isinstance(items, pd.DataFrame):
        raise ScaleError(
            f"items must be a pandas DataFrame of item columns, got {type(items).__name__}"
        )
    if not (isinstance(level, numbers.Real) and 0 < level < 1):
        raise ScaleError(f"level must be between 0 and 1, got {level!r}")
    names = [str(c) for c in items.columns]
    if len(names) != len(set(names)):
        raise ScaleError(f"items has duplicated column names: {names}")
    if len(names) < 2:
        raise ScaleError(
            f"a scale needs at least two items to compute its reliability, got {len(names)} "
            f"({', '.join(names) if names else 'none'})"
        )
    values = {}
    not_numeric = []
    for c, name in zip(items.columns, names, strict=True):
        try:
            values[name] = _as_numeric(items[c], name)
        except FeatureError:
            not_numeric.append(name)
    if not_numeric:
        raise ScaleError(f"item column(s) {not_numeric} are not numeric")
    data = np.column_stack([values[n] for n in names])
    all_missing = [n for j, n in enumerate(names) if np.isnan(data[:, j]).all()]
    if all_missing:
        raise ScaleError(f"item column(s) {all_missing} have no answered value")
    reverse = [reverse] if isinstance(reverse, str) else list(reverse or [])
    unknown = [r for r in reverse if r not in names]
    if unknown:
        raise ScaleError(f"reverse names item(s) {unknown} that are not among {names}")
    if reverse:
        if scale is None:
            low, high = float(np.nanmin(data)), float(np.nanmax(data))
        else:
            low, high = (float(v) for v in scale)
        for r in reverse:
            j = names.index(r)
            data[:, j] = low + high - data[:, j]
    complete = ~np.isnan(data).any(axis=1)
    x = data[complete]
    n, k = x.shape
    if n < 3:
        raise ScaleError(
            f"reliability needs at least three rows with every item answered, got {n} "
            f"(of {len(data)})"
        )
    sd_items = x.std(axis=0, ddof=1)
    constant = [nm for nm, s in zip(names, sd_items, strict=True) if not s > 0]
    if constant:
        raise ScaleError(f"item column(s) {constant} do not vary over the complete rows")

    cov = np.cov(x, rowvar=False, ddof=1)
    d = np.sqrt(np.diag(cov))
    corr = cov / np.outer(d, d)
    alpha = _alpha_raw(cov)
    alpha_std = float(k / (k - 1) * (1 - k / corr.sum()))
    p = 1 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    ci_low = 1 - (1 - alpha) * stats.f.ppf(1 - p / 2, df1, df2)
    ci_high = 1 - (1 - alpha) * stats.f.ppf(p / 2, df1, df2)
    # Duhachek & Iacobucci (2004) asymptotic variance, as psych's `ase`.
    total_c = cov.sum()
    tr_c = np.trace(cov)
    cc = cov @ cov
    q = (2 * k**2 / ((k - 1) ** 2 * total_c**3)) * (
        total_c * (np.trace(cc) + tr_c**2) - 2 * tr_c * cc.sum()
    )
    alpha_se = float(np.sqrt(q / n))

    score = x.mean(axis=1)
    if k >= 3:
        load = _minres_one_factor(corr)
        key = np.where(load < 0, -1.0, 1.0)
        vt = float((np.outer(key, key) * corr).sum())
        omega_total = (vt - float(np.sum(1 - load**2))) / vt
    else:
        load = np.full(k, np.nan)
        omega_total = math.nan

    rows = []
    for j, nm in enumerate(names):
        rest = [i for i in range(k) if i != j]
        v_rest = cov[np.ix_(rest, rest)].sum()
        c_rest = cov[j].sum() - cov[j, j]
        rows.append(
            {
                "item": nm,
                "r": float(np.corrcoef(score, x[:, j])[0, 1]),
                "r_drop": float(c_rest / np.sqrt(cov[j, j] * v_rest)),
                "alpha_if_deleted": (_alpha_raw(cov[np.ix_(rest, rest)]) if k >= 3 else math.nan),
                "loading": float(load[j]),
                "mean": float(x[:, j].mean()),
                "sd": float(sd_items[j]),
            }
        )
    item_frame = pd.DataFrame(rows)
    negative = item_frame.loc[item_frame["r_drop"] < 0, "item"].tolist()
    if negative:
        warnings.warn(
            f"item(s) {negative} correlate negatively with the rest of the scale; "
            "reverse-key them with reverse=[...] if they are worded the other way",
            CopFactorsWarning,
            stacklevel=2,
        )
    summary = pd.DataFrame(
        [
            {
                "alpha": alpha,
                "alpha_std": alpha_std,
                "alpha_ci_low": float(ci_low),
                "alpha_ci_high": float(ci_high),
                "alpha_se": alpha_se,
                "omega_total": float(omega_total),
                "n": int(n),
                "k": int(k),
                "mean": float(score.mean()),
                "sd": float(score.std(ddof=1)),
            }
        ]
    )
    full_scores = np.full(len(data), np.nan)
    full_scores[complete] = score
    return ReliabilityResult(
        summary=summary,
        items=item_frame,
        scores=pd.Series(full_scores, index=items.index, name="score"),
        n_incomplete=int((~complete).sum()),
        reversed=tuple(reverse),
        level=float(level),
    )
