"""DVC stage judge_sweep: grade step 4's measurements against checks.sweep (seconds), write the report."""

from clearance.checklist.results import summary_line
from clearance.core.config.params import load_stage_config
from clearance.core.errors import run_main
from clearance.core.tracking import tagged_runs
from clearance.sweep.final.ledger import DIGEST_TAG
from clearance.sweep.judge.run import SweepJudge, judge_sweep


def main() -> None:
    cfg = load_stage_config(SweepJudge)
    # The ledger is read too, undeclared: it changes only when final_test runs, and that rewrites final.json.
    judged = judge_sweep(cfg, store_runs=lambda digest: tagged_runs(cfg.tracking, DIGEST_TAG, digest))
    print(f"report: {judged.files['report']} · evidence fingerprint: {judged.files['manifest']}")
    print(summary_line(judged.checks))


if __name__ == "__main__":
    run_main(main)
