"""Every step's report leads with what needs reading: right after its header, the checks that fail or warn
(fail first), each with its fix; then the step's evidence; the passing checks last, in a compact table of id,
value and threshold with no fix. A report whose checks all pass says so up top. Read with an HTML parser."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.factory import make_texts

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


# -- a small document tree, from the standard library's parser ---------------------------------------------------

@dataclass
class Node:
    """An element: its tag, attributes and children (nodes or text)."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        """The text inside, whitespace collapsed."""
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def iter(self, tag: str) -> Iterator[Node]:
        """Every element below with ``tag``, in document order."""
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag:
                    yield child
                yield from child.iter(tag)

    def elements(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        if any(n.tag == tag for n in self.stack[1:]):
            while self.stack.pop().tag != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    return next(builder.root.iter("body"))


def sections(body: Node) -> list[tuple[str, list[Node]]]:
    """The body cut at each h2: ("" for the header before the first, then each h2's id) and its elements."""
    cut: list[tuple[str, list[Node]]] = [("", [])]
    for node in body.elements():
        if node.tag == "h2":
            cut.append((node.attrs.get("id", ""), []))
        cut[-1][1].append(node)
    return cut


def rows(nodes: list[Node]) -> list[tuple[str, list[str]]]:
    """(check id, cell texts) of each check row in the tables among ``nodes``."""
    return [(tr.attrs["id"].removeprefix("check-"), [td.text() for td in tr.iter("td")])
            for table in (n for n in nodes if n.tag == "table") for tr in table.iter("tr") if "id" in tr.attrs]


def words(text: str) -> str:
    return " ".join(text.split())


# -- what every step's report must show ---------------------------------------------------------------------------

def assert_leads_with_attention(html: str, checks: list[dict[str, Any]]) -> dict[str, list[Node]]:
    """The layout of the issue, for a report and the checks.json written beside it; returns the sections."""
    body = parse(html)
    cut = sections(body)
    ids = [name for name, _ in cut]
    assert [n.tag for n in cut[0][1]][:1] == ["h1"], "the header comes first"
    assert ids[1] == "checks", f"the first section after the header is the checks to read, not {ids[1]}"
    assert ids[-1] == "checks-passing", f"the passing checks come last, not {ids[-1]}"
    by_section = dict(cut)
    to_read = [c for c in checks if c["status"] == "fail"] + [c for c in checks if c["status"] == "warn"]
    leading = rows(by_section["checks"])
    assert [i for i, _ in leading] == [c["id"] for c in to_read]
    for (check_id, cells), check in zip(leading, to_read):
        assert cells[1] == check["status"] and cells[-1] == words(check["fix"]), check_id
        assert cells[-2] == words(check["message"]), check_id
    passed = [c for c in checks if c["status"] == "pass"]
    compact = rows(by_section["checks-passing"])
    assert [i for i, _ in compact] == [c["id"] for c in passed]
    assert all(len(cells) == 3 for _, cells in compact), "id, value and threshold only"
    passing_text = " ".join(n.text() for n in by_section["checks-passing"])
    for check in passed:
        assert not check["fix"] or words(check["fix"]) not in passing_text, check["id"]
    # a fix several passing checks share is advice for none of them: it is nowhere on the page
    shared = Counter(words(c["fix"]) for c in passed if c["fix"])
    needed = {words(c["fix"]) for c in to_read}
    for fix, times in shared.items():
        if times > 1 and fix not in needed:
            assert body.text().count(fix) == 0, fix
    anchors = [tr.attrs["id"] for tr in body.iter("tr") if tr.attrs.get("id", "").startswith("check-")]
    assert len(anchors) == len(set(anchors)) == len(checks), "one row, one anchor per check"
    return by_section


def assert_all_pass_up_top(html: str, checks: list[dict[str, Any]]) -> None:
    assert checks and all(c["status"] == "pass" for c in checks)
    top = assert_leads_with_attention(html, checks)["checks"]
    said = [n for n in top if n.attrs.get("id") == "checks-all-pass"]
    assert said and said[0].text().startswith("Every check passed"), [n.text() for n in top]
    assert not [n for n in top if n.tag == "table"], "no table of checks to read when none fails or warns"


def written(folder: Path) -> tuple[str, list[dict[str, Any]]]:
    """The report and the checks that a judging stage wrote in ``folder``."""
    return ((folder / "report.html").read_text(encoding="utf-8"),
            json.loads((folder / "checks.json").read_text(encoding="utf-8")))


# -- step 1 -------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def inspected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Step 1 measured once on clean keyword texts; its folder of reports (judged again by each test)."""
    from tests.test_inspect_checks import clean_texts, prepared, stage
    from clearance.inspection.measure.run import run_inspection

    folder = tmp_path_factory.mktemp("inspect")
    out, _ = prepared(clean_texts(), folder)
    run_inspection(stage(), out, folder / "reports")
    return folder / "reports"


def test_step_1_clean_says_every_check_passed_up_top(inspected: Path) -> None:
    from tests.test_inspect_checks import thresholds
    from clearance.inspection.judge.run import judge_inspection

    judge_inspection(thresholds(), inspected)
    assert_all_pass_up_top(*written(inspected))


def test_step_1_leads_with_its_failing_then_warning_checks(inspected: Path) -> None:
    from tests.test_inspect_checks import thresholds
    from clearance.inspection.judge.run import judge_inspection

    # limits that clean data trips: balanced classes over a warning at 0.5, too few rows per class
    judge_inspection(thresholds({"imbalance_warn": 0.5, "min_class_count": 1000}), inspected)
    html, checks = written(inspected)
    assert [(c["id"], c["status"]) for c in checks if c["status"] != "pass"] == [
        ("class_imbalance", "warn"), ("min_class_count", "fail")]
    cut = assert_leads_with_attention(html, checks)
    assert [i for i, _ in rows(cut["checks"])] == ["min_class_count", "class_imbalance"], "the failure first"
    assert list(cut).index("rows") == 2, "the evidence follows, in its order"


# -- step 2 -------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def baselines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Step 2 measured once, with its quick baselines, on clean keyword texts; its folder of reports."""
    from tests.test_baselines import prepared, stage
    from clearance.baselines.measure.run import run_baselines

    folder = tmp_path_factory.mktemp("baselines")
    out = prepared(make_texts(n_per_class=60, seed=0), folder)
    run_baselines(stage(run=["majority", "prior_random", "tfidf_logreg"]), out, folder / "reports")
    return folder / "reports"


def test_step_2_clean_says_every_check_passed_up_top(baselines: Path) -> None:
    from tests.test_baselines import thresholds
    from clearance.baselines.judge.run import judge_baselines

    judge_baselines(thresholds(), baselines)
    assert_all_pass_up_top(*written(baselines))


def test_step_2_leads_with_a_failing_check_before_the_bar(baselines: Path) -> None:
    from tests.test_baselines import thresholds
    from clearance.baselines.judge.run import judge_baselines

    judge_baselines(thresholds(min_gain_over_prior=0.99), baselines)
    html, checks = written(baselines)
    assert [c["id"] for c in checks if c["status"] != "pass"] == ["beats_prior"]
    cut = assert_leads_with_attention(html, checks)
    assert list(cut)[2:5] == ["bar", "metric", "results"], "the bar and the metric come after the checks"


# -- step 3 -------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model_runs() -> tuple[dict, dict]:
    """(probes.json, training.json) of a clean tiny model, as test_model_judge builds them."""
    from tests.test_model_judge import CPU, DIGESTS, training_record
    from tests.training_kit import kit, train_config
    from clearance.core.config.model import ProbeConfig
    from clearance.core.config.params import from_conf
    from clearance.core.records import jsonable
    from clearance.neural.training.step import no_autocast
    from clearance.small_model.measure.probes.suite import run_probes

    parts, train, valid = kit()
    probes_cfg = from_conf(ProbeConfig, "probes", overfit_max_steps=60, batch_size=8, decoded_samples=5)
    probes = run_probes(parts, train_config(), probes_cfg, list(train.texts), train, valid, CPU, no_autocast, seed=0)
    probes = {**probes, **DIGESTS, "classes": parts.classes, "parts": {"model": "tests.training_kit.BagOfWords"}}
    return json.loads(json.dumps(jsonable(probes))), json.loads(json.dumps(training_record(parts, train, valid)))


def test_step_3_clean_its_fix_shared_by_the_passing_tokenizer_checks_is_nowhere(model_runs, tmp_path: Path) -> None:
    from tests.test_model_judge import judged

    judged(tmp_path, *model_runs)
    html, checks = written(tmp_path)
    tokenizer = [c for c in checks if c["fix"].startswith("read the decoded samples in the report")]
    assert len(tokenizer) >= 4 and all(c["status"] == "pass" for c in tokenizer), "the case the layout is for"
    assert_leads_with_attention(html, checks)
    assert "read the decoded samples in the report" not in html


def test_step_3_skipped_training_leads_with_the_failing_probe_beside_its_explanation(model_runs, tmp_path) -> None:
    from tests.test_model_judge import judged, untrained

    probes = copy.deepcopy(model_runs[0])
    probes["eval_repeat"] = {"difference": 0.3, "still_training": ["drop"]}
    judged(tmp_path, probes, untrained())
    html, checks = written(tmp_path)
    cut = assert_leads_with_attention(html, checks)
    leading = rows(cut["checks"])
    assert leading[0][0] == "dropout_in_eval" and leading[0][1][1] == "fail"
    assert {"training_diverged", "overfitting", "beats_best_baseline", "beats_prior_guess"} <= {
        i for i, cells in leading[1:] if cells[1] == "warn"}, "the checks of the real run: not run"
    header = dict(sections(parse(html)))[""]
    assert header[-1].attrs.get("id") == "skipped", "the explanation sits right above the failing probes"
    assert list(cut)[2:4] == ["bar", "overfit"]


# -- step 4 -------------------------------------------------------------------------------------------------------

def test_step_4_complete_says_every_check_passed_up_top(tmp_path: Path) -> None:
    from tests.test_sweep_judge import complete, judge

    complete(tmp_path)
    judge(tmp_path)
    assert_all_pass_up_top(*written(tmp_path / "reports" / "sweep"))


def test_step_4_every_trial_failed_leads_with_the_failure_then_the_warnings(tmp_path: Path) -> None:
    from tests.test_sweep_judge import judge, measurements_doc, project, trial

    project(tmp_path, measurements_doc([trial(i, *(None,) * 5) for i in range(3)]))
    judge(tmp_path)
    html, checks = written(tmp_path / "reports" / "sweep")
    cut = assert_leads_with_attention(html, checks)
    assert rows(cut["checks"])[0][0] == "trials_completed" and len(rows(cut["checks"])) > 2
    assert list(cut)[2] == "comparison" and list(cut)[-2] == "trials"


# -- the macros on their own --------------------------------------------------------------------------------------

def render_checks(checks: list[dict[str, Any]]) -> str:
    """Both macros in a bare page, as a step's report places them."""
    from jinja2 import DictLoader, Environment, select_autoescape
    from clearance.core.report.html import SHARED

    page = ('{% from "checks.html.j2" import attention, passing %}<html><body><h1>Step</h1>'
            '{{ attention(checks) }}<h2 id="evidence">Evidence</h2>{{ passing(checks) }}</body></html>')
    env = Environment(loader=DictLoader({"page.html.j2": page,
                                         "checks.html.j2": (SHARED / "checks.html.j2").read_text(encoding="utf-8")}),
                      autoescape=select_autoescape(["html", "j2"]))
    return env.get_template("page.html.j2").render(checks=checks)


def check(check_id: str, status: str, fix: str = "do this", value: Any = 1.0) -> dict[str, Any]:
    return {"id": check_id, "status": status, "value": value, "threshold": 0.5, "direction": "max",
            "message": f"{check_id} is {status}", "fix": fix}


def test_fail_comes_before_warn_and_a_shared_fix_shows_only_where_it_is_needed() -> None:
    shared = "a long fix <that> several checks share"
    checks = [check("a", "pass", shared), check("b", "warn", "look at b"), check("c", "pass", shared),
              check("d", "fail", "repair d", value=None), check("e", "pass", shared, value={}),
              check("f", "warn", shared)]
    html = render_checks(checks)
    cut = assert_leads_with_attention(html, checks)
    assert [i for i, _ in rows(cut["checks"])] == ["d", "b", "f"]
    assert parse(html).text().count(shared) == 1, "once, for the warning that needs it"
    assert dict(rows(cut["checks"]))["d"][2] == "–" and dict(rows(cut["checks-passing"]))["e"][1] == "–"
    assert re.search(r'<tr id="check-a" title="a is pass">', html), "the message is one hover away"


def test_when_every_check_fails_or_warns_the_end_says_none_pass() -> None:
    checks = [check("a", "fail"), check("b", "warn")]
    cut = assert_leads_with_attention(render_checks(checks), checks)
    assert "None" in " ".join(n.text() for n in cut["checks-passing"])
