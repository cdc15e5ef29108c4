"""`clearance ui` serves this project's MLflow store on 127.0.0.1 and prints where its runs are:
in headless Chromium that page is the runs table in model-training mode, with the data sets
each run used, and the baselines appear side by side on the compare page."""

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
from dataclasses import dataclass
from pathlib import Path

import pytest

from clearance.tracking import KIND, KIND_TAG, UI_MODE
from tests.conftest import REPO, run
from tests.factory import make_texts

BASELINES = ["uniform_random", "prior_random", "majority", "keyword_rule", "tfidf_logreg", "embeddings_logreg"]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Side-bar entries MLflow 3.17 shows only in GenAI mode; model-training mode shows Runs, Models,
# Traces and Model registry (so "Traces" alone does not tell the modes apart).
GENAI_ONLY = {"Overview", "Sessions", "Judges", "Review", "Evaluation runs", "Playground", "Prompts",
              "Agent versions", "AI Gateway"}
DATASET_COLUMN = "[role=gridcell][col-id='attributes.`Dataset`']"


@pytest.fixture(scope="module")
def chromium() -> tuple[Path, Path]:
    """Debian's Chromium and its driver, installed with apt-get when missing (only when a test asks)."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-qq"],
                        ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"]):
            result = subprocess.run(command, capture_output=True, text=True, env=env)
            if result.returncode != 0:
                pytest.fail(f"cannot install Chromium for the browser test ({' '.join(command)}):\n{result.stderr}")
    return CHROMIUM, CHROMEDRIVER


@pytest.fixture
def driver(chromium: tuple[Path, Path], tmp_path: Path) -> Iterator:
    """Headless Chromium with a fresh profile (no mode remembered from an earlier visit)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    browser, driver_path = chromium
    options = Options()
    options.binary_location = str(browser)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1600,1200"):
        options.add_argument(flag)
    chrome = webdriver.Chrome(options=options, service=Service(str(driver_path)))
    try:
        yield chrome
    finally:
        chrome.quit()


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


def experiment(port: int) -> dict:
    return api(port, "experiments/get-by-name?experiment_name=clearance")["experiment"]


def runs_by_name(port: int) -> dict[str, dict]:
    runs = api(port, "runs/search", {"experiment_ids": [experiment(port)["experiment_id"]]}).get("runs", [])
    return {r["info"]["run_name"]: r for r in runs}


def datasets_of(run_: dict) -> dict[str, dict]:
    """context -> dataset of the inputs a run logged."""
    out = {}
    for item in run_.get("inputs", {}).get("dataset_inputs", []):
        tags = {t["key"]: t["value"] for t in item.get("tags", [])}
        out[tags.get("mlflow.data.context", "")] = item["dataset"]
    return out


@dataclass
class Server:
    process: subprocess.Popen
    log: Path

    def first_line(self) -> str:
        """What `clearance ui` printed before the server replaced it."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = self.log.read_text(encoding="utf-8") if self.log.exists() else ""
            if "\n" in text or self.process.poll() is not None:
                return text.split("\n", 1)[0]
            time.sleep(0.2)
        return ""

    def stop(self) -> None:
        """Stop the server and the processes it started (SIGKILL if SIGTERM is not enough)."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)


def start_ui(cwd: Path, port: int) -> Server:
    log = cwd / f"ui-{port}.log"
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen([sys.executable, "-m", "clearance", "ui", "--port", str(port)], cwd=cwd,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return Server(process, log)


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


@dataclass
class UI:
    port: int
    printed: str  # the first line `clearance ui` printed

    @property
    def url(self) -> str:
        return next(word for word in self.printed.split() if word.startswith("http://"))


@pytest.fixture(scope="module")
def ui(store: Path) -> Iterator[UI]:
    """`clearance ui` serving the store; stopped afterwards."""
    port = free_port()
    server = start_ui(store, port)
    try:
        printed = server.first_line()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.process.poll() is None:
            try:
                experiment(port)
                break
            except OSError:
                time.sleep(1)
        else:
            output = server.log.read_text() if server.process.poll() is not None else "no answer in 120 s"
            pytest.fail(f"clearance ui did not come up: {output}")
        yield UI(port, printed)
    finally:
        server.stop()


def test_ui_prints_the_runs_page_in_model_training_mode(ui: UI):
    experiment_id = experiment(ui.port)["experiment_id"]
    assert ui.url == (f"http://127.0.0.1:{ui.port}/#/experiments/{experiment_id}/runs"
                      "?workflowType=machine_learning"), ui.printed


def test_ui_before_any_run_prints_the_root(tmp_path: Path):
    (tmp_path / "conf").symlink_to(REPO / "conf")
    port = free_port()
    server = start_ui(tmp_path, port)
    try:
        printed = server.first_line()
    finally:
        server.stop()
    assert f"MLflow UI on http://127.0.0.1:{port}/ " in printed and "no runs yet" in printed, printed


def test_ui_serves_the_project_store(ui: UI):
    tags = {t["key"]: t["value"] for t in experiment(ui.port).get("tags", [])}
    assert tags[KIND_TAG] == KIND
    runs = runs_by_name(ui.port)
    assert set(runs) == {"baselines", *BASELINES}
    parent = runs["baselines"]["info"]["run_id"]
    for name in BASELINES:
        tags = {t["key"]: t["value"] for t in runs[name]["data"]["tags"]}
        assert tags["mlflow.parentRunId"] == parent and tags["clearance.kind"] == "baseline"
        assert {m["key"] for m in runs[name]["data"]["metrics"]} >= {"valid_accuracy", "valid_macro_f1"}
    datasets = datasets_of(runs["baselines"])
    assert set(datasets) == {"train", "valid", "test"}
    digest = datasets["train"]["digest"]
    assert all(d["name"] == f"clearance-{digest[:8]}-{c}" and d["digest"] == digest for c, d in datasets.items())


def side_bar(driver) -> list[str]:
    """The entries of the side bar's navigation."""
    navs = driver.find_elements("tag name", "nav")
    return [line.strip() for nav in navs for line in nav.text.splitlines() if line.strip()]


def wait_for(driver, ready, seconds: float = 60) -> bool:
    """Poll the page until ``ready(driver)`` holds (the UI renders asynchronously)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready(driver):
                return True
        except Exception:  # the page is re-rendering: elements come and go
            pass
        time.sleep(0.5)
    return False


def test_landing_page_is_the_runs_table_in_model_training_mode_with_datasets(ui: UI, driver, tmp_path: Path):
    runs = runs_by_name(ui.port)
    names = sorted(d["name"] for d in datasets_of(runs["baselines"]).values())
    driver.get(ui.url)
    wait_for(driver, lambda d: "baselines" in d.find_element("css selector", "[role=grid]").text
             and d.find_elements("css selector", DATASET_COLUMN))
    # One data set shows per row until rows are expanded; then all three do.
    driver.find_element("xpath", "//*[@aria-pressed and normalize-space()='Expand rows']").click()
    wait_for(driver, lambda d: all(n in d.find_element("css selector", DATASET_COLUMN).text for n in names))
    driver.save_screenshot(str(tmp_path / "landing.png"))
    nav = side_bar(driver)
    heading = [h.text for h in driver.find_elements("tag name", "h2")]
    grid = driver.find_element("css selector", "[role=grid]").text
    cells = [c.text for c in driver.find_elements("css selector", DATASET_COLUMN)]
    assert {"Runs", "Models"} <= set(nav) and not GENAI_ONLY & set(nav), nav
    assert heading[:1] == ["Runs"], heading  # GenAI mode titles this table "Training runs"
    assert "baselines" in grid and "Dataset" in grid, grid[:1000]
    assert cells and all(name in cells[0] for name in names), cells

    # The same experiment without the printed URL's mode opens in GenAI mode: the checks above tell them apart.
    driver.get(ui.url.split("/runs?")[0])
    wait_for(driver, lambda d: GENAI_ONLY & set(side_bar(d)))
    assert GENAI_ONLY & set(side_bar(driver)), side_bar(driver)


def test_baselines_side_by_side_in_the_browser(ui: UI, driver, tmp_path: Path):
    runs = runs_by_name(ui.port)
    ids = [runs[name]["info"]["run_id"] for name in BASELINES]
    experiment_id = runs["baselines"]["info"]["experiment_id"]
    driver.get(f"http://127.0.0.1:{ui.port}/#/compare-runs?runs={urllib.parse.quote(json.dumps(ids))}"
               f"&experiments={urllib.parse.quote(json.dumps([experiment_id]))}&{UI_MODE}")
    text = ""

    def compared(d) -> bool:
        nonlocal text
        text = d.find_element("tag name", "body").text
        return all(name in text for name in BASELINES) and "valid_accuracy" in text

    wait_for(driver, compared)
    driver.save_screenshot(str(tmp_path / "compare.png"))
    missing = [name for name in BASELINES if name not in text]
    assert not missing, f"not on the compare page: {missing}\n{text[:2000]}"
    assert "valid_accuracy" in text  # the shared metric, plotted across the six runs
