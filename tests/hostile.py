"""Hostile and odd data files: one function per case writes it into a project's data/ folder.

Each case says what the file is, the settings it is read with, and what the pipeline must do with it:
go through `prepare`, `inspect`, `baselines` and the probes (each with its judging stage), or stop at a
named stage with one message (exit 2). tests/test_hostile_files.py runs every case; a case's ``stops_at``
is None when it works.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests.factory import make_texts

# The stage scripts run in order, as `dvc repro` runs them (the gates between them only stamp): each step's
# measuring and its judging, which reads what the measuring wrote (reports, checks) and renders it.
STAGES = ("prepare", "inspect_data", "judge_inspect", "baselines", "judge_baselines", "probe_model", "judge_probes")
HUGE_TEXT_BYTES = 50 * 2**20


@dataclass(frozen=True)
class Case:
    """A data file to write, the settings to read it with, and the stage it must stop at (None: none)."""

    name: str
    write: Callable[[Path], str]  # writes the file under the project root; returns its path relative to it
    stops_at: str | None = None
    says: str = ""  # a fragment the stop message must hold
    recorded: str = ""  # a list in data/prepared/summary.json's "clean" that must name what the file holds
    overrides: tuple[str, ...] = field(default=())  # extra `clearance params` overrides


def _csv_cell(value: str) -> str:
    """A CSV cell quoted as a spreadsheet program writes it."""
    return '"' + value.replace('"', '""') + '"'


def write_csv(root: Path, name: str, rows: list[tuple[str, str]], newline: str = "\n",
              bom: bool = False) -> str:
    """rows as text,label CSV at data/<name>.csv (UTF-8); returns the relative path."""
    lines = ["text,label"] + [f"{_csv_cell(text)},{_csv_cell(label)}" for text, label in rows]
    path = Path("data") / f"{name}.csv"
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_bytes((b"\xef\xbb\xbf" if bom else b"") + (newline.join(lines) + newline).encode("utf-8"))
    return str(path)


def clean_rows(n_per_class: int = 60, seed: int = 0) -> list[tuple[str, str]]:
    """Ordinary keyword-labelled texts in three classes (tests/factory.py)."""
    frame = make_texts(n_per_class=n_per_class, seed=seed)
    return list(zip(frame["text"], frame["label"]))


def numbers_only(root: Path) -> str:
    """Every text is a number ("1", "23", ...), never repeated: no word occurs twice."""
    rng = np.random.default_rng(0)
    numbers = rng.choice(10**7, size=300, replace=False)
    return write_csv(root, "numbers_only", [(str(n), ("odd", "even")[i % 2]) for i, n in enumerate(numbers)])


def unique_words(root: Path) -> str:
    """Texts of words that never repeat anywhere in the file."""
    rows = [(" ".join(f"w{i}x{j}q" for j in range(5)), ("a", "b", "c")[i % 3]) for i in range(300)]
    return write_csv(root, "unique_words", rows)


def unique_characters(root: Path) -> str:
    """Each text one character, all different: not even a character n-gram occurs twice."""
    return write_csv(root, "unique_characters", [(chr(0x4E00 + i), ("a", "b")[i % 2]) for i in range(300)])


def rows(n: int) -> Callable[[Path], str]:
    """A file of ``n`` rows, the classes alternating (a 1-row file has one class)."""
    def write(root: Path) -> str:
        return write_csv(root, f"rows_{n}", [(f"text number {i} here", ("pos", "neg")[i % 2]) for i in range(n)])
    write.__doc__ = f"A file of {n} rows."
    return write


def one_class_one_row(root: Path) -> str:
    """Three ordinary classes and a fourth with a single row."""
    return write_csv(root, "one_class_one_row", clean_rows() + [("a lonely text of its own", "rare")])


def label_whitespace(root: Path) -> str:
    """"positive" also written "positive " and " positive": one class, three spellings."""
    data = clean_rows()
    padded = {0: "positive ", 1: " positive"}
    out, seen = [], 0
    for text, label in data:
        if label == "positive" and seen < 6:
            label = padded[seen % 2]
            seen += 1
        out.append((text, label))
    return write_csv(root, "label_whitespace", out)


def label_case(root: Path) -> str:
    """"positive" and, on 4 rows, "Positive": a labelling mistake, or two classes?"""
    out, seen = [], 0
    for text, label in clean_rows():
        if label == "positive" and seen < 4:
            label, seen = "Positive", seen + 1
        out.append((text, label))
    return write_csv(root, "label_case", out)


def label_unicode(root: Path) -> str:
    """"café" composed (NFC) on most rows and decomposed (NFD) on 5: the same label to a reader."""
    out, seen = [], 0
    for text, label in clean_rows():
        if label == "positive":
            label = unicodedata.normalize("NFD" if seen < 5 else "NFC", "café")
            seen += 1
        out.append((text, label))
    return write_csv(root, "label_unicode", out)


FORMULAS = ('=HYPERLINK("http://example.com","click")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3",
            "=1+1", "\tleading tab", "\rleading cr")


def formula_cells(root: Path) -> str:
    """Texts that a spreadsheet would run as formulas, in every class."""
    data = clean_rows()
    out = [(FORMULAS[i % len(FORMULAS)] + " " + text if i % 3 == 0 else text, label)
           for i, (text, label) in enumerate(data)]
    return write_csv(root, "formula_cells", out)


def huge_text(root: Path) -> str:
    """One 50 MB text among 300 ordinary rows."""
    data = clean_rows(n_per_class=100)
    text, label = data[7]
    data[7] = (text + " " + "lorem ipsum dolor sit amet " * (HUGE_TEXT_BYTES // 27), label)
    return write_csv(root, "huge_text", data)


def not_utf8(root: Path) -> str:
    """Latin-1 bytes (0xe9, 0xff) in a file read as UTF-8."""
    path = Path(write_csv(root, "not_utf8", clean_rows()))
    raw = (root / path).read_bytes().replace(b"love", b"l\xe9ve\xff", 3)
    (root / path).write_bytes(raw)
    return str(path)


def not_utf8_replaced(root: Path) -> str:
    """The same bytes, read with data.encoding_errors=replace."""
    path = Path(not_utf8(root))
    target = path.with_name("not_utf8_replaced.csv")
    (root / path).rename(root / target)
    return str(target)


def nul_bytes(root: Path) -> str:
    """NUL bytes inside texts and a label."""
    data = clean_rows()
    out = [(text.replace(" ", "\x00", 1) if i % 4 == 0 else text, label) for i, (text, label) in enumerate(data)]
    out[3] = (out[3][0], out[3][1] + "\x00")
    return write_csv(root, "nul_bytes", out)


def bom_crlf(root: Path) -> str:
    """A byte-order mark and Windows line ends, as spreadsheet programs save CSV."""
    return write_csv(root, "bom_crlf", clean_rows(), newline="\r\n", bom=True)


def mixed_labels(root: Path) -> str:
    """JSONL labels 1 (a number), "1" (a string), 1.0 and "one": what is one class, what another?"""
    data = clean_rows()
    spelled = {"negative": [1, "1", 1.0], "neutral": [2, "2"], "positive": ["one"]}
    lines = [json.dumps({"text": text, "label": spelled[label][i % len(spelled[label])]})
             for i, (text, label) in enumerate(data)]
    path = Path("data") / "mixed_labels.jsonl"
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def no_labels(root: Path) -> str:
    """Every label missing."""
    return write_csv(root, "no_labels", [(text, "") for text, _ in clean_rows()])


CASES: tuple[Case, ...] = (
    Case("numbers_only", numbers_only),
    Case("unique_words", unique_words),
    Case("unique_characters", unique_characters),
    Case("rows_1", rows(1), stops_at="prepare", says="only one class"),
    Case("rows_2", rows(2), stops_at="prepare", says="split"),
    Case("rows_3", rows(3), stops_at="prepare", says="split"),
    Case("rows_5", rows(5), stops_at="prepare", says="split"),
    Case("one_class_one_row", one_class_one_row),
    Case("label_whitespace", label_whitespace, recorded="label_changes"),
    Case("label_case", label_case, recorded="label_variants"),
    Case("label_unicode", label_unicode, recorded="label_changes"),
    Case("formula_cells", formula_cells),
    Case("huge_text", huge_text),
    Case("not_utf8", not_utf8, stops_at="prepare", says="not valid utf-8"),
    Case("not_utf8_replaced", not_utf8_replaced, overrides=("data.encoding_errors=replace",)),
    Case("nul_bytes", nul_bytes, recorded="label_changes"),
    Case("bom_crlf", bom_crlf),
    Case("mixed_labels", mixed_labels, recorded="label_changes"),
    Case("no_labels", no_labels, stops_at="prepare", says="every one of the 180 rows has an empty label"),
)
