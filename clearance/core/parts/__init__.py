"""Step 3's plug-in parts: the model, tokenizer, optimizer, loss and preprocessing chosen in conf/
by `_target_`, the built-in models, and where (device, precision) they run."""
