"""Exceptions and warnings raised by copfactors.

Every error the library raises on bad input is a :class:`CopFactorsError`, so callers can catch
one type; the subclasses say what kind of input was wrong and their messages name the file,
column, row or value at fault and what was expected.

Examples
--------
>>> import pandas as pd
>>> from copfactors.errors import SchemaError
>>> problems = pd.DataFrame(
...     {"column": ["gender"], "row": [3], "value": ["x"], "problem": ["not an allowed value"]}
... )
>>> err = SchemaError(problems)
>>> err.problems.loc[0, "column"]
'gender'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "ConvergenceWarning",
    "CopFactorsError",
    "CopFactorsWarning",
    "DataFormatError",
    "FeatureError",
    "MappingError",
    "ModelFormatError",
    "ModelInputError",
    "NotFittedError",
    "OutputExistsError",
    "ParameterError",
    "ParameterKeyError",
    "ParameterTypeError",
    "PerfectSeparationWarning",
    "PlanError",
    "ReadinessError",
    "ScaleError",
    "SchemaError",
    "SimulatedDataWarning",
]


class CopFactorsError(Exception):
    """Base class of every error copfactors raises on bad input or misuse."""


class SchemaError(CopFactorsError, ValueError):
    """A survey does not follow the codebook.

    Parameters
    ----------
    problems : pandas.DataFrame
        Every problem found, one per row, with columns ``column``, ``row`` (1-based data row, or
        missing for a problem of the whole column), ``value`` and ``problem``, and possibly
        ``line``: the line of the file (or row of the sheet) that the user sees, header rows
        and skipped lines counted.
    source : str, optional
        The file the survey came from, named in the message.
    max_lines : int, default 20
        How many problems the message lists.
    line_name : str, default "line"
        What a ``line`` is called in the message (``"sheet row"`` for spreadsheets).
    """

    #: Columns of :attr:`problems` (``line`` follows ``row`` when the file has lines).
    COLUMNS = ("column", "row", "value", "problem")

    def __init__(
        self,
        problems: pd.DataFrame,
        source: str | None = None,
        max_lines: int = 20,
        line_name: str = "line",
    ):
        self.problems = problems.reset_index(drop=True)
        self.source = source
        self.line_name = line_name
        n = len(self.problems)
        where = f" in {source}" if source else ""
        head = f"{n} problem{'s' if n != 1 else ''} with the survey{where}:"
        lines = []
        has_line = "line" in self.problems.columns
        for rec in self.problems.head(max_lines).itertuples(index=False):
            row = "" if _isna(rec.row) else f", row {int(rec.row)}"
            if row and has_line and not _isna(rec.line):
                row += f" ({line_name} {int(rec.line)})"
            value = "" if _isna(rec.value) else f", value {rec.value!r}"
            lines.append(f"  - column {rec.column!r}{row}{value}: {rec.problem}")
        if n > max_lines:
            lines.append(f"  ... and {n - max_lines} more (see the .problems DataFrame)")
        super().__init__("\n".join([head, *lines]))


def _isna(value: object) -> bool:
    if value is None or type(value).__name__ == "NAType":  # pandas.NA without importing pandas
        return True
    try:
        return bool(value != value)  # NaN is the only value unequal to itself
    except (TypeError, ValueError):
        return False


class DataFormatError(CopFactorsError, ValueError):
    """A file cannot be read as a survey (extension, encoding, delimiter, corrupt content)."""


class MappingError(CopFactorsError, ValueError):
    """A survey mapping (export columns to codebook variables) is invalid or does not fit.

    Raised by :func:`copfactors.mapping.load_mapping` for an unknown target, two columns on one
    variable, a recoded value the variable does not allow or a field of the wrong type, and by
    :meth:`~copfactors.mapping.SurveyMapping.apply` for a mapped column the table lacks. The
    message names the entry (the source column) and what was expected.

    Examples
    --------
    >>> from copfactors.errors import MappingError
    >>> issubclass(MappingError, ValueError)
    True
    """


class ModelFormatError(CopFactorsError, ValueError):
    """A model file is truncated, edited, foreign, of a newer format or otherwise unreadable."""


class NotFittedError(CopFactorsError, ValueError, AttributeError):
    """A model was used before ``fit``.

    Also a subclass of scikit-learn's expectations (``ValueError`` and ``AttributeError``).
    """


class ModelInputError(CopFactorsError, ValueError):
    """Data or arguments given to a model's ``fit`` or ``predict`` are invalid.

    The message names the column, outcome level or count at fault. It is also a
    ``ValueError``, as scikit-learn expects of estimators given bad input.
    """


class ParameterError(CopFactorsError, ValueError):
    """An argument is not one of the allowed values, or is out of range.

    The message names the argument, the value given and what is allowed.

    Examples
    --------
    >>> from copfactors.errors import ParameterError
    >>> try:
    ...     raise ParameterError("style must be one of ('text', 'html'), got 'pdf'")
    ... except ValueError as err:
    ...     print(err)
    style must be one of ('text', 'html'), got 'pdf'
    """


class ParameterTypeError(ParameterError, TypeError):
    """An argument is of the wrong type (also a ``TypeError``).

    Examples
    --------
    >>> from copfactors.errors import ParameterTypeError
    >>> issubclass(ParameterTypeError, TypeError)
    True
    """


class ParameterKeyError(ParameterError, KeyError):
    """A name looked up (a codebook variable, ...) does not exist (also a ``KeyError``).

    Unlike a plain ``KeyError``, its message is shown as written, without quotes.

    Examples
    --------
    >>> from copfactors.errors import ParameterKeyError
    >>> print(ParameterKeyError("'x' is not a codebook variable"))
    'x' is not a codebook variable
    """

    def __str__(self) -> str:
        return Exception.__str__(self)


class OutputExistsError(CopFactorsError, FileExistsError):
    """An output file exists and replacing it was not asked for (``overwrite=True``)."""


class PlanError(CopFactorsError, ValueError):
    """A planned CoP description has invalid fields."""


class ReadinessError(CopFactorsError, ValueError):
    """A survey does not support an analysis that was required of it.

    Raised by :meth:`copfactors.preflight.Readiness.require`; the message names each required
    analysis the survey does not support and why (a missing column, too few answers, ...).

    Examples
    --------
    >>> from copfactors.errors import ReadinessError
    >>> try:
    ...     raise ReadinessError("the survey does not support: model (no att_ column)")
    ... except ValueError as err:
    ...     print(err)
    the survey does not support: model (no att_ column)
    """


class FeatureError(CopFactorsError, ValueError):
    """Driver features or outcomes cannot be built from the data or options given.

    For example an unknown feature group, a column the fitted builder needs that is missing, or
    values outside what the codebook allows.
    """


class ScaleError(FeatureError):
    """A multi-item scale cannot be scored or its reliability computed (too few items, items
    that are all missing, constant or not numeric)."""


class CopFactorsWarning(UserWarning):
    """Base class of copfactors' warnings."""


class ConvergenceWarning(CopFactorsWarning):
    """An iterative fit stopped before meeting its convergence criterion."""


class PerfectSeparationWarning(CopFactorsWarning):
    """A predictor (quasi-)completely separates outcome levels; its estimate is unreliable."""


class SimulatedDataWarning(CopFactorsWarning):
    """A result rests on simulated, not real, survey data."""
