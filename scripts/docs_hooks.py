"""MkDocs hook: every page of the documentation site states the copfactors version.

The version is read from ``src/copfactors/__init__.py`` (``__version__``) without importing the
package, so the site states the version of the source it documents even when the installed
package metadata is older.  It is written into the footer (``copyright``) and exposed to
templates as ``config.extra.copfactors_version``.
"""

from __future__ import annotations

import ast
from pathlib import Path

INIT = Path(__file__).resolve().parents[1] / "src" / "copfactors" / "__init__.py"


def source_version(path: Path = INIT) -> str:
    """The ``__version__`` string assigned in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__version__" for target in node.targets
        ):
            value = ast.literal_eval(node.value)
            if isinstance(value, str):
                return value
    raise ValueError(f"no __version__ string in {path}")


def on_config(config, **kwargs):
    """State the version in the footer of every page."""
    version = source_version()
    config.extra["copfactors_version"] = version
    stated = f"copfactors {version}"
    config.copyright = f"{config.copyright} · {stated}" if config.copyright else stated
    return config
