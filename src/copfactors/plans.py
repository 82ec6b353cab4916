"""Planned communities of practice: the description a practitioner writes before launch.

A plan describes the CoP (steward, sponsor, training, organisational support, ...) and its
members, either one by one (``members``: a list of dicts with the codebook's respondent fields)
or as a composition (``composition``: ``n_members``, ``share_women``, ``age_mix``,
``share_voluntary``, ``hours_per_week``, ...). :meth:`PlannedCoP.to_members` turns either form
into one row per planned member with the codebook's column names, ready for a feature builder.

Every problem with a plan is collected and raised at once as :class:`copfactors.errors.PlanError`
naming the field, its value (cut to 80 characters) and what is allowed.

Limits
------
A plan comes from a person, so every field has a plausible range, checked before any work
(:data:`PLAN_LIMITS`): ``n_members`` from 1 to 100,000; ``members`` a list of at most 100,000
entries; ``hours_per_week`` from 0 to 168 (the hours in a week); ``leader_changes`` from 0 to
1,000; answers on the rating scale (``org_support``, ``commitment``, ...) from 1 to 5; shares
from 0 to 1; ``name``, ``platform`` and ``professional_category`` at most 1,000 characters,
``description`` at most 10,000. They are far above any real community of practice, so they
cannot be raised. A plan file is read with a safe reader (``copfactors._utils.safeyaml``): at
most 1 MB by default (``max_bytes`` raises it), no YAML anchors or aliases, no key given twice,
at most 50 levels of nesting, no integer beyond 2**53 and (JSON) no ``NaN``/``Infinity``.

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

from copfactors._utils.safeyaml import MAX_INT, load_json, load_yaml, read_limited, short
from copfactors.errors import PlanError
from copfactors.schema import CODEBOOK, boolean_value, category_code

__all__ = [
    "COMPOSITION_FIELDS",
    "COP_FIELDS",
    "MAX_PLAN_BYTES",
    "MEMBER_FIELDS",
    "PLAN_LIMITS",
    "PlannedCoP",
    "plan_template",
]

#: Largest plan file read by default, in bytes (``max_bytes`` of the readers raises it).
MAX_PLAN_BYTES = 1_000_000

#: The plausible range of each kind of numeric field, and the longest text and member list:
#: ``kind -> (lowest, highest)`` (see the module's description). Values outside are refused.
PLAN_LIMITS: dict[str, tuple[float, float]] = {
    "count": (0, 1_000),
    "positive_count": (1, 100_000),
    "hours": (0, 168),
    "likert": (1, 5),
    "share": (0, 1),
    "members": (1, 100_000),
    "text": (0, 1_000),
    "description": (0, 10_000),
}

#: Problems listed in one PlanError (the count of the others follows).
_MAX_PROBLEMS = 20

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
    "count": "an integer from 0 to 1000",
    "positive_count": "an integer from 1 to 100000",
    "boolean": "true or false (also yes/no, oui/non)",
    "likert": _LIKERT,
    "share": "a share from 0 to 1",
    "hours": "a number of hours per week from 0 to 168",
    "mix": "a mapping of {allowed} to shares summing to 1",
    "text": "text of at most 1000 characters",
}


#: Where a default comes from, in :attr:`PlannedCoP.defaults_used`.
_PLAN_DEFAULT = "copfactors' default for plans"
# the steward's activity (1-5) a plan that does not rate it is given, by type of steward
_STEWARD_ACTIVE_DEFAULT = {"none": 1.0, "designated": 3.0, "dedicated": 4.0}
# what to_members gives a listed member who leaves a field out (the CoP's own fields aside)
_MEMBER_FILL = {
    "voluntary": False,
    "hours_per_week": COMPOSITION_FIELDS["hours_per_week"][2],
    "prior_acquaintance": COMPOSITION_FIELDS["prior_acquaintance"][2],
    "commitment": COMPOSITION_FIELDS["commitment"][2],
}


def _steward_source(steward_type: str) -> str:
    who = "no steward" if steward_type == "none" else f"a {steward_type} steward"
    return f"{_PLAN_DEFAULT} with {who}"


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
        if isinstance(value, str) and len(value) <= PLAN_LIMITS["text"][1]:
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
    low, high = PLAN_LIMITS[kind]
    if not low <= value <= high:
        raise PlanError(expected)
    if kind in ("count", "positive_count"):
        if float(value) != int(value):
            raise PlanError(expected)
        return int(value)
    return float(value)


def _field_name(key: Any) -> str:
    """An unknown field's name as written in a message: its text, cut to 40 characters."""
    text = key if isinstance(key, str) else short(key, 40)
    return text if len(text) <= 40 else text[:40] + "..."


def _is_number(value: Any) -> bool:
    """A finite int or float (integers beyond 2**53, which overflow floats, are not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, int):
        return abs(value) <= MAX_INT
    return math.isfinite(value)


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
    defaults_used : dict
        The fields the plan leaves out that the scores depend on, each with the value taken
        and where it comes from: ``{field: (value, source)}``, filled by :meth:`from_dict`.
        Fields are named as in the plan: ``"steward_type"``, ``"composition.commitment"``;
        ``"members.hours_per_week"`` when some listed members leave it out. Sources are
        ``"copfactors' default for plans"`` (see :data:`COP_FIELDS` and
        :data:`COMPOSITION_FIELDS`; the steward's activity follows the type of steward) and,
        for members, how many leave the field out. ``platform`` (not used by the models) is
        never listed.

    Examples
    --------
    >>> plan = PlannedCoP.from_dict({"composition": {"n_members": 8, "commitment": 4}})
    >>> plan.cop["steward_type"], plan.n_members
    ('none', 8)
    >>> plan.defaults_used["composition.hours_per_week"]
    (0.75, "copfactors' default for plans")
    >>> "composition.commitment" in plan.defaults_used
    False
    """

    name: str = "planned CoP"
    cop: dict[str, Any] = field(default_factory=dict)
    composition: dict[str, Any] | None = None
    members: list[dict[str, Any]] | None = None
    description: str = ""
    source: str | None = None
    defaults_used: dict[str, tuple[Any, str]] = field(default_factory=dict)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str | None = None) -> PlannedCoP:
        """Build a plan from a mapping, checking every field.

        Fields left out take their defaults, and :attr:`defaults_used` records each of them
        (the value taken and where it comes from). Every numeric field must lie in its
        plausible range (:data:`PLAN_LIMITS`): ``n_members`` 1 to 100,000, at most 100,000
        ``members``, ``hours_per_week`` 0 to 168, ``leader_changes`` 0 to 1,000, rating-scale
        answers 1 to 5, shares 0 to 1; texts at most 1,000 characters (``description``
        10,000).

        Raises
        ------
        PlanError
            Listing every bad field (the first 20, then how many more) with its value, cut to
            80 characters, and what is allowed.

        Examples
        --------
        >>> plan = PlannedCoP.from_dict({"members": [{"gender": "woman"}]})
        >>> plan.n_members
        1
        >>> plan.defaults_used["members.commitment"]
        (3.5, "copfactors' default for plans (1 of 1 members leave it out)")
        """
        where = f" in {source}" if source else ""
        if not isinstance(data, Mapping):
            raise PlanError(f"a plan{where} must be a mapping of fields, got {type(data).__name__}")
        problems: list[str] = []

        def bad(path: str, value: Any, expected: str) -> None:
            problems.append(f"{path} = {short(value)}: expected {expected}")

        for key in data:
            if key not in _TOP_LEVEL:
                bad(
                    _field_name(key),
                    data[key],
                    "a known field (" + ", ".join(sorted(_TOP_LEVEL)) + ")",
                )

        cop: dict[str, Any] = {}
        used: dict[str, tuple[Any, str]] = {}
        for key, (kind, allowed, default) in COP_FIELDS.items():
            if key in data and data[key] is not None:
                try:
                    cop[key] = _check(kind, allowed, data[key], key)
                except PlanError as err:
                    bad(key, data[key], str(err))
            else:
                cop[key] = default
                if default is not None:
                    used[key] = (default, _PLAN_DEFAULT)

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
                            f"composition.{_field_name(key)}",
                            composition[key],
                            "a known field (" + ", ".join(COMPOSITION_FIELDS) + ")",
                        )
                for key, (kind, allowed, default) in COMPOSITION_FIELDS.items():
                    value = composition.get(key)
                    if value is None:
                        if key == "n_members":
                            problems.append(
                                "composition.n_members is missing: expected "
                                + _EXPECTED["positive_count"]
                            )
                        comp_out[key] = default
                        if default is not None:
                            used[f"composition.{key}"] = (
                                dict(default) if isinstance(default, Mapping) else default,
                                _PLAN_DEFAULT,
                            )
                        continue
                    try:
                        comp_out[key] = _check(kind, allowed, value, key)
                    except PlanError as err:
                        bad(f"composition.{key}", value, str(err))
        if members is not None:
            most = PLAN_LIMITS["members"][1]
            if not isinstance(members, list) or not members:
                bad("members", members, "a non-empty list of members")
            elif len(members) > most:
                problems.append(
                    f"members: a list of {len(members)} members; expected at most {most} "
                    "(describe a larger CoP by its composition)"
                )
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
                                f"members[{i}].{_field_name(key)}",
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
        steward = cop.get("steward_type")
        if steward in _STEWARD_ACTIVE_DEFAULT:  # a steward's activity follows its type
            active = (_STEWARD_ACTIVE_DEFAULT[steward], _steward_source(steward))
            if comp_out is not None and comp_out.get("steward_active") is None:
                used["composition.steward_active"] = active
        else:
            active = None
        if members_out:
            fills = {k: (v, _PLAN_DEFAULT) for k, v in _MEMBER_FILL.items()}
            if active is not None:
                fills["steward_active"] = active
            for key in MEMBER_FIELDS:
                n_out = sum(key not in m for m in members_out)
                if key in fills and n_out:
                    value, origin = fills[key]
                    used[f"members.{key}"] = (
                        value,
                        f"{origin} ({n_out} of {len(members_out)} members leave it out)",
                    )
        name = data.get("name", "planned CoP")
        if not isinstance(name, str) or len(name) > PLAN_LIMITS["text"][1]:
            bad("name", name, _EXPECTED["text"])
        description = data.get("description", "")
        longest = PLAN_LIMITS["description"][1]
        if not isinstance(description, str) or len(description) > longest:
            bad("description", description, f"text of at most {longest} characters")
        if problems:
            head = (
                f"{len(problems)} problem{'s' if len(problems) > 1 else ''} with the plan{where}:"
            )
            lines = ["  - " + p for p in problems[:_MAX_PROBLEMS]]
            if len(problems) > _MAX_PROBLEMS:
                lines.append(f"  ... and {len(problems) - _MAX_PROBLEMS} more")
            raise PlanError("\n".join([head, *lines]))
        return cls(
            name=str(name),
            cop=cop,
            composition=comp_out,
            members=members_out,
            description=str(description),
            source=source,
            defaults_used=used,
        )

    @classmethod
    def from_json(cls, path: str | Path, *, max_bytes: int = MAX_PLAN_BYTES) -> PlannedCoP:
        """Read a plan from a JSON file (see :meth:`from_dict`).

        The file is read safely: at most ``max_bytes`` bytes (checked before reading), no key
        given twice in an object, at most 50 levels of nesting, no ``NaN``/``Infinity`` and
        no number beyond 2**53 (integers) or the range of floats.

        Parameters
        ----------
        path : str or path-like
        max_bytes : int, default 1_000_000
            Largest file read, in bytes.

        Raises
        ------
        PlanError
            The file is missing, too large, not valid JSON or refused, or the plan is bad.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> tmp = pathlib.Path(tempfile.mkdtemp()) / "plan.json"
        >>> _ = tmp.write_text('{"composition": {"n_members": 5, "n_members": 6}}')
        >>> PlannedCoP.from_json(tmp)
        Traceback (most recent call last):
        ...
        copfactors.errors.PlanError: plan file ...plan.json: the key 'n_members' is given \
twice in one object; give each key once
        """
        path = Path(path)
        source = f"plan file {path}"
        raw = read_limited(path, max_bytes=max_bytes, error=PlanError, what="plan file")
        data = load_json(raw, error=PlanError, source=source, max_bytes=max_bytes)
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_yaml(cls, path: str | Path, *, max_bytes: int = MAX_PLAN_BYTES) -> PlannedCoP:
        """Read a plan from a YAML file (see :meth:`from_dict`).

        The file is read safely: at most ``max_bytes`` bytes (checked before reading), no
        anchors or aliases (``&name``, ``*name``: a few hundred bytes of nested aliases can
        expand to gigabytes), no key given twice in a mapping, at most 50 levels of nesting
        and no integer beyond 2**53; each refusal names the line.

        Parameters
        ----------
        path : str or path-like
        max_bytes : int, default 1_000_000
            Largest file read, in bytes.

        Raises
        ------
        PlanError
            The file is missing, too large, not valid YAML or refused, or the plan is bad.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> tmp = pathlib.Path(tempfile.mkdtemp()) / "plan.yaml"
        >>> _ = tmp.write_text("composition:\\n  n_members: 5\\n")
        >>> PlannedCoP.from_yaml(tmp).n_members
        5
        """
        path = Path(path)
        source = f"plan file {path}"
        raw = read_limited(path, max_bytes=max_bytes, error=PlanError, what="plan file")
        data = load_yaml(raw, error=PlanError, source=source, max_bytes=max_bytes)
        return cls.from_dict(data if data is not None else {}, source=str(path))

    @classmethod
    def from_file(cls, path: str | Path, *, max_bytes: int = MAX_PLAN_BYTES) -> PlannedCoP:
        """Read a plan from ``.yaml``/``.yml`` or ``.json`` by extension.

        See :meth:`from_yaml` and :meth:`from_json` for what is refused; ``max_bytes``
        (default 1_000_000) is the largest file read, in bytes.
        """
        suffix = Path(path).suffix.lower()
        if suffix in (".yaml", ".yml"):
            return cls.from_yaml(path, max_bytes=max_bytes)
        if suffix == ".json":
            return cls.from_json(path, max_bytes=max_bytes)
        raise PlanError(f"plan file {path}: expected a .yaml, .yml or .json file, got {suffix!r}")

    def to_dict(self, defaults: bool = True) -> dict[str, Any]:
        """The plan as a mapping that :meth:`from_dict` reads back.

        Parameters
        ----------
        defaults : bool, default True
            Write the values taken by default too (the plan read back then gives them, and
            its :attr:`defaults_used` is empty but for the steward's activity). With False
            the fields of :attr:`defaults_used` are left out, so the plan read back takes
            (and records) the same defaults.

        Examples
        --------
        >>> plan = PlannedCoP.from_dict({"name": "Pilot", "composition": {"n_members": 8}})
        >>> "org_support" in plan.to_dict(), "org_support" in plan.to_dict(defaults=False)
        (True, False)
        >>> again = PlannedCoP.from_dict(plan.to_dict(defaults=False))
        >>> again.defaults_used == plan.defaults_used
        True
        """
        skip = set() if defaults else set(self.defaults_used)
        out: dict[str, Any] = {k: v for k, v in self.cop.items() if k not in skip}
        out = {"name": self.name, **out}
        if self.description:
            out["description"] = self.description
        if self.composition is not None:
            out["composition"] = {
                k: v for k, v in self.composition.items() if f"composition.{k}" not in skip
            }
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


# --------------------------------------------------------------------------------------------
# the plan template

#: What a field of a plan is, where the codebook's own label does not say it for a plan.
_FIELD_HELP: dict[str, str] = {
    "name": "A name for reports",
    "description": "Free text: what the CoP is for, who takes part",
    "composition": "The planned members described by shares (give this or members, not both)",
    "members": "One entry per planned member (give this or composition, not both)",
    "leader_changes": "Changes of leader expected during the life of the CoP",
    "training_planned": "Whether the members will be trained for the CoP's tools or activities",
    "n_members": "Number of planned members",
    "share_women": "Share of women among the members",
    "age_mix": "Share of the members in each age band",
    "share_voluntary": "Share of the members who join by choice (not designated)",
    "commitment": "The members' commitment: their level on the three commitment items",
}

#: What a field without a default means when it is left out.
_LEFT_OUT: dict[str, str] = {
    "n_members": "(none: required)",
    "steward_active": "(follows steward_type)",
}

#: Units of the numeric kinds of fields.
_UNITS: dict[str, str] = {
    "count": "a number of times",
    "positive_count": "members",
    "share": "a share of the members: 0 = none, 0.5 = half, 1 = all",
    "mix": "shares of the members, summing to 1",
    "hours": "hours per week, per member",
    "likert": "points of the answer scale",
}

#: The example size written in the template for ``n_members``, which has no default.
_TEMPLATE_MEMBERS = 20

#: Fields of the example members written (commented out) in the template.
_TEMPLATE_MEMBER_FIELDS = ("gender", "age_band", "voluntary")


def _yaml_value(value: Any) -> str:
    """``value`` as YAML text that reads back as ``value`` (quoted only where YAML needs it)."""
    import yaml

    if isinstance(value, Mapping):
        return (
            "{" + ", ".join(f"{_yaml_value(k)}: {_yaml_value(v)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    try:
        plain = yaml.safe_load(f"x: {text}")
    except yaml.YAMLError:
        plain = None
    if isinstance(plain, dict) and plain.get("x") == text:
        return text
    return json.dumps(text, ensure_ascii=False)


def _yaml_word(word: str) -> str:
    """A yes/no word as written in YAML: quoted when YAML would read it as a number."""
    import yaml

    return word if isinstance(yaml.safe_load(word), str | bool) else json.dumps(word)


def _variable(name: str) -> Any:
    """The codebook variable a plan field is read as (commitment: its first item), or None."""
    for candidate in (name, f"{name}_1"):
        if candidate in CODEBOOK:
            return CODEBOOK[candidate]
    return None


def _field_comment(
    name: str, kind: str, allowed: Any, default: Any, *, with_default: bool, depth: int = 0
) -> str:
    """The comment lines describing one field: what it is, accepts, its unit and default.

    ``depth`` more spaces after each ``#`` (the member fields are listed inside a comment).
    """
    import textwrap

    from copfactors.schema import FALSE_WORDS, TRUE_WORDS

    var = _variable(name)
    what = _FIELD_HELP.get(name)
    if what is None and var is not None:
        what = (
            f'The members\' expected answer to "{var.label_en}"'
            if kind == "likert"
            else var.label_en
        )
    parts = [f"{name}: {what or name.replace('_', ' ')}"]
    expected = _EXPECTED[kind].format(allowed=", ".join(allowed) if allowed else "")
    if kind == "category" and name in CODEBOOK:
        labels = [
            ", ".join(CODEBOOK[name].category_labels(language).values()) + f" ({language})"
            for language in ("en", "fr")
        ]
        expected += "; also their labels, in any case: " + "; ".join(labels)
    if kind == "boolean":
        pairs = [
            f"{_yaml_word(t)}/{_yaml_word(f)}" for t, f in zip(TRUE_WORDS, FALSE_WORDS, strict=True)
        ]
        expected = "true or false, written as " + ", ".join(pairs) + " (any case)"
    parts.append(f"allowed: {expected}")
    unit = _UNITS.get(kind)
    if kind == "likert" and var is not None and var.anchors("en"):
        (low, first), *_, (high, last) = var.anchors("en").items()
        unit = f"{unit}, from {low} = {first} to {high} = {last}"
    if unit:
        parts.append(f"unit: {unit}")
    if with_default:
        left_out = _LEFT_OUT.get(name, "(empty)") if default is None else _yaml_value(default)
        parts.append(f"default: {left_out}")
    lines = []
    for i, part in enumerate(parts):
        lines += textwrap.wrap(
            part,
            width=99,
            initial_indent="#" + " " * (depth + (1 if i == 0 else 3)),
            subsequent_indent="#" + " " * (depth + (5 if i else 3)),
            break_long_words=False,
            break_on_hyphens=False,
        )
    return "\n".join(lines)


def plan_template() -> str:
    """A commented YAML plan listing every field a plan accepts, ready to fill in.

    Each field comes with what it is, the values it accepts (codes, English and French labels,
    yes/no words), its unit and its default when left out, all taken from the tables the
    plan's fields are checked against (:data:`COP_FIELDS`, :data:`COMPOSITION_FIELDS`,
    :data:`MEMBER_FIELDS` and the codebook). The values written are the defaults (and an
    example size for ``n_members``, which has none), so the template is a valid plan as it is;
    the ``members`` form is shown commented out. ``copfactors plan init`` writes it.

    Returns
    -------
    str
        The template, YAML text ending with a newline.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from copfactors.plans import PlannedCoP, plan_template
    >>> text = plan_template()
    >>> start = text.index("# steward_type")
    >>> print(text[start : text.index("\\n\\n", start)])
    # steward_type: Steward (animator) of the community
    #   allowed: one of none, designated, dedicated; also their labels, in any case: No steward,
    #     Designated, Dedicated (en); Aucun animateur, Désigné, Dédié (fr)
    #   default: none
    steward_type: none
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "plan.yaml"
    >>> _ = path.write_text(text, encoding="utf-8")
    >>> plan = PlannedCoP.from_yaml(path)
    >>> plan.cop["steward_type"], plan.n_members
    ('none', 20)
    """
    import textwrap
    from dataclasses import fields as dataclass_fields

    import yaml

    defaults = {f.name: f.default for f in dataclass_fields(PlannedCoP)}
    quoted = [band for band in _AGE_BANDS if not isinstance(yaml.safe_load(band), str)]
    header = [
        "# A planned community of practice (CoP), to score with: copfactors score plan.yaml",
        "#",
        "# Every field a plan accepts is listed with the values it accepts, its unit and its",
        "# default. A field left out (or commented out) takes its default; the values written",
        "# here are the defaults (n_members, which has none, is an example), so this file is a",
        "# valid plan as it is: change what you know of your CoP. Describe the members either",
        "# by shares (composition) or one by one (members, at the end), not both.",
    ]
    if quoted:
        bands = ", ".join(f'"{band}"' for band in quoted)
        header.append(
            f"# Quotes around the age band {bands} are optional: copfactors reads it unquoted."
        )
    blocks = ["\n".join(header)]

    def top(name: str, kind: str, allowed: Any, default: Any, value: Any) -> str:
        line = f"{name}: {_yaml_value(value)}" if value is not None else f"# {name}:"
        return _field_comment(name, kind, allowed, default, with_default=True) + "\n" + line

    blocks.append(top("name", "text", None, defaults["name"], defaults["name"]))
    blocks.append(top("description", "text", None, defaults["description"], ""))
    for name, (kind, allowed, default) in COP_FIELDS.items():
        blocks.append(top(name, kind, allowed, default, default))

    composition = [f"# composition: {_FIELD_HELP['composition']}", "composition:"]
    for name, (kind, allowed, default) in COMPOSITION_FIELDS.items():
        value = _TEMPLATE_MEMBERS if name == "n_members" else default
        comment = _field_comment(name, kind, allowed, default, with_default=True)
        line = f"{name}: {_yaml_value(value)}" if value is not None else f"# {name}:"
        composition.append("\n".join("  " + text for text in [*comment.splitlines(), line]))
    blocks.append("\n".join(composition[:2]) + "\n" + "\n\n".join(composition[2:]))

    examples = []
    for i in range(2):
        member = {}
        for name in _TEMPLATE_MEMBER_FIELDS:
            kind, allowed = MEMBER_FIELDS[name]
            member[name] = allowed[i % len(allowed)] if kind == "category" else i == 0
        examples.append(f"#   - {_yaml_value(member)}")
    intro = (
        f"members: {_FIELD_HELP['members']}. To list the members one by one, delete composition "
        "above and uncomment these lines (one line per member):"
    )
    members = [
        *textwrap.wrap(intro, width=99, initial_indent="# ", subsequent_indent="# "),
        "# members:",
        *examples,
        "# The fields of a member, each optional (left out, the CoP-level values and the",
        "# composition defaults above fill in what they can):",
    ]
    for name, (kind, allowed) in MEMBER_FIELDS.items():
        members.append(_field_comment(name, kind, allowed, None, with_default=False, depth=2))
    blocks.append("\n".join(members))

    handled = {"name", "description", "composition", "members", *COP_FIELDS}
    for name in sorted(_TOP_LEVEL - handled):
        blocks.append(f"# {name}: see PlannedCoP.from_dict\n# {name}:")
    return "\n\n".join(blocks) + "\n"
