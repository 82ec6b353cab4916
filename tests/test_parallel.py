"""Bootstrap through joblib: interval formulas, seeds, chunking, failures and resampling units."""

from __future__ import annotations

import dataclasses
import warnings

import joblib
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.base import clone

from copfactors import parallel
from copfactors.errors import CopFactorsWarning
from copfactors.models import ModelInputError, OrdinalRegression
from copfactors.parallel import (
    BootstrapResult,
    acceleration,
    bca_interval,
    bias_correction,
    chunk_bounds,
    percentile_interval,
    replicate_seeds,
)
from helpers import simulate_ordinal

BETA = {"commitment": 0.8, "hours_per_week": -0.5}
THRESHOLDS = [-1.0, 0.5, 1.5]
N = 100


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series]:
    return simulate_ordinal(N, BETA, THRESHOLDS, seed=11)


@pytest.fixture(scope="module")
def serial(data) -> BootstrapResult:
    X, y = data
    return OrdinalRegression().bootstrap(X, y, n_boot=40, random_state=5)


def _draw(seed: np.random.SeedSequence, n_units: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n_units, n_units)


# --------------------------------------------------------------------------- interval formulas
def _scipy_resamples(x: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    # scipy.stats.bootstrap (one sample, batch=None) draws all indices in one call:
    # rng.integers(0, n, (n_resamples, n)); the percentile test below checks this holds
    return np.random.default_rng(seed).integers(0, len(x), (n_resamples, len(x)))


@pytest.mark.parametrize("statistic", [np.mean, np.median, np.std])
def test_bca_matches_scipy_on_the_same_resamples(statistic):
    x = np.random.default_rng(3).lognormal(size=35)
    idx = _scipy_resamples(x, 2000, seed=42)
    boot = statistic(x[idx], axis=1)
    jack = np.array([statistic(np.delete(x, i)) for i in range(len(x))])

    kwargs = {"n_resamples": 2000, "confidence_level": 0.9}
    pct = stats.bootstrap(
        (x,), statistic, method="percentile", rng=np.random.default_rng(42), **kwargs
    )
    # identical resamples: the percentile limits agree to rounding
    assert_allclose(percentile_interval(boot, alpha=0.1), pct.confidence_interval, rtol=1e-12)
    assert_allclose(boot, pct.bootstrap_distribution, rtol=1e-12)

    bca = stats.bootstrap((x,), statistic, method="BCa", rng=np.random.default_rng(42), **kwargs)
    assert_allclose(
        bca_interval(statistic(x), boot, jack, alpha=0.1), bca.confidence_interval, rtol=1e-10
    )


def test_bca_against_the_textbook_formula():
    # Efron and Tibshirani (1993), eqs. 14.10, 14.14 and 14.15, written out term by term
    rng = np.random.default_rng(8)
    theta_hat = 1.3
    boot = rng.gamma(4.0, 0.35, size=499)
    jack = rng.normal(1.3, 0.05, size=25) ** 3 / 1.3**2
    share_below = (np.sum(boot < theta_hat) + 0.5 * np.sum(boot == theta_hat)) / len(boot)
    z0 = stats.norm.ppf(share_below)
    d = jack.mean() - jack
    a = np.sum(d**3) / (6.0 * np.sum(d**2) ** 1.5)
    z = stats.norm.ppf(0.025)
    alpha1 = stats.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
    alpha2 = stats.norm.cdf(z0 + (z0 - z) / (1 - a * (z0 - z)))
    expected = np.quantile(boot, [alpha1, alpha2])

    assert_allclose(bias_correction(theta_hat, boot), z0, rtol=1e-12)
    assert_allclose(acceleration(jack), a, rtol=1e-12)
    assert_allclose(bca_interval(theta_hat, boot, jack), expected, rtol=1e-12)
    assert a != 0 and z0 != 0  # both corrections are at work in this example


def test_bca_is_close_to_percentile_for_a_symmetric_statistic():
    x = np.random.default_rng(0).normal(size=400)
    idx = np.random.default_rng(1).integers(0, 400, (4000, 400))
    boot = x[idx].mean(axis=1)
    jack = (x.sum() - x) / 399
    pct = percentile_interval(boot)
    bca = bca_interval(x.mean(), boot, jack)
    width = pct[1] - pct[0]
    assert abs(acceleration(jack)) < 0.01
    assert_allclose(bca, pct, atol=0.05 * width)


def test_bca_moves_the_interval_for_a_skewed_statistic():
    # the mean of an exponential sample: right-skewed, so BCa shifts both limits up
    x = np.random.default_rng(2).exponential(size=30)
    idx = np.random.default_rng(3).integers(0, 30, (4000, 30))
    boot = x[idx].mean(axis=1)
    jack = (x.sum() - x) / 29
    pct = percentile_interval(boot)
    bca = bca_interval(x.mean(), boot, jack)
    assert acceleration(jack) > 0
    assert bca[0] > pct[0] and bca[1] > pct[1]


def test_bca_vectorised_over_parameters_equals_column_by_column():
    rng = np.random.default_rng(4)
    boot = rng.normal(size=(300, 3)) * [1.0, 2.0, 0.5] + [0.0, 1.0, -1.0]
    jack = rng.normal(size=(20, 3)) ** 2
    theta = np.array([0.1, 0.9, -1.1])
    both = bca_interval(theta, boot, jack, alpha=0.2)
    assert both.shape == (2, 3)
    for j in range(3):
        assert_allclose(both[:, j], bca_interval(theta[j], boot[:, j], jack[:, j], alpha=0.2))


def test_bca_is_nan_when_every_replicate_is_on_one_side():
    boot = np.array([2.0, 3.0, 4.0, 5.0])
    assert np.isinf(bias_correction(1.0, boot))
    assert np.isnan(bca_interval(1.0, boot, np.array([0.9, 1.0, 1.2]))).all()
    assert np.isnan(acceleration(np.ones(5)))


def test_percentile_interval_rejects_a_bad_alpha():
    with pytest.raises(ModelInputError, match="alpha"):
        percentile_interval(np.arange(5.0), alpha=1.5)


# --------------------------------------------------------------------------- seeds and chunks
def test_replicate_seeds_are_spawned_children():
    seeds = replicate_seeds(9, 5)
    spawned = np.random.SeedSequence(9).spawn(2)[0].spawn(5)
    for a, b in zip(seeds, spawned, strict=True):
        assert_array_equal(a.generate_state(4), b.generate_state(4))
    assert seeds[3].spawn_key == (0, 3)
    # a longer run starts with the same seeds
    assert_array_equal(replicate_seeds(9, 50)[4].generate_state(4), seeds[4].generate_state(4))


def test_chunk_bounds_cover_every_item_once():
    for n_items, n_jobs in [(1, 2), (7, 3), (1000, 2), (5, None)]:
        bounds = chunk_bounds(n_items, n_jobs)
        covered = np.concatenate([np.arange(a, b) for a, b in bounds])
        assert_array_equal(covered, np.arange(n_items))
    assert chunk_bounds(0, 2) == []
    assert len(chunk_bounds(100, 1)) == 1


# --------------------------------------------------------------------------- bootstrap
def test_estimate_is_the_models_fit(data, serial):
    X, y = data
    model = OrdinalRegression().fit(X, y)
    assert_array_equal(serial.estimate.to_numpy(), model.params_.to_numpy())
    assert serial.estimate.index.tolist() == ["1|2", "2|3", "3|4", *BETA]
    assert serial.replicates.shape == (40, 5)
    assert serial.failures == 0 and serial.resampling == "case"
    assert serial.jackknife.shape == (N, 5) and serial.jackknife_kind == "exact"


def test_each_replicate_is_a_refit_on_its_own_resample(data, serial):
    X, y = data
    seeds = replicate_seeds(5, 40)
    for i in (0, 17, 39):
        rows = _draw(seeds[i], len(X))
        refit = OrdinalRegression().fit(X.iloc[rows], y.iloc[rows])
        assert_allclose(
            serial.replicates.loc[i].to_numpy(), refit.params_.to_numpy(), rtol=1e-12, atol=1e-12
        )


def test_jackknife_rows_leave_one_row_out(data, serial):
    X, y = data
    for i in (0, N - 1):
        keep = np.arange(len(X)) != i
        refit = OrdinalRegression().fit(X[keep], y[keep])
        assert_allclose(
            serial.jackknife.loc[i].to_numpy(), refit.params_.to_numpy(), rtol=1e-12, atol=1e-12
        )


@pytest.mark.parametrize(
    "config",
    [{"n_jobs": 2}, {"backend": "threading", "n_jobs": 3}, {"backend": "loky", "n_jobs": 2}],
)
def test_same_result_whatever_the_backend_and_chunking(data, serial, config):
    X, y = data
    if "backend" in config:
        with joblib.parallel_config(**config):
            res = OrdinalRegression().bootstrap(X, y, n_boot=40, random_state=5)
    else:
        res = OrdinalRegression().bootstrap(X, y, n_boot=40, random_state=5, **config)
    # exact: the same refits on this machine's kernel, single-threaded BLAS in every process,
    # per-replicate seeds; only the process that runs each replicate differs
    assert_array_equal(res.replicates.to_numpy(), serial.replicates.to_numpy())
    assert_array_equal(res.jackknife.to_numpy(), serial.jackknife.to_numpy())
    pd.testing.assert_frame_equal(res.summary(), serial.summary())


def test_a_shorter_run_is_the_start_of_a_longer_one(data, serial):
    X, y = data
    short = OrdinalRegression().bootstrap(X, y, n_boot=15, random_state=5)
    assert_array_equal(short.replicates.to_numpy(), serial.replicates.to_numpy()[:15])
    other = OrdinalRegression().bootstrap(X, y, n_boot=15, random_state=6)
    assert not np.array_equal(other.replicates.to_numpy(), short.replicates.to_numpy())


def test_boot_se_is_close_to_the_model_se():
    X, y = simulate_ordinal(300, BETA, THRESHOLDS, seed=2)
    model = OrdinalRegression().fit(X, y)
    res = model.bootstrap(X, y, n_boot=120, random_state=1)
    ratio = res.boot_se / model.se_
    assert ratio.between(0.75, 1.35).all(), ratio
    # and the intervals cover the estimate
    for ci in (res.ci_percentile, res.ci_bca):
        assert ((ci["low"] < res.estimate) & (res.estimate < ci["high"])).all()


def test_summary_table(serial):
    table = serial.summary()
    assert table.columns.tolist() == [
        "term",
        "estimate",
        "boot_se",
        "bias",
        "pct_low",
        "pct_high",
        "bca_low",
        "bca_high",
        "z0",
        "acceleration",
    ]
    assert_allclose(table["boot_se"], serial.replicates.std(ddof=1).to_numpy())
    assert_allclose(table["bias"], (serial.replicates.mean() - serial.estimate).to_numpy())
    assert table.attrs["n_ok"] == 40 and table.attrs["alpha"] == 0.05
    assert "40 of 40 bootstrap replicates" in table.attrs["notes"][0]
    assert "n_ok=40" in repr(serial)


def test_alpha_sets_the_interval_level(data, serial):
    X, y = data
    # the model's alpha by default; the replicates do not depend on it
    wide = OrdinalRegression(alpha=0.01).bootstrap(X, y, n_boot=40, random_state=5)
    assert wide.alpha == 0.01
    assert_array_equal(wide.replicates.to_numpy(), serial.replicates.to_numpy())
    assert (wide.ci_percentile["low"] < serial.ci_percentile["low"]).all()
    assert (wide.ci_bca["high"] > serial.ci_bca["high"]).all()
    narrow = dataclasses.replace(serial, alpha=0.5)
    assert_allclose(narrow.ci_percentile.T, percentile_interval(serial.replicates, 0.5))
    assert (narrow.ci_percentile["high"] < serial.ci_percentile["high"]).all()


def test_unfitted_model_is_fitted_and_a_foreign_fit_is_refused(data):
    X, y = data
    model = OrdinalRegression()
    model.bootstrap(X, y, n_boot=3)
    assert hasattr(model, "params_")
    other = OrdinalRegression().fit(X.iloc[:70], y.iloc[:70])
    with pytest.raises(ModelInputError, match="same X, y and sample_weight"):
        other.bootstrap(X, y, n_boot=3)


def test_replicates_that_lose_a_level_are_dropped_and_counted():
    X, y = simulate_ordinal(60, BETA, THRESHOLDS, seed=4)
    codes = y.cat.codes.to_numpy().copy()
    codes[codes == 3] = 2
    codes[0] = 3  # the top level has one row: resamples without row 0 lose it
    y = pd.Series(pd.Categorical.from_codes(codes, [1, 2, 3, 4], ordered=True))
    with pytest.warns(CopFactorsWarning, match="bootstrap replicates were dropped"):
        res = OrdinalRegression().bootstrap(X, y, n_boot=30, random_state=2)
    lost = [i for i, s in enumerate(replicate_seeds(2, 30)) if 0 not in _draw(s, 60)]
    assert 0 < len(lost) < 30
    assert res.failures == len(lost)
    assert res.failure_reasons == {"lost_level": len(lost)}
    assert sorted(set(range(30)) - set(res.replicates.index)) == lost
    # leaving row 0 out of the jackknife loses the level too
    assert res.jackknife_failures == 1 and res.jackknife.iloc[0].isna().all()
    assert np.isfinite(res.ci_bca.to_numpy()).all()


def test_replicates_that_do_not_converge_are_dropped():
    X, y = simulate_ordinal(60, {"a": 1.5, "b": -1.5}, THRESHOLDS, seed=2)
    model = OrdinalRegression(max_iter=5).fit(X, y)  # converges in 5 Newton steps
    assert model.converged_
    with pytest.warns(CopFactorsWarning, match="not_converged"):
        res = model.bootstrap(X, y, n_boot=30, random_state=0)
    slow = []
    for i, seed in enumerate(replicate_seeds(0, 30)):
        rows = _draw(seed, 60)
        if OrdinalRegression().fit(X.iloc[rows], y.iloc[rows]).n_iter_ > 5:
            slow.append(i)
    assert 0 < len(slow) < 30
    assert res.failure_reasons == {"not_converged": len(slow)}
    assert sorted(set(range(30)) - set(res.replicates.index)) == slow


def test_every_failed_replicate_raises(data):
    X, y = data
    model = OrdinalRegression(max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    with pytest.raises(ModelInputError, match=r"every one of the 4 .*not_converged"):
        model.bootstrap(X, y, n_boot=4)


def test_cluster_resampling_draws_whole_clusters(data):
    X, y = data
    groups = np.repeat([f"cop_{k:02d}" for k in range(10)], 10)
    res = OrdinalRegression().bootstrap(
        X, y, n_boot=10, random_state=3, groups=groups, cluster_resample=True
    )
    assert res.resampling == "cluster" and res.n_units == 10
    assert res.jackknife.shape[0] == 10
    seeds = replicate_seeds(3, 10)
    i = 4
    drawn = _draw(seeds[i], 10)
    rows = np.concatenate([np.arange(10 * g, 10 * g + 10) for g in drawn])
    refit = OrdinalRegression().fit(X.iloc[rows], y.iloc[rows])
    assert_allclose(res.replicates.loc[i].to_numpy(), refit.params_.to_numpy(), rtol=1e-12)
    keep = groups != "cop_02"
    jack = OrdinalRegression().fit(X[keep], y[keep])
    assert_allclose(res.jackknife.loc[2].to_numpy(), jack.params_.to_numpy(), rtol=1e-12)


def test_large_samples_use_a_grouped_jackknife(data, monkeypatch):
    X, y = data
    from copfactors.models import _bootstrap

    monkeypatch.setattr(_bootstrap, "JACKKNIFE_EXACT_MAX", 50)
    monkeypatch.setattr(_bootstrap, "JACKKNIFE_GROUPS", 10)
    res = OrdinalRegression().bootstrap(X, y, n_boot=10, random_state=5)
    assert res.jackknife_kind == "grouped" and res.jackknife.shape == (10, 5)
    assert any("grouped jackknife (10 groups" in note for note in res.notes())
    # each group leaves out 10 rows, chosen by the jackknife branch of the seed
    perm = np.random.default_rng(np.random.SeedSequence(5).spawn(2)[1]).permutation(N)
    left_out = perm[np.arange(N) % 10 == 0]
    keep = np.setdiff1d(np.arange(N), left_out)
    refit = OrdinalRegression().fit(X.iloc[keep], y.iloc[keep])
    assert_allclose(res.jackknife.loc[0].to_numpy(), refit.params_.to_numpy(), rtol=1e-12)


def test_weights_are_resampled_with_their_rows_and_zero_weights_ignored(data):
    X, y = data
    w = np.resize([1.0, 2.0, 3.0], N)
    res = OrdinalRegression().bootstrap(X, y, n_boot=6, random_state=1, sample_weight=w)
    rows = _draw(replicate_seeds(1, 6)[5], N)
    refit = OrdinalRegression().fit(X.iloc[rows], y.iloc[rows], sample_weight=w[rows])
    assert_allclose(res.replicates.loc[5].to_numpy(), refit.params_.to_numpy(), rtol=1e-12)

    w0 = np.where(np.arange(N) < 20, 0.0, 1.0)
    zero = OrdinalRegression().bootstrap(X, y, n_boot=6, random_state=1, sample_weight=w0)
    dropped = OrdinalRegression().bootstrap(X.iloc[20:], y.iloc[20:], n_boot=6, random_state=1)
    assert_array_equal(zero.replicates.to_numpy(), dropped.replicates.to_numpy())
    assert zero.n_units == N - 20


def test_none_seed_records_its_entropy(data):
    X, y = data
    res = OrdinalRegression().bootstrap(X.iloc[:80], y.iloc[:80], n_boot=4, random_state=None)
    again = OrdinalRegression().bootstrap(
        X.iloc[:80], y.iloc[:80], n_boot=4, random_state=res.random_state
    )
    assert_array_equal(res.replicates.to_numpy(), again.replicates.to_numpy())


def test_numpy_inputs_and_nominal_effects(data):
    X, y = data
    model = OrdinalRegression(nominal=["hours_per_week"])
    res = model.bootstrap(X, y, n_boot=5, random_state=0)
    assert res.estimate.index.tolist() == model.params_.index.tolist()
    rows = _draw(replicate_seeds(0, 5)[1], N)
    refit = clone(model).fit(X.iloc[rows], y.iloc[rows])
    assert_allclose(res.replicates.loc[1].to_numpy(), refit.params_.to_numpy(), rtol=1e-12)
    arr = OrdinalRegression().bootstrap(X.to_numpy(), y.cat.codes.to_numpy(), n_boot=5)
    named = OrdinalRegression().bootstrap(X, y, n_boot=5)
    assert_array_equal(arr.replicates.to_numpy(), named.replicates.to_numpy())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_boot": 1}, "n_boot"),
        ({"n_boot": 2.5}, "n_boot"),
        ({"alpha": 0.0}, "alpha"),
        ({"random_state": -1}, "random_state"),
        ({"random_state": "seed"}, "random_state"),
        ({"cluster_resample": True}, "needs groups"),
    ],
)
def test_bad_arguments(data, kwargs, match):
    X, y = data
    with pytest.raises(ModelInputError, match=match):
        OrdinalRegression().bootstrap(X, y, **kwargs)


@pytest.mark.parametrize("bad", [0, 1.5, True, "2"])
def test_n_jobs_is_checked_before_any_work(bad):
    with pytest.raises(
        ModelInputError, match=f"n_jobs must be None or a non-zero integer.*{bad!r}"
    ):
        parallel.check_n_jobs(bad)
    x = np.random.default_rng(0).normal(size=(40, 1))
    y = np.digitize(x[:, 0], [-0.5, 0.5])
    with pytest.raises(ModelInputError, match="n_jobs must be"):
        OrdinalRegression().bootstrap(x, y, n_boot=5, n_jobs=bad)
    assert parallel.check_n_jobs(np.int64(-2)) == -2
