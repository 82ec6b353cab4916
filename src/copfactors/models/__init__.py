"""Outcome models: cumulative link (ordinal) regression, binary logistic as its K = 2 case.

:class:`OrdinalRegression` fits ``P(Y <= j | x) = F(theta_j - x'beta)`` (logit, probit or
cloglog link; R's ``ordinal::clm`` parameterisation) by Newton-Raphson, with nonrobust, robust
(HC0) or cluster-robust covariance, frequency weights, partial proportional odds (nominal
effects), likelihood-ratio and Brant tests of the proportional-odds assumption and a tidy
summary. Importing this module does not import statsmodels, shap or matplotlib.

Examples
--------
>>> import numpy as np
>>> from copfactors.models import OrdinalRegression
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(500, 1))
>>> y = np.digitize(0.8 * x[:, 0] + rng.logistic(size=500), [-1.0, 1.0])
>>> model = OrdinalRegression(link="logit").fit(x, y)
>>> round(float(model.coef_["x0"]), 1)
0.8
"""

from __future__ import annotations

from copfactors.models._ordinal import OrdinalRegression
from copfactors.models._validation import ModelInputError

__all__ = ["ModelInputError", "OrdinalRegression"]
