"""The journey report: every step's answers, waivers, checks and key figures in one page.

It reads only files the steps and gates wrote (question files, checks, metrics, gate
stamps, run ids) and the git commit: no MLflow, no torch. A step whose files are
missing is shown as not reached, so the report can be written at any point.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from clearance.core.errors import UserError
from clearance.core.paths import CHECKLIST_DIR, GATE_DIR, REPORTS_DIR
from clearance.core.records import GateStamp

TEMPLATE = Path(__file__).with_name("report.html.j2")  # extends clearance/core/report/templates/base.html.j2

SUMMARY = REPORTS_DIR / "summary.html"
# Failing checks first, then warnings: the ones a reviewer must read.
STATUS_RANK = {"fail": 0, "warn": 1, "pass": 2}
# One plot per step keeps the page small; each is inlined only when present.
PLOTS = {"inspect": ("class_balance.png",), "baselines": ("confusion.png",), "model": ("loss.png",)}
MAX_PLOT_BYTES = 300_000
NOT_REACHED = "not reached"
CHOSEN = {"reference": "step 3's model", "best": "the sweep's best configuration"}


# ---------------------------------------------------------------- reading files

def schemas() -> dict[str, Any]:
    """Each file the journey reads, by "<step>/<name>", with the schema its stage writes it through."""
    from clearance.core.records import BaselinesMetrics, ModelMetrics
    from clearance.inspection.measure.files import InspectMetrics
    from clearance.sweep.final.files import FinalRecord, Registered
    from clearance.sweep.search.files import SeedReruns, SweepMeasurements

    return {"inspect/metrics": InspectMetrics, "baselines/metrics": BaselinesMetrics, "model/metrics": ModelMetrics,
            "sweep/measurements": SweepMeasurements, "sweep/seeds": SeedReruns, "sweep/final": FinalRecord,
            "sweep/registered": Registered}


def read_json(path: Path, schema: Any = None) -> Any:
    """A stage's JSON file, checked against its schema (a file that lacks a key fails, naming it), or None
    when the stage has not written it yet: only a step not reached shows as such."""
    from clearance.core.records import read_dict
    from clearance.core.records import read_stage_json

    if not path.is_file():
        return None
    return read_dict(schema, path) if schema is not None else read_stage_json(path, "results")


def read_step_file(folder: Path, name: str) -> dict | None:
    """reports/<step>/<name>.json through its schema (the folder's name is the step)."""
    return read_json(folder / f"{name}.json", schemas().get(f"{folder.name}/{name}"))


def mapping(value: Any) -> dict:
    """``value`` if it is a dict, else an empty one: files written by older stages may lack a section."""
    return value if isinstance(value, dict) else {}


def number(value: Any) -> float | None:
    """A number, or None for anything else (booleans and text included)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def show(value: Any, kind: str = "num") -> str:
    """A value as the report prints it: ``pct`` (share), ``score`` (4 decimals), ``gain`` (signed),
    ``num`` or ``text``."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "text" or number(value) is None:
        if isinstance(value, dict):
            return ", ".join(f"{k}={show(v)}" for k, v in value.items())
        return str(value)
    if kind == "pct":
        return f"{100 * value:.2f}%"
    if kind == "score":
        return f"{value:.4f}"
    if kind == "gain":
        return f"{value:+.4f}"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.4g}"


def figure(label: str, value: Any, kind: str = "num") -> dict:
    """One key figure: raw value (for tests and readers of the data) and its printed text."""
    return {"label": label, "value": value, "text": show(value, kind)}


def metric_value(scores: dict, metric: str, split: str) -> float | None:
    """A split's score under its bare name (``macro_f1``) or prefixed (``valid_macro_f1``)."""
    scores = mapping(scores)
    found = scores.get(metric, scores.get(f"{split}_{metric}"))
    return number(found)


# ---------------------------------------------------------------- key figures per step

def inspect_figures(files: dict[str, dict]) -> list[dict]:
    """Step 1: size, balance, duplicates, leaks and the keyword rule."""
    metrics = files["metrics"]
    dup, patterns = mapping(metrics.get("duplicates")), mapping(metrics.get("patterns"))
    shares = mapping(metrics.get("class_share"))
    return [
        figure("rows", metrics.get("rows")),
        figure("classes", metrics.get("classes")),
        figure("class shares", ", ".join(f"{k} {show(v, 'pct')}" for k, v in shares.items()) or None, "text"),
        figure("imbalance ratio (largest / smallest class)", metrics.get("imbalance_ratio")),
        figure("rows dropped while loading", metrics.get("dropped_share"), "pct"),
        figure("exact duplicates", dup.get("exact_duplicate_share"), "pct"),
        figure("duplicates after normalising", dup.get("normalized_duplicate_share"), "pct"),
        figure("duplicates with conflicting labels", dup.get("conflicting_share"), "pct"),
        figure("held-out texts also in train", mapping(metrics.get("overlap")).get("held_out"), "pct"),
        figure("mis-decoded text (mojibake)", patterns.get("mojibake"), "pct"),
        figure("likely label issues", metrics.get("label_issue_share"), "pct"),
        figure("median words per text", mapping(metrics.get("length")).get("words_p50")),
        figure("keyword rule, macro-F1", mapping(metrics.get("keyword_rule")).get("macro_f1"), "score"),
    ]


def baselines_figures(files: dict[str, dict]) -> list[dict]:
    """Step 2: the bar every later model must clear."""
    metrics = files["metrics"]
    bar = mapping(metrics.get("bar"))
    metric = bar.get("metric") or metrics.get("primary_metric")
    return [
        figure("primary metric", metric, "text"),
        figure("best baseline", bar.get("best_baseline"), "text"),
        figure(f"best baseline, valid {metric}", bar.get("valid"), "score"),
        figure(f"prior guess (class proportions), expected {metric}", bar.get("prior_expected"), "score"),
        figure("best baseline, valid log loss", bar.get("valid_log_loss"), "score"),
        figure("prior guess, log loss", bar.get("prior_log_loss"), "score"),
        figure("uniform guess, log loss (ln K)", bar.get("uniform_log_loss"), "score"),
    ]


def model_figures(files: dict[str, dict]) -> list[dict]:
    """Step 3: the model's valid scores, its training and its place against the bar."""
    metrics = files["metrics"]
    bar, valid = mapping(metrics.get("bar")), mapping(metrics.get("valid"))
    metric = bar.get("metric", "")
    model, baseline = number(bar.get("model")), number(bar.get("baseline"))
    gain = model - baseline if model is not None and baseline is not None else None
    return [
        figure("trained", metrics.get("trained"), "text"),
        figure(f"valid {metric}", model if model is not None else metric_value(valid, metric, "valid"), "score"),
        figure("valid loss", valid.get("valid_loss"), "score"),
        figure("valid accuracy", valid.get("valid_accuracy"), "score"),
        figure(f"gain over the best baseline ({bar.get('best_baseline') or '–'})", gain, "gain"),
        figure("training steps", metrics.get("steps")),
        figure("samples per second", metrics.get("samples_per_second")),
    ]


def bootstrap(files: dict[str, dict]) -> dict:
    """The paired-seed bootstrap of the gain: in seeds.json (the re-runs' stage) or measurements.json."""
    return mapping(files["seeds"].get("bootstrap")) or mapping(files["measurements"].get("bootstrap"))


def spread(run: dict) -> str | None:
    """A configuration's seed re-runs as "mean ± std (n seeds)"."""
    if number(run.get("mean")) is None:
        return None
    std = f" ± {run['std']:.4f}" if number(run.get("std")) is not None else ""
    return f"{run['mean']:.4f}{std} ({len(run.get('values') or [])} seeds)"


def sweep_figures(files: dict[str, dict]) -> list[dict]:
    """Step 4: the search, its gain against seed noise, and the final test."""
    measurements, seeds, final = files["measurements"], files["seeds"], files["final"]
    trials = [mapping(t) for t in measurements.get("trials") or []]
    best, boot = mapping(measurements.get("best")), bootstrap(files)
    registered, ledger = files.get("registered", {}), mapping(final.get("ledger"))
    metric = measurements.get("metric") or final.get("metric") or ""
    interval = None
    if number(boot.get("low")) is not None and number(boot.get("high")) is not None:
        noise = " (includes 0: the gain is within seed noise)" if boot["low"] <= 0 <= boot["high"] else ""
        interval = f"[{show(boot['low'], 'gain')}, {show(boot['high'], 'gain')}]{noise}"
    return [
        figure("trials (complete / all)",
               f"{sum(t.get('state') == 'COMPLETE' for t in trials)} / {len(trials)}" if trials else None, "text"),
        figure("best trial", best.get("number")),
        figure(f"best trial, valid {metric}", best.get("value"), "score"),
        figure("best trial's values", mapping(best.get("params")) or None, "text"),
        figure(f"best configuration re-run, valid {metric}", spread(mapping(seeds.get("best"))), "text"),
        figure(f"step 3's configuration re-run, valid {metric}", spread(mapping(seeds.get("reference"))), "text"),
        figure("mean gain over step 3's configuration (paired seeds)", boot.get("mean_gain"), "gain"),
        figure("95% bootstrap interval of the gain", interval, "text"),
        figure("which model met the test split, and why", final.get("why"), "text"),
        figure(f"final model, valid {metric}", metric_value(final.get("valid"), metric, "valid"), "score"),
        figure(f"final model, test {metric}", metric_value(final.get("test"), metric, "test"), "score"),
        figure("times this test split has been scored (ledger)", number(ledger.get("seen")), "num"),
        figure("registered model", registered_text(registered) if final else None, "text"),
        figure("model URI", registered.get("model_uri"), "text"),
    ]


def registered_text(registered: dict) -> str:
    """The registry version of the final model, or why there is none (yet)."""
    if registered.get("name") and registered.get("version") is not None:
        return (f"{registered['name']} version {registered['version']}, registered after gate 4 "
                f"(fingerprint {registered.get('fingerprint') or '–'})")
    if registered.get("why"):
        return f"none: {registered['why']}"
    return "not yet: the model is registered only once gate 4 clears"


FIGURES = {"inspect": inspect_figures, "baselines": baselines_figures, "model": model_figures,
           "sweep": sweep_figures}


# The files a step's key figures come from, by name; any of them may be missing.
STEP_FILES = {"sweep": ("measurements", "seeds", "final", "registered")}


def step_files(step: str, folder: Path) -> dict[str, dict]:
    """A step's figure files, each {} when missing: metrics.json, or the sweep's own three."""
    return {name: mapping(read_step_file(folder, name)) for name in STEP_FILES.get(step, ("metrics",))}


# ---------------------------------------------------------------- the sweep's own tables

def importances(measurements: dict) -> dict:
    """Parameter importances, largest first, beside each one's Spearman correlation with the metric."""
    block, rhos = mapping(measurements.get("importances")), mapping(measurements.get("spearman"))
    values = sorted(mapping(block.get("values")).items(), key=lambda kv: -(number(kv[1]) or 0.0))
    return {"evaluator": str(block.get("evaluator") or ""), "note": str(block.get("note") or ""),
            "rows": [{"key": k, "value": v, "text": show(v, "score"), "rho": show(number(rhos.get(k)), "gain")}
                     for k, v in values]}


def complete_trials(measurements: dict) -> list[tuple[int, float]]:
    """(trial number, valid score) of the complete trials, by number."""
    trials = [mapping(t) for t in measurements.get("trials") or []]
    return sorted((t["number"], t["value"]) for t in trials if t.get("state") == "COMPLETE"
                  and number(t.get("value")) is not None and number(t.get("number")) is not None)


def budget_curve(measurements: dict) -> list[tuple[int, float]]:
    """(trial number, best valid score so far) over the complete trials: did more trials still help?"""
    better = min if measurements.get("direction") == "minimize" else max
    curve: list[tuple[int, float]] = []
    for trial, value in complete_trials(measurements):
        curve.append((trial, value if not curve else better(curve[-1][1], value)))
    return curve


def curve_svg(points: list[tuple[int, float]], curve: list[tuple[int, float]],
              width: int = 420, height: int = 160, pad: int = 34) -> str:
    """Each trial's score (dots) and the best so far (steps) as inline SVG: nothing to load.

    Only numbers go into the markup, so it is safe to insert as is.
    """
    if len(curve) < 2:
        return ""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    x_span, y_span = (max(xs) - min(xs)) or 1, (max(ys) - min(ys)) or 1

    def at(x: float, y: float) -> tuple[float, float]:
        return (pad + (x - min(xs)) / x_span * (width - 2 * pad),
                height - pad - (y - min(ys)) / y_span * (height - 2 * pad))

    steps = [curve[0]] + [p for prev, cur in zip(curve, curve[1:]) for p in ((cur[0], prev[1]), cur)]
    line = " ".join("{:.1f},{:.1f}".format(*at(x, y)) for x, y in steps)
    dots = "".join('<circle cx="{:.1f}" cy="{:.1f}" r="3" fill="#9bb7d9"/>'.format(*at(x, y)) for x, y in points)
    return (f'<svg width="{width}" height="{height}" role="img" aria-label="valid score by trial number">'
            f'<rect x="{pad}" y="{pad // 2}" width="{width - 2 * pad}" height="{height - pad - pad // 2}" '
            f'fill="none" stroke="#ddd"/>{dots}'
            f'<polyline points="{line}" fill="none" stroke="#1f5fa8" stroke-width="2"/>'
            f'<text x="{pad}" y="{height - 8}" font-size="11">trial {min(xs)}</text>'
            f'<text x="{width - pad}" y="{height - 8}" font-size="11" text-anchor="end">trial {max(xs)}</text>'
            f'<text x="2" y="{pad // 2 + 10}" font-size="11">{max(ys):.4f}</text>'
            f'<text x="2" y="{height - pad}" font-size="11">{min(ys):.4f}</text></svg>')


def sweep_detail(measurements: dict) -> dict:
    """What only step 4 has: importances and the budget curve."""
    curve = budget_curve(measurements)
    return {"importances": importances(measurements), "curve": curve,
            "curve_svg": curve_svg(complete_trials(measurements), curve),
            "trials": len(measurements.get("trials") or [])}


# ---------------------------------------------------------------- one step

def gate_state(stamp: Any, evidence: Any) -> dict:
    """Whether the gate cleared, against which reviewed fingerprint, and whether that is still current."""
    stamp, now = mapping(stamp), mapping(evidence).get("fingerprint", "")
    reviewed = str(stamp.get("reviewed", ""))
    if not stamp.get("cleared"):
        return {"state": "not cleared", "reviewed": "", "current": now, "cleared_by": "", "cleared_at": "",
                "text": "not cleared yet"}
    # Stamps written before sign-off was recorded lack these: shown as nothing rather than failing.
    signed = {"cleared_by": str(stamp.get("cleared_by") or ""), "cleared_at": str(stamp.get("cleared_at") or "")}
    by = f" by {signed['cleared_by']}" if signed["cleared_by"] else ""
    at = f" on {signed['cleared_at']}" if signed["cleared_at"] else ""
    if now and reviewed != now:
        return {"state": "stale", "reviewed": reviewed, "current": now, **signed,
                "text": f"cleared{by}{at} against evidence {reviewed}; the evidence has changed since (now {now})"}
    return {"state": "cleared", "reviewed": reviewed, "current": now, **signed,
            "text": f"cleared{by}{at} against reviewed evidence {reviewed}"}


def check_rows(checks: list, waived: set[str]) -> list[dict]:
    """The step's checks as table rows, failing and warned first (stable within a status)."""
    # An empty structure (e.g. "no class missing anywhere") reads better as a dash.
    rows = [{"id": c.id, "status": c.status, "value": None if c.value in ({}, [], "") else c.value,
             "threshold": c.threshold, "direction": c.direction, "message": c.message,
             "waived": c.status == "fail" and c.id in waived} for c in checks]
    return sorted(rows, key=lambda r: STATUS_RANK.get(r["status"], 3))


def waiver_rows(checklist, checks: list) -> list[dict]:
    """Every waiver with its reason, and what its check says now (a waiver may outlive its failure)."""
    status = {c.id: c.status for c in checks}
    return [{"check": w.check, "reason": w.reason.strip(), "now": status.get(w.check, "no such check")}
            for w in checklist.waivers]


def run_ids(folder: Path) -> dict:
    """The MLflow run the step's measuring stage logged (run.json), "" for each id not recorded."""
    from clearance.core.records import RunRecord

    run = mapping(read_json(folder / "run.json", RunRecord))
    return {key: str(run.get(key) or "") for key in ("run_id", "experiment_id", "stage")}


def other_runs(files: dict[str, dict]) -> list[dict]:
    """Runs a step's files name besides its stage's: the best trial's and the final test's."""
    best = mapping(files.get("measurements", {}).get("best"))
    named = [("best trial", best.get("run_id")), ("final test", files.get("final", {}).get("run_id")),
             ("registration", files.get("registered", {}).get("run_id"))]
    return [{"what": what, "run_id": str(run)} for what, run in named if run]


def relative(path: Path, root: Path) -> str:
    """A path as the user knows it: relative to the project root when inside it."""
    return (path.relative_to(root) if path.is_relative_to(root) else path).as_posix()


def plots(step: str, folder: Path) -> list[dict]:
    """The step's one key plot inlined as a data: URI, when present and small enough."""
    from clearance.core.report.html import embed_png

    found = [folder / "plots" / name for name in PLOTS.get(step, ())]
    return [{"name": p.name, "uri": embed_png(p)} for p in found
            if p.is_file() and p.stat().st_size <= MAX_PLOT_BYTES]


def build_step(root: Path, checklist, gates: Path) -> dict:
    """Everything the report shows about one step; ``reached`` is False until its stage wrote files."""
    from clearance.checklist.results import read_checks

    checks_path = root / checklist.checks
    folder = checks_path.parent
    files = step_files(checklist.step, folder)
    checks = read_checks(checks_path) if checks_path.is_file() else []
    stamp = read_json(gates / f"{checklist.step}.json", GateStamp)
    # The gate's own list: a waiver whose reason falls short of its rules waives nothing.
    waived = set(stamp.get("waived") or []) if stamp else set()
    figures = FIGURES.get(checklist.step, lambda _: [])(files)
    return {
        "step": checklist.step, "title": checklist.title, "order": checklist.order,
        "reached": bool(checks or any(files.values())),
        "questions_file": relative(checklist.path, root),
        "folder": relative(folder, root),
        "report": str(checklist.report) if checklist.report and (root / checklist.report).is_file() else "",
        "gate": gate_state(stamp, read_json(folder / "evidence.json")),
        "answers": [{"id": q.id, "question": q.question, "answer": q.answer.strip(), "answered": q.answered}
                    for q in checklist.questions],
        "waivers": waiver_rows(checklist, checks),
        "checks": check_rows(checks, waived),
        "counts": {s: sum(c.status == s for c in checks) for s in STATUS_RANK},
        "figures": [f for f in figures if f["value"] is not None],
        "run": run_ids(folder),
        "other_runs": other_runs(files),
        "plots": plots(checklist.step, folder),
        "sweep": sweep_detail(files["measurements"]) if checklist.step == "sweep" else None,
    }


# ---------------------------------------------------------------- the whole journey

def overview(root: Path, steps: list[dict]) -> dict:
    """Prior guess, best baseline, step 3's model, best trial and final test on the primary metric."""
    folders = {s["step"]: s["folder"] for s in steps}

    def source(step: str, name: str) -> str:
        return f"{folders.get(step, (REPORTS_DIR / step).as_posix())}/{name}"

    known = schemas()
    base = mapping(read_json(root / source("baselines", "metrics.json"), known["baselines/metrics"]))
    model = mapping(read_json(root / source("model", "metrics.json"), known["model/metrics"]))
    sweep = mapping(read_json(root / source("sweep", "measurements.json"), known["sweep/measurements"]))
    seeds = mapping(read_json(root / source("sweep", "seeds.json"), known["sweep/seeds"]))
    final = mapping(read_json(root / source("sweep", "final.json"), known["sweep/final"]))
    bar, model_bar = mapping(base.get("bar")), mapping(model.get("bar"))
    metric = (bar.get("metric") or base.get("primary_metric") or model_bar.get("metric")
              or sweep.get("metric") or final.get("metric") or "")
    best = mapping(sweep.get("best"))
    chosen = f"final model ({CHOSEN.get(final['chosen'], final['chosen'])})" if final.get("chosen") else "final model"
    model_score = number(model_bar.get("model"))
    if model_score is None:
        model_score = metric_value(model.get("valid"), metric, "valid")
    rows = [
        ("prior guess (class proportions)", "valid (expected)", number(bar.get("prior_expected")),
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
    return {"metric": metric, "note": selection_note(base, number(mapping(final.get("ledger")).get("seen"))),
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


def git_state(root: Path) -> dict:
    """The commit checked out in ``root`` ("" outside git) and whether the working tree has changes."""
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout if out.returncode == 0 else None

    commit = (git("rev-parse", "HEAD") or "").strip()
    if not commit:
        return {"commit": "", "dirty": False, "changed": 0}
    changed = [line for line in (git("status", "--porcelain") or "").splitlines() if line.strip()]
    return {"commit": commit, "dirty": bool(changed), "changed": len(changed)}


def runs(steps: list[dict]) -> list[dict]:
    """Every MLflow run id the files record: each stage's run, then the runs its files name."""
    found = []
    for s in steps:
        if s["run"]["run_id"]:
            found.append({"step": s["step"], **s["run"]})
        found += [{"step": s["step"], "run_id": o["run_id"], "experiment_id": s["run"]["experiment_id"],
                   "stage": o["what"]} for o in s["other_runs"]]
    return found


def build_journey(root: Path, checklists: Path | None = None, gates: Path | None = None) -> dict:
    """The whole journey as plain data: steps in their `order:`, the overview, runs and commit.

    ``checklists`` and ``gates`` default to the project's checklists/ and gates/ folders.
    """
    from clearance.checklist.questions import find_checklists

    root = Path(root).resolve()
    folder = root / (checklists if checklists is not None else CHECKLIST_DIR)
    found = find_checklists(folder) if folder.is_dir() else []
    if not found:
        raise UserError(str(folder), "no question files (checklists/<step>.yaml)",
                        "run `clearance report` in the project's root, or restore checklists/ from git")
    gates = root / (gates if gates is not None else GATE_DIR)
    steps = [build_step(root, c, gates) for c in found]
    cleared = [s for s in steps if s["gate"]["state"] == "cleared"]
    return {
        "project": root.name,
        "steps": steps,
        "complete": len(cleared) == len(steps),
        "reached": sum(s["reached"] for s in steps),
        "overview": overview(root, steps),
        "runs": runs(steps),
        "git": git_state(root),
    }


def write_journey(root: Path, out: Path | None = None, checklists: Path | None = None,
                  gates: Path | None = None) -> Path:
    """Render the journey to ``out`` (default reports/summary.html under ``root``); returns its path.

    ``checklists`` and ``gates`` are the question files' and gate stamps' folders, relative to ``root``.
    """
    from clearance.core.report.html import write_report

    root = Path(root).resolve()
    journey = build_journey(root, checklists, gates)
    target = out if out is not None else root / SUMMARY
    return write_report(TEMPLATE, {"title": f"{journey['project']}: the journey", **journey}, target)
