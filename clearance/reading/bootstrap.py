"""Bootstrap intervals: how much a score on these rows could move with other rows like them.

Percentile intervals over resamples of the rows (with replacement), seeded; a paired interval resamples the
same rows for two models, so what both get right or wrong together cancels out of the difference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clearance.reading.metrics import Scorer


@dataclass(frozen=True)
class Interval:
    """A score on the rows and the bounds of its central ``level`` bootstrap interval."""

    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return {"value": round(self.value, 6), "low": round(self.low, 6), "high": round(self.high, 6)}


def resamples(rows: np.ndarray, times: int, seed: int) -> np.ndarray:
    """``times`` resamples of ``rows`` (one per line), drawn with replacement."""
    rng = np.random.default_rng(seed)
    return rows[rng.integers(0, len(rows), size=(times, len(rows)))] if len(rows) else np.empty((times, 0), int)


def _bounds(values: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1.0 - level) / 2 * 100
    finite = values[np.isfinite(values)]
    if not len(finite):
        return float("nan"), float("nan")
    return float(np.percentile(finite, tail)), float(np.percentile(finite, 100 - tail))


def interval(score: Scorer, rows: np.ndarray, times: int, seed: int, level: float = 0.95) -> Interval:
    """``score`` on ``rows`` and its bootstrap interval."""
    values = np.array([score(sample) for sample in resamples(rows, times, seed)])
    return Interval(score(rows), *_bounds(values, level))


def paired_interval(first: Scorer, second: Scorer, rows: np.ndarray, times: int, seed: int,
                    level: float = 0.95) -> Interval:
    """``first`` minus ``second`` on ``rows`` and the interval of the difference over shared resamples."""
    samples = resamples(rows, times, seed)
    values = np.array([first(s) - second(s) for s in samples])
    return Interval(first(rows) - second(rows), *_bounds(values, level))
