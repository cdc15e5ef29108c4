"""Step 2: simple baselines, the metric, and the bar every model must beat."""
