"""The packaged model in MLflow: logged as a pyfunc that scores raw texts, registered, found again."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def log_text_model(folder: Path, example: "pd.DataFrame", scored: "pd.DataFrame", name: str = "model",
                   registered_name: str | None = None, code: Sequence[Path] = ()) -> tuple[str, int | None]:
    """Log a packaged model (`clearance.neural.serving`) as a pyfunc that scores raw texts.

    Returns its URI, and its version in the Model Registry when ``registered_name`` is given.

    The pyfunc takes a DataFrame with a `text` column (or a list of strings) and returns the
    predicted `label` and one `probability_<class>` column per class; for label sets, the kept
    `labels` (a list per text) and one `probability_<label>` column per label; for numbers, the
    `prediction` in the target's units (`TextPredictor.predict`). ``example`` (a few texts)
    and ``scored`` (the package's own output on them) give the signature and the input example.
    ``registered_name`` also registers it in the Model Registry. ``code``: the project's own
    modules the parts come from (`clearance.neural.serving.plugin_sources`), carried as MLflow code paths
    so the model loads where they are not. Loading it needs clearance importable (e.g.
    `mlflow models predict --env-manager local` in the project's venv). Requirements are named,
    not inferred: inferring runs a slow environment scan.
    """
    import mlflow
    import torch
    from mlflow.models import infer_signature

    info = mlflow.pyfunc.log_model(
        # From code (clearance/neural/text_pyfunc.py), not pickled: the model is rebuilt from settings on load.
        name=name, python_model=str(Path(__file__).with_name("text_pyfunc.py")), artifacts={"predictor": str(folder)},
        signature=infer_signature(example, scored), input_example=example, registered_model_name=registered_name,
        pip_requirements=[f"torch=={torch.__version__.split('+')[0]}", "transformers", "pandas"],
        code_paths=[str(path) for path in code] or None)
    version = getattr(info, "registered_model_version", None)
    return info.model_uri, int(version) if version is not None else None


def find_model_version(name: str, tags: dict[str, str]) -> Any | None:
    """The registered version of ``name`` carrying every one of ``tags``, if one exists (None before any)."""
    from mlflow import MlflowClient

    for version in MlflowClient().search_model_versions(f"name = '{name}'"):
        found = version.tags or {}
        if all(found.get(key) == value for key, value in tags.items()):
            return version
    return None


def register_logged_model(model_uri: str, name: str, tags: dict[str, str], description: str) -> int:
    """Register a logged model as the next version of ``name``, with tags and a description; its version."""
    import mlflow

    version = mlflow.register_model(model_uri, name, tags=tags)
    mlflow.MlflowClient().update_model_version(name, version.version, description=description)
    return int(version.version)
