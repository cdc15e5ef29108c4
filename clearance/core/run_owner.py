"""Which process opened a tracking run, and whether that process is gone.

A process killed with ``kill -9`` cannot end its MLflow runs: they stay RUNNING forever. Each run
therefore records its owner (pid, host, and the process's start time), and the next stage to start
ends the runs whose owner is gone (clearance.core.tracking). Only runs of this host are judged: a
process elsewhere cannot be seen from here, so its runs are never touched. The start time tells a
live owner from a new process that was given the same pid.
"""

from __future__ import annotations

import socket

import psutil

PID_TAG, HOST_TAG, STARTED_TAG = "clearance.pid", "clearance.host", "clearance.pid_started"
# A process's start time as the kernel reports it is exact to the clock tick (10 ms on Linux).
START_TOLERANCE_S = 0.05


def owner_tags() -> dict[str, str]:
    """The tags naming this process as a run's owner."""
    process = psutil.Process()
    return {PID_TAG: str(process.pid), HOST_TAG: socket.gethostname(), STARTED_TAG: f"{process.create_time():.3f}"}


def gone_reason(tags: dict[str, str]) -> str | None:
    """Why the process that opened a run with these tags is gone; None when it may be alive (or runs on
    another host, or the run names no owner: a run is never ended on a guess)."""
    pid, host = tags.get(PID_TAG, ""), tags.get(HOST_TAG)
    if host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        process = psutil.Process(int(pid))
        started, status = process.create_time(), process.status()
    except psutil.NoSuchProcess:
        return f"its process {pid} on {host} no longer exists"
    except psutil.Error:  # a process we may not inspect: not ours to judge
        return None
    if status == psutil.STATUS_ZOMBIE:
        return f"its process {pid} on {host} has ended (a zombie)"
    try:
        recorded = float(tags.get(STARTED_TAG, ""))
    except ValueError:
        return None
    if abs(recorded - started) > START_TOLERANCE_S:
        return f"its process {pid} on {host} has ended (that pid now belongs to another process)"
    return None
