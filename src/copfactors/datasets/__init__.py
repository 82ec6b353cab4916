"""Data shipped with copfactors: the paper's Table 1 and a SIMULATED example survey.

* :func:`load_table1` and :func:`load_table1_tests`: the published summary statistics and
  t-tests of Table 1 (Tremblay, *Communities of Practice: new modes of collaboration and
  networked learning?*, Teluq), tidy.
* :func:`make_survey`: a documented simulator of a CoP study like the paper's. Its output is
  SIMULATED: the paper publishes no respondent-level data.
* :func:`load_example_survey`: one calibrated simulation, shipped as a CSV file.
* :func:`calibration_report`: a survey's answers beside every cell of Table 1.

Examples
--------
>>> from copfactors.datasets import load_example_survey, load_table1
>>> load_table1().shape
(90, 7)
>>> survey = load_example_survey()
>>> survey.attrs["simulated"]
True
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

import numpy as np
import pandas as pd

from copfactors.datasets._calibration import calibration_report, unreproducible_cells
from copfactors.datasets._simulate import (
    EFFECT_CLAIMS,
    GENERATING_MODEL,
    IMPORTANCE_MODEL,
    SIMULATED_NOTE,
    make_survey,
    simulation_design,
)

__all__ = [
    "EFFECT_CLAIMS",
    "EXAMPLE_SEED",
    "GENERATING_MODEL",
    "IMPORTANCE_MODEL",
    "calibration_report",
    "load_example_survey",
    "load_table1",
    "load_table1_tests",
    "make_survey",
    "simulation_design",
]

#: Seed of the calibrated simulation shipped as ``example_survey.csv``.
EXAMPLE_SEED = 2003

_EXAMPLE_FILE = "example_survey.csv"


def _data_file(name: str) -> Traversable:
    return resources.files("copfactors.datasets").joinpath("data", name)


def _read(name: str, **kwargs: object) -> pd.DataFrame:
    with _data_file(name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, comment="#", **kwargs)


def load_table1() -> pd.DataFrame:
    """Table 1 of the paper: importance (T1) and attainment (T2) of 15 objectives by gender.

    Transcribed by hand from D.-G. Tremblay, *Communities of Practice: new modes of
    collaboration and networked learning?* (Teluq), section 3.2, with decimal commas turned
    into points and no value altered. Some printed cells are inconsistent (see
    :func:`calibration_report` and ``copfactors.replicate``).

    Returns
    -------
    pandas.DataFrame
        90 rows (15 objectives x 2 measures x 3 groups), in table order, with columns

        ========= ==========================================================
        objective slug of the objective (``copfactors.schema.OBJECTIVES``)
        label     the objective as printed in the paper
        measure   ``importance`` (T1) or ``attainment`` (T2), scales 1-5
        group     ``men``, ``women`` or ``total``
        mean      mean (float)
        n         number of answers (int)
        sd        sample standard deviation (float)
        ========= ==========================================================

    Examples
    --------
    >>> from copfactors.datasets import load_table1
    >>> table = load_table1()
    >>> table.shape
    (90, 7)
    >>> table.head(3)[["objective", "measure", "group", "mean", "n", "sd"]]
        objective     measure  group  mean   n    sd
    0  innovation  importance    men  4.00  55  0.82
    1  innovation  attainment    men  3.54  26  0.81
    2  innovation  importance  women  4.44  89  0.74
    """
    table = _read("table1.csv")
    table["n"] = table["n"].astype("int64")
    for col in ("mean", "sd"):
        table[col] = table[col].astype("float64")
    return table


def load_table1_tests() -> pd.DataFrame:
    """The t-tests of the gender difference printed in Table 1.

    One row per objective and measure (30 rows), as printed: ``t(df) = value`` with stars
    (``*`` p <= .05, ``**`` p <= .01, ``***`` p <= .001), or ``n-s``. Source as
    :func:`load_table1`.

    Returns
    -------
    pandas.DataFrame
        Columns ``objective``, ``measure``, ``t`` (float, NaN when printed ``n-s``), ``df``
        (float: one test prints a fractional, Welch, df; NaN when ``n-s``), ``stars`` (``""``,
        ``"*"``, ``"**"`` or ``"***"``) and ``significant`` (bool).

    Examples
    --------
    >>> from copfactors.datasets import load_table1_tests
    >>> tests = load_table1_tests()
    >>> tests.shape
    (30, 6)
    >>> tests.head(3)
              objective     measure     t     df stars  significant
    0        innovation  importance -3.32  142.0   ***         True
    1        innovation  attainment   NaN    NaN              False
    2  client_relations  importance -2.78  138.0    **         True
    """
    tests = _read("table1_tests.csv", dtype={"stars": "string"})
    tests["t"] = tests["t"].astype("float64")
    tests["df"] = tests["df"].astype("float64")
    tests["stars"] = tests["stars"].fillna("").astype(object).astype(str)
    tests["significant"] = tests["significant"].astype(bool)
    return tests


def load_example_survey() -> pd.DataFrame:
    """The example survey shipped with copfactors. SIMULATED data, not the paper's.

    One calibrated run of :func:`make_survey` (``seed=EXAMPLE_SEED``), written by
    ``scripts/make_example_survey.py`` to ``copfactors/datasets/data/example_survey.csv``: 180
    respondents in 7 CoPs (``cop_1`` mirrors the paper's most successful case), 103 of them
    answering at T2, whose answers reproduce every reproducible cell of Table 1 (N, mean and
    SD at two decimals). The drivers act as in :data:`GENERATING_MODEL`.

    Returns
    -------
    pandas.DataFrame
        180 rows and the 55 codebook columns, typed by :func:`copfactors.schema.validate`;
        ``attrs["simulated"]`` is True and ``attrs["description"]`` says so.

    Examples
    --------
    >>> from copfactors.datasets import load_example_survey
    >>> survey = load_example_survey()
    >>> survey.shape
    (180, 55)
    >>> survey.groupby("cop_id").size().tolist()
    [21, 32, 28, 27, 26, 24, 22]
    >>> int(survey["responded_t2"].sum())
    103
    """
    from copfactors.schema import validate

    raw = _read(_EXAMPLE_FILE, dtype={"respondent_id": str, "cop_id": str})
    survey = validate(raw, source=_EXAMPLE_FILE)
    survey.attrs = {
        **survey.attrs,
        "simulated": True,
        "description": SIMULATED_NOTE,
        "mode": "calibrated",
        "seed": EXAMPLE_SEED,
        "source": _EXAMPLE_FILE,
        "unreproducible_cells": unreproducible_cells(),
    }
    return survey


def _example_csv_text(survey: pd.DataFrame) -> str:
    """The text of ``example_survey.csv`` for a survey (used by the generating script)."""
    out = survey.copy()
    for col in out.columns:
        dtype = out[col].dtype
        if isinstance(dtype, pd.BooleanDtype):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
        elif isinstance(dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
    hours = out["hours_per_week"].to_numpy(dtype=float)
    out["hours_per_week"] = [f"{h:.2f}" if np.isfinite(h) else "" for h in hours]
    header = (
        f"# SIMULATED data, not the paper's respondents: copfactors.make_survey(seed="
        f"{EXAMPLE_SEED}, mode='calibrated'), written by scripts/make_example_survey.py\n"
    )
    return header + out.to_csv(index=False, lineterminator="\n")
