"""Which step each tracked run belongs to, and the gate run's links to its step's evidence.

Every run a step produces carries the tag ``clearance.step`` (inspect, baselines, model, sweep), so that
``tags.clearance.step = 'baselines'`` in the MLflow UI's search box shows a step's whole evidence: its
measuring run, the runs nested under it (baselines, trials) and the gate's run. The gate's run also names
each of them (tag ``clearance.step_runs``) and links them in its description.
"""

from __future__ import annotations

from typing import Any

STEP_TAG = "clearance.step"
STEP_RUNS_TAG = "clearance.step_runs"
# MLflow shows this tag as the run's description, rendered as markdown.
NOTE_TAG = "mlflow.note.content"
# A stage's run name -> its step. The gate's runs are `gate_<step>`.
STAGE_STEPS = {
    "inspect": "inspect",
    "baselines": "baselines",
    "model": "model", "probe_shortcuts": "model", "read_model": "model",
    "sweep": "sweep", "seed_runs": "sweep", "final_test": "sweep", "register": "sweep",
}
GATE_PREFIX = "gate_"


def step_of(stage: str) -> str | None:
    """The step a stage's run belongs to (None for a run outside the four steps)."""
    if stage.startswith(GATE_PREFIX):
        return stage[len(GATE_PREFIX):]
    return STAGE_STEPS.get(stage)


def step_tags(stage: str) -> dict[str, str]:
    """The tags that file a stage's run under its step."""
    step = step_of(stage)
    return {STEP_TAG: step} if step else {}


def inherited_step(parent_tags: dict[str, str] | None) -> dict[str, str]:
    """The step tag a nested run takes from its parent's tags (none when the parent has none)."""
    return {STEP_TAG: parent_tags[STEP_TAG]} if parent_tags and STEP_TAG in parent_tags else {}


def stages_of(step: str) -> list[str]:
    """The stages whose runs make up a step's evidence, in pipeline order."""
    return [stage for stage, owner in STAGE_STEPS.items() if owner == step]


def latest_step_runs(client: Any, experiment_id: str, step: str) -> list[Any]:
    """The latest finished run of each of the step's stages, then the runs nested under each.

    Earlier runs of a stage (from an earlier `dvc repro`) are not the evidence the gate clears."""
    runs = []
    for stage in stages_of(step):
        found = client.search_runs([experiment_id], f"tags.`clearance.stage` = '{stage}' and "
                                   f"attributes.status = 'FINISHED'", order_by=["attributes.start_time DESC"],
                                   max_results=100)
        # The stage's own run, not one nested under it that carries the stage's name too (a baseline).
        for parent in [run for run in found if "mlflow.parentRunId" not in run.data.tags][:1]:
            runs.append(parent)
            runs.extend(client.search_runs([experiment_id], f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'",
                                           order_by=["attributes.start_time ASC"], max_results=1000))
    return runs


def link_tags(step: str, experiment_id: str, runs: list[Any]) -> dict[str, str]:
    """The gate run's tags naming its step's runs: their ids, and a description linking each."""
    nested = {run.info.run_id for run in runs if run.data.tags.get("mlflow.parentRunId") in
              {r.info.run_id for r in runs}}
    lines = [f"Evidence of step `{step}`: filter the runs table with `tags.{STEP_TAG} = '{step}'`.", ""]
    for run in runs:
        if run.info.run_id in nested:
            continue
        children = sum(1 for r in runs if r.data.tags.get("mlflow.parentRunId") == run.info.run_id)
        extra = f" ({children} nested runs)" if children else ""
        lines.append(f"- [{run.info.run_name}](#/experiments/{experiment_id}/runs/{run.info.run_id}){extra}")
    # Tag values hold at most 8,000 characters in MLflow's stores: the ids of the top-level runs fit.
    ids = ",".join(run.info.run_id for run in runs if run.info.run_id not in nested)
    return {STEP_RUNS_TAG: ids[:8000], NOTE_TAG: "\n".join(lines)[:8000]}
