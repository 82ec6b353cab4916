"""Write ``docs/codebook.md`` from :data:`copfactors.schema.CODEBOOK`.

Run ``python scripts/make_codebook_doc.py`` after changing the codebook; a test checks that the
file is current. Pass ``--check`` to only report whether it is (exit status 1 if not).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from copfactors.schema import codebook_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "codebook.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the file is current")
    parser.add_argument("--out", type=Path, default=DOC, help=f"output file (default {DOC})")
    args = parser.parse_args(argv)
    text = codebook_markdown()
    if args.check:
        current = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'current' if current else 'out of date'}")
        return 0 if current else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
