"""Scoring large member tables on Dask, partition by partition.

The repeated refits of copfactors (bootstrap, cross-validation, dominance subsets) need no
code here: they run through ``joblib.Parallel``, so ``joblib.parallel_config(backend="dask")``
inside a ``dask.distributed.Client`` sends them to a cluster (:mod:`copfactors.parallel`,
``docs/cluster.md``). What does need code is a table of members too large for one machine's
memory: :func:`score_dask` scores a Dask DataFrame with ``map_partitions``.

Dask is an optional dependency (``pip install "copfactors[dask]"``); it is imported inside the
function, never when copfactors is imported.

Examples
--------
>>> import copfactors as cf
>>> import dask.dataframe as dd
>>> survey = cf.load_example_survey()
>>> y = cf.attainment(survey)
>>> builder = cf.CoPFeatureBuilder(exclude="sponsor").fit(survey[y.notna()])
>>> X = builder.transform(survey[y.notna()])
>>> model = (builder, cf.OrdinalRegression().fit(X, y[X.index].astype(int)))
>>> scored = cf.score_dask(dd.from_pandas(survey, npartitions=3), model)
>>> scored.columns[:2].tolist()
['p_attained', 'expected_attainment']
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from copfactors.errors import CopFactorsError

if TYPE_CHECKING:  # pragma: no cover
    import dask.dataframe as dd

__all__ = ["score_columns", "score_dask", "score_frame"]


def _parts(model: Any) -> tuple[Any, Any]:
    """The fitted feature builder and regression of an attainment model or a pair."""
    if isinstance(model, tuple | list) and len(model) == 2:
        builder, regression = model
    elif hasattr(model, "builder") and hasattr(model, "regression"):
        builder, regression = model.builder, model.regression
    else:
        raise CopFactorsError(
            "model must be an attainment model (with .builder and .regression, as returned by "
            "copfactors.fit_attainment_model or load_model) or a (builder, regression) pair, "
            f"got {type(model).__name__}"
        )
    if not hasattr(builder, "transform"):
        raise CopFactorsError(f"the builder must be a fitted feature builder, got {builder!r}")
    if not hasattr(regression, "predict_proba") or not hasattr(regression, "classes_"):
        raise CopFactorsError(
            f"the regression must be a fitted OrdinalRegression, got {type(regression).__name__}"
        )
    return builder, regression


def _attained_mask(classes: np.ndarray, level: Any) -> np.ndarray:
    """Which outcome levels count as attained: those at or above ``level``."""
    try:
        values = np.asarray(classes, dtype=np.float64)
        mask = values >= float(level)
    except (TypeError, ValueError):
        labels = [str(c) for c in classes]
        if str(level) not in labels:
            raise CopFactorsError(
                f"level {level!r} is not one of the model's outcome levels {labels!r}"
            ) from None
        mask = np.arange(len(labels)) >= labels.index(str(level))
    if not mask.any():
        raise CopFactorsError(
            f"no outcome level is at or above level={level!r} (levels: {list(classes)!r})"
        )
    return mask


def score_columns(model: Any) -> list[str]:
    """Columns of :func:`score_dask` and :func:`score_frame` for ``model``.

    ``p_attained`` (``P(Y >= level)``), ``expected_attainment`` (the expected score), then
    ``p_<level>`` for each outcome level, lowest first.

    Examples
    --------
    >>> import copfactors as cf
    >>> from copfactors.distributed import score_columns
    >>> survey = cf.load_example_survey()
    >>> y = cf.attainment(survey)
    >>> builder = cf.CoPFeatureBuilder(exclude="sponsor").fit(survey[y.notna()])
    >>> X = builder.transform(survey[y.notna()])
    >>> model = (builder, cf.OrdinalRegression().fit(X, y[X.index].astype(int)))
    >>> score_columns(model)[2:]
    ['p_2', 'p_3', 'p_4', 'p_5']
    """
    _, regression = _parts(model)
    from copfactors.models._ordinal import _label

    return ["p_attained", "expected_attainment", *(f"p_{_label(c)}" for c in regression.classes_)]


def score_frame(members: pd.DataFrame, model: Any, *, level: Any = 4) -> pd.DataFrame:
    """Score a pandas DataFrame of members: what :func:`score_dask` does to each partition.

    Parameters
    ----------
    members : pandas.DataFrame
        Rows with the codebook's columns (a survey, or planned members).
    model : attainment model or (builder, regression)
        See :func:`score_dask`.
    level : int or label, default 4
        ``p_attained`` is the probability of this level or a higher one.

    Returns
    -------
    pandas.DataFrame
        Columns :func:`score_columns`, float64, indexed like the rows the builder kept.

    Examples
    --------
    >>> import copfactors as cf
    >>> from copfactors.distributed import score_frame
    >>> survey = cf.load_example_survey()
    >>> y = cf.attainment(survey)
    >>> builder = cf.CoPFeatureBuilder(exclude="sponsor").fit(survey[y.notna()])
    >>> X = builder.transform(survey[y.notna()])
    >>> model = (builder, cf.OrdinalRegression().fit(X, y[X.index].astype(int)))
    >>> scored = score_frame(survey.head(3), model)
    >>> bool(scored["p_attained"].between(0, 1).all())
    True
    """
    builder, regression = _parts(model)
    columns = score_columns((builder, regression))
    attained = _attained_mask(regression.classes_, level)
    if len(members) == 0:
        return _empty(columns, members.index)
    X = builder.transform(members)
    if len(X) == 0:
        return _empty(columns, X.index)
    proba = regression.predict_proba(X)
    out = np.column_stack([proba[:, attained].sum(axis=1), regression.predict_expected(X), proba])
    return pd.DataFrame(out, index=X.index, columns=columns)


def _empty(columns: list[str], index: pd.Index) -> pd.DataFrame:
    return pd.DataFrame({c: np.empty(0, dtype=np.float64) for c in columns}, index=index[:0])


def _slim(regression: Any) -> Any:
    """A copy of the regression without its training rows: enough to predict, small to ship."""
    slim = copy.copy(regression)
    slim.__dict__.pop("_data", None)
    return slim


def score_dask(ddf: dd.DataFrame, model: Any, *, level: Any = 4) -> dd.DataFrame:
    """Score a Dask DataFrame of members partition by partition.

    Each partition goes through the model's fitted feature builder and ordinal regression
    (:func:`score_frame`) with ``map_partitions``; the output's schema is declared (``meta``)
    so nothing is computed until asked. Each partition's scores are exactly those of
    :func:`score_frame` on that partition; against scoring the whole table at once they can
    differ in the last bit (BLAS sums blocks of rows in another order). The model goes into
    the graph once, as one ``dask.delayed`` object shared by every partition, without the
    regression's stored training rows, so each worker receives it once whatever the number of
    partitions.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Members with the codebook's columns (e.g. ``dd.read_parquet`` of a large survey
        export, or planned members).
    model : attainment model or (builder, regression)
        An attainment model (an object with fitted ``builder`` and ``regression``, as
        returned by :func:`copfactors.fit_attainment_model` or :func:`copfactors.load_model`),
        or a pair of a fitted :class:`~copfactors.features.CoPFeatureBuilder` and the
        :class:`~copfactors.models.OrdinalRegression` fitted on its features.
    level : int or label, default 4
        ``p_attained`` is ``P(Y >= level)`` (4 = "attained" on the 1-5 scale).

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; columns ``p_attained``, ``expected_attainment``, ``p_<level>`` per outcome
        level (:func:`score_columns`), float64, indexed like ``ddf``. With the builder's
        ``missing="drop"``, members missing a value the features need are left out (their
        index is absent).

    Raises
    ------
    CopFactorsError
        If ``ddf`` is not a Dask DataFrame, ``model`` is neither form, or no level is at or
        above ``level``.

    Examples
    --------
    >>> import numpy as np
    >>> import copfactors as cf
    >>> import dask.dataframe as dd
    >>> survey = cf.load_example_survey()
    >>> y = cf.attainment(survey)
    >>> builder = cf.CoPFeatureBuilder(exclude="sponsor").fit(survey[y.notna()])
    >>> X = builder.transform(survey[y.notna()])
    >>> model = (builder, cf.OrdinalRegression().fit(X, y[X.index].astype(int)))
    >>> scored = cf.score_dask(dd.from_pandas(survey, npartitions=4), model).compute()
    >>> from copfactors.distributed import score_frame
    >>> direct = score_frame(survey, model)
    >>> bool(scored.index.equals(direct.index) and np.allclose(scored, direct, rtol=1e-12))
    True
    """
    import dask
    import dask.dataframe as dd

    if not isinstance(ddf, dd.DataFrame):
        raise CopFactorsError(
            f"score_dask needs a dask DataFrame, got {type(ddf).__name__}; for a pandas "
            "DataFrame use copfactors.distributed.score_frame, or dd.from_pandas first"
        )
    builder, regression = _parts(model)
    columns = score_columns((builder, regression))
    _attained_mask(regression.classes_, level)  # refuse a bad level now, not at compute
    meta = _empty(columns, ddf._meta.index)
    shared = dask.delayed((builder, _slim(regression)), pure=True)
    return ddf.map_partitions(_score_partition, shared, level, meta=meta, align_dataframes=False)


def _score_partition(part: pd.DataFrame, model: tuple[Any, Any], level: Any) -> pd.DataFrame:
    return score_frame(part, model, level=level)
