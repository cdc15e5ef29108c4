"""Mean-pooled input embeddings of the default pretrained model, without torch.

The token embedding matrix is read straight from the model's safetensors file
and the text is tokenized with its own tokenizer, so this baseline tells how
much the pretrained vocabulary alone knows about the task — the floor that
fine-tuning the same model in step 3 must rise above.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from clearance.core.errors import UserError
from clearance.core.packaged import default_model_dir
from clearance.core.paths import TOKENIZER_FILE
from clearance.core.progress import Countdown
from clearance.core.text.input_cap import chars_for_tokens, first_chars

# Texts embedded at a time: the tokenizer's encodings and the index lists stay small at any data size.
CHUNK_ROWS = 20_000


def resolve_model_dir(configured: str) -> Path:
    """The configured model folder, or the default one when empty."""
    path = Path(configured) if configured else default_model_dir()
    if not (path / TOKENIZER_FILE).exists() or not (path / "model.safetensors").exists():
        raise UserError(f"model folder {path}", "needs tokenizer.json and model.safetensors",
                        "point baselines.embeddings.model_dir at a Hugging Face model folder, or leave it empty")
    return path


def load_word_embeddings(model_dir: Path) -> np.ndarray:
    """The (vocabulary x dim) token embedding matrix."""
    from safetensors import safe_open

    with safe_open(str(model_dir / "model.safetensors"), framework="numpy") as handle:
        keys = [k for k in handle.keys() if k.endswith("word_embeddings.weight")]
        if not keys:
            raise UserError(str(model_dir / "model.safetensors"), "no word_embeddings.weight tensor",
                            "use a BERT-like model folder for the embeddings baseline")
        return handle.get_tensor(keys[0]).astype(np.float32)


class MeanEmbeddings(BaseEstimator, TransformerMixin):
    """Texts -> mean of their wordpiece embeddings (special tokens left out)."""

    def __init__(self, model_dir: str = "", max_length: int = 128) -> None:
        self.model_dir = model_dir
        self.max_length = max_length

    def fit(self, texts, labels=None):  # noqa: D102 - nothing is learned
        from tokenizers import Tokenizer

        folder = resolve_model_dir(self.model_dir)
        self.tokenizer_ = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self.tokenizer_.no_padding()
        self.tokenizer_.enable_truncation(self.max_length)
        self.embeddings_ = load_word_embeddings(folder)
        return self

    def transform(self, texts) -> np.ndarray:
        # A tokenizer splits a whole text before truncating it: only the characters max_length tokens can use.
        texts = first_chars([str(t) for t in texts], chars_for_tokens(self.max_length))
        if len(texts) <= CHUNK_ROWS:
            return self._embed(texts)
        chunks = range(0, len(texts), CHUNK_ROWS)
        countdown = Countdown(f"embedded {len(texts)} texts, chunk", len(chunks))
        parts = []
        for done, start in enumerate(chunks, start=1):
            parts.append(self._embed(texts[start:start + CHUNK_ROWS]))
            countdown.tick(done)
        return np.vstack(parts)

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Mean wordpiece embedding of each text (float32)."""
        encodings = self.tokenizer_.encode_batch(texts)
        rows, cols = [], []
        for i, enc in enumerate(encodings):
            ids = [t for t, special in zip(enc.ids, enc.special_tokens_mask) if not special]
            rows.extend([i] * len(ids))
            cols.extend(ids)
        counts = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                                   shape=(len(encodings), self.embeddings_.shape[0]))
        lengths = np.maximum(np.asarray(counts.sum(axis=1)), 1.0)
        return np.asarray(counts @ self.embeddings_) / lengths
