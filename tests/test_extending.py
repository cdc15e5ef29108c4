"""docs/extending.md, done as a contributor would: a new step-1 check is one function in one file, a new
probe one function on each side (measuring, judging); each then shows in conf/checks, params.yaml,
checks.json, the report and `clearance show`, in a copy of a finished project."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import BIN
from tests.journey import SETTINGS, Journey, copy_project

NEW_CHECK = '''

@check("html_heavy", reads="stats.patterns", section="encoding", question="preprocessing",
       limits=[Limit("html_heavy_warn", 0.5, "warn", "share of texts with HTML entities beyond which the corpus "
                     "is likely scraped markup")],
       fix="unescape the texts (html.unescape) before anything else, or re-export the corpus as text")
def html_heavy(rates: dict[str, float], c: Grading) -> CheckResult:
    """Most texts carry HTML entities: the corpus is markup, not text."""
    return c.graded(rates["html_entity"], f"{100 * rates['html_entity']:.2f}% of texts contain HTML entities")
'''
NEW_PROBE = '''

@probe("logit_scale", needs_logits=True)
def logit_scale_probe(run: ModelRun) -> dict:
    """The largest absolute logit of the untrained model on the probe batch."""
    import torch

    with torch.no_grad():
        run.model.eval()
        logits = run.model(run.batch.input_ids, run.batch.attention_mask)
    return {"largest": float(logits.abs().max())}
'''
NEW_PROBE_CHECK = '''

@probe_check("logit_scale", about="the logits' scale", reads="logit_scale", section="outputs", question="overfit_16",
             direction="max", fix="initialize the last layer with small weights",
             limits=[Limit("logit_scale_max", 50.0, "warn", "largest absolute logit at initialization")])
def logit_scale(m: dict, c: Grading) -> CheckResult:
    """Untrained logits stay small: large ones are confident guesses before any training."""
    return c.graded(m["largest"], f"the largest logit at initialization is {m['largest']:.3g}")
'''


def in_copy(root: Path, *argv: str) -> subprocess.CompletedProcess:
    """A command in the copy, with the copy's own clearance package first on the path (as in its clone)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(root),
           "DVC_NO_ANALYTICS": "1"}
    env.pop("DVC_ROOT", None)
    result = subprocess.run(list(argv), cwd=root, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def append(path: Path, code: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + code, encoding="utf-8")


def shows_everywhere(root: Path, step: str, check_id: str, key: str, question: str) -> None:
    """The check is in conf/checks/declared.yaml, params.yaml, checks.json, the report and `clearance show`."""
    assert f"  {key}: " in (root / "conf/checks/declared.yaml").read_text(encoding="utf-8")
    assert f"    {key}: " in (root / "params.yaml").read_text(encoding="utf-8")
    checks = {c["id"]: c for c in json.loads((root / f"reports/{step}/checks.json").read_text(encoding="utf-8"))}
    assert check_id in checks and checks[check_id]["status"] in ("pass", "warn"), checks.get(check_id)
    assert check_id in (root / f"reports/{step}/report.html").read_text(encoding="utf-8")
    show = in_copy(root, "clearance", "show", step).stdout
    block = show.split(f"] {question} (line", 1)[1].split("\n[", 1)[0]
    assert f"check {check_id}: " in block, show


def test_a_new_check_is_one_function_in_its_step_s_checks_module(journey: Journey, tmp_path: Path):
    root = copy_project(journey, tmp_path / "project")
    append(root / "clearance/inspection/judge/checks.py", NEW_CHECK)
    in_copy(root, "clearance", "params", *SETTINGS)
    # Only the judging reads the declarations (and the journey page, which depends on every module).
    stale = set(json.loads(in_copy(root, "dvc", "status", "--json").stdout or "{}"))
    assert "judge_inspect" in stale and stale <= {"judge_inspect", "summary"}, stale
    ran = in_copy(root, "dvc", "repro", "--single-item", "judge_inspect").stdout
    assert "Running stage 'judge_inspect'" in ran
    shows_everywhere(root, "inspect", "html_heavy", "html_heavy_warn", "preprocessing")


def test_a_new_probe_is_one_function_on_each_side(journey: Journey, tmp_path: Path):
    root = copy_project(journey, tmp_path / "project")
    append(root / "clearance/small_model/measure/probes/outputs.py", NEW_PROBE)
    append(root / "clearance/small_model/judge/checks_model.py", NEW_PROBE_CHECK)
    in_copy(root, "clearance", "params", *SETTINGS)
    in_copy(root, "dvc", "repro", "--single-item", "probe_model")
    probes = json.loads((root / "reports/model/probes.json").read_text(encoding="utf-8"))
    assert probes["logit_scale"]["largest"] > 0
    in_copy(root, "dvc", "repro", "--single-item", "judge_model")
    shows_everywhere(root, "model", "logit_scale", "logit_scale_max", "overfit_16")


# -- a gate rule of your own (docs/extending.md: one function added to clearance/checklist/gate.py RULES) --------

TICKET = "every waiver names its follow-up ticket"


def waivers_name_a_ticket(verdict) -> None:
    """A team's own rule: a waived check needs a ticket to come back to (e.g. `TICKET-12`)."""
    import re

    for check, waiver in verdict.waived:
        if not re.search(r"\b[A-Z]+-\d+\b", waiver.reason):
            verdict.blocked.append(f"The waiver of {check.id} (line {waiver.line} of {verdict.checklist.path}) "
                                   f"names no ticket: {TICKET}; add one, e.g. `TICKET-12`, to its reason.")


@pytest.fixture
def with_ticket_rule(monkeypatch: pytest.MonkeyPatch):
    from clearance.checklist import gate

    monkeypatch.setattr(gate, "RULES", gate.RULES + (waivers_name_a_ticket,))


@pytest.mark.parametrize("reason, cleared", [
    ("A known scraping artefact; we repair it later in preprocessing anyway.", False),
    ("A known scraping artefact; repaired in preprocessing under ticket DATA-42 next sprint.", True)])
def test_a_gate_rule_of_your_own_blocks_until_it_holds(tmp_path: Path, with_ticket_rule, reason: str, cleared: bool):
    from clearance.checklist.messages import blocked_message
    from clearance.checklist.results import CheckResult
    from tests.test_gate_rules import judge, write_file

    waivers = f'\n  - check: mojibake\n    reason: "{reason}"'
    failing = [CheckResult("mojibake", "fail", 0.08, 0.05, "8% mis-decoded", "repair", "max")]
    verdict = judge(write_file(tmp_path, waivers=waivers), failing)
    assert verdict.cleared is cleared and [c.id for c, _ in verdict.waived] == ["mojibake"]
    if not cleared:
        assert "names no ticket" in blocked_message(verdict) and "mojibake" in blocked_message(verdict)
