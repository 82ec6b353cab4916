"""Recompute, audit and rebuild the paper's Table 1.

Table 1 of Tremblay (Teluq) gives, for 15 objectives and for men, women and the total, the mean,
N and standard deviation of the importance (T1) and attainment (T2) ratings on 1-5 scales, with a
t-test of the gender difference for each of the 30 (objective, measure) pairs. This module

* recomputes every test from the printed summary statistics (:func:`replicate_table1`): Student
  and Welch t, their degrees of freedom and p-values, which test the printed df points to, the
  range of t that the rounding of the inputs allows, the star level, and Holm and
  Benjamini-Hochberg corrections across the 30 tests;
* audits any table of summary statistics (:func:`audit_summary_table`): GRIM (can N integer
  answers have this mean?), GRIMMER (... and this SD?) and whether each total agrees with its
  groups (N, pooled mean, pooled SD);
* rebuilds Table 1's layout from respondent-level data (:func:`group_comparison`), choosing
  Student or Welch the way SPSS output is usually read (Levene's test), or a one-way ANOVA when
  the grouping variable has more than two levels;
* writes the replication report (:func:`replication_markdown`, :func:`replication_report`).

Conventions of the paper kept throughout: t is *men minus women* (negative when women rate
higher); stars are ``***`` for p <= .001, ``**`` for p <= .01, ``*`` for p <= .05 and nothing
(``n-s``) otherwise; printed means, SDs and t values have two decimals, so each printed value
stands for an interval of +/- 0.005 around it.

Examples
--------
>>> from copfactors.replicate import replicate_table1
>>> rep = replicate_table1()
>>> welch = rep[rep["df_points_to"] == "welch"]
>>> welch[["objective", "measure", "df_reported"]].values.tolist()
[['information_sharing', 'importance', 94.58]]
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from copfactors._utils.render import Result, render_table
from copfactors.errors import CopFactorsError, SchemaError

__all__ = [
    "LEGEND",
    "GroupComparison",
    "audit_summary_table",
    "group_comparison",
    "replicate_table1",
    "replication_markdown",
    "replication_report",
    "stars",
]

#: The paper's legend for the significance marks.
LEGEND = "*** p ≤ 0.001 ** p ≤ 0.01 * p ≤ 0.05; n-s = not significant"

_MEASURE_PREFIX = {"importance": "imp_", "attainment": "att_"}
# Letters of the paper's legend: A is importance, B attainment.
_MEASURE_LETTER = {"importance": "A", "attainment": "B"}
_KNOWN_LEVELS = {"gender": ("man", "woman"), "age_band": ("under_35", "35_49", "50_plus")}

_TABLE_COLUMNS = ("objective", "measure", "group", "mean", "n", "sd")
_TESTS_COLUMNS = ("objective", "measure", "t", "df", "stars")
# Floating-point slack when comparing with a rounding interval's edge: an edge value counts as
# inside, so both round-half conventions (half up, half to even) are accepted.
_EPS = 1e-9
# Above this many big-integer operations the exact GRIMMER search falls back to parity + bounds.
_EXACT_GRIMMER_BUDGET = 6_000_000

StarLevel = Literal["***", "**", "*", ""]


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def stars(p: float) -> str:
    """Significance marks in the paper's convention.

    Parameters
    ----------
    p : float
        A p-value.

    Returns
    -------
    str
        ``"***"`` if p <= 0.001, ``"**"`` if p <= 0.01, ``"*"`` if p <= 0.05, else ``""``
        (the paper prints ``n-s``). A missing p gives ``""``.

    Examples
    --------
    >>> [stars(p) for p in (0.0004, 0.001, 0.02, 0.2)]
    ['***', '***', '*', '']
    """
    if p is None or not np.isfinite(p):
        return ""
    if p <= 0.001:
        return "***"
    if p <= 0.01:
        return "**"
    if p <= 0.05:
        return "*"
    return ""


# The p-value interval (lower bound exclusive, upper inclusive) that each star level stands for.
# ``***`` has no lower bound: a p of exactly 0 (what a huge |t| underflows to) is below .001 too.
_STAR_INTERVAL: dict[str, tuple[float, float]] = {
    "***": (-math.inf, 0.001),
    "**": (0.001, 0.01),
    "*": (0.01, 0.05),
    "": (0.05, 1.0),
}


def _layout_error(problems: list[tuple[str, Any, Any, str]], source: str) -> SchemaError:
    frame = pd.DataFrame(problems, columns=list(SchemaError.COLUMNS))
    return SchemaError(frame, source=source)


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], source: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise CopFactorsError(f"{source} must be a pandas DataFrame, not {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise _layout_error(
            [(c, None, None, "required column is missing") for c in missing], source
        )


def _default_table() -> pd.DataFrame:
    from copfactors.datasets import load_table1

    return load_table1()


def _default_tests() -> pd.DataFrame:
    from copfactors.datasets import load_table1_tests

    return load_table1_tests()


def _objective_order() -> tuple[str, ...]:
    from copfactors.schema import OBJECTIVES

    return tuple(OBJECTIVES)


def _objective_labels() -> dict[str, str]:
    from copfactors.schema import OBJECTIVE_LABELS

    return dict(OBJECTIVE_LABELS)


def _printed_decimals(value: float, default: int) -> int:
    """Decimals of a printed number: 0 if it is a whole number, else ``default``."""
    return 0 if float(value).is_integer() else default


# --------------------------------------------------------------------------------------------
# t-tests from summary statistics (vectorised)
# --------------------------------------------------------------------------------------------


def _se_student(s1: Any, n1: Any, s2: Any, n2: Any) -> Any:
    df = n1 + n2 - 2
    pooled = ((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / df
    return np.sqrt(pooled * (1.0 / n1 + 1.0 / n2))


def _se_welch(s1: Any, n1: Any, s2: Any, n2: Any) -> Any:
    return np.sqrt(s1**2 / n1 + s2**2 / n2)


def _df_welch(s1: Any, n1: Any, s2: Any, n2: Any) -> Any:
    v1, v2 = s1**2 / n1, s2**2 / n2
    return (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))


def _two_sided_p(t: Any, df: Any) -> Any:
    from scipy import stats

    return 2.0 * stats.t.sf(np.abs(t), df)


def _variance_ratio_p(s1: Any, n1: Any, s2: Any, n2: Any) -> Any:
    from scipy import stats

    f = s1**2 / s2**2
    one_sided = stats.f.sf(f, n1 - 1, n2 - 1)
    return np.minimum(2.0 * np.minimum(one_sided, 1.0 - one_sided), 1.0)


def _t_range(
    m1: float, s1: float, n1: float, m2: float, s2: float, n2: float, h: float, test: str
) -> tuple[float, float]:
    """Exact range of t when the means and SDs vary in their rounding intervals.

    t = (m1 - m2) / se(s1, s2). t is increasing in m1 and decreasing in m2 (se does not depend on
    the means), so the difference d = m1 - m2 ranges over [d_lo, d_hi]. For both tests se is
    strictly increasing in each SD (se**2 is a positive combination of s1**2 and s2**2), so for
    a fixed d the extreme t is at a corner of the SD box: |t| is largest with both SDs at their
    lower edges and smallest with both at their upper edges. Hence
    ``t_max = d_hi / se_lo`` if ``d_hi >= 0`` else ``d_hi / se_hi``, and symmetrically for
    ``t_min``. (The test suite checks these bounds against bounded numerical optimisation.)
    """
    se = _se_welch if test == "welch" else _se_student
    d_lo, d_hi = (m1 - h) - (m2 + h), (m1 + h) - (m2 - h)
    se_lo = float(se(max(s1 - h, 0.0), n1, max(s2 - h, 0.0), n2))
    se_hi = float(se(s1 + h, n1, s2 + h, n2))

    def ratio(d: float, s: float) -> float:
        if s == 0.0:
            return math.copysign(math.inf, d) if d != 0 else 0.0
        return d / s

    t_max = ratio(d_hi, se_lo) if d_hi >= 0 else ratio(d_hi, se_hi)
    t_min = ratio(d_lo, se_lo) if d_lo <= 0 else ratio(d_lo, se_hi)
    return t_min, t_max


def _welch_df_range(s1: float, n1: float, s2: float, n2: float, h: float) -> tuple[float, float]:
    """Exact range of the Welch-Satterthwaite df when the SDs vary by +/- h.

    The df depends on the SDs only through r = (s1**2/n1) / (s2**2/n2):
    ``df(r) = (1 + r)**2 / (r**2 / (n1 - 1) + 1 / (n2 - 1))``, which increases up to
    r* = (n1 - 1) / (n2 - 1) (where it equals n1 + n2 - 2) and decreases after. r is monotone in
    each SD, so its range is reached at two corners of the SD box, and the df range is
    [min(df(r_lo), df(r_hi)), df(r*) if r* is inside else max(df(r_lo), df(r_hi))].
    """
    a, b = 1.0 / (n1 - 1), 1.0 / (n2 - 1)

    def df_of(r: float) -> float:
        if math.isinf(r):
            return 1.0 / a
        return (1.0 + r) ** 2 / (r**2 * a + b)

    s1_lo, s2_lo = max(s1 - h, 0.0), max(s2 - h, 0.0)
    v1_lo, v1_hi = s1_lo**2 / n1, (s1 + h) ** 2 / n1
    v2_lo, v2_hi = s2_lo**2 / n2, (s2 + h) ** 2 / n2
    r_lo = v1_lo / v2_hi
    r_hi = math.inf if v2_lo == 0 else v1_hi / v2_lo
    ends = (df_of(r_lo), df_of(r_hi))
    r_star = b / a
    top = n1 + n2 - 2.0 if r_lo <= r_star <= r_hi else max(ends)
    return min(ends), top


def _pairs(table: pd.DataFrame, groups: tuple[str, str], source: str) -> pd.DataFrame:
    """One row per (objective, measure) with the two groups' statistics side by side."""
    g1, g2 = groups
    problems = []
    rows = []
    keys = table[["objective", "measure"]].drop_duplicates()
    for objective, measure in keys.itertuples(index=False):
        cell = table[(table["objective"] == objective) & (table["measure"] == measure)]
        rec: dict[str, Any] = {"objective": objective, "measure": measure}
        rec["label"] = cell["label"].iloc[0] if "label" in cell.columns else objective
        for tag, group in (("1", g1), ("2", g2)):
            row = cell[cell["group"] == group]
            if len(row) != 1:
                problems.append(
                    (
                        "group",
                        None,
                        group,
                        f"{objective}/{measure}: expected one {group!r} row, found {len(row)}",
                    )
                )
                continue
            rec[f"m{tag}"] = float(row["mean"].iloc[0])
            rec[f"n{tag}"] = int(row["n"].iloc[0])
            rec[f"s{tag}"] = float(row["sd"].iloc[0])
        rows.append(rec)
    if problems:
        raise _layout_error(problems, source)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# 1. recomputation of the published tests
# --------------------------------------------------------------------------------------------


def replicate_table1(
    table: pd.DataFrame | None = None,
    tests: pd.DataFrame | None = None,
    *,
    decimals: int = 2,
) -> pd.DataFrame:
    """Recompute every t-test of Table 1 from the printed means, SDs and Ns.

    For each (objective, measure) pair the gender difference is tested as the paper does, men
    minus women, once with the pooled-variance (Student) t and once with Welch's t and
    Welch-Satterthwaite df. The printed df says which test the paper used: ``"student"`` when it
    equals n_men + n_women - 2, ``"welch"`` when it lies in the range of Welch df that the
    rounded SDs allow (widened by half a unit of the df's last printed decimal), ``"neither"``
    otherwise, and ``""`` for the n-s pairs, which print no df.

    Printed means and SDs stand for intervals of +/- half a unit in their last decimal (N is
    exact). ``t_min`` and ``t_max`` are the exact extremes of t over that box, for the test the
    df points to (Student for n-s pairs and for ``"neither"``): t is monotone in each mean and,
    for fixed means, its extremes over the SDs sit at a corner of the SD box because the
    standard error increases with each SD. A printed t is ``reproduced`` when it lies in
    [t_min, t_max] widened by its own rounding (+/- 0.005).

    Parameters
    ----------
    table : pandas.DataFrame, optional
        Summary statistics in :func:`copfactors.datasets.load_table1`'s layout (columns
        ``objective, label, measure, group, mean, n, sd``; groups ``men`` and ``women``).
        Defaults to the published table.
    tests : pandas.DataFrame, optional
        Printed tests in :func:`copfactors.datasets.load_table1_tests`'s layout (columns
        ``objective, measure, t, df, stars``; ``t`` and ``df`` empty for n-s). Defaults to the
        published tests.
    decimals : int, default 2
        Decimals printed for means, SDs and t (and for a fractional df).

    Returns
    -------
    pandas.DataFrame
        One row per pair, in table order, with columns

        - ``objective``, ``label``, ``measure``, ``n_men``, ``n_women``;
        - ``t_reported``, ``df_reported``, ``stars_reported`` (``""`` for n-s);
        - ``t_student``, ``df_student``, ``p_student``, ``t_welch``, ``df_welch``, ``p_welch``
          (two-sided p), ``df_welch_min``, ``df_welch_max`` (Welch df over the rounding box);
        - ``variance_ratio_p``: two-sided p of the F test of equal variances (s_men**2 /
          s_women**2 on n_men - 1 and n_women - 1 df), a rough stand-in for the Levene test
          that the raw data would allow;
        - ``df_points_to`` (``"student"``, ``"welch"``, ``"neither"`` or ``""``) and
          ``test_used`` (the test the df points to; ``"student"`` for n-s and ``"neither"``);
        - ``t_recomputed``, ``df_recomputed``, ``p_recomputed`` of ``test_used``;
        - ``t_min``, ``t_max``; ``reproduced`` (nullable boolean, missing for n-s pairs);
        - ``p_min``, ``p_max``: the p-values at the extremes of |t| (for Welch, paired with
          the most favourable extreme df, so the interval is an outer bound);
        - ``stars_recomputed``; ``significance_matches`` (printed and recomputed stars are the
          same, n-s counting as ``""``); ``stars_possible`` (the printed level is reachable
          within the rounding box; a p that underflows to 0 counts as ``***``);
          ``ns_confirmed`` (for n-s pairs: recomputed p > 0.05; missing otherwise);
        - ``p_holm``, ``p_bh``, ``survives_holm``, ``survives_bh``: Holm and
          Benjamini-Hochberg adjustments of ``p_recomputed`` across all pairs (alpha 0.05).

    Raises
    ------
    SchemaError
        If a required column, a men or women row, or a test row is missing.

    Examples
    --------
    >>> rep = replicate_table1()
    >>> rep.shape[0]
    30
    >>> row = rep.iloc[0]
    >>> row["objective"], row["df_points_to"], round(float(row["t_student"]), 3)
    ('innovation', 'student', -3.326)
    >>> bool(row["reproduced"])
    True
    """
    from statsmodels.stats.multitest import multipletests

    table = _default_table() if table is None else table
    tests = _default_tests() if tests is None else tests
    _require_columns(table, _TABLE_COLUMNS, "the summary table")
    _require_columns(tests, _TESTS_COLUMNS, "the tests table")
    pairs = _pairs(table, ("men", "women"), "the summary table")
    h = 0.5 * 10.0**-decimals

    tests = tests.copy()
    tests["stars"] = tests["stars"].fillna("").astype(str).str.strip()
    merged = pairs.merge(
        tests[["objective", "measure", "t", "df", "stars"]],
        on=["objective", "measure"],
        how="left",
        indicator=True,
    )
    missing = merged[merged["_merge"] == "left_only"]
    if len(missing):
        raise _layout_error(
            [
                ("objective", None, f"{o}/{m}", "no row for this pair in the tests table")
                for o, m in missing[["objective", "measure"]].itertuples(index=False)
            ],
            "the tests table",
        )

    m1, s1, n1 = (merged[c].to_numpy(float) for c in ("m1", "s1", "n1"))
    m2, s2, n2 = (merged[c].to_numpy(float) for c in ("m2", "s2", "n2"))
    out = pd.DataFrame(
        {
            "objective": merged["objective"],
            "label": merged["label"],
            "measure": merged["measure"],
            "n_men": merged["n1"].astype(int),
            "n_women": merged["n2"].astype(int),
            "t_reported": merged["t"].astype(float),
            "df_reported": merged["df"].astype(float),
            "stars_reported": merged["stars"].astype(str),
        }
    )
    # printed SDs of 0.00 give an infinite t (p = 0) and an undefined Welch df: no warning
    with np.errstate(divide="ignore", invalid="ignore"):
        out["t_student"] = (m1 - m2) / _se_student(s1, n1, s2, n2)
        out["df_student"] = n1 + n2 - 2
        out["p_student"] = _two_sided_p(out["t_student"].to_numpy(), out["df_student"].to_numpy())
        out["t_welch"] = (m1 - m2) / _se_welch(s1, n1, s2, n2)
        out["df_welch"] = _df_welch(s1, n1, s2, n2)
        out["p_welch"] = _two_sided_p(out["t_welch"].to_numpy(), out["df_welch"].to_numpy())
    df_ranges = [
        _welch_df_range(a, na, b, nb, h) for a, na, b, nb in zip(s1, n1, s2, n2, strict=True)
    ]
    out["df_welch_min"] = [lo for lo, _ in df_ranges]
    out["df_welch_max"] = [hi for _, hi in df_ranges]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["variance_ratio_p"] = _variance_ratio_p(s1, n1, s2, n2)

    points = []
    for rec in out.itertuples(index=False):
        df_rep = rec.df_reported
        if not np.isfinite(df_rep):
            points.append("")
        elif abs(df_rep - rec.df_student) < _EPS:
            points.append("student")
        else:
            h_df = 0.5 * 10.0 ** -_printed_decimals(df_rep, decimals)
            inside = rec.df_welch_min - h_df - _EPS <= df_rep <= rec.df_welch_max + h_df + _EPS
            points.append("welch" if inside else "neither")
    out["df_points_to"] = points
    welch = out["df_points_to"].eq("welch").to_numpy()
    out["test_used"] = np.where(welch, "welch", "student")
    out["t_recomputed"] = np.where(welch, out["t_welch"], out["t_student"])
    out["df_recomputed"] = np.where(welch, out["df_welch"], out["df_student"])
    out["p_recomputed"] = np.where(welch, out["p_welch"], out["p_student"])

    t_lo, t_hi, p_lo, p_hi = [], [], [], []
    for i in range(len(out)):
        test = out["test_used"].iloc[i]
        lo, hi = _t_range(m1[i], s1[i], n1[i], m2[i], s2[i], n2[i], h, test)
        t_lo.append(lo)
        t_hi.append(hi)
        big = max(abs(lo), abs(hi))
        small = 0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi))
        if test == "welch":
            df_big, df_small = out["df_welch_max"].iloc[i], out["df_welch_min"].iloc[i]
        else:
            df_big = df_small = out["df_student"].iloc[i]
        p_lo.append(float(_two_sided_p(big, df_big)))
        p_hi.append(float(_two_sided_p(small, df_small)))
    out["t_min"], out["t_max"] = t_lo, t_hi
    reported = out["t_reported"]
    inside = (reported >= out["t_min"] - h - _EPS) & (reported <= out["t_max"] + h + _EPS)
    out["reproduced"] = pd.array(
        [pd.NA if pd.isna(t) else bool(ok) for t, ok in zip(reported, inside, strict=True)],
        dtype="boolean",
    )
    out["p_min"], out["p_max"] = p_lo, p_hi
    out["stars_recomputed"] = [stars(p) for p in out["p_recomputed"]]
    out["significance_matches"] = out["stars_recomputed"] == out["stars_reported"]
    possible = []
    for level, lo, hi in zip(out["stars_reported"], out["p_min"], out["p_max"], strict=True):
        a, b = _STAR_INTERVAL.get(level, (math.nan, math.nan))
        possible.append(bool(lo <= b and hi > a))
    out["stars_possible"] = possible
    out["ns_confirmed"] = pd.array(
        [
            (bool(p > 0.05) if level == "" else pd.NA)
            for level, p in zip(out["stars_reported"], out["p_recomputed"], strict=True)
        ],
        dtype="boolean",
    )
    p = out["p_recomputed"].to_numpy(float)
    out["survives_holm"], out["p_holm"] = multipletests(p, alpha=0.05, method="holm")[:2]
    out["survives_bh"], out["p_bh"] = multipletests(p, alpha=0.05, method="fdr_bh")[:2]
    out["survives_holm"] = out["survives_holm"].astype(bool)
    out["survives_bh"] = out["survives_bh"].astype(bool)
    columns = [
        "objective", "label", "measure", "n_men", "n_women",
        "t_reported", "df_reported", "stars_reported",
        "t_student", "df_student", "p_student", "t_welch", "df_welch", "p_welch",
        "df_welch_min", "df_welch_max", "variance_ratio_p", "df_points_to", "test_used",
        "t_recomputed", "df_recomputed", "p_recomputed",
        "t_min", "t_max", "reproduced", "p_min", "p_max",
        "stars_recomputed", "significance_matches", "stars_possible", "ns_confirmed",
        "p_holm", "p_bh", "survives_holm", "survives_bh",
    ]  # fmt: skip
    out["df_student"] = out["df_student"].astype(int)
    return out[columns].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# 2. consistency audit of summary statistics (GRIM, GRIMMER, totals)
# --------------------------------------------------------------------------------------------


def _grim_sums(mean: float, n: int, lo: int, hi: int, h: float) -> list[int]:
    """Integer sums S of n answers in [lo, hi] whose mean S/n rounds to ``mean``.

    "Rounds to" means |S/n - mean| <= h (half a unit of the last decimal), edges included: a
    mean exactly half-way between two printed values is accepted for both, whatever rounding
    rule (half up, half to even, or the binary value's rounding) the software used.
    """
    tol = h + _EPS
    first = max(math.ceil(n * (mean - tol)), n * lo)
    last = min(math.floor(n * (mean + tol)), n * hi)
    return [s for s in range(first, last + 1) if abs(s / n - mean) <= tol]


def _alternating_bits(first: int, last: int) -> int:
    """Bit set with bits first, first + 2, ..., up to last."""
    if last < first:
        return 0
    count = (last - first) // 2 + 1
    return (((1 << (2 * count)) - 1) // 3) << first


def _sumsq_bounds(n: int, t: int, r: int) -> tuple[int, int]:
    """Smallest and largest sum of squares of n integers in [0, r] that add up to t.

    The smallest comes from the most concentrated allocation (every value floor(t/n) or one
    more), the largest from the most extreme one (as many r's as possible, one remainder, the
    rest 0).
    """
    q, rem = divmod(t, n)
    smallest = (n - rem) * q * q + rem * (q + 1) ** 2
    full, rest = divmod(t, r)
    largest = full * r * r + rest * rest
    return smallest, largest


def _reachable_sumsq(queries: set[tuple[int, int]], r: int) -> dict[tuple[int, int], int]:
    """Every achievable sum of squares for n integers in [0, r] adding up to t, per (n, t).

    The answer is a bit set (bit q set when some answer set has sum of squares q), built by
    dynamic programming over the number of answers: the sets for n answers are the sets for
    n - 1 answers shifted by k**2 for each possible last answer k.
    """
    if not queries:
        return {}
    wanted: dict[int, list[int]] = {}
    for n, t in queries:
        wanted.setdefault(n, []).append(t)
    squares = [k * k for k in range(r + 1)]
    layer = [1]  # zero answers: sum 0, sum of squares 0
    out: dict[tuple[int, int], int] = {}
    for n in range(1, max(wanted) + 1):
        new = [0] * (n * r + 1)
        for t_prev, bits in enumerate(layer):
            if bits:
                for k, sq in enumerate(squares):
                    new[t_prev + k] |= bits << sq
        layer = new
        for t in wanted.get(n, ()):
            out[(n, t)] = layer[t]
    return out


def _sd_of(n: int, t: int, q: int) -> float:
    return math.sqrt(max(n * q - t * t, 0) / (n * (n - 1)))


def _nearest_bits(bits: int, lo: int, hi: int) -> tuple[int | None, int | None]:
    """Highest set bit below ``lo`` and lowest set bit above ``hi``."""
    below_bits = bits & ((1 << lo) - 1) if lo > 0 else 0
    below = below_bits.bit_length() - 1 if below_bits else None
    above_bits = bits >> (hi + 1)
    above = (above_bits & -above_bits).bit_length() - 1 + hi + 1 if above_bits else None
    return below, above


@dataclass
class _Cell:
    objective: Any
    measure: Any
    group: Any
    mean: float
    n: int
    sd: float


def _fmt(x: float, d: int) -> str:
    return f"{x:.{d}f}"


def _grim_row(cell: _Cell, lo: int, hi: int, d: int) -> tuple[bool, str, list[int]]:
    h = 0.5 * 10.0**-d
    m, n = cell.mean, cell.n
    if n < 1:
        return False, f"An N of {n} cannot carry a mean.", []
    sums = _grim_sums(m, n, lo, hi, h)
    if sums:
        best = min(sums, key=lambda s: abs(s / n - m))
        more = "" if len(sums) == 1 else f"; {len(sums)} sums are possible"
        return (
            True,
            f"A mean of {_fmt(m, d)} from {n} integer answers is possible "
            f"(sum {best} gives {_fmt(best / n, d + 1)}{more}).",
            sums,
        )
    if m < lo - h or m > hi + h:
        return False, f"A mean of {_fmt(m, d)} is outside the {lo}-{hi} scale.", []
    below = max(min(math.floor(n * m), n * hi), n * lo)
    above = below + 1
    return (
        False,
        f"A mean of {_fmt(m, d)} from {n} integer answers is impossible: the nearest sums "
        f"{below} and {above} give {_fmt(below / n, d + 2)} and {_fmt(above / n, d + 2)}.",
        [],
    )


def _grimmer_row(
    cell: _Cell,
    sums: list[int],
    lo: int,
    hi: int,
    d: int,
    reachable: dict[tuple[int, int], int],
    exact: bool,
) -> tuple[bool, str]:
    n, m, sd = cell.n, cell.mean, cell.sd
    r = hi - lo
    h = 0.5 * 10.0**-d
    if not sums:
        return (
            False,
            f"No SD is possible: the mean {_fmt(m, d)} itself is impossible for {n} integer "
            f"answers (see the GRIM check).",
        )
    v_lo, v_hi = max(sd - h - _EPS, 0.0) ** 2, (sd + h + _EPS) ** 2
    found: tuple[int, int, float] | None = None
    nearest: list[tuple[float, int, int]] = []
    sd_min, sd_max = math.inf, -math.inf
    classic_ok = False
    for s in sums:
        t = s - n * lo  # shift the answers to 0..r: the SD does not change
        q_lo = math.ceil((n * (n - 1) * v_lo + t * t) / n - _EPS)
        q_hi = math.floor((n * (n - 1) * v_hi + t * t) / n + _EPS)
        smallest, largest = _sumsq_bounds(n, t, r)
        sd_min = min(sd_min, _sd_of(n, t, smallest))
        sd_max = max(sd_max, _sd_of(n, t, largest))
        parity = _alternating_bits(smallest, largest)  # both ends have the parity of t
        if q_hi >= q_lo and parity >> q_lo & ((1 << (q_hi - q_lo + 1)) - 1):
            classic_ok = True
        bits = reachable[(n, t)] if exact else parity
        if q_hi >= q_lo:
            window = (bits >> q_lo) & ((1 << (q_hi - q_lo + 1)) - 1)
            if window:
                best_q = min(
                    (q_lo + i for i in range(q_hi - q_lo + 1) if window >> i & 1),
                    key=lambda q, t=t: abs(_sd_of(n, t, q) - sd),
                )
                cand = (s, best_q + 2 * lo * t + n * lo * lo, _sd_of(n, t, best_q))
                if found is None or abs(cand[2] - sd) < abs(found[2] - sd):
                    found = cand
        for q in _nearest_bits(bits, max(q_lo, 0), max(q_hi, q_lo - 1)):
            if q is not None:
                nearest.append((_sd_of(n, t, q), s, q))
    how = "" if exact else " (checked with the parity and bounds rules only: N is large)"
    if found is not None:
        s, qx, sd_hat = found
        return (
            True,
            f"An SD of {_fmt(sd, d)} from {n} answers with mean {_fmt(m, d)} is possible "
            f"(sum {s} and sum of squares {qx} give SD {_fmt(sd_hat, d + 1)}){how}.",
        )
    if sd < sd_min - h - _EPS or sd > sd_max + h + _EPS:
        return (
            False,
            f"An SD of {_fmt(sd, d)} is impossible for {n} answers on a {lo}-{hi} scale with "
            f"mean {_fmt(m, d)}: the SD must lie between {_fmt(sd_min, d + 2)} and "
            f"{_fmt(sd_max, d + 2)}.",
        )
    below = max((x for x, _, _ in nearest if x < sd), default=None)
    above = min((x for x, _, _ in nearest if x > sd), default=None)
    parts = [_fmt(x, d + 2) for x in (below, above) if x is not None]
    closest = " and ".join(parts)
    extra = ""
    if exact and classic_ok:
        extra = (
            " The parity and bounds rules alone would allow it, but no set of answers reaches "
            "the sums of squares needed."
        )
    return (
        False,
        f"An SD of {_fmt(sd, d)} is impossible for {n} integer answers on a {lo}-{hi} scale "
        f"with mean {_fmt(m, d)}: the nearest possible SDs are {closest}.{extra}",
    )


def _pooled_sd_range(
    means: np.ndarray, sds: np.ndarray, ns: np.ndarray, h: float
) -> tuple[float, float, float]:
    """Attainable range of the SD of the combined groups, and its value at the printed inputs.

    Total sum of squares = within-group part sum((n_g - 1) s_g**2), increasing in each s_g,
    plus between-group part B(m) = sum(n_g (m_g - pooled mean)**2), a convex quadratic in the
    means. Over the box of means, B's maximum is at a vertex (enumerated), and its minimum is
    min over c of sum(n_g dist(c, [m_g - h, m_g + h])**2), a convex piecewise quadratic in c
    whose minimum is at an interval edge or at a stationary point of one piece (all checked).
    """
    big_n = float(ns.sum())
    s_lo = np.maximum(sds - h, 0.0)
    w_lo, w_hi = float(((ns - 1) * s_lo**2).sum()), float(((ns - 1) * (sds + h) ** 2).sum())

    def between(m: np.ndarray) -> float:
        mbar = float((ns * m).sum() / big_n)
        return float((ns * (m - mbar) ** 2).sum())

    if len(means) > 16:
        raise CopFactorsError(f"too many groups ({len(means)}) to combine into a total")
    b_max = max(
        between(means + h * np.array(signs))
        for signs in itertools.product((-1.0, 1.0), repeat=len(means))
    )
    lows, highs = means - h, means + h

    def dist2(c: float) -> float:
        gap = np.maximum(lows - c, 0.0) + np.maximum(c - highs, 0.0)
        return float((ns * gap**2).sum())

    edges = np.sort(np.concatenate([lows, highs]))
    candidates = list(edges)
    for a, b in itertools.pairwise(edges):
        c_mid = (a + b) / 2
        below, above = lows > c_mid, highs < c_mid
        weight = ns[below].sum() + ns[above].sum()
        if weight > 0:
            c_star = (float((ns * lows)[below].sum()) + float((ns * highs)[above].sum())) / weight
            candidates.append(min(max(c_star, a), b))
    b_min = min(dist2(c) for c in candidates)
    at = float(((ns - 1) * sds**2).sum()) + between(means)
    lo = math.sqrt((w_lo + b_min) / (big_n - 1))
    hi = math.sqrt((w_hi + b_max) / (big_n - 1))
    return lo, hi, math.sqrt(at / (big_n - 1))


def _total_rows(parts: list[_Cell], total: _Cell, d: int) -> list[tuple[str, bool, str]]:
    h = 0.5 * 10.0**-d
    ns = np.array([c.n for c in parts], dtype=float)
    means = np.array([c.mean for c in parts], dtype=float)
    sds = np.array([c.sd for c in parts], dtype=float)
    names = [str(c.group) for c in parts]
    n_sum = int(ns.sum())
    out = []
    listing = " + ".join(f"{g} {int(k)}" for g, k in zip(names, ns, strict=True))
    if total.n == n_sum:
        out.append(("total_n", True, f"The total N of {total.n} equals {listing}."))
    else:
        out.append(
            (
                "total_n",
                False,
                f"The total N of {total.n} differs from {listing} = {n_sum}.",
            )
        )
    note = "" if total.n == n_sum else f" (using the groups' N of {n_sum})"

    pooled = float((ns * means).sum() / n_sum)
    m_lo, m_hi = pooled - h, pooled + h  # the pooled mean is a weighted average: it moves by h
    ok = m_lo - _EPS <= total.mean + h and total.mean - h <= m_hi + _EPS
    verdict = "consistent with" if ok else "inconsistent with"
    out.append(
        (
            "total_mean",
            ok,
            f"The groups' means give a pooled mean between {_fmt(m_lo, d + 1)} and "
            f"{_fmt(m_hi, d + 1)} ({_fmt(pooled, d + 2)} at the printed values){note}, "
            f"{verdict} the total's {_fmt(total.mean, d)}.",
        )
    )
    if n_sum < 2 or not np.all(np.isfinite(sds)) or not np.isfinite(total.sd):
        return out
    s_lo, s_hi, s_at = _pooled_sd_range(means, sds, ns, h)
    ok = s_lo - _EPS <= total.sd + h and total.sd - h <= s_hi + _EPS
    verdict = "consistent with" if ok else "inconsistent with"
    out.append(
        (
            "total_sd",
            ok,
            f"The groups' means and SDs give a combined SD between {_fmt(s_lo, d + 2)} and "
            f"{_fmt(s_hi, d + 2)} ({_fmt(s_at, d + 2)} at the printed values){note}, "
            f"{verdict} the total's {_fmt(total.sd, d)}.",
        )
    )
    return out


def audit_summary_table(
    table: pd.DataFrame | None = None,
    *,
    scale_min: int = 1,
    scale_max: int = 5,
    decimals: int = 2,
    total: str = "total",
) -> pd.DataFrame:
    """Check that every mean, SD and total of a summary table can come from integer answers.

    Checks, each giving one row:

    ``grim``
        (Brown & Heathers 2017) Some integer sum S of N answers in
        [N * scale_min, N * scale_max] has S / N within half a unit of the printed mean. The
        edge counts: a mean exactly half-way between two printed values is accepted for both,
        since the audit does not assume a rounding rule (half up, half to even, or the rounding
        of the binary floating-point value all occur).
    ``grimmer``
        (Anaya 2016; Allard 2018) For some GRIM-consistent sum S, some integer sum of squares
        Q gives a sample SD (ddof=1), sqrt((N Q - S**2) / (N (N - 1))), within half a unit of
        the printed SD. GRIMMER's rules are that Q has the parity of S (x**2 and x have the
        same parity) and lies between the sums of squares of the most concentrated and the
        most extreme allocations of S on the scale. Those rules are necessary but not
        sufficient (with 3 answers on 1-5 adding up to 9, Q can be 27, 29, 33 or 35 but not 31),
        so this audit goes one step further and computes, by dynamic programming over the
        answers, the exact set of sums of squares that N integer answers on the scale adding up
        to S can have: a pass means a concrete set of answers exists. When N is too large for
        that search (more than a few hundred answers on a 5-point scale) the parity and bounds
        rules are used and the detail says so.
    ``total_n``
        The total's N equals the sum of the groups' Ns.
    ``total_mean``
        The groups' pooled mean, with each group mean anywhere in its rounding interval, can
        round to the total's mean.
    ``total_sd``
        The SD of the combined groups (within-group plus between-group sums of squares), with
        every mean and SD anywhere in its rounding interval, can round to the total's SD. The
        attainable interval is computed exactly (see the module's source for the argument).

    Parameters
    ----------
    table : pandas.DataFrame, optional
        Summary statistics in :func:`copfactors.datasets.load_table1`'s layout (columns
        ``objective, measure, group, mean, n, sd``); any objectives and groups. Defaults to the
        published Table 1.
    scale_min, scale_max : int, default 1 and 5
        Smallest and largest possible answer (integers).
    decimals : int, default 2
        Decimals printed for means and SDs.
    total : str, default "total"
        The group holding the total of the other groups. The total checks run for every
        (objective, measure) that has it.

    Returns
    -------
    pandas.DataFrame
        Columns ``objective, measure, group, check, passed, detail``; ``detail`` is a sentence
        stating the evidence. GRIMMER rows are omitted for cells with N < 2 or no SD.

    Raises
    ------
    SchemaError
        If a required column is missing or a value is not a number.

    Examples
    --------
    >>> import pandas as pd
    >>> cells = pd.DataFrame({"objective": ["x"], "measure": ["importance"], "group": ["men"],
    ...                       "mean": [3.54], "n": [26], "sd": [0.81]})
    >>> audit = audit_summary_table(cells)
    >>> audit["detail"].iloc[0]
    'A mean of 3.54 from 26 integer answers is possible (sum 92 gives 3.538).'
    >>> bool(audit.loc[audit["check"] == "grimmer", "passed"].iloc[0])
    True
    """
    table = _default_table() if table is None else table
    _require_columns(table, _TABLE_COLUMNS, "the summary table")
    if int(scale_min) != scale_min or int(scale_max) != scale_max or scale_max <= scale_min:
        raise CopFactorsError(
            f"the scale must run between two integers, scale_min < scale_max; got "
            f"{scale_min!r} and {scale_max!r}"
        )
    lo, hi, d = int(scale_min), int(scale_max), int(decimals)
    problems = []
    for col in ("mean", "n", "sd"):
        values = pd.to_numeric(table[col], errors="coerce")
        for i in np.flatnonzero(values.isna() & table[col].notna()):
            problems.append((col, int(i) + 1, table[col].iloc[i], "not a number"))
    n_values = pd.to_numeric(table["n"], errors="coerce")
    for i in np.flatnonzero(n_values.notna() & (n_values % 1 != 0)):
        problems.append(("n", int(i) + 1, table["n"].iloc[i], "N must be a whole number"))
    if problems:
        raise _layout_error(problems, "the summary table")

    cells = [
        _Cell(o, m, g, float(mean), int(n), float(sd))
        for o, m, g, mean, n, sd in table[list(_TABLE_COLUMNS)].itertuples(index=False)
        if pd.notna(mean) and pd.notna(n)
    ]
    r = hi - lo
    max_n = max((c.n for c in cells), default=0)
    exact = max_n**2 * r * (r + 1) / 2 <= _EXACT_GRIMMER_BUDGET
    grim = {id(c): _grim_row(c, lo, hi, d) for c in cells}
    queries = {
        (c.n, s - c.n * lo) for c in cells if c.n >= 2 and np.isfinite(c.sd) for s in grim[id(c)][2]
    }
    reachable = _reachable_sumsq(queries, r) if exact else {}

    rows: list[dict[str, Any]] = []
    keys = list(dict.fromkeys((c.objective, c.measure) for c in cells))
    for objective, measure in keys:
        group_cells = [c for c in cells if c.objective == objective and c.measure == measure]
        for c in group_cells:
            passed, detail, sums = grim[id(c)]
            rows.append(_row(c, "grim", passed, detail))
            if c.n >= 2 and np.isfinite(c.sd):
                passed, detail = _grimmer_row(c, sums, lo, hi, d, reachable, exact)
                rows.append(_row(c, "grimmer", passed, detail))
        totals = [c for c in group_cells if c.group == total]
        parts = [c for c in group_cells if c.group != total]
        if len(totals) == 1 and parts:
            for check, passed, detail in _total_rows(parts, totals[0], d):
                rows.append(_row(totals[0], check, passed, detail))
    out = pd.DataFrame(rows, columns=["objective", "measure", "group", "check", "passed", "detail"])
    out["passed"] = out["passed"].astype(bool)
    return out


def _row(cell: _Cell, check: str, passed: bool, detail: str) -> dict[str, Any]:
    return {
        "objective": cell.objective,
        "measure": cell.measure,
        "group": cell.group,
        "check": check,
        "passed": bool(passed),
        "detail": detail,
    }


# --------------------------------------------------------------------------------------------
# 3. Table 1's layout from respondent-level data
# --------------------------------------------------------------------------------------------


@dataclass
class GroupComparison(Result):
    """Table 1's layout computed from respondent-level data.

    A :class:`~copfactors.report.Result`: ``to_text``, ``to_html``, ``to_latex``,
    ``print_summary`` and the notebook displays come from :meth:`render`, which shows
    :meth:`wide`; :meth:`to_frame` is :meth:`wide` too.

    Attributes
    ----------
    table : pandas.DataFrame
        Long layout, one row per (objective, measure, group) including ``total``: columns
        ``objective, label, measure, group, mean, n, sd`` (the layout of
        :func:`copfactors.datasets.load_table1`, so :func:`audit_summary_table` accepts it).
    tests : pandas.DataFrame
        One row per (objective, measure): ``objective, label, measure, test`` (``"student"``,
        ``"welch"``, ``"anova"``, ``"welch_anova"`` or ``""`` when the test cannot be computed),
        ``t`` (first group minus second; missing for ANOVA), ``F`` (missing for t-tests),
        ``df1`` (ANOVA numerator df), ``df``, ``df_text`` (the df as the paper prints it: an
        integer for Student, two decimals for Welch), ``p``, ``stars``, ``levene_p`` and
        ``display`` (for example ``"t(142) = -3.32***"`` or ``"n-s"``).
    by : str
        The grouping column.
    groups : tuple of str
        The compared levels, in order.

    Examples
    --------
    >>> from copfactors.replicate import _example_survey
    >>> res = group_comparison(_example_survey(), objectives=["innovation"])
    >>> "n-s = not significant" in res.to_text(), res.to_html()[:6]
    (True, '<table')
    >>> "tabular" in res.to_latex()
    True
    """

    #: decimals of numbers other than means and SDs (always 2), when none are asked for
    default_digits = 4

    table: pd.DataFrame
    tests: pd.DataFrame
    by: str
    groups: tuple[str, ...]

    def wide(self) -> pd.DataFrame:
        """Table 1's layout: one row per objective, the tests, then mean, N, SD per group.

        Columns are ``objective`` (the label), ``tests`` (for example
        ``"A t(142) = -3.32***; B n-s"``, A being importance and B attainment as in the
        paper's legend) and, for each group followed by ``total`` and each measure letter,
        ``"<group> <letter> mean"``, ``"<group> <letter> N"`` and ``"<group> <letter> SD"``.

        Examples
        --------
        >>> from copfactors.replicate import _example_survey
        >>> res = group_comparison(_example_survey(), objectives=["innovation"])
        >>> res.wide().columns[:5].tolist()
        ['objective', 'tests', 'man A mean', 'man A N', 'man A SD']
        """
        measures = list(dict.fromkeys(self.table["measure"]))
        letters = _measure_letters(measures)
        rows = []
        for objective in dict.fromkeys(self.table["objective"]):
            sub = self.table[self.table["objective"] == objective]
            tests = self.tests[self.tests["objective"] == objective]
            row: dict[str, Any] = {
                "objective": sub["label"].iloc[0],
                "tests": "; ".join(
                    f"{letters[m]} {tests.loc[tests['measure'] == m, 'display'].iloc[0]}"
                    for m in measures
                    if (tests["measure"] == m).any()
                ),
            }
            for g in [*self.groups, "total"]:
                for m in measures:
                    cell = sub[(sub["group"] == g) & (sub["measure"] == m)]
                    found = len(cell) == 1
                    row[f"{g} {letters[m]} mean"] = cell["mean"].iloc[0] if found else math.nan
                    row[f"{g} {letters[m]} N"] = int(cell["n"].iloc[0]) if found else 0
                    row[f"{g} {letters[m]} SD"] = cell["sd"].iloc[0] if found else math.nan
            rows.append(row)
        return pd.DataFrame(rows)

    def _notes(self) -> list[str]:
        letters = _measure_letters(list(dict.fromkeys(self.table["measure"])))
        keys = "; ".join(f"{v} = {k}" for k, v in letters.items())
        if len(self.groups) == 2:
            how = (
                f"t = {self.groups[0]} - {self.groups[1]}; Student t (integer df) unless Levene's "
                "test rejects equal variances, then Welch t (df with 2 decimals)"
            )
        else:
            how = "one-way ANOVA F test (Welch's ANOVA when Levene's test rejects equal variances)"
        return [f"{keys}.", f"{how}.", LEGEND]

    def to_frame(self) -> pd.DataFrame:
        """Table 1's layout, as shown: :meth:`wide` (one row per objective).

        Examples
        --------
        >>> from copfactors.replicate import _example_survey
        >>> res = group_comparison(_example_survey(), objectives=["innovation"])
        >>> res.to_frame().equals(res.wide())
        True
        """
        return self.wide()

    def render(self, style: str = "text", digits: int | None = None, **options: Any) -> str:
        """Render :meth:`wide` with the legend, ending with a line break.

        Parameters
        ----------
        style : {"text", "html", "latex"}
            Output format; LaTeX writes the legend's ``≤`` as ``$\\le$``.
        digits : int, optional
            Decimals of numbers other than means and SDs, which always have two as in the
            paper (default :attr:`default_digits`).
        **options
            None are used (accepted for the :class:`~copfactors.report.Result` protocol).

        Returns
        -------
        str
        """
        wide = self.wide()
        two_decimals = {
            c: (lambda v: "" if pd.isna(v) else f"{v:.2f}")
            for c in wide.columns
            if c.endswith((" mean", " SD"))
        }
        return _render(
            wide,
            style,
            f"Importance and attainment of objectives, by {self.by}",
            self._notes(),
            formatters=two_decimals,
            digits=self._digits(digits),
        )


def _measure_letters(measures: list[str]) -> dict[str, str]:
    letters = {}
    for i, m in enumerate(measures):
        letters[m] = _MEASURE_LETTER.get(m, chr(ord("A") + i))
    return letters


def _levels(series: pd.Series, by: str, groups: Sequence[Any] | None) -> tuple[Any, ...]:
    present = list(dict.fromkeys(series.dropna()))
    if groups is not None:
        groups = tuple(groups)
        absent = [g for g in groups if g not in set(present)]
        if absent:
            raise _layout_error(
                [(by, None, g, "requested group has no respondents") for g in absent], "the survey"
            )
        return groups
    # the paper's order (men first, so t = men - women; youngest first) wins over a
    # categorical's own order
    known = _KNOWN_LEVELS.get(by)
    if known is not None and set(present) <= set(known):
        return tuple(g for g in known if g in set(present))
    if isinstance(series.dtype, pd.CategoricalDtype):
        return tuple(c for c in series.cat.categories if c in set(present))
    try:
        return tuple(sorted(present))
    except TypeError:
        return tuple(present)


def _numeric_answers(survey: pd.DataFrame, column: str) -> pd.Series:
    values = survey[column]
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    converted = pd.to_numeric(values, errors="coerce")
    bad = converted.isna() & values.notna()
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        raise _layout_error(
            [(column, int(i) + 1, values.iloc[i], "not a numeric answer") for i in rows[:20]],
            "the survey",
        )
    return converted.astype(float)


def _oneway(samples: list[np.ndarray], welch: bool) -> tuple[float, float, float, float]:
    """One-way ANOVA F (classic or Welch's), its two df and p."""
    from scipy import stats

    k = len(samples)
    ns = np.array([len(x) for x in samples], dtype=float)
    means = np.array([x.mean() for x in samples])
    if not welch:
        grand = float(np.concatenate(samples).mean())
        ss_between = float((ns * (means - grand) ** 2).sum())
        ss_within = float(sum(((x - x.mean()) ** 2).sum() for x in samples))
        df1, df2 = k - 1.0, float(ns.sum() - k)
        f = (ss_between / df1) / (ss_within / df2)
    else:
        var = np.array([x.var(ddof=1) for x in samples])
        w = ns / var
        mw = float((w * means).sum() / w.sum())
        a = float((w * (means - mw) ** 2).sum()) / (k - 1)
        tmp = float(((1 - w / w.sum()) ** 2 / (ns - 1)).sum())
        b = 1 + 2 * (k - 2) / (k**2 - 1) * tmp
        f = a / b
        df1, df2 = k - 1.0, (k**2 - 1) / (3 * tmp)
    return f, df1, df2, float(stats.f.sf(f, df1, df2))


def _levene(samples: list[np.ndarray]) -> float:
    from scipy import stats

    if any(len(x) < 2 for x in samples):
        return math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        p = stats.levene(*samples, center="mean").pvalue
    return float(p) if np.isfinite(p) else math.nan


def group_comparison(
    survey: pd.DataFrame,
    by: str = "gender",
    groups: Sequence[Any] | None = None,
    objectives: Sequence[str] | None = None,
    measures: Sequence[str] = ("importance", "attainment"),
    equal_var: bool | Literal["levene"] = "levene",
    alpha: float = 0.05,
) -> GroupComparison:
    """Build Table 1's layout (mean, N, SD per group and total, with tests) from raw answers.

    For each objective and measure (``imp_<objective>`` for importance, ``att_<objective>`` for
    attainment) the answers are summarised per level of ``by`` and for the total of the
    compared levels (respondents with a missing answer, or a missing or uncompared level, are
    left out of that cell, so the total's N is the sum of the groups' Ns).

    With two levels the difference is tested with a t-test, first level minus second (for
    gender: men minus women, as in the paper). ``equal_var="levene"`` reads the test as SPSS
    users read the "Independent Samples Test" box: Levene's test of equal variances (centred on
    the means, as SPSS computes it) at level ``alpha``; if it rejects, the Welch row (df with two
    decimals), otherwise the Student row (integer df). With more than two levels (for example
    ``by="age_band"``) the test is a one-way ANOVA F test, one row per objective and measure,
    with the same rule choosing between the classic F test (``test="anova"``, R's
    ``oneway.test(var.equal=TRUE)``) and Welch's ANOVA (``test="welch_anova"``). Pairwise
    comparisons are not reported.

    Parameters
    ----------
    survey : pandas.DataFrame
        Respondent-level data with the ``by`` column and ``imp_*`` / ``att_*`` answer columns
        (numbers, or categoricals whose categories are numbers).
    by : str, default "gender"
        Grouping column: ``gender``, ``age_band`` or any categorical column.
    groups : sequence, optional
        Levels to compare, in order. Default: for ``gender`` man then woman, for ``age_band``
        youngest first, for a categorical column its categories, otherwise the sorted levels.
    objectives : sequence of str, optional
        Objective slugs. Default: every objective with an answer column, in Table 1's order.
    measures : sequence of str, default ("importance", "attainment")
    equal_var : {"levene", True, False}, default "levene"
        ``True`` always uses Student (classic ANOVA), ``False`` always Welch.
    alpha : float, default 0.05
        Level of Levene's test.

    Returns
    -------
    GroupComparison
        With ``.table`` and ``.tests`` DataFrames and ``.to_text()``, ``.to_html()``,
        ``.to_latex()``.

    Raises
    ------
    SchemaError
        If ``by`` or an answer column is missing, an answer is not numeric, or fewer than two
        levels are present.

    Examples
    --------
    >>> from copfactors.replicate import _example_survey
    >>> res = group_comparison(_example_survey(), objectives=["innovation", "learning"])
    >>> res.table.columns.tolist()
    ['objective', 'label', 'measure', 'group', 'mean', 'n', 'sd']
    >>> sorted(set(res.tests["test"]) - {"student", "welch"})
    []
    """
    if not isinstance(survey, pd.DataFrame):
        raise CopFactorsError(f"the survey must be a pandas DataFrame, not {type(survey).__name__}")
    if by not in survey.columns:
        raise _layout_error([(by, None, None, "grouping column is missing")], "the survey")
    unknown = [m for m in measures if m not in _MEASURE_PREFIX]
    if unknown:
        raise CopFactorsError(
            f"unknown measure(s) {unknown}; choose from {sorted(_MEASURE_PREFIX)}"
        )
    if equal_var not in ("levene", True, False):
        raise CopFactorsError(f"equal_var must be 'levene', True or False, not {equal_var!r}")
    levels = _levels(survey[by], by, groups)
    if len(levels) < 2:
        raise _layout_error(
            [(by, None, None, f"needs at least two groups to compare, found {list(levels)}")],
            "the survey",
        )
    if objectives is None:
        found = {
            c[len(p) :] for c in survey.columns for p in _MEASURE_PREFIX.values() if c.startswith(p)
        }
        order = _objective_order()
        objectives = [o for o in order if o in found] + sorted(found - set(order))
    objectives = list(objectives)
    needed = [f"{_MEASURE_PREFIX[m]}{o}" for o in objectives for m in measures]
    missing = [c for c in needed if c not in survey.columns]
    if missing:
        raise _layout_error(
            [(c, None, None, "answer column is missing") for c in missing], "the survey"
        )
    labels = _objective_labels()

    group_of = survey[by]
    long_rows: list[dict[str, Any]] = []
    test_rows: list[dict[str, Any]] = []
    for objective in objectives:
        label = labels.get(objective, objective.replace("_", " ").capitalize())
        for measure in measures:
            answers = _numeric_answers(survey, f"{_MEASURE_PREFIX[measure]}{objective}")
            samples = [answers[(group_of == g).to_numpy()].dropna().to_numpy(float) for g in levels]
            for g, x in zip([*levels, "total"], [*samples, np.concatenate(samples)], strict=True):
                long_rows.append(
                    {
                        "objective": objective,
                        "label": label,
                        "measure": measure,
                        "group": str(g),
                        "mean": float(x.mean()) if len(x) else math.nan,
                        "n": len(x),
                        "sd": float(x.std(ddof=1)) if len(x) > 1 else math.nan,
                    }
                )
            test_rows.append(
                {"objective": objective, "label": label, "measure": measure}
                | _test(samples, equal_var, alpha)
            )
    table = pd.DataFrame(long_rows)
    table["n"] = table["n"].astype(int)
    tests = pd.DataFrame(test_rows)
    return GroupComparison(table=table, tests=tests, by=by, groups=tuple(str(g) for g in levels))


def _test(samples: list[np.ndarray], equal_var: bool | str, alpha: float) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "test": "",
        "t": math.nan,
        "F": math.nan,
        "df1": math.nan,
        "df": math.nan,
        "df_text": "",
        "p": math.nan,
        "stars": "",
        "levene_p": _levene(samples),
        "display": "n/a",
    }
    if any(len(x) < 2 for x in samples):
        return rec
    if equal_var == "levene":
        welch = bool(np.isfinite(rec["levene_p"]) and rec["levene_p"] < alpha)
    else:
        welch = not equal_var
    with np.errstate(divide="ignore", invalid="ignore"):
        if len(samples) == 2:
            x1, x2 = samples
            m1, s1, n1 = x1.mean(), x1.std(ddof=1), float(len(x1))
            m2, s2, n2 = x2.mean(), x2.std(ddof=1), float(len(x2))
            if welch:
                t, df = (m1 - m2) / _se_welch(s1, n1, s2, n2), _df_welch(s1, n1, s2, n2)
                rec["df_text"] = f"{df:.2f}"
            else:
                t, df = (m1 - m2) / _se_student(s1, n1, s2, n2), n1 + n2 - 2
                rec["df_text"] = f"{int(df)}"
            p = float(_two_sided_p(t, df))
            rec |= {"test": "welch" if welch else "student", "t": float(t), "df": float(df)}
            shown = f"t({rec['df_text']}) = {t:.2f}"
        else:
            f, df1, df2, p = _oneway(samples, welch)
            rec |= {"test": "welch_anova" if welch else "anova", "F": f, "df1": df1, "df": df2}
            rec["df_text"] = f"{df2:.2f}" if welch else f"{int(df2)}"
            shown = f"F({int(df1)}, {rec['df_text']}) = {f:.2f}"
    rec["p"] = p
    rec["stars"] = stars(p)
    if not np.isfinite(p):
        rec["display"] = "n/a"
    else:
        rec["display"] = f"{shown}{rec['stars']}" if rec["stars"] else "n-s"
    return rec


def _example_survey(n: int = 120, seed: int = 7) -> pd.DataFrame:
    """A small simulated survey (for examples only): gender, age band, two objectives."""
    rng = np.random.default_rng(seed)
    gender = rng.choice(["man", "woman"], size=n)
    age = rng.choice(["under_35", "35_49", "50_plus"], size=n)
    data: dict[str, Any] = {"gender": gender, "age_band": age}
    for objective in ("innovation", "learning"):
        shift = np.where(gender == "woman", 0.4, 0.0)
        for prefix in ("imp_", "att_"):
            raw = rng.normal(3.6 + shift, 0.9)
            data[f"{prefix}{objective}"] = np.clip(np.rint(raw), 1, 5)
    return pd.DataFrame(data)


# --------------------------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------------------------


def _render(
    frame: pd.DataFrame,
    style: str,
    title: str,
    notes: list[str],
    formatters: dict[str, Any] | None = None,
    digits: int = 4,
) -> str:
    """Render through the shared renderer; LaTeX gets ``$\\le$`` for the legend's signs."""
    if style not in ("text", "html", "latex"):
        raise CopFactorsError(f"unknown format {style!r}; choose text, html or latex")
    out = render_table(
        frame, title=title, style=style, notes=notes, formatters=formatters, digits=digits
    )
    if style == "latex":
        out = out.replace("≤", "$\\le$")
    return out + "\n"


def _replication_display(rep: pd.DataFrame) -> pd.DataFrame:
    """The recomputation as strings, for reading."""

    def t_text(t: float, df: float, level: str, welch: bool) -> str:
        if not np.isfinite(t):
            return "n-s"
        df_text = f"{df:.2f}" if welch else f"{int(df)}"
        return f"t({df_text}) = {t:.2f}{level}"

    rows = []
    for r in rep.itertuples(index=False):
        reported_welch = np.isfinite(r.df_reported) and not float(r.df_reported).is_integer()
        rows.append(
            {
                "objective": r.objective,
                "measure": r.measure,
                "printed": t_text(r.t_reported, r.df_reported, r.stars_reported, reported_welch),
                "Student": f"t({r.df_student}) = {r.t_student:.3f}, p = {_fmt_p(r.p_student)}",
                "Welch": f"t({r.df_welch:.2f}) = {r.t_welch:.3f}, p = {_fmt_p(r.p_welch)}",
                "df is": r.df_points_to or "-",
                "t range": f"[{r.t_min:.3f}, {r.t_max:.3f}]",
                "t reproduced": "-" if pd.isna(r.reproduced) else ("yes" if r.reproduced else "NO"),
                "stars": r.stars_recomputed or "n-s",
                "match": "yes" if r.significance_matches else "NO",
                "Holm": _fmt_p(r.p_holm),
                "BH": _fmt_p(r.p_bh),
            }
        )
    return pd.DataFrame(rows)


def replication_report(
    fmt: Literal["text", "json", "latex", "html"] = "text", *, all_checks: bool = False
) -> str:
    """The recomputation of Table 1 and the audit of its cells, rendered.

    Parameters
    ----------
    fmt : {"text", "json", "latex", "html"}
        ``json`` gives ``{"replication": [...], "audit": [...]}``, lists of records with the
        columns of :func:`replicate_table1` and :func:`audit_summary_table`.
    all_checks : bool, default False
        In the text, HTML and LaTeX formats, list every audit check rather than the failed ones
        (JSON always has them all).

    Returns
    -------
    str

    Examples
    --------
    >>> import json
    >>> data = json.loads(replication_report("json"))
    >>> len(data["replication"]), sorted(data["audit"][0])
    (30, ['check', 'detail', 'group', 'measure', 'objective', 'passed'])
    """
    rep = replicate_table1()
    audit = audit_summary_table()
    if fmt == "json":
        payload = {
            "replication": json.loads(rep.to_json(orient="records")),
            "audit": json.loads(audit.to_json(orient="records")),
        }
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
    if fmt not in ("text", "html", "latex"):
        raise CopFactorsError(f"unknown format {fmt!r}; choose text, json, latex or html")
    shown = audit if all_checks else audit[~audit["passed"]]
    counts = _audit_counts(audit)
    summary = "; ".join(f"{k}: {v['failed']} of {v['checked']} fail" for k, v in counts.items())
    first = _render(
        _replication_display(rep),
        fmt,
        "Table 1 recomputed from its summary statistics (t = men - women)",
        [LEGEND, "t range: over means and SDs within +/- 0.005 of the printed values."],
    )
    which = "All checks" if all_checks else "Failed checks"
    second = _render(
        shown.assign(passed=shown["passed"].map({True: "yes", False: "NO"})),
        fmt,
        f"Consistency audit of Table 1's cells. {which}",
        [f"Checks: {summary}."],
    )
    return first + "\n" + second


def _audit_counts(audit: pd.DataFrame) -> dict[str, dict[str, int]]:
    out = {}
    for check in ("grim", "grimmer", "total_n", "total_mean", "total_sd"):
        sub = audit[audit["check"] == check]
        if len(sub):
            out[check] = {"checked": len(sub), "failed": int((~sub["passed"]).sum())}
    return out


# --------------------------------------------------------------------------------------------
# 4. the replication page
# --------------------------------------------------------------------------------------------


def _md_table(frame: pd.DataFrame) -> str:
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in frame.itertuples(index=False):
        # escape the stars too, so that Markdown does not read them as emphasis
        cells = [str(v).replace("|", "\\|").replace("*", "\\*") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def replication_markdown() -> str:
    """The documentation page ``docs/replicating-table1.md``, written from the code's output.

    Returns
    -------
    str
        Markdown. ``scripts/make_replication_doc.py`` writes it to the docs folder.

    Examples
    --------
    >>> replication_markdown().splitlines()[0]
    '# Replicating Table 1'
    """
    rep = replicate_table1()
    audit = audit_summary_table()
    return _markdown(rep, audit)


def _sd_text(rows: pd.DataFrame) -> list[str]:
    table = _default_table()
    out = []
    for objective, measure in rows[["objective", "measure"]].itertuples(index=False):
        cell = table[(table["objective"] == objective) & (table["measure"] == measure)]
        sd = dict(zip(cell["group"], cell["sd"], strict=False))
        out.append(f"men {sd.get('men', math.nan):.2f}, women {sd.get('women', math.nan):.2f}")
    return out


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _verb(n: int, singular: str, plural: str) -> str:
    return singular if n == 1 else plural


def _fmt_p(p: float) -> str:
    if not np.isfinite(p):
        return "n/a"
    return f"{p:.4f}" if p >= 0.0001 else f"{p:.1e}"


def _grim_alternatives(
    table: pd.DataFrame, tests: pd.DataFrame, audit: pd.DataFrame, decimals: int = 2
) -> list[dict[str, Any]]:
    """For each mean failing GRIM, the nearest possible printed means and what they would imply.

    Each alternative replaces the printed mean in its (objective, measure) block, which is then
    re-audited and, when the block has a printed t, re-tested.
    """
    out = []
    failing = audit[(audit["check"] == "grim") & ~audit["passed"]]
    for objective, measure, group in failing[["objective", "measure", "group"]].itertuples(
        index=False
    ):
        block = table[(table["objective"] == objective) & (table["measure"] == measure)]
        at = block.index[block["group"] == group][0]
        mean, n = float(block.at[at, "mean"]), int(block.at[at, "n"])
        below = math.floor(n * mean)
        options = sorted({round(s / n, decimals) for s in (below, below + 1)})
        test_row = tests[(tests["objective"] == objective) & (tests["measure"] == measure)]
        rec: dict[str, Any] = {
            "objective": objective,
            "measure": measure,
            "group": group,
            "mean": mean,
            "n": n,
            "alternatives": [],
        }
        for alt in options:
            changed = block.copy()
            changed.loc[at, "mean"] = alt
            aud = audit_summary_table(changed, decimals=decimals)
            item: dict[str, Any] = {
                "mean": alt,
                "failed_checks": [
                    f"{g} {c}"
                    for g, c, ok in aud[["group", "check", "passed"]].itertuples(index=False)
                    if not ok
                ],
            }
            has_t = len(test_row) == 1 and pd.notna(test_row["t"].iloc[0])
            if has_t and {"men", "women"} <= set(block["group"]):
                r = replicate_table1(changed, test_row, decimals=decimals).iloc[0]
                item |= {
                    "test": r["test_used"],
                    "t": float(r["t_recomputed"]),
                    "t_min": float(r["t_min"]),
                    "t_max": float(r["t_max"]),
                    "t_reported": float(r["t_reported"]),
                    "reproduced": bool(r["reproduced"]),
                }
            rec["alternatives"].append(item)
        out.append(rec)
    return out


def _name(r: Any) -> str:
    return f"{r.label} ({r.measure})"


def _markdown(rep: pd.DataFrame, audit: pd.DataFrame) -> str:
    sig = rep[rep["stars_reported"] != ""]
    ns = rep[rep["stars_reported"] == ""]
    not_repro = sig[~sig["reproduced"].astype(bool)]
    welch = rep[rep["df_points_to"] == "welch"]
    neither = rep[rep["df_points_to"] == "neither"]
    mismatch = rep[~rep["significance_matches"]]
    lines: list[str] = []
    add = lines.append
    add("# Replicating Table 1")
    add("")
    add(
        "<!-- Generated by scripts/make_replication_doc.py from copfactors.replicate; "
        "do not edit by hand. -->"
    )
    add("")
    add(
        "Table 1 of Tremblay (Teluq) gives, for 15 objectives, the mean, N and standard deviation "
        "of the importance (A, rated at T1) and attainment (B, rated at T2) of each objective on "
        "1-5 scales, for men, women and the total, with a t-test of the gender difference. "
        f"The paper prints a t value for {len(sig)} of the {len(rep)} (objective, measure) pairs "
        f"and `n-s` for the other {len(ns)}. Everything below is recomputed by "
        "`copfactors.replicate` from the printed numbers alone:"
    )
    add("")
    add("```python")
    add("import copfactors as cf")
    add("rep = cf.replicate_table1()      # one row per (objective, measure)")
    add("audit = cf.audit_summary_table() # one row per check")
    add("```")
    add("")
    add("or `copfactors replicate --format text|json|latex|html` on the command line.")
    add("")
    add("## How the recomputation works")
    add("")
    add(
        "- t is *men minus women*, as in the paper (negative when women rate higher); p is "
        "two-sided."
    )
    add(
        "- Student's t uses the pooled variance and df = n_men + n_women - 2; Welch's t uses "
        "the separate variances and the Welch-Satterthwaite df."
    )
    add(
        "- The printed df says which test was run: `student` when it equals n_men + n_women - 2, "
        "`welch` when it lies in the range of Welch df that the rounded SDs allow."
    )
    add(
        "- Every printed mean and SD stands for an interval of +/- 0.005. `t range` is the exact "
        "range of t over all inputs in those intervals (t is monotone in each mean, and its "
        "extremes over the SDs are at a corner of the SD box because the standard error grows "
        "with each SD). A printed t is *reproduced* when it lies in that range widened by its "
        "own rounding (+/- 0.005)."
    )
    add(
        "- Stars follow the paper: `***` p <= .001, `**` p <= .01, `*` p <= .05, n-s otherwise. "
        "Holm and Benjamini-Hochberg (BH) adjusted p-values run over all "
        f"{len(rep)} tests, using the test the df points to (Student for n-s pairs)."
    )
    add("")
    add("## The recomputation")
    add("")
    add(_md_table(_replication_display(rep)))
    add("")
    add("## Findings")
    add("")
    add("### Are the printed t values reproduced?")
    add("")
    head = (
        f"{len(sig) - len(not_repro)} of the {len(sig)} printed t values lie within the range "
        "that the rounded inputs allow"
    )
    add(head + (f"; {len(not_repro)} do not:" if len(not_repro) else "."))
    if len(not_repro):
        add("")
        for r in not_repro.itertuples(index=False):
            gap = min(abs(r.t_reported - r.t_min), abs(r.t_reported - r.t_max)) - 0.005
            add(
                f"- {_name(r)}: printed t = {r.t_reported:.2f}, but the {r.test_used} t can only "
                f"range over [{r.t_min:.3f}, {r.t_max:.3f}] (recomputed {r.t_recomputed:.3f}); "
                f"the printed value is {gap:.3f} beyond the widened range."
            )
    add("")
    add("### Which test does the printed df point to?")
    add("")
    n_student = int((rep["df_points_to"] == "student").sum())
    add(
        f"{n_student} of the {len(sig)} printed df equal n_men + n_women - 2 (Student's pooled "
        f"t-test); {len(welch)} {_verb(len(welch), 'points', 'point')} to Welch's test; "
        f"{len(neither)} to neither."
    )
    add("")
    for r in welch.itertuples(index=False):
        add(
            f"- {_name(r)}: printed df {r.df_reported:.2f}; the Welch-Satterthwaite df is "
            f"{r.df_welch:.2f} at the printed SDs and ranges over [{r.df_welch_min:.2f}, "
            f"{r.df_welch_max:.2f}] with the SDs in their rounding intervals (Student's df "
            f"would be {r.df_student}). Welch t = {r.t_welch:.3f} (range [{r.t_min:.3f}, "
            f"{r.t_max:.3f}]), printed {r.t_reported:.2f}."
        )
    for r in neither.itertuples(index=False):
        add(
            f"- {_name(r)}: printed df {r.df_reported:g} is neither Student's {r.df_student} nor "
            f"in Welch's range [{r.df_welch_min:.2f}, {r.df_welch_max:.2f}]."
        )
    add("")
    if len(welch) and n_student:
        add(
            "Mixing the two tests is the pattern of SPSS output read the usual way: the 'equal "
            "variances not assumed' (Welch) row is reported only when Levene's test rejects equal "
            "variances. Levene's test needs the raw answers, which are not published; the F test "
            "of the ratio of the two printed variances is a rough stand-in for it:"
        )
        add("")
        unequal = sig[sig["variance_ratio_p"] < 0.05]
        for r in welch.itertuples(index=False):
            add(f"- the Welch pair, {_name(r)}: variance-ratio p = {r.variance_ratio_p:.4f};")
        pooled_unequal = unequal[unequal["df_points_to"] == "student"]
        if len(pooled_unequal):
            add(
                f"- {_count(len(pooled_unequal), 'pair')} reported with the pooled test "
                f"{_verb(len(pooled_unequal), 'has', 'have')} a variance-ratio p below 0.05: "
                + "; ".join(
                    f"{_name(r)} (SDs {r.sd_text}, p = {r.variance_ratio_p:.4f})"
                    for r in pooled_unequal.assign(sd_text=_sd_text(pooled_unequal)).itertuples(
                        index=False
                    )
                )
                + "."
            )
        else:
            add("- no pair reported with the pooled test has a variance-ratio p below 0.05.")
        add("")
    add("### Significance")
    add("")
    if len(mismatch) == 0:
        add(f"The recomputed star level matches the printed one for all {len(rep)} pairs.")
    else:
        add(
            f"The recomputed star level matches the printed one for {len(rep) - len(mismatch)} "
            f"of the {len(rep)} pairs. Mismatches:"
        )
        add("")
        for r in mismatch.itertuples(index=False):
            printed = r.stars_reported or "n-s"
            now = r.stars_recomputed or "n-s"
            reach = "reachable" if r.stars_possible else "not reachable"
            add(
                f"- {_name(r)}: printed `{printed}`, recomputed p = {r.p_recomputed:.4f} "
                f"(`{now}`); "
                f"with the inputs in their rounding intervals p ranges over "
                f"[{r.p_min:.4f}, {r.p_max:.4f}], so the printed level is {reach}."
            )
    add("")
    confirmed = int(ns["ns_confirmed"].astype(bool).sum())
    add(
        f"For the {len(ns)} pairs printed n-s, the recomputed p is above 0.05 in {confirmed}; the "
        f"smallest is {ns['p_recomputed'].min():.4f} "
        f"({_name(ns.loc[ns['p_recomputed'].idxmin()])})."
    )
    sig_recomputed = rep[rep["p_recomputed"] <= 0.05]
    add("")
    add("### Multiple comparisons")
    add("")
    holm = rep[rep["survives_holm"]]
    bh = rep[rep["survives_bh"]]
    add(
        f"{len(sig_recomputed)} of the {len(rep)} recomputed tests have p <= 0.05. Across the "
        f"{len(rep)} tests, {len(holm)} survive Holm's correction and {len(bh)} survive "
        "Benjamini-Hochberg's (alpha 0.05)."
    )
    lost_holm = sig_recomputed[~sig_recomputed["survives_holm"]]
    lost_bh = sig_recomputed[~sig_recomputed["survives_bh"]]
    if len(lost_holm):
        add("")
        add(
            "Significant alone but not after Holm: "
            + "; ".join(
                f"{_name(r)} (p = {r.p_recomputed:.4f}, Holm {r.p_holm:.4f})"
                for r in lost_holm.itertuples(index=False)
            )
            + "."
        )
    if len(lost_bh):
        add("")
        add(
            "Significant alone but not after BH: "
            + "; ".join(
                f"{_name(r)} (p = {r.p_recomputed:.4f}, BH {r.p_bh:.4f})"
                for r in lost_bh.itertuples(index=False)
            )
            + "."
        )
    add("")
    add("## Consistency audit of the 90 cells")
    add("")
    add(
        "`audit_summary_table()` checks each cell against what integer answers on a 1-5 scale "
        "can produce, and each total against its two groups:"
    )
    add("")
    add("- **GRIM**: some integer sum of N answers has a mean that rounds to the printed mean.")
    add(
        "- **GRIMMER**: for such a sum, some achievable sum of squares gives a sample SD that "
        "rounds to the printed SD (exact search over the sums of squares that N answers on 1-5 "
        "can reach, which implies the parity and bounds rules)."
    )
    add("- **total_n**: the total's N is men's N plus women's N.")
    add(
        "- **total_mean**: the pooled mean of the two groups, with their means in their rounding "
        "intervals, can round to the total's mean."
    )
    add(
        "- **total_sd**: the SD of the two groups combined (within- plus between-group sums of "
        "squares), with every mean and SD in its rounding interval, can round to the total's SD."
    )
    add("")
    counts = _audit_counts(audit)
    add("| check | cells checked | passed | failed |")
    add("|---|---|---|---|")
    for check, c in counts.items():
        add(f"| {check} | {c['checked']} | {c['checked'] - c['failed']} | {c['failed']} |")
    add("")
    failed = audit[~audit["passed"]]
    if len(failed) == 0:
        add("Every check passes.")
    else:
        add(f"The {len(failed)} failed checks, as the code states them:")
        add("")
        for r in failed.itertuples(index=False):
            add(f"- {r.objective} / {r.measure} / {r.group}, {r.check}: {r.detail}")
    add("")
    alternatives = _grim_alternatives(_default_table(), _default_tests(), audit)
    if alternatives:
        add("### What the impossible means might have been")
        add("")
        add(
            "A mean that no set of integer answers can produce points to a typing or rounding "
            "slip, or to an N other than the one printed. For each such mean, the two nearest "
            "means that N answers can produce, with the rest of the block unchanged, "
            "re-audited and re-tested:"
        )
        add("")
        for rec in alternatives:
            add(
                f"- {rec['objective']} / {rec['measure']} / {rec['group']}: printed mean "
                f"{rec['mean']:.2f} with N = {rec['n']}."
            )
            for item in rec["alternatives"]:
                checks = (
                    "every check of the block passes"
                    if not item["failed_checks"]
                    else "still failing: " + ", ".join(item["failed_checks"])
                )
                text = f"  - {item['mean']:.2f}: {checks}"
                if "t" in item:
                    verdict = "reproduces" if item["reproduced"] else "does not reproduce"
                    text += (
                        f"; the {item['test']} t would be {item['t']:.3f} (range "
                        f"[{item['t_min']:.3f}, {item['t_max']:.3f}]), which {verdict} the "
                        f"printed {item['t_reported']:.2f}"
                    )
                add(text + ".")
        add("")
    add("## Regenerating this page")
    add("")
    add("```bash")
    add("python scripts/make_replication_doc.py")
    add("```")
    add("")
    add("The test suite fails when this page differs from what the code produces.")
    return "\n".join(lines) + "\n"
