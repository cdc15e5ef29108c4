"""Label names inside texts: how often a text holds its own label's name, against how often other texts hold it.
A name that is a common word (``good``, ``bad``) occurs in every label's texts alike and is no leak; a name
that appears mostly in its own texts (``… [FRESH]`` left by a labelling tool) is."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from clearance.core.text.units import WordUnit

EXAMPLES = 3
# A name of one character or digits only ("1" to "5" stars) occurs in texts for reasons of its own.
TOO_COMMON = re.compile(r"^(?:.|\d+(?:\.\d+)?)$")


def name_forms(name: str) -> list[str]:
    """The ways a label name is written in a text: as it is, and with ``_`` or ``-`` as spaces."""
    base = str(name).strip().lower()
    forms = {base, base.replace("_", " "), base.replace("-", " ")}
    return sorted(f for f in forms if f)


def name_pattern(name: str, unit: WordUnit) -> str | None:
    """A case-insensitive pattern matching the name as a word (inside text for unspaced scripts), or None for a
    name too common to tell anything."""
    if TOO_COMMON.match(str(name).strip()):
        return None
    forms = "|".join(re.escape(f).replace(r"\ ", r"\s+") for f in name_forms(name))
    return rf"(?i)(?<!\w)(?:{forms})(?!\w)" if unit.spaced else rf"(?i)(?:{forms})"


def one_name(texts: pd.Series, own: np.ndarray, name: str, unit: WordUnit) -> dict[str, Any]:
    """The share of the label's texts and of the other texts that hold its name, and a few to read."""
    pattern = name_pattern(name, unit)
    if pattern is None:
        return {"skipped": "a name of one character or digits only occurs in texts for other reasons"}
    has = texts.str.contains(pattern, regex=True).fillna(False).to_numpy(dtype=bool)
    n_own, n_other = int(own.sum()), int((~own).sum())
    own_hits, other_hits = int((has & own).sum()), int((has & ~own).sum())
    own_share = own_hits / max(n_own, 1)
    # One more text holding the name among the others keeps the ratio finite and honest on small data.
    other_share = (other_hits + 1) / (n_other + 1)
    return {"forms": name_forms(name), "own_texts": n_own, "own_hits": own_hits, "own_share": own_share,
            "other_texts": n_other, "other_hits": other_hits, "other_share": other_hits / max(n_other, 1),
            "ratio": own_share / other_share, "examples": texts[has & own].head(EXAMPLES).tolist()}


def label_names(texts: pd.Series, columns: np.ndarray, names: list[str], unit: WordUnit) -> dict[str, Any]:
    """Each label's name in its own texts and in the others (``columns``: the labels as 0/1 columns)."""
    texts = texts.astype("string").fillna("")
    per_label = {str(name): one_name(texts, columns[:, j], name, unit) for j, name in enumerate(names)}
    measured = {k: v for k, v in per_label.items() if "ratio" in v}
    return {"labels": per_label, "measured": len(measured)}
