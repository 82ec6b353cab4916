"""Figures of copfactors' results, in the user's words.

Every function draws one chart on a matplotlib ``Axes`` and returns it (:func:`effects`, which
draws two panels, returns their ``Figure``). Pass ``ax=`` to draw
into a figure of your own; without it a new figure is made (through ``pyplot``, so that it shows
in a notebook). Drivers are labelled in words with their units (``"Commitment (scale 1-5)"``,
``"Hours per week on the CoP"``) through :data:`DRIVER_LABELS`, which ``labels=`` extends or
overrides; long labels are wrapped so that no text overlaps.

* :func:`forest`: odds ratios with confidence intervals (log axis, reference line at 1);
* :func:`driver_importance`: each driver's relative importance, as a percentage of McFadden's
  R²;
* :func:`shap_beeswarm`: SHAP values of every respondent (``shap.plots.beeswarm``);
* :func:`importance_vs_attainment`: Table 1's gap, importance against attainment per objective
  for men and women (a dumbbell chart);
* :func:`levers`: how much each lever would change a planned CoP's probability of attaining its
  objectives, with intervals;
* :func:`caterpillar`: the CoP effects (random intercepts) of a mixed model with their
  intervals, sorted;
* :func:`effects`: an effect display, the predicted probability of each outcome level and the
  expected score (with its band) as one driver varies, the others held at typical values
  (numbers: :func:`effects_table`);
* :func:`likert`: diverging stacked bars of Likert items, per group (numbers:
  :func:`likert_table`).

matplotlib (and shap for the beeswarm) is imported only when a function is called. When no
display is available the ``Agg`` backend is selected, so figures can be saved on a server.

Examples
--------
>>> import pandas as pd
>>> from copfactors.plot import forest
>>> summary = pd.DataFrame(
...     {"term": ["commitment", "voluntary"], "kind": ["coef", "coef"],
...      "odds_ratio": [2.1, 1.6], "or_ci_low": [1.4, 0.9], "or_ci_high": [3.2, 2.8]}
... )
>>> ax = forest(summary)
>>> [t.get_text() for t in ax.get_yticklabels()]  # largest odds ratio at the top
['Voluntary participation (yes vs no)', 'Commitment (scale 1-5)']
"""

from __future__ import annotations

import io
import math
import os
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from copfactors._utils.numeric import central_jacobian, relative_steps
from copfactors.errors import ParameterError, ParameterTypeError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "DRIVER_LABELS",
    "GROUP_LABELS",
    "caterpillar",
    "driver_importance",
    "driver_label",
    "effects",
    "effects_table",
    "figure_png",
    "forest",
    "importance_vs_attainment",
    "levers",
    "likert",
    "likert_table",
    "new_axes",
    "save_figure",
    "shap_beeswarm",
]

#: Words (with units or reference level) for the driver columns built by
#: :class:`copfactors.features.CoPFeatureBuilder` and the lever names of a plan.
DRIVER_LABELS: dict[str, str] = {
    "commitment": "Commitment (scale 1-5)",
    "commitment_1": "Committed to the work (rating 1-5)",
    "commitment_2": "Motivated by taking part (rating 1-5)",
    "commitment_3": "Ready to put in personal effort (rating 1-5)",
    "steward_active": "Steward is active (rating 1-5)",
    "steward_designated": "Designated steward (vs none)",
    "steward_dedicated": "Dedicated steward (vs none)",
    "steward_type": "Steward (none, designated, dedicated)",
    "leader_changes": "Changes of leader (count)",
    "voluntary": "Voluntary participation (yes vs no)",
    "share_voluntary": "Share of volunteers",
    "prior_acquaintance": "Knew other members before (rating 1-5)",
    "hours_per_week": "Hours per week on the CoP",
    "log1p_hours_per_week": "Hours per week on the CoP (log(1 + h))",
    "training_received": "Training received (yes vs no)",
    "training_planned": "Training planned (yes vs no)",
    "org_support": "Organisational support (rating 1-5)",
    "employer_recognition": "Recognition by the employer (rating 1-5)",
    "peer_recognition": "Recognition by colleagues (rating 1-5)",
    "tech_mastery": "Mastery of the platform (rating 1-5)",
    "sponsor": "Sponsor",
    "sponsor_professional_association": "Sponsor: professional association (vs employer)",
    "sponsor_inter_organisational": "Sponsor: inter-organisational (vs employer)",
    "gender_woman": "Woman (vs man)",
    "share_women": "Share of women",
    "age_under_35": "Aged under 35 (vs 35-49)",
    "age_50_plus": "Aged 50 or over (vs 35-49)",
    "schooling_college": "Schooling: college (vs secondary)",
    "schooling_university": "Schooling: university (vs secondary)",
    "schooling_graduate": "Schooling: graduate (vs secondary)",
    "language_en": "English-speaking (vs French)",
    "n_members": "Number of members",
}

#: Words for the group levels of Table 1 and of :func:`copfactors.replicate.group_comparison`.
GROUP_LABELS: dict[str, str] = {
    "man": "Men",
    "men": "Men",
    "woman": "Women",
    "women": "Women",
    "total": "All",
    "under_35": "Under 35",
    "35_49": "35-49",
    "50_plus": "50 or over",
}

# Colour-blind-safe pairs (Okabe-Ito) used throughout.
_BLUE = "#0072B2"
_ORANGE = "#D55E00"
_GREEN = "#009E73"
_GREY = "#7f7f7f"
_LABEL_WIDTH = 34


def driver_label(name: str, labels: Mapping[str, str] | None = None) -> str:
    """A driver's name in words, with its unit or reference level.

    Parameters
    ----------
    name : str
        Column name of a driver (``"commitment"``) or lever.
    labels : mapping, optional
        Extra or overriding labels, looked up first.

    Returns
    -------
    str
        The label; an unknown name is returned with underscores as spaces, capitalised.

    Examples
    --------
    >>> driver_label("hours_per_week")
    'Hours per week on the CoP'
    >>> driver_label("my_own_scale"), driver_label("x", {"x": "Extra"})
    ('My own scale', 'Extra')
    """
    if labels and name in labels:
        return str(labels[name])
    if name in DRIVER_LABELS:
        return DRIVER_LABELS[name]
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _title(ax: Axes, title: str, pad: float = 6.0) -> None:
    """A left-aligned title, wrapped so that it stays inside the figure."""
    ax.set_title(title, loc="left", fontsize=11, pad=pad, wrap=True)


def _wrap(text: str, width: int = _LABEL_WIDTH) -> str:
    return "\n".join(textwrap.wrap(str(text), width=width, break_long_words=False)) or str(text)


# --------------------------------------------------------------------------------------------
# figures and files
# --------------------------------------------------------------------------------------------


def _pyplot() -> Any:
    """``matplotlib.pyplot``, with the Agg backend when there is no display."""
    import matplotlib

    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if headless and "MPLBACKEND" not in os.environ and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def new_axes(figsize: tuple[float, float], *, pyplot: bool = True) -> Axes:
    """A new figure with one Axes, laid out by matplotlib's constrained layout.

    Parameters
    ----------
    figsize : (float, float)
        Width and height in inches.
    pyplot : bool, default True
        Make the figure through ``pyplot`` (it shows in notebooks). ``False`` makes a figure
        that ``pyplot`` does not track (for batch rendering: nothing to close, no global state).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = new_axes((4, 3), pyplot=False)
    >>> tuple(ax.figure.get_size_inches())
    (np.float64(4.0), np.float64(3.0))
    """
    if pyplot:
        plt = _pyplot()
        fig = plt.figure(figsize=figsize, layout="constrained")
    else:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(fig)
    return fig.add_subplot()


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    return new_axes(figsize) if ax is None else ax


def _figure_of(obj: Any) -> Figure:
    fig = getattr(obj, "figure", obj)
    # an Axes inside a subfigure: the figure that owns the canvas
    return getattr(fig, "figure", fig) if fig is not None else fig


def figure_png(obj: Any, *, dpi: int = 110) -> bytes:
    """The PNG bytes of a figure (or of the figure an Axes belongs to).

    Parameters
    ----------
    obj : matplotlib Figure or Axes
    dpi : int, default 110

    Returns
    -------
    bytes

    Examples
    --------
    >>> figure_png(new_axes((2, 2), pyplot=False))[:4]
    b'\\x89PNG'
    """
    buf = io.BytesIO()
    _figure_of(obj).savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def save_figure(obj: Any, path: str | Path, *, dpi: int = 110) -> Path:
    """Save a figure (or an Axes' figure) as a PNG file, written whole or not at all.

    Parameters
    ----------
    obj : matplotlib Figure or Axes
    path : path
        Target file; its folder must exist.
    dpi : int, default 110

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "f.png"
    >>> out = save_figure(new_axes((2, 2), pyplot=False), target)
    >>> out.stat().st_size > 0
    True
    """
    path = Path(path)
    data = figure_png(obj, dpi=dpi)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


# --------------------------------------------------------------------------------------------
# forest plot
# --------------------------------------------------------------------------------------------


def _effects_frame(summary_or_model: Any) -> tuple[pd.DataFrame, bool]:
    """Rows to plot (label, est, lo, hi) and whether they are odds ratios."""
    obj = summary_or_model
    if hasattr(obj, "summary") and callable(obj.summary):
        obj = obj.summary()
    elif hasattr(obj, "table") and isinstance(obj.table, pd.DataFrame):
        obj = obj.table
    if not isinstance(obj, pd.DataFrame):
        raise ParameterTypeError(
            "forest needs a fitted OrdinalRegression, its summary() or a driver table, got "
            f"{type(summary_or_model).__name__}"
        )
    frame = obj
    if "kind" in frame.columns:
        frame = frame[frame["kind"] == "coef"]
    name_col = "term" if "term" in frame.columns else "driver"
    if name_col not in frame.columns:
        raise ParameterError("the table needs a 'term' or 'driver' column")
    if "odds_ratio" in frame.columns and frame["odds_ratio"].notna().any():
        est = frame["odds_ratio"].astype(float)
        if "or_ci_low" in frame.columns:
            lo, hi = frame["or_ci_low"].astype(float), frame["or_ci_high"].astype(float)
        else:
            lo, hi = np.exp(frame["ci_low"].astype(float)), np.exp(frame["ci_high"].astype(float))
        is_or = True
    else:
        est = frame["coef"].astype(float)
        lo, hi = frame["ci_low"].astype(float), frame["ci_high"].astype(float)
        is_or = False
    out = pd.DataFrame(
        {
            "name": frame[name_col].astype(str).to_numpy(),
            "est": est.to_numpy(),
            "lo": lo.to_numpy(),
            "hi": hi.to_numpy(),
        }
    )
    if out.empty:
        raise ParameterError("the table has no coefficients to plot")
    return out, is_or


def forest(
    summary_or_model: Any,
    *,
    labels: Mapping[str, str] | None = None,
    sort: bool = True,
    title: str | None = "Odds ratios with 95% confidence intervals",
    clip: float = 1000.0,
    ax: Axes | None = None,
) -> Axes:
    """Forest plot of odds ratios (or coefficients) with their confidence intervals.

    Parameters
    ----------
    summary_or_model : OrdinalRegression, DataFrame or driver table
        A fitted :class:`~copfactors.models.OrdinalRegression`, its ``summary()`` (rows of kind
        ``"coef"`` are drawn) or a driver table (``driver``, ``odds_ratio``, ``ci_low``,
        ``ci_high`` on the coefficient scale). Without odds ratios (probit or cloglog links)
        the coefficients are drawn on a linear axis with the reference line at 0.
    labels : mapping, optional
        Words for the drivers, on top of :data:`DRIVER_LABELS`.
    sort : bool, default True
        Largest effect at the top.
    title : str, optional
    clip : float, default 1000
        Odds ratios and limits beyond ``[1 / clip, clip]`` (separated or barely identified
        effects) are drawn at the edge with an arrow, so that one runaway interval does not
        squash the others.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"term": ["hours_per_week"], "kind": ["coef"], "odds_ratio": [1.3],
    ...                   "or_ci_low": [1.1], "or_ci_high": [1.6]})
    >>> forest(s).get_xscale()
    'log'
    """
    rows, is_or = _effects_frame(summary_or_model)
    if sort:
        rows = rows.sort_values("est", kind="stable", na_position="first")
    else:
        rows = rows.iloc[::-1]
    rows = rows.reset_index(drop=True)
    n = len(rows)
    ax = _axes(ax, (7.5, 0.42 * n + 1.6))
    ref = 1.0 if is_or else 0.0
    if is_or:
        low_edge, high_edge = 1.0 / clip, clip
    else:
        low_edge, high_edge = -math.log(clip), math.log(clip)
    y = np.arange(n)
    est = rows["est"].to_numpy(dtype=float)
    lo = rows["lo"].to_numpy(dtype=float)
    hi = rows["hi"].to_numpy(dtype=float)
    signif = (lo > ref) | (hi < ref)
    lo_c, hi_c = np.clip(lo, low_edge, high_edge), np.clip(hi, low_edge, high_edge)
    est_c = np.clip(est, low_edge, high_edge)
    for i in range(n):
        colour = _BLUE if signif[i] else _GREY
        if np.isfinite(lo_c[i]) and np.isfinite(hi_c[i]):
            ax.plot([lo_c[i], hi_c[i]], [y[i], y[i]], color=colour, lw=2, solid_capstyle="butt")
        if lo[i] < low_edge:
            ax.plot(lo_c[i], y[i], marker="<", color=colour, ms=7)
        if hi[i] > high_edge:
            ax.plot(hi_c[i], y[i], marker=">", color=colour, ms=7)
    inside = (est >= low_edge) & (est <= high_edge)
    for i in np.flatnonzero(~inside & np.isfinite(est)):
        # an estimate beyond the axis (a separated effect): a triangle at the edge
        ax.plot(est_c[i], y[i], marker=">" if est[i] > high_edge else "<", color=_BLUE, ms=9)
    ax.scatter(
        est_c[inside],
        y[inside],
        color=[_BLUE if s else _GREY for s in signif[inside]],
        zorder=3,
        s=36,
    )
    ax.axvline(ref, color="black", lw=1, ls="--", zorder=1)
    if is_or:
        ax.set_xscale("log")
        ax.set_xlabel("Odds ratio (log scale; above 1 raises attainment)")
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    else:
        ax.set_xlabel("Coefficient (above 0 raises attainment)")
    ax.set_yticks(y, [_wrap(driver_label(t, labels), 44) for t in rows["name"]])
    ax.set_ylim(-0.7, n - 0.3)
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        _title(ax, title)
    return ax


# --------------------------------------------------------------------------------------------
# driver importance
# --------------------------------------------------------------------------------------------


def _table_of(obj: Any, what: str) -> pd.DataFrame:
    if isinstance(obj, pd.DataFrame):
        return obj
    table = getattr(obj, "table", None)
    if isinstance(table, pd.DataFrame):
        return table
    raise ParameterTypeError(f"{what} needs a DataFrame or an object with a .table DataFrame")


def driver_importance(
    driver_table: Any,
    *,
    show_shap: bool = False,
    labels: Mapping[str, str] | None = None,
    title: str | None = "Relative importance of the drivers",
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars of each driver's percentage of McFadden's R² (largest at the top).

    Parameters
    ----------
    driver_table : DriverTable or DataFrame
        With columns ``driver`` and ``importance_pct`` (for
        :func:`copfactors.inspection.drivers`: each driver's general dominance weight as a
        percentage of McFadden's R², summing to 100), ``importance_r2`` (optional: the weights
        themselves, whose sum, the R², is then in the axis label) and ``mean_abs_shap`` for
        ``show_shap=True``.
    show_shap : bool, default False
        Write each driver's mean absolute SHAP value at the end of its bar.
    labels : mapping, optional
        Words for the drivers, on top of :data:`DRIVER_LABELS`.
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    copfactors.errors.ParameterError
        If a column is missing, or no driver has an ``importance_pct``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"driver": ["commitment", "voluntary"], "importance_r2": [0.3, 0.1],
    ...                   "importance_pct": [75.0, 25.0], "mean_abs_shap": [0.42, 0.18]})
    >>> ax = driver_importance(t, show_shap=True)
    >>> len(ax.patches), ax.texts[-1].get_text()
    (2, '75%  (mean |SHAP| 0.42)')
    >>> ax.get_xlabel().splitlines()[0]
    "% of McFadden's R²"
    """
    table = _table_of(driver_table, "driver_importance")
    for col in ("driver", "importance_pct", *(("mean_abs_shap",) if show_shap else ())):
        if col not in table.columns:
            raise ParameterError(f"the driver table has no {col!r} column")
    rows = table[table["importance_pct"].notna()]
    if rows.empty:
        raise ParameterError(
            "the driver table has no relative importance (importance_pct; was y given to drivers?)"
        )
    rows = rows.sort_values("importance_pct", kind="stable").reset_index(drop=True)
    n = len(rows)
    ax = _axes(ax, (7.5, 0.38 * n + 1.4))
    pct = rows["importance_pct"].to_numpy(dtype=float)
    xlabel = "% of McFadden's R²"
    if "importance_r2" in rows.columns and rows["importance_r2"].notna().all():
        total = float(rows["importance_r2"].sum())
        xlabel += f"\n(general dominance weights, which sum to R² = {total:.2f})"
    y = np.arange(n)
    ax.barh(y, pct, color=_BLUE, height=0.65)
    ax.set_yticks(y, [_wrap(driver_label(d, labels), 44) for d in rows["driver"]])
    ax.set_xlabel(xlabel)
    top = float(np.nanmax(pct)) if n else 1.0
    top = top if top > 0 else 1.0
    ax.set_xlim(0, top * (1.45 if show_shap else 1.15) + 1e-9)
    for i, v in enumerate(pct):
        text = f"{v:.0f}%" if abs(v) >= 1 else f"{v:.1f}%"
        if show_shap:
            text += f"  (mean |SHAP| {float(rows['mean_abs_shap'].iloc[i]):.2f})"
        ax.text(max(v, 0.0) + top * 0.01, i, text, va="center", fontsize=8, color="#333333")
    ax.set_ylim(-0.6, n - 0.4)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        _title(ax, title)
    return ax


# --------------------------------------------------------------------------------------------
# SHAP beeswarm
# --------------------------------------------------------------------------------------------


def shap_beeswarm(
    explanation: Any,
    *,
    max_display: int = 12,
    labels: Mapping[str, str] | None = None,
    title: str | None = "SHAP values: each dot is a respondent",
    ax: Axes | None = None,
) -> Axes:
    """The SHAP beeswarm of an explanation, with drivers labelled in words.

    Wraps ``shap.plots.beeswarm(..., show=False)``.

    Parameters
    ----------
    explanation : shap.Explanation
        Values of shape (respondents, drivers).
    max_display : int, default 12
        Drivers shown; the rest are summed into one row.
    labels : mapping, optional
        Words for the drivers, on top of :data:`DRIVER_LABELS`.
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, shap
    >>> rng = np.random.default_rng(0)
    >>> e = shap.Explanation(values=rng.normal(size=(30, 2)), data=rng.normal(size=(30, 2)),
    ...                      feature_names=["commitment", "voluntary"])
    >>> ax = shap_beeswarm(e)
    >>> "Commitment (scale 1-5)" in [t.get_text() for t in ax.get_yticklabels()]
    True
    """
    import shap

    names = list(explanation.feature_names or [])
    n_features = explanation.values.shape[-1]
    if not names:
        names = [f"feature {i}" for i in range(n_features)]
    shown = shap.Explanation(
        values=np.asarray(explanation.values),
        base_values=explanation.base_values,
        data=None if explanation.data is None else np.asarray(explanation.data, dtype=float),
        feature_names=[_wrap(driver_label(str(n), labels), 40) for n in names],
    )
    n_rows = min(n_features, max_display)
    ax = _axes(ax, (8.0, 0.45 * n_rows + 1.6))
    shap.plots.beeswarm(shown, max_display=max_display, ax=ax, show=False, plot_size=None)
    ax.set_xlabel(
        "SHAP value (effect on the model's log-odds; right raises attainment)", fontsize=10
    )
    ax.tick_params(axis="x", labelsize=9)
    for label in ax.get_yticklabels():
        label.set_fontsize(9)
    if title:
        _title(ax, title)
    return ax


# --------------------------------------------------------------------------------------------
# importance against attainment (Table 1's gap)
# --------------------------------------------------------------------------------------------


def importance_vs_attainment(
    table_or_comparison: Any,
    *,
    groups: Sequence[str] | None = None,
    title: str | None = "Importance (T1) and attainment (T2) of each objective, by gender",
    ax: Axes | None = None,
) -> Axes:
    """Dumbbell chart of Table 1: each objective's mean importance and attainment per group.

    For each objective and group a segment joins the mean attainment (open marker) to the
    mean importance (filled marker), so the length of the segment is the gap the paper
    discusses (attainment below importance).

    Parameters
    ----------
    table_or_comparison : DataFrame or GroupComparison
        Long layout with columns ``objective``, ``label`` (optional), ``measure``
        (``importance``, ``attainment``), ``group``, ``mean``: :func:`copfactors.load_table1`,
        or the ``.table`` of :func:`copfactors.replicate.group_comparison`.
    groups : sequence of str, optional
        Groups drawn, in order; by default the first two that are not ``total``.
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from copfactors.datasets import load_table1
    >>> ax = importance_vs_attainment(load_table1())
    >>> len(ax.get_yticklabels())
    15
    """
    table = _table_of(table_or_comparison, "importance_vs_attainment")
    needed = {"objective", "measure", "group", "mean"}
    if needed - set(table.columns):
        raise ParameterError(f"the table lacks columns {sorted(needed - set(table.columns))}")
    if groups is None:
        groups = [g for g in dict.fromkeys(table["group"].astype(str)) if g != "total"][:2]
    groups = list(groups)
    if not groups:
        raise ParameterError("the table has no group to draw")
    objectives = list(dict.fromkeys(table["objective"].astype(str)))
    if "label" in table.columns:
        names = table.drop_duplicates("objective").set_index("objective")["label"].astype(str)
        label_of = {str(k): v for k, v in names.items()}
    else:
        from copfactors.schema import OBJECTIVE_LABELS

        label_of = {o: OBJECTIVE_LABELS.get(o, o) for o in objectives}
    means = table.assign(objective=table["objective"].astype(str), group=table["group"].astype(str))
    means = means.set_index(["objective", "measure", "group"])["mean"].astype(float)
    n = len(objectives)
    ax = _axes(ax, (8.0, 0.5 * n + 2.0))
    colours = [_BLUE, _ORANGE, _GREEN, _GREY]
    offsets = np.linspace(0.18, -0.18, len(groups)) if len(groups) > 1 else np.zeros(1)
    # first objective at the top, as in the table
    y0 = np.arange(n)[::-1]

    def get(o: str, m: str, g: str) -> float:
        return float(means.get((o, m, g), np.nan))

    from matplotlib.lines import Line2D

    handles = []
    for k, g in enumerate(groups):
        colour = colours[k % len(colours)]
        ys = y0 + offsets[k]
        imp = np.array([get(o, "importance", g) for o in objectives])
        att = np.array([get(o, "attainment", g) for o in objectives])
        for yi, a, b in zip(ys, att, imp, strict=True):
            if np.isfinite(a) and np.isfinite(b):
                ax.plot([a, b], [yi, yi], color=colour, lw=1.6, alpha=0.6, zorder=1)
        ax.scatter(imp, ys, color=colour, s=34, zorder=3)
        ax.scatter(att, ys, facecolors="white", edgecolors=colour, linewidths=1.6, s=34, zorder=3)
        name = GROUP_LABELS.get(g, g)
        handles += [
            Line2D([], [], color=colour, marker="o", ls="", label=f"{name}: importance"),
            Line2D(
                [],
                [],
                color=colour,
                marker="o",
                ls="",
                markerfacecolor="white",
                label=f"{name}: attainment",
            ),
        ]
    ax.set_yticks(y0, [_wrap(label_of.get(o, o), _LABEL_WIDTH) for o in objectives], fontsize=9)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlim(1, 5)
    ax.set_xticks([1, 2, 3, 4, 5])
    ax.set_xlabel(
        "Mean rating, 1-5\n(importance: 5 = very important; attainment: 5 = perfectly attained)",
        fontsize=9,
    )
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    # above the plot, under the title: close to the top rows and never over the markers
    ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncol=2 * len(groups),
        frameon=False,
        fontsize=8,
        handletextpad=0.2,
        columnspacing=1.0,
    )
    if title:
        _title(ax, title, pad=22)
    return ax


# --------------------------------------------------------------------------------------------
# levers of a planned CoP
# --------------------------------------------------------------------------------------------


def levers(
    score_result_or_levers: Any,
    *,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """How much each lever would change a plan's probability of attaining its objectives.

    Parameters
    ----------
    score_result_or_levers : ScoreResult or DataFrame
        A scoring result (its ``levers()`` are drawn) or the levers table itself, with columns
        ``lever``, ``description``, ``change_pp`` and, for the intervals, ``change_pp_low``
        and ``change_pp_high`` (changes in percentage points, as ``ScoreResult.levers()``).
        A table with ``delta``, ``delta_low`` and ``delta_high`` instead (changes of
        probability, from -1 to 1, as in ``ScoreResult.to_dict``) is read too.
    title : str, optional
        Default: "What would raise the probability" and the plan's probability when a scoring
        result is given.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"lever": ["steward_type"], "description": ["Hire a dedicated steward"],
    ...                    "change_pp": [12.0], "change_pp_low": [4.0], "change_pp_high": [20.0]})
    >>> ax = levers(df)
    >>> ax.get_xlabel()
    'Change in probability of attaining the objectives (percentage points)'
    >>> [float(x) for x in ax.patches[0].get_bbox().intervalx]
    [0.0, 12.0]
    """
    obj = score_result_or_levers
    baseline = None
    if isinstance(obj, pd.DataFrame):
        table = obj
    elif hasattr(obj, "levers") and callable(obj.levers):
        table = obj.levers()
        baseline = getattr(obj, "probability", None)
    else:
        raise ParameterTypeError("levers needs a scoring result or its levers() DataFrame")
    if "change_pp" in table.columns:  # percentage points already
        key, scale = "change_pp", 1.0
    elif "delta" in table.columns:  # changes of probability
        key, scale = "delta", 100.0
    else:
        raise ParameterError(
            "the levers table has neither a 'change_pp' (percentage points) nor a 'delta' "
            f"column; it has {', '.join(map(str, table.columns))}"
        )
    rows = table.sort_values(key, kind="stable").reset_index(drop=True)
    n = len(rows)
    ax = _axes(ax, (7.5, 0.45 * max(n, 1) + 1.6))
    delta = rows[key].to_numpy(dtype=float) * scale
    y = np.arange(n)
    colours = [_BLUE if d >= 0 else _ORANGE for d in delta]
    ax.barh(y, delta, color=colours, height=0.6, alpha=0.85)
    if {f"{key}_low", f"{key}_high"} <= set(rows.columns):
        low = rows[f"{key}_low"].to_numpy(dtype=float) * scale
        high = rows[f"{key}_high"].to_numpy(dtype=float) * scale
        err = np.vstack([np.clip(delta - low, 0, None), np.clip(high - delta, 0, None)])
        ax.errorbar(delta, y, xerr=err, fmt="none", ecolor="black", elinewidth=1.2, capsize=3)
    words = rows["description"] if "description" in rows.columns else rows["lever"]
    names = [
        _wrap(str(w) if isinstance(w, str) and w else driver_label(str(lv)), 40)
        for w, lv in zip(words, rows.get("lever", words), strict=True)
    ]
    ax.set_yticks(y, names, fontsize=9)
    ax.axvline(0, color="black", lw=1)
    ax.set_ylim(-0.6, max(n, 1) - 0.4)
    ax.set_xlabel("Change in probability of attaining the objectives (percentage points)")
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    # few round ticks: the axis can span -15 to +45 points without crowding its labels
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:+g}" if v else "0"))
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title is None:
        title = "What each lever would change"
        if baseline is not None and np.isfinite(float(baseline)):
            title += f" (plan as written: {float(baseline):.0%})"
    if title:
        _title(ax, title)
    return ax


# --------------------------------------------------------------------------------------------
# caterpillar plot of the CoP effects of a mixed model
# --------------------------------------------------------------------------------------------

_LATENT_SCALE = {"logit": "log-odds", "probit": "probit", "cloglog": "complementary log-log"}


def caterpillar(
    model: Any,
    *,
    z: float = 1.96,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Caterpillar plot of the CoP effects (random intercepts) of a mixed model, sorted.

    Each CoP's conditional mode is drawn with the interval ``mode +- z * sd`` (``sd``: its
    conditional standard deviation), lowest at the bottom, beside a reference line at 0 (a CoP
    that does as well as its drivers predict for an average CoP).

    Parameters
    ----------
    model : MixedOrdinalRegression or DataFrame
        A fitted :class:`~copfactors.models.MixedOrdinalRegression` (its ``random_effects_``
        are drawn), or a DataFrame indexed by CoP with columns ``mode`` and ``sd``.
    z : float, default 1.96
        Half-width of the intervals in conditional SDs (1.96: about 95%).
    title : str, optional
        Default: "Effect of each CoP (random intercept), sorted", with sigma and the ICC when a
        model is given.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        Its intervals are one ``LineCollection`` (``gid="cop_intervals"``), one segment per
        CoP.

    Examples
    --------
    >>> import pandas as pd
    >>> effects = pd.DataFrame({"mode": [0.4, -0.7, 0.1], "sd": [0.3, 0.35, 0.3]},
    ...                        index=pd.Index(["cop_a", "cop_b", "cop_c"], name="group"))
    >>> ax = caterpillar(effects)
    >>> [t.get_text() for t in ax.get_yticklabels()]  # highest effect at the top
    ['cop_b', 'cop_c', 'cop_a']
    >>> len(ax.collections[0].get_segments())
    3
    """
    if isinstance(model, pd.DataFrame):
        effects, sigma, icc, link = model, None, None, "logit"
    elif isinstance(getattr(model, "random_effects_", None), pd.DataFrame):
        effects = model.random_effects_
        sigma, icc = getattr(model, "sigma_", None), getattr(model, "icc_", None)
        link = str(getattr(model, "link", "logit"))
    else:
        raise ParameterTypeError(
            "caterpillar needs a fitted MixedOrdinalRegression or a DataFrame of CoP effects "
            f"(columns mode and sd), got {type(model).__name__}"
        )
    if not {"mode", "sd"} <= set(effects.columns):
        raise ParameterError("the CoP effects need the columns 'mode' and 'sd'")
    if isinstance(z, bool) or not isinstance(z, int | float) or not z > 0:
        raise ParameterError(f"z must be a positive number, got {z!r}")
    rows = effects.sort_values("mode", kind="stable")
    n = len(rows)
    if n == 0:
        raise ParameterError("there are no CoP effects to plot")
    ax = _axes(ax, (7.5, 0.32 * n + 1.8))
    mode = rows["mode"].to_numpy(dtype=float)
    sd = rows["sd"].to_numpy(dtype=float)
    lo, hi = mode - z * sd, mode + z * sd
    y = np.arange(n)
    apart = (lo > 0) | (hi < 0)
    colours = [_BLUE if a else _GREY for a in apart]
    lines = ax.hlines(y, lo, hi, colors=colours, lw=2)
    lines.set_gid("cop_intervals")
    ax.scatter(mode, y, color=colours, zorder=3, s=30)
    ax.axvline(0, color="black", lw=1, ls="--", zorder=1)
    ax.set_yticks(y, [_wrap(str(c), 30) for c in rows.index])
    ax.set_ylim(-0.7, n - 0.3)
    scale = _LATENT_SCALE.get(link, "latent")
    ax.set_xlabel(
        f"CoP effect on attainment ({scale} scale): conditional mode and +/- {z:g} SD\n"
        "above 0: more attainment than the drivers predict for an average CoP"
    )
    ax.set_ylabel("CoP")
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title is None:
        title = "Effect of each CoP (random intercept), sorted"
        if sigma is not None and icc is not None:
            title += f": between-CoP SD {float(sigma):.2f}, ICC {float(icc):.2f}"
    if title:
        _title(ax, title)
    return ax


# --------------------------------------------------------------------------------------------
# effect displays: predicted attainment as one driver varies
# --------------------------------------------------------------------------------------------


def _model_features(model: Any, data: pd.DataFrame) -> list[str]:
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return [str(c) for c in data.columns]
    return [str(c) for c in names]


def _is_binary(values: pd.Series) -> bool:
    seen = pd.unique(values.dropna().astype(float))
    return len(seen) > 0 and set(seen.tolist()) <= {0.0, 1.0}


def _with_params(model: Any, params: np.ndarray) -> Any:
    """A shallow copy of a fitted (mixed) ordinal model whose estimates are ``params``."""
    import copy

    out = copy.copy(model)
    est = pd.Series(np.asarray(params, dtype=float), index=model.params_.index)
    out.thresholds_ = pd.Series(
        est[model.thresholds_.index].to_numpy(), index=model.thresholds_.index
    )
    out.coef_ = pd.Series(est[model.coef_.index].to_numpy(), index=model.coef_.index)
    nominal = getattr(model, "nominal_coef_", None)
    if isinstance(nominal, pd.DataFrame) and nominal.shape[1]:
        out.nominal_coef_ = pd.DataFrame(
            {v: [est[f"{t}.{v}"] for t in nominal.index] for v in nominal.columns},
            index=nominal.index,
        )
    if "log_sigma" in est.index:
        out.sigma_ = math.exp(float(est["log_sigma"]))
    return out


def _check_effect_model(model: Any) -> None:
    needed = ("params_", "cov_", "thresholds_", "coef_", "classes_")
    if not all(hasattr(model, a) for a in needed) or not callable(
        getattr(model, "predict_proba", None)
    ):
        raise ParameterTypeError(
            "effects needs a fitted OrdinalRegression or MixedOrdinalRegression, got "
            f"{type(model).__name__}"
        )


def effects_table(
    model: Any,
    driver: str,
    data: pd.DataFrame,
    *,
    at: Mapping[str, float] | None = None,
    n_points: int = 50,
    level: float = 0.95,
) -> pd.DataFrame:
    """Predicted outcome levels and expected score as one driver varies, the others held.

    The driver goes across its observed range in ``n_points`` steps (a 0/1 driver takes its
    two values); every other driver is held at a typical value: its mean, or its mode for a
    0/1 driver (``at=`` overrides). For a :class:`~copfactors.models.MixedOrdinalRegression`
    the predictions are marginal, for a member of a new CoP (``predict_proba(X)`` without
    groups). The interval of the expected score comes from the delta method over the model's
    ``cov_`` (thresholds, coefficients and, for the mixed model, ``log_sigma``), with a
    numerical Jacobian.

    Parameters
    ----------
    model : OrdinalRegression or MixedOrdinalRegression
        Fitted.
    driver : str
        The driver that varies, one of the model's features.
    data : DataFrame
        The predictors the model was fitted on (its columns are the model's features).
    at : mapping of str to float, optional
        Values at which other drivers are held, instead of their means or modes.
    n_points : int, default 50
        Steps across the range of a continuous driver.
    level : float, default 0.95
        Confidence level of the expected score's interval.

    Returns
    -------
    DataFrame
        Tidy, one row per driver value and outcome level: ``driver``, ``value``, ``level``,
        ``probability``, ``expected``, ``expected_low``, ``expected_high`` (the last three
        repeat over the levels of one value). ``attrs["held"]`` holds the values the other
        drivers were held at, ``attrs["marginal"]`` whether the predictions are marginal over
        the CoPs (mixed model).

    Raises
    ------
    ParameterError
        For a driver that is not one of the model's features, an ``at=`` name that is not
        either, or a driver without variation.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from copfactors.models import OrdinalRegression
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"commitment": rng.normal(3.5, 0.8, 200),
    ...                   "voluntary": rng.integers(0, 2, 200).astype(float)})
    >>> y = np.digitize(X.commitment + rng.logistic(size=200), [3.0, 4.0]) + 1
    >>> m = OrdinalRegression().fit(X, y)
    >>> t = effects_table(m, "commitment", X, n_points=5)
    >>> t.shape, sorted(t.attrs["held"])
    ((15, 7), ['voluntary'])
    >>> bool(np.allclose(t.groupby("value")["probability"].sum(), 1.0))
    True
    """
    from statistics import NormalDist

    _check_effect_model(model)
    if not isinstance(data, pd.DataFrame):
        raise ParameterTypeError(
            f"data must be a DataFrame of the drivers, got {type(data).__name__}"
        )
    features = _model_features(model, data)
    if driver not in features:
        raise ParameterError(
            f"driver {driver!r} is not one of the model's features ({', '.join(features)})"
        )
    missing = [f for f in features if f not in data.columns]
    if missing:
        raise ParameterError(f"data lacks the model's feature column(s) {missing}")
    at = dict(at or {})
    unknown = [k for k in at if k not in features]
    if unknown:
        raise ParameterError(f"at= names {unknown}, which are not features of the model")
    if driver in at:
        raise ParameterError(f"at= cannot hold the driver {driver!r} that varies")
    if isinstance(n_points, bool) or not isinstance(n_points, int) or n_points < 2:
        raise ParameterError(f"n_points must be an integer of at least 2, got {n_points!r}")
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise ParameterError(f"level must be between 0 and 1, got {level!r}")

    column = pd.to_numeric(data[driver], errors="coerce").astype(float)
    if _is_binary(column):
        grid = np.array([0.0, 1.0])
    else:
        lo, hi = float(column.min()), float(column.max())
        if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
            raise ParameterError(f"driver {driver!r} does not vary in data")
        grid = np.linspace(lo, hi, n_points)
    held: dict[str, float] = {}
    for name in features:
        if name == driver:
            continue
        if name in at:
            held[name] = float(at[name])
            continue
        values = pd.to_numeric(data[name], errors="coerce").astype(float)
        if _is_binary(values):
            held[name] = float(values.mode().iloc[0])
        else:
            held[name] = float(values.mean())
    X = pd.DataFrame({name: np.full(len(grid), held.get(name, 0.0)) for name in features})
    X[driver] = grid

    proba = np.asarray(model.predict_proba(X), dtype=float)
    expected = np.asarray(model.predict_expected(X), dtype=float)

    params = model.params_.to_numpy(dtype=float)
    cov = model.cov_.loc[model.params_.index, model.params_.index].to_numpy(dtype=float)
    with np.errstate(all="ignore"):
        jac = central_jacobian(
            lambda p: _with_params(model, p).predict_expected(X), params, relative_steps(params)
        )
        # parameters without effect on the predictions (a zero column) carry no variance
        used = np.abs(jac).max(axis=0) > 0
        j_used, c_used = jac[:, used], cov[np.ix_(used, used)]
        se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", j_used, c_used, j_used), 0.0))
    z = NormalDist().inv_cdf(0.5 + float(level) / 2.0)

    n_levels = proba.shape[1]
    frame = pd.DataFrame(
        {
            "driver": driver,
            "value": np.repeat(grid, n_levels),
            "level": np.tile(np.asarray(model.classes_), len(grid)),
            "probability": proba.ravel(),
            "expected": np.repeat(expected, n_levels),
            "expected_low": np.repeat(expected - z * se, n_levels),
            "expected_high": np.repeat(expected + z * se, n_levels),
        }
    )
    frame.attrs = {
        "held": held,
        "marginal": hasattr(model, "random_effects_"),
        "level": float(level),
        "driver": driver,
    }
    return frame


def _held_text(held: Mapping[str, float], labels: Mapping[str, str] | None, width: int) -> str:
    if not held:
        return ""
    parts = [f"{driver_label(k, labels)} = {v:.3g}" for k, v in held.items()]
    return "\n".join(textwrap.wrap("Others held at: " + "; ".join(parts), width=width))


def effects(
    model: Any,
    driver: str,
    data: pd.DataFrame,
    *,
    at: Mapping[str, float] | None = None,
    n_points: int = 50,
    level: float = 0.95,
    ax: Any = None,
    table: bool = False,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Any:
    """Effect display: predicted attainment as one driver varies, the others held typical.

    Two panels (as ggeffects, emmeans or jamovi draw them): left, the predicted probability of
    each outcome level, stacked (areas, or bars for a 0/1 driver); right, the expected score
    with its confidence band (delta method). The values at which the other drivers are held
    are written under the panels. The numbers are :func:`effects_table`'s.

    Parameters
    ----------
    model, driver, data, at, n_points, level
        As :func:`effects_table`.
    ax : matplotlib Figure, SubFigure or a pair of Axes, optional
        Where to draw: two panels are added to a figure; a pair of Axes is drawn into. By
        default a new figure.
    table : bool, default False
        Also return the :func:`effects_table`.
    labels : mapping, optional
        Words for the drivers, on top of :data:`DRIVER_LABELS`.
    title : str, optional
        Default: "Predicted attainment by <driver in words>" (marginal, for a new CoP, with a
        mixed model).

    Returns
    -------
    matplotlib.figure.Figure or (Figure, DataFrame)
        The figure holding the two panels (``fig.axes[:2]``: probabilities, expected score);
        with ``table=True`` also the table.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from copfactors.models import OrdinalRegression
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"commitment": rng.normal(3.5, 0.8, 200),
    ...                   "voluntary": rng.integers(0, 2, 200).astype(float)})
    >>> y = np.digitize(X.commitment + rng.logistic(size=200), [3.0, 4.0]) + 1
    >>> fig = effects(OrdinalRegression().fit(X, y), "commitment", X, n_points=10)
    >>> [a.get_xlabel() for a in fig.axes[:2]]
    ['Commitment (scale 1-5)', 'Commitment (scale 1-5)']
    """
    frame = effects_table(model, driver, data, at=at, n_points=n_points, level=level)
    if ax is None:
        plt = _pyplot()
        fig = plt.figure(figsize=(10.0, 4.6), layout="constrained")
        axes = fig.subplots(1, 2)
    elif isinstance(ax, Sequence) and len(ax) == 2 and all(hasattr(a, "plot") for a in ax):
        axes = list(ax)
        fig = axes[0].figure
    elif hasattr(ax, "subplots") and not hasattr(ax, "plot"):
        fig = ax
        axes = fig.subplots(1, 2)
    else:
        raise ParameterTypeError(
            "effects draws two panels: pass ax= a matplotlib Figure (or SubFigure) or a pair "
            f"of Axes, got {type(ax).__name__}"
        )
    p_ax, e_ax = axes[0], axes[1]
    name = driver_label(driver, labels)
    wide = frame.pivot(index="value", columns="level", values="probability")
    per_value = frame.drop_duplicates("value").set_index("value")
    x = wide.index.to_numpy(dtype=float)
    levels = list(wide.columns)
    import matplotlib

    cmap = matplotlib.colormaps["viridis"]
    colours = [cmap(0.1 + 0.8 * i / max(len(levels) - 1, 1)) for i in range(len(levels))]
    binary = len(x) == 2 and set(x.tolist()) == {0.0, 1.0}
    values = wide.to_numpy(dtype=float).T
    if binary:
        bottom = np.zeros(2)
        for lev, row, colour in zip(levels, values, colours, strict=True):
            p_ax.bar(x, row, bottom=bottom, color=colour, width=0.6, label=str(lev))
            bottom = bottom + row
        ticks = ["no (0)", "yes (1)"]
        p_ax.set_xticks([0, 1], ticks)
    else:
        p_ax.stackplot(x, values, colors=colours, labels=[str(lev) for lev in levels])
        p_ax.set_xlim(x.min(), x.max())
    p_ax.set_ylim(0, 1)
    from matplotlib.ticker import PercentFormatter

    p_ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    p_ax.set_ylabel("Predicted probability of each level")
    p_ax.set_xlabel(_wrap(name, 48))
    handles, names = p_ax.get_legend_handles_labels()
    p_ax.legend(
        handles[::-1],
        names[::-1],
        title="Level",
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        frameon=False,
        fontsize=8,
        title_fontsize=8,
    )
    est = per_value["expected"].to_numpy(dtype=float)
    low = per_value["expected_low"].to_numpy(dtype=float)
    high = per_value["expected_high"].to_numpy(dtype=float)
    pct = f"{frame.attrs['level']:.0%}"
    if binary:
        err = np.vstack([np.clip(est - low, 0, None), np.clip(high - est, 0, None)])
        e_ax.errorbar(
            x,
            est,
            yerr=err,
            fmt="o",
            color=_BLUE,
            capsize=4,
            ms=7,
            label=f"Expected score, {pct} CI",
        )
        e_ax.set_xticks([0, 1], ["no (0)", "yes (1)"])
        e_ax.set_xlim(-0.5, 1.5)
    else:
        e_ax.fill_between(x, low, high, color=_BLUE, alpha=0.2, lw=0, label=f"{pct} CI")
        e_ax.plot(x, est, color=_BLUE, lw=2, label="Expected score")
        e_ax.set_xlim(x.min(), x.max())
        rug = pd.to_numeric(data[driver], errors="coerce").dropna().to_numpy(dtype=float)
        e_ax.plot(
            rug,
            np.zeros_like(rug),
            "|",
            color=_GREY,
            ms=6,
            alpha=0.5,
            transform=e_ax.get_xaxis_transform(),
        )
    numeric = [float(c) for c in levels if isinstance(c, int | float | np.number)]
    if len(numeric) == len(levels):
        e_ax.set_ylim(min(numeric), max(numeric))
    e_ax.set_ylabel("Expected attainment score")
    e_ax.set_xlabel(_wrap(name, 48))
    e_ax.legend(loc="upper left", frameon=False, fontsize=8)
    e_ax.grid(color="#eeeeee", lw=0.6)
    for a in (p_ax, e_ax):
        for side in ("top", "right"):
            a.spines[side].set_visible(False)
    if title is None:
        title = f"Predicted attainment by {name[:1].lower() + name[1:]}"
        if frame.attrs["marginal"]:
            title += " (for a member of a new CoP)"
    if title:
        # wrapped to the figure's width, so that a long title is never cut off
        chars = max(int(_figure_of(fig).get_figwidth() * 10.5), 40)
        fig.suptitle(_wrap(title, chars), x=0.01, ha="left", fontsize=11)
    note = _held_text(
        frame.attrs["held"], labels, max(int(_figure_of(fig).get_figwidth() * 13), 50)
    )
    if note:
        fig.supxlabel(note, x=0.01, ha="left", fontsize=8, color=_GREY)
    return (fig, frame) if table else fig


# --------------------------------------------------------------------------------------------
# Likert items: diverging stacked bars
# --------------------------------------------------------------------------------------------

_LIKERT_COLOURS = ("#b2182b", "#ef8a62", "#d9d9d9", "#67a9cf", "#2166ac")


def _item_label(item: str, labels: Mapping[str, str] | None) -> str:
    if labels and item in labels:
        return str(labels[item])
    from copfactors.schema import OBJECTIVE_LABELS

    for prefix in ("imp_", "att_"):
        if item.startswith(prefix) and item[len(prefix) :] in OBJECTIVE_LABELS:
            return OBJECTIVE_LABELS[item[len(prefix) :]]
    return driver_label(item)


def likert_table(
    survey: pd.DataFrame,
    items: Sequence[str],
    by: str | None = None,
    *,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Percentages of each answer 1-5 of Likert items, per item (and per group of ``by``).

    Parameters
    ----------
    survey : DataFrame
    items : sequence of str
        Columns answered 1-5 (missing answers are left out of the percentages).
    by : str, optional
        A column whose groups get a row each (e.g. ``"gender"``); rows without a group are
        left out.
    labels : mapping, optional
        Words for the items; ``imp_``/``att_`` columns of Table 1's objectives get
        :data:`copfactors.schema.OBJECTIVE_LABELS`.

    Returns
    -------
    DataFrame
        One row per item (and group): ``item``, ``label``, [``group``], ``n``, ``pct_1`` ...
        ``pct_5`` (summing to 100).

    Raises
    ------
    ParameterError
        For a missing column or an answer outside 1-5.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"imp_quality": [5, 4, 4, 3], "gender": ["man", "woman", "woman", "man"]})
    >>> likert_table(s, ["imp_quality"], by="gender")[["label", "group", "n", "pct_4"]]
                label  group  n  pct_4
    0  Better quality    man  2    0.0
    1  Better quality  woman  2  100.0
    """
    if not isinstance(survey, pd.DataFrame):
        raise ParameterTypeError(f"survey must be a DataFrame, got {type(survey).__name__}")
    items = [items] if isinstance(items, str) else list(items)
    if not items:
        raise ParameterError("likert needs at least one item")
    absent = [c for c in [*items, *([by] if by else [])] if c not in survey.columns]
    if absent:
        raise ParameterError(f"the survey has no column(s) {absent}")
    if by is None:
        parts: list[tuple[Any, pd.DataFrame]] = [(None, survey)]
    else:
        parts = [(g, part) for g, part in survey.groupby(by, sort=True, observed=True)]
    rows = []
    for item in items:
        answers = pd.to_numeric(survey[item], errors="coerce")
        bad = answers.dropna()[~answers.dropna().isin([1, 2, 3, 4, 5])]
        if len(bad):
            raise ParameterError(
                f"column {item!r} has answers outside 1-5 (e.g. {bad.iloc[0]!r} in row "
                f"{bad.index[0]!r})"
            )
        for group, part in parts:
            counts = pd.to_numeric(part[item], errors="coerce").dropna().astype(int)
            counts = counts.value_counts().reindex([1, 2, 3, 4, 5], fill_value=0)
            n = int(counts.sum())
            row: dict[str, Any] = {"item": item, "label": _item_label(item, labels)}
            if by is not None:
                row["group"] = str(group)
            row["n"] = n
            for k in range(1, 6):
                row[f"pct_{k}"] = 100.0 * counts[k] / n if n else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def likert(
    survey: pd.DataFrame,
    items: Sequence[str],
    by: str | None = None,
    *,
    ax: Axes | None = None,
    labels: Mapping[str, str] | None = None,
    scale: Sequence[str] | None = None,
    title: str | None = None,
) -> Axes:
    """Diverging stacked bars of Likert items (1-5), the neutral answer centred on 0.

    One bar per item (and per group of ``by``, e.g. gender), in percentages of the answers:
    1-2 to the left, 4-5 to the right, 3 split across the centre line. The numbers are
    :func:`likert_table`'s.

    Parameters
    ----------
    survey : DataFrame
    items : sequence of str
        Columns answered 1-5.
    by : str, optional
        A grouping column; its groups are drawn side by side under each item.
    ax : matplotlib Axes, optional
    labels : mapping, optional
        Words for the items (Table 1's objectives are in words by default).
    scale : sequence of 5 str, optional
        Words of the answers 1-5 for the legend (default "1" ... "5").
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        Its bars are ``ax.containers``, one per answer 1-5.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"imp_quality": [5, 4, 4, 3, 1], "imp_efficiency": [2, 3, 4, 5, 5]})
    >>> ax = likert(s, ["imp_quality", "imp_efficiency"])
    >>> [t.get_text() for t in ax.get_yticklabels()]  # top to bottom
    ['Better quality', 'Efficiency']
    """
    frame = likert_table(survey, items, by, labels=labels)
    if scale is None:
        scale = ["1", "2", "3", "4", "5"]
    scale = [str(s) for s in scale]
    if len(scale) != 5:
        raise ParameterError(f"scale needs 5 words (answers 1-5), got {len(scale)}")
    grouped = by is not None
    n_items = frame["item"].nunique()
    n = len(frame)
    ax = _axes(ax, (9.0, 0.28 * n + 0.25 * n_items + 2.0))
    # positions: items top to bottom, their groups together, a gap between items
    pos = []
    tick_text = []
    y = 0.0
    for item in dict.fromkeys(frame["item"]):
        rows = frame[frame["item"] == item]
        for r in rows.itertuples(index=False):
            pos.append(y)
            label = _wrap(r.label, 40)
            if grouped:
                label = f"{label}: {GROUP_LABELS.get(r.group, r.group)}"
            tick_text.append(label)
            y -= 1.0
        y -= 0.6 if grouped else 0.0
    pos_arr = np.array(pos)
    pct = frame[[f"pct_{k}" for k in range(1, 6)]].to_numpy(dtype=float)
    pct = np.nan_to_num(pct)
    left = -(pct[:, 0] + pct[:, 1] + pct[:, 2] / 2)
    for k in range(5):
        ax.barh(
            pos_arr,
            pct[:, k],
            left=left,
            height=0.8,
            color=_LIKERT_COLOURS[k],
            label=scale[k],
            edgecolor="white",
            linewidth=0.5,
        )
        left = left + pct[:, k]
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(pos_arr, tick_text, fontsize=8 if n > 20 else 9)
    ax.set_ylim(pos_arr.min() - 0.7, 0.7)
    from matplotlib.ticker import FuncFormatter

    ax.set_xlim(-100, 100)
    ax.set_xticks([-100, -50, 0, 50, 100])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{abs(v):g}%"))
    ax.set_xlabel("Share of answers (%): 1-2 left, 3 centred, 4-5 right")
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncol=5,
        frameon=False,
        fontsize=8,
        title="Answer",
        title_fontsize=8,
        alignment="left",
    )
    if title:
        _title(ax, title, pad=30)
    return ax
