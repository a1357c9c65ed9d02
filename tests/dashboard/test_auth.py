"""Accounts, passwords, sessions, rate limits and the `gridscore user add` command."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from dashboard.auth import (
    AuthError,
    add_user,
    end_session,
    session_user,
    start_session,
    verify_password,
)
from dashboard.cli import app as cli
from dashboard.ratelimit import TokenBucket
from warehouse.db import Database, open_db


@pytest.fixture()
def auth_db(empty_db: Database) -> Database:
    cur = empty_db.cursor()
    cur.execute("INSERT INTO org_units (unit_id, name, level, parent_id) VALUES ('D01', '东城区', 'district', NULL),"
                " ('D01S01', '新华街道', 'street', 'D01')")
    cur.close()
    return empty_db


def test_add_user_hashes_password_with_argon2(auth_db: Database) -> None:
    add_user(auth_db, "li", "long-enough-pw", role="assessor")
    stored = auth_db.scalar("SELECT password_hash FROM auth_users WHERE user_name = 'li'")
    assert stored.startswith("$argon2id$") and "long-enough-pw" not in stored
    assert verify_password(auth_db, "li", "long-enough-pw").role == "assessor"
    assert verify_password(auth_db, "li", "wrong-password") is None
    assert verify_password(auth_db, "nobody", "long-enough-pw") is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "boss"}, "role"),
        ({"role": "supervisor"}, "scope"),
        ({"role": "viewer", "scope_unit_id": "NOPE"}, "NOPE"),
    ],
)
def test_add_user_refuses_bad_input(auth_db: Database, kwargs: dict, message: str) -> None:
    with pytest.raises(AuthError, match=message):
        add_user(auth_db, "x", "long-enough-pw", **kwargs)


def test_add_user_refuses_short_password(auth_db: Database) -> None:
    with pytest.raises(AuthError, match="8 characters"):
        add_user(auth_db, "x", "short", role="viewer")


def test_session_rotation_signout_and_account_reset(auth_db: Database) -> None:
    user = add_user(auth_db, "wang", "long-enough-pw", role="supervisor", scope_unit_id="D01S01")
    first = start_session(auth_db, user, hours=1)
    assert session_user(auth_db, first) == user
    second = start_session(auth_db, user, hours=1, previous=first)
    assert session_user(auth_db, first) is None and session_user(auth_db, second) == user
    end_session(auth_db, second)
    assert session_user(auth_db, second) is None
    third = start_session(auth_db, user, hours=1)
    add_user(auth_db, "wang", "another-long-pw", role="viewer")  # reset revokes sessions
    assert session_user(auth_db, third) is None
    expired = start_session(auth_db, user, hours=-1)
    assert session_user(auth_db, expired) is None
    assert auth_db.scalar("SELECT count(*) FROM auth_sessions WHERE session_hash = ?", [third]) == 0


def test_token_bucket_limits_per_key_and_refills() -> None:
    now = [0.0]
    bucket = TokenBucket(burst=2, per_minute=60, clock=lambda: now[0])
    assert [bucket.allow("a") for _ in range(3)] == [True, True, False]
    assert bucket.allow("b")
    now[0] += 1.0
    assert bucket.allow("a") and not bucket.allow("a")


@pytest.mark.slow
def test_cli_user_add_reads_password_from_stdin(tmp_path) -> None:
    path = tmp_path / "cli.duckdb"
    with open_db(path) as db:
        db.conn.execute("INSERT INTO org_units VALUES ('D01', '东城区', NULL, 'district', NULL, NULL)")
    result = CliRunner().invoke(cli, ["user", "add", "zhao", "--role", "admin", "--password-stdin",
                                      "--db", str(path), "--json"], input="a-good-password\n")
    assert result.exit_code == 0, result.output
    assert '"role": "admin"' in result.output
    bad = CliRunner().invoke(cli, ["user", "add", "sup", "--role", "supervisor", "--password-stdin",
                                   "--db", str(path)], input="a-good-password\n")
    assert bad.exit_code == 1 and "scope" in bad.output
    with open_db(path) as db:
        assert verify_password(db, "zhao", "a-good-password") is not None
