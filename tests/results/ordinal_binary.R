# Reference results: a binary outcome (K = 2), where the cumulative logit model is logistic
# regression with intercept = -threshold.
#
# Data: clustered.csv (written by ordinal_clustered.R), attained = attainment >= 3.
#
#   glm(attained ~ hours_per_week + steward_present + members, family = binomial)
#   clm(factor(attained) ~ hours_per_week + steward_present + members)          # logit
#   clm(..., link = "probit"), clm(..., link = "cloglog")
#   sandwich::sandwich(glm) (HC0) and sandwich::vcovCL(glm, cluster = ~cop_id) (HC0, G/(G-1))
#
# clm's threshold "FALSE|TRUE" equals -(Intercept) of the glm; the slopes are identical.
# Writes ordinal_binary.json.
#
# Run: Rscript tests/results/ordinal_binary.R

source(file.path(local({
  a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else getwd()
}), "ordinal_helpers.R"))
suppressPackageStartupMessages({
  library(ordinal)
  library(sandwich)
})

clustered <- read.csv(file.path(results_dir(), "clustered.csv"))
clustered$attained <- clustered$attainment >= 3
print(table(clustered$attained))

g <- glm(attained ~ hours_per_week + steward_present + members, family = binomial, data = clustered)
print(summary(g))
out <- list(
  data = "clustered.csv, attained = attainment >= 3",
  n_attained = sum(clustered$attained),
  glm = list(
    call = "glm(attained ~ hours_per_week + steward_present + members, family = binomial, data = clustered)",
    coef = named(coef(g)),
    se = named(sqrt(diag(vcov(g)))),
    vcov = mat(vcov(g)),
    loglik = as.numeric(logLik(g)),
    aic = AIC(g),
    bic = BIC(g),
    robust = list(se = named(sqrt(diag(sandwich(g)))), vcov = mat(sandwich(g))),
    cluster = list(se = named(sqrt(diag(vcovCL(g, cluster = ~cop_id)))),
                   vcov = mat(vcovCL(g, cluster = ~cop_id)))
  )
)

clustered$attained_f <- factor(clustered$attained, levels = c(FALSE, TRUE))
for (link in c("logit", "probit", "cloglog")) {
  fit <- clm(attained_f ~ hours_per_week + steward_present + members, data = clustered, link = link)
  print(summary(fit))
  res <- clm_summary(fit, sprintf(
    'clm(factor(attained) ~ hours_per_week + steward_present + members, data = clustered, link = "%s")', link))
  res$loglik_null <- as.numeric(logLik(clm(attained_f ~ 1, data = clustered, link = link)))
  out[[link]] <- res
}
stopifnot(abs(out$logit$thresholds[[1]] + coef(g)[["(Intercept)"]]) < 1e-5)
stopifnot(abs(out$logit$loglik - out$glm$loglik) < 1e-8)
out$versions <- versions(c("ordinal", "sandwich"))
write_results(out, "ordinal_binary.json")
