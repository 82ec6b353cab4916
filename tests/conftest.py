"""Fixtures shared by the test modules.

The example survey is SIMULATED (``make_survey(seed=2003, mode="calibrated")``, calibrated to the
paper's Table 1); fixtures that derive from it are simulated too. A module that needs another
``survey`` defines its own fixture of that name, which takes precedence over this one.
"""

from __future__ import annotations

import pandas as pd
import pytest

import copfactors as cf


@pytest.fixture(scope="session")
def example_survey() -> pd.DataFrame:
    """The shipped example survey (SIMULATED). Tests that change it work on a copy."""
    return cf.load_example_survey()


@pytest.fixture(scope="module")
def survey(example_survey: pd.DataFrame) -> pd.DataFrame:
    """A module's survey: the example survey (SIMULATED) unless the module defines its own."""
    return example_survey.copy()
