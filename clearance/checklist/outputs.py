"""The outputs a step's gate stands on, read from dvc.yaml, and which of them are missing.

A stamp says that a gate cleared; it does not say that what the gate cleared is still on disk (a
deleted ``models/model`` leaves the stamp in place). The gate engine knows nothing of the steps, so a
step's outputs come from the pipeline itself: the stages after the previous gate that lead to this
gate (one stage's outs feeding another's deps), and their ``outs`` and ``metrics``. A gate stage is
one whose outs hold a stamp. dvc.yaml is read as plain YAML: `clearance status` starts fast and
imports no DVC. A templated path (``${...}``) is left out: only DVC can resolve it.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

PIPELINE_FILE = Path("dvc.yaml")
OUTPUT_KEYS = ("outs", "metrics", "plots")


def read_pipeline(path: Path = PIPELINE_FILE) -> dict[str, dict[str, Any]]:
    """The stages of dvc.yaml by name, in file order; {} when it is missing or cannot be read (DVC itself
    then says why: status only loses its outputs note)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        loaded = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError):
        return {}
    stages = loaded.get("stages") if isinstance(loaded, dict) else None
    return {str(name): stage for name, stage in stages.items() if isinstance(stage, dict)} if isinstance(
        stages, dict) else {}


def _paths(stage: dict[str, Any], keys: tuple[str, ...]) -> list[str]:
    """The paths a stage lists under ``keys`` (plain strings, or one-key mappings with options)."""
    found = []
    for key in keys:
        entries = stage.get(key)
        for entry in entries if isinstance(entries, list) else []:
            names = [entry] if isinstance(entry, str) else list(entry) if isinstance(entry, dict) else []
            found.extend(str(PurePosixPath(str(n))) for n in names if "${" not in str(n))
    return found


def _overlaps(a: str, b: str) -> bool:
    """Whether one path is the other or lies inside it (a folder dep covers the outs under it)."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def step_outputs(stages: dict[str, dict[str, Any]], stamp: str) -> list[str]:
    """The outputs of the stages that lead to the gate writing ``stamp`` since the previous gate."""
    names = list(stages)
    gate = next((n for n in names if stamp in _paths(stages[n], ("outs",))), None)
    if gate is None:
        return []
    stamp_folder = str(PurePosixPath(stamp).parent)
    is_gate = {n: any(str(PurePosixPath(o).parent) == stamp_folder for o in _paths(stages[n], ("outs",)))
               for n in names}
    before = names[:names.index(gate)]
    window = before[max((i + 1 for i, n in enumerate(before) if is_gate[n]), default=0):]
    needed, chosen = set(_paths(stages[gate], ("deps",))), []
    for name in reversed(window):  # dvc.yaml lists a stage after the stages it reads from
        outs = _paths(stages[name], OUTPUT_KEYS)
        if any(_overlaps(out, dep) for out in outs for dep in needed):
            chosen.insert(0, name)
            needed.update(_paths(stages[name], ("deps",)))
    return [out for name in chosen for out in _paths(stages[name], OUTPUT_KEYS)]


def missing_outputs(stages: dict[str, dict[str, Any]], stamp: Path, root: Path) -> list[str]:
    """The outputs of the step whose gate writes ``stamp`` that are not on disk under ``root``."""
    try:
        relative = stamp.resolve().relative_to(root.resolve()).as_posix() if stamp.is_absolute() else stamp.as_posix()
    except ValueError:  # a stamp folder outside the project: no stage of dvc.yaml writes it
        return []
    return [out for out in step_outputs(stages, relative) if not (root / out).exists()]


def gated_steps(stages: dict[str, dict[str, Any]], gates: Path) -> list[str]:
    """The steps dvc.yaml gates, in pipeline order: a stage whose outs hold ``gates``/<step>.json."""
    folder = PurePosixPath(gates.as_posix())
    return [PurePosixPath(out).stem for stage in stages.values() for out in _paths(stage, ("outs",))
            if PurePosixPath(out).parent == folder and out.endswith(".json")]
