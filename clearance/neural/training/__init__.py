"""Training: tokenised batches, one training step, evaluation, and the one training function
used by the probes, the model stage and the sweep."""
