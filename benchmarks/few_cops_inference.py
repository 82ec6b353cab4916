"""Benchmark: coverage and size of the claims' driver tests with few CoPs.

Simulates SIMULATED surveys with :func:`copfactors.datasets.make_survey` (parametric mode) and
fits the claims' attainment model exactly as :func:`copfactors.claims.compare_with_paper`
does (random intercept per CoP, see :func:`copfactors.claims.fit_cop_model`), then records
for the CoP-level drivers ``steward_designated``, ``steward_dedicated`` and
``leader_changes`` and the respondent-level ``commitment`` and ``voluntary``:

* the coverage of the 95% interval the claims print (the share of surveys whose interval
  holds the generating coefficient; an interval that is not given, "n/a", counts apart as
  *withheld*), and
* under the null design (the five effects above and the sponsor's set to 0), the share of
  surveys whose test rejects at 5%, and the share in which C2 says *contradicts*.

Cells: 7 CoPs of about 100 respondents at T2 (180 respondents, ``t2_rate`` 103/180, the
paper's design) and 40 CoPs x 25; between-CoP SD 0 (the parametric default) and 0.5. Each
cell runs ``--reps`` surveys (seeds from one ``numpy.random.SeedSequence``) on ``--jobs``
processes. The Monte Carlo standard error of a share ``p`` over ``R`` surveys is
``sqrt(p (1 - p) / R)`` (about 1.5 points at 95% over 200).

Run with ``python benchmarks/few_cops_inference.py`` (about 6 minutes on 2 cores at the
default 200 surveys per cell; ``--reps 100`` halves it).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, log, table

SEED = 20240611
COP_LEVEL = ("steward_designated", "steward_dedicated", "leader_changes")
RESPONDENT_LEVEL = ("commitment", "voluntary")
HEADLINE = COP_LEVEL + RESPONDENT_LEVEL


def design(n_cops: int) -> tuple[str, int, float]:
    """Label, respondents and T2 answer rate of a cell: the paper's 180 (103 at T2) for 7
    CoPs, else 25 respondents per CoP, all at T2."""
    if n_cops == 7:
        return "7 CoPs x ~15 at T2", 180, 103 / 180
    return f"{n_cops} CoPs x 25", 25 * n_cops, 1.0


def effects(design: str) -> dict[str, float]:
    """The generating effects: the library's (``"paper"``) or with the headline ones at 0."""
    from copfactors.datasets import GENERATING_MODEL

    beta = dict(GENERATING_MODEL)
    if design == "null":
        for name in (*HEADLINE, "sponsor_professional_association", "sponsor_inter_organisational"):
            beta[name] = 0.0
    return beta


def one_survey(seed: int, n_cops: int, n: int, t2_rate: float, cop_sd: float, design: str):
    """Fit the claims' model on one simulated survey; one row per headline driver."""
    import warnings

    from copfactors import claims
    from copfactors.datasets import make_survey

    beta = effects(design)
    survey = make_survey(
        seed=seed,
        mode="parametric",
        n_cops=n_cops,
        n_respondents=n,
        t2_rate=t2_rate,
        effects=beta,
        cop_sd=cop_sd,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = claims._Context(survey, 0.05, "logit", "cop_id")
        fit = ctx.fit()
        c2 = claims._c2(ctx).verdict if not isinstance(fit, str) else "not testable"
        rows = []
        for name in HEADLINE:
            t = fit.coef(name) if not isinstance(fit, str) and fit.has(name) else claims._Test()
            rows.append(
                {
                    "seed": seed,
                    "driver": name,
                    "truth": beta[name],
                    "estimate": t.estimate,
                    "ci_low": t.ci_low,
                    "ci_high": t.ci_high,
                    "p": t.p,
                    "c2": c2,
                    "sigma_at_zero": bool(
                        getattr(getattr(fit, "choice", None), "sigma_at_zero", 0)
                    ),
                }
            )
    return rows


def share(x: np.ndarray) -> str:
    """A share in percent with its Monte Carlo standard error."""
    if len(x) == 0:
        return "n/a"
    p = float(np.mean(x))
    return f"{100 * p:.1f} ± {100 * math.sqrt(p * (1 - p) / len(x)):.1f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200, help="surveys per cell")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--cops", type=int, nargs="+", default=[7, 40], help="CoPs per survey")
    parser.add_argument("--cop-sd", type=float, nargs="+", default=[0.0, 0.5])
    parser.add_argument("--markdown", type=Path, help="append the tables to this file")
    args = parser.parse_args(argv)
    from joblib import Parallel, delayed

    root = np.random.SeedSequence(SEED)
    records = []
    cells = [(G, sd, eff) for G in args.cops for sd in args.cop_sd for eff in ("paper", "null")]
    children = root.spawn(len(cells))
    start = time.perf_counter()
    for (G, sd, eff), child in zip(cells, children, strict=True):
        label, n, rate = design(G)
        seeds = [int(s.generate_state(1)[0]) for s in child.spawn(args.reps)]
        out = Parallel(n_jobs=args.jobs)(delayed(one_survey)(s, G, n, rate, sd, eff) for s in seeds)
        frame = pd.DataFrame([r for rows in out for r in rows])
        frame["design"], frame["cop_sd"], frame["effects"] = label, sd, eff
        records.append(frame)
        log(f"{label}, cop_sd {sd}, {eff}: {time.perf_counter() - start:.0f} s")
    data = pd.concat(records, ignore_index=True)
    given = np.isfinite(data["ci_low"]) & np.isfinite(data["ci_high"])
    data["withheld"] = ~given
    data["covers"] = given & (data["ci_low"] <= data["truth"]) & (data["truth"] <= data["ci_high"])
    data["rejects"] = np.isfinite(data["p"]) & (data["p"] < 0.05)
    lines = [
        "## Few CoPs: coverage of the claims' 95% intervals",
        "",
        f"{args.reps} SIMULATED surveys per cell (seed {SEED}); percent ± Monte Carlo SE. "
        "Coverage counts a withheld interval (n/a) as not covering; 'withheld' is its share.",
        "",
    ]
    rows = []
    for (label, sd), cell in data.groupby(["design", "cop_sd"], sort=False):
        for name in HEADLINE:
            d = cell[cell["driver"] == name]
            null = d[d["effects"] == "null"]
            rows.append(
                {
                    "design": label,
                    "CoP SD": f"{sd:g}",
                    "driver": name,
                    "coverage (both designs)": share(d["covers"].to_numpy()),
                    "coverage (paper effects)": share(
                        d.loc[d["effects"] == "paper", "covers"].to_numpy()
                    ),
                    "withheld": share(d["withheld"].to_numpy()),
                    "rejects under null": share(null["rejects"].to_numpy()),
                }
            )
    lines.append(table(rows))
    lines += ["", "C2 under the null design (share of verdicts):", ""]
    rows = []
    for (label, sd), cell in data[data["effects"] == "null"].groupby(
        ["design", "cop_sd"], sort=False
    ):
        verdicts = cell.drop_duplicates("seed")["c2"].to_numpy()
        rows.append(
            {"design": label, "CoP SD": f"{sd:g}"}
            | {v: share(verdicts == v) for v in ("supports", "contradicts", "inconclusive")}
        )
    lines.append(table(rows))
    lines += ["", f"Wall time: {time.perf_counter() - start:.0f} s on {args.jobs} processes."]
    emit(lines, args.markdown)


if __name__ == "__main__":
    main()
