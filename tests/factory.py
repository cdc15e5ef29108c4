"""Small synthetic labelled texts for tests: clean by default, with knobs to trip each check."""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYWORDS = {
    "negative": ["hate", "awful", "broken", "worst", "angry"],
    "neutral": ["report", "update", "announced", "today", "meeting"],
    "positive": ["love", "great", "amazing", "happy", "best"],
}
FILLER = ("the car phone city road app team new day week people time work home game "
          "music store street price plan idea news video photo school train bus").split()


def make_texts(n_per_class: int = 60, seed: int = 0, classes: dict[str, int] | None = None) -> pd.DataFrame:
    """Distinct texts whose keywords give away the class, about 8 words each."""
    rng = np.random.default_rng(seed)
    counts = classes or {label: n_per_class for label in KEYWORDS}
    rows = []
    for label, n in counts.items():
        words = KEYWORDS.get(label, KEYWORDS["neutral"])
        for i in range(n):
            body = list(rng.choice(FILLER, size=6)) + [str(rng.choice(words)), f"w{label[:3]}{i}"]
            rng.shuffle(body)
            rows.append({"text": " ".join(body), "label": label})
    frame = pd.DataFrame(rows)
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def write_table(frame: pd.DataFrame, path, fmt: str = "csv") -> None:
    """Write a frame as csv, tsv, jsonl or parquet."""
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path, index=False)
