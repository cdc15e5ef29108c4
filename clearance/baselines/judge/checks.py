"""Step 2's automated checks, each declared once (``@check``) and graded from the baselines' facts.

Each grading function gets the part of reports/baselines/measurements.json its ``reads`` names (its
``facts``, with the judged metric recommendation added) and a ``Grading`` (its limits, its fix); the
report shows them in this file's order.
"""

from __future__ import annotations

from typing import Any

from clearance.baselines.measure.metric_choice import MICRO_F1_MAX_LABEL_IMBALANCE, RMSE_MAX_OUTLIER_SHARE
from clearance.checklist.declared import Grading, Limit, check
from clearance.checklist.results import CheckResult

CLASSES = ("single_label", "multi_label")  # the tasks whose labels are classes

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
                     "best baseline minus the prior guess, primary metric, valid (RMSE, MAE: the share of the "
                     "guess's error the best baseline removes)")],
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
    if "prior_guess" in facts:  # a multi-label or regression task: its own guess, and its gain's kind
        how = f"{100 * gain:+.2f}% of the error" if facts.get("gain_relative") else f"{gain:+.4f}"
        return c.graded(gain, f"the best baseline ({facts['best']}) beats the expected {facts['primary_metric']} "
                              f"of {facts['prior_guess']} by {how} on valid")
    return c.graded(gain, f"the best baseline ({facts['best']}) beats the expected {facts['primary_metric']} of "
                          f"guessing in class proportions by {gain:+.4f} on valid")


@check("metric_fits_balance", reads="facts", section="metric", question="metric",
       limits=[Limit("accuracy_max_imbalance", 1.5, "fail",
                     "above this class ratio, accuracy as primary metric fails"),
               Limit("micro_f1_max_label_imbalance", MICRO_F1_MAX_LABEL_IMBALANCE, "",
                     "multi-label: above this ratio of the most to the least frequent label, micro-F1 as "
                     "primary metric fails"),
               Limit("rmse_max_outlier_share", RMSE_MAX_OUTLIER_SHARE, "",
                     "regression: above this share of train targets beyond 3 IQR of the quartiles, RMSE as "
                     "primary metric warns")],
       fix="set baselines.primary_metric=macro_f1 for imbalanced classes")
def metric_fits_balance(facts: dict[str, Any], c: Grading) -> CheckResult:
    """Accuracy misleads on imbalanced classes; micro-F1 on uneven labels; RMSE on a target with outliers."""
    task = facts.get("task", "single_label")
    if task == "multi_label":
        return labels_fit_metric(facts, c)
    if task == "regression":
        return target_fits_metric(facts, c)
    primary, ratio = facts["primary_metric"], facts["imbalance_ratio"]
    message = f"primary metric {primary} with a class ratio of {ratio:.2f}"
    if primary == "accuracy":
        return c.graded(ratio, message)
    # The limit binds accuracy only; other metrics hold up under any imbalance.
    return c.result("pass", round(ratio, 4), f"any ratio for {primary} (at most {c.fail} for accuracy)", message,
                    direction="")


def labels_fit_metric(facts: dict[str, Any], c: Grading) -> CheckResult:
    """metric_fits_balance for label sets: micro-F1 pools every label's decisions, so frequent labels decide it."""
    primary, ratio, limit = facts["primary_metric"], facts["imbalance_ratio"], c.t.micro_f1_max_label_imbalance
    message = f"primary metric {primary} with a ratio of {ratio:.2f} between the most and the least frequent label"
    if primary == "micro_f1":
        return c.graded(ratio, message, "set baselines.primary_metric=macro_f1 for uneven labels", warn=None,
                        fail=limit)
    return c.result("pass", round(ratio, 4), f"any ratio for {primary} (at most {limit} for micro_f1)", message,
                    direction="")


def target_fits_metric(facts: dict[str, Any], c: Grading) -> CheckResult:
    """metric_fits_balance for a number: RMSE squares errors, so a few far-out targets decide it."""
    primary, share, limit = facts["primary_metric"], facts["outlier_share"], c.t.rmse_max_outlier_share
    message = (f"primary metric {primary} with {100 * share:.2f}% of train targets beyond 3 interquartile ranges "
               "of the quartiles")
    if primary == "rmse":
        return c.graded(share, message, "set baselines.primary_metric=mae: a target with outliers needs a metric "
                                        "they do not decide (or keep rmse if large errors must weigh more, and "
                                        "waive this with that reason)", warn=limit, fail=None)
    return c.result("pass", round(share, 6), f"any share for {primary} (at most {limit} for rmse)", message,
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
       fix="add examples of those classes, or lower split.valid_size/test_size", tasks=CLASSES)
def classes_in_eval(missing: dict[str, list[str]], c: Grading) -> CheckResult:
    """Per-class scores need every class (multi-label: every label) in valid and test."""
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


@check("targets_in_eval", reads="facts", section="errors", question="metric", tasks=("regression",),
       limits=[Limit("targets_outside_train_warn", 0.01, "warn",
                     "share of valid or test targets outside the train targets' range"),
               Limit("targets_outside_train_fail", 0.25)],
       fix="valid and test hold targets train never shows: split again (split.* stratifies on the target's "
           "quantiles), or add train texts with such targets")
def targets_in_eval(facts: dict[str, Any], c: Grading) -> CheckResult:
    """Valid and test are scored on targets within train's range: a baseline (or a model) fitted on train
    cannot be judged on numbers it has never seen."""
    outside = facts["targets_outside_train"]
    worst = max(outside.values(), default=0.0)
    said = ", ".join(f"{split} {100 * share:.2f}%" for split, share in outside.items())
    return c.graded(worst, f"targets outside the train range ({facts['target']['min']:.4g} to "
                           f"{facts['target']['max']:.4g}): {said}")
