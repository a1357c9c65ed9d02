"""Migration 6: secret per-period salts for the device / address hashes of survey responses.

Before it, `device_hash` / `address_hash` were sha256(period:value), reversible by trying
every IPv4 address. The new hash is sha256(salt:sha256(period:value)) with a secret salt per
period (`surveys.intake.fingerprint`), so existing hashes are upgraded in place: each period
with hashes gets its salt now, and its hashes stay comparable with new ones (quality screens).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa

from warehouse.schema import metadata
from warehouse.schema_surveys import SALT_TABLES

VERSION = 6
NAME = "survey_salts"

PERIODS_WITHOUT_SALT_SQL = """
SELECT DISTINCT r.period_id
FROM survey_responses r
WHERE (r.device_hash IS NOT NULL OR r.address_hash IS NOT NULL)
  AND r.period_id NOT IN (SELECT period_id FROM survey_salts)
ORDER BY r.period_id
"""

REHASH_SQL = """
UPDATE survey_responses
SET device_hash = CASE WHEN device_hash IS NULL THEN NULL ELSE sha256(k.salt || ':' || device_hash) END,
    address_hash = CASE WHEN address_hash IS NULL THEN NULL ELSE sha256(k.salt || ':' || address_hash) END
FROM survey_salts k
WHERE k.period_id = survey_responses.period_id AND k.period_id = ?
"""


def upgrade(conn: sa.Connection) -> None:
    """Create `survey_salts`; salt and re-hash the fingerprints already stored."""
    metadata.create_all(conn, tables=SALT_TABLES, checkfirst=True)
    tables = {r[0] for r in conn.exec_driver_sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    if "survey_responses" not in tables:
        return
    now = datetime.now(UTC).replace(tzinfo=None)
    for (period_id,) in conn.exec_driver_sql(PERIODS_WITHOUT_SALT_SQL).fetchall():
        conn.exec_driver_sql("INSERT INTO survey_salts VALUES (?, ?, ?)", (period_id, secrets.token_hex(32), now))
        conn.exec_driver_sql(REHASH_SQL, (period_id,))
