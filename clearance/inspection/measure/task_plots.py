"""Step 1's plots of label sets and numeric targets: co-occurrence of labels, and the target's distribution
(PNGs for the report, and their numbers as CSVs for `dvc plots`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clearance.core.report.csv_safe import write_csv
from clearance.core.report.fonts import keyed, with_chain

HISTOGRAM_BINS = 40


def _figure(width: float, height: float) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")  # reports are drawn without a display
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)
    return path


@with_chain
def co_occurrence_matrix(co: dict[str, Any], path: Path) -> Path:
    """Texts carrying both labels, for the most frequent labels (the diagonal: texts carrying the label)."""
    labels, matrix = co["labels"], np.asarray(co["matrix"], dtype=float)
    shown = keyed(labels, "label")
    size = 2.5 + 0.35 * len(labels)
    fig, ax = _figure(size + 1.0, size)
    if not labels:
        ax.text(0.5, 0.5, "no labels", ha="center", va="center")
        ax.set_axis_off()
        return _save(fig, path)
    image = ax.imshow(np.log1p(matrix), cmap="Blues")
    ax.set_xticks(range(len(labels)), [shown[str(c)] for c in labels], rotation=60, ha="right")
    ax.set_yticks(range(len(labels)), [shown[str(c)] for c in labels])
    fig.colorbar(image, ax=ax, label="ln(1 + texts)")
    ax.set_title("Texts carrying both labels")
    return _save(fig, path)


def co_occurrence_csv(co: dict[str, Any], path: Path) -> Path:
    """One row per pair of the matrix's labels: texts carrying both (DVC's confusion template reads it)."""
    labels, matrix = co["labels"], co["matrix"]
    rows = [{"label": a, "with": b, "texts": int(matrix[i][j])}
            for i, a in enumerate(labels) for j, b in enumerate(labels)]
    return write_csv(pd.DataFrame(rows, columns=["label", "with", "texts"]), path)


def _bins(y: np.ndarray) -> np.ndarray:
    low, high = (float(y.min()), float(y.max())) if len(y) else (0.0, 1.0)
    return np.linspace(low, high if high > low else low + 1.0, HISTOGRAM_BINS + 1)


@with_chain
def target_histogram(rows: pd.DataFrame, splits: tuple[str, ...], path: Path) -> Path:
    """The target's distribution per split (share of the split's rows per bin)."""
    y = rows["label"].to_numpy(dtype=float)
    edges = _bins(y)
    fig, ax = _figure(7, 3.2)
    for split in splits:
        part = y[(rows["split"] == split).to_numpy()]
        if len(part):
            ax.hist(part, bins=edges, histtype="step", linewidth=1.5, label=split,
                    weights=np.full(len(part), 1.0 / len(part)))
    ax.set_xlabel("target")
    ax.set_ylabel("share of rows")
    ax.set_title("The target's distribution per split")
    ax.legend()
    return _save(fig, path)


def target_histogram_csv(rows: pd.DataFrame, path: Path) -> Path:
    """Share of rows per bin of the target (all splits)."""
    y = rows["label"].to_numpy(dtype=float)
    counts, edges = np.histogram(y, bins=_bins(y))
    share = counts / max(counts.sum(), 1)
    return write_csv(pd.DataFrame({"target": np.round(edges[:-1], 6), "share": np.round(share, 6)}), path)


@with_chain
def target_by_length(y: np.ndarray, words: pd.Series, path: Path) -> Path:
    """The target against the length in words (a sample of 5,000 points keeps the figure light)."""
    fig, ax = _figure(7, 3.2)
    picked = np.random.default_rng(0).permutation(len(y))[:5000]
    ax.scatter(words.to_numpy()[picked], y[picked], s=4, alpha=0.3)
    ax.set_xlabel("length in words")
    ax.set_ylabel("target")
    ax.set_title("The target against the length")
    return _save(fig, path)
