"""Training throughput: `train_model` (evaluations, norms, tracked predictions on) against a bare
PyTorch loop on the same model, the same batches and the same optimizer.

Goal: train_model's training throughput >= 0.9x the bare loop's. Default config (MiniLM cut to
2 layers, word embeddings frozen, max_length 64, batch 32) on synthetic tweet-like texts;
runs alternate, medians are compared. `--smoke`: the debug group's tiny model on 64 texts, one repeat.

    .venv/bin/python benchmarks/bench_train.py [--rows N] [--repeat N] [--smoke]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from _common import DEBUG, add_smoke, exit_now, median, result, verdict  # noqa: E402
from synthetic import CLASSES, SMOKE_VOCABULARY, VOCABULARY, generate  # noqa: E402

GOAL = 0.9


def parts_and_data(rows: int, hydra_overrides: tuple[str, ...] = (), valid_rows: int = 512,
                   vocabulary: int = VOCABULARY):
    """The parts from conf/ (the defaults, or with ``hydra_overrides``), and the synthetic texts tokenised once."""
    from clearance.core.config.model import ModelStage
    from clearance.core.config.params import from_conf
    from clearance.neural.parts.parts import build_parts
    from clearance.neural.training.batches import encode

    # synthetic texts, no prepared split to read a length from: the built-in corpus's 64 tokens
    cfg = from_conf(ModelStage, hydra_overrides=("train.max_length=64", *hydra_overrides))
    cfg.train = replace(cfg.train, device="cpu", precision="fp32")
    parts = build_parts(cfg, list(CLASSES))
    texts, labels = generate(rows + valid_rows, seed=0, vocabulary=vocabulary)
    index = {c: i for i, c in enumerate(CLASSES)}
    ids = np.array([index[label] for label in labels])
    train = encode(parts.tokenizer, texts[:rows], ids[:rows], cfg.train.max_length)
    valid = encode(parts.tokenizer, texts[rows:], ids[rows:], cfg.train.max_length)
    return cfg, parts, train, valid


def bare_loop(cfg, parts, train) -> float:
    """Samples per second of the plainest loop over the same batches as train_model's first epoch."""
    from clearance.neural.training.batches import batch_rows, collate

    torch.manual_seed(cfg.train.seed)
    model = parts.build_model()
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.train.lr,
                                  weight_decay=cfg.train.weight_decay)
    loss_fn = torch.nn.CrossEntropyLoss()
    pad = parts.tokenizer.pad_token_id
    seen, spent = 0, 0.0
    lengths = train.lengths() if cfg.train.group_by_length else None  # the batches train_model makes
    for rows in batch_rows(len(train), cfg.train.batch_size, cfg.train.seed, lengths):
        batch = collate(train, rows, pad)
        start = time.perf_counter()
        optimizer.zero_grad()
        logits = model(input_ids=batch.input_ids, attention_mask=batch.attention_mask)
        loss = loss_fn(logits, batch.labels)
        loss.backward()
        optimizer.step()
        spent += time.perf_counter() - start
        seen += len(batch)
    return seen / spent


def ours(cfg, parts, train, valid) -> tuple[float, float]:
    """train_model with evaluations every ``eval_every`` steps: (training samples/s, wall samples/s)."""
    from clearance.neural.training.loop import train_model
    from clearance.neural.training.settings import TrainSettings

    every = max(len(train) // cfg.train.batch_size // 4, 1)  # four evaluations an epoch, as in a real run
    result = train_model(cfg.train, parts, train, valid,
                         TrainSettings(eval_every=every, track=valid.subset(range(10)), progress=False))
    return result.samples_per_second, result.steps * cfg.train.batch_size / result.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    add_smoke(parser)
    args = parser.parse_args()
    if args.smoke:  # the debug group's tiny model (conf/debug/tiny.yaml): seconds, not minutes
        args.rows, args.repeat = 64, 1
        # one thread: the tests run smoke benchmarks side by side, and two threads each on a busy core
        # spin against each other (several times slower)
        torch.set_num_threads(1)
    else:
        torch.set_num_threads(torch.get_num_threads())
    cfg, parts, train, valid = (parts_and_data(args.rows, (DEBUG,), 64, SMOKE_VOCABULARY) if args.smoke
                                else parts_and_data(args.rows))
    print(f"model {cfg.model['_target_']} ({cfg.model.get('num_layers')} layers), {len(train)} train texts, "
          f"batch {cfg.train.batch_size}, max_length {cfg.train.max_length}, torch threads {torch.get_num_threads()}")
    bare, trained, wall = [], [], []
    for _ in range(args.repeat):
        bare.append(bare_loop(cfg, parts, train))
        fast, slow = ours(cfg, parts, train, valid)
        trained.append(fast)
        wall.append(slow)
    print(f"bare PyTorch loop:            median {median(bare):.1f} samples/s {[round(x, 1) for x in bare]}")
    print(f"train_model (training steps): median {median(trained):.1f} samples/s {[round(x, 1) for x in trained]}")
    print(f"train_model (wall, with 4 evaluations on {len(valid)} valid texts): median {median(wall):.1f} samples/s")
    ratio = median(trained) / median(bare)
    print(f"ratio train_model / bare: {ratio:.3f} (goal >= {GOAL}: {'MET' if ratio >= GOAL else 'NOT MET'})")
    tag = f" (smoke: {DEBUG})" if args.smoke else ""
    result(f"train_model / bare PyTorch loop, training samples/s{tag}", f">= {GOAL}x",
           f"{ratio:.3f}x ({median(trained):.0f} / {median(bare):.0f} samples/s)", verdict(ratio >= GOAL, args.smoke))
    return 0


if __name__ == "__main__":
    exit_now(main())  # torch's teardown would add a second
