"""A tokenizer learned from the training split (`tokenizer=trained`): for data the default one misses.

The default tokenizer is all-MiniLM-L6-v2's English WordPiece: on Chinese, Japanese or Thai text most
tokens come out [UNK] and the model reads nothing. Nothing can be downloaded, so this one is learned
offline, in about a second, from ``data/prepared/train.parquet`` (the stage's working directory is the
project root, and every stage that builds parts depends on data/prepared, so a new split re-trains it).

Why WordPiece: the same family and special tokens ([PAD] [UNK] [CLS] [SEP] [MASK], "[CLS] text [SEP]")
as the default tokenizer, so everything downstream (the probes' word checks, decoding, the report) reads
it the same way; and, as in bert-base-chinese, each CJK ideograph is a token of its own, which keeps
unknown tokens rare on languages written without spaces. Characters of the other scripts written without
spaces (kana, Thai, Lao, Khmer, Myanmar) are isolated one by one too, so an unseen run costs one [UNK]
per character instead of turning the whole run into a single [UNK].

The tokenizer is saved inside the model package (`clearance.neural.serving`), so a packaged or registered
model scores texts with the vocabulary it was trained with, never one re-learned from other data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clearance.core.errors import UserError
from clearance.core.paths import TOKENIZER_FILE, split_file

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
CONTINUING = "##"  # WordPiece's prefix of a piece inside a word
# Scripts written without spaces that BertNormalizer does not split (it splits CJK ideographs): Thai,
# Lao, Myanmar (and its extensions), Khmer (and its symbols), hiragana, katakana (and its phonetic
# extensions, half-width forms). Each character becomes a word of its own.
SPACELESS = (r"[\u0E00-\u0E7F\u0E80-\u0EFF\u1000-\u109F\uA9E0-\uA9FF\uAA60-\uAA7F\u1780-\u17FF\u19E0-\u19FF"
             r"\u3040-\u309F\u30A0-\u30FF\u31F0-\u31FF\uFF66-\uFF9F]")
MIN_TEXTS = 100  # fewer training texts teach no vocabulary worth the name
MIN_LEARNED = 100  # tokens learned besides the special ones: fewer cannot spell the data
MAX_WORD_CHARS = 100  # a longer "word" (a URL, a hash) is one [UNK], as in BERT
# Set on a tokenizer that must travel inside the model package (its vocabulary came from the data).
PACKAGE_MARK = "clearance_save_in_package"
TEXT_COLUMN = "text"
DEFAULT_FIX = "keep the default tokenizer: `clearance params tokenizer=minilm` (with your other overrides)"
_LEARNED: dict[tuple, str] = {}  # (file, its stat, settings) -> the tokenizer's JSON: one training per process


def trained_tokenizer(vocab_size: int = 8000, min_frequency: int = 2, lowercase: bool = True) -> Any:
    """A WordPiece tokenizer learned from the prepared train split, as a ``PreTrainedTokenizerFast``.

    ``vocab_size`` caps the vocabulary (special tokens included); a piece must occur ``min_frequency``
    times to be merged into it; ``lowercase`` as in uncased BERT. Deterministic: the same texts and
    settings give the same vocabulary and ids.
    """
    where = f"tokenizer=trained (vocab_size={vocab_size}, min_frequency={min_frequency})"
    if vocab_size < len(SPECIAL_TOKENS) + MIN_LEARNED:
        raise UserError(f"tokenizer.vocab_size={vocab_size}", f"leaves fewer than {MIN_LEARNED} tokens besides "
                        f"the {len(SPECIAL_TOKENS)} special ones", "set tokenizer.vocab_size to 1000 or more "
                        "(8000 by default)")
    source = train_split(where)
    key = (str(source.resolve()), _stat(source), vocab_size, min_frequency, bool(lowercase))
    if key not in _LEARNED:  # the sweep builds the parts once a trial: learn once
        _LEARNED[key] = learn(training_texts(source), vocab_size, min_frequency, lowercase, where).to_str()
    return wrap(_from_json(_LEARNED[key]))


def train_split(where: str) -> Path:
    """The prepared train split, relative to the working directory (the project root, where stages run)."""
    source = split_file("train")
    if not source.is_file():
        raise UserError(where, f"learns its vocabulary from {source}, which does not exist here",
                        "run the pipeline's data steps first (`dvc repro`), from the project root")
    return source


def training_texts(source: Path) -> list[str]:
    """The split's texts, raw as the data holds them (the tokenizer does its own normalising)."""
    import pandas as pd

    return pd.read_parquet(source, columns=[TEXT_COLUMN])[TEXT_COLUMN].fillna("").astype(str).tolist()


def _stat(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_mtime_ns, info.st_size


def bare_tokenizer(lowercase: bool) -> Any:
    """An empty WordPiece tokenizer with BERT's normalizer, pre-tokenizer, post-processor and decoder."""
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
    )

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]", continuing_subword_prefix=CONTINUING,
                                           max_input_chars_per_word=MAX_WORD_CHARS))
    # strip_accents=False even when lowercasing: stripping decomposes the text and drops every combining
    # mark, i.e. Thai, Khmer and Myanmar vowel signs, Devanagari matras and the kana voicing marks (が -> か).
    tokenizer.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                      strip_accents=False, lowercase=lowercase)
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(SPACELESS), behavior="isolated"), pre_tokenizers.BertPreTokenizer()])
    tokenizer.decoder = decoders.WordPiece(prefix=CONTINUING)
    return tokenizer


def learn(texts: list[str], vocab_size: int, min_frequency: int, lowercase: bool, where: str) -> Any:
    """Train the WordPiece vocabulary on ``texts``; a UserError, with the numbers, when they are too few."""
    chars = sum(len(t) for t in texts)
    if len(texts) < MIN_TEXTS:
        raise UserError(where, f"the training split holds {len(texts)} texts ({chars} characters), too few to "
                        f"learn a vocabulary from (at least {MIN_TEXTS})",
                        f"add training texts (at least {MIN_TEXTS}), or {DEFAULT_FIX}")
    # The trainer gives the "##" pieces ids in hash-map order, and ties between equally frequent merges
    # are broken by id, so the same data could learn another vocabulary on each run (huggingface/
    # tokenizers#1794). A first pass finds those pieces; the second names them up front, in sorted
    # order, so every id and every tie is the same on every run.
    pieces = sorted(token for token in _train(texts, 0, 1, lowercase, SPECIAL_TOKENS).get_vocab()
                    if token.startswith(CONTINUING))
    trained = _train(texts, vocab_size, min_frequency, lowercase, (*SPECIAL_TOKENS, *pieces))
    vocab = trained.get_vocab(with_added_tokens=False)
    learned = len(vocab) - len(SPECIAL_TOKENS)
    if learned < MIN_LEARNED:
        raise UserError(where, f"{len(texts)} training texts ({chars} characters) taught {learned} tokens of the "
                        f"{vocab_size - len(SPECIAL_TOKENS)} asked, fewer than {MIN_LEARNED}",
                        f"add training texts; or let pieces seen once in: tokenizer.min_frequency=1; or {DEFAULT_FIX}")
    return finish(vocab, lowercase)


def _train(texts: list[str], vocab_size: int, min_frequency: int, lowercase: bool, special: tuple[str, ...]) -> Any:
    """One run of the tokenizers library's WordPiece trainer."""
    from tokenizers import trainers

    tokenizer = bare_tokenizer(lowercase)
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                        special_tokens=list(special), continuing_subword_prefix=CONTINUING,
                                        show_progress=False)
    tokenizer.train_from_iterator(texts, trainer, length=len(texts))
    return tokenizer


def finish(vocab: dict[str, int], lowercase: bool) -> Any:
    """The tokenizer of a learned vocabulary: only the five real special tokens are special (the "##"
    pieces named up front for determinism are ordinary pieces), and "[CLS] text [SEP]" around each text."""
    from tokenizers import Tokenizer, models, processors

    tokenizer = bare_tokenizer(lowercase)
    tokenizer.model = models.WordPiece(vocab=vocab, unk_token="[UNK]", continuing_subword_prefix=CONTINUING,
                                       max_input_chars_per_word=MAX_WORD_CHARS)
    tokenizer.add_special_tokens(list(SPECIAL_TOKENS))
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[(name, vocab[name]) for name in ("[CLS]", "[SEP]")])
    return Tokenizer.from_str(tokenizer.to_str())  # a clean copy: nothing of the training left attached


def _from_json(text: str) -> Any:
    from tokenizers import Tokenizer

    return Tokenizer.from_str(text)


def wrap(tokenizer: Any) -> Any:
    """A ``tokenizers.Tokenizer`` with the transformers calling convention, marked to travel in the package."""
    from transformers import PreTrainedTokenizerFast

    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                                      cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                                      model_input_names=["input_ids", "attention_mask"])
    setattr(wrapped, PACKAGE_MARK, True)
    return wrapped


def saves_in_package(tokenizer: Any) -> bool:
    """Whether a tokenizer must be saved inside the model package (it was learned from the data)."""
    return bool(getattr(tokenizer, PACKAGE_MARK, False)) and callable(getattr(tokenizer, "save_pretrained", None))


def packaged_tokenizer(package: str) -> Any:
    """The tokenizer saved inside a model package (`clearance.neural.serving`): loaded, never re-learned."""
    from transformers import PreTrainedTokenizerFast

    folder = Path(package)
    if not (folder / TOKENIZER_FILE).is_file():
        raise UserError(f"model package {folder.parent}", f"has no tokenizer.json in {folder.name}/",
                        "package the model again (`dvc repro` re-runs the training stage)")
    wrapped = PreTrainedTokenizerFast.from_pretrained(str(folder), local_files_only=True)
    setattr(wrapped, PACKAGE_MARK, True)  # saved again when a loaded package is packaged anew
    return wrapped
