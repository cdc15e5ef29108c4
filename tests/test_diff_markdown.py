"""`clearance diff --format markdown`: read as GitHub would show it (rendered to HTML by markdown-it-py with
GFM tables, then the HTML's tables and cells read), on the relabelled-data case of the CI tests, on hostile
answers, on a diff too big for a comment, and through the recipe in docs/ci.md."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt

from clearance.checklist.diff import cmd_diff, diff_steps
from clearance.checklist.diff_changes import AnswerChange, StepDiff
from clearance.checklist.diff_markdown import COMMENT_LIMIT, render_markdown
from clearance.checklist.diff_revisions import WORKING_TREE
from tests.conftest import BIN, run
from tests.journey import Journey, copy_project, relabel_half, repro
from tests.test_diff import NEW_PRINT, OLD_PRINT, make_project

REPO = Path(__file__).resolve().parents[1]
CI_DOC = REPO / "docs" / "ci.md"
MARKER = "<!-- clearance-diff -->"
SUMMARY_HEAD = ["step", "cleared", "evidence fingerprint", "checks moved", "answers changed", "also changed"]


@dataclass
class Node:
    tag: str
    children: list = field(default_factory=list)  # Nodes and strings

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def all(self, tag: str) -> list[Node]:
        found = []
        for c in self.children:
            if isinstance(c, Node):
                found += ([c] if c.tag == tag else []) + c.all(tag)
        return found


class _Tree(HTMLParser):
    """The HTML as a tree; an end tag closes the nearest open element of its name (as a browser would)."""

    VOID = {"br", "hr", "img", "input", "meta", "link"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root")
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list) -> None:
        node = Node(tag)
        self.open[-1].children.append(node)
        if tag not in self.VOID:
            self.open.append(node)

    def handle_endtag(self, tag: str) -> None:
        names = [n.tag for n in self.open]
        assert tag in names, f"</{tag}> closes nothing open: the markdown broke the structure"
        del self.open[len(names) - 1 - names[::-1].index(tag):]

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def html_of(markdown: str) -> Node:
    """The markdown rendered as GitHub does its comments (CommonMark with GFM tables), as a tree."""
    tree = _Tree()
    tree.feed(MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown))
    tree.close()
    assert [n.tag for n in tree.open] == ["root"], "an element was left open"
    return tree.root


def rows(table: Node) -> list[list[str]]:
    """A table's rows (the header first) as the text of each cell."""
    return [[cell.text().strip() for cell in tr.children if isinstance(cell, Node)] for tr in table.all("tr")]


def details(root: Node) -> dict[str, list[list[str]]]:
    """Each top-level <details> block: its <summary> text -> the rows of the one table inside it."""
    blocks = {}
    for block in root.all("details"):
        tables = block.all("table")
        assert len(tables) == 1, block.text()
        blocks[block.all("summary")[0].text()] = rows(tables[0])
    return blocks


def clearance(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return run([str(BIN / "clearance"), *args], cwd, check=False)


@pytest.fixture(scope="module")
def relabelled(journey: Journey, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CI tests' changed-data case, committed: the finished journey at HEAD~1, half its labels rotated and
    step 1 re-run at HEAD; `origin/main` names HEAD~1, as the base branch of a pull request would."""
    project = copy_project(journey, tmp_path_factory.mktemp("relabelled") / "project")
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-q", "-m", "four steps cleared"], project)
    relabel_half(journey, project)
    code, output = repro(project, "judge_inspect")
    assert code == 0, output
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-q", "-m", "relabelled"], project)
    run(["git", "update-ref", "refs/remotes/origin/main", "HEAD~1"], project)
    return project


def test_relabelled_data_renders_a_table_per_step_naming_the_fingerprint_change(journey: Journey,
                                                                                 relabelled: Path) -> None:
    shown = clearance(["diff", "--format", "markdown", "HEAD~1"], relabelled)
    assert shown.returncode == 0, shown.stderr
    root = html_of(shown.stdout)
    summary = rows(root.all("table")[0])
    assert summary[0] == SUMMARY_HEAD
    by_step = {row[0]: dict(zip(SUMMARY_HEAD, row)) for row in summary[1:]}
    assert list(by_step) == ["1 inspect", "2 baselines", "3 model", "4 sweep"]
    before = journey.reviewed["inspect"]
    after = json.loads((relabelled / "reports/inspect/evidence.json").read_text())["fingerprint"]
    assert before != after
    assert by_step["1 inspect"]["evidence fingerprint"] == f"changed: {before} → {after}"
    assert int(by_step["1 inspect"]["checks moved"]) > 0
    assert all(by_step[s]["evidence fingerprint"] == "unchanged" for s in ("2 baselines", "3 model", "4 sweep"))
    blocks = details(root)
    assert len(root.all("table")) == 1 + len(blocks)  # the summary, then one per step that changed
    (headline, table), = blocks.items()  # only step 1 moved
    assert headline == f"step 1 inspect: evidence fingerprint {before} -> {after} (changed)"
    assert table[0] == ["what", "item", "HEAD~1", "working tree"]
    assert ["evidence fingerprint", "", before, after] in table
    moved = [row for row in table if row[0] == "check"]
    assert len(moved) == int(by_step["1 inspect"]["checks moved"])
    # The JSON form read from the same records: the same checks moved, the same steps changed.
    doc = json.loads(clearance(["diff", "--json", "HEAD~1"], relabelled).stdout)
    inspect = doc["steps"][0]
    assert {row[1] for row in moved} == {c["id"] for c in inspect["checks_moved"] + inspect["checks_added"]
                                         + inspect["checks_removed"]}
    assert [s["step"] for s in doc["steps"] if s["changed"]] == ["inspect"]


def set_answer(path: Path, question: str, answer: str) -> None:
    """Give ``question`` its answer as a double-quoted YAML scalar (any text stays valid YAML)."""
    lines, current = [], ""
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if found := re.match(r"^\s*-\s+id:\s*(\S+)\s*$", line):
            current = found.group(1)
        if current == question and (found := re.match(r"^(\s+answer:)", line)):
            line = f"{found.group(1)} {json.dumps(answer, ensure_ascii=False)}\n"
        lines.append(line)
    path.write_text("".join(lines), encoding="utf-8")


HOSTILE = ("Split | by a pipe,\nthen a newline, `code`, ``` a fence, *stars* and _under_ [a](link) $x$ ~~gone~~, "
           "<b>bold</b> </details></td></table> &amp; a backslash \\| before a pipe. Measured 60% neutral.")


def test_user_text_with_pipes_newlines_and_backticks_keeps_the_table(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    project = make_project(tmp_path / "project")
    set_answer(project / "checklists/inspect.yaml", "label_balance", HOSTILE)
    shown = subprocess.run([sys.executable, "-m", "clearance", "diff", "--format", "markdown"], cwd=project,
                           capture_output=True, text=True, check=False)
    assert shown.returncode == 0, shown.stderr
    root = html_of(shown.stdout)
    assert len(root.all("table")) == 2 and len(root.all("details")) == 1
    assert not root.all("b") and not root.all("em") and not root.all("code") and not root.all("a")
    (headline, table), = details(root).items()
    assert headline == f"step 1 inspect: evidence fingerprint {OLD_PRINT} (unchanged)"
    answer = next(row for row in table if row[0] == "answer")
    assert len(answer) == 4 and answer[1] == "label_balance"
    assert answer[3] == " ".join(HOSTILE.split())  # every character back, on one line
    assert all(len(row) == 4 for row in table)


def test_format_flag_json_alias_and_an_unknown_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    project = make_project(tmp_path / "project")

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "clearance", "diff", *args], cwd=project,
                              capture_output=True, text=True, check=False)

    assert cli("--json").stdout == cli("--format", "json").stdout
    assert cli().stdout == cli("--format", "text").stdout
    bogus = cli("--format", "html")
    assert bogus.returncode == 2 and "markdown" in bogus.stderr
    assert cmd_diff("HEAD", None, root=project, fmt="markdown") == 0
    assert "| 1 inspect | yes → yes | unchanged |" in capsys.readouterr().out


def long_diff(steps: int, answers: int) -> list[StepDiff]:
    """``steps`` steps, each with ``answers`` long answers changed, built without git (the renderer's input)."""
    text = "A long answer that goes on about the evidence | with pipes " * 6
    return [StepDiff(step=f"step{n}", order=n, fingerprint_a=OLD_PRINT, fingerprint_b=NEW_PRINT,
                     answers_changed=[AnswerChange(f"q{i}", text, text + str(i)) for i in range(answers)])
            for n in range(1, steps + 1)]


def test_an_oversized_diff_is_cut_under_the_limit_with_a_pointer() -> None:
    diffs = long_diff(steps=40, answers=30)
    markdown = render_markdown(diffs, "origin/main", WORKING_TREE)
    assert len(markdown) <= COMMENT_LIMIT < len(render_markdown(diffs, "origin/main", limit=10**9))
    root = html_of(markdown)
    assert len(rows(root.all("table")[0])) == 1 + 40  # the summary is whole
    blocks = details(root)
    assert 0 < len(blocks) < 40 and all(len(table) > 1 for table in blocks.values())
    last = root.all("p")[-1].text()
    kept = len(blocks)
    assert "Cut to fit a comment" in last and f"step {kept + 1} step{kept + 1}" in last
    assert "clearance diff origin/main --format text" in [c.text() for c in root.all("code")]


def test_a_summary_too_long_for_the_limit_is_cut_by_rows() -> None:
    markdown = render_markdown(long_diff(steps=300, answers=1), "main", "HEAD", limit=8_000)
    assert len(markdown) <= 8_000
    root = html_of(markdown)
    kept = len(rows(root.all("table")[0])) - 1
    assert 0 < kept < 300 and not root.all("details")
    assert f"the summary (rows {kept + 1} to 300)" in root.all("p")[-1].text()
    assert "clearance diff main HEAD --format text" in root.all("p")[-1].text()


def doc_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", CI_DOC.read_text(encoding="utf-8"), re.DOTALL)


def comment_workflow() -> dict:
    found = [yaml.safe_load(b) for b in doc_blocks("yaml") if b.startswith("name: clearance comment")]
    assert len(found) == 1, "docs/ci.md has no `clearance comment` workflow"
    return found[0]


def workflow_step(name: str) -> str:
    steps = comment_workflow()["jobs"]["comment"]["steps"]
    return next(s["run"] for s in steps if s.get("name", "").startswith(name))


def shell_recipe() -> str:
    found = [b for b in doc_blocks("sh") if "clearance diff --format markdown" in b]
    assert len(found) == 1, "docs/ci.md has no shell recipe for the comment"
    return found[0]


def test_the_shell_recipe_and_the_workflow_write_the_same_comment(relabelled: Path) -> None:
    """The recipe's commands, extracted from docs/ci.md and run as written, join both diffs into one
    comment that renders; the workflow's step runs the same commands."""
    workflow = workflow_step("Write the comment").replace("${{ github.base_ref }}", "main")
    recipe = shell_recipe()
    assert [line for line in workflow.splitlines() if "BASE=" not in line and "PATH" not in line] == [
        line for line in recipe.splitlines() if "BASE=" not in line]
    comments = {}
    for name, script in (("recipe", recipe), ("workflow", workflow)):
        done = run(["bash", "-e", "-c", script], relabelled, check=False)
        assert done.returncode == 0, (name, done.stdout, done.stderr)
        comments[name] = (relabelled / "comment.md").read_text(encoding="utf-8")
        (relabelled / "comment.md").unlink()
    assert comments["recipe"] == comments["workflow"]
    comment = comments["recipe"]
    assert comment.startswith(MARKER + "\n") and len(comment) <= 65_536
    root = html_of(comment)
    assert [h.text() for h in root.all("h3")] == ["dvc metrics diff: origin/main → working tree",
                                                  "clearance diff: origin/main → working tree"]
    tables = [rows(t) for t in root.all("table")]
    assert tables[0][0][0] == "Path" and any("reports/inspect/metrics.json" in r[0] for r in tables[0][1:])
    assert tables[1][0] == SUMMARY_HEAD and tables[1][1][0] == "1 inspect"
    assert list(details(root)) and all(k.startswith("step 1 inspect") for k in details(root))


FAKE_GH = """#!{python}
import json, os, subprocess, sys
args = sys.argv[1:]
with open(os.environ["GH_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if "--jq" in args:
    subprocess.run(["jq", "-r", args[args.index("--jq") + 1], os.environ["FAKE_COMMENTS"]], check=True)
"""


@pytest.mark.skipif(shutil.which("jq") is None, reason="the fake gh applies the step's --jq filter with jq")
@pytest.mark.parametrize("earlier, method", [([], "POST"), ([{"id": 42, "user": {"login": "github-actions[bot]"},
                                                               "body": MARKER + "\nold"}], "PATCH")])
def test_the_post_step_updates_its_own_comment(tmp_path: Path, earlier: list[dict], method: str) -> None:
    """The workflow's post step, run against a stand-in for `gh`: it edits the bot's marked comment when
    there is one, and otherwise posts one; a person's comment quoting the marker is left alone."""
    fake = tmp_path / "bin" / "gh"
    fake.parent.mkdir()
    fake.write_text(FAKE_GH.format(python=sys.executable), encoding="utf-8")
    fake.chmod(0o755)
    comments = [{"id": 7, "user": {"login": "ada"}, "body": MARKER + " quoted"},
                {"id": 8, "user": {"login": "github-actions[bot]"}, "body": "another bot comment"}, *earlier]
    (tmp_path / "comments.json").write_text(json.dumps(comments), encoding="utf-8")
    (tmp_path / "comment.md").write_text(MARKER + "\nnew", encoding="utf-8")
    env = {**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}", "GH_TOKEN": "t",
           "PR": "5", "GITHUB_REPOSITORY": "team/project", "GH_LOG": str(tmp_path / "log"),
           "FAKE_COMMENTS": str(tmp_path / "comments.json")}
    done = subprocess.run(["bash", "-e", "-c", workflow_step("Post it")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    calls = [json.loads(line) for line in (tmp_path / "log").read_text().splitlines()]
    target = ("repos/team/project/issues/comments/42" if method == "PATCH"
              else "repos/team/project/issues/5/comments")
    assert calls[-1] == ["api", "--method", method, target, "-F", "body=@comment.md"]
    workflow = comment_workflow()
    post = next(s for s in workflow["jobs"]["comment"]["steps"] if s.get("name", "").startswith("Post it"))
    assert set(post["env"]) == {"GH_TOKEN", "PR"} and workflow["permissions"]["pull-requests"] == "write"


def test_diff_steps_feed_all_three_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No step changed: the markdown says so, with no details block, like the text's "no change"."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    project = make_project(tmp_path / "project")
    root = html_of(render_markdown(diff_steps("HEAD", None, project)))
    assert not root.all("details") and "No step changed." in [p.text() for p in root.all("p")]
