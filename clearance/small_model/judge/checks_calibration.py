"""Step 3's check of the trained model's probabilities on valid: are they calibrated, and what the temperature
fitted on valid does to them (the measurement: training.json's ``calibration``, measure/calibration_record.py).

Applies to classes and label sets only: a numeric target has no probabilities, so the check is not graded for it.
"""

from __future__ import annotations

from clearance.checklist.declared import Grading, Limit
from clearance.checklist.results import CheckResult
from clearance.small_model.judge.grading import probe_check

CALIBRATION_FIX = ("the package already serves probabilities calibrated by the temperature fitted on valid; if "
                   "they will be used (thresholds, rankings, costs), confirm the ECE after it at the gate, or "
                   "regularise the model (train.dropout, train.weight_decay, fewer train.epochs) so it is less sure "
                   "of itself before calibration")
WORST_SHOWN = 3  # labels named in a multi-label message


def worst_labels(per_label: list[dict]) -> str:
    """The least calibrated labels before calibration, with their ECE before -> after."""
    worst = sorted(per_label, key=lambda row: -float(row.get("ece_before") or 0))[:WORST_SHOWN]
    if not worst:
        return ""
    named = ", ".join(f"{row['label']} {row['ece_before']:.3f} -> {row['ece_after']:.3f}" for row in worst)
    return f"; the worst labels: {named}"


@probe_check("calibration", about="calibration of the probabilities on valid", reads="calibration",
             section="calibration", question="calibration", tasks=("single_label", "multi_label"),
             fix=CALIBRATION_FIX,
             limits=[Limit("calibration_ece_max", 0.1, "warn",
                           "expected calibration error of the model's own probabilities on valid (15 equal-width "
                           "bins; label sets: the mean over labels) above this warns: a confidence off by more "
                           "than 10 points on average misleads a threshold or a ranking")])
def calibration(m: dict, c: Grading) -> CheckResult:
    """The model's probabilities on valid mean what they say: its ECE before calibration stays under the limit.
    Either way the package serves the calibrated ones; the message gives the temperature and both ECEs."""
    if not m.get("applies"):
        return c.result("warn", None, c.warn, f"not measured: {m.get('why') or 'no reason recorded'}",
                        "run the real training to the end (`dvc repro`)")
    t = float(m["temperature"])
    side = ("softens over-confident" if t > 1 else "sharpens timid" if t < 1 else "leaves the")
    served = "sigmoid(logits / T) per label" if m.get("per_label") else "softmax(logits / T)"
    return c.graded(m["ece_before"],
                    f"ECE on valid {m['ece_before']:.4f} before calibration, {m['ece_after']:.4f} after the "
                    f"temperature T = {t:.4g} fitted on valid by NLL ({side} probabilities; measured on the rows it "
                    f"was fitted on); the served probabilities are {served}"
                    + worst_labels(m.get("per_label") or []))
