"""A model scored on one data set: its loss, logits and predictions, in eval mode without gradients."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL
from clearance.neural.parts.parts import forward
from clearance.neural.task_heads import DEFAULT_THRESHOLD, probabilities, sigmoid
from clearance.neural.training.batches import Encoded, LazyEncoded, by_length, collate
from clearance.neural.training.step import Autocast, no_autocast


@dataclass
class Evaluation:
    """A model's loss, logits and predictions on one data set (``task``: how its outputs read)."""

    loss: float
    logits: np.ndarray  # [N, K] float32 ([N, 1] for regression)
    predicted: np.ndarray  # [N] class ids; multi-label: [N, K] 0/1 at 0.5; regression: [N] outputs (model units)
    task: str = SINGLE_LABEL

    def probabilities(self) -> np.ndarray | None:
        """Softmax rows (single-label), each label's sigmoid (multi-label), None (regression)."""
        return probabilities(self.task, self.logits)


def predicted_of(task: str, logits: np.ndarray) -> np.ndarray:
    """What ``Evaluation.predicted`` holds for ``task`` (empty logits: no rows)."""
    if not len(logits):
        return np.zeros(0, dtype=np.float32 if task == REGRESSION else np.int64)
    if task == MULTI_LABEL:
        return (sigmoid(logits) >= DEFAULT_THRESHOLD).astype(np.int8)
    if task == REGRESSION:
        return logits.reshape(len(logits), -1)[:, 0]
    return logits.argmax(axis=1)


def evaluate(model: torch.nn.Module, loss_fn: Callable, encoded: Encoded | LazyEncoded, batch_size: int,
             pad_id: int, device: torch.device | None = None, autocast: Autocast = no_autocast,
             progress: bool = False, task: str = SINGLE_LABEL) -> Evaluation:
    """Loss and predictions in eval mode without gradients; the model's mode is restored after.

    Rows are batched longest first (less padding, the same numbers, less memory: see ``by_length``) and the
    logits come back in the data's order. ``progress`` shows the texts done and the time left.
    """
    from tqdm.auto import tqdm

    was_training = model.training
    model.eval()
    losses, logits = [], []
    order = by_length(encoded)
    bar = tqdm(total=len(order), disable=not progress, desc="evaluating", unit="text", mininterval=5)
    try:
        with torch.no_grad():
            for start in range(0, len(order), batch_size):
                batch = collate(encoded, order[start: start + batch_size], pad_id)
                batch = batch.to(device) if device is not None else batch
                with autocast():
                    out = forward(model, batch.input_ids, batch.attention_mask).float()
                losses.append(float(loss_fn(out, batch.labels)) * len(batch))
                logits.append(out.cpu().numpy())
                bar.update(len(batch))
    finally:
        bar.close()
        model.train(was_training)
    stacked = np.concatenate(logits) if logits else np.zeros((0, 0), dtype=np.float32)
    if len(stacked):
        stacked[np.asarray(order)] = stacked.copy()  # row k of the sorted pass is data row order[k]
    return Evaluation(loss=sum(losses) / max(len(encoded), 1), logits=stacked, predicted=predicted_of(task, stacked),
                      task=task)
