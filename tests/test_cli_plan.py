"""Tests of the ``copfactors plan`` commands: the plan template and the shipped example plans."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from copfactors.cli import app
from copfactors.pipeline import example_plan_files
from copfactors.plans import PlannedCoP, plan_template

runner = CliRunner()


def run(*args: object):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    return result


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# ---------------------------------------------------------------------------------------------
# plan init
# ---------------------------------------------------------------------------------------------
def test_init_prints_the_template():
    result = run("plan", "init")
    assert result.exit_code == 0, result.output
    assert result.stdout == plan_template()


def test_init_writes_the_template_once(tmp_path):
    out = tmp_path / "plan.yaml"
    result = run("plan", "init", "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote {out}: fill it in, then 'copfactors score {out}'"
    assert out.read_text(encoding="utf-8") == plan_template()
    assert PlannedCoP.from_yaml(out).n_members >= 1

    out.write_text("name: mine\ncomposition: {n_members: 3}\n", encoding="utf-8")
    again = run("plan", "init", "--out", out)
    assert again.exit_code == 1
    assert again.output.strip() == f"error: {out} exists; pass --overwrite to replace it"
    assert out.read_text(encoding="utf-8") == "name: mine\ncomposition: {n_members: 3}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.yaml"]  # no temporary file left

    replaced = run("plan", "init", "-o", out, "--overwrite")
    assert replaced.exit_code == 0, replaced.output
    assert out.read_text(encoding="utf-8") == plan_template()


def test_init_refuses_a_file_name_that_is_not_yaml(tmp_path):
    out = tmp_path / "plan.json"
    result = run("plan", "init", "--out", out)
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {out}: the template is YAML; expected a .yaml")
    assert not out.exists()


def test_plan_help_lists_its_commands():
    result = run("plan", "--help")
    assert result.exit_code == 0
    assert "init" in result.stdout and "examples" in result.stdout
    assert "plan" in run("--help").stdout


# ---------------------------------------------------------------------------------------------
# plan examples
# ---------------------------------------------------------------------------------------------
def test_examples_lists_the_shipped_plans():
    shipped = example_plan_files()
    assert {p.name for p in shipped} == {
        "designated-no-steward.yaml",
        "heart-health-association.yaml",
    }
    result = run("plan", "examples")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(shipped)
    for line, path in zip(lines, shipped, strict=True):
        plan = PlannedCoP.from_yaml(path)
        file_name, rest = line.split(maxsplit=1)
        assert file_name == path.name
        assert rest.startswith(plan.name + "  ")
        summary = rest.removeprefix(plan.name).strip()
        assert summary and plan.description.startswith(summary) and summary.endswith(".")


def test_examples_copy_copies_the_shipped_files_and_they_score(tmp_path):
    folder = tmp_path / "new" / "plans"  # created, parents too
    result = run("plan", "examples", "--copy", folder)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].startswith(f"copied 2 example plans to {folder}")
    shipped = example_plan_files()
    assert _snapshot(folder) == {p.name: p.read_bytes() for p in shipped}
    for path in shipped:
        scored = run("score", folder / path.name, "--draws", 50, "--format", "json")
        assert scored.exit_code == 0, scored.output
        assert json.loads(scored.stdout)["plan"] == PlannedCoP.from_yaml(path).name
        # the copy scores as the shipped plan does
        assert scored.stdout == run("score", path, "--draws", 50, "--format", "json").stdout


def test_examples_copy_refuses_to_overwrite_and_copies_nothing(tmp_path):
    folder = tmp_path / "plans"
    folder.mkdir()
    mine = folder / "heart-health-association.yaml"
    mine.write_text("name: my own edits\ncomposition: {n_members: 4}\n", encoding="utf-8")
    (folder / "notes.txt").write_text("keep", encoding="utf-8")
    before = _snapshot(folder)

    result = run("plan", "examples", "--copy", folder)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"error: heart-health-association.yaml already in {folder}; pass --overwrite to "
        "replace them (nothing was copied)"
    )
    assert _snapshot(folder) == before  # the other example was not copied either

    replaced = run("plan", "examples", "--copy", folder, "--overwrite")
    assert replaced.exit_code == 0, replaced.output
    after = _snapshot(folder)
    assert after["notes.txt"] == b"keep"
    for path in example_plan_files():
        assert after[path.name] == path.read_bytes()


def test_examples_copy_into_a_file_is_an_error(tmp_path):
    target = tmp_path / "plans"
    target.write_text("not a folder", encoding="utf-8")
    result = run("plan", "examples", "--copy", target)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"error: {target} exists and is not a folder; nothing was copied"
    )
    assert target.read_text(encoding="utf-8") == "not a folder"
