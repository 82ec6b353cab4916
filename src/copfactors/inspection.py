"""Drivers of attainment: a driver table, SHAP explanations and a comparison of models.

Three entry points:

* :func:`drivers` turns a fitted :class:`~copfactors.models.OrdinalRegression` into one table
  with a row per driver: coefficient, standard error, p-value, confidence interval, odds
  ratio, average marginal effect on the expected attainment score (with a delta-method
  standard error), mean absolute SHAP value on the latent scale, relative importance
  (general dominance weights of McFadden's pseudo R-squared) and a per-driver test of the
  proportional-odds assumption. The result, a :class:`DriverTable`, renders as text, HTML and
  LaTeX through :func:`copfactors.report.render_table`, like the model summaries. A
  :class:`~copfactors.models.MixedOrdinalRegression` (respondents nested in CoPs) is accepted
  too: its coefficients are conditional (subject-specific), its marginal effects are on the
  marginal (population-averaged) expected score, and the notes say which column is which.
* :func:`explain` returns a :class:`shap.Explanation` (so every ``shap.plots`` function works)
  on the latent, expected-score or probability scale of an ordinal model (fixed or mixed),
  or for a scikit-learn tree ensemble.
* :func:`compare_models` cross-validates ordinal logit and probit, binary logit and gradient
  boosting (and, with groups, the mixed ordinal logit) on the same folds and returns one tidy
  table of log-loss, Brier score, kappa and accuracy.

``copfactors.explain`` is the function :func:`explain` (this module is named after
scikit-learn's ``sklearn.inspection``, so that the function and the module do not share a name).

Subset refits (relative importance) and cross-validation folds run through
:class:`joblib.Parallel`, so ``n_jobs`` uses several cores and
``joblib.parallel_config(backend="dask")`` sends the work to a Dask cluster. shap and
matplotlib are imported only inside the functions that need them.

Examples
--------
>>> import numpy as np
>>> import pandas as pd
>>> from copfactors.inspection import drivers
>>> from copfactors.models import OrdinalRegression
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({"commitment": rng.normal(3.5, 0.8, 300),
...                   "voluntary": rng.integers(0, 2, 300).astype(float)})
>>> latent = 1.2 * X.commitment + 0.8 * X.voluntary + rng.logistic(size=300)
>>> y = np.digitize(latent, [3.5, 4.5, 5.5]) + 1
>>> model = OrdinalRegression().fit(X, y)
>>> table = drivers(model, X, y=y)
>>> table.table["driver"].tolist()
['commitment', 'voluntary']
>>> bool(np.isclose(table.table["importance_r2"].sum(), model.r2_mcfadden_))
True
>>> round(float(table.table["importance_pct"].sum()), 10)
100.0
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from copfactors._utils.numeric import central_jacobian, relative_steps
from copfactors._utils.parallel import check_n_jobs
from copfactors._utils.render import Result, format_p, render_table
from copfactors._utils.validation import check_columns
from copfactors.errors import CopFactorsError, CopFactorsWarning, FeatureError, NotFittedError

if TYPE_CHECKING:  # pragma: no cover
    import shap

    from copfactors.models import MixedOrdinalRegression, OrdinalRegression

__all__ = [
    "COMPARE_COLUMNS",
    "DRIVER_COLUMNS",
    "GROUPED_MODEL_NAMES",
    "MODEL_NAMES",
    "DriverTable",
    "compare_models",
    "drivers",
    "explain",
]

#: Columns of :attr:`DriverTable.table`, in order.
DRIVER_COLUMNS: tuple[str, ...] = (
    "driver",
    "coef",
    "se",
    "p",
    "ci_low",
    "ci_high",
    "odds_ratio",
    "ame_expected",
    "ame_se",
    "mean_abs_shap",
    "importance_r2",
    "importance_pct",
    "po_test_p",
)

#: Columns of the table :func:`compare_models` returns, in order.
COMPARE_COLUMNS: tuple[str, ...] = ("model", "outcome", "metric", "mean", "sd", "n_folds")

#: Models :func:`compare_models` knows.
MODEL_NAMES: tuple[str, ...] = (
    "ordinal_logit",
    "ordinal_probit",
    "binary_logit",
    "gradient_boosting",
)

#: Models :func:`compare_models` knows only with ``groups`` (not in the default list).
GROUPED_MODEL_NAMES: tuple[str, ...] = ("ordinal_mixed",)

_IMPORTANCE = ("auto", "exact", "sampled")
_PO_TESTS = ("nominal", "brant")
_SCALES = ("latent", "expected", "probability")
_TREE_SCALES = ("raw", "probability")
_ALGORITHMS = ("auto", "exact", "permutation")
# the model-agnostic explainers evaluate the model on 2^p coalitions for the exact algorithm
_EXACT_MAX_FEATURES = 8
# Gauss-Hermite nodes of the marginal expected score of a mixed model (as its predict_proba)
_MARGINAL_NODES = 40


# ---------------------------------------------------------------------------------------------
# the result container
# ---------------------------------------------------------------------------------------------
@dataclass(repr=False)
class DriverTable(Result):
    """The driver table of a fitted ordinal model, with its notes.

    A :class:`~copfactors.report.Result`: ``to_text``, ``to_html``, ``to_latex`` (3 decimals
    unless ``digits`` is given), ``print_summary`` and the notebook displays all come from
    :meth:`render`; :meth:`to_frame` is :attr:`table`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per driver, sorted by importance, with the columns of :data:`DRIVER_COLUMNS`:
        ``driver``; ``coef``, ``se``, ``p``, ``ci_low``, ``ci_high`` (the model's Wald
        inference); ``odds_ratio`` (``exp(coef)``, logit link only, else NaN);
        ``ame_expected`` and ``ame_se`` (average marginal effect on the expected attainment
        score and its delta-method standard error); ``mean_abs_shap`` (mean absolute latent
        SHAP value); ``importance_r2`` (general dominance weight of McFadden's R-squared: the
        weights sum to the model's R-squared) and ``importance_pct`` (the same weight as a
        percentage of their total, the R-squared: they sum to 100); ``po_test_p`` (p-value of
        the driver's proportional-odds test). When the model is (quasi-)completely separated a
        last column ``separated`` flags the drivers whose estimates are infinite.
    notes : list of str
        What each column means here, how the table was computed and anything to watch.
    info : dict
        Facts about the computation: ``model`` (``"fixed"`` or ``"mixed"``), ``link``, ``n``
        (rows of X), ``classes``, ``r2_mcfadden`` (of a fixed model), ``importance_method``
        (``"exact"``, ``"sampled"`` or None), ``n_subset_fits``, ``importance_mc_se`` (Monte
        Carlo standard errors of sampled ``importance_r2``, a Series, or None), ``po_test``,
        ``separated`` (the drivers with infinite estimates) and ``sorted_by``; for a mixed
        model also ``sigma`` (SD of the random intercepts), ``icc`` and ``n_groups``.

    Examples
    --------
    >>> import pandas as pd
    >>> from copfactors.inspection import DriverTable
    >>> t = DriverTable(pd.DataFrame({"driver": ["voluntary"], "coef": [0.6]}), ["simulated"])
    >>> print(t.to_text(digits=2))
    Driver table
    --------------
    driver    coef
    --------------
    voluntary 0.60
    --------------
    Note: simulated
    >>> t.to_html().startswith("<table"), t.to_latex().startswith("\\\\begin{tabular}")
    (True, True)
    """

    #: decimals when none are asked for
    default_digits = 3

    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The driver table itself (a copy of :attr:`table`), one row per driver.

        Examples
        --------
        >>> import pandas as pd
        >>> from copfactors.inspection import DriverTable
        >>> DriverTable(pd.DataFrame({"driver": ["x"]})).to_frame()["driver"].tolist()
        ['x']
        """
        return self.table.copy()

    def render(self, style: str = "text", digits: int | None = None, **options: Any) -> str:
        """Render the table with its header facts and notes.

        Columns that are missing throughout (for example ``odds_ratio`` for a probit model,
        or the relative importance without ``y``) are left out; the notes say why.

        Parameters
        ----------
        style : {"text", "html", "latex"}
            Output format, as :func:`copfactors.report.render_table`.
        digits : int, optional
            Decimals shown (default :attr:`default_digits`, 3); ``p`` and ``po_test_p`` are
            formatted as p-values.
        **options
            None are used (accepted for the :class:`~copfactors.report.Result` protocol).

        Returns
        -------
        str

        Examples
        --------
        >>> import pandas as pd
        >>> from copfactors.inspection import DriverTable
        >>> t = DriverTable(pd.DataFrame({"driver": ["a_b"], "p": [0.00001]}))
        >>> "&lt;0.001" in t.render("html")
        True
        """
        digits = self._digits(digits)
        table = self.table
        shown = [c for c in table.columns if c == "driver" or table[c].notna().any()]
        table = table.loc[:, shown]
        header: dict[str, Any] = {}
        info = self.info
        if "n" in info:
            header["Observations (rows of X)"] = info["n"]
        if "classes" in info:
            header["Outcome levels"] = " < ".join(str(c) for c in info["classes"])
        if "link" in info:
            header["Link"] = info["link"]
        if "n_groups" in info:
            header["Groups (random intercept)"] = info["n_groups"]
        if "sigma" in info:
            header["Random intercept SD"] = (
                f"{info['sigma']:.{digits}f} (ICC {info.get('icc', float('nan')):.{digits}f})"
            )
        if "r2_mcfadden" in info:
            header["McFadden R2"] = f"{info['r2_mcfadden']:.{digits}f}"
        if info.get("importance_method"):
            header["Importance"] = {
                "exact": f"general dominance, exact ({info.get('n_subset_fits')} subset fits)",
                "sampled": f"general dominance, sampled ({info.get('n_permutations')} "
                "permutations)",
            }[info["importance_method"]]
        if info.get("po_test"):
            header["Proportional-odds test"] = info["po_test"]
        title = "Driver table"
        if "link" in info:
            mixed = ", random intercept" if info.get("model") == "mixed" else ""
            title += f" (cumulative {info['link']}{mixed})"
        formatters = {}
        if "po_test_p" in table.columns:
            formatters["po_test_p"] = lambda v: format_p(v, digits)
        return render_table(
            table,
            title=title,
            header=header,
            style=style,
            digits=digits,
            formatters=formatters,
            notes=self.notes,
        )

    def __repr__(self) -> str:
        return self.to_text()


# ---------------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------------
def _require_ordinal(model: Any, what: str) -> bool:
    """Refuse anything but a fitted ordinal model; True for a MixedOrdinalRegression."""
    from copfactors.models import MixedOrdinalRegression, OrdinalRegression

    mixed = isinstance(model, MixedOrdinalRegression)
    if not (mixed or isinstance(model, OrdinalRegression)):
        raise CopFactorsError(
            f"{what} needs a fitted copfactors OrdinalRegression or MixedOrdinalRegression, "
            f"got {type(model).__name__}"
        )
    if not hasattr(model, "thresholds_"):
        call = "fit(X, y, groups=...)" if mixed else "fit(X, y)"
        raise NotFittedError(
            f"{what}: this {type(model).__name__} is not fitted yet; call {call} first"
        )
    return mixed


def _model_names(model: Any) -> list[str]:
    if hasattr(model, "feature_names_in_"):
        return [str(c) for c in model.feature_names_in_]
    return [f"x{j}" for j in range(int(model.n_features_in_))]


def _as_model_frame(model: Any, X: Any, what: str = "X") -> pd.DataFrame:
    """``X`` as a float DataFrame in the model's column order, or a clear error."""
    names = _model_names(model)
    has_names = hasattr(model, "feature_names_in_")
    if isinstance(X, pd.DataFrame):
        cols = [str(c) for c in X.columns]
        if has_names:
            check_columns(cols, names, what=f"{what} does not match the model's drivers")
            frame = X.set_axis(cols, axis=1).loc[:, names]
        else:
            check_columns(cols, cols, what=what)  # duplicated names only
            if X.shape[1] != len(names):
                raise CopFactorsError(
                    f"{what} has {X.shape[1]} column(s) but the model was fitted on "
                    f"{len(names)} unnamed column(s)"
                )
            frame = X.set_axis(names, axis=1)
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise CopFactorsError(f"{what} must be 2-dimensional, got shape {arr.shape}")
        if arr.shape[1] != len(names):
            raise CopFactorsError(
                f"{what} has {arr.shape[1]} column(s) but the model was fitted on "
                f"{len(names)}: {names!r}"
            )
        frame = pd.DataFrame(arr, columns=names)
    return _numeric_frame(frame, what)


def _numeric_frame(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    if len(frame) == 0:
        raise CopFactorsError(f"{what} has no rows")
    bad = []
    for c in frame.columns:
        dtype = frame[c].dtype
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            bad.append(c)
    if bad:
        raise FeatureError(
            f"{what} column(s) {bad!r} are not numeric; encode them first (for example with "
            "copfactors.CoPFeatureBuilder)"
        )
    out = frame.astype("float64")
    arr = out.to_numpy()
    finite = np.isfinite(arr)
    if not finite.all():
        cols = [str(c) for c, ok in zip(out.columns, finite.all(axis=0), strict=True) if not ok]
        rows = np.flatnonzero(~finite.all(axis=1))[:5].tolist()
        raise FeatureError(
            f"{what} has missing or infinite values in column(s) {cols!r} (first rows at "
            f"positions {rows}); drop or impute them first"
        )
    return out


def _model_link(model: Any) -> str:
    return str(getattr(model, "_fit_link", model.link))


def _class_scores(model: Any) -> np.ndarray:
    """Numeric value of each outcome level, as ``predict_expected`` uses them."""
    scores = getattr(model, "_class_scores", None)
    if scores is not None:
        return np.asarray(scores, dtype=np.float64)
    try:
        return np.asarray(model.classes_, dtype=np.float64)
    except (TypeError, ValueError):
        return np.arange(1.0, len(model.classes_) + 1.0)


def _align_y(X: Any, y: Any, n: int) -> Any:
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise CopFactorsError(f"y must be one column, got {y.shape[1]}")
        y = y.iloc[:, 0]
    if isinstance(X, pd.DataFrame) and isinstance(y, pd.Series) and not X.index.equals(y.index):
        if X.index.is_unique and y.index.is_unique and set(X.index) == set(y.index):
            y = y.loc[X.index]
        else:
            raise CopFactorsError(
                "the index of y does not match the index of X; align them first (for example "
                "y.loc[X.index])"
            )
    length = len(y) if hasattr(y, "__len__") else np.asarray(y).shape[0]
    if length != n:
        raise CopFactorsError(
            f"X has {n} rows but y has {length}: they must describe the same rows"
        )
    missing = pd.isna(pd.Series(np.asarray(y, dtype=object) if not isinstance(y, pd.Series) else y))
    if missing.any():
        rows = np.flatnonzero(missing.to_numpy())[:5].tolist()
        raise CopFactorsError(
            f"y has {int(missing.sum())} missing value(s) (first at positions {rows}); drop "
            "those rows from X and y first"
        )
    return y


# ---------------------------------------------------------------------------------------------
# average marginal effects on the expected score
# ---------------------------------------------------------------------------------------------
def _is_binary(col: np.ndarray) -> bool:
    values = np.unique(col)
    return values.size == 2 and bool(np.all(values == np.array([0.0, 1.0])))


def _expected_ame(
    model: Any, frame: pd.DataFrame, params: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AMEs on the expected score of each location driver and their Jacobian.

    With ``P(Y <= j) = F(c_j)``, ``c_j = theta_j + w'gamma_j - x'beta``, the expected score is
    ``E = s_K - sum_j (s_{j+1} - s_j) F(c_j)``. A continuous driver's marginal effect is
    ``beta_d sum_j (s_{j+1} - s_j) f(c_j)``; a 0/1 driver's is ``E(x_d = 1) - E(x_d = 0)``;
    both are averaged over the rows. The Jacobian is analytic, with respect to every
    parameter in the order of ``model.params_``.

    Returns ``(ame, jacobian, is_binary)``.
    """
    from copfactors.models import get_link

    link = get_link(_model_link(model))
    loc = list(model.coef_.index)
    nom = list(model.nominal_coef_.columns)
    J = len(model.thresholds_)
    q = len(nom)
    p = len(loc)
    params = model.params_.to_numpy() if params is None else np.asarray(params, dtype=float)
    theta = params[:J]
    gamma = params[J : J * (1 + q)].reshape(q, J)  # row v: the J effects of nominal predictor v
    beta = params[J * (1 + q) :]
    Xl = frame.loc[:, loc].to_numpy()
    W = frame.loc[:, nom].to_numpy() if q else None
    n = Xl.shape[0]
    ds = np.diff(_class_scores(model))
    s_top = _class_scores(model)[-1]
    cuts = np.broadcast_to(theta, (n, J)).copy()
    if q:
        cuts += W @ gamma
    eta = Xl @ beta
    binary = np.array([_is_binary(Xl[:, d]) for d in range(p)], dtype=bool)
    ame = np.empty(p)
    jac = np.zeros((p, len(params)))
    b0 = J * (1 + q)

    def fill_cut_block(row: np.ndarray, per_cut: np.ndarray) -> None:
        # per_cut: (n, J) derivative of the row quantity with respect to the cut points
        row[:J] = per_cut.mean(axis=0)
        for v in range(q):
            row[J + v * J : J + (v + 1) * J] = (per_cut * W[:, v : v + 1]).mean(axis=0)

    if (~binary).any():
        _, f, fp = link.cdf_pdf_dpdf(cuts - eta[:, None])
        g = f @ ds  # dE/d(eta) per row
        h = fp * ds  # d^2 E / d(cut_j) d(eta), per row and cut
        g_mean = g.mean()
        h_eta = h.sum(axis=1) @ Xl / n
        for d in np.flatnonzero(~binary):
            ame[d] = beta[d] * g_mean
            fill_cut_block(jac[d], beta[d] * h)
            jac[d, b0:] = -beta[d] * h_eta
            jac[d, b0 + d] += g_mean
    for d in np.flatnonzero(binary):
        expected = []
        grads = []
        for value in (1.0, 0.0):
            eta_v = eta + (value - Xl[:, d]) * beta[d]
            F, f, _ = link.cdf_pdf_dpdf(cuts - eta_v[:, None])
            expected.append(s_top - F @ ds)
            fd = f * ds
            grad = np.zeros(len(params))
            fill_cut_block(grad, -fd)
            r = fd.sum(axis=1)
            grad[b0:] = r @ Xl / n
            grad[b0 + d] = value * r.mean()
            grads.append(grad)
        ame[d] = float(np.mean(expected[0] - expected[1]))
        jac[d] = grads[0] - grads[1]
    return ame, jac, binary


def _marginal_ame(model: Any, frame: pd.DataFrame, params: np.ndarray | None = None) -> np.ndarray:
    """AMEs on the MARGINAL expected score of a MixedOrdinalRegression.

    The marginal (population-averaged) expected score of a row, for a new group, is
    ``E(x) = s_K - sum_j (s_{j+1} - s_j) E_u[F(theta_j - x'beta - u)]`` with
    ``u ~ N(0, sigma^2)``, integrated by Gauss-Hermite quadrature as ``predict_expected(X)``
    does without groups. A continuous driver's marginal effect is
    ``beta_d sum_j (s_{j+1} - s_j) E_u[f(theta_j - x'beta - u)]``, a 0/1 driver's the change
    of ``E`` from 0 to 1; both averaged over the rows. ``params`` are
    ``(thresholds, coefficients, log_sigma)`` in the order of ``model.cov_`` (default: the
    estimates).
    """
    from copfactors.models import get_link

    link = get_link(_model_link(model))
    J = len(model.thresholds_)
    p = len(model.coef_)
    params = model.params_.to_numpy() if params is None else np.asarray(params, dtype=float)
    theta, beta, sigma = params[:J], params[J : J + p], math.exp(params[J + p])
    z, wq = np.polynomial.hermite.hermgauss(_MARGINAL_NODES)
    u = math.sqrt(2.0) * sigma * z
    wq = wq / math.sqrt(math.pi)
    scores = _class_scores(model)
    ds = np.diff(scores)
    Xl = frame.loc[:, [str(c) for c in model.coef_.index]].to_numpy()
    eta = Xl @ beta

    def cuts(eta_v: np.ndarray) -> np.ndarray:
        return theta[None, :, None] - eta_v[:, None, None] - u[None, None, :]

    ame = np.empty(p)
    binary = np.array([_is_binary(Xl[:, d]) for d in range(p)], dtype=bool)
    if (~binary).any():
        _, f, _ = link.cdf_pdf_dpdf(cuts(eta))
        slope = float(np.mean((f @ wq) @ ds))  # dE/d(eta), averaged over the rows
        ame[~binary] = beta[~binary] * slope
    for d in np.flatnonzero(binary):
        at = [
            scores[-1] - (link.cdf(cuts(eta + (v - Xl[:, d]) * beta[d])) @ wq) @ ds for v in (1, 0)
        ]
        ame[d] = float(np.mean(at[0] - at[1]))
    return ame


def _marginal_ame_jacobian(model: Any, frame: pd.DataFrame) -> np.ndarray:
    """Jacobian of :func:`_marginal_ame` over ``(thresholds, coefficients, log_sigma)``.

    Central differences with steps ``1e-5 * max(1, |parameter|)`` (truncation error about
    1e-10, far below any standard error).
    """
    params = model.params_.to_numpy().astype(float)
    return central_jacobian(
        lambda p: _marginal_ame(model, frame, p), params, relative_steps(params, 1e-5)
    )


# ---------------------------------------------------------------------------------------------
# relative importance: general dominance of McFadden's R2 over subset fits
# ---------------------------------------------------------------------------------------------
def _fit_subset_chunk(
    X: np.ndarray,
    codes: np.ndarray,
    w: np.ndarray | None,
    link: str,
    n_nominal: int,
    subsets: Sequence[tuple[int, ...]],
) -> list[tuple[float, bool]]:
    """Log-likelihood and convergence of the model on each subset of location columns.

    The last ``n_nominal`` columns of ``X`` are nominal predictors present in every fit. The
    fits run the estimator's solver without its inference (``point_fit``): only the
    log-likelihood is used, and it is the one ``OrdinalRegression.fit`` would give.
    """
    from copfactors.models import point_fit

    if w is not None and not np.all(w > 0):
        keep = w > 0  # as in fit: rows of weight zero take no part
        X, w, codes = X[keep], w[keep], codes[keep]
    # codes 0..K-1 of the levels present, in their order (as fit encodes integer outcomes)
    levels, codes = np.unique(codes, return_inverse=True)
    codes = codes.astype(np.int64)
    n_levels = len(levels)
    p_loc = X.shape[1] - n_nominal
    nominal_cols = list(range(p_loc, X.shape[1]))
    out: list[tuple[float, bool]] = []
    for cols in subsets:
        use = [*cols, *nominal_cols]
        try:
            fit = point_fit(
                np.ascontiguousarray(X[:, use], dtype=np.float64),
                codes,
                n_levels,
                sample_weight=w,
                link=link,
                nominal=list(range(len(cols), len(use))),
                separation=False,
            )
        except (CopFactorsError, ValueError, np.linalg.LinAlgError, FloatingPointError):
            out.append((float("nan"), False))
            continue
        out.append((fit.loglik, fit.converged))
    return out


def _subset_logliks(
    X: np.ndarray,
    codes: np.ndarray,
    w: np.ndarray | None,
    link: str,
    n_nominal: int,
    subsets: list[tuple[int, ...]],
    n_jobs: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit every subset through joblib, one task per chunk of subsets."""
    from joblib import Parallel, delayed, effective_n_jobs

    if not subsets:
        return np.empty(0), np.empty(0, dtype=bool)
    # a few chunks per worker balance the load; interleaving mixes small and large subsets
    n_chunks = min(len(subsets), 4 * max(1, effective_n_jobs(n_jobs)))
    chunks = [subsets[i::n_chunks] for i in range(n_chunks)]
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fit_subset_chunk)(X, codes, w, link, n_nominal, chunk) for chunk in chunks
    )
    ll = np.empty(len(subsets))
    conv = np.empty(len(subsets), dtype=bool)
    for i, res in enumerate(results):
        for k, (value, ok) in enumerate(res):
            ll[i + k * n_chunks] = value
            conv[i + k * n_chunks] = ok
    return ll, conv


def _mask_columns(mask: int, p: int) -> tuple[int, ...]:
    return tuple(j for j in range(p) if mask >> j & 1)


def _dominance(
    X: np.ndarray,
    codes: np.ndarray,
    w: np.ndarray | None,
    link: str,
    n_nominal: int,
    ll_null: float,
    ll_base: float,
    ll_full: float,
    method: str,
    n_samples: int,
    random_state: int | None,
    n_jobs: int | None,
) -> dict[str, Any]:
    """General dominance weights of McFadden's R2 (exact or by permutation sampling)."""
    p = X.shape[1] - n_nominal
    full = (1 << p) - 1

    def r2(ll: np.ndarray | float) -> np.ndarray | float:
        return 1.0 - np.asarray(ll) / ll_null

    if method == "exact":
        masks = list(range(1, full))
        ll, conv = _subset_logliks(
            X, codes, w, link, n_nominal, [_mask_columns(m, p) for m in masks], n_jobs
        )
        values = np.empty(full + 1)
        values[0] = r2(ll_base)
        values[full] = r2(ll_full)
        values[1:full] = r2(ll)
        all_masks = np.arange(full + 1)
        sizes = np.bitwise_count(all_masks.astype(np.uint64)).astype(np.int64)
        comb = np.array([math.comb(p - 1, k) for k in range(p)], dtype=float)
        shares = np.empty(p)
        for d in range(p):
            bit = 1 << d
            without = all_masks[(all_masks & bit) == 0]
            inc = values[without | bit] - values[without]
            shares[d] = np.sum(inc / comb[sizes[without]]) / p
        return {
            "shares": shares,
            "mc_se": None,
            "n_fits": len(masks) + 1,
            "n_failed": int((~conv).sum()),
            "n_permutations": None,
        }

    rng = np.random.default_rng(random_state)
    perms = [rng.permutation(p) for _ in range(n_samples)]
    needed: dict[int, None] = {}
    for perm in perms:
        mask = 0
        for j in perm[:-1]:
            mask |= 1 << int(j)
            needed.setdefault(mask, None)
    masks = list(needed)
    ll, conv = _subset_logliks(
        X, codes, w, link, n_nominal, [_mask_columns(m, p) for m in masks], n_jobs
    )
    value = dict(zip(masks, np.asarray(r2(ll), dtype=float).tolist(), strict=True))
    value[0] = float(r2(ll_base))
    value[full] = float(r2(ll_full))
    inc = np.empty((n_samples, p))
    for s, perm in enumerate(perms):
        mask = 0
        before = value[0]
        for j in perm:
            mask |= 1 << int(j)
            after = value[mask]
            inc[s, j] = after - before
            before = after
    shares = inc.mean(axis=0)
    mc_se = inc.std(axis=0, ddof=1) / math.sqrt(n_samples) if n_samples > 1 else np.full(p, np.nan)
    return {
        "shares": shares,
        "mc_se": mc_se,
        "n_fits": len(masks) + 1,
        "n_failed": int((~conv).sum()),
        "n_permutations": n_samples,
    }


# ---------------------------------------------------------------------------------------------
# the driver table
# ---------------------------------------------------------------------------------------------
def drivers(
    model: OrdinalRegression | MixedOrdinalRegression,
    X: Any,
    *,
    y: Any = None,
    sample_weight: Any = None,
    n_jobs: int | None = None,
    importance: str | None = "auto",
    max_exact: int = 15,
    n_samples: int = 200,
    random_state: int | None = 0,
    po_test: str | None = "nominal",
    ame_se: str | None = "delta",
) -> DriverTable:
    """One table of everything known about each driver of a fitted ordinal model.

    Parameters
    ----------
    model : OrdinalRegression or MixedOrdinalRegression
        A fitted cumulative link model. With nominal (threshold-specific) effects, the table
        has one row per location (proportional-odds) driver only; the nominal predictors are
        named in the notes. For a mixed model (random intercept per CoP) see the Notes.
    X : DataFrame or array-like of shape (n, p)
        The drivers, the model's columns (matched by name; arrays by position). Marginal
        effects and SHAP values are averaged over its rows; to refit the importance subsets
        it must be the training data (or data of the same kind) with ``y``.
    y : array-like of shape (n,), optional
        The outcome of ``X``'s rows. The model does not keep its training data, so relative
        importance needs ``y``; without it ``importance_r2`` and ``importance_pct`` are NaN
        (said in the notes).
    sample_weight : array-like of shape (n,), optional
        Frequency weights the model was fitted with, used in the subset refits.
    n_jobs : int, optional
        Workers for the subset refits, as :class:`joblib.Parallel` (None: one, or the
        surrounding ``joblib.parallel_config``; -1: all cores). The refits run as a few tasks
        per worker, each fitting a chunk of subsets.
    importance : {"auto", "exact", "sampled"} or None, default "auto"
        Relative importance: the general dominance weights (Budescu 1993; Azen and Traxel 2009)
        of McFadden's pseudo R-squared ``1 - loglik / loglik_null``. For each driver, the
        increase in R-squared when it is added to a subset of the other drivers, averaged over
        the subsets of each size and then over the sizes. The weights sum to the full model's
        McFadden R-squared. ``"exact"`` fits the model (same link) on all ``2^p`` subsets.
        ``"sampled"`` estimates the weights from ``n_samples`` random orderings of the drivers:
        general dominance weights are the Shapley values of R-squared, so the average
        increment of each driver along random orderings is an unbiased estimate (Shapley-value
        sampling; the estimates still sum exactly to the full R-squared, and their Monte Carlo
        standard errors are in ``info["importance_mc_se"]``). ``"auto"``: exact when
        ``p <= max_exact``, else sampled. None: not computed.
    max_exact : int, default 15
        Largest number of drivers for which ``"auto"`` is exact (``2^15 = 32768`` fits).
    n_samples : int, default 200
        Orderings drawn by the sampled estimate.
    random_state : int, optional
        Seed of the orderings (the table is reproducible for a fixed seed).
    po_test : {"nominal", "brant"} or None, default "nominal"
        Per-driver test of the proportional-odds assumption in ``po_test_p``:
        :meth:`~copfactors.models.OrdinalRegression.nominal_test` (likelihood ratio, any link)
        or :meth:`~copfactors.models.OrdinalRegression.brant_test` (logit link only).
    ame_se : {"delta"} or None, default "delta"
        Standard errors of the average marginal effects by the delta method, with the
        analytic gradient of the AME with respect to every parameter and ``model.cov_``
        (so they follow the model's covariance type). None: not computed.

    Returns
    -------
    DriverTable
        ``.table`` with the columns of :data:`DRIVER_COLUMNS`, sorted by ``importance_r2``
        (largest first) when computed, else by ``mean_abs_shap``; ``.notes``; ``.info``.

        - ``importance_r2``: the driver's general dominance weight, in units of McFadden's
          R-squared; the weights sum to the model's R-squared.
        - ``importance_pct``: ``100 * importance_r2 / sum(importance_r2)``, the driver's
          percentage of the R-squared; they sum to 100.

        - ``ame_expected``: average marginal effect on the expected attainment score
          ``E[Y] = sum_k k P(Y = k)`` (the level values when they are numbers, else
          ``1..K``): the derivative with respect to the driver averaged over the rows of X, and
          for 0/1 drivers the average discrete change from 0 to 1.
        - ``mean_abs_shap``: mean of ``|coef * (x - mean x)|`` over X, the exact SHAP values
          of the linear predictor ``x'beta`` (latent scale, e.g. logit units) with X as
          background.
        - ``separated`` (only when the model is (quasi-)completely separated): True for a
          driver whose estimate is infinite. Its ``coef`` is ``+inf``/``-inf`` (NaN when
          either sign fits), ``odds_ratio`` ``inf`` or 0, ``se``, ``p``, the interval,
          ``ame_expected``, ``ame_se`` and ``po_test_p`` are NaN and ``mean_abs_shap`` is
          ``inf``. The
          relative importance is then not computed for any driver (NaN, with a note): its
          subset refits would be separated too.

    Raises
    ------
    NotFittedError
        If the model is not fitted.
    CopFactorsError
        If X's columns do not match the model's (the message names them), if y does not
        describe X's rows or has other levels than the model, or on invalid options
        (including ``importance="exact"`` or ``"sampled"`` with a mixed model).
    FeatureError
        If X has non-numeric, missing or infinite values.

    Warns
    -----
    CopFactorsWarning
        If refitting the model on X and y does not reproduce its log-likelihood (then the
        importance columns describe the refit).

    Notes
    -----
    With a :class:`~copfactors.models.MixedOrdinalRegression` (respondents nested in CoPs,
    ``P(Y <= k | u) = F(theta_k - x'beta - u)``, ``u ~ N(0, sigma^2)`` per CoP) the columns
    answer two different questions, and the notes say which is which:

    - CONDITIONAL (subject-specific: two respondents of the same CoP): ``coef``, ``se``,
      ``p``, ``ci_low``, ``ci_high`` and ``odds_ratio`` from the model's summary (Wald, the
      inverse Hessian of the marginal log-likelihood), and ``mean_abs_shap`` (latent
      ``x'beta``, as for the fixed model).
    - MARGINAL (population-averaged: a respondent of a new CoP, integrated over its random
      intercept): ``ame_expected``, the average marginal effect on ``predict_expected(X)``
      without groups, and ``ame_se`` by the delta method with a numerical Jacobian over the
      thresholds, coefficients and ``log(sigma)`` and ``model.cov_``. Marginal effects are
      attenuated relative to the conditional coefficients when ``sigma > 0``.
    - ``importance_r2`` and ``importance_pct`` are NaN: general dominance needs the model
      refitted on every subset of drivers including the empty one (random intercept only),
      which ``MixedOrdinalRegression`` cannot fit, and the fixed model's weights would describe a
      model without the random intercept (whose R2 also credits the drivers with
      between-CoP differences). ``importance="exact"`` or ``"sampled"`` is refused; ``y``,
      ``sample_weight``, ``max_exact``, ``n_samples`` and ``n_jobs`` are not used.
    - ``po_test_p`` comes from the fixed-effects model without the random intercept
      (``model.fixed_``), the proportional-odds test available; said in the notes.

    ``info`` records ``model="mixed"``, ``sigma``, ``icc`` and ``n_groups``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from copfactors.inspection import drivers
    >>> from copfactors.models import OrdinalRegression
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"commitment": rng.normal(3.5, 0.8, 300),
    ...                   "steward_active": rng.integers(1, 6, 300).astype(float)})
    >>> latent = 1.0 * X.commitment + 0.3 * X.steward_active + rng.logistic(size=300)
    >>> y = np.digitize(latent, [3.5, 4.5, 5.5]) + 1
    >>> table = drivers(OrdinalRegression().fit(X, y), X, y=y)
    >>> table.table.columns[:4].tolist()
    ['driver', 'coef', 'se', 'p']
    >>> table.info["importance_method"]
    'exact'

    A mixed model (random intercept per CoP) gives conditional coefficients and marginal
    effects for a new CoP:

    >>> from copfactors.models import MixedOrdinalRegression
    >>> cop = np.repeat(np.arange(20), 15)
    >>> latent = latent + rng.normal(0, 1.0, 20)[cop]
    >>> y = np.digitize(latent, [3.5, 4.5, 5.5]) + 1
    >>> mixed = MixedOrdinalRegression().fit(X, y, groups=cop)
    >>> table = drivers(mixed, X)
    >>> table.info["model"], table.info["n_groups"]
    ('mixed', 20)
    >>> bool(table.table["importance_r2"].isna().all())
    True
    """
    mixed = _require_ordinal(model, "drivers")
    if importance is not None and importance not in _IMPORTANCE:
        raise CopFactorsError(
            f"importance must be one of {_IMPORTANCE} or None, got {importance!r}"
        )
    if po_test is not None and po_test not in _PO_TESTS:
        raise CopFactorsError(f"po_test must be one of {_PO_TESTS} or None, got {po_test!r}")
    if ame_se not in ("delta", None):
        raise CopFactorsError(f"ame_se must be 'delta' or None, got {ame_se!r}")
    for name, value, low in (("max_exact", max_exact, 1), ("n_samples", n_samples, 2)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise CopFactorsError(f"{name} must be an integer >= {low}, got {value!r}")
    check_n_jobs(n_jobs)
    if mixed and importance in ("exact", "sampled"):
        raise CopFactorsError(
            f"importance={importance!r} is not available for a MixedOrdinalRegression: general "
            "dominance refits the model on every subset of drivers, including the random "
            "intercept alone, which it cannot fit; use importance=None (or 'auto', which "
            "leaves importance_r2 NaN with a note), or drivers(model.fixed_, X, y=y) for "
            "the importance in the model without the random intercept"
        )

    frame = _as_model_frame(model, X)
    n = len(frame)
    link = _model_link(model)
    loc = [str(c) for c in model.coef_.index]
    nom = [] if mixed else [str(c) for c in model.nominal_coef_.columns]
    notes: list[str] = []
    info: dict[str, Any] = {
        "model": "mixed" if mixed else "fixed",
        "link": link,
        "n": n,
        "classes": list(model.classes_),
    }
    if mixed:
        info.update(sigma=float(model.sigma_), icc=float(model.icc_), n_groups=int(model.n_groups_))
    else:
        info["r2_mcfadden"] = float(model.r2_mcfadden_)
    info.update(
        importance_method=None,
        n_subset_fits=0,
        n_permutations=None,
        importance_mc_se=None,
        po_test=po_test,
    )
    if not loc:
        raise CopFactorsError("the model has no location (proportional-odds) drivers to tabulate")

    # Wald inference from the model's own summary
    summary = model.summary()
    summ = summary.set_index("term")
    coef_rows = summ.loc[loc]
    alpha = float(model.alpha)
    table = pd.DataFrame(
        {
            "driver": loc,
            "coef": coef_rows["coef"].to_numpy(dtype=float),
            "se": coef_rows["se"].to_numpy(dtype=float),
            "p": coef_rows["p"].to_numpy(dtype=float),
            "ci_low": coef_rows["ci_low"].to_numpy(dtype=float),
            "ci_high": coef_rows["ci_high"].to_numpy(dtype=float),
            "odds_ratio": coef_rows["odds_ratio"].to_numpy(dtype=float),
        }
    )
    separated = (
        coef_rows["separated"].to_numpy(dtype=bool)
        if "separated" in coef_rows.columns
        else np.zeros(len(loc), dtype=bool)
    )
    info["separated"] = [d for d, flag in zip(loc, separated, strict=True) if flag]
    level = f"{100 * (1 - alpha):g}%"
    if mixed:
        notes.append(
            f"mixed model: a random intercept per group ({model.n_groups_} groups, SD sigma = "
            f"{model.sigma_:.3g}, latent ICC = {model.icc_:.3g}); CONDITIONAL "
            "(subject-specific, respondents of the same CoP): coef, se, p, ci_low, ci_high, "
            "odds_ratio, mean_abs_shap; MARGINAL (population-averaged, a new CoP, integrated "
            "over its random intercept): ame_expected, ame_se"
        )
    covariance = (
        "covariance from the inverse Hessian of the marginal log-likelihood"
        if mixed
        else f"{summary.attrs.get('cov_type', 'nonrobust')} covariance"
    )
    notes.append(
        f"coef, se, p and the {level} CI (ci_low, ci_high) are the model's Wald inference "
        f"({covariance}); positive coefficients move attainment up"
    )
    if link == "logit":
        notes.append("odds_ratio = exp(coef): the odds of a higher level per unit of the driver")
    else:
        notes.append(f"odds ratios are not defined for the {link} link")
    if nom:
        notes.append(
            f"the model has nominal (threshold-specific) effects for {', '.join(nom)}: they are "
            "not rows of this table (proportional-odds part only); marginal effects hold them at "
            "their observed values"
        )

    # average marginal effects on the expected score (marginal over the CoPs for a mixed model)
    if mixed:
        Xl = frame.loc[:, loc].to_numpy()
        binary = np.array([_is_binary(Xl[:, d]) for d in range(len(loc))], dtype=bool)
        ame = _marginal_ame(model, frame)
        jac = _marginal_ame_jacobian(model, frame) if ame_se == "delta" else None
    else:
        ame, jac, binary = _expected_ame(model, frame)
    table["ame_expected"] = ame
    if ame_se == "delta" and jac is not None:
        V = model.cov_.to_numpy()
        # under separation the infinite estimates have NaN covariances; the effects of the
        # other drivers no longer depend on them (their rows' probabilities are saturated),
        # so they drop out of the delta method
        V = np.where(np.isnan(V), 0.0, V) if separated.any() else V
        table["ame_se"] = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jac, V, jac), 0.0))
    else:
        table["ame_se"] = np.nan
    if separated.any():
        table.loc[separated, ["ame_expected", "ame_se"]] = np.nan
    scores = _class_scores(model)
    kinds = []
    if (~binary).any():
        kinds.append("the average derivative for continuous drivers")
    if binary.any():
        kinds.append("the average change from 0 to 1 for 0/1 drivers")
    if mixed:
        notes.append(
            "ame_expected: average marginal effect on the MARGINAL expected attainment score "
            f"E[Y] = sum_k k P(Y = k) (k = {', '.join(f'{s:g}' for s in scores)}) of a new CoP "
            "(predict_expected(X) without groups: integrated over its random intercept), "
            f"{' and '.join(kinds)}, over the {n} rows of X"
            + (
                "; ame_se by the delta method (numerical Jacobian over the thresholds, "
                "coefficients and log sigma; model.cov_)"
                if ame_se
                else ""
            )
        )
    else:
        notes.append(
            "ame_expected: average marginal effect on the expected attainment score E[Y] = "
            f"sum_k k P(Y = k) (k = {', '.join(f'{s:g}' for s in scores)}), "
            f"{' and '.join(kinds)}, over the {n} rows of X"
            + (
                "; ame_se by the delta method (analytic gradient, the model's covariance)"
                if ame_se
                else ""
            )
        )

    # latent-scale SHAP
    Xl = frame.loc[:, loc].to_numpy()
    beta = model.coef_.to_numpy()
    table["mean_abs_shap"] = np.mean(np.abs((Xl - Xl.mean(axis=0)) * beta), axis=0)
    # an infinite coefficient makes the latent contributions of a varying driver unbounded
    table.loc[separated, "mean_abs_shap"] = np.inf
    notes.append(
        f"mean_abs_shap: mean |coef * (x - mean x)| over X, the exact SHAP values of the latent "
        f"linear predictor x'beta ({link} scale"
        + (", conditional on the CoP's random intercept)" if mixed else ")")
    )

    # relative importance
    p = len(loc)
    table["importance_r2"] = np.nan
    table["importance_pct"] = np.nan
    if importance is None:
        notes.append("importance_r2 and importance_pct not computed (importance=None)")
    elif getattr(model, "separation_", None):
        notes.append(
            "importance_r2 and importance_pct not computed: the model is (quasi-)completely "
            f"separated (by {', '.join(model.separation_)}), so the subset refits of the "
            "relative importance run off to infinite estimates too and their R2 values are "
            "unreliable"
        )
    elif mixed:
        notes.append(
            "importance_r2 and importance_pct not computed for a mixed model: general dominance "
            "refits the model on every subset of drivers, including the random intercept alone, "
            "which MixedOrdinalRegression cannot fit; those of model.fixed_ (drivers("
            "model.fixed_, X, y=y)) describe the model without the random intercept, whose R2 "
            "also credits the drivers with differences between CoPs"
        )
    elif y is None:
        notes.append(
            "importance_r2 and importance_pct not computed: relative importance refits the "
            "model on subsets of drivers and needs the outcome; pass y (the model does not keep "
            "its training data)"
        )
    else:
        method = importance
        if method == "auto":
            method = "exact" if p <= max_exact else "sampled"
        share_info = _importance(
            model, frame, y, sample_weight, link, loc, nom, method, n_samples, random_state, n_jobs
        )
        weights = np.asarray(share_info["shares"], dtype=float)
        total = float(weights.sum())
        table["importance_r2"] = weights
        table["importance_pct"] = 100.0 * weights / total if total > 0 else np.nan
        info["importance_method"] = method
        info["n_subset_fits"] = share_info["n_fits"]
        info["n_permutations"] = share_info["n_permutations"]
        info["r2_mcfadden_refit"] = share_info["r2_full"]
        if share_info["mc_se"] is not None:
            info["importance_mc_se"] = pd.Series(share_info["mc_se"], index=loc, name="mc_se")
        notes.extend(share_info["notes"])

    # proportional-odds tests
    table["po_test_p"] = np.nan
    if po_test is not None:
        table["po_test_p"], po_notes = _po_test(model.fixed_ if mixed else model, loc, po_test)
        if mixed:
            po_notes = [
                "po_test_p: from the fixed-effects model without the random intercept "
                "(model.fixed_); there is no proportional-odds test of the mixed model itself",
                *po_notes,
            ]
        notes.extend(po_notes)
        if separated.any():
            # the refits with a separated driver made nominal are separated too
            table.loc[separated, "po_test_p"] = np.nan

    if table["importance_r2"].notna().any():
        order = np.lexsort(
            (
                -table["mean_abs_shap"].to_numpy(),
                -table["importance_r2"].fillna(-np.inf).to_numpy(),
            )
        )
        info["sorted_by"] = "importance_r2"
    else:
        order = np.argsort(-table["mean_abs_shap"].to_numpy(), kind="stable")
        info["sorted_by"] = "mean_abs_shap"
    notes.append(f"rows sorted by {info['sorted_by']} (largest first)")
    columns = list(DRIVER_COLUMNS)
    if separated.any():
        table["separated"] = separated
        columns.append("separated")
        notes.insert(
            0,
            f"(quasi-)complete separation: the estimates of {', '.join(info['separated'])} "
            "are infinite (separated = True): coef +inf/-inf (NaN when either sign fits), "
            "odds_ratio inf or 0, no se, p or interval; ame_expected, ame_se and po_test_p "
            "are NaN and mean_abs_shap is inf (their latent effects are unbounded)",
        )
    table = table.iloc[order].reset_index(drop=True).loc[:, columns]
    return DriverTable(table=table, notes=notes, info=info)


def _importance(
    model: Any,
    frame: pd.DataFrame,
    y: Any,
    sample_weight: Any,
    link: str,
    loc: list[str],
    nom: list[str],
    method: str,
    n_samples: int,
    random_state: int | None,
    n_jobs: int | None,
) -> dict[str, Any]:
    from copfactors.models import OrdinalRegression

    y = _align_y(frame, y, len(frame))
    X = np.ascontiguousarray(frame.loc[:, [*loc, *nom]].to_numpy())
    full = OrdinalRegression(link=link, nominal=nom or None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full.fit(frame.loc[:, [*loc, *nom]], y, sample_weight=sample_weight)
    if len(full.classes_) != len(model.classes_) or not np.array_equal(
        np.asarray(full.classes_, dtype=object), np.asarray(model.classes_, dtype=object)
    ):
        raise CopFactorsError(
            f"y has the levels {list(full.classes_)!r} but the model was fitted on "
            f"{list(model.classes_)!r}"
        )
    notes: list[str] = []
    if not math.isclose(full.loglik_, model.loglik_, rel_tol=1e-6, abs_tol=1e-8):
        msg = (
            f"refitting the model on the X and y given gives log-likelihood {full.loglik_:.6g}, "
            f"not the model's {model.loglik_:.6g}: X and y are not its training data (or the "
            "weights differ), so importance_r2 and importance_pct describe the refit"
        )
        warnings.warn(msg, CopFactorsWarning, stacklevel=3)
        notes.append(msg)
    # the codes of y in the model's level order; the likelihood depends on the order only
    codes = _codes_of(full, y)
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    ll_null = float(full.loglik_null_)
    if nom:
        base_ll = _fit_subset_chunk(X, codes, w, link, len(nom), [()])[0][0]
    else:
        base_ll = ll_null
    res = _dominance(
        X,
        codes,
        w,
        link,
        len(nom),
        ll_null,
        base_ll,
        float(full.loglik_),
        method,
        n_samples,
        random_state,
        n_jobs,
    )
    r2_full = 1.0 - full.loglik_ / ll_null
    p = len(loc)
    if method == "exact":
        notes.append(
            f"importance_r2: general dominance weights of McFadden's R2 = 1 - loglik / "
            f"loglik_null, exact over all 2^{p} = {2**p} subsets of drivers ({link} link); "
            f"they sum to the full model's R2 = {r2_full:.4f}"
        )
    else:
        worst = float(np.nanmax(res["mc_se"])) if res["mc_se"] is not None else float("nan")
        notes.append(
            f"importance_r2: general dominance weights of McFadden's R2 ESTIMATED by "
            f"Shapley-value sampling over {res['n_permutations']} random orderings of the {p} "
            f"drivers (seed {random_state}; {res['n_fits']} subset fits; largest Monte Carlo "
            f"standard error {worst:.2g}, see info['importance_mc_se']); they sum to the full "
            f"model's R2 = {r2_full:.4f}"
        )
    notes.append(
        "importance_pct: importance_r2 as a percentage of their sum, McFadden's R2 "
        "(they sum to 100)"
    )
    if nom:
        base = 1.0 - base_ll / ll_null
        notes.append(
            f"with nominal effects in every subset fit, the weights sum to the full R2 minus "
            f"that of the nominal-only model ({base:.4f}), and importance_pct is a percentage "
            "of that sum"
        )
    if res["n_failed"]:
        notes.append(
            f"{res['n_failed']} of {res['n_fits']} subset fits did not converge or failed; the "
            "weights that use them are unreliable"
        )
    return {**res, "r2_full": float(r2_full), "notes": notes}


def _codes_of(fitted: Any, y: Any) -> np.ndarray:
    """Integer codes 0..K-1 of ``y`` in the level order of a model fitted on it."""
    from copfactors.models import encode_outcome

    enc = encode_outcome(y)
    if not np.array_equal(
        np.asarray(enc.classes, dtype=object), np.asarray(fitted.classes_, dtype=object)
    ):
        raise CopFactorsError("y's levels changed between fits")  # pragma: no cover
    return np.asarray(enc.codes, dtype=np.int64)


def _po_test(model: Any, loc: list[str], kind: str) -> tuple[np.ndarray, list[str]]:
    K = len(model.classes_)
    if K < 3:
        return np.full(len(loc), np.nan), [
            "po_test_p not defined: with two outcome levels there is one cut and nothing to test"
        ]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = model.nominal_test() if kind == "nominal" else model.brant_test()
    except (CopFactorsError, np.linalg.LinAlgError) as exc:
        return np.full(len(loc), np.nan), [
            f"po_test_p not available: the {kind} test failed ({exc})"
        ]
    by_term = res.set_index("term")["p"]
    values = np.array([float(by_term.get(t, np.nan)) for t in loc])
    what = (
        "likelihood-ratio test of the driver made nominal (threshold-specific), as R's "
        "ordinal::nominal_test"
        if kind == "nominal"
        else "Brant's Wald test of equal slopes across the cuts"
    )
    notes = [f"po_test_p: {what}; a small p casts doubt on the proportional-odds assumption"]
    if caught:
        notes.append(f"the {kind} test warned: {caught[0].message}")
    return values, notes


# ---------------------------------------------------------------------------------------------
# SHAP explanations
# ---------------------------------------------------------------------------------------------
def _import_shap() -> Any:
    import shap

    return shap


def _is_tree_model(model: Any) -> bool:
    module = type(model).__module__
    return module.startswith(("sklearn.ensemble", "sklearn.tree")) and hasattr(model, "predict")


def _sample_background(
    X: pd.DataFrame, background: Any, max_background: int, random_state: int | None, model: Any
) -> pd.DataFrame:
    if background is None:
        bg = X
    elif _is_tree_model(model):
        bg = _tree_frame(model, background, "background")
    else:
        bg = _as_model_frame(model, background, "background")
    if len(bg) > max_background:
        rng = np.random.default_rng(random_state)
        rows = np.sort(rng.choice(len(bg), size=max_background, replace=False))
        bg = bg.iloc[rows]
    return bg


def _tree_frame(model: Any, X: Any, what: str) -> pd.DataFrame:
    if hasattr(model, "feature_names_in_"):
        names = [str(c) for c in model.feature_names_in_]
        if not isinstance(X, pd.DataFrame):
            arr = np.asarray(X)
            if arr.ndim != 2 or arr.shape[1] != len(names):
                raise CopFactorsError(
                    f"{what} must have the model's {len(names)} columns {names!r}"
                )
            X = pd.DataFrame(arr, columns=names)
        cols = [str(c) for c in X.columns]
        check_columns(cols, names, what=f"{what} does not match the model's features")
        X = X.set_axis(cols, axis=1).loc[:, names]
    else:
        X = pd.DataFrame(np.asarray(X))
        n_in = int(getattr(model, "n_features_in_", X.shape[1]))
        if X.shape[1] != n_in:
            raise CopFactorsError(f"{what} has {X.shape[1]} columns, the model {n_in}")
        X.columns = [f"x{j}" for j in range(X.shape[1])]
    if len(X) == 0:
        raise CopFactorsError(f"{what} has no rows")
    return X


def _level_function(
    predict_proba: Any, classes: np.ndarray, level: Any
) -> tuple[Any, str | list[str], Any]:
    """The probability output: ``P(Y >= level)`` or every class probability."""
    labels = [_label(c) for c in classes]
    if isinstance(level, str) and level == "all":
        return predict_proba, [f"P(Y = {lab})" for lab in labels], "all"
    if level is None:
        hits = [i for i, c in enumerate(classes) if _same_level(c, 4)]
        idx = hits[0] if hits else len(classes) - 1
    else:
        hits = [i for i, c in enumerate(classes) if _same_level(c, level)]
        if not hits:
            raise CopFactorsError(
                f"level {level!r} is not an outcome level of the model; levels: {labels!r} "
                "(or 'all' for every class probability)"
            )
        idx = hits[0]

    def at_least(data: Any) -> np.ndarray:
        return np.asarray(predict_proba(data))[:, idx:].sum(axis=1)

    return at_least, f"P(Y >= {labels[idx]})", classes[idx]


def _same_level(value: Any, level: Any) -> bool:
    try:
        return bool(value == level) or float(value) == float(level)
    except (TypeError, ValueError):
        return False


def _label(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _agnostic(
    fn: Any,
    X: pd.DataFrame,
    bg: pd.DataFrame,
    algorithm: str,
    max_evals: int | None,
    random_state: int | None,
    output_names: Any,
) -> shap.Explanation:
    shap = _import_shap()
    names = [str(c) for c in X.columns]
    p = len(names)
    if algorithm == "auto":
        algorithm = "exact" if p <= _EXACT_MAX_FEATURES else "permutation"
    masker = shap.maskers.Independent(bg.to_numpy(), max_samples=len(bg))
    data = X.to_numpy()
    if algorithm == "exact":
        explainer = shap.explainers.Exact(fn, masker, feature_names=names)
        ex = explainer(data, silent=True)
    else:
        explainer = shap.PermutationExplainer(fn, masker, feature_names=names, seed=random_state)
        evals = max(500, 2 * p + 2) if max_evals is None else int(max_evals)
        ex = explainer(data, max_evals=evals, silent=True)
    out = shap.Explanation(
        values=np.asarray(ex.values, dtype=float),
        base_values=np.asarray(ex.base_values, dtype=float),
        data=data,
        feature_names=names,
        output_names=output_names if isinstance(output_names, list) else None,
    )
    return out


def explain(
    model: Any,
    X: Any,
    scale: str | None = None,
    *,
    background: Any = None,
    level: Any = None,
    max_background: int = 100,
    algorithm: str = "auto",
    max_evals: int | None = None,
    random_state: int | None = 0,
) -> shap.Explanation:
    """SHAP values of a fitted model as a :class:`shap.Explanation` (works with shap.plots).

    For an :class:`~copfactors.models.OrdinalRegression`:

    - ``scale="latent"`` (default): the linear predictor ``x'beta`` of the cumulative link
      model (``P(Y <= j) = F(theta_j - x'beta)``, so higher means higher attainment; what
      ``model.predict_linear`` returns). Its SHAP values are exact and closed-form:
      ``coef * (x - mean of the background)``, base value the background's mean linear
      predictor; the same as ``shap.LinearExplainer`` (interventional) with that background.
      Not available with nominal effects (use ``"expected"``).
    - ``scale="expected"``: the expected attainment score ``model.predict_expected``.
    - ``scale="probability"``: ``P(Y >= level)``; ``level`` defaults to 4 ("attained") when 4
      is a level, else the top level; ``level="all"`` explains every class probability (a
      multi-output explanation, one output per level).

    The expected and probability scales are non-linear: they are explained with shap's
    model-agnostic explainers under an independent (interventional) masker over the
    background: ``shap.explainers.Exact`` (exact Shapley values; the default for up to 8
    features) or ``shap.PermutationExplainer`` (more features, or ``algorithm=
    "permutation"``; additive, seeded by ``random_state``).

    For a :class:`~copfactors.models.MixedOrdinalRegression` (random intercept per CoP) the
    same three scales, with:

    - ``scale="latent"``: the CONDITIONAL (subject-specific) linear predictor ``x'beta``,
      explained exactly as for the fixed model (the CoP's random intercept is not a driver
      and is left out);
    - ``scale="expected"`` and ``"probability"``: the MARGINAL (population-averaged)
      predictions for a new CoP, ``model.predict_expected(X)`` and ``model.predict_proba(X)``
      without groups (integrated over the random intercept), by the model-agnostic
      explainers below.

    For a scikit-learn tree ensemble (e.g. ``HistGradientBoostingClassifier``):

    - ``scale="raw"`` (default): the model's raw margin (``decision_function``; log-odds
      for binary, one output per class otherwise) by ``shap.TreeExplainer`` with its
      path-dependent algorithm (exact for trees; no background needed). shap 0.51's
      interventional tree algorithm fails its own additivity check on
      ``HistGradientBoostingClassifier``, so it is not used.
    - ``scale="probability"``: as for the ordinal model (``P(Y >= level)`` in the order of
      ``classes_``, or ``level="all"``), with the model-agnostic explainers.

    Parameters
    ----------
    model : OrdinalRegression, MixedOrdinalRegression or fitted scikit-learn tree model
    X : DataFrame or array-like
        Rows to explain, with the model's columns.
    scale : str, optional
        See above; default ``"latent"`` (ordinal model) or ``"raw"`` (tree model).
    background : DataFrame or array-like, optional
        Reference rows of the Shapley values. Default: X. At most ``max_background`` rows are
        used, a seeded random sample (``random_state``) without replacement when there are
        more.
    level : outcome level or "all", optional
        For ``scale="probability"``; see above.
    max_background : int, default 100
        Largest background sample.
    algorithm : {"auto", "exact", "permutation"}, default "auto"
        Model-agnostic explainer for the non-linear scales.
    max_evals : int, optional
        Model evaluations per row of the permutation explainer (default ``max(500, 2p + 2)``).
    random_state : int, optional
        Seed of the background sample and of the permutation explainer.

    Returns
    -------
    shap.Explanation
        ``values`` (n, p) or (n, p, outputs), ``base_values``, ``data`` and
        ``feature_names``. ``base_values + values.sum(axis=1)`` equals the model output being
        explained.

    Raises
    ------
    NotFittedError
        If the model is not fitted.
    CopFactorsError
        On a model type that cannot be explained, a scale it does not have, X or background
        columns that do not match the model, or an unknown level.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from copfactors.inspection import explain
    >>> from copfactors.models import OrdinalRegression
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"commitment": rng.normal(3.5, 0.8, 200),
    ...                   "voluntary": rng.integers(0, 2, 200).astype(float)})
    >>> y = np.digitize(X.commitment + X.voluntary + rng.logistic(size=200), [3.5, 4.5]) + 1
    >>> model = OrdinalRegression().fit(X, y)
    >>> ex = explain(model, X)
    >>> ex.values.shape
    (200, 2)
    >>> bool(np.allclose(ex.base_values + ex.values.sum(axis=1), model.predict_linear(X)))
    True

    A mixed model's expected scale is its marginal prediction for a new CoP:

    >>> from copfactors.models import MixedOrdinalRegression
    >>> cop = np.repeat(np.arange(10), 20)
    >>> latent = X.commitment + X.voluntary + rng.normal(0, 1, 10)[cop] + rng.logistic(size=200)
    >>> mixed = MixedOrdinalRegression().fit(X, np.digitize(latent, [3.5, 4.5]), groups=cop)
    >>> ex = explain(mixed, X.iloc[:5], "expected", background=X.iloc[:30])
    >>> bool(np.allclose(ex.base_values + ex.values.sum(axis=1),
    ...                  mixed.predict_expected(X.iloc[:5])))
    True
    """
    if algorithm not in _ALGORITHMS:
        raise CopFactorsError(f"algorithm must be one of {_ALGORITHMS}, got {algorithm!r}")
    if isinstance(max_background, bool) or not isinstance(max_background, numbers.Integral):
        raise CopFactorsError(f"max_background must be a positive integer, got {max_background!r}")
    if max_background < 1:
        raise CopFactorsError(f"max_background must be a positive integer, got {max_background!r}")
    if _is_tree_model(model):
        return _explain_tree(
            model, X, scale, background, level, max_background, algorithm, max_evals, random_state
        )
    _require_ordinal(model, "explain")
    scale = "latent" if scale is None else scale
    if scale not in _SCALES:
        raise CopFactorsError(
            f"scale must be one of {_SCALES} for an {type(model).__name__}, got {scale!r}"
        )
    frame = _as_model_frame(model, X)
    bg = _sample_background(frame, background, max_background, random_state, model)
    names = list(frame.columns)
    has_names = hasattr(model, "feature_names_in_")

    def as_input(data: np.ndarray) -> Any:
        return pd.DataFrame(data, columns=names) if has_names else np.asarray(data)

    if scale == "latent":
        shap = _import_shap()
        nominal = getattr(model, "nominal_coef_", None)  # a mixed model has none
        if nominal is not None and nominal.shape[1]:
            raise CopFactorsError(
                "the latent scale of a model with nominal effects is not one linear predictor: "
                "use scale='expected' or 'probability'"
            )
        beta = model.coef_.reindex(names).to_numpy()
        centre = bg.to_numpy().mean(axis=0)
        values = (frame.to_numpy() - centre) * beta
        base = float(centre @ beta)
        return shap.Explanation(
            values=values,
            base_values=np.full(len(frame), base),
            data=frame.to_numpy(),
            feature_names=names,
        )
    if scale == "expected":
        return _agnostic(
            lambda a: model.predict_expected(as_input(a)),
            frame,
            bg,
            algorithm,
            max_evals,
            random_state,
            "E[Y]",
        )
    fn, output_names, _ = _level_function(
        lambda a: model.predict_proba(as_input(a)), np.asarray(model.classes_), level
    )
    return _agnostic(fn, frame, bg, algorithm, max_evals, random_state, output_names)


def _explain_tree(
    model: Any,
    X: Any,
    scale: str | None,
    background: Any,
    level: Any,
    max_background: int,
    algorithm: str,
    max_evals: int | None,
    random_state: int | None,
) -> shap.Explanation:
    from sklearn.exceptions import NotFittedError as SklearnNotFitted
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except SklearnNotFitted as exc:
        raise NotFittedError(f"explain: {exc}") from exc
    scale = "raw" if scale is None else scale
    if scale not in _TREE_SCALES:
        raise CopFactorsError(
            f"scale must be one of {_TREE_SCALES} for a tree model, got {scale!r}"
        )
    frame = _tree_frame(model, X, "X")
    names = list(frame.columns)
    has_names = hasattr(model, "feature_names_in_")

    def as_input(data: np.ndarray) -> Any:
        return pd.DataFrame(data, columns=names) if has_names else np.asarray(data)

    shap = _import_shap()
    if scale == "raw":
        explainer = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
        ex = explainer(as_input(frame.to_numpy()))
        values = np.asarray(ex.values, dtype=float)
        classes = getattr(model, "classes_", None)
        multi = values.ndim == 3 and classes is not None and values.shape[2] == len(classes)
        return shap.Explanation(
            values=values,
            base_values=np.asarray(ex.base_values, dtype=float),
            data=frame.to_numpy(),
            feature_names=names,
            output_names=[f"raw margin of {_label(c)}" for c in classes] if multi else None,
        )
    if not hasattr(model, "predict_proba"):
        raise CopFactorsError(f"{type(model).__name__} has no predict_proba: use scale='raw'")
    bg = _sample_background(frame, background, max_background, random_state, model)
    fn, output_names, _ = _level_function(
        lambda a: model.predict_proba(as_input(a)), np.asarray(model.classes_), level
    )
    return _agnostic(fn, frame, bg, algorithm, max_evals, random_state, output_names)


# ---------------------------------------------------------------------------------------------
# cross-validated comparison of models
# ---------------------------------------------------------------------------------------------
def _make_estimator(name: str, random_state: int | None) -> Any:
    from copfactors.models import MixedOrdinalRegression, OrdinalRegression

    if name == "ordinal_mixed":
        return MixedOrdinalRegression(link="logit")
    if name == "ordinal_logit":
        return OrdinalRegression(link="logit")
    if name == "ordinal_probit":
        return OrdinalRegression(link="probit")
    if name == "binary_logit":
        return OrdinalRegression(link="logit")
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(random_state=random_state)


def _full_proba(est: Any, X: np.ndarray, n_classes: int) -> np.ndarray:
    """Predicted probabilities over all ``n_classes`` codes (0 for a code unseen in training)."""
    proba = np.asarray(est.predict_proba(X), dtype=float)
    out = np.zeros((X.shape[0], n_classes))
    out[:, np.asarray(est.classes_, dtype=np.int64)] = proba
    return out


def _metrics(y: np.ndarray, proba: np.ndarray, ordinal: bool) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, cohen_kappa_score, log_loss

    K = proba.shape[1]
    labels = list(range(K))
    pred = np.argmax(proba, axis=1)
    onehot = np.zeros_like(proba)
    onehot[np.arange(len(y)), y] = 1.0
    clipped = np.clip(proba, 1e-15, 1.0)
    clipped /= clipped.sum(axis=1, keepdims=True)
    return {
        "log_loss": float(log_loss(y, clipped, labels=labels)),
        "brier": float(np.mean(np.sum((proba - onehot) ** 2, axis=1))),
        "kappa": float(
            cohen_kappa_score(y, pred, labels=labels, weights="quadratic" if ordinal else None)
        ),
        "accuracy": float(accuracy_score(y, pred)),
    }


def _fit_fold(
    name: str,
    X: np.ndarray,
    codes: np.ndarray,
    attained: np.ndarray,
    top: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    random_state: int | None,
    groups: np.ndarray | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Fit one model on one training fold; metrics on the test fold for each outcome.

    ``ordinal_mixed`` is fitted with the training rows' ``groups`` and predicts the test rows
    marginally (``predict_proba`` without groups: integrated over a new group's intercept).
    """
    from threadpoolctl import threadpool_limits

    K = len(top)
    est = _make_estimator(name, random_state)
    # each fold is one joblib task: gradient boosting's OpenMP threads would only compete with
    # the other tasks (and on small folds they cost more than they save)
    with (
        threadpool_limits(limits=1, user_api="openmp"),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        if name == "binary_logit":
            est.fit(X[train], attained[train].astype(np.int64))
            p1 = _full_proba(est, X[test], 2)
            rows = [("binary", _metrics(attained[test].astype(np.int64), p1, ordinal=False))]
        else:
            if name == "ordinal_mixed":
                est.fit(X[train], codes[train], groups=groups[train])
            else:
                est.fit(X[train], codes[train])
            proba = _full_proba(est, X[test], K)
            p_top = proba[:, top].sum(axis=1)
            p1 = np.column_stack([1.0 - p_top, p_top])
            rows = [
                ("ordinal", _metrics(codes[test], proba, ordinal=True)),
                ("binary", _metrics(attained[test].astype(np.int64), p1, ordinal=False)),
            ]
    out = []
    for outcome, metrics in rows:
        for metric, value in metrics.items():
            out.append({"model": name, "outcome": outcome, "metric": metric, "value": value})
    return out, len(caught)


def compare_models(
    X: Any,
    y: Any,
    models: Sequence[str] = MODEL_NAMES,
    *,
    cv: int = 5,
    n_jobs: int | None = None,
    random_state: int | None = 0,
    threshold: float = 4,
    groups: Any = None,
) -> pd.DataFrame:
    """Cross-validate outcome models on the same folds and tabulate their scores.

    Models (by name):

    - ``"ordinal_logit"``, ``"ordinal_probit"``: :class:`~copfactors.models.OrdinalRegression`
      with that link, on the ordinal outcome;
    - ``"binary_logit"``: the same model with two levels (logistic regression) on the binary
      outcome "attained", ``y >= threshold``;
    - ``"gradient_boosting"``: scikit-learn's ``HistGradientBoostingClassifier``
      (``random_state`` fixed) on the ordinal levels as classes;
    - ``"ordinal_mixed"`` (only with ``groups``, and only when named: it is not in the
      default list): :class:`~copfactors.models.MixedOrdinalRegression`, the ordinal logit
      with a random intercept per group (Laplace), fitted with the training rows' groups. Its
      test-fold predictions are MARGINAL (population-averaged, ``predict_proba(X)`` without
      groups: integrated over a new group's intercept), since the folds keep every group in
      one fold and the test rows' groups are unseen; this is also the question the other
      models answer on those folds (predicting respondents of a new CoP).

    Every model is scored on the test folds on the outcome it was fitted to (``outcome`` =
    ``"ordinal"``) and, so that all of them can be compared, on the binary outcome
    (``outcome = "binary"``) through their implied ``P(Y >= threshold)``; ``binary_logit``
    has only binary rows. Compare rows of the same ``outcome`` only.

    Metrics, per test fold, then their mean and sample SD over folds:

    - ``log_loss``: mean negative log-probability of the observed level (probabilities
      clipped at 1e-15 and renormalised);
    - ``brier``: multiclass Brier score, the mean over rows of
      ``sum_k (p_k - 1[y = k])^2`` (for the binary outcome this is twice the usual binary
      Brier score ``mean (p - y)^2``);
    - ``kappa``: Cohen's kappa of the most probable level, quadratic weights for the
      ordinal outcome (scikit-learn's ``cohen_kappa_score(weights="quadratic")``), unweighted
      for the binary one;
    - ``accuracy``: share of rows whose most probable level is the observed one.

    Folds: stratified on the ordinal level (``StratifiedKFold(shuffle=True,
    random_state=random_state)``), or ``GroupKFold`` when ``groups`` is given (all rows of a
    group, e.g. a CoP, in the same fold, for every model, so the scores are those of
    predictions for CoPs not in the training data). Each (model, fold) pair is one
    :class:`joblib.Parallel` task, with gradient boosting single-threaded inside it (use
    ``n_jobs`` for parallelism); the results do not depend on ``n_jobs``.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n, p)
        Numeric drivers, no missing values.
    y : array-like of shape (n,)
        Ordinal outcome: numbers (e.g. levels 1-5) or an ordered categorical.
    models : sequence of str
        Names among :data:`MODEL_NAMES` (the default) and, with ``groups``,
        :data:`GROUPED_MODEL_NAMES` (``"ordinal_mixed"``).
    cv : int, default 5
        Number of folds.
    n_jobs : int, optional
        Workers, as :class:`joblib.Parallel`.
    random_state : int, optional
        Seed of the fold split and of gradient boosting.
    threshold : float, default 4
        The binary outcome is ``y >= threshold`` on the level values (positions ``1..K`` for
        text labels).
    groups : array-like of shape (n,), optional
        Group (CoP) of each row, no missing values: the folds become ``GroupKFold`` and
        ``"ordinal_mixed"`` can be compared.

    Returns
    -------
    pandas.DataFrame
        Columns ``model``, ``outcome``, ``metric``, ``mean``, ``sd``, ``n_folds``. ``attrs``
        holds ``folds`` (every fold's value: ``model``, ``outcome``, ``metric``, ``fold``,
        ``value``), ``notes``, ``cv`` and ``threshold``.

    Raises
    ------
    CopFactorsError
        On an unknown model name, ``"ordinal_mixed"`` without ``groups`` (or with a training
        fold of one group), bad ``cv``, X and y of different lengths, missing values, or a
        binary outcome with one class.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from copfactors.inspection import compare_models
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"commitment": rng.normal(3.5, 0.8, 200)})
    >>> y = np.digitize(X.commitment + rng.logistic(size=200), [3.0, 3.5, 4.5]) + 2
    >>> res = compare_models(X, y, models=["ordinal_logit", "binary_logit"], cv=3)
    >>> res.columns.tolist()
    ['model', 'outcome', 'metric', 'mean', 'sd', 'n_folds']
    >>> res.query("metric == 'log_loss'")[["model", "outcome"]].values.tolist()
    [['ordinal_logit', 'ordinal'], ['ordinal_logit', 'binary'], ['binary_logit', 'binary']]

    With the CoP of each row, the mixed model joins, on folds that keep each CoP together:

    >>> cop = np.repeat(np.arange(20), 10)
    >>> latent = X.commitment + rng.normal(0, 1, 20)[cop] + rng.logistic(size=200)
    >>> y = np.digitize(latent, [3.0, 3.5, 4.5]) + 2
    >>> res = compare_models(X, y, models=["ordinal_logit", "ordinal_mixed"], cv=3, groups=cop)
    >>> res["model"].unique().tolist(), res.attrs["cv"]
    (['ordinal_logit', 'ordinal_mixed'], 'GroupKFold(3) on 20 groups')
    """
    from joblib import Parallel, delayed
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    from copfactors.models import encode_outcome

    if isinstance(models, str):
        models = [models]
    models = list(models)
    known = (*MODEL_NAMES, *GROUPED_MODEL_NAMES)
    unknown = [m for m in models if m not in known]
    if unknown or not models:
        raise CopFactorsError(f"unknown model(s) {unknown!r}; choose among {list(known)!r}")
    if len(set(models)) != len(models):
        raise CopFactorsError(f"models lists a name twice: {models!r}")
    grouped = [m for m in models if m in GROUPED_MODEL_NAMES]
    if grouped and groups is None:
        raise CopFactorsError(
            f"model(s) {grouped!r} need groups=: the group (CoP) of each row, for the random "
            "intercept"
        )
    if isinstance(cv, bool) or not isinstance(cv, numbers.Integral) or cv < 2:
        raise CopFactorsError(f"cv must be an integer >= 2, got {cv!r}")
    check_n_jobs(n_jobs)
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    if frame.ndim != 2:
        raise CopFactorsError("X must be 2-dimensional")
    frame = _numeric_frame(frame.set_axis([str(c) for c in frame.columns], axis=1), "X")
    y = _align_y(frame, y, len(frame))
    try:
        enc = encode_outcome(y)
    except CopFactorsError as exc:
        raise CopFactorsError(f"y: {exc}") from exc
    codes = np.asarray(enc.codes, dtype=np.int64)
    scores = np.asarray(enc.scores, dtype=float)
    top = scores >= threshold
    attained = top[codes]
    if attained.all() or not attained.any():
        raise CopFactorsError(
            f"the binary outcome y >= {threshold} has a single class "
            f"({'all' if attained.all() else 'no'} rows attain it); choose another threshold"
        )
    data = np.ascontiguousarray(frame.to_numpy())
    g = None
    if groups is not None:
        g = np.asarray(groups)
        if g.ndim != 1 or g.shape[0] != len(frame):
            raise CopFactorsError(
                f"groups has {g.shape[0] if g.ndim else 1} values but X has {len(frame)} rows"
            )
        missing = pd.isna(g)
        if missing.any():
            rows = np.flatnonzero(missing)[:5].tolist()
            raise CopFactorsError(
                f"groups has {int(missing.sum())} missing value(s) (first at positions {rows}); "
                "every row needs its group"
            )
        if len(np.unique(g)) < cv:
            raise CopFactorsError(f"groups has {len(np.unique(g))} groups, fewer than cv={cv}")
        splitter = GroupKFold(n_splits=cv)
        folds = list(splitter.split(data, codes, g))
        fold_text = f"GroupKFold({cv}) on {len(np.unique(g))} groups"
        if grouped and min(len(np.unique(g[tr])) for tr, _ in folds) < 2:
            raise CopFactorsError(
                f"a training fold has a single group, too few for {grouped!r} (the random "
                "intercept needs at least 2 groups): use more groups or fewer folds"
            )
    else:
        smallest = int(np.bincount(codes).min())
        if smallest < cv:
            raise CopFactorsError(
                f"the smallest outcome level has {smallest} row(s), fewer than cv={cv} folds: "
                "use fewer folds or merge levels"
            )
        splitter = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
        folds = list(splitter.split(data, codes))
        fold_text = f"StratifiedKFold({cv}, shuffle=True, random_state={random_state})"
    tasks = [(m, k, tr, te) for m in models for k, (tr, te) in enumerate(folds)]

    try:
        results = Parallel(n_jobs=n_jobs)(
            delayed(_fit_fold)(m, data, codes, attained, top, tr, te, random_state, g)
            for m, _, tr, te in tasks
        )
    except CopFactorsError as exc:
        raise CopFactorsError(f"a model failed on a cross-validation fold: {exc}") from exc
    fold_rows = []
    n_warnings = 0
    for (_, k, _, _), (rows, n_warn) in zip(tasks, results, strict=True):
        n_warnings += n_warn
        for row in rows:
            fold_rows.append({**row, "fold": k})
    per_fold = pd.DataFrame(fold_rows, columns=["model", "outcome", "metric", "fold", "value"])
    keys = ["model", "outcome", "metric"]
    summary = (
        per_fold.groupby(keys, sort=False)["value"]
        .agg(mean="mean", sd=lambda v: float(np.std(v, ddof=1)), n_folds="size")
        .reset_index()
    )
    summary = summary.loc[:, list(COMPARE_COLUMNS)]
    levels = ", ".join(_label(c) for c in enc.classes)
    notes = [
        f"folds: {fold_text}; the same folds for every model",
        f"outcome 'ordinal': the levels {levels}; outcome 'binary': y >= {threshold:g} "
        "(attained), scored for the ordinal models and gradient boosting through their "
        "P(Y >= threshold); compare rows of the same outcome only",
        "brier: mean over rows of sum_k (p_k - 1[y = k])^2 (twice the usual binary Brier score "
        "for the binary outcome); kappa: quadratic weights for the ordinal outcome, unweighted "
        "for the binary one",
    ]
    if grouped:
        notes.append(
            "ordinal_mixed: MixedOrdinalRegression (logit, random intercept per group), fitted "
            "with the training rows' groups; its test-fold predictions are MARGINAL "
            "(population-averaged, integrated over the intercept of a new group), as the test "
            "rows' groups are not in the training fold"
        )
    if n_warnings:
        notes.append(f"the fits issued {n_warnings} warning(s) (e.g. separation, convergence)")
    summary.attrs = {"folds": per_fold, "notes": notes, "cv": fold_text, "threshold": threshold}
    return summary
