"""Time exact dominance analysis (2^12 subset fits) three ways, and against dominance-analysis.

The data are SIMULATED: ``copfactors.make_survey(mode="parametric", seed=2024,
n_respondents=180)`` and the 12 respondent-level drivers of ``copfactors.simulation_design``
(the same as ``benchmarks/drivers.py``). General dominance weights of McFadden's R-squared are
computed by ``copfactors.inspection.drivers(model, X, y=y, importance="exact")``, which fits the
model on every subset of drivers (``2^12 - 1 = 4095`` fits: 4094 proper non-empty subsets and
the full model) through ``joblib.Parallel``:

1. **Ordinal outcome** (5 levels, cumulative logit), timed serially (``n_jobs=1``), with
   ``n_jobs=2`` (loky) and under ``joblib.parallel_config(backend="dask")`` on a
   ``distributed.LocalCluster`` of 2 worker processes x 1 thread; the three sets of weights
   (``importance_r2``) must be identical and sum to the model's McFadden R-squared.
2. **Binary outcome** (attained: level 4 or 5), where the PyPI package ``dominance-analysis``
   applies: its ``Dominance(objective=0, pseudo_r2="mcfadden")`` fits statsmodels' ``Logit``
   on every subset, and its "Total Dominance" is the general dominance weight. copfactors'
   weights on the same binary logit (``OrdinalRegression`` with two levels) are compared with
   it. The package has no ordinal model, so it cannot do part 1. It imports plotly, cufflinks
   and bokeh at import time for its charts; when they are missing, this script puts empty
   stand-ins for them in ``sys.modules`` (its computations use numpy, pandas, scikit-learn and
   statsmodels only). Install it with ``pip install --no-deps dominance-analysis``; if it is
   absent, part 2 reports copfactors alone.

Run::

    python benchmarks/dominance.py              # 12 drivers (4095 fits per way)
    python benchmarks/dominance.py --quick      # 8 drivers (255 fits)
    python benchmarks/dominance.py --no-dask --markdown results.md

The Markdown section goes to stdout (and is appended to ``--markdown``); progress to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd
from _common import SEED, emit, log, simulate, table, three_ways, timed

PLOTTING_MODULES = (
    "plotly",
    "plotly.offline",
    "cufflinks",
    "bokeh",
    "bokeh.plotting",
    "bokeh.io",
    "bokeh.models",
    "bokeh.models.formatters",
)


def shares(model, X, y, **kwargs) -> pd.Series:
    from copfactors.inspection import drivers

    table = drivers(model, X, y=y, importance="exact", po_test=None, ame_se=None, **kwargs)
    return table.table.set_index("driver")["importance_r2"].loc[list(X.columns)]


# ------------------------------------------------------------------------------------ peer
def _peer_main(data_path: str, out_path: str) -> None:
    """Subprocess: dominance-analysis on the binary outcome; writes timings and weights."""
    tops = {m.split(".")[0] for m in PLOTTING_MODULES}
    missing = {top for top in tops if importlib.util.find_spec(top) is None}
    for name in PLOTTING_MODULES:
        if name.split(".")[0] in missing:
            stub = types.ModuleType(name)
            stub.__getattr__ = lambda attr: lambda *a, **k: None  # type: ignore[method-assign]
            sys.modules[name] = stub
    from dominance_analysis import Dominance

    frame = pd.read_csv(data_path)
    n_drivers = frame.shape[1] - 1
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        dom = Dominance(
            data=frame, target="attained", objective=0, pseudo_r2="mcfadden", top_k=n_drivers
        )
        dom.incremental_rsquare()
        stats = dom.dominance_stats()
    seconds = time.perf_counter() - start
    from importlib.metadata import version

    Path(out_path).write_text(
        json.dumps(
            {
                "seconds": seconds,
                "version": version("dominance-analysis"),
                "total_dominance": stats["Total Dominance"].astype(float).to_dict(),
                "n_models": len(dom.model_rsquares),
            }
        )
    )


def run_peer(X: pd.DataFrame, attained: np.ndarray, workdir: Path) -> dict | str:
    if importlib.util.find_spec("dominance_analysis") is None:
        return "dominance-analysis is not installed (pip install --no-deps dominance-analysis)"
    data = workdir / "binary.csv"
    X.assign(attained=attained).to_csv(data, index=False)
    out = workdir / "peer.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--peer", str(data), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return "dominance-analysis failed: " + proc.stderr.strip().splitlines()[-1]
    return json.loads(out.read_text())


# ------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=180, help="respondents")
    parser.add_argument("--drivers", type=int, default=12, choices=range(2, 13))
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="8 drivers")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask cluster")
    parser.add_argument("--no-peer", action="store_true", help="skip dominance-analysis")
    parser.add_argument("--markdown", type=Path, help="append the section to this file")
    parser.add_argument("--peer", nargs=2, metavar=("DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peer:
        _peer_main(*args.peer)
        return 0
    n_drivers = 8 if args.quick else args.drivers
    n_fits = 2**n_drivers - 1

    from copfactors.models import OrdinalRegression

    X, y = simulate(args.n, n_drivers)
    model = OrdinalRegression(link="logit").fit(X, y)
    log(f"dominance: {n_drivers} drivers, {n_fits} fits per way, n={len(X)}")

    ways, startup = three_ways(
        lambda **kw: shares(model, X, y, **kw), X, y, args.n_jobs, dask=not args.no_dask
    )
    serial, serial_s = ways[0][1], ways[0][2]
    notes = []
    if startup is not None:
        notes.append(f"Cluster start and warm-up: {startup:.1f} s, outside the timing.")

    rows = []
    for name, values, seconds in ways:
        rows.append(
            {
                "way": name,
                "wall (s)": seconds,
                "fits / s": n_fits / seconds,
                "speed-up": serial_s / seconds,
                "identical to serial": "yes" if np.array_equal(values, serial) else "NO",
            }
        )
    if not all(r["identical to serial"] == "yes" for r in rows):
        raise AssertionError("a backend changed the dominance weights")
    if not np.isclose(serial.sum(), model.r2_mcfadden_, rtol=1e-10, atol=0):
        raise AssertionError("the weights do not sum to McFadden's R2")

    # binary outcome: copfactors against dominance-analysis
    attained = (y >= 4).astype("int64")
    binary = OrdinalRegression(link="logit").fit(X, attained)
    ours, ours_s = timed(shares, binary, X, attained, n_jobs=1)
    log(f"  binary, copfactors {ours_s:.1f} s")
    peer: dict | str = "not run (--no-peer)"
    if not args.no_peer:
        with tempfile.TemporaryDirectory() as tmp:
            peer = run_peer(X, attained.to_numpy(), Path(tmp))
    binary_rows = [
        {
            "tool": "copfactors drivers(importance='exact'), n_jobs=1",
            "wall (s)": ours_s,
            "fits": n_fits,
            "max abs difference of the weights": "reference",
        }
    ]
    if isinstance(peer, dict):
        theirs = pd.Series(peer["total_dominance"]).loc[list(X.columns)]
        diff = float(np.max(np.abs(theirs.to_numpy() - ours.to_numpy())))
        binary_rows.append(
            {
                "tool": f"dominance-analysis {peer['version']} (statsmodels Logit)",
                "wall (s)": peer["seconds"],
                "fits": peer["n_models"],
                "max abs difference of the weights": f"{diff:.1e}",
            }
        )
        log(f"  binary, dominance-analysis {peer['seconds']:.1f} s, max diff {diff:.1e}")
    else:
        notes.append(str(peer))

    top = serial.sort_values(ascending=False)
    lines = [
        f"### Dominance analysis: {n_drivers} drivers, {n_fits:,} fits",
        "",
        f"General dominance weights of McFadden's R2 by `drivers(model, X, y=y, "
        f'importance="exact")` on a SIMULATED survey of {len(X)} respondents '
        f'(`make_survey(mode="parametric", seed={SEED})`). Ordinal outcome (5 levels, '
        "cumulative logit):",
        "",
        table(rows),
        "",
        f"The weights sum to the model's McFadden R2 = {model.r2_mcfadden_:.4f}; largest: "
        + ", ".join(f"`{k}` {v:.4f}" for k, v in top.head(3).items())
        + ".",
        "",
        "Binary outcome (attainment level 4 or 5, a binary logit), the case the "
        "`dominance-analysis` package covers (it has linear regression and binary logistic "
        "regression only, so it cannot compute the ordinal weights above):",
        "",
        table(binary_rows),
    ]
    lines += ["", *notes] if notes else []
    emit(lines, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
