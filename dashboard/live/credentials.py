"""The server's credential file next to the database: `<db>.server.json`.

Written at start (mode 0600: only the file's owner may read it), removed at
stop. It names the loopback URL and a random token; a CLI that can read it acts
as a local administrator (recorded as its OS user). A file left by a killed
server is recognised by its dead process id and ignored or replaced.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

SUFFIX = ".server.json"


@dataclass(frozen=True)
class Credential:
    """How to reach the server that holds a database."""

    url: str
    token: str
    pid: int
    db: str


def path_for(db_path: str | os.PathLike[str]) -> Path:
    """The credential file of a database file."""
    db = Path(db_path).resolve()
    return db.with_name(db.name + SUFFIX)


def new_token() -> str:
    """A fresh random token for one server run."""
    return secrets.token_urlsafe(32)


def write(db_path: str, url: str, token: str) -> Credential:
    """Write this process's credential; replaces a stale file."""
    cred = Credential(url=url, token=token, pid=os.getpid(), db=str(Path(db_path).resolve()))
    target = path_for(db_path)
    target.unlink(missing_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(asdict(cred), handle)
    return cred


def remove(db_path: str, cred: Credential) -> None:
    """Remove the file if it is still this process's."""
    current = read(db_path)
    if current is not None and current.token == cred.token:
        path_for(db_path).unlink(missing_ok=True)


def alive(pid: int) -> bool:
    """A process with this id runs (and is not a zombie we could reap)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def read(db_path: str) -> Credential | None:
    """The credential of a running server for this database, or None.

    Raises:
        PermissionError: the file exists but belongs to someone else.
    """
    target = path_for(db_path)
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, OSError) as exc:
        if isinstance(exc, PermissionError):
            raise
        return None
    cred = Credential(**{k: data[k] for k in ("url", "token", "pid", "db")})
    return cred if alive(cred.pid) else None
