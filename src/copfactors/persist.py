"""Attainment models and their files: fit, save and load without executing any code.

An *attainment model* (:class:`AttainmentModel`) bundles what is needed to turn survey rows or
planned members into predictions of objective attainment: the fitted
:class:`~copfactors.features.CoPFeatureBuilder`, the fitted
:class:`~copfactors.models.OrdinalRegression` (or, with ``random_intercept=True``, the
random-intercept :class:`~copfactors.models.MixedOrdinalRegression`: respondents nested in
CoPs) and a summary of the training data (size, CoPs, source and whether it was simulated).
:func:`fit_attainment_model` makes one from a survey; :func:`save_model` and :func:`load_model`
write it to a JSON file and read it back (a bare :class:`~copfactors.models.OrdinalRegression`
or :class:`~copfactors.models.MixedOrdinalRegression` can be saved too).

A model file is data, never code. Loading never runs code from the file: it uses only
:func:`json.loads` and then rebuilds each object field by field from plain numbers, strings and
lists, checking every one. There is no pickle, joblib, ``eval`` or import by a name found in
the file. A pickle is refused with a message, without being unpickled.

Loading bounds the work a file can cause before doing it: the file's size is checked before it
is read (at most :data:`MAX_MODEL_BYTES`, 50 MB, by default; ``max_bytes`` raises it), JSON
nesting is capped, integers beyond 2**53 and numbers that overflow a float are refused, and
every claimed dimension (``n_features_in``, matrix rows and columns) is checked against the
lists the file actually holds before anything of that size is made.

Every loaded model is then held to the invariants a fitted model has, whatever its checksum
says, and a file that breaks one is refused with a :class:`~copfactors.errors.ModelFormatError`
naming the field: thresholds finite and strictly increasing (else probabilities fall outside
[0, 1]); outcome levels unique, numeric levels increasing and fitting their ``dtype``; class
scores finite and increasing; coefficients and nominal effects finite; coefficient, standard
error and covariance dimensions matching the feature names; the covariance symmetric
(relative tolerance 1e-8) and positive semi-definite (no eigenvalue below -1e-8 times the
largest in magnitude), the standard errors non-negative and the square roots of its diagonal
(an estimate without a covariance, e.g. an infinite estimate of a separated fit, has NaN in
its whole row and column and a NaN standard error); for a random-intercept model
``sigma > 0`` equal to ``exp(log_sigma)``, ``sigma_se >= 0``, ``0 <= icc < 1`` and each CoP's
conditional SD positive.

File format (format_version 1)
------------------------------
A model file is one JSON object in UTF-8, written atomically (a temporary file in the same
folder, then :func:`os.replace`). Its top-level keys:

``format``
    Always ``"copfactors-model"``; any other value (or none) means a foreign file.
``format_version``
    Integer: ``1``, or ``2`` for a file holding a random-intercept model (see below; every
    other model is still written as version 1, which older copfactors read). A reader refuses
    a higher version it does not know.
``library_version``
    The copfactors version that wrote the file.
``created``
    When the file was written, ISO 8601 in UTC (``"2025-01-31T12:00:00Z"``); a fixed value may
    be given for reproducible files.
``kind``
    ``"attainment-model"`` (builder + regression + training), ``"ordinal-regression"`` or
    (version 2) ``"mixed-ordinal-regression"``.
``regression``
    The fitted cumulative link model: ``params`` (its constructor parameters ``link``,
    ``cov_type``, ``alpha``, ``max_iter``, ``tol``, ``nominal``, ``weight_kind``);
    ``fit_link``, ``fit_cov_type`` and ``fit_weight_kind`` (``"frequency"`` or
    ``"probability"``: what the fit used; a file without ``weight_kind`` or
    ``fit_weight_kind`` is read as ``"frequency"``); ``classes`` (``dtype`` and
    ``values`` of the outcome levels, lowest first) and ``class_scores`` (numeric value of each
    level for expected scores); ``feature_names_in`` (or ``null``) and ``n_features_in``;
    ``loc_idx`` and ``nominal_idx`` (positions of the location and nominal predictors);
    ``thresholds``, ``coef`` and ``se`` (``names`` and ``values``); ``nominal_coef``
    (``index``, ``columns`` and ``values``, one row per threshold); ``cov`` (``names`` and
    ``matrix``, in the order thresholds, nominal effects, coefficients); the fit statistics
    ``loglik``, ``loglik_null``, ``nobs``, ``n_rows``, ``df_model``, ``aic``, ``bic``,
    ``r2_mcfadden``, ``r2_nagelkerke``, ``n_iter``, ``converged``, ``max_abs_gradient``,
    ``convergence_message``, ``info_positive_definite``, ``n_clusters`` (or ``null``) and
    ``separation``.
``builder`` (attainment models)
    The fitted feature builder: ``params`` (its ``get_params()``: ``missing``,
    ``hours_log1p``, ``commitment``, ``include``, ``exclude``, ``extra`` and ``formula``, the
    latter two only when used); ``extra_groups`` (per ``extra`` column its ``kind`` and
    ``levels``, reference first); ``formula`` (with ``params.formula`` only: ``text``, the
    ``columns`` it reads, its ``design`` columns, ``factors`` and ``transforms`` as in a formula
    model, below; the text is checked against the allow-list before it is read, and
    ``feature_names_out`` are then the design columns); ``groups`` (one entry per
    feature group built, in output order: ``name``, input ``columns``, output ``features``,
    ``reference`` level or ``null``); ``feature_names_out``; ``fill_values`` (per group, for
    ``missing="impute"``); ``reference_levels``; ``feature_names_in`` and ``n_features_in``;
    ``n_rows_dropped``; ``report`` and ``missing_report`` (their rows as objects); and
    ``scale_reliability`` (``summary`` and ``items`` of the commitment scale's reliability; the
    per-respondent scale scores of the training data are not stored).
``training`` (attainment models)
    A summary of the training data: ``n`` (rows fitted), ``n_cops``, ``source``, ``simulated``
    (true when the survey was simulated), ``description``, ``kind`` (``"ordinal"`` or
    ``"binary"``), ``cluster``, ``random_intercept`` and ``n_quad`` (random-intercept models
    only), ``outcome_counts`` and ``feature_ranges`` (``[min, max]`` of each feature), among
    others.
``checksum``
    ``{"algorithm": "sha256", "value": <hex>}``: the SHA-256 of the *canonical JSON* of the
    whole object without ``checksum`` (keys sorted, separators ``","`` and ``":"``, non-ASCII
    characters kept, UTF-8). A file whose content no longer matches is refused ("checksum
    mismatch"), so a hand-edited or damaged file is never used silently. The checksum detects
    accidents (a damaged, truncated or hand-edited file), not tampering: anyone can recompute
    it, so it is no signature and says nothing of who wrote the file. What protects a user
    from a malicious file is that loading runs no code and refuses any model that breaks the
    invariants of a fitted model (increasing thresholds, a positive semi-definite covariance,
    ...: see the module's description); trust a model file as much as the survey and the
    person it comes from.

Numbers are JSON numbers written with Python's shortest round-trip representation, so every
float reads back bit for bit and a loaded model predicts exactly what the saved one did.
JSON has no NaN or infinity: a non-finite float is written as the string ``"NaN"``,
``"Infinity"`` or ``"-Infinity"``, and these strings are accepted only where a number is
expected. Bare ``NaN``/``Infinity`` tokens and duplicated keys are refused.

Random-intercept models are written as format_version 2, which adds one thing: a
``regression`` (of an attainment model, or of kind ``"mixed-ordinal-regression"``) may be a
fitted :class:`~copfactors.models.MixedOrdinalRegression`. Such a ``regression`` object has
``"type": "mixed-ordinal-regression"`` (a version 1 regression has no ``type``) and the keys:

``params``
    The constructor parameters ``link``, ``n_quad`` (quadrature nodes per CoP; 1 is the
    Laplace approximation), ``alpha``, ``max_iter`` and ``tol``; next to it ``fit_link``.
``fixed``
    The same model without the random intercept (``fixed_``), written as a version 1
    ``regression``; it also gives the outcome ``classes``, ``class_scores`` and the feature
    names.
``thresholds`` (and ``coef``)
    ``names`` and ``values``, as in version 1.
``log_sigma`` (and ``sigma``)
    The SD of the random intercepts on the log scale and as itself (``sigma > 0``, equal to
    ``exp(log_sigma)``); then ``sigma_se``, ``sigma_ci`` (``[low, high]``) and ``icc``.
``cov`` (and ``se``)
    Covariance (``names`` and ``matrix``) and standard errors in the order thresholds,
    coefficients, ``log_sigma``.
``random_effects``
    ``groups`` (the CoP labels, text or numbers, in the model's order), ``mode`` (each CoP's
    conditional mode, finite) and ``sd`` (its conditional SD, positive): ``n_groups``
    entries each.
``loglik`` (and the other fit statistics)
    ``loglik``, ``aic``, ``bic``, ``nobs``, ``n_groups``, ``n_iter``, ``converged`` and
    ``max_abs_gradient``.

A version 1 file loads as before; a random-intercept regression in a file that says version 1
is refused.

Formula models (:func:`copfactors.formula.ordinal`) are a bare regression (kind
``"ordinal-regression"`` or ``"mixed-ordinal-regression"``, in the version its regression
needs) with one more top-level key, ``formula``, covered by the checksum:

``formula``
    ``text`` (the formula as written), ``response`` and ``group`` (the ``(1 | g)`` column or
    ``null``); ``terms`` (each term's label and its design columns, in order); ``factors``
    (one per formula factor: ``expr``, ``kind`` and, for categorical factors, ``categories``
    in the model's order, the first the reference); ``transforms`` (``expr`` and ``state`` of
    each stateful transform, e.g. ``{"center": 2.75, "scale": 1.71, "ddof": 1}`` for
    ``scale(x)``, or the knots of ``bs``).

It is data only: no code, no pickle. Because turning raw rows into a design evaluates the
formula's Python expressions, loading first checks the formula with :mod:`ast` and refuses
(``ModelFormatError`` naming it) any function outside ``C``, ``np.log``, ``np.exp``,
``np.sqrt``, ``center``, ``scale``, ``standardize``, ``bs`` and ``I`` (arithmetic only). A
copfactors without formula support ignores the key and loads the bare regression, which
predicts from design matrices.

Examples
--------
>>> import tempfile, pathlib
>>> import numpy as np
>>> import copfactors as cf
>>> survey = cf.load_example_survey()
>>> model = cf.fit_attainment_model(survey, builder=cf.CoPFeatureBuilder(exclude="sponsor"))
>>> model.training["simulated"], model.training["n"], model.training["n_cops"]
(True, 95, 7)
>>> path = cf.save_model(model, pathlib.Path(tempfile.mkdtemp()) / "model.json")
>>> again = cf.load_model(path)
>>> bool(np.array_equal(again.predict_proba(survey), model.predict_proba(survey)))
True
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import itertools
import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from copfactors._utils.safeyaml import MAX_INT, MAX_INT_CHARS, check_depth, read_limited, short
from copfactors.errors import (
    CopFactorsError,
    FeatureError,
    ModelFormatError,
    NotFittedError,
    OutputExistsError,
)

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from copfactors.features import CoPFeatureBuilder
    from copfactors.models import MixedOrdinalRegression, OrdinalRegression

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_MODEL_BYTES",
    "AttainmentModel",
    "fit_attainment_model",
    "load_model",
    "save_model",
]

#: Value of the ``format`` key of every copfactors model file.
FORMAT = "copfactors-model"
#: Highest version of the file format this copfactors reads and writes. A file is written in
#: the lowest version that can hold its model: 2 for a random-intercept model, else 1.
FORMAT_VERSION = 2

#: Largest model file read by default, in bytes (``max_bytes`` of :func:`load_model` raises
#: it); the reference model is about 30 kB.
MAX_MODEL_BYTES = 50_000_000
# deepest nesting of objects and lists in a model file (the format itself needs about 8)
_MAX_MODEL_DEPTH = 32

_MIXED = "mixed-ordinal-regression"
_KINDS = ("attainment-model", "ordinal-regression", _MIXED)
_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_CLASS_DTYPES = {
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "object",
}


# ---------------------------------------------------------------------------------------------
# the attainment model
# ---------------------------------------------------------------------------------------------
class AttainmentModel:
    """A fitted feature builder, ordinal regression and summary of the training data.

    Made by :func:`fit_attainment_model` or :func:`load_model`; used by
    :func:`copfactors.score` to score planned CoPs.

    Parameters
    ----------
    builder : CoPFeatureBuilder
        Fitted builder turning survey rows (or planned members) into the model's features.
    regression : OrdinalRegression or MixedOrdinalRegression
        Fitted on the builder's features. A
        :class:`~copfactors.models.MixedOrdinalRegression` (random intercept per CoP) predicts
        marginally: for members of a new CoP, averaged over the between-CoP variation.
    training : dict
        Summary of the training data (plain JSON values): ``n``, ``n_cops``, ``source``,
        ``simulated``, ``kind``, ...

    Examples
    --------
    >>> import copfactors as cf
    >>> survey = cf.load_example_survey()
    >>> model = cf.fit_attainment_model(survey, builder=cf.CoPFeatureBuilder(exclude="sponsor"))
    >>> model.feature_names[:3]
    ['commitment', 'steward_active', 'steward_designated']
    >>> model.predict_proba(survey.head(3)).columns.tolist()
    [2, 3, 4, 5]
    """

    def __init__(
        self,
        builder: CoPFeatureBuilder,
        regression: OrdinalRegression,
        training: Mapping[str, Any] | None = None,
    ) -> None:
        self.builder = builder
        self.regression = regression
        self.training: dict[str, Any] = dict(training or {})

    # -- facts -----------------------------------------------------------------------------------
    @property
    def feature_names(self) -> list[str]:
        """Names of the features the regression uses, in order."""
        return [str(c) for c in self.builder.get_feature_names_out()]

    @property
    def classes(self) -> np.ndarray:
        """Outcome levels, lowest first."""
        return self.regression.classes_

    @property
    def simulated(self) -> bool:
        """Whether the training data was simulated."""
        return bool(self.training.get("simulated", False))

    @property
    def random_intercept(self) -> bool:
        """Whether the regression has a random intercept per CoP (a MixedOrdinalRegression)."""
        from copfactors.models import MixedOrdinalRegression

        return isinstance(self.regression, MixedOrdinalRegression)

    # -- predictions -----------------------------------------------------------------------------
    def features(self, data: pd.DataFrame) -> pd.DataFrame:
        """The model's features for survey rows or planned members (the builder's transform).

        Examples
        --------
        >>> import copfactors as cf
        >>> survey = cf.load_example_survey()
        >>> model = cf.fit_attainment_model(
        ...     survey, builder=cf.CoPFeatureBuilder(exclude="sponsor")
        ... )
        >>> model.features(survey.head(3)).index.tolist()  # row 1 has no gender: left out
        [0, 2]
        """
        return self.builder.transform(data)

    def predict_proba(self, data: pd.DataFrame) -> pd.DataFrame:
        """Probability of each attainment level for survey rows or planned members.

        Parameters
        ----------
        data : pandas.DataFrame
            Rows with the codebook's columns (a survey, or ``PlannedCoP.to_members()``).

        Returns
        -------
        pandas.DataFrame
            One row per input row the builder kept (with ``missing="drop"``, rows missing a
            value the features need are left out; the index tells which), one column per
            level of :attr:`classes`; rows sum to 1. With a random intercept
            (:attr:`random_intercept`) these are the marginal probabilities for a member of a
            new CoP (the CoP's intercept integrated out), whatever the rows' ``cop_id``.

        Examples
        --------
        >>> import copfactors as cf
        >>> survey = cf.load_example_survey()
        >>> model = cf.fit_attainment_model(
        ...     survey, builder=cf.CoPFeatureBuilder(exclude="sponsor")
        ... )
        >>> p = model.predict_proba(survey.head(4))  # row 1 has no gender: left out
        >>> p.sum(axis=1).round(12).to_dict()
        {0: 1.0, 2: 1.0, 3: 1.0}
        """
        import pandas as pd

        X = self.features(data)
        proba = self.regression.predict_proba(X)
        return pd.DataFrame(proba, index=X.index, columns=pd.Index(self.classes))

    def predict_expected(self, data: pd.DataFrame) -> pd.Series:
        """Expected attainment score of each kept row (see :meth:`predict_proba`).

        Examples
        --------
        >>> import copfactors as cf
        >>> survey = cf.load_example_survey()
        >>> model = cf.fit_attainment_model(
        ...     survey, builder=cf.CoPFeatureBuilder(exclude="sponsor")
        ... )
        >>> bool(model.predict_expected(survey.head(3)).between(2, 5).all())
        True
        """
        import pandas as pd

        X = self.features(data)
        return pd.Series(
            self.regression.predict_expected(X), index=X.index, name="expected_attainment"
        )

    # -- summaries -------------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """The regression's tidy table of estimates (see ``OrdinalRegression.summary``).

        Examples
        --------
        >>> import copfactors as cf
        >>> model = cf.fit_attainment_model(
        ...     cf.load_example_survey(), builder=cf.CoPFeatureBuilder(exclude="sponsor")
        ... )
        >>> model.summary()["kind"].value_counts().to_dict()
        {'coef': 16, 'threshold': 3}
        """
        return self.regression.summary()

    def describe(self, style: str = "text", digits: int = 4) -> str:
        """A readable summary: the training data, then the regression's printed summary.

        Nothing is printed; the text is returned.

        Examples
        --------
        >>> import copfactors as cf
        >>> model = cf.fit_attainment_model(
        ...     cf.load_example_survey(), builder=cf.CoPFeatureBuilder(exclude="sponsor")
        ... )
        >>> print(model.describe().splitlines()[0])
        Attainment model (ordinal, cumulative logit): 95 respondents in 7 CoPs
        """
        t = self.training
        link = getattr(self.regression, "_fit_link", self.regression.link)
        mixed = ", random intercept per CoP" if self.random_intercept else ""
        head = (
            f"Attainment model ({t.get('kind', 'ordinal')}, cumulative {link}{mixed}): "
            f"{t.get('n', '?')} respondents in {t.get('n_cops', '?')} CoPs"
        )
        lines = [head]
        if t.get("source"):
            lines.append(f"Training data: {t['source']}")
        if self.simulated:
            lines.append(
                "The training data is SIMULATED: "
                + (t.get("description") or "not real respondents")
            )
        lines.append(f"Features: {', '.join(self.feature_names)}")
        table = self.regression.render_summary(style=style, digits=digits)
        return "\n".join(lines) + "\n\n" + table

    def __repr__(self) -> str:
        t = self.training
        sim = ", SIMULATED data" if self.simulated else ""
        mixed = ", random_intercept=True" if self.random_intercept else ""
        return (
            f"AttainmentModel(features={len(self.feature_names)}, n={t.get('n')}, "
            f"n_cops={t.get('n_cops')}{mixed}{sim})"
        )


def _n_cops(survey: pd.DataFrame, rows: pd.Index, groups: Any) -> int | None:
    """CoPs among the fitted rows, whether or not the covariance clusters by them."""
    import pandas as pd

    if groups is not None:
        return int(pd.unique(groups).size)
    if "cop_id" in survey.columns:
        return int(survey.loc[rows, "cop_id"].nunique())
    return None


def fit_attainment_model(
    survey: pd.DataFrame,
    *,
    link: str = "logit",
    cov_type: str = "cluster",
    cluster: str | None = "cop_id",
    builder: CoPFeatureBuilder | None = None,
    kind: str = "ordinal",
    random_intercept: bool = False,
    n_quad: int = 1,
    simulated: bool | None = None,
    source: str | None = None,
) -> AttainmentModel:
    """Fit an attainment model on a survey: driver features, then an ordinal regression.

    The outcome is :func:`copfactors.attainment` (``kind``). Only respondents with an outcome
    (they answered at T2) are used: the builder is fitted on them, so a feature constant among
    them is dropped, then their features (rows missing a value the features need are left out
    with ``missing="drop"``) are regressed on the outcome.

    With ``random_intercept=True`` the regression is a
    :class:`~copfactors.models.MixedOrdinalRegression`: respondents nested in CoPs, each CoP
    with its own intercept ``u ~ N(0, sigma^2)``. Its coefficients are conditional on the CoP,
    its predictions (and scores of planned CoPs) marginal: for a new CoP, averaged over the
    between-CoP variation.

    Parameters
    ----------
    survey : pandas.DataFrame
        A validated survey (``read_survey``, ``load_example_survey``).
    link : {"logit", "probit", "cloglog"}, default "logit"
    cov_type : {"cluster", "robust", "nonrobust"}, default "cluster"
        Covariance of the estimates; ``"cluster"`` clusters by ``cluster``. Not used with
        ``random_intercept=True``, whose covariance is model-based (the inverse Hessian of the
        marginal likelihood: the random intercept models the correlation within CoPs).
    cluster : str or None, default "cop_id"
        Column holding each respondent's cluster (CoP); with ``random_intercept=True``, the
        groups of the random intercept (at least 2).
    builder : CoPFeatureBuilder, optional
        Unfitted builder with the settings to use (it is cloned, not changed); by default
        ``CoPFeatureBuilder()``. Exclude groups that the data cannot separate (for example
        ``exclude="sponsor"`` when the only professional-association CoP is also the only
        one with a dedicated steward).
    kind : {"ordinal", "binary"}, default "ordinal"
        Outcome: attainment level 1-5, or whether the attainment index is at least 4.
    random_intercept : bool, default False
        Fit a random intercept per CoP (the ``cluster`` column) instead of a fixed-effects
        model.
    n_quad : int, default 1
        With ``random_intercept=True``: quadrature nodes per CoP (1 is the Laplace
        approximation, more is adaptive Gauss-Hermite quadrature).
    simulated : bool, optional
        Whether the survey is simulated; by default ``survey.attrs.get("simulated", False)``.
    source : str, optional
        Where the survey came from; by default ``survey.attrs.get("source")``.

    Returns
    -------
    AttainmentModel

    Raises
    ------
    copfactors.errors.CopFactorsError
        On bad arguments, a survey without outcome, a missing cluster column or values (with
        ``random_intercept=True``: no CoP column or fewer than 2 CoPs), and whatever the
        builder or the regression raise (for example collinear features).

    Examples
    --------
    >>> import copfactors as cf
    >>> survey = cf.load_example_survey()
    >>> model = cf.fit_attainment_model(survey, builder=cf.CoPFeatureBuilder(exclude="sponsor"))
    >>> model
    AttainmentModel(features=16, n=95, n_cops=7, SIMULATED data)
    >>> mixed = cf.fit_attainment_model(
    ...     survey, builder=cf.CoPFeatureBuilder(exclude="sponsor"), random_intercept=True
    ... )
    >>> mixed
    AttainmentModel(features=16, n=95, n_cops=7, random_intercept=True, SIMULATED data)
    >>> mixed.regression.n_groups_, bool(mixed.regression.sigma_ > 0)
    (7, True)
    """
    import numpy as np
    import pandas as pd
    from sklearn.base import clone

    from copfactors.features import CoPFeatureBuilder, attainment
    from copfactors.models import MixedOrdinalRegression, OrdinalRegression

    if not isinstance(survey, pd.DataFrame):
        raise FeatureError(
            f"fit_attainment_model needs a survey DataFrame, got {type(survey).__name__}"
        )
    if kind not in ("ordinal", "binary"):
        raise FeatureError(
            f"kind must be 'ordinal' or 'binary', got {kind!r} (an attainment index is not an "
            "ordinal outcome)"
        )
    if builder is None:
        builder = CoPFeatureBuilder()
    elif not isinstance(builder, CoPFeatureBuilder):
        raise FeatureError(f"builder must be a CoPFeatureBuilder, got {type(builder).__name__}")
    if not isinstance(random_intercept, bool | np.bool_):
        raise FeatureError(f"random_intercept must be True or False, got {random_intercept!r}")
    if isinstance(n_quad, bool) or not isinstance(n_quad, int | np.integer) or n_quad < 1:
        raise FeatureError(f"n_quad must be an integer >= 1, got {n_quad!r}")
    if n_quad != 1 and not random_intercept:
        raise FeatureError(
            "n_quad is the quadrature of the random intercept: it needs random_intercept=True"
        )
    if random_intercept:
        if cov_type not in ("cluster", "robust", "nonrobust"):
            raise FeatureError(
                f"cov_type must be 'cluster', 'robust' or 'nonrobust', got {cov_type!r}"
            )
        if cluster is None:
            raise FeatureError(
                "random_intercept=True needs the column of each respondent's CoP "
                '(cluster="cop_id")'
            )
        if cluster not in survey.columns:
            raise FeatureError(
                f"random_intercept=True needs each respondent's CoP, but the survey has no "
                f"column {cluster!r}; give cluster=<column of the CoPs>"
            )
    elif cov_type == "cluster" and cluster is None:
        raise FeatureError('cov_type="cluster" needs a cluster column (cluster="cop_id")')
    if cluster is not None and cluster not in survey.columns:
        raise FeatureError(
            f"the survey has no column {cluster!r} to cluster by; give cluster=<column> or "
            'cov_type="robust" with cluster=None'
        )
    y_all = attainment(survey, kind=kind)  # type: ignore[arg-type]
    has_outcome = y_all.notna().to_numpy()
    if not has_outcome.any():
        raise FeatureError(
            "no respondent of the survey has an attainment answer (att_<objective> at T2); "
            "there is nothing to fit"
        )
    rows = survey.loc[has_outcome]
    fitted_builder = clone(builder).fit(rows)
    X = fitted_builder.transform(rows)
    if len(X) == 0:
        raise FeatureError(
            "no respondent with an attainment answer has every value the features need; use "
            "CoPFeatureBuilder(missing='impute') or exclude the sparse groups"
        )
    y = y_all.loc[X.index]
    y_fit = y.to_numpy(dtype=bool) if kind == "binary" else y.to_numpy(dtype=np.int64)
    groups = None
    if cluster is not None:
        g = rows.loc[X.index, cluster]
        if g.isna().any():
            bad = g.index[g.isna().to_numpy()].tolist()[:5]
            raise FeatureError(f"column {cluster!r} is missing for rows {bad}")
        groups = g.astype(str).to_numpy()
    if random_intercept:
        n_groups = int(pd.unique(groups).size)
        if n_groups < 2:
            raise FeatureError(
                f"random_intercept=True needs respondents of at least 2 CoPs (column "
                f"{cluster!r}); the fitted rows come from {n_groups}: fit without a random "
                "intercept"
            )
        regression: Any = MixedOrdinalRegression(link=link, n_quad=int(n_quad)).fit(
            X, y_fit, groups=groups
        )
    elif cov_type == "cluster":
        regression = OrdinalRegression(link=link, cov_type=cov_type).fit(X, y_fit, groups=groups)
    else:
        regression = OrdinalRegression(link=link, cov_type=cov_type).fit(X, y_fit)
    if simulated is None:
        simulated = bool(survey.attrs.get("simulated", False))
    if source is None:
        src = survey.attrs.get("source")
        source = str(src) if src is not None else None
    counts = pd.Series(y_fit).value_counts().sort_index()
    description = survey.attrs.get("description")
    training = {
        "n": int(len(X)),
        "n_cops": _n_cops(survey, X.index, groups),
        "n_survey_rows": int(len(survey)),
        "n_without_outcome": int((~has_outcome).sum()),
        "n_dropped_missing": int(has_outcome.sum() - len(X)),
        "source": source,
        "simulated": bool(simulated),
        "description": str(description) if description is not None else None,
        "kind": kind,
        "outcome": "attainment" if kind == "ordinal" else "attainment index >= 4",
        "link": link,
        "cov_type": "model-based" if random_intercept else cov_type,
        "cluster": cluster,
        **({"random_intercept": True, "n_quad": int(n_quad)} if random_intercept else {}),
        "outcome_counts": {_json_key(k): int(v) for k, v in counts.items()},
        "feature_ranges": {str(c): [float(X[c].min()), float(X[c].max())] for c in X.columns},
    }
    return AttainmentModel(fitted_builder, regression, training)


def _json_key(value: Any) -> str:
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------------------------------------
# encoding helpers
# ---------------------------------------------------------------------------------------------
def _float(x: Any) -> float | str:
    """A float as JSON: itself when finite, else "NaN", "Infinity" or "-Infinity"."""
    v = float(x)
    if math.isfinite(v):
        return v
    if math.isnan(v):
        return "NaN"
    return "Infinity" if v > 0 else "-Infinity"


def _floats(values: Any) -> list[Any]:
    import numpy as np

    arr = np.asarray(values, dtype=float)
    if arr.ndim == 1:
        return [_float(v) for v in arr.tolist()]
    return [_floats(row) for row in arr]


def _canonical(obj: Any) -> bytes:
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _checksum(document: Mapping[str, Any]) -> str:
    body = {k: v for k, v in document.items() if k != "checksum"}
    return hashlib.sha256(_canonical(body)).hexdigest()


def _plain(value: Any, where: str) -> Any:
    """Check that a value is plain JSON (dict with str keys, list, str, int, finite float...)."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CopFactorsError(f"{where} is {value!r}, which a model file cannot hold")
        return value
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise CopFactorsError(f"{where} has a key {k!r} that is not text")
            out[k] = _plain(v, f"{where}.{k}")
        return out
    if isinstance(value, list | tuple):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    # numpy scalars
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        return _plain(value.item(), where)
    raise CopFactorsError(
        f"{where} is a {type(value).__name__}, which a model file cannot hold (plain numbers, "
        "text, lists and mappings only)"
    )


def _format_json(value: Any, indent: int = 0) -> str:
    """JSON with objects indented and lists of scalars (or of such lists' rows) on one line."""

    def scalar(v: Any) -> bool:
        return not isinstance(v, dict | list)

    pad = "  " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{pad}{json.dumps(k, ensure_ascii=False)}: {_format_json(v, indent + 1)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + "  " * indent + "}"
    if isinstance(value, list):
        if all(scalar(v) for v in value):
            return json.dumps(value, ensure_ascii=False, allow_nan=False)
        rows = [f"{pad}{_format_json(v, indent + 1)}" for v in value]
        return "[\n" + ",\n".join(rows) + "\n" + "  " * indent + "]"
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


# ---------------------------------------------------------------------------------------------
# regression <-> dict
# ---------------------------------------------------------------------------------------------
def _regression_to_dict(reg: OrdinalRegression) -> dict[str, Any]:
    import numpy as np

    classes = np.asarray(reg.classes_)
    dtype = str(classes.dtype)
    if dtype not in _CLASS_DTYPES:
        raise CopFactorsError(f"outcome levels of dtype {dtype} cannot be stored in a model file")
    values: list[Any] = []
    for c in classes.tolist():
        if isinstance(c, bool | int | str):
            values.append(c)
        elif isinstance(c, float):
            values.append(_float(c))
        else:
            raise CopFactorsError(
                f"outcome level {c!r} ({type(c).__name__}) cannot be stored in a model file"
            )
    params = reg.get_params()
    nominal = params["nominal"]
    if nominal is not None:
        nominal = [n if isinstance(n, str) else int(n) for n in np.atleast_1d(nominal).tolist()]
    names_in = getattr(reg, "feature_names_in_", None)
    out = {
        "params": {
            "link": str(params["link"]),
            "cov_type": str(params["cov_type"]),
            "alpha": params["alpha"],
            "max_iter": int(params["max_iter"]),
            "tol": params["tol"],
            "nominal": nominal,
        },
        "fit_link": str(reg._fit_link),
        "fit_cov_type": str(reg._fit_cov_type),
        "classes": {"dtype": dtype, "values": values},
        "class_scores": _floats(reg._class_scores),
        "feature_names_in": None if names_in is None else [str(c) for c in names_in],
        "n_features_in": int(reg.n_features_in_),
        "loc_idx": [int(i) for i in reg._loc_idx],
        "nominal_idx": [int(i) for i in reg._nominal_idx],
        "thresholds": {
            "names": [str(i) for i in reg.thresholds_.index],
            "values": _floats(reg.thresholds_.to_numpy()),
        },
        "nominal_coef": {
            "index": [str(i) for i in reg.nominal_coef_.index],
            "columns": [str(c) for c in reg.nominal_coef_.columns],
            "values": _floats(reg.nominal_coef_.to_numpy().reshape(len(reg.thresholds_), -1)),
        },
        "coef": {
            "names": [str(i) for i in reg.coef_.index],
            "values": _floats(reg.coef_.to_numpy()),
        },
        "se": _floats(reg.se_.to_numpy()),
        "cov": {
            "names": [str(i) for i in reg.cov_.index],
            "matrix": _floats(reg.cov_.to_numpy()),
        },
        "loglik": _float(reg.loglik_),
        "loglik_null": _float(reg.loglik_null_),
        "nobs": _float(reg.nobs_),
        "n_rows": int(len(reg._data.X)),
        "df_model": int(reg.df_model_),
        "aic": _float(reg.aic_),
        "bic": _float(reg.bic_),
        "r2_mcfadden": _float(reg.r2_mcfadden_),
        "r2_nagelkerke": _float(reg.r2_nagelkerke_),
        "n_iter": int(reg.n_iter_),
        "converged": bool(reg.converged_),
        "max_abs_gradient": _float(reg.max_abs_gradient_),
        "convergence_message": str(reg._convergence_message),
        "info_positive_definite": bool(reg._info_positive_definite),
        "n_clusters": None if reg.n_clusters_ is None else int(reg.n_clusters_),
        "separation": [str(s) for s in reg.separation_],
    }
    # probability (survey) weights change what the fit supports (no LR tests, AIC, ...); only
    # written when used, so frequency-weighted files stay as they were (absent = frequency)
    if params.get("weight_kind", "frequency") != "frequency":
        out["params"]["weight_kind"] = str(params["weight_kind"])
    fit_kind = str(getattr(reg, "_fit_weight_kind", "frequency"))
    if fit_kind != "frequency":
        out["fit_weight_kind"] = fit_kind
    return out


class _Reader:
    """Typed access to a decoded JSON object; every problem names the field's path."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise ModelFormatError(f"{where}: expected an object, got {_kind(data)}")
        self.data = data
        self.where = where

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def raw(self, key: str) -> Any:
        if key not in self.data:
            raise ModelFormatError(f"{self._path(key)} is missing")
        return self.data[key]

    def sub(self, key: str) -> _Reader:
        return _Reader(self.raw(key), self._path(key))

    def text(self, key: str, *, optional: bool = False, choices: Sequence[str] = ()) -> Any:
        v = self.raw(key)
        if v is None and optional:
            return None
        if not isinstance(v, str):
            raise ModelFormatError(f"{self._path(key)}: expected text, got {_kind(v)}")
        if choices and v not in choices:
            raise ModelFormatError(
                f"{self._path(key)} is {v!r}; expected one of {', '.join(map(repr, choices))}"
            )
        return v

    def boolean(self, key: str) -> bool:
        v = self.raw(key)
        if not isinstance(v, bool):
            raise ModelFormatError(f"{self._path(key)}: expected true or false, got {_kind(v)}")
        return v

    def integer(self, key: str, *, optional: bool = False, low: int = 0) -> Any:
        v = self.raw(key)
        if v is None and optional:
            return None
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ModelFormatError(
                f"{self._path(key)}: expected an integer >= {low}, got {_kind(v)}"
            )
        return v

    def number(self, key: str) -> float:
        return _number(self.raw(key), self._path(key))

    def numbers(self, key: str, n: int | None = None) -> list[float]:
        return _numbers(self.raw(key), self._path(key), n)

    def texts(self, key: str, n: int | None = None, *, optional: bool = False) -> Any:
        v = self.raw(key)
        if v is None and optional:
            return None
        if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
            raise ModelFormatError(f"{self._path(key)}: expected a list of text, got {_kind(v)}")
        if n is not None and len(v) != n:
            raise ModelFormatError(f"{self._path(key)}: expected {n} entries, got {len(v)}")
        return list(v)

    def integers(self, key: str) -> list[int]:
        v = self.raw(key)
        if not isinstance(v, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in v
        ):
            raise ModelFormatError(
                f"{self._path(key)}: expected a list of integers >= 0, got {_kind(v)}"
            )
        return list(v)


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return f"the boolean {str(v).lower()}"
    if isinstance(v, int | float):
        return f"the number {v!r}"
    if isinstance(v, str):
        return f"the text {v[:40]!r}"
    if isinstance(v, list):
        return f"a list of {len(v)}"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _number(v: Any, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise ModelFormatError(f"{where}: expected a number, got {_kind(v)}")
    if isinstance(v, str):
        if v not in _NONFINITE:
            raise ModelFormatError(
                f'{where}: expected a number (or "NaN", "Infinity", "-Infinity"), got {_kind(v)}'
            )
        return _NONFINITE[v]
    return float(v)


def _numbers(v: Any, where: str, n: int | None = None) -> list[float]:
    if not isinstance(v, list):
        raise ModelFormatError(f"{where}: expected a list of numbers, got {_kind(v)}")
    if n is not None and len(v) != n:
        raise ModelFormatError(f"{where}: expected {n} numbers, got {len(v)}")
    return [_number(x, f"{where}[{i}]") for i, x in enumerate(v)]


def _matrix(v: Any, where: str, rows: int, cols: int) -> np.ndarray:
    import numpy as np

    if not isinstance(v, list) or len(v) != rows:
        raise ModelFormatError(
            f"{where}: expected {rows} rows, got {_kind(v) if not isinstance(v, list) else len(v)}"
        )
    # every row's length is checked against the file's content before the matrix is made
    for i, row in enumerate(v):
        if not isinstance(row, list) or len(row) != cols:
            raise ModelFormatError(
                f"{where}[{i}]: expected {cols} numbers, got "
                f"{len(row) if isinstance(row, list) else _kind(row)}"
            )
    out = np.empty((rows, cols), dtype=float)
    for i, row in enumerate(v):
        out[i] = _numbers(row, f"{where}[{i}]", cols)
    return out


class _StoredRows:
    """Stands in for the training rows, which model files do not store.

    ``len()`` gives their number (for printed summaries); anything that needs the rows
    themselves (the refits of ``nominal_test`` and ``brant_test``) raises a clear error.
    """

    def __init__(self, n_rows: int) -> None:
        self._n_rows = n_rows

    def __len__(self) -> int:
        return self._n_rows

    @property
    def shape(self) -> tuple[int, int]:
        raise _no_rows()


class _StoredTrainingData:
    """The ``_data`` of a loaded OrdinalRegression: a row count and no rows."""

    def __init__(self, n_rows: int) -> None:
        self.X = _StoredRows(n_rows)

    @property
    def starts(self) -> np.ndarray:
        raise _no_rows()

    @property
    def w(self) -> np.ndarray:
        raise _no_rows()


def _no_rows() -> CopFactorsError:
    return CopFactorsError(
        "this model was loaded from a model file, which does not store the training rows; "
        "nominal_test() and brant_test() refit on them: refit the model on its survey to run them"
    )


def _regression_from_dict(data: Any, where: str = "regression") -> OrdinalRegression:
    import numpy as np
    import pandas as pd

    from copfactors.models import LINKS, OrdinalRegression

    r = _Reader(data, where)
    p = r.sub("params")
    link = p.text("link", choices=sorted(LINKS))
    cov_type = p.text("cov_type", choices=("nonrobust", "robust", "cluster"))
    alpha = p.raw("alpha")
    tol = p.raw("tol")
    for key, value in (("alpha", alpha), ("tol", tol)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ModelFormatError(f"{where}.params.{key}: expected a number, got {_kind(value)}")
    nominal = p.raw("nominal")
    if nominal is not None and not (
        isinstance(nominal, list)
        and all(
            isinstance(n, str) or (isinstance(n, int) and not isinstance(n, bool)) for n in nominal
        )
    ):
        raise ModelFormatError(
            f"{where}.params.nominal: expected null or a list of names, got {_kind(nominal)}"
        )
    # files written before weight_kind was stored are frequency-weighted
    weight_kinds = ("frequency", "probability")
    weight_kind = (
        p.text("weight_kind", choices=weight_kinds) if "weight_kind" in p.data else "frequency"
    )
    reg = OrdinalRegression(
        link=link,
        cov_type=cov_type,
        alpha=alpha,
        max_iter=p.integer("max_iter"),
        tol=tol,
        nominal=nominal,
        weight_kind=weight_kind,
    )
    fit_link = r.text("fit_link", choices=sorted(LINKS))
    fit_cov_type = r.text("fit_cov_type", choices=("nonrobust", "robust", "cluster"))
    fit_weight_kind = (
        r.text("fit_weight_kind", choices=weight_kinds)
        if "fit_weight_kind" in r.data
        else "frequency"
    )

    c = r.sub("classes")
    dtype = c.text("dtype", choices=sorted(_CLASS_DTYPES))
    raw_classes = c.raw("values")
    if not isinstance(raw_classes, list) or len(raw_classes) < 2:
        raise ModelFormatError(f"{where}.classes.values: expected at least 2 outcome levels")
    for i, v in enumerate(raw_classes):
        if not isinstance(v, bool | int | float | str):
            raise ModelFormatError(f"{where}.classes.values[{i}]: unexpected {_kind(v)}")
    if dtype == "object":
        classes = np.empty(len(raw_classes), dtype=object)
        classes[:] = raw_classes
    else:
        try:
            values = [
                _NONFINITE[v] if isinstance(v, str) and dtype.startswith("float") else v
                for v in raw_classes
            ]
            classes = np.asarray(values, dtype=dtype)
        except (TypeError, ValueError, KeyError, OverflowError) as err:
            raise ModelFormatError(
                f"{where}.classes.values do not fit dtype {dtype}: {_cut(err)}"
            ) from None
        if classes.tolist() != [
            (_NONFINITE[v] if isinstance(v, str) else v) for v in raw_classes
        ] and not dtype.startswith("float"):
            raise ModelFormatError(f"{where}.classes.values do not fit dtype {dtype}")
    _check_classes(classes, f"{where}.classes.values")
    K = len(classes)
    J = K - 1
    class_scores = np.asarray(r.numbers("class_scores", K), dtype=float)
    _increasing(class_scores, f"{where}.class_scores")

    names_in = r.texts("feature_names_in", optional=True)
    n_in = r.integer("n_features_in", low=1)
    if names_in is not None and len(names_in) != n_in:
        raise ModelFormatError(
            f"{where}.feature_names_in has {len(names_in)} names but n_features_in is {n_in}"
        )
    loc_idx = r.integers("loc_idx")
    nominal_idx = r.integers("nominal_idx")
    # the claimed dimension is checked against the positions the file lists before anything
    # of that size is made
    if len(loc_idx) + len(nominal_idx) != n_in:
        raise ModelFormatError(
            f"{where}.n_features_in is {n_in} but loc_idx and nominal_idx list "
            f"{len(loc_idx) + len(nominal_idx)} positions (dimension mismatch)"
        )
    if sorted(loc_idx + nominal_idx) != list(range(n_in)):
        raise ModelFormatError(
            f"{where}.loc_idx and nominal_idx must together list the positions 0..{n_in - 1} once"
        )
    display = names_in if names_in is not None else [f"x{j}" for j in range(n_in)]

    t = r.sub("thresholds")
    thr_names = t.texts("names", J)
    thresholds = np.asarray(t.numbers("values", J), dtype=float)
    _increasing(thresholds, f"{where}.thresholds.values")
    nc = r.sub("nominal_coef")
    nom_cols = nc.texts("columns", len(nominal_idx))
    if nc.texts("index", J) != thr_names:
        raise ModelFormatError(f"{where}.nominal_coef.index must equal the threshold names")
    nom_values = _matrix(nc.raw("values"), f"{where}.nominal_coef.values", J, len(nominal_idx))
    _finite(nom_values.ravel().tolist(), f"{where}.nominal_coef.values")
    co = r.sub("coef")
    loc_names = co.texts("names", len(loc_idx))
    if loc_names != [display[j] for j in loc_idx]:
        raise ModelFormatError(f"{where}.coef.names do not match feature_names_in and loc_idx")
    if nom_cols != [display[j] for j in nominal_idx]:
        raise ModelFormatError(
            f"{where}.nominal_coef.columns do not match feature_names_in and nominal_idx"
        )
    coef = np.asarray(co.numbers("values", len(loc_idx)), dtype=float)
    _finite(coef.tolist(), f"{where}.coef.values")
    param_names = thr_names + [f"{tn}.{v}" for v in nom_cols for tn in thr_names] + loc_names
    k = len(param_names)
    cv = r.sub("cov")
    if cv.texts("names", k) != param_names:
        raise ModelFormatError(
            f"{where}.cov.names must be the thresholds, nominal effects and coefficients in order"
        )
    cov = _matrix(cv.raw("matrix"), f"{where}.cov.matrix", k, k)
    se = np.asarray(r.numbers("se", k), dtype=float)
    _check_covariance(cov, se, where)
    params = np.concatenate([thresholds, nom_values.T.ravel(), coef])

    reg.classes_ = classes
    reg._fit_link = fit_link
    reg._fit_cov_type = fit_cov_type
    reg._fit_weight_kind = fit_weight_kind
    reg._class_scores = class_scores
    reg._nominal_idx = nominal_idx
    reg._loc_idx = loc_idx
    reg._data = _StoredTrainingData(r.integer("n_rows"))
    if names_in is not None:
        reg.feature_names_in_ = np.asarray(names_in, dtype=object)
    reg.n_features_in_ = n_in
    reg.thresholds_ = pd.Series(thresholds, index=thr_names, name="threshold")
    reg.nominal_coef_ = pd.DataFrame(nom_values, index=thr_names, columns=nom_cols)
    reg.coef_ = pd.Series(coef, index=loc_names, name="coef")
    reg.params_ = pd.Series(params, index=param_names, name="estimate")
    reg.cov_ = pd.DataFrame(cov, index=param_names, columns=param_names)
    reg.se_ = pd.Series(se, index=param_names, name="se")
    reg.n_iter_ = r.integer("n_iter")
    reg.converged_ = r.boolean("converged")
    reg.max_abs_gradient_ = r.number("max_abs_gradient")
    reg.loglik_ = r.number("loglik")
    reg.nobs_ = r.number("nobs")
    reg.n_clusters_ = r.integer("n_clusters", optional=True, low=2)
    reg.loglik_null_ = r.number("loglik_null")
    reg.df_model_ = r.integer("df_model")
    reg.aic_ = r.number("aic")
    reg.bic_ = r.number("bic")
    reg.r2_mcfadden_ = r.number("r2_mcfadden")
    reg.r2_nagelkerke_ = r.number("r2_nagelkerke")
    reg._convergence_message = r.text("convergence_message")
    reg._info_positive_definite = r.boolean("info_positive_definite")
    reg.separation_ = r.texts("separation")
    return reg


# ---------------------------------------------------------------------------------------------
# random-intercept regression <-> dict (format_version 2)
# ---------------------------------------------------------------------------------------------
def _group_label(value: Any, where: str) -> Any:
    """A CoP label as plain JSON: text, an integer, a finite float or a boolean."""
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()
    if isinstance(value, bool | int | str) or (isinstance(value, float) and math.isfinite(value)):
        return value
    raise CopFactorsError(
        f"{where}: group label {value!r} ({type(value).__name__}) cannot be stored in a model "
        "file (text or finite numbers only)"
    )


def _mixed_to_dict(reg: MixedOrdinalRegression) -> dict[str, Any]:
    params = reg.get_params()
    effects = reg.random_effects_
    groups = [_group_label(g, "random_effects") for g in effects.index.tolist()]
    if {g: k for k, g in enumerate(groups)} != dict(reg._levels):
        raise CopFactorsError(
            "the model's random effects are not in the order of its groups; refit it"
        )
    return {
        "type": _MIXED,
        "params": {
            "link": str(params["link"]),
            "n_quad": int(params["n_quad"]),
            "alpha": params["alpha"],
            "max_iter": int(params["max_iter"]),
            "tol": params["tol"],
        },
        "fit_link": str(reg._fit_link),
        "fixed": _regression_to_dict(reg.fixed_),
        "thresholds": {
            "names": [str(i) for i in reg.thresholds_.index],
            "values": _floats(reg.thresholds_.to_numpy()),
        },
        "coef": {
            "names": [str(i) for i in reg.coef_.index],
            "values": _floats(reg.coef_.to_numpy()),
        },
        "log_sigma": _float(reg.params_["log_sigma"]),
        "sigma": _float(reg.sigma_),
        "sigma_se": _float(reg.sigma_se_),
        "sigma_ci": _floats(list(reg.sigma_ci_)),
        "icc": _float(reg.icc_),
        "se": _floats(reg.se_.to_numpy()),
        "cov": {
            "names": [str(i) for i in reg.cov_.index],
            "matrix": _floats(reg.cov_.to_numpy()),
        },
        "random_effects": {
            "groups": groups,
            "mode": _floats(effects["mode"].to_numpy()),
            "sd": _floats(effects["sd"].to_numpy()),
        },
        "n_groups": int(reg.n_groups_),
        "loglik": _float(reg.loglik_),
        "aic": _float(reg.aic_),
        "bic": _float(reg.bic_),
        "nobs": _float(reg.nobs_),
        "n_iter": int(reg.n_iter_),
        "converged": bool(reg.converged_),
        "max_abs_gradient": _float(reg.max_abs_gradient_),
    }


def _cut(value: Any, width: int = 80) -> str:
    """Text of an exception or value for a message, cut to ``width`` characters."""
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[:width] + "..."


def _check_classes(classes: np.ndarray, where: str) -> None:
    """Outcome levels: unique; numbers (and booleans) in increasing order."""
    import numpy as np

    values = classes.tolist()
    try:
        unique = len(set(values)) == len(values)
    except TypeError:
        unique = False
    if not unique:
        raise ModelFormatError(f"{where}: an outcome level is listed twice")
    if classes.dtype.kind in "biuf":
        if not np.isfinite(classes.astype(float)).all():
            raise ModelFormatError(f"{where}: expected finite outcome levels")
        if np.any(np.diff(classes.astype(float)) <= 0):
            raise ModelFormatError(
                f"{where}: expected the outcome levels in increasing order, got {_cut(values)}"
            )


def _increasing(values: Any, where: str) -> None:
    """Finite and strictly increasing (thresholds, class scores)."""
    values = [float(v) for v in values]
    _finite(values, where)
    for i, (a, b) in enumerate(itertools.pairwise(values), start=1):
        if b <= a:
            raise ModelFormatError(
                f"{where}: expected strictly increasing numbers, but [{i}] = {b!r} follows "
                f"{a!r} (thresholds must increase or probabilities fall outside [0, 1])"
            )


#: Tolerances of the covariance checks, relative to its largest absolute eigenvalue.
_SYMMETRY_TOL = 1e-8
_PSD_TOL = 1e-8


def _check_covariance(cov: np.ndarray, se: np.ndarray, where: str) -> None:
    """The covariance is symmetric and positive semi-definite, the standard errors are the
    square roots of its diagonal. An estimate without a covariance (an infinite estimate of a
    separated fit, or every estimate of a fit whose information could not be inverted) has
    NaN in its whole row and column and a NaN standard error."""
    import numpy as np

    if cov.shape[0] == 0:
        return
    masked = np.isnan(cov).all(axis=1)
    keep = np.flatnonzero(~masked)

    def refuse_entry(i: int, j: int) -> ModelFormatError:
        return ModelFormatError(
            f"{where}.cov.matrix[{i}][{j}]: expected a finite number, got "
            f"{float(cov[i, j])!r} (a covariance holds finite numbers, or NaN in the whole row "
            "and column of an estimate without one)"
        )

    block = cov[np.ix_(keep, keep)]
    if not np.isfinite(block).all():
        i, j = np.argwhere(~np.isfinite(block))[0]
        raise refuse_entry(int(keep[i]), int(keep[j]))
    stray = ~np.isnan(cov[:, masked])
    if stray.any():
        i, j = np.argwhere(stray)[0]
        raise refuse_entry(int(i), int(np.flatnonzero(masked)[j]))
    for i in np.flatnonzero(masked):
        if not np.isnan(se[i]):
            raise ModelFormatError(
                f"{where}.se[{i}]: expected NaN (its row of the covariance is NaN), got "
                f"{float(se[i])!r}"
            )
    if keep.size == 0:
        return
    se_kept = se[keep]
    bad = np.flatnonzero(~np.isfinite(se_kept) | (se_kept < 0))
    if bad.size:
        i = int(keep[bad[0]])
        raise ModelFormatError(
            f"{where}.se[{i}]: expected a finite number >= 0, got {float(se[i])!r}"
        )
    scale = float(np.max(np.abs(block)))
    asym = float(np.max(np.abs(block - block.T)))
    if asym > _SYMMETRY_TOL * max(scale, np.finfo(float).tiny):
        raise ModelFormatError(
            f"{where}.cov.matrix: expected a symmetric matrix, but entries differ from their "
            f"mirror by up to {asym:.3g}"
        )
    eig = np.linalg.eigvalsh((block + block.T) / 2)
    top = float(np.max(np.abs(eig)))
    if float(eig.min()) < -_PSD_TOL * top:
        raise ModelFormatError(
            f"{where}.cov.matrix: expected a positive semi-definite matrix, but it has the "
            f"eigenvalue {float(eig.min()):.3g} (largest {top:.3g})"
        )
    diag = np.abs(np.diag(block))
    off = np.abs(se_kept**2 - diag) > 1e-7 * diag + 2 * _PSD_TOL * top
    if off.any():
        k = int(np.flatnonzero(off)[0])
        raise ModelFormatError(
            f"{where}.se[{int(keep[k])}]: {float(se_kept[k])!r} is not the square root of the "
            f"covariance's diagonal ({float(np.sqrt(diag[k]))!r})"
        )


def _finite(values: Sequence[float], where: str, *, positive: bool = False) -> None:
    for i, v in enumerate(values):
        if not math.isfinite(v) or (positive and v <= 0):
            what = "a positive finite number" if positive else "a finite number"
            raise ModelFormatError(f"{where}[{i}]: expected {what}, got {v!r}")


def _any_regression_from_dict(
    data: Any, where: str, version: int
) -> OrdinalRegression | MixedOrdinalRegression:
    """A ``regression`` object: a version 1 regression, or (version 2) a random-intercept one."""
    if not isinstance(data, dict) or "type" not in data:
        return _regression_from_dict(data, where)
    if data["type"] != _MIXED:
        raise ModelFormatError(
            f"{where}.type is {_kind(data['type'])}; expected {_MIXED!r} (or no type)"
        )
    if version < 2:
        raise ModelFormatError(
            f"{where} is a random-intercept model, which needs format_version 2; the file says "
            f"{version}"
        )
    return _mixed_from_dict(data, where)


def _mixed_from_dict(data: Any, where: str = "regression") -> MixedOrdinalRegression:
    import numpy as np
    import pandas as pd

    from copfactors.models import LINKS, MixedOrdinalRegression

    r = _Reader(data, where)
    p = r.sub("params")
    link = p.text("link", choices=sorted(LINKS))
    n_quad = p.integer("n_quad", low=1)
    if n_quad > 50:
        raise ModelFormatError(f"{where}.params.n_quad: expected 1 to 50, got {n_quad}")
    alpha, tol = p.raw("alpha"), p.raw("tol")
    for key, value in (("alpha", alpha), ("tol", tol)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ModelFormatError(f"{where}.params.{key}: expected a number, got {_kind(value)}")
    if not 0 < alpha < 1:
        raise ModelFormatError(f"{where}.params.alpha: expected a number in (0, 1), got {alpha}")
    reg = MixedOrdinalRegression(
        link=link, n_quad=n_quad, alpha=alpha, max_iter=p.integer("max_iter"), tol=tol
    )
    fit_link = r.text("fit_link", choices=sorted(LINKS))
    if fit_link != link:
        raise ModelFormatError(f"{where}.fit_link {fit_link!r} differs from params.link {link!r}")

    fixed_raw = r.raw("fixed")
    if isinstance(fixed_raw, dict) and "type" in fixed_raw:
        raise ModelFormatError(f"{where}.fixed: expected a regression without a random intercept")
    fixed = _regression_from_dict(fixed_raw, f"{where}.fixed")
    if fixed._nominal_idx:
        raise ModelFormatError(
            f"{where}.fixed has nominal effects, which the fixed part of a random-intercept "
            "model never has"
        )
    if fixed._fit_link != link:
        raise ModelFormatError(
            f"{where}.fixed was fitted with link {fixed._fit_link!r}, not {link!r}"
        )
    J = len(fixed.classes_) - 1
    t = r.sub("thresholds")
    thr_names = t.texts("names", J)
    if thr_names != [str(i) for i in fixed.thresholds_.index]:
        raise ModelFormatError(f"{where}.thresholds.names must be those of {where}.fixed")
    thresholds = t.numbers("values", J)
    _increasing(thresholds, f"{where}.thresholds.values")
    co = r.sub("coef")
    names = [str(i) for i in fixed.coef_.index]
    if co.texts("names", len(names)) != names:
        raise ModelFormatError(f"{where}.coef.names must be the features of {where}.fixed")
    coef = co.numbers("values", len(names))
    _finite(coef, f"{where}.coef.values")

    log_sigma = r.number("log_sigma")
    if not math.isfinite(log_sigma):
        raise ModelFormatError(f"{where}.log_sigma: expected a finite number, got {log_sigma!r}")
    sigma = r.number("sigma")
    if not (math.isfinite(sigma) and sigma > 0):
        raise ModelFormatError(f"{where}.sigma: expected a positive finite number, got {sigma!r}")
    if not math.isclose(sigma, math.exp(log_sigma), rel_tol=1e-12):
        raise ModelFormatError(
            f"{where}.sigma ({sigma!r}) is not exp(log_sigma) (log_sigma {log_sigma!r})"
        )
    sigma_se = r.number("sigma_se")
    sigma_ci = r.numbers("sigma_ci", 2)
    icc = r.number("icc")
    if not 0 <= icc < 1:
        raise ModelFormatError(f"{where}.icc: expected a number in [0, 1), got {icc!r}")

    param_names = [*thr_names, *names, "log_sigma"]
    k = len(param_names)
    cv = r.sub("cov")
    if cv.texts("names", k) != param_names:
        raise ModelFormatError(
            f"{where}.cov.names must be the thresholds, coefficients and log_sigma in order"
        )
    cov = _matrix(cv.raw("matrix"), f"{where}.cov.matrix", k, k)
    se = np.asarray(r.numbers("se", k), dtype=float)
    _check_covariance(cov, se, where)
    if not (math.isnan(sigma_se) or (math.isfinite(sigma_se) and sigma_se >= 0)):
        raise ModelFormatError(
            f"{where}.sigma_se: expected a finite number >= 0 (or NaN), got {sigma_se!r}"
        )
    low, high = sigma_ci
    if not (math.isnan(low) or math.isnan(high)) and not 0 <= low <= high:
        raise ModelFormatError(
            f"{where}.sigma_ci: expected [low, high] with 0 <= low <= high, got {sigma_ci!r}"
        )

    n_groups = r.integer("n_groups", low=2)
    re = r.sub("random_effects")
    groups = re.raw("groups")
    if not isinstance(groups, list) or len(groups) != n_groups:
        raise ModelFormatError(
            f"{where}.random_effects.groups: expected a list of {n_groups} labels (n_groups), "
            f"got {_kind(groups)}"
        )
    for i, g in enumerate(groups):
        if not (isinstance(g, bool | int | str) or (isinstance(g, float) and math.isfinite(g))):
            raise ModelFormatError(
                f"{where}.random_effects.groups[{i}]: expected text or a number, got {_kind(g)}"
            )
    levels = {g: i for i, g in enumerate(groups)}
    if len(levels) != n_groups:
        raise ModelFormatError(f"{where}.random_effects.groups: a label is listed twice")
    modes = re.numbers("mode", n_groups)
    _finite(modes, f"{where}.random_effects.mode")
    sds = re.numbers("sd", n_groups)
    _finite(sds, f"{where}.random_effects.sd", positive=True)

    reg.fixed_ = fixed
    reg.classes_ = fixed.classes_
    reg._class_scores = fixed._class_scores
    reg._fit_link = fit_link
    names_in = getattr(fixed, "feature_names_in_", None)
    if names_in is not None:
        reg.feature_names_in_ = names_in
    reg.n_features_in_ = fixed.n_features_in_
    reg.thresholds_ = pd.Series(thresholds, index=thr_names, name="threshold", dtype=float)
    reg.coef_ = pd.Series(coef, index=names, name="coef", dtype=float)
    reg.params_ = pd.Series(
        [*thresholds, *coef, log_sigma], index=param_names, name="estimate", dtype=float
    )
    reg.cov_ = pd.DataFrame(cov, index=param_names, columns=param_names)
    reg.se_ = pd.Series(se, index=param_names, name="se")
    reg.sigma_ = sigma
    reg.sigma_se_ = sigma_se
    reg.sigma_ci_ = (sigma_ci[0], sigma_ci[1])
    reg.icc_ = icc
    reg.random_effects_ = pd.DataFrame(
        {"mode": np.asarray(modes, dtype=float), "sd": np.asarray(sds, dtype=float)},
        index=pd.Index(groups, name="group"),
    )
    reg._levels = levels
    reg.loglik_ = r.number("loglik")
    reg.nobs_ = r.number("nobs")
    reg.n_groups_ = n_groups
    reg.aic_ = r.number("aic")
    reg.bic_ = r.number("bic")
    reg.max_abs_gradient_ = r.number("max_abs_gradient")
    reg.n_iter_ = r.integer("n_iter")
    reg.converged_ = r.boolean("converged")
    return reg


# ---------------------------------------------------------------------------------------------
# builder <-> dict
# ---------------------------------------------------------------------------------------------
def _group_param(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    return [str(v) for v in value]


def _builder_to_dict(builder: CoPFeatureBuilder) -> dict[str, Any]:
    params = builder.get_params()
    specs = builder._specs
    groups = []
    for g in builder._groups:
        spec = specs[g.name]
        groups.append(
            {
                "name": g.name,
                "columns": [str(c) for c in spec["columns"]],
                "features": [str(f) for f in spec["features"]],
                "reference": spec["reference"],
            }
        )
    reliability = {}
    for name, res in builder.scale_reliability_.items():
        summary = res.summary.iloc[0]
        reliability[name] = {
            "summary": {
                col: (int(summary[col]) if col in ("n", "k") else _float(summary[col]))
                for col in res.summary.columns
            },
            "items": [
                {
                    col: (str(row[col]) if col == "item" else _float(row[col]))
                    for col in res.items.columns
                }
                for _, row in res.items.iterrows()
            ],
            "n_incomplete": int(res.n_incomplete),
            "reversed": [str(r) for r in res.reversed],
            "level": _float(res.level),
        }

    def fill(v: Any) -> Any:
        if v is None or isinstance(v, bool | str):
            return v
        if hasattr(v, "item") and not isinstance(v, float):
            v = v.item()
        if isinstance(v, bool):
            return v
        return _float(v)

    document: dict[str, Any] = {
        "params": {
            "missing": str(params["missing"]),
            "hours_log1p": bool(params["hours_log1p"]),
            "commitment": str(params["commitment"]),
            "include": _group_param(params["include"]),
            "exclude": _group_param(params["exclude"]),
        },
        "groups": groups,
        "feature_names_out": [str(f) for f in builder.feature_names_out_],
        "fill_values": {k: fill(v) for k, v in builder.fill_values_.items()},
        "reference_levels": {str(k): str(v) for k, v in builder.reference_levels_.items()},
        "feature_names_in": [str(c) for c in builder.feature_names_in_],
        "n_features_in": int(builder.n_features_in_),
        "n_rows_dropped": int(builder.n_rows_dropped_),
        "report": [
            {col: str(row[col]) for col in builder.report_.columns}
            for _, row in builder.report_.iterrows()
        ],
        "missing_report": [
            {
                "column": str(row["column"]),
                "n_missing": int(row["n_missing"]),
                "action": str(row["action"]),
                "fill_value": fill(row["fill_value"]),
            }
            for _, row in builder.missing_report_.iterrows()
        ],
        "scale_reliability": reliability,
    }
    extra_groups = getattr(builder, "extra_groups_", {})
    if params.get("extra") is not None:
        # written only when used, so files of builders without them stay as they were
        document["params"]["extra"] = _group_param(params["extra"])
        document["extra_groups"] = {
            str(name): {
                "kind": str(info["kind"]),
                "levels": [str(v) for v in info["levels"]],
                "typical": info.get("typical"),
            }
            for name, info in extra_groups.items()
        }
    if params.get("formula") is not None:
        # the formula as text and its state (levels, center/scale) as data: never code
        document["params"]["formula"] = str(params["formula"])
        document["formula"] = builder.formula_state()
    return document


def _builder_from_dict(data: Any, where: str = "builder") -> CoPFeatureBuilder:
    import numpy as np
    import pandas as pd

    from copfactors.features import CoPFeatureBuilder, ReliabilityResult, missing_frame

    r = _Reader(data, where)
    p = r.sub("params")
    kwargs: dict[str, Any] = {
        "missing": p.text("missing", choices=("drop", "impute")),
        "hours_log1p": p.boolean("hours_log1p"),
        "commitment": p.text("commitment", choices=("mean", "items")),
    }
    for key in ("include", "exclude"):
        v = p.raw(key)
        if not (
            v is None
            or isinstance(v, str)
            or (isinstance(v, list) and all(isinstance(s, str) for s in v))
        ):
            raise ModelFormatError(
                f"{where}.params.{key}: expected null, a group name or a list, got {_kind(v)}"
            )
        kwargs[key] = v
    # your own variables (extra=): optional, absent from files written before they existed
    extra = p.raw("extra") if "extra" in (data.get("params") or {}) else None
    if not (
        extra is None
        or isinstance(extra, str)
        or (isinstance(extra, list) and all(isinstance(s, str) for s in extra))
    ):
        raise ModelFormatError(
            f"{where}.params.extra: expected null, a column name or a list, got {_kind(extra)}"
        )
    kwargs["extra"] = extra
    # your own model (formula=): optional, absent from files written before it existed
    formula = p.raw("formula") if "formula" in (data.get("params") or {}) else None
    if formula is not None and not isinstance(formula, str):
        raise ModelFormatError(
            f"{where}.params.formula: expected null or text, got {_kind(formula)}"
        )
    kwargs["formula"] = formula
    builder = CoPFeatureBuilder(**kwargs)
    try:
        selected = builder._selected_groups()
        extra_names = builder._extra_names(selected)
    except FeatureError as err:
        raise ModelFormatError(f"{where}.params: {err}") from err
    extra_raw = data.get("extra_groups", {}) if isinstance(data, dict) else {}
    if not isinstance(extra_raw, dict) or sorted(extra_raw) != sorted(extra_names):
        raise ModelFormatError(
            f"{where}.extra_groups: expected one entry for each of params.extra {extra_names}"
        )
    extra_groups: dict[str, dict[str, Any]] = {}
    for name in extra_names:
        er = _Reader(extra_raw[name], f"{where}.extra_groups.{name}")
        kind = er.text("kind", choices=("number", "boolean", "category"))
        levels = er.texts("levels")
        if kind == "category" and (not levels or len(set(levels)) != len(levels)):
            raise ModelFormatError(
                f"{where}.extra_groups.{name}.levels: expected distinct levels, got {levels}"
            )
        typical = extra_raw[name].get("typical") if isinstance(extra_raw[name], dict) else None
        if typical is not None and not (
            (kind == "number" and isinstance(typical, int | float) and not isinstance(typical, bool)
             and math.isfinite(typical))
            or (kind == "boolean" and isinstance(typical, bool))
            or (kind == "category" and typical in levels)
        ):  # fmt: skip
            raise ModelFormatError(
                f"{where}.extra_groups.{name}.typical: expected a value of kind {kind!r}"
                + (f" among {levels}" if kind == "category" else "")
                + f", got {typical!r}"
            )
        extra_groups[name] = {"kind": kind, "levels": levels, "typical": typical}
        selected.append(builder._extra_group(name, kind, levels))
    by_name = {g.name: g for g in selected}

    raw_groups = r.raw("groups")
    if not isinstance(raw_groups, list):
        raise ModelFormatError(f"{where}.groups: expected a list, got {_kind(raw_groups)}")
    specs: dict[str, dict[str, Any]] = {}
    features: list[str] = []
    for i, item in enumerate(raw_groups):
        gr = _Reader(item, f"{where}.groups[{i}]")
        name = gr.text("name")
        if name not in by_name or name in specs:
            raise ModelFormatError(
                f"{where}.groups[{i}].name {name!r} is not a feature group of these settings "
                "(or is listed twice)"
            )
        group = by_name[name]
        columns = gr.texts("columns")
        if not columns or any(c not in group.columns for c in columns):
            raise ModelFormatError(
                f"{where}.groups[{i}].columns {columns} are not columns of group {name!r} "
                f"({', '.join(group.columns)})"
            )
        feats = gr.texts("features")
        reference = gr.text("reference", optional=True)
        if group.kind == "category":
            if reference not in group.levels:
                raise ModelFormatError(
                    f"{where}.groups[{i}].reference {reference!r} is not a level of {name!r}"
                )
            allowed = {f"{group.prefix}_{lv}" for lv in group.levels if lv != reference}
        else:
            fname = "log1p_" + name if group.kind == "hours" and kwargs["hours_log1p"] else name
            allowed = {fname}
        if not feats or any(f not in allowed for f in feats):
            raise ModelFormatError(
                f"{where}.groups[{i}].features {feats} are not features group {name!r} can build"
            )
        specs[name] = {"columns": tuple(columns), "features": feats, "reference": reference}
        features.extend(feats)
    order = [g.name for g in selected if g.name in specs]
    if order != list(specs):
        raise ModelFormatError(f"{where}.groups are not in the builder's output order")
    names_out = r.texts("feature_names_out")
    if formula is None and names_out != features:
        raise ModelFormatError(
            f"{where}.feature_names_out {names_out} do not match the groups' features {features}"
        )
    fills_raw = r.raw("fill_values")
    if not isinstance(fills_raw, dict):
        raise ModelFormatError(f"{where}.fill_values: expected an object, got {_kind(fills_raw)}")
    fills: dict[str, Any] = {}
    for name, value in fills_raw.items():
        if name not in specs:
            raise ModelFormatError(f"{where}.fill_values names an unknown group {name!r}")
        group = by_name[name]
        path = f"{where}.fill_values.{name}"
        if group.kind == "category":
            if value not in group.levels:
                raise ModelFormatError(f"{path}: {value!r} is not a level of {name!r}")
        elif group.kind == "boolean":
            if not isinstance(value, bool):
                raise ModelFormatError(f"{path}: expected true or false, got {_kind(value)}")
        else:
            value = _number(value, path)
        fills[name] = value
    if kwargs["missing"] == "impute" and set(fills) != set(specs):
        raise ModelFormatError(
            f"{where}.fill_values must give a value for every group built with missing='impute'"
        )
    refs_raw = r.raw("reference_levels")
    expected_refs = {
        name: spec["reference"] for name, spec in specs.items() if by_name[name].kind == "category"
    }
    if refs_raw != expected_refs:
        raise ModelFormatError(f"{where}.reference_levels do not match the groups' references")
    names_in = r.texts("feature_names_in")
    n_in = r.integer("n_features_in")
    if len(names_in) != n_in:
        raise ModelFormatError(
            f"{where}.feature_names_in has {len(names_in)} names but n_features_in is {n_in}"
        )

    report_raw = r.raw("report")
    if not isinstance(report_raw, list):
        raise ModelFormatError(f"{where}.report: expected a list, got {_kind(report_raw)}")
    report_rows = []
    for i, item in enumerate(report_raw):
        rr = _Reader(item, f"{where}.report[{i}]")
        report_rows.append(
            {k: rr.text(k) for k in ("group", "columns", "status", "features", "note")}
        )
    missing_raw = r.raw("missing_report")
    if not isinstance(missing_raw, list):
        raise ModelFormatError(f"{where}.missing_report: expected a list, got {_kind(missing_raw)}")
    missing_rows = []
    for i, item in enumerate(missing_raw):
        mr = _Reader(item, f"{where}.missing_report[{i}]")
        fv = mr.raw("fill_value")
        if (isinstance(fv, int | float) and not isinstance(fv, bool)) or (
            isinstance(fv, str) and fv in _NONFINITE
        ):
            fv = _number(fv, f"{where}.missing_report[{i}].fill_value")
        elif not (fv is None or isinstance(fv, bool | str)):
            raise ModelFormatError(
                f"{where}.missing_report[{i}].fill_value: unexpected {_kind(fv)}"
            )
        missing_rows.append(
            {
                "column": mr.text("column"),
                "n_missing": mr.integer("n_missing"),
                "action": mr.text("action"),
                "fill_value": fv,
            }
        )
    rel_raw = r.raw("scale_reliability")
    if not isinstance(rel_raw, dict):
        raise ModelFormatError(
            f"{where}.scale_reliability: expected an object, got {_kind(rel_raw)}"
        )
    reliability = {}
    for name, item in rel_raw.items():
        path = f"{where}.scale_reliability.{name}"
        rr = _Reader(item, path)
        s = rr.sub("summary")
        summary_cols = [
            "alpha", "alpha_std", "alpha_ci_low", "alpha_ci_high", "alpha_se",
            "omega_total", "n", "k", "mean", "sd",
        ]  # fmt: skip
        summary = {
            col: (s.integer(col) if col in ("n", "k") else s.number(col)) for col in summary_cols
        }
        items_raw = rr.raw("items")
        if not isinstance(items_raw, list):
            raise ModelFormatError(f"{path}.items: expected a list, got {_kind(items_raw)}")
        items = []
        for i, it in enumerate(items_raw):
            ir = _Reader(it, f"{path}.items[{i}]")
            items.append(
                {
                    "item": ir.text("item"),
                    **{
                        col: ir.number(col)
                        for col in ("r", "r_drop", "alpha_if_deleted", "loading", "mean", "sd")
                    },
                }
            )
        level = rr.number("level")
        reliability[name] = ReliabilityResult(
            summary=pd.DataFrame([summary], columns=summary_cols),
            items=pd.DataFrame(
                items,
                columns=["item", "r", "r_drop", "alpha_if_deleted", "loading", "mean", "sd"],
            ),
            scores=pd.Series([], dtype=float, name="score"),
            n_incomplete=rr.integer("n_incomplete"),
            reversed=tuple(rr.texts("reversed")),
            level=level,
        )

    builder.report_ = pd.DataFrame(
        report_rows, columns=["group", "columns", "status", "features", "note"]
    )
    builder.missing_report_ = missing_frame(missing_rows)
    builder.n_rows_dropped_ = r.integer("n_rows_dropped")
    builder.fill_values_ = fills
    builder.reference_levels_ = expected_refs
    builder.feature_names_out_ = np.asarray(features, dtype=object)
    builder.n_features_in_ = n_in
    builder.feature_names_in_ = np.asarray(names_in, dtype=object)
    builder._specs = specs
    builder._groups = [by_name[name] for name in order]
    builder.transform_missing_report_ = missing_frame([])
    builder.scale_reliability_ = reliability
    builder.extra_groups_ = extra_groups
    builder._formula_spec = None
    builder.formula_columns_ = []
    if formula is not None:
        try:  # checks the formula against the allow-list before formulaic reads it
            builder._restore_formula(data.get("formula"))
        except FeatureError as err:
            raise ModelFormatError(f"{where}.{err}") from None
        available = [*features, *extra_names]
        unknown = [c for c in builder.formula_columns_ if c not in available]
        if unknown:
            raise ModelFormatError(
                f"{where}.formula reads column(s) {unknown} that the builder neither builds nor "
                "takes as extra columns"
            )
        if [str(c) for c in builder.feature_names_out_] != names_out:
            raise ModelFormatError(
                f"{where}.feature_names_out {names_out} do not match the formula's design "
                f"columns {builder.feature_names_out_.tolist()}"
            )
    return builder


# ---------------------------------------------------------------------------------------------
# save and load
# ---------------------------------------------------------------------------------------------
def _document(model: Any, created: str | None) -> dict[str, Any]:
    from copfactors import __version__
    from copfactors.features import CoPFeatureBuilder
    from copfactors.models import MixedOrdinalRegression, OrdinalRegression

    if isinstance(model, AttainmentModel):
        kind = "attainment-model"
        reg = model.regression
        if not isinstance(model.builder, CoPFeatureBuilder):
            raise CopFactorsError(
                f"the model's builder is a {type(model.builder).__name__}, not a CoPFeatureBuilder"
            )
        if not hasattr(model.builder, "feature_names_out_"):
            raise NotFittedError("the model's feature builder is not fitted")
    elif isinstance(model, OrdinalRegression):
        kind = "ordinal-regression"
        reg = model
    elif isinstance(model, MixedOrdinalRegression):
        kind = _MIXED
        reg = model
    else:
        raise CopFactorsError(
            "save_model saves an AttainmentModel, an OrdinalRegression or a "
            f"MixedOrdinalRegression, got {type(model).__name__}"
        )
    mixed = isinstance(reg, MixedOrdinalRegression)
    if not (mixed or isinstance(reg, OrdinalRegression)):
        raise CopFactorsError(
            f"the model's regression is a {type(reg).__name__}, not an OrdinalRegression or a "
            "MixedOrdinalRegression"
        )
    if not hasattr(reg, "thresholds_"):
        raise NotFittedError(f"the {type(reg).__name__} is not fitted; fit it before saving")
    if created is None:
        created = _dt.datetime.now(_dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    doc: dict[str, Any] = {
        "format": FORMAT,
        # the lowest version that holds the model, so that older copfactors read what they can
        "format_version": 2 if mixed else 1,
        "library_version": __version__,
        "created": str(created),
        "kind": kind,
        "regression": _mixed_to_dict(reg) if mixed else _regression_to_dict(reg),
    }
    if isinstance(model, AttainmentModel):
        doc["builder"] = _builder_to_dict(model.builder)
        doc["training"] = _plain(model.training, "training")
    elif getattr(reg, "_formula_spec", None) is not None:
        from copfactors.formula import formula_state

        doc["formula"] = formula_state(reg)
    doc = _plain(doc, "model")
    doc["checksum"] = {"algorithm": "sha256", "value": _checksum(doc)}
    return doc


def save_model(
    model: AttainmentModel | OrdinalRegression | MixedOrdinalRegression,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    created: str | None = None,
) -> Path:
    """Write a fitted model to a JSON model file (see the module docs for the format).

    The file is written atomically: to a temporary file in the same folder, then moved into
    place, so a reader never sees half a file and a failed write leaves nothing behind.

    Parameters
    ----------
    model : AttainmentModel, OrdinalRegression or MixedOrdinalRegression
        A fitted model. A random-intercept model is written in format version 2, any other
        in version 1.
    path : str or path-like
        File to write (``.json`` by convention). Its folder must exist.
    overwrite : bool, default False
        Replace an existing file. Without it an existing file is left alone and
        :class:`~copfactors.errors.OutputExistsError` is raised.
    created : str, optional
        The ``created`` timestamp to record; by default the current UTC time. Give a fixed
        value for files that must be reproducible byte for byte.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    copfactors.errors.OutputExistsError
        The file exists and ``overwrite`` is False.
    copfactors.errors.NotFittedError
        The model is not fitted.
    copfactors.errors.CopFactorsError
        The model holds something a model file cannot (the folder is missing, an outcome
        level or a training summary value is not plain JSON, ...).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from copfactors.models import OrdinalRegression
    >>> from copfactors.persist import load_model, save_model
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(200, 1))
    >>> y = np.digitize(x[:, 0] + rng.logistic(size=200), [-1.0, 1.0])
    >>> m = OrdinalRegression().fit(x, y)
    >>> path = save_model(m, pathlib.Path(tempfile.mkdtemp()) / "m.json")
    >>> bool(np.array_equal(load_model(path).predict_proba(x), m.predict_proba(x)))
    True
    """
    path = Path(path)
    doc = _document(model, created)
    text = _format_json(doc) + "\n"
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise CopFactorsError(f"cannot write {path}: folder {folder} does not exist")
    if path.is_dir():
        raise CopFactorsError(f"cannot write {path}: it is a folder")
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} exists; pass overwrite=True (--overwrite) to replace it")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(tmp, mode)
        if overwrite:
            os.replace(tmp, path)
        else:
            # a hard link fails if the name was taken in the meantime, where os.replace would
            # silently replace the other file
            try:
                os.link(tmp, path)
            except FileExistsError as err:
                raise OutputExistsError(
                    f"{path} exists; pass overwrite=True (--overwrite) to replace it"
                ) from err
            except OSError:
                if path.exists():
                    raise OutputExistsError(
                        f"{path} exists; pass overwrite=True (--overwrite) to replace it"
                    ) from None
                os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return path


_PICKLE_HINT = (
    "it looks like a Python pickle (or joblib file); copfactors never loads pickles, because "
    "loading one can run arbitrary code. Save models with copfactors.save_model"
)


def _read_document(path: Path, max_bytes: int = MAX_MODEL_BYTES) -> dict[str, Any]:
    raw = read_limited(path, max_bytes=max_bytes, error=ModelFormatError, what="model file")
    if not raw.strip():
        raise ModelFormatError(f"model file {path} is empty")
    head = raw.lstrip()[:1]
    # binary pickles start with the PROTO opcode; text ones (protocols 0 and 1) end with STOP
    if raw[:1] == b"\x80" or (head not in (b"{", b"[") and raw.rstrip().endswith(b".")):
        raise ModelFormatError(f"{path} is not a copfactors model file: {_PICKLE_HINT}")
    if raw[:4] == b"PK\x03\x04":
        raise ModelFormatError(
            f"{path} is not a copfactors model file: it is a zip archive, not JSON"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelFormatError(
            f"{path} is not a copfactors model file: it is not UTF-8 text (a model file is JSON)"
        ) from None

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise ModelFormatError(f"{path} is not a valid model file: key {key!r} repeated")
            out[key] = value
        return out

    def no_constants(name: str) -> Any:
        raise ModelFormatError(
            f"{path} is not a valid model file: it holds the bare token {name}, which JSON does "
            'not allow (model files write "NaN", "Infinity" as text)'
        )

    def integer(digits: str) -> int:
        value = int(digits) if len(digits) <= MAX_INT_CHARS else None
        if value is None or abs(value) > MAX_INT:
            raise ModelFormatError(
                f"{path} is not a valid model file: it holds an integer of {len(digits)} digits, "
                f"beyond the {MAX_INT} a model file may hold"
            )
        return value

    def number(digits: str) -> float:
        value = float(digits)
        if not math.isfinite(value):
            raise ModelFormatError(
                f"{path} is not a valid model file: the number {_cut(digits, 40)} is too large "
                'for a float (model files write "Infinity" as text)'
            )
        return value

    try:
        doc = json.loads(
            text,
            object_pairs_hook=no_duplicates,
            parse_constant=no_constants,
            parse_int=integer,
            parse_float=number,
        )
    except json.JSONDecodeError as err:
        stripped = text.strip()
        if err.pos >= len(text.rstrip()) or (
            stripped.startswith("{") and not stripped.endswith("}")
        ):
            raise ModelFormatError(
                f"{path} is truncated: the JSON ends before it is complete ({err.msg}); the "
                "file was cut short while being copied or written"
            ) from None
        raise ModelFormatError(
            f"{path} is not a copfactors model file: not valid JSON ({err.msg} at line "
            f"{err.lineno}, column {err.colno})"
        ) from None
    except RecursionError:
        raise ModelFormatError(
            f"{path} is not a copfactors model file: nested too deeply"
        ) from None
    check_depth(
        doc,
        max_depth=_MAX_MODEL_DEPTH,
        error=ModelFormatError,
        source=f"{path} is not a copfactors model file: it",
    )
    try:
        # a JSON escape such as "\ud800" decodes to a lone surrogate, which no UTF-8 text holds
        json.dumps(doc, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as err:
        raise ModelFormatError(
            f"{path} is not a valid model file: it holds a text with an unpaired surrogate "
            f"escape ({err.object[err.start : err.end]!a}), which is not a character"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        what = (
            f"its 'format' is {short(found)}"
            if isinstance(doc, dict) and "format" in doc
            else "it has no 'format' key"
            if isinstance(doc, dict)
            else f"it holds {_kind(doc)}, not an object"
        )
        raise ModelFormatError(
            f"{path} is not a copfactors model file: {what} (expected {FORMAT!r})"
        )
    version = doc.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ModelFormatError(
            f"{path}: format_version must be a positive integer, got {_kind(version)}"
        )
    if version > FORMAT_VERSION:
        from copfactors import __version__

        writer = doc.get("library_version")
        by = f" by copfactors {writer}" if isinstance(writer, str) else ""
        raise ModelFormatError(
            f"{path} was written in model format version {version}{by}; this copfactors "
            f"({__version__}) reads format versions up to {FORMAT_VERSION}: upgrade copfactors "
            "to load it"
        )
    checksum = doc.get("checksum")
    if (
        not isinstance(checksum, dict)
        or checksum.get("algorithm") != "sha256"
        or not isinstance(checksum.get("value"), str)
    ):
        raise ModelFormatError(
            f"{path} has no valid checksum (expected {{'algorithm': 'sha256', 'value': ...}})"
        )
    actual = _checksum(doc)
    if actual != checksum["value"]:
        raise ModelFormatError(
            f"{path}: checksum mismatch: the content was edited or damaged after it was "
            f"written (stored sha256 {checksum['value'][:12]}..., content {actual[:12]}...)"
        )
    return doc


def _restore_formula(regression: Any, state: Any) -> None:
    from copfactors.errors import ParameterError
    from copfactors.formula import restore_formula

    try:
        restore_formula(regression, state)
    except ParameterError as err:
        raise ModelFormatError(f"formula: {err}") from None


def load_model(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = MAX_MODEL_BYTES,
) -> AttainmentModel | OrdinalRegression | MixedOrdinalRegression:
    """Read a model file written by :func:`save_model`.

    Only :func:`json.loads` reads the file; the model is then rebuilt field by field, so
    loading cannot execute code from the file.

    Parameters
    ----------
    path : str or path-like
    max_bytes : int, default 50_000_000
        Largest file read, in bytes, checked before reading (a model file of the reference
        model's size is about 30 kB; raise it for a model of very many CoPs or features).

    Returns
    -------
    AttainmentModel, OrdinalRegression or MixedOrdinalRegression
        The type that was saved. A loaded ``OrdinalRegression`` predicts and summarises exactly
        as the saved one; it does not hold the training rows, so ``nominal_test`` and
        ``brant_test`` (which refit on them) raise. A loaded ``MixedOrdinalRegression``
        predicts exactly as the saved one, marginally (a new CoP) and conditionally on each
        training CoP's mode.

    Raises
    ------
    copfactors.errors.ModelFormatError
        If the file is missing, empty, truncated, not JSON, a pickle, a foreign JSON file, of a
        newer format version, edited after it was written (checksum mismatch) or inconsistent;
        the message says which.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from copfactors.persist import load_model
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "other.json"
    >>> _ = bad.write_text('{"format": "something-else"}')
    >>> load_model(bad)
    Traceback (most recent call last):
    ...
    copfactors.errors.ModelFormatError: ... is not a copfactors model file: its 'format' is \
'something-else' (expected 'copfactors-model')
    """
    path = Path(path)
    doc = _read_document(path, max_bytes)
    r = _Reader(doc, "")
    kind = r.text("kind", choices=_KINDS)
    try:
        regression = _any_regression_from_dict(
            doc.get("regression"), "regression", doc["format_version"]
        )
        is_mixed = hasattr(regression, "random_effects_")
        if kind == _MIXED and not is_mixed:
            raise ModelFormatError(
                f"kind is {_MIXED!r} but the regression has no random intercept (no type)"
            )
        if kind == "ordinal-regression" and is_mixed:
            raise ModelFormatError(
                "kind is 'ordinal-regression' but the regression is a random-intercept model"
            )
        if kind != "attainment-model":
            if "formula" in doc:
                _restore_formula(regression, doc["formula"])
            return regression
        builder = _builder_from_dict(doc.get("builder"), "builder")
        training = doc.get("training")
        if not isinstance(training, dict):
            raise ModelFormatError(f"training: expected an object, got {_kind(training)}")
        names_out = [str(f) for f in builder.feature_names_out_]
        names_in = getattr(regression, "feature_names_in_", None)
        if names_in is None or [str(c) for c in names_in] != names_out:
            raise ModelFormatError(
                f"the regression's features do not match the builder's features ({names_out})"
            )
    except ModelFormatError as err:
        raise ModelFormatError(f"{path}: {err}") from None
    return AttainmentModel(builder, regression, training)
