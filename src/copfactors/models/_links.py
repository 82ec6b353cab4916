"""Link functions of cumulative link models: distribution, density and density derivative.

Each link is the inverse of a distribution function ``F``; the model is
``P(Y <= j | x) = F(theta_j - x'beta)``. The solver needs ``F``, its density ``f`` and the
derivative of the density ``f'`` at every cut point, so each link returns all three from one
call and shares the expensive transcendental between them.

Examples
--------
>>> import numpy as np
>>> from copfactors.models._links import get_link
>>> F, f, fp = get_link("logit").cdf_pdf_dpdf(np.array([0.0]))
>>> float(F[0]), float(f[0]), float(fp[0])
(0.5, 0.25, 0.0)
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, ndtr, ndtri

__all__ = ["LINKS", "Link", "get_link"]

_SQRT_2PI = float(np.sqrt(2.0 * np.pi))


class Link:
    """Base class: a distribution function ``F`` used as inverse link."""

    name: str = ""

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Distribution function ``F(x)``."""
        raise NotImplementedError

    def sf(self, x: np.ndarray) -> np.ndarray:
        """Survival function ``1 - F(x)``, accurate in the upper tail."""
        raise NotImplementedError

    def ppf(self, q: np.ndarray) -> np.ndarray:
        """Quantile function ``F^{-1}(q)``."""
        raise NotImplementedError

    def cdf_pdf_dpdf(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``F(x)``, ``f(x)`` and ``f'(x)``."""
        raise NotImplementedError

    def sf_pdf_dpdf(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``1 - F(x)`` (accurate in the upper tail), ``f(x)`` and ``f'(x)``."""
        raise NotImplementedError


class Logit(Link):
    """Logistic distribution: the proportional-odds (cumulative logit) model."""

    name = "logit"

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return expit(x)

    def sf(self, x: np.ndarray) -> np.ndarray:
        return expit(-x)

    def ppf(self, q: np.ndarray) -> np.ndarray:
        q = np.asarray(q, dtype=np.float64)
        return np.log(q) - np.log1p(-q)

    def cdf_pdf_dpdf(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        F = expit(x)
        one_minus = 1.0 - F
        f = F * one_minus
        # f' = f (1 - 2F) = f ((1 - F) - F)
        one_minus -= F
        one_minus *= f
        return F, f, one_minus

    def sf_pdf_dpdf(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        S = expit(-x)
        one_minus = 1.0 - S
        f = S * one_minus
        # f' = f (1 - 2F) = f (S - (1 - S))
        np.subtract(S, one_minus, out=one_minus)
        one_minus *= f
        return S, f, one_minus


class Probit(Link):
    """Standard normal distribution (cumulative probit model)."""

    name = "probit"

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return ndtr(x)

    def sf(self, x: np.ndarray) -> np.ndarray:
        return ndtr(-x)

    def ppf(self, q: np.ndarray) -> np.ndarray:
        return ndtri(np.asarray(q, dtype=np.float64))

    def cdf_pdf_dpdf(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        F = ndtr(x)
        f = np.square(x)
        f *= -0.5
        np.exp(f, out=f)
        f /= _SQRT_2PI
        fp = x * f
        np.negative(fp, out=fp)
        return F, f, fp

    def sf_pdf_dpdf(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        _, f, fp = self.cdf_pdf_dpdf(x)
        return ndtr(-x), f, fp


class CLogLog(Link):
    """Gumbel (minimum) distribution ``F(x) = 1 - exp(-exp(x))`` (complementary log-log)."""

    name = "cloglog"

    # exp(x) overflows beyond ~709; F is exactly 1 in double precision long before that.
    _CLIP = 700.0

    def cdf(self, x: np.ndarray) -> np.ndarray:
        return -np.expm1(-np.exp(np.minimum(x, self._CLIP)))

    def sf(self, x: np.ndarray) -> np.ndarray:
        return np.exp(-np.exp(np.minimum(x, self._CLIP)))

    def ppf(self, q: np.ndarray) -> np.ndarray:
        q = np.asarray(q, dtype=np.float64)
        return np.log(-np.log1p(-q))

    def cdf_pdf_dpdf(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        e = np.minimum(x, self._CLIP)
        np.exp(e, out=e)
        m = np.negative(e)
        np.expm1(m, out=m)  # m = exp(-e) - 1 = -F, accurate in the lower tail
        F = np.negative(m)
        # f = e exp(-e) = e (1 + m): one transcendental fewer than exp(x - e); the absolute
        # accuracy is the same, and f is only tiny where F is already numerically 1
        m += 1.0
        m *= e
        np.subtract(1.0, e, out=e)  # f' = f (1 - e)
        e *= m
        return F, m, e

    def sf_pdf_dpdf(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        xc = np.minimum(x, self._CLIP)
        e = np.exp(xc)
        S = np.exp(-e)
        f = e * S
        np.subtract(1.0, e, out=e)
        e *= f
        return S, f, e


LINKS: dict[str, type[Link]] = {"logit": Logit, "probit": Probit, "cloglog": CLogLog}


def get_link(name: str) -> Link:
    """Return the link object called ``name`` (``"logit"``, ``"probit"`` or ``"cloglog"``)."""
    return LINKS[name]()
