"""Probes declared once: ``@probe(key)`` on a family module's measuring function.

The key is the probe's key in probes.json, which step 3's checks name in their ``reads``; the suite
runs the probes its families declare, in order, and the record refuses to be written without one of
them. A probe's function gets what it may measure: an ``InputRun`` (the tokenised training texts, no
model yet) or a ``ModelRun`` (the model, its probe batch and the other parts).
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from clearance.core.task import SINGLE_LABEL, TASKS, Task


@dataclass
class InputRun:
    """What an input probe measures: the training texts (a sample of them), tokenised in full."""

    tokenizer: Any
    raw_texts: Sequence[str]  # as in the data, row for row with ``texts``
    texts: Sequence[str]  # after preprocessing
    full_ids: list[list[int]]  # each text's token ids, untruncated
    max_length: int
    limit: int | None  # the most tokens the model and tokenizer take, when known
    samples: int  # decoded samples shown in the report
    seed: int


@dataclass
class ModelRun:
    """What a model probe measures: the model at initialization, its probe batch, and the other parts."""

    parts: Any
    model: Any  # torch.nn.Module, already on ``device``
    batch: Any  # the probe batch (neural.training.batches.Batch), on ``device``
    pad_id: int
    limit: int | None
    seed: int
    train_cfg: Any
    probes_cfg: Any
    train: Any  # Encoded | LazyEncoded
    small: Any  # a probe batch's worth of training rows
    held_out: Any  # as many valid rows (train's when valid is empty)
    device: Any
    autocast: Callable
    make_optimizer: Callable  # params -> the configured optimizer over them
    stop_below: float | None = None  # the overfit run ends once a step's loss is below this

    @property
    def classes(self) -> int:
        return len(self.parts.classes)

    @property
    def task(self) -> Task:
        return task_of_parts(self.parts)


def task_of_parts(parts: Any) -> Task:
    """The task the parts serve: ``parts.task``, or single-label over ``parts.classes`` (parts made by hand)."""
    task = getattr(parts, "task", None)
    return task if isinstance(task, Task) else Task(SINGLE_LABEL, tuple(parts.classes))


@dataclass(frozen=True)
class Probe:
    """A probe's declaration: its key in probes.json, how it measures, and when it cannot run."""

    key: str
    measure: Callable[[Any], Any] = field(compare=False, repr=False)
    needs_logits: bool = False  # skipped when the model's output is not logits [batch, classes]
    on_inputs: bool = False  # measures an InputRun (before the model is built), else a ModelRun
    tasks: tuple[str, ...] = TASKS  # the tasks it measures something for (others neither run nor record it)
    line: int = 0  # where it is declared: the suite runs a family's probes in source order


def probe(key: str, *, needs_logits: bool = False, on_inputs: bool = False,
          tasks: Iterable[str] = TASKS) -> Callable:
    """Declare ``measure(run) -> dict`` as the probe whose measurement probes.json keeps under ``key`` (for the
    ``tasks`` it applies to: its checks apply to those alone)."""
    def wrap(measure: Callable[[Any], Any]) -> Callable[[Any], Any]:
        measure.probe = Probe(key, measure, needs_logits, on_inputs, tuple(tasks),  # type: ignore[attr-defined]
                              measure.__code__.co_firstlineno)
        return measure
    return wrap


def probes_in(families: Iterable[types.ModuleType]) -> tuple[Probe, ...]:
    """The probes the family modules declare: the families in the order given, each in source order."""
    found: list[Probe] = []
    for module in families:
        declared = [value.probe for value in vars(module).values()
                    if callable(value) and isinstance(getattr(value, "probe", None), Probe)
                    and getattr(value, "__module__", "") == module.__name__]
        found.extend(sorted(declared, key=lambda p: p.line))
    keys = [p.key for p in found]
    if len(set(keys)) != len(keys):
        raise ValueError(f"a probe key is declared twice: {sorted(k for k in keys if keys.count(k) > 1)}")
    return tuple(found)
