"""The logged model's code: MLflow runs this file when it loads the model ("models from code").

MLflow copies this file into every logged text model and executes it on load, so the
model is rebuilt from code and settings, never unpickled. Nothing in clearance imports
it (which keeps mlflow out of every other module but clearance/tracking.py; a test checks
both). Logged by `clearance.neural.logged_model.log_text_model`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import mlflow
from mlflow.pyfunc import PythonModel

# The schema is the logged signature (a `text` column), which type hints cannot express as a
# DataFrame; MLflow warns about the missing hints when the class below is defined.
warnings.filterwarnings("ignore", message=".*Add type hints to the `predict` method")


class TextModel(PythonModel):
    """Scores raw texts: preprocessing, tokenizer and model all come from the packaged settings."""

    def load_context(self, context):  # noqa: ANN001 - MLflow's interface
        from clearance.core.parts.plugins import serving_anywhere
        from clearance.neural.serving import TextPredictor

        with serving_anywhere():  # the parts' own code came with the model (MLflow code paths)
            self.predictor = TextPredictor.load(Path(context.artifacts["predictor"]))

    def predict(self, context, model_input, params=None):  # noqa: ANN001 - untyped: MLflow reads hints as a schema
        return self.predictor.predict_input(model_input)


mlflow.models.set_model(TextModel())
