"""The bootstrap of a fitted cumulative link model: the engine, its result and its intervals.

Replicates and jackknife refits run through ``joblib.Parallel`` in chunks, each replicate with
its own seed, so results do not depend on where the work runs (the rules are set out in
:mod:`copfactors.parallel`, the public face of this module). The interval functions
(:func:`percentile_interval`, :func:`bca_interval`, :func:`bias_correction`,
:func:`acceleration`) work on any statistic.

Examples
--------
>>> import numpy as np
>>> from copfactors.models import percentile_interval
>>> boot = np.random.default_rng(0).normal(size=(2000, 1))
>>> low, high = percentile_interval(boot, alpha=0.05)[:, 0]
>>> bool(-2.2 < low < -1.8 and 1.8 < high < 2.2)
True
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from copfactors._utils.parallel import check_alpha, check_n_jobs, chunk_bounds, root_sequence
from copfactors._utils.render import Result, render_table
from copfactors.errors import CopFactorsError, CopFactorsWarning, ModelInputError
from copfactors.models._core import point_fit
from copfactors.models._validation import check_groups, check_sample_weight, encode_outcome

__all__ = [
    "JACKKNIFE_EXACT_MAX",
    "JACKKNIFE_GROUPS",
    "BootstrapResult",
    "acceleration",
    "bca_interval",
    "bias_correction",
    "bootstrap",
    "percentile_interval",
]

#: Up to this many resampling units (rows, or clusters) the jackknife leaves out each unit.
JACKKNIFE_EXACT_MAX = 1000
#: Above :data:`JACKKNIFE_EXACT_MAX` units, the units are split at random (seeded) into this
#: many groups of about equal size and the jackknife leaves out one group at a time.
JACKKNIFE_GROUPS = 100

_SUMMARY_COLUMNS = [
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

_FAILURE_REASONS = ("lost_level", "not_converged", "fit_error")


# --------------------------------------------------------------------------- intervals
def percentile_interval(boot_reps: Any, alpha: float = 0.05) -> np.ndarray:
    """Percentile bootstrap interval: the ``alpha/2`` and ``1 - alpha/2`` quantiles.

    Parameters
    ----------
    boot_reps : array-like of shape (B,) or (B, p)
        Bootstrap replicates of the statistic, one row per replicate.
    alpha : float, default 0.05
        The interval has level ``1 - alpha``.

    Returns
    -------
    ndarray of shape (2,) or (2, p)
        Lower and upper limits (linear interpolation between order statistics, as
        ``numpy.quantile`` and ``scipy.stats.bootstrap``).

    Examples
    --------
    >>> import numpy as np
    >>> from copfactors.parallel import percentile_interval
    >>> percentile_interval(np.arange(101.0), alpha=0.1).tolist()
    [5.0, 95.0]
    """
    reps = np.asarray(boot_reps, dtype=np.float64)
    check_alpha(alpha)
    return np.quantile(reps, [alpha / 2.0, 1.0 - alpha / 2.0], axis=0)


def bias_correction(theta_hat: Any, boot_reps: Any) -> np.ndarray:
    """BCa bias correction ``z0 = Phi^-1(share of replicates below the estimate)``.

    Replicates equal to the estimate count one half, as ``scipy.stats.bootstrap`` does. The
    result is infinite when every replicate lies on one side of the estimate.

    Parameters
    ----------
    theta_hat : float or array-like of shape (p,)
        The estimate on the original data.
    boot_reps : array-like of shape (B,) or (B, p)
        Bootstrap replicates.

    Returns
    -------
    ndarray of shape () or (p,)

    Examples
    --------
    >>> import numpy as np
    >>> from copfactors.parallel import bias_correction
    >>> float(bias_correction(0.0, np.array([-1.0, 1.0])))
    0.0
    """
    theta = np.asarray(theta_hat, dtype=np.float64)
    reps = np.asarray(boot_reps, dtype=np.float64)
    below = np.count_nonzero(reps < theta, axis=0) + np.count_nonzero(reps <= theta, axis=0)
    return ndtri(below / (2.0 * reps.shape[0]))


def acceleration(jackknife_reps: Any) -> np.ndarray:
    """BCa acceleration from jackknife values: ``sum d^3 / (6 (sum d^2)^(3/2))``.

    ``d_i = mean(theta_(.)) - theta_(i)``, with ``theta_(i)`` the statistic without unit (or
    group of units) ``i`` (Efron and Tibshirani 1993, eq. 14.15). With the grouped jackknife
    (one group of ``m`` units left out at a time) the group influences are sums of ``m`` unit
    influences, and the ratio estimates the same quantity. NaN where every jackknife value is
    the same.

    Parameters
    ----------
    jackknife_reps : array-like of shape (m,) or (m, p)
        Jackknife values of the statistic; rows with NaN are ignored column by column.

    Returns
    -------
    ndarray of shape () or (p,)

    Examples
    --------
    >>> import numpy as np
    >>> from copfactors.parallel import acceleration
    >>> float(acceleration(np.array([1.0, 2.0, 3.0])))
    0.0
    """
    jack = np.asarray(jackknife_reps, dtype=np.float64)
    d = np.nanmean(jack, axis=0) - jack
    num = np.nansum(d**3, axis=0)
    den = 6.0 * np.nansum(d**2, axis=0) ** 1.5
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def bca_interval(
    theta_hat: Any, boot_reps: Any, jackknife_reps: Any, alpha: float = 0.05
) -> np.ndarray:
    """Bias-corrected and accelerated (BCa) bootstrap interval (Efron 1987).

    With ``z0`` from :func:`bias_correction`, ``a`` from :func:`acceleration` and
    ``z = Phi^-1(alpha/2)``, the limits are the quantiles of the replicates at
    ``Phi(z0 + (z0 + z) / (1 - a (z0 + z)))`` and the same with ``-z``: the computation of
    ``scipy.stats.bootstrap(method="BCa")``, applied to replicates the caller supplies. The
    limits are NaN where ``z0`` or ``a`` is not finite (every replicate on one side of the
    estimate, or a statistic the jackknife does not move).

    Parameters
    ----------
    theta_hat : float or array-like of shape (p,)
        The estimate on the original data.
    boot_reps : array-like of shape (B,) or (B, p)
        Bootstrap replicates.
    jackknife_reps : array-like of shape (m,) or (m, p)
        Jackknife values (leave one unit, or one group of units, out).
    alpha : float, default 0.05
        The interval has level ``1 - alpha``.

    Returns
    -------
    ndarray of shape (2,) or (2, p)
        Lower and upper limits.

    Examples
    --------
    >>> import numpy as np
    >>> from copfactors.parallel import bca_interval
    >>> rng = np.random.default_rng(1)
    >>> x = rng.exponential(size=40)
    >>> boot = x[rng.integers(0, 40, (2000, 40))].mean(axis=1)
    >>> jack = (x.sum() - x) / 39
    >>> low, high = bca_interval(x.mean(), boot, jack)
    >>> bool(low < x.mean() < high)
    True
    """
    check_alpha(alpha)
    reps = np.asarray(boot_reps, dtype=np.float64)
    z0 = bias_correction(theta_hat, reps)
    a = acceleration(jackknife_reps)
    z = float(ndtri(alpha / 2.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        lo_arg = z0 + (z0 + z) / (1.0 - a * (z0 + z))
        hi_arg = z0 + (z0 - z) / (1.0 - a * (z0 - z))
    ok = np.isfinite(z0) & np.isfinite(a) & np.isfinite(lo_arg) & np.isfinite(hi_arg)
    q_lo = np.where(ok, ndtr(np.where(ok, lo_arg, 0.0)), 0.5)
    q_hi = np.where(ok, ndtr(np.where(ok, hi_arg, 0.0)), 0.5)
    if reps.ndim == 1:
        out = np.array([np.quantile(reps, q_lo), np.quantile(reps, q_hi)])
    else:
        out = np.empty((2, reps.shape[1]))
        for j in range(reps.shape[1]):
            out[0, j] = np.quantile(reps[:, j], q_lo[j])
            out[1, j] = np.quantile(reps[:, j], q_hi[j])
    return np.where(ok, out, np.nan)


# --------------------------------------------------------------------------- result
@dataclass(frozen=True)
class BootstrapResult(Result):
    """Bootstrap of a fitted model: replicates, standard errors and intervals per parameter.

    A :class:`~copfactors.report.Result`: ``to_text``, ``to_html``, ``to_latex`` (4 decimals
    unless ``digits`` is given), ``print_summary`` and the notebook displays render
    :meth:`summary` with its notes (see :meth:`render`); :meth:`to_frame` is :meth:`summary`.
    ``repr()`` stays one line.

    Attributes
    ----------
    estimate : pandas.Series
        Estimates on the original data (the model's ``params_``).
    replicates : pandas.DataFrame
        The successful replicates: one row per replicate (index: replicate number, so the
        dropped ones are the missing numbers), one column per parameter.
    jackknife : pandas.DataFrame
        Jackknife values used for the BCa acceleration: one row per unit (row or cluster) left
        out, or per group left out by the grouped jackknife; NaN rows are refits that failed.
    boot_se : pandas.Series
        Standard deviation of the replicates (``ddof=1``).
    bias : pandas.Series
        Mean of the replicates minus the estimate.
    ci_percentile, ci_bca : pandas.DataFrame
        Percentile and BCa intervals at level ``1 - alpha``: columns ``low``, ``high``.
    z0, acceleration : pandas.Series
        The BCa bias correction and acceleration.
    alpha : float
    n_boot : int
        Replicates requested.
    failures : int
        Replicates dropped (lost an outcome level, did not converge, or could not be fitted).
    failure_reasons : dict
        Count of dropped replicates by reason: ``"lost_level"``, ``"not_converged"``,
        ``"fit_error"``.
    separated : int
        Kept replicates in which a predictor (quasi-)separated outcome levels.
    resampling : str
        ``"case"`` (rows) or ``"cluster"`` (whole clusters).
    n_units : int
        Rows or clusters resampled.
    jackknife_kind : str
        ``"exact"`` (leave one unit out) or ``"grouped"`` (leave one of
        :data:`JACKKNIFE_GROUPS` random groups of units out, above
        :data:`JACKKNIFE_EXACT_MAX` units).
    jackknife_failures : int
        Jackknife refits that failed (ignored in the acceleration).
    random_state : int or None
        Entropy of the root seed (reproduces the run).

    Examples
    --------
    >>> import numpy as np
    >>> from copfactors.models import OrdinalRegression
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(60, 1))
    >>> y = np.digitize(x[:, 0] + rng.logistic(size=60), [-1.0, 1.0])
    >>> res = OrdinalRegression().bootstrap(x, y, n_boot=30)
    >>> res.summary().columns[:4].tolist()
    ['term', 'estimate', 'boot_se', 'bias']
    >>> res.to_text().splitlines()[:2]
    ['Bootstrap of the model parameters', 'Replicates kept: 30 of 30']
    """

    #: decimals when none are asked for
    default_digits = 4

    estimate: pd.Series
    replicates: pd.DataFrame
    jackknife: pd.DataFrame
    alpha: float
    n_boot: int
    failures: int
    failure_reasons: dict[str, int]
    separated: int
    resampling: str
    n_units: int
    jackknife_kind: str
    jackknife_failures: int
    random_state: Any
    boot_se: pd.Series = field(init=False)
    bias: pd.Series = field(init=False)
    ci_percentile: pd.DataFrame = field(init=False)
    ci_bca: pd.DataFrame = field(init=False)
    z0: pd.Series = field(init=False)
    acceleration: pd.Series = field(init=False)

    def __post_init__(self) -> None:
        names = self.estimate.index
        reps = self.replicates.to_numpy()
        theta = self.estimate.to_numpy()
        jack = self.jackknife.to_numpy()
        if len(reps) >= 2:
            se = reps.std(axis=0, ddof=1)
            pct = percentile_interval(reps, self.alpha)
            bca = bca_interval(theta, reps, jack, self.alpha)
            z0 = bias_correction(theta, reps)
            bias = reps.mean(axis=0) - theta
        else:
            se = bias = z0 = np.full(len(theta), np.nan)
            pct = bca = np.full((2, len(theta)), np.nan)
        acc = acceleration(jack) if len(jack) else np.full(len(theta), np.nan)
        set_ = object.__setattr__  # frozen dataclass: derived fields are set once, here
        set_(self, "boot_se", pd.Series(se, index=names, name="boot_se"))
        set_(self, "bias", pd.Series(bias, index=names, name="bias"))
        set_(self, "ci_percentile", pd.DataFrame({"low": pct[0], "high": pct[1]}, index=names))
        set_(self, "ci_bca", pd.DataFrame({"low": bca[0], "high": bca[1]}, index=names))
        set_(self, "z0", pd.Series(z0, index=names, name="z0"))
        set_(self, "acceleration", pd.Series(acc, index=names, name="acceleration"))

    @property
    def n_ok(self) -> int:
        """Number of replicates kept."""
        return len(self.replicates)

    def summary(self) -> pd.DataFrame:
        """One row per parameter: estimate, bootstrap SE, bias, percentile and BCa limits.

        Returns
        -------
        pandas.DataFrame
            Columns ``term``, ``estimate``, ``boot_se``, ``bias``, ``pct_low``, ``pct_high``,
            ``bca_low``, ``bca_high``, ``z0``, ``acceleration``; ``attrs`` holds ``alpha``,
            ``n_boot``, ``n_ok``, ``failures``, ``failure_reasons``, ``resampling``,
            ``jackknife_kind`` and ``notes``.

        Examples
        --------
        >>> import numpy as np
        >>> from copfactors.models import OrdinalRegression
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(60, 1))
        >>> y = np.digitize(x[:, 0] + rng.logistic(size=60), [-1.0, 1.0])
        >>> table = OrdinalRegression().bootstrap(x, y, n_boot=30).summary()
        >>> table["term"].tolist()
        ['0|1', '1|2', 'x0']
        """
        table = pd.DataFrame(
            {
                "term": self.estimate.index.to_list(),
                "estimate": self.estimate.to_numpy(),
                "boot_se": self.boot_se.to_numpy(),
                "bias": self.bias.to_numpy(),
                "pct_low": self.ci_percentile["low"].to_numpy(),
                "pct_high": self.ci_percentile["high"].to_numpy(),
                "bca_low": self.ci_bca["low"].to_numpy(),
                "bca_high": self.ci_bca["high"].to_numpy(),
                "z0": self.z0.to_numpy(),
                "acceleration": self.acceleration.to_numpy(),
            },
            columns=_SUMMARY_COLUMNS,
        )
        table.attrs = {
            "alpha": self.alpha,
            "n_boot": self.n_boot,
            "n_ok": self.n_ok,
            "failures": self.failures,
            "failure_reasons": dict(self.failure_reasons),
            "resampling": self.resampling,
            "jackknife_kind": self.jackknife_kind,
            "notes": self.notes(),
        }
        return table

    def to_frame(self) -> pd.DataFrame:
        """The :meth:`summary` table: one row per parameter."""
        return self.summary()

    def render(self, style: str = "text", digits: int | None = None, **options: Any) -> str:
        """The :meth:`summary` table with the bootstrap's facts above and its notes below.

        Parameters
        ----------
        style : {"text", "html", "latex"}
            Output format, as :func:`copfactors.report.render_table`.
        digits : int, optional
            Decimals shown (default :attr:`default_digits`, 4).
        **options
            None are used (accepted for the :class:`~copfactors.report.Result` protocol).

        Returns
        -------
        str
        """
        unit = "rows" if self.resampling == "case" else "clusters"
        jackknife = (
            f"grouped ({len(self.jackknife)} groups of {unit})"
            if self.jackknife_kind == "grouped"
            else f"exact (leave one of the {unit} out)"
        )
        header = {
            "Replicates kept": f"{self.n_ok} of {self.n_boot}",
            "Resampling": f"{self.resampling} ({self.n_units} {unit})",
            "Interval level": f"{100 * (1 - self.alpha):g}% (percentile and BCa)",
            "BCa jackknife": jackknife,
            "Seed entropy": self.random_state,
        }
        return render_table(
            self.summary(),
            title="Bootstrap of the model parameters",
            header=header,
            style=style,
            digits=self._digits(digits),
            notes=self.notes(),
        )

    def notes(self) -> list[str]:
        """Plain-language notes on how the intervals were made and what was dropped."""
        level = f"{100 * (1 - self.alpha):g}%"
        unit = "rows" if self.resampling == "case" else "clusters"
        notes = [
            f"{self.n_ok} of {self.n_boot} bootstrap replicates ({self.resampling} resampling "
            f"of {self.n_units} {unit}); {level} percentile and BCa intervals",
        ]
        if self.failures:
            why = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in self.failure_reasons.items())
            notes.append(f"{self.failures} replicate(s) dropped ({why})")
        if self.separated:
            notes.append(f"{self.separated} kept replicate(s) show (quasi-)separation")
        if self.jackknife_kind == "grouped":
            notes.append(
                f"BCa acceleration from a grouped jackknife ({len(self.jackknife)} groups of "
                f"{unit})"
            )
        if self.jackknife_failures:
            notes.append(
                f"{self.jackknife_failures} jackknife refit(s) failed and were left out of the "
                "acceleration"
            )
        return notes

    def __repr__(self) -> str:
        return (
            f"BootstrapResult(n_boot={self.n_boot}, n_ok={self.n_ok}, "
            f"failures={self.failures}, resampling={self.resampling!r}, "
            f"params={len(self.estimate)}, alpha={self.alpha})"
        )


# --------------------------------------------------------------------------- worker side
def _refit(
    settings: dict[str, Any],
    X: np.ndarray,
    codes: np.ndarray,
    w: np.ndarray | None,
    rows: np.ndarray,
    n_levels: int,
    n_params: int,
) -> tuple[np.ndarray | None, str | None]:
    """Refit on ``rows``; return the estimates and None, ``"separated"`` or why it failed.

    ``settings`` are the keyword arguments of
    :func:`copfactors.models._ordinal.point_fit` (link, nominal columns, max_iter, tol): the
    refit runs the estimator's own solver without its inference, so its estimates are those
    ``OrdinalRegression.fit`` would give on the same rows. The estimates are None when there
    are none (lost level, fit error); a refit that did not converge returns its last
    estimates with ``"not_converged"``.
    """
    c = codes[rows]
    wr = None if w is None else w[rows]
    if np.count_nonzero(np.bincount(c, minlength=n_levels)) < n_levels:
        return None, "lost_level"
    try:
        fit = point_fit(X[rows], c, n_levels, sample_weight=wr, **settings)
    except (CopFactorsError, ValueError, np.linalg.LinAlgError, FloatingPointError):
        return None, "fit_error"
    params = fit.params.copy()
    if params.shape != (n_params,):  # pragma: no cover - levels are checked above
        return None, "lost_level"
    if not fit.converged:
        return params, "not_converged"
    return params, ("separated" if fit.separation else None)


def _boot_chunk(
    settings: dict[str, Any],
    X: np.ndarray,
    codes: np.ndarray,
    w: np.ndarray | None,
    unit_rows: np.ndarray | None,
    unit_offsets: np.ndarray | None,
    seeds: list,
    n_units: int,
    n_levels: int,
    n_params: int,
) -> tuple[np.ndarray, list[str | None]]:
    """Bootstrap replicates for one chunk of seeds (one joblib task)."""
    out = np.full((len(seeds), n_params), np.nan)
    status: list[str | None] = []
    for k, seed in enumerate(seeds):
        draw = np.random.default_rng(seed).integers(0, n_units, n_units)
        if unit_rows is None:
            rows = draw
        else:
            rows = np.concatenate([unit_rows[unit_offsets[g] : unit_offsets[g + 1]] for g in draw])
        params, reason = _refit(settings, X, codes, w, rows, n_levels, n_params)
        if reason not in _FAILURE_REASONS:
            out[k] = params
        status.append(reason)
    return out, status


def _jack_chunk(
    settings: dict[str, Any],
    X: np.ndarray,
    codes: np.ndarray,
    w: np.ndarray | None,
    group_of_row: np.ndarray,
    group_ids: np.ndarray,
    n_levels: int,
    n_params: int,
) -> tuple[np.ndarray, list[str | None]]:
    """Jackknife refits leaving out each group in ``group_ids`` (one joblib task)."""
    out = np.full((len(group_ids), n_params), np.nan)
    status: list[str | None] = []
    for k, g in enumerate(group_ids):
        rows = np.flatnonzero(group_of_row != g)
        params, reason = _refit(settings, X, codes, w, rows, n_levels, n_params)
        if reason not in _FAILURE_REASONS:
            out[k] = params
        status.append(reason)
    return out, status


# --------------------------------------------------------------------------- driver side
def bootstrap(
    model: Any,
    X: Any,
    y: Any,
    *,
    n_boot: int = 1000,
    n_jobs: int | None = None,
    random_state: int | np.random.SeedSequence | None = 0,
    groups: Any = None,
    sample_weight: Any = None,
    cluster_resample: bool = False,
    alpha: float | None = None,
) -> BootstrapResult:
    """Bootstrap an :class:`~copfactors.models.OrdinalRegression`'s parameters.

    The engine of :meth:`copfactors.models.OrdinalRegression.bootstrap`, which documents the
    parameters. The model is fitted on ``X, y`` if it is not fitted yet; if it is, it must
    have been fitted on the same data (checked by a refit).

    Examples
    --------
    >>> import numpy as np
    >>> from copfactors.models import OrdinalRegression
    >>> from copfactors.parallel import bootstrap
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(60, 1))
    >>> y = np.digitize(x[:, 0] + rng.logistic(size=60), [-1.0, 1.0])
    >>> bootstrap(OrdinalRegression(), x, y, n_boot=30).n_ok
    30
    """
    import joblib

    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 2:
        raise ModelInputError(f"n_boot must be an integer >= 2, got {n_boot!r}")
    n_boot = int(n_boot)
    n_jobs = check_n_jobs(n_jobs)
    alpha = float(model.alpha if alpha is None else alpha)
    check_alpha(alpha)
    root = root_sequence(random_state)
    if cluster_resample and groups is None:
        raise ModelInputError("cluster_resample=True needs groups: pass bootstrap(..., groups=...)")

    if not hasattr(model, "thresholds_"):
        model.fit(
            X,
            y,
            groups=groups if model.cov_type == "cluster" else None,
            sample_weight=sample_weight,
        )
        already_fitted = False
    else:
        already_fitted = True
    X_arr = model._validate_X(X, reset=False)
    n = X_arr.shape[0]
    enc = encode_outcome(y)
    if enc.codes.shape[0] != n:
        raise ModelInputError(
            f"X has {n} rows but y has {enc.codes.shape[0]}: they must describe the same rows"
        )
    codes = enc.codes.astype(np.int64)
    w = check_sample_weight(sample_weight, n)
    g_codes = check_groups(groups, n)[0] if groups is not None else None
    if w is not None and not np.all(w > 0):
        keep = w > 0  # rows of weight zero take no part in any fit
        X_arr, codes, w = X_arr[keep], codes[keep], w[keep]
        g_codes = None if g_codes is None else g_codes[keep]
        codes = np.unique(codes, return_inverse=True)[1].astype(np.int64)
        n = len(codes)
    n_levels = int(codes.max()) + 1
    X_arr = np.ascontiguousarray(X_arr)

    # refits: only the point estimates are needed, and X is an array with columns in the
    # fitted order (nominal predictors by position)
    refitter = {
        "link": model._fit_link,
        "nominal": list(model._nominal_idx),
        "max_iter": int(model.max_iter),
        "tol": float(model.tol),
    }
    names = model.params_.index
    theta = model.params_.to_numpy()
    n_params = len(theta)
    params, reason = _refit(refitter, X_arr, codes, w, np.arange(n), n_levels, n_params)
    if params is None or not np.allclose(params, theta, rtol=1e-6, atol=1e-8):
        reason = reason if params is None else "different estimates"
        what = "fitted on other data" if already_fitted else "not reproducible"
        raise ModelInputError(
            f"bootstrap needs the model fitted on the same X, y and sample_weight; the model "
            f"was {what} (refit on the data given: {reason})"
        )

    # resampling units: rows, or clusters (rows grouped by cluster)
    if cluster_resample:
        order = np.argsort(g_codes, kind="stable")
        n_units = int(g_codes.max()) + 1
        offsets = np.concatenate([[0], np.cumsum(np.bincount(g_codes, minlength=n_units))])
        unit_rows, unit_offsets, unit_of_row = order, offsets, g_codes
    else:
        n_units = n
        unit_rows = unit_offsets = None
        unit_of_row = np.arange(n)
    if n_units < 2:
        raise ModelInputError(f"the bootstrap needs at least 2 resampling units, got {n_units}")

    boot_branch, jack_branch = root.spawn(2)
    seeds = boot_branch.spawn(n_boot)
    parallel = joblib.Parallel(n_jobs=n_jobs)
    parts = parallel(
        joblib.delayed(_boot_chunk)(
            refitter,
            X_arr,
            codes,
            w,
            unit_rows,
            unit_offsets,
            seeds[a:b],
            n_units,
            n_levels,
            n_params,
        )
        for a, b in chunk_bounds(n_boot, n_jobs)
    )
    reps = np.concatenate([p[0] for p in parts], axis=0)
    status = [s for p in parts for s in p[1]]

    # jackknife for the BCa acceleration: exact up to JACKKNIFE_EXACT_MAX units
    if n_units <= JACKKNIFE_EXACT_MAX:
        jack_kind, n_jack = "exact", n_units
        group_of_row = unit_of_row
    else:
        jack_kind, n_jack = "grouped", JACKKNIFE_GROUPS
        perm = np.random.default_rng(jack_branch).permutation(n_units)
        group_of_unit = np.empty(n_units, dtype=np.int64)
        group_of_unit[perm] = np.arange(n_units) % JACKKNIFE_GROUPS
        group_of_row = group_of_unit[unit_of_row]
    ids = np.arange(n_jack)
    jparts = parallel(
        joblib.delayed(_jack_chunk)(
            refitter, X_arr, codes, w, group_of_row, ids[a:b], n_levels, n_params
        )
        for a, b in chunk_bounds(n_jack, n_jobs)
    )
    jack = np.concatenate([p[0] for p in jparts], axis=0)
    jack_failures = sum(s in _FAILURE_REASONS for p in jparts for s in p[1])

    reasons = Counter(s for s in status if s in _FAILURE_REASONS)
    ok = np.array([s not in _FAILURE_REASONS for s in status])
    failures = int((~ok).sum())
    if not ok.any():
        raise ModelInputError(
            f"every one of the {n_boot} bootstrap replicates failed "
            f"({dict(reasons)}); the model cannot be bootstrapped on these data"
        )
    if failures:
        warnings.warn(
            f"{failures} of {n_boot} bootstrap replicates were dropped ({dict(reasons)}); "
            "the intervals use the remaining ones. Many failures mean the data are too thin "
            "for some parameters (rare outcome levels, rare binary predictors)",
            CopFactorsWarning,
            stacklevel=3,
        )
    return BootstrapResult(
        estimate=pd.Series(theta.copy(), index=names, name="estimate"),
        replicates=pd.DataFrame(
            reps[ok], index=pd.Index(np.flatnonzero(ok), name="replicate"), columns=names
        ),
        jackknife=pd.DataFrame(jack, index=pd.Index(ids, name="left_out"), columns=names),
        alpha=alpha,
        n_boot=n_boot,
        failures=failures,
        failure_reasons={r: int(reasons[r]) for r in _FAILURE_REASONS if reasons[r]},
        separated=int(sum(s == "separated" for s in status)),
        resampling="cluster" if cluster_resample else "case",
        n_units=int(n_units),
        jackknife_kind=jack_kind,
        jackknife_failures=int(jack_failures),
        random_state=root.entropy,
    )
