"""Scoring planned CoPs: the probability of attaining the objectives, and what would raise it.

:func:`score` takes a :class:`~copfactors.plans.PlannedCoP` and an attainment model (by default
the reference model shipped with copfactors, fitted on SIMULATED data), and returns a
:class:`ScoreResult`:

* ``probability``: the mean over the planned members of ``P(attainment >= level)`` (level 4,
  "attained", by default), the model's estimate that a member will see the CoP's objectives
  attained. With a random-intercept model (``fit_attainment_model(...,
  random_intercept=True)``) it is the marginal probability for a *new* CoP: the planned CoP's
  own intercept is unknown, so it is integrated over its distribution ``N(0, sigma^2)``
  (population-averaged), and its interval carries the uncertainty of ``sigma``;
* ``distribution``: the mean probability of each attainment level; ``expected``: the expected
  attainment score;
* 90 % intervals for ``probability`` and ``expected`` from the model's parameter uncertainty;
* ``flags``: risks of the plan in words (no steward, mostly designated members, little
  protected time, ...), each tied to the paper's conclusions;
* :meth:`ScoreResult.levers`: what-if changes to the plan ranked by how much they raise the
  probability, in percentage points, each with a paired interval: associations in the model
  (fitted on observational data), not tested interventions;
* ``defaults_used``: the fields the plan left out, the value each took and where it comes from;
  ``simulated`` and ``model_info``: what the model is and what it was fitted on.

Printed (``to_text``, ``copfactors score``), a result starts with what was scored and with
which model (saying SIMULATED when it was fitted on simulated data), then gives the chance in
words with the rating scale's labels and its plausible range.

:func:`score_many` scores many plans at once (one feature build and one prediction for all).

How the intervals are computed
------------------------------
The parameters (thresholds, nominal effects, coefficients) are drawn ``n_draws`` times from
the multivariate normal with the model's estimates as mean and its covariance ``cov_`` (seeded
by ``random_state``; the covariance is factored by its eigen-decomposition, negative rounding
eigenvalues set to zero, so a rank-deficient covariance, as a cluster-robust one over few
clusters, is handled). A draw whose thresholds are not increasing is **sorted**, not rejected:
sorting keeps every draw, and a crossing only happens when two thresholds are within sampling
noise of each other, where the order carries no information; ``n_draws_sorted`` says how many
draws were sorted. For every draw the linear predictors of all members are one matrix product
``(members x p) @ (p x draws)``; a member's probability of ``attainment >= level`` and expected
score follow from the drawn thresholds, and are averaged over the members. For a
random-intercept model the parameters drawn are the thresholds, the coefficients and
``log_sigma`` (its ``cov_`` covers all three), and each draw's member probabilities are the
marginal ones for a new CoP, integrated over the intercept ``u ~ N(0, sigma^2)`` of that draw's
``sigma`` by Gauss-Hermite quadrature (40 nodes, as the model's own ``predict_proba``): the
between-CoP variance enters through ``sigma`` and its uncertainty. It is an interval for the
population-averaged probability, not a prediction interval for the planned CoP's own
(conditional) probability, which would be wider. The interval is the central ``interval``
share of the draws (percentiles 5 and 95 for 0.90). The point estimates are the model's own
predictions at the estimates, not the mean of the draws. The lever intervals use the *same*
draws for the plan and for the changed plan, so each interval is that of the paired
difference.

Examples
--------
>>> import copfactors as cf
>>> plan = cf.PlannedCoP.from_dict(
...     {
...         "name": "Heart-health website",
...         "steward_type": "dedicated",
...         "sponsor": "professional_association",
...         "composition": {"n_members": 20, "share_women": 1.0, "share_voluntary": 1.0,
...                         "hours_per_week": 1.0, "commitment": 4.5},
...     }
... )
>>> result = cf.score(plan, n_draws=200)
>>> 0 < result.probability_low < result.probability < result.probability_high < 1
True
>>> "SIMULATED" in result.model_note
True
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from copfactors._utils.render import STYLES, Result, render_table
from copfactors.errors import (
    CopFactorsError,
    FeatureError,
    ModelInputError,
    ParameterError,
    PlanError,
)
from copfactors.plans import COMPOSITION_FIELDS, PlannedCoP
from copfactors.schema import CODEBOOK

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from copfactors.features import CoPFeatureBuilder
    from copfactors.persist import AttainmentModel

__all__ = [
    "LEVER_COLUMNS",
    "MAX_DRAWS",
    "REFERENCE_MODEL_FILE",
    "SEED_LIMIT",
    "ScoreResult",
    "check_draws",
    "reference_model",
    "score",
    "score_many",
]

#: Most parameter draws made by default (``max_draws`` of :func:`score` and
#: :func:`score_many` raises it): the intervals are stable to a tenth of a percentage point
#: long before, and each draw costs memory for every scenario scored.
MAX_DRAWS = 100_000
#: Seeds of the draws are integers from 0 to ``SEED_LIMIT - 1`` (the range every numpy
#: generator accepts), or None.
SEED_LIMIT = 2**32

#: Name of the reference model inside the package (``copfactors/data``) and in ``models/``.
REFERENCE_MODEL_FILE = "reference-ordinal.json"

#: Columns of :meth:`ScoreResult.levers` (changes in percentage points).
LEVER_COLUMNS = (
    "lever",
    "description",
    "from",
    "to",
    "probability",
    "change_pp",
    "change_pp_low",
    "change_pp_high",
)
# the levers as computed (changes of probability, 0-1), before they are shown in points
_LEVER_RAW = (
    "lever",
    "description",
    "from",
    "to",
    "probability",
    "delta",
    "delta_low",
    "delta_high",
)

_REFERENCE_NOTE = (
    "reference model fitted on SIMULATED data calibrated to the paper's Table 1 "
    "({n} respondents in {n_cops} CoPs); refit on your own survey for decisions"
)
_STEWARD_ORDER = ("none", "designated", "dedicated")
_STEWARD_DEFAULT = {"none": 1.0, "designated": 3.0, "dedicated": 4.0}
# to_members' per-member defaults for fields a member list may leave out
_MEMBER_DEFAULTS = {
    "hours_per_week": COMPOSITION_FIELDS["hours_per_week"][2],
    "prior_acquaintance": COMPOSITION_FIELDS["prior_acquaintance"][2],
    "commitment": COMPOSITION_FIELDS["commitment"][2],
}
# notes on columns the plan does not give contain this (the text output lists them as defaults)
_NOT_GIVEN = "not given by the plan"
_TYPICAL_OWN = "the training data's typical value (a variable of your own, not part of a plan)"
_TYPICAL_IMPUTED = "the training data's typical value (filled in by the model's feature builder)"
# rows x draws evaluated at once when scoring with draws (bounds the memory used)
_BLOCK = 1 << 21
# Gauss-Hermite nodes of the marginal probabilities of a random-intercept model over the draws
# (the number MixedOrdinalRegression.predict_proba uses, so draws at the estimates match it)
_MARGINAL_NODES = 40


# ---------------------------------------------------------------------------------------------
# the reference model
# ---------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def reference_model() -> AttainmentModel:
    """The reference attainment model shipped with copfactors (fitted on SIMULATED data).

    An ordinal logit model with a random intercept per CoP (a
    :class:`~copfactors.models.MixedOrdinalRegression`, Laplace approximation, model-based
    covariance), fitted by ``scripts/make_reference_model.py`` on
    :func:`copfactors.load_example_survey`, a simulation of 95 usable respondents in 7 CoPs
    calibrated to the paper's Table 1. Its coefficients are conditional (within a CoP); a
    plan is scored as a new CoP, with the marginal probability, and the score's interval
    includes the between-CoP variance and the uncertainty of ``sigma``. With 7 CoPs ``sigma``
    is barely identified (about 0.43, 95% interval about 0.015 to 12), so the intervals are
    wide. It illustrates scoring and is a template: refit on your own survey
    (:func:`copfactors.fit_attainment_model`) for decisions. See
    ``models/reference-ordinal.md`` (the model card). The same object is returned on every
    call; do not modify it.

    Examples
    --------
    >>> from copfactors.scoring import reference_model
    >>> model = reference_model()
    >>> model.training["simulated"], model.training["n_cops"], model.random_intercept
    (True, 7, True)
    >>> round(model.regression.sigma_, 2)
    0.43
    """
    from importlib import resources

    from copfactors.persist import AttainmentModel, load_model

    ref = resources.files("copfactors").joinpath("data", REFERENCE_MODEL_FILE)
    with resources.as_file(ref) as path:
        model = load_model(path)
    assert isinstance(model, AttainmentModel)
    return model


def resolve_model(model: Any) -> AttainmentModel:
    """The attainment model to score with: ``None`` is the reference model, a path is loaded."""
    from copfactors.models import MixedOrdinalRegression, OrdinalRegression
    from copfactors.persist import AttainmentModel, load_model

    if model is None:
        return reference_model()
    if isinstance(model, str | os.PathLike):
        model = load_model(model)
    if isinstance(model, OrdinalRegression | MixedOrdinalRegression):
        raise CopFactorsError(
            "scoring needs an AttainmentModel (a feature builder and a regression); a bare "
            f"{type(model).__name__} cannot turn a plan into features. Use "
            "copfactors.fit_attainment_model(survey)"
        )
    if not isinstance(model, AttainmentModel):
        raise CopFactorsError(
            f"model must be an AttainmentModel, a model file or None, got {type(model).__name__}"
        )
    return model


def _resolve_plan(plan: Any) -> PlannedCoP:
    if isinstance(plan, PlannedCoP):
        return plan
    if isinstance(plan, Mapping):
        return PlannedCoP.from_dict(plan)
    if isinstance(plan, str | os.PathLike):
        return PlannedCoP.from_file(plan)
    raise PlanError(
        f"a plan must be a PlannedCoP, a mapping of fields or a plan file, got "
        f"{type(plan).__name__}"
    )


def _model_note(model: AttainmentModel) -> str:
    t = model.training
    n, n_cops = t.get("n", "?"), t.get("n_cops", "?")
    if t.get("reference"):
        note = _REFERENCE_NOTE.format(n=n, n_cops=n_cops)
    elif model.simulated:
        src = f" ({t['source']})" if t.get("source") else ""
        note = (
            f"model fitted on SIMULATED data{src}, {n} respondents in {n_cops} CoPs; refit on "
            "your own survey for decisions"
        )
    else:
        src = f" from {t['source']}" if t.get("source") else ""
        note = f"model fitted on {n} respondents in {n_cops} CoPs{src}"
    mixed = _is_mixed(model.regression)
    if mixed:
        reg = model.regression
        note += (
            f". It is a random-intercept model (CoPs differ with SD sigma = {reg.sigma_:.2f} on "
            f"the latent scale, ICC {reg.icc_:.2f}): the probability is for a new CoP, "
            "population-averaged over the between-CoP variation"
        )
    rank, k = _cov_rank(model)
    if rank < k:
        cov_type = (
            "model-based"
            if mixed
            else getattr(model.regression, "_fit_cov_type", model.regression.cov_type)
        )
        why = (
            f"cluster-robust over {model.regression.n_clusters_} CoPs"
            if cov_type == "cluster"
            else cov_type
        )
        note += (
            f". Its covariance ({why}) has rank {rank} of {k}, so the intervals understate the "
            "uncertainty"
        )
    return note


def _is_mixed(regression: Any) -> bool:
    """Whether a regression is a random-intercept model (predicting marginally for a new CoP)."""
    from copfactors.models import MixedOrdinalRegression

    return isinstance(regression, MixedOrdinalRegression)


def _cov_rank(model: AttainmentModel) -> tuple[int, int]:
    import numpy as np

    cov = model.regression.cov_.to_numpy()
    if not np.isfinite(cov).all():
        return 0, cov.shape[0]
    vals = np.linalg.eigvalsh((cov + cov.T) / 2)
    top = float(vals.max()) if vals.size else 0.0
    return int(np.sum(vals > max(top, 0.0) * 1e-10)), cov.shape[0]


_COV_WORDS = {
    "model-based": "model-based (the inverse of the information matrix)",
    "nonrobust": "model-based (the inverse of the information matrix)",
    "robust": "robust (HC0 sandwich, each respondent on their own)",
    "cluster": "cluster-robust (sandwich over the CoPs)",
}


def _model_info(model: AttainmentModel) -> dict[str, Any]:
    """What kind of model scores, what it was fitted on and its covariance, as JSON values."""
    t = model.training
    reg = model.regression
    mixed = _is_mixed(reg)
    cov = t.get("cov_type") or (
        "model-based" if mixed else getattr(reg, "_fit_cov_type", getattr(reg, "cov_type", None))
    )
    words = _COV_WORDS.get(str(cov), str(cov))
    n_clusters = getattr(reg, "n_clusters_", None)
    if cov == "cluster" and n_clusters:
        words = f"cluster-robust (sandwich over {int(n_clusters)} CoPs)"
    return {
        "kind": "random-intercept" if mixed else "fixed-effects",
        "outcome": str(t.get("kind", "ordinal")),
        "link": str(getattr(reg, "_fit_link", getattr(reg, "link", "logit"))),
        "reference": bool(t.get("reference", False)),
        "data": {
            "source": None if t.get("source") is None else str(t["source"]),
            "n_respondents": None if t.get("n") is None else int(t["n"]),
            "n_cops": None if t.get("n_cops") is None else int(t["n_cops"]),
            "simulated": bool(model.simulated),
        },
        "covariance": {"type": None if cov is None else str(cov), "description": words},
        **({"threshold": _binary_threshold(t)} if t.get("kind") == "binary" else {}),
    }


def _binary_threshold(training: Mapping[str, Any]) -> float:
    """The cut-off of a binary model's outcome (``"attainment index >= 4"``: 4; default 4)."""
    import re

    found = re.search(r">=\s*([0-9.]+)", str(training.get("outcome", "")))
    return float(found.group(1)) if found else 4.0


def _attainment_anchors() -> dict[int, str]:
    """Labels of the attainment ratings by value, from the codebook (1: "not attained at all")."""
    items = CODEBOOK.by_role("attainment")
    return dict(items[0].anchors("en")) if items else {}


def _level_labels(classes: Any, binary: bool) -> dict[Any, str | None]:
    """The codebook label of each outcome level of a model (None when it has none)."""
    if binary:
        return {plain_label(c): "attained" if bool(c) else "not attained" for c in classes}
    anchors = _attainment_anchors()
    out: dict[Any, str | None] = {}
    for c in classes:
        v = plain_label(c)
        whole = isinstance(v, int | float) and not isinstance(v, bool) and float(v).is_integer()
        out[v] = anchors.get(int(v)) if whole else None
    return out


# ---------------------------------------------------------------------------------------------
# members as weighted profiles, and their features
# ---------------------------------------------------------------------------------------------
def _apportion_many(n: np.ndarray, shares: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``plans._apportion`` for many plans at once (largest remainder, ties to the first key).

    ``shares`` is (plans x keys) in each plan's key order; ``valid`` marks the keys a plan has
    (padding keys get nothing). The arithmetic is the same as the scalar version's, so the
    counts are identical.
    """
    import numpy as np

    raw = n[:, None] * shares
    floors = np.floor(raw)
    left = n - floors.sum(axis=1).astype(np.int64)
    rem = np.where(valid, raw - floors, -np.inf)
    order = np.argsort(-rem, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(shares.shape[1])[None, :], axis=1)
    return floors.astype(np.int64) + ((rank < left[:, None]) & valid)


def _composition_profiles(plans: Sequence[PlannedCoP]) -> tuple[dict[str, Any], np.ndarray]:
    """Distinct member rows of composition plans and how many members each stands for.

    ``plan.to_members()`` lists the women first, the age bands in the order of ``age_mix``
    and the voluntary members first, each split by the largest-remainder method. A member's
    row is fixed by where it falls in these three runs, so a plan has at most five distinct
    rows (one per segment between the runs' boundaries). Expanding each row by its count gives
    ``to_members()`` row for row (ids aside); this is computed for all plans at once.

    Returns the columns (arrays, one entry per row, with ``_plan``: the plan's position) and
    the row counts.
    """
    import numpy as np

    P = len(plans)
    n = np.empty(P, dtype=np.int64)
    women = np.empty(P)
    voluntary = np.empty(P)
    age_share = np.zeros((P, 3))
    age_valid = np.zeros((P, 3), dtype=bool)
    age_name = np.full((P, 3), None, dtype=object)
    num = {k: np.empty(P) for k in ("hours_per_week", "prior_acquaintance", "commitment")}
    steward_active = np.empty(P)
    cop_cols = {
        "training_received": np.empty(P, dtype=bool),
        "org_support": np.empty(P),
        "employer_recognition": np.empty(P),
        "peer_recognition": np.empty(P),
        "tech_mastery": np.empty(P),
        "steward_type": np.empty(P, dtype=object),
        "sponsor": np.empty(P, dtype=object),
        "leader_changes": np.empty(P, dtype=np.int64),
        "cop_id": np.empty(P, dtype=object),
    }
    for i, plan in enumerate(plans):
        comp, cop = plan.composition or {}, plan.cop
        n[i] = comp["n_members"]
        women[i] = comp["share_women"]
        voluntary[i] = comp["share_voluntary"]
        for j, (band, share) in enumerate(comp["age_mix"].items()):
            age_share[i, j], age_valid[i, j], age_name[i, j] = share, True, band
        for k, arr in num.items():
            arr[i] = comp[k]
        active = comp.get("steward_active")
        steward_active[i] = _STEWARD_DEFAULT[cop["steward_type"]] if active is None else active
        cop_cols["training_received"][i] = cop["training_planned"]
        for k in ("org_support", "employer_recognition", "peer_recognition", "tech_mastery"):
            cop_cols[k][i] = cop[k]
        cop_cols["steward_type"][i] = cop["steward_type"]
        cop_cols["sponsor"][i] = cop["sponsor"]
        cop_cols["leader_changes"][i] = cop["leader_changes"]
        cop_cols["cop_id"][i] = plan.name
    two = np.ones((P, 2), dtype=bool)
    n_women = _apportion_many(n, np.column_stack([women, 1 - women]), two)[:, 0]
    n_vol = _apportion_many(n, np.column_stack([voluntary, 1 - voluntary]), two)[:, 0]
    ages = np.cumsum(_apportion_many(n, age_share, age_valid), axis=1)
    cuts = np.sort(np.column_stack([np.zeros(P, np.int64), n_women, ages, n_vol, n]), axis=1)
    starts, lengths = cuts[:, :-1], np.diff(cuts, axis=1)
    keep = lengths > 0
    plan_of = np.nonzero(keep)[0]
    start = starts[keep]
    band = (start[:, None] >= ages[plan_of, :2]).sum(axis=1)
    commitment = num["commitment"][plan_of]
    columns: dict[str, Any] = {
        "_plan": plan_of,
        "gender": np.where(start < n_women[plan_of], "woman", "man").astype(object),
        "age_band": age_name[plan_of, band],
        "voluntary": start < n_vol[plan_of],
        "hours_per_week": num["hours_per_week"][plan_of],
        "prior_acquaintance": num["prior_acquaintance"][plan_of],
        "steward_active": steward_active[plan_of],
        "commitment_1": commitment,
        "commitment_2": commitment.copy(),
        "commitment_3": commitment.copy(),
        **{k: v[plan_of] for k, v in cop_cols.items()},
    }
    return columns, lengths[keep].astype(float)


@dataclass
class _Batch:
    """Member profiles of several scenarios (plans), stacked in plan order, with features."""

    frame: pd.DataFrame
    X: pd.DataFrame
    weights: np.ndarray
    starts: np.ndarray  # first row of each scenario
    notes: list[str]
    # columns the model needs that no plan gives: column -> (value taken, where it comes from)
    defaults: dict[str, tuple[Any, str]] = field(default_factory=dict)


def _batch(model: AttainmentModel, plans: Sequence[PlannedCoP]) -> _Batch:
    import numpy as np
    import pandas as pd

    comp_idx = [i for i, p in enumerate(plans) if p.members is None]
    pieces = []
    weights = []
    if comp_idx:
        cols, w = _composition_profiles([plans[i] for i in comp_idx])
        cols["_plan"] = np.asarray(comp_idx, dtype=np.int64)[cols["_plan"]]
        pieces.append(pd.DataFrame(cols))
        weights.append(w)
    for i, plan in enumerate(plans):
        if plan.members is not None:
            members = plan.to_members().drop(columns=["respondent_id"])
            members.insert(0, "_plan", i)
            pieces.append(members)
            weights.append(np.ones(len(members)))
    frame = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
    w = np.concatenate(weights)
    owner = frame["_plan"].to_numpy()
    if len(pieces) > 1:
        order = np.argsort(owner, kind="stable")
        frame = frame.iloc[order].reset_index(drop=True)
        w, owner = w[order], owner[order]
    frame = frame.drop(columns=["_plan"])
    starts = np.searchsorted(owner, np.arange(len(plans)))
    X, notes, defaults = _features(model, frame, plans, owner, starts)
    return _Batch(frame=frame, X=X, weights=w, starts=starts, notes=notes, defaults=defaults)


def _features(
    model: AttainmentModel,
    frame: pd.DataFrame,
    plans: Sequence[PlannedCoP],
    owner: np.ndarray,
    starts: np.ndarray,
) -> tuple[pd.DataFrame, list[str], dict[str, tuple[Any, str]]]:
    """The model's features for member rows; plan problems become PlanError.

    Also returns the notes on columns no plan gives, and those columns' defaults
    (``{column: (value, source)}``, as ``PlannedCoP.defaults_used``).
    """
    import numpy as np
    import pandas as pd

    builder = model.builder
    needed = list(
        dict.fromkeys(c for g in builder._groups for c in builder._specs[g.name]["columns"])
    )
    absent = [c for c in needed if c not in frame.columns]
    notes: list[str] = []
    defaults: dict[str, tuple[Any, str]] = {}
    # a researcher's own variables (extra columns) are not part of a plan: they take the
    # training data's typical value, whatever the builder does with missing answers
    extras = getattr(builder, "extra_groups_", {}) or {}
    typical = {
        c: extras[c].get("typical")
        for c in absent
        if c in extras and extras[c].get("typical") is not None
    }
    if typical:
        frame = frame.copy()
        for c, value in typical.items():
            frame[c] = value
        absent = [c for c in absent if c not in typical]
        for c, value in typical.items():
            defaults[c] = (plain_label(value), _TYPICAL_OWN)
        notes.append(
            f"your own variable(s) {', '.join(typical)} {_NOT_GIVEN}: set to the "
            "training data's typical value ("
            + ", ".join(f"{c} = {v!r}" for c, v in typical.items())
            + ")"
        )
    if absent:
        if builder.missing != "impute":
            raise PlanError(
                f"the model uses {', '.join(absent)}, which the plan does not give: describe "
                f"the members one by one with {', '.join(absent)} (or use a model whose "
                "feature builder imputes missing values)"
            )
        frame = frame.copy()
        fills = getattr(builder, "fill_values_", {}) or {}
        for c in absent:
            frame[c] = pd.NA
            defaults[c] = (plain_label(fills.get(c)), _TYPICAL_IMPUTED)
        notes.append(
            f"{', '.join(absent)} {_NOT_GIVEN}: filled with the training data's typical value"
        )
    X = _encode_clean(builder, frame)
    if X is None:
        try:
            X = builder.transform(frame)
        except FeatureError as err:
            raise PlanError(f"the plan cannot be encoded for the model: {err}") from err
    if len(X) != len(frame):
        lost = np.setdiff1d(np.arange(len(frame)), X.index.to_numpy())
        p = int(owner[lost[0]])
        members = [int(j - starts[p]) + 1 for j in lost if owner[j] == p]
        cols = [c for c in needed if pd.isna(frame.loc[lost[0], c])]
        raise PlanError(
            f"plan {plans[p].name!r}: member(s) {', '.join(map(str, members[:10]))} lack "
            f"{', '.join(cols)}, which the model needs (give {', '.join(cols)} for every "
            "member, or use a model whose feature builder imputes missing values)"
        )
    return X, notes, defaults


def _encode_clean(builder: CoPFeatureBuilder, frame: pd.DataFrame) -> pd.DataFrame | None:
    """The builder's transform for complete, valid rows, column by column in NumPy.

    The fitted builder's groups, references and settings give each feature; the operations are
    those of ``CoPFeatureBuilder.transform`` on complete rows, so the result is identical (the
    tests hold the two against each other). Returns None when a value is missing, of another
    type or outside the codebook: the builder's own transform then handles (or reports) it.
    """
    import numpy as np
    import pandas as pd

    if getattr(builder, "formula", None) is not None:
        return None  # the design of a builder's formula comes from its own transform
    out: dict[str, np.ndarray] = {}
    for g in builder._groups:
        spec = builder._specs[g.name]
        cols = spec["columns"]
        if g.kind == "scale":
            items = [_numeric_column(frame[c], 1, 5) for c in cols]
            if any(v is None for v in items):
                return None
            stacked = np.column_stack(items)
            answered = ~np.isnan(stacked)
            count = answered.sum(axis=1)
            total = np.where(answered, stacked, 0.0).sum(axis=1)
            values = total / np.maximum(count, 1)
        elif g.kind == "category":
            s = frame[cols[0]]
            raw = s.to_numpy(dtype=object)
            known = [spec["reference"], *(f[len(g.prefix) + 1 :] for f in spec["features"])]
            if not pd.Series(raw).isin(known).all():
                return None
            for fname in spec["features"]:
                out[fname] = (raw == fname[len(g.prefix) + 1 :]).astype(float)
            continue
        elif g.kind == "boolean":
            s = frame[cols[0]]
            if s.dtype != bool:
                return None
            values = s.to_numpy(dtype=float)
        else:
            low, high = {
                "likert": (1, 5),
                "count": (0, None),
                "hours": (0, None),
                "number": (-np.inf, None),  # a researcher's extra numeric column: any value
            }[g.kind]
            values = _numeric_column(frame[cols[0]], low, high, integer=g.kind == "count")
            if values is None:
                return None
        if g.kind == "hours" and builder.hours_log1p:
            values = np.log1p(values)
        out[spec["features"][0]] = values.astype(float)
    names = list(builder.feature_names_out_)
    return pd.DataFrame(out, index=frame.index, columns=names).astype(float)


def _numeric_column(
    s: pd.Series, low: float, high: float | None, integer: bool = False
) -> np.ndarray | None:
    """Float values of a complete numeric column within [low, high], else None."""
    import numpy as np

    if s.dtype.kind not in "iuf":
        return None
    values = s.to_numpy(dtype=float)
    if not np.isfinite(values).all() or (values < low).any():
        return None
    if high is not None and (values > high).any():
        return None
    if integer and (values != np.round(values)).any():
        return None
    return values


# ---------------------------------------------------------------------------------------------
# prediction at the estimates and over parameter draws
# ---------------------------------------------------------------------------------------------
def _member_draws(kernel: dict[str, Any], X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(Y >= level) and expected score of each row under each draw (rows x D)."""
    import numpy as np

    from copfactors.models import get_link

    eta = X[:, kernel["loc_idx"]] @ kernel["beta_t"]  # (n, D)
    theta_t = kernel["theta"].T
    if kernel["nominal_idx"]:
        W = X[:, kernel["nominal_idx"]]
        cuts = theta_t[:, None, :] + np.einsum("nq,dqj->jnd", W, kernel["gamma"])
        cuts = np.sort(cuts, axis=0)  # (J, n, D); rows whose cut points cross are sorted
    else:
        cuts = theta_t[:, None, :]  # (J, 1, D)
    link_sf = get_link(kernel["link"]).sf
    sigma = kernel.get("sigma")
    if sigma is None:
        sf = link_sf(cuts - eta[None, :, :])  # P(Y > j) per cut: (J, n, D)
    else:
        # a random-intercept model, marginally for a new CoP: P(Y > j) = E_u[sf(cut - eta - u)]
        # over u ~ N(0, sigma_d^2) of each draw d, by Gauss-Hermite quadrature
        nodes, weights = np.polynomial.hermite.hermgauss(kernel["n_nodes"])
        weights = weights / math.sqrt(math.pi)
        scale = math.sqrt(2.0) * sigma  # (D,)
        base = cuts - eta[None, :, :]
        sf = np.zeros(base.shape)
        for z, wz in zip(nodes, weights, strict=True):
            sf += wz * link_sf(base - z * scale)
    p_ge = sf[kernel["k"] - 1]
    scores = kernel["scores"]
    exp_score = scores[0] + np.tensordot(np.diff(scores), sf, axes=(0, 0))
    return p_ge, exp_score


def _draw_blocks(
    kernel: dict[str, Any], X: np.ndarray, w: np.ndarray, blocks: list[tuple[int, int, Any]]
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted means over each scenario's members, per draw, for consecutive blocks.

    One joblib task. ``blocks`` holds ``(s, e, starts)``: scenarios ``s:e`` (counted from the
    task's first scenario) and their first rows in ``X``; the blocks tile ``X``.
    """
    import numpy as np

    n_scen = blocks[-1][1]
    D = kernel["theta"].shape[0]
    prob = np.empty((n_scen, D))
    expected = np.empty((n_scen, D))
    bounds = [int(b[2][0]) for b in blocks] + [len(X)]
    for (s, e, starts), lo, hi in zip(blocks, bounds[:-1], bounds[1:], strict=True):
        p_ge, exp_score = _member_draws(kernel, X[lo:hi])
        local = starts - lo
        wb = w[lo:hi, None]
        n = np.add.reduceat(w[lo:hi], local)[:, None]
        prob[s:e] = np.add.reduceat(p_ge * wb, local, axis=0) / n
        expected[s:e] = np.add.reduceat(exp_score * wb, local, axis=0) / n
    return prob, expected


class _Engine:
    """The model's parameters, the event ``attainment >= level`` and the parameter draws."""

    def __init__(
        self,
        model: AttainmentModel,
        *,
        level: Any,
        n_draws: int,
        random_state: int | None,
        interval: float,
    ) -> None:
        import numpy as np

        from copfactors.models import get_link

        reg = model.regression
        separated = getattr(reg, "separated_", None)
        if separated is not None and bool(separated.any()):
            # infinite estimates give 0 x inf and inf - inf for some members: no probability
            names = ", ".join(str(n) for n in separated.index[separated.to_numpy(dtype=bool)])
            raise ModelInputError(
                f"the model cannot score plans: under (quasi-)complete separation the estimates "
                f"of {names} are infinite, so some members' probabilities are undefined; refit "
                "without the separating driver(s) (e.g. CoPFeatureBuilder(exclude=...)) or with "
                "merged outcome levels"
            )
        self.model = model
        self.reg = reg
        self.link = get_link(reg._fit_link)
        self.classes = reg.classes_
        self.scores = np.asarray(reg._class_scores, dtype=float)
        self.J = len(self.classes) - 1
        # a random-intercept model: every feature a location effect, parameters (thresholds,
        # coefficients, log_sigma), marginal predictions for a new CoP
        self.mixed = _is_mixed(reg)
        if self.mixed:
            self.loc_idx = list(range(int(reg.n_features_in_)))
            self.nominal_idx: list[int] = []
        else:
            self.loc_idx = list(reg._loc_idx)
            self.nominal_idx = list(reg._nominal_idx)
        self.q = len(self.nominal_idx)
        self.sigma: np.ndarray | None = None  # drawn sigma of a random-intercept model
        self.binary = self.classes.dtype.kind == "b" or model.training.get("kind") == "binary"
        if self.binary:
            self.k = len(self.classes) - 1
            self.level = self.classes[-1]
        else:
            self.k = level_index(self.classes, self.scores, level)
            self.level = self.classes[self.k]
        if not (isinstance(interval, int | float) and 0 < interval < 1):
            raise CopFactorsError(f"interval must be between 0 and 1, got {interval!r}")
        self.interval = float(interval)
        if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 0:
            raise CopFactorsError(f"n_draws must be an integer >= 0, got {n_draws!r}")
        self.n_draws = int(n_draws)
        self.random_state = random_state
        self.n_sorted = 0
        if self.n_draws:
            self._draw()

    def _draw(self) -> None:
        import numpy as np

        mean = self.reg.params_.to_numpy(dtype=float)
        cov = self.reg.cov_.to_numpy(dtype=float)
        if not (np.isfinite(mean).all() and np.isfinite(cov).all()):
            raise CopFactorsError(
                "the model's estimates or covariance are not finite, so no parameter draws can "
                "be made; score with n_draws=0"
            )
        vals, vecs = np.linalg.eigh((cov + cov.T) / 2)
        root = vecs * np.sqrt(np.clip(vals, 0.0, None))
        rng = np.random.default_rng(self.random_state)
        z = rng.standard_normal((self.n_draws, mean.size))
        draws = mean + z @ root.T
        J, q = self.J, self.q
        theta = draws[:, :J]
        if J > 1:
            crossed = np.any(np.diff(theta, axis=1) <= 0, axis=1)
            self.n_sorted = int(crossed.sum())
            theta = np.sort(theta, axis=1)
        self.theta = theta  # (D, J)
        # nominal effects are stored by predictor, then threshold: (D, q, J)
        self.gamma = draws[:, J : J * (1 + q)].reshape(self.n_draws, q, J)
        if self.mixed:
            p = len(self.loc_idx)
            self.beta_t = np.ascontiguousarray(draws[:, J : J + p].T)  # (p, D)
            # log_sigma is drawn, so sigma > 0; capped where it is infinite in effect (a draw
            # far out when log_sigma is very uncertain), so that it stays finite
            self.sigma = np.exp(np.minimum(draws[:, J + p], 30.0))
        else:
            self.beta_t = np.ascontiguousarray(draws[:, J * (1 + q) :].T)  # (p, D)

    # -- at the estimates --------------------------------------------------------------------
    def point(self, batch: _Batch) -> dict[str, np.ndarray]:
        """Weighted means per scenario of P(Y = k), P(Y >= level) and the expected score."""
        import numpy as np

        proba = self.reg.predict_proba(batch.X)
        w = batch.weights
        n = np.add.reduceat(w, batch.starts)
        dist = np.add.reduceat(proba * w[:, None], batch.starts, axis=0) / n[:, None]
        member_ge = proba[:, self.k :].sum(axis=1)
        return {
            "distribution": dist,
            "probability": np.add.reduceat(member_ge * w, batch.starts) / n,
            "expected": np.add.reduceat((proba @ self.scores) * w, batch.starts) / n,
            "member_probability": member_ge,
            "n": n,
        }

    # -- over the draws ------------------------------------------------------------------------
    def draws(self, batch: _Batch, n_jobs: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per scenario and draw: mean P(Y >= level) and mean expected score (S x D each).

        The scenarios are cut into blocks of whole scenarios (at most about ``_BLOCK`` member
        rows x draws each, to bound the memory) and the blocks run through
        ``joblib.Parallel(n_jobs=n_jobs)``, a few contiguous blocks per task. The arithmetic
        of a block does not depend on where it runs, so the result is the same for every
        ``n_jobs`` and backend.
        """
        import joblib
        import numpy as np

        from copfactors._utils.parallel import chunk_bounds

        D = self.n_draws
        X = batch.X.to_numpy(dtype=float)
        w = batch.weights
        S = len(batch.starts)
        ends = np.append(batch.starts[1:], len(X))
        rows_per_block = max(1, _BLOCK // max(D, 1))
        blocks: list[tuple[int, int]] = []  # scenarios s:e
        s = 0
        while s < S:
            e = s + 1
            while e < S and ends[e] - batch.starts[s] <= rows_per_block:
                e += 1
            blocks.append((s, e))
            s = e
        kernel = self.kernel()
        bounds = chunk_bounds(len(blocks), n_jobs)
        tasks = []
        for a, b in bounds:
            s0, s1 = blocks[a][0], blocks[b - 1][1]
            lo, hi = int(batch.starts[s0]), int(ends[s1 - 1])
            local = [(s - s0, e - s0, batch.starts[s:e] - lo) for s, e in blocks[a:b]]
            tasks.append(joblib.delayed(_draw_blocks)(kernel, X[lo:hi], w[lo:hi], local))
        prob = np.empty((S, D))
        expected = np.empty((S, D))
        results = joblib.Parallel(n_jobs=n_jobs)(tasks)
        for (a, _), (p_part, e_part) in zip(bounds, results, strict=True):
            s0 = blocks[a][0]
            prob[s0 : s0 + len(p_part)] = p_part
            expected[s0 : s0 + len(e_part)] = e_part
        return prob, expected

    def kernel(self) -> dict[str, Any]:
        """What scoring with draws needs of the engine: small arrays, no model or data."""
        return {
            "link": self.link.name,
            "loc_idx": self.loc_idx,
            "nominal_idx": self.nominal_idx,
            "k": self.k,
            "scores": self.scores,
            "theta": self.theta,
            "gamma": self.gamma,
            "beta_t": self.beta_t,
            "sigma": self.sigma,
            "n_nodes": _MARGINAL_NODES,
        }

    def quantiles(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper ends of the central ``interval`` of draws (last axis)."""
        import numpy as np

        if not self.n_draws:
            nan = np.full(values.shape[:-1], np.nan)
            return nan, nan.copy()
        tail = (1 - self.interval) / 2
        lo, hi = np.quantile(values, [tail, 1 - tail], axis=-1)
        return lo, hi


def level_index(classes: np.ndarray, scores: np.ndarray, level: Any) -> int:
    """Position of ``level`` among the outcome levels (by label, else by numeric score)."""
    import numpy as np

    labels = [c.item() if hasattr(c, "item") else c for c in classes]
    if level in labels:
        k = labels.index(level)
    elif isinstance(level, int | float) and not isinstance(level, bool):
        hits = np.flatnonzero(scores == float(level))
        k = int(hits[0]) if hits.size else -1
    else:
        k = -1
    if k < 1:
        allowed = ", ".join(str(c) for c in labels[1:])
        why = "is the lowest level (every member reaches it)" if k == 0 else "is not a level"
        raise CopFactorsError(f"level {level!r} {why} of the model; choose one of {allowed}")
    return k


# ---------------------------------------------------------------------------------------------
# risk flags
# ---------------------------------------------------------------------------------------------
def _weighted_mean(frame: pd.DataFrame, column: str, w: np.ndarray) -> float:
    import numpy as np

    values = frame[column].to_numpy(dtype=float)
    return float(np.sum(values * w) / np.sum(w))


def _flag_texts(
    plans: Sequence[PlannedCoP], batch: _Batch, model: AttainmentModel
) -> list[list[str]]:
    """Risks of each plan in words (vectorised over plans, words only for the flagged)."""
    import numpy as np

    w, st = batch.weights, batch.starts
    n = np.add.reduceat(w, st)

    def mean(column: str) -> np.ndarray:
        return np.add.reduceat(batch.frame[column].to_numpy(dtype=float) * w, st) / n

    voluntary = mean("voluntary")
    hours = mean("hours_per_week")
    commitment = mean("commitment_1")
    active = mean("steward_active")
    recognition = mean("employer_recognition")
    ranges = model.training.get("feature_ranges") or {}
    checked = [
        (name, float(b[0]), float(b[1]))
        for name, b in ranges.items()
        if name in batch.X.columns and isinstance(b, list) and len(b) == 2
    ]
    if checked:
        values = batch.X[[c for c, _, _ in checked]].to_numpy(dtype=float)
        lows = np.minimum.reduceat(values, st, axis=0)
        highs = np.maximum.reduceat(values, st, axis=0)
        bounds_lo = np.array([lo for _, lo, _ in checked])
        bounds_hi = np.array([hi for _, _, hi in checked])
        outside_any = ((lows < bounds_lo) | (highs > bounds_hi)).any(axis=1)
    else:
        outside_any = np.zeros(len(plans), dtype=bool)
    out = []
    for i, plan in enumerate(plans):
        flags = []
        steward = plan.cop["steward_type"]
        if steward == "none":
            flags.append(
                "no steward: nobody is planned to lead and animate the CoP, which the paper "
                "found essential (C2)"
            )
        if voluntary[i] < 0.5:
            flags.append(
                f"mostly designated members: {voluntary[i]:.0%} take part voluntarily; the "
                "paper found voluntary participation essential to cooperation (C3)"
            )
        if hours[i] < 1:
            flags.append(
                f"little protected time: {hours[i]:.2f} hours a week per member on average; "
                "lack of time was the main source of dissatisfaction (C11)"
            )
        changes = int(plan.cop["leader_changes"])
        if changes >= 2:
            flags.append(
                f"frequent leader changes: {changes} expected; changes of leader hurt (C2)"
            )
        if commitment[i] < 3:
            flags.append(
                f"low commitment: {commitment[i]:.1f} on the 1-5 scale; commitment is a key "
                "driver (C1)"
            )
        if steward != "none" and active[i] < 3:
            flags.append(
                f"a steward with little activity: rated {active[i]:.1f} of 5; a dynamic "
                "leader matters (C2)"
            )
        if recognition[i] < 2.5:
            flags.append(
                f"little employer recognition: {recognition[i]:.1f} of 5; it was a main "
                "source of dissatisfaction (C11)"
            )
        if outside_any[i]:
            parts = []
            for j, (name, lo, hi) in enumerate(checked):
                if lows[i, j] < lo:
                    parts.append(f"{name} {lows[i, j]:g} (training data {lo:g} to {hi:g})")
                elif highs[i, j] > hi:
                    parts.append(f"{name} {highs[i, j]:g} (training data {lo:g} to {hi:g})")
            flags.append(
                "outside the training data, so the model extrapolates: " + "; ".join(parts)
            )
        out.append(flags)
    return out


# ---------------------------------------------------------------------------------------------
# levers
# ---------------------------------------------------------------------------------------------
def _replace(plan: PlannedCoP, **cop: Any) -> PlannedCoP:
    new = dataclasses.replace(
        plan,
        cop={**plan.cop, **cop},
        composition=copy.deepcopy(plan.composition),
        members=copy.deepcopy(plan.members),
    )
    return new


def _bump_members(plan: PlannedCoP, key: str, fn: Callable[[float], float], default: Any) -> None:
    """Apply ``fn`` to a member field in place (composition value, or each listed member)."""
    if plan.members is not None:
        for m in plan.members:
            m[key] = fn(m.get(key, default))
    else:
        assert plan.composition is not None
        value = plan.composition.get(key)
        plan.composition[key] = fn(default if value is None else value)


def _lever_steward(target: str) -> Callable[[PlannedCoP], PlannedCoP | None]:
    def apply(plan: PlannedCoP) -> PlannedCoP | None:
        if _STEWARD_ORDER.index(plan.cop["steward_type"]) >= _STEWARD_ORDER.index(target):
            return None
        return _replace(plan, steward_type=target)

    return apply


def _lever_voluntary(plan: PlannedCoP) -> PlannedCoP | None:
    new = _replace(plan)
    if new.members is not None:
        if all(m.get("voluntary", False) for m in new.members):
            return None
        for m in new.members:
            m["voluntary"] = True
    else:
        assert new.composition is not None
        if new.composition["share_voluntary"] >= 1:
            return None
        new.composition["share_voluntary"] = 1.0
    return new


def _lever_member(key: str, step: float, cap: float | None, default: Any) -> Callable:
    def apply(plan: PlannedCoP) -> PlannedCoP | None:
        new = _replace(plan)

        def fn(v: float) -> float:
            out = float(v) + step
            return min(out, cap) if cap is not None else out

        _bump_members(new, key, fn, default)
        return new

    return apply


def _lever_cop_likert(key: str) -> Callable[[PlannedCoP], PlannedCoP | None]:
    def apply(plan: PlannedCoP) -> PlannedCoP | None:
        new = _replace(plan, **{key: min(5.0, float(plan.cop[key]) + 1)})
        if new.members is not None:
            for m in new.members:
                if key in m:
                    m[key] = min(5.0, float(m[key]) + 1)
        return new

    return apply


def _lever_training(plan: PlannedCoP) -> PlannedCoP | None:
    new = _replace(plan, training_planned=True)
    if new.members is not None:
        for m in new.members:
            if "training_received" in m:
                m["training_received"] = True
    return new


def _lever_leader(plan: PlannedCoP) -> PlannedCoP | None:
    if plan.cop["leader_changes"] == 0:
        return None
    return _replace(plan, leader_changes=0)


def _lever_steward_active(plan: PlannedCoP) -> PlannedCoP | None:
    steward = plan.cop["steward_type"]
    if steward == "none":
        return None
    return _lever_member("steward_active", 1.0, 5.0, _STEWARD_DEFAULT[steward])(plan)


def _fmt_share(frame: pd.DataFrame, col: str, w: np.ndarray) -> str:
    return f"{_weighted_mean(frame, col, w):.0%}"


def _fmt_mean(digits: int, unit: str = "") -> Callable[[pd.DataFrame, str, Any], str]:
    def fmt(frame: pd.DataFrame, col: str, w: Any) -> str:
        return f"{_weighted_mean(frame, col, w):.{digits}f}{unit}"

    return fmt


def _fmt_first(frame: pd.DataFrame, col: str, w: Any) -> str:
    return str(frame[col].iloc[0])


#: The what-if changes of :meth:`ScoreResult.levers`: name, description, change, column shown
#: in ``from``/``to`` and how it is shown.
_LEVERS: tuple[tuple[str, str, Callable, str, Callable], ...] = (
    (
        "steward_designated",
        "with a designated steward (an employee given the role)",
        _lever_steward("designated"),
        "steward_type",
        _fmt_first,
    ),
    (
        "steward_dedicated",
        "with a dedicated steward (hired for the CoP)",
        _lever_steward("dedicated"),
        "steward_type",
        _fmt_first,
    ),
    (
        "voluntary",
        "with every member taking part voluntarily",
        _lever_voluntary,
        "voluntary",
        _fmt_share,
    ),
    (
        "hours_per_week",
        "with half an hour more a week for CoP work",
        _lever_member("hours_per_week", 0.5, None, _MEMBER_DEFAULTS["hours_per_week"]),
        "hours_per_week",
        _fmt_mean(2, " h/week"),
    ),
    (
        "training",
        "with every member trained (tools and ways of working)",
        _lever_training,
        "training_received",
        _fmt_share,
    ),
    (
        "commitment",
        "with commitment half a point higher (motivated members, objectives they own)",
        _lever_member("commitment", 0.5, 5.0, _MEMBER_DEFAULTS["commitment"]),
        "commitment_1",
        _fmt_mean(2),
    ),
    (
        "leader_changes",
        "with the same leader throughout",
        _lever_leader,
        "leader_changes",
        _fmt_first,
    ),
    (
        "steward_active",
        "with a more active steward (+1 point of activity)",
        _lever_steward_active,
        "steward_active",
        _fmt_mean(1),
    ),
    (
        "org_support",
        "with more organisational support (+1 point)",
        _lever_cop_likert("org_support"),
        "org_support",
        _fmt_mean(1),
    ),
    (
        "employer_recognition",
        "with more recognition of CoP work by the employer (+1 point)",
        _lever_cop_likert("employer_recognition"),
        "employer_recognition",
        _fmt_mean(1),
    ),
    (
        "prior_acquaintance",
        "with members who know each other better (+1 point of prior acquaintance)",
        _lever_member("prior_acquaintance", 1.0, 5.0, _MEMBER_DEFAULTS["prior_acquaintance"]),
        "prior_acquaintance",
        _fmt_mean(1),
    ),
)

#: Names of the levers :meth:`ScoreResult.levers` tries, in order.
LEVERS: tuple[str, ...] = tuple(lv[0] for lv in _LEVERS)


# ---------------------------------------------------------------------------------------------
# the result
# ---------------------------------------------------------------------------------------------
@dataclass(eq=False)
class ScoreResult(Result):
    """The score of one planned CoP (see :func:`score`).

    A :class:`~copfactors.report.Result`: ``to_text``, ``to_html``, ``to_latex`` and
    ``print_summary`` come from :meth:`render` (probabilities as whole percentages and
    changes as whole percentage points unless ``digits`` is given; option ``levers=`` how
    many top levers to show, 5 by default); :meth:`to_frame` is the outcome distribution and
    the probability facts as a tidy frame. ``str()`` and the notebook displays show no levers
    (``levers=0``: computing them scores the plan again).

    Attributes
    ----------
    plan_name : str
    n_members : int
    level : int or label
        The event scored is ``attainment >= level`` (for a binary model: attained).
    interval : float
        Coverage of the intervals (0.90).
    probability, probability_low, probability_high : float
        Mean over the members of ``P(attainment >= level)`` and its interval (NaN without
        draws).
    expected, expected_low, expected_high : float
        Mean expected attainment score and its interval.
    distribution : pandas.Series
        Mean probability of each attainment level of the model (index: the levels).
    flags : list of str
        Risks of the plan, in words.
    model_note : str
        What the model was fitted on (says SIMULATED when it was) and caveats.
    n_draws, n_draws_sorted : int
        Parameter draws made, and how many had their thresholds sorted.
    random_state : int or None
        Seed of the draws.
    notes : list of str
        Other remarks (values filled in for the model, ...).
    simulated : bool
        Whether the model was fitted on SIMULATED data (the reference model was).
    model_info : dict
        The model as JSON values: ``kind`` (``"random-intercept"`` or ``"fixed-effects"``),
        ``outcome`` (``"ordinal"`` or ``"binary"``), ``link``, ``reference`` (copfactors'
        reference model), ``data`` (``source``, ``n_respondents``, ``n_cops``,
        ``simulated``: what it was fitted on) and ``covariance`` (``type``, a keyword, and
        ``description`` in words); for a binary model also ``threshold``, the average rating
        of the objectives from which they count as attained.
    defaults_used : dict
        ``{field: (value, source)}``: the plan's fields taken by default
        (:attr:`PlannedCoP.defaults_used <copfactors.plans.PlannedCoP.defaults_used>`), then
        the model's columns no plan gives (a researcher's own variables), which take the
        training data's typical value.
    level_labels : dict
        The codebook label of each outcome level of the model (``4: "attained"``; None when
        a level has none).

    Examples
    --------
    >>> import copfactors as cf
    >>> result = cf.score({"name": "Pilot", "composition": {"n_members": 12}}, n_draws=100)
    >>> result.plan_name, result.n_members, result.level
    ('Pilot', 12, 4)
    >>> bool(result.probability_low <= result.probability <= result.probability_high)
    True
    >>> result.simulated, result.model_info["kind"], result.level_labels[4]
    (True, 'random-intercept', 'attained')
    >>> result.defaults_used["composition.commitment"]
    (3.5, "copfactors' default for plans")
    """

    #: decimals of probabilities when none are asked for
    default_digits = 2

    plan_name: str
    n_members: int
    level: Any
    interval: float
    probability: float
    probability_low: float
    probability_high: float
    expected: float
    expected_low: float
    expected_high: float
    distribution: pd.Series
    flags: list[str]
    model_note: str
    n_draws: int
    n_draws_sorted: int
    random_state: int | None
    notes: list[str] = field(default_factory=list)
    simulated: bool = False
    model_info: dict[str, Any] = field(default_factory=dict)
    defaults_used: dict[str, tuple[Any, str]] = field(default_factory=dict)
    level_labels: dict[Any, str | None] = field(default_factory=dict)
    _plan: PlannedCoP | None = field(default=None, repr=False)
    _engine: _Engine | None = field(default=None, repr=False)
    _levers: pd.DataFrame | None = field(default=None, repr=False)

    # -- levers --------------------------------------------------------------------------------
    def levers(self) -> pd.DataFrame:
        """What-if changes to the plan, ranked by how much they raise the probability.

        Each lever changes the plan (a dedicated steward, every member voluntary, half an hour
        more a week, training, +0.5 commitment, no leader change, +1 support, ...) and the plan
        is scored again with the same model and the same parameter draws, so ``change_pp_low``
        and ``change_pp_high`` bound the *paired* difference. Levers that do not apply
        (already at their best, or acting on nothing the model uses) are left out.

        A lever is an association in the model, which was fitted on observational data
        (SIMULATED data for the reference model): what the model predicts for a plan that
        differs in that one thing, not the tested effect of making the change.

        Returns
        -------
        pandas.DataFrame
            Columns ``lever``, ``description``, ``from``, ``to`` (the value before and after,
            as text), ``probability`` (after the change, from 0 to 1), ``change_pp`` (change of
            the probability in percentage points: 100 times the difference of probabilities),
            ``change_pp_low``, ``change_pp_high`` (interval of the change, percentage points;
            NaN without draws), sorted by ``change_pp``, largest first. ``to_dict`` gives the
            changes on both scales.

        Examples
        --------
        >>> import copfactors as cf
        >>> plan = cf.PlannedCoP.from_dict({"composition": {"n_members": 12}})
        >>> result = cf.score(plan, n_draws=100)
        >>> levers = result.levers()
        >>> levers.columns.tolist()[4:]
        ['probability', 'change_pp', 'change_pp_low', 'change_pp_high']
        >>> bool(levers["change_pp"].is_monotonic_decreasing)
        True
        >>> top = levers.iloc[0]
        >>> bool(abs(top["change_pp"] - 100 * (top["probability"] - result.probability)) < 1e-9)
        True
        """
        raw = self._lever_table()
        out = raw[list(LEVER_COLUMNS[:5])].copy()
        for name, source in zip(LEVER_COLUMNS[5:], _LEVER_RAW[5:], strict=True):
            out[name] = 100.0 * raw[source].to_numpy(dtype=float)
        return out

    def _lever_table(self) -> pd.DataFrame:
        """The levers with changes of probability (0-1 scale), computed once."""
        if self._levers is None:
            self._levers = self._compute_levers()
        return self._levers.copy()

    def _compute_levers(self) -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        engine, plan = self._engine, self._plan
        if engine is None or plan is None:
            raise CopFactorsError("this result holds no plan and model to compute levers from")
        scenarios: list[PlannedCoP] = [plan]
        meta = []
        for name, description, change, column, fmt in _LEVERS:
            changed = change(plan)
            if changed is not None:
                scenarios.append(changed)
                meta.append((name, description, column, fmt))
        batch = _batch(engine.model, scenarios)
        ends = np.append(batch.starts[1:], len(batch.frame))
        X = batch.X.to_numpy(dtype=float)
        base_X = X[batch.starts[0] : ends[0]]
        point = engine.point(batch)
        if engine.n_draws:
            prob_draws, _ = engine.draws(batch)
            diffs = prob_draws[1:] - prob_draws[0]
            lo, hi = engine.quantiles(diffs)
        else:
            lo = hi = np.full(len(scenarios) - 1, np.nan)
        records = []
        base_frame = batch.frame.iloc[batch.starts[0] : ends[0]]
        base_w = batch.weights[batch.starts[0] : ends[0]]
        for i, (name, description, column, fmt) in enumerate(meta, start=1):
            rows = slice(int(batch.starts[i]), int(ends[i]))
            if X[rows].shape == base_X.shape and np.array_equal(X[rows], base_X):
                continue  # the change touches nothing the model uses
            frame = batch.frame.iloc[rows]
            records.append(
                {
                    "lever": name,
                    "description": description,
                    "from": fmt(base_frame, column, base_w),
                    "to": fmt(frame, column, batch.weights[rows]),
                    "probability": float(point["probability"][i]),
                    "delta": float(point["probability"][i] - point["probability"][0]),
                    "delta_low": float(lo[i - 1]),
                    "delta_high": float(hi[i - 1]),
                }
            )
        out = pd.DataFrame(records, columns=list(_LEVER_RAW))
        out = out.sort_values("delta", ascending=False, kind="stable").reset_index(drop=True)
        return out

    # -- output --------------------------------------------------------------------------------
    def to_dict(self, levers: bool = False) -> dict[str, Any]:
        """The result as plain JSON values in a fixed layout (NaN becomes ``None``).

        Probabilities are from 0 to 1; the levers' changes are given both as differences of
        probabilities (``delta``, ``delta_low``, ``delta_high``) and in percentage points
        (``delta_pp``, ``delta_pp_low``, ``delta_pp_high``: 100 times those).

        Parameters
        ----------
        levers : bool, default False
            Include the levers (computed if needed) as a list of records.

        Returns
        -------
        dict
            ``plan``, ``n_members``, ``simulated`` (the model was fitted on SIMULATED data),
            ``model`` (:attr:`model_info`), ``level``, ``interval``, ``probability`` and
            ``expected`` (``estimate``, ``low``, ``high``), ``distribution`` (``level``,
            ``label``, ``probability`` per level of the model), ``scale`` (``name``, ``levels``:
            ``level``, ``label``, ``in_model`` per level of the rating scale),
            ``defaults_used`` (``field``, ``value``, ``source`` each), ``flags``,
            ``model_note``, ``notes``, ``n_draws``, ``n_draws_sorted``, ``random_state`` and,
            with ``levers=True``, ``levers``.

        Examples
        --------
        >>> import copfactors as cf
        >>> plan = cf.PlannedCoP.from_dict({"composition": {"n_members": 12}})
        >>> record = cf.score(plan, n_draws=0).to_dict()
        >>> list(record)[:4]
        ['plan', 'n_members', 'simulated', 'model']
        >>> record["simulated"], record["model"]["kind"], record["defaults_used"][0]["field"]
        (True, 'random-intercept', 'steward_type')
        """
        out: dict[str, Any] = {
            "plan": self.plan_name,
            "n_members": int(self.n_members),
            "simulated": bool(self.simulated),
            "model": copy.deepcopy(self.model_info),
            "level": plain_label(self.level),
            "interval": self.interval,
            "probability": {
                "estimate": _num(self.probability),
                "low": _num(self.probability_low),
                "high": _num(self.probability_high),
            },
            "expected": {
                "estimate": _num(self.expected),
                "low": _num(self.expected_low),
                "high": _num(self.expected_high),
            },
            "distribution": [
                {
                    "level": plain_label(k),
                    "label": self.level_labels.get(plain_label(k)),
                    "probability": _num(v),
                }
                for k, v in self.distribution.items()
            ],
            "scale": {
                "name": "attainment of the objectives",
                "levels": [
                    {"level": level, "label": label, "in_model": p is not None}
                    for level, label, p in self._scale_rows()
                ],
            },
            "defaults_used": [
                {"field": name, "value": _json_value(value), "source": source}
                for name, (value, source) in self.defaults_used.items()
            ],
            "flags": list(self.flags),
            "model_note": self.model_note,
            "notes": list(self.notes),
            "n_draws": int(self.n_draws),
            "n_draws_sorted": int(self.n_draws_sorted),
            "random_state": self.random_state,
        }
        if levers:
            records = []
            for rec in self._lever_table().to_dict("records"):
                rec = {k: (_num(v) if isinstance(v, float) else v) for k, v in rec.items()}
                for key in ("delta", "delta_low", "delta_high"):
                    v = rec[key]
                    rec[key.replace("delta", "delta_pp")] = None if v is None else 100.0 * v
                records.append(rec)
            out["levers"] = records
        return out

    def _scale_rows(self) -> list[tuple[Any, str | None, float | None]]:
        """The rating scale: (level, label, probability or None when not in the model).

        When every level of the model has a codebook label, the whole codebook scale (1 to 5)
        is listed, levels the model lacks (none of its training respondents gave them) with
        None; otherwise the model's own levels.
        """
        probs = {plain_label(k): float(v) for k, v in self.distribution.items()}
        labels = dict(self.level_labels)
        binary = isinstance(self.level, bool) or type(self.level).__name__ == "bool_"
        if not binary and labels and all(v is not None for v in labels.values()):
            anchors = _attainment_anchors()
            if set(labels) <= set(anchors):
                return [(k, lab, probs.get(k)) for k, lab in anchors.items()]
        return [(k, labels.get(k), p) for k, p in probs.items()]

    def to_frame(self) -> pd.DataFrame:
        """The distribution and the probability facts as one tidy frame.

        Returns
        -------
        pandas.DataFrame
            Columns ``quantity``, ``level``, ``estimate``, ``low``, ``high``: one row
            ``"distribution"`` per attainment level of the model (the mean probability of that
            level; no interval), then ``"probability"`` (of ``attainment >= level``, ``level``
            being the scored one) and ``"expected"`` (the expected attainment score; no level),
            each with its interval (NaN without draws). ``attrs`` holds ``plan``,
            ``n_members`` and ``interval``. The levers are :meth:`levers`.

        Examples
        --------
        >>> import copfactors as cf
        >>> plan = cf.PlannedCoP.from_dict({"composition": {"n_members": 12}})
        >>> frame = cf.score(plan, n_draws=0).to_frame()
        >>> frame["quantity"].tolist()[-3:], frame["level"].tolist()[-2:]
        (['distribution', 'probability', 'expected'], [4, None])
        """
        import pandas as pd

        nan = math.nan
        rows = [
            ("distribution", plain_label(k), float(v), nan, nan)
            for k, v in self.distribution.items()
        ]
        rows.append(
            (
                "probability",
                plain_label(self.level),
                float(self.probability),
                float(self.probability_low),
                float(self.probability_high),
            )
        )
        rows.append(
            (
                "expected",
                None,
                float(self.expected),
                float(self.expected_low),
                float(self.expected_high),
            )
        )
        out = pd.DataFrame(rows, columns=["quantity", "level", "estimate", "low", "high"])
        out["level"] = pd.Series([r[1] for r in rows], dtype=object)  # labels, not floats
        out.attrs = {
            "plan": self.plan_name,
            "n_members": int(self.n_members),
            "interval": self.interval,
        }
        return out

    def render(
        self, style: str = "text", digits: int | None = None, levers: int = 5, **options: Any
    ) -> str:
        """A summary a non-statistician can read: the chance in words, defaults, flags, levers.

        The first line says what was scored and with which model (SIMULATED data, when it
        was); then the chance that a typical member rates the attainment of the objectives at
        the scored level or better, in words with the codebook's labels, and its plausible
        range (the central ``interval`` of the parameter draws); the rating scale with the
        chance of each rating; the expected rating; the defaults the plan relied on; the risk
        flags; the top levers in percentage points with the caveat that they are associations
        in the model, not tested interventions; and the model and its intervals.

        Parameters
        ----------
        style : {"text", "html", "latex"}
            Output format. Plain text is lines of at most about 100 characters (the first
            line, naming the plan, is not wrapped) followed by the levers table; HTML and
            LaTeX are a table of the rating scale headed by the same facts, followed, with
            levers, by the levers table (one ``<table>`` or ``tabular`` each).
        digits : int, optional
            Decimals of probabilities as fractions (default :attr:`default_digits`, 2): they
            are shown as percentages with ``digits - 2`` decimals, and the levers' changes as
            percentage points with as many.
        levers : int, default 5
            How many of the top levers to show (0: none, and they are not computed).
        **options
            None are used (accepted for the :class:`~copfactors.report.Result` protocol).

        Returns
        -------
        str

        Examples
        --------
        >>> import copfactors as cf
        >>> plan = cf.PlannedCoP.from_dict({"name": "Pilot", "composition": {"n_members": 12}})
        >>> result = cf.score(plan, n_draws=100)
        >>> print(result.to_text(levers=0).splitlines()[0])
        Planned CoP "Pilot" (12 members), scored with copfactors' reference model, fitted on SIMULATED data
        >>> result.to_html(levers=0).count("<table"), result.to_latex(levers=2).count("tabular}")
        (1, 4)
        """  # noqa: E501
        if style not in STYLES:
            raise ParameterError(f"style must be one of {STYLES}, got {style!r}")
        d = self._digits(digits)
        dp = max(d - 2, 0)  # decimals of percentages and percentage points
        pct_cov = f"{100 * self.interval:g}%"
        drawn = bool(self.n_draws) and not math.isnan(self.probability_low)

        def pct(v: float) -> str:
            return _percent(v, dp)

        def plausible(lo: float, hi: float, fmt: Callable[[float], str]) -> str:
            return f" (plausible range {fmt(lo)} to {fmt(hi)})" if drawn else ""

        binary = isinstance(self.level, bool) or type(self.level).__name__ == "bool_"
        title = self._headline()
        event = self._event_text(binary)
        chance = (
            f"{pct(self.probability)}{plausible(self.probability_low, self.probability_high, pct)}"
        )
        n = int(self.n_members)
        if drawn:
            explain = (
                f"Plausible range {pct(self.probability_low)} to {pct(self.probability_high)}: "
                f"{pct_cov} of {self.n_draws} draws of the model's parameters give a chance in "
                "it; the wider it is, the less sure the model. "
            )
        else:
            explain = "No plausible range: no draws of the model's parameters were made. "
        explain += f"The chance is the average over the {n} planned member"
        explain += "s." if n != 1 else "."
        rows = self._scale_rows()
        scale_values = [r[0] for r in rows]
        if binary:
            scale_head = "Outcomes, with the chance of each for a typical member:"
        elif all(r[1] is not None for r in rows):
            scale_head = (
                f"Ratings of the attainment of the objectives ({scale_values[0]} to "
                f"{scale_values[-1]}), with the chance of each for a typical member:"
            )
        else:
            scale_head = "Ratings of the attainment (the model's levels), with the chance of each:"
        absent = [r for r in rows if r[2] is None]
        absent_note = (
            f"Rating {' and '.join(str(r[0]) for r in absent)} never occurs in the model: none "
            "of its training respondents gave it"
            if absent
            else None
        )
        expected = None
        if not binary:  # for a binary model the expected score is the probability
            of = f" of {scale_values[-1]}" if all(r[1] is not None for r in rows) else ""
            expected = (
                f"{self.expected:.{d}f}{of}"
                f"{plausible(self.expected_low, self.expected_high, lambda v: f'{v:.{d}f}')}, "
                "the average rating, each rating weighted by its chance"
            )
        defaults = [
            f"{name} = {_show_value(value)}: {source}"
            for name, (value, source) in self.defaults_used.items()
        ]
        notes = [note for note in self.notes if _NOT_GIVEN not in note]
        intervals = (
            f"{self.n_draws} draws of the model's parameters (seed {self.random_state}); "
            f"{self.n_draws_sorted} had their thresholds sorted."
            if self.n_draws
            else None
        )
        caveat = (
            "The levers are associations in the model, fitted on observational "
            f"({'here SIMULATED' if self.simulated else 'survey'}) data, not tested "
            "interventions: making a change need not move the chance as shown."
        )
        table = self.levers().head(levers) if levers else None
        shown = lever_title = None
        if table is not None and len(table):
            n_all = len(self._lever_table())
            shown = table[["lever", "from", "to"]].copy()
            shown["change (percentage points)"] = [_points(v, dp) for v in table["change_pp"]]
            if drawn:
                shown["plausible range"] = [
                    f"{_points(lo, dp)} to {_points(hi, dp)}"
                    for lo, hi in zip(table["change_pp_low"], table["change_pp_high"], strict=True)
                ]
            lever_title = (
                f"What-if levers ({len(table)} of {n_all}): the change of that chance if the plan "
                "changed in this one thing"
            )

        if style != "text":
            import pandas as pd

            header = {event: chance, "About this chance": explain}
            if expected is not None:
                header["Expected rating"] = expected
            header["Defaults used"] = (
                "; ".join(defaults) if defaults else "none (the plan gives every field)"
            )
            header["Risk flags"] = "; ".join(self.flags) if self.flags else "none"
            if table is not None and shown is None:
                header["Levers"] = "none applies"
            header["Model"] = self.model_note
            if intervals:
                header["Intervals"] = intervals
            scale = pd.DataFrame(
                {
                    "rating": [str(r[0]) for r in rows],
                    "label": [r[1] or "" for r in rows],
                    "chance": ["not in the model" if r[2] is None else pct(r[2]) for r in rows],
                }
            )
            if binary:  # its levels are False and True: the labels say it
                scale = scale.drop(columns="rating")
            parts = [
                render_table(
                    scale,
                    title=title,
                    header=header,
                    style=style,
                    digits=d,
                    notes=[*([absent_note] if absent_note else []), *notes],
                )
            ]
            if shown is not None and table is not None:
                shown["description"] = table["description"].to_numpy()
                parts.append(
                    render_table(shown, title=lever_title, style=style, digits=d, notes=[caveat])
                )
            return "\n".join(parts)

        lines = [title]
        lines.append(f"{event}: {pct(self.probability)}")  # the answer: on one line
        lines.append(_wrap(explain, first="  ", rest="  "))
        lines.append(scale_head)
        width = max(len(str(r[0])) for r in rows)
        label_width = max(len(r[1] or "") for r in rows)
        for value, label, p in rows:
            shown_p = "-" if p is None else pct(p)
            level_text = "" if binary else f"{value!s:>{width}} "  # a binary's False/True: no
            lines.append(f"  {level_text}{(label or ''):<{label_width}} {shown_p:>5}")
        if absent_note:
            lines.append(_wrap(f"({absent_note}.)", first="  "))
        if expected is not None:
            lines.append(_wrap(f"Expected rating: {expected}"))
        if defaults:
            lines.append("Defaults used (the plan leaves these out; the chance depends on them):")
            lines.extend(_wrap(x, first="  - ", rest="    ") for x in defaults)
        else:
            lines.append("Defaults used: none (the plan gives every field)")
        if self.flags:
            lines.append("Risk flags:")
            lines.extend(_wrap(f, first="  - ", rest="    ") for f in self.flags)
        else:
            lines.append("Risk flags: none")
        if table is not None:
            if shown is not None:
                lines.append("")
                lines.append(render_table(shown, title=lever_title, digits=d))
                lines.extend(
                    _wrap(f"{rec.lever}: {rec.description}", first="  ", rest="    ")
                    for rec in table.itertuples(index=False)
                )
                lines.append(_wrap(caveat))
            else:
                lines.append("Levers: none applies")
        lines.append("")
        lines.append(_wrap(f"Model: {self.model_note}."))
        if intervals:
            lines.append(_wrap(f"Intervals: {intervals}"))
        lines.extend(_wrap(f"Note: {x}") for x in notes)
        return "\n".join(lines)

    def _headline(self) -> str:
        """The first line: the plan, its size and the model (saying SIMULATED when it is)."""
        n = int(self.n_members)
        plan = f'Planned CoP "{self.plan_name}" ({n} member{"s" if n != 1 else ""})'
        info = self.model_info or {}
        data = info.get("data") or {}
        size = ""
        if data.get("n_respondents") is not None:
            size = f"{data['n_respondents']} respondents"
            if data.get("n_cops") is not None:
                size += f" in {data['n_cops']} CoPs"
        source = data.get("source")
        if info.get("reference"):
            model = "copfactors' reference model, fitted on SIMULATED data"
        elif self.simulated:
            what = ", ".join(x for x in (source, size) if x)
            model = "a model fitted on SIMULATED data" + (f" ({what})" if what else "")
        elif source:
            model = f"the model fitted on {source}" + (f" ({size})" if size else "")
        else:
            model = f"a model fitted on {size}" if size else "a model of your own"
        return f"{plan}, scored with {model}"

    def _event_text(self, binary: bool) -> str:
        """The event scored, in words with the codebook's labels (numbers without labels)."""
        who = "Chance that a typical member rates the CoP's objectives"
        if binary:
            cut = float((self.model_info or {}).get("threshold", 4.0))
            label = _attainment_anchors().get(int(cut)) if cut.is_integer() else None
            words = f'"{label}" or better' if label else f"{cut:g} or higher"
            return (
                f"Chance that a typical member rates the objectives {words} on average "
                f"({cut:g} or more of 5)"
            )

        labels = dict(self.level_labels)
        levels = list(labels)
        level = plain_label(self.level)
        above = levels[levels.index(level) :] if level in levels else [level]
        words = str(above[-1])
        if len(above) > 1:
            words = ", ".join(map(str, above[:-1])) + " or " + words
        label = labels.get(level)
        rows = self._scale_rows()
        top = rows[-1][0] if all(r[1] is not None for r in rows) else None
        of = f" of {top}" if top is not None else ""
        if label is None:
            return f"{who} {level} or higher ({words}{of})"
        tail = " or better" if len(above) > 1 else ""
        return f'{who} "{label}"{tail} ({words}{of})'

    def __str__(self) -> str:
        return self.to_text(levers=0)

    def _repr_html_(self) -> str:
        return self.to_html(levers=0)

    def _repr_latex_(self) -> str:
        return self.to_latex(levers=0)


def _percent(p: float, decimals: int = 0) -> str:
    """A probability as a percentage; below half the last digit ``<1%``, near 1 ``>99%``."""
    if math.isnan(p):
        return "n/a"
    v = 100.0 * p
    step = 10.0**-decimals
    if 0 < v < step / 2:
        return f"<{step:.{decimals}f}%"
    if 100 - step / 2 < v < 100:
        return f">{100 - step:.{decimals}f}%"
    return f"{v:.{decimals}f}%"


def _points(v: float, decimals: int = 0) -> str:
    """A change in percentage points with its sign (``+19``, ``-3``; ``0`` when it rounds so)."""
    if math.isnan(v):
        return "n/a"
    text = f"{v:+.{decimals}f}"
    return f"{0:.{decimals}f}" if float(text) == 0 else text


def _show_value(v: Any) -> str:
    """A default's value for reading: yes/no, numbers without trailing zeros, shares of a mix."""
    v = plain_label(v)
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, Mapping):
        return ", ".join(f"{k} {_show_value(x)}" for k, x in v.items())
    if isinstance(v, float):
        return f"{v:g}"
    return "(not known)" if v is None else str(v)


def _wrap(text: str, first: str = "", rest: str = "  ", width: int = 100) -> str:
    """Text wrapped at ``width`` columns, continuation lines indented by ``rest``."""
    import textwrap

    return textwrap.fill(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _json_value(v: Any) -> Any:
    """A default's value as plain JSON (NumPy scalars as Python, mappings as dicts)."""
    if isinstance(v, Mapping):
        return {str(k): _json_value(x) for k, x in v.items()}
    v = plain_label(v)
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _num(v: Any) -> float | None:
    v = float(v)
    return None if math.isnan(v) else v


def plain_label(v: Any) -> Any:
    """A NumPy scalar as the plain Python value (for labels and column names)."""
    return v.item() if hasattr(v, "item") else v


# ---------------------------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------------------------
def check_draws(
    n_draws: Any,
    random_state: Any,
    *,
    max_draws: int = MAX_DRAWS,
    names: tuple[str, str] = ("n_draws", "random_state"),
    hint: str | None = None,
    allow_none: bool = True,
) -> tuple[int, int | None]:
    """Check the number of parameter draws and their seed, before anything is drawn.

    Parameters
    ----------
    n_draws : int
        Draws asked for: an integer from 0 to ``max_draws``.
    random_state : int or None
        Seed of the draws: an integer from 0 to ``SEED_LIMIT - 1`` (2**32 - 1), or None.
    max_draws : int, default MAX_DRAWS (100_000)
        Most draws allowed.
    names : tuple of str, default ("n_draws", "random_state")
        The names of the two options in messages (the command line passes its flags).
    hint : str, optional
        How to allow more draws, ending the message when ``n_draws`` is above ``max_draws``
        (default: pass ``max_draws``).
    allow_none : bool, default True
        Whether ``random_state`` may be None (the command line's ``--seed`` may not).

    Returns
    -------
    tuple of (int, int or None)
        ``n_draws`` and ``random_state`` as plain Python values.

    Raises
    ------
    copfactors.errors.ParameterError
        Naming the option, the value given and the range allowed.

    Examples
    --------
    >>> from copfactors.scoring import check_draws
    >>> check_draws(1000, 0)
    (1000, 0)
    >>> check_draws(10**9, 0)
    Traceback (most recent call last):
    ...
    copfactors.errors.ParameterError: n_draws is 1000000000, more than the 100000 allowed; \
intervals are stable long before (1000 by default). To make more, pass max_draws=1000000000
    >>> check_draws(1000, -1)
    Traceback (most recent call last):
    ...
    copfactors.errors.ParameterError: random_state must be an integer from 0 to 4294967295 \
(or None), got -1
    """
    import numpy as np

    draws_name, seed_name = names
    if isinstance(max_draws, bool) or not isinstance(max_draws, int | np.integer) or max_draws < 0:
        raise ParameterError(f"max_draws must be an integer >= 0, got {str(max_draws)[:80]}")
    if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 0:
        raise ParameterError(f"{draws_name} must be an integer >= 0, got {str(n_draws)[:80]}")
    if n_draws > max_draws:
        more = hint if hint is not None else f"To make more, pass max_draws={int(n_draws)}"
        raise ParameterError(
            f"{draws_name} is {int(n_draws)}, more than the {int(max_draws)} allowed; intervals "
            f"are stable long before (1000 by default). {more}"
        )
    if (random_state is not None or not allow_none) and (
        random_state is None
        or isinstance(random_state, bool)
        or not isinstance(random_state, int | np.integer)
        or not 0 <= random_state < SEED_LIMIT
    ):
        raise ParameterError(
            f"{seed_name} must be an integer from 0 to {SEED_LIMIT - 1}"
            + (" (or None)" if allow_none else "")
            + f", got {str(random_state)[:80]}"
        )
    return int(n_draws), None if random_state is None else int(random_state)


def score(
    plan: PlannedCoP | Mapping[str, Any] | str | os.PathLike[str],
    model: AttainmentModel | str | os.PathLike[str] | None = None,
    *,
    n_draws: int = 1000,
    random_state: int | None = 0,
    level: Any = 4,
    interval: float = 0.90,
    max_draws: int = MAX_DRAWS,
) -> ScoreResult:
    """Score a planned CoP: the probability that its objectives will be attained.

    Parameters
    ----------
    plan : PlannedCoP, mapping or path
        The plan (a mapping is read with ``PlannedCoP.from_dict``, a path with
        ``PlannedCoP.from_file``).
    model : AttainmentModel, path or None
        The attainment model (a path is read with :func:`copfactors.load_model`). ``None``
        uses the reference model, fitted on SIMULATED data (the result's ``model_note`` says
        so): refit on your own survey for decisions. A random-intercept model
        (``fit_attainment_model(..., random_intercept=True)``) scores the plan as a new CoP:
        marginal probabilities, the CoP's intercept integrated out (``model_note`` says so).
    n_draws : int, default 1000
        Parameter draws for the intervals (0: no intervals), at most ``max_draws``.
    random_state : int or None, default 0
        Seed of the draws: an integer from 0 to 2**32 - 1, or None (a fresh seed).
    level : int, default 4
        The event scored is ``attainment >= level`` (4 = "attained"); must be a level of the
        model above its lowest. Ignored for a binary model.
    interval : float, default 0.90
        Coverage of the intervals.
    max_draws : int, default MAX_DRAWS (100_000)
        Most draws allowed, checked before the plan or model is read; raise it to make more
        (each draw costs memory: eight bytes per parameter and per scenario scored).

    Returns
    -------
    ScoreResult

    Raises
    ------
    copfactors.errors.PlanError
        A bad plan, or one the model cannot encode (a field it needs is missing).
    copfactors.errors.ParameterError
        ``n_draws`` above ``max_draws`` or negative, or a seed outside 0 to 2**32 - 1.
    copfactors.errors.CopFactorsError
        Other bad arguments, or a bad model.

    Examples
    --------
    >>> import copfactors as cf
    >>> plan = cf.PlannedCoP.from_dict(
    ...     {"steward_type": "none", "composition": {"n_members": 15, "share_voluntary": 0.2}}
    ... )
    >>> result = cf.score(plan, n_draws=200)
    >>> result.flags[0].split(":")[0]
    'no steward'
    >>> round(float(result.distribution.sum()), 12)
    1.0
    """
    import pandas as pd

    n_draws, random_state = check_draws(n_draws, random_state, max_draws=max_draws)
    plan = _resolve_plan(plan)
    fitted = resolve_model(model)
    engine = _Engine(
        fitted, level=level, n_draws=n_draws, random_state=random_state, interval=interval
    )
    batch = _batch(fitted, [plan])
    point = engine.point(batch)
    if engine.n_draws:
        prob_d, exp_d = engine.draws(batch)
        p_lo, p_hi = engine.quantiles(prob_d[0])
        e_lo, e_hi = engine.quantiles(exp_d[0])
    else:
        p_lo = p_hi = e_lo = e_hi = math.nan
    distribution = pd.Series(
        point["distribution"][0],
        index=pd.Index(engine.classes, name="level"),
        name="probability",
    )
    return ScoreResult(
        plan_name=plan.name,
        n_members=int(round(float(point["n"][0]))),
        level=plain_label(engine.level),
        interval=engine.interval,
        probability=float(point["probability"][0]),
        probability_low=float(p_lo),
        probability_high=float(p_hi),
        expected=float(point["expected"][0]),
        expected_low=float(e_lo),
        expected_high=float(e_hi),
        distribution=distribution,
        flags=_flag_texts([plan], batch, fitted)[0],
        model_note=_model_note(fitted),
        n_draws=engine.n_draws,
        n_draws_sorted=engine.n_sorted,
        random_state=random_state,
        notes=list(batch.notes),
        simulated=bool(fitted.simulated),
        model_info=_model_info(fitted),
        defaults_used={**plan.defaults_used, **batch.defaults},
        level_labels=_level_labels(engine.classes, engine.binary),
        _plan=plan,
        _engine=engine,
    )


def score_many(
    plans: Iterable[PlannedCoP | Mapping[str, Any] | str | os.PathLike[str]],
    model: AttainmentModel | str | os.PathLike[str] | None = None,
    n_draws: int = 0,
    *,
    random_state: int | None = 0,
    level: Any = 4,
    interval: float = 0.90,
    flags: bool = True,
    n_jobs: int | None = None,
    max_draws: int = MAX_DRAWS,
) -> pd.DataFrame:
    """Score many plans at once: one feature build and one prediction for all their members.

    Parameters
    ----------
    plans : iterable of PlannedCoP, mapping or path
    model : AttainmentModel, path or None
        As in :func:`score` (``None``: the reference model, fitted on SIMULATED data).
    n_draws : int, default 0
        Parameter draws for intervals (0: none, the fastest).
    random_state, level, interval, max_draws
        As in :func:`score`; the same draws serve every plan.
    flags : bool, default True
        Compute the risk flags (a little slower for very many plans).
    n_jobs : int, optional
        Workers for scoring the draws, as :class:`joblib.Parallel` (None: one, or the active
        ``joblib.parallel_config``); blocks of whole plans are scored per task, and the
        result does not depend on ``n_jobs``. Only used with ``n_draws``.

    Returns
    -------
    pandas.DataFrame
        One row per plan, in order: ``plan`` (name), ``n_members``, ``probability``,
        ``probability_low``, ``probability_high``, ``expected``, ``expected_low``,
        ``expected_high`` (NaN intervals without draws), ``p_<level>`` for each level of the
        model, ``n_flags`` and ``flags`` (joined by ``"; "``). ``attrs["model_note"]`` says what
        the model was fitted on, ``attrs["simulated"]`` whether that was SIMULATED data. Each
        row equals what :func:`score` gives for that plan.

    Examples
    --------
    >>> import copfactors as cf
    >>> plans = [
    ...     {"name": "no steward", "composition": {"n_members": 10}},
    ...     {"name": "steward", "steward_type": "dedicated", "composition": {"n_members": 10}},
    ... ]
    >>> table = cf.score_many(plans)
    >>> table["plan"].tolist()
    ['no steward', 'steward']
    >>> bool(table["probability"].is_monotonic_increasing)
    True
    """
    import numpy as np
    import pandas as pd

    from copfactors._utils.parallel import check_n_jobs

    n_draws, random_state = check_draws(n_draws, random_state, max_draws=max_draws)
    n_jobs = check_n_jobs(n_jobs)
    resolved = [_resolve_plan(p) for p in plans]
    fitted = resolve_model(model)
    engine = _Engine(
        fitted, level=level, n_draws=n_draws, random_state=random_state, interval=interval
    )
    labels = [str(plain_label(c)) for c in engine.classes]
    columns = [
        "plan",
        "n_members",
        "probability",
        "probability_low",
        "probability_high",
        "expected",
        "expected_low",
        "expected_high",
        *(f"p_{lab}" for lab in labels),
        "n_flags",
        "flags",
    ]
    if not resolved:
        return pd.DataFrame(columns=columns)
    batch = _batch(fitted, resolved)
    point = engine.point(batch)
    if engine.n_draws:
        prob_d, exp_d = engine.draws(batch, n_jobs=n_jobs)
        p_lo, p_hi = engine.quantiles(prob_d)
        e_lo, e_hi = engine.quantiles(exp_d)
    else:
        p_lo = p_hi = e_lo = e_hi = np.full(len(resolved), np.nan)
    out = pd.DataFrame(
        {
            "plan": [p.name for p in resolved],
            "n_members": np.rint(point["n"]).astype(np.int64),
            "probability": point["probability"],
            "probability_low": p_lo,
            "probability_high": p_hi,
            "expected": point["expected"],
            "expected_low": e_lo,
            "expected_high": e_hi,
        }
    )
    for j, lab in enumerate(labels):
        out[f"p_{lab}"] = point["distribution"][:, j]
    if flags:
        texts = _flag_texts(resolved, batch, fitted)
        out["n_flags"] = [len(t) for t in texts]
        out["flags"] = ["; ".join(t) for t in texts]
    else:
        out["n_flags"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["flags"] = None
    out.attrs["model_note"] = _model_note(fitted)
    out.attrs["simulated"] = bool(fitted.simulated)
    out.attrs["level"] = plain_label(engine.level)
    return out[columns]
