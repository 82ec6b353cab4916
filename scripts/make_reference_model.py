"""Fit and write copfactors' reference attainment model and its model card.

The reference model is an ordinal logit model of attainment (robust sandwich covariance)
fitted on :func:`copfactors.load_example_survey`, a SIMULATED survey calibrated to the paper's
Table 1. It is written to

* ``models/reference-ordinal.json`` (the model file, next to its card),
* ``src/copfactors/data/reference-ordinal.json`` (the same bytes, shipped in the package and
  used by ``copfactors.score`` when no model is given),
* ``models/reference-ordinal.md`` (the model card, with 5-fold cross-validated performance
  computed here).

Everything is deterministic, including the ``created`` stamp of the model file
(:data:`CREATED`), so running the script again writes the same bytes; a test rebuilds the
files in a temporary folder and compares them with the committed ones.

Usage::

    python scripts/make_reference_model.py [--root DIR]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import copfactors as cf
from copfactors.persist import AttainmentModel

ROOT = Path(__file__).resolve().parents[1]
NAME = "reference-ordinal"
#: Fixed ``created`` stamp: the file must not change when nothing else does.
CREATED = "2026-01-01T00:00:00Z"
#: Feature groups left out: in the example survey the only CoP sponsored by a professional
#: association is also the only one with a dedicated steward, so the two are collinear.
EXCLUDE = ("sponsor",)
N_FOLDS = 5
CV_SEED = 0


def fit_reference() -> AttainmentModel:
    """The reference model (deterministic).

    Examples
    --------
    >>> fit_reference().training["reference"]
    True
    """
    survey = cf.load_example_survey()
    model = cf.fit_attainment_model(
        survey,
        link="logit",
        # HC0 sandwich, not cluster-robust: with 7 CoPs and 19 parameters the cluster-robust
        # covariance has rank 6, and draws from it would give intervals that look precise
        cov_type="robust",
        cluster=None,
        builder=cf.CoPFeatureBuilder(exclude=list(EXCLUDE)),
    )
    model.training["reference"] = True
    model.training["name"] = NAME
    model.training["calibration"] = (
        "copfactors.load_example_survey(): make_survey(seed=2003, mode='calibrated'), whose "
        "gender means, SDs and Ns reproduce the paper's Table 1"
    )
    return model


def cross_validate(n_folds: int = N_FOLDS, seed: int = CV_SEED) -> pd.DataFrame:
    """Stratified k-fold cross-validation of the whole pipeline (builder and regression).

    Respondents (not CoPs) are split, stratified by attainment level; each fold refits the
    builder and the model on the other folds. Returns one row per fold and a last row
    ``"mean"``: ``log_loss``, ``accuracy``, ``quadratic_kappa``, ``baseline_log_loss`` (the
    training folds' level frequencies as the prediction) and ``n_test``.
    """
    from sklearn.metrics import accuracy_score, cohen_kappa_score, log_loss
    from sklearn.model_selection import StratifiedKFold

    survey = cf.load_example_survey()
    full = fit_reference()
    X = full.features(survey.loc[cf.attainment(survey).notna()])
    rows = survey.loc[X.index]
    y = cf.attainment(rows).to_numpy(dtype=np.int64)
    labels = np.asarray(full.classes)
    folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    records = []
    for k, (train, test) in enumerate(folds.split(np.zeros(len(y)), y), start=1):
        with warnings.catch_warnings():
            # a fold's fit may flag separation; its predictions are still what is measured
            warnings.simplefilter("ignore")
            model = cf.fit_attainment_model(
                rows.iloc[train],
                builder=cf.CoPFeatureBuilder(exclude=list(EXCLUDE)),
                cov_type="robust",
                cluster=None,
            )
        proba = model.predict_proba(rows.iloc[test])
        proba = proba.reindex(columns=labels, fill_value=0.0).to_numpy()
        predicted = labels[np.argmax(proba, axis=1)]
        freq = np.array([np.mean(y[train] == lv) for lv in labels])
        records.append(
            {
                "fold": str(k),
                "n_test": len(test),
                "log_loss": log_loss(y[test], proba, labels=labels),
                "accuracy": accuracy_score(y[test], predicted),
                "quadratic_kappa": cohen_kappa_score(y[test], predicted, weights="quadratic"),
                "baseline_log_loss": log_loss(
                    y[test], np.tile(freq, (len(test), 1)), labels=labels
                ),
            }
        )
    table = pd.DataFrame(records)
    mean = {"fold": "mean", "n_test": int(table["n_test"].sum())}
    for col in ("log_loss", "accuracy", "quadratic_kappa", "baseline_log_loss"):
        mean[col] = float(table[col].mean())
    return pd.concat([table, pd.DataFrame([mean])], ignore_index=True)


def _fmt(x: Any, d: int = 3) -> str:
    return f"{x:.{d}f}"


def model_card(model: AttainmentModel, cv: pd.DataFrame) -> str:
    """The model card (Markdown)."""
    t = model.training
    reg = model.regression
    summary = model.summary()
    coefs = summary[summary["kind"] == "coef"]
    counts = ", ".join(f"{k}: {v}" for k, v in t["outcome_counts"].items())
    rank = int(np.linalg.matrix_rank(reg.cov_.to_numpy(), tol=1e-10 * reg.cov_.to_numpy().max()))
    mean = cv.iloc[-1]
    driver_rows = "\n".join(
        f"| `{r.term}` | {_fmt(r.coef)} | {_fmt(r.se)} | {_fmt(r.odds_ratio, 2)} | "
        f"{_fmt(r.ci_low)} to {_fmt(r.ci_high)} |"
        for r in coefs.itertuples(index=False)
    )
    thr = ", ".join(f"{k} = {_fmt(v)}" for k, v in reg.thresholds_.items())
    fold_rows = "\n".join(
        f"| {r.fold} | {r.n_test} | {_fmt(r.log_loss)} | {_fmt(r.baseline_log_loss)} | "
        f"{_fmt(r.accuracy)} | {_fmt(r.quadratic_kappa)} |"
        for r in cv.itertuples(index=False)
    )
    ranges = t["feature_ranges"]
    range_rows = "\n".join(f"| `{k}` | {v[0]:g} | {v[1]:g} |" for k, v in ranges.items())
    return f"""# Model card: `{NAME}` (copfactors reference attainment model)

> **Fitted on SIMULATED data.** The paper publishes no respondent-level data; this model is an
> illustration and a template. Refit on your own survey
> (`copfactors fit survey.csv --out model.json`) before using a score for decisions.

Files: `models/{NAME}.json` (and the identical `src/copfactors/data/{NAME}.json`, used by
`copfactors.score` and `copfactors score` when no model is given). Written by
`scripts/make_reference_model.py`, which also computed every number on this page.

## Data

- `copfactors.load_example_survey()`: {t["n_survey_rows"]} SIMULATED respondents in 7 CoPs
  (`make_survey(seed=2003, mode="calibrated")`), whose gender means, SDs and Ns reproduce the
  paper's Table 1 and whose respondent-level relations follow the documented generating model
  (`copfactors.GENERATING_MODEL`).
- Rows fitted: **{t["n"]}** respondents in **{t["n_cops"]}** CoPs: the {t["n_survey_rows"]}
  respondents minus {t["n_without_outcome"]} without a T2 attainment answer and
  {t["n_dropped_missing"]} missing a driver (gender or age band).
- Outcome counts (attainment level: respondents): {counts}. No fitted respondent is at level
  1, so the model's levels are 2 to 5.

## Outcome and drivers

- Outcome: `attainment(survey)`: a respondent's mean attainment rating of the CoP's objectives
  at T2, rounded half up to a level 1-5 (4 = "attained").
- Model: cumulative logit (proportional odds), `P(Y <= j) = F(theta_j - x'beta)`; covariance
  robust (HC0 sandwich). Not cluster-robust by CoP: with 7 CoPs and {len(reg.params_)}
  parameters a cluster-robust covariance has rank at most 6, and score intervals drawn from it
  would vary in 6 directions only and look more precise than they are.
- Drivers: `CoPFeatureBuilder(exclude=["sponsor"])`, missing values dropped. The sponsor is
  left out because in the example survey the only CoP sponsored by a professional association
  is also the only one with a dedicated steward: the two columns are identical and cannot be
  separated.
- Thresholds: {thr}.

| feature | coef | se (robust) | odds ratio | 95% CI |
|---|---:|---:|---:|---:|
{driver_rows}

Log-likelihood {_fmt(reg.loglik_)}, AIC {_fmt(reg.aic_, 1)}, McFadden R2
{_fmt(reg.r2_mcfadden_)}, converged in {reg.n_iter_} iterations.

## Performance

{N_FOLDS}-fold cross-validation stratified by attainment level (seed {CV_SEED}); each fold
refits the feature builder and the model on the other folds. The baseline predicts the training
folds' level frequencies for everyone.

| fold | n test | log-loss | baseline log-loss | accuracy | quadratic kappa |
|---|---:|---:|---:|---:|---:|
{fold_rows}

Mean cross-validated log-loss {_fmt(mean.log_loss)} against {_fmt(mean.baseline_log_loss)} for
the baseline; accuracy {_fmt(mean.accuracy)}; quadratic weighted kappa
{_fmt(mean.quadratic_kappa)}. The folds split respondents, not CoPs, so CoP-level drivers
(steward, leader changes) are seen in training for every test CoP: these figures are
optimistic for a new CoP, and they measure how well the model recovers the simulation, not the
world.

## Intended use

- Illustrating `copfactors.score` and `copfactors score`: the probability that a planned CoP's
  objectives will be attained, its uncertainty, risk flags and levers.
- A template: the same call on your own survey (`copfactors.fit_attainment_model(survey)`)
  gives a model for your context.

Not for decisions about real CoPs or people: the data are simulated, and the simulation's
effects were set from the paper's qualitative conclusions.

## Limitations

- **Simulated training data.** The effects are those of the generating model plus sampling
  noise; the coefficients of {t["n"]} respondents are large and uncertain (for example the
  commitment and voluntary effects exceed the generating model's).
- **Few CoPs.** The survey has 7 CoPs. CoP-level effects (steward type, leader changes) rest
  on them alone, and the robust covariance (rank {rank} of {len(reg.params_)}) ignores the
  correlation of answers within a CoP, so intervals are, if anything, too narrow for CoP-level
  levers.
- **Range.** Plans outside the training data's ranges are extrapolated (the score's flags
  say so):

| feature | min | max |
|---|---:|---:|
{range_rows}

- **No sponsor effect**, for the reason above; a plan's sponsor does not change its score.
- **Level 1 never observed**: the model gives it no probability.
"""


def write(root: Path = ROOT) -> list[Path]:
    """Fit the model and write the three files under ``root``; return their paths."""
    model = fit_reference()
    cv = cross_validate()
    paths = [
        root / "models" / f"{NAME}.json",
        root / "src" / "copfactors" / "data" / f"{NAME}.json",
    ]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        cf.save_model(model, path, overwrite=True, created=CREATED)
    card = root / "models" / f"{NAME}.md"
    tmp = card.with_name(card.name + ".tmp")
    tmp.write_bytes(model_card(model, cv).encode("utf-8"))
    tmp.replace(card)
    return [*paths, card]


def main(argv: list[str] | None = None) -> list[Path]:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root to write under")
    args = parser.parse_args(argv)
    paths = write(args.root)
    for p in paths:
        print(f"wrote {p}")
    return paths


if __name__ == "__main__":
    main()
