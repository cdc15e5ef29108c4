"""The journey report's overview: prior guess, best baseline, step 3's model, best trial and final test
on the primary metric, and how the test split was used."""

from __future__ import annotations

from pathlib import Path

from clearance.core.paths import REPORTS_DIR
from clearance.core.records import MEASUREMENTS_FILE, METRICS_FILE
from clearance.journey.files import read_json, schemas
from clearance.sweep.final.files import FINAL_FILE
from clearance.sweep.search.files import SEEDS_FILE
from clearance.journey.figures import GUESSES
from clearance.journey.task import SINGLE, higher_is_better, journey_task
from clearance.journey.values import mapping, metric_value, number, show

NOT_REACHED = "not reached"
CHOSEN = {"reference": "step 3's model", "best": "the sweep's best configuration"}


def overview(root: Path, steps: list[dict], task: str | None = None) -> dict:
    """Prior guess, best baseline, step 3's model, best trial and final test on the primary metric, and which
    way it is better (``task``: clearance.journey.task; None reads it from the steps' files)."""
    folders = {s["step"]: s["folder"] for s in steps}

    def source(step: str, name: str) -> str:
        return f"{folders.get(step, (REPORTS_DIR / step).as_posix())}/{name}"

    known = schemas()
    base = mapping(read_json(root / source("baselines", METRICS_FILE), known["baselines/metrics"]))
    model = mapping(read_json(root / source("model", METRICS_FILE), known["model/metrics"]))
    sweep = mapping(read_json(root / source("sweep", MEASUREMENTS_FILE), known["sweep/measurements"]))
    seeds = mapping(read_json(root / source("sweep", SEEDS_FILE), known["sweep/seeds"]))
    final = mapping(read_json(root / source("sweep", FINAL_FILE), known["sweep/final"]))
    bar, model_bar = mapping(base.get("bar")), mapping(model.get("bar"))
    metric = (bar.get("metric") or base.get("primary_metric") or model_bar.get("metric")
              or sweep.get("metric") or final.get("metric") or "")
    best = mapping(sweep.get("best"))
    chosen = f"final model ({CHOSEN.get(final['chosen'], final['chosen'])})" if final.get("chosen") else "final model"
    model_score = number(model_bar.get("model"))
    if model_score is None:
        model_score = metric_value(model.get("valid"), metric, "valid")
    task = task or journey_task(root, metric)
    rows = [
        (GUESSES.get(task, GUESSES[SINGLE])[0], "valid (expected)", number(bar.get("prior_expected")),
         source("baselines", "metrics.json#bar")),
        (f"best baseline ({bar['best_baseline']})" if bar.get("best_baseline") else "best baseline", "valid",
         number(bar.get("valid")),
         source("baselines", "metrics.json#bar")),
        ("step 3's model", "valid", model_score, source("model", "metrics.json#bar")),
        ("step 3's configuration re-run at the sweep's budget (mean over seeds)", "valid",
         number(mapping(seeds.get("reference")).get("mean")), source("sweep", "seeds.json#reference")),
        (f"best trial (#{best['number']})" if "number" in best else "best trial", "valid", number(best.get("value")),
         source("sweep", "measurements.json#best")),
        (chosen, "valid", metric_value(final.get("valid"), metric, "valid"),
         source("sweep", "final.json#valid")),
        (chosen, "test", metric_value(final.get("test"), metric, "test"),
         source("sweep", "final.json#test")),
    ]
    return {"metric": metric, "task": task, "lower_is_better": bool(metric) and not higher_is_better(metric),
            "note": selection_note(base, number(mapping(final.get("ledger")).get("seen"))),
            "rows": [{"name": n, "split": s, "value": v, "text": show(v, "score") if v is not None else NOT_REACHED,
                      "source": src} for n, s, v, src in rows]}


def selection_note(baselines: dict, seen: float | None = None) -> str:
    """How the test split was used, said plainly (step 2's table also prints baselines' test scores)."""
    note = ("Every choice before the final test used the valid split only: the best baseline, step 3's "
            "model, the best trial and the final model were all picked on valid. The test split is scored "
            "only for the chosen model, and the ledger counts every scoring of it")
    if seen:
        note += (f": this test split has been scored {int(seen)} time(s)"
                 + (", so its score is no longer an unbiased estimate." if seen > 1 else "."))
    else:
        note += "."
    scored = any(str(k).startswith("test_") for b in mapping(baselines.get("baselines")).values()
                 for k in mapping(b))
    if scored:
        note += (" Step 2's report also lists the baselines' test scores for reference; "
                 "none of them was used to choose anything.")
    return note
