"""The seed re-runs reuse what the sweep already trained: step 3's configuration queued as the study's
first trial is the reference's first seed, the best trial's kept package the best one's; both are the
runs a re-run would make, to the last digit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from clearance.core.config.params import load_stage_config
from clearance.core.config.sweep import SweepStage
from clearance.sweep.search.kept import KEPT_FILE
from clearance.sweep.search.reference import reference_values, within
from clearance.sweep.search.seeds import no_tracking, rerun_seeds
from clearance.sweep.search.space import Dimension, flatten_keys
from clearance.sweep.search.trial import Setup
from tests.test_sweep_run import project, settings, sweep, template  # noqa: F401  (the tiny project fixtures)

KEPT = Path("models/sweep/trial")


def reruns(params: dict, measured: dict, target: str, reuse: bool) -> dict:
    """The seed_runs stage's work, with or without the sweep's trials to reuse."""
    stage = load_stage_config(SweepStage, params)
    setup = Setup(params, flatten_keys(stage.sweep.trial, section="sweep.trial"), "macro_f1", Path("data/prepared"))
    return rerun_seeds(stage, setup, measured["best"], no_tracking, best_dir=Path(target),
                       measured=measured if reuse else None, kept=KEPT)


def test_step_3s_configuration_is_the_first_trial(project: Path):
    params = settings()
    measured = sweep(params)
    first = measured["trials"][0]
    assert first["reference"] is True and first["seed"] == 42
    assert first["params"] == {"train.lr": params["train"]["lr"], "model.layers": params["model"]["layers"]}
    assert not any(t["reference"] for t in measured["trials"][1:]) and len(measured["trials"]) == 4


def test_reused_first_seeds_equal_the_runs_they_replace(project: Path):
    params = settings()
    measured = sweep(params)
    kept = json.loads((project / KEPT / KEPT_FILE).read_text())
    assert kept == {"study": measured["study"], "trial": measured["best"]["number"], "seed": 42}
    reused = reruns(params, measured, "models/sweep/best", reuse=True)
    trained = reruns(params, measured, "models/sweep/trained", reuse=False)
    assert reused["best"]["trials"] == [measured["best"]["number"], None]
    assert reused["reference"]["trials"] == [0, None] and trained["reference"]["trials"] == [None, None]
    assert reused["reference"]["run_ids"][0] == measured["trials"][0]["run_id"]
    for name in ("best", "reference"):
        assert reused[name]["values"] == trained[name]["values"]  # the premise: the same run, to the last digit
    assert reused["bootstrap"] == trained["bootstrap"]
    weights = [torch.load(project / folder / "weights.pt") for folder in ("models/sweep/best", "models/sweep/trained")]
    assert weights[0].keys() == weights[1].keys()
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    assert not (project / "models/sweep/best" / KEPT_FILE).exists()


def test_settings_outside_the_space_are_not_queued_and_are_trained(project: Path):
    params = settings({"train": {"lr": "loguniform(1e-4, 1e-3)"}, "model": {"layers": "choice(1, 2)"}})
    measured = sweep(params)  # step 3's lr, 3e-3, lies above the range
    assert not any(t["reference"] for t in measured["trials"])
    assert reruns(params, measured, "models/sweep/best", reuse=True)["reference"]["trials"] == [None, None]


def test_a_package_of_another_trial_is_not_reused(project: Path):
    params = settings()
    measured = sweep(params)
    note = project / KEPT / KEPT_FILE
    note.write_text(json.dumps({**json.loads(note.read_text()), "trial": 99}))
    again = reruns(params, measured, "models/sweep/best", reuse=True)
    assert again["best"]["trials"] == [None, None]  # trained, so its package is its own
    assert again["best"]["values"][0] == pytest.approx(measured["best"]["value"], abs=1e-9)


@pytest.mark.parametrize(("dim", "value", "inside"), [
    (Dimension("a", "choice", choices=(0.0, 0.01, 0.1)), 0.01, True),
    (Dimension("a", "choice", choices=(0.0, 0.01, 0.1)), 0, True),  # 0 == 0.0: Optuna's index finds it
    (Dimension("a", "choice", choices=(0, 1)), True, False),  # a bool is not the number 1
    (Dimension("a", "choice", choices=("x", "y")), "z", False),
    (Dimension("a", "loguniform", low=1e-5, high=1e-3), 3e-4, True),
    (Dimension("a", "loguniform", low=1e-5, high=1e-3), 3e-3, False),
    (Dimension("a", "int", low=1, high=6), 3, True),
    (Dimension("a", "int", low=1, high=6), 3.5, False),
    (Dimension("a", "uniform", low=0.0, high=1.0), None, False),
    (Dimension("a", "uniform", low=0.0, high=1.0), float("nan"), False),
])
def test_within(dim: Dimension, value, inside: bool):
    assert within(dim, value) is inside


def test_reference_values_read_the_composed_settings():
    dims = [Dimension("train.lr", "loguniform", low=1e-5, high=1e-3), Dimension("model.n", "choice", choices=(1, 2))]
    assert reference_values(dims, {"train": {"lr": 3e-4}, "model": {"n": 2}}) == {"train.lr": 3e-4, "model.n": 2}
    assert reference_values(dims, {"train": {"lr": 3e-4}, "model": {}}) is None


def test_when_step_3s_settings_win_the_reference_shares_the_best_ones_runs(project: Path):
    from clearance.sweep.search.seeds import rerun

    params = settings()
    measured = sweep(params)
    measured = {**measured, "best": measured["trials"][0]}  # step 3's own values, queued first, scored best
    shared = reruns(params, measured, "models/sweep/best", reuse=True)
    assert shared["reference"]["shared"] is True and shared["best"].get("shared") is not True
    assert shared["reference"]["values"] == shared["best"]["values"] and shared["reference"]["params"] == {}
    assert shared["bootstrap"]["mean_gain"] == 0
    stage = load_stage_config(SweepStage, params)
    setup = Setup(params, flatten_keys(stage.sweep.trial, section="sweep.trial"), "macro_f1", Path("data/prepared"))
    alone = rerun(setup, {}, [42, 43], "reference", Path("models/unused"), no_tracking)
    assert alone["values"] == shared["reference"]["values"]  # what training it separately would have given


@pytest.mark.parametrize("shared", [False, True])
def test_the_report_names_the_trials_reused_as_seeds(tmp_path: Path, shared: bool):
    from tests.test_sweep_judge import final_doc, judge, measurements_doc, report, section, seeds_doc
    from tests.test_sweep_judge import project as judged_project

    seeds = seeds_doc()
    seeds["best"]["trials"], seeds["reference"]["trials"] = [3, None, None], [0, None, None]
    seeds["reference"]["shared"] = shared
    judged_project(tmp_path, measurements_doc(), seeds, final_doc())
    judge(tmp_path)
    noise = section(report(tmp_path), "noise")
    assert "0.8011 <span class=\"muted\">(trial 3)</span>" in noise and "(trial 0)" in noise
    assert noise.count("(trial ") == 2 + 1  # the two reused seeds, and the legend
    assert ("no gain to find" in noise) is shared
