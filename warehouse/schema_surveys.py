"""Tables of the satisfaction surveys: sample designs, invitations, responses.

The separation that makes the survey honest is in the columns, not in a promise:

* `survey_invitations` knows which household was sampled and holds only the
  SHA-256 of its single-use token (the token itself exists only in the survey
  team's token file);
* `survey_responses` / `survey_answers` hold what was answered, with no household
  id, no token, no invitation id and no identity, and with coarse times (the
  invitation records the day its token was used, the response the hour it came
  in), so the two cannot be joined back by key or by timestamp;
* contact details stay in `household_identities` (core schema), read by exactly
  one function, the one that writes the token file.
"""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.schema import metadata

survey_designs = sa.Table(
    "survey_designs",
    metadata,
    sa.Column("design_id", sa.String, primary_key=True, comment="design code: '<period>-s<seed>'"),
    sa.Column("period_id", sa.String, nullable=False, comment="assessment period surveyed"),
    sa.Column("seed", sa.BigInteger, nullable=False, comment="seed of the random draw (recorded so it can be re-drawn)"),
    sa.Column("method", sa.String, nullable=False, comment="sampling method, 'srswor_by_grid' (stratified SRSWOR, stratum = grid)"),
    sa.Column("margin_kind", sa.String, nullable=False, comment="'mean' (score points) or 'proportion' (share satisfied): what the margin refers to"),
    sa.Column("target_margin", sa.Double, nullable=False, comment="target half-width e of the 95 % interval (points for 'mean', fraction for 'proportion')"),
    sa.Column("assumed_sd", sa.Double, nullable=False, comment="assumed standard deviation σ of the 0–100 score (A1, mean)"),
    sa.Column("assumed_p", sa.Double, nullable=False, comment="assumed proportion p (A1, proportion)"),
    sa.Column("confidence", sa.Double, nullable=False, comment="confidence level of the target interval (0.95)"),
    sa.Column("response_rate", sa.Double, nullable=False, comment="expected response rate; invitations = completes needed / rate"),
    sa.Column("exclude_last_k", sa.Integer, nullable=False, comment="households invited in the last k periods of the same kind are excluded (0: none)"),
    sa.Column("questionnaire_version", sa.String, nullable=False, comment="questionnaire version the invitations answer"),
    sa.Column("expires_at", sa.DateTime, nullable=False, comment="when the design's tokens expire"),
    sa.Column("created_at", sa.DateTime, nullable=False, comment="when the sample was drawn"),
    comment="one row per drawn sample: how it was drawn (A1, A2), so it can be reproduced and audited",
)

survey_strata = sa.Table(
    "survey_strata",
    metadata,
    sa.Column("design_id", sa.String, nullable=False, comment="sample design"),
    sa.Column("grid_id", sa.String, nullable=False, comment="grid (the stratum)"),
    sa.Column("population", sa.Integer, nullable=False, comment="N_h: active households in the grid's register at the draw"),
    sa.Column("excluded", sa.Integer, nullable=False, comment="households excluded because surveyed in the last k periods"),
    sa.Column("frame", sa.Integer, nullable=False, comment="households eligible for the draw (population − excluded)"),
    sa.Column("completes_needed", sa.Integer, nullable=False, comment="n_h: completes needed for the target margin, with FPC (A1)"),
    sa.Column("invited", sa.Integer, nullable=False, comment="households drawn and invited: min(frame, ceil(n_h / response rate))"),
    sa.PrimaryKeyConstraint("design_id", "grid_id"),
    comment="per-grid sample sizes of a design (A1)",
)

survey_invitations = sa.Table(
    "survey_invitations",
    metadata,
    sa.Column("invitation_id", sa.String, primary_key=True, comment="invitation code: '<design>-<household>'"),
    sa.Column("design_id", sa.String, nullable=False, comment="sample design"),
    sa.Column("period_id", sa.String, nullable=False, comment="period surveyed"),
    sa.Column("grid_id", sa.String, nullable=False, comment="grid of the sampled household"),
    sa.Column("household_id", sa.String, nullable=False, comment="sampled household (never copied to responses)"),
    sa.Column("weight_class", sa.String, nullable=False, comment="non-response weighting class from the register (A6): 'elderly' | 'other'"),
    sa.Column("draw_rank", sa.Integer, nullable=False, comment="rank of the household's seeded random key in its grid (1 = first drawn)"),
    sa.Column("token_hash", sa.String, nullable=False, unique=True, comment="sha256 (hex) of the single-use token; the token itself is not stored"),
    sa.Column("expires_at", sa.DateTime, nullable=False, comment="token expiry"),
    sa.Column("used_at", sa.DateTime, comment="day the token was used (truncated to the day, so it cannot be matched to a response's time)"),
    sa.Column("disposition", sa.String, comment="final outcome: complete | partial | refusal | non_contact | ineligible | unknown (NULL: pending)"),
    sa.Column("disposition_at", sa.DateTime, comment="day the disposition was recorded (truncated to the day)"),
    comment="sampled households with their token hash and disposition (A2, A3); identity stays in household_identities",
)

survey_responses = sa.Table(
    "survey_responses",
    metadata,
    sa.Column("response_id", sa.String, primary_key=True, comment="random response code (uuid4), unrelated to the invitation"),
    sa.Column("period_id", sa.String, nullable=False, comment="period surveyed"),
    sa.Column("design_id", sa.String, nullable=False, comment="sample design"),
    sa.Column("grid_id", sa.String, nullable=False, comment="grid the answers are about"),
    sa.Column("weight_class", sa.String, nullable=False, comment="non-response weighting class (A6), copied from the register class of the sampled household"),
    sa.Column("questionnaire_version", sa.String, nullable=False, comment="questionnaire version answered"),
    sa.Column("channel", sa.String, nullable=False, comment="web | phone | paper"),
    sa.Column("submission_id", sa.String, nullable=False, unique=True, comment="client-chosen id of the submission (retry key)"),
    sa.Column("content_hash", sa.String, nullable=False, comment="sha256 of the canonical answers (detects a changed resubmission)"),
    sa.Column("submitted_at", sa.DateTime, nullable=False, comment="hour the response arrived (truncated to the hour)"),
    sa.Column("duration_seconds", sa.Double, comment="seconds from opening the form to submitting (NULL: unknown, e.g. paper)"),
    sa.Column("device_hash", sa.String, comment="salted hash of the device / browser fingerprint (quality screen A12)"),
    sa.Column("address_hash", sa.String, comment="salted hash of the network address (quality screen A12)"),
    sa.Column("entered_by", sa.String, comment="staff member who keyed in a phone / paper answer (quality screen A12)"),
    comment="one row per completed questionnaire; no household, token, invitation or identity",
)

survey_answers = sa.Table(
    "survey_answers",
    metadata,
    sa.Column("response_id", sa.String, nullable=False, comment="response"),
    sa.Column("item_key", sa.String, nullable=False, comment="questionnaire item key"),
    sa.Column("answer_code", sa.String, comment="answer code (scale / choice items)"),
    sa.Column("score", sa.Double, comment="0–100 score of a scale answer (questionnaire mapping); NULL otherwise"),
    sa.Column("answer_text", sa.String, comment="free text (comment items), shown as text only"),
    sa.PrimaryKeyConstraint("response_id", "item_key"),
    comment="answers of a response, one row per answered item",
)

survey_quality_flags = sa.Table(
    "survey_quality_flags",
    metadata,
    sa.Column("response_id", sa.String, nullable=False, comment="response flagged"),
    sa.Column("period_id", sa.String, nullable=False, comment="period of the response"),
    sa.Column("flag", sa.String, nullable=False, comment="too_fast | straight_lining | duplicate_device | duplicate_address | entered_by_grid_worker"),
    sa.Column("reason", sa.String, nullable=False, comment="why, in words, with the figures"),
    sa.Column("flagged_at", sa.DateTime, nullable=False, comment="when the screen ran"),
    comment="quality screens (A12): flagged for review, never dropped from estimates",
)

survey_salts = sa.Table(
    "survey_salts",
    metadata,
    sa.Column("period_id", sa.String, primary_key=True, comment="period the salt belongs to"),
    sa.Column("salt", sa.String, nullable=False, comment="secret salt: hex of 32 random bytes (never exported, reported or shown)"),
    sa.Column("created_at", sa.DateTime, nullable=False, comment="when the salt was created (on the period's first fingerprint)"),
    comment="secret per-period salt of the device / address hashes, so they cannot be reversed by trying every address",
)

SALT_TABLES = [survey_salts]

SURVEY_TABLES = [
    survey_designs,
    survey_strata,
    survey_invitations,
    survey_responses,
    survey_answers,
    survey_quality_flags,
]
