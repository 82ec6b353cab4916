"""Which integer answers reproduce each cell of Table 1, and how a survey compares with it.

For every objective and measure, the men's and the women's cells are solved for the sum and sum
of squares of their answers (:mod:`copfactors.datasets._sprite`); when several solutions exist,
the pair whose pooled answers also reproduce the printed total is chosen. A cell no integer
answers can reproduce gets the nearest solution and is listed, with the reason, by
:func:`cell_targets` (column ``reproducible``) and :func:`unreproducible_cells`.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from copfactors.datasets._published import load_table1
from copfactors.datasets._sprite import (
    TOLERANCE,
    consistent_moments,
    consistent_sums,
    nearest_moments,
    sample_sd,
    within,
)

GROUPS = ("men", "women", "total")
MEASURES = ("importance", "attainment")
#: Survey column prefix of each measure.
PREFIX = {"importance": "imp", "attainment": "att"}
#: Value of the survey's ``gender`` column for each Table 1 group.
GENDER_OF_GROUP = {"men": "man", "women": "woman"}


def _excess(value: float, printed: float) -> float:
    return max(0.0, abs(value - printed) - TOLERANCE)


def _reason(n: int, mean: float, sd: float) -> str:
    if not consistent_sums(n, mean):
        return f"GRIM: no {n} integer answers have a mean that rounds to {mean:.2f}"
    return (
        f"GRIMMER: no {n} integer answers on 1-5 with a mean of {mean:.2f} have an SD that "
        f"rounds to {sd:.2f}"
    )


@lru_cache(maxsize=1)
def _targets() -> pd.DataFrame:
    table = load_table1()
    rows = []
    for (objective, measure), cells in table.groupby(["objective", "measure"], sort=False):
        cell = {r.group: r for r in cells.itertuples(index=False)}
        men, women, total = cell["men"], cell["women"], cell["total"]
        options = {}
        exact = {}
        for g in (men, women):
            found = consistent_moments(int(g.n), float(g.mean), float(g.sd))
            exact[g.group] = bool(found)
            options[g.group] = found or nearest_moments(int(g.n), float(g.mean), float(g.sd))
        best, best_err = None, None
        for pm in options["men"]:
            for pw in options["women"]:
                s, q = pm[0] + pw[0], pm[1] + pw[1]
                err = (
                    _excess(s / total.n, total.mean),
                    _excess(sample_sd(int(total.n), s, q), total.sd),
                )
                if best_err is None or err < best_err:
                    best, best_err = (pm, pw), err
        assert best is not None and best_err is not None
        for g, (s, q) in zip((men, women), best, strict=True):
            rows.append(
                (
                    objective,
                    measure,
                    g.group,
                    int(g.n),
                    g.mean,
                    g.sd,
                    s,
                    q,
                    exact[g.group],
                    "" if exact[g.group] else _reason(int(g.n), float(g.mean), float(g.sd)),
                )
            )
        s, q = best[0][0] + best[1][0], best[0][1] + best[1][1]
        total_ok = best_err == (0.0, 0.0)
        note = ""
        if not total_ok:
            note = (
                f"total: no answers matching the men's and women's cells pool to a mean of "
                f"{total.mean:.2f} and an SD of {total.sd:.2f}"
            )
        rows.append(
            (objective, measure, "total", int(total.n), total.mean, total.sd, s, q, total_ok, note)
        )
    return pd.DataFrame(
        rows,
        columns=[
            "objective",
            "measure",
            "group",
            "n",
            "mean",
            "sd",
            "sum",
            "sumsq",
            "reproducible",
            "reason",
        ],
    )


def cell_targets() -> pd.DataFrame:
    """The sum and sum of squares chosen for each of the 90 cells of Table 1.

    Returns
    -------
    pandas.DataFrame
        Columns ``objective``, ``measure``, ``group``, ``n``, ``mean``, ``sd`` (as printed),
        ``sum``, ``sumsq`` (of the answers the simulator generates; for ``total``, of the
        pooled men's and women's answers), ``reproducible`` (for men and women: some integer
        answers reproduce the printed mean and SD; for totals: the chosen men's and women's
        answers pool to the printed total) and ``reason`` (empty when reproducible).
    """
    return _targets().copy()


def unreproducible_cells() -> list[dict[str, str]]:
    """Cells of Table 1 that integer answers cannot reproduce, with the reason.

    Returns
    -------
    list of dict
        One ``{"objective", "measure", "group", "reason"}`` per cell.
    """
    t = _targets()
    bad = t.loc[~t["reproducible"], ["objective", "measure", "group", "reason"]]
    return [{k: str(v) for k, v in rec.items()} for rec in bad.to_dict("records")]


def _describe(values: pd.Series) -> tuple[int, float, float]:
    v = pd.to_numeric(values, errors="coerce").dropna().astype(float)
    n = len(v)
    mean = float(v.mean()) if n else float("nan")
    sd = float(v.std(ddof=1)) if n > 1 else float("nan")
    return n, mean, sd


def calibration_report(survey: pd.DataFrame, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Compare a survey's answers with every cell of Table 1.

    For each objective, measure (importance: ``imp_<slug>``; attainment: ``att_<slug>``) and
    group (men, women, and the total of all answers), the survey's number of answers, mean and
    sample SD are set beside the printed values.

    Parameters
    ----------
    survey : pandas.DataFrame
        A survey with ``gender`` and the ``imp_*`` / ``att_*`` columns (for example
        :func:`~copfactors.datasets.load_example_survey`, which is SIMULATED).
    table : pandas.DataFrame, optional
        Summary statistics in :func:`~copfactors.datasets.load_table1`'s layout; Table 1 by
        default.

    Returns
    -------
    pandas.DataFrame
        90 rows (for Table 1) with columns ``objective``, ``measure``, ``group``, ``n_table``,
        ``n_survey``, ``mean_table``, ``mean_survey``, ``sd_table``, ``sd_survey``,
        ``n_match``, ``mean_match``, ``sd_match`` (the survey's value prints as the table's
        at two decimals), ``match`` (all three), ``reproducible`` (whether any integer
        answers can reproduce the printed cell; for totals, together with their men's and
        women's cells; missing for a table other than Table 1) and ``reason``.

    Examples
    --------
    >>> from copfactors.datasets import calibration_report, load_example_survey
    >>> report = calibration_report(load_example_survey())
    >>> report.shape
    (90, 15)
    >>> int(report["n_match"].sum())
    90
    """
    published = load_table1() if table is None else table
    gender = survey["gender"].astype("string") if "gender" in survey else None
    rows = []
    for r in published.itertuples(index=False):
        column = f"{PREFIX[r.measure]}_{r.objective}"
        values = survey[column] if column in survey else pd.Series(dtype=float)
        if r.group != "total" and gender is not None and column in survey:
            values = values[(gender == GENDER_OF_GROUP[r.group]).fillna(False).to_numpy()]
        elif r.group != "total":
            values = pd.Series(dtype=float)
        n, mean, sd = _describe(values)
        n_match = n == int(r.n)
        mean_match = bool(np.isfinite(mean)) and within(mean, float(r.mean))
        sd_match = bool(np.isfinite(sd)) and within(sd, float(r.sd))
        rows.append(
            (
                r.objective,
                r.measure,
                r.group,
                int(r.n),
                n,
                float(r.mean),
                mean,
                float(r.sd),
                sd,
                n_match,
                mean_match,
                sd_match,
                n_match and mean_match and sd_match,
            )
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "objective",
            "measure",
            "group",
            "n_table",
            "n_survey",
            "mean_table",
            "mean_survey",
            "sd_table",
            "sd_survey",
            "n_match",
            "mean_match",
            "sd_match",
            "match",
        ],
    )
    if table is None:
        t = _targets().set_index(["objective", "measure", "group"])
        key = pd.MultiIndex.from_frame(out[["objective", "measure", "group"]])
        out["reproducible"] = t.loc[key, "reproducible"].to_numpy()
        out["reason"] = t.loc[key, "reason"].to_numpy()
    else:
        out["reproducible"] = pd.array([pd.NA] * len(out), dtype="boolean")
        out["reason"] = ""
    return out
