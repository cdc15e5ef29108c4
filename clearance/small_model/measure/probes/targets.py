"""What the loss is given, for label sets and numbers: whether it can reach 0 at the right answer, and the scale
of the target it sees.

- *loss at the targets* (multi-label, regression): outputs that give every answer with certainty (each label's
  logit at +/-CERTAIN, or the target itself) must cost ~0. Binary cross-entropy does; a softmax over the labels
  (CrossEntropyLoss fed multi-hot rows, which torch accepts silently) cannot, since the labels of one text then
  share one unit of probability: a text with two labels costs at least 2 ln 2. A regression loss that broadcasts
  outputs [B, 1] against targets [B] into [B, B] cannot either. A row with two labels on is added, as the
  probe batch may have none.
- *target scale* (regression): the mean and spread of the target the loss sees. Standardised (the default,
  train.standardize_target), it is 0 and 1; a raw target in the hundreds makes the loss and its gradients
  thousands of times larger, and a learning rate meant for the standardised one diverges.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from clearance.core.task import MULTI_LABEL, REGRESSION
from clearance.small_model.measure.probes.common import finite
from clearance.small_model.measure.probes.declared import ModelRun, probe

CERTAIN = 30.0  # a logit this far from 0 puts a label at its target with certainty (BCE: ~1e-13)


def certain_outputs(task: str, labels: torch.Tensor) -> torch.Tensor:
    """The outputs that give ``labels`` exactly: each label's logit at +/-CERTAIN, or the target as [B, 1]."""
    if task == MULTI_LABEL:
        return (labels.float() * 2 - 1) * CERTAIN
    return labels.float().reshape(-1, 1)


def two_labels_on(labels: torch.Tensor) -> torch.Tensor:
    """Two multi-hot rows shaped like ``labels``' rows: the first two labels on, and the last label alone."""
    rows = torch.zeros(2, labels.shape[1], dtype=labels.dtype, device=labels.device)
    rows[0, :2] = 1
    rows[1, -1] = 1
    return rows


def measure_loss_at_targets(loss_fn: Callable, labels: torch.Tensor, task: str) -> dict:
    """The loss of outputs that give the probe batch's answers with certainty; multi-label also on a text with
    two labels on (``two_labels``) and the batch's rows with two or more labels (``rows_with_two``)."""
    with torch.no_grad():
        measured: dict[str, Any] = {"loss": finite(float(loss_fn(certain_outputs(task, labels), labels))),
                                    "rows": int(labels.shape[0])}
        if task == MULTI_LABEL and labels.dim() == 2 and labels.shape[1] >= 2:
            extra = two_labels_on(labels)
            measured["two_labels"] = finite(float(loss_fn(certain_outputs(task, extra), extra)))
            measured["rows_with_two"] = int((labels.sum(dim=1) >= 2).sum())
    losses = [measured["loss"], measured.get("two_labels", 0.0)]
    measured["worst"] = None if None in losses else max(losses)
    return measured


def measure_target_scale(train_labels: np.ndarray, scale: Any = None) -> dict:
    """Mean and standard deviation of the target as the loss sees it (train split), and how far it is from a
    standardised one: the largest of std, 1/std and |mean| (1 when standardised; None for a constant target)."""
    y = np.asarray(train_labels, dtype=np.float64).reshape(-1)
    mean, std = (float(y.mean()), float(y.std())) if len(y) else (0.0, 0.0)
    spread = max(std, 1 / std, abs(mean)) if std > 0 else None
    standardized = None if scale is None else not bool(getattr(scale, "identity", True))
    return {"mean": mean, "std": std, "rows": int(len(y)), "off_scale": spread, "standardized": standardized,
            "scale": scale.to_dict() if hasattr(scale, "to_dict") else None}


# -- the probes this family declares (their keys are probes.json's) ------------------------------------------

@probe("loss_at_targets", tasks=(MULTI_LABEL, REGRESSION))
def loss_at_targets_probe(run: ModelRun) -> dict:
    """The configured loss, at outputs that give the probe batch's answers with certainty."""
    return measure_loss_at_targets(run.parts.loss, run.batch.labels, run.task.name)


@probe("target_scale", tasks=(REGRESSION,))
def target_scale_probe(run: ModelRun) -> dict:
    """The train target as the loss sees it (standardised with train.standardize_target, or raw)."""
    return measure_target_scale(run.train.labels, getattr(run.parts, "scale", None))
