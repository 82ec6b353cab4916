"""Write docs/replicating-table1.md from the output of copfactors.replicate.

Usage::

    python scripts/make_replication_doc.py            # (re)write the page
    python scripts/make_replication_doc.py --check    # exit 1 if the page is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from copfactors.replicate import replication_markdown

PAGE = Path(__file__).resolve().parents[1] / "docs" / "replicating-table1.md"


def main(argv: list[str] | None = None) -> int:
    """Write (or, with ``--check``, compare) the replication page; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether it is current")
    parser.add_argument("--out", type=Path, default=PAGE, help="where the page goes")
    args = parser.parse_args(argv)
    text = replication_markdown()
    if args.check:
        current = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if current else 'OUT OF DATE'}")
        return 0 if current else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
