"""copfactors.htmlreport: one self-contained page, every section and figure, no network."""

from __future__ import annotations

import base64
import re

import pytest

from copfactors.datasets import load_example_survey
from copfactors.htmlreport import SECTIONS, ReportBundle, build
from copfactors.pipeline import run_analysis
from report_helpers import EXAMPLE_LABEL, Page, example_bundle, example_result

PNG_URI = '<img src="data:image/png;base64,'


@pytest.fixture(scope="module")
def bundle() -> ReportBundle:
    return example_bundle()


@pytest.fixture(scope="module")
def page(bundle) -> Page:
    return Page(bundle.html)


def test_parses_and_has_every_section(bundle, page):
    assert bundle.html.startswith("<!DOCTYPE html>")
    ids = [sid for sid, _ in SECTIONS]
    assert ids == [
        "data",
        "table1",
        "gender",
        "ordinal",
        "binary",
        "drivers",
        "shap",
        "claims",
        "plans",
    ]
    assert [i for i in page.ids if i in ids] == ids
    # sections in order, none empty, none marked as not produced on the example survey
    positions = [bundle.html.index(f'<section id="{sid}">') for sid in ids]
    assert positions == sorted(positions)
    assert "Not produced" not in bundle.html


def test_every_figure_is_embedded(bundle, page):
    expected = {
        "table1_importance_vs_attainment",
        "gender_importance_vs_attainment",
        "gender_importance_likert",
        "ordinal_forest",
        "ordinal_effects",
        "ordinal_caterpillar",
        "binary_forest",
        "driver_importance",
        "shap_beeswarm",
        "plan_designated_no_steward_levers",
        "plan_heart_health_association_levers",
    }
    # the binary model's random-intercept SD is at 0 on this survey: no CoP effects to draw
    if hasattr(example_result().binary_inference, "random_effects_"):
        expected.add("binary_caterpillar")
    assert set(bundle.figures) == expected
    assert bundle.html.count(PNG_URI) == len(expected) == len(page.images)
    embedded = {base64.b64decode(src.split(",", 1)[1]) for src in page.images}
    assert embedded == set(bundle.figures.values())
    assert all(png.startswith(b"\x89PNG") for png in embedded)


def test_no_network_reference(bundle, page):
    assert "script" not in page.tags and "link" not in page.tags
    assert "iframe" not in page.tags and "object" not in page.tags
    for tag, attr, value in page.refs:
        assert not value.startswith(("http://", "https://", "//")), (tag, attr, value)
        # the one link out of the page: the Word file of the tables, written beside it
        local = value == "tables.docx" and tag == "a"
        assert local or value.startswith(("#", "data:image/png;base64,")), (tag, attr, value)
    assert "http://" not in bundle.html and "https://" not in bundle.html
    css = re.search(r"<style>(.*?)</style>", bundle.html, re.S).group(1)
    assert "url(" not in css and "@import" not in css


def test_first_screen_says_simulated_and_the_data(bundle, page):
    first_section = bundle.html.index("<section")
    header = bundle.html[:first_section]
    assert 'class="banner"' in header and "SIMULATED DATA" in header
    assert EXAMPLE_LABEL in Page(header).text
    assert bundle.html.index("SIMULATED DATA") < bundle.html.index("<h1>")
    assert "<title>copfactors report: " in bundle.html


def test_key_results_and_sections_carry_the_numbers(bundle, page):
    text = page.text
    assert "Top drivers" in text and "Commitment (scale 1-5)" in text
    assert "Heart-health website" in text and "Designated employees, no steward" in text
    assert "88 of 90 cells match" in text
    for cid in ("C1", "C7", "C13"):
        assert cid in text
    assert "random intercept per CoP" in text  # which model, and why
    assert "rank 6 for 19 parameters" in text  # the cluster-robust covariance, set aside


def test_tables_in_every_format(bundle):
    assert {"data_cops", "table1_replication", "table1_audit", "gender_comparison"} <= set(
        bundle.tables
    )
    assert {"ordinal_model", "binary_model", "drivers", "claims", "plans"} <= set(bundle.tables)
    for table in bundle.tables.values():
        assert table.html.lstrip().startswith("<table"), table.name
        assert "\\begin{tabular}" in table.latex and "\\end{tabular}" in table.latex
        assert len(table.frame) > 0
    files = bundle.files()
    assert files["report.html"] == bundle.html
    assert {f"{n}.csv" for n in bundle.tables} | {f"{n}.tex" for n in bundle.tables} <= set(files)


@pytest.fixture(scope="module")
def real_data_bundle() -> ReportBundle:
    survey = load_example_survey()
    survey.attrs = {}
    label = "<b>my survey</b>.csv"
    result = run_analysis(survey, source_label=label, simulated=False, steps=["gender"])
    return build(result)


def test_real_data_has_no_banner_and_says_what_is_missing(real_data_bundle):
    html = real_data_bundle.html
    page = Page(html)
    assert 'class="banner"' not in html and "SIMULATED" not in html
    # the source label is shown as text, never as markup
    assert "<b>my survey</b>" not in html and "&lt;b&gt;my survey&lt;/b&gt;.csv" in html
    assert "<b>my survey</b>.csv" in page.text
    assert [i for i in page.ids if i in dict(SECTIONS)] == [sid for sid, _ in SECTIONS]
    assert html.count("Not produced") == len(SECTIONS) - 2  # data and gender are there
    # the gender section's two figures: the dumbbell chart and the Likert bars
    assert html.count(PNG_URI) == 2 == len(real_data_bundle.figures)


def test_a_survey_without_a_model_says_so_first_and_names_the_plans_model():
    survey = load_example_survey().drop(
        columns=[c for c in load_example_survey().columns if c.startswith("att_")]
    )  # SIMULATED, without attainment: no model can be fitted
    result = run_analysis(survey, source_label="no-attainment.csv", simulated=True)
    html = build(result).html
    header = html.split("<main>")[0]
    assert "No model of attainment." in header
    assert "scored with copfactors' reference model, fitted on SIMULATED data" in header
    plans = html.split('id="plans"')[1]
    assert "scored with copfactors' reference model, fitted on SIMULATED data" in plans
    assert "scored with the ordinal model of this survey" not in html


def test_the_ordinal_section_shows_the_cop_effects(bundle):
    html = bundle.html
    section = html.split('<section id="ordinal">')[1].split("</section>")[0]
    text = Page(section).text
    model = example_result().ordinal_inference
    low, high = model.sigma_ci_
    # sigma with its interval, the ICC and the LR test of sigma = 0
    assert f"between-CoP SD (sigma) {model.sigma_:.2f} (95% CI {low:.2f} to {high:.2f}" in text
    assert f"ICC {model.icc_:.2f}" in text
    assert "LR test of sigma = 0 (boundary-corrected)" in text
    # the caterpillar plot, embedded with its alt text
    match = re.search(
        r'<figure id="fig-ordinal_caterpillar"><img src="([^"]+)" alt="([^"]+)"', section
    )
    assert match and match.group(1).startswith("data:image/png;base64,")
    assert "Caterpillar plot of the 7 CoP effects" in match.group(2)
    assert "1.96" in match.group(2)
    # which model and why, and what the CoPs can tell
    assert "Which model, and why." in text and "nested in 7 CoPs" in text
    assert "What the CoPs can tell" in text and "singles out one CoP (cop_1)" in text
    assert "cop_level_drivers" in bundle.tables
    assert "Student's t on 3 df" in text
    # the top-drivers card reads the mixed model
    card = html.split("<h3>Top drivers</h3>")[1].split("</ul>")[0]
    odds = model.summary().set_index("term")["odds_ratio"]
    top = example_result().drivers.table.iloc[0]
    assert f"(OR {odds[top.driver]:.2f}; {top.importance_pct:.0f}% of R²)" in card


def test_the_importance_says_percent_only_of_the_pct_column(bundle, page):
    # drivers.csv: the dominance weights (sum: McFadden's R2) and their percentages (sum: 100)
    frame = bundle.tables["drivers"].frame
    table = example_result().drivers
    assert "importance_share" not in frame.columns
    assert abs(frame["importance_pct"].sum() - 100.0) <= 1e-10 * 100
    r2 = table.info["r2_mcfadden_refit"]
    assert abs(frame["importance_r2"].sum() - r2) <= 1e-10 * r2
    ratio = 100 * frame["importance_r2"] / frame["importance_r2"].sum()
    assert ((ratio - frame["importance_pct"]).abs() <= 1e-10 * 100).all()
    # the figure's caption and the key results card speak of the pct column
    assert "percentage of McFadden's R² (importance_pct, 100 over all drivers)" in page.text
    card = bundle.html.split("<h3>Top drivers</h3>")[1].split("</ul>")[0]
    for r in frame.head(3).itertuples(index=False):
        assert f"{r.importance_pct:.0f}% of R²" in card
