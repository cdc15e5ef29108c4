"""Where things live in a clearance project (all relative to the repository root)."""

from __future__ import annotations

from pathlib import Path

PARAMS_FILE = Path("params.yaml")
CONF_DIR = Path("conf")
CONF_FILE = "config.yaml"  # conf/'s top file, the one Hydra composes
CHECKLIST_DIR = Path("checklists")
GATE_DIR = Path("gates")
REPORTS_DIR = Path("reports")
PREPARED_DIR = Path("data/prepared")
# The packaged models steps hand on (clearance.neural.serving): step 3's, and the sweep's best configuration's.
MODEL_DIR = Path("models/model")
BEST_MODEL_DIR = Path("models/sweep/best")
KEPT_TRIAL_DIR = Path("models/sweep/trial")  # the sweep's leading trial, reused as the best one's first seed
SPLITS = ("train", "valid", "test")

# The four steps, in order: each names its reports/<step>/, checklists/<step>.yaml and gates/<step>.json.
STEPS = ("inspect", "baselines", "model", "sweep")
INSPECT_STEP, BASELINES_STEP, MODEL_STEP, SWEEP_STEP = STEPS

# What every step's judging writes in its report folder.
CHECKS_FILE = "checks.json"  # the automated check results the gate reads
REPORT_FILE = "report.html"  # the step's report
EVIDENCE_FILE = "evidence.json"  # the step's evidence manifest (clearance.checklist.manifest)
TOKENIZER_FILE = "tokenizer.json"  # a tokenizer saved by the `tokenizers` library (a pretrained or trained one)


def report_dir(step: str) -> Path:
    """Folder holding one step's report, metrics and check results."""
    return REPORTS_DIR / step


def checks_file(step: str) -> Path:
    """The contract file with a step's automated check results."""
    return report_dir(step) / CHECKS_FILE


def question_file(step: str, folder: Path = CHECKLIST_DIR) -> Path:
    """A step's question file (checklists/<step>.yaml)."""
    return folder / f"{step}.yaml"


def split_file(split: str, folder: Path = PREPARED_DIR) -> Path:
    """Parquet file of one prepared split."""
    return folder / f"{split}.parquet"


def stamp_file(step: str, folder: Path = GATE_DIR) -> Path:
    """gates/<step>.json: the stamp a cleared gate writes."""
    return folder / f"{step}.json"
