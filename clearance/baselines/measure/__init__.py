"""Step 2's measuring: the baselines, the metric choice and the error analysis."""
