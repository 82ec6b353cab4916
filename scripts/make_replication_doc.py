"""Write docs/replicating-table1.md from the output of copfactors.replicate.

Usage::

    python scripts/make_replication_doc.py            # (re)write the page
    python scripts/make_replication_doc.py --check    # exit 1 if the page is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _docpage import page_main

from copfactors.replicate import replication_markdown

PAGE = Path(__file__).resolve().parents[1] / "docs" / "replicating-table1.md"


def main(argv: list[str] | None = None) -> int:
    """Write (or, with ``--check``, compare) the page; return the exit code."""
    return page_main(replication_markdown, PAGE, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
