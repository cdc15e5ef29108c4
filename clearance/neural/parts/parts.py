"""The parts of step 3, each chosen in conf/ by `_target_`: model, tokenizer, optimizer, loss, preprocessing.

Every part is built and checked here, so a wrong setting stops the stage with a
message naming its key before any training runs. The model is built on demand
(`Parts.build_model`), seeded, so the probes and the real run each get a fresh,
identical copy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import torch

from clearance.core.config.model import ModelStage, TrainConfig
from clearance.core.errors import UserError
from clearance.core.task import MULTI_LABEL, REGRESSION, SINGLE_LABEL, Task
from clearance.core.parts.preprocess import load_preprocess
from clearance.core.parts.targets import (
    accepted_names,
    call_part,
    check_binds,
    partial_of,
)
from clearance.neural.task_heads import RegressionLoss, TargetScale, trial_labels

MODEL_FIX = ("name a class or function returning a torch.nn.Module whose forward(input_ids, attention_mask) "
             "returns logits [B, K]; see conf/model/")
TOKENIZER_FIX = ("name a function returning a tokenizer with the transformers calling convention "
                 "(e.g. clearance.neural.parts.tokenizer.pretrained_tokenizer); see conf/tokenizer/")
OPTIMIZER_FIX = ("name an optimizer class taking (params, lr=..., weight_decay=...), with `_partial_: true`; "
                 "see conf/optimizer/")
LOSS_FIX = ("name a class or function returning a callable(logits, labels) -> scalar loss, or `loss: auto` "
            "(the task's own: cross-entropy, binary cross-entropy or squared error); see conf/loss/")
# Train settings that must be >= 1, with a sensible example for the message.
POSITIVE = {"max_length": "64 tokens (the truncation probe shows how many texts it cuts)", "batch_size": 32,
            "epochs": 1, "eval_every": 100, "max_steps": "null (no cap)",
            "eval_max_rows": "5000 (null: all of valid)"}
# Arguments the model gets from the data and the tokenizer when its signature names them (``task``: the
# clearance.core.task.Task it serves, for a model that shapes its head by task).
FACTS = ("num_labels", "vocab_size", "pad_token_id", "task")
# What the loss's labels are, per task, for messages.
LABELS_OF = {SINGLE_LABEL: "class ids [B] (long)", MULTI_LABEL: "multi-hot rows [B, K] (float)",
             REGRESSION: "standardised targets [B] (float)"}


@dataclass
class Parts:
    """Everything training and the probes need, built from conf/."""

    build_model: Callable[..., torch.nn.Module]  # build_model(dropout=None) -> a fresh, seeded module on CPU
    tokenizer: Any
    optimizer: Callable[..., torch.optim.Optimizer]  # optimizer(params, lr=..., weight_decay=...)
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    preprocess: Callable[[pd.Series], pd.Series]
    classes: list[str]  # class i <-> logit i (multi-label: label i <-> logit i; regression: none)
    names: dict[str, str]  # the _target_ of each part, for messages
    task: Task | None = None  # None only for Parts made by hand: read as single-label over ``classes``
    scale: TargetScale = TargetScale()  # how a regression target is standardised (identity otherwise)
    length_choice: dict[str, Any] | None = None  # how train.max_length: auto was resolved (None: a number was set)

    def __post_init__(self) -> None:
        if self.task is None:
            self.task = Task(SINGLE_LABEL, tuple(self.classes))


def logits_of(output: Any) -> torch.Tensor:
    """A model's output as logits: the tensor itself, or its ``.logits`` (transformers models)."""
    if isinstance(output, torch.Tensor):
        return output
    logits = getattr(output, "logits", None)
    if isinstance(logits, torch.Tensor):
        return logits
    raise UserError("model._target_ (its forward)", f"returned a {type(output).__name__}, not logits",
                    "return a tensor of logits [B, K], or an object with a `.logits` tensor")


def forward(model: torch.nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Logits [B, K] of a batch, called the way the contract promises: by keyword."""
    return logits_of(model(input_ids=input_ids, attention_mask=attention_mask))


def build_parts(cfg: ModelStage, task: Task | list[str], scale: TargetScale | None = None) -> Parts:
    """Build and check every configured part; raises UserError naming the key at fault.

    ``task``: the task the model serves (a plain list of classes reads as single-label); ``scale``: how a
    regression target is standardised (``clearance.neural.training.inputs.parts_for`` fits it on train).
    """
    task = task if isinstance(task, Task) else Task(SINGLE_LABEL, tuple(task))
    from clearance.neural.training.auto_length import PROVISIONAL, is_auto

    auto = is_auto(cfg.train.max_length)  # resolved from the data by inputs.parts_for; checked here with a stand-in
    check_train(replace(cfg.train, max_length=PROVISIONAL) if auto else cfg.train)
    check_task(task)
    tokenizer = build_tokenizer(cfg.tokenizer, PROVISIONAL if auto else cfg.train.max_length)
    return Parts(
        build_model=model_builder(cfg.model, task.outputs, tokenizer, cfg.train.seed, cfg.train.dropout, task),
        tokenizer=tokenizer,
        optimizer=build_optimizer(cfg.optimizer, cfg.train),
        loss=build_loss(cfg.loss, task),
        preprocess=load_preprocess(cfg.preprocess),
        classes=list(task.classes),
        names={key: str(getattr(cfg, key).get("_target_"))
               for key in ("model", "tokenizer", "optimizer", "loss", "preprocess")},
        task=task,
        scale=scale if scale is not None and task.name == REGRESSION else TargetScale(),
    )


def check_task(task: Task) -> None:
    """Labels no model can learn: fewer than 2 classes, or a multi-label task without a label."""
    if task.name == SINGLE_LABEL and len(task.classes) < 2:
        raise UserError("data", f"{len(task.classes)} class(es) in train", "a classifier needs at least 2 classes")
    if task.name == MULTI_LABEL and not task.classes:
        raise UserError("data", "no label in train (every text has an empty label set)",
                        "check data.label_separator / data.label_columns, or set data.task")


def check_train(train: TrainConfig) -> None:
    """Settings no training can run with (learning rate 0 is allowed: a probe reports it)."""
    for key, example in POSITIVE.items():
        value = getattr(train, key)
        if value is not None and value < 1:
            raise UserError(f"train.{key}={value}", "must be at least 1",
                            f"set train.{key} to a positive number, e.g. {example} (conf/train/default.yaml)")
    for key in ("lr", "weight_decay"):
        if getattr(train, key) < 0:
            raise UserError(f"train.{key}={getattr(train, key)}", "is negative", f"set train.{key} to 0 or more")
    if train.dropout is not None and not 0 <= train.dropout < 1:
        raise UserError(f"train.dropout={train.dropout}", "is not a probability below 1",
                        "set train.dropout between 0 and 1, or null to keep the model's own")


def model_builder(spec: dict[str, Any], num_labels: int, tokenizer: Any, seed: int,
                  configured_dropout: float | None, task: Task | None = None) -> Callable[..., torch.nn.Module]:
    """``build_model(dropout=None)``: a fresh model, the same weights for the same seed."""
    function = partial_of(spec, "model", "model", MODEL_FIX)
    accepted = accepted_names(function)
    facts = dict(zip(FACTS, (num_labels, len(tokenizer), tokenizer.pad_token_id,
                             task or Task(SINGLE_LABEL, tuple(str(k) for k in range(num_labels))))))
    # The YAML's own value wins over a fact: the user may mean it (e.g. a larger vocabulary).
    given = {k: v for k, v in facts.items() if k in accepted and k not in function.keywords}
    takes_dropout = "dropout" in accepted
    check_binds(function, "model", kwargs={**given, **({"dropout": 0.0} if takes_dropout else {})})

    def build_model(dropout: float | None = None) -> torch.nn.Module:
        """A fresh model; ``dropout`` None keeps train.dropout, 0.0 turns dropout off (if the model takes it)."""
        value = configured_dropout if dropout is None else dropout
        extra = {"dropout": value} if takes_dropout and value is not None else {}
        torch.manual_seed(seed)  # the same seed gives the same initial weights, for every build
        model = call_part(function, "model", "model", f"check the settings under `model` in conf/model/ "
                          f"and the model's code; {MODEL_FIX}", **given, **extra)
        if not isinstance(model, torch.nn.Module):
            raise UserError(f"model._target_={spec.get('_target_')}",
                            f"returned a {type(model).__name__}, not a torch.nn.Module", MODEL_FIX)
        return model.to("cpu")

    return build_model


def build_tokenizer(spec: dict[str, Any], max_length: int) -> Any:
    """The configured tokenizer, checked against the calling convention the pipeline relies on."""
    function = partial_of(spec, "tokenizer", "tokenizer", TOKENIZER_FIX)
    check_binds(function, "tokenizer")
    where = f"tokenizer._target_={spec.get('_target_')}"
    tokenizer = call_part(function, "tokenizer", "tokenizer", TOKENIZER_FIX)
    if getattr(tokenizer, "pad_token_id", None) is None:
        raise UserError(where, "the tokenizer has no pad_token_id (None), so batches cannot be padded",
                        "give it a padding token where it is built, e.g. `tok.pad_token = tok.eos_token` "
                        "or `tok.add_special_tokens({'pad_token': '[PAD]'})`")
    try:
        len(tokenizer)
        encoded = tokenizer(["a short text", "another"], truncation=True, max_length=max_length, padding=True)
        encoded["input_ids"], encoded["attention_mask"], tokenizer.decode(encoded["input_ids"][0])
    except Exception as exc:  # noqa: BLE001 - any failure here means the convention is not met
        raise UserError(where, f"does not follow the transformers calling convention: {type(exc).__name__}: {exc}",
                        "return a tokenizer supporting tok(texts, truncation=True, max_length=L, padding=True) "
                        "-> input_ids, attention_mask; plus pad_token_id, decode and len(tok)") from None
    return tokenizer


def build_optimizer(spec: dict[str, Any], train: TrainConfig) -> Callable[..., torch.optim.Optimizer]:
    """``optimizer(params, lr=, weight_decay=)``, tried once on a dummy parameter so settings fail here."""
    function = partial_of(spec, "optimizer", "optimizer", OPTIMIZER_FIX)
    probe = [torch.nn.Parameter(torch.zeros(1))]
    check_binds(function, "optimizer", (probe,), {"lr": train.lr, "weight_decay": train.weight_decay})
    made = call_part(function, "optimizer", "optimizer", OPTIMIZER_FIX, probe,
                     lr=train.lr, weight_decay=train.weight_decay)
    if not all(callable(getattr(made, name, None)) for name in ("step", "zero_grad")):
        raise UserError(f"optimizer._target_={spec.get('_target_')}", "has no step() and zero_grad()",
                        OPTIMIZER_FIX)
    return function


def build_loss(spec: dict[str, Any], task: Task | int) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The configured loss (given ``task`` when its signature names it), tried once on zero logits and labels of
    the task's shape so a wrong one fails here, not mid-training. A regression loss is wrapped to take the
    model's [B, 1] outputs against [B] targets (``RegressionLoss``). An int ``task`` reads as K classes."""
    task = task if isinstance(task, Task) else Task(SINGLE_LABEL, tuple(str(k) for k in range(task)))
    function = partial_of(spec, "loss", "loss", LOSS_FIX)
    given = {"task": task} if "task" in accepted_names(function) and "task" not in function.keywords else {}
    check_binds(function, "loss", kwargs=given)
    loss = call_part(function, "loss", "loss", LOSS_FIX, **given)
    where = f"loss._target_={spec.get('_target_')}"
    if not callable(loss):
        raise UserError(where, f"returned a {type(loss).__name__}, not a callable(logits, labels)", LOSS_FIX)
    if task.name == REGRESSION:
        loss = RegressionLoss(loss)
    labels = trial_labels(task)
    try:
        value = loss(torch.zeros(len(labels), task.outputs), labels)
    except Exception as exc:  # noqa: BLE001 - report whatever the user's loss raises
        raise UserError(where, f"fails on logits [B, {task.outputs}] and {task.name} labels, "
                        f"{LABELS_OF[task.name]}: {type(exc).__name__}: {exc}", LOSS_FIX) from None
    if not isinstance(value, torch.Tensor) or value.dim() != 0:
        raise UserError(where, "does not return a scalar tensor", LOSS_FIX)
    return loss
