"""Templates: long spans of words that many distinct texts share (a signature, a disclaimer, a form's
boilerplate, a tool's tag), grouped and counted per label, with how far the texts holding one lean to a label
(or, for a number, how far their mean lies from the others')."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from clearance.core.text.units import WORD_PATTERN, WordUnit

CANDIDATES = 300  # most shared spans looked at
MOST_TEMPLATES = 20
SAME_TEMPLATE = 0.8  # two spans held by nearly the same texts are parts of one template


def _token_ids(texts: pd.Series, unit: WordUnit) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(token ids of all texts end to end, each token's text, the tokens' words by id)."""
    if unit.spaced:
        words = texts.str.lower().str.findall(WORD_PATTERN)
    else:
        words = texts.map(unit.words)
    lengths = words.map(len).to_numpy()
    flat = np.fromiter((w for ws in words for w in ws), dtype=object, count=int(lengths.sum()))
    ids, vocab = pd.factorize(flat)
    return ids.astype(np.uint64), np.repeat(np.arange(len(texts)), lengths), np.asarray(vocab, dtype=object)


def shared_spans(texts: pd.Series, unit: WordUnit, words: int, min_texts: int):
    """(a binary texts x spans matrix, the spans' words) of the ``words``-word spans in ``min_texts`` texts or
    more. Each span is hashed from its token ids in one pass over all tokens (no per-text n-gram lists)."""
    ids, owner, vocab = _token_ids(texts, unit)
    starts = len(ids) - words + 1
    if starts <= 0:
        return None, []
    # Polynomial hash of each window of token ids (wrapping uint64 arithmetic); a window crossing two texts is
    # dropped. Collisions of 64-bit hashes among a few million windows are vanishingly rare.
    hashed = np.zeros(starts, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(words):
            hashed = hashed * np.uint64(1_000_003) + ids[k:k + starts] + np.uint64(1)
    inside = owner[:starts] == owner[words - 1:]
    position = np.flatnonzero(inside)
    pairs = pd.DataFrame({"span": hashed[position], "text": owner[position], "at": position})
    pairs = pairs.drop_duplicates(["span", "text"])
    held = pairs["span"].map(pairs["span"].value_counts())
    pairs = pairs[held.to_numpy() >= min_texts]
    if pairs.empty:
        return None, []
    codes, uniques = pd.factorize(pairs["span"])
    matrix = sparse.csc_matrix((np.ones(len(pairs), dtype=np.int32), (pairs["text"].to_numpy(), codes)),
                               shape=(len(texts), len(uniques)))
    first = pairs.groupby(codes)["at"].first().to_numpy()
    spans = [" ".join(vocab[ids[a:a + words].astype(np.int64)]) for a in first]
    return matrix, spans


def group(matrix, most: int = MOST_TEMPLATES) -> list[int]:
    """Columns of distinct templates, most shared first: a span whose texts are nearly those of a span already
    kept (Jaccard at least SAME_TEMPLATE) belongs to it."""
    held = np.asarray(matrix.sum(axis=0)).ravel().astype(float)
    order = np.argsort(-held, kind="stable")[:CANDIDATES]
    top = matrix[:, order]
    both = (top.T @ top).toarray().astype(float)  # texts holding both spans, for every pair at once
    jaccard = both / (held[order][:, None] + held[order][None, :] - both)
    kept: list[int] = []
    for i in range(len(order)):
        if all(jaccard[i, k] < SAME_TEMPLATE for k in kept):
            kept.append(i)
        if len(kept) >= most:
            break
    return [int(order[i]) for i in kept]


def span_in(text: str, span_words: str, unit: WordUnit) -> str:
    """The span as one text writes it (its punctuation and case), to show and to remove; else its words."""
    parts = [re.escape(w) for w in span_words.split(" ")]
    found = re.search(r"(?i)" + (r"\W+" if unit.spaced else r"\W*").join(parts), text)
    return found.group(0) if found else span_words if unit.spaced else span_words.replace(" ", "")


def lean(rows: np.ndarray, columns: np.ndarray | None, target: np.ndarray | None, names: list[str]) -> dict[str, Any]:
    """How the template's texts lean: the label they most often have, its share there and overall (classes), or
    their mean target against the others' in standard deviations (a number)."""
    if columns is not None:
        shares = columns[rows].mean(axis=0)
        top = int(np.argmax(shares))
        overall = float(columns[:, top].mean())
        counts = {names[k]: int(columns[rows, k].sum()) for k in np.argsort(-shares)[:5] if columns[rows, k].any()}
        return {"top_label": names[top], "purity": float(shares[top]), "overall": overall,
                "lift": float(shares[top]) - overall, "labels": counts}
    spread = float(np.std(target)) or 1.0
    inside, outside = target[rows], target[~rows]
    return {"mean": float(inside.mean()), "others_mean": float(outside.mean()) if len(outside) else 0.0,
            "shift": float((inside.mean() - (outside.mean() if len(outside) else inside.mean())) / spread)}


def templates(texts: pd.Series, columns: np.ndarray | None, target: np.ndarray | None, names: list[str],
              unit: WordUnit, words: int, min_texts: int) -> dict[str, Any]:
    """Templates shared by ``min_texts`` distinct texts or more, and how each leans (``columns``: the labels as
    0/1 columns for classes; ``target``: the number otherwise)."""
    texts = texts.astype("string").fillna("")
    # copies are duplicates (step 1 counts them), not templates
    distinct = ~texts.str.lower().str.replace(r"\s+", " ", regex=True).duplicated().to_numpy()
    kept_texts = texts[distinct].reset_index(drop=True)
    found = {"searched_texts": int(distinct.sum()), "words": words, "min_texts": min_texts, "templates": []}
    matrix, spans = shared_spans(kept_texts, unit, words, min_texts)
    if matrix is None:
        return found
    kept_columns = columns[distinct] if columns is not None else None
    kept_target = target[distinct] if target is not None else None
    for j in group(matrix):
        rows = np.zeros(len(kept_texts), dtype=bool)
        rows[matrix[:, j].nonzero()[0]] = True
        example = kept_texts[rows].iloc[0]
        found["templates"].append({"span": span_in(example, spans[j], unit), "texts": int(rows.sum()),
                                   "share": float(rows.mean()), "example": example,
                                   **lean(rows, kept_columns, kept_target, names)})
    return found
