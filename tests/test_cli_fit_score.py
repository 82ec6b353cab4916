"""Tests of the ``copfactors fit`` and ``copfactors score`` commands."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import copfactors as cf
from copfactors.cli import app

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
HEART = EXAMPLES / "heart-health-association.yaml"


def run(*args: object):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def survey_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("survey") / "survey.csv"
    cf.load_example_survey().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model_file(survey_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "model.json"
    result = run("fit", survey_file, "--out", out, "--exclude", "sponsor", "--simulated")
    assert result.exit_code == 0, result.output
    return out


# ---------------------------------------------------------------------------------------------
# fit
# ---------------------------------------------------------------------------------------------
def test_fit_writes_the_model_and_prints_its_summary(survey_file, tmp_path):
    model_file = tmp_path / "model.json"
    model_file.write_text("old", encoding="utf-8")
    result = run("fit", survey_file, "--out", model_file, "--exclude", "sponsor", "--overwrite")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Attainment model (ordinal, cumulative logit): 95 respondents in 7 CoPs"
    assert f"Training data: {survey_file}" in result.stdout
    assert "Ordinal regression (cumulative logit)" in result.stdout
    assert lines[-1] == f"wrote {model_file}"
    model = cf.load_model(model_file)
    expected = cf.fit_attainment_model(
        cf.read_survey(survey_file), builder=cf.CoPFeatureBuilder(exclude="sponsor")
    )
    survey = cf.read_survey(survey_file)
    assert np.array_equal(model.predict_proba(survey), expected.predict_proba(survey))
    assert model.training["source"] == str(survey_file)


def test_fit_records_a_simulated_survey(model_file):
    assert cf.load_model(model_file).training["simulated"] is True


def test_fit_options(survey_file, tmp_path):
    out = tmp_path / "probit.json"
    result = run(
        "fit", survey_file, "-o", out, "--exclude", "sponsor", "--link", "probit",
        "--cluster", "none",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    model = cf.load_model(out)
    assert model.regression.link == "probit" and model.regression.cov_type == "robust"
    assert model.training["simulated"] is False


def test_existing_output_needs_overwrite(survey_file, model_file):
    before = model_file.read_bytes()
    result = run("fit", survey_file, "--out", model_file, "--exclude", "sponsor")
    assert result.exit_code == 1
    assert result.output.strip() == f"error: {model_file} exists; pass --overwrite to replace it"
    assert model_file.read_bytes() == before


def test_fit_errors_are_messages(survey_file, tmp_path):
    out = tmp_path / "m.json"
    collinear = run("fit", survey_file, "--out", out)
    assert collinear.exit_code == 1
    assert collinear.output.startswith("error: ") and "collinear" in collinear.output
    assert not out.exists()
    bad_link = run("fit", survey_file, "--out", out, "--link", "tanh")
    assert bad_link.exit_code == 2 and "'tanh' is not one of" in bad_link.output
    missing = run("fit", tmp_path / "nope.csv", "--out", out)
    assert missing.exit_code == 1 and missing.output.startswith("error: ")
    no_group = run("fit", survey_file, "--out", out, "--exclude", "planets")
    assert no_group.exit_code == 1 and "unknown feature group" in no_group.output
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# score
# ---------------------------------------------------------------------------------------------
def test_score_text(model_file):
    result = run("score", HEART, "--draws", 200)
    assert result.exit_code == 0, result.output
    out = result.stdout
    lines = out.splitlines()
    assert lines[0] == (
        'Planned CoP "Heart-health website" (20 members), scored with copfactors\' reference '
        "model, fitted on SIMULATED data"
    )
    scored = cf.score(cf.PlannedCoP.from_yaml(HEART), n_draws=200)
    assert lines[1] == (
        'Chance that a typical member rates the CoP\'s objectives "attained" or better (4 or 5 '
        f"of 5): {100 * scored.probability:.0f}%"
    )
    assert "Plausible range" in out and "What-if levers" in out
    assert "change (percentage points)" in out and "not tested" in out
    assert "reference model fitted on SIMULATED data" in out
    assert out.rstrip("\n") == scored.to_text(levers=5)
    own = run("score", HEART, "--model", model_file, "--draws", 0, "--levers", 0)
    assert own.exit_code == 0
    first = own.stdout.splitlines()[0]
    assert first.startswith('Planned CoP "Heart-health website" (20 members), scored with a model')
    assert "fitted on SIMULATED data" in first and "What-if levers" not in own.stdout


def test_score_text_with_a_model_of_a_real_survey(survey_file, tmp_path):
    model = tmp_path / "real.json"
    fitted = run("fit", survey_file, "--out", model, "--exclude", "sponsor")  # not --simulated
    assert fitted.exit_code == 0, fitted.output
    result = run("score", HEART, "--model", model, "--draws", 0, "--levers", 2)
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first == (
        f'Planned CoP "Heart-health website" (20 members), scored with the model fitted on '
        f"{survey_file} (95 respondents in 7 CoPs)"
    )
    assert "SIMULATED" not in result.stdout
    assert "fitted on observational (survey) data, not tested" in " ".join(result.stdout.split())
    record = json.loads(run("score", HEART, "--model", model, "-f", "json", "--draws", 0).stdout)
    assert record["simulated"] is False and record["model"]["data"]["simulated"] is False
    assert record["model"]["kind"] == "fixed-effects"
    assert record["model"]["covariance"]["type"] == "cluster"


def test_score_json(model_file):
    result = run("score", EXAMPLES / "designated-no-steward.yaml", "-f", "json", "--draws", 100)
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["plan"] == "Designated employees, no steward"
    assert record["n_draws"] == 100 and record["level"] == 4
    assert record["flags"][0].startswith("no steward")
    assert record["levers"][0]["delta"] >= record["levers"][-1]["delta"]
    # what was fitted on what, the defaults, the scale and the changes in percentage points
    assert record["simulated"] is True
    assert record["model"]["kind"] == "random-intercept" and record["model"]["reference"] is True
    assert record["model"]["data"] == {
        "source": "example_survey.csv",
        "n_respondents": 95,
        "n_cops": 7,
        "simulated": True,
    }
    assert record["model"]["covariance"]["type"] == "model-based"
    assert record["defaults_used"] == [
        {
            "field": "composition.steward_active",
            "value": 1.0,
            "source": "copfactors' default for plans with no steward",
        }
    ]
    assert [(x["level"], x["label"], x["in_model"]) for x in record["scale"]["levels"]] == [
        (1, "not attained at all", False),
        (2, "slightly attained", True),
        (3, "more or less attained", True),
        (4, "attained", True),
        (5, "perfectly attained", True),
    ]
    assert isinstance(record["probability"]["estimate"], float)
    assert 0 <= record["probability"]["estimate"] <= 1
    for lever in record["levers"]:
        for key in ("delta", "delta_low", "delta_high"):
            assert lever[key.replace("delta", "delta_pp")] == pytest.approx(
                100 * lever[key], rel=1e-12, abs=1e-12
            )
    again = run("score", EXAMPLES / "designated-no-steward.yaml", "-f", "json", "--draws", 100)
    assert again.stdout == result.stdout


def test_bad_plan_names_the_field(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "steward_type: wizard\ncomposition:\n  n_members: 10\n  share_women: 2\n",
        encoding="utf-8",
    )
    result = run("score", plan)
    assert result.exit_code == 1
    assert result.output.startswith("error: 2 problems with the plan")
    assert "steward_type = 'wizard'" in result.output
    assert "composition.share_women = 2" in result.output
    missing = run("score", tmp_path / "none.yaml")
    assert missing.exit_code == 1 and "does not exist" in missing.output
    fmt = run("score", HEART, "--format", "xml")
    assert fmt.exit_code == 2 and "'xml' is not one of" in fmt.output


def test_bad_model_file(tmp_path, model_file):
    edited = tmp_path / "edited.json"
    edited.write_text(
        model_file.read_text(encoding="utf-8").replace('"simulated": true', '"simulated": false'),
        encoding="utf-8",
    )
    result = run("score", HEART, "--model", edited)
    assert result.exit_code == 1 and "checksum mismatch" in result.output
    marker = tmp_path / "marker"
    pickled = tmp_path / "model.pkl"

    class Exploit:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').write('x')",))

    pickled.write_bytes(pickle.dumps(Exploit()))
    result = run("score", HEART, "--model", pickled)
    assert result.exit_code == 1 and "pickle" in result.output
    assert not marker.exists()
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"weights": [1, 2]}', encoding="utf-8")
    result = run("score", HEART, "--model", foreign)
    assert result.exit_code == 1 and "not a copfactors model file" in result.output


# ---------------------------------------------------------------------------------------------
# reading options on the command line
# ---------------------------------------------------------------------------------------------
def test_fit_reads_a_sheet_and_missing_codes(tmp_path):
    survey = cf.load_example_survey()
    coded = survey.copy()
    coded["hours_per_week"] = coded["hours_per_week"].fillna(99)
    path = tmp_path / "survey.xlsx"
    import pandas as pd

    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"note": ["not the survey"]}).to_excel(writer, sheet_name="about", index=False)
        coded.to_excel(writer, sheet_name="answers", index=False)
    out = tmp_path / "model.json"
    plain = run("fit", path, "--out", out, "--exclude", "sponsor")
    assert plain.exit_code == 1 and "error: " in plain.stderr  # the first sheet is not a survey
    result = run(
        "fit", path, "--out", out, "--exclude", "sponsor", "--sheet", "answers",
        "--missing-codes", "99",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    again = run(
        "fit", path, "--out", tmp_path / "m2.json", "--exclude", "sponsor", "--sheet", "1",
        "--missing-codes", "99",
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    expected = cf.fit_attainment_model(survey, builder=cf.CoPFeatureBuilder(exclude="sponsor"))
    np.testing.assert_allclose(
        cf.load_model(out).regression.params_, expected.regression.params_, rtol=1e-8
    )
    wrong = run("fit", path, "--out", out, "--overwrite", "--decimal", ",")
    assert wrong.exit_code == 1 and "CSV files only" in wrong.stderr


def test_cli_hints_name_flags_not_arguments():
    from copfactors.cli import cli_hint

    text = "3,5: not an integer (read_survey(..., decimal=',') reads decimal commas)"
    assert cli_hint(text) == "3,5: not an integer (--decimal ',' reads decimal commas)"
    assert cli_hint("declare them with missing_codes=[99]") == (
        "declare them with --missing-codes [99]"
    )


# ---------------------------------------------------------------------------------------------
# hostile options and files: one line of error, exit code 1
def test_score_caps_draws_and_checks_the_seed():
    big = run("score", HEART, "--draws", 1_000_000_000)
    assert big.exit_code == 1
    assert big.output.startswith("error: --draws is 1000000000, more than the 100000 allowed")
    assert "--draws 100000 or fewer" in big.output
    negative = run("score", HEART, "--seed", -1)
    assert negative.exit_code == 1
    assert negative.output.startswith("error: --seed must be an integer from 0 to 4294967295")
    assert run("score", HEART, "--draws", -3).output.startswith("error: --draws must be an")
    assert run("score", HEART, "--draws", 100, "--seed", 2**32 - 1).exit_code == 0


def test_score_refuses_a_model_with_reversed_thresholds_and_a_recomputed_checksum(tmp_path):
    from copfactors.persist import _checksum
    from copfactors.scoring import REFERENCE_MODEL_FILE

    source = Path(cf.__file__).parent / "data" / REFERENCE_MODEL_FILE
    doc = json.loads(source.read_text(encoding="utf-8"))
    doc["regression"]["thresholds"]["values"].reverse()
    doc.pop("checksum")
    doc["checksum"] = {"algorithm": "sha256", "value": _checksum(doc)}
    edited = tmp_path / "reversed.json"
    edited.write_text(json.dumps(doc), encoding="utf-8")
    result = run("score", HEART, "--model", edited, "--draws", 0)
    assert result.exit_code == 1 and result.output.startswith("error: ")
    assert "regression.thresholds.values: expected strictly increasing" in result.output


def test_score_refuses_a_plan_of_nested_aliases(tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]")
    plan = tmp_path / "laughs.yaml"
    plan.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run("score", plan)
    assert result.exit_code == 1
    assert result.output.startswith(f"error: plan file {plan}, line 1: the anchor &a")
    assert len(result.output) < 300
