"""Which metric to judge progress by, given the class balance."""

from __future__ import annotations


def recommend_metric(imbalance_ratio: float, limit: float) -> tuple[str, str]:
    """The recommended primary metric and why."""
    if imbalance_ratio > limit:
        return "macro_f1", (
            f"classes are imbalanced (largest/smallest = {imbalance_ratio:.2f} > {limit}): accuracy rewards a "
            "model that neglects the rare classes, macro-F1 weighs every class equally")
    return "accuracy", (
        f"classes are balanced (largest/smallest = {imbalance_ratio:.2f} ≤ {limit}): accuracy is easy to read "
        "and agrees with macro-F1 here")


def imbalance(counts: dict[str, int]) -> float:
    """Largest class over smallest class."""
    values = [v for v in counts.values()]
    return max(values) / max(min(values), 1)
