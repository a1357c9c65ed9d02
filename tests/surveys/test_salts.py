"""Device / address hashes are keyed with a secret per-period salt, so they cannot be reversed."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import polars as pl

from surveys.design import draw_sample
from surveys.intake import fingerprint, salt_of, submit, submit_many
from warehouse.backup import backup, restore
from warehouse.db import Database, open_db

ANSWERS = {"overall": "满意", "responsiveness": "satisfied", "attitude": "very_satisfied",
           "problem_solved": "基本满意", "visited": "yes", "comment": "谢谢"}
ADDRESS = "127.0.0.77"
DEVICE = "test-device/1.0"


def _submit(db: Database, token: str, sid: str) -> None:
    submit(db, token, ANSWERS, submission_id=sid, channel="web", device=DEVICE, address=ADDRESS,
           now=datetime(2026, 1, 5, 10, 30, tzinfo=UTC))


def _bulk(db: Database, token: str, sid: str) -> None:
    subs = pl.DataFrame({"token": [token], "submission_id": [sid], "channel": ["web"],
                         "duration_seconds": [None], "device": [DEVICE], "address": [ADDRESS], "entered_by": [None]},
                        schema_overrides={"duration_seconds": pl.Float64, "entered_by": pl.String})
    answers = pl.DataFrame({"token": token, "item_key": list(ANSWERS),
                            "value": ["satisfied", "satisfied", "very_satisfied", "fairly_satisfied", "yes", "谢谢"]})
    submit_many(db, subs, answers)


def test_salt_stored_hash_is_not_the_period_hash_and_periods_differ(register_db: Database) -> None:
    a = draw_sample(register_db, "2025", seed=1).tokens["token"][0]
    b = draw_sample(register_db, "2024", seed=1).tokens["token"][0]
    _submit(register_db, a, "a")
    _submit(register_db, b, "b")
    rows = {r[0]: r[1:] for r in register_db.query(
        "SELECT period_id, device_hash, address_hash FROM survey_responses").rows()}
    assert set(rows) == {"2025", "2024"}
    for period, (device_hash, address_hash) in rows.items():
        assert address_hash != hashlib.sha256(f"{period}:{ADDRESS}".encode()).hexdigest()
        assert device_hash != hashlib.sha256(f"{period}:{DEVICE}".encode()).hexdigest()
        salt = salt_of(register_db, period)
        assert len(bytes.fromhex(salt)) == 32
        assert address_hash == fingerprint(period, salt, ADDRESS)
    assert rows["2025"][1] != rows["2024"][1] and rows["2025"][0] != rows["2024"][0]
    salts = register_db.query("SELECT period_id, salt FROM survey_salts ORDER BY period_id")
    assert salts.height == 2 and salts["salt"].n_unique() == 2


def test_salt_is_created_once_and_reused_by_later_batches_and_bulk(register_db: Database) -> None:
    tokens = draw_sample(register_db, "2025", seed=1).tokens["token"].to_list()
    _submit(register_db, tokens[0], "first")
    salt = salt_of(register_db, "2025")
    _submit(register_db, tokens[1], "second")
    _bulk(register_db, tokens[2], "bulk")
    assert register_db.scalar("SELECT count(*) FROM survey_salts") == 1
    assert salt_of(register_db, "2025") == salt
    hashes = register_db.query("SELECT DISTINCT address_hash FROM survey_responses")["address_hash"].to_list()
    assert hashes == [fingerprint("2025", salt, ADDRESS)]


def test_salt_survives_backup_and_restore(register_db: Database, tmp_path) -> None:
    _submit(register_db, draw_sample(register_db, "2025", seed=1).tokens["token"][0], "x")
    salt = salt_of(register_db, "2025")
    backup(register_db, tmp_path / "snap")
    restore(tmp_path / "snap", tmp_path / "restored.duckdb")
    with open_db(tmp_path / "restored.duckdb") as again:
        assert again.scalar("SELECT salt FROM survey_salts WHERE period_id = '2025'") == salt


def test_salt_one_at_a_time_fallback_hashes_like_the_batch(register_db: Database) -> None:
    """The replay path (a batch that could not commit) creates / reuses the same salt."""
    from surveys.intake import hash_token
    from surveys.intake.writer import _Pending, _submit_alone

    tokens = draw_sample(register_db, "2025", seed=1).tokens["token"].to_list()
    cache: dict[str, str] = {}
    cur = register_db.cursor()
    try:
        item = _Pending(token_hash=hash_token(tokens[0]), answers=ANSWERS, submission_id="alone", channel="web",
                        started_at=None, device=DEVICE, address=ADDRESS, entered_by=None, clock=None)
        assert _submit_alone(cur, item, cache).status == "accepted"
    finally:
        cur.close()
    salt = salt_of(register_db, "2025")
    assert cache == {"2025": salt}
    _submit(register_db, tokens[1], "batched")
    hashes = register_db.query("SELECT DISTINCT device_hash FROM survey_responses")["device_hash"].to_list()
    assert hashes == [fingerprint("2025", salt, DEVICE)]
