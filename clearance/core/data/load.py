"""Read a CSV, TSV, JSONL or Parquet file, with errors that name the file and the fix."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from clearance.core.config.data import DataConfig
from clearance.core.errors import UserError

FORMATS_BY_SUFFIX = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".parquet": "parquet", ".pq": "parquet",
}
FORMATS = ("csv", "tsv", "jsonl", "parquet")
# Optional columns can also be switched off; say how, next to the fix.
_UNSET_HINTS = {
    "group_column": ", or to null to split without groups",
    "split_column": ", or to null to let clearance make the split (conf/split/)",
}


def detect_format(path: Path, declared: str) -> str:
    """The file's format: the declared one, or the one its extension names."""
    if declared != "auto":
        if declared not in FORMATS:
            raise UserError("data.format", f"unknown format {declared!r}",
                            f"use one of: auto, {', '.join(FORMATS)}")
        return declared
    fmt = FORMATS_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        raise UserError(str(path), f"cannot tell the format from the extension {path.suffix!r}",
                        f"set data.format to one of: {', '.join(FORMATS)}")
    return fmt


def decode(path: Path, raw: bytes, encoding: str, errors: str) -> str:
    """Decode the file's bytes; on bad bytes, say where they are and what to do."""
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-8-sig"  # a byte-order mark is not part of the first column's name
    try:
        return raw.decode(encoding, errors=errors)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UserError(
            f"{path}, line {line}",
            f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not valid {encoding} ({exc.reason})",
            "if the file is in another encoding set data.encoding (e.g. latin-1 or cp1252); "
            "to keep going with the bad bytes replaced by U+FFFD (and flagged in the "
            "step-1 report) set data.encoding_errors=replace",
        ) from None
    except LookupError:
        raise UserError("data.encoding", f"unknown encoding {encoding!r}",
                        "use a Python codec name such as utf-8, latin-1 or cp1252") from None


def read_table(cfg: DataConfig) -> pd.DataFrame:
    """Read the configured file into a frame of strings (and raw extra columns)."""
    path = Path(cfg.path)
    if not path.is_file():
        raise UserError(f"data.path={cfg.path}", "file not found",
                        "point data.path at your file (relative to the project root, or absolute)")
    fmt = detect_format(path, cfg.format)
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(path)
        else:
            raw = path.read_bytes()
            if not raw.strip():
                raise UserError(str(path), "the file is empty",
                                "point data.path at a file with a header row and data rows")
            text = decode(path, raw, cfg.encoding, cfg.encoding_errors)
            if fmt == "jsonl":
                frame = pd.read_json(io.StringIO(text), lines=True, dtype=False)
            else:
                sep = "\t" if fmt == "tsv" else ","
                # Only empty cells are missing: "NA" or "null" may be a real text or label.
                frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                                    na_values=[""])
    except UserError:
        raise
    except (ValueError, pd.errors.ParserError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(str(path), f"cannot be read as {fmt}: {first}",
                        "check the file's format (data.format) and that it is not truncated") from None
    if frame.empty:
        raise UserError(str(path), "the file has no data rows",
                        "point data.path at a file with at least a few labelled rows")
    require_columns(path, frame, configured_columns(cfg))
    return frame


def configured_columns(cfg: DataConfig) -> dict[str, str]:
    """The columns the settings name, by setting (optional ones only when set)."""
    named = {"text_column": cfg.text_column, "label_column": cfg.label_column,
             "group_column": cfg.group_column, "split_column": cfg.split_column}
    return {key: column for key, column in named.items() if column}


def require_columns(path: Path, frame: pd.DataFrame, needed: dict[str, str]) -> None:
    """Fail clearly when a configured column is not in the file."""
    columns = [str(c) for c in frame.columns]
    for key, column in needed.items():
        if column not in columns:
            raise UserError(f"{path}: data.{key}={column}",
                            f"no column named {column!r}; the file has: {', '.join(columns)}",
                            f"set data.{key} to one of those (e.g. `-S data.{key}=...`)"
                            + _UNSET_HINTS.get(key, ""))
