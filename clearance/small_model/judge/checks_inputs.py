"""Step 3's checks of what the model reads: truncation and the tokenizer (the probes of measure/probes/inputs.py)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from clearance.checklist.declared import Grading, Limit
from clearance.checklist.results import CheckResult
from clearance.small_model.judge.grading import pct, probe_check

PERCENTILES = (("95", "the 95th percentile"), ("99", "the 99th percentile"), ("100", "the longest text"))
TRUNCATION_FIX = ("raise train.max_length toward the 95th percentile of the texts' lengths in tokens (the report's "
                  "message names the value), within what the model takes")


def input_check(check_id: str, **declared: Any) -> Callable:
    """A check of the input probes: each sits in the report's inputs section and informs the tokenizer question."""
    return probe_check(check_id, section="inputs", question="tokenizer", **declared)


def suggested_length(m: dict) -> str:
    """What to do about truncation: a max_length near the 95th percentile of the lengths (the 99th or the
    longest when a few long texts are what loses tokens), in the tokenizer's tokens, never beyond what the
    model and tokenizer take (``length_limit``, when the probe found one)."""
    current, limit = m["max_length"], m.get("length_limit")
    for key, name in PERCENTILES:
        wanted = math.ceil(m["length_percentiles"][key])
        if wanted > current:
            break
    if limit is None or wanted <= limit:
        bound = f"; the model takes at most {limit} tokens" if limit is not None else ""
        return f"raise train.max_length to about {name} ({wanted}{bound})"
    longer = ("for texts this long, choose a model taking longer inputs (model=tiny: raise model.max_positions "
              "with train.max_length)")
    if current < limit:
        return (f"raise train.max_length to {limit}, the most the model takes ({name}, {wanted}, is beyond it); "
                f"{longer}")
    return f"train.max_length={current} is already the most the model takes ({limit} tokens): {longer}"


# -- truncation ---------------------------------------------------------------------------------------------------

@input_check("truncated_texts", about="inputs truncated", reads="truncation", fix=TRUNCATION_FIX,
             limits=[Limit("truncated_texts_warn", 0.05, "warn", "share of train texts longer than train.max_length"),
                     Limit("truncated_texts_fail", 0.5)])
def truncated_texts(m: dict, c: Grading) -> CheckResult:
    """Few texts are longer than max_length."""
    p = m["length_percentiles"]
    return c.graded(m["truncated_share"],
                    f"{m['truncated_texts']} of {m['texts']} training texts ({pct(m['truncated_share'])}) are longer "
                    f"than train.max_length={m['max_length']} tokens (lengths: median {p['50']:g}, 95th percentile "
                    f"{p['95']:g}, longest {p['100']:g})", suggested_length(m))


@input_check("truncated_tokens", about="inputs truncated", reads="truncation", fix=TRUNCATION_FIX,
             limits=[Limit("truncated_tokens_warn", 0.02, "warn", "share of all train tokens that truncation drops"),
                     Limit("truncated_tokens_fail", 0.2)])
def truncated_tokens(m: dict, c: Grading) -> CheckResult:
    """Truncation drops a small share of the training tokens (a few long outliers may lose much)."""
    return c.graded(m["tokens_lost_overall"],
                    f"truncation drops {pct(m['tokens_lost_overall'])} of all training tokens "
                    f"({pct(m['tokens_lost_share'])} of the cut texts' tokens)", suggested_length(m))


# -- the tokenizer ------------------------------------------------------------------------------------------------

# The built-in way out when the default (English) tokenizer misses the data: a tokenizer learned from the
# training split, with a model trained from scratch for its ids (a pretrained model's embeddings are keyed to
# its own vocabulary). The default train.lr suits it: one epoch on 35k Chinese reviews reached valid macro-F1
# 0.854 at 3e-4 and 0.769 at 3e-3 (debug=tiny's 3e-3 is for the micro model's few steps).
TRAINED_TOKENIZER = "`clearance params model=tiny tokenizer=trained` then `dvc repro`"
TOKENIZER_FIX = ("read the decoded samples in the report: a tokenizer whose vocabulary misses the data's words "
                 "(another language, a tiny vocabulary) or preprocessing that removes them leaves the model "
                 "little to read. For data the default English tokenizer does not cover (Chinese, Japanese, Thai, "
                 f"...), learn a tokenizer from the training split: {TRAINED_TOKENIZER} (add the overrides you "
                 "composed with, e.g. your data=...; docs/plugins.md). Or choose another tokenizer matching the "
                 "data (tokenizer._target_, conf/tokenizer/), or fix the preprocessing (preprocess, conf/preprocess/)")


@input_check("unknown_tokens", about="unknown tokens", reads="tokenizer", fix=TOKENIZER_FIX,
             limits=[Limit("unk_rate_warn", 0.02, "warn", "share of train tokens that are the unknown token"),
                     Limit("unk_rate_fail", 0.1)])
def unknown_tokens(m: dict, c: Grading) -> CheckResult:
    """Few tokens are the tokenizer's unknown token."""
    if m["unk_token"] is None:
        return c.result("pass", 0.0, c.fail,
                        "the tokenizer has no unknown token (byte-level: every text is representable)")
    return c.graded(m["unk_rate"], f"{pct(m['unk_rate'])} of the {m['tokens']} training tokens are the unknown "
                                   f"token (id {m['unk_token']})")


@input_check("words_kept", about="words surviving preprocessing and tokenization", reads="tokenizer",
             direction="min", fix=TOKENIZER_FIX,
             limits=[Limit("words_kept_warn", 0.8, "warn",
                           "mean share of a text's words that decoding its tokens gives back (below is bad)"),
                     Limit("words_kept_fail", 0.5, "fail", "\"most words lost\"")])
def words_kept(m: dict, c: Grading) -> CheckResult:
    """Most of a text's words can be read back from its tokens."""
    if m["words_kept"] is None:
        return c.result("warn", None, c.fail, "the training texts contain no words",
                        "check data.text_column and the preprocess settings")
    return c.graded(m["words_kept"], f"on average {pct(m['words_kept'])} of a text's words come back when its "
                                     f"tokens are decoded; {m['texts_mostly_lost']} of {m['words_checked']} texts "
                                     "read lose most of their words")


@input_check("empty_after_tokenization", about="texts left empty", reads="tokenizer", fix=TOKENIZER_FIX,
             limits=[Limit("empty_texts_warn", 0.01, "warn", "share of train texts with no known token left"),
                     Limit("empty_texts_fail", 0.1)])
def empty_after_tokenization(m: dict, c: Grading) -> CheckResult:
    """Few texts are left with nothing but special or unknown tokens."""
    return c.graded(m["empty_share"], f"{m['empty']} of {m['texts']} training texts ({pct(m['empty_share'])}) "
                                      "have no known token left after preprocessing and tokenization")


@input_check("tokens_per_word", about="tokens per word", reads="tokenizer", fix=TOKENIZER_FIX,
             limits=[Limit("tokens_per_word_warn", 3.0, "warn",
                           "many pieces per word: a vocabulary that fits the data poorly")])
def tokens_per_word(m: dict, c: Grading) -> CheckResult:
    """Words are not shredded into many pieces (a vocabulary too small for the data)."""
    value = m["tokens_per_word"]
    if value is None:
        return c.result("pass", None, c.warn, "no words to count tokens for")
    return c.graded(value, f"{value:.2f} tokens per word on train: many pieces per word mean a vocabulary that "
                           "fits the data poorly, and longer inputs")
