"""Cumulative link (ordinal) regression: the estimator and its inference."""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import chdtrc, ndtr, ndtri, stdtr, stdtrit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import validate_data

from copfactors._utils.parallel import single_threaded_blas
from copfactors._utils.render import format_p, render_table
from copfactors._utils.validation import check_columns
from copfactors.errors import (
    ConvergenceWarning,
    CopFactorsWarning,
    PerfectSeparationWarning,
)
from copfactors.models import _solver
from copfactors.models._bootstrap import BootstrapResult, bootstrap
from copfactors.models._core import separation_of, solve_core
from copfactors.models._diagnostics import brant_test, nominal_test
from copfactors.models._links import LINKS, get_link
from copfactors.models._separation import mask_infinite, restricted_covariance
from copfactors.models._validation import (
    ModelInputError,
    ModelNotFittedError,
    check_finite,
    check_groups,
    check_sample_weight,
    encode_outcome,
    non_numeric_columns,
)

__all__ = ["OrdinalRegression"]

_COV_TYPES = ("nonrobust", "robust", "cluster")
_WEIGHT_KINDS = ("frequency", "probability")
_SUMMARY_COLUMNS = [
    "term",
    "kind",
    "coef",
    "se",
    "z",
    "p",
    "ci_low",
    "ci_high",
    "odds_ratio",
    "or_ci_low",
    "or_ci_high",
]


def _p_phrase(p_text: str) -> str:
    return f"p {p_text[0]} {p_text[1:]}" if p_text.startswith("<") else f"p = {p_text}"


def _label(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    return str(value)


class OrdinalRegression(ClassifierMixin, BaseEstimator):
    """Cumulative link model for an ordinal outcome (proportional odds for the logit link).

    The model is ``P(Y <= j | x) = F(theta_j - x'beta)`` for levels ``j = 1..K-1``, the
    parameterisation of R's ``ordinal::clm`` and ``MASS::polr``, so a positive coefficient
    moves the outcome to higher levels and the estimates have R's signs. With ``K = 2`` it is
    binary logistic (probit, cloglog) regression with intercept ``-theta_1``: the library's
    logistic model.

    Fitting is by Newton-Raphson with analytic derivatives and step-halving (see
    ``copfactors.models._solver`` for why the library solves this itself); it takes well under
    a second for a million rows.

    Parameters
    ----------
    link : {"logit", "probit", "cloglog"}, default "logit"
        Inverse of the distribution ``F``.
    cov_type : {"nonrobust", "robust", "cluster"}, default "nonrobust"
        Covariance of the estimates. ``"nonrobust"``: inverse observed information.
        ``"robust"``: HC0 sandwich ``B M B`` with ``B`` the inverse observed information and
        ``M`` the sum of the outer products of the per-row scores ``s_i``, as R's
        ``sandwich::sandwich`` on a ``clm``/``polr`` fit; with frequency weights
        ``M = sum w_i s_i s_i'`` (each of the ``w_i`` identical respondents contributes its
        score), so the result is that of the data expanded to one row per respondent.
        ``"cluster"``: the same with ``M`` the sum over clusters of the outer products of the
        cluster sums of the (weighted) scores ``w_i s_i``, times ``G / (G - 1)`` for ``G``
        clusters and nothing else, as R's ``sandwich::vcovCL(fit, cluster = groups)`` with its
        defaults ``type = "HC0"``, ``cadjust = TRUE``. (statsmodels' default cluster correction
        adds ``(N - 1) / (N - k)``; with ``use_correction=False`` it omits ``G / (G - 1)``
        too.) For probability weights see ``weight_kind``.
    weight_kind : {"frequency", "probability"}, default "frequency"
        What ``sample_weight`` in :meth:`fit` means (ignored without weights).
        ``"frequency"``: row ``i`` stands for ``w_i`` identical respondents, e.g. a table of
        counts (one row per cell, the count as weight); every result, covariances included,
        is that of the expanded data and :attr:`nobs_` is ``sum w_i``.
        ``"probability"``: survey design (sampling) weights, the inverse inclusion
        probabilities, possibly non-integer; each row is one respondent. The estimates are the
        weighted (pseudo-maximum-likelihood) ones and the covariance is the design-based
        sandwich of R's ``survey::svyolr`` and Stata's ``pweight`` (with-replacement design,
        no strata): ``B M B`` with ``M = m / (m - 1) sum_u (z_u - zbar)(z_u - zbar)'``, where
        ``z_u`` are the weighted scores ``w_i s_i`` of the rows (``cov_type="robust"``) or
        summed over the PSUs given as ``groups`` (``cov_type="cluster"``) and ``m`` is the
        number of rows or PSUs. ``cov_type="nonrobust"`` is refused (the inverse information
        is not a variance under a sampling design). :attr:`nobs_` is the number of rows,
        :attr:`loglik_` the weighted pseudo-log-likelihood; AIC, BIC, Nagelkerke's R-squared
        and the likelihood-ratio test are NaN and :meth:`nominal_test` and :meth:`brant_test`
        are refused, since a pseudo-likelihood is not a likelihood.
    alpha : float, default 0.05
        Confidence intervals are at level ``1 - alpha``.
    max_iter : int, default 100
        Maximum Newton iterations.
    tol : float, default 1e-8
        Convergence tolerance on the largest absolute gradient divided by the number of
        observations (sum of weights), and on the relative log-likelihood change the next
        Newton step promises.
    nominal : list of str, optional
        Predictors with threshold-specific effects (partial proportional odds), as R's
        ``clm(..., nominal = ~ w)``: ``P(Y <= j | x, w) = F(theta_j + w'gamma_j - x'beta)``.
        As in R, a nominal effect ``gamma_j`` is added to the threshold, so it has the opposite
        sign of a location coefficient: the per-cut slope is ``-gamma_j``. The effects are in
        :attr:`nominal_coef_` and named ``"j|j+1.w"`` in :meth:`summary`. For arrays, name
        columns ``"x0"``, ``"x1"``, ... or give their integer positions.

    Attributes
    ----------
    classes_ : ndarray of shape (K,)
        Outcome levels, lowest first.
    thresholds_ : pandas.Series
        Thresholds ``theta_j`` (with nominal effects: their intercepts), indexed ``"1|2"``,
        ``"2|3"``, ... from the level labels.
    coef_ : pandas.Series
        Location coefficients ``beta`` indexed by predictor name (nominal predictors excluded).
    nominal_coef_ : pandas.DataFrame
        Nominal effects ``gamma_j``: one row per threshold, one column per nominal predictor
        (no columns without nominal predictors).
    params_ : pandas.Series
        All estimates in the order of :attr:`cov_`: thresholds, nominal effects
        (``"1|2.w"``, grouped by predictor as in R), coefficients.
    cov_ : pandas.DataFrame
        Covariance of :attr:`params_` (thresholds first) of type ``cov_type``. Under
        (quasi-)complete separation the rows and columns of the infinite estimates are NaN
        and the rest is the covariance over the directions that stay finite (see
        :attr:`separation_`).
    se_ : pandas.Series
        Standard errors, the square roots of the diagonal of :attr:`cov_` (NaN for infinite
        estimates).
    feature_names_in_ : ndarray of str
        Column names, set only when ``X`` was a DataFrame.
    n_features_in_ : int
        Number of predictor columns.
    n_iter_ : int
        Newton iterations taken.
    converged_ : bool
        Whether the convergence criterion was met.
    loglik_, loglik_null_ : float
        Log-likelihood of the model and of the thresholds-only model (with probability
        weights: the weighted pseudo-log-likelihoods).
    nobs_ : float
        Number of observations: the sum of the weights (R's ``clm`` uses it for BIC); with
        probability weights the number of rows (of positive weight).
    df_model_ : int
        Number of estimated effects (parameters beyond the ``K - 1`` thresholds).
    aic_, bic_ : float
        ``-2 loglik + 2 k`` and ``-2 loglik + log(nobs) k`` with ``k`` all parameters (NaN
        with probability weights).
    r2_mcfadden_, r2_nagelkerke_ : float
        Pseudo R-squared (see :meth:`pseudo_r2`).
    separated_ : pandas.Series
        Which estimates of :attr:`params_` are infinite (booleans; see :attr:`separation_`).
    separation_ : list of str
        Predictors whose maximum likelihood estimates are infinite ((quasi-)complete
        separation; empty if none): every location predictor whose coefficient, and every
        nominal predictor with an effect at some cut, runs off to infinity along some direction
        that raises the likelihood forever, found exactly by linear programming (see
        ``copfactors.models._separation``), whether the predictor separates alone or in
        combination. Thresholds can be infinite too. :meth:`summary` reports every infinite
        estimate as ``+inf``/``-inf`` (NaN when either sign fits) with ``separated = True``
        and no standard error, test or interval; :attr:`params_` keep the values where the fit
        stopped (fitted probabilities are close to their limits there). The finite estimates
        keep Wald inference from the information in the directions that stay finite (the
        extended maximum likelihood of Clarkson and Jennrich 1991): as the fit runs off, the
        separated rows stop contributing and those estimates tend to the fit of the rest.
    n_clusters_ : int or None
        Number of clusters for ``cov_type="cluster"``.
    t_df_ : float or None
        ``n_clusters_ - 1`` with ``cov_type="cluster"``: :meth:`summary` takes its p-values
        and intervals from Student's t with these df; None (the normal) otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from copfactors.models import OrdinalRegression
    >>> rng = np.random.default_rng(1)
    >>> X = pd.DataFrame({"hours_per_week": rng.gamma(2.0, 1.5, 400),
    ...                   "steward_present": rng.integers(0, 2, 400)})
    >>> latent = 0.4 * X.hours_per_week + 0.8 * X.steward_present + rng.logistic(size=400)
    >>> y = pd.Categorical.from_codes(np.digitize(latent, [0.5, 1.5, 2.5]),
    ...                               ["none", "some", "most", "all"], ordered=True)
    >>> model = OrdinalRegression().fit(X, y)
    >>> model.thresholds_.index.tolist()
    ['none|some', 'some|most', 'most|all']
    >>> bool(model.coef_["steward_present"] > 0)
    True
    >>> model.predict_proba(X.head(2)).sum(axis=1).round(12).tolist()
    [1.0, 1.0]
    """

    def __init__(
        self,
        link: str = "logit",
        cov_type: str = "nonrobust",
        alpha: float = 0.05,
        max_iter: int = 100,
        tol: float = 1e-8,
        nominal: list[str] | None = None,
        weight_kind: str = "frequency",
    ) -> None:
        self.link = link
        self.cov_type = cov_type
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.nominal = nominal
        self.weight_kind = weight_kind

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # ordinal: the toy data of the generic classifier checks have no order to exploit
        tags.classifier_tags.poor_score = True
        tags.input_tags.allow_nan = False
        return tags

    # ------------------------------------------------------------------ validation
    def _check_params(self) -> None:
        if self.link not in LINKS:
            raise ModelInputError(f"link must be one of {sorted(LINKS)}, got {self.link!r}")
        if self.cov_type not in _COV_TYPES:
            raise ModelInputError(f"cov_type must be one of {_COV_TYPES}, got {self.cov_type!r}")
        if not isinstance(self.weight_kind, str) or self.weight_kind not in _WEIGHT_KINDS:
            raise ModelInputError(
                f"weight_kind must be one of {_WEIGHT_KINDS}, got {self.weight_kind!r}"
            )
        if not isinstance(self.alpha, float | int) or not 0 < self.alpha < 1:
            raise ModelInputError(f"alpha must be in (0, 1), got {self.alpha!r}")
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, int | np.integer):
            raise ModelInputError(f"max_iter must be an integer, got {self.max_iter!r}")
        if self.max_iter < 0:
            raise ModelInputError(f"max_iter must be >= 0, got {self.max_iter!r}")
        if not isinstance(self.tol, float | int) or not self.tol > 0:
            raise ModelInputError(f"tol must be positive, got {self.tol!r}")

    def _validate_X(self, X: Any, *, reset: bool) -> np.ndarray:
        if isinstance(X, pd.DataFrame):
            if not reset and hasattr(self, "feature_names_in_"):
                columns = [str(c) for c in X.columns]
                expected = check_columns(
                    columns,
                    self.feature_names_in_,
                    what="The feature names should match those that were passed during fit",
                )
                if columns != expected:
                    # match by name, never by position
                    X = X.loc[:, list(self.feature_names_in_)]
            bad = non_numeric_columns(X)
            if bad:
                raise ModelInputError(
                    f"predictor column(s) {bad!r} are not numeric; encode them first (for example "
                    "with copfactors' feature builder or pandas.get_dummies)"
                )
        try:
            arr = validate_data(
                self,
                X,
                reset=reset,
                dtype=np.float64,
                ensure_all_finite=False,
                ensure_min_samples=1,
            )
        except ModelInputError:
            raise
        except ValueError as exc:
            raise ModelInputError(str(exc)) from exc
        check_finite(arr, self._display_names(arr.shape[1]))
        return arr

    def _display_names(self, p: int) -> list[str]:
        if hasattr(self, "feature_names_in_"):
            return [str(c) for c in self.feature_names_in_]
        return [f"x{j}" for j in range(p)]

    def _resolve_nominal(self, names: list[str]) -> list[int]:
        nominal = self.nominal
        if nominal is None:
            return []
        if isinstance(nominal, str | int | np.integer):
            nominal = [nominal]
        idx: list[int] = []
        for item in nominal:
            if isinstance(item, str):
                if item not in names:
                    raise ModelInputError(
                        f"nominal predictor {item!r} is not a column of X (columns: {names!r})"
                    )
                j = names.index(item)
            elif isinstance(item, int | np.integer) and not isinstance(item, bool):
                if not 0 <= int(item) < len(names):
                    raise ModelInputError(
                        f"nominal column position {item!r} is out of range for {len(names)} columns"
                    )
                j = int(item)
            else:
                raise ModelInputError(f"nominal must list column names, got {item!r}")
            if j in idx:
                raise ModelInputError(f"nominal predictor {names[j]!r} is listed twice")
            idx.append(j)
        return idx

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        X: Any,
        y: Any,
        *,
        groups: Any = None,
        sample_weight: Any = None,
    ) -> OrdinalRegression:
        """Fit the model by maximum likelihood.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n, p)
            Numeric (or boolean) predictors; no missing or infinite values.
        y : array-like of shape (n,)
            Ordinal outcome: an ordered pandas Categorical (every category must occur),
            integers, booleans, or whole-number floats. Text labels without an explicit order
            are refused, never sorted alphabetically.
        groups : array-like of shape (n,), optional
            Cluster labels for ``cov_type="cluster"`` (e.g. the CoP of each respondent).
        sample_weight : array-like of shape (n,), optional
            Weights of the rows, of the kind set by ``weight_kind``: frequency weights (the
            default; counts of identical respondents, e.g. the cells of a table of counts) or
            probability weights (survey design weights, inverse inclusion probabilities). The
            log-likelihood is ``sum w_i log p_i`` either way; the number of observations is
            ``sum w_i`` for frequency weights and the number of rows for probability weights.
            Rows of weight zero are dropped.

        Returns
        -------
        OrdinalRegression
            The fitted estimator.

        Raises
        ------
        ModelInputError
            On missing or infinite values, constant or collinear predictors, non-numeric
            columns, an outcome without order, an outcome level no row takes, fewer than two
            levels, bad weights or groups, invalid parameters, or probability weights with
            ``cov_type="nonrobust"``.

        Warns
        -----
        ConvergenceWarning
            If Newton-Raphson did not meet the criterion (``converged_`` is then False).
        PerfectSeparationWarning
            If some estimates are infinite ((quasi-)complete separation); the warning names
            every predictor concerned (see :attr:`separation_`).

        Examples
        --------
        >>> import numpy as np
        >>> from copfactors.models import OrdinalRegression
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(300, 1))
        >>> y = np.digitize(x[:, 0] + rng.logistic(size=300), [-1.0, 1.0])
        >>> OrdinalRegression().fit(x, y).converged_
        True
        """
        # The work is tall, thin matrix products on blocks of rows: BLAS threads only add
        # contention there (parallelism comes from threads over the blocks instead).
        before = dict(self.__dict__)
        try:
            with single_threaded_blas():
                return self._fit(X, y, groups, sample_weight)
        except Exception:
            # nothing is left half-written: a failed fit leaves the estimator as it was
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def _fit(self, X: Any, y: Any, groups: Any, sample_weight: Any) -> OrdinalRegression:
        self._check_params()
        for attr in ("feature_names_in_", "n_features_in_"):
            if hasattr(self, attr):
                delattr(self, attr)
        X_arr = self._validate_X(X, reset=True)
        names = self._display_names(X_arr.shape[1])
        n = X_arr.shape[0]
        enc = encode_outcome(y)
        if enc.codes.shape[0] != n:
            raise ModelInputError(
                f"X has {n} rows but y has {enc.codes.shape[0]}: they must describe the same rows"
            )
        w = check_sample_weight(sample_weight, n)
        probability = w is not None and self.weight_kind == "probability"
        if probability and self.cov_type == "nonrobust":
            raise ModelInputError(
                'weight_kind="probability" needs a design-based covariance: use '
                'cov_type="robust" (each row its own PSU) or cov_type="cluster" with the PSUs as '
                'groups; cov_type="nonrobust" (the inverse information) is no variance under a '
                "sampling design"
            )
        if groups is not None:
            g_codes, n_groups = check_groups(groups, n)
        else:
            g_codes, n_groups = None, 0
        if self.cov_type == "cluster" and groups is None:
            raise ModelInputError('cov_type="cluster" needs groups: pass fit(X, y, groups=...)')
        if groups is not None and self.cov_type != "cluster":
            warnings.warn(
                f"groups were given but cov_type={self.cov_type!r}: the standard errors ignore "
                'the clustering; use OrdinalRegression(cov_type="cluster") for cluster-robust '
                "standard errors",
                CopFactorsWarning,
                stacklevel=3,
            )
        codes, classes, scores = enc.codes, enc.classes, enc.scores
        if w is not None and not np.all(w > 0):
            keep = w > 0
            X_arr, codes, w = X_arr[keep], codes[keep], w[keep]
            if g_codes is not None:
                g_codes, n_groups = check_groups(g_codes[keep], int(keep.sum()))
            used = np.bincount(codes, minlength=len(classes)) > 0
            if not used.all():
                if enc.categorical:
                    empty = classes[~used].tolist()
                    raise ModelInputError(
                        f"y has outcome level(s) {empty!r} whose rows all have weight zero"
                    )
                codes = np.cumsum(used)[codes] - 1
                classes, scores = classes[used], scores[used]
                if len(classes) < 2:
                    raise ModelInputError(
                        "y contains only 1 class among the rows of positive weight"
                    )
        if self.cov_type == "cluster" and n_groups < 2:
            raise ModelInputError(
                f"cov_type='cluster' needs at least 2 clusters in groups, got {n_groups}"
            )
        nominal_idx = self._resolve_nominal(names)
        core = solve_core(
            X_arr,
            codes,
            len(classes),
            w,
            nominal_idx,
            names,
            get_link(self.link),
            max_iter=int(self.max_iter),
            tol=float(self.tol),
            groups=g_codes,
        )
        del X_arr
        data, design, res, loc_idx = core.data, core.design, core.res, core.loc_idx
        # which estimates are infinite, before any inference: the covariance of the finite ones
        # is taken over the directions that stay finite (see models._separation)
        sep, separated = separation_of(core, get_link(self.link), names)
        cov, pd_info = restricted_covariance(res.info, sep.basis)
        if self.cov_type != "nonrobust":
            # rows of S are the weighted scores w_i s_i
            S = _solver.scores(design, get_link(self.link), res.params)
            if self.cov_type == "cluster":
                S = _solver.cluster_sums(S, core.groups, n_groups)
            if probability:
                # design-based (survey::svyolr, Stata pweight): the PSU totals of w_i s_i
                # (rows, or clusters), centred, times m / (m - 1)
                m = S.shape[0]
                S = S - S.mean(axis=0)
                meat = (S.T @ S) * (m / (m - 1.0))
            elif self.cov_type == "cluster":
                meat = (S.T @ S) * (n_groups / (n_groups - 1.0))
            elif design.w is not None:
                # frequency weights: w_i identical rows each contribute s_i s_i'
                meat = S.T @ (S / design.w[:, None])
            else:
                meat = S.T @ S
            cov = cov @ meat @ cov
            del S
        if sep.separated:
            # no variance for an infinite estimate: NaN, never the 0 of a collapsed sandwich
            cov = mask_infinite(cov, sep.infinite)

        thr_names = [f"{_label(a)}|{_label(b)}" for a, b in itertools.pairwise(classes)]
        loc_names = [names[j] for j in loc_idx]
        nom_names = [names[j] for j in nominal_idx]
        param_names = thr_names + [f"{t}.{v}" for v in nom_names for t in thr_names] + loc_names
        J = len(classes) - 1
        params = res.params
        self.classes_ = classes
        # the settings the estimates were made with (set_params after fit must not change
        # how they are used)
        self._fit_link = self.link
        self._fit_cov_type = self.cov_type
        self._fit_weight_kind = "probability" if probability else "frequency"
        self._class_scores = scores
        self._nominal_idx = nominal_idx
        self._loc_idx = loc_idx
        self._data = data
        self.thresholds_ = pd.Series(params[:J].copy(), index=thr_names, name="threshold")
        self.nominal_coef_ = pd.DataFrame(
            params[J : J * (1 + len(nominal_idx))].reshape(len(nominal_idx), J).T.copy(),
            index=thr_names,
            columns=nom_names,
        )
        self.coef_ = pd.Series(
            params[J * (1 + len(nominal_idx)) :].copy(), index=loc_names, name="coef"
        )
        self.params_ = pd.Series(params.copy(), index=param_names, name="estimate")
        self.cov_ = pd.DataFrame(cov, index=param_names, columns=param_names)
        self.se_ = pd.Series(np.sqrt(np.maximum(np.diag(cov), 0.0)), index=param_names, name="se")
        self.n_iter_ = int(res.n_iter)
        self.converged_ = bool(res.converged)
        self.max_abs_gradient_ = float(res.max_abs_grad)
        self.loglik_ = float(res.loglik)
        self.nobs_ = float(design.n) if probability else float(design.total_weight)
        self.n_clusters_ = int(n_groups) if self.cov_type == "cluster" else None
        lw = design.level_weights()
        self.loglik_null_ = float(np.sum(lw * np.log(lw / lw.sum())))
        k = len(param_names)
        self.df_model_ = int(k - J)
        if probability:
            # a pseudo-log-likelihood is no likelihood: no information criteria
            self.aic_ = self.bic_ = float("nan")
        else:
            self.aic_ = -2.0 * self.loglik_ + 2.0 * k
            self.bic_ = -2.0 * self.loglik_ + math.log(self.nobs_) * k
        self.r2_mcfadden_ = self.pseudo_r2("mcfadden")
        self.r2_nagelkerke_ = self.pseudo_r2("nagelkerke")
        self._convergence_message = res.message
        self._info_positive_definite = pd_info

        if not res.converged:
            warnings.warn(
                f"OrdinalRegression did not converge ({res.message}) after {res.n_iter} "
                f"iterations; largest absolute gradient {res.max_abs_grad:.3g}. Estimates and "
                "standard errors are unreliable; see converged_",
                ConvergenceWarning,
                stacklevel=3,
            )
        self.separation_ = separated
        self._separated = sep.infinite.copy()
        self._separation_sign = sep.sign.copy()
        self._separation_basis = sep.basis.copy()
        if separated:
            warnings.warn(
                f"(quasi-)complete separation: the maximum likelihood estimates of "
                f"{self._separation_phrase()} are infinite (the outcome levels are "
                "(nearly) perfectly separated by these predictors, alone or combined); they "
                "have no standard error, test or confidence interval (NaN in summary()). "
                "Consider merging levels, dropping or recoding the predictor(s)",
                PerfectSeparationWarning,
                stacklevel=3,
            )
        return self

    @property
    def separated_(self) -> pd.Series:
        """Which estimates are infinite ((quasi-)complete separation), as :attr:`params_`.

        A boolean Series indexed like :attr:`params_` (thresholds, nominal effects,
        coefficients); all False without separation. The infinite estimates have NaN rows in
        :attr:`cov_`; code that draws parameters from the covariance can keep them at their
        fitted values (the fitted probabilities are at their limits there) and draw the rest
        from the finite block.

        Examples
        --------
        >>> import numpy as np
        >>> from copfactors.models import OrdinalRegression
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(300, 1))
        >>> y = np.digitize(x[:, 0] + rng.logistic(size=300), [-1.0, 1.0])
        >>> bool(OrdinalRegression().fit(x, y).separated_.any())
        False
        """
        self._check_fitted()
        return pd.Series(self._infinite()[0], index=self.params_.index, name="separated")

    @property
    def t_df_(self) -> float | None:
        """Student df of :meth:`summary`'s p-values and intervals; None for the normal.

        ``G - 1`` for a cluster-robust covariance over ``G`` clusters (the covariance is a sum
        of ``G`` cluster outer products, so with few clusters the Wald ratio is closer to
        Student's t with ``G - 1`` df than to the normal: Cameron, Gelbach and Miller 2008, as
        Stata after ``vce(cluster)``); None (normal reference) otherwise.

        Examples
        --------
        >>> import numpy as np
        >>> from copfactors.models import OrdinalRegression
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(300, 1))
        >>> y = np.digitize(x[:, 0] + rng.logistic(size=300), [-1.0, 1.0])
        >>> groups = np.repeat(np.arange(10), 30)
        >>> OrdinalRegression(cov_type="cluster").fit(x, y, groups=groups).t_df_
        9.0
        >>> OrdinalRegression().fit(x, y).t_df_ is None
        True
        """
        self._check_fitted()
        if getattr(self, "_fit_cov_type", None) != "cluster" or not self.n_clusters_:
            return None
        return float(self.n_clusters_ - 1)

    def _infinite(self) -> tuple[np.ndarray, np.ndarray]:
        """Which estimates (in the order of :attr:`params_`) are infinite, and their signs.

        ``+1``/``-1``: the estimate runs off to that side; ``0``: to either (undefined). A model
        read from a file keeps no signs: its separated estimates (NaN standard errors) are
        undefined.
        """
        k = len(self.params_)
        infinite = getattr(self, "_separated", None)
        if infinite is None:
            infinite = np.isnan(self.se_.to_numpy()) if self.separation_ else np.zeros(k, bool)
            return np.asarray(infinite, dtype=bool), np.zeros(k)
        return infinite, self._separation_sign

    def _separation_phrase(self) -> str:
        """The infinite estimates in words: the predictors, and thresholds if any."""
        infinite, _ = self._infinite()
        J = len(self.thresholds_)
        parts = [", ".join(self.separation_)] if self.separation_ else []
        n_thr = int(infinite[:J].sum())
        if n_thr:
            if len(self.classes_) == 2:
                parts.append("the intercept")
            else:
                parts.append("the thresholds" if n_thr == J else f"{n_thr} of the {J} thresholds")
        return " and ".join(parts) if parts else "no parameter"

    def _probability_weighted(self) -> bool:
        # models read from files written before weight_kind existed are frequency-weighted
        return getattr(self, "_fit_weight_kind", "frequency") == "probability"

    def _refuse_probability(self, what: str, why: str) -> None:
        if self._probability_weighted():
            raise ModelInputError(
                f"{what} is not available for a fit with probability (survey) weights: {why}"
            )

    # ------------------------------------------------------------------ prediction
    def _check_fitted(self) -> None:
        if not hasattr(self, "thresholds_"):
            raise ModelNotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )

    def _cumulative(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Cumulative probabilities ``P(Y <= j)`` (n x K-1) and the linear predictor."""
        self._check_fitted()
        arr = self._validate_X(X, reset=False)
        xb = arr[:, self._loc_idx] @ self.coef_.to_numpy()
        cuts = np.broadcast_to(self.thresholds_.to_numpy(), (arr.shape[0], len(self.thresholds_)))
        if self._nominal_idx:
            cuts = cuts + arr[:, self._nominal_idx] @ self.nominal_coef_.to_numpy().T
        return get_link(self._fit_link).cdf(cuts - xb[:, None]), xb

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each outcome level.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n, p)
            Predictors; DataFrame columns are matched by name (missing or unexpected columns
            raise, reordered columns are reordered).

        Returns
        -------
        ndarray of shape (n, K)
            Rows sum to 1; columns follow :attr:`classes_`.

        Warns
        -----
        CopFactorsWarning
            For a model with nominal effects, if the cut points cross for some rows (negative
            probabilities, set to zero and the row renormalised).

        Examples
        --------
        >>> import numpy as np
        >>> from copfactors.models import OrdinalRegression
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(200, 1))
        >>> y = np.digitize(x[:, 0] + rng.logistic(size=200), [-1.0, 1.0])
        >>> OrdinalRegression().fit(x, y).predict_proba(x[:3]).shape
        (3, 3)
        """
        cum, _ = self._cumulative(X)
        n = cum.shape[0]
        full = np.concatenate([np.zeros((n, 1)), cum, np.ones((n, 1))], axis=1)
        proba = np.diff(full, axis=1)
        if self._nominal_idx and (proba < 0).any():
            bad = int((proba < 0).any(axis=1).sum())
            warnings.warn(
                f"the nominal effects make the cut points cross for {bad} row(s): their "
                "negative probabilities were set to zero and the rows renormalised",
                CopFactorsWarning,
                stacklevel=2,
            )
            proba = np.clip(proba, 0.0, None)
            proba /= proba.sum(axis=1, keepdims=True)
        return proba

    def predict(self, X: Any) -> np.ndarray:
        """Most probable outcome level of each row (labels from :attr:`classes_`).

        Examples
        --------
        >>> import numpy as np
        >>> from copfactors.models import OrdinalRegression
        >>> x = np.array([[-3.0], [-1.0], [0.0], [1.0], [3.0], [-2.0], [2.0], [0.5]])
        >>> y = np.array([1, 1, 2, 2, 3, 2, 3, 1])
        >>> OrdinalRegression().fit(x, y).predict([[-5.0], [5.0]]).tolist()
        [1, 3]
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_expected(self, X: Any) -> np.ndarray:
        """Expected outcome score ``sum_k score_k P(Y = k)``.

        The scores are the level labels when they are numbers (integers, booleans, numeric
        categories), else ``1..K``.

        Examples
        --------
        >>> import numpy as np
        >>> from copfactors.models import OrdinalRegression
        >>> x = np.array([[-3.0], [-1.0], [0.0], [1.0], [3.0], [-2.0], [2.0], [0.5]])
        >>> y = np.array([1, 1, 2, 2, 3, 2, 3, 1])
        >>> e = OrdinalRegression().fit(x, y).predict_expected([[0.0]])
        >>> bool(1 < e[0] < 3)
        True
        """
        proba = self.predict_proba(X)
        return proba @ self._class_scores

    def predict_linear(self, X: Any) -> np.ndarray:
        """Linear predictor ``x'beta`` of the location effects (nominal effects excluded).

        Examples
        --------
        >>> import numpy as np
        >>> from copfactors.models import OrdinalRegression
        >>> x = np.array([[-3.0], [-1.0], [0.0], [1.0], [3.0], [-2.0], [2.0], [0.5]])
        >>> y = np.array([1, 1, 2, 2, 3, 2, 3, 1])
        >>> m = OrdinalRegression().fit(x, y)
        >>> bool(np.allclose(m.predict_linear(x), x[:, 0] * m.coef_.iloc[0]))
        True
        """
        return self._cumulative(X)[1]

    # ------------------------------------------------------------------ inference
    def pseudo_r2(self, kind: str = "mcfadden") -> float:
        """Pseudo R-squared of the fit against the thresholds-only model.

        Parameters
        ----------
        kind : {"mcfadden", "nagelkerke"}
            ``"mcfadden"``: ``1 - loglik / loglik_null``. ``"nagelkerke"``: Cox-Snell
            ``1 - exp(2 (loglik_null - loglik) / N)`` divided by its maximum
            ``1 - exp(2 loglik_null / N)``, with ``N`` = :attr:`nobs_`. With probability
            weights McFadden's is the ratio of the weighted pseudo-log-likelihoods and
            Nagelkerke's is NaN (it needs a likelihood and a sample size).

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> from copfactors.models import OrdinalRegression
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(300, 1))
        >>> y = np.digitize(x[:, 0] + rng.logistic(size=300), [-1.0, 1.0])
        >>> r2 = OrdinalRegression().fit(x, y).pseudo_r2("nagelkerke")
        >>> bool(0 < r2 < 1)
        True
        """
        self._check_fitted()
        ll, ll0, n = self.loglik_, self.loglik_null_, self.nobs_
        if kind == "mcfadden":
            return float(1.0 - ll / ll0)
        if kind == "nagelkerke":
            if self._probability_weighted():
                return float("nan")
            cox_snell = -math.expm1(2.0 * (ll0 - ll) / n)
            return float(cox_snell / -math.expm1(2.0 * ll0 / n))
        raise ModelInputError(f'kind must be "mcfadden" or "nagelkerke", got {kind!r}')

    def lr_test(self) -> pd.Series:
        """Likelihood-ratio test of the model against the thresholds-only (null) model.

        Returns
        -------
        pandas.Series
            ``chi2`` (``2 (loglik - loglik_null)``), ``df`` (number of effects) and ``p``;
            ``chi2`` and ``p`` are NaN with probability weights (pseudo-log-likelihoods give
            no likelihood-ratio test; use Wald tests on :attr:`cov_`).

        Examples
        --------
        >>> import numpy as np
        >>> from copfactors.models import OrdinalRegression
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(300, 1))
        >>> y = np.digitize(x[:, 0] + rng.logistic(size=300), [-1.0, 1.0])
        >>> test = OrdinalRegression().fit(x, y).lr_test()
        >>> int(test["df"]), bool(test["p"] < 0.001)
        (1, True)
        """
        self._check_fitted()
        df = self.df_model_
        if self._probability_weighted():
            nan = float("nan")
            return pd.Series({"chi2": nan, "df": df, "p": nan}, name="lr_test", dtype=object)
        stat = max(2.0 * (self.loglik_ - self.loglik_null_), 0.0)
        p = float(chdtrc(df, stat)) if df > 0 else float("nan")
        return pd.Series({"chi2": stat, "df": df, "p": p}, name="lr_test", dtype=object)

    def summary(self) -> pd.DataFrame:
        """Tidy table of estimates: one row per threshold, nominal effect and coefficient.

        Returns
        -------
        pandas.DataFrame
            Columns ``term``, ``kind`` (``"threshold"``, ``"nominal"`` or ``"coef"``; a
            two-level outcome has one row ``(Intercept)`` of kind ``"intercept"`` instead of its
            threshold, equal to ``-thresholds_`` as R's ``glm(..., family = binomial)``),
            ``coef``, ``se``, ``z`` (the Wald ratio ``coef / se``), ``p`` (two-sided), ``ci_low``,
            ``ci_high`` (Wald, level ``1 - alpha``; ``p`` and the interval from the normal, or
            with ``cov_type="cluster"`` from Student's t with ``G - 1`` df, :attr:`t_df_`),
            ``odds_ratio``, ``or_ci_low``, ``or_ci_high`` (``exp`` of the
            coefficient and its CI for the logit link's coefficients; NaN otherwise). Under
            (quasi-)complete separation a last column ``separated`` is True for the infinite
            estimates, whose ``coef`` is ``+inf`` or ``-inf`` (NaN when either sign fits) and
            whose ``se``, ``z``, ``p`` and intervals are NaN (see :attr:`separation_`).
            ``attrs`` holds ``link``, ``cov_type``, ``alpha``, ``df`` (:attr:`t_df_`: the
            Student df of ``p`` and the interval, None for the normal), ``nobs``,
            ``converged``, ``separation`` (the predictors with infinite estimates) and
            ``notes``.

        Examples
        --------
        >>> import numpy as np
        >>> from copfactors.models import OrdinalRegression
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(300, 1))
        >>> y = np.digitize(x[:, 0] + rng.logistic(size=300), [-1.0, 1.0])
        >>> OrdinalRegression().fit(x, y).summary()["kind"].tolist()
        ['threshold', 'threshold', 'coef']
        >>> binary = OrdinalRegression().fit(x, y >= 1).summary()
        >>> binary["term"].tolist(), binary["kind"].tolist()
        (['(Intercept)', 'x0'], ['intercept', 'coef'])
        """
        self._check_fitted()
        est = self.params_.to_numpy().copy()
        se = self.se_.to_numpy()
        J = len(self.thresholds_)
        n_nom = self.nominal_coef_.size
        kinds = ["threshold"] * J + ["nominal"] * n_nom + ["coef"] * len(self.coef_)
        terms = self.params_.index.to_list()
        if len(self.classes_) == 2 and n_nom == 0:
            # a two-level outcome is a logistic (binary) regression: shown as R's glm, with
            # (Intercept) = -threshold (same SE; z and the CI flip); thresholds_ keeps the
            # cumulative-link parameterisation
            est[0] = -est[0]
            kinds[0] = "intercept"
            terms[0] = "(Intercept)"
        infinite, sign = self._infinite()
        if infinite.any():
            # an infinite estimate is reported as such: +-inf when it can run off to one side
            # only, NaN when to either; no standard error, test or interval
            side = sign[infinite]
            est[infinite] = np.where(side > 0, np.inf, np.where(side < 0, -np.inf, np.nan))
            if kinds[0] == "intercept" and infinite[0]:
                est[0] = -est[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            z = est / se
        df = self.t_df_
        if df is None:
            p = 2.0 * ndtr(-np.abs(z))
            crit = float(ndtri(1.0 - self.alpha / 2.0))
        else:
            # few clusters: the cluster-robust covariance rests on G sums, so Student's t with
            # G - 1 df (Cameron, Gelbach and Miller 2008; Stata's default after vce(cluster))
            p = 2.0 * stdtr(df, -np.abs(z))
            crit = float(stdtrit(df, 1.0 - self.alpha / 2.0))
        lo, hi = est - crit * se, est + crit * se
        z[infinite], p[infinite], lo[infinite], hi[infinite] = np.nan, np.nan, np.nan, np.nan
        is_coef = np.array([k == "coef" for k in kinds])
        use_or = is_coef & (self._fit_link == "logit")
        with np.errstate(over="ignore"):
            odds = np.where(use_or, np.exp(est), np.nan)
            or_lo = np.where(use_or, np.exp(lo), np.nan)
            or_hi = np.where(use_or, np.exp(hi), np.nan)
        table = pd.DataFrame(
            {
                "term": terms,
                "kind": kinds,
                "coef": est,
                "se": se,
                "z": z,
                "p": p,
                "ci_low": lo,
                "ci_high": hi,
                "odds_ratio": odds,
                "or_ci_low": or_lo,
                "or_ci_high": or_hi,
            },
            columns=_SUMMARY_COLUMNS,
        )
        if infinite.any():
            table["separated"] = infinite
        table.attrs = {
            "link": self._fit_link,
            "cov_type": self._fit_cov_type,
            "alpha": self.alpha,
            "df": df,
            "nobs": self.nobs_,
            "converged": self.converged_,
            "separation": list(self.separation_),
            "notes": self._notes(),
        }
        return table

    def _notes(self) -> list[str]:
        notes = []
        if not self.converged_:
            notes.append(
                f"the fit did not converge ({self._convergence_message}); estimates are unreliable"
            )
        infinite, _ = self._infinite()
        if infinite.any():
            k = len(self.thresholds_) + self.nominal_coef_.size
            finite = self.params_.index[k:][~infinite[k:]].tolist()
            notes.append(
                f"(quasi-)complete separation: the estimates of {self._separation_phrase()} "
                "are infinite (separated = True; coef +inf/-inf, or NaN when either sign "
                "fits), with no standard error, test or interval"
                + (
                    f"; {', '.join(finite)} are the estimates of the model given the "
                    "separation (the limit of the likelihood), their inference from its "
                    "information in the remaining directions"
                    if finite
                    else ""
                )
            )
        if not self._info_positive_definite:
            notes.append(
                "the information matrix is singular; a pseudo-inverse was used for the covariance"
            )
        if self._probability_weighted():
            psus = (
                f"the {self.n_clusters_} clusters"
                if self._fit_cov_type == "cluster"
                else "the rows"
            )
            notes.append(
                "probability (survey) weights: design-based sandwich covariance as R's "
                f"survey::svyolr (with-replacement design, PSUs = {psus}, centred, scaled by "
                "m/(m-1) for m PSUs); the log-likelihood is a weighted pseudo-log-likelihood, "
                "so AIC, BIC, Nagelkerke R2 and likelihood-ratio tests are not given"
            )
        elif self._fit_cov_type == "cluster":
            notes.append(
                f"cluster-robust (HC0) covariance over {self.n_clusters_} clusters, scaled by "
                "G/(G-1)"
            )
        if self._fit_cov_type == "cluster":
            notes.append(
                f"p-values and intervals use Student's t with G - 1 = {self.t_df_:g} df (the "
                "cluster-robust covariance rests on G cluster sums), not the normal; the z "
                "column is the Wald ratio coef / se"
            )
        elif self._fit_cov_type == "robust":
            notes.append("robust (HC0 sandwich) covariance")
        if self.nominal_coef_.shape[1]:
            notes.append(
                "nominal effects 'j|j+1.w' enter the thresholds, P(Y <= j) = "
                "F(theta_j + w'gamma_j - x'beta), as in R's clm: the per-cut slope is -gamma_j"
            )
        return notes

    def print_summary(self, style: str = "text", digits: int = 4) -> None:
        """Print the estimates with the fit statistics (:meth:`render_summary`); returns None.

        Parameters
        ----------
        style : {"text", "html", "latex"}
            Output format (rendered by :func:`copfactors.report.render_table`).
        digits : int, default 4
            Decimals shown.

        Examples
        --------
        >>> import numpy as np
        >>> from copfactors.models import OrdinalRegression
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(300, 1))
        >>> y = np.digitize(x[:, 0] + rng.logistic(size=300), [-1.0, 1.0])
        >>> OrdinalRegression().fit(x, y).print_summary()  # doctest: +ELLIPSIS
        Ordinal regression (cumulative logit)
        ...
        """
        print(self.render_summary(style=style, digits=digits))

    def render_summary(self, style: str = "text", digits: int = 4) -> str:
        """The estimates with the fit statistics, rendered as one string (not printed).

        Parameters
        ----------
        style : {"text", "html", "latex"}
            Output format (rendered by :func:`copfactors.report.render_table`).
        digits : int, default 4
            Decimals shown.

        Returns
        -------
        str
            A title, the fit statistics (observations, outcome levels, link, covariance,
            log-likelihood, AIC, BIC, pseudo R-squared, LR test, convergence), the table of
            :meth:`summary` and its notes.

        Examples
        --------
        >>> import numpy as np
        >>> from copfactors.models import OrdinalRegression
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(300, 1))
        >>> y = np.digitize(x[:, 0] + rng.logistic(size=300), [-1.0, 1.0])
        >>> text = OrdinalRegression().fit(x, y).render_summary()
        >>> text.splitlines()[0], "McFadden" in text
        ('Ordinal regression (cumulative logit)', True)
        """
        table = self.summary()
        if self._fit_link != "logit":
            table = table.drop(columns=["odds_ratio", "or_ci_low", "or_ci_high"])
        level = f"{100 * (1 - self.alpha):g}%"
        table = table.rename(
            columns={
                "ci_low": f"{level} CI low",
                "ci_high": f"{level} CI high",
                "or_ci_low": "OR CI low",
                "or_ci_high": "OR CI high",
            }
        )
        lr = self.lr_test()
        levels = " < ".join(_label(c) for c in self.classes_)
        if len(levels) > 60:
            levels = levels[:57] + "..."
        rows = len(self._data.X)
        probability = self._probability_weighted()
        if probability:
            obs = f"{rows} (probability-weighted)"
        elif self.nobs_ == rows:
            obs = f"{self.nobs_:g}"
        else:
            obs = f"{self.nobs_:g} (weighted, {rows} rows)"
        cov = self._fit_cov_type
        if self._fit_cov_type == "cluster":
            cov += f" ({self.n_clusters_} clusters; p and CI from t with {self.t_df_:g} df)"
        conv = (
            f"converged in {self.n_iter_} iterations"
            if self.converged_
            else f"NOT converged after {self.n_iter_} iterations"
        )
        header = {
            "Observations": obs,
            "Outcome levels": f"{len(self.classes_)} ({levels})",
            "Link": self._fit_link,
            "Covariance": cov,
            "Log-likelihood": f"{self.loglik_:.{digits}f}",
            "AIC": f"{self.aic_:.{digits}f}",
            "BIC": f"{self.bic_:.{digits}f}",
            "McFadden R2": f"{self.r2_mcfadden_:.{digits}f}",
            "Nagelkerke R2": f"{self.r2_nagelkerke_:.{digits}f}",
            "LR test vs null": f"chi2 = {lr['chi2']:.{digits}f} on {lr['df']} df, "
            + _p_phrase(format_p(lr["p"], digits)),
            "Convergence": f"{conv} (max |gradient| = {self.max_abs_gradient_:.2e})",
        }
        if probability:
            header["Covariance"] = f"{cov}, design-based (probability weights)"
            header["Log-likelihood"] = f"{self.loglik_:.{digits}f} (weighted pseudo)"
            for key in ("AIC", "BIC", "Nagelkerke R2", "LR test vs null"):
                del header[key]
        title = f"Ordinal regression (cumulative {self._fit_link})"
        if len(self.classes_) == 2:
            title = f"Binary regression ({self._fit_link})"
        return render_table(
            table,
            title=title,
            header=header,
            style=style,
            digits=digits,
            notes=table.attrs.get("notes", self._notes()),
        )

    # ------------------------------------------------------------------ tests of the model
    def nominal_test(self, terms: Any = None, *, per_column: bool = False) -> pd.DataFrame:
        """Likelihood-ratio tests of the proportional-odds assumption, one per term.

        For each term (a group of columns: ``terms``, else the ``terms_`` of a model fitted
        from a formula, else each column) the model is refitted with that term nominal
        (threshold-specific effects, ``K - 2`` extra parameters per column), as R's
        ``ordinal::nominal_test``, and compared with this model. ``per_column=True`` tests
        each column on its own. A refit that is (quasi-)separated warns.

        Returns
        -------
        pandas.DataFrame
            Columns ``term``, ``df`` (extra parameters), ``loglik`` and ``aic`` (of the refit),
            ``lr_stat`` (``2 (loglik_refit - loglik_)``), ``p`` and ``converged`` (of the
            refit). ``p`` is NaN when ``df`` is 0 (binary outcome).

        Raises
        ------
        ModelInputError
            For a fit with probability weights (``weight_kind="probability"``).

        Examples
        --------
        >>> import numpy as np
        >>> from copfactors.models import OrdinalRegression
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(300, 2))
        >>> y = np.digitize(x.sum(axis=1) + rng.logistic(size=300), [-1.0, 1.0])
        >>> OrdinalRegression().fit(x, y).nominal_test()["term"].tolist()
        ['x0', 'x1']
        """
        self._check_fitted()
        self._refuse_probability(
            "nominal_test",
            "it is a likelihood-ratio test, and a weighted pseudo-log-likelihood is no likelihood",
        )
        return nominal_test(self, terms, per_column=per_column)

    def brant_test(self, *, symmetric: bool = False) -> pd.DataFrame:
        """Brant's (1990) Wald test of the proportional-odds assumption.

        Fits the ``K - 1`` binary logistic regressions of ``1(Y > j)`` on the predictors and
        tests whether their slopes are equal, jointly (row ``"omnibus"``, ``(K - 2) p`` degrees
        of freedom) and per predictor (``K - 2`` each), following the algorithm of R's
        ``brant`` package (Schlegel and Steenbergen). Needs the logit link and a model without
        nominal effects. Frequency weights are used throughout (the R package ignores them).

        Parameters
        ----------
        symmetric : bool, default False
            The joint covariance of the binary slopes has off-diagonal blocks
            ``Cov(beta_m, beta_l)``. R's ``brant`` package (0.3-0), followed by default, also
            uses that block for ``Cov(beta_l, beta_m)``; True uses its transpose, as in Brant's
            paper. Only the omnibus statistic changes, slightly (e.g. 15.289 instead of 15.330
            on the reference clustered data); the per-predictor statistics are identical.

        Returns
        -------
        pandas.DataFrame
            Columns ``term`` (``"omnibus"``, then each predictor), ``chi2``, ``df``, ``p``.

        Raises
        ------
        ModelInputError
            For a fit with probability weights (``weight_kind="probability"``).

        Examples
        --------
        >>> import numpy as np
        >>> from copfactors.models import OrdinalRegression
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(300, 2))
        >>> y = np.digitize(x.sum(axis=1) + rng.logistic(size=300), [-1.0, 1.0])
        >>> OrdinalRegression().fit(x, y).brant_test()["term"].tolist()
        ['omnibus', 'x0', 'x1']
        """
        self._check_fitted()
        self._refuse_probability(
            "brant_test",
            "its Wald statistics use model-based variances, which ignore the sampling design",
        )
        return brant_test(self, symmetric=symmetric)

    def bootstrap(
        self,
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
        """Bootstrap the estimates: standard errors, percentile and BCa intervals.

        Rows (or, with ``cluster_resample``, whole clusters) are drawn with replacement and
        the model is refitted ``n_boot`` times through ``joblib.Parallel(n_jobs=n_jobs)``, one
        task per chunk of replicates; inside ``joblib.parallel_config(backend="dask")`` the
        refits run on a Dask cluster. Replicate ``i`` draws from its own generator, derived
        from ``random_state`` and ``i`` by ``numpy.random.SeedSequence.spawn``, so the result
        is the same whatever ``n_jobs``, backend or chunking. Replicates that lose an outcome
        level, do not converge or cannot be fitted (e.g. a binary predictor constant in the
        resample) are dropped and counted. The BCa acceleration comes from a jackknife over
        rows (clusters), also through joblib: exact (leave one out) up to 1,000 units, above
        that leaving out one of 100 seeded random groups of units at a time. See
        :mod:`copfactors.parallel`.

        Parameters
        ----------
        X, y : data
            The data the model was fitted on (it is fitted here if it is not fitted yet).
        n_boot : int, default 1000
            Bootstrap replicates.
        n_jobs : int, optional
            joblib's ``n_jobs`` (``None``: one process, or the active ``parallel_config``).
        random_state : int, SeedSequence or None, default 0
            Root seed of the replicates.
        groups : array-like of shape (n,), optional
            Cluster labels: resampled as units with ``cluster_resample=True``; also passed to
            the fit of an unfitted model with ``cov_type="cluster"``.
        sample_weight : array-like of shape (n,), optional
            Frequency weights, resampled with their rows.
        cluster_resample : bool, default False
            Resample whole clusters of ``groups`` instead of rows.
        alpha : float, optional
            Intervals at level ``1 - alpha`` (default: the model's ``alpha``).

        Returns
        -------
        copfactors.parallel.BootstrapResult
            Estimates, replicate matrix, ``boot_se``, ``ci_percentile``, ``ci_bca``,
            ``failures``; ``summary()`` gives one tidy table.

        Examples
        --------
        >>> import numpy as np
        >>> from copfactors.models import OrdinalRegression
        >>> rng = np.random.default_rng(0)
        >>> x = rng.normal(size=(80, 1))
        >>> y = np.digitize(x[:, 0] + rng.logistic(size=80), [-1.0, 1.0])
        >>> res = OrdinalRegression().fit(x, y).bootstrap(x, y, n_boot=60)
        >>> lo, hi = res.ci_bca.loc["x0"]
        >>> bool(lo < res.estimate["x0"] < hi)
        True
        """
        return bootstrap(
            self,
            X,
            y,
            n_boot=n_boot,
            n_jobs=n_jobs,
            random_state=random_state,
            groups=groups,
            sample_weight=sample_weight,
            cluster_resample=cluster_resample,
            alpha=alpha,
        )
