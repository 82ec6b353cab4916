# Reference results: robust and cluster-robust covariances on simulated clustered data.
#
# The data are SIMULATED here (set.seed below): 600 members of 30 communities of practice
# (cop_id, 20 each), three drivers and a 4-level attainment outcome. A community effect
# makes the rows of one cop_id correlated, and the noise scale depends on steward_present so
# that the proportional-odds assumption is mildly violated (useful for nominal and Brant tests).
#
#   fit  <- MASS::polr(attainment ~ hours_per_week + steward_present + members, Hess = TRUE)
#   sandwich::sandwich(fit)                  # HC0: bread %*% meat %*% bread / n
#   sandwich::vcovCL(fit, cluster = ~cop_id) # defaults: type = "HC0", cadjust = TRUE (G/(G-1))
#
# sandwich 3.x has estfun/bread methods for both polr and clm. polr orders its parameters
# coefficients first, then zeta (the thresholds); everything written here is reordered to
# thresholds first, as in copfactors' cov_. polr's Hessian is a finite-difference Hessian
# (optimHess) at polr's looser optimum (coefficients within ~1e-6 of clm's), clm's is analytic
# at a tighter optimum, so the clm-based matrices are the primary reference and the polr-based
# ones are stored as a cross-check (their SEs agree to within 3e-4 relative).
# The same three covariances are also stored for clm fits with the probit and cloglog links.
#
# Writes:
#   clustered.csv                 the simulated data
#   ordinal_clustered.json        per link: thresholds, coef, logLik, AIC, BIC, and
#                                 nonrobust / robust (HC0) / cluster vcov and SEs
#
# Run: Rscript tests/results/ordinal_clustered.R

source(file.path(local({
  a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else getwd()
}), "ordinal_helpers.R"))
suppressPackageStartupMessages({
  library(ordinal)
  library(MASS)
  library(sandwich)
})

set.seed(20240611)
n_cop <- 30
per_cop <- 20
cop_id <- rep(seq_len(n_cop), each = per_cop)
n <- length(cop_id)
cop_effect <- rnorm(n_cop, sd = 0.7)[cop_id]
hours_per_week <- round(rgamma(n, shape = 2, scale = 1.5), 1)
steward_present <- rbinom(n, 1, 0.55)
members <- sample(5:60, n, replace = TRUE)
eta <- 0.35 * hours_per_week + 0.7 * steward_present - 0.015 * members + cop_effect
latent <- eta + rlogis(n) * (1 + 0.4 * steward_present)
attainment <- as.integer(cut(latent, c(-Inf, -0.5, 1, 2.5, Inf)))
clustered <- data.frame(cop_id, hours_per_week, steward_present, members, attainment)
print(table(clustered$attainment))
write_data(clustered, "clustered.csv")

clustered$attainment <- factor(clustered$attainment, levels = 1:4, ordered = TRUE)
formula <- attainment ~ hours_per_week + steward_present + members

vcov_block <- function(V) list(se = named(sqrt(diag(V))), vcov = mat(V))

out <- list(
  data = "clustered.csv (simulated, set.seed(20240611))",
  formula = deparse(formula),
  cluster_variable = "cop_id",
  n_clusters = n_cop,
  cluster_type = "HC0",
  cadjust = TRUE
)

for (link in c("logit", "probit", "cloglog")) {
  fit <- clm(formula, data = clustered, link = link)
  print(summary(fit))
  res <- clm_summary(fit, sprintf('clm(%s, data = clustered, link = "%s")', deparse(formula), link))
  V_hc0 <- sandwich(fit)
  V_cl <- vcovCL(fit, cluster = ~cop_id)
  stopifnot(isTRUE(all.equal(V_cl, vcovCL(fit, cluster = clustered$cop_id, type = "HC0", cadjust = TRUE))))
  res$robust <- vcov_block(V_hc0)
  res$cluster <- vcov_block(V_cl)
  res$loglik_null <- as.numeric(logLik(clm(attainment ~ 1, data = clustered, link = link)))
  out[[link]] <- res
}

# The same logit model with MASS::polr, as the brief for sandwich's polr methods.
pfit <- polr(formula, data = clustered, Hess = TRUE, method = "logistic")
print(summary(pfit))
th <- names(pfit$zeta)
Vp <- thresholds_first(vcov(pfit), th)
Vp_hc0 <- thresholds_first(sandwich(pfit), th)
Vp_cl <- thresholds_first(vcovCL(pfit, cluster = ~cop_id), th)
out$polr <- list(
  call = sprintf("polr(%s, data = clustered, Hess = TRUE)", deparse(formula)),
  thresholds = named(pfit$zeta),
  coef = named(coef(pfit)),
  loglik = as.numeric(logLik(pfit)),
  nonrobust = vcov_block(Vp),
  robust = vcov_block(Vp_hc0),
  cluster = vcov_block(Vp_cl)
)
cat("max relative difference polr vs clm (cluster SE):",
    max(abs(sqrt(diag(Vp_cl)) / unlist(out$logit$cluster$se) - 1)), "\n")
out$versions <- versions(c("ordinal", "MASS", "sandwich"))
write_results(out, "ordinal_clustered.json")
