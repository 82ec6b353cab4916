"""copfactors.plans: reading and checking planned CoPs."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
import yaml

from copfactors.errors import PlanError
from copfactors.plans import (
    _EXPECTED,
    COMPOSITION_FIELDS,
    COP_FIELDS,
    MEMBER_FIELDS,
    PlannedCoP,
    plan_template,
)
from copfactors.schema import FALSE_WORDS, TRUE_WORDS, boolean_value


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


# ---------------------------------------------------------------------------------------------
# the plan template
# ---------------------------------------------------------------------------------------------
_DESCRIBED = re.compile(
    r"^(?P<name>\w+): (?P<what>.*?) allowed: (?P<allowed>.*?)"
    r"(?: unit: (?P<unit>.*?))?(?: default: (?P<default>.*))?$"
)


def _field_descriptions(text: str) -> dict[str, dict[str, str | None]]:
    """The described fields of the template's top level and composition (not the members).

    Each field is a run of comment lines starting ``# name:`` and ending with its value line,
    ``name: value`` or ``# name:`` (no value); wrapped lines are joined back.
    """
    fields: dict[str, dict[str, str | None]] = {}
    main = text.split("\n# members:")[0]
    for block in main.split("\n\n"):
        lines = [line.strip() for line in block.splitlines()]
        last = re.fullmatch(r"(#\s)?(\w+):(.*)", lines[-1])
        if last is None:
            continue
        name = last[2]
        start = max(i for i, line in enumerate(lines) if line.startswith(f"# {name}: "))
        joined = " ".join(line.lstrip("#").strip() for line in lines[start:-1])
        match = _DESCRIBED.match(joined)
        assert match is not None, joined
        fields[name] = {**match.groupdict(), "value": last[3].strip() if not last[1] else None}
    return fields


def test_the_template_is_a_valid_plan_of_the_defaults(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(plan_template(), encoding="utf-8")
    plan = PlannedCoP.from_yaml(path)
    assert plan.name == PlannedCoP.name and plan.members is None
    assert plan.cop == {name: default for name, (_, _, default) in COP_FIELDS.items()}
    for name, (_, _, default) in COMPOSITION_FIELDS.items():
        if default is not None:
            assert plan.composition[name] == default, name
    assert plan.n_members >= 1
    assert len(plan.to_members()) == plan.n_members


def test_the_template_lists_every_field():
    text = plan_template()
    top_level = {"name", "description", "composition", "members", *COP_FIELDS}
    # every field of a PlannedCoP that a plan sets appears, the CoP-level ones under their names
    plan_attributes = {f.name for f in dataclasses.fields(PlannedCoP)} - {"source"}
    assert {"name", "description", "composition", "members", "cop"} <= plan_attributes
    for name in top_level:
        assert re.search(rf"^(# )?{name}:", text, re.M), name
    for name in COMPOSITION_FIELDS:
        assert re.search(rf"^  (# )?{name}:", text, re.M), name
    members = text[text.index("\n# members:") :]
    for name in MEMBER_FIELDS:
        assert re.search(rf"^#   {name}: ", members, re.M), name
    described = _field_descriptions(text)
    assert set(described) == {*COP_FIELDS, *COMPOSITION_FIELDS, "name", "description"}
    for name, (kind, _, _) in {**COP_FIELDS, **COMPOSITION_FIELDS}.items():
        # a unit for every number, and a default (or why there is none) for every field
        assert (described[name]["unit"] is not None) == (
            kind not in ("category", "boolean", "text")
        )
        assert described[name]["default"], name


def test_the_template_allowed_values_are_the_checked_ones():
    described = _field_descriptions(plan_template())
    for name, (kind, allowed, default) in {**COP_FIELDS, **COMPOSITION_FIELDS}.items():
        said = described[name]
        if kind == "category":
            codes, _, labels = said["allowed"].partition("; also their labels, in any case: ")
            assert codes == "one of " + ", ".join(allowed)
            for language in labels.split("; "):
                listed, _, lang = language.rpartition(" (")
                assert lang in ("en)", "fr)")
                for code, label in zip(allowed, listed.split(", "), strict=True):
                    plan = PlannedCoP.from_dict({name: label, "composition": {"n_members": 1}})
                    assert plan.cop[name] == code, (name, label)
        elif kind == "boolean":
            words = said["allowed"].removeprefix("true or false, written as ")
            words = words.removesuffix(" (any case)").split(", ")
            read = []
            for pair in words:
                for word, meaning in zip(pair.split("/"), (True, False), strict=True):
                    raw = json.loads(word) if word.startswith('"') else word
                    # the word itself, and as YAML reads it written so in a plan
                    assert boolean_value(raw) is meaning, word
                    assert boolean_value(yaml.safe_load(word)) is meaning, word
                    read.append(raw)
            assert sorted(read) == sorted(TRUE_WORDS + FALSE_WORDS)
        else:
            assert said["allowed"].startswith(
                _EXPECTED[kind].format(allowed=", ".join(allowed or ()))
            )
        if default is not None:
            assert yaml.safe_load(said["default"]) == default, name
            if said["value"] is not None and name != "n_members":
                assert yaml.safe_load(said["value"]) == default, name
        else:
            assert said["default"].startswith("("), name


def test_the_template_members_example_is_valid():
    text = plan_template()
    examples = [
        yaml.safe_load(line.removeprefix("#   - "))
        for line in text.splitlines()
        if line.startswith("#   - ")
    ]
    assert len(examples) == 2
    plan = PlannedCoP.from_dict({"members": examples})
    assert plan.n_members == 2
    # uncommenting the members and deleting composition gives a valid plan
    lines = text.splitlines()
    start = lines.index("composition:")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("# members:"))
    kept = lines[:start] + [
        line.removeprefix("# ") if line == "# members:" or line.startswith("#   - ") else line
        for line in lines[end:]
    ]
    members = PlannedCoP.from_dict(yaml.safe_load("\n".join(kept)))
    assert members.members == plan.members


# ---------------------------------------------------------------------------------------------
# defaults_used: every field left out, the value taken and where it comes from
# ---------------------------------------------------------------------------------------------
PLAN_DEFAULT = "copfactors' default for plans"


def test_defaults_used_lists_exactly_the_fields_left_out():
    plan = PlannedCoP.from_dict(
        {"steward_type": "designated", "org_support": 4, "composition": {"n_members": 9}}
    )
    assert plan.defaults_used == {
        "sponsor": ("employer", PLAN_DEFAULT),
        "leader_changes": (0, PLAN_DEFAULT),
        "training_planned": (False, PLAN_DEFAULT),
        "employer_recognition": (3.0, PLAN_DEFAULT),
        "peer_recognition": (3.0, PLAN_DEFAULT),
        "tech_mastery": (3.0, PLAN_DEFAULT),
        "composition.share_women": (0.5, PLAN_DEFAULT),
        "composition.age_mix": ({"under_35": 0.2, "35_49": 0.6, "50_plus": 0.2}, PLAN_DEFAULT),
        "composition.share_voluntary": (0.5, PLAN_DEFAULT),
        "composition.hours_per_week": (0.75, PLAN_DEFAULT),
        "composition.prior_acquaintance": (2.0, PLAN_DEFAULT),
        "composition.commitment": (3.5, PLAN_DEFAULT),
        "composition.steward_active": (3.0, f"{PLAN_DEFAULT} with a designated steward"),
    }
    # the values recorded are the values the members get
    members = plan.to_members()
    assert (members["commitment_1"] == 3.5).all() and (members["hours_per_week"] == 0.75).all()
    assert (members["org_support"] == 4).all() and (members["employer_recognition"] == 3).all()


def test_no_defaults_when_every_field_is_given():
    plan = PlannedCoP.from_dict(
        _composition_plan(
            leader_changes=1,
            org_support=4,
            employer_recognition=2,
            peer_recognition=4,
            tech_mastery=3,
            composition={**_composition_plan()["composition"], "steward_active": 4.5},
        )
    )
    assert plan.defaults_used == {}
    # a dedicated steward whose activity is not rated: it is the one default
    left_out = PlannedCoP.from_dict(
        _composition_plan(
            leader_changes=1,
            org_support=4,
            employer_recognition=2,
            peer_recognition=4,
            tech_mastery=3,
        )
    )
    assert left_out.defaults_used == {
        "composition.steward_active": (4.0, f"{PLAN_DEFAULT} with a dedicated steward")
    }


def test_defaults_used_of_listed_members_count_the_members_who_leave_a_field_out():
    plan = PlannedCoP.from_dict(
        {
            "steward_type": "none",
            "sponsor": "employer",
            "leader_changes": 0,
            "training_planned": True,
            "org_support": 3,
            "employer_recognition": 3,
            "peer_recognition": 3,
            "tech_mastery": 3,
            "members": [
                {"gender": "man", "voluntary": True, "hours_per_week": 1, "commitment": 4},
                {"gender": "woman", "voluntary": False, "prior_acquaintance": 3},
                {"gender": "woman", "voluntary": True, "hours_per_week": 2},
            ],
        }
    )
    assert plan.defaults_used == {
        "members.hours_per_week": (0.75, f"{PLAN_DEFAULT} (1 of 3 members leave it out)"),
        "members.prior_acquaintance": (2.0, f"{PLAN_DEFAULT} (2 of 3 members leave it out)"),
        "members.commitment": (3.5, f"{PLAN_DEFAULT} (2 of 3 members leave it out)"),
        "members.steward_active": (
            1.0,
            f"{PLAN_DEFAULT} with no steward (3 of 3 members leave it out)",
        ),
    }
    members = plan.to_members()
    assert members["hours_per_week"].tolist() == [1.0, 0.75, 2.0]
    assert members["commitment_1"].tolist() == [4.0, 3.5, 3.5]
    assert members["steward_active"].tolist() == [1.0, 1.0, 1.0]


def test_to_dict_without_defaults_reads_back_the_same_defaults(tmp_path):
    plan = PlannedCoP.from_dict({"name": "Pilot", "composition": {"n_members": 8}})
    lean = plan.to_dict(defaults=False)
    assert "org_support" not in lean and set(lean["composition"]) == {"n_members"}
    again = PlannedCoP.from_dict(lean)
    assert again.defaults_used == plan.defaults_used
    assert again.to_dict() == plan.to_dict()
    # with the defaults written out, they are given: only the steward's activity is left
    full = PlannedCoP.from_dict(plan.to_dict())
    assert list(full.defaults_used) == ["composition.steward_active"]


# ---------------------------------------------------------------------------------------------
# hostile plan files: bounded work, short messages, copfactors errors only
def _billion_laughs() -> str:
    """Nine levels of nine aliases: under 400 bytes that expand to 9**9 strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_at_its_first_anchor_with_a_short_message(tmp_path):
    text = _billion_laughs()
    assert len(text.encode()) < 400
    path = tmp_path / "laughs.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError) as info:
        PlannedCoP.from_yaml(path)
    message = str(info.value)
    assert message.startswith(f"plan file {path}, line 1: the anchor &a is not allowed")
    assert "lol" not in message and len(message) < 300


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: &n Pilot\ncomposition:\n  n_members: 5\n", "line 1: the anchor &n"),
        ("composition:\n  n_members: 5\nname: *n\n", "line 3: the alias *n"),
        ("composition:\n  <<: {n_members: 5}\n", "line 2: merge keys (<<) are not allowed"),
    ],
)
def test_anchors_aliases_and_merge_keys_are_refused_naming_the_line(tmp_path, text, expected):
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError, match=re.escape(expected)):
        PlannedCoP.from_file(path)


def test_duplicate_keys_are_refused_in_yaml_and_json(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("composition:\n  n_members: 5\n  n_members: 500\n", encoding="utf-8")
    with pytest.raises(PlanError, match=r"line 3: the key 'n_members' is given twice"):
        PlannedCoP.from_file(path)
    path = tmp_path / "plan.json"
    path.write_text('{"steward_type": "none", "steward_type": "dedicated"}', encoding="utf-8")
    with pytest.raises(PlanError, match=r"plan\.json: the key 'steward_type' is given twice"):
        PlannedCoP.from_file(path)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_deep_nesting_is_refused(tmp_path, suffix):
    path = tmp_path / f"deep{suffix}"
    depth = 100_000 if suffix == ".json" else 5_000
    path.write_text('{"name": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
    with pytest.raises(PlanError, match="nested"):
        PlannedCoP.from_file(path)
    path.write_text('{"name": ' + "[" * 60 + "]" * 60 + "}", encoding="utf-8")
    with pytest.raises(PlanError, match="nested more than 50 levels"):
        PlannedCoP.from_file(path)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("huge.yaml", "composition:\n  n_members: " + "9" * 5000 + "\n", "5000 characters"),
        ("big.yaml", "composition:\n  n_members: 9007199254740993\n", "too large"),
        ("huge.json", '{"composition": {"n_members": ' + "9" * 5000 + "}}", "5000 digits"),
        ("nan.json", '{"composition": {"n_members": NaN}}', "bare token NaN"),
        ("inf.json", '{"composition": {"n_members": Infinity}}', "bare token Infinity"),
        ("float.json", '{"composition": {"n_members": 1e999}}', "too large for a float"),
    ],
)
def test_huge_and_non_finite_numbers_are_refused(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError, match=expected) as info:
        PlannedCoP.from_file(path)
    assert len(str(info.value)) < 300


def test_a_huge_integer_in_a_mapping_is_a_plan_error():
    with pytest.raises(PlanError, match=r"composition\.n_members = .*integer from 1 to 100000"):
        PlannedCoP.from_dict({"composition": {"n_members": 10**400}})
    with pytest.raises(PlanError, match=r"leader_changes = .*integer from 0 to 1000"):
        PlannedCoP.from_dict({"leader_changes": -(10**400), "composition": {"n_members": 3}})


def test_file_size_is_capped_before_parsing_and_the_cap_can_be_raised(tmp_path):
    path = tmp_path / "plan.yaml"
    text = "composition:\n  n_members: 5\ndescription: " + "x" * 1_000_000 + "\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError, match=r"is \d+ bytes, more than the 1000000 allowed"):
        PlannedCoP.from_file(path)
    # a larger cap lets the file be parsed; the description is then too long for a plan
    with pytest.raises(PlanError, match=r"description = 'xxx.*\(1000002 characters\)"):
        PlannedCoP.from_file(path, max_bytes=2_000_000)
    small = tmp_path / "small.json"
    small.write_text('{"composition": {"n_members": 5}}', encoding="utf-8")
    with pytest.raises(PlanError, match="more than the 10 allowed"):
        PlannedCoP.from_json(small, max_bytes=10)
    assert PlannedCoP.from_json(small).n_members == 5


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("composition.n_members", 100_001, "an integer from 1 to 100000"),
        ("composition.hours_per_week", 169, "a number of hours per week from 0 to 168"),
        ("leader_changes", 1001, "an integer from 0 to 1000"),
        ("org_support", 6, "from 1 to 5"),
        ("composition.share_women", 1.01, "a share from 0 to 1"),
        ("platform", "p" * 1001, "text of at most 1000 characters"),
        ("name", "n" * 1001, "text of at most 1000 characters"),
    ],
)
def test_fields_out_of_their_plausible_range_are_named(field, value, expected):
    plan = _composition_plan()
    if field.startswith("composition."):
        plan["composition"][field.split(".")[1]] = value
    else:
        plan[field] = value
    with pytest.raises(PlanError, match=re.escape(expected)) as info:
        PlannedCoP.from_dict(plan)
    assert f"{field} = " in str(info.value) and len(str(info.value)) < 400
    # the top of each range is accepted
    top = {"composition.n_members": 100_000, "composition.hours_per_week": 168}
    if field in top:
        plan["composition"][field.split(".")[1]] = top[field]
        PlannedCoP.from_dict(plan)


def test_member_list_length_and_member_hours_are_bounded():
    with pytest.raises(PlanError, match="members: a list of 100001 members; expected at most"):
        PlannedCoP.from_dict({"members": [{}] * 100_001})
    with pytest.raises(PlanError, match=r"members\[2\]\.hours_per_week = 200"):
        PlannedCoP.from_dict({"members": [{}, {"hours_per_week": 200}]})


def test_long_values_and_many_problems_are_cut_in_the_message():
    plan = {"steward_type": "w" * 1_000_000, "members": [{"gender": "x"}] * 30}
    with pytest.raises(PlanError) as info:
        PlannedCoP.from_dict(plan)
    message = str(info.value)
    assert message.startswith("31 problems with the plan")
    assert "(1000002 characters)" in message and "... and 11 more" in message
    assert len(message) < 5000
