"""Diagnostics of cumulative link fits: separation, nominal (LR) tests and Brant's test.

Examples
--------
>>> import numpy as np
>>> from copfactors.models import OrdinalRegression
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(300, 2))
>>> y = np.digitize(x.sum(axis=1) + rng.logistic(size=300), [-1.0, 1.0])
>>> model = OrdinalRegression().fit(x, y)
>>> model.brant_test().columns.tolist()
['term', 'chi2', 'df', 'p']
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import chdtrc, expit

from copfactors._utils.parallel import single_threaded_blas
from copfactors.errors import ConvergenceWarning, PerfectSeparationWarning
from copfactors.models import _solver
from copfactors.models._core import Core, build_design, separation_of
from copfactors.models._links import get_link
from copfactors.models._validation import ModelInputError, level_ranges

# The tests take a fitted OrdinalRegression (typed Any: the estimator imports this module, and
# this module needs only the fitted attributes, so it does not import the estimator back).
FittedModel = Any

__all__ = ["brant_test", "model_columns", "nominal_test", "resolve_terms"]


def model_columns(model: FittedModel) -> tuple[list[str], list[str]]:
    """(location columns, nominal columns) of a fitted model, by name."""
    nominal = getattr(model, "nominal_coef_", None)
    nominal_names = [] if nominal is None else [str(c) for c in nominal.columns]
    return [str(c) for c in model.coef_.index], nominal_names


def resolve_terms(
    model: FittedModel, terms: Mapping[str, Any] | None, what: str
) -> dict[str, list[str]]:
    """Terms as ``{term: [column, ...]}``: given, else ``model.terms_``, else one per column.

    Every column must be a predictor of the model; a term may not be empty. A model fitted from
    a formula sets ``terms_`` (term name -> its columns, e.g. a factor -> its dummies).
    """
    loc, nom = model_columns(model)
    columns = [*loc, *nom]
    source = "terms"
    if terms is None:
        terms = getattr(model, "terms_", None)
        source = "model.terms_"
    if terms is None:
        fixed = getattr(model, "fixed_", model)
        order = fixed._display_names(int(model.n_features_in_))
        return {c: [c] for c in order if c in columns}
    if not isinstance(terms, Mapping):
        raise ModelInputError(
            f"{what}: {source} must be a dict of term name -> list of column names, got "
            f"{type(terms).__name__}"
        )
    out: dict[str, list[str]] = {}
    for name, cols in terms.items():
        cols = [cols] if isinstance(cols, str) else list(cols)
        if not cols:
            raise ModelInputError(f"{what}: term {name!r} of {source} has no columns")
        unknown = [c for c in cols if c not in columns]
        if unknown:
            raise ModelInputError(
                f"{what}: column(s) {unknown!r} of term {name!r} ({source}) are not predictors "
                f"of the model (columns: {columns!r})"
            )
        out[str(name)] = [str(c) for c in cols]
    return out


def _weighted_sd(X: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    w = np.ones(X.shape[0]) if w is None else w
    mean = (w @ X) / w.sum()
    return np.sqrt(np.maximum((w @ (X - mean) ** 2) / w.sum(), 0.0))


def nominal_test(
    model: FittedModel,
    terms: Mapping[str, Any] | None = None,
    *,
    per_column: bool = False,
) -> pd.DataFrame:
    """Likelihood-ratio test of each term made nominal, as R's ``ordinal::nominal_test``.

    Each term (a group of columns, e.g. the dummies of one factor) is refitted with all its
    location columns nominal (threshold-specific effects) and compared with the model; the
    refit has ``len(columns) * (K - 2)`` extra parameters, R's ``Df``. Terms are ``terms``
    (term -> column names), else ``model.terms_`` (set on models fitted from a formula), else
    one per column; ``per_column=True`` tests each column on its own whatever the terms.
    Terms whose columns are all nominal already are skipped, as in R.

    A refit that is (quasi-)separated (a nominal column separating the outcome levels at some
    cut, as ``temp`` in R's ``wine``) warns: its nominal effects diverge, the log-likelihood
    only approaches its supremum and the test is unreliable; so does a refit that did not
    converge.
    """
    if getattr(model, "_fit_weight_kind", "frequency") == "probability":
        raise ModelInputError(
            "nominal_test is not available for a fit with probability (survey) weights: it is "
            "a likelihood-ratio test, and a weighted pseudo-log-likelihood is no likelihood"
        )
    data = model._data
    link = get_link(model._fit_link)
    names = model._display_names(data.X.shape[1])
    if per_column:
        resolved = {names[j]: [names[j]] for j in model._loc_idx}
    else:
        resolved = resolve_terms(model, terms, "nominal_test")
    J = len(model.thresholds_)
    K = J + 1
    n_params = len(model.params_)
    beta = model.coef_
    sd: np.ndarray | None = None
    ranges: tuple[np.ndarray, np.ndarray] | None = None
    rows = []
    for term, cols in resolved.items():
        idx = [names.index(c) for c in cols if names.index(c) in model._loc_idx]
        if not idx:
            continue  # already nominal
        nominal = [*model._nominal_idx, *idx]
        loc = [i for i in model._loc_idx if i not in idx]
        design = build_design(data, loc, nominal)
        # start at this model's fit: nominal effects -beta_j at every cut reproduce it exactly
        start = np.concatenate(
            [
                model.thresholds_.to_numpy(),
                model.nominal_coef_.to_numpy().T.ravel(),
                *[np.full(J, -beta[names[j]]) for j in idx],
                beta[[names[i] for i in loc]].to_numpy(),
            ]
        )
        with single_threaded_blas():
            res = _solver.newton(
                design, link, start, max_iter=int(model.max_iter), tol=float(model.tol)
            )
        if not res.converged:
            warnings.warn(
                f"nominal_test: the refit with {term!r} nominal did not converge ({res.message})",
                ConvergenceWarning,
                stacklevel=3,
            )
        if ranges is None:
            ranges = level_ranges(data.X, data.starts)
            sd = _weighted_sd(data.X, data.w)
        refit = Core(data, design, res, sd, ranges, loc, nominal, None)
        flagged = separation_of(refit, link, names)[1]
        new = [f for f in flagged if f not in model.separation_]
        if new:
            warnings.warn(
                f"nominal_test: the refit with {term!r} nominal is (quasi-)completely separated "
                f"by {new!r}: the nominal effects diverge at a cut where the column separates "
                "the outcome levels, so the refit's log-likelihood only approaches its supremum "
                f"and the test of {term!r} is unreliable (R's nominal_test shows the same fit)",
                PerfectSeparationWarning,
                stacklevel=3,
            )
        df = len(idx) * (K - 2)
        stat = 2.0 * (res.loglik - model.loglik_)
        rows.append(
            {
                "term": term,
                "df": df,
                "loglik": res.loglik,
                "aic": -2.0 * res.loglik + 2.0 * (n_params + df),
                "lr_stat": stat,
                "p": float(chdtrc(df, max(stat, 0.0))) if df > 0 else float("nan"),
                "converged": bool(res.converged),
            }
        )
    columns = ["term", "df", "loglik", "aic", "lr_stat", "p", "converged"]
    return pd.DataFrame(rows, columns=columns)


def brant_test(model: FittedModel, *, symmetric: bool = False) -> pd.DataFrame:
    """Brant's test (see :func:`_brant_test`); a singular split is a copfactors error."""
    try:
        return _brant_test(model, symmetric=symmetric)
    except np.linalg.LinAlgError as err:
        raise ModelInputError(
            "brant_test: a matrix of the separate binary fits is singular (a predictor is "
            "constant or collinear within one of the binary splits of the outcome), so the "
            "test cannot be computed; use nominal_test() instead"
        ) from err


def _brant_test(model: FittedModel, *, symmetric: bool = False) -> pd.DataFrame:
    """Brant's Wald test of parallel slopes, following R's ``brant`` package (see the method).

    The ``K - 1`` binary logits ``1(Y > m)`` are fitted on ``[1, X]``; ``beta_m`` are their
    slopes. The covariance of ``(beta_1, ..., beta_{K-1})`` has diagonal blocks equal to each
    fit's covariance and off-diagonal blocks (Brant 1990, eq. 2.4) built from the fitted
    probabilities ``pi_m``:
    ``[(X'W_m X)^-1 X'W_ml X (X'W_l X)^-1]`` without the intercept, with
    ``W_m = diag(pi_m (1 - pi_m))`` and ``W_ml = diag(pi_l - pi_m pi_l)`` for ``m < l``.
    As in R's ``brant`` package (0.3-0), the block for ``(l, m)`` is the same matrix as the
    block for ``(m, l)``, not its transpose; ``symmetric=True`` uses the transpose, as in
    Brant's paper. Only the omnibus statistic is affected (each predictor's statistic uses the
    diagonal elements of the blocks), and only slightly.

    The statistic is ``(D b)' (D V D')^-1 (D b)`` with ``D`` contrasting ``beta_1`` with each
    later ``beta_m``; per predictor the same with its rows of ``D`` only.
    Frequency weights multiply the ``W`` matrices (the R package ignores weights).
    """
    if model._fit_link != "logit":
        raise ModelInputError(
            "brant_test is defined for the logit link (proportional odds), not "
            f"{model._fit_link!r}; use nominal_test() for a likelihood-ratio check of any link"
        )
    if model._nominal_idx:
        raise ModelInputError(
            "brant_test tests the proportional-odds model; this model has nominal effects "
            f"{list(model.nominal_coef_.columns)!r}. Fit it without nominal= first"
        )
    J = len(model.classes_)
    if J < 3:
        raise ModelInputError(
            "brant_test needs at least 3 outcome levels: with 2 there is a single binary model "
            "and nothing to compare"
        )
    data = model._data
    X, starts, w = data.X, data.starts, data.w
    n, p = X.shape
    names = list(model.coef_.index)
    link = get_link("logit")
    Xd = np.column_stack([np.ones(n), X])
    slopes = np.empty((J - 1, p))
    var_hat = []
    pi_hat = np.empty((J - 1, n))
    with single_threaded_blas():
        for m in range(1, J):
            # rows are sorted by level, so Y > m - 1 (0-based codes >= m) is the tail block
            design = _solver.Design(X, None, w, np.array([0, starts[m], n], dtype=np.int64))
            res = _solver.newton(
                design,
                link,
                _solver.start_values(design, link),
                max_iter=int(model.max_iter),
                tol=float(model.tol),
            )
            if not res.converged:
                level = model.classes_[m - 1 : m].tolist()[0]
                warnings.warn(
                    f"brant_test: the binary logit for Y > {level!r} did not converge "
                    f"({res.message}); the test is unreliable",
                    ConvergenceWarning,
                    stacklevel=3,
                )
            theta, beta = res.params[0], res.params[1:]
            slopes[m - 1] = beta
            cov, _ = _solver.covariance(res.info)
            var_hat.append(cov[1:, 1:])
            # glm's fitted P(Y > m): intercept -theta, slopes beta
            pi_hat[m - 1] = expit(X @ beta - theta)
            # R's glm warns "fitted probabilities numerically 0 or 1 occurred" here; the slopes
            # of a separated binary fit are arbitrary and so is the test
            extreme = np.minimum(pi_hat[m - 1], 1.0 - pi_hat[m - 1]) < 1e-8
            if extreme.any():
                level = model.classes_[m - 1 : m].tolist()[0]
                warnings.warn(
                    f"brant_test: the binary logit for Y > {level!r} has fitted probabilities "
                    f"numerically 0 or 1 in {int(extreme.sum())} rows (separation); the test "
                    "is unreliable",
                    PerfectSeparationWarning,
                    stacklevel=3,
                )

        def xwx(v: np.ndarray) -> np.ndarray:
            if w is not None:
                v = v * w
            return (Xd * v[:, None]).T @ Xd

        size = (J - 1) * p
        var_beta = np.empty((size, size))
        inv_w = [np.linalg.inv(xwx(pi * (1.0 - pi))) for pi in pi_hat]
        for m in range(J - 2):
            for el in range(m + 1, J - 1):
                w_ml = pi_hat[el] - pi_hat[m] * pi_hat[el]
                block = (inv_w[m] @ xwx(w_ml) @ inv_w[el])[1:, 1:]
                var_beta[m * p : (m + 1) * p, el * p : (el + 1) * p] = block
                var_beta[el * p : (el + 1) * p, m * p : (m + 1) * p] = (
                    block.T if symmetric else block
                )
        for m in range(J - 1):
            var_beta[m * p : (m + 1) * p, m * p : (m + 1) * p] = var_hat[m]

    beta_star = slopes.ravel()
    eye = np.eye(p)
    D = np.zeros(((J - 2) * p, size))
    for i in range(J - 2):
        D[i * p : (i + 1) * p, :p] = eye
        D[i * p : (i + 1) * p, (i + 1) * p : (i + 2) * p] = -eye

    def wald(Dm: np.ndarray, b: np.ndarray, V: np.ndarray) -> float:
        d = Dm @ b
        return float(d @ np.linalg.solve(Dm @ V @ Dm.T, d))

    rows = []
    stat = wald(D, beta_star, var_beta)
    df = (J - 2) * p
    rows.append({"term": "omnibus", "chi2": stat, "df": df, "p": float(chdtrc(df, stat))})
    for k in range(p):
        s = np.arange(k, size, p)
        Ds = D[:, s]
        Ds = Ds[np.any(Ds != 0, axis=1)]
        stat = wald(Ds, beta_star[s], var_beta[np.ix_(s, s)])
        rows.append({"term": names[k], "chi2": stat, "df": J - 2, "p": float(chdtrc(J - 2, stat))})
    return pd.DataFrame(rows, columns=["term", "chi2", "df", "p"])
