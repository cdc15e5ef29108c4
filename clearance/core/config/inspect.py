"""Schemas of step 1, data inspection: what it measures and how it is judged."""

from __future__ import annotations

from dataclasses import dataclass, field

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
class InspectChecks:
    """Thresholds of step 1's automated checks (values: conf/checks/default.yaml#inspect)."""

    imbalance_warn: float = MISSING
    imbalance_fail: float = MISSING
    min_class_count: int = MISSING
    dropped_rows_warn: float = MISSING
    dropped_rows_fail: float = MISSING
    label_variants_warn: float = MISSING
    empty_text_warn: float = MISSING
    empty_text_fail: float = MISSING
    short_text_warn: float = MISSING
    duplicate_warn: float = MISSING
    conflicting_duplicates_warn: float = MISSING
    conflicting_duplicates_fail: float = MISSING
    split_overlap_fail: float = MISSING
    mojibake_warn: float = MISSING
    mojibake_fail: float = MISSING
    replacement_char_warn: float = MISSING
    html_entity_warn: float = MISSING
    label_issue_warn: float = MISSING
    label_issue_fail: float = MISSING
    min_sample_size: int = MISSING


@dataclass
class InspectStage:
    """Everything the inspect stage (the measuring) reads."""

    seed: int = MISSING
    inspect: InspectConfig = MISSING
    tracking: TrackingConfig = MISSING


@dataclass
class InspectJudge:
    """Everything the judging of step 1 reads: only its thresholds."""

    checks: InspectChecks = field(default=MISSING, metadata={"params": "checks.inspect"})
