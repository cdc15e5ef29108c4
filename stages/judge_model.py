"""DVC stage judge_model: grade step 3's probes and training run against checks.model (seconds)."""

from clearance.checklist.results import summary_line
from clearance.core.config.params import load_stage_config
from clearance.core.errors import run_main
from clearance.small_model.judge.run import ModelJudge, judge_model


def main() -> None:
    cfg = load_stage_config(ModelJudge)
    judged = judge_model(cfg.checks)
    print(f"report: {judged.files['report']} · evidence fingerprint: {judged.files['manifest']}")
    print(summary_line(judged.checks))


if __name__ == "__main__":
    run_main(main)
