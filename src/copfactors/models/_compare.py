"""Comparing fitted cumulative link models: nested likelihood-ratio tests and per-term tests.

:func:`lr_test` is R's ``anova(small, large)`` for two fitted models (a fixed model inside a
mixed one is the boundary test of ``sigma = 0``); :func:`anova` tests each term (a group of
columns, such as the dummies of one factor) as ``car::Anova(fit, type = "II")`` (likelihood
ratio, by refitting) or with a joint Wald test of the term's coefficients.

Examples
--------
>>> import numpy as np
>>> import pandas as pd
>>> from copfactors.models import OrdinalRegression, anova, lr_test
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame(rng.normal(size=(300, 2)), columns=["a", "b"])
>>> y = np.digitize(X.a + rng.logistic(size=300), [-1.0, 1.0])
>>> small = OrdinalRegression().fit(X[["a"]], y)
>>> large = OrdinalRegression().fit(X, y)
>>> int(lr_test(small, large)["df"])
1
>>> anova(large, X, y)["term"].tolist()
['a', 'b']
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import chdtrc

from copfactors.errors import ConvergenceWarning, CopFactorsError
from copfactors.models._diagnostics import model_columns as _columns
from copfactors.models._diagnostics import resolve_terms
from copfactors.models._validation import ModelInputError, ModelNotFittedError

# Fitted OrdinalRegression or MixedOrdinalRegression (typed Any: only fitted attributes are used).
FittedModel = Any

__all__ = ["anova", "lr_test"]

_TESTS = ("LR", "Wald")


def _check_fitted(model: FittedModel, what: str) -> None:
    if not hasattr(model, "loglik_") or not hasattr(model, "params_"):
        raise ModelNotFittedError(
            f"{what} is not a fitted OrdinalRegression or MixedOrdinalRegression "
            f"(got {type(model).__name__}); fit it first"
        )


def _is_mixed(model: FittedModel) -> bool:
    return hasattr(model, "sigma_")


def _fixed(model: FittedModel) -> FittedModel:
    """The OrdinalRegression holding the training data (a mixed model's fixed-effects fit)."""
    return model.fixed_ if _is_mixed(model) else model


def _weights(model: FittedModel) -> np.ndarray:
    data = _fixed(model)._data
    n = data.X.shape[0]
    return np.ones(n) if data.w is None else np.asarray(data.w, dtype=float)


def _refuse_probability(model: FittedModel, what: str) -> None:
    """Likelihood-ratio tests need a likelihood: refuse fits with probability (survey) weights."""
    if getattr(_fixed(model), "_fit_weight_kind", "frequency") == "probability":
        raise ModelInputError(
            f"{what} is not available for a fit with probability (survey) weights: it is a "
            "likelihood-ratio test, and a weighted pseudo-log-likelihood is no likelihood; use "
            "anova(model, test='Wald') with the design-based covariance"
        )


def _check_nested(smaller: FittedModel, larger: FittedModel) -> None:
    """Refuse two models that are not fitted to the same rows or not nested, naming why."""
    if not np.isclose(smaller.nobs_, larger.nobs_, rtol=1e-12, atol=0):
        raise ModelInputError(
            f"lr_test: the models are fitted to different rows: nobs_ {smaller.nobs_:g} "
            f"(smaller) and {larger.nobs_:g} (larger); refit both on the same data"
        )
    cs, cl = np.asarray(smaller.classes_), np.asarray(larger.classes_)
    if cs.shape != cl.shape or not np.array_equal(cs, cl):
        raise ModelInputError(
            f"lr_test: the outcome levels differ: {cs.tolist()!r} (smaller) and "
            f"{cl.tolist()!r} (larger); refit both on the same outcome"
        )
    try:
        starts_s, starts_l = _fixed(smaller)._data.starts, _fixed(larger)._data.starts
        ws, wl = _weights(smaller), _weights(larger)
    except CopFactorsError:
        # a model loaded from a file holds no rows: only nobs_ and the levels can be checked
        starts_s = starts_l = ws = wl = None
    if starts_s is not None and not np.array_equal(starts_s, starts_l):
        raise ModelInputError(
            "lr_test: the models are fitted to different rows: the numbers of rows per outcome "
            f"level differ ({np.diff(starts_s).tolist()} and {np.diff(starts_l).tolist()})"
        )
    if smaller._fit_link != larger._fit_link:
        raise ModelInputError(
            f"lr_test: the links differ ({smaller._fit_link!r} and {larger._fit_link!r}); "
            "models with different links are not nested"
        )
    if (
        ws is not None
        and wl is not None
        and (ws.shape != wl.shape or not np.allclose(ws, wl, rtol=1e-12, atol=0))
    ):
        raise ModelInputError(
            "lr_test: the models were fitted with different sample_weight; refit both with the "
            "same weights"
        )
    loc_s, nom_s = _columns(smaller)
    loc_l, nom_l = _columns(larger)
    missing = [c for c in [*loc_s, *nom_s] if c not in [*loc_l, *nom_l]]
    if missing:
        raise ModelInputError(
            f"lr_test: column(s) {missing!r} of the smaller model are not in the larger model "
            f"(columns {[*loc_l, *nom_l]!r}); the models are not nested"
        )
    loose = [c for c in nom_s if c not in nom_l]
    if loose:
        raise ModelInputError(
            f"lr_test: column(s) {loose!r} are nominal in the smaller model but not in the "
            "larger one; the models are not nested"
        )


def lr_test(smaller: FittedModel, larger: FittedModel) -> pd.Series:
    """Likelihood-ratio test of a fitted model against a larger one it is nested in.

    As R's ``anova(clm_small, clm_large)``: the statistic is
    ``2 (loglik_larger - loglik_smaller)``, referred to a chi-square with ``df`` the difference
    in the number of parameters. The smaller model's columns (by name) must be columns of the
    larger one, and a column nominal in the smaller model must be nominal in the larger (a
    location column of the smaller model may be nominal in the larger: that is
    :func:`nominal_test`'s comparison). Both must be fitted to the same rows, outcome levels,
    link and weights.

    A fixed :class:`OrdinalRegression` inside a :class:`MixedOrdinalRegression` tests
    ``sigma = 0`` on the edge of the parameter space: ``p`` is then from the 50:50 mixture of
    chi-square(``df - 1``) and chi-square(``df``) (Self and Liang 1987), which with the same
    fixed part is :meth:`MixedOrdinalRegression.test_random_effect`. (R's ``anova(clm, clmm)``
    uses the plain chi-square(``df``), whose ``p`` is twice too large.) Two mixed models must
    have the same groups and quadrature.

    Parameters
    ----------
    smaller, larger : OrdinalRegression or MixedOrdinalRegression
        Fitted models, the first nested in the second.

    Returns
    -------
    pandas.Series
        ``statistic``, ``df``, ``p``, ``loglik_smaller``, ``loglik_larger`` and ``boundary``
        (whether the mixture reference distribution was used).

    Raises
    ------
    ModelInputError
        When the models are not nested or not fitted to the same data, naming what differs.

    Examples
    --------
    >>> import numpy as np
    >>> from copfactors.models import OrdinalRegression, lr_test
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 2))
    >>> y = np.digitize(x[:, 0] + rng.logistic(size=300), [-1.0, 1.0])
    >>> small = OrdinalRegression().fit(x[:, :1], y)
    >>> test = lr_test(small, OrdinalRegression().fit(x, y))
    >>> int(test["df"]), bool(test["p"] > 0.01)
    (1, True)
    """
    _check_fitted(smaller, "smaller")
    _check_fitted(larger, "larger")
    _refuse_probability(smaller, "lr_test")
    _refuse_probability(larger, "lr_test")
    mixed_s, mixed_l = _is_mixed(smaller), _is_mixed(larger)
    if mixed_s and not mixed_l:
        raise ModelInputError(
            "lr_test: the smaller model is mixed and the larger is not; a fixed model is nested "
            "in a mixed one, not the reverse (swap the arguments?)"
        )
    if mixed_s and mixed_l:
        if int(smaller.n_quad) != int(larger.n_quad):
            raise ModelInputError(
                f"lr_test: the mixed models use different quadrature (n_quad {smaller.n_quad} "
                f"and {larger.n_quad}); their log-likelihoods are not comparable"
            )
        gs, gl = smaller.random_effects_.index, larger.random_effects_.index
        if not gs.equals(gl):
            raise ModelInputError("lr_test: the mixed models were fitted with different groups")
    df = len(larger.params_) - len(smaller.params_)
    if df < 0:
        raise ModelInputError(
            f"lr_test: the larger model has {len(larger.params_)} parameters and the smaller "
            f"{len(smaller.params_)}; the smaller model comes first (are the arguments swapped?)"
        )
    _check_nested(smaller, larger)
    if df == 0:
        raise ModelInputError(
            f"lr_test: the larger model has {len(larger.params_)} parameters and the smaller "
            f"{len(smaller.params_)}; the larger must have more"
        )
    stat = max(2.0 * (larger.loglik_ - smaller.loglik_), 0.0)
    boundary = mixed_l and not mixed_s
    if boundary:
        # sigma = 0 is on the boundary: 50:50 mixture of chi2(df - 1) and chi2(df)
        lower = (0.0 if stat > 0 else 1.0) if df == 1 else float(chdtrc(df - 1, stat))
        p = 0.5 * lower + 0.5 * float(chdtrc(df, stat))
    else:
        p = float(chdtrc(df, stat))
    return pd.Series(
        {
            "statistic": stat,
            "df": int(df),
            "p": p,
            "loglik_smaller": float(smaller.loglik_),
            "loglik_larger": float(larger.loglik_),
            "boundary": bool(boundary),
        },
        name="lr_test",
        dtype=object,
    )


# ------------------------------------------------------------------------------ per-term tests
def _factors(term: str) -> frozenset[str]:
    return frozenset(term.split(":"))


def _param_names(model: FittedModel, cols: list[str]) -> list[str]:
    """Names in params_ of every parameter of the columns (location and nominal effects)."""
    loc, nom = _columns(model)
    thr = list(model.thresholds_.index)
    names = [c for c in cols if c in loc]
    names += [f"{t}.{c}" for c in cols if c in nom for t in thr]
    return names


def _wald(model: FittedModel, cols: list[str]) -> tuple[float, int]:
    names = _param_names(model, cols)
    b = model.params_[names].to_numpy(dtype=float)
    V = model.cov_.loc[names, names].to_numpy(dtype=float)
    try:
        stat = float(b @ np.linalg.solve(V, b))
    except np.linalg.LinAlgError as err:
        raise ModelInputError(
            f"anova: the covariance of the coefficients of {cols!r} is singular; the Wald test "
            "cannot be computed (use test='LR')"
        ) from err
    return stat, len(names)


def _frame(X: Any, model: FittedModel) -> pd.DataFrame:
    names = _fixed(model)._display_names(int(model.n_features_in_))
    if isinstance(X, pd.DataFrame):
        missing = [c for c in names if c not in [str(k) for k in X.columns]]
        if missing:
            raise ModelInputError(
                f"anova: X lacks the model's column(s) {missing!r}; pass the X the model was "
                "fitted on"
            )
        X = X.copy()
        X.columns = [str(c) for c in X.columns]
        return X.loc[:, names]
    arr = np.asarray(X, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != len(names):
        raise ModelInputError(
            f"anova: X must have the model's {len(names)} columns, got shape {arr.shape}"
        )
    return pd.DataFrame(arr, columns=names)


def _refit_loglik(
    model: FittedModel, X: pd.DataFrame, y: Any, sample_weight: Any, drop: list[str]
) -> tuple[float, int]:
    """Log-likelihood and number of parameters of the model refitted without ``drop``."""
    keep = [c for c in X.columns if c not in drop]
    _, nom = _columns(model)
    params = model.get_params()
    params["nominal"] = [c for c in nom if c in keep] or None
    params["cov_type"] = "nonrobust"
    J = len(model.thresholds_)
    if not keep:
        # thresholds only: the null model, whose log-likelihood the model already holds
        return float(model.loglik_null_), J
    fit = type(model)(**params).fit(X[keep], y, sample_weight=sample_weight)
    if not fit.converged_:
        warnings.warn(
            f"anova: the refit without {drop!r} did not converge; its test is unreliable",
            ConvergenceWarning,
            stacklevel=4,
        )
    return float(fit.loglik_), len(fit.params_)


def anova(
    model: FittedModel,
    X: Any = None,
    y: Any = None,
    terms: Mapping[str, Any] | None = None,
    test: str = "LR",
    sample_weight: Any = None,
) -> pd.DataFrame:
    """Type II tests of each term of a fitted model, as R's ``car::Anova(fit, type = "II")``.

    A term is a group of columns (the dummies of one factor, say). ``test="LR"`` refits the
    model without the term and compares log-likelihoods (R's ``drop1(clm_fit, test = "Chi")``
    for main effects, ``car::Anova(polr_fit, type = "II")``); Type II respects marginality: a
    term is tested in the model without the terms containing it (``"a"`` is tested without
    ``"a:b"``, the names split on ``":"``), both fits leaving them out. ``test="Wald"`` is the
    joint chi-square of the term's coefficients (and nominal effects) with the model's
    covariance ``cov_`` (``car::linearHypothesis``); for a term contained in another (an
    interaction) it is the test given that interaction, not Type II, and a note says so.

    Parameters
    ----------
    model : OrdinalRegression (or MixedOrdinalRegression for ``test="Wald"``)
        A fitted model.
    X, y : the data the model was fitted on
        Needed for ``test="LR"`` (the refits); checked by refitting the full model.
    terms : dict of str to list of str, optional
        Term name -> its column names. Default: ``model.terms_`` when set (models fitted from
        a formula), else one term per column.
    test : {"LR", "Wald"}, default "LR"
    sample_weight : array-like, optional
        The weights the model was fitted with (for the refits).

    Returns
    -------
    pandas.DataFrame
        Columns ``term``, ``df``, ``statistic`` and ``p``; ``attrs["test"]`` and
        ``attrs["notes"]``.

    Raises
    ------
    ModelInputError
        On an unknown test or column, a term without columns, missing ``X``/``y`` for
        ``test="LR"``, or data that do not reproduce the model's fit.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from copfactors.models import OrdinalRegression, anova
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=300), "b_mid": rng.binomial(1, 0.3, 300),
    ...                   "b_high": rng.binomial(1, 0.3, 300)})
    >>> y = np.digitize(X["a"] + rng.logistic(size=300), [-1.0, 1.0])
    >>> model = OrdinalRegression().fit(X, y)
    >>> table = anova(model, X, y, terms={"a": ["a"], "b": ["b_mid", "b_high"]})
    >>> table["term"].tolist(), table["df"].tolist()
    (['a', 'b'], [1, 2])
    """
    _check_fitted(model, "model")
    if test not in _TESTS:
        raise ModelInputError(f"anova: test must be one of {list(_TESTS)}, got {test!r}")
    resolved = resolve_terms(model, terms, "anova")
    notes: list[str] = []
    containers = {
        t: [u for u in resolved if u != t and _factors(t) < _factors(u)] for t in resolved
    }
    rows = []
    if test == "Wald":
        for t, cols in resolved.items():
            stat, df = _wald(model, cols)
            rows.append({"term": t, "df": df, "statistic": stat, "p": float(chdtrc(df, stat))})
        nested = [t for t, c in containers.items() if c]
        if nested:
            notes.append(
                f"Wald tests of {nested!r} are given the terms containing them (not Type II); "
                "use test='LR' for Type II tests respecting marginality"
            )
    else:
        if _is_mixed(model):
            raise ModelInputError(
                "anova: test='LR' refits the model and is available for OrdinalRegression; "
                "use test='Wald' for a MixedOrdinalRegression, or lr_test() on two fits"
            )
        _refuse_probability(model, "anova(test='LR')")
        if X is None or y is None:
            raise ModelInputError(
                "anova: test='LR' refits the model without each term: pass the X and y it was "
                "fitted on (or use test='Wald')"
            )
        Xf = _frame(X, model)
        full, k_full = _refit_loglik(model, Xf, y, sample_weight, [])
        if not np.isclose(full, model.loglik_, rtol=1e-7, atol=1e-6):
            raise ModelInputError(
                f"anova: refitting the model on the X, y (and sample_weight) given gives "
                f"log-likelihood {full:.6f}, not the model's {model.loglik_:.6f}: pass the data "
                "and weights the model was fitted on"
            )
        cache: dict[frozenset[str], tuple[float, int]] = {frozenset(): (model.loglik_, k_full)}

        def fit_without(names: list[str]) -> tuple[float, int]:
            cols = [c for t in names for c in resolved[t]]
            key = frozenset(cols)
            if key not in cache:
                cache[key] = _refit_loglik(model, Xf, y, sample_weight, cols)
            return cache[key]

        for t in resolved:
            base = containers[t]
            ll_ref, k_ref = fit_without(base)
            ll_red, k_red = fit_without([*base, t])
            stat = max(2.0 * (ll_ref - ll_red), 0.0)
            df = k_ref - k_red
            p = float(chdtrc(df, stat)) if df > 0 else float("nan")
            rows.append({"term": t, "df": int(df), "statistic": stat, "p": p})
    out = pd.DataFrame(rows, columns=["term", "df", "statistic", "p"])
    out.attrs["test"] = test
    out.attrs["notes"] = notes
    return out
