"""Run step 2: fit every baseline on train, score on valid and test, analyse the best."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clearance.baselines import analysis
from clearance.baselines.checks import baseline_checks
from clearance.baselines.metric_choice import imbalance, recommend_metric
from clearance.baselines.models import REGISTRY, Baseline
from clearance.checklist.results import CheckResult, write_checks
from clearance.config import BaselinesStage
from clearance.data.prepare import load_splits, load_summary
from clearance.errors import UserError
from clearance.evaluation import HIGHER_IS_BETTER, METRICS, expected_losses, expected_prior_score, prior, score
from clearance.paths import PREPARED_DIR, SPLITS, report_dir
from clearance.progress import step
from clearance.report import plots
from clearance.report.html import embed_png, write_report
from clearance.text.preprocess import load_preprocess

STEP = "baselines"


@dataclass
class BaselineResult:
    """One baseline's scores on valid and test (or the error that stopped it)."""

    name: str
    description: str
    params: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)
    fit_seconds: float = 0.0
    error: str = ""
    # valid predictions and probabilities, kept for the error analysis
    valid_predicted: np.ndarray | None = field(default=None, repr=False)
    valid_probs: np.ndarray | None = field(default=None, repr=False)


@dataclass
class BaselinesOutcome:
    """What step 2 produced."""

    results: list[BaselineResult]
    best: str
    facts: dict[str, Any]
    checks: list[CheckResult]
    files: dict[str, Path]


def build(name: str, classes: list[str], cfg: BaselinesStage) -> Baseline:
    """A baseline by name, with its configured settings."""
    if name not in REGISTRY:
        raise UserError(f"baselines.run: {name}", "unknown baseline", f"use any of: {', '.join(REGISTRY)}")
    b = cfg.baselines
    extra: dict[str, Any] = {
        "keyword_rule": {"keyword_tokens": b.keyword_tokens, "min_token_count": b.min_token_count},
        "tfidf_logreg": asdict(b.tfidf),
        "embeddings_logreg": asdict(b.embeddings),
    }.get(name, {})
    return REGISTRY[name](classes, cfg.seed, **extra)


def preprocess_splits(splits: dict[str, pd.DataFrame], cfg: BaselinesStage) -> dict[str, pd.Series]:
    """Preprocessed texts of every split, indexed by the source row number."""
    preprocess = load_preprocess(cfg.preprocess)
    out = {}
    for name, frame in splits.items():
        texts = pd.Series(preprocess(frame["text"]), dtype=object)
        if len(texts) != len(frame):
            raise UserError(f"preprocess._target_={cfg.preprocess.get('_target_')}",
                            f"returned {len(texts)} texts for {len(frame)}", "return one text per input text")
        out[name] = pd.Series(texts.to_numpy(), index=frame["row"].to_numpy())
    return out


def fit_and_score(baseline: Baseline, texts: dict[str, pd.Series], labels: dict[str, np.ndarray],
                  fit_rows: dict[str, set]) -> BaselineResult:
    """Fit on train (recording which rows it saw), score on valid and test."""
    result = BaselineResult(baseline.name, baseline.description, dict(baseline.params))
    start = time.perf_counter()
    try:
        fit_rows[baseline.name] = set(texts["train"].index)
        baseline.fit(texts["train"], labels["train"])
        result.fit_seconds = time.perf_counter() - start
        for split in ("valid", "test"):
            if len(texts[split]) == 0:
                continue
            predicted, probs = baseline.predict_scored(texts[split])
            result.metrics.update(score(labels[split], predicted, probs, baseline.classes, split))
            if split == "valid":
                result.valid_predicted, result.valid_probs = predicted, probs
    # A failing baseline must not hide the others: its error becomes a failing check.
    except Exception as exc:  # noqa: BLE001
        result.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return result


def pick_best(results: list[BaselineResult], metric: str) -> str:
    """The baseline with the best valid score on the primary metric (test is never used to choose)."""
    key = f"valid_{metric}"
    scored = [r for r in results if key in r.metrics and r.name not in ("uniform_random", "prior_random")]
    if not scored:
        return ""
    sign = 1 if HIGHER_IS_BETTER[metric] else -1
    return max(scored, key=lambda r: sign * r.metrics[key]).name


def run_baselines(cfg: BaselinesStage, prepared: Path = PREPARED_DIR, out: Path | None = None,
                  baselines: list[Baseline] | None = None) -> BaselinesOutcome:
    """Step 2 end to end; ``baselines`` replaces the configured list (for tests and plug-ins)."""
    out = out or report_dir(STEP)
    out.mkdir(parents=True, exist_ok=True)
    metric = cfg.baselines.primary_metric
    if metric not in METRICS:
        raise UserError(f"baselines.primary_metric={metric}", "unknown metric", f"use one of: {', '.join(METRICS)}")
    splits, summary = load_splits(prepared), load_summary(prepared)
    classes = summary["classes"]
    with step("Preprocessing texts"):
        texts = preprocess_splits(splits, cfg)
    labels = {name: frame["label"].to_numpy().astype(object) for name, frame in splits.items()}
    chosen = baselines if baselines is not None else [build(n, classes, cfg) for n in cfg.baselines.run]
    results, fit_rows = [], {}
    for baseline in chosen:
        with step(f"Baseline {baseline.name}: {baseline.description}"):
            results.append(fit_and_score(baseline, texts, labels, fit_rows))
    best = pick_best(results, metric)
    counts = {c: int((labels["train"] == c).sum()) for c in classes}
    ratio = imbalance(counts)
    recommended, why = recommend_metric(ratio, cfg.checks.baselines.accuracy_max_imbalance)
    by_name = {r.name: r for r in results}
    train_prior = prior(labels["train"], classes)
    guess = expected_prior_score(metric, train_prior, prior(labels["valid"], classes)) if len(labels["valid"]) else None
    gain = None
    if best and guess is not None:
        sign = 1 if HIGHER_IS_BETTER[metric] else -1
        gain = sign * (by_name[best].metrics[f"valid_{metric}"] - guess)
    all_text = pd.concat(list(texts.values()))
    facts = {
        "primary_metric": metric, "recommended_metric": recommended, "recommendation": why,
        "imbalance_ratio": ratio, "best": best, "gain_over_prior": gain, "prior_expected_score": guess,
        "errors": {r.name: r.error for r in results if r.error},
        "fit_rows": fit_rows,
        "split_rows": {name: set(t.index) for name, t in texts.items()},
        "missing_classes": {s: [c for c in classes if c not in set(labels[s])] for s in ("valid", "test")},
        "empty_share": float((all_text.astype(str).str.strip() == "").mean()) if len(all_text) else 0.0,
        **expected_losses(train_prior),
    }
    checks = baseline_checks(facts, cfg.checks.baselines)
    files = write_outputs(out, cfg, results, facts, checks, by_name.get(best), splits["valid"], texts["valid"],
                          labels["valid"], classes)
    return BaselinesOutcome(results=results, best=best, facts=facts, checks=checks, files=files)


def bar(results: list[BaselineResult], facts: dict[str, Any]) -> dict[str, Any]:
    """The numbers the next steps must beat."""
    best = next((r for r in results if r.name == facts["best"]), None)
    metric = facts["primary_metric"]
    return {
        "metric": metric,
        "best_baseline": facts["best"],
        f"valid_{metric}": best.metrics.get(f"valid_{metric}") if best else None,
        "valid_log_loss": best.metrics.get("valid_log_loss") if best else None,
        f"prior_expected_{metric}": facts["prior_expected_score"],
        "uniform_log_loss": round(facts["uniform_log_loss"], 6),
        "prior_log_loss": round(facts["prior_log_loss"], 6),
    }


def write_outputs(out: Path, cfg: BaselinesStage, results: list[BaselineResult], facts: dict[str, Any],
                  checks: list[CheckResult], best: BaselineResult | None, valid: pd.DataFrame,
                  valid_texts: pd.Series, valid_labels: np.ndarray, classes: list[str]) -> dict[str, Path]:
    """Checks, metrics, the results table, the best baseline's error analysis and the report."""
    files = {name: out / f for name, f in (("checks", "checks.json"), ("metrics", "metrics.json"),
                                          ("results", "results.csv"), ("mistakes", "mistakes.csv"),
                                          ("report", "report.html"), ("confusion", "plots/confusion.png"))}
    write_checks(checks, files["checks"])
    table = pd.DataFrame([{"baseline": r.name, **{k: round(v, 4) for k, v in r.metrics.items()},
                           "fit_seconds": round(r.fit_seconds, 2), "error": r.error} for r in results])
    table.to_csv(files["results"], index=False)
    must_beat = bar(results, facts)
    metrics = {"primary_metric": facts["primary_metric"], "recommended_metric": facts["recommended_metric"],
               "bar": must_beat,
               "baselines": {r.name: {k: round(v, 4) for k, v in r.metrics.items()} for r in results}}
    files["metrics"].write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    confusion, report_rows, mistakes = pd.DataFrame(), [], pd.DataFrame(columns=["row", "label", "predicted",
                                                                                 "confidence", "text"])
    if best is not None and best.valid_predicted is not None:
        with step(f"Error analysis of {best.name}"):
            probs, predicted = best.valid_probs, best.valid_predicted
            confusion = analysis.confusion(valid_labels, predicted, classes)
            report_rows = analysis.per_class_report(valid_labels, predicted, classes)
            mistakes = analysis.confident_mistakes(valid.assign(text=valid_texts.to_numpy()), predicted, probs,
                                                   classes, cfg.baselines.mistakes)
    mistakes.to_csv(files["mistakes"], index=False)
    plots.confusion_matrix(confusion, files["confusion"], title=f"{facts['best'] or 'no baseline'} on valid")
    context = {
        "title": "clearance · step 2 · baselines", "results": results, "facts": facts, "bar": must_beat,
        "checks": [asdict(c) for c in checks], "confusion_png": embed_png(files["confusion"]),
        "per_class": report_rows, "mistakes": mistakes.head(30).to_dict("records"),
        "classes": classes, "metric_names": ("accuracy", "macro_f1", "weighted_f1", "log_loss"),
    }
    write_report("baselines.html.j2", context, files["report"])
    return files
