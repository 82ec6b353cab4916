"""Every result class renders through the one protocol of ``copfactors._utils.render.Result``."""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
import pandas as pd
import pytest

import copfactors as cf
from copfactors._utils.render import Result
from copfactors.claims import ClaimsResult, compare_with_paper
from copfactors.errors import CopFactorsError
from copfactors.features import ReliabilityResult, reliability
from copfactors.inspection import DriverTable, drivers
from copfactors.models import OrdinalRegression
from copfactors.models._bootstrap import BootstrapResult
from copfactors.replicate import GroupComparison, group_comparison
from copfactors.scoring import ScoreResult

# str() and the notebook displays of a score show no levers (computing them scores the plan
# again); every other option of a class's render is its default.
DISPLAY_OPTIONS: dict[type, dict[str, int]] = {ScoreResult: {"levers": 0}}


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cf.load_example_survey()


@pytest.fixture(scope="module")
def fitted() -> tuple[pd.DataFrame, np.ndarray, OrdinalRegression]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 2)), columns=["commitment", "hours_per_week"])
    y = np.digitize(X["commitment"] + 0.5 * X["hours_per_week"] + rng.logistic(size=120), [-1, 1])
    return X, y, OrdinalRegression().fit(X, y)


def _driver_table(survey, fitted) -> DriverTable:
    X, y, model = fitted
    return drivers(model, X, y=y)


def _claims(survey, fitted) -> ClaimsResult:
    return compare_with_paper(survey, claims=["C8", "C12"])


def _group_comparison(survey, fitted) -> GroupComparison:
    return group_comparison(survey, objectives=["innovation"])


def _score(survey, fitted) -> ScoreResult:
    plan = {"name": "Pilot", "composition": {"n_members": 12}}
    return cf.score(plan, n_draws=50, random_state=1)


def _bootstrap(survey, fitted) -> BootstrapResult:
    X, y, model = fitted
    return model.bootstrap(X, y, n_boot=20, random_state=2)


def _reliability(survey, fitted) -> ReliabilityResult:
    return reliability(survey[["commitment_1", "commitment_2", "commitment_3"]])


BUILDERS = [_driver_table, _claims, _group_comparison, _score, _bootstrap, _reliability]


@pytest.fixture(scope="module", params=BUILDERS, ids=lambda f: f.__name__.lstrip("_"))
def result(request, survey, fitted) -> Result:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return request.param(survey, fitted)


def test_is_a_result(result):
    assert isinstance(result, Result)
    assert isinstance(result.default_digits, int)


def test_text_is_str(result):
    options = DISPLAY_OPTIONS.get(type(result), {})
    text = result.to_text(**options)
    assert text and str(result) == text
    assert result.render("text", result.default_digits, **options) == text


def test_html(result):
    html = result.to_html()
    assert html.startswith("<table") and "</table>" in html
    options = DISPLAY_OPTIONS.get(type(result), {})
    assert result._repr_html_() == result.to_html(**options)


def test_latex(result):
    latex = result.to_latex()
    assert "\\begin{tabular}" in latex and "\\end{tabular}" in latex
    options = DISPLAY_OPTIONS.get(type(result), {})
    assert result._repr_latex_() == result.to_latex(**options)


def test_to_frame(result):
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) and len(frame.columns)


def test_print_summary_prints_and_returns_none(result, capsys):
    assert result.print_summary() is None
    assert capsys.readouterr().out == result.to_text() + "\n"
    assert result.print_summary("html") is None
    assert capsys.readouterr().out == result.to_html() + "\n"


def test_unknown_style_is_refused(result):
    with pytest.raises(CopFactorsError):
        result.render("markdown")


def test_ordinal_print_summary_prints_render_summary(fitted, capsys):
    _, _, model = fitted
    text = model.render_summary(style="latex", digits=3)
    assert model.print_summary(style="latex", digits=3) is None
    assert capsys.readouterr().out == text + "\n"


# -- output that leaves copfactors: spreadsheets and terminals -------------------------------


@pytest.mark.parametrize("first", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_leading_text_gets_a_quote(first):
    from copfactors.report import neutralise_cell

    assert neutralise_cell(f"{first}cmd|' /C calc'!A0") == f"'{first}cmd|' /C calc'!A0"


@pytest.mark.parametrize("value", ["-0.5", "+3", "1e-3", "-", "text", "a=b", "", " =x"])
def test_plain_text_and_numbers_as_text_are_kept(value):
    from copfactors.report import neutralise_cell

    assert neutralise_cell(value) == value


def test_numbers_are_never_changed():
    from copfactors.report import neutralise_cell, neutralise_frame

    for value in (-0.5, -3, np.float64(-1e-9), True, None, np.nan):
        assert neutralise_cell(value) is value
    frame = pd.DataFrame(
        {
            "x": [-0.5, 1.0],
            "n": pd.array([-2, None], dtype="Int64"),
            "flag": [True, False],
            "when": pd.to_datetime(["2024-01-01", "2024-02-01"]),
            "label": pd.Categorical(["-a", "b"]),
            "text": pd.array(["=1", None], dtype="string"),
        }
    )
    safe = neutralise_frame(frame)
    for column in ("x", "n", "flag", "when"):
        pd.testing.assert_series_equal(safe[column], frame[column])
    assert safe["label"].tolist() == ["'-a", "b"]
    assert safe["text"].iloc[0] == "'=1" and pd.isna(safe["text"].iloc[1])
    assert frame["text"].iloc[0] == "=1"  # the input is left as it was


def test_safe_csv_quotes_text_and_keeps_numbers_numeric():
    from copfactors.report import safe_csv

    frame = pd.DataFrame({"=name": ["a;=1+2", '=1+2";=1+2', "-7"], "coef": [-0.5, 2.0, np.nan]})
    text = safe_csv(frame)
    assert text.splitlines() == [
        '"\'=name","coef"',
        '"a;=1+2",-0.5',  # a separator stays inside its quoted cell
        '"\'=1+2"";=1+2",2.0',
        '"-7",""',
    ]
    back = pd.read_csv(io.StringIO(text))
    assert back["coef"].dtype == float and back["coef"].iloc[0] == -0.5


def test_terminal_safe_escapes_every_control_character():
    from copfactors.report import terminal_safe

    controls = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)] if chr(c) not in "\t\n"]
    text = terminal_safe("".join(controls))
    assert not any(ch in text for ch in controls)
    assert text.startswith("\\x00\\x01") and "\\x1b" in text and text.endswith("\\x9f")
    assert terminal_safe("a\tb\nc é ✓") == "a\tb\nc é ✓"
    assert json.loads(f'"{terminal_safe(chr(0x9B) + chr(0x1B), json=True)}"') == "\x9b\x1b"
