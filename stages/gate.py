"""DVC stage gate_<step>: the gate between two steps. Exits 1 with what to do until the step's question
file is answered against its current evidence and its failing checks are fixed or waived; then writes
gates/<step>.json. The same gate as `clearance gate <step>`."""

import sys

from clearance.checklist.run import run_gate
from clearance.core.errors import run_main
from clearance.core.paths import CHECKLIST_DIR, GATE_DIR


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python stages/gate.py STEP")
    code = run_gate(sys.argv[1], CHECKLIST_DIR, GATE_DIR)
    if code:
        sys.exit(code)


if __name__ == "__main__":
    run_main(main)
