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
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import chdtrc, expit

from copfactors._utils.parallel import single_threaded_blas
from copfactors.errors import ConvergenceWarning, PerfectSeparationWarning
from copfactors.models import _solver
from copfactors.models._core import build_design, detect_separation
from copfactors.models._links import get_link
from copfactors.models._validation import ModelInputError

# The tests take a fitted OrdinalRegression (typed Any: the estimator imports this module, and
# this module needs only the fitted attributes, so it does not import the estimator back).
FittedModel = Any

__all__ = ["brant_test", "detect_separation", "nominal_test"]


def nominal_test(model: FittedModel) -> pd.DataFrame:
    """Likelihood-ratio test of each location predictor made nominal (see the method)."""
    data = model._data
    link = get_link(model._fit_link)
    names = model._display_names(data.X.shape[1])
    J = len(model.thresholds_)
    K = J + 1
    n_params = len(model.params_)
    rows = []
    for j in model._loc_idx:
        nominal = [*model._nominal_idx, j]
        loc = [i for i in model._loc_idx if i != j]
        design = build_design(data, loc, nominal)
        # start at this model's fit: nominal effects -beta_j at every cut reproduce it exactly
        beta = model.coef_
        start = np.concatenate(
            [
                model.thresholds_.to_numpy(),
                model.nominal_coef_.to_numpy().T.ravel(),
                np.full(J, -beta[names[j]]),
                beta[[names[i] for i in loc]].to_numpy(),
            ]
        )
        with single_threaded_blas():
            res = _solver.newton(
                design, link, start, max_iter=int(model.max_iter), tol=float(model.tol)
            )
        if not res.converged:
            warnings.warn(
                f"nominal_test: the refit with {names[j]!r} nominal did not converge "
                f"({res.message})",
                ConvergenceWarning,
                stacklevel=3,
            )
        df = K - 2
        stat = 2.0 * (res.loglik - model.loglik_)
        rows.append(
            {
                "term": names[j],
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
