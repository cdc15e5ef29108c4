"""Step 1's measuring: statistics, label issues, the sample, plots and measurements.json."""
