"""Step 1's checks of the simple rules for label sets and numbers: a keyword rule per label, a keyword rule that
predicts a score, and the length that predicts a score (a shortcut). Declared as checks.py's are; the report
shows them after checks.py's."""

from __future__ import annotations

from typing import Any

from clearance.checklist.declared import Grading, Limit, check
from clearance.checklist.results import CheckResult
from clearance.inspection.judge.checks import MULTI, REGRESSION, _pct


def no_valid_rows(c: Grading) -> CheckResult:
    """A keyword rule with no valid rows to score it on: said, not graded."""
    return c.result("warn", None, "rows in valid", "no valid rows to score the keyword rule on",
                    "give the valid split some rows", direction="")


@check("label_keyword_signal", reads="stats.keyword_rule", section="keyword-rule", question="rule_based",
       direction="min", tasks=MULTI,
       limits=[Limit("label_keyword_gain_warn", 0.01, "warn", "micro-F1 (0-1) the keyword rule must gain over "
                     "the best constant label set")],
       fix="if words carry no signal, check that the label sets are aligned with the texts")
def label_keyword_signal(rule: dict[str, Any], c: Grading) -> CheckResult:
    """Keywords per label beat guessing the same label set for every text."""
    if rule["valid_rows"] == 0:
        return no_valid_rows(c)
    gain = rule["micro_f1"] - rule["prior_micro_f1"]
    return c.graded(gain, f"a keyword rule per label scores micro-F1 {_pct(rule['micro_f1'])} on valid, the best "
                          f"constant label set {_pct(rule['prior_micro_f1'])}: {100 * gain:+.2f} points")


@check("score_keyword_signal", reads="stats.keyword_rule", section="keyword-rule", question="rule_based",
       direction="min", tasks=REGRESSION,
       limits=[Limit("score_keyword_gain_warn", 0.01, "warn", "share of the mean guess's RMSE the keyword rule "
                     "must remove")],
       fix="if words carry no signal, check that the targets are aligned with the texts")
def score_keyword_signal(rule: dict[str, Any], c: Grading) -> CheckResult:
    """A keyword rule's score beats predicting the train mean for every text."""
    if rule["valid_rows"] == 0:
        return no_valid_rows(c)
    return c.graded(rule["gain"], f"a keyword rule's RMSE on valid is {rule['rmse']:.4g}, the train mean's "
                                  f"{rule['mean_rmse']:.4g}: {_pct(rule['gain'])} of it removed")


@check("target_length_shortcut", reads="stats", section="lengths", question="target_distribution", tasks=REGRESSION,
       limits=[Limit("target_length_warn", 0.3, "warn", "absolute Spearman correlation of the target with the "
                     "length in words")],
       fix="read long and short texts: if length is not what the target means, balance lengths across the target "
           "or check a model against a length-only baseline")
def target_length_shortcut(stats: dict[str, Any], c: Grading) -> CheckResult:
    """The target follows the text's length: a model can score by counting words."""
    rho = stats["target_length"]["spearman"]
    return c.graded(abs(rho), f"Spearman correlation of the target with the length in words: {rho:+.2f}")
