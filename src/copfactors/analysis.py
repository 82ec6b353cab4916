"""The result of one analysis of a survey: every table and fitted model, ready to render.

:func:`copfactors.pipeline.run_analysis` fills an :class:`AnalysisResult`;
:mod:`copfactors.htmlreport` and the terminal summary of ``copfactors demo`` render it. The
classes live in a module of their own so that the pipeline that computes a result and the report
that renders it both import them, and neither imports the other.

Examples
--------
>>> import pandas as pd
>>> from copfactors.analysis import AnalysisResult
>>> result = AnalysisResult(source_label="my survey", simulated=False, survey=pd.DataFrame())
>>> result.note("data", "two columns renamed")
>>> result.notes
{'data': ['two columns renamed']}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from copfactors.claims import ClaimsResult, CoPLevelDrivers, ModelChoice
    from copfactors.inspection import DriverTable
    from copfactors.models import MixedOrdinalRegression, OrdinalRegression
    from copfactors.persist import AttainmentModel
    from copfactors.plans import PlannedCoP
    from copfactors.replicate import GroupComparison

__all__ = ["AnalysisResult", "PlanScore", "random_intercept_text"]


def random_intercept_text(model: Any, digits: int = 2) -> str:
    """The random intercept of a mixed model in words: sigma with its interval, ICC, LR test.

    Parameters
    ----------
    model : MixedOrdinalRegression
        Fitted.
    digits : int, default 2

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> from copfactors.models import MixedOrdinalRegression
    >>> rng = np.random.default_rng(0)
    >>> g = np.repeat(np.arange(12), 25)
    >>> x = rng.normal(size=(300, 1))
    >>> y = np.digitize(x[:, 0] + rng.normal(0, 1.0, 12)[g] + rng.logistic(size=300), [-1, 1])
    >>> random_intercept_text(MixedOrdinalRegression().fit(x, y, groups=g))[:40]
    'between-CoP SD (sigma) 0.88 (95% CI 0.52'
    """
    from copfactors._utils.render import format_p

    lr = model.test_random_effect()
    level = f"{100 * (1 - float(model.alpha)):g}%"
    low, high = model.sigma_ci_
    p = format_p(float(lr["p"]), 3)
    p = f"p < {p[1:]}" if p.startswith("<") else f"p = {p}"
    return (
        f"between-CoP SD (sigma) {model.sigma_:.{digits}f} ({level} CI {low:.{digits}f} to "
        f"{high:.{digits}f}, on the log scale), ICC {model.icc_:.{digits}f} (latent scale); "
        f"LR test of sigma = 0 (boundary-corrected) chi2 = {float(lr['statistic']):.{digits}f}, "
        f"{p}"
    )


@dataclass
class PlanScore:
    """One planned CoP and its score.

    Attributes
    ----------
    name : str
        The plan's name.
    file : str
        The plan file's name.
    plan : PlannedCoP
    result : object
        The scoring result (:func:`copfactors.scoring.score`): ``probability``, ``interval``,
        ``flags`` and ``levers()``.
    levers : pandas.DataFrame
        ``result.levers()``.
    """

    name: str
    file: str
    plan: PlannedCoP
    result: Any
    levers: pd.DataFrame


@dataclass
class AnalysisResult:
    """Everything :func:`copfactors.pipeline.run_analysis` computed on one survey.

    Attributes
    ----------
    source_label : str
        What the data are (a file name, "example survey", ...), shown first in the report.
    simulated : bool
        Whether the data are simulated (the report then says so in a banner).
    survey : pandas.DataFrame
        The validated survey.
    overview : dict
        Facts about the data: respondents, CoPs, answered at T2, columns, ...
    cops : pandas.DataFrame
        One row per CoP (:func:`copfactors.pipeline.describe_survey`).
    table1, audit, calibration : pandas.DataFrame or None
        Table 1 recomputed (:func:`~copfactors.replicate.replicate_table1`), its audit
        (:func:`~copfactors.replicate.audit_summary_table`) and, for simulated data, the
        survey's cells beside the published ones (:func:`~copfactors.datasets.calibration_report`).
    published_table1 : pandas.DataFrame or None
        The published Table 1 (:func:`~copfactors.datasets.load_table1`).
    comparison : GroupComparison or None
        Table 1's layout from the survey, by gender.
    X : pandas.DataFrame or None
        The drivers of the models' respondents.
    y, y_binary : pandas.Series or None
        Their attainment level (1-5) and whether they attained the objectives (mean >= 4).
    dropped_features : list of str
        Drivers left out because they were constant or a linear combination of earlier ones.
    ordinal_model, binary_model : OrdinalRegression or None
        The fitted fixed-effects regressions (cumulative logit; the binary one has two
        levels) behind the driver table and SHAP values, which need them.
    ordinal_inference, binary_inference : MixedOrdinalRegression, OrdinalRegression or None
        The models whose estimates and intervals the report and the summary show: with a
        random intercept per CoP when the survey has CoPs
        (:func:`copfactors.claims.fit_cop_model`). The claims and the plan scores read the
        ordinal one.
    model_choice : dict of str to ModelChoice
        For ``"ordinal"`` and ``"binary"``: which model the inference comes from, and why.
    cop_level : CoPLevelDrivers or None
        The drivers that are the same within each CoP, and which are confounded.
    attainment_model, binary_attainment_model : AttainmentModel or None
        The models with their feature builders (:func:`copfactors.fit_attainment_model`), as
        :func:`copfactors.score` needs them. The ordinal one, which scores the plans, is
        ``ordinal_inference`` itself (its ``regression``) with the builder of its features:
        with a random intercept per CoP where the inference has one (a plan is a new CoP).
    drivers : DriverTable or None
    shap_values : shap.Explanation or None
        Latent-scale SHAP values of the ordinal model.
    claims : ClaimsResult or None
    plans : list of PlanScore
    notes : dict of str to list of str
        Notes per section (warnings caught, choices made).
    skipped : dict of str to str
        Sections not produced, with the reason.
    """

    source_label: str
    simulated: bool
    survey: pd.DataFrame
    overview: dict[str, Any] = field(default_factory=dict)
    cops: pd.DataFrame | None = None
    table1: pd.DataFrame | None = None
    audit: pd.DataFrame | None = None
    calibration: pd.DataFrame | None = None
    published_table1: pd.DataFrame | None = None
    comparison: GroupComparison | None = None
    X: pd.DataFrame | None = None
    y: pd.Series | None = None
    y_binary: pd.Series | None = None
    groups: pd.Series | None = None
    dropped_features: list[str] = field(default_factory=list)
    ordinal_model: OrdinalRegression | None = None
    binary_model: OrdinalRegression | None = None
    ordinal_inference: MixedOrdinalRegression | OrdinalRegression | None = None
    binary_inference: MixedOrdinalRegression | OrdinalRegression | None = None
    model_choice: dict[str, ModelChoice] = field(default_factory=dict)
    cop_level: CoPLevelDrivers | None = None
    attainment_model: AttainmentModel | None = None
    binary_attainment_model: AttainmentModel | None = None
    drivers: DriverTable | None = None
    shap_values: Any = None
    claims: ClaimsResult | None = None
    plans: list[PlanScore] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def inference_model(self, key: str) -> Any:
        """The model whose inference is shown for ``"ordinal"`` or ``"binary"`` (or None).

        The random-intercept model where it was chosen, else the fixed-effects one.
        """
        inference = self.ordinal_inference if key == "ordinal" else self.binary_inference
        if inference is not None:
            return inference
        return self.ordinal_model if key == "ordinal" else self.binary_model

    def note(self, section: str, text: str) -> None:
        """Add a note to a section (once)."""
        bucket = self.notes.setdefault(section, [])
        if text not in bucket:
            bucket.append(text)
