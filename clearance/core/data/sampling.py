"""Seeded samples of rows in class proportions: what every part that samples a large split draws."""

from __future__ import annotations

import numpy as np


def stratified_rows(labels: np.ndarray, size: int, seed: int) -> np.ndarray | None:
    """Positions of a seeded sample of ``size`` rows in class proportions, in their original order;
    None when there are no more rows than that."""
    from sklearn.model_selection import train_test_split

    if len(labels) <= size:
        return None
    positions = np.arange(len(labels))
    try:
        picked, _ = train_test_split(positions, train_size=size, random_state=seed, stratify=labels)
    except ValueError:  # a class with a single row cannot be stratified: a plain seeded draw
        picked = np.random.default_rng(seed).choice(positions, size=size, replace=False)
    return np.sort(picked)
