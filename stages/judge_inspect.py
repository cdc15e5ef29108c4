"""DVC stage judge_inspect: grade step 1's measurements against checks.inspect (seconds)."""

from clearance.checklist.results import summary_line
from clearance.inspection.judge.run import InspectJudge
from clearance.core.config.params import load_stage_config
from clearance.core.errors import run_main
from clearance.inspection.judge.run import judge_inspection


def main() -> None:
    cfg = load_stage_config(InspectJudge)
    judged = judge_inspection(cfg.checks)
    print(f"report: {judged.files['report']} · evidence fingerprint: {judged.files['manifest']}")
    print(summary_line(judged.checks))


if __name__ == "__main__":
    run_main(main)
