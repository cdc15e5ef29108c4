"""Step 2's automated checks, each declared once (``@check``) and graded from the baselines' facts.

Each grading function gets the part of reports/baselines/measurements.json its ``reads`` names (its
``facts``, with the judged metric recommendation added) and a ``Grading`` (its limits, its fix); the
report shows them in this file's order.
"""

from __future__ import annotations

from typing import Any

from clearance.checklist.declared import Grading, Limit, check
from clearance.checklist.results import CheckResult

SKIPPED_FIX = ("read reports/inspect/sample.csv: are the texts what data.text_column should name? (or lower the "
               "setting the reason names)")


@check("baselines_ran", reads="facts", section="results", question="architecture", direction="",
       fix="read the error; check the data and the baselines.* settings")
def baselines_ran(facts: dict[str, Any], c: Grading) -> CheckResult:
    """Every configured baseline produced scores: an error fails; a baseline the data gives nothing to fit
    (skipped, with the reason) warns, since the others still set the bar."""
    errors, skipped = facts["errors"], facts.get("skipped") or {}
    said = ([f"{name} failed: {why}" for name, why in errors.items()]
            + [f"{name} skipped: {why}" for name, why in skipped.items()])
    status = "fail" if errors else "warn" if skipped else "pass"
    return c.result(status, sorted(errors) + sorted(skipped), "none failing or skipped",
                    "; ".join(said) or "every baseline ran", SKIPPED_FIX if skipped and not errors else None)


@check("beats_prior", reads="facts", section="bar", question="random_predictor", direction="min",
       limits=[Limit("min_gain_over_prior", 0.05, "fail",
                     "best baseline minus the prior guess, primary metric, valid")],
       fix="near chance means the labels may be misaligned with the texts, or the task is not learnable "
           "from text: check the label column and read step 1's sample again")
def beats_prior(facts: dict[str, Any], c: Grading) -> CheckResult:
    """The best baseline must beat guessing in class proportions by a clear margin."""
    gain = facts["gain_over_prior"]
    if gain is None:
        return c.result("fail", None, c.fail,
                        "no gain over guessing could be measured (no learned baseline scored on valid)",
                        "run at least one learned baseline (keyword_rule, tfidf_logreg, embeddings_logreg)",
                        direction="")
    return c.graded(gain, f"the best baseline ({facts['best']}) beats the expected {facts['primary_metric']} of "
                          f"guessing in class proportions by {gain:+.4f} on valid")


@check("metric_fits_balance", reads="facts", section="metric", question="metric",
       limits=[Limit("accuracy_max_imbalance", 1.5, "fail",
                     "above this class ratio, accuracy as primary metric fails")],
       fix="set baselines.primary_metric=macro_f1 for imbalanced classes")
def metric_fits_balance(facts: dict[str, Any], c: Grading) -> CheckResult:
    """Accuracy misleads on imbalanced classes."""
    primary, ratio = facts["primary_metric"], facts["imbalance_ratio"]
    message = f"primary metric {primary} with a class ratio of {ratio:.2f}"
    if primary == "accuracy":
        return c.graded(ratio, message)
    # The limit binds accuracy only; other metrics hold up under any imbalance.
    return c.result("pass", round(ratio, 4), f"any ratio for {primary} (at most {c.fail} for accuracy)", message,
                    direction="")


@check("fit_on_train_only", reads="facts.rows_outside_train", section="results", question="random_predictor",
       direction="", fix="fit on the train split only; valid is for choosing, test for the final report")
def fit_on_train_only(outside: dict[str, int], c: Grading) -> CheckResult:
    """No baseline saw a valid or test row while fitting (``outside``: rows outside train, by baseline)."""
    leaks = {name: n for name, n in outside.items() if n}
    return c.result("fail" if leaks else "pass", leaks, "0 rows outside train",
                    "every baseline was fitted on train rows only" if not leaks else
                    "fitted on rows outside train: " + ", ".join(f"{k} ({v})" for k, v in leaks.items()))


@check("classes_in_eval", reads="facts.missing_classes", section="errors", question="metric", direction="",
       fix="add examples of those classes, or lower split.valid_size/test_size")
def classes_in_eval(missing: dict[str, list[str]], c: Grading) -> CheckResult:
    """Per-class scores need every class in valid and test."""
    gaps = {split: labels for split, labels in missing.items() if labels}
    return c.result("fail" if gaps else "pass", gaps, "every class in valid and test",
                    "every class is scored on valid and test" if not gaps else
                    "no examples to score for: " + "; ".join(f"{s}: {', '.join(v)}" for s, v in gaps.items()))


@check("empty_after_preprocessing", reads="facts.empty_share", section="errors", question="what_is_missing",
       limits=[Limit("empty_after_preprocessing_warn", 0.0, "warn"), Limit("empty_after_preprocessing_fail", 0.5)],
       fix="check the preprocess settings (conf/preprocess) and data.text_column")
def empty_after_preprocessing(share: float, c: Grading) -> CheckResult:
    """Texts that preprocessing left empty cannot be classified."""
    return c.graded(share, f"{100 * share:.2f}% of texts are empty after preprocessing")
