"""The package's top level: lazy imports and the public names."""

from __future__ import annotations

import subprocess
import sys

import pytest

import copfactors


def test_import_does_not_load_heavy_libraries():
    code = (
        "import sys, copfactors, copfactors.errors; "
        "heavy = [m for m in ('shap', 'statsmodels', 'matplotlib', 'sklearn') "
        "if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_cli_help_does_not_load_heavy_libraries():
    code = (
        "import sys\n"
        "from copfactors.cli import app\n"
        "from typer.testing import CliRunner\n"
        "r = CliRunner().invoke(app, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(','.join(m for m in ('shap', 'statsmodels', 'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("name", copfactors.__all__)
def test_every_public_name_exists(name):
    assert getattr(copfactors, name) is not None


def test_unknown_attribute_raises():
    with pytest.raises(AttributeError, match="no_such_thing"):
        copfactors.no_such_thing  # noqa: B018


def test_dir_lists_public_names():
    assert set(copfactors.__all__) - {"__version__"} <= set(dir(copfactors))


def _type_checking_names() -> dict[str, str]:
    """Names imported under ``if TYPE_CHECKING:`` in the package's ``__init__``, with modules."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(copfactors.__file__).read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
    )
    return {
        alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def test_type_checkers_see_every_lazy_name_from_its_module():
    assert _type_checking_names() == copfactors._LAZY


def test_all_is_a_literal_list_of_the_lazy_names():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(copfactors.__file__).read_text(encoding="utf-8"))
    assigned = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "__all__"
    )
    assert isinstance(assigned, ast.List)
    assert sorted(ast.literal_eval(assigned)) == sorted([*copfactors._LAZY, "__version__"])


@pytest.mark.parametrize("name", ["explain", "readiness", "questionnaire"])
def test_a_public_function_is_never_shadowed_by_a_module(name):
    # importing every submodule first must not turn a public function into a module
    code = (
        "import importlib, pkgutil, types, copfactors as cf\n"
        "for m in pkgutil.walk_packages(cf.__path__, 'copfactors.'):\n"
        "    if m.name.split('.')[-1] not in ('__main__',):\n"
        "        importlib.import_module(m.name)\n"
        f"print(isinstance(cf.{name}, types.FunctionType))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
