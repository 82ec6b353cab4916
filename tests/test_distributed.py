"""On a Dask cluster: the same bootstrap, dominance, cross-validation and permutation tests as
serially; score_dask.

One ``distributed.LocalCluster`` (2 worker processes of this interpreter, 1 thread each) serves
the whole module. Each joblib computation is run serially and under
``joblib.parallel_config(backend="dask")``, and the results must be identical, not close: the
seeds are per replicate (or fixed folds and subsets) and each refit is deterministic. Exact
equality is sound here, unlike between machines: every worker is a process of this interpreter on
this CPU (same BLAS kernel), each fit runs its BLAS calls single-threaded in the parent and in
the workers alike, and each task computes the same sums in the same order. A task
stream records that the work really ran on the cluster's workers.
"""

from __future__ import annotations

import logging
from typing import Any

import dask.dataframe as dd
import joblib
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster, get_task_stream
from numpy.testing import assert_allclose, assert_array_equal

import copfactors as cf
from copfactors.distributed import score_columns, score_dask, score_frame
from copfactors.errors import CopFactorsError
from copfactors.inspection import compare_models, drivers
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
    pd.testing.assert_frame_equal(on_dask.summary(), serial.summary(), check_exact=True)


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
    weights = serial.table["importance_r2"].to_numpy()
    assert np.isfinite(weights).all()
    assert_array_equal(on_dask.table["importance_r2"].to_numpy(), weights)
    assert_array_equal(on_dask.table["importance_pct"].to_numpy(), serial.table["importance_pct"])
    pd.testing.assert_frame_equal(on_dask.table, serial.table, check_exact=True)


def test_cross_validation_on_dask_equals_serial(client, data):
    X, y = data
    y_num = y.cat.codes.to_numpy() + 1

    def run() -> pd.DataFrame:
        return compare_models(X, y_num, models=["ordinal_logit", "binary_logit"], cv=3, threshold=3)

    serial = run()
    on_dask, workers = _on_dask(client, run)
    assert workers
    pd.testing.assert_frame_equal(on_dask, serial, check_exact=True)
    pd.testing.assert_frame_equal(on_dask.attrs["folds"], serial.attrs["folds"], check_exact=True)


def test_claims_permutations_on_dask_equal_serial(client):
    from copfactors.claims import compare_with_paper

    survey = cf.load_example_survey()

    def run() -> pd.DataFrame:
        return compare_with_paper(survey, claims=["C6", "C10"], n_permutations=39).table

    serial = run()
    on_dask, workers = _on_dask(client, run)
    assert workers
    pd.testing.assert_frame_equal(on_dask, serial, check_exact=True)


# --------------------------------------------------------------------------- score_dask
@pytest.fixture(scope="module")
def scoring() -> tuple[pd.DataFrame, Any]:
    survey = cf.load_example_survey()
    model = cf.fit_attainment_model(survey, builder=cf.CoPFeatureBuilder(exclude="sponsor"))
    return survey, model


COLUMNS = ["probability", "expected", "p_2", "p_3", "p_4", "p_5"]


def test_score_dask_equals_scoring_the_pandas_frame(client, scoring):
    survey, model = scoring
    ddf = dd.from_pandas(survey, npartitions=4)
    lazy = score_dask(ddf, model)
    assert lazy.npartitions == 4
    assert lazy.columns.tolist() == COLUMNS
    with get_task_stream(client) as stream:
        scored = lazy.compute()
    assert {task["worker"] for task in stream.data}
    direct = score_frame(survey, model)
    # the builder drops members with missing drivers, here and there alike
    assert scored.index.equals(direct.index)
    assert len(scored) == len(model.features(survey)) < len(survey)
    pd.testing.assert_frame_equal(scored, direct, check_exact=False, rtol=1e-12, atol=1e-15)
    # partition by partition, the scores are bit for bit those of the pandas partitions
    by_part = pd.concat([score_frame(ddf.get_partition(k).compute(), model) for k in range(4)])
    pd.testing.assert_frame_equal(scored, by_part, check_exact=True)


def test_score_many_draws_on_dask_equal_serial(client, scoring, monkeypatch):
    from copfactors import scoring as scoring_module

    _, model = scoring
    plans = [
        {"name": f"plan {i}", "steward_type": "dedicated", "composition": {"n_members": 4 + i}}
        for i in range(8)
    ]
    monkeypatch.setattr(scoring_module, "_BLOCK", 50 * 20)  # several blocks of plans
    serial = cf.score_many(plans, model, n_draws=50)
    on_dask, workers = _on_dask(client, lambda: cf.score_many(plans, model, n_draws=50))
    assert workers
    pd.testing.assert_frame_equal(on_dask, serial, check_exact=True)


def test_scores_are_the_models_predictions(scoring):
    survey, model = scoring
    scored = score_frame(survey, model, level=4)
    proba = model.predict_proba(survey)
    assert_array_equal(scored[["p_2", "p_3", "p_4", "p_5"]].to_numpy(), proba.to_numpy())
    assert_array_equal(scored["probability"].to_numpy(), proba[[4, 5]].sum(axis=1).to_numpy())
    assert_array_equal(scored["expected"].to_numpy(), model.predict_expected(survey).to_numpy())
    lower = score_frame(survey, model, level=3)["probability"]
    assert (lower > scored["probability"]).all()


def test_the_mean_over_a_plans_members_is_score_many(scoring):
    _, model = scoring
    plans = [
        cf.PlannedCoP.from_dict({"name": "no steward", "composition": {"n_members": 9}}),
        cf.PlannedCoP.from_dict(
            {"name": "steward", "steward_type": "dedicated", "composition": {"n_members": 12}}
        ),
    ]
    table = cf.score_many(plans, model, flags=False)
    members = pd.concat([p.to_members() for p in plans], ignore_index=True)
    plan_of = np.repeat([0, 1], [9, 12])
    scored = score_dask(dd.from_pandas(members, npartitions=3), model).compute(scheduler="sync")
    means = scored.groupby(plan_of[scored.index]).mean()
    assert_allclose(means.to_numpy(), table[COLUMNS].to_numpy(), rtol=1e-12)


def test_a_pair_a_model_file_and_an_attainment_model_score_alike(scoring, tmp_path):
    survey, model = scoring
    cf.save_model(model, tmp_path / "model.json")
    ddf = dd.from_pandas(survey, npartitions=2)
    expected = score_dask(ddf, model).compute(scheduler="sync")
    for form in [
        (model.builder, model.regression),
        tmp_path / "model.json",
        str(tmp_path / "model.json"),
    ]:
        got = score_dask(ddf, form).compute(scheduler="sync")
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    # None is the reference model shipped with copfactors
    assert score_dask(ddf, None).columns.tolist() == score_columns(cf.scoring.reference_model())


def test_the_graph_carries_the_model_once_without_its_training_rows(scoring):
    survey, model = scoring
    lazy = score_dask(dd.from_pandas(survey, npartitions=5), model)
    graph = dict(lazy.__dask_graph__())
    shipped = [
        node.value
        for node in graph.values()
        if isinstance(getattr(node, "value", None), tuple) and node.value[0] is model.builder
    ]
    assert len(shipped) == 1  # one graph key shared by the 5 partitions
    regression = shipped[0][1]
    assert not hasattr(regression, "_data") and hasattr(model.regression, "_data")
    assert_array_equal(regression.params_.to_numpy(), model.regression.params_.to_numpy())


def test_score_dask_input_errors(scoring):
    survey, model = scoring
    with pytest.raises(CopFactorsError, match="needs a dask DataFrame"):
        score_dask(survey, model)
    ddf = dd.from_pandas(survey, npartitions=2)
    with pytest.raises(CopFactorsError, match="must be an AttainmentModel"):
        score_dask(ddf, 42)
    with pytest.raises(CopFactorsError, match="pair"):
        score_dask(ddf, (model.builder,))
    with pytest.raises(CopFactorsError, match="not a level"):
        score_dask(ddf, model, level=6)
    with pytest.raises(CopFactorsError, match="lowest level"):
        score_dask(ddf, model, level=2)


def test_empty_partitions_score_to_empty_frames(scoring):
    survey, model = scoring
    empty = score_frame(survey.iloc[:0], model)
    assert empty.columns.tolist() == COLUMNS and len(empty) == 0
    assert (empty.dtypes == np.float64).all()
