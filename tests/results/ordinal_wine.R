# Reference results: cumulative link models for the wine data (Randall 1989), ordinal::wine.
#
#   clm(rating ~ temp + contact, data = wine, link = "logit" | "probit" | "cloglog")
#
# Model: P(rating <= j | x) = F(theta_j - x'beta), the parameterisation copfactors uses.
# Writes:
#   wine.csv                     the data, with R's treatment-contrast dummies tempwarm, contactyes
#   ordinal_wine_<link>.json     thresholds, coef, SE, full vcov (thresholds first), logLik, AIC,
#                                BIC (BIC uses nobs = 72), the coefficient table (z, p), Wald CIs,
#                                the null-model logLik and LR test, and predicted probabilities
#                                for the four temp x contact cells
#   ordinal_wine_sandwich.json   logit fit: sandwich::sandwich (HC0) and
#                                sandwich::vcovCL(cluster = judge) (HC0, G/(G-1)), thresholds first
#
# Run: Rscript tests/results/ordinal_wine.R

source(file.path(local({
  a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else getwd()
}), "ordinal_helpers.R"))
suppressPackageStartupMessages({
  library(ordinal)
  library(sandwich)
})

data(wine, package = "ordinal")
design <- model.matrix(~ temp + contact, data = wine)
wine_out <- data.frame(
  response = wine$response,
  rating = as.integer(as.character(wine$rating)),
  temp = as.character(wine$temp),
  contact = as.character(wine$contact),
  bottle = as.integer(as.character(wine$bottle)),
  judge = as.integer(as.character(wine$judge)),
  tempwarm = design[, "tempwarm"],
  contactyes = design[, "contactyes"]
)
write_data(wine_out, "wine.csv")

cells <- expand.grid(temp = levels(wine$temp), contact = levels(wine$contact))
null_fit <- clm(rating ~ 1, data = wine)

for (link in c("logit", "probit", "cloglog")) {
  fit <- clm(rating ~ temp + contact, data = wine, link = link)
  print(summary(fit))
  out <- clm_summary(fit, sprintf('clm(rating ~ temp + contact, data = wine, link = "%s")', link))
  tab <- coef(summary(fit))
  out$coef_table <- list(
    term = rownames(tab), estimate = unname(tab[, 1]), se = unname(tab[, 2]),
    z = unname(tab[, 3]), p = unname(tab[, 4])
  )
  ci <- confint(fit, type = "Wald", level = 0.95)
  out$wald_ci <- list(term = rownames(ci), low = unname(ci[, 1]), high = unname(ci[, 2]))
  null_l <- clm(rating ~ 1, data = wine, link = link)
  lr <- anova(null_l, fit)
  print(lr)
  out$loglik_null <- as.numeric(logLik(null_l))
  out$lr_test <- list(stat = lr$LR.stat[2], df = lr$df[2], p = lr$`Pr(>Chisq)`[2])
  prob <- predict(fit, newdata = cells, type = "prob")$fit
  out$predict_proba <- list(
    tempwarm = as.integer(cells$temp == "warm"),
    contactyes = as.integer(cells$contact == "yes"),
    levels = colnames(prob),
    prob = unname(prob)
  )
  out$versions <- versions(c("ordinal", "sandwich"))
  write_results(out, sprintf("ordinal_wine_%s.json", link))
}

fit <- clm(rating ~ temp + contact, data = wine, link = "logit")
V_hc0 <- sandwich(fit)
# vcovCL default for a non-lm fit: type = "HC0", cadjust = TRUE (G / (G - 1)).
V_cl <- vcovCL(fit, cluster = wine$judge)
V_cl_check <- vcovCL(fit, cluster = wine$judge, type = "HC0", cadjust = TRUE)
stopifnot(all.equal(V_cl, V_cl_check))
print(sqrt(diag(V_hc0)))
print(sqrt(diag(V_cl)))
write_results(list(
  call = 'clm(rating ~ temp + contact, data = wine); sandwich(fit); vcovCL(fit, cluster = wine$judge)',
  robust = list(se = named(sqrt(diag(V_hc0))), vcov = mat(V_hc0)),
  cluster = list(
    cluster_variable = "judge", n_clusters = nlevels(wine$judge),
    type = "HC0", cadjust = TRUE,
    se = named(sqrt(diag(V_cl))), vcov = mat(V_cl)
  ),
  versions = versions(c("ordinal", "sandwich"))
), "ordinal_wine_sandwich.json")
