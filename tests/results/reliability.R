# Reference values for copfactors.features.reliability, computed with R's psych package.
#
# Run from the repository root:  Rscript tests/results/reliability.R
# Writes, beside this script:
#   reliability_bfi_agreeableness.csv  raw data (psych::bfi A1..A5, as shipped, with missing values)
#   reliability_attitude.csv           raw data (datasets::attitude, 30 x 7)
#   reliability_commitment.csv         simulated 3-item Likert scale (seed 20240501, some missing)
#   reliability_summary.csv            one row per data set: psych::alpha and psych::omega results
#   reliability_items.csv              one row per data set and item: psych::alpha item statistics
#                                      and the one-factor minres loading
#
# Every statistic is computed on the listwise-complete rows (complete.cases), which is the
# missing-data policy of reliability(); psych's own default (pairwise) would differ when items
# have missing values. A1 of the agreeableness scale is reverse-keyed explicitly as 7 - A1
# (the items run from 1 to 6) before anything is computed.
suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
out_dir <- if (length(script) == 1) dirname(normalizePath(script)) else "tests/results"

cat("R:", R.version.string, " psych:", as.character(packageVersion("psych")),
    " GPArotation:", as.character(packageVersion("GPArotation")), "\n")

# --- data sets --------------------------------------------------------------------------------
data(bfi, package = "psych")
bfi_raw <- bfi[, c("A1", "A2", "A3", "A4", "A5")]
write.csv(bfi_raw, file.path(out_dir, "reliability_bfi_agreeableness.csv"), row.names = FALSE,
          na = "")
bfi_keyed <- bfi_raw
bfi_keyed$A1 <- 7 - bfi_keyed$A1

att <- datasets::attitude
write.csv(att, file.path(out_dir, "reliability_attitude.csv"), row.names = FALSE)

set.seed(20240501)
n <- 150
latent <- rnorm(n)
likert <- function(z) as.integer(cut(z, breaks = c(-Inf, -1.5, -0.5, 0.5, 1.5, Inf)))
commit <- data.frame(
  commitment_1 = likert(0.8 * latent + rnorm(n, sd = 0.6)),
  commitment_2 = likert(0.7 * latent + rnorm(n, sd = 0.7)),
  commitment_3 = likert(0.5 * latent + rnorm(n, sd = 0.9) + 0.3)
)
commit$commitment_2[c(5, 17, 88)] <- NA
commit$commitment_3[c(17, 120)] <- NA
write.csv(commit, file.path(out_dir, "reliability_commitment.csv"), row.names = FALSE, na = "")

sets <- list(bfi_agreeableness = bfi_keyed, attitude = att, commitment = commit)

# --- psych ------------------------------------------------------------------------------------
summary_rows <- list()
item_rows <- list()
for (name in names(sets)) {
  x <- sets[[name]]
  x <- x[complete.cases(x), ]
  a <- psych::alpha(x)
  # nfactors = 1: omega_h is not meaningful and psych says so; omega.tot is the quantity used.
  o <- suppressWarnings(suppressMessages(psych::omega(x, nfactors = 1, fm = "minres",
                                                      plot = FALSE)))
  f <- psych::fa(x, nfactors = 1, fm = "minres")
  cat("\n==== ", name, " (n = ", nrow(x), ")\n", sep = "")
  print(a$total)
  print(a$feldt)
  print(a$item.stats)
  print(a$alpha.drop[, "raw_alpha", drop = FALSE])
  cat("omega.tot =", format(o$omega.tot, digits = 15), "\n")
  summary_rows[[name]] <- data.frame(
    dataset = name,
    n = nrow(x),
    k = ncol(x),
    alpha = a$total$raw_alpha,
    alpha_std = a$total$std.alpha,
    alpha_ci_low = a$feldt$lower.ci[[1]],
    alpha_ci_high = a$feldt$upper.ci[[1]],
    alpha_se = a$total$ase,
    omega_total = o$omega.tot,
    mean = a$total$mean,
    sd = a$total$sd
  )
  item_rows[[name]] <- data.frame(
    dataset = name,
    item = rownames(a$item.stats),
    r = a$item.stats$raw.r,
    r_drop = a$item.stats$r.drop,
    alpha_if_deleted = a$alpha.drop$raw_alpha,
    mean = a$item.stats$mean,
    sd = a$item.stats$sd,
    loading = as.numeric(f$loadings[, 1])
  )
}
write.csv(do.call(rbind, summary_rows), file.path(out_dir, "reliability_summary.csv"),
          row.names = FALSE)
write.csv(do.call(rbind, item_rows), file.path(out_dir, "reliability_items.csv"),
          row.names = FALSE)
