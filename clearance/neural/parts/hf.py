"""Any local transformers checkpoint as a classifier (`model=hf`)."""

from __future__ import annotations

from torch import nn

from clearance.neural.parts.pretrained import (
    check_vocab,
    checkpoint_dir,
    quiet_transformers,
    set_dropout,
)


def sequence_classifier(path: str, num_labels: int, dropout: float | None = None,
                        vocab_size: int | None = None) -> nn.Module:
    """``AutoModelForSequenceClassification`` from a local folder, with a fresh head of ``num_labels``.

    A head trained for another label set is replaced rather than refused
    (``ignore_mismatched_sizes``): the checkpoint is a starting point.
    """
    from transformers import AutoConfig, AutoModelForSequenceClassification

    if not path:
        from clearance.core.errors import UserError

        raise UserError("model.path", "is empty: model=hf needs a local checkpoint folder",
                        "set it, e.g. `dvc exp run -S model=hf -S model.path=models/my-bert -S tokenizer=hf`")
    folder = checkpoint_dir(path, "model.path")
    config = AutoConfig.from_pretrained(str(folder), local_files_only=True)
    config.num_labels = num_labels  # the setter replaces a saved head's label map (kwargs would warn)
    set_dropout(config, dropout)
    with quiet_transformers():
        model = AutoModelForSequenceClassification.from_pretrained(
            str(folder), config=config, local_files_only=True, ignore_mismatched_sizes=True)
    check_vocab(vocab_size, model.get_input_embeddings().num_embeddings, "model.path")
    return model
