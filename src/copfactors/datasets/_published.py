"""The published numbers shipped with the package: Table 1 and its printed tests, tidy.

Kept apart from the simulator so that the calibration of simulated surveys can read them
without importing the ``datasets`` package that re-exports it.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

import pandas as pd

__all__ = ["data_file", "load_table1", "load_table1_tests", "read_data"]


def data_file(name: str) -> Traversable:
    return resources.files("copfactors.datasets").joinpath("data", name)


def read_data(name: str, **kwargs: object) -> pd.DataFrame:
    with data_file(name).open("r", encoding="utf-8") as fh:
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
    table = read_data("table1.csv")
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
    tests = read_data("table1_tests.csv", dtype={"stars": "string"})
    tests["t"] = tests["t"].astype("float64")
    tests["df"] = tests["df"].astype("float64")
    tests["stars"] = tests["stars"].fillna("").astype(object).astype(str)
    tests["significant"] = tests["significant"].astype(bool)
    return tests
