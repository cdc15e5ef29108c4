"""DVC stage probe_shortcuts: does step 3's model rest on a shortcut step 1 found? Its answers on the valid texts
each suspect touches, intact and with the suspect taken out; logged to step 3's MLflow experiment. Loads the
model (torch) only when a suspect touches a valid text."""

from dataclasses import asdict

from clearance.core.config.errors import ShortcutStage
from clearance.core.config.params import load_stage_config
from clearance.core.errors import run_main
from clearance.core.records import read_stage_json
from clearance.core.tracking import flatten, log_artifacts, log_metrics, stage_run
from clearance.small_model.measure.shortcut_run import probe_shortcuts

STAGE = "probe_shortcuts"


def main() -> None:
    cfg = load_stage_config(ShortcutStage)
    path = probe_shortcuts(cfg)
    record = read_stage_json(path, "shortcut probe record")
    probed = [s for s in record["suspects"] if s.get("probed")]
    # one metric per suspect: a check may list several (two tokens that each give the answer away)
    shares = {f"{i}_{s.get('check', 'suspect')}": s["flip_share"] for i, s in enumerate(record["suspects"]) if s.get("probed")}
    with stage_run(STAGE, cfg.tracking, asdict(cfg)):
        log_metrics(flatten({"shortcuts": {"found": record["found"], "flip_share": shares}}))
        log_artifacts([path])
    if record["skipped"]:
        print(f"no shortcut probed: {record['skipped']} ({path})")
        return
    said = "; ".join(f"{s['name']}: {s['flipped']} of {s['probed']} answers flipped" for s in probed)
    print(f"probed {len(probed)} of {record['found']} shortcuts step 1 suspected: {said or 'none touched valid'} "
          f"({path})")


if __name__ == "__main__":
    run_main(main)
