"""Your own model, R-style: cumulative link models from a formula (``Sat ~ Infl + Type``).

:func:`ordinal` fits an :class:`~copfactors.models.OrdinalRegression` (or, with one
``(1 | g)`` term, a :class:`~copfactors.models.MixedOrdinalRegression`) from a formula and a
DataFrame, as R's ``ordinal::clm(Sat ~ Infl + Type, data = d)`` does. The formula is read and
turned into a design matrix by `formulaic <https://matthewwardrop.github.io/formulaic/>`_ with
treatment contrasts, as R:

* the response (left of ``~``) is one column: an ordered Categorical keeps its order, integers
  are levels in numeric order (text without an order is refused);
* a pandas Categorical predictor keeps its category order, its first category is the
  reference (R's ``factor``); ``C(x, levels=["b", "a", "c"])`` sets another order;
* a text (or object) column becomes a factor whose levels are **sorted** (alphabetically), its
  first sorted level the reference; make it a Categorical to choose;
* ``a*b`` (main effects and interaction), ``a:b`` (interaction only), ``np.log(x)``,
  ``np.log1p(x)``, ``np.exp(x)``, ``np.sqrt(x)``, ``center(x)``, ``scale(x)``
  (``standardize(x)``), ``bs(x, df=3)`` and ``I(x ** 2)`` (arithmetic only) are understood;
* the intercept is not a column: the thresholds take its place (``- 1`` is refused).

The fitted model carries its design: ``formula_`` (the text), ``terms_`` (each term's label
and its design columns, e.g. ``"Infl" -> ["Infl[T.Medium]", "Infl[T.High]"]``),
``response_`` and ``group_column_``; the formulaic model spec (levels and the state of
``center``/``scale``) is kept privately, so :func:`design_matrix` and
:func:`predict_proba_frame` work on new *raw* rows (the original columns, levels as text).
:func:`copfactors.save_model` writes all of it as data, and :func:`copfactors.load_model`
rebuilds it.

Evaluating a formula evaluates Python expressions, so every formula is checked first (with
Python's :mod:`ast`, at fit time and again when a model file is loaded): it may only call
``C``, ``np.log``, ``np.log1p``, ``np.exp``, ``np.sqrt``, ``center``, ``scale``, ``standardize``,
``bs`` and ``I`` (the latter with arithmetic only), with literal keyword values; anything else is
refused naming the function.

Two-level outcomes give a logistic regression (``K = 2``): its one threshold is minus R's
``glm`` ``(Intercept)``, the coefficients are glm's.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from copfactors.formula import ordinal, predict_proba_frame
>>> rng = np.random.default_rng(0)
>>> d = pd.DataFrame({"x": rng.normal(size=300), "team": rng.choice(["b", "a"], 300)})
>>> latent = d.x + (d.team == "b") + rng.logistic(size=300)
>>> d["y"] = np.digitize(latent, [0.0, 1.5])
>>> m = ordinal("y ~ x + team", data=d)
>>> m.terms_
{'x': ['x'], 'team': ['team[T.b]']}
>>> predict_proba_frame(m, pd.DataFrame({"x": [0.0], "team": ["a"]})).columns.tolist()
[0, 1, 2]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from copfactors._utils.formulas import (
    ALLOWED_FUNCTIONS,
    check_formula,
    spec_from_state,
    spec_state,
)
from copfactors._utils.formulas import RANDOM_TERM as _RANDOM
from copfactors._utils.formulas import check_formula_columns as _check_columns
from copfactors._utils.formulas import check_frame as _check_frame
from copfactors._utils.formulas import check_levels as _check_levels
from copfactors._utils.formulas import materialize as _materialize
from copfactors._utils.formulas import plain_frame as _plain_frame
from copfactors._utils.formulas import unquote as _unquote
from copfactors.errors import ModelInputError, NotFittedError, ParameterError, ParameterTypeError
from copfactors.models import MixedOrdinalRegression, OrdinalRegression

__all__ = [
    "ALLOWED_FUNCTIONS",
    "check_formula",
    "design_matrix",
    "formula_state",
    "ordinal",
    "predict_proba_frame",
    "restore_formula",
]


# ---------------------------------------------------------------------------------------------
# reading and checking a formula
# ---------------------------------------------------------------------------------------------
class _Parsed:
    """A formula split into response, right-hand side and random-intercept column."""

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise ParameterTypeError(f"formula must be text, got {type(text).__name__}")
        self.text = text.strip()
        if self.text.count("~") != 1:
            raise ParameterError(
                f"formula {text!r} must have one '~' (response ~ predictors), "
                f"it has {self.text.count('~')}"
            )
        lhs, rhs = self.text.split("~")
        self.response = _unquote(lhs)
        if not self.response:
            raise ParameterError(f"formula {text!r} has no response left of '~'")
        if not re.fullmatch(r"[^\s()+*:~|]+|`[^`]+`", lhs.strip()):
            raise ParameterError(
                f"formula {text!r}: the response must be one column name, got {lhs.strip()!r}"
            )
        found = list(_RANDOM.finditer(rhs))
        if len(found) > 1:
            raise ParameterError(
                f"formula {text!r} has {len(found)} random-intercept terms; at most one "
                "(1 | group) is supported"
            )
        self.group: str | None = None
        if found:
            self.group = _unquote(found[0].group(1))
            rhs = rhs[: found[0].start()] + rhs[found[0].end() :]
        if "|" in rhs:
            raise ParameterError(
                f"formula {text!r}: only a random intercept '(1 | group)' is supported (no "
                "random slopes, no other '|')"
            )
        rhs = re.sub(r"\+\s*(?=\+)", "", rhs).strip()
        rhs = re.sub(r"^\+|\+$", "", rhs).strip()
        self.rhs = rhs or "1"
        check_formula(self.text)

    @property
    def fixed(self) -> str:
        return f"~ {self.rhs}"


# ---------------------------------------------------------------------------------------------
# the design
# ---------------------------------------------------------------------------------------------
def _is_formula_model(model: Any) -> bool:
    return getattr(model, "_formula_spec", None) is not None and hasattr(model, "formula_")


def design_matrix(model: Any, data: pd.DataFrame) -> pd.DataFrame:
    """The design matrix of new raw rows for a model fitted by :func:`ordinal`.

    Parameters
    ----------
    model : OrdinalRegression or MixedOrdinalRegression
        Fitted by :func:`ordinal` (or loaded from a file written for one).
    data : pandas.DataFrame
        Raw rows with the original columns (factor levels as text or categoricals); the
        response is not needed.

    Returns
    -------
    pandas.DataFrame
        One row per row of ``data`` (same index), the model's design columns.

    Raises
    ------
    copfactors.errors.ModelInputError
        A column is missing, a factor has a level the model was not fitted with (the message
        names the column and level), or a value is missing.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from copfactors.formula import design_matrix, ordinal
    >>> d = pd.DataFrame({"x": np.arange(12.0), "y": [0, 1, 2] * 4})
    >>> m = ordinal("y ~ center(x)", data=d)
    >>> design_matrix(m, pd.DataFrame({"x": [5.5]}))
       center(x)
    0        0.0
    """
    if not _is_formula_model(model):
        raise NotFittedError(
            f"the {type(model).__name__} was not fitted from a formula (copfactors.formula.ordinal)"
        )
    data = _check_frame(data, "data")
    parsed = _Parsed(model.formula_)
    names = (
        check_formula(parsed.text) - {parsed.response} - ({parsed.group} if parsed.group else set())
    )
    _check_columns(data, names, parsed.text)
    spec = model._formula_spec
    _check_levels(spec, data)
    frame = data.reset_index(drop=True)
    matrix = _materialize(spec, frame, parsed.text, na_action="raise")
    out = _plain_frame(matrix, parsed.text)
    expected = [str(c) for c in model.feature_names_in_]
    if list(out.columns) != expected:
        raise ModelInputError(
            f"the design of these rows has columns {list(out.columns)}, the model expects "
            f"{expected}"
        )
    out.index = data.index
    return out


def predict_proba_frame(model: Any, data: pd.DataFrame, groups: Any = None) -> pd.DataFrame:
    """Labelled outcome probabilities for new raw rows of a model fitted by :func:`ordinal`.

    ``model.predict_proba`` keeps scikit-learn's array contract (on design matrices); this is
    its labelled counterpart on raw rows.

    Parameters
    ----------
    model : OrdinalRegression or MixedOrdinalRegression
        Fitted by :func:`ordinal` (or loaded from its model file).
    data : pandas.DataFrame
        Raw rows with the original columns.
    groups : str or array-like, optional
        Random-intercept models only: the group of each row (a column name of ``data`` or
        labels) for predictions conditional on the training groups' modes; a group the model
        has not seen, or no ``groups``, gives the marginal prediction (a new group).

    Returns
    -------
    pandas.DataFrame
        One row per row of ``data`` (same index), one column per outcome level, lowest first.

    Raises
    ------
    copfactors.errors.ModelInputError
        As :func:`design_matrix`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from copfactors.formula import ordinal, predict_proba_frame
    >>> d = pd.DataFrame({"x": np.arange(12.0), "y": [0, 1, 2, 2, 1, 0] * 2})
    >>> p = predict_proba_frame(ordinal("y ~ x", data=d), pd.DataFrame({"x": [1.0, 2.0]}))
    >>> p.shape, bool(np.allclose(p.sum(axis=1), 1.0))
    ((2, 3), True)
    """
    X = design_matrix(model, data)
    if isinstance(model, MixedOrdinalRegression):
        if isinstance(groups, str):
            if groups not in data.columns:
                raise ModelInputError(f"groups column {groups!r} is not in the data")
            groups = data[groups].to_numpy()
        proba = model.predict_proba(X, groups=groups)
    else:
        if groups is not None:
            raise ParameterError("groups is for random-intercept models ((1 | g) formulas) only")
        proba = model.predict_proba(X)
    return pd.DataFrame(proba, index=data.index, columns=list(model.classes_))


# ---------------------------------------------------------------------------------------------
# fitting
# ---------------------------------------------------------------------------------------------
def _column_or_values(value: Any, data: pd.DataFrame, what: str) -> Any:
    if isinstance(value, str):
        if value not in data.columns:
            raise ModelInputError(f"{what} column {value!r} is not in the data")
        return data[value]
    if value is None:
        return None
    values = pd.Series(np.asarray(value), index=data.index)
    if len(values) != len(data):
        raise ModelInputError(f"{what} has {len(values)} values for {len(data)} rows")
    return values


def _terms(spec: Any) -> dict[str, list[str]]:
    return {str(s.term): [str(c) for c in s.columns] for s in spec.structure if str(s.term) != "1"}


def ordinal(
    formula: str,
    data: pd.DataFrame,
    *,
    link: str = "logit",
    weights: Any = None,
    cov_type: str = "nonrobust",
    groups: Any = None,
    nominal: Any = None,
    **params: Any,
) -> OrdinalRegression | MixedOrdinalRegression:
    """Fit a cumulative link model from an R-style formula (as ``ordinal::clm``).

    Parameters
    ----------
    formula : str
        ``"response ~ predictors"``; see the module docs for what is understood (factors,
        ``C(x, levels=[...])``, ``a*b``, ``a:b``, ``np.log``, ``center``, ``scale``...). Text
        columns become factors with **sorted** levels. One ``(1 | g)`` term makes it a
        random-intercept model with groups the column ``g``.
    data : pandas.DataFrame
        The rows. Rows with a missing value in any column the formula (or ``weights``) reads
        are left out.
    link : {"logit", "probit", "cloglog"}, default "logit"
    weights : str or array-like, optional
        Frequency weights: a column name (``weights="Freq"``) or one value per row.
    cov_type : {"nonrobust", "robust", "cluster"}, default "nonrobust"
        Covariance of the estimates (fixed-effects models only).
    groups : str or array-like, optional
        Cluster labels for ``cov_type="cluster"`` (a column name or values); not with
        ``(1 | g)``.
    nominal : str or list of str, optional
        Terms (labels of ``terms_``, e.g. ``"Infl"``) or design columns with nominal
        (threshold-specific) effects; fixed-effects models only.
    **params
        Further parameters of the estimator: ``alpha``, ``max_iter``, ``tol`` (and
        ``n_quad`` for a random-intercept model).

    Returns
    -------
    OrdinalRegression or MixedOrdinalRegression
        Fitted, with ``formula_``, ``terms_`` (term label -> design columns), ``response_``,
        ``group_column_`` (or None) and the design kept for :func:`design_matrix`,
        :func:`predict_proba_frame` and :func:`copfactors.save_model`. With two outcome
        levels this is a logistic regression whose threshold is minus glm's ``(Intercept)``.

    Raises
    ------
    copfactors.errors.ParameterError
        A formula that cannot be parsed, uses a function outside the allow-list, removes the
        intercept or has more than one ``(1 | g)`` term; a bad argument.
    copfactors.errors.ModelInputError
        A column the formula names is missing, or the data cannot be fitted (as
        :meth:`OrdinalRegression.fit`).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from copfactors.formula import ordinal
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"dose": rng.uniform(1, 10, 400),
    ...                   "arm": pd.Categorical(rng.choice(["placebo", "drug"], 400),
    ...                                         categories=["placebo", "drug"])})
    >>> latent = np.log(d.dose) + (d.arm == "drug") + rng.logistic(size=400)
    >>> d["y"] = np.digitize(latent, [0.5, 2.0])
    >>> m = ordinal("y ~ np.log(dose) * arm", data=d)
    >>> list(m.coef_.index)
    ['np.log(dose)', 'arm[T.drug]', 'np.log(dose):arm[T.drug]']
    """
    parsed = _Parsed(formula)
    data = _check_frame(data, "data")
    names = check_formula(parsed.text)
    _check_columns(data, names, parsed.text)
    if cov_type != "nonrobust" and parsed.group is not None:
        raise ParameterError(
            f"cov_type={cov_type!r} is for fixed-effects models; a (1 | g) model has "
            "cov_type 'nonrobust' only"
        )
    if groups is not None and parsed.group is not None:
        raise ParameterError(
            "groups is given and the formula has a (1 | g) term: give the groups one way"
        )
    if nominal is not None and parsed.group is not None:
        raise ParameterError("nominal effects are for fixed-effects models, not (1 | g) models")
    frame = data.reset_index(drop=True)
    w = _column_or_values(weights, frame, "weights")
    g = _column_or_values(groups, frame, "groups")
    keep = frame[sorted(names, key=str)].notna().all(axis=1)
    for extra in (w, g):
        if extra is not None:
            keep &= extra.notna().to_numpy()
    if not keep.all():
        frame = frame.loc[keep].reset_index(drop=True)
    matrix = _materialize(parsed.fixed, frame, parsed.text, na_action="raise")
    spec = matrix.model_spec
    X = _plain_frame(matrix, parsed.text, consume=True)
    del matrix  # the fit needs the plain design only
    terms = _terms(spec)
    y = frame[parsed.response]
    fit_kw: dict[str, Any] = {}
    if w is not None:
        fit_kw["sample_weight"] = w.loc[keep].to_numpy(dtype=np.float64)
    if parsed.group is not None:
        model: Any = MixedOrdinalRegression(link=link, **params)
        model.fit(X, y, groups=frame[parsed.group].to_numpy(), **fit_kw)
    else:
        columns = None
        if nominal is not None:
            columns = []
            for item in [nominal] if isinstance(nominal, str) else list(nominal):
                if item in terms:
                    columns.extend(terms[item])
                elif item in X.columns:
                    columns.append(item)
                else:
                    raise ParameterError(
                        f"nominal {item!r} is neither a term ({', '.join(terms)}) nor a design "
                        f"column ({', '.join(X.columns)})"
                    )
        model = OrdinalRegression(link=link, cov_type=cov_type, nominal=columns, **params)
        if g is not None:
            fit_kw["groups"] = g.loc[keep].to_numpy()
        model.fit(X, y, **fit_kw)
    _attach(model, parsed, spec, terms)
    return model


def _attach(model: Any, parsed: _Parsed, spec: Any, terms: dict[str, list[str]]) -> None:
    model.formula_ = parsed.text
    model.terms_ = terms
    model.response_ = parsed.response
    model.group_column_ = parsed.group
    model._formula_spec = spec


# ---------------------------------------------------------------------------------------------
# state for model files
# ---------------------------------------------------------------------------------------------
def formula_state(model: Any) -> dict[str, Any]:
    """The design of a formula model as plain data (for model files; no code, no pickle).

    Returns
    -------
    dict
        ``text`` (the formula), ``response``, ``group`` (or None), ``terms`` (label -> design
        columns), ``factors`` (``expr``, ``kind`` and, for categorical factors, ``categories``
        in order) and ``transforms`` (``expr`` and ``state``: e.g. the mean and SD of
        ``scale(x)``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from copfactors.formula import formula_state, ordinal
    >>> d = pd.DataFrame({"x": np.arange(12.0), "y": [0, 1, 2] * 4})
    >>> formula_state(ordinal("y ~ center(x)", data=d))["transforms"]
    [{'expr': 'center(x)', 'state': {'center': 5.5, 'ddof': 1, 'scale': None}}]
    """
    if not _is_formula_model(model):
        raise NotFittedError(f"the {type(model).__name__} was not fitted from a formula")
    factors, transforms = spec_state(model._formula_spec)
    return {
        "text": model.formula_,
        "response": model.response_,
        "group": model.group_column_,
        "terms": {k: list(v) for k, v in model.terms_.items()},
        "factors": factors,
        "transforms": transforms,
    }


def restore_formula(model: Any, state: Mapping[str, Any]) -> Any:
    """Give a fitted regression back the formula design written by :func:`formula_state`.

    The formula text is checked (:func:`check_formula`) before formulaic reads it; the
    levels and transform states are taken as data only.

    Raises
    ------
    copfactors.errors.ParameterError
        The formula is not allowed, or the state is malformed (the message names the field).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from copfactors.formula import design_matrix, formula_state, ordinal, restore_formula
    >>> from copfactors.models import OrdinalRegression
    >>> d = pd.DataFrame({"x": np.arange(12.0), "y": [0, 1, 2] * 4})
    >>> m = ordinal("y ~ scale(x)", data=d)
    >>> bare = OrdinalRegression().fit(design_matrix(m, d), d.y)
    >>> again = restore_formula(bare, formula_state(m))
    >>> bool(np.array_equal(design_matrix(again, d), design_matrix(m, d)))
    True
    """
    if not isinstance(state, Mapping):
        raise ParameterError(f"formula: expected an object, got {type(state).__name__}")
    text = state.get("text")
    if not isinstance(text, str):
        raise ParameterError("formula.text: expected text")
    parsed = _Parsed(text)  # checks the formula before formulaic reads it
    if state.get("response") != parsed.response or state.get("group") != parsed.group:
        raise ParameterError("formula.response or formula.group does not match formula.text")
    terms = state.get("terms")
    if not isinstance(terms, Mapping) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(c, str) for c in v)
        for k, v in terms.items()
    ):
        raise ParameterError("formula.terms: expected an object of lists of column names")
    spec = spec_from_state(parsed.rhs, state.get("factors"), state.get("transforms"))
    names = getattr(model, "feature_names_in_", None)
    columns = [c for cols in terms.values() for c in cols]
    if names is None or sorted(map(str, names)) != sorted(columns):
        raise ParameterError(
            f"formula.terms name the columns {columns}, the regression has {names}"
        )
    _attach(model, parsed, spec, {k: list(v) for k, v in terms.items()})
    return model
