"""The input probes: truncation, unknown tokens, words lost in preprocessing and tokenization,
texts left empty, and the decoded samples for the report."""

from __future__ import annotations

import pandas as pd
import pytest

from clearance.core.config.params import from_conf
from clearance.small_model.judge import checks as C
from clearance.small_model.judge.checks import ModelChecks
from clearance.small_model.measure.probes.inputs import (
    decoded_samples,
    full_token_ids,
    kept_share,
    measure_tokenizer,
    measure_truncation,
    untruncated_ids,
    words,
)
from tests.factory import make_texts
from tests.test_probes import WordTokenizer


@pytest.fixture(scope="module")
def t() -> ModelChecks:
    return from_conf(ModelChecks, "checks.model")


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return make_texts(n_per_class=20, seed=1)["text"].tolist()  # 8 words each, 9 tokens with [CLS]


def tokenizer_probe(texts: list[str], tokenizer=None, raw: list[str] | None = None) -> dict:
    tokenizer = tokenizer or WordTokenizer(texts)
    return measure_tokenizer(tokenizer, raw or texts, texts, full_token_ids(tokenizer, texts))


# -- truncation ---------------------------------------------------------------------------------------------------

def test_full_token_ids_are_not_truncated_nor_padded():
    tok = WordTokenizer(["a b c d e f g h i j", "a"])
    assert full_token_ids(tok, ["a b c d e f g h i j", "a"]) == [[2, *range(3, 13)], [2, 3]]


def test_only_texts_that_reached_max_length_are_tokenised_again():
    tok = WordTokenizer(["a b c d e f"])
    texts = ["a b c d e f", "a", "a b c"]
    truncated = tok(texts, truncation=True, max_length=3)["input_ids"]
    assert untruncated_ids(tok, texts, truncated, 3) == full_token_ids(tok, texts) == [[2, 3, 4, 5, 6, 7, 8],
                                                                                         [2, 3], [2, 3, 4, 5]]
    calls = []
    counting = lambda batch, **kw: calls.append(list(batch)) or tok(batch, **kw)  # noqa: E731
    counting.pad_token_id = 0
    untruncated_ids(counting, texts, truncated, 3)
    assert calls == [["a b c", "a b c d e f"]]  # shortest first: a call pads to its own texts' lengths


def test_words_kept_can_be_read_on_a_sample(texts):
    tok = WordTokenizer(texts)
    measured = measure_tokenizer(tok, texts, texts, full_token_ids(tok, texts), sample=10, seed=0)
    assert measured["words_checked"] == 10 and measured["texts"] == len(texts) and measured["words_kept"] == 1.0


def test_truncation_counts_cut_texts_and_their_lost_tokens():
    measured = measure_truncation([[1] * 10, [1] * 4, [1] * 20], max_length=8)
    assert measured["truncated_texts"] == 2 and measured["truncated_share"] == pytest.approx(2 / 3)
    assert measured["tokens_lost_share"] == pytest.approx((2 + 12) / 30)
    assert measured["tokens_lost_overall"] == pytest.approx(14 / 34)
    assert measured["length_percentiles"]["100"] == 20


def test_a_max_length_that_fits_passes_and_max_length_8_fails(texts, t):
    tok = WordTokenizer(texts)
    full = full_token_ids(tok, texts)
    fits = measure_truncation(full, 32)
    assert C.grade("truncated_texts", fits, t).status == C.grade("truncated_tokens", fits, t).status == "pass"
    cut = measure_truncation([ids * 3 for ids in full], 8)  # ~27 tokens a text, as tweets with max_length=8
    texts_check, tokens_check = C.grade("truncated_texts", cut, t), C.grade("truncated_tokens", cut, t)
    assert texts_check.status == tokens_check.status == "fail"
    assert "train.max_length=8" in texts_check.message and "95th percentile (27)" in texts_check.fix


# -- the tokenizer and preprocessing ------------------------------------------------------------------------------

def test_words_ignore_case_accents_and_punctuation():
    expected = ["cafe", "deja", "vu", "user", "1", "happy", "日", "本"]
    assert words("Café, DÉJÀ-vu! @user_1 #happy 日本") == expected


def test_kept_share_counts_repeated_words():
    assert kept_share("the cat the dog", "the cat dog") == 0.75
    assert kept_share("...", "anything") is None


def test_a_fitting_tokenizer_passes_every_tokenizer_check(texts, t):
    measured = tokenizer_probe(texts)
    assert measured["unk_rate"] == 0.0 and measured["words_kept"] == 1.0 and measured["empty"] == 0
    assert measured["tokens_per_word"] == 1.0  # [CLS] is not counted
    for check in ("unknown_tokens", "words_kept", "empty_after_tokenization", "tokens_per_word"):
        assert C.grade(check, measured, t).status == "pass", C.grade(check, measured, t)


def test_a_tiny_vocabulary_fails_on_unknown_tokens_and_words_lost(texts, t):
    measured = tokenizer_probe(texts, WordTokenizer(texts, vocabulary=5))
    assert measured["unk_rate"] > 0.3
    unknown, kept = C.grade("unknown_tokens", measured, t), C.grade("words_kept", measured, t)
    assert unknown.status == "fail" and "unknown token (id 1)" in unknown.message
    assert kept.status == "fail" and kept.direction == "min"


def test_preprocessing_that_strips_words_fails(texts, t):
    stripped = pd.Series(texts).str.replace(r"[aeiou]", "", regex=True).tolist()
    measured = tokenizer_probe(stripped, WordTokenizer(stripped), raw=texts)
    assert measured["unk_rate"] == 0.0  # the tokenizer is fine: preprocessing lost the words
    check = C.grade("words_kept", measured, t)
    assert check.status == "fail" and measured["texts_mostly_lost"] == len(texts)


def test_texts_left_empty_are_counted(texts, t):
    some_empty = texts[:10] + ["", "   ", "zzzunknown"]
    tok = WordTokenizer(texts[:10])
    measured = tokenizer_probe(some_empty, tok)
    assert measured["empty"] == 3  # two blank, one made only of an unknown word
    check = C.grade("empty_after_tokenization", measured, t)
    assert check.status == "fail" and check.value == pytest.approx(3 / 13, abs=1e-6)


def test_a_tokenizer_without_an_unknown_token_passes_that_check(texts, t):
    tok = WordTokenizer(texts)
    tok.unk_token_id = None
    measured = tokenizer_probe(texts, tok)
    assert measured["unk_token"] is None and C.grade("unknown_tokens", measured, t).status == "pass"


def test_wordpiece_pieces_join_back_into_their_words(t):
    from clearance.neural.parts.tokenizer import pretrained_tokenizer

    tok = pretrained_tokenizer()  # all-MiniLM-L6-v2's WordPiece, shipped with the package
    raw = ["Unbelievably GORGEOUS sunsets in Reykjavík tonight!!", "Déjà vu: @friend_2 loved #throwback pics"]
    measured = tokenizer_probe(raw, tok)
    assert measured["words_kept"] == 1.0 and measured["unk_rate"] == 0.0
    assert measured["tokens_per_word"] > 1.0  # the words were split into pieces, and came back whole
    samples = decoded_samples(tok, raw, raw, max_length=64, n=2, seed=0)
    assert any(piece.startswith("##") for s in samples for piece in s["tokens"])
    assert samples[0]["tokens"][0] == "[CLS]" and "[CLS]" not in samples[0]["decoded"]


# -- decoded samples ----------------------------------------------------------------------------------------------

def test_decoded_samples_show_what_the_model_reads_after_truncation(texts):
    tok = WordTokenizer(texts)
    raw = [s.upper() for s in texts]
    samples = decoded_samples(tok, raw, texts, max_length=4, n=20, seed=3)
    assert len(samples) == 20 and samples == decoded_samples(tok, raw, texts, max_length=4, n=20, seed=3)
    first = samples[0]
    assert first["raw"] == raw[first["row"]] and first["preprocessed"] == texts[first["row"]]
    assert len(first["tokens"]) == 4 and first["truncated"]
    assert first["decoded"] == " ".join(texts[first["row"]].split()[:3])
    assert first["words_kept"] == pytest.approx(3 / 8)


def test_fewer_texts_than_samples_shows_them_all(texts):
    assert len(decoded_samples(WordTokenizer(texts), texts[:3], texts[:3], 32, 20, 0)) == 3
    assert decoded_samples(WordTokenizer(texts), [], [], 32, 20, 0) == []
