"""Tests of copfactors.replicate: Table 1 recomputation, summary-table audit, group comparison.

Expected values come from independent computations: scipy's t-tests on samples built to have
the printed moments, numerical optimisation over the rounding box, brute-force enumeration of
integer answer sets, hand-written Holm and Benjamini-Hochberg, and R (tests/results/
group_comparison.R).
"""

from __future__ import annotations

import itertools
import json
import math
import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats
from typer.testing import CliRunner

import copfactors
from copfactors.cli import app
from copfactors.errors import CopFactorsError, SchemaError
from copfactors.replicate import (
    LEGEND,
    _grim_alternatives,
    _pooled_sd_range,
    _t_range,
    _welch_df_range,
    audit_summary_table,
    group_comparison,
    replicate_table1,
    replication_markdown,
    replication_report,
    stars,
)
from helpers import assert_text_close

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "copfactors" / "datasets" / "data"
RESULTS = Path(__file__).parent / "results"
HALF = 0.005  # half a unit of the printed second decimal


def _table() -> pd.DataFrame:
    return pd.read_csv(DATA / "table1.csv", comment="#")


def _tests() -> pd.DataFrame:
    return pd.read_csv(DATA / "table1_tests.csv", comment="#")


def _pairs() -> pd.DataFrame:
    wide = _table().pivot_table(
        index=["objective", "measure"], columns="group", values=["mean", "n", "sd"], sort=False
    )
    wide.columns = [f"{stat}_{group}" for stat, group in wide.columns]
    return wide.reset_index()


@pytest.fixture(scope="module")
def rep() -> pd.DataFrame:
    return replicate_table1()


@pytest.fixture(scope="module")
def audit() -> pd.DataFrame:
    return audit_summary_table()


def _sample(mean: float, sd: float, n: int, seed: int) -> np.ndarray:
    """n numbers whose mean and SD (ddof=1) are exactly ``mean`` and ``sd``."""
    x = np.random.default_rng(seed).standard_normal(n)
    return mean + sd * (x - x.mean()) / x.std(ddof=1)


# --------------------------------------------------------------------------------------------
# replicate_table1
# --------------------------------------------------------------------------------------------


def test_one_row_per_pair_in_table_order(rep):
    expected = _tests()[["objective", "measure"]]
    pd.testing.assert_frame_equal(rep[["objective", "measure"]], expected, check_dtype=False)


def test_column_names_are_stable(rep):
    assert list(rep.columns) == [
        "objective",
        "label",
        "measure",
        "n_men",
        "n_women",
        "t_reported",
        "df_reported",
        "stars_reported",
        "t_student",
        "df_student",
        "p_student",
        "t_welch",
        "df_welch",
        "p_welch",
        "df_welch_min",
        "df_welch_max",
        "variance_ratio_p",
        "df_points_to",
        "test_used",
        "t_recomputed",
        "df_recomputed",
        "p_recomputed",
        "t_min",
        "t_max",
        "reproduced",
        "p_min",
        "p_max",
        "stars_recomputed",
        "significance_matches",
        "stars_possible",
        "ns_confirmed",
        "p_holm",
        "p_bh",
        "survives_holm",
        "survives_bh",
    ]


def test_student_and_welch_match_scipy_from_stats(rep):
    pairs = _pairs()
    for i, row in pairs.iterrows():
        args = (row.mean_men, row.sd_men, row.n_men, row.mean_women, row.sd_women, row.n_women)
        student = stats.ttest_ind_from_stats(*args, equal_var=True)
        welch = stats.ttest_ind_from_stats(*args, equal_var=False)
        np.testing.assert_allclose(rep.loc[i, "t_student"], student.statistic, rtol=1e-12)
        np.testing.assert_allclose(rep.loc[i, "p_student"], student.pvalue, rtol=1e-10)
        np.testing.assert_allclose(rep.loc[i, "t_welch"], welch.statistic, rtol=1e-12)
        np.testing.assert_allclose(rep.loc[i, "p_welch"], welch.pvalue, rtol=1e-10)


def test_welch_df_matches_scipy_on_samples_with_the_printed_moments(rep):
    pairs = _pairs()
    for i, row in pairs.iterrows():
        men = _sample(row.mean_men, row.sd_men, int(row.n_men), seed=i)
        women = _sample(row.mean_women, row.sd_women, int(row.n_women), seed=100 + i)
        welch = stats.ttest_ind(men, women, equal_var=False)
        student = stats.ttest_ind(men, women, equal_var=True)
        np.testing.assert_allclose(rep.loc[i, "df_welch"], welch.df, rtol=1e-10)
        assert rep.loc[i, "df_student"] == student.df
        # sign convention: men minus women
        assert np.sign(rep.loc[i, "t_student"]) == np.sign(row.mean_men - row.mean_women)


def test_df_points_to_follows_the_printed_df(rep):
    pairs = _pairs()
    printed = _tests()
    for i, row in pairs.iterrows():
        df = printed.loc[i, "df"]
        if pd.isna(df):
            expected = ""
        elif df == row.n_men + row.n_women - 2:
            expected = "student"
        else:
            # dense grid over the SD box: is the printed df (+/- 0.005) a Welch df?
            s1 = np.linspace(row.sd_men - HALF, row.sd_men + HALF, 301)[:, None]
            s2 = np.linspace(row.sd_women - HALF, row.sd_women + HALF, 301)[None, :]
            v1, v2 = s1**2 / row.n_men, s2**2 / row.n_women
            grid = (v1 + v2) ** 2 / (v1**2 / (row.n_men - 1) + v2**2 / (row.n_women - 1))
            hit = np.any(np.abs(grid - df) <= HALF + 0.01)
            expected = "welch" if hit else "neither"
        assert rep.loc[i, "df_points_to"] == expected, rep.loc[i, "objective"]
    assert (rep["test_used"] == np.where(rep["df_points_to"] == "welch", "welch", "student")).all()


def test_printed_fractional_df_is_recognised_as_welch(rep):
    fractional = rep[rep["df_reported"].notna() & (rep["df_reported"] % 1 != 0)]
    assert len(fractional) >= 1
    assert (fractional["df_points_to"] == "welch").all()
    assert (fractional["df_welch_min"] <= fractional["df_reported"] + HALF).all()
    assert (fractional["df_welch_max"] >= fractional["df_reported"] - HALF).all()


def test_welch_df_range_against_dense_grid():
    for s1, n1, s2, n2 in [(0.74, 55, 0.59, 92), (1.06, 51, 0.81, 26), (0.01, 5, 0.9, 40)]:
        lo, hi = _welch_df_range(s1, n1, s2, n2, HALF)
        a = np.linspace(max(s1 - HALF, 0), s1 + HALF, 801)[:, None]
        b = np.linspace(max(s2 - HALF, 0), s2 + HALF, 801)[None, :]
        v1, v2 = a**2 / n1, b**2 / n2
        grid = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
        assert lo <= grid.min() + 1e-9 and grid.max() <= hi + 1e-9
        np.testing.assert_allclose([grid.min(), grid.max()], [lo, hi], rtol=1e-4)


@pytest.mark.parametrize(
    ("s1", "n1", "s2", "n2"),
    [
        (0.03, 11, 0.10, 41),  # the corners reach at most 49.992, the peak is 50
        (0.46, 21, 0.90, 41),  # the corners reach at most 59.9989, the peak is 60
    ],
)
def test_welch_df_peak_inside_the_sd_box_is_the_maximum(s1, n1, s2, n2):
    # The Welch df peaks at n1 + n2 - 2 where (s1**2/n1) / (s2**2/n2) = (n1 - 1) / (n2 - 1).
    # Here that ratio lies strictly inside the range the SD box allows, so the maximum over the
    # box is attained away from its corners (on a curve through the box), above every corner.
    a = np.linspace(s1 - HALF, s1 + HALF, 1001)[:, None]
    b = np.linspace(s2 - HALF, s2 + HALF, 1001)[None, :]
    v1, v2 = a**2 / n1, b**2 / n2
    ratio = v1 / v2
    assert ratio.min() < (n1 - 1) / (n2 - 1) < ratio.max()
    grid = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    corners = grid[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert grid.max() > corners.max() + 5e-4
    lo, hi = _welch_df_range(s1, n1, s2, n2, HALF)
    assert hi == pytest.approx(n1 + n2 - 2, abs=1e-9)
    # the brute-force grid never beats the analytic range and comes within 1e-6 of both ends
    assert lo <= grid.min() + 1e-9 and grid.max() <= hi + 1e-9
    np.testing.assert_allclose([grid.min(), grid.max()], [lo, hi], rtol=0, atol=1e-6)


def _box_extremes(fun, centre: np.ndarray, lower: np.ndarray, upper: np.ndarray):
    bounds = list(zip(lower, upper, strict=True))
    starts = [np.array(c) for c in itertools.product(*bounds)] + [centre]
    lo, hi = math.inf, -math.inf
    for x0 in starts:
        r = optimize.minimize(fun, x0, bounds=bounds, method="L-BFGS-B")
        lo = min(lo, float(r.fun))
        r = optimize.minimize(lambda x: -fun(x), x0, bounds=bounds, method="L-BFGS-B")
        hi = max(hi, -float(r.fun))
    return lo, hi


@pytest.mark.slow
def test_t_range_matches_bounded_optimisation(rep):
    pairs = _pairs()
    for i, row in pairs.iterrows():
        n1, n2 = row.n_men, row.n_women
        equal = rep.loc[i, "test_used"] == "student"

        def t_of(x, n1=n1, n2=n2, equal=equal):
            return stats.ttest_ind_from_stats(x[0], x[1], n1, x[2], x[3], n2, equal_var=equal)[0]

        centre = np.array([row.mean_men, row.sd_men, row.mean_women, row.sd_women])
        lo, hi = _box_extremes(t_of, centre, centre - HALF, centre + HALF)
        # the analytic range is never beaten, and it is reached
        assert rep.loc[i, "t_min"] <= lo + 1e-9
        assert rep.loc[i, "t_max"] >= hi - 1e-9
        np.testing.assert_allclose(
            [lo, hi], rep.loc[i, ["t_min", "t_max"]].to_numpy(float), atol=1e-7
        )


def test_t_range_contains_random_points_of_the_box():
    rng = np.random.default_rng(3)
    m1, s1, n1, m2, s2, n2 = 4.49, 0.74, 55, 4.74, 0.59, 92
    for test, equal in (("student", True), ("welch", False)):
        lo, hi = _t_range(m1, s1, n1, m2, s2, n2, HALF, test)
        u = rng.uniform(-HALF, HALF, size=(20000, 4))
        t = stats.ttest_ind_from_stats(
            m1 + u[:, 0], s1 + u[:, 1], n1, m2 + u[:, 2], s2 + u[:, 3], n2, equal_var=equal
        ).statistic
        assert lo <= t.min() and t.max() <= hi


def test_reproduced_means_printed_t_in_the_widened_range(rep):
    sig = rep["t_reported"].notna()
    inside = (rep["t_reported"] >= rep["t_min"] - HALF) & (rep["t_reported"] <= rep["t_max"] + HALF)
    assert (rep.loc[sig, "reproduced"].astype(bool) == inside[sig]).all()
    assert rep.loc[~sig, "reproduced"].isna().all()


def test_a_misprinted_t_is_not_reproduced():
    tests = _tests()
    pairs = _pairs()
    row = pairs.iloc[0]
    t = stats.ttest_ind_from_stats(
        row.mean_men, row.sd_men, row.n_men, row.mean_women, row.sd_women, row.n_women
    ).statistic
    tests.loc[0, "t"] = round(t - 0.5, 2)
    tests.loc[0, "df"] = 100.0  # neither n1 + n2 - 2 nor a Welch df
    out = replicate_table1(tests=tests).iloc[0]
    assert not bool(out["reproduced"])
    assert out["df_points_to"] == "neither"


# A Student pair with men below women (t < 0), and the corners of the rounding box at which its t
# is smallest (means apart, SDs low) and largest (means close, SDs high).
_EDGE_PAIR = {"m1": 3.50, "s1": 0.90, "n1": 40, "m2": 3.90, "s2": 0.80, "n2": 50}


def _edge_inputs(t_printed: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    p = _EDGE_PAIR
    table = pd.DataFrame(
        {
            "objective": ["x", "x"],
            "measure": ["importance", "importance"],
            "group": ["men", "women"],
            "mean": [p["m1"], p["m2"]],
            "n": [p["n1"], p["n2"]],
            "sd": [p["s1"], p["s2"]],
        }
    )
    tests = pd.DataFrame(
        {
            "objective": ["x"],
            "measure": ["importance"],
            "t": [t_printed],
            "df": [float(p["n1"] + p["n2"] - 2)],
            "stars": ["*"],
        }
    )
    return table, tests


@pytest.mark.parametrize("side", ["low", "high"])
@pytest.mark.parametrize(("step", "expected"), [(1e-6, True), (-1e-6, False)])
def test_reproduced_at_the_edge_of_the_widened_range(side, step, expected):
    # The range's ends are computed here independently, with scipy at the box's corners; a
    # printed t one millionth inside [t_min - 0.005, t_max + 0.005] is reproduced, one
    # millionth outside is not.
    p = _EDGE_PAIR
    if side == "low":
        corner = (p["m1"] - HALF, p["s1"] - HALF, p["m2"] + HALF, p["s2"] - HALF)
    else:
        corner = (p["m1"] + HALF, p["s1"] + HALF, p["m2"] - HALF, p["s2"] + HALF)
    m1, s1, m2, s2 = corner
    t_end = stats.ttest_ind_from_stats(m1, s1, p["n1"], m2, s2, p["n2"]).statistic
    inward = 1.0 if side == "low" else -1.0
    edge = t_end - inward * HALF
    out = replicate_table1(*_edge_inputs(edge + inward * step)).iloc[0]
    assert out["test_used"] == "student"
    assert out["t_min" if side == "low" else "t_max"] == pytest.approx(t_end, abs=1e-12)
    assert bool(out["reproduced"]) is expected


def test_p_underflowing_to_zero_can_carry_three_stars():
    # Both SDs printed 0.00: the whole rounding box gives |t| so large that p is exactly 0,
    # which is below .001, so a printed *** is possible and any other level is not.
    table = pd.DataFrame(
        {
            "objective": ["x", "x"],
            "measure": ["importance", "importance"],
            "group": ["men", "women"],
            "mean": [1.0, 5.0],
            "n": [200, 200],
            "sd": [0.0, 0.0],
        }
    )
    tests = pd.DataFrame(
        {
            "objective": ["x"] * 4,
            "measure": ["importance"] * 4,
            "t": [-99.99] * 4,
            "df": [398.0] * 4,
            "stars": ["***", "**", "*", ""],
        }
    )
    out = pd.concat(
        [replicate_table1(table, tests.iloc[[i]]) for i in range(len(tests))], ignore_index=True
    )
    assert (out["p_min"] == 0.0).all() and (out["p_max"] == 0.0).all()
    assert (out["stars_recomputed"] == "***").all()
    assert out["stars_possible"].tolist() == [True, False, False, False]
    assert out["significance_matches"].tolist() == [True, False, False, False]


def test_stars_follow_the_paper():
    assert [stars(p) for p in (0.0009, 0.001, 0.0011, 0.01, 0.0101, 0.05, 0.0501, np.nan)] == [
        "***",
        "***",
        "**",
        "**",
        "*",
        "*",
        "",
        "",
    ]


def test_recomputed_significance(rep):
    p = np.where(rep["test_used"] == "welch", rep["p_welch"], rep["p_student"])
    np.testing.assert_array_equal(rep["p_recomputed"], p)
    expected = [stars(x) for x in p]
    assert rep["stars_recomputed"].tolist() == expected
    printed = _tests()["stars"].fillna("").tolist()
    assert rep["significance_matches"].tolist() == [
        a == b for a, b in zip(expected, printed, strict=True)
    ]
    ns = rep["stars_reported"] == ""
    assert (rep.loc[ns, "ns_confirmed"].astype(bool) == (rep.loc[ns, "p_recomputed"] > 0.05)).all()
    assert rep.loc[~ns, "ns_confirmed"].isna().all()


def test_p_range_brackets_p_and_decides_stars_possible(rep):
    assert (rep["p_min"] <= rep["p_recomputed"]).all()
    assert (rep["p_recomputed"] <= rep["p_max"]).all()
    # lower ends exclusive, except that p = 0 counts as ***
    intervals = {"***": (-1, 0.001), "**": (0.001, 0.01), "*": (0.01, 0.05), "": (0.05, 1)}
    for r in rep.itertuples():
        a, b = intervals[r.stars_reported]
        assert r.stars_possible == (r.p_min <= b and r.p_max > a)


def _holm(p: np.ndarray) -> np.ndarray:
    m = len(p)
    order = np.argsort(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, (m - rank) * p[i])
        adjusted[i] = min(running, 1.0)
    return adjusted


def _bh(p: np.ndarray) -> np.ndarray:
    m = len(p)
    order = np.argsort(p)[::-1]
    adjusted = np.empty(m)
    running = 1.0
    for k, i in enumerate(order):
        rank = m - k
        running = min(running, p[i] * m / rank)
        adjusted[i] = running
    return adjusted


def test_multiple_comparison_corrections(rep):
    p = rep["p_recomputed"].to_numpy(float)
    np.testing.assert_allclose(rep["p_holm"], _holm(p), rtol=1e-12)
    np.testing.assert_allclose(rep["p_bh"], _bh(p), rtol=1e-12)
    assert (rep["survives_holm"] == (_holm(p) <= 0.05)).all()
    assert (rep["survives_bh"] == (_bh(p) <= 0.05)).all()


def test_variance_ratio_p(rep):
    pairs = _pairs()
    f = pairs.sd_men**2 / pairs.sd_women**2
    upper = stats.f.sf(f, pairs.n_men - 1, pairs.n_women - 1)
    lower = stats.f.cdf(f, pairs.n_men - 1, pairs.n_women - 1)
    np.testing.assert_allclose(rep["variance_ratio_p"], 2 * np.minimum(upper, lower), rtol=1e-9)


def test_replicate_rejects_bad_tables():
    with pytest.raises(SchemaError, match="sd"):
        replicate_table1(_table().drop(columns="sd"))
    table = _table()
    with pytest.raises(SchemaError, match="women"):
        replicate_table1(table[~((table.objective == "quality") & (table.group == "women"))])
    with pytest.raises(SchemaError, match="learning/attainment"):
        replicate_table1(tests=_tests().iloc[:-1])
    with pytest.raises(CopFactorsError):
        replicate_table1(table=[1, 2, 3])  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# audit_summary_table: GRIM and GRIMMER
# --------------------------------------------------------------------------------------------


def _rounds_to(value: Fraction, printed: float, decimals: int = 2) -> bool:
    """Is ``value`` within half a unit of ``printed`` (exact arithmetic, edges included)?

    An exact tie can print either way (the audit does not assume a rounding rule), so the
    edges count.
    """
    half = Fraction(1, 2 * 10**decimals)
    return abs(value - Fraction(Decimal(str(printed)))) <= half


def _grim_brute(mean: float, n: int, lo: int = 1, hi: int = 5) -> bool:
    return any(_rounds_to(Fraction(s, n), mean) for s in range(n * lo, n * hi + 1))


def _var_in_window(var: Fraction, sd: float) -> bool:
    half = Fraction(1, 200)
    target = Fraction(str(sd))
    low = max(target - half, Fraction(0))
    return low**2 <= var <= (target + half) ** 2


def _mean_in_window(mean: Fraction, printed: float) -> bool:
    half = Fraction(1, 200)
    return abs(mean - Fraction(str(printed))) <= half


def _count_vectors(n: int, k: int = 5) -> np.ndarray:
    """Every way to spread n answers over k categories (rows of counts), by stars and bars."""
    total = math.comb(n + k - 1, k - 1)
    bars = np.fromiter(
        itertools.chain.from_iterable(itertools.combinations(range(n + k - 1), k - 1)),
        dtype=np.int64,
        count=total * (k - 1),
    ).reshape(total, k - 1)
    edges = np.column_stack([np.full(total, -1), bars, np.full(total, n + k - 1)])
    return np.diff(edges, axis=1) - 1


def _brute_exists(mean: float, sd: float, n: int, lo: int = 1, hi: int = 5) -> bool:
    """Exhaustive: does some multiset of n answers in [lo, hi] print as (mean, sd)?

    Exact integer arithmetic: with mean = k / 100 and sd = j / 100, the mean prints right when
    |200 S - 2 n k| <= n, and the SD when
    (2j - 1)**2 n (n - 1) <= 40000 (n Q - S**2) <= (2j + 1)**2 n (n - 1).
    """
    values = np.arange(lo, hi + 1, dtype=np.int64)
    counts = _count_vectors(n, len(values))
    s = counts @ values
    q = counts @ values**2
    k, j = round(mean * 100), round(sd * 100)
    ok = np.abs(200 * s - 2 * n * k) <= n
    if n >= 2:
        scaled = 40000 * (n * q - s * s)
        ok &= (max(2 * j - 1, 0) ** 2 * n * (n - 1) <= scaled) & (
            scaled <= (2 * j + 1) ** 2 * n * (n - 1)
        )
    return bool(ok.any())


def test_grim_detail_reads_as_a_sentence():
    cells = pd.DataFrame(
        {
            "objective": ["x"],
            "measure": ["importance"],
            "group": ["men"],
            "mean": [3.54],
            "n": [26],
            "sd": [0.81],
        }
    )
    audit = audit_summary_table(cells)
    assert audit["check"].tolist() == ["grim", "grimmer"]
    assert audit["detail"].iloc[0] == (
        "A mean of 3.54 from 26 integer answers is possible (sum 92 gives 3.538)."
    )


def _verdicts(audit: pd.DataFrame, check: str) -> dict[tuple[str, str, str], bool]:
    sub = audit[audit["check"] == check]
    return {
        (o, m, g): bool(ok)
        for o, m, g, ok in sub[["objective", "measure", "group", "passed"]].itertuples(index=False)
    }


def test_grim_matches_brute_force_on_table1(audit):
    table = _table()
    grim = _verdicts(audit, "grim")
    assert len(grim) == len(table)
    for row in table.itertuples():
        passed = grim[(row.objective, row.measure, row.group)]
        assert passed == _grim_brute(row.mean, int(row.n)), row


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    n=st.integers(1, 120),
    hundredths=st.integers(100, 500),
    lo=st.integers(0, 1),
    width=st.integers(3, 9),
)
def test_grim_matches_brute_force(n, hundredths, lo, width):
    mean = hundredths / 100
    hi = lo + width
    cells = pd.DataFrame(
        {
            "objective": ["x"],
            "measure": ["m"],
            "group": ["g"],
            "mean": [mean],
            "n": [n],
            "sd": [np.nan],
        }
    )
    audit = audit_summary_table(cells, scale_min=lo, scale_max=hi)
    assert bool(audit["passed"].iloc[0]) == _grim_brute(mean, n, lo, hi)


_SMALL_N = {n: _count_vectors(n) for n in range(2, 10)}


@settings(max_examples=300, deadline=None, derandomize=True)
@given(n=st.integers(2, 9), hundredths=st.integers(100, 500), sd_hundredths=st.integers(0, 230))
def test_grimmer_is_exact_against_enumeration(n, hundredths, sd_hundredths):
    mean, sd = hundredths / 100, sd_hundredths / 100
    cells = pd.DataFrame(
        {"objective": ["x"], "measure": ["m"], "group": ["g"], "mean": [mean], "n": [n], "sd": [sd]}
    )
    audit = audit_summary_table(cells)
    grimmer = bool(audit.loc[audit["check"] == "grimmer", "passed"].iloc[0])
    assert grimmer == _brute_exists(mean, sd, n)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.integers(1, 5), min_size=2, max_size=40))
def test_real_answer_sets_pass_grim_and_grimmer(answers):
    x = np.array(answers, dtype=float)
    cells = pd.DataFrame(
        {
            "objective": ["x"],
            "measure": ["m"],
            "group": ["g"],
            "mean": [round(x.mean(), 2)],
            "n": [len(x)],
            "sd": [round(x.std(ddof=1), 2)],
        }
    )
    audit = audit_summary_table(cells)
    assert audit["passed"].all(), audit["detail"].tolist()


def test_parity_and_bounds_are_not_enough():
    # 3 answers on 1-5 adding to 9 can have sums of squares 27, 29, 33, 35 but not 31
    cells = pd.DataFrame(
        {
            "objective": ["x"],
            "measure": ["m"],
            "group": ["g"],
            "mean": [3.0],
            "n": [3],
            "sd": [round(math.sqrt((3 * 31 - 81) / 6), 2)],
        }
    )
    audit = audit_summary_table(cells)
    row = audit[audit["check"] == "grimmer"].iloc[0]
    assert not row["passed"]
    assert "parity and bounds rules alone would allow it" in row["detail"]
    assert not _brute_exists(3.0, float(cells["sd"].iloc[0]), 3)


def _sprite(mean: float, sd: float, n: int, lo: int, hi: int, seed: int) -> list[int] | None:
    """SPRITE-like search for n integer answers printing as (mean, sd)."""
    rng = random.Random(seed)
    sums = [s for s in range(n * lo, n * hi + 1) if _mean_in_window(Fraction(s, n), mean)]
    half = Fraction(1, 200)
    target = Fraction(str(sd))
    for s in sums:
        q_low = (max(target - half, 0) ** 2 * n * (n - 1) + s * s) / n
        q_high = ((target + half) ** 2 * n * (n - 1) + s * s) / n
        for _restart in range(20):
            base, extra = divmod(s, n)
            x = [base + 1] * extra + [base] * (n - extra)
            q = sum(v * v for v in x)
            for _step in range(20 * n + 200):
                if q_low <= q <= q_high:
                    return x
                spread = q < q_low
                best = None
                for _try in range(30):
                    i, j = rng.sample(range(n), 2)
                    a, b = (x[i], x[j]) if x[i] <= x[j] else (x[j], x[i])
                    i, j = (i, j) if x[i] <= x[j] else (j, i)
                    if spread and a > lo and b < hi:
                        new_q = q + 2 * (b - a) + 2
                        move = (i, j, -1)
                    elif not spread and b - a >= 2:
                        new_q = q - 2 * (b - a) + 2
                        move = (i, j, 1)
                    else:
                        continue
                    miss = (
                        0
                        if q_low <= new_q <= q_high
                        else min(abs(new_q - q_low), abs(new_q - q_high))
                    )
                    if best is None or miss < best[0]:
                        best = (miss, new_q, move)
                if best is None:
                    break
                _, q, (i, j, step) = best
                x[i] += step
                x[j] -= step
    return None


def test_every_grimmer_pass_in_table1_has_a_concrete_answer_set(audit):
    table = _table()
    grimmer = _verdicts(audit, "grimmer")
    checked = 0
    for i, row in table.iterrows():
        if not grimmer[(row["objective"], row["measure"], row["group"])]:
            continue
        x = _sprite(row["mean"], row["sd"], int(row["n"]), 1, 5, seed=i)
        assert x is not None, row.to_dict()
        assert len(x) == row["n"] and min(x) >= 1 and max(x) <= 5
        n = len(x)
        assert _mean_in_window(Fraction(sum(x), n), row["mean"])
        var = Fraction(n * sum(v * v for v in x) - sum(x) ** 2, n * (n - 1))
        assert _var_in_window(var, row["sd"])
        checked += 1
    assert checked == sum(grimmer.values()) > 0


def test_every_failure_in_table1_is_confirmed_by_enumeration(audit):
    table = _table()
    failed = audit[audit["check"].isin(["grim", "grimmer"]) & ~audit["passed"]]
    assert len(failed) > 0
    for r in failed.itertuples():
        cell = table[
            (table.objective == r.objective)
            & (table.measure == r.measure)
            & (table.group == r.group)
        ].iloc[0]
        if r.check == "grim":
            assert not _grim_brute(cell["mean"], int(cell["n"]))
        else:
            assert not _brute_exists(cell["mean"], cell["sd"], int(cell["n"]))


def test_nearest_possible_means_are_possible_and_retested(audit):
    alternatives = _grim_alternatives(_table(), _tests(), audit)
    failing = audit[(audit["check"] == "grim") & ~audit["passed"]]
    assert len(alternatives) == len(failing)
    for rec in alternatives:
        means = [item["mean"] for item in rec["alternatives"]]
        assert all(_grim_brute(m, rec["n"]) for m in means)
        assert means[0] < rec["mean"] < means[-1]
        for item in rec["alternatives"]:
            if "t" in item:
                assert item["reproduced"] == (
                    item["t_min"] - HALF <= item["t_reported"] <= item["t_max"] + HALF
                )
            # a GRIMMER failure reported for an alternative is confirmed by enumeration
            for failure in item["failed_checks"]:
                group, check = failure.split()
                if check == "grimmer" and rec["n"] <= 60 and group == rec["group"]:
                    table = _table()
                    sd = table[
                        (table.objective == rec["objective"])
                        & (table.measure == rec["measure"])
                        & (table.group == group)
                    ]["sd"].iloc[0]
                    assert not _brute_exists(item["mean"], sd, rec["n"])


def test_large_n_falls_back_to_parity_and_bounds():
    cells = pd.DataFrame(
        {
            "objective": ["x"],
            "measure": ["m"],
            "group": ["g"],
            "mean": [3.1],
            "n": [3000],
            "sd": [1.2],
        }
    )
    audit = audit_summary_table(cells)
    row = audit[audit["check"] == "grimmer"].iloc[0]
    assert row["passed"] and "parity and bounds" in row["detail"]


def test_sd_outside_the_possible_bounds_is_explained():
    cells = pd.DataFrame(
        {
            "objective": ["x"],
            "measure": ["m"],
            "group": ["g"],
            "mean": [4.9],
            "n": [10],
            "sd": [1.5],
        }
    )
    row = audit_summary_table(cells).iloc[1]
    assert not row["passed"]
    assert "must lie between" in row["detail"]
    assert not _brute_exists(4.9, 1.5, 10)


# --------------------------------------------------------------------------------------------
# audit_summary_table: totals
# --------------------------------------------------------------------------------------------


def test_total_n_and_total_mean_on_table1(audit):
    pairs = _pairs()
    for check in ("total_n", "total_mean", "total_sd"):
        assert (audit["check"] == check).sum() == len(pairs)
    total_n, total_mean = _verdicts(audit, "total_n"), _verdicts(audit, "total_mean")
    for row in pairs.itertuples():
        key = (row.objective, row.measure, "total")
        assert total_n[key] == (row.n_total == row.n_men + row.n_women)
        pooled = (row.n_men * row.mean_men + row.n_women * row.mean_women) / (
            row.n_men + row.n_women
        )
        assert total_mean[key] == (abs(pooled - row.mean_total) <= 2 * HALF + 1e-9)


def test_total_checks_catch_perturbed_totals():
    table = _table()
    total = (table.objective == "quality") & (table.measure == "importance")
    total &= table.group == "total"
    for column, change, check in (
        ("n", 3, "total_n"),
        ("mean", 0.05, "total_mean"),
        ("sd", 0.08, "total_sd"),
    ):
        changed = table.copy()
        changed.loc[total, column] += change
        audit = audit_summary_table(changed)
        row = audit[
            (audit.objective == "quality")
            & (audit.measure == "importance")
            & (audit.check == check)
        ].iloc[0]
        assert not row["passed"], row["detail"]


def test_pooled_sd_range_matches_optimisation_and_samples():
    means, sds, ns = np.array([3.9, 4.53]), np.array([0.81, 0.66]), np.array([53.0, 89.0])
    lo, hi, at = _pooled_sd_range(means, sds, ns, HALF)
    men, women = _sample(3.9, 0.81, 53, 1), _sample(4.53, 0.66, 89, 2)
    np.testing.assert_allclose(at, np.concatenate([men, women]).std(ddof=1), rtol=1e-12)

    def combined(x):
        m, s = x[:2], x[2:]
        mbar = (ns * m).sum() / ns.sum()
        ss = ((ns - 1) * s**2).sum() + (ns * (m - mbar) ** 2).sum()
        return math.sqrt(ss / (ns.sum() - 1))

    centre = np.concatenate([means, sds])
    opt_lo, opt_hi = _box_extremes(combined, centre, centre - HALF, centre + HALF)
    np.testing.assert_allclose([opt_lo, opt_hi], [lo, hi], atol=1e-9)


def test_pooled_sd_range_with_three_overlapping_groups():
    means, sds, ns = (
        np.array([3.50, 3.505, 3.51]),
        np.array([1.0, 0.9, 1.1]),
        np.array([9, 7, 12.0]),
    )
    lo, hi, _ = _pooled_sd_range(means, sds, ns, HALF)

    def combined(x):
        m, s = x[:3], x[3:]
        mbar = (ns * m).sum() / ns.sum()
        ss = ((ns - 1) * s**2).sum() + (ns * (m - mbar) ** 2).sum()
        return math.sqrt(ss / (ns.sum() - 1))

    centre = np.concatenate([means, sds])
    opt_lo, opt_hi = _box_extremes(combined, centre, centre - HALF, centre + HALF)
    np.testing.assert_allclose([opt_lo, opt_hi], [lo, hi], atol=1e-8)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    st.lists(st.lists(st.integers(1, 5), min_size=2, max_size=30), min_size=2, max_size=3),
)
def test_summaries_of_real_groups_pass_every_check(groups):
    everything = [v for g in groups for v in g]
    cells = []
    for name, answers in [*((f"group{i}", g) for i, g in enumerate(groups)), ("total", everything)]:
        x = np.array(answers, dtype=float)
        cells.append(
            {
                "objective": "x",
                "measure": "m",
                "group": name,
                "mean": round(x.mean(), 2),
                "n": len(x),
                "sd": round(x.std(ddof=1), 2),
            }
        )
    audit = audit_summary_table(pd.DataFrame(cells))
    assert set(audit["check"]) == {"grim", "grimmer", "total_n", "total_mean", "total_sd"}
    assert audit["passed"].all(), audit.loc[~audit["passed"], "detail"].tolist()


def test_audit_rejects_bad_input():
    with pytest.raises(SchemaError, match="mean"):
        audit_summary_table(_table().drop(columns="mean"))
    bad = _table().astype({"mean": object})
    bad.loc[3, "mean"] = "3,54"
    with pytest.raises(SchemaError, match="not a number"):
        audit_summary_table(bad)
    with pytest.raises(CopFactorsError, match="scale"):
        audit_summary_table(_table(), scale_min=5, scale_max=1)


def test_audit_columns(audit):
    assert list(audit.columns) == ["objective", "measure", "group", "check", "passed", "detail"]
    assert audit["passed"].dtype == bool
    assert audit["detail"].str.endswith(".").all()


# --------------------------------------------------------------------------------------------
# group_comparison against R
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return pd.read_csv(RESULTS / "group_comparison_survey.csv")


@pytest.fixture(scope="module")
def r_values() -> pd.DataFrame:
    # R: Rscript tests/results/group_comparison.R (t.test, oneway.test, Levene by hand)
    return pd.read_csv(RESULTS / "group_comparison.csv")


def _r(r_values: pd.DataFrame, column: str, by: str, quantity: str) -> float:
    sel = r_values[
        (r_values.column == column) & (r_values.by == by) & (r_values.quantity == quantity)
    ]
    assert len(sel) == 1, (column, by, quantity)
    return float(sel["value"].iloc[0])


OBJECTIVES_R = ["innovation", "quality", "learning"]
PREFIX = {"importance": "imp_", "attainment": "att_"}


@pytest.mark.parametrize("equal_var", [True, False])
def test_gender_t_tests_match_r(survey, r_values, equal_var):
    res = group_comparison(survey, equal_var=equal_var)
    assert res.groups == ("man", "woman")
    tag = "student" if equal_var else "welch"
    assert len(res.tests) == 6
    for rec in res.tests.itertuples():
        column = PREFIX[rec.measure] + rec.objective
        assert rec.test == tag
        # R: t.test(x[g == "man"], x[g == "woman"], var.equal = ...)
        np.testing.assert_allclose(rec.t, _r(r_values, column, "gender", f"t_{tag}"), rtol=1e-8)
        np.testing.assert_allclose(rec.df, _r(r_values, column, "gender", f"df_{tag}"), rtol=1e-8)
        np.testing.assert_allclose(rec.p, _r(r_values, column, "gender", f"p_{tag}"), rtol=1e-8)
        assert rec.df_text == (f"{int(rec.df)}" if equal_var else f"{rec.df:.2f}")


def test_levene_and_the_test_it_chooses_match_r(survey, r_values):
    res = group_comparison(survey)
    chosen = set()
    for rec in res.tests.itertuples():
        column = PREFIX[rec.measure] + rec.objective
        levene_p = _r(r_values, column, "gender", "levene_p")
        np.testing.assert_allclose(rec.levene_p, levene_p, rtol=1e-8)
        tag = "welch" if levene_p < 0.05 else "student"
        assert rec.test == tag
        np.testing.assert_allclose(rec.t, _r(r_values, column, "gender", f"t_{tag}"), rtol=1e-8)
        np.testing.assert_allclose(rec.p, _r(r_values, column, "gender", f"p_{tag}"), rtol=1e-8)
        assert rec.stars == stars(_r(r_values, column, "gender", f"p_{tag}"))
        chosen.add(rec.test)
    assert chosen == {"student", "welch"}  # the fixture exercises both branches


def test_group_summaries_match_r(survey, r_values):
    for by in ("gender", "age_band"):
        res = group_comparison(survey, by=by)
        for rec in res.table.itertuples():
            column = PREFIX[rec.measure] + rec.objective
            assert rec.n == _r(r_values, column, by, f"n_{rec.group}")
            np.testing.assert_allclose(
                rec.mean, _r(r_values, column, by, f"mean_{rec.group}"), rtol=1e-10
            )
            np.testing.assert_allclose(
                rec.sd, _r(r_values, column, by, f"sd_{rec.group}"), rtol=1e-10
            )


@pytest.mark.parametrize("equal_var", ["levene", True, False])
def test_age_band_anova_matches_r(survey, r_values, equal_var):
    res = group_comparison(survey, by="age_band", equal_var=equal_var)
    assert res.groups == ("under_35", "35_49", "50_plus")
    chosen = set()
    for rec in res.tests.itertuples():
        column = PREFIX[rec.measure] + rec.objective
        levene_p = _r(r_values, column, "age_band", "levene_p")
        np.testing.assert_allclose(rec.levene_p, levene_p, rtol=1e-8)
        welch = levene_p < 0.05 if equal_var == "levene" else not equal_var
        tag = "welch_anova" if welch else "anova"
        assert rec.test == tag
        assert np.isnan(rec.t)
        # R: oneway.test(x ~ g, var.equal = ...)
        np.testing.assert_allclose(rec.F, _r(r_values, column, "age_band", f"F_{tag}"), rtol=1e-8)
        np.testing.assert_allclose(rec.df1, _r(r_values, column, "age_band", f"df1_{tag}"))
        np.testing.assert_allclose(rec.df, _r(r_values, column, "age_band", f"df_{tag}"), rtol=1e-8)
        np.testing.assert_allclose(rec.p, _r(r_values, column, "age_band", f"p_{tag}"), rtol=1e-8)
        chosen.add(rec.test)
    if equal_var == "levene":
        assert chosen == {"anova", "welch_anova"}


def test_group_order_sets_the_sign(survey):
    forward = group_comparison(survey, objectives=["learning"], equal_var=True)
    reverse = group_comparison(
        survey, objectives=["learning"], groups=["woman", "man"], equal_var=True
    )
    np.testing.assert_allclose(forward.tests["t"], -reverse.tests["t"], rtol=1e-12)
    means = forward.table.pivot_table(index="measure", columns="group", values="mean")
    t = forward.tests.set_index("measure")["t"].sort_index()
    difference = (means["man"] - means["woman"]).sort_index()
    np.testing.assert_array_equal(np.sign(t.to_numpy()), np.sign(difference.to_numpy()))


def test_gender_order_is_men_first_even_for_categoricals(survey):
    data = survey.assign(
        gender=pd.Categorical(survey["gender"], categories=["woman", "man"]),
        age_band=pd.Categorical(survey["age_band"], categories=["50_plus", "35_49", "under_35"]),
    )
    assert group_comparison(data, objectives=["quality"]).groups == ("man", "woman")
    res = group_comparison(data, by="age_band", objectives=["quality"])
    assert res.groups == ("under_35", "35_49", "50_plus")


def test_example_survey_gives_tables_layout():
    survey = copfactors.load_example_survey()
    res = group_comparison(survey)
    expected = survey["gender"].dropna().astype(str)
    assert res.groups == ("man", "woman") and set(expected) == {"man", "woman"}
    for rec in res.tests.itertuples():
        column = PREFIX[rec.measure] + rec.objective
        x = survey[column].astype(float)
        men, women = x[survey["gender"] == "man"].dropna(), x[survey["gender"] == "woman"].dropna()
        expected_t = stats.ttest_ind(men, women, equal_var=rec.test == "student").statistic
        np.testing.assert_allclose(rec.t, expected_t, rtol=1e-10)
        levene = stats.levene(men, women, center="mean").pvalue
        assert rec.test == ("welch" if levene < 0.05 else "student")


def test_any_categorical_column(survey):
    data = survey.assign(
        site=pd.Categorical(
            np.where(survey["respondent"] % 2 == 0, "b", "a"), categories=["b", "a"]
        )
    )
    res = group_comparison(data, by="site", objectives=["quality"], equal_var=True)
    assert res.groups == ("b", "a")
    x = data["imp_quality"]
    expected = stats.ttest_ind(x[data.site == "b"], x[data.site == "a"])
    row = res.tests[res.tests.measure == "importance"].iloc[0]
    np.testing.assert_allclose(row["t"], expected.statistic, rtol=1e-10)
    data = data.assign(team=survey["respondent"] % 4)
    res = group_comparison(data, by="team", objectives=["quality"], equal_var=True)
    assert res.groups == ("0", "1", "2", "3")
    x = data["imp_quality"]
    expected = stats.f_oneway(*(x[data.team == k] for k in range(4)))
    row = res.tests[res.tests.measure == "importance"].iloc[0]
    assert row["test"] == "anova"
    np.testing.assert_allclose(row["F"], expected.statistic, rtol=1e-10)
    np.testing.assert_allclose(row["p"], expected.pvalue, rtol=1e-10)


def test_group_comparison_table_passes_the_audit(survey):
    res = group_comparison(survey)
    printed = res.table.assign(mean=res.table["mean"].round(2), sd=res.table["sd"].round(2))
    audit = audit_summary_table(printed)
    assert audit["passed"].all()
    assert set(audit["group"]) == {"man", "woman", "total"}


def test_group_comparison_rejects_bad_input(survey):
    with pytest.raises(SchemaError, match="grouping column is missing"):
        group_comparison(survey, by="region")
    with pytest.raises(SchemaError, match="imp_nothing"):
        group_comparison(survey, objectives=["nothing"])
    bad = survey.astype({"imp_quality": object})
    bad.loc[4, "imp_quality"] = "very"
    with pytest.raises(SchemaError, match="not a numeric answer"):
        group_comparison(bad, objectives=["quality"])
    with pytest.raises(SchemaError, match="at least two groups"):
        group_comparison(survey[survey.gender == "man"])
    with pytest.raises(CopFactorsError, match="equal_var"):
        group_comparison(survey, equal_var="maybe")  # type: ignore[arg-type]


def test_rendering_keeps_the_papers_layout(survey):
    res = group_comparison(survey)
    wide = res.wide()
    assert wide["objective"].tolist() == list(dict.fromkeys(res.table["label"]))
    groups = [c.split()[0] for c in wide.columns[2:]]
    assert list(dict.fromkeys(groups)) == ["man", "woman", "total"]
    letter = {"importance": "A", "attainment": "B"}
    rows = {rec["objective"]: rec for rec in wide.to_dict("records")}
    for cell in res.table.itertuples():
        shown = rows[cell.label]
        key = f"{cell.group} {letter[cell.measure]}"
        assert shown[f"{key} N"] == cell.n
        np.testing.assert_allclose([shown[f"{key} mean"], shown[f"{key} SD"]], [cell.mean, cell.sd])
    text = res.to_text()
    assert LEGEND in text
    for display in res.tests["display"]:
        assert display in text
    html = res.to_html()
    assert html.startswith("<table") and "p ≤ 0.001" in html
    latex = res.to_latex()
    assert "\\begin{tabular}" in latex and "$\\le$" in latex and "≤" not in latex
    welch = res.tests[res.tests.test == "welch"].iloc[0]
    assert f"t({welch.df:.2f})" in text


# --------------------------------------------------------------------------------------------
# command line, report and documentation page
# --------------------------------------------------------------------------------------------


def test_cli_replicate_json(rep, audit):
    result = CliRunner().invoke(app, ["replicate", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"replication", "audit"}
    assert len(data["replication"]) == len(rep) and len(data["audit"]) == len(audit)
    assert list(data["replication"][0]) == list(rep.columns)
    assert [r["passed"] for r in data["audit"]] == audit["passed"].tolist()
    np.testing.assert_allclose([r["t_student"] for r in data["replication"]], rep["t_student"])


@pytest.mark.parametrize(
    ("fmt", "marker"),
    [("text", "Failed checks"), ("html", "<table"), ("latex", "\\begin{tabular}")],
)
def test_cli_replicate_formats(fmt, marker, audit):
    result = CliRunner().invoke(app, ["replicate", "--format", fmt])
    assert result.exit_code == 0, result.output
    assert marker in result.output
    for detail in audit.loc[~audit["passed"], "detail"]:
        assert detail.split(":")[0] in result.output


def test_cli_replicate_all_checks_and_bad_format(audit):
    result = CliRunner().invoke(app, ["replicate", "--all-checks"])
    assert result.exit_code == 0
    assert audit["detail"].iloc[0] in result.output
    result = CliRunner().invoke(app, ["replicate", "--format", "xml"])
    assert result.exit_code == 2
    assert "'xml' is not one of" in result.output


def test_report_rejects_unknown_format():
    with pytest.raises(CopFactorsError, match="unknown format"):
        replication_report("pdf")  # type: ignore[arg-type]


def test_public_names():
    assert copfactors.replicate_table1 is replicate_table1
    assert copfactors.audit_summary_table is audit_summary_table
    assert copfactors.group_comparison is group_comparison


def test_documentation_page_is_current():
    page = ROOT / "docs" / "replicating-table1.md"
    # t statistics and p-values come from scipy's special functions: numbers to one printed unit
    assert_text_close(
        replication_markdown(),
        page.read_text(encoding="utf-8"),
        name="docs/replicating-table1.md (run python scripts/make_replication_doc.py)",
    )


def test_documentation_states_the_audit_counts(audit):
    page = replication_markdown()
    for check, sub in audit.groupby("check"):
        failed = int((~sub["passed"]).sum())
        assert f"| {check} | {len(sub)} | {len(sub) - failed} | {failed} |" in page
    for detail in audit.loc[~audit["passed"], "detail"]:
        assert detail in page
