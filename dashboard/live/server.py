"""The server side of the hub: the job runner and `/api/v1` on the dashboard's Flask
server, and the start/stop of `gridscore serve` (bind, credential file, clean exit).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING

from dashboard.live.attach import EXTENSION, attach_jobs, jobs_folder
from dashboard.settings import Settings

if TYPE_CHECKING:
    import dash

__all__ = ["EXTENSION", "attach_jobs", "jobs_folder", "loopback_url", "run"]

log = logging.getLogger("gridscore.serve")
STOP_WAIT = 10.0  # seconds a stop waits for the start-up cache warm-up to finish its query

def loopback_url(host: str, port: int) -> str:
    """The URL a CLI on this machine uses for a server bound to `host:port`."""
    reach = "127.0.0.1" if host in ("0.0.0.0", "", "localhost", "::") else host
    if ":" in reach:
        reach = f"[{reach}]"
    return f"http://{reach}:{port}"


def run(settings: Settings, *, host: str, port: int, threads: int, announce) -> None:
    """Serve until stopped: bind (port 0 picks a free one), write the credential file,
    and on SIGTERM / Ctrl-C stop the jobs, remove the file and close the database."""
    from waitress import create_server

    from dashboard.app import create_app
    from dashboard.data import warm_caches
    from dashboard.live import credentials

    token = credentials.new_token()
    dash_app: dash.Dash = create_app(settings, local_token=token)
    state = dash_app.server.extensions["gridscore"]
    warm = threading.Thread(target=warm_caches, args=(state.db,), name="warm-caches", daemon=True)
    warm.start()
    httpd = create_server(dash_app.server, host=host, port=port, threads=threads, ident="gridscore")
    bound = int(httpd.effective_port)  # type: ignore[union-attr]
    cred = None
    if state.db.path != ":memory:":
        cred = credentials.write(state.db.path, loopback_url(host, bound), token)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    announce(bound)
    try:
        httpd.run()
    except KeyboardInterrupt:
        pass
    finally:
        if cred is not None:
            credentials.remove(state.db.path, cred)
        runner = dash_app.server.extensions[EXTENSION]
        runner.stop()
        httpd.close()  # waitress: ends its worker threads (waits up to 5 s for running requests)
        warm.join(STOP_WAIT)
        busy = [t.name for t in (warm, *runner.threads()) if t.is_alive()]
        requests = len(httpd.task_dispatcher.threads)  # type: ignore[union-attr]  # waitress workers not yet ended
        if requests:
            busy.append(f"{requests} request thread(s)")
        if busy:
            # A thread is still inside a DuckDB call. Closing the database under it fails
            # ("connection is busy"), and letting the interpreter finalise kills that thread
            # with pthread_exit when the call returns, which unwinds through DuckDB's C++
            # catch(...) blocks and aborts the process (SIGABRT, exit -6). Committed work is
            # in the WAL, so leave at once instead, with the exit code of a clean stop.
            log.warning("stopping with %s still running; the database is recovered from its WAL at next start",
                        ", ".join(busy))
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        state.db.close()
