"""Fit and write copfactors' reference attainment model and its model card.

The reference model is an ordinal logit model of attainment with a random intercept per CoP
(respondents nested in CoPs, Laplace approximation), fitted on
:func:`copfactors.load_example_survey`, a SIMULATED survey calibrated to the paper's Table 1.
A planned CoP is a new CoP: the model scores it with the marginal probability, its intercept
integrated out, and the score's interval includes the between-CoP variance and the
uncertainty of that variance. It is written to

* ``models/reference-ordinal.json`` (the model file, format version 2, next to its card),
* ``src/copfactors/data/reference-ordinal.json`` (the same bytes, shipped in the package and
  used by ``copfactors.score`` when no model is given),
* ``models/reference-ordinal.md`` (the model card, with 5-fold cross-validated performance and
  the example plans' scores computed here).

Everything is deterministic, including the ``created`` stamp of the model file
(:data:`CREATED`), so running the script again writes the same bytes on the same machine; a
test rebuilds the files in a temporary folder and compares them with the committed ones.

Usage::

    python scripts/make_reference_model.py [--root DIR]
"""

from __future__ import annotations

import argparse
import copy
import math
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
#: Quadrature nodes per CoP: 1 is the Laplace approximation.
N_QUAD = 1
#: Nodes of the adaptive Gauss-Hermite fit the card compares the Laplace approximation with.
N_QUAD_CHECK = 10
N_FOLDS = 5
CV_SEED = 0
#: The example plans the card scores (``docs/examples``), with the draws of docs/scoring.md.
EXAMPLE_PLANS = ("heart-health-association.yaml", "designated-no-steward.yaml")
N_DRAWS = 1000
DRAW_SEED = 0


def _builder() -> cf.CoPFeatureBuilder:
    return cf.CoPFeatureBuilder(exclude=list(EXCLUDE))


def fit_reference() -> AttainmentModel:
    """The reference model (deterministic): a random intercept per CoP, Laplace approximation.

    Examples
    --------
    >>> model = fit_reference()
    >>> model.training["reference"], model.random_intercept
    (True, True)
    """
    survey = cf.load_example_survey()
    # the covariance is model-based (inverse Hessian of the marginal likelihood): the random
    # intercept models the correlation of answers within a CoP, where a cluster-robust
    # covariance over 7 CoPs would have rank 6
    model = cf.fit_attainment_model(
        survey, link="logit", random_intercept=True, n_quad=N_QUAD, builder=_builder()
    )
    model.training["reference"] = True
    model.training["name"] = NAME
    model.training["calibration"] = (
        "copfactors.load_example_survey(): make_survey(seed=2003, mode='calibrated'), whose "
        "gender means, SDs and Ns reproduce the paper's Table 1"
    )
    return model


def fit_fixed(cov_type: str = "robust") -> AttainmentModel:
    """The same drivers and respondents without random intercept, for the card's comparisons.

    ``cov_type="robust"`` (HC0) is the previous reference model; ``"cluster"`` clusters by CoP.
    """
    survey = cf.load_example_survey()
    if cov_type == "cluster":
        return cf.fit_attainment_model(survey, builder=_builder())
    return cf.fit_attainment_model(survey, cov_type=cov_type, cluster=None, builder=_builder())


def cross_validate(n_folds: int = N_FOLDS, seed: int = CV_SEED) -> pd.DataFrame:
    """Stratified k-fold cross-validation of the whole pipeline (builder and regression).

    Respondents (not CoPs) are split, stratified by attainment level; each fold refits the
    builder and the random-intercept model on the other folds and predicts the held-out
    respondents marginally (as for a new CoP: their CoP's estimated intercept is not used), as
    scoring does. Returns one row per fold and a last row ``"mean"``: ``log_loss``,
    ``accuracy``, ``quadratic_kappa``, ``fixed_log_loss`` (the same folds with the ordinal
    logit without random intercept), ``baseline_log_loss`` (the training folds' level
    frequencies as the prediction) and ``n_test``.
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

    def proba_of(model: AttainmentModel, test: np.ndarray) -> np.ndarray:
        proba = model.predict_proba(rows.iloc[test])
        return proba.reindex(columns=labels, fill_value=0.0).to_numpy()

    records = []
    for k, (train, test) in enumerate(folds.split(np.zeros(len(y)), y), start=1):
        with warnings.catch_warnings():
            # a fold's fit may flag separation; its predictions are still what is measured
            warnings.simplefilter("ignore")
            model = cf.fit_attainment_model(
                rows.iloc[train], random_intercept=True, n_quad=N_QUAD, builder=_builder()
            )
            fixed = cf.fit_attainment_model(
                rows.iloc[train], cov_type="robust", cluster=None, builder=_builder()
            )
        proba = proba_of(model, test)
        predicted = labels[np.argmax(proba, axis=1)]
        freq = np.array([np.mean(y[train] == lv) for lv in labels])
        records.append(
            {
                "fold": str(k),
                "n_test": len(test),
                "log_loss": log_loss(y[test], proba, labels=labels),
                "accuracy": accuracy_score(y[test], predicted),
                "quadratic_kappa": cohen_kappa_score(y[test], predicted, weights="quadratic"),
                "fixed_log_loss": log_loss(y[test], proba_of(fixed, test), labels=labels),
                "baseline_log_loss": log_loss(
                    y[test], np.tile(freq, (len(test), 1)), labels=labels
                ),
            }
        )
    table = pd.DataFrame(records)
    mean = {"fold": "mean", "n_test": int(table["n_test"].sum())}
    for col in ("log_loss", "accuracy", "quadratic_kappa", "fixed_log_loss", "baseline_log_loss"):
        mean[col] = float(table[col].mean())
    return pd.concat([table, pd.DataFrame([mean])], ignore_index=True)


def example_scores(models: dict[str, AttainmentModel], root: Path = ROOT) -> pd.DataFrame:
    """The example plans scored by each model: ``probability`` and its 90% interval."""
    records = []
    for name in EXAMPLE_PLANS:
        plan = cf.PlannedCoP.from_yaml(root / "docs" / "examples" / name)
        for label, model in models.items():
            r = cf.score(plan, model, n_draws=N_DRAWS, random_state=DRAW_SEED)
            records.append(
                {
                    "plan": name.removesuffix(".yaml"),
                    "model": label,
                    "probability": r.probability,
                    "low": r.probability_low,
                    "high": r.probability_high,
                }
            )
    return pd.DataFrame(records)


def sigma_known(model: AttainmentModel) -> AttainmentModel:
    """A copy of a random-intercept model whose ``sigma`` is treated as known.

    The covariance of the other parameters is conditioned on ``log_sigma`` (the last row and
    column: ``S11 - S12 S22^-1 S21``) and ``log_sigma``'s own row and column are zero, so score
    draws keep ``sigma`` at its estimate. Only for the card: it shows how much of a score's
    interval is the uncertainty of ``sigma``.
    """
    known = copy.deepcopy(model)
    cov = known.regression.cov_.copy()
    assert cov.index[-1] == "log_sigma"
    s = cov.to_numpy(copy=True)
    c = s[:-1, -1:]
    s[:-1, :-1] -= c @ c.T / s[-1, -1]
    s[-1, :] = 0.0
    s[:, -1] = 0.0
    known.regression.cov_ = pd.DataFrame(s, index=cov.index, columns=cov.columns)
    return known


def _fmt(x: Any, d: int = 3) -> str:
    return f"{x:.{d}f}"


def _rank(cov: pd.DataFrame) -> int:
    c = cov.to_numpy()
    return int(np.linalg.matrix_rank(c, tol=1e-10 * np.abs(c).max()))


def _icc(sigma: float) -> float:
    s2 = sigma**2
    return s2 / (s2 + math.pi**2 / 3)


def model_card(
    model: AttainmentModel,
    cv: pd.DataFrame,
    scores: pd.DataFrame,
    fixed: AttainmentModel,
    clustered: AttainmentModel,
    quadrature: AttainmentModel,
) -> str:
    """The model card (Markdown).

    ``fixed`` is the ordinal logit without random intercept and with the HC0 covariance (the
    previous reference model), ``clustered`` the same with a cluster-robust covariance,
    ``quadrature`` the reference model refitted with adaptive quadrature; ``scores`` comes from
    :func:`example_scores` with the labels ``"reference"``, ``"sigma known"`` (the reference
    model through :func:`sigma_known`) and ``"fixed"``.
    """
    t = model.training
    reg = model.regression
    summary = model.summary()
    coefs = summary[summary["kind"] == "coef"]
    fixed_se = fixed.summary().set_index("term")["se"]
    counts = ", ".join(f"{k}: {v}" for k, v in t["outcome_counts"].items())
    k = len(reg.cov_)
    rank = _rank(reg.cov_)
    k_cl, rank_cl = len(clustered.regression.cov_), _rank(clustered.regression.cov_)
    lr = reg.test_random_effect()
    s_low, s_high = (float(v) for v in reg.sigma_ci_)
    shrink = math.sqrt(1 + 0.35 * reg.sigma_**2)
    quad = quadrature.regression
    mean = cv.iloc[-1]
    driver_rows = "\n".join(
        f"| `{r.term}` | {_fmt(r.coef)} | {_fmt(r.se)} | {_fmt(fixed_se[r.term])} | "
        f"{_fmt(r.odds_ratio, 2)} | {_fmt(r.ci_low)} to {_fmt(r.ci_high)} |"
        for r in coefs.itertuples(index=False)
    )
    thr = ", ".join(f"{k} = {_fmt(v)}" for k, v in reg.thresholds_.items())
    fold_rows = "\n".join(
        f"| {r.fold} | {r.n_test} | {_fmt(r.log_loss)} | {_fmt(r.fixed_log_loss)} | "
        f"{_fmt(r.baseline_log_loss)} | {_fmt(r.accuracy)} | {_fmt(r.quadratic_kappa)} |"
        for r in cv.itertuples(index=False)
    )
    by = scores.set_index(["plan", "model"])

    def cell(plan: str, which: str) -> str:
        r = by.loc[(plan, which)]
        return f"{_fmt(r.probability, 2)} ({_fmt(r.low, 2)} to {_fmt(r.high, 2)})"

    plans = list(dict.fromkeys(scores["plan"]))
    score_rows = "\n".join(
        f"| `{p}` | {cell(p, 'reference')} | {cell(p, 'sigma known')} | {cell(p, 'fixed')} |"
        for p in plans
    )
    first = plans[0]
    ranges = t["feature_ranges"]
    range_rows = "\n".join(f"| `{k}` | {v[0]:g} | {v[1]:g} |" for k, v in ranges.items())
    re_modes = reg.random_effects_["mode"]
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
- Model: cumulative logit (proportional odds) with a **random intercept per CoP**,
  `P(Y_ij <= k | u_j) = F(theta_k - x_ij'beta - u_j)` with `u_j ~ N(0, sigma^2)` for CoP `j`
  (`copfactors.MixedOrdinalRegression`, as R's `ordinal::clmm`; see the random-intercept model
  page, `docs/mixed-model.md`). Fitted by maximum likelihood, the integral over each CoP's
  intercept by the Laplace approximation:
  `fit_attainment_model(survey, random_intercept=True, n_quad={N_QUAD},
  builder=CoPFeatureBuilder(exclude=["sponsor"]))`. Respondents of one CoP share its intercept,
  so the model accounts for the correlation of their answers.
- Covariance: model-based, the inverse Hessian of the marginal likelihood (central
  differences of its exact gradient), over thresholds, coefficients and `log(sigma)`: rank
  {rank} of {k}. The model without random intercept would need a cluster-robust covariance
  for that correlation, and over 7 CoPs it has rank {rank_cl} of {k_cl}: score intervals drawn
  from it would vary in {rank_cl} directions only and look more precise than they are.
- Drivers: `CoPFeatureBuilder(exclude=["sponsor"])`, missing values dropped. The sponsor is
  left out because in the example survey the only CoP sponsored by a professional association
  is also the only one with a dedicated steward: the two columns are identical and cannot be
  separated.
- Thresholds: {thr}.

**The coefficients are conditional** (subject-specific): the effect of a driver between
members of the same CoP. Population-averaged effects, which the model's marginal
probabilities follow, are smaller by a factor of about `sqrt(1 + 0.35 sigma^2)` =
{_fmt(shrink)}. The standard errors are the model-based ones; the next column gives those of
the same model without random intercept with the HC0 robust covariance (the previous reference
model), for comparison.

| feature | coef | se | se (no random intercept, HC0) | odds ratio | 95% CI |
|---|---:|---:|---:|---:|---:|
{driver_rows}

### Between-CoP variation

- **sigma** (SD of the CoP intercepts on the latent scale) = **{_fmt(reg.sigma_)}**,
  SE {_fmt(reg.sigma_se_)}, 95% interval **{_fmt(s_low)} to {_fmt(s_high, 1)}** (Wald on the
  log scale).
- **ICC** (share of the latent variance between CoPs, `sigma^2 / (sigma^2 + pi^2/3)`) =
  {_fmt(reg.icc_)}; over sigma's interval it runs from {_fmt(_icc(s_low))} to
  {_fmt(_icc(s_high))}.
- **Likelihood-ratio test of sigma = 0** against the model without random intercept
  (boundary-corrected, a 50:50 mixture of chi-square(0) and chi-square(1)): chi2 =
  {_fmt(lr["statistic"])}, p = {_fmt(lr["p"])}.
- CoP modes (conditional modes of the 7 intercepts) range from {_fmt(re_modes.min())} to
  {_fmt(re_modes.max())}.

Plainly: **7 CoPs cannot pin down the between-CoP variance.** The data are consistent with
CoPs that hardly differ beyond their drivers (sigma near 0) and with CoPs that differ far more
than any driver's effect (sigma up to about {_fmt(s_high, 0)}), and the test cannot tell sigma from
zero. The estimate is kept rather than set to zero, because a score for a new CoP has to carry
that uncertainty.

Log-likelihood {_fmt(reg.loglik_)} (without random intercept
{_fmt(reg.fixed_.loglik_)}), AIC {_fmt(reg.aic_, 1)}, converged in {reg.n_iter_} iterations.
The Laplace approximation is close here: with {N_QUAD_CHECK}-node adaptive Gauss-Hermite
quadrature sigma is {_fmt(quad.sigma_)} and the log-likelihood {_fmt(quad.loglik_)}.

## Scores of a new CoP

A planned CoP is a new CoP, whose own intercept is unknown. `copfactors.score` with this model
gives the **marginal** probability for its members: the intercept is integrated over
`N(0, sigma^2)`. Its interval draws the thresholds, the coefficients and `log(sigma)` from
their joint normal distribution, so it **includes the between-CoP variance and the
uncertainty of sigma**: draws with a large sigma spread a new CoP's intercept widely, which
pulls its marginal probability away from 0 and 1. It is an interval for the
population-averaged probability, not a prediction interval for the planned CoP's own
probability, which would be wider still.

The example plans (`docs/examples/`), probability of attainment (level 4 or more) and its 90%
interval ({N_DRAWS} draws, seed {DRAW_SEED}, as in `docs/scoring.md`); the previous reference
model is the ordinal logit without random intercept and with the HC0 covariance:

| plan | this model | this model, sigma known | previous reference model |
|---|---:|---:|---:|
{score_rows}

The point estimates barely move; the intervals widen, most for the plan that scores high
(`{first}`): its lower bound falls from {_fmt(by.loc[(first, "fixed")].low, 2)} to
{_fmt(by.loc[(first, "reference")].low, 2)}. Most of that is the uncertainty of sigma: with
sigma treated as known at its estimate (the other parameters' covariance conditioned on it;
shown only to take the interval apart) the lower bound would be
{_fmt(by.loc[(first, "sigma known")].low, 2)}. These wider intervals are the honest ones for a
new CoP with 7 CoPs behind the model.

## Performance

{N_FOLDS}-fold cross-validation stratified by attainment level (seed {CV_SEED}); each fold
refits the feature builder and the random-intercept model on the other folds and predicts the
held-out respondents marginally (their CoP's intercept is not used), as a score does. The
"fixed" column refits the ordinal logit without random intercept on the same folds; the
baseline predicts the training folds' level frequencies for everyone.

| fold | n test | log-loss | log-loss, fixed | baseline log-loss | accuracy | quadratic kappa |
|---|---:|---:|---:|---:|---:|---:|
{fold_rows}

Mean cross-validated log-loss {_fmt(mean.log_loss)} against {_fmt(mean.fixed_log_loss)}
without random intercept and {_fmt(mean.baseline_log_loss)} for the baseline; accuracy
{_fmt(mean.accuracy)}; quadratic weighted kappa {_fmt(mean.quadratic_kappa)}. **The folds
split respondents, not CoPs**: every test respondent's CoP, and so its CoP-level drivers
(steward, leader changes), is seen in training. Leaving whole CoPs out would be the test of a
new CoP, but with 7 CoPs a held-out CoP can be the only one with its steward type (one CoP
has a dedicated steward), whose effect its training folds could not estimate. These
figures are therefore optimistic for a new CoP, and they measure how well the model recovers
the simulation, not the world.

## Intended use

- Illustrating `copfactors.score` and `copfactors score`: the probability that a planned CoP's
  objectives will be attained, its uncertainty, risk flags and levers.
- A template: the same call on your own survey
  (`copfactors.fit_attainment_model(survey, random_intercept=True)`) gives a model for your
  context; with more CoPs, sigma and the CoP-level effects are estimated far better.

Not for decisions about real CoPs or people: the data are simulated, and the simulation's
effects were set from the paper's qualitative conclusions.

## Limitations

- **Simulated training data.** The effects are those of the generating model plus sampling
  noise; the coefficients of {t["n"]} respondents are large and uncertain (for example the
  commitment and voluntary effects exceed the generating model's).
- **7 CoPs: sigma is barely identified.** Its 95% interval runs from {_fmt(s_low)} to
  {_fmt(s_high, 1)} and the likelihood-ratio test of sigma = 0 has p = {_fmt(lr["p"], 2)}. The
  score intervals are wide mostly for that reason (see the scores above); only more CoPs, not
  more respondents per CoP, would narrow it much.
- **CoP-level effects rest on 7 CoPs.** Steward type and leader changes vary only between
  CoPs, so their effects are estimated from 7 communities, against which the CoPs' own
  intercepts compete; their standard errors are larger than under the HC0 covariance (for
  example `steward_dedicated` {_fmt(coefs.set_index("term").loc["steward_dedicated", "se"])}
  against {_fmt(fixed_se["steward_dedicated"])}).
- **Conditional coefficients.** The table's effects are within a CoP; the marginal
  probabilities of a score are population-averaged, flatter by the factor above.
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
    fixed = fit_fixed("robust")
    clustered = fit_fixed("cluster")
    quadrature = cf.fit_attainment_model(
        cf.load_example_survey(), random_intercept=True, n_quad=N_QUAD_CHECK, builder=_builder()
    )
    cv = cross_validate()
    scores = example_scores({"reference": model, "sigma known": sigma_known(model), "fixed": fixed})
    paths = [
        root / "models" / f"{NAME}.json",
        root / "src" / "copfactors" / "data" / f"{NAME}.json",
    ]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        cf.save_model(model, path, overwrite=True, created=CREATED)
    card = root / "models" / f"{NAME}.md"
    tmp = card.with_name(card.name + ".tmp")
    text = model_card(model, cv, scores, fixed, clustered, quadrature)
    tmp.write_bytes(text.encode("utf-8"))
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
