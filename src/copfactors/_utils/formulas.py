"""Model-independent formula helpers: the allow-list, checks, designs and their state as data.

Part of the bottom layer (imports nothing of copfactors but :mod:`copfactors.errors`; formulaic,
numpy and pandas only). :mod:`copfactors.formula` (the ``ordinal`` front door) and
:class:`copfactors.features.CoPFeatureBuilder` (``formula=``) both evaluate formulas through
these helpers, so both check every formula against :data:`ALLOWED_FUNCTIONS` with :mod:`ast`
before formulaic evaluates anything, and both write a design's state (factor levels, the state
of ``center``/``scale``) as plain data, never code.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from copfactors.errors import ModelInputError, ParameterError, ParameterTypeError

__all__ = [
    "ALLOWED_FUNCTIONS",
    "CALLED",
    "RANDOM_TERM",
    "check_expression",
    "check_formula",
    "check_formula_columns",
    "check_frame",
    "check_levels",
    "dotted",
    "factor_column",
    "factor_levels",
    "formula_context",
    "is_literal",
    "is_scalar",
    "materialize",
    "plain_frame",
    "plain_value",
    "spec_from_state",
    "spec_state",
    "unquote",
]

#: The functions a formula may call (``I`` with arithmetic only).
ALLOWED_FUNCTIONS = (
    "C",
    "np.log",
    "np.log1p",
    "np.exp",
    "np.sqrt",
    "center",
    "scale",
    "standardize",
    "bs",
    "I",
)
_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.FloorDiv, ast.Mod)
#: a random-intercept term ``(1 | g)``
RANDOM_TERM = re.compile(r"\(\s*1\s*\|\s*([^()|~+]+?)\s*\)")
#: a name followed by ``(``: every function a formula text calls
CALLED = re.compile(r"([A-Za-z_][\w.]*)\s*\(")


def unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == "`":
        return name[1:-1]
    return name


def dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def is_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return is_literal(node.operand)
    if isinstance(node, ast.List | ast.Tuple):
        return all(is_literal(e) for e in node.elts)
    return False


def check_expression(expr: str, formula: str, names: set[str]) -> None:
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
            name = dotted(node.func)
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
                if kw.arg is None or not is_literal(kw.value):
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
    >>> from copfactors._utils.formulas import check_formula
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
    for match in CALLED.finditer(formula):
        if match.group(1) not in ALLOWED_FUNCTIONS:
            raise ParameterError(
                f"formula {formula!r} uses the function {match.group(1)!r}, which is not "
                f"allowed in a formula (allowed functions: {', '.join(ALLOWED_FUNCTIONS)})"
            )
    if formula.count("~") != 1:
        raise ParameterError(f"formula {formula!r} must have one '~' (response ~ predictors)")
    lhs, rhs = formula.split("~")
    names = {unquote(lhs)}
    for match in RANDOM_TERM.finditer(rhs):
        names.add(unquote(match.group(1)))
    rhs = RANDOM_TERM.sub("", rhs)
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
                check_expression(str(factor.expr), formula, names)
    return names


def formula_context() -> dict[str, Any]:
    # an explicit namespace: a formula never sees this module's (or the caller's) names
    return {"np": np}


def check_frame(data: Any, what: str) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise ParameterTypeError(f"{what} must be a pandas DataFrame, got {type(data).__name__}")
    return data


def check_formula_columns(data: pd.DataFrame, names: set[str], formula: str) -> None:
    missing = sorted(n for n in names if n not in data.columns)
    if missing:
        raise ModelInputError(
            f"column(s) {', '.join(map(repr, missing))} of formula {formula!r} are not in the "
            f"data (columns: {', '.join(map(str, data.columns))})"
        )


def factor_column(key: str) -> str | None:
    """The data column a categorical factor reads: ``x`` or ``C(x, ...)``."""
    try:
        node = ast.parse(key, mode="eval").body
    except SyntaxError:
        return key
    if isinstance(node, ast.Name):
        return node.id
    if (
        isinstance(node, ast.Call)
        and dotted(node.func) == "C"
        and node.args
        and isinstance(node.args[0], ast.Name)
    ):
        return node.args[0].id
    return None


def factor_levels(spec: Any) -> dict[str, list[Any]]:
    from formulaic.parser.types import Factor

    out = {}
    for key, (kind, state) in spec.encoder_state.items():
        if kind == Factor.Kind.CATEGORICAL:
            out[str(key)] = list(state.get("categories", []))
    return out


def check_levels(spec: Any, data: pd.DataFrame) -> None:
    for key, categories in factor_levels(spec).items():
        column = factor_column(key)
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


def materialize(spec_or_formula: Any, data: pd.DataFrame, formula: str, **overrides: Any):
    from formulaic import model_matrix
    from formulaic.errors import FormulaicError

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Data has categories outside")
        try:
            if isinstance(spec_or_formula, str):
                return model_matrix(spec_or_formula, data, context=formula_context(), **overrides)
            return spec_or_formula.get_model_matrix(data, context=formula_context(), **overrides)
        except Warning as warning:
            raise ModelInputError(f"formula {formula!r}: {warning}") from None
        except (FormulaicError, ValueError, TypeError, NameError) as err:
            raise ModelInputError(f"formula {formula!r} cannot be evaluated: {err}") from None


def plain_frame(
    matrix: Any, formula: str, *, consume: bool = False, require_intercept: bool = True
) -> pd.DataFrame:
    """The design as a row-major float64 frame without the ``Intercept`` column.

    With ``require_intercept`` (a cumulative link model's design) a formula that removes the
    intercept is refused; without it the intercept is simply left out when present.
    """
    columns = [str(c) for c in matrix.columns]
    if require_intercept and "Intercept" not in columns:
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


def plain_value(value: Any, where: str) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | str | int | float):
        return value
    if isinstance(value, np.ndarray | list | tuple):
        return [plain_value(v, where) for v in value]
    raise ParameterTypeError(f"{where}: a {type(value).__name__} cannot be written to a file")


def is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, bool | str | int | float)


def spec_state(spec: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The levels and transform states of a formulaic model spec as plain data.

    Returns
    -------
    (factors, transforms)
        ``factors``: ``expr``, ``kind`` and, for categorical factors, ``categories`` in order;
        ``transforms``: ``expr`` and ``state`` (e.g. the mean and SD of ``scale(x)``).
    """
    factors = []
    for key, (kind, state) in spec.encoder_state.items():
        entry: dict[str, Any] = {"expr": str(key), "kind": str(kind.value)}
        if "categories" in state:
            entry["categories"] = plain_value(list(state["categories"]), str(key))
        factors.append(entry)
    transforms = []
    for key, state in spec.transform_state.items():
        if not isinstance(state, Mapping):
            raise ParameterTypeError(f"the state of {key!r} cannot be written to a file")
        plain = {str(k): plain_value(v, f"{key}.{k}") for k, v in sorted(state.items())}
        transforms.append({"expr": str(key), "state": plain})
    return factors, transforms


def spec_from_state(rhs: str, factors: Any, transforms: Any, *, where: str = "formula") -> Any:
    """A formulaic model spec of the right-hand side ``rhs`` from :func:`spec_state`'s data.

    The caller checks the formula (:func:`check_formula`) first; the levels and transform
    states are taken as data only (plain values), the message of a malformed entry names
    ``where`` and the field.
    """
    from formulaic import Formula, ModelSpec
    from formulaic.parser.types import Factor

    encoder_state: dict[str, Any] = {}
    kinds = {k.value: k for k in Factor.Kind}
    if factors is not None and not isinstance(factors, list):
        raise ParameterError(f"{where}.factors: expected a list")
    if transforms is not None and not isinstance(transforms, list):
        raise ParameterError(f"{where}.transforms: expected a list")
    for i, entry in enumerate(factors or []):
        if (
            not isinstance(entry, Mapping)
            or not isinstance(entry.get("expr"), str)
            or entry.get("kind") not in kinds
        ):
            raise ParameterError(f"{where}.factors[{i}]: expected expr and a known kind")
        if "categories" in entry:
            cats = entry["categories"]
            if not isinstance(cats, list) or not all(is_scalar(c) for c in cats):
                raise ParameterError(f"{where}.factors[{i}].categories: expected plain values")
            encoder_state[entry["expr"]] = (kinds[entry["kind"]], {"categories": list(cats)})
        else:
            encoder_state[entry["expr"]] = (kinds[entry["kind"]], {})
    transform_state: dict[str, Any] = {}
    for i, entry in enumerate(transforms or []):
        if (
            not isinstance(entry, Mapping)
            or not isinstance(entry.get("expr"), str)
            or not isinstance(entry.get("state"), Mapping)
        ):
            raise ParameterError(f"{where}.transforms[{i}]: expected expr and state")
        values = {}
        for k, v in entry["state"].items():
            if not (is_scalar(v) or (isinstance(v, list) and all(is_scalar(x) for x in v))):
                raise ParameterError(f"{where}.transforms[{i}].state.{k}: expected plain values")
            values[k] = v
        transform_state[entry["expr"]] = values
    return ModelSpec(
        formula=Formula(rhs),
        transform_state=transform_state,
        encoder_state=encoder_state,
    )
