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


def three_ways(run, X, y, n_jobs: int, dask: bool = True) -> tuple[list[tuple], float | None]:
    """Time ``run`` serially, with loky's ``n_jobs`` processes and on a Dask LocalCluster.

    ``run(**kwargs)`` is called with ``n_jobs=1``, then without arguments inside
    ``joblib.parallel_config(backend="loky", n_jobs=n_jobs)``, then (with ``dask``) inside
    ``parallel_config(backend="dask")`` on a ``distributed.LocalCluster`` of ``n_jobs`` worker
    processes x 1 thread. The workers are started, and import copfactors, in an untimed small
    bootstrap on ``X, y`` first. Returns ``(way, result, seconds)`` per way and the seconds the
    cluster took to start and warm up (None without ``dask``).
    """
    import joblib

    from copfactors.models import OrdinalRegression

    def warm_up() -> None:
        OrdinalRegression().bootstrap(X, y, n_boot=4)

    serial, serial_s = timed(run, n_jobs=1)
    log(f"  serial {serial_s:.1f} s")
    ways = [("serial (n_jobs=1)", serial, serial_s)]
    with joblib.parallel_config(backend="loky", n_jobs=n_jobs):
        warm_up()
        local, local_s = timed(run)
    log(f"  n_jobs={n_jobs} {local_s:.1f} s")
    ways.append((f"loky, n_jobs={n_jobs}", local, local_s))
    if not dask:
        return ways, None
    import logging

    from distributed import Client, LocalCluster

    start = time.perf_counter()
    with (
        LocalCluster(
            n_workers=n_jobs,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster),
        joblib.parallel_config(backend="dask"),
    ):
        warm_up()
        startup = time.perf_counter() - start
        on_dask, dask_s = timed(run)
    log(f"  dask {dask_s:.1f} s (cluster start and warm-up {startup:.1f} s, not included)")
    ways.append((f"Dask LocalCluster, {n_jobs} workers x 1 thread", on_dask, dask_s))
    return ways, startup


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
