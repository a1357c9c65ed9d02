"""API keys of `/api/v1`: made (shown once), stored hashed, listed with last use, revoked.

A key acts either as an account (its role and scope are the account's at every
call, so a changed or disabled account changes its keys at once) or as an
integration (an event platform pushing work records, a reporting system) with its
own role and org scope. The key is `gsk_<key_id>_<secret>`; only its sha256 is
kept (like session cookies, `dashboard.auth`), so a copy of the database hands
out no live keys. Every call made with a key is then checked by the same
`require(user, action, unit)` as the dashboard.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from dashboard.auth import ROLES, AuthError, User, add_cache_listener, now_utc
from warehouse.db import Database, fetch_pl

PREFIX = "gsk_"
LAST_USED_EVERY = 60.0  # seconds: `last_used_at` is written at most once a minute per key
KEY_CACHE_SECONDS = 10.0

_LIST_SQL = """
WITH keys AS (SELECT * FROM api_keys),
     accounts AS (SELECT user_name, role, scope_unit_id, disabled FROM auth_users)
SELECT k.key_id, k.name, k.user_name,
       coalesce(k.role, a.role) AS role,
       CASE WHEN k.user_name IS NULL THEN k.scope_unit_id ELSE a.scope_unit_id END AS scope_unit_id,
       k.created_by, k.created_at, k.last_used_at, k.revoked_at, k.revoked_by,
       CASE WHEN k.revoked_at IS NOT NULL THEN 'revoked'
            WHEN k.user_name IS NOT NULL AND (a.user_name IS NULL OR a.disabled) THEN 'account_disabled'
            ELSE 'live' END AS state
FROM keys AS k LEFT JOIN accounts AS a USING (user_name)
ORDER BY k.created_at DESC, k.key_id
"""

_LOOKUP_SQL = """
WITH key AS (SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL),
     account AS (SELECT user_name, role, scope_unit_id FROM auth_users WHERE NOT disabled)
SELECT k.key_id, k.user_name, coalesce(a.role, k.role) AS role,
       CASE WHEN k.user_name IS NULL THEN k.scope_unit_id ELSE a.scope_unit_id END AS scope_unit_id,
       k.user_name IS NOT NULL AND a.user_name IS NULL AS account_gone
FROM key AS k LEFT JOIN account AS a USING (user_name)
"""


@dataclass(frozen=True)
class NewKey:
    """A key just made: the secret (shown this once) and its public id."""

    key_id: str
    key: str
    name: str
    user_name: str | None
    role: str
    scope_unit_id: str | None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def key_principal_name(key_id: str) -> str:
    """How jobs and the audit name the caller of an integration key."""
    return f"key:{key_id}"


def create_key(db: Database, name: str, *, created_by: str, user_name: str | None = None,
               role: str | None = None, scope_unit_id: str | None = None) -> NewKey:
    """Make a key for an account (`user_name`) or an integration (`role`, `scope_unit_id`).

    Raises:
        AuthError: no name; both or neither of account and role; unknown account,
            role or unit; a supervisor integration without a scope.
    """
    name = name.strip()
    if not name or len(name) > 64:
        raise AuthError(f"key name {name!r} must be 1–64 characters")
    if (user_name is None) == (role is None):
        raise AuthError("a key acts as an account (--user NAME) or is an integration's (--role ROLE [--scope UNIT]), "
                        "not both")
    cur = db.cursor()
    try:
        if user_name is not None:
            if scope_unit_id is not None:
                raise AuthError("an account's key has the account's scope: leave out --scope")
            row = cur.execute("SELECT role, scope_unit_id, disabled FROM auth_users WHERE user_name = ?",
                              [user_name]).fetchone()
            if row is None or row[2]:
                raise AuthError(f"no enabled account {user_name!r} (create it with `gridscore user add`)")
            eff_role, eff_scope = row[0], row[1]
        else:
            if role not in ROLES:
                raise AuthError(f"role {role!r} is not one of {', '.join(ROLES)}")
            if role == "supervisor" and not scope_unit_id:
                raise AuthError("a supervisor key needs --scope UNIT_ID (the org subtree it may reach)")
            if scope_unit_id is not None and not cur.execute(
                    "SELECT count(*) FROM org_units WHERE unit_id = ?", [scope_unit_id]).fetchone()[0]:
                raise AuthError(f"scope unit {scope_unit_id!r} is not in org_units")
            eff_role, eff_scope = role, scope_unit_id
    finally:
        cur.close()
    key_id = "k" + secrets.token_hex(4)
    secret = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO api_keys (key_id, key_hash, name, user_name, role, scope_unit_id, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [key_id, _digest(secret), name, user_name, role, scope_unit_id if user_name is None else None,
             created_by[:64], now_utc()],
        )
    return NewKey(key_id=key_id, key=secret, name=name, user_name=user_name, role=eff_role, scope_unit_id=eff_scope)


def list_keys(db: Database) -> pl.DataFrame:
    """Every key, newest first: who it acts as, role, scope, made by/at, last use, revoked, state."""
    cur = db.cursor()
    try:
        return fetch_pl(cur, _LIST_SQL)
    finally:
        cur.close()


def revoke_key(db: Database, key_id: str, *, actor: str) -> dict[str, object]:
    """Revoke a key at once (it is refused from the next call on); the key's row.

    Raises:
        AuthError: unknown key, or already revoked.
    """
    cur = db.cursor()
    try:
        row = cur.execute("SELECT revoked_at FROM api_keys WHERE key_id = ?", [key_id]).fetchone()
    finally:
        cur.close()
    if row is None:
        raise AuthError(f"no API key {key_id!r}")
    if row[0] is not None:
        raise AuthError(f"API key {key_id} was already revoked at {row[0]:%Y-%m-%d %H:%M}")
    with db.transaction() as tx:
        tx.execute("UPDATE api_keys SET revoked_at = ?, revoked_by = ? WHERE key_id = ?",
                   [now_utc(), actor[:64], key_id])
    forget_keys()
    listed = list_keys(db).filter(pl.col("key_id") == key_id)
    return listed.to_dicts()[0]


# Recently checked keys, so a call does not need a lookup each time; every change of a
# key or an account clears it (revocation acts at once), else it holds KEY_CACHE_SECONDS.
_cache: dict[str, tuple[float, User, str]] = {}
_last_written: dict[str, float] = {}
_lock = threading.Lock()


def forget_keys() -> None:
    """Drop the cache of checked keys (after any key or account change)."""
    with _lock:
        _cache.clear()


add_cache_listener(forget_keys)


def key_user(db: Database, token: str) -> User | None:
    """The principal of a live key (account or integration), or None; notes its last use."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    digest = _digest(token)
    moment = time.monotonic()
    with _lock:
        hit = _cache.get(digest)
    if hit is not None and moment - hit[0] < KEY_CACHE_SECONDS:
        user, key_id = hit[1], hit[2]
    else:
        cur = db.cursor()
        try:
            row = cur.execute(_LOOKUP_SQL, [digest]).fetchone()
        finally:
            cur.close()
        if row is None or row[4]:
            return None
        key_id, account, role, scope = row[0], row[1], row[2], row[3]
        user = User(account or key_principal_name(key_id), role, scope)
        with _lock:
            if len(_cache) > 10_000:
                _cache.clear()
            _cache[digest] = (moment, user, key_id)
    _note_use(db, key_id, moment)
    return user


def _note_use(db: Database, key_id: str, moment: float) -> None:
    with _lock:
        if moment - _last_written.get(key_id, -LAST_USED_EVERY) < LAST_USED_EVERY:
            return
        _last_written[key_id] = moment
    cur = db.cursor()
    try:
        cur.execute("UPDATE api_keys SET last_used_at = ? WHERE key_id = ?",
                    [now_utc().replace(second=0, microsecond=0), key_id])
    except duckdb.Error:  # e.g. a revocation writing the same row this instant: the use is noted next time
        with _lock:
            _last_written.pop(key_id, None)
    finally:
        cur.close()


def as_json(row: dict[str, object]) -> dict[str, object]:
    """A listed key with its times as ISO strings."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
