"""The final test: the chosen model scored on the test split, and the scoring counted in the ledger.

Every choice before this one (the metric, the bar, the model, the sweep's best) was made on valid,
and the choice itself is ``decision.decide``'s, on the sweep's own checks. A model the evidence
rejects is not scored. This module is the only one that scores the test split in steps 3 and 4;
nothing here registers or logs a model (that waits for gate 4: clearance.sweep.final.registry).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from clearance.core.data.prepare import load_splits
from clearance.core.errors import UserError
from clearance.core.evaluation import score, score_task
from clearance.core.paths import BEST_MODEL_DIR, MODEL_DIR, PREPARED_DIR
from clearance.core.row_outputs import TEST_ANSWERS, RowOutputs
from clearance.core.task import MULTI_LABEL, SINGLE_LABEL
from clearance.sweep.final.choice import Choice
from clearance.sweep.final.files import LEDGER
from clearance.sweep.final.ledger import (
    StoreRuns,
    ensure_ledger,
    ledger_digest,
    read_ledger,
    record_scoring,
    restore_from_store,
    times_seen,
)

# The packaged model of each choice: the best configuration at the sweep's budget, or step 3's own model.
MODEL_DIRS = {"best": BEST_MODEL_DIR, "reference": MODEL_DIR}
PACKAGE_SETTINGS = "settings.json"  # clearance.neural.serving.SETTINGS_FILE, read here without torch


def folder_digest(folder: Path) -> str:
    """sha256 over a packaged model's file names and bytes: the registry step checks it is the tested one."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _scores(folder: Path, splits: dict[str, Any]) -> tuple[dict[str, dict[str, float]], RowOutputs]:
    """The packaged model's scores on valid and test, in its task's metrics (score_task), and its test answers
    by row (for reading its errors on test)."""
    from clearance.neural.serving import (
        TextPredictor,  # torch: only when a model is scored
    )

    predictor = TextPredictor.load(folder)
    scores: dict[str, dict[str, float]] = {}
    answers = RowOutputs("model", np.array([], dtype=np.int64), [])
    for split in ("valid", "test"):
        frame = splits[split]
        texts = frame["text"].astype(str).tolist()
        if predictor.task.name != SINGLE_LABEL:
            predicted, probs = predictor.predict_labels(texts)
            scores[split] = score_task(predictor.task, frame["label"].tolist(), predicted, probs, split)
        else:
            probs = predictor.probabilities(texts)
            predicted = np.asarray(predictor.classes, dtype=object)[probs.argmax(axis=1)]
            scores[split] = score(frame["label"].astype(str).to_numpy(), predicted, probs, predictor.classes, split)
        if split == "test":
            answers = RowOutputs("model", frame["row"].to_numpy(), list(predicted), probs)
    return scores, answers


def save_test_answers(answers: RowOutputs | None, out: Path) -> Path:
    """The chosen model's test answers by row (none when no model met the test split), for read_final."""
    return (answers or RowOutputs("", np.array([], dtype=np.int64), [])).save(out / TEST_ANSWERS)


def score_on_test(choice: Choice, prepared: Path = PREPARED_DIR, models: dict[str, Path] | None = None,
                  ledger: Path = LEDGER, store_runs: StoreRuns | None = None,
                  test_answers: list[RowOutputs] | None = None) -> dict[str, Any]:
    """The record final.json holds: the choice and, when a model was chosen, its valid and test scores.

    The ledger is read first (an unreadable one stops here, before anything is scored); scorings the
    store records and the ledger lost are written back to it (``store_runs``), and a new scoring is
    appended once done. A rejected best configuration is not scored and adds nothing. ``test_answers``, when
    given, receives the chosen model's test answers by row.
    """
    entries = read_ledger(ledger)
    splits = load_splits(prepared)
    if splits["test"].empty:
        raise UserError("data split test", "is empty", "give the data a test split (data.split_* in conf/)")
    digest = ledger_digest(splits["test"])
    had = times_seen(entries, digest)
    restored = restore_from_store(entries, digest, store_runs(digest), ledger) if store_runs else []
    record: dict[str, Any] = {"choice": choice.as_dict(), "chosen": choice.chosen, "why": choice.reason,
                              "metric": choice.metric, "direction": choice.direction,
                              "ledger": {"path": ledger.as_posix(), "digest": digest,
                                         "seen": had + len(restored), "restored": len(restored)}}
    if choice.chosen is None:
        ensure_ledger(ledger)
        return record
    folder = (models or MODEL_DIRS)[choice.chosen]
    scores, answers = _scores(folder, splits)
    if test_answers is not None:
        test_answers.append(answers)
    metric, params = choice.metric, choice.params
    record_scoring({"test_digest": digest, "test_rows": int(len(splits["test"])), "chosen": choice.chosen,
                    "rule": choice.rule, "params": params, "metric": metric, "scoring": record["ledger"]["seen"] + 1,
                    f"test_{metric}": scores["test"].get(f"test_{metric}")}, ledger)
    record["ledger"]["seen"] += 1
    return {**record, "params": params, "seed": choice.seed, "model_dir": folder.as_posix(),
            "model_digest": folder_digest(folder), "valid": scores["valid"], "test": scores["test"],
            "test_rows": int(len(splits["test"])), **package_head(folder)}


def package_head(folder: Path) -> dict[str, Any]:
    """What a multi-label package decides its label sets with (its threshold), for final.json; nothing for the
    other tasks, whose final.json stays as it was."""
    settings = json.loads((folder / PACKAGE_SETTINGS).read_text(encoding="utf-8"))
    return {"threshold": float(settings["threshold"])} if settings.get("task") == MULTI_LABEL else {}
