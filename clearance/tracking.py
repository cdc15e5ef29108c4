"""MLflow tracking: one SQLite store at the repository root, one experiment.

mlflow is imported inside the functions so that the gate and the CLI start fast.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from clearance.config import TrackingConfig

STORE_FILE = "mlflow.db"
ARTIFACT_DIR = "mlartifacts"
# Queued and temporary `dvc exp run` jobs run in <repo>/.dvc/tmp/exps/<id>/;
# their runs belong in the store of the repository they came from.
_EXP_COPY = re.compile(r"^(?P<root>.*?)/\.dvc/tmp/exps/")


def project_root(start: Path | None = None) -> Path:
    """The repository root, seen through DVC's temporary experiment copies."""
    base = Path(os.environ.get("DVC_ROOT") or start or Path.cwd()).resolve()
    match = _EXP_COPY.match(str(base) + "/")
    return Path(match.group("root")) if match else base


def tracking_uri(cfg: TrackingConfig, root: Path | None = None) -> str:
    """The configured URI, or an absolute SQLite URI at the repository root."""
    return cfg.uri or f"sqlite:///{(root or project_root()) / STORE_FILE}"


def artifact_location(cfg: TrackingConfig, root: Path | None = None) -> str:
    """Where the experiment stores artifacts (absolute, for the same reason)."""
    return cfg.artifact_location or ((root or project_root()) / ARTIFACT_DIR).as_uri()


def git_commit(cwd: Path | None = None) -> str:
    """The current commit, or 'none' outside git or before the first commit."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             cwd=cwd, timeout=10, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "none"


def flatten(params: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested settings as dotted keys, the way they are overridden with -S."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def metric_key(name: str) -> str:
    """A name MLflow accepts as a metric key."""
    return re.sub(r"[^\w\-./ ]", "_", name)


def _experiment_id(cfg: TrackingConfig) -> str:
    import mlflow

    experiment = mlflow.get_experiment_by_name(cfg.experiment)
    if experiment is not None:
        return experiment.experiment_id
    return mlflow.create_experiment(cfg.experiment, artifact_location=artifact_location(cfg))


@contextmanager
def stage_run(stage: str, cfg: TrackingConfig, params: dict[str, Any]) -> Iterator[Any]:
    """An MLflow run for one stage execution, tagged with the stage, commit and params."""
    import logging

    import mlflow

    # The store's schema migrations log at INFO on first use; they are not news.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    mlflow.set_tracking_uri(tracking_uri(cfg))
    experiment_id = _experiment_id(cfg)
    tags = {"clearance.stage": stage, "mlflow.source.git.commit": git_commit()}
    with mlflow.start_run(experiment_id=experiment_id, run_name=stage, tags=tags) as run:
        flat = {k: str(v) for k, v in flatten(params).items()}
        mlflow.log_params(flat)
        yield run


@contextmanager
def child_run(name: str, params: dict[str, Any], tags: dict[str, str] | None = None) -> Iterator[Any]:
    """A run nested under the active stage run (a baseline, a sweep trial)."""
    import mlflow

    parent = mlflow.active_run()
    # Without the parent's experiment id, a nested run lands in the Default experiment.
    with mlflow.start_run(run_name=name, nested=True, tags=tags or {},
                          experiment_id=parent.info.experiment_id if parent else None) as run:
        if params:
            mlflow.log_params({k: str(v) for k, v in flatten(params).items()})
        yield run


def log_files(paths: list[Path]) -> None:
    """Log a stage's output files as artifacts of the active run (plots in plots/)."""
    import mlflow

    for path in paths:
        mlflow.log_artifact(str(path), artifact_path="plots" if path.suffix == ".png" else None)


def log_metrics(metrics: dict[str, float]) -> None:
    """Log a dict of numbers in one batch call (per-metric calls are ~50x slower)."""
    import mlflow

    clean = {metric_key(k): float(v) for k, v in metrics.items()
             if isinstance(v, (int, float)) and not isinstance(v, bool)}
    mlflow.log_metrics(clean)
