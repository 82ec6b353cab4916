"""Benchmark: scoring planned CoPs with the reference model.

Measures

* ``score_many``: member rows scored per second for ``--plans`` composition plans of
  ``--members`` members each (default 10,000 x 100 = 1,000,000 member rows), without draws,
  with and without the risk flags, and with ``--many-draws`` parameter draws (in one process
  and with ``n_jobs=2``, which scores blocks of plans in two processes); the target is at
  least 1,000,000 member rows a second without draws;
* the straightforward route for comparison: ``plan.to_members()``, the builder's transform and
  ``predict_proba`` plan by plan (on a subset, scaled to rows per second);
* one plan scored with 1,000 draws and every lever (``score(...)`` then ``.levers()``); the
  target is under 0.5 s.

Each timing is the best of ``--repeat`` runs. Plans are random but seeded.

Usage::

    python benchmarks/scoring.py
    python benchmarks/scoring.py --plans 2000 --members 50 --repeat 5
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable

import numpy as np

import copfactors as cf
from copfactors.plans import PlannedCoP
from copfactors.scoring import reference_model


def make_plans(n_plans: int, n_members: int, seed: int = 7) -> list[PlannedCoP]:
    """Random composition plans (fixed seed) of ``n_members`` members each."""
    rng = np.random.default_rng(seed)
    stewards = np.array(["none", "designated", "dedicated"])
    sponsors = np.array(["employer", "professional_association", "inter_organisational"])
    plans = []
    for i in range(n_plans):
        young = float(rng.uniform(0, 0.5))
        old = float(rng.uniform(0, 1 - young))
        plans.append(
            PlannedCoP.from_dict(
                {
                    "name": f"plan-{i:05d}",
                    "steward_type": str(rng.choice(stewards)),
                    "sponsor": str(rng.choice(sponsors)),
                    "leader_changes": int(rng.integers(0, 3)),
                    "training_planned": bool(rng.random() < 0.5),
                    "org_support": float(rng.integers(1, 6)),
                    "employer_recognition": float(rng.integers(1, 5)),
                    "composition": {
                        "n_members": n_members,
                        "share_women": float(rng.uniform()),
                        "share_voluntary": float(rng.uniform()),
                        "age_mix": {"under_35": young, "50_plus": old, "35_49": 1 - young - old},
                        "hours_per_week": float(rng.uniform(0, 3)),
                        "prior_acquaintance": float(rng.uniform(1, 5)),
                        "commitment": float(rng.uniform(2, 5)),
                    },
                }
            )
        )
    return plans


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def naive(plans: list[PlannedCoP], model: cf.AttainmentModel) -> list[float]:
    """Plan by plan, member by member: the route score_many avoids."""
    out = []
    for plan in plans:
        proba = model.predict_proba(plan.to_members())
        out.append(float(proba.loc[:, proba.columns >= 4].sum(axis=1).mean()))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--many-draws", type=int, default=100)
    parser.add_argument("--naive-plans", type=int, default=200)
    args = parser.parse_args(argv)

    model = reference_model()
    plans = make_plans(args.plans, args.members)
    rows = args.plans * args.members
    cf.score_many(plans[:10], model)  # warm up imports and caches

    lines = []

    def report(label: str, seconds: float, n_rows: int | None = None) -> None:
        rate = f"{n_rows / seconds:>14,.0f} member rows/s" if n_rows else ""
        lines.append(f"{label:<52} {seconds:>9.3f} s {rate}")
        print(lines[-1], flush=True)

    print(
        f"copfactors {cf.__version__}, Python {platform.python_version()}, "
        f"{platform.machine()}; {args.plans:,} plans x {args.members} members = {rows:,} rows"
    )
    report(
        "score_many, no draws",
        best_of(args.repeat, lambda: cf.score_many(plans, model)),
        rows,
    )
    report(
        "score_many, no draws, no flags",
        best_of(args.repeat, lambda: cf.score_many(plans, model, flags=False)),
        rows,
    )
    serial_draws = best_of(1, lambda: cf.score_many(plans, model, n_draws=args.many_draws))
    report(f"score_many, {args.many_draws} draws", serial_draws, rows)
    import joblib

    with joblib.parallel_config(backend="loky"):
        # an untimed first run starts the worker processes and has each import copfactors
        cf.score_many(plans, model, n_draws=args.many_draws, n_jobs=2)
        two_draws = best_of(
            1, lambda: cf.score_many(plans, model, n_draws=args.many_draws, n_jobs=2)
        )
    report(f"score_many, {args.many_draws} draws, n_jobs=2", two_draws, rows)
    print(f"  (speed-up of n_jobs=2 over one process: {serial_draws / two_draws:.2f})")
    subset = plans[: args.naive_plans]
    seconds = best_of(1, lambda: naive(subset, model))
    report(
        f"to_members + transform + predict, {len(subset)} plans",
        seconds,
        len(subset) * args.members,
    )

    one = cf.PlannedCoP.from_yaml("docs/examples/designated-no-steward.yaml")

    def one_plan() -> None:
        result = cf.score(one, model, n_draws=1000, random_state=0)
        result.levers()

    report("one plan, 1,000 draws, all levers", best_of(args.repeat * 3, one_plan))
    result = cf.score(one, model, n_draws=1000)
    print(f"  ({len(result.levers())} levers applied, {result.n_members} members)")


if __name__ == "__main__":
    main()
