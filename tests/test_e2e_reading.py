"""Reading the model's errors through `dvc repro`, as a user meets it: a weakness planted in the data (texts with a
URL all labelled neutral in train, as a labelling rule gone wrong leaves them) is flagged by weak_slices on the URL slice, and the same data without it raises
no slice warning; errors.json, versus_baseline.csv and the report's section are there for either."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import new_project, run
from tests.factory import make_texts, with_own_split
from tests.journey import clear, repro

SETTINGS = ["debug=tiny", "data=custom", "data.path=data/planted.csv", "data.split_column=split", "~model",
            "+model._target_=my_models.MyNet", "+model.width=32", "train.lr=8e-3", "train.epochs=6"]


def corpus(planted: bool) -> pd.DataFrame:
    """Keyword texts, every third with a URL; ``planted``: the train rows with a URL are all labelled neutral (random
    labels would not do: a model that cannot tell them apart learns nothing from them, and valid's URL texts
    score as the rest)."""
    frame = with_own_split(make_texts(n_per_class=220, seed=3), valid=180, test=90)
    url = np.arange(len(frame)) % 3 == 0
    frame.loc[url, "text"] = frame.loc[url, "text"] + " https://news.example.org/story"
    if planted:
        flip = url & (frame["split"] == "train").to_numpy()
        frame.loc[flip, "label"] = "neutral"
    return frame


def to_gate_3(root: Path, planted: bool) -> dict[str, dict]:
    """A new project on the corpus, through gates 1 and 2 to step 3's checks."""
    new_project(root)
    corpus(planted).to_csv(root / "data/planted.csv", index=False)
    run(["clearance", "params", *SETTINGS], root)
    for number, step in enumerate(("inspect", "baselines"), start=1):
        code, output = repro(root)
        assert code != 0 and f"GATE CLOSED: step {number}" in output, output[-3000:]
        clear(root, step)
    code, output = repro(root)
    assert code != 0 and "GATE CLOSED: step 3" in output and "read_model" in output, output[-3000:]
    return {c["id"]: c for c in json.loads((root / "reports/model/checks.json").read_text())}


@pytest.mark.slow
@pytest.mark.parametrize("planted", [True, False], ids=["planted", "clean"])
def test_weak_slices_flags_the_planted_url_slice_and_only_it(tmp_path: Path, planted: bool):
    checks = to_gate_3(tmp_path / "project", planted)
    errors = json.loads((tmp_path / "project/reports/model/errors.json").read_text())
    url = next(s for s in errors["slices"] if s["name"] == "texts with a URL")
    assert url["size"] >= 40  # a third of valid (debug=tiny samples the rows)
    if planted:
        assert checks["weak_slices"]["status"] == "warn", checks["weak_slices"]
        assert "texts with a URL" in checks["weak_slices"]["message"]
        assert url["high"] < errors["overall"]["value"]
    else:
        assert checks["weak_slices"]["status"] == "pass", checks["weak_slices"]
    html = (tmp_path / "project/reports/model/report.html").read_text(encoding="utf-8")
    assert 'id="reading"' in html and "texts with a URL" in html
    assert (tmp_path / "project/reports/model/versus_baseline.csv").exists()
