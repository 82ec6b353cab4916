"""Shared helpers for the model tests: simulated ordinal data and probability checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose
from scipy import stats

LATENT_NOISE = {
    "logit": lambda rng, n: rng.logistic(size=n),
    "probit": lambda rng, n: rng.normal(size=n),
    # P(Y <= j) = 1 - exp(-exp(theta_j - x'b)): the noise is a Gumbel for the minimum
    "cloglog": lambda rng, n: -rng.gumbel(size=n),
}


def simulate_ordinal(
    n: int,
    beta: dict[str, float],
    thresholds: list[float],
    *,
    link: str = "logit",
    seed: int = 0,
    labels: list | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Draw from ``P(Y <= j | x) = F(theta_j - x'beta)`` with standard normal predictors.

    Returns the predictors (named as ``beta``'s keys) and the outcome as an ordered categorical
    with ``labels`` (default ``1..K``).
    """
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, len(beta))), columns=list(beta))
    latent = X.to_numpy() @ np.array(list(beta.values())) + LATENT_NOISE[link](rng, n)
    codes = np.searchsorted(np.asarray(thresholds), latent)
    labels = list(range(1, len(thresholds) + 2)) if labels is None else labels
    y = pd.Series(pd.Categorical.from_codes(codes, labels, ordered=True), name="attainment")
    return X, y


def assert_valid_proba(proba: np.ndarray, n_classes: int) -> None:
    """Rows of probabilities in [0, 1] that sum to 1."""
    assert proba.shape[1] == n_classes
    assert np.all(proba >= 0)
    assert np.all(proba <= 1)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def wald_covers(estimate: float, se: float, truth: float, level: float = 0.999) -> bool:
    """Whether the Wald interval at ``level`` covers ``truth``."""
    z = stats.norm.ppf(0.5 + level / 2)
    return bool(estimate - z * se <= truth <= estimate + z * se)


def assert_shap_additive(explanation, output, rtol: float = 1e-9, atol: float = 1e-9) -> None:
    """SHAP additivity: ``base_values + values.sum(axis=1)`` equals the model ``output``.

    ``explanation`` is a :class:`shap.Explanation` with values of shape (n, p) or
    (n, p, outputs); ``output`` is the model output being explained, (n,) or (n, outputs).
    """
    values = np.asarray(explanation.values, dtype=float)
    base = np.asarray(explanation.base_values, dtype=float)
    output = np.asarray(output, dtype=float)
    assert values.shape[0] == output.shape[0]
    assert_allclose(base + values.sum(axis=1), output, rtol=rtol, atol=atol)
