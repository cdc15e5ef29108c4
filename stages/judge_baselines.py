"""DVC stage judge_baselines: grade step 2's measurements against checks.baselines (seconds)."""

from clearance.baselines.judge.run import BaselinesJudge, judge_baselines
from clearance.checklist.results import summary_line
from clearance.core.config.params import load_stage_config
from clearance.core.errors import run_main


def main() -> None:
    cfg = load_stage_config(BaselinesJudge)
    judged = judge_baselines(cfg.checks)
    print(f"report: {judged.files['report']} · evidence fingerprint: {judged.files['manifest']}")
    print(summary_line(judged.checks))


if __name__ == "__main__":
    run_main(main)
