"""Outcome models: cumulative link (ordinal) regression, binary logistic as its K = 2 case.

:class:`OrdinalRegression` fits ``P(Y <= j | x) = F(theta_j - x'beta)`` (logit, probit or
cloglog link; R's ``ordinal::clm`` parameterisation) by Newton-Raphson, with nonrobust, robust
(HC0) or cluster-robust covariance, frequency weights, partial proportional odds (nominal
effects), likelihood-ratio and Brant tests of the proportional-odds assumption and a tidy
summary. Importing this module does not import statsmodels, shap or matplotlib.

Inside the package: ``_links`` (link functions), ``_validation`` (input checks), ``_solver``
(Newton on the sorted design), ``_separation`` (which estimates are infinite under
(quasi-)complete separation), ``_core`` (design builder, point fits, separation check),
``_diagnostics`` (nominal and Brant tests), ``_compare`` (nested-model and per-term tests:
``lr_test``, ``anova``), ``_bootstrap`` (the bootstrap engine and its intervals), ``_ordinal``
(the estimator). Imports point down that list only. The names above
are the subpackage's public face: modules outside ``models`` import them from here.

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

from copfactors.errors import ModelInputError
from copfactors.models._bootstrap import (
    JACKKNIFE_EXACT_MAX,
    JACKKNIFE_GROUPS,
    BootstrapResult,
    acceleration,
    bca_interval,
    bias_correction,
    bootstrap,
    percentile_interval,
)
from copfactors.models._compare import anova, lr_test
from copfactors.models._core import PointFit, point_fit
from copfactors.models._diagnostics import brant_test, nominal_test
from copfactors.models._links import LINKS, Link, get_link
from copfactors.models._mixed import MixedOrdinalRegression
from copfactors.models._ordinal import OrdinalRegression
from copfactors.models._validation import OutcomeEncoding, encode_outcome

__all__ = [
    "JACKKNIFE_EXACT_MAX",
    "JACKKNIFE_GROUPS",
    "LINKS",
    "BootstrapResult",
    "Link",
    "MixedOrdinalRegression",
    "ModelInputError",
    "OrdinalRegression",
    "OutcomeEncoding",
    "PointFit",
    "acceleration",
    "anova",
    "bca_interval",
    "bias_correction",
    "bootstrap",
    "brant_test",
    "encode_outcome",
    "get_link",
    "lr_test",
    "nominal_test",
    "percentile_interval",
    "point_fit",
]
