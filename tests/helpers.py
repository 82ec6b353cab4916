"""Shared helpers for the model tests: simulated ordinal data and probability checks."""

from __future__ import annotations

import re

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


# ---------------------------------------------------------------------------------------------
# files made of floating-point numbers
#
# Numbers that pass through BLAS, LAPACK or an optimiser differ in their last digits from one
# CPU kernel to another, so generated files are compared by parsing them: every non-numeric
# part exactly, every number to a tolerance.

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def assert_json_close(actual, expected, *, rtol: float = 1e-10, atol: float = 0.0, path="$"):
    """Parsed JSON documents agree: structure, keys and non-numbers exactly, floats to ``rtol``.

    Integers and booleans are compared exactly; a checksum computed from the numbers is not
    compared (check it by loading the file instead).
    """
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r:.80}"
        assert list(actual) == list(expected), f"{path}: keys {list(actual)} != {list(expected)}"
        for key in expected:
            if key == "checksum":
                continue
            assert_json_close(
                actual[key], expected[key], rtol=rtol, atol=atol, path=f"{path}.{key}"
            )
    elif isinstance(expected, list):
        assert isinstance(actual, list), f"{path}: expected a list, got {actual!r:.80}"
        assert len(actual) == len(expected), f"{path}: length {len(actual)} != {len(expected)}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_json_close(a, e, rtol=rtol, atol=atol, path=f"{path}[{i}]")
    elif isinstance(expected, float) and not isinstance(expected, bool):
        assert isinstance(actual, int | float) and not isinstance(actual, bool), path
        assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=path)
    else:
        assert type(actual) is type(expected) and actual == expected, (
            f"{path}: {actual!r:.80} != {expected!r:.80}"
        )


def assert_text_close(actual: str, expected: str, *, rtol: float = 1e-10, name: str = "text"):
    """Generated text agrees: words and integers exactly, decimals to ``rtol`` or one printed unit.

    A number rounded for print (``0.613``) may flip its last digit when the value underneath
    moves by 1e-15 across a rounding boundary, so each number may differ by one unit in its last
    printed place; unrounded numbers are held to ``rtol``. Everything but the numbers must match
    character for character.
    """
    split_a, split_e = _NUMBER.split(actual), _NUMBER.split(expected)
    nums_a, nums_e = _NUMBER.findall(actual), _NUMBER.findall(expected)
    assert split_a == split_e and len(nums_a) == len(nums_e), (
        f"{name} differs in more than its numbers: regenerate it"
    )
    for a, e in zip(nums_a, nums_e, strict=True):
        if a == e:
            continue
        assert "." in e, f"{name}: {a} != {e} (integers are compared exactly)"
        decimals = len(e.split(".")[1].split("e")[0].split("E")[0])
        unit = 10.0**-decimals
        if "e" in e.lower():
            unit *= 10.0 ** int(e.lower().split("e")[1])
        fa, fe = float(a), float(e)
        assert abs(fa - fe) <= max(1.0000001 * unit, rtol * abs(fe)), f"{name}: {a} != {e}"
