"""MLflow tracking: one SQLite store at the repository root, one experiment.

The only module that talks to MLflow (with clearance/neural/logged_model.py for the packaged model):
stages, the gate and later steps call the functions here. mlflow is imported inside them so that the gate and the CLI start fast.
Opening a run first checks that the store can be used (clearance/core/tracking_store.py).
"""

from __future__ import annotations

import numbers
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clearance.core.config.tracking import TrackingConfig
from clearance.core.git import git_text
from clearance.core.paths import PREPARED_DIR
# Where the store is lives with the store checks; stages and the CLI read it from here.
from clearance.core.tracking_store import (  # noqa: F401 (re-exported)
    ARTIFACT_DIR,
    STORE_FILE,
    artifact_location,
    project_root,
    tracking_uri,
)

if TYPE_CHECKING:
    import pandas as pd

# MLflow 3 opens an experiment in GenAI mode (traces, token usage, an assistant).
# The kind tag declares the experiment as model training (earlier MLflow 3 UIs pick the mode by it);
# the UI of 3.17 takes its GenAI / model-training switch from the URL's query
# parameter instead (or from the browser's last click on the switch), so
# `clearance ui` prints a URL carrying it.
KIND_TAG, KIND = "mlflow.experimentKind", "custom_model_development"
UI_MODE = "workflowType=machine_learning"
# The store's dataset digest column holds at most 36 characters.
DIGEST_CHARS = 36


def git_commit(cwd: Path | None = None) -> str:
    """The current commit, or 'none' outside git or before the first commit."""
    found = git_text(["rev-parse", "HEAD"], cwd, timeout=10)
    return "none" if found is None else found.strip()


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
    """The experiment's id, created when missing; tagged for the model-training UI either way."""
    import mlflow
    from mlflow.tracking import MlflowClient

    experiment = mlflow.get_experiment_by_name(cfg.experiment)
    if experiment is None:
        return mlflow.create_experiment(cfg.experiment, artifact_location=artifact_location(cfg),
                                        tags={KIND_TAG: KIND})
    # Stores made before the tag existed, or a kind the UI inferred, are set right here.
    if experiment.tags.get(KIND_TAG) != KIND:
        MlflowClient().set_experiment_tag(experiment.experiment_id, KIND_TAG, KIND)
    return experiment.experiment_id


def find_experiment_id(cfg: TrackingConfig) -> str | None:
    """The experiment's id in the store, or None before its first run; creates nothing.

    The default SQLite store is read directly: opening it through MLflow takes
    seconds and would create the file and its tables.
    """
    uri = tracking_uri(cfg)
    if uri.startswith("sqlite:///"):
        path = Path(uri.removeprefix("sqlite:///"))
        if not path.exists():
            return None
        try:
            with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
                row = db.execute("select experiment_id from experiments where name = ? and lifecycle_stage = 'active'",
                                 (cfg.experiment,)).fetchone()
        except sqlite3.Error:  # a file MLflow has not set up yet
            return None
        return str(row[0]) if row else None
    from mlflow.tracking import MlflowClient

    experiment = MlflowClient(uri).get_experiment_by_name(cfg.experiment)
    return experiment.experiment_id if experiment is not None else None


def ui_url(host: str, port: int, experiment_id: str | None) -> str:
    """The UI page to open: the experiment's runs table in model-training mode, or the root before any run."""
    root = f"http://{host}:{port}/"
    return f"{root}#/experiments/{experiment_id}/runs?{UI_MODE}" if experiment_id is not None else root


@contextmanager
def stage_run(stage: str, cfg: TrackingConfig, params: dict[str, Any]) -> Iterator[Any]:
    """An MLflow run for one stage execution, tagged with the stage, commit and params."""
    import logging

    from clearance.core.tracking_store import check_store, opening_store

    check_store(cfg)  # before importing mlflow: a store that cannot be used costs milliseconds
    import mlflow

    # The store's schema migrations log at INFO on first use; they are not news.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from clearance.core.run_links import step_tags
    from clearance.core.run_owner import owner_tags

    tags = {"clearance.stage": stage, **step_tags(stage), "mlflow.source.git.commit": git_commit(), **owner_tags()}
    # Opening the store is converted to a clear error; the stage's own work (the body) is not.
    with opening_store(cfg):
        mlflow.set_tracking_uri(tracking_uri(cfg))
        experiment_id = _experiment_id(cfg)
        end_orphaned_runs(experiment_id, stage)
        run = mlflow.start_run(experiment_id=experiment_id, run_name=stage, tags=tags)
    with run:
        with opening_store(cfg):
            _log_batch(run.info.run_id, params=params)
        yield run


KILLED_TAG = "clearance.killed_because"


def end_orphaned_runs(experiment_id: str, stage: str) -> list[str]:
    """End as KILLED the experiment's RUNNING runs whose process is gone (``kill -9`` leaves them
    RUNNING forever), each tagged with why; return their ids. Runs of live processes (a parallel sweep
    worker), of other hosts, or naming no owner are left as they are (clearance.core.run_owner)."""
    from mlflow.tracking import MlflowClient

    from clearance.core.run_owner import gone_reason

    client, ended = MlflowClient(), []
    for run in _all_pages(client, [experiment_id], "attributes.status = 'RUNNING'"):
        why = gone_reason(run.data.tags)
        if why is None:
            continue
        client.set_tag(run.info.run_id, KILLED_TAG, f"left RUNNING: {why} (found when stage {stage} started)")
        client.set_terminated(run.info.run_id, status="KILLED")
        ended.append(run.info.run_id)
    if ended:
        print(f"marked {len(ended)} run(s) KILLED in MLflow: left RUNNING by a process that is gone "
              f"({', '.join(ended)})", flush=True)
    return ended


def _all_pages(client: Any, experiment_ids: list[str], filter_string: str, every_state: bool = False) -> list[Any]:
    """Every run matching ``filter_string`` (all pages; ``every_state``: deleted runs too)."""
    from mlflow.entities import ViewType

    view = ViewType.ALL if every_state else ViewType.ACTIVE_ONLY
    runs, token = [], None
    while True:
        page = client.search_runs(experiment_ids, filter_string, run_view_type=view, max_results=1000,
                                  page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def tagged_runs(cfg: TrackingConfig, key: str, value: str) -> list[dict[str, Any]]:
    """Every run of the store (any experiment, deleted ones too) whose tag ``key`` is ``value``: its id,
    start time (ms), tags, params and metrics. [] when the store holds no runs yet (it is not created).

    A store that cannot be read raises a UserError naming it.
    """
    from clearance.core.tracking_store import check_store, opening_store

    uri = tracking_uri(cfg)
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).exists():
        return []
    check_store(cfg)
    from mlflow.entities import ViewType
    from mlflow.tracking import MlflowClient

    quoted = value.replace("'", "")  # a tag value here is a digest or a name: no quotes to keep
    with opening_store(cfg):
        client = MlflowClient(uri)
        experiments = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
        runs = _all_pages(client, experiments, f"tags.`{key}` = '{quoted}'", every_state=True) if experiments else []
    return [{"run_id": r.info.run_id, "start_time": r.info.start_time, "tags": dict(r.data.tags),
             "params": dict(r.data.params), "metrics": dict(r.data.metrics)} for r in runs]




def record_run(run: Any, folder: Path, stage: str) -> Path:
    """Write ``folder``/run.json: which MLflow run the stage's outputs came from (the journey report links it)."""
    from clearance.core.records import RUN_FILE, RunRecord

    return RunRecord(run_id=run.info.run_id, experiment_id=run.info.experiment_id, stage=stage).write(folder / RUN_FILE)


@contextmanager
def child_run(name: str, params: dict[str, Any], metrics: dict[str, Any] | None = None,
              tags: dict[str, str] | None = None) -> Iterator[Any]:
    """A run nested under the active stage run (a baseline, a sweep trial).

    Its params, metrics and tags go to the store in one batch; the body may log
    more (per-epoch curves with ``log_epoch``).
    """
    import mlflow

    from clearance.core.run_links import inherited_step
    from clearance.core.run_owner import owner_tags

    parent = mlflow.active_run()
    # A nested run is filed under its parent's step, so filtering on the step shows it too.
    step = inherited_step(parent.data.tags if parent else None)
    # Without the parent's experiment id, a nested run lands in the Default experiment.
    with mlflow.start_run(run_name=name, nested=True,
                          experiment_id=parent.info.experiment_id if parent else None) as run:
        _log_batch(run.info.run_id, params=params, metrics=metrics, tags={**owner_tags(), **step, **(tags or {})})
        yield run


@contextmanager
def attached_run(name: str, cfg: TrackingConfig, parent_id: str, params: dict[str, Any],
                 tags: dict[str, str] | None = None) -> Iterator[Any]:
    """A run nested under the run ``parent_id``, from any process (a sweep worker here or on
    another machine sharing the tracking server): the parent is named by id, not inherited."""
    from clearance.core.tracking_store import check_store, opening_store

    check_store(cfg)
    import mlflow

    from clearance.core.run_owner import owner_tags

    from clearance.core.run_links import inherited_step

    with opening_store(cfg):
        mlflow.set_tracking_uri(tracking_uri(cfg))
        # Filed under the parent's step (the parent may live in another process or machine: read its tags).
        step = inherited_step(mlflow.MlflowClient().get_run(parent_id).data.tags)
        run = mlflow.start_run(run_name=name, experiment_id=_experiment_id(cfg),
                               nested=mlflow.active_run() is not None,
                               tags={"mlflow.parentRunId": parent_id, **step, **owner_tags()})
    with run:
        with opening_store(cfg):
            _log_batch(run.info.run_id, params=params, tags=tags)
        yield run


def log_metrics(metrics: dict[str, Any]) -> None:
    """Log the numbers of a dict to the active run in one batch (non-numbers are skipped)."""
    _log_batch(_active_run_id(), metrics=metrics)


def log_epoch(metrics: dict[str, Any], step: int) -> None:
    """Log one epoch's numbers at ``step``, so the UI draws them as curves."""
    _log_batch(_active_run_id(), metrics=metrics, step=step)


def set_tags(tags: dict[str, Any]) -> None:
    """Tag the active run (values as text)."""
    _log_batch(_active_run_id(), tags=tags)


def link_step_runs(step: str) -> None:
    """Tag the active run (a gate's) with links to the runs behind its step's evidence: the latest finished
    run of each of the step's stages and the runs nested under them (clearance/core/run_links.py)."""
    import mlflow
    from mlflow.tracking import MlflowClient

    from clearance.core.run_links import latest_step_runs, link_tags

    experiment_id = mlflow.active_run().info.experiment_id
    set_tags(link_tags(step, experiment_id, latest_step_runs(MlflowClient(), experiment_id, step)))


def log_artifacts(paths: list[Path]) -> None:
    """Log files as artifacts of the active run (images under plots/)."""
    import mlflow

    for path in paths:
        mlflow.log_artifact(str(path), artifact_path="plots" if Path(path).suffix == ".png" else None)


def log_dict(obj: dict[str, Any] | list[Any], name: str) -> None:
    """Log a dict or list as a JSON (or YAML, by ``name``'s suffix) artifact of the active run."""
    import mlflow

    mlflow.log_dict(obj, name)


def log_datasets(splits: dict[str, pd.DataFrame], digest: str, source: str) -> None:
    """Log each split as an MLflow dataset input of the active run (context: the split's name).

    The name and digest say which data the run used; the UI shows them in its Dataset column.
    """
    import warnings

    import mlflow

    for name, frame in splits.items():
        with warnings.catch_warnings():
            # MLflow registers local paths twice (with and without file://) and warns that
            # the source is ambiguous; both readings are the same local file. Its hint on
            # integer columns is about serving models, not about logging a data set.
            warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted")
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer column")
            dataset = mlflow.data.from_pandas(frame, source=source, targets="label",
                                              name=f"clearance-{digest[:8]}-{name}", digest=digest[:DIGEST_CHARS])
            mlflow.log_input(dataset, context=name)


def log_prepared_splits(folder: Path = PREPARED_DIR) -> str:
    """Log the prepared splits as the active run's datasets; return their digest."""
    from clearance.core.data.prepare import load_splits, load_summary

    splits, summary = load_splits(folder), load_summary(folder)
    log_datasets(splits, summary["digest"], summary["source"])
    return summary["digest"]


def _active_run_id() -> str:
    import mlflow

    run = mlflow.active_run()
    if run is None:
        raise RuntimeError("no active MLflow run: call this inside stage_run() or child_run()")
    return run.info.run_id


def _is_number(value: Any) -> bool:
    """A value MLflow can store as a metric (numpy numbers included; flags and text are not)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _log_batch(run_id: str, params: dict[str, Any] | None = None, metrics: dict[str, Any] | None = None,
               tags: dict[str, Any] | None = None, step: int = 0) -> None:
    """Params (flattened), numeric metrics and tags in one store call (one call per value is ~50x slower)."""
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient

    now = int(time.time() * 1000)
    MlflowClient().log_batch(
        run_id,
        metrics=[Metric(metric_key(k), float(v), now, step) for k, v in (metrics or {}).items()
                 if _is_number(v)],
        params=[Param(k, str(v)) for k, v in flatten(params or {}).items()],
        tags=[RunTag(k, str(v)) for k, v in (tags or {}).items()],
    )


def use_tracking(cfg: TrackingConfig) -> None:
    """Point MLflow at the project's store (outside a stage run, e.g. to read the registry), once it is
    known to be usable."""
    from clearance.core.tracking_store import check_store

    check_store(cfg)
    import mlflow

    mlflow.set_tracking_uri(tracking_uri(cfg))
