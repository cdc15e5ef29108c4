"""Small synthetic labelled texts for tests: clean by default, with knobs to trip each check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

KEYWORDS = {
    "negative": ["hate", "awful", "broken", "worst", "angry"],
    "neutral": ["report", "update", "announced", "today", "meeting"],
    "positive": ["love", "great", "amazing", "happy", "best"],
}
FILLER = ("the car phone city road app team new day week people time work home game "
          "music store street price plan idea news video photo school train bus").split()


def make_texts(n_per_class: int = 60, seed: int = 0, classes: dict[str, int] | None = None) -> pd.DataFrame:
    """Distinct texts whose keywords give away the class, about 8 words each."""
    rng = np.random.default_rng(seed)
    counts = classes or {label: n_per_class for label in KEYWORDS}
    rows = []
    for label, n in counts.items():
        words = KEYWORDS.get(label, KEYWORDS["neutral"])
        for i in range(n):
            body = list(rng.choice(FILLER, size=6)) + [str(rng.choice(words)), f"w{label[:3]}{i}"]
            rng.shuffle(body)
            rows.append({"text": " ".join(body), "label": label})
    frame = pd.DataFrame(rows)
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def write_table(frame: pd.DataFrame, path, fmt: str = "csv") -> None:
    """Write a frame as csv, tsv, jsonl or parquet."""
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path, index=False)


def with_own_split(frame: pd.DataFrame, valid: int, test: int, column: str = "split",
                   names: tuple[str, str, str] = ("train", "valid", "test")) -> pd.DataFrame:
    """``frame`` with a split column: the last ``test`` rows test, the ``valid`` before them valid."""
    values = [names[0]] * (len(frame) - valid - test) + [names[1]] * valid + [names[2]] * test
    return frame.assign(**{column: values})


def copy_train_into_test(frame: pd.DataFrame, n: int, column: str = "split") -> pd.DataFrame:
    """A copy whose first ``n`` test rows carry the text and label of ``n`` train rows (a leaked split)."""
    out = frame.copy()
    train = out.index[out[column] == "train"][:n]
    test = out.index[out[column] == "test"][:n]
    out.loc[test, ["text", "label"]] = out.loc[train, ["text", "label"]].to_numpy()
    return out


def inspection_stats(splits: dict[str, pd.DataFrame], summary: dict, inspect_cfg) -> dict:
    """Step 1's statistics from prepared splits, through the functions of clearance.inspection.measure.stats.

    The cross-validated label-issue search is left out (recorded as finding nothing):
    the checks tested with this helper do not read it, and it is the slow part.
    """
    from clearance.core.text.units import WordUnit
    from clearance.inspection.measure import stats as S

    rows = S.combine(splits)
    unit = WordUnit(summary.get("words", {}).get("unit", "whitespace"))
    stats = {"n_rows": len(rows), "clean": summary["clean"], "split": summary["split"],
             "dropped_share": summary["clean"]["dropped"] / max(summary["clean"]["rows_read"], 1),
             "words": summary.get("words"),
             "label_issues": {"issues": 0, "searched_rows": len(rows), "share": 0.0, "skipped": ""}}
    stats.update(S.balance(rows, summary["classes"]))
    stats.update(S.vocabulary(splits, summary["classes"], inspect_cfg, unit))
    stats.update(S.duplicates(rows, unit))
    stats.update(S.surface(rows, inspect_cfg, unit.count(rows["text"])))
    stats["sample_size"] = len(S.stratified_sample(rows, inspect_cfg.sample_size, 0))
    stats["shortcuts"] = shortcut_stats(rows, summary, unit, stats, inspect_cfg)
    return stats


def shortcut_stats(rows: pd.DataFrame, summary: dict, unit, stats: dict, inspect_cfg) -> dict:
    """Step 1's shortcut search on the combined rows, as the inspect stage runs it."""
    from clearance.core.task import task_of
    from clearance.core.text.lengths import lengths
    from clearance.inspection.measure.shortcuts.run import find_shortcuts

    return find_shortcuts(rows, lengths(rows["text"], unit), task_of(summary), unit, stats,
                          inspect_cfg.shortcut_max_rows, inspect_cfg.template_words, inspect_cfg.template_min_texts, 0)


def summary_doc(classes: list[str], sizes: dict[str, int], digest: str = "test-data-digest",
                source: str = "tests/factory.py") -> dict:
    """data/prepared/summary.json as `prepare` writes it (every key its schema requires)."""
    rows = sum(sizes.values())
    return {"source": source, "digest": digest, "text_column": "text", "label_column": "label",
            "clean": {"rows_read": rows, "missing_text": 0, "missing_label": 0, "dropped": 0, "kept_empty_text": 0,
                      "kept_columns": [], "missing_keep_columns": [], "label_changes": [], "label_variants": []},
            "split": {"stratified": True, "grouped_by": "", "groups": 0, "note": "", "given_by": ""},
            "sizes": sizes, "classes": classes, "sampled": None,
            "task": {"name": "single_label", "setting": "auto", "reason": "test data: one class per text",
                     "read_as": "one class per row"},
            "words": {"unit": "whitespace", "setting": "auto", "reason": "test data in English", "scripts": {"latin": 1.0}}}


# Step 2's bar as its metrics.json holds it (clearance.core.records.Bar), for tests of steps 3 and 4.
BAR_DOC = {"metric": "macro_f1", "best_baseline": "tfidf_logreg", "valid": 0.7551, "valid_log_loss": 0.6,
           "prior_expected": 0.3333, "uniform_log_loss": 1.0986, "prior_log_loss": 1.09}


def baselines_metrics_doc(bar: dict | None = None) -> dict:
    """reports/baselines/metrics.json, as step 2 writes it."""
    return {"primary_metric": (bar or BAR_DOC)["metric"], "bar": bar or BAR_DOC, "baselines": {}}


def prepared_project(root: Path, n_per_class: int = 40) -> Path:
    """A project folder at ``root`` holding tiny prepared data and step 2's bar: what steps 3 and 4 read."""
    import json

    from clearance.core.config.data import DataConfig, PrepareStage
    from clearance.core.config.params import from_conf
    from clearance.core.data.prepare import prepare

    (root / "data").mkdir(parents=True, exist_ok=True)
    make_texts(n_per_class=n_per_class).to_csv(root / "data/tiny.csv", index=False)
    data = from_conf(DataConfig, "data", ("data=custom",), path=str(root / "data/tiny.csv"))
    prepare(from_conf(PrepareStage, None, ("data=custom",), data=data), root / "data/prepared")
    (root / "reports/baselines").mkdir(parents=True, exist_ok=True)
    (root / "reports/baselines/metrics.json").write_text(json.dumps(baselines_metrics_doc()))
    return root


def project_copy(template: Path, dest: Path, monkeypatch) -> Path:
    """A copy of a template project at ``dest`` with the repository's conf/ linked in, as the working folder."""
    import shutil

    from tests.conftest import REPO

    shutil.copytree(template, dest)
    (dest / "conf").symlink_to(REPO / "conf")
    monkeypatch.chdir(dest)
    return dest
