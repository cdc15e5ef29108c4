"""apt-get for the test setup: the services and browsers a test needs, installed when missing, one
install at a time (parallel test workers share the machine's package lock)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from filelock import FileLock

LOCK = Path(tempfile.gettempdir()) / "clearance-tests-apt.lock"
INSTALL_TIMEOUT = 900  # seconds: a fresh machine downloads the packages


def apt_get(*args: str, timeout: float = INSTALL_TIMEOUT) -> subprocess.CompletedProcess:
    """Run apt-get without questions, output captured, while no other test worker runs it."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with FileLock(str(LOCK)):
        return subprocess.run(["apt-get", *args], capture_output=True, text=True, env=env, timeout=timeout,
                              check=False)
