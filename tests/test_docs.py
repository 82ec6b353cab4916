"""The documentation cannot rot: tutorial code runs, and the site builds in strict mode."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: Pages whose ```python blocks run, in order, in one namespace per page.
TUTORIALS = (
    "getting-started.md",
    "tutorials/own-survey.md",
    "tutorials/score-plan.md",
    "tutorials/replicate-table1.md",
    "tutorials/own-model.md",
    "tutorials/drivers.md",
    "mixed-model.md",
)

_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def python_blocks(page: str) -> list[str]:
    """The ```python code blocks of a documentation page, in order."""
    return _BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))


def test_the_block_extractor():
    text = "a\n```python\nx = 1\n```\n```bash\nls\n```\n```python\ny = x + 1\n```\n"
    assert _BLOCK.findall(text) == ["x = 1\n", "y = x + 1\n"]


@pytest.mark.parametrize("page", TUTORIALS)
def test_tutorial_code_runs(page, tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    blocks = python_blocks(page)
    assert blocks, f"{page} has no python block"
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    try:
        for i, block in enumerate(blocks, start=1):
            code = compile(block, f"{page} block {i}", "exec")
            exec(code, namespace)
    finally:
        plt.close("all")
    if page == "tutorials/own-survey.md":
        report = tmp_path / "my-report" / "report.html"
        assert report.is_file() and "SIMULATED DATA" in report.read_text(encoding="utf-8")
        assert (tmp_path / "forest.png").stat().st_size > 10_000
        assert (tmp_path / "my-model.json").is_file()
    if page == "tutorials/score-plan.md":
        assert (tmp_path / "levers.png").is_file()
        assert 0 < namespace["result"].probability < 1
    if page == "tutorials/replicate-table1.md":
        assert (tmp_path / "table1.png").is_file()


def test_every_tutorial_is_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in (*TUTORIALS, "model-card.md"):
        assert page in nav, page


def test_getting_started_records_the_demo_time():
    text = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    assert re.search(r"\*\*\d+(\.\d)? s wall clock\*\*", text)


def test_mkdocs_build_strict(tmp_path):
    site = tmp_path / "site"
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    for page in ("getting-started", "tutorials/own-survey", "model-card", "api"):
        assert (site / page / "index.html").is_file(), page
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert "run_analysis" in api and "importance_vs_attainment" in api
