"""Cumulative link mixed model: a random intercept per group (respondents nested in CoPs).

``P(Y_ij <= k | u_j) = F(theta_k - x_ij'beta - u_j)``, ``u_j ~ N(0, sigma^2)``, fitted by
maximum likelihood with the integral over each ``u_j`` approximated by the Laplace method
(``n_quad=1``) or adaptive Gauss-Hermite quadrature with ``n_quad`` nodes, as R's
``ordinal::clmm`` does with ``nAGQ``.

Written here because nothing in Python fits this model: statsmodels has no mixed ordinal model
and ``mord`` and ``OrderedModel`` are fixed-effects only. The work is vectorised over groups:
the conditional modes of all groups are found at once by Newton's method on the (concave)
log-posterior of each ``u_j``, with per-group sums by ``numpy.bincount``; the outer
likelihood is maximised by BFGS on ``(theta_1, log increments of theta, beta, log sigma)``. For
the Laplace approximation the gradient is exact (:meth:`_Fit.laplace_gradient`, by the implicit
function theorem through the modes) and the covariance comes from central differences of it;
with adaptive quadrature both are central finite differences of the likelihood. The Hessian is
taken in the reported parameterisation ``(theta, beta, log sigma)``, as clmm's is.

Examples
--------
>>> import numpy as np
>>> from copfactors.models import MixedOrdinalRegression
>>> rng = np.random.default_rng(0)
>>> groups = np.repeat(np.arange(30), 20)
>>> x = rng.normal(size=(600, 1))
>>> latent = x[:, 0] + rng.normal(0, 1.0, 30)[groups] + rng.logistic(size=600)
>>> y = np.digitize(latent, [-1.0, 1.0])
>>> model = MixedOrdinalRegression().fit(x, y, groups=groups)
>>> bool(0.5 < model.sigma_ < 1.6), bool(0.7 < model.coef_["x0"] < 1.3)
(True, True)
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import chdtrc, logsumexp, ndtr, ndtri
from sklearn.base import BaseEstimator, ClassifierMixin

from copfactors._utils.numeric import central_jacobian, relative_steps
from copfactors._utils.render import format_p, render_table
from copfactors.errors import ConvergenceWarning, ModelInputError
from copfactors.models._links import LINKS, Link, get_link
from copfactors.models._ordinal import OrdinalRegression
from copfactors.models._separation import mask_infinite, restricted_covariance
from copfactors.models._validation import (
    ModelNotFittedError,
    check_groups,
    check_sample_weight,
    encode_outcome,
)

__all__ = ["MixedOrdinalRegression"]

#: Variance of the standard latent distribution of each link (for the ICC).
LATENT_VARIANCE = {"logit": math.pi**2 / 3.0, "probit": 1.0, "cloglog": math.pi**2 / 6.0}

# Gauss-Hermite nodes for marginal predictions (integrating over a new group's intercept)
_MARGINAL_NODES = 40
_INNER_TOL = 1e-7
_INNER_MAX = 100


def _label(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value.item() if hasattr(value, "item") else value)


def _cell_terms(link: Link, upper: np.ndarray, lower: np.ndarray):
    """``log P``, ``d log P / du`` and ``d2 log P / du2`` of ``P = F(upper - u) - F(lower - u)``.

    ``upper``/``lower`` are already shifted by ``u``; infinite ends give the one-sided cells.
    Cells in the upper tail (``lower > 0``) are differenced on the survival function, for
    accuracy.
    """
    top, bottom = np.isposinf(upper), np.isneginf(lower)
    Fa, fa, dfa = link.cdf_pdf_dpdf(np.where(top, 0.0, upper))
    Fb, fb, dfb = link.cdf_pdf_dpdf(np.where(bottom, 0.0, lower))
    Fa = np.where(top, 1.0, Fa)
    fa = np.where(top, 0.0, fa)
    dfa = np.where(top, 0.0, dfa)
    Fb = np.where(bottom, 0.0, Fb)
    fb = np.where(bottom, 0.0, fb)
    dfb = np.where(bottom, 0.0, dfb)
    P = Fa - Fb
    tail = np.flatnonzero(lower > 0)
    if tail.size:
        Sb = link.sf(lower[tail])
        up = upper[tail]
        Sa = np.where(np.isposinf(up), 0.0, link.sf(np.where(np.isposinf(up), 0.0, up)))
        P[tail] = Sb - Sa
    P = np.maximum(P, 1e-300)
    d1 = -(fa - fb) / P
    d2 = (dfa - dfb) / P - d1**2
    return np.log(P), d1, d2


def _d2pdf(link: Link, x: np.ndarray, F: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Second derivative of the link's density, from ``F`` and ``f`` at ``x``."""
    if link.name == "logit":
        return f * (1.0 - 6.0 * F * (1.0 - F))
    if link.name == "probit":
        return (x * x - 1.0) * f
    e = np.exp(np.minimum(x, 700.0))  # cloglog: f = e exp(-e), f' = f (1 - e)
    return f * ((1.0 - e) ** 2 - e)


def _end_terms(link: Link, x: np.ndarray, infinite: np.ndarray, at_infinity: float):
    """``F, f, f', f''`` at one end of each cell; infinite ends give ``at_infinity`` and zeros."""
    safe = np.where(infinite, 0.0, x)
    F, f, df = link.cdf_pdf_dpdf(safe)
    d2f = _d2pdf(link, safe, F, f)
    return (
        np.where(infinite, at_infinity, F),
        np.where(infinite, 0.0, f),
        np.where(infinite, 0.0, df),
        np.where(infinite, 0.0, d2f),
    )


class _Data:
    """The rows of a fit: predictors, outcome codes, weights and group codes."""

    def __init__(self, X, codes, w, groups, n_groups):
        self.X = X
        self.codes = codes
        self.w = np.ones(len(codes)) if w is None else w
        self.groups = groups
        self.n_groups = n_groups


class _Fit:
    """Marginal log-likelihood of the random-intercept model by Laplace or adaptive quadrature."""

    def __init__(self, data: _Data, link: Link, J: int, n_quad: int):
        self.data, self.link, self.J, self.n_quad = data, link, J, n_quad
        self.p = data.X.shape[1]
        z, wq = np.polynomial.hermite.hermgauss(n_quad)
        self.z, self.log_wq = z, np.log(wq) + z**2
        self.modes = np.zeros(data.n_groups)

    def split(self, params: np.ndarray):
        J, p = self.J, self.p
        return params[:J], params[J : J + p], float(params[J + p])

    def _ends(self, theta: np.ndarray, beta: np.ndarray):
        ext = np.concatenate([[-np.inf], theta, [np.inf]])
        eta = self.data.X @ beta if self.p else np.zeros(len(self.data.codes))
        return ext[self.data.codes + 1] - eta, ext[self.data.codes] - eta

    def _gsum(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.data.groups, weights=values, minlength=self.data.n_groups)

    def conditional_modes(self, theta, beta, sigma, start=None):
        """Modes of each group's log-posterior and its curvature there, by vectorised Newton."""
        upper, lower = self._ends(theta, beta)
        g, w = self.data.groups, self.data.w
        u = np.zeros(self.data.n_groups) if start is None else start.copy()
        inv_var = 1.0 / sigma**2

        def h(u_now):
            lp, d1, d2 = _cell_terms(self.link, upper - u_now[g], lower - u_now[g])
            value = self._gsum(w * lp) - 0.5 * u_now**2 * inv_var
            grad = self._gsum(w * d1) - u_now * inv_var
            curv = self._gsum(w * d2) - inv_var
            return value, grad, curv

        value, grad, curv = h(u)
        for _ in range(_INNER_MAX):
            step = -grad / curv
            new = u + step
            nv, ng, nc = h(new)
            worse = nv < value - 1e-12 * (1.0 + np.abs(value))
            halvings = 0
            while worse.any() and halvings < 30:
                step = np.where(worse, step / 2.0, step)
                new = u + step
                nv, ng, nc = h(new)
                worse = nv < value - 1e-12 * (1.0 + np.abs(value))
                halvings += 1
            u, value, grad, curv = new, nv, ng, nc
            if np.max(np.abs(step)) < _INNER_TOL:
                break
        # one more full Newton step: convergence is quadratic, so the modes are then exact to
        # rounding whatever the start (the likelihood must not depend on the warm start, or
        # its finite-difference derivatives would be noise)
        u = u - grad / curv
        value, grad, curv = h(u)
        return u, value, curv

    def loglik(self, params: np.ndarray) -> float:
        theta, beta, log_sigma = self.split(params)
        if np.any(np.diff(theta) <= 0) or not np.isfinite(log_sigma) or log_sigma < -30:
            return -np.inf
        sigma = math.exp(log_sigma)
        u, value, curv = self.conditional_modes(theta, beta, sigma, start=self.modes)
        if not np.all(np.isfinite(value)) or not np.all(curv < 0):
            return -np.inf  # the inner problem failed at these (far-off) parameters
        # warm start of the next evaluation (the modes converge to 1e-11 whatever the start)
        self.modes = u
        if self.n_quad == 1:
            per_group = value - 0.5 * np.log(-curv)
        else:
            s = 1.0 / np.sqrt(-curv)
            upper, lower = self._ends(theta, beta)
            g, w = self.data.groups, self.data.w
            terms = []
            for zk, lwk in zip(self.z, self.log_wq, strict=True):
                uk = u + math.sqrt(2.0) * s * zk
                lp, _, _ = _cell_terms(self.link, upper - uk[g], lower - uk[g])
                hk = self._gsum(w * lp) - 0.5 * uk**2 / sigma**2
                terms.append(lwk + hk)
            per_group = (
                logsumexp(np.vstack(terms), axis=0)
                + np.log(math.sqrt(2.0) * s)
                - 0.5 * math.log(2.0 * math.pi)
            )
        return float(np.sum(per_group) - self.data.n_groups * log_sigma)

    def laplace_gradient(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        """The Laplace log-likelihood and its exact gradient in ``(theta, beta, log sigma)``.

        With ``h_j`` the log-posterior of group ``j``'s intercept at its mode ``u_j`` (where
        ``dh_j/du = 0``), ``log L_j = h_j - log sigma - log(-h2_j) / 2`` with ``h2_j``, ``h3_j``
        the second and third derivatives in ``u``, and by the implicit function theorem
        (``du_j/dpsi = -(d h1_j/dpsi) / h2_j``),
        ``d log L_j / dpsi = dh_j/dpsi - (d h2_j/dpsi + h3_j du_j/dpsi) / (2 h2_j)``.
        Every term is a weighted sum over the group's rows of derivatives of
        ``log(F(a - u) - F(b - u))`` up to the third order, so the gradient costs about one
        likelihood evaluation (a finite-difference one costs ``2 (J + p + 1)``).
        """
        value = self.loglik(params)
        if not np.isfinite(value):
            return value, np.full(len(params), np.nan)
        theta, beta, log_sigma = self.split(params)
        sigma2 = math.exp(2.0 * log_sigma)
        d = self.data
        g, w, codes = d.groups, d.w, d.codes
        u = self.modes
        upper, lower = self._ends(theta, beta)
        a, b = upper - u[g], lower - u[g]
        top, bottom = np.isposinf(a), np.isneginf(b)
        Fa, fa, dfa, d2fa = _end_terms(self.link, a, top, 1.0)
        Fb, fb, dfb, d2fb = _end_terms(self.link, b, bottom, 0.0)
        P = Fa - Fb
        tail = np.flatnonzero(b > 0)
        if tail.size:
            at = a[tail]
            Sa = np.where(np.isposinf(at), 0.0, self.link.sf(np.where(np.isposinf(at), 0.0, at)))
            P[tail] = self.link.sf(b[tail]) - Sa
        P = np.maximum(P, 1e-300)
        # partial derivatives of l = log P in the two ends a (upper) and b (lower)
        la, lb = fa / P, -fb / P
        paa, pbb = dfa / P, -dfb / P
        laa, lbb, lab = paa - la * la, pbb - lb * lb, -la * lb
        laaa = d2fa / P - 3.0 * la * paa + 2.0 * la**3
        lbbb = -d2fb / P - 3.0 * lb * pbb + 2.0 * lb**3
        laab = -lb * paa + 2.0 * la * la * lb
        labb = -la * pbb + 2.0 * lb * lb * la
        # derivatives in u (both ends move by -u)
        lu = -(la + lb)
        luu = laa + 2.0 * lab + lbb
        luuu = -(laaa + 3.0 * laab + 3.0 * labb + lbbb)
        h2 = self._gsum(w * luu) - 1.0 / sigma2
        h3 = self._gsum(w * luuu)
        c2 = 0.5 / h2
        c3 = 0.5 * h3 / h2**2
        # theta_k moves the upper end of the rows of level k - 1 and the lower end of level k
        va = w * (la - c2[g] * (laaa + 2.0 * laab + labb) - c3[g] * (laa + lab))
        vb = w * (lb - c2[g] * (laab + 2.0 * labb + lbbb) - c3[g] * (lab + lbb))
        J = self.J
        grad_theta = (
            np.bincount(codes, weights=va, minlength=J + 1)[:J]
            + np.bincount(codes, weights=vb, minlength=J + 1)[1:]
        )
        # beta: x'beta enters both ends with a minus sign, as u does
        v = w * (lu - c2[g] * luuu + c3[g] * luu)
        grad_beta = d.X.T @ v if self.p else np.zeros(0)
        # log sigma: only the prior -u^2 / (2 sigma^2) and the normalising -log sigma
        dh1 = 2.0 * u / sigma2
        du = -dh1 / h2
        grad_ls = float(np.sum(u * u / sigma2 - (2.0 / sigma2 + h3 * du) / (2.0 * h2)))
        return value, np.concatenate([grad_theta, grad_beta, [grad_ls - d.n_groups]])


def _to_free(params: np.ndarray, J: int) -> np.ndarray:
    theta = params[:J]
    return np.concatenate([[theta[0]], np.log(np.diff(theta)), params[J:]])


def _from_free(free: np.ndarray, J: int) -> np.ndarray:
    theta = free[0] + np.concatenate([[0.0], np.cumsum(np.exp(free[1:J]))])
    return np.concatenate([theta, free[J:]])


def _central_gradient(fun, x: np.ndarray, step: np.ndarray) -> np.ndarray:
    return central_jacobian(fun, x, step)


def _central_hessian(fun, x: np.ndarray, step: np.ndarray) -> np.ndarray:
    """Second derivatives by central differences of ``fun`` (4 evaluations per pair)."""
    k = len(x)
    H = np.empty((k, k))
    f0 = fun(x)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = step[i]
        H[i, i] = (fun(x + ei) - 2.0 * f0 + fun(x - ei)) / step[i] ** 2
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = step[j]
            H[i, j] = H[j, i] = (
                fun(x + ei + ej) - fun(x + ei - ej) - fun(x - ei + ej) + fun(x - ei - ej)
            ) / (4.0 * step[i] * step[j])
    return H


class MixedOrdinalRegression(ClassifierMixin, BaseEstimator):
    """Cumulative link model with a random intercept per group (R's ``clmm``).

    ``P(Y_ij <= k | x, u_j) = F(theta_k - x_ij'beta - u_j)`` with ``u_j ~ N(0, sigma^2)``:
    respondents ``i`` nested in groups ``j`` (CoPs). Coefficients are conditional on the group
    (subject-specific); :meth:`predict_proba` without ``groups`` gives marginal
    (population-averaged) probabilities for a new group.

    Parameters
    ----------
    link : {"logit", "probit", "cloglog"}, default "logit"
    n_quad : int, default 1
        Quadrature nodes per group: 1 is the Laplace approximation, more is adaptive
        Gauss-Hermite quadrature (R's ``nAGQ``).
    alpha : float, default 0.05
        Significance level of the confidence intervals.
    max_iter : int, default 500
        Iterations of the outer optimiser (BFGS).
    tol : float, default 1e-7
        Gradient tolerance of the outer optimiser, relative to the number of groups.

    Attributes
    ----------
    classes_ : ndarray
        Outcome levels, lowest first.
    thresholds_, coef_ : pandas.Series
        Thresholds (named like R's ``1|2``) and coefficients.
    se_ : pandas.Series
        Standard errors of the thresholds, the coefficients and ``log(sigma)`` (``log_sigma``).
    cov_ : pandas.DataFrame
        Covariance of ``(thresholds, coefficients, log_sigma)`` from the inverse of a
        finite-difference Hessian of the marginal log-likelihood.
    separation_ : list of str
        Predictors whose estimates are infinite ((quasi-)complete separation, found on the
        fixed model ``fixed_``; empty if none). Their standard errors and covariances are NaN
        and :meth:`summary` reports them with ``separated = True``.
    sigma_, sigma_se_ : float
        Standard deviation of the random intercepts and its standard error (delta method).
    sigma_ci_ : tuple of float
        Confidence interval of ``sigma`` computed on the log scale.
    icc_ : float
        Intraclass correlation on the latent scale, ``sigma^2 / (sigma^2 + v)`` with ``v`` the
        variance of the link's latent distribution (``pi^2/3`` logit, 1 probit, ``pi^2/6``
        cloglog).
    random_effects_ : pandas.DataFrame
        Per group (index): ``mode`` (conditional mode, R's ``ranef``) and ``sd`` (conditional
        standard deviation, the square root of R's ``condVar``).
    loglik_, aic_, bic_ : float
        Marginal log-likelihood (Laplace or quadrature) and information criteria (BIC with
        the number of observations, as R).
    n_groups_ : int
    nobs_ : float
    converged_ : bool
    fixed_ : OrdinalRegression
        The same model without the random intercept (start values, likelihood-ratio test).

    Examples
    --------
    >>> import numpy as np
    >>> from copfactors.models import MixedOrdinalRegression
    >>> rng = np.random.default_rng(1)
    >>> groups = np.repeat(np.arange(25), 12)
    >>> x = rng.normal(size=(300, 1))
    >>> y = np.digitize(x[:, 0] + rng.normal(0, 0.8, 25)[groups] + rng.logistic(size=300),
    ...                 [-1.0, 0.5, 2.0])
    >>> m = MixedOrdinalRegression(n_quad=5).fit(x, y, groups=groups)
    >>> m.summary()["term"].tolist()
    ['0|1', '1|2', '2|3', 'x0', 'sigma']
    >>> m.predict_proba(x[:2]).shape  # marginal: a new group
    (2, 4)
    """

    def __init__(
        self,
        link: str = "logit",
        n_quad: int = 1,
        alpha: float = 0.05,
        max_iter: int = 500,
        tol: float = 1e-7,
    ):
        self.link = link
        self.n_quad = n_quad
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol

    # ------------------------------------------------------------------------------- fit
    def _check_params(self) -> None:
        if self.link not in LINKS:
            raise ModelInputError(f"link must be one of {sorted(LINKS)}, got {self.link!r}")
        if (
            isinstance(self.n_quad, bool)
            or not isinstance(self.n_quad, int | np.integer)
            or not 1 <= self.n_quad <= 50
        ):
            raise ModelInputError(f"n_quad must be an integer from 1 to 50, got {self.n_quad!r}")
        if not isinstance(self.alpha, float | int) or not 0 < self.alpha < 1:
            raise ModelInputError(f"alpha must be in (0, 1), got {self.alpha!r}")

    def fit(self, X: Any, y: Any, *, groups: Any, sample_weight: Any = None):
        """Fit by maximum (Laplace or adaptive-quadrature) likelihood.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n, p)
            Numeric predictors (a DataFrame's column names are kept).
        y : array-like of shape (n,)
            Ordinal outcome, as :class:`OrdinalRegression` accepts it.
        groups : array-like of shape (n,)
            Group (CoP) of each row; at least 2 groups. Groups of one row are fine.
        sample_weight : array-like of shape (n,), optional
            Positive frequency weights.

        Returns
        -------
        MixedOrdinalRegression
            The fitted model.

        Raises
        ------
        ModelInputError
            On bad input (as :class:`OrdinalRegression`), a single group, or non-positive
            weights.
        """
        self._check_params()
        if groups is None:
            raise ModelInputError("MixedOrdinalRegression needs groups: fit(X, y, groups=...)")
        fixed = OrdinalRegression(link=self.link, cov_type="nonrobust").fit(
            X, y, sample_weight=sample_weight
        )
        X_arr = fixed._validate_X(X, reset=False)
        n = X_arr.shape[0]
        enc = encode_outcome(y, estimator="MixedOrdinalRegression")
        g_codes, n_groups = check_groups(groups, n)
        if n_groups < 2:
            raise ModelInputError(
                "groups has a single group: the random-intercept variance is not identified "
                "with one group (its intercept is the thresholds'); use OrdinalRegression"
            )
        w = check_sample_weight(sample_weight, n)
        if w is not None and not np.all(w > 0):
            raise ModelInputError(
                "sample_weight must be positive for MixedOrdinalRegression: drop rows of "
                "weight zero first"
            )
        levels = pd.factorize(
            groups.to_numpy() if isinstance(groups, pd.Series) else np.asarray(groups), sort=True
        )[1]
        J = len(enc.classes) - 1
        data = _Data(np.ascontiguousarray(X_arr, dtype=float), enc.codes, w, g_codes, n_groups)
        engine = _Fit(data, get_link(self.link), J, int(self.n_quad))
        start = np.concatenate(
            [fixed.thresholds_.to_numpy(), fixed.coef_.to_numpy(), [math.log(0.5)]]
        )

        laplace = int(self.n_quad) == 1
        free0 = _to_free(start, J)
        step = 1e-5 * np.maximum(np.abs(free0), 1.0)

        def objective(free: np.ndarray) -> float:
            value = engine.loglik(_from_free(free, J))
            return -value if np.isfinite(value) else 1e300

        def objective_and_gradient(free: np.ndarray) -> tuple[float, np.ndarray]:
            # the exact Laplace gradient, carried to the free parameters (theta_1, log gaps)
            value, grad = engine.laplace_gradient(_from_free(free, J))
            if not np.isfinite(value):
                return 1e300, np.zeros_like(free)
            g_theta = grad[:J]
            tail = np.cumsum(g_theta[::-1])[::-1]  # sum over k >= m of dL/dtheta_k
            free_grad = np.concatenate([[tail[0]], np.exp(free[1:J]) * tail[1:], grad[J:]])
            return -value, -free_grad

        gtol = float(self.tol) * max(n_groups, 1)
        if laplace:
            res = optimize.minimize(
                objective_and_gradient,
                free0,
                jac=True,
                method="BFGS",
                options={"maxiter": int(self.max_iter), "gtol": gtol},
            )
        else:
            res = optimize.minimize(
                objective,
                free0,
                jac=lambda free: _central_gradient(objective, free, step),
                method="BFGS",
                options={"maxiter": int(self.max_iter), "gtol": gtol},
            )
        params = _from_free(res.x, J)

        # covariance in the reported parameterisation (thresholds, beta, log sigma): central
        # differences of the exact gradient (Laplace), else of the likelihood itself
        def negll(p: np.ndarray) -> float:
            value = engine.loglik(p)
            return -value if np.isfinite(value) else np.nan

        if laplace:
            h = relative_steps(params, 1e-5)
            H = -central_jacobian(lambda p: engine.laplace_gradient(p)[1], params, h)
            H = 0.5 * (H + H.T)
            grad = -engine.laplace_gradient(params)[1]
        else:
            h = 1e-4 * np.maximum(np.abs(params), 1.0)
            grad = _central_gradient(negll, params, h / 10.0)
            H = _central_hessian(negll, params, h)
        engine.loglik(params)
        # the fixed model's directions of recession are the mixed model's too (every row's
        # probability grows along them whatever its group's intercept): the estimates it
        # finds infinite are infinite here, and the others' covariance is taken over the
        # remaining directions, as for the fixed model (see models._separation)
        infinite = np.concatenate([fixed._infinite()[0], [False]])
        sign = np.concatenate([fixed._infinite()[1], [0.0]])
        if infinite.any():
            basis = np.vstack([fixed._separation_basis, np.zeros(fixed._separation_basis.shape[1])])
            cov, _ = restricted_covariance(H, basis)
            cov = mask_infinite(cov, infinite)
            kept = np.diag(cov)[~infinite]
            ok = bool(np.all(np.isfinite(kept)) and np.all(kept > 0))
        else:
            try:
                cov = np.linalg.inv(H)
                ok = bool(np.all(np.isfinite(cov)) and np.all(np.diag(cov) > 0))
            except np.linalg.LinAlgError:
                cov, ok = np.full_like(H, np.nan), False

        thr_names = [f"{_label(a)}|{_label(b)}" for a, b in itertools.pairwise(enc.classes)]
        names = list(fixed.coef_.index)
        param_names = [*thr_names, *names, "log_sigma"]
        theta, beta, log_sigma = engine.split(params)
        sigma = math.exp(log_sigma)
        z = float(ndtri(1 - self.alpha / 2))

        self.fixed_ = fixed
        self.classes_ = fixed.classes_
        self._class_scores = fixed._class_scores
        self._fit_link = self.link
        self.feature_names_in_ = getattr(fixed, "feature_names_in_", None)
        if self.feature_names_in_ is None:
            del self.feature_names_in_
        self.n_features_in_ = fixed.n_features_in_
        self.thresholds_ = pd.Series(theta.copy(), index=thr_names, name="threshold")
        self.coef_ = pd.Series(beta.copy(), index=names, name="coef")
        self.params_ = pd.Series(params.copy(), index=param_names, name="estimate")
        self.cov_ = pd.DataFrame(cov, index=param_names, columns=param_names)
        self.se_ = pd.Series(np.sqrt(np.abs(np.diag(cov))), index=param_names, name="se")
        self.separation_ = list(fixed.separation_)
        self._separated = infinite
        self._separation_sign = sign
        se_log = float(self.se_["log_sigma"])
        self.sigma_ = sigma
        self.sigma_se_ = sigma * se_log
        # on the log scale; near sigma = 0 the log-scale SE explodes and the upper end is inf
        with np.errstate(over="ignore"):
            ends = np.exp(np.clip([log_sigma - z * se_log, log_sigma + z * se_log], -745, 710))
        self.sigma_ci_ = (float(ends[0]), float(ends[1]))
        self.icc_ = sigma**2 / (sigma**2 + LATENT_VARIANCE[self.link])
        modes, _, curv = engine.conditional_modes(theta, beta, sigma, start=engine.modes)
        self.random_effects_ = pd.DataFrame(
            {"mode": modes, "sd": 1.0 / np.sqrt(-curv)}, index=pd.Index(levels, name="group")
        )
        self._levels = {lv: k for k, lv in enumerate(levels.tolist())}
        self.loglik_ = engine.loglik(params)
        self.nobs_ = float(data.w.sum())
        self.n_groups_ = int(n_groups)
        k = len(param_names)
        self.aic_ = -2.0 * self.loglik_ + 2.0 * k
        self.bic_ = -2.0 * self.loglik_ + math.log(self.nobs_) * k
        self.max_abs_gradient_ = float(np.max(np.abs(grad)))
        self.n_iter_ = int(res.nit)
        self.converged_ = bool(ok and self.max_abs_gradient_ < 1e-3 * max(1.0, n_groups))
        if not self.converged_:
            warnings.warn(
                f"MixedOrdinalRegression did not converge (largest gradient "
                f"{self.max_abs_gradient_:.2g}, Hessian "
                f"{'positive definite' if ok else 'not positive definite'}; {res.message})",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    # ------------------------------------------------------------------------- inference
    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise ModelNotFittedError(
                "this MixedOrdinalRegression is not fitted yet; call fit(X, y, groups=...) first"
            )

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors, Wald tests and intervals; a last row for sigma.

        The columns are those of :meth:`OrdinalRegression.summary`; the ``sigma`` row (kind
        ``"random"``) gives the random-intercept SD with its delta-method standard error and
        an interval computed on the log scale (no test: ``sigma = 0`` is on the boundary, see
        :meth:`test_random_effect`). Under (quasi-)complete separation (:attr:`separation_`)
        a last column ``separated`` flags the infinite estimates, reported as ``+inf``/``-inf``
        (NaN when either sign fits) without standard error, test or interval.
        """
        self._check_fitted()
        z = float(ndtri(1 - self.alpha / 2))
        rows = []
        flags, sides = self._infinite_params()
        infinite = dict(zip(self.params_.index, flags, strict=True))
        signs = dict(zip(self.params_.index, sides, strict=True))
        for kind, series in (("threshold", self.thresholds_), ("coef", self.coef_)):
            for term, est in series.items():
                se = float(self.se_[term])
                if infinite[term]:
                    # infinite estimate (separation): +-inf, or NaN when either sign fits
                    est = signs[term] * math.inf if signs[term] else math.nan
                    se = math.nan
                stat = est / se if se > 0 else np.nan
                low, high = est - z * se, est + z * se
                odds = kind == "coef" and self.link == "logit"
                rows.append(
                    {
                        "term": term,
                        "kind": kind,
                        "coef": est,
                        "se": se,
                        "z": stat,
                        "p": float(2 * ndtr(-abs(stat))) if np.isfinite(stat) else np.nan,
                        "ci_low": low,
                        "ci_high": high,
                        "odds_ratio": math.exp(est) if odds else np.nan,
                        "or_ci_low": math.exp(low) if odds else np.nan,
                        "or_ci_high": math.exp(high) if odds else np.nan,
                    }
                )
        rows.append(
            {
                "term": "sigma",
                "kind": "random",
                "coef": self.sigma_,
                "se": self.sigma_se_,
                "z": np.nan,
                "p": np.nan,
                "ci_low": self.sigma_ci_[0],
                "ci_high": self.sigma_ci_[1],
                "odds_ratio": np.nan,
                "or_ci_low": np.nan,
                "or_ci_high": np.nan,
            }
        )
        table = pd.DataFrame(rows)
        if any(infinite.values()):
            table["separated"] = [bool(infinite.get(t, False)) for t in table["term"]]
        return table

    @property
    def separated_(self) -> pd.Series:
        """Which estimates are infinite, a boolean Series indexed like :attr:`params_`.

        As :attr:`OrdinalRegression.separated_` (``log_sigma`` is never infinite here).
        """
        self._check_fitted()
        return pd.Series(self._infinite_params()[0], index=self.params_.index, name="separated")

    def _infinite_params(self) -> tuple[np.ndarray, np.ndarray]:
        """Which estimates (order of :attr:`params_`) are infinite, and their signs."""
        k = len(self.params_)
        infinite = getattr(self, "_separated", None)
        if infinite is None:  # a model read from a file: the NaN standard errors say it
            names = getattr(self, "separation_", None)
            if names is None and hasattr(self, "fixed_"):
                names = getattr(self.fixed_, "separation_", [])
            flagged = np.isnan(self.se_.to_numpy()) & bool(names)
            flagged[-1] = False  # log_sigma
            return flagged, np.zeros(k)
        return infinite, self._separation_sign

    def test_random_effect(self) -> pd.Series:
        """Likelihood-ratio test of ``sigma = 0`` against the fixed model, boundary-corrected.

        Under the null the statistic follows a 50:50 mixture of chi-square(0) and chi-square(1)
        (``sigma = 0`` is on the edge of the parameter space), so ``p`` is half the
        chi-square(1) tail probability.

        Returns
        -------
        pandas.Series
            ``statistic``, ``df`` (1) and ``p``.
        """
        self._check_fitted()
        stat = max(0.0, 2.0 * (self.loglik_ - self.fixed_.loglik_))
        p = 0.5 * float(chdtrc(1, stat)) if stat > 0 else 1.0
        return pd.Series({"statistic": stat, "df": 1, "p": p}, name="random_effect_lr_test")

    def render_summary(self, style: str = "text", digits: int = 4) -> str:
        """The estimates and fit statistics as one string (text, HTML or LaTeX)."""
        self._check_fitted()
        table = self.summary()
        header = {
            "Observations": f"{self.nobs_:g}",
            "Groups": self.n_groups_,
            "Integral": "Laplace"
            if self.n_quad == 1
            else f"adaptive Gauss-Hermite, {self.n_quad} nodes",
            "Log-likelihood": f"{self.loglik_:.{digits}f}",
            "AIC": f"{self.aic_:.{digits}f}",
            "Random intercept SD": f"{self.sigma_:.{digits}f} (ICC {self.icc_:.3f})",
        }
        lr = self.test_random_effect()
        notes = [
            "coefficients are conditional on the group (subject-specific)",
            f"LR test of sigma = 0 (boundary-corrected): chi2 = {lr['statistic']:.2f}, "
            f"p = {format_p(lr['p'], digits)}",
        ]
        if not self.converged_:
            notes.append("the fit did not converge: do not use these estimates")
        if self._infinite_params()[0].any():
            notes.append(
                f"(quasi-)complete separation: the estimates of {self._separation_phrase()} are "
                "infinite (separated = True; coef +inf/-inf, or NaN when either sign fits), "
                "with no standard error, test or interval; the other estimates are those of "
                "the model given the separation, their inference from its information in the "
                "remaining directions"
            )
        return render_table(
            table,
            title=f"Mixed ordinal regression (cumulative {self.link}, random intercept)",
            header=header,
            style=style,
            digits=digits,
            notes=notes,
        )

    def _separation_phrase(self) -> str:
        infinite, _ = self._infinite_params()
        J = len(self.thresholds_)
        names = getattr(self, "separation_", None)
        if names is None and hasattr(self, "fixed_"):
            names = getattr(self.fixed_, "separation_", [])
        parts = [", ".join(names or [])]
        n_thr = int(infinite[:J].sum())
        if n_thr:
            parts.append("the thresholds" if n_thr == J else f"{n_thr} of the {J} thresholds")
        return " and ".join(p for p in parts if p)

    def print_summary(self, style: str = "text", digits: int = 4) -> None:
        """Print :meth:`render_summary`; returns None."""
        print(self.render_summary(style=style, digits=digits))

    # ----------------------------------------------------------------------- prediction
    def _eta(self, X: Any) -> np.ndarray:
        self._check_fitted()
        X_arr = self.fixed_._validate_X(X, reset=False)
        return X_arr @ self.coef_.to_numpy()

    def _group_offsets(self, groups: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Each row's conditional mode and whether its group is known."""
        if groups is None:
            return np.zeros(n), np.zeros(n, dtype=bool)
        g = groups.to_numpy() if isinstance(groups, pd.Series) else np.asarray(groups)
        if g.shape != (n,):
            raise ModelInputError(f"groups has shape {g.shape}, expected {(n,)}")
        idx = np.array([self._levels.get(v, -1) for v in g.tolist()])
        known = idx >= 0
        modes = self.random_effects_["mode"].to_numpy()
        return np.where(known, modes[np.maximum(idx, 0)], 0.0), known

    def predict_proba(self, X: Any, groups: Any = None) -> np.ndarray:
        """Probability of each outcome level.

        Rows whose group was in the training data are predicted conditionally on that
        group's mode; other rows (and all rows when ``groups`` is None) marginally, for a new
        group: ``P(Y = k) = E_u[F(theta_k - x'beta - u) - F(theta_{k-1} - x'beta - u)]``,
        integrated over ``u ~ N(0, sigma^2)`` by Gauss-Hermite quadrature.
        """
        eta = self._eta(X)
        n = len(eta)
        offset, known = self._group_offsets(groups, n)
        link = get_link(self.link)
        theta = self.thresholds_.to_numpy()
        cum = np.empty((n, len(theta)))
        if known.any():
            cum[known] = link.cdf(theta[None, :] - (eta[known] + offset[known])[:, None])
        new = ~known
        if new.any():
            zq, wq = np.polynomial.hermite.hermgauss(_MARGINAL_NODES)
            u = math.sqrt(2.0) * self.sigma_ * zq
            arg = theta[None, :, None] - eta[new][:, None, None] - u[None, None, :]
            cum[new] = (link.cdf(arg) * (wq / math.sqrt(math.pi))).sum(axis=2)
        full = np.concatenate([np.zeros((n, 1)), cum, np.ones((n, 1))], axis=1)
        return np.clip(np.diff(full, axis=1), 0.0, 1.0)

    def predict(self, X: Any, groups: Any = None) -> np.ndarray:
        """Most probable outcome level (conditional or marginal, as :meth:`predict_proba`)."""
        return self.classes_[self.predict_proba(X, groups).argmax(axis=1)]

    def predict_expected(self, X: Any, groups: Any = None) -> np.ndarray:
        """Expected outcome score (conditional or marginal, as :meth:`predict_proba`)."""
        return self.predict_proba(X, groups) @ np.asarray(self._class_scores, dtype=float)
