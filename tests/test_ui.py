"""`clearance ui` serves this project's MLflow store on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from clearance.config import TrackingConfig
from clearance.tracking import stage_run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def search_runs(port: int) -> list[dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/get-by-name?experiment_name=clearance")
    with urllib.request.urlopen(request, timeout=5) as response:
        experiment_id = json.load(response)["experiment"]["experiment_id"]
    body = json.dumps({"experiment_ids": [experiment_id]}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/2.0/mlflow/runs/search", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response).get("runs", [])


def test_ui_serves_the_project_store(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DVC_ROOT", raising=False)
    with stage_run("inspect", TrackingConfig(), {"seed": 1}):
        pass
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "clearance", "ui", "--port", str(port)], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline, runs = time.monotonic() + 120, None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                runs = search_runs(port)
                break
            except OSError:
                time.sleep(1)
        assert runs is not None, server.stdout.read().decode() if server.poll() is not None else "no answer"
        assert [r["info"]["run_name"] for r in runs] == ["inspect"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
