"""Integer answers behind a published mean and standard deviation (GRIM, GRIMMER, SPRITE).

A cell of a summary table (``n`` answers on a 1-5 scale, a mean and a sample standard
deviation printed to two decimals) is *reproducible* when some set of ``n`` integer answers has
exactly that mean and SD once rounded. Everything here works on the five counts
``c1 .. c5`` of the answers 1 .. 5: given ``n`` and the sum ``S`` of the answers, two counts are
fixed by the other three, so every multiset of answers can be enumerated quickly.

* :func:`consistent_moments` lists every (sum, sum of squares) pair that reproduces a printed
  mean and SD (GRIM checks the mean, GRIMMER the SD; the enumeration here is exact).
* :func:`nearest_moments` gives the closest pairs when there is none.
* :func:`sprite` draws one multiset with a given sum and sum of squares by the swap search of
  SPRITE (Heathers, Anaya, van der Zee and Brown, 2018).

A printed value ``v`` is taken to be matched by ``x`` when ``|x - v| <= 0.005`` (plus a
floating-point allowance), so both conventions of rounding a tie are accepted.

Examples
--------
>>> import numpy as np
>>> from copfactors.datasets._sprite import consistent_moments, sprite
>>> consistent_moments(5, 3.00, 1.58)
[(15, 55)]
>>> counts = sprite(5, 15, 55, np.random.default_rng(0))
>>> counts.tolist()
[1, 1, 1, 1, 1]
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from copfactors.errors import ParameterError

#: Largest distance between a value and its two-decimal print that still counts as a match.
TOLERANCE = 0.005 + 1e-9

LEVELS = np.arange(1, 6)


def within(value: float, printed: float) -> bool:
    """Whether ``value`` prints as ``printed`` at two decimals (either tie rule).

    >>> within(3.905, 3.90), within(3.9057, 3.90)
    (True, False)
    """
    return bool(abs(value - printed) <= TOLERANCE)


def sample_sd(n: int, s: int, q: int) -> float:
    """Sample SD (``ddof=1``) of ``n`` answers with sum ``s`` and sum of squares ``q``.

    >>> round(sample_sd(3, 6, 14), 6)
    1.0
    """
    if n < 2:
        return float("nan")
    var = (q - s * s / n) / (n - 1)
    return float(np.sqrt(max(var, 0.0)))


@lru_cache(maxsize=256)
def _grid(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # every (c3, c4, c5) with c3 + c4 + c5 <= n; c1 and c2 then follow from n and the sum
    g = np.arange(n + 1)
    c3, c4, c5 = (a.ravel() for a in np.meshgrid(g, g, g, indexing="ij"))
    keep = c3 + c4 + c5 <= n
    c3, c4, c5 = c3[keep], c4[keep], c5[keep]
    rest = n - c3 - c4 - c5
    return c3, c4, c5, rest


def count_vectors(n: int, s: int) -> np.ndarray:
    """Every vector of counts of the answers 1-5 with ``n`` answers summing to ``s``.

    Returns
    -------
    numpy.ndarray
        Shape ``(m, 5)``, one row per multiset of answers.

    >>> count_vectors(2, 9).tolist()
    [[0, 0, 0, 1, 1]]
    """
    c3, c4, c5, rest = _grid(n)
    # c1 + c2 = rest and c1 + 2 c2 = s - 3 c3 - 4 c4 - 5 c5
    c2 = s - 3 * c3 - 4 * c4 - 5 * c5 - rest
    c1 = rest - c2
    ok = (c2 >= 0) & (c1 >= 0)
    return np.column_stack([c1[ok], c2[ok], c3[ok], c4[ok], c5[ok]])


def achievable_sumsq(n: int, s: int) -> np.ndarray:
    """Sorted sums of squares that ``n`` answers on 1-5 summing to ``s`` can have.

    >>> achievable_sumsq(2, 6).tolist()
    [18, 20, 26]
    """
    counts = count_vectors(n, s)
    return np.unique(counts @ (LEVELS**2))


def consistent_sums(n: int, mean: float) -> list[int]:
    """Sums of ``n`` answers on 1-5 whose mean prints as ``mean`` (the GRIM test).

    An empty list means no set of integer answers has that mean.

    >>> consistent_sums(53, 3.90), consistent_sums(55, 4.00)
    ([], [220])
    """
    lo, hi = int(np.floor((mean - 0.01) * n)), int(np.ceil((mean + 0.01) * n))
    return [s for s in range(max(lo, n), min(hi, 5 * n) + 1) if within(s / n, mean)]


def consistent_moments(n: int, mean: float, sd: float) -> list[tuple[int, int]]:
    """Every (sum, sum of squares) of ``n`` answers on 1-5 matching a printed mean and SD.

    Parameters
    ----------
    n : int
        Number of answers.
    mean, sd : float
        The printed mean and sample standard deviation (two decimals).

    Returns
    -------
    list of (int, int)
        Empty when no integer answers reproduce the cell (GRIM or GRIMMER inconsistent).

    >>> consistent_moments(55, 4.00, 0.82)
    [(220, 916)]
    """
    out = []
    for s in consistent_sums(n, mean):
        for q in achievable_sumsq(n, s):
            if within(sample_sd(n, s, int(q)), sd):
                out.append((s, int(q)))
    return out


def _excess(value: float, printed: float) -> float:
    return max(0.0, abs(value - printed) - TOLERANCE)


def nearest_moments(n: int, mean: float, sd: float) -> list[tuple[int, int]]:
    """The (sum, sum of squares) pairs that come closest to a printed mean and SD.

    Equal to :func:`consistent_moments` when that is not empty. Otherwise the mean is got as
    close as integers allow first, then the SD, and every pair tied at the best distance is
    returned.

    >>> nearest_moments(53, 3.90, 0.81)
    [(207, 843)]
    """
    exact = consistent_moments(n, mean, sd)
    if exact:
        return exact
    sums = np.arange(n, 5 * n + 1)
    mean_err = np.array([_excess(s / n, mean) for s in sums])
    best_sums = sums[np.isclose(mean_err, mean_err.min(), rtol=0, atol=1e-12)]
    pairs = [(int(s), int(q)) for s in best_sums for q in achievable_sumsq(n, int(s))]
    sd_err = np.array([_excess(sample_sd(n, s, q), sd) for s, q in pairs])
    keep = np.isclose(sd_err, sd_err.min(), rtol=0, atol=1e-12)
    return [p for p, k in zip(pairs, keep, strict=True) if k]


def sprite(n: int, s: int, q: int, rng: np.random.Generator, *, restarts: int = 200) -> np.ndarray:
    """Draw counts of the answers 1-5 with ``n`` answers, sum ``s`` and sum of squares ``q``.

    SPRITE-style swap search: start from the least dispersed vector with sum ``s`` (every
    answer ``floor(s / n)`` or one more), then repeatedly add 1 to one answer and take 1 from
    another, chosen at random among the swaps that raise the sum of squares without passing
    ``q``, so the mean never moves and the SD climbs to its target. A walk that gets stuck is
    restarted; if every walk gets stuck, one of the exactly enumerated multisets is drawn.

    Parameters
    ----------
    n, s, q : int
        Number of answers, their sum and their sum of squares.
    rng : numpy.random.Generator
        Source of randomness (the result is a deterministic function of its state).
    restarts : int
        Walks to try before falling back to the enumeration.

    Returns
    -------
    numpy.ndarray
        The five counts ``c1 .. c5``.

    Raises
    ------
    ParameterError
        If no multiset has that sum and sum of squares (also a ``ValueError``).

    >>> import numpy as np
    >>> c = sprite(55, 220, 916, np.random.default_rng(1))
    >>> int(c.sum()), int(c @ np.arange(1, 6)), int(c @ np.arange(1, 6) ** 2)
    (55, 220, 916)
    """
    if q not in set(achievable_sumsq(n, s).tolist()):
        raise ParameterError(f"no {n} answers on 1-5 have sum {s} and sum of squares {q}")
    base, extra = divmod(s, n)
    start = np.zeros(6, dtype=np.int64)  # index 0 unused, so counts[v] is the count of v
    start[base] += n - extra
    if extra:
        start[base + 1] += extra
    for _ in range(restarts):
        counts = start.copy()
        total = int(counts @ np.arange(6) ** 2)
        while total < q:
            moves, weights = [], []
            for a in range(1, 5):  # the answer raised
                for b in range(2, 6):  # the answer lowered
                    step = 2 * (a - b + 1)
                    if step <= 0 or step > q - total:
                        continue
                    w = counts[a] * (counts[b] - (a == b))
                    if w > 0:
                        moves.append((a, b, step))
                        weights.append(w)
            if not moves:
                break
            p = np.asarray(weights, dtype=float)
            a, b, step = moves[int(rng.choice(len(moves), p=p / p.sum()))]
            counts[a] -= 1
            counts[a + 1] += 1
            counts[b] -= 1
            counts[b - 1] += 1
            total += step
        if total == q:
            return counts[1:]
    options = count_vectors(n, s)
    options = options[options @ (LEVELS**2) == q]
    return options[int(rng.integers(len(options)))]
