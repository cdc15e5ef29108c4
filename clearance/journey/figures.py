"""Each step's key figures for the journey report, from the files its stages wrote."""

from __future__ import annotations

from clearance.journey.task import MULTI, REGRESSION, SINGLE, gain
from clearance.journey.values import figure, mapping, metric_value, number, show

# Step 2's guesses in words, by task: what "prior" and "uniform" are when the labels are sets or numbers.
GUESSES = {
    SINGLE: ("prior guess (class proportions)", "prior guess, log loss", "uniform guess, log loss (ln K)"),
    MULTI: ("prior guess (each label at its share)", "prior guess, log loss (the labels' binary entropies)",
            "uniform guess, log loss (K ln 2)"),
    REGRESSION: ("predicting the training mean", "predicting the mean, squared error (the target's variance)",
                 "predicting the mean of the standardised target, squared error"),
}


def inspect_figures(files: dict[str, dict], task: str = SINGLE) -> list[dict]:
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


def baselines_figures(files: dict[str, dict], task: str = SINGLE) -> list[dict]:
    """Step 2: the bar every later model must clear."""
    metrics = files["metrics"]
    bar = mapping(metrics.get("bar"))
    metric = bar.get("metric") or metrics.get("primary_metric")
    prior, prior_loss, uniform_loss = GUESSES.get(task, GUESSES[SINGLE])
    loss = "loss" if task == REGRESSION else "log loss"  # step 2 says which loss a regression baseline has
    return [
        figure("primary metric", metric, "text"),
        figure("best baseline", bar.get("best_baseline"), "text"),
        figure(f"best baseline, valid {metric}", bar.get("valid"), "score"),
        figure(f"{prior}, expected {metric}", bar.get("prior_expected"), "score"),
        figure(f"best baseline, valid {loss}", bar.get("valid_log_loss"), "score"),
        figure(prior_loss, bar.get("prior_log_loss"), "score"),
        figure(uniform_loss, bar.get("uniform_log_loss"), "score"),
    ]


def model_figures(files: dict[str, dict], task: str = SINGLE) -> list[dict]:
    """Step 3: the model's valid scores, its training and its place against the bar (a gain is positive when
    the model is better, whichever way the metric points)."""
    metrics = files["metrics"]
    bar, valid = mapping(metrics.get("bar")), mapping(metrics.get("valid"))
    metric = bar.get("metric", "")
    model, baseline = number(bar.get("model")), number(bar.get("baseline"))
    ahead = gain(model, baseline, metric)
    return [
        figure("trained", metrics.get("trained"), "text"),
        figure(f"valid {metric}", model if model is not None else metric_value(valid, metric, "valid"), "score"),
        figure("valid loss", valid.get("valid_loss"), "score"),
        figure("valid accuracy", valid.get("valid_accuracy"), "score"),
        figure(f"gain over the best baseline ({bar.get('best_baseline') or '–'})", ahead, "gain"),
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


SLICE_ROWS_SHOWN = 30  # slices of fewer test rows are too noisy to name among the weakest


def sweep_figures(files: dict[str, dict], task: str = SINGLE) -> list[dict]:
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
        *test_errors(mapping(files.get("final_errors"))),
    ]


def test_errors(record: dict) -> list[dict]:
    """The final model's errors read on test (reports/sweep/final_errors.json), as step 3 read valid's: its score
    with an interval, the gain over the best baseline on the same rows, the weakest slices, the doubted labels."""
    if not record or "skipped" in record:
        return []
    metric, overall = record.get("metric") or "", mapping(record.get("overall"))
    versus, doubted = mapping(record.get("versus_baseline")), mapping(record.get("doubted"))
    gain = mapping(versus.get("gain"))
    slices = [mapping(s) for s in record.get("slices") or [] if mapping(s).get("size", 0) >= SLICE_ROWS_SHOWN]
    interval = lambda g: f"{show(g.get('value'), 'score')} [{show(g.get('low'), 'score')}, {show(g.get('high'), 'score')}]"  # noqa: E731
    return [
        figure(f"test {metric} with its {record.get('level', 0.95):.0%} bootstrap interval", interval(overall), "text"),
        figure(f"test gain over the best baseline ({versus.get('baseline', '–')}), same rows",
               f"{show(gain.get('value'), 'gain')} [{show(gain.get('low'), 'gain')}, {show(gain.get('high'), 'gain')}]"
               if gain else versus.get("skipped"), "text"),
        figure(f"weakest test slices (≥ {SLICE_ROWS_SHOWN} rows)",
               "; ".join(f"{s['name']} ({s['size']}): {interval(s)}" for s in slices[:3]) or None, "text"),
        figure("test labels the model doubts (cleanlab)", doubted.get("count"), "num"),
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
