"""The built-in tokenizer: any local transformers tokenizer folder, the packaged MiniLM one by default."""

from __future__ import annotations

from typing import Any


def pretrained_tokenizer(path: str = "") -> Any:
    """``AutoTokenizer`` from a local folder; empty ``path``: all-MiniLM-L6-v2's (WordPiece, uncased)."""
    from transformers import AutoTokenizer

    from clearance.neural.parts.pretrained import checkpoint_dir, quiet_transformers

    folder = checkpoint_dir(path, "tokenizer.path", needs="tokenizer_config.json")
    with quiet_transformers():
        return AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
