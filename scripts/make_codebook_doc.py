"""Write ``docs/codebook.md`` from :data:`copfactors.schema.CODEBOOK`.

Run ``python scripts/make_codebook_doc.py`` after changing the codebook; a test checks that the
file is current. Pass ``--check`` to only report whether it is (exit status 1 if not).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _docpage import page_main

from copfactors.schema import codebook_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "codebook.md"


def main(argv: list[str] | None = None) -> int:
    """Write (or, with ``--check``, compare) the page; return the exit code."""
    return page_main(codebook_markdown, DOC, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
