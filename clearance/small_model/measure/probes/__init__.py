"""Probes: one automated test for each silent bug of a text classifier, on whatever model,
tokenizer, optimizer, loss and preprocessing the user plugs in.

Each probe only assumes the contract of step 3 (``forward(input_ids, attention_mask)`` returns
logits [B, K] or an object with ``.logits``), never a model's internals. Every family module
*measures* (plain JSON-able dicts), each probe declared once with ``@probe(key)`` (``declared``);
step 3's checks (clearance/small_model/judge/) *grade* the measurements against ``checks.model``,
so thresholds can change without measuring again. ``suite`` runs them all, family by family.
"""
