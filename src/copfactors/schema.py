"""The survey codebook and the validation of survey tables against it.

A survey is one flat table with one row per respondent; the attributes of each community of
practice (CoP) are repeated on the rows of its members. :data:`CODEBOOK` declares every column:
its role, type, allowed values, English and French labels, Likert anchors and missing codes.
:func:`validate` checks a table against it, reports *every* problem at once in a
:class:`~copfactors.errors.SchemaError`, and otherwise returns a typed copy.

Missing values
--------------
An empty cell (or one holding only spaces), ``None``, ``NaN`` and ``pandas.NA`` are missing, and
so is the text ``NA`` (as written by R). Nothing else is: ``"n/a"`` or ``"-"`` in a numeric
column is a problem, not a guess. Other codes (``9``, ``99``, ``"n/a"``) can be declared with
``read_survey(..., missing_codes=...)``; SPSS user-missing codes are read from the file.

Which columns must be there
---------------------------
Only ``respondent_id`` and ``cop_id`` are required. Every other codebook column may be absent,
but if present it must be valid. Columns the codebook does not know are kept unchanged and listed
in ``attrs["unknown_columns"]``. A codebook column whose cells are all missing is not a problem
(it is kept, all missing, and listed in ``attrs["empty_columns"]``), except for the two id
columns, which must be filled on every row. A table without rows is a problem.

Examples
--------
>>> import pandas as pd
>>> from copfactors.schema import validate
>>> raw = pd.DataFrame(
...     {"respondent_id": ["r1", "r2"], "cop_id": ["A", "A"], "gender": [" Woman ", ""],
...      "imp_learning": ["5", 4.0]}
... )
>>> survey = validate(raw)
>>> survey["gender"].tolist()
['woman', nan]
>>> str(survey["imp_learning"].dtype)
'Int64'
"""

from __future__ import annotations

import decimal
import math
import numbers
import os
import re
import unicodedata
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from copfactors.errors import ParameterError, ParameterKeyError, ParameterTypeError, SchemaError

__all__ = [
    "AGREEMENT_ANCHORS_EN",
    "AGREEMENT_ANCHORS_FR",
    "ATTAINMENT_ANCHORS_EN",
    "ATTAINMENT_ANCHORS_FR",
    "CODEBOOK",
    "FALSE_WORDS",
    "IMPORTANCE_ANCHORS_EN",
    "IMPORTANCE_ANCHORS_FR",
    "MISSING_CODES",
    "OBJECTIVES",
    "OBJECTIVE_LABELS",
    "OBJECTIVE_LABELS_FR",
    "ROLES",
    "TRUE_WORDS",
    "TYPES",
    "Codebook",
    "Variable",
    "boolean_value",
    "category_code",
    "codebook_markdown",
    "describe_columns",
    "validate",
]

#: Roles a variable can play in a survey.
ROLES = ("id", "wave", "demographic", "driver", "cop", "importance", "attainment")
#: Types a variable can have.
TYPES = ("id", "boolean", "likert", "integer", "float", "category", "text")

#: The 15 objectives of the paper's Table 1, in table order.
OBJECTIVES = (
    "innovation",
    "client_relations",
    "quality",
    "excellence",
    "rationalisation",
    "competencies",
    "efficiency",
    "information_sharing",
    "problem_solving",
    "delocalised_resources",
    "reduce_workforce",
    "working_time",
    "reduce_duplication",
    "creativity",
    "learning",
)

#: English label of each objective, as printed in Table 1.
OBJECTIVE_LABELS: dict[str, str] = {
    "innovation": "Value innovation",
    "client_relations": "Better relation with client(s)",
    "quality": "Better quality",
    "excellence": "Value excellence",
    "rationalisation": "Rationalisation",
    "competencies": "Value competencies",
    "efficiency": "Efficiency",
    "information_sharing": "Facilitate exchange and sharing of information",
    "problem_solving": "Experiment a new type of problem resolution",
    "delocalised_resources": "Better use of delocalised resources",
    "reduce_workforce": "Reduce workforce",
    "working_time": "Maximise working time",
    "reduce_duplication": "Reduce duplication",
    "creativity": "Stimulate creativity",
    "learning": "Favor learning",
}

#: French label of each objective.
OBJECTIVE_LABELS_FR: dict[str, str] = {
    "innovation": "Valoriser l'innovation",
    "client_relations": "Meilleure relation avec le(s) client(s)",
    "quality": "Meilleure qualité",
    "excellence": "Valoriser l'excellence",
    "rationalisation": "Rationalisation",
    "competencies": "Valoriser les compétences",
    "efficiency": "Efficacité",
    "information_sharing": "Faciliter l'échange et le partage d'information",
    "problem_solving": "Expérimenter un nouveau mode de résolution de problèmes",
    "delocalised_resources": "Meilleure utilisation des ressources délocalisées",
    "reduce_workforce": "Réduire les effectifs",
    "working_time": "Maximiser le temps de travail",
    "reduce_duplication": "Réduire les dédoublements",
    "creativity": "Stimuler la créativité",
    "learning": "Favoriser l'apprentissage",
}

#: Anchors of the importance scale (T1), values 1 to 5.
IMPORTANCE_ANCHORS_EN = (
    "not at all important",
    "slightly important",
    "moderately important",
    "important",
    "very important",
)
IMPORTANCE_ANCHORS_FR = (
    "pas du tout important",
    "peu important",
    "moyennement important",
    "important",
    "très important",
)
#: Anchors of the attainment scale (T2), values 1 to 5.
ATTAINMENT_ANCHORS_EN = (
    "not attained at all",
    "slightly attained",
    "more or less attained",
    "attained",
    "perfectly attained",
)
ATTAINMENT_ANCHORS_FR = (
    "pas du tout atteint",
    "peu atteint",
    "plus ou moins atteint",
    "atteint",
    "parfaitement atteint",
)
#: Anchors of the agreement scale of the other Likert items, values 1 to 5.
AGREEMENT_ANCHORS_EN = (
    "strongly disagree",
    "disagree",
    "neither agree nor disagree",
    "agree",
    "strongly agree",
)
AGREEMENT_ANCHORS_FR = (
    "tout à fait en désaccord",
    "plutôt en désaccord",
    "ni en accord ni en désaccord",
    "plutôt d'accord",
    "tout à fait d'accord",
)

#: Text read as missing in every column, besides empty cells.
MISSING_CODES = ("NA",)
#: Words (compared case-insensitively, spaces stripped) read as true in boolean columns.
TRUE_WORDS = ("true", "yes", "oui", "vrai", "1", "1.0")
#: Words read as false in boolean columns.
FALSE_WORDS = ("false", "no", "non", "faux", "0", "0.0")

# Above this, an integer count cannot be held exactly as a float and is not a plausible count.
_MAX_COUNT = 2.0**53


@dataclass(frozen=True)
class Variable:
    """One column of the survey table.

    Parameters
    ----------
    name : str
        Column name.
    role : str
        One of :data:`ROLES`.
    type : str
        One of :data:`TYPES`.
    label_en, label_fr : str
        Label (or questionnaire item) in English and French.
    categories : tuple of str
        Allowed codes of a ``category`` variable, in order.
    category_labels_en, category_labels_fr : tuple of str
        Labels of the categories (also accepted as values, case- and accent-insensitively).
    ordered : bool
        Whether the categories are ordered.
    minimum, maximum : float, optional
        Allowed range of a numeric variable (inclusive).
    anchors_en, anchors_fr : tuple of str
        Likert anchor labels, for the values ``minimum``, ``minimum + 1``, ...
    missing_codes : tuple of str
        Text read as missing besides empty cells.
    required : bool
        Whether the column must be present.
    unique : bool
        Whether every value must be different.

    Examples
    --------
    >>> from copfactors.schema import CODEBOOK
    >>> var = CODEBOOK["att_learning"]
    >>> var.type, var.expected
    ('likert', 'an integer from 1 to 5')
    >>> var.anchors("en")[3]
    'more or less attained'
    """

    name: str
    role: str
    type: str
    label_en: str
    label_fr: str
    categories: tuple[str, ...] = ()
    category_labels_en: tuple[str, ...] = ()
    category_labels_fr: tuple[str, ...] = ()
    ordered: bool = False
    minimum: float | None = None
    maximum: float | None = None
    anchors_en: tuple[str, ...] = ()
    anchors_fr: tuple[str, ...] = ()
    missing_codes: tuple[str, ...] = MISSING_CODES
    required: bool = False
    unique: bool = False

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ParameterError(f"variable {self.name!r}: role {self.role!r} not in {ROLES}")
        if self.type not in TYPES:
            raise ParameterError(f"variable {self.name!r}: type {self.type!r} not in {TYPES}")
        if self.type == "category":
            n = len(self.categories)
            if n == 0 or {len(self.category_labels_en), len(self.category_labels_fr)} != {n}:
                raise ParameterError(f"variable {self.name!r}: categories and labels must align")
        if self.anchors_en or self.anchors_fr:
            if self.minimum is None or self.maximum is None:
                raise ParameterError(f"variable {self.name!r}: anchors need a range")
            n = int(self.maximum - self.minimum + 1)
            if {len(self.anchors_en), len(self.anchors_fr)} != {n}:
                raise ParameterError(f"variable {self.name!r}: expected {n} anchors per language")

    @property
    def allowed(self) -> str:
        """Allowed values, in short (for tables)."""
        if self.type == "category":
            return ", ".join(self.categories) + (" (ordered)" if self.ordered else "")
        if self.type == "boolean":
            return "true, false"
        if self.type in ("likert", "integer", "float"):
            lo = _fmt_number(self.minimum)
            if self.maximum is None:
                return f">= {lo}"
            return f"{lo}-{_fmt_number(self.maximum)}"
        if self.type == "id":
            return "unique text" if self.unique else "text"
        return "text"

    @property
    def expected(self) -> str:
        """What a valid value is, in words (used in problem messages)."""
        if self.type == "category":
            return "one of " + ", ".join(self.categories)
        if self.type == "boolean":
            return "true or false (also yes/no, oui/non, 1/0)"
        if self.type in ("likert", "integer"):
            lo = _fmt_number(self.minimum)
            if self.maximum is None:
                return f"an integer >= {lo}"
            return f"an integer from {lo} to {_fmt_number(self.maximum)}"
        if self.type == "float":
            return f"a number >= {_fmt_number(self.minimum)}"
        if self.type == "id":
            return "a unique non-empty identifier" if self.unique else "a non-empty identifier"
        return "text"

    @property
    def dtype(self) -> object:
        """The pandas dtype of the column in a validated survey."""
        if self.type in ("likert", "integer"):
            return pd.Int64Dtype()
        if self.type == "boolean":
            return pd.BooleanDtype()
        if self.type == "float":
            return np.dtype("float64")
        if self.type == "category":
            return pd.CategoricalDtype(list(self.categories), ordered=self.ordered)
        return _STRING

    def anchors(self, language: str = "en") -> dict[int, str]:
        """Likert anchor labels by value, in ``"en"`` or ``"fr"`` (empty if not a Likert item)."""
        if language not in ("en", "fr"):
            raise ParameterError(f"language must be 'en' or 'fr', not {language!r}")
        labels = self.anchors_en if language == "en" else self.anchors_fr
        start = int(self.minimum) if self.minimum is not None else 1
        return {start + i: label for i, label in enumerate(labels)}

    def category_labels(self, language: str = "en") -> dict[str, str]:
        """Category labels by code, in ``"en"`` or ``"fr"`` (empty if not a category)."""
        if language not in ("en", "fr"):
            raise ParameterError(f"language must be 'en' or 'fr', not {language!r}")
        labels = self.category_labels_en if language == "en" else self.category_labels_fr
        return dict(zip(self.categories, labels, strict=True))


class Codebook:
    """An ordered collection of :class:`Variable`, looked up by column name.

    Parameters
    ----------
    variables : sequence of Variable
        The variables, in the order of the survey table.

    Examples
    --------
    >>> from copfactors.schema import CODEBOOK
    >>> len(CODEBOOK), "gender" in CODEBOOK
    (55, True)
    >>> [v.name for v in CODEBOOK.by_role("id")]
    ['respondent_id', 'cop_id']
    >>> CODEBOOK.to_frame().loc[0, ["name", "role", "type"]].tolist()
    ['respondent_id', 'id', 'id']
    """

    def __init__(self, variables: Sequence[Variable]):
        self._variables = tuple(variables)
        self._by_name = {v.name: v for v in self._variables}
        if len(self._by_name) != len(self._variables):
            raise ParameterError("variable names must be unique")
        self._by_key = {_key(v.name): v.name for v in self._variables}
        self._aliases = {v.name: _category_aliases(v) for v in self._variables}

    def __getitem__(self, name: str) -> Variable:
        try:
            return self._by_name[name]
        except KeyError:
            raise ParameterKeyError(f"{name!r} is not a codebook variable") from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Variable]:
        return iter(self._variables)

    def __len__(self) -> int:
        return len(self._variables)

    def __repr__(self) -> str:
        return f"Codebook({len(self)} variables)"

    @property
    def names(self) -> tuple[str, ...]:
        """Column names, in order."""
        return tuple(self._by_name)

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the columns every survey must have."""
        return tuple(v.name for v in self._variables if v.required)

    def by_role(self, role: str) -> tuple[Variable, ...]:
        """The variables of one role, in order."""
        if role not in ROLES:
            raise ParameterError(f"role must be one of {ROLES}, not {role!r}")
        return tuple(v for v in self._variables if v.role == role)

    def match(self, column: object) -> str | None:
        """Codebook name of a column header, ignoring case, spaces and hyphens, or None.

        >>> from copfactors.schema import CODEBOOK
        >>> CODEBOOK.match(" Respondent ID"), CODEBOOK.match("foo")
        ('respondent_id', None)
        """
        if not isinstance(column, str):
            return None
        return self._by_key.get(_key(column))

    def to_frame(self) -> pd.DataFrame:
        """One row per variable: name, role, type, allowed, labels, anchors, missing codes."""
        rows = []
        for v in self._variables:
            rows.append(
                {
                    "name": v.name,
                    "role": v.role,
                    "type": v.type,
                    "allowed": v.allowed,
                    "label_en": v.label_en,
                    "label_fr": v.label_fr,
                    "minimum": v.minimum,
                    "maximum": v.maximum,
                    "categories": v.categories or None,
                    "anchors_en": v.anchors_en or None,
                    "anchors_fr": v.anchors_fr or None,
                    "missing_codes": v.missing_codes,
                    "required": v.required,
                    "dtype": str(v.dtype) if v.type != "category" else "category",
                }
            )
        return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# the codebook


def _likert(name: str, role: str, label_en: str, label_fr: str) -> Variable:
    if role == "importance":
        en, fr = IMPORTANCE_ANCHORS_EN, IMPORTANCE_ANCHORS_FR
    elif role == "attainment":
        en, fr = ATTAINMENT_ANCHORS_EN, ATTAINMENT_ANCHORS_FR
    else:
        en, fr = AGREEMENT_ANCHORS_EN, AGREEMENT_ANCHORS_FR
    return Variable(
        name, role, "likert", label_en, label_fr, minimum=1, maximum=5, anchors_en=en, anchors_fr=fr
    )


def _category(
    name: str,
    role: str,
    label_en: str,
    label_fr: str,
    cats: Sequence[tuple[str, str, str]],
    ordered: bool = False,
) -> Variable:
    codes, en, fr = zip(*cats, strict=True)
    return Variable(
        name,
        role,
        "category",
        label_en,
        label_fr,
        categories=tuple(codes),
        category_labels_en=tuple(en),
        category_labels_fr=tuple(fr),
        ordered=ordered,
    )


def _build_codebook() -> Codebook:
    v: list[Variable] = [
        Variable(
            "respondent_id",
            "id",
            "id",
            "Respondent identifier",
            "Identifiant du répondant",
            required=True,
            unique=True,
        ),
        Variable(
            "cop_id",
            "id",
            "id",
            "Community of practice identifier",
            "Identifiant de la communauté de pratique",
            required=True,
        ),
        Variable(
            "responded_t1",
            "wave",
            "boolean",
            "Answered the first survey wave (T1, start-up)",
            "A répondu à la première vague (T1, démarrage)",
        ),
        Variable(
            "responded_t2",
            "wave",
            "boolean",
            "Answered the second survey wave (T2, about six months later)",
            "A répondu à la deuxième vague (T2, environ six mois plus tard)",
        ),
        _category(
            "gender",
            "demographic",
            "Gender",
            "Genre",
            [("woman", "Woman", "Femme"), ("man", "Man", "Homme")],
        ),
        _category(
            "age_band",
            "demographic",
            "Age band",
            "Tranche d'âge",
            [
                ("under_35", "Under 35", "Moins de 35 ans"),
                ("35_49", "35 to 49", "35 à 49 ans"),
                ("50_plus", "50 and over", "50 ans et plus"),
            ],
            ordered=True,
        ),
        _category(
            "schooling",
            "demographic",
            "Highest level of schooling",
            "Plus haut niveau de scolarité",
            [
                ("secondary", "Secondary", "Secondaire"),
                ("college", "College", "Collégial"),
                ("university", "University", "Universitaire"),
                ("graduate", "Graduate", "Cycles supérieurs"),
            ],
            ordered=True,
        ),
        Variable(
            "professional_category",
            "demographic",
            "text",
            "Professional category",
            "Catégorie professionnelle",
        ),
        _category(
            "language",
            "demographic",
            "Language of the respondent",
            "Langue du répondant",
            [("fr", "French", "Français"), ("en", "English", "Anglais")],
        ),
        _likert(
            "commitment_1",
            "driver",
            "I am strongly committed to the work of this community",
            "Je suis fortement engagé(e) dans les travaux de cette communauté",
        ),
        _likert(
            "commitment_2",
            "driver",
            "Taking part in this community motivates me",
            "Participer à cette communauté me motive",
        ),
        _likert(
            "commitment_3",
            "driver",
            "I am prepared to put personal effort into this community",
            "Je suis prêt(e) à investir des efforts personnels dans cette communauté",
        ),
        Variable(
            "voluntary",
            "driver",
            "boolean",
            "Joined the community by choice (not designated)",
            "A rejoint la communauté par choix (non désigné)",
        ),
        _likert(
            "prior_acquaintance",
            "driver",
            "I knew other members before the community started",
            "Je connaissais d'autres membres avant le début de la communauté",
        ),
        Variable(
            "hours_per_week",
            "driver",
            "float",
            "Hours per week spent on community activities",
            "Heures par semaine consacrées aux activités de la communauté",
            minimum=0,
        ),
        Variable(
            "training_received",
            "driver",
            "boolean",
            "Received training for the community's tools or activities",
            "A reçu une formation pour les outils ou les activités de la communauté",
        ),
        _likert(
            "org_support",
            "driver",
            "My organisation supports my participation",
            "Mon organisation soutient ma participation",
        ),
        _likert(
            "employer_recognition",
            "driver",
            "My employer recognises my participation",
            "Mon employeur reconnaît ma participation",
        ),
        _likert(
            "peer_recognition",
            "driver",
            "My colleagues recognise my participation",
            "Mes collègues reconnaissent ma participation",
        ),
        _likert(
            "tech_mastery",
            "driver",
            "I master the community's technology (platform)",
            "Je maîtrise la technologie (plateforme) de la communauté",
        ),
        _likert(
            "steward_active",
            "driver",
            "The community's steward (animator) is active",
            "L'animateur de la communauté est actif",
        ),
        _category(
            "sponsor",
            "cop",
            "Sponsor of the community",
            "Promoteur de la communauté",
            [
                ("employer", "Employer", "Employeur"),
                ("professional_association", "Professional association", "Ordre professionnel"),
                ("inter_organisational", "Inter-organisational", "Interorganisationnel"),
            ],
        ),
        _category(
            "steward_type",
            "cop",
            "Steward (animator) of the community",
            "Animateur de la communauté",
            [
                ("none", "No steward", "Aucun animateur"),
                ("designated", "Designated", "Désigné"),
                ("dedicated", "Dedicated", "Dédié"),
            ],
        ),
        Variable(
            "leader_changes",
            "cop",
            "integer",
            "Number of changes of leader during the study",
            "Nombre de changements de responsable pendant l'étude",
            minimum=0,
        ),
        Variable(
            "platform",
            "cop",
            "text",
            "Knowledge-sharing platform used",
            "Plateforme de partage de connaissances utilisée",
        ),
    ]
    for slug in OBJECTIVES:
        v.append(
            _likert(
                f"imp_{slug}",
                "importance",
                f"Importance at T1: {OBJECTIVE_LABELS[slug]}",
                f"Importance au T1 : {OBJECTIVE_LABELS_FR[slug]}",
            )
        )
    for slug in OBJECTIVES:
        v.append(
            _likert(
                f"att_{slug}",
                "attainment",
                f"Attainment at T2: {OBJECTIVE_LABELS[slug]}",
                f"Atteinte au T2 : {OBJECTIVE_LABELS_FR[slug]}",
            )
        )
    return Codebook(v)


def _fmt_number(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else str(x)


def _fold(text: str) -> str:
    """Casefold, strip accents, and write runs of spaces and hyphens as one underscore."""
    text = unicodedata.normalize("NFKD", text.strip().casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[\s\-]+", "_", text)


def category_code(variable: str, value: object) -> str | None:
    """The code of a category variable that ``value`` names, or None.

    The same reading as :func:`validate` gives a survey cell: the code itself or its English
    or French label, ignoring case, accents and spacing (``"Dédié"`` is ``dedicated``).

    Examples
    --------
    >>> from copfactors.schema import category_code
    >>> category_code("steward_type", "Dédié"), category_code("gender", "Femme")
    ('dedicated', 'woman')
    >>> category_code("gender", "robot") is None
    True
    """
    var = CODEBOOK[variable]
    if var.type != "category" or not isinstance(value, str):
        return None
    index = CODEBOOK._aliases[var.name].get(_fold(value))
    return None if index is None else var.categories[index]


def boolean_value(value: object) -> bool | None:
    """True or False for a boolean or a yes/no word (:data:`TRUE_WORDS`, :data:`FALSE_WORDS`).

    The same words :func:`validate` reads in a survey's boolean columns, in any case.

    Examples
    --------
    >>> from copfactors.schema import boolean_value
    >>> boolean_value("oui"), boolean_value(" No "), boolean_value(True), boolean_value("maybe")
    (True, False, True, None)
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _BOOL_WORDS.get(value.strip().casefold())
    return None


def _key(name: str) -> str:
    return _fold(name)


def _category_aliases(var: Variable) -> dict[str, int]:
    aliases: dict[str, int] = {}
    if var.type != "category":
        return aliases
    for i, names in enumerate(
        zip(var.categories, var.category_labels_en, var.category_labels_fr, strict=True)
    ):
        for name in names:
            folded = _fold(name)
            if aliases.get(folded, i) != i:
                raise ParameterError(f"variable {var.name!r}: label {name!r} is ambiguous")
            aliases[folded] = i
    return aliases


_STRING = pd.StringDtype()

#: The codebook of the survey table.
CODEBOOK = _build_codebook()

# --------------------------------------------------------------------------------------------
# validation

# problem kinds, per cell
_OK, _NOT_NUMBER, _DECIMAL_COMMA, _NOT_INTEGER, _OUT_OF_RANGE, _NOT_BOOL, _BAD_TYPE = range(7)
_UNKNOWN_CATEGORY, _MISSING_ID, _DUPLICATE_ID, _NOT_FINITE = range(7, 11)
_MISSING = -1  # only in intermediate arrays

_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_COMMA_RE = re.compile(r"[+-]?\d*,\d+")
_BOOL_WORDS = {**{w: True for w in TRUE_WORDS}, **{w: False for w in FALSE_WORDS}}

_ALL_COLUMNS = "(all columns)"


def _message(kind: int, var: Variable) -> str:
    exp = var.expected
    if kind == _NOT_NUMBER:
        return f"not a number; expected {exp}"
    if kind == _NOT_FINITE:
        return f"not a finite number; expected {exp}"
    if kind == _DECIMAL_COMMA:
        if var.type == "float":
            return (
                f"decimal comma; expected {exp} written with a decimal point "
                '(read_survey(..., decimal=",") reads decimal commas)'
            )
        return f"not an integer (decimal comma); expected {exp}"
    if kind == _NOT_INTEGER:
        return f"not an integer; expected {exp}"
    if kind == _OUT_OF_RANGE:
        if var.type == "float" and var.maximum is None:
            return f"negative; expected {exp}"
        return f"out of range; expected {exp}"
    if kind == _NOT_BOOL:
        return f"not a yes/no value; expected {exp}"
    if kind == _BAD_TYPE:
        return f"a true/false value, not a number; expected {exp}"
    if kind == _UNKNOWN_CATEGORY:
        return f"not an allowed value; expected {exp}"
    if kind == _MISSING_ID:
        return f"missing {var.name}; expected {exp} on every row"
    raise AssertionError(kind)  # pragma: no cover


def _show(value: object) -> object:
    """A cell value as shown in the problems table: text, or missing."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    return str(value)


def _cell_problems(name: str, raw: pd.Series, kinds: np.ndarray, var: Variable) -> pd.DataFrame:
    rows = np.flatnonzero(kinds > 0)
    if len(rows) == 0:
        return _no_problems()
    values = raw.iloc[rows].tolist()
    messages = {int(k): _message(int(k), var) for k in np.unique(kinds[rows])}
    return pd.DataFrame(
        {
            "column": name,
            "row": _rows(rows),
            "value": pd.array([_show(x) for x in values], dtype=object),
            "problem": [messages[int(k)] for k in kinds[rows]],
        }
    )


def _rows(positions: np.ndarray) -> pd.Series:
    # Python ints, and None for whole-column problems: SchemaError's message needs plain values
    return pd.Series((positions + 1).tolist(), dtype=object)


def _lines(rows: pd.Series, first_data_line: int) -> pd.Series:
    """The line of the file of each problem's data row (None for a whole-column problem)."""
    offset = int(first_data_line) - 1
    return pd.Series(
        [None if row is None or row != row else int(row) + offset for row in rows],
        index=rows.index,
        dtype=object,
    )


def _column_problem(name: str, problem: str, row: int | None = None, value: object = None):
    return pd.DataFrame(
        {
            "column": [name],
            "row": pd.Series([row], dtype=object),
            "value": pd.array([_show(value)], dtype=object),
            "problem": [problem],
        }
    )


def _no_problems() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "column": pd.Series([], dtype=object),
            "row": pd.Series([], dtype=object),
            "value": pd.Series([], dtype=object),
            "problem": pd.Series([], dtype=object),
        }
    )


def _factorize(s: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Codes (-1 for missing) and distinct values, robust to unhashable cells."""
    try:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
    except TypeError:
        codes, uniques = pd.factorize(s.map(_hashable, na_action="ignore"), use_na_sentinel=True)
    return np.asarray(codes), list(uniques)


def _hashable(x: object) -> object:
    try:
        hash(x)
    except TypeError:
        return repr(x)
    return x


def _is_missing_text(text: str, var: Variable) -> bool:
    t = text.strip()
    return t == "" or t in var.missing_codes


def _parse_number(x: object, var: Variable) -> tuple[float, int]:
    """One distinct cell value as a float, with its kind (_MISSING, _OK or a problem)."""
    if isinstance(x, bool | np.bool_):
        return math.nan, _BAD_TYPE
    if isinstance(x, str):
        t = x.strip()
        if t == "" or t in var.missing_codes:
            return math.nan, _MISSING
        if _INT_RE.fullmatch(t):
            return float(int(t)), _OK
        if _FLOAT_RE.fullmatch(t):
            return float(t), _OK
        if _COMMA_RE.fullmatch(t):
            return math.nan, _DECIMAL_COMMA
        return math.nan, _NOT_NUMBER
    if isinstance(x, numbers.Real | decimal.Decimal):
        try:
            value = float(x)
        except (TypeError, ValueError, OverflowError):
            return math.nan, _NOT_NUMBER
        if math.isnan(value):
            return math.nan, _MISSING
        return value, _OK
    if x is None or x is pd.NA or x is pd.NaT:
        return math.nan, _MISSING
    return math.nan, _NOT_NUMBER


def _is_real_dtype(dtype: object) -> bool:
    """Integer or float dtype (numpy, nullable or Arrow), not bool, complex or category."""
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return False
    return bool(pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype))


def _numbers(s: pd.Series, var: Variable) -> tuple[np.ndarray, np.ndarray]:
    """Values as float64 (NaN where missing or bad) and kinds (_MISSING, _OK or a problem)."""
    dtype = s.dtype
    n = len(s)
    if pd.api.types.is_bool_dtype(dtype):
        missing = s.isna().to_numpy()
        kinds = np.where(missing, _MISSING, _BAD_TYPE).astype(np.int8)
        return np.full(n, np.nan), kinds
    if _is_real_dtype(dtype):
        if isinstance(dtype, np.dtype):
            values = s.to_numpy(dtype=np.float64)
        else:
            values = s.to_numpy(dtype=np.float64, na_value=np.nan)
        kinds = np.where(np.isnan(values), _MISSING, _OK).astype(np.int8)
        return values, kinds
    codes, uniques = _factorize(s)
    parsed = [_parse_number(u, var) for u in uniques]
    uvalues = np.array([p[0] for p in parsed] + [np.nan], dtype=np.float64)
    ukinds = np.array([p[1] for p in parsed] + [_MISSING], dtype=np.int8)
    # code -1 (missing) indexes the appended last element
    return uvalues[codes], ukinds[codes]


def _fast_numeric(s: pd.Series, var: Variable) -> pd.Series | np.ndarray | object | None:
    """The typed column if a numpy int or float column is valid throughout, else None.

    A few whole-array reductions instead of one mask per check: the common case of a clean
    column read by pandas costs little.
    """
    dtype = s.dtype
    if not (isinstance(dtype, np.dtype) and dtype.kind in "iuf") or len(s) == 0:
        return None
    # float16 and float32 cannot hold the bounds compared against below
    values = s.to_numpy(dtype=np.float64) if dtype.kind == "f" else s.to_numpy()
    lo = var.minimum if var.minimum is not None else -np.inf
    hi = var.maximum if var.maximum is not None else (_MAX_COUNT if var.type == "integer" else None)
    if dtype.kind in "iu":
        if values.min() < lo or (hi is not None and values.max() > hi):
            return None
        if var.type == "float":
            return values.astype(np.float64)
        # a Series, not an array: pandas then shares the data copy-on-write instead of copying
        return s.astype("Int64")
    with np.errstate(invalid="ignore"):
        vmin, vmax = np.fmin.reduce(values), np.fmax.reduce(values)
        if np.isnan(vmin):  # all missing
            vmin = vmax = lo if np.isfinite(lo) else 0.0
        if not (np.isfinite(vmin) and np.isfinite(vmax)) or vmin < lo:
            return None
        if hi is not None and vmax > hi:
            return None
        if var.type == "float":
            return values.astype(np.float64)
        # the bounds are finite here, so the cast is exact for whole numbers
        missing = np.isnan(values)
        filled = np.where(missing, 0.0, values)
        ints = filled.astype(np.int64)
        if not np.array_equal(ints, filled):
            return None
        return pd.arrays.IntegerArray(ints, missing)


def _check_numeric(s: pd.Series, var: Variable) -> tuple[object, np.ndarray | None]:
    typed = _fast_numeric(s, var)
    if typed is not None:
        return typed, None
    values, kinds = _numbers(s, var)
    ok = kinds == _OK
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(values)
        kinds[ok & ~finite] = _NOT_FINITE
        ok &= finite
        if var.type in ("likert", "integer"):
            whole = np.floor(values) == values
            kinds[ok & ~whole] = _NOT_INTEGER
            ok &= whole
        low = values < var.minimum if var.minimum is not None else np.zeros(len(s), bool)
        high = (
            values > var.maximum
            if var.maximum is not None
            else (values > _MAX_COUNT if var.type == "integer" else np.zeros(len(s), bool))
        )
        out = ok & (low | high)
        kinds[out] = _OUT_OF_RANGE
        ok &= ~out
    if var.type == "float":
        typed: object = np.where(ok, values, np.nan)
    else:
        ints = np.where(ok, values, 0).astype(np.int64)
        typed = pd.arrays.IntegerArray(ints, ~ok)
    return typed, np.maximum(kinds, 0)


def _parse_bool(x: object, var: Variable) -> tuple[int, int]:
    if isinstance(x, bool | np.bool_):
        return int(bool(x)), _OK
    if isinstance(x, str):
        t = x.strip()
        if t == "" or t in var.missing_codes:
            return 0, _MISSING
        word = _BOOL_WORDS.get(t.casefold())
        return (0, _NOT_BOOL) if word is None else (int(word), _OK)
    if isinstance(x, numbers.Real):
        try:
            value = float(x)
        except (TypeError, ValueError, OverflowError):
            return 0, _NOT_BOOL
        if math.isnan(value):
            return 0, _MISSING
        if value in (0.0, 1.0):
            return int(value), _OK
    return 0, _NOT_BOOL


def _check_boolean(s: pd.Series, var: Variable) -> tuple[object, np.ndarray]:
    dtype = s.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return pd.arrays.BooleanArray(s.to_numpy(), np.zeros(len(s), bool)), np.zeros(len(s), int)
    if isinstance(dtype, pd.BooleanDtype):
        return s.array.copy(), np.zeros(len(s), int)
    if _is_real_dtype(dtype):
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(values)
        is_bool = (values == 0) | (values == 1)
        kinds = np.where(missing | is_bool, _OK, _NOT_BOOL)
        ok = is_bool & ~missing
        return pd.arrays.BooleanArray(values == 1, ~ok), kinds
    codes, uniques = _factorize(s)
    parsed = [_parse_bool(u, var) for u in uniques]
    uvalues = np.array([p[0] for p in parsed] + [0], dtype=bool)
    ukinds = np.array([p[1] for p in parsed] + [_MISSING], dtype=np.int8)
    values, kinds = uvalues[codes], ukinds[codes]
    ok = kinds == _OK
    return pd.arrays.BooleanArray(values, ~ok), np.maximum(kinds, 0)


def _check_category(s: pd.Series, var: Variable) -> tuple[object, np.ndarray]:
    aliases = CODEBOOK._aliases.get(var.name) or _category_aliases(var)
    codes, uniques = _factorize(s)
    ucodes = []
    ukinds = []
    for u in uniques:
        if isinstance(u, float) and math.isnan(u):
            ucodes.append(-1)
            ukinds.append(_MISSING)
            continue
        text = u if isinstance(u, str) else str(u)
        if _is_missing_text(text, var):
            ucodes.append(-1)
            ukinds.append(_MISSING)
            continue
        code = aliases.get(_fold(text))
        ucodes.append(-1 if code is None else code)
        ukinds.append(_UNKNOWN_CATEGORY if code is None else _OK)
    cat_codes = np.array([*ucodes, -1], dtype=np.int64)[codes]
    kinds = np.array([*ukinds, _MISSING], dtype=np.int8)[codes]
    typed = pd.Categorical.from_codes(cat_codes, dtype=var.dtype)
    return typed, np.maximum(kinds, 0)


def _as_text(s: pd.Series, var: Variable) -> pd.Series:
    """Column as pandas string dtype, stripped, with missing codes and empty text as NA."""
    dtype = s.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        values = s.to_numpy(dtype=np.float64)
        known = values[~np.isnan(values)]
        if np.all(np.abs(known) < _MAX_COUNT) and np.all(np.floor(known) == known):
            # ids stored as whole floats (e.g. by SPSS or Excel) are integers: 12.0 -> "12"
            s = s.astype("Int64")
    if isinstance(dtype, pd.CategoricalDtype):
        s = s.astype(object)
    try:
        text = s.astype(_STRING)
    except (TypeError, ValueError):
        text = s.map(lambda x: x if isinstance(x, str) else str(x), na_action="ignore").astype(
            _STRING
        )
    text = text.str.strip()
    blank = text.eq("") | text.isin(list(var.missing_codes))
    blank = blank.fillna(False).to_numpy(dtype=bool)
    if blank.any():
        text = text.mask(blank)
    return text


def _check_text(s: pd.Series, var: Variable) -> tuple[object, np.ndarray]:
    return _as_text(s, var).array, np.zeros(len(s), np.int8)


def _duplicated(text: pd.Series) -> np.ndarray:
    """Which values occur more than once (like ``duplicated(keep=False)``).

    Sorting with pyarrow and comparing neighbours is several times faster than hashing a
    million distinct strings.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(text.array)
    except (TypeError, ValueError, pa.ArrowException):  # pragma: no cover - non-Arrow storage
        return text.duplicated(keep=False).to_numpy(dtype=bool)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    if n < 2:
        return np.zeros(n, dtype=bool)
    order = pc.sort_indices(arr).to_numpy()
    ordered = arr.take(order)
    same = pc.fill_null(pc.equal(ordered[1:], ordered[:-1]), False)
    same = same.to_numpy(zero_copy_only=False)
    dup_sorted = np.zeros(n, dtype=bool)
    dup_sorted[1:] |= same
    dup_sorted[:-1] |= same
    dup = np.empty(n, dtype=bool)
    dup[order] = dup_sorted
    return dup


def _check_id(s: pd.Series, var: Variable) -> tuple[object, np.ndarray]:
    text = _as_text(s, var)
    missing = text.isna().to_numpy()
    kinds = np.where(missing, _MISSING_ID, _OK).astype(np.int8)
    if var.unique:
        dup = _duplicated(text) & ~missing
        kinds[dup] = _DUPLICATE_ID
    return text.array, kinds


_CHECKERS = {
    "id": _check_id,
    "boolean": _check_boolean,
    "likert": _check_numeric,
    "integer": _check_numeric,
    "float": _check_numeric,
    "category": _check_category,
    "text": _check_text,
}


# Below this many cells, checking the columns one after the other is quicker than threads.
_PARALLEL_CELLS = 2_000_000


def _run_checks(tasks: list[tuple[int, Variable, pd.Series]], n_rows: int) -> list[tuple]:
    """Check every column; on large tables, in threads (numpy and pyarrow release the GIL)."""

    def check(task: tuple[int, Variable, pd.Series]) -> tuple:
        _, var, raw = task
        return _CHECKERS[var.type](raw, var)

    workers = min(len(tasks), _cpu_count(), 8)
    if workers < 2 or n_rows * len(tasks) < _PARALLEL_CELLS:
        return [check(task) for task in tasks]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(check, tasks))


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _id_problems(name: str, raw: pd.Series, typed: object, kinds: np.ndarray, var: Variable):
    if len(kinds) and np.all(kinds == _MISSING_ID):
        return _column_problem(name, f"column is entirely empty; expected {var.expected} per row")
    frame = _cell_problems(name, raw, np.where(kinds == _DUPLICATE_ID, 0, kinds), var)
    dup_rows = np.flatnonzero(kinds == _DUPLICATE_ID)
    if len(dup_rows) == 0:
        return frame
    text = pd.Series(typed)
    counts = text.iloc[dup_rows].map(text.iloc[dup_rows].value_counts())
    dups = pd.DataFrame(
        {
            "column": name,
            "row": _rows(dup_rows),
            "value": pd.array([_show(x) for x in raw.iloc[dup_rows].tolist()], dtype=object),
            "problem": [
                f"duplicate {name}: {v!r} is on {int(c)} rows; expected each {name} once"
                for v, c in zip(text.iloc[dup_rows].tolist(), counts.tolist(), strict=True)
            ],
        }
    )
    return pd.concat([frame, dups]).sort_values("row", kind="stable")


def validate(
    df: pd.DataFrame, source: str | None = None, *, first_data_line: int | None = None
) -> pd.DataFrame:
    """Check a survey table against :data:`CODEBOOK` and return a typed copy.

    Every problem in every column and row is collected before anything is raised. Messy but
    unambiguous cells are accepted: numbers stored as text (``"3"``, ``" 3"``), whole floats
    (``3.0``), booleans written as ``True``/``False``, ``1``/``0``, ``yes``/``no``,
    ``oui``/``non`` or ``true``/``false`` in any case, categories in any case and with spaces
    (``" Woman "``), or by their English or French label (``"Femme"``), and column headers in any
    case. Empty text is missing.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per respondent; the columns named in the codebook (only ``respondent_id`` and
        ``cop_id`` are required), and possibly others.
    source : str, optional
        Where the table came from, named in the error message.
    first_data_line : int, optional
        The line (CSV) or spreadsheet row (Excel) of the file on which the first data row
        stands, counting header rows and skipped lines (1-based). Given, the problems get a
        ``line`` column (after ``row``): the line of the file of each problem's row.

    Returns
    -------
    pandas.DataFrame
        A copy, with the same index and column order (codebook headers renamed to their
        codebook spelling). Likert and integer columns are ``Int64``, booleans ``boolean``,
        categories ``category`` with the codebook's categories (ordered for ``age_band`` and
        ``schooling``), ``hours_per_week`` ``float64``, ids and free text pandas ``string``.
        Unknown columns are kept unchanged. ``attrs["unknown_columns"]`` lists the columns the
        codebook does not know and ``attrs["empty_columns"]`` the codebook columns whose cells
        are all missing.

    Raises
    ------
    SchemaError
        With a ``.problems`` table (``column``, ``row`` 1-based data row, ``line`` the line of
        the file if ``first_data_line`` is given, ``value``, ``problem``) of every problem
        found: a missing or empty id column, missing or duplicated ``respondent_id``, a value
        of the wrong type, out of range or not allowed, a column given twice, no rows.
    ParameterTypeError
        If ``df`` is not a DataFrame (also a ``TypeError``).

    Examples
    --------
    >>> import pandas as pd
    >>> from copfactors.errors import SchemaError
    >>> raw = pd.DataFrame(
    ...     {"respondent_id": ["1", "2", "2"], "cop_id": ["A", "A", "B"], "att_quality": [3, 6, 2]}
    ... )
    >>> try:
    ...     validate(raw)
    ... except SchemaError as err:
    ...     problems = err.problems
    >>> problems[["column", "row"]].values.tolist()
    [['respondent_id', 2], ['respondent_id', 3], ['att_quality', 2]]
    >>> problems.loc[2, "problem"]
    'out of range; expected an integer from 1 to 5'

    With the line of the first data row (a CSV file with one header line), each problem also
    names the line of the file:

    >>> try:
    ...     validate(raw, source="survey.csv", first_data_line=2)
    ... except SchemaError as err:
    ...     problems = err.problems
    >>> problems["line"].tolist()
    [3, 4, 3]
    """
    if not isinstance(df, pd.DataFrame):
        raise ParameterTypeError(f"validate expects a pandas DataFrame, not {type(df).__name__}")
    if first_data_line is not None and (
        isinstance(first_data_line, bool)
        or not isinstance(first_data_line, numbers.Integral)
        or first_data_line < 1
    ):
        raise ParameterError(
            f"first_data_line must be a line number >= 1 or None, not {first_data_line!r}"
        )
    problems: list[pd.DataFrame] = []
    names = list(df.columns)
    matched = [CODEBOOK.match(c) for c in names]
    seen: dict[str, list[object]] = {}
    for raw_name, name in zip(names, matched, strict=True):
        if name is not None:
            seen.setdefault(name, []).append(raw_name)
    for name, given in seen.items():
        if len(given) > 1:
            problems.append(
                _column_problem(
                    name,
                    f"column given {len(given)} times (as "
                    + ", ".join(repr(g) for g in given)
                    + "); expected it once",
                )
            )
    for name in CODEBOOK.required:
        if name not in seen:
            var = CODEBOOK[name]
            problems.append(
                _column_problem(
                    name, f"required column is missing; expected a column {name} ({var.label_en})"
                )
            )
    if len(df) == 0:
        problems.append(
            _column_problem(
                _ALL_COLUMNS, "the survey has no data rows; expected one row per respondent"
            )
        )

    out = df.copy(deep=False)
    new_names: list[object] = []
    unknown: list[str] = []
    empty: list[str] = []
    tasks: list[tuple[int, Variable, pd.Series]] = []
    for i, (raw_name, name) in enumerate(zip(names, matched, strict=True)):
        if name is None:
            new_names.append(raw_name)
            unknown.append(str(raw_name))
            continue
        new_names.append(name)
        if len(seen[name]) == 1:
            tasks.append((i, CODEBOOK[name], df.iloc[:, i]))
    for (i, var, raw), (typed, kinds) in zip(tasks, _run_checks(tasks, len(df)), strict=True):
        if var.type == "id":
            problems.append(_id_problems(var.name, raw, typed, kinds, var))
        elif kinds is not None and kinds.any():
            problems.append(_cell_problems(var.name, raw, kinds, var))
        elif len(df) and bool(pd.isna(typed).all()):
            empty.append(var.name)
        out.isetitem(i, typed)
    problems = [p for p in problems if len(p)]
    if problems:
        table = pd.concat(problems, ignore_index=True).astype({"row": object, "value": object})
        if first_data_line is not None:
            table.insert(2, "line", _lines(table["row"], first_data_line))
        raise SchemaError(table, source=source)
    out.columns = pd.Index(new_names)
    out.attrs = {**df.attrs, "unknown_columns": unknown, "empty_columns": empty}
    return out


def describe_columns(df: pd.DataFrame) -> pd.DataFrame:
    """One row per column of a survey table: is it in the codebook, its role, type, missing.

    Parameters
    ----------
    df : pandas.DataFrame
        A survey table, validated or not.

    Returns
    -------
    pandas.DataFrame
        Columns ``column``, ``recognised`` (bool), ``name`` (codebook name or missing),
        ``role``, ``type``, ``n_missing`` (empty text counts as missing) and ``status``
        (``"ok"``, ``"empty"`` or ``"unknown"``).

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame(
    ...     {"Respondent_ID": ["1", "2"], "cop_id": ["A", "B"], "foo": [1, 2],
    ...      "platform": ["", "NA"]}
    ... )
    >>> describe_columns(raw)["status"].tolist()
    ['ok', 'ok', 'unknown', 'empty']
    """
    rows = []
    for i, col in enumerate(df.columns):
        s = df.iloc[:, i]
        name = CODEBOOK.match(col)
        missing = s.isna().to_numpy(dtype=bool)
        if s.dtype == object or isinstance(s.dtype, pd.StringDtype):
            blank = s.map(
                lambda x: isinstance(x, str) and x.strip() in ("", *MISSING_CODES),
                na_action="ignore",
            )
            missing = missing | blank.fillna(False).to_numpy(dtype=bool)
        n_missing = int(missing.sum())
        if name is None:
            status = "unknown"
        elif len(s) and n_missing == len(s):
            status = "empty"
        else:
            status = "ok"
        var = CODEBOOK[name] if name is not None else None
        rows.append(
            {
                "column": str(col),
                "recognised": name is not None,
                "name": name,
                "role": var.role if var else None,
                "type": var.type if var else None,
                "n_missing": n_missing,
                "status": status,
            }
        )
    return pd.DataFrame(
        rows, columns=["column", "recognised", "name", "role", "type", "n_missing", "status"]
    )


# --------------------------------------------------------------------------------------------
# documentation


def _md(text: object) -> str:
    return str(text).replace("|", "\\|")


def codebook_markdown() -> str:
    """The codebook as a Markdown document (written to ``docs/codebook.md``).

    Examples
    --------
    >>> text = codebook_markdown()
    >>> text.splitlines()[0]
    '# Codebook'
    >>> "| `att_learning` | attainment | likert | 1-5 |" in text
    True
    """
    lines = [
        "# Codebook",
        "",
        "<!-- Generated by scripts/make_codebook_doc.py from copfactors.schema.CODEBOOK;"
        " do not edit. -->",
        "",
        "A survey is one flat table with one row per respondent; the attributes of each"
        " community of practice (CoP) are repeated on the rows of its members."
        " `copfactors.validate` checks a table against this codebook and reports every problem"
        " at once; `copfactors.read_survey` reads CSV, Excel, SPSS and Parquet files and"
        " validates them.",
        "",
        "- Only `respondent_id` (unique) and `cop_id` are required. Every other column may be"
        " absent, but if present it must be valid.",
        "- Columns not in the codebook are kept and reported as unknown.",
        "- Missing values: an empty cell (or one of spaces only) and the text `NA`, in capitals;"
        " in a DataFrame also `None`, `NaN` and `pd.NA`. Other text, such as `None`, `NaN`,"
        " `N/A` or `null` in a file, is not missing: it is reported as an invalid value."
        " Declare such codes, and numeric ones (e.g. 9, 99), with"
        " `read_survey(..., missing_codes=...)`; SPSS user-missing codes are read from"
        " the file. A codebook column whose cells are all missing is kept and reported as"
        " empty, except the two id columns, which must be filled on every row.",
        '- Accepted spellings: numbers stored as text (`" 3"`), whole floats (`3.0`),'
        " booleans as "
        + ", ".join(f"`{t}`/`{f}`" for t, f in zip(TRUE_WORDS, FALSE_WORDS, strict=True))
        + " in any case, categories in any case or by their English or French label.",
        "- A header-only file (no data rows) is a schema problem.",
        "",
        "## Types after validation",
        "",
        "| type | pandas dtype | accepted input |",
        "|---|---|---|",
        "| id | string | text, or whole numbers (`12.0` becomes `12`); spaces stripped |",
        "| boolean | boolean | the words above, in any case; `True`/`False`; 1/0 |",
        "| likert | Int64 | integers in range, as numbers or text; whole floats |",
        "| integer | Int64 | integers in range, as numbers or text; whole floats |",
        "| float | float64 | numbers with a decimal point (decimal commas: see `read_survey`) |",
        "| category | category | code or English or French label, in any case, accents optional,"
        " spaces or hyphens for underscores |",
        "| text | string | any text; spaces stripped |",
        "",
        "## Variables",
        "",
        "| name | role | type | allowed values | English label | French label |",
        "|---|---|---|---|---|---|",
    ]
    for v in CODEBOOK:
        lines.append(
            f"| `{v.name}` | {v.role} | {v.type} | {_md(v.allowed)} | {_md(v.label_en)} | "
            f"{_md(v.label_fr)} |"
        )
    lines += ["", "## Likert anchors", ""]
    scales = [
        ("Importance at T1 (`imp_*`)", IMPORTANCE_ANCHORS_EN, IMPORTANCE_ANCHORS_FR),
        ("Attainment at T2 (`att_*`)", ATTAINMENT_ANCHORS_EN, ATTAINMENT_ANCHORS_FR),
        (
            "Agreement (other Likert items: "
            + ", ".join(
                f"`{v.name}`" for v in CODEBOOK if v.type == "likert" and v.role == "driver"
            )
            + ")",
            AGREEMENT_ANCHORS_EN,
            AGREEMENT_ANCHORS_FR,
        ),
    ]
    for title, en, fr in scales:
        lines += [f"### {title}", "", "| value | English | French |", "|---|---|---|"]
        lines += [
            f"| {i} | {a} | {b} |" for i, (a, b) in enumerate(zip(en, fr, strict=True), start=1)
        ]
        lines.append("")
    lines += ["## Categories", ""]
    for v in CODEBOOK:
        if v.type != "category":
            continue
        order = " (ordered)" if v.ordered else ""
        lines += [f"### `{v.name}`{order}", "", "| code | English | French |", "|---|---|---|"]
        for code, en, fr in zip(
            v.categories, v.category_labels_en, v.category_labels_fr, strict=True
        ):
            lines.append(f"| `{code}` | {_md(en)} | {_md(fr)} |")
        lines.append("")
    lines += [
        "## Objectives",
        "",
        "| slug | English label (Table 1) | French label |",
        "|---|---|---|",
    ]
    lines += [f"| `{s}` | {OBJECTIVE_LABELS[s]} | {OBJECTIVE_LABELS_FR[s]} |" for s in OBJECTIVES]
    return "\n".join(lines) + "\n"
