"""How long a run is and what it draws: its steps, the rows of a run shorter than an epoch, and the
sample of valid the evaluations during training score."""

from __future__ import annotations

import math

import numpy as np

from clearance.core.data.sampling import stratified_rows
from clearance.neural.training.batches import Encoded, LazyEncoded


def total_steps(n: int, batch_size: int, epochs: int, max_steps: int | None) -> int:
    """Optimizer steps of a run: the epochs' batches, capped by ``max_steps``."""
    steps = epochs * math.ceil(n / batch_size)
    return min(steps, max_steps) if max_steps else steps


def drawn_rows(n: int, steps: int, batch_size: int, seed: int) -> list[int] | None:
    """The rows a run of ``steps`` steps draws when that is less than one epoch: a seeded sample of
    steps x batch_size rows, in the data's order. None when the run goes through every row."""
    needed = steps * batch_size
    if needed >= n:
        return None
    return sorted(np.random.default_rng(seed).permutation(n)[:needed].tolist())


def evaluation_sample(valid: Encoded | LazyEncoded | None, max_rows: int | None,
                      seed: int) -> Encoded | LazyEncoded | None:
    """What the evaluations during training score: all of ``valid``, or a seeded sample of ``max_rows`` of it
    when it is larger (each one costs a pass over what it scores): stratified on the classes of a single-label
    task, a plain seeded draw for label sets and targets."""
    if valid is None or max_rows is None:
        return valid
    if valid.labels.dtype.kind == "f":  # multi-hot rows or targets: no classes to keep in proportion
        picked = np.sort(np.random.default_rng(seed).permutation(len(valid))[:max_rows]) \
            if len(valid) > max_rows else None
    else:
        picked = stratified_rows(valid.labels, max_rows, seed)
    return valid if picked is None else valid.subset(picked.tolist())
