"""`clearance diff`: step-by-step changes between two git revisions, read from a real git repository."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clearance.checklist.diff import cmd_diff, diff_steps, render
from clearance.checklist.diff_revisions import read_at
from clearance.checklist.results import CheckResult, write_checks
from clearance.core.errors import UserError
from tests.cli_helpers import add_waivers, fill_answers, mark_reviewed, write_evidence

REPO = Path(__file__).resolve().parents[1]
# A fingerprint YAML would read as the number 123456789: the `reviewed:` line must stay text.
OLD_PRINT, NEW_PRINT, BASE_PRINT = "000123456789", "4d5e6f7a8b9c", "bbbbbbbbbbbb"
NEW_ANSWER = "Imbalanced after all: 60% neutral, so macro-F1 is the metric to report here."
REASON = "Noisy crowd labels; step 2 measures their cost on a clean subset."
SIGN_OFF = "signed_off_by:\n  - name: Ada Lovelace\n    date: 2026-12-06\n"


def git(root: Path, *args: str) -> str:
    """Run git with a throw-away identity (no global config needed)."""
    found = subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.org",
                            "-c", "commit.gpgsign=false", *args], cwd=root, check=True,
                           capture_output=True, text=True)
    return found.stdout.strip()


def checks(duplicates: str = "pass", value: float = 0.004) -> list[CheckResult]:
    return [CheckResult("duplicates", duplicates, value, 0.01, "share of duplicated texts", "dedupe", "max"),
            CheckResult("label_issues", "fail", 0.2, 0.1, "share of suspect labels", "relabel", "max"),
            CheckResult("mojibake", "pass", 0.0, 0.05, "mis-decoded texts", "fix the encoding", "max")]


def write_stamp(root: Path, step: str, fingerprint: str, **extra: object) -> None:
    """gates/<step>.json as the gate writes it (plus the optional sign-off keys)."""
    doc = {"step": step, "cleared": True, "reviewed": fingerprint, "checks": {}, "waived": [], **extra}
    path = root / "gates" / f"{step}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def make_project(root: Path, gitignore: str = "") -> Path:
    """Two answered, reviewed steps (inspect and baselines) committed to a fresh git repository."""
    for step, fingerprint in (("inspect", OLD_PRINT), ("baselines", BASE_PRINT)):
        question_file = root / "checklists" / f"{step}.yaml"
        question_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "checklists" / f"{step}.yaml", question_file)
        fill_answers(question_file)
        write_evidence(root, step, fingerprint)
        mark_reviewed(question_file, fingerprint)
        write_checks(checks(), root / "reports" / step / "checks.json")
        write_stamp(root, step, fingerprint)
    if gitignore:
        (root / ".gitignore").write_text(gitignore, encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "answered")
    return root


def change_inspect(root: Path) -> None:
    """What a user does between two commits: new evidence, a check moves, an answer, a waiver, a sign-off."""
    write_evidence(root, "inspect", NEW_PRINT)
    write_checks(checks("warn", 0.02), root / "reports" / "inspect" / "checks.json")
    path = root / "checklists" / "inspect.yaml"
    text = path.read_text(encoding="utf-8")
    old = "Looked at the evidence for label_balance, and it is fine for this task."
    assert old in text
    path.write_text(text.replace(old, NEW_ANSWER) + SIGN_OFF, encoding="utf-8")
    add_waivers(path, ["label_issues"], REASON)
    mark_reviewed(path, NEW_PRINT)
    write_stamp(root, "inspect", NEW_PRINT, cleared_by="Ada Lovelace", cleared_at="2026-12-06")


@pytest.fixture(autouse=True)
def _no_parent_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git must not find a repository above tmp_path (the "not a git repository" case relies on it)."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


EXPECTED = [
    f"step 1 inspect: evidence fingerprint {OLD_PRINT} -> {NEW_PRINT} (changed)",
    "  checks: duplicates pass -> warn (0.004 -> 0.02)",
    f"  reviewed: {OLD_PRINT} -> {NEW_PRINT}",
    ("  answers: changed label_balance ('Looked at the evidence for label_balance, and i…' -> "
     "'Imbalanced after all: 60% neutral, so macro-F1…')"),
    "  waivers: + label_issues (reason: Noisy crowd labels; step 2 measures their cost…)",
    "  sign-offs: + Ada Lovelace 2026-12-06",
    "  gate: cleared -> cleared by Ada Lovelace on 2026-12-06",
    "step 2 baselines: no change",
]


def test_head_against_working_tree_names_each_change(project: Path) -> None:
    change_inspect(project)
    diffs = diff_steps("HEAD", None, project)
    assert [d.step for d in diffs] == ["inspect", "baselines"]
    inspect, baselines = diffs
    assert (inspect.fingerprint_a, inspect.fingerprint_b, inspect.fingerprint_changed) == (OLD_PRINT, NEW_PRINT, True)
    assert [(c.id, c.status_a, c.status_b, c.value_a, c.value_b) for c in inspect.checks_moved] == [
        ("duplicates", "pass", "warn", 0.004, 0.02)]
    assert [a.id for a in inspect.answers_changed] == ["label_balance"]
    assert inspect.answers_changed[0].after == NEW_ANSWER
    assert not inspect.answers_added and not inspect.answers_removed
    assert [(w.check, w.reason_b) for w in inspect.waivers_added] == [("label_issues", REASON)]
    assert inspect.signoffs_added == ["Ada Lovelace 2026-12-06"]
    assert (inspect.cleared_by_a, inspect.cleared_by_b) == (None, "Ada Lovelace")
    assert not baselines.changed
    assert render(diffs).splitlines() == ["clearance diff: HEAD -> working tree", *EXPECTED]


def test_revision_against_revision(project: Path) -> None:
    first = git(project, "rev-parse", "HEAD")
    change_inspect(project)
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "re-reviewed")
    (project / "checklists" / "inspect.yaml").write_text("broken: [", encoding="utf-8")  # the working tree is ignored
    assert render(diff_steps(first, "HEAD", project), first, "HEAD").splitlines()[1:] == EXPECTED
    back = render(diff_steps("HEAD", first, project), "HEAD", first)
    assert "  waivers: - label_issues (reason was: Noisy crowd labels; step 2 measures their cost…)" in back
    assert "  sign-offs: - Ada Lovelace 2026-12-06" in back
    assert "  checks: duplicates warn -> pass (0.02 -> 0.004)" in back


def test_cmd_diff_defaults_and_json(project: Path, capsys: pytest.CaptureFixture) -> None:
    change_inspect(project)
    assert cmd_diff(None, None, False, project) == 0
    assert capsys.readouterr().out.splitlines()[1:] == EXPECTED
    assert cmd_diff("main", None, True, project) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["a"], doc["b"]) == ("main", "working tree")
    step = doc["steps"][0]
    assert (step["step"], step["changed"], step["fingerprint_b"]) == ("inspect", True, NEW_PRINT)
    assert step["signoffs_added"] == ["Ada Lovelace 2026-12-06"]
    assert [c["id"] for c in step["checks_moved"]] == ["duplicates"]
    assert doc["steps"][1]["changed"] is False


def test_no_change(project: Path) -> None:
    expected = ["clearance diff: HEAD -> working tree", "step 1 inspect: no change", "step 2 baselines: no change"]
    assert render(diff_steps("HEAD", None, project)).splitlines() == expected
    assert render(diff_steps("main", "HEAD", project)).splitlines()[1:] == expected[1:]


def test_git_ignored_reports_are_named_not_compared(tmp_path: Path) -> None:
    """reports/ and gates/ git-ignored (as in the template): the question file is still compared."""
    root = make_project(tmp_path / "ignored", gitignore="/reports/\n/gates/\n")
    change_inspect(root)
    lines = render(diff_steps("HEAD", None, root)).splitlines()
    assert lines[1] == f"step 1 inspect: evidence fingerprint (none) -> {NEW_PRINT}"
    assert f"  reviewed: {OLD_PRINT} -> {NEW_PRINT}" in lines
    assert "  sign-offs: + Ada Lovelace 2026-12-06" in lines
    assert ("  not compared, missing at HEAD: reports/inspect/checks.json, reports/inspect/evidence.json, "
            "gates/inspect.json") in lines
    assert not [line for line in lines if line.startswith("  checks:")]
    assert lines[-2:] == ["step 2 baselines: no change", ("  not compared, missing at HEAD: reports/baselines/"
                          "checks.json, reports/baselines/evidence.json, gates/baselines.json")]


def test_read_at(project: Path) -> None:
    change_inspect(project)
    path = "reports/inspect/evidence.json"
    assert json.loads(read_at("HEAD", path, project))["fingerprint"] == OLD_PRINT
    assert json.loads(read_at(None, path, project))["fingerprint"] == NEW_PRINT
    assert read_at("HEAD", "reports/nothing.json", project) is None
    assert read_at(None, "reports/nothing.json", project) is None


def test_unknown_revision(project: Path) -> None:
    with pytest.raises(UserError) as raised:
        diff_steps("no-such-branch", None, project)
    assert "no-such-branch" in raised.value.where
    assert "git log --oneline" in raised.value.fix
    with pytest.raises(UserError, match="nope"):
        cmd_diff("HEAD", "nope", False, project)


def test_not_a_git_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(REPO / "checklists", plain / "checklists")
    with pytest.raises(UserError) as raised:
        cmd_diff(None, None, False, plain)
    assert str(plain.resolve()) in raised.value.where
    assert "git repository" in raised.value.fix


def test_cli_exit_2_and_light_imports(project: Path) -> None:
    """The CLI turns the error into a message and exit 2; the module pulls in no heavy package."""
    found = subprocess.run([sys.executable, "-m", "clearance", "diff", "no-such-rev"], cwd=project,
                           capture_output=True, text=True, check=False)
    assert found.returncode == 2, found.stderr
    assert "no-such-rev" in found.stderr and "git log --oneline" in found.stderr
    code = ("import sys, clearance.checklist.diff; heavy = ('torch', 'mlflow', 'hydra', 'clearance.inspection', "
            "'clearance.baselines', 'clearance.small_model', 'clearance.sweep'); "
            "print([m for m in sys.modules if m.startswith(heavy)])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
