# Reference values for copfactors.replicate.group_comparison.
#
# Simulates a small survey (60 respondents, seed 20240611), writes it to
# group_comparison_survey.csv, and writes to group_comparison.csv, for every answer column and
# for the two groupings (gender: man vs woman; age_band: three levels):
#   - per group: n, mean, sd
#   - gender: t.test(var.equal = TRUE) and t.test(var.equal = FALSE) of man - woman
#   - Levene's test centred on the means (as SPSS computes it): package car is not installed, so
#     it is computed by hand as the one-way ANOVA of |x - group mean| on the group
#   - age_band: oneway.test(var.equal = TRUE) and oneway.test(var.equal = FALSE)
# Run from this folder:  Rscript group_comparison.R
set.seed(20240611)
n <- 60
gender <- sample(c("man", "woman"), n, replace = TRUE, prob = c(0.45, 0.55))
age_band <- sample(c("under_35", "35_49", "50_plus"), n, replace = TRUE, prob = c(0.3, 0.45, 0.25))
likert <- function(mu, sd) pmin(pmax(round(rnorm(n, mu, sd)), 1), 5)
woman <- gender == "woman"
old <- age_band == "50_plus"
survey <- data.frame(
  respondent = seq_len(n),
  gender = gender,
  age_band = age_band,
  # women higher and less spread out than men: Levene should reject
  imp_innovation = ifelse(woman, likert(4.5, 0.4), likert(3.4, 1.5)),
  att_innovation = likert(3.4, 1.0),
  imp_quality = likert(4.0, 0.9),
  att_quality = ifelse(old, likert(2.8, 1.4), likert(3.6, 0.6)),
  imp_learning = ifelse(woman, likert(4.3, 0.8), likert(3.9, 0.8)),
  att_learning = likert(3.7, 0.9)
)
# a few missing answers, as in real surveys
survey$att_innovation[c(3, 17, 41)] <- NA
survey$imp_learning[c(8, 52)] <- NA
write.csv(survey, "group_comparison_survey.csv", row.names = FALSE, na = "")

columns <- grep("^(imp|att)_", names(survey), value = TRUE)
out <- list()
add <- function(column, by, quantity, value) {
  out[[length(out) + 1]] <<- data.frame(column = column, by = by, quantity = quantity,
                                        value = value)
}
levene <- function(x, g) {
  z <- abs(x - ave(x, g))
  a <- anova(lm(z ~ g))
  c(F = a[1, "F value"], p = a[1, "Pr(>F)"])
}
for (column in columns) {
  for (by in c("gender", "age_band")) {
    keep <- !is.na(survey[[column]])
    x <- survey[[column]][keep]
    g <- factor(survey[[by]][keep])
    for (level in levels(g)) {
      add(column, by, paste0("n_", level), sum(g == level))
      add(column, by, paste0("mean_", level), mean(x[g == level]))
      add(column, by, paste0("sd_", level), sd(x[g == level]))
    }
    add(column, by, "n_total", length(x))
    add(column, by, "mean_total", mean(x))
    add(column, by, "sd_total", sd(x))
    lev <- levene(x, g)
    add(column, by, "levene_F", lev[["F"]])
    add(column, by, "levene_p", lev[["p"]])
    if (by == "gender") {
      for (equal in c(TRUE, FALSE)) {
        tt <- t.test(x[g == "man"], x[g == "woman"], var.equal = equal)
        tag <- if (equal) "student" else "welch"
        add(column, by, paste0("t_", tag), unname(tt$statistic))
        add(column, by, paste0("df_", tag), unname(tt$parameter))
        add(column, by, paste0("p_", tag), tt$p.value)
      }
    } else {
      for (equal in c(TRUE, FALSE)) {
        ow <- oneway.test(x ~ g, var.equal = equal)
        tag <- if (equal) "anova" else "welch_anova"
        add(column, by, paste0("F_", tag), unname(ow$statistic))
        add(column, by, paste0("df1_", tag), unname(ow$parameter[1]))
        add(column, by, paste0("df_", tag), unname(ow$parameter[2]))
        add(column, by, paste0("p_", tag), ow$p.value)
      }
    }
  }
}
res <- do.call(rbind, out)
res$value <- formatC(res$value, digits = 17, format = "g")
write.csv(res, "group_comparison.csv", row.names = FALSE, quote = FALSE)
