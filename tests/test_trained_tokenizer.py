"""`tokenizer=trained`: a WordPiece tokenizer learned offline from the training split, for data the default
English tokenizer misses (here 800 real Chinese reviews), packaged with the model it was trained for."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clearance.core.config.model import ModelStage
from clearance.core.config.params import from_conf
from clearance.core.errors import UserError
from clearance.neural.parts import trained
from clearance.neural.parts.parts import build_parts
from clearance.core.paths import split_file
from clearance.neural.serving import (
    SETTINGS_FILE,
    TOKENIZER_DIR,
    TextPredictor,
    save_predictor,
)
from clearance.small_model.judge import checks as C
from clearance.small_model.judge.checks import ModelChecks
from clearance.small_model.measure.probes.inputs import (
    full_token_ids,
    length_limit,
    measure_tokenizer,
    measure_truncation,
)
from tests.conftest import REPO
from tests.test_serving import direct_probabilities, moved_off_init

ZH = REPO / "tests/data/zh_reviews.csv"
CLASSES = ["negative", "positive"]
HELD_OUT = 160  # reviews kept out of the split the tokenizer learns from: its unknown tokens are measured there
JAPANESE, THAI = "こんにちは、きょうはいいてんきですね", "สวัสดีครับ วันนี้อากาศดีมาก"


@pytest.fixture(scope="module")
def reviews() -> pd.DataFrame:
    return pd.read_csv(ZH).sample(frac=1.0, random_state=0).reset_index(drop=True)


@pytest.fixture(scope="module")
def project(reviews: pd.DataFrame, tmp_path_factory) -> Path:
    """A folder laid out as the project root for step 3's stages: data/prepared/train.parquet, no held-out rows."""
    root = tmp_path_factory.mktemp("zh")
    (root / split_file("train")).parent.mkdir(parents=True)
    reviews.iloc[HELD_OUT:].to_parquet(root / split_file("train"))
    return root


@pytest.fixture
def tokenizer(project: Path, monkeypatch):
    monkeypatch.chdir(project)
    return trained.trained_tokenizer()


def vocab_digest(tokenizer) -> str:
    return hashlib.sha256(json.dumps(sorted(tokenizer.get_vocab().items())).encode()).hexdigest()


def test_it_reads_chinese_that_the_default_tokenizer_cannot(tokenizer, reviews: pd.DataFrame):
    from clearance.neural.parts.tokenizer import pretrained_tokenizer

    texts = reviews["text"].iloc[:HELD_OUT].tolist()  # never seen while learning
    ours = measure_tokenizer(tokenizer, texts, texts, full_token_ids(tokenizer, texts))
    default = pretrained_tokenizer()
    minilm = measure_tokenizer(default, texts, texts, full_token_ids(default, texts))
    assert ours["unk_rate"] < 0.05 and minilm["unk_rate"] > 0.4  # the corpus: 64% with MiniLM's
    assert ours["words_kept"] > 0.9 and minilm["words_kept"] < 0.5
    assert tokenizer.convert_ids_to_tokens(tokenizer("下订单")["input_ids"]) == ["[CLS]", "下", "订", "单", "[SEP]"]
    assert (tokenizer.pad_token_id, tokenizer.unk_token_id) == (0, 1) and len(tokenizer) <= 8000


def test_the_same_data_learns_the_same_vocabulary(project: Path, tokenizer):
    """In fresh processes: the trainer's hash maps are seeded per process, which made ids and ties vary."""
    script = ("import hashlib, json; from clearance.neural.parts.trained import learn, train_split, training_texts; "
              "vocab = learn(training_texts(train_split('')), 8000, 2, True, '').get_vocab(); "
              "print(hashlib.sha256(json.dumps(sorted(vocab.items())).encode()).hexdigest())")
    runs = [subprocess.Popen([sys.executable, "-c", script], cwd=project, stdout=subprocess.PIPE, text=True)
            for _ in range(3)]
    digests = {run.communicate(timeout=120)[0].strip() for run in runs}
    assert digests == {vocab_digest(tokenizer)}


def test_unspaced_scripts_are_cut_into_characters(reviews: pd.DataFrame):
    texts = reviews["text"].tolist()[:200] + [JAPANESE, THAI] * 3
    learned = trained.wrap(trained.learn(texts, 8000, 2, True, "test"))
    for text in (JAPANESE, THAI):
        assert learned.unk_token not in learned.tokenize(text)
    # Unseen kana: one [UNK] a character, never the whole run as one (BertPreTokenizer alone keeps the run).
    zh_only = trained.wrap(trained.learn(reviews["text"].tolist()[:200], 8000, 2, True, "test"))
    assert zh_only.tokenize("カタカナ") == ["[UNK]"] * 4
    from tokenizers import pre_tokenizers

    assert len(pre_tokenizers.BertPreTokenizer().pre_tokenize_str("สวัสดี")) == 1
    assert len(trained.bare_tokenizer(True).pre_tokenizer.pre_tokenize_str("สวัสดี")) == 6
    assert (learned.tokenize("で"), learned.tokenize("て")) == (["で"], ["て"])  # the voicing mark is kept


def test_too_little_data_is_a_user_error_with_the_numbers(reviews: pd.DataFrame):
    few = reviews["text"].tolist()[:40]
    with pytest.raises(UserError, match=r"holds 40 texts \(\d+ characters\), too few") as error:
        trained.learn(few, 8000, 2, True, "tokenizer=trained")
    assert "add training texts (at least 100)" in error.value.fix and "tokenizer=minilm" in error.value.fix
    with pytest.raises(UserError, match=r"150 training texts \(1050 characters\) taught \d+ tokens of the 7995 asked"
                       ) as error:
        trained.learn(["好 好 好 好"] * 150, 8000, 2, True, "tokenizer=trained")
    assert "tokenizer.min_frequency=1" in error.value.fix and "tokenizer=minilm" in error.value.fix
    with pytest.raises(UserError, match="vocab_size=50"):
        trained.trained_tokenizer(vocab_size=50)


def test_without_a_prepared_split_it_says_so(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match=r"data/prepared/train.parquet, which does not exist"):
        trained.trained_tokenizer()


def test_the_package_carries_the_tokenizer_and_scores_texts_without_the_data(project: Path, reviews: pd.DataFrame,
                                                                               tmp_path: Path, monkeypatch):
    monkeypatch.chdir(project)
    # packaged by hand, without the pipeline that resolves train.max_length: auto: a number
    cfg = from_conf(ModelStage, hydra_overrides=("model=micro", "tokenizer=trained", "train.max_length=64"),
                    conf_dir=REPO / "conf")
    parts = build_parts(cfg, CLASSES)
    model = moved_off_init(parts.build_model()).eval()
    texts = reviews["text"].iloc[:8].tolist()
    before = direct_probabilities(cfg, model, texts, CLASSES)
    folder = save_predictor(tmp_path / "pkg", cfg, parts, model)
    settings = json.loads((folder / SETTINGS_FILE).read_text())
    assert settings["tokenizer_dir"] == TOKENIZER_DIR and (folder / TOKENIZER_DIR / "tokenizer.json").is_file()
    assert settings["config"]["tokenizer"]["_target_"] == "clearance.neural.parts.trained.trained_tokenizer"

    elsewhere = tmp_path / "elsewhere"  # no data/prepared: re-learning the tokenizer would fail here
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setattr(trained, "_LEARNED", {})
    predictor = TextPredictor.load(folder, device="cpu")
    assert predictor.parts.tokenizer.get_vocab() == parts.tokenizer.get_vocab()
    np.testing.assert_allclose(predictor.probabilities(texts), before, rtol=1e-4, atol=1e-6)
    assert predictor.cfg.tokenizer == cfg.tokenizer  # the settings still say how it was made


def test_the_fix_for_unknown_tokens_names_the_trained_tokenizer():
    t = from_conf(ModelChecks, "checks.model", conf_dir=REPO / "conf")
    unknown = C.grade("unknown_tokens", {"unk_token": 100, "unk_rate": 0.64, "tokens": 1000}, t)
    lost = C.grade("words_kept", {"words_kept": 0.28, "texts_mostly_lost": 9, "words_checked": 10}, t)
    for check in (unknown, lost):
        assert check.status == "fail"
        assert "`clearance params model=tiny tokenizer=trained` then `dvc repro`" in check.fix


def test_the_suggested_max_length_fits_the_model(tokenizer):
    from clearance.neural.parts.tiny import TinyTransformer

    tiny = TinyTransformer(num_labels=2, vocab_size=len(tokenizer), pad_token_id=0, max_positions=128)
    assert length_limit(tokenizer, tiny) == 128 and length_limit(tokenizer) is None  # it has no limit of its own
    t = from_conf(ModelChecks, "checks.model", conf_dir=REPO / "conf")
    lengths = [[1] * n for n in range(10, 310)]  # 95th percentile: 295 tokens
    free = C.grade("truncated_texts", measure_truncation(lengths, 64), t)
    assert free.status == "fail" and "about the 95th percentile (295)" in free.fix
    capped = C.grade("truncated_texts", measure_truncation(lengths, 64, limit=128), t)
    assert "raise train.max_length to 128, the most the model takes" in capped.fix and "295)" not in capped.fix
    full = C.grade("truncated_tokens", measure_truncation(lengths, 128, limit=128), t)
    assert "already the most the model takes (128 tokens)" in full.fix and "model.max_positions" in full.fix
    outliers = [[1] * 20] * 97 + [[1] * 2000] * 3  # the 95th percentile fits: the few long texts lose the tokens
    few = C.grade("truncated_tokens", measure_truncation(outliers, 64, limit=512), t)
    assert few.status == "fail" and "raise train.max_length to 512, the most the model takes (the 99th percentile" in few.fix
