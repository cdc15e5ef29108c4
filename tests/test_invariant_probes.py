"""Probes from invariants of a correct classifier: padding, batch size, what the model reads, and what
overfitting proves. Each fails on a model built to break its invariant, for its own reason, and passes on
the clean models: the tiny ones here, and the built-in ones and the worked example over 5 seeds."""

from __future__ import annotations


from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from clearance.core.compose import compose
from clearance.core.config.model import ModelStage
from clearance.core.config.params import from_conf, load_stage_config
from clearance.neural.parts.device import autocast_for
from clearance.neural.parts.parts import build_parts
from clearance.neural.training.batches import encode
from clearance.small_model.judge import checks as C
from clearance.small_model.judge.checks import ModelChecks
from clearance.small_model.measure.probes.fitting import measure_overfit
from clearance.small_model.measure.probes.inputs import length_limit
from clearance.small_model.measure.probes.padding import measure_batch_sizes, measure_padding
from clearance.small_model.measure.probes.reading import measure_reading
from clearance.small_model.measure.probes.suite import probe_batch
from tests.factory import make_texts
from tests.test_probes import BatchMean as MixesBatch  # normalizes over the batch axis
from tests.test_probes import batch_of, make_parts, train_config
from tests.training_kit import BagOfWords

REPO = Path(__file__).resolve().parents[1]
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def t() -> ModelChecks:
    return from_conf(ModelChecks, "checks.model")


# -- models built to break one invariant each ----------------------------------------------------------------------

class PoolsOverPadding(BagOfWords):
    """Bug (padding_invariance, reads_padding): the mean runs over every position, padding included."""

    def pool(self, input_ids, attention_mask):
        return self.embed(input_ids).mean(1)


class AttendsToPadding(BagOfWords):
    """Bug (padding_invariance, reads_padding): attention pooling whose softmax ignores the mask."""

    def __init__(self, vocab_size, num_labels, width=32, dropout=0.1):
        super().__init__(vocab_size, num_labels, width, dropout)
        self.score = torch.nn.Linear(width, 1)

    def pool(self, input_ids, attention_mask):
        vectors = self.embed(input_ids) + 0.1  # padding's vectors are not zero after a bias
        weights = self.score(vectors).softmax(dim=1)  # the classic bug: no masked_fill before the softmax
        return (weights * vectors).sum(1)


class ReadsFirstToken(BagOfWords):
    """Bug (unread_tokens): only the first token reaches the head."""

    def pool(self, input_ids, attention_mask):
        return self.embed(input_ids)[:, 0]


class NeedsTwoSamples(BagOfWords):
    """A model limit, not a bug: its forward refuses a batch of one."""

    def forward(self, input_ids, attention_mask):
        if input_ids.shape[0] < 2:
            raise ValueError("Expected more than 1 value per channel")
        return super().forward(input_ids, attention_mask)


class ShortPositionTable(BagOfWords):
    """A model limit, not a bug: a learned position table of 20 rows (named so nothing finds its size)."""

    def __init__(self, vocab_size, num_labels, width=32, dropout=0.1):
        super().__init__(vocab_size, num_labels, width, dropout)
        self.places = torch.nn.Embedding(20, width)

    def pool(self, input_ids, attention_mask):
        vectors = self.embed(input_ids) + self.places(torch.arange(input_ids.shape[1]))
        mask = attention_mask.unsqueeze(-1).float()
        return (vectors * mask).sum(1) / mask.sum(1).clamp(min=1)


class OneHot(torch.nn.Module):
    """Clean, with no nn.Embedding: one-hot ids times a weight matrix (the perturbation method reads it)."""

    def __init__(self, vocab_size, num_labels, width=32, dropout=0.1):
        super().__init__()
        self.vocab_size = vocab_size
        self.table = torch.nn.Parameter(torch.randn(vocab_size, width) * 0.1)
        self.head = torch.nn.Linear(width, num_labels)

    def forward(self, input_ids, attention_mask):
        vectors = F.one_hot(input_ids, self.vocab_size).float() @ self.table
        mask = attention_mask.unsqueeze(-1).float()
        return self.head(torch.tanh((vectors * mask).sum(1) / mask.sum(1).clamp(min=1)))


class OneHotOverPadding(OneHot):
    """Bug (reads_padding, by perturbation): its mean runs over padding too."""

    def forward(self, input_ids, attention_mask):
        return self.head(torch.tanh((F.one_hot(input_ids, self.vocab_size).float() @ self.table).mean(1)))


def shifted_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Bug (overfit_predictions): the loss reads each label shifted by one class."""
    return F.cross_entropy(logits, (labels + 1) % logits.shape[1])


def probed(model_class: type):
    parts, _, train, _ = make_parts(model_class)
    model = parts.build_model()
    return parts, model, batch_of(parts, train), length_limit(parts.tokenizer, model)


def status(check_id: str, measured: dict, t: ModelChecks) -> tuple[str, str]:
    result = C.grade(check_id, measured, t)
    return result.status, result.message + " | " + result.fix


# -- padding ------------------------------------------------------------------------------------------------------

def test_a_clean_model_gives_a_text_the_same_logits_however_padded(t):
    parts, model, batch, limit = probed(BagOfWords)
    measured = measure_padding(model, batch, parts.tokenizer.pad_token_id, limit)
    assert measured["wide_width"] >= 4 * measured["batch_width"]
    assert status("padding_invariance", measured, t)[0] == "pass" and measured["change"] < 1e-5


@pytest.mark.parametrize("model_class", [PoolsOverPadding, AttendsToPadding])
def test_pooling_that_ignores_the_mask_fails_and_points_at_the_mask(model_class, t):
    parts, model, batch, limit = probed(model_class)
    measured = measure_padding(model, batch, parts.tokenizer.pad_token_id, limit)
    grade, text = status("padding_invariance", measured, t)
    assert grade == "fail" and "attention_mask" in text and "pool" in text, text
    # the batch-size probe runs at equal padding: it does not blame the batch for a padding leak
    assert status("batch_size_invariance", measure_batch_sizes(model, batch), t)[0] == "pass"


def test_a_position_table_too_short_for_the_widest_padding_is_a_warning_naming_the_limit(t):
    parts, model, batch, limit = probed(ShortPositionTable)
    assert limit is None  # nothing names its size: the probe finds out by running it
    measured = measure_padding(model, batch, parts.tokenizer.pad_token_id, limit)
    grade, text = status("padding_invariance", measured, t)
    assert grade == "warn" and "cannot take" in text and "limit of the model" in text, text


# -- batch size ---------------------------------------------------------------------------------------------------

def test_batch_mixing_fails_the_batch_size_probe_and_not_the_padding_one(t):
    parts, model, batch, limit = probed(MixesBatch)
    grade, text = status("batch_size_invariance", measure_batch_sizes(model, batch), t)
    assert grade == "fail" and "batch of 1" in text and "dim 0" in text, text
    assert status("padding_invariance", measure_padding(model, batch, 0, limit), t)[0] == "pass"
    assert status("batch_size_invariance", measure_batch_sizes(*probed(BagOfWords)[1:3]), t)[0] == "pass"


def test_a_model_that_cannot_take_a_batch_of_one_is_a_warning_not_a_crash(t):
    parts, model, batch, limit = probed(NeedsTwoSamples)
    for check, measured in (("batch_size_invariance", measure_batch_sizes(model, batch)),
                            ("padding_invariance", measure_padding(model, batch, 0, limit))):
        grade, text = status(check, measured, t)
        assert grade == "warn" and "batch of 1" in text or "cannot take" in text, text


# -- what the model reads -----------------------------------------------------------------------------------------

def test_a_clean_model_reads_every_real_token_and_no_padding(t):
    parts, model, batch, _ = probed(BagOfWords)
    measured = measure_reading(model, batch, 0)
    assert measured["method"] == "gradient" and measured["embeddings"] == "embed"
    assert status("reads_padding", measured, t)[0] == "pass" and measured["padding_share"] == 0
    assert status("unread_tokens", measured, t)[0] == "pass" and measured["dead_share"] == 0


@pytest.mark.parametrize("model_class", [PoolsOverPadding, AttendsToPadding])
def test_gradient_on_padding_is_caught(model_class, t):
    parts, model, batch, _ = probed(model_class)
    grade, text = status("reads_padding", measure_reading(model, batch, 0), t)
    assert grade == "fail" and "padding positions" in text and "gradient" in text, text


def test_a_model_reading_only_the_first_token_is_caught(t):
    parts, model, batch, _ = probed(ReadsFirstToken)
    measured = measure_reading(model, batch, 0)
    grade, text = status("unread_tokens", measured, t)
    assert grade == "fail" and "h[:, 0]" in text and measured["dead_share"] > 0.5, text
    assert status("reads_padding", measured, t)[0] == "pass"


def test_without_reachable_embeddings_perturbation_runs_and_says_so(t):
    parts, model, batch, _ = probed(OneHot)
    measured = measure_reading(model, batch, 0)
    assert measured["method"] == "perturbation"
    for check in ("reads_padding", "unread_tokens"):
        grade, text = status(check, measured, t)
        assert grade == "pass" and "perturbation" in text, text
    parts, model, batch, _ = probed(OneHotOverPadding)
    grade, text = status("reads_padding", measure_reading(model, batch, 0), t)
    assert grade == "fail" and "perturbation" in text, text


# -- what overfitting proves -----------------------------------------------------------------------------------

def overfit(parts, train) -> dict:
    return measure_overfit(train_config(lr=0.05), parts, train, 16, 150, CPU, autocast_for(CPU, "fp32"),
                           stop_below=0.01)


def test_overfitting_predicts_the_labels_it_learned(t):
    parts, _, train, _ = make_parts()
    measured = overfit(parts, train)
    assert measured["accuracy"] == 1.0 and status("overfit_predictions", measured, t)[0] == "pass"


def test_a_loss_near_zero_with_wrong_predictions_fails_naming_the_label_map(t):
    parts, _, train, _ = make_parts()
    parts.loss = shifted_loss
    measured = overfit(parts, train)
    assert status("overfit_small_sample", measured, t)[0] == "pass"  # the loss alone says all is well
    grade, text = status("overfit_predictions", measured, t)
    assert grade == "fail" and measured["accuracy"] == 0.0 and "label map shifted" in text, text


# -- no false alarm on the built-in models and the worked example, over 5 seeds --------------------------------------

BUILT_IN = {"minilm": ["model=minilm"], "hf": ["model=hf", "tokenizer=minilm"], "tiny": ["model=tiny"],
            "micro": ["model=micro"],
            "worked_example": ["~model", "+model._target_=my_models.MyNet", "+model.width=64"]}
NEW_CHECKS = ("padding_invariance", "batch_size_invariance", "reads_padding", "unread_tokens")
READS = {d.id: d.reads for d in C.CHECKS}  # the probe each check grades


def built_in_parts(name: str, monkeypatch):
    from clearance.core.packaged import default_model_dir

    overrides = list(BUILT_IN[name])
    if name == "hf":
        overrides.append(f"model.path={default_model_dir()}")  # the packaged checkpoint, whole (6 layers)
    monkeypatch.syspath_prepend(str(REPO / "plugins"))
    cfg = load_stage_config(ModelStage, compose(overrides, conf_dir=REPO / "conf"))
    return build_parts(cfg, ["negative", "neutral", "positive"])


@pytest.mark.parametrize("name", list(BUILT_IN))
def test_no_false_alarm_on_the_built_in_models_over_five_seeds(name, t, monkeypatch):
    parts = built_in_parts(name, monkeypatch)
    frame = make_texts(n_per_class=12, seed=0)
    train = encode(parts.tokenizer, frame["text"].tolist(), frame["label"].factorize()[0], 64)
    model = parts.build_model()
    limit = length_limit(parts.tokenizer, model)
    pad = parts.tokenizer.pad_token_id
    for seed in range(5):
        batch = probe_batch(train, 8, pad, seed)
        found = {"padding": measure_padding(model, batch, pad, limit), "batch_size": measure_batch_sizes(model, batch),
                 "reading": measure_reading(model, batch, pad, seed, limit)}
        for check in NEW_CHECKS:
            result = C.grade(check, found[READS[check]], t)
            assert result.status == "pass", (name, seed, result.id, result.message)
