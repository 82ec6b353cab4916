"""copfactors.plot: every chart renders to a PNG, labelled in words, without overlaps."""

from __future__ import annotations

import math
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import itertools

import numpy as np
import pandas as pd
import pytest
import shap
from matplotlib.figure import Figure

from copfactors import plot
from copfactors.datasets import load_table1
from copfactors.errors import ParameterError, ParameterTypeError
from copfactors.models import OrdinalRegression


def _png(ax, path) -> int:
    plot.save_figure(ax, path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return len(data)


def _ticks(ax, axis: str = "y") -> list[str]:
    labels = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in labels]


def _no_overlap(ax) -> None:
    """No two tick labels on either axis overlap once drawn."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for axis in (ax.xaxis, ax.yaxis):
        low, high = sorted(axis.get_view_interval())
        ticks = [
            t.label1
            for t in axis.get_major_ticks()
            if t.label1.get_visible() and t.label1.get_text() and low <= t.get_loc() <= high
        ]
        boxes = sorted((t.get_window_extent(renderer) for t in ticks), key=lambda b: (b.x0, b.y0))
        for a, b in itertools.pairwise(boxes):
            assert not a.overlaps(b), f"tick labels overlap on the {axis.axis_name} axis"


def _all_texts_inside(ax) -> None:
    """Everything drawn (labels, title, legend) lies inside the figure: nothing is cut off."""
    fig = ax.figure
    fig.canvas.draw()
    box = fig.get_tightbbox(fig.canvas.get_renderer())
    width, height = fig.get_size_inches()
    tol = 0.02  # inches
    assert box.x0 >= -tol and box.y0 >= -tol, box
    assert box.x1 <= width + tol and box.y1 <= height + tol, (box, width, height)


@pytest.fixture(scope="module")
def model() -> OrdinalRegression:
    rng = np.random.default_rng(3)
    n = 400
    X = pd.DataFrame(
        {
            "commitment": rng.normal(3.5, 0.8, n),
            "voluntary": rng.integers(0, 2, n).astype(float),
            "hours_per_week": rng.gamma(2.0, 0.5, n),
            "age_50_plus": rng.integers(0, 2, n).astype(float),
        }
    )
    latent = 1.0 * X.commitment + 0.8 * X.voluntary - 0.7 * X.age_50_plus
    y = np.digitize(latent + rng.logistic(size=n), [3.0, 4.0, 5.0]) + 1
    return OrdinalRegression().fit(X, y)


def test_driver_label_in_words_with_units():
    assert plot.driver_label("commitment") == "Commitment (scale 1-5)"
    assert plot.driver_label("steward_dedicated") == "Dedicated steward (vs none)"
    assert plot.driver_label("hours_per_week").endswith("on the CoP")
    assert plot.driver_label("my_scale") == "My scale"
    assert plot.driver_label("commitment", {"commitment": "Engagement"}) == "Engagement"


def test_forest_from_model(tmp_path, model):
    ax = plot.forest(model)
    assert ax.get_xscale() == "log"
    labels = _ticks(ax)
    assert len(labels) == 4
    assert "Commitment (scale 1-5)" in labels and "Aged 50 or over (vs 35-49)" in labels
    # sorted: the largest odds ratio (commitment) at the top
    assert labels[-1] == "Commitment (scale 1-5)"
    # one interval line per driver plus the reference line at 1
    ref = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [1.0, 1.0]]
    assert len(ref) == 1
    assert len(ax.get_lines()) == 4 + 1
    assert _png(ax, tmp_path / "forest.png") > 10_000
    _no_overlap(ax)
    _all_texts_inside(ax)


def test_forest_clips_runaway_intervals_with_arrows():
    summary = pd.DataFrame(
        {
            "term": ["steward_dedicated", "commitment", "voluntary"],
            "kind": ["coef"] * 3,
            "odds_ratio": [4.6e5, 2.0, 0.5],
            "or_ci_low": [6e3, 1.2, 0.2],
            "or_ci_high": [3.5e7, 3.3, 1.3],
        }
    )
    ax = plot.forest(summary, clip=1000)
    _lo, hi = ax.get_xlim()
    assert hi < 1e4  # the runaway interval did not stretch the axis
    arrows = [ln for ln in ax.get_lines() if ln.get_marker() in (">", "<")]
    assert len(arrows) == 2  # its upper limit and its estimate are drawn at the edge
    # the estimate inside the axis are dots: two of them
    assert sum(len(c.get_offsets()) for c in ax.collections) == 2


def test_forest_probit_uses_coefficients():
    summary = pd.DataFrame(
        {
            "term": ["commitment"],
            "kind": ["coef"],
            "coef": [0.5],
            "ci_low": [0.1],
            "ci_high": [0.9],
            "odds_ratio": [math.nan],
        }
    )
    ax = plot.forest(summary)
    assert ax.get_xscale() == "linear"
    assert "Coefficient" in ax.get_xlabel()


def test_forest_rejects_other_input():
    with pytest.raises(TypeError, match="forest needs"):
        plot.forest([1, 2, 3])


def test_driver_importance(tmp_path):
    table = pd.DataFrame(
        {
            "driver": ["commitment", "steward_active", "voluntary", "gender_woman"],
            "importance_r2": [0.20, 0.10, 0.08, 0.02],
            "importance_pct": [50.0, 25.0, 20.0, 5.0],
            "mean_abs_shap": [1.2, 0.8, 0.6, 0.1],
        }
    )
    ax = plot.driver_importance(table, show_shap=True)
    assert len(ax.patches) == 4
    assert _ticks(ax)[-1] == "Commitment (scale 1-5)"
    # the bars are importance_pct, percentages of McFadden's R2 (0.4 here), as the axis says
    widths = sorted(p.get_width() for p in ax.patches)
    np.testing.assert_allclose(widths, [5.0, 20.0, 25.0, 50.0])
    assert ax.get_xlabel().splitlines()[0] == "% of McFadden's R²"
    assert "R² = 0.40" in ax.get_xlabel()
    assert [t.get_text() for t in ax.texts][-1] == "50%  (mean |SHAP| 1.20)"
    assert _png(ax, tmp_path / "importance.png") > 5_000
    _all_texts_inside(ax)


def test_driver_importance_plots_the_pct_column_of_a_driver_table():
    from copfactors.inspection import drivers
    from copfactors.models import OrdinalRegression

    rng = np.random.default_rng(3)
    X = pd.DataFrame(
        {"commitment": rng.normal(3.5, 0.8, 200), "voluntary": rng.integers(0, 2, 200) * 1.0}
    )
    latent = 1.1 * X["commitment"] + 0.7 * X["voluntary"] + rng.logistic(size=200)
    y = np.digitize(latent, [3.5, 4.5, 5.5]) + 1
    table = drivers(OrdinalRegression().fit(X, y), X, y=y, po_test=None)
    ax = plot.driver_importance(table)
    bars = {t: p.get_width() for t, p in zip(_ticks(ax), ax.patches, strict=True)}
    pct = table.table.set_index("driver")["importance_pct"]
    np.testing.assert_allclose(bars["Commitment (scale 1-5)"], pct["commitment"], rtol=1e-12)
    np.testing.assert_allclose(sum(bars.values()), 100.0, rtol=1e-10)
    total = table.table["importance_r2"].sum()
    assert f"R² = {total:.2f}" in ax.get_xlabel()


def test_driver_importance_needs_the_pct_column():
    table = pd.DataFrame({"driver": ["commitment"], "importance_pct": [math.nan]})
    with pytest.raises(ValueError, match="no relative importance"):
        plot.driver_importance(table)
    old = pd.DataFrame({"driver": ["commitment"], "importance_r2": [0.3]})
    with pytest.raises(ValueError, match="no 'importance_pct' column"):
        plot.driver_importance(old)


def test_shap_beeswarm(tmp_path):
    rng = np.random.default_rng(0)
    names = ["commitment", "voluntary", "hours_per_week"]
    explanation = shap.Explanation(
        values=rng.normal(size=(60, 3)) * [2.0, 1.0, 0.2],
        base_values=np.zeros(60),
        data=rng.normal(size=(60, 3)),
        feature_names=names,
    )
    ax = plot.shap_beeswarm(explanation)
    labels = _ticks(ax)
    assert labels[-1] == "Commitment (scale 1-5)"  # most important at the top
    assert set(labels) == {plot.driver_label(n) for n in names}
    assert sum(len(c.get_offsets()) for c in ax.collections) == 3 * 60
    assert "SHAP value" in ax.get_xlabel()
    assert _png(ax, tmp_path / "beeswarm.png") > 10_000


def test_importance_vs_attainment_from_table1(tmp_path):
    ax = plot.importance_vs_attainment(load_table1())
    labels = _ticks(ax)
    assert len(labels) == 15
    assert labels[0] == "Value innovation" and labels[-1] == "Favor learning"
    # long objective labels are wrapped, not cut
    assert any("\n" in label for label in labels)
    # per group: one segment per objective, filled and open markers for 15 objectives
    assert len(ax.get_lines()) == 2 * 15
    assert [len(c.get_offsets()) for c in ax.collections] == [15, 15, 15, 15]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "Men: importance",
        "Men: attainment",
        "Women: importance",
        "Women: attainment",
    ]
    assert ax.get_xlim() == (1.0, 5.0)
    assert _png(ax, tmp_path / "gap.png") > 20_000
    _no_overlap(ax)
    _all_texts_inside(ax)


def test_importance_vs_attainment_from_group_comparison():
    from copfactors.datasets import load_example_survey
    from copfactors.replicate import group_comparison

    res = group_comparison(load_example_survey(), objectives=["learning", "quality"])
    ax = plot.importance_vs_attainment(res)
    assert set(_ticks(ax)) == {"Better quality", "Favor learning"}
    assert len(ax.get_lines()) == 2 * 2


def test_importance_vs_attainment_needs_the_layout():
    with pytest.raises(ValueError, match="lacks columns"):
        plot.importance_vs_attainment(pd.DataFrame({"objective": ["x"]}))


def test_levers_from_table(tmp_path):
    table = pd.DataFrame(
        {
            "lever": ["steward_dedicated", "all_voluntary", "more_hours"],
            "description": [
                "a dedicated steward (a professional hired for the task)",
                "every member voluntary",
                "half an hour more per week",
            ],
            "delta": [0.15, 0.08, -0.01],
            "delta_low": [0.05, 0.02, -0.03],
            "delta_high": [0.25, 0.12, 0.01],
        }
    )
    ax = plot.levers(table)
    assert len(ax.patches) == 3
    labels = _ticks(ax)
    assert labels[-1].startswith("a dedicated steward")
    assert "\n" in labels[-1]  # wrapped
    widths = sorted(p.get_width() for p in ax.patches)
    np.testing.assert_allclose(widths, [-1.0, 8.0, 15.0])
    assert "percentage points" in ax.get_xlabel()
    # error bars: one segment per lever
    assert sum(len(c.get_segments()) for c in ax.collections) == 3
    assert _png(ax, tmp_path / "levers.png") > 5_000
    _all_texts_inside(ax)
    _no_overlap(ax)


def test_levers_wide_range_keeps_ticks_apart():
    table = pd.DataFrame(
        {
            "lever": list("abcdefg"),
            "description": [f"lever {c}" for c in "abcdefg"],
            "delta": [0.01, 0.01, 0.006, 0.005, 0.003, 0.002, -0.009],
            "delta_low": [0.002, 0.002, -0.02, 0.001, -0.014, -0.025, -0.15],
            "delta_high": [0.04, 0.05, 0.017, 0.03, 0.015, 0.005, 0.002],
        }
    )
    ax = plot.new_axes((8.0, 5.0), pyplot=False)
    title = "Heart-health website (98% as planned): what each lever would change, with intervals"
    plot.levers(table, ax=ax, title=title)
    _no_overlap(ax)
    _all_texts_inside(ax)  # the long title is wrapped, not cut


def test_levers_from_a_score_result():
    class Result:
        probability = 0.42

        def levers(self):
            return pd.DataFrame({"lever": ["x"], "description": ["do x"], "delta": [0.1]})

    ax = plot.levers(Result())
    assert "42%" in ax.get_title(loc="left")


def test_axes_can_be_given():
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    out = plot.driver_importance(
        pd.DataFrame({"driver": ["commitment"], "importance_pct": [100.0]}), ax=ax
    )
    assert out is ax


def test_figure_png_bytes():
    ax = plot.new_axes((3, 2), pyplot=False)
    assert plot.figure_png(ax).startswith(b"\x89PNG")


def test_headless_uses_agg():
    code = (
        "import os; os.environ.pop('DISPLAY', None); os.environ.pop('MPLBACKEND', None)\n"
        "from copfactors.plot import new_axes\n"
        "import matplotlib; ax = new_axes((2, 2)); print(matplotlib.get_backend().lower())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "agg"


def _mixed_model(n_groups: int = 9):
    from copfactors.models import MixedOrdinalRegression

    rng = np.random.default_rng(4)
    groups = np.repeat([f"cop_{i}" for i in range(n_groups)], 20)
    x = rng.normal(size=(len(groups), 1))
    u = rng.normal(0, 1.0, n_groups)[np.repeat(np.arange(n_groups), 20)]
    y = np.digitize(x[:, 0] + u + rng.logistic(size=len(groups)), [-1.0, 1.0])
    return MixedOrdinalRegression().fit(x, y, groups=groups)


def test_caterpillar_draws_one_sorted_interval_per_cop(tmp_path):
    model = _mixed_model(9)
    ax = plot.caterpillar(model)
    (intervals,) = [c for c in ax.collections if c.get_gid() == "cop_intervals"]
    segments = intervals.get_segments()
    assert len(segments) == model.n_groups_ == 9
    effects = model.random_effects_.sort_values("mode")
    # mode +- 1.96 SD, lowest at the bottom, labelled with the CoPs
    lows = [seg[0][0] for seg in segments]
    highs = [seg[1][0] for seg in segments]
    np.testing.assert_allclose(lows, effects["mode"] - 1.96 * effects["sd"])
    np.testing.assert_allclose(highs, effects["mode"] + 1.96 * effects["sd"])
    assert _ticks(ax) == list(effects.index)
    # in words: what the axis is, and the between-CoP SD and ICC in the title
    assert "CoP effect on attainment (log-odds scale)" in ax.get_xlabel()
    assert "between-CoP SD" in ax.get_title(loc="left") and "ICC" in ax.get_title(loc="left")
    _no_overlap(ax)
    _all_texts_inside(ax)
    assert _png(ax, tmp_path / "caterpillar.png") > 5_000


def test_caterpillar_from_a_frame_and_bad_input():
    effects = pd.DataFrame({"mode": [0.2, -0.1], "sd": [0.1, 0.2]}, index=["a", "b"])
    ax = plot.caterpillar(effects, z=1.0, title="", ax=plot.new_axes((5, 3), pyplot=False))
    assert len(ax.collections[0].get_segments()) == 2 and ax.get_title(loc="left") == ""
    with pytest.raises(ParameterTypeError, match="MixedOrdinalRegression"):
        plot.caterpillar(OrdinalRegression())
    with pytest.raises(ParameterError, match="mode"):
        plot.caterpillar(pd.DataFrame({"mode": [0.1]}))
    with pytest.raises(ParameterError, match="z must be"):
        plot.caterpillar(effects, z=0)


# --------------------------------------------------------------------------------------------
# effect displays and Likert bars
# --------------------------------------------------------------------------------------------


def _fit_frame(model) -> pd.DataFrame:
    """The predictors of the ``model`` fixture (same seed and draws)."""
    rng = np.random.default_rng(3)
    n = 400
    return pd.DataFrame(
        {
            "commitment": rng.normal(3.5, 0.8, n),
            "voluntary": rng.integers(0, 2, n).astype(float),
            "hours_per_week": rng.gamma(2.0, 0.5, n),
            "age_50_plus": rng.integers(0, 2, n).astype(float),
        }
    )


def _check_effects(table: pd.DataFrame, model, X: pd.DataFrame, driver: str) -> None:
    held = table.attrs["held"]
    assert set(held) == set(X.columns) - {driver}
    for name, value in held.items():
        if set(X[name].unique()) <= {0.0, 1.0}:
            assert value == X[name].mode().iloc[0]
        else:
            assert value == pytest.approx(X[name].mean())
    values = table["value"].unique()
    grid = pd.DataFrame({c: np.full(len(values), held.get(c, 0.0)) for c in X.columns})
    grid[driver] = values
    proba = model.predict_proba(grid)
    wide = table.pivot(index="value", columns="level", values="probability")
    np.testing.assert_allclose(wide.to_numpy(), proba, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(wide.sum(axis=1), 1.0, atol=1e-12)
    per_value = table.drop_duplicates("value")
    scores = np.asarray(model.classes_, dtype=float)
    np.testing.assert_allclose(per_value["expected"], proba @ scores, rtol=1e-12)
    assert (per_value["expected_low"] < per_value["expected"]).all()
    assert (per_value["expected"] < per_value["expected_high"]).all()


def test_effects_table_equals_the_model_predictions(model):
    X = _fit_frame(model)
    table = plot.effects_table(model, "commitment", X, n_points=7)
    assert list(table.columns) == [
        "driver",
        "value",
        "level",
        "probability",
        "expected",
        "expected_low",
        "expected_high",
    ]
    assert len(table) == 7 * len(model.classes_)
    assert table["value"].min() == X["commitment"].min()
    assert table["value"].max() == X["commitment"].max()
    assert table.attrs["marginal"] is False
    _check_effects(table, model, X, "commitment")


def test_effects_table_binary_driver_and_at(model):
    X = _fit_frame(model)
    table = plot.effects_table(model, "voluntary", X, at={"commitment": 4.0})
    assert sorted(table["value"].unique()) == [0.0, 1.0]
    assert table.attrs["held"]["commitment"] == 4.0
    # a wider band at the 99% level
    wide = plot.effects_table(model, "voluntary", X, at={"commitment": 4.0}, level=0.99)
    assert (
        wide["expected_high"] - wide["expected_low"]
        > table["expected_high"] - table["expected_low"]
    ).all()


def test_effects_table_band_is_the_analytic_delta_method(model):
    # E = s_K - sum_j (s_{j+1} - s_j) F(theta_j - x'b): its gradient in closed form
    X = _fit_frame(model)
    table = plot.effects_table(model, "commitment", X, n_points=6).drop_duplicates("value")
    held = table.attrs["held"]
    grid = np.column_stack(
        [table["value"] if c == "commitment" else np.full(6, held[c]) for c in X.columns]
    )
    theta, beta = model.thresholds_.to_numpy(), model.coef_.to_numpy()
    scores = np.asarray(model.classes_, dtype=float)
    F = 1.0 / (1.0 + np.exp(-(theta[None, :] - (grid @ beta)[:, None])))
    f = F * (1.0 - F) * np.diff(scores)[None, :]
    jac = np.hstack([-f, f.sum(axis=1, keepdims=True) * grid])
    se = np.sqrt(np.einsum("ij,jk,ik->i", jac, model.cov_.to_numpy(), jac))
    half = (table["expected_high"] - table["expected_low"]).to_numpy() / 2
    np.testing.assert_allclose(half, 1.959963984540054 * se, rtol=1e-5)


def test_effects_for_the_mixed_model_is_marginal():
    from copfactors.models import MixedOrdinalRegression

    rng = np.random.default_rng(5)
    n_groups, per = 8, 25
    groups = np.repeat([f"cop_{i}" for i in range(n_groups)], per)
    X = pd.DataFrame(
        {
            "commitment": rng.normal(3.5, 0.8, n_groups * per),
            "voluntary": rng.integers(0, 2, n_groups * per).astype(float),
        }
    )
    u = rng.normal(0, 0.8, n_groups)[np.repeat(np.arange(n_groups), per)]
    y = np.digitize(X.commitment + 0.7 * X.voluntary + u + rng.logistic(size=len(X)), [3, 4.5])
    mixed = MixedOrdinalRegression().fit(X, y + 1, groups=groups)
    fig, table = plot.effects(mixed, "commitment", X, n_points=9, table=True)
    assert table.attrs["marginal"] is True
    _check_effects(table, mixed, X, "commitment")
    assert "new CoP" in fig.get_suptitle()
    # log_sigma's (co)variance enters the band
    import copy

    fixed_sigma = copy.deepcopy(mixed)
    fixed_sigma.cov_.loc["log_sigma", :] = 0.0
    fixed_sigma.cov_.loc[:, "log_sigma"] = 0.0
    other = plot.effects_table(fixed_sigma, "commitment", X, n_points=9)
    assert not np.allclose(other["expected_high"], table["expected_high"])
    np.testing.assert_allclose(other["expected"], table["expected"])
    assert figure_bytes(fig)[:4] == b"\x89PNG"


def figure_bytes(fig) -> bytes:
    return plot.figure_png(fig, dpi=60)


def test_effects_figure_two_panels_in_words(tmp_path, model):
    X = _fit_frame(model)
    fig = plot.effects(model, "commitment", X, n_points=15)
    p_ax, e_ax = fig.axes[:2]
    assert p_ax.get_xlabel() == e_ax.get_xlabel() == "Commitment (scale 1-5)"
    assert e_ax.get_ylabel() == "Expected attainment score"
    note = fig.get_supxlabel().replace("\n", " ")
    assert note.startswith("Others held at: ") and "Voluntary participation (yes vs no) = " in note
    assert _png(fig, tmp_path / "effects.png") > 5_000
    # a 0/1 driver: bars and points, ticks in words
    fig2 = Figure(figsize=(9, 4), layout="constrained")
    out = plot.effects(model, "voluntary", X, ax=fig2, title="SIMULATED data: voluntary")
    assert out is fig2
    assert [t.get_text() for t in fig2.axes[1].get_xticklabels()] == ["no (0)", "yes (1)"]
    assert figure_bytes(fig2)[:4] == b"\x89PNG"


def test_effects_errors_name_the_driver(model):
    X = _fit_frame(model)
    with pytest.raises(ParameterError, match="'motivation'"):
        plot.effects_table(model, "motivation", X)
    with pytest.raises(ParameterError, match="'nope'"):
        plot.effects(model, "commitment", X, at={"nope": 1.0})
    with pytest.raises(ParameterTypeError, match="two panels"):
        plot.effects(model, "commitment", X, ax=plot.new_axes((3, 3), pyplot=False))
    with pytest.raises(ParameterTypeError, match="OrdinalRegression"):
        plot.effects_table(object(), "commitment", X)


def test_likert_percentages_match_the_value_counts(tmp_path, example_survey):
    s = example_survey  # SIMULATED
    items = ["imp_innovation", "imp_reduce_workforce", "imp_learning"]
    table = plot.likert_table(s, items, by="gender")
    assert list(table.columns) == [
        "item",
        "label",
        "group",
        "n",
        "pct_1",
        "pct_2",
        "pct_3",
        "pct_4",
        "pct_5",
    ]
    assert len(table) == 3 * 2
    pct = table[[f"pct_{k}" for k in range(1, 6)]]
    np.testing.assert_allclose(pct.sum(axis=1), 100.0)
    for row in table.itertuples(index=False):
        answers = s.loc[s["gender"] == row.group, row.item].dropna().astype(int)
        counts = answers.value_counts().reindex(range(1, 6), fill_value=0)
        assert row.n == len(answers)
        np.testing.assert_allclose(
            [getattr(row, f"pct_{k}") for k in range(1, 6)], 100 * counts / len(answers)
        )
    assert table["label"].iloc[0] == "Value innovation"
    ax = plot.likert(s, items, by="gender", title="SIMULATED data: importance by gender")
    ticks = _ticks(ax)  # top to bottom, the groups of an item together, in the table's order
    assert ticks == [
        f"{r.label}: {plot.GROUP_LABELS[r.group]}" for r in table.itertuples(index=False)
    ]
    assert set(ticks[:2]) == {"Value innovation: Men", "Value innovation: Women"}
    # each bar spans 100% of its answers, the neutral answer centred on 0
    widths = np.sum([[bar.get_width() for bar in c] for c in ax.containers], axis=0)
    np.testing.assert_allclose(widths, 100.0)
    neutral = ax.containers[2]
    for bar in neutral:
        assert bar.get_x() == pytest.approx(-bar.get_width() / 2)
    _no_overlap(ax)
    assert _png(ax, tmp_path / "likert.png") > 5_000


def test_likert_without_groups_and_bad_answers():
    s = pd.DataFrame({"imp_quality": [1, 2, 3, 4, 5, None], "my_item": [5, 5, 4, 4, 3, 3]})
    table = plot.likert_table(s, ["imp_quality", "my_item"], labels={"my_item": "Mine"})
    assert "group" not in table and table["n"].tolist() == [5, 6]
    assert table["label"].tolist() == ["Better quality", "Mine"]
    np.testing.assert_allclose(table.loc[0, ["pct_1", "pct_5"]].astype(float), [20.0, 20.0])
    with pytest.raises(ParameterError, match="'nope'"):
        plot.likert(s, ["nope"])
    with pytest.raises(ParameterError, match="outside 1-5"):
        plot.likert(s.assign(my_item=[7, 5, 4, 4, 3, 3]), ["my_item"])
