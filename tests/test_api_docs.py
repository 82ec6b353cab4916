"""The API reference covers the public API, and the site works offline and states its version."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import copfactors

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: ``::: copfactors.module.name`` lines of a page (mkdocstrings' autodoc syntax).
_DIRECTIVE = re.compile(r"^:::[ \t]+([\w.]+)[ \t]*$", re.M)


def api_pages() -> list[Path]:
    """The API reference pages: docs/api.md and any docs/api/*.md."""
    pages = [DOCS / "api.md"] if (DOCS / "api.md").is_file() else []
    if (DOCS / "api").is_dir():
        pages += sorted((DOCS / "api").glob("*.md"))
    return pages


def directives() -> list[str]:
    """Every object the API pages document, in page order."""
    found: list[str] = []
    for page in api_pages():
        found += _DIRECTIVE.findall(page.read_text(encoding="utf-8"))
    return found


def resolve(path: str) -> object:
    """The object a dotted path names: the longest importable module, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ModuleNotFoundError(path)


def documented_path(name: str) -> str:
    """Where a public name is documented: the module that defines it, per the lazy map."""
    module = copfactors._LAZY.get(name, "copfactors")
    return f"{module}.{name}"


def test_the_directive_parser():
    text = "# A\n\n::: copfactors.io.read_survey\n\n:::copfactors.x\n::: copfactors.plot  \n"
    assert _DIRECTIVE.findall(text) == ["copfactors.io.read_survey", "copfactors.plot"]


def test_there_are_api_pages():
    assert api_pages(), "no API reference page"
    assert len(directives()) >= len(copfactors.__all__)


@pytest.mark.parametrize("name", sorted(copfactors.__all__))
def test_every_public_name_is_documented(name):
    path = documented_path(name)
    assert path in directives(), f"{name} is public but the API pages lack '::: {path}'"


@pytest.mark.parametrize("path", directives())
def test_every_directive_names_something_real(path):
    assert path.startswith("copfactors"), path
    try:
        resolve(path)
    except (ImportError, AttributeError) as error:
        pytest.fail(f"'::: {path}' on the API pages names nothing: {error}")


def test_public_names_are_documented_where_they_are_defined():
    for name in copfactors.__all__:
        if name in copfactors._LAZY:
            assert resolve(documented_path(name)) is getattr(copfactors, name), name


def test_no_object_is_documented_twice():
    seen = directives()
    assert len(seen) == len(set(seen)), sorted({p for p in seen if seen.count(p) > 1})


def test_each_group_says_what_it_is_for():
    for page in api_pages():
        sections = re.split(r"^## ", page.read_text(encoding="utf-8"), flags=re.M)[1:]
        assert sections, page
        for section in sections:
            title, _, body = section.partition("\n")
            prose = [line for line in body.splitlines() if line and not line.startswith(":::")]
            assert prose, f"{page.name}: section {title!r} has no sentence saying what it is for"


@pytest.fixture(scope="module")
def offline_site(tmp_path_factory) -> Path:
    """The site built for reading from file:// (``OFFLINE=true mkdocs build --strict``)."""
    site = tmp_path_factory.mktemp("offline") / "site"
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "OFFLINE": "true"},
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return site


def test_the_site_states_the_version(offline_site):
    stated = f"copfactors {copfactors.__version__}"
    for page in ("index.html", "api.html", "getting-started.html"):
        assert stated in (offline_site / page).read_text(encoding="utf-8"), page


def test_the_hook_reads_the_version_of_the_source():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        hooks = importlib.import_module("docs_hooks")
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert hooks.source_version() == copfactors.__version__


def test_the_search_index_is_built_for_offline_use(offline_site):
    script = offline_site / "search" / "search_index.js"
    assert script.is_file()
    text = script.read_text(encoding="utf-8")
    assert text.startswith("var __index = {")
    assert "compare_with_paper" in text and "read_survey" in text


def test_the_offline_site_needs_no_server_and_no_network(offline_site):
    # plain .html links resolve from the file system, and the worker shim ships with the site
    assert (offline_site / "api.html").is_file()
    assert (offline_site / "tutorials" / "own-survey.html").is_file()
    index = (offline_site / "index.html").read_text(encoding="utf-8")
    assert 'src="assets/javascripts/iframe-worker-shim.js"' in index
    assert (offline_site / "assets" / "javascripts" / "iframe-worker-shim.js").is_file()
    assert "unpkg.com" not in index
