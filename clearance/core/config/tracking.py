"""Schema of the MLflow tracking settings."""

from __future__ import annotations

from dataclasses import dataclass

from omegaconf import MISSING


@dataclass
class TrackingConfig:
    """MLflow tracking (values: conf/tracking/); empty values mean the SQLite store at the repository root."""

    uri: str = MISSING  # "": the SQLite store mlflow.db at the repository root
    experiment: str = MISSING
    artifact_location: str = MISSING


@dataclass
class TrackingOnly:
    """For commands that only need to know where runs are tracked (`clearance ui`)."""

    tracking: TrackingConfig = MISSING
