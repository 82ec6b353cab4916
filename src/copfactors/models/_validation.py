"""Input checks for the models: outcome encoding, predictor matrix, weights and groups.

Every failure raises :class:`ModelInputError` (a :class:`~copfactors.errors.CopFactorsError`
and a ``ValueError``) whose message names the column, level or count at fault.

Examples
--------
>>> import pandas as pd
>>> from copfactors.models._validation import encode_outcome
>>> y = pd.Categorical(["low", "high", "mid"], categories=["low", "mid", "high"], ordered=True)
>>> enc = encode_outcome(y)
>>> enc.codes.tolist(), enc.classes.tolist()
([0, 2, 1], ['low', 'mid', 'high'])
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError as _SklearnNotFittedError

from copfactors.errors import ModelInputError, NotFittedError

__all__ = [
    "ModelInputError",
    "ModelNotFittedError",
    "OutcomeEncoding",
    "check_collinearity",
    "check_finite",
    "check_groups",
    "check_sample_weight",
    "column_reduce",
    "encode_outcome",
    "level_ranges",
    "non_numeric_columns",
]


class ModelNotFittedError(NotFittedError, _SklearnNotFittedError):
    """A model was used before ``fit``.

    A :class:`copfactors.errors.NotFittedError` that scikit-learn also recognises as its own
    ``NotFittedError`` (so its tools and estimator checks treat the model as unfitted).
    """


@dataclass
class OutcomeEncoding:
    """An ordinal outcome as integer codes ``0..K-1`` with its ordered labels.

    Attributes
    ----------
    codes : ndarray of int
        Level of each row.
    classes : ndarray
        Level labels, lowest first.
    scores : ndarray of float
        Numeric value of each level for expected scores: the labels themselves when they are
        numbers (integers, booleans, numeric categories), else ``1..K``.
    """

    codes: np.ndarray
    classes: np.ndarray
    scores: np.ndarray
    categorical: bool = False


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number | np.bool_) and not isinstance(value, str)


def _numeric_scores(classes: np.ndarray) -> np.ndarray:
    if classes.dtype.kind in "biuf":
        return classes.astype(np.float64)
    if all(_is_number(c) for c in classes):
        return np.asarray(classes, dtype=np.float64)
    return np.arange(1, len(classes) + 1, dtype=np.float64)


def _from_categorical(cat: pd.Categorical, name: str) -> OutcomeEncoding:
    n_missing = int(np.sum(cat.codes < 0))
    if n_missing:
        raise ModelInputError(f"{name} contains {n_missing} missing value(s) (NaN)")
    categories = cat.categories
    numeric_categories = pd.api.types.is_numeric_dtype(
        categories.dtype
    ) or pd.api.types.is_bool_dtype(categories.dtype)
    if not cat.ordered and not numeric_categories:
        raise ModelInputError(
            f"{name} is an unordered categorical of labels {list(categories)!r}; its level "
            "order is unknown and is never guessed (alphabetical order is rarely the right "
            "one). Pass an ordered categorical, e.g. pandas.Categorical(y, categories=[...], "
            "ordered=True)"
        )
    if not cat.ordered:
        # numeric categories: numeric order (pandas keeps them sorted, make sure)
        order = np.argsort(np.asarray(categories), kind="stable")
        cat = cat.reorder_categories(categories[order], ordered=True)
        categories = cat.categories
    counts = np.bincount(cat.codes, minlength=len(categories))
    unused = categories[counts == 0].tolist()
    if unused:
        raise ModelInputError(
            f"{name} has outcome level(s) that no row takes: {unused!r}. A threshold next to an "
            "empty level is not estimable; remove the level(s) with "
            "y.cat.remove_unused_categories() or merge them with a neighbouring level"
        )
    classes = np.asarray(categories)
    if classes.dtype.kind in "OUS":
        classes = np.asarray(list(categories), dtype=object)
    return OutcomeEncoding(
        np.asarray(cat.codes, dtype=np.int64), classes, _numeric_scores(classes), True
    )


def encode_outcome(
    y: Any, *, name: str = "y", estimator: str = "OrdinalRegression"
) -> OutcomeEncoding:
    """Encode an ordinal outcome as codes ``0..K-1``.

    Accepted: an ordered pandas Categorical (or Series of that dtype), a Categorical with
    numeric categories, integers, booleans and floats holding whole numbers. Text labels
    without an explicit order are refused rather than sorted alphabetically.

    Parameters
    ----------
    y : array-like of shape (n,)
        The outcome.
    name : str
        Name used in error messages.
    estimator : str
        Estimator name used in error messages.

    Returns
    -------
    OutcomeEncoding

    Raises
    ------
    ModelInputError
        On missing values, text labels without order, unused categories, non-integer numbers or
        fewer than two levels.

    Examples
    --------
    >>> encode_outcome([3, 1, 3, 2]).classes.tolist()
    [1, 2, 3]
    """
    if y is None:
        raise ModelInputError(f"{estimator} requires y to be passed, but the target y is None")
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ModelInputError(f"{name} must be one column, got {y.shape[1]} columns")
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series):
        if isinstance(y.dtype, pd.CategoricalDtype):
            enc = _from_categorical(pd.Categorical(y), name)
            return _check_levels(enc, name)
        n_missing = int(y.isna().sum())
        if n_missing:
            raise ModelInputError(f"{name} contains {n_missing} missing value(s) (NaN)")
        if pd.api.types.is_extension_array_dtype(y.dtype):
            y = y.to_numpy(dtype=bool if pd.api.types.is_bool_dtype(y.dtype) else None)
        else:
            y = y.to_numpy()
    elif isinstance(y, pd.Categorical):
        return _check_levels(_from_categorical(y, name), name)
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        from sklearn.exceptions import DataConversionWarning

        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the "
            "shape of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=3,
        )
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ModelInputError(
            f"{name} should be a 1d array of outcome levels, got an array of shape {arr.shape}"
        )
    kind = arr.dtype.kind
    if kind == "O":
        if any(isinstance(v, str) for v in arr):
            _refuse_text(arr, name)
        missing = int(pd.isna(arr).sum())
        if missing:
            raise ModelInputError(f"{name} contains {missing} missing value(s) (NaN)")
        if not all(_is_number(v) for v in arr):
            bad = next(v for v in arr if not _is_number(v))
            raise ModelInputError(
                f"Unknown label type: {name} holds values such as {bad!r}; expected an ordered "
                "categorical, integers or booleans"
            )
        arr = (
            arr.astype(bool)
            if all(isinstance(v, bool | np.bool_) for v in arr)
            else arr.astype(np.float64)
        )
        kind = arr.dtype.kind
    if kind in "US":
        _refuse_text(arr, name)
    if kind == "c":
        raise ModelInputError(f"Complex data not supported: {name} is complex")
    if kind == "f":
        n_nan = int(np.isnan(arr).sum())
        if n_nan:
            raise ModelInputError(f"{name} contains {n_nan} missing value(s) (NaN)")
        n_inf = int(np.isinf(arr).sum())
        if n_inf:
            raise ModelInputError(f"{name} contains {n_inf} infinite value(s)")
        if not np.all(arr == np.round(arr)):
            raise ModelInputError(
                f"Unknown label type: {name} is continuous (non-integer values such as "
                f"{arr[arr != np.round(arr)][0]!r}); an ordinal outcome needs ordered levels: "
                "integers, booleans or an ordered categorical"
            )
    if kind not in "biuf":
        raise ModelInputError(f"Unknown label type: {name} has dtype {arr.dtype}")
    if kind in "iub" and arr.size:
        # counting instead of sorting: integer outcomes have few distinct values
        ints = arr.astype(np.int64)
        low = int(ints.min())
        span = int(ints.max()) - low + 1
        if span <= 1_000_000:
            counts = np.bincount(ints - low, minlength=span)
            present = np.flatnonzero(counts)
            lookup = np.zeros(span, dtype=np.int64)
            lookup[present] = np.arange(len(present))
            classes = (present + low).astype(arr.dtype)
            enc = OutcomeEncoding(lookup[ints - low], classes, _numeric_scores(classes))
            return _check_levels(enc, name)
    classes, codes = np.unique(arr, return_inverse=True)
    enc = OutcomeEncoding(codes.astype(np.int64).ravel(), classes, _numeric_scores(classes))
    return _check_levels(enc, name)


def _refuse_text(arr: np.ndarray, name: str) -> None:
    labels = list(pd.unique(pd.Series(arr.ravel()).dropna()))[:6]
    raise ModelInputError(
        f"{name} holds text labels {labels!r} without an order; the order of an ordinal outcome "
        "is never guessed (alphabetical order is rarely right). Pass an ordered categorical, "
        "e.g. pandas.Categorical(y, categories=['low', 'medium', 'high'], ordered=True)"
    )


def _check_levels(enc: OutcomeEncoding, name: str) -> OutcomeEncoding:
    if len(enc.classes) < 2:
        label = enc.classes[:1].tolist()[0] if len(enc.classes) else None
        raise ModelInputError(
            f"{name} contains only 1 class (level {label!r}); at least 2 outcome levels are "
            "needed to fit an ordinal or binary model"
        )
    return enc


def non_numeric_columns(X: pd.DataFrame) -> list[str]:
    """Names of the DataFrame columns that are neither numeric nor boolean."""
    bad = []
    for col, dtype in X.dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype) or not (
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        ):
            bad.append(str(col))
    return bad


def check_finite(X: np.ndarray, names: list[str], *, what: str = "X") -> None:
    """Raise if ``X`` holds NaN or infinite values, naming each column and its count."""
    if np.isfinite(X).all():
        return
    n_nan = np.isnan(X).sum(axis=0)
    n_inf = np.isinf(X).sum(axis=0)
    parts = []
    for j in np.flatnonzero((n_nan + n_inf) > 0):
        desc = []
        if n_nan[j]:
            desc.append(f"{int(n_nan[j])} NaN")
        if n_inf[j]:
            desc.append(f"{int(n_inf[j])} infinite")
        parts.append(f"column {names[j]!r}: {' and '.join(desc)}")
    kinds = [k for k, c in (("NaN", n_nan.sum()), ("infinity", n_inf.sum())) if c]
    raise ModelInputError(
        f"Input {what} contains {' and '.join(kinds)} ({'; '.join(parts)}); remove or impute "
        "these values before fitting or predicting"
    )


def check_sample_weight(sample_weight: Any, n: int) -> np.ndarray | None:
    """Validate frequency weights: shape ``(n,)``, finite, non-negative, not all zero."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        return np.full(n, float(sample_weight)) if float(sample_weight) != 1.0 else None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim != 1 or w.shape[0] != n:
        raise ModelInputError(
            f"sample_weight.shape == {w.shape}, expected {(n,)}: one weight per row of X"
        )
    bad = ~np.isfinite(w)
    if bad.any():
        raise ModelInputError(f"sample_weight contains {int(bad.sum())} NaN or infinite value(s)")
    neg = w < 0
    if neg.any():
        raise ModelInputError(f"sample_weight contains {int(neg.sum())} negative value(s)")
    if not (w > 0).any():
        raise ModelInputError("sample_weight is zero for every row")
    return w


def check_groups(groups: Any, n: int) -> tuple[np.ndarray, int]:
    """Encode cluster labels as codes ``0..G-1``; refuse missing labels."""
    g = groups.to_numpy() if isinstance(groups, pd.Series | pd.Index) else np.asarray(groups)
    if g.ndim != 1 or g.shape[0] != n:
        raise ModelInputError(f"groups has shape {g.shape}, expected {(n,)}: one label per row")
    missing = int(pd.isna(g).sum())
    if missing:
        raise ModelInputError(f"groups contains {missing} missing label(s)")
    codes, uniques = pd.factorize(g, sort=True)
    return codes.astype(np.int64), len(uniques)


def column_reduce(ufunc: np.ufunc, X: np.ndarray) -> np.ndarray:
    """``ufunc.reduce(X, axis=0)`` for a C-contiguous ``(n, p)`` array with few columns.

    NumPy reduces a narrow array over its rows slowly (an inner loop of ``p`` elements); folding
    ``m`` rows into one wide row first makes the inner loop long.
    """
    n, p = X.shape
    m = max(1, 4096 // max(p, 1))
    k = (n // m) * m
    parts = []
    if k and X.flags.c_contiguous:
        wide = ufunc.reduce(X[:k].reshape(-1, m * p), axis=0)
        parts.append(ufunc.reduce(wide.reshape(m, p), axis=0))
    else:
        k = 0
    if k < n:
        parts.append(ufunc.reduce(X[k:], axis=0))
    return ufunc.reduce(np.stack(parts), axis=0)


def level_ranges(X: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-level minimum and maximum of each column, for rows sorted by level.

    Returns two arrays of shape ``(K, p)``; every level must have at least one row.
    """
    K = len(starts) - 1
    lo = np.empty((K, X.shape[1]))
    hi = np.empty((K, X.shape[1]))
    for k in range(K):
        block = X[starts[k] : starts[k + 1]]
        lo[k] = column_reduce(np.minimum, block)
        hi[k] = column_reduce(np.maximum, block)
    return lo, hi


def check_collinearity(
    X: np.ndarray,
    names: list[str],
    w: np.ndarray | None = None,
    ranges: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Refuse constant and perfectly collinear predictors; return the column SDs.

    The thresholds play the role of an intercept, so a constant column is collinear with them.
    The check works on the centred cross-product (accumulated in blocks, so no centred copy
    of ``X`` is made) scaled to a correlation matrix, adding one column at a time and asking
    whether it is a linear combination of the columns already accepted.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Predictors.
    names : list of str
        Column names for the messages.
    w : ndarray of shape (n,), optional
        Frequency weights (positive).
    ranges : tuple of ndarray, optional
        Per-level minima and maxima from :func:`level_ranges`, to avoid recomputing them.

    Returns
    -------
    ndarray of shape (p,)
        Weighted standard deviation of each column.

    Raises
    ------
    ModelInputError
        Naming the constant columns, or the collinear set (the column that is a combination of
        others, and those others).
    """
    n, p = X.shape
    if p == 0:
        return np.zeros(0)
    if ranges is None:
        lo, hi = column_reduce(np.minimum, X), column_reduce(np.maximum, X)
    else:
        lo, hi = ranges[0].min(axis=0), ranges[1].max(axis=0)
    const = np.flatnonzero(hi - lo == 0)
    if const.size:
        cols = [names[j] for j in const]
        raise ModelInputError(
            f"predictor column(s) {cols!r} are constant; a constant predictor is collinear with "
            "the thresholds (the model's intercepts) and has no estimable effect. Drop them"
        )
    if w is None:
        total = float(n)
        mean = (X.T @ np.ones(n)) / total
    else:
        total = float(w.sum())
        mean = (X.T @ w) / total
    cp = np.zeros((p, p))
    rows = max(1024, (1 << 17) // p)
    for a in range(0, n, rows):
        block = X[a : a + rows] - mean
        if w is not None:
            block *= np.sqrt(w[a : a + rows])[:, None]
        cp += block.T @ block
    sd = np.sqrt(np.diag(cp) / total)
    d = np.sqrt(np.diag(cp))
    corr = cp / np.outer(d, d)
    # The residual variance of column j given columns 0..j-1 is the square of the j-th
    # diagonal entry of corr's Cholesky factor: when every one is comfortably above the
    # threshold of the loop below, no column is rejected and the loop (p least-squares
    # solves, which name the collinear set when there is one) is not needed.
    try:
        chol_diag = np.diag(np.linalg.cholesky(corr))
    except np.linalg.LinAlgError:
        chol_diag = None
    if chol_diag is not None and float(np.min(chol_diag)) ** 2 > 1e-8:
        return sd
    accepted: list[int] = []
    for j in range(p):
        if accepted:
            C = corr[np.ix_(accepted, accepted)]
            c = corr[accepted, j]
            coef = np.linalg.lstsq(C, c, rcond=None)[0]
            residual = 1.0 - float(c @ coef)
            if residual < 1e-10:
                involved = [names[accepted[i]] for i in np.flatnonzero(np.abs(coef) > 1e-6)]
                raise ModelInputError(
                    f"predictor column {names[j]!r} is perfectly collinear with {involved!r} "
                    f"(it is a linear combination of them plus a constant, R^2 = 1); drop one "
                    f"of the columns {[*involved, names[j]]!r}"
                )
        accepted.append(j)
    return sd
