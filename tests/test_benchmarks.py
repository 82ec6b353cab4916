"""The benchmark scripts start and parse their options; the page writer's helpers.

The benchmarks themselves are run by ``python benchmarks/run_all.py`` (timings are never
asserted in tests); here each script is only asked for ``--help`` in a subprocess, which
imports it and its shared module, so a script broken by a change in the library is caught.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
SCRIPTS = sorted(p for p in BENCH.glob("*.py") if not p.name.startswith("_"))


def _run_all():
    spec = importlib.util.spec_from_file_location("run_all", BENCH / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules while the class is made
    sys.modules["run_all"] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["run_all"]
    return module


def test_every_script_is_on_the_page():
    names = {b.name for b in _run_all().BENCHES}
    assert names == {p.stem for p in SCRIPTS} - {"run_all"}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_help(script):
    proc = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, cwd=BENCH
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage:" in proc.stdout


def test_supported_drops_options_a_script_does_not_define():
    run_all = _run_all()
    source = 'parser.add_argument("--sizes")\nparser.add_argument("--quick")'
    args = ["--sizes", "10", "100", "--all", "--quick"]
    assert run_all.supported(args, source) == ["--sizes", "10", "100", "--quick"]


def test_demote_moves_headings_one_level_down():
    run_all = _run_all()
    text = "# Title\n## Part\n### Sub\n| a |"
    assert run_all.demote(text) == "## Title\n### Part\n### Sub\n| a |"
