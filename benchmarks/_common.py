"""Pieces shared by the benchmark scripts: the simulated data, timing and Markdown tables."""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

SEED = 2024
#: The 12 drivers of the bootstrap and dominance benchmarks (names of ``simulation_design``).
DRIVERS = [
    "commitment",
    "steward_active",
    "voluntary",
    "prior_acquaintance",
    "hours_per_week",
    "training_received",
    "org_support",
    "employer_recognition",
    "peer_recognition",
    "tech_mastery",
    "gender_woman",
    "age_50_plus",
]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def simulate(n: int, n_drivers: int = len(DRIVERS)) -> tuple[pd.DataFrame, pd.Series]:
    """SIMULATED survey: the first ``n_drivers`` drivers and the ordinal attainment (1-5)."""
    import copfactors as cf

    survey = cf.make_survey(seed=SEED, mode="parametric", n_respondents=n)
    X = cf.simulation_design(survey)[DRIVERS[:n_drivers]]
    y = cf.attainment(survey, kind="ordinal")
    keep = X.notna().all(axis=1).to_numpy() & y.notna().to_numpy()
    return X[keep], y[keep].astype("int64")


def emit(lines: list[str], markdown=None) -> None:
    """Print a benchmark's Markdown section and append it to the ``--markdown`` file, if any."""
    text = "\n".join(lines) + "\n"
    print(text)
    if markdown:
        with markdown.open("a", encoding="utf-8") as fh:
            fh.write(text + "\n")


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def table(rows: list[dict]) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(row[h]) for h in header) + " |")
    return "\n".join(lines)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int | np.integer):
        return f"{value:,}"
    return str(value)
