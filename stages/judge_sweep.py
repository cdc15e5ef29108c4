"""DVC stage judge_sweep: grade step 4's measurements against checks.sweep (seconds), write the report."""

from clearance.checklist.results import summary_line
from clearance.core.config.params import load_stage_config
from clearance.core.config.sweep import SweepJudge
from clearance.core.errors import run_main
from clearance.sweep.judge.run import judge_sweep


def main() -> None:
    cfg = load_stage_config(SweepJudge)
    judged = judge_sweep(cfg)
    print(f"report: {judged.files['report']} · evidence fingerprint: {judged.files['manifest']}")
    print(summary_line(judged.checks))


if __name__ == "__main__":
    run_main(main)
