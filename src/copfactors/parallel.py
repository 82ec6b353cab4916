"""Repeated refits through joblib: the bootstrap of a fitted model and its intervals.

Every repeated loop of copfactors (bootstrap replicates and jackknife refits, cross-validation
folds and dominance subsets in :mod:`copfactors.inspection`, permutation tests of the claims,
parameter draws of scoring) runs through ``joblib.Parallel(n_jobs=n_jobs)``. With ``n_jobs=2``
it uses two local processes; inside ``joblib.parallel_config(backend="dask")`` with a
``dask.distributed.Client`` it runs on a Dask cluster (see ``docs/cluster.md``). The results do
not depend on where the work runs:

* the replicates are cut into chunks, one joblib task per chunk;
* replicate ``i`` draws its resample from its own generator,
  ``numpy.random.default_rng(SeedSequence(random_state).spawn(2)[0].spawn(n_boot)[i])``,
  that is ``SeedSequence(random_state, spawn_key=(0, i))``, so it is the same whatever
  ``n_jobs``, the joblib backend, the chunking or ``n_boot`` (a run of 100 replicates is the
  first 100 of a run of 1,000 with the same seed);
* each refit is deterministic and the results are gathered in replicate order.

This module is the public face of that machinery: the engine behind
:meth:`copfactors.OrdinalRegression.bootstrap` (:func:`bootstrap`), its result
(:class:`BootstrapResult`) and the interval functions (:func:`percentile_interval`,
:func:`bca_interval`, :func:`bias_correction`, :func:`acceleration`), which work on any
statistic, live in :mod:`copfactors.models`; the argument checks, chunking and seeds
(:func:`check_n_jobs`, :func:`chunk_bounds`, :func:`replicate_seeds`) in the bottom layer.
Scoring a Dask DataFrame of members lives in :mod:`copfactors.distributed`.

Examples
--------
>>> import numpy as np
>>> from copfactors.parallel import bca_interval, percentile_interval
>>> rng = np.random.default_rng(0)
>>> data = rng.normal(size=50)
>>> boot = np.array([rng.choice(data, 50).mean() for _ in range(999)])
>>> jack = np.array([np.delete(data, i).mean() for i in range(50)])
>>> low, high = bca_interval(data.mean(), boot, jack, alpha=0.05)
>>> bool(low < data.mean() < high)
True
"""

from __future__ import annotations

from copfactors._utils.parallel import check_n_jobs, chunk_bounds, replicate_seeds
from copfactors.models import (
    JACKKNIFE_EXACT_MAX,
    JACKKNIFE_GROUPS,
    BootstrapResult,
    acceleration,
    bca_interval,
    bias_correction,
    bootstrap,
    percentile_interval,
)

__all__ = [
    "JACKKNIFE_EXACT_MAX",
    "JACKKNIFE_GROUPS",
    "BootstrapResult",
    "acceleration",
    "bca_interval",
    "bias_correction",
    "bootstrap",
    "check_n_jobs",
    "chunk_bounds",
    "percentile_interval",
    "replicate_seeds",
]
