"""Reading the trained model's errors (the read_model stage: slices with bootstrap intervals, the best baseline
row by row, the labels the model doubts) against the rest of step 3 (probes, training, judging).

On the built-in corpus with the default settings: a temporary copy of the repository runs step 1, step 2 and
step 3 stage by stage as DVC runs them, and the read_model stage's time is set against probe_model +
judge_probes + train_model + judge_model.

Goal: the analysis adds at most 10% to step 3's time.

`--smoke`: the debug group on 100 rows (a tiny model), seconds.

    .venv/bin/python benchmarks/bench_reading.py [--keep] [--smoke]
"""

from __future__ import annotations

import argparse
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

SHARE_GOAL = 0.10
BEFORE = ("prepare", "inspect_data", "baselines")
STEP_3 = ("probe_model", "judge_probes", "train_model")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy and print its path")
    add_smoke(parser)
    args = parser.parse_args(argv)
    env = venv_env(DVC_NO_ANALYTICS="1")
    with work_folder("clearance-bench-reading-", args.keep) as work:
        repo = project_copy(work / "repo", smoke_settings() if args.smoke else [], env)
        add_builtin_corpus(repo)
        for stage in BEFORE:
            run_stage(repo, stage, env)
        seconds = {stage: run_stage(repo, stage, env).seconds for stage in (*STEP_3, "read_model", "judge_model")}
        for stage, value in seconds.items():
            print(f"{stage}: {value:.1f} s", flush=True)
        rest = sum(v for k, v in seconds.items() if k != "read_model")
        share = seconds["read_model"] / rest
        tag = " (smoke: a tiny model on 100 rows)" if args.smoke else ""
        result(f"read_model's time / the rest of step 3 (probes, training, judging){tag}",
               f"<= {SHARE_GOAL:.0%}", f"{share:.1%} ({seconds['read_model']:.1f} s of {rest:.1f} s)",
               verdict(share <= SHARE_GOAL, args.smoke))
    return 0

if __name__ == "__main__":
    sys.exit(main())
