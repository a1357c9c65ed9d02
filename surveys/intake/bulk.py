"""Bulk import: `submit_many`, the rules of `submit` vectorised, all or nothing (simulator, benchmarks).

The checks are `surveys.intake.rules` applied to whole frames in one transaction: the
channel check, the token checks in the same order (`refuse_tokens`), submission ids
neither repeated nor stored, answers that fit the questionnaire; the stored rows are
those `submit` stores (the same content hash, scores, codes, salted fingerprints, clock
truncation) and the invitations are marked by the same `mark_used`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import duckdb
import polars as pl

from surveys.errors import AnswersInvalid, SubmissionConflict, SurveyError
from surveys.intake.rules import (
    CHANNELS,
    FINGERPRINT_SQL,
    check_channel,
    hash_token,
    mark_used,
    period_salts,
    received_hour,
    refuse_tokens,
    used_day,
    utc_naive,
)
from surveys.questionnaire import questionnaire_for
from warehouse.db import Database

CONTENT_HASH_SQL = """
sha256(
    first(version) || chr(10) || string_agg(
        item_key || chr(9) || coalesce(answer_code, '') || chr(9) ||
        replace(replace(replace(coalesce(answer_text, ''), '\\', '\\\\'), chr(10), '\\n'), chr(9), '\\t'),
        chr(10) ORDER BY item_pos)
)
"""


def _item_table(version: str) -> pl.DataFrame:
    q = questionnaire_for(version)
    rows = []
    for pos, it in enumerate(q.items):
        if it.kind == "text":
            rows.append((it.key, pos, it.kind, it.required, None, None))
        for code, _zh, _en in it.options:
            rows.append((it.key, pos, it.kind, it.required, code, q.scale.get(code) if it.kind == "scale" else None))
    return pl.DataFrame(
        rows,
        schema={"item_key": pl.String, "item_pos": pl.Int64, "kind": pl.String,
                "required": pl.Boolean, "code": pl.String, "score": pl.Float64},
        orient="row",
    )


def _prepared(submissions: pl.DataFrame) -> pl.DataFrame:
    """Submissions with their token hash and every optional column; channels and ids checked."""
    subs = submissions.with_columns(
        pl.col("token").map_elements(hash_token, return_dtype=pl.String).alias("token_hash")
    )
    for name in ("device", "address", "entered_by"):
        if name not in subs.columns:
            subs = subs.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    if "duration_seconds" not in subs.columns:
        subs = subs.with_columns(pl.lit(None, dtype=pl.Float64).alias("duration_seconds"))
    bad_channel = subs.filter(~pl.col("channel").is_in(list(CHANNELS)))
    if bad_channel.height:
        check_channel(bad_channel["channel"][0])
    if subs["submission_id"].n_unique() != subs.height:
        raise SubmissionConflict("submission ids repeat within the batch")
    return subs


def _resolve(cur: duckdb.DuckDBPyConnection, resolved: str, subs_view: str, moment: datetime) -> str:
    """Join the submissions to their invitations into temp table `resolved`; refuse bad tokens.

    Returns the one questionnaire version of the tokens; creates the periods' salts.
    """
    cur.execute(
        f"""CREATE TEMP TABLE {resolved} AS
            SELECT CAST(uuid() AS VARCHAR) AS response_id, s.*, i.invitation_id, i.design_id,
                   i.period_id, i.grid_id, i.weight_class, i.expires_at, i.used_at,
                   d.questionnaire_version AS version
            FROM {subs_view} s
            LEFT JOIN survey_invitations i ON i.token_hash = s.token_hash
            LEFT JOIN survey_designs d ON d.design_id = i.design_id"""
    )
    unknown, used, expired, versions = cur.execute(
        f"""SELECT count(*) FILTER (WHERE invitation_id IS NULL),
                   count(*) FILTER (WHERE used_at IS NOT NULL),
                   count(*) FILTER (WHERE expires_at < ?),
                   list(DISTINCT version) FILTER (WHERE version IS NOT NULL)
            FROM {resolved}""",
        [moment],
    ).fetchall()[0]
    refuse_tokens(unknown, used, expired)
    stored = cur.execute(
        f"SELECT count(*) FROM survey_responses r JOIN {resolved} s USING (submission_id)"
    ).fetchall()[0][0]
    if stored:
        raise SubmissionConflict(f"{stored} submission ids are already stored")
    if len(versions) != 1:
        raise SurveyError("bulk intake needs all tokens from one questionnaire version")
    periods = [r[0] for r in cur.execute(
        f"""SELECT DISTINCT period_id FROM {resolved}
            WHERE coalesce(device, '') <> '' OR coalesce(address, '') <> ''""").fetchall()]
    period_salts(cur, periods)
    return versions[0]


def _canonical_answers(answers: pl.DataFrame, version: str, n_submissions: int) -> pl.DataFrame:
    """Answers as stored (code and score, or trimmed text), each checked against the questionnaire."""
    items = _item_table(version)
    long = answers.select(
        pl.col("token").map_elements(hash_token, return_dtype=pl.String).alias("token_hash"),
        pl.col("item_key").cast(pl.String),
        pl.col("value").cast(pl.String),
    ).filter(pl.col("value").is_not_null() & (pl.col("value").str.strip_chars() != ""))
    choice = long.join(items.filter(pl.col("kind") != "text"), left_on=["item_key", "value"],
                       right_on=["item_key", "code"], how="inner")
    text = long.join(items.filter(pl.col("kind") == "text").select("item_key", "item_pos"),
                     on="item_key", how="inner")
    if choice.height + text.height != long.height:
        bad = long.join(choice.select("token_hash", "item_key"), on=["token_hash", "item_key"], how="anti") \
                  .join(text.select("token_hash", "item_key"), on=["token_hash", "item_key"], how="anti")
        raise AnswersInvalid({bad["item_key"][0]: f"not an option: {bad['value'][0]!r}"})
    required = items.filter(pl.col("required")).select("item_key").unique()
    have = long.group_by("token_hash").agg(pl.col("item_key").is_in(required["item_key"].implode()).sum())
    if (have.height != n_submissions) or (have["item_key"] < required.height).any():
        raise AnswersInvalid({"*": "a required item is missing in some submission"})
    return pl.concat([
        choice.select("token_hash", "item_key", "item_pos",
                      pl.col("value").alias("answer_code"), "score",
                      pl.lit(None, dtype=pl.String).alias("answer_text")),
        text.select("token_hash", "item_key", "item_pos",
                    pl.lit(None, dtype=pl.String).alias("answer_code"),
                    pl.lit(None, dtype=pl.Float64).alias("score"),
                    pl.col("value").str.strip_chars().alias("answer_text")),
    ])


def _write(cur: duckdb.DuckDBPyConnection, resolved: str, answers_view: str, version: str, moment: datetime) -> None:
    """Responses (content hash per token), answers and the invitations marked used."""
    cur.execute(
        f"""INSERT INTO survey_responses
            WITH hashed AS (
                SELECT a.token_hash, {CONTENT_HASH_SQL} AS content_hash
                FROM (SELECT *, $version AS version FROM {answers_view}) a
                GROUP BY a.token_hash
            )
            SELECT s.response_id, s.period_id, s.design_id, s.grid_id, s.weight_class,
                   s.version, s.channel, s.submission_id, h.content_hash,
                   CAST($hour AS TIMESTAMP), s.duration_seconds,
                   {FINGERPRINT_SQL.format(value="s.device")},
                   {FINGERPRINT_SQL.format(value="s.address")},
                   s.entered_by
            FROM {resolved} s JOIN hashed h USING (token_hash)
            LEFT JOIN survey_salts k ON k.period_id = s.period_id""",
        {"version": version, "hour": received_hour(moment)},
    )
    cur.execute(
        f"""INSERT INTO survey_answers
            SELECT s.response_id, a.item_key, a.answer_code, a.score, a.answer_text
            FROM {answers_view} a JOIN {resolved} s USING (token_hash)"""
    )
    ids = [r[0] for r in cur.execute(f"SELECT invitation_id FROM {resolved} ORDER BY invitation_id").fetchall()]
    mark_used(cur, ids, [used_day(moment)] * len(ids))


def submit_many(
    db: Database,
    submissions: pl.DataFrame,
    answers: pl.DataFrame,
    *,
    now: datetime | None = None,
) -> int:
    """Bulk intake (simulator, benchmarks): the rules of `submit`, vectorised, all or nothing.

    Args:
        db: open database (writable).
        submissions: token, submission_id, channel, duration_seconds (nullable),
            device, address, entered_by (all three nullable).
        answers: token, item_key, value (answer code, or text for text items).
        now: clock (tests).

    Returns:
        Number of responses stored.

    Raises:
        TokenRejected: some token is unknown, used or expired (nothing stored).
        AnswersInvalid: some answer is not an option or a required item is missing.
        SubmissionConflict: a submission id is repeated or already stored.
    """
    moment = utc_naive(now) if now is not None else datetime.now(UTC).replace(tzinfo=None)
    subs = _prepared(submissions)
    tag = uuid.uuid4().hex[:12]
    with db.transaction() as cur:
        cur.register(f"_subs_{tag}", subs.select(
            "token_hash", "submission_id", "channel", "duration_seconds", "device", "address", "entered_by"))
        resolved = f"_resolved_{tag}"
        version = _resolve(cur, resolved, f"_subs_{tag}", moment)
        cur.register(f"_ans_{tag}", _canonical_answers(answers, version, subs.height))
        _write(cur, resolved, f"_ans_{tag}", version, moment)
        cur.execute(f"DROP TABLE {resolved}")
        cur.unregister(f"_subs_{tag}")
        cur.unregister(f"_ans_{tag}")
    return subs.height
