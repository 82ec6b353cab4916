"""Time SHAP values on the latent scale: copfactors.inspection against shap.LinearExplainer.

The data are SIMULATED: ``copfactors.make_survey(mode="parametric", seed=2024)`` at each
``--sizes`` (respondents) and the 12 respondent-level drivers of
``copfactors.simulation_design``; the model is ``OrdinalRegression(link="logit")`` fitted on
them. Both tools explain the model's linear predictor ``x'beta`` for every row against the
same background (100 rows drawn with ``numpy.random.default_rng(0)``, the sample
``explain(..., max_background=100, random_state=0)`` takes):

- copfactors: ``copfactors.inspection.explain(model, X, scale="latent", max_background=100)``,
  which returns a ``shap.Explanation``;
- shap: ``shap.LinearExplainer((coef, 0.0), background)(X)``, the interventional linear
  explainer a user would otherwise set up by hand.

Each (tool, size) runs in its own subprocess, so that its peak resident memory (``ru_maxrss``
from ``os.wait4``) is its own; inside, the call is timed (best of ``--repeat``) after one
untimed warm-up call. The values of the two tools are compared (largest absolute difference).

Run::

    python benchmarks/shap_latent.py                       # 180, 10,000 and 100,000 rows
    python benchmarks/shap_latent.py --quick               # 180 and 10,000 rows
    python benchmarks/shap_latent.py --markdown results.md

The Markdown section goes to stdout (and is appended to ``--markdown``); progress to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import DRIVERS, SEED, emit, log, simulate, table

TOOLS = ("copfactors", "shap")


def _child(tool: str, n: int, repeat: int, out: Path) -> None:
    """Subprocess: fit, explain ``repeat`` times with ``tool``, save the values and timings."""
    from copfactors.inspection import explain
    from copfactors.models import OrdinalRegression

    X, y = simulate(n)
    model = OrdinalRegression(link="logit").fit(X, y)
    if tool == "copfactors":

        def run():
            return explain(model, X, scale="latent", max_background=100, random_state=0)
    else:
        import shap

        # the background explain() draws: 100 rows without replacement, in row order
        rows = np.sort(np.random.default_rng(0).choice(len(X), min(100, len(X)), replace=False))
        background = X.to_numpy(dtype=float)[rows]
        coef = model.coef_.to_numpy()
        data = X.to_numpy(dtype=float)

        def run():
            return shap.LinearExplainer((coef, 0.0), background)(data)

    run()  # warm-up: imports and first-call costs
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    np.save(out.with_suffix(".npy"), np.asarray(result.values))
    out.write_text(json.dumps({"seconds": min(times), "rows": len(X)}))


def _run(tool: str, n: int, repeat: int, workdir: Path) -> dict:
    out = workdir / f"{tool}_{n}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", tool, str(n), str(repeat)]
    cmd.append(str(out))
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{tool} at {n} rows failed:\n{stderr}")
    report = json.loads(out.read_text())
    report["values"] = np.load(out.with_suffix(".npy"))
    report["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux reports kilobytes
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[180, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="180 and 10,000 rows, 3 repeats")
    parser.add_argument("--markdown", type=Path, help="append the section to this file")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        tool, n, repeat, out = args.child
        _child(tool, int(n), int(repeat), Path(out))
        return 0
    sizes = [180, 10_000] if args.quick else args.sizes
    repeat = 3 if args.quick else args.repeat

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            reports = {tool: _run(tool, n, repeat, Path(tmp)) for tool in TOOLS}
            ours, theirs = reports["copfactors"], reports["shap"]
            diff = float(np.max(np.abs(ours["values"] - theirs["values"])))
            if diff > 1e-9:
                raise AssertionError(f"the SHAP values differ by {diff:.2e} at {n} rows")
            for tool in TOOLS:
                rep = reports[tool]
                rows.append(
                    {
                        "rows": rep["rows"],
                        "tool": "copfactors `explain(scale='latent')`"
                        if tool == "copfactors"
                        else "`shap.LinearExplainer`",
                        "wall (s)": rep["seconds"],
                        "ratio vs copfactors": rep["seconds"] / ours["seconds"],
                        "peak RSS of the process (MB)": round(rep["peak_rss_mb"]),
                        "max abs difference": "reference"
                        if tool == "copfactors"
                        else f"{diff:.1e}",
                    }
                )
            log(
                f"  {n} rows: copfactors {ours['seconds']:.4f} s, shap {theirs['seconds']:.4f} s,"
                f" max diff {diff:.1e}"
            )

    lines = [
        "### SHAP values on the latent scale",
        "",
        f'Every row\'s SHAP values of the linear predictor of `OrdinalRegression(link="logit")`'
        f' fitted on a SIMULATED survey (`make_survey(mode="parametric", seed={SEED})`, '
        f"{len(DRIVERS)} drivers), against a background of 100 rows. Best of {repeat} calls "
        "after a warm-up; each tool and size in its own process (peak RSS includes the "
        "simulation and the fit, the same for both tools).",
        "",
        table(rows),
        "",
        "copfactors computes the closed form `coef * (x - mean of the background)` and wraps it "
        "in a `shap.Explanation`; `shap.LinearExplainer` (interventional) gives the same values.",
    ]
    emit(lines, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
