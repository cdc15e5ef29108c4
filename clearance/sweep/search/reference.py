"""Step 3's configuration as the study's first trial, so the seed re-runs can reuse it.

The seed re-runs train step 3's configuration at the sweep's budget with the paired seeds. Its first
seed is the seed every trial trains with, so a trial of step 3's own values is that re-run, to the last
digit: queued first, it is one of the sweep's trials (a point the importances and the plots read) and
the reference's first seed at no extra cost.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import optuna

from clearance.core.config.params import lookup
from clearance.sweep.search.space import INT_KINDS, Dimension

REFERENCE_ATTR = "reference"  # user attr of the queued trial of step 3's values
SEED_ATTR = "seed"  # user attr: the train.seed a trial trained with (a re-run reuses it only on the same seed)


def within(dim: Dimension, value: Any) -> bool:
    """Whether ``value`` is a value the dimension can draw (Optuna refuses or warns about others)."""
    if dim.kind == "choice":
        return any(value == choice and isinstance(value, bool) == isinstance(choice, bool) for choice in dim.choices)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return False
    if dim.kind in INT_KINDS and not isinstance(value, int):
        return False
    return float(dim.low or 0) <= value <= float(dim.high or 0)


def reference_values(dims: Iterable[Dimension], params: Mapping[str, Any]) -> dict[str, Any] | None:
    """Step 3's value of every searched key; None when one lies outside the space (nothing to queue)."""
    values = {dim.key: lookup(dict(params), dim.key)[1] for dim in dims}  # a missing key is None: not within
    return values if all(within(dim, values[dim.key]) for dim in dims) else None


def queue_reference(study: optuna.Study, dims: list[Dimension], params: Mapping[str, Any]) -> str:
    """Queue step 3's values as a new study's first trial; says what was done, for the stage's output."""
    if study.get_trials(deepcopy=False):
        return ""  # a resumed study queued it when it was new
    values = reference_values(dims, params)
    if values is None:
        return ("step 3's settings lie outside sweep.space: not queued as a trial, so the seed re-runs "
                "train its first seed too")
    study.enqueue_trial(values, user_attrs={REFERENCE_ATTR: True})
    return f"trial 0 is step 3's configuration ({values}): the seed re-runs reuse it as their first seed"
