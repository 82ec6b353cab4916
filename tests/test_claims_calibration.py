"""The calibration harness of the claims' rules (benchmarks/claims_calibration.py), small.

The full run (hundreds of SIMULATED surveys per scenario, both designs) is a benchmark; here
a few dozen surveys check that the harness counts verdicts and coverage right and that the
rules of C1, C3 and C8 behave at the paper's design within loose bounds.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"


@pytest.fixture(scope="module")
def cc():
    """The harness module, imported without leaving benchmarks/ on sys.path."""
    saved = list(sys.path)
    spec = importlib.util.spec_from_file_location(
        "claims_calibration", BENCH / "claims_calibration.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["claims_calibration"] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved
    yield module
    sys.modules.pop("claims_calibration", None)


def test_rate_and_monte_carlo_error(cc):
    p, se = cc.rate(6, 24)
    assert p == 0.25 and se == pytest.approx(math.sqrt(0.25 * 0.75 / 24))
    assert cc.rate(0, 10) == (0.0, 0.0)
    assert all(math.isnan(v) for v in cc.rate(0, 0))
    assert cc.check_at_most(0.05, 0.015, 0.05) == "met"
    assert cc.check_at_most(0.07, 0.015, 0.05) == "within MC error"
    assert cc.check_at_most(0.12, 0.02, 0.05) == "missed"
    assert cc.check_between(0.95, 0.015, 0.92, 0.97) == "met"
    assert cc.check_between(0.90, 0.015, 0.92, 0.97) == "within MC error"
    assert cc.check_between(0.80, 0.03, 0.92, 0.97) == "missed"
    assert cc.TRUTH["C1"].coverage_range == (0.92, 0.97)
    assert cc.TRUTH["C4"].coverage_range == (0.87, 0.92)


def test_summarise_counts_verdicts_and_coverage(cc):
    # 10 surveys of C1 under its null: 1 supports, 1 contradicts; 8 intervals hold 0
    verdicts = ["supports", "contradicts"] + ["inconclusive"] * 8
    low = np.array([0.1, -2.0] + [-1.0] * 8)
    high = np.array([2.0, -0.1] + [1.0] * 8)
    records = pd.DataFrame(
        {
            "design": "paper",
            "scenario": "no_commitment",
            "replicate": range(10),
            "claim": "C1",
            "verdict": verdicts,
            "estimate": (low + high) / 2,
            "ci_low": low,
            "ci_high": high,
            "truth": 0.0,
            "seconds": 0.1,
            "n_claims": 1,
        }
    )
    row = cc.summarise(records).iloc[0]
    assert (row["role"], row["n"], row["n_ci"]) == ("null", 10, 10)
    assert row["supports"] == row["contradicts"] == pytest.approx(0.1)
    assert row["supports_se"] == pytest.approx(math.sqrt(0.1 * 0.9 / 10))
    assert row["inconclusive"] == pytest.approx(0.8) and row["not testable"] == 0
    assert row["coverage"] == pytest.approx(0.8)
    # 10% supports: within 2 MC SE (9.5%) of 5%; coverage 80% +- 12.6%: within MC error too
    assert row["goal"] == (
        "supports within MC error; contradicts within MC error; coverage within MC error"
    )


def test_every_claim_has_a_null_and_an_alternative_that_make_survey_can_simulate(cc):
    from copfactors.claims import paper_claims
    from copfactors.datasets import make_survey

    assert list(cc.CLAIM_SCENARIOS) == paper_claims()["id"].tolist()
    for claim, roles in cc.CLAIM_SCENARIOS.items():
        assert {r.role for r in roles} == {"null", "alternative"}, claim
        assert all(r.scenario in cc.SCENARIOS for r in roles), claim
    for scenario in cc.SCENARIOS:
        assert cc.unavailable(scenario) == "", scenario
        kw = {**cc.survey_keywords("paper", scenario), "n_respondents": 40}
        survey = make_survey(seed=1, **kw)
        assert survey.attrs["simulated"] and len(survey) == 40


def test_replicate_seeds_are_stable(cc):
    three = cc.replicate_seeds(5, "paper", "no_commitment", 3)
    assert cc.replicate_seeds(5, "paper", "no_commitment", 6)[:3] == three
    assert cc.replicate_seeds(5, "paper", "no_voluntary", 3) != three
    assert cc.replicate_seeds(5, "forty", "no_commitment", 3) != three
    assert len({s for pair in three for s in pair}) == 6


def test_small_calibration_at_the_papers_design(cc):
    """24 SIMULATED surveys per scenario: loose bounds on the verdict rates and coverage."""
    records, truths, missing = cc.simulate(
        {"paper": 24}, ["C1", "C3", "C8"], jobs=1, n_permutations=19, population_size=20_000
    )
    assert not missing
    summary = cc.summarise(records, truths).set_index(["claim", "scenario"])
    assert summary["n"].eq(24).all()
    c1_null, c1_alt = summary.loc[("C1", "no_commitment")], summary.loc[("C1", "paper")]
    # expected about 2.5% each (alpha 0.05, two-sided); 25% is far beyond Monte Carlo noise
    assert c1_null["supports"] <= 0.25 and c1_null["contradicts"] <= 0.25
    assert c1_alt["supports"] >= 0.5 and c1_alt["contradicts"] <= 0.1
    assert c1_null["coverage"] >= 0.7 and c1_alt["coverage"] >= 0.7
    c3_null, c3_alt = summary.loc[("C3", "no_voluntary")], summary.loc[("C3", "paper")]
    assert c3_null["supports"] <= 0.25 and c3_alt["contradicts"] <= 0.1
    assert c3_alt["supports"] > c3_null["supports"]
    c8_null, c8_alt = summary.loc[("C8", "equal_hours")], summary.loc[("C8", "paper")]
    assert c8_null["supports"] <= 0.25 and c8_null["contradicts"] >= 0.5
    assert c8_alt["supports"] >= 0.5
    assert truths[("paper", "paper", "C8")] == pytest.approx(2.0, abs=0.1)
    assert truths[("paper", "equal_hours", "C8")] == pytest.approx(1.0, abs=0.1)
