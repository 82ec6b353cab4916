"""Newton-Raphson maximum likelihood for cumulative link models, in NumPy.

Why the library solves this itself: statsmodels' ``OrderedModel`` is marked experimental, uses
numerical derivatives (slow, and its standard errors are only as good as the finite
differences), has no partial proportional-odds (nominal) effects and no cluster-robust
covariance; R's ``ordinal::clm`` is the reference but R is not callable from a Python package.
The log-likelihood of a cumulative link model with a log-concave ``F`` (logit, probit,
cloglog) is concave in the thresholds and coefficients (Pratt 1981), so a Newton iteration
with analytic derivatives and step-halving converges fast and reliably.

Parameterisation. The thresholds are estimated directly (not through ``theta_j =
theta_{j-1} + exp(delta_j)``): the log-likelihood is concave in ``theta`` but not in
``delta``, and working in ``theta`` makes the Hessian at the optimum the observed information
of the reported parameters, so no delta-method Jacobian is needed. Order is enforced by the
line search instead: the start values are ordered and a step that would make the thresholds
non-increasing (or any fitted probability non-positive) is halved until it does not, so every
iterate is a valid model. With nominal (threshold-specific) effects the cut points
``theta_j + z'gamma_j`` may cross for some rows; there the same guard rejects steps that give a
non-positive probability to any observed row.

Cost. Rows are sorted once by outcome level, so the rows of level ``k`` form one contiguous
block and each row touches only its two adjacent cut points (``y_i`` and ``y_i - 1``): the
cut-point parts of the gradient and Hessian are block sums, the threshold-by-coefficient block
is one small matrix product per level, and the coefficient block is ``X' diag(w) X``
accumulated in cache-sized chunks. Per iteration the work is a few passes over ``X`` --
``O(n p^2)`` -- whatever the number of levels, and no ``n x K`` array is formed. Large designs
run their blocks in two threads (NumPy and BLAS release the GIL; the grouping is fixed, so the
sums do not depend on the number of CPUs) and start from a fit on a systematic subsample, so
that only the last two or three Newton iterations pass over all rows. Survey-sized designs
(up to 8,192 rows, no nominal effects) take the same derivatives in one vectorised pass over
all rows instead: there the per-level loop would cost more in interpreter overhead than in
arithmetic, and the bootstrap and dominance analysis refit such designs thousands of times.

Parameter vector layout: the threshold matrix ``A`` of shape ``(1 + q, K - 1)`` flattened
row-wise (first the ``K - 1`` threshold intercepts, then the ``K - 1`` effects of each nominal
predictor, the order of R's ``clm``), followed by the ``p`` location coefficients.

Examples
--------
>>> import numpy as np
>>> from copfactors.models._links import get_link
>>> from copfactors.models._solver import make_design, newton, start_values
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(500, 1))
>>> y = np.digitize(x[:, 0] + rng.logistic(size=500), [-1.0, 1.0])
>>> design, order = make_design(x, y, 3)
>>> fit = newton(design, get_link("logit"), start_values(design, get_link("logit")))
>>> fit.converged
True
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from copfactors.errors import CopFactorsError
from copfactors.models._links import Link

__all__ = [
    "Design",
    "FitResult",
    "cluster_sums",
    "covariance",
    "derivatives",
    "loglik",
    "make_design",
    "newton",
    "row_terms",
    "scores",
    "start_values",
]

_MAX_HALVINGS = 40
# Above this many predictor cells the blocks of rows are processed in _GROUPS threads
# (below, threads cost more than they save).
_PARALLEL_MIN_CELLS = 2_000_000
_GROUPS = 2
# Designs without nominal effects and at most this many rows take the derivatives in one
# vectorised pass over all rows (_derivatives_small) instead of level by level: at survey
# sizes the per-level loop costs more in Python overhead than in arithmetic.
_SMALL_MAX_ROWS = 8192
# Designs with more rows first iterate on a systematic subsample of about this many rows.
_SUBSAMPLE_MIN_ROWS = 200_000
_SUBSAMPLE_ROWS = 50_000


@dataclass
class Design:
    """Model data with rows sorted by outcome level.

    Attributes
    ----------
    X : ndarray of shape (n, p)
        Location predictors, float64, C-contiguous.
    Z : ndarray of shape (n, q) or None
        Nominal predictors (threshold-specific effects), or None.
    w : ndarray of shape (n,) or None
        Positive frequency weights, or None for unit weights.
    starts : ndarray of shape (K + 1,)
        Rows of level ``k`` are ``starts[k]:starts[k + 1]``; every level is non-empty.
    """

    X: np.ndarray
    Z: np.ndarray | None
    w: np.ndarray | None
    starts: np.ndarray

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def p(self) -> int:
        return int(self.X.shape[1])

    @property
    def q(self) -> int:
        return 0 if self.Z is None else int(self.Z.shape[1])

    @property
    def K(self) -> int:
        return len(self.starts) - 1

    @property
    def n_cuts(self) -> int:
        return self.K - 1

    @property
    def n_params(self) -> int:
        return (1 + self.q) * self.n_cuts + self.p

    @property
    def counts(self) -> np.ndarray:
        return np.diff(self.starts)

    @property
    def total_weight(self) -> float:
        return float(self.n) if self.w is None else float(self.w.sum())

    def level_weights(self) -> np.ndarray:
        """Total weight of each outcome level."""
        if self.w is None:
            return self.counts.astype(np.float64)
        return np.add.reduceat(self.w, self.starts[:-1])

    def seg(self, s: int) -> slice:
        return slice(int(self.starts[s]), int(self.starts[s + 1]))


def make_design(
    X: np.ndarray,
    codes: np.ndarray,
    K: int,
    Z: np.ndarray | None = None,
    w: np.ndarray | None = None,
) -> tuple[Design, np.ndarray]:
    """Sort rows by outcome code and return the design and the sort order.

    ``codes`` are integers ``0..K-1`` and every level must occur.
    """
    codes = np.asarray(codes)
    order = np.argsort(codes, kind="stable")
    counts = np.bincount(codes, minlength=K)
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    Xs = np.take(X, order, axis=0)
    Xs = np.ascontiguousarray(Xs, dtype=np.float64)
    Zs = None if Z is None or Z.shape[1] == 0 else np.ascontiguousarray(Z[order], np.float64)
    ws = None if w is None else np.ascontiguousarray(w[order], dtype=np.float64)
    return Design(Xs, Zs, ws, starts), order


@dataclass
class FitResult:
    """Outcome of :func:`newton`."""

    params: np.ndarray
    loglik: float
    grad: np.ndarray
    info: np.ndarray
    n_iter: int
    converged: bool
    max_abs_grad: float
    message: str


def _split(design: Design, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = (1 + design.q) * design.n_cuts
    return params[:m].reshape(1 + design.q, design.n_cuts), params[m:]


def _chunk_rows(design: Design) -> int:
    # blocks of about 2 MB of predictors: they stay in cache between the passes over a block
    return max(1024, min(1 << 15, (1 << 18) // max(design.p + design.q, 1)))


def _chunks(design: Design) -> list[tuple[int, int, int]]:
    """Blocks of rows ``(level, start, stop)``, never straddling two levels."""
    rows = _chunk_rows(design)
    out = []
    for s in range(design.K):
        a0, b0 = int(design.starts[s]), int(design.starts[s + 1])
        out.extend((s, a, min(a + rows, b0)) for a in range(a0, b0, rows))
    return out


def _run_blocks(design: Design, work: Callable[[list], Any]) -> list[Any]:
    """Apply ``work`` to the blocks, split into contiguous groups of about equal size.

    Large designs are split into ``_GROUPS`` groups that run in threads (NumPy's element-wise
    operations and BLAS release the GIL); each group returns its own partial sums and the
    caller adds them up in group order. The grouping depends only on the data, not on the
    number of CPUs, so results on one machine do not depend on how many threads run them.
    """
    blocks = _chunks(design)
    n_groups = 1 if design.n * max(design.p + design.q, 1) < _PARALLEL_MIN_CELLS else _GROUPS
    n_groups = min(n_groups, len(blocks))
    if n_groups <= 1:
        return [work(blocks)]
    sizes = np.array([b - a for _, a, b in blocks], dtype=np.float64)
    edges = np.searchsorted(np.cumsum(sizes), np.arange(1, n_groups) * sizes.sum() / n_groups)
    groups = [[blocks[i] for i in g] for g in np.split(np.arange(len(blocks)), edges) if len(g)]
    workers = min(len(groups), os.cpu_count() or 1)
    if workers <= 1:
        return [work(g) for g in groups]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(work, groups))


def _eta(design: Design, A: np.ndarray, xb: np.ndarray | None, cut: int, a: int, b: int):
    """Linear predictor ``theta_cut (+ z'gamma_cut) - x'beta`` of rows ``a:b``."""
    if design.Z is None:
        eta = np.full(b - a, A[0, cut])
    else:
        eta = design.Z[a:b] @ A[1:, cut]
        eta += A[0, cut]
    if xb is not None:
        eta -= xb
    return eta


def _chunk(design: Design, link: Link, A: np.ndarray, beta: np.ndarray, s: int, a: int, b: int):
    """Probability of the observed level and the link terms for rows ``a:b`` of level ``s``.

    Returns ``prob, (fu, fpu) or None, (fl, fpl) or None``; the lowest level has no lower cut
    and the highest no upper cut.
    """
    K = design.K
    xb = design.X[a:b] @ beta if design.p else None
    upper = lower = None
    if s <= K - 2:
        Fu, fu, fpu = link.cdf_pdf_dpdf(_eta(design, A, xb, s, a, b))
        upper = (fu, fpu)
    if s >= 1:
        eta_l = _eta(design, A, xb, s - 1, a, b)
        if upper is None:
            # top level: P = 1 - F(eta_l), taken from the survival function for tail accuracy
            prob, fl, fpl = link.sf_pdf_dpdf(eta_l)
        else:
            Fl, fl, fpl = link.cdf_pdf_dpdf(eta_l)
            prob = Fu - Fl
        lower = (fl, fpl)
    else:
        prob = Fu
    return prob, upper, lower


def _valid_params(design: Design, A: np.ndarray, params: np.ndarray, ordered: bool) -> bool:
    if not np.all(np.isfinite(params)):
        return False
    return not (ordered and design.n_cuts > 1 and not np.all(np.diff(A[0]) > 0))


def loglik(design: Design, link: Link, params: np.ndarray, *, ordered: bool = True) -> float | None:
    """Log-likelihood at ``params``, or None if the parameters give an invalid model.

    Invalid means non-finite parameters, non-increasing thresholds (when ``ordered``) or a
    non-positive probability for some observed row.
    """
    A, beta = _split(design, params)
    if not _valid_params(design, A, params, ordered):
        return None

    def work(blocks: list) -> float | None:
        total = 0.0
        for s, a, b in blocks:
            prob, _, _ = _chunk(design, link, A, beta, s, a, b)
            if not np.all(prob > 0):  # also rejects NaN
                return None
            logp = np.log(prob)
            total += float(logp.sum() if design.w is None else design.w[a:b] @ logp)
        return total

    parts = _run_blocks(design, work)
    if any(part is None for part in parts):
        return None
    total = float(sum(parts))
    return total if np.isfinite(total) else None


def _row_terms(prob, upper, lower, w):
    """Derivatives of ``w log p`` in the two cut points for one block of rows.

    Returns ``gu, gl, huu, hll, hul`` (None where the cut does not exist): ``gu = w f_u / p``
    and ``gl = w f_l / p`` (the derivative in the lower cut is ``-gl``), ``huu``, ``hll`` and
    ``hul`` the second derivatives.
    """
    gu = gl = huu = hll = hul = None
    if upper is not None:
        gu = upper[0] / prob
        huu = upper[1] / prob
        huu -= np.square(gu)
    if lower is not None:
        gl = lower[0] / prob
        hll = lower[1] / prob
        np.negative(hll, out=hll)
        hll -= np.square(gl)
    if gu is not None and gl is not None:
        hul = gu * gl
    if w is not None:
        for v in (gu, gl, huu, hll, hul):
            if v is not None:
                v *= w
    return gu, gl, huu, hll, hul


def derivatives(
    design: Design, link: Link, params: np.ndarray, *, ordered: bool = True
) -> tuple[float, np.ndarray, np.ndarray] | None:
    """Log-likelihood, gradient and observed information (negative Hessian) at ``params``.

    Returns None if the parameters give an invalid model (see :func:`loglik`). One pass over
    the rows, in cache-sized blocks of a single level each: the threshold parts are block sums
    (each row touches only its two cut points), the threshold-by-coefficient part one
    ``G' X_block`` product, and the coefficient block ``X' diag(v) X`` is accumulated from
    square-root-weighted blocks.
    """
    A, beta = _split(design, params)
    if not _valid_params(design, A, params, ordered):
        return None
    if design.q == 0 and design.n <= _SMALL_MAX_ROWS:
        return _derivatives_small(design, link, A[0], beta)
    J, q, p = design.n_cuts, design.q, design.p
    r = 1 + q
    m_thr = r * J

    def idx(cut: int) -> np.ndarray:
        return np.arange(r) * J + cut

    def work(blocks: list) -> tuple | None:
        grad = np.zeros(design.n_params)
        info = np.zeros((design.n_params, design.n_params))
        # per cut: threshold-by-coefficient block (r x p); coefficient block (p x p)
        cross = np.zeros((J, r, p))
        bb = np.zeros((p, p))
        total = 0.0
        max_rows = _chunk_rows(design)
        g_buf = np.empty((2 * r + 1, max_rows))
        x_buf = np.empty((max_rows, p))

        for s, a, b in blocks:
            prob, upper, lower = _chunk(design, link, A, beta, s, a, b)
            if not np.all(prob > 0):
                return None
            logp = np.log(prob)
            w = None if design.w is None else design.w[a:b]
            total += float(logp.sum() if w is None else w @ logp)
            gu, gl, huu, hll, hul = _row_terms(prob, upper, lower, w)
            zt = None if q == 0 else np.column_stack([np.ones(b - a), design.Z[a:b]])
            if gu is not None:
                iu = idx(s)
                if zt is None:
                    grad[iu] += gu.sum()
                    info[iu[:, None], iu] -= huu.sum()
                else:
                    grad[iu] += gu @ zt
                    info[np.ix_(iu, iu)] -= (zt * huu[:, None]).T @ zt
            if gl is not None:
                il = idx(s - 1)
                if zt is None:
                    grad[il] -= gl.sum()
                    info[il[:, None], il] -= hll.sum()
                else:
                    grad[il] -= gl @ zt
                    info[np.ix_(il, il)] -= (zt * hll[:, None]).T @ zt
            if hul is not None:
                iu, il = idx(s), idx(s - 1)
                block = hul.sum() if zt is None else (zt * hul[:, None]).T @ zt
                info[np.ix_(iu, il)] -= block
                info[np.ix_(il, iu)] -= np.transpose(block)
            if not p:
                continue
            m = b - a
            Xc = design.X[a:b]
            # rows of G: derivative of the coefficient score in the upper and in the lower cut
            # (cu = huu + hul and cl = hll + hul, times [1, z]), then the score itself (gu - gl)
            G = g_buf[:, :m]
            v = np.zeros(m)
            k = 0
            if gu is not None:
                cu = huu
                if hul is not None:
                    cu += hul
                if zt is None:
                    G[k] = cu
                else:
                    np.multiply(zt.T, cu, out=G[k : k + r])
                v -= cu
                k += r
            if gl is not None:
                cl = hll
                if hul is not None:
                    cl += hul
                if zt is None:
                    G[k] = cl
                else:
                    np.multiply(zt.T, cl, out=G[k : k + r])
                v -= cl
                k += r
            if gu is None:
                np.negative(gl, out=G[k])
            elif gl is None:
                G[k] = gu
            else:
                np.subtract(gu, gl, out=G[k])
            M = G[: k + 1] @ Xc
            grad[m_thr:] -= M[k]
            k = 0
            if gu is not None:
                cross[s] += M[k : k + r]
                k += r
            if gl is not None:
                cross[s - 1] += M[k : k + r]
            # v = -(cu + cl) >= 0 for log-concave F; clip rounding noise before the square root
            np.maximum(v, 0.0, out=v)
            np.sqrt(v, out=v)
            xs = np.multiply(Xc, v[:, None], out=x_buf[:m])
            bb += xs.T @ xs
        return total, grad, info, cross, bb

    parts = _run_blocks(design, work)
    if any(part is None for part in parts):
        return None
    total = sum(part[0] for part in parts)
    grad = sum(part[1] for part in parts)
    info = sum(part[2] for part in parts)
    cross = sum(part[3] for part in parts)
    bb = sum(part[4] for part in parts)
    if p:
        for cut in range(J):
            info[idx(cut), m_thr:] = cross[cut]
        info[m_thr:, :m_thr] = info[:m_thr, m_thr:].T
        info[m_thr:, m_thr:] = bb
    return total, grad, info


def _derivatives_small(
    design: Design, link: Link, theta: np.ndarray, beta: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray] | None:
    """:func:`derivatives` without nominal effects, in one vectorised pass over all rows.

    The same quantities as the block loop (the same link calls on the same cut points, the
    top level through the survival function), summed over all rows at once: the threshold
    parts by ``bincount`` over the levels, the threshold-by-coefficient block as one
    ``(K - 1) x n`` by ``n x p`` product. Rows are sorted by level, so the rows with an
    upper cut (every level but the top) and with a lower cut (every level but the bottom)
    are two contiguous ranges.
    """
    n, p, K = design.n, design.p, design.K
    J = K - 1
    starts = design.starts
    codes = np.repeat(np.arange(K), np.diff(starts))
    xb = design.X @ beta if p else np.zeros(n)
    b1, bt = int(starts[1]), int(starts[K - 1])  # first row above the bottom / of the top
    cu_rows, cl_rows = codes[:bt], codes[b1:] - 1  # the cut above / below each row
    Fu, fu, fpu = link.cdf_pdf_dpdf(theta[cu_rows] - xb[:bt])
    eta_l = theta[cl_rows] - xb[b1:]
    split = bt - b1  # lower-cut rows below the top level
    Fl, fl_mid, fpl_mid = link.cdf_pdf_dpdf(eta_l[:split])
    St, fl_top, fpl_top = link.sf_pdf_dpdf(eta_l[split:])
    fl = np.concatenate([fl_mid, fl_top])
    fpl = np.concatenate([fpl_mid, fpl_top])
    prob = np.empty(n)
    prob[:b1] = Fu[:b1]
    prob[b1:bt] = Fu[b1:] - Fl
    prob[bt:] = St
    if not np.all(prob > 0):  # also rejects NaN
        return None
    w = design.w
    logp = np.log(prob)
    total = float(logp.sum() if w is None else w @ logp)

    pu, pl = prob[:bt], prob[b1:]
    gu = fu / pu
    huu = fpu / pu - gu * gu
    gl = fl / pl
    hll = -fpl / pl - gl * gl
    hul = gu[b1:] * gl[:split]  # rows with both cuts: levels 1 .. K-2
    if w is not None:
        gu, huu = gu * w[:bt], huu * w[:bt]
        gl, hll = gl * w[b1:], hll * w[b1:]
        hul = hul * w[b1:bt]

    n_params = J + p
    grad = np.zeros(n_params)
    info = np.zeros((n_params, n_params))
    grad[:J] = np.bincount(cu_rows, gu, minlength=J) - np.bincount(cl_rows, gl, minlength=J)
    diag = np.bincount(cu_rows, huu, minlength=J) + np.bincount(cl_rows, hll, minlength=J)
    cuts = np.arange(J)
    info[cuts, cuts] = -diag
    if J > 1:
        # rows of level s (1 .. K-2) link cut s with cut s - 1
        off = np.bincount(cl_rows[:split], hul, minlength=J - 1)[: J - 1]
        info[cuts[1:], cuts[:-1]] = -off
        info[cuts[:-1], cuts[1:]] = -off
    if p:
        X = design.X
        cu = huu.copy()
        cu[b1:] += hul
        cl = hll.copy()
        cl[:split] += hul
        # d(coefficient score)/d(cut): rows' cu on their upper cut, cl on their lower cut
        C = np.zeros((J, n))
        C[cu_rows, np.arange(bt)] = cu
        C[cl_rows, np.arange(b1, n)] += cl
        cross = C @ X
        score = np.zeros(n)
        score[:bt] = gu
        score[b1:] -= gl
        grad[J:] = -(score @ X)
        v = np.zeros(n)
        v[:bt] -= cu
        v[b1:] -= cl
        # v = -(cu + cl) >= 0 for log-concave F; clip rounding noise before the square root
        np.maximum(v, 0.0, out=v)
        xs = X * np.sqrt(v)[:, None]
        info[:J, J:] = cross
        info[J:, :J] = cross.T
        info[J:, J:] = xs.T @ xs
    return total, grad, info


def row_terms(design: Design, link: Link, params: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per-row ``prob, gu, gl`` (weighted as in :func:`_row_terms`; zeros for absent cuts)."""
    A, beta = _split(design, params)
    n = design.n
    prob, gu, gl = np.empty(n), np.zeros(n), np.zeros(n)
    for s, a, b in _chunks(design):
        pr, upper, lower = _chunk(design, link, A, beta, s, a, b)
        w = None if design.w is None else design.w[a:b]
        g_u, g_l, _, _, _ = _row_terms(pr, upper, lower, w)
        prob[a:b] = pr
        if g_u is not None:
            gu[a:b] = g_u
        if g_l is not None:
            gl[a:b] = g_l
    return prob, gu, gl


def scores(design: Design, link: Link, params: np.ndarray) -> np.ndarray:
    """Per-row scores ``w_i d log p_i / d params`` (rows in the design's sorted order).

    Weighted rows contribute ``w_i`` times their score, as ``sandwich::estfun`` does for
    ``polr``/``clm`` fits with weights.
    """
    _, gu, gl = row_terms(design, link, params)
    K, J, q = design.K, design.n_cuts, design.q
    m_thr = (1 + q) * J
    S = np.zeros((design.n, design.n_params))
    for s in range(K):
        sl = design.seg(s)
        for cut, g in ((s, gu[sl]), (s - 1, -gl[sl])):
            if not 0 <= cut < J:
                continue
            S[sl, cut] = g
            if q:
                S[sl, np.arange(1, 1 + q) * J + cut] = design.Z[sl] * g[:, None]
    if design.p:
        np.multiply(design.X, (gl - gu)[:, None], out=S[:, m_thr:])
    return S


def cluster_sums(S: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum the rows of ``S`` within each group (``groups`` are codes ``0..G-1``)."""
    return np.column_stack(
        [np.bincount(groups, weights=S[:, j], minlength=n_groups) for j in range(S.shape[1])]
    ).reshape(n_groups, S.shape[1])


def covariance(info: np.ndarray) -> tuple[np.ndarray, bool]:
    """Inverse of the information matrix and whether it was positive definite."""
    m = info.shape[0]
    if m == 0:
        return np.zeros((0, 0)), True
    try:
        L = np.linalg.cholesky(info)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(info, hermitian=True), False
    Linv = np.linalg.solve(L, np.eye(m))
    return Linv.T @ Linv, True


def start_values(design: Design, link: Link) -> np.ndarray:
    """Thresholds from the marginal cumulative proportions; every effect zero.

    These are the maximum likelihood estimates of the thresholds-only (null) model.
    """
    lw = design.level_weights()
    cum = np.cumsum(lw)[:-1] / lw.sum()
    params = np.zeros(design.n_params)
    params[: design.n_cuts] = link.ppf(cum)
    return params


def _solve(info: np.ndarray, grad: np.ndarray) -> np.ndarray:
    try:
        L = np.linalg.cholesky(info)
        return np.linalg.solve(L.T, np.linalg.solve(L, grad))
    except np.linalg.LinAlgError:
        # not positive definite (numerically): fall back to a least-squares step
        return np.linalg.lstsq(info, grad, rcond=None)[0]


def _subsample_start(
    design: Design, link: Link, start: np.ndarray, max_iter: int, tol: float, ordered: bool
) -> np.ndarray:
    """Fit on every ``m``-th row (at most ``_SUBSAMPLE_ROWS`` rows, at least 2-fold fewer).

    Returns ``start`` when the subsample misses a level or its fit is invalid on all rows.
    """
    if design.n < _SUBSAMPLE_MIN_ROWS:
        return start
    step = max(2, design.n // _SUBSAMPLE_ROWS)
    rows = slice(0, design.n, step)
    codes = np.repeat(np.arange(design.K), design.counts)[rows]
    counts = np.bincount(codes, minlength=design.K)
    if np.any(counts == 0):
        return start
    sub = Design(
        np.ascontiguousarray(design.X[rows]),
        None if design.Z is None else np.ascontiguousarray(design.Z[rows]),
        None if design.w is None else np.ascontiguousarray(design.w[rows]),
        np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
    )
    res = newton(
        sub, link, start, max_iter=max_iter, tol=tol, ordered=ordered, subsample_start=False
    )
    if loglik(design, link, res.params, ordered=ordered) is None:
        return start
    return res.params


def newton(
    design: Design,
    link: Link,
    start: np.ndarray,
    *,
    max_iter: int = 100,
    tol: float = 1e-8,
    ordered: bool | None = None,
    subsample_start: bool = True,
) -> FitResult:
    """Maximise the log-likelihood by Newton-Raphson with step-halving.

    With ``subsample_start`` and more than ``_SUBSAMPLE_MIN_ROWS`` rows, the iterations first
    run from ``start`` on a systematic subsample (every ``m``-th row of the level-sorted data,
    so every level keeps its share) and continue on all rows from that fit: the early,
    imprecise iterations then cost a fraction of a pass, and two or three full passes finish.
    The result is the same optimum; ``n_iter`` counts the iterations on all rows.

    Convergence, as in ``ordinal::clm``: the largest absolute gradient, divided by the total
    weight (so that the criterion does not tighten with the sample size), is below ``tol``,
    and the log-likelihood gain that the next Newton step promises (``g' H^-1 g / 2``) is
    below ``tol`` relative to ``|loglik|``.
    """
    if ordered is None:
        ordered = design.q == 0
    scale = max(design.total_weight, 1.0)
    params = np.asarray(start, dtype=np.float64)
    if subsample_start:
        params = _subsample_start(design, link, params, max_iter, tol, ordered)
    n_iter = 0
    converged = False
    message = "maximum number of iterations reached"
    current = derivatives(design, link, params, ordered=ordered)
    if current is None:
        # Not reachable from user input as far as we know: every caller starts from
        # start_values() (increasing thresholds, zero effects; levels without positive weight
        # are removed or refused by the estimator first) or from a fitted model's estimates.
        # Should it happen, it is still a copfactors error with a message, not a bare one.
        raise CopFactorsError("the start values give an invalid model (please report this)")
    while True:
        ll, grad, info = current
        step = _solve(info, grad)
        max_grad = float(np.max(np.abs(grad))) if grad.size else 0.0
        gain = 0.5 * float(grad @ step)
        if max_grad / scale < tol and abs(gain) <= tol * (abs(ll) + tol):
            converged = True
            message = "converged"
            break
        if n_iter >= max_iter:
            break
        # accept any non-decrease up to rounding in the summed log-likelihood
        floor = ll - 1e-12 * (abs(ll) + 1.0)
        # the full step usually succeeds: evaluate it with its derivatives in one pass
        new = derivatives(design, link, params + step, ordered=ordered)
        if new is not None and new[0] >= floor:
            params = params + step
        else:
            new = None
            t = 0.5
            for _ in range(_MAX_HALVINGS):
                cand = params + t * step
                ll_new = loglik(design, link, cand, ordered=ordered)
                if ll_new is not None and ll_new >= floor:
                    params = cand
                    new = derivatives(design, link, params, ordered=ordered)
                    break
                t *= 0.5
            if new is None:
                message = "step-halving failed to increase the log-likelihood"
                break
        current = new
        n_iter += 1
    return FitResult(
        params=params,
        loglik=ll,
        grad=grad,
        info=info,
        n_iter=n_iter,
        converged=converged,
        max_abs_grad=max_grad,
        message=message,
    )
