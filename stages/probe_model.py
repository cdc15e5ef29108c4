"""DVC stage probe_model: step 3's probes for the classic silent bugs, before any real training."""

from clearance.core.config.model import ModelStage
from clearance.core.config.params import load_stage_config
from clearance.core.errors import run_main
from clearance.small_model.measure.files import PROBES_FILE
from clearance.small_model.measure.probing import probe


def main() -> None:
    cfg = load_stage_config(ModelStage)
    measured = probe(cfg)
    print(f"probes measured in {measured['seconds']['total']:.1f} s: reports/model/{PROBES_FILE}")


if __name__ == "__main__":
    run_main(main)
