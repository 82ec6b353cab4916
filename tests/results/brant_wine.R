# Reference results: the Brant (1990) Wald test of the parallel-regression (proportional-odds)
# assumption.
#
# Brant, R. (1990). Assessing proportionality in the proportional odds model for ordinal
# logistic regression. Biometrics 46(4), 1171-1178. doi:10.2307/2532457
#
# The `brant` package is not installed here, so the test is written out below from the paper,
# following the same steps as brant::brant() (B. Schlegel, M. Steenbergen):
#   1. for each cut m = 1..J-1 fit the binary logit z_m = 1{y > m} ~ x (glm, binomial);
#      its slopes beta_m estimate the common beta of P(Y > m) = F(x'beta - theta_m);
#   2. stack the slopes b = (beta_1', ..., beta_{J-1}')' and estimate their joint covariance:
#      Var(beta_m)       = (X'W_m X)^{-1}                       (the glm's vcov),
#      Cov(beta_m,beta_l)= (X'W_m X)^{-1} X'W_ml X (X'W_l X)^{-1}   for m < l,
#      with X including the intercept column, W_m = diag(pi_m (1 - pi_m)),
#      W_ml = diag(pi_l - pi_m pi_l) (since y > l implies y > m), pi_m the glm's fitted values,
#      and the intercept rows/columns dropped afterwards;
#   3. omnibus Wald statistic of H0: beta_1 = ... = beta_{J-1}, with contrasts D b
#      (row block i compares beta_1 with beta_{i+1}):  X2 = (Db)'(D V D')^{-1}(Db),
#      df = (J-2) K; and the same per coefficient k using only its J-1 slopes, df = J-2.
#
# Two versions of the joint covariance V, and so of the omnibus statistic, are stored:
#   table            as brant::brant() computes it (brant 0.3-0, R/brant.R): the block for
#                    (l, m), l > m, is set to the SAME matrix as the block for (m, l), not to
#                    its transpose, so V is not symmetric when there are 2+ predictors;
#   table_symmetric  Brant (1990): Cov(beta_l, beta_m) = Cov(beta_m, beta_l)', V symmetric.
# The per-coefficient statistics use 1 x 1 blocks and are identical in both; the omnibus
# statistics differ slightly (0.004% on survey, 0.02% on housing, 0.3% on clustered).
# Frequency weights (housing) are handled by repeating rows; the weighted form (glm weights,
# W matrices multiplied by the weights) is checked to give the same numbers.
#
# Datasets:
#   wine       ordinal::wine, rating ~ temp + contact (columns tempwarm, contactyes).
#              No warm wine is rated 1 and no cold wine 5, so the binary fits for y > 1 and
#              y > 4 are quasi-separated in tempwarm (slopes near 28 when glm stops): the
#              omnibus and tempwarm statistics are limits that depend on where the fit stops
#              (symmetric omnibus 1.524459 with glm's default epsilon, 1.524477 with 1e-12);
#              contactyes is stable.
#              brant::brant() warns about empty cells in this case; separated_cuts records it.
#   clustered  clustered.csv (simulated, ordinal_clustered.R), attainment ~ hours_per_week +
#              steward_present + members
#   housing    MASS::housing, Sat ~ Infl + Type + Cont with weights Freq (rows repeated)
#   survey     MASS::survey, Smoke ~ Sex + Height, complete cases (n = 208): the example of the
#              brant package's documentation, whose printed output (brant 0.3-0, rdrr.io/cran/
#              brant/man/brant.html) is
#                  Omnibus 3.28 df 4 p 0.51; SexMale 1.58 df 2 p 0.45; Height 0.02 df 2 p 0.99
#              and is checked below to 2 decimals. survey_smoke.csv holds those 208 rows.
#
# Writes brant.json (per dataset: `table` and `table_symmetric` with rows omnibus and each
# coefficient, term / chi2 / df / p, plus the per-cut binary slopes and their symmetric joint
# covariance) and survey_smoke.csv.
#
# Run: Rscript tests/results/brant_wine.R

source(file.path(local({
  a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)])
  if (length(f) == 1L) dirname(normalizePath(f)) else getwd()
}), "ordinal_helpers.R"))
suppressPackageStartupMessages({
  library(ordinal)
  library(MASS)
})

# y: integer codes 1..J; X: numeric matrix of predictors without intercept; w: frequency weights.
brant_test <- function(y, X, w = rep(1, length(y))) {
  J <- max(y)
  K <- ncol(X)
  Xi <- cbind("(Intercept)" = 1, X)
  cuts <- seq_len(J - 1)
  fits <- lapply(cuts, function(m) {
    z <- as.numeric(y > m)
    withCallingHandlers(
      glm.fit(Xi, z, weights = w, family = binomial(), control = glm.control(epsilon = 1e-12, maxit = 100)),
      warning = function(cond) {
        message("cut ", m, ": ", conditionMessage(cond))
        invokeRestart("muffleWarning")
      }
    )
  })
  slopes <- t(sapply(fits, function(f) f$coefficients[-1]))
  pi_hat <- sapply(fits, function(f) f$fitted.values)
  info <- lapply(cuts, function(m) crossprod(Xi, Xi * (w * pi_hat[, m] * (1 - pi_hat[, m]))))
  inv <- lapply(info, solve)
  V <- V_pkg <- matrix(0, (J - 1) * K, (J - 1) * K)
  blk <- function(m) ((m - 1) * K + 1):(m * K)
  for (m in cuts) {
    V[blk(m), blk(m)] <- V_pkg[blk(m), blk(m)] <- inv[[m]][-1, -1]
    for (l in cuts[cuts > m]) {
      cross <- crossprod(Xi, Xi * (w * (pi_hat[, l] - pi_hat[, m] * pi_hat[, l])))
      C <- (inv[[m]] %*% cross %*% inv[[l]])[-1, -1, drop = FALSE]
      V[blk(m), blk(l)] <- V_pkg[blk(m), blk(l)] <- C
      V[blk(l), blk(m)] <- t(C)
      V_pkg[blk(l), blk(m)] <- C # as brant::brant()
    }
  }
  b <- as.vector(t(slopes)) # beta_1', beta_2', ...
  contrast <- cbind(1, -diag(J - 2)) # (J-2) x (J-1): slope at cut 1 minus slope at cut i+1
  D <- kronecker(contrast, diag(K))
  wald <- function(Dm, bm, Vm) {
    d <- Dm %*% bm
    as.numeric(t(d) %*% solve(Dm %*% Vm %*% t(Dm), d))
  }
  statistics <- function(V) {
    chi2 <- wald(D, b, V)
    for (k in seq_len(K)) {
      s <- seq(k, (J - 1) * K, by = K)
      chi2 <- c(chi2, wald(contrast, b[s], V[s, s]))
    }
    chi2
  }
  chi2 <- statistics(V_pkg)
  chi2_sym <- statistics(V)
  stopifnot(isTRUE(all.equal(chi2[-1], chi2_sym[-1], tolerance = 1e-12)))
  df <- c((J - 2) * K, rep(J - 2, K))
  # Cuts where some category-by-covariate pattern is empty give (quasi-)separated binary fits:
  # slopes drift to +-infinity and the omnibus statistic is only defined as a limit.
  eps <- 1e-8
  separated <- cuts[apply(pi_hat, 2, function(p) any(p < eps | p > 1 - eps))]
  names_ <- c("omnibus", colnames(X))
  dimnames(slopes) <- list(paste0("y>", cuts), colnames(X))
  rownames(V) <- colnames(V) <- paste0(rep(paste0("y>", cuts), each = K), ":", rep(colnames(X), J - 1))
  list(
    table = list(term = names_, chi2 = chi2, df = df, p = pchisq(chi2, df, lower.tail = FALSE)),
    table_symmetric = list(
      term = names_, chi2 = chi2_sym, df = df, p = pchisq(chi2_sym, df, lower.tail = FALSE)
    ),
    binary_slopes = list(cut = rownames(slopes), columns = colnames(slopes), matrix = unname(slopes)),
    slopes_vcov = mat(V),
    separated_cuts = I(separated)
  )
}

print_table <- function(res, label) {
  cat("\nBrant test,", label, "\n")
  print(data.frame(res$table), digits = 6)
  cat("omnibus with the symmetric covariance:", format(res$table_symmetric$chi2[1], digits = 8), "\n")
}

out <- list()

# wine
data(wine, package = "ordinal")
Xw <- model.matrix(~ temp + contact, data = wine)[, -1, drop = FALSE]
out$wine <- brant_test(as.integer(wine$rating), Xw)
out$wine$call <- "polr(rating ~ temp + contact, data = wine); Brant test"
print_table(out$wine, "wine")

# simulated clustered data
clustered <- read.csv(file.path(results_dir(), "clustered.csv"))
Xc <- as.matrix(clustered[, c("hours_per_week", "steward_present", "members")])
out$clustered <- brant_test(clustered$attainment, Xc)
out$clustered$call <- "polr(attainment ~ hours_per_week + steward_present + members, data = clustered); Brant test"
print_table(out$clustered, "clustered")

# housing with frequency weights: repeated rows, and the weighted form must agree
data(housing, package = "MASS")
Xh <- model.matrix(~ Infl + Type + Cont, data = housing)[, -1, drop = FALSE]
rows <- rep(seq_len(nrow(housing)), housing$Freq)
out$housing <- brant_test(as.integer(housing$Sat)[rows], Xh[rows, , drop = FALSE])
out$housing$call <- "polr(Sat ~ Infl + Type + Cont, weights = Freq, data = housing); Brant test on rows repeated Freq times"
hw <- brant_test(as.integer(housing$Sat), Xh, w = housing$Freq)
stopifnot(isTRUE(all.equal(hw$table$chi2, out$housing$table$chi2, tolerance = 1e-8)))
stopifnot(isTRUE(all.equal(hw$table_symmetric$chi2, out$housing$table_symmetric$chi2, tolerance = 1e-8)))
print_table(out$housing, "housing (Freq weights)")

# survey: the brant package's documented example
survey <- MASS::survey
survey$Smoke <- ordered(survey$Smoke, levels = c("Never", "Occas", "Regul", "Heavy"))
survey <- survey[complete.cases(survey[, c("Smoke", "Sex", "Height")]), ]
stopifnot(nrow(survey) == nrow(MASS::survey) - 29)
Xs <- model.matrix(~ Sex + Height, data = survey)[, -1, drop = FALSE]
out$survey <- brant_test(as.integer(survey$Smoke), Xs)
out$survey$call <- "polr(Smoke ~ Sex + Height, data = survey, Hess = TRUE); brant(model1)"
print_table(out$survey, "survey")
published <- list(chi2 = c(3.28, 1.58, 0.02), df = c(4, 2, 2), p = c(0.51, 0.45, 0.99))
# both versions print the published numbers
stopifnot(all(round(out$survey$table$chi2, 2) == published$chi2))
stopifnot(all(round(out$survey$table_symmetric$chi2, 2) == published$chi2))
stopifnot(all(out$survey$table$df == published$df))
stopifnot(all(round(out$survey$table$p, 2) == published$p))
stopifnot(all(round(out$survey$table_symmetric$p, 2) == published$p))
psurv <- polr(Smoke ~ Sex + Height, data = survey, Hess = TRUE)
print(summary(psurv))
out$survey$published <- c(
  list(source = "brant 0.3-0 documentation example output, https://rdrr.io/cran/brant/man/brant.html",
       term = c("omnibus", "SexMale", "Height")),
  published,
  list(polr_coef = list(SexMale = 0.09478, Height = 0.02785),
       polr_thresholds = list("Never|Occas" = 6.3113, "Occas|Regul" = 6.9224, "Regul|Heavy" = 7.8802),
       polr_residual_deviance = 287.0276)
)
out$survey$polr <- list(
  coef = named(coef(psurv)), thresholds = named(psurv$zeta),
  loglik = as.numeric(logLik(psurv)), deviance = psurv$deviance
)
write_data(data.frame(
  Smoke = as.integer(survey$Smoke), Smoke_label = as.character(survey$Smoke),
  Sex = as.character(survey$Sex), Height = survey$Height, SexMale = Xs[, "SexMale"]
), "survey_smoke.csv")

out$versions <- versions(c("ordinal", "MASS"))
write_results(out, "brant.json")
