"""API keys: stored only hashed, an account's key follows the account, revocation acts at once."""

from __future__ import annotations

import hashlib

import pytest

from dashboard.apikeys import create_key, key_user, list_keys, revoke_key
from dashboard.auth import AuthError, add_user
from tests.dashboard.conftest import IN_SCOPE, PASSWORD
from warehouse.db import Database


def test_the_key_is_stored_only_as_its_hash(dash_db: Database) -> None:
    made = create_key(dash_db, "event platform", created_by="test", role="admin")
    assert made.key.startswith(f"gsk_{made.key_id}_") and len(made.key) > 40
    stored = dash_db.query("SELECT * FROM api_keys WHERE key_id = ?", [made.key_id]).to_dicts()[0]
    assert made.key not in {str(v) for v in stored.values()}
    assert stored["key_hash"] == hashlib.sha256(made.key.encode()).hexdigest()
    user = key_user(dash_db, made.key)
    assert user is not None and (user.name, user.role, user.scope_unit_id) == (f"key:{made.key_id}", "admin", None)
    assert key_user(dash_db, made.key[:-1] + ("A" if made.key[-1] != "A" else "B")) is None
    listed = list_keys(dash_db).filter(list_keys(dash_db)["key_id"] == made.key_id).to_dicts()[0]
    assert listed["last_used_at"] is not None and listed["state"] == "live"


def test_an_accounts_key_follows_the_account_and_revoking_acts_at_once(dash_db: Database) -> None:
    add_user(dash_db, "keyholder", PASSWORD, role="viewer")
    made = create_key(dash_db, "scripts", created_by="test", user_name="keyholder")
    assert key_user(dash_db, made.key).role == "viewer"  # type: ignore[union-attr]
    add_user(dash_db, "keyholder", PASSWORD, role="supervisor", scope_unit_id=IN_SCOPE)
    user = key_user(dash_db, made.key)
    assert user is not None and (user.name, user.role, user.scope_unit_id) == ("keyholder", "supervisor", IN_SCOPE)
    with dash_db.transaction() as cur:
        cur.execute("UPDATE auth_users SET disabled = true WHERE user_name = 'keyholder'")
    add_user(dash_db, "other", PASSWORD, role="viewer")  # any account change clears the key cache
    assert key_user(dash_db, made.key) is None
    spare = create_key(dash_db, "spare", created_by="test", role="viewer")
    assert key_user(dash_db, spare.key) is not None
    row = revoke_key(dash_db, spare.key_id, actor="test")
    assert row["state"] == "revoked" and row["revoked_by"] == "test"
    assert key_user(dash_db, spare.key) is None
    with pytest.raises(AuthError, match="already revoked"):
        revoke_key(dash_db, spare.key_id, actor="test")


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"role": "admin", "user_name": "admin"}, "not both"),
    ({}, "not both"),
    ({"role": "boss"}, "not one of"),
    ({"role": "supervisor"}, "needs --scope"),
    ({"role": "viewer", "scope_unit_id": "NOWHERE"}, "not in org_units"),
    ({"user_name": "nobody"}, "no enabled account"),
])
def test_bad_key_requests_are_refused_with_the_reason(dash_db: Database, kwargs: dict, reason: str) -> None:
    with pytest.raises(AuthError, match=reason):
        create_key(dash_db, "x", created_by="test", **kwargs)
