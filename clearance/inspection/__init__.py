"""Step 1: look at the data."""
