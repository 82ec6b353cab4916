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
from typing import Any

__version__ = "0.1.0"

# public name -> submodule that defines it
_LAZY: dict[str, str] = {
    # schema and io
    "CODEBOOK": "copfactors.schema",
    "OBJECTIVES": "copfactors.schema",
    "validate": "copfactors.schema",
    "OBJECTIVE_LABELS": "copfactors.schema",
    "Codebook": "copfactors.schema",
    "Variable": "copfactors.schema",
    "describe_columns": "copfactors.schema",
    "read_survey": "copfactors.io",
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
    # attainment models, model files and scoring of planned CoPs
    "AttainmentModel": "copfactors.persist",
    "fit_attainment_model": "copfactors.persist",
    "save_model": "copfactors.persist",
    "load_model": "copfactors.persist",
    "PlannedCoP": "copfactors.plans",
    "score": "copfactors.scoring",
    "score_many": "copfactors.scoring",
    "ScoreResult": "copfactors.scoring",
    # explanation of drivers
    "drivers": "copfactors.explain",
    "explain": "copfactors.explain",
    "compare_models": "copfactors.explain",
    "DriverTable": "copfactors.explain",
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
    "explain",
    "report",
    "replicate",
    "claims",
    "plot",
    "pipeline",
    "htmlreport",
    "demo",
    "cli",
}

__all__ = sorted([*_LAZY, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        # a name that is both (``explain``) is the submodule, which is callable as the function
        # of the same name: importing the submodule binds it here anyway, so this keeps
        # ``copfactors.explain`` one object whatever was imported first
        return importlib.import_module(f"copfactors.{name}")
    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'copfactors' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, *_SUBMODULES})
