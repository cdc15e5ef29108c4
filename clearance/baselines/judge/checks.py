"""Step 2's automated checks."""

from __future__ import annotations

from typing import Any

from clearance.checklist.results import CheckResult, graded
from clearance.core.config.baselines import BaselineChecks


def ran_check(errors: dict[str, str], skipped: dict[str, str] | None = None) -> CheckResult:
    """Every configured baseline produced scores: an error fails; a baseline the data gives nothing to fit
    (skipped, with the reason) warns, since the others still set the bar."""
    skipped = skipped or {}
    said = ([f"{name} failed: {why}" for name, why in errors.items()]
            + [f"{name} skipped: {why}" for name, why in skipped.items()])
    status = "fail" if errors else "warn" if skipped else "pass"
    fix = ("read reports/inspect/sample.csv: are the texts what data.text_column should name? (or lower the "
           "setting the reason names)" if skipped and not errors
           else "read the error; check the data and the baselines.* settings")
    return CheckResult("baselines_ran", status, sorted(errors) + sorted(skipped), "none failing or skipped",
                       "; ".join(said) or "every baseline ran", fix)


def gain_check(gain: float | None, best: str, metric: str, t: BaselineChecks) -> CheckResult:
    """The best baseline must beat guessing in class proportions by a clear margin."""
    if gain is None:
        return CheckResult("beats_prior", "fail", None, t.min_gain_over_prior,
                           "no gain over guessing could be measured (no learned baseline scored on valid)",
                           "run at least one learned baseline (keyword_rule, tfidf_logreg, embeddings_logreg)")
    return graded(
        "beats_prior", gain, None, t.min_gain_over_prior,
        f"the best baseline ({best}) beats the expected {metric} of guessing in class proportions by "
        f"{gain:+.4f} on valid",
        "near chance means the labels may be misaligned with the texts, or the task is not learnable "
        "from text: check the label column and read step 1's sample again", direction="min")


def metric_check(primary: str, ratio: float, t: BaselineChecks) -> CheckResult:
    """Accuracy misleads on imbalanced classes."""
    message = f"primary metric {primary} with a class ratio of {ratio:.2f}"
    fix = "set baselines.primary_metric=macro_f1 for imbalanced classes"
    if primary == "accuracy":
        return graded("metric_fits_balance", ratio, None, t.accuracy_max_imbalance, message, fix)
    # The limit binds accuracy only; other metrics hold up under any imbalance.
    return CheckResult("metric_fits_balance", "pass", round(ratio, 4),
                       f"any ratio for {primary} (at most {t.accuracy_max_imbalance} for accuracy)", message, fix)


def train_only_check(outside: dict[str, int]) -> CheckResult:
    """No baseline saw a valid or test row while fitting (``outside``: rows outside train, by baseline)."""
    leaks = {name: n for name, n in outside.items() if n}
    return CheckResult("fit_on_train_only", "fail" if leaks else "pass", leaks, "0 rows outside train",
                       "every baseline was fitted on train rows only" if not leaks else
                       "fitted on rows outside train: " + ", ".join(f"{k} ({v})" for k, v in leaks.items()),
                       "fit on the train split only; valid is for choosing, test for the final report")


def classes_check(missing: dict[str, list[str]]) -> CheckResult:
    """Per-class scores need every class in valid and test."""
    gaps = {split: labels for split, labels in missing.items() if labels}
    return CheckResult("classes_in_eval", "fail" if gaps else "pass", gaps, "every class in valid and test",
                       "every class is scored on valid and test" if not gaps else
                       "no examples to score for: " + "; ".join(f"{s}: {', '.join(v)}" for s, v in gaps.items()),
                       "add examples of those classes, or lower split.valid_size/test_size")


def empty_check(share: float, t: BaselineChecks) -> CheckResult:
    """Texts that preprocessing left empty cannot be classified."""
    return graded("empty_after_preprocessing", share, t.empty_after_preprocessing_warn,
                  t.empty_after_preprocessing_fail,
                  f"{100 * share:.2f}% of texts are empty after preprocessing",
                  "check the preprocess settings (conf/preprocess) and data.text_column")


def baseline_checks(facts: dict[str, Any], t: BaselineChecks) -> list[CheckResult]:
    """All step-2 checks, in report order."""
    return [
        ran_check(facts["errors"], facts.get("skipped")),
        gain_check(facts["gain_over_prior"], facts["best"], facts["primary_metric"], t),
        metric_check(facts["primary_metric"], facts["imbalance_ratio"], t),
        train_only_check(facts["rows_outside_train"]),
        classes_check(facts["missing_classes"]),
        empty_check(facts["empty_share"], t),
    ]
