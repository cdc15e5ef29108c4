"""The trained model packaged to score raw texts, and logged to MLflow as a text-level pyfunc
that `mlflow.pyfunc.load_model` and `mlflow models predict` use as they are documented."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from clearance.core.config.model import ModelStage
from clearance.core.config.params import from_conf
from clearance.core.config.tracking import TrackingConfig
from clearance.core.errors import UserError
from clearance.neural.parts.parts import build_parts, forward
from clearance.neural.serving import (
    SETTINGS_FILE,
    TOKENIZER_DIR,
    TextPredictor,
    plugin_sources,
    save_predictor,
    save_untrained,
    texts_of,
)
from clearance.neural.training.batches import collate, encode
from tests.conftest import REPO

CLASSES = ["negative", "neutral", "positive"]
TEXTS = ["what a lovely day &amp; sun", "the bus is late again", "ok", "I LOVE this so much!!!"]

# packaged here without the pipeline, which resolves train.max_length: auto from the data: a number
FIXED = "train.max_length=64"


def moved_off_init(model: torch.nn.Module) -> torch.nn.Module:
    """Weights moved off their init, as training moves them: loading must restore them, not rebuild them."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=generator, dtype=p.dtype) * 0.05)
    return model


def tracking_in(folder: Path, monkeypatch) -> TrackingConfig:
    """The default tracking settings, with ``folder`` as the project (its SQLite store and artifacts)."""
    monkeypatch.chdir(folder)
    monkeypatch.delenv("DVC_ROOT", raising=False)
    return from_conf(TrackingConfig, "tracking", conf_dir=REPO / "conf")


@pytest.fixture(scope="module")
def packaged(tmp_path_factory) -> tuple[Path, ModelStage, torch.nn.Module]:
    """The tiny model with its default tokenizer and preprocessing, weights moved off their init, packaged."""
    cfg = from_conf(ModelStage, hydra_overrides=("model=tiny", FIXED), conf_dir=REPO / "conf")
    parts = build_parts(cfg, CLASSES)
    model = moved_off_init(parts.build_model())
    folder = save_predictor(tmp_path_factory.mktemp("pkg") / "model", cfg, parts, model.eval())
    return folder, cfg, model


def direct_probabilities(cfg: ModelStage, model: torch.nn.Module, texts: list[str],
                         classes: list[str] = CLASSES) -> np.ndarray:
    """The in-memory model scored by hand, one text at a time (no sorting, no batching)."""
    parts = build_parts(cfg, classes)
    cleaned = parts.preprocess(pd.Series(texts, dtype=object)).astype(str).tolist()
    encoded = encode(parts.tokenizer, cleaned, np.zeros(len(texts), dtype=np.int64), cfg.train.max_length)
    with torch.no_grad():
        rows = [torch.softmax(forward(model, b.input_ids, b.attention_mask), -1).numpy()
                for b in (collate(encoded, [i], parts.tokenizer.pad_token_id) for i in range(len(texts)))]
    return np.concatenate(rows)


def test_the_package_scores_texts_as_the_trained_model_does(packaged):
    folder, cfg, model = packaged
    predictor = TextPredictor.load(folder, device="cpu")
    frame = predictor.predict(TEXTS)
    assert list(frame.columns) == ["label"] + [f"probability_{c}" for c in CLASSES]
    probs = frame[[f"probability_{c}" for c in CLASSES]].to_numpy()
    np.testing.assert_allclose(probs, direct_probabilities(cfg, model, TEXTS), rtol=1e-4, atol=1e-6)
    assert frame["label"].tolist() == [CLASSES[k] for k in probs.argmax(axis=1)]


def test_a_fresh_model_is_not_what_the_package_holds(packaged):
    """The check above can fail: a model that did not load the weights scores differently."""
    folder, cfg, _ = packaged
    fresh = build_parts(cfg, CLASSES).build_model().eval()
    loaded = TextPredictor.load(folder, device="cpu").probabilities(TEXTS)
    assert not np.allclose(loaded, direct_probabilities(cfg, fresh, TEXTS), atol=1e-4)


def test_the_package_keeps_every_part_setting(packaged):
    folder, cfg, _ = packaged
    settings = json.loads((folder / SETTINGS_FILE).read_text())
    assert settings["classes"] == CLASSES and settings["trained"] is True
    assert settings["config"]["model"]["_target_"] == "clearance.neural.parts.tiny.TinyTransformer"
    assert settings["config"]["train"]["max_length"] == cfg.train.max_length
    assert settings["config"]["preprocess"] == cfg.preprocess


def test_inputs_a_pyfunc_caller_may_pass():
    assert texts_of(pd.DataFrame({"text": ["a", "b"]})) == ["a", "b"]
    assert texts_of(pd.DataFrame({"tweet": ["a"]})) == ["a"]
    assert texts_of(pd.Series(["a"])) == ["a"] and texts_of("a") == ["a"] and texts_of(["a", "b"]) == ["a", "b"]
    assert texts_of({"text": ["a", "b"]}) == ["a", "b"]
    with pytest.raises(UserError, match="none is `text`"):
        texts_of(pd.DataFrame({"a": ["x"], "b": ["y"]}))


def test_an_untrained_package_says_why(tmp_path: Path):
    folder = save_untrained(tmp_path / "model", "probes failed: overfit_16")
    with pytest.raises(UserError, match="no trained model .probes failed: overfit_16"):
        TextPredictor.load(folder)
    with pytest.raises(UserError, match="not a packaged clearance model"):
        TextPredictor.load(tmp_path)


@pytest.fixture
def logged(packaged, tmp_path: Path, monkeypatch) -> tuple[str, Path]:
    """The package logged as a pyfunc to a real SQLite store in a fresh project folder; (model URI, folder)."""
    from clearance.core.tracking import stage_run
    from clearance.neural.logged_model import log_text_model

    folder, _, _ = packaged
    cfg = tracking_in(tmp_path, monkeypatch)
    example, scored = TextPredictor.load(folder, device="cpu").example(TEXTS[:2])
    with stage_run("model", cfg, {}):
        uri, version = log_text_model(folder, example, scored)
    assert version is None
    return uri, tmp_path


def test_mlflow_loads_the_logged_model_and_scores_texts(logged, packaged):
    import mlflow

    uri, _ = logged
    expected = TextPredictor.load(packaged[0], device="cpu").predict(TEXTS)
    model = mlflow.pyfunc.load_model(uri)
    pd.testing.assert_frame_equal(model.predict(pd.DataFrame({"text": TEXTS})), expected, atol=1e-6)
    inputs = [spec.name for spec in model.metadata.get_input_schema().inputs]
    outputs = [spec.name for spec in model.metadata.get_output_schema().inputs]
    assert inputs == ["text"] and outputs == ["label"] + [f"probability_{c}" for c in CLASSES]
    example = mlflow.models.Model.load(uri).load_input_example(mlflow.artifacts.download_artifacts(uri))
    assert example["text"].tolist() == TEXTS[:2]


@pytest.mark.slow  # make test-all (the CLI starts a second MLflow); pyfunc.load_model is tested above in CI
def test_mlflow_models_predict_scores_a_json_file(logged, packaged):
    uri, folder = logged
    (folder / "input.json").write_text(json.dumps({"dataframe_split": {"columns": ["text"],
                                                                       "data": [[t] for t in TEXTS]}}))
    mlflow_cli = shutil.which("mlflow", path=str(Path(sys.executable).parent))
    done = subprocess.run([mlflow_cli, "models", "predict", "-m", uri, "-i", "input.json", "-t", "json",
                           "-o", "out.json", "--env-manager", "local"], cwd=folder, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    predictions = json.loads((folder / "out.json").read_text())["predictions"]
    expected = TextPredictor.load(packaged[0], device="cpu").predict(TEXTS)
    assert [row["label"] for row in predictions] == expected["label"].tolist()


def test_a_registered_model_loads_by_name_and_version(packaged, tmp_path: Path, monkeypatch):
    import mlflow

    from clearance.core.tracking import stage_run, tracking_uri
    from clearance.neural.logged_model import log_text_model

    folder, _, _ = packaged
    cfg = tracking_in(tmp_path, monkeypatch)
    example, scored = TextPredictor.load(folder, device="cpu").example(TEXTS[:2])
    with stage_run("final_test", cfg, {}):
        _, first = log_text_model(folder, example, scored, registered_name="tiny-classifier")
    with stage_run("final_test", cfg, {}):
        _, second = log_text_model(folder, example, scored, registered_name="tiny-classifier")
    assert (first, second) == (1, 2)
    mlflow.set_tracking_uri(tracking_uri(cfg))
    frame = mlflow.pyfunc.load_model("models:/tiny-classifier/2").predict(pd.DataFrame({"text": TEXTS}))
    pd.testing.assert_frame_equal(frame, TextPredictor.load(folder, device="cpu").predict(TEXTS), atol=1e-6)


# -- a model plugged in from the project's plugins/ -----------------------------------------------------------

@pytest.fixture
def root_module(tmp_path: Path, monkeypatch) -> Iterator[Path]:
    """A project whose plugins/ holds the worked example's parts as my_models.py, the working directory, and
    plugins/ not on sys.path until building the parts puts it there (as under `python stages/x.py`)."""
    root = tmp_path / "project"
    (root / "plugins").mkdir(parents=True)
    shutil.copy(REPO / "plugins" / "my_models.py", root / "plugins" / "my_models.py")
    monkeypatch.chdir(root)
    monkeypatch.delenv("DVC_ROOT", raising=False)
    monkeypatch.setattr(sys, "path", [p for p in sys.path
                                      if p not in ("", ".", str(root), str(root / "plugins"), str(REPO / "plugins"))])
    monkeypatch.delitem(sys.modules, "my_models", raising=False)
    yield root
    sys.modules.pop("my_models", None)


def package_root_model(root: Path) -> Path:
    """`model._target_: my_models.MyNet` built, its weights moved off their init, and packaged."""
    overrides = ("~model", "+model._target_=my_models.MyNet", "+model.width=32", FIXED)
    cfg = from_conf(ModelStage, hydra_overrides=overrides, conf_dir=REPO / "conf")
    parts = build_parts(cfg, CLASSES)
    return save_predictor(root / "models/model", cfg, parts, moved_off_init(parts.build_model()).eval())


def test_the_project_modules_a_package_needs_are_found(root_module: Path, packaged):
    folder = package_root_model(root_module)
    assert plugin_sources(folder) == [root_module / "plugins" / "my_models.py"]
    # Parts from clearance (and installed packages) are requirements, not code to carry.
    assert plugin_sources(packaged[0], root=REPO) == []


def test_a_model_from_plugins_is_logged_with_its_module_and_loads_elsewhere(root_module: Path,
                                                                                     tmp_path: Path, monkeypatch):
    import mlflow

    from clearance.core.tracking import stage_run, tracking_uri
    from clearance.neural.logged_model import log_text_model

    folder = package_root_model(root_module)
    predictor = TextPredictor.load(folder, device="cpu")
    expected = predictor.predict(TEXTS)
    tracking = tracking_in(root_module, monkeypatch)
    with stage_run("model", tracking, {}):
        uri, _ = log_text_model(folder, *predictor.example(TEXTS[:2]), code=plugin_sources(folder))
    assert (Path(mlflow.artifacts.download_artifacts(uri, tracking_uri=tracking_uri(tracking)))
            / "code/my_models.py").is_file()

    # Scored from a folder without my_models.py, in a fresh process: the logged model brings its module.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    score = ("import json, sys, mlflow, pandas as pd; mlflow.set_tracking_uri(sys.argv[1]); "
             "frame = mlflow.pyfunc.load_model(sys.argv[2]).predict(pd.DataFrame({'text': json.loads(sys.argv[3])})); "
             "print(frame.to_json(orient='split'))")
    done = subprocess.run([sys.executable, "-c", score, tracking_uri(tracking), uri, json.dumps(TEXTS)],
                          cwd=elsewhere, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    scored = pd.read_json(io.StringIO(done.stdout.strip().splitlines()[-1]), orient="split")
    pd.testing.assert_frame_equal(scored, expected, atol=1e-6, check_dtype=False)

    # The bare package has no module to bring: loaded there it names the part and the fix.
    os.chdir(elsewhere)
    sys.modules.pop("my_models", None)
    sys.path[:] = [p for p in sys.path if p != str(root_module / "plugins")]
    with pytest.raises(UserError, match=r"model._target_=my_models.MyNet.*cannot import"):
        TextPredictor.load(folder, device="cpu")


# -- a tokenizer learned from the data (tokenizer=trained) travels inside the package --------------------------

ZH_TEXTS = TEXTS + ["一半没有声音！什么质量！", "下订单过了4天还没有收到"]


@pytest.fixture
def trained_package(tmp_path: Path, monkeypatch) -> Path:
    """model=micro with tokenizer=trained, learned from a prepared split of the Chinese reviews, and packaged."""
    project = tmp_path / "project"
    (project / "data/prepared").mkdir(parents=True)
    pd.read_csv(REPO / "tests/data/zh_reviews.csv").to_parquet(project / "data/prepared/train.parquet")
    monkeypatch.chdir(project)
    cfg = from_conf(ModelStage, hydra_overrides=("model=micro", "tokenizer=trained", FIXED), conf_dir=REPO / "conf")
    parts = build_parts(cfg, CLASSES)
    return save_predictor(project / "models/model", cfg, parts, moved_off_init(parts.build_model()).eval())


def test_only_a_learned_tokenizer_is_packaged_and_a_stale_one_is_removed(trained_package: Path, packaged):
    assert (trained_package / TOKENIZER_DIR / "tokenizer.json").is_file()
    assert "tokenizer_dir" not in json.loads((packaged[0] / SETTINGS_FILE).read_text())
    assert not (packaged[0] / TOKENIZER_DIR).exists()
    _, cfg, model = packaged  # the same folder packaged again with the default tokenizer: no tokenizer left
    save_predictor(trained_package, cfg, build_parts(cfg, CLASSES), model)
    assert not (trained_package / TOKENIZER_DIR).exists()
    assert "tokenizer_dir" not in json.loads((trained_package / SETTINGS_FILE).read_text())


def test_a_logged_model_with_a_learned_tokenizer_scores_texts_without_the_data(trained_package: Path,
                                                                               tmp_path: Path, monkeypatch):
    import mlflow

    from clearance.neural.parts import trained
    from clearance.core.tracking import stage_run, tracking_uri
    from clearance.neural.logged_model import log_text_model

    predictor = TextPredictor.load(trained_package, device="cpu")
    expected = predictor.predict(ZH_TEXTS)
    tracking = tracking_in(trained_package.parents[1], monkeypatch)
    with stage_run("model", tracking, {}):
        uri, _ = log_text_model(trained_package, *predictor.example(ZH_TEXTS[:2]), code=plugin_sources(trained_package))
    store = tracking_uri(tracking)  # absolute: the project's store, read from elsewhere below
    logged = Path(mlflow.artifacts.download_artifacts(uri, tracking_uri=store))
    assert len(list(logged.rglob("tokenizer/tokenizer.json"))) == 1

    # Loaded where there is no data/prepared (re-learning would fail), as the logged model is loaded:
    # the plugins/ rule lifted, the model's own folder read.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setattr(trained, "_LEARNED", {})
    mlflow.set_tracking_uri(store)
    frame = mlflow.pyfunc.load_model(uri).predict(pd.DataFrame({"text": ZH_TEXTS}))
    pd.testing.assert_frame_equal(frame, expected, atol=1e-6)
