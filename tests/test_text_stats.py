"""Text statistics: normalisation, surface patterns, lengths, vocabulary, duplicates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clearance.core.text.duplicates import (
    conflicting_examples,
    duplicate_stats,
    split_overlap,
)
from clearance.core.text.lengths import describe, length_stats, lengths
from clearance.core.text.normalize import duplicate_key, normalize
from clearance.core.text.patterns import pattern_examples, pattern_flags, pattern_rates
from clearance.core.text.vocab import (
    KeywordRule,
    class_counts,
    count_matrix,
    keyword_rule,
    log_odds,
    top_tokens,
    vocab_stats,
)
from tests.factory import KEYWORDS, make_texts


def S(*texts: str | None) -> pd.Series:
    """A Series of texts."""
    return pd.Series(list(texts), dtype=object)


# normalize

def test_normalize_case_punctuation_and_spaces() -> None:
    """Case, punctuation and runs of spaces do not matter."""
    out = normalize(S("Hello,   World!!!", "hello world", "  HELLO-world_ "))
    assert out.tolist() == ["hello world", "hello world", "hello world"]


def test_normalize_drops_urls() -> None:
    """http(s) and www links disappear wherever they are."""
    out = normalize(S("great news https://t.co/AbC123 today", "great news http://x.io/y?z=1 today",
                      "great news www.example.com/page today", "great news today"))
    assert out.nunique() == 1
    assert out.iloc[0] == "great news today"


def test_normalize_drops_retweet_prefix_only_at_start() -> None:
    """A leading "RT @user:" goes; the same words elsewhere stay."""
    out = normalize(S("RT @some_user: so happy today", "rt @x so happy today", "so happy today",
                      "so RT @bob: happy"))
    assert out.tolist()[:3] == ["so happy today"] * 3
    assert out.iloc[3] == "so rt bob happy"


def test_normalize_missing_and_non_ascii() -> None:
    """Missing texts become empty strings; accented letters are word characters."""
    out = normalize(S(None, "Café, s'il vous plaît!"))
    assert out.iloc[0] == ""
    assert out.iloc[1] == "café s il vous plaît"


def test_normalize_keeps_index() -> None:
    """The result lines up with the input's index."""
    texts = pd.Series(["A!", "b?"], index=[10, 20])
    assert normalize(texts).index.tolist() == [10, 20]


# surface patterns

@pytest.fixture
def flagged() -> tuple[pd.Series, pd.DataFrame]:
    """Texts showing one pattern each, and their flags."""
    texts = S(
        "reading the news at https://t.co/xyz this morning",  # 0 url
        "what a match tonight #worldcup go team",  # 1 hashtag
        "thanks @alice for the help today",  # 2 mention
        "salt &amp; pepper on everything please",  # 3 html_entity
        "a quiet café by the river",  # 4 non_ascii, not mojibake
        "I don’t think that is right",  # 5 non_ascii (curly quote), not mojibake
        "I donâ€™t think that is right",  # 6 mojibake
        "the bytes \ufffd could not be read",  # 7 replacement_char
        "   ",  # 8 empty
        "ok then",  # 9 very short
        "mail me at bob@example.com about it",  # 10 nothing
    )
    return texts, pattern_flags(texts, short_words=3)


@pytest.mark.parametrize("name,rows", [
    ("url", {0}), ("hashtag", {1}), ("mention", {2}), ("html_entity", {3}),
    ("non_ascii", {4, 5, 6, 7}), ("replacement_char", {7}), ("mojibake", {6}),
    ("empty", {8}), ("very_short", {9}),
])
def test_pattern_flags(flagged: tuple[pd.Series, pd.DataFrame], name: str, rows: set[int]) -> None:
    """Each pattern flags exactly the texts that show it."""
    _, flags = flagged
    assert set(flags.index[flags[name]]) == rows


def test_pattern_flag_columns_are_boolean(flagged: tuple[pd.Series, pd.DataFrame]) -> None:
    """One boolean column per pattern, one row per text."""
    texts, flags = flagged
    assert list(flags.columns) == ["url", "hashtag", "mention", "html_entity", "non_ascii",
                                   "replacement_char", "mojibake", "empty", "very_short"]
    assert (flags.dtypes == bool).all()
    assert len(flags) == len(texts)


@pytest.mark.parametrize("text,bad", [
    ("donâ€™t", True), ("Ã©tÃ© chaud", True), ("itâ€™s a great day", True),
    ("don’t", False), ("café", False), ("naïve résumé", False), ("so happy 😀", False),
])
def test_mojibake(text: str, bad: bool) -> None:
    """Mis-decoded UTF-8 is flagged; correct accents, quotes and emoji are not."""
    assert bool(pattern_flags(S(text), short_words=1)["mojibake"].iloc[0]) is bad


def test_html_entity_forms() -> None:
    """Named, decimal and hex entities count; a bare ampersand does not."""
    flags = pattern_flags(S("a &lt; b", "it&#39;s", "it&#x27;s", "fish & chips", "AT&T deal"), 1)
    assert flags["html_entity"].tolist() == [True, True, True, False, False]


def test_hashtag_and_mention_need_a_word_boundary() -> None:
    """"C#" and e-mail addresses are not hashtags or mentions."""
    flags = pattern_flags(S("I code in C#sharp", "write to me@home.org", "#1 fan", "hi @you"), 1)
    assert flags["hashtag"].tolist() == [False, False, True, False]
    assert flags["mention"].tolist() == [False, False, False, True]


def test_very_short_threshold_and_missing() -> None:
    """very_short counts words below the threshold; missing texts are empty, not short."""
    flags = pattern_flags(S("one", "one two", "one two three", None), short_words=3)
    assert flags["very_short"].tolist() == [True, True, False, False]
    assert flags["empty"].tolist() == [False, False, False, True]


def test_pattern_flags_on_a_shifted_index() -> None:
    """Flags line up with the texts' own index."""
    texts = pd.Series(["plain words here", "donâ€™t do it now"], index=[7, 3])
    flags = pattern_flags(texts, short_words=1)
    assert flags.loc[3, "mojibake"] and not flags.loc[7, "mojibake"]


def test_pattern_rates(flagged: tuple[pd.Series, pd.DataFrame]) -> None:
    """Rates are the share of texts flagged."""
    texts, flags = flagged
    rates = pattern_rates(flags)
    assert rates["non_ascii"] == pytest.approx(4 / len(texts))
    assert rates["mojibake"] == pytest.approx(1 / len(texts))
    assert all(isinstance(v, float) for v in rates.values())


def test_pattern_rates_of_no_texts() -> None:
    """No texts give zero rates rather than NaN."""
    rates = pattern_rates(pattern_flags(pd.Series([], dtype=object), short_words=3))
    assert rates["url"] == 0.0 and rates["mojibake"] == 0.0


def test_pattern_examples(flagged: tuple[pd.Series, pd.DataFrame]) -> None:
    """Examples are taken from the flagged texts, a few per pattern."""
    texts, flags = flagged
    examples = pattern_examples(texts, flags, per_pattern=2)
    assert examples["mojibake"] == [texts[6]]
    assert examples["non_ascii"] == [texts[4], texts[5]]


# lengths

def test_lengths_chars_and_words() -> None:
    """Characters and whitespace-separated words per text; missing is zero."""
    out = lengths(S("a bb", "ccc  dd\te", "", None))
    assert out["chars"].tolist() == [4, 9, 0, 0]
    assert out["words"].tolist() == [2, 3, 0, 0]


def test_length_stats_overall_and_per_class() -> None:
    """Mean, percentiles and max, overall and for each class."""
    texts = S("one two", "one two three four", "one", "a b c d e f")
    labels = pd.Series(["x", "x", "y", "y"], index=[5, 6, 7, 8])
    stats = length_stats(lengths(texts), labels)
    assert set(stats) == {"chars", "words"}
    words = stats["words"]
    assert words["all"]["mean"] == pytest.approx(13 / 4)
    assert words["all"]["max"] == 6.0
    assert words["per_class"]["x"]["mean"] == pytest.approx(3.0)
    assert words["per_class"]["y"]["max"] == 6.0
    assert words["per_class"]["y"]["p50"] == pytest.approx(3.5)


def test_describe_empty() -> None:
    """An empty column gives zeros."""
    assert describe(pd.Series([], dtype=int)) == {"mean": 0.0, "p5": 0.0, "p50": 0.0, "p95": 0.0, "max": 0.0}


# vocabulary

def test_count_matrix_tokens() -> None:
    """Lower-cased tokens, hashtags and mentions kept whole, URLs as one token."""
    counts, vocab = count_matrix(S("Love #Fail @Bob https://t.co/x", "love love http://a.b/c"))
    assert set(vocab) == {"love", "#fail", "@bob", "url"}
    column = list(vocab).index("love")
    assert counts[:, column].toarray().ravel().tolist() == [1, 2]


def test_count_matrix_min_count() -> None:
    """Tokens seen fewer than min_count times are dropped."""
    _, vocab = count_matrix(S("a1 b2 b2", "b2 c3"), min_count=2)
    assert list(vocab) == ["b2"]


def test_vocab_stats() -> None:
    """Types, tokens, type/token ratio, hapax share and tokens per text."""
    counts, _ = count_matrix(S("red red blue", "blue green"))
    stats = vocab_stats(counts)
    assert stats["types"] == 3
    assert stats["tokens"] == 5
    assert stats["type_token_ratio"] == pytest.approx(3 / 5)
    assert stats["hapax_share"] == pytest.approx(1 / 3)
    assert stats["tokens_per_text"] == pytest.approx(2.5)


def test_vocab_stats_of_nothing() -> None:
    """An empty count matrix gives zeros rather than a division error."""
    counts, _ = count_matrix(S("red blue"))
    stats = vocab_stats(counts[:0])
    assert stats["tokens"] == 0 and stats["type_token_ratio"] == 0.0 and stats["tokens_per_text"] == 0.0


def test_class_counts() -> None:
    """Token counts summed per class, in the given class order."""
    counts, vocab = count_matrix(S("good good", "bad", "good bad"))
    per_class = class_counts(counts, np.array(["p", "n", "p"]), ["n", "p"])
    good, bad = list(vocab).index("good"), list(vocab).index("bad")
    assert per_class[:, good].tolist() == [0, 3]
    assert per_class[:, bad].tolist() == [1, 1]


def test_log_odds_sign_and_symmetry() -> None:
    """A token over-represented in a class scores positive there and negative elsewhere."""
    per_class = np.array([[40.0, 10.0, 25.0], [10.0, 40.0, 25.0]])
    z = log_odds(per_class)
    assert z[0, 0] > 0 > z[1, 0]
    assert z[1, 1] > 0 > z[0, 1]
    assert z[0, 2] == pytest.approx(0.0, abs=1e-9)


def test_log_odds_prefers_frequent_evidence() -> None:
    """Of two tokens with the same class ratio, the more frequent one scores higher."""
    per_class = np.array([[40.0, 4.0, 100.0], [10.0, 1.0, 100.0]])
    z = log_odds(per_class)
    assert z[0, 0] > z[0, 1] > 0


@pytest.fixture(scope="module")
def keyworded() -> pd.DataFrame:
    """Keyword texts large enough for the keywords to stand out."""
    return make_texts(n_per_class=200, seed=5)


def test_top_tokens_rank_a_keyword_first(keyworded: pd.DataFrame) -> None:
    """Each class's most indicative token is one of its keywords, with a positive z."""
    counts, vocab = count_matrix(keyworded["text"], min_count=5)
    classes = sorted(KEYWORDS)
    z = log_odds(class_counts(counts, keyworded["label"].to_numpy(), classes))
    top = top_tokens(z, vocab, classes, k=5)
    for label in classes:
        assert top[label][0][0] in KEYWORDS[label], (label, top[label])
        assert top[label][0][1] > 0
        assert sum(word in KEYWORDS[label] for word, _ in top[label]) >= 4
        scores = [score for _, score in top[label]]
        assert scores == sorted(scores, reverse=True)


def test_top_tokens_only_positive() -> None:
    """Tokens that do not favour a class are left out of its list."""
    z = np.array([[2.0, -1.0, 0.0], [-2.0, 1.0, 0.0]])
    top = top_tokens(z, np.array(["a", "b", "c"]), ["x", "y"], k=3)
    assert top == {"x": [("a", 2.0)], "y": [("b", 1.0)]}


def test_keyword_rule_predicts_and_falls_back() -> None:
    """Keyword hits pick the class; texts without hits get the fallback."""
    rule = KeywordRule(keywords={"positive": ["love", "great"], "negative": ["hate"]}, fallback="neutral")
    predicted = rule.predict(S("I LOVE this, great stuff", "I hate Mondays", "nothing to see",
                               "love it but hate it and great", ""))
    assert predicted.tolist() == ["positive", "negative", "neutral", "positive", "neutral"]


def test_keyword_rule_without_keywords() -> None:
    """A rule with no keywords predicts the fallback everywhere."""
    rule = KeywordRule(keywords={"a": [], "b": []}, fallback="b")
    assert rule.predict(S("x y", "z")).tolist() == ["b", "b"]


def test_keyword_rule_drops_shared_tokens() -> None:
    """Tokens topping several classes are no use as keywords and are left out."""
    top = {"p": [("love", 3.0), ("the", 2.0)], "n": [("hate", 3.0), ("the", 1.0)]}
    rule = keyword_rule(top, k=2, fallback="p")
    assert rule.keywords == {"p": ["love"], "n": ["hate"]}
    assert rule.fallback == "p"


def test_keyword_rule_from_top_tokens_beats_majority(keyworded: pd.DataFrame) -> None:
    """A rule from the top keyword-sized lists classifies keyword texts well."""
    counts, vocab = count_matrix(keyworded["text"], min_count=5)
    classes = sorted(KEYWORDS)
    z = log_odds(class_counts(counts, keyworded["label"].to_numpy(), classes))
    rule = keyword_rule(top_tokens(z, vocab, classes, k=5), k=5, fallback="neutral")
    accuracy = (rule.predict(keyworded["text"]) == keyworded["label"].to_numpy()).mean()
    assert accuracy > 0.8


# duplicates

@pytest.fixture
def dupes() -> tuple[pd.Series, pd.Series]:
    """Six texts: an exact copy, a normalised copy with another label, a clean pair."""
    texts = S("I love it", "i LOVE it!", "I love it", "hate this", "hate this", "fine day")
    labels = S("pos", "pos", "neg", "neg", "neg", "neu")
    return texts, labels


def test_duplicate_stats(dupes: tuple[pd.Series, pd.Series]) -> None:
    """Exact and normalised repeat shares, and the rows and groups with conflicting labels."""
    stats = duplicate_stats(*dupes)
    assert stats["exact_duplicate_share"] == pytest.approx(2 / 6)
    assert stats["normalized_duplicate_share"] == pytest.approx(3 / 6)
    assert stats["conflicting_share"] == pytest.approx(3 / 6)
    assert stats["conflicting_groups"] == 1


def test_duplicate_stats_clean_and_empty() -> None:
    """Distinct texts have no duplicates; no texts give zeros."""
    clean = make_texts(n_per_class=20)
    stats = duplicate_stats(clean["text"], clean["label"])
    assert stats == {"exact_duplicate_share": 0.0, "normalized_duplicate_share": 0.0,
                     "conflicting_share": 0.0, "conflicting_groups": 0}
    empty = duplicate_stats(S(), S())
    assert empty["conflicting_groups"] == 0 and empty["exact_duplicate_share"] == 0.0


def test_duplicate_stats_ignores_label_index(dupes: tuple[pd.Series, pd.Series]) -> None:
    """Labels are matched to texts by position, not by index."""
    texts, labels = dupes
    shifted = pd.Series(labels.to_numpy(), index=range(100, 106))
    assert duplicate_stats(texts, shifted) == duplicate_stats(texts, labels)


def test_texts_that_normalise_to_nothing_are_not_duplicates() -> None:
    """Distinct emoji-only, link-only and punctuation-only tweets are not copies of each other."""
    texts = S("😀😀", "😡", "http://t.co/a", "!!!", "real text here")
    labels = S("positive", "negative", "neutral", "negative", "neutral")
    stats = duplicate_stats(texts, labels)
    assert stats["conflicting_groups"] == 0
    assert stats["conflicting_share"] == 0.0
    assert conflicting_examples(texts, labels).empty


def test_conflicting_examples(dupes: tuple[pd.Series, pd.Series]) -> None:
    """Each conflicting group once, with its label counts and size."""
    examples = conflicting_examples(*dupes)
    assert len(examples) == 1
    row = examples.iloc[0]
    assert row["text"] == "I love it"
    assert row["labels"] == "pos ×2, neg ×1"
    assert row["rows"] == 3


def test_conflicting_examples_order_and_limit() -> None:
    """Largest groups first, at most ``limit`` of them."""
    texts = S("a b", "a b", "c d", "c d", "c d", "e f", "e f")
    labels = S("x", "y", "x", "y", "y", "x", "y")
    examples = conflicting_examples(texts, labels, limit=2)
    assert examples["text"].tolist() == ["c d", "a b"]
    assert examples["rows"].tolist() == [3, 2]


def test_conflicting_examples_none() -> None:
    """Without conflicts the frame is empty but has the expected columns."""
    examples = conflicting_examples(S("a", "a", "b"), S("x", "x", "y"))
    assert examples.empty
    assert list(examples.columns) == ["text", "labels", "rows"]


def test_split_overlap() -> None:
    """Shares of valid, test and both together whose normalised text is in train."""
    splits = {
        "train": S("good morning", "bad night", "so so"),
        "valid": S("GOOD morning!", "new text", "other", "more"),
        "test": S("RT @x: bad night https://t.co/1", "fresh"),
    }
    overlap = split_overlap({k: duplicate_key(v) for k, v in splits.items()})
    assert overlap["valid"] == pytest.approx(1 / 4)
    assert overlap["test"] == pytest.approx(1 / 2)
    assert overlap["held_out"] == pytest.approx(2 / 6)


def test_split_overlap_none_and_empty() -> None:
    """Disjoint splits give zero, and an empty split does not divide by zero."""
    overlap = split_overlap({k: duplicate_key(v) for k, v in {"train": S("a b"), "valid": S("c d"), "test": S()}.items()})
    assert overlap == {"valid": 0.0, "test": 0.0, "held_out": 0.0}
