"""Schema of reading the trained model's errors (values: conf/errors/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from omegaconf import MISSING

from clearance.core.config.tracking import TrackingConfig


@dataclass
class ErrorsConfig:
    """How the model's errors are read: the bootstrap, what makes a slice, how much is listed."""

    bootstrap: int = MISSING
    level: float = MISSING
    rare_word_count: int = MISSING
    rare_share: float = MISSING
    max_column_values: int = MISSING
    max_groups: int = MISSING
    examples: int = MISSING
    rows_listed: int = MISSING
    shortcut_max_texts: int = MISSING  # valid texts a shortcut step 1 suspected touches, predicted per suspect


@dataclass
class ErrorsStage:
    """What the stage that reads step 3's model errors reads: the seed, the columns to slice by, its settings."""

    seed: int = MISSING
    group_column: Optional[str] = field(default=MISSING, metadata={"params": "data.group_column"})
    keep_columns: list[str] = field(default=MISSING, metadata={"params": "data.keep_columns"})
    errors: ErrorsConfig = MISSING
    tracking: TrackingConfig = MISSING


@dataclass
class ShortcutStage:
    """What step 3's shortcut probe reads: the seed, how many touched valid texts it predicts per suspect, how
    long a text it copies into its record."""

    seed: int = MISSING
    max_texts: int = field(default=MISSING, metadata={"params": "errors.shortcut_max_texts"})
    max_report_chars: int = field(default=MISSING, metadata={"params": "inspect.max_report_chars"})
    tracking: TrackingConfig = MISSING
