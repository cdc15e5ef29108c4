"""A throw-away PostgreSQL server for tests, on 127.0.0.1 and a free port.

Use it with ``from tests.postgres import postgres_url  # noqa: F401``. The server binaries come
from Debian's ``postgresql`` package, installed with apt-get when missing (CI runs as root on a
fresh machine). PostgreSQL refuses to run as root, so the server runs as the ``postgres`` user
that the package creates.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.apt import apt_get

PG_ROOT = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"
DATABASE = "clearance_test"
# A role that must give its password (all others are trusted), for tests of a wrong password;
# a superuser, so that it may use the tables other roles created.
PASSWORD_ROLE = "clearance_pw"
PASSWORD = "right-pw-7f3a"
START_TRIES = 3          # a free port can be taken between finding it and the server binding it
COMMAND_TIMEOUT = 120    # seconds; pg_ctl itself waits at most 60
INSTALL_TIMEOUT = 900


def server_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder with initdb and pg_ctl, if any."""
    found = [path.parent for path in PG_ROOT.glob("*/bin/initdb") if (path.parent / "pg_ctl").exists()]
    return max(found, key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
               default=None)


def install_postgres() -> Path:
    """Install Debian's postgresql package (refreshing the package lists only when needed)."""
    if shutil.which("apt-get") is None:
        pytest.skip("PostgreSQL is not installed and apt-get is unavailable to install it")
    if os.geteuid() != 0:
        pytest.skip("PostgreSQL is not installed and installing it needs root: "
                    "apt-get install postgresql")
    install = ("install", "-y", "--no-install-recommends", "postgresql")
    result = apt_get(*install)
    if result.returncode != 0:  # stale or missing package lists, as on a fresh machine
        apt_get("update")
        result = apt_get(*install)
    found = server_bin()
    if result.returncode != 0 or found is None:
        pytest.fail(f"apt-get install postgresql failed ({result.returncode}):\n"
                    f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return found


def as_server_user(cmd: list[str]) -> list[str]:
    """``cmd`` run as the server's user when this process is root (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return cmd
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVER_USER, "--", *cmd]
    return ["su", SERVER_USER, "-s", "/bin/sh", "-c", subprocess.list2cmdline(cmd)]


def server_user_ids() -> tuple[int, int] | None:
    """(uid, gid) that should own the cluster's files; None when this process runs it itself."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        pytest.skip(f"running as root and there is no '{SERVER_USER}' user to run PostgreSQL as")
    return entry.pw_uid, entry.pw_gid


def run(cmd: list[str], cwd: Path, what: str) -> str:
    """Run a server command; fail the test setup with its output when it fails."""
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                            env={**os.environ, "LC_ALL": "C"}, timeout=COMMAND_TIMEOUT, check=False)
    if result.returncode != 0:
        pytest.fail(f"{what} failed ({result.returncode}): {' '.join(cmd)}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings(port: int, socket_dir: Path) -> str:
    """postgresql.conf lines: local only, and no durability (a test server's data is disposable)."""
    return "\n".join([
        "", "listen_addresses = '127.0.0.1'", f"port = {port}",
        f"unix_socket_directories = '{socket_dir}'",
        "fsync = off", "synchronous_commit = off", "full_page_writes = off", "",
    ])


HBA = f"""\
local all all trust
host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
"""


def init_cluster(bindir: Path, base: Path) -> Path:
    """initdb into ``base``/data, owned by the server's user; its data folder."""
    data, sockets = base / "data", base / "sockets"
    sockets.mkdir()
    ids = server_user_ids()
    if ids:
        for path in (base, sockets):
            os.chown(path, *ids)
    run(as_server_user([str(bindir / "initdb"), "-D", str(data), "-U", SERVER_USER, "-A", "trust",
                        "-E", "UTF8", "--locale=C", "--no-sync"]), base, "initdb")
    (data / "pg_hba.conf").write_text(HBA)
    return data


def start(bindir: Path, data: Path, base: Path) -> int:
    """Start the server on a free port (a few tries); the port."""
    conf = data / "postgresql.conf"
    original = conf.read_text()
    log = base / "server.log"
    for _ in range(START_TRIES):
        port = free_port()
        conf.write_text(original + settings(port, base / "sockets"))
        result = subprocess.run(
            as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
                            "start"]),
            cwd=base, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False)
        if result.returncode == 0:
            return port
    server_log = log.read_text()[-3000:] if log.exists() else "(no server log)"
    pytest.fail(f"pg_ctl start failed {START_TRIES} times:\n{result.stdout}\n{result.stderr}\n{server_log}")


def stop(bindir: Path, data: Path, base: Path) -> None:
    """Stop the server without waiting for clients to disconnect."""
    subprocess.run(as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                   cwd=base, capture_output=True, timeout=COMMAND_TIMEOUT, check=False)


def prepare(bindir: Path, port: int, base: Path) -> None:
    """Create the test database and the role that needs a password."""
    client = ["-h", "127.0.0.1", "-p", str(port), "-U", SERVER_USER]
    run([str(bindir / "createdb"), *client, DATABASE], base, "createdb")
    run([str(bindir / "psql"), *client, "-d", DATABASE, "-v", "ON_ERROR_STOP=1", "-c",
         f"CREATE ROLE {PASSWORD_ROLE} LOGIN SUPERUSER PASSWORD '{PASSWORD}'"], base, "psql")


@contextmanager
def running_server(bindir: Path) -> Iterator[str]:
    """A fresh cluster, started, with the test database; its URL. Stopped and removed on exit."""
    # Not pytest's tmp_path: its root is private to the user running pytest, and the server
    # runs as another user who must reach its folder.
    base = Path(tempfile.mkdtemp(prefix="clearance-pg-"))
    data = base / "data"
    try:
        init_cluster(bindir, base)
        port = start(bindir, data, base)
        try:
            prepare(bindir, port, base)
            yield f"postgresql://{SERVER_USER}@127.0.0.1:{port}/{DATABASE}"
        finally:
            stop(bindir, data, base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL database on a server started for this test session."""
    bindir = server_bin() or install_postgres()
    with running_server(bindir) as url:
        yield url
