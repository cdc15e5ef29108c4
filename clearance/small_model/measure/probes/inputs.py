"""What the model gets to read: truncation, unknown tokens, words lost, empty texts, decoded samples.

Texts are tokenised once without truncation (through the calling convention, with a
``max_length`` no text reaches) so the probes can count what truncation cuts and decode
what tokenization kept. Words are compared case- and accent-insensitively, letters and
digits only, so WordPiece pieces joined back by ``decode`` count as the word they came from.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from clearance.core.text.input_cap import chars_for_tokens, first_chars
from clearance.core.text.units import SPACELESS_CLASS
from clearance.neural.parts.length_limit import length_limit  # noqa: F401 - the probes' callers import it here
from clearance.small_model.measure.probes.declared import InputRun, probe

UNLIMITED = 1_000_000  # a max_length no text reaches: tokenise in full through the usual call
# transformers' model_max_length for a tokenizer with no limit is ~1e30: anything this large is none.
NO_LIMIT = UNLIMITED
CHUNK = 512  # texts per tokenizer call (padding is per call, so chunks keep it short)
# Characters of a text counted in full: a longer one is counted (and its words compared) up to here. It is
# truncated either way, and a tokenizer splits the whole text before truncating: a 50 MB text took 10 GB.
COUNT_CHARS = 100_000
# Texts decoded to count the words kept: decoding is the slow part (~0.15 ms a text), and the
# share is a mean, so a few thousand texts pin it down to well under a percent.
WORDS_SAMPLE = 5000
# Scripts written without spaces (Chinese, Japanese, Thai, ...): tokenizers split them into characters or
# pieces with no word boundary to match, so each character counts as a word here.
IDEOGRAPHS = re.compile(f"([{SPACELESS_CLASS}])")


def full_token_ids(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    """Each text's token ids, special tokens included, without truncation or padding (a text longer than
    ``COUNT_CHARS`` characters: those of its first ones). Texts go to the tokenizer shortest first, so each
    call pads to a length near its own texts' and one long text never pads a whole chunk to its length."""
    texts = first_chars(list(texts), COUNT_CHARS)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: list[list[int]] = [[] for _ in texts]
    for start in range(0, len(order), CHUNK):
        rows = order[start: start + CHUNK]
        encoded = tokenizer([texts[i] for i in rows], truncation=True, max_length=UNLIMITED, padding=True)
        for i, ids, mask in zip(rows, encoded["input_ids"], encoded["attention_mask"]):
            out[i] = [int(t) for t, m in zip(ids, mask) if m]
    return out


def untruncated_ids(tokenizer: Any, texts: Sequence[str], truncated: list[list[int]],
                    max_length: int) -> list[list[int]]:
    """Full token ids from ids already truncated at ``max_length``: only texts that reached it are tokenised again."""
    reached = [i for i, ids in enumerate(truncated) if len(ids) >= max_length]
    again = dict(zip(reached, full_token_ids(tokenizer, [texts[i] for i in reached])))
    return [again.get(i, list(ids)) for i, ids in enumerate(truncated)]


def sample_rows(n: int, size: int | None, seed: int) -> list[int]:
    """All rows, or ``size`` seeded ones in order."""
    if size is None or n <= size:
        return list(range(n))
    return sorted(np.random.default_rng(seed).choice(n, size=size, replace=False).tolist())


def words(text: str) -> list[str]:
    """Lower-cased, accent-free runs of letters or digits (characters of unspaced scripts one by one)."""
    plain = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return re.findall(r"[^\W_]+", IDEOGRAPHS.sub(r" \1 ", plain))


def special_ids(tokenizer: Any) -> set[int]:
    """Ids of the tokenizer's special tokens ([CLS], [SEP], [PAD], ...), when it lists them."""
    return {int(i) for i in (getattr(tokenizer, "all_special_ids", None) or [])} | {int(tokenizer.pad_token_id)}


def decode(tokenizer: Any, ids: list[int]) -> str:
    """Text from ids, special tokens skipped when the tokenizer supports it."""
    try:
        return tokenizer.decode(ids, skip_special_tokens=True)
    except TypeError:
        return tokenizer.decode(ids)


def kept_share(raw: str, decoded: str) -> float | None:
    """Share of the raw text's words found again in the decoded text (None when it has no words)."""
    before = Counter(words(raw))
    total = sum(before.values())
    return sum((before & Counter(words(decoded))).values()) / total if total else None


def measure_truncation(full_ids: list[list[int]], max_length: int, limit: int | None = None,
                       counted_in_part: int = 0) -> dict:
    """Texts longer than ``max_length`` tokens, and the share of their tokens truncation drops.

    ``limit``: the most tokens the model and tokenizer take (``length_limit``), kept for the check's advice;
    ``counted_in_part``: texts longer than ``COUNT_CHARS`` characters, whose tokens were counted up to there.
    """
    lengths = np.array([len(ids) for ids in full_ids], dtype=np.int64)
    cut = lengths[lengths > max_length]
    lost = cut - max_length
    return {
        "texts": int(len(lengths)), "max_length": int(max_length), "length_limit": limit,
        "truncated_texts": int(len(cut)), "truncated_share": float(len(cut) / len(lengths)) if len(lengths) else 0.0,
        # of the cut texts' tokens, how many are lost; and of all tokens
        "tokens_lost_share": float(lost.sum() / cut.sum()) if len(cut) else 0.0,
        "tokens_lost_overall": float(lost.sum() / lengths.sum()) if lengths.sum() else 0.0,
        "length_percentiles": {str(q): float(np.percentile(lengths, q)) if len(lengths) else 0.0
                               for q in (50, 90, 95, 99, 100)},
        "counted_in_part": {"texts": int(counted_in_part), "chars": COUNT_CHARS},
    }


def measure_tokenizer(tokenizer: Any, raw_texts: Sequence[str], texts: Sequence[str],
                      full_ids: list[list[int]], sample: int | None = WORDS_SAMPLE, seed: int = 0) -> dict:
    """Unknown-token rate, words kept through preprocessing and tokenization, texts left empty.

    ``raw_texts`` are the texts as in the data, ``texts`` after preprocessing, and
    ``full_ids`` their untruncated token ids. Unknown tokens and empty texts are counted
    on every text; words kept and tokens per word on ``sample`` seeded texts.
    """
    unk = tokenizer.unk_token_id
    special = special_ids(tokenizer) - ({int(unk)} if unk is not None else set())
    content = [[i for i in ids if i not in special] for ids in full_ids]
    tokens = sum(len(ids) for ids in content)
    unknown = sum(ids.count(unk) for ids in content) if unk is not None else 0
    known = [len(ids) - (ids.count(unk) if unk is not None else 0) for ids in content]
    rows = sample_rows(len(content), sample, seed)
    # The ids of a text past COUNT_CHARS cover its first characters: its words are compared up to there too.
    kept = [kept_share(raw_texts[i][:COUNT_CHARS], decode(tokenizer, content[i])) for i in rows]
    scored = [k for k in kept if k is not None]
    word_count = sum(len(words(texts[i][:COUNT_CHARS])) for i in rows)
    empty = sum(n == 0 for n in known)
    return {
        "texts": len(full_ids), "tokens": tokens,
        "unk_token": None if unk is None else int(unk),
        "unk_rate": unknown / tokens if tokens and unk is not None else 0.0,
        "words_checked": len(rows),
        "words_kept": float(np.mean(scored)) if scored else None,
        "texts_mostly_lost": sum(k < 0.5 for k in scored),
        "empty": empty, "empty_share": empty / len(known) if known else 0.0,
        "tokens_per_word": sum(len(content[i]) for i in rows) / word_count if word_count else None,
    }


def token_strings(tokenizer: Any, ids: list[int]) -> list[str]:
    """The tokens as strings ('##' pieces, [UNK]) when the tokenizer can say, else each id decoded alone."""
    convert = getattr(tokenizer, "convert_ids_to_tokens", None)
    if callable(convert):
        return [str(t) for t in convert(ids)]
    return [tokenizer.decode([i]) for i in ids]


def decoded_samples(tokenizer: Any, raw_texts: Sequence[str], texts: Sequence[str], max_length: int,
                    n: int, seed: int) -> list[dict]:
    """``n`` texts beside what the model reads of them: tokens after truncation, decoded back."""
    count = min(n, len(texts))
    if not count:
        return []
    picked = sorted(np.random.default_rng(seed).choice(len(texts), size=count, replace=False).tolist())
    encoded = tokenizer(first_chars([texts[i] for i in picked], chars_for_tokens(max_length)), truncation=True,
                        max_length=max_length, padding=True)
    full = full_token_ids(tokenizer, [texts[i] for i in picked])
    samples = []
    for row, i in enumerate(picked):
        ids = [int(t) for t, m in zip(encoded["input_ids"][row], encoded["attention_mask"][row]) if m]
        shown = decode(tokenizer, ids)
        samples.append({"row": int(i), "raw": str(raw_texts[i]), "preprocessed": str(texts[i]),
                        "tokens": token_strings(tokenizer, ids), "decoded": shown,
                        "truncated": len(full[row]) > len(ids), "words_kept": kept_share(raw_texts[i], shown)})
    return samples


# -- the probes this family declares (their keys are probes.json's) ------------------------------------------

@probe("truncation", on_inputs=True)
def truncation_probe(run: InputRun) -> dict:
    return measure_truncation(run.full_ids, run.max_length, run.limit, sum(len(t) > COUNT_CHARS for t in run.texts))


@probe("tokenizer", on_inputs=True)
def tokenizer_probe(run: InputRun) -> dict:
    return measure_tokenizer(run.tokenizer, run.raw_texts, run.texts, run.full_ids, seed=run.seed)


@probe("decoded_samples", on_inputs=True)
def decoded_samples_probe(run: InputRun) -> list[dict]:
    """Samples for the report (no check grades them)."""
    return decoded_samples(run.tokenizer, run.raw_texts, run.texts, run.max_length, run.samples, run.seed)
