"""Long texts: cut where reports show them (inspect.max_report_chars, said in the report), and read only as
far as a model or an n-gram count can use, so one huge text neither floods a report nor the memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from clearance.baselines.judge.run import BaselineChecks, judge_baselines
from clearance.baselines.measure.embeddings import MeanEmbeddings
from clearance.baselines.measure.models import TfidfLogReg
from clearance.baselines.measure.run import run_baselines
from clearance.core.config.baselines import BaselinesConfig, BaselinesStage, TfidfConfig
from clearance.core.config.data import DataConfig, PrepareStage, SplitConfig
from clearance.core.config.inspect import InspectConfig, InspectStage
from clearance.inspection.judge.run import InspectChecks
from clearance.core.config.params import from_conf
from clearance.core.data import load as L
from clearance.core.data.prepare import prepare
from clearance.core.errors import UserError
from clearance.core.report.long_texts import SETTING, Cutter, cut_text
from clearance.core.text.input_cap import chars_for_tokens, first_chars
from clearance.neural.training.batches import token_ids
from clearance.inspection.judge.run import judge_inspection
from clearance.inspection.measure.run import run_inspection
from clearance.small_model.judge.run import cut_view, samples_view
from clearance.small_model.measure.probes.inputs import COUNT_CHARS, full_token_ids, measure_truncation
from clearance.small_model.measure.probing import cut_samples
from clearance.small_model.measure.training import cut_texts
from tests.conftest import REPO
from tests.factory import make_texts, write_table
from tests.training_kit import WordTokenizer

WORDS = np.array("alpha bravo charlie delta echo foxtrot golf hotel".split())


def huge_text(chars: int, seed: int = 0) -> str:
    """``chars`` characters of random words."""
    words = np.random.default_rng(seed).choice(WORDS, size=chars // 5 + 1)
    return " ".join(words)[:chars]


# -- the cut ---------------------------------------------------------------------------------------------------

def test_a_long_text_is_cut_with_a_marker_saying_how_long_it_was():
    text = "x" * 52_428_800
    cut = cut_text(text, 2000)
    assert cut.startswith("x" * 2000) and len(cut) < 2100
    assert "[cut: 52,428,800 characters" in cut and SETTING in cut


def test_a_short_text_is_kept_as_it_is():
    text = "a tweet, as tweets are"
    assert cut_text(text, 2000) is text and cut_text(text, None) is text and cut_text(3.5, 1) == 3.5


def test_the_cutter_counts_what_it_cut():
    cutter = Cutter(10)
    frame = cutter.columns(pd.DataFrame({"text": ["short", "a" * 50], "n": [1, 2]}), "text", "missing")
    rows = cutter.rows([{"raw": "b" * 11, "row": 3}], "raw")
    assert frame["text"].iloc[0] == "short" and "[cut: 50 characters" in frame["text"].iloc[1]
    assert rows[0]["row"] == 3 and rows[0]["raw"].startswith("b" * 10 + "…")
    assert cutter.note() == {"setting": SETTING, "limit": 10, "texts": 2}


def test_step_3_records_cut_tracked_texts_mistakes_and_samples():
    record = {"tracked": [{"text": "t" * 30, "label": "a"}],
              "mistakes": pd.DataFrame({"row": [1], "text": ["m" * 30]})}
    cut = cut_texts(record, 20)
    assert "[cut: 30" in cut["tracked"][0]["text"] and "[cut: 30" in cut["mistakes"]["text"].iloc[0]
    probes = cut_samples({"decoded_samples": [{"raw": "r" * 30, "preprocessed": "p" * 30, "decoded": "d"}]}, 20)
    assert all("[cut: 30" in probes["decoded_samples"][0][k] for k in ("raw", "preprocessed"))
    assert cut_view(probes, cut)["texts"] == 4 and cut_view({}, {}) is None
    assert cut_samples({"decoded_samples": {"error": "x"}}, 20)["cut"]["texts"] == 0


# -- steps 1 and 2: reports and samples ------------------------------------------------------------------------

LIMIT = 500
LONG = "see https://example.com " + huge_text(200_000)


@pytest.fixture(scope="module")
def long_text_reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Steps 1 and 2, measured and judged, on data where one text is 200,000 characters (with a URL, so it
    is an example of a pattern too) and some labels are flipped (so the baselines make mistakes)."""
    folder = tmp_path_factory.mktemp("long")
    data = make_texts(60)
    data.loc[0, "text"] = LONG
    flipped = data.sample(n=25, random_state=3).index
    data.loc[flipped, "label"] = data.loc[flipped, "label"].map({"negative": "positive", "positive": "neutral",
                                                                 "neutral": "negative"})
    write_table(data, folder / "raw.csv")
    prepared = folder / "prepared"
    prepare(from_conf(PrepareStage, hydra_overrides=("data=custom",), seed=42,
                      data=from_conf(DataConfig, "data", ("data=custom",), path=str(folder / "raw.csv")),
                      split=from_conf(SplitConfig, "split")), prepared)
    reports = folder / "reports"
    inspect = from_conf(InspectConfig, "inspect", label_issue_folds=2, max_report_chars=LIMIT)
    run_inspection(from_conf(InspectStage, seed=42, inspect=inspect), prepared, reports / "inspect")
    judge_inspection(from_conf(InspectChecks, "checks.inspect"), reports / "inspect")
    # every text is longer than 20 characters: each mistake shown is cut
    baselines = from_conf(BaselinesStage, seed=42, max_report_chars=20,
                          baselines=from_conf(BaselinesConfig, "baselines", run=["majority", "tfidf_logreg"]))
    run_baselines(baselines, prepared, reports / "baselines")
    judge_baselines(from_conf(BaselineChecks, "checks.baselines"), reports / "baselines")
    return reports


def test_step_1_cuts_the_long_text_everywhere_it_shows_it(long_text_reports: Path):
    folder = long_text_reports / "inspect"
    sample = pd.read_csv(folder / "sample.csv")
    longest = sample["text"].str.len().max()
    assert LIMIT < longest < LIMIT + 100 and sample["text"].str.contains(r"\[cut: ", regex=True).sum() == 1
    measured = json.loads((folder / "measurements.json").read_text(encoding="utf-8"))
    cut = measured["report"]["cut"]
    assert cut["setting"] == SETTING and cut["limit"] == LIMIT and cut["texts"] >= 2  # the sample, the URL examples
    assert all(len(e) < LIMIT + 100 for examples in measured["stats"]["pattern_examples"].values() for e in examples)
    past_the_cut = LONG[LIMIT + 100: LIMIT + 400]
    for name in ("measurements.json", "report.html", "sample.csv", "label_issues.csv"):
        assert past_the_cut not in (folder / name).read_text(encoding="utf-8"), name


def test_step_1_report_says_texts_were_cut_and_at_which_setting(long_text_reports: Path):
    report = (long_text_reports / "inspect" / "report.html").read_text(encoding="utf-8")
    assert f"{SETTING}={LIMIT}" in report and "cut in this report" in report


def test_step_2_cuts_the_mistakes_and_says_so(long_text_reports: Path):
    folder = long_text_reports / "baselines"
    mistakes = pd.read_csv(folder / "mistakes.csv")
    assert len(mistakes) and mistakes["text"].str.contains(r"\[cut: ", regex=True).all()
    assert f"{SETTING}=20" in (folder / "report.html").read_text(encoding="utf-8")


def test_ordinary_texts_are_shown_whole(tmp_path: Path):
    """With the default setting, nothing in ordinary data is cut and the report says nothing about it."""
    folder = tmp_path
    write_table(make_texts(40), folder / "raw.csv")
    prepare(from_conf(PrepareStage, hydra_overrides=("data=custom",), seed=42,
                      data=from_conf(DataConfig, "data", ("data=custom",), path=str(folder / "raw.csv")),
                      split=from_conf(SplitConfig, "split")), folder / "prepared")
    out = folder / "reports" / "inspect"
    run_inspection(from_conf(InspectStage, seed=42, inspect=from_conf(InspectConfig, "inspect", label_issue_folds=2)),
                   folder / "prepared", out)
    judge_inspection(from_conf(InspectChecks, "checks.inspect"), out)
    measured = json.loads((out / "measurements.json").read_text(encoding="utf-8"))
    assert measured["report"]["cut"]["texts"] == 0 and not pd.read_csv(out / "sample.csv")["text"].str.contains("[cut:",
                                                                                                              regex=False).any()
    assert "cut in this report" not in (out / "report.html").read_text(encoding="utf-8")


# -- reading only what can be used -----------------------------------------------------------------------------

class Spy(WordTokenizer):
    """A word tokenizer that records the longest text it was given."""

    longest = 0

    def __call__(self, texts, **kw):
        self.longest = max([self.longest, *map(len, texts)])
        return super().__call__(texts, **kw)


def test_first_chars_keeps_ordinary_texts_as_they_are():
    texts = ["a", "bb", "ccc"]
    assert first_chars(texts, 2) == ["a", "bb", "cc"] and first_chars(texts, None) is texts
    series = pd.Series(texts, index=[5, 6, 7])
    assert first_chars(series, 3) is series
    assert first_chars(series, 1).tolist() == ["a", "b", "c"] and first_chars(series, 1).index.tolist() == [5, 6, 7]


def test_training_tokenises_only_what_max_length_tokens_can_use():
    texts = ["love this great day", huge_text(2_000_000)]
    tokenizer = Spy(texts[:1] + [huge_text(1000)])
    ids = token_ids(tokenizer, texts, max_length=8)
    assert tokenizer.longest == chars_for_tokens(8)
    assert ids == [row[:8] for row in WordTokenizer.__call__(tokenizer, texts, truncation=True,
                                                             max_length=8)["input_ids"]]


def test_the_truncation_probe_counts_a_huge_text_up_to_its_first_characters():
    texts = ["short one", huge_text(COUNT_CHARS * 3), "another short text"]
    tokenizer = Spy(texts)
    full = full_token_ids(tokenizer, texts)
    assert tokenizer.longest == COUNT_CHARS
    assert full[0] == [2, *(tokenizer.vocab.get(w, 1) for w in texts[0].split())]  # each text's ids in its place
    assert len(full[2]) == 4 and COUNT_CHARS // 10 < len(full[1]) <= COUNT_CHARS // 5 + 2


def test_the_report_says_when_the_truncation_probe_counted_a_text_in_part():
    counted = measure_truncation([[1] * 10, [1] * 3], 5, None, counted_in_part=1)
    assert counted["counted_in_part"] == {"texts": 1, "chars": COUNT_CHARS}
    assert samples_view({"truncation": counted, "decoded_samples": []})["in_part"]["texts"] == 1
    assert samples_view({"truncation": measure_truncation([[1] * 3], 5), "decoded_samples": []})["in_part"] is None


def tfidf(max_chars: int | None) -> TfidfLogReg:
    settings = {**vars(from_conf(TfidfConfig, "baselines.tfidf")), "max_chars": max_chars, "min_df": 1}
    return TfidfLogReg(["a", "b"], 0, **settings)


def test_tfidf_counts_n_grams_in_a_texts_first_characters_only():
    """A word past baselines.tfidf.max_chars is never counted."""
    texts = pd.Series(["good words " * 10 + "zzztail", "bad words", "good day", "bad day"])
    labels = np.array(["a", "b", "a", "b"])
    assert "zzztail" not in word_vocabulary(tfidf(50).fit(texts, labels))
    assert "zzztail" in word_vocabulary(tfidf(None).fit(texts, labels))


def word_vocabulary(baseline: TfidfLogReg) -> dict[str, int]:
    """The fitted word vectorizer's vocabulary (the first part of the pipeline's feature union)."""
    part = baseline.model_.steps[0][1].transformer_list[0][1]
    return getattr(part, "vectorizer", part).vocabulary_


def test_the_embeddings_baseline_tokenises_only_what_max_length_tokens_can_use():
    embed = MeanEmbeddings(max_length=16).fit(["x"])
    seen = []
    encode = embed.tokenizer_.encode_batch

    class Recorder:
        def __getattr__(self, name):
            return getattr(embed.tokenizer_, name)

    recorder = Recorder()
    recorder.encode_batch = lambda texts: seen.extend(map(len, texts)) or encode(texts)
    embed.tokenizer_ = recorder
    short = embed.transform(["love this"])
    both = embed.transform(["love this", huge_text(1_000_000)])
    assert max(seen) == chars_for_tokens(16) and np.allclose(short[0], both[0])


PEAK_SCRIPT = """
import resource, sys
import numpy as np, pandas as pd
from clearance.baselines.measure.run import build
from clearance.core.config.baselines import BaselinesStage
from clearance.core.config.params import from_conf
words = np.random.default_rng(0).choice(np.array("alpha bravo charlie delta echo".split()), size=1_000_000)
texts = pd.Series([" ".join(words)[:5_000_000]] + [f"text number {i} good" if i % 2 else f"text {i} bad"
                                                   for i in range(1, 200)])
labels = np.array(["a" if i % 2 else "b" for i in range(200)], dtype=object)
start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cfg = from_conf(BaselinesStage)
for name in sys.argv[1:]:
    build(name, ["a", "b"], cfg).fit(texts, labels).predict_scored(texts)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start) // 1024)
"""


@pytest.mark.parametrize("baseline", ["tfidf_logreg", "embeddings_logreg"])
def test_one_5_mb_text_costs_the_baselines_little_memory(baseline: str):
    """Uncut, a 5 MB text took TF-IDF ~950 MB and the embeddings ~720 MB above their start (50 MB: 9.8 GB)."""
    grown = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, baseline], capture_output=True, text=True,
                           check=True, env={**os.environ, "OMP_NUM_THREADS": "1"}).stdout.split()[-1]
    assert int(grown) < 250, f"{baseline} grew by {grown} MB on one 5 MB text"


# -- the memory estimate before reading ------------------------------------------------------------------------

def file_with_one_huge_text(path: Path, chars: int) -> Path:
    """299 short rows, then one of ``chars`` characters: the first lines say nothing of it."""
    data = make_texts(100).iloc[:299]
    big = pd.DataFrame({"text": [huge_text(chars)], "label": ["neutral"]})
    write_table(pd.concat([data, big], ignore_index=True), path)
    return path


def test_the_longest_line_is_found_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "lines.txt"
    lines = [b"ab", b"c" * 23, b"", b"defg" * 5, b"h" * 30]
    path.write_bytes(b"\n".join(lines))
    for chunk in (3, 7, 64, 1 << 20):
        monkeypatch.setattr(L, "SCAN_CHUNK", chunk)
        assert L.longest_line(path) == 30


def test_the_estimate_covers_one_huge_text_whatever_the_sample(tmp_path: Path):
    path = file_with_one_huge_text(tmp_path / "one_huge.csv", 5_000_000)
    plain = make_texts(100).iloc[:299]
    write_table(plain, tmp_path / "plain.csv")
    need = L.memory_need(path, "csv", sample=30)
    assert need.longest > 5_000_000 and need.steps >= L.BASE_BYTES + L.LONG_TEXT_PER_BYTE * 5_000_000
    ordinary = L.memory_need(tmp_path / "plain.csv", "csv", None)  # short rows: the rows decide, as before
    assert ordinary.steps == int(L.BASE_BYTES + L.STEPS_PER_BYTE * ordinary.data)


def test_a_text_too_long_for_the_memory_is_named_before_reading(tmp_path: Path):
    path = file_with_one_huge_text(tmp_path / "one_huge.csv", 5_000_000)
    need = L.memory_need(path, "csv", sample=30)
    available = need.read + 1  # reading fits; the longest text alone does not
    assert need.read < L.BASE_BYTES + L.LONG_TEXT_PER_BYTE * need.longest
    with pytest.raises(UserError) as info:
        L.check_memory(path, "csv", 30, available=available)
    assert info.value.where == str(path) and "longest line alone is 5.0 MB" in info.value.fix


def test_every_stage_that_cuts_texts_depends_on_the_setting():
    """A changed inspect.max_report_chars re-runs each stage that cuts texts with it (and only those): step 3
    cuts where its model stops reading (train.max_length x 64), so a report setting never re-trains (the shortcut
    probe cuts the texts it shows, and re-runs in seconds)."""
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    reading = {name for name, stage in stages.items()
               if {"inspect", SETTING} & {str(p) for p in stage.get("params", [])}}
    assert reading == {"inspect", "baselines", "probe_shortcuts"}
