"""Time proportional-odds fits: copfactors, statsmodels and R's ordinal::clm on the same data.

Each size gets one simulated data set (5 ordered levels, 10 predictors, seeded), written once to
a temporary directory. Every tool then runs in its own subprocess, so that the peak resident
memory of that process (read with ``os.wait4``) belongs to that tool alone; the subprocess loads
the data, times only the fit call and reports its estimates, which are compared with
copfactors'.

- copfactors: ``OrdinalRegression(link="logit").fit(X, y)``
- statsmodels: ``OrderedModel(y, X, distr="logit").fit(method="bfgs", disp=False)``; skipped at
  1,000,000 rows unless ``--all`` (it takes about a minute there)
- R (when ``Rscript`` is on PATH): ``ordinal::clm(y ~ ., link = "logit")``, timed inside R with
  ``proc.time()`` around the clm call only; the process wall time (R start-up and ``read.csv``
  included) is reported in its own column

A second section measures what the formula layer costs: ``copfactors.formula.ordinal(formula,
data)`` on a frame of 10 numeric and 2 factor columns (4 and 3 levels), against
``OrdinalRegression().fit`` on the same design matrix (15 columns) built beforehand, each in its
own subprocess, at the largest of ``--sizes`` (``--formula-rows`` sets it, 0 skips it). Besides
the whole subprocess's peak RSS it reports the call's own memory: peak RSS after the call minus
resident memory just before it. Targets: at most 1.5x the array fit's time, and the call's
memory at most the array fit's plus one copy of the design matrix.

Run::

    python benchmarks/ordinal_fit.py                       # 1e4, 1e5, 1e6 rows
    python benchmarks/ordinal_fit.py --sizes 1000000 --formula-only   # the formula section
    python benchmarks/ordinal_fit.py --sizes 10000 100000 --markdown benchmarks/results.md
    python benchmarks/ordinal_fit.py --all                 # statsmodels at 1e6 as well
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_PREDICTORS = 10
N_LEVELS = 5
STATSMODELS_MAX_ROWS = 100_000  # above this statsmodels runs only with --all

# True parameters of the simulation, P(Y <= j | x) = logistic(theta_j - x'beta).
BETA = np.array([0.8, -0.5, 0.3, 0.0, 0.25, -0.9, 0.6, -0.2, 0.4, 0.1])
THETA = np.array([-1.5, -0.4, 0.6, 1.7])

R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
suppressPackageStartupMessages(library(ordinal))
d <- read.csv(args[1])
d$y <- factor(d$y, ordered = TRUE)
f <- as.formula(paste("y ~", paste(setdiff(names(d), "y"), collapse = " + ")))
t0 <- proc.time()[["elapsed"]]
fit <- clm(f, data = d, link = "logit")
seconds <- proc.time()[["elapsed"]] - t0
out <- list(
  seconds = seconds,
  coef = unname(fit$beta),
  thresholds = unname(fit$alpha),
  loglik = as.numeric(logLik(fit)),
  converged = fit$convergence$code == 0
)
writeLines(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE), args[2])
"""


def simulate(n_rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Return predictors (half standard normal, half 0/1) and an ordinal outcome coded 1..5."""
    rng = np.random.default_rng(seed)
    continuous = rng.standard_normal((n_rows, N_PREDICTORS // 2))
    binary = rng.binomial(1, 0.4, size=(n_rows, N_PREDICTORS - N_PREDICTORS // 2))
    X = np.column_stack([continuous, binary]).astype(float)
    latent = X @ BETA + rng.logistic(size=n_rows)
    y = 1 + np.searchsorted(THETA, latent)  # category j when theta_{j-1} < latent <= theta_j
    columns = [f"x{i + 1}" for i in range(N_PREDICTORS)]
    return pd.DataFrame(X, columns=columns), y.astype(np.int64)


# --------------------------------------------------------------------------------------------
# worker side: runs in the subprocess, loads the data, times the fit, writes a JSON report


def _load(path: str) -> tuple[pd.DataFrame, pd.Series]:
    data = np.load(path)
    columns = [f"x{i + 1}" for i in range(data["X"].shape[1])]
    X = pd.DataFrame(data["X"], columns=columns)
    y = pd.Series(pd.Categorical(data["y"], categories=range(1, N_LEVELS + 1), ordered=True))
    return X, y


def _work_copfactors(X: pd.DataFrame, y: pd.Series) -> dict:
    from copfactors.models import OrdinalRegression

    start = time.perf_counter()
    model = OrdinalRegression(link="logit").fit(X, y)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "coef": np.asarray(model.coef_, dtype=float).tolist(),
        "thresholds": np.asarray(model.thresholds_, dtype=float).tolist(),
        "loglik": float(model.loglik_),
        "converged": bool(model.converged_),
    }


def _work_statsmodels(X: pd.DataFrame, y: pd.Series) -> dict:
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    start = time.perf_counter()
    model = OrderedModel(y, X, distr="logit")
    res = model.fit(method="bfgs", disp=False)
    seconds = time.perf_counter() - start
    params = np.asarray(res.params, dtype=float)
    k = X.shape[1]
    return {
        "seconds": seconds,
        "coef": params[:k].tolist(),
        # statsmodels stores the first cut and log increments; transform back to cut points
        "thresholds": model.transform_threshold_params(params)[1:-1].tolist(),
        "loglik": float(res.llf),
        "converged": bool(res.mle_retvals.get("converged", False)),
    }


WORKERS = {"copfactors": _work_copfactors, "statsmodels": _work_statsmodels}


# --------------------------------------------------------------------------------------------
# the formula layer: ordinal(formula, data) against the array fit of the same design

FACTOR_LEVELS = {"f1": ["a", "b", "c", "d"], "f2": ["p", "q", "r"]}
FACTOR_EFFECTS = {"f1": np.array([0.0, 0.5, -0.4, 0.9]), "f2": np.array([0.0, -0.6, 0.3])}
NUMERIC = [f"x{i + 1}" for i in range(N_PREDICTORS)]
FORMULA = "y ~ " + " + ".join([*NUMERIC, *FACTOR_LEVELS])


def simulate_factors(n_rows: int, seed: int) -> dict[str, np.ndarray]:
    """10 numeric predictors (as :func:`simulate`), 2 factors (codes) and a 5-level outcome."""
    rng = np.random.default_rng(seed + 1)
    X, _ = simulate(n_rows, seed)
    x = X.to_numpy()
    codes = {f: rng.integers(0, len(lv), n_rows).astype(np.int8) for f, lv in FACTOR_LEVELS.items()}
    latent = x @ BETA + rng.logistic(size=n_rows)
    for f, c in codes.items():
        latent += FACTOR_EFFECTS[f][c]
    y = (1 + np.searchsorted(THETA, latent)).astype(np.int64)
    return {"X": x, "y": y, **codes}


def design_columns() -> list[str]:
    """The design's column names, as formulaic writes them (reference = first level)."""
    return NUMERIC + [f"{f}[T.{lv}]" for f, levels in FACTOR_LEVELS.items() for lv in levels[1:]]


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _reset_peak() -> bool:
    """Reset this process's peak RSS (VmHWM) to its current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed_fit(call) -> dict:
    import gc

    gc.collect()
    _reset_peak()  # otherwise the peak of loading the data would count
    before = _rss_mb()
    start = time.perf_counter()
    model = call()
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "call_mb": _peak_mb() - before,
        "names": [str(c) for c in model.coef_.index],
        "coef": np.asarray(model.coef_, dtype=float).tolist(),
        "thresholds": np.asarray(model.thresholds_, dtype=float).tolist(),
        "loglik": float(model.loglik_),
        "converged": bool(model.converged_),
    }


def _work_design(data_path: str) -> dict:
    from copfactors.models import OrdinalRegression

    with np.load(data_path) as data:
        n = len(data["y"])
        design = np.empty((n, len(design_columns())), dtype=np.float64)
        design[:, :N_PREDICTORS] = data["X"]
        j = N_PREDICTORS
        for f, levels in FACTOR_LEVELS.items():
            codes = data[f]
            for k in range(1, len(levels)):
                design[:, j] = codes == k
                j += 1
        y = data["y"]
    X = pd.DataFrame(design, columns=design_columns(), copy=False)
    del design
    OrdinalRegression(link="logit").fit(X.iloc[:500], y[:500])  # warm, as the formula worker
    return _timed_fit(lambda: OrdinalRegression(link="logit").fit(X, y))


def _work_formula(data_path: str) -> dict:
    import formulaic  # noqa: F401  (imported before the clock starts, as for a warm session)

    from copfactors.formula import ordinal

    with np.load(data_path) as data:
        columns: dict[str, object] = {c: data["X"][:, i].copy() for i, c in enumerate(NUMERIC)}
        for f, levels in FACTOR_LEVELS.items():
            columns[f] = pd.Categorical.from_codes(data[f], categories=levels)
        columns["y"] = data["y"]
    frame = pd.DataFrame(columns)
    del columns
    ordinal(FORMULA, frame.iloc[:500], link="logit")  # warm: first-call imports and parsing
    return _timed_fit(lambda: ordinal(FORMULA, frame, link="logit"))


FORMULA_WORKERS = {"design": _work_design, "formula": _work_formula}


def run_formula(n_rows: int, seed: int, workdir: Path) -> tuple[list, list]:
    """The formula section: both fits of one data set, each in its own subprocess."""
    npz = workdir / f"factors_{n_rows}.npz"
    np.savez(npz, **simulate_factors(n_rows, seed))
    here = str(Path(__file__).resolve())
    reports = {}
    for tool in ("design", "formula"):
        out = workdir / f"{tool}_{n_rows}.json"
        print(f"  {n_rows:>9,} rows: {tool} ...", end="", flush=True)
        reports[tool] = _run([sys.executable, here, "--worker", tool, str(npz), str(out)], out)
        print(f" {reports[tool]['seconds']:.2f} s", flush=True)
    base, form = reports["design"], reports["formula"]
    if form["names"] != base["names"]:
        raise RuntimeError(f"design columns differ: {form['names']} vs {base['names']}")
    design_mb = n_rows * len(design_columns()) * 8 / 2**20
    labels = {
        "design": "OrdinalRegression().fit(X, y), X the design",
        "formula": "formula.ordinal(formula, data)",
    }
    rows = []
    for tool, rep in reports.items():
        rows.append(
            {
                "rows": f"{n_rows:,}",
                "call": labels[tool],
                "fit s": f"{rep['seconds']:.3f}",
                "ratio vs array fit": f"{rep['seconds'] / base['seconds']:.2f}",
                "call MB": f"{rep['call_mb']:.0f}",
                "peak RSS MB": f"{rep['peak_rss_mb']:.0f}",
                "max abs param diff": "0 (reference)"
                if tool == "design"
                else f"{_max_param_diff(rep, base):.1e}",
                "logLik": f"{rep['loglik']:.4f}",
            }
        )
    time_ok = form["seconds"] <= 1.5 * base["seconds"]
    memory_ok = form["call_mb"] <= base["call_mb"] + design_mb
    notes = [
        f"Formula: `{FORMULA}`; f1, f2 pandas categoricals (4 and 3 levels), design "
        f"{len(design_columns())} columns ({design_mb:.0f} MB as float64).",
        "call MB: peak RSS after the call minus resident memory just before it; peak RSS MB: the"
        " whole subprocess (data loading included).",
        f"Targets: time at most 1.5x the array fit ({'met' if time_ok else 'NOT met'}: "
        f"{form['seconds'] / base['seconds']:.2f}x); call memory at most the array fit's plus one"
        f" copy of the design, {base['call_mb']:.0f} + {design_mb:.0f} MB "
        f"({'met' if memory_ok else 'NOT met'}: {form['call_mb']:.0f} MB).",
    ]
    return rows, notes


def _worker_main(tool: str, data_path: str, out_path: str) -> None:
    if tool in FORMULA_WORKERS:
        report = FORMULA_WORKERS[tool](data_path)
    else:
        X, y = _load(data_path)
        report = WORKERS[tool](X, y)
    Path(out_path).write_text(json.dumps(report))


# --------------------------------------------------------------------------------------------
# driver side


def _run(cmd: list[str], out_path: Path) -> dict:
    """Run one tool in a subprocess; add its process wall time and peak RSS to its report."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # wait4 gives this child's own rusage (RUSAGE_CHILDREN would be a running maximum)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{stderr}")
    report = json.loads(out_path.read_text())
    report["wall"] = wall
    report["peak_rss_mb"] = usage.ru_maxrss / 1024  # Linux reports kilobytes
    return report


def _max_param_diff(report: dict, reference: dict) -> float:
    a = np.r_[report["coef"], report["thresholds"]]
    b = np.r_[reference["coef"], reference["thresholds"]]
    return float(np.max(np.abs(a - b)))


def run_size(n_rows: int, seed: int, workdir: Path, include_all: bool) -> tuple[list, list]:
    X, y = simulate(n_rows, seed)
    npz = workdir / f"data_{n_rows}.npz"
    np.savez(npz, X=X.to_numpy(), y=y)
    tools: list[tuple[str, list[str]]] = []
    here = str(Path(__file__).resolve())
    for tool in ("copfactors", "statsmodels"):
        out = workdir / f"{tool}_{n_rows}.json"
        tools.append((tool, [sys.executable, here, "--worker", tool, str(npz), str(out)]))
    notes: list[str] = []
    if n_rows > STATSMODELS_MAX_ROWS and not include_all:
        tools = [t for t in tools if t[0] != "statsmodels"]
        notes.append(
            f"statsmodels OrderedModel skipped at {n_rows:,} rows (about a minute); "
            "pass --all to include it."
        )
    rscript = shutil.which("Rscript")
    if rscript:
        csv = workdir / f"data_{n_rows}.csv"
        X.assign(y=y).to_csv(csv, index=False)
        script = workdir / "clm_fit.R"
        script.write_text(R_SCRIPT)
        out = workdir / f"clm_{n_rows}.json"
        tools.append(("ordinal::clm", [rscript, str(script), str(csv), str(out)]))
    else:
        notes.append("Rscript not on PATH: ordinal::clm not run.")

    reports = {}
    for tool, cmd in tools:
        out = Path(cmd[-1])
        print(f"  {n_rows:>9,} rows: {tool} ...", end="", flush=True)
        reports[tool] = _run(cmd, out)
        print(f" {reports[tool]['seconds']:.2f} s", flush=True)

    base = reports["copfactors"]
    rows = []
    for tool, rep in reports.items():
        rows.append(
            {
                "rows": f"{n_rows:,}",
                "tool": tool,
                "fit s": f"{rep['seconds']:.3f}",
                "ratio vs copfactors": f"{rep['seconds'] / base['seconds']:.2f}",
                "process wall s": f"{rep['wall']:.2f}",
                "peak RSS MB": f"{rep['peak_rss_mb']:.0f}",
                "max abs param diff": "0 (reference)"
                if tool == "copfactors"
                else f"{_max_param_diff(rep, base):.1e}",
                "logLik": f"{rep['loglik']:.4f}",
                "converged": str(rep["converged"]),
            }
        )
    return rows, notes


def to_markdown(rows: list[dict]) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r[h] for h in header) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--all", action="store_true", help="run statsmodels at every size")
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--markdown", type=Path, help="append the table to this file")
    parser.add_argument(
        "--formula-rows",
        type=int,
        help="rows of the formula-layer section (default: the largest of --sizes; 0 skips it)",
    )
    parser.add_argument(
        "--formula-only", action="store_true", help="run only the formula-layer section"
    )
    parser.add_argument(
        "--worker", nargs=3, metavar=("TOOL", "DATA", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.worker:
        _worker_main(*args.worker)
        return 0

    all_rows: list[dict] = []
    all_notes: list[str] = []
    formula_rows: list[dict] = []
    formula_notes: list[str] = []
    n_formula = max(args.sizes) if args.formula_rows is None else args.formula_rows
    with tempfile.TemporaryDirectory(prefix="copfactors-bench-") as tmp:
        if not args.formula_only:
            for n_rows in args.sizes:
                rows, notes = run_size(n_rows, args.seed, Path(tmp), args.all)
                all_rows += rows
                all_notes += notes
        if n_formula > 0:
            formula_rows, formula_notes = run_formula(n_formula, args.seed, Path(tmp))
    text = ""
    if all_rows:
        footer = [
            f"Simulated logit data: {N_LEVELS} levels, {N_PREDICTORS} predictors, "
            f"seed {args.seed}.",
            "fit s: the fit call alone (for clm, proc.time() around clm() inside R); process "
            "wall s: the whole subprocess (interpreter start-up, imports, data loading, fit); "
            "peak RSS: the subprocess's maximum resident set size; max abs param diff: largest "
            "absolute difference to copfactors over coefficients and thresholds.",
            *all_notes,
        ]
        text += to_markdown(all_rows) + "\n\n" + "\n".join(f"- {x}" for x in footer) + "\n"
    if formula_rows:
        text += (
            ("\n" if text else "")
            + "The formula layer: formula.ordinal against the array fit of the same design\n\n"
            + to_markdown(formula_rows)
            + "\n\n"
            + "\n".join(f"- {x}" for x in formula_notes)
            + "\n"
        )
    print()
    print(text)
    if args.markdown:
        with args.markdown.open("a") as fh:
            fh.write(
                f"\n## ordinal_fit.py, {time.strftime('%Y-%m-%d %H:%M')}, "
                f"{os.cpu_count()} CPUs\n\n" + text
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
