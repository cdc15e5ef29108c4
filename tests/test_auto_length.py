"""train.max_length: auto reads the train texts' token lengths: a high percentile, rounded up, within the
model's limit; resolved once where the parts are built, and said."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clearance.core.config.model import ModelStage
from clearance.core.config.params import from_conf
from clearance.neural.training.auto_length import choose, is_auto
from clearance.neural.training.inputs import model_settings_digest, parts_for
from tests.test_inspect_checks import prepared

ZH = Path(__file__).parent / "data" / "zh_reviews.csv"
CONF = Path(__file__).resolve().parents[1] / "conf"


def zh_project(root: Path, monkeypatch) -> Path:
    """The Chinese reviews prepared at root/data/prepared, root the working folder (the trained tokenizer learns
    from data/prepared/train.parquet there)."""
    folder, _ = prepared(pd.read_csv(ZH), root / "data")
    monkeypatch.chdir(root)
    return folder


def test_the_percentile_is_rounded_up_and_kept_within_the_limit() -> None:
    lengths = np.arange(1, 101)  # 1..100 tokens
    assert choose(lengths, 95, None)[0] == 96  # 95.05 -> 96, a multiple of 8
    value, why = choose(lengths, 95, 64)
    assert value == 64 and "model's limit of 64" in why
    assert is_auto("auto") and is_auto(" AUTO ") and not is_auto(64)


def test_auto_reads_long_chinese_reviews_where_64_tokens_would_cut(tmp_path: Path, monkeypatch) -> None:
    folder = zh_project(tmp_path, monkeypatch)
    overrides = ("model=tiny", "tokenizer=trained", "model.max_positions=512", "train.max_length=auto")
    cfg = from_conf(ModelStage, conf_dir=CONF, hydra_overrides=overrides)
    digest = model_settings_digest(cfg)
    parts = parts_for(cfg, folder)
    assert isinstance(cfg.train.max_length, int) and cfg.train.max_length > 64
    assert parts.length_choice["value"] == cfg.train.max_length and "98% of" in parts.length_choice["why"]
    again = from_conf(ModelStage, conf_dir=CONF, hydra_overrides=overrides)
    parts_for(again, folder)
    assert again.train.max_length == cfg.train.max_length  # the same data, the same length
    assert model_settings_digest(from_conf(ModelStage, conf_dir=CONF, hydra_overrides=overrides)) == digest


def test_a_sweep_measures_the_lengths_once(tmp_path: Path, monkeypatch) -> None:
    """``known`` (a sweep's trials share one): the texts' lengths are measured once and the model's limit once per
    model; the same settings give the same choice, another percentile another one from the same lengths."""
    import clearance.neural.training.auto_length as auto_length

    folder = zh_project(tmp_path, monkeypatch)
    overrides = ("model=tiny", "tokenizer=trained", "model.max_positions=512", "train.max_length=auto")
    known: dict = {}
    first = from_conf(ModelStage, conf_dir=CONF, hydra_overrides=overrides)
    measured = parts_for(first, folder, known).length_choice
    calls = []
    real = auto_length.token_lengths
    monkeypatch.setattr(auto_length, "token_lengths", lambda *a: calls.append(a) or real(*a))
    second = from_conf(ModelStage, conf_dir=CONF, hydra_overrides=overrides)
    assert parts_for(second, folder, known).length_choice == measured and calls == []
    assert second.train.max_length == first.train.max_length
    other = from_conf(ModelStage, conf_dir=CONF, hydra_overrides=(*overrides, "train.max_length_percentile=50"))
    assert parts_for(other, folder, known).length_choice["value"] < measured["value"] and calls == []
    assert parts_for(from_conf(ModelStage, conf_dir=CONF, hydra_overrides=overrides), folder).length_choice == measured
    assert len(calls) == 1  # without ``known``, measured again
    smaller = from_conf(ModelStage, conf_dir=CONF, hydra_overrides=(*overrides, "model.max_positions=32"))
    assert parts_for(smaller, folder, known).length_choice["value"] == 32 and len(calls) == 1  # a new limit only


def test_a_number_is_kept_as_set(tmp_path: Path, monkeypatch) -> None:
    folder = zh_project(tmp_path, monkeypatch)
    cfg = from_conf(ModelStage, conf_dir=CONF, hydra_overrides=("model=tiny", "tokenizer=trained", "train.max_length=48"))
    parts = parts_for(cfg, folder)
    assert cfg.train.max_length == 48 and parts.length_choice is None


@pytest.mark.parametrize("limit", [32])
def test_a_small_position_table_caps_auto(tmp_path: Path, monkeypatch, limit: int) -> None:
    folder = zh_project(tmp_path, monkeypatch)
    cfg = from_conf(ModelStage, conf_dir=CONF, hydra_overrides=("model=tiny", "tokenizer=trained", f"model.max_positions={limit}",
                                                 "train.max_length=auto"))
    parts = parts_for(cfg, folder)
    assert cfg.train.max_length == limit and f"limit of {limit}" in parts.length_choice["why"]
