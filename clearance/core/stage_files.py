"""Reading the JSON files a stage writes (checks, manifests, measurements) with one kind of error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from clearance.core.errors import UserError

RERUN = "run the step's stage again (`dvc repro -f <stage>`) so it rewrites this file"


def read_stage_json(path: Path, what: str) -> Any:
    """The parsed file; a missing one says to run `dvc repro`, a broken one names its line."""
    if not path.exists():
        raise UserError(str(path), f"no {what} yet", "run `dvc repro` so the step's stage writes them")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}, line {exc.lineno}", f"not valid JSON ({exc.msg})", RERUN) from None
    except UnicodeDecodeError:
        raise UserError(str(path), "not UTF-8 text", RERUN) from None
