"""`clearance ui` serves this project's MLflow store on 127.0.0.1 and prints where its runs are:
in headless Chromium that page is the runs table in model-training mode, with the data sets
each run used, the baselines appear side by side on the compare page, step 3's training
run shows its curves (loss, gradient norm) over steps on its model-metrics page, and the sweep's
trials are nested under the sweep's run and compared in a parallel coordinates view."""

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
from selenium.webdriver.common.keys import Keys

from clearance.core.tracking import KIND, KIND_TAG, UI_MODE
from tests.apt import apt_get
from tests.conftest import REPO

BASELINES = ["uniform_random", "prior_random", "majority", "keyword_rule", "tfidf_logreg", "embeddings_logreg"]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
# Side-bar entries MLflow 3.17 shows only in GenAI mode; model-training mode shows Runs, Models,
# Traces and Model registry (so "Traces" alone does not tell the modes apart).
GENAI_ONLY = {"Overview", "Sessions", "Judges", "Review", "Evaluation runs", "Playground", "Prompts",
              "Agent versions", "AI Gateway"}
DATASET_COLUMN = "[role=gridcell][col-id='attributes.`Dataset`']"
# The journey's sweep (debug=tiny): three trials over the tiny model's settings.
SPACE = ["train.dropout", "train.lr", "train.weight_decay"]  # the keys the trials log as params
TRIALS = [f"trial_{n}" for n in range(3)]
TRAINING_RUNS = {"model", "overfit_16", "training"}
CURVES = ["train_loss", "valid_loss", "grad_norm"]  # what the training run must draw over steps
CHART_CARD = "[data-testid=experiment-view-compare-runs-card]"
CHART_SEARCH = "input[placeholder='Search metric charts']"


@pytest.fixture(scope="module")
def chromium() -> tuple[Path, Path]:
    """Debian's Chromium and its driver, installed with apt-get when missing (only when a test asks)."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        for command in (("update", "-qq"), ("install", "-y", "-qq", "chromium", "chromium-driver")):
            result = apt_get(*command)
            if result.returncode != 0:
                pytest.fail(f"cannot install Chromium for the browser test (apt-get {' '.join(command)}):\n"
                            f"{result.stderr}")
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
                 "--disable-sync",
                 # the parallel coordinates plot draws with WebGL: software rendering, there being no GPU
                 "--enable-unsafe-swiftshader", f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1600,1200"):
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


def start_ui(cwd: Path, port: int, logs: Path | None = None) -> Server:
    log = (logs or cwd) / f"ui-{port}.log"
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen([sys.executable, "-m", "clearance", "ui", "--port", str(port)], cwd=cwd,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return Server(process, log)


@pytest.fixture(scope="module")
def store(journey) -> Path:
    """The session's four-gate journey (tests/journey.py): its MLflow store holds every stage's runs as
    `dvc repro` logged them. Served, never changed."""
    return journey.root


@dataclass
class UI:
    port: int
    printed: str  # the first line `clearance ui` printed

    @property
    def url(self) -> str:
        return next(word for word in self.printed.split() if word.startswith("http://"))


@pytest.fixture(scope="module")
def ui(store: Path, tmp_path_factory) -> Iterator[UI]:
    """`clearance ui` serving the store; stopped afterwards."""
    port = free_port()
    server = start_ui(store, port, tmp_path_factory.mktemp("ui-logs"))
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


def test_ui_on_a_busy_port_says_so_and_exits_non_zero(tmp_path: Path):
    (tmp_path / "conf").symlink_to(REPO / "conf")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "clearance", "ui", "--port", str(port)], cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"port {port} is already in use" in result.stderr and f"clearance ui --port {port + 1}" in result.stderr
    assert "MLflow UI on" not in result.stdout and "Traceback" not in result.stderr  # no URL to a server that is not
    free = subprocess.run([sys.executable, "-c", f"from clearance.core.ui_server import check_port; "
                           f"check_port('127.0.0.1', {port}); print('free')"], capture_output=True, text=True)
    assert free.stdout.strip() == "free", free.stderr  # released, the same port is found free


def test_a_server_that_stops_by_itself_is_a_failure_and_a_stop_signal_is_not(tmp_path: Path):
    from clearance.core.ui_server import serve

    assert serve([sys.executable, "-c", "raise SystemExit(0)"]) == 1  # died (exit 0 of its own): not served
    server = "import time; print('up', flush=True); time.sleep(600)"
    stopper = subprocess.Popen([sys.executable, "-c", "import sys; from clearance.core.ui_server import serve; "
                                f"sys.exit(serve([sys.executable, '-c', {server!r}]))"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert stopper.stdout.readline().strip() == "up"  # the server runs, so serve() handles the signal
    stopper.send_signal(signal.SIGTERM)
    assert stopper.wait(timeout=60) == 0, stopper.stderr.read()


def test_ui_serves_the_project_store(ui: UI):
    tags = {t["key"]: t["value"] for t in experiment(ui.port).get("tags", [])}
    assert tags[KIND_TAG] == KIND
    runs = runs_by_name(ui.port)
    assert set(runs) >= {"baselines", *BASELINES, *TRAINING_RUNS, "sweep", *TRIALS}
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
    # The grid's rows carry their run's id (the pinned name column and the others are separate rows).
    baselines_datasets = f"[role=row][row-id='{runs['baselines']['info']['run_id']}'] {DATASET_COLUMN}"
    driver.get(ui.url)
    wait_for(driver, lambda d: "baselines" in d.find_element("css selector", "[role=grid]").text
             and d.find_elements("css selector", baselines_datasets))
    # One data set shows per row until rows are expanded; then all three do.
    driver.find_element("xpath", "//*[@aria-pressed and normalize-space()='Expand rows']").click()
    wait_for(driver, lambda d: all(n in d.find_element("css selector", baselines_datasets).text for n in names))
    driver.save_screenshot(str(tmp_path / "landing.png"))
    nav = side_bar(driver)
    heading = [h.text for h in driver.find_elements("tag name", "h2")]
    grid = driver.find_element("css selector", "[role=grid]").text
    cells = [c.text for c in driver.find_elements("css selector", baselines_datasets)]
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


@dataclass
class Chart:
    """What one chart card of a run's model-metrics page draws."""
    title: str
    vertices: int  # points on its longest drawn line (0: no line)
    bars: int
    x_title: str
    x_ticks: list[str]

    @property
    def drawn(self) -> bool:
        return self.vertices > 0 or self.bars > 0

    @property
    def curve(self) -> bool:
        """A line through more than one point, over steps."""
        return self.vertices > 1 and self.x_title == "Step"


# One pass over the page in the browser: elements React replaces between calls cannot go stale.
READ_CHARTS = """
return [...document.querySelectorAll(arguments[0])].map(card => {
  const lines = [...card.querySelectorAll('.js-plotly-plot path.js-line')].map(p => p.getAttribute('d') || '');
  return {title: (card.innerText || '').split('\\n')[0].trim(),
          vertices: Math.max(0, ...lines.filter(d => d.startsWith('M')).map(d => d.split('L').length)),
          bars: card.querySelectorAll('.js-plotly-plot .bars path').length,
          x_title: [...card.querySelectorAll('.g-xtitle text')].map(t => t.textContent).join(' ').trim(),
          x_ticks: [...card.querySelectorAll('.xtick text')].map(t => t.textContent)};
});
"""


def charts(driver) -> dict[str, Chart]:
    """The chart cards on the page, by title."""
    return {c["title"]: Chart(**c) for c in driver.execute_script(READ_CHARTS, CHART_CARD)}


def missing_curves(shown: dict[str, Chart], names: list[str]) -> list[str]:
    """The metrics of ``names`` that no chart draws as a curve over steps."""
    return [name for name in names if not (name in shown and shown[name].curve)]


def open_metric_charts(driver, port: int, run_: dict, search: str) -> None:
    """A run's model-metrics page, its charts narrowed to the metrics whose names match ``search`` (a regular
    expression, as the page's search box reads it): MLflow draws only the charts in the window, and a few fit."""
    info = run_["info"]
    driver.get(f"http://127.0.0.1:{port}/#/experiments/{info['experiment_id']}/runs/{info['run_id']}"
               f"/model-metrics?{UI_MODE}")
    # Typed once the charts are there: the box the page shows while loading is replaced.
    wait_for(driver, lambda d: d.find_elements("css selector", CHART_CARD) and d.find_elements("css selector",
                                                                                               CHART_SEARCH))
    driver.find_element("css selector", CHART_SEARCH).send_keys(search)


def wait_for_charts(driver, names: set[str]) -> dict[str, Chart]:
    """Poll until exactly the charts ``names`` are drawn (the search applied); what the page shows then."""
    shown: dict[str, Chart] = {}

    def drawn(d) -> bool:
        nonlocal shown
        shown = charts(d)
        return set(shown) == names and all(c.drawn for c in shown.values())

    wait_for(driver, drawn, seconds=120)
    return shown


def step_history(port: int, run_: dict, key: str) -> list[int]:
    """The steps a run logged ``key`` at, from the tracking API."""
    query = urllib.parse.urlencode({"run_id": run_["info"]["run_id"], "metric_key": key})
    return sorted(m["step"] for m in api(port, f"metrics/get-history?{query}").get("metrics", []))


def test_training_run_shows_its_curves_over_steps(ui: UI, driver, tmp_path: Path):
    runs = runs_by_name(ui.port)
    training = runs["training"]
    parents = {name: {t["key"]: t["value"] for t in runs[name]["data"]["tags"]}.get("mlflow.parentRunId")
               for name in ("overfit_16", "training")}
    assert parents == dict.fromkeys(parents, runs["model"]["info"]["run_id"]), parents

    open_metric_charts(driver, ui.port, training, f"^({'|'.join(CURVES)})$")
    shown = wait_for_charts(driver, set(CURVES))
    driver.save_screenshot(str(tmp_path / "training_curves.png"))
    assert missing_curves(shown, CURVES) == [], shown
    for name in CURVES:
        steps = step_history(ui.port, training, name)
        ticks = [float(t) for t in shown[name].x_ticks if t]
        assert len(set(steps)) > 1, (name, steps)
        # The x axis is the steps the metric was logged at (not wall time): its ticks lie within them.
        assert len(ticks) > 1 and min(steps) <= min(ticks) < max(ticks) <= max(steps), (name, ticks, steps)


def test_runs_without_those_curves_do_not_pass_the_check(ui: UI, driver, tmp_path: Path):
    runs = runs_by_name(ui.port)
    # The overfit probe's run logs only a training loss per step: one curve of the three.
    open_metric_charts(driver, ui.port, runs["overfit_16"], f"^({'|'.join(CURVES)})$")
    shown = wait_for_charts(driver, {"train_loss"})
    driver.save_screenshot(str(tmp_path / "overfit_16.png"))
    assert missing_curves(shown, CURVES) == ["valid_loss", "grad_norm"], shown

    # A baseline logs each score once: MLflow charts it as a bar, which is no curve.
    scores = ["valid_accuracy", "valid_macro_f1"]
    open_metric_charts(driver, ui.port, runs["tfidf_logreg"], f"^({'|'.join(scores)})$")
    shown = wait_for_charts(driver, set(scores))
    driver.save_screenshot(str(tmp_path / "baseline.png"))
    assert all(shown[name].bars for name in scores), shown
    assert missing_curves(shown, scores) == scores, shown


def test_trials_are_nested_under_the_sweep_in_the_runs_table(ui: UI, driver, tmp_path: Path):
    runs = runs_by_name(ui.port)
    sweep_id = runs["sweep"]["info"]["run_id"]
    assert {name: tags_of(runs[name]).get("mlflow.parentRunId") for name in TRIALS} == dict.fromkeys(TRIALS, sweep_id)
    driver.get(ui.url)
    grid = ""

    def listed(d, names: list[str]) -> bool:
        nonlocal grid
        grid = d.find_element("css selector", "[role=grid]").text
        return all(name in grid for name in names)

    # Collapsed, the table lists the sweep and not its trials; its row expands to them.
    wait_for(driver, lambda d: listed(d, ["sweep", "baselines"]))
    assert "sweep" in grid and not any(name in grid.split() for name in TRIALS), grid[:2000]
    expand = f"[role=row][row-id='{sweep_id}'] button"
    wait_for(driver, lambda d: d.find_elements("css selector", expand))
    driver.find_element("css selector", expand).click()
    wait_for(driver, lambda d: listed(d, TRIALS))
    driver.save_screenshot(str(tmp_path / "nested.png"))
    assert all(name in grid for name in TRIALS), grid[:2000]


def tags_of(run_: dict) -> dict[str, str]:
    return {t["key"]: t["value"] for t in run_["data"].get("tags", [])}


SELECT = ".du-bois-light-select-multiple"
OPEN_OPTIONS = ".du-bois-light-select-dropdown:not(.du-bois-light-select-dropdown-hidden) [role=option], " \
               ".du-bois-light-select-dropdown:not(.du-bois-light-select-dropdown-hidden) " \
               ".du-bois-light-select-item-option"
# The plot's own data, as Plotly keeps it on its graph element (each axis's label and values), and the
# axis titles it drew.
READ_PARCOORDS = """
const plot = [...document.querySelectorAll('.js-plotly-plot')].find(g => (g.data || []).some(t => t.type === 'parcoords'));
if (!plot) return null;
const trace = plot.data.find(t => t.type === 'parcoords');
return {axes: trace.dimensions.map(d => ({label: d.label, values: [...d.values]})),
        titles: [...plot.querySelectorAll('.parcoords .axis-title')].map(t => t.textContent)};
"""


def choose(driver, select: int, option: str) -> None:
    """Add ``option`` to the page's ``select``-th multiple select (typed, as its list is virtualised)."""
    driver.find_elements("css selector", SELECT)[select].find_element(
        "css selector", ".du-bois-light-select-selector").click()
    driver.switch_to.active_element.send_keys(option)
    wait_for(driver, lambda d: any(o.get_attribute("title") == option
                                   for o in d.find_elements("css selector", OPEN_OPTIONS)), seconds=20)
    next(o for o in driver.find_elements("css selector", OPEN_OPTIONS) if o.get_attribute("title") == option).click()
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)


def unchoose(driver, select: int, option: str) -> None:
    """Remove ``option`` from the ``select``-th multiple select."""
    for item in driver.find_elements("css selector", SELECT)[select].find_elements(
            "css selector", ".du-bois-light-select-selection-item"):
        if item.text == option:
            item.find_element("css selector", ".du-bois-light-select-selection-item-remove").click()


def parcoords(driver) -> dict | None:
    return driver.execute_script(READ_PARCOORDS)


def axes_of(plot: dict | None) -> list[str]:
    return [axis["label"] for axis in plot["axes"]] if plot else []


def test_trials_compared_in_a_parallel_coordinates_view(ui: UI, driver, tmp_path: Path):
    runs = runs_by_name(ui.port)
    metric = "valid_macro_f1"  # the sweep's objective, as each trial logs it
    ids = [runs[name]["info"]["run_id"] for name in TRIALS]
    experiment_id = runs["sweep"]["info"]["experiment_id"]
    driver.get(f"http://127.0.0.1:{ui.port}/#/compare-runs?runs={urllib.parse.quote(json.dumps(ids))}"
               f"&experiments={urllib.parse.quote(json.dumps([experiment_id]))}&{UI_MODE}")
    wait_for(driver, lambda d: parcoords(d) and len(d.find_elements("css selector", SELECT)) >= 2)
    # MLflow starts with the first three parameters and the first metric; the user picks the rest.
    first = parcoords(driver)
    assert first and axes_of(first) != [*SPACE, metric], first  # so the check below can fail
    for key in SPACE:
        if key not in axes_of(parcoords(driver)):
            choose(driver, 0, key)
    choose(driver, 1, metric)
    for other in [a for a in axes_of(parcoords(driver)) if a not in SPACE and a != metric]:
        unchoose(driver, 1, other)
    wait_for(driver, lambda d: axes_of(parcoords(d)) == [*SPACE, metric])
    driver.save_screenshot(str(tmp_path / "parallel_coordinates.png"))
    plot = parcoords(driver)
    assert axes_of(plot) == [*SPACE, metric], plot
    assert plot["titles"] == [*SPACE, metric], plot  # drawn, not only given to Plotly
    # One line per trial through its values on every axis: the plot's rows are the trials' params and scores.
    drawn = sorted(zip(*(axis["values"] for axis in plot["axes"])))
    logged = sorted((*(float(params_of(runs[name])[key]) for key in SPACE), metrics_of(runs[name])[metric])
                    for name in TRIALS)
    assert len(drawn) == len(logged) and all(row == pytest.approx(want) for row, want in zip(drawn, logged)), \
        (drawn, logged)


def params_of(run_: dict) -> dict[str, str]:
    return {p["key"]: p["value"] for p in run_["data"].get("params", [])}


def metrics_of(run_: dict) -> dict[str, float]:
    return {m["key"]: m["value"] for m in run_["data"].get("metrics", [])}
