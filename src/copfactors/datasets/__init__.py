"""Data shipped with copfactors: the paper's Table 1 and a SIMULATED example survey.

* :func:`load_table1` and :func:`load_table1_tests`: the published summary statistics and
  t-tests of Table 1 (Tremblay, *Communities of Practice: new modes of collaboration and
  networked learning?*, Teluq), tidy.
* :func:`make_survey`: a documented simulator of a CoP study like the paper's. Its output is
  SIMULATED: the paper publishes no respondent-level data.
* :func:`load_example_survey`: one calibrated simulation, shipped as a CSV file.
* :func:`calibration_report`: a survey's answers beside every cell of Table 1.
* :func:`load_housing`: R's ``MASS::housing`` (Madsen 1976), real data for formula models.

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

import numpy as np
import pandas as pd

from copfactors.datasets._calibration import calibration_report, unreproducible_cells
from copfactors.datasets._exports import write_example_export
from copfactors.datasets._published import load_table1, load_table1_tests, read_data
from copfactors.datasets._simulate import (
    EFFECT_CLAIMS,
    EXTRA_EFFECTS,
    GENERATING_MODEL,
    IMPORTANCE_MODEL,
    SIMULATED_NOTE,
    make_survey,
    simulation_design,
)

__all__ = [
    "EFFECT_CLAIMS",
    "EXAMPLE_SEED",
    "EXTRA_EFFECTS",
    "GENERATING_MODEL",
    "IMPORTANCE_MODEL",
    "calibration_report",
    "load_example_survey",
    "load_housing",
    "load_table1",
    "load_table1_tests",
    "make_survey",
    "simulation_design",
    "write_example_export",
]

#: Seed of the calibrated simulation shipped as ``example_survey.csv``.
EXAMPLE_SEED = 2003

_EXAMPLE_FILE = "example_survey.csv"


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

    raw = read_data(_EXAMPLE_FILE, dtype={"respondent_id": str, "cop_id": str})
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


def load_housing() -> pd.DataFrame:
    """R's ``MASS::housing``: satisfaction with housing in Copenhagen (Madsen 1976).

    The 72 cells of Madsen's (1976) table as shipped with R's MASS package (Venables &
    Ripley): ``Sat`` (satisfaction, an ordered Categorical Low < Medium < High), ``Infl``
    (perceived influence on the management: Low, Medium, High), ``Type`` (of rental
    accommodation: Tower, Apartment, Atrium, Terrace), ``Cont`` (contact with other
    residents: Low, High) and ``Freq`` (how many of the 1681 respondents are in the cell).
    The factors are Categoricals with R's levels, in R's order (the first is the reference).
    Real data, not about communities of practice: the reference data set of
    ``ordinal::clm``'s frequency weights, used by the formula tutorial.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> from copfactors.datasets import load_housing
    >>> housing = load_housing()
    >>> housing.shape, int(housing["Freq"].sum())
    ((72, 5), 1681)
    >>> list(housing["Type"].cat.categories)
    ['Tower', 'Apartment', 'Atrium', 'Terrace']
    """
    housing = read_data("housing.csv")
    levels = {
        "Sat": ["Low", "Medium", "High"],
        "Infl": ["Low", "Medium", "High"],
        "Type": ["Tower", "Apartment", "Atrium", "Terrace"],
        "Cont": ["Low", "High"],
    }
    for col, cats in levels.items():
        housing[col] = pd.Categorical(housing[col], categories=cats, ordered=col == "Sat")
    housing["Freq"] = housing["Freq"].astype("int64")
    housing.attrs = {"simulated": False, "source": "MASS::housing (Madsen 1976)"}
    return housing


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
