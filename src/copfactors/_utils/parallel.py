"""Helpers for repeated work through joblib: argument checks, chunks, seeds, BLAS threads.

The bottom layer of copfactors' parallel work: the bootstrap (:mod:`copfactors.models`), the
subset fits and cross-validation folds of :mod:`copfactors.inspection`, the permutation tests of
:mod:`copfactors.claims` and the parameter draws of :mod:`copfactors.scoring` all use these, so
that every loop checks ``n_jobs`` the same way, cuts its work into the same chunks and gives
each replicate its own seed (results do not depend on where the work runs). It imports nothing
of copfactors but :mod:`copfactors.errors`.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from copfactors.errors import ModelInputError

__all__ = [
    "check_alpha",
    "check_n_jobs",
    "chunk_bounds",
    "replicate_seeds",
    "root_sequence",
    "single_threaded_blas",
]

# How many chunks (joblib tasks) per worker: a few per worker balance uneven refit times.
_CHUNKS_PER_WORKER = 4

_BLAS_CONTROLLER: Any = None


def single_threaded_blas() -> Any:
    """Context manager limiting BLAS to one thread (the library scan is done once).

    Every refit runs its BLAS calls single-threaded: many refits run side by side in joblib
    workers, and one thread per refit keeps the sums in the same order in every process, so a
    result does not depend on which process computed it.

    Examples
    --------
    >>> from copfactors._utils.parallel import single_threaded_blas
    >>> with single_threaded_blas():
    ...     pass
    """
    global _BLAS_CONTROLLER
    if _BLAS_CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _BLAS_CONTROLLER = ThreadpoolController()
    return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")


def check_alpha(alpha: Any) -> None:
    """Check a significance level: a number strictly between 0 and 1.

    Examples
    --------
    >>> from copfactors._utils.parallel import check_alpha
    >>> check_alpha(0.05)
    """
    if not isinstance(alpha, float | int) or not 0 < alpha < 1:
        raise ModelInputError(f"alpha must be in (0, 1), got {alpha!r}")


# --------------------------------------------------------------------------- seeds and chunks
def replicate_seeds(random_state: int | np.random.SeedSequence, n_boot: int) -> list:
    """The seed of each bootstrap replicate: child ``i`` of the bootstrap branch.

    ``SeedSequence(random_state).spawn(2)[0]`` is the bootstrap branch (the second branch
    seeds the random grouping of a grouped jackknife); its ``spawn(n_boot)`` gives one
    independent ``SeedSequence`` per replicate, with spawn key ``(0, i)``.

    Parameters
    ----------
    random_state : int or numpy.random.SeedSequence
    n_boot : int

    Returns
    -------
    list of numpy.random.SeedSequence

    Examples
    --------
    >>> import numpy as np
    >>> from copfactors.parallel import replicate_seeds
    >>> replicate_seeds(7, 3)[2].spawn_key
    (0, 2)
    """
    root = root_sequence(random_state)
    return root.spawn(2)[0].spawn(n_boot)


def root_sequence(random_state: Any) -> np.random.SeedSequence:
    """A fresh root ``SeedSequence`` from an int, a ``SeedSequence`` (copied) or None."""
    if isinstance(random_state, np.random.SeedSequence):
        # a fresh copy: spawn() advances the caller's sequence otherwise
        return np.random.SeedSequence(random_state.entropy, spawn_key=random_state.spawn_key)
    if random_state is None:
        return np.random.SeedSequence()
    if isinstance(random_state, int | np.integer) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ModelInputError(f"random_state must be >= 0, got {random_state!r}")
        return np.random.SeedSequence(int(random_state))
    raise ModelInputError(
        f"random_state must be a non-negative integer, a numpy SeedSequence or None, "
        f"got {random_state!r}"
    )


def check_n_jobs(n_jobs: Any) -> int | None:
    """Check an ``n_jobs`` argument: None or a non-zero integer, as :class:`joblib.Parallel`.

    Parameters
    ----------
    n_jobs : object

    Returns
    -------
    int or None
        ``n_jobs`` unchanged (as a Python int).

    Raises
    ------
    copfactors.errors.ModelInputError
        Naming the value, for 0, a boolean, a float or anything not an integer.

    Examples
    --------
    >>> from copfactors.parallel import check_n_jobs
    >>> check_n_jobs(-1), check_n_jobs(None)
    (-1, None)
    >>> try:
    ...     check_n_jobs(0)
    ... except ValueError as err:
    ...     print(str(err).split(" (")[0])
    n_jobs must be None or a non-zero integer
    """
    if n_jobs is None:
        return None
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer) or n_jobs == 0:
        raise ModelInputError(
            f"n_jobs must be None or a non-zero integer (joblib's meaning: 2 is two workers, "
            f"-1 all cores), got {n_jobs!r}"
        )
    return int(n_jobs)


def chunk_bounds(n_items: int, n_jobs: int | None = None) -> list[tuple[int, int]]:
    """Cut ``range(n_items)`` into contiguous chunks, one joblib task each.

    One chunk when joblib would run serially; otherwise about four per worker (the number
    of workers is ``joblib.effective_n_jobs(n_jobs)``, which under a Dask backend is the
    cluster's number of cores), so that uneven refit times even out.

    Parameters
    ----------
    n_items : int
    n_jobs : int, optional

    Returns
    -------
    list of (start, stop)

    Examples
    --------
    >>> from copfactors.parallel import chunk_bounds
    >>> chunk_bounds(10, n_jobs=1)
    [(0, 10)]
    >>> len(chunk_bounds(1000, n_jobs=2))
    8
    """
    import joblib

    n_jobs = check_n_jobs(n_jobs)
    if n_items <= 0:
        return []
    workers = max(int(joblib.effective_n_jobs(n_jobs)), 1)
    n_chunks = 1 if workers == 1 else min(n_items, _CHUNKS_PER_WORKER * workers)
    edges = np.linspace(0, n_items, n_chunks + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges.tolist()) if b > a]
