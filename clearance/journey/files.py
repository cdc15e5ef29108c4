"""The files the journey report reads, each through the schema its stage writes it with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearance.journey.values import mapping

# The files a step's key figures come from, by name; any of them may be missing.
STEP_FILES = {"sweep": ("measurements", "seeds", "final", "registered", "final_errors")}


def schemas() -> dict[str, Any]:
    """Each file the journey reads, by "<step>/<name>", with the schema its stage writes it through."""
    from clearance.core.records import BaselinesMetrics, ModelMetrics
    from clearance.inspection.measure.files import InspectMetrics
    from clearance.sweep.final.files import FinalRecord, Registered
    from clearance.sweep.search.files import SeedReruns, SweepMeasurements

    return {"inspect/metrics": InspectMetrics, "baselines/metrics": BaselinesMetrics, "model/metrics": ModelMetrics,
            "sweep/measurements": SweepMeasurements, "sweep/seeds": SeedReruns, "sweep/final": FinalRecord,
            "sweep/registered": Registered}


def read_json(path: Path, schema: Any = None) -> Any:
    """A stage's JSON file, checked against its schema (a file that lacks a key fails, naming it), or None
    when the stage has not written it yet: only a step not reached shows as such."""
    from clearance.core.records import read_dict
    from clearance.core.records import read_stage_json

    if not path.is_file():
        return None
    return read_dict(schema, path) if schema is not None else read_stage_json(path, "results")


def read_step_file(folder: Path, name: str) -> dict | None:
    """reports/<step>/<name>.json through its schema (the folder's name is the step)."""
    return read_json(folder / f"{name}.json", schemas().get(f"{folder.name}/{name}"))


def step_files(step: str, folder: Path) -> dict[str, dict]:
    """A step's figure files, each {} when missing: metrics.json, or the sweep's own three."""
    return {name: mapping(read_step_file(folder, name)) for name in STEP_FILES.get(step, ("metrics",))}
