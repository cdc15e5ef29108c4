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


SCHEDULES = ("constant", "linear", "cosine")


def lr_factor(step: int, total: int, kind: str, warmup_ratio: float) -> float:
    """The share of ``train.lr`` that step ``step`` (0-based) of ``total`` trains at: a linear warm-up over the
    first ``warmup_ratio`` of the steps, then constant, a linear decay to zero, or a half cosine to zero (the
    shapes of transformers' get_constant/linear/cosine_schedule_with_warmup). It reads the step alone, so a
    resumed run picks its rate up where it left off."""
    warmup = int(round(warmup_ratio * total))
    if step < warmup:
        return (step + 1) / warmup
    if kind == "constant" or total <= warmup:
        return 1.0
    done = (step - warmup) / max(total - warmup, 1)
    if kind == "linear":
        return max(0.0, 1.0 - done)
    return 0.5 * (1.0 + math.cos(math.pi * done))


def require_schedule(kind: str, warmup_ratio: float) -> None:
    """A schedule this module draws, and a warm-up share in [0, 1); else a UserError naming the setting."""
    from clearance.core.errors import UserError

    if kind not in SCHEDULES:
        raise UserError(f"train.schedule={kind}", "is not a learning-rate schedule",
                        f"set train.schedule to one of {', '.join(SCHEDULES)} (conf/train/default.yaml)")
    if not 0.0 <= warmup_ratio < 1.0:
        raise UserError(f"train.warmup_ratio={warmup_ratio}", "is not a share of the steps in [0, 1)",
                        "set train.warmup_ratio to e.g. 0.06 (6% of the steps warm up), or 0 for none")
