"""What a guess costs, in the user's own loss: the yardstick of the loss at initialization and of divergence.

For one class per text the yardstick stays ln K (outputs.py, fitting.py). For label sets and numbers a guess
is fed through the configured loss on the same rows, so the loss's reduction (a mean over labels, a sum over
the batch) is compared like with like:
- multi-label: *uniform*, every label at one half (zero logits; BCEWithLogitsLoss's mean: ln 2), and *prior*,
  each label at its share in train (logits at the log-odds: the sum of the labels' binary entropies per text);
- regression: the mean of the target the loss sees (its loss is that target's variance: 1 when standardised).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL

GUESS_ROWS = 4096  # rows a divergence yardstick is measured on (a mean over them is stable to ~1%)
SHARE_FLOOR = 1e-6  # a label never (or always) on in train still gets a finite log-odds

GUESSES = {MULTI_LABEL: "every label at one half (zero logits)", REGRESSION: "predicting the mean of the target"}


def label_shares(train_labels: np.ndarray) -> np.ndarray:
    """Each label's share of the train rows (multi-hot [N, K]), kept off 0 and 1."""
    return np.clip(np.asarray(train_labels, dtype=np.float64).mean(axis=0), SHARE_FLOOR, 1 - SHARE_FLOOR)


def guess_outputs(task: str, train_labels: np.ndarray, out: torch.Tensor) -> dict[str, torch.Tensor]:
    """Outputs shaped like ``out`` that guess without reading the text: ``uniform`` and ``prior`` (regression:
    both the train mean of the target the loss sees)."""
    if task == MULTI_LABEL:
        shares = label_shares(train_labels)
        log_odds = torch.as_tensor(np.log(shares / (1 - shares)), dtype=out.dtype, device=out.device)
        return {"uniform": torch.zeros_like(out), "prior": log_odds.expand_as(out).clone()}
    if task == REGRESSION:
        mean = torch.full_like(out, float(np.mean(train_labels)) if len(train_labels) else 0.0)
        return {"uniform": mean, "prior": mean}
    raise ValueError(f"no guess outputs for {task!r}: single-label compares with ln K")


def task_guess(task: Any, loss_fn: Callable, labels: np.ndarray) -> dict[str, Any]:
    """What training_diverged holds a run's loss to for ``task`` (a Task or its name), as ``loss_peak``'s
    ``reference`` and ``guess``: the uniform guess's loss on (up to GUESS_ROWS of) ``labels``, the label values
    the loss takes; {} for single-label (ln K stays the yardstick)."""
    name = getattr(task, "name", task)
    if name == SINGLE_LABEL or not len(labels):
        return {}
    values = torch.as_tensor(np.asarray(labels[:GUESS_ROWS]), dtype=torch.float32)
    width = values.shape[1] if values.dim() == 2 else 1
    outputs = guess_outputs(name, np.asarray(labels), torch.zeros(len(values), width))["uniform"]
    with torch.no_grad():
        reference = float(loss_fn(outputs, values))
    return {"reference": reference if np.isfinite(reference) else None, "guess": GUESSES[name]}
