"""A model's answers on the rows of one split, as files: what the stage reading the errors consumes.

Two writers: the baselines stage (the best baseline's valid answers, reports/baselines/best_valid.npz) and the
training stage (the model's outputs, reports/model/valid_outputs.npz: row, logits, temperature, predicted,
classes, task). Both are read into ``RowOutputs``: answers in the prepared labels' own form and, when the model
has them, probabilities (calibrated by the model's temperature).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clearance.core.errors import UserError
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL, Task, encode_label_set

BEST_VALID = "best_valid.npz"  # reports/baselines/: the best baseline's valid answers
TEST_ANSWERS = "test_answers.npz"  # reports/sweep/: the chosen model's test answers (step 4's final test)
BEST_TEST = "best_test.npz"  # reports/baselines/: its test answers (step 4's final test reads them)
VALID_OUTPUTS = "valid_outputs.npz"  # reports/model/: the model's valid outputs


@dataclass
class RowOutputs:
    """Who answered, each row's key, its answer in the prepared labels' form, and probabilities (or None)."""

    name: str
    rows: np.ndarray
    answers: list
    probs: np.ndarray | None = None

    def save(self, path: Path) -> Path:
        """Write an .npz (no pickles: answers as text, or floats for numbers)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        numbers = all(isinstance(a, (int, float, np.floating, np.integer)) for a in self.answers)
        answers = np.asarray(self.answers, dtype=float if numbers and self.answers else str)
        extra = {} if self.probs is None else {"probs": np.asarray(self.probs, dtype=np.float32)}
        with path.open("wb") as handle:  # np.savez adds .npz to a bare name; a handle keeps the name given
            np.savez(handle, name=np.asarray(self.name), rows=np.asarray(self.rows, dtype=np.int64),
                     answers=answers, **extra)
        return path

    @classmethod
    def load(cls, path: Path) -> "RowOutputs":
        with np.load(path, allow_pickle=False) as data:
            answers = data["answers"]
            return cls(str(data["name"]), data["rows"].astype(np.int64),
                       answers.tolist(), data["probs"].astype(float) if "probs" in data else None)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def model_outputs(path: Path, task: Task) -> RowOutputs:
    """The training stage's valid_outputs.npz as answers and calibrated probabilities."""
    if not path.exists():
        raise UserError(str(path), "missing: the training stage writes it when the model trained",
                        "run `dvc repro` so step 3 trains (a failing probe or a diverged run leaves no model)")
    with np.load(path, allow_pickle=False) as data:
        rows, logits = data["row"].astype(np.int64), data["logits"].astype(float)
        temperature = float(data["temperature"]) if "temperature" in data else 1.0
        predicted = data["predicted"]
    classes = np.asarray(task.classes, dtype=object)
    if task.name == REGRESSION:
        return RowOutputs("model", rows, np.asarray(predicted, dtype=float).tolist())
    if task.name == MULTI_LABEL:
        probs = 1.0 / (1.0 + np.exp(-logits / temperature))
        answers = [encode_label_set(classes[np.asarray(r).astype(bool)]) for r in predicted]
        return RowOutputs("model", rows, answers, probs)
    answers = classes[np.asarray(predicted, dtype=np.int64)].tolist() if task.name == SINGLE_LABEL else []
    return RowOutputs("model", rows, answers, _softmax(logits / temperature))


def aligned(outputs: RowOutputs, rows: np.ndarray, where: str) -> RowOutputs:
    """``outputs`` in the order of ``rows`` (the split's), every row answered once."""
    position = {int(r): i for i, r in enumerate(outputs.rows)}
    missing = [int(r) for r in rows if int(r) not in position]
    if missing:
        raise UserError(where, f"answers no row {missing[0]} of the split ({len(missing)} rows missing)",
                        "run `dvc repro` so it is written again from the current data")
    order = np.array([position[int(r)] for r in rows], dtype=np.int64)
    probs = None if outputs.probs is None else outputs.probs[order]
    return RowOutputs(outputs.name, np.asarray(rows, dtype=np.int64), [outputs.answers[i] for i in order], probs)
