"""The one analysis pipeline behind ``copfactors demo`` and ``copfactors report``.

:func:`run_analysis` takes a survey and runs every part of the library on it, in order:

1. validation against the codebook (:func:`copfactors.schema.validate`);
2. the paper's Table 1 recomputed and audited from its printed statistics
   (:func:`~copfactors.replicate.replicate_table1`,
   :func:`~copfactors.replicate.audit_summary_table`) and, for the simulated example survey,
   its cells set against Table 1;
3. Table 1's layout rebuilt from the survey, by gender
   (:func:`~copfactors.replicate.group_comparison`);
4. the ordinal model of attainment (logit link) and the binary one (attained or not: mean
   attainment of at least 4). Respondents are nested in CoPs, so the estimates and intervals
   shown come from a model with a random intercept per CoP
   (:class:`~copfactors.models.MixedOrdinalRegression`, model-based standard errors) as soon as
   the survey has 2 CoPs (:func:`copfactors.claims.fit_cop_model`, which the claims use too):
   the result says which model and why (:attr:`AnalysisResult.model_choice`), and which
   CoP-level drivers the CoPs cannot tell apart (:attr:`AnalysisResult.cop_level`). With fewer
   than 10 CoPs it says that the between-CoP SD is imprecise and that CoP-level drivers rest on
   at most ``G - 1`` degrees of freedom. A cluster-robust covariance of lower rank than the
   parameters (over 7 CoPs: rank 6) is never used;
5. the driver table (:func:`copfactors.inspection.drivers`) and SHAP values
   (:func:`copfactors.inspection.explain`) of the ordinal model without random intercept
   (:class:`~copfactors.models.OrdinalRegression`, which they need; its covariance is
   cluster-robust by CoP only where that has full rank, else robust HC0);
6. the paper's claims held against the survey (:func:`copfactors.claims.compare_with_paper`),
   reading the very ordinal model of step 4 (``fit=``; with ``formula=`` the claims fit their
   own model of the paper's drivers, and say so);
7. the example planned CoPs scored, with their levers (:mod:`copfactors.scoring`), by that same
   fit (:attr:`AnalysisResult.attainment_model`; with a random intercept per CoP where the
   inference has one: a plan is a new CoP).

The result, an :class:`AnalysisResult`, holds every table and fitted model. :func:`write_report`
writes it as one self-contained HTML file with every figure as PNG and every table as CSV and
LaTeX, and all the tables in one Word document. A step that cannot run on the survey (for
example no attainment columns) is left out with its reason in :attr:`AnalysisResult.skipped`,
and the report says so.

Examples
--------
>>> from copfactors.datasets import load_example_survey
>>> from copfactors.pipeline import run_analysis
>>> result = run_analysis(load_example_survey(), source_label="example survey",
...                       simulated=True, steps=("data", "gender"))
>>> result.comparison.groups
('man', 'woman')
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from copfactors._utils.validation import independent_columns
from copfactors.analysis import AnalysisResult, PlanScore
from copfactors.errors import CopFactorsError, OutputExistsError

__all__ = [
    "MARKER_FILE",
    "REPORT_FILE",
    "STEPS",
    "AnalysisResult",
    "PlanScore",
    "check_report_folder",
    "describe_survey",
    "example_plan_files",
    "read_report_marker",
    "run_analysis",
    "write_report",
]

#: Name of the HTML file :func:`write_report` writes.
REPORT_FILE = "report.html"

#: Name of the marker file :func:`write_report` leaves in a report's folder: JSON with the
#: copfactors version and the files the report wrote, which the next report may replace.
MARKER_FILE = ".copfactors-report"

# prefix of the temporary folder made inside the report's folder while it is written
_TMP_PREFIX = ".copfactors-tmp-"

#: The steps of :func:`run_analysis`, in order (``steps=`` selects some of them).
STEPS: tuple[str, ...] = (
    "data",
    "table1",
    "gender",
    "models",
    "drivers",
    "shap",
    "claims",
    "plans",
)

_STEP_TEXT = {
    "data": "Validating the survey",
    "table1": "Recomputing and auditing Table 1",
    "gender": "Comparing men and women (Table 1 layout)",
    "models": "Fitting the ordinal and binary models",
    "drivers": "Driver table and relative importance",
    "shap": "SHAP values",
    "claims": "Holding the survey against the paper's claims",
    "plans": "Scoring the example planned CoPs",
}

#: Fewest CoPs for cluster-robust standard errors of the models without random intercept
#: (below it: robust HC0), as the claims use; a rank-deficient one is never used.
_MIN_CLUSTERS = 5

_COV_WORDS = {
    "cluster": "cluster-robust (by CoP)",
    "robust": "robust (HC0, respondents treated as independent)",
    "nonrobust": "model-based",
}

Progress = Callable[[str, int, int], None]

_NO_MODEL = "needs the ordinal model, which could not be fitted (see the Ordinal model section)"


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def describe_survey(survey: pd.DataFrame) -> pd.DataFrame:
    """Respondents per CoP and wave, with the CoP's gender mix and attributes.

    Columns the survey lacks are left empty rather than failing.

    Parameters
    ----------
    survey : pandas.DataFrame
        A validated survey (``cop_id`` is required).

    Returns
    -------
    pandas.DataFrame
        One row per CoP: ``cop_id``, ``t1`` and ``t2`` (respondents per wave), ``women``,
        ``men``, ``gender_missing``, ``voluntary`` (share), ``sponsor``, ``steward_type``,
        ``leader_changes`` and ``mean_attainment`` (mean over its respondents of their mean
        attainment answer).

    Examples
    --------
    >>> from copfactors.datasets import load_example_survey
    >>> d = describe_survey(load_example_survey())
    >>> d["t1"].sum(), d["t2"].sum()
    (np.int64(180), np.int64(103))
    """
    att = [c for c in survey.columns if str(c).startswith("att_")]
    n = len(survey)
    gender = (
        survey["gender"].astype("string")
        if "gender" in survey
        else pd.Series(pd.NA, index=survey.index, dtype="string")
    )
    mean_att = (
        survey[att].astype("Float64").mean(axis=1) if att else pd.Series(np.nan, index=survey.index)
    )

    def flag(name: str) -> pd.Series:
        if name not in survey:
            return pd.Series(name == "responded_t1", index=survey.index, dtype=bool)
        return survey[name].astype("boolean").fillna(False).astype(bool)

    t1, t2 = flag("responded_t1"), flag("responded_t2")
    if "responded_t1" not in survey:
        t1 = pd.Series(True, index=survey.index)
    rows = []
    for cop, idx in survey.groupby("cop_id", observed=True, sort=True).groups.items():
        part = survey.loc[idx]
        g = gender.loc[idx]

        def first(name: str, part: pd.DataFrame = part) -> object:
            return part[name].dropna().iloc[0] if name in part and part[name].notna().any() else ""

        voluntary = (
            float(part["voluntary"].astype("Float64").mean())
            if "voluntary" in part and part["voluntary"].notna().any()
            else math.nan
        )
        rows.append(
            {
                "cop_id": str(cop),
                "t1": int(t1.loc[idx].sum()),
                "t2": int(t2.loc[idx].sum()),
                "women": int((g == "woman").sum()),
                "men": int((g == "man").sum()),
                "gender_missing": int(g.isna().sum()),
                "voluntary": voluntary,
                "sponsor": str(first("sponsor")),
                "steward_type": str(first("steward_type")),
                "leader_changes": first("leader_changes"),
                "mean_attainment": float(mean_att.loc[idx].mean()) if n else math.nan,
            }
        )
    return pd.DataFrame(rows)


def example_plan_files() -> list[Path]:
    """The example plans shipped with copfactors (YAML), in name order.

    Returns
    -------
    list of pathlib.Path

    Examples
    --------
    >>> [p.suffix for p in example_plan_files()]
    ['.yaml', '.yaml']
    """
    folder = resources.files("copfactors").joinpath("data", "plans")
    if not folder.is_dir():
        return []
    return sorted(
        (Path(str(p)) for p in folder.iterdir() if p.name.endswith((".yaml", ".yml"))),
        key=lambda p: p.name,
    )


def _has_objectives(survey: pd.DataFrame) -> bool:
    return any(str(c).startswith(("imp_", "att_")) for c in survey.columns)


class _Caught:
    """Collects the warnings of a step as notes of a section."""

    def __init__(self, result: AnalysisResult, section: str) -> None:
        self.result = result
        self.section = section
        self._ctx = warnings.catch_warnings(record=True)

    def __enter__(self) -> _Caught:
        self._log = self._ctx.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc: object) -> None:
        log = self._log
        self._ctx.__exit__(*exc)
        for w in log or []:
            if issubclass(
                w.category, DeprecationWarning | PendingDeprecationWarning | FutureWarning
            ):
                continue
            self.result.note(self.section, f"warning: {' '.join(str(w.message).split())}")


# --------------------------------------------------------------------------------------------
# the steps
# --------------------------------------------------------------------------------------------


def _step_data(result: AnalysisResult) -> None:
    s = result.survey
    result.cops = describe_survey(s)
    answered_t2 = (
        int(s["responded_t2"].astype("boolean").fillna(False).sum())
        if "responded_t2" in s
        else None
    )
    result.overview = {
        "Data": result.source_label,
        "Simulated": "yes" if result.simulated else "no",
        "Respondents": len(s),
        "CoPs": int(s["cop_id"].nunique(dropna=True)),
        "Answered at T2": "not recorded" if answered_t2 is None else answered_t2,
        "Columns": s.shape[1],
    }
    unknown = s.attrs.get("unknown_columns") or []
    empty = s.attrs.get("empty_columns") or []
    if unknown:
        result.note("data", f"columns the codebook does not know (kept, not used): {unknown}")
    if empty:
        result.note("data", f"codebook columns with no answer: {empty}")


def _step_table1(result: AnalysisResult) -> None:
    from copfactors.datasets import calibration_report, load_table1
    from copfactors.replicate import audit_summary_table, replicate_table1

    result.published_table1 = load_table1()
    result.table1 = replicate_table1()
    result.audit = audit_summary_table()
    if result.simulated and _has_objectives(result.survey):
        result.calibration = calibration_report(result.survey)


def _step_gender(result: AnalysisResult) -> None:
    from copfactors.replicate import group_comparison

    s = result.survey
    if "gender" not in s or not _has_objectives(s):
        result.skipped["gender"] = "the survey has no gender column or no imp_/att_ columns"
        return
    measures = tuple(
        m
        for m, prefix in (("importance", "imp_"), ("attainment", "att_"))
        if any(str(c).startswith(prefix) for c in s.columns)
    )
    with _Caught(result, "gender"):
        result.comparison = group_comparison(s, by="gender", measures=measures)
    if len(measures) < 2:
        result.note("gender", f"only the {measures[0]} answers are in the survey")


def _fit_models(
    result: AnalysisResult,
    cov_type: str,
    cluster: str | None,
    extra: list[str] | None = None,
    formula: str | None = None,
) -> tuple[Any, Any, pd.DataFrame, dict[str, str]]:
    """Fit the ordinal and binary attainment models, leaving out inseparable feature groups.

    Also returns every feature before the groups were left out (of the respondents with an
    outcome) and the survey column of each feature.
    """
    from copfactors.claims import feature_sources
    from copfactors.features import CoPFeatureBuilder, attainment
    from copfactors.persist import fit_attainment_model

    s = result.survey
    answered = attainment(s, kind="ordinal").notna().to_numpy()
    probe = CoPFeatureBuilder(extra=extra or None).fit(s.loc[answered])
    X = probe.transform(s.loc[answered])
    if X.shape[1] == 0:
        raise CopFactorsError("the survey has none of the driver columns")
    _, dependent = independent_columns(X)
    # a feature group goes as a whole, so that plans can still be turned into features
    groups = probe.report_
    excluded = [
        str(r.group)
        for r in groups.itertuples(index=False)
        if any(f.strip() in dependent for f in str(r.features).split(","))
    ]
    own = [g for g in excluded if g in (extra or [])]
    excluded = [g for g in excluded if g not in own]
    kept = [c for c in (extra or []) if c not in own]
    builder = CoPFeatureBuilder(exclude=excluded or None, extra=kept or None, formula=formula)
    if excluded:
        result.dropped_features = dependent
        result.note(
            "ordinal",
            f"feature group(s) {', '.join(excluded)} left out: {', '.join(dependent)} "
            "is constant or a linear combination of the other drivers (with few CoPs, "
            "CoP-level attributes often are)",
        )
    kwargs = dict(
        builder=builder,
        cov_type=cov_type,
        cluster=cluster,
        simulated=result.simulated,
        source=result.source_label,
    )
    with _Caught(result, "ordinal"):
        ordinal = fit_attainment_model(s, kind="ordinal", **kwargs)
    binary = None
    try:
        with _Caught(result, "binary"):
            binary = fit_attainment_model(s, kind="binary", **kwargs)
    except CopFactorsError as err:
        result.skipped["binary"] = " ".join(str(err).split())
    return ordinal, binary, X, feature_sources(probe)


def _step_models(
    result: AnalysisResult, extra: list[str] | None = None, formula: str | None = None
) -> None:
    from copfactors.claims import cop_level_drivers, fit_cop_model
    from copfactors.features import attainment

    s = result.survey
    y_all = attainment(s, kind="ordinal")
    n_answered = int(y_all.notna().sum())
    if n_answered < 10:
        raise CopFactorsError(
            f"only {n_answered} respondents have an attainment level at T2 (10 needed)"
        )
    # the fixed-effects models (driver table, SHAP, plan scores) cluster by CoP when they can;
    # the inference shown comes from fit_cop_model (a random intercept per CoP)
    cov_type, cluster = "robust", None
    n_groups = 0
    nested = "cop_id" in s and bool(s.loc[y_all.notna(), "cop_id"].notna().all())
    no_groups = "the survey has no cop_id column"
    if "cop_id" in s:
        n_groups = int(s.loc[y_all.notna(), "cop_id"].nunique(dropna=True))
        if not nested:
            no_groups = "some respondents have no cop_id"
        if n_groups >= _MIN_CLUSTERS and nested:
            cov_type, cluster = "cluster", "cop_id"
    extra = list(extra or [])
    ordinal, binary, X_all, sources = _fit_models(result, cov_type, cluster, extra, formula)
    if extra:
        used = getattr(ordinal.builder, "extra_groups_", {})
        parts = [
            f"{c} (text, reference {i['levels'][0]!r})"
            if i["kind"] == "category"
            else f"{c} ({i['kind']})"
            for c, i in used.items()
        ]
        result.note(
            "ordinal",
            "your own variables (extra) used as drivers: "
            + (", ".join(parts) if parts else "none")
            + ("" if len(used) == len(extra) else f" (asked for: {', '.join(extra)})"),
        )
    if formula is not None:
        result.note(
            "ordinal",
            f"your own model (formula): {formula}; its design columns are the drivers: "
            + ", ".join(map(str, ordinal.feature_names)),
        )
    answered = s.loc[y_all.notna()]
    X = ordinal.features(answered)
    result.X = X
    result.y = y_all.loc[X.index].astype("int64")
    result.y_binary = attainment(s, kind="binary").loc[X.index].astype(bool)
    groups = None
    if nested and n_groups >= 1:
        groups = s.loc[X.index, "cop_id"].astype("string")
        result.groups = groups
        if groups.nunique() >= 2:
            result.cop_level = cop_level_drivers(
                s,
                X_all.loc[X_all.index.intersection(X.index)],
                in_model=list(X.columns),
                sources=sources,
            )
    for key, y in (("ordinal", result.y), ("binary", result.y_binary)):
        if key == "binary" and binary is None:
            continue
        with _Caught(result, key):
            model, choice = fit_cop_model(
                X,
                y.astype("int64"),
                groups=groups,
                link="logit",
                cop_level=result.cop_level,
                no_groups=no_groups,
            )
        for text in choice.notes:
            result.note(key, f"warning: {text}")
        result.model_choice[key] = choice
        if key == "ordinal":
            result.ordinal_inference = model
        else:
            result.binary_inference = model
    # never a rank-deficient cluster-robust covariance: the fixed-effects models then use the
    # robust (HC0) one, and the inference shown is the random-intercept model's
    choice = result.model_choice.get("ordinal")
    refit = cluster is not None and choice is not None and choice.cluster_rank_deficient
    if refit:
        ordinal, binary, _, _ = _fit_models(result, "robust", "cop_id", extra, formula)
    if choice is not None and choice.mixed:
        why = ""
        if refit:
            why = (
                f" (its cluster-robust covariance by CoP has rank {choice.cluster_rank} for "
                f"{choice.n_params} parameters over {choice.n_cops} CoPs)"
            )
        cov = _COV_WORDS.get(ordinal.regression.cov_type, ordinal.regression.cov_type)
        result.note(
            "drivers",
            "This table comes from the model without random intercept, which the "
            f"relative-importance refits need, with {cov} standard errors{why}; the Ordinal "
            "model section, the claims and the plan scores use the one with a random intercept "
            "per CoP.",
        )
    # plans are new CoPs: scored with the model shown (with a random intercept where it was
    # chosen: the marginal probability for a member of a new CoP, the between-CoP SD in the
    # interval), the very fit of the Ordinal model section
    result.attainment_model = _scoring_model(ordinal, result.ordinal_inference)
    result.binary_attainment_model = binary
    result.ordinal_model = ordinal.regression
    result.binary_model = None if binary is None else binary.regression


def _scoring_model(ordinal: Any, inference: Any) -> Any:
    """The inference fit as an attainment model (the builder of ``ordinal``, its respondents).

    ``ordinal`` is the fixed-effects attainment model on the same features and respondents;
    its builder turns plans into the features. Falls back to ``ordinal`` if the two do not
    describe the same features and respondents.
    """
    from copfactors.models import MixedOrdinalRegression
    from copfactors.persist import AttainmentModel

    if inference is None:
        return ordinal
    names = [str(c) for c in inference.coef_.index]
    if names != ordinal.feature_names or int(inference.nobs_) != int(ordinal.training["n"]):
        return ordinal  # pragma: no cover - both are fitted on result.X
    training = {
        k: v for k, v in ordinal.training.items() if k not in ("random_intercept", "n_quad")
    }
    if isinstance(inference, MixedOrdinalRegression):
        training.update(
            cov_type="model-based",
            cluster="cop_id",
            random_intercept=True,
            n_quad=int(inference.n_quad),
        )
    else:
        training["cov_type"] = str(getattr(inference, "_fit_cov_type", inference.cov_type))
    return AttainmentModel(ordinal.builder, inference, training)


def _same_fit(model: Any, other: Any, rtol: float = 1e-8) -> bool:
    """Whether two attainment models have the same drivers, estimates and covariance.

    Estimates are compared at ``rtol``; the covariance at 1e-6 of its largest entry, since a
    mixed model's covariance comes from a finite-difference Hessian whose last digits depend
    on the BLAS kernel (3e-8 relative seen between two CPU kernels).
    """
    a, b = model.regression, other.regression
    if type(a) is not type(b) or model.feature_names != other.feature_names:
        return False
    if list(model.classes) != list(other.classes):
        return False
    pairs = [(a.coef_, b.coef_), (a.thresholds_, b.thresholds_)]
    if hasattr(a, "sigma_"):
        pairs.append((a.sigma_, b.sigma_))
    same = all(
        np.allclose(np.asarray(x, dtype=float), np.asarray(y, dtype=float), rtol=rtol, atol=0)
        for x, y in pairs
    )
    cov_a, cov_b = np.asarray(a.cov_, dtype=float), np.asarray(b.cov_, dtype=float)
    if not same or cov_a.shape != cov_b.shape:
        return False
    scale = float(np.max(np.abs(cov_b))) if cov_b.size else 0.0
    return bool(np.allclose(cov_a, cov_b, rtol=0, atol=1e-6 * scale))


def _step_drivers(result: AnalysisResult, n_jobs: int, importance_samples: int) -> None:
    from copfactors.inspection import drivers

    if result.ordinal_model is None:
        result.skipped["drivers"] = _NO_MODEL
        return
    p = result.X.shape[1]
    # exact dominance needs 2^p fits; sampling needs about importance_samples * p
    exact = 2**p <= max(64, importance_samples * p)
    with _Caught(result, "drivers"):
        result.drivers = drivers(
            result.ordinal_model,
            result.X,
            y=result.y,
            n_jobs=n_jobs,
            importance="exact" if exact else "sampled",
            n_samples=importance_samples,
            random_state=0,
        )


def _step_shap(result: AnalysisResult) -> None:
    from copfactors.inspection import explain

    if result.ordinal_model is None:
        result.skipped["shap"] = _NO_MODEL
        return
    with _Caught(result, "shap"):
        result.shap_values = explain(result.ordinal_model, result.X, scale="latent")


def _step_claims(
    result: AnalysisResult, extra: list[str] | None = None, formula: str | None = None
) -> None:
    from copfactors.claims import AttainmentFit, compare_with_paper

    model = result.ordinal_inference
    choice = result.model_choice.get("ordinal")
    if model is None or choice is None or formula is not None:
        # the claims fit their own model: adjusted for the researcher's own variables too
        result.note(
            "claims",
            "The driver claims read their own attainment model on the paper's drivers"
            + (" and your own variables" if extra else "")
            + (
                ", not the formula's model: the claims are about those drivers' main effects."
                if formula is not None
                else ": the report's ordinal model could not be fitted."
            ),
        )
        with _Caught(result, "claims"):
            result.claims = compare_with_paper(result.survey, extra=extra or None)
        return
    notes = [
        f"The driver claims read the model of the Ordinal model section (the same fit: n = "
        f"{len(result.X)}, {result.X.shape[1]} drivers)."
    ]
    if extra:
        notes.append(
            f"the attainment model is adjusted for your own variable(s) {', '.join(extra)}"
        )
    if result.dropped_features:
        notes.append(
            "left out of the attainment model as constant or collinear with other drivers "
            f"(with the rest of their group): {', '.join(result.dropped_features)}"
        )
    fit = AttainmentFit(
        model,
        choice,
        result.X,
        result.y,
        result.groups,
        dropped=tuple(result.dropped_features),
        notes=tuple(notes),
    )
    with _Caught(result, "claims"):
        result.claims = compare_with_paper(result.survey, fit=fit)


def _step_plans(result: AnalysisResult) -> None:
    from copfactors.plans import PlannedCoP
    from copfactors.scoring import reference_model, score

    model = result.attainment_model
    if model is None:
        result.note(
            "plans",
            "scored with copfactors' reference model (fitted on SIMULATED data), because no "
            "attainment model could be fitted on this survey",
        )
    elif _same_fit(model, reference_model()):
        result.note(
            "plans",
            "Scored with the model of the Ordinal model section, which is the same fit as "
            "copfactors' reference model: `copfactors score <plan>` gives these numbers.",
        )
    else:
        result.note(
            "plans",
            "Scored with the model of the Ordinal model section, not copfactors' reference "
            "model (which `copfactors score <plan>` uses without --model).",
        )
    files = example_plan_files()
    if not files:
        raise CopFactorsError("no example plan is shipped with this installation")
    for path in files:
        plan = PlannedCoP.from_yaml(path)
        with _Caught(result, "plans"):
            scored = score(plan, model=model)
            table = scored.levers()
        result.plans.append(
            PlanScore(name=plan.name, file=path.name, plan=plan, result=scored, levers=table)
        )


def run_analysis(
    survey: pd.DataFrame,
    *,
    source_label: str,
    simulated: bool,
    include_table1: bool | None = None,
    n_jobs: int | None = 1,
    importance_samples: int = 20,
    steps: Iterable[str] | None = None,
    progress: Progress | None = None,
    extra: Iterable[str] | None = None,
    formula: str | None = None,
) -> AnalysisResult:
    """Run every part of copfactors on one survey.

    Parameters
    ----------
    survey : pandas.DataFrame
        Respondent-level data with the codebook's column names (validated here).
    source_label : str
        What the data are, as the report should say first (a file name, "example survey").
    simulated : bool
        Whether the data are simulated; the report then says so in a banner on its first
        screen. Surveys marked ``attrs["simulated"]`` are treated as simulated in any case.
    include_table1 : bool, optional
        Recompute and audit the paper's Table 1. Default: when the data are simulated (the
        demo) or the survey has importance or attainment columns (``imp_*``, ``att_*``).
    n_jobs : int, optional, default 1
        Workers for the relative-importance refits (:func:`copfactors.inspection.drivers`).
    importance_samples : int, default 20
        Random orderings of the drivers for the sampled relative importance, used when the
        exact one would need more model fits (``2^p`` against about ``importance_samples *
        p``; up to 7 drivers it is exact). The Monte Carlo error is in the driver table's
        notes.
    steps : iterable of str, optional
        Steps to run (see :data:`STEPS`; ``"data"`` always runs). Default: all.
    progress : callable, optional
        Called as ``progress(description, done, total)`` before each step and once at the end.
    extra : iterable of str, optional
        Your own survey columns to add as drivers (``CoPFeatureBuilder(extra=...)``): they go
        into the models, the driver table and SHAP, and the notes of the ordinal model name
        them (a text column's reference is its first level in sorted order); the claims' model
        is adjusted for them. The example plans do not give them: they are scored with each
        extra column at the training data's typical value (median, majority or most frequent
        level), and the plan's notes say so.
    formula : str, optional
        Your own model of the drivers (``CoPFeatureBuilder(formula=...)``): a right-hand side
        such as ``"commitment * voluntary + np.log1p(hours_per_week)"`` over the built features
        and the ``extra`` columns, checked against the allow-list of
        :mod:`copfactors.formula`; its design columns are the drivers of the models, and the
        notes of the ordinal model name the formula.

    Returns
    -------
    AnalysisResult

    Raises
    ------
    copfactors.errors.SchemaError
        If the survey does not follow the codebook (every problem listed).

    Examples
    --------
    >>> from copfactors.datasets import load_example_survey
    >>> result = run_analysis(load_example_survey(), source_label="example survey",
    ...                       simulated=True, steps=["table1"])
    >>> int((~result.audit["passed"]).sum())
    4
    """
    from copfactors.schema import validate

    if not isinstance(survey, pd.DataFrame):
        raise CopFactorsError(f"the survey must be a pandas DataFrame, not {type(survey).__name__}")
    wanted = set(STEPS if steps is None else steps) | {"data"}
    unknown = wanted - set(STEPS)
    if unknown:
        raise CopFactorsError(f"unknown step(s) {sorted(unknown)}; steps are {', '.join(STEPS)}")
    simulated = bool(simulated or survey.attrs.get("simulated", False))
    attrs = dict(survey.attrs)
    checked = validate(survey, source=source_label)
    checked.attrs = {**attrs, **checked.attrs}
    names: list[str] = []
    if extra is not None:
        names = [extra] if isinstance(extra, str) else list(extra)
        absent = [c for c in names if c not in checked.columns]
        if absent:
            raise CopFactorsError(
                f"extra column(s) {absent} are not in the survey "
                f"(columns: {', '.join(map(str, checked.columns))})"
            )
    result = AnalysisResult(source_label=source_label, simulated=simulated, survey=checked)
    if include_table1 is None:
        include_table1 = simulated or _has_objectives(checked)
    if not include_table1:
        wanted.discard("table1")
        result.skipped["table1"] = "not requested (the survey has no importance or attainment)"

    todo = [s for s in STEPS if s in wanted]
    runners: dict[str, Callable[[], None]] = {
        "data": lambda: _step_data(result),
        "table1": lambda: _step_table1(result),
        "gender": lambda: _step_gender(result),
        "models": lambda: _step_models(result, names, formula),
        "drivers": lambda: _step_drivers(result, n_jobs or 1, importance_samples),
        "shap": lambda: _step_shap(result),
        "claims": lambda: _step_claims(result, names, formula),
        "plans": lambda: _step_plans(result),
    }
    for done, name in enumerate(todo):
        if progress is not None:
            progress(_STEP_TEXT[name], done, len(todo))
        try:
            runners[name]()
        except CopFactorsError as err:
            if name == "data":
                raise
            reason = " ".join(str(err).split())
            targets = {"models": ("ordinal", "binary")}.get(name, (name,))
            for target in targets:
                result.skipped.setdefault(target, reason)
    for name in STEPS:
        if name not in wanted:
            result.skipped.setdefault(name, "not run (steps=)")
    if "models" not in wanted:
        result.skipped.setdefault("ordinal", "not run (steps=)")
        result.skipped.setdefault("binary", "not run (steps=)")
    if progress is not None:
        progress("Done", len(todo), len(todo))
    return result


# --------------------------------------------------------------------------------------------
# writing the report
# --------------------------------------------------------------------------------------------


def _plain_name(name: str) -> bool:
    """Whether a name is one file of the folder itself (no separator, not hidden, not ``..``)."""
    return bool(name) and not name.startswith(".") and Path(name).name == name and "\\" not in name


def read_report_marker(folder: str | os.PathLike[str]) -> list[str] | None:
    """The files that copfactors wrote into a report folder, from its marker file.

    Parameters
    ----------
    folder : path
        A folder.

    Returns
    -------
    list of str or None
        The names listed in the folder's :data:`MARKER_FILE`, or None when the folder has no
        readable marker (copfactors did not write a report there). Only plain file names of the
        folder itself are returned: a name with a separator or ``..`` is ignored.

    Examples
    --------
    >>> import tempfile
    >>> read_report_marker(tempfile.mkdtemp()) is None
    True
    """
    path = Path(folder) / MARKER_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("written_by") != "copfactors":
        return None
    files = data.get("files")
    if not isinstance(files, list):
        return None
    return [name for name in files if isinstance(name, str) and _plain_name(name)]


def _marker_text(names: Iterable[str]) -> str:
    from copfactors import __version__

    data = {
        "written_by": "copfactors",
        "version": __version__,
        "about": "A report written by copfactors. Writing a report into this folder again "
        "replaces these files (and removes those the new report no longer has); other files "
        "are left alone.",
        "files": sorted(names),
    }
    return json.dumps(data, indent=2) + "\n"


def check_report_folder(
    out_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    names: Iterable[str] | None = None,
) -> Path:
    """Check that a report may be written into a folder, before any work is done.

    A report goes into a folder that does not exist yet, an empty one, or one that holds an
    earlier copfactors report (it has a :data:`MARKER_FILE`). A folder with other files is
    refused unless ``overwrite``: the report would replace the user's own ``report.html``,
    ``plans.csv``, ... Even with ``overwrite``, only the report's files are replaced; nothing
    else in the folder is removed.

    Parameters
    ----------
    out_dir : path
        The report's folder. It is normalised lexically first (``base/x/../y`` is
        ``base/y``), so that a ``..`` never creates a folder the report does not use.
    overwrite : bool, default False
        Replace files of the report's names in a folder that copfactors did not write.
    names : iterable of str, optional
        The files the report writes: a marked folder is refused (without ``overwrite``) when
        one of them is there but is not one of the marker's, i.e. is the user's own.

    Returns
    -------
    pathlib.Path
        The normalised folder.

    Raises
    ------
    copfactors.errors.OutputExistsError
        If ``out_dir`` is a file, if one of ``names`` is a folder in it, or if it holds files
        that copfactors did not write and ``overwrite`` is False.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> check_report_folder(base / "x" / ".." / "y") == base / "y"
    True
    >>> _ = (base / "notes.txt").write_text("mine")
    >>> check_report_folder(base)
    Traceback (most recent call last):
    ...
    copfactors.errors.OutputExistsError: ...
    """
    out = Path(os.path.normpath(os.fspath(out_dir)))
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out} exists and is not a folder")
    if not out.exists():
        return out
    wanted = set(names or ())
    folders = sorted(name for name in wanted if (out / name).is_dir())
    if folders:
        raise OutputExistsError(
            f"{out / folders[0]} is a folder, where the report writes a file; nothing was written"
        )
    present = {
        p.name
        for p in out.iterdir()
        if p.name != MARKER_FILE and not p.name.startswith(_TMP_PREFIX)
    }
    if overwrite or not present:
        return out
    marked = read_report_marker(out)
    if marked is None:
        shown = ", ".join(sorted(present)[:5]) + (", ..." if len(present) > 5 else "")
        raise OutputExistsError(
            f"{out} is not empty ({shown}) and holds no copfactors report: choose a new or "
            "empty folder, or pass --overwrite (overwrite=True) to write the report's files "
            "into it (files of the same names are replaced, the others are kept)"
        )
    clashes = sorted((present & wanted) - set(marked))
    if clashes:
        raise OutputExistsError(
            f"{out} has files of its own that the report would replace ({', '.join(clashes)}); "
            "move them, or pass --overwrite (overwrite=True) to replace them"
        )
    return out


def write_report(
    result: AnalysisResult, out_dir: str | os.PathLike[str], *, overwrite: bool = False
) -> Path:
    """Write the report of an analysis: HTML, figures (PNG) and tables (CSV, LaTeX and Word).

    Every table is written as CSV and LaTeX, and all of them together in one Word document,
    ``tables.docx`` (:func:`copfactors.wordtables.report_docx`). The CSV files are safe to
    open in a spreadsheet (:func:`copfactors.report.safe_csv`).

    The folder is checked first (:func:`check_report_folder`): a new folder, an empty one or
    the folder of an earlier report is written without asking; a folder with other files
    needs ``overwrite=True``, and even then only the report's files are replaced. The folder
    gets a marker, :data:`MARKER_FILE`, listing the files the report wrote; the files of an
    earlier report that this one no longer writes are removed, nothing else is.

    Everything is first written into a hidden temporary folder inside ``out_dir``
    (``.copfactors-tmp-*``, removed afterwards) and then moved into place, ``report.html``
    last, so a failure leaves no half-written report and a folder whose parent is read-only can
    hold a report.

    Parameters
    ----------
    result : AnalysisResult
    out_dir : path
        The report's folder (created with its parents if needed), normalised lexically first
        (``base/x/../y`` is ``base/y``).
    overwrite : bool, default False
        Write into a non-empty folder that holds no copfactors report, or replace files of the
        user's own that have the names of the report's files.

    Returns
    -------
    pathlib.Path
        The path of ``report.html``.

    Raises
    ------
    copfactors.errors.OutputExistsError
        If the folder holds files that copfactors did not write and ``overwrite`` is False,
        or ``out_dir`` is a file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from copfactors.datasets import load_example_survey
    >>> result = run_analysis(load_example_survey(), source_label="example survey",
    ...                       simulated=True, steps=["gender"])
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> write_report(result, out).name
    'report.html'
    >>> "report.html" in read_report_marker(out)
    True
    """
    from copfactors import htmlreport, wordtables

    out = check_report_folder(out_dir, overwrite=overwrite)
    bundle = htmlreport.build(result)
    files = bundle.files()
    if bundle.tables:
        files[wordtables.DOCX_FILE] = wordtables.report_docx(result, bundle.tables.values())
    check_report_folder(out, overwrite=overwrite, names=files)
    old = read_report_marker(out) if out.is_dir() else None
    created = [p for p in (out, *out.parents) if not p.exists()]
    out.mkdir(parents=True, exist_ok=True)
    tmp: Path | None = None
    moved = False
    try:
        tmp = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX, dir=out))
        for name, data in files.items():
            target = tmp / name
            if isinstance(data, bytes):
                target.write_bytes(data)
            else:
                target.write_text(data, encoding="utf-8", newline="\n")
        stale = [n for n in old or [] if n not in files]
        (tmp / MARKER_FILE).write_text(_marker_text([*files, *stale]), encoding="utf-8")
        final = tmp / f"{MARKER_FILE}.final"
        final.write_text(_marker_text(files), encoding="utf-8")
        # the marker first: it names every file of copfactors' while they are moved in
        os.replace(tmp / MARKER_FILE, out / MARKER_FILE)
        moved = True
        # the report last, so an existing report.html never points at missing files
        for name in sorted(files, key=lambda n: n == REPORT_FILE):
            os.replace(tmp / name, out / name)
        for name in stale:
            path = out / name
            if path.is_symlink() or path.is_file():
                path.unlink()
        os.replace(final, out / MARKER_FILE)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if not moved:
            for folder in created:  # deepest first; only the empty folders made here
                try:
                    folder.rmdir()
                except OSError:
                    break
    return out / REPORT_FILE
