"""Scoring large member tables on Dask, partition by partition.

The repeated refits of copfactors (bootstrap, cross-validation, dominance subsets) need no
code here: they run through ``joblib.Parallel``, so ``joblib.parallel_config(backend="dask")``
inside a ``dask.distributed.Client`` sends them to a cluster (:mod:`copfactors.parallel`,
``docs/cluster.md``). What does need code is a table of members too large for one machine's
memory: :func:`score_dask` scores a Dask DataFrame with ``map_partitions``, and
:func:`score_frame` does the same to one pandas DataFrame (a partition).

The scores are those of :func:`copfactors.score_many`, per member instead of averaged over a
plan's members: ``probability`` (``P(attainment >= level)``), ``expected`` (the expected
attainment score) and ``p_<level>`` for each level, at the model's estimates.

Dask is an optional dependency (``pip install "copfactors[dask]"``); it is imported inside
:func:`score_dask`, never when copfactors is imported.

Examples
--------
>>> import copfactors as cf
>>> import dask.dataframe as dd
>>> survey = cf.load_example_survey()
>>> model = cf.fit_attainment_model(survey, builder=cf.CoPFeatureBuilder(exclude="sponsor"))
>>> scored = cf.score_dask(dd.from_pandas(survey, npartitions=3), model)
>>> scored.columns[:2].tolist()
['probability', 'expected']
"""

from __future__ import annotations

import copy
import os
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from copfactors.errors import CopFactorsError

if TYPE_CHECKING:  # pragma: no cover
    import dask.dataframe as dd

__all__ = ["score_columns", "score_dask", "score_frame"]


def _parts(model: Any) -> tuple[Any, Any]:
    """The fitted feature builder and regression of an attainment model, file or pair."""
    if isinstance(model, tuple | list):
        if len(model) != 2:
            raise CopFactorsError(
                "a model given as a sequence must be a (builder, regression) pair, got "
                f"{len(model)} items"
            )
        builder, regression = model
    elif isinstance(model, str | os.PathLike) or model is None or hasattr(model, "regression"):
        from copfactors.scoring import resolve_model

        resolved = resolve_model(model)
        builder, regression = resolved.builder, resolved.regression
    else:
        raise CopFactorsError(
            "model must be an AttainmentModel (copfactors.fit_attainment_model, load_model), a "
            "model file, None (the reference model) or a (builder, regression) pair, got "
            f"{type(model).__name__}"
        )
    if not hasattr(builder, "transform") or not hasattr(builder, "get_feature_names_out"):
        raise CopFactorsError(
            f"the builder must be a fitted CoPFeatureBuilder, got {type(builder).__name__}"
        )
    if not hasattr(regression, "predict_proba") or not hasattr(regression, "_class_scores"):
        raise CopFactorsError(
            f"the regression must be a fitted OrdinalRegression, got {type(regression).__name__}"
        )
    return builder, regression


def _level_position(regression: Any, level: Any) -> int:
    """Position of ``level`` among the outcome levels, by the rule of :func:`copfactors.score`."""
    from copfactors.scoring import level_index

    scores = np.asarray(regression._class_scores, dtype=float)
    return level_index(regression.classes_, scores, level)


def score_columns(model: Any) -> list[str]:
    """Columns of :func:`score_dask` and :func:`score_frame` for ``model``.

    ``probability`` (``P(attainment >= level)``), ``expected`` (the expected attainment
    score), then ``p_<level>`` for each outcome level, lowest first: the vocabulary of
    :func:`copfactors.score_many`.

    Examples
    --------
    >>> from copfactors.distributed import score_columns
    >>> score_columns(None)  # the reference model
    ['probability', 'expected', 'p_2', 'p_3', 'p_4', 'p_5']
    """
    from copfactors.scoring import plain_label

    _, regression = _parts(model)
    return ["probability", "expected", *(f"p_{plain_label(c)}" for c in regression.classes_)]


def score_frame(members: pd.DataFrame, model: Any, *, level: Any = 4) -> pd.DataFrame:
    """Score a pandas DataFrame of members: what :func:`score_dask` does to each partition.

    Parameters
    ----------
    members : pandas.DataFrame
        Rows with the codebook's columns (a survey, or ``PlannedCoP.to_members()``).
    model : AttainmentModel, path, None or (builder, regression)
        See :func:`score_dask`.
    level : int or label, default 4
        ``probability`` is that of this level or a higher one.

    Returns
    -------
    pandas.DataFrame
        Columns :func:`score_columns`, float64, indexed like the rows the builder kept. The
        mean over a plan's members is :func:`copfactors.score_many`'s row for the plan.

    Examples
    --------
    >>> import copfactors as cf
    >>> from copfactors.distributed import score_frame
    >>> plan = cf.PlannedCoP.from_dict({"name": "x", "composition": {"n_members": 8}})
    >>> scored = score_frame(plan.to_members(), None)
    >>> row = cf.score_many([plan]).iloc[0]
    >>> bool(abs(scored["probability"].mean() - row["probability"]) < 1e-12)
    True
    """
    builder, regression = _parts(model)
    columns = score_columns((builder, regression))
    k = _level_position(regression, level)
    if len(members) == 0:
        return _empty(columns, members.index)
    X = builder.transform(members)
    if len(X) == 0:
        return _empty(columns, X.index)
    proba = regression.predict_proba(X)
    out = np.column_stack([proba[:, k:].sum(axis=1), regression.predict_expected(X), proba])
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
    model : AttainmentModel, path, None or (builder, regression)
        An attainment model (:func:`copfactors.fit_attainment_model`,
        :func:`copfactors.load_model`), a model file, None for the reference model (fitted on
        SIMULATED data), or a pair of a fitted :class:`~copfactors.features.CoPFeatureBuilder`
        and the :class:`~copfactors.models.OrdinalRegression` fitted on its features.
    level : int or label, default 4
        ``probability`` is ``P(attainment >= level)`` (4 = "attained" on the 1-5 scale); a
        level of the model other than the lowest, as in :func:`copfactors.score`.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; columns ``probability``, ``expected`` and ``p_<level>`` per outcome level
        (:func:`score_columns`), float64, indexed like ``ddf``. With the builder's
        ``missing="drop"``, members missing a value the features need are left out (their
        index is absent).

    Raises
    ------
    CopFactorsError
        If ``ddf`` is not a Dask DataFrame, ``model`` is none of the accepted forms, or
        ``level`` is not a level of the model (or is its lowest).

    Examples
    --------
    >>> import numpy as np
    >>> import copfactors as cf
    >>> import dask.dataframe as dd
    >>> from copfactors.distributed import score_frame
    >>> survey = cf.load_example_survey()
    >>> model = cf.fit_attainment_model(survey, builder=cf.CoPFeatureBuilder(exclude="sponsor"))
    >>> scored = cf.score_dask(dd.from_pandas(survey, npartitions=4), model).compute()
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
    _level_position(regression, level)  # refuse a bad level now, not at compute time
    meta = _empty(columns, ddf._meta.index)
    shared = dask.delayed((builder, _slim(regression)), pure=True)
    return ddf.map_partitions(_score_partition, shared, level, meta=meta, align_dataframes=False)


def _score_partition(part: pd.DataFrame, model: tuple[Any, Any], level: Any) -> pd.DataFrame:
    return score_frame(part, model, level=level)
