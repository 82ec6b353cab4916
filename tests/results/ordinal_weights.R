# Reference results: frequency and probability (survey) weights, MASS::housing.
#
# Frequency weights: Freq counts identical respondents, so the Freq-weighted fit must be the
# fit on the 1681 rows obtained by repeating each cell Freq times, covariances included:
#   fit_exp <- clm(Sat ~ Infl + Type + Cont, data = expanded)
#   vcov(fit_exp); sandwich::sandwich(fit_exp)                      # nonrobust, HC0
#   sandwich::vcovCL(fit_exp, cluster = expanded$cl)                 # HC0, G/(G-1)
#
# Probability weights: deterministic non-integer weights w = Freq * (1 + (row %% 7) / 10)
# (row = 1..72 in MASS's order) and 20 PSUs cl = ((row - 1) %% 20) + 1 that cut across the
# cells; with-replacement designs without strata or fpc:
#   svyolr(Sat ~ Infl + Type + Cont, design = svydesign(ids = ~1,  weights = ~w, data = h))
#   svyolr(Sat ~ Infl + Type + Cont, design = svydesign(ids = ~cl, weights = ~w, data = h))
# svyolr fits by BFGS (here with reltol = 1e-14 so that its optimum is tight), takes the bread
# H from optim's finite-difference Hessian and returns
#   svyrecvar(estfun %*% H^-1) = H^-1 M H^-1,  M = m/(m-1) sum_u (z_u - zbar)(z_u - zbar)'
# with z_u the weighted scores w_i s_i summed over PSU u (rows for ids = ~1) and m the number
# of PSUs. The same matrix with clm's analytic Hessian is stored as "manual" (it agrees with
# svyolr to ~1e-5 relative). svyolr/polr store coefficients first, then zeta; zeta has the
# sign of copfactors' thresholds (P(Y <= j) = F(zeta_j - x'beta)). Everything written here is
# reordered to thresholds first, as in copfactors' cov_.
#
# Writes:
#   ordinal_weights.json   frequency: expanded clm estimates, logLik, nonrobust/HC0/cluster
#                          vcov; probability: svyolr (ids = ~1 and ids = ~cl) estimates, SEs,
#                          vcov, and the analytic-Hessian cross-check; the weights and PSUs
#
# Run: Rscript tests/results/ordinal_weights.R

source(file.path(local({
  a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else getwd()
}), "ordinal_helpers.R"))
suppressPackageStartupMessages({
  library(ordinal)
  library(MASS)
  library(survey)
  library(sandwich)
})

data(housing, package = "MASS")
housing$row <- seq_len(nrow(housing))
housing$w <- housing$Freq * (1 + (housing$row %% 7) / 10)
housing$cl <- ((housing$row - 1) %% 20) + 1
formula <- Sat ~ Infl + Type + Cont

vcov_block <- function(V) list(se = named(sqrt(diag(V))), vcov = mat(V))

# ---- frequency weights: the expanded data
expanded <- housing[rep(seq_len(nrow(housing)), housing$Freq), ]
fit_exp <- clm(formula, data = expanded)
fit_freq <- clm(formula, weights = Freq, data = housing)
stopifnot(isTRUE(all.equal(coef(fit_exp), coef(fit_freq), tolerance = 1e-6)))
frequency <- list(
  call = paste(
    "clm(Sat ~ Infl + Type + Cont, data = expanded); sandwich(fit);",
    "vcovCL(fit, cluster = expanded$cl)"
  ),
  nobs = fit_exp$nobs,
  thresholds = named(fit_exp$alpha),
  coef = named(fit_exp$beta),
  loglik = as.numeric(logLik(fit_exp)),
  nonrobust = vcov_block(vcov(fit_exp)),
  robust = vcov_block(sandwich(fit_exp)),
  cluster = vcov_block(vcovCL(fit_exp, cluster = expanded$cl, type = "HC0", cadjust = TRUE)),
  n_clusters = length(unique(expanded$cl))
)

# ---- probability weights: svyolr
svy_block <- function(ids, label) {
  des <- svydesign(ids = ids, weights = ~w, data = housing)
  fit <- svyolr(formula, design = des, control = list(reltol = 1e-14, maxit = 10000))
  print(summary(fit))
  dn <- c(names(fit$coefficients), names(fit$zeta))
  V <- fit$var
  dimnames(V) <- list(dn, dn)
  V <- thresholds_first(V, names(fit$zeta))
  # cross-check with clm's analytic Hessian: H^-1 M H^-1
  cfit <- clm(formula, weights = w, data = housing)
  ef <- estfun(cfit)
  psu <- if (label == "ids = ~1") seq_len(nrow(housing)) else housing$cl
  z <- rowsum(ef, psu)
  m <- nrow(z)
  zc <- sweep(z, 2, colMeans(z))
  Vm <- vcov(cfit) %*% (crossprod(zc) * m / (m - 1)) %*% vcov(cfit)
  stopifnot(max(abs(sqrt(diag(Vm)) / sqrt(diag(V)) - 1)) < 1e-4)
  list(
    call = sprintf(
      "svyolr(Sat ~ Infl + Type + Cont, design = svydesign(%s, weights = ~w, data = housing), control = list(reltol = 1e-14))",
      label
    ),
    n_psu = m,
    thresholds = named(fit$zeta),
    coef = named(fit$coefficients),
    se = named(sqrt(diag(V))),
    vcov = mat(V),
    pseudo_loglik = as.numeric(logLik(cfit)),
    manual = c(list(thresholds = named(cfit$alpha), coef = named(cfit$beta)), vcov_block(Vm))
  )
}

out <- list(
  data = "housing.csv (MASS::housing, 72 cells); row = 1..72, w = Freq * (1 + (row %% 7) / 10), cl = ((row - 1) %% 20) + 1",
  levels = levels(housing$Sat),
  w = housing$w,
  cl = housing$cl,
  frequency = frequency,
  probability = svy_block(~1, "ids = ~1"),
  probability_cluster = svy_block(~cl, "ids = ~cl"),
  versions = versions(c("ordinal", "MASS", "survey", "sandwich"))
)
write_results(out, "ordinal_weights.json")
