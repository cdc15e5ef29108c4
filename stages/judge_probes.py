"""DVC stage judge_probes: grade the probes and decide whether training may run (go.json)."""

from clearance.core.config.params import load_stage_config
from clearance.core.errors import run_main
from clearance.small_model.judge.decision import ProbeGate, write_decision


def main() -> None:
    decision = write_decision(load_stage_config(ProbeGate))
    if decision["failing"]:
        verdict = "training anyway (train.run_despite_probes)" if decision["forced"] else "training skipped"
        print(f"failing probes: {', '.join(decision['failing'])}: {verdict}")
    else:
        print("every probe passed: training will run")


if __name__ == "__main__":
    run_main(main)
