"""Matplotlib figures for the reports, written as PNG files.

Each figure draws with the font chain of ``fonts`` (one font per script the machine has), and
shows a class name or token that no font of the chain can draw as a key ("class 1", "token 3")
numbered as in the report's table, which then lists what each key stands for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clearance.core.report.fonts import keyed, safe, with_chain


def _plt() -> Any:
    """pyplot on the Agg backend: reports are written without a display.

    Chosen here rather than at import so importing this module changes nothing.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    plt = _plt()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)
    return path


def empty_axis(ax: Any, text: str) -> None:
    """An axis that says why it holds no curve, instead of a blank frame."""
    ax.text(0.5, 0.5, safe(text), ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


@with_chain
def placeholder(text: str, path: Path) -> Path:
    """A figure that says why there is nothing to draw (the file exists for every run, so DVC finds it)."""
    fig, ax = _plt().subplots(figsize=(6, 1.2))
    empty_axis(ax, text)
    return _save(fig, path)


@with_chain
def class_balance(per_class: dict[str, dict], splits: tuple[str, ...], path: Path) -> Path:
    """Examples per class in each split, as grouped bars."""
    classes = list(per_class)
    shown = keyed(classes, "class")
    fig, ax = _plt().subplots(figsize=(7, 3.2))
    width = 0.8 / len(splits)
    x = np.arange(len(classes))
    for i, split in enumerate(splits):
        ax.bar(x + i * width, [per_class[c][split] for c in classes], width, label=safe(split))
    ax.set_xticks(x + width * (len(splits) - 1) / 2, [shown[str(c)] for c in classes], rotation=20, ha="right")
    ax.set_ylabel("examples")
    ax.set_title("Examples per class and split")
    ax.legend()
    return _save(fig, path)


@with_chain
def length_histograms(lens: pd.DataFrame, labels: pd.Series, unit: str, path: Path) -> Path:
    """Distribution of text length per class (share of the class's texts), classes in sorted order."""
    fig, ax = _plt().subplots(figsize=(7, 3.2))
    values = lens[unit]
    top = max(float(values.quantile(0.995)), 1.0)
    bins = np.linspace(0, top, 40)
    groups = list(values.groupby(labels.to_numpy()))
    shown = keyed([label for label, _ in groups], "class")
    for label, group in groups:
        ax.hist(group.clip(upper=top), bins=bins, histtype="step", density=True, label=shown[str(label)],
                linewidth=1.5)
    ax.set_xlabel(f"length in {unit}")
    ax.set_ylabel("density")
    ax.set_title(f"Length in {unit} per class")
    ax.legend()
    return _save(fig, path)


@with_chain
def top_token_bars(top: dict[str, list[tuple[str, float]]], path: Path) -> Path:
    """The most class-indicative tokens of each class by log-odds z-score.

    Tokens are numbered for their keys in class order, then from the most indicative down.
    """
    classes = list(top)
    shown = keyed(classes, "class")
    tokens = keyed([w for label in classes for w, _ in top[label]], "token")
    fig, axes = _plt().subplots(1, len(classes), figsize=(3.2 * len(classes), 4), squeeze=False)
    for ax, label in zip(axes[0], classes):
        pairs = top[label][::-1]
        ax.barh([tokens[str(w)] for w, _ in pairs], [z for _, z in pairs], color="tab:blue")
        ax.set_title(shown[str(label)])
        ax.set_xlabel("log-odds z")
    fig.suptitle("Most indicative tokens per class (train)")
    return _save(fig, path)


@with_chain
def pattern_rates(per_class: dict[str, dict[str, float]], path: Path) -> Path:
    """Share of texts with URLs, hashtags, mojibake … per class."""
    frame = pd.DataFrame(per_class)
    shown = keyed(frame.columns, "class")
    frame = frame.rename(columns=lambda c: shown[str(c)], index=safe)
    fig, ax = _plt().subplots(figsize=(8, 3.4))
    frame.plot.bar(ax=ax)
    ax.set_ylabel("share of texts")
    ax.set_title("Surface patterns per class")
    ax.tick_params(axis="x", rotation=30)
    return _save(fig, path)


@with_chain
def confusion_matrix(table: pd.DataFrame, path: Path, title: str) -> Path:
    """A confusion matrix (true classes as rows) with counts in the cells."""
    shown = keyed([*table.index, *table.columns], "class")
    fig, ax = _plt().subplots(figsize=(4.8, 4.2))
    if table.empty:
        ax.text(0.5, 0.5, "no baseline to analyse", ha="center", va="center")
        ax.set_axis_off()
        return _save(fig, path)
    ax.imshow(table.to_numpy(), cmap="Blues")
    ax.set_xticks(range(len(table.columns)), [shown[str(c)] for c in table.columns], rotation=30, ha="right")
    ax.set_yticks(range(len(table.index)), [shown[str(c)] for c in table.index])
    top = table.to_numpy().max() or 1
    for (i, j), value in np.ndenumerate(table.to_numpy()):
        ax.text(j, i, str(value), ha="center", va="center", color="white" if value > top / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(safe(title))
    return _save(fig, path)
