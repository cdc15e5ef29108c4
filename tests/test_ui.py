"""`clearance ui` serves this project's MLflow store on 127.0.0.1, and the
baselines appear side by side in the browser."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, run
from tests.factory import make_texts

BASELINES = ["uniform_random", "prior_random", "majority", "keyword_rule", "tfidf_logreg", "embeddings_logreg"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(port: int, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/2.0/mlflow/{path}", data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


def runs_by_name(port: int) -> dict[str, dict]:
    experiment = api(port, "experiments/get-by-name?experiment_name=clearance")["experiment"]
    runs = api(port, "runs/search", {"experiment_ids": [experiment["experiment_id"]]}).get("runs", [])
    return {r["info"]["run_name"]: r for r in runs}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """A project folder whose MLflow store holds a baselines stage run (prepare + baselines on small data)."""
    root = tmp_path_factory.mktemp("store")
    (root / "data").mkdir()
    make_texts(n_per_class=40).to_csv(root / "data/tiny.csv", index=False)
    (root / "conf").symlink_to(REPO / "conf")
    run(["clearance", "params", "data=custom", "data.path=data/tiny.csv"], root)
    run([sys.executable, str(REPO / "stages/prepare.py")], root)
    run([sys.executable, str(REPO / "stages/baselines.py")], root)
    return root


@pytest.fixture(scope="module")
def ui(store: Path) -> Iterator[int]:
    """`clearance ui` serving the store; stopped afterwards."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "clearance", "ui", "--port", str(port)], cwd=store,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                api(port, "experiments/get-by-name?experiment_name=clearance")
                break
            except OSError:
                time.sleep(1)
        else:
            output = server.stdout.read().decode() if server.poll() is not None else "no answer in 120 s"
            pytest.fail(f"clearance ui did not come up: {output}")
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_ui_serves_the_project_store(ui: int):
    runs = runs_by_name(ui)
    assert set(runs) == {"baselines", *BASELINES}
    parent = runs["baselines"]["info"]["run_id"]
    for name in BASELINES:
        tags = {t["key"]: t["value"] for t in runs[name]["data"]["tags"]}
        assert tags["mlflow.parentRunId"] == parent and tags["clearance.kind"] == "baseline"
        assert {m["key"] for m in runs[name]["data"]["metrics"]} >= {"valid_accuracy", "valid_macro_f1"}


def test_baselines_side_by_side_in_the_browser(ui: int, chromium, tmp_path: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = chromium
    runs = runs_by_name(ui)
    ids = [runs[name]["info"]["run_id"] for name in BASELINES]
    experiment = runs["baselines"]["info"]["experiment_id"]
    options = Options()
    options.binary_location = str(browser)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1600,1200"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(driver_path)))
    try:
        driver.get(f"http://127.0.0.1:{ui}/#/compare-runs?runs={urllib.parse.quote(json.dumps(ids))}"
                   f"&experiments={urllib.parse.quote(json.dumps([experiment]))}")
        deadline, text = time.monotonic() + 60, ""
        while time.monotonic() < deadline:
            text = driver.find_element("tag name", "body").text
            if all(name in text for name in BASELINES) and "valid_accuracy" in text:
                break
            time.sleep(1)
        driver.save_screenshot(str(tmp_path / "compare.png"))
        missing = [name for name in BASELINES if name not in text]
        assert not missing, f"not on the compare page: {missing}\n{text[:2000]}"
        assert "valid_accuracy" in text  # the shared metric, plotted across the six runs
    finally:
        driver.quit()
