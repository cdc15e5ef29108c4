"""Schemas of step 1, data inspection: what it measures (its thresholds are declared with its checks,
clearance/inspection/judge/checks.py)."""

from __future__ import annotations

from dataclasses import dataclass

from omegaconf import MISSING

from clearance.core.config.tracking import TrackingConfig


@dataclass
class InspectConfig:
    """Settings of step 1's measurements (values: conf/inspect/)."""

    word_unit: str = MISSING  # auto | whitespace | jieba | characters (see clearance.core.text.units)
    sample_size: int = MISSING
    top_tokens: int = MISSING
    keyword_tokens: int = MISSING
    min_token_count: int = MISSING
    short_text_words: int = MISSING
    label_issue_folds: int = MISSING
    label_issue_max_rows: int = MISSING
    max_report_chars: int = MISSING  # texts longer than this are cut in reports and samples (with a marker)


@dataclass
class InspectStage:
    """Everything the inspect stage (the measuring) reads."""

    seed: int = MISSING
    inspect: InspectConfig = MISSING
    tracking: TrackingConfig = MISSING
