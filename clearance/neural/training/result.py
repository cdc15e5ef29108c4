"""What a training run hands back to its caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from clearance.neural.training.divergence import Divergence
from clearance.neural.training.evaluation import Evaluation


@dataclass
class TrainResult:
    """What a training run produced; the model is left in eval mode on its device."""

    model: torch.nn.Module
    step_losses: list[float]
    history: list[dict[str, Any]]
    steps: int
    seconds: float
    train_seconds: float
    samples_per_second: float
    valid: Evaluation | None = None
    resumed_from: int = 0
    # Set when a loss or logits turned NaN or infinite: the run stopped there, ``valid`` is None and
    # the model holds the diverged weights (not a model to package).
    diverged: Divergence | None = None
    # multi-label: the decision threshold the last evaluation chose on all of valid (None otherwise)
    threshold: float | None = None
    # classes and label sets: the temperature the last evaluation fitted on all of valid, by NLL, before it chose
    # the threshold (clearance.core.calibration); the package serves probabilities calibrated by it (else None)
    temperature: float | None = None
