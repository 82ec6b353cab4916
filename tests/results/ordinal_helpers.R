# Shared helpers for the ordinal-model reference scripts in tests/results/ (ordinal_*.R,
# nominal_test.R, brant_wine.R).
#
# Every script sources this file, fits models with R's reference implementations and writes
# the numbers it printed as JSON (full double precision) beside itself, so that the Python
# tests can compare without R. Re-run any script with `Rscript tests/results/<name>.R`.

suppressPackageStartupMessages({
  library(jsonlite)
})

# Directory of the running script, so outputs land beside it whatever the working directory.
results_dir <- function() {
  args <- commandArgs(trailingOnly = FALSE)
  f <- sub("^--file=", "", args[grep("^--file=", args)])
  if (length(f) == 1L) dirname(normalizePath(f)) else getwd()
}

# A named vector as a JSON object (names kept in order).
named <- function(x) as.list(x)

# A square matrix as {"names": [...], "matrix": [[row], ...]}.
mat <- function(m) list(names = rownames(m), matrix = unname(m))

# Reorder a parameter vector or matrix so thresholds come first, then coefficients: the order
# copfactors uses for cov_. polr stores coefficients first; clm already puts thresholds first.
thresholds_first <- function(m, thresholds) {
  idx <- c(match(thresholds, rownames(m)), setdiff(seq_len(nrow(m)), match(thresholds, rownames(m))))
  m[idx, idx, drop = FALSE]
}

versions <- function(pkgs) {
  c(list(R = R.version.string), setNames(lapply(pkgs, function(p) as.character(packageVersion(p))), pkgs))
}

write_results <- function(x, name) {
  path <- file.path(results_dir(), name)
  write_json(x, path, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
  message("wrote ", path)
}

write_data <- function(df, name) {
  path <- file.path(results_dir(), name)
  write.csv(df, path, row.names = FALSE)
  message("wrote ", path)
}

# Everything the tests need from one clm fit (thresholds first, as clm stores them).
clm_summary <- function(fit, call_text) {
  V <- vcov(fit)
  list(
    call = call_text,
    link = fit$link,
    n = fit$n,
    nobs = fit$nobs,
    thresholds = named(fit$alpha),
    coef = named(fit$beta),
    se = named(sqrt(diag(V))),
    vcov = mat(V),
    loglik = as.numeric(logLik(fit)),
    df = attr(logLik(fit), "df"),
    aic = AIC(fit),
    bic = BIC(fit),
    bic_nobs = nobs(fit),
    niter = as.numeric(fit$niter[1]),
    max_abs_gradient = fit$maxGradient,
    convergence = fit$convergence$code
  )
}
