"""Local transformers checkpoints: finding their folder, loading them quietly, setting their dropout.

Nothing here downloads: every folder is local (the packaged MiniLM or one the user saved).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from clearance.core.errors import UserError

SAVE_HINT = "a folder written by `save_pretrained` (config.json and the weights)"


def checkpoint_dir(path: str, key: str, needs: str = "config.json") -> Path:
    """The configured folder, or the packaged all-MiniLM-L6-v2 when ``path`` is empty."""
    if not path:
        from clearance.core.packaged import default_model_dir

        return default_model_dir()
    folder = Path(path)
    if not folder.is_dir():
        raise UserError(f"{key}={path}", "no such directory (checkpoints are read locally, never downloaded)",
                        f"set {key} to {SAVE_HINT}, e.g. `dvc exp run -S {key}=models/my-bert`")
    if not (folder / needs).exists():
        raise UserError(f"{key}={path}", f"has no {needs}, so it is not a transformers checkpoint",
                        f"set {key} to {SAVE_HINT}")
    return folder


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' load report and progress bar (a cut model leaves expected keys unused)."""
    from transformers.utils import logging

    verbosity, bars = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(verbosity)
        if bars:
            logging.enable_progress_bar()


def set_dropout(config: Any, dropout: float | None) -> None:
    """Set every dropout probability a transformers config holds (names vary by architecture)."""
    if dropout is None:
        return
    for name, value in config.to_dict().items():
        # classifier_dropout is None when it follows hidden_dropout_prob: set it too, so 0 means 0.
        if "dropout" in name and (value is None or isinstance(value, float)):
            setattr(config, name, float(dropout))


def check_vocab(vocab_size: int | None, rows: int, key: str) -> None:
    """A tokenizer with more ids than the model embeds would index past the embedding table."""
    if vocab_size is not None and vocab_size > rows:
        raise UserError("tokenizer", f"has {vocab_size} tokens but the model ({key}) embeds only {rows}",
                        "use the checkpoint's own tokenizer (`tokenizer=hf` reads model.path), "
                        "or a model built for this tokenizer")


def init_head(head: Any, std: float = 0.02) -> None:
    """Small random head weights, zero bias: initial logits near 0, so the initial loss is near ln K."""
    import torch

    torch.nn.init.normal_(head.weight, std=std)
    torch.nn.init.zeros_(head.bias)
