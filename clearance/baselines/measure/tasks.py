"""Which built-in baselines a task runs under the names of `baselines.run`, and which of them only guess."""

from __future__ import annotations

from clearance.baselines.measure import models, multi_label, regression
from clearance.baselines.measure.models import Baseline
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL

REGISTRIES: dict[str, dict[str, type[Baseline]]] = {SINGLE_LABEL: models.REGISTRY,
                                                    MULTI_LABEL: multi_label.REGISTRY,
                                                    REGRESSION: regression.REGISTRY}
# A name of `baselines.run` that stands for another baseline in a task (regression: the mean and the median
# are its prior guesses), so one list of names serves every task.
ALIASES: dict[str, dict[str, str]] = {REGRESSION: regression.ALIASES}
# Guesses are the floor, not candidates for the best baseline.
GUESSES: dict[str, tuple[str, ...]] = {SINGLE_LABEL: ("uniform_random", "prior_random"),
                                       MULTI_LABEL: ("uniform_random", "prior_random"),
                                       REGRESSION: ("uniform_random", "mean", "median")}


def registry_of(task: str) -> dict[str, type[Baseline]]:
    """The built-in baselines of ``task``, by every name `baselines.run` may give them."""
    own = REGISTRIES[task]
    return {**own, **{alias: own[name] for alias, name in ALIASES.get(task, {}).items()}}
