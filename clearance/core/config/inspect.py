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
    sample_size: int = MISSING  # examples written to reports/inspect/sample.csv
    top_tokens: int = MISSING  # most class-indicative tokens shown per class
    keyword_tokens: int = MISSING  # tokens per class the keyword rule uses
    min_token_count: int = MISSING  # rarer tokens are left out of the log-odds ranking
    short_text_words: int = MISSING  # texts with fewer words count as very short
    label_issue_folds: int = MISSING  # folds of out-of-fold probabilities for the label-issue search
    label_issue_max_rows: int = MISSING  # larger data is searched on a stratified sample
    shortcut_max_rows: int = MISSING  # the shortcut search reads a random sample of this many rows
    template_words: int = MISSING  # words in a span that makes a template
    template_min_texts: int = MISSING  # distinct texts that must share a span for it to be a template
    max_report_chars: int = MISSING  # texts longer than this are cut in reports and samples (with a marker)


@dataclass
class InspectStage:
    """Everything the inspect stage (the measuring) reads."""

    seed: int = MISSING
    inspect: InspectConfig = MISSING
    tracking: TrackingConfig = MISSING
