"""reports/model/valid_outputs.npz: the trained model's outputs on every valid row, for the stages that read the
model's errors (clearance.reading.outputs reads it).

Arrays (``np.load(path, allow_pickle=False)``), rows in the prepared valid split's order:

- ``row`` int64 [N]: the valid split's ``row`` column;
- ``logits`` float32 [N, K]: the raw outputs (a regression model's [N, 1], in model units);
- ``temperature`` float64 (0-d): the temperature the served probabilities divide the logits by (1.0 for a
  number): softmax(logits / T), or sigmoid(logits / T) per label;
- ``predicted``: the answers the package gives: int64 [N] class indices; int8 [N, K] 0/1, each label kept where
  its calibrated probability reaches training.json's ``threshold``; float64 [N] in the target's units;
- ``classes`` str [K] (empty for a number); ``task`` str (0-d);
- ``why`` str (0-d): "" when the model trained; else why there are no outputs.

A run the probes stopped or that diverged has no outputs to give: the file is still written (DVC requires every
declared output), with no rows (N = 0) and ``why`` saying why; a reader should treat N = 0 as "no model".
Written with fixed zip timestamps, so the same outputs give the same bytes.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from clearance.core.task import MULTI_LABEL, REGRESSION, Task
from clearance.neural.task_heads import DEFAULT_THRESHOLD, TargetScale, probabilities

VALID_OUTPUTS_FILE = "valid_outputs.npz"
EPOCH = (1980, 1, 1, 0, 0, 0)  # the zip format's earliest date: no clock in the bytes


def write_npz(arrays: dict[str, Any], path: Path) -> Path:
    """An .npz np.load reads, byte for byte the same for the same arrays (np.savez stamps the time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, value in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as handle:
                np.lib.format.write_array(handle, np.asanyarray(value), allow_pickle=False)
    return path


def predicted_of(task: Task, logits: np.ndarray, threshold: float | None, temperature: float,
                 scale: TargetScale) -> np.ndarray:
    """The package's answers as arrays: class indices, 0/1 per label, or numbers in the target's units."""
    if task.name == REGRESSION:
        return scale.restore(logits.reshape(len(logits), -1)[:, 0]).astype(np.float64)
    if task.name == MULTI_LABEL:
        cut = threshold if threshold is not None else DEFAULT_THRESHOLD
        return (probabilities(MULTI_LABEL, logits, temperature) >= cut).astype(np.int8)
    return logits.argmax(axis=1).astype(np.int64) if len(logits) else np.zeros(0, dtype=np.int64)


def write_valid_outputs(path: Path, task: Task, rows: np.ndarray, logits: np.ndarray, threshold: float | None,
                        temperature: float | None, scale: TargetScale = TargetScale()) -> Path:
    """The trained model's valid outputs (see the module's docstring)."""
    outputs = np.asarray(logits, dtype=np.float32)
    t = float(temperature) if temperature is not None and task.name != REGRESSION else 1.0
    return write_npz({"row": np.asarray(rows, dtype=np.int64), "logits": outputs,
                      "temperature": np.float64(t), "predicted": predicted_of(task, outputs, threshold, t, scale),
                      "classes": np.asarray(list(task.classes), dtype=str), "task": np.asarray(task.name),
                      "why": np.asarray("")}, path)


def write_no_outputs(path: Path, why: str, task: Task | None = None) -> Path:
    """The file of a run with no model: no rows, and why."""
    classes = list(task.classes) if task is not None else []
    width = task.outputs if task is not None else 0
    predicted = np.zeros((0, width), dtype=np.int8) if task is not None and task.name == MULTI_LABEL else \
        np.zeros(0, dtype=np.float64 if task is not None and task.name == REGRESSION else np.int64)
    return write_npz({"row": np.zeros(0, dtype=np.int64), "logits": np.zeros((0, width), dtype=np.float32),
                      "temperature": np.float64(1.0), "predicted": predicted,
                      "classes": np.asarray(classes, dtype=str), "task": np.asarray(task.name if task else ""),
                      "why": np.asarray(why)}, path)
