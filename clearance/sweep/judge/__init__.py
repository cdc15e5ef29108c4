"""Step 4's judging: its checks, the final decision, the report, questions and manifest (runs no trial)."""
