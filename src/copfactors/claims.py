"""The paper's conclusions as testable claims, and their verdicts on a survey.

Tremblay's paper draws thirteen conclusions (C1-C13, listed in ``docs/paper-notes.md``) from
seven communities of practice without publishing respondent-level data. This module states
each one as data (:func:`paper_claims`) with a decision rule written down in advance, and
holds a survey against all of them (:func:`compare_with_paper`), returning per claim a verdict
among :data:`VERDICTS` and the estimate, interval and p-value behind it.

How the driver claims are tested
--------------------------------
C1-C6, C9 and C11 (its time part) read ONE ordinal model: a cumulative link model of the
respondent's attainment level (:func:`~copfactors.features.attainment`, ``kind="ordinal"``: the
mean of the answered ``att_<objective>`` ratings at T2 rounded half up) on the default driver
features of :class:`~copfactors.features.CoPFeatureBuilder` (``missing="drop"``: respondents
complete in every driver the survey has). A feature that is constant or a linear combination
of earlier ones (with few CoPs, CoP-level attributes such as the sponsor often are) is left out
with the rest of its group, as in the report, and named in the notes; the builder's order
decides which group goes, so the steward and leader columns are kept before the sponsor.

Respondents are nested in CoPs, so from :data:`MIXED_MIN_COPS` CoPs (the ``cluster`` column)
the model has a random intercept per CoP (:class:`~copfactors.models.MixedOrdinalRegression`,
R's ``clmm``; :func:`fit_cop_model`, shared with the report) and model-based standard errors
with normal reference. A CoP-level driver (the same for every respondent of a CoP, see
:func:`cop_level_drivers`) is learnt from the CoPs alone: its tests use Student's t (joint
tests: F) with the between-CoP degrees of freedom the model leaves, ``G`` minus the rank of the
intercept and the CoP-level drivers over the CoPs (the "between-within" rule). With fewer
than :data:`COP_LEVEL_MIN_DF` left (7 CoPs and the paper's five CoP-level columns leave 1), or
with a covariance that treats respondents as independent, their tests are withheld: p and
interval n/a, the verdict inconclusive, and the evidence says why (measured: with 1 or 2 df the
t intervals cover almost always and the tests never reject; see
``benchmarks/few_cops_inference.py``). With fewer than :data:`SIGMA_MIN_COPS` CoPs the notes
say that the between-CoP SD is imprecise and which CoP-level drivers are confounded with each
other or with one CoP.
When the random-intercept SD goes to 0 (its boundary) the model is the same without random
intercept, with model-based standard errors. Without the cluster column, with a single CoP, or
when the random-intercept model cannot be fitted, the model has no random intercept and its
covariance is cluster-robust by CoP (t and F with ``G - 1`` df; Cameron, Gelbach and Miller
2008) if that covariance has full rank, else robust (HC0) with normal reference. A
cluster-robust covariance of lower rank than the parameters (over 7 CoPs it has rank at most
6) is never used. The notes say which model and why.

Blocks of categorical dummies (platform, schooling, professional category, language) are
also tested, as a report of any difference, by a score test with a permutation p-value: the
statistic is ``n R^2`` of the attainment model's generalized residuals on the block's dummies
made orthogonal to the drivers (it equals the likelihood-ratio statistic to first order and
needs no refit); its reference distribution comes from ``n_permutations`` permutations of the
block's labels, within CoPs for respondent attributes (so that a block nested in CoPs, such as
professional category, cannot stand in for differences between CoPs) and among CoPs for the
platform, a CoP attribute. Likelihood-ratio tests against chi-squared were tried first and
rejected: with a hundred respondents in seven CoPs they found a platform or
professional-category "effect" in about a fifth of the simulations where there is none.

Claims that something does not matter (C5, C6, C7's attainment part, C10) are never read from
a test that finds nothing: absence of evidence is not evidence of absence. They are equivalence
claims: an effect "does not matter" when it lies inside a stated smallest effect size of
interest (:data:`SESOI_ODDS_RATIO`): an odds ratio of a higher attainment level within
[0.8, 1.25], per standard deviation of a numeric driver, per contrast of a yes/no driver or of
two levels of a category (the conventional equivalence range for ratios, about a standardised
difference of 0.12, under Cohen's "small" 0.2). Equivalence is shown by two one-sided tests at
``alpha`` (TOST): the ``1 - 2 alpha`` interval, not the ``1 - alpha`` one, lies inside the
margin, since each one-sided test uses one tail of it at ``alpha``. Every effect of a claim must
pass (an intersection-union test, of level ``alpha`` without adjustment). A claim is contradicted
when an effect's ``1 - alpha / k`` interval (Bonferroni over its ``k`` effects) lies entirely
outside the margin, so that this happens with probability at most ``alpha`` when every effect is
inside it; otherwise it is inconclusive, and the evidence says why (with about a hundred
respondents the intervals are wider than the margin itself: no survey of that size can show
equivalence). Categories are compared level against level: within CoPs for respondent
attributes (schooling, professional category, language, gender: a fixed effect per CoP), and in
the attainment model with the between-CoP degrees of freedom for the platform, a CoP attribute.
The permutation score tests above are still reported for these blocks, as tests of any
difference.

C4 ("helps but is not sufficient") tests both halves: the coefficient of prior acquaintance
above 0 and its standardised effect (coefficient times the driver's standard deviation over
the fitted respondents) below commitment's, each one-sided at ``alpha``.

The fifteen objectives of C12 and C13 are answered by the same people, so their means are not
independent: their uncertainty comes from a respondent-level bootstrap (whole respondents
resampled with all their answers; the CoPs resampled from :data:`SIGMA_MIN_COPS` CoPs on,
respondents within each CoP below that), not from tests over the objectives as if they were
fifteen independent observations. C13's ranks are mid-ranks: tied objectives do not support.

Nothing here is evidence about real CoPs when the survey is simulated: the result says so in
its header (``survey.attrs["simulated"]``).

Examples
--------
>>> from copfactors.claims import compare_with_paper, paper_claims
>>> paper_claims()["id"].tolist()[:3]
['C1', 'C2', 'C3']
>>> from copfactors.datasets import load_example_survey
>>> res = compare_with_paper(load_example_survey(), claims=["C1", "C8"])
>>> res.simulated, res.table["verdict"].tolist()
(True, ['supports', 'supports'])
"""

from __future__ import annotations

import json
import math
import textwrap
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from copfactors import schema as _schema
from copfactors._utils.parallel import (
    check_n_jobs,
    chunk_bounds,
    replicate_seeds,
    single_threaded_blas,
)
from copfactors._utils.render import Result, render_table
from copfactors._utils.validation import independent_columns
from copfactors.errors import CopFactorsError

if TYPE_CHECKING:  # pragma: no cover
    from copfactors.models import MixedOrdinalRegression, OrdinalRegression

__all__ = [
    "CLAIM_COLUMNS",
    "COP_LEVEL_MIN_DF",
    "MIN_CLUSTERS",
    "MIXED_MIN_COPS",
    "RESULT_COLUMNS",
    "SESOI_ODDS_RATIO",
    "SIGMA_MIN_COPS",
    "VERDICTS",
    "AttainmentFit",
    "ClaimsResult",
    "CoPLevelDrivers",
    "ModelChoice",
    "claim_requirements",
    "compare_with_paper",
    "cop_level_drivers",
    "feature_sources",
    "fit_cop_model",
    "paper_claims",
]

#: The possible verdicts, from the claim's point of view.
VERDICTS: tuple[str, ...] = ("supports", "contradicts", "inconclusive", "not testable")

#: Columns of :func:`paper_claims`.
CLAIM_COLUMNS: tuple[str, ...] = ("id", "statement", "where", "variables", "rule")

#: Columns of :attr:`ClaimsResult.table` (and keys of :meth:`ClaimsResult.to_records`).
RESULT_COLUMNS: tuple[str, ...] = (
    "id",
    "statement",
    "verdict",
    "evidence",
    "estimate",
    "ci_low",
    "ci_high",
    "p",
    "rule",
    "missing_columns",
)

#: Fewest CoPs for cluster-robust standard errors, used only when the random-intercept model
#: cannot be (and then only if that covariance has full rank); below it: robust (HC0).
MIN_CLUSTERS = 5

#: Fewest CoPs for the random-intercept (mixed) attainment model. Its between-CoP variance is
#: identified from 2 CoPs, and from 2 CoPs on it is the right model for the respondent-level
#: drivers (respondents of one CoP are not independent); what few CoPs limit is what can be
#: learnt about the CoPs themselves, which the output says (see :data:`SIGMA_MIN_COPS`).
MIXED_MIN_COPS = 2

#: Fewest CoPs for the between-CoP SD to be estimated with any precision. Below it the mixed
#: model is still fitted, but the output says that sigma is imprecise and that CoP-level drivers
#: rest on at most ``G - 1`` degrees of freedom. Simulation studies of multilevel models (Maas
#: and Hox 2005; McNeish and Stapleton 2016) find variance components biased and their
#: intervals unreliable with fewer than about 10 groups.
SIGMA_MIN_COPS = 10

#: Fewest between-CoP degrees of freedom (:attr:`CoPLevelDrivers.df_between`) for a test or
#: interval of a CoP-level driver. With fewer, its tests are withheld (p and interval n/a, the
#: verdict inconclusive, the evidence says why). Chosen from simulation
#: (``benchmarks/few_cops_inference.py``, 200 surveys per cell, random-intercept model,
#: Student's t on the between-CoP df): with 1 df (7 CoPs and the five CoP-level columns of the
#: paper's design) or 2 df (8 CoPs) the 95% intervals of steward types and leader changes
#: covered 99.5-100% of the time and the tests never rejected under the null: nothing is
#: learnt about those drivers, so nothing is claimed. With 3 df (9 CoPs) coverage was
#: 94.5-98% and the null rejected 3.5% of the time; with 4 df (10 CoPs) 93.5-98%.
COP_LEVEL_MIN_DF = 3

_OBJECTIVES: tuple[str, ...] = _schema.OBJECTIVES
#: Stands for "at least one att_<objective> column" in a claim's variables.
_ATT = "att_*"
#: Stands for "at least one imp_<objective> column".
_IMP = "imp_*"
_COMMITMENT = ("commitment_1", "commitment_2", "commitment_3")


# ---------------------------------------------------------------------------------------------
# the claims as data
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Claim:
    id: str
    statement: str
    where: str
    required: tuple[tuple[str, ...], ...]  # each group needs at least one of its columns
    optional: tuple[str, ...]
    rule: str

    @property
    def variables(self) -> tuple[str, ...]:
        seen = [c for group in self.required for c in group] + list(self.optional)
        return tuple(dict.fromkeys(seen))


_MODEL = (
    "In the attainment model (ordinal model of the T2 attainment level on the default "
    "drivers, with a random intercept per CoP; see the module notes)"
)

_EQUIVALENCE = (
    "Equivalence margin: an odds ratio of a higher attainment level within [0.8, 1.25] "
    "(SESOI_ODDS_RATIO), per SD of a numeric driver, per contrast of a yes/no driver or of two "
    "levels of a category. Supports: every effect's 1 - 2 alpha interval lies inside the margin "
    "(two one-sided tests at alpha; all must pass, so no adjustment); contradicts: an effect's "
    "1 - alpha / k interval (Bonferroni over the k effects) lies entirely outside it; otherwise "
    "inconclusive, saying why (intervals wider than the margin: the data cannot show "
    "equivalence). Estimate, CI (1 - 2 alpha) and p (equivalence): the effect furthest from "
    "equivalence."
)

_CLAIMS: tuple[_Claim, ...] = (
    _Claim(
        "C1",
        "Commitment / motivation of participants is a key driver of attainment",
        "abstract; 3.3; conclusion",
        (_COMMITMENT, (_ATT,)),
        (),
        f"{_MODEL}, the coefficient of commitment (mean of commitment_1..3). Supports: > 0 "
        "with p < alpha; contradicts: < 0 with p < alpha; otherwise inconclusive.",
    ),
    _Claim(
        "C2",
        "Presence (and dynamism) of a leader, animator or steward is essential; frequent "
        "leader changes hurt",
        "abstract; 3.1; conclusion",
        (("steward_active", "steward_type"), (_ATT,)),
        ("leader_changes",),
        f"{_MODEL}: steward part, the coefficient of steward_active (the steward's rated "
        "activity), or without it a joint Wald test of steward_designated and steward_dedicated "
        "against no steward, signed when all their coefficients share a sign; leader part, the "
        "coefficient of leader_changes. Supports: steward part > 0 with p < alpha and leader "
        "changes not significantly > 0; contradicts: steward part < 0 with p < alpha, or "
        "leader_changes > 0 with p < alpha; otherwise inconclusive. Estimate, CI and p are the "
        "steward part's.",
    ),
    _Claim(
        "C3",
        "Voluntary participation is essential to induce cooperation",
        "3.3; conclusion",
        (("voluntary",), (_ATT,)),
        (),
        f"{_MODEL}, the coefficient of voluntary (joined by choice against designated). "
        "Supports: > 0 with p < alpha; contradicts: < 0 with p < alpha; otherwise inconclusive.",
    ),
    _Claim(
        "C4",
        "Prior acquaintance helps but is not a sufficient condition",
        "3.3",
        (("prior_acquaintance",), _COMMITMENT, (_ATT,)),
        (),
        f"{_MODEL}. Helps: the coefficient of prior_acquaintance > 0, one-sided at alpha (the "
        "lower end of its 1 - 2 alpha interval above 0). Not sufficient: its standardised effect "
        "(coefficient times SD) below commitment's, one-sided at alpha (Wald test of their "
        "difference). Supports: both hold (both must, so alpha bounds the error); contradicts: "
        "the coefficient < 0, or the standardised effect above commitment's, each with two-sided "
        "p < alpha (one-sided at alpha / 2); otherwise inconclusive, saying which half is not "
        "shown. Estimate, CI (1 - 2 alpha) and p (one-sided): the coefficient.",
    ),
    _Claim(
        "C5",
        "Training and organisational support are not key factors",
        "conclusion",
        (("training_received", "org_support"), (_ATT,)),
        (),
        f"{_MODEL}, the effects of training_received (yes against no) and of org_support (per "
        f"SD). {_EQUIVALENCE}",
    ),
    _Claim(
        "C6",
        "The technology used is not a determinant variable",
        "2; 3.1",
        (("tech_mastery", "platform"), (_ATT,)),
        (),
        f"{_MODEL}: tech_mastery's effect per SD and, if the platform varies, every pair of "
        "platforms in the model refitted with the platform's dummies (a CoP attribute: learnt "
        "from the CoPs, with the between-CoP degrees of freedom; collinear with the other CoP "
        "attributes it cannot be shown not to matter). "
        f"{_EQUIVALENCE} Also reported: a score test of any platform difference, its p from "
        "permutations of the platforms among the CoPs.",
    ),
    _Claim(
        "C7",
        "Women rate the importance of objectives higher; attainment differs little by gender",
        "3.2, Table 1",
        (("gender",), (_IMP,)),
        (_ATT,),
        "Importance part: per respondent, the mean of the answered imp_<objective> ratings; "
        "Welch t-test women minus men, gap > 0 with p < alpha supports, < 0 with p < alpha "
        "contradicts. Attainment part ('differs little'): the log odds ratio of a higher "
        "attainment level (as in the attainment model), women against men, in an ordinal "
        "model with a fixed effect per CoP (so within CoPs); supports when its 1 - 2 alpha "
        "interval lies inside the equivalence margin [0.8, 1.25] (SESOI_ODDS_RATIO; two "
        "one-sided tests), contradicts when its 1 - alpha interval lies entirely outside it, "
        "else inconclusive (without att_ columns the part is left out). Supports: every part "
        "supports; "
        "contradicts: a part contradicts; otherwise inconclusive. Estimate, CI and p: the "
        "importance gap. Also reported: on how many objectives women's mean importance is "
        "higher, per-objective t-tests in Table 1's layout (copfactors.replicate."
        "group_comparison) and the gap of the attainment index.",
    ),
    _Claim(
        "C8",
        "Women spend about twice as much time per week as men",
        "3.3",
        (("gender",), ("hours_per_week",)),
        (),
        "Ratio of women's to men's mean hours_per_week with a delta-method CI (on the log "
        "ratio); p tests a ratio of 1. Supports: the CI lies above 1 and contains 2; "
        "contradicts: the CI lies entirely outside [1.5, 2.5] (the ratio is clearly not about "
        "two); otherwise inconclusive.",
    ),
    _Claim(
        "C9",
        "Participants aged 50 or over appreciate the CoP less than younger ones",
        "3.2 (sources of satisfaction)",
        (("age_band",), (_ATT,)),
        (),
        f"{_MODEL}, the coefficient of age_50_plus (against 35-49, the largest band); the "
        "survey has no satisfaction items, so attainment stands in for appreciation. Supports: "
        "< 0 with p < alpha; contradicts: > 0 with p < alpha; otherwise inconclusive.",
    ),
    _Claim(
        "C10",
        "Schooling, professional category and language are not significant",
        "3.1",
        (("schooling", "professional_category", "language"), (_ATT,)),
        (),
        "Each of schooling, professional_category and language present: every pair of its "
        "levels compared within CoPs, in an ordinal model of the attainment level on the "
        "attainment model's drivers, a fixed effect per CoP and the column's dummies "
        "(model-based standard errors); a pair no CoP holds together cannot be compared within "
        "CoPs and is not tested (a column nested in CoPs cannot stand in for differences "
        f"between CoPs); a column with no such pair is untestable. {_EQUIVALENCE} Also "
        "reported: a score test of any difference, its p from permutations within CoPs.",
    ),
    _Claim(
        "C11",
        "Lack of time and of employer recognition are the main sources of dissatisfaction",
        "3.3",
        (("employer_recognition",),),
        ("peer_recognition", "org_support", "hours_per_week", _ATT),
        "Recognition part: the mean agreement with 'My employer recognises my participation' "
        "(employer_recognition, 1-5) against the midpoint 3 (one-sample t-test) and against "
        "peer_recognition and org_support (paired t-tests). Supports: below 3 with p < alpha and "
        "significantly below each of the other items present; contradicts: above 3 with "
        "p < alpha. Time part (when hours_per_week and att_ columns are present): the "
        "coefficient of hours_per_week in the attainment model, > 0 with p < alpha supports "
        "(more time, more attainment), < 0 with p < alpha contradicts. Supports: every part "
        "present supports; contradicts: a part contradicts; otherwise inconclusive. Estimate, "
        "CI and p: mean employer_recognition and its test against 3.",
    ),
    _Claim(
        "C12",
        "Attainment is below importance for nearly every objective",
        "Table 1",
        ((_IMP,), (_ATT,)),
        (),
        "For each objective with both columns, mean attainment (T2 answers) against mean "
        "importance (T1 answers), as in Table 1; 'nearly every' is at least 80% of the "
        "objectives. The same people answer every objective, so the uncertainty comes from a "
        "respondent-level bootstrap (n_permutations resamples of whole respondents; the CoPs "
        "are resampled from 10 CoPs on, respondents within each CoP below that). Supports: the "
        "share of objectives with attainment below importance is >= 0.8, and so is its "
        "one-sided bootstrap bound at alpha (the alpha quantile of the resampled shares); "
        "contradicts: its upper bound (the 1 - alpha quantile) is <= 0.5; otherwise "
        "inconclusive. Estimate: the share; CI: the two bounds (a 1 - 2 alpha interval). Also "
        "reported: the mean gap and its bootstrap interval.",
    ),
    _Claim(
        "C13",
        "Learning and new problem-solving were relatively well attained, though not rated most "
        "important at T1",
        "3.1",
        (
            ("att_learning",),
            ("imp_learning",),
            ("att_problem_solving",),
            ("imp_problem_solving",),
            (_ATT,),
        ),
        (),
        "Objectives ranked by mean attainment and by mean importance (1 = highest; tied "
        "objectives share the mean of their ranks), over the objectives with both columns (at "
        "least 6), in the data and in C12's respondent-level bootstrap. Supports: learning and "
        "problem_solving each rank in the top third of attainment (rank <= k / 3) and better "
        "in attainment than in importance, and so do their one-sided bootstrap bounds at alpha "
        "(the 1 - alpha quantiles of the attainment rank and of attainment rank minus "
        "importance rank), so objectives tied on attainment never support; contradicts: either "
        "ranks in the bottom third of attainment in at least 1 - alpha / 2 of the resamples; "
        "otherwise inconclusive. Estimate: the worse of their two attainment ranks, with its "
        "1 - alpha bootstrap interval.",
    ),
)
_BY_ID = {c.id: c for c in _CLAIMS}


def paper_claims() -> pd.DataFrame:
    """The paper's thirteen conclusions as data, each with the rule that tests it.

    Returns
    -------
    pandas.DataFrame
        One row per claim, C1 to C13, with columns ``id``, ``statement``, ``where`` (section of
        the paper), ``variables`` (tuple of the codebook columns the rule reads; ``"att_*"``
        and ``"imp_*"`` stand for the ``att_<objective>`` and ``imp_<objective>`` columns, at
        least one needed) and ``rule`` (the decision rule in words; ``alpha`` is the
        significance level of :func:`compare_with_paper`).

    Examples
    --------
    >>> from copfactors.claims import paper_claims
    >>> claims = paper_claims()
    >>> claims.shape
    (13, 5)
    >>> claims.loc[claims["id"] == "C3", "variables"].item()
    ('voluntary', 'att_*')
    """
    return pd.DataFrame(
        [
            {
                "id": c.id,
                "statement": c.statement,
                "where": c.where,
                "variables": c.variables,
                "rule": c.rule,
            }
            for c in _CLAIMS
        ],
        columns=list(CLAIM_COLUMNS),
    )


def claim_requirements() -> dict[str, tuple[tuple[str, ...], ...]]:
    """The columns each claim needs before its rule can run, as groups of alternatives.

    These are the groups :func:`compare_with_paper` checks first: a claim with a group of which
    the survey has no column (or only columns without any answer) is ``"not testable"``
    without being evaluated. A claim whose groups are all present can still be not testable on
    the data (too few answers, an attainment model that cannot be fitted, a driver left out
    as collinear): only :func:`compare_with_paper` says that.

    Returns
    -------
    dict
        Claim id, ``"C1"`` to ``"C13"`` in order, to a tuple of column groups: the claim needs
        at least one column of every group. ``"att_*"`` and ``"imp_*"`` stand for any
        ``att_<objective>`` and ``imp_<objective>`` column.

    Examples
    --------
    >>> from copfactors.claims import claim_requirements
    >>> req = claim_requirements()
    >>> list(req)[:3], req["C3"]
    (['C1', 'C2', 'C3'], (('voluntary',), ('att_*',)))
    >>> req["C2"][0]
    ('steward_active', 'steward_type')
    """
    return {c.id: c.required for c in _CLAIMS}


# ---------------------------------------------------------------------------------------------
# small statistics
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Test:
    """An estimate with its interval and two-sided p (NaN where not defined)."""

    estimate: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    p: float = math.nan
    null: float = 0.0  # the value p tests

    def significant(self, alpha: float) -> bool:
        return bool(np.isfinite(self.p) and self.p < alpha)

    def sign(self, alpha: float) -> int:
        """+1 or -1 when significantly above or below the null value, else 0."""
        if not self.significant(alpha) or not np.isfinite(self.estimate):
            return 0
        return int(np.sign(self.estimate - self.null))


def _direction(test: _Test, alpha: float, expected: int) -> str:
    s = test.sign(alpha)
    if s == 0:
        return "inconclusive"
    return "supports" if s == expected else "contradicts"


def _combine(parts: Iterable[str]) -> str:
    parts = list(parts)
    if "contradicts" in parts:
        return "contradicts"
    if parts and all(p == "supports" for p in parts):
        return "supports"
    return "inconclusive"


def _num(x: float, digits: int = 2) -> str:
    if not np.isfinite(x):
        return "n/a"
    return f"{x:.{digits}f}"


def _p_text(p: float) -> str:
    if not np.isfinite(p):
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _ci_text(t: _Test, level: float, digits: int = 2) -> str:
    ci = f"{level:g}% CI {_num(t.ci_low, digits)} to {_num(t.ci_high, digits)}"
    return f"{_num(t.estimate, digits)} ({ci}, {_p_text(t.p)})"


def _welch(x: np.ndarray, y: np.ndarray, alpha: float) -> _Test:
    """Welch t-test and interval of mean(x) - mean(y)."""
    from scipy import stats

    if len(x) < 2 or len(y) < 2:
        return _Test(float(np.mean(x) - np.mean(y)) if len(x) and len(y) else math.nan)
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    diff = float(x.mean() - y.mean())
    se = math.sqrt(vx + vy)
    if se == 0:
        return _Test(diff)
    df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    q = float(stats.t.ppf(1 - alpha / 2, df))
    p = float(2 * stats.t.sf(abs(diff / se), df))
    return _Test(diff, diff - q * se, diff + q * se, p)


def _one_sample(x: np.ndarray, mu: float, alpha: float) -> _Test:
    """Mean of x with its t interval, and the two-sided t-test of mean = mu."""
    from scipy import stats

    m = float(x.mean()) if len(x) else math.nan
    if len(x) < 2:
        return _Test(m, null=mu)
    se = float(x.std(ddof=1) / math.sqrt(len(x)))
    if se == 0:
        return _Test(m, m, m, 0.0 if m != mu else 1.0, null=mu)
    q = float(stats.t.ppf(1 - alpha / 2, len(x) - 1))
    p = float(2 * stats.t.sf(abs((m - mu) / se), len(x) - 1))
    return _Test(m, m - q * se, m + q * se, p, null=mu)


def _holm(p: Sequence[float]) -> list[float]:
    order = np.argsort(p)
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


# ---------------------------------------------------------------------------------------------
# reading the survey
# ---------------------------------------------------------------------------------------------
def _numeric(survey: pd.DataFrame, column: str) -> pd.Series:
    """A column as floats (NaN where missing); a non-numeric answer is an error naming it."""
    from copfactors.errors import FeatureError

    s = survey[column]
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("Float64").astype(float)
    out = pd.to_numeric(s, errors="coerce")
    bad = out.isna() & s.notna()
    if bad.any():
        first = bad.to_numpy().nonzero()[0][:5]
        raise FeatureError(
            f"column {column!r} is not numeric: values {s.iloc[first].tolist()} in rows "
            f"{[int(i) + 1 for i in first]}"
        )
    return out.astype(float)


def _labels(survey: pd.DataFrame, column: str) -> pd.Series:
    """A categorical or text column as stripped strings (None where missing or blank)."""
    s = survey[column].astype(object)
    out = s.map(lambda v: None if pd.isna(v) or str(v).strip() == "" else str(v).strip())
    return out.astype(object)


_PREFIX_OF = {_ATT: "att_", _IMP: "imp_"}


def _has(survey: pd.DataFrame, column: str) -> bool:
    if column in _PREFIX_OF:
        return any(f"{_PREFIX_OF[column]}{o}" in survey.columns for o in _OBJECTIVES)
    return column in survey.columns


def _missing_for(claim: _Claim, survey: pd.DataFrame) -> tuple[tuple[str, ...], list[str]]:
    """Absent columns of a claim, and its required groups that are entirely absent."""
    absent = tuple(c for c in claim.variables if not _has(survey, c))
    lacking = [" or ".join(g) for g in claim.required if not any(_has(survey, c) for c in g)]
    return absent, lacking


def _t2_answers(survey: pd.DataFrame, column: str) -> pd.Series:
    """Answers of an att_ column, without respondents known not to have answered T2."""
    values = _numeric(survey, column)
    if "responded_t2" in survey.columns:
        flag = survey["responded_t2"].astype("boolean")
        values = values.mask(flag.eq(False).fillna(False).to_numpy(dtype=bool))
    return values


# ---------------------------------------------------------------------------------------------
# respondents nested in CoPs: the CoP-level drivers and the choice of model
# ---------------------------------------------------------------------------------------------
def feature_sources(builder: Any) -> dict[str, str]:
    """The survey column (feature group) each feature of a fitted feature builder comes from.

    Parameters
    ----------
    builder : CoPFeatureBuilder
        Fitted (its ``report_`` lists each group's features).

    Returns
    -------
    dict of str to str
        Feature name to group name (a codebook column such as ``"steward_type"``, or a scale
        such as ``"commitment"``).

    Examples
    --------
    >>> from copfactors.datasets import load_example_survey
    >>> from copfactors.features import CoPFeatureBuilder
    >>> sources = feature_sources(CoPFeatureBuilder().fit(load_example_survey()))
    >>> sources["steward_dedicated"], sources["commitment"]
    ('steward_type', 'commitment')
    """
    report = getattr(builder, "report_", None)
    if not isinstance(report, pd.DataFrame):
        raise CopFactorsError("feature_sources needs a fitted CoPFeatureBuilder")
    out: dict[str, str] = {}
    for rec in report.itertuples(index=False):
        for name in str(rec.features).split(","):
            if name.strip():
                out[name.strip()] = str(rec.group)
    return out


_COP_LEVEL_COLUMNS = (
    "driver",
    "source",
    "role",
    "in_model",
    "n_values",
    "singles_out",
    "combination_of",
    "confounded_with",
)


@dataclass(frozen=True, eq=False)
class CoPLevelDrivers:
    """What a survey's CoPs can tell about the drivers that are the same within each CoP.

    A CoP-level driver (constant within every CoP: the codebook's CoP attributes, steward
    type, sponsor, leader changes, platform, and any other driver that happens to be) is
    learnt from differences between the ``G`` CoPs only: all of them together have at most
    ``G - 1`` degrees of freedom, shared with the between-CoP variance. Two of them with the
    same pattern across the CoPs (one a linear combination of others) are confounded: the data
    cannot tell their effects apart. One that singles out a single CoP is confounded with that
    CoP: its effect is the CoP's difference from the others, whatever its cause.

    Attributes
    ----------
    n_cops : int
    table : pandas.DataFrame
        One row per CoP-level driver: ``driver``, ``source`` (survey column), ``role`` (its
        codebook role, "" if none), ``in_model`` (bool), ``n_values`` (distinct values over the
        CoPs), ``singles_out`` (the one CoP whose value differs from all the others', or ""),
        ``combination_of`` (tuple of the CoP-level drivers, the model's first, of which it is
        a linear combination over the CoPs, with the intercept) and ``confounded_with`` (tuple
        of every CoP-level driver it is collinear with, either way).
    rank : int
        Rank over the CoPs of the intercept and the CoP-level drivers in the model.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 1, 0, 0, 0, 0], "b": [1.0, 1, 0, 0, 0, 0],
    ...                   "x": [0.1, 0.5, 0.3, 0.2, 0.9, 0.4]})
    >>> survey = pd.DataFrame({"cop_id": ["p", "p", "q", "q", "r", "r"]})
    >>> check = cop_level_drivers(survey, X, in_model=["a", "x"])
    >>> check.table[["driver", "in_model", "singles_out", "combination_of"]].values.tolist()
    [['a', True, 'p', ()], ['b', False, 'p', ('a',)]]
    >>> check.rank, check.df_between
    (2, 1)
    """

    n_cops: int
    table: pd.DataFrame
    rank: int

    @property
    def df_between(self) -> int:
        """Degrees of freedom between CoPs left by the model's CoP-level drivers: ``G - rank``."""
        return self.n_cops - self.rank

    @property
    def in_model(self) -> list[str]:
        """The CoP-level drivers of the model."""
        return self.table.loc[self.table["in_model"].astype(bool), "driver"].tolist()

    @property
    def confounded(self) -> list[str]:
        """The CoP-level drivers collinear with others over the CoPs, or singling out one CoP."""
        t = self.table
        bad = t["confounded_with"].map(len).gt(0) | (t["singles_out"].ne("") & t["in_model"])
        return t.loc[bad, "driver"].tolist()

    def lines(self) -> list[str]:
        """What can be learnt about the CoP-level drivers, in sentences."""
        G, t = self.n_cops, self.table
        if t.empty:
            return [
                f"No driver is the same for every respondent of a CoP: the {G} CoPs limit no "
                "driver directly."
            ]
        model = self.in_model
        out = [
            f"CoP-level drivers (the same for every respondent of a CoP): "
            f"{', '.join(t['driver'])}. They are learnt from differences between {G} CoPs "
            f"only: together they have at most {G - 1} degrees of freedom, shared with the "
            f"between-CoP SD; the {len(model)} in the model take {self.rank - 1}, leaving "
            f"{self.df_between} for the between-CoP variation they do not explain."
        ]
        if model and self.df_between <= 0:
            out.append(
                "The CoP-level drivers in the model use every degree of freedom the CoPs have: "
                "together they are confounded with the CoP itself (any difference between CoPs "
                "is attributed to them), and nothing is left to tell them from the between-CoP "
                "variation."
            )
        for rec in t.itertuples(index=False):
            others = list(rec.combination_of)
            if not others:
                continue
            if len(others) == 1:
                text = (
                    f"Confounded: {rec.driver} has the same pattern over the {G} CoPs as "
                    f"{others[0]}, so the data cannot tell their effects apart"
                )
            else:
                text = (
                    f"Confounded: {rec.driver} is a combination of {', '.join(others[:-1])} and "
                    f"{others[-1]} over the {G} CoPs, so the data cannot tell its effect from "
                    "theirs"
                )
            if not rec.in_model:
                text += (
                    f"; it is not in the model, and what the model attributes to "
                    f"{' and '.join(others)} may as well be its effect"
                )
            out.append(text + ".")
        for rec in t.itertuples(index=False):
            if rec.singles_out and rec.in_model:
                out.append(
                    f"{rec.driver} singles out one CoP ({rec.singles_out}): its effect is that "
                    "CoP's difference from the others, confounded with anything else about it."
                )
        return out


def _first_per_cop(values: pd.Series, groups: np.ndarray, cops: list[Any]) -> np.ndarray | None:
    """Each CoP's value of a column, or None when the column varies within a CoP."""
    frame = pd.DataFrame({"v": values.to_numpy(), "g": groups})
    frame = frame[frame["v"].notna()]
    if frame.empty or (frame.groupby("g")["v"].nunique() > 1).any():
        return None
    first = frame.groupby("g")["v"].first()
    if not set(cops) <= set(first.index):
        return None
    return first.loc[cops].to_numpy()


def cop_level_drivers(
    survey: pd.DataFrame,
    X: pd.DataFrame,
    *,
    cluster: str = "cop_id",
    in_model: Sequence[str] | None = None,
    sources: dict[str, str] | None = None,
) -> CoPLevelDrivers:
    """Find the drivers that are the same within each CoP, and which are confounded.

    Parameters
    ----------
    survey : pandas.DataFrame
        The survey (its ``cluster`` column gives each respondent's CoP; its codebook columns of
        role ``"cop"`` that are not among the features, such as ``platform``, are checked too,
        as dummies against their most frequent level).
    X : pandas.DataFrame
        Driver features of the model's respondents (index into ``survey``), including those
        left out of the model, so that what they are confounded with is said.
    cluster : str, default "cop_id"
    in_model : sequence of str, optional
        The model's features (default: every column of ``X``).
    sources : dict, optional
        Feature to survey column (:func:`feature_sources`), for the codebook role.

    Returns
    -------
    CoPLevelDrivers
    """
    from copfactors.schema import CODEBOOK

    if cluster not in survey.columns:
        raise CopFactorsError(f"the survey has no column {cluster!r} of the CoPs")
    labels = _labels(survey.loc[X.index], cluster)
    keep = labels.notna().to_numpy()
    X = X.loc[keep]
    groups = labels[keep].to_numpy(dtype=object)
    cops = sorted(pd.unique(groups).tolist(), key=str)
    G = len(cops)
    model = set(X.columns if in_model is None else in_model)
    sources = dict(sources or {})
    columns: dict[str, np.ndarray] = {}
    source_of: dict[str, str] = {}
    for name in X.columns:
        values = _first_per_cop(X[name].astype(float), groups, cops)
        if values is not None:
            columns[name] = values.astype(float)
            source_of[name] = sources.get(name, name)
    used = set(sources.values()) | set(X.columns)
    for var in CODEBOOK.by_role("cop"):
        if var.name in used or var.name not in survey.columns:
            continue
        lab = _labels(survey.loc[X.index], var.name)
        values = _first_per_cop(lab, groups, cops)
        if values is None or len(set(values.tolist())) < 2:
            continue
        reference = pd.Series(values).value_counts().index[0]
        for level in sorted({str(v) for v in values} - {str(reference)}):
            name = f"{var.name}={level}"
            columns[name] = np.array([str(v) == level for v in values], dtype=float)
            source_of[name] = var.name
    # the model's drivers first: what is left out is said to be confounded with them
    order = [c for c in columns if c in model] + [c for c in columns if c not in model]
    basis_names: list[str] = []
    basis = [np.ones(G)]
    with_: dict[str, set[str]] = {c: set() for c in order}
    of: dict[str, list[str]] = {c: [] for c in order}
    for name in order:
        v = columns[name]
        A = np.column_stack(basis)
        coef, *_ = np.linalg.lstsq(A, v, rcond=None)
        resid = v - A @ coef
        if float(resid @ resid) <= 1e-10 * max(float((v - v.mean()) @ (v - v.mean())), 1e-12):
            partners = [basis_names[i - 1] for i in range(1, len(coef)) if abs(coef[i]) > 1e-8]
            of[name] = partners
            with_[name] |= set(partners)
            for other in partners:
                with_[other].add(name)
        else:
            basis.append(v)
            basis_names.append(name)
    in_model_cols = [c for c in order if c in model]
    rank = int(
        np.linalg.matrix_rank(np.column_stack([np.ones(G)] + [columns[c] for c in in_model_cols]))
    )
    rows = []
    for name in order:
        v = columns[name]
        counts = pd.Series(v).value_counts()
        singles = ""
        if G > 2 and len(counts) == 2 and counts.min() == 1:
            odd = counts.idxmin()
            singles = str(cops[int(np.flatnonzero(v == odd)[0])])
        src = source_of[name]
        role = CODEBOOK[src].role if src in CODEBOOK else ""
        rows.append(
            {
                "driver": name,
                "source": src,
                "role": role,
                "in_model": name in model,
                "n_values": int(len(counts)),
                "singles_out": singles,
                "combination_of": tuple(of[name]),
                "confounded_with": tuple(c for c in order if c in with_[name]),
            }
        )
    table = pd.DataFrame(rows, columns=list(_COP_LEVEL_COLUMNS))
    return CoPLevelDrivers(G, table, rank)


_COVARIANCE_TEXT = {
    "model-based": "model-based (Wald z)",
    "cluster": "cluster-robust by CoP",
    "robust": "robust (HC0), respondents treated as independent",
}


@dataclass(frozen=True, eq=False)
class ModelChoice:
    """Which attainment model was fitted to respondents nested in CoPs, and why.

    Attributes
    ----------
    model : {"mixed", "fixed"}
        ``"mixed"``: a random intercept per CoP
        (:class:`~copfactors.models.MixedOrdinalRegression`, or when its SD is estimated at 0
        the :class:`~copfactors.models.OrdinalRegression` it reduces to, see
        :attr:`sigma_at_zero`); ``"fixed"``: an :class:`~copfactors.models.OrdinalRegression`.
    covariance : {"model-based", "cluster", "robust"}
        Where the standard errors come from.
    reason : str
        Why this model, in one or two sentences.
    link : str
    n : int
        Respondents fitted.
    n_cops : int or None
        CoPs among them (None: unknown).
    n_params : int
        Thresholds and coefficients.
    cluster_rank : int or None
        Rank of the cluster-robust covariance by CoP on the same data (None: not computed).
    cop_level : CoPLevelDrivers or None
    notes : tuple of str
        Warnings of the fits.
    sigma_at_zero : bool
        The random-intercept SD is estimated at 0, its boundary: the model returned is then
        the :class:`~copfactors.models.OrdinalRegression` it reduces to, with model-based
        (``"nonrobust"``) standard errors.

    Examples
    --------
    >>> choice = ModelChoice("mixed", "model-based", "respondents are nested in CoPs", "logit",
    ...                      95, 7, 19, 6)
    >>> choice.label.startswith("cumulative logit model with a random intercept per CoP")
    True
    >>> choice.cluster_rank_deficient
    True
    """

    model: str
    covariance: str
    reason: str
    link: str
    n: int
    n_cops: int | None
    n_params: int
    cluster_rank: int | None = None
    cop_level: CoPLevelDrivers | None = None
    notes: tuple[str, ...] = ()
    sigma_at_zero: bool = False

    @property
    def mixed(self) -> bool:
        """Whether the model has a random intercept per CoP."""
        return self.model == "mixed"

    @property
    def cluster_rank_deficient(self) -> bool:
        """Whether the cluster-robust covariance by CoP has lower rank than the parameters."""
        return self.cluster_rank is not None and self.cluster_rank < self.n_params

    @property
    def label(self) -> str:
        """The model and its standard errors, in a few words."""
        what = (
            f"cumulative {self.link} model with a random intercept per CoP (mixed"
            + ("; its SD estimated at 0)" if self.sigma_at_zero else ")")
            if self.mixed
            else f"cumulative {self.link} model without random intercept"
        )
        return f"{what}, {_COVARIANCE_TEXT[self.covariance]} standard errors"

    def lines(self, cop_level: bool = True) -> list[str]:
        """Which model and why, what the cluster-robust covariance would give, and (with
        ``cop_level``) what the CoPs can tell about the CoP-level drivers, in sentences."""
        out = [f"Model: {self.label}. {self.reason}"]
        G = self.n_cops
        if self.cluster_rank is not None and self.covariance != "cluster":
            if self.cluster_rank_deficient:
                out.append(
                    f"The cluster-robust covariance by CoP is not used: over {G} CoPs it has rank "
                    f"{self.cluster_rank} for {self.n_params} parameters (at most G - 1 = "
                    f"{(G or 1) - 1}), so it cannot give every coefficient an interval."
                )
            elif self.mixed:
                out.append(
                    f"The cluster-robust covariance by CoP (of full rank over {G} CoPs) is not "
                    "needed: the random intercept models the correlation within CoPs."
                )
        if self.mixed and G is not None:
            if G < SIGMA_MIN_COPS:
                out.append(
                    f"Few CoPs ({G}, fewer than {SIGMA_MIN_COPS}): the between-CoP SD is "
                    "estimated imprecisely (see its interval). The random intercept is still the "
                    "right model for the respondent-level drivers; what so few CoPs limit is "
                    "what can be learnt about the CoPs themselves."
                )
            else:
                out.append(
                    f"{G} CoPs (at least {SIGMA_MIN_COPS}): enough for the between-CoP SD to be "
                    "estimated with some precision."
                )
        if cop_level and self.cop_level is not None:
            out.extend(self.cop_level.lines())
        return out


def _sigma_of(model: Any) -> float:
    """The random-intercept SD of a (possibly failed) mixed fit, NaN when unknown.

    A fit that failed on the way (at the boundary, the interval of ``log sigma`` overflows)
    still holds its estimates in ``params_``.
    """
    sigma = getattr(model, "sigma_", None)
    if sigma is not None and np.isfinite(sigma):
        return float(sigma)
    params = getattr(model, "params_", None)
    if isinstance(params, pd.Series) and "log_sigma" in params.index:
        value = float(params["log_sigma"])
        return math.exp(value) if np.isfinite(value) and value < 700 else math.nan
    return math.nan


#: Below this SD the random intercept is at its boundary 0: the mixed model is the fixed one.
_SIGMA_BOUNDARY = 1e-3


def fit_cop_model(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    groups: pd.Series | None,
    link: str = "logit",
    alpha: float = 0.05,
    cop_level: CoPLevelDrivers | None = None,
    no_groups: str = "the CoP of each respondent is not known",
) -> tuple[Any, ModelChoice]:
    """Fit the attainment model of respondents nested in CoPs, and say which model and why.

    From :data:`MIXED_MIN_COPS` CoPs on the model has a random intercept per CoP
    (:class:`~copfactors.models.MixedOrdinalRegression`, model-based standard errors). When
    its SD goes to 0 (the boundary: the CoPs differ no more than their drivers explain) the
    mixed model is the fixed one, returned with model-based standard errors
    (:attr:`ModelChoice.sigma_at_zero`). When it cannot be
    fitted otherwise, or without CoPs, the model has no random intercept and its covariance
    is cluster-robust by CoP if that has full rank (at least :data:`MIN_CLUSTERS` CoPs), else
    robust (HC0). A rank-deficient cluster-robust covariance is never used; its rank is
    reported (:attr:`ModelChoice.cluster_rank`).

    Parameters
    ----------
    X : pandas.DataFrame
        Independent driver features.
    y : pandas.Series
        Outcome (ordinal levels, or 0/1).
    groups : pandas.Series or None
        Each row's CoP (no missing value), or None when unknown.
    link : str, default "logit"
    alpha : float, default 0.05
        Level of the intervals (``1 - alpha``).
    cop_level : CoPLevelDrivers, optional
        Attached to the choice (what the CoPs can tell about CoP-level drivers).
    no_groups : str
        Why ``groups`` is None, for the reason.

    Returns
    -------
    model : MixedOrdinalRegression or OrdinalRegression
    choice : ModelChoice

    Examples
    --------
    >>> from copfactors.datasets import make_survey
    >>> from copfactors.features import CoPFeatureBuilder, attainment
    >>> survey = make_survey(seed=1, mode="parametric", n_respondents=300, n_cops=12, cop_sd=1.0)
    >>> y = attainment(survey, kind="ordinal").dropna().astype(int)
    >>> X = CoPFeatureBuilder().fit_transform(survey.loc[y.index])[["commitment", "voluntary"]]
    >>> model, choice = fit_cop_model(X, y.loc[X.index], groups=survey.loc[X.index, "cop_id"])
    >>> choice.model, choice.covariance, model.n_groups_
    ('mixed', 'model-based', 12)
    """
    from copfactors.models import MixedOrdinalRegression, OrdinalRegression

    yv = y.astype("int64").to_numpy()

    def caught(log: list[warnings.WarningMessage], what: str) -> list[str]:
        return [
            f"{what}: {' '.join(str(w.message).split())}"
            for w in log
            if not issubclass(w.category, DeprecationWarning | PendingDeprecationWarning)
        ]

    def fixed(cov_type: str, g: np.ndarray | None = None) -> tuple[Any, list[str]]:
        with warnings.catch_warnings(record=True) as log:
            warnings.simplefilter("always")
            model = OrdinalRegression(link=link, cov_type=cov_type, alpha=alpha).fit(
                X, yv, groups=g
            )
        return model, caught(log, "attainment model")

    n = len(X)
    n_params = X.shape[1] + len(np.unique(yv)) - 1
    G = None if groups is None else int(pd.unique(groups.to_numpy(dtype=object)).size)

    def choice(
        kind: str, cov: str, reason: str, rank: int | None, notes: list[str], **kw: Any
    ) -> ModelChoice:
        return ModelChoice(
            kind, cov, reason, link, n, G, n_params, rank, cop_level, tuple(notes), **kw
        )

    if groups is None or G is None or G < MIXED_MIN_COPS:
        why = no_groups if groups is None else f"the respondents come from {G} CoP only"
        model, notes = fixed("robust")
        return model, choice(
            "fixed",
            "robust",
            f"No random intercept: {why}, so the respondents are treated as independent.",
            None,
            notes,
        )
    g = groups.to_numpy(dtype=object).astype(str)
    clustered, cluster_notes = fixed("cluster", g)
    # relative tolerance: a separated fit leaves round-off directions far above machine epsilon;
    # the infinite estimates of a separated fit have NaN covariances: the rank is of the rest
    cov = clustered.cov_.to_numpy(dtype=float)
    kept = ~np.isnan(np.diag(cov))
    sv = np.linalg.svd(cov[np.ix_(kept, kept)], compute_uv=False)
    rank = int(np.sum(sv > 1e-8 * sv[0])) if sv.size and sv[0] > 0 else 0
    failure = ""
    mixed = MixedOrdinalRegression(link=link, alpha=alpha)
    with warnings.catch_warnings(record=True) as log:
        warnings.simplefilter("always")
        try:
            mixed.fit(X, yv, groups=g)
        except (ArithmeticError, np.linalg.LinAlgError, CopFactorsError) as err:
            failure = f"{type(err).__name__}: {err}"
    mixed_notes = caught(log, "mixed model")
    if _sigma_of(mixed) < _SIGMA_BOUNDARY:
        model, notes = fixed("nonrobust")
        return model, choice(
            "mixed",
            "model-based",
            f"The {n} respondents are nested in {G} CoPs, so the model has a random intercept "
            "per CoP; its SD is estimated at 0 (the boundary: the CoPs differ no more than "
            "their drivers explain), so its coefficients and model-based standard errors are "
            "those of the same model without random intercept, which is what is shown.",
            rank,
            notes,
            sigma_at_zero=True,
        )
    if not failure and not mixed.converged_:
        failure = "it did not converge"
    if not failure:
        return mixed, choice(
            "mixed",
            "model-based",
            f"The {n} respondents are nested in {G} CoPs: respondents of one CoP share its "
            "context, so their answers are not independent, and a random intercept per CoP "
            "(as R's clmm) models that.",
            rank,
            mixed_notes,
        )
    if rank >= n_params and G >= MIN_CLUSTERS:
        model, cov, notes = clustered, "cluster", cluster_notes
    else:
        (model, notes), cov = fixed("robust"), "robust"
    return model, choice(
        "fixed",
        cov,
        f"The random-intercept model could not be fitted on the {G} CoPs ({failure}).",
        rank,
        [*mixed_notes, *notes],
    )


# ---------------------------------------------------------------------------------------------
# the attainment model
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class AttainmentFit:
    """An attainment model already fitted, with its data, for the claims to read.

    :func:`compare_with_paper` fits its attainment model itself unless it is given one of
    these (``fit=``): then the driver claims read exactly this fit, so that a report's model
    section and its claims rest on one model (:func:`copfactors.pipeline.run_analysis` passes
    the ordinal model it shows). ``model`` and ``choice`` are what :func:`fit_cop_model`
    returns for ``X``, ``y`` and ``groups``. Checked when made.

    Attributes
    ----------
    model : MixedOrdinalRegression or OrdinalRegression
        The fitted cumulative link model of the attainment level.
    choice : ModelChoice
        Which model it is and why (its covariance gives the rules' reference distributions;
        its ``cop_level`` the between-CoP degrees of freedom of CoP-level drivers).
    X : pandas.DataFrame
        The drivers the model was fitted on: one row per respondent, indexed by the survey's
        row labels, and the model's coefficients as columns, in its order.
    y : pandas.Series
        The attainment level of each row of ``X`` (same index).
    groups : pandas.Series or None
        The CoP of each row of ``X`` (same index, no missing value); required for a model with
        a random intercept.
    dropped : tuple of str
        Driver features left out of the model as constant or collinear (a claim about one of
        them says so).
    notes : tuple of str
        Sentences added to the claims' notes (what was left out, what the model is adjusted
        for).

    Raises
    ------
    copfactors.errors.CopFactorsError
        If the model is not a fitted copfactors ordinal model, ``choice`` is not a
        :class:`ModelChoice`, or ``X``, ``y`` and ``groups`` do not describe the model's rows
        and coefficients (the message says which).

    Examples
    --------
    >>> from copfactors.datasets import make_survey
    >>> from copfactors.features import CoPFeatureBuilder, attainment
    >>> survey = make_survey(seed=1, mode="parametric", n_respondents=300, n_cops=12)
    >>> y = attainment(survey, kind="ordinal").dropna().astype(int)
    >>> X = CoPFeatureBuilder().fit_transform(survey.loc[y.index])[["commitment", "voluntary"]]
    >>> groups = survey.loc[X.index, "cop_id"]
    >>> model, choice = fit_cop_model(X, y.loc[X.index], groups=groups)
    >>> fit = AttainmentFit(model, choice, X, y.loc[X.index], groups)
    >>> res = compare_with_paper(survey, claims=["C1"], fit=fit)
    >>> res.model is model
    True
    """

    model: OrdinalRegression | MixedOrdinalRegression
    choice: ModelChoice
    X: pd.DataFrame
    y: pd.Series
    groups: pd.Series | None = None
    dropped: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        from copfactors.models import MixedOrdinalRegression, OrdinalRegression

        model = self.model
        mixed = isinstance(model, MixedOrdinalRegression)
        if not (mixed or isinstance(model, OrdinalRegression)):
            raise CopFactorsError(
                "AttainmentFit.model must be a copfactors OrdinalRegression or "
                f"MixedOrdinalRegression, got {type(model).__name__}"
            )
        if not hasattr(model, "coef_") or not hasattr(model, "thresholds_"):
            raise CopFactorsError(f"AttainmentFit.model: this {type(model).__name__} is not fitted")
        if not isinstance(self.choice, ModelChoice):
            raise CopFactorsError(
                "AttainmentFit.choice must be the ModelChoice fit_cop_model returned, got "
                f"{type(self.choice).__name__}"
            )
        if not isinstance(self.X, pd.DataFrame):
            raise CopFactorsError(
                f"AttainmentFit.X must be a pandas DataFrame, got {type(self.X).__name__}"
            )
        names = [str(c) for c in model.coef_.index]
        if [str(c) for c in self.X.columns] != names:
            raise CopFactorsError(
                f"AttainmentFit.X has the columns {[str(c) for c in self.X.columns]}, but the "
                f"model's coefficients are {names} (same names, same order)"
            )
        if not self.X.index.is_unique:
            raise CopFactorsError("AttainmentFit.X has duplicated row labels")
        for what, series in (("y", self.y), ("groups", self.groups)):
            if series is None and what == "groups":
                continue
            if not isinstance(series, pd.Series):
                raise CopFactorsError(
                    f"AttainmentFit.{what} must be a pandas Series, got {type(series).__name__}"
                )
            if not series.index.equals(self.X.index):
                raise CopFactorsError(
                    f"AttainmentFit.{what} must have the index of X (the rows fitted)"
                )
            if series.isna().any():
                raise CopFactorsError(f"AttainmentFit.{what} has missing values")
        if mixed and self.groups is None:
            raise CopFactorsError(
                "AttainmentFit.groups is needed: the model has a random intercept per CoP"
            )
        unknown = set(pd.unique(self.y.to_numpy())) - set(np.asarray(model.classes_).tolist())
        if unknown:
            raise CopFactorsError(
                f"AttainmentFit.y has levels {sorted(map(str, unknown))} the model was not "
                f"fitted on (its levels: {list(model.classes_)})"
            )
        if self.choice.n != len(self.X):
            raise CopFactorsError(
                f"AttainmentFit.choice describes {self.choice.n} respondents, X has "
                f"{len(self.X)} rows"
            )
        object.__setattr__(self, "dropped", tuple(str(d) for d in self.dropped))
        object.__setattr__(self, "notes", tuple(str(n) for n in self.notes))

    @property
    def link(self) -> str:
        """The link of the model (``"logit"``, ``"probit"`` or ``"cloglog"``)."""
        return str(getattr(self.model, "_fit_link", self.model.link))


@dataclass
class _ModelFit:
    """The attainment model and what the rules need from it."""

    model: OrdinalRegression | MixedOrdinalRegression
    X: pd.DataFrame
    y: pd.Series
    groups: pd.Series | None
    cov_label: str
    t_df: float | None  # Student df of the reference distribution (None: normal)
    notes: list[str]
    dropped: list[str]
    level: float
    # contrasts of CoP-level drivers use Student's t with the between-CoP degrees of freedom
    # left by the model (None: no CoP-level driver)
    cop_df: float | None = None
    cop_drivers: tuple[str, ...] = ()
    choice: ModelChoice | None = None
    # why the tests of CoP-level drivers are withheld ("" when they are not)
    cop_withheld: str = ""

    def df_of(self, names: Iterable[str]) -> float | None:
        """Student df of a test of these coefficients (None: normal or chi-squared).

        0 for a test involving a CoP-level driver whose tests are withheld
        (:attr:`cop_withheld`): every test and interval on fewer than 1 df is n/a.
        """
        if self.cop_df is not None and self.involves_cop_level(names):
            return 0.0 if self.cop_withheld else self.cop_df
        return self.t_df

    def involves_cop_level(self, names: Iterable[str]) -> bool:
        """Whether any of these coefficients is of a CoP-level driver."""
        return any(n in self.cop_drivers for n in names)

    def withheld_text(self, names: Iterable[str]) -> str:
        """Why a test of these coefficients is withheld, as a clause ("" when it is not)."""
        if self.cop_withheld and self.cop_df is not None and self.involves_cop_level(names):
            return f"no test or interval: {self.cop_withheld}"
        return ""

    @property
    def n(self) -> int:
        return len(self.X)

    def has(self, name: str) -> bool:
        return name in self.model.coef_.index

    def sd(self, name: str) -> float:
        return float(self.X[name].std(ddof=1))

    def contrast(self, weights: dict[str, float]) -> _Test:
        """Wald test and interval of a linear combination of coefficients."""
        from scipy import stats

        names = list(weights)
        w = np.array([weights[n] for n in names])
        b = self.model.coef_[names].to_numpy()
        V = self.model.cov_.loc[names, names].to_numpy()
        est = float(w @ b)
        se = math.sqrt(max(float(w @ V @ w), 0.0))
        df = self.df_of(names)
        if not se > 0 or (df is not None and df < 1):
            return _Test(est)  # no degree of freedom between CoPs is left for this test
        z = est / se
        alpha = 1 - self.level / 100
        if df is None:
            q, p = float(stats.norm.ppf(1 - alpha / 2)), float(2 * stats.norm.sf(abs(z)))
        else:
            q = float(stats.t.ppf(1 - alpha / 2, df))
            p = float(2 * stats.t.sf(abs(z), df))
        return _Test(est, est - q * se, est + q * se, p)

    def coef(self, name: str) -> _Test:
        return self.contrast({name: 1.0})

    def joint(self, names: list[str]) -> tuple[float, float, float]:
        """Joint Wald test that the named coefficients are 0: statistic, df, p.

        With cluster-robust covariance the statistic is ``W / q`` against ``F(q, G - 1)``, and
        for CoP-level drivers of a model-based covariance against ``F(q, cop_df)``; otherwise
        ``W`` against chi-squared with ``q`` df.
        """
        from scipy import stats

        b = self.model.coef_[names].to_numpy()
        V = self.model.cov_.loc[names, names].to_numpy()
        q = len(names)
        df = self.df_of(names)
        if np.linalg.matrix_rank(V) < q or (df is not None and df < 1):
            return math.nan, float(q), math.nan
        W = float(b @ np.linalg.solve(V, b))
        if df is None:
            return W, float(q), float(stats.chi2.sf(W, q))
        return W / q, float(q), float(stats.f.sf(W / q, q, df))

    def standardised_difference(self, name: str, against: str = "commitment") -> _Test:
        """Standardised effect of ``name`` minus that of ``against`` (coefficient x SD)."""
        return self.contrast({name: self.sd(name), against: -self.sd(against)})

    def coef_text(self, name: str) -> str:
        text = f"{name} coefficient {_ci_text(self.coef(name), self.level)}"
        why = self.withheld_text([name])
        return f"{text} ({why})" if why else text


def _score_residuals(fit: _ModelFit, conditional: bool = False) -> np.ndarray:
    """Per-respondent derivative of the log-likelihood with respect to the linear predictor.

    The score of a coefficient ``b_z`` added to the model, at the fitted model, is
    ``sum_i z_i g_i``: these ``g_i`` are the generalized residuals of the cumulative link model.
    For a model with a random intercept per CoP they are taken at the drivers' part alone
    (an intercept of 0: what a CoP-level block would have to explain), or with
    ``conditional`` at each CoP's conditional mode (within CoPs).
    """
    from copfactors.models import get_link

    model = fit.model
    link = get_link(model.link)
    eta = fit.X.to_numpy(dtype=float) @ model.coef_.to_numpy(dtype=float)
    effects = getattr(model, "random_effects_", None)
    if conditional and effects is not None and fit.groups is not None:
        modes = effects["mode"].rename(index=str)
        eta = eta + fit.groups.astype(str).map(modes).fillna(0.0).to_numpy(dtype=float)
    codes = np.searchsorted(model.classes_, fit.y.to_numpy())
    theta = np.concatenate([[-np.inf], model.thresholds_.to_numpy(), [np.inf]])
    upper, lower = theta[codes + 1] - eta, theta[codes] - eta
    big = 40.0  # beyond it F is 0 or 1 and f is 0 to double precision, for every link
    F_up, f_up, _ = link.cdf_pdf_dpdf(np.clip(upper, -big, big))
    F_lo, f_lo, _ = link.cdf_pdf_dpdf(np.clip(lower, -big, big))
    f_up = np.where(np.isinf(upper), 0.0, f_up)
    f_lo = np.where(np.isinf(lower), 0.0, f_lo)
    F_up = np.where(np.isposinf(upper), 1.0, F_up)
    F_lo = np.where(np.isneginf(lower), 0.0, F_lo)
    prob = np.maximum(F_up - F_lo, 1e-300)
    return (f_lo - f_up) / prob


def _orthonormal(A: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Orthonormal basis of the column space of A."""
    if A.shape[1] == 0:
        return np.zeros((A.shape[0], 0))
    u, sv, _ = np.linalg.svd(A, full_matrices=False)
    return u[:, sv > tol * max(sv[0], 1.0)]


def _score_statistic(g: np.ndarray, Q: np.ndarray, Z: np.ndarray) -> tuple[float, int]:
    """``n R^2`` of the residuals ``g`` on ``Z`` made orthogonal to ``Q``, and its rank."""
    Zt = Z - Q @ (Q.T @ Z)
    # through the small Gram matrix: an SVD of the tall Zt costs far more in a permutation loop
    gram = Zt.T @ Zt
    vals, vecs = np.linalg.eigh(gram)  # ascending
    if len(vals) == 0 or not vals[-1] > 1e-12 * len(g):
        return 0.0, 0
    keep = vals > 1e-8 * vals[-1]
    b = vecs[:, keep].T @ (Zt.T @ g)
    quad = float(b @ (b / vals[keep]))
    return float(len(g) * quad / (g @ g)), int(keep.sum())


def _dummies(labels: np.ndarray, levels: list[str]) -> np.ndarray:
    return np.column_stack([(labels == lv).astype(float) for lv in levels])


def _permuted_labels(lab: np.ndarray, plan: tuple, rng: np.random.Generator) -> np.ndarray:
    """One permutation of ``lab``: within clusters, among cluster units, or among all rows."""
    if plan[0] == "within":
        new = lab.copy()
        for idx in plan[1]:
            new[idx] = lab[rng.permutation(idx)]
        return new
    if plan[0] == "units":
        return rng.permutation(plan[1])[plan[2]]
    return rng.permutation(lab)


def _permutation_chunk(
    g: np.ndarray,
    Q: np.ndarray,
    lab: np.ndarray,
    levels: list[str],
    stat: float,
    plan: tuple,
    seeds: list,
) -> int:
    """How many permutations (one per seed) reach the observed statistic (one joblib task)."""

    # many small products: BLAS threads only add overhead here
    with single_threaded_blas():
        return sum(
            _score_statistic(
                g, Q, _dummies(_permuted_labels(lab, plan, np.random.default_rng(s)), levels)
            )[0]
            >= stat * (1 - 1e-9)
            for s in seeds
        )


def _permutation_block_test(
    fit: _ModelFit,
    labels: pd.Series,
    *,
    clusters: pd.Series | None,
    within: bool,
    n_permutations: int,
    seed: int,
    n_jobs: int | None = None,
) -> dict[str, Any]:
    """Score test of a categorical block added to the model, with a permutation p-value.

    The statistic is ``n R^2`` of the model's generalized residuals on the block's dummies
    made orthogonal to the drivers (and, with ``within``, to the cluster dummies): a score
    test, needing no refit. Its reference distribution comes from permuting the block's labels
    within clusters (``within=True``) or, for an attribute of the cluster, among the clusters
    (``within=False``); without clusters, among all respondents. ``df`` is the number of
    dummy directions not collinear with the model (0: the block cannot be separated).
    The permutations run through ``joblib.Parallel(n_jobs=n_jobs)``, each from its own seed.
    """
    rows = labels.index[labels.notna().to_numpy()].intersection(fit.X.index)
    lab = labels.loc[rows].to_numpy(dtype=object)
    counts = pd.Series(lab).value_counts()
    out: dict[str, Any] = {"stat": math.nan, "df": 0, "p": math.nan, "n": len(rows)}
    if len(counts) < 2 or len(rows) < 10:
        return out
    levels = [str(v) for v in counts.index[1:]]  # reference: the most frequent level
    conditional = clusters is not None and within
    g_all = pd.Series(_score_residuals(fit, conditional=conditional), index=fit.X.index)
    g = g_all.loc[rows].to_numpy()
    pieces = [np.ones((len(rows), 1)), fit.X.loc[rows].to_numpy(dtype=float)]
    cl = None if clusters is None else clusters.loc[rows].to_numpy(dtype=object)
    if cl is not None and within:
        pieces.append(_dummies(cl, [str(v) for v in pd.unique(cl)[1:]]))
    Q = _orthonormal(np.column_stack(pieces))
    stat, df = _score_statistic(g, Q, _dummies(lab, levels))
    out.update(stat=stat, df=df)
    if df == 0 or not g @ g > 0:
        return out
    if cl is not None and within:
        plan: tuple = ("within", [np.flatnonzero(cl == c) for c in pd.unique(cl)])
    elif cl is not None and all(len(set(lab[cl == c])) == 1 for c in pd.unique(cl)):
        units = pd.unique(cl)
        unit_label = np.array([lab[cl == c][0] for c in units], dtype=object)
        plan = ("units", unit_label, pd.Index(units).get_indexer(cl))
    else:
        plan = ("all",)

    import joblib

    # permutation i draws from its own generator (child i of the seed's first branch), so
    # the p-value is the same whatever n_jobs, joblib backend or chunking
    seeds = replicate_seeds(seed, n_permutations)
    counts = joblib.Parallel(n_jobs=n_jobs)(
        joblib.delayed(_permutation_chunk)(g, Q, lab, levels, stat, plan, seeds[a:b])
        for a, b in chunk_bounds(n_permutations, n_jobs)
    )
    exceed = int(sum(counts))
    out["p"] = (1 + exceed) / (n_permutations + 1)
    return out


def _fit_model(
    survey: pd.DataFrame,
    *,
    link: str,
    cluster: str | None,
    alpha: float,
    extra: list[str] | None = None,
) -> _ModelFit | str:
    """Fit the attainment model, or return why it cannot be fitted."""
    from copfactors.features import CoPFeatureBuilder, attainment

    y_all = attainment(survey, kind="ordinal")
    answered = y_all.notna().to_numpy()
    if answered.sum() < 10:
        return f"only {int(answered.sum())} respondents have an attainment level at T2"
    # fitted on every respondent so that a value outside the codebook anywhere is reported
    builder = CoPFeatureBuilder(missing="drop", extra=extra).fit(survey)
    X = builder.transform(survey.loc[answered])
    if X.shape[1] == 0:
        return "the survey has none of the driver columns"
    notes: list[str] = []
    if extra:
        notes.append(
            f"the attainment model is adjusted for your own variable(s) {', '.join(extra)}"
        )
    groups = None
    level = 100 * (1 - alpha)
    no_groups = "no CoP column" if cluster is None else f"the survey has no {cluster!r} column"
    if cluster is not None and cluster in survey.columns:
        g = _labels(survey.loc[X.index], cluster)
        keep = g.notna().to_numpy()
        n_groups = int(g[keep].nunique())
        if n_groups >= MIXED_MIN_COPS:
            if not keep.all():
                notes.append(
                    f"{int((~keep).sum())} respondents without a {cluster} left out of the "
                    "attainment model"
                )
            X, groups = X.loc[keep], g[keep]
        else:
            no_groups = f"the respondents come from {n_groups} {cluster} only"
            notes.append(
                f"only {n_groups} {cluster} cluster(s): no random intercept per CoP, and "
                "robust (HC0) standard errors, so respondents of one CoP are treated as "
                "independent"
            )
    elif cluster is not None:
        notes.append(
            f"no {cluster!r} column: no random intercept per CoP, and robust (HC0) standard "
            "errors instead"
        )
    if len(X) < 10:
        return f"only {len(X)} respondents are complete in every driver"
    _, dependent = independent_columns(X)
    # a feature group goes whole (as in the report), so that the contrasts left keep their
    # reference level
    sources = feature_sources(builder)
    gone = {sources.get(c, c) for c in dependent}
    dropped = [c for c in X.columns if sources.get(c, c) in gone]
    X_all = X
    X = X.drop(columns=dropped)
    y = y_all.loc[X.index].astype("int64")
    if y.nunique() < 2:
        return "every respondent has the same attainment level"
    cop_level = None
    if groups is not None:
        cop_level = cop_level_drivers(
            survey, X_all, cluster=cluster or "cop_id", in_model=list(X.columns), sources=sources
        )
    model, choice = fit_cop_model(
        X, y, groups=groups, link=link, alpha=alpha, cop_level=cop_level, no_groups=no_groups
    )
    if dropped:
        notes.append(
            "left out of the attainment model as constant or collinear with earlier drivers "
            f"(with the rest of their group): {', '.join(dropped)}"
        )
    return _model_fit(
        AttainmentFit(model, choice, X, y, groups, tuple(dropped), tuple(notes)),
        cluster=cluster or "cop_id",
        level=level,
    )


def _model_fit(fit: AttainmentFit, *, cluster: str, level: float) -> _ModelFit:
    """What the rules read from a fitted attainment model: its covariance and references."""
    choice = fit.choice
    notes = [*fit.notes, *(n for n in choice.notes if n not in fit.notes)]
    cop_level = choice.cop_level
    t_df, cop_df, cop_drivers, withheld = None, None, (), ""
    G = choice.n_cops
    if choice.covariance == "cluster":
        t_df = float((G or 1) - 1)
        cov_label = f"cluster-robust by {cluster} ({G} clusters; t and F with {(G or 1) - 1} df)"
    elif choice.covariance == "robust":
        cov_label = "robust (HC0), normal reference"
    else:
        cov_label = f"random intercept per {cluster} ({G} CoPs), model-based"
        if choice.sigma_at_zero:
            cov_label = f"random intercept per {cluster} ({G} CoPs) with SD at 0, model-based"
        cov_label += ", normal reference"
    if cop_level is not None and cop_level.in_model:
        # a CoP-level driver is learnt from the CoPs alone: Student's t (joint tests: F) on the
        # between-CoP df the model leaves (the "between-within" rule), whatever the covariance
        df = cop_level.df_between
        cop_df = float(df)
        cop_drivers = tuple(cop_level.in_model)
        k = len(cop_drivers)
        if choice.covariance == "robust":
            withheld = (
                "the robust (HC0) covariance treats the respondents of a CoP as independent, "
                "which a driver that is the same for all of them is not"
            )
            cov_label += " (CoP-level drivers: no test)"
        elif df < COP_LEVEL_MIN_DF:
            withheld = (
                f"the {k} CoP-level driver(s) in the model leave {max(df, 0)} degree(s) of "
                f"freedom between the {G} CoPs, fewer than the {COP_LEVEL_MIN_DF} a valid test "
                "of a CoP-level driver needs (more CoPs, or fewer CoP-level drivers, are needed)"
            )
            cov_label += f" (CoP-level drivers: no test, {max(df, 0)} df between CoPs)"
        else:
            cov_label += f" (CoP-level drivers: t and F with {df} df)"
    return _ModelFit(
        fit.model,
        fit.X,
        fit.y,
        fit.groups,
        cov_label,
        t_df,
        notes,
        list(fit.dropped),
        level,
        cop_df,
        cop_drivers,
        choice,
        withheld,
    )


# ---------------------------------------------------------------------------------------------
# one evaluator per claim
# ---------------------------------------------------------------------------------------------
@dataclass
class _Context:
    survey: pd.DataFrame
    alpha: float
    link: str
    cluster: str | None
    n_permutations: int = 999
    seed: int = 0
    n_jobs: int | None = None
    extra: list[str] | None = None
    given: AttainmentFit | None = None
    _fit: _ModelFit | str | None = None
    _fitted: bool = False

    @property
    def level(self) -> float:
        return 100 * (1 - self.alpha)

    def fit(self) -> _ModelFit | str:
        if not self._fitted:
            if self.given is not None:
                self._fit = _model_fit(
                    self.given, cluster=self.cluster or "cop_id", level=self.level
                )
            else:
                self._fit = _fit_model(
                    self.survey,
                    link=self.link,
                    cluster=self.cluster,
                    alpha=self.alpha,
                    extra=self.extra,
                )
            self._fitted = True
        assert self._fit is not None
        return self._fit


@dataclass
class _Outcome:
    verdict: str
    evidence: str
    test: _Test = field(default_factory=_Test)


def _not_fitted(reason: str) -> _Outcome:
    return _Outcome("not testable", f"the attainment model cannot be fitted: {reason}")


def _absent_feature(name: str, fit: _ModelFit) -> _Outcome:
    why = "collinear with other drivers or constant" if name in fit.dropped else "not built"
    return _Outcome("not testable", f"{name} is not in the attainment model ({why}; n = {fit.n})")


def _direction_claim(ctx: _Context, name: str, expected: int) -> _Outcome:
    fit = ctx.fit()
    if isinstance(fit, str):
        return _not_fitted(fit)
    if not fit.has(name):
        return _absent_feature(name, fit)
    t = fit.coef(name)
    return _Outcome(
        _direction(t, ctx.alpha, expected),
        f"{fit.coef_text(name)}; n = {fit.n}, {fit.cov_label}",
        t,
    )


def _c1(ctx: _Context) -> _Outcome:
    return _direction_claim(ctx, "commitment", +1)


def _c2(ctx: _Context) -> _Outcome:
    fit = ctx.fit()
    if isinstance(fit, str):
        return _not_fitted(fit)
    texts: list[str] = []
    if fit.has("steward_active"):
        steward = fit.coef("steward_active")
        part = _direction(steward, ctx.alpha, +1)
        texts.append(fit.coef_text("steward_active"))
    else:
        types = [n for n in ("steward_designated", "steward_dedicated") if fit.has(n)]
        if not types:
            return _Outcome(
                "not testable",
                "neither steward_active nor a steward type contrast is in the attainment model "
                f"(n = {fit.n})",
            )
        stat, q, p = fit.joint(types)
        signs = {int(np.sign(fit.model.coef_[n])) for n in types}
        est = stat if len(signs) != 1 else stat * signs.pop()
        steward = _Test(est, math.nan, math.nan, p)
        part = _direction(steward, ctx.alpha, +1)
        coefs = ", ".join(f"{n} {_num(float(fit.model.coef_[n]))}" for n in types)
        df = fit.df_of(types)
        why = fit.withheld_text(types)
        if why:
            texts.append(f"steward types against none ({coefs}): {why}")
        else:
            ref = f"chi-squared on {q:g} df" if df is None else f"F on ({q:g}, {df:g}) df"
            texts.append(
                f"steward types against none ({coefs}): joint Wald test {_num(stat)}, {ref}, "
                f"{_p_text(p)}"
            )
    parts = [part]
    if fit.has("leader_changes"):
        leader = fit.coef("leader_changes")
        texts.append(fit.coef_text("leader_changes"))
        # only a harmful-looking effect of stability counts against the claim
        parts.append("contradicts" if leader.sign(ctx.alpha) > 0 else "supports")
    else:
        texts.append("leader_changes not in the model")
    verdict = "contradicts" if "contradicts" in parts else part
    return _Outcome(verdict, "; ".join(texts) + f"; n = {fit.n}, {fit.cov_label}", steward)


def _c3(ctx: _Context) -> _Outcome:
    return _direction_claim(ctx, "voluntary", +1)


# ---------------------------------------------------------------------------------------------
# claims that something does not matter: equivalence within a smallest effect size of interest
# ---------------------------------------------------------------------------------------------
#: The smallest effect size of interest (SESOI) of the claims that a factor does not matter
#: (C5, C6, C7's attainment part, C10), as an odds ratio of a higher attainment level: an effect
#: whose odds ratio lies within ``[1 / 1.25, 1.25]`` = [0.8, 1.25] is too small to matter. It is
#: the conventional equivalence range for ratios (bioequivalence), and about a standardised
#: mean difference of 0.12 (``log(1.25) * sqrt(3) / pi``; Chinn 2000), well under Cohen's
#: "small" 0.2. It applies per standard deviation of a numeric driver and per contrast (one
#: level against another) of a yes/no driver or a category.
SESOI_ODDS_RATIO = 1.25
_MARGIN = math.log(SESOI_ODDS_RATIO)


@dataclass(frozen=True)
class _Effect:
    """An effect on the log-odds scale, its standard error and reference (df None: normal)."""

    label: str
    estimate: float = math.nan
    se: float = math.nan
    df: float | None = None
    group: str = ""

    @property
    def defined(self) -> bool:
        return bool(
            np.isfinite(self.estimate)
            and np.isfinite(self.se)
            and self.se > 0
            and (self.df is None or self.df >= 1)
        )

    def _dist(self) -> Any:
        from scipy import stats

        return stats.norm() if self.df is None else stats.t(self.df)

    def interval(self, level: float) -> tuple[float, float]:
        """Two-sided interval at ``level`` (a fraction); NaN when undefined."""
        if not self.defined:
            return math.nan, math.nan
        q = float(self._dist().ppf(0.5 + level / 2))
        return self.estimate - q * self.se, self.estimate + q * self.se

    def p_tost(self, margin: float) -> float:
        """p of the two one-sided tests that the effect lies inside ``[-margin, margin]``."""
        if not self.defined:
            return math.nan
        d = self._dist()
        upper = float(d.cdf((self.estimate - margin) / self.se))  # H0: effect >= margin
        lower = float(d.sf((self.estimate + margin) / self.se))  # H0: effect <= -margin
        return max(upper, lower)

    def p_outside(self, margin: float) -> float:
        """Two-sided p that the effect lies outside ``[-margin, margin]``.

        Twice the smaller of the one-sided p-values of ``effect > margin`` and
        ``effect < -margin``: below ``a`` exactly when the ``1 - a`` interval lies entirely
        outside the margin.
        """
        if not self.defined:
            return math.nan
        d = self._dist()
        above = float(d.sf((self.estimate - margin) / self.se))
        below = float(d.cdf((self.estimate + margin) / self.se))
        return min(1.0, 2 * min(above, below))

    def test(self, level: float, p: float) -> _Test:
        lo, hi = self.interval(level)
        return _Test(self.estimate, lo, hi, p)


def _model_effect(fit: _ModelFit, weights: dict[str, float], label: str, group: str) -> _Effect:
    """A linear combination of the attainment model's coefficients, as its Wald contrasts."""
    names = list(weights)
    w = np.array([weights[n] for n in names], dtype=float)
    b = fit.model.coef_[names].to_numpy(dtype=float)
    V = fit.model.cov_.loc[names, names].to_numpy(dtype=float)
    var = float(w @ V @ w)
    se = math.sqrt(var) if np.isfinite(var) and var > 0 else math.nan
    return _Effect(label, float(w @ b), se, fit.df_of(names), group)


def _driver_effect(fit: _ModelFit, name: str) -> _Effect:
    """A driver's effect in the units of the margin: per SD, or yes against no."""
    values = fit.X[name].to_numpy(dtype=float)
    if set(np.unique(values).tolist()) <= {0.0, 1.0}:
        return _model_effect(fit, {name: 1.0}, f"{name} (yes against no)", name)
    sd = fit.sd(name)
    return _model_effect(fit, {name: sd}, f"{name} per SD ({_num(sd)})", name)


def _effect_text(e: _Effect, alpha: float) -> str:
    if not e.defined:
        return f"{e.label}: no interval"
    lo, hi = e.interval(1 - 2 * alpha)
    return (
        f"{e.label}: log odds ratio {_num(e.estimate)} (odds ratio {_num(math.exp(e.estimate))}; "
        f"{100 * (1 - 2 * alpha):g}% CI {_num(lo)} to {_num(hi)}; equivalence "
        f"{_p_text(e.p_tost(_MARGIN))})"
    )


def _equivalence(effects: Sequence[_Effect], alpha: float) -> tuple[str, str, _Test]:
    """Verdict that every effect is too small to matter, by equivalence tests.

    Supports: every effect's ``1 - 2 alpha`` interval lies inside ``[-m, m]`` (``m``: the
    log of :data:`SESOI_ODDS_RATIO`), that is both one-sided tests (TOST) reject at ``alpha``;
    as every effect must pass (intersection-union), no multiplicity adjustment is needed.
    Contradicts: an effect's ``1 - alpha / k`` interval (Bonferroni over the ``k`` effects) lies
    entirely outside ``[-m, m]``. Otherwise inconclusive, saying why.
    """
    k = len(effects)
    margin = (
        f"equivalence margin: odds ratio within [{_num(1 / SESOI_ODDS_RATIO)}, "
        f"{_num(SESOI_ODDS_RATIO)}] (log odds +/-{_num(_MARGIN)})"
    )
    if not k:
        return "inconclusive", f"no effect to test; {margin}", _Test()
    groups = list(dict.fromkeys(e.group for e in effects))
    texts = []
    for g in groups:
        members = [e for e in effects if e.group == g]
        worst = max(members, key=lambda e: e.p_tost(_MARGIN) if e.defined else 2.0)
        if len(members) == 1:
            texts.append(_effect_text(worst, alpha))
        else:
            n_def = sum(e.defined for e in members)
            inside = sum(e.defined and e.p_tost(_MARGIN) < alpha for e in members)
            texts.append(
                f"{g}: {len(members)} contrasts ({n_def} with an interval, {inside} shown inside "
                f"the margin); furthest from it {_effect_text(worst, alpha)}"
            )
    outside = [e for e in effects if e.defined and k * e.p_outside(_MARGIN) < alpha]
    if outside:
        worst = min(outside, key=lambda e: e.p_outside(_MARGIN))
        p = min(1.0, k * worst.p_outside(_MARGIN))
        texts.append(
            f"{worst.label} lies outside the margin ({100 * (1 - alpha / k):.4g}% CI, Bonferroni "
            f"over {k}: {_p_text(p)})"
        )
        return "contradicts", "; ".join(texts) + f"; {margin}", worst.test(1 - alpha / k, p)
    p_all = max(e.p_tost(_MARGIN) if e.defined else 1.0 for e in effects)
    worst = max(effects, key=lambda e: e.p_tost(_MARGIN) if e.defined else 2.0)
    test = worst.test(1 - 2 * alpha, p_all if worst.defined else math.nan)
    if p_all < alpha:
        return "supports", "; ".join(texts) + f"; every one inside the {margin}", test
    undefined = [e.label for e in effects if not e.defined]
    wide = [
        e.label
        for e in effects
        if e.defined and np.subtract(*e.interval(1 - 2 * alpha)[::-1]) > 2 * _MARGIN
    ]
    if undefined:
        why = f"no interval for {', '.join(undefined[:3])}" + (" ..." if len(undefined) > 3 else "")
    elif wide:
        why = (
            f"the {100 * (1 - 2 * alpha):g}% CI of {', '.join(wide[:3])}"
            + (" ..." if len(wide) > 3 else "")
            + " is wider than the margin itself: these data cannot show equivalence, however "
            "small the effect"
        )
    else:
        why = f"the {100 * (1 - 2 * alpha):g}% CI of {worst.label} reaches beyond the margin"
    texts.append(f"inconclusive because {why}")
    return "inconclusive", "; ".join(texts) + f"; {margin}", test


def _level_contrasts(
    ctx: _Context,
    labels: pd.Series,
    y: pd.Series,
    base: pd.DataFrame | None,
    name: str,
) -> tuple[list[_Effect], list[str]]:
    """Pairwise contrasts of a category's levels in an ordinal model of ``y`` within CoPs.

    The model is ``y`` on the ``base`` drivers, a fixed effect per CoP (when the survey has the
    cluster column) and the category's dummies (reference: its most frequent level), with
    model-based standard errors; the CoP effects take every difference between CoPs, so a
    contrast compares levels within CoPs only. A dummy collinear with the CoPs and the drivers
    is left out, and a pair of levels that no CoP holds together (no within-CoP contrast
    estimates it) is not tested but counted in the notes. A level effect ``g`` maps to the
    fitted coefficients ``b = A g``; a pair ``c`` is estimable when ``c = A' d`` for some
    ``d``, its estimate ``d' b``.
    """
    from copfactors.models import OrdinalRegression

    rows = labels.index[labels.notna().to_numpy()].intersection(y.index[y.notna().to_numpy()])
    if base is not None:
        rows = rows.intersection(base.index)
    lab = labels.loc[rows].astype(str)
    counts = lab.value_counts()
    if len(counts) < 2 or len(rows) < 10:
        return [], [f"{name}: fewer than two levels or ten respondents, no contrast"]
    levels = [str(v) for v in counts.index]
    pieces: dict[str, pd.Series] = {}
    if ctx.cluster is not None and ctx.cluster in ctx.survey.columns:
        cl = _labels(ctx.survey.loc[rows], ctx.cluster).fillna("<missing>")
        for c in pd.unique(cl.to_numpy())[1:]:
            pieces[f"cop:{c}"] = (cl == c).astype(float)
    if base is not None:
        for c in base.columns:
            pieces[f"x:{c}"] = base.loc[rows, c].astype(float)
    dummies = {f"{name}={lv}": (lab == lv).astype(float) for lv in levels[1:]}
    D = pd.DataFrame({**pieces, **dummies}, index=rows)
    kept, _ = independent_columns(D)
    kept_z = [c for c in dummies if c in kept]
    if not kept_z:
        return [_Effect(f"{name} (not separable from the CoPs and drivers)", group=name)], [
            f"{name}: no level can be compared with another within CoPs"
        ]
    index = {lv: i for i, lv in enumerate(levels)}
    A = np.zeros((len(kept_z), len(levels)))
    for r, col in enumerate(kept_z):
        A[r, index[col.split("=", 1)[1]]] += 1.0
        A[r, 0] -= 1.0
    M = np.column_stack([np.ones(len(rows)), D[kept].to_numpy(dtype=float)])
    position = [1 + kept.index(c) for c in kept_z]
    gone = [c for c in dummies if c not in kept]
    if gone:
        coefs, *_ = np.linalg.lstsq(M, D[gone].to_numpy(dtype=float), rcond=None)
        for col, coef in zip(gone, coefs.T, strict=True):
            j = index[col.split("=", 1)[1]]
            for r, pos in enumerate(position):
                A[r, j] += coef[pos]
                A[r, 0] -= coef[pos]
    yv = y.loc[rows].astype("int64")
    if yv.nunique() < 2:
        return [_Effect(f"{name} (one attainment level only)", group=name)], []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = OrdinalRegression(link=ctx.link, alpha=ctx.alpha).fit(D[kept], yv)
    except (ArithmeticError, np.linalg.LinAlgError, CopFactorsError) as err:
        return [_Effect(f"{name} (model not fitted)", group=name)], [
            f"{name}: the within-CoP model could not be fitted ({err})"
        ]
    b = model.coef_[kept_z].to_numpy(dtype=float)
    V = model.cov_.loc[kept_z, kept_z].to_numpy(dtype=float)
    effects, untested = [], 0
    for a in range(len(levels)):
        for c in range(a + 1, len(levels)):
            target = np.zeros(len(levels))
            target[c], target[a] = 1.0, -1.0
            d, *_ = np.linalg.lstsq(A.T, target, rcond=None)
            if np.linalg.norm(A.T @ d - target) > 1e-6:
                untested += 1
                continue
            var = float(d @ V @ d)
            se = math.sqrt(var) if np.isfinite(var) and var > 0 else math.nan
            label = f"{name} {levels[c]} against {levels[a]}"
            effects.append(_Effect(label, float(d @ b), se, None, name))
    notes = []
    if untested:
        notes.append(
            f"{name}: {untested} of {len(levels) * (len(levels) - 1) // 2} pairs of levels are "
            "never compared within a CoP (not tested)"
        )
    return effects, notes


def _platform_effects(ctx: _Context, fit: _ModelFit) -> tuple[list[_Effect], list[str]]:
    """Pairwise contrasts of the platforms, a CoP attribute, in the attainment model.

    The platform's dummies (reference: the most frequent platform) are added to the model's
    drivers and the model refitted as :func:`fit_cop_model` fits it: a CoP-level block, learnt
    from the differences between CoPs, with the between-CoP degrees of freedom the model
    leaves. Dummies collinear with the other CoP attributes leave the platform untestable.
    """
    lab = _labels(ctx.survey, "platform").reindex(fit.X.index)
    rows = fit.X.index[lab.notna().to_numpy()]
    counts = lab.loc[rows].value_counts()
    if len(counts) < 2:
        return [], ["platform: a single platform, nothing to compare"]
    levels = [str(v) for v in counts.index]
    dummies = {f"platform={lv}": (lab.loc[rows] == lv).astype(float) for lv in levels[1:]}
    X = pd.concat([fit.X.loc[rows], pd.DataFrame(dummies, index=rows)], axis=1)
    _, dependent = independent_columns(X)
    if any(d in dummies for d in dependent):
        return [_Effect("platform (collinear with the other CoP attributes)", group="platform")], [
            "platform: its pattern over the CoPs is that of other CoP attributes in the model, "
            "so its effect cannot be told apart from theirs"
        ]
    y = fit.y.loc[rows]
    groups = None if fit.groups is None else fit.groups.loc[rows]
    cluster = ctx.cluster or "cop_id"
    cop_level = None
    if groups is not None and cluster in ctx.survey.columns:
        cop_level = cop_level_drivers(
            ctx.survey,
            X,
            cluster=cluster,
            in_model=list(X.columns),
            sources=dict.fromkeys(dummies, "platform"),
        )
    try:
        model, choice = fit_cop_model(
            X, y, groups=groups, link=ctx.link, alpha=ctx.alpha, cop_level=cop_level
        )
        refit = _model_fit(
            AttainmentFit(model, choice, X, y, groups), cluster=cluster, level=ctx.level
        )
    except (ArithmeticError, np.linalg.LinAlgError, CopFactorsError) as err:
        return [_Effect("platform (model not fitted)", group="platform")], [
            f"platform: the model with the platform could not be fitted ({err})"
        ]
    names = list(dummies)
    effects = []
    for i, a in enumerate(names):
        effects.append(
            _model_effect(
                refit, {a: 1.0}, f"platform {a.split('=', 1)[1]} against {levels[0]}", "platform"
            )
        )
        for b in names[i + 1 :]:
            effects.append(
                _model_effect(
                    refit,
                    {b: 1.0, a: -1.0},
                    f"platform {b.split('=', 1)[1]} against {a.split('=', 1)[1]}",
                    "platform",
                )
            )
    return effects, [f"platform: {refit.cov_label}"]


# ---------------------------------------------------------------------------------------------
# objectives answered by the same respondents: a respondent-level bootstrap
# ---------------------------------------------------------------------------------------------
def _objective_answers(survey: pd.DataFrame) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The objectives with both measures answered, and the answers (respondents x objectives)."""
    names, imp, att = [], [], []
    for o in _OBJECTIVES:
        if f"imp_{o}" in survey.columns and f"att_{o}" in survey.columns:
            i = _numeric(survey, f"imp_{o}").to_numpy(dtype=float)
            a = _t2_answers(survey, f"att_{o}").to_numpy(dtype=float)
            if np.isfinite(i).any() and np.isfinite(a).any():
                names.append(o)
                imp.append(i)
                att.append(a)
    n = len(survey)
    if not names:
        return [], np.empty((n, 0)), np.empty((n, 0))
    return names, np.column_stack(imp), np.column_stack(att)


def _bootstrap_means(
    ctx: _Context, imp: np.ndarray, att: np.ndarray
) -> tuple[np.ndarray, np.ndarray, str]:
    """Per-objective mean importance and attainment in respondent-level bootstrap resamples.

    A resample draws whole respondents, all their answers together (the objectives are answered
    by the same people, so their means move together). From :data:`SIGMA_MIN_COPS` CoPs the
    CoPs are drawn with replacement (a cluster bootstrap: the CoPs are a sample); with fewer,
    respondents are drawn with replacement within each CoP (stratified), since a bootstrap of a
    handful of CoPs underestimates their variation: the CoPs are then taken as given and the
    interval leaves out the variation between CoPs. Without CoPs, respondents are drawn.
    Returns two ``(B, k)`` arrays (``B = n_permutations``; NaN where a resample has no answer)
    and how the resamples were drawn.
    """
    n = imp.shape[0]
    B = ctx.n_permutations
    rng = np.random.default_rng(np.random.SeedSequence([ctx.seed, 12]))
    if ctx.cluster is not None and ctx.cluster in ctx.survey.columns:
        cl = _labels(ctx.survey, ctx.cluster).fillna("<missing>").to_numpy(dtype=object)
        cops, codes = np.unique(cl.astype(str), return_inverse=True)
    else:
        cops, codes = np.array(["all"]), np.zeros(n, dtype=int)
    G = len(cops)
    if G >= SIGMA_MIN_COPS:
        how = f"{B} resamples of the {G} CoPs ({ctx.cluster}) with replacement"
    elif G > 1:
        how = (
            f"{B} resamples of the respondents within each of the {G} CoPs (too few CoPs to "
            "resample them: the interval is about these CoPs)"
        )
    else:
        how = f"{B} resamples of the respondents"
    members = [np.flatnonzero(codes == g) for g in range(G)]
    vi, ai = np.nan_to_num(imp), np.nan_to_num(att)
    wi, wa = np.isfinite(imp).astype(float), np.isfinite(att).astype(float)
    out_i, out_a = np.empty((B, imp.shape[1])), np.empty((B, att.shape[1]))
    step = max(1, 2_000_000 // max(n, 1))
    for start in range(0, B, step):
        b = min(B, start + step) - start
        W = np.zeros((b, n))
        if G >= SIGMA_MIN_COPS:
            draws = rng.multinomial(G, np.full(G, 1.0 / G), size=b)  # times each CoP is drawn
            W = draws[:, codes].astype(float)
        else:
            for idx in members:
                W[:, idx] = rng.multinomial(len(idx), np.full(len(idx), 1.0 / len(idx)), size=b)
        with np.errstate(invalid="ignore", divide="ignore"):
            out_i[start : start + b] = (W @ vi) / (W @ wi)
            out_a[start : start + b] = (W @ ai) / (W @ wa)
    return out_i, out_a, how


def _means(values: np.ndarray) -> np.ndarray:
    answered = np.isfinite(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(values).sum(axis=0) / answered.sum(axis=0)


def _c4(ctx: _Context) -> _Outcome:
    fit = ctx.fit()
    if isinstance(fit, str):
        return _not_fitted(fit)
    for name in ("prior_acquaintance", "commitment"):
        if not fit.has(name):
            return _absent_feature(name, fit)
    a = ctx.alpha
    # "helps": the coefficient > 0, one-sided at alpha; "not sufficient": its standardised
    # effect below commitment's, one-sided at alpha; both must hold (intersection-union)
    own = _model_effect(fit, {"prior_acquaintance": 1.0}, "prior_acquaintance", "own")
    sd_p, sd_c = fit.sd("prior_acquaintance"), fit.sd("commitment")
    diff = _model_effect(fit, {"prior_acquaintance": sd_p, "commitment": -sd_c}, "diff", "diff")
    if not (own.defined and diff.defined):
        return _Outcome(
            "inconclusive",
            f"no interval for prior_acquaintance or its difference with commitment; "
            f"n = {fit.n}, {fit.cov_label}",
        )
    p_helps = float(own._dist().sf(own.estimate / own.se))
    p_below = float(diff._dist().cdf(diff.estimate / diff.se))
    # contradicts: significantly < 0, or significantly larger than commitment's; alpha / 2
    # each, so that both together keep alpha
    p_harms = float(own._dist().cdf(own.estimate / own.se))
    p_above = float(diff._dist().sf(diff.estimate / diff.se))
    if p_harms < a / 2 or p_above < a / 2:
        verdict = "contradicts"
    elif p_helps < a and p_below < a:
        verdict = "supports"
    else:
        verdict = "inconclusive"
    level = 1 - 2 * a
    pct = f"{100 * level:g}%"
    lo, hi = own.interval(level)
    dlo, dhi = diff.interval(level)
    text = (
        f"helps: prior_acquaintance coefficient {_num(own.estimate)} ({pct} CI {_num(lo)} to "
        f"{_num(hi)}; one-sided {_p_text(p_helps)} for > 0); not sufficient: its standardised "
        f"effect minus commitment's {_num(diff.estimate)} ({pct} CI {_num(dlo)} to {_num(dhi)}; "
        f"one-sided {_p_text(p_below)} for < 0)"
    )
    if verdict == "contradicts":
        reasons = [
            w
            for w, p in (
                ("significantly < 0 (it does not help)", p_harms),
                ("significantly larger than commitment's", p_above),
            )
            if p < a / 2
        ]
        text += f"; {' and '.join(reasons)}"
    elif verdict == "inconclusive":
        missing = [
            w
            for w, p in (("that it helps", p_helps), ("that it is not sufficient", p_below))
            if not p < a
        ]
        text += f"; not shown: {' and '.join(missing)}"
    return _Outcome(
        verdict,
        f"{text}; n = {fit.n}, {fit.cov_label}",
        _Test(own.estimate, lo, hi, p_helps),
    )


def _not_key_effects(fit: _ModelFit, names: list[str]) -> list[_Effect]:
    return [_driver_effect(fit, n) for n in names if fit.has(n)]


def _c5(ctx: _Context) -> _Outcome:
    fit = ctx.fit()
    if isinstance(fit, str):
        return _not_fitted(fit)
    names = ["training_received", "org_support"]
    effects = _not_key_effects(fit, names)
    if not effects:
        return _absent_feature(" and ".join(names), fit)
    verdict, text, test = _equivalence(effects, ctx.alpha)
    return _Outcome(verdict, f"{text}; n = {fit.n}, {fit.cov_label}", test)


def _block_test(ctx: _Context, fit: _ModelFit, column: str, *, within: bool) -> dict[str, Any]:
    """Permutation score test of ``column``'s dummies added to the attainment model."""
    clusters = None
    if ctx.cluster is not None and ctx.cluster in ctx.survey.columns:
        clusters = _labels(ctx.survey, ctx.cluster).fillna("<missing>")
    res = _permutation_block_test(
        fit,
        _labels(ctx.survey, column),
        clusters=clusters,
        within=within,
        n_permutations=ctx.n_permutations,
        seed=ctx.seed,
        n_jobs=ctx.n_jobs,
    )
    if clusters is None:
        res["how"] = "labels permuted among respondents"
    elif within:
        res["how"] = f"within {ctx.cluster}, labels permuted within each"
    else:
        res["how"] = f"labels permuted among the {ctx.cluster} clusters"
    res["label"] = column
    return res


def _block_text(res: dict[str, Any]) -> str:
    if res["df"] == 0:
        return f"{res['label']}: not separable from the drivers in this survey, no test"
    return (
        f"{res['label']}: score statistic {_num(res['stat'])} on {res['df']} df, "
        f"permutation {_p_text(res['p'])} ({res['how']})"
    )


def _c6(ctx: _Context) -> _Outcome:
    fit = ctx.fit()
    if isinstance(fit, str):
        return _not_fitted(fit)
    effects = _not_key_effects(fit, ["tech_mastery"])
    notes: list[str] = []
    if "platform" in ctx.survey.columns:
        platform, notes = _platform_effects(ctx, fit)
        effects += platform
        block = _block_test(ctx, fit, "platform", within=False)
        notes.append(f"{_block_text(block)} (a test of any difference, reported)")
    if not effects:
        return _Outcome(
            "not testable",
            "; ".join(["tech_mastery is not in the attainment model", *notes]),
        )
    verdict, text, test = _equivalence(effects, ctx.alpha)
    return _Outcome(verdict, "; ".join([text, *notes]) + f"; n = {fit.n}, {fit.cov_label}", test)


def _by_gender(survey: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    gender = _labels(survey, "gender")
    return (gender == "woman").to_numpy(), (gender == "man").to_numpy()


def _row_means(survey: pd.DataFrame, columns: list[str]) -> np.ndarray:
    values = np.column_stack([_numeric(survey, c).to_numpy() for c in columns])
    answered = ~np.isnan(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            answered.any(axis=1),
            np.where(answered, values, 0.0).sum(axis=1) / np.maximum(answered.sum(axis=1), 1),
            np.nan,
        )


def _gender_tests(survey: pd.DataFrame, measure: str, alpha: float) -> pd.DataFrame | None:
    """Per-objective tests of men against women in Table 1's layout (None if impossible)."""
    from copfactors.replicate import group_comparison

    prefix = "imp_" if measure == "importance" else "att_"
    columns = [f"{prefix}{o}" for o in _OBJECTIVES if f"{prefix}{o}" in survey.columns]
    gender = _labels(survey, "gender")
    keep = gender.isin(["man", "woman"]).to_numpy()
    sub = pd.DataFrame({"gender": gender[keep].to_numpy()})
    for c in columns:
        answers = _t2_answers(survey, c) if prefix == "att_" else _numeric(survey, c)
        sub[c] = answers[keep].to_numpy()
    try:
        tests = group_comparison(
            sub,
            by="gender",
            groups=["man", "woman"],
            objectives=[c[len(prefix) :] for c in columns],
            measures=[measure],
            alpha=alpha,
        ).tests
    except CopFactorsError:
        return None
    return tests[np.isfinite(tests["p"].astype(float))]


def _count_text(tests: pd.DataFrame, measure: str, alpha: float) -> str:
    sig = tests["p"] < alpha
    # t is men minus women: women higher when t < 0
    return (
        f"{measure}, per-objective t-tests (Table 1 layout): significant on {int(sig.sum())} of "
        f"{len(tests)} objectives ({int((sig & (tests['t'] < 0)).sum())} higher for women)"
    )


def _c7(ctx: _Context) -> _Outcome:
    from copfactors.features import attainment

    survey = ctx.survey
    women, men = _by_gender(survey)
    if not women.any() or not men.any():
        return _Outcome("not testable", "the survey needs both women and men")
    imp_cols = [f"imp_{o}" for o in _OBJECTIVES if f"imp_{o}" in survey.columns]
    imp = _row_means(survey, imp_cols)
    gap = _welch(imp[women & ~np.isnan(imp)], imp[men & ~np.isnan(imp)], ctx.alpha)
    parts = [_direction(gap, ctx.alpha, +1)]
    higher = 0
    for c in imp_cols:
        values = _numeric(survey, c).to_numpy()
        w, m = values[women & ~np.isnan(values)], values[men & ~np.isnan(values)]
        higher += bool(len(w) and len(m) and w.mean() > m.mean())
    texts = [
        f"mean importance women minus men {_ci_text(gap, ctx.level)} (Welch); women higher on "
        f"{higher} of {len(imp_cols)} objectives"
    ]
    imp_tests = _gender_tests(survey, "importance", ctx.alpha)
    if imp_tests is not None and len(imp_tests):
        texts.append(_count_text(imp_tests, "importance", ctx.alpha))
    if any(f"att_{o}" in survey.columns for o in _OBJECTIVES):
        # "differs little": the within-CoP log odds ratio of a higher attainment level, women
        # against men, inside the equivalence margin
        gender = _labels(survey, "gender")
        gender = gender.where(gender.isin(["man", "woman"]))
        level = attainment(survey, kind="ordinal")
        effects, notes = _level_contrasts(ctx, gender, level, None, "gender")
        effects = [
            _Effect(
                "women against men",
                -e.estimate if e.label.endswith("man against woman") else e.estimate,
                e.se,
                e.df,
                "gender",
            )
            if " against " in e.label
            else e
            for e in effects
        ]
        verdict, text, _ = _equivalence(effects, ctx.alpha)
        parts.append(verdict)
        texts.append(
            f"attainment part ({verdict}; ordinal model of the attainment level on gender "
            f"with a fixed effect per CoP): {text}"
        )
        texts.extend(notes)
        att_tests = _gender_tests(survey, "attainment", ctx.alpha)
        if att_tests is not None and len(att_tests):
            texts.append(_count_text(att_tests, "attainment", ctx.alpha) + " (reported)")
        att = attainment(survey, kind="index").to_numpy(dtype=float)
        pooled = _welch(att[women & ~np.isnan(att)], att[men & ~np.isnan(att)], ctx.alpha)
        texts.append(f"attainment index women minus men {_ci_text(pooled, ctx.level)} (reported)")
    return _Outcome(_combine(parts), "; ".join(texts), gap)


def _c8(ctx: _Context) -> _Outcome:
    from scipy import stats

    survey = ctx.survey
    women, men = _by_gender(survey)
    hours = _numeric(survey, "hours_per_week").to_numpy()
    w = hours[women & ~np.isnan(hours)]
    m = hours[men & ~np.isnan(hours)]
    if len(w) < 2 or len(m) < 2:
        return _Outcome("not testable", "the survey needs hours of at least two women and two men")
    mw, mm = float(w.mean()), float(m.mean())
    if not (mw > 0 and mm > 0):
        return _Outcome(
            "inconclusive",
            f"mean hours per week women {_num(mw)}, men {_num(mm)}: no ratio",
        )
    se = math.sqrt(w.var(ddof=1) / (len(w) * mw**2) + m.var(ddof=1) / (len(m) * mm**2))
    log_ratio = math.log(mw / mm)
    q = float(stats.norm.ppf(1 - ctx.alpha / 2))
    p = float(2 * stats.norm.sf(abs(log_ratio / se))) if se > 0 else 0.0
    test = _Test(mw / mm, math.exp(log_ratio - q * se), math.exp(log_ratio + q * se), p, null=1.0)
    if test.ci_low > 1 and test.ci_low <= 2 <= test.ci_high:
        verdict = "supports"
    elif test.ci_high < 1.5 or test.ci_low > 2.5:
        verdict = "contradicts"
    else:
        verdict = "inconclusive"
    return _Outcome(
        verdict,
        f"mean hours per week women {_num(mw)} (n = {len(w)}), men {_num(mm)} (n = {len(m)}); "
        f"ratio {_ci_text(test, ctx.level)} (delta method; p tests a ratio of 1)",
        test,
    )


def _c9(ctx: _Context) -> _Outcome:
    return _direction_claim(ctx, "age_50_plus", -1)


def _c10(ctx: _Context) -> _Outcome:
    fit = ctx.fit()
    if isinstance(fit, str):
        return _not_fitted(fit)
    effects: list[_Effect] = []
    notes: list[str] = []
    for column in ("schooling", "professional_category", "language"):
        if column not in ctx.survey.columns:
            continue
        found, why = _level_contrasts(ctx, _labels(ctx.survey, column), fit.y, fit.X, column)
        effects += found
        notes += why
        block = _block_test(ctx, fit, column, within=True)
        notes.append(f"{_block_text(block)} (a test of any difference, reported)")
    if not effects:
        return _Outcome("inconclusive", "; ".join(notes) or "no block could be tested")
    verdict, text, test = _equivalence(effects, ctx.alpha)
    return _Outcome(verdict, "; ".join([text, *notes]) + f"; n = {fit.n}", test)


def _c11(ctx: _Context) -> _Outcome:
    survey = ctx.survey
    employer = _numeric(survey, "employer_recognition")
    x = employer.dropna().to_numpy()
    if len(x) < 2:
        return _Outcome("not testable", "fewer than two answers to employer_recognition")
    test = _one_sample(x, 3.0, ctx.alpha)
    texts = [f"mean employer_recognition {_ci_text(test, ctx.level)} (against 3)"]
    if test.sign(ctx.alpha) > 0:
        recognition = "contradicts"
    elif test.sign(ctx.alpha) < 0:
        recognition = "supports"
    else:
        recognition = "inconclusive"
    for other in ("peer_recognition", "org_support"):
        if other not in survey.columns:
            continue
        pair = pd.concat([employer, _numeric(survey, other)], axis=1).dropna().to_numpy()
        diff = _one_sample(pair[:, 0] - pair[:, 1], 0.0, ctx.alpha)
        texts.append(f"minus {other} {_ci_text(diff, ctx.level)} (paired)")
        if recognition == "supports" and diff.sign(ctx.alpha) >= 0:
            recognition = "inconclusive"
    parts = [recognition]
    if "hours_per_week" in survey.columns and any(
        f"att_{o}" in survey.columns for o in _OBJECTIVES
    ):
        fit = ctx.fit()
        if isinstance(fit, str):
            texts.append(f"time part not tested: {fit}")
            parts.append("inconclusive")
        elif fit.has("hours_per_week"):
            hours = fit.coef("hours_per_week")
            parts.append(_direction(hours, ctx.alpha, +1))
            texts.append(f"attainment model {fit.coef_text('hours_per_week')}")
        else:
            texts.append("hours_per_week not in the attainment model")
            parts.append("inconclusive")
    else:
        texts.append("time part not tested (needs hours_per_week and att_ columns)")
        parts.append("inconclusive")
    return _Outcome(_combine(parts), "; ".join(texts), test)


#: "Nearly every objective" (C12): at least this share of the objectives.
_NEARLY_EVERY = 0.8


def _c12(ctx: _Context) -> _Outcome:
    names, imp, att = _objective_answers(ctx.survey)
    k = len(names)
    if k == 0:
        return _Outcome("not testable", "no objective has both importance and attainment answers")
    gaps = _means(att) - _means(imp)
    below = int((gaps < 0).sum())
    above = int((gaps > 0).sum())
    share = below / k
    boot_i, boot_a, how = _bootstrap_means(ctx, imp, att)
    boot_gaps = boot_a - boot_i
    shares = (boot_gaps < 0).sum(axis=1) / k  # an objective without answers counts as not below
    a = ctx.alpha
    # one-sided bounds at alpha each, widened to hold the share itself if they miss it
    low = min(share, float(np.quantile(shares, a, method="lower")))
    high = max(share, float(np.quantile(shares, 1 - a, method="higher")))
    mean_gap = float(gaps.mean())
    boot_mean = np.nanmean(boot_gaps, axis=1)
    gap_lo, gap_hi = np.quantile(boot_mean, [a / 2, 1 - a / 2])
    if share >= _NEARLY_EVERY and low >= _NEARLY_EVERY:
        verdict = "supports"
    elif high <= 0.5:
        verdict = "contradicts"
    else:
        verdict = "inconclusive"
    pct = f"{100 * (1 - 2 * a):g}%"
    return _Outcome(
        verdict,
        f"attainment below importance on {below} of {k} objectives (share {_num(share)}; "
        f"{pct} bootstrap interval {_num(low)} to {_num(high)}), above on {above}; mean gap "
        f"attainment minus importance {_num(mean_gap)} ({100 * (1 - a):g}% bootstrap interval "
        f"{_num(float(gap_lo))} to {_num(float(gap_hi))}); {how}",
        _Test(share, low, high),
    )


def _ranks(means: np.ndarray) -> np.ndarray:
    """Mid-ranks of each row, 1 = highest mean (ties share the average of their ranks)."""
    from scipy import stats

    return np.asarray(stats.rankdata(-means, method="average", axis=-1), dtype=float)


def _c13(ctx: _Context) -> _Outcome:
    names, imp, att = _objective_answers(ctx.survey)
    k = len(names)
    focus = ("learning", "problem_solving")
    if k < 6 or not all(o in names for o in focus):
        return _Outcome(
            "not testable",
            f"needs learning, problem_solving and at least 6 objectives with both measures "
            f"(found {k})",
        )
    where = [names.index(o) for o in focus]
    att_rank, imp_rank = _ranks(_means(att)), _ranks(_means(imp))
    boot_i, boot_a, how = _bootstrap_means(ctx, imp, att)
    complete = np.isfinite(boot_i).all(axis=1) & np.isfinite(boot_a).all(axis=1)
    if not complete.any():
        return _Outcome(
            "inconclusive",
            f"no bootstrap resample has answers to every objective ({how}): the ranks' "
            "uncertainty cannot be told",
            _Test(float(max(att_rank[j] for j in where))),
        )
    b_att, b_imp = _ranks(boot_a[complete]), _ranks(boot_i[complete])
    a = ctx.alpha
    top, bottom = k / 3, k - k / 3
    texts, good, bad = [], [], []
    for o, j in zip(focus, where, strict=True):
        hi = float(np.quantile(b_att[:, j], 1 - a, method="higher"))
        lo = float(np.quantile(b_att[:, j], a / 2, method="lower"))
        better = float(np.quantile(b_att[:, j] - b_imp[:, j], 1 - a, method="higher"))
        ties = int((att_rank == att_rank[j]).sum()) - 1
        good.append(att_rank[j] <= top and att_rank[j] < imp_rank[j] and hi <= top and better < 0)
        bad.append(lo > bottom)
        texts.append(
            f"{o}: attainment rank {_num(att_rank[j], 1)} ({100 * (1 - a):g}% bootstrap upper "
            f"bound {_num(hi, 1)}"
            + (f"; tied with {ties} other objective(s)" if ties else "")
            + f"), importance rank {_num(imp_rank[j], 1)}; attainment rank minus importance "
            f"rank at most {_num(better, 1)}"
        )
    if any(bad):
        verdict = "contradicts"
    elif all(good):
        verdict = "supports"
    else:
        verdict = "inconclusive"
    worst = float(max(att_rank[j] for j in where))
    boot_worst = b_att[:, where].max(axis=1)
    worst_lo = min(worst, float(np.quantile(boot_worst, a / 2, method="lower")))
    worst_hi = max(worst, float(np.quantile(boot_worst, 1 - a / 2, method="higher")))
    return _Outcome(
        verdict,
        "; ".join(texts)
        + f" (of {k}; mid-ranks, 1 = highest; top third: rank <= {_num(top, 1)}); {how}"
        + (
            f"; {int((~complete).sum())} resamples without an answer to some objective left out"
            if (~complete).any()
            else ""
        ),
        _Test(worst, worst_lo, worst_hi),
    )


_EVALUATORS: dict[str, Callable[[_Context], _Outcome]] = {
    "C1": _c1,
    "C2": _c2,
    "C3": _c3,
    "C4": _c4,
    "C5": _c5,
    "C6": _c6,
    "C7": _c7,
    "C8": _c8,
    "C9": _c9,
    "C10": _c10,
    "C11": _c11,
    "C12": _c12,
    "C13": _c13,
}


# ---------------------------------------------------------------------------------------------
# the result
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ClaimsResult(Result):
    """Verdicts of the paper's claims on one survey (see :func:`compare_with_paper`).

    A :class:`~copfactors.report.Result`: ``to_text``, ``to_html``, ``to_latex``,
    ``print_summary`` and the notebook displays come from :meth:`render`; :meth:`to_frame` is
    :attr:`table`. ``repr()`` is a one-line list of the verdicts.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per claim evaluated, with the columns of :data:`RESULT_COLUMNS`: ``id``,
        ``statement``, ``verdict`` (one of :data:`VERDICTS`), ``evidence`` (a sentence with the
        estimates, intervals and tests), ``estimate``, ``ci_low``, ``ci_high``, ``p`` (the main
        quantity of the rule, NaN where it has none), ``rule`` and ``missing_columns`` (tuple
        of the claim's columns absent from the survey).
    simulated : bool
        Whether the survey is marked simulated (``survey.attrs["simulated"]``).
    source : str
        Where the survey came from, as far as known.
    alpha : float
        Significance level of the rules.
    model : MixedOrdinalRegression, OrdinalRegression or None
        The attainment model the driver claims read (None if not fitted): with a random
        intercept per CoP when the survey has CoPs (see :func:`fit_cop_model`).
    model_description : str
        What the attainment model is: link, drivers, respondents, covariance ("" if none).
    notes : list of str
        Which model and why, what the CoPs can tell about CoP-level drivers, what was left
        out of the model, its warnings, and what the data are.
    model_choice : ModelChoice or None
        Which model was fitted and why (None if none was).

    Examples
    --------
    >>> from copfactors.datasets import load_example_survey
    >>> res = compare_with_paper(load_example_survey(), claims=["C12"])
    >>> text = res.to_text()
    >>> "SIMULATED" in text and "C12" in text and text == str(res)
    True
    >>> res.to_html()[:6], "tabular" in res.to_latex()
    ('<table', True)
    """

    #: decimals when none are asked for (the table holds text; only the header has numbers)
    default_digits = 4

    table: pd.DataFrame
    simulated: bool
    source: str
    alpha: float
    model: OrdinalRegression | MixedOrdinalRegression | None = None
    model_description: str = ""
    notes: list[str] = field(default_factory=list)
    model_choice: ModelChoice | None = None

    def header(self) -> dict[str, str]:
        """The facts shown above the table.

        Examples
        --------
        >>> from copfactors.datasets import load_example_survey
        >>> res = compare_with_paper(load_example_survey(), claims=["C8"])
        >>> res.header()["Data"].startswith("SIMULATED")
        True
        """
        counts = self.table["verdict"].value_counts()
        data = (
            "SIMULATED survey: the verdicts show what the rules do, they are not evidence "
            "about real CoPs"
            if self.simulated
            else "survey not marked as simulated"
        )
        out = {"Data": data, "Source": self.source, "Significance level": f"{self.alpha:g}"}
        if self.model_description:
            out["Attainment model"] = self.model_description
        out["Verdicts"] = ", ".join(f"{v} {int(counts.get(v, 0))}" for v in VERDICTS)
        return out

    def to_frame(self) -> pd.DataFrame:
        """The verdicts table (a copy of :attr:`table`), one row per claim.

        Examples
        --------
        >>> from copfactors.datasets import load_example_survey
        >>> compare_with_paper(load_example_survey(), claims=["C8"]).to_frame()["id"].tolist()
        ['C8']
        """
        return self.table.copy()

    def render(self, style: str = "text", digits: int | None = None, **options: Any) -> str:
        """Render the verdicts with the header facts and notes.

        Parameters
        ----------
        style : {"text", "html", "latex"}
            Output format. Plain text shows ``id``, ``verdict`` and ``statement`` and gives
            each claim's evidence its own wrapped section below the table; HTML and LaTeX show
            the evidence as a column.
        digits : int, optional
            Decimals of numbers in the table (default :attr:`default_digits`; its columns are
            text, so this changes nothing today).
        **options
            None are used (accepted for the :class:`~copfactors.report.Result` protocol).

        Returns
        -------
        str
        """
        notes = [
            *self.notes,
            "Each claim's rule: copfactors.claims.paper_claims() or the JSON output.",
        ]
        # plain text keeps the table narrow and gives the long evidence its own section
        columns = ["id", "verdict", "statement"] + ([] if style == "text" else ["evidence"])
        out = render_table(
            self.table[columns],
            title="The paper's claims held against the survey",
            header=self.header(),
            style=style,
            digits=self._digits(digits),
            notes=notes,
        )
        if style != "text":
            return out
        lines = ["", "", "Evidence"]
        keep = {" = ": "\u00a0=\u00a0", " < ": "\u00a0<\u00a0", "CI ": "CI\u00a0"}
        for rec in self.table.itertuples(index=False):
            text = rec.evidence
            for a, b in keep.items():
                text = text.replace(a, b)  # no line break inside "p = 0.05" or "CI 1.2"
            lines.extend(
                line.replace("\u00a0", " ")
                for line in textwrap.wrap(
                    text,
                    width=100,
                    initial_indent=f"{rec.id:<4} ",
                    subsequent_indent=" " * 5,
                )
            )
        return out + "\n".join(lines) + "\n"

    def to_records(self) -> list[dict[str, Any]]:
        """The table as JSON-able records with the names of :data:`RESULT_COLUMNS`.

        Missing numbers are ``None`` and ``missing_columns`` is a list.

        Examples
        --------
        >>> from copfactors.datasets import load_example_survey
        >>> rec = compare_with_paper(load_example_survey(), claims=["C8"]).to_records()[0]
        >>> list(rec) == list(RESULT_COLUMNS), rec["verdict"]
        (True, 'supports')
        """
        records = []
        for row in self.table.to_dict(orient="records"):
            rec: dict[str, Any] = {}
            for key in RESULT_COLUMNS:
                value = row[key]
                if key == "missing_columns":
                    value = list(value)
                elif isinstance(value, float | np.floating):
                    value = float(value) if np.isfinite(value) else None
                rec[key] = value
            records.append(rec)
        return records

    def to_json(self) -> str:
        """The header facts, notes and records as a JSON document.

        Examples
        --------
        >>> import json
        >>> from copfactors.datasets import load_example_survey
        >>> doc = json.loads(compare_with_paper(load_example_survey(), claims=["C8"]).to_json())
        >>> doc["simulated"], doc["claims"][0]["id"]
        (True, 'C8')
        """
        payload = {
            "simulated": self.simulated,
            "source": self.source,
            "alpha": self.alpha,
            "header": self.header(),
            "notes": list(self.notes),
            "claims": self.to_records(),
        }
        return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"

    def __repr__(self) -> str:
        verdicts = ", ".join(f"{r.id}={r.verdict}" for r in self.table.itertuples(index=False))
        flag = "SIMULATED, " if self.simulated else ""
        return f"ClaimsResult({flag}{verdicts})"


def compare_with_paper(
    survey: pd.DataFrame,
    *,
    alpha: float = 0.05,
    link: str = "logit",
    cluster: str | None = "cop_id",
    claims: Sequence[str] | None = None,
    n_permutations: int = 999,
    seed: int = 0,
    n_jobs: int | None = None,
    extra: Sequence[str] | None = None,
    fit: AttainmentFit | None = None,
) -> ClaimsResult:
    """Hold a survey against the paper's claims, each by its documented rule.

    Parameters
    ----------
    survey : pandas.DataFrame
        Respondent-level data with the codebook's column names (for example from
        :func:`copfactors.read_survey` or :func:`copfactors.datasets.load_example_survey`).
        Columns may be missing: the claims that need them are ``"not testable"``.
    alpha : float, default 0.05
        Significance level of every rule; intervals are at level ``1 - alpha``, except those of
        the one-sided and equivalence rules (C4, C5, C6, C7's attainment part, C10, C12), at
        ``1 - 2 alpha`` (each of their ends is a one-sided test at ``alpha``; the evidence says
        which level).
    link : {"logit", "probit", "cloglog"}, default "logit"
        Link of the attainment model.
    cluster : str or None, default "cop_id"
        Column of each respondent's CoP: with at least :data:`MIXED_MIN_COPS` of them the
        attainment model has a random intercept per CoP (:func:`fit_cop_model`); None or a
        missing column give a model without, with robust (HC0) standard errors (said in the
        notes).
    claims : list of str, optional
        Claim ids to evaluate (default: all, C1 to C13).
    n_permutations : int, default 999
        Permutations of the permutation score tests (reported with C6: platform; C10:
        schooling, professional category, language), and resamples of the respondent-level
        bootstrap of C12 and C13; at least 19.
    seed : int, default 0
        Root seed of the permutations: permutation ``i`` draws from child ``i`` of
        ``numpy.random.SeedSequence(seed)`` (see :func:`copfactors.parallel.replicate_seeds`),
        so the p-values do not depend on ``n_jobs`` or on where the work runs.
    n_jobs : int, optional
        Workers for the permutations, as :class:`joblib.Parallel` (None: one, or the active
        ``joblib.parallel_config``, which may be a Dask cluster).
    extra : list of str, optional
        Your own survey columns, added to the attainment model's drivers as
        ``CoPFeatureBuilder(extra=...)`` adds them: the claims read from that model are then
        adjusted for them (the verdict rules are unchanged; the notes name them).
    fit : AttainmentFit, optional
        An attainment model already fitted on this survey's respondents (its rows are
        survey row labels), for the driver claims to read instead of fitting their own:
        for example the model a report shows, so that its model section and its claims
        rest on one fit. Its drivers are then the claims' drivers, so ``extra`` cannot be
        given with it; its link must be ``link``. The notes and ``model_description`` come
        from it; ``cluster`` still says which column the permutation tests use.

    Returns
    -------
    ClaimsResult
        ``.table`` with one row per claim (see :class:`ClaimsResult`), renderers and records.

    Raises
    ------
    copfactors.errors.CopFactorsError
        If ``survey`` is not a DataFrame, ``alpha`` is not in (0, 1), ``link`` is unknown, a
        claim id is unknown, the survey holds values outside the codebook (a
        :class:`~copfactors.errors.FeatureError` naming the column and rows), or ``fit`` is
        not an :class:`AttainmentFit` of this survey's rows with link ``link`` (or comes
        with ``extra``).

    Notes
    -----
    The rules are in :func:`paper_claims` (column ``rule``) and in the module's docstring;
    they were fixed before looking at any survey. On a survey simulated with the generating
    model of :func:`copfactors.datasets.make_survey` they give the verdicts that model
    implies; on real data they are as good as the survey's size: with about a hundred
    respondents in seven CoPs a small effect is honestly ``"inconclusive"``.

    Examples
    --------
    >>> from copfactors.claims import compare_with_paper
    >>> from copfactors.datasets import load_example_survey
    >>> res = compare_with_paper(load_example_survey(), claims=["C1", "C3", "C12"])
    >>> res.table[["id", "verdict"]].values.tolist()
    [['C1', 'supports'], ['C3', 'supports'], ['C12', 'supports']]
    >>> survey = load_example_survey().drop(columns=["voluntary"])
    >>> res = compare_with_paper(survey, claims=["C3"])
    >>> res.table.loc[0, "verdict"], res.table.loc[0, "missing_columns"]
    ('not testable', ('voluntary',))
    """
    if not isinstance(survey, pd.DataFrame):
        raise CopFactorsError(f"the survey must be a pandas DataFrame, not {type(survey).__name__}")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise CopFactorsError(f"alpha must be a number in (0, 1), got {alpha!r}")
    if link not in ("logit", "probit", "cloglog"):
        raise CopFactorsError(f"link must be 'logit', 'probit' or 'cloglog', got {link!r}")
    if cluster is not None and not isinstance(cluster, str):
        raise CopFactorsError(f"cluster must be a column name or None, got {cluster!r}")
    if claims is None:
        ids = [c.id for c in _CLAIMS]
    else:
        ids = [claims] if isinstance(claims, str) else list(claims)
        unknown = [i for i in ids if i not in _BY_ID]
        if unknown:
            raise CopFactorsError(
                f"unknown claim id(s) {unknown}; known: {', '.join(c.id for c in _CLAIMS)}"
            )
        if not ids:
            raise CopFactorsError("claims is empty; give at least one claim id")
    if (
        isinstance(n_permutations, bool)
        or not isinstance(n_permutations, int | np.integer)
        or n_permutations < 19
    ):
        raise CopFactorsError(f"n_permutations must be an integer >= 19, got {n_permutations!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise CopFactorsError(f"seed must be a non-negative integer, got {seed!r}")

    n_jobs = check_n_jobs(n_jobs)
    # a column without any answer is as good as absent (read_survey keeps such columns)
    empty = [c for c in survey.columns if survey[c].isna().all()]
    if empty:
        attrs = dict(survey.attrs)
        survey = survey.drop(columns=empty)
        survey.attrs = attrs
    if extra is not None:
        extra = [extra] if isinstance(extra, str) else list(extra)
        unknown = [c for c in extra if c not in survey.columns]
        if unknown:
            raise CopFactorsError(f"extra column(s) {unknown} are not in the survey")
    if fit is not None:
        if not isinstance(fit, AttainmentFit):
            raise CopFactorsError(
                f"fit must be an AttainmentFit (or None), got {type(fit).__name__}"
            )
        if extra:
            raise CopFactorsError(
                "give extra or fit, not both: the fitted model's drivers are the claims' drivers"
            )
        if fit.link != link:
            raise CopFactorsError(
                f"the fitted model has the {fit.link} link, but link={link!r}; pass "
                f"link={fit.link!r}"
            )
        outside = fit.X.index.difference(survey.index)
        if len(outside):
            raise CopFactorsError(
                f"the fitted model's rows {outside[:5].tolist()} are not rows of the survey: "
                "fit must be fitted on this survey"
            )
    ctx = _Context(
        survey,
        float(alpha),
        link,
        cluster,
        int(n_permutations),
        int(seed),
        n_jobs,
        extra or None,
        fit,
    )
    rows = []
    for cid in ids:
        claim = _BY_ID[cid]
        absent, lacking = _missing_for(claim, survey)
        if lacking:
            outcome = _Outcome("not testable", f"the survey lacks {'; '.join(lacking)}")
        else:
            outcome = _EVALUATORS[cid](ctx)
        rows.append(
            {
                "id": cid,
                "statement": claim.statement,
                "verdict": outcome.verdict,
                "evidence": outcome.evidence,
                "estimate": float(outcome.test.estimate),
                "ci_low": float(outcome.test.ci_low),
                "ci_high": float(outcome.test.ci_high),
                "p": float(outcome.test.p),
                "rule": claim.rule,
                "missing_columns": absent,
            }
        )
    table = pd.DataFrame(rows, columns=list(RESULT_COLUMNS))
    fit = ctx._fit if ctx._fitted else None
    notes: list[str] = []
    model = None
    description = ""
    choice = None
    if isinstance(fit, _ModelFit):
        model = fit.model
        choice = fit.choice
        what = "mixed " if choice is not None and choice.mixed else ""
        description = (
            f"cumulative {link} {what}model of the T2 attainment level on "
            f"{len(fit.model.coef_)} drivers, n = {fit.n}, {fit.cov_label}"
        )
        if choice is not None:
            notes.extend(choice.lines())
        notes.extend(n for n in fit.notes if n not in notes)
    elif isinstance(fit, str):
        notes.append(f"attainment model not fitted: {fit}")
    simulated = bool(survey.attrs.get("simulated", False))
    if simulated:
        notes.append(str(survey.attrs.get("description", "SIMULATED data.")))
    source = str(survey.attrs.get("source") or survey.attrs.get("mode") or "a DataFrame")
    return ClaimsResult(table, simulated, source, float(alpha), model, description, notes, choice)
