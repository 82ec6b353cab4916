"""On a Dask cluster: the same bootstrap, dominance and cross-validation as serially; score_dask.

One ``distributed.LocalCluster`` (2 worker processes of this interpreter, 1 thread each) serves
the whole module. Each joblib computation is run serially and under
``joblib.parallel_config(backend="dask")``, and the results must be identical, not close: the
seeds are per replicate (or fixed folds and subsets) and each refit is deterministic. A task
stream records that the work really ran on the cluster's workers.
"""

from __future__ import annotations

import logging
import types

import dask.dataframe as dd
import joblib
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster, get_task_stream
from numpy.testing import assert_array_equal

import copfactors as cf
from copfactors.distributed import score_columns, score_dask, score_frame
from copfactors.errors import CopFactorsError
from copfactors.explain import compare_models, drivers
from copfactors.models import OrdinalRegression
from helpers import simulate_ordinal

BETA = {"commitment": 0.9, "steward_active": 0.5, "hours_per_week": 0.3, "org_support": 0.0}


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    return simulate_ordinal(120, BETA, [-1.0, 0.5, 1.5], seed=21)


def _on_dask(client, func):
    """Run ``func`` under the Dask joblib backend; return its result and the tasks' workers."""
    with get_task_stream(client) as stream, joblib.parallel_config(backend="dask"):
        result = func()
    return result, {task["worker"] for task in stream.data}


def test_the_cluster_has_two_worker_processes(client):
    assert len(client.scheduler_info()["workers"]) == 2
    assert joblib.effective_n_jobs(None) == 1
    with joblib.parallel_config(backend="dask"):
        # joblib's Dask backend counts the cluster's cores; n_jobs=1 still means "here"
        assert joblib.effective_n_jobs(None) == joblib.effective_n_jobs(-1) == 2
        assert joblib.effective_n_jobs(1) == 1


def test_bootstrap_on_dask_equals_serial(client, data):
    X, y = data[0].iloc[:80], data[1].iloc[:80]
    serial = OrdinalRegression().bootstrap(X, y, n_boot=24, random_state=4)
    on_dask, workers = _on_dask(
        client, lambda: OrdinalRegression().bootstrap(X, y, n_boot=24, random_state=4)
    )
    assert len(workers) == 2  # both worker processes took chunks
    assert_array_equal(on_dask.replicates.to_numpy(), serial.replicates.to_numpy())
    assert_array_equal(on_dask.jackknife.to_numpy(), serial.jackknife.to_numpy())
    pd.testing.assert_frame_equal(on_dask.summary(), serial.summary())


def test_cluster_bootstrap_on_dask_equals_serial(client, data):
    X, y = data
    groups = np.repeat(np.arange(12), 10)
    kwargs = {"n_boot": 12, "random_state": 1, "groups": groups, "cluster_resample": True}
    serial = OrdinalRegression().bootstrap(X, y, **kwargs)
    on_dask, workers = _on_dask(client, lambda: OrdinalRegression().bootstrap(X, y, **kwargs))
    assert workers
    assert_array_equal(on_dask.replicates.to_numpy(), serial.replicates.to_numpy())
    assert on_dask.failures == serial.failures


def test_dominance_on_dask_equals_serial(client, data):
    X, y = data
    model = OrdinalRegression().fit(X, y)
    serial = drivers(model, X, y=y, importance="exact", po_test=None)
    on_dask, workers = _on_dask(
        client, lambda: drivers(model, X, y=y, importance="exact", po_test=None)
    )
    assert workers
    shares = serial.table["importance_share"].to_numpy()
    assert np.isfinite(shares).all()
    assert_array_equal(on_dask.table["importance_share"].to_numpy(), shares)
    pd.testing.assert_frame_equal(on_dask.table, serial.table)


def test_cross_validation_on_dask_equals_serial(client, data):
    X, y = data
    y_num = y.cat.codes.to_numpy() + 1

    def run() -> pd.DataFrame:
        return compare_models(X, y_num, models=["ordinal_logit", "binary_logit"], cv=3, threshold=3)

    serial = run()
    on_dask, workers = _on_dask(client, run)
    assert workers
    pd.testing.assert_frame_equal(on_dask, serial)
    pd.testing.assert_frame_equal(on_dask.attrs["folds"], serial.attrs["folds"])


# --------------------------------------------------------------------------- score_dask
@pytest.fixture(scope="module")
def scoring() -> tuple[pd.DataFrame, tuple]:
    survey = cf.load_example_survey()
    y = cf.attainment(survey)
    answered = survey[y.notna()]
    builder = cf.CoPFeatureBuilder(exclude="sponsor").fit(answered)
    X = builder.transform(answered)
    regression = OrdinalRegression().fit(X, y[X.index].astype(int))
    return survey, (builder, regression)


def test_score_dask_equals_scoring_the_pandas_frame(client, scoring):
    survey, model = scoring
    ddf = dd.from_pandas(survey, npartitions=4)
    lazy = score_dask(ddf, model)
    assert lazy.npartitions == 4
    assert lazy.columns.tolist() == [
        "p_attained",
        "expected_attainment",
        "p_2",
        "p_3",
        "p_4",
        "p_5",
    ]
    with get_task_stream(client) as stream:
        scored = lazy.compute()
    assert {task["worker"] for task in stream.data}
    direct = score_frame(survey, model)
    # the builder drops members with missing drivers, here and there alike
    assert scored.index.equals(direct.index) and len(scored) == 169
    pd.testing.assert_frame_equal(scored, direct, check_exact=False, rtol=1e-12, atol=1e-15)
    # partition by partition, the scores are bit for bit those of the pandas partitions
    by_part = pd.concat([score_frame(ddf.get_partition(k).compute(), model) for k in range(4)])
    pd.testing.assert_frame_equal(scored, by_part, check_exact=True)


def test_scores_are_the_models_predictions(scoring):
    survey, (builder, regression) = scoring
    scored = score_frame(survey, (builder, regression), level=4)
    X = builder.transform(survey)
    proba = regression.predict_proba(X)
    assert_array_equal(scored[["p_2", "p_3", "p_4", "p_5"]].to_numpy(), proba)
    assert_array_equal(scored["p_attained"].to_numpy(), proba[:, 2:].sum(axis=1))
    assert_array_equal(scored["expected_attainment"].to_numpy(), regression.predict_expected(X))
    lower = score_frame(survey, (builder, regression), level=3)["p_attained"]
    assert (lower >= scored["p_attained"]).all()


def test_score_dask_accepts_an_attainment_model(scoring):
    survey, (builder, regression) = scoring
    # any object with a fitted builder and regression, as the saved attainment models have
    bundle = types.SimpleNamespace(builder=builder, regression=regression)
    ddf = dd.from_pandas(survey, npartitions=2)
    pd.testing.assert_frame_equal(
        score_dask(ddf, bundle).compute(scheduler="sync"),
        score_dask(ddf, (builder, regression)).compute(scheduler="sync"),
    )
    assert score_columns(bundle)[:2] == ["p_attained", "expected_attainment"]


def test_the_graph_carries_the_model_once_without_its_training_rows(scoring):
    survey, (builder, regression) = scoring
    lazy = score_dask(dd.from_pandas(survey, npartitions=5), (builder, regression))
    graph = dict(lazy.__dask_graph__())
    models = [
        node.value
        for node in graph.values()
        if isinstance(getattr(node, "value", None), tuple) and node.value[0] is builder
    ]
    assert len(models) == 1  # one graph key shared by the 5 partitions
    shipped = models[0][1]
    assert not hasattr(shipped, "_data") and hasattr(regression, "_data")
    assert_array_equal(shipped.params_.to_numpy(), regression.params_.to_numpy())


def test_score_dask_input_errors(scoring):
    survey, model = scoring
    with pytest.raises(CopFactorsError, match="needs a dask DataFrame"):
        score_dask(survey, model)
    ddf = dd.from_pandas(survey, npartitions=2)
    with pytest.raises(CopFactorsError, match="builder"):
        score_dask(ddf, "model.json")
    with pytest.raises(CopFactorsError, match="no outcome level is at or above"):
        score_dask(ddf, model, level=6)


def test_empty_partitions_score_to_empty_frames(scoring):
    survey, model = scoring
    empty = score_frame(survey.iloc[:0], model)
    assert empty.columns.tolist() == score_columns(model) and len(empty) == 0
    assert (empty.dtypes == np.float64).all()
