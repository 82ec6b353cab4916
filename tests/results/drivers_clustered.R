# Reference results for copfactors.inspection.drivers: average marginal effects on the expected
# score (with delta-method standard errors) and general dominance weights of McFadden's R2.
#
# Data: clustered.csv (SIMULATED by ordinal_clustered.R): 600 rows, drivers hours_per_week
# (continuous), steward_present (0/1) and members (continuous), outcome attainment 1-4.
#
# For each link (logit, probit):
#   fit <- ordinal::clm(factor(attainment, ordered = TRUE) ~ hours_per_week + steward_present
#                       + members, link = link)
#   E[Y | x] = sum_k k P(Y = k | x), from predict(fit, newdata, type = "prob")
#   AME of a continuous driver: mean over rows of the central difference
#     (E(x + h) - E(x - h)) / (2 h), h = 1e-4;
#   AME of steward_present: mean over rows of E(steward_present = 1) - E(steward_present = 0)
#   delta-method SE: J V J' with J the numerical (central difference, step 1e-5) Jacobian of
#     the AMEs with respect to (thresholds, coefficients), recomputed from the parameters with
#     P(Y <= j) = F(theta_j - x'beta), and V = vcov(fit)
#   general dominance: clm with the same link on each of the 7 non-empty subsets of drivers;
#     McFadden R2 = 1 - logLik / logLik(clm(y ~ 1)); for each driver, the mean increment in R2
#     when it joins a subset of the others, averaged within each subset size, then over sizes
#     (Azen and Traxel 2009). Written out by the textbook double average, independently of the
#     weight formula copfactors uses.
#
# Writes drivers_clustered.json. Run: Rscript tests/results/drivers_clustered.R

source(file.path(local({
  a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else getwd()
}), "ordinal_helpers.R"))
suppressPackageStartupMessages(library(ordinal))

d <- read.csv(file.path(results_dir(), "clustered.csv"))
d$y <- factor(d$attainment, ordered = TRUE)
drivers <- c("hours_per_week", "steward_present", "members")
X <- as.matrix(d[, drivers])
scores <- as.numeric(levels(d$y))

expected_from <- function(par, Xm, cdf) {
  J <- length(scores) - 1
  theta <- par[1:J]
  beta <- par[-(1:J)]
  eta <- drop(Xm %*% beta)
  cum <- cbind(0, sapply(theta, function(t) cdf(t - eta)), 1)
  probs <- cum[, -1, drop = FALSE] - cum[, -ncol(cum), drop = FALSE]
  drop(probs %*% scores)
}

ame_from <- function(par, cdf, h = 1e-4) {
  out <- numeric(length(drivers))
  for (k in seq_along(drivers)) {
    if (drivers[k] == "steward_present") {
      X1 <- X; X1[, k] <- 1
      X0 <- X; X0[, k] <- 0
      out[k] <- mean(expected_from(par, X1, cdf) - expected_from(par, X0, cdf))
    } else {
      Xp <- X; Xp[, k] <- Xp[, k] + h
      Xm <- X; Xm[, k] <- Xm[, k] - h
      out[k] <- mean((expected_from(par, Xp, cdf) - expected_from(par, Xm, cdf)) / (2 * h))
    }
  }
  out
}

general_dominance <- function(link) {
  null_ll <- as.numeric(logLik(clm(y ~ 1, data = d, link = link)))
  p <- length(drivers)
  r2 <- list()
  r2[[""]] <- 0
  key <- function(s) paste(sort(s), collapse = "+")
  for (k in 1:p) {
    for (s in combn(drivers, k, simplify = FALSE)) {
      f <- as.formula(paste("y ~", paste(s, collapse = " + ")))
      ll <- as.numeric(logLik(clm(f, data = d, link = link)))
      r2[[key(s)]] <- 1 - ll / null_ll
    }
  }
  get_r2 <- function(s) if (length(s) == 0) 0 else r2[[key(s)]]
  gd <- sapply(drivers, function(x) {
    others <- setdiff(drivers, x)
    by_size <- sapply(0:(p - 1), function(k) {
      subsets <- if (k == 0) list(character(0)) else combn(others, k, simplify = FALSE)
      mean(sapply(subsets, function(s) get_r2(c(s, x)) - get_r2(s)))
    })
    mean(by_size)
  })
  list(general_dominance = named(gd), subset_r2 = r2[names(r2) != ""], null_loglik = null_ll)
}

out <- list(versions = versions(c("ordinal")))
for (link in c("logit", "probit")) {
  cdf <- if (link == "logit") plogis else pnorm
  fit <- clm(y ~ hours_per_week + steward_present + members, data = d, link = link)
  par <- c(fit$alpha, fit$beta)
  V <- vcov(fit)[names(par), names(par)]
  ame <- ame_from(par, cdf)
  # the AME of predict() must agree with the hand-computed probabilities
  pr <- predict(fit, newdata = d[, drivers], type = "prob")$fit
  stopifnot(max(abs(drop(pr %*% scores) - expected_from(par, X, cdf))) < 1e-10)
  step <- 1e-5
  Jm <- sapply(seq_along(par), function(i) {
    up <- par; up[i] <- up[i] + step
    dn <- par; dn[i] <- dn[i] - step
    (ame_from(up, cdf) - ame_from(dn, cdf)) / (2 * step)
  })
  ame_se <- sqrt(diag(Jm %*% V %*% t(Jm)))
  gd <- general_dominance(link)
  out[[link]] <- c(
    list(
      call = sprintf("clm(y ~ hours_per_week + steward_present + members, link = '%s')", link),
      coef = named(fit$beta),
      thresholds = named(fit$alpha),
      loglik = as.numeric(logLik(fit)),
      ame = named(setNames(ame, drivers)),
      ame_se = named(setNames(ame_se, drivers))
    ),
    gd
  )
}
write_results(out, "drivers_clustered.json")
