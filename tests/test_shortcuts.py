"""Step 1's shortcut checks (label_in_text, property_shortcut, too_good_rule, templates) on real tweets (the
built-in corpus) and real Chinese reviews: each fails or warns on a shortcut built into them, and none fires on
the texts as they are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clearance.core.data.builtin import CORPUS_ENCODING, corpus_path
from clearance.inspection.judge.suspects import suspects
from tests.test_inspect_checks import inspect, thresholds

SHORTCUT_CHECKS = ("label_in_text", "property_shortcut", "too_good_rule", "templates")
ZH = Path(__file__).parent / "data" / "zh_reviews.csv"
SIGNATURE = "Sent from my phone so please excuse any typos in this short message"


@pytest.fixture(scope="module")
def tweets() -> pd.DataFrame:
    """2,400 real tweets of the built-in corpus, 800 per class, distinct."""
    frame = pd.read_csv(corpus_path(), encoding=CORPUS_ENCODING).rename(columns={"sentiment": "label"})[["text", "label"]].drop_duplicates("text")
    return frame.groupby("label", group_keys=False).sample(n=800, random_state=0).reset_index(drop=True)


def statuses(checks: dict) -> dict[str, str]:
    return {k: checks[k].status for k in SHORTCUT_CHECKS if k in checks}


def on_some(frame: pd.DataFrame, label: str, share: float, edit, seed: int = 0) -> pd.DataFrame:
    """``edit`` applied to a random ``share`` of the texts of ``label``."""
    out = frame.copy()
    rows = out.index[out["label"] == label]
    picked = np.random.default_rng(seed).choice(rows, size=int(share * len(rows)), replace=False)
    out.loc[picked, "text"] = out.loc[picked, "text"].map(edit)
    return out


def test_real_tweets_raise_no_shortcut(tweets: pd.DataFrame, tmp_path: Path) -> None:
    assert set(statuses(inspect(tweets, tmp_path).checks).values()) == {"pass"}


def test_real_chinese_reviews_raise_no_shortcut(tmp_path: Path) -> None:
    got = inspect(pd.read_csv(ZH), tmp_path)
    assert set(statuses(got.checks).values()) == {"pass"}
    assert got.stats["shortcuts"]["templates"]["searched_texts"] > 700  # measured in jieba words, not skipped


def test_label_in_its_own_texts_fails_and_is_a_suspect(tweets: pd.DataFrame, tmp_path: Path) -> None:
    bracketed = tweets.copy()
    half = bracketed.sample(frac=0.5, random_state=1).index
    bracketed.loc[half, "text"] = bracketed.loc[half, "text"] + " [" + bracketed.loc[half, "label"].str.upper() + "]"
    got = inspect(bracketed, tmp_path)
    result = got.checks["label_in_text"]
    assert result.status == "fail" and "of its own texts" in result.message
    found = suspects(got.stats, thresholds(), list(got.checks.values()))
    assert {"check": "label_in_text", "kind": "tokens", "name": "the label name 'positive'",
            "tokens": ["positive"]} in found


def test_label_names_that_are_common_words_pass_and_say_why(tweets: pd.DataFrame, tmp_path: Path) -> None:
    # "good" and "bad" occur in every class's tweets; a handful more in their own is no leak
    renamed = tweets.assign(label=tweets["label"].map({"negative": "bad", "neutral": "okay", "positive": "good"}))
    renamed = on_some(renamed, "bad", 0.3, lambda t: t + " not good at all")
    renamed = on_some(renamed, "good", 0.1, lambda t: t + " good", seed=1)
    renamed = on_some(renamed, "okay", 0.1, lambda t: t + " good", seed=2)
    result = inspect(renamed, tmp_path).checks["label_in_text"]
    assert result.status == "pass" and "a common word and no leak" in result.message


def test_a_property_that_predicts_the_label_warns(tweets: pd.DataFrame, tmp_path: Path) -> None:
    # every positive tweet ends with a link, no other tweet has one: holding a URL says the class
    stripped = tweets.assign(text=tweets["text"].str.replace(r"https?://\S+", "", regex=True))
    linked = on_some(stripped, "positive", 1.0, lambda t: t + " http://t.co/abc")
    got = inspect(linked, tmp_path)
    assert got.checks["property_shortcut"].status == "warn"
    assert "holding a URL" in got.checks["property_shortcut"].message


def test_a_template_that_predicts_the_label_warns(tweets: pd.DataFrame, tmp_path: Path) -> None:
    signed = on_some(tweets, "negative", 0.3, lambda t: f"{t} {SIGNATURE}")
    got = inspect(signed, tmp_path)
    result = got.checks["templates"]
    assert result.status == "warn" and "negative" in result.message
    spans = [s["span"] for s in suspects(got.stats, thresholds(), list(got.checks.values())) if s["kind"] == "span"]
    assert spans and all(span.lower() in SIGNATURE.lower() for span in spans)


def test_a_token_that_decides_the_label_is_too_good(tweets: pd.DataFrame, tmp_path: Path) -> None:
    tagged = on_some(tweets, "neutral", 1.0, lambda t: f"zqxv {t}")
    got = inspect(tagged, tmp_path)
    result = got.checks["too_good_rule"]
    assert result.status == "warn" and "zqxv" in result.message
    assert got.checks["label_in_text"].status == "pass"


def test_a_number_that_follows_the_length_is_a_property_shortcut(tweets: pd.DataFrame, tmp_path: Path) -> None:
    words = tweets["text"].str.split().str.len().to_numpy(dtype=float)
    noise = np.random.default_rng(0).normal(0, 0.5, len(words))
    scored = tweets.assign(label=np.round(words / 3 + noise, 2))
    got = inspect(scored, tmp_path, data={"task": "regression"})
    assert got.checks["property_shortcut"].status == "warn"
    assert "label_in_text" not in got.checks  # a number has no name


def test_measurements_without_the_search_warn_rather_than_pass() -> None:
    from clearance.checklist.declared import grade_one
    from clearance.inspection.judge.run import CHECKS

    for check_id in SHORTCUT_CHECKS:
        result = grade_one(CHECKS, check_id, {"stats": {}}, thresholds())
        assert result.status == "warn" and "run the inspect stage again" in result.fix
