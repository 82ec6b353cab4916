"""The ``copfactors`` command line: thin wrappers over the public API.

Every command prints a message (never a traceback) and exits non-zero when its input is bad.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from copfactors.errors import CopFactorsError

app = typer.Typer(
    name="copfactors",
    help="Model what makes a community of practice (CoP) attain its objectives.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(err: Exception) -> None:
    typer.echo(f"error: {err}", err=True)
    raise typer.Exit(code=1)


@app.command()
def demo(
    out: Annotated[
        Path | None, typer.Option(help="Folder for the demo's output files (optional).")
    ] = None,
) -> None:
    """Run the whole library on the embedded example survey (simulated data)."""
    from copfactors.demo import run_demo

    try:
        run_demo(out=out)
    except CopFactorsError as err:
        _fail(err)


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="Survey file: .csv, .xlsx, .sav or .parquet.")],
) -> None:
    """Check a survey file against the codebook and summarise it, or list every problem."""
    from copfactors.io import validation_report

    try:
        text, ok = validation_report(file)
    except CopFactorsError as err:
        _fail(err)
        return
    typer.echo(text)
    if not ok:
        raise typer.Exit(code=1)


@app.command()
def replicate(
    format: Annotated[
        str, typer.Option("--format", "-f", help="Output format: text, json, latex or html.")
    ] = "text",
    all_checks: Annotated[
        bool, typer.Option("--all-checks", help="List every audit check, not only the failed.")
    ] = False,
) -> None:
    """Recompute the paper's Table 1 tests and audit its cells (GRIM, GRIMMER, totals)."""
    from copfactors.replicate import replication_report

    if format not in ("text", "json", "latex", "html"):
        _fail(ValueError(f"unknown format {format!r}; choose text, json, latex or html"))
    try:
        typer.echo(replication_report(format, all_checks=all_checks), nl=False)  # type: ignore[arg-type]
    except CopFactorsError as err:
        _fail(err)


def main() -> None:
    """Entry point of the ``copfactors`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
