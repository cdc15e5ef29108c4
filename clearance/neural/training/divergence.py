"""A run whose loss or logits turned NaN or infinite: where it happened, as data.

The training function stops such a run at the step it happens and returns it with a ``Divergence``
(the step, the loss, the learning rate and whether a training step or an evaluation saw it), so no
NaN ever reaches the scoring and each caller decides what a diverged run means: step 3 writes it
down for its checks, the sweep records a diverged trial. No torch here: the judges read it too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

TRAIN, VALID = "train", "valid"  # where the non-finite number was seen: a training step, an evaluation


def loss_text(loss: float) -> str:
    """A loss as the message and the files show it: "nan", "inf" or its value (JSON has no NaN)."""
    return f"{loss:.6g}"


@dataclass(frozen=True)
class Divergence:
    """Where a run's loss or logits stopped being finite numbers."""

    step: int  # the optimizer step whose loss, or the evaluation after which, was not finite
    loss: float  # that training loss, or the evaluation's loss (finite when only some logits were not)
    lr: float  # the learning rate at that step
    where: str  # TRAIN or VALID
    nonfinite_logits: int = 0  # NaN or infinite logits in that evaluation (0 for a training step)

    def message(self) -> str:
        """One line naming the step, the loss and the learning rate."""
        if self.where == TRAIN:
            what = f"the training loss became {loss_text(self.loss)}"
        elif math.isfinite(self.loss):
            what = f"{self.nonfinite_logits} valid logits became NaN or infinite (valid loss {loss_text(self.loss)})"
        else:
            what = f"the valid loss became {loss_text(self.loss)}"
        return f"training diverged at step {self.step}: {what} at learning rate {self.lr:g}"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: the loss as text, since NaN and infinity are not JSON numbers."""
        return {"step": self.step, "loss": loss_text(self.loss), "lr": self.lr, "where": self.where,
                "nonfinite_logits": self.nonfinite_logits, "message": self.message()}


class Diverged(Exception):
    """Raised where a run needs a score and its training diverged (a sweep trial, a seed re-run)."""

    def __init__(self, divergence: Divergence) -> None:
        super().__init__(divergence.message())
        self.divergence = divergence


def diverged_tags(divergence: Divergence) -> dict[str, str]:
    """An MLflow run's tags for a run that diverged (the sweep tags pruned and failed trials the same way)."""
    return {"clearance.outcome": "diverged", "clearance.reason": divergence.message()[:500],
            "clearance.diverged_step": str(divergence.step)}


def step_divergence(step: int, loss: float, lr: float) -> Divergence | None:
    """A training step's loss that is not finite, or None."""
    return None if math.isfinite(loss) else Divergence(step, loss, lr, TRAIN)


def evaluation_divergence(step: int, loss: float, logits: np.ndarray, lr: float) -> Divergence | None:
    """An evaluation whose loss or logits are not all finite, or None (checked before anything scores them)."""
    bad = int(logits.size - np.isfinite(logits).sum())
    if math.isfinite(loss) and not bad:
        return None
    return Divergence(step, loss, lr, VALID, bad)
