"""Write the SIMULATED example survey shipped as ``copfactors/datasets/data/example_survey.csv``.

The file is one calibrated run of :func:`copfactors.datasets.make_survey` with
``seed=copfactors.datasets.EXAMPLE_SEED``; its first line says the data are simulated. Running
the script again writes the same bytes (a test checks the shipped file against
:func:`render_example_survey`).

Usage::

    python scripts/make_example_survey.py [output.csv]
"""

from __future__ import annotations

import sys
from pathlib import Path

from copfactors.datasets import EXAMPLE_SEED, _example_csv_text, make_survey

DEFAULT_PATH = (
    Path(__file__).resolve().parents[1]
    / "src"
    / "copfactors"
    / "datasets"
    / "data"
    / "example_survey.csv"
)


def render_example_survey() -> str:
    """The text of the example survey file (deterministic).

    Examples
    --------
    >>> render_example_survey().splitlines()[0].startswith("# SIMULATED")
    True
    """
    return _example_csv_text(make_survey(seed=EXAMPLE_SEED, mode="calibrated"))


def main(argv: list[str] | None = None) -> Path:
    """Write the example survey to ``argv[0]`` (default: the packaged data file)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else DEFAULT_PATH
    text = render_example_survey()
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(text.encode("utf-8"))
    tmp.replace(path)
    print(f"wrote {path} ({len(text.splitlines()) - 2} simulated respondents)")
    return path


if __name__ == "__main__":
    main()
