"""The analysis report as one self-contained HTML file, with its figures and tables.

This module only renders what :func:`copfactors.pipeline.run_analysis` computed: it draws the
figures (:mod:`copfactors.plot`), renders the tables (:func:`copfactors.report.render_table` and
the results' own renderers) and assembles the page. It computes no statistics.

The HTML file stands alone: figures are embedded as base64 PNG ``data:`` URIs, the CSS is
inline, and there is no script, no external link, font or image, so it can be e-mailed,
archived or opened offline. Its first screen says what data it was made from and, for
simulated data, says so in a red banner. Its sections (HTML ids) are :data:`SECTIONS`.

Examples
--------
>>> from copfactors.datasets import load_example_survey
>>> from copfactors.pipeline import run_analysis
>>> from copfactors.htmlreport import build
>>> result = run_analysis(load_example_survey(), source_label="example survey",
...                       simulated=True, steps=["gender"])
>>> bundle = build(result)
>>> "SIMULATED" in bundle.html, sorted(bundle.figures)
(True, ['gender_importance_likert', 'gender_importance_vs_attainment'])
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from copfactors._utils.render import safe_csv
from copfactors.analysis import random_intercept_text
from copfactors.report import render_table

if TYPE_CHECKING:  # pragma: no cover
    from copfactors.analysis import AnalysisResult

__all__ = ["SECTIONS", "ReportBundle", "ReportTable", "build", "draw_figures", "render_html"]

#: Sections of the report: HTML id and heading, in order.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("data", "Data"),
    ("table1", "Table 1 replication & audit"),
    ("gender", "Gender comparison"),
    ("ordinal", "Ordinal model"),
    ("binary", "Binary model"),
    ("drivers", "Drivers"),
    ("shap", "SHAP"),
    ("claims", "Claims vs the paper"),
    ("plans", "Planned CoPs"),
)

_CSS = """
:root { --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --accent: #0072B2; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink);
  margin: 0; background: #f6f8fa; line-height: 1.45; font-size: 15px; }
.page { max-width: 1120px; margin: 0 auto; padding: 18px 28px 40px; background: #fff;
  overflow-wrap: anywhere; }
img { max-width: 100%; height: auto; }
.banner { background: #b31b1b; color: #fff; padding: 14px 18px; border-radius: 6px;
  font-size: 16px; margin: 4px 0 14px; }
.banner strong { font-size: 19px; letter-spacing: 0.04em; display: block; margin-bottom: 2px; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 21px; margin: 34px 0 8px; padding-top: 10px; border-top: 2px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 6px; }
header h2.keys-title { font-size: 16px; margin: 14px 0 4px; padding-top: 0; border-top: none; }
.source { font-size: 16px; margin: 0 0 10px; }
.muted, .notes, figcaption { color: var(--muted); }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 8px;
  margin: 10px 0; }
.fact { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
.fact .k { font-size: 12px; color: var(--muted); text-transform: uppercase; }
.fact .v { font-size: 16px; font-weight: 600; }
.keys { display: grid; grid-template-columns: repeat(auto-fit, minmax(250px, 1fr)); gap: 10px;
  margin: 12px 0; }
.key { border-left: 4px solid var(--accent); background: #f3f8fc; padding: 8px 12px;
  border-radius: 4px; }
.key h3 { margin: 0 0 4px; font-size: 14px; }
.key ul { margin: 0; padding-left: 18px; }
nav.toc { margin: 12px 0 0; font-size: 14px; display: flex; flex-wrap: wrap; gap: 4px 14px; }
nav.toc a { color: var(--accent); text-decoration: none; white-space: nowrap; }
.table-wrap { overflow-x: auto; max-width: 100%; margin: 8px 0 12px; overflow-wrap: normal; }
.table-wrap td, .table-wrap th { white-space: nowrap; }
.table-wrap td:first-child { white-space: normal; min-width: 9em; }
.table-wrap.prose td { white-space: normal; min-width: 4em; }
.table-wrap.prose td:last-child { min-width: 22em; }
.table-wrap tfoot td, .table-wrap tr.header-fact td { white-space: normal; min-width: 0; }
table.copfactors-table { border-collapse: collapse; font-size: 13px; }
table.copfactors-table caption { text-align: left; font-weight: 600; padding: 4px 0;
  caption-side: top; }
table.copfactors-table th, table.copfactors-table td { padding: 3px 7px;
  border-bottom: 1px solid #eaeef2; vertical-align: top; }
table.copfactors-table thead tr:last-child th { border-bottom: 2px solid var(--ink); }
table.copfactors-table tr.header-fact th, table.copfactors-table tr.header-fact td {
  font-weight: normal; color: var(--muted); border: none; padding: 1px 8px; }
table.copfactors-table tbody tr:nth-child(even) { background: #f6f8fa; }
table.copfactors-table tfoot td { color: var(--muted); font-size: 12px; border: none; }
figure { margin: 10px 0 16px; }
figure img { max-width: 100%; height: auto; border: 1px solid #eaeef2; }
.missing { border: 1px dashed #b31b1b; color: #b31b1b; padding: 8px 12px; border-radius: 4px; }
.prob { font-size: 22px; font-weight: 700; }
.choice { border-left: 4px solid var(--line); padding: 2px 12px; margin: 8px 0; }
.choice p { margin: 4px 0; }
footer { margin-top: 36px; font-size: 12px; color: var(--muted); }
@media (max-width: 600px) {
  .page { padding: 12px 14px 28px; }
  h1 { font-size: 22px; }
  h2 { font-size: 19px; margin-top: 26px; }
  .keys { grid-template-columns: 1fr; }
}
"""

# tables with sentences in their cells: these wrap, the others keep each cell on one line
_PROSE_TABLES = frozenset({"table1_audit", "table1_calibration", "claims", "cop_level_drivers"})

_SIMULATED_BANNER = (
    "<strong>SIMULATED DATA</strong>"
    "Every respondent in this report is simulated. The paper (Tremblay, Teluq) publishes no "
    "respondent-level data: the example survey was generated by copfactors.make_survey to "
    "reproduce Table 1's published Ns, means and SDs, with drivers that follow a documented "
    "model. Nothing here is evidence about real communities of practice."
)


@dataclass
class ReportTable:
    """One table of the report, in every format it is written in.

    Attributes
    ----------
    name : str
        File stem (``<name>.csv``, ``<name>.tex``).
    title : str
    frame : pandas.DataFrame
        The data written as CSV.
    html : str
        The ``<table>`` shown in the report.
    latex : str
        A LaTeX ``tabular``.
    """

    name: str
    title: str
    frame: pd.DataFrame
    html: str
    latex: str


@dataclass
class ReportBundle:
    """The rendered report: the HTML page, its figures as PNG and its tables.

    Attributes
    ----------
    html : str
    figures : dict of str to bytes
        PNG bytes by figure name (also embedded in the HTML).
    tables : dict of str to ReportTable
    """

    html: str
    figures: dict[str, bytes] = field(default_factory=dict)
    tables: dict[str, ReportTable] = field(default_factory=dict)

    def files(self) -> dict[str, str | bytes]:
        """Every file of the report by name: ``report.html``, ``*.png``, ``*.csv``, ``*.tex``.

        The CSV files are safe to open in a spreadsheet (:func:`copfactors.report.safe_csv`):
        a text cell that would run as a formula (``=``, ``+``, ``-``, ``@``, tab or carriage
        return first) starts with ``'``, every text cell is quoted, numbers stay numbers.

        Examples
        --------
        >>> ReportBundle("<html></html>").files()
        {'report.html': '<html></html>'}
        """
        out: dict[str, str | bytes] = {"report.html": self.html}
        for name, png in self.figures.items():
            out[f"{name}.png"] = png
        for name, table in self.tables.items():
            out[f"{name}.csv"] = safe_csv(table.frame)
            out[f"{name}.tex"] = table.latex + "\n"
        return out


# --------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_") or "plan"


def _table(
    name: str,
    frame: pd.DataFrame,
    *,
    title: str,
    shown: pd.DataFrame | None = None,
    notes: Sequence[str] = (),
    header: Mapping[str, Any] | None = None,
    digits: int = 3,
    formatters: Mapping[str, Callable[[Any], str]] | None = None,
) -> ReportTable:
    view = frame if shown is None else shown
    kwargs = dict(title=title, header=header, notes=list(notes), digits=digits)
    html_text = render_table(view, style="html", formatters=formatters, **kwargs)
    latex = render_table(view, style="latex", formatters=formatters, **kwargs)
    return ReportTable(name, title, frame, html_text, latex.replace("≤", "$\\le$"))


def _pct(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return ""
    return "" if not np.isfinite(v) else f"{v:.0%}"


def _word(name: str) -> str:
    from copfactors.plot import driver_label

    return driver_label(name)


def _is_mixed(model: Any) -> bool:
    return model is not None and hasattr(model, "random_effects_")


def _simulated_prefix(result: AnalysisResult) -> str:
    return "SIMULATED data: " if result.simulated else ""


def _importance_items(result: AnalysisResult) -> list[str]:
    """Table 1's importance columns in the survey, when it has them and a gender column."""
    from copfactors.schema import OBJECTIVES

    s = result.survey
    if result.comparison is None or "gender" not in s:
        return []
    return [f"imp_{o}" for o in OBJECTIVES if f"imp_{o}" in s.columns]


def _effect_driver(result: AnalysisResult) -> str | None:
    """The ordinal model's top continuous driver (by the driver table, else by |coef| x SD)."""
    model, X = result.inference_model("ordinal"), result.X
    if model is None or X is None or not hasattr(model, "cov_"):
        return None
    features = [str(c) for c in model.coef_.index if c in X.columns]
    continuous = [c for c in features if X[c].dropna().nunique() > 2]
    if not continuous:
        return None
    if result.drivers is not None and "driver" in result.drivers.table:
        for name in result.drivers.table["driver"].astype(str):
            if name in continuous:
                return name
    return max(continuous, key=lambda c: abs(float(model.coef_[c])) * float(X[c].std()))


_AT_ZERO = (
    "The between-CoP SD (sigma) is estimated at 0, its boundary: ICC 0, every CoP effect 0 (no "
    "caterpillar plot), and the LR test of sigma = 0 has statistic 0 (p = 1). The table is "
    "that of the model without random intercept, which the mixed model then is."
)


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------


def draw_figures(result: AnalysisResult) -> dict[str, Any]:
    """Draw every figure of the report, as matplotlib Figures not tracked by ``pyplot``.

    Parameters
    ----------
    result : AnalysisResult

    Returns
    -------
    dict of str to matplotlib.figure.Figure
        By name, in report order; a figure whose data are missing is absent.
    """
    from copfactors import plot

    figs: dict[str, Any] = {}

    def new(height: float, width: float = 8.0) -> Any:
        return plot.new_axes((width, height), pyplot=False)

    if result.published_table1 is not None:
        ax = plot.importance_vs_attainment(
            result.published_table1,
            title="Table 1 as published: importance (T1) and attainment (T2), by gender",
            ax=new(9.5),
        )
        figs["table1_importance_vs_attainment"] = ax.figure
    if result.comparison is not None:
        ax = plot.importance_vs_attainment(
            result.comparison,
            title="This survey: importance (T1) and attainment (T2), by gender",
            ax=new(9.5),
        )
        figs["gender_importance_vs_attainment"] = ax.figure
    items = _importance_items(result)
    if items:
        ax = plot.likert(
            result.survey,
            items,
            by="gender",
            title=f"{_simulated_prefix(result)}Importance of each objective (T1), by gender",
            ax=new(0.36 * 2 * len(items) + 2.2, 9.0),
        )
        figs["gender_importance_likert"] = ax.figure
    for key, what in (
        ("ordinal", "attainment level (ordinal model)"),
        ("binary", "attaining the objectives (binary model)"),
    ):
        model = result.inference_model(key)
        if model is not None:
            n = len(model.coef_)
            mixed = _is_mixed(model)
            ax = plot.forest(
                model,
                title=f"Odds ratios of {what}"
                + (", random intercept per CoP" if mixed else "")
                + ", 95% CI",
                ax=new(0.42 * n + 1.8),
            )
            figs[f"{key}_forest"] = ax.figure
            driver = _effect_driver(result) if key == "ordinal" else None
            if driver is not None:
                fig = plot.new_axes((10.0, 5.0), pyplot=False).figure
                fig.clear()
                name = plot.driver_label(driver)
                plot.effects(
                    model,
                    driver,
                    result.X,
                    ax=fig,
                    title=f"{_simulated_prefix(result)}Predicted attainment by "
                    f"{name[:1].lower() + name[1:]}"
                    + (" (for a member of a new CoP)" if mixed else "")
                    + ", other drivers held at typical values",
                )
                figs["ordinal_effects"] = fig
            if mixed:
                ax = plot.caterpillar(model, ax=new(0.32 * model.n_groups_ + 2.0))
                figs[f"{key}_caterpillar"] = ax.figure
    if result.drivers is not None and result.drivers.table["importance_pct"].notna().any():
        n = len(result.drivers.table)
        ax = plot.driver_importance(result.drivers, ax=new(0.38 * n + 1.6))
        figs["driver_importance"] = ax.figure
    if result.shap_values is not None:
        n = min(result.shap_values.values.shape[-1], 12)
        ax = plot.shap_beeswarm(result.shap_values, max_display=12, ax=new(0.45 * n + 2.0, 9.0))
        figs["shap_beeswarm"] = ax.figure
    for ps in result.plans:
        if ps.levers is not None and len(ps.levers):
            title = (
                f"{ps.name} ({ps.result.probability:.0%} as planned): what each lever would "
                "change (percentage points; model associations, not tested interventions)"
            )
            ax = plot.levers(ps.result, title=title, ax=new(0.45 * len(ps.levers) + 1.8))
            figs[f"plan_{_slug(ps.file.rsplit('.', 1)[0])}_levers"] = ax.figure
    return figs


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The objectives by their Table 1 labels rather than their column slugs."""
    from copfactors.schema import OBJECTIVE_LABELS

    return frame.assign(objective=frame["objective"].map(lambda o: OBJECTIVE_LABELS.get(o, o)))


def _t_text(t: float, df: float, stars: str, welch: bool) -> str:
    if not np.isfinite(t):
        return "n-s"
    df_text = f"{df:.2f}" if welch else f"{int(df)}"
    return f"t({df_text}) = {t:.2f}{stars}"


def _replication_view(rep: pd.DataFrame) -> pd.DataFrame:
    """Table 1's recomputation as text, one row per objective and measure."""
    rows = []
    for r in rep.itertuples(index=False):
        printed_welch = np.isfinite(r.df_reported) and not float(r.df_reported).is_integer()
        used_welch = r.test_used == "welch"
        rows.append(
            {
                "objective": r.label,
                "measure": r.measure,
                "printed": _t_text(r.t_reported, r.df_reported, r.stars_reported, printed_welch),
                "recomputed": _t_text(r.t_recomputed, r.df_recomputed, "", used_welch)
                + f", {_p_eq(r.p_recomputed)}",
                "test": r.test_used,
                "t range": f"[{r.t_min:.2f}, {r.t_max:.2f}]",
                "t reproduced": "-" if pd.isna(r.reproduced) else ("yes" if r.reproduced else "NO"),
                "stars": r.stars_recomputed or "n-s",
                "stars match": "yes" if r.significance_matches else "NO",
                "Holm p": _p(r.p_holm),
            }
        )
    return pd.DataFrame(rows)


def _tables(result: AnalysisResult) -> dict[str, ReportTable]:
    from copfactors.replicate import LEGEND

    out: dict[str, ReportTable] = {}
    if result.cops is not None:
        cops = result.cops
        shown = cops.rename(
            columns={
                "cop_id": "CoP",
                "t1": "T1",
                "t2": "T2",
                "gender_missing": "gender n/a",
                "steward_type": "steward",
                "leader_changes": "leader changes",
                "mean_attainment": "mean attainment",
            }
        )
        out["data_cops"] = _table(
            "data_cops",
            cops,
            title="Respondents per CoP and wave",
            shown=shown,
            formatters={"voluntary": _pct, "mean attainment": lambda v: f"{float(v):.2f}"},
        )
    if result.table1 is not None and result.audit is not None:
        rep = result.table1
        out["table1_replication"] = _table(
            "table1_replication",
            rep,
            title="Table 1's t-tests recomputed from its printed statistics (t = men - women)",
            shown=_replication_view(rep),
            notes=[LEGEND, "t range: over means and SDs within +/- 0.005 of the printed values."],
        )
        audit = result.audit
        failed = audit[~audit["passed"].astype(bool)]
        counts = []
        for check in dict.fromkeys(audit["check"]):
            sub = audit[audit["check"] == check]
            counts.append(f"{check}: {int((~sub['passed'].astype(bool)).sum())} of {len(sub)} fail")
        out["table1_audit"] = _table(
            "table1_audit",
            audit,
            title="Consistency audit of Table 1's cells: the failed checks",
            shown=_labelled(failed.drop(columns=["passed"])),
            notes=[
                "Checks: " + "; ".join(counts) + ".",
                "Every check (passed or not) is in table1_audit.csv.",
            ],
        )
    if result.calibration is not None:
        cal = result.calibration
        cols = ["objective", "measure", "group", "n_table", "n_survey", "mean_table"]
        cols += ["mean_survey", "sd_table", "sd_survey", "match"]
        differ = cal[~cal["match"].astype(bool)]
        shown = _labelled(differ[[*cols, "reason"]].drop(columns=["match"]))
        out["table1_calibration"] = _table(
            "table1_calibration",
            cal,
            title="Cells of Table 1 that the simulated survey does not reproduce",
            shown=shown,
            digits=3,
            notes=[
                "A cell matches when N is the same and the mean and SD agree at two decimals; "
                "every cell is in table1_calibration.csv."
            ],
        )
    if result.comparison is not None:
        cmp = result.comparison
        wide = cmp.wide()
        out["gender_comparison"] = ReportTable(
            "gender_comparison",
            "Importance and attainment of objectives, by gender",
            wide,
            cmp.to_html(),
            cmp.to_latex().rstrip("\n").replace("≤", "$\\le$"),
        )
        items = _importance_items(result)
        if items:
            from copfactors.plot import likert_table

            frame = likert_table(result.survey, items, by="gender")
            shown = frame.drop(columns="item").rename(
                columns={"label": "objective", **{f"pct_{k}": f"{k} (%)" for k in range(1, 6)}}
            )
            out["gender_importance_likert"] = _table(
                "gender_importance_likert",
                frame,
                title=f"{_simulated_prefix(result)}Answers on the importance of each objective "
                "(T1), by gender (% of the answers, 1 = not important ... 5 = very important)",
                shown=shown,
                digits=1,
            )
    for key in ("ordinal", "binary"):
        model = result.inference_model(key)
        if model is None:
            continue
        summary = model.summary()
        table = model.render_summary(style="html", digits=3)
        latex = model.render_summary(style="latex", digits=3)
        out[f"{key}_model"] = ReportTable(
            f"{key}_model",
            f"{key.capitalize()} model",
            summary,
            table,
            latex,
        )
    driver = _effect_driver(result)
    if driver is not None:
        from copfactors.plot import effects_table

        model = result.inference_model("ordinal")
        frame = effects_table(model, driver, result.X)
        held = frame.attrs["held"]
        out["ordinal_effects"] = _table(
            "ordinal_effects",
            frame,
            title=f"{_simulated_prefix(result)}Predicted attainment level by {_word(driver)}"
            + (" (for a member of a new CoP)" if frame.attrs["marginal"] else ""),
            notes=[
                "Other drivers held at: "
                + "; ".join(f"{_word(k)} = {v:.3g}" for k, v in held.items())
                + ". expected_low/high: 95% interval of the expected level (delta method)."
            ],
        )
    if result.cop_level is not None and len(result.cop_level.table):
        check = result.cop_level
        frame = check.table.assign(
            combination_of=check.table["combination_of"].map(", ".join),
            confounded_with=check.table["confounded_with"].map(", ".join),
        )
        shown = pd.DataFrame(
            {
                "driver": [_word(d) for d in frame["driver"]],
                "column": frame["source"],
                "in the model": frame["in_model"].map({True: "yes", False: "no"}),
                "values over the CoPs": frame["n_values"],
                "singles out": frame["singles_out"],
                "confounded with": [
                    ", ".join(_word(c) for c in cw) for cw in check.table["confounded_with"]
                ],
            }
        )
        out["cop_level_drivers"] = _table(
            "cop_level_drivers",
            frame,
            title=f"CoP-level drivers: the same for every respondent of a CoP "
            f"({check.n_cops} CoPs)",
            shown=shown,
            notes=[
                f"Learnt from {check.n_cops} CoPs only: at most {check.n_cops - 1} degrees of "
                f"freedom between CoPs; the model's CoP-level drivers leave "
                f"{check.df_between}.",
                "Singles out: the one CoP whose value differs from all the others' (the "
                "driver's effect is that CoP's difference). Confounded with: collinear over "
                "the CoPs (the data cannot tell the effects apart).",
            ],
        )
    if result.drivers is not None:
        d = result.drivers
        out["drivers"] = ReportTable(
            "drivers", "Driver table", d.table, d.to_html(digits=3), d.to_latex(digits=3)
        )
    if result.claims is not None:
        c = result.claims
        frame = c.table.assign(missing_columns=c.table["missing_columns"].map(", ".join))
        out["claims"] = ReportTable(
            "claims", "Claims vs the paper", frame, c.to_html(), c.to_latex()
        )
    if result.plans:
        rows = []
        for ps in result.plans:
            res = ps.result
            rows.append(
                {
                    "plan": ps.name,
                    "file": ps.file,
                    "members": ps.plan.n_members,
                    "probability": float(res.probability),
                    "probability_low": float(res.probability_low),
                    "probability_high": float(res.probability_high),
                    "interval": float(res.interval),
                    "simulated_model": bool(getattr(res, "simulated", False)),
                    "defaults_used": "; ".join(
                        f"{k} = {v}" for k, (v, _) in getattr(res, "defaults_used", {}).items()
                    ),
                    "flags": "; ".join(str(f) for f in res.flags),
                }
            )
        frame = pd.DataFrame(rows)
        coverage = f"{frame['interval'].iloc[0]:.0%}"
        shown = frame.drop(
            columns=["file", "interval", "simulated_model", "defaults_used", "flags"]
        ).rename(
            columns={
                "probability": "chance of attaining",
                "probability_low": "plausible range from",
                "probability_high": "plausible range to",
            }
        )
        out["plans"] = _table(
            "plans",
            frame,
            title=(
                'Chance that a typical member rates each plan\'s objectives "attained" or '
                "better (4 or 5 of 5)"
            ),
            shown=shown,
            formatters={c: _pct for c in shown.columns[2:]},
            notes=[
                f"Plausible range: {coverage} of the draws of the model's parameters give a "
                "chance in it."
            ],
        )
        pp = lambda v: "" if pd.isna(v) else f"{float(v):+.1f}"  # noqa: E731
        for ps in result.plans:
            if ps.levers is None or not len(ps.levers):
                continue
            name = f"plan_{_slug(ps.file.rsplit('.', 1)[0])}_levers"
            lev = ps.levers
            shown = lev.drop(columns=["lever"]).rename(
                columns={
                    "description": "lever",
                    "probability": "chance after",
                    "change_pp": "change (percentage points)",
                    "change_pp_low": "plausible range from (pp)",
                    "change_pp_high": "plausible range to (pp)",
                }
            )
            data = "here SIMULATED" if getattr(ps.result, "simulated", False) else "survey"
            out[name] = _table(
                name,
                lev,
                title=f"{ps.name}: what each lever would change",
                shown=shown,
                formatters={
                    "chance after": _pct,
                    "change (percentage points)": pp,
                    "plausible range from (pp)": pp,
                    "plausible range to (pp)": pp,
                },
                notes=[
                    "Changes are in percentage points (pp) of the chance, with the paired "
                    f"{coverage} plausible range (the same parameter draws for the plan and the "
                    "changed plan).",
                    "The levers are associations in the model, fitted on observational "
                    f"({data}) data, not tested interventions.",
                ],
            )
    return out


# --------------------------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------------------------


def _img(name: str, png: bytes, alt: str, caption: str = "") -> str:
    data = base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{_esc(caption)}</figcaption>" if caption else ""
    return (
        f'<figure id="fig-{_esc(name)}"><img src="data:image/png;base64,{data}" '
        f'alt="{_esc(alt)}">{cap}</figure>'
    )


def _notes(items: Sequence[str]) -> str:
    if not items:
        return ""
    return '<ul class="notes">' + "".join(f"<li>{_esc(n)}</li>" for n in items) + "</ul>"


def _wrap_table(table: ReportTable | None) -> str:
    if table is None:
        return ""
    prose = table.name in _PROSE_TABLES
    cls = "table-wrap prose" if prose else "table-wrap"
    return f'<div class="{cls}">{table.html}</div>'


def _missing(reason: str) -> str:
    return f'<p class="missing">Not produced: {_esc(reason)}</p>'


def _key_results(result: AnalysisResult) -> str:
    cards: list[str] = []
    m = result.ordinal_model
    inference = result.inference_model("ordinal")
    if m is not None:
        lr = m.lr_test()
        items = [f"{int(m.nobs_)} respondents, {len(m.coef_)} drivers"]
        if _is_mixed(inference):
            rt = inference.test_random_effect()
            items.append(
                f"random intercept per CoP ({inference.n_groups_} CoPs): between-CoP SD "
                f"{inference.sigma_:.2f}, ICC {inference.icc_:.2f}; LR test of SD = 0 "
                f"{_p_eq(rt['p'])}"
            )
        elif "ordinal" in result.model_choice:
            choice = result.model_choice["ordinal"]
            items.append(
                f"random intercept per CoP ({choice.n_cops} CoPs): between-CoP SD estimated at "
                "0, ICC 0"
                if choice.sigma_at_zero
                else choice.label
            )
        items.append(f"McFadden R² {m.r2_mcfadden_:.2f}; LR test {_p_eq(lr['p'])}")
        cards.append(
            "<h3>Ordinal model</h3><ul>" + "".join(f"<li>{_esc(i)}</li>" for i in items) + "</ul>"
        )
    if result.drivers is not None:
        top = result.drivers.table.head(3)
        odds = _odds_ratios(inference)
        items = "".join(
            f"<li>{_esc(_word(r.driver))} (OR {odds.get(r.driver, r.odds_ratio):.2f}"
            + ("" if pd.isna(r.importance_pct) else f"; {r.importance_pct:.0f}% of R²")
            + ")</li>"
            for r in top.itertuples(index=False)
        )
        cards.append(f"<h3>Top drivers</h3><ul>{items}</ul>")
    if result.claims is not None:
        counts = result.claims.table["verdict"].value_counts()
        items = "".join(f"<li>{_esc(k)}: {int(v)}</li>" for k, v in counts.items())
        cards.append(f"<h3>The paper's 13 claims</h3><ul>{items}</ul>")
    if result.plans:
        items = "".join(
            f"<li>{_esc(ps.name)}: {_pct(ps.result.probability)}</li>" for ps in result.plans
        )
        cards.append(f"<h3>Example plans: probability of attaining</h3><ul>{items}</ul>")
    if not cards:
        return ""
    return '<div class="keys">' + "".join(f'<div class="key">{c}</div>' for c in cards) + "</div>"


def _odds_ratios(model: Any) -> dict[str, float]:
    """Odds ratio of each coefficient of a model (empty without one)."""
    if model is None:
        return {}
    summary = model.summary()
    coef = summary[summary["kind"] == "coef"]
    return dict(zip(coef["term"], coef["odds_ratio"].astype(float), strict=True))


def _p(p: Any) -> str:
    from copfactors.report import format_p

    return format_p(p, 3)


def _p_eq(p: Any) -> str:
    text = _p(p)
    return f"p < {text[1:]}" if text.startswith("<") else f"p = {text}"


def render_html(
    result: AnalysisResult,
    figures: Mapping[str, bytes],
    tables: Mapping[str, ReportTable],
) -> str:
    """Assemble the report page from rendered figures (PNG bytes) and tables.

    Parameters
    ----------
    result : AnalysisResult
    figures : mapping of str to bytes
    tables : mapping of str to ReportTable

    Returns
    -------
    str
        A complete HTML document with no external reference.
    """
    from copfactors import __version__

    skipped = result.skipped
    body: list[str] = []

    def figure(name: str, alt: str, caption: str = "") -> str:
        return _img(name, figures[name], alt, caption) if name in figures else ""

    # -- data ----------------------------------------------------------------------------
    parts = [
        f"<p>Made from <strong>{_esc(result.source_label)}</strong>"
        + (" (<strong>SIMULATED</strong>)" if result.simulated else "")
        + ", validated against the codebook.</p>",
        _wrap_table(tables.get("data_cops")),
        _notes(result.notes.get("data", [])),
    ]
    body.append(("data", "".join(parts)))

    # -- Table 1 -------------------------------------------------------------------------
    if "table1_replication" in tables:
        parts = [
            "<p>Every t-test of the paper's Table 1 is recomputed from its printed means, SDs "
            "and Ns, and every cell is audited (GRIM, GRIMMER, totals against their groups). "
            "This uses the published numbers only, not the survey.</p>",
            figure(
                "table1_importance_vs_attainment",
                "Dumbbell chart of Table 1: importance and attainment of each objective by gender",
                "Filled markers: importance at T1; open markers: attainment at T2. "
                "The segment is the gap.",
            ),
            _wrap_table(tables.get("table1_replication")),
            _wrap_table(tables.get("table1_audit")),
        ]
        if "table1_calibration" in tables:
            cal = tables["table1_calibration"].frame
            parts.append(
                f"<h3>The simulated survey against Table 1</h3><p>{int(cal['match'].sum())} of "
                f"{len(cal)} cells match (N exactly, mean and SD at two decimals).</p>"
            )
            parts.append(_wrap_table(tables["table1_calibration"]))
        body.append(("table1", "".join(parts)))
    else:
        body.append(("table1", _missing(skipped.get("table1", "not computed"))))

    # -- gender --------------------------------------------------------------------------
    if "gender_comparison" in tables:
        body.append(
            (
                "gender",
                figure(
                    "gender_importance_vs_attainment",
                    "Dumbbell chart: importance and attainment of each objective by gender in "
                    "this survey",
                    "Filled markers: importance at T1; open markers: attainment at T2.",
                )
                + _wrap_table(tables["gender_comparison"])
                + figure(
                    "gender_importance_likert",
                    f"{_simulated_prefix(result)}Diverging stacked bars of the answers (1 to 5) "
                    "on the importance of each of Table 1's objectives at T1, one bar for women "
                    "and one for men per objective, neutral answers centred",
                    "Share of the answers: 1-2 (not important) to the left, 3 centred, 4-5 "
                    "(important) to the right. Numbers: gender_importance_likert.csv.",
                )
                + _notes(result.notes.get("gender", [])),
            )
        )
    else:
        body.append(("gender", _missing(skipped.get("gender", "not computed"))))

    # -- models --------------------------------------------------------------------------
    intro = {
        "ordinal": (
            "A cumulative logit (proportional-odds) model of each respondent's attainment "
            "level at T2 (mean of the answered objectives, rounded: 1 not attained at all ... "
            "5 perfectly attained) on the drivers."
        ),
        "binary": (
            "A logistic model of whether the respondent attained the objectives (mean "
            "attainment of at least 4, 'attained'), on the same drivers and respondents."
        ),
    }
    for key in ("ordinal", "binary"):
        if f"{key}_model" not in tables:
            body.append((key, _missing(skipped.get(key, "not fitted"))))
            continue
        model = result.inference_model(key)
        choice = result.model_choice.get(key)
        head = choice.lines(cop_level=False) if choice is not None else []
        # the CoP-level drivers are described once, in the ordinal section
        rest = result.cop_level.lines() if result.cop_level is not None else []
        parts = [f"<p>{_esc(intro[key])}</p>"]
        if head:
            parts.append(
                '<div class="choice"><p><strong>Which model, and why.</strong></p>'
                + _notes(head)
                + "</div>"
            )
        if _is_mixed(model):
            parts.append(
                f"<p><strong>CoP effects.</strong> {_esc(random_intercept_text(model))}. The "
                "coefficients are conditional on the CoP (a respondent compared with one of "
                "the same CoP).</p>"
            )
        elif choice is not None and choice.sigma_at_zero:
            parts.append(f"<p><strong>CoP effects.</strong> {_esc(_AT_ZERO)}</p>")
        parts.append(
            figure(
                f"{key}_forest",
                f"Forest plot of the {key} model's odds ratios with their 95% intervals",
                "Blue: the 95% interval excludes 1. Arrows: the interval runs off the "
                "axis (an effect the data barely identify).",
            )
        )
        parts.append(_wrap_table(tables[f"{key}_model"]))
        if key == "ordinal" and "ordinal_effects" in tables:
            held_driver = _effect_driver(result) or ""
            parts.append(
                figure(
                    "ordinal_effects",
                    f"{_simulated_prefix(result)}Effect display of {_word(held_driver)}: the "
                    "predicted probability of each attainment level (stacked areas) and the "
                    "expected level with its 95% confidence band, as it varies over its "
                    "observed range, the other drivers held at their means (0/1 drivers at "
                    "their modes)",
                    "Left: predicted probability of each level; right: expected level with its "
                    "95% band (delta method). The values the other drivers are held at are "
                    "under the panels. Numbers: ordinal_effects.csv.",
                )
            )
        if _is_mixed(model):
            parts.append(
                figure(
                    f"{key}_caterpillar",
                    f"Caterpillar plot of the {model.n_groups_} CoP effects of the {key} "
                    "model (random intercepts): each CoP's conditional mode with +/- 1.96 "
                    "conditional SD, sorted from lowest to highest",
                    "Each CoP's effect on attainment beyond what its drivers predict "
                    "(log-odds), with +/- 1.96 conditional SD; blue: the interval excludes 0.",
                )
            )
        if key == "ordinal":
            check = result.cop_level
            if check is not None and check.in_model and _is_mixed(model):
                df = check.df_between
                rest = [
                    *rest,
                    f"The model table tests the CoP-level drivers ({', '.join(check.in_model)}) "
                    "with Wald z, as if CoPs were plentiful; "
                    + (
                        f"with {df} between-CoP degrees of freedom left, read them with "
                        f"Student's t on {df} df, as the claims do."
                        if df > 0
                        else "no between-CoP degree of freedom is left: they cannot be tested."
                    ),
                ]
            if rest:
                parts.append("<h3>What the CoPs can tell</h3>" + _notes(rest))
            parts.append(_wrap_table(tables.get("cop_level_drivers")))
        parts.append(_notes(result.notes.get(key, [])))
        body.append((key, "".join(parts)))

    # -- drivers -------------------------------------------------------------------------
    if "drivers" in tables:
        body.append(
            (
                "drivers",
                figure(
                    "driver_importance",
                    "Bar chart of each driver's percentage of McFadden's R²",
                    "Relative importance: each driver's general dominance weight as a percentage "
                    "of McFadden's R² (importance_pct, 100 over all drivers); the weights "
                    "themselves, which sum to the R², are importance_r2.",
                )
                + _wrap_table(tables["drivers"])
                + _notes(result.notes.get("drivers", [])),
            )
        )
    else:
        body.append(("drivers", _missing(skipped.get("drivers", "not computed"))))

    # -- SHAP ----------------------------------------------------------------------------
    if "shap_beeswarm" in figures:
        body.append(
            (
                "shap",
                "<p>SHAP values of the ordinal model on its latent (log-odds) scale: how much "
                "each driver moves each respondent's predicted attainment away from the "
                "average. Colour shows the driver's value (red high, blue low).</p>"
                + figure("shap_beeswarm", "SHAP beeswarm plot of the ordinal model")
                + _notes(result.notes.get("shap", [])),
            )
        )
    else:
        body.append(("shap", _missing(skipped.get("shap", "not computed"))))

    # -- claims --------------------------------------------------------------------------
    if "claims" in tables:
        body.append(
            (
                "claims",
                "<p>The paper's conclusions, each held against the survey by a rule fixed in "
                "advance.</p>"
                + _wrap_table(tables["claims"])
                + _notes(result.notes.get("claims", [])),
            )
        )
    else:
        body.append(("claims", _missing(skipped.get("claims", "not computed"))))

    # -- plans ---------------------------------------------------------------------------
    if result.plans:
        which = (
            "the ordinal model of this survey"
            + (
                " with a random intercept per CoP (the probability for a member of a new CoP, "
                "the between-CoP variation in its interval)"
                if getattr(result.attainment_model, "random_intercept", False)
                else ""
            )
            if result.attainment_model is not None
            else "copfactors' reference model, fitted on SIMULATED data (no attainment model "
            "could be fitted on this survey)"
        )
        parts = [
            f"<p>The example planned CoPs shipped with copfactors, scored with {which}.</p>",
            _wrap_table(tables.get("plans")),
        ]
        for ps in result.plans:
            stem = f"plan_{_slug(ps.file.rsplit('.', 1)[0])}_levers"
            res = ps.result
            interval = ""
            if np.isfinite(res.probability_low):
                interval = (
                    f" (plausible range {_pct(res.probability_low)} to "
                    f"{_pct(res.probability_high)})"
                )
            parts.append(
                f"<h3>{_esc(ps.name)}</h3><p><span class='prob'>{_pct(res.probability)}</span> "
                "chance that a typical member rates its objectives &quot;attained&quot; or "
                f"better (4 or 5 of 5){_esc(interval)}.</p>"
            )
            if ps.plan.description:
                parts.append(f"<p class='muted'>{_esc(ps.plan.description)}</p>")
            defaults = getattr(res, "defaults_used", {}) or {}
            if defaults:
                parts.append(
                    "<p>Defaults used (the plan leaves these out):</p><ul>"
                    + "".join(
                        f"<li>{_esc(f'{k} = {v}: {src}')}</li>" for k, (v, src) in defaults.items()
                    )
                    + "</ul>"
                )
            if res.flags:
                parts.append(
                    "<p>Risks:</p><ul>"
                    + "".join(f"<li>{_esc(f)}</li>" for f in res.flags)
                    + "</ul>"
                )
            parts.append(figure(stem, f"Lever chart of {ps.name}"))
            parts.append(_wrap_table(tables.get(stem)))
        notes = list(result.notes.get("plans", []))
        if result.plans and result.plans[0].result.model_note:
            notes.insert(0, f"Scoring model: {result.plans[0].result.model_note}")
        parts.append(_notes(notes))
        body.append(("plans", "".join(parts)))
    else:
        body.append(("plans", _missing(skipped.get("plans", "not computed"))))

    headings = dict(SECTIONS)
    sections = "\n".join(
        f'<section id="{sid}"><h2>{_esc(headings[sid])}</h2>{content}</section>'
        for sid, content in body
    )
    toc = "".join(f'<a href="#{sid}">{_esc(title)}</a>' for sid, title in SECTIONS)
    facts = "".join(
        f'<div class="fact"><div class="k">{_esc(k)}</div><div class="v">{_esc(v)}</div></div>'
        for k, v in result.overview.items()
        if k != "Data"
    )
    banner = (
        f'<div class="banner" role="alert">{_SIMULATED_BANNER}</div>' if result.simulated else ""
    )
    why = skipped.get("ordinal", "it could not be fitted")
    if result.ordinal_model is None and not why.startswith("not run"):
        banner += (
            '<div class="missing" role="note"><strong>No model of attainment.</strong> This '
            f"survey cannot support the ordinal model of attainment: {_esc(why)}. The sections "
            "that need it (models, drivers, SHAP, most claims) are left out"
            + (
                ", and the planned CoPs are scored with copfactors' reference model, fitted on "
                "SIMULATED data, not on this survey"
                if result.plans
                else ""
            )
            + ".</div>"
        )
    keys = _key_results(result)
    if keys:  # the cards' h3 headings sit under an h2, as the sections' do
        keys = '<h2 class="keys-title">Key results</h2>\n' + keys
    title = f"copfactors report: {result.source_label}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        '<div class="page">\n<header>\n'
        f"{banner}"
        "<h1>What drives the attainment of CoP objectives</h1>\n"
        f'<p class="source">Data: <strong>{_esc(result.source_label)}</strong>'
        + (" &mdash; <strong>SIMULATED</strong>" if result.simulated else "")
        + "</p>\n"
        f'<div class="facts">{facts}</div>\n'
        f"{keys}\n"
        f'<nav class="toc">{toc}</nav>\n</header>\n<main>\n{sections}\n</main>\n'
        f"<footer>Made with copfactors {_esc(__version__)}. Figures are also written as PNG "
        "files and tables as CSV and LaTeX beside this file"
        + (
            ', and all of them in one Word document, <a href="tables.docx">tables.docx</a>'
            if tables
            else ""
        )
        + ".</footer>\n"
        "</div>\n</body>\n</html>\n"
    )


def build(result: AnalysisResult, *, dpi: int = 100) -> ReportBundle:
    """Render an analysis: figures as PNG, tables, and the HTML page embedding them.

    Parameters
    ----------
    result : AnalysisResult
        From :func:`copfactors.pipeline.run_analysis`.
    dpi : int, default 100
        Resolution of the figures.

    Returns
    -------
    ReportBundle
    """
    from copfactors.plot import figure_png

    figures = {name: figure_png(fig, dpi=dpi) for name, fig in draw_figures(result).items()}
    tables = _tables(result)
    return ReportBundle(html=render_html(result, figures, tables), figures=figures, tables=tables)
