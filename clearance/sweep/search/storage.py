"""Where a sweep's Optuna study lives: a journal file in the repository, or a database server.

The journal file lets local worker processes share one study; a PostgreSQL (or MySQL) URL lets
workers on other machines join it. Optuna is imported inside the functions so that the CLI
stays quick to start.
"""

from __future__ import annotations

import importlib
import re
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clearance.core.errors import UserError

if TYPE_CHECKING:
    import optuna

JOURNAL = Path("reports/sweep/study/journal.log")
CONNECT_TIMEOUT = 5     # seconds: a wrong host fails fast instead of hanging the stage
MAX_RETRY = 3           # a trial that kills its worker every time must not be retried forever
# The URL schemes accepted (SQLAlchemy's spelling) -> the pip package of the driver each needs.
DRIVERS = {
    "postgresql": "psycopg2-binary",
    "postgresql+psycopg2": "psycopg2-binary",
    "postgresql+psycopg": "'psycopg[binary]'",
    "mysql": "mysqlclient",
    "mysql+mysqldb": "mysqlclient",
    "mysql+pymysql": "PyMySQL",
}
SQLITE_FIX = ('SQLite locks the database when workers write at once (see Optuna\'s FAQ): set '
              'sweep.storage: "" for the journal file in the repository (local workers), or a '
              'postgresql:// URL (workers on several machines)')
# The userinfo's password runs to the last "@": greedy, so a password with a raw "@" is masked whole.
PASSWORD_IN_NETLOC = re.compile(r"^(?P<head>[\w+.-]+://[^:/@]*:).*@")
PASSWORD_IN_QUERY = re.compile(r"(?P<head>[?&]password=)[^&]*", re.IGNORECASE)


def mask(url: str) -> str:
    """``url`` with its password (in the user part or the query) replaced by ``***``."""
    masked = PASSWORD_IN_NETLOC.sub(r"\g<head>***@", url, count=1)
    return PASSWORD_IN_QUERY.sub(r"\g<head>***", masked)


def is_local(url: str) -> bool:
    """Whether ``url`` names the journal file in the repository (an empty setting)."""
    return not url.strip()


def open_storage(url: str, journal: Path = JOURNAL,
                 heartbeat: int = 60) -> optuna.storages.BaseStorage:
    """The study's storage: the journal file for ``""``, else the database at ``url``.

    On a database, workers send a heartbeat every ``heartbeat`` seconds; a trial whose worker
    stopped beating for twice that long is failed and queued again with the same parameters.
    """
    if is_local(url):
        return journal_storage(journal)
    return database_storage(url.strip(), heartbeat)


def journal_storage(journal: Path) -> optuna.storages.BaseStorage:
    """Optuna's JournalStorage in ``journal``, its folder created."""
    import optuna

    try:
        journal.parent.mkdir(parents=True, exist_ok=True)
        backend = optuna.storages.journal.JournalFileBackend(str(journal))
    except OSError as error:
        raise UserError(f"sweep.storage (journal file {journal})",
                        f"cannot write the study's journal: {error.strerror or error}",
                        f"make {journal.parent} writable, or set sweep.storage to a postgresql:// URL",
                        ) from None
    return optuna.storages.JournalStorage(backend)


def database_storage(url: str, heartbeat: int) -> optuna.storages.BaseStorage:
    """Optuna's RDBStorage at ``url``, after checking that the server answers."""
    where = f"sweep.storage={mask(url)}"
    check_scheme(url, where)
    if heartbeat <= 0:
        raise UserError(where, f"the heartbeat interval must be positive, not {heartbeat}",
                        "pass a heartbeat of at least 1 second")
    kwargs = engine_kwargs()
    target = with_driver(url)
    check_connection(target, kwargs, where)
    return rdb_storage(target, kwargs, heartbeat, where)


def scheme_of(url: str) -> str:
    """The URL's scheme in lower case (``postgresql+psycopg2``), ``""`` when there is none."""
    scheme, sep, _ = url.partition("://")
    return scheme.lower() if sep else ""


def check_scheme(url: str, where: str) -> None:
    """Reject SQLite and anything that is not a database URL Optuna can share between machines."""
    scheme = scheme_of(url)
    if scheme.split("+")[0] == "sqlite":
        raise UserError(where, "SQLite cannot hold a study shared by parallel workers", SQLITE_FIX)
    if scheme == "postgres":
        raise UserError(where, 'the scheme "postgres://" is not understood by SQLAlchemy',
                        'write "postgresql://" instead')
    if scheme not in DRIVERS:
        shown = f'the scheme "{scheme}://"' if scheme else "the value (not a URL)"
        raise UserError(where, f"{shown} is not a supported study storage",
                        'set sweep.storage: "" for the journal file in the repository, or a URL like '
                        "postgresql://USER:PASSWORD@HOST:5432/DATABASE")


def with_driver(url: str) -> str:
    """A plain ``postgresql://`` URL with the installed driver named in it.

    SQLAlchemy's default driver for the plain scheme changed (psycopg2 in 2.0, psycopg 3 in 2.1),
    so the URL names the one that is installed, psycopg2 first. With neither, the URL stays as it
    is and connecting reports the missing driver.
    """
    if scheme_of(url) != "postgresql":
        return url
    for driver in ("psycopg2", "psycopg"):
        try:
            importlib.import_module(driver)
        except ImportError:
            continue
        return f"postgresql+{driver}://{url.partition('://')[2]}"
    return url


def engine_kwargs() -> dict[str, Any]:
    """SQLAlchemy engine options: a short connect timeout, and a check of pooled connections."""
    # pool_pre_ping: a sweep runs for hours, and servers drop idle connections meanwhile.
    return {"connect_args": {"connect_timeout": CONNECT_TIMEOUT}, "pool_pre_ping": True}


def check_connection(url: str, kwargs: dict[str, Any], where: str) -> None:
    """Connect once, so that a wrong URL fails here, with a fix, instead of deep inside Optuna."""
    import sqlalchemy
    import sqlalchemy.exc

    try:
        engine = sqlalchemy.create_engine(url, **kwargs)
    except ImportError:
        raise missing_driver(url, where) from None
    except sqlalchemy.exc.ArgumentError as error:
        raise UserError(where, f"the URL cannot be parsed ({scrub(str(error), url)})",
                        "write it as postgresql://USER:PASSWORD@HOST:PORT/DATABASE, with special "
                        "characters of the password percent-encoded") from None
    try:
        with engine.connect():
            pass
    except sqlalchemy.exc.DBAPIError as error:
        raise connection_error(url, str(error.orig), where) from None
    finally:
        engine.dispose()


def missing_driver(url: str, where: str) -> UserError:
    """The error for a database URL whose Python driver is not installed."""
    package = DRIVERS[scheme_of(url)]
    return UserError(where, "the database driver for this URL is not installed",
                     f"pip install {package} (in the environment that runs the sweep)")


# (substrings of the driver's message, problem, fix), checked in order; the last entry matches all.
CONNECTION_PROBLEMS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("password authentication failed", "no password supplied", "access denied",
      "authentication failed", 'role "'),
     "the server refused the user name or password",
     "check the user and password in the URL (percent-encode special characters) and that the "
     "server allows this user from this machine (PostgreSQL: pg_hba.conf)"),
    (("does not exist", "unknown database"),
     "the database does not exist on the server",
     "create it (PostgreSQL: createdb NAME, or CREATE DATABASE NAME;) or fix its name in the URL"),
    (("timeout expired", "timed out"),
     "the server did not answer within {timeout} s",
     "is the server running, reachable from this machine (firewall, VPN), and the port right?"),
    (("could not translate host name", "name or service not known", "unknown mysql server host"),
     "the host name does not resolve",
     "check the host in the URL, and that this machine's DNS knows it"),
    ((),
     "cannot connect to the database server",
     "is the server running, reachable from this machine (firewall, VPN), and the port right? "
     "(PostgreSQL listens on 5432 unless told otherwise)"),
)


def connection_error(url: str, message: str, where: str) -> UserError:
    """A UserError for the driver's connection ``message``, with the password scrubbed."""
    detail = first_line(scrub(message, url))
    lowered = message.lower()
    for needles, problem, fix in CONNECTION_PROBLEMS:
        if not needles or any(needle in lowered for needle in needles):
            return UserError(where, f"{problem.format(timeout=CONNECT_TIMEOUT)} ({detail})", fix)
    raise AssertionError("the last entry of CONNECTION_PROBLEMS matches every message")


def first_line(message: str) -> str:
    """The first non-empty line of a driver message, without libpq's ``FATAL:`` prefix."""
    for line in message.splitlines():
        line = line.strip().removeprefix("FATAL:").strip()
        if line:
            return line
    return "no message from the driver"


def scrub(text: str, url: str) -> str:
    """``text`` with the URL's password removed, should a driver ever echo it."""
    import sqlalchemy.engine

    try:
        password = sqlalchemy.engine.make_url(url).password
    except Exception:  # an unparsable URL: mask() already hides what looks like a password
        password = None
    text = text.replace(url, mask(url))
    return text.replace(str(password), "***") if password else text


def _rdb_storage(url: str, kwargs: dict[str, Any], heartbeat: int, retry: Any) -> optuna.storages.BaseStorage:
    """RDBStorage; when a worker starting at the same moment created the tables first, open them again."""
    import optuna
    import sqlalchemy.exc

    for attempt in range(3):
        try:
            return optuna.storages.RDBStorage(url, engine_kwargs=kwargs, heartbeat_interval=heartbeat,
                                              grace_period=2 * heartbeat, heartbeat_stale_trial_callback=retry)
        except (sqlalchemy.exc.DBAPIError, optuna.exceptions.StorageInternalError) as error:
            # Two workers on an empty database both try to create Optuna's tables; one loses.
            if "already exists" not in str(error) + str(getattr(error, "__cause__", "")) or attempt == 2:
                raise
            time.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


def rdb_storage(url: str, kwargs: dict[str, Any], heartbeat: int,
                where: str) -> optuna.storages.BaseStorage:
    """RDBStorage with heartbeats, so that a trial whose worker died is queued again."""
    import optuna
    import sqlalchemy.exc

    # Heartbeats and the retry callback are marked experimental; the warning says nothing to act on.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY)
        try:
            return _rdb_storage(url, kwargs, heartbeat, retry)
        except (sqlalchemy.exc.DBAPIError, optuna.exceptions.StorageInternalError) as error:
            # Optuna wraps some database errors; the driver's message is the useful part.
            cause = error if isinstance(error, sqlalchemy.exc.DBAPIError) else error.__cause__
            detail = first_line(scrub(str(getattr(cause, "orig", None) or cause or error), url))
            raise UserError(where, f"the database refused Optuna's tables ({detail})",
                            "let the URL's user create tables in the database, or use a database "
                            "it owns") from None
        except RuntimeError as error:   # Optuna's schema is older or newer than this Optuna
            raise UserError(where, first_line(scrub(str(error), url)),
                            f"run: optuna storage upgrade --storage '{mask(url)}' "
                            "(with the real password)") from None
