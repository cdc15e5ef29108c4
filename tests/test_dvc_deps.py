"""dvc.yaml lists every file each stage runs, so editing one re-runs exactly its stages."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.import_closure import closure, covered

STAGES = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


def entry_script(cmd: str) -> Path:
    """The Python file a stage's command runs (`python stages/x.py`, or the `clearance` CLI)."""
    words = shlex.split(cmd)
    if words[0] == "clearance":
        return Path("clearance/cli.py")
    assert words[0] == "python", f"unexpected stage command {cmd!r}"
    return Path(words[1])


@pytest.mark.parametrize("name", sorted(STAGES))
def test_every_imported_file_is_a_dependency(name: str):
    stage = STAGES[name]
    deps = [str(d) for d in stage.get("deps", [])]
    missing = sorted(str(p) for p in closure(entry_script(stage["cmd"]), REPO) if not covered(p, deps))
    assert not missing, f"stage {name} runs these files but does not list them in dvc.yaml deps: {missing}"


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


def test_a_missing_dependency_is_caught(tmp_path: Path):
    """Drop one imported file from a stage's deps: the check names it."""
    stage = STAGES["baselines"]
    deps = [d for d in stage["deps"] if d != "clearance/evaluation.py"]
    missing = [p for p in closure(entry_script(stage["cmd"]), REPO) if not covered(p, deps)]
    assert [p.as_posix() for p in missing] == ["clearance/evaluation.py"]


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
