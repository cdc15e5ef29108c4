"""Where step 3's stages write: reports/model/, and the packaged model in models/model/."""


STEP = "model"
PROBES_FILE = "probes.json"  # the probes' measurements
GO_FILE = "go.json"  # whether training may run
TRAINING_FILE = "training.json"  # the training run's measurements
from clearance.core.paths import MODEL_DIR  # noqa: F401  (the trained model packaged to score texts)
