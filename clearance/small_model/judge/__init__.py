"""Step 3's judging: the probes' grading, the go/no-go decision, the report, questions and manifest."""
