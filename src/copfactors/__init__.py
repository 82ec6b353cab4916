"""copfactors: what makes a community of practice (CoP) attain its objectives.

Read and validate CoP survey data against a declared codebook, build driver features, fit
ordinal and logistic models of objective attainment, explain the drivers, score planned CoPs and
audit the published table the project comes from.

Public names are loaded lazily so that ``import copfactors`` stays fast and does not import
heavy libraries (shap, statsmodels, matplotlib) until they are needed.

Examples
--------
>>> import copfactors as cf
>>> table = cf.load_table1()
>>> table.shape
(90, 7)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    # the same names, eagerly, for type checkers and IDEs (never run)
    from copfactors.claims import ClaimsResult, compare_with_paper, paper_claims
    from copfactors.datasets import (
        GENERATING_MODEL,
        calibration_report,
        load_example_survey,
        load_housing,
        load_table1,
        load_table1_tests,
        make_survey,
        simulation_design,
    )
    from copfactors.distributed import score_dask
    from copfactors.features import CoPFeatureBuilder, attainment, attainment_long, reliability
    from copfactors.formula import ordinal, predict_proba_frame
    from copfactors.inspection import DriverTable, compare_models, drivers, explain
    from copfactors.instrument import questionnaire
    from copfactors.io import read_survey, read_table
    from copfactors.mapping import SurveyMapping, load_mapping, propose_mapping
    from copfactors.models import MixedOrdinalRegression, OrdinalRegression, anova, lr_test
    from copfactors.parallel import BootstrapResult
    from copfactors.persist import AttainmentModel, fit_attainment_model, load_model, save_model
    from copfactors.pipeline import AnalysisResult, run_analysis, write_report
    from copfactors.plans import PlannedCoP, plan_template
    from copfactors.preflight import Readiness, readiness
    from copfactors.replicate import audit_summary_table, group_comparison, replicate_table1
    from copfactors.schema import (
        CODEBOOK,
        OBJECTIVE_LABELS,
        OBJECTIVES,
        Codebook,
        Variable,
        describe_columns,
        validate,
    )
    from copfactors.scoring import ScoreResult, score, score_many

# public name -> submodule that defines it
_LAZY: dict[str, str] = {
    "load_housing": "copfactors.datasets",
    "predict_proba_frame": "copfactors.formula",
    "ordinal": "copfactors.formula",
    # schema and io
    "CODEBOOK": "copfactors.schema",
    "OBJECTIVES": "copfactors.schema",
    "validate": "copfactors.schema",
    "OBJECTIVE_LABELS": "copfactors.schema",
    "Codebook": "copfactors.schema",
    "Variable": "copfactors.schema",
    "describe_columns": "copfactors.schema",
    "read_survey": "copfactors.io",
    "read_table": "copfactors.io",
    # raw survey-tool exports, readiness and the questionnaire
    "propose_mapping": "copfactors.mapping",
    "load_mapping": "copfactors.mapping",
    "SurveyMapping": "copfactors.mapping",
    "readiness": "copfactors.preflight",
    "Readiness": "copfactors.preflight",
    "questionnaire": "copfactors.instrument",
    # datasets
    "load_table1": "copfactors.datasets",
    "load_table1_tests": "copfactors.datasets",
    "load_example_survey": "copfactors.datasets",
    "make_survey": "copfactors.datasets",
    "calibration_report": "copfactors.datasets",
    "simulation_design": "copfactors.datasets",
    "GENERATING_MODEL": "copfactors.datasets",
    # features
    "CoPFeatureBuilder": "copfactors.features",
    "attainment": "copfactors.features",
    "attainment_long": "copfactors.features",
    "reliability": "copfactors.features",
    # models
    "OrdinalRegression": "copfactors.models",
    "anova": "copfactors.models",
    "lr_test": "copfactors.models",
    "MixedOrdinalRegression": "copfactors.models",
    # attainment models, model files and scoring of planned CoPs
    "AttainmentModel": "copfactors.persist",
    "fit_attainment_model": "copfactors.persist",
    "save_model": "copfactors.persist",
    "load_model": "copfactors.persist",
    "PlannedCoP": "copfactors.plans",
    "plan_template": "copfactors.plans",
    "score": "copfactors.scoring",
    "score_many": "copfactors.scoring",
    "ScoreResult": "copfactors.scoring",
    # explanation of drivers
    "drivers": "copfactors.inspection",
    "explain": "copfactors.inspection",
    "compare_models": "copfactors.inspection",
    "DriverTable": "copfactors.inspection",
    # replication of Table 1
    "replicate_table1": "copfactors.replicate",
    "audit_summary_table": "copfactors.replicate",
    "group_comparison": "copfactors.replicate",
    # the analysis pipeline and its report
    "AnalysisResult": "copfactors.pipeline",
    "run_analysis": "copfactors.pipeline",
    "write_report": "copfactors.pipeline",
    # the paper's claims and their verdicts on a survey
    "paper_claims": "copfactors.claims",
    "compare_with_paper": "copfactors.claims",
    "ClaimsResult": "copfactors.claims",
    # repeated refits (joblib, Dask) and large member tables
    "BootstrapResult": "copfactors.parallel",
    "score_dask": "copfactors.distributed",
}

_SUBMODULES = {
    "errors",
    "schema",
    "io",
    "datasets",
    "features",
    "models",
    "persist",
    "scoring",
    "plans",
    "inspection",
    "mapping",
    "preflight",
    "instrument",
    "formula",
    "parallel",
    "distributed",
    "report",
    "replicate",
    "claims",
    "plot",
    "pipeline",
    "htmlreport",
    "wordtables",
    "demo",
    "cli",
}

__all__ = [
    "CODEBOOK",
    "GENERATING_MODEL",
    "OBJECTIVES",
    "OBJECTIVE_LABELS",
    "AnalysisResult",
    "AttainmentModel",
    "BootstrapResult",
    "ClaimsResult",
    "CoPFeatureBuilder",
    "Codebook",
    "DriverTable",
    "MixedOrdinalRegression",
    "OrdinalRegression",
    "PlannedCoP",
    "Readiness",
    "ScoreResult",
    "SurveyMapping",
    "Variable",
    "__version__",
    "anova",
    "attainment",
    "attainment_long",
    "audit_summary_table",
    "calibration_report",
    "compare_models",
    "compare_with_paper",
    "describe_columns",
    "drivers",
    "explain",
    "fit_attainment_model",
    "group_comparison",
    "load_example_survey",
    "load_housing",
    "load_mapping",
    "load_model",
    "load_table1",
    "load_table1_tests",
    "lr_test",
    "make_survey",
    "ordinal",
    "paper_claims",
    "plan_template",
    "predict_proba_frame",
    "propose_mapping",
    "questionnaire",
    "read_survey",
    "read_table",
    "readiness",
    "reliability",
    "replicate_table1",
    "run_analysis",
    "save_model",
    "score",
    "score_dask",
    "score_many",
    "simulation_design",
    "validate",
    "write_report",
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"copfactors.{name}")
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'copfactors' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBMODULES})
