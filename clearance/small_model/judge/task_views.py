"""What step 3's report shows for label sets and numbers: their scores, their prior guess, the decision threshold
chosen on valid (multi-label) and the target's scale and the overfit tolerance (regression).

Single-label's report stays as it was: ``task_view`` gives it nothing to show. Imports no torch.
"""

from __future__ import annotations

from typing import Any

from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL

# The valid scores beside the bar, by task (single-label's are run.SCORES).
TASK_SCORES = {MULTI_LABEL: ("micro_f1", "macro_f1", "exact_match", "log_loss"),
               REGRESSION: ("rmse", "mae", "r2", "spearman")}
# The bar's third row: step 2's guess that reads no text.
PRIOR_ROW = {SINGLE_LABEL: "guessing in class proportions (prior)",
             MULTI_LABEL: "each label at its prior (prior)",
             REGRESSION: "predicting the mean (prior)"}


def threshold_view(training: dict[str, Any]) -> dict[str, Any]:
    """Multi-label: the one decision threshold the run chose on valid (each label is kept where its probability
    reaches it), and the thresholds the evaluations during training chose, step by step."""
    chosen = [{"step": h["step"], "threshold": h["threshold"]}
              for h in training.get("history") or [] if h.get("threshold") is not None]
    return {"threshold": training.get("threshold"), "during": chosen, "metric": training.get("primary_metric")}


def target_view(probes: dict[str, Any], training: dict[str, Any], thresholds: Any) -> dict[str, Any]:
    """Regression: how the target was scaled for the model, and the tolerance overfit_targets holds the overfit
    samples to (a setting, checks.model.overfit_target_tolerance, times the train target's std)."""
    seen = probes.get("target_scale") or {}
    overfit = probes.get("overfit") or {}
    share = getattr(thresholds, "overfit_target_tolerance", None)
    std = overfit.get("target_std")
    scale = training.get("target_scale") or seen.get("scale")
    return {"scale": scale, "seen_mean": seen.get("mean"), "seen_std": seen.get("std"),
            "standardized": seen.get("standardized"), "tolerance_share": share,
            "tolerance": share * std if share is not None and std is not None else None,
            "tolerance_in_target_units": share * std * scale["std"]
            if share is not None and std is not None and scale and scale.get("std") else None}


def task_view(probes: dict[str, Any], training: dict[str, Any], thresholds: Any) -> dict[str, Any]:
    """The task's own part of the report: ``name``, and the threshold (multi-label) or the target (regression)."""
    task = str(probes.get("task") or SINGLE_LABEL)
    if task == MULTI_LABEL:
        return {"name": task, **threshold_view(training)}
    if task == REGRESSION:
        return {"name": task, **target_view(probes, training, thresholds)}
    return {"name": task}
