"""The leading trial's model, kept by the sweep stage so the seed re-runs need not train it again.

The best configuration's first seed is the seed its trial trained with, at the same budget: the same
run. The stage keeps the package of the trial leading the study (a few saves in a sweep), and
`seed_runs` takes it as the best configuration's first seed when it is the best trial's.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from clearance.core.paths import KEPT_TRIAL_DIR
from clearance.neural.serving import save_predictor

KEPT_FILE = "kept.json"  # which trial the package is: study, trial number, seed


def leads(value: float, others: list[float], direction: str) -> bool:
    """Whether ``value`` beats every other finished trial's (strictly: on a tie the earlier trial stays best)."""
    if direction == "maximize":
        return all(value > other for other in others)
    return all(value < other for other in others)


def keep(folder: Path, study: str, number: int, seed: int, scored: Any) -> None:
    """Write the trial's package, then the note naming it (a package without its note is never reused)."""
    (folder / KEPT_FILE).unlink(missing_ok=True)
    save_predictor(folder, scored.cfg, scored.parts, scored.result.model, threshold=scored.result.threshold,
                   temperature=scored.result.temperature)
    note = {"study": study, "trial": number, "seed": seed}
    (folder / KEPT_FILE).write_text(json.dumps(note, indent=2) + "\n", encoding="utf-8")


def mark_empty(folder: Path = KEPT_TRIAL_DIR) -> None:
    """The folder exists after every sweep (a DVC output), with a note when it holds no package yet."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / KEPT_FILE).exists():
        (folder / KEPT_FILE).write_text(json.dumps({"study": None, "trial": None, "seed": None}) + "\n",
                                        encoding="utf-8")


def kept_for(study: str, number: int | None, seed: int, folder: Path = KEPT_TRIAL_DIR) -> Path | None:
    """The kept package when it is trial ``number`` of ``study`` trained with ``seed``; else None."""
    try:
        note = json.loads((folder / KEPT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return folder if note == {"study": study, "trial": number, "seed": seed} else None


def copy_package(source: Path, target: Path) -> None:
    """The kept package as the best configuration's first-seed package (its note left behind)."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(KEPT_FILE))
