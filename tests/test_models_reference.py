"""OrdinalRegression against reference results from R.

Every expected number sits in ``tests/results/`` beside the R script that printed it
(``Rscript tests/results/<script>.R`` rewrites it): ``ordinal::clm`` and ``MASS::polr`` fits,
``sandwich::sandwich`` (HC0) and ``sandwich::vcovCL`` (HC0 with the G/(G-1) adjustment) for
the robust and cluster covariances, ``glm`` for the binary case, ``ordinal::nominal_test`` and
the Brant (1990) test. R is not needed to run these tests.

As in statsmodels, one mixin of checks (:class:`CheckOrdinalFit`) is crossed with one setup
class per configuration: link (logit, probit, cloglog), frequency weights, robust and cluster
covariances, binary outcome. Tolerances: coefficients and thresholds 1e-4 absolute, standard
errors 1e-3 relative, log-likelihood 1e-6 absolute.
"""

from __future__ import annotations

import json
import warnings
from functools import cache
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from copfactors.errors import PerfectSeparationWarning
from copfactors.models import OrdinalRegression

RESULTS = Path(__file__).parent / "results"

ATOL_PARAMS = 1e-4  # coefficients and thresholds
RTOL_SE = 1e-3  # standard errors (and covariance entries, scaled by the SEs)
ATOL_LOGLIK = 1e-6

WINE_COLUMNS = ["tempwarm", "contactyes"]
HOUSING_COLUMNS = [
    "InflMedium",
    "InflHigh",
    "TypeApartment",
    "TypeAtrium",
    "TypeTerrace",
    "ContHigh",
]
CLUSTERED_COLUMNS = ["hours_per_week", "steward_present", "members"]


@cache
def reference(name: str) -> dict:
    return json.loads((RESULTS / name).read_text())


@cache
def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(RESULTS / name)


def dataset(name: str) -> pd.DataFrame:
    return _csv(name).copy()


def ordered(values, categories) -> pd.Series:
    return pd.Series(pd.Categorical(values, categories=list(categories), ordered=True))


def ref_matrix(block: dict) -> pd.DataFrame:
    return pd.DataFrame(block["matrix"], index=block["names"], columns=block["names"])


def standard_errors(model) -> pd.Series:
    return pd.Series(np.sqrt(np.diag(model.cov_.to_numpy())), index=model.cov_.index)


# ---------------------------------------------------------------------------------------------
# the checks every configuration runs


class CheckOrdinalFit:
    """Checks shared by every configuration.

    A setup class provides ``model`` (fitted), ``ref`` (an R fit: thresholds, coef, loglik,
    aic, bic) and ``ref_cov`` (the R covariance matching ``cov_type``, thresholds first).
    """

    model: OrdinalRegression
    ref: dict
    ref_cov: dict

    def test_converged(self):
        assert bool(self.model.converged_)

    def test_thresholds(self):
        expected = self.ref["thresholds"]
        assert_allclose(
            self.model.thresholds_.to_numpy(), list(expected.values()), atol=ATOL_PARAMS
        )

    def test_threshold_names(self):
        assert list(self.model.thresholds_.index) == list(self.ref["thresholds"])

    def test_coef(self):
        expected = pd.Series(self.ref["coef"])
        assert list(self.model.coef_.index) == list(expected.index)
        assert_allclose(self.model.coef_.to_numpy(), expected.to_numpy(), atol=ATOL_PARAMS)

    def test_cov_labels(self):
        names = [*self.ref["thresholds"], *self.ref["coef"]]
        assert list(self.model.cov_.index) == names
        assert list(self.model.cov_.columns) == names

    def test_standard_errors(self):
        expected = np.sqrt(np.diag(ref_matrix(self.ref_cov).to_numpy()))
        assert_allclose(standard_errors(self.model).to_numpy(), expected, rtol=RTOL_SE)

    def test_cov_matrix(self):
        # entries scaled by the reference SEs (a correlation-like scale), so near-zero
        # covariances are held to the same standard as the variances
        expected = ref_matrix(self.ref_cov).to_numpy()
        se = np.sqrt(np.diag(expected))
        scaled = self.model.cov_.to_numpy() / np.outer(se, se)
        assert_allclose(scaled, expected / np.outer(se, se), atol=2 * RTOL_SE)

    def test_loglik(self):
        assert_allclose(self.model.loglik_, self.ref["loglik"], atol=ATOL_LOGLIK, rtol=0)

    def test_aic(self):
        assert_allclose(self.model.aic_, self.ref["aic"], atol=10 * ATOL_LOGLIK, rtol=0)

    def test_bic(self):
        assert_allclose(self.model.bic_, self.ref["bic"], atol=10 * ATOL_LOGLIK, rtol=0)


# ---------------------------------------------------------------------------------------------
# wine: ordinal::wine, clm(rating ~ temp + contact, data = wine, link = ...)


def wine_data() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    wine = dataset("wine.csv")
    return wine[WINE_COLUMNS], wine["rating"], wine["judge"]


class WineSetup(CheckOrdinalFit):
    link = "logit"
    cov_type = "nonrobust"

    @classmethod
    def setup_class(cls):
        X, y, judge = wine_data()
        cls.ref = reference(f"ordinal_wine_{cls.link}.json")
        cls.ref_cov = cls.ref["vcov"]
        cls.model = OrdinalRegression(link=cls.link, cov_type=cls.cov_type).fit(
            X, y, groups=judge if cls.cov_type == "cluster" else None
        )


class CheckWineInference:
    """Summary table, predictions and the LR test, against the same clm fit."""

    def test_summary_matches_coef_table(self):
        # R: coef(summary(fit)); confint(fit, type = "Wald")
        summary = self.model.summary().set_index("term")
        table = pd.DataFrame(self.ref["coef_table"]).set_index("term")
        ci = pd.DataFrame(self.ref["wald_ci"]).set_index("term")
        summary = summary.loc[table.index]
        assert_allclose(summary["coef"], table["estimate"], atol=ATOL_PARAMS)
        assert_allclose(summary["se"], table["se"], rtol=RTOL_SE)
        assert_allclose(summary["z"], table["z"], rtol=RTOL_SE)
        # p and the CI limits inherit the SE tolerance
        assert_allclose(summary["p"], table["p"], rtol=1e-2, atol=1e-10)
        atol_ci = ATOL_PARAMS + 2 * RTOL_SE * table["se"].max()
        assert_allclose(summary["ci_low"], ci["low"], atol=atol_ci)
        assert_allclose(summary["ci_high"], ci["high"], atol=atol_ci)

    def test_summary_odds_ratios(self):
        # exp(coef) and exp(Wald CI) are odds ratios for the logit link only; NaN otherwise
        summary = self.model.summary().set_index("term").loc[WINE_COLUMNS]
        ci = pd.DataFrame(self.ref["wald_ci"]).set_index("term").loc[WINE_COLUMNS]
        coef = pd.Series(self.ref["coef"])[WINE_COLUMNS]
        columns = ["odds_ratio", "or_ci_low", "or_ci_high"]
        if self.link != "logit":
            assert summary[columns].isna().all().all()
            return
        assert_allclose(summary["odds_ratio"], np.exp(coef), rtol=1e-3)
        assert_allclose(summary["or_ci_low"], np.exp(ci["low"]), rtol=1e-3)
        assert_allclose(summary["or_ci_high"], np.exp(ci["high"]), rtol=1e-3)

    def test_predict_proba(self):
        # R: predict(fit, newdata = expand.grid(temp, contact), type = "prob")
        cells = self.ref["predict_proba"]
        X = pd.DataFrame({c: cells[c] for c in WINE_COLUMNS}, dtype=float)
        proba = np.asarray(self.model.predict_proba(X), dtype=float)
        assert proba.shape == (4, 5)
        assert_allclose(proba, cells["prob"], atol=1e-5)

    def test_loglik_null(self):
        # R: logLik(clm(rating ~ 1, data = wine, link = ...))
        assert_allclose(self.model.loglik_null_, self.ref["loglik_null"], atol=ATOL_LOGLIK, rtol=0)

    def test_lr_test(self):
        # R: anova(clm(rating ~ 1, ...), fit)
        lr = lr_test_values(self.model)
        expected = self.ref["lr_test"]
        assert_allclose(lr["stat"], expected["stat"], atol=10 * ATOL_LOGLIK, rtol=0)
        assert lr["df"] == expected["df"]
        assert_allclose(lr["p"], expected["p"], rtol=1e-4)


def lr_test_values(model) -> dict:
    """LR statistic, df and p from ``lr_test()``, whatever container it returns."""
    out = model.lr_test()
    if isinstance(out, pd.DataFrame):
        out = out.iloc[-1]
    out = dict(out) if not isinstance(out, dict) else out
    stat = next(out[k] for k in ("lr_stat", "stat", "chi2", "statistic") if k in out)
    return {"stat": float(stat), "df": int(out["df"]), "p": float(out["p"])}


class TestWineLogit(WineSetup, CheckWineInference):
    link = "logit"


class TestWineProbit(WineSetup, CheckWineInference):
    link = "probit"


class TestWineCloglog(WineSetup, CheckWineInference):
    link = "cloglog"


class TestWineRobust(WineSetup):
    # R: sandwich::sandwich(clm(rating ~ temp + contact, data = wine))
    cov_type = "robust"

    @classmethod
    def setup_class(cls):
        super().setup_class()
        cls.ref_cov = reference("ordinal_wine_sandwich.json")["robust"]["vcov"]


class TestWineClusterJudge(WineSetup):
    # R: sandwich::vcovCL(clm(rating ~ temp + contact, data = wine), cluster = wine$judge)
    cov_type = "cluster"

    @classmethod
    def setup_class(cls):
        super().setup_class()
        cls.ref_cov = reference("ordinal_wine_sandwich.json")["cluster"]["vcov"]


# ---------------------------------------------------------------------------------------------
# housing: MASS::housing with frequency weights Freq


class TestHousingFrequencyWeights(CheckOrdinalFit):
    # R: clm(Sat ~ Infl + Type + Cont, weights = Freq, data = housing)
    @classmethod
    def setup_class(cls):
        cls.ref = reference("ordinal_housing.json")
        cls.ref_cov = cls.ref["vcov"]
        housing = dataset("housing.csv")
        cls.X = housing[HOUSING_COLUMNS]
        cls.y = ordered(housing["Sat_label"], cls.ref["levels"])
        cls.weights = housing["Freq"]
        cls.model = OrdinalRegression().fit(cls.X, cls.y, sample_weight=cls.weights)

    def test_bic_uses_total_weight(self):
        # R: BIC(fit) with nobs(fit) = sum(Freq) = 1681
        assert self.ref["bic_nobs"] == self.weights.sum() == 1681
        k = len(self.ref["thresholds"]) + len(self.ref["coef"])
        expected = -2 * self.model.loglik_ + k * np.log(1681)
        assert_allclose(self.model.bic_, expected, rtol=1e-12)

    def test_weights_equal_repeated_rows(self):
        rows = np.repeat(np.arange(len(self.X)), self.weights.to_numpy())
        expanded = OrdinalRegression().fit(
            self.X.iloc[rows].reset_index(drop=True), self.y.iloc[rows].reset_index(drop=True)
        )
        assert_allclose(expanded.coef_, self.model.coef_, atol=1e-6)
        assert_allclose(expanded.thresholds_, self.model.thresholds_, atol=1e-6)
        assert_allclose(expanded.loglik_, self.model.loglik_, atol=ATOL_LOGLIK, rtol=0)
        assert_allclose(expanded.cov_, self.model.cov_, rtol=1e-5, atol=1e-10)

    def test_agrees_with_polr(self):
        # R: polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE)
        polr = self.ref["polr"]
        assert_allclose(self.model.coef_, list(polr["coef"].values()), atol=ATOL_PARAMS)
        assert_allclose(self.model.thresholds_, list(polr["thresholds"].values()), atol=ATOL_PARAMS)
        assert_allclose(standard_errors(self.model), list(polr["se"].values()), rtol=RTOL_SE)
        assert_allclose(self.model.loglik_, polr["loglik"], atol=1e-5, rtol=0)


# ---------------------------------------------------------------------------------------------
# simulated clustered data: 600 rows, 30 communities (cop_id), 4 levels


def clustered_data() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    data = dataset("clustered.csv")
    return data[CLUSTERED_COLUMNS], data["attainment"], data["cop_id"]


class ClusteredSetup(CheckOrdinalFit):
    link = "logit"
    cov_type = "nonrobust"

    @classmethod
    def setup_class(cls):
        X, y, cop_id = clustered_data()
        cls.ref = reference("ordinal_clustered.json")[cls.link]
        cls.ref_cov = {
            "nonrobust": cls.ref["vcov"],
            "robust": cls.ref["robust"]["vcov"],
            "cluster": cls.ref["cluster"]["vcov"],
        }[cls.cov_type]
        cls.model = OrdinalRegression(link=cls.link, cov_type=cls.cov_type).fit(
            X, y, groups=cop_id if cls.cov_type == "cluster" else None
        )


class TestClusteredLogit(ClusteredSetup):
    # R: clm(attainment ~ hours_per_week + steward_present + members, data = clustered)
    pass


class TestClusteredLogitRobust(ClusteredSetup):
    # R: sandwich::sandwich(fit)   (also sandwich(polr(...)), checked below)
    cov_type = "robust"

    def test_agrees_with_polr_sandwich(self):
        polr = reference("ordinal_clustered.json")["polr"]["robust"]
        assert_allclose(standard_errors(self.model), list(polr["se"].values()), rtol=RTOL_SE)


class TestClusteredLogitCluster(ClusteredSetup):
    # R: sandwich::vcovCL(fit, cluster = ~cop_id)  (type = "HC0", cadjust = TRUE)
    cov_type = "cluster"

    def test_agrees_with_polr_vcovcl(self):
        polr = reference("ordinal_clustered.json")["polr"]["cluster"]
        assert_allclose(standard_errors(self.model), list(polr["se"].values()), rtol=RTOL_SE)

    def test_one_row_per_cluster_is_adjusted_hc0(self):
        # vcovCL (cadjust = TRUE) is G / (G - 1) times the sum over clusters of the outer
        # products of the summed scores; with one row per cluster that sum is the HC0 meat
        X, y, _ = clustered_data()
        n = len(y)
        single = OrdinalRegression(cov_type="cluster").fit(X, y, groups=np.arange(n))
        robust = OrdinalRegression(cov_type="robust").fit(X, y)
        assert_allclose(single.cov_ * (n - 1) / n, robust.cov_, rtol=1e-6, atol=1e-12)


class TestClusteredProbit(ClusteredSetup):
    link = "probit"


class TestClusteredProbitRobust(ClusteredSetup):
    link = "probit"
    cov_type = "robust"


class TestClusteredProbitCluster(ClusteredSetup):
    link = "probit"
    cov_type = "cluster"


class TestClusteredCloglog(ClusteredSetup):
    link = "cloglog"


class TestClusteredCloglogRobust(ClusteredSetup):
    link = "cloglog"
    cov_type = "robust"


class TestClusteredCloglogCluster(ClusteredSetup):
    link = "cloglog"
    cov_type = "cluster"


# ---------------------------------------------------------------------------------------------
# binary outcome (K = 2): attained = attainment >= 3 on the clustered data


class BinarySetup(CheckOrdinalFit):
    link = "logit"
    cov_type = "nonrobust"

    @classmethod
    def setup_class(cls):
        X, y, cop_id = clustered_data()
        cls.X, cls.attained, cls.cop_id = X, y >= 3, cop_id
        cls.glm = reference("ordinal_binary.json")["glm"]
        cls.ref = reference("ordinal_binary.json")[cls.link]
        cls.ref_cov = cls.ref["vcov"]
        cls.model = OrdinalRegression(link=cls.link, cov_type=cls.cov_type).fit(
            X, cls.attained, groups=cop_id if cls.cov_type == "cluster" else None
        )

    def test_threshold_names(self):
        # R calls the single threshold "FALSE|TRUE" (R's spelling of booleans); only the count
        # is fixed here
        assert len(self.model.thresholds_) == 1

    def test_cov_labels(self):
        names = [self.model.thresholds_.index[0], *self.ref["coef"]]
        assert list(self.model.cov_.index) == names
        assert list(self.model.cov_.columns) == names


def glm_to_threshold_order(block: dict) -> np.ndarray:
    """glm covariance (intercept first) in the model's order, threshold = -intercept."""
    V = ref_matrix(block).to_numpy().copy()
    V[0, 1:] *= -1
    V[1:, 0] *= -1
    return V


class TestBinaryLogit(BinarySetup):
    # R: clm(factor(attained) ~ ...); glm(attained ~ ..., family = binomial)
    def test_threshold_is_minus_glm_intercept(self):
        assert_allclose(
            self.model.thresholds_.iloc[0], -self.glm["coef"]["(Intercept)"], atol=ATOL_PARAMS
        )
        slopes = [self.glm["coef"][c] for c in CLUSTERED_COLUMNS]
        assert_allclose(self.model.coef_, slopes, atol=ATOL_PARAMS)
        assert_allclose(self.model.loglik_, self.glm["loglik"], atol=ATOL_LOGLIK, rtol=0)

    def test_cov_matches_glm(self):
        expected = glm_to_threshold_order(self.glm["vcov"])
        assert_allclose(self.model.cov_.to_numpy(), expected, rtol=RTOL_SE, atol=1e-9)


@pytest.mark.parametrize(
    ("cov_type", "block"), [("nonrobust", None), ("robust", "robust"), ("cluster", "cluster")]
)
def test_binary_summary_is_glm(cov_type, block):
    # R: coef(summary(glm(attained ~ ..., family = binomial))), with the SEs of vcov(glm),
    # sandwich(glm) or vcovCL(glm, cluster = ~cop_id). The JSON stores glm's estimates and
    # covariances; z = estimate / se and p = 2 * pnorm(-|z|) are glm's own formulas for the
    # binomial family (its "z value" and "Pr(>|z|)" columns); with the cluster covariance p and
    # the interval are Student's t on G - 1 df instead (lmtest::coeftest(fit, vcovCL(...),
    # df = G - 1)), the summary's small-sample reference.
    X, y, cop_id = clustered_data()
    glm = reference("ordinal_binary.json")["glm"]
    model = OrdinalRegression(cov_type=cov_type).fit(
        X, y >= 3, groups=cop_id if cov_type == "cluster" else None
    )
    table = model.summary()
    assert table["term"].tolist() == ["(Intercept)", *CLUSTERED_COLUMNS]
    assert table["kind"].tolist() == ["intercept"] + ["coef"] * 3
    names = ["(Intercept)", *CLUSTERED_COLUMNS]
    coef = np.array([glm["coef"][k] for k in names])
    se_block = glm if block is None else glm[block]
    se = np.array([se_block["se"][k] for k in names])
    z = coef / se
    assert_allclose(table["coef"], coef, atol=ATOL_PARAMS)
    assert_allclose(table["se"], se, rtol=RTOL_SE)
    assert_allclose(table["z"], z, rtol=RTOL_SE)
    ref = stats.norm() if block != "cluster" else stats.t(cop_id.nunique() - 1)
    assert table.attrs["df"] == (None if block != "cluster" else cop_id.nunique() - 1)
    assert_allclose(table["p"], 2 * ref.sf(np.abs(z)), rtol=1e-2, atol=1e-10)
    crit = ref.ppf(0.975)
    atol_ci = ATOL_PARAMS + 2 * RTOL_SE * se.max()
    assert_allclose(table["ci_low"], coef - crit * se, atol=atol_ci)
    assert_allclose(table["ci_high"], coef + crit * se, atol=atol_ci)
    # the intercept has no odds ratio; thresholds_ keeps the cumulative-link sign
    assert np.isnan(table["odds_ratio"].iloc[0])
    assert_allclose(model.thresholds_.iloc[0], -table["coef"].iloc[0])
    text = model.render_summary()
    assert text.splitlines()[0] == "Binary regression (logit)"
    assert "(Intercept)" in text and "False|True" not in text


class TestBinaryLogitRobust(BinarySetup):
    # R: sandwich::sandwich(glm(attained ~ ..., family = binomial))
    cov_type = "robust"

    @classmethod
    def setup_class(cls):
        super().setup_class()
        cls.ref_cov = {
            "names": [*cls.ref["thresholds"], *cls.ref["coef"]],
            "matrix": glm_to_threshold_order(cls.glm["robust"]["vcov"]).tolist(),
        }


class TestBinaryLogitCluster(BinarySetup):
    # R: sandwich::vcovCL(glm(attained ~ ..., family = binomial), cluster = ~cop_id)
    cov_type = "cluster"

    @classmethod
    def setup_class(cls):
        super().setup_class()
        cls.ref_cov = {
            "names": [*cls.ref["thresholds"], *cls.ref["coef"]],
            "matrix": glm_to_threshold_order(cls.glm["cluster"]["vcov"]).tolist(),
        }


class TestBinaryProbit(BinarySetup):
    link = "probit"


class TestBinaryCloglog(BinarySetup):
    link = "cloglog"


# ---------------------------------------------------------------------------------------------
# likelihood-ratio tests of proportional odds: ordinal::nominal_test


class CheckNominalTest:
    data_key: str
    term_map: ClassVar[dict]
    model: OrdinalRegression
    #: whether a refit is (quasi-)separated, so that nominal_test must warn
    separated: ClassVar[bool] = False

    def nominal(self) -> pd.DataFrame:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = self.model.nominal_test()
        warned = any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
        assert warned is self.separated
        return table

    def test_table(self):
        ref = reference("nominal_test.json")[self.data_key]["table"]
        expected = pd.DataFrame(ref).iloc[1:]  # row 0 is "<none>", the fitted model
        expected["term"] = expected["term"].map(lambda t: self.term_map.get(t, t))
        got = self.nominal().set_index("term").loc[expected["term"]]
        assert_allclose(got["df"], expected["df"])
        assert_allclose(got["loglik"], expected["loglik"], atol=10 * ATOL_LOGLIK, rtol=0)
        assert_allclose(got["lr_stat"], expected["lrt"], atol=2e-5, rtol=0)
        assert_allclose(got["p"], expected["p"], rtol=1e-4)

    def test_statistic_is_twice_loglik_gain(self):
        got = self.nominal()
        assert_allclose(got["lr_stat"], 2 * (got["loglik"] - self.model.loglik_), atol=1e-8)
        assert_allclose(got["p"], stats.chi2.sf(got["lr_stat"], got["df"]), rtol=1e-8)


class TestNominalTestWine(CheckNominalTest):
    # R: nominal_test(clm(rating ~ temp + contact, data = wine))
    data_key = "wine"
    term_map: ClassVar[dict] = {"temp": "tempwarm", "contact": "contactyes"}
    # R's refit with temp nominal is quasi-separated (no warm wine is rated 1): it warns
    separated = True

    @classmethod
    def setup_class(cls):
        X, y, _ = wine_data()
        cls.model = OrdinalRegression().fit(X, y)


class TestNominalTestClustered(CheckNominalTest):
    # R: nominal_test(clm(attainment ~ hours_per_week + steward_present + members, ...))
    data_key = "clustered"
    term_map: ClassVar[dict] = {}

    @classmethod
    def setup_class(cls):
        X, y, _ = clustered_data()
        cls.model = OrdinalRegression().fit(X, y)


class CheckPartialProportionalOdds:
    """A fit with ``nominal=[...]`` against clm(..., nominal = ~ ...).

    R writes the nominal effect into the threshold, P(Y <= j) = F(theta_j + w'gamma_j - x'beta),
    and names gamma_j "j|j+1.w"; the log-likelihood and the common slopes do not depend on
    that sign convention.
    """

    data_key: str
    model: OrdinalRegression

    def test_loglik(self):
        ref = reference("nominal_test.json")[self.data_key]["partial"]
        assert_allclose(self.model.loglik_, ref["loglik"], atol=ATOL_LOGLIK, rtol=0)

    def test_common_slopes(self):
        ref = reference("nominal_test.json")[self.data_key]["partial"]["beta"]
        assert list(self.model.coef_.index) == list(ref)
        assert_allclose(self.model.coef_, list(ref.values()), atol=ATOL_PARAMS)

    def test_threshold_intercepts(self):
        # R: fit$alpha["j|j+1.(Intercept)"]
        alpha = reference("nominal_test.json")[self.data_key]["partial"]["alpha"]
        expected = [v for k, v in alpha.items() if k.endswith(".(Intercept)")]
        assert_allclose(self.model.thresholds_, expected, atol=ATOL_PARAMS)

    def test_nominal_effects_in_r_sign_convention(self):
        # R: fit$alpha["j|j+1.w"] is gamma_j in F(theta_j + w'gamma_j - x'beta)
        partial = reference("nominal_test.json")[self.data_key]["partial"]
        (name,) = self.model.nominal_coef_.columns
        keys = [k for k in partial["alpha"] if k.endswith(f".{name}")]
        assert_allclose(
            self.model.nominal_coef_[name], [partial["alpha"][k] for k in keys], atol=ATOL_PARAMS
        )
        se = self.model.summary().set_index("term")["se"]
        assert_allclose(se[keys], [partial["se"][k] for k in keys], rtol=RTOL_SE)


class TestPartialOddsWine(CheckPartialProportionalOdds):
    # R: clm(rating ~ temp, nominal = ~contact, data = wine)
    data_key = "wine"

    @classmethod
    def setup_class(cls):
        X, y, _ = wine_data()
        cls.model = OrdinalRegression(nominal=["contactyes"]).fit(X, y)


class TestPartialOddsClustered(CheckPartialProportionalOdds):
    # R: clm(attainment ~ hours_per_week + members, nominal = ~steward_present, data = clustered)
    data_key = "clustered"

    @classmethod
    def setup_class(cls):
        X, y, _ = clustered_data()
        cls.model = OrdinalRegression(nominal=["steward_present"]).fit(X, y)


# ---------------------------------------------------------------------------------------------
# Brant (1990) test, Biometrics 46:1171-1178; reference values from tests/results/brant_wine.R.
# brant.json holds two versions of the omnibus statistic: "table" as R's brant::brant() 0.3-0
# computes it (it repeats the (m, l) block of the joint covariance of the stacked slopes at
# (l, m) instead of transposing it), which brant_test() reproduces, and "table_symmetric" with
# Brant's symmetric covariance, brant_test(symmetric=True). The per-predictor rows agree.


def check_brant(got: pd.DataFrame, ref_table: dict, rtol: float = 1e-6) -> None:
    expected = pd.DataFrame(ref_table).set_index("term")
    got = got.set_index("term").loc[expected.index]
    assert_allclose(got["df"], expected["df"])
    assert_allclose(got["chi2"], expected["chi2"], rtol=rtol)
    assert_allclose(got["p"], expected["p"], rtol=10 * rtol, atol=1e-10)


class CheckBrant:
    model: OrdinalRegression
    ref: dict

    def test_as_r_brant_package(self):
        check_brant(self.model.brant_test(), self.ref["table"])

    def test_symmetric_covariance(self):
        check_brant(self.model.brant_test(symmetric=True), self.ref["table_symmetric"])

    def test_terms(self):
        got = self.model.brant_test()
        assert got.columns.tolist() == ["term", "chi2", "df", "p"]
        assert got["term"].tolist() == ["omnibus", *self.model.coef_.index]


class TestBrantClustered(CheckBrant):
    # R: brant_wine.R on attainment ~ hours_per_week + steward_present + members
    @classmethod
    def setup_class(cls):
        X, y, _ = clustered_data()
        cls.model = OrdinalRegression().fit(X, y)
        cls.ref = reference("brant.json")["clustered"]


class TestBrantHousingFrequencyWeights(CheckBrant):
    # R: brant_wine.R on housing rows repeated Freq times (equal to the Freq-weighted form)
    @classmethod
    def setup_class(cls):
        housing = dataset("housing.csv")
        y = ordered(housing["Sat_label"], ["Low", "Medium", "High"])
        cls.model = OrdinalRegression().fit(
            housing[HOUSING_COLUMNS], y, sample_weight=housing["Freq"]
        )
        cls.ref = reference("brant.json")["housing"]


class TestBrantSurvey(CheckBrant):
    # R: survey <- MASS::survey (complete cases); polr(Smoke ~ Sex + Height); brant(model1)
    @classmethod
    def setup_class(cls):
        survey = dataset("survey_smoke.csv")
        y = ordered(survey["Smoke_label"], ["Never", "Occas", "Regul", "Heavy"])
        cls.model = OrdinalRegression().fit(survey[["SexMale", "Height"]], y)
        cls.ref = reference("brant.json")["survey"]

    @pytest.mark.parametrize("symmetric", [False, True])
    def test_published_output(self, symmetric):
        # brant 0.3-0 documentation (rdrr.io/cran/brant/man/brant.html), printed to 2 decimals:
        #   Omnibus 3.28 4 0.51 | SexMale 1.58 2 0.45 | Height 0.02 2 0.99
        published = self.ref["published"]
        got = self.model.brant_test(symmetric=symmetric).set_index("term")
        got = got.loc[published["term"]]
        assert_allclose(got["chi2"], published["chi2"], atol=0.005)
        assert_allclose(got["df"], published["df"])
        assert_allclose(got["p"], published["p"], atol=0.005)

    def test_published_polr_fit(self):
        # the polr fit printed with it; polr stops short of the optimum on this badly scaled
        # problem (its thresholds are 1e-3 above clm's 6.3103, 6.9214, 7.8791), hence atol
        published = self.ref["published"]
        assert_allclose(self.model.coef_, list(published["polr_coef"].values()), atol=2e-4)
        assert_allclose(
            self.model.thresholds_, list(published["polr_thresholds"].values()), atol=2e-3
        )
        assert_allclose(-2 * self.model.loglik_, published["polr_residual_deviance"], atol=5e-4)


def test_brant_wine_contact_row():
    # No warm wine is rated 1 and no cold wine 5: the binary fits for y > 1 and y > 4 are
    # separated in tempwarm, so only the contactyes row is well defined (see brant_wine.R).
    ref = reference("brant.json")["wine"]
    assert ref["separated_cuts"] == [1, 4]
    X, y, _ = wine_data()
    model = OrdinalRegression().fit(X, y)
    with pytest.warns(PerfectSeparationWarning) as record:
        got = model.brant_test()
    messages = [str(w.message) for w in record if w.category is PerfectSeparationWarning]
    assert len(messages) == 2
    assert "Y > 1 " in messages[0] and "Y > 4 " in messages[1]
    assert all("numerically 0 or 1" in m for m in messages)
    table = pd.DataFrame(ref["table"])
    check_brant(got, table[table["term"] == "contactyes"].to_dict("list"), rtol=1e-3)
    assert got.set_index("term").loc["omnibus", "df"] == 6


# ---------------------------------------------------------------------------------------------
# input types


class TestInputTypes:
    @classmethod
    def setup_class(cls):
        cls.X, cls.y, cls.cop_id = clustered_data()
        cls.pandas_fit = OrdinalRegression(cov_type="cluster").fit(cls.X, cls.y, groups=cls.cop_id)

    def test_numpy_and_pandas_give_the_same_fit(self):
        fit = OrdinalRegression(cov_type="cluster").fit(
            self.X.to_numpy(), self.y.to_numpy(), groups=self.cop_id.to_numpy()
        )
        assert_allclose(fit.coef_.to_numpy(), self.pandas_fit.coef_.to_numpy(), rtol=1e-10)
        assert_allclose(fit.thresholds_.to_numpy(), self.pandas_fit.thresholds_.to_numpy())
        assert_allclose(fit.cov_.to_numpy(), self.pandas_fit.cov_.to_numpy(), rtol=1e-10)
        assert fit.loglik_ == pytest.approx(self.pandas_fit.loglik_, abs=1e-10)

    def test_ordered_categorical_and_integer_codes_give_the_same_fit(self):
        y = ordered(self.y, [1, 2, 3, 4])
        fit = OrdinalRegression(cov_type="cluster").fit(self.X, y, groups=self.cop_id)
        assert_allclose(fit.coef_, self.pandas_fit.coef_, rtol=1e-10)
        assert_allclose(fit.loglik_, self.pandas_fit.loglik_, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# live comparisons with statsmodels (no stored values)


def _random_ordinal(seed: int, n: int = 800, levels: int = 4):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "hours_per_week": rng.gamma(2.0, 1.5, n),
            "steward_present": rng.binomial(1, 0.5, n).astype(float),
            "members": rng.integers(5, 60, n).astype(float),
        }
    )
    latent = X.to_numpy() @ np.array([0.4, 0.8, -0.02]) + rng.logistic(size=n)
    cuts = np.quantile(latent, np.linspace(0, 1, levels + 1)[1:-1])
    y = pd.Series(1 + np.searchsorted(cuts, latent))
    return X, y


@pytest.mark.parametrize("link, distr", [("logit", "logit"), ("probit", "probit")])
def test_matches_statsmodels_ordered_model(link, distr):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    X, y = _random_ordinal(seed=7)
    sm_model = OrderedModel(ordered(y, [1, 2, 3, 4]), X, distr=distr)
    # statsmodels' Newton step tolerance is on the parameters while its score is a numerical
    # derivative (noise about 1e-7 here): tol=1e-12 cannot be met on some BLAS kernels, 1e-8
    # converges on every kernel tried. The peer's answer counts only once it has converged.
    sm = sm_model.fit(method="newton", disp=False, maxiter=1000, tol=1e-8)
    if not sm.mle_retvals["converged"]:
        pytest.skip(f"statsmodels OrderedModel ({distr}) did not converge on this machine")
    ours = OrdinalRegression(link=link).fit(X, y)
    k = X.shape[1]
    thresholds = sm_model.transform_threshold_params(sm.params.to_numpy())[1:-1]
    assert_allclose(ours.coef_, sm.params.iloc[:k], atol=ATOL_PARAMS)
    assert_allclose(ours.thresholds_, thresholds, atol=ATOL_PARAMS)
    assert_allclose(ours.loglik_, sm.llf, atol=ATOL_LOGLIK, rtol=0)


def test_binary_matches_statsmodels_logit():
    import statsmodels.api as sm

    X, y = _random_ordinal(seed=11, levels=2)
    attained = y == 2
    logit = sm.Logit(attained.astype(float), sm.add_constant(X)).fit(disp=False, tol=1e-12)
    ours = OrdinalRegression().fit(X, attained)
    assert_allclose(ours.thresholds_.iloc[0], -logit.params["const"], atol=ATOL_PARAMS)
    assert_allclose(ours.coef_, logit.params[X.columns], atol=ATOL_PARAMS)
    assert_allclose(standard_errors(ours).iloc[1:], logit.bse[X.columns], rtol=RTOL_SE)
    assert_allclose(standard_errors(ours).iloc[0], logit.bse["const"], rtol=RTOL_SE)
    assert_allclose(ours.loglik_, logit.llf, atol=ATOL_LOGLIK, rtol=0)
