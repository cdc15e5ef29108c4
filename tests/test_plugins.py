"""Plugging a buggy part in through conf/ overrides makes its probe fail with a message naming the bug,
while the worked example's clean parts pass every probe (plugins/my_models.py, docs/plugins.md).

Each case is built as the model stage builds it: conf/ composed with the overrides a user
passes to `dvc exp run -S`, then build_parts, the stage's inputs (preprocessed and
tokenised), run_probes and probe_checks. The model is the example's small bag of
embeddings on the default MiniLM tokenizer, on a few dozen texts: seconds per case.
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from pathlib import Path

import pytest
import torch

from clearance.checklist.results import CheckResult
from clearance.core.config.model import ModelStage
from clearance.core.config.params import from_conf
from clearance.core.data.prepare import SUMMARY_FILE
from clearance.neural.parts.device import resolve
from clearance.neural.parts.parts import build_parts
from clearance.core.parts.plugins import ensure_plugins_importable
from clearance.core.paths import split_file
from clearance.neural.training.inputs import model_inputs
from clearance.small_model.judge.checks import ModelChecks, probe_checks
from clearance.small_model.measure.probes.suite import run_probes
from tests.factory import make_texts, summary_doc

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"
EXAMPLES = "my_models"  # plugins/my_models.py, the worked example shipped in plugins/
# A small model trained from scratch wants a higher learning rate than the fine-tuned MiniLM the
# defaults are set for; the rest keeps the probes to seconds on CPU.
SMALL = ("train.lr=8e-3", "train.device=cpu", "train.precision=fp32", "probes.overfit_max_steps=60",
         "probes.decoded_samples=5")


def plugged(group: str, target: str, **settings: object) -> tuple[str, ...]:
    """Overrides replacing a whole part: drop the default's keys, name the target, add its own keys."""
    return (f"~{group}", f"+{group}._target_={target}", *(f"+{group}.{k}={v}" for k, v in settings.items()))


def model(name: str) -> tuple[str, ...]:
    return plugged("model", f"{EXAMPLES}.{name}", width=32)


def overrides(*changes: str, net: str = "MyNet") -> tuple[str, ...]:
    return (*model(net), *SMALL, *changes)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: these models are too small to gain from two, and the cores are shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """A prepared folder as step 0 writes it: 48 keyword texts split 36 / 12 / 0, and the summary."""
    folder = tmp_path_factory.mktemp("prepared")
    frame = make_texts(n_per_class=16, seed=0).astype({"text": "string", "label": "string"})
    frame.insert(0, "row", range(len(frame)))
    parts = {"train": frame.iloc[:36], "valid": frame.iloc[36:], "test": frame.iloc[:0]}
    for name, part in parts.items():
        part.reset_index(drop=True).to_parquet(split_file(name, folder), index=False)
    summary = summary_doc(sorted(frame["label"].unique()), {k: len(v) for k, v in parts.items()})
    (folder / SUMMARY_FILE).write_text(json.dumps(summary), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def thresholds() -> ModelChecks:
    return from_conf(ModelChecks, "checks.model", conf_dir=CONF)


def probe(changes: tuple[str, ...], prepared: Path, thresholds: ModelChecks) -> dict[str, CheckResult]:
    """The probe checks of the configuration ``changes`` makes, by id, measured as the stage measures them."""
    cfg = from_conf(ModelStage, hydra_overrides=changes, conf_dir=CONF)
    parts = build_parts(cfg, json.loads((prepared / SUMMARY_FILE).read_text())["classes"])
    inputs = model_inputs(cfg, parts, prepared)
    device, autocast = resolve(cfg.train.device, cfg.train.precision)
    measured = run_probes(parts, cfg.train, cfg.probes, inputs.raw_train, inputs.train, inputs.valid, device,
                          autocast, cfg.seed, stop_below=thresholds.overfit_loss_max)
    return {check.id: check for check in probe_checks(measured, thresholds)}


@pytest.fixture(scope="module")
def probed(prepared, thresholds):
    """``probe`` remembered per set of overrides (lr=0 trips two checks from one run)."""
    seen: dict[tuple[str, ...], dict[str, CheckResult]] = {}

    def checks(changes: tuple[str, ...]) -> dict[str, CheckResult]:
        if changes not in seen:
            seen[changes] = probe(changes, prepared, thresholds)
        return seen[changes]

    return checks


def not_passing(checks: dict[str, CheckResult]) -> dict[str, str]:
    return {k: f"{c.status}: {c.message}" for k, c in checks.items() if c.status != "pass"}


# -- the clean parts ----------------------------------------------------------------------------------------------

def test_the_example_model_gets_what_its_signature_names():
    cfg = from_conf(ModelStage, hydra_overrides=overrides(), conf_dir=CONF)
    parts = build_parts(cfg, ["negative", "neutral", "positive"])
    net = parts.build_model()
    assert net.embed.num_embeddings == len(parts.tokenizer) == 30522  # vocab_size from the tokenizer
    assert net.embed.padding_idx == parts.tokenizer.pad_token_id  # pad_token_id from the tokenizer
    assert net.head.out_features == 3 and net.hidden.in_features == 32  # num_labels from the data; width from YAML
    assert net.drop.p == cfg.train.dropout and parts.build_model(dropout=0.0).drop.p == 0.0  # train.dropout
    assert parts.names["model"] == f"{EXAMPLES}.MyNet"


def test_the_clean_example_passes_every_probe(prepared, thresholds):
    checks = probe(overrides(), prepared, thresholds)
    assert {"batch_independence", "dropout_in_eval", "overfit_small_sample", "words_kept"} <= set(checks)
    assert not_passing(checks) == {}


def test_a_clean_word_tokenizer_and_preprocessing_pass_every_probe(prepared, thresholds, tmp_path, monkeypatch):
    """The vocabulary file the tokenizer reads lies in plugins/ too, where DVC sees it change."""
    words = {w for text in make_texts(n_per_class=16, seed=0)["text"] for w in text.lower().split()}
    (tmp_path / "plugins").mkdir()
    shutil.copy(ROOT / "plugins" / "my_models.py", tmp_path / "plugins" / "my_models.py")
    vocab = tmp_path / "plugins" / "vocab.txt"
    vocab.write_text("\n".join(sorted(words)) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(ROOT / "plugins")])
    monkeypatch.delitem(sys.modules, EXAMPLES, raising=False)
    changes = overrides(*plugged("tokenizer", f"{EXAMPLES}.word_tokenizer", vocab_file=f"'{vocab}'"),
                        *plugged("preprocess", f"{EXAMPLES}.remove_punctuation"))
    try:
        assert not_passing(probe(changes, prepared, thresholds)) == {}
    finally:
        sys.modules.pop(EXAMPLES, None)  # the copy in tmp_path must not serve the next test in this worker


# -- each bug, plugged in, fails its probe ------------------------------------------------------------------------

BUGS = [
    # (overrides, the check that must fail, words its message must hold, words its fix must hold)
    pytest.param(overrides(net="SoftmaxOutput"), "probability_outputs", ["lie in [0, 1] and sum to 1"],
                 ["softmax", "model._target_"], id="softmax-before-the-loss"),
    pytest.param(overrides(net="DropoutInEval"), "dropout_in_eval", ["two eval-mode passes", "differ"],
                 ["training=self.training"], id="dropout-on-in-eval"),
    pytest.param(overrides(net="ConstantInit"), "symmetric_init", ["constant: hidden.weight"],
                 ["initialize weights randomly"], id="constant-initialized-layer"),
    pytest.param(overrides(net="UnusedLayer"), "dead_parameters", ["got no gradient", "second.weight, second.bias"],
                 ["use these layers in forward"], id="unused-layer"),
    pytest.param(overrides(net="AttentionPoolingOverPadding"), "padding_invariance",
                 ["when padded from its own length"], ["attention_mask", "pool"], id="attention-pooling-over-padding"),
    pytest.param(overrides(net="FirstTokenOnly"), "unread_tokens", ["have no influence on the logits", "gradient"],
                 ["h[:, 0]"], id="first-token-only"),
    pytest.param(overrides(*plugged("loss", f"{EXAMPLES}.shifted_labels_loss")), "overfit_predictions",
                 ["predicted as their labels"], ["label map shifted"], id="shifted-label-map"),
    pytest.param(overrides(f"optimizer._target_={EXAMPLES}.NoZeroGradAdamW"), "zero_grad",
                 ["NoZeroGradAdamW.zero_grad", "left gradients in"], ["optimizer._target_"], id="no-op-zero-grad"),
    pytest.param(overrides("train.lr=0"), "params_change", ["changed 0 of", "at lr 0"], ["train.lr"], id="lr-0"),
    pytest.param(overrides("train.lr=0"), "lr_band", ["0 never moves the weights"], ["train.lr"], id="lr-0-band"),
    pytest.param(overrides("train.max_length=8"), "truncated_texts", ["longer than train.max_length=8"],
                 ["raise train.max_length"], id="max-length-8"),
    pytest.param(overrides(*plugged("preprocess", f"{EXAMPLES}.strip_words")), "words_kept",
                 ["lose most of their words"], ["preprocess"], id="preprocessing-strips-words"),
    pytest.param(overrides(*plugged("tokenizer", f"{EXAMPLES}.tiny_vocabulary_tokenizer")), "unknown_tokens",
                 ["are the unknown token"], ["tokenizer._target_"], id="tiny-vocabulary"),
]


@pytest.mark.parametrize("changes, failing, says, fix", BUGS)
def test_a_plugged_in_bug_fails_its_probe(changes, failing, says, fix, probed):
    check = probed(changes)[failing]
    assert check.status == "fail", check
    assert all(words in check.message for words in says), check.message
    assert all(words in check.fix for words in fix), check.fix


def test_a_model_from_plugins_of_another_project_that_mixes_the_batch_fails(prepared, thresholds, tmp_path,
                                                                              monkeypatch):
    """`model._target_=my_models.MixesBatch` with my_models.py in the plugins/ of the project the stage runs in."""
    (tmp_path / "plugins").mkdir()
    shutil.copy(ROOT / "plugins" / "my_models.py", tmp_path / "plugins" / "my_models.py")
    monkeypatch.chdir(tmp_path)
    # As under `python stages/x.py`: plugins/ is not importable until build_parts puts it on sys.path.
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".", str(tmp_path), str(ROOT / "plugins"))])
    monkeypatch.delitem(sys.modules, "my_models", raising=False)
    changes = (*plugged("model", "my_models.MixesBatch", width=32), *SMALL)
    try:
        checks = probe(changes, prepared, thresholds)
    finally:
        sys.modules.pop("my_models", None)
    check = checks["batch_independence"]
    assert check.status == "fail" and check.value > thresholds.batch_mixing_max
    assert "when it runs alone" in check.message and "dim 0" in check.fix and "model._target_" in check.fix


def test_every_buggy_example_names_its_probe_in_one_line():
    ensure_plugins_importable(ROOT)
    module = importlib.import_module(EXAMPLES)
    buggy = {name: obj for name, obj in vars(module).items()
             if (obj.__doc__ or "").startswith("Bug (") and getattr(obj, "__module__", "") == EXAMPLES}
    assert set(buggy) == {"MixesBatch", "SoftmaxOutput", "DropoutInEval", "ConstantInit", "UnusedLayer",
                          "AttentionPoolingOverPadding", "FirstTokenOnly", "shifted_labels_loss",
                          "NoZeroGradAdamW", "strip_words", "tiny_vocabulary_tokenizer"}
    known = {param.values[1] for param in BUGS} | {"batch_independence"}
    for name, obj in buggy.items():
        assert "\n" not in obj.__doc__.strip(), name
        assert obj.__doc__[len("Bug ("):].split(")")[0] in known, name


# -- your own parts in plugins/, resolved the same way by every stage ---------------------------------------------

SHOUT = '''
CALLS = []


def shout(texts, mark="!"):
    """Upper-case every text and mark it; records each call, so the test sees who applied it."""
    CALLS.append(len(texts))
    return texts.astype(str).str.upper() + mark
'''

KWARGS_NET = '''
from my_base import Base


class Mine(Base):
    """Subclassed the usual way: everything forwarded to the parent."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
'''

BASE_NET = '''
from torch import nn


class Base(nn.Module):
    def __init__(self, vocab_size, num_labels, pad_token_id=0, width=16, dropout=0.1):
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab_size, width, mode="mean", padding_idx=pad_token_id)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(width, num_labels)

    def forward(self, input_ids, attention_mask):
        return self.head(self.drop(self.embed(input_ids * attention_mask)))
'''


@pytest.fixture
def prepared_with_test(user_plugins, tmp_path) -> Path:
    """Prepared splits with a test split, as `prepare` writes them (step 2 scores test too)."""
    from clearance.core.config.data import DataConfig, PrepareStage
    from clearance.core.data.prepare import prepare

    make_texts(n_per_class=20, seed=1).to_csv(tmp_path / "tiny.csv", index=False)
    data = from_conf(DataConfig, "data", ("data=custom",), conf_dir=CONF, path=str(tmp_path / "tiny.csv"))
    prepare(from_conf(PrepareStage, None, ("data=custom",), conf_dir=CONF, data=data), tmp_path / "prepared")
    return tmp_path / "prepared"


def test_a_preprocess_function_in_plugins_is_applied_by_step_2_and_step_3_alike(user_plugins, prepared_with_test,
                                                                                tmp_path):
    from clearance.baselines.measure.run import run_baselines
    from clearance.core.config.baselines import BaselinesStage

    user_plugins("shouting", SHOUT)
    spec = {"_target_": "shouting.shout", "mark": "!!"}
    baselines = from_conf(BaselinesStage, conf_dir=CONF)
    baselines.preprocess = spec
    baselines.baselines.run = ["majority", "keyword_rule"]
    run_baselines(baselines, prepared_with_test, tmp_path / "baselines")
    calls = list(sys.modules["shouting"].CALLS)
    assert len(calls) == 3  # step 2: train, valid and test
    cfg = from_conf(ModelStage, hydra_overrides=("model=tiny",), conf_dir=CONF)
    cfg.preprocess = spec
    inputs = model_inputs(cfg, build_parts(cfg, ["negative", "neutral", "positive"]), prepared_with_test)
    # step 3: train and valid, and train once more where train.max_length: auto reads its token lengths
    assert len(sys.modules["shouting"].CALLS) == 3 + 3
    assert all(text.endswith("!!") and text == text.upper() for text in inputs.train.texts + inputs.valid.texts)


def test_a_model_subclassed_with_args_and_kwargs_trains(user_plugins, prepared_with_test):
    from clearance.neural.training.loop import train_model
    from clearance.neural.training.settings import TrainSettings

    user_plugins("my_base", BASE_NET)
    user_plugins("my_mine", KWARGS_NET)
    cfg = from_conf(ModelStage, hydra_overrides=("~model", "+model._target_=my_mine.Mine", "+model.width=16",
                                                 "train.lr=5e-2", "train.epochs=30", "train.device=cpu",
                                                 "train.precision=fp32"),
                    conf_dir=CONF)
    parts = build_parts(cfg, ["negative", "neutral", "positive"])
    inputs = model_inputs(cfg, parts, prepared_with_test)
    result = train_model(cfg.train, parts, inputs.train, inputs.valid,
                         TrainSettings(max_steps=30, eval_every=30, progress=False))
    assert result.model.head.out_features == 3 and result.model.embed.num_embeddings == len(parts.tokenizer)
    assert result.step_losses[-1] < result.step_losses[0] * 0.7, result.step_losses
    assert result.valid is not None
