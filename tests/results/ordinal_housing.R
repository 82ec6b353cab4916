# Reference results: frequency weights, MASS::housing (Madsen 1976; Venables & Ripley, MASS 7.3).
#
#   clm(Sat ~ Infl + Type + Cont, weights = Freq, data = housing)
#   polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE)
#
# Freq counts identical respondents, so the weighted fit must equal the fit on the 1681 rows
# obtained by repeating each row Freq times (checked below, and again in the Python tests).
# Writes:
#   housing.csv                the 72 cells with R's treatment-contrast dummies (InflMedium,
#                              InflHigh, TypeApartment, TypeAtrium, TypeTerrace, ContHigh) and
#                              Sat as an integer code 1 < 2 < 3 (Low < Medium < High)
#   ordinal_housing.json       clm and polr estimates, SEs, vcov (thresholds first), logLik,
#                              AIC, BIC (clm: nobs = sum(Freq) = 1681), null logLik
#
# Run: Rscript tests/results/ordinal_housing.R

source(file.path(local({
  a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else getwd()
}), "ordinal_helpers.R"))
suppressPackageStartupMessages({
  library(ordinal)
  library(MASS)
})

data(housing, package = "MASS")
design <- model.matrix(~ Infl + Type + Cont, data = housing)[, -1]
housing_out <- data.frame(
  Sat = as.integer(housing$Sat),
  Sat_label = as.character(housing$Sat),
  Infl = as.character(housing$Infl),
  Type = as.character(housing$Type),
  Cont = as.character(housing$Cont),
  Freq = housing$Freq,
  design,
  check.names = FALSE
)
write_data(housing_out, "housing.csv")

fit <- clm(Sat ~ Infl + Type + Cont, weights = Freq, data = housing)
print(summary(fit))
out <- clm_summary(fit, "clm(Sat ~ Infl + Type + Cont, weights = Freq, data = housing)")
out$loglik_null <- as.numeric(logLik(clm(Sat ~ 1, weights = Freq, data = housing)))

# Weights as frequencies: the fit on the expanded rows is the same fit.
expanded <- housing[rep(seq_len(nrow(housing)), housing$Freq), ]
fit_exp <- clm(Sat ~ Infl + Type + Cont, data = expanded)
stopifnot(isTRUE(all.equal(coef(fit), coef(fit_exp), tolerance = 1e-6)))
stopifnot(isTRUE(all.equal(as.numeric(logLik(fit)), as.numeric(logLik(fit_exp)), tolerance = 1e-8)))

pfit <- polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE)
print(summary(pfit))
Vp <- thresholds_first(vcov(pfit), names(pfit$zeta))
out$polr <- list(
  call = "polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing, Hess = TRUE)",
  thresholds = named(pfit$zeta),
  coef = named(coef(pfit)),
  se = named(sqrt(diag(Vp))),
  vcov = mat(Vp),
  loglik = as.numeric(logLik(pfit)),
  deviance = pfit$deviance,
  aic = AIC(pfit)
)
out$levels <- levels(housing$Sat)
out$versions <- versions(c("ordinal", "MASS"))
write_results(out, "ordinal_housing.json")
