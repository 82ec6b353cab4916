"""The fitting core of the cumulative link model: sorted design, Newton solve, point fits.

One path from validated arrays to estimates: :meth:`copfactors.OrdinalRegression.fit`, the
refits of the bootstrap and jackknife, the dominance subsets and the nominal test all go through
:func:`solve_core`, so their estimates are identical. The (quasi-)separation check of a solved
fit (:func:`separation_of`, on :mod:`copfactors.models._separation`) lives here too, because
both the full fit and the point fits run it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from copfactors._utils.parallel import single_threaded_blas
from copfactors.models import _solver
from copfactors.models._links import Link, get_link
from copfactors.models._separation import Separation, find_separation
from copfactors.models._validation import check_collinearity, level_ranges

__all__ = [
    "PointFit",
    "build_design",
    "detect_separation",
    "point_fit",
    "separation_of",
    "solve_core",
]

# A coefficient beyond this many units per standard deviation of its predictor (an odds ratio
# above e^8 ~ 3000 per SD on the logit scale) only arises when the estimate is running off to
# infinity.
_DIVERGENT_PER_SD = 8.0


def _ordered_separation(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Columns whose values are weakly monotone in the outcome level (either direction).

    Then ``beta -> +-infinity`` along that column with suitably growing thresholds increases the
    likelihood without bound: (quasi-)complete separation of a cumulative link model.
    """
    increasing = np.all(hi[:-1] <= lo[1:], axis=0)
    decreasing = np.all(lo[:-1] >= hi[1:], axis=0)
    return increasing | decreasing


def _cut_separation(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Columns that separate ``Y <= j`` from ``Y > j`` at some cut ``j`` (either direction).

    Enough for a nominal (threshold-specific) effect to diverge at that cut.
    """
    K = lo.shape[0]
    out = np.zeros(lo.shape[1], dtype=bool)
    for j in range(K - 1):
        below_lo, below_hi = lo[: j + 1].min(axis=0), hi[: j + 1].max(axis=0)
        above_lo, above_hi = lo[j + 1 :].min(axis=0), hi[j + 1 :].max(axis=0)
        out |= (below_hi <= above_lo) | (below_lo >= above_hi)
    return out


def detect_separation(
    beta: np.ndarray,
    gamma: np.ndarray,
    sd: np.ndarray,
    ranges: tuple[np.ndarray, np.ndarray],
    loc_idx: list[int],
    nominal_idx: list[int],
    names: list[str],
) -> list[str]:
    """Names of predictors that (quasi-)completely separate outcome levels, by a cruder check.

    The fallback of :func:`separation_of` should its linear programme fail. Two signals. The
    data: a location predictor weakly monotone in the outcome level, or a nominal predictor
    separating the levels at some cut. Failing that, the estimates: a coefficient larger than
    8 per standard deviation of its predictor, which catches some separation by a combination
    of predictors. (When the data name a predictor, the other estimates that also run off to
    infinity are not named: only the exact check names them all.)

    ``beta`` holds the location coefficients in the order of ``loc_idx``; ``gamma`` the
    nominal effects, one column per entry of ``nominal_idx`` (one row per cut).
    """
    lo, hi = ranges
    flagged: set[int] = set()
    ordered = _ordered_separation(lo, hi)
    flagged.update(j for j in loc_idx if ordered[j])
    if nominal_idx:
        per_cut = _cut_separation(lo, hi)
        flagged.update(j for j in nominal_idx if per_cut[j])
    if not flagged:
        for b, j in zip(beta, loc_idx, strict=True):
            if abs(b) * sd[j] > _DIVERGENT_PER_SD:
                flagged.add(j)
        for k, j in enumerate(nominal_idx):
            if np.max(np.abs(gamma[:, k])) * sd[j] > _DIVERGENT_PER_SD:
                flagged.add(j)
    return [names[j] for j in sorted(flagged)]


@dataclass
class TrainingData:
    """The fitted rows, sorted by outcome level, kept for refits (nominal and Brant tests)."""

    X: np.ndarray  # (n, p_all) all predictor columns in X's column order
    starts: np.ndarray
    w: np.ndarray | None


@dataclass
class Core:
    """A solved fit before any summary: sorted rows, design, solver result, column facts."""

    data: TrainingData
    design: _solver.Design
    res: _solver.FitResult
    sd: np.ndarray  # weighted SD of each column (for the separation check)
    ranges: tuple[np.ndarray, np.ndarray]  # per-level minima and maxima of each column
    loc_idx: list[int]
    nominal_idx: list[int]
    groups: np.ndarray | None  # cluster codes in the sorted row order


def solve_core(
    X: np.ndarray,
    codes: np.ndarray,
    K: int,
    w: np.ndarray | None,
    nominal_idx: list[int],
    names: list[str],
    link: Any,
    *,
    max_iter: int,
    tol: float,
    groups: np.ndarray | None = None,
) -> Core:
    """Sort the rows by level, check the columns, and run Newton from the null-model start.

    The one path from validated arrays to estimates: :meth:`OrdinalRegression.fit` and
    :func:`point_fit` both go through it, so their estimates are identical.
    """
    # integer codes of a small type sort by radix, in linear time
    order = np.argsort(codes.astype(np.int16 if K < 32000 else np.int64), kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=K))]).astype(np.int64)
    if not X.flags.c_contiguous:
        # gathering rows from a row-major copy is faster than from column-major data
        X = np.ascontiguousarray(X)
    X_sorted = np.take(X, order, axis=0)
    w_sorted = None if w is None else np.ascontiguousarray(w[order])
    g_sorted = None if groups is None else groups[order]
    ranges = level_ranges(X_sorted, starts)
    sd = check_collinearity(X_sorted, names, w_sorted, ranges)
    data = TrainingData(X_sorted, starts, w_sorted)
    loc_idx = [j for j in range(len(names)) if j not in nominal_idx]
    design = build_design(data, loc_idx, nominal_idx)
    res = _solver.newton(
        design, link, _solver.start_values(design, link), max_iter=max_iter, tol=tol
    )
    return Core(data, design, res, sd, ranges, loc_idx, list(nominal_idx), g_sorted)


def separation_of(core: Core, link: Link, names: list[str]) -> tuple[Separation, list[str]]:
    """The infinite estimates of a solved fit and the predictors they belong to.

    The exact check of :func:`copfactors.models._separation.find_separation`; should its
    linear programme fail, the cruder :func:`detect_separation`, whose predictors then count as
    infinite with an undefined sign. The names are in column order: every location predictor
    whose coefficient is infinite and every nominal predictor with an infinite effect at some
    cut.
    """
    design, params = core.design, core.res.params
    J, q = design.n_cuts, design.q
    sep = find_separation(design, link, params)
    if sep is None:
        gamma = params[J : J * (1 + q)].reshape(q, J).T
        flagged = detect_separation(
            params[J * (1 + q) :], gamma, core.sd, core.ranges, core.loc_idx, core.nominal_idx,
            names,
        )  # fmt: skip
        infinite = np.zeros(design.n_params, dtype=bool)
        for v, j in enumerate(core.nominal_idx):
            if names[j] in flagged:
                infinite[J * (1 + v) : J * (2 + v)] = True
        for k, j in enumerate(core.loc_idx):
            if names[j] in flagged:
                infinite[J * (1 + q) + k] = True
        basis = np.eye(design.n_params)[:, infinite]
        sep = Separation(infinite, np.zeros(design.n_params), basis, 0)
    columns: set[int] = set()
    for v, j in enumerate(core.nominal_idx):
        if sep.infinite[J * (1 + v) : J * (2 + v)].any():
            columns.add(j)
    for k, j in enumerate(core.loc_idx):
        if sep.infinite[J * (1 + q) + k]:
            columns.add(j)
    return sep, [names[j] for j in sorted(columns)]


@dataclass(frozen=True)
class PointFit:
    """Estimates of a refit without inference (see :func:`point_fit`)."""

    params: np.ndarray  # thresholds, nominal effects (cut fastest), location coefficients
    loglik: float
    converged: bool
    n_iter: int
    separation: list[str] | None  # predictors with infinite estimates; None when not checked


def point_fit(
    X: np.ndarray,
    codes: np.ndarray,
    n_levels: int,
    *,
    sample_weight: np.ndarray | None = None,
    link: str = "logit",
    nominal: list[int] | tuple[int, ...] = (),
    max_iter: int = 100,
    tol: float = 1e-8,
    separation: bool = True,
) -> PointFit:
    """Maximum likelihood estimates and log-likelihood only, for the many refits of a study.

    The bootstrap, the jackknife and the subset fits of dominance analysis need thousands of
    refits of which only the estimates (or the log-likelihood) are used. This runs the same
    steps as :meth:`OrdinalRegression.fit` after its input checks (the same sort, column
    checks, start values and Newton iterations, through :func:`solve_core`), so the estimates
    are bit-identical to ``OrdinalRegression(link=link, nominal=nominal).fit(X, codes,
    sample_weight=sample_weight).params_``; it skips what those refits do not use: input
    validation and outcome encoding, the covariance matrix, pandas objects and warnings. At
    180 rows it is about three times faster than ``fit``.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        Finite float64 predictors (not checked here).
    codes : ndarray of shape (n,)
        Integer outcome codes ``0 .. n_levels - 1``; every level must occur (not checked).
    n_levels : int
        Number of outcome levels.
    sample_weight : ndarray of shape (n,), optional
        Positive frequency weights.
    link : str, default "logit"
    nominal : sequence of int
        Column positions with threshold-specific (nominal) effects.
    max_iter, tol
        As :class:`OrdinalRegression`.
    separation : bool, default True
        Whether to run the (quasi-)separation check of ``fit``.

    Returns
    -------
    PointFit

    Raises
    ------
    ModelInputError
        On constant or collinear columns, as ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from copfactors.models import OrdinalRegression, point_fit
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(200, 2))
    >>> y = np.digitize(x.sum(axis=1) + rng.logistic(size=200), [-1.0, 1.0])
    >>> light = point_fit(x, y, 3)
    >>> bool(np.array_equal(light.params, OrdinalRegression().fit(x, y).params_.to_numpy()))
    True
    """
    names = [f"x{j}" for j in range(X.shape[1])]
    nominal_idx = [int(j) for j in nominal]
    with single_threaded_blas():
        core = solve_core(
            X,
            codes,
            int(n_levels),
            sample_weight,
            nominal_idx,
            names,
            get_link(link),
            max_iter=int(max_iter),
            tol=float(tol),
        )
    res = core.res
    sep = None
    if separation:
        sep = separation_of(core, get_link(link), names)[1]
    return PointFit(
        params=res.params,
        loglik=float(res.loglik),
        converged=bool(res.converged),
        n_iter=int(res.n_iter),
        separation=sep,
    )


def build_design(data: TrainingData, loc_idx: list[int], nominal_idx: list[int]) -> _solver.Design:
    """Solver design from the sorted training rows with the given column split."""
    X = data.X
    if nominal_idx:
        Xloc = np.ascontiguousarray(X[:, loc_idx])
        Z = np.ascontiguousarray(X[:, nominal_idx])
    else:
        Xloc, Z = X, None
    return _solver.Design(Xloc, Z, data.w, data.starts)
