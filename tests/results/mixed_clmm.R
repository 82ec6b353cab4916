# Reference results: cumulative link mixed models (random intercept) with ordinal::clmm.
#
#   clmm(rating ~ temp + contact + (1 | judge), data = wine, link = L, nAGQ = Q)
#     for L in logit, probit, cloglog and Q in 1 (Laplace), 10 (adaptive Gauss-Hermite)
#   clmm(SURENESS ~ PROD + (1 | RESP), data = soup, link = "logit", nAGQ = Q), Q in 1, 10
#
# Model: P(Y <= j | x, u) = F(theta_j - x'beta - u), u ~ N(0, sigma^2) per group, the
# parameterisation of copfactors.MixedOrdinalRegression. clmm's optimiser (nlminb) is run with
# tight tolerances so that its estimates are converged to well below the 1e-4 of the tests.
# Writes mixed_<data>_<link>_agq<Q>.json: thresholds, coef, sigma (clmm's ST), logLik, AIC,
# BIC, SEs from clmm's (numerical) Hessian with log(sigma) as clmm parameterises it, the
# conditional modes of the random effects (ranef) and their conditional variances (condVar),
# clmm's maximum absolute gradient at the optimum and the number of observations and groups;
# and soup.csv (the soup data: SURENESS, PROD, RESP).
#
# The complementary log-log link: in ordinal 2022.11.16 (Debian's r-cran-ordinal), clmm's
# link = "cloglog" evaluates the likelihood of the log-log distribution F(x) = exp(-exp(-x))
# and link = "loglog" that of the cloglog one F(x) = 1 - exp(-exp(x)) (clm is not affected).
# Checked three ways: clmm(link = "loglog") reaches logLik -81.54125, which equals the exact
# marginal likelihood of the cloglog model computed by adaptive numerical integration per
# judge (scipy.integrate.quad) at the same estimates; clmm(link = "cloglog")'s reported
# logLik, -82.73, is the Laplace value of the log-log model at its estimates, while the exact
# cloglog likelihood there is -88.86. The cloglog reference is therefore clmm's "loglog" fit
# (the call is recorded in the JSON).
#
# Run: Rscript tests/results/mixed_clmm.R

source(file.path(local({
  a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else getwd()
}), "ordinal_helpers.R"))
suppressPackageStartupMessages(library(ordinal))

data(wine, package = "ordinal")
data(soup, package = "ordinal")
write_data(
  data.frame(
    sureness = as.integer(as.character(soup$SURENESS)),
    prod_test = as.integer(soup$PROD == "Test"),
    resp = as.integer(as.character(soup$RESP))
  ),
  "soup.csv"
)

control <- clmm.control(
  method = "nlminb", gradTol = 1e-10, rel.tol = 1e-15, x.tol = 1e-14,
  eval.max = 10000, iter.max = 5000
)

one <- function(fit, call_text, group) {
  V <- vcov(fit)
  modes <- ranef(fit)[[group]][, 1]
  cv <- condVar(fit)[[group]][, 1]
  list(
    call = call_text,
    link = fit$link,
    nAGQ = fit$nAGQ,
    nobs = nrow(fit$model),
    n_groups = length(modes),
    thresholds = named(fit$alpha),
    coef = named(fit$beta),
    sigma = unname(fit$ST[[1]][1, 1]),
    loglik = as.numeric(logLik(fit)),
    aic = AIC(fit),
    bic = BIC(fit),
    se = named(sqrt(diag(V))),
    vcov = mat(V),
    ranef_mode = modes,
    ranef_condvar = cv,
    ranef_levels = rownames(ranef(fit)[[group]]),
    max_gradient = max(abs(fit$gradient)),
    versions = versions("ordinal")
  )
}

r_link <- c(logit = "logit", probit = "probit", cloglog = "loglog")  # see above
for (link in names(r_link)) {
  for (q in c(1L, 10L)) {
    fit <- clmm(rating ~ temp + contact + (1 | judge), data = wine, link = r_link[[link]],
                nAGQ = q, control = control)
    txt <- sprintf('clmm(rating ~ temp + contact + (1 | judge), data = wine, link = "%s", nAGQ = %d)', r_link[[link]], q)
    print(summary(fit))
    write_results(one(fit, txt, "judge"), sprintf("mixed_wine_%s_agq%d.json", link, q))
  }
}
for (q in c(1L, 10L)) {
  fit <- clmm(SURENESS ~ PROD + (1 | RESP), data = soup, link = "logit", nAGQ = q,
              control = control)
  txt <- sprintf('clmm(SURENESS ~ PROD + (1 | RESP), data = soup, link = "logit", nAGQ = %d)', q)
  print(summary(fit))
  write_results(one(fit, txt, "RESP"), sprintf("mixed_soup_logit_agq%d.json", q))
}
