"""Time OrdinalRegression.bootstrap three ways: serial, two local processes, a Dask cluster.

The data are SIMULATED: ``copfactors.make_survey(mode="parametric", seed=2024,
n_respondents=180)``, every respondent answering at T2, and the 12 respondent-level drivers of
``copfactors.simulation_design`` (the shipped example survey has the paper's size, 180
respondents, but only 95 of them have an attainment level, so it is not used here). The model
is ``OrdinalRegression(link="logit")``; the bootstrap draws ``--n-boot`` case resamples (1,000
by default) and runs the exact jackknife over the 180 rows for the BCa acceleration, so it makes
``n_boot + 180`` refits. It is timed

- serially (``n_jobs=1``);
- with ``n_jobs=2`` (joblib's loky processes; their start-up is paid in an untimed warm-up);
- inside ``joblib.parallel_config(backend="dask")`` with a ``distributed.LocalCluster`` of 2
  worker processes of 1 thread (started, and warmed up, before the timing).

The three replicate matrices must be identical (per-replicate seeds). The script also measures
what a task carries: the pickled arguments of one chunk of replicates at 180 and 100,000 rows,
split into the arrays (``X`` and the outcome codes, which joblib's Dask backend scatters once
per call and loky memory-maps above 1 MB) and the rest (estimator settings and seeds).

Run::

    python benchmarks/bootstrap.py                   # 1,000 replicates, three ways
    python benchmarks/bootstrap.py --quick           # 200 replicates
    python benchmarks/bootstrap.py --no-dask --markdown results.md

The Markdown section goes to stdout (and is appended to ``--markdown``); progress to stderr.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np
from _common import DRIVERS, SEED, emit, log, simulate, table, three_ways


def payload(n: int, n_boot: int, n_chunks: int, X: np.ndarray | None = None) -> dict:
    """Pickled size of one bootstrap task's arguments at ``n`` rows (bytes)."""
    from copfactors.parallel import replicate_seeds

    p = len(DRIVERS)
    if X is None:
        # the size depends on the shape only: random values of the same shape and type
        X = np.random.default_rng(0).normal(size=(n, p))
    codes = np.random.default_rng(1).integers(0, 5, n).astype(np.int64)
    # the refit settings a bootstrap task carries (as copfactors.parallel.bootstrap builds them)
    refitter = {"link": "logit", "nominal": [], "max_iter": 100, "tol": 1e-8}
    chunk = replicate_seeds(0, n_boot)[: -(-n_boot // n_chunks)]
    n_params = p + 4
    whole = (refitter, X, codes, None, None, None, chunk, n, 5, n_params)
    rest = (refitter, None, None, None, None, None, chunk, n, 5, n_params)
    result = (np.zeros((len(chunk), n_params)), [None] * len(chunk))
    return {
        "rows": n,
        "task arguments": len(pickle.dumps(whole, protocol=5)),
        "X and codes": len(pickle.dumps((X, codes), protocol=5)),
        "settings and seeds": len(pickle.dumps(rest, protocol=5)),
        "result": len(pickle.dumps(result, protocol=5)),
        "replicates per task": len(chunk),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=180, help="respondents")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="200 replicates")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask cluster")
    parser.add_argument("--markdown", type=Path, help="append the section to this file")
    args = parser.parse_args(argv)
    n_boot = 200 if args.quick else args.n_boot

    from copfactors.models import OrdinalRegression

    X, y = simulate(args.n)
    n = len(X)
    model = OrdinalRegression(link="logit").fit(X, y)
    refits = n_boot + n  # replicates + exact jackknife

    def run(**kwargs):
        return OrdinalRegression(link="logit").bootstrap(
            X, y, n_boot=n_boot, random_state=SEED, **kwargs
        )

    log(f"bootstrap: {n_boot} replicates + {n} jackknife refits at n={n}")
    rows, startup = three_ways(run, X, y, args.n_jobs, dask=not args.no_dask)
    serial, serial_s = rows[0][1], rows[0][2]
    notes = []
    if startup is not None:
        notes.append(
            f"Starting the LocalCluster and a first small bootstrap (the workers import "
            f"copfactors) took {startup:.1f} s, outside the timing."
        )

    out_rows = []
    for name, res, seconds in rows:
        same = np.array_equal(res.replicates.to_numpy(), serial.replicates.to_numpy())
        same_j = np.array_equal(res.jackknife.to_numpy(), serial.jackknife.to_numpy())
        out_rows.append(
            {
                "way": name,
                "wall (s)": seconds,
                "refits / s": refits / seconds,
                "speed-up": serial_s / seconds,
                "identical to serial": "yes" if same and same_j else "NO",
                "failed replicates": res.failures,
            }
        )
    if not all(r["identical to serial"] == "yes" for r in out_rows):
        raise AssertionError("a backend changed the bootstrap replicates")

    n_chunks = 4 * args.n_jobs
    sizes = [
        payload(n, n_boot, n_chunks, X=np.ascontiguousarray(X.to_numpy(dtype=float))),
        payload(100_000, n_boot, n_chunks),
    ]
    summary = serial.summary().set_index("term")
    top = summary.loc["commitment"]

    lines = [
        f"### Bootstrap: {n_boot:,} replicates at n = {n}",
        "",
        f'`OrdinalRegression(link="logit").bootstrap(X, y, n_boot={n_boot})` on a SIMULATED '
        f'survey of {n} respondents (`make_survey(mode="parametric", seed={SEED})`), '
        f"{len(DRIVERS)} drivers, {len(model.params_)} parameters: {n_boot:,} case-resampling "
        f"refits plus {n} jackknife refits (BCa acceleration), {refits:,} fits in all.",
        "",
        table(out_rows),
        "",
        f"Example result: `commitment` estimate {top['estimate']:.3f}, Wald SE "
        f"{model.se_['commitment']:.3f}, bootstrap SE {top['boot_se']:.3f}, 95% percentile "
        f"CI [{top['pct_low']:.3f}, {top['pct_high']:.3f}], BCa CI [{top['bca_low']:.3f}, "
        f"{top['bca_high']:.3f}].",
        "",
        f"Pickled size of one task (a chunk of {sizes[0]['replicates per task']} replicates "
        f"when {n_boot:,} replicates are cut into {n_chunks} chunks for {args.n_jobs} workers):",
        "",
        table(sizes),
        "",
        "Under joblib's Dask backend, arguments larger than 1 kB (here `X` and the codes) are "
        "scattered to the cluster once per `Parallel` call (once for the replicates, once for "
        "the jackknife) and each task then carries only the settings and its seeds; loky "
        "pickles them into every task below 1 MB and memory-maps them above.",
    ]
    lines += ["", *notes] if notes else []
    emit(lines, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
