"""Serving the MLflow UI for `clearance ui`: a port that cannot be bound, and a server that stops on
its own, are errors with an exit code, not a URL printed above a server that is already gone.

The server runs as a child process (not in place of this one) so that its end can be judged: Ctrl-C
or a signal to this process stops it and is a normal end (exit 0); any other end is a failure (exit 1).
"""

from __future__ import annotations

import errno
import signal
import socket
import subprocess
import sys
from typing import Any

from clearance.core.errors import UserError

STOP_SECONDS = 30
_IN_USE = {errno.EADDRINUSE, 10048}  # POSIX, and Windows' WSAEADDRINUSE


def check_port(host: str, port: int) -> None:
    """Raise a UserError when ``host:port`` cannot be bound (in use, or not an address of this machine).

    The test binds the way the server does (SO_REUSEADDR, so a port that only holds closed connections
    counts as free) and lets go at once.
    """
    where = f"clearance ui --host {host} --port {port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (OSError, UnicodeError) as error:
        raise UserError(where, f"{host} is not an address to serve on ({error})",
                        "leave --host out (the UI serves on 127.0.0.1)") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            problem = (f"port {port} is already in use on {host} (another `clearance ui`, an MLflow server or "
                       "another program holds it)") if error.errno in _IN_USE else f"cannot serve there ({error})"
            raise UserError(where, problem, f"pick another port: clearance ui --port {port + 1} "
                            f"(or stop what listens on {port})") from None


def serve(command: list[str]) -> int:
    """Run the server until Ctrl-C or a stop signal (exit 0); a server that ends by itself is a failure
    (exit 1, with one line saying so under the server's own messages)."""
    stopping, server = False, None

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True
        if server is not None:
            server.terminate()

    # Before the server starts: a stop signal at any moment from here on ends it, and is a normal end.
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)
    server = subprocess.Popen(command)
    if stopping:
        server.terminate()
    try:
        code = server.wait()
    except KeyboardInterrupt:  # Ctrl-C reached the server too (one terminal, one process group)
        stopping = True
        try:
            code = server.wait(timeout=STOP_SECONDS)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            server.kill()
            code = server.wait()
    if stopping:
        return 0
    print(f"clearance ui: the MLflow server stopped by itself (exit code {code}); its messages are above. "
          "Run `clearance ui` again, on another port if it says the address is in use (--port N)", file=sys.stderr)
    return 1
