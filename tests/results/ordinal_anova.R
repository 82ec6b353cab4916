# Reference results: nested-model likelihood-ratio tests, per-term Type II tests and per-term
# nominal tests of cumulative link models (tests/test_models_compare.py).
#
#   anova(clm_small, clm_large)                       copfactors.models.lr_test(small, large)
#   drop1(clm_fit, test = "Chi")                      copfactors.models.anova(..., test="LR")
#   car::Anova(polr_fit, type = "II")                 copfactors.models.anova(..., test="LR")
#   car::linearHypothesis(clm_fit, <term = 0>)        copfactors.models.anova(..., test="Wald")
#   nominal_test(clm_fit)                             copfactors.models.nominal_test(model, terms)
#
# car (3.1) has an Anova method for polr (likelihood-ratio only) but none for clm, hence polr
# for car::Anova (clm's logLik equals polr's: same model); the Wald tests are
# car::linearHypothesis on the clm fit (its analytic vcov), one joint hypothesis per term.
#
# Data: wine.csv (ordinal::wine) and housing.csv (MASS::housing with treatment dummies).
# Writes ordinal_anova.json.
#
# Run: Rscript tests/results/ordinal_anova.R

source(file.path(local({
  a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else getwd()
}), "ordinal_helpers.R"))
suppressPackageStartupMessages({
  library(ordinal)
  library(MASS)
  library(car)
})

data(wine, package = "ordinal")
data(housing, package = "MASS")

anova_table <- function(a) {
  a <- as.data.frame(a)
  list(
    no_par = a$no.par, loglik = a$logLik, lr_stat = a$LR.stat, df = a$df,
    p = a$`Pr(>Chisq)`
  )
}
drop1_table <- function(d) {
  d <- as.data.frame(d)[-1, , drop = FALSE]
  list(term = rownames(d), df = d$Df, aic = d$AIC, lr_stat = d$LRT, p = d$`Pr(>Chi)`)
}
car_table <- function(a) {
  a <- as.data.frame(a)
  stat <- if ("LR Chisq" %in% names(a)) a$`LR Chisq` else a$Chisq
  list(term = rownames(a), df = a$Df, statistic = stat, p = a$`Pr(>Chisq)`)
}
wald_table <- function(fit, terms) {
  rows <- lapply(names(terms), function(t) {
    lh <- car::linearHypothesis(fit, paste(terms[[t]], "= 0"))
    c(df = lh$Df[2], statistic = lh$Chisq[2], p = lh$`Pr(>Chisq)`[2])
  })
  m <- do.call(rbind, rows)
  list(term = names(terms), df = m[, "df"], statistic = m[, "statistic"], p = m[, "p"])
}
nominal_table <- function(nt) {
  nt <- as.data.frame(nt)[-1, , drop = FALSE]
  list(term = rownames(nt), df = nt$Df, loglik = nt$logLik, lr_stat = nt$LRT, p = nt$`Pr(>Chi)`)
}

# ---- wine
w_temp <- clm(rating ~ temp, data = wine)
w_main <- clm(rating ~ temp + contact, data = wine)
w_int <- clm(rating ~ temp * contact, data = wine)
w_nom <- clm(rating ~ temp, nominal = ~contact, data = wine)
w_probit_temp <- clm(rating ~ temp, data = wine, link = "probit")
w_probit_main <- clm(rating ~ temp + contact, data = wine, link = "probit")
a_w1 <- anova(w_temp, w_main); print(a_w1)
a_w2 <- anova(w_main, w_int); print(a_w2)
a_w3 <- anova(w_main, w_nom); print(a_w3)
a_w4 <- anova(w_probit_temp, w_probit_main); print(a_w4)
d_w <- drop1(w_main, test = "Chi"); print(d_w)
p_w_int <- polr(rating ~ temp * contact, data = wine, Hess = TRUE)
car_w_int <- Anova(p_w_int, type = "II"); print(car_w_int)
wine_terms <- list(temp = "tempwarm", contact = "contactyes")
wald_w <- wald_table(w_main, wine_terms)

# ---- housing (frequency weights Freq)
h_small <- clm(Sat ~ Infl + Type, weights = Freq, data = housing)
h_main <- clm(Sat ~ Infl + Type + Cont, weights = Freq, data = housing)
a_h <- anova(h_small, h_main); print(a_h)
d_h <- drop1(h_main, test = "Chi"); print(d_h)
p_h <- polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE)
car_h_lr <- Anova(p_h, type = "II"); print(car_h_lr)
housing_terms <- list(
  Infl = c("InflMedium", "InflHigh"),
  Type = c("TypeApartment", "TypeAtrium", "TypeTerrace"),
  Cont = "ContHigh"
)
wald_h <- wald_table(h_main, housing_terms); print(wald_h)
nt_h <- nominal_test(h_main); print(nt_h)
nt_w <- suppressWarnings(nominal_test(w_main))

write_results(list(
  wine = list(
    columns = wine_terms,
    anova_temp_vs_main = c(call = "anova(clm(rating ~ temp), clm(rating ~ temp + contact))",
                           anova_table(a_w1)),
    anova_main_vs_interaction = c(call = "anova(clm(rating ~ temp + contact), clm(rating ~ temp * contact))",
                                  anova_table(a_w2)),
    anova_main_vs_nominal = c(call = "anova(clm(rating ~ temp + contact), clm(rating ~ temp, nominal = ~contact))",
                              anova_table(a_w3)),
    anova_probit = c(call = "anova(clm(rating ~ temp, link = 'probit'), clm(rating ~ temp + contact, link = 'probit'))",
                     anova_table(a_w4)),
    drop1 = c(call = "drop1(clm(rating ~ temp + contact), test = 'Chi')", drop1_table(d_w)),
    car_interaction = c(call = "car::Anova(polr(rating ~ temp * contact), type = 'II')", car_table(car_w_int)),
    wald = c(call = "car::linearHypothesis(clm(rating ~ temp + contact), '<column> = 0')", wald_w),
    nominal_test = nominal_table(nt_w)
  ),
  housing = list(
    columns = housing_terms,
    anova = c(call = "anova(clm(Sat ~ Infl + Type, weights = Freq), clm(Sat ~ Infl + Type + Cont, weights = Freq))",
              anova_table(a_h)),
    drop1 = c(call = "drop1(clm(Sat ~ Infl + Type + Cont, weights = Freq), test = 'Chi')", drop1_table(d_h)),
    car_lr = c(call = "car::Anova(polr(Sat ~ Infl + Type + Cont, weights = Freq), type = 'II')", car_table(car_h_lr)),
    wald = c(call = "car::linearHypothesis(clm(Sat ~ Infl + Type + Cont, weights = Freq), '<columns> = 0')", wald_h),
    nominal_test = c(call = "nominal_test(clm(Sat ~ Infl + Type + Cont, weights = Freq))", nominal_table(nt_h))
  ),
  versions = versions(c("ordinal", "MASS", "car"))
), "ordinal_anova.json")
