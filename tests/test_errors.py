"""copfactors.errors: the exception hierarchy and SchemaError's problem table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from copfactors import errors


@pytest.mark.parametrize(
    "cls",
    [errors.SchemaError, errors.DataFormatError, errors.ModelFormatError, errors.PlanError],
)
def test_errors_are_copfactors_and_value_errors(cls):
    assert issubclass(cls, errors.CopFactorsError)
    assert issubclass(cls, ValueError)


@pytest.mark.parametrize(
    "cls",
    [errors.ConvergenceWarning, errors.PerfectSeparationWarning, errors.SimulatedDataWarning],
)
def test_warnings_are_user_warnings(cls):
    assert issubclass(cls, errors.CopFactorsWarning)
    assert issubclass(cls, UserWarning)


def test_schema_error_message_lists_every_problem():
    problems = pd.DataFrame(
        {
            "column": ["gender", "commitment_1", "respondent_id"],
            "row": [2, 5, np.nan],
            "value": ["x", 6, None],
            "problem": ["not one of woman, man", "expected 1 to 5", "column is missing"],
        }
    )
    err = errors.SchemaError(problems, source="survey.csv")
    text = str(err)
    assert text.startswith("3 problems with the survey in survey.csv")
    assert "column 'gender', row 2, value 'x': not one of woman, man" in text
    assert "column 'respondent_id': column is missing" in text
    assert list(err.problems.columns) == ["column", "row", "value", "problem"]


def test_schema_error_message_is_capped_but_table_is_full():
    problems = pd.DataFrame(
        {"column": ["a"] * 50, "row": range(1, 51), "value": [0] * 50, "problem": ["bad"] * 50}
    )
    err = errors.SchemaError(problems, max_lines=5)
    assert len(err.problems) == 50
    assert "and 45 more" in str(err)


def test_schema_error_message_accepts_pandas_na_rows():
    problems = pd.DataFrame(
        {
            "column": ["cop_id", "gender"],
            "row": pd.array([pd.NA, 4], dtype="Int64"),
            "value": [pd.NA, "x"],
            "problem": ["column is empty", "not allowed"],
        }
    )
    text = str(errors.SchemaError(problems))
    assert "column 'cop_id': column is empty" in text
    assert "column 'gender', row 4, value 'x': not allowed" in text


def test_parameter_error_is_copfactors_and_value_error():
    assert issubclass(errors.ParameterError, errors.CopFactorsError)
    assert issubclass(errors.ParameterError, ValueError)
    assert issubclass(errors.ParameterTypeError, errors.ParameterError)
    assert issubclass(errors.ParameterTypeError, TypeError)
    assert issubclass(errors.ParameterKeyError, errors.ParameterError)
    assert issubclass(errors.ParameterKeyError, KeyError)
    assert str(errors.ParameterKeyError("'x' is not a codebook variable")) == (
        "'x' is not a codebook variable"
    )


def test_model_input_error_is_defined_in_errors():
    import copfactors.models
    from copfactors.models import _validation

    assert errors.ModelInputError.__module__ == "copfactors.errors"
    assert copfactors.models.ModelInputError is errors.ModelInputError
    assert _validation.ModelInputError is errors.ModelInputError
    assert issubclass(errors.ModelInputError, errors.CopFactorsError)
    assert issubclass(errors.ModelInputError, ValueError)
