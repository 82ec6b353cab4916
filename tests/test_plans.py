"""copfactors.plans: reading and checking planned CoPs."""

from __future__ import annotations

import json

import pytest

from copfactors.errors import PlanError
from copfactors.plans import PlannedCoP


def _composition_plan(**overrides):
    plan = {
        "name": "Heart-health website",
        "steward_type": "dedicated",
        "sponsor": "professional_association",
        "training_planned": False,
        "composition": {
            "n_members": 20,
            "share_women": 0.9,
            "age_mix": {"under_35": 0.25, "35_49": 0.6, "50_plus": 0.15},
            "share_voluntary": 1.0,
            "hours_per_week": 1.5,
            "prior_acquaintance": 1,
            "commitment": 4.5,
        },
    }
    plan.update(overrides)
    return plan


def test_composition_is_expanded_deterministically():
    members = PlannedCoP.from_dict(_composition_plan()).to_members()
    assert len(members) == 20
    assert (members["gender"] == "woman").sum() == 18
    assert members["age_band"].value_counts().to_dict() == {
        "35_49": 12,
        "under_35": 5,
        "50_plus": 3,
    }
    assert members["voluntary"].all()
    assert (members[["commitment_1", "commitment_2", "commitment_3"]] == 4.5).all().all()
    assert (members["steward_type"] == "dedicated").all()
    assert members["respondent_id"].is_unique


def test_member_list_keeps_each_member():
    plan = PlannedCoP.from_dict(
        {
            "steward_type": "none",
            "members": [
                {"gender": "man", "age_band": "50_plus", "voluntary": False, "hours_per_week": 0},
                {"gender": "Woman", "commitment": 5},
            ],
        }
    )
    members = plan.to_members()
    assert list(members["gender"]) == ["man", "woman"]
    assert members.loc[1, "commitment_1"] == 5
    assert members.loc[0, "voluntary"] is False or members.loc[0, "voluntary"] == False  # noqa: E712


def test_every_bad_field_is_named_at_once():
    bad = _composition_plan(steward_type="wizard", sponsor=3, colour="red")
    bad["composition"]["share_women"] = 1.4
    bad["composition"]["age_mix"] = {"under_35": 0.5, "35_49": 0.2}
    with pytest.raises(PlanError) as info:
        PlannedCoP.from_dict(bad)
    text = str(info.value)
    assert text.startswith("5 problems with the plan")
    assert "steward_type = 'wizard': expected one of none, designated, dedicated" in text
    assert "sponsor = 3" in text
    assert "colour = 'red'" in text
    assert "composition.share_women = 1.4: expected a share from 0 to 1" in text
    assert "sum to 0.7" in text


def test_member_problems_name_the_member():
    with pytest.raises(PlanError, match=r"members\[2\]\.hours_per_week = -1"):
        PlannedCoP.from_dict({"members": [{"gender": "man"}, {"hours_per_week": -1}]})


def test_needs_exactly_one_of_composition_and_members():
    with pytest.raises(PlanError, match="exactly one of"):
        PlannedCoP.from_dict({"name": "x"})
    with pytest.raises(PlanError, match="n_members is missing"):
        PlannedCoP.from_dict({"composition": {"share_women": 0.5}})


def test_yaml_and_json_round_trip(tmp_path):
    import yaml

    plan = PlannedCoP.from_dict(_composition_plan())
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan.to_dict()), encoding="utf-8")
    (tmp_path / "plan.json").write_text(json.dumps(plan.to_dict()), encoding="utf-8")
    for name in ("plan.yaml", "plan.json"):
        again = PlannedCoP.from_file(tmp_path / name)
        assert again.to_dict() == plan.to_dict()
        assert again.source.endswith(name)


def test_bad_files_are_plan_errors(tmp_path):
    (tmp_path / "broken.yaml").write_text("composition: [unclosed", encoding="utf-8")
    with pytest.raises(PlanError, match="broken.yaml is not valid YAML"):
        PlannedCoP.from_file(tmp_path / "broken.yaml")
    with pytest.raises(PlanError, match="does not exist"):
        PlannedCoP.from_file(tmp_path / "missing.json")
    with pytest.raises(PlanError, match="expected a .yaml"):
        PlannedCoP.from_file(tmp_path / "plan.txt")
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(PlanError, match="must be a mapping"):
        PlannedCoP.from_file(tmp_path / "list.yaml")


def test_unquoted_age_band_in_yaml_is_understood(tmp_path):
    # YAML 1.1 reads an unquoted 35_49 as the integer 3549
    text = "composition:\n  n_members: 10\n  age_mix: {under_35: 0.3, 35_49: 0.5, 50_plus: 0.2}\n"
    (tmp_path / "plan.yaml").write_text(text, encoding="utf-8")
    plan = PlannedCoP.from_yaml(tmp_path / "plan.yaml")
    assert plan.composition["age_mix"] == {"under_35": 0.3, "35_49": 0.5, "50_plus": 0.2}
    members = PlannedCoP.from_dict({"members": [{"age_band": 3549}]}).to_members()
    assert members.loc[0, "age_band"] == "35_49"


def test_plan_values_are_read_as_survey_values_are():
    # the same labels, languages and yes/no words a survey cell accepts
    plan = PlannedCoP.from_dict(
        {
            "name": "labels",
            "steward_type": "Dédié",
            "sponsor": "Ordre professionnel",
            "training_planned": "oui",
            "members": [
                {"gender": "Femme", "age_band": "35 à 49 ans", "voluntary": "non"},
                {"gender": "man", "age_band": "50_plus", "voluntary": "Yes"},
            ],
        }
    )
    assert plan.cop["steward_type"] == "dedicated"
    assert plan.cop["sponsor"] == "professional_association"
    assert plan.cop["training_planned"] is True
    members = plan.to_members()
    assert members["gender"].tolist() == ["woman", "man"]
    assert members["age_band"].tolist() == ["35_49", "50_plus"]
    assert members["voluntary"].tolist() == [False, True]
    with pytest.raises(PlanError, match="steward_type"):
        PlannedCoP.from_dict(
            {"name": "x", "steward_type": "wizard", "composition": {"n_members": 3}}
        )
    with pytest.raises(PlanError, match="training_planned"):
        PlannedCoP.from_dict(
            {"name": "x", "training_planned": "perhaps", "composition": {"n_members": 3}}
        )
