"""Shared command line of the scripts that generate documentation pages from the code."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def page_main(
    render: Callable[[], str], default: Path, description: str, argv: list[str] | None = None
) -> int:
    """Write the page ``render()`` returns, or with ``--check`` say whether it is current.

    Returns the exit status: 0, or 1 when ``--check`` finds the page out of date.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="only report whether it is current")
    parser.add_argument("--out", type=Path, default=default, help=f"output file ({default})")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if current else 'OUT OF DATE'}")
        return 0 if current else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0
