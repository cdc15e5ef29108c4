"""Step 1's shortcut search (label names in texts, properties, single tokens, templates): how much it adds to
step 1 on the built-in corpus and on N synthetic rows (default 1,000,000).

Step 1 runs as DVC runs it (prepare, inspect_data, judge_inspect, each `python stages/<name>.py`, MLflow
logging included) in a temporary copy of the repository; the search's seconds are those the inspect stage
prints for its step ("Shortcuts: …"), so both figures come from the same run. Growth = the search's seconds /
step 1's seconds without them.

Goal: step 1 grows by at most 15% on the built-in corpus and at 1M rows.

`--smoke`: the built-in corpus with the debug group on 100 rows, no synthetic rows, seconds.

    .venv/bin/python benchmarks/bench_shortcuts.py [--rows N] [--keep] [--smoke]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    add_builtin_corpus,
    add_smoke,
    project_copy,
    result,
    run_stage,
    smoke_settings,
    step_timings,
    venv_env,
    verdict,
    work_folder,
)
from synthetic import write_csv  # noqa: E402

GROWTH_GOAL = 0.15
STAGES = ("prepare", "inspect_data", "judge_inspect")
SEARCH_STEP = "Shortcuts"


def step_1(repo: Path, env: dict, tag: str) -> tuple[float, float]:
    """(step 1's seconds, the shortcut search's seconds within them) in ``repo``."""
    total, search = 0.0, None
    for name in STAGES:
        measured = run_stage(repo, name, env)
        total += measured.seconds
        if name == "inspect_data":
            search = next((s for title, s in step_timings(measured.output) if title.startswith(SEARCH_STEP)), None)
        print(f"[{tag}] {name}: {measured.seconds:.1f} s, peak {measured.peak_mb:.0f} MB", flush=True)
    if search is None:
        sys.exit(f"[{tag}] the inspect stage printed no '{SEARCH_STEP}' step")
    print(f"[{tag}] step 1 {total:.1f} s, of which the shortcut search {search:.1f} s", flush=True)
    return total, search


def report(tag: str, total: float, search: float, smoke: bool) -> None:
    growth = search / max(total - search, 1e-9)
    result(f"step 1 growth from the shortcut search, {tag}", f"<= {GROWTH_GOAL:.0%}",
           f"{growth:.1%} ({search:.1f} of {total:.1f} s)", verdict(growth <= GROWTH_GOAL, smoke))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="synthetic rows (0: none)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies and print their path")
    add_smoke(parser)
    args = parser.parse_args(argv)
    env = venv_env(DVC_NO_ANALYTICS="1")
    with work_folder("clearance-bench-shortcuts-", args.keep) as work:
        builtin = project_copy(work / "builtin", smoke_settings() if args.smoke else [], env)
        add_builtin_corpus(builtin)
        report("built-in corpus" + (" (smoke)" if args.smoke else ""), *step_1(builtin, env, "built-in"), args.smoke)
        rows = 0 if args.smoke else args.rows
        if rows:
            synthetic = project_copy(work / "synthetic", ["data=custom", "data.path=data/raw/synthetic.csv"], env)
            start = time.perf_counter()
            write_csv(synthetic / "data" / "raw" / "synthetic.csv", rows)
            print(f"[synthetic] generated {rows} rows in {time.perf_counter() - start:.1f} s (not counted)", flush=True)
            report(f"{rows:,} synthetic rows", *step_1(synthetic, env, "synthetic"), False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
