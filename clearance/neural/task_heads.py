"""What a model's outputs mean for each task: the labels its loss learns from, the loss `loss: auto` picks, and
how outputs become predictions in the prepared labels' own form (clearance.core.task).

- single_label: K logits, class ids, cross-entropy, argmax + softmax (as before tasks existed);
- multi_label: K logits, a multi-hot float row, binary cross-entropy per label, a sigmoid per label and one
  decision threshold chosen on valid;
- regression: one output, the target standardised with the train split's mean and std (``TargetScale``, kept
  with the model so serving answers in the target's units), mean squared error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from clearance.core.evaluation import score_multi_label
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL, Task

DEFAULT_THRESHOLD = 0.5
THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))  # 0.05 .. 0.95
THRESHOLD_METRICS = ("micro_f1", "macro_f1", "exact_match")  # metrics a threshold changes
FALLBACK_METRIC = "micro_f1"  # the threshold's metric when the primary one is not moved by it (log_loss)


@dataclass(frozen=True)
class TargetScale:
    """How a regression target was standardised for the model: model units = (target - mean) / std."""

    mean: float = 0.0
    std: float = 1.0

    @property
    def identity(self) -> bool:
        return self.mean == 0.0 and self.std == 1.0

    def standardize(self, targets: Sequence[float] | np.ndarray) -> np.ndarray:
        return (np.asarray(targets, dtype=np.float64) - self.mean) / self.std

    def restore(self, outputs: Sequence[float] | np.ndarray) -> np.ndarray:
        """Model outputs back in the target's units."""
        return np.asarray(outputs, dtype=np.float64) * self.std + self.mean

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "TargetScale":
        return cls(float(data["mean"]), float(data["std"])) if data else cls()


def fit_scale(targets: Sequence[float] | np.ndarray, standardize: bool = True) -> TargetScale:
    """The train split's mean and std (a constant target keeps std 1); identity when ``standardize`` is off."""
    y = np.asarray(targets, dtype=np.float64)
    if not standardize or not len(y):
        return TargetScale()
    std = float(y.std())
    return TargetScale(float(y.mean()), std if std > 0 and np.isfinite(std) else 1.0)


def label_values(task: Task, labels: Sequence, scale: TargetScale = TargetScale()) -> np.ndarray:
    """The prepared ``label`` column as the loss learns it: class ids (int64 [N]), multi-hot rows (float32
    [N, K]) or standardised targets (float32 [N])."""
    if task.name == MULTI_LABEL:
        return task.indicators(list(labels)).astype(np.float32)
    if task.name == REGRESSION:
        return scale.standardize(task.targets(list(labels))).astype(np.float32)
    index = {c: i for i, c in enumerate(task.classes)}
    return np.asarray([index[label] for label in labels], dtype=np.int64)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    # exp of a large negative logit overflows to inf, and 1 / (1 + inf) is the 0 it should be.
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))


def probabilities(task_name: str, logits: np.ndarray, temperature: float = 1.0) -> np.ndarray | None:
    """Each class's (softmax), each label's (sigmoid) probability of ``logits / temperature`` (the temperature
    fitted on valid, clearance.core.calibration); None for a regression output."""
    if task_name == REGRESSION:
        return None
    scaled = np.asarray(logits) / temperature if temperature != 1.0 else logits
    if task_name == MULTI_LABEL:
        return sigmoid(scaled)
    return softmax(scaled)


def decode(task: Task, logits: np.ndarray, threshold: float = DEFAULT_THRESHOLD,
           scale: TargetScale = TargetScale(), temperature: float = 1.0) -> list:
    """Outputs as the prepared labels hold them: class names, kept label sets (each label whose probability,
    calibrated by ``temperature``, reaches ``threshold``), or targets in their own units."""
    logits = np.asarray(logits)
    if task.name == REGRESSION:
        return scale.restore(logits.reshape(len(logits), -1)[:, 0]).tolist()
    if task.name == MULTI_LABEL:
        return task.from_indicators(probabilities(MULTI_LABEL, logits, temperature) >= threshold)
    return [task.classes[int(k)] for k in logits.argmax(axis=1)] if len(logits) else []


def choose_threshold(task: Task, truth: Sequence[str], probs: np.ndarray, metric: str) -> float:
    """The one decision threshold (of ``THRESHOLDS``) that scores ``metric`` best on these rows (valid);
    ties go to the threshold nearest 0.5, so an uninformative grid keeps the usual cut."""
    chosen = metric if metric in THRESHOLD_METRICS else FALLBACK_METRIC
    actual = task.indicators(list(truth))
    best, best_score = DEFAULT_THRESHOLD, -np.inf
    for threshold in sorted(THRESHOLDS, key=lambda t: (abs(t - DEFAULT_THRESHOLD), t)):
        value = score_multi_label(actual, (probs >= threshold).astype(np.int8), None, list(task.classes),
                                  "t")[f"t_{chosen}"]
        if value > best_score + 1e-12:
            best, best_score = threshold, value
    return float(best)


class RegressionLoss(nn.Module):
    """A loss on a regression model's [B, 1] outputs against [B] targets: the outputs are reshaped to the
    targets' shape first (MSELoss on [B, 1] and [B] would broadcast to [B, B] and learn the mean)."""

    def __init__(self, inner: Any) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.inner(logits.reshape(labels.shape), labels)


class LabelSetBCE(nn.Module):
    """Binary cross-entropy on logits [B, K] against multi-hot rows [B, K]: summed over a text's labels, averaged
    over texts. The same number as step 2's and step 3's multi-label ``log_loss`` and as the prior's expected
    loss (the sum of the labels' binary entropies), so the loss at initialisation compares with it directly.
    (torch's BCEWithLogitsLoss averages over labels too: K times smaller.)"""

    def __init__(self, pos_weight: Sequence[float] | None = None) -> None:
        super().__init__()
        weight = torch.as_tensor(pos_weight, dtype=torch.float32) if pos_weight is not None else None
        self.register_buffer("pos_weight", weight)

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        per_label = nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="none",
                                                                   pos_weight=self.pos_weight)
        return per_label.sum(dim=-1).mean()


def task_loss(task: Task) -> nn.Module:
    """`loss: auto`: cross-entropy over classes, binary cross-entropy per label (``LabelSetBCE``), or squared
    error."""
    if task.name == MULTI_LABEL:
        return LabelSetBCE()
    if task.name == REGRESSION:
        return nn.MSELoss()
    return nn.CrossEntropyLoss()


def trial_labels(task: Task, n: int = 2) -> torch.Tensor:
    """Labels of the task's shape and dtype, for trying a loss once before training."""
    if task.name == MULTI_LABEL:
        return (torch.arange(n * task.outputs).reshape(n, task.outputs) % 2).float()
    if task.name == REGRESSION:
        return torch.linspace(-1.0, 1.0, n)
    return torch.arange(n) % task.outputs


def task_summary(task: Task) -> str:
    """The head in words, for messages."""
    return {SINGLE_LABEL: f"{task.outputs} logits, softmax", MULTI_LABEL: f"{task.outputs} logits, a sigmoid each",
            REGRESSION: "1 output, the standardised target"}[task.name]
