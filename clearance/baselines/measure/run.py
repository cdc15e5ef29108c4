"""Step 2's measuring: fit every baseline on train, score on valid and test, analyse the best.

Judging the results against thresholds is in ``clearance.baselines.judge.run``.
"""

from __future__ import annotations

import difflib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clearance.baselines.measure.files import MEASUREMENTS_FILE, MISTAKES_IN_REPORT, STEP, BaselinesMeasurements
from clearance.baselines.measure.metric_choice import chosen_metric, imbalance
from clearance.baselines.measure.models import REGISTRY, Baseline, CannotBuild
from clearance.baselines.measure.plugged import PluggedBaseline, is_plugged, name_of, plugged
from clearance.baselines.measure.task_analysis import write_task_analysis
from clearance.baselines.measure.task_facts import data_facts, task_facts
from clearance.baselines.measure.tasks import GUESSES as TASK_GUESSES
from clearance.baselines.measure.tasks import registry_of
from clearance.core import analysis
from clearance.core.config.baselines import BaselinesStage
from clearance.core.data.digest import splits_digest
from clearance.core.data.prepare import load_splits, load_summary
from clearance.core.errors import UserError
from clearance.core.evaluation import (
    METRICS,
    expected_losses,
    expected_prior_score,
    gain,
    pick_best,
    prior,
    score,
    score_task,
)
from clearance.core.row_outputs import BEST_TEST, BEST_VALID, RowOutputs
from clearance.core.records import settings_digest
from clearance.core.parts.plugins import plugins_digest
from clearance.core.parts.preprocess import preprocess_splits
from clearance.core.paths import PREPARED_DIR, report_dir
from clearance.core.progress import Countdown, note, step
from clearance.core.records import write_record
from clearance.core.report import plot_data, plots
from clearance.core.report.csv_safe import write_csv
from clearance.core.report.long_texts import Cutter
from clearance.core.records import METRICS_FILE, Bar, BaselinesMetrics
from clearance.core.task import SINGLE_LABEL, Task, task_of
from clearance.core.text.units import WHITESPACE, WordUnit, unit_of

# Random guesses are the floor, not candidates for the best baseline.
GUESSES = ("uniform_random", "prior_random")


@dataclass
class BaselineResult:
    """One baseline's scores on valid and test (or the error that stopped it)."""

    name: str
    description: str
    params: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)
    fit_seconds: float = 0.0
    error: str = ""
    skipped: str = ""  # why the data gives this baseline nothing to fit (models.CannotBuild)
    note: str = ""  # how the data changed the way it was built (e.g. features left out)
    sampled: dict[str, Any] | None = None  # fitted on a sample of train: {"rows", "from", "setting", "why"}
    # valid predictions and probabilities, kept for the error analysis
    valid_predicted: np.ndarray | None = field(default=None, repr=False)
    valid_probs: np.ndarray | None = field(default=None, repr=False)
    # test answers, kept for step 4's final test to read the chosen model's errors against them
    test_predicted: np.ndarray | None = field(default=None, repr=False)
    test_probs: np.ndarray | None = field(default=None, repr=False)

    def summary(self) -> dict[str, Any]:
        """What the report and the judging need (no arrays)."""
        return {"name": self.name, "description": self.description, "params": self.params,
                "metrics": self.metrics, "fit_seconds": self.fit_seconds, "error": self.error,
                "skipped": self.skipped, "note": self.note, "sampled": self.sampled}


@dataclass
class BaselinesOutcome:
    """What step 2 measured."""

    results: list[BaselineResult]
    best: str
    facts: dict[str, Any]
    files: dict[str, Path]
    splits: dict[str, pd.DataFrame]
    data_digest: str


def build(name: Any, classes: list[str], cfg: BaselinesStage, unit: WordUnit = WordUnit(WHITESPACE),
          index: int | None = None, task: str = SINGLE_LABEL) -> Baseline:
    """A baseline by name, with its configured settings; word features count ``unit``'s words (step 1's).

    ``name`` is the entry ``index`` of `baselines.run`: a built-in name (``task``'s own version of it), or a
    plug-in of plugins/ (`module.Class`, or a mapping with `_target_` and its settings), located and built
    here."""
    key = "baselines.run" if index is None else f"baselines.run[{index}]"
    if is_plugged(name):
        return plugged(name, key, classes, cfg.seed, task)
    known = REGISTRY if task == SINGLE_LABEL else registry_of(task)
    if not isinstance(name, str) or name not in known:
        close = difflib.get_close_matches(str(name), list(known), n=1)
        raise UserError(f"{key}={name}", "unknown baseline",
                        (f"did you mean {close[0]}? " if close else "")
                        + f"use any of: {', '.join(known)}, or a class of yours in plugins/ as module.Class "
                        "(docs/plugins.md, \"A baseline of your own\")")
    b = cfg.baselines
    extra: dict[str, Any] = {
        "keyword_rule": {"keyword_tokens": b.keyword_tokens, "min_token_count": b.min_token_count, "unit": unit},
        "tfidf_logreg": {**asdict(b.tfidf), "unit": unit},
        "embeddings_logreg": asdict(b.embeddings),
    }.get(name, {})
    return known[name](classes, cfg.seed, **extra)


def fit_and_score(baseline: Baseline, texts: dict[str, pd.Series], labels: dict[str, np.ndarray],
                  fit_rows: dict[str, set], task: Task | None = None) -> BaselineResult:
    """Fit on train (recording which rows it saw), score on valid and test (``task``'s metrics; None:
    single-label's)."""
    result = BaselineResult(baseline.name, baseline.description, dict(baseline.params))
    start = time.perf_counter()
    try:
        fit_rows[baseline.name] = set(texts["train"].index)
        baseline.fit(texts["train"], labels["train"])
        result.fit_seconds = time.perf_counter() - start
        result.sampled = getattr(baseline, "sampled", None)
        result.note = getattr(baseline, "note", "")
        for split in ("valid", "test"):
            if len(texts[split]) == 0:
                continue
            predicted, probs = baseline.predict_scored(texts[split])
            if task is None or task.name == SINGLE_LABEL:
                result.metrics.update(score(*as_text_labels(labels[split], predicted), probs, baseline.classes,
                                            split))
            else:
                result.metrics.update(score_task(task, labels[split], predicted, probs, split))
            setattr(result, f"{split}_predicted", predicted)
            setattr(result, f"{split}_probs", probs)
    except CannotBuild as exc:  # the data, not the code: a warning with the reason
        result.skipped = str(exc)
    # A failing baseline must not hide the others: its error becomes a failing check.
    except Exception as exc:  # noqa: BLE001
        result.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        if isinstance(baseline, PluggedBaseline):  # the user's code: the line of plugins/ it failed at
            result.error += baseline.failed_at(exc)
    return result


def as_text_labels(truth: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels as fixed-width strings for scoring: the same metrics, but the metrics' sorting of labels takes
    a third of the time it takes on Python objects (seconds per baseline at a million rows)."""
    try:
        return np.asarray(truth).astype(str), np.asarray(predicted).astype(str)
    except (TypeError, ValueError):  # a plug-in baseline predicting something else: scored as it is
        return truth, predicted


def time_left_weights(chosen: list[Baseline], train_rows: int) -> list[float]:
    """Each baseline's rough share of the work: its cost per row times the train rows it fits on."""
    return [float(getattr(b, "cost", 1.0)) * min(train_rows, getattr(b, "max_rows", None) or train_rows)
            for b in chosen]


def run_baselines(cfg: BaselinesStage, prepared: Path = PREPARED_DIR, out: Path | None = None,
                  baselines: list[Baseline] | None = None) -> BaselinesOutcome:
    """Step 2's measuring; ``baselines`` replaces the configured list (for tests and plug-ins)."""
    out = out or report_dir(STEP)
    out.mkdir(parents=True, exist_ok=True)
    metric = cfg.baselines.primary_metric
    if metric not in METRICS:
        raise UserError(f"baselines.primary_metric={metric}", "unknown metric", f"use one of: {', '.join(METRICS)}")
    splits, summary = load_splits(prepared), load_summary(prepared)
    classes, task = summary["classes"], task_of(summary)
    unit = unit_of(summary)
    # Built first: a misspelt entry of baselines.run stops the stage before the texts are preprocessed.
    chosen = baselines if baselines is not None else configured(cfg, classes, unit, task.name)
    with step("Preprocessing texts"):
        texts = preprocess_splits(splits, cfg.preprocess)
    labels = {name: frame["label"].to_numpy().astype(object) for name, frame in splits.items()}
    results, fit_rows = [], {}
    countdown = Countdown("baselines", len(chosen), time_left_weights(chosen, len(texts["train"])), every=0)
    for done, baseline in enumerate(chosen, start=1):
        with step(f"Baseline {baseline.name}: {baseline.description}"):
            results.append(fit_and_score(baseline, texts, labels, fit_rows, task))
            if results[-1].sampled:
                sampled = results[-1].sampled
                note(f"fitted on a stratified sample of {sampled['rows']} of {sampled['from']} train rows "
                     f"({sampled['setting']})")
            for said in (results[-1].note, results[-1].skipped and f"skipped: {results[-1].skipped}"):
                if said:
                    note(said)
            countdown.tick(done)
    if task.name == SINGLE_LABEL:
        best = pick_best({r.name: r.metrics for r in results}, metric, exclude=GUESSES)
        facts = measure_facts(cfg, results, best, texts, labels, classes, fit_rows)
    else:  # the task's own metric, chosen from the data when the configured one is not the task's
        data = data_facts(task, labels)
        metric, why = chosen_metric(task.name, metric, data)
        best = pick_best({r.name: r.metrics for r in results}, metric, exclude=TASK_GUESSES[task.name])
        facts = task_facts(task, metric, why, data, best, {r.name: r.metrics for r in results}, labels,
                           common_facts(results, texts, fit_rows))
    digest = summary.get("digest") or splits_digest(splits)
    files = write_outputs(out, cfg, results, facts, next((r for r in results if r.name == best), None),
                          splits["valid"], texts["valid"], labels["valid"], classes, digest,
                          with_plugins=any(isinstance(b, PluggedBaseline) for b in chosen), task=task,
                          test=splits["test"])
    return BaselinesOutcome(results=results, best=best, facts=facts, files=files, splits=splits, data_digest=digest)


def configured(cfg: BaselinesStage, classes: list[str], unit: WordUnit, task: str = SINGLE_LABEL) -> list[Baseline]:
    """The baselines `baselines.run` names, all built (a plug-in located) before any is fitted."""
    seen: dict[str, int] = {}
    for i, entry in enumerate(cfg.baselines.run):
        name = name_of(entry)
        if is_plugged(entry) and name and name in seen:
            raise UserError(f"baselines.run[{i}]={name}", f"names the same baseline as baselines.run[{seen[name]}]; "
                            "both would report under one name",
                            "keep one (to try other settings, subclass it under another name in plugins/)")
        seen.setdefault(name, i)
    return [build(entry, classes, cfg, unit, index=i, task=task) for i, entry in enumerate(cfg.baselines.run)]


def rows_outside(fit_rows: dict[str, set], train_rows: set) -> dict[str, int]:
    """How many of the rows each baseline was fitted on are not train rows."""
    return {name: len(rows - train_rows) for name, rows in fit_rows.items()}


def common_facts(results: list[BaselineResult], texts: dict[str, pd.Series],
                 fit_rows: dict[str, set]) -> dict[str, Any]:
    """The facts every task's checks read alike: errors, skips, rows outside train, empty texts, samples."""
    all_text = pd.concat(list(texts.values()))
    return {"errors": {r.name: r.error for r in results if r.error},
            "skipped": {r.name: r.skipped for r in results if r.skipped},
            "rows_outside_train": rows_outside(fit_rows, set(texts["train"].index)),
            "empty_share": float((all_text.astype(str).str.strip() == "").mean()) if len(all_text) else 0.0,
            "sampled": {r.name: r.sampled for r in results if r.sampled}}


def measure_facts(cfg: BaselinesStage, results: list[BaselineResult], best: str, texts: dict[str, pd.Series],
                  labels: dict[str, np.ndarray], classes: list[str], fit_rows: dict[str, set]) -> dict[str, Any]:
    """Everything the checks judge, as plain numbers and names."""
    metric = cfg.baselines.primary_metric
    counts = {c: int((labels["train"] == c).sum()) for c in classes}
    ratio = imbalance(counts)
    by_name = {r.name: r for r in results}
    train_prior = prior(labels["train"], classes)
    guess = expected_prior_score(metric, train_prior, prior(labels["valid"], classes)) if len(labels["valid"]) else None
    over_prior = gain(by_name[best].metrics[f"valid_{metric}"], guess, metric) if best and guess is not None else None
    all_text = pd.concat(list(texts.values()))
    return {
        "primary_metric": metric, "imbalance_ratio": ratio, "best": best, "gain_over_prior": over_prior, "prior_expected_score": guess,
        "errors": {r.name: r.error for r in results if r.error},
        "skipped": {r.name: r.skipped for r in results if r.skipped},
        # rows each baseline was fitted on that are not train rows (valid/test leaking into fitting)
        "rows_outside_train": rows_outside(fit_rows, set(texts["train"].index)),
        "missing_classes": {s: [c for c in classes if c not in set(labels[s])] for s in ("valid", "test")},
        "empty_share": float((all_text.astype(str).str.strip() == "").mean()) if len(all_text) else 0.0,
        # baselines fitted on a sample of train (the report says which, how many rows and why)
        "sampled": {r.name: r.sampled for r in results if r.sampled},
        **expected_losses(train_prior),
    }


def bar(results: list[BaselineResult], facts: dict[str, Any]) -> Bar:
    """The numbers the next steps must beat."""
    best = next((r for r in results if r.name == facts["best"]), None)
    metric = facts["primary_metric"]
    return Bar(metric=metric, best_baseline=facts["best"] or None,
               valid=best.metrics.get(f"valid_{metric}") if best else None,
               valid_log_loss=best.metrics.get("valid_log_loss") if best else None,
               prior_expected=facts["prior_expected_score"],
               uniform_log_loss=round(facts["uniform_log_loss"], 6), prior_log_loss=round(facts["prior_log_loss"], 6))


def write_outputs(out: Path, cfg: BaselinesStage, results: list[BaselineResult], facts: dict[str, Any],
                  best: BaselineResult | None, valid: pd.DataFrame, valid_texts: pd.Series,
                  valid_labels: np.ndarray, classes: list[str], digest: str,
                  with_plugins: bool = False, task: Task | None = None,
                  test: pd.DataFrame | None = None) -> dict[str, Path]:
    """Metrics, the results table, the best baseline's error analysis, plots and measurements; with a
    plug-in baseline (``with_plugins``) the settings digest covers plugins/' code too, as step 3's does."""
    files = {name: out / f for name, f in (("metrics", METRICS_FILE), ("results", "results.csv"),
                                          ("mistakes", "mistakes.csv"), ("confusion", "plots/confusion.png"),
                                          ("predictions", "plots/predictions.csv"), ("scores", "plots/scores.csv"))}
    table = pd.DataFrame([{"baseline": r.name, **{k: round(v, 4) for k, v in r.metrics.items()},
                           "fit_seconds": round(r.fit_seconds, 2), "error": r.error, "skipped": r.skipped,
                           "note": r.note} for r in results])
    write_csv(table, files["results"])
    must_beat = bar(results, facts)
    BaselinesMetrics(primary_metric=facts["primary_metric"], bar=must_beat,
                     baselines={r.name: {k: round(v, 4) for k, v in r.metrics.items()} for r in results}
                     ).write(files["metrics"])
    cutter = Cutter(cfg.max_report_chars)
    frame = valid.assign(text=valid_texts.to_numpy())
    if task is None or task.name == SINGLE_LABEL:
        report = single_label_analysis(files, cfg, facts, best, frame, valid_labels, classes, cutter)
        report["confusion_png"] = files["confusion"].relative_to(out).as_posix()
    else:  # no confusion matrix of label sets or numbers: the task's own analysis and plot data
        for name in ("confusion", "predictions"):
            files.pop(name)
        report = write_task_analysis(task, files, cfg.baselines.mistakes, best, frame, cutter)
    files["best_valid"] = best_answers(best, "valid", valid, out / BEST_VALID)
    if test is not None:
        files["best_test"] = best_answers(best, "test", test, out / BEST_TEST)
    key = f"valid_{facts['primary_metric']}"
    plot_data.scores([r.name for r in results], [r.metrics.get(key) for r in results], files["scores"])
    files["measurements"] = write_record(BaselinesMeasurements, {
        "step": STEP,
        "task": SINGLE_LABEL if task is None else task.name,
        "data_digest": digest,
        "settings_digest": settings_digest({"seed": cfg.seed, "preprocess": cfg.preprocess,
                                            "baselines": asdict(cfg.baselines),
                                            **({"plugins": plugins_digest()} if with_plugins else {})}),
        "facts": facts,
        "results": [r.summary() for r in results],
        "bar": must_beat.to_dict(),
        "report": report,
    }, out / MEASUREMENTS_FILE)
    return files


def best_answers(best: BaselineResult | None, split: str, frame: pd.DataFrame, path: Path) -> Path:
    """The best baseline's answers on ``split`` by row (and probabilities): step 3 sets the model against them
    row by row on valid, step 4's final test on test. With no baseline, a file with no rows."""
    predicted = None if best is None else getattr(best, f"{split}_predicted")
    if predicted is None:
        return RowOutputs("", np.array([], dtype=np.int64), []).save(path)
    return RowOutputs(best.name, frame["row"].to_numpy(), list(predicted), getattr(best, f"{split}_probs")).save(path)


def single_label_analysis(files: dict[str, Path], cfg: BaselinesStage, facts: dict[str, Any],
                          best: BaselineResult | None, valid: pd.DataFrame, valid_labels: np.ndarray,
                          classes: list[str], cutter: Cutter) -> dict[str, Any]:
    """The best baseline's confusion matrix, per-class scores and most confident mistakes (written out);
    what the report shows of them."""
    confusion, report_rows, mistakes = pd.DataFrame(), [], pd.DataFrame(columns=["row", "label", "predicted",
                                                                                 "confidence", "text"])
    predicted = np.array([], dtype=object)
    if best is not None and best.valid_predicted is not None:
        with step(f"Error analysis of {best.name}"):
            probs, predicted = best.valid_probs, best.valid_predicted
            confusion = analysis.confusion(valid_labels, predicted, classes)
            report_rows = analysis.per_class_report(valid_labels, predicted, classes)
            mistakes = analysis.confident_mistakes(valid, predicted, probs, classes, cfg.baselines.mistakes)
    mistakes = cutter.columns(mistakes)  # the texts, and any column kept beside them
    write_csv(mistakes, files["mistakes"])
    plots.confusion_matrix(confusion, files["confusion"], title=f"{facts['best'] or 'no baseline'} on valid")
    plot_data.predictions(valid_labels[: len(predicted)], predicted, files["predictions"])
    return {"per_class": report_rows, "mistakes": mistakes.head(MISTAKES_IN_REPORT), "classes": classes,
            "cut": cutter.note()}
