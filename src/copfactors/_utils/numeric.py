"""Central finite differences, the one implementation behind copfactors' numerical derivatives.

Delta-method standard errors (average marginal effects, effect-display bands) and the mixed
model's covariance need the derivatives of a function of the parameters; they all use
:func:`central_jacobian`, with the step of each parameter chosen by the caller. Part of the
bottom layer: it imports nothing of copfactors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["central_jacobian", "relative_steps"]


def relative_steps(x: Any, scale: float = 1e-5) -> np.ndarray:
    """Steps ``scale * max(1, |x_i|)``: relative for large parameters, absolute near zero.

    Examples
    --------
    >>> from copfactors._utils.numeric import relative_steps
    >>> relative_steps([0.5, -200.0]).tolist()
    [1e-05, 0.002]
    """
    return scale * np.maximum(np.abs(np.asarray(x, dtype=float)), 1.0)


def central_jacobian(fun: Callable[[np.ndarray], Any], x: Any, step: Any) -> np.ndarray:
    """``d fun / d x`` by central differences, ``(f(x + h e_i) - f(x - h e_i)) / (2 h)``.

    Parameters
    ----------
    fun : callable
        Maps a parameter vector to a scalar or an array of shape ``(m,)``.
    x : array-like of shape (k,)
    step : array-like of shape (k,)
        The step of each parameter (see :func:`relative_steps`).

    Returns
    -------
    ndarray of shape (m, k), or (k,) when ``fun`` returns a scalar
        The error is of the order of ``step ** 2`` times the third derivative.

    Examples
    --------
    >>> import numpy as np
    >>> from copfactors._utils.numeric import central_jacobian
    >>> jac = central_jacobian(lambda p: np.array([p[0] * p[1], p[0] ** 2]), [2.0, 3.0], [1e-5] * 2)
    >>> np.round(jac, 6).tolist()
    [[3.0, 2.0], [4.0, 0.0]]
    """
    x = np.asarray(x, dtype=float)
    step = np.asarray(step, dtype=float)
    columns = []
    for i in range(len(x)):
        up, down = x.copy(), x.copy()
        up[i] += step[i]
        down[i] -= step[i]
        diff = np.asarray(fun(up), dtype=float) - np.asarray(fun(down), dtype=float)
        columns.append(diff / (2.0 * step[i]))
    return np.stack(columns, axis=-1)
