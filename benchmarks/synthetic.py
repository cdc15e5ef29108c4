"""Synthetic tweet-like data for the benchmarks (not a benchmark itself).

Three classes with the default corpus' rough shape: ~104 characters a text,
a Zipf-distributed vocabulary shared by all classes plus a few class-leaning
words, URLs in ~30% of rows, hashtags in ~50%, mentions in ~70%, retweets,
HTML entities, emoji, ~3% repeated texts (some with a conflicting label) and
~5% label noise.

Making the made-up vocabulary takes about half a second whatever the rows; smoke runs pass a smaller
``vocabulary`` (SMOKE_VOCABULARY), which changes their texts but not the full runs'.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

CLASSES = np.array(["negative", "neutral", "positive"])
CLASS_SHARE = np.array([0.42, 0.40, 0.18])
COMMON = ("the a to and of i is in it you that for on my this with be at so was but not are have "
          "just me your all what get like can out up now if do will no about how when one time they "
          "today new there more day we by from would been know who see why go car cars flight game "
          "ball phone team people really still think need here back want got new good first over "
          "after service apple google driverless self driving patriots brady football airline").split()
LEANING = {
    "negative": "hate worst terrible awful delayed cancelled broken never waste angry sucks fail "
                "lost rude cheating disappointed lazy scary crash ugh stuck".split(),
    "neutral": "says report press conference news announces update watch via video live schedule "
               "official statement question ask wonder according details".split(),
    "positive": "love great thanks awesome amazing best happy excited cool nice fantastic glad "
                "wonderful perfect fun enjoy impressed brilliant favorite".split(),
}
EMOJI = ["😂", "🙄", "👍", "❤️", "😡", "🚗", "✈️", "🏈"]
VOCABULARY = 40_000  # made-up words; handles and hashtags are drawn in proportion (1/8 and 3/40 of it)
SMOKE_VOCABULARY = 2_000


def _pseudo_words(rng: np.random.Generator, n: int) -> list[str]:
    """Pronounceable made-up words, so the vocabulary has a realistic long tail."""
    onsets = list("bcdfghjklmnprstvwz") + ["br", "ch", "st", "tr", "pl", "gr", "sh", "th"]
    vowels = ["a", "e", "i", "o", "u", "ee", "ou", "ai", "y"]
    words, seen = [], set(COMMON)
    while len(words) < n:
        k = rng.integers(1, 4)
        w = "".join(onsets[rng.integers(len(onsets))] + vowels[rng.integers(len(vowels))] for _ in range(k))
        if rng.random() < 0.4:
            w += "nstrdlk"[rng.integers(7)]
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def generate(rows: int, seed: int = 0, vocabulary: int = VOCABULARY) -> tuple[list[str], list[str]]:
    """``rows`` (text, label) pairs drawn from ``vocabulary`` made-up words besides the common ones."""
    rng = np.random.default_rng(seed)
    vocab = np.array(COMMON + _pseudo_words(rng, vocabulary), dtype=object)
    handles = np.array(["@" + w for w in _pseudo_words(rng, vocabulary // 8)], dtype=object)
    tags = np.array(["#" + w for w in _pseudo_words(rng, vocabulary * 3 // 40)]
                    + ["#DeflateGate", "#driverless", "#apple", "#fail", "#travel"], dtype=object)
    leaning = {c: np.array(words, dtype=object) for c, words in LEANING.items()}

    labels = rng.choice(len(CLASSES), size=rows, p=CLASS_SHARE)
    lengths = np.clip(rng.normal(14, 5, size=rows).round().astype(int), 2, 40)
    total = int(lengths.sum())
    ranks = np.arange(1, len(vocab) + 1)
    zipf = 1.0 / ranks ** 1.05  # a finite Zipf law over the vocabulary
    word_ids = rng.choice(len(vocab), size=total, p=zipf / zipf.sum())
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    u = rng.random((rows, 8))
    lean_ids = rng.integers(0, 1 << 30, size=(rows, 2))
    handle_ids = rng.zipf(1.3, size=(rows, 2)) % len(handles)
    tag_ids = rng.zipf(1.3, size=(rows, 2)) % len(tags)
    url_ids = rng.integers(0, 36 ** 6, size=rows)

    texts: list[str] = []
    for i in range(rows):
        cls = CLASSES[labels[i]]
        words = list(vocab[word_ids[starts[i]:starts[i] + lengths[i]]])
        r = u[i]
        # one or two class-leaning words in most rows
        if r[0] < 0.8:
            words.insert(int(r[1] * len(words)), leaning[cls][lean_ids[i, 0] % len(leaning[cls])])
        if r[0] < 0.3:
            words.append(leaning[cls][lean_ids[i, 1] % len(leaning[cls])])
        if r[2] < 0.70:
            words.insert(0, handles[handle_ids[i, 0]])
        if r[3] < 0.50:
            words.append(tags[tag_ids[i, 0]])
            if r[3] < 0.15:
                words.insert(int(r[1] * len(words)), tags[tag_ids[i, 1]])
        if r[4] < 0.30:
            words.append(f"http://t.co/{np.base_repr(url_ids[i], 36).lower()}")
        if r[5] < 0.015:
            words.insert(int(r[1] * len(words)), "&amp;")
        if r[6] < 0.05:
            words.append(EMOJI[int(r[6] * 1000) % len(EMOJI)])
        text = " ".join(words)
        if r[7] < 0.12:
            text = f"RT {handles[handle_ids[i, 1]]}: {text}"
        texts.append(text[:280])

    # ~3% repeats of earlier texts; a tenth of them with another label
    repeat = np.flatnonzero(rng.random(rows) < 0.03)
    repeat = repeat[repeat > 0]
    sources = (rng.random(len(repeat)) * repeat).astype(int)
    for i, j in zip(repeat, sources):
        texts[i] = texts[j]
        labels[i] = labels[j] if rng.random() > 0.1 else (labels[j] + 1) % 3
    # ~5% label noise
    noisy = rng.random(rows) < 0.05
    labels[noisy] = rng.integers(0, 3, size=int(noisy.sum()))
    return texts, CLASSES[labels].tolist()


def write_csv(path: Path, rows: int, seed: int = 0, vocabulary: int = VOCABULARY) -> Path:
    """Write ``rows`` synthetic rows as a UTF-8 CSV with columns text,label."""
    texts, labels = generate(rows, seed, vocabulary)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(zip(texts, labels))
    return path


if __name__ == "__main__":
    import sys
    import time

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    start = time.perf_counter()
    texts, labels = generate(n)
    print(f"{n} rows in {time.perf_counter() - start:.1f} s")
    for t, l in list(zip(texts, labels))[:8]:
        print(l, "|", t)
