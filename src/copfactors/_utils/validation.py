"""Checks shared by the modules that take a model's predictors: column matching, rank.

Part of the bottom layer (imports nothing of copfactors but :mod:`copfactors.errors`). Every
check that ``X`` has the fitted model's columns goes through :func:`check_columns`, so the
message and the error type (:class:`~copfactors.errors.ModelInputError`) are the same wherever
a model meets new rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from copfactors.errors import ModelInputError

__all__ = ["check_columns", "independent_columns"]


def check_columns(given: Sequence[Any], expected: Sequence[Any], *, what: str) -> list[str]:
    """Check that ``given`` columns are the model's ``expected`` ones, in any order.

    Parameters
    ----------
    given, expected : sequence
        Column names (compared as strings).
    what : str
        The start of the error message, e.g. ``"X does not match the model's drivers"``.

    Returns
    -------
    list of str
        ``expected`` as strings: the order to select the columns in (by name, never by
        position).

    Raises
    ------
    copfactors.errors.ModelInputError
        Naming the duplicated, missing and unexpected columns, and the model's columns.

    Examples
    --------
    >>> from copfactors._utils.validation import check_columns
    >>> check_columns(["b", "a"], ["a", "b"], what="X")
    ['a', 'b']
    >>> try:
    ...     check_columns(["a", "c"], ["a", "b"], what="X does not match the model")
    ... except ValueError as err:
    ...     print(err)
    X does not match the model: missing column(s) ['b'] and unexpected column(s) ['c']; the model was fitted on ['a', 'b']
    """  # noqa: E501
    cols = [str(c) for c in given]
    names = [str(c) for c in expected]
    duplicated = sorted({c for c in cols if cols.count(c) > 1})
    if duplicated:
        raise ModelInputError(f"{what}: duplicated column(s) {duplicated!r}")
    missing = [c for c in names if c not in cols]
    extra = [c for c in cols if c not in names]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {missing!r}")
        if extra:
            parts.append(f"unexpected column(s) {extra!r}")
        raise ModelInputError(f"{what}: {' and '.join(parts)}; the model was fitted on {names!r}")
    return names


def independent_columns(X: Any, tol: float = 1e-8) -> tuple[list[str], list[str]]:
    """Columns kept in order, each neither constant nor a combination of a constant and the kept.

    Gram-Schmidt on the centred columns in their order: a column whose residual sum of squares
    is at most ``tol`` times its centred sum of squares is dropped. With few CoPs, CoP-level
    attributes (sponsor, steward, leader changes) are often collinear; the feature builder's
    order keeps the steward and leader columns before the sponsor.

    Parameters
    ----------
    X : pandas.DataFrame
        Numeric columns.
    tol : float, default 1e-8

    Returns
    -------
    kept, dropped : list of str

    Examples
    --------
    >>> import pandas as pd
    >>> from copfactors._utils.validation import independent_columns
    >>> X = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 4, 6, 8], "c": [1.0, 1, 1, 1],
    ...                   "d": [0.0, 1, 0, 2]})
    >>> independent_columns(X)
    (['a', 'd'], ['b', 'c'])
    """
    kept: list[str] = []
    dropped: list[str] = []
    basis = np.ones((len(X), 1)) / math.sqrt(max(len(X), 1))
    for name in X.columns:
        x = X[name].to_numpy(dtype=float)
        centred = x - x.mean()
        total = float(centred @ centred)
        if total <= 0:
            dropped.append(str(name))
            continue
        resid = x - basis @ (basis.T @ x)
        resid = resid - basis @ (basis.T @ resid)  # re-orthogonalise for stability
        if float(resid @ resid) <= tol * total:
            dropped.append(str(name))
            continue
        basis = np.column_stack([basis, resid / math.sqrt(float(resid @ resid))])
        kept.append(str(name))
    return kept, dropped
