"""The task a label column asks for: one class per text, a set of labels per text, or a number.

``data.task`` names it (``auto`` lets prepare decide and say why, data/prepared/summary.json ``task``).
The prepared splits keep one ``label`` column whatever the task, so that rows, duplicates and splits are
handled alike:

- single_label: the class name (text);
- multi_label: the text's label set as a JSON list, sorted (``["Adult", "Humans"]``; ``[]`` when the text
  has no label), so that equal sets are equal strings;
- regression: the target, a finite float.

Every step reads the task through ``task_of(summary)`` and asks it for the shape it needs. Light on
imports: the gate and the CLI read it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

SINGLE_LABEL = "single_label"
MULTI_LABEL = "multi_label"
REGRESSION = "regression"
TASKS = (SINGLE_LABEL, MULTI_LABEL, REGRESSION)
SETTINGS = ("auto",) + TASKS  # the values data.task takes
CLASSIFICATION = (SINGLE_LABEL, MULTI_LABEL)


def encode_label_set(labels: Iterable[str]) -> str:
    """A label set's kept form: its distinct labels, sorted, as a JSON list."""
    return json.dumps(sorted(set(labels)), ensure_ascii=False)


def decode_label_set(kept: str) -> list[str]:
    """The labels of a kept label set (``encode_label_set``'s inverse)."""
    return list(json.loads(kept))


@dataclass(frozen=True)
class Task:
    """What the labels are, and the label vocabulary when they are classes."""

    name: str
    classes: tuple[str, ...] = ()  # single and multi-label: every label, sorted; regression: none

    def __post_init__(self) -> None:
        if self.name not in TASKS:
            raise ValueError(f"unknown task {self.name!r}: one of {', '.join(TASKS)}")

    @property
    def classification(self) -> bool:
        return self.name in CLASSIFICATION

    @property
    def outputs(self) -> int:
        """How many numbers a model gives per text: one per class (logits), or one (the predicted target)."""
        return 1 if self.name == REGRESSION else len(self.classes)

    def label_sets(self, labels: Sequence[str]) -> list[list[str]]:
        """Each multi-label row's labels."""
        self._require(MULTI_LABEL)
        return [decode_label_set(kept) for kept in labels]

    def indicators(self, labels: Sequence[str]) -> np.ndarray:
        """A (rows, classes) 0/1 matrix of multi-label rows, columns in ``classes`` order (a label outside
        ``classes`` is left out: it was not seen when the vocabulary was made)."""
        self._require(MULTI_LABEL)
        column = {c: i for i, c in enumerate(self.classes)}
        out = np.zeros((len(labels), len(self.classes)), dtype=np.int8)
        for row, kept in enumerate(labels):
            for label in decode_label_set(kept):
                if label in column:
                    out[row, column[label]] = 1
        return out

    def from_indicators(self, matrix: np.ndarray) -> list[str]:
        """Kept label sets of a (rows, classes) 0/1 matrix (``indicators``' inverse)."""
        self._require(MULTI_LABEL)
        return [encode_label_set(self.classes[i] for i in np.flatnonzero(row)) for row in np.asarray(matrix)]

    def targets(self, labels: Sequence[float]) -> np.ndarray:
        """Regression rows' targets as floats."""
        self._require(REGRESSION)
        return np.asarray(labels, dtype=np.float64)

    def _require(self, name: str) -> None:
        if self.name != name:
            raise ValueError(f"this is a {self.name} task, not {name}")


def task_of(summary: dict) -> Task:
    """The task data/prepared/summary.json records (a summary written before tasks were recorded is
    single-label)."""
    name = (summary.get("task") or {}).get("name", SINGLE_LABEL)
    return Task(name=name, classes=tuple(summary.get("classes") or ()))
