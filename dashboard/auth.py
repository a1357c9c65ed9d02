"""Accounts, passwords and server-side sessions of the dashboard.

Passwords are hashed with argon2id. A session is a random cookie value whose
sha256 is stored in `auth_sessions`; a cookie is valid only while its row is live
(not expired, not revoked), so signing out really ends it. Each sign-in creates
a new value (rotation) and revokes the one the browser brought, if any.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from warehouse.db import Database
from warehouse.errors import WarehouseError

Role = Literal["admin", "assessor", "supervisor", "viewer"]
ROLES: tuple[str, ...] = ("admin", "assessor", "supervisor", "viewer")
COOKIE_NAME = "gs_session"

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so timing does not tell.

    Made on first use, not at import: one argon2 hash costs most of a second on a busy
    machine, and every CLI command imports this module.
    """
    return _hasher.hash("not-a-real-password")


def prepare_sign_in() -> None:
    """Make the dummy hash now (the server calls this at start), so even the first
    sign-in with an unknown name takes as long as one with a known name."""
    _dummy_hash()


class AuthError(WarehouseError):
    """An account cannot be created or changed (message for the user)."""


@dataclass(frozen=True)
class User:
    """A signed-in account: name, role and the org unit its view is limited to."""

    name: str
    role: str
    scope_unit_id: str | None = None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def now_utc() -> datetime:
    """The current UTC time without tzinfo (how the auth tables store time)."""
    return _now()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def add_user(
    db: Database, name: str, password: str, *, role: str, scope_unit_id: str | None = None
) -> User:
    """Create an account (or reset its password, role and scope if it exists).

    Raises:
        AuthError: bad role, short password, supervisor without scope, unknown unit.
    """
    name = name.strip()
    if not name or len(name) > 64:
        raise AuthError(f"user name {name!r} must be 1–64 characters")
    if role not in ROLES:
        raise AuthError(f"role {role!r} is not one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise AuthError("password must have at least 8 characters")
    if role == "supervisor" and not scope_unit_id:
        raise AuthError("a supervisor needs --scope UNIT_ID (the org subtree they supervise)")
    if scope_unit_id is not None:
        known = db.scalar("SELECT count(*) FROM org_units WHERE unit_id = ?", [scope_unit_id])
        if not known:
            raise AuthError(f"scope unit {scope_unit_id!r} is not in org_units")
    now = _now()
    with db.transaction() as cur:
        cur.execute("DELETE FROM auth_users WHERE user_name = ?", [name])
        cur.execute(
            "INSERT INTO auth_users (user_name, password_hash, role, scope_unit_id, disabled,"
            " created_at, password_changed_at) VALUES (?, ?, ?, ?, false, ?, ?)",
            [name, _hasher.hash(password), role, scope_unit_id, now, now],
        )
        # A changed account starts afresh: any session it had is revoked.
        cur.execute(
            "UPDATE auth_sessions SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL",
            [now, name],
        )
    _forget_sessions()
    return User(name=name, role=role, scope_unit_id=scope_unit_id)


def verify_password(db: Database, name: str, password: str) -> User | None:
    """The account if `password` is right and the account is enabled, else None."""
    cur = db.cursor()
    try:
        row = cur.execute(
            "SELECT password_hash, role, scope_unit_id, disabled FROM auth_users WHERE user_name = ?",
            [name],
        ).fetchone()
    finally:
        cur.close()
    if row is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password)
        return None
    stored, role, scope, disabled = row
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if disabled:
        return None
    return User(name=name, role=role, scope_unit_id=scope)


def start_session(db: Database, user: User, *, hours: float, previous: str | None = None) -> str:
    """Create a session for `user` and return the new cookie value (revoking `previous`)."""
    token = secrets.token_urlsafe(32)
    now = _now()
    _forget_sessions()
    with db.transaction() as cur:
        if previous:
            cur.execute(
                "UPDATE auth_sessions SET revoked_at = ? WHERE session_hash = ? AND revoked_at IS NULL",
                [now, _digest(previous)],
            )
        cur.execute(
            "INSERT INTO auth_sessions (session_hash, user_name, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            [_digest(token), user.name, now, now + timedelta(hours=hours)],
        )
    return token


# Recently checked sessions, so each request does not need a database round trip.
# The server is the only writer of the database (DuckDB allows one writing process),
# and every change of a session or account below clears this cache, so a sign-out
# takes effect at once; expiry is re-checked after SESSION_CACHE_SECONDS at most.
SESSION_CACHE_SECONDS = 10.0
_session_cache: dict[str, tuple[float, User]] = {}
_session_lock = threading.Lock()
# Other caches of who a caller is (API keys, `dashboard.apikeys`) that an account change must clear.
_listeners: list[Callable[[], None]] = []


def add_cache_listener(forget: Callable[[], None]) -> None:
    """Call `forget` whenever an account or session changes (so no cache keeps an old role)."""
    _listeners.append(forget)


def _forget_sessions() -> None:
    with _session_lock:
        _session_cache.clear()
    for forget in _listeners:
        forget()


def session_user(db: Database, token: str | None) -> User | None:
    """The account of a live session cookie, or None (missing, expired, revoked, disabled)."""
    if not token or len(token) > 200:
        return None
    digest = _digest(token)
    now = time.monotonic()
    with _session_lock:
        hit = _session_cache.get(digest)
        if hit is not None and now - hit[0] < SESSION_CACHE_SECONDS:
            return hit[1]
    user = _session_user_db(db, digest)
    if user is not None:
        with _session_lock:
            if len(_session_cache) > 10_000:
                _session_cache.clear()
            _session_cache[digest] = (now, user)
    return user


def _session_user_db(db: Database, digest: str) -> User | None:
    cur = db.cursor()
    try:
        row = cur.execute(
            """
            SELECT u.user_name, u.role, u.scope_unit_id
            FROM auth_sessions AS s
            JOIN auth_users AS u USING (user_name)
            WHERE s.session_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ?
              AND NOT u.disabled
            """,
            [digest, _now()],
        ).fetchone()
    finally:
        cur.close()
    return None if row is None else User(name=row[0], role=row[1], scope_unit_id=row[2])


def end_session(db: Database, token: str | None) -> None:
    """Revoke a session (sign-out); unknown values are ignored."""
    _forget_sessions()
    if not token:
        return
    cur = db.cursor()
    try:
        cur.execute(
            "UPDATE auth_sessions SET revoked_at = ? WHERE session_hash = ? AND revoked_at IS NULL",
            [_now(), _digest(token)],
        )
    finally:
        cur.close()


def log_event(
    db: Database, event: str, *, user_name: str | None, client_ip: str | None, detail: str | None = None
) -> None:
    """Append a row to the sign-in log."""
    cur = db.cursor()
    try:
        cur.execute(
            "INSERT INTO auth_events (event_at, user_name, event, client_ip, detail) VALUES (?, ?, ?, ?, ?)",
            [_now(), (user_name or "")[:64], event, client_ip, (detail or "")[:200]],
        )
    finally:
        cur.close()
