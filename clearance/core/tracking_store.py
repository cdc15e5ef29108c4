"""Can the tracking store be used? Checked before a stage does its work, and named when it cannot.

A damaged `mlflow.db` otherwise surfaces as a bare SQLAlchemy traceback after minutes of work. The
checks here read only: the user's store is never deleted, moved or rewritten. They import neither
MLflow nor SQLAlchemy (SQLite is opened read-only with the standard library), so they cost
milliseconds for the default store.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from clearance.core.config.tracking import TrackingConfig
from clearance.core.errors import UserError

STORE_FILE = "mlflow.db"
ARTIFACT_DIR = "mlartifacts"
# Queued and temporary `dvc exp run` jobs run in <repo>/.dvc/tmp/exps/<id>/;
# their runs belong in the store of the repository they came from.
_EXP_COPY = re.compile(r"^(?P<root>.*?)/\.dvc/tmp/exps/")


def project_root(start: Path | None = None) -> Path:
    """The repository root, seen through DVC's temporary experiment copies."""
    base = Path(os.environ.get("DVC_ROOT") or start or Path.cwd()).resolve()
    match = _EXP_COPY.match(str(base) + "/")
    return Path(match.group("root")) if match else base


def tracking_uri(cfg: TrackingConfig, root: Path | None = None) -> str:
    """The configured URI, or an absolute SQLite URI at the repository root."""
    return cfg.uri or f"sqlite:///{(root or project_root()) / STORE_FILE}"


def artifact_location(cfg: TrackingConfig, root: Path | None = None) -> str:
    """Where the experiment stores artifacts (absolute, for the same reason)."""
    return cfg.artifact_location or ((root or project_root()) / ARTIFACT_DIR).as_uri()

SQLITE_HEADER = b"SQLite format 3\x00"
# Ports of the database servers MLflow can use as a store, for the reachability check.
DB_PORTS = {"postgresql": 5432, "postgres": 5432, "mysql": 3306, "mssql": 1433}
REACH_SECONDS = 5.0
ELSEWHERE = "point tracking elsewhere: clearance params tracking.uri=sqlite:///other.db"


def sqlite_path(uri: str) -> Path | None:
    """The file of a SQLite URI (sqlite:///rel, sqlite:////abs, sqlite+driver:///...); None otherwise or in memory."""
    scheme, sep, rest = uri.partition("://")
    if not sep or scheme.split("+")[0] != "sqlite":
        return None
    path = rest.removeprefix("/").split("?")[0]
    return Path(path) if path and path != ":memory:" else None


def shown_uri(uri: str) -> str:
    """The URI as printed: a password in it is masked."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _shown_path(path: Path) -> str:
    """A store file as the user knows it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path.resolve())


def store_where(cfg: TrackingConfig) -> str:
    """The store and the setting that chose it, for the first part of an error message."""
    uri = tracking_uri(cfg)
    path = sqlite_path(uri)
    store = _shown_path(path) if path is not None else shown_uri(uri)
    setting = f"tracking.uri={shown_uri(cfg.uri)}" if cfg.uri else "tracking.uri is empty: the default store"
    return f"MLflow store {store} ({setting})"


def damaged_fix(path: Path) -> str:
    """What to do about a store file that cannot be opened: nothing here touches it."""
    shown = _shown_path(path)
    return (f"move it aside (mv {shlex.quote(shown)} {shlex.quote(shown + '.damaged')}) so a new store is made, "
            f"restore a backup, or {ELSEWHERE}")


def store_error(cfg: TrackingConfig, problem: str) -> UserError:
    """A UserError naming the store, ``problem`` and the fix that fits the kind of store."""
    uri = tracking_uri(cfg)
    path = sqlite_path(uri)
    fix = (damaged_fix(path) if path is not None
           else f"start the server or correct the address, or {ELSEWHERE} (an empty tracking.uri is mlflow.db "
                "at the repository root)")
    return UserError(store_where(cfg), problem, fix)


def check_store(cfg: TrackingConfig) -> None:
    """Raise a UserError when the configured store cannot be used; call it before a stage's work.

    SQLite: the file, when it exists, must be a readable, writable SQLite database, and its folder
    writable (SQLite writes its journal beside it); a missing file is fine, MLflow makes it. A
    server (http, postgresql, ...) must answer on its port. Other stores are left to MLflow, whose
    errors `opening_store` converts.
    """
    uri = tracking_uri(cfg)
    path = sqlite_path(uri)
    if path is not None:
        _check_sqlite(cfg, path)
    elif uri.split("://")[0] in ("http", "https"):
        _check_http(cfg, uri)
    elif (scheme := uri.split("://")[0].split("+")[0]) in DB_PORTS:
        parts = urlsplit(uri)
        if parts.hostname:  # no host: a local socket, left to the driver
            _check_port(cfg, parts.hostname, parts.port or DB_PORTS[scheme])


def _check_sqlite(cfg: TrackingConfig, path: Path) -> None:
    folder = path.parent
    if not folder.is_dir():
        raise UserError(store_where(cfg), f"its folder {folder} does not exist",
                        f"create the folder (mkdir -p {shlex.quote(str(folder))}), or {ELSEWHERE}")
    if not path.exists():
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UserError(store_where(cfg), f"cannot be made: its folder {folder} is not writable",
                            f"make the folder writable, or {ELSEWHERE}")
        return
    if path.is_dir():
        raise store_error(cfg, "is a folder, not an SQLite database file")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise UserError(store_where(cfg), f"cannot be read ({exc.strerror or exc})",
                        f"make it readable (chmod u+rw {shlex.quote(_shown_path(path))}), or {ELSEWHERE}") from None
    # An empty file is an empty database to SQLite: MLflow makes its tables there.
    if header and header != SQLITE_HEADER:
        raise store_error(cfg, "is not an SQLite database (file is not a database)")
    if header:
        _read_schema(cfg, path)
    if not os.access(path, os.W_OK) or not os.access(folder, os.W_OK | os.X_OK):
        where = path if not os.access(path, os.W_OK) else folder
        raise UserError(store_where(cfg), f"is read-only: {where} is not writable",
                        f"make it writable (chmod u+w {shlex.quote(str(where))}), or {ELSEWHERE}")


def _read_schema(cfg: TrackingConfig, path: Path) -> None:
    """Open the file read-only and read its schema version: a damaged first page fails here."""
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)) as db:
            db.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return  # another run is writing to it: MLflow waits its turn
        raise store_error(cfg, f"cannot be opened as an SQLite database ({exc})") from None


def _check_http(cfg: TrackingConfig, uri: str) -> None:
    """The tracking server answers (any HTTP status will do: it is there)."""
    try:
        urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=REACH_SECONDS).close()
    except urllib.error.HTTPError:
        return
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise store_error(cfg, f"does not answer ({reason})") from None


def _check_port(cfg: TrackingConfig, host: str, port: int) -> None:
    """The database server accepts a connection on its port."""
    try:
        socket.create_connection((host, port), timeout=REACH_SECONDS).close()
    except OSError as exc:
        raise store_error(cfg, f"does not answer on {host}:{port} ({exc.strerror or exc})") from None


@contextmanager
def opening_store(cfg: TrackingConfig) -> Iterator[None]:
    """Turn any error from MLflow's store calls in the block into a UserError naming the store.

    Only store calls belong in the block: errors of the stage's own work must keep their traceback.
    """
    try:
        yield
    except UserError:
        raise
    except Exception as exc:  # MLflow, SQLAlchemy, requests and OS errors alike
        lines = str(exc).strip().splitlines()
        detail = f"{type(exc).__name__}: {lines[0][:300]}" if lines else type(exc).__name__
        raise store_error(cfg, f"could not be used ({detail})") from exc
