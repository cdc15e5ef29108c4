"""A step's measurements: what its expensive stage found, written once as JSON.

Measuring and judging are separate stages so that moving a threshold re-runs
only the judging (seconds), never the measuring (cross-validation, model fits).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

FILE = "measurements.json"


def jsonable(value: Any) -> Any:
    """Plain JSON types from numpy, pandas, sets and dataclasses (NaN becomes null)."""
    import numpy as np
    import pandas as pd

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, pd.DataFrame):
        return jsonable(value.to_dict("records"))
    if isinstance(value, pd.Series):
        return jsonable(value.tolist())
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def settings_digest(settings: Any) -> str:
    """A stable digest of a step's settings (key order does not matter)."""
    text = json.dumps(jsonable(settings), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_json(payload: Any, path: Path) -> Path:
    """Write measured values as JSON (stable key order, no timestamps)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(jsonable(payload), indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path
