"""Response intake: one set of write rules for the web form, phone, paper and bulk import.

A submission is one DuckDB transaction that checks the token (exists, unexpired,
unused), validates the answers against the questionnaire version of the token's
design, stores the response and its answers with no identity, and marks the token
used with disposition "complete". The modules, by responsibility:

* `rules` — the write rules, implemented once: token hashing, the decision for one
  submission (`decide`), the rows it stores and how they are written (`store`,
  `mark_used`), salted device/address fingerprints and the periods' salts;
* `single` — `submit` (web form, phone, paper) and `token_state`;
* `writer` — group commit: the database's one writer thread decides a batch of queued
  submissions in arrival order with `rules.decide`, stores them with one commit, and
  replays a batch that cannot commit one submission per transaction;
* `bulk` — `submit_many`, the same rules vectorised for the simulator and benchmarks.

Races: two submissions of one token both try to update the same invitation row; DuckDB's
optimistic concurrency lets exactly one commit and aborts the other with a
`TransactionException` (or a `ConstraintException` for a duplicate submission id).
The loser rolls back and re-checks from scratch, which then reports the right
outcome: "already_received" (same submission id, same content), a conflict
(same submission id, different content) or a used token.

Device and address fingerprints are hashed with the period's secret salt
(`survey_salts`, created on the period's first fingerprint in the same transaction).
"""

from __future__ import annotations

from surveys.intake.bulk import CONTENT_HASH_SQL, submit_many
from surveys.intake.rules import (
    CHANNELS,
    FINGERPRINT_SQL,
    SubmitResult,
    fingerprint,
    hash_token,
    normalise_token,
    period_salts,
    salt_of,
)
from surveys.intake.single import submit, token_state
from surveys.intake.writer import MAX_BATCH, writer_stats

__all__ = [
    "CHANNELS", "CONTENT_HASH_SQL", "FINGERPRINT_SQL", "MAX_BATCH", "SubmitResult", "fingerprint", "hash_token",
    "normalise_token", "period_salts", "salt_of", "submit", "submit_many", "token_state", "writer_stats",
]
