"""Step 4: a small random search over a hand-written grid that explains its result."""
