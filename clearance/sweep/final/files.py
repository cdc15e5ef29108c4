"""Where step 4's end writes: the choice, the final test, the registry record (reports/sweep/) and the ledger."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from clearance.core.paths import SWEEP_STEP as STEP  # noqa: F401  (reports/sweep/)
from clearance.core.records import Record
CHOICE_FILE = "choice.json"  # which model meets the test split, and why (stage choose_final)
FINAL_FILE = "final.json"  # the choice carried out: the chosen model's valid and test scores (stage final_test)
REGISTERED_FILE = "registered.json"  # the registry version of the final model, after gate 4 (stage register)
LEDGER = Path("ledger/test_split.jsonl")  # every scoring of the test split, kept across runs


@dataclass
class Ledger(Record):
    """How often this test split has been scored (the ledger's count for its digest, never below the store's),
    and how many lines the final test wrote back to the ledger from the store."""

    path: str
    digest: str
    seen: int
    restored: int = 0


@dataclass
class FinalRecord(Record):
    """reports/sweep/final.json: the choice carried out. With no chosen model (the evidence rejected it)
    nothing was scored, and the scores and the model are absent (None)."""

    STAGE: ClassVar[str] = "final_test"
    choice: dict[str, Any]
    chosen: str | None
    why: str
    metric: str
    direction: str
    ledger: Ledger
    run_id: str
    params: dict[str, Any] | None = None
    seed: int | None = None
    model_dir: str | None = None
    model_digest: str | None = None
    valid: dict[str, float] | None = None
    test: dict[str, float] | None = None
    test_rows: int | None = None
    threshold: float | None = None  # multi-label: the decision threshold the scored package holds (chosen on valid)

    def __post_init__(self) -> None:
        scored = [self.model_dir, self.model_digest, self.valid, self.test, self.test_rows]
        if self.chosen is not None and any(value is None for value in scored):
            raise ValueError("a chosen model's final test has its model and its scores")


@dataclass
class Registered(Record):
    """reports/sweep/registered.json: the registry version of the final model, or why there is none."""

    STAGE: ClassVar[str] = "register"
    name: str
    version: int | None
    model_uri: str
    run_id: str
    fingerprint: str
    why: str
