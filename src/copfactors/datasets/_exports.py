"""Realistic survey-tool exports of a SIMULATED survey: to try ``copfactors map`` and to test it.

The answers come from ``copfactors.make_survey`` (parametric mode): SIMULATED data, not real
respondents. Each function writes the survey as one survey tool exports it, with the tool's
header layout, question codes, answer wording and columns of its own, and returns the file,
the survey it should read back as, and which export column holds which codebook variable:

* :func:`limesurvey` - French ``.xlsx``: ``G01Q02. <label_fr>`` headers, array questions as
  ``G05Q20[SQ001]. <stem> [<objective>]``, French answers (``Plutôt d'accord``, ``Très
  important``, ``Oui``), ``Sans réponse`` for some missing answers, typographic apostrophes,
  metadata columns ``id``, ``submitdate``, ``lastpage``, ``startlanguage``, ``seed``.
* :func:`qualtrics` - English CSV with three header rows (codes, question text,
  ``{"ImportId": ...}``), choice text answers, the response id as ``ResponseId`` (there is no
  respondent identifier question), a Likert column exported as numbers with 99 for missing.
* :func:`surveymonkey` - English CSV with two header rows (question, then statement or
  ``Response``), ``N/A`` for some missing answers.
* :func:`google_forms` - English CSV, ``Timestamp`` first, full question text as headers,
  grid questions as ``<question> [<row>]``, and one extra question close to a codebook label
  (not a codebook variable: a doubtful match the mapping must leave out).

Headers are the codebook's own question labels (``label_en``/``label_fr``, and objective stems
with :data:`~copfactors.schema.OBJECTIVE_LABELS`), with each tool's decorations: that is the
contract of :func:`copfactors.mapping.propose_mapping`.

:func:`write_example_export` (``copfactors.datasets.write_example_export``) writes one of them,
for a tutorial or a first try of the mapping; :func:`write_all` writes the four, each with the
truth about its columns, for the tests.

Examples
--------
>>> import tempfile, pathlib
>>> from copfactors.datasets import write_example_export
>>> path = write_example_export(pathlib.Path(tempfile.mkdtemp()), "qualtrics")
>>> path.name
'qualtrics_export.csv'
>>> import pandas as pd
>>> pd.read_csv(path, header=None, nrows=3, dtype=str).iloc[2, 0][:12]  # third header row
'{"ImportId":'
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from copfactors._utils.render import neutralise_frame
from copfactors.datasets._simulate import make_survey
from copfactors.errors import ParameterError
from copfactors.schema import CODEBOOK, OBJECTIVE_LABELS, OBJECTIVE_LABELS_FR, OBJECTIVES

#: the simulated survey's size
N_RESPONDENTS = 120

IMPORTANCE_STEM_EN = "How important is each of the following objectives for your community?"
ATTAINMENT_STEM_EN = "To what extent has each of the following objectives been attained?"
IMPORTANCE_STEM_FR = (
    "Quelle est l'importance de chacun des objectifs suivants pour votre communauté ?"
)
ATTAINMENT_STEM_FR = "Dans quelle mesure chacun des objectifs suivants a-t-il été atteint ?"
AGREEMENT_STEM_EN = "Please indicate how much you agree with each statement."
AGREEMENT_STEM_FR = "Indiquez votre accord avec chacun des énoncés suivants"

#: an extra question of the Google Forms export, near the label of ``platform`` but not it
NEAR_PLATFORM = "Knowledge-sharing platform you used before"


@dataclass
class Export:
    """One export written: the file, the survey it holds, and the truth about its columns.

    ``survey`` is the SIMULATED survey as it should be read back (answers the export gives as
    missing codes are missing there); ``truth`` maps every column header of the export to the
    codebook variable it holds, or None (metadata, extra questions).
    """

    tool: str
    path: Path
    survey: pd.DataFrame
    truth: dict[str, str | None]

    @property
    def variables(self) -> list[str]:
        """The codebook variables the export holds."""
        return [t for t in self.truth.values() if t is not None]


def simulated_survey(seed: int = 11) -> pd.DataFrame:
    """The SIMULATED survey behind the exports (``make_survey``, parametric mode)."""
    return make_survey(seed=seed, mode="parametric", n_respondents=N_RESPONDENTS, t2_rate=0.85)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _answer(name: str, x: object, language: str, likert_as_text: bool = True) -> object:
    """A survey value as a tool writes the answer (empty text for missing)."""
    var = CODEBOOK[name]
    if x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x)):
        return ""
    if var.type == "likert":
        return _cap(var.anchors(language)[int(x)]) if likert_as_text else int(x)
    if var.type == "boolean":
        words = {"fr": ("Oui", "Non"), "en": ("Yes", "No")}[language]
        return words[0] if bool(x) else words[1]
    if var.type == "category":
        return var.category_labels(language)[str(x)]
    if var.type == "float":
        text = f"{float(x):g}"
        return text.replace(".", ",") if language == "fr" else text
    if var.type == "integer":
        return int(x)
    return str(x)


def _inject_missing(
    survey: pd.DataFrame,
    answers: dict[str, list[object]],
    columns: list[str],
    code: object,
    rate: float,
    rng: np.random.Generator,
) -> None:
    """Write ``code`` over some answered cells, and make them missing in the survey."""
    for name in columns:
        answered = np.flatnonzero(survey[name].notna().to_numpy())
        chosen = answered[rng.random(len(answered)) < rate]
        for i in chosen:
            answers[name][i] = code
        if len(chosen):
            survey.loc[survey.index[chosen], name] = pd.NA


def _likert_names(role: str) -> list[str]:
    return [v.name for v in CODEBOOK if v.type == "likert" and v.role == role]


def _other_names() -> list[str]:
    """Variables asked one by one (not in an objective or agreement matrix)."""
    return [v.name for v in CODEBOOK if v.role not in ("importance", "attainment")]


# --------------------------------------------------------------------------------------------
# LimeSurvey


def limesurvey(folder: Path, seed: int = 11) -> Export:
    """A LimeSurvey export in French, as an Excel workbook (SIMULATED answers)."""
    rng = np.random.default_rng(seed)
    survey = simulated_survey(seed)
    n = len(survey)
    answers = {name: [_answer(name, x, "fr") for x in survey[name]] for name in survey.columns}
    _inject_missing(survey, answers, _likert_names("importance")[:8], "Sans réponse", 0.06, rng)
    _inject_missing(survey, answers, ["commitment_2", "org_support"], "Sans réponse", 0.05, rng)
    columns: dict[str, list[object]] = {
        "id": list(range(1, n + 1)),
        "submitdate": [f"2024-03-{1 + i % 28:02d} 10:{i % 60:02d}:00" for i in range(n)],
        "lastpage": [6] * n,
        "startlanguage": ["fr"] * n,
        "seed": rng.integers(10**6, 10**9, size=n).tolist(),
    }
    truth: dict[str, str | None] = dict.fromkeys(columns)

    def fr(text: str) -> str:  # LimeSurvey's editor writes typographic apostrophes
        return text.replace("'", "’")

    q = 0
    group = 1
    agreement = [v.name for v in CODEBOOK if v.name.startswith("commitment_")]
    for name in _other_names():
        if name in agreement:
            continue
        q += 1
        group = {"id": 1, "wave": 1, "demographic": 2, "driver": 3, "cop": 4}[CODEBOOK[name].role]
        header = f"G{group:02d}Q{q:02d}. {fr(CODEBOOK[name].label_fr)}"
        columns[header] = answers[name]
        truth[header] = name
    q += 1
    for k, name in enumerate(agreement, start=1):
        header = f"G03Q{q:02d}[SQ{k:03d}]. {AGREEMENT_STEM_FR} [{fr(CODEBOOK[name].label_fr)}]"
        columns[header] = answers[name]
        truth[header] = name
    for prefix, stem, group in (("imp", IMPORTANCE_STEM_FR, 5), ("att", ATTAINMENT_STEM_FR, 6)):
        q += 1
        for k, slug in enumerate(OBJECTIVES, start=1):
            header = f"G{group:02d}Q{q:02d}[SQ{k:03d}]. {fr(stem)} [{OBJECTIVE_LABELS_FR[slug]}]"
            columns[header] = answers[f"{prefix}_{slug}"]
            truth[header] = f"{prefix}_{slug}"
    path = folder / "limesurvey_export.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        neutralise_frame(pd.DataFrame(columns)).to_excel(writer, sheet_name="results", index=False)
    return Export("limesurvey", path, survey, truth)


# --------------------------------------------------------------------------------------------
# Qualtrics

_QUALTRICS_META = [
    ("StartDate", "Start Date", {"ImportId": "startDate", "timeZone": "America/Toronto"}),
    ("EndDate", "End Date", {"ImportId": "endDate", "timeZone": "America/Toronto"}),
    ("Status", "Response Type", {"ImportId": "status"}),
    ("IPAddress", "IP Address", {"ImportId": "ipAddress"}),
    ("Progress", "Progress", {"ImportId": "progress"}),
    ("Duration (in seconds)", "Duration (in seconds)", {"ImportId": "duration"}),
    ("Finished", "Finished", {"ImportId": "finished"}),
    ("RecordedDate", "Recorded Date", {"ImportId": "recordedDate", "timeZone": "America/Toronto"}),
    ("ResponseId", "Response ID", {"ImportId": "_recordId"}),
    ("RecipientLastName", "Recipient Last Name", {"ImportId": "recipientLastName"}),
    ("RecipientFirstName", "Recipient First Name", {"ImportId": "recipientFirstName"}),
    ("RecipientEmail", "Recipient Email", {"ImportId": "recipientEmail"}),
    ("ExternalReference", "External Data Reference", {"ImportId": "externalDataReference"}),
    ("LocationLatitude", "Location Latitude", {"ImportId": "locationLatitude"}),
    ("LocationLongitude", "Location Longitude", {"ImportId": "locationLongitude"}),
    ("DistributionChannel", "Distribution Channel", {"ImportId": "distributionChannel"}),
    ("UserLanguage", "User Language", {"ImportId": "userLanguage"}),
]


def qualtrics(folder: Path, seed: int = 12) -> Export:
    """A Qualtrics CSV export in English, three header rows (SIMULATED answers)."""
    rng = np.random.default_rng(seed)
    survey = simulated_survey(seed)
    n = len(survey)
    answers = {name: [_answer(name, x, "en") for x in survey[name]] for name in survey.columns}
    # one Likert item exported as numbers ("recode values"), with 99 for "don't know"
    answers["tech_mastery"] = [
        _answer("tech_mastery", x, "en", False) for x in survey["tech_mastery"]
    ]
    _inject_missing(survey, answers, ["tech_mastery"], 99, 0.08, rng)
    _inject_missing(survey, answers, _likert_names("attainment")[5:10], "Don't know", 0.05, rng)
    codes: list[str] = []
    texts: list[str] = []
    imports: list[str] = []
    data: list[list[object]] = []
    truth: dict[str, str | None] = {}
    meta_values = {
        "StartDate": [f"2024-03-{1 + i % 28:02d} 09:{i % 60:02d}:00" for i in range(n)],
        "EndDate": [f"2024-03-{1 + i % 28:02d} 09:{(i + 7) % 60:02d}:00" for i in range(n)],
        "Status": ["IP Address"] * n,
        "IPAddress": [f"192.0.2.{i % 250}" for i in range(n)],
        "Progress": [100] * n,
        "Duration (in seconds)": rng.integers(200, 900, size=n).tolist(),
        "Finished": ["True"] * n,
        "RecordedDate": [f"2024-03-{1 + i % 28:02d} 09:{(i + 8) % 60:02d}:00" for i in range(n)],
        "ResponseId": survey["respondent_id"].astype(str).tolist(),
        "RecipientLastName": [""] * n,
        "RecipientFirstName": [""] * n,
        "RecipientEmail": [""] * n,
        "ExternalReference": [""] * n,
        "LocationLatitude": [f"{45.5 + i / 1000:.4f}" for i in range(n)],
        "LocationLongitude": [f"{-73.6 - i / 1000:.4f}" for i in range(n)],
        "DistributionChannel": ["anonymous"] * n,
        "UserLanguage": ["EN"] * n,
    }

    def add(code: str, text: str, import_id: dict, values: list[object], target: str | None):
        codes.append(code)
        texts.append(text)
        imports.append(json.dumps(import_id, separators=(",", ":")))
        data.append(values)
        truth[f"{code} - {' '.join(text.split())}"] = target

    for code, text, import_id in _QUALTRICS_META:
        add(
            code,
            text,
            import_id,
            meta_values[code],
            "respondent_id" if code == "ResponseId" else None,
        )
    q = 0
    agreement = [v.name for v in CODEBOOK if v.name.startswith("commitment_")]
    for name in _other_names():
        if name == "respondent_id" or name in agreement:
            continue
        q += 1
        text = CODEBOOK[name].label_en
        if name == "hours_per_week":
            text = text.replace(" spent on ", " spent on\n")  # a line break in a header cell
        add(f"Q{q}", text, {"ImportId": f"QID{q}"}, answers[name], name)
    q += 1
    for k, name in enumerate(agreement, start=1):
        text = f"{AGREEMENT_STEM_EN} - {CODEBOOK[name].label_en}"
        add(f"Q{q}_{k}", text, {"ImportId": f"QID{q}_{k}"}, answers[name], name)
    for prefix, stem in (("imp", IMPORTANCE_STEM_EN), ("att", ATTAINMENT_STEM_EN)):
        q += 1
        for k, slug in enumerate(OBJECTIVES, start=1):
            text = f"{stem} - {OBJECTIVE_LABELS[slug]}"
            add(
                f"Q{q}_{k}",
                text,
                {"ImportId": f"QID{q}_{k}"},
                answers[f"{prefix}_{slug}"],
                f"{prefix}_{slug}",
            )
    rows = [codes, texts, imports, *map(list, zip(*data, strict=True))]
    path = folder / "qualtrics_export.csv"
    neutralise_frame(pd.DataFrame(rows)).to_csv(
        path, index=False, header=False, encoding="utf-8-sig"
    )
    return Export("qualtrics", path, survey, _header_truth(truth))


def _header_truth(truth: dict[str, str | None]) -> dict[str, str | None]:
    """Headers as read_table combines them (parts equal but for case and spaces merged)."""
    out: dict[str, str | None] = {}
    for header, target in truth.items():
        parts: list[str] = []
        seen: set[str] = set()
        for part in header.split(" - "):
            key = "".join(part.casefold().split()).replace("_", "")
            if key not in seen:
                seen.add(key)
                parts.append(part)
        out[" - ".join(parts)] = target
    return out


# --------------------------------------------------------------------------------------------
# SurveyMonkey

_MONKEY_META = [
    "Respondent ID",
    "Collector ID",
    "Start Date",
    "End Date",
    "IP Address",
    "Email Address",
    "First Name",
    "Last Name",
    "Custom Data 1",
]


def surveymonkey(folder: Path, seed: int = 13) -> Export:
    """A SurveyMonkey CSV export in English, two header rows (SIMULATED answers)."""
    rng = np.random.default_rng(seed)
    survey = simulated_survey(seed)
    n = len(survey)
    answers = {name: [_answer(name, x, "en") for x in survey[name]] for name in survey.columns}
    _inject_missing(survey, answers, ["peer_recognition", "steward_active"], "N/A", 0.07, rng)
    first: list[str] = []
    second: list[str] = []
    data: list[list[object]] = []
    truth: dict[str, str | None] = {}
    meta_values = {
        "Respondent ID": (11_400_000_000 + rng.permutation(10**6)[:n]).tolist(),
        "Collector ID": [431_234_567] * n,
        "Start Date": [f"03/{1 + i % 28:02d}/2024 10:{i % 60:02d}:00 AM" for i in range(n)],
        "End Date": [f"03/{1 + i % 28:02d}/2024 10:{(i + 9) % 60:02d}:00 AM" for i in range(n)],
        "IP Address": [f"198.51.100.{i % 250}" for i in range(n)],
        "Email Address": [""] * n,
        "First Name": [""] * n,
        "Last Name": [""] * n,
        "Custom Data 1": [""] * n,
    }
    for name in _MONKEY_META:
        first.append(name)
        second.append("")
        data.append(meta_values[name])
        truth[name] = None
    open_ended = {"id", "text", "float", "integer"}
    agreement = [v.name for v in CODEBOOK if v.name.startswith("commitment_")]
    for name in _other_names():
        if name in agreement:
            continue
        var = CODEBOOK[name]
        first.append(var.label_en)
        second.append("Open-Ended Response" if var.type in open_ended else "Response")
        data.append(answers[name])
        truth[f"{var.label_en} - {second[-1]}"] = name
    blocks = [(AGREEMENT_STEM_EN, [(CODEBOOK[a].label_en, a) for a in agreement])]
    for prefix, stem in (("imp", IMPORTANCE_STEM_EN), ("att", ATTAINMENT_STEM_EN)):
        blocks.append((stem, [(OBJECTIVE_LABELS[s], f"{prefix}_{s}") for s in OBJECTIVES]))
    for stem, items in blocks:
        for k, (label, name) in enumerate(items):
            first.append(stem if k == 0 else "")
            second.append(label)
            data.append(answers[name])
            truth[f"{stem} - {label}"] = name
    rows = [first, second, *map(list, zip(*data, strict=True))]
    path = folder / "surveymonkey_export.csv"
    neutralise_frame(pd.DataFrame(rows)).to_csv(path, index=False, header=False)
    return Export("surveymonkey", path, survey, truth)


# --------------------------------------------------------------------------------------------
# Google Forms


def google_forms(folder: Path, seed: int = 14) -> Export:
    """A Google Forms CSV export in English (SIMULATED answers)."""
    rng = np.random.default_rng(seed)
    survey = simulated_survey(seed)
    n = len(survey)
    answers = {name: [_answer(name, x, "en") for x in survey[name]] for name in survey.columns}
    _inject_missing(survey, answers, ["gender"], "Prefer not to say", 0.05, rng)
    columns: dict[str, list[object]] = {
        "Timestamp": [f"2024/03/{1 + i % 28:02d} 10:{i % 60:02d}:13 AM EST" for i in range(n)],
        "Email address": [f"member{i}@example.org" for i in range(n)],
    }
    truth: dict[str, str | None] = dict.fromkeys(columns)
    for name in _other_names():
        header = CODEBOOK[name].label_en.replace("'", "’")  # Forms' typographic apostrophes
        columns[header] = answers[name]
        truth[header] = name
        if name == "platform":
            columns[NEAR_PLATFORM] = [
                rng.choice(["SharePoint", "Teams", "email", ""]) for _ in range(n)
            ]
            truth[NEAR_PLATFORM] = None
    for prefix, stem in (("imp", IMPORTANCE_STEM_EN), ("att", ATTAINMENT_STEM_EN)):
        for slug in OBJECTIVES:
            header = f"{stem} [{OBJECTIVE_LABELS[slug]}]"
            columns[header] = answers[f"{prefix}_{slug}"]
            truth[header] = f"{prefix}_{slug}"
    path = folder / "google_forms_export.csv"
    neutralise_frame(pd.DataFrame(columns)).to_csv(path, index=False)
    return Export("google_forms", path, survey, truth)


#: every export, by tool
EXPORTS: dict[str, Callable[[Path], Export]] = {
    "limesurvey": limesurvey,
    "qualtrics": qualtrics,
    "surveymonkey": surveymonkey,
    "google_forms": google_forms,
}


def write_all(folder: Path) -> dict[str, Export]:
    """Write the four exports (SIMULATED answers) into a folder."""
    folder.mkdir(parents=True, exist_ok=True)
    return {tool: make(folder) for tool, make in EXPORTS.items()}


def write_example_export(folder: str | Path, tool: str = "qualtrics") -> Path:
    """Write a raw survey-tool export of a SIMULATED survey and return its path.

    The answers are simulated (``make_survey``, parametric mode); the file has the layout of a
    real export of ``tool``, to try :func:`copfactors.propose_mapping` (``copfactors map``) on.

    Parameters
    ----------
    folder : path
        Folder to write into (created if needed).
    tool : {"limesurvey", "qualtrics", "surveymonkey", "google_forms"}
        The survey tool whose export to imitate: LimeSurvey (French ``.xlsx``), Qualtrics
        (English CSV, three header rows), SurveyMonkey (two header rows), Google Forms.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    copfactors.errors.ParameterError
        For an unknown ``tool``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from copfactors.datasets import write_example_export
    >>> write_example_export(pathlib.Path(tempfile.mkdtemp()), "limesurvey").suffix
    '.xlsx'
    """
    if tool not in EXPORTS:
        raise ParameterError(f"tool must be one of {', '.join(EXPORTS)}, got {tool!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return EXPORTS[tool](folder).path
