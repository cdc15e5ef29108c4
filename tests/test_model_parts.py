"""Step 3's plug-in parts: the built-in models run, seeds and dropout reach the model, a user's
own parts get the arguments their signatures name, and every bad setting is a UserError naming its key."""

from __future__ import annotations

import copy
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch import nn

from clearance.core.config.model import ModelStage
from clearance.core.config.params import from_conf
from clearance.core.errors import UserError
from clearance.neural.parts.device import resolve
from clearance.neural.parts.parts import Parts, build_parts, forward, logits_of
from clearance.core.parts.plugins import ensure_plugins_importable
from tests.conftest import REPO

CLASSES = ["negative", "neutral", "positive"]
TEXTS = ["I love this, best day ever", "meh", "the worst service I have had in years, never again"]
USER_MODULE = "clearance_test_user_parts"
USER_CODE = '''
import torch
from torch import nn

SEEN = []


class Plain(nn.Module):
    """Names none of the facts: gets only its YAML keys."""

    def __init__(self, hidden=4):
        super().__init__()
        SEEN.append({"hidden": hidden})
        self.emb = nn.Embedding(30522, hidden)
        self.head = nn.Linear(hidden, 3)

    def forward(self, input_ids, attention_mask):
        return self.head(self.emb(input_ids).mean(1))


class Full(nn.Module):
    """Names every fact and dropout."""

    def __init__(self, num_labels, vocab_size, pad_token_id, dropout=0.5):
        super().__init__()
        SEEN.append(dict(num_labels=num_labels, vocab_size=vocab_size, pad_token_id=pad_token_id,
                         dropout=dropout))
        self.emb = nn.Embedding(vocab_size, 8, padding_idx=pad_token_id)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(8, num_labels)

    def forward(self, input_ids, attention_mask):
        return self.head(self.drop(self.emb(input_ids).mean(1)))


def loose(num_labels, **options):
    """**options names nothing: only num_labels is given."""
    SEEN.append({"num_labels": num_labels, **options})
    return nn.Linear(2, num_labels)


def broken(num_labels):
    raise RuntimeError("the weights file is corrupt")


def not_a_module(num_labels):
    return "a string"


class NoPad:
    pad_token_id = None
    unk_token_id = None

    def __call__(self, texts, **kwargs):
        return {"input_ids": [[1]] * len(texts), "attention_mask": [[1]] * len(texts)}

    def decode(self, ids):
        return ""

    def __len__(self):
        return 10


def no_pad_tokenizer():
    return NoPad()


def not_a_tokenizer():
    return 42


def sgd_without_decay(params, lr):
    return torch.optim.SGD(params, lr=lr)


def not_a_loss():
    return 3
'''


@pytest.fixture(scope="module", autouse=True)
def project(tmp_path_factory) -> Iterator[Path]:
    """A project folder to run from, as the stages do: its plugins/ holds the user's own parts."""
    root = tmp_path_factory.mktemp("project")
    (root / "plugins").mkdir()
    (root / "conf").symlink_to(REPO / "conf")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setattr(sys, "path", list(sys.path))
        yield root


@pytest.fixture(scope="module")
def user_module(project) -> Iterator:
    """A module of the user's own parts in plugins/, importable by its file name."""
    (project / "plugins" / f"{USER_MODULE}.py").write_text(USER_CODE, encoding="utf-8")
    ensure_plugins_importable()
    importlib.invalidate_caches()
    yield importlib.import_module(USER_MODULE)
    sys.modules.pop(USER_MODULE, None)


@pytest.fixture(scope="module")
def base() -> ModelStage:
    return from_conf(ModelStage)


def stage(base: ModelStage, **sections) -> ModelStage:
    """A copy of the default stage config with whole sections replaced."""
    cfg = copy.deepcopy(base)
    for key, value in sections.items():
        setattr(cfg, key, value)
    return cfg


@pytest.fixture(scope="module")
def minilm_parts(base) -> Parts:
    return build_parts(base, CLASSES)


@pytest.fixture(scope="module")
def minilm(minilm_parts) -> nn.Module:
    return minilm_parts.build_model()


@pytest.fixture(scope="module")
def checkpoint(project, minilm_parts) -> Path:
    """A tiny BERT checkpoint with its tokenizer, as save_pretrained writes them, in plugins/."""
    from transformers import BertConfig, BertForSequenceClassification

    folder = project / "plugins" / "checkpoint"
    config = BertConfig(vocab_size=len(minilm_parts.tokenizer), hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, num_labels=5)
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(folder)
    minilm_parts.tokenizer.save_pretrained(folder)
    return folder


def batch(parts: Parts, texts: list[str] = TEXTS) -> dict[str, torch.Tensor]:
    return dict(parts.tokenizer(texts, truncation=True, max_length=32, padding=True, return_tensors="pt"))


def logits(model: nn.Module, parts: Parts) -> torch.Tensor:
    encoded = batch(parts)
    return forward(model, encoded["input_ids"], encoded["attention_mask"])


def dropouts(model: nn.Module) -> list[float]:
    return [m.p for m in model.modules() if isinstance(m, nn.Dropout)]


def same_in_train_mode(model: nn.Module, parts: Parts) -> bool:
    """Two forward passes in train mode agree exactly only when no dropout is active."""
    model.train()
    with torch.no_grad():
        return torch.equal(logits(model, parts), logits(model, parts))


# ---- the built-in models -------------------------------------------------------------------


def test_minilm_gives_logits_per_sample_and_class(minilm, minilm_parts):
    minilm.eval()
    out = logits(minilm, minilm_parts)
    assert out.shape == (len(TEXTS), len(CLASSES)) and torch.isfinite(out).all()


def test_minilm_is_cut_and_its_word_embeddings_frozen(minilm, base):
    assert len(minilm.encoder.encoder.layer) == base.model["num_layers"] == 3
    assert minilm.encoder.get_input_embeddings().weight.requires_grad is False
    trainable = [name for name, p in minilm.named_parameters() if p.requires_grad]
    assert "head.weight" in trainable and any("encoder.layer.1." in name for name in trainable)
    assert not any("word_embeddings" in name or "pooler" in name for name in trainable)


def test_minilm_starts_near_chance(minilm, minilm_parts):
    """A small head keeps the initial loss near ln K, as the loss-at-init probe expects."""
    minilm.eval()
    with torch.no_grad():
        loss = minilm_parts.loss(logits(minilm, minilm_parts), torch.tensor([2, 1, 0]))
    assert abs(loss.item() - torch.log(torch.tensor(3.0)).item()) < 0.1


def test_minilm_options_reach_the_model(base):
    parts = build_parts(stage(base, model={**base.model, "num_layers": 1, "freeze_word_embeddings": False}),
                        CLASSES)
    model = parts.build_model()
    assert len(model.encoder.encoder.layer) == 1
    assert model.encoder.get_input_embeddings().weight.requires_grad is True


def test_tiny_gives_logits_and_uses_the_tokenizer(base):
    parts = build_parts(stage(base, model={"_target_": "clearance.neural.parts.tiny.TinyTransformer"}), CLASSES)
    model = parts.build_model().eval()
    assert logits(model, parts).shape == (len(TEXTS), len(CLASSES))
    assert model.tokens.num_embeddings == len(parts.tokenizer)
    assert model.tokens.padding_idx == parts.tokenizer.pad_token_id


def test_tiny_survives_a_row_of_padding_only(base):
    parts = build_parts(stage(base, model={"_target_": "clearance.neural.parts.tiny.TinyTransformer"}), CLASSES)
    model = parts.build_model().eval()
    ids = torch.tensor([[101, 2000, 102], [0, 0, 0]])
    out = forward(model, ids, (ids != 0).long())
    assert torch.isfinite(out).all()


def test_hf_loads_a_local_checkpoint_with_a_fresh_head(base, checkpoint):
    cfg = from_conf(ModelStage, None, ("model=hf", f"model.path={checkpoint}", "tokenizer=hf"))
    parts = build_parts(cfg, CLASSES)
    model = parts.build_model().eval()
    assert model.config.num_labels == len(CLASSES)  # the saved head had 5 classes
    assert logits(model, parts).shape == (len(TEXTS), len(CLASSES))
    assert same_weights(model, parts.build_model())  # the fresh head is seeded too


# ---- seeds and dropout -----------------------------------------------------------------------


def tiny_stage(base: ModelStage, seed: int = 42, dropout: float | None = 0.1) -> ModelStage:
    cfg = stage(base, model={"_target_": "clearance.neural.parts.tiny.TinyTransformer", "width": 32, "ffn": 64})
    cfg.train.seed, cfg.train.dropout = seed, dropout
    return cfg


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_the_same_seed_gives_the_same_weights(base):
    parts = build_parts(tiny_stage(base), CLASSES)
    first = parts.build_model()
    torch.rand(100)  # whatever ran in between must not matter
    assert same_weights(first, parts.build_model())
    assert not same_weights(first, build_parts(tiny_stage(base, seed=7), CLASSES).build_model())


def test_minilm_head_is_seeded(minilm, minilm_parts):
    again = minilm_parts.build_model()
    assert torch.equal(again.head.weight, minilm.head.weight)


def test_train_dropout_reaches_the_tiny_model_and_zero_turns_it_off(base):
    parts = build_parts(tiny_stage(base, dropout=0.1), CLASSES)
    on, off = parts.build_model(), parts.build_model(dropout=0.0)
    assert max(dropouts(on)) == pytest.approx(0.1) and not same_in_train_mode(on, parts)
    assert max(dropouts(off)) == 0.0 and same_in_train_mode(off, parts)


def test_null_dropout_keeps_the_model_default(base):
    parts = build_parts(tiny_stage(base, dropout=None), CLASSES)
    assert max(dropouts(parts.build_model())) == pytest.approx(0.1)  # TinyTransformer's own default
    assert max(dropouts(parts.build_model(dropout=0.3))) == pytest.approx(0.3)


def test_zero_dropout_reaches_minilm(minilm, minilm_parts):
    assert not same_in_train_mode(minilm, minilm_parts)  # configured 0.1: dropout is active
    off = minilm_parts.build_model(dropout=0.0)
    assert max(dropouts(off)) == 0.0 and off.encoder.config.attention_probs_dropout_prob == 0.0
    assert same_in_train_mode(off, minilm_parts)


def test_zero_dropout_reaches_an_hf_checkpoint(checkpoint):
    cfg = from_conf(ModelStage, None, ("model=hf", f"model.path={checkpoint}", "tokenizer=hf"))
    parts = build_parts(cfg, CLASSES)
    assert not same_in_train_mode(parts.build_model(), parts)
    off = parts.build_model(dropout=0.0)
    assert max(dropouts(off)) == 0.0 and same_in_train_mode(off, parts)


# ---- the user's own parts --------------------------------------------------------------------


def user(name: str, **keys) -> dict:
    return {"_target_": f"{USER_MODULE}.{name}", **keys}


def test_a_user_model_gets_only_the_arguments_its_signature_names(base, user_module, minilm_parts):
    user_module.SEEN.clear()
    build_parts(stage(base, model=user("Plain", hidden=6)), CLASSES).build_model()
    build_parts(stage(base, model=user("Full")), CLASSES).build_model()
    build_parts(stage(base, model=user("loose")), CLASSES).build_model()
    tokenizer = minilm_parts.tokenizer
    assert user_module.SEEN == [
        {"hidden": 6},
        {"num_labels": 3, "vocab_size": len(tokenizer), "pad_token_id": tokenizer.pad_token_id, "dropout": 0.1},
        {"num_labels": 3},
    ]


def test_a_user_model_runs_in_the_pipeline_contract(base, user_module):
    parts = build_parts(stage(base, model=user("Full")), CLASSES)
    model = parts.build_model(dropout=0.0).eval()
    assert logits(model, parts).shape == (len(TEXTS), len(CLASSES))
    assert dropouts(model) == [0.0]


NET = "from torch import nn\n\ndef net(num_labels):\n    return nn.Linear(4, num_labels)\n"


def test_a_module_in_plugins_imports_by_its_file_name(base, tmp_path, monkeypatch):
    """Stages run as `python stages/x.py`: plugins/ is not on sys.path until build_parts puts it there."""
    name = f"plugged_models_{tmp_path.name.replace('-', '_')}"
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / f"{name}.py").write_text(NET, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".", str(tmp_path))])
    importlib.invalidate_caches()
    model = build_parts(stage(base, model={"_target_": f"{name}.net"}), CLASSES).build_model()
    assert model.out_features == len(CLASSES)
    sys.modules.pop(name, None)


def test_a_package_in_plugins_imports_by_its_dotted_path(base, tmp_path, monkeypatch):
    name = f"plugged_pkg_{tmp_path.name.replace('-', '_')}"
    (tmp_path / "plugins" / name).mkdir(parents=True)
    (tmp_path / "plugins" / name / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "plugins" / name / "bag.py").write_text(NET, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    importlib.invalidate_caches()
    model = build_parts(stage(base, model={"_target_": f"{name}.bag.net"}), CLASSES).build_model()
    assert model.out_features == len(CLASSES)
    for module in (f"{name}.bag", name):
        sys.modules.pop(module, None)


def test_a_module_in_the_project_root_is_refused_and_told_to_move(base, tmp_path, monkeypatch):
    """DVC does not watch the root: a part there would be served stale after an edit."""
    name = f"root_models_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(NET, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".", str(tmp_path))])
    error = bad(base, model={"_target_": f"{name}.net"})
    assert error.where == f"model._target_={name}.net"
    assert str(tmp_path / f"{name}.py") in error.problem and "outside plugins/" in error.problem
    assert f"git mv {name}.py plugins/" in error.fix
    # even where the root is on the import path (a notebook, `python -c`), it is refused, not imported
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "outside plugins/" in bad(base, model={"_target_": f"{name}.net"}).problem
    assert name not in sys.modules


def test_a_plugin_that_fails_to_import_names_its_file_line_and_setting(base, tmp_path, monkeypatch):
    name = f"broken_models_{tmp_path.name.replace('-', '_')}"
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / f"{name}.py").write_text("import torch\n\nvalue = 1 / 0\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    error = bad(base, model={"_target_": f"{name}.Net"})
    assert error.where == f"model._target_={name}.Net"
    assert f"plugins/{name}.py, line 3" in error.problem and "ZeroDivisionError" in error.problem
    (tmp_path / "plugins" / f"{name}.py").write_text("def net(:\n", encoding="utf-8")
    sys.modules.pop(name, None)
    error = bad(base, model={"_target_": f"{name}.net"})
    assert f"plugins/{name}.py, line 1" in error.problem and "SyntaxError" in error.problem


KWARGS_MODELS = """
from torch import nn


class Base(nn.Module):
    def __init__(self, num_labels, vocab_size, pad_token_id, width=8, dropout=0.1):
        super().__init__()
        self.seen = {"num_labels": num_labels, "vocab_size": vocab_size, "pad_token_id": pad_token_id,
                     "dropout": dropout}
        self.embed = nn.Embedding(vocab_size, width, padding_idx=pad_token_id)
        self.head = nn.Linear(width, num_labels)

    def forward(self, input_ids, attention_mask):
        return self.head(self.embed(input_ids).mean(1))


class Mine(Base):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
"""


def test_a_model_that_forwards_args_and_kwargs_gets_the_facts_like_its_parent(base, tmp_path, monkeypatch):
    name = f"kwargs_models_{tmp_path.name.replace('-', '_')}"
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / f"{name}.py").write_text(KWARGS_MODELS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    parts = build_parts(stage(base, model={"_target_": f"{name}.Mine", "width": 4}), CLASSES)
    model = parts.build_model()
    assert model.seen == {"num_labels": 3, "vocab_size": len(parts.tokenizer),
                          "pad_token_id": parts.tokenizer.pad_token_id, "dropout": 0.1}
    assert logits(model, parts).shape == (len(TEXTS), len(CLASSES))
    error = bad(base, model={"_target_": f"{name}.Mine", "widht": 4})  # checked against the parent's signature
    assert "widht" in error.problem


def test_logits_of_accepts_tensors_and_dot_logits_only():
    tensor = torch.zeros(2, 3)

    class Output:
        logits = tensor

    assert logits_of(tensor) is tensor and logits_of(Output()) is tensor
    with pytest.raises(UserError) as info:
        logits_of({"scores": tensor})
    assert "model" in info.value.where and "logits" in info.value.fix


# ---- bad input: each names its key -----------------------------------------------------------


def bad(base: ModelStage, **sections) -> UserError:
    """The UserError that building (and then building the model) raises."""
    with pytest.raises(UserError) as info:
        build_parts(stage(base, **sections), CLASSES).build_model()
    return info.value


@pytest.mark.parametrize("key", ["model", "tokenizer", "optimizer", "loss"])
def test_a_target_that_does_not_import_names_its_key(base, key):
    error = bad(base, **{key: {"_target_": "no_such_module.Thing"}})
    assert error.where.startswith(f"{key}._target_=no_such_module.Thing")
    assert "no_such_module" in error.problem and error.fix


def test_a_missing_target_names_its_key(base):
    assert bad(base, loss={"reduction": "mean"}).where == "loss._target_"


def test_a_model_signature_that_rejects_the_keys_names_the_key(base):
    error = bad(base, model={"_target_": "clearance.neural.parts.tiny.TinyTransformer", "widht": 64})
    assert error.where.startswith("model") and "widht" in error.problem and "conf/model" in error.fix


def test_an_optimizer_without_weight_decay_is_reported(base, user_module):
    error = bad(base, optimizer=user("sgd_without_decay", _partial_=True))
    assert error.where.startswith("optimizer") and "weight_decay" in error.problem


def test_a_model_whose_build_raises_names_the_model(base, user_module):
    parts = build_parts(stage(base, model=user("broken")), CLASSES)  # building the parts is fine
    with pytest.raises(UserError) as info:
        parts.build_model()
    assert info.value.where == f"model._target_={USER_MODULE}.broken"
    assert "the weights file is corrupt" in info.value.problem


def test_a_model_that_is_not_a_module_is_reported(base, user_module):
    error = bad(base, model=user("not_a_module"))
    assert error.where.startswith("model._target_") and "str" in error.problem


def test_a_tokenizer_without_a_pad_token_is_reported(base, user_module):
    error = bad(base, tokenizer=user("no_pad_tokenizer"))
    assert error.where.startswith("tokenizer._target_") and "pad_token_id" in error.problem
    assert "pad_token" in error.fix


def test_something_that_is_not_a_tokenizer_is_reported(base, user_module):
    error = bad(base, tokenizer=user("not_a_tokenizer"))
    assert error.where.startswith("tokenizer._target_")


def test_a_loss_that_is_not_callable_is_reported(base, user_module):
    error = bad(base, loss=user("not_a_loss"))
    assert error.where.startswith("loss._target_") and "int" in error.problem


@pytest.mark.parametrize("key,value", [("max_length", 0), ("batch_size", 0), ("lr", -1.0), ("dropout", 1.0)])
def test_impossible_train_settings_name_the_key(base, key, value):
    cfg = stage(base)
    setattr(cfg.train, key, value)
    with pytest.raises(UserError) as info:
        build_parts(cfg, CLASSES)
    assert info.value.where == f"train.{key}={value}"


def test_a_learning_rate_of_zero_is_left_to_its_probe(base):
    cfg = tiny_stage(base)
    cfg.train.lr = 0.0
    assert build_parts(cfg, CLASSES).optimizer is not None


def test_minilm_cut_beyond_its_layers_names_the_key(base):
    error = bad(base, model={**base.model, "num_layers": 7})
    assert error.where == "model.num_layers=7" and "between 1 and 6" in error.fix


@pytest.mark.parametrize("path", ["", "no/such/checkpoint"])
def test_a_missing_checkpoint_folder_names_model_path(base, path):
    error = bad(base, model={"_target_": "clearance.neural.parts.hf.sequence_classifier", "path": path})
    assert error.where.startswith("model.path")


def test_a_folder_without_config_is_not_a_checkpoint(base, project):
    folder = project / "plugins" / "not_a_checkpoint"
    folder.mkdir()
    error = bad(base, model={"_target_": "clearance.neural.parts.hf.sequence_classifier", "path": str(folder)})
    assert error.where == f"model.path={folder}" and "config.json" in error.problem


def test_a_checkpoint_outside_plugins_is_refused_before_it_is_read(base, tmp_path):
    """DVC would not see it change: the message names the setting and says where to put it."""
    error = bad(base, model={"_target_": "clearance.neural.parts.hf.sequence_classifier", "path": str(tmp_path)})
    assert error.where == f"model.path={tmp_path}" and "outside plugins/" in error.problem
    assert "into plugins/" in error.fix


def test_a_tokenizer_larger_than_the_checkpoint_vocabulary_is_reported(base, project):
    from transformers import BertConfig, BertForSequenceClassification

    folder = project / "plugins" / "small_vocabulary"
    config = BertConfig(vocab_size=100, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32)
    BertForSequenceClassification(config).save_pretrained(folder)
    error = bad(base, model={"_target_": "clearance.neural.parts.hf.sequence_classifier", "path": str(folder)})
    assert error.where == "tokenizer" and "100" in error.problem and "tokenizer=hf" in error.fix


def test_a_missing_tokenizer_folder_names_tokenizer_path(base, project):
    error = bad(base, tokenizer={**base.tokenizer, "path": str(project / "plugins" / "nowhere")})
    assert error.where.startswith("tokenizer.path")


# ---- device and precision --------------------------------------------------------------------


def test_auto_device_and_precision_follow_the_machine():
    device, autocast = resolve("auto", "auto")
    assert device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    with autocast():
        out = torch.ones(2, 2) @ torch.ones(2, 2) if device.type == "cpu" else None
    if device.type == "cpu":
        assert out.dtype == torch.float32  # auto stays fp32 on the CPU


def test_bf16_asked_for_on_the_cpu_autocasts():
    _, autocast = resolve("cpu", "bf16")
    with autocast():
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_asked_for_but_absent_names_train_device():
    with pytest.raises(UserError) as info:
        resolve("cuda", "auto")
    assert info.value.where == "train.device=cuda" and "auto" in info.value.fix


@pytest.mark.parametrize("device,precision,key", [("tpu", "auto", "train.device"), ("cpu", "fp8", "train.precision")])
def test_unknown_device_or_precision_names_the_key(device, precision, key):
    with pytest.raises(UserError) as info:
        resolve(device, precision)
    assert info.value.where.startswith(key)
