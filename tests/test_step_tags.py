"""Every run a step produced carries `clearance.step`, and the gate's run names and links them: filtering
`tags.clearance.step = 'baselines'` in the MLflow UI shows the step's whole evidence (the browser test)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import SimpleNamespace

from clearance.core.run_links import NOTE_TAG, STEP_RUNS_TAG, STEP_TAG, link_tags, stages_of, step_of
from clearance.core.paths import STEPS
from tests.test_ui import UI, chromium, driver, runs_by_name, store, tags_of, ui, wait_for  # noqa: F401


def store_runs(root: Path) -> list[dict]:
    """Every run of the project's store: name, id, status and tags, read straight from its SQLite file."""
    with sqlite3.connect(root / "mlflow.db") as db:
        rows = db.execute("select run_uuid, name, status from runs").fetchall()
        tags = db.execute("select run_uuid, key, value from tags").fetchall()
    by_run: dict[str, dict] = {run_id: {} for run_id, _, _ in rows}
    for run_id, key, value in tags:
        by_run[run_id][key] = value
    return [{"id": run_id, "name": name, "status": status, "tags": by_run[run_id]} for run_id, name, status in rows]


def test_every_stage_and_gate_belongs_to_one_of_the_four_steps():
    assert {step_of(f"gate_{step}") for step in STEPS} == set(STEPS)
    assert {step for step in STEPS if stages_of(step)} == set(STEPS)
    assert step_of("inspect") == "inspect" and step_of("read_model") == "model" and step_of("final_test") == "sweep"
    assert step_of("something_else") is None


def fake_run(name: str, run_id: str, parent: str | None = None) -> SimpleNamespace:
    tags = {"mlflow.parentRunId": parent} if parent else {}
    return SimpleNamespace(info=SimpleNamespace(run_id=run_id, run_name=name), data=SimpleNamespace(tags=tags))


def test_the_gate_links_each_top_level_run_and_counts_the_nested_ones():
    runs = [fake_run("baselines", "b1"), fake_run("majority", "m1", "b1"), fake_run("tfidf_logreg", "t1", "b1")]
    tags = link_tags("baselines", "7", runs)
    assert tags[STEP_RUNS_TAG] == "b1"
    assert "[baselines](#/experiments/7/runs/b1) (2 nested runs)" in tags[NOTE_TAG]
    assert "tags.clearance.step = 'baselines'" in tags[NOTE_TAG]
    assert "m1" not in tags[NOTE_TAG]


def test_every_run_of_the_journey_is_filed_under_its_step(journey):
    runs = store_runs(journey.root)
    untagged = [r["name"] for r in runs if STEP_TAG not in r["tags"]]
    assert not untagged, untagged
    by_id = {r["id"]: r for r in runs}
    # A nested run (a baseline, a trial, a seed's run) sits in its parent's step.
    for run in runs:
        parent = run["tags"].get("mlflow.parentRunId")
        if parent in by_id:
            assert run["tags"][STEP_TAG] == by_id[parent]["tags"][STEP_TAG], run["name"]
    steps = {r["name"]: r["tags"][STEP_TAG] for r in runs}
    assert steps["baselines"] == "baselines" and steps["tfidf_logreg"] == "baselines"
    assert steps["model"] == "model" and steps["trial_0"] == "sweep" and steps["gate_sweep"] == "sweep"


def test_each_gate_run_links_the_latest_runs_of_its_step(journey):
    runs = store_runs(journey.root)
    for step in STEPS:
        gate = max((r for r in runs if r["name"] == f"gate_{step}" and r["status"] == "FINISHED"),
                   key=lambda r: r["tags"].get(STEP_RUNS_TAG, ""))
        linked = gate["tags"][STEP_RUNS_TAG].split(",")
        names = {r["name"] for r in runs if r["id"] in linked}
        assert names == {r["name"] for r in runs if r["id"] in linked and r["tags"][STEP_TAG] == step}
        assert {"inspect": {"inspect"}, "baselines": {"baselines"}, "model": {"model", "read_model"},
                "sweep": {"sweep", "seed_runs", "final_test"}}[step] <= names, (step, names)
        for run_id in linked:
            assert f"/runs/{run_id})" in gate["tags"][NOTE_TAG]


SEARCH_BOX = "input[placeholder*='metrics.']"  # the runs table's search box (its example names metrics.rmse)


def test_the_step_filter_in_the_ui_shows_the_steps_runs_and_no_others(ui: UI, driver, tmp_path: Path):
    runs = runs_by_name(ui.port)
    step_runs = {name for name, r in runs.items() if tags_of(r).get(STEP_TAG) == "baselines"
                 and "mlflow.parentRunId" not in tags_of(r)}
    others = {name for name, r in runs.items() if tags_of(r).get(STEP_TAG) not in (None, "baselines")}
    assert step_runs >= {"baselines", "gate_baselines"}
    driver.get(ui.url)
    wait_for(driver, lambda d: d.find_elements("css selector", SEARCH_BOX))
    box = driver.find_element("css selector", SEARCH_BOX)
    box.send_keys(f"tags.{STEP_TAG} = 'baselines'\n")

    def rows(d) -> set[str]:
        return {line.strip() for line in d.find_element("css selector", "[role=grid]").text.splitlines()}

    wait_for(driver, lambda d: step_runs <= rows(d) and not (others & rows(d)))
    driver.save_screenshot(str(tmp_path / "step-filter.png"))
    shown = rows(driver)
    assert step_runs <= shown, sorted(shown)[:50]
    assert not others & shown, sorted(others & shown)
