"""Which metric to judge progress by, given the class balance."""

from __future__ import annotations

import numpy as np


def recommend_metric(imbalance_ratio: float, limit: float) -> tuple[str, str]:
    """The recommended primary metric and why."""
    if imbalance_ratio > limit:
        return "macro_f1", (
            f"classes are imbalanced (largest/smallest = {imbalance_ratio:.2f} > {limit}): accuracy rewards a "
            "model that neglects the rare classes, macro-F1 weighs every class equally")
    return "accuracy", (
        f"classes are balanced (largest/smallest = {imbalance_ratio:.2f} ≤ {limit}): accuracy is easy to read "
        "and agrees with macro-F1 here")


def imbalance(counts: dict[str, int]) -> float:
    """Largest class over smallest class."""
    values = [v for v in counts.values()]
    return max(values) / max(min(values), 1)


# The metrics each task is scored on (clearance.core.evaluation.score_task); a configured metric outside its
# task's is replaced by the one the data recommends, and the report says so.
TASK_METRICS = {"single_label": ("accuracy", "macro_f1", "weighted_f1", "log_loss"),
                "multi_label": ("micro_f1", "macro_f1", "exact_match", "log_loss"),
                "regression": ("rmse", "mae", "r2", "spearman")}
# Defaults of the checks' limits (judge/checks.py declares them), also what step 2 chooses by when
# baselines.primary_metric is not a metric of the task: the measuring reads no threshold of the judging.
MICRO_F1_MAX_LABEL_IMBALANCE = 3.0
RMSE_MAX_OUTLIER_SHARE = 0.01
# Tukey's "far out" fences: beyond 3 interquartile ranges from the quartiles.
FAR_OUT = 3.0


def label_imbalance(indicators: np.ndarray) -> float:
    """Largest label count over smallest (labels present in train) in a (rows, labels) 0/1 matrix."""
    counts = np.asarray(indicators).sum(axis=0)
    return imbalance({str(i): int(c) for i, c in enumerate(counts)}) if len(counts) else 1.0


def outlier_share(targets: np.ndarray) -> float:
    """Share of targets beyond Tukey's far-out fences (3 IQR past the quartiles): the rows that would
    dominate a squared error."""
    y = np.asarray(targets, dtype=float)
    if len(y) == 0:
        return 0.0
    q1, q3 = np.percentile(y, [25, 75])
    spread = FAR_OUT * (q3 - q1)
    return float(((y < q1 - spread) | (y > q3 + spread)).mean())


def recommend_multi_label(ratio: float, limit: float) -> tuple[str, str]:
    """The recommended metric for label sets, and why."""
    if ratio > limit:
        return "macro_f1", (
            f"labels are uneven (most frequent/least frequent label = {ratio:.2f} > {limit}): micro-F1 pools "
            "every label's decisions, so the frequent labels decide it; macro-F1 weighs every label equally")
    return "micro_f1", (
        f"labels are about even (most frequent/least frequent label = {ratio:.2f} ≤ {limit}): micro-F1 pools "
        "every label's decisions, is steadier on small splits and agrees with macro-F1 here")


def recommend_regression(share: float, limit: float) -> tuple[str, str]:
    """The recommended metric for a numeric target, and why."""
    if share > limit:
        return "mae", (
            f"{100 * share:.2f}% of train targets lie beyond 3 interquartile ranges of the quartiles (> "
            f"{100 * limit:g}%): RMSE squares errors, so those few rows would decide it; MAE weighs every "
            "error by its size, in the target's units")
    return "rmse", (
        f"{100 * share:.2f}% of train targets lie beyond 3 interquartile ranges of the quartiles (≤ "
        f"{100 * limit:g}%): RMSE, in the target's units, punishes large errors more, and no outlier "
        "decides it")


def chosen_metric(task: str, configured: str, facts: dict) -> tuple[str, str]:
    """The metric step 2 judges by: the configured one when it is the task's, else the one the data
    recommends (the second value says why; "" when the configured one stands)."""
    if configured in TASK_METRICS[task]:
        return configured, ""
    if task == "multi_label":
        metric, why = recommend_multi_label(facts["imbalance_ratio"], MICRO_F1_MAX_LABEL_IMBALANCE)
    else:
        metric, why = recommend_regression(facts["outlier_share"], RMSE_MAX_OUTLIER_SHARE)
    return metric, (f"baselines.primary_metric={configured} is not a {task.replace('_', '-')} metric "
                    f"(one of {', '.join(TASK_METRICS[task])}): step 2 judges by {metric}, because {why}")
