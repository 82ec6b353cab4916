"""Time the full driver table (exact general dominance over 2^12 subsets), serial and parallel.

The data are SIMULATED by ``copfactors.make_survey(mode="parametric", seed=...)`` (the
simulator's default effects, :data:`copfactors.GENERATING_MODEL`), with 12 respondent-level
drivers from :func:`copfactors.simulation_design`, at the paper's size (180 respondents) and
at 100,000. For each size the script fits ``OrdinalRegression(link="logit")`` and times

- ``drivers(model, X, y=y, importance=None)``: everything but relative importance
  (Wald table, marginal effects with delta-method SEs, latent SHAP, nominal tests);
- ``drivers(model, X, y=y, importance="exact", n_jobs=1)``: the full table, with
  ``2^12 - 1 = 4095`` model fits (the 4094 proper non-empty subsets and one refit of the
  full model);
- the same with ``n_jobs=2`` (joblib's loky backend; worker start-up included).

The serial and parallel runs alternate (``--repeats``, default 3 at the first size and 1 at
the others) and the best time of each is kept; the CPU time of the serial run and the load
average of the machine are printed as well, because on a shared machine the wall times of
the parallel run mostly measure the other work. Large designs already run the solver's row
blocks in two threads, so ``n_jobs=2`` on two cores cannot double the speed there.

It checks that the serial and parallel weights (``importance_r2``) are identical and that
they sum to the model's McFadden R-squared (``importance_pct`` to 100), then prints one table
with the ratios (serial / parallel, and each size against 180 rows). Timings depend on the
machine; compare within one run.

Run::

    python benchmarks/drivers.py                         # 180 and 100,000 respondents
    python benchmarks/drivers.py --sizes 180 5000 --n-jobs 4
    python benchmarks/drivers.py --markdown benchmarks/results.md   # append the table
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import DRIVERS, SEED, simulate

from copfactors.inspection import drivers
from copfactors.models import OrdinalRegression


def timed_cpu(fn, *args, **kwargs):
    """Result, wall seconds and CPU seconds of this process (not of joblib's workers)."""
    cpu0, start = time.process_time(), time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start, time.process_time() - cpu0


def run(n: int, n_jobs: int, repeats: int) -> dict[str, object]:
    X, y = simulate(n)
    model, fit_s, _ = timed_cpu(OrdinalRegression(link="logit").fit, X, y)
    _, base_s, _ = timed_cpu(drivers, model, X, y=y, importance=None)
    load_before = os.getloadavg()[0]
    serial_s, parallel_s, serial_cpu = [], [], []
    # alternate the two settings so that a change of load on the machine hits both
    for _ in range(repeats):
        serial, wall, cpu = timed_cpu(drivers, model, X, y=y, importance="exact", n_jobs=1)
        serial_s.append(wall)
        serial_cpu.append(cpu)
        parallel, wall, _ = timed_cpu(drivers, model, X, y=y, importance="exact", n_jobs=n_jobs)
        parallel_s.append(wall)
    load_after = os.getloadavg()[0]
    s = serial.table.set_index("driver")["importance_r2"]
    p = parallel.table.set_index("driver")["importance_r2"]
    if not s.equals(p.loc[s.index]):
        raise AssertionError(f"n_jobs={n_jobs} changed the importance weights at n={n}")
    total = float(s.sum())
    if not np.isclose(total, model.r2_mcfadden_, rtol=1e-10, atol=0):
        raise AssertionError(f"weights sum to {total}, not McFadden R2 {model.r2_mcfadden_}")
    pct = float(serial.table["importance_pct"].sum())
    if not np.isclose(pct, 100.0, rtol=1e-10, atol=0):
        raise AssertionError(f"importance_pct sums to {pct}, not 100")
    fits = serial.info["n_subset_fits"]
    best_serial, best_parallel = min(serial_s), min(parallel_s)
    return {
        "respondents": n,
        "drivers": len(DRIVERS),
        "subset fits": fits,
        "repeats (best kept)": repeats,
        "model fit (s)": fit_s,
        "table w/o importance (s)": base_s,
        "full table, n_jobs=1 (s)": best_serial,
        "  its CPU time (s)": min(serial_cpu),
        f"full table, n_jobs={n_jobs} (s)": best_parallel,
        f"speed-up n_jobs={n_jobs}": best_serial / best_parallel,
        "ms per subset fit (serial)": 1000 * best_serial / fits,
        "load average before/after": f"{load_before:.1f}/{load_after:.1f}",
        "McFadden R2": model.r2_mcfadden_,
        "top driver": serial.table["driver"].iloc[0],
    }


def main(argv: list[str] | None = None) -> pd.DataFrame:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[180, 100_000])
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument(
        "--repeats", type=int, nargs="+", default=[3, 1], help="timed runs per size (best kept)"
    )
    parser.add_argument("--markdown", type=Path, help="append the table to this file")
    args = parser.parse_args(argv)

    rows = []
    repeats = args.repeats + [args.repeats[-1]] * (len(args.sizes) - len(args.repeats))
    for n, r in zip(args.sizes, repeats, strict=False):
        print(f"... {n} respondents, {r} repeat(s)", flush=True)
        rows.append(run(n, args.n_jobs, r))
    table = pd.DataFrame(rows)
    first = table["full table, n_jobs=1 (s)"].iloc[0]
    table[f"serial time vs {args.sizes[0]} rows"] = table["full table, n_jobs=1 (s)"] / first
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    title = (
        f"Driver table with exact general dominance ({len(DRIVERS)} drivers); "
        f"SIMULATED data (make_survey parametric, seed {SEED}); {machine}"
    )
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(title)
        print(table.T.to_string(header=False, float_format=lambda v: f"{v:.3f}"))
    if args.markdown:
        with args.markdown.open("a", encoding="utf-8") as fh:
            fh.write(f"\n### {title}\n\n")
            fh.write("| | " + " | ".join(f"n = {n}" for n in args.sizes) + " |\n")
            fh.write("|---" * (len(args.sizes) + 1) + "|\n")
            for col in table.columns:
                cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in table[col]]
                fh.write(f"| {col} | {' | '.join(cells)} |\n")
    return table


if __name__ == "__main__":
    main()
