"""(Quasi-)complete separation of a cumulative link model: which estimates are infinite.

Why a linear programme. A fitted model has a finite maximum likelihood estimate only if no
direction ``d`` of the parameters (thresholds, nominal effects, coefficients) raises the
likelihood forever. Along ``d`` each row's probability ``F(upper_i) - F(lower_i)`` can only grow
if its upper cut point moves up or stays (``A_i d >= 0`` for the row's upper cut term) and its
lower cut point moves down or stays (``A_i d >= 0`` for the lower cut term, with the sign
flipped), so the directions of recession form the polyhedral cone
``C = {d : A d >= 0}`` of the ``m`` cut terms of the rows, and the fit is separated exactly when
some ``d`` in ``C`` is strict for at least one term (Albert and Anderson 1984; Konis 2007, the
check of R's ``detectseparation``/``safeBinaryRegression``, here for every cumulative split
and nominal effect at once). The parameters whose estimates are infinite are those that move
along some direction of ``C``: every one of them is named, not only the predictors that
separate on their own. The older checks this replaces looked at single columns (a predictor
weakly monotone in the outcome) or at coefficients that had grown large; both miss separation
by a combination of predictors next to a single separating one, and the second flags strong
but finite effects.

How. (1) A certificate of no separation, almost free: at a stationary point of the fit the
gradient is ``A' c`` with ``c_i = w_i f_i / P_i > 0`` (Farkas' lemma: ``A' c = 0`` with every
``c_i > 0`` rules out a non-zero ``d`` with ``A d >= 0`` for a full-rank ``A``). The fitted
``c`` is projected onto ``{A' c = 0}``; if every entry stays clearly positive, there is no
separation and nothing else runs. (2) Otherwise linear programmes
``max sum A_i d`` over the terms not yet found strict, subject to ``A d >= 0`` and a box on
``d``, repeated until no new term turns strict, find exactly the cut terms ``I+`` that some
direction makes strict (the cone is closed under sums, so one ``d`` serves them all); the
others are its "implicit equalities" ``I0``. The cone is full-dimensional in
``L = {d : A_I0 d = 0}``, the null space of ``A_I0``, so the infinite parameters are the
coordinates on which ``L`` is not zero. (3) Each infinite parameter's sign (``+inf``,
``-inf`` or either) from two small linear programmes over ``C``.

Inference for the finite parameters. As the fit runs off along ``C`` the terms in ``I+`` stop
contributing (their probabilities tend to one) and the likelihood tends to a function of the
parameters modulo ``L`` (the extended maximum likelihood of Clarkson and Jennrich 1991). Its
information is the observed information restricted to the orthogonal complement of ``L``; the
finite parameters are orthogonal to ``L`` (they are the coordinates ``L`` does not touch), so
their covariance is read from ``Q (Q' H Q)^-1 Q'`` with ``Q`` a basis of that complement. This
avoids inverting the numerically singular full information, whose huge entries along ``L``
would otherwise pollute the finite block; the infinite parameters get NaN.

Examples
--------
A 0/1 column that is 1 only at the top level: its coefficient (the last parameter) runs off to
``+inf``; the thresholds and the other coefficient stay finite.

>>> import numpy as np
>>> from copfactors.models._core import solve_core
>>> from copfactors.models._links import get_link
>>> rng = np.random.default_rng(0)
>>> a = rng.normal(size=150)
>>> y = np.digitize(a + rng.logistic(size=150), [-1.0, 1.0])
>>> top = ((y == 2) & (rng.random(150) < 0.4)).astype(float)
>>> X = np.column_stack([a, top])
>>> core = solve_core(X, y, 3, None, [], ["a", "top"], get_link("logit"), max_iter=100, tol=1e-8)
>>> sep = find_separation(core.design, get_link("logit"), core.res.params)
>>> sep.infinite.tolist(), sep.sign.tolist()
([False, False, False, True], [0.0, 0.0, 0.0, 1.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from copfactors.models import _solver
from copfactors.models._links import Link

__all__ = ["Separation", "find_separation", "mask_infinite", "restricted_covariance"]

# The certificate must leave every projected weight above this fraction of the largest one;
# otherwise the linear programme decides.
_CERTIFICATE_MARGIN = 1e-9
# Singular values of the implicit-equality rows below this fraction of the largest span the
# directions of recession (the columns are scaled to unit maximum first).
_NULL_TOL = 1e-9
# A cut term counts as strict along a direction (in the box |d| <= 1 of the scaled
# coordinates) above this margin, well above the programmes' feasibility tolerance.
_STRICT = 1e-6
# A coordinate of a (scaled) direction above this counts as moving.
_MOVES = 1e-7


@dataclass(frozen=True)
class Separation:
    """Which estimates of a cumulative link fit are infinite (solver parameter order).

    Attributes
    ----------
    infinite : ndarray of bool
        One entry per parameter: thresholds, nominal effects (cut fastest), coefficients.
    sign : ndarray of float
        ``+1`` or ``-1`` for an infinite estimate that can only run to that side, ``0`` for one
        that can run to either side (its sign is undefined) and for the finite ones.
    basis : ndarray of shape (n_params, r)
        Orthonormal basis of the span ``L`` of the directions of recession (``r = 0``: none).
    n_terms : int
        Cut terms (a row's upper or lower cut) whose probabilities run to one.
    """

    infinite: np.ndarray
    sign: np.ndarray
    basis: np.ndarray
    n_terms: int

    @property
    def separated(self) -> bool:
        """Whether any estimate is infinite."""
        return bool(self.infinite.any())

    @classmethod
    def none(cls, n_params: int) -> Separation:
        """No separation."""
        return cls(np.zeros(n_params, dtype=bool), np.zeros(n_params), np.zeros((n_params, 0)), 0)


def _term_matrix(design: _solver.Design) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows ``A_i`` of the cut terms with ``A d >= 0`` for a direction of recession.

    Returns ``A`` (upper terms, then lower terms), and the design rows and "is upper" flags of
    its rows (to pick the matching weights).
    """
    K, J, q, p = design.K, design.n_cuts, design.q, design.p
    nv = design.n_params
    blocks, rows, upper = [], [], []
    for s in range(K):
        sl = design.seg(s)
        idx = np.arange(sl.start, sl.stop)
        for cut, sign, is_upper in ((s, 1.0, True), (s - 1, -1.0, False)):
            if not 0 <= cut < J:
                continue
            block = np.zeros((len(idx), nv))
            block[:, cut] = sign
            if q:
                block[:, np.arange(1, 1 + q) * J + cut] = sign * design.Z[sl]
            if p:
                block[:, (1 + q) * J :] = -sign * design.X[sl]
            blocks.append(block)
            rows.append(idx)
            upper.append(np.full(len(idx), is_upper))
    return np.vstack(blocks), np.concatenate(rows), np.concatenate(upper)


def _certified_finite(A: np.ndarray, c: np.ndarray) -> bool:
    """Whether ``c > 0`` projected onto ``{A' c = 0}`` stays positive (no separation)."""
    if not np.all(np.isfinite(c)) or c.max(initial=0.0) <= 0.0:
        return False
    gram = A.T @ A
    try:
        L = np.linalg.cholesky(gram)
    except np.linalg.LinAlgError:
        return False
    coef = np.linalg.solve(L.T, np.linalg.solve(L, A.T @ c))
    projected = c - A @ coef
    return bool(projected.min() > _CERTIFICATE_MARGIN * c.max())


def _strict_terms(A: np.ndarray) -> np.ndarray | None:
    """The rows of ``A`` that some ``d`` with ``A d >= 0`` makes strict (None if an LP fails).

    Rounds of ``max sum_{i open} A_i d`` subject to ``A d >= 0`` and ``-1 <= d <= 1`` over the
    rows not yet found strict: while any of them can be made strict the optimum is positive
    and makes at least one of them strict, so the rounds stop (at most ``m`` of them, in
    practice one to three) with every strict row found. Each programme has only the
    ``n_params`` unknowns.
    """
    m, nv = A.shape
    strict = np.zeros(m, dtype=bool)
    bounds = [(-1.0, 1.0)] * nv
    a_ub, b_ub = -A, np.zeros(m)
    while not strict.all():
        res = optimize.linprog(
            -A[~strict].sum(axis=0), A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs"
        )
        if res.status != 0:
            return None
        new = (A @ res.x > _STRICT) & ~strict
        if not new.any():
            break
        strict |= new
    return strict


def _signs(A_strict: np.ndarray, N: np.ndarray, moving: np.ndarray) -> np.ndarray:
    """``+1``/``-1``/``0`` for each moving coordinate: the sides it can run to within the cone."""
    r = N.shape[1]
    a_ub = np.vstack([-A_strict @ N, N, -N])
    b_ub = np.concatenate([np.zeros(len(A_strict)), np.ones(2 * len(N))])
    sign = np.zeros(N.shape[0])
    for j in np.flatnonzero(moving):
        reach = []
        for direction in (1.0, -1.0):
            res = optimize.linprog(
                -direction * N[j], A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] * r, method="highs"
            )
            reach.append(res.status == 0 and -res.fun > _MOVES)
        if reach[0] and not reach[1]:
            sign[j] = 1.0
        elif reach[1] and not reach[0]:
            sign[j] = -1.0
    return sign


def find_separation(design: _solver.Design, link: Link, params: np.ndarray) -> Separation | None:
    """Which estimates of the fit at ``params`` are infinite (see the module docstring).

    Returns None when the linear programme fails (not known to happen), so the caller can
    fall back on a cruder check.
    """
    nv = design.n_params
    A, rows, upper = _term_matrix(design)
    # columns scaled to unit maximum: the cone and which coordinates move do not change, and
    # the tolerances below become relative
    scale = np.abs(A).max(axis=0)
    scale[scale == 0] = 1.0
    A /= scale
    _, gu, gl = _solver.row_terms(design, link, params)
    c = np.where(upper, gu[rows], gl[rows])
    if _certified_finite(A, c):
        return Separation.none(nv)
    A = np.unique(A, axis=0)
    strict = _strict_terms(A)
    if strict is None:
        return None
    if not strict.any():
        return Separation.none(nv)
    equal = A[~strict]
    rank = 0
    if len(equal):
        _, sv, vt = np.linalg.svd(equal, full_matrices=False)
        rank = int(np.sum(sv > _NULL_TOL * sv.max()))
    # orthonormal basis of the null space of the implicit equalities
    N = np.linalg.qr(vt[:rank].T, mode="complete")[0][:, rank:] if rank else np.eye(nv)
    moving = np.linalg.norm(N, axis=1) > _MOVES
    sign = _signs(A[strict], N, moving)
    # back to the parameters' own units (d = d_scaled / scale), orthonormalised
    basis = np.linalg.qr(N / scale[:, None])[0] if N.shape[1] else N
    return Separation(moving, sign, basis, int(strict.sum()))


def restricted_covariance(info: np.ndarray, basis: np.ndarray) -> tuple[np.ndarray, bool]:
    """Inverse of the information over the orthogonal complement of ``basis``.

    ``Q (Q' H Q)^-1 Q'`` with ``Q`` an orthonormal basis of the complement of the span of
    ``basis`` (the directions of recession, :attr:`Separation.basis`; the plain inverse when it
    has no columns), and whether ``Q' H Q`` was positive definite. The rows of the infinite
    parameters are meaningless: :func:`mask_infinite` sets them to NaN once the covariance (a
    sandwich included) is complete.
    """
    r = basis.shape[1]
    if r == 0:
        return _solver.covariance(info)
    Q = np.linalg.qr(basis, mode="complete")[0][:, r:]
    inner, pd_info = _solver.covariance(Q.T @ info @ Q)
    cov = Q @ inner @ Q.T
    return 0.5 * (cov + cov.T), pd_info


def mask_infinite(cov: np.ndarray, infinite: np.ndarray) -> np.ndarray:
    """``cov`` with the rows and columns of the infinite parameters set to NaN."""
    out = np.array(cov, dtype=float, copy=True)
    out[infinite, :] = np.nan
    out[:, infinite] = np.nan
    return out
