"""How far to trust each claim: verdict rates, interval coverage and power of the claims' rules.

Every survey here is SIMULATED by ``copfactors.make_survey(mode="parametric", ...)``. For each
of the paper's thirteen claims (``copfactors.claims.paper_claims()``) the table
:data:`CLAIM_SCENARIOS` names one or two scenarios where the claim is false (its "null": what
must not be called ``"supports"``) and one or two where it is true (its "alternative": the
rate of ``"supports"`` there is the power). Each scenario (:data:`SCENARIOS`) is a set of
``make_survey`` keywords on top of a design (:data:`DESIGNS`: the paper's 7 CoPs and 180
respondents with about 100 at T2, and 40 CoPs of 25 respondents). For every design and
scenario the script draws ``--replicates`` surveys, runs
``compare_with_paper(survey, claims=<the claims that use the scenario>, n_permutations=...)``
on each (joblib over the replicates, ``--jobs``), and reports per claim and scenario:

- the rate of each verdict (supports / contradicts / inconclusive / not testable) with its
  Monte Carlo standard error ``sqrt(p (1 - p) / R)``;
- for claims whose headline estimate has a value known from the simulation (:data:`TRUTH`),
  the coverage of the table's ``[ci_low, ci_high]`` with its Monte Carlo standard error;
- whether the goal is met: under a null, ``"supports"`` in at most 5 % of the surveys (and
  ``"contradicts"`` too when the null is the boundary of a directional claim, a zero effect);
  under an alternative, ``"contradicts"`` in at most 5 %; coverage from 3 points below the
  interval's nominal level to 2 above (92-97 % for 95 % intervals). A rate within two Monte
  Carlo standard errors of its bound is marked "within MC error".

Wrong verdicts of C1-C4, C9 and C11 at a zero effect are type I errors of their tests; under
the "does not matter" claims (C5, C6, C10, C7's attainment part) the null is a real effect.
The results, with what each miss means, are on ``docs/claims-calibration.md``.

Seeds: replicate ``i`` of a design and scenario draws its survey and its permutations from
child ``i`` of ``SeedSequence(seed, spawn_key=(crc32(design), crc32(scenario)))``, so a
replicate is the same whatever the claims, jobs or number of replicates asked for.

Run::

    python benchmarks/claims_calibration.py                  # everything (15-20 min, 2 cores)
    python benchmarks/claims_calibration.py --replicates 400 # the docs page's run
    python benchmarks/claims_calibration.py --replicates 40 --designs paper --claims C1 C3
    python benchmarks/claims_calibration.py --markdown /tmp/calibration.md   # append the tables
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import math
import sys
import time
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, log, table

#: The goal: a wrong verdict in at most this share of the surveys
MAX_FALSE_RATE = 0.05
#: T2 response rate of the paper: 103 of the 180 respondents answered again
PAPER_T2_RATE = 103 / 180

#: The study designs (``make_survey`` keywords besides the scenario's). Both have the paper's
#: T2 response rate and a CoP random intercept of SD 0.3 (the calibrated mode's default).
DESIGNS: dict[str, dict[str, Any]] = {
    "paper": {"n_cops": 7, "n_respondents": 180, "t2_rate": PAPER_T2_RATE, "cop_sd": 0.3},
    "forty": {"n_cops": 40, "n_respondents": 1000, "t2_rate": PAPER_T2_RATE, "cop_sd": 0.3},
}


@dataclass(frozen=True)
class Scenario:
    """A set of ``make_survey`` keywords; ``effects`` are changes to ``GENERATING_MODEL``."""

    description: str
    effects: dict[str, float] = field(default_factory=dict)
    keywords: dict[str, Any] = field(default_factory=dict)


# Standardised effect (coefficient x SD over respondents) of commitment: 0.8 x 0.72 = 0.58. The
# "key factor" nulls give a driver about the same: SDs org_support 0.95, training_received
# 0.43, tech_mastery 0.91, prior_acquaintance 1.06.
SCENARIOS: dict[str, Scenario] = {
    # GENERATING_MODEL, women's hours twice men's, importance about 0.85 above attainment,
    # women rating importance higher (+0.5), no gender gap in attainment, objectives tied
    "paper": Scenario("the paper's generating model (every default)"),
    "no_commitment": Scenario("commitment effect 0", {"commitment": 0.0}),
    "no_steward": Scenario(
        "steward activity, steward types and leader changes: effects 0",
        {
            "steward_active": 0.0,
            "steward_dedicated": 0.0,
            "steward_designated": 0.0,
            "leader_changes": 0.0,
        },
    ),
    "no_voluntary": Scenario("voluntary participation effect 0", {"voluntary": 0.0}),
    "no_acquaintance": Scenario("prior acquaintance effect 0", {"prior_acquaintance": 0.0}),
    "acquaintance_half": Scenario(
        "prior acquaintance 0.3 (standardised 0.32, about half of commitment's)",
        {"prior_acquaintance": 0.3},
    ),
    "acquaintance_equal": Scenario(
        "prior acquaintance 0.55 (standardised 0.58, as large as commitment's)",
        {"prior_acquaintance": 0.55},
    ),
    "org_support_key": Scenario(
        "organisational support 0.6 (standardised 0.57, on a par with commitment)",
        {"org_support": 0.6},
    ),
    "training_key": Scenario(
        "training received 1.3 (standardised 0.56, on a par with commitment)",
        {"training_received": 1.3},
    ),
    "tech_key": Scenario(
        "technology mastery 0.6 (standardised 0.55, on a par with commitment)",
        {"tech_mastery": 0.6},
    ),
    "platform_effect": Scenario(
        "Lotus Notes CoPs +1.0 on the latent scale against Knowledge Forum (odds ratio 2.7)",
        {"platform_lotus_notes": 1.0},
    ),
    "no_gender_importance_gap": Scenario(
        "women and men rate importance alike", keywords={"gender_importance_gap": 0.0}
    ),
    "gender_attainment_gap": Scenario(
        "women's attainment +0.8 on the latent scale (odds ratio 2.2)",
        keywords={"gender_attainment_gap": 0.8},
    ),
    "equal_hours": Scenario("women and men spend the same time", keywords={"hours_ratio": 1.0}),
    "no_age_effect": Scenario("aged 50 or over: effect 0", {"age_50_plus": 0.0}),
    "schooling_effect": Scenario(
        "university graduates +1.0 against every other schooling (odds ratio 2.7)",
        {"schooling_university": 1.0},
    ),
    "language_effect": Scenario(
        "English-speaking respondents +1.0 (odds ratio 2.7)", {"language_en": 1.0}
    ),
    "no_time_effect": Scenario("hours per week: effect 0", {"hours_per_week": 0.0}),
    "time_effect": Scenario("hours per week +0.5 per hour", {"hours_per_week": 0.5}),
    "attainment_as_important": Scenario(
        "expected importance equal to expected attainment on every objective (objectives "
        "answered separately), with a respondent effect of SD 0.5 shared by all of a "
        "respondent's answers",
        keywords={"importance_gap": 0.0, "objective_sd": 0.0, "respondent_sd": 0.5},
    ),
    "objectives_equal": Scenario(
        "every objective attained alike (objectives answered separately)",
        keywords={"objective_sd": 0.0},
    ),
    "learning_attained": Scenario(
        "learning and problem solving attained better (+1.0 each) and rated less important "
        "(-0.5 each) than the other objectives (objectives answered separately)",
        keywords={
            "objective_effects": {"learning": 1.0, "problem_solving": 1.0},
            "importance_effects": {"learning": -0.5, "problem_solving": -0.5},
        },
    ),
}


@dataclass(frozen=True)
class Role:
    """A scenario's role for a claim: ``null`` (the claim is false) or ``alternative``.

    ``boundary``: the null is a zero effect at the edge of a directional claim, where
    ``"contradicts"`` is as wrong as ``"supports"``; for the other nulls it is the right answer.
    """

    scenario: str
    role: str
    boundary: bool = False


def _null(scenario: str, boundary: bool = False) -> Role:
    return Role(scenario, "null", boundary)


def _alt(scenario: str) -> Role:
    return Role(scenario, "alternative")


#: Per claim, its nulls and alternatives (see the docs page, "How far to trust each claim").
CLAIM_SCENARIOS: dict[str, list[Role]] = {
    # C1 commitment is a key driver: null no effect; alternative the paper's +0.8
    "C1": [_null("no_commitment", True), _alt("paper")],
    # C2 a (dynamic) steward is essential: null no steward effect at all; alternative the paper
    "C2": [_null("no_steward", True), _alt("paper")],
    # C3 voluntary participation: null 0; alternative +0.6
    "C3": [_null("no_voluntary", True), _alt("paper")],
    # C4 prior acquaintance helps (null: 0) but is not sufficient (null: as large as
    # commitment); alternatives: half of commitment's, and the paper's small +0.1
    "C4": [
        _null("no_acquaintance", True),
        _null("acquaintance_equal", True),
        _alt("acquaintance_half"),
        _alt("paper"),
    ],
    # C5 training and organisational support are not key: nulls a real effect of either, on a
    # par with commitment; alternative no effect
    "C5": [_null("org_support_key"), _null("training_key"), _alt("paper")],
    # C6 the technology is not determinant: nulls technology mastery on a par with commitment,
    # a platform effect; alternative no effect
    "C6": [_null("tech_key"), _null("platform_effect"), _alt("paper")],
    # C7 women rate importance higher (null: no gap) and attainment differs little (null: a
    # real attainment gap); alternative the paper's
    "C7": [
        _null("no_gender_importance_gap", True),
        _null("gender_attainment_gap"),
        _alt("paper"),
    ],
    # C8 women spend about twice the time: null the same time; alternative twice
    "C8": [_null("equal_hours"), _alt("paper")],
    # C9 aged 50 or over appreciate less: null 0; alternative -0.7
    "C9": [_null("no_age_effect", True), _alt("paper")],
    # C10 schooling, category and language do not matter: nulls odds ratio 2.7 for
    # university graduates, for English speakers; alternative no effect
    "C10": [_null("schooling_effect"), _null("language_effect"), _alt("paper")],
    # C11 lack of time and of employer recognition: null no time effect (employer recognition
    # stays low in every scenario: make_survey fixes its centre); alternatives +0.5 per hour
    # and the paper's +0.1
    "C11": [_null("no_time_effect", True), _alt("time_effect"), _alt("paper")],
    # C12 attainment below importance: null equal means; alternative the paper's gap
    "C12": [_null("attainment_as_important"), _alt("paper")],
    # C13 learning and problem solving well attained: null all objectives alike;
    # alternative both attained better
    "C13": [_null("objectives_equal"), _alt("learning_attained")],
}


# ---------------------------------------------------------------------------------------------
# true values of the headline estimates
# ---------------------------------------------------------------------------------------------
def _coef(name: str):
    def truth(survey: pd.DataFrame) -> float:
        return float(survey.attrs["true_effects"][name])

    return truth


def _zero_if_no_effect(*prefixes: str):
    """0 when every true effect whose name starts with one of ``prefixes`` is 0, else NaN.

    The equivalence claims report the effect furthest from equivalence, chosen among several
    (and between interval levels by the verdict): its true value is known without following
    that choice only when every candidate is 0.
    """

    def truth(survey: pd.DataFrame) -> float:
        effects = {
            **survey.attrs["true_effects"],
            **survey.attrs.get("true_extra_effects", {}),
        }
        chosen = [v for k, v in effects.items() if k.startswith(prefixes)]
        return 0.0 if chosen and all(v == 0 for v in chosen) else math.nan

    return truth


def _importance_gap(survey: pd.DataFrame) -> float:
    imp = survey[[c for c in survey.columns if c.startswith("imp_")]].astype(float).mean(axis=1)
    gender = survey["gender"].astype("string")
    return float(imp[gender == "woman"].mean() - imp[gender == "man"].mean())


def _hours_ratio(survey: pd.DataFrame) -> float:
    hours = survey["hours_per_week"].astype(float)
    gender = survey["gender"].astype("string")
    return float(hours[gender == "woman"].mean() / hours[gender == "man"].mean())


def _employer_recognition(survey: pd.DataFrame) -> float:
    return float(survey["employer_recognition"].astype(float).mean())


@dataclass(frozen=True)
class Truth:
    """The true value of a claim's headline estimate and the level of its interval.

    ``fn(survey)`` reads it from the survey's own simulation, or, with ``population``, from one
    large survey of the same design and scenario (:data:`POPULATION_SIZE` respondents, computed
    once). ``goal``: whether the coverage goal applies (False: reported only).
    """

    what: str
    fn: Any
    level: float = 0.95
    population: bool = False
    goal: bool = True

    @property
    def coverage_range(self) -> tuple[float, float]:
        """The coverage goal: from 3 points below the nominal level to 2 above."""
        return round(self.level - 0.03, 4), round(self.level + 0.02, 4)


POPULATION_SIZE = 200_000

#: The claims whose headline estimate has a true value known from the simulation. C12's share
#: and C13's rank are discrete and their bounds one-sided bootstrap quantiles: no coverage.
TRUTH: dict[str, Truth] = {
    "C1": Truth("commitment coefficient", _coef("commitment")),
    "C2": Truth("steward_active coefficient", _coef("steward_active")),
    "C3": Truth("voluntary coefficient", _coef("voluntary")),
    "C4": Truth("prior_acquaintance coefficient", _coef("prior_acquaintance"), level=0.90),
    "C5": Truth(
        "log odds ratio furthest from equivalence (0 when no effect)",
        _zero_if_no_effect("training_received", "org_support"),
        level=0.90,
        goal=False,
    ),
    "C6": Truth(
        "log odds ratio furthest from equivalence (0 when no effect)",
        _zero_if_no_effect("tech_mastery", "platform_"),
        level=0.90,
        goal=False,
    ),
    "C7": Truth("mean importance, women minus men", _importance_gap, population=True),
    "C8": Truth("ratio of mean hours, women to men", _hours_ratio, population=True),
    "C9": Truth("age_50_plus coefficient", _coef("age_50_plus")),
    "C10": Truth(
        "log odds ratio furthest from equivalence (0 when no effect)",
        _zero_if_no_effect("schooling_", "language_", "professional_category_"),
        level=0.90,
        goal=False,
    ),
    "C11": Truth("mean employer_recognition", _employer_recognition, population=True),
}


# ---------------------------------------------------------------------------------------------
# surveys and replicates
# ---------------------------------------------------------------------------------------------
def survey_keywords(design: str, scenario: str) -> dict[str, Any]:
    """The ``make_survey`` keywords of a design and scenario (without the seed)."""
    from copfactors.datasets import GENERATING_MODEL

    sc = SCENARIOS[scenario]
    kw: dict[str, Any] = {"mode": "parametric", **DESIGNS[design], **sc.keywords}
    if sc.effects:
        kw["effects"] = {**GENERATING_MODEL, **sc.effects}
    return kw


def unavailable(scenario: str) -> str:
    """Why ``make_survey`` cannot simulate the scenario yet ("" when it can)."""
    import copfactors.datasets as ds

    sc = SCENARIOS[scenario]
    params = inspect.signature(ds.make_survey).parameters
    missing = [k for k in sc.keywords if k not in params]
    known = set(ds.GENERATING_MODEL) | set(getattr(ds, "EXTRA_EFFECTS", {}))
    missing += [f"effects[{k!r}]" for k in sc.effects if k not in known]
    return f"make_survey lacks {', '.join(missing)}" if missing else ""


def replicate_seeds(seed: int, design: str, scenario: str, n: int) -> list[tuple[int, int]]:
    """(survey seed, permutation seed) of replicates 0..n-1 of a design and scenario."""
    key = (zlib.crc32(design.encode()), zlib.crc32(scenario.encode()))
    children = np.random.SeedSequence(seed, spawn_key=key).spawn(n)
    return [tuple(int(v) for v in c.generate_state(2, np.uint32)) for c in children]


def run_replicate(
    design: str,
    scenario: str,
    claims: list[str],
    survey_seed: int,
    perm_seed: int,
    n_permutations: int,
    replicate: int,
) -> list[dict[str, Any]]:
    """One SIMULATED survey and its verdicts: one record per claim."""
    from threadpoolctl import threadpool_limits

    from copfactors.claims import compare_with_paper
    from copfactors.datasets import make_survey

    # one BLAS thread: the replicates run side by side (and multi-threaded BLAS on small
    # matrices is many times slower than one thread)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        survey = make_survey(seed=survey_seed, **survey_keywords(design, scenario))
        start = time.perf_counter()
        res = compare_with_paper(
            survey, claims=claims, n_permutations=n_permutations, seed=perm_seed, n_jobs=1
        )
        seconds = time.perf_counter() - start
        out = []
        for rec in res.table.itertuples(index=False):
            truth = TRUTH.get(rec.id)
            value = truth.fn(survey) if truth is not None and not truth.population else math.nan
            out.append(
                {
                    "design": design,
                    "scenario": scenario,
                    "replicate": replicate,
                    "claim": rec.id,
                    "verdict": rec.verdict,
                    "estimate": rec.estimate,
                    "ci_low": rec.ci_low,
                    "ci_high": rec.ci_high,
                    "truth": value,
                    "seconds": seconds,
                    "n_claims": len(claims),
                }
            )
    return out


def population_truths(
    design: str, scenario: str, claims: list[str], seed: int, size: int = POPULATION_SIZE
) -> dict:
    """True values of ``claims`` from one large SIMULATED survey of the design and scenario."""
    from threadpoolctl import threadpool_limits

    from copfactors.datasets import make_survey

    kw = survey_keywords(design, scenario)
    kw["n_respondents"] = size
    survey_seed = replicate_seeds(seed, design, scenario + "/population", 1)[0][0]
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        big = make_survey(seed=survey_seed, **kw)
    return {(design, scenario, claim): TRUTH[claim].fn(big) for claim in claims}


def cells(claims: list[str]) -> dict[str, list[str]]:
    """Scenario -> the claims (of ``claims``) evaluated on it, in claim order."""
    out: dict[str, list[str]] = {}
    for claim in claims:
        for role in CLAIM_SCENARIOS[claim]:
            out.setdefault(role.scenario, []).append(claim)
    return out


def simulate(
    replicates: dict[str, int],
    claims: list[str],
    *,
    jobs: int = 1,
    n_permutations: int = 99,
    seed: int = 2024,
    population_size: int = POPULATION_SIZE,
    verbose: int = 0,
) -> tuple[pd.DataFrame, dict[tuple[str, str, str], float], dict[str, str]]:
    """Run ``replicates[design]`` surveys per scenario of each design for ``claims``.

    Returns the records (one per survey and claim), the population truths by (design,
    scenario, claim) and the scenarios make_survey cannot simulate, with the reason.
    """
    import joblib

    plan = cells(claims)
    missing = {sc: why for sc in plan if (why := unavailable(sc))}
    tasks, big = [], []
    for design, n in replicates.items():
        for scenario, cell_claims in plan.items():
            if scenario in missing:
                continue
            for i, (s1, s2) in enumerate(replicate_seeds(seed, design, scenario, n)):
                tasks.append((design, scenario, cell_claims, s1, s2, n_permutations, i))
            wanted = [c for c in cell_claims if c in TRUTH and TRUTH[c].population]
            if wanted:
                big.append((design, scenario, wanted, seed, population_size))
    log(
        f"{len(tasks)} surveys and {len(big)} population surveys in {len(replicates)} "
        f"design(s), {len(plan) - len(missing)} scenarios"
    )
    with joblib.Parallel(n_jobs=jobs, verbose=verbose) as parallel:
        truths: dict[tuple[str, str, str], float] = {}
        for part in parallel(joblib.delayed(population_truths)(*b) for b in big):
            truths.update(part)
        results = parallel(joblib.delayed(run_replicate)(*t) for t in tasks)
    records = pd.DataFrame([r for batch in results for r in batch])
    return records, truths, missing


# ---------------------------------------------------------------------------------------------
# summaries
# ---------------------------------------------------------------------------------------------
def rate(k: int, n: int) -> tuple[float, float]:
    """A proportion ``k / n`` and its Monte Carlo standard error ``sqrt(p (1 - p) / n)``."""
    if n <= 0:
        return math.nan, math.nan
    p = k / n
    return p, math.sqrt(p * (1 - p) / n)


def check_at_most(p: float, se: float, bound: float) -> str:
    """ "met" when ``p <= bound``, "within MC error" when within 2 SE of it, else "missed"."""
    if not np.isfinite(p):
        return "n/a"
    if p <= bound:
        return "met"
    return "within MC error" if p - 2 * se <= bound else "missed"


def check_between(p: float, se: float, low: float, high: float) -> str:
    if not np.isfinite(p):
        return "n/a"
    if low <= p <= high:
        return "met"
    return "within MC error" if p + 2 * se >= low and p - 2 * se <= high else "missed"


def summarise(
    records: pd.DataFrame,
    truths: dict[tuple[str, str, str], float] | None = None,
    claims: list[str] | None = None,
) -> pd.DataFrame:
    """One row per design, claim and scenario: verdict rates, coverage, goal."""
    truths = truths or {}
    rows = []
    for (design, claim), group in records.groupby(["design", "claim"], sort=False):
        if claims is not None and claim not in claims:
            continue
        for role in CLAIM_SCENARIOS[claim]:
            sub = group[group["scenario"] == role.scenario]
            if sub.empty:
                continue
            n = len(sub)
            row: dict[str, Any] = {
                "design": design,
                "claim": claim,
                "scenario": role.scenario,
                "role": role.role,
                "n": n,
            }
            for verdict in ("supports", "contradicts", "inconclusive", "not testable"):
                row[verdict], row[f"{verdict}_se"] = rate(int((sub["verdict"] == verdict).sum()), n)
            truth = sub["truth"].to_numpy(dtype=float)
            if (design, role.scenario, claim) in truths:
                truth = np.full(n, truths[(design, role.scenario, claim)])
            lo, hi = sub["ci_low"].to_numpy(dtype=float), sub["ci_high"].to_numpy(dtype=float)
            has = np.isfinite(truth) & np.isfinite(lo) & np.isfinite(hi)
            row["truth"] = float(np.mean(truth[np.isfinite(truth)])) if has.any() else math.nan
            row["n_ci"] = int(has.sum())
            covered = int(((lo <= truth) & (truth <= hi))[has].sum())
            row["coverage"], row["coverage_se"] = rate(covered, int(has.sum()))
            goals = []
            if role.role == "null":
                goals.append(
                    ("supports", check_at_most(row["supports"], row["supports_se"], MAX_FALSE_RATE))
                )
                if role.boundary:
                    goals.append(
                        (
                            "contradicts",
                            check_at_most(
                                row["contradicts"], row["contradicts_se"], MAX_FALSE_RATE
                            ),
                        )
                    )
            else:
                goals.append(
                    (
                        "contradicts",
                        check_at_most(row["contradicts"], row["contradicts_se"], MAX_FALSE_RATE),
                    )
                )
            spec = TRUTH.get(claim)
            row["level"] = spec.level if spec is not None else math.nan
            if has.any() and spec is not None and spec.goal:
                goals.append(
                    (
                        "coverage",
                        check_between(row["coverage"], row["coverage_se"], *spec.coverage_range),
                    )
                )
            row["goal"] = _goal_text(goals)
            rows.append(row)
    return pd.DataFrame(rows)


def _goal_text(goals: list[tuple[str, str]]) -> str:
    bad = [f"{what} {status}" for what, status in goals if status != "met"]
    return "met" if not bad else "; ".join(bad)


def _pct(p: float, se: float) -> str:
    if not np.isfinite(p):
        return ""
    return f"{100 * p:.0f}% ± {100 * se:.0f}" if se >= 0.005 or p in (0, 1) else f"{100 * p:.1f}%"


def _coverage_text(rec: dict) -> str:
    if not rec["n_ci"]:
        return ""
    text = _pct(rec["coverage"], rec["coverage_se"])
    if rec["n_ci"] < rec["n"]:
        text += f" of {rec['n_ci']} with an interval"
    spec = TRUTH.get(rec["claim"])
    if spec is not None and not spec.goal:
        text += " (selected effect, no goal)"
    elif spec is not None and spec.level != 0.95:
        text += f" (of a {spec.level:.0%} interval)"
    return text


def design_table(summary: pd.DataFrame, design: str) -> str:
    """The Markdown table of one design."""
    rows = []
    for rec in summary[summary["design"] == design].to_dict(orient="records"):
        rows.append(
            {
                "claim": rec["claim"],
                "scenario": rec["scenario"],
                "role": rec["role"],
                "surveys": int(rec["n"]),
                "supports": _pct(rec["supports"], rec["supports_se"]),
                "contradicts": _pct(rec["contradicts"], rec["contradicts_se"]),
                "inconclusive": _pct(rec["inconclusive"], rec["inconclusive_se"]),
                "not testable": _pct(rec["not testable"], rec["not testable_se"]),
                "true value": f"{rec['truth']:.3g}" if np.isfinite(rec["truth"]) else "",
                "coverage": _coverage_text(rec),
                "goal": rec["goal"],
            }
        )
    return table(rows) if rows else "(nothing run)"


def claim_verdicts(summary: pd.DataFrame) -> pd.DataFrame:
    """Per design and claim: goal met in every scenario, and the power (supports under each
    alternative)."""
    rows = []
    for (design, claim), g in summary.groupby(["design", "claim"], sort=False):
        power = "; ".join(
            f"{r.scenario} {_pct(r.supports, r.supports_se)}"
            for r in g.itertuples(index=False)
            if r.role == "alternative"
        )
        missed = [f"{r.scenario}: {r.goal}" for r in g.itertuples(index=False) if r.goal != "met"]
        if any("missed" in m for m in missed):
            status = "not met"
        elif missed:
            status = "met within MC error"
        else:
            status = "met"
        rows.append(
            {
                "design": design,
                "claim": claim,
                "goal": status,
                "power (supports under the alternatives)": power,
                "misses": " / ".join(missed),
            }
        )
    return pd.DataFrame(rows)


def timing_table(records: pd.DataFrame) -> str:
    """Mean seconds of one compare_with_paper call per design and scenario."""
    rows = []
    for (design, scenario), g in records.groupby(["design", "scenario"], sort=False):
        per_survey = g.drop_duplicates("replicate")
        rows.append(
            {
                "design": design,
                "scenario": scenario,
                "claims": ", ".join(dict.fromkeys(g["claim"])),
                "surveys": len(per_survey),
                "mean s per call": float(per_survey["seconds"].mean()),
                "max s": float(per_survey["seconds"].max()),
            }
        )
    return table(rows)


def _keywords_text(scenario: str) -> str:
    sc = SCENARIOS[scenario]
    parts = [f"{k}={v}" for k, v in sc.effects.items()]
    parts += [f"{k}={v!r}" for k, v in sc.keywords.items()]
    return ", ".join(parts) if parts else "(defaults)"


def scenario_table(claims: list[str] | None = None) -> str:
    """The scenarios of each claim as a Markdown table: role, name, keywords, description."""
    rows = []
    for claim, roles in CLAIM_SCENARIOS.items():
        if claims is not None and claim not in claims:
            continue
        for role in roles:
            what = role.role + (" (boundary)" if role.boundary else "")
            rows.append(
                {
                    "claim": claim,
                    "role": what,
                    "scenario": role.scenario,
                    "make_survey keywords (effects: changes to GENERATING_MODEL)": (
                        _keywords_text(role.scenario)
                    ),
                    "what is true": SCENARIOS[role.scenario].description,
                }
            )
    return table(rows)


def describe_design(design: str) -> str:
    d = DESIGNS[design]
    return (
        f"{d['n_cops']} CoPs, {d['n_respondents']} respondents (T2 rate {d['t2_rate']:.3f}, "
        f"about {round(d['n_respondents'] * d['t2_rate'])} at T2), CoP random-intercept SD "
        f"{d['cop_sd']}"
    )


#: Surveys per scenario by default: a full run (both designs, every claim, 13,200 surveys) takes
#: 15 to 20 minutes on 2 cores (measured: 10 minutes for 200 per scenario on idle cores, 27 for
#: 400 on a shared machine; one compare_with_paper call takes 0.01 to 0.4 s, see the timing
#: table the script prints).
DEFAULT_REPLICATES = {"paper": 300, "forty": 300}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--replicates",
        type=int,
        help="surveys per scenario in every design (default: "
        + ", ".join(f"{n} at {d}" for d, n in DEFAULT_REPLICATES.items())
        + ")",
    )
    parser.add_argument("--designs", nargs="+", choices=list(DESIGNS), default=list(DESIGNS))
    parser.add_argument(
        "--claims", nargs="+", choices=list(CLAIM_SCENARIOS), default=list(CLAIM_SCENARIOS)
    )
    parser.add_argument("--jobs", type=int, default=2, help="joblib workers over the replicates")
    parser.add_argument(
        "--permutations",
        type=int,
        default=99,
        help="n_permutations of compare_with_paper (permutation tests, C12/C13 bootstrap)",
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--quick", action="store_true", help="30 replicates per scenario")
    parser.add_argument("--markdown", type=Path, help="append the tables to this file")
    args = parser.parse_args(argv)
    if args.quick and args.replicates is None:
        args.replicates = 30
    replicates = {
        d: args.replicates if args.replicates is not None else DEFAULT_REPLICATES[d]
        for d in args.designs
    }

    start = time.perf_counter()
    records, truths, missing = simulate(
        replicates,
        args.claims,
        jobs=args.jobs,
        n_permutations=args.permutations,
        seed=args.seed,
        verbose=5,  # progress on stderr
    )
    wall = time.perf_counter() - start
    summary = summarise(records, truths, args.claims) if len(records) else pd.DataFrame()
    shown = " ".join(sys.argv[1:] if argv is None else argv)
    command = f"python benchmarks/claims_calibration.py {shown}".strip()
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    counts = ", ".join(f"{n} at {d}" for d, n in replicates.items())
    lines = [
        "## Calibration of the claims' rules (SIMULATED surveys)",
        "",
        f"Command: `{command}`; run {when}; surveys per "
        f"scenario: {counts}; n_permutations={args.permutations}; seed {args.seed}; "
        f"{args.jobs} jobs; {wall:.0f} s wall clock in all.",
        "",
        "Rates: share of the surveys with each verdict, ± one Monte Carlo standard error "
        "sqrt(p(1 - p)/R). Goal: under a null, supports at most "
        f"{MAX_FALSE_RATE:.0%} (and contradicts too at a boundary null, a zero effect); under "
        f"an alternative, contradicts at most {MAX_FALSE_RATE:.0%}; coverage of the headline "
        "interval from 3 points below its level to 2 above (92-97% for a 95% interval, 87-92% "
        "for C4's 90% one). 'within MC error': missed by less than two standard errors.",
    ]
    if missing:
        lines += [
            "",
            "Not run (make_survey cannot simulate them yet): "
            + "; ".join(f"{sc} ({why})" for sc, why in missing.items())
            + ".",
        ]
    lines += ["", "### Scenarios", "", scenario_table(args.claims)]
    for design in args.designs:
        lines += ["", f"### Design {design}: {describe_design(design)}", ""]
        lines.append(design_table(summary, design) if len(summary) else "(nothing run)")
    if len(summary):
        lines += ["", "### Goal per claim", "", table(claim_verdicts(summary).to_dict("records"))]
        lines += ["", "### Time of one compare_with_paper call", "", timing_table(records)]
    emit(lines, args.markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
