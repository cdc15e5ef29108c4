"""Step 3's model over seeds, side by side: an ablation of training settings against the TF-IDF bar.

The built-in corpus is prepared once (`prepare` in a temporary copy of the repository, as DVC runs it); the
TF-IDF + logistic regression baseline (conf/baselines settings) is fitted on train and scored on valid; then
each configuration (the defaults, plus Hydra overrides of conf/) trains `train_model` on train for each seed,
exactly as the train_model stage reads its inputs (clearance.neural.training.inputs), and its last evaluation
scores all of valid. Prints, per configuration: valid macro-F1 of each seed, their mean and minimum, the gain
of the mean over the bar and the training seconds.

Goal (issue: the default journey): the defaults' mean >= bar + 0.02 with every seed >= bar + 0.01.

    .venv/bin/python benchmarks/bench_seeds.py [--seeds 3] [--config NAME=override,override ...] [--corpus vader]
        [--smoke]

`--corpus vader`: a second real corpus (VADER's rated snippets as 3 classes), where the guard is that the
defaults do at least as well as the old defaults (2 layers, a constant rate).

`--config` adds a configuration (repeatable); `--only NAME` keeps the named ones (repeatable). `--smoke`: the
debug group's tiny model on 100 rows, one seed, the defaults only.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    add_builtin_corpus,
    add_smoke,
    compose_params,
    project_copy,
    result,
    run_stage,
    smoke_settings,
    venv_env,
    verdict,
    work_folder,
)

GAIN_GOAL, SEED_GOAL = 0.02, 0.01
OLD = "old defaults"  # step 3's settings before the linear schedule and the third layer
# The ablation: each change of the defaults alone, and together (the defaults)
CONFIGS = {
    "defaults": [],
    OLD: ["model.num_layers=2", "train.schedule=constant", "train.warmup_ratio=0.0"],
    "schedule alone": ["model.num_layers=2"],  # linear decay after a 6% warm-up, 2 layers
    "layers alone": ["train.schedule=constant", "train.warmup_ratio=0.0"],  # 3 layers at a constant rate
}


def tfidf_bar(prepared: Path, seed: int) -> float:
    """Valid macro-F1 of step 2's TF-IDF + logistic regression (conf/baselines settings) fitted on train."""
    from sklearn.metrics import f1_score

    from clearance.baselines.measure.models import TfidfLogReg
    from clearance.core.compose import compose
    from clearance.core.data.prepare import load_splits, load_summary

    splits, summary = load_splits(prepared), load_summary(prepared)
    settings = compose([])["baselines"]["tfidf"]
    model = TfidfLogReg(summary["classes"], seed, **settings).fit(splits["train"]["text"], splits["train"]["label"])
    predicted = model.predict(splits["valid"]["text"])
    return float(f1_score(splits["valid"]["label"], predicted, average="macro"))


def vader_classes(repo: Path) -> list[str]:
    """A second real corpus (not the built-in one): VADER's 23,703 human-rated snippets (tweets, movie and Amazon
    reviews, NYT editorials; task_corpora.py, from the vaderSentiment sdist) as 3 classes by their mean rating
    on -4..+4: negative (<= -1), neutral, positive (>= 1). Returns the `clearance params` overrides that read it."""
    import csv

    from task_corpora import regression_corpus

    rated = regression_corpus(repo / "data" / "raw" / "vader_scores.csv")
    target = repo / "data" / "raw" / "vader_classes.csv"
    with rated.open(encoding="utf-8", newline="") as source, target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "label"])
        for row in csv.DictReader(source):
            score = float(row["score"])
            writer.writerow([row["text"], "negative" if score <= -1 else "positive" if score >= 1 else "neutral"])
    return ["data=custom", "data.path=data/raw/vader_classes.csv", "data.task=single_label"]


def train_once(prepared: Path, overrides: list[str], seed: int) -> tuple[float, float]:
    """(valid macro-F1, training seconds) of one run of the configured model with ``seed``."""
    from clearance.core.config.model import ModelStage
    from clearance.core.config.params import from_conf
    from clearance.neural.training.inputs import model_inputs, parts_for
    from clearance.neural.training.loop import train_model

    cfg = from_conf(ModelStage, hydra_overrides=(*overrides, f"seed={seed}"))
    parts = parts_for(cfg, prepared)
    inputs = model_inputs(cfg, parts, prepared)
    run = train_model(cfg.train, parts, inputs.train, inputs.valid, progress=False)
    return float(run.history[-1]["valid_macro_f1"]), run.seconds


def ablation(prepared: Path, configs: dict[str, list[str]], seeds: list[int], bar: float, smoke: bool,
             corpus: str = "builtin") -> dict[str, float]:
    """Each configuration over the seeds, printed and judged against the bar (the built-in corpus's goal);
    returns each one's mean."""
    means: dict[str, float] = {}
    for name, overrides in configs.items():
        scores, seconds = [], []
        for seed in seeds:
            score, spent = train_once(prepared, overrides, seed)
            scores.append(score)
            seconds.append(spent)
            print(f"[{name}] seed {seed}: valid macro-F1 {score:.4f}, {spent:.0f} s", flush=True)
        mean = means[name] = sum(scores) / len(scores)
        judged = name == "defaults" and corpus == "builtin"
        met = mean >= bar + GAIN_GOAL and min(scores) >= bar + SEED_GOAL
        goal = f">= bar+{GAIN_GOAL} (mean), every seed >= bar+{SEED_GOAL}" if judged else "-"
        result(f"{corpus}: step 3 valid macro-F1 over {len(seeds)} seeds, {name} ({' '.join(overrides) or 'conf/'})",
               goal, f"mean {mean:.4f} ({mean - bar:+.4f} over the bar {bar:.4f}), min {min(scores):.4f}, "
               f"{sum(seconds) / len(seconds):.0f} s a run", verdict(met, smoke) if judged else None)
    if "defaults" in means and OLD in means:  # the guard against defaults tuned to one corpus
        gain = means["defaults"] - means[OLD]
        result(f"{corpus}: defaults - old defaults, mean valid macro-F1", ">= 0", f"{gain:+.4f}",
               verdict(gain >= 0, smoke))
    return means


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1")
    parser.add_argument("--seed", type=int, action="append", default=[], help="these seeds instead (repeatable)")
    parser.add_argument("--config", action="append", default=[], help="NAME=override,override (repeatable)")
    parser.add_argument("--only", action="append", default=[], help="keep only the named configurations")
    parser.add_argument("--corpus", choices=("builtin", "vader"), default="builtin",
                        help="vader: a second real corpus, VADER's rated snippets as 3 classes (the guard against "
                             "defaults tuned to the built-in one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy and print its path")
    add_smoke(parser)
    args = parser.parse_args(argv)
    configs = dict(CONFIGS)
    configs.update({name: [o for o in spec.split(",") if o] for name, spec in
                    (c.split("=", 1) for c in args.config)})
    if args.only or args.smoke:
        # in the order named: the configurations that matter most first
        configs = {k: configs[k] for k in (args.only or ["defaults"]) if k in configs}
    env = venv_env(DVC_NO_ANALYTICS="1")
    with work_folder("clearance-bench-seeds-", args.keep) as work:
        repo = project_copy(work / "repo", smoke_settings() if args.smoke else [], env)
        if args.corpus == "vader":
            compose_params(repo, [*(smoke_settings() if args.smoke else []), *vader_classes(repo)], env)
        else:
            add_builtin_corpus(repo)
        run_stage(repo, "prepare", env)
        prepared = repo / "data" / "prepared"
        start = time.perf_counter()
        bar = tfidf_bar(prepared, 42)
        print(f"TF-IDF + LR bar on valid: macro-F1 {bar:.4f} ({time.perf_counter() - start:.0f} s)", flush=True)
        debug = ["debug=tiny"] if args.smoke else []
        ablation(prepared, {k: debug + v for k, v in configs.items()},
                 args.seed or list(range(1 if args.smoke else args.seeds)), bar, args.smoke, args.corpus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
