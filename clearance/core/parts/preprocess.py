"""The preprocess part: the configured `_target_` built like every other part, and applied to splits.

Step 2 and step 3 build it through the same resolver (clearance.core.parts.targets), so a function
in plugins/ works in both, and a wrong one gets the same message in both.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from clearance.core.errors import UserError
from clearance.core.parts.targets import check_binds, partial_of

Preprocess = Callable[[pd.Series], pd.Series]
FIX = "name an importable function taking and returning a pandas Series of texts (yours in plugins/); see conf/preprocess/"


def load_preprocess(spec: dict) -> Preprocess:
    """Build the configured function from `{_target_: dotted.path, **kwargs}`; a misspelt key fails here."""
    function = partial_of(spec, "preprocess", "preprocessing function", FIX)
    check_binds(function, "preprocess", (pd.Series([], dtype=object),))
    return function


def preprocess_splits(splits: dict[str, pd.DataFrame], spec: dict) -> dict[str, pd.Series]:
    """The configured preprocessing applied to every split, indexed by the source row number."""
    preprocess = load_preprocess(spec)
    out = {}
    for name, frame in splits.items():
        try:
            texts = pd.Series(preprocess(frame["text"]), dtype=object)
        except Exception as error:  # noqa: BLE001 - the user's function can raise anything
            raise UserError(f"preprocess._target_={spec.get('_target_')}",
                            f"failed on the {name} split: {type(error).__name__}: {error}", FIX) from error
        if len(texts) != len(frame):
            raise UserError(f"preprocess._target_={spec.get('_target_')}",
                            f"returned {len(texts)} texts for {len(frame)}", "return one text per input text")
        out[name] = pd.Series(texts.to_numpy(), index=frame["row"].to_numpy())
    return out
