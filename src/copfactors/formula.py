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
  ``np.exp(x)``, ``np.sqrt(x)``, ``center(x)``, ``scale(x)`` (``standardize(x)``), ``bs(x, df=3)``
  and ``I(x ** 2)`` (arithmetic only) are understood;
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
``C``, ``np.log``, ``np.exp``, ``np.sqrt``, ``center``, ``scale``, ``standardize``, ``bs`` and
``I`` (the latter with arithmetic only), with literal keyword values; anything else is refused
naming the function.

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

import ast
import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

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

#: The functions a formula may call (``I`` with arithmetic only).
ALLOWED_FUNCTIONS = (
    "C",
    "np.log",
    "np.exp",
    "np.sqrt",
    "center",
    "scale",
    "standardize",
    "bs",
    "I",
)
_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.FloorDiv, ast.Mod)
_RANDOM = re.compile(r"\(\s*1\s*\|\s*([^()|~+]+?)\s*\)")
_CALLED = re.compile(r"([A-Za-z_][\w.]*)\s*\(")


# ---------------------------------------------------------------------------------------------
# reading and checking a formula
# ---------------------------------------------------------------------------------------------
def _unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == "`":
        return name[1:-1]
    return name


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


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return _literal(node.operand)
    if isinstance(node, ast.List | ast.Tuple):
        return all(_literal(e) for e in node.elts)
    return False


def _check_expression(expr: str, formula: str, names: set[str]) -> None:
    """Refuse anything but allowed calls, column names, literals and arithmetic."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise ParameterError(f"formula {formula!r}: {expr!r} is not a valid expression") from None

    def refuse(what: str) -> ParameterError:
        return ParameterError(
            f"formula {formula!r} uses {what}, which is not allowed in a formula (allowed "
            f"functions: {', '.join(ALLOWED_FUNCTIONS)}; column names, numbers and arithmetic)"
        )

    def visit(node: ast.AST, inside_i: bool) -> None:
        if isinstance(node, ast.Constant):
            return
        if isinstance(node, ast.Name):
            if node.id.startswith("__") or node.id == "np":
                raise refuse(f"the name {node.id!r}")
            names.add(node.id)
            return
        if isinstance(node, ast.BinOp) and isinstance(node.op, _ARITHMETIC):
            visit(node.left, inside_i)
            visit(node.right, inside_i)
            return
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            visit(node.operand, inside_i)
            return
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name is None or name not in ALLOWED_FUNCTIONS:
                raise refuse(f"the function {name or ast.unparse(node.func)!r}")
            if inside_i:
                raise refuse(f"the call {name}(...) inside I() (arithmetic only)")
            if name == "C" and (
                len(node.args) != 1 or any(k.arg != "levels" for k in node.keywords)
            ):
                raise refuse("C() with arguments other than one column and levels=[...]")
            for arg in node.args:
                visit(arg, inside_i or name == "I")
            for kw in node.keywords:
                if kw.arg is None or not _literal(kw.value):
                    raise refuse(f"a non-literal argument of {name}()")
            return
        if isinstance(node, ast.Attribute):
            raise refuse(f"the attribute {ast.unparse(node)!r}")
        raise refuse(f"the expression {ast.unparse(node)!r} ({type(node).__name__})")

    visit(tree.body, False)


def check_formula(formula: str) -> set[str]:
    """Check a formula's Python expressions against the allow-list, before any evaluation.

    The text is first scanned for every name followed by ``(``; then formulaic's parser
    (which only reads text, never evaluates) splits it into factors and each Python factor
    is checked with :mod:`ast`: allowed are :data:`ALLOWED_FUNCTIONS` (``C`` with one column
    and ``levels=[...]``, ``I`` with arithmetic only), column names, literals and arithmetic.

    Parameters
    ----------
    formula : str
        The formula (a ``(1 | g)`` term may be in it).

    Returns
    -------
    set of str
        The column names the formula's right-hand side reads (the response and group too).

    Raises
    ------
    copfactors.errors.ParameterError
        Naming the function, name or construct that is not allowed, or the formula that cannot
        be parsed.

    Examples
    --------
    >>> from copfactors.formula import check_formula
    >>> sorted(check_formula("y ~ np.log(x) + C(g, levels=['b', 'a'])"))
    ['g', 'x', 'y']
    >>> check_formula("y ~ x + __import__('os').system('ls')")
    Traceback (most recent call last):
    ...
    copfactors.errors.ParameterError: formula ... uses the function '__import__', which is not \
allowed in a formula ...
    """
    if not isinstance(formula, str):
        raise ParameterTypeError(f"formula must be text, got {type(formula).__name__}")
    for match in _CALLED.finditer(formula):
        if match.group(1) not in ALLOWED_FUNCTIONS:
            raise ParameterError(
                f"formula {formula!r} uses the function {match.group(1)!r}, which is not "
                f"allowed in a formula (allowed functions: {', '.join(ALLOWED_FUNCTIONS)})"
            )
    if formula.count("~") != 1:
        raise ParameterError(f"formula {formula!r} must have one '~' (response ~ predictors)")
    lhs, rhs = formula.split("~")
    names = {_unquote(lhs)}
    for match in _RANDOM.finditer(rhs):
        names.add(_unquote(match.group(1)))
    rhs = _RANDOM.sub("", rhs)
    rhs = re.sub(r"\+\s*(?=\+)", "", rhs).strip()
    rhs = re.sub(r"^\+|\+$", "", rhs).strip() or "1"
    from formulaic import Formula
    from formulaic.parser.types import Factor

    try:
        parsed = Formula(rhs)
    except Exception as err:  # formulaic's parse errors are of several types
        raise ParameterError(f"formula {formula!r} cannot be parsed: {err}") from None
    for term in parsed:
        for factor in term.factors:
            if factor.eval_method == Factor.EvalMethod.LOOKUP:
                if str(factor.expr).startswith("__") or ".__" in str(factor.expr):
                    raise ParameterError(
                        f"formula {formula!r} uses the name {str(factor.expr)!r}, which is not "
                        "allowed in a formula (no dunder names)"
                    )
                names.add(str(factor.expr))
            elif factor.eval_method == Factor.EvalMethod.PYTHON:
                _check_expression(str(factor.expr), formula, names)
    return names


# ---------------------------------------------------------------------------------------------
# the design
# ---------------------------------------------------------------------------------------------
def _context() -> dict[str, Any]:
    # an explicit namespace: a formula never sees this module's (or the caller's) names
    return {"np": np}


def _check_frame(data: Any, what: str) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise ParameterTypeError(f"{what} must be a pandas DataFrame, got {type(data).__name__}")
    return data


def _check_columns(data: pd.DataFrame, names: set[str], formula: str) -> None:
    missing = sorted(n for n in names if n not in data.columns)
    if missing:
        raise ModelInputError(
            f"column(s) {', '.join(map(repr, missing))} of formula {formula!r} are not in the "
            f"data (columns: {', '.join(map(str, data.columns))})"
        )


def _factor_column(key: str) -> str | None:
    """The data column a categorical factor reads: ``x`` or ``C(x, ...)``."""
    try:
        node = ast.parse(key, mode="eval").body
    except SyntaxError:
        return key
    if isinstance(node, ast.Name):
        return node.id
    if (
        isinstance(node, ast.Call)
        and _dotted(node.func) == "C"
        and node.args
        and isinstance(node.args[0], ast.Name)
    ):
        return node.args[0].id
    return None


def _levels(spec: Any) -> dict[str, list[Any]]:
    from formulaic.parser.types import Factor

    out = {}
    for key, (kind, state) in spec.encoder_state.items():
        if kind == Factor.Kind.CATEGORICAL:
            out[str(key)] = list(state.get("categories", []))
    return out


def _check_levels(spec: Any, data: pd.DataFrame) -> None:
    for key, categories in _levels(spec).items():
        column = _factor_column(key)
        if column is None or column not in data.columns:
            continue
        values = pd.Series(data[column]).dropna()
        known = set(categories)
        unknown = sorted({v for v in values.tolist() if v not in known}, key=str)
        if unknown:
            raise ModelInputError(
                f"column {column!r} has level(s) {', '.join(map(repr, unknown))} that the model "
                f"was not fitted with (levels: {', '.join(map(repr, categories))})"
            )


def _materialize(spec_or_formula: Any, data: pd.DataFrame, formula: str, **overrides: Any):
    from formulaic import model_matrix
    from formulaic.errors import FormulaicError

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Data has categories outside")
        try:
            if isinstance(spec_or_formula, str):
                return model_matrix(spec_or_formula, data, context=_context(), **overrides)
            return spec_or_formula.get_model_matrix(data, context=_context(), **overrides)
        except Warning as warning:
            raise ModelInputError(f"formula {formula!r}: {warning}") from None
        except (FormulaicError, ValueError, TypeError, NameError) as err:
            raise ModelInputError(f"formula {formula!r} cannot be evaluated: {err}") from None


def _plain_frame(matrix: Any, formula: str, *, consume: bool = False) -> pd.DataFrame:
    columns = [str(c) for c in matrix.columns]
    if "Intercept" not in columns:
        raise ParameterError(
            f"formula {formula!r} removes the intercept ('- 1' or '+ 0'); in a cumulative link "
            "model the thresholds take its place: keep it"
        )
    # one row-major float64 array without the intercept, filled column by column and wrapped
    # without a copy: converting the whole matrix and then dropping a column would cost two
    # copies of the design, and the solver wants rows contiguous (it would copy again)
    keep = [c for c in columns if c != "Intercept"]
    out = np.empty((len(matrix), len(keep)), dtype=np.float64)
    index = matrix.index
    for j, name in enumerate(keep):
        out[:, j] = np.asarray(matrix[name], dtype=np.float64)
        if consume:  # free formulaic's column once copied: one copy of the design at a time
            del matrix[name]
    return pd.DataFrame(out, columns=keep, index=index, copy=False)


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
def _plain_value(value: Any, where: str) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | str | int | float):
        return value
    if isinstance(value, np.ndarray | list | tuple):
        return [_plain_value(v, where) for v in value]
    raise ParameterTypeError(f"{where}: a {type(value).__name__} cannot be written to a file")


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
    spec = model._formula_spec
    factors = []
    for key, (kind, state) in spec.encoder_state.items():
        entry: dict[str, Any] = {"expr": str(key), "kind": str(kind.value)}
        if "categories" in state:
            entry["categories"] = _plain_value(list(state["categories"]), str(key))
        factors.append(entry)
    transforms = []
    for key, state in spec.transform_state.items():
        if not isinstance(state, Mapping):
            raise ParameterTypeError(f"the state of {key!r} cannot be written to a file")
        plain = {str(k): _plain_value(v, f"{key}.{k}") for k, v in sorted(state.items())}
        transforms.append({"expr": str(key), "state": plain})
    return {
        "text": model.formula_,
        "response": model.response_,
        "group": model.group_column_,
        "terms": {k: list(v) for k, v in model.terms_.items()},
        "factors": factors,
        "transforms": transforms,
    }


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, bool | str | int | float)


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
    from formulaic import Formula, ModelSpec
    from formulaic.parser.types import Factor

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
    encoder_state: dict[str, Any] = {}
    kinds = {k.value: k for k in Factor.Kind}
    for i, entry in enumerate(state.get("factors") or []):
        if (
            not isinstance(entry, Mapping)
            or not isinstance(entry.get("expr"), str)
            or entry.get("kind") not in kinds
        ):
            raise ParameterError(f"formula.factors[{i}]: expected expr and a known kind")
        if "categories" in entry:
            cats = entry["categories"]
            if not isinstance(cats, list) or not all(_scalar(c) for c in cats):
                raise ParameterError(f"formula.factors[{i}].categories: expected plain values")
            encoder_state[entry["expr"]] = (kinds[entry["kind"]], {"categories": list(cats)})
        else:
            encoder_state[entry["expr"]] = (kinds[entry["kind"]], {})
    transform_state: dict[str, Any] = {}
    for i, entry in enumerate(state.get("transforms") or []):
        if (
            not isinstance(entry, Mapping)
            or not isinstance(entry.get("expr"), str)
            or not isinstance(entry.get("state"), Mapping)
        ):
            raise ParameterError(f"formula.transforms[{i}]: expected expr and state")
        values = {}
        for k, v in entry["state"].items():
            if not (_scalar(v) or (isinstance(v, list) and all(_scalar(x) for x in v))):
                raise ParameterError(f"formula.transforms[{i}].state.{k}: expected plain values")
            values[k] = v
        transform_state[entry["expr"]] = values
    spec = ModelSpec(
        formula=Formula(parsed.rhs),
        transform_state=transform_state,
        encoder_state=encoder_state,
    )
    names = getattr(model, "feature_names_in_", None)
    columns = [c for cols in terms.values() for c in cols]
    if names is None or sorted(map(str, names)) != sorted(columns):
        raise ParameterError(
            f"formula.terms name the columns {columns}, the regression has {names}"
        )
    _attach(model, parsed, spec, {k: list(v) for k, v in terms.items()})
    return model
