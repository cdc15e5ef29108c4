"""Read a CSV, TSV, JSONL or Parquet file, with errors that name the file and the fix."""

from __future__ import annotations

import io
from dataclasses import dataclass
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


# Memory of steps 1 and 2, measured by benchmarks/bench_inspect.py and bench_baselines.py --rows 1000000
# (1M synthetic tweets, a 112 MB CSV; peaks: prepare 1.4 GB, inspect 1.5 GB, baselines 2.3 GB). A stage
# needs a fixed ~0.4 GB (Python and its libraries) plus, per byte of data as CSV, ~11 bytes to read and
# clean the file (prepare: the raw bytes, the decoded text, Python strings and their copies) and ~17 bytes
# in the heaviest later stage (baselines: texts, features, models) for the rows data.sample keeps.
BASE_BYTES = 400 * 2**20
READ_PER_BYTE = 11
STEPS_PER_BYTE = 17
# One huge text costs more per byte than many short ones (its words and n-grams are listed at once): one 50 MB
# text among 300 tweets took step 1 to 1.7 GB (~27 bytes per byte of it), steps 2 and 3 less. The estimate
# covers the longest line (a row is at least one), which data.sample may keep whatever share of rows it draws.
LONG_TEXT_PER_BYTE = 30
SCAN_CHUNK = 1 << 24  # bytes read at a time to find the longest line
# Bytes of data as CSV per byte of file: JSONL repeats the keys on every line, Parquet is compressed.
AS_CSV = {"csv": 1.0, "tsv": 1.0, "jsonl": 0.8, "parquet": 2.0}
HEAD_BYTES = 1 << 20  # enough lines to estimate the bytes per row
# A container's memory limit and use: cgroup v2, then v1.
CGROUP_FILES = (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"))


@dataclass
class MemoryNeed:
    """Estimated peak bytes: prepare reading the whole file, and the heaviest stage after it."""

    read: int
    steps: int
    rows: int  # rows in the file (estimated from its first lines unless the format records it)
    data: float  # bytes of data, as CSV
    longest: int = 0  # bytes of the longest line (text formats; 0 for Parquet, which has no lines)

    @property
    def peak(self) -> int:
        return max(self.read, self.steps)

    def rows_that_fit(self, available: int) -> int:
        """About how many rows data.sample may keep for the later stages to fit in ``available`` bytes."""
        share = (available - BASE_BYTES) / (STEPS_PER_BYTE * self.data)
        rows = int(self.rows * share * 0.9)  # 10% to spare
        step = 10 ** max(len(str(max(rows, 1))) - 2, 0)  # two significant digits: a round number to type
        return max(rows // step * step, 1)


def available_memory() -> int | None:
    """Bytes this process may still use: the kernel's MemAvailable, lowered by a container's (cgroup) limit;
    None where neither can be read."""
    found = []
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            found += [int(line.split()[1]) * 1024 for line in handle if line.startswith("MemAvailable:")]
    except OSError:
        pass
    for limit, usage in CGROUP_FILES:
        try:
            cap, used = (Path(f).read_text(encoding="ascii").strip() for f in (limit, usage))
            if cap.isdigit() and int(cap) < 1 << 60:  # "max" or a huge number: no limit
                found.append(int(cap) - int(used))
        except (OSError, ValueError):
            pass
    return min(found) if found else None


def estimated_rows(path: Path, fmt: str) -> int:
    """Rows in the file: Parquet records them; text formats by the bytes per line of the first lines."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except Exception:  # noqa: BLE001 - an unreadable file gets its own message when it is read
            return 0
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    lines = max(head.count(b"\n"), 1)
    return max(int(path.stat().st_size * lines / max(len(head), 1)), 1)


def longest_line(path: Path) -> int:
    """Bytes of the file's longest line, read a chunk at a time (a row of a text format is one line or more,
    so a text this long is in it; a longer one must hold line breaks)."""
    longest = run = 0
    with path.open("rb") as handle:
        while chunk := handle.read(SCAN_CHUNK):
            lines = chunk.split(b"\n")
            if len(lines) > 1:
                longest = max(longest, run + len(lines[0]), max(map(len, lines[1:-1]), default=0))
                run = 0
            run += len(lines[-1])
    return max(longest, run)


def memory_need(path: Path, fmt: str, sample: int | None) -> MemoryNeed:
    """Estimated peak memory of steps 1 and 2 on this file (``sample``: data.sample, the rows kept): the
    rows kept, or the longest line alone when that needs more (one huge text, kept by any sample)."""
    data = path.stat().st_size * AS_CSV[fmt]
    rows = estimated_rows(path, fmt)
    kept = min(1.0, sample / rows) if sample and rows else 1.0
    longest = longest_line(path) if fmt != "parquet" else 0
    steps = max(STEPS_PER_BYTE * data * kept, LONG_TEXT_PER_BYTE * longest)
    return MemoryNeed(read=int(BASE_BYTES + READ_PER_BYTE * data), steps=int(BASE_BYTES + steps), rows=rows,
                      data=data, longest=longest)


def check_memory(path: Path, fmt: str, sample: int | None, available: int | None = None) -> None:
    """Stop with the estimated need and the settings that lower it, rather than be killed half-way for
    want of memory."""
    available = available_memory() if available is None else available
    need = memory_need(path, fmt, sample)
    if available is None or need.peak <= available:
        return
    gb = 2**30
    lower = ("inspect.label_issue_max_rows, baselines.tfidf.max_rows, baselines.embeddings.max_rows and "
             "baselines.tfidf.max_features lower what step 1's label-issue search and step 2's models hold")
    if need.read > available:
        fix = ("the file alone is too large to read here (data.sample applies after reading): take a random "
               "sample of its rows into a smaller file, or run on a machine with more memory; " + lower)
    elif BASE_BYTES + LONG_TEXT_PER_BYTE * need.longest > available:
        fix = (f"its longest line alone is {need.longest / 1e6:.1f} MB, and any data.sample may keep it: shorten "
               "or remove that row in the file (is it one text, or a broken quote that runs rows together?), "
               "or run on a machine with more memory")
    else:
        fits = need.rows_that_fit(available)
        fix = (f"set data.sample to about {fits} rows or fewer (drawn per label; `-S data.sample={fits}`), "
               f"or run on a machine with more memory; {lower}")
    raise UserError(str(path), f"steps 1 and 2 on this file ({path.stat().st_size / 1e6:.0f} MB, about "
                    f"{need.rows} rows{f', data.sample={sample}' if sample else ''}) need about "
                    f"{need.peak / gb:.2f} GB of memory (an estimate), but only {available / gb:.2f} GB is available",
                    fix)


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
    codec = encoding
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        codec = "utf-8-sig"  # a byte-order mark is not part of the first column's name
    try:
        return raw.decode(codec, errors=errors)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UserError(
            f"{path}, line {line}",
            f"byte 0x{raw[exc.start]:02x} at offset {exc.start} is not valid {encoding} "
            f"(data.encoding={encoding}: {exc.reason})",
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
    check_memory(path, fmt, cfg.sample)
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(path)
        else:
            raw = path.read_bytes()
            if not raw.strip():
                raise UserError(str(path), "the file is empty",
                                "point data.path at a file with a header row and data rows")
            text = decode(path, raw, cfg.encoding, cfg.encoding_errors)
            del raw  # the bytes are not needed past decoding: their memory goes back before parsing
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
    named = {"text_column": cfg.text_column, "label_column": None if cfg.label_columns else cfg.label_column,
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
