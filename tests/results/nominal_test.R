# Reference results: likelihood-ratio tests of the proportional-odds assumption per predictor
# (ordinal::nominal_test) and partial proportional-odds fits (clm with nominal = ~ ...).
#
#   nominal_test(clm(rating ~ temp + contact, data = wine))
#   nominal_test(clm(attainment ~ hours_per_week + steward_present + members, data = clustered))
#   clm(rating ~ temp, nominal = ~ contact, data = wine)
#   clm(attainment ~ hours_per_week + members, nominal = ~ steward_present, data = clustered)
#
# nominal_test refits the model once per term with that term moved into `nominal`, so it gets
# one effect per threshold; the row for the term holds the refit's Df (number of extra
# parameters), logLik, AIC, LRT = 2 * (logLik_term - logLik_<none>) and Pr(>Chi).
#
# Sign convention of R's nominal effects: clm writes a nominal effect INTO the threshold,
#     P(Y <= j | x, w) = F(theta_j + w' gamma_j - x' beta),
# and names it "j|j+1.w" (alpha); the intercept part of each threshold is "j|j+1.(Intercept)".
# In the "per-cut slope" form P(Y <= j) = F(theta_j - x'beta - w'beta_j) the per-cut slope is
# beta_j = -gamma_j: a positive R nominal coefficient means w LOWERS the response at that cut.
#
# Data: wine.csv (ordinal::wine) and clustered.csv (written by ordinal_clustered.R).
# Writes nominal_test.json.
#
# Run: Rscript tests/results/nominal_test.R

source(file.path(local({
  a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else getwd()
}), "ordinal_helpers.R"))
suppressPackageStartupMessages(library(ordinal))

data(wine, package = "ordinal")
clustered <- read.csv(file.path(results_dir(), "clustered.csv"))
clustered$attainment <- factor(clustered$attainment, levels = 1:4, ordered = TRUE)

table_of <- function(nt) {
  nt <- as.data.frame(nt)
  list(
    term = rownames(nt), df = nt$Df, loglik = nt$logLik, aic = nt$AIC,
    lrt = nt$LRT, p = nt$`Pr(>Chi)`
  )
}

partial_fit <- function(fit, call_text) {
  list(
    call = call_text,
    alpha = named(fit$alpha),
    beta = named(fit$beta),
    se = named(sqrt(diag(vcov(fit)))),
    loglik = as.numeric(logLik(fit)),
    df = attr(logLik(fit), "df"),
    max_abs_gradient = fit$maxGradient
  )
}

fit_w <- clm(rating ~ temp + contact, data = wine)
nt_w <- nominal_test(fit_w)
print(nt_w)
pp_w <- clm(rating ~ temp, nominal = ~contact, data = wine)
print(summary(pp_w))

fit_c <- clm(attainment ~ hours_per_week + steward_present + members, data = clustered)
nt_c <- nominal_test(fit_c)
print(nt_c)
pp_c <- clm(attainment ~ hours_per_week + members, nominal = ~steward_present, data = clustered)
print(summary(pp_c))

# The per-term logLik in nominal_test is the logLik of exactly these partial fits.
stopifnot(abs(nt_w["contact", "logLik"] - as.numeric(logLik(pp_w))) < 1e-6)
stopifnot(abs(nt_c["steward_present", "logLik"] - as.numeric(logLik(pp_c))) < 1e-6)

write_results(list(
  sign_convention = paste(
    "P(Y <= j) = F(theta_j + w'gamma_j - x'beta); R's nominal coefficient 'j|j+1.w' is gamma_j;",
    "the per-cut slope in P(Y <= j) = F(theta_j - x'beta_j) is beta_j = -gamma_j"),
  wine = list(
    call = "nominal_test(clm(rating ~ temp + contact, data = wine))",
    columns = list(temp = "tempwarm", contact = "contactyes"),
    table = table_of(nt_w),
    partial = partial_fit(pp_w, "clm(rating ~ temp, nominal = ~contact, data = wine)")
  ),
  clustered = list(
    call = "nominal_test(clm(attainment ~ hours_per_week + steward_present + members, data = clustered))",
    table = table_of(nt_c),
    partial = partial_fit(pp_c, "clm(attainment ~ hours_per_week + members, nominal = ~steward_present, data = clustered)")
  ),
  versions = versions("ordinal")
), "nominal_test.json")
