"""Where step 3's stages write (all under reports/model/)."""

STEP = "model"
PROBES_FILE = "probes.json"  # the probes' measurements
GO_FILE = "go.json"  # whether training may run
TRAINING_FILE = "training.json"  # the training run's measurements
