"""What the documentation says is what the code does.

Every ```python block of a documentation page that is not a tutorial (those run in
``test_docs.py``) runs here, page by page in one namespace, unless an HTML comment
``<!-- not run: reason -->`` stands right before it. The other tests check a behaviour a page
states, and name the page in their docstring.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

import copfactors as cf
from test_docs import DOCS, TUTORIALS, python_blocks

ROOT = DOCS.parent
_NOT_RUN = re.compile(r"<!--\s*not run:\s*(?P<reason>[^>]*?)\s*-->\s*$")
_FENCE = re.compile(r"^```python[ \t]*$", re.M)


def blocks_to_run(page: str) -> list[str]:
    """The python blocks of ``page``, less those marked ``<!-- not run: reason -->``."""
    text = (DOCS / page).read_text(encoding="utf-8")
    marks = []
    for fence in _FENCE.finditer(text):
        before = text[: fence.start()].rstrip()
        match = _NOT_RUN.search(before)
        if match is not None:
            assert match["reason"].strip(), f"{page}: a 'not run' comment must give its reason"
        marks.append(match is not None)
    blocks = python_blocks(page)
    assert len(blocks) == len(marks), page
    return [b for b, skipped in zip(blocks, marks, strict=True) if not skipped]


def _pages_with_code() -> list[str]:
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    return [p for p in pages if p not in TUTORIALS and python_blocks(p)]


def test_the_not_run_marker():
    page = DOCS / "tutorials"  # any folder: the marker is read from the text alone
    assert page.is_dir()
    text = "<!-- not run: needs your own survey.sav -->\n"
    assert _NOT_RUN.search(text)["reason"] == "needs your own survey.sav"
    assert _NOT_RUN.search("<!-- a comment -->\n") is None


@pytest.mark.parametrize("page", _pages_with_code())
def test_page_code_runs(page, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    try:
        for i, block in enumerate(blocks_to_run(page), start=1):
            exec(compile(block, f"{page} block {i}", "exec"), namespace)
    finally:
        plt.close("all")


# ---------------------------------------------------------------------------------------------
# missing values and accepted spellings
# ---------------------------------------------------------------------------------------------
def _csv(tmp_path: Path, cell: str) -> Path:
    path = tmp_path / "survey.csv"
    path.write_text(
        "respondent_id,cop_id,gender,commitment_1,responded_t1\n"
        f"r1,A,{cell},{cell},{cell}\nr2,A,woman,3,true\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("cell", ["", "   ", "NA"])
def test_missing_cells_in_a_file(tmp_path, cell):
    """docs/codebook.md: an empty cell (or spaces only) and `NA` are missing."""
    survey = cf.read_survey(_csv(tmp_path, cell))
    assert survey.loc[0, ["gender", "commitment_1", "responded_t1"]].isna().all()


@pytest.mark.parametrize("cell", ["None", "NaN", "N/A", "null", "na"])
def test_other_missing_words_in_a_file_are_refused(tmp_path, cell):
    """docs/codebook.md: `None`, `NaN`, `N/A`, `null` in a file are invalid, not missing."""
    with pytest.raises(cf.errors.SchemaError, match=re.escape(repr(cell))):
        cf.read_survey(_csv(tmp_path, cell))


def test_declared_missing_codes(tmp_path):
    """docs/codebook.md: other codes are declared with read_survey(..., missing_codes=...)."""
    path = tmp_path / "survey.csv"
    path.write_text(
        "respondent_id,cop_id,gender,commitment_1\nr1,A,None,9\nr2,A,woman,3\n",
        encoding="utf-8",
    )
    survey = cf.read_survey(path, missing_codes=["None", 9])
    assert survey.loc[0, ["gender", "commitment_1"]].isna().all()
    assert survey.loc[1, "commitment_1"] == 3


def test_missing_values_in_a_dataframe():
    """docs/codebook.md: in a DataFrame, None, NaN and pd.NA are missing too."""
    table = pd.DataFrame(
        {
            "respondent_id": ["r1", "r2", "r3", "r4"],
            "cop_id": ["A"] * 4,
            "gender": [None, np.nan, pd.NA, "woman"],
            "commitment_1": [None, np.nan, pd.NA, 3],
        }
    )
    survey = cf.validate(table)
    assert survey.loc[:2, ["gender", "commitment_1"]].isna().all().all()


def test_codebook_page_states_the_missing_values():
    """docs/codebook.md: the page says what the tests above check."""
    text = (DOCS / "codebook.md").read_text(encoding="utf-8")
    assert "an empty cell (or one of spaces only) and the text `NA`" in text
    assert "is not missing: it is reported as an invalid value" in text


def test_accepted_spellings(tmp_path):
    """docs/codebook.md: booleans in English or French words, categories by French label."""
    path = tmp_path / "survey.csv"
    path.write_text(
        "respondent_id,cop_id,gender,responded_t1,commitment_1,steward_type\n"
        "r1,A,Femme,oui,3.0,Aucun animateur\nr2,A,MAN,Faux, 4,designated\n",
        encoding="utf-8",
    )
    survey = cf.read_survey(path)
    assert survey["gender"].tolist() == ["woman", "man"]
    assert survey["responded_t1"].tolist() == [True, False]
    assert survey["commitment_1"].tolist() == [3, 4]
    assert survey["steward_type"].tolist() == ["none", "designated"]


# ---------------------------------------------------------------------------------------------
# French headers
# ---------------------------------------------------------------------------------------------
def test_french_headers_are_mapped_not_read_directly(tmp_path):
    """docs/tutorials/own-survey.md: propose_mapping matches headers by their French label;
    docs/codebook.md: read_survey itself expects the codebook's names."""
    table = pd.DataFrame(
        {
            "Identifiant du répondant": ["r1", "r2"],
            "Identifiant de la communauté de pratique": ["A", "B"],
            "Q3. Genre": ["Femme", "Homme"],
        }
    )
    mapping = cf.propose_mapping(table)
    targets = {e.source: (e.target, e.method) for e in mapping.entries}
    assert targets["Q3. Genre"] == ("gender", "label_fr")
    assert targets["Identifiant du répondant"][0] == "respondent_id"
    path = tmp_path / "export.csv"
    table.to_csv(path, index=False)
    with pytest.raises(cf.errors.SchemaError, match="respondent_id"):
        cf.read_survey(path)
    mapping.save(tmp_path / "mapping.yaml")
    survey = cf.read_survey(path, mapping=tmp_path / "mapping.yaml")
    assert survey["gender"].tolist() == ["woman", "man"]


# ---------------------------------------------------------------------------------------------
# plans
# ---------------------------------------------------------------------------------------------
def test_unquoted_age_band_in_a_plan(tmp_path):
    """docs/scoring.md and the example plans: 35_49 may be written without quotes."""
    from copfactors.pipeline import example_plan_files

    for source in example_plan_files():
        text = source.read_text(encoding="utf-8")
        assert '"35_49"' in text
        path = tmp_path / source.name
        path.write_text(text.replace('"35_49"', "35_49"), encoding="utf-8")
        unquoted = cf.PlannedCoP.from_yaml(path)
        quoted = cf.PlannedCoP.from_yaml(source)
        assert unquoted.composition["age_mix"] == quoted.composition["age_mix"]
        assert "35_49" in unquoted.composition["age_mix"]
    assert "with or without quotes" in (DOCS / "scoring.md").read_text(encoding="utf-8")


def test_example_plan_comments_agree_with_the_code():
    """docs/examples/*.yaml: the comments say quotes are optional, as the test above checks."""
    for path in sorted((DOCS / "examples").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert "quotes optional: copfactors reads an unquoted 35_49 as the band" in text
        assert "YAML reads it as a number" not in text


# ---------------------------------------------------------------------------------------------
# the reference model and the models a report fits
# ---------------------------------------------------------------------------------------------
def test_reference_model_is_a_random_intercept_model_with_model_based_covariance():
    """copfactors.scoring.reference_model and docs/model-card.md: a random intercept per CoP,
    Laplace approximation, model-based covariance of full rank (20 of 20)."""
    from copfactors.models import MixedOrdinalRegression
    from copfactors.scoring import reference_model

    model = reference_model()
    assert isinstance(model.regression, MixedOrdinalRegression)
    assert model.random_intercept and model.training["n_quad"] == 1
    assert model.training["cov_type"] == "model-based"
    cov = np.asarray(model.regression.cov_, dtype=float)
    assert cov.shape == (20, 20) and np.linalg.matrix_rank(cov) == 20
    assert "cluster-robust (by CoP)" not in (reference_model.__doc__ or "")
    card = (ROOT / "models" / "reference-ordinal.md").read_text(encoding="utf-8")
    assert "rank 20 of 20" in " ".join(card.split())


def test_fit_defaults():
    """docs/scoring.md: `fit` is an ordinal logit clustered by cop_id by default."""
    import inspect

    params = inspect.signature(cf.fit_attainment_model).parameters
    assert params["kind"].default == "ordinal"
    assert params["link"].default == "logit"
    assert params["cov_type"].default == "cluster"
    assert params["cluster"].default == "cop_id"
    assert params["random_intercept"].default is False


@pytest.mark.slow
def test_the_demo_refits_the_reference_model():
    """docs/model-card.md: on the example survey the demo refits the same model on the same
    survey, so its Ordinal model section and plan scores equal the reference model's; its
    driver table comes from the model without random intercept, with robust (HC0) errors."""
    from copfactors.scoring import reference_model

    result = cf.run_analysis(cf.load_example_survey(), source_label="example", simulated=True)
    ref = reference_model().regression
    shown = result.inference_model("ordinal")
    assert type(shown) is type(ref)
    assert np.allclose(shown.coef_, ref.coef_) and np.isclose(shown.sigma_, ref.sigma_)
    assert np.allclose(np.asarray(shown.cov_), np.asarray(ref.cov_))
    assert result.attainment_model.regression is shown
    assert result.ordinal_model.cov_type == "robust"
    card = " ".join((DOCS / "model-card.md").read_text(encoding="utf-8").split())
    assert "the demo refits the same model on the same survey" in card
