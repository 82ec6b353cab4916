"""The ``copfactors`` command line: thin wrappers over the public API.

Every command prints a message (never a traceback) and exits non-zero when its input is bad:
one handler (:class:`_Commands`) turns every :class:`~copfactors.errors.CopFactorsError` and
``OSError`` a command raises into one ``error: ...`` line on stderr and exit code 1. Choices are
Enum types, which typer checks itself (a usage error: exit code 2, with the choices listed).

Everything a command prints, its warnings and errors included, goes through :func:`_echo`,
which shows control characters as visible escapes (``\\x1b``): names and values from the
user's files cannot drive the terminal.
"""

from __future__ import annotations

import re
import typing
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from copfactors._utils.render import terminal_safe
from copfactors.errors import CopFactorsError


class Link(StrEnum):
    """Link functions of ``copfactors fit``."""

    logit = "logit"
    probit = "probit"
    cloglog = "cloglog"


class TableFormat(StrEnum):
    """Output formats of ``copfactors replicate`` and ``copfactors claims``."""

    text = "text"
    json = "json"
    latex = "latex"
    html = "html"


class Language(StrEnum):
    """Languages of ``copfactors questionnaire``."""

    en = "en"
    fr = "fr"


class QuestionnaireFormat(StrEnum):
    """Output formats of ``copfactors questionnaire``."""

    md = "md"
    html = "html"
    csv = "csv"


class ScoreFormat(StrEnum):
    """Output formats of ``copfactors score``."""

    text = "text"
    json = "json"


#: read_survey's reading options, each with its command-line flag
READ_OPTIONS = (
    "sheet",
    "encoding",
    "delimiter",
    "decimal",
    "missing_codes",
    "header_rows",
    "mapping",
)

_ARGUMENT_HINT = re.compile(r"read_survey\(\.\.\., (" + "|".join(READ_OPTIONS) + r")=([^)]*)\)")
_BARE_ARGUMENT = re.compile(r"\b(" + "|".join(READ_OPTIONS) + r")=([^\s,;)]*)")


def cli_hint(message: str) -> str:
    """A message's hints in the words of the command line: ``--decimal ','``, not ``decimal=``.

    Library errors name :func:`copfactors.read_survey` arguments; a user of the command line
    gets the flag of the same option instead.

    Examples
    --------
    >>> from copfactors.cli import cli_hint
    >>> cli_hint("not an integer (read_survey(..., decimal=',') reads decimal commas)")
    "not an integer (--decimal ',' reads decimal commas)"
    >>> cli_hint("pass encoding= if you know it, e.g. encoding='latin-1'")
    "pass --encoding if you know it, e.g. --encoding 'latin-1'"
    """
    text = _ARGUMENT_HINT.sub(lambda m: f"--{m[1].replace('_', '-')} {m[2]}", message)
    return _BARE_ARGUMENT.sub(lambda m: f"--{m[1].replace('_', '-')} {m[2]}".rstrip(), text)


def _echo(message: Any = "", *, err: bool = False, nl: bool = True, json: bool = False) -> None:
    """Print on stdout (or stderr) with every control character shown as a visible escape.

    Everything the command line prints goes through here, since much of it comes from the
    user's files (plan names, column names, values, messages naming them): an escape sequence
    in them is printed as ``\\x1b[31m``, never sent to the terminal. ``json=True`` writes the
    escapes as JSON's ``\\u001b``, so JSON output stays valid.
    """
    typer.echo(terminal_safe(message, json=json), err=err, nl=nl)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: typing.TextIO | None = None,
    line: str | None = None,
) -> None:
    """``warnings.showwarning`` of the command line: on stderr, through :func:`_echo`."""
    _echo(warnings.formatwarning(message, category, filename, lineno, line), err=True, nl=False)


def _fail(err: Exception) -> typing.NoReturn:
    _echo(f"error: {cli_hint(str(err))}", err=True)
    raise typer.Exit(code=1)


_READING = "Reading the survey"
SheetOption = Annotated[
    str | None,
    typer.Option(help="Excel: the sheet's name or 0-based position.", rich_help_panel=_READING),
]
EncodingOption = Annotated[
    str | None,
    typer.Option(
        help="CSV: the text encoding (default: UTF-8, else cp1252).", rich_help_panel=_READING
    ),
]
DelimiterOption = Annotated[
    str | None,
    typer.Option(
        help="CSV: the field delimiter (default: found from the header).", rich_help_panel=_READING
    ),
]
DecimalOption = Annotated[
    str | None,
    typer.Option(help="CSV: the decimal mark, '.' or ','.", rich_help_panel=_READING),
]
MissingCodesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--missing-codes",
        help="A value that means missing (repeatable), e.g. --missing-codes 99.",
        rich_help_panel=_READING,
    ),
]
HeaderRowsOption = Annotated[
    int | None,
    typer.Option(
        help="Header rows of a survey-tool export (default: detected).", rich_help_panel=_READING
    ),
]
MappingOption = Annotated[
    Path | None,
    typer.Option(
        help="Mapping of a raw export onto the codebook (from 'copfactors map').",
        rich_help_panel=_READING,
    ),
]


OverwriteReportOption = Annotated[
    bool,
    typer.Option(
        help="Write into a folder that has other files than a copfactors report: the report's "
        "files replace those of the same names, the others are kept."
    ),
]


def read_options(
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    decimal: str | None = None,
    missing_codes: list[str] | None = None,
    header_rows: int | None = None,
    mapping: Path | None = None,
) -> dict[str, Any]:
    """The :func:`copfactors.read_survey` arguments that a command's reading flags set.

    Only the flags given are passed, so ``read_survey`` keeps its defaults (and refuses an
    option that does not apply to the file type, naming the flag).

    Examples
    --------
    >>> from copfactors.cli import read_options
    >>> read_options(sheet="2", missing_codes=["99"])
    {'sheet': 2, 'missing_codes': ['99']}
    """
    given = {
        "sheet": int(sheet) if sheet is not None and sheet.isdigit() else sheet,
        "encoding": encoding,
        "delimiter": delimiter,
        "decimal": decimal,
        "missing_codes": list(missing_codes) if missing_codes else None,
        "header_rows": header_rows,
        "mapping": mapping,
    }
    return {name: value for name, value in given.items() if value is not None}


class _Commands(TyperGroup):
    """The command group with the one error handler of the command line.

    A :class:`~copfactors.errors.CopFactorsError` or ``OSError`` raised by a command prints
    ``error: <message>`` on stderr (no traceback) and exits with code 1. Usage errors (an
    unknown option, a value outside an option's choices) are typer's: a message that lists the
    choices, exit code 2. It is a command group rather than a ``try`` in :func:`main` so that
    the same handler runs however the app is invoked (``main()``, ``CliRunner``). Warnings
    shown while a command runs go through :func:`_echo` too, as every other output does.
    """

    def invoke(self, ctx: typer.Context) -> Any:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except (CopFactorsError, OSError) as err:
                _fail(err)


app = typer.Typer(
    name="copfactors",
    cls=_Commands,
    help="Model what makes a community of practice (CoP) attain its objectives.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from copfactors import __version__

        _echo(f"copfactors {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Model what makes a community of practice (CoP) attain its objectives."""


@app.command()
def demo(
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder of the report (default: ./copfactors-demo): new, empty, or holding an "
            "earlier copfactors report."
        ),
    ] = None,
    overwrite: OverwriteReportOption = False,
) -> None:
    """Run the whole analysis on the embedded example survey (SIMULATED) and write its report."""
    from copfactors.demo import run_demo

    run_demo(out=out, overwrite=overwrite)


@app.command()
def report(
    survey: Annotated[Path, typer.Argument(help="Survey file: .csv, .xlsx, .sav or .parquet.")],
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder of the report (default: ./copfactors-report): new, empty, or holding "
            "an earlier copfactors report."
        ),
    ] = None,
    overwrite: OverwriteReportOption = False,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Workers for the relative-importance refits.")
    ] = 1,
    sheet: SheetOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    decimal: DecimalOption = None,
    missing_codes: MissingCodesOption = None,
    header_rows: HeaderRowsOption = None,
    mapping: MappingOption = None,
    extra: Annotated[
        list[str] | None,
        typer.Option(
            "--extra",
            help="Your own survey column to add as a driver (repeatable); a text column's "
            "reference is its first level in sorted order.",
        ),
    ] = None,
    formula: Annotated[
        str | None,
        typer.Option(
            "--formula",
            help="Your own model of the drivers: a formula right-hand side over the built "
            'features and --extra columns, e.g. "commitment * voluntary + '
            'np.log1p(hours_per_week)"; its design columns replace the drivers.',
        ),
    ] = None,
) -> None:
    """Analyse a survey file and write the HTML report (figures as PNG, tables as CSV/LaTeX)."""
    from copfactors.demo import run_report

    run_report(
        survey,
        out=out,
        n_jobs=jobs,
        read=read_options(sheet, encoding, delimiter, decimal, missing_codes, header_rows, mapping),
        extra=extra or None,
        formula=formula,
        overwrite=overwrite,
    )


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="Survey file: .csv, .xlsx, .sav or .parquet.")],
    require: Annotated[
        list[str] | None,
        typer.Option(
            help="An analysis the table must support (repeatable): gender, reliability, "
            "model, scoring, claims or a claim C1-C13.",
        ),
    ] = None,
    problems_out: Annotated[
        Path | None,
        typer.Option("--problems-out", help="Write every problem to this CSV file."),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing problems file.")] = False,
    sheet: SheetOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    decimal: DecimalOption = None,
    missing_codes: MissingCodesOption = None,
    header_rows: HeaderRowsOption = None,
    mapping: MappingOption = None,
) -> None:
    """Check a survey file against the codebook and say which analyses it supports.

    Problems are grouped by column (the full list with --problems-out). A valid table ends
    with what it supports; the command fails when it supports nothing beyond its ids, or less
    than --require asks.
    """
    from copfactors._utils.render import safe_csv
    from copfactors.errors import ReadinessError, SchemaError
    from copfactors.io import problems_by_column, read_survey, summarize
    from copfactors.preflight import readiness

    read = read_options(sheet, encoding, delimiter, decimal, missing_codes, header_rows, mapping)
    try:
        survey = read_survey(file, **read)
    except SchemaError as err:
        grouped = problems_by_column(err.problems, line_name=err.line_name)
        _echo(cli_hint(f"{file.name}: {grouped}"))
        if problems_out is not None:
            _write_text(problems_out, safe_csv(err.problems), overwrite=overwrite)
            _echo(f"wrote every problem to {problems_out}")
        elif len(err.problems) > 3:
            _echo("(every problem, one per row: --problems-out problems.csv)")
        raise typer.Exit(code=1) from None
    _echo(summarize(survey, file.name))
    ready = readiness(survey)
    _echo("")
    _echo(ready.to_text())
    if ready.nothing_beyond_ids:
        recognised = set(survey.columns) - set(survey.attrs.get("unknown_columns", []))
        hint = (
            ": no column besides the ids was recognised (a raw survey-tool export? propose a "
            "mapping with 'copfactors map' and read the file with --mapping)"
            if recognised <= {"respondent_id", "cop_id"}
            else " (the reasons are above)"
        )
        raise ReadinessError(f"{file.name} supports none of copfactors' analyses{hint}")
    if require:
        ready.require(list(require))


@app.command("map")
def map_command(
    survey: Annotated[Path, typer.Argument(help="A raw export: .csv, .xlsx, .sav or .parquet.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Mapping file to write (.yaml).")],
    overwrite: Annotated[bool, typer.Option(help="Replace an existing mapping file.")] = False,
    sheet: SheetOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    decimal: DecimalOption = None,
    header_rows: HeaderRowsOption = None,
) -> None:
    """Propose a mapping of a raw survey-tool export onto the codebook, for you to check.

    Headers are matched to the codebook's names and English and French labels (question codes
    stripped), answer labels to values; doubtful matches are marked for review and left out
    until you confirm them. Read the survey with --mapping afterwards.
    """
    from copfactors.io import read_table
    from copfactors.mapping import propose_mapping

    read = read_options(sheet, encoding, delimiter, decimal, None, header_rows, None)
    table = read_table(survey, **read)
    proposed = propose_mapping(table)
    proposed.save(out, overwrite=overwrite)
    _echo(proposed.summary())
    _echo(f"wrote {out}: check it, then 'copfactors validate {survey} --mapping {out}'")


@app.command()
def replicate(
    format: Annotated[
        TableFormat, typer.Option("--format", "-f", help="Output format.")
    ] = TableFormat.text,
    all_checks: Annotated[
        bool, typer.Option("--all-checks", help="List every audit check, not only the failed.")
    ] = False,
) -> None:
    """Recompute the paper's Table 1 tests and audit its cells (GRIM, GRIMMER, totals)."""
    from copfactors.replicate import replication_report

    _echo(
        replication_report(format.value, all_checks=all_checks),  # type: ignore[arg-type]
        nl=False,
        json=format is TableFormat.json,
    )


@app.command("fit")
def fit_command(
    survey: Annotated[Path, typer.Argument(help="Survey file: .csv, .xlsx, .sav or .parquet.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model file to write (.json).")],
    link: Annotated[Link, typer.Option(help="Link function.")] = Link.logit,
    cluster: Annotated[
        str,
        typer.Option(
            help="Column of each respondent's CoP, for cluster-robust standard errors; "
            "'none' for robust ones without clusters."
        ),
    ] = "cop_id",
    exclude: Annotated[
        list[str] | None,
        typer.Option(help="Feature group to leave out (repeatable), e.g. --exclude sponsor."),
    ] = None,
    simulated: Annotated[
        bool, typer.Option("--simulated", help="Record in the model that the survey is simulated.")
    ] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing model file.")] = False,
    sheet: SheetOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    decimal: DecimalOption = None,
    missing_codes: MissingCodesOption = None,
    header_rows: HeaderRowsOption = None,
    mapping: MappingOption = None,
) -> None:
    """Fit an attainment model (drivers -> ordinal attainment) on a survey and save it."""
    import warnings

    from copfactors.errors import OutputExistsError

    if out.exists() and not overwrite:
        raise OutputExistsError(f"{out} exists; pass --overwrite to replace it")
    from copfactors.features import CoPFeatureBuilder
    from copfactors.io import read_survey
    from copfactors.persist import fit_attainment_model, save_model

    data = read_survey(
        survey,
        **read_options(sheet, encoding, delimiter, decimal, missing_codes, header_rows, mapping),
    )
    no_cluster = cluster.lower() == "none"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = fit_attainment_model(
            data,
            link=link.value,
            cov_type="robust" if no_cluster else "cluster",
            cluster=None if no_cluster else cluster,
            builder=CoPFeatureBuilder(exclude=list(exclude) if exclude else None),
            simulated=True if simulated else None,
            source=str(survey),
        )
    for w in caught:
        _echo(f"warning: {w.message}", err=True)
    save_model(model, out, overwrite=overwrite)
    _echo(model.describe())
    _echo(f"wrote {out}")


@app.command("score")
def score_command(
    plan: Annotated[Path, typer.Argument(help="Plan of the CoP: .yaml, .yml or .json.")],
    model: Annotated[
        Path | None,
        typer.Option(
            "--model",
            "-m",
            help="Model file (default: the reference model, fitted on SIMULATED data).",
        ),
    ] = None,
    format: Annotated[
        ScoreFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ScoreFormat.text,
    draws: Annotated[
        int,
        typer.Option(help="Parameter draws for the intervals (0: no intervals; at most 100000)."),
    ] = 1000,
    levers: Annotated[
        int,
        typer.Option(help="Top levers shown in the text output (changes in percentage points)."),
    ] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the parameter draws (0 to 4294967295).")] = 0,
) -> None:
    """Chance that a typical member of a planned CoP rates its objectives attained.

    The text names the plan and the model first (saying when it was fitted on SIMULATED data),
    then the chance in words with its plausible range, the rating scale, the defaults the
    plan relied on, risk flags and the top levers in percentage points. --format json gives
    the same as records (simulated, model, scale, defaults_used, levers with delta_pp).
    """
    import json

    from copfactors.scoring import MAX_DRAWS, check_draws, score

    # checked before the plan or the model is read, naming the flags
    check_draws(
        draws,
        seed,
        names=("--draws", "--seed"),
        hint=f"Use --draws {MAX_DRAWS} or fewer (copfactors.score takes max_draws for more).",
        allow_none=False,
    )
    result = score(plan, model, n_draws=draws, random_state=seed)
    if format is ScoreFormat.json:
        text = json.dumps(result.to_dict(levers=True), indent=2, ensure_ascii=False)
    else:
        text = result.to_text(levers=levers)
    _echo(text, json=format is ScoreFormat.json)


plan_app = typer.Typer(
    name="plan",
    help="Write the plan of a CoP to score: a template of every field, or the example plans.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(plan_app, name="plan")


@plan_app.command("init")
def plan_init(
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Plan file to write, .yaml or .yml (default: print)."),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Write a plan template: every field a plan accepts, its values, unit and default.

    The template is a valid plan as it is (the defaults, with an example number of members):
    change what you know of your CoP, then score it with 'copfactors score plan.yaml'.
    """
    from copfactors.errors import PlanError
    from copfactors.plans import plan_template

    text = plan_template()
    if out is None:
        _echo(text, nl=not text.endswith("\n"))
        return
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise PlanError(
            f"{out}: the template is YAML; expected a .yaml or .yml file name, got {out.suffix!r}"
        )
    _write_text(out, text, overwrite=overwrite)
    _echo(f"wrote {out}: fill it in, then 'copfactors score {out}'")


@plan_app.command("examples")
def plan_examples(
    copy: Annotated[
        Path | None,
        typer.Option(
            "--copy",
            metavar="DIR",
            help="Copy the example plans into this folder (created if missing).",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="With --copy: replace files of the same names in the folder.")
    ] = False,
) -> None:
    """List the example plans shipped with copfactors: file, plan name and what it describes.

    With --copy DIR they are copied into DIR to edit and score ('copfactors score
    DIR/<file>'). A file of the same name already in DIR is replaced only with --overwrite;
    without it nothing is copied.
    """
    from copfactors.errors import OutputExistsError, PlanError
    from copfactors.pipeline import example_plan_files
    from copfactors.plans import PlannedCoP

    files = example_plan_files()
    if not files:
        raise PlanError("no example plans found in this copfactors installation (data/plans)")
    plans = [PlannedCoP.from_yaml(path) for path in files]
    file_width = max(len(path.name) for path in files)
    name_width = max(len(plan.name) for plan in plans)
    for path, plan in zip(files, plans, strict=True):
        summary = re.split(r"(?<=[.!?])\s", plan.description.strip(), maxsplit=1)[0]
        line = f"{path.name:<{file_width}}  {plan.name:<{name_width}}  {summary}"
        _echo(line.rstrip())
    if copy is None:
        _echo("(copy them into a folder to edit: --copy DIR)", err=True)
        return
    if copy.exists() and not copy.is_dir():
        raise OutputExistsError(f"{copy} exists and is not a folder; nothing was copied")
    targets = [copy / path.name for path in files]
    clashes = [target for target in targets if target.exists()]
    if clashes and not overwrite:
        names = ", ".join(target.name for target in clashes)
        raise OutputExistsError(
            f"{names} already in {copy}; pass --overwrite to replace them (nothing was copied)"
        )
    folders = [target for target in clashes if target.is_dir()]
    if folders:
        raise OutputExistsError(f"{folders[0]} is a folder, not a plan file; nothing was copied")
    texts = [path.read_bytes().decode("utf-8") for path in files]
    copy.mkdir(parents=True, exist_ok=True)
    for target, text in zip(targets, texts, strict=True):
        _write_text(target, text, overwrite=overwrite)
    _echo(
        f"copied {len(targets)} example plans to {copy}; score one with "
        f"'copfactors score {targets[0]}'"
    )


@app.command()
def claims(
    survey: Annotated[
        Path | None,
        typer.Argument(
            help="Survey file: .csv, .xlsx, .sav or .parquet (default: the example survey, "
            "which is simulated)."
        ),
    ] = None,
    format: Annotated[
        TableFormat, typer.Option("--format", "-f", help="Output format.")
    ] = TableFormat.text,
    permutations: Annotated[
        int,
        typer.Option(help="Permutations behind the p-values of the categorical block tests."),
    ] = 999,
    seed: Annotated[int, typer.Option(help="Root seed of the permutations.")] = 0,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Workers for the permutations.")] = 1,
    sheet: SheetOption = None,
    encoding: EncodingOption = None,
    delimiter: DelimiterOption = None,
    decimal: DecimalOption = None,
    missing_codes: MissingCodesOption = None,
    header_rows: HeaderRowsOption = None,
    mapping: MappingOption = None,
) -> None:
    """Hold a survey against the paper's claims C1-C13: a verdict and its evidence for each."""
    from copfactors.claims import compare_with_paper

    if survey is None:
        from copfactors.datasets import load_example_survey

        _echo(
            "no survey given: using the example survey, which is SIMULATED (not the "
            "paper's respondents)",
            err=True,
        )
        data = load_example_survey()
    else:
        from copfactors.io import read_survey

        data = read_survey(
            survey,
            **read_options(
                sheet, encoding, delimiter, decimal, missing_codes, header_rows, mapping
            ),
        )
        data.attrs["source"] = str(survey)
    result = compare_with_paper(data, n_permutations=permutations, seed=seed, n_jobs=jobs)
    render = {
        "text": result.to_text,
        "json": result.to_json,
        "latex": result.to_latex,
        "html": result.to_html,
    }[format.value]
    text = render()
    _echo(text, nl=not text.endswith("\n"), json=format is TableFormat.json)


@app.command("questionnaire")
def questionnaire_command(
    lang: Annotated[Language, typer.Option("--lang", help="Language of the items.")] = Language.en,
    format: Annotated[
        QuestionnaireFormat, typer.Option("--format", "-f", help="Output format.")
    ] = QuestionnaireFormat.md,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (default: print).")
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Write the survey instrument from the codebook: items, answers, codes, waves.

    A study that collects its data with these items and export headers gets an export that
    'copfactors map' reads without edits.
    """
    from copfactors.instrument import questionnaire

    text = questionnaire(lang.value, format.value)
    if out is None:
        _echo(text, nl=not text.endswith("\n"))
        return
    _write_text(out, text, overwrite=overwrite)
    _echo(f"wrote {out}")


def _write_text(path: Path, text: str, *, overwrite: bool) -> None:
    """Write a file whole or not at all; refuse to replace one unless ``overwrite``."""
    import os
    import tempfile

    from copfactors.errors import OutputExistsError

    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} exists; pass --overwrite to replace it")
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main() -> None:
    """Entry point of the ``copfactors`` console script.

    Errors go through the one handler of the command group (:class:`_Commands`), so running
    ``app`` directly (as the tests do with typer's ``CliRunner``) behaves the same.
    """
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
