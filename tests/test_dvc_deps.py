"""dvc.yaml names folders, and every module a stage runs lies under one of its deps, so editing any
file re-runs exactly the stages that use it; the package layout keeps those folders honest."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.import_closure import closure, covered, package_imports

DVC_YAML = REPO / "dvc.yaml"
STAGES = yaml.safe_load(DVC_YAML.read_text(encoding="utf-8"))["stages"]
STEPS = ("inspection", "baselines", "model", "sweep")
# Nine: a training stage names its inputs, its script, clearance/core, clearance/neural, its step and plugins.
MAX_DEPS, MAX_LINES = 9, 400


def entry_script(cmd: str) -> Path:
    """The Python file a stage's command runs (`python stages/x.py [args]`)."""
    words = shlex.split(cmd)
    assert words[0] == "python", f"unexpected stage command {cmd!r}"
    return Path(words[1])


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_imported_file_is_a_dependency(name: str):
    stage = STAGES[name]
    deps = [str(d) for d in stage.get("deps", [])]
    missing = sorted(str(p) for p in closure(entry_script(stage["cmd"]), REPO) if not covered(p, deps))
    assert not missing, f"stage {name} runs these files but does not list them in dvc.yaml deps: {missing}"


@pytest.mark.parametrize("name", sorted(STAGES))
def test_a_stage_names_a_few_folders(name: str):
    deps = [str(d) for d in STAGES[name].get("deps", [])]
    assert len(deps) <= MAX_DEPS, f"stage {name} has {len(deps)} deps (at most {MAX_DEPS}): {deps}"
    code = [d for d in deps if d.startswith("clearance/")]
    assert all((REPO / d).is_dir() for d in code), f"stage {name} names files of clearance/, not folders: {code}"


def test_dvc_yaml_reads_at_a_glance():
    assert len(DVC_YAML.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_every_stage_that_builds_or_applies_a_part_depends_on_plugins():
    users = {"baselines", "probe_model", "train_model", "sweep", "seed_runs", "final_test", "register"}
    assert {n for n, s in STAGES.items() if "plugins" in s.get("deps", [])} == users


def test_the_closure_sees_lazy_and_package_imports(tmp_path: Path):
    """The checker itself: imports inside functions and parent packages count; others do not."""
    (tmp_path / "clearance/sub").mkdir(parents=True)
    for name in ("clearance/__init__.py", "clearance/sub/__init__.py", "clearance/sub/deep.py"):
        (tmp_path / name).write_text("")
    (tmp_path / "clearance/lazy.py").write_text("def f():\n    from clearance.sub import deep\n")
    script = tmp_path / "stage.py"
    script.write_text("import os\nfrom clearance.lazy import f\n")
    found = {p.as_posix() for p in closure(script, tmp_path)}
    assert found == {"stage.py", "clearance/__init__.py", "clearance/lazy.py", "clearance/sub/__init__.py",
                     "clearance/sub/deep.py"}
    assert not covered(Path("clearance/sub/deep.py"), ["clearance/lazy.py", "clearance/subway"])
    assert covered(Path("clearance/sub/deep.py"), ["clearance/sub"])


def test_a_missing_dependency_is_caught():
    """Drop the step's measuring folder from a stage's deps: the check names the files it runs there."""
    stage = STAGES["baselines"]
    deps = [d for d in stage["deps"] if d != "clearance/baselines/measure"]
    missing = {p.as_posix() for p in closure(entry_script(stage["cmd"]), REPO) if not covered(p, deps)}
    assert "clearance/baselines/measure/run.py" in missing


# choose_final reads step 3's lr band to decide which model meets the test split, and writes only the
# decision: a moved band that changes no decision leaves its output byte for byte the same, so the
# final test after it does not re-run (tests/test_final_choice.py shows the bytes stay equal).
DECIDING = {"choose_final"}


def test_thresholds_feed_only_the_judging_stages():
    """Moving a threshold must never re-run a measuring stage."""
    for name, stage in STAGES.items():
        params = [str(p) for p in stage.get("params", [])]
        uses_checks = any(p == "checks" or p.startswith("checks.") for p in params)
        assert uses_checks == (name.startswith("judge_") or name in DECIDING), (name, params)
    assert all(str(p) == "checks.model.lr_band" for name in DECIDING for p in STAGES[name]["params"]
               if str(p).startswith("checks"))


# -- the package layout ----------------------------------------------------------------------------------------

def test_no_step_imports_another_step():
    """A step reads an earlier step's files, never its code."""
    found = [(src, dst, line) for src, dst, line in package_imports(REPO)
             if src.split(".")[0] in STEPS and dst.split(".")[0] in STEPS and src.split(".")[0] != dst.split(".")[0]]
    assert not found, "a step imports another step: " + "; ".join(f"{line} ({src} -> {dst})" for src, dst, line in found)


def test_the_core_and_the_engine_import_no_step():
    found = [(src, dst, line) for src, dst, line in package_imports(REPO)
             if src.split(".")[0] in ("core", "checklist") and dst.split(".")[0] not in ("core", "checklist")]
    found += [(src, dst, line) for src, dst, line in package_imports(REPO)
              if src.split(".")[0] == "core" and dst.split(".")[0] == "checklist"]
    assert not found, "; ".join(f"{line} ({src} -> {dst})" for src, dst, line in found)


def test_measuring_code_never_imports_judging_code():
    """So editing a step's checks, judging or report re-runs no measuring stage."""
    found = [(src, dst, line) for src, dst, line in package_imports(REPO)
             if src.split(".")[0] in STEPS and src.split(".")[-1] in ("measure", "search", "final")
             and dst.split(".")[-1] == "judge"]
    assert not found, "; ".join(f"{line} ({src} -> {dst})" for src, dst, line in found)


def test_the_package_graph_has_no_cycle():
    edges: dict[str, set[str]] = {}
    for src, dst, _ in package_imports(REPO):
        edges.setdefault(src, set()).add(dst)
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle between packages: " + " -> ".join(cycle or [])


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of a directed graph (as a path that returns to its start), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if state.get(nxt) is None and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if state.get(node) is None and (found := visit(node)):
            return found
    return None


def test_the_cycle_and_step_checks_catch_what_they_guard():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None


def test_the_layout_scan_names_a_step_that_imports_another(tmp_path: Path):
    """The scan the layout tests rely on: a planted import of one step by another is found, with its line."""
    for name in ("clearance/core/__init__.py", "clearance/alpha/measure/__init__.py",
                 "clearance/beta/judge/__init__.py", "clearance/beta/judge/checks.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (tmp_path / "clearance/alpha/measure/run.py").write_text("import os\n\nfrom clearance.beta.judge import checks\n")
    assert package_imports(tmp_path) == [("alpha.measure", "beta.judge", "clearance/alpha/measure/run.py:3")]


@pytest.mark.parametrize("script", sorted({entry_script(s["cmd"]).as_posix() for s in STAGES.values()}))
def test_every_stage_script_imports(script: str):
    """Loading a stage script (its imports, not its main) fails on a name its library no longer has."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"stage_{Path(script).stem}", REPO / script)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
