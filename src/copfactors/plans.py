"""Planned communities of practice: the description a practitioner writes before launch.

A plan describes the CoP (steward, sponsor, training, organisational support, ...) and its
members, either one by one (``members``: a list of dicts with the codebook's respondent fields)
or as a composition (``composition``: ``n_members``, ``share_women``, ``age_mix``,
``share_voluntary``, ``hours_per_week``, ...). :meth:`PlannedCoP.to_members` turns either form
into one row per planned member with the codebook's column names, ready for a feature builder.

Every problem with a plan is collected and raised at once as :class:`copfactors.errors.PlanError`
naming the field, its value and what is allowed.

Examples
--------
>>> from copfactors.plans import PlannedCoP
>>> plan = PlannedCoP.from_dict(
...     {
...         "name": "Heart-health website",
...         "steward_type": "dedicated",
...         "sponsor": "professional_association",
...         "composition": {"n_members": 20, "share_women": 1.0, "share_voluntary": 1.0},
...     }
... )
>>> members = plan.to_members()
>>> len(members), int((members["gender"] == "woman").sum())
(20, 20)
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from copfactors.errors import PlanError
from copfactors.schema import CODEBOOK, boolean_value, category_code

__all__ = ["COMPOSITION_FIELDS", "COP_FIELDS", "MEMBER_FIELDS", "PlannedCoP"]

_LIKERT = "an integer or number from 1 to 5"
_AGE_BANDS = ("under_35", "35_49", "50_plus")

#: CoP-level fields of a plan: name -> (kind, allowed, default).
COP_FIELDS: dict[str, tuple[str, Any, Any]] = {
    "steward_type": ("category", ("none", "designated", "dedicated"), "none"),
    "sponsor": (
        "category",
        ("employer", "professional_association", "inter_organisational"),
        "employer",
    ),
    "leader_changes": ("count", None, 0),
    "training_planned": ("boolean", None, False),
    "org_support": ("likert", None, 3.0),
    "employer_recognition": ("likert", None, 3.0),
    "peer_recognition": ("likert", None, 3.0),
    "tech_mastery": ("likert", None, 3.0),
    "platform": ("text", None, None),
}

#: Composition fields of a plan: name -> (kind, allowed, default).
COMPOSITION_FIELDS: dict[str, tuple[str, Any, Any]] = {
    "n_members": ("positive_count", None, None),
    "share_women": ("share", None, 0.5),
    "age_mix": ("mix", _AGE_BANDS, {"under_35": 0.2, "35_49": 0.6, "50_plus": 0.2}),
    "share_voluntary": ("share", None, 0.5),
    "hours_per_week": ("hours", None, 0.75),
    "prior_acquaintance": ("likert", None, 2.0),
    "commitment": ("likert", None, 3.5),
    "steward_active": ("likert", None, None),
}

#: Fields one planned member may have: name -> (kind, allowed).
MEMBER_FIELDS: dict[str, tuple[str, Any]] = {
    "gender": ("category", ("woman", "man")),
    "age_band": ("category", _AGE_BANDS),
    "schooling": ("category", ("secondary", "college", "university", "graduate")),
    "language": ("category", ("fr", "en")),
    "professional_category": ("text", None),
    "voluntary": ("boolean", None),
    "hours_per_week": ("hours", None),
    "prior_acquaintance": ("likert", None),
    "commitment": ("likert", None),
    "steward_active": ("likert", None),
    "training_received": ("boolean", None),
    "org_support": ("likert", None),
    "employer_recognition": ("likert", None),
    "peer_recognition": ("likert", None),
    "tech_mastery": ("likert", None),
}

_TOP_LEVEL = {"name", "description", "composition", "members", *COP_FIELDS}

_EXPECTED = {
    "category": "one of {allowed}",
    "count": "an integer >= 0",
    "positive_count": "an integer >= 1",
    "boolean": "true or false (also yes/no, oui/non)",
    "likert": _LIKERT,
    "share": "a share from 0 to 1",
    "hours": "a number of hours per week >= 0",
    "mix": "a mapping of {allowed} to shares summing to 1",
    "text": "text",
}


def _yaml_band(value: Any) -> Any:
    """Undo YAML 1.1 reading an unquoted ``35_49`` as the integer 3549."""
    if isinstance(value, int) and not isinstance(value, bool) and value == 3549:
        return "35_49"
    return value


def _check(kind: str, allowed: Any, value: Any, name: str | None = None) -> Any:
    """Return the cleaned value, or raise PlanError with what is expected.

    Category and yes/no values are read as in a survey, through the codebook's own readers
    (:func:`copfactors.schema.category_code`, :func:`copfactors.schema.boolean_value`): codes,
    English and French labels, ``oui``/``non``. The caller collects the errors into one
    PlanError naming every bad field.
    """
    if allowed is not None and "35_49" in allowed:
        value = _yaml_band(value)
    expected = _EXPECTED[kind].format(allowed=", ".join(allowed) if allowed else "")
    if kind == "category":
        if isinstance(value, str) and value.strip().lower() in allowed:
            return value.strip().lower()
        code = category_code(name, value) if name in CODEBOOK else None
        if code is not None and code in allowed:
            return code
        raise PlanError(expected)
    if kind == "text":
        if isinstance(value, str):
            return value
        raise PlanError(expected)
    if kind == "boolean":
        word = boolean_value(value)
        if word is not None:
            return word
        raise PlanError(expected)
    if kind == "mix":
        if not isinstance(value, Mapping) or not value:
            raise PlanError(expected)
        out = {}
        for key, share in value.items():
            key = _yaml_band(key)
            if key not in allowed or not _is_number(share) or not 0 <= share <= 1:
                raise PlanError(expected)
            out[key] = float(share)
        if not math.isclose(sum(out.values()), 1.0, abs_tol=1e-6):
            raise PlanError(expected + f" (they sum to {sum(out.values()):g})")
        return out
    if not _is_number(value):
        raise PlanError(expected)
    if kind in ("count", "positive_count"):
        if float(value) != int(value) or value < (1 if kind == "positive_count" else 0):
            raise PlanError(expected)
        return int(value)
    if kind == "likert" and not 1 <= value <= 5:
        raise PlanError(expected)
    if kind == "share" and not 0 <= value <= 1:
        raise PlanError(expected)
    if kind == "hours" and not 0 <= value:
        raise PlanError(expected)
    return float(value)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _apportion(n: int, shares: Mapping[str, float]) -> dict[str, int]:
    """Split ``n`` members by ``shares`` with the largest-remainder method (deterministic)."""
    raw = {k: n * s for k, s in shares.items()}
    counts = {k: int(math.floor(v)) for k, v in raw.items()}
    left = n - sum(counts.values())
    order = sorted(raw, key=lambda k: (-(raw[k] - counts[k]), list(shares).index(k)))
    for key in order[:left]:
        counts[key] += 1
    return counts


@dataclass
class PlannedCoP:
    """A community of practice as planned before launch.

    Parameters
    ----------
    name : str
        A name for reports.
    cop : dict
        CoP-level fields (see :data:`COP_FIELDS`), defaults filled in.
    composition : dict or None
        Member composition (see :data:`COMPOSITION_FIELDS`), when the plan gives one.
    members : list of dict or None
        One dict per planned member (see :data:`MEMBER_FIELDS`), when the plan lists them.
    description : str
        Free text.
    source : str or None
        File the plan was read from.

    Examples
    --------
    >>> plan = PlannedCoP.from_dict({"composition": {"n_members": 8}})
    >>> plan.cop["steward_type"], plan.n_members
    ('none', 8)
    """

    name: str = "planned CoP"
    cop: dict[str, Any] = field(default_factory=dict)
    composition: dict[str, Any] | None = None
    members: list[dict[str, Any]] | None = None
    description: str = ""
    source: str | None = None

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str | None = None) -> PlannedCoP:
        """Build a plan from a mapping, checking every field.

        Raises
        ------
        PlanError
            Listing every bad field with its value and what is allowed.

        Examples
        --------
        >>> PlannedCoP.from_dict({"members": [{"gender": "woman"}]}).n_members
        1
        """
        where = f" in {source}" if source else ""
        if not isinstance(data, Mapping):
            raise PlanError(f"a plan{where} must be a mapping of fields, got {type(data).__name__}")
        problems: list[str] = []

        def bad(path: str, value: Any, expected: str) -> None:
            problems.append(f"{path} = {value!r}: expected {expected}")

        for key in data:
            if key not in _TOP_LEVEL:
                bad(str(key), data[key], "a known field (" + ", ".join(sorted(_TOP_LEVEL)) + ")")

        cop: dict[str, Any] = {}
        for key, (kind, allowed, default) in COP_FIELDS.items():
            if key in data and data[key] is not None:
                try:
                    cop[key] = _check(kind, allowed, data[key], key)
                except PlanError as err:
                    bad(key, data[key], str(err))
            else:
                cop[key] = default

        composition = data.get("composition")
        members = data.get("members")
        comp_out: dict[str, Any] | None = None
        members_out: list[dict[str, Any]] | None = None
        if (composition is None) == (members is None):
            problems.append(
                "a plan needs exactly one of 'composition' (n_members, shares, ...) or 'members' "
                "(one entry per planned member)"
            )
        if composition is not None:
            if not isinstance(composition, Mapping):
                bad("composition", composition, "a mapping of composition fields")
            else:
                comp_out = {}
                for key in composition:
                    if key not in COMPOSITION_FIELDS:
                        bad(
                            f"composition.{key}",
                            composition[key],
                            "a known field (" + ", ".join(COMPOSITION_FIELDS) + ")",
                        )
                for key, (kind, allowed, default) in COMPOSITION_FIELDS.items():
                    value = composition.get(key)
                    if value is None:
                        if key == "n_members":
                            problems.append(
                                "composition.n_members is missing: expected an integer >= 1"
                            )
                        comp_out[key] = default
                        continue
                    try:
                        comp_out[key] = _check(kind, allowed, value, key)
                    except PlanError as err:
                        bad(f"composition.{key}", value, str(err))
        if members is not None:
            if not isinstance(members, list) or not members:
                bad("members", members, "a non-empty list of members")
            else:
                members_out = []
                for i, member in enumerate(members, start=1):
                    if not isinstance(member, Mapping):
                        bad(f"members[{i}]", member, "a mapping of member fields")
                        continue
                    clean: dict[str, Any] = {}
                    for key, value in member.items():
                        if key not in MEMBER_FIELDS:
                            bad(
                                f"members[{i}].{key}",
                                value,
                                "a known field (" + ", ".join(MEMBER_FIELDS) + ")",
                            )
                            continue
                        if value is None:
                            continue
                        kind, allowed = MEMBER_FIELDS[key]
                        try:
                            clean[key] = _check(kind, allowed, value, key)
                        except PlanError as err:
                            bad(f"members[{i}].{key}", value, str(err))
                    members_out.append(clean)
        name = data.get("name", "planned CoP")
        if not isinstance(name, str):
            bad("name", name, "text")
        description = data.get("description", "")
        if not isinstance(description, str):
            bad("description", description, "text")
        if problems:
            head = (
                f"{len(problems)} problem{'s' if len(problems) > 1 else ''} with the plan{where}:"
            )
            raise PlanError("\n".join([head, *("  - " + p for p in problems)]))
        return cls(
            name=str(name),
            cop=cop,
            composition=comp_out,
            members=members_out,
            description=str(description),
            source=source,
        )

    @classmethod
    def from_json(cls, path: str | Path) -> PlannedCoP:
        """Read a plan from a JSON file (see :meth:`from_dict`)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            raise PlanError(f"plan file {path} does not exist") from err
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise PlanError(f"plan file {path} is not valid JSON: {err}") from err
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_yaml(cls, path: str | Path) -> PlannedCoP:
        """Read a plan from a YAML file (see :meth:`from_dict`).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> tmp = pathlib.Path(tempfile.mkdtemp()) / "plan.yaml"
        >>> _ = tmp.write_text("composition:\\n  n_members: 5\\n")
        >>> PlannedCoP.from_yaml(tmp).n_members
        5
        """
        import yaml

        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            raise PlanError(f"plan file {path} does not exist") from err
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise PlanError(f"plan file {path} is not valid YAML: {err}") from err
        return cls.from_dict(data if data is not None else {}, source=str(path))

    @classmethod
    def from_file(cls, path: str | Path) -> PlannedCoP:
        """Read a plan from ``.yaml``/``.yml`` or ``.json`` by extension."""
        suffix = Path(path).suffix.lower()
        if suffix in (".yaml", ".yml"):
            return cls.from_yaml(path)
        if suffix == ".json":
            return cls.from_json(path)
        raise PlanError(f"plan file {path}: expected a .yaml, .yml or .json file, got {suffix!r}")

    def to_dict(self) -> dict[str, Any]:
        """The plan as a mapping that :meth:`from_dict` reads back."""
        out: dict[str, Any] = {"name": self.name, **self.cop}
        if self.description:
            out["description"] = self.description
        if self.composition is not None:
            out["composition"] = dict(self.composition)
        if self.members is not None:
            out["members"] = [dict(m) for m in self.members]
        return {k: v for k, v in out.items() if v is not None}

    # -- members ------------------------------------------------------------------------------
    @property
    def n_members(self) -> int:
        """Number of planned members."""
        if self.members is not None:
            return len(self.members)
        assert self.composition is not None
        return int(self.composition["n_members"])

    def to_members(self) -> Any:
        """One row per planned member with the codebook's column names.

        Composition plans are expanded deterministically: counts of women, age bands and
        voluntary members by the largest-remainder method, numeric levels copied to every member.
        The commitment level fills the three commitment items, so its scale score is that level.

        Returns
        -------
        pandas.DataFrame
        """
        import pandas as pd

        rows: list[dict[str, Any]]
        if self.members is not None:
            rows = [dict(m) for m in self.members]
        else:
            comp = self.composition or {}
            n = int(comp["n_members"])
            women = _apportion(n, {"woman": comp["share_women"], "man": 1 - comp["share_women"]})
            ages = _apportion(n, comp["age_mix"])
            vol = _apportion(n, {"yes": comp["share_voluntary"], "no": 1 - comp["share_voluntary"]})
            genders = ["woman"] * women["woman"] + ["man"] * women["man"]
            age_list = [band for band in ages for _ in range(ages[band])]
            voluntary = [True] * vol["yes"] + [False] * vol["no"]
            rows = []
            for i in range(n):
                row: dict[str, Any] = {
                    "gender": genders[i],
                    "age_band": age_list[i],
                    "voluntary": voluntary[i],
                    "hours_per_week": comp["hours_per_week"],
                    "prior_acquaintance": comp["prior_acquaintance"],
                    "commitment": comp["commitment"],
                }
                if comp.get("steward_active") is not None:
                    row["steward_active"] = comp["steward_active"]
                rows.append(row)
        cop = self.cop
        steward_default = {"none": 1.0, "designated": 3.0, "dedicated": 4.0}[cop["steward_type"]]
        for i, row in enumerate(rows, start=1):
            row.setdefault("training_received", cop["training_planned"])
            for key in ("org_support", "employer_recognition", "peer_recognition", "tech_mastery"):
                row.setdefault(key, cop[key])
            row.setdefault("steward_active", steward_default)
            row.setdefault("voluntary", False)
            row.setdefault("hours_per_week", COMPOSITION_FIELDS["hours_per_week"][2])
            row.setdefault("prior_acquaintance", COMPOSITION_FIELDS["prior_acquaintance"][2])
            commitment = row.pop("commitment", COMPOSITION_FIELDS["commitment"][2])
            for item in ("commitment_1", "commitment_2", "commitment_3"):
                row[item] = float(commitment)
            row["steward_type"] = cop["steward_type"]
            row["sponsor"] = cop["sponsor"]
            row["leader_changes"] = cop["leader_changes"]
            row["respondent_id"] = f"planned-{i:04d}"
            row["cop_id"] = self.name
        frame = pd.DataFrame(rows)
        for col in ("gender", "age_band"):
            if col not in frame:
                frame[col] = pd.NA
        return frame
