"""Step 3's measuring: the probes and the real training run, on whatever parts the user plugs in."""
